/*
 * The differential test of DESIGN.md invariant 1: for generated tar header sequences, if
 * sourcegate's tar reading would let a verdict pass (no finding of high severity or more), then
 * the files npm's own installer writes (pacote's extract, run by tests/tar-differential/
 * extract.js with the npm on PATH) are exactly the files of the tree sourcegate compares: same
 * paths, same bytes.
 *
 * The generator mixes the header classes where tar readers are known to part ways: extended
 * headers in every order and combination (pax x and g, GNU L, K, N), ustar prefixes and magic
 * variants, numeric fields in unusual encodings, damaged checksums, zero blocks in the middle,
 * links and directories with data, archaic and unknown types, '.', '..', absolute, backslash,
 * case-twin and non-UTF-8 names, truncation; half of the archives are gzipped, some of them in
 * several members, with header fields, padding or damage. A fixed set of gzip streams (several
 * members, padding, trailing data, header fields, damage) checks the decompression too:
 * sourcegate must read the ones npm reads, and npm must fail on the ones sourcegate refuses for
 * that reason (verifier/fetch/tar_npm.c has the table).
 *
 * Environment:
 *   SG_TAR_DIFF_COUNT    archives for a plain run (default 300)
 *   SG_TAR_DIFF_SECONDS  fuzz mode: keep generating batches for this many seconds
 *   SG_TAR_DIFF_SEED     first seed (default 1; fuzz mode: the time)
 *   SG_TAR_DIFF_SEEDS    a folder of extra archives (.tar, .tgz) to check as they are
 *                        (tests/tar-differential/corpus is always checked)
 *   SG_TAR_DIFF_KEEP     a folder where archives that break the rule are copied
 * Skipped (exit 0 with a message) when node or npm is missing.
 */
#include "sg_test.h"

#include <dirent.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <libdeflate.h>

#include "common/common.h"
#include "tar_blocks.h"

#define BATCH 200

/* A malloc'd printf. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    int n;
    char *out;
    va_start(ap, f);
    n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    assert_true(n >= 0);
    out = malloc((size_t)n + 1);
    assert_non_null(out);
    va_start(ap, f);
    vsnprintf(out, (size_t)n + 1, f, ap);
    va_end(ap);
    return out;
}

/* ---- a small deterministic generator ----------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static size_t pick(size_t n)
{
    return (size_t)(rnd() % n);
}

static int chance(unsigned percent)
{
    return pick(100) < percent;
}

static const char *const names[] = {
    "package/index.js",
    "package/lib/a.js",
    "package/README.md",
    "package/notes.txt",
    "./index.js",
    ".//index.js",
    "package/./lib/a.js",
    "package//lib/a.js",
    "other/index.js",
    "package/../index.js",
    "package/Index.js",
    "package/lib",
    "package/lib/",
    "package/.gitignore",
    "package/.npmignore",
    "package/lib/.gitignore",
    "package/a\\b.js",
    "package/\xc3\xa9.js",
    "package/\xff.js",
    "/package/abs.js",
    "package",
    "package/",
    "package/a.js/",
    "./package/x.js",
    "package/lib/../../x.js",
    "package/.",
    "package/bin/cli",
};

static const char *name(void)
{
    static char long_name[300];
    if (chance(8)) {
        size_t n = 90 + pick(120), i;
        memcpy(long_name, "package/", 8);
        for (i = 8; i < n; i++)
            long_name[i] = (char)('a' + (i % 26));
        long_name[n / 2] = '/';
        memcpy(long_name + n, "/deep.js", 9);
        return long_name;
    }
    return names[pick(SG_ARRAY_SIZE(names))];
}

/* Mutations of the next header. */
enum {
    MUT_NONE,
    MUT_CHECKSUM,     /* wrong checksum */
    MUT_CHECKSUM_8,   /* 8 digits, no terminator */
    MUT_MAGIC_GNU,    /* "ustar  \0" */
    MUT_MAGIC_ODD,    /* "ustar\0" + "  " */
    MUT_MAGIC_NONE,   /* v7 */
    MUT_SIZE_B256,    /* base-256 size */
    MUT_SIZE_PLUS,    /* "+000..." */
    MUT_SIZE_GARBAGE, /* digits then garbage */
    MUT_SIZE_SPACES,  /* leading spaces */
    MUT_NAME_GARBAGE, /* bytes after the name's NUL */
    MUT_LINKNAME,     /* a link target on any entry */
    MUT_SIGNED_SUM,   /* a checksum computed with signed bytes */
    MUT__COUNT
};

