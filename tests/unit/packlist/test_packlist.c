/*
 * npm's packing rules (verifier/packlist/packlist.c) and git's ignore rules
 * (verifier/packlist/gitignore.c).
 *
 * The cases of the table `rows` are the rows of NPM-PACK.md §1.1-§1.6 (the row id starts the
 * test name): each is one base tree (base_files and PJ_BASE) with its own package.json, files
 * added or left out, and the list that `npm pack --dry-run --json` (npm 11.19.1) printed for
 * that folder, executable bits included. Each row runs as its own cmocka test.
 */
#include "sg_test.h"
#include "common/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SG_ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_tree(const char *what, const sg_tree *t)
{
    size_t i;
    print_error("%s (%zu):\n", what, t ? sg_tree_count(t) : 0);
    for (i = 0; t && i < sg_tree_count(t); i++)
        print_error("  %s%s\n", sg_tree_entry(t, i)->path, sg_tree_entry(t, i)->exec ? " +x" : "");
}

/* Pack files and compare with want (any order) and the executable set. */
static void check_case_opts(const sgt_file *files, size_t n, const char *const *want, size_t nwant,
                            const char *const *exec, size_t nexec, const sg_packlist_opts *opts)
{
    sg_ctx *ctx = NULL;
    sg_tree *src = sgt_tree(files, n), *out = NULL;
    const char **sorted = calloc(nwant + 1, sizeof(*sorted));
    size_t i, bad = 0;

    assert_int_equal(sg_ctx_new(&ctx), 0);
    if (sg_packlist_npm(&out, ctx, src, opts) < 0)
        fail_msg("packlist: %s", sg_error_message(ctx));
    memcpy(sorted, want, nwant * sizeof(*sorted));
    qsort(sorted, nwant, sizeof(*sorted), cmp_str);
    if (sg_tree_count(out) != nwant)
        bad++;
    for (i = 0; !bad && i < nwant; i++) {
        const sg_entry *e = sg_tree_entry(out, i);
        size_t k;
        int want_x = 0;
        for (k = 0; k < nexec; k++)
            want_x |= strcmp(exec[k], e->path) == 0;
        if (strcmp(e->path, sorted[i]) != 0 || (int)e->exec != want_x)
            bad++;
    }
    if (bad) {
        print_error("npm packs (%zu):\n", nwant);
        for (i = 0; i < nwant; i++) {
            size_t k;
            int x = 0;
            for (k = 0; k < nexec; k++)
                x |= strcmp(exec[k], sorted[i]) == 0;
            print_error("  %s%s\n", sorted[i], x ? " +x" : "");
        }
        print_tree("sg_packlist_npm packs", out);
    }
    free(sorted);
    sg_tree_free(out);
    sg_tree_free(src);
    sg_ctx_free(ctx);
    assert_int_equal(bad, 0);
}

static void check_case(const sgt_file *files, size_t n, const char *const *want, size_t nwant,
                       const char *const *exec, size_t nexec)
{
    check_case_opts(files, n, want, nwant, exec, nexec, NULL);
}

/* ---- NPM-PACK.md §1 rows (generated from npm's own output) ---- */

/* Every row starts from this tree: these files (content "x") and package.json (PJ_BASE). */
static const char *const base_files[] = {
    "LICENSE",  "README.md", "dist/d.js",     "dist/d.map",   "docs/guide.md", "index.js",
    "lib/a.js", "lib/b.ts",  "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "src/x.js",
};
#define PJ_BASE "{\"name\": \"p\", \"version\": \"1.0.0\"}"

/* One row: the base tree changed as below, and what npm packed from it. */
typedef struct pack_case {
    const char *name;         /**< the test's name: the row id, then what it checks */
    const char *package_json; /**< package.json's content; NULL: PJ_BASE */
    const char *drop;         /**< a base file the row does not have, or NULL */
    sgt_file add[48];         /**< files added to the base (up to a NULL path) */
    const char *want[32];     /**< the files npm packs (up to a NULL) */
    const char *exec[4];      /**< which of them get the executable bit (up to a NULL) */
} pack_case;

