/*
 * What the verifier knows about the source at the commit (verifier/packlist/source_facts.c):
 * whether the package has a build (its own scripts or configs, or the workspace root's),
 * which missing files are plausibly build outputs (tsconfig output folders, git-ignored paths,
 * submodules) and the versions of the workspace packages. Every fixture is a git repository
 * made with libgit2, read back with sg_git_tree() as the verifier reads it.
 */
#include "sg_test.h"

#include "verifier/packlist/source_facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SG_ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))
#define PJ_PLAIN "{\"name\":\"p\",\"version\":\"1.0.0\"}"
#define PJ_BUILD "{\"name\":\"p\",\"version\":\"1.0.0\",\"scripts\":{\"build\":\"tsc\"}}"
#define SUBMODULE_COMMIT "0123456789abcdef0123456789abcdef01234567"

/* One repository at one commit and the facts gathered from it. */
typedef struct fixture {
    sg_ctx *ctx;           /**< errors */
    sg_git_repo *repo;     /**< the repository */
    sg_tree *root;         /**< the repository root's tree; NULL when the package is there */
    sg_tree *pkg;          /**< the package folder's tree */
    sg_source_facts facts; /**< what is tested */
    sg_diff_opts opts;     /**< the callbacks the facts hand to the diff */
} fixture;

/* Commit files to a fresh repository and gather the facts of the package at subdir. */
static void fx_open(fixture *x, const sgt_file *files, size_t n, const char *subdir)
{
    char commit[41], path[4096];
    sg_diff_opts init = SG_DIFF_OPTS_INIT;

    memset(x, 0, sizeof(*x));
    snprintf(path, sizeof(path), "%s/r", sgt_tmpdir());
    sgt_git_init(path, 0);
    sgt_git_commit(commit, path, NULL, files, n, "facts", 0);
    assert_int_equal(sg_ctx_new(&x->ctx), 0);
    if (sg_git_repo_open(&x->repo, x->ctx, path) < 0 ||
        sg_git_tree(&x->pkg, x->ctx, x->repo, commit, subdir) < 0 ||
        (*subdir && sg_git_tree(&x->root, x->ctx, x->repo, commit, "") < 0))
        fail_msg("reading the fixture: %s", sg_error_message(x->ctx));
    if (sg_source_facts_init(&x->facts, x->ctx, x->root ? x->root : x->pkg, x->pkg, subdir) < 0)
        fail_msg("sg_source_facts_init: %s", sg_error_message(x->ctx));
    x->opts = init;
    sg_source_facts_diff_opts(&x->facts, &x->opts);
}

static void fx_close(fixture *x)
{
    sg_source_facts_dispose(&x->facts);
    sg_tree_free(x->pkg);
    sg_tree_free(x->root);
    sg_git_repo_free(x->repo);
    sg_ctx_free(x->ctx);
}

/* The possibly_built callback on path: 1 or 0, and its explanation in *why. */
static int built(fixture *x, const char *path, const char **why)
{
    *why = NULL;
    return x->opts.possibly_built(x->opts.payload, path, why);
}

/* has_build and build_reason of a package at the repository root holding files. */
static void expect_build(const sgt_file *files, size_t n, int has_build, const char *reason)
{
    fixture x;
    fx_open(&x, files, n, "");
    if (x.facts.has_build != has_build || (has_build && strcmp(x.facts.build_reason, reason) != 0))
        fail_msg("files[0] '%s': has_build %d (want %d), reason '%s' (want '%s')", files[0].path,
                 x.facts.has_build, has_build, x.facts.build_reason, reason ? reason : "");
    assert_int_equal(sg_error_code_of(x.ctx), 0);
    fx_close(&x);
}

/* ---- has_build: scripts ---- */

static void test_source_facts__each_build_script_means_a_build(void **state)
{
    static const char *const scripts[] = {
        "build", "prepare", "prepack", "prepublishOnly", "prepublish", "compile", "bundle", "dist",
    };
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_N(scripts); i++) {
        char pj[256], reason[64];
        sgt_file files[] = {{"package.json", pj, 0, 0}, {"index.js", "x", 0, 0}};
        snprintf(pj, sizeof(pj), "{\"name\":\"p\",\"scripts\":{\"test\":\"t\",\"%s\":\"x\"}}",
                 scripts[i]);
        snprintf(reason, sizeof(reason), "scripts.%s", scripts[i]);
        expect_build(files, SG_ARRAY_N(files), 1, reason);
    }
}