static void seal(unsigned char *h, int mut)
{
    unsigned sum = 0;
    int ssum = 0;
    size_t k;
    memset(h + 148, ' ', 8);
    for (k = 0; k < 512; k++) {
        sum += h[k];
        ssum += (signed char)h[k];
    }
    if (mut == MUT_SIGNED_SUM) {
        sgt_tb_octal(h + 148, 8, (uint64_t)(unsigned)ssum & 0777777);
        return;
    }
    sgt_tb_octal(h + 148, 8, sum);
    if (mut == MUT_CHECKSUM)
        h[150] = (unsigned char)(h[150] == '7' ? '6' : '7');
    if (mut == MUT_CHECKSUM_8) {
        char tmp[16];
        snprintf(tmp, sizeof(tmp), "%08o", sum);
        memcpy(h + 148, tmp, 8);
    }
}

/* A header for `nm` of `type` whose body is `size` bytes. Long names go into the ustar prefix
 * when they fit there. */
static unsigned char *header(sgt_tb *t, const char *nm, char type, uint64_t size, int mut)
{
    unsigned char *h = sgt_tb_blocks(t, 1);
    size_t len = strlen(nm);

    if (len > 100) {
        const char *slash = strchr(nm + len - 100 < nm ? nm : nm + len - 100, '/');
        if (slash && (size_t)(slash - nm) <= 155) {
            memcpy(h + 345, nm, (size_t)(slash - nm));
            memcpy(h, slash + 1, strlen(slash + 1));
        } else {
            memcpy(h, nm, 100);
        }
    } else {
        memcpy(h, nm, len);
    }
    sgt_tb_octal(h + 100, 8, chance(20) ? 0755 : 0644);
    sgt_tb_octal(h + 108, 8, 0);
    sgt_tb_octal(h + 116, 8, 0);
    sgt_tb_octal(h + 124, 12, size);
    sgt_tb_octal(h + 136, 12, 499162500);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar\00000", 8);
    switch (mut) {
    case MUT_MAGIC_GNU:
        memcpy(h + 257, "ustar  \0", 8);
        break;
    case MUT_MAGIC_ODD:
        memcpy(h + 257, "ustar\0  ", 8);
        break;
    case MUT_MAGIC_NONE:
        memset(h + 257, 0, 8);
        break;
    case MUT_SIZE_B256:
        memset(h + 124, 0, 12);
        h[124] = 0x80;
        h[135] = (unsigned char)(size & 0xff);
        h[134] = (unsigned char)((size >> 8) & 0xff);
        break;
    case MUT_SIZE_PLUS:
        h[124] = '+';
        break;
    case MUT_SIZE_GARBAGE:
        h[134] = 'x';
        break;
    case MUT_SIZE_SPACES:
        h[124] = ' ';
        h[125] = ' ';
        break;
    case MUT_NAME_GARBAGE:
        if (len < 97) {
            h[len + 1] = 'z';
            if (chance(50))
                h[len + 2] = '\n';
        }
        break;
    case MUT_LINKNAME:
        memcpy(h + 157, "package/index.js", 16);
        break;
    default:
        break;
    }
    seal(h, mut);
    return h;
}

static size_t content(char *buf, size_t cap)
{
    size_t n = chance(10) ? 0 : 1 + pick(chance(10) ? 1400 : 60), i;
    if (n > cap)
        n = cap;
    for (i = 0; i < n; i++)
        buf[i] = (char)('!' + pick(90));
    return n;
}

static void pax_record(char *out, size_t cap, const char *key, const char *value)
{
    size_t n = strlen(key) + strlen(value) + 3, digits = 1, d;
    for (d = n + 1; d >= 10; d /= 10)
        digits++;
    snprintf(out, cap, "%zu %s=%s\n", n + digits, key, value);
}

