/*
 * package-lock.json and npm-shrinkwrap.json, lockfileVersion 1 (npm 5-6: a nested
 * "dependencies" tree), 2 (both) and 3 (npm 7+: a flat "packages" map keyed by install path).
 *
 * The JSON goes through sg_json_parse (size and depth limits, last duplicate key wins, as
 * JSON.parse). cJSON keeps no positions, so one more pass over the text records the line of
 * each entry's key, under the same install-path names npm uses in "packages"
 * ("node_modules/a/node_modules/b"); v1's nested dependencies map onto them too.
 */
#include "common/common.h"

#include "verifier/lockfile/lockfile_int.h"

/* ---- lines of the entries ------------------------------------------------------------ */

typedef struct loc {
    const char *key; /* install path, "node_modules/a/node_modules/b" */
    unsigned line;   /* 1-based line of its key */
    char src;        /* 'p': a key of "packages"; 'd': of v1's nested "dependencies" */
    size_t order;    /* position in the text: the last duplicate wins, like JSON.parse */
} loc;

typedef struct locs {
    sg_arena arena; /* keys */
    loc *v;         /* recorded locations, sorted by key after the scan */
    size_t n, cap;  /* used, allocated */
} locs;

enum { ROLE_OTHER, ROLE_ROOT, ROLE_PACKAGES, ROLE_DEPS, ROLE_DEP };

typedef struct frame {
    char type;        /* '{' or '[' */
    int role;         /* what this container is in a lockfile */
    int expect_key;   /* an object awaiting a key */
    const char *path; /* ROLE_DEPS: the prefix of its entries; ROLE_DEP: its install path */
} frame;

static int locs_add(locs *l, const char *key, unsigned line, char src)
{
    if (SG_ARRAY_GROW(l->v, l->cap, l->n + 1, 256) < 0)
        return SG_ENOMEM;
    l->v[l->n].key = key;
    l->v[l->n].line = line;
    l->v[l->n].src = src;
    l->v[l->n].order = l->n;
    l->n++;
    return 0;
}

static void put_utf8(sg_buf *b, unsigned long cp)
{
    char u[4];
    if (cp < 0x80) {
        sg_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        sg_buf_put(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        sg_buf_put(b, u, 3);
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        sg_buf_put(b, u, 4);
    }
}

static unsigned long hex4(const char *s)
{
    unsigned long v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        int h = sg_hex_digit((unsigned char)s[i]);
        if (h < 0)
            return 0xfffffffful;
        v = v << 4 | (unsigned long)h;
    }
    return v;
}

/* Decode the JSON string body s[0..n) (already validated by the parser) into b. */
static void decode_string(sg_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    sg_buf_clear(b);
    while (i < n) {
        char c = s[i++];
        if (c != '\\' || i >= n) {
            sg_buf_putc(b, c);
            continue;
        }
        c = s[i++];
        switch (c) {
        case 'b':
            sg_buf_putc(b, '\b');
            break;
        case 'f':
            sg_buf_putc(b, '\f');
            break;
        case 'n':
            sg_buf_putc(b, '\n');
            break;
        case 'r':
            sg_buf_putc(b, '\r');
            break;
        case 't':
            sg_buf_putc(b, '\t');
            break;
        case 'u': {
            unsigned long cp = i + 4 <= n ? hex4(s + i) : 0xfffffffful;
            if (cp > 0xffff)
                return;
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
                unsigned long lo = hex4(s + i + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }
            put_utf8(b, cp);
            break;
        }
        default:
            sg_buf_putc(b, c);
            break;
        }
    }
}

/* The install path of dependency `name` under prefix ("" at the top). */
static const char *join_path(sg_arena *a, const char *prefix, const char *name)
{
    size_t pl = strlen(prefix), nl = strlen(name), total;
    char *s;
    if (sg_add_overflow(&total, pl, nl) || sg_add_overflow(&total, total, 16) ||
        !(s = sg_arena_alloc(a, total)))
        return NULL;
    snprintf(s, total, "%s%snode_modules/%s", prefix, pl ? "/" : "", name);
    return s;
}