static void test_source_facts__the_first_build_script_in_npm_order_is_the_reason(void **state)
{
    const sgt_file files[] = {
        {"package.json", "{\"scripts\":{\"dist\":\"x\",\"prepack\":\"y\",\"compile\":\"z\"}}", 0,
         0},
        {"tsconfig.json", "{}", 0, 0},
    };
    (void)state;
    expect_build(files, SG_ARRAY_N(files), 1, "scripts.prepack");
}

static void test_source_facts__no_build_without_a_build_script_or_config(void **state)
{
    static const char *const manifests[] = {
        PJ_PLAIN,
        "{\"scripts\":{\"test\":\"jest\",\"lint\":\"eslint\",\"postinstall\":\"x\"}}",
        "{\"scripts\":{\"build\":\"\"}}", /* an empty command builds nothing */
        "{\"scripts\":{\"build\":42}}",   /* not a command */
        "{\"scripts\":[\"build\"]}",      /* scripts is not an object */
        "{\"scripts\":\"build\"}",
        "{not json", /* unreadable: no build, and no error left behind */
        "[]",
    };
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_N(manifests); i++) {
        const sgt_file files[] = {{"package.json", manifests[i], 0, 0}, {"index.js", "x", 0, 0}};
        expect_build(files, SG_ARRAY_N(files), 0, NULL);
    }
}

static void test_source_facts__no_package_json_is_no_build(void **state)
{
    const sgt_file files[] = {{"index.js", "x", 0, 0}};
    (void)state;
    expect_build(files, SG_ARRAY_N(files), 0, NULL);
}

/* ---- has_build: config files ---- */

static void test_source_facts__each_known_build_config_means_a_build(void **state)
{
    static const char *const configs[] = {
        "tsconfig.json",     "tsconfig.build.json", "rollup.config.mjs",
        "webpack.config.js", "vite.config.ts",      "tsup.config.ts",
        "esbuild.config.js", "rolldown.config.js",  "babel.config.json",
        ".babelrc",          "gulpfile.js",         "Gulpfile.js",
        "Gruntfile.js",      "swc.config.js",       ".swcrc",
        "build.config.ts",   "unbuild.config.ts",   "microbundle.config.js",
        "tsdown.config.ts",  "rspack.config.js",    "parcel.config.js",
        ".parcelrc",
    };
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_N(configs); i++) {
        const sgt_file files[] = {
            {"package.json", PJ_PLAIN, 0, 0},
            {configs[i], "{}", 0, 0},
            {"index.js", "x", 0, 0},
        };
        expect_build(files, SG_ARRAY_N(files), 1, configs[i]);
    }
}

static void test_source_facts__configs_count_only_at_the_top_and_by_exact_case(void **state)
{
    static const char *const not_configs[] = {
        "src/webpack.config.js",                     /* below the package folder */
        "config/tsconfig.json",  "Rollup.config.js", /* tools look names up case-sensitively */
        "TSCONFIG.JSON",         "rollup.js",        /* "rollup.config." is the prefix */
        "tsconfig.esm.json",     "my-vite.config.js",
    };
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_N(not_configs); i++) {
        const sgt_file files[] = {
            {"package.json", PJ_PLAIN, 0, 0},
            {not_configs[i], "{}", 0, 0},
        };
        expect_build(files, SG_ARRAY_N(files), 0, NULL);
    }
}

/* ---- has_build: monorepos ---- */

static void test_source_facts__a_package_in_a_monorepo_uses_its_own_build_first(void **state)
{
    const sgt_file files[] = {
        {"package.json", "{\"private\":true,\"scripts\":{\"build\":\"turbo build\"}}", 0, 0},
        {"packages/a/package.json", "{\"name\":\"a\",\"scripts\":{\"prepack\":\"x\"}}", 0, 0},
        {"packages/a/index.js", "x", 0, 0},
    };
    fixture x;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "packages/a");
    assert_int_equal(x.facts.has_build, 1);
    assert_string_equal(x.facts.build_reason, "scripts.prepack");
    assert_string_equal(x.facts.subdir, "packages/a");
    fx_close(&x);
}

