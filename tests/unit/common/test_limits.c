/*
 * Every limit of include/sourcegate/limits.h, in one table: for each module that enforces a
 * limit, an input whose measured quantity is N passes with the limit set to N and is refused
 * with SG_ELIMIT (and a message naming what was exceeded) with the limit set to N - 1.
 * A table row per (limit, module); a test fails when a limit has no row, so a new limit
 * cannot land without one.
 *
 * The module suites test the same limits with more detail; this file keeps both sides of
 * every limit in one place. See tests/unit/fetch/test_tar_reader.c (test_tar__limits_*,
 * test_tar__refuses_gzip_bomb_by_ratio), tests/unit/source/test_git_tree.c
 * (test_git__blob_size_limit_at_and_past, test_git__tree_entries_limit_at_and_past,
 * test_git__path_length_and_depth_limits), tests/unit/common/test_common.c
 * (test_json__refuses_depth_past_limit, test_limits__refuses_zero_and_past_ceiling) and
 * tests/unit/packlist/test_packlist.c (test_packlist__rule_count_limit).
 */
#include "common/common.h"
#include "common/json.h"
#include "common/tree_int.h"
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>

/* The input of the row under test; built by prepare(), used by run(), freed by reset(). */
static struct {
    unsigned char *bytes; /* tarball or JSON text */
    size_t len;           /* its length */
    size_t count;         /* entries for the tree builder */
    sg_tree *tree;        /* in-memory tree (ignore rules) */
    char *repo;           /* git repository folder */
    char commit[41];      /* its commit */
} in;

static void reset(void)
{
    free(in.bytes);
    sg_tree_free(in.tree);
    free(in.repo);
    memset(&in, 0, sizeof(in));
}

/* ---- inputs ------------------------------------------------------------------------------ */

static void make_tar(const sgt_tar_entry *e, size_t n, int gzip)
{
    sgt_tar_build(&in.bytes, &in.len, e, n, gzip);
}

static char *filled(size_t n, char c)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void make_repo(const sgt_file *files, size_t n)
{
    char *dir = sgt_tmpdir();
    size_t len = strlen(dir) + 8;
    in.repo = malloc(len);
    assert_non_null(in.repo);
    snprintf(in.repo, len, "%s/repo", dir);
    sgt_git_init(in.repo, 1);
    sgt_git_commit(in.commit, in.repo, NULL, files, n, "limits", 0);
}

/* "r0\nr1\n..." with n rules (and a comment and a blank line, which are not rules). */
static char *rules_text(size_t n)
{
    size_t cap = 16 + n * 24, used, i;
    char *s = malloc(cap);
    assert_non_null(s);
    used = (size_t)snprintf(s, cap, "# comment\n\n");
    for (i = 0; i < n; i++)
        used += (size_t)snprintf(s + used, cap - used, "r%zu/*.js\n", i);
    return s;
}

/* ---- runners ----------------------------------------------------------------------------- */

static int run_tar(sg_ctx *ctx)
{
    sg_tree *t = NULL;
    int rc = sg_tar_read(&t, NULL, ctx, in.bytes, in.len, NULL);
    sg_tree_free(t);
    return rc;
}

static int run_json(sg_ctx *ctx)
{
    cJSON *doc = NULL;
    int rc = sg_json_parse(&doc, ctx, (const char *)in.bytes, in.len, "the document");
    cJSON_Delete(doc);
    return rc;
}

static int run_git(sg_ctx *ctx)
{
    sg_git_repo *r = NULL;
    sg_tree *t = NULL;
    int rc = sg_git_repo_open(&r, ctx, in.repo);
    if (rc == 0)
        rc = sg_git_tree(&t, ctx, r, in.commit, NULL);
    sg_tree_free(t);
    sg_git_repo_free(r);
    return rc;
}

static int no_read(void *self, sg_buf *out, sg_ctx *ctx, const sg_entry *e)
{
    (void)self;
    (void)out;
    return sg_error_set(ctx, SG_EINVALID, "'%s' has no content", e->path);
}

static const sg_tree_backend_ops no_ops = {"limits", no_read, NULL, NULL};

