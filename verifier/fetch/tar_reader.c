#include "common/common.h"

/*
 * The tarball reader: a gzip (or plain) tar held in memory becomes an sg_tree of its regular
 * files. Nothing touches the disk; every entry is streamed once through SHA-256 and the limits
 * of limits.h. The tree's backend keeps a copy of the compressed bytes and re-reads the archive
 * up to an entry's ordinal when its content is asked for, so memory stays bounded by the
 * compressed size, not the unpacked one.
 */

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>

#include "verifier/fetch/tar_npm_int.h"

#define NPM_MTIME 499162500        /* 1985-10-26T08:15:00Z: npm >= 5.8 and pnpm */
#define BERRY_MTIME 456789000      /* 1984-06-22T21:50:00Z: yarn berry */
#define CHUNK_SIZE 65536           /* bytes per archive_read_data() call */
#define SHOWN_MAX 200              /* bytes of an untrusted name quoted in a message */
#define GZIP_NONE -1               /* gzip_os value of a plain tar */
#define STREAM_SLACK (1024 * 1024) /* tar stream bytes allowed past the ratio limit */

const char *sg_packer_name(sg_packer packer)
{
    switch (packer) {
    case SG_PACKER_NPM:
        return "npm";
    case SG_PACKER_NPM_LEGACY:
        return "npm-legacy";
    case SG_PACKER_PNPM:
        return "pnpm";
    case SG_PACKER_YARN_BERRY:
        return "yarn-berry";
    case SG_PACKER_YARN_CLASSIC:
        return "yarn-classic";
    case SG_PACKER_UNKNOWN:
        break;
    }
    return "unknown";
}

/* ---- small helpers ------------------------------------------------------------------------ */

/* Append s (at most max bytes of it) with control bytes escaped, so a hostile name can neither
 * flood a message nor drive a terminal. */
static void put_shown(sg_buf *b, const char *s, size_t len, size_t max)
{
    size_t i;
    for (i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            sg_buf_printf(b, "\\x%02x", c);
        else
            sg_buf_putc(b, (char)c);
    }
    if (len > max)
        sg_buf_puts(b, "...");
}

/* Record a libarchive failure: "<what>: <libarchive's message, first letter lowered>". */
static int archive_fail(sg_ctx *ctx, struct archive *a, const char *what)
{
    const char *msg = archive_error_string(a);
    int code = archive_errno(a) == ENOMEM ? SG_ENOMEM : SG_EINVALID;
    char first;

    if (!msg || !msg[0])
        msg = "unknown error";
    first = msg[0];
    if (first >= 'A' && first <= 'Z' && msg[1] >= 'a' && msg[1] <= 'z')
        first = (char)(first + 32);
    return sg_error_set(ctx, code, "%s: %c%s", what, first, msg + 1);
}

static int is_gzip(const unsigned char *bytes, size_t len)
{
    return len >= 10 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

/* Open an archive reader on bytes: gzip or no filter, every tar dialect libarchive knows
 * (ustar, pax, GNU, v7) and nothing else. gzip: the tarball was gzip (bytes may be its
 * decompressed stream), for the message. */
static int open_archive(struct archive **out, sg_ctx *ctx, const unsigned char *bytes, size_t len,
                        int gzip)
{
    struct archive *a = archive_read_new();

    *out = NULL;
    if (!a)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a tar reader");
    /* ARCHIVE_WARN would mean an external gzip program: never fork from the library */
    if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_read_support_format_tar(a) != ARCHIVE_OK) {
        int error = sg_error_set(ctx, SG_EDEP, "cannot set up libarchive: %s",
                                 archive_error_string(a) ? archive_error_string(a) : "unknown");
        archive_read_free(a);
        return error;
    }
    if (archive_read_open_memory(a, bytes, len) != ARCHIVE_OK) {
        /* a gzip stream may simply be cut short; anything else is not a tarball at all */
        int error = archive_fail(ctx, a, gzip ? "cannot read gzip tarball" : "not a tar archive");
        archive_read_free(a);
        return error;
    }
    *out = a;
    return 0;
}

/* ---- the content backend ------------------------------------------------------------------ */

#define NO_OFFSET UINT64_MAX

typedef struct tar_backend {
    unsigned char *bytes; /* private copy of the tar stream: decompressed once by sg_tar_read,
                             or the tarball as given when that failed */
    size_t len;           /* its length */
    uint64_t *data_at;    /* by cookie (entry ordinal): where the entry's bytes lie in one run
                             of bytes, as checked while reading, or NO_OFFSET */
    size_t n_data_at;     /* entries of data_at */
} tar_backend;

static void tar_backend_free(void *self)
{
    tar_backend *tb = self;
    if (!tb)
        return;
    sg_free(tb->bytes);
    sg_free(tb->data_at);
    sg_free(tb);
}

/* The entry's bytes in place: the run of the decompressed stream libarchive gave for it. */
static int tar_backend_view(void *self, const void **data, size_t *len, const sg_entry *e)
{
    const tar_backend *tb = self;
    uint64_t at;

    if (e->cookie >= tb->n_data_at || (at = tb->data_at[e->cookie]) == NO_OFFSET || at > tb->len ||
        e->size > tb->len - at)
        return -1;
    *data = tb->bytes + at;
    *len = (size_t)e->size;
    return 0;
}

/* Re-read the archive up to entry number e->cookie and append its data to out, checking that
 * it still has e's size and SHA-256. The stream is already decompressed, so this only walks
 * the headers: nothing is inflated again. */
