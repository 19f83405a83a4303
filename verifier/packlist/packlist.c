/*
 * npm 11's file selection (npm-packlist 10.0.4 over ignore-walk 8, NPM-PACK.md §1) applied to
 * an in-memory tree, and the executable bits pacote writes (§3.3).
 *
 * The walk mirrors ignore-walk: one walker per folder with its rule sets in ignoreFiles order
 * [defaults, package.json, .npmignore, .gitignore, strict]; an entry is tested as a file and
 * as a folder; the parent walker decides first (filterEntry); the last matching rule wins;
 * only rules that could flip the current state are consulted. Rule text is built and parsed
 * exactly as npm-packlist injects it (joined with '\n', split, trimmed, compiled with
 * minimatch options {matchBase, dot, flipNegate, nocase}).
 *
 * Known differences (the tree is all we see): `files` entries and ignore-file symlinks that
 * point outside the package folder are treated as missing; a `files` path through an
 * intermediate symlinked folder is treated as missing (no observable effect: npm never walks
 * into symlinks); directories.bin expansion lists entries in path order where glob's order is
 * unspecified; the workspace test (a root `workspaces` that names a folder holding a
 * package.json) approximates @npmcli/map-workspaces.
 */
#include "common/common.h"
#include "verifier/packlist/glob_int.h"

#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------------------------ */
/* The tree as folders                                                                         */

enum { K_FILE, K_DIR, K_SYMLINK, K_SUBMODULE };

typedef struct pl_dir pl_dir;

typedef struct pl_child {
    const char *name; /**< the name (points into an entry path) */
    size_t len;       /**< its length */
    int kind;         /**< K_* */
    size_t entry;     /**< index in the tree (not for K_DIR) */
    pl_dir *dir;      /**< K_DIR: the folder */
} pl_child;

struct pl_dir {
    const char *path; /**< from the root, "" for the root (points into an entry path) */
    size_t path_len;  /**< its length */
    size_t depth;     /**< number of components in path */
    pl_child *kids;   /**< entries, in tree order */
    size_t nkids;     /**< used */
    size_t cap;       /**< allocated */
    pl_dir *next;     /**< all folders, for freeing */
};

/* ------------------------------------------------------------------------------------------ */
/* Rule sets and walkers                                                                       */

enum { RS_DEFAULT, RS_PKGJSON, RS_NPMIGNORE, RS_GITIGNORE, RS_STRICT, RS__COUNT };

typedef struct pl_rules {
    sg_glob **r; /**< compiled rules in file order */
    size_t n;    /**< used */
    size_t cap;  /**< allocated */
} pl_rules;

typedef struct pl_walker {
    struct pl_walker *parent;        /**< the walker of the enclosing folder */
    const pl_dir *dir;               /**< the folder walked */
    const char *basename;            /**< its name */
    size_t basename_len;             /**< length of basename */
    int exact;                       /**< ignore-walk `exact`: entered although excluded */
    const pl_rules *sets[RS__COUNT]; /**< rule sets in ignoreFiles order; NULL when absent */
    pl_rules own[RS__COUNT];         /**< the sets this walker owns */
    char **required;                 /**< npm-packlist requiredFiles */
    size_t nrequired;                /**< number of required files */
} pl_walker;

typedef struct binmap {
    char **key;           /**< bin names */
    char **val;           /**< their targets */
    unsigned char *alive; /**< 0 once deleted */
    size_t n;             /**< used */
    size_t cap;           /**< allocated */
} binmap;

typedef struct pl_ctx {
    sg_ctx *ctx;            /**< errors and limits */
    const sg_tree *tree;    /**< the package folder */
    pl_dir *root;           /**< folder view of tree */
    pl_dir *dirs;           /**< every folder, for freeing */
    unsigned char *keep;    /**< output: entry i is packed */
    pl_rules defaults;      /**< default rules of every non-root walker */
    pl_rules root_defaults; /**< the root's: defaults plus the ancestor ignore files */
    int ws_quirk;           /**< root has workspaces: walkers read package.json as rules */
    sg_glob_seg *comps;     /**< filter_entry: the entry's path split in components */
    size_t ncomps;          /**< used */
    size_t capcomps;        /**< allocated */
    sg_glob_seg *forms;     /**< apply_rules: the forms of the entry, split */
    size_t capforms;        /**< allocated */
    uint64_t max_rules;     /**< SG_LIMIT_IGNORE_RULES */
    uint64_t max_file;      /**< SG_LIMIT_FILE_SIZE */
    int error;              /**< first error while matching */
} pl_ctx;

static const char *const npm_defaults[] = {
    ".npmignore",
    ".gitignore",
    "**/.git",
    "**/.svn",
    "**/.hg",
    "**/CVS",
    "**/.git/**",
    "**/.svn/**",
    "**/.hg/**",
    "**/CVS/**",
    "/.lock-wscript",
    "/.wafpickle-*",
    "/build/config.gypi",
    "npm-debug.log",
    "**/.npmrc",
    ".*.swp",
    ".DS_Store",
    "**/.DS_Store/**",
    "._*",
    "**/._*/**",
    "*.orig",
    "/archived-packages/**",
};

static const char *const npm_strict_tail[] = {
    "/.git",
    "!/package.json",
    "!/readme{,.*[^~$]}",
    "!/copying{,.*[^~$]}",
    "!/license{,.*[^~$]}",
    "!/licence{,.*[^~$]}",
    "/.git",
    "/node_modules",
    ".npmrc",
    "/package-lock.json",
    "/yarn.lock",
    "/pnpm-lock.yaml",
    "/bun.lockb",
};

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static int oom(pl_ctx *pc)
{
    return sg_error_set(pc->ctx, SG_ENOMEM, "out of memory applying npm's packing rules");
}

static uint32_t dec_utf8(const unsigned char *s, size_t n, size_t *adv)
{
    uint32_t c = s[0];
    size_t k, i;
    *adv = 1;
    if (c < 0x80)
        return c;
    k = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!k || k > n)
        return 0xFFFD;
    c &= k == 2 ? 0x1Fu : k == 3 ? 0x0Fu : 0x07u;
    for (i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0xFFFD;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    *adv = k;
    return c;
}

/* String.prototype.trim()'s whitespace and line terminators. */
static int js_space(uint32_t c)
{
    return (c >= 9 && c <= 13) || c == 32 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

static void js_trim(const char *s, size_t n, size_t *b, size_t *e)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, adv, j = n;
    while (i < n && js_space(dec_utf8(u + i, n - i, &adv)))
        i += adv;
    while (j > i) {
        size_t k = j - 1;
        while (k > i && (u[k] & 0xC0) == 0x80)
            k--;
        if (!js_space(dec_utf8(u + k, j - k, &adv)) || k + adv != j)
            break;
        j = k;
    }
    *b = i, *e = j;
}