static int run_tree_builder(sg_ctx *ctx)
{
    sg_tree_builder *b = NULL;
    sg_tree *t = NULL;
    char path[32];
    size_t i;
    int rc = sg_tree__builder_new(&b, ctx, &no_ops, NULL);

    for (i = 0; rc == 0 && i < in.count; i++) {
        sg_entry e;
        memset(&e, 0, sizeof(e));
        snprintf(path, sizeof(path), "f%05zu", i);
        e.path = path;
        e.kind = SG_ENTRY_FILE;
        rc = sg_entry__set_content(&e, ctx, "x", 1);
        if (rc == 0)
            rc = sg_tree__builder_add(b, ctx, &e);
    }
    if (rc < 0) {
        sg_tree__builder_free(b);
        return rc;
    }
    rc = sg_tree__builder_finish(&t, ctx, b);
    sg_tree_free(t);
    return rc;
}

static int run_gitignore(sg_ctx *ctx)
{
    sg_gitignore *gi = NULL;
    int ignored = 0, rc = sg_gitignore_new(&gi, ctx, in.tree);
    if (rc == 0)
        rc = sg_gitignore_match(&ignored, ctx, gi, "lib/a.js", 0);
    sg_gitignore_free(gi);
    return rc;
}

static int run_packlist(sg_ctx *ctx)
{
    sg_tree *out = NULL;
    int rc = sg_packlist_npm(&out, ctx, in.tree, NULL);
    sg_tree_free(out);
    return rc;
}

/* ---- prepare: build the input, return the quantity the limit bounds ---------------------- */

static uint64_t tarball_bytes(void)
{
    const sgt_tar_entry e[] = {{.path = "package/package.json", .content = "{}"},
                               {.path = "package/index.js", .content = "x"}};
    make_tar(e, 2, 1);
    return in.len;
}

static uint64_t unpacked_bytes(void)
{
    char *a = filled(600, 'a'), *b = filled(424, 'b');
    const sgt_tar_entry e[] = {{.path = "package/a", .content = a},
                               {.path = "package/b", .content = b}};
    make_tar(e, 2, 0); /* plain tar: the ratio limit stays out of the way */
    free(a);
    free(b);
    return 1024;
}

/*
 * The ratio an input needs cannot be chosen exactly (the stream position counts headers and
 * padding), so find the smallest ratio that passes and check it is the input's: enough for
 * the data, not more than the whole decompressed stream needs.
 */
static uint64_t compression_ratio(void)
{
    const size_t data = (size_t)1 << 20;
    char *zeros = filled(data, '\0');
    sgt_tar_entry e[] = {{.path = "package/zeros.bin", .content = zeros, .len = data}};
    unsigned char *plain;
    size_t plain_len;
    uint64_t lo = 1, hi = sg_limit_ceiling(SG_LIMIT_RATIO);
    sg_ctx *ctx;

    sgt_tar_build(&plain, &plain_len, e, 1, 0);
    make_tar(e, 1, 1);
    free(zeros);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_RATIO, mid), 0);
        if (run_tar(ctx) == 0)
            hi = mid;
        else
            lo = mid + 1;
        sg_error_clear(ctx);
    }
    sg_ctx_free(ctx);
    print_message("compression-ratio: %zu bytes of tar in %zu bytes of gzip pass at ratio %llu\n",
                  plain_len, in.len, (unsigned long long)lo);
    assert_true(lo * in.len >= data);
    assert_true((lo - 1) * in.len < plain_len);
    free(plain);
    return lo;
}

static uint64_t tar_entries(void)
{
    const sgt_tar_entry e[] = {{.path = "package/", .type = '5'},
                               {.path = "package/a", .content = "a"},
                               {.path = "package/b", .content = "b"},
                               {.path = "package/l", .type = '2', .linkname = "a"},
                               {.path = "package/c", .content = "c"}};
    make_tar(e, 5, 1);
    return 5; /* every entry counts, directories and links too */
}

static uint64_t builder_entries(void)
{
    in.count = 300;
    return in.count;
}