static void test_source_facts__a_package_without_a_build_uses_the_root_build(void **state)
{
    static const struct {
        const char *path;    /* a file at the repository root */
        const char *content; /* its content */
        const char *reason;  /* the reason given */
    } roots[] = {
        {"package.json", "{\"private\":true,\"scripts\":{\"build\":\"turbo\"}}",
         "the repository root's scripts.build"},
        {"rollup.config.js", "export default {}", "the repository root's rollup.config.js"},
        {"tsconfig.json", "{}", "the repository root's tsconfig.json"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_N(roots); i++) {
        const sgt_file files[] = {
            {roots[i].path, roots[i].content, 0, 0},
            {"packages/a/package.json", "{\"name\":\"a\",\"version\":\"1.0.0\"}", 0, 0},
            {"packages/a/index.js", "x", 0, 0},
        };
        fixture x;
        fx_open(&x, files, SG_ARRAY_N(files), "packages/a");
        assert_int_equal(x.facts.has_build, 1);
        assert_string_equal(x.facts.build_reason, roots[i].reason);
        fx_close(&x);
    }
}

static void test_source_facts__no_build_in_package_or_root_is_no_build(void **state)
{
    const sgt_file files[] = {
        {"package.json", "{\"private\":true,\"scripts\":{\"test\":\"x\"}}", 0, 0},
        {"tools/tsconfig.json", "{}", 0, 0}, /* not at the root's top */
        {"packages/a/package.json", "{\"name\":\"a\"}", 0, 0},
        {"packages/a/index.js", "x", 0, 0},
        {"packages/b/package.json", "{\"name\":\"b\",\"scripts\":{\"build\":\"x\"}}", 0, 0},
    };
    fixture x;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "packages/a");
    assert_int_equal(x.facts.has_build, 0);
    fx_close(&x);
}

/* ---- possibly_built: tsconfig output folders ---- */

static void test_source_facts__tsconfig_out_dirs_are_read_from_jsonc(void **state)
{
    const sgt_file files[] = {
        {"package.json", PJ_PLAIN, 0, 0},
        {"tsconfig.json",
         "// comment, \"quoted\"\n{\n  /* a block, with a comma, */\n  \"compilerOptions\": {\n"
         "    \"outDir\": \"./lib//\", // trailing comment\n"
         "    \"declarationDir\": \"types\",\n    \"rootDir\": \"a//b\",\n  },\n}\n",
         0, 0},
        {"tsconfig.esm.json", "{\"compilerOptions\":{\"outDir\":\"esm\"}}", 0, 0},
        {"tsconfig.bad.json", "{\"compilerOptions\":", 0, 0}, /* unreadable: no folder */
        {"tsconfig.str.json", "{\"compilerOptions\":{\"outDir\":\"a \\\"q\\\" // b\"}}", 0, 0},
        {"sub/tsconfig.json", "{\"compilerOptions\":{\"outDir\":\"nested\"}}", 0, 0},
        {"src/index.ts", "x", 0, 0},
    };
    /* in the tree order of the tsconfigs; paths normalized ("./lib//" is "lib") */
    const char *want[] = {"esm", "lib", "types", "a \"q\" / b"};
    fixture x;
    size_t i;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "");
    assert_int_equal(x.facts.has_build, 1);
    assert_string_equal(x.facts.build_reason, "tsconfig.json");
    assert_int_equal(sg_error_code_of(x.ctx), 0);
    assert_int_equal(x.facts.nout, SG_ARRAY_N(want));
    for (i = 0; i < SG_ARRAY_N(want); i++)
        assert_string_equal(x.facts.out_dirs[i], want[i]);
    fx_close(&x);
}

static void test_source_facts__files_in_out_dirs_are_possibly_built(void **state)
{
    const sgt_file files[] = {
        {"package.json", PJ_BUILD, 0, 0},
        {"tsconfig.json", "{\"compilerOptions\":{\"outDir\":\"lib\"}}", 0, 0},
        {"src/index.ts", "x", 0, 0},
    };
    fixture x;
    const char *why;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "");
    assert_int_equal(built(&x, "lib/index.js", &why), 1);
    assert_string_equal(why, "in the build output folder 'lib' (tsconfig); not rebuilt");
    assert_int_equal(built(&x, "lib/deep/a.d.ts", &why), 1);
    assert_int_equal(built(&x, "library.js", &why), 0); /* a sibling with the prefix */
    assert_null(why);
    assert_int_equal(built(&x, "index.js", &why), 0); /* not ignored, not an output folder */
    x.facts.rebuild_note = "the rebuild did not make it";
    assert_int_equal(built(&x, "lib/index.js", &why), 1);
    assert_string_equal(why, "in the build output folder 'lib' (tsconfig); the rebuild did not "
                             "make it");
    fx_close(&x);
}

