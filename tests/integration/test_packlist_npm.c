/*
 * Differential test: sg_packlist_npm() against the real `npm pack --dry-run --json` (npm 11).
 *
 * Every case is a package folder, written to disk for npm and built as an in-memory tree for
 * sourcegate; the sorted file lists and the executable bits (npm's JSON `mode`) must agree.
 * Cases come from a table covering NPM-PACK.md §1 (files variants, nested ignore files and
 * their precedence, defaults, strict rules, forced main/bin/browser, odd names, case, nested
 * node_modules, symlinks, workspaces) plus trees drawn by a seeded generator. Skipped when npm
 * is not on PATH.
 */
#include "sg_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 64

typedef struct dcase {
    const char *name;          /* what the case exercises */
    int base;                  /* include the NPM-PACK.md §0 fixture */
    int npm_fails;             /* npm refuses the package; sourcegate must return an error */
    sgt_file files[MAX_FILES]; /* package.json included; ends at a NULL path */
} dcase;

#define PJ(extra)                                                                                  \
    {                                                                                              \
        "package.json", "{\"name\":\"p\",\"version\":\"1.0.0\"" extra "}", 0, 0                    \
    }
#define F(p)                                                                                       \
    {                                                                                              \
        p, "x", 0, 0                                                                               \
    }
#define FC(p, c)                                                                                   \
    {                                                                                              \
        p, c, 0, 0                                                                                 \
    }
#define FX(p)                                                                                      \
    {                                                                                              \
        p, "#!/bin/sh\n", 0, 0755                                                                  \
    }
#define LN(p, t)                                                                                   \
    {                                                                                              \
        p, t, 0, 0120000                                                                           \
    }

static const sgt_file base_files[] = {
    F("index.js"),  F("README.md"),     F("LICENSE"),      F("lib/a.js"),
    F("lib/b.ts"),  F("lib/secret.js"), F("lib/sub/s.js"), F("lib/test/t.js"),
    F("dist/d.js"), F("dist/d.map"),    F("src/x.js"),     F("docs/guide.md"),
};