/* A container opens: what is it, given its parent and the key it is the value of? */
static int open_frame(locs *l, frame *f, const frame *parent, const char *key, unsigned key_line,
                      char type)
{
    const char *path;
    f->type = type;
    f->role = ROLE_OTHER;
    f->expect_key = type == '{';
    f->path = NULL;
    if (!parent) {
        f->role = type == '{' ? ROLE_ROOT : ROLE_OTHER;
        return 0;
    }
    if (type != '{' || !key || parent->type != '{')
        return 0;
    switch (parent->role) {
    case ROLE_ROOT:
        if (strcmp(key, "packages") == 0)
            f->role = ROLE_PACKAGES;
        else if (strcmp(key, "dependencies") == 0) {
            f->role = ROLE_DEPS;
            f->path = "";
        }
        return 0;
    case ROLE_PACKAGES:
        if (!(path = sg_arena_strdup(&l->arena, key)))
            return SG_ENOMEM;
        return locs_add(l, path, key_line, 'p');
    case ROLE_DEPS:
        if (!(path = join_path(&l->arena, parent->path, key)))
            return SG_ENOMEM;
        f->role = ROLE_DEP;
        f->path = path;
        return locs_add(l, path, key_line, 'd');
    case ROLE_DEP:
        if (strcmp(key, "dependencies") == 0) {
            f->role = ROLE_DEPS;
            f->path = parent->path;
        }
        return 0;
    default:
        return 0;
    }
}

/* End of the string starting after the opening quote at s[i]; returns the closing quote's
 * index (or n). */
static size_t string_end(const char *s, size_t i, size_t n)
{
    while (i < n && s[i] != '"')
        i += s[i] == '\\' ? 2 : 1;
    return i < n ? i : n;
}