static int is_truthy(const cJSON *v)
{
    if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v) || cJSON_IsInvalid(v))
        return 0;
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0 && v->valuedouble == v->valuedouble;
    if (cJSON_IsString(v))
        return v->valuestring && v->valuestring[0];
    return 1;
}

/* JavaScript's Number#toString for the values a manifest may hold. */
static void js_number(sg_buf *out, double d)
{
    char tmp[40];
    int prec;
    if (d != d) {
        sg_buf_puts(out, "NaN");
        return;
    }
    if (d == (double)(long long)d && d < 1e21 && d > -1e21) {
        snprintf(tmp, sizeof(tmp), "%.0f", d == 0 ? 0.0 : d);
        sg_buf_puts(out, tmp);
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    {
        /* C writes 1e-07 where JavaScript writes 1e-7 */
        char *e = strchr(tmp, 'e');
        if (e) {
            char *p = e + 2;
            while (*p == '0' && p[1])
                memmove(p, p + 1, strlen(p));
        }
    }
    sg_buf_puts(out, tmp);
}

/* String(value), as a template literal `${value}` renders it. */
static void js_string(sg_buf *out, const cJSON *v, int depth)
{
    const cJSON *c;
    if (depth > 32)
        return;
    if (cJSON_IsString(v))
        sg_buf_puts(out, v->valuestring);
    else if (cJSON_IsNumber(v))
        js_number(out, v->valuedouble);
    else if (cJSON_IsTrue(v))
        sg_buf_puts(out, "true");
    else if (cJSON_IsFalse(v))
        sg_buf_puts(out, "false");
    else if (cJSON_IsNull(v))
        sg_buf_puts(out, "null");
    else if (cJSON_IsArray(v)) {
        for (c = v->child; c; c = c->next) {
            if (c != v->child)
                sg_buf_putc(out, ',');
            if (!cJSON_IsNull(c))
                js_string(out, c, depth + 1);
        }
    } else
        sg_buf_puts(out, "[object Object]");
}

static int rules_push(pl_ctx *pc, pl_rules *rs, sg_glob *g)
{
    if (SG_ARRAY_GROW(rs->r, rs->cap, rs->n + 1, 16) < 0) {
        sg_glob__free(g);
        return oom(pc);
    }
    rs->r[rs->n++] = g;
    return 0;
}

static void rules_free(pl_rules *rs)
{
    size_t i;
    for (i = 0; i < rs->n; i++)
        sg_glob__free(rs->r[i]);
    sg_free(rs->r);
    memset(rs, 0, sizeof(*rs));
}

/* ignore-walk onReadIgnoreFile(): split on /\r?\n/, trim, drop blank and '#' lines. */
static int rules_parse(pl_ctx *pc, pl_rules *rs, const char *text, size_t len, const char *what)
{
    size_t i = 0;
    int error;
    while (i <= len) {
        const char *nl = i < len ? memchr(text + i, '\n', len - i) : NULL;
        size_t end = nl ? (size_t)(nl - text) : len, le = end, b, e;
        sg_glob *g;
        if (nl && le > i && text[le - 1] == '\r')
            le--;
        js_trim(text + i, le - i, &b, &e);
        if (e > b && text[i + b] != '#') {
            if (rs->n >= pc->max_rules)
                return sg_error_set(pc->ctx, SG_ELIMIT, "%s has more than %llu rules", what,
                                    (unsigned long long)pc->max_rules);
            if ((error = sg_glob__compile(&g, pc->ctx, text + i + b, e - b, SG_GLOB_NPM)) < 0) {
                sg_error_wrap(pc->ctx, "%s", what);
                return error;
            }
            if ((error = rules_push(pc, rs, g)) < 0)
                return error;
        }
        if (!nl)
            break;
        i = end + 1;
    }
    return 0;
}

/* injectRules(): rules joined with '\n' plus a final '\n', then parsed like a file. */
static int rules_inject(pl_ctx *pc, pl_rules *rs, char *const *lines, size_t n, const char *what)
{
    sg_buf text = SG_BUF_INIT;
    size_t i;
    int error;
    for (i = 0; i < n; i++) {
        sg_buf_puts(&text, lines[i]);
        sg_buf_putc(&text, '\n');
    }
    if ((error = sg_buf_check(&text, pc->ctx, what)) == 0)
        error = rules_parse(pc, rs, text.ptr, text.size, what);
    sg_buf_dispose(&text);
    return error;
}

/* A list of owned strings. */
typedef struct strv {
    char **v;   /**< strings */
    size_t n;   /**< used */
    size_t cap; /**< allocated */
} strv;

static int strv_push(pl_ctx *pc, strv *sv, const char *s, size_t n)
{
    char *p;
    if (SG_ARRAY_GROW(sv->v, sv->cap, sv->n + 1, 16) < 0)
        return oom(pc);
    p = sg_strndup(s, n);
    if (!p)
        return oom(pc);
    sv->v[sv->n++] = p;
    return 0;
}

static void strv_free(strv *sv)
{
    size_t i;
    for (i = 0; i < sv->n; i++)
        sg_free(sv->v[i]);
    sg_free(sv->v);
    memset(sv, 0, sizeof(*sv));
}

/* ------------------------------------------------------------------------------------------ */
/* Folder view                                                                                 */

static pl_dir *dir_new(pl_ctx *pc, const char *path, size_t len)
{
    pl_dir *d = sg_calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->path = path, d->path_len = len;
    d->next = pc->dirs;
    pc->dirs = d;
    return d;
}

static pl_child *dir_add(pl_dir *d, const char *name, size_t len, int kind)
{
    pl_child *c;
    if (SG_ARRAY_GROW(d->kids, d->cap, d->nkids + 1, 8) < 0)
        return NULL;
    c = &d->kids[d->nkids++];
    memset(c, 0, sizeof(*c));
    c->name = name, c->len = len, c->kind = kind;
    return c;
}

static int build_dirs(pl_ctx *pc)
{
    size_t i, n = sg_tree_count(pc->tree);
    pc->root = dir_new(pc, "", 0);
    if (!pc->root)
        return oom(pc);
    for (i = 0; i < n; i++) {
        const sg_entry *e = sg_tree_entry(pc->tree, i);
        const char *p = e->path, *slash;
        pl_dir *d = pc->root;
        pl_child *c;
        while ((slash = strchr(p, '/')) != NULL) {
            size_t len = (size_t)(slash - p);
            pl_child *last = d->nkids ? &d->kids[d->nkids - 1] : NULL;
            if (last && last->kind == K_DIR && last->len == len && !memcmp(last->name, p, len)) {
                d = last->dir;
            } else {
                pl_dir *nd = dir_new(pc, e->path, (size_t)(slash - e->path));
                if (!nd || !(c = dir_add(d, p, len, K_DIR)))
                    return oom(pc);
                nd->depth = d->depth + 1;
                c->dir = nd;
                d = nd;
            }
            p = slash + 1;
        }
        c = dir_add(d, p, strlen(p),
                    e->kind == SG_ENTRY_FILE      ? K_FILE
                    : e->kind == SG_ENTRY_SYMLINK ? K_SYMLINK
                                                  : K_SUBMODULE);
        if (!c)
            return oom(pc);
        c->entry = i;
    }
    return 0;
}

static const pl_child *dir_find(const pl_dir *d, const char *name, size_t len)
{
    size_t i;
    for (i = 0; d && i < d->nkids; i++)
        if (d->kids[i].len == len && !memcmp(d->kids[i].name, name, len))
            return &d->kids[i];
    return NULL;
}

enum { ST_NONE, ST_FILE, ST_DIR, ST_OTHER };

/* Split p into normalized components (path.normalize semantics, '..' never above the root).
 * Returns the number, or -1 when '..' leaves the root; *trailing is 1 when p ends with '/'. */
static long path_components(const char *p, size_t n, const char **comp, size_t *clen, size_t max,
                            int *trailing)
{
    size_t i = 0, k = 0;
    if (trailing)
        *trailing = n && p[n - 1] == '/';
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        if (j - i == 0 || (j - i == 1 && p[i] == '.')) {
            /* skip */
        } else if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (!k)
                return -1;
            k--;
        } else {
            if (k == max)
                return -1;
            comp[k] = p + i, clen[k++] = j - i;
        }
        i = j + 1;
    }
    return (long)k;
}