static const dcase table[] = {
    {"g14 comments, whitespace, escapes, CRLF",
     1,
     0,
     {PJ(""), FC(".npmignore", "# comment\n  dist  \n\\#x\r\nsrc\r\n"), F("#x")}},
    {"g10 anchored and bare names",
     1,
     0,
     {PJ(""), FC(".npmignore", "/index.js\nsub\n"), F("x/index.js")}},
    {"n1-n3 anchoring to the ignore file's folder",
     1,
     0,
     {PJ(""), FC(".npmignore", "sub/s.js\n"), FC("lib/.npmignore", "/test\ntest/t.js\n"),
      F("test/t.js")}},
    {"g11 nocase rules, required names survive",
     1,
     0,
     {PJ(""), FC(".npmignore", "*.JS\nreadme.md\nlicense\npackage.json\n")}},
    {"g8 directory-exclusion quirk", 1, 0, {PJ(""), FC(".npmignore", "lib\n!lib/a.js\n")}},
    {"g9 folder star then negation", 1, 0, {PJ(""), FC(".npmignore", "lib/*\n!lib/a.js\n")}},
    {"n8/n7 nested negations",
     1,
     0,
     {PJ(""), FC(".npmignore", "dist/\n*.ts\n"), FC("dist/.npmignore", "!d.js\n"),
      FC("lib/.npmignore", "!b.ts\n")}},
    {"g2/n9 .npmignore (even empty) replaces .gitignore",
     1,
     0,
     {PJ(""), FC(".gitignore", "dist\n"), FC(".npmignore", ""), FC("lib/.gitignore", "a.js\n")}},
    {"g3-g6 files with nested ignore files",
     1,
     0,
     {PJ(",\"files\":[\"lib\",\"dist\"]"), FC(".gitignore", "dist\n"),
      FC(".npmignore", "lib/secret.js\n"), FC("dist/.gitignore", "*.map\n"),
      FC("lib/.npmignore", "secret.js\n"), FC("lib/.gitignore", "a.js\n")}},
    {"np nested package.json files ignored",
     1,
     0,
     {PJ(""), FC("sub/package.json", "{\"files\":[\"only.js\"]}"),
      FC("sub/.npmignore", "other.js\n"), F("sub/m.js"), F("sub/only.js"), F("sub/other.js")}},
    {"t2 default exclusions at every level",
     0,
     0,
     {PJ(""),
      F(".DS_Store"),
      F("._foo"),
      F(".git/config"),
      F(".hg"),
      F("CVS"),
      F(".lock-wscript"),
      F(".npmrc"),
      F(".wafpickle-7"),
      F(".x.swp"),
      F("a.orig"),
      F("archived-packages/x.tgz"),
      F("build/config.gypi"),
      F("npm-debug.log"),
      F("star*name.js"),
      F("node_modules/m/i.js"),
      FC("package-lock.json", "{}"),
      F("yarn.lock"),
      F("pnpm-lock.yaml"),
      F("bun.lockb"),
      F("sub/.npmrc"),
      F("sub/npm-debug.log"),
      F("sub/.y.swp"),
      F("sub/._bar"),
      F("sub/b.orig"),
      F("sub/.wafpickle-1"),
      F("sub/CVS/x"),
      F("sub/.git/y"),
      F("sub/build/config.gypi"),
      F("sub/archived-packages/z"),
      F("bun.lock"),
      FC("npm-shrinkwrap.json", "{}"),
      F(".env"),
      F("q?.js"),
      F("build/other.txt"),
      FC("sub/package-lock.json", "{}"),
      F("sub/yarn.lock"),
      F("sub/node_modules/x/a.js"),
      F("deep/a/node_modules/q/i.js"),
      F("b1-1.0.0.tgz")}},
    {"t1 always-included names and forced entries",
     1,
     0,
     {PJ(",\"files\":[\"lib\"],\"main\":\"src/main.js\",\"bin\":{\"c\":\"scripts/cli.js\"},"
         "\"browser\":\"web/browser.js\""),
      F("README"), F("Readme"), F("README.md.bak"), F("readme.txt"), F("LICENCE"), F("COPYING.txt"),
      F("README~"), F("README$"), F("LICENSE.txt~"), F("LICENSE-MIT"), F("LICENSES"),
      F("CHANGELOG.md"), F("NOTICE"), F("docs/README.md"), F("sub/LICENSE"), F("src/main.js"),
      F("scripts/cli.js"), F("web/browser.js")}},
    {"r1/s1 strict rules beat files",
     0,
     0,
     {PJ(",\"files\":[\"lib\",\"!README.md\",\"!package.json\",\".npmrc\",\"package-lock.json\","
         "\"node_modules\",\".git/config\",\".DS_Store\",\"x.orig\",\".gitignore\",\"sub/"
         ".gitignore\","
         "\"npm-shrinkwrap.json\"]"),
      F("README.md"), F("lib/a.js"), F(".npmrc"), FC("package-lock.json", "{}"),
      F("node_modules/foo/i.js"), F(".git/config"), F(".DS_Store"), F("x.orig"), F(".gitignore"),
      F("sub/.gitignore"), FC("npm-shrinkwrap.json", "{}")}},
    {"s2 .npmignore negations against defaults and strict",
     0,
     0,
     {PJ(""),
      FC(".npmignore", "!.DS_Store\n!*.orig\n!.gitignore\n!.npmignore\n!.npmrc\n!node_modules\n"),
      F(".DS_Store"), F("x.orig"), F(".gitignore"), F(".npmrc"), F("node_modules/m/i.js")}},
    {"forced main variants", 1, 0, {PJ(",\"files\":[\"dist\"],\"main\":\"Index.js\"")}},
    {"main with ./ is not forced", 1, 0, {PJ(",\"files\":[\"dist\"],\"main\":\"./index.js\"")}},
    {"browser object ignored, browser string forced",
     1,
     0,
     {PJ(",\"files\":[\"dist\"],\"browser\":\"docs/guide.md\",\"main\":\"lib\"")}},
    {"bin normalization",
     1,
     0,
     {PJ(",\"files\":[\"dist\"],\"bin\":{\"x\":\"src/../src/x.js\",\"y\":\"/lib/a.js\",\"z\":5}")}},
    {"bin array and string name",
     1,
     0,
     {PJ(",\"files\":[\"dist\"],\"bin\":[\"./lib/b.ts\",\"lib/sub/s.js\"]")}},
    {"directories.bin expansion",
     1,
     0,
     {PJ(",\"files\":[\"dist\"],\"directories\":{\"bin\":\"lib\"}")}},
    {"h2 main re-enters a gitignored folder",
     1,
     0,
     {PJ(",\"main\":\"dist/d.js\""), FC(".gitignore", "dist/\n")}},
    {"files: ./lib, lib/*, lib/*.js, **/*.js",
     1,
     0,
     {PJ(",\"files\":[\"./lib/sub\",\"lib/test/*\",\"lib/*.js\",\"**/*.map\"]")}},
    {"files: *.js, li*, {lib,src}, **/test add no folders",
     1,
     0,
     {PJ(",\"files\":[\"*.js\",\"li*\",\"{lib,src}\",\"**/test\"]")}},
    {"files: negations and order",
     1,
     0,
     {PJ(",\"files\":[\"!lib/a.js\",\"lib\",\"!**/*.ts\",\"!secret.js\",\"docs\",\"!docs\"]")}},
    {"files: wrong case, missing, dotdot, dot",
     1,
     0,
     {PJ(",\"files\":[\"LIB\",\"Index.JS\",\"nonexistent.js\",\"lib/../src\",\".\"]")}},
    {"files: ./ packs everything", 1, 0, {PJ(",\"files\":[\"./\"]")}},
    {"files: a string iterates characters", 1, 0, {PJ(",\"files\":\"lib\""), F("l")}},
    {"files: an object fails", 1, 1, {PJ(",\"files\":{\"a\":1}")}},
    {"h1 required file beats nested gitignore",
     1,
     0,
     {PJ(",\"files\":[\"dist/d.js\",\"lib/sub\"]"), FC("dist/.gitignore", "*\n"),
      FC("lib/sub/.npmignore", "*\n")}},
    {"t4/sl symlinks dropped everywhere",
     0,
     0,
     {PJ(",\"files\":[\"link.js\",\"linkdir\",\"real.js\",\"empty.txt\"],\"main\":\"link.js\""),
      LN("link.js", "real.js"), F("real.js"), LN("linkdir", "dir"), F("dir/f.js"),
      LN("abs.js", "/etc/passwd"), FC("empty.txt", ""), LN("README.md", "real.js")}},
    {"odd names",
     0,
     0,
     {PJ(""), F("q?.js"), F("a b.js"), F("a@b.js"), F("@root.js"), F("@scope/x/i.js"),
      F("\xc3\xbcn\xc3\xaf/caf\xc3\xa9.js"), F("st*r.js"), F("st*r/x.js"), F("[x].js"), F("#hash"),
      F("~tilde")}},
    {"t6 exec bits and the isPackageBin quirk",
     0,
     0,
     {PJ(",\"bin\":{\"a\":\"cli.js\",\"b\":\"bin/b.js\",\"c\":\"@t.js\"}"), F("cli.js"),
      F("other/cli.js"), F("bin/b.js"), F("x/bin/b.js"), F("@t.js"), FX("run.sh"), FX("lib/x.sh")}},
    {"nocase rules and default names",
     1,
     0,
     {PJ(""), FC(".npmignore", "DIST\n*.MAP\nLib/Sub\n"), F(".ds_store"), F("NPM-DEBUG.LOG")}},
    {"nested node_modules packed, root excluded",
     0,
     0,
     {PJ(",\"files\":[\"lib\",\"node_modules\"],\"bundleDependencies\":[\"a\"]"),
      F("node_modules/a/i.js"), F("lib/node_modules/b/i.js"), F("lib/x.js")}},
    {"workspaces: nested package.json read as rules",
     1,
     0,
     {PJ(",\"workspaces\":[\"packages/*\"]"), FC("packages/a/package.json", "{\"name\":\"a\"}"),
      FC("packages/a/.npmignore", "x.js\n"), F("packages/a/x.js"), FC("other/.npmignore", "o.js\n"),
      F("other/o.js"), F("other/p.js")}},
    {"extglobs, classes and braces in ignore files",
     1,
     0,
     {PJ(""), FC(".npmignore", "+(a|b).@(js|ts)\n[st]*/**\n!src/x.js\n{docs,dist}/*.m?(a)p\n"),
      F("ab.js")}},
};