static int loc_cmp(const void *a, const void *b)
{
    const loc *x = a, *y = b;
    int r = x->src != y->src ? (x->src < y->src ? -1 : 1) : strcmp(x->key, y->key);
    if (r)
        return r;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* One pass over valid JSON text recording where each entry's key is. */
static int scan_lines(locs *l, sg_ctx *ctx, const char *s, size_t n)
{
    size_t max_depth = (size_t)sg_ctx_limit(ctx, SG_LIMIT_JSON_DEPTH) + 1, depth = 0, i = 0;
    frame *stack = sg_calloc(max_depth, sizeof(*stack));
    sg_buf key = SG_BUF_INIT;
    unsigned line = 1, key_line = 0;
    int have_key = 0, error = 0;

    if (!stack)
        return SG_ENOMEM;
    while (i < n && error == 0) {
        char c = s[i];
        if (c == '\n') {
            line++;
            i++;
        } else if (c == '"') {
            size_t end = string_end(s, i + 1, n);
            if (depth && stack[depth - 1].type == '{' && stack[depth - 1].expect_key) {
                decode_string(&key, s + i + 1, end - i - 1);
                if ((error = key.error) < 0)
                    break;
                have_key = 1;
                key_line = line;
                stack[depth - 1].expect_key = 0;
            }
            i = end + 1;
        } else if (c == '{' || c == '[') {
            if (depth >= max_depth) {
                error = SG_ELIMIT;
                break;
            }
            error = open_frame(l, &stack[depth], depth ? &stack[depth - 1] : NULL,
                               have_key ? key.ptr : NULL, key_line, c);
            depth++;
            have_key = 0;
            i++;
        } else if (c == '}' || c == ']') {
            if (depth)
                depth--;
            have_key = 0;
            i++;
        } else if (c == ',') {
            if (depth && stack[depth - 1].type == '{')
                stack[depth - 1].expect_key = 1;
            have_key = 0;
            i++;
        } else {
            i++;
        }
    }
    sg_free(stack);
    sg_buf_dispose(&key);
    if (error == 0 && l->n)
        qsort(l->v, l->n, sizeof(*l->v), loc_cmp);
    return error;
}

static int loc_key_cmp(const loc *x, char src, const char *key)
{
    return x->src != src ? (x->src < src ? -1 : 1) : strcmp(x->key, key);
}

/* The line of the key `key` recorded from `src`, 0 when unknown. */
static unsigned line_of(const locs *l, char src, const char *key)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (loc_key_cmp(&l->v[mid], src, key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* lo is past the last key <= key: the last duplicate */
    return lo && loc_key_cmp(&l->v[lo - 1], src, key) == 0 ? l->v[lo - 1].line : 0;
}

/* ---- the entries ------------------------------------------------------------------------ */

typedef struct npm_read {
    sg_lockfile *lock; /* being filled */
    sg_ctx *ctx;       /* errors */
    locs lines;        /* where each install path's key is */
    char src;          /* which of them: 'p' (packages) or 'd' (v1 dependencies) */
} npm_read;

static int bad_type(npm_read *r, const char *where, const char *field, const char *want)
{
    unsigned line = line_of(&r->lines, r->src, where);
    if (line)
        return sg_error_set(r->ctx, SG_EINVALID, "'%s' line %u: '%s' of '%s' is not %s",
                            r->lock->what, line, field, where, want);
    return sg_error_set(r->ctx, SG_EINVALID, "'%s': '%s' of '%s' is not %s", r->lock->what, field,
                        where, want);
}

/* Member `field` of obj as a string: 0 with *out (NULL when absent), or an error for a
 * member of another type. */
static int get_str(npm_read *r, const cJSON *obj, const char *where, const char *field,
                   const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return bad_type(r, where, field, "a string");
    *out = v->valuestring;
    return 0;
}

static int get_flags(npm_read *r, const cJSON *obj, const char *where, unsigned *flags)
{
    static const struct {
        const char *field; /* boolean member */
        unsigned flag;     /* what it sets */
    } table[] = {{"dev", SG_LOCK_DEV},
                 {"optional", SG_LOCK_OPTIONAL},
                 {"devOptional", SG_LOCK_DEV},
                 {"inBundle", SG_LOCK_BUNDLED},
                 {"bundled", SG_LOCK_BUNDLED}};
    size_t i;
    *flags = 0;
    for (i = 0; i < SG_ARRAY_SIZE(table); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, table[i].field);
        if (!v)
            continue;
        if (!cJSON_IsBool(v))
            return bad_type(r, where, table[i].field, "true or false");
        if (cJSON_IsTrue(v))
            *flags |= table[i].flag;
    }
    return 0;
}

/* Where the last "node_modules/" segment of an install path starts its name, or NULL. */
static const char *installed_name(const char *path)
{
    const char *p = path, *last = NULL, *hit;
    while ((hit = strstr(p, "node_modules/")) != NULL) {
        if (hit == path || hit[-1] == '/')
            last = hit + 13;
        p = hit + 13;
    }
    return last;
}

static int need_version(npm_read *r, const sg_lockfile_entry *e, const char *where)
{
    if (e->kind != SG_LOCK_KIND_REGISTRY || (e->flags & SG_LOCK_BUNDLED) ||
        sg_lockfile__is_version(e->version))
        return 0;
    return bad_type(r, where, "version", "an exact version");
}

/* v2/v3: one member of "packages". */
static int read_package(npm_read *r, const char *path, const cJSON *v)
{
    sg_lockfile_entry e = {0};
    const char *inst, *name = NULL;
    int k, error;

    if (!*path)
        return 0; /* the project itself */
    if (!cJSON_IsObject(v))
        return bad_type(r, path, "entry", "an object");
    if ((error = get_str(r, v, path, "name", &name)) < 0 ||
        (error = get_str(r, v, path, "version", &e.version)) < 0 ||
        (error = get_str(r, v, path, "resolved", &e.resolved)) < 0 ||
        (error = get_str(r, v, path, "integrity", &e.integrity)) < 0 ||
        (error = get_flags(r, v, path, &e.flags)) < 0)
        return error;
    e.line = line_of(&r->lines, r->src, path);
    if (!(inst = installed_name(path)) || !*inst) {
        /* a folder of the project (a workspace, a file: folder): not from a registry */
        const char *slash = strrchr(path, '/');
        e.name = name ? name : slash ? slash + 1 : path;
        e.kind = SG_LOCK_KIND_WORKSPACE;
        e.resolved = path;
        return sg_lockfile__add(r->lock, r->ctx, &e);
    }
    e.name = name ? name : inst;
    if (name && strcmp(name, inst) != 0)
        e.alias = inst;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "link"))) {
        e.kind = SG_LOCK_KIND_LINK;
    } else {
        k = sg_lockfile__kind_of_url(e.resolved, e.name, e.version);
        if (k < 0)
            k = e.resolved ? SG_LOCK_KIND_FILE : SG_LOCK_KIND_REGISTRY;
        e.kind = (sg_lockfile_kind)k;
    }
    if ((error = need_version(r, &e, path)) < 0)
        return error;
    return sg_lockfile__add(r->lock, r->ctx, &e);
}

static int read_packages(npm_read *r, const cJSON *packages)
{
    const cJSON *v;
    int error;
    if (!cJSON_IsObject(packages))
        return sg_error_set(r->ctx, SG_EINVALID, "'%s': 'packages' is not an object",
                            r->lock->what);
    cJSON_ArrayForEach(v, packages)
    {
        if ((error = read_package(r, v->string, v)) < 0)
            return error;
    }
    return 0;
}