/* fs.lstatSync(join(root, p)) on the tree. */
static int tree_lstat(pl_ctx *pc, const char *p, size_t n)
{
    const char *comp[256];
    size_t clen[256], i;
    int trailing;
    long k = path_components(p, n, comp, clen, 256, &trailing);
    const pl_dir *d = pc->root;
    const pl_child *c = NULL;
    if (k < 0)
        return ST_NONE;
    if (k == 0)
        return ST_DIR;
    for (i = 0; i < (size_t)k; i++) {
        if (!d)
            return ST_NONE;
        c = dir_find(d, comp[i], clen[i]);
        if (!c)
            return ST_NONE;
        if (i + 1 < (size_t)k) {
            if (c->kind != K_DIR)
                return ST_NONE;
            d = c->dir;
        }
    }
    switch (c->kind) {
    case K_FILE:
        return trailing ? ST_NONE : ST_FILE;
    case K_DIR:
    case K_SUBMODULE:
        return ST_DIR;
    default:
        return trailing ? ST_NONE : ST_OTHER;
    }
}

/* Read a file named by child c of folder d the way fs.readFile does (following symlinks
 * inside the tree). */
static int read_child(pl_ctx *pc, sg_buf *out, const pl_dir *d, const pl_child *c)
{
    sg_buf target = SG_BUF_INIT, norm = SG_BUF_INIT;
    const sg_entry *e;
    int hops, error = 0;

    sg_buf_init(out, pc->max_file < SIZE_MAX ? (size_t)pc->max_file : SIZE_MAX);
    if (c->kind == K_DIR || c->kind == K_SUBMODULE)
        return sg_error_set(
            pc->ctx, SG_EINVALID, "cannot read '%.*s%s%.*s': it is a folder (npm pack fails here)",
            (int)d->path_len, d->path, d->path_len ? "/" : "", (int)c->len, c->name);
    e = sg_tree_entry(pc->tree, c->entry);
    for (hops = 0; e && e->kind == SG_ENTRY_SYMLINK && hops < 40; hops++) {
        const char *comp[256];
        size_t clen[256], i;
        long k;
        const char *slash = strrchr(e->path, '/');
        sg_buf_clear(&target);
        if (slash)
            sg_buf_put(&target, e->path, (size_t)(slash - e->path + 1));
        if (!e->target || e->target[0] == '/') {
            e = NULL;
            break;
        }
        sg_buf_puts(&target, e->target);
        if ((error = sg_buf_check(&target, pc->ctx, "a symlink target")) < 0)
            goto done;
        k = path_components(target.ptr, target.size, comp, clen, 256, NULL);
        sg_buf_clear(&norm);
        for (i = 0; k > 0 && i < (size_t)k; i++) {
            if (i)
                sg_buf_putc(&norm, '/');
            sg_buf_put(&norm, comp[i], clen[i]);
        }
        if (k <= 0 || (error = sg_buf_check(&norm, pc->ctx, "a symlink target")) < 0) {
            e = NULL;
            break;
        }
        e = sg_tree_find(pc->tree, norm.ptr);
    }
    if (!e || e->kind != SG_ENTRY_FILE) {
        error =
            sg_error_set(pc->ctx, SG_EINVALID,
                         "cannot read '%.*s%s%.*s': a symlink npm would follow out of the tree",
                         (int)d->path_len, d->path, d->path_len ? "/" : "", (int)c->len, c->name);
        goto done;
    }
    if (e->size > pc->max_file) {
        error = sg_error_set(pc->ctx, SG_ELIMIT,
                             "'%s' is larger than the file-size limit of %llu bytes", e->path,
                             (unsigned long long)pc->max_file);
        goto done;
    }
    error = sg_tree_read(out, pc->ctx, pc->tree, e);
done:
    sg_buf_dispose(&target);
    sg_buf_dispose(&norm);
    return error;
}

/* ------------------------------------------------------------------------------------------ */
/* filterEntry                                                                                 */

/* One rule against one form of the entry (split); records an allocation failure. */
static int m(pl_ctx *pc, const sg_glob *g, const sg_glob_seg *segs, size_t n, int partial)
{
    int r = sg_glob__match_segs(g, segs, n, partial);
    if (r < 0) {
        if (!pc->error)
            pc->error = r;
        return 0;
    }
    return r;
}

/* The rules of walker w for the entry whose path components (from the root) are
 * pc->comps[0..ncomps); the entry as w sees it starts at component w->dir->depth. top says
 * whether w is the walker that asked (ignore-walk passes entryBasename only upwards). */