static uint64_t tar_path_length(void)
{
    const sgt_tar_entry e[] = {
        {.path = "package/lib/0123456789012345678901234567890123456789.js", .content = "x"}};
    make_tar(e, 1, 1);
    return strlen("lib/0123456789012345678901234567890123456789.js"); /* below the top folder */
}

static uint64_t git_path_length(void)
{
    static const sgt_file f[] = {{"lib/0123456789012345678901234567890123456789.js", "x", 0, 0}};
    make_repo(f, 1);
    return strlen(f[0].path);
}

static uint64_t tar_path_depth(void)
{
    const sgt_tar_entry e[] = {{.path = "package/a/b/c/d/e.js", .content = "x"}};
    make_tar(e, 1, 1);
    return 5;
}

static uint64_t git_path_depth(void)
{
    static const sgt_file f[] = {{"a/b/c/d/e.js", "x", 0, 0}};
    make_repo(f, 1);
    return 5;
}

static uint64_t tar_file_size(void)
{
    char *big = filled(5000, 'f');
    const sgt_tar_entry e[] = {{.path = "package/small", .content = "s"},
                               {.path = "package/big", .content = big}};
    make_tar(e, 2, 1);
    free(big);
    return 5000;
}

static uint64_t ignore_file_size(void)
{
    char *rules = rules_text(100);
    sgt_file f[] = {{".gitignore", rules, 0, 0}, {"lib/a.js", "x", 0, 0}};
    uint64_t n = strlen(rules);
    in.tree = sgt_tree(f, 2);
    free(rules);
    return n;
}

static uint64_t npmignore_file_size(void)
{
    char *rules = rules_text(100);
    sgt_file f[] = {{"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\"}", 0, 0},
                    {".npmignore", rules, 0, 0},
                    {"lib/a.js", "x", 0, 0}};
    uint64_t n = strlen(rules);
    in.tree = sgt_tree(f, 3);
    free(rules);
    return n;
}

static uint64_t json_depth(void)
{
    const char *doc = "{\"a\":[1,{\"b\":[[{\"c\":\"[[[[not counted]]]]\"}]]}],\"d\":{}}";
    in.bytes = (unsigned char *)filled(strlen(doc), ' ');
    in.len = strlen(doc);
    memcpy(in.bytes, doc, in.len);
    return 6;
}

static uint64_t json_size(void)
{
    char *doc = filled(4096, ' ');
    memcpy(doc, "{\"k\":\"", 6);
    memset(doc + 6, 'v', 4096 - 8);
    memcpy(doc + 4096 - 2, "\"}", 2);
    in.bytes = (unsigned char *)doc;
    in.len = 4096;
    return 4096;
}

static uint64_t git_blob_size(void)
{
    static char big[3001];
    sgt_file f[] = {{"package.json", "{}", 0, 0}, {"big.bin", big, 3000, 0}};
    memset(big, 'g', 3000);
    make_repo(f, 2);
    return 3000;
}

static uint64_t git_tree_entries(void)
{
    static const sgt_file f[] = {
        {"a", "1", 0, 0}, {"b", "2", 0, 0}, {"lib/c", "3", 0, 0}, {"lib/d/e", "4", 0, 0}};
    make_repo(f, 4);
    return 6; /* a, b, lib, lib/c, lib/d, lib/d/e: folders count too */
}

static uint64_t gitignore_rules(void)
{
    char *rules = rules_text(40);
    sgt_file f[] = {{".gitignore", rules, 0, 0}, {"lib/a.js", "x", 0, 0}};
    in.tree = sgt_tree(f, 2);
    free(rules);
    return 40;
}

static uint64_t npmignore_rules(void)
{
    char *rules = rules_text(40);
    sgt_file f[] = {{"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\"}", 0, 0},
                    {".npmignore", rules, 0, 0},
                    {"lib/a.js", "x", 0, 0}};
    in.tree = sgt_tree(f, 3);
    free(rules);
    return 40;
}

/* ---- the table --------------------------------------------------------------------------- */