static void pax_body(char *out, size_t cap, int global)
{
    static const char *const keys[] = {"path",      "path",  "size",    "size",
                                       "linkpath",  "mtime", "comment", "GNU.sparse.size",
                                       "type",      "mode",  "uid",     "SCHILY.xattr.user.x",
                                       "hdrcharset"};
    size_t n = 1 + pick(3), i, used = 0;
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        const char *k = keys[pick(SG_ARRAY_SIZE(keys))];
        char v[300], rec[400];
        if (strcmp(k, "path") == 0 || strcmp(k, "linkpath") == 0)
            snprintf(v, sizeof(v), "%s", name());
        else if (strcmp(k, "size") == 0)
            snprintf(v, sizeof(v), "%s",
                     (const char *[]){"3", "0", "17", "0x10", " 5", "1e2", "-1", "007"}[pick(8)]);
        else if (strcmp(k, "type") == 0)
            snprintf(v, sizeof(v), "%s", (const char *[]){"0", "File", "5", "2"}[pick(4)]);
        else
            snprintf(v, sizeof(v), "%u", (unsigned)pick(1000));
        pax_record(rec, sizeof(rec), k, v);
        if (chance(5))
            rec[0] = (char)(rec[0] == '9' ? '8' : rec[0] + 1); /* a wrong length */
        if (used + strlen(rec) + 1 < cap) {
            memcpy(out + used, rec, strlen(rec) + 1);
            used += strlen(rec);
        }
    }
    (void)global;
}

static void unit(sgt_tb *t)
{
    char data[1600];
    size_t n, r = pick(100);
    int mut = chance(15) ? (int)(1 + pick(MUT__COUNT - 1)) : MUT_NONE;

    if (r < 42) { /* a file */
        n = content(data, sizeof(data));
        header(t, name(), chance(5) ? 0 : '0', n, mut);
        sgt_tb_body(t, data, n);
    } else if (r < 52) { /* pax */
        char pb[1400];
        int g = chance(25);
        pax_body(pb, sizeof(pb), g);
        header(t, "PaxHeader/x", g ? 'g' : 'x', strlen(pb), mut);
        sgt_tb_body(t, pb, strlen(pb));
    } else if (r < 62) { /* GNU long names */
        const char *nm = name();
        char type = "LLKN"[pick(4)];
        header(t, "././@LongLink", type, strlen(nm) + 1, mut);
        sgt_tb_body(t, nm, strlen(nm) + 1);
    } else if (r < 68) { /* directory */
        n = chance(30) ? content(data, sizeof(data)) : 0;
        header(t, chance(50) ? "package/lib/" : "package/lib", '5', n, mut);
        sgt_tb_body(t, data, n);
    } else if (r < 74) { /* links */
        unsigned char *h;
        n = chance(30) ? content(data, sizeof(data)) : 0;
        h = header(t, name(), chance(50) ? '1' : '2', n, MUT_NONE);
        memcpy(h + 157, "package/index.js", 16);
        seal(h, mut);
        sgt_tb_body(t, data, n);
    } else if (r < 80) { /* other types */
        n = chance(50) ? content(data, sizeof(data)) : 0;
        header(t, name(), "34567DSVMAIXZ"[pick(13)], n, mut);
        sgt_tb_body(t, data, n);
    } else if (r < 84) { /* a zero block */
        sgt_tb_blocks(t, 1);
    } else { /* a plain file */
        n = content(data, sizeof(data));
        header(t, "package/lib/b.js", '0', n, MUT_NONE);
        sgt_tb_body(t, data, n);
    }
}

static void archive_bytes(sgt_tb *t)
{
    static const char pj[] = "{\"name\":\"x\",\"version\":\"1.0.0\"}\n";
    size_t units = 1 + pick(6), i;
    t->len = 0;
    header(t, "package/package.json", '0', sizeof(pj) - 1, MUT_NONE);
    sgt_tb_body(t, pj, sizeof(pj) - 1);
    for (i = 0; i < units; i++)
        unit(t);
    sgt_tb_blocks(t, chance(10) ? pick(2) : 2);
    if (chance(4) && t->len > 600)
        t->len -= 1 + pick(500);
}

/* ---- gzip, files, extraction ----------------------------------------------------------------- */

static unsigned char *gzip(const unsigned char *data, size_t len, size_t *out_len)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    size_t cap = len + 4096, used = 0;
    unsigned char *out = malloc(cap);
    assert_non_null(out);
    assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
    assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_set_bytes_per_block(a, 0), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "x");
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_true(archive_write_data(a, data, len) == (la_ssize_t)len);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    *out_len = used;
    return out;
}

typedef struct result {
    char **files; /* "path\tsize\tsha256" lines, sorted */
    size_t n;     /* count */
} result;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void result_free(result *r)
{
    size_t i;
    for (i = 0; i < r->n; i++)
        free(r->files[i]);
    free(r->files);
    memset(r, 0, sizeof(*r));
}