/* ---- a small deterministic generator ---- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

#define PICK(a) (a[rnd(sizeof(a) / sizeof(a[0]))])

static const char *const g_names[] = {
    "a.js", "b.ts", "c.map", "Readme.md",    "LICENSE", "x",       "lib",
    "sub",  "dist", "test",  "node_modules", ".npmrc",  ".hidden", "a.orig",
    "CVS",  "@s",   "Lib",   "index.js",     "d.JS",    "e f.js"};
static const char *const g_dirs[] = {
    "",       "",    "",     "lib",  "sub",   "dist", "lib/sub", "lib/test", "node_modules/m",
    "dist/x", "Lib", "@s/p", "docs", ".cache"};
static const char *const g_pats[] = {"*.js",
                                     "*.JS",
                                     "lib",
                                     "lib/",
                                     "/lib",
                                     "!lib/a.js",
                                     "sub",
                                     "**/sub",
                                     "dist/*",
                                     "!dist/c.map",
                                     "*.map",
                                     "!*.map",
                                     "test/",
                                     "/index.js",
                                     "!index.js",
                                     "lib/**",
                                     "!lib/sub",
                                     "{lib,dist}/**",
                                     "*",
                                     "!a.js",
                                     "# c",
                                     "  x  ",
                                     "\\#x",
                                     "a.js/",
                                     "*.ts",
                                     "!*.ts",
                                     "lib/*.js",
                                     "**/a.js",
                                     ".hidden",
                                     "!.hidden",
                                     "node_modules",
                                     "!node_modules/m",
                                     "*.orig",
                                     "!*.orig",
                                     "CVS",
                                     "!CVS",
                                     "[ab].js",
                                     "?.js",
                                     "!(a).js",
                                     "+(a|b).js"};
