/*
 * pnpm-lock.yaml (lockfileVersion 5.x, 6.x and 9.x), and the bounded YAML walk that it and
 * yarn berry's lockfile are read with.
 *
 * The walk drives libyaml's event parser and hands each step to a callback with the path of
 * keys from the root; no tree is built, so memory stays proportional to the nesting, and
 * anchors and aliases (never written by pnpm or yarn; the way to a "billion laughs") are
 * refused.
 *
 * pnpm keys its "packages" by dependency path: "/name@1.2.3(peer@1)" (v6), "name@1.2.3"
 * (v9), "/name/1.2.3_peer@1" (v5), or for other sources "name@git+https://...",
 * "file:../x.tgz", "github.com/user/repo/<commit>". Each value's "resolution" says where the
 * package comes from: {integrity} (the registry), {tarball, integrity?}, {type: git, repo,
 * commit} or {type: directory, directory}.
 */
#include "common/common.h"

#include <yaml.h>

#include "verifier/lockfile/lockfile_int.h"

/* ---- the YAML walk ------------------------------------------------------------------- */

#define YAML_MAX_DEPTH 64

typedef struct walk {
    sg_ctx *ctx;                    /* errors */
    const char *what;               /* the file, for messages */
    sg_yaml_path path;              /* keys from the root */
    sg_buf keys[YAML_MAX_DEPTH];    /* storage of path.key[] */
    char type[YAML_MAX_DEPTH];      /* 'm' or 's' per open container */
    int expect_key[YAML_MAX_DEPTH]; /* a mapping awaiting a key */
    size_t open;                    /* open containers */
    size_t max_depth;               /* min(json-depth, YAML_MAX_DEPTH) */
} walk;

int sg_yaml_key_is(const sg_yaml_path *p, size_t i, const char *s)
{
    return i < p->depth && p->len[i] == strlen(s) && memcmp(p->key[i], s, p->len[i]) == 0;
}

static int yaml_fail(walk *w, unsigned line, const char *what)
{
    return sg_error_set(w->ctx, SG_EINVALID, "'%s' line %u: %s", w->what, line, what);
}

/* A node starts: the value of the current key (or an item of a sequence). */
static int begin_value(walk *w, unsigned line, int container)
{
    if (w->open && w->type[w->open - 1] == 'm' && w->expect_key[w->open - 1] && container)
        return yaml_fail(w, line, "a mapping or sequence used as a key");
    w->path.depth = w->open;
    if (w->open && w->type[w->open - 1] == 's') {
        w->path.key[w->open - 1] = "";
        w->path.len[w->open - 1] = 0;
        w->path.line[w->open - 1] = line;
    }
    return 0;
}

static int on_scalar(walk *w, sg_yaml_fn fn, void *payload, const yaml_event_t *ev, unsigned line)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length, d = w->open;

    if (d && w->type[d - 1] == 'm' && w->expect_key[d - 1]) {
        sg_buf *k = &w->keys[d - 1];
        sg_buf_clear(k);
        if (sg_buf_put(k, v, n) < 0)
            return sg_buf_check(k, w->ctx, "a key of the lockfile");
        w->path.key[d - 1] = k->ptr;
        w->path.len[d - 1] = n;
        w->path.line[d - 1] = line;
        w->expect_key[d - 1] = 0;
        return 0;
    }
    begin_value(w, line, 0);
    if (d && w->type[d - 1] == 'm')
        w->expect_key[d - 1] = 1;
    return fn(payload, w->ctx, SG_YAML_SCALAR, &w->path, v, n, line);
}

static int on_start(walk *w, sg_yaml_fn fn, void *payload, char type, unsigned line)
{
    int error;
    if ((error = begin_value(w, line, 1)) < 0)
        return error;
    if (w->open >= w->max_depth)
        return sg_error_set(w->ctx, SG_ELIMIT, "'%s' line %u nests deeper than %zu levels", w->what,
                            line, w->max_depth);
    w->type[w->open] = type;
    w->expect_key[w->open] = type == 'm';
    w->open++;
    return fn(payload, w->ctx, type == 'm' ? SG_YAML_ENTER_MAP : SG_YAML_ENTER_SEQ, &w->path, NULL,
              0, line);
}