/* sourcegate's reading: 1 when it would let the verdict pass, with the tree's files. */
static int sourcegate_passes(result *out, const unsigned char *bytes, size_t len)
{
    sg_ctx *ctx = NULL;
    sg_report *report = NULL;
    sg_tree *tree = NULL;
    size_t i;
    int passes = 1;

    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_report_new(&report, ctx), 0);
    if (sg_tar_read(&tree, NULL, ctx, bytes, len, report) < 0) {
        passes = 0;
        goto done;
    }
    for (i = 0; i < sg_report_finding_count(report); i++)
        if (sg_report_finding(report, i)->severity >= SG_SEV_HIGH)
            passes = 0;
    out->files = calloc(sg_tree_count(tree) + 1, sizeof(char *));
    for (i = 0; i < sg_tree_count(tree); i++) {
        const sg_entry *e = sg_tree_entry(tree, i);
        char hex[65];
        if (e->kind != SG_ENTRY_FILE)
            continue;
        sg_hex(hex, e->sha256, 32);
        out->files[out->n++] = fmt("%s\t%llu\t%s", e->path, (unsigned long long)e->size, hex);
    }
    qsort(out->files, out->n, sizeof(char *), cmp_str);
done:
    sg_tree_free(tree);
    sg_report_free(report);
    sg_ctx_free(ctx);
    return passes;
}

/* One JSON line of extract.js into "path\tsize\tsha256" lines. The extractor prints paths as
 * JSON strings; the generated names need only \\ and \" unescaped (others stay as printed). */
static void parse_npm(result *out, const char *line)
{
    const char *p = strstr(line, "\"files\":[");
    assert_non_null(p);
    p += 9;
    while (*p == '[') {
        char path[1024];
        size_t k = 0;
        unsigned long long size;
        char sha[80];
        int used = 0;
        p += 2; /* [" */
        while (*p && *p != '"' && k + 1 < sizeof(path)) {
            if (*p == '\\' && p[1])
                p++;
            path[k++] = *p++;
        }
        path[k] = '\0';
        assert_int_equal(sscanf(p, "\",%llu,\"%64[^\"]\"]%n", &size, sha, &used), 2);
        p += used;
        if (*p == ',')
            p++;
        out->files = realloc(out->files, (out->n + 1) * sizeof(char *));
        out->files[out->n++] = fmt("%s\t%llu\t%s", path, size, sha);
    }
    qsort(out->files, out->n, sizeof(char *), cmp_str);
}

static int has_line(const result *r, const char *line)
{
    return bsearch(&line, r->files, r->n, sizeof(char *), cmp_str) != NULL;
}

/* pacote installs a .gitignore as .npmignore, or not at all when a .npmignore of that folder
 * came first; sourcegate compares it under the name it was packed with (the bytes are the
 * same, and npm pack puts both names in a tarball only when `files` forces them in). Apply the
 * rename to sourcegate's list where npm has the renamed file with the same bytes, and drop it
 * where npm has none. */
static void pacote_renames(result *sg, const result *npm)
{
    size_t i, k = 0;
    for (i = 0; i < sg->n; i++) {
        char *line = sg->files[i], *tab = strchr(line, '\t'), *renamed;
        size_t plen = (size_t)(tab - line);
        const size_t glen = strlen(".gitignore");
        if (plen >= glen && memcmp(tab - glen, ".gitignore", glen) == 0 &&
            (plen == glen || tab[-(long)glen - 1] == '/')) {
            renamed = fmt("%.*s.npmignore%s", (int)(plen - glen), line, tab);
            free(line);
            if (!has_line(npm, renamed)) {
                free(renamed);
                continue;
            }
            line = renamed;
        }
        sg->files[k++] = line;
    }
    sg->n = k;
    qsort(sg->files, sg->n, sizeof(char *), cmp_str);
    /* a renamed .gitignore equal to the .npmignore beside it is one file on disk */
    for (i = 0, k = 0; i < sg->n; i++) {
        if (k && strcmp(sg->files[k - 1], sg->files[i]) == 0) {
            free(sg->files[i]);
            continue;
        }
        sg->files[k++] = sg->files[i];
    }
    sg->n = k;
}

typedef struct tally {
    size_t tried;      /* archives checked */
    size_t passes;     /* sourcegate would pass them */
    size_t refused;    /* sourcegate fails them or errors */
    size_t npm_errors; /* npm's extract errored */
    size_t violations; /* sourcegate passes and npm writes something else */
} tally;

