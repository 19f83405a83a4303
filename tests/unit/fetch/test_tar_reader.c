/*
 * Tests of the tarball reader (verifier/fetch/tar_reader.c). Every tarball is built here: with
 * sgt_tar_build, with a local libarchive writer when a test needs control over mtimes,
 * owners, formats or streaming, or byte by byte in node-tar's encoding (NPM-PACK.md §3.2).
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/alloc.h"
#include "common/hash.h"
#include "common/tree_int.h"

#define NPM_MTIME 499162500
#define BERRY_MTIME 456789000

/* ---- fixture builders -------------------------------------------------------------------- */

typedef struct sink {
    unsigned char *data; /* malloc'd bytes */
    size_t len;          /* used */
    size_t cap;          /* allocated */
} sink;

static la_ssize_t sink_write(struct archive *a, void *p, const void *buf, size_t n)
{
    sink *s = p;
    (void)a;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2 + 4096;
        s->data = realloc(s->data, s->cap);
        assert_non_null(s->data);
    }
    memcpy(s->data + s->len, buf, n);
    s->len += n;
    return (la_ssize_t)n;
}

/* An entry of the local builder: more control than sgt_tar_entry. */
typedef struct tent {
    const char *path;    /* raw entry name */
    const char *content; /* file bytes (NULL: none) */
    size_t len;          /* 0: strlen(content) */
    unsigned mode;       /* permission bits, 0: 0644 (0755 for directories) */
    char type;           /* as sgt_tar_entry; 0: '0' */
    const char *link;    /* link target */
    int64_t mtime;       /* 0: the npm mtime */
    int64_t uid;         /* owner id (also the gid) */
    const char *uname;   /* owner name (also the gname), NULL for none */
} tent;

static struct archive *writer_open(sink *s, int format, int gzip)
{
    struct archive *a = archive_write_new();
    assert_non_null(a);
    assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
    if (gzip)
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open(a, s, NULL, sink_write, NULL), ARCHIVE_OK);
    return a;
}

static void writer_header(struct archive *a, const tent *t, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    char type = t->type ? t->type : '0';
    int r;

    archive_entry_set_pathname(e, t->path);
    archive_entry_set_mtime(e, t->mtime ? t->mtime : NPM_MTIME, 0);
    archive_entry_set_uid(e, t->uid);
    archive_entry_set_gid(e, t->uid);
    if (t->uname) {
        archive_entry_set_uname(e, t->uname);
        archive_entry_set_gname(e, t->uname);
    }
    switch (type) {
    case '5':
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
    case '2':
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, t->link);
        break;
    case '1':
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, t->link);
        break;
    case '3':
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdev(e, 0x0101);
        break;
    case '6':
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
    default:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, (la_int64_t)len);
    }
    archive_entry_set_perm(e, t->mode ? t->mode : (type == '5' ? 0755 : 0644));
    r = archive_write_header(a, e);
    /* WARN: a non-ASCII name in the C locale is written raw, which is what we want */
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        fail_msg("archive header %s: %s", t->path, archive_error_string(a));
    archive_entry_free(e);
}

static unsigned char *build(size_t *out_len, const tent *ents, size_t n, int format, int gzip)
{
    sink s = {0};
    struct archive *a = writer_open(&s, format, gzip);
    size_t i;

    for (i = 0; i < n; i++) {
        const tent *t = &ents[i];
        size_t len = t->len ? t->len : (t->content ? strlen(t->content) : 0);
        writer_header(a, t, len);
        if ((!t->type || t->type == '0') && len)
            assert_int_equal(archive_write_data(a, t->content, len), (la_ssize_t)len);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    if (!s.data)
        s.data = malloc(1);
    *out_len = s.len;
    return s.data;
}

#define PAX ARCHIVE_FORMAT_TAR_PAX_RESTRICTED
#define USTAR ARCHIVE_FORMAT_TAR_USTAR
#define GNUTAR ARCHIVE_FORMAT_TAR_GNUTAR

/* gzip bytes with libarchive's raw writer; os sets the gzip OS byte (NPM-PACK.md §3.5). */
static unsigned char *gzip_bytes(size_t *out_len, const unsigned char *data, size_t len, int os)
{
    sink s = {0};
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();

    assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
    assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open(a, &s, NULL, sink_write, NULL), ARCHIVE_OK);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "data");
    archive_entry_set_size(e, (la_int64_t)len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    assert_true(s.len > 18 && s.data[0] == 0x1f && s.data[1] == 0x8b);
    s.data[9] = (unsigned char)os; /* the header is outside the CRC */
    *out_len = s.len;
    return s.data;
}

/* Octal number field in node-tar's encoding: digits, space, NUL. */
static void npm_octal(unsigned char *field, size_t width, uint64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%0*llo ", (int)(width - 2), (unsigned long long)v);
    memcpy(field, tmp, width - 1);
    field[width - 1] = '\0';
}

/* A tar exactly as npm >= 7.7 writes it (NPM-PACK.md §3.2): ustar, NUL uid/gid, 1985 mtime,
 * no directory entries, two zero blocks and no record padding. Paths under 100 bytes. */