typedef struct row {
    const char *name;          /* test name */
    sg_limit limit;            /* the limit */
    uint64_t (*prepare)(void); /* builds in; returns N, the quantity the limit bounds */
    int (*run)(sg_ctx *ctx);   /* the enforcing module on in: 0 or a negative SG_E* */
    const char *message;       /* in the error past the limit */
} row;

static const row rows[] = {
    {"tarball_bytes__tar_reader", SG_LIMIT_TARBALL_BYTES, tarball_bytes, run_tar,
     "'tarball-bytes'"},
    {"unpacked_bytes__tar_reader", SG_LIMIT_UNPACKED_BYTES, unpacked_bytes, run_tar,
     "'unpacked-bytes'"},
    {"compression_ratio__tar_reader", SG_LIMIT_RATIO, compression_ratio, run_tar,
     "'compression-ratio'"},
    {"entries__tar_reader", SG_LIMIT_ENTRIES, tar_entries, run_tar, "'entries'"},
    {"entries__tree_builder", SG_LIMIT_ENTRIES, builder_entries, run_tree_builder,
     "the entries limit"},
    {"path_length__tar_reader", SG_LIMIT_PATH_LENGTH, tar_path_length, run_tar, "'path-length'"},
    {"path_length__git_reader", SG_LIMIT_PATH_LENGTH, git_path_length, run_git,
     "path-length limit"},
    {"path_depth__tar_reader", SG_LIMIT_PATH_DEPTH, tar_path_depth, run_tar, "'path-depth'"},
    {"path_depth__git_reader", SG_LIMIT_PATH_DEPTH, git_path_depth, run_git, "path-depth limit"},
    {"file_size__tar_reader", SG_LIMIT_FILE_SIZE, tar_file_size, run_tar, "'file-size'"},
    {"file_size__gitignore", SG_LIMIT_FILE_SIZE, ignore_file_size, run_gitignore,
     "'.gitignore' is larger than the file-size limit"},
    {"file_size__packlist", SG_LIMIT_FILE_SIZE, npmignore_file_size, run_packlist,
     "'.npmignore' is larger than the file-size limit"},
    {"json_depth__json_parser", SG_LIMIT_JSON_DEPTH, json_depth, run_json, "json-depth limit"},
    {"json_size__json_parser", SG_LIMIT_JSON_SIZE, json_size, run_json, "json-size limit"},
    {"git_blob_size__git_reader", SG_LIMIT_GIT_BLOB_SIZE, git_blob_size, run_git,
     "git-blob-size limit"},
    {"git_tree_entries__git_reader", SG_LIMIT_GIT_TREE_ENTRIES, git_tree_entries, run_git,
     "git-tree-entries limit"},
    {"ignore_rules__gitignore", SG_LIMIT_IGNORE_RULES, gitignore_rules, run_gitignore,
     "'.gitignore' has more than 39 rules"},
    {"ignore_rules__packlist", SG_LIMIT_IGNORE_RULES, npmignore_rules, run_packlist,
     "'.npmignore' has more than 39 rules"},
};

/* At N: passes. At N - 1: SG_ELIMIT, with the message. */
static void test_limit_row(void **state)
{
    const row *r = *state;
    sg_ctx *ctx = NULL;
    uint64_t n;
    int rc;

    reset();
    n = r->prepare();
    assert_true(n >= 2);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_ctx_set_limit(ctx, r->limit, n), 0);
    rc = r->run(ctx);
    if (rc != 0)
        fail_msg("%s at the limit (%llu): %s", sg_limit_name(r->limit), (unsigned long long)n,
                 sg_error_message(ctx));
    assert_int_equal(sg_ctx_set_limit(ctx, r->limit, n - 1), 0);
    rc = r->run(ctx);
    if (rc != SG_ELIMIT)
        fail_msg("%s one past the limit (%llu): got %d '%s', want SG_ELIMIT",
                 sg_limit_name(r->limit), (unsigned long long)(n - 1), rc, sg_error_message(ctx));
    if (!strstr(sg_error_message(ctx), r->message))
        fail_msg("%s: message '%s' lacks '%s'", sg_limit_name(r->limit), sg_error_message(ctx),
                 r->message);
    assert_null(strchr(sg_error_message(ctx), '\n'));
    sg_ctx_free(ctx);
    reset();
}

