/*
 * git's ignore rules over the .gitignore files of one tree (git dir.c: add_patterns_from_buffer,
 * parse_path_pattern, match_basename, match_pathname, last_matching_pattern_from_list).
 *
 * Only the tree's own .gitignore files count: no .git/info/exclude, no core.excludesFile,
 * case-sensitive (core.ignorecase=false). A .gitignore that is a symlink is not read (git
 * refuses to follow it). Files are parsed on first use.
 */
#include "common/common.h"
#include "verifier/packlist/glob_int.h"

#define GI_NEGATIVE 1u  /* '!pattern' */
#define GI_MUSTBEDIR 2u /* 'pattern/' */
#define GI_NODIR 4u     /* no '/' inside: matched against the basename */

typedef struct gi_rule {
    const char *pat; /**< pattern without '!' and trailing '/' (points into the file text) */
    size_t len;      /**< its length */
    size_t nowild;   /**< git's nowildcardlen: bytes before the first of * ? [ \ */
    unsigned flags;  /**< GI_* */
} gi_rule;

typedef struct gi_file {
    char *dir;             /**< folder holding the .gitignore, "" at the root */
    size_t dir_len;        /**< strlen(dir) */
    const sg_entry *entry; /**< the .gitignore entry in the tree */
    int loaded;            /**< rules parsed */
    char *text;            /**< the file's bytes (rules point into it) */
    gi_rule *rules;        /**< in file order */
    size_t nrules;         /**< number of rules */
} gi_file;

struct sg_gitignore {
    const sg_tree *tree; /**< borrowed: must outlive this object */
    gi_file *files;      /**< sorted by dir */
    size_t nfiles;       /**< number of .gitignore files */
};

static int file_cmp(const void *a, const void *b)
{
    const gi_file *x = a, *y = b;
    return strcmp(x->dir, y->dir);
}

int sg_gitignore_new(sg_gitignore **out, sg_ctx *ctx, const sg_tree *tree)
{
    sg_gitignore *gi;
    size_t i, n = sg_tree_count(tree), count = 0;
    int error = 0;

    *out = NULL;
    gi = sg_calloc(1, sizeof(*gi));
    if (!gi)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory reading .gitignore files");
    gi->tree = tree;
    for (i = 0; i < n; i++) {
        const sg_entry *e = sg_tree_entry(tree, i);
        if (e->kind == SG_ENTRY_FILE && strcmp(sg_path_basename(e->path), ".gitignore") == 0)
            count++;
    }
    if (count) {
        gi->files = sg_calloc(count, sizeof(*gi->files));
        if (!gi->files) {
            error = sg_error_set(ctx, SG_ENOMEM, "out of memory reading .gitignore files");
            goto done;
        }
    }
    for (i = 0; i < n; i++) {
        const sg_entry *e = sg_tree_entry(tree, i);
        gi_file *f;
        size_t dl;
        if (e->kind != SG_ENTRY_FILE || strcmp(sg_path_basename(e->path), ".gitignore") != 0)
            continue;
        f = &gi->files[gi->nfiles];
        dl = e->path_len > strlen(".gitignore") ? e->path_len - strlen("/.gitignore") : 0;
        f->dir = sg_strndup(e->path, dl);
        if (!f->dir) {
            error = sg_error_set(ctx, SG_ENOMEM, "out of memory reading .gitignore files");
            goto done;
        }
        f->dir_len = dl;
        f->entry = e;
        gi->nfiles++;
    }
    if (gi->nfiles > 1)
        qsort(gi->files, gi->nfiles, sizeof(*gi->files), file_cmp);
done:
    if (error < 0) {
        sg_gitignore_free(gi);
        return error;
    }
    *out = gi;
    return 0;
}

void sg_gitignore_free(sg_gitignore *gi)
{
    size_t i;
    if (!gi)
        return;
    for (i = 0; i < gi->nfiles; i++) {
        sg_free(gi->files[i].dir);
        sg_free(gi->files[i].text);
        sg_free(gi->files[i].rules);
    }
    sg_free(gi->files);
    sg_free(gi);
}