/* 1 when sourcegate would pass the archive. */
static int check_one(tally *t, const char *dir, const char *archive, const char *npm_line)
{
    char *path = fmt("%s/%s", dir, archive);
    size_t len;
    unsigned char *bytes;
    result sg = {0}, npm = {0};
    int same = 1, passes;
    size_t i;

    bytes = (unsigned char *)sgt_read_file(path, &len);
    free(path);
    t->tried++;
    if (strstr(npm_line, "\"error\":null") == NULL)
        t->npm_errors++;
    if (!(passes = sourcegate_passes(&sg, bytes, len))) {
        t->refused++;
        goto done;
    }
    t->passes++;
    parse_npm(&npm, npm_line);
    pacote_renames(&sg, &npm);
    same = sg.n == npm.n;
    for (i = 0; same && i < sg.n; i++)
        same = strcmp(sg.files[i], npm.files[i]) == 0;
    if (!same) {
        const char *keep = getenv("SG_TAR_DIFF_KEEP");
        t->violations++;
        fprintf(stderr, "VIOLATION %s: sourcegate passes but npm installs other files\n", archive);
        for (i = 0; i < sg.n; i++)
            fprintf(stderr, "  sourcegate  %s\n", sg.files[i]);
        for (i = 0; i < npm.n; i++)
            fprintf(stderr, "  npm         %s\n", npm.files[i]);
        if (keep) {
            char *dst = fmt("%s/%s", keep, archive);
            sgt_write_file(dst, bytes, len, 0644);
            free(dst);
        }
    }
done:
    result_free(&sg);
    result_free(&npm);
    free(bytes);
    return passes;
}

/* Called with each archive's npm line and whether sourcegate passes it. */
typedef void (*on_archive)(const char *archive, const char *npm_line, int passes);

/* Extract every archive of dir with npm and check each; all `expect` of them. */
static void run_dir_cb(tally *t, const char *dir, size_t expect, on_archive cb)
{
    size_t before = t->tried;
    char *cmd, *out = NULL, *err = NULL, *line, *save = NULL;
    int rc;
    cmd = fmt("node '%s/tests/tar-differential/extract.js' '%s'", getenv("SG_SOURCE_DIR"), dir);
    rc = sgt_run(cmd, &out, &err);
    free(cmd);
    if (rc != 0)
        fail_msg("extract.js failed (%d): %s", rc, err ? err : "");
    for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char archive[256];
        int passes;
        assert_int_equal(sscanf(line, "{\"archive\":\"%255[^\"]\"", archive), 1);
        passes = check_one(t, dir, archive, line);
        if (cb)
            cb(archive, line, passes);
    }
    if (t->tried - before != expect)
        fail_msg("extract.js reported %zu of %zu archives: %s", t->tried - before, expect,
                 err ? err : "");
    free(out);
    free(err);
}

static void run_dir(tally *t, const char *dir, size_t expect)
{
    run_dir_cb(t, dir, expect, NULL);
}

static unsigned char *gzip_variant(const unsigned char *data, size_t len, size_t *out_len);

static void generate_batch(const char *dir, uint64_t seed, size_t count)
{
    sgt_tb t = {0};
    size_t i;
    for (i = 0; i < count; i++) {
        char *path;
        size_t glen;
        unsigned char *gz = NULL;
        rng_state = (seed + i) * 0x9e3779b97f4a7c15ull | 1;
        archive_bytes(&t);
        path = fmt("%s/a%012llu.tgz", dir, (unsigned long long)(seed + i));
        if (chance(50)) {
            gz = chance(70) ? gzip(t.p, t.len, &glen) : gzip_variant(t.p, t.len, &glen);
            sgt_write_file(path, gz, glen, 0644);
        } else {
            sgt_write_file(path, t.p, t.len, 0644);
        }
        free(path);
        free(gz);
    }
    free(t.p);
}

/* Copy the archives of SG_TAR_DIFF_SEEDS into dir as .tgz (extract.js takes that suffix;
 * node-tar sniffs gzip whatever the name). */
static size_t copy_seeds(const char *dir, const char *seeds)
{
    DIR *d = opendir(seeds);
    struct dirent *de;
    size_t n = 0;
    if (!d)
        fail_msg("cannot open SG_TAR_DIFF_SEEDS '%s'", seeds);
    while ((de = readdir(d))) {
        char *src, *dst, *bytes;
        size_t len;
        const char *dot = strrchr(de->d_name, '.');
        if (!dot || (strcmp(dot, ".tar") != 0 && strcmp(dot, ".tgz") != 0 && strcmp(dot, ".gz")))
            continue;
        src = fmt("%s/%s", seeds, de->d_name);
        dst = fmt("%s/seed-%zu.tgz", dir, n++);
        bytes = sgt_read_file(src, &len);
        sgt_write_file(dst, bytes, len, 0644);
        free(bytes);
        free(src);
        free(dst);
    }
    closedir(d);
    return n;
}

