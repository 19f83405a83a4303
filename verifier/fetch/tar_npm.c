/*
 * npm's view of a tarball (tar_npm_int.h): a port of what node-tar 7.5 (lib/header.js,
 * lib/pax.js, lib/read-entry.js, lib/parse.js, lib/unpack.js [CHECKPATH]) and pacote 21
 * (lib/fetcher.js #tarxOptions: strip 1, only files, .gitignore -> .npmignore) do with the
 * decompressed stream, block by block.
 *
 * Two rules keep the view honest. Where node-tar has a quirk that libarchive does not share
 * (it stops a name at a NUL only up to the next newline, reads 12 bytes for an 8-byte checksum,
 * resumes after a single zero block, skips a block whose checksum fails and reads the next one
 * as a header, lets a global header set a size...), the walk follows node-tar and records an
 * ambiguity. Where node-tar versions differ (pax `size` syntax), or the behaviour depends on
 * how the stream is chunked, the construct is an ambiguity whatever node-tar does.
 */
#include "common/common.h"

#include <libdeflate.h>

#include "verifier/fetch/tar_npm_int.h"

#define BLOCK 512
#define MAX_META_SIZE (1024 * 1024) /* node-tar's maxMetaEntrySize */
#define MAX_DEPTH 1024              /* node-tar's maxDepth */
#define SHOWN 120                   /* bytes of an untrusted name in a detail */

/* ---- fields ------------------------------------------------------------------------------ */

/* A string field of the header. node-tar decodes it as UTF-8 and removes /\0.* /: from the
 * first NUL up to the next line terminator. Canonical when it is valid UTF-8 and only NULs
 * follow the first NUL; then node-tar and libarchive read the same bytes. */
typedef struct field {
    const unsigned char *p; /* the bytes before the first NUL */
    size_t len;             /* their count */
    int canonical;          /* valid UTF-8 and nothing but NULs after the first NUL */
} field;

static field get_field(const unsigned char *b, size_t off, size_t size)
{
    field f;
    const unsigned char *nul = memchr(b + off, 0, size);
    size_t i;

    f.p = b + off;
    f.len = nul ? (size_t)(nul - f.p) : size;
    f.canonical = sg_utf8_valid(f.p, f.len);
    for (i = f.len; i < size; i++)
        if (b[off + i] != 0)
            f.canonical = 0;
    return f;
}

/* A numeric field: node-tar's decNumber. Octal text (parseInt(trimmed, 8)) or base-256 when
 * the first byte has its high bit set. `canonical` when both readers surely agree: optional
 * leading spaces, octal digits, then only spaces and NULs (or an empty field, 0 for both);
 * base-256 is never canonical (npm packers never need it). *present is 0 where node-tar gets
 * undefined (empty or unparseable). */
typedef struct number {
    uint64_t value; /* the value node-tar reads (when present) */
    int present;    /* node-tar has a number at all */
    int canonical;  /* libarchive reads the same */
    int negative;   /* node-tar reads a negative number (base-256 or a '-' sign) */
} number;

static int js_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static number get_number(const unsigned char *b, size_t off, size_t size)
{
    number n = {0, 0, 1, 0};
    size_t i = 0, end = size, digits = 0;
    const unsigned char *s = b + off;

    if (s[0] & 0x80) {
        n.canonical = 0;
        n.present = 1;
        n.negative = s[0] == 0xff;
        for (i = 1; i < size && !n.negative; i++)
            n.value = (n.value << 8) | s[i];
        return n;
    }
    /* node-tar: toString('utf8').replace(/\0.*$/, '').trim(); parseInt(…, 8). A NUL followed
     * only by non-line-terminators up to the end is cut; we are conservative and cut at the
     * first NUL (the forms where that differs are not canonical below). */
    for (i = 0; i < size; i++)
        if (s[i] == 0) {
            end = i;
            break;
        }
    for (i = end; i < size; i++)
        if (s[i] != 0 && s[i] != ' ')
            n.canonical = 0;
    i = 0;
    while (i < end && js_space(s[i])) {
        if (s[i] != ' ')
            n.canonical = 0;
        i++;
    }
    if (i < end && (s[i] == '+' || s[i] == '-')) {
        n.canonical = 0;
        n.negative = s[i] == '-';
        i++;
    }
    for (; i < end && s[i] >= '0' && s[i] <= '7'; i++, digits++) {
        if (n.value >> 60)
            n.canonical = 0; /* past 2^53 node-tar loses precision anyway */
        n.value = n.value * 8 + (uint64_t)(s[i] - '0');
    }
    n.present = digits > 0;
    for (; i < end; i++)
        if (s[i] != ' ')
            n.canonical = 0;
    if (n.negative && n.value == 0)
        n.negative = 0;
    return n;
}

/* ---- the walk ------------------------------------------------------------------------------ */

/* Extended attributes pending for the next entry (node-tar's EX and GEX). */
typedef struct pending {
    const char *path;      /* path from pax, L or N (arena), or NULL */
    int has_size;          /* size given */
    uint64_t size;         /* the size */
    int has_linkpath;      /* linkpath given */
    unsigned path_sources; /* headers that named the path */
    unsigned locals;       /* x/X headers merged into it */
    unsigned longnames;    /* L/N headers */
    unsigned longlinks;    /* K headers */
} pending;