static void test_source_facts__out_dirs_without_a_build_explain_nothing(void **state)
{
    /* tsconfig.esm.json is read for its outDir but is not a build config */
    const sgt_file files[] = {
        {"package.json", PJ_PLAIN, 0, 0},
        {"tsconfig.esm.json", "{\"compilerOptions\":{\"outDir\":\"esm\"}}", 0, 0},
        {".gitignore", "esm/\n", 0, 0},
    };
    fixture x;
    const char *why;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "");
    assert_int_equal(x.facts.has_build, 0);
    assert_int_equal(x.facts.nout, 1);
    assert_int_equal(built(&x, "esm/index.js", &why), 0);
    assert_null(why);
    fx_close(&x);
}

/* ---- possibly_built: git-ignored files ---- */

static void test_source_facts__gitignored_files_of_a_built_package_are_possibly_built(void **state)
{
    const sgt_file files[] = {
        {".gitignore", "dist/\n*.log\n!keep.log\n", 0, 0},
        {"package.json", PJ_BUILD, 0, 0},
        {"src/index.js", "x", 0, 0},
    };
    fixture x;
    const char *why;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "");
    assert_int_equal(built(&x, "dist/index.js", &why), 1);
    assert_string_equal(why, "git-ignored at this commit and the package has a build "
                             "(scripts.build); not rebuilt");
    assert_int_equal(built(&x, "dist/a/b.js", &why), 1); /* under an ignored folder */
    assert_int_equal(built(&x, "debug.log", &why), 1);
    x.facts.rebuild_note = "not made by the rebuild";
    assert_int_equal(built(&x, "debug.log", &why), 1);
    assert_string_equal(why, "git-ignored at this commit and the package has a build "
                             "(scripts.build); not made by the rebuild");
    /* missing but not ignored: never explained */
    assert_int_equal(built(&x, "keep.log", &why), 0);
    assert_null(why);
    assert_int_equal(built(&x, "src/extra.js", &why), 0);
    assert_int_equal(built(&x, "distribution.js", &why), 0);
    assert_int_equal(sg_error_code_of(x.ctx), 0);
    fx_close(&x);
}

static void test_source_facts__gitignored_files_without_a_build_are_not_explained(void **state)
{
    const sgt_file files[] = {
        {".gitignore", "dist/\n", 0, 0},
        {"package.json", PJ_PLAIN, 0, 0},
        {"index.js", "x", 0, 0},
    };
    fixture x;
    const char *why;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "");
    assert_int_equal(x.facts.has_build, 0);
    assert_int_equal(built(&x, "dist/index.js", &why), 0);
    assert_null(why);
    fx_close(&x);
}

/* A private package.json with a build (zustand) is published from a folder the build makes:
 * every file it lacks is possibly built; without a build, or when public, nothing is. */
static void test_source_facts__a_private_built_package_is_packed_from_elsewhere(void **state)
{
    const sgt_file priv[] = {
        {"package.json", "{\"name\":\"p\",\"private\":true,\"scripts\":{\"build\":\"r\"}}", 0, 0},
        {"src/index.ts", "x", 0, 0},
    };
    const sgt_file dir[] = {
        {"package.json",
         "{\"name\":\"p\",\"publishConfig\":{\"directory\":\"out\"},\"scripts\":{"
         "\"build\":\"r\"}}",
         0, 0},
    };
    const sgt_file nobuild[] = {
        {"package.json", "{\"name\":\"p\",\"private\":true}", 0, 0},
    };
    fixture x;
    const char *why;
    (void)state;
    fx_open(&x, priv, SG_ARRAY_N(priv), "");
    assert_int_equal(built(&x, "esm/index.mjs", &why), 1);
    assert_non_null(strstr(why, "the package.json here is private"));
    assert_non_null(strstr(why, "packed from a folder the build makes"));
    fx_close(&x);
    fx_open(&x, dir, SG_ARRAY_N(dir), "");
    assert_int_equal(built(&x, "index.js", &why), 1);
    assert_non_null(strstr(why, "publishConfig.directory names 'out'"));
    fx_close(&x);
    fx_open(&x, nobuild, SG_ARRAY_N(nobuild), "");
    assert_int_equal(built(&x, "esm/index.mjs", &why), 0);
    fx_close(&x);
    fx_open(&x, (const sgt_file[]){{"package.json", PJ_BUILD, 0, 0}}, 1, "");
    assert_int_equal(built(&x, "esm/index.mjs", &why), 0);
    fx_close(&x);
}