/* ---- gzip streams ------------------------------------------------------------------------ */

/* Bytes being built. */
typedef struct bytes {
    unsigned char *p; /* the bytes (malloc'd) */
    size_t len;       /* used */
} bytes;

static void put(bytes *b, const void *data, size_t n)
{
    b->p = realloc(b->p, b->len + n + 1);
    assert_non_null(b->p);
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_le32(bytes *b, uint32_t v)
{
    unsigned char le[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24)};
    put(b, le, 4);
}

/* Damage and dress of a member. */
enum {
    GZ_FIELDS = 1,    /* FTEXT, FEXTRA, FNAME, FCOMMENT and a right FHCRC */
    GZ_BAD_HCRC = 2,  /* FHCRC, wrong */
    GZ_BAD_CRC = 4,   /* CRC-32 wrong */
    GZ_BAD_ISIZE = 8, /* ISIZE wrong */
    GZ_RESERVED = 16, /* a reserved flag bit */
    GZ_METHOD9 = 32,  /* compression method 9 */
};

/* Append a gzip member of data (n bytes); zlib: a zlib stream instead. */
static void gz_member(bytes *b, const void *data, size_t n, unsigned how, int zlib)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
    unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    size_t start = b->len, bound, clen;
    unsigned char *body;

    assert_non_null(c);
    bound = libdeflate_zlib_compress_bound(c, n);
    body = malloc(bound);
    assert_non_null(body);
    if (zlib) {
        clen = libdeflate_zlib_compress(c, data, n, body, bound);
        put(b, body, clen);
        goto done;
    }
    head[2] = how & GZ_METHOD9 ? 9 : 8;
    head[3] = (unsigned char)((how & GZ_FIELDS ? 0x1f : 0) | (how & GZ_BAD_HCRC ? 0x02 : 0) |
                              (how & GZ_RESERVED ? 0x40 : 0));
    put(b, head, sizeof(head));
    if (how & GZ_FIELDS)
        put(b,
            "\6\0AB\2\0hi"
            "package.tar\0"
            "a comment\0",
            30);
    if (head[3] & 0x02) {
        uint32_t h = (libdeflate_crc32(0, b->p + start, b->len - start) & 0xffff) ^
                     (how & GZ_BAD_HCRC ? 0x5555u : 0u);
        unsigned char le[2] = {(unsigned char)h, (unsigned char)(h >> 8)};
        put(b, le, 2);
    }
    clen = libdeflate_deflate_compress(c, data, n, body, bound);
    put(b, body, clen);
    put_le32(b, libdeflate_crc32(0, data, n) ^ (how & GZ_BAD_CRC ? 1u : 0u));
    put_le32(b, (uint32_t)n + (how & GZ_BAD_ISIZE ? 1u : 0u));
done:
    free(body);
    libdeflate_free_compressor(c);
}

/* The tar streams the gzip cases hold: `first` (package.json and index.js, no end blocks) and
 * `second` (lib/more.js and the end blocks). */
static void gz_tars(sgt_tb *first, sgt_tb *second)
{
    static const char pj[] = "{\"name\":\"x\",\"version\":\"1.0.0\"}\n";
    rng_state = 42;
    header(first, "package/package.json", '0', sizeof(pj) - 1, MUT_NONE);
    sgt_tb_body(first, pj, sizeof(pj) - 1);
    header(first, "package/index.js", '0', 12, MUT_NONE);
    sgt_tb_body(first, "module.x=1;\n", 12);
    header(second, "package/lib/more.js", '0', 7, MUT_NONE);
    sgt_tb_body(second, "more();", 7);
    sgt_tb_blocks(second, 2);
}

/* npm's outcome for a gzip case: whether it fails, or -1 when it depends on how the stream is
 * split into chunks (then sourcegate must refuse). */
static const struct gz_case {
    const char *name; /* the archive, g-<name>.tgz */
    int sg_passes;    /* sourcegate passes it */
    int npm_fails;    /* npm's extract errors: 1, 0, or -1 (depends on the chunks) */
} gz_cases[] = {
    {"members", 1, 0},       {"split", 1, 0},          {"zeros", 1, 0},       {"fields", 1, 0},
    {"zeros-member", 0, -1}, {"zeros-garbage", 0, -1}, {"zlib", 0, 0},        {"garbage", 0, 1},
    {"magic-garbage", 0, 1}, {"truncated", 0, 1},      {"header-only", 0, 1}, {"bad-crc", 0, 1},
    {"bad-isize", 0, 1},     {"bad-hcrc", 0, 1},       {"reserved", 0, 1},    {"method9", 0, 1},
};