static void test_limits__every_limit_has_a_row(void **state)
{
    size_t i, k;
    (void)state;
    for (i = 0; i < SG_LIMIT__COUNT; i++) {
        for (k = 0; k < SG_ARRAY_SIZE(rows) && rows[k].limit != (sg_limit)i; k++)
            ;
        if (k == SG_ARRAY_SIZE(rows))
            fail_msg("limit '%s' has no row in tests/unit/common/test_limits.c",
                     sg_limit_name((sg_limit)i));
    }
}

/* The values themselves: 1 and the ceiling are accepted, 0 and ceiling + 1 refused; the
 * default lies between; the name finds the limit. */
static void test_limits__values_at_and_past_the_ceiling(void **state)
{
    sg_ctx *ctx = NULL;
    size_t i;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    for (i = 0; i < SG_LIMIT__COUNT; i++) {
        sg_limit l = (sg_limit)i, found;
        uint64_t c = sg_limit_ceiling(l);
        assert_true(sg_limit_default(l) >= 1 && sg_limit_default(l) <= c);
        assert_int_equal(sg_ctx_limit(ctx, l), sg_limit_default(l));
        assert_int_equal(sg_ctx_set_limit(ctx, l, c), 0);
        assert_int_equal(sg_ctx_limit(ctx, l), c);
        assert_int_equal(sg_ctx_set_limit(ctx, l, c + 1), SG_EINVALID);
        assert_non_null(strstr(sg_error_message(ctx), sg_limit_name(l)));
        assert_int_equal(sg_ctx_limit(ctx, l), c);
        assert_int_equal(sg_ctx_set_limit(ctx, l, 1), 0);
        assert_int_equal(sg_ctx_set_limit(ctx, l, 0), SG_EINVALID);
        assert_int_equal(sg_ctx_limit(ctx, l), 1);
        assert_int_equal(sg_limit_lookup(&found, sg_limit_name(l)), 0);
        assert_int_equal(found, l);
        sg_error_clear(ctx);
    }
    sg_ctx_free(ctx);
}

/* A backend that hits the reader's buffer limit and returns the bare code (as the test
 * backend of sgt_tree does) still leaves a message: sg_tree_read supplies it. */
static void test_limits__tree_read_past_buffer_limit_says_why(void **state)
{
    sgt_file f[] = {{"big.txt", "0123456789", 0, 0}};
    sg_tree *t = sgt_tree(f, 1);
    sg_buf out;
    sg_ctx *ctx = NULL;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    sg_buf_init(&out, 10);
    assert_int_equal(sg_tree_read(&out, ctx, t, sg_tree_find(t, "big.txt")), 0);
    sg_buf_dispose(&out);
    sg_buf_init(&out, 9);
    assert_int_equal(sg_tree_read(&out, ctx, t, sg_tree_find(t, "big.txt")), SG_ELIMIT);
    assert_string_equal(sg_error_message(ctx), "big.txt is larger than its limit of 9 bytes");
    sg_buf_dispose(&out);
    sg_tree_free(t);
    sg_ctx_free(ctx);
}

int main(void)
{
    struct CMUnitTest tests[SG_ARRAY_SIZE(rows) + 3];
    static char names[SG_ARRAY_SIZE(rows)][96];
    size_t i;
    int failed;

    for (i = 0; i < SG_ARRAY_SIZE(rows); i++) {
        snprintf(names[i], sizeof(names[i]), "test_limits__%s_at_and_one_past", rows[i].name);
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_limit_row, (void *)&rows[i]);
        tests[i].name = names[i];
    }
    tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_limits__every_limit_has_a_row);
    tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_limits__values_at_and_past_the_ceiling);
    tests[i++] =
        (struct CMUnitTest)cmocka_unit_test(test_limits__tree_read_past_buffer_limit_says_why);
    failed = _cmocka_run_group_tests("limits", tests, i, NULL, NULL);
    reset();
    sgt_cleanup();
    return failed;
}