static int on_end(walk *w, sg_yaml_fn fn, void *payload, unsigned line)
{
    int error;
    if (!w->open)
        return yaml_fail(w, line, "unbalanced end of a mapping or sequence");
    w->open--;
    w->path.depth = w->open;
    error = fn(payload, w->ctx, SG_YAML_LEAVE, &w->path, NULL, 0, line);
    if (w->open && w->type[w->open - 1] == 'm')
        w->expect_key[w->open - 1] = 1;
    return error;
}

/* One event; *done is set at the end of the first document. */
static int on_event(walk *w, sg_yaml_fn fn, void *payload, const yaml_event_t *ev, int *done)
{
    unsigned line = (unsigned)ev->start_mark.line + 1;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return yaml_fail(w, line, "anchors and aliases are not allowed");
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor)
            return yaml_fail(w, line, "anchors and aliases are not allowed");
        if (ev->data.scalar.tag)
            return yaml_fail(w, line, "tags are not allowed");
        return on_scalar(w, fn, payload, ev, line);
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        if (ev->type == YAML_MAPPING_START_EVENT ? ev->data.mapping_start.anchor != NULL
                                                 : ev->data.sequence_start.anchor != NULL)
            return yaml_fail(w, line, "anchors and aliases are not allowed");
        if (ev->type == YAML_MAPPING_START_EVENT ? ev->data.mapping_start.tag != NULL
                                                 : ev->data.sequence_start.tag != NULL)
            return yaml_fail(w, line, "tags are not allowed");
        return on_start(w, fn, payload, ev->type == YAML_MAPPING_START_EVENT ? 'm' : 's', line);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return on_end(w, fn, payload, line);
    case YAML_DOCUMENT_END_EVENT:
    case YAML_STREAM_END_EVENT:
        *done = 1;
        return 0;
    default:
        return 0;
    }
}

int sg_lockfile__yaml_walk(sg_ctx *ctx, const char *data, size_t len, const char *what,
                           sg_yaml_fn fn, void *payload)
{
    yaml_parser_t parser;
    walk *w = sg_calloc(1, sizeof(*w));
    uint64_t depth = sg_ctx_limit(ctx, SG_LIMIT_JSON_DEPTH);
    int error = 0, done = 0, have_parser = 0;
    size_t i;

    if (!w)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->what = what;
    w->max_depth = depth < YAML_MAX_DEPTH ? (size_t)depth : YAML_MAX_DEPTH;
    for (i = 0; i < YAML_MAX_DEPTH; i++)
        sg_buf_init(&w->keys[i], len + 1);
    if (memchr(data, '\0', len)) {
        error = sg_error_set(ctx, SG_EINVALID, "'%s' holds a NUL byte", what);
        goto done;
    }
    if (!yaml_parser_initialize(&parser)) {
        error = sg_error_set(ctx, SG_ENOMEM, "cannot initialize libyaml");
        goto done;
    }
    have_parser = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    while (!done && error == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            error = parser.error == YAML_MEMORY_ERROR
                        ? sg_error_set(ctx, SG_ENOMEM, "out of memory reading '%s'", what)
                        : sg_error_set(ctx, SG_EINVALID, "'%s' line %zu: %s %s", what,
                                       parser.problem_mark.line + 1,
                                       parser.problem ? parser.problem : "invalid YAML",
                                       parser.context ? parser.context : "");
            break;
        }
        error = on_event(w, fn, payload, &ev, &done);
        yaml_event_delete(&ev);
    }
done:
    if (have_parser)
        yaml_parser_delete(&parser);
    for (i = 0; i < YAML_MAX_DEPTH; i++)
        sg_buf_dispose(&w->keys[i]);
    sg_free(w);
    return error;
}

/* ---- pnpm-lock.yaml ---------------------------------------------------------------------- */

#define PNPM_VALUE_MAX 8192

/* What is kept of a package: its key, fields and resolution ("" when absent). */
enum {
    F_KEY,
    F_NAME,
    F_VERSION,
    F_INTEGRITY,
    F_TARBALL,
    F_TYPE,
    F_REPO,
    F_COMMIT,
    F_DIRECTORY, /* resolution.* */
    F__COUNT
};

typedef struct pnpm {
    sg_lockfile *lock;  /* being filled */
    int open;           /* inside a package's mapping */
    unsigned line;      /* its key's line */
    unsigned flags;     /* dev, optional */
    sg_buf f[F__COUNT]; /* the package's key and fields */
} pnpm;

static void pnpm_clear(pnpm *p)
{
    size_t i;
    for (i = 0; i < F__COUNT; i++)
        sg_buf_clear(&p->f[i]);
    p->flags = 0;
}