static void gz_case_bytes(bytes *b, const char *name, const sgt_tb *t1, const sgt_tb *t2)
{
    static const unsigned char zeros[64];
    size_t half = t1->len / 2;
    const struct {
        const char *name; /* the case */
        unsigned how;     /* of the single member */
    } single[] = {
        {"fields", GZ_FIELDS},     {"bad-crc", GZ_BAD_CRC},   {"bad-isize", GZ_BAD_ISIZE},
        {"bad-hcrc", GZ_BAD_HCRC}, {"reserved", GZ_RESERVED}, {"method9", GZ_METHOD9},
    };
    size_t i;
    bytes both = {0};

    put(&both, t1->p, t1->len);
    put(&both, t2->p, t2->len);
    for (i = 0; i < SG_ARRAY_SIZE(single); i++)
        if (strcmp(name, single[i].name) == 0)
            gz_member(b, both.p, both.len, single[i].how, 0);
    if (strcmp(name, "members") == 0 || strcmp(name, "zeros-member") == 0 ||
        strcmp(name, "zlib") == 0) {
        gz_member(b, t1->p, t1->len, 0, 0);
        if (strcmp(name, "zeros-member") == 0)
            put(b, zeros, 10);
        gz_member(b, t2->p, t2->len, 0, strcmp(name, "zlib") == 0);
    } else if (strcmp(name, "split") == 0) {
        gz_member(b, t1->p, half + 100, 0, 0); /* splits a header */
        gz_member(b, "", 0, 0, 0);
        gz_member(b, t1->p + half + 100, t1->len - half - 100, 0, 0);
        gz_member(b, t2->p, t2->len, 0, 0);
    } else if (strncmp(name, "zeros", 5) == 0 || strcmp(name, "garbage") == 0 ||
               strcmp(name, "magic-garbage") == 0) {
        gz_member(b, both.p, both.len, 0, 0);
        if (strncmp(name, "zeros", 5) == 0)
            put(b, zeros, sizeof(zeros));
        if (strcmp(name, "zeros-garbage") == 0 || strcmp(name, "garbage") == 0)
            put(b, "garbage, garbage", 16);
        if (strcmp(name, "magic-garbage") == 0)
            put(b, "\x1f\x8bgarbage, garbage", 18);
    } else if (strcmp(name, "truncated") == 0 || strcmp(name, "header-only") == 0) {
        gz_member(b, both.p, both.len, 0, 0);
        b->len = strcmp(name, "header-only") == 0 ? 10 : b->len - 12;
    }
    free(both.p);
    assert_true(b->len > 0);
}

static void gz_check(const char *archive, const char *npm_line, int passes)
{
    size_t i;
    int npm_failed = strstr(npm_line, "\"error\":null") == NULL;
    for (i = 0; i < SG_ARRAY_SIZE(gz_cases); i++) {
        const struct gz_case *c = &gz_cases[i];
        char name[64];
        snprintf(name, sizeof(name), "g-%s.tgz", c->name);
        if (strcmp(name, archive) != 0)
            continue;
        if (passes != c->sg_passes)
            fail_msg("gzip case %s: sourcegate %s it", c->name, passes ? "passes" : "refuses");
        if (c->npm_fails >= 0 && npm_failed != c->npm_fails)
            fail_msg("gzip case %s: npm's reading changed: %s", c->name, npm_line);
        return;
    }
    fail_msg("unknown gzip case %s", archive);
}

/* A gzip stream of data as other packers or an attacker could write it: split into several
 * members (some empty), header fields, zero padding, and now and then damage or trailing data. */
static unsigned char *gzip_variant(const unsigned char *data, size_t len, size_t *out_len)
{
    static const unsigned char zeros[32];
    bytes b = {0};
    size_t members = 1 + pick(4), at = 0, i;
    unsigned damage = chance(10) ? (unsigned)pick(4) + 1 : 0;

    for (i = 0; i < members; i++) {
        size_t n = i + 1 == members ? len - at : pick(len - at + 1);
        unsigned how = chance(30) ? GZ_FIELDS : 0;
        if (damage == 1 && i + 1 == members)
            how |= chance(50) ? GZ_BAD_CRC : GZ_BAD_HCRC;
        gz_member(&b, data + at, n, how, 0);
        at += n;
    }
    if (chance(20) || damage == 2)
        put(&b, zeros, 1 + pick(sizeof(zeros)));
    if (damage == 2 || damage == 3)
        put(&b, "trailing", 8);
    if (damage == 4)
        b.len -= 1 + pick(b.len / 2);
    *out_len = b.len;
    return b.p;
}