typedef struct walk {
    sg_tar_npm_view *view;    /* what we fill */
    sg_ctx *ctx;              /* errors */
    const unsigned char *tar; /* the stream */
    size_t len;               /* its length */
    pending ex;               /* EX */
    int have_ex;              /* EX is set */
    pending gex;              /* GEX */
    int have_gex;             /* GEX is set */
    char **npmignores;        /* pre-strip paths of .npmignore files seen (pacote sawIgnores) */
    size_t nnpmignores;       /* count */
    size_t npmignores_cap;    /* allocated */
    sg_buf scratch;           /* building paths */
} walk;

static const char *shown(walk *w, const unsigned char *p, size_t len)
{
    sg_buf b = SG_BUF_INIT;
    const char *out;
    size_t i;
    for (i = 0; i < len && i < SHOWN; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
            sg_buf_printf(&b, "\\x%02x", p[i]);
        else
            sg_buf_putc(&b, (char)p[i]);
    }
    if (len > SHOWN)
        sg_buf_puts(&b, "...");
    out = sg_arena_strndup(&w->view->arena, b.ptr, b.size);
    sg_buf_dispose(&b);
    return out ? out : "";
}

static int ambiguous(walk *w, size_t header, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int ambiguous(walk *w, size_t header, const char *path, const char *fmt, ...)
{
    sg_tar_npm_view *v = w->view;
    sg_tar_npm_ambiguity *a;
    sg_buf b = SG_BUF_INIT;
    va_list ap;

    v->namb_total++;
    if (v->namb >= SG_TAR_NPM_MAX_AMBIGUITIES)
        return 0;
    if (!v->amb && !(v->amb = sg_calloc(SG_TAR_NPM_MAX_AMBIGUITIES, sizeof(*v->amb))))
        return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
    va_start(ap, fmt);
    sg_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    a = &v->amb[v->namb];
    a->header = header;
    a->path = sg_arena_strdup(&v->arena, path ? path : "");
    a->detail = sg_arena_strndup(&v->arena, b.ptr, b.size);
    sg_buf_dispose(&b);
    if (!a->path || !a->detail)
        return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
    v->namb++;
    return 0;
}

/* The header's type as node-tar names it: its code when known, else 0 for 'Unsupported'. A
 * NUL type byte is '0' (node-tar: `t || '0'`). */
static char type_code(unsigned char t)
{
    static const char known[] = "01234567gxADIKLMNSVX";
    if (t == 0)
        return '0';
    if (t < 0x80 && memchr(known, t, sizeof(known) - 1))
        return (char)t;
    return 0;
}

static int normal_fs_type(unsigned char t)
{
    return t == 0 || (t >= '0' && t <= '7') || t == 'D';
}

static int meta_type(char c)
{
    return c == 'x' || c == 'X' || c == 'g' || c == 'L' || c == 'N' || c == 'K';
}

/* node-tar's checksum: 8 spaces for the field plus every other byte, unsigned. */
static unsigned long block_sum(const unsigned char *b)
{
    unsigned long sum = 8 * 0x20;
    size_t i;
    for (i = 0; i < 148; i++)
        sum += b[i];
    for (i = 156; i < BLOCK; i++)
        sum += b[i];
    return sum;
}

static int all_zero(const unsigned char *b, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (b[i])
            return 0;
    return 1;
}

/* ---- pax records (node-tar lib/pax.js parseKV; libarchive pax_header) -------------------- */

static int key_is(const unsigned char *k, size_t klen, const char *name)
{
    return klen == strlen(name) && memcmp(k, name, klen) == 0;
}

static int key_prefix(const unsigned char *k, size_t klen, const char *prefix)
{
    size_t n = strlen(prefix);
    return klen > n && memcmp(k, prefix, n) == 0;
}

/* Keys that neither reader turns into a different path, type, size or content. */
static int harmless_key(const unsigned char *k, size_t klen)
{
    static const char *const keys[] = {"mtime",
                                       "atime",
                                       "ctime",
                                       "uid",
                                       "gid",
                                       "uname",
                                       "gname",
                                       "comment",
                                       "charset",
                                       "SCHILY.dev",
                                       "SCHILY.ino",
                                       "SCHILY.nlink",
                                       "LIBARCHIVE.creationtime"};
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(keys); i++)
        if (key_is(k, klen, keys[i]))
            return 1;
    if (key_prefix(k, klen, "SCHILY.xattr.") || key_prefix(k, klen, "LIBARCHIVE.xattr."))
        return 1;
    return 0;
}

static int simple_decimal(const unsigned char *v, size_t len, uint64_t *out)
{
    size_t i;
    uint64_t n = 0;
    if (len == 0 || len > 15 || (v[0] == '0' && len > 1))
        return 0;
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 0;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    *out = n;
    return 1;
}

/* One "LEN KEY=VALUE\n" record at body[*pos]. Returns 1 when well-formed for both readers
 * (node-tar splits the body on newlines and checks LEN against each line's byte length;
 * libarchive reads LEN bytes): canonical LEN, one space, a key, '=', a value without newline
 * or NUL, and the newline exactly at LEN. */