/* Name and version from a package key ("/@s/n@1.0.0(p@1)", "n@1.0.0", "/n/1.0.0_p@1"). */
static void split_key(pnpm *p, char *name, size_t name_size, char *version, size_t vsize)
{
    const char *s = p->f[F_KEY].ptr, *rest = NULL;
    size_t n = p->f[F_KEY].size, nlen = 0, vlen;

    name[0] = version[0] = '\0';
    if (n && s[0] == '/') {
        s++;
        n--;
    }
    if (p->lock->version < 6 && p->f[F_KEY].ptr[0] == '/') {
        size_t i = n;
        while (i > 1 && s[i - 1] != '/')
            i--;
        if (i > 1) {
            nlen = i - 1;
            rest = s + i;
        }
    } else {
        rest = sg_lockfile__split_at(s, n, &nlen);
    }
    if (!rest || nlen >= name_size)
        return;
    memcpy(name, s, nlen);
    name[nlen] = '\0';
    vlen = strcspn(rest, "(_");
    if (vlen >= vsize)
        return;
    memcpy(version, rest, vlen);
    version[vlen] = '\0';
}

static int pnpm_kind(pnpm *p, sg_lockfile_entry *e)
{
    int k;
    if (strcmp(p->f[F_TYPE].ptr, "git") == 0) {
        e->resolved = p->f[F_REPO].size ? p->f[F_REPO].ptr : NULL;
        return SG_LOCK_KIND_GIT;
    }
    if (strcmp(p->f[F_TYPE].ptr, "directory") == 0 || p->f[F_DIRECTORY].size) {
        e->resolved = p->f[F_DIRECTORY].ptr;
        return SG_LOCK_KIND_LINK;
    }
    if (p->f[F_TARBALL].size) {
        e->resolved = p->f[F_TARBALL].ptr;
        k = sg_lockfile__kind_of_url(e->resolved, e->name, e->version);
        if (k < 0 || k == SG_LOCK_KIND_LINK)
            return SG_LOCK_KIND_FILE;
        return k;
    }
    if (p->f[F_INTEGRITY].size)
        return SG_LOCK_KIND_REGISTRY;
    k = sg_lockfile__kind_of_url(p->f[F_KEY].ptr, NULL, NULL);
    e->resolved = k >= 0 ? p->f[F_KEY].ptr : NULL;
    return k < 0 ? SG_LOCK_KIND_FILE : k;
}

static int pnpm_flush(pnpm *p, sg_ctx *ctx)
{
    sg_lockfile_entry e = {0};
    char name[512], version[256];

    p->open = 0;
    split_key(p, name, sizeof(name), version, sizeof(version));
    e.name = p->f[F_NAME].size ? p->f[F_NAME].ptr : name[0] ? name : p->f[F_KEY].ptr;
    e.version = p->f[F_VERSION].size ? p->f[F_VERSION].ptr : version[0] ? version : NULL;
    e.integrity = p->f[F_INTEGRITY].size ? p->f[F_INTEGRITY].ptr : NULL;
    e.line = p->line;
    e.flags = p->flags;
    e.kind = (sg_lockfile_kind)pnpm_kind(p, &e);
    if (e.kind == SG_LOCK_KIND_REGISTRY && !sg_lockfile__is_version(e.version))
        return sg_error_set(ctx, SG_EINVALID,
                            "'%s' line %u: package '%.200s' has no exact "
                            "version",
                            p->lock->what, p->line, p->f[F_KEY].ptr);
    if (e.kind == SG_LOCK_KIND_GIT && p->f[F_COMMIT].size && e.resolved) {
        /* repo#commit, as the other formats write it */
        sg_buf *repo = &p->f[F_REPO];
        if (sg_buf_putc(repo, '#') < 0 || sg_buf_put(repo, p->f[F_COMMIT].ptr, p->f[F_COMMIT].size))
            return sg_buf_check(repo, ctx, "a git URL");
        e.resolved = repo->ptr;
    }
    return sg_lockfile__add(p->lock, ctx, &e);
}

static int pnpm_version(pnpm *p, sg_ctx *ctx, const char *v, size_t n)
{
    char buf[32];
    unsigned long major;
    if (n == 0 || n >= sizeof(buf))
        return sg_error_set(ctx, SG_EINVALID, "'%s': lockfileVersion is not a version",
                            p->lock->what);
    memcpy(buf, v, n);
    buf[n] = '\0';
    major = strtoul(buf, NULL, 10);
    if (major < 5 || major > 9)
        return sg_error_set(ctx, SG_EINVALID,
                            "'%s': lockfileVersion '%s' is not supported (5.x to 9.x are)",
                            p->lock->what, buf);
    p->lock->version = (unsigned)major;
    return 0;
}