/* v1: "version" is a version, "npm:NAME@VERSION" (an alias), or where it came from. */
static int read_v1_version(npm_read *r, sg_lockfile_entry *e, const char *key, const char *path,
                           char *real, size_t real_size)
{
    const char *v = e->version;
    size_t n;
    int k;

    e->name = key;
    if (!v)
        return bad_type(r, path, "version", "a string");
    if (strncmp(v, "npm:", 4) == 0) {
        const char *rest = sg_lockfile__split_at(v + 4, strlen(v + 4), &n);
        if (!rest || n >= real_size)
            return bad_type(r, path, "version", "an alias 'npm:NAME@VERSION'");
        memcpy(real, v + 4, n);
        real[n] = '\0';
        e->name = real;
        e->alias = key;
        e->version = rest;
    } else if (!sg_lockfile__is_version(v)) {
        /* git URL, file: path or tarball URL in place of a version */
        k = sg_lockfile__kind_of_url(v, key, NULL);
        e->kind = k < 0 ? SG_LOCK_KIND_FILE : (sg_lockfile_kind)k;
        if (!e->resolved || e->kind == SG_LOCK_KIND_GIT)
            e->resolved = v;
        e->version = NULL;
        return 0;
    }
    k = sg_lockfile__kind_of_url(e->resolved, e->name, e->version);
    e->kind =
        k < 0 ? (e->resolved ? SG_LOCK_KIND_FILE : SG_LOCK_KIND_REGISTRY) : (sg_lockfile_kind)k;
    return 0;
}

static int read_v1_deps(npm_read *r, const cJSON *deps, const char *prefix)
{
    const cJSON *v;
    int error;

    if (!cJSON_IsObject(deps))
        return sg_error_set(r->ctx, SG_EINVALID, "'%s': 'dependencies' under '%s' is not an object",
                            r->lock->what, *prefix ? prefix : "the root");
    cJSON_ArrayForEach(v, deps)
    {
        sg_lockfile_entry e = {0};
        const char *path = join_path(&r->lines.arena, prefix, v->string);
        char real[256];
        const cJSON *sub;

        if (!path)
            return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
        if (!cJSON_IsObject(v))
            return bad_type(r, path, "entry", "an object");
        if ((error = get_str(r, v, path, "version", &e.version)) < 0 ||
            (error = get_str(r, v, path, "resolved", &e.resolved)) < 0 ||
            (error = get_str(r, v, path, "integrity", &e.integrity)) < 0 ||
            (error = get_flags(r, v, path, &e.flags)) < 0 ||
            (error = read_v1_version(r, &e, v->string, path, real, sizeof(real))) < 0 ||
            (error = need_version(r, &e, path)) < 0)
            return error;
        e.line = line_of(&r->lines, r->src, path);
        if ((error = sg_lockfile__add(r->lock, r->ctx, &e)) < 0)
            return error;
        if ((sub = cJSON_GetObjectItemCaseSensitive(v, "dependencies")) != NULL &&
            (error = read_v1_deps(r, sub, path)) < 0)
            return error;
    }
    return 0;
}

int sg_lockfile__parse_npm(sg_lockfile *lock, sg_ctx *ctx, const char *data, size_t len)
{
    npm_read r;
    cJSON *doc = NULL;
    const cJSON *ver, *packages, *deps;
    int error;

    memset(&r, 0, sizeof(r));
    r.lock = lock;
    r.ctx = ctx;
    if ((error = sg_json_parse(&doc, ctx, data, len, lock->what)) < 0)
        goto done;
    if (!cJSON_IsObject(doc)) {
        error = sg_error_set(ctx, SG_EINVALID, "'%s' is not a JSON object", lock->what);
        goto done;
    }
    ver = cJSON_GetObjectItemCaseSensitive(doc, "lockfileVersion");
    packages = cJSON_GetObjectItemCaseSensitive(doc, "packages");
    deps = cJSON_GetObjectItemCaseSensitive(doc, "dependencies");
    if (ver && (!cJSON_IsNumber(ver) || ver->valuedouble < 1 || ver->valuedouble > 3 ||
                ver->valuedouble != (double)ver->valueint)) {
        error = sg_error_set(ctx, SG_EINVALID,
                             "'%s': lockfileVersion is not 1, 2 or 3 (this reads npm 5 to 11)",
                             lock->what);
        goto done;
    }
    lock->version = ver ? (unsigned)ver->valueint : packages ? 3 : 1;
    if ((error = scan_lines(&r.lines, ctx, data, len)) < 0) {
        error = sg_error_set(ctx, error, "cannot read '%s': %s", lock->what,
                             error == SG_ENOMEM ? "out of memory" : "nested too deeply");
        goto done;
    }
    r.src = lock->version >= 2 && packages ? 'p' : 'd';
    if (r.src == 'p')
        error = read_packages(&r, packages);
    else if (deps)
        error = read_v1_deps(&r, deps, "");
    else if (lock->version >= 2)
        error = sg_error_set(ctx, SG_EINVALID, "'%s' has lockfileVersion %u but no 'packages'",
                             lock->what, lock->version);
done:
    cJSON_Delete(doc);
    sg_arena_dispose(&r.lines.arena);
    sg_free(r.lines.v);
    return error;
}