static const char *const g_files[] = {
    "lib",          "lib/",         "./lib",       "/lib",      "lib/*",    "lib/*.js", "**/*.js",
    "*.js",         "dist",         "!dist/c.map", "!lib/a.js", "index.js", "a.js",     "sub/a.js",
    "Lib",          "nope",         "{lib,dist}",  "!**/*.ts",  "./",       "x",        ".npmrc",
    "node_modules", "lib/sub/a.js", "dist/a.js",   "!index.js"};
static const char *const g_main[] = {"a.js", "lib/a.js", "./index.js", "dist/a.js", "Index.js"};
static const char *const g_bin[] = {"\"a.js\"", "{\"x\":\"lib/a.js\"}",
                                    "{\"y\":\"./a.js\",\"z\":\"sub/a.js\"}",
                                    "[\"lib/a.js\",\"a.js\"]"};

typedef struct gen_case {
    sgt_file files[MAX_FILES];  /* generated files */
    size_t n;                   /* number of files */
    char store[MAX_FILES][512]; /* paths and contents */
    char pkg[1024];             /* package.json */
} gen_case;

static int gen_conflicts(const gen_case *g, const char *p)
{
    size_t i, lp = strlen(p);
    for (i = 0; i < g->n; i++) {
        size_t lq = strlen(g->files[i].path);
        if (!strcmp(g->files[i].path, p))
            return 1;
        if (lq < lp && !strncmp(p, g->files[i].path, lq) && p[lq] == '/')
            return 1;
        if (lp < lq && !strncmp(g->files[i].path, p, lp) && g->files[i].path[lp] == '/')
            return 1;
    }
    return 0;
}