static int pax_record(const unsigned char *body, size_t size, size_t *pos,
                      const unsigned char **key, size_t *klen, const unsigned char **val,
                      size_t *vlen)
{
    size_t p = *pos, n = 0, digits = 0, start = p, i;
    const unsigned char *eq;

    while (p < size && body[p] >= '0' && body[p] <= '9' && digits < 10) {
        n = n * 10 + (size_t)(body[p] - '0');
        p++, digits++;
    }
    if (digits == 0 || (body[start] == '0') || p >= size || body[p] != ' ' || n < 5 ||
        n > size - start || body[start + n - 1] != '\n')
        return 0;
    p++;
    for (i = p; i < start + n - 1; i++)
        if (body[i] == '\n' || body[i] == 0)
            return 0;
    eq = memchr(body + p, '=', start + n - 1 - p);
    if (!eq || eq == body + p)
        return 0;
    *key = body + p;
    *klen = (size_t)(eq - (body + p));
    *val = eq + 1;
    *vlen = start + n - 1 - (size_t)(eq + 1 - body);
    *pos = start + n;
    return 1;
}

/* An x, X or g header's body: merge into EX or GEX as node-tar does, noting every record
 * that makes the readers disagree. */
static int apply_pax(walk *w, size_t header, const unsigned char *body, size_t size, int global)
{
    pending *pd = global ? &w->gex : &w->ex;
    size_t pos = 0;
    int error;
    const char *what = global ? "global pax header" : "pax header";

    if (!sg_utf8_valid(body, size) &&
        (error = ambiguous(w, header, NULL, "%s is not valid UTF-8", what)) < 0)
        return error;
    while (pos < size) {
        const unsigned char *k, *v;
        size_t klen, vlen;
        uint64_t num;
        if (all_zero(body + pos, size - pos))
            break; /* padding some writers leave */
        if (!pax_record(body, size, &pos, &k, &klen, &v, &vlen))
            return ambiguous(w, header, NULL, "%s has a malformed record at byte %zu", what, pos);
        if (key_is(k, klen, "path") && !global) {
            if (vlen == 0 &&
                (error = ambiguous(w, header, NULL, "pax header sets an empty path")) < 0)
                return error;
            if (!(pd->path = sg_arena_strndup(&w->view->arena, (const char *)v, vlen)))
                return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
            pd->path_sources++;
        } else if (key_is(k, klen, "size") && !global) {
            if (!simple_decimal(v, vlen, &num) || num > ((uint64_t)1 << 53)) {
                if ((error = ambiguous(w, header, pd->path, "pax size '%s' is not a plain number",
                                       shown(w, v, vlen))) < 0)
                    return error;
                continue;
            }
            pd->has_size = 1;
            pd->size = num;
        } else if (key_is(k, klen, "linkpath") && !global) {
            pd->has_linkpath = 1;
        } else if (!harmless_key(k, klen)) {
            if ((error = ambiguous(w, header, pd->path,
                                   "%s sets '%s', which tar readers apply "
                                   "differently",
                                   what, shown(w, k, klen))) < 0)
                return error;
        }
    }
    return 0;
}

/* L, N or K: the next entry's path or link path is the body up to the first NUL. */
static int apply_longname(walk *w, size_t header, char code, const unsigned char *body, size_t size)
{
    field f = get_field(body, 0, size);
    int error;

    if (!f.canonical &&
        (error = ambiguous(w, header, NULL, "GNU long %s is not a plain UTF-8 string",
                           code == 'K' ? "link name" : "name")) < 0)
        return error;
    if (f.len == 0 && (error = ambiguous(w, header, NULL, "empty GNU long name")) < 0)
        return error;
    if (code == 'K') {
        w->ex.has_linkpath = 1;
        w->ex.longlinks++;
        return 0;
    }
    if (!(w->ex.path = sg_arena_strndup(&w->view->arena, (const char *)f.p, f.len)))
        return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
    w->ex.path_sources++;
    w->ex.longnames++;
    return 0;
}

/* ---- from an entry's path to where npm writes it (pacote filter, Unpack [CHECKPATH]) ---- */

static int seen_npmignore(const walk *w, const char *p)
{
    size_t i;
    for (i = 0; i < w->nnpmignores; i++)
        if (strcmp(w->npmignores[i], p) == 0)
            return 1;
    return 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* pacote: a .npmignore is remembered; a .gitignore becomes .npmignore unless one was seen
 * (then it is dropped: *dropped). *path may be rewritten. */
static int pacote_ignores(walk *w, const char **path, int *dropped)
{
    const char *base = base_name(*path);
    size_t len = strlen(*path);
    char *ni;

    *dropped = 0;
    if (strcmp(base, ".npmignore") == 0) {
        if (SG_ARRAY_GROW(w->npmignores, w->npmignores_cap, w->nnpmignores + 1, 16) < 0)
            return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
        w->npmignores[w->nnpmignores++] = (char *)*path;
        return 0;
    }
    if (strcmp(base, ".gitignore") != 0)
        return 0;
    if (!(ni = sg_arena_strdup(&w->view->arena, *path)))
        return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
    memcpy(ni + len - strlen(".gitignore"), ".npmignore", strlen(".npmignore"));
    if (seen_npmignore(w, ni))
        *dropped = 1;
    else
        *path = ni;
    return 0;
}

/* node-tar's strip: 1, then stripAbsolutePath, the '..' check (on the path with backslashes
 * read as separators) and path.resolve(cwd, path). *out is the package-relative path, or
 * NULL when node-tar skips the entry. */
static int install_path(walk *w, const char **out, const char *path)
{
    const char *rest = strchr(path, '/'), *s;
    size_t depth = 1;
    sg_buf *b = &w->scratch;

    *out = NULL;
    if (!rest)
        return 0; /* only the top folder: resolves to the package root itself */
    rest++;
    for (s = rest; *s; s++)
        if (*s == '/')
            depth++;
    if (depth > MAX_DEPTH)
        return 0;
    while (*rest == '/')
        rest++;           /* stripAbsolutePath: a root '/' (again and again) */
    for (s = rest; *s;) { /* '..' as a segment, with '\' as a separator too */
        const char *e = s;
        while (*e && *e != '/' && *e != '\\')
            e++;
        if (e - s == 2 && s[0] == '.' && s[1] == '.')
            return 0;
        s = *e ? e + 1 : e;
    }
    sg_buf_clear(b);
    for (s = rest; *s;) { /* path.resolve: drop empty and '.' segments */
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n && !(n == 1 && s[0] == '.')) {
            if (b->size)
                sg_buf_putc(b, '/');
            sg_buf_put(b, s, n);
        }
        s += n + (e ? 1 : 0);
    }
    if (sg_buf_check(b, w->ctx, "an installed path") < 0)
        return SG_ENOMEM;
    if (b->size == 0)
        return 0; /* the extraction folder itself: only a directory may be that */
    if (!(*out = sg_arena_strndup(&w->view->arena, b->ptr, b->size)))
        return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
    return 0;
}