static unsigned char *npm_tar(size_t *out_len, const tent *ents, size_t n)
{
    size_t cap = 1024, len = 0, i;
    unsigned char *tar = NULL;

    for (i = 0; i < n; i++)
        cap += 512 + ((ents[i].content ? strlen(ents[i].content) : 0) + 511) / 512 * 512;
    tar = calloc(1, cap);
    assert_non_null(tar);
    for (i = 0; i < n; i++) {
        unsigned char *h = tar + len;
        size_t size = ents[i].content ? strlen(ents[i].content) : 0, k;
        unsigned sum = 0;
        assert_true(strlen(ents[i].path) < 100);
        memcpy(h, ents[i].path, strlen(ents[i].path));
        npm_octal(h + 100, 8, ents[i].mode ? ents[i].mode : 0644);
        /* uid, gid: 16 NUL bytes */
        npm_octal(h + 124, 12, size);
        npm_octal(h + 136, 12, NPM_MTIME);
        h[156] = '0';
        memcpy(h + 257, "ustar\00000", 8); /* "ustar", NUL, version "00" */
        npm_octal(h + 329, 8, 0);
        npm_octal(h + 337, 8, 0);
        memset(h + 148, ' ', 8);
        for (k = 0; k < 512; k++)
            sum += h[k];
        npm_octal(h + 148, 8, sum);
        len += 512;
        memcpy(tar + len, ents[i].content, size);
        len += (size + 511) / 512 * 512;
    }
    *out_len = len + 1024;
    return tar;
}

static unsigned char *npm_tgz(size_t *out_len, const tent *ents, size_t n, int os)
{
    size_t tlen;
    unsigned char *tar = npm_tar(&tlen, ents, n), *gz = gzip_bytes(out_len, tar, tlen, os);
    free(tar);
    return gz;
}

/* ---- helpers ----------------------------------------------------------------------------- */

typedef struct fx {
    sg_ctx *ctx;       /* fresh per test */
    sg_report *report; /* fresh per test */
    sg_tree *tree;     /* result of the last read */
    sg_tar_info info;  /* likewise */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    assert_int_equal(sg_report_new(&f->report, f->ctx), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_tree_free(f->tree);
    sg_report_free(f->report);
    sg_ctx_free(f->ctx);
    free(f);
    return 0;
}

static int rd(fx *f, const unsigned char *bytes, size_t len)
{
    sg_tree_free(f->tree);
    f->tree = NULL;
    sg_error_clear(f->ctx);
    return sg_tar_read(&f->tree, &f->info, f->ctx, bytes, len, f->report);
}

static int rd_ok(fx *f, const unsigned char *bytes, size_t len)
{
    int r = rd(f, bytes, len);
    if (r != 0)
        fail_msg("sg_tar_read: %d %s", r, sg_error_message(f->ctx));
    assert_non_null(f->tree);
    return r;
}

static size_t count_kind(const fx *f, const char *kind)
{
    size_t i, n = 0;
    for (i = 0; i < sg_report_finding_count(f->report); i++)
        if (strcmp(sg_report_finding(f->report, i)->kind, kind) == 0)
            n++;
    return n;
}

static const sg_finding *find_kind(const fx *f, const char *kind, const char *path)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(f->report); i++) {
        const sg_finding *g = sg_report_finding(f->report, i);
        if (strcmp(g->kind, kind) == 0 && (!path || (g->path && strcmp(g->path, path) == 0)))
            return g;
    }
    return NULL;
}

static int has_norm(const fx *f, const char *name)
{
    size_t i;
    for (i = 0; i < sg_report_normalization_count(f->report); i++)
        if (strcmp(sg_report_normalization(f->report, i), name) == 0)
            return 1;
    return 0;
}

/* The entry exists, with these bytes (read back through the backend) and exec bit. */
static void check_file(fx *f, const char *path, const void *content, size_t len, unsigned exec)
{
    const sg_entry *e = sg_tree_find(f->tree, path);
    sg_buf b = SG_BUF_INIT;
    unsigned char sha[32];

    if (!e)
        fail_msg("no tree entry '%s'", path);
    assert_int_equal(e->kind, SG_ENTRY_FILE);
    assert_int_equal(e->size, len);
    assert_int_equal(e->exec, exec);
    assert_int_equal(sg_sha256(sha, f->ctx, content, len), 0);
    assert_memory_equal(e->sha256, sha, 32);
    if (len)
        assert_memory_equal(e->head, content, len < SG_ENTRY_HEAD ? len : SG_ENTRY_HEAD);
    if (sg_tree_read(&b, f->ctx, f->tree, e) != 0)
        fail_msg("sg_tree_read '%s': %s", path, sg_error_message(f->ctx));
    assert_int_equal(b.size, len);
    if (len)
        assert_memory_equal(b.ptr, content, len);
    sg_buf_dispose(&b);
}