static void gen_add(gen_case *g, const char *path, const char *content, unsigned mode)
{
    if (g->n + 1 >= MAX_FILES || gen_conflicts(g, path))
        return;
    snprintf(g->store[g->n], sizeof(g->store[0]), "%s", path);
    g->files[g->n].path = g->store[g->n];
    g->files[g->n].content = content;
    g->files[g->n].mode = mode;
    g->n++;
}

static void generate(gen_case *g, char contents[8][256])
{
    size_t i, k, n;
    char path[256];
    memset(g, 0, sizeof(*g));
    n = 3 + rnd(12);
    for (i = 0; i < n; i++) {
        const char *d = PICK(g_dirs);
        snprintf(path, sizeof(path), "%s%s%s", d, *d ? "/" : "", PICK(g_names));
        gen_add(g, path, "x", rnd(10) == 0 ? 0755 : 0);
    }
    n = rnd(4);
    for (i = 0; i < n; i++) {
        const char *d = PICK(g_dirs);
        size_t len = 0, m = rnd(6);
        contents[i][0] = '\0';
        for (k = 0; k < m; k++)
            len += (size_t)snprintf(contents[i] + len, 256 - len, "%s\n", PICK(g_pats));
        snprintf(path, sizeof(path), "%s%s%s", d, *d ? "/" : "",
                 rnd(2) ? ".npmignore" : ".gitignore");
        gen_add(g, path, contents[i], 0);
    }
    {
        size_t len =
            (size_t)snprintf(g->pkg, sizeof(g->pkg), "{\"name\":\"p\",\"version\":\"1.0.0\"");
        if (rnd(2)) {
            len += (size_t)snprintf(g->pkg + len, sizeof(g->pkg) - len, ",\"files\":[");
            k = rnd(5);
            for (i = 0; i < k; i++)
                len += (size_t)snprintf(g->pkg + len, sizeof(g->pkg) - len, "%s\"%s\"",
                                        i ? "," : "", PICK(g_files));
            len += (size_t)snprintf(g->pkg + len, sizeof(g->pkg) - len, "]");
        }
        if (rnd(10) < 3)
            len += (size_t)snprintf(g->pkg + len, sizeof(g->pkg) - len, ",\"main\":\"%s\"",
                                    PICK(g_main));
        if (rnd(10) < 3)
            len += (size_t)snprintf(g->pkg + len, sizeof(g->pkg) - len, ",\"bin\":%s", PICK(g_bin));
        snprintf(g->pkg + len, sizeof(g->pkg) - len, "}");
    }
    gen_add(g, "package.json", g->pkg, 0);
}

/* ---- running npm and comparing ---- */

typedef struct listed {
    char *path; /* file path */
    int exec;   /* executable bit */
} listed;

static int cmp_listed(const void *a, const void *b)
{
    return strcmp(((const listed *)a)->path, ((const listed *)b)->path);
}

static char *cache_dir;

/* npm's list for folder dir; returns the count, -1 when npm failed. */
static long npm_list(const char *dir, listed **out)
{
    char cmd[4096], *sout = NULL, *serr = NULL;
    cJSON *json, *files, *f;
    long n = 0;
    int rc;
    *out = NULL;
    snprintf(
        cmd, sizeof(cmd),
        "cd '%s' && npm_config_cache='%s' npm_config_update_notifier=false npm_config_fund=false "
        "npm_config_audit=false npm pack --dry-run --json --ignore-scripts --offline",
        dir, cache_dir);
    rc = sgt_run(cmd, &sout, &serr);
    json = rc == 0 && sout ? cJSON_Parse(sout) : NULL;
    free(sout);
    free(serr);
    if (!json)
        return -1;
    files = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(json, 0), "files");
    *out = calloc((size_t)cJSON_GetArraySize(files) + 1, sizeof(listed));
    cJSON_ArrayForEach(f, files)
    {
        cJSON *p = cJSON_GetObjectItemCaseSensitive(f, "path");
        cJSON *m = cJSON_GetObjectItemCaseSensitive(f, "mode");
        (*out)[n].path = strdup(cJSON_IsString(p) ? p->valuestring : "?");
        (*out)[n].exec = cJSON_IsNumber(m) && ((int)m->valuedouble & 0100) != 0;
        n++;
    }
    cJSON_Delete(json);
    qsort(*out, (size_t)n, sizeof(listed), cmp_listed);
    return n;
}