static int add_file(walk *w, const char *path, const char *archive_path, int dropped, size_t offset,
                    size_t size, unsigned mode, size_t header)
{
    sg_tar_npm_view *v = w->view;
    sg_tar_npm_file *f;

    if (SG_ARRAY_GROW(v->files, v->files_cap, v->nfiles + 1, 64) < 0)
        return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
    f = &v->files[v->nfiles++];
    f->path = path;
    f->archive_path = archive_path;
    f->dropped = dropped;
    f->offset = offset;
    f->size = size;
    f->mode = mode;
    f->header = header;
    return 0;
}

/* ---- one header block (node-tar Header.decode + Parser [CONSUMEHEADER]) ------------------ */

/* What one header decodes to. */
typedef struct hdr {
    unsigned char flag; /* the raw type byte */
    char code;          /* node-tar's type code, 0 for Unsupported */
    const char *path;   /* the entry's path (ReadEntry: EX's path, else prefix/name) */
    uint64_t size;      /* bytes of body */
    uint64_t raw_size;  /* the size field before node-tar zeroes it for a directory */
    unsigned mode;      /* permission bits */
    int linkname;       /* the linkname field is not empty */
} hdr;

static int name_of(walk *w, const unsigned char *b, size_t pos, const char **name, int *canonical)
{
    field name_f = get_field(b, 0, 100), prefix_f = {NULL, 0, 1};
    int posix = memcmp(b + 257,
                       "ustar\0"
                       "00",
                       8) == 0;
    int error = 0;

    *canonical = name_f.canonical;
    if (posix) {
        prefix_f = get_field(b, 345, b[475] != 0 ? 155 : 130);
        *canonical = *canonical && prefix_f.canonical;
    } else if (memcmp(b + 257, "ustar", 5) == 0 && memcmp(b + 257, "ustar  \0", 8) != 0 &&
               b[345] != 0) {
        /* libarchive takes the prefix of any "ustar\0" magic; node-tar only of "ustar\000" */
        error = ambiguous(w, pos, NULL, "ustar magic with an unusual version and a prefix");
    }
    sg_buf_clear(&w->scratch);
    if (prefix_f.len) {
        sg_buf_put(&w->scratch, prefix_f.p, prefix_f.len);
        sg_buf_putc(&w->scratch, '/');
    }
    sg_buf_put(&w->scratch, name_f.p, name_f.len);
    if (sg_buf_check(&w->scratch, w->ctx, "a tar name") < 0)
        return SG_ENOMEM;
    if (!(*name = sg_arena_strndup(&w->view->arena, w->scratch.ptr, w->scratch.size)))
        return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
    return error;
}

/* Decode the header at pos as node-tar does with the pending EX and GEX. */
static int decode(walk *w, hdr *h, size_t pos)
{
    const unsigned char *b = w->tar + pos;
    int normal = normal_fs_type(b[156]), canonical, error;
    number size = get_number(b, 124, 12), mode = get_number(b, 100, 8);
    const char *raw;

    memset(h, 0, sizeof(*h));
    h->flag = b[156];
    h->code = type_code(b[156]);
    if ((error = name_of(w, b, pos, &raw, &canonical)) < 0)
        return error;
    if (!canonical &&
        (error = ambiguous(w, pos, raw, "name field is not a plain UTF-8 string")) < 0)
        return error;
    if ((!size.canonical || !mode.canonical) &&
        (error = ambiguous(w, pos, raw, "numeric field in an unusual encoding")) < 0)
        return error;
    h->size = size.present && !size.negative ? size.value : 0;
    h->raw_size = h->size;
    h->mode = (unsigned)(mode.value & 07777);
    if (normal && w->have_ex && w->ex.has_size)
        h->size = w->ex.size;
    else if (normal && w->have_gex && w->gex.has_size)
        h->size = w->gex.size;
    h->path = normal && w->have_ex && w->ex.path ? w->ex.path : raw;
    /* node-tar's Header.path also prepends the ustar prefix to EX's path; that changes only
     * the two checks below, and an empty pax path is ambiguous anyway */
    if (h->code == '0' && h->path[0] && h->path[strlen(h->path) - 1] == '/')
        h->code = '5';
    if (h->code == '5')
        h->size = 0;
    h->linkname = b[157] != 0;
    return 0;
}