static void test_source_facts__monorepo_ignore_rules_see_the_package_path(void **state)
{
    /* The root's rules are matched against "packages/a/<path>": an anchored rule for the
     * package's folder applies, one for the root's own folder of that name does not. */
    const sgt_file files[] = {
        {".gitignore", "/packages/a/out/\n/build/\n", 0, 0},
        {"package.json", "{\"private\":true}", 0, 0},
        {"packages/a/.gitignore", "gen/\n", 0, 0},
        {"packages/a/package.json", "{\"name\":\"a\",\"scripts\":{\"build\":\"x\"}}", 0, 0},
        {"packages/a/index.js", "x", 0, 0},
    };
    fixture x;
    const char *why;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "packages/a");
    assert_int_equal(built(&x, "out/index.js", &why), 1);
    assert_string_equal(why, "git-ignored at this commit and the package has a build "
                             "(scripts.build); not rebuilt");
    assert_int_equal(built(&x, "gen/x.js", &why), 1); /* the package's own .gitignore */
    assert_int_equal(built(&x, "build/index.js", &why), 0);
    assert_int_equal(built(&x, "index2.js", &why), 0);
    fx_close(&x);
}

/* ---- possibly_built: submodules ---- */

static void test_source_facts__files_in_submodules_are_possibly_built_without_a_build(void **state)
{
    const sgt_file files[] = {
        {"package.json", PJ_PLAIN, 0, 0},
        {"index.js", "x", 0, 0},
        {"vendor/lib", SUBMODULE_COMMIT, 0, 0160000},
        {"vendor/other.c", "x", 0, 0},
    };
    fixture x;
    const char *why;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "");
    assert_int_equal(x.facts.has_build, 0);
    assert_int_equal(x.facts.nsub, 1);
    assert_string_equal(x.facts.submodules[0], "vendor/lib");
    assert_int_equal(built(&x, "vendor/lib/src/a.c", &why), 1);
    assert_string_equal(why, "inside submodule 'vendor/lib', whose files are not in this "
                             "repository");
    assert_int_equal(built(&x, "vendor/lib", &why), 1);
    assert_int_equal(built(&x, "vendor/library.c", &why), 0);
    assert_int_equal(built(&x, "vendor/new.c", &why), 0);
    assert_null(why);
    fx_close(&x);
}

static void test_source_facts__submodules_are_listed_relative_to_the_package(void **state)
{
    const sgt_file files[] = {
        {"package.json", "{\"private\":true}", 0, 0},
        {"deps/root-only", SUBMODULE_COMMIT, 0, 0160000},
        {"packages/a/package.json", "{\"name\":\"a\"}", 0, 0},
        {"packages/a/third_party/z", SUBMODULE_COMMIT, 0, 0160000},
    };
    fixture x;
    const char *why;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "packages/a");
    assert_int_equal(x.facts.nsub, 1);
    assert_string_equal(x.facts.submodules[0], "third_party/z");
    assert_int_equal(built(&x, "third_party/z/x.h", &why), 1);
    assert_string_equal(why, "inside submodule 'third_party/z', whose files are not in this "
                             "repository");
    assert_int_equal(built(&x, "deps/root-only/x.h", &why), 0);
    fx_close(&x);
}

/* ---- workspace versions ---- */