static void print_lists(const listed *npm, long nn, const sg_tree *t)
{
    long i;
    print_error("  npm (%ld):\n", nn);
    for (i = 0; i < nn; i++)
        print_error("    %s%s\n", npm[i].path, npm[i].exec ? " +x" : "");
    print_error("  sourcegate (%zu):\n", t ? sg_tree_count(t) : 0);
    for (i = 0; t && (size_t)i < sg_tree_count(t); i++)
        print_error("    %s%s\n", sg_tree_entry(t, (size_t)i)->path,
                    sg_tree_entry(t, (size_t)i)->exec ? " +x" : "");
}

/* 1 when npm and sourcegate agree on this package. */
static int run_case(const char *name, const sgt_file *files, size_t n, int npm_fails)
{
    char *dir = sgt_tmpdir();
    sg_ctx *ctx = NULL;
    sg_tree *src, *out = NULL;
    listed *npm = NULL;
    long nn, i;
    int ok = 1, rc;

    sgt_files_to_dir(dir, files, n);
    src = sgt_tree(files, n);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    rc = sg_packlist_npm(&out, ctx, src, NULL);
    nn = npm_list(dir, &npm);
    if (nn < 0 || rc < 0) {
        ok = nn < 0 && rc < 0 && npm_fails;
        if (!ok)
            print_error("case '%s': npm %s, sourcegate %s (%s)\n", name,
                        nn < 0 ? "failed" : "packed", rc < 0 ? "failed" : "packed",
                        sg_error_message(ctx));
    } else if ((size_t)nn != sg_tree_count(out) || npm_fails) {
        ok = 0;
    } else {
        for (i = 0; i < nn && ok; i++) {
            const sg_entry *e = sg_tree_entry(out, (size_t)i);
            ok = strcmp(e->path, npm[i].path) == 0 && (int)e->exec == npm[i].exec;
        }
    }
    if (!ok && nn >= 0 && rc == 0) {
        print_error("case '%s' differs:\n", name);
        print_lists(npm, nn, out);
    }
    for (i = 0; npm && i < nn; i++)
        free(npm[i].path);
    free(npm);
    sg_tree_free(out);
    sg_tree_free(src);
    sg_ctx_free(ctx);
    sgt_rm_rf(dir);
    return ok;
}

static void test_packlist_npm__agrees_with_npm_pack(void **state)
{
    size_t i, k, cases = 0, agree = 0;
    sgt_file files[2 * MAX_FILES];
    (void)state;
    if (!sgt_have_program("npm"))
        skip();
    cache_dir = sgt_tmpdir();
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        size_t n = 0;
        if (table[i].base)
            for (k = 0; k < sizeof(base_files) / sizeof(base_files[0]); k++)
                files[n++] = base_files[k];
        for (k = 0; k < MAX_FILES && table[i].files[k].path; k++) {
            size_t j;
            for (j = 0; j < n && strcmp(files[j].path, table[i].files[k].path); j++)
                ;
            files[j] = table[i].files[k];
            if (j == n)
                n++;
        }
        cases++;
        agree += (size_t)run_case(table[i].name, files, n, table[i].npm_fails);
    }
    rng_state = 0x5eed2026u;
    for (i = 0; i < 30; i++) {
        static gen_case g;
        static char contents[8][256];
        char name[64];
        generate(&g, contents);
        snprintf(name, sizeof(name), "generated #%zu", i);
        cases++;
        agree += (size_t)run_case(name, g.files, g.n, 0);
    }
    print_message("packlist differential: %zu cases, %zu agree with npm\n", cases, agree);
    sgt_rm_rf(cache_dir);
    assert_int_equal(agree, cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packlist_npm__agrees_with_npm_pack),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    sgt_cleanup();
    return rc;
}