/* The gzip cases: each archive's outcome on both sides is the one in gz_cases. */
static void run_gzip_cases(tally *t, const char *tmp)
{
    sgt_tb t1 = {0}, t2 = {0};
    char *dir = fmt("%s/gzip", tmp);
    size_t i;

    assert_int_equal(mkdir(dir, 0755), 0);
    gz_tars(&t1, &t2);
    for (i = 0; i < SG_ARRAY_SIZE(gz_cases); i++) {
        bytes b = {0};
        char *path = fmt("%s/g-%s.tgz", dir, gz_cases[i].name);
        gz_case_bytes(&b, gz_cases[i].name, &t1, &t2);
        sgt_write_file(path, b.p, b.len, 0644);
        free(path);
        free(b.p);
    }
    run_dir_cb(t, dir, SG_ARRAY_SIZE(gz_cases), gz_check);
    sgt_rm_rf(dir);
    free(dir);
    sgt_tb_free(&t1);
    sgt_tb_free(&t2);
}

static void test_tar_differential__sourcegate_passes_only_what_npm_installs(void **state)
{
    tally t = {0};
    const char *count_s = getenv("SG_TAR_DIFF_COUNT"), *secs_s = getenv("SG_TAR_DIFF_SECONDS");
    const char *seed_s = getenv("SG_TAR_DIFF_SEED"), *seeds = getenv("SG_TAR_DIFF_SEEDS");
    size_t count = count_s ? (size_t)strtoul(count_s, NULL, 10) : 300;
    long secs = secs_s ? strtol(secs_s, NULL, 10) : 0;
    uint64_t seed = seed_s ? strtoull(seed_s, NULL, 10) : (secs ? (uint64_t)time(NULL) : 1);
    time_t start = time(NULL);
    char *tmp = sgt_tmpdir();
    (void)state;

    if (!sgt_have_program("node") || !sgt_have_program("npm")) {
        print_message("skipped: node and npm are needed to run npm's extractor\n");
        return;
    }
    {
        /* the corpus kept in tests/ (the ambiguous constructs of issue 12, built by hand),
         * then any folder the caller names */
        char *corpus = fmt("%s/tests/tar-differential/corpus", getenv("SG_SOURCE_DIR"));
        const char *folders[2];
        size_t k;
        folders[0] = corpus;
        folders[1] = seeds;
        for (k = 0; k < 2; k++) {
            char *dir;
            if (!folders[k])
                continue;
            dir = fmt("%s/seeds%zu", tmp, k);
            assert_int_equal(mkdir(dir, 0755), 0);
            run_dir(&t, dir, copy_seeds(dir, folders[k]));
            sgt_rm_rf(dir);
            free(dir);
        }
        free(corpus);
    }
    run_gzip_cases(&t, tmp);
    do {
        size_t n = secs ? BATCH : count;
        char *dir = fmt("%s/b%llu", tmp, (unsigned long long)seed);
        assert_int_equal(mkdir(dir, 0755), 0);
        generate_batch(dir, seed, n);
        run_dir(&t, dir, n);
        sgt_rm_rf(dir);
        free(dir);
        seed += n;
        if (secs)
            fprintf(stderr,
                    "tar-differential: %zu archives, %zu pass, %zu refused, %zu npm "
                    "errors, %zu violations (%lds)\n",
                    t.tried, t.passes, t.refused, t.npm_errors, t.violations,
                    (long)(time(NULL) - start));
    } while (secs && time(NULL) - start < secs);
    print_message("tar-differential: %zu archives tried: %zu would pass, %zu refused, "
                  "%zu npm extract errors, %zu violations\n",
                  t.tried, t.passes, t.refused, t.npm_errors, t.violations);
    assert_int_equal(t.violations, 0);
    /* the generator must produce both outcomes, or it tests nothing */
    assert_true(t.passes > 0);
    assert_true(t.refused > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tar_differential__sourcegate_passes_only_what_npm_installs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    sgt_cleanup();
    return rc;
}