static void test_source_facts__workspace_versions_come_from_every_package_json(void **state)
{
    const sgt_file files[] = {
        {"package.json", "{\"name\":\"root\",\"version\":\"0.0.0\",\"private\":true}", 0, 0},
        {"packages/a/package.json", "{\"name\":\"a\",\"version\":\"1.2.3\"}", 0, 0},
        {"packages/b/package.json", "{\"name\":\"@s/b\",\"version\":\"2.0.0-rc.1\"}", 0, 0},
        {"packages/c/package.json", "{\"name\":\"c\"}", 0, 0},        /* no version */
        {"packages/d/package.json", "{\"version\":\"4.0.0\"}", 0, 0}, /* no name */
        {"packages/e/package.json", "{\"name\":\"e\",", 0, 0},        /* unreadable */
        {"packages/f/package.json", "{\"name\":\"f\",\"version\":7}", 0, 0},
        {"packages/a/node_modules/x/package.json", "{\"name\":\"x\",\"version\":\"9.9.9\"}", 0, 0},
        {"packages/a/my-package.json", "{\"name\":\"y\",\"version\":\"8.8.8\"}", 0, 0},
    };
    fixture x;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "packages/a");
    assert_ptr_equal(x.opts.payload, &x.facts);
    assert_null(x.opts.catalog_spec);
    assert_non_null(x.opts.workspace_version);
    assert_string_equal(x.opts.workspace_version(x.opts.payload, "a"), "1.2.3");
    assert_string_equal(x.opts.workspace_version(x.opts.payload, "@s/b"), "2.0.0-rc.1");
    assert_string_equal(x.opts.workspace_version(x.opts.payload, "root"), "0.0.0");
    assert_null(x.opts.workspace_version(x.opts.payload, "c"));
    assert_null(x.opts.workspace_version(x.opts.payload, "e"));
    assert_null(x.opts.workspace_version(x.opts.payload, "f"));
    assert_null(x.opts.workspace_version(x.opts.payload, "x")); /* under node_modules */
    assert_null(x.opts.workspace_version(x.opts.payload, "y")); /* not a package.json */
    assert_null(x.opts.workspace_version(x.opts.payload, "missing"));
    assert_int_equal(x.facts.nws, 3);
    assert_int_equal(sg_error_code_of(x.ctx), 0);
    fx_close(&x);
}

static void test_source_facts__a_package_at_the_root_is_its_own_workspace(void **state)
{
    const sgt_file files[] = {
        {"package.json", "{\"name\":\"solo\",\"version\":\"3.1.4\"}", 0, 0},
        {"index.js", "x", 0, 0},
    };
    fixture x;
    (void)state;
    fx_open(&x, files, SG_ARRAY_N(files), "");
    assert_string_equal(x.facts.subdir, "");
    assert_ptr_equal(x.facts.root, x.facts.pkg);
    assert_int_equal(x.facts.nws, 1);
    assert_string_equal(x.opts.workspace_version(x.opts.payload, "solo"), "3.1.4");
    assert_null(x.opts.workspace_version(x.opts.payload, "sol"));
    fx_close(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_facts__each_build_script_means_a_build),
        cmocka_unit_test(test_source_facts__the_first_build_script_in_npm_order_is_the_reason),
        cmocka_unit_test(test_source_facts__no_build_without_a_build_script_or_config),
        cmocka_unit_test(test_source_facts__no_package_json_is_no_build),
        cmocka_unit_test(test_source_facts__each_known_build_config_means_a_build),
        cmocka_unit_test(test_source_facts__configs_count_only_at_the_top_and_by_exact_case),
        cmocka_unit_test(test_source_facts__a_package_in_a_monorepo_uses_its_own_build_first),
        cmocka_unit_test(test_source_facts__a_package_without_a_build_uses_the_root_build),
        cmocka_unit_test(test_source_facts__no_build_in_package_or_root_is_no_build),
        cmocka_unit_test(test_source_facts__tsconfig_out_dirs_are_read_from_jsonc),
        cmocka_unit_test(test_source_facts__files_in_out_dirs_are_possibly_built),
        cmocka_unit_test(test_source_facts__out_dirs_without_a_build_explain_nothing),
        cmocka_unit_test(test_source_facts__gitignored_files_of_a_built_package_are_possibly_built),
        cmocka_unit_test(test_source_facts__gitignored_files_without_a_build_are_not_explained),
        cmocka_unit_test(test_source_facts__a_private_built_package_is_packed_from_elsewhere),
        cmocka_unit_test(test_source_facts__monorepo_ignore_rules_see_the_package_path),
        cmocka_unit_test(test_source_facts__files_in_submodules_are_possibly_built_without_a_build),
        cmocka_unit_test(test_source_facts__submodules_are_listed_relative_to_the_package),
        cmocka_unit_test(test_source_facts__workspace_versions_come_from_every_package_json),
        cmocka_unit_test(test_source_facts__a_package_at_the_root_is_its_own_workspace),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    sgt_cleanup();
    return rc;
}