static void apply_rules(pl_ctx *pc, const pl_walker *w, int partial, int top, int *included)
{
    static const sg_glob_seg empty = {"", 0};
    size_t d = w->dir->depth, k = pc->ncomps - d, s, i;
    int trail = pc->comps[pc->ncomps - 1].n == 0; /* the entry ends with '/' */
    /* F = ['', e..., ''] : '/'+e is F[0..k+1), e is F[1..k+1), the '+/' forms one longer
     * (unless e already ends with '/': split() collapses "x//" into "x/") */
    sg_glob_seg *F = pc->forms, *E = pc->forms + k + 2;
    size_t ek = trail ? k : k + 1;
    const sg_glob_seg *name = &pc->comps[pc->ncomps - 1 - (trail ? 1 : 0)];
    F[0] = empty;
    memcpy(F + 1, pc->comps + d, k * sizeof(*F));
    F[k + 1] = empty;
    /* E = ['', name, '', ...]: the forms built from the original entry name (partial only) */
    E[0] = empty, E[1] = *name, E[2] = empty;
    for (s = 0; s < RS__COUNT; s++) {
        const pl_rules *rs = w->sets[s];
        if (!rs)
            continue;
        for (i = 0; i < rs->n; i++) {
            const sg_glob *g = rs->r[i];
            int neg = sg_glob__negate(g), hit;
            if (neg == *included)
                continue;
            hit = m(pc, g, F, k + 1, 0) || m(pc, g, F + 1, k, 0) ||
                  (partial &&
                   (m(pc, g, F, ek + 1, 0) || m(pc, g, F + 1, ek, 0) ||
                    (neg && (m(pc, g, F, k + 1, 1) || m(pc, g, F + 1, k, 1))) ||
                    (!top && sg_glob__relative(g) &&
                     (m(pc, g, E, 3, 0) || m(pc, g, E + 1, 2, 0) ||
                      (neg && (m(pc, g, E, 2 + trail, 1) || m(pc, g, E + 1, 1 + trail, 1)))))));
            if (hit)
                *included = neg;
        }
    }
}

static void filter_rec(pl_ctx *pc, const pl_walker *w, int partial, int top, int *included)
{
    *included = 1;
    if (w->parent) {
        filter_rec(pc, w->parent, partial, 0, included);
        if (!*included && !w->exact)
            return;
    }
    apply_rules(pc, w, partial, top, included);
}