/* node-tar's validity checks; 1 when it drops the block and reads the next one as a header. */
static int invalid_header(walk *w, const hdr *h, size_t pos, int *drop)
{
    const unsigned char *b = w->tar + pos;
    number ck = get_number(b, 148, 12), ck8 = get_number(b, 148, 8);
    int is_link = h->code == '1' || h->code == '2';

    *drop = 1;
    if (!ck.present || ck.negative || ck.value != block_sum(b))
        return ambiguous(w, pos, h->path,
                         "header checksum does not match (npm skips the "
                         "block and reads the next one as a header)");
    if (!ck8.canonical || ck8.value != ck.value)
        return ambiguous(w, pos, h->path, "checksum field in an unusual encoding");
    if (!h->path[0])
        return ambiguous(w, pos, NULL, "entry without a name (npm skips the block)");
    if (is_link && !h->linkname && !(w->have_ex && w->ex.has_linkpath))
        return ambiguous(w, pos, h->path, "link without a target (npm skips the block)");
    if (!is_link && h->code != 'x' && h->code != 'g' && h->linkname)
        return ambiguous(w, pos, h->path,
                         "link target on an entry that is not a link "
                         "(npm skips the block)");
    *drop = 0;
    return 0;
}

/* The body of a meta entry is read; apply it. */
static int apply_meta(walk *w, const hdr *h, size_t pos, size_t body, size_t size)
{
    const unsigned char *p = w->tar + body;
    switch (h->code) {
    case 'x':
    case 'X':
        w->have_ex = 1;
        w->ex.locals++;
        return apply_pax(w, pos, p, size, 0);
    case 'g':
        w->have_gex = 1;
        return apply_pax(w, pos, p, size, 1);
    default: /* L, N, K */
        w->have_ex = 1;
        return apply_longname(w, pos, h->code, p, size);
    }
}

/* Checks on the EX that applies to a file entry. */
static int check_pending(walk *w, const hdr *h, size_t pos)
{
    const pending *e = &w->ex;
    int error = 0;
    if (!w->have_ex)
        return 0;
    if (e->path_sources > 1)
        error =
            ambiguous(w, pos, h->path, "the name is given by %u extended headers", e->path_sources);
    else if (e->locals > 1 || e->longnames > 1 || e->longlinks > 1)
        error = ambiguous(w, pos, h->path, "several extended headers for one entry");
    return error;
}

static int entry_type_check(walk *w, const hdr *h, size_t pos)
{
    switch (h->code) {
    case '0': /* '0' or NUL (type_code): a plain file */
        return 0;
    case '5':
        if (h->raw_size)
            return ambiguous(w, pos, h->path, "directory entry with a size");
        return 0;
    case '1':
    case '2':
        if (h->size)
            return ambiguous(w, pos, h->path, "link entry with a size");
        return 0;
    default:
        break;
    }
    if (h->code == 0)
        return ambiguous(w, pos, h->path, "unknown entry type 0x%02x", h->flag);
    return ambiguous(w, pos, h->path, "archaic or special entry type '%c'", h->flag);
}

/* A file, directory, link or ignored entry: node-tar clears EX; pacote keeps files only. */
static int consume_entry(walk *w, const hdr *h, size_t pos, size_t body)
{
    const char *path = h->path, *installed, *archive_path;
    int dropped;
    size_t avail = w->len - body;
    size_t size = h->size < avail ? (size_t)h->size : avail;
    int error;

    if ((error = check_pending(w, h, pos)) < 0 || (error = entry_type_check(w, h, pos)) < 0)
        return error;
    memset(&w->ex, 0, sizeof(w->ex));
    w->have_ex = 0;
    if (h->code != '0' && h->code != '7')
        return 0; /* pacote: links dropped, directories and the rest not written */
    if (h->size > avail &&
        (error =
             ambiguous(w, pos, path, "truncated: npm installs the first %zu of %" PRIu64 " bytes",
                       size, h->size)) < 0)
        return error;
    if ((error = pacote_ignores(w, &path, &dropped)) < 0 ||
        (error = install_path(w, &installed, path)) < 0 ||
        (error = install_path(w, &archive_path, h->path)) < 0)
        return error;
    if (!installed || !archive_path)
        return 0;
    return add_file(w, installed, archive_path, dropped, body, size, h->mode, pos);
}