static int tar_backend_read(void *self, sg_buf *out, sg_ctx *ctx, const sg_entry *e)
{
    const tar_backend *tb = self;
    struct archive *a = NULL;
    struct archive_entry *ae = NULL;
    sg_hash h = SG_HASH_INIT;
    unsigned char *chunk = NULL;
    unsigned char digest[32];
    size_t start = out->size, dlen = 0;
    uint64_t i, got = 0;
    int error = 0, r;

    if ((error = open_archive(&a, ctx, tb->bytes, tb->len, 0)) < 0)
        goto done;
    for (i = 0; i <= e->cookie; i++) {
        r = archive_read_next_header(a, &ae);
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            error = sg_error_set(ctx, SG_EINVALID, "tar entry '%s' is no longer in the tarball",
                                 e->path);
            goto done;
        }
    }
    if (archive_entry_filetype(ae) != AE_IFREG || archive_entry_hardlink(ae)) {
        error =
            sg_error_set(ctx, SG_EINVALID, "tar entry '%s' is no longer a regular file", e->path);
        goto done;
    }
    if (!(chunk = sg_malloc(CHUNK_SIZE))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory reading tar entry '%s'", e->path);
        goto done;
    }
    if ((error = sg_hash_begin(&h, ctx, SG_HASH_SHA256)) < 0)
        goto done;
    for (;;) {
        la_ssize_t n = archive_read_data(a, chunk, CHUNK_SIZE);
        if (n < 0) {
            error = archive_fail(ctx, a, "cannot read tar entry");
            goto done;
        }
        if (n == 0)
            break;
        got += (uint64_t)n;
        if (got > e->size)
            break; /* longer than when it was read: mismatch below, no need to read it all */
        if ((error = sg_hash_update(&h, ctx, chunk, (size_t)n)) < 0)
            goto done;
        if ((error = sg_buf_put(out, chunk, (size_t)n)) < 0) {
            error = sg_buf_check(out, ctx, e->path);
            goto done;
        }
    }
    if ((error = sg_hash_end(&h, ctx, digest, &dlen)) < 0)
        goto done;
    if (got != e->size || memcmp(digest, e->sha256, sizeof(digest)) != 0)
        error = sg_error_set(ctx, SG_EINVALID,
                             "the content of tar entry '%s' no longer matches its sha256", e->path);
done:
    if (error < 0 && out->size > start)
        sg_buf_truncate(out, start);
    sg_hash_dispose(&h);
    sg_free(chunk);
    if (a)
        archive_read_free(a);
    return error;
}

static const sg_tree_backend_ops tar_backend_ops = {
    "tar",
    tar_backend_read,
    tar_backend_free,
    tar_backend_view,
};

/* ---- path tables: open addressing, exact or ASCII case-folded ----------------------------- */

typedef struct pending {
    sg_entry e;            /* the entry as it will enter the tree; path in the arena */
    unsigned dup_reported; /* a duplicate-entry finding was already made for this path */
    uint64_t data_at;      /* its bytes are the stream's from here (checked while reading),
                              or NO_OFFSET */
} pending;

#define SLOT_EMPTY SIZE_MAX

typedef struct path_table {
    size_t *slots; /* index into the pending array, SLOT_EMPTY when free */
    size_t cap;    /* number of slots, a power of two (0 before first use) */
    size_t used;   /* occupied slots */
    int fold;      /* hash and compare ASCII case-folded */
} path_table;