/* Walker#filterEntry(entry [+ '/'], partial). */
static int filter_entry(int *out, pl_ctx *pc, const pl_walker *w, const pl_child *c, int slash,
                        int partial)
{
    size_t need = w->dir->depth + 2, i, start, k = 0;
    /* apply_rules() splits at most 2 * capcomps + 8 forms (capcomps stays allocatable) */
    if (SG_ARRAY_GROW(pc->comps, pc->capcomps, need, 16) < 0 ||
        SG_ARRAY_GROW(pc->forms, pc->capforms, 2 * pc->capcomps + 8, 40) < 0)
        return oom(pc);
    for (i = 0, start = 0; i <= w->dir->path_len && w->dir->path_len; i++) {
        if (i == w->dir->path_len || w->dir->path[i] == '/') {
            pc->comps[k].p = w->dir->path + start;
            pc->comps[k++].n = i - start;
            start = i + 1;
        }
    }
    pc->comps[k].p = c->name;
    pc->comps[k++].n = c->len;
    if (slash) {
        pc->comps[k].p = "";
        pc->comps[k++].n = 0;
    }
    pc->ncomps = k;
    filter_rec(pc, w, partial, 1, out);
    if (pc->error)
        return oom(pc);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The walk                                                                                    */

static void walker_dispose(pl_walker *w)
{
    size_t i;
    for (i = 0; i < RS__COUNT; i++)
        rules_free(&w->own[i]);
    for (i = 0; i < w->nrequired; i++)
        sg_free(w->required[i]);
    sg_free(w->required);
}

static int read_rules_file(pl_ctx *pc, pl_walker *w, const pl_child *c, int slot)
{
    sg_buf text = SG_BUF_INIT;
    char what[300];
    int error;
    snprintf(what, sizeof(what), "'%.*s%s%.*s'", (int)w->dir->path_len, w->dir->path,
             w->dir->path_len ? "/" : "", (int)c->len, c->name);
    if ((error = read_child(pc, &text, w->dir, c)) == 0)
        error = rules_parse(pc, &w->own[slot], text.ptr, text.size, what);
    sg_buf_dispose(&text);
    if (error == 0)
        w->sets[slot] = &w->own[slot];
    return error;
}

/* The required files a child walker for folder `name` inherits (npm-packlist walkerOpt). */
static int child_required(pl_ctx *pc, const pl_walker *w, const pl_child *c, strv *out)
{
    size_t i;
    int error;
    for (i = 0; i < w->nrequired; i++) {
        const char *comp[3];
        size_t clen[3];
        long k = path_components(w->required[i], strlen(w->required[i]), comp, clen, 3, NULL);
        if (k == 2 && clen[0] == c->len && !memcmp(comp[0], c->name, c->len) &&
            (error = strv_push(pc, out, comp[1], clen[1])) < 0)
            return error;
    }
    return 0;
}

static int walk(pl_ctx *pc, pl_walker *w);

static int walk_child(pl_ctx *pc, pl_walker *w, const pl_child *c, int exact)
{
    pl_walker child;
    strv req = {0};
    int error;
    size_t i;

    memset(&child, 0, sizeof(child));
    child.parent = w;
    child.dir = c->dir;
    child.basename = c->name;
    child.basename_len = c->len;
    child.exact = exact;
    child.sets[RS_DEFAULT] = &pc->defaults;
    if ((error = child_required(pc, w, c, &req)) < 0)
        goto done;
    {
        /* strictRules: strictDefaults plus the required files */
        char **lines = sg_calloc(req.n + 1, sizeof(*lines));
        if (!lines) {
            error = oom(pc);
            goto done;
        }
        lines[0] = (char *)"/.git";
        for (i = 0; i < req.n && !error; i++) {
            size_t n = strlen(req.v[i]);
            lines[i + 1] = sg_malloc(n + 2);
            if (!lines[i + 1]) {
                error = oom(pc);
                break;
            }
            lines[i + 1][0] = '!';
            memcpy(lines[i + 1] + 1, req.v[i], n + 1);
        }
        if (!error)
            error = rules_inject(pc, &child.own[RS_STRICT], lines, req.n + 1, "strict rules");
        for (i = 1; i <= req.n; i++)
            sg_free(lines[i]);
        sg_free(lines);
        if (error < 0)
            goto done;
        child.sets[RS_STRICT] = &child.own[RS_STRICT];
    }
    child.required = req.v, child.nrequired = req.n;
    memset(&req, 0, sizeof(req));
    error = walk(pc, &child);
done:
    strv_free(&req);
    walker_dispose(&child);
    return error;
}

static int walk(pl_ctx *pc, pl_walker *w)
{
    const pl_dir *d = w->dir;
    size_t i;
    int error;

    if (!d->nkids)
        return 0;
    /* the ignore files present in this folder (the root's package.json was handled) */
    for (i = 0; i < d->nkids; i++) {
        const pl_child *c = &d->kids[i];
        int slot = -1;
        if (c->len == 10 && !memcmp(c->name, ".npmignore", 10))
            slot = RS_NPMIGNORE;
        else if (c->len == 10 && !memcmp(c->name, ".gitignore", 10))
            slot = RS_GITIGNORE;
        else if (w->parent && pc->ws_quirk && c->len == 12 && !memcmp(c->name, "package.json", 12))
            slot = RS_PKGJSON;
        if (slot >= 0 && !w->sets[slot] && (error = read_rules_file(pc, w, c, slot)) < 0)
            return error;
    }
    /* PackWalker#filterEntries precedence */
    if (w->sets[RS_PKGJSON])
        w->sets[RS_NPMIGNORE] = w->sets[RS_GITIGNORE] = NULL;
    else if (w->sets[RS_NPMIGNORE])
        w->sets[RS_GITIGNORE] = NULL;

    for (i = 0; i < d->nkids; i++) {
        const pl_child *c = &d->kids[i];
        int pf, pd, exact;
        if ((error = filter_entry(&pf, pc, w, c, 0, 0)) < 0 ||
            (error = filter_entry(&pd, pc, w, c, 0, 1)) < 0)
            return error;
        if (!pf && !pd)
            continue;
        if (memchr(c->name, '*', c->len)) /* nameIsBadForWindows */
            continue;
        if (c->kind == K_FILE) {
            if (pf)
                pc->keep[c->entry] = 1;
        } else if (c->kind == K_DIR && pd) {
            exact = pf;
            if (!exact && (error = filter_entry(&exact, pc, w, c, 1, 0)) < 0)
                return error;
            if ((error = walk_child(pc, w, c, exact)) < 0)
                return error;
        }
        /* symlinks are dropped (PackWalker#onstat); a submodule is an empty folder */
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The manifest: bin normalization (@npmcli/package-json normalize steps 'bin', 'binDir')      */

static void bm_free(binmap *b)
{
    size_t i;
    for (i = 0; i < b->n; i++) {
        sg_free(b->key[i]);
        sg_free(b->val[i]);
    }
    sg_free(b->key);
    sg_free(b->val);
    sg_free(b->alive);
    memset(b, 0, sizeof(*b));
}

static long bm_find(const binmap *b, const char *key)
{
    size_t i;
    for (i = 0; i < b->n; i++)
        if (b->alive[i] && strcmp(b->key[i], key) == 0)
            return (long)i;
    return -1;
}

/* bin[key] = val (val NULL: a non-string value) */
static int bm_set(pl_ctx *pc, binmap *b, const char *key, const char *val)
{
    long at = bm_find(b, key);
    char *v = NULL;
    size_t kcap, vcap;
    if (val && !(v = sg_strdup(val)))
        return oom(pc);
    if (at >= 0) {
        sg_free(b->val[at]);
        b->val[at] = v;
        return 0;
    }
    if (b->n >= 100000) {
        sg_free(v);
        return sg_error_set(pc->ctx, SG_ELIMIT, "package.json 'bin' has too many entries");
    }
    /* three arrays of one length: each grows from b->cap the same way */
    kcap = vcap = b->cap;
    if (SG_ARRAY_GROW(b->key, kcap, b->n + 1, 8) < 0 ||
        SG_ARRAY_GROW(b->val, vcap, b->n + 1, 8) < 0 ||
        SG_ARRAY_GROW(b->alive, b->cap, b->n + 1, 8) < 0) {
        sg_free(v);
        return oom(pc);
    }
    b->key[b->n] = sg_strdup(key);
    if (!b->key[b->n]) {
        sg_free(v);
        return oom(pc);
    }
    b->val[b->n] = v;
    b->alive[b->n++] = 1;
    return 0;
}

/* secureAndUnixifyPath(): '\\' and ':' become '/', then path.join('.', path.join('/', p)). */
static int secure_path(pl_ctx *pc, sg_buf *out, const char *s)
{
    sg_buf u = SG_BUF_INIT;
    const char **comp = NULL;
    size_t *clen = NULL, n = strlen(s), i, k = 0, max = n / 2 + 2;
    int trailing, error = 0;
    sg_buf_clear(out);
    sg_buf_puts(&u, s);
    if ((error = sg_buf_check(&u, pc->ctx, "a path")) < 0)
        goto done;
    for (i = 0; i < u.size; i++)
        if (u.ptr[i] == '\\' || u.ptr[i] == ':')
            u.ptr[i] = '/';
    comp = sg_calloc(max, sizeof(*comp));
    clen = sg_calloc(max, sizeof(*clen));
    if (!comp || !clen) {
        error = oom(pc);
        goto done;
    }
    trailing = u.size && u.ptr[u.size - 1] == '/';
    /* path.join('/', p) clamps '..' at the root */
    for (i = 0; i < u.size;) {
        size_t j = i;
        while (j < u.size && u.ptr[j] != '/')
            j++;
        if (j - i == 2 && u.ptr[i] == '.' && u.ptr[i + 1] == '.') {
            if (k)
                k--;
        } else if (j > i && !(j - i == 1 && u.ptr[i] == '.')) {
            comp[k] = u.ptr + i, clen[k++] = j - i;
        }
        i = j + 1;
    }
    for (i = 0; i < k; i++) {
        if (i)
            sg_buf_putc(out, '/');
        sg_buf_put(out, comp[i], clen[i]);
    }
    if (k && trailing)
        sg_buf_putc(out, '/');
    error = sg_buf_check(out, pc->ctx, "a path");
done:
    sg_buf_dispose(&u);
    sg_free(comp);
    sg_free(clen);
    return error;
}

/* path.basename(p): the last component, trailing slashes ignored. */
static void js_basename(sg_buf *out, const char *p)
{
    size_t n = strlen(p), e, b;
    sg_buf_clear(out);
    while (n > 1 && p[n - 1] == '/')
        n--;
    if (n == 1 && p[0] == '/') {
        return;
    }
    e = n;
    b = e;
    while (b > 0 && p[b - 1] != '/')
        b--;
    sg_buf_put(out, p + b, e - b);
}

/* JavaScript's own-key order: integer-like keys ascending, then the rest in order. */
static int is_index_key(const char *k, unsigned long *v)
{
    size_t n = strlen(k), i;
    unsigned long x = 0;
    if (!n || n > 10 || (n > 1 && k[0] == '0'))
        return 0;
    for (i = 0; i < n; i++) {
        if (k[i] < '0' || k[i] > '9')
            return 0;
        x = x * 10 + (unsigned long)(k[i] - '0');
    }
    if (x > 4294967294ul)
        return 0;
    *v = x;
    return 1;
}

static int bin_from_object(pl_ctx *pc, binmap *b, const cJSON *obj)
{
    const cJSON *c;
    strv order = {0};
    sg_buf base = SG_BUF_INIT, sec = SG_BUF_INIT, tgt = SG_BUF_INIT;
    size_t i, j;
    int error = 0;

    for (c = obj->child; c; c = c->next)
        if ((error = bm_set(pc, b, c->string, cJSON_IsString(c) ? c->valuestring : NULL)) < 0)
            goto done;
    /* the snapshot for..in walks */
    for (i = 0; i < b->n; i++) {
        unsigned long v;
        if (is_index_key(b->key[i], &v) &&
            (error = strv_push(pc, &order, b->key[i], strlen(b->key[i]))) < 0)
            goto done;
    }
    for (i = 1; i < order.n; i++) /* insertion sort by value (few keys) */
        for (j = i; j > 0; j--) {
            unsigned long x, y;
            is_index_key(order.v[j - 1], &x);
            is_index_key(order.v[j], &y);
            if (x <= y)
                break;
            char *t = order.v[j - 1];
            order.v[j - 1] = order.v[j];
            order.v[j] = t;
        }
    for (i = 0; i < b->n; i++) {
        unsigned long v;
        if (!is_index_key(b->key[i], &v) &&
            (error = strv_push(pc, &order, b->key[i], strlen(b->key[i]))) < 0)
            goto done;
    }
    for (i = 0; i < order.n; i++) {
        long at = bm_find(b, order.v[i]);
        if (at < 0)
            continue;
        if (!b->val[at]) {
            b->alive[at] = 0;
            continue;
        }
        if ((error = secure_path(pc, &sec, order.v[i])) < 0)
            goto done;
        js_basename(&base, sec.ptr);
        if ((error = sg_buf_check(&base, pc->ctx, "a bin name")) < 0 ||
            (error = secure_path(pc, &tgt, b->val[at])) < 0)
            goto done;
        if (!base.size || !tgt.size) {
            b->alive[at] = 0;
            continue;
        }
        if (strcmp(base.ptr, order.v[i]) != 0)
            b->alive[at] = 0;
        if ((error = bm_set(pc, b, base.ptr, tgt.ptr)) < 0)
            goto done;
    }
done:
    strv_free(&order);
    sg_buf_dispose(&base);
    sg_buf_dispose(&sec);
    sg_buf_dispose(&tgt);
    return error;
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* directories.bin: every entry glob('**') lists under the folder (no dot names). */
static int bin_from_dir(pl_ctx *pc, binmap *b, const char *dir)
{
    sg_buf bp = SG_BUF_INIT, name = SG_BUF_INIT, val = SG_BUF_INIT;
    strv found = {0};
    size_t i, n = sg_tree_count(pc->tree), bl;
    int error;

    if ((error = secure_path(pc, &bp, dir)) < 0)
        goto done;
    bl = bp.size;
    while (bl && bp.ptr[bl - 1] == '/')
        bl--;
    for (i = 0; i < n; i++) {
        const char *p = sg_tree_entry(pc->tree, i)->path, *rel, *s;
        int dotted = 0;
        if (bl && (strncmp(p, bp.ptr, bl) != 0 || p[bl] != '/'))
            continue;
        rel = bl ? p + bl + 1 : p;
        for (s = rel; *s; s++)
            if ((s == rel || s[-1] == '/') && *s == '.')
                dotted = 1;
        if (dotted)
            continue;
        for (s = rel; *s; s++)
            if (*s == '/' && (error = strv_push(pc, &found, rel, (size_t)(s - rel))) < 0)
                goto done;
        if ((error = strv_push(pc, &found, rel, strlen(rel))) < 0)
            goto done;
    }
    if (found.n)
        qsort(found.v, found.n, sizeof(*found.v), path_cmp);
    for (i = 0; i < found.n; i++) {
        if (i && strcmp(found.v[i], found.v[i - 1]) == 0)
            continue;
        js_basename(&name, found.v[i]);
        sg_buf_clear(&val);
        sg_buf_put(&val, bp.ptr, bl);
        sg_buf_putc(&val, '/');
        sg_buf_puts(&val, found.v[i]);
        if ((error = sg_buf_check(&name, pc->ctx, "a bin name")) < 0 ||
            (error = sg_buf_check(&val, pc->ctx, "a bin path")) < 0 ||
            (error = bm_set(pc, b, name.ptr, val.ptr)) < 0)
            goto done;
    }
done:
    strv_free(&found);
    sg_buf_dispose(&bp);
    sg_buf_dispose(&name);
    sg_buf_dispose(&val);
    return error;
}

/* The normalized manifest's bin map; *have is 0 when the manifest ends up with no bin. */
static int normalize_bin(pl_ctx *pc, binmap *b, const cJSON *pkg, int *have)
{
    const cJSON *bin = cJSON_GetObjectItemCaseSensitive(pkg, "bin");
    const cJSON *dirs = cJSON_GetObjectItemCaseSensitive(pkg, "directories");
    const cJSON *dbin = cJSON_IsObject(dirs) ? cJSON_GetObjectItemCaseSensitive(dirs, "bin") : NULL;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(pkg, "name");
    int error = 0;
    size_t i;

    *have = 0;
    if (is_truthy(dbin) && !is_truthy(bin)) {
        if (!cJSON_IsString(dbin))
            return 0;
        if ((error = bin_from_dir(pc, b, dbin->valuestring)) < 0)
            return error;
        *have = 1; /* an empty object is still a (truthy) bin */
        return 0;
    }
    if (!is_truthy(bin))
        return 0;
    if (cJSON_IsString(bin)) {
        sg_buf key = SG_BUF_INIT;
        cJSON *obj;
        if (!is_truthy(name))
            return 0;
        js_string(&key, name, 0);
        if ((error = sg_buf_check(&key, pc->ctx, "a bin name")) < 0) {
            sg_buf_dispose(&key);
            return error;
        }
        obj = cJSON_CreateObject();
        if (!obj || !cJSON_AddStringToObject(obj, key.ptr, bin->valuestring)) {
            cJSON_Delete(obj);
            sg_buf_dispose(&key);
            return oom(pc);
        }
        error = bin_from_object(pc, b, obj);
        cJSON_Delete(obj);
        sg_buf_dispose(&key);
    } else if (cJSON_IsArray(bin)) {
        sg_buf key = SG_BUF_INIT;
        const cJSON *c;
        cJSON *obj = cJSON_CreateObject();
        if (!obj)
            return oom(pc);
        for (c = bin->child; c && !error; c = c->next) {
            if (!cJSON_IsString(c))
                continue;
            js_basename(&key, c->valuestring);
            if ((error = sg_buf_check(&key, pc->ctx, "a bin name")) < 0)
                break;
            if (cJSON_GetObjectItemCaseSensitive(obj, key.ptr)) {
                cJSON *v = cJSON_CreateString(c->valuestring);
                if (!v || !cJSON_ReplaceItemInObjectCaseSensitive(obj, key.ptr, v)) {
                    cJSON_Delete(v);
                    error = oom(pc);
                }
            } else if (!cJSON_AddStringToObject(obj, key.ptr, c->valuestring)) {
                error = oom(pc);
            }
        }
        if (!error)
            error = bin_from_object(pc, b, obj);
        cJSON_Delete(obj);
        sg_buf_dispose(&key);
    } else if (cJSON_IsObject(bin)) {
        error = bin_from_object(pc, b, bin);
    } else {
        return 0;
    }
    if (error < 0)
        return error;
    for (i = 0; i < b->n; i++)
        if (b->alive[i])
            *have = 1;
    return 0;
}

/* pacote's isPackageBin(), fed the paths tar.c sees ("./@x" for names starting with '@'). */
static int is_package_bin(const binmap *b, const char *path)
{
    const char *p = path;
    size_t i;
    if (path[0] != '@') {
        const char *s = path + strcspn(path, "/\\");
        if (*s == '/')
            p = s + 1;
    }
    for (i = 0; i < b->n; i++)
        if (b->alive[i] && b->val[i] && strcmp(b->val[i], p) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* PackWalker#processPackage                                                                   */

/* One `files` entry: rewrite, lstat, and file it as a package.json rule or a strict one. */
static int files_entry(pl_ctx *pc, const char *f, size_t n, strv *ignores, strv *strict_files,
                       strv *required)
{
    sg_buf file = SG_BUF_INIT, inv = SG_BUF_INIT;
    size_t bang = 0;
    int st, error;
    if (n >= 2 && f[0] == '.' && f[1] == '/')
        f++, n--;
    sg_buf_put(&file, f, n);
    if (file.size >= 2 && file.ptr[file.size - 2] == '/' && file.ptr[file.size - 1] == '*')
        sg_buf_putc(&file, '*');
    sg_buf_putc(&inv, '!');
    sg_buf_put(&inv, file.ptr, file.size);
    if ((error = sg_buf_check(&file, pc->ctx, "a files entry")) < 0 ||
        (error = sg_buf_check(&inv, pc->ctx, "a files entry")) < 0)
        goto done;
    while (bang < file.size && file.ptr[bang] == '!')
        bang++;
    st = tree_lstat(pc, file.ptr + bang, file.size - bang);
    if (st == ST_FILE) {
        if ((error = strv_push(pc, strict_files, inv.ptr, inv.size)) < 0)
            goto done;
        error = file.ptr[0] == '/' ? strv_push(pc, required, file.ptr + 1, file.size - 1)
                                   : strv_push(pc, required, file.ptr, file.size);
    } else if (st == ST_DIR) {
        if ((error = strv_push(pc, ignores, inv.ptr, inv.size)) < 0)
            goto done;
        sg_buf_puts(&inv, "/**");
        if ((error = sg_buf_check(&inv, pc->ctx, "a files entry")) < 0)
            goto done;
        error = strv_push(pc, ignores, inv.ptr, inv.size);
    } else if (st == ST_NONE) {
        error = strv_push(pc, ignores, inv.ptr, inv.size);
    }
done:
    sg_buf_dispose(&file);
    sg_buf_dispose(&inv);
    return error;
}

static int process_files(pl_ctx *pc, const cJSON *files, strv *ignores, strv *strict_files,
                         strv *required)
{
    const cJSON *c;
    int error = 0;
    if (cJSON_IsString(files)) {
        /* for..of over a string: one entry per code point */
        const unsigned char *s = (const unsigned char *)files->valuestring;
        size_t n = strlen(files->valuestring), i, adv;
        for (i = 0; i < n && !error; i += adv) {
            dec_utf8(s + i, n - i, &adv);
            error = files_entry(pc, (const char *)s + i, adv, ignores, strict_files, required);
        }
        return error;
    }
    if (!cJSON_IsArray(files))
        return sg_error_set(pc->ctx, SG_EINVALID,
                            "package.json 'files' is not an array (npm pack fails)");
    for (c = files->child; c && !error; c = c->next) {
        if (!cJSON_IsString(c))
            return sg_error_set(pc->ctx, SG_EINVALID,
                                "package.json 'files' holds a value that is not a string");
        error = files_entry(pc, c->valuestring, strlen(c->valuestring), ignores, strict_files,
                            required);
    }
    return error;
}

static int forced(pl_ctx *pc, strv *strict, const cJSON *v)
{
    sg_buf s = SG_BUF_INIT;
    int error;
    sg_buf_puts(&s, "!/");
    js_string(&s, v, 0);
    if ((error = sg_buf_check(&s, pc->ctx, "a package.json field")) == 0)
        error = strv_push(pc, strict, s.ptr, s.size);
    sg_buf_dispose(&s);
    return error;
}

static int process_package(pl_ctx *pc, pl_walker *root, const cJSON *pkg, const binmap *bins)
{
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(pkg, "files");
    const cJSON *browser = cJSON_GetObjectItemCaseSensitive(pkg, "browser");
    const cJSON *main_ = cJSON_GetObjectItemCaseSensitive(pkg, "main");
    strv ignores = {0}, strict_files = {0}, required = {0}, strict = {0};
    size_t i;
    int error = 0;

    if (is_truthy(files)) {
        if ((error = strv_push(pc, &ignores, "*", 1)) < 0 ||
            (error = process_files(pc, files, &ignores, &strict_files, &required)) < 0)
            goto done;
        if ((error = rules_inject(pc, &root->own[RS_PKGJSON], ignores.v, ignores.n,
                                  "package.json 'files'")) < 0)
            goto done;
        root->sets[RS_PKGJSON] = &root->own[RS_PKGJSON];
    }
    /* strict: the file entries (each unshifted, so last first), then the fixed list */
    for (i = strict_files.n; i-- > 0;)
        if ((error = strv_push(pc, &strict, strict_files.v[i], strlen(strict_files.v[i]))) < 0)
            goto done;
    for (i = 0; i < SG_ARRAY_SIZE(npm_strict_tail); i++)
        if ((error = strv_push(pc, &strict, npm_strict_tail[i], strlen(npm_strict_tail[i]))) < 0)
            goto done;
    if (is_truthy(browser) && (error = forced(pc, &strict, browser)) < 0)
        goto done;
    if (is_truthy(main_) && (error = forced(pc, &strict, main_)) < 0)
        goto done;
    for (i = 0; i < bins->n; i++) {
        if (!bins->alive[i] || !bins->val[i])
            continue;
        sg_buf s = SG_BUF_INIT;
        sg_buf_puts(&s, "!/");
        sg_buf_puts(&s, bins->val[i]);
        if ((error = sg_buf_check(&s, pc->ctx, "a bin")) == 0)
            error = strv_push(pc, &strict, s.ptr, s.size);
        sg_buf_dispose(&s);
        if (error < 0)
            goto done;
    }
    if ((error = rules_inject(pc, &root->own[RS_STRICT], strict.v, strict.n, "strict rules")) < 0)
        goto done;
    root->sets[RS_STRICT] = &root->own[RS_STRICT];
    root->required = required.v, root->nrequired = required.n;
    memset(&required, 0, sizeof(required));
done:
    strv_free(&ignores);
    strv_free(&strict_files);
    strv_free(&required);
    strv_free(&strict);
    return error;
}

/* @npmcli/map-workspaces finds at least one workspace: a folder matched by a `workspaces`
 * pattern (not under node_modules, not negated) that holds a package.json. */
static int has_workspaces(pl_ctx *pc, const cJSON *pkg, int *out)
{
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(pkg, "workspaces"), *c;
    const pl_dir *d;
    sg_buf pat = SG_BUF_INIT, dp = SG_BUF_INIT;
    int error = 0;
    *out = 0;
    if (cJSON_IsObject(ws))
        ws = cJSON_GetObjectItemCaseSensitive(ws, "packages");
    if (!cJSON_IsArray(ws))
        return 0;
    for (c = ws->child; c && !*out && !error; c = c->next) {
        const char *p;
        size_t bangs = 0;
        sg_glob *g = NULL;
        if (!cJSON_IsString(c))
            continue;
        p = c->valuestring;
        while (p[bangs] == '!')
            bangs++;
        if (bangs & 1)
            continue;
        p += bangs;
        if (p[0] == '.' && p[1] == '/')
            p++;
        while (*p == '/')
            p++;
        if (!*p || !strcmp(p, ".") || !strcmp(p, "./")) {
            *out = 1; /* the root itself */
            break;
        }
        /* glob(pattern + '/') lists folders */
        sg_buf_clear(&pat);
        sg_buf_puts(&pat, p);
        if (pat.size && pat.ptr[pat.size - 1] != '/')
            sg_buf_putc(&pat, '/');
        if ((error = sg_buf_check(&pat, pc->ctx, "a workspace pattern")) < 0 ||
            (error = sg_glob__compile(&g, pc->ctx, pat.ptr, pat.size, 0)) < 0)
            break;
        for (d = pc->dirs; d && !*out && !error; d = d->next) {
            const pl_child *pj = dir_find(d, "package.json", 12);
            size_t i, start = 0;
            int in_nm = 0;
            if (!d->path_len || !pj || pj->kind != K_FILE)
                continue;
            for (i = 0; i <= d->path_len; i++) {
                if (i == d->path_len || d->path[i] == '/') {
                    in_nm |= i - start == 12 && !memcmp(d->path + start, "node_modules", 12);
                    start = i + 1;
                }
            }
            if (in_nm)
                continue;
            sg_buf_clear(&dp);
            sg_buf_put(&dp, d->path, d->path_len);
            sg_buf_putc(&dp, '/');
            if ((error = sg_buf_check(&dp, pc->ctx, "a folder")) < 0)
                break;
            *out = sg_glob__match(g, dp.ptr, dp.size, 0) == 1;
        }
        sg_glob__free(g);
    }
    sg_buf_dispose(&pat);
    sg_buf_dispose(&dp);
    return error;
}

static int read_manifest(pl_ctx *pc, cJSON **out)
{
    const pl_child *c = dir_find(pc->root, "package.json", 12);
    sg_buf text = SG_BUF_INIT;
    const char *p;
    size_t n;
    int error;
    *out = NULL;
    if (!c)
        return sg_error_set(pc->ctx, SG_ENOTFOUND, "no package.json in the package folder");
    if ((error = read_child(pc, &text, pc->root, c)) < 0)
        goto done;
    p = text.ptr, n = text.size;
    if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) /* npm's JSON reader strips a BOM */
        p += 3, n -= 3;
    if ((error = sg_json_parse(out, pc->ctx, p, n, "package.json")) < 0)
        goto done;
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        error = sg_error_set(pc->ctx, SG_EINVALID, "package.json is not a JSON object");
    }
done:
    sg_buf_dispose(&text);
    return error;
}

static int default_rules(pl_ctx *pc, const sg_packlist_opts *opts)
{
    char **lines;
    size_t n = SG_ARRAY_SIZE(npm_defaults), extra = opts ? opts->ancestor_ignore_count : 0, i;
    int error;
    if ((error = rules_inject(pc, &pc->defaults, (char *const *)npm_defaults, n,
                              "npm's default rules")) < 0)
        return error;
    lines = sg_calloc(n + extra + 1, sizeof(*lines));
    if (!lines)
        return oom(pc);
    for (i = 0; i < n; i++)
        lines[i] = (char *)npm_defaults[i];
    for (i = 0; i < extra && !error; i++) {
        size_t len = opts->ancestor_ignore_lens ? opts->ancestor_ignore_lens[i]
                                                : strlen(opts->ancestor_ignores[i]);
        lines[n + i] = sg_strndup(opts->ancestor_ignores[i], len);
        if (!lines[n + i])
            error = oom(pc);
    }
    if (!error)
        error = rules_inject(pc, &pc->root_defaults, lines, n + extra,
                             "npm's default rules and the workspace's ignore files");
    for (i = 0; i < extra; i++)
        sg_free(lines[n + i]);
    sg_free(lines);
    return error;
}

int sg_packlist_npm(sg_tree **out, sg_ctx *ctx, const sg_tree *pkg, const sg_packlist_opts *opts)
{
    pl_ctx pc;
    pl_walker root;
    binmap bins = {0};
    cJSON *manifest = NULL;
    unsigned char *exec = NULL;
    size_t i, n = sg_tree_count(pkg);
    int have_bins = 0, error;

    *out = NULL;
    memset(&pc, 0, sizeof(pc));
    memset(&root, 0, sizeof(root));
    pc.ctx = ctx;
    pc.tree = pkg;
    pc.max_rules = sg_ctx_limit(ctx, SG_LIMIT_IGNORE_RULES);
    pc.max_file = sg_ctx_limit(ctx, SG_LIMIT_FILE_SIZE);
    pc.keep = sg_calloc(n ? n : 1, 1);
    exec = sg_calloc(n ? n : 1, 1);
    if (!pc.keep || !exec) {
        error = oom(&pc);
        goto done;
    }
    if ((error = build_dirs(&pc)) < 0 || (error = read_manifest(&pc, &manifest)) < 0 ||
        (error = normalize_bin(&pc, &bins, manifest, &have_bins)) < 0 ||
        (error = has_workspaces(&pc, manifest, &pc.ws_quirk)) < 0 ||
        (error = default_rules(&pc, opts)) < 0)
        goto done;
    root.dir = pc.root;
    root.sets[RS_DEFAULT] = &pc.root_defaults;
    if ((error = process_package(&pc, &root, manifest, &bins)) < 0 ||
        (error = walk(&pc, &root)) < 0)
        goto done;
    for (i = 0; i < n; i++) {
        const sg_entry *e = sg_tree_entry(pkg, i);
        if (pc.keep[i])
            exec[i] = (unsigned char)(e->exec || (have_bins && is_package_bin(&bins, e->path)));
    }
    error = sg_tree__select_exec(out, ctx, pkg, pc.keep, exec);
done:
    walker_dispose(&root);
    rules_free(&pc.defaults);
    rules_free(&pc.root_defaults);
    while (pc.dirs) {
        pl_dir *d = pc.dirs;
        pc.dirs = d->next;
        sg_free(d->kids);
        sg_free(d);
    }
    sg_free(pc.comps);
    sg_free(pc.forms);
    sg_free(pc.keep);
    sg_free(exec);
    bm_free(&bins);
    cJSON_Delete(manifest);
    return error;
}