static int walk_blocks(walk *w, uint64_t max_entries)
{
    size_t pos = 0;
    uint64_t headers = 0;
    int saw_null = 0, error;

    while (pos + BLOCK <= w->len) {
        const unsigned char *b = w->tar + pos;
        unsigned long sum = block_sum(b);
        number ck = get_number(b, 148, 12);
        hdr h;
        int drop;
        size_t body, blocks;

        if (!ck.present && sum == 8 * 0x20) { /* node-tar's null block */
            if (!all_zero(b, BLOCK) && (error = ambiguous(w, pos, NULL,
                                                          "end-of-archive block that is not all "
                                                          "zeros")) < 0)
                return error;
            if (saw_null)
                return 0;
            saw_null = 1;
            pos += BLOCK;
            continue;
        }
        if (saw_null && (error = ambiguous(w, pos, NULL,
                                           "entries after an end-of-archive block (npm "
                                           "reads them, other readers stop)")) < 0)
            return error;
        saw_null = 0;
        if (++headers > max_entries)
            return sg_error_set(w->ctx, SG_ELIMIT,
                                "tarball has more than %" PRIu64 " headers (limit '%s')",
                                max_entries, sg_limit_name(SG_LIMIT_ENTRIES));
        if ((error = decode(w, &h, pos)) < 0 || (error = invalid_header(w, &h, pos, &drop)) < 0)
            return error;
        if (drop) {
            pos += BLOCK;
            continue;
        }
        body = pos + BLOCK;
        blocks = (size_t)((h.size + BLOCK - 1) / BLOCK);
        if (meta_type(h.code)) {
            if (h.code == 'g' && w->have_ex &&
                (error = ambiguous(w, pos, NULL,
                                   "global header between an extended header "
                                   "and its entry")) < 0)
                return error;
            if (h.size > MAX_META_SIZE) {
                if ((error = ambiguous(w, pos, NULL,
                                       "extended header over 1 MiB (npm "
                                       "ignores it)")) < 0)
                    return error;
            } else if (h.size > 0 && body + h.size <= w->len) {
                if ((error = apply_meta(w, &h, pos, body, (size_t)h.size)) < 0)
                    return error;
            } else if (h.size > 0) {
                return ambiguous(w, pos, NULL, "truncated extended header");
            }
            if (h.code == 'N' || h.code == 'X')
                if ((error = ambiguous(w, pos, NULL, "archaic extended header type '%c'", h.code)) <
                    0)
                    return error;
        } else if ((error = consume_entry(w, &h, pos, body)) < 0) {
            return error;
        }
        if (blocks > (w->len - body) / BLOCK)
            return 0; /* the rest of the stream is this entry's body */
        pos = body + blocks * BLOCK;
    }
    if (pos < w->len && !all_zero(w->tar + pos, w->len - pos))
        return ambiguous(w, pos, NULL, "stream ends in a partial block");
    return 0;
}

/* Paths npm writes as a file and also as a folder of another file: node-tar fails one of the
 * two, depending on the order; other readers keep both. */