static unsigned char fold_byte(unsigned char c, int fold)
{
    return fold && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static uint64_t path_hash(const char *p, size_t len, int fold)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    size_t i;
    for (i = 0; i < len; i++) {
        h ^= fold_byte((unsigned char)p[i], fold);
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static int path_equal(const sg_entry *e, const char *p, size_t len, int fold)
{
    size_t i;
    if (e->path_len != len)
        return 0;
    if (!fold)
        return memcmp(e->path, p, len) == 0;
    for (i = 0; i < len; i++)
        if (fold_byte((unsigned char)e->path[i], 1) != fold_byte((unsigned char)p[i], 1))
            return 0;
    return 1;
}

/* Index of the pending entry with this path (under the table's folding), or SLOT_EMPTY. */
static size_t table_find(const path_table *t, const pending *items, const char *p, size_t len)
{
    size_t mask, i;
    if (!t->cap)
        return SLOT_EMPTY;
    mask = t->cap - 1;
    for (i = (size_t)path_hash(p, len, t->fold) & mask; t->slots[i] != SLOT_EMPTY;
         i = (i + 1) & mask)
        if (path_equal(&items[t->slots[i]].e, p, len, t->fold))
            return t->slots[i];
    return SLOT_EMPTY;
}

static void table_place(size_t *slots, size_t cap, const pending *items, size_t idx, int fold)
{
    const sg_entry *e = &items[idx].e;
    size_t i = (size_t)path_hash(e->path, e->path_len, fold) & (cap - 1);
    while (slots[i] != SLOT_EMPTY)
        i = (i + 1) & (cap - 1);
    slots[i] = idx;
}

/* Insert pending entry idx (its path must not be in the table yet); keeps load under 1/2. */
static int table_insert(path_table *t, sg_ctx *ctx, const pending *items, size_t idx)
{
    size_t need;
    if (sg_mul_overflow(&need, t->used + 1, 2))
        return sg_error_set(ctx, SG_ENOMEM, "too many tar entries for the path table");
    if (need > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024, bytes, i;
        size_t *slots;
        if (ncap < t->cap || sg_mul_overflow(&bytes, ncap, sizeof(size_t)) ||
            !(slots = sg_malloc(bytes)))
            return sg_error_set(ctx, SG_ENOMEM, "out of memory for the tar path table");
        for (i = 0; i < ncap; i++)
            slots[i] = SLOT_EMPTY;
        for (i = 0; i < t->cap; i++)
            if (t->slots[i] != SLOT_EMPTY)
                table_place(slots, ncap, items, t->slots[i], t->fold);
        sg_free(t->slots);
        t->slots = slots;
        t->cap = ncap;
    }
    table_place(t->slots, t->cap, items, idx, t->fold);
    t->used++;
    return 0;
}

/* ---- the reader's state ------------------------------------------------------------------- */

typedef struct tar_state {
    sg_ctx *ctx;                 /* errors and limits */
    sg_report *report;           /* findings and normalizations; NULL drops them */
    sg_tar_info *info;           /* what the caller learns */
    struct archive *a;           /* the archive being streamed */
    const unsigned char *stream; /* the decompressed stream a reads, or NULL (compressed) */
    size_t stream_len;           /* its length */
    uint64_t cur_at;             /* pending.data_at of the file just read */
    unsigned char *chunk;        /* CHUNK_SIZE read buffer */
    sg_arena arena;              /* pending paths */
    pending *items;              /* regular files for the tree, one per normalized path */
    size_t n_items;              /* used */
    size_t cap_items;            /* allocated */
    path_table exact;            /* normalized path -> item */
    path_table folded;           /* case-folded path -> first item with that folding */
    sg_buf path;                 /* normalized path of the current entry */
    sg_buf shown;                /* the current raw name, escaped and truncated, for messages */
    sg_buf scratch;              /* finding details */
    uint64_t data_total;         /* data bytes of every entry so far (unpacked-bytes) */
    uint64_t max_unpacked;       /* SG_LIMIT_UNPACKED_BYTES */
    uint64_t max_ratio_bytes;    /* SG_LIMIT_RATIO * len, saturated */
    uint64_t max_file;           /* SG_LIMIT_FILE_SIZE */
    uint64_t max_entries;        /* SG_LIMIT_ENTRIES */
    size_t max_path_len;         /* SG_LIMIT_PATH_LENGTH */
    size_t max_depth;            /* SG_LIMIT_PATH_DEPTH */
    unsigned saw_dirs;           /* directory entries were dropped */
    unsigned saw_dots;           /* "./" or "//" segments were dropped */
    unsigned saw_other_top;      /* a top folder other than "package" was stripped */
    unsigned saw_pax;            /* pax extended headers were applied */
    unsigned saw_identical;      /* a duplicate with identical bytes was merged */
    unsigned have_top;           /* info->top is set */
    /* packer evidence (NPM-PACK.md §3.7) */
    size_t n_mtime_npm;     /* entries with the 1985 mtime */
    size_t n_mtime_berry;   /* entries with the 1984 mtime */
    size_t n_mtime_other;   /* entries with any other mtime (or none) */
    unsigned owner_ids;     /* some entry has a nonzero uid or gid */
    unsigned owner_names;   /* some entry has a uname or gname */
    unsigned odd_modes;     /* some file mode is not 0644 or 0755 */
    unsigned top_dir_entry; /* the top folder itself has a directory entry */
} tar_state;

static int limit_error(tar_state *st, sg_limit which, const char *subject)
{
    return sg_error_set(st->ctx, SG_ELIMIT, "%s exceeds limit '%s' (%" PRIu64 ")", subject,
                        sg_limit_name(which), sg_ctx_limit(st->ctx, which));
}

/* The limit error for the current entry: "tar entry 'x' exceeds limit 'file-size' (N)". */
static int entry_limit_error(tar_state *st, sg_limit which)
{
    char subject[SHOWN_MAX + 64];
    snprintf(subject, sizeof(subject), "tar entry '%s'", st->shown.ptr);
    return limit_error(st, which, subject);
}

/* Add a finding (dropped when there is no report). detail is a printf format. */
static int add_finding(tar_state *st, const char *kind, sg_severity sev, const char *path,
                       const char *after, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

static int add_finding(tar_state *st, const char *kind, sg_severity sev, const char *path,
                       const char *after, const char *fmt, ...)
{
    sg_finding f;
    va_list ap;
    int error;

    if (!st->report)
        return 0;
    sg_buf_clear(&st->scratch);
    va_start(ap, fmt);
    sg_buf_vprintf(&st->scratch, fmt, ap);
    va_end(ap);
    if ((error = sg_buf_check(&st->scratch, st->ctx, "a tar finding")) < 0)
        return error;
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.severity = sev;
    f.path = path;
    f.after = after;
    f.detail = st->scratch.ptr;
    return sg_report_add(st->report, st->ctx, &f);
}

/* Count n more data bytes of the current entry against unpacked-bytes and the ratio. The
 * ratio compares with the decompressed stream position too, so pax and header padding (which
 * carry no data) cannot inflate unchecked. */
static int account(tar_state *st, uint64_t n)
{
    uint64_t pos;
    la_int64_t fb;

    st->data_total += n;
    if (st->data_total > st->max_unpacked)
        return entry_limit_error(st, SG_LIMIT_UNPACKED_BYTES);
    fb = archive_filter_bytes(st->a, 0);
    pos = fb > 0 ? (uint64_t)fb : 0;
    if (pos < st->data_total)
        pos = st->data_total; /* sparse holes are data that was never in the stream */
    if (pos > st->max_ratio_bytes)
        return entry_limit_error(st, SG_LIMIT_RATIO);
    return 0;
}

/* Read and discard the current entry's data (links and directories may carry some), counting
 * it, so that libarchive never skips an unbounded amount on its own. */
static int drain(tar_state *st)
{
    int error;
    for (;;) {
        la_ssize_t n = archive_read_data(st->a, st->chunk, CHUNK_SIZE);
        if (n < 0) {
            char what[SHOWN_MAX + 64];
            snprintf(what, sizeof(what), "cannot read tar entry '%s'", st->shown.ptr);
            return archive_fail(st->ctx, st->a, what);
        }
        if (n == 0)
            return 0;
        if ((error = account(st, (uint64_t)n)) < 0)
            return error;
    }
}

/* Where the current entry's data starts in the decompressed stream, when libarchive reads
 * one: the position it has consumed up to, right after the entry's headers. Only a guess:
 * read_file_data checks every byte against the stream before the npm cross-check relies on
 * it. NO_OFFSET when reading the compressed bytes. */
static uint64_t data_start(const tar_state *st)
{
    la_int64_t pos;
    if (!st->stream)
        return NO_OFFSET;
    pos = archive_filter_bytes(st->a, 0);
    return pos >= 0 && (uint64_t)pos <= st->stream_len ? (uint64_t)pos : NO_OFFSET;
}

/* Stream a regular file: size limits, SHA-256 and head, into e. */
static int read_file_data(tar_state *st, struct archive_entry *ae, sg_entry *e)
{
    sg_hash h = SG_HASH_INIT;
    la_int64_t declared = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
    uint64_t got = 0;
    size_t dlen = 0;
    int error = 0;

    if (declared < 0)
        declared = 0;
    if ((uint64_t)declared > st->max_file) {
        error = entry_limit_error(st, SG_LIMIT_FILE_SIZE);
        goto done;
    }
    if ((uint64_t)declared > st->max_unpacked - st->data_total) {
        error = entry_limit_error(st, SG_LIMIT_UNPACKED_BYTES);
        goto done;
    }
    if (st->data_total + (uint64_t)declared > st->max_ratio_bytes) {
        /* the data cannot be there without breaking the ratio: refuse before inflating it */
        error = entry_limit_error(st, SG_LIMIT_RATIO);
        goto done;
    }
    if ((error = sg_hash_begin(&h, st->ctx, SG_HASH_SHA256)) < 0)
        goto done;
    st->cur_at = data_start(st);
    for (;;) {
        la_ssize_t n = archive_read_data(st->a, st->chunk, CHUNK_SIZE);
        if (n < 0) {
            char what[SHOWN_MAX + 64];
            snprintf(what, sizeof(what), "cannot read tar entry '%s'", st->shown.ptr);
            error = archive_fail(st->ctx, st->a, what);
            goto done;
        }
        if (n == 0)
            break;
        if (st->cur_at != NO_OFFSET &&
            (st->cur_at + got + (uint64_t)n > st->stream_len ||
             memcmp(st->chunk, st->stream + st->cur_at + got, (size_t)n) != 0))
            st->cur_at = NO_OFFSET; /* not one run of the stream (a sparse file): hash it */
        if (got < SG_ENTRY_HEAD) {
            size_t take = SG_ENTRY_HEAD - (size_t)got;
            memcpy(e->head + got, st->chunk, take < (size_t)n ? take : (size_t)n);
        }
        got += (uint64_t)n;
        if (got > st->max_file) {
            error = entry_limit_error(st, SG_LIMIT_FILE_SIZE);
            goto done;
        }
        if ((error = account(st, (uint64_t)n)) < 0)
            goto done;
        if ((error = sg_hash_update(&h, st->ctx, st->chunk, (size_t)n)) < 0)
            goto done;
    }
    if ((error = sg_hash_end(&h, st->ctx, e->sha256, &dlen)) < 0)
        goto done;
    e->size = got;
    st->info->unpacked_bytes += got;
done:
    sg_hash_dispose(&h);
    return error;
}

/* A regular file with a normalized path: new, identical duplicate, or differing duplicate
 * (the last one wins, as extraction keeps it). */
static int add_file(tar_state *st, const sg_entry *e)
{
    size_t idx = table_find(&st->exact, st->items, e->path, e->path_len), twin;
    pending *p;
    int error;

    if (idx != SLOT_EMPTY) {
        p = &st->items[idx];
        if (p->e.size == e->size && memcmp(p->e.sha256, e->sha256, 32) == 0) {
            st->saw_identical = 1;
        } else if (!p->dup_reported) {
            p->dup_reported = 1;
            if ((error = add_finding(st, "duplicate-entry", SG_SEV_HIGH, p->e.path, NULL,
                                     "the tarball holds several entries for '%s' with "
                                     "different bytes; the last one, which extraction keeps, "
                                     "is compared",
                                     p->e.path)) < 0)
                return error;
        }
        p->e.size = e->size;
        p->e.exec = e->exec;
        p->e.cookie = e->cookie;
        p->data_at = st->cur_at;
        memcpy(p->e.sha256, e->sha256, sizeof(p->e.sha256));
        memcpy(p->e.head, e->head, sizeof(p->e.head));
        return 0;
    }
    if (st->n_items == st->cap_items) {
        size_t ncap = st->cap_items ? st->cap_items * 2 : 256, bytes;
        pending *n;
        if (ncap < st->cap_items || sg_mul_overflow(&bytes, ncap, sizeof(pending)) ||
            !(n = sg_realloc(st->items, bytes)))
            return sg_error_set(st->ctx, SG_ENOMEM, "out of memory for tar entries");
        st->items = n;
        st->cap_items = ncap;
    }
    p = &st->items[st->n_items];
    memset(p, 0, sizeof(*p));
    p->e = *e;
    p->data_at = st->cur_at;
    if (!(p->e.path = sg_arena_strndup(&st->arena, e->path, e->path_len)))
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory for tar paths");
    idx = st->n_items++;
    if ((error = table_insert(&st->exact, st->ctx, st->items, idx)) < 0)
        return error;
    twin = table_find(&st->folded, st->items, p->e.path, p->e.path_len);
    if (twin == SLOT_EMPTY)
        return table_insert(&st->folded, st->ctx, st->items, idx);
    return add_finding(st, "case-collision", SG_SEV_MEDIUM, p->e.path, st->items[twin].e.path,
                       "'%s' and '%s' differ only by letter case; a case-insensitive file "
                       "system keeps one of them",
                       st->items[twin].e.path, p->e.path);
}

/* 1 when a symlink target, taken relative to the folder of link_path, leaves the root. */
static int target_escapes(const char *link_path, const char *target)
{
    long depth = 0;
    const char *s;

    if (target[0] == '/' || strchr(target, '\\'))
        return 1;
    for (s = link_path; *s; s++)
        if (*s == '/')
            depth++;
    for (s = target; *s;) {
        size_t seg = strcspn(s, "/");
        if (seg == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0)
                return 1;
        } else if (seg && !(seg == 1 && s[0] == '.')) {
            depth++;
        }
        s += seg;
        if (*s == '/')
            s++;
    }
    return 0;
}

static int link_finding(tar_state *st, struct archive_entry *ae, sg_path_status status)
{
    const char *hard = archive_entry_hardlink(ae);
    const char *target = hard ? hard : archive_entry_symlink(ae);
    const char *path = status == SG_PATH_OK ? st->path.ptr : st->shown.ptr;
    sg_buf shown_target = SG_BUF_INIT;
    int escapes, error;

    if (!target)
        target = "";
    put_shown(&shown_target, target, strlen(target), SHOWN_MAX);
    if ((error = sg_buf_check(&shown_target, st->ctx, "a link target")) < 0)
        goto done;
    if (hard) {
        sg_buf norm = SG_BUF_INIT;
        int dotted = 0;
        escapes = sg_path_normalize(&norm, hard, strlen(hard), 1, NULL, 0, &dotted,
                                    st->max_path_len, st->max_depth) != SG_PATH_OK;
        sg_buf_dispose(&norm);
    } else {
        escapes = status != SG_PATH_OK || target_escapes(st->path.ptr, target);
    }
    error = add_finding(st, "link-entry", SG_SEV_MEDIUM, path, shown_target.ptr,
                        "%s link '%s' -> '%s'%s; not followed and not in the tree",
                        hard ? "hard" : "symbolic", path, shown_target.ptr,
                        escapes ? " (the target leaves the package root)" : "");
done:
    sg_buf_dispose(&shown_target);
    return error;
}

static const char *special_type_phrase(unsigned type)
{
    switch (type) {
    case AE_IFCHR:
        return "is a character device";
    case AE_IFBLK:
        return "is a block device";
    case AE_IFIFO:
        return "is a FIFO";
    case AE_IFSOCK:
        return "is a socket";
    default:
        return "has an unknown entry type";
    }
}

/* Evidence for packer detection (NPM-PACK.md §3.7). */
static void note_packer_evidence(tar_state *st, struct archive_entry *ae, unsigned type)
{
    la_int64_t mtime = archive_entry_mtime_is_set(ae) ? (la_int64_t)archive_entry_mtime(ae) : -1;
    const char *uname = archive_entry_uname(ae), *gname = archive_entry_gname(ae);

    if (mtime == NPM_MTIME)
        st->n_mtime_npm++;
    else if (mtime == BERRY_MTIME)
        st->n_mtime_berry++;
    else
        st->n_mtime_other++;
    if (archive_entry_uid(ae) != 0 || archive_entry_gid(ae) != 0)
        st->owner_ids = 1;
    if ((uname && uname[0]) || (gname && gname[0]))
        st->owner_names = 1;
    if (type == AE_IFREG) {
        unsigned perm = (unsigned)archive_entry_perm(ae) & 07777u;
        if (perm != 0644 && perm != 0755)
            st->odd_modes = 1;
    }
}

/* Normalize the current entry's name into st->path (and st->shown for messages); note the top
 * folder and dropped segments of usable paths. Returns a path-limit error or 0. */
static int entry_path(tar_state *st, struct archive_entry *ae, sg_path_status *status, char *top,
                      size_t top_size)
{
    const char *raw = archive_entry_pathname(ae);
    size_t rawlen;
    int dotted = 0, error;

    if (!raw)
        raw = archive_entry_pathname_utf8(ae);
    if (!raw)
        raw = "";
    rawlen = strlen(raw);
    sg_buf_clear(&st->shown);
    put_shown(&st->shown, raw, rawlen, SHOWN_MAX);
    if ((error = sg_buf_check(&st->shown, st->ctx, "a tar path")) < 0)
        return error;
    *status = sg_path_normalize(&st->path, raw, rawlen, 1, top, top_size, &dotted, st->max_path_len,
                                st->max_depth);
    if ((error = sg_buf_check(&st->path, st->ctx, "a tar path")) < 0)
        return error;
    if (*status == SG_PATH_TOO_LONG)
        return entry_limit_error(st, SG_LIMIT_PATH_LENGTH);
    if (*status == SG_PATH_TOO_DEEP)
        return entry_limit_error(st, SG_LIMIT_PATH_DEPTH);
    if (*status != SG_PATH_OK && *status != SG_PATH_EMPTY)
        return 0;
    if (top[0]) {
        if (!st->have_top) {
            memcpy(st->info->top, top, top_size);
            st->have_top = 1;
        }
        if (strcmp(top, "package") != 0)
            st->saw_other_top = 1;
    }
    if (dotted)
        st->saw_dots = 1;
    return 0;
}

/* An entry that does not enter the tree: its finding (if any), then its data drained. */
static int skip_entry(tar_state *st, struct archive_entry *ae, unsigned type, sg_path_status status,
                      const char *top)
{
    const char *path = status == SG_PATH_OK ? st->path.ptr : st->shown.ptr;
    int error = 0;

    if (status != SG_PATH_OK && status != SG_PATH_EMPTY) {
        error = add_finding(st, "unsafe-entry", SG_SEV_HIGH, st->shown.ptr, NULL,
                            "tar entry '%s' %s; it is not in the tree", st->shown.ptr,
                            sg_path_status_phrase(status));
    } else if (archive_entry_hardlink(ae) || type == AE_IFLNK) {
        error = link_finding(st, ae, status);
    } else if (type == AE_IFDIR) {
        st->saw_dirs = 1;
        if (status == SG_PATH_EMPTY && top[0])
            st->top_dir_entry = 1;
    } else if (type != AE_IFREG) {
        error = add_finding(st, "unsafe-entry", SG_SEV_HIGH, path, NULL,
                            "tar entry '%s' %s; it is not in the tree", path,
                            special_type_phrase(type));
    } else {
        /* a file that is the top folder itself, or sits beside it: npm's strip:1 drops it */
        error = add_finding(st, "unsafe-entry", SG_SEV_MEDIUM, path, NULL,
                            "tar entry '%s' is a file outside any top folder; extraction "
                            "drops it and it is not in the tree",
                            path);
    }
    return error < 0 ? error : drain(st);
}

/* One archive entry, whatever its type; ordinal locates it for the backend. */
static int process_entry(tar_state *st, struct archive_entry *ae, uint64_t ordinal)
{
    unsigned type = (unsigned)archive_entry_filetype(ae);
    char top[sizeof(st->info->top)];
    sg_path_status status = SG_PATH_EMPTY;
    sg_entry e;
    int error;

    if (archive_format(st->a) == ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE)
        st->saw_pax = 1;
    note_packer_evidence(st, ae, type);
    if ((error = entry_path(st, ae, &status, top, sizeof(top))) < 0)
        return error;
    if (status != SG_PATH_OK || type != AE_IFREG || archive_entry_hardlink(ae))
        return skip_entry(st, ae, type, status, top);
    memset(&e, 0, sizeof(e));
    e.path = st->path.ptr;
    e.path_len = st->path.size;
    e.kind = SG_ENTRY_FILE;
    e.exec = ((unsigned)archive_entry_perm(ae) & 0111u) ? 1u : 0u;
    e.cookie = ordinal;
    if ((error = read_file_data(st, ae, &e)) < 0)
        return error;
    return add_file(st, &e);
}

/* ---- npm's reading against libarchive's (tar_npm.c) --------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Archive path, then archive order: the last of a run of equal paths is what npm keeps. */
static int cmp_file(const void *a, const void *b)
{
    const sg_tar_npm_file *x = *(const sg_tar_npm_file *const *)a;
    const sg_tar_npm_file *y = *(const sg_tar_npm_file *const *)b;
    int c = strcmp(x->archive_path, y->archive_path);
    return c ? c : (x < y ? -1 : x > y);
}

/* The files npm finally writes (a later entry overwrites an earlier one), sorted by archive
 * path: the last entry for each path, dropped ones included so that they are known. */
static int npm_final(const sg_tar_npm_file ***out, size_t *n, sg_ctx *ctx, const sg_tar_npm_view *v)
{
    const sg_tar_npm_file **f;
    size_t i, k = 0;

    *out = NULL;
    *n = 0;
    if (!v->nfiles)
        return 0;
    if (!(f = sg_calloc(v->nfiles, sizeof(*f))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    for (i = 0; i < v->nfiles; i++)
        f[i] = &v->files[i];
    qsort(f, v->nfiles, sizeof(*f), cmp_file);
    for (i = 0; i < v->nfiles; i++)
        if (i + 1 == v->nfiles || strcmp(f[i]->archive_path, f[i + 1]->archive_path) != 0)
            f[k++] = f[i];
    *out = f;
    *n = k;
    return 0;
}

static int npm_ambiguities(tar_state *st, const sg_tar_npm_view *v)
{
    size_t i;
    int error;
    for (i = 0; i < v->namb; i++)
        if ((error = add_finding(
                 st, "tar-ambiguous", SG_SEV_HIGH, v->amb[i].path[0] ? v->amb[i].path : NULL, NULL,
                 "%s (header at byte %zu)", v->amb[i].detail, v->amb[i].header)) < 0)
            return error;
    if (v->namb_total > v->namb)
        return add_finding(st, "tar-ambiguous", SG_SEV_HIGH, NULL, NULL,
                           "%zu more ambiguous constructs", v->namb_total - v->namb);
    return 0;
}

/* Every file npm writes must be in the tree with the same bytes, and every file of the tree
 * must be one npm writes. */
static int npm_compare(tar_state *st, const unsigned char *stream, const sg_tar_npm_file **f,
                       size_t n)
{
    const char **npm_paths = NULL;
    size_t i;
    int error = 0;

    if (n && !(npm_paths = sg_calloc(n, sizeof(*npm_paths))))
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory");
    for (i = 0; i < n && !error; i++) {
        const char *p = f[i]->archive_path;
        size_t at = table_find(&st->exact, st->items, p, strlen(p));
        unsigned char sha[32];
        npm_paths[i] = p;
        if (f[i]->dropped)
            continue;
        if (at == SLOT_EMPTY) {
            error = add_finding(st, "tar-ambiguous", SG_SEV_HIGH, f[i]->path, NULL,
                                "npm installs this file (header at byte %zu); the archive "
                                "reader does not see it",
                                f[i]->header);
            continue;
        }
        if (st->items[at].data_at == (uint64_t)f[i]->offset && st->items[at].e.size == f[i]->size)
            continue; /* both readers see the same run of the same stream */
        if ((error = sg_sha256(sha, st->ctx, stream + f[i]->offset, f[i]->size)) < 0)
            break;
        if (st->items[at].e.size != f[i]->size || memcmp(sha, st->items[at].e.sha256, 32) != 0)
            error = add_finding(st, "tar-ambiguous", SG_SEV_HIGH, f[i]->path, NULL,
                                "npm installs %zu bytes here (header at byte %zu); the "
                                "archive reader sees %" PRIu64 " other bytes",
                                f[i]->size, f[i]->header, st->items[at].e.size);
    }
    if (n)
        qsort(npm_paths, n, sizeof(*npm_paths), cmp_str);
    for (i = 0; i < st->n_items && !error; i++) {
        const char *p = st->items[i].e.path;
        if (!n || !bsearch(&p, npm_paths, n, sizeof(*npm_paths), cmp_str))
            error = add_finding(st, "tar-ambiguous", SG_SEV_HIGH, p, NULL,
                                "the archive reader sees this file; npm does not install it");
    }
    sg_free(npm_paths);
    return error;
}

/* The decompressed tar stream of bytes into *stream. The first pass holds the data to the
 * ratio; the stream also has headers, padding and the end blocks, which the slack covers. */
static int decompress(sg_buf *stream, tar_state *st, const unsigned char *bytes, size_t len)
{
    sg_buf_dispose(stream); /* a second try must not drop what a failed first one allocated */
    sg_buf_init(stream, (size_t)-1);
    return sg_tar__decompress(stream, st->ctx, bytes, len, st->max_ratio_bytes + STREAM_SLACK,
                              SG_LIMIT_RATIO);
}

/* Read the decompressed stream a second time as npm's installer does and report where the two
 * readings differ: what npm installs is what must be compared (DESIGN.md invariant 1). */
static int npm_cross_check(tar_state *st, const sg_buf *stream)
{
    sg_tar_npm_view v = SG_TAR_NPM_VIEW_INIT;
    const sg_tar_npm_file **final = NULL;
    size_t nfinal = 0;
    int error;

    if ((error = sg_tar__npm_view(&v, st->ctx, (const unsigned char *)stream->ptr, stream->size,
                                  st->max_entries)) < 0 ||
        (error = npm_ambiguities(st, &v)) < 0 ||
        (error = npm_final(&final, &nfinal, st->ctx, &v)) < 0)
        goto done;
    error = npm_compare(st, (const unsigned char *)stream->ptr, final, nfinal);
done:
    sg_free(final);
    sg_tar__npm_view_dispose(&v);
    return error;
}

/* ---- packer detection ----------------------------------------------------------------------- */

/* The first 512 bytes of the tar stream (decompressed when gzip). 0 or -1. */
static int first_block(unsigned char out[512], const unsigned char *bytes, size_t len, int gzip)
{
    struct archive *a;
    struct archive_entry *ae;
    size_t got = 0;
    int ok = -1;

    if (!gzip) {
        if (len < 512)
            return -1;
        memcpy(out, bytes, 512);
        return 0;
    }
    if (!(a = archive_read_new()))
        return -1;
    if (archive_read_support_filter_gzip(a) == ARCHIVE_OK &&
        archive_read_support_format_raw(a) == ARCHIVE_OK &&
        archive_read_open_memory(a, bytes, len) == ARCHIVE_OK &&
        archive_read_next_header(a, &ae) == ARCHIVE_OK) {
        while (got < 512) {
            la_ssize_t n = archive_read_data(a, out + got, 512 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        ok = got == 512 ? 0 : -1;
    }
    archive_read_free(a);
    return ok;
}

/* Best effort, from the signatures of NPM-PACK.md §3.7 and §5.1 step 1. bytes: the tarball;
 * stream: its decompressed tar stream, or NULL when it could not be made. */
static sg_packer detect_packer(const tar_state *st, const unsigned char *bytes, size_t len,
                               const sg_buf *stream)
{
    int gzip = is_gzip(bytes, len);
    int os = gzip ? bytes[9] : GZIP_NONE;
    size_t total = st->n_mtime_npm + st->n_mtime_berry + st->n_mtime_other;
    unsigned char block[512];
    static const unsigned char zeros[16];

    if (total == 0)
        return SG_PACKER_UNKNOWN;
    if (st->n_mtime_berry == total)
        return SG_PACKER_YARN_BERRY;
    if (st->n_mtime_npm == total) {
        /* npm (node-tar) writes uid and gid as NUL bytes; pnpm (tar-stream) as "000000 \0" */
        int nul_ids =
            (stream ? first_block(block, (const unsigned char *)stream->ptr, stream->size, 0)
                    : first_block(block, bytes, len, gzip)) == 0 &&
            memcmp(block + 108, zeros, sizeof(zeros)) == 0;
        if (nul_ids && st->saw_dirs == 0)
            return os == 0xff || os == GZIP_NONE ? SG_PACKER_NPM : SG_PACKER_NPM_LEGACY;
        if (!nul_ids && !st->odd_modes && !st->saw_dirs && !st->owner_ids)
            return SG_PACKER_PNPM;
        return SG_PACKER_UNKNOWN;
    }
    if (st->n_mtime_npm || st->n_mtime_berry)
        return SG_PACKER_UNKNOWN; /* a mix of signatures: repacked by something else */
    /* real mtimes */
    if (st->top_dir_entry && !st->owner_ids && !st->owner_names &&
        strcmp(st->info->top, "package") == 0)
        return SG_PACKER_YARN_CLASSIC;
    if (gzip && (st->owner_ids || st->owner_names))
        return SG_PACKER_NPM_LEGACY;
    return SG_PACKER_UNKNOWN;
}

/* ---- the entry point ------------------------------------------------------------------------ */

static int add_normalizations(tar_state *st)
{
    static const char *const always[] = {"tar-mtime", "tar-owner", "tar-order"};
    const struct {
        unsigned on;      /* applied in this tarball */
        const char *name; /* its name */
    } maybe[] = {
        {st->saw_dirs, "tar-directory-entries"},        {st->saw_pax, "tar-pax"},
        {st->saw_other_top, "tar-top-folder"},          {st->saw_dots, "tar-dot-segments"},
        {st->saw_identical, "tar-duplicate-identical"},
    };
    size_t i;
    int error;

    if (!st->report)
        return 0;
    for (i = 0; i < SG_ARRAY_SIZE(always); i++)
        if ((error = sg_report_add_normalization(st->report, st->ctx, always[i])) < 0)
            return error;
    for (i = 0; i < SG_ARRAY_SIZE(maybe); i++)
        if (maybe[i].on &&
            (error = sg_report_add_normalization(st->report, st->ctx, maybe[i].name)) < 0)
            return error;
    return 0;
}

/* Make the tree from the pending entries; the backend takes the decompressed stream. */
/* Where each file's bytes lie in the stream, by ordinal, for the backend's view. */
static int record_offsets(tar_backend *tb, const tar_state *st)
{
    size_t i, n = 0;

    if (!st->stream)
        return 0; /* read from the compressed bytes: no offsets */
    for (i = 0; i < st->n_items; i++)
        if (st->items[i].e.cookie >= n)
            n = (size_t)st->items[i].e.cookie + 1;
    if (!n)
        return 0;
    if (!(tb->data_at = sg_malloc(n * sizeof(*tb->data_at))))
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory for tar entry offsets");
    for (i = 0; i < n; i++)
        tb->data_at[i] = NO_OFFSET;
    for (i = 0; i < st->n_items; i++)
        tb->data_at[st->items[i].e.cookie] = st->items[i].data_at;
    tb->n_data_at = n;
    return 0;
}

static int build_tree(sg_tree **out, tar_state *st, sg_buf *stream)
{
    sg_tree_builder *b = NULL;
    tar_backend *tb;
    size_t i;
    int error;

    if (!(tb = sg_calloc(1, sizeof(*tb))))
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory for a tar reader");
    tb->bytes = (unsigned char *)sg_buf_detach(stream, &tb->len);
    if (!tb->bytes) {
        sg_free(tb);
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory for a copy of the tarball");
    }
    if ((error = record_offsets(tb, st)) < 0) {
        tar_backend_free(tb);
        return error;
    }
    if ((error = sg_tree__builder_new(&b, st->ctx, &tar_backend_ops, tb)) < 0)
        return error; /* tb freed by the builder */
    for (i = 0; i < st->n_items; i++) {
        if ((error = sg_tree__builder_add(b, st->ctx, &st->items[i].e)) < 0) {
            sg_tree__builder_free(b);
            return error;
        }
    }
    return sg_tree__builder_finish(out, st->ctx, b);
}

/* Limits in force, read once. */
static void load_limits(tar_state *st, size_t len)
{
    sg_ctx *ctx = st->ctx;
    uint64_t ratio = sg_ctx_limit(ctx, SG_LIMIT_RATIO);

    st->max_unpacked = sg_ctx_limit(ctx, SG_LIMIT_UNPACKED_BYTES);
    st->max_file = sg_ctx_limit(ctx, SG_LIMIT_FILE_SIZE);
    st->max_entries = sg_ctx_limit(ctx, SG_LIMIT_ENTRIES);
    st->max_path_len = (size_t)sg_ctx_limit(ctx, SG_LIMIT_PATH_LENGTH);
    st->max_depth = (size_t)sg_ctx_limit(ctx, SG_LIMIT_PATH_DEPTH);
    if (__builtin_mul_overflow(ratio, (uint64_t)len, &st->max_ratio_bytes))
        st->max_ratio_bytes = UINT64_MAX;
}

/* Stream every entry of the open archive. */
static int read_entries(tar_state *st, int gzip)
{
    struct archive_entry *ae;
    uint64_t entries = 0;
    int error, r;

    for (;;) {
        r = archive_read_next_header(st->a, &ae);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            char what[SHOWN_MAX + 64];
            if (entries == 0)
                snprintf(what, sizeof(what), "%s",
                         gzip ? "cannot read gzip tarball" : "not a tar archive");
            else
                snprintf(what, sizeof(what), "cannot read the tar header after entry '%s'",
                         st->shown.ptr);
            return archive_fail(st->ctx, st->a, what);
        }
        if (++entries > st->max_entries)
            return limit_error(st, SG_LIMIT_ENTRIES, "tarball");
        st->info->entries = (size_t)entries;
        if ((error = process_entry(st, ae, entries - 1)) < 0)
            return error;
    }
}

/* Stream the entries with libarchive and cross-check them with npm's reading. The tarball is
 * decompressed once, into a buffer bounded by the ratio limit, and both readers (and later the
 * tree's backend) read that stream. When it cannot be made (corrupt gzip, over the ratio),
 * libarchive streams the compressed bytes as it always did, so the error and the entry it
 * names stay the same, and the cross-check stops on the same decompression error. */
static int read_both(tar_state *st, sg_buf *stream, const unsigned char *bytes, size_t len)
{
    const unsigned char *src = bytes;
    size_t srclen = len;
    int gzip = is_gzip(bytes, len), error;

    if (decompress(stream, st, bytes, len) == 0) {
        src = (const unsigned char *)stream->ptr;
        srclen = stream->size;
        st->stream = src;
        st->stream_len = srclen;
    } else {
        sg_error_clear(st->ctx);
    }
    if ((error = open_archive(&st->a, st->ctx, src, srclen, gzip)) < 0 ||
        (error = read_entries(st, gzip)) < 0)
        return error;
    if (src == bytes && (error = decompress(stream, st, bytes, len)) < 0)
        return error;
    return npm_cross_check(st, stream);
}

int sg_tar_read(sg_tree **out, sg_tar_info *info, sg_ctx *ctx, const unsigned char *bytes,
                size_t len, sg_report *report)
{
    tar_state st;
    sg_tar_info local_info;
    sg_buf stream = SG_BUF_INIT;
    int error = 0;

    memset(&st, 0, sizeof(st));
    st.path = (sg_buf)SG_BUF_INIT;
    st.shown = (sg_buf)SG_BUF_INIT;
    st.scratch = (sg_buf)SG_BUF_INIT;
    st.arena = (sg_arena)SG_ARENA_INIT;
    st.folded.fold = 1;
    st.ctx = ctx;
    st.report = report;
    st.info = info ? info : &local_info;
    memset(st.info, 0, sizeof(*st.info));
    if (out)
        *out = NULL;
    if (!out || (!bytes && len)) {
        error = sg_error_set(ctx, SG_EINVALID, "sg_tar_read: missing output or input");
        goto done;
    }
    if (len > sg_ctx_limit(ctx, SG_LIMIT_TARBALL_BYTES)) {
        error = sg_error_set(
            ctx, SG_ELIMIT, "tarball of %zu bytes exceeds limit '%s' (%" PRIu64 ")", len,
            sg_limit_name(SG_LIMIT_TARBALL_BYTES), sg_ctx_limit(ctx, SG_LIMIT_TARBALL_BYTES));
        goto done;
    }
    load_limits(&st, len);
    if (!(st.chunk = sg_malloc(CHUNK_SIZE))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory for a tar read buffer");
        goto done;
    }
    if ((error = read_both(&st, &stream, bytes, len)) < 0)
        goto done;
    st.info->packer = detect_packer(&st, bytes, len, &stream);
    if ((error = add_normalizations(&st)) < 0)
        goto done;
    error = build_tree(out, &st, &stream);
done:
    if (st.a)
        archive_read_free(st.a);
    sg_buf_dispose(&stream);
    sg_free(st.chunk);
    sg_free(st.items);
    sg_free(st.exact.slots);
    sg_free(st.folded.slots);
    sg_arena_dispose(&st.arena);
    sg_buf_dispose(&st.path);
    sg_buf_dispose(&st.shown);
    sg_buf_dispose(&st.scratch);
    return error;
}