static const pack_case rows[] = {
    {
        .name = "test_packlist__g14_comments_whitespace_escapes_and_crlf",
        .add =
            {
                {"#x", "x", 0, 0},
                {".npmignore", "# comment\n  dist  \n\\#x\r\nsrc\r\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "docs/guide.md", "index.js", "lib/a.js", "lib/b.ts",
                 "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__g15_trailing_slash_matches_folders_only",
        .drop = "docs/guide.md",
        .add =
            {
                {".npmignore", "docs/\n", 0, 0},
                {"docs", "x", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs", "index.js", "lib/a.js",
                 "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
                 "src/x.js"},
    },
    {
        .name = "test_packlist__g10_leading_slash_anchors_and_bare_name_matches_at_depth",
        .add =
            {
                {".npmignore", "/index.js\nsub\n", 0, 0},
                {"x/index.js", "x", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "lib/a.js",
                 "lib/b.ts", "lib/secret.js", "lib/test/t.js", "package.json", "src/x.js",
                 "x/index.js"},
    },
    {
        .name = "test_packlist__n1_slash_rule_is_anchored_to_its_file",
        .add =
            {
                {".npmignore", "sub/s.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
                 "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__n3_nested_npmignore_rule_relative_to_its_folder",
        .add =
            {
                {"lib/.npmignore", "sub/s.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/test/t.js", "package.json",
                 "src/x.js"},
    },
    {
        .name = "test_packlist__n2_nested_anchored_rule_stays_in_its_folder",
        .add =
            {
                {"lib/.npmignore", "/sub\n", 0, 0},
                {"sub/keep.js", "x", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/test/t.js", "package.json",
                 "src/x.js", "sub/keep.js"},
    },
    {
        .name = "test_packlist__n4_globstar_rule_reaches_any_depth",
        .add =
            {
                {".npmignore", "**/sub\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/test/t.js", "package.json",
                 "src/x.js"},
    },
    {
        .name = "test_packlist__g11_rules_are_case_insensitive_and_cannot_drop_readme",
        .add =
            {
                {".npmignore", "*.JS\nreadme.md\nlicense\npackage.json\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.map", "docs/guide.md", "lib/b.ts", "package.json"},
    },
    {
        .name = "test_packlist__g8_folder_reentered_through_negation_packs_everything",
        .add =
            {
                {".npmignore", "lib\n!lib/a.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
                 "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__g9_folder_star_then_negation_keeps_one_file",
        .add =
            {
                {".npmignore", "lib/*\n!lib/a.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__n8_excluded_folder_is_never_entered",
        .add =
            {
                {".npmignore", "lib/\n", 0, 0},
                {"lib/.npmignore", "!a.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__n7_nested_negation_wins_inside_its_folder",
        .add =
            {
                {".npmignore", "*.js\n", 0, 0},
                {"lib/.npmignore", "!a.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.map", "docs/guide.md", "lib/a.js", "lib/b.ts",
                 "package.json"},
    },
    {
        .name = "test_packlist__g1_gitignore_used_without_npmignore",
        .add =
            {
                {".gitignore", "dist\n*.map\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "docs/guide.md", "index.js", "lib/a.js", "lib/b.ts",
                 "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__g2_npmignore_replaces_gitignore",
        .add =
            {
                {".gitignore", "dist\n", 0, 0},
                {".npmignore", "docs\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "index.js", "lib/a.js",
                 "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
                 "src/x.js"},
    },
    {
        .name = "test_packlist__n9_empty_npmignore_still_disables_gitignore",
        .add =
            {
                {".gitignore", "dist/*.map\n", 0, 0},
                {".npmignore", "", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
                 "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__g3_files_discards_root_ignore_files",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"dist\"]}",
        .add =
            {
                {".gitignore", "dist\n", 0, 0},
                {".npmignore", "lib/secret.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "lib/a.js", "lib/b.ts",
                 "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__g4_nested_gitignore_applies_under_files",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"dist\"]}",
        .add =
            {
                {"dist/.gitignore", "*\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__g5_nested_npmignore_beats_sibling_gitignore",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"dist\"]}",
        .add =
            {
                {"lib/.gitignore", "a.js\n", 0, 0},
                {"lib/.npmignore", "secret.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "lib/a.js", "lib/b.ts",
                 "lib/sub/s.js", "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__g6_nested_gitignore_alone_applies",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"dist\"]}",
        .add =
            {
                {"lib/.gitignore", "a.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "lib/b.ts", "lib/secret.js",
                 "lib/sub/s.js", "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__g7_precedence_is_per_folder",
        .add =
            {
                {".npmignore", "lib/b.ts\n", 0, 0},
                {"lib/.gitignore", "a.js\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__np_nested_package_json_files_is_ignored",
        .add =
            {
                {"sub/.npmignore", "other.js\n", 0, 0},
                {"sub/m.js", "x", 0, 0},
                {"sub/only.js", "x", 0, 0},
                {"sub/other.js", "x", 0, 0},
                {"sub/package.json", "{\"files\": [\"only.js\"]}", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
                 "package.json", "src/x.js", "sub/m.js", "sub/only.js", "sub/package.json"},
    },
    {
        .name = "test_packlist__t2_default_and_strict_exclusions",
        .add =
            {
                {".DS_Store", "x", 0, 0},
                {"._foo", "x", 0, 0},
                {".editorconfig", "x", 0, 0},
                {".env", "x", 0, 0},
                {".git/config", "x", 0, 0},
                {".gitignore", "x", 0, 0},
                {".hg", "x", 0, 0},
                {".lock-wscript", "x", 0, 0},
                {".npmignore2", "x", 0, 0},
                {".npmrc", "x", 0, 0},
                {".svn", "x", 0, 0},
                {".wafpickle-7", "x", 0, 0},
                {".x.swp", "x", 0, 0},
                {"CVS", "x", 0, 0},
                {"a.orig", "x", 0, 0},
                {"archived-packages/x.tgz", "x", 0, 0},
                {"b1-1.0.0.tgz", "x", 0, 0},
                {"build/config.gypi", "x", 0, 0},
                {"build/other.txt", "x", 0, 0},
                {"bun.lock", "x", 0, 0},
                {"bun.lockb", "x", 0, 0},
                {"deep/a/node_modules/q/i.js", "x", 0, 0},
                {"node_modules/m/i.js", "x", 0, 0},
                {"npm-debug.log", "x", 0, 0},
                {"npm-shrinkwrap.json", "{}", 0, 0},
                {"package-lock.json", "{}", 0, 0},
                {"pnpm-lock.yaml", "x", 0, 0},
                {"q?.js", "x", 0, 0},
                {"star*name.js", "x", 0, 0},
                {"sub/.DS_Store", "x", 0, 0},
                {"sub/._bar", "x", 0, 0},
                {"sub/.git/y", "x", 0, 0},
                {"sub/.lock-wscript", "x", 0, 0},
                {"sub/.npmrc", "x", 0, 0},
                {"sub/.wafpickle-1", "x", 0, 0},
                {"sub/.y.swp", "x", 0, 0},
                {"sub/CVS/x", "x", 0, 0},
                {"sub/archived-packages/z", "x", 0, 0},
                {"sub/b.orig", "x", 0, 0},
                {"sub/build/config.gypi", "x", 0, 0},
                {"sub/node_modules/x/a.js", "x", 0, 0},
                {"sub/npm-debug.log", "x", 0, 0},
                {"sub/package-lock.json", "{}", 0, 0},
                {"sub/yarn.lock", "x", 0, 0},
                {"yarn.lock", "x", 0, 0},
            },
        .want = {".editorconfig",
                 ".env",
                 ".npmignore2",
                 "LICENSE",
                 "README.md",
                 "b1-1.0.0.tgz",
                 "build/other.txt",
                 "bun.lock",
                 "deep/a/node_modules/q/i.js",
                 "dist/d.js",
                 "dist/d.map",
                 "docs/guide.md",
                 "index.js",
                 "lib/a.js",
                 "lib/b.ts",
                 "lib/secret.js",
                 "lib/sub/s.js",
                 "lib/test/t.js",
                 "npm-shrinkwrap.json",
                 "package.json",
                 "q?.js",
                 "src/x.js",
                 "sub/package-lock.json",
                 "sub/yarn.lock"},
    },
    {
        .name = "test_packlist__t1_always_included_names_and_forced_entries",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\"], \"main\": "
                        "\"src/main.js\", \"bin\": {\"c\": \"scripts/cli.js\"}, \"browser\": "
                        "\"web/browser.js\"}",
        .add =
            {
                {"AUTHORS", "x", 0, 0},         {"CHANGELOG.md", "x", 0, 0},
                {"CONTRIBUTING.md", "x", 0, 0}, {"COPYING", "x", 0, 0},
                {"COPYING.txt", "x", 0, 0},     {"HISTORY.md", "x", 0, 0},
                {"LICENCE", "x", 0, 0},         {"LICENSE-MIT", "x", 0, 0},
                {"LICENSE.txt~", "x", 0, 0},    {"LICENSES", "x", 0, 0},
                {"NOTICE", "x", 0, 0},          {"README", "x", 0, 0},
                {"README$", "x", 0, 0},         {"README.md.bak", "x", 0, 0},
                {"README.md~", "x", 0, 0},      {"README~", "x", 0, 0},
                {"Readme", "x", 0, 0},          {"changelog", "x", 0, 0},
                {"docs/README.md", "x", 0, 0},  {"license.md", "x", 0, 0},
                {"readme.txt", "x", 0, 0},      {"scripts/cli.js", "x", 0, 0},
                {"src/main.js", "x", 0, 0},     {"sub/LICENSE", "x", 0, 0},
                {"web/browser.js", "x", 0, 0},
            },
        .want = {"COPYING", "COPYING.txt", "LICENCE", "LICENSE", "README", "README.md",
                 "README.md.bak", "Readme", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "license.md", "package.json", "readme.txt", "scripts/cli.js",
                 "src/main.js", "web/browser.js"},
    },
    {
        .name = "test_packlist__r1_files_negation_cannot_drop_required_names",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", "
                        "\"!README.md\", \"!LICENSE\", \"!package.json\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__s1_strict_exclusions_beat_files",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\".npmrc\", "
                        "\"package-lock.json\", \"yarn.lock\", \"pnpm-lock.yaml\", \"bun.lockb\", "
                        "\"node_modules\", \"node_modules/foo/i.js\", \".git/config\", "
                        "\"sub/.npmrc\", \".DS_Store\", \"._x\", \".y.swp\", \"x.orig\", "
                        "\"npm-debug.log\", \"build/config.gypi\", \".gitignore\", \".npmignore\", "
                        "\"sub/.gitignore\", \"npm-shrinkwrap.json\"]}",
        .add =
            {
                {".DS_Store", "x", 0, 0},
                {"._x", "x", 0, 0},
                {".git/config", "x", 0, 0},
                {".gitignore", "x", 0, 0},
                {".npmignore", "x", 0, 0},
                {".npmrc", "x", 0, 0},
                {".y.swp", "x", 0, 0},
                {"build/config.gypi", "x", 0, 0},
                {"bun.lockb", "x", 0, 0},
                {"node_modules/foo/i.js", "x", 0, 0},
                {"npm-debug.log", "x", 0, 0},
                {"npm-shrinkwrap.json", "x", 0, 0},
                {"package-lock.json", "x", 0, 0},
                {"pnpm-lock.yaml", "x", 0, 0},
                {"sub/.gitignore", "x", 0, 0},
                {"sub/.npmrc", "x", 0, 0},
                {"x.orig", "x", 0, 0},
                {"yarn.lock", "x", 0, 0},
            },
        .want = {".DS_Store", "._x", ".gitignore", ".npmignore", ".y.swp", "LICENSE", "README.md",
                 "build/config.gypi", "npm-debug.log", "npm-shrinkwrap.json", "package.json",
                 "sub/.gitignore", "x.orig"},
    },
    {
        .name = "test_packlist__s2_npmignore_negation_overrides_defaults_not_strict",
        .add =
            {
                {".DS_Store", "x", 0, 0},
                {"._x", "x", 0, 0},
                {".git/config", "x", 0, 0},
                {".gitignore", "x", 0, 0},
                {".npmignore",
                 "!.DS_Store\n!*.orig\n!.gitignore\n!.npmignore\n!.npmrc\n!package-lock.json\n!"
                 "node_modules\n",
                 0, 0},
                {".npmrc", "x", 0, 0},
                {".y.swp", "x", 0, 0},
                {"build/config.gypi", "x", 0, 0},
                {"bun.lockb", "x", 0, 0},
                {"node_modules/foo/i.js", "x", 0, 0},
                {"npm-debug.log", "x", 0, 0},
                {"npm-shrinkwrap.json", "x", 0, 0},
                {"package-lock.json", "x", 0, 0},
                {"pnpm-lock.yaml", "x", 0, 0},
                {"sub/.gitignore", "x", 0, 0},
                {"sub/.npmrc", "x", 0, 0},
                {"x.orig", "x", 0, 0},
                {"yarn.lock", "x", 0, 0},
            },
        .want = {".DS_Store", ".gitignore", ".npmignore", "LICENSE", "README.md", "dist/d.js",
                 "dist/d.map", "docs/guide.md", "index.js", "lib/a.js", "lib/b.ts", "lib/secret.js",
                 "lib/sub/s.js", "lib/test/t.js", "npm-shrinkwrap.json", "package.json", "src/x.js",
                 "x.orig"},
    },
    {
        .name = "test_packlist__m1_main_forced",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], "
                        "\"main\": \"index.js\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "index.js", "package.json"},
    },
    {
        .name = "test_packlist__m2_main_with_leading_slash_forced",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], "
                        "\"main\": \"/index.js\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "index.js", "package.json"},
    },
    {
        .name = "test_packlist__m3_main_matched_without_case",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], "
                        "\"main\": \"Index.js\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "index.js", "package.json"},
    },
    {
        .name = "test_packlist__m4_main_with_dot_slash_not_forced",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], "
                        "\"main\": \"./index.js\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json"},
    },
    {
        .name = "test_packlist__m5_main_without_extension_not_resolved",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"index\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json"},
    },
    {
        .name = "test_packlist__m6_main_folder_not_expanded",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"lib\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json"},
    },
    {
        .name = "test_packlist__m7_main_folder_with_slash_not_expanded",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"lib/\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json"},
    },
    {
        .name = "test_packlist__b1_browser_string_forced",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], "
                        "\"browser\": \"docs/guide.md\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md",
                 "package.json"},
    },
    {
        .name = "test_packlist__b2_browser_with_dot_slash_not_forced",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], "
                        "\"browser\": \"./src/x.js\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json"},
    },
    {
        .name = "test_packlist__b3_browser_object_ignored",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], "
                        "\"browser\": {\"a\": \"b\"}}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json"},
    },
    {
        .name = "test_packlist__bin1_bin_string_forced",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"bin\": "
                        "\"src/x.js\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__bin2_bin_object_normalized",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"bin\": "
                        "{\"x\": \"./src/x.js\"}}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__bin3_bin_dotdot_normalized",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"bin\": "
                        "{\"x\": \"src/../src/x.js\"}}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__bin4_bin_leading_slash_normalized",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"bin\": "
                        "{\"x\": \"/src/x.js\"}}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__bd_directories_bin_expanded",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], "
                        "\"directories\": {\"bin\": \"docs\"}}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md",
                 "package.json"},
    },
    {
        .name = "test_packlist__man_types_module_never_forced",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"man\": "
                        "\"docs/guide.md\", \"types\": \"src/x.js\", \"module\": \"src/x.js\"}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json"},
    },
    {
        .name = "test_packlist__h2_main_reenters_gitignored_folder",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"main\": \"dist/d.js\"}",
        .add =
            {
                {".gitignore", "dist\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
                 "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__h3_main_reenters_gitignored_folder_with_slash_rule",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"main\": \"dist/d.js\"}",
        .add =
            {
                {".gitignore", "dist/\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
                 "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__h4_folder_star_rule_keeps_only_main",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"main\": \"dist/d.js\"}",
        .add =
            {
                {".gitignore", "dist/*\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "docs/guide.md", "index.js", "lib/a.js",
                 "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
                 "src/x.js"},
    },
    {
        .name = "test_packlist__f94a676_files_folder",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__f7bd222_files_folder_with_slash",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__fbca211_files_dot_slash_folder",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"./lib\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__fbc7249_files_slash_folder",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"/lib\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__f43eb9d_files_folder_star_becomes_globstar",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/*\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__fd490e1_files_star_js_one_level",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/*.js\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/secret.js", "package.json"},
    },
    {
        .name = "test_packlist__fd91f06_files_globstar_js_under_lib",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/**/*.js\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__f6ac99d_files_globstar_js_everywhere",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"**/*.js\"]}",
        .want = {"LICENSE", "README.md", "dist/d.js", "index.js", "lib/a.js", "lib/secret.js",
                 "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__fa9b3d2_files_star_js_root_only",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"*.js\"]}",
        .want = {"LICENSE", "README.md", "index.js", "package.json"},
    },
    {
        .name = "test_packlist__f45133f_files_pattern_matching_folder_adds_nothing",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"li*\"]}",
        .want = {"LICENSE", "README.md", "package.json"},
    },
    {
        .name = "test_packlist__f8e3725_files_folder_glob_with_slash_adds_nothing",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/*/\"]}",
        .want = {"LICENSE", "README.md", "package.json"},
    },
    {
        .name = "test_packlist__f11ab8b_files_globstar_folder_adds_nothing",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"**/test\"]}",
        .want = {"LICENSE", "README.md", "package.json"},
    },
    {
        .name = "test_packlist__f20e553_files_brace_folders_add_nothing",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"{lib,src}\"]}",
        .want = {"LICENSE", "README.md", "package.json"},
    },
    {
        .name = "test_packlist__f8bfcf4_files_brace_globstar",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"{lib,src}/**\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__f21edb2_files_negated_subfolder",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!lib/test\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "package.json"},
    },
    {
        .name = "test_packlist__f753131_files_negated_file",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!lib/secret.js\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/sub/s.js", "lib/test/t.js",
                 "package.json"},
    },
    {
        .name = "test_packlist__f237fa7_files_negated_globstar_file",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!**/secret.js\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/sub/s.js", "lib/test/t.js",
                 "package.json"},
    },
    {
        .name = "test_packlist__f72b904_files_negated_basename_any_depth",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!secret.js\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/sub/s.js", "lib/test/t.js",
                 "package.json"},
    },
    {
        .name = "test_packlist__fc8cab1_files_negation_first_still_wins",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"!lib/a.js\", \"lib\"]}",
        .want = {"LICENSE", "README.md", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__f404030_files_negated_extension",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!lib/**/*.ts\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json"},
    },
    {
        .name = "test_packlist__febc9c4_files_folder_then_its_negation",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"docs\", \"!docs\"]}",
        .want = {"LICENSE", "README.md", "package.json"},
    },
    {
        .name = "test_packlist__fc5a362_files_wrong_case_folder_adds_nothing",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"LIB\"]}",
        .want = {"LICENSE", "README.md", "package.json"},
    },
    {
        .name = "test_packlist__f333fb9_files_wrong_case_file_matches",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"Index.JS\"]}",
        .want = {"LICENSE", "README.md", "index.js", "package.json"},
    },
    {
        .name = "test_packlist__f280863_files_missing_entry_ignored",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"nonexistent.js\", "
                        "\"lib/a.js\"]}",
        .want = {"LICENSE", "README.md", "lib/a.js", "package.json"},
    },
    {
        .name = "test_packlist__f3ea35d_files_dot_adds_nothing",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\".\"]}",
        .want = {"LICENSE", "README.md", "package.json"},
    },
    {
        .name = "test_packlist__f22b770_files_dot_slash_packs_everything",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"./\"]}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
                 "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__f9ef1fb_files_dotdot_resolved",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/../src\"]}",
        .want = {"LICENSE", "README.md", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__f58e049_files_empty_array",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": []}",
        .want = {"LICENSE", "README.md", "package.json"},
    },
    {
        .name = "test_packlist__fs1_files_string_iterates_characters",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": \"lib\"}",
        .want = {"LICENSE", "README.md", "package.json"},
    },
    {
        .name = "test_packlist__files_empty_string_entry_packs_everything",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"\"]}",
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
                 "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__h1_required_file_beats_nested_gitignore",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist/d.js\"]}",
        .add =
            {
                {"dist/.gitignore", "*\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "package.json"},
    },
    {
        .name = "test_packlist__t4_symlinks_dropped_empty_file_kept",
        .add =
            {
                {"abs.js", "/etc/passwd", 0, 0120000},
                {"empty.txt", "", 0, 0},
                {"real.js", "x", 0, 0},
                {"sym.js", "real.js", 0, 0120000},
                {"symdir", "symdir-target", 0, 0120000},
                {"symdir-target/f.js", "x", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "empty.txt",
                 "index.js", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
                 "lib/test/t.js", "package.json", "real.js", "src/x.js", "symdir-target/f.js"},
    },
    {
        .name = "test_packlist__sl_symlinks_in_files_and_main_dropped",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"link.js\", "
                        "\"linkdir\", \"dist\"], \"main\": \"link.js\"}",
        .add =
            {
                {"link.js", "real.js", 0, 0120000},
                {"linkdir", "lib", 0, 0120000},
                {"real.js", "x", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json"},
    },
    {
        .name = "test_packlist__odd_names_kept_star_names_dropped",
        .add =
            {
                {"@root.js", "x", 0, 0},
                {"@scope/x/i.js", "x", 0, 0},
                {"a b.js", "x", 0, 0},
                {"a@b.js", "x", 0, 0},
                {"q?.js", "x", 0, 0},
                {"st*r.js", "x", 0, 0},
                {"st*r/x.js", "x", 0, 0},
                {"ünï/café.js", "x", 0, 0},
            },
        .want = {"@root.js", "@scope/x/i.js", "LICENSE", "README.md", "a b.js", "a@b.js",
                 "dist/d.js", "dist/d.map", "docs/guide.md", "index.js", "lib/a.js", "lib/b.ts",
                 "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json", "q?.js",
                 "src/x.js", "ünï/café.js"},
    },
    {
        .name = "test_packlist__t6_exec_bit_follows_is_package_bin_quirk",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"bin\": {\"a\": \"cli.js\", "
                        "\"b\": \"bin/b.js\"}}",
        .add =
            {
                {"bin/b.js", "x", 0, 0},
                {"cli.js", "x", 0, 0},
                {"other/cli.js", "x", 0, 0},
                {"x/bin/b.js", "x", 0, 0},
            },
        .want = {"LICENSE", "README.md", "bin/b.js", "cli.js", "dist/d.js", "dist/d.map",
                 "docs/guide.md", "index.js", "lib/a.js", "lib/b.ts", "lib/secret.js",
                 "lib/sub/s.js", "lib/test/t.js", "other/cli.js", "package.json", "src/x.js",
                 "x/bin/b.js"},
        .exec = {"cli.js", "other/cli.js", "x/bin/b.js"},
    },
    {
        .name = "test_packlist__at_names_starting_with_at_get_bin_exec",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"bin\": {\"a\": \"@root.js\", "
                        "\"b\": \"@scope/x/i.js\"}}",
        .add =
            {
                {"@root.js", "x", 0, 0},
                {"@scope/x/i.js", "x", 0, 0},
            },
        .want = {"@root.js", "@scope/x/i.js", "LICENSE", "README.md", "dist/d.js", "dist/d.map",
                 "docs/guide.md", "index.js", "lib/a.js", "lib/b.ts", "lib/secret.js",
                 "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js"},
        .exec = {"@root.js", "@scope/x/i.js"},
    },
    {
        .name = "test_packlist__ws_workspaces_make_nested_package_json_an_ignore_file",
        .package_json =
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"workspaces\": [\"packages/*\"]}",
        .add =
            {
                {"other/.npmignore", "o.js\n", 0, 0},
                {"other/o.js", "x", 0, 0},
                {"packages/a/.npmignore", "x.js\n", 0, 0},
                {"packages/a/package.json", "{\"name\": \"a\", \"version\": \"1.0.0\"}", 0, 0},
                {"packages/a/x.js", "x", 0, 0},
                {"packages/a/y.js", "x", 0, 0},
            },
        .want = {"LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "index.js",
                 "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
                 "package.json", "packages/a/package.json", "packages/a/x.js", "packages/a/y.js",
                 "src/x.js"},
    },
    {
        .name = "test_packlist__nocase_rules_match_any_case",
        .add =
            {
                {".npmignore", "DIST\n*.MAP\nLib/Sub\n", 0, 0},
            },
        .want = {"LICENSE", "README.md", "docs/guide.md", "index.js", "lib/a.js", "lib/b.ts",
                 "lib/secret.js", "lib/test/t.js", "package.json", "src/x.js"},
    },
    {
        .name = "test_packlist__nm_root_node_modules_strict_nested_kept",
        .package_json = "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", "
                        "\"node_modules\"], \"bundleDependencies\": [\"a\"]}",
        .add =
            {
                {"lib/node_modules/b/i.js", "x", 0, 0},
                {"node_modules/a/i.js", "x", 0, 0},
            },
        .want = {"LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/node_modules/b/i.js",
                 "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json"},
    },
};

/* One row: build its tree from the base and compare what is packed with its expectation. */
static void run_case(void **state)
{
    const pack_case *c = *state;
    sgt_file files[SG_ARRAY_N(base_files) + 1 + SG_ARRAY_N(c->add)];
    size_t n = 0, nwant = 0, nexec = 0, i;

    for (i = 0; i < SG_ARRAY_N(base_files); i++)
        if (!c->drop || strcmp(c->drop, base_files[i]) != 0)
            files[n++] = (sgt_file){base_files[i], "x", 0, 0};
    files[n++] = (sgt_file){"package.json", c->package_json ? c->package_json : PJ_BASE, 0, 0};
    for (i = 0; i < SG_ARRAY_N(c->add) && c->add[i].path; i++)
        files[n++] = c->add[i];
    while (nwant < SG_ARRAY_N(c->want) && c->want[nwant])
        nwant++;
    while (nexec < SG_ARRAY_N(c->exec) && c->exec[nexec])
        nexec++;
    check_case(files, n, c->want, nwant, c->exec, nexec);
}

/* ---- more behaviour ---- */

static void test_packlist__disk_exec_bit_is_kept(void **state)
{
    static const sgt_file files[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\"}", 0, 0},
        {"run.sh", "#!/bin/sh\n", 0, 0755},
        {"lib/x.js", "x", 0, 0644},
    };
    static const char *const want[] = {"package.json", "run.sh", "lib/x.js"};
    static const char *const exec[] = {"run.sh"};
    (void)state;
    check_case(files, SG_ARRAY_N(files), want, SG_ARRAY_N(want), exec, 1);
}

/* §1.8: `cd packages/foo && npm pack` with the root .gitignore (dist, *.log) and
 * packages/.gitignore (src) handed in as ancestor ignore files. */
static void test_packlist__ancestor_ignore_files_are_default_rules(void **state)
{
    static const sgt_file files[] = {
        {"package.json", "{\"name\":\"foo\",\"version\":\"1.0.0\"}", 0, 0},
        {"i.js", "x", 0, 0},
        {"dist/d.js", "x", 0, 0},
        {"src/s.js", "x", 0, 0},
        {"x.log", "x", 0, 0},
    };
    static const char *const want[] = {"i.js", "package.json"};
    static const char *const all[] = {"dist/d.js", "i.js", "package.json", "src/s.js", "x.log"};
    const char *anc[] = {"dist\n*.log\n", "src\n"};
    sg_packlist_opts opts = SG_PACKLIST_OPTS_INIT;
    (void)state;
    opts.ancestor_ignores = anc;
    opts.ancestor_ignore_count = 2;
    check_case_opts(files, SG_ARRAY_N(files), want, SG_ARRAY_N(want), NULL, 0, &opts);
    /* `npm pack ./packages/foo` from the root: no ancestor files */
    check_case_opts(files, SG_ARRAY_N(files), all, SG_ARRAY_N(all), NULL, 0, NULL);
}

static void test_packlist__submodule_is_an_empty_folder(void **state)
{
    static const sgt_file files[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\",\"files\":[\"vendor\",\"a.js\"]}",
         0, 0},
        {"a.js", "x", 0, 0},
        {"vendor", "0123456789012345678901234567890123456789", 0, 0160000},
    };
    static const char *const want[] = {"a.js", "package.json"};
    (void)state;
    check_case(files, SG_ARRAY_N(files), want, SG_ARRAY_N(want), NULL, 0);
}

static void test_packlist__symlinked_npmignore_is_followed_inside_the_tree(void **state)
{
    static const sgt_file files[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\"}", 0, 0},
        {".npmignore", "rules/npm.txt", 0, 0120000},
        {"rules/npm.txt", "*.map\nrules\n", 0, 0},
        {"a.js", "x", 0, 0},
        {"a.map", "x", 0, 0},
    };
    static const char *const want[] = {"a.js", "package.json"};
    (void)state;
    check_case(files, SG_ARRAY_N(files), want, SG_ARRAY_N(want), NULL, 0);
}

static int pack_error(const sgt_file *files, size_t n, sg_ctx *ctx)
{
    sg_tree *src = sgt_tree(files, n), *out = NULL;
    int rc = sg_packlist_npm(&out, ctx, src, NULL);
    if (rc == 0)
        assert_non_null(out);
    else
        assert_null(out);
    sg_tree_free(out);
    sg_tree_free(src);
    return rc;
}

static void test_packlist__errors_without_or_with_bad_package_json(void **state)
{
    static const sgt_file none[] = {{"a.js", "x", 0, 0}};
    static const sgt_file array[] = {{"package.json", "[1,2]", 0, 0}};
    static const sgt_file broken[] = {{"package.json", "{\"name\":", 0, 0}};
    static const sgt_file files_obj[] = {{"package.json", "{\"files\":{\"a\":1}}", 0, 0}};
    static const sgt_file files_num[] = {{"package.json", "{\"files\":5}", 0, 0}};
    static const sgt_file files_int[] = {{"package.json", "{\"files\":[\"a\",1]}", 0, 0}};
    static const sgt_file folder[] = {{"package.json", "{}", 0, 0},
                                      {"lib/.npmignore/x", "x", 0, 0}};
    static const sgt_file bom[] = {{"package.json", "\xEF\xBB\xBF{\"files\":[]}", 0, 0},
                                   {"a.js", "x", 0, 0}};
    sg_ctx *ctx = NULL;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(pack_error(none, 1, ctx), SG_ENOTFOUND);
    sg_error_clear(ctx);
    assert_int_equal(pack_error(array, 1, ctx), SG_EINVALID);
    sg_error_clear(ctx);
    assert_true(pack_error(broken, 1, ctx) < 0);
    sg_error_clear(ctx);
    assert_int_equal(pack_error(files_obj, 1, ctx), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "files"));
    sg_error_clear(ctx);
    assert_int_equal(pack_error(files_num, 1, ctx), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(pack_error(files_int, 1, ctx), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(pack_error(folder, 2, ctx), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "'lib/.npmignore'"));
    sg_error_clear(ctx);
    assert_int_equal(pack_error(bom, 2, ctx), 0);
    sg_ctx_free(ctx);
}

static void test_packlist__rule_count_limit(void **state)
{
    sgt_file files[2] = {{"package.json", "{}", 0, 0}, {".npmignore", NULL, 0, 0}};
    char *rules = malloc(200000);
    size_t n = 0, i;
    sg_ctx *ctx = NULL;
    (void)state;
    for (i = 0; i < 20000; i++)
        n += (size_t)snprintf(rules + n, 200000 - n, "r%zu\n", i);
    files[1].content = rules;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(pack_error(files, 2, ctx), SG_ELIMIT);
    sg_error_clear(ctx);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_IGNORE_RULES, 30000), 0);
    assert_int_equal(pack_error(files, 2, ctx), 0);
    free(rules);
    sg_ctx_free(ctx);
}

static void test_packlist__hostile_patterns_fail_cleanly(void **state)
{
    sgt_file files[3] = {
        {"package.json", "{}", 0, 0}, {".npmignore", NULL, 0, 0}, {"a.js", "x", 0, 0}};
    char *rules = malloc(4096);
    size_t n = 0, i;
    sg_ctx *ctx = NULL;
    (void)state;
    for (i = 0; i < 24; i++)
        n += (size_t)snprintf(rules + n, 4096 - n, "{a,b}");
    rules[n++] = '\n';
    rules[n] = '\0';
    files[1].content = rules;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(pack_error(files, 3, ctx), SG_ELIMIT);
    assert_non_null(strstr(sg_error_message(ctx), ".npmignore"));
    free(rules);
    sg_ctx_free(ctx);
}

/* Every allocation failure is reported as an error; nothing crashes or leaks (ASan builds). */
static void test_packlist__survives_allocation_failures(void **state)
{
    static const sgt_file files[] = {
        {"package.json",
         "{\"name\":\"p\",\"version\":\"1.0.0\",\"files\":[\"lib\",\"a.js\",\"!lib/x\"],"
         "\"bin\":{\"b\":\"a.js\"},\"main\":\"m.js\"}",
         0, 0},
        {".npmignore", "*.map\n!keep.map\n+(a|b).js\n{x,y}/**\n", 0, 0},
        {"lib/.gitignore", "gen/\n", 0, 0},
        {"lib/x/a.js", "x", 0, 0},
        {"lib/gen/g.js", "x", 0, 0},
        {"a.js", "x", 0, 0},
        {"m.js", "x", 0, 0},
        {"README.md", "x", 0, 0},
    };
    sg_tree *src = sgt_tree(files, SG_ARRAY_N(files));
    sg_ctx *ctx = NULL;
    long n;
    int ok = 0;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    for (n = 0; n < 5000 && !ok; n++) {
        sg_tree *out = NULL;
        sg_gitignore *gi = NULL;
        int rc, ig;
        sg_alloc__fail_after(n);
        rc = sg_packlist_npm(&out, ctx, src, NULL);
        if (rc == 0 && sg_gitignore_new(&gi, ctx, src) == 0) {
            ok = sg_gitignore_match(&ig, ctx, gi, "lib/gen/g.js", 0) == 0;
            sg_gitignore_free(gi);
        }
        sg_alloc__fail_after(-1);
        if (rc < 0)
            assert_null(out);
        else
            assert_int_equal(sg_tree_count(out), 4);
        sg_tree_free(out);
        sg_error_clear(ctx);
    }
    assert_true(ok);
    sg_tree_free(src);
    sg_ctx_free(ctx);
}

/* ---- git's ignore rules ---- */

typedef struct gi_case {
    const char *path; /* queried path */
    int is_dir;       /* queried as a folder */
    int ignored;      /* what `git check-ignore --no-index` says (git 2.39) */
} gi_case;

static void check_gitignore(const sgt_file *files, size_t n, const gi_case *cases, size_t nc)
{
    sg_ctx *ctx = NULL;
    sg_tree *t = sgt_tree(files, n);
    sg_gitignore *gi = NULL;
    size_t i, bad = 0;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_gitignore_new(&gi, ctx, t), 0);
    for (i = 0; i < nc; i++) {
        int ig = -1;
        if (sg_gitignore_match(&ig, ctx, gi, cases[i].path, cases[i].is_dir) < 0)
            fail_msg("match %s: %s", cases[i].path, sg_error_message(ctx));
        if (ig != cases[i].ignored) {
            print_error("'%s'%s: ignored=%d, git says %d\n", cases[i].path,
                        cases[i].is_dir ? " (folder)" : "", ig, cases[i].ignored);
            bad++;
        }
    }
    sg_gitignore_free(gi);
    sg_tree_free(t);
    sg_ctx_free(ctx);
    assert_int_equal(bad, 0);
}

static void test_gitignore__basename_anchored_and_folder_rules(void **state)
{
    static const sgt_file files[] = {
        {".gitignore", "dist\n/build\n*.log\nout/\ndocs/*.tmp\n", 0, 0},
        {"lib/.gitignore", "gen/\n/local.js\n", 0, 0},
    };
    static const gi_case cases[] = {
        {"dist/index.js", 0, 1},
        {"lib/dist/x.js", 0, 1},
        {"build/x.js", 0, 1},
        {"lib/build/x.js", 0, 0},
        {"a.log", 0, 1},
        {"lib/deep/a.log", 0, 1},
        {"out", 0, 0},
        {"out", 1, 1},
        {"out/x", 0, 1},
        {"docs/a.tmp", 0, 1},
        {"lib/docs/a.tmp", 0, 0},
        {"lib/gen/x.js", 0, 1},
        {"lib/local.js", 0, 1},
        {"lib/x/local.js", 0, 0},
        {"local.js", 0, 0},
        {"src/index.js", 0, 0},
        {"DIST/x.js", 0, 0},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

static void test_gitignore__negation_cannot_reinclude_below_excluded_folder(void **state)
{
    static const sgt_file files[] = {
        {".gitignore", "lib\n!lib/a.js\nlogs/*\n!logs/keep.txt\n*.map\n", 0, 0},
        {"src/.gitignore", "!x.map\n", 0, 0},
    };
    static const gi_case cases[] = {
        {"lib/a.js", 0, 1}, {"lib/b.js", 0, 1},  {"logs/keep.txt", 0, 0}, {"logs/other.txt", 0, 1},
        {"a.map", 0, 1},    {"src/x.map", 0, 0}, {"src/y.map", 0, 1},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

static void test_gitignore__globstar_escapes_spaces_and_prefix_quirk(void **state)
{
    static const sgt_file files[] = {
        {".gitignore",
         "a/**/b\n**/tmp\nx/**\n\\#h\n\\!bang\nsp\\ \ntrail   \n  lead\nfoo**/bar\n[ab]?.c\n# c\n",
         0, 0},
    };
    static const gi_case cases[] = {
        {"a/b", 0, 1},   {"a/x/y/b", 0, 1}, {"a/xb", 0, 0},    {"q/tmp", 0, 1},
        {"tmp", 0, 1},   {"x/y/z", 0, 1},   {"x", 0, 0},       {"#h", 0, 1},
        {"!bang", 0, 1}, {"sp ", 0, 1},     {"sp", 0, 0},      {"trail", 0, 1},
        {"lead", 0, 0},  {"  lead", 0, 1},  {"foo/bar", 0, 1}, {"foox/y/bar", 0, 1},
        {"ax.c", 0, 1},  {"cx.c", 0, 0},    {"# c", 0, 0},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

static void test_gitignore__crlf_bom_and_deeper_file_wins(void **state)
{
    static const sgt_file files[] = {
        {".gitignore", "\xEF\xBB\xBF*.gen\r\n!keep.gen\r\n", 0, 0},
        {"a/.gitignore", "keep.gen\n", 0, 0},
        {"b/.gitignore", "!*.gen\n", 0, 0},
    };
    static const gi_case cases[] = {
        {"x.gen", 0, 1},   {"keep.gen", 0, 0}, {"a/keep.gen", 0, 1},
        {"b/y.gen", 0, 0}, {"c/y.gen", 0, 1},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

static void test_gitignore__symlinked_gitignore_not_read_and_case_sensitive(void **state)
{
    static const sgt_file files[] = {
        {".gitignore", "real.txt", 0, 0120000},
        {"real.txt", "*.js\n", 0, 0},
        {"sub/.gitignore", "Build/\n", 0, 0},
    };
    static const gi_case cases[] = {
        {"a.js", 0, 0},
        {"sub/Build/x", 0, 1},
        {"sub/build/x", 0, 0},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

int main(void)
{
    const struct CMUnitTest more[] = {
        cmocka_unit_test(test_packlist__disk_exec_bit_is_kept),
        cmocka_unit_test(test_packlist__ancestor_ignore_files_are_default_rules),
        cmocka_unit_test(test_packlist__submodule_is_an_empty_folder),
        cmocka_unit_test(test_packlist__symlinked_npmignore_is_followed_inside_the_tree),
        cmocka_unit_test(test_packlist__errors_without_or_with_bad_package_json),
        cmocka_unit_test(test_packlist__rule_count_limit),
        cmocka_unit_test(test_packlist__hostile_patterns_fail_cleanly),
        cmocka_unit_test(test_packlist__survives_allocation_failures),
        cmocka_unit_test(test_gitignore__basename_anchored_and_folder_rules),
        cmocka_unit_test(test_gitignore__negation_cannot_reinclude_below_excluded_folder),
        cmocka_unit_test(test_gitignore__globstar_escapes_spaces_and_prefix_quirk),
        cmocka_unit_test(test_gitignore__crlf_bom_and_deeper_file_wins),
        cmocka_unit_test(test_gitignore__symlinked_gitignore_not_read_and_case_sensitive),
    };
    struct CMUnitTest *tests = calloc(SG_ARRAY_N(rows) + SG_ARRAY_N(more), sizeof(*tests));
    size_t i, n = 0;
    int rc;

    if (!tests)
        return 1;
    for (i = 0; i < SG_ARRAY_N(rows); i++)
        tests[n++] = (struct CMUnitTest){rows[i].name, run_case, NULL, NULL, (void *)&rows[i]};
    for (i = 0; i < SG_ARRAY_N(more); i++)
        tests[n++] = more[i];
    rc = _cmocka_run_group_tests("test_packlist", tests, n, NULL, NULL);
    free(tests);
    return rc;
}