static void check_error(fx *f, int r, int code, const char *needle)
{
    assert_int_equal(r, code);
    assert_null(f->tree);
    if (!strstr(sg_error_message(f->ctx), needle))
        fail_msg("message '%s' lacks '%s'", sg_error_message(f->ctx), needle);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- tests ------------------------------------------------------------------------------- */

static const tent npm_files[] = {
    {.path = "package/package.json", .content = "{\"name\":\"x\",\"version\":\"1.0.0\"}\n"},
    {.path = "package/index.js", .content = "module.exports = 42;\n"},
    {.path = "package/bin/cli.js", .content = "#!/usr/bin/env node\n", .mode = 0755},
};

static void test_tar__reads_npm_shaped_tarball(void **state)
{
    fx *f = *state;
    size_t len;
    unsigned char *tgz = npm_tgz(&len, npm_files, 3, 0xff);

    rd_ok(f, tgz, len);
    assert_int_equal(sg_tree_count(f->tree), 3);
    assert_string_equal(sg_tree_entry(f->tree, 0)->path, "bin/cli.js");
    assert_string_equal(sg_tree_entry(f->tree, 1)->path, "index.js");
    assert_string_equal(sg_tree_entry(f->tree, 2)->path, "package.json");
    check_file(f, "package.json", npm_files[0].content, strlen(npm_files[0].content), 0);
    check_file(f, "index.js", npm_files[1].content, strlen(npm_files[1].content), 0);
    check_file(f, "bin/cli.js", npm_files[2].content, strlen(npm_files[2].content), 1);
    assert_string_equal(f->info.top, "package");
    assert_int_equal(f->info.entries, 3);
    assert_int_equal(f->info.unpacked_bytes, strlen(npm_files[0].content) +
                                                 strlen(npm_files[1].content) +
                                                 strlen(npm_files[2].content));
    assert_int_equal(f->info.packer, SG_PACKER_NPM);
    assert_int_equal(sg_report_finding_count(f->report), 0);
    assert_int_equal(sg_report_normalization_count(f->report), 3);
    assert_true(has_norm(f, "tar-mtime"));
    assert_true(has_norm(f, "tar-owner"));
    assert_true(has_norm(f, "tar-order"));
    free(tgz);
}

static void test_tar__reads_plain_tar(void **state)
{
    fx *f = *state;
    size_t len;
    unsigned char *tar = npm_tar(&len, npm_files, 3);

    rd_ok(f, tar, len);
    assert_int_equal(sg_tree_count(f->tree), 3);
    check_file(f, "index.js", npm_files[1].content, strlen(npm_files[1].content), 0);
    free(tar);
}

static void test_tar__detects_npm_legacy_by_gzip_os(void **state)
{
    fx *f = *state;
    size_t len;
    unsigned char *tgz = npm_tgz(&len, npm_files, 3, 3);

    rd_ok(f, tgz, len);
    assert_int_equal(f->info.packer, SG_PACKER_NPM_LEGACY);
    free(tgz);
}

static void test_tar__detects_pnpm_and_yarn_berry(void **state)
{
    fx *f = *state;
    tent pnpm[] = {{.path = "package/a.js", .content = "a"},
                   {.path = "package/b.js", .content = "b", .mode = 0755}};
    tent berry[] = {{.path = "package/a.js", .content = "a", .mtime = BERRY_MTIME},
                    {.path = "package/b.js", .content = "b", .mtime = BERRY_MTIME}};
    size_t len;
    unsigned char *t;

    /* libarchive writes uid 0 as octal digits, like tar-stream (not node-tar's NULs) */
    t = build(&len, pnpm, 2, USTAR, 1);
    rd_ok(f, t, len);
    assert_int_equal(f->info.packer, SG_PACKER_PNPM);
    free(t);
    pnpm[0].mode = 0664; /* pnpm writes only 0644 and 0755 */
    t = build(&len, pnpm, 2, USTAR, 1);
    rd_ok(f, t, len);
    assert_int_equal(f->info.packer, SG_PACKER_UNKNOWN);
    free(t);
    t = build(&len, berry, 2, USTAR, 1);
    rd_ok(f, t, len);
    assert_int_equal(f->info.packer, SG_PACKER_YARN_BERRY);
    free(t);
}

static void test_tar__detects_yarn_classic_and_old_npm(void **state)
{
    fx *f = *state;
    const int64_t real = 1700000000;
    const tent yarn[] = {
        {.path = "package", .type = '5', .mtime = real},
        {.path = "package/a.js", .content = "a", .mtime = real},
        {.path = "package/lib", .type = '5', .mtime = real},
        {.path = "package/lib/b.js", .content = "b", .mtime = real + 5},
    };
    const tent old[] = {
        {.path = "package/package.json",
         .content = "{}",
         .mtime = real,
         .uid = 501,
         .uname = "someone"},
        {.path = "package/a.js", .content = "a", .mtime = real, .uid = 501, .uname = "someone"},
    };
    const tent plain[] = {{.path = "package/a.js", .content = "a", .mtime = real}};
    size_t len;
    unsigned char *t;

    t = build(&len, yarn, 4, USTAR, 1);
    rd_ok(f, t, len);
    assert_int_equal(f->info.packer, SG_PACKER_YARN_CLASSIC);
    assert_int_equal(sg_tree_count(f->tree), 2);
    assert_true(has_norm(f, "tar-directory-entries"));
    free(t);
    t = build(&len, old, 2, USTAR, 1);
    rd_ok(f, t, len);
    assert_int_equal(f->info.packer, SG_PACKER_NPM_LEGACY);
    free(t);
    t = build(&len, plain, 1, USTAR, 0);
    rd_ok(f, t, len);
    assert_int_equal(f->info.packer, SG_PACKER_UNKNOWN);
    free(t);
}

static void test_tar__packer_names(void **state)
{
    (void)state;
    assert_string_equal(sg_packer_name(SG_PACKER_NPM), "npm");
    assert_string_equal(sg_packer_name(SG_PACKER_NPM_LEGACY), "npm-legacy");
    assert_string_equal(sg_packer_name(SG_PACKER_PNPM), "pnpm");
    assert_string_equal(sg_packer_name(SG_PACKER_YARN_BERRY), "yarn-berry");
    assert_string_equal(sg_packer_name(SG_PACKER_YARN_CLASSIC), "yarn-classic");
    assert_string_equal(sg_packer_name(SG_PACKER_UNKNOWN), "unknown");
    assert_string_equal(sg_packer_name((sg_packer)99), "unknown");
}

static void test_tar__accepts_other_top_folder(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "coffee-script/lib/cs.js", .content = "x"},
                               {.path = "coffee-script/package.json", .content = "{}"}};
    unsigned char *t;
    size_t len;

    sgt_tar_build(&t, &len, e, 2, 1);
    rd_ok(f, t, len);
    assert_string_equal(f->info.top, "coffee-script");
    assert_non_null(sg_tree_find(f->tree, "lib/cs.js"));
    assert_non_null(sg_tree_find(f->tree, "package.json"));
    assert_true(has_norm(f, "tar-top-folder"));
    assert_int_equal(sg_report_finding_count(f->report), 0);
    free(t);
}

static void test_tar__drops_dot_segments(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/./dist/x.js", .content = "x"},
                               {.path = "package//a.js", .content = "a"}};
    unsigned char *t;
    size_t len;

    sgt_tar_build(&t, &len, e, 2, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 2);
    check_file(f, "dist/x.js", "x", 1, 0);
    check_file(f, "a.js", "a", 1, 0);
    assert_true(has_norm(f, "tar-dot-segments"));
    assert_false(has_norm(f, "tar-top-folder"));
    assert_int_equal(sg_report_finding_count(f->report), 0);
    free(t);
}