/* The .gitignore of folder dir[0..len), or NULL. */
static gi_file *find_file(sg_gitignore *gi, const char *dir, size_t len)
{
    size_t lo = 0, hi = gi->nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const gi_file *f = &gi->files[mid];
        size_t m = f->dir_len < len ? f->dir_len : len;
        int c = memcmp(f->dir, dir, m);
        if (c == 0)
            c = f->dir_len < len ? -1 : f->dir_len > len ? 1 : 0;
        if (c == 0)
            return &gi->files[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int is_glob_special(char c)
{
    return c == '*' || c == '?' || c == '[' || c == '\\';
}

/* trim_trailing_spaces(): drop trailing spaces that are not escaped with '\'. */
static size_t trim_trailing_spaces(const char *s, size_t n)
{
    size_t i, last_space = (size_t)-1;
    for (i = 0; i < n; i++) {
        if (s[i] == ' ') {
            if (last_space == (size_t)-1)
                last_space = i;
        } else if (s[i] == '\\') {
            if (++i >= n)
                return n;
            last_space = (size_t)-1;
        } else {
            last_space = (size_t)-1;
        }
    }
    return last_space == (size_t)-1 ? n : last_space;
}

static int add_rule(gi_file *f, sg_ctx *ctx, size_t *cap, const char *p, size_t n, uint64_t max)
{
    gi_rule *r;
    size_t i;
    if (f->nrules >= max)
        return sg_error_set(ctx, SG_ELIMIT, "'%s' has more than %llu rules", f->entry->path,
                            (unsigned long long)max);
    if (SG_ARRAY_GROW(f->rules, *cap, f->nrules + 1, 16) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory reading '%s'", f->entry->path);
    r = &f->rules[f->nrules++];
    memset(r, 0, sizeof(*r));
    if (n && p[0] == '!') {
        r->flags |= GI_NEGATIVE;
        p++, n--;
    }
    if (n && p[n - 1] == '/') {
        n--;
        r->flags |= GI_MUSTBEDIR;
    }
    if (!memchr(p, '/', n))
        r->flags |= GI_NODIR;
    for (i = 0; i < n && !is_glob_special(p[i]); i++)
        ;
    r->nowild = i;
    r->pat = p;
    r->len = n;
    return 0;
}

static int load_file(gi_file *f, sg_ctx *ctx, const sg_tree *tree)
{
    sg_buf buf = SG_BUF_INIT;
    size_t cap = 0, i, start = 0, tlen = 0;
    uint64_t max = sg_ctx_limit(ctx, SG_LIMIT_IGNORE_RULES);
    uint64_t fmax = sg_ctx_limit(ctx, SG_LIMIT_FILE_SIZE);
    int error;

    f->loaded = 1;
    if (f->entry->size > fmax)
        return sg_error_set(ctx, SG_ELIMIT, "'%s' is larger than the file-size limit of %llu bytes",
                            f->entry->path, (unsigned long long)fmax);
    sg_buf_init(&buf, fmax < SIZE_MAX ? (size_t)fmax : SIZE_MAX);
    if ((error = sg_tree_read(&buf, ctx, tree, f->entry)) < 0) {
        sg_buf_dispose(&buf);
        sg_error_wrap(ctx, "reading '%s'", f->entry->path);
        return error;
    }
    f->text = sg_buf_detach(&buf, &tlen);
    if (!f->text)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory reading '%s'", f->entry->path);
    {
        size_t n = tlen;
        const char *t = f->text;
        if (n >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3))
            start = 3;
        for (i = start; i <= n; i++) {
            size_t len, nul;
            const char *line;
            if (i < n && t[i] != '\n')
                continue;
            line = t + start;
            len = i - start;
            start = i + 1;
            if (len == 0 || line[0] == '#')
                continue;
            if (line[len - 1] == '\r') /* git drops a '\r' before the line's end */
                len--;
            for (nul = 0; nul < len && line[nul]; nul++)
                ;
            len = trim_trailing_spaces(line, nul);
            if (len && (error = add_rule(f, ctx, &cap, line, len, max)) < 0)
                return error;
        }
    }
    return 0;
}

/* match_pathname(): an anchored rule of file f against path (relative to the tree root). */
static int match_pathname(const gi_file *f, const gi_rule *r, const char *path, size_t plen)
{
    const char *pat = r->pat, *name;
    size_t len = r->len, prefix = r->nowild, nlen;
    if (len && pat[0] == '/') {
        pat++, len--;
        if (prefix)
            prefix--;
    }
    if (plen < f->dir_len + 1 || (f->dir_len && path[f->dir_len] != '/') ||
        memcmp(path, f->dir, f->dir_len) != 0)
        return 0;
    name = f->dir_len ? path + f->dir_len + 1 : path;
    nlen = f->dir_len ? plen - f->dir_len - 1 : plen;
    if (prefix) {
        if (prefix > nlen || memcmp(pat, name, prefix) != 0)
            return 0;
        pat += prefix, len -= prefix, name += prefix, nlen -= prefix;
        if (!len && !nlen)
            return 1;
    }
    return sg_glob__wildmatch(pat, len, name, nlen);
}

/* last_matching_pattern_from_list(): 2 no rule matches, 0 a '!' rule, 1 an ignoring rule;
 * or a negative error. */
static int last_match(const gi_file *f, const char *path, size_t plen, int is_dir)
{
    const char *base = path + plen;
    size_t i;
    while (base > path && base[-1] != '/')
        base--;
    for (i = f->nrules; i-- > 0;) {
        const gi_rule *r = &f->rules[i];
        int m;
        if ((r->flags & GI_MUSTBEDIR) && !is_dir)
            continue;
        if (r->flags & GI_NODIR) {
            size_t bl = (size_t)(path + plen - base);
            if (r->nowild == r->len)
                m = r->len == bl && memcmp(r->pat, base, bl) == 0;
            else
                m = sg_glob__wildmatch(r->pat, r->len, base, bl);
        } else {
            m = match_pathname(f, r, path, plen);
        }
        if (m < 0)
            return m;
        if (m)
            return (r->flags & GI_NEGATIVE) ? 0 : 1;
    }
    return 2;
}

/* Length of the folder holding path[0..n) ("" for a top-level name). */
static size_t dirname_len(const char *path, size_t n)
{
    while (n > 0 && path[n - 1] != '/')
        n--;
    return n ? n - 1 : 0;
}

/* Does the nearest .gitignore with a matching rule (deepest folder first) ignore
 * path[0..plen)? */
static int excluded(int *out, sg_ctx *ctx, sg_gitignore *gi, const char *path, size_t plen,
                    int is_dir)
{
    size_t d = dirname_len(path, plen);
    *out = 0;
    for (;;) {
        gi_file *f = find_file(gi, path, d);
        if (f) {
            int r, error;
            if (!f->loaded && (error = load_file(f, ctx, gi->tree)) < 0)
                return error;
            r = last_match(f, path, plen, is_dir);
            if (r < 0)
                return sg_error_set(ctx, r, "out of memory matching '%.*s'", (int)plen, path);
            if (r != 2) {
                *out = r;
                return 0;
            }
        }
        if (d == 0)
            return 0;
        d = dirname_len(path, d);
    }
}

int sg_gitignore_match(int *out, sg_ctx *ctx, sg_gitignore *gi, const char *path, int is_dir)
{
    size_t len, i;
    int error;

    *out = 0;
    if (!gi || !path)
        return sg_error_set(ctx, SG_EINVALID, "no .gitignore set or path to match");
    len = strlen(path);
    while (len && path[len - 1] == '/') {
        len--;
        is_dir = 1;
    }
    while (len && path[0] == '/')
        path++, len--;
    if (!len)
        return 0;
    /* every parent folder first: an ignored folder hides everything below it */
    for (i = 0; i <= len; i++) {
        int ex;
        if (i < len && path[i] != '/')
            continue;
        if (i > 0 && path[i - 1] == '/')
            continue;
        if ((error = excluded(&ex, ctx, gi, path, i, i < len ? 1 : is_dir)) < 0)
            return error;
        if (ex) {
            *out = 1;
            return 0;
        }
    }
    return 0;
}