static int cmp_paths(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_file_dir_clash(walk *w)
{
    sg_tar_npm_view *v = w->view;
    const char **paths;
    size_t i, n = v->nfiles;
    int error = 0;

    if (n < 2)
        return 0;
    if (!(paths = sg_calloc(n, sizeof(*paths))))
        return sg_error_set(w->ctx, SG_ENOMEM, "out of memory");
    for (i = 0, n = 0; i < v->nfiles; i++)
        if (!v->files[i].dropped)
            paths[n++] = v->files[i].path;
    qsort(paths, n, sizeof(*paths), cmp_paths);
    for (i = 0; i + 1 < n && !error; i++) {
        size_t len = strlen(paths[i]);
        size_t j;
        for (j = i + 1; j < n && strncmp(paths[j], paths[i], len) == 0; j++)
            if (paths[j][len] == '/') {
                error = ambiguous(w, 0, paths[i], "'%s' is both a file and a folder", paths[i]);
                break;
            }
    }
    sg_free(paths);
    return error;
}

int sg_tar__npm_view(sg_tar_npm_view *view, sg_ctx *ctx, const unsigned char *tar, size_t len,
                     uint64_t max_entries)
{
    walk w;
    int error;

    memset(&w, 0, sizeof(w));
    w.view = view;
    w.ctx = ctx;
    w.tar = tar;
    w.len = len;
    w.scratch = (sg_buf)SG_BUF_INIT;
    if ((error = walk_blocks(&w, max_entries)) == 0)
        error = check_file_dir_clash(&w);
    sg_free(w.npmignores);
    sg_buf_dispose(&w.scratch);
    return error;
}

void sg_tar__npm_view_dispose(sg_tar_npm_view *view)
{
    if (!view)
        return;
    sg_free(view->files);
    sg_free(view->amb);
    sg_arena_dispose(&view->arena);
    memset(view, 0, sizeof(*view));
}

/* ---- decompression -------------------------------------------------------------------------- */

/*
 * gzip as npm's installer reads it: node-tar sniffs 1f 8b and writes the bytes, in whatever
 * chunks the network delivers, to a zlib Unzip (minizlib over Node's zlib, which goes on with
 * the next member while the byte after one is not zero). Established with node 20.20, npm 11.19
 * (pacote 21, node-tar 7.5.22, minizlib 3.1.0): crafted tarballs extracted with pacote, and the
 * same bytes written to minizlib split at every offset (tests/unit/fetch/test_gzip.c and the
 * gzip cases of tests/integration/test_tar_differential.c keep them):
 *
 *   the bytes                          npm                                       here
 *   members one after another          concatenated (an empty one adds nothing)  the same
 *   a member, then only zero bytes     the zeros ignored                         the same
 *   a member, zeros, then other bytes  ignored, read as a member, or an error,   refused
 *                                      depending on where the chunks split
 *   a member, then non-gzip bytes      read as a zlib stream: appended when      refused
 *                                      valid, else Z_DATA_ERROR
 *   a member, then 1f 8b and garbage   Z_DATA_ERROR                              refused
 *   a truncated member, a header only  writes what it has, then Z_BUF_ERROR      refused
 *   a bad CRC-32 or ISIZE              Z_DATA_ERROR after writing the files      refused
 *   FTEXT, FEXTRA, FNAME, FCOMMENT,    accepted                                  accepted
 *   FHCRC
 *   a wrong FHCRC                      Z_DATA_ERROR (zlib checks it)             refused
 * (libdeflate does not: here) reserved flags, method other       Z_DATA_ERROR refused (a method
 *   than 8                                                                       other than 8 was
 *                                                                                read as a plain
 * tar) more than 1000 times unpacked      node-tar aborts (maxDecompressionRatio)   refused
 *
 * libdeflate decodes a few deflate streams zlib rejects (length symbols 286-287, distance
 * symbols 30-31, more than 286 or 30 codes, a one-symbol precode, an empty distance code that
 * is used). zlib stops there with an error, so npm fails the install after writing a prefix of
 * these bytes; it never installs other bytes than the ones decoded here. node-tar also aborts
 * when the running ratio passes 1000 at a chunk boundary, which depends on the network: only
 * the final ratio is known to fail.
 */

/* node-tar (lib/parse.js) sniffs these four bytes after gzip's and reads the stream as zstd
 * (minizlib's ZstdDecompress, on a Node that has zstd): a plain tar that begins with them
 * could be another archive to npm, so it is refused. */
static const unsigned char zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

#define GZIP_HEADER 10         /* fixed part of a member header */
#define GZIP_TRAILER 8         /* CRC-32 and ISIZE */
#define GZIP_FHCRC 0x02        /* a CRC-16 of the header follows it */
#define GZIP_FEXTRA 0x04       /* an extra field (2-byte length) */
#define GZIP_FNAME 0x08        /* a NUL-terminated name */
#define GZIP_FCOMMENT 0x10     /* a NUL-terminated comment */
#define GZIP_FRESERVED 0xe0    /* zlib: "unknown header flags set" */
#define NPM_MAX_RATIO 1000     /* node-tar's maxDecompressionRatio (lib/parse.js) */
#define DEFLATE_MAX_RATIO 1032 /* deflate writes at most 258 bytes per 2 bits */

typedef struct gunzip {
    sg_ctx *ctx;                       /* errors */
    struct libdeflate_decompressor *d; /* reused for every member */
    const unsigned char *in;           /* the tarball */
    size_t len;                        /* its length */
    sg_buf *out;                       /* the members' data, one after another */
    size_t limit;                      /* most bytes out may hold */
    sg_limit which;                    /* the limit named when out would pass it */
} gunzip;

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int gz_fail(const gunzip *g, size_t at, const char *what)
{
    return sg_error_set(g->ctx, SG_EINVALID, "cannot read gzip tarball: %s (member at byte %zu)",
                        what, at);
}

/* Skip a NUL-terminated header field at *pos; 0 or -1 when the input ends first. */
static int skip_string(size_t *pos, const unsigned char *p, size_t n)
{
    const unsigned char *nul = *pos < n ? memchr(p + *pos, 0, n - *pos) : NULL;
    if (!nul)
        return -1;
    *pos = (size_t)(nul - p) + 1;
    return 0;
}

/* The length of the member header at `at`, checked as zlib checks it (method, reserved flags,
 * the header's CRC-16). */
static int member_header(size_t *hlen, const gunzip *g, size_t at)
{
    const unsigned char *p = g->in + at;
    size_t n = g->len - at, pos = GZIP_HEADER;
    unsigned flg;

    if (n < GZIP_HEADER || p[0] != 0x1f || p[1] != 0x8b)
        return gz_fail(g, at, n < GZIP_HEADER ? "truncated gzip header" : "not a gzip member");
    if (p[2] != 8)
        return sg_error_set(g->ctx, SG_EINVALID,
                            "cannot read gzip tarball: unknown compression method %u (member at "
                            "byte %zu)",
                            p[2], at);
    flg = p[3];
    if (flg & GZIP_FRESERVED)
        return gz_fail(g, at, "reserved header flags set");
    if (flg & GZIP_FEXTRA) {
        if (n - pos < 2 || n - pos - 2 < (size_t)(p[pos] | p[pos + 1] << 8))
            return gz_fail(g, at, "truncated gzip header");
        pos += 2 + (size_t)(p[pos] | p[pos + 1] << 8);
    }
    if (((flg & GZIP_FNAME) && skip_string(&pos, p, n) < 0) ||
        ((flg & GZIP_FCOMMENT) && skip_string(&pos, p, n) < 0))
        return gz_fail(g, at, "truncated gzip header");
    if (flg & GZIP_FHCRC) {
        if (n - pos < 2)
            return gz_fail(g, at, "truncated gzip header");
        if ((libdeflate_crc32(0, p, pos) & 0xffff) != (uint32_t)(p[pos] | p[pos + 1] << 8))
            return gz_fail(g, at, "header checksum mismatch");
        pos += 2;
    }
    *hlen = pos;
    return 0;
}

/* Room for the next member's data: a first guess from the last ISIZE of the input (exact for
 * the usual single member), at least 4 times the input left, at most what the limit leaves and
 * deflate can make of the input. A lying ISIZE costs a few doublings, each one a full retry of
 * the member, so the work stays under twice the final size. */
static size_t first_room(const gunzip *g, size_t at)
{
    size_t left = g->limit - g->out->size, rest = g->len - at, most, guess;

    if (sg_mul_overflow(&most, rest, DEFLATE_MAX_RATIO) || most > left)
        most = left;
    guess = le32(g->in + g->len - 4);
    if (sg_mul_overflow(&rest, rest, 4) || guess < rest)
        guess = rest;
    return guess < most ? guess : most;
}

/* Decompress the member at `at` onto the end of out; *used: its bytes in the input. */
static int member(size_t *used, gunzip *g, size_t at)
{
    size_t hlen = 0, room, left, in_used = 0, got = 0, body_len;
    const unsigned char *body, *trailer;
    enum libdeflate_result r;
    int error;

    if ((error = member_header(&hlen, g, at)) < 0)
        return error;
    if (g->len - at - hlen < GZIP_TRAILER)
        return gz_fail(g, at, "truncated gzip data");
    body = g->in + at + hlen;
    body_len = g->len - at - hlen - GZIP_TRAILER;
    for (room = first_room(g, at);; room = left / 2 < room ? left : room * 2) {
        if (sg_buf_grow_by(g->out, room) < 0)
            return sg_buf_check(g->out, g->ctx, "the tar stream");
        left = g->limit - g->out->size;
        room = g->out->asize - 1 - g->out->size; /* the buffer may have grown past room */
        if (room > left)
            room = left;
        r = libdeflate_deflate_decompress_ex(g->d, body, body_len, g->out->ptr + g->out->size, room,
                                             &in_used, &got);
        if (r != LIBDEFLATE_INSUFFICIENT_SPACE)
            break;
        if (room == left)
            return sg_error_set(g->ctx, SG_ELIMIT, "tar stream exceeds limit '%s'",
                                sg_limit_name(g->which));
    }
    if (r != LIBDEFLATE_SUCCESS)
        return gz_fail(g, at, "corrupt or truncated deflate data");
    trailer = body + in_used;
    if (libdeflate_crc32(0, g->out->ptr + g->out->size, got) != le32(trailer))
        return gz_fail(g, at, "CRC-32 mismatch");
    if ((uint32_t)got != le32(trailer + 4))
        return gz_fail(g, at, "length mismatch (ISIZE)");
    g->out->size += got;
    g->out->ptr[g->out->size] = '\0';
    *used = hlen + in_used + GZIP_TRAILER;
    return 0;
}

/* What follows a member at `at`: 1 another member, 0 only zero bytes (padding npm ignores). */
static int next_member(const gunzip *g, size_t at)
{
    size_t i;

    if (g->in[at] != 0) {
        if (g->in[at] == 0x1f)
            return 1; /* checked as a member header */
        return sg_error_set(g->ctx, SG_EINVALID,
                            "cannot read gzip tarball: %zu bytes after the gzip data at byte %zu "
                            "are not a gzip member",
                            g->len - at, at);
    }
    for (i = at; i < g->len && g->in[i] == 0; i++)
        ;
    if (i == g->len)
        return 0;
    return sg_error_set(g->ctx, SG_EINVALID,
                        "cannot read gzip tarball: data at byte %zu after zero padding (npm reads "
                        "it or not depending on how the network splits the stream)",
                        i);
}

static int gunzip_all(gunzip *g)
{
    size_t at = 0, used = 0;
    int error, more = 1;

    while (more) {
        if ((error = member(&used, g, at)) < 0)
            return error;
        at += used;
        if (at == g->len)
            break;
        if ((more = next_member(g, at)) < 0)
            return more;
    }
    if ((uint64_t)g->out->size > (uint64_t)NPM_MAX_RATIO * g->len)
        return sg_error_set(g->ctx, SG_EINVALID,
                            "cannot read gzip tarball: it unpacks to more than %d times its size, "
                            "which npm's installer refuses",
                            NPM_MAX_RATIO);
    return 0;
}

int sg_tar__decompress(sg_buf *out, sg_ctx *ctx, const unsigned char *bytes, size_t len,
                       uint64_t limit, sg_limit which)
{
    gunzip g = {ctx, NULL, bytes, len, out, 0, which};
    int error;

    sg_buf_clear(out);
    if (len >= sizeof(zstd_magic) && memcmp(bytes, zstd_magic, sizeof(zstd_magic)) == 0)
        return sg_error_set(ctx, SG_EINVALID,
                            "cannot read tarball: it starts with zstd's magic number, and npm's "
                            "installer (node-tar 7.5) decompresses it as zstd where Node has "
                            "zstd; sourcegate reads no zstd");
    if (len < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) { /* node-tar's sniff */
        if (len > limit)
            return sg_error_set(ctx, SG_ELIMIT, "tar stream exceeds limit '%s'",
                                sg_limit_name(which));
        sg_buf_put(out, bytes, len);
        return sg_buf_check(out, ctx, "the tar stream");
    }
    g.limit = limit < SIZE_MAX - 1 ? (size_t)limit : SIZE_MAX - 1;
    if (!(g.d = libdeflate_alloc_decompressor()))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a gzip decompressor");
    if ((error = gunzip_all(&g)) < 0)
        sg_buf_clear(out);
    libdeflate_free_decompressor(g.d);
    return error;
}