/* npm strips the first segment whatever it is: "./package/b.js" installs package/b.js, and
 * "./index.js" installs index.js (issue 12). Where the archive reader sees another tree, the
 * tarball fails. */
static void test_tar__leading_dot_segment_is_ambiguous(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/a.js", .content = "a"},
                               {.path = "./package/b.js", .content = "b"},
                               {.path = "./index.js", .content = "evil()"}};
    unsigned char *t;
    size_t len;

    sgt_tar_build(&t, &len, e, 3, 1);
    rd_ok(f, t, len);
    assert_true(count_kind(f, "tar-ambiguous") >= 2);
    assert_non_null(find_kind(f, "tar-ambiguous", "package/b.js"));
    assert_non_null(find_kind(f, "tar-ambiguous", "index.js"));
    free(t);
}

static void test_tar__no_dot_normalization_for_clean_paths(void **state)
{
    fx *f = *state;
    const tent e[] = {{.path = "package/", .type = '5'}, {.path = "package/a.js", .content = "a"}};
    size_t len;
    unsigned char *t = build(&len, e, 2, USTAR, 1);

    rd_ok(f, t, len);
    assert_false(has_norm(f, "tar-dot-segments"));
    assert_true(has_norm(f, "tar-directory-entries"));
    assert_false(has_norm(f, "tar-pax"));
    free(t);
}

static void test_tar__reads_pax_long_and_non_ascii_names(void **state)
{
    fx *f = *state;
    char longname[200];
    tent e[2] = {{.path = NULL, .content = "long"},
                 {.path = "package/\xc3\xbcn\xc3\xaf/caf\xc3\xa9.js", .content = "u"}};
    size_t len;
    unsigned char *t;

    memset(longname, 'f', sizeof(longname));
    memcpy(longname, "package/", 8);
    memcpy(longname + 8 + 150, ".js", 4); /* 8 + 150 + ".js" = 161 bytes */
    e[0].path = longname;
    t = build(&len, e, 2, PAX, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 2);
    assert_int_equal(strlen(longname + 8), 153);
    check_file(f, longname + 8, "long", 4, 0);
    check_file(f, "\xc3\xbcn\xc3\xaf/caf\xc3\xa9.js", "u", 1, 0);
    assert_true(has_norm(f, "tar-pax"));
    free(t);
}

static void test_tar__reads_gnu_and_v7_formats(void **state)
{
    fx *f = *state;
    char longname[160];
    tent e[2] = {{.path = NULL, .content = "g"}, {.path = "package/a.js", .content = "a"}};
    size_t len;
    unsigned char *t;

    memset(longname, 'g', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    memcpy(longname, "package/", 8);
    e[0].path = longname;
    t = build(&len, e, 2, GNUTAR, 1);
    rd_ok(f, t, len);
    check_file(f, longname + 8, "g", 1, 0);
    free(t);
    t = build(&len, e + 1, 1, ARCHIVE_FORMAT_TAR, 0); /* v7 */
    rd_ok(f, t, len);
    check_file(f, "a.js", "a", 1, 0);
    free(t);
}

static void test_tar__skips_directory_entries(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/", .type = '5'},
                               {.path = "package/lib/", .type = '5'},
                               {.path = "package/lib/a.js", .content = "a"},
                               {.path = "package/empty/", .type = '5'}};
    unsigned char *t;
    size_t len;

    sgt_tar_build(&t, &len, e, 4, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 1);
    assert_string_equal(sg_tree_entry(f->tree, 0)->path, "lib/a.js");
    assert_int_equal(f->info.entries, 4);
    assert_true(has_norm(f, "tar-directory-entries"));
    assert_int_equal(sg_report_finding_count(f->report), 0);
    free(t);
}

static void test_tar__rejects_absolute_parent_and_backslash_paths(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "/etc/cron.d/evil", .content = "x"},
                               {.path = "package/../../evil.js", .content = "x"},
                               {.path = "package/a\\b.js", .content = "x"},
                               {.path = "package/ok.js", .content = "ok"},
                               {.path = "package/../", .type = '5'}};
    unsigned char *t;
    size_t len;
    const sg_finding *g;

    sgt_tar_build(&t, &len, e, 5, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 1);
    check_file(f, "ok.js", "ok", 2, 0);
    assert_int_equal(count_kind(f, "unsafe-entry"), 4);
    g = find_kind(f, "unsafe-entry", "/etc/cron.d/evil");
    assert_non_null(g);
    assert_int_equal(g->severity, SG_SEV_HIGH);
    assert_non_null(strstr(g->detail, "absolute"));
    g = find_kind(f, "unsafe-entry", "package/../../evil.js");
    assert_non_null(g);
    assert_non_null(strstr(g->detail, ".."));
    g = find_kind(f, "unsafe-entry", "package/a\\b.js");
    assert_non_null(g);
    assert_non_null(strstr(g->detail, "backslash"));
    free(t);
}

static void test_tar__reports_links_without_following(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {
        {.path = "package/index.js", .content = "real"},
        {.path = "package/lib/link.js", .type = '2', .linkname = "../../../etc/passwd"},
        {.path = "package/near.js", .type = '2', .linkname = "index.js"},
        {.path = "package/hard.js", .type = '1', .linkname = "package/index.js"},
    };
    unsigned char *t;
    size_t len;
    const sg_finding *g;

    sgt_tar_build(&t, &len, e, 4, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 1);
    assert_null(sg_tree_find(f->tree, "lib/link.js"));
    assert_null(sg_tree_find(f->tree, "hard.js"));
    assert_int_equal(count_kind(f, "link-entry"), 3);
    g = find_kind(f, "link-entry", "lib/link.js");
    assert_non_null(g);
    assert_int_equal(g->severity, SG_SEV_MEDIUM);
    assert_string_equal(g->after, "../../../etc/passwd");
    assert_non_null(strstr(g->detail, "leaves the package root"));
    g = find_kind(f, "link-entry", "near.js");
    assert_non_null(g);
    assert_null(strstr(g->detail, "leaves"));
    g = find_kind(f, "link-entry", "hard.js");
    assert_non_null(g);
    assert_string_equal(g->after, "package/index.js");
    assert_non_null(strstr(g->detail, "hard"));
    free(t);
}