/* packages.KEY.{name,version,dev,optional} and packages.KEY.resolution.* */
static int pnpm_field(pnpm *p, sg_ctx *ctx, const sg_yaml_path *path, const char *v, size_t n)
{
    static const char *const res_keys[] = {"integrity", "tarball", "type",
                                           "repo",      "commit",  "directory"};
    sg_buf *dst = NULL;
    size_t i;

    if (path->depth == 3) {
        if (sg_yaml_key_is(path, 2, "name"))
            dst = &p->f[F_NAME];
        else if (sg_yaml_key_is(path, 2, "version"))
            dst = &p->f[F_VERSION];
        else if (sg_yaml_key_is(path, 2, "dev") && n == 4 && memcmp(v, "true", 4) == 0)
            p->flags |= SG_LOCK_DEV;
        else if (sg_yaml_key_is(path, 2, "optional") && n == 4 && memcmp(v, "true", 4) == 0)
            p->flags |= SG_LOCK_OPTIONAL;
    } else if (path->depth == 4 && sg_yaml_key_is(path, 2, "resolution")) {
        for (i = 0; i < SG_ARRAY_SIZE(res_keys); i++) {
            if (sg_yaml_key_is(path, 3, res_keys[i]))
                dst = &p->f[F_INTEGRITY + i];
        }
    }
    if (!dst)
        return 0;
    sg_buf_clear(dst);
    if (sg_buf_put(dst, v, n) < 0)
        return sg_buf_check(dst, ctx, "a field of the lockfile");
    return 0;
}

static int pnpm_step(void *payload, sg_ctx *ctx, sg_yaml_event ev, const sg_yaml_path *path,
                     const char *value, size_t len, unsigned line)
{
    pnpm *p = payload;
    (void)line;
    if (path->depth == 1 && ev == SG_YAML_SCALAR && sg_yaml_key_is(path, 0, "lockfileVersion"))
        return pnpm_version(p, ctx, value, len);
    if (path->depth < 2)
        return 0;
    if (sg_yaml_key_is(path, 0, "importers")) {
        sg_lockfile_entry e = {0};
        if (path->depth != 2 || ev != SG_YAML_ENTER_MAP || sg_yaml_key_is(path, 1, "."))
            return 0;
        /* a workspace package of this project, by its folder */
        sg_buf_clear(&p->f[F_KEY]);
        if (sg_buf_put(&p->f[F_KEY], path->key[1], path->len[1]) < 0)
            return sg_buf_check(&p->f[F_KEY], ctx, "an importer");
        e.name = e.resolved = p->f[F_KEY].ptr;
        e.kind = SG_LOCK_KIND_WORKSPACE;
        e.line = path->line[1];
        return sg_lockfile__add(p->lock, ctx, &e);
    }
    if (!sg_yaml_key_is(path, 0, "packages"))
        return 0;
    if (path->depth == 2 && ev == SG_YAML_ENTER_MAP) {
        pnpm_clear(p);
        p->open = 1;
        p->line = path->line[1];
        if (sg_buf_put(&p->f[F_KEY], path->key[1], path->len[1]) < 0)
            return sg_buf_check(&p->f[F_KEY], ctx, "a package key");
        return 0;
    }
    if (path->depth == 2 && ev == SG_YAML_LEAVE && p->open)
        return pnpm_flush(p, ctx);
    if (ev == SG_YAML_SCALAR && p->open)
        return pnpm_field(p, ctx, path, value, len);
    return 0;
}

int sg_lockfile__parse_pnpm(sg_lockfile *lock, sg_ctx *ctx, const char *data, size_t len)
{
    pnpm p;
    size_t i;
    int error;

    memset(&p, 0, sizeof(p));
    p.lock = lock;
    lock->version = 9; /* until lockfileVersion says otherwise (it comes first) */
    for (i = 0; i < F__COUNT; i++)
        sg_buf_init(&p.f[i], PNPM_VALUE_MAX);
    error = sg_lockfile__yaml_walk(ctx, data, len, lock->what, pnpm_step, &p);
    for (i = 0; i < F__COUNT; i++)
        sg_buf_dispose(&p.f[i]);
    return error;
}