static void test_tar__reports_fifo_and_devices(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/pipe", .type = '6'},
                               {.path = "package/tty", .type = '3'},
                               {.path = "package/a.js", .content = "a"}};
    unsigned char *t;
    size_t len;
    const sg_finding *g;

    sgt_tar_build(&t, &len, e, 3, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 1);
    assert_int_equal(count_kind(f, "unsafe-entry"), 2);
    g = find_kind(f, "unsafe-entry", "pipe");
    assert_non_null(g);
    assert_int_equal(g->severity, SG_SEV_HIGH);
    assert_non_null(strstr(g->detail, "FIFO"));
    g = find_kind(f, "unsafe-entry", "tty");
    assert_non_null(g);
    assert_non_null(strstr(g->detail, "character device"));
    free(t);
}

static void test_tar__reports_file_outside_top_folder(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "README", .content = "hi"},
                               {.path = "package/a.js", .content = "a"}};
    unsigned char *t;
    size_t len;
    const sg_finding *g;

    sgt_tar_build(&t, &len, e, 2, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 1);
    g = find_kind(f, "unsafe-entry", "README");
    assert_non_null(g);
    assert_int_equal(g->severity, SG_SEV_MEDIUM);
    free(t);
}

static void test_tar__merges_identical_duplicates(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/./dist/x.js", .content = "same"},
                               {.path = "package/dist/x.js", .content = "same"}};
    unsigned char *t;
    size_t len;

    sgt_tar_build(&t, &len, e, 2, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 1);
    check_file(f, "dist/x.js", "same", 4, 0);
    assert_int_equal(sg_report_finding_count(f->report), 0);
    assert_true(has_norm(f, "tar-duplicate-identical"));
    free(t);
}

static void test_tar__reports_differing_duplicates_last_wins(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/a.js", .content = "first"},
                               {.path = "package/b.js", .content = "b"},
                               {.path = "package/a.js", .content = "second!", .mode = 0755},
                               {.path = "package/./a.js", .content = "third"}};
    unsigned char *t;
    size_t len;
    const sg_finding *g;

    sgt_tar_build(&t, &len, e, 4, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 2);
    check_file(f, "a.js", "third", 5, 0);
    check_file(f, "b.js", "b", 1, 0);
    assert_int_equal(count_kind(f, "duplicate-entry"), 1); /* one per path */
    g = find_kind(f, "duplicate-entry", "a.js");
    assert_non_null(g);
    assert_int_equal(g->severity, SG_SEV_HIGH);
    assert_false(has_norm(f, "tar-duplicate-identical"));
    free(t);
}

/* The tree's backend shows each file's bytes in place (the decompressed stream), the last of
 * duplicates included, exactly as a read returns them; a plain tar as well. */
static void view_is(fx *f, const char *path, const char *content)
{
    const sg_entry *e = sg_tree_find(f->tree, path);
    const void *p = NULL;
    size_t n = 99;

    assert_non_null(e);
    assert_int_equal(sg_tree__view(&p, &n, f->tree, e), 0);
    assert_int_equal(n, strlen(content));
    assert_memory_equal(p, content, n);
}

static void test_tar__files_are_viewed_in_place(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/a.js", .content = "first"},
                               {.path = "package/empty", .content = ""},
                               {.path = "package/dir/", .type = '5'},
                               {.path = "package/a.js", .content = "second!"},
                               {.path = "package/b.js", .content = "bee"}};
    unsigned char *t;
    size_t len;
    int gz;

    for (gz = 0; gz <= 1; gz++) {
        sgt_tar_build(&t, &len, e, 5, gz);
        rd_ok(f, t, len);
        view_is(f, "a.js", "second!");
        view_is(f, "b.js", "bee");
        view_is(f, "empty", "");
        free(t);
    }
}

/* A plain tar whose first name begins with zstd's magic number reads fine with libarchive, but
 * npm's installer would decompress it as zstd: refused, whatever libarchive makes of it. */
static void test_tar__zstd_magic_is_refused(void **state)
{
    fx *f = *state;
    const tent e[] = {{.path = "\x28\xb5\x2f\xfdpackage/index.js", .content = "x"}};
    size_t len;
    unsigned char *t = npm_tar(&len, e, 1);

    assert_int_equal(t[0], 0x28);
    check_error(f, rd(f, t, len), SG_EINVALID, "zstd's magic number");
    free(t);
}

static void test_tar__reports_case_only_twins(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/README.md", .content = "a"},
                               {.path = "package/lib/x.js", .content = "x"},
                               {.path = "package/Readme.md", .content = "b"},
                               {.path = "package/LIB/X.js", .content = "x"}};
    unsigned char *t;
    size_t len;
    const sg_finding *g;

    sgt_tar_build(&t, &len, e, 4, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 4);
    assert_int_equal(count_kind(f, "case-collision"), 2);
    g = find_kind(f, "case-collision", "Readme.md");
    assert_non_null(g);
    assert_int_equal(g->severity, SG_SEV_MEDIUM);
    assert_non_null(strstr(g->detail, "'README.md'"));
    assert_non_null(strstr(g->detail, "'Readme.md'"));
    assert_non_null(find_kind(f, "case-collision", "LIB/X.js"));
    free(t);
}

static void test_tar__keeps_any_executable_bit(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/a", .content = "a", .mode = 0644},
                               {.path = "package/b", .content = "b", .mode = 0755},
                               {.path = "package/c", .content = "c", .mode = 0654},
                               {.path = "package/d", .content = "d", .mode = 0645},
                               {.path = "package/e", .content = "e", .mode = 0744}};
    unsigned char *t;
    size_t len;

    sgt_tar_build(&t, &len, e, 5, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_find(f->tree, "a")->exec, 0);
    assert_int_equal(sg_tree_find(f->tree, "b")->exec, 1);
    assert_int_equal(sg_tree_find(f->tree, "c")->exec, 1);
    assert_int_equal(sg_tree_find(f->tree, "d")->exec, 1);
    assert_int_equal(sg_tree_find(f->tree, "e")->exec, 1);
    free(t);
}

/* One gzip'd entry of `size` zero bytes, written in 1 MiB chunks (bounded memory). */
static unsigned char *zero_bomb(size_t *len, const char *prefix, size_t entries, size_t size)
{
    static const char zeros[1 << 20];
    sink s = {0};
    struct archive *a = writer_open(&s, USTAR, 1);
    size_t i, done;
    char name[64];

    for (i = 0; i < entries; i++) {
        tent t = {.path = name};
        snprintf(name, sizeof(name), "%s%03zu.bin", prefix, i);
        writer_header(a, &t, size);
        for (done = 0; done < size;) {
            size_t n = size - done < sizeof(zeros) ? size - done : sizeof(zeros);
            assert_int_equal(archive_write_data(a, zeros, n), (la_ssize_t)n);
            done += n;
        }
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *len = s.len;
    return s.data;
}

static void test_tar__refuses_gzip_bomb_by_ratio(void **state)
{
    fx *f = *state;
    size_t len;
    unsigned char *t = zero_bomb(&len, "package/bomb", 1, (size_t)200 << 20);
    double t0;
    int r;

    assert_true(len < (size_t)1 << 20);
    t0 = now();
    r = rd(f, t, len);
    check_error(f, r, SG_ELIMIT, "'compression-ratio' (200)");
    assert_non_null(strstr(sg_error_message(f->ctx), "package/bomb000.bin"));
    print_message("bomb refused in %.3f s\n", now() - t0);
    free(t);
}

static void test_tar__stops_streaming_bomb_at_running_total(void **state)
{
    fx *f = *state;
    size_t len;
    unsigned char *t = zero_bomb(&len, "package/z", 64, (size_t)1 << 20);
    const char *msg, *at;
    int r;

    r = rd(f, t, len);
    check_error(f, r, SG_ELIMIT, "'compression-ratio' (200)");
    msg = sg_error_message(f->ctx);
    at = strstr(msg, "package/z");
    assert_non_null(at);
    /* 64 MiB of zeros compress to ~64 KiB: the running total passes 200x that early on */
    assert_true(strtol(at + strlen("package/z"), NULL, 10) < 32);
    free(t);
}

static void fill_random(unsigned char *p, size_t n, uint32_t seed)
{
    size_t i;
    for (i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16);
    }
}

static void test_tar__refuses_truncated_archives(void **state)
{
    fx *f = *state;
    static unsigned char big[200000];
    tent e[2] = {{.path = "package/a.js", .content = "a"},
                 {.path = "package/big.bin", .content = (const char *)big, .len = 4000}};
    size_t len;
    unsigned char *t;

    fill_random(big, sizeof(big), 7);
    /* plain tar cut in the middle of big.bin's data */
    t = build(&len, e, 2, USTAR, 0);
    check_error(f, rd(f, t, 512 * 4 + 100), SG_EINVALID, "cannot read tar entry 'package/big.bin'");
    /* cut in the middle of a header */
    check_error(f, rd(f, t, 512 + 512 + 200), SG_EINVALID, "after entry 'package/a.js'");
    free(t);
    /* gzip cut short past the first entries: the entry being read is named */
    e[1].len = sizeof(big);
    t = build(&len, e, 2, USTAR, 1);
    check_error(f, rd(f, t, len * 3 / 4), SG_EINVALID, "'package/big.bin'");
    assert_non_null(strstr(sg_error_message(f->ctx), "truncated"));
    free(t);
    /* a small gzip cut in half fails before the first entry */
    t = build(&len, e, 1, USTAR, 1);
    check_error(f, rd(f, t, len / 2), SG_EINVALID, "truncated gzip");
    free(t);
}

static void test_tar__refuses_garbage(void **state)
{
    fx *f = *state;
    unsigned char junk[4096];
    uint32_t x = 2463534242u;
    size_t i;
    int r;

    for (i = 0; i < sizeof(junk); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk[i] = (unsigned char)x;
    }
    r = rd(f, junk, sizeof(junk));
    check_error(f, r, SG_EINVALID, "not a tar archive");
    assert_null(strchr(sg_error_message(f->ctx), '\n'));
    junk[0] = 0x1f; /* gzip magic, then garbage */
    junk[1] = 0x8b;
    junk[2] = 8;
    junk[3] = 0;
    r = rd(f, junk, sizeof(junk));
    assert_int_equal(r, SG_EINVALID);
    r = rd(f, (const unsigned char *)"", 0);
    check_error(f, r, SG_EINVALID, "not a tar archive");
    r = rd(f, (const unsigned char *)"PK\3\4 this is a zip", 19);
    check_error(f, r, SG_EINVALID, "not a tar archive");
}

static void test_tar__reads_empty_archive(void **state)
{
    fx *f = *state;
    size_t len;
    unsigned char *t = build(&len, NULL, 0, USTAR, 1);

    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 0);
    assert_int_equal(f->info.entries, 0);
    assert_int_equal(f->info.packer, SG_PACKER_UNKNOWN);
    free(t);
}

static void test_tar__limits_entries(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {
        {.path = "package/", .type = '5'},     {.path = "package/a", .content = "a"},
        {.path = "package/b", .content = "b"}, {.path = "package/c", .content = "c"},
        {.path = "package/d", .content = "d"}, {.path = "package/e", .content = "e"}};
    unsigned char *t;
    size_t len;

    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_ENTRIES, 5), 0);
    sgt_tar_build(&t, &len, e, 5, 1);
    rd_ok(f, t, len);
    assert_int_equal(sg_tree_count(f->tree), 4);
    free(t);
    sgt_tar_build(&t, &len, e, 6, 1);
    check_error(f, rd(f, t, len), SG_ELIMIT, "'entries' (5)");
    free(t);
}

static void test_tar__limits_file_size(void **state)
{
    fx *f = *state;
    char data[101];
    sgt_tar_entry e[] = {{.path = "package/a.bin", .content = data, .len = 100}};
    unsigned char *t;
    size_t len;

    memset(data, 'x', sizeof(data));
    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_FILE_SIZE, 100), 0);
    sgt_tar_build(&t, &len, e, 1, 1);
    rd_ok(f, t, len);
    free(t);
    e[0].len = 101;
    sgt_tar_build(&t, &len, e, 1, 1);
    check_error(f, rd(f, t, len), SG_ELIMIT, "'file-size' (100)");
    assert_non_null(strstr(sg_error_message(f->ctx), "'package/a.bin'"));
    free(t);
}

static void test_tar__limits_unpacked_and_tarball_bytes(void **state)
{
    fx *f = *state;
    char data[60];
    const sgt_tar_entry e[] = {{.path = "package/a", .content = data, .len = 60},
                               {.path = "package/b", .content = data, .len = 40}};
    unsigned char *t;
    size_t len;

    memset(data, 'u', sizeof(data));
    sgt_tar_build(&t, &len, e, 2, 1);
    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_UNPACKED_BYTES, 100), 0);
    rd_ok(f, t, len);
    assert_int_equal(f->info.unpacked_bytes, 100);
    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_UNPACKED_BYTES, 99), 0);
    check_error(f, rd(f, t, len), SG_ELIMIT, "'unpacked-bytes' (99)");
    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_UNPACKED_BYTES, 1000), 0);
    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_TARBALL_BYTES, len), 0);
    rd_ok(f, t, len);
    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_TARBALL_BYTES, len - 1), 0);
    check_error(f, rd(f, t, len), SG_ELIMIT, "'tarball-bytes'");
    free(t);
}

static void test_tar__limits_path_length_and_depth(void **state)
{
    fx *f = *state;
    sgt_tar_entry e[] = {{.path = "package/abcdefghij0123456789", .content = "x"}};
    unsigned char *t;
    size_t len;

    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_PATH_LENGTH, 20), 0);
    sgt_tar_build(&t, &len, e, 1, 1); /* 20 bytes after the top folder */
    rd_ok(f, t, len);
    free(t);
    e[0].path = "package/abcdefghij0123456789X";
    sgt_tar_build(&t, &len, e, 1, 1);
    check_error(f, rd(f, t, len), SG_ELIMIT, "'path-length' (20)");
    free(t);

    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_PATH_DEPTH, 3), 0);
    e[0].path = "package/a/b/c.js";
    sgt_tar_build(&t, &len, e, 1, 1);
    rd_ok(f, t, len);
    free(t);
    e[0].path = "package/a/b/c/d.js";
    sgt_tar_build(&t, &len, e, 1, 1);
    check_error(f, rd(f, t, len), SG_ELIMIT, "'path-depth' (3)");
    free(t);
}

static void test_tar__tree_read_returns_original_bytes(void **state)
{
    fx *f = *state;
    size_t big_len = 300000, len;
    char *big = malloc(big_len);
    sgt_tar_entry e[] = {{.path = "package/z-first.txt", .content = "first"},
                         {.path = "package/big.bin", .content = NULL, .len = 0},
                         {.path = "package/empty.txt", .content = NULL},
                         {.path = "package/a-last.txt", .content = "last"}};
    unsigned char *t;

    assert_non_null(big);
    fill_random((unsigned char *)big, big_len, 12345);
    e[1].content = big;
    e[1].len = big_len;
    sgt_tar_build(&t, &len, e, 4, 1);
    rd_ok(f, t, len);
    free(t); /* the tree keeps its own copy */
    /* read in an order unlike the archive's */
    check_file(f, "a-last.txt", "last", 4, 0);
    check_file(f, "big.bin", big, big_len, 0);
    check_file(f, "z-first.txt", "first", 5, 0);
    check_file(f, "empty.txt", "", 0, 0);
    free(big);
}

static void test_tar__report_may_be_null(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "/abs", .content = "x"},
                               {.path = "package/l", .type = '2', .linkname = "x"},
                               {.path = "package/a", .content = "1"},
                               {.path = "package/a", .content = "2"}};
    unsigned char *t;
    size_t len;
    sg_tree *tree = NULL;
    sg_tar_info info;

    sgt_tar_build(&t, &len, e, 4, 1);
    assert_int_equal(sg_tar_read(&tree, &info, f->ctx, t, len, NULL), 0);
    assert_int_equal(sg_tree_count(tree), 1);
    sg_tree_free(tree);
    assert_int_equal(sg_tar_read(&tree, NULL, f->ctx, t, len, NULL), 0);
    sg_tree_free(tree);
    free(t);
}

static void test_tar__fails_cleanly_on_allocation_failure(void **state)
{
    fx *f = *state;
    const sgt_tar_entry e[] = {{.path = "package/a.js", .content = "a"},
                               {.path = "package/A.js", .content = "A"},
                               {.path = "package/a.js", .content = "b"},
                               {.path = "/abs", .content = "x"},
                               {.path = "package/l", .type = '2', .linkname = "a.js"},
                               {.path = "package/lib/", .type = '5'},
                               {.path = "package/lib/x.js", .content = "x"}};
    unsigned char *t;
    size_t len;
    long n;
    int r = -1;

    sgt_tar_build(&t, &len, e, 7, 1);
    for (n = 0; n < 1000 && r != 0; n++) {
        sg_report_free(f->report);
        assert_int_equal(sg_report_new(&f->report, f->ctx), 0);
        sg_alloc__fail_after(n);
        r = rd(f, t, len);
        sg_alloc__fail_after(-1);
        if (r != 0) {
            assert_int_equal(r, SG_ENOMEM);
            assert_null(f->tree);
        }
    }
    assert_int_equal(r, 0);
    assert_true(n > 10); /* the loop did meet failures before succeeding */
    assert_int_equal(sg_tree_count(f->tree), 3);
    free(t);
}

static void test_tar__many_entries_stay_fast(void **state)
{
    fx *f = *state;
    const size_t n = 200000;
    sink s = {0};
    struct archive *a = writer_open(&s, USTAR, 1);
    char name[64];
    size_t i;
    double t0;

    for (i = 0; i < n; i++) {
        tent t = {.path = name};
        snprintf(name, sizeof(name), "package/d%03zu/f%06zu.js", i % 500, i);
        writer_header(a, &t, 1);
        assert_int_equal(archive_write_data(a, "x", 1), 1);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_ENTRIES, n), 0);
    t0 = now();
    rd_ok(f, s.data, s.len);
    assert_int_equal(sg_tree_count(f->tree), n);
    assert_int_equal(f->info.entries, n);
    assert_non_null(sg_tree_find(f->tree, "d123/f199623.js"));
    /* linear work is ~1 s here; a quadratic table would take minutes (ctest's timeout) */
    print_message("200000 entries read in %.3f s\n", now() - t0);
    free(s.data);
}

static void put_text(const char *path, const char *text)
{
    sgt_write_file(path, text, strlen(text), 0644);
}

static void test_tar__reads_real_npm_pack(void **state)
{
    fx *f = *state;
    char cmd[8192], path[4096];
    const char *dir;
    unsigned char *tgz;
    size_t len;

    if (!sgt_have_program("npm"))
        skip();
    dir = sgt_tmpdir();
    snprintf(path, sizeof(path), "%s/pkg/package.json", dir);
    put_text(path, "{\"name\":\"sg-fixture\",\"version\":\"1.2.3\",\"bin\":\"cli.js\"}\n");
    snprintf(path, sizeof(path), "%s/pkg/index.js", dir);
    put_text(path, "module.exports = 1;\n");
    snprintf(path, sizeof(path), "%s/pkg/cli.js", dir);
    put_text(path, "#!/usr/bin/env node\n");
    snprintf(cmd, sizeof(cmd),
             "cd '%s/pkg' && npm_config_cache='%s/cache' npm_config_update_notifier=false "
             "npm pack --silent --offline >/dev/null 2>&1",
             dir, dir);
    if (sgt_run(cmd, NULL, NULL) != 0)
        skip(); /* an npm that cannot pack here says nothing about the reader */
    snprintf(path, sizeof(path), "%s/pkg/sg-fixture-1.2.3.tgz", dir);
    tgz = (unsigned char *)sgt_read_file(path, &len);
    rd_ok(f, tgz, len);
    assert_int_equal(sg_tree_count(f->tree), 3);
    assert_non_null(sg_tree_find(f->tree, "package.json"));
    check_file(f, "index.js", "module.exports = 1;\n", 20, 0);
    assert_int_equal(sg_tree_find(f->tree, "cli.js")->exec, 1); /* npm's bin rule */
    assert_string_equal(f->info.top, "package");
    assert_int_equal(f->info.packer, SG_PACKER_NPM);
    assert_int_equal(sg_report_finding_count(f->report), 0);
    free(tgz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_tar__reads_npm_shaped_tarball),
        T(test_tar__reads_plain_tar),
        T(test_tar__detects_npm_legacy_by_gzip_os),
        T(test_tar__detects_pnpm_and_yarn_berry),
        T(test_tar__detects_yarn_classic_and_old_npm),
        T(test_tar__packer_names),
        T(test_tar__accepts_other_top_folder),
        T(test_tar__drops_dot_segments),
        T(test_tar__leading_dot_segment_is_ambiguous),
        T(test_tar__no_dot_normalization_for_clean_paths),
        T(test_tar__reads_pax_long_and_non_ascii_names),
        T(test_tar__reads_gnu_and_v7_formats),
        T(test_tar__skips_directory_entries),
        T(test_tar__rejects_absolute_parent_and_backslash_paths),
        T(test_tar__reports_links_without_following),
        T(test_tar__reports_fifo_and_devices),
        T(test_tar__reports_file_outside_top_folder),
        T(test_tar__merges_identical_duplicates),
        T(test_tar__reports_differing_duplicates_last_wins),
        T(test_tar__files_are_viewed_in_place),
        T(test_tar__zstd_magic_is_refused),
        T(test_tar__reports_case_only_twins),
        T(test_tar__keeps_any_executable_bit),
        T(test_tar__refuses_gzip_bomb_by_ratio),
        T(test_tar__stops_streaming_bomb_at_running_total),
        T(test_tar__refuses_truncated_archives),
        T(test_tar__refuses_garbage),
        T(test_tar__reads_empty_archive),
        T(test_tar__limits_entries),
        T(test_tar__limits_file_size),
        T(test_tar__limits_unpacked_and_tarball_bytes),
        T(test_tar__limits_path_length_and_depth),
        T(test_tar__tree_read_returns_original_bytes),
        T(test_tar__report_may_be_null),
        T(test_tar__fails_cleanly_on_allocation_failure),
        T(test_tar__many_entries_stay_fast),
        T(test_tar__reads_real_npm_pack),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
