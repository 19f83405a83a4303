/*
 * Reading a commit's tree from a local git repository with libgit2, without a checkout.
 *
 * Determinism. A verifier must give the same tree for the same commit on every machine, so
 * nothing outside the commit may change the content:
 * - trees, blobs and checkout filters go through a second repository object, `frepo`, that
 *   wraps the same object database (git_repository_wrap_odb) and has no work tree, no
 *   $GIT_DIR (so no info/attributes), an empty in-memory index (git_repository_set_index, so
 *   no stray "index" file is read) and a pinned, read-only in-memory configuration
 *   (git_repository_set_config from sys/repository.h, with the small backend below):
 *   core.autocrlf=false, core.eol=lf, core.safecrlf=false, and core.attributesfile naming a
 *   path that cannot exist, because without it libgit2 reads $XDG_CONFIG_HOME/git/attributes.
 *   The user's, the system's and the repository's own configuration never reach the filters.
 *   (libgit2 1.5 has no public in-memory config backend, and git_repository_config_snapshot
 *   is read-only, so a custom git_config_backend is the reliable way.)
 * - filters read attributes with GIT_FILTER_NO_SYSTEM_ATTRIBUTES |
 *   GIT_FILTER_ATTRIBUTES_FROM_COMMIT, so only the .gitattributes files of that commit apply.
 *   (libgit2 still preloads macro definitions from the system gitattributes file; its rules
 *   are not applied.)
 * - the repository as opened (`repo`) is used for refs only: sg_git_resolve().
 *
 * Cost. A blob needs filtering only when a .gitattributes file lies on its path (in its folder
 * or a parent, up to the root of the commit): with the pinned configuration no attribute means
 * no filter. Other blobs are hashed straight from git_blob_rawcontent. Each blob's size is
 * checked with git_odb_read_header before it is loaded; libgit2 does not cache blobs, so memory
 * stays bounded by the largest blob. The tree's content backend keeps only (oid, filtered) per
 * file, indexed by the entry's cookie, and reads the blob again on demand.
 */
#include "common/common.h"

#include "verifier/source/git_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include <git2.h>
#include <git2/sys/config.h>
#include <git2/sys/repository.h>

struct sg_git_repo {
    git_repository *repo;  /* as opened: refs and rev-parse */
    git_repository *frepo; /* same object database, pinned config, no work tree: content */
    size_t refs;           /* the caller's reference plus one per tree backend */
};

git_repository *sg_git__repository(sg_git_repo *repo)
{
    return repo->repo;
}

/* Cookie of entries without readable content (symlinks, submodules). */
#define NO_COOKIE UINT64_MAX

/* ------------------------------------------------------------------------------------------ */
/* libgit2 setup and errors                                                                    */

static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static int git_init_result; /* git_libgit2_init()'s result, set once */

static void git_init_once(void)
{
    git_init_result = git_libgit2_init();
    /* libgit2 re-hashes every object it reads; git does not. Objects were checked when they
     * were fetched (the indexer computes their ids), and a local repository is trusted as
     * the source of truth, so skip the second SHA-1 pass (a quarter of a verify's time). */
    if (git_init_result >= 0)
        git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

static const char *git_last_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message && *e->message ? e->message : "unknown libgit2 error";
}

/* Record "what: libgit2's last message" in ctx; returns code. */
static int git_fail(sg_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int git_fail(sg_ctx *ctx, int code, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return sg_error_set(ctx, code, "%s: %s", what, git_last_message());
}

static int git_ready(sg_ctx *ctx)
{
    if (pthread_once(&git_once, git_init_once) != 0)
        return sg_error_set(ctx, SG_EDEP, "cannot initialize libgit2");
    if (git_init_result < 0)
        return git_fail(ctx, SG_EDEP, "cannot initialize libgit2");
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The pinned configuration: a read-only git_config_backend over a fixed table                 */

/* Entries are static: libgit2 "frees" each one it is given through this no-op. */
static void pinned_entry_free(git_config_entry *e)
{
    (void)e;
}

static git_config_entry pinned_entries[] = {
    {"core.autocrlf", "false", 0, GIT_CONFIG_LEVEL_APP, pinned_entry_free, NULL},
    {"core.eol", "lf", 0, GIT_CONFIG_LEVEL_APP, pinned_entry_free, NULL},
    {"core.safecrlf", "false", 0, GIT_CONFIG_LEVEL_APP, pinned_entry_free, NULL},
    /* below /dev/null nothing can exist: no global attributes file */
    {"core.attributesfile", "/dev/null/sourcegate-no-attributes", 0, GIT_CONFIG_LEVEL_APP,
     pinned_entry_free, NULL},
};

typedef struct pinned_iter {
    git_config_iterator parent; /* must come first (sys/config.h) */
    size_t next;                /* index of the next entry */
} pinned_iter;

static int pinned_open(git_config_backend *b, git_config_level_t level, const git_repository *r)
{
    (void)b;
    (void)level;
    (void)r;
    return 0;
}

static int pinned_get(git_config_backend *b, const char *key, git_config_entry **out)
{
    size_t i;

    (void)b;
    for (i = 0; i < SG_ARRAY_SIZE(pinned_entries); i++) {
        if (strcmp(pinned_entries[i].name, key) == 0) {
            *out = &pinned_entries[i];
            return 0;
        }
    }
    return GIT_ENOTFOUND;
}

static int pinned_readonly(void)
{
    git_error_set_str(GIT_ERROR_CONFIG, "the sourcegate configuration is read-only");
    return -1;
}

static int pinned_set(git_config_backend *b, const char *key, const char *value)
{
    (void)b;
    (void)key;
    (void)value;
    return pinned_readonly();
}

static int pinned_set_multivar(git_config_backend *b, const char *name, const char *regexp,
                               const char *value)
{
    (void)b;
    (void)name;
    (void)regexp;
    (void)value;
    return pinned_readonly();
}

static int pinned_del(git_config_backend *b, const char *key)
{
    (void)b;
    (void)key;
    return pinned_readonly();
}

static int pinned_del_multivar(git_config_backend *b, const char *key, const char *regexp)
{
    (void)b;
    (void)key;
    (void)regexp;
    return pinned_readonly();
}

static int pinned_iter_next(git_config_entry **out, git_config_iterator *it)
{
    pinned_iter *pi = (pinned_iter *)it;

    if (pi->next >= SG_ARRAY_SIZE(pinned_entries))
        return GIT_ITEROVER;
    *out = &pinned_entries[pi->next++];
    return 0;
}

static void pinned_iter_free(git_config_iterator *it)
{
    sg_free(it);
}

static int pinned_iterator(git_config_iterator **out, git_config_backend *b)
{
    pinned_iter *it = sg_calloc(1, sizeof(*it));

    if (!it) {
        git_error_set_oom();
        return -1;
    }
    it->parent.backend = b;
    it->parent.next = pinned_iter_next;
    it->parent.free = pinned_iter_free;
    *out = &it->parent;
    return 0;
}

static int pinned_lock(git_config_backend *b)
{
    (void)b;
    return pinned_readonly();
}

static int pinned_unlock(git_config_backend *b, int success)
{
    (void)b;
    (void)success;
    return 0;
}

static void pinned_free(git_config_backend *b)
{
    sg_free(b);
}

static int pinned_snapshot(git_config_backend **out, git_config_backend *b);

static git_config_backend *pinned_new(void)
{
    git_config_backend *b = sg_calloc(1, sizeof(*b));

    if (!b || git_config_init_backend(b, GIT_CONFIG_BACKEND_VERSION) < 0) {
        sg_free(b);
        return NULL;
    }
    b->readonly = 1;
    b->open = pinned_open;
    b->get = pinned_get;
    b->set = pinned_set;
    b->set_multivar = pinned_set_multivar;
    b->del = pinned_del;
    b->del_multivar = pinned_del_multivar;
    b->iterator = pinned_iterator;
    b->snapshot = pinned_snapshot;
    b->lock = pinned_lock;
    b->unlock = pinned_unlock;
    b->free = pinned_free;
    return b;
}

static int pinned_snapshot(git_config_backend **out, git_config_backend *b)
{
    (void)b;
    if ((*out = pinned_new()) == NULL) {
        git_error_set_oom();
        return -1;
    }
    return 0;
}

/* The content repository: frepo (see the comment at the top). */
static int make_filter_repo(git_repository **out, sg_ctx *ctx, git_repository *repo)
{
    git_odb *odb = NULL;
    git_config *cfg = NULL;
    git_config_backend *backend = NULL;
    git_index *index = NULL;
    git_repository *frepo = NULL;
    int error = 0;

    *out = NULL;
    if (git_repository_odb(&odb, repo) < 0 || git_repository_wrap_odb(&frepo, odb) < 0) {
        error = git_fail(ctx, SG_EDEP, "cannot open the git object database");
        goto done;
    }
    if ((backend = pinned_new()) == NULL) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory for the git configuration");
        goto done;
    }
    if (git_config_new(&cfg) < 0 ||
        git_config_add_backend(cfg, backend, GIT_CONFIG_LEVEL_APP, NULL, 0) < 0) {
        error = git_fail(ctx, SG_EDEP, "cannot set up the git configuration");
        goto done;
    }
    backend = NULL; /* owned by cfg now */
    if (git_repository_set_config(frepo, cfg) < 0 || git_index_new(&index) < 0 ||
        git_repository_set_index(frepo, index) < 0) {
        error = git_fail(ctx, SG_EDEP, "cannot set up the git content repository");
        goto done;
    }
    *out = frepo;
    frepo = NULL;
done:
    if (backend)
        backend->free(backend);
    git_index_free(index);
    git_config_free(cfg);
    git_repository_free(frepo);
    git_odb_free(odb);
    return error;
}

/* ------------------------------------------------------------------------------------------ */
/* Opening                                                                                     */

/* Length of the scheme of "scheme://..." (RFC 3986 scheme characters), 0 when none. */
static size_t url_scheme_len(const char *s)
{
    size_t i = 0;

    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
           (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return strncmp(s + i, "://", 3) == 0 ? i : 0;
}

int sg_git__file_url_path(sg_buf *out, const char *url)
{
    const char *p = url + 7; /* after "file://", which the caller checked */
    int hi, lo;

    if (sg_strncasecmp(p, "localhost/", 10) == 0)
        p += 9;
    if (*p != '/')
        return SG_GIT_FILE_URL_HOST;
    for (; *p; p++) {
        if (*p != '%') {
            sg_buf_putc(out, *p);
            continue;
        }
        hi = sg_hex_digit((unsigned char)p[1]);
        lo = hi < 0 ? -1 : sg_hex_digit((unsigned char)p[2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return SG_GIT_FILE_URL_MALFORMED;
        sg_buf_putc(out, (char)(hi * 16 + lo));
        p += 2;
    }
    return 0;
}

/* The local path of a file:// URL, percent-decoded. */
static int file_url_path(sg_buf *out, sg_ctx *ctx, const char *url)
{
    int rc = sg_git__file_url_path(out, url);

    if (rc == SG_GIT_FILE_URL_HOST)
        return sg_error_set(ctx, SG_EINVALID,
                            "file URL '%s' names a host: only local repositories are supported "
                            "in local mode",
                            url);
    if (rc == SG_GIT_FILE_URL_MALFORMED)
        return sg_error_set(ctx, SG_EINVALID, "malformed file URL '%s'", url);
    return sg_buf_check(out, ctx, "a repository path");
}

/* "host:path" with no slash before the colon is git's scp-like syntax for ssh. */
static int looks_scp_like(const char *s)
{
    const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
    struct stat st;

    if (!colon || colon == s || (slash && slash < colon))
        return 0;
    return stat(s, &st) != 0; /* an existing local path wins */
}

/* The local filesystem path named by path_or_url into out. */
static int local_path(sg_buf *out, sg_ctx *ctx, const char *path_or_url)
{
    size_t scheme = url_scheme_len(path_or_url);

    if (scheme == 4 && sg_strncasecmp(path_or_url, "file", 4) == 0)
        return file_url_path(out, ctx, path_or_url);
    if (scheme) /* the URL itself may carry credentials: name the scheme only */
        return sg_error_set(ctx, SG_EINVALID,
                            "only local repositories are supported in local mode, not '%.*s' "
                            "URLs",
                            (int)scheme, path_or_url);
    if (looks_scp_like(path_or_url))
        return sg_error_set(ctx, SG_EINVALID,
                            "only local repositories are supported in local mode, not ssh "
                            "addresses like '%s'",
                            path_or_url);
    sg_buf_puts(out, path_or_url);
    return sg_buf_check(out, ctx, "a repository path");
}

int sg_git_repo_open(sg_git_repo **out, sg_ctx *ctx, const char *path_or_url)
{
    sg_git_repo *r = NULL;
    sg_buf path = SG_BUF_INIT;
    int error, gerr;

    *out = NULL;
    if (!path_or_url || !*path_or_url)
        return sg_error_set(ctx, SG_EINVALID, "empty git repository path");
    if ((error = git_ready(ctx)) < 0 || (error = local_path(&path, ctx, path_or_url)) < 0)
        goto done;
    if ((r = sg_calloc(1, sizeof(*r))) == NULL) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory for a git repository");
        goto done;
    }
    r->refs = 1;
    /* flags 0: a folder inside a work tree finds its repository (not across filesystems);
     * no GIT_REPOSITORY_OPEN_FROM_ENV: the library does not read the environment */
    gerr = git_repository_open_ext(&r->repo, path.ptr, 0, NULL);
    if (gerr == GIT_ENOTFOUND) {
        error = sg_error_set(ctx, SG_ENOTFOUND, "no git repository at '%s'", path.ptr);
        goto done;
    }
    if (gerr < 0) {
        error = git_fail(ctx, SG_EDEP, "cannot open git repository '%s'", path.ptr);
        goto done;
    }
    if ((error = make_filter_repo(&r->frepo, ctx, r->repo)) < 0)
        goto done;
    *out = r;
    r = NULL;
done:
    sg_git_repo_free(r);
    sg_buf_dispose(&path);
    return error;
}

void sg_git_repo_free(sg_git_repo *repo)
{
    if (!repo || --repo->refs)
        return;
    git_repository_free(repo->frepo);
    git_repository_free(repo->repo);
    sg_free(repo);
}

/* ------------------------------------------------------------------------------------------ */
/* Revisions                                                                                   */

int sg_git_resolve(char out[41], sg_ctx *ctx, sg_git_repo *repo, const char *rev)
{
    git_object *obj = NULL, *commit = NULL;
    git_object_t type;
    int error = 0, gerr;

    out[0] = '\0';
    if (!repo || !rev || !*rev)
        return sg_error_set(ctx, SG_EINVALID, "empty git revision");
    gerr = git_revparse_single(&obj, repo->repo, rev);
    if (gerr == GIT_ENOTFOUND) {
        error = sg_error_set(ctx, SG_ENOTFOUND, "revision '%s' not found", rev);
        goto done;
    }
    if (gerr == GIT_EAMBIGUOUS || gerr == GIT_EINVALIDSPEC) {
        error = git_fail(ctx, SG_EINVALID, "invalid revision '%s'", rev);
        goto done;
    }
    if (gerr < 0) {
        error = git_fail(ctx, SG_EDEP, "cannot resolve revision '%s'", rev);
        goto done;
    }
    type = git_object_type(obj);
    if (type == GIT_OBJECT_BLOB || type == GIT_OBJECT_TREE) {
        error = sg_error_set(ctx, SG_EINVALID, "revision '%s' names a %s, not a commit", rev,
                             git_object_type2string(type));
        goto done;
    }
    gerr = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
    if (gerr < 0) {
        error = git_fail(ctx,
                         gerr == GIT_EPEEL || gerr == GIT_EINVALIDSPEC || gerr == GIT_ENOTFOUND
                             ? SG_EINVALID
                             : SG_EDEP,
                         "revision '%s' names no commit", rev);
        goto done;
    }
    git_oid_tostr(out, 41, git_object_id(commit));
done:
    git_object_free(commit);
    git_object_free(obj);
    return error;
}

/*
 * Before loading an object (libgit2 reads it whole): it must exist, have the expected type and
 * fit limit (the git-blob-size limit; for trees and commits at least its default, so that a run
 * which lowers the blob limit can still read trees). path names the entry for messages.
 */
static int check_header(sg_ctx *ctx, git_odb *odb, const git_oid *id, git_object_t want,
                        const char *path, uint64_t limit)
{
    char hex[GIT_OID_HEXSZ + 1];
    size_t len;
    git_object_t type;
    int gerr = git_odb_read_header(&len, &type, odb, id);

    git_oid_tostr(hex, sizeof(hex), id);
    if (!*path)
        path = "/";
    if (gerr == GIT_ENOTFOUND)
        return sg_error_set(ctx, SG_EINVALID,
                            "git object %s of '%s' is missing from the repository", hex, path);
    if (gerr < 0)
        return git_fail(ctx, SG_EDEP, "cannot read git object %s of '%s'", hex, path);
    if (type != want)
        return sg_error_set(ctx, SG_EINVALID, "git object %s of '%s' is a %s, not a %s", hex, path,
                            git_object_type2string(type), git_object_type2string(want));
    if ((uint64_t)len > limit)
        return sg_error_set(ctx, SG_ELIMIT,
                            "git %s '%s' is larger than the git-blob-size limit (%zu > %llu "
                            "bytes)",
                            git_object_type2string(want), path, len, (unsigned long long)limit);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The content backend of git trees                                                            */

typedef struct blob_ref {
    git_oid id;             /* the blob */
    unsigned char filtered; /* 1 when checkout filters apply to its path */
} blob_ref;

typedef struct git_backend {
    sg_git_repo *repo; /* a reference, released in backend_free */
    git_odb *odb;      /* repo's object database: headers before loading */
    git_oid commit;    /* the commit whose .gitattributes drive the filters */
    char *prefix;      /* the subdir in the commit ("" for the root) */
    blob_ref *blobs;   /* by cookie */
    size_t count;      /* used entries of blobs */
    size_t cap;        /* allocated entries of blobs */
} git_backend;

static void backend_free(void *self)
{
    git_backend *b = self;

    if (!b)
        return;
    git_odb_free(b->odb);
    sg_git_repo_free(b->repo);
    sg_free(b->prefix);
    sg_free(b->blobs);
    sg_free(b);
}

static int backend_push(git_backend *b, sg_ctx *ctx, const git_oid *id, int filtered,
                        uint64_t *cookie)
{
    if (SG_ARRAY_GROW(b->blobs, b->cap, b->count + 1, 256) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for git blob ids");
    git_oid_cpy(&b->blobs[b->count].id, id);
    b->blobs[b->count].filtered = filtered ? 1 : 0;
    *cookie = b->count++;
    return 0;
}

static void filter_options(git_filter_options *opts, const git_oid *commit)
{
    memset(opts, 0, sizeof(*opts)); /* GIT_FILTER_OPTIONS_INIT, without a partial initializer */
    opts->version = GIT_FILTER_OPTIONS_VERSION;
    opts->flags = GIT_FILTER_NO_SYSTEM_ATTRIBUTES | GIT_FILTER_ATTRIBUTES_FROM_COMMIT;
    git_oid_cpy(&opts->attr_commit_id, commit);
}

/*
 * Checkout-filter a blob at repo-relative path `path` into *gout (git_buf, dispose after).
 * *applied is 0 when no filter applies (gout untouched).
 */
static int filter_blob(git_buf *gout, int *applied, sg_ctx *ctx, git_repository *frepo,
                       git_blob *blob, const char *path, git_filter_options *opts)
{
    git_filter_list *fl = NULL;
    int error = 0;

    *applied = 0;
    if (git_filter_list_load_ext(&fl, frepo, blob, path, GIT_FILTER_TO_WORKTREE, opts) < 0)
        return git_fail(ctx, SG_EDEP, "cannot load the checkout filters of '%s'", path);
    if (!fl)
        return 0;
    if (git_filter_list_apply_to_blob(gout, fl, blob) < 0)
        error = git_fail(ctx, SG_EDEP, "cannot apply the checkout filters to '%s'", path);
    else
        *applied = 1;
    git_filter_list_free(fl);
    return error;
}

/* Look a blob up, as hostile input: missing objects and wrong types are refused. */
static int load_blob(git_blob **out, sg_ctx *ctx, git_repository *frepo, const git_oid *id,
                     const char *path)
{
    char hex[GIT_OID_HEXSZ + 1];
    int gerr = git_blob_lookup(out, frepo, id);

    if (gerr >= 0)
        return 0;
    git_oid_tostr(hex, sizeof(hex), id);
    if (gerr == GIT_ENOTFOUND)
        return git_fail(ctx, SG_EINVALID, "cannot read git blob %s of '%s'", hex, path);
    return git_fail(ctx, SG_EDEP, "cannot read git blob %s of '%s'", hex, path);
}

static int backend_read(void *self, sg_buf *out, sg_ctx *ctx, const sg_entry *e)
{
    git_backend *b = self;
    git_blob *blob = NULL;
    git_buf filtered = GIT_BUF_INIT;
    git_filter_options opts;
    sg_buf path = SG_BUF_INIT;
    const blob_ref *ref;
    uint64_t limit = sg_ctx_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE);
    int error = 0, applied = 0;

    if (e->cookie >= b->count)
        return sg_error_set(ctx, SG_EINVALID, "'%s' has no content in the git repository", e->path);
    ref = &b->blobs[e->cookie];
    if (*b->prefix)
        sg_buf_printf(&path, "%s/%s", b->prefix, e->path);
    else
        sg_buf_puts(&path, e->path);
    /* a lazily listed tree never looked at this blob: this is where a missing or huge one
     * (a partial clone, a hostile repository) is refused, before libgit2 loads it whole */
    if ((error = sg_buf_check(&path, ctx, "a git path")) < 0 ||
        (error = check_header(ctx, b->odb, &ref->id, GIT_OBJECT_BLOB, path.ptr, limit)) < 0 ||
        (error = load_blob(&blob, ctx, b->repo->frepo, &ref->id, path.ptr)) < 0)
        goto done;
    filter_options(&opts, &b->commit);
    if (ref->filtered &&
        (error = filter_blob(&filtered, &applied, ctx, b->repo->frepo, blob, path.ptr, &opts)))
        goto done;
    if (applied)
        sg_buf_put(out, filtered.ptr, filtered.size);
    else
        sg_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
    error = sg_buf_check(out, ctx, e->path);
done:
    git_buf_dispose(&filtered);
    git_blob_free(blob);
    sg_buf_dispose(&path);
    return error;
}

static const sg_tree_backend_ops git_backend_ops = {"git", backend_read, backend_free, NULL};

int sg_git__tree_raw_blob(unsigned char out[20], const sg_tree *tree, const sg_entry *e)
{
    const git_backend *b = sg_tree__backend(tree, &git_backend_ops);
    const blob_ref *ref;

    if (!b || e->kind != SG_ENTRY_FILE || e->cookie >= b->count)
        return 0;
    ref = &b->blobs[e->cookie];
    if (ref->filtered)
        return 0;
    memcpy(out, ref->id.id, 20);
    return 1;
}

int sg_git__blob_id(unsigned char out[20], sg_ctx *ctx, const void *data, size_t len)
{
    git_oid id;
    const git_error *e;
    int error;

    if ((error = git_ready(ctx)) < 0)
        return error;
    if (git_odb_hash(&id, len ? data : "", len, GIT_OBJECT_BLOB) < 0) {
        /* libgit2's SHA-1DC names a detected collision attack this way (hash/sha1) */
        e = git_error_last();
        if (e && e->klass == GIT_ERROR_SHA)
            return git_fail(ctx, SG_EINVALID, "git blob id");
        return git_fail(ctx, SG_EDEP, "git blob id");
    }
    memcpy(out, id.id, 20);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Walking a tree                                                                              */

typedef struct walk {
    sg_ctx *ctx;              /* errors and limits */
    git_repository *frepo;    /* the content repository */
    git_odb *odb;             /* its object database, for checks before loading */
    git_filter_options fopts; /* attributes from the commit only */
    sg_tree_builder *builder; /* the tree being built */
    git_backend *backend;     /* owned by builder; records blob ids by cookie */
    sg_buf path;              /* repo-relative path of the current entry */
    size_t rel;               /* offset of the subdir-relative part of path */
    uint64_t entries;         /* tree entries visited */
    uint64_t max_entries;     /* SG_LIMIT_GIT_TREE_ENTRIES */
    uint64_t max_blob;        /* SG_LIMIT_GIT_BLOB_SIZE */
    uint64_t max_object;      /* for tree and commit objects: max_blob, at least its default */
    uint64_t max_len;         /* SG_LIMIT_PATH_LENGTH */
    uint64_t max_depth;       /* SG_LIMIT_PATH_DEPTH */
    uint64_t max_attr_lines;  /* SG_LIMIT_IGNORE_RULES, for .gitattributes on one path */
    unsigned lazy;            /* SG_GIT_TREE_LAZY: list files, read them later */
} walk;

/* Names a Linux checkout refuses, and names that cannot form a normalized path. */
static int bad_name(const char *name)
{
    return !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
           sg_strcasecmp(name, ".git") == 0 || strchr(name, '/') || strchr(name, '\\');
}

static int check_object(walk *w, const git_oid *id, git_object_t want, const char *path)
{
    return check_header(w->ctx, w->odb, id, want, path,
                        want == GIT_OBJECT_BLOB ? w->max_blob : w->max_object);
}

static int load_tree(git_tree **out, walk *w, const git_oid *id, const char *path)
{
    int error;

    if ((error = check_object(w, id, GIT_OBJECT_TREE, path)) < 0)
        return error;
    if (git_tree_lookup(out, w->frepo, id) < 0)
        return git_fail(w->ctx, SG_EDEP, "cannot read git tree '%s'", *path ? path : "/");
    return 0;
}

static int add_file(walk *w, const git_tree_entry *te, unsigned exec, int attrs)
{
    const git_oid *id = git_tree_entry_id(te);
    git_blob *blob = NULL;
    git_buf filtered = GIT_BUF_INIT;
    sg_entry e;
    const void *data;
    size_t len;
    int error, applied = 0;

    memset(&e, 0, sizeof(e));
    if (w->lazy) {
        /* Not even the header: a mirror may lack blobs the package never uses (a partial
         * clone), and the tree entry already names the blob. Existence, type, size, content,
         * digest and filters wait for the first read (backend_read, sg_tree_complete()). */
        e.path = w->path.ptr + w->rel;
        e.kind = SG_ENTRY_FILE;
        e.exec = exec;
        e.size = 0; /* unknown while pending */
        e.pending = 1;
        if ((error = backend_push(w->backend, w->ctx, id, attrs, &e.cookie)) < 0)
            goto done;
        error = sg_tree__builder_add(w->builder, w->ctx, &e);
        goto done;
    }
    if ((error = check_object(w, id, GIT_OBJECT_BLOB, w->path.ptr)) < 0 ||
        (error = load_blob(&blob, w->ctx, w->frepo, id, w->path.ptr)) < 0)
        goto done;
    data = git_blob_rawcontent(blob);
    len = (size_t)git_blob_rawsize(blob);
    if (attrs && (error = filter_blob(&filtered, &applied, w->ctx, w->frepo, blob, w->path.ptr,
                                      &w->fopts)) < 0)
        goto done;
    if (applied) {
        data = filtered.ptr;
        len = filtered.size;
        if ((uint64_t)len > w->max_blob) {
            error = sg_error_set(w->ctx, SG_ELIMIT,
                                 "git blob '%s' is larger than the git-blob-size limit after "
                                 "checkout filters (%zu > %llu bytes)",
                                 w->path.ptr, len, (unsigned long long)w->max_blob);
            goto done;
        }
    }
    e.path = w->path.ptr + w->rel;
    e.kind = SG_ENTRY_FILE;
    e.exec = exec;
    if ((error = sg_entry__set_content(&e, w->ctx, len ? data : "", len)) < 0 ||
        (error = backend_push(w->backend, w->ctx, id, applied, &e.cookie)) < 0)
        goto done;
    error = sg_tree__builder_add(w->builder, w->ctx, &e);
done:
    git_buf_dispose(&filtered);
    git_blob_free(blob);
    return error;
}

static int add_symlink(walk *w, const git_tree_entry *te)
{
    git_blob *blob = NULL;
    char *target = NULL;
    sg_entry e;
    size_t len;
    int error;

    memset(&e, 0, sizeof(e));
    if ((error = check_object(w, git_tree_entry_id(te), GIT_OBJECT_BLOB, w->path.ptr)) < 0 ||
        (error = load_blob(&blob, w->ctx, w->frepo, git_tree_entry_id(te), w->path.ptr)) < 0)
        goto done;
    len = (size_t)git_blob_rawsize(blob);
    if ((uint64_t)len > w->max_len) {
        error = sg_error_set(w->ctx, SG_ELIMIT,
                             "symlink '%s' has a target longer than the path-length limit",
                             w->path.ptr);
        goto done;
    }
    if (memchr(git_blob_rawcontent(blob), '\0', len)) {
        error = sg_error_set(w->ctx, SG_EINVALID, "symlink '%s' has a NUL byte in its target",
                             w->path.ptr);
        goto done;
    }
    if ((target = sg_strndup(len ? git_blob_rawcontent(blob) : "", len)) == NULL) {
        error = sg_error_set(w->ctx, SG_ENOMEM, "out of memory for a symlink target");
        goto done;
    }
    e.path = w->path.ptr + w->rel;
    e.kind = SG_ENTRY_SYMLINK;
    e.target = target;
    e.cookie = NO_COOKIE;
    if ((error = sg_entry__set_content(&e, w->ctx, target, len)) < 0)
        goto done;
    error = sg_tree__builder_add(w->builder, w->ctx, &e);
done:
    sg_free(target);
    git_blob_free(blob);
    return error;
}

static int add_submodule(walk *w, const git_tree_entry *te)
{
    char hex[GIT_OID_HEXSZ + 1];
    sg_entry e;
    int error;

    memset(&e, 0, sizeof(e));
    git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(te));
    e.path = w->path.ptr + w->rel;
    e.kind = SG_ENTRY_SUBMODULE;
    e.target = hex;
    e.cookie = NO_COOKIE;
    if ((error = sg_entry__set_content(&e, w->ctx, "", 0)) < 0)
        return error;
    return sg_tree__builder_add(w->builder, w->ctx, &e);
}

/*
 * The .gitattributes of folder `tree` (at repo-relative `dir`), if it has one libgit2 would
 * read (a blob or a symlink): its size is checked before libgit2 loads it, and its lines are
 * added to *lines, the attribute lines on the way from the root. Every path below pays for
 * matching those rules, so their number is bounded by the ignore-rules limit.
 */
static int add_attr_lines(walk *w, const git_tree *tree, const char *dir, uint64_t *lines)
{
    const git_tree_entry *te = git_tree_entry_byname(tree, ".gitattributes");
    unsigned type = te ? (unsigned)git_tree_entry_filemode_raw(te) & 0170000 : 0;
    git_blob *blob = NULL;
    sg_buf path = SG_BUF_INIT;
    const char *p, *end;
    uint64_t n = 0;
    int error;

    if (type != 0100000 && type != 0120000)
        return 0; /* none, or a folder or submodule libgit2 skips */
    sg_buf_printf(&path, "%s%s.gitattributes", dir, *dir ? "/" : "");
    if ((error = sg_buf_check(&path, w->ctx, "a git path")) < 0 ||
        (error = check_object(w, git_tree_entry_id(te), GIT_OBJECT_BLOB, path.ptr)) < 0 ||
        (error = load_blob(&blob, w->ctx, w->frepo, git_tree_entry_id(te), path.ptr)) < 0)
        goto done;
    p = git_blob_rawcontent(blob);
    end = p + (size_t)git_blob_rawsize(blob);
    if (p < end && end[-1] != '\n')
        n++; /* a last line without a newline */
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    *lines += n; /* an empty file has no rules: no filter can come from it */
    if (*lines > w->max_attr_lines)
        error = sg_error_set(w->ctx, SG_ELIMIT,
                             "more than %llu .gitattributes lines apply below '%s' (the "
                             "ignore-rules limit)",
                             (unsigned long long)w->max_attr_lines, path.ptr);
done:
    git_blob_free(blob);
    sg_buf_dispose(&path);
    return error;
}

static int walk_tree(walk *w, const git_tree *tree, uint64_t depth, uint64_t attr_lines);

/* Append name to w->path and check the limits on the subdir-relative path. */
static int enter_name(walk *w, const char *name, uint64_t depth)
{
    const char *where = w->path.size ? w->path.ptr : "/";
    int error;

    if (bad_name(name))
        return sg_error_set(w->ctx, SG_EINVALID, "git tree '%s' has an invalid entry '%s'", where,
                            name);
    if (w->path.size)
        sg_buf_putc(&w->path, '/');
    sg_buf_puts(&w->path, name);
    if ((error = sg_buf_check(&w->path, w->ctx, "a git path")) < 0)
        return error;
    if ((uint64_t)(w->path.size - w->rel) > w->max_len)
        return sg_error_set(w->ctx, SG_ELIMIT,
                            "git path '%s' is longer than the path-length "
                            "limit of %llu bytes",
                            w->path.ptr, (unsigned long long)w->max_len);
    if (depth > w->max_depth)
        return sg_error_set(w->ctx, SG_ELIMIT,
                            "git path '%s' is deeper than the path-depth "
                            "limit of %llu",
                            w->path.ptr, (unsigned long long)w->max_depth);
    return 0;
}

static int walk_entry(walk *w, const git_tree_entry *te, uint64_t depth, uint64_t attr_lines)
{
    unsigned mode = (unsigned)git_tree_entry_filemode_raw(te);
    git_tree *sub = NULL;
    int error;

    if (++w->entries > w->max_entries)
        return sg_error_set(w->ctx, SG_ELIMIT,
                            "git tree has more than %llu entries (the git-tree-entries limit)",
                            (unsigned long long)w->max_entries);
    if ((error = enter_name(w, git_tree_entry_name(te), depth + 1)) < 0)
        return error;
    /* modes as git's checkout reads them (canon_mode): the type bits, then user-exec */
    switch (mode & 0170000) {
    case 0040000:
        if ((error = load_tree(&sub, w, git_tree_entry_id(te), w->path.ptr)) < 0)
            return error;
        error = walk_tree(w, sub, depth + 1, attr_lines);
        git_tree_free(sub);
        return error;
    case 0100000:
        return add_file(w, te, (mode & 0100) ? 1 : 0, attr_lines > 0);
    case 0120000:
        return add_symlink(w, te);
    case 0160000:
        return add_submodule(w, te);
    default:
        return sg_error_set(w->ctx, SG_EINVALID, "git tree entry '%s' has an unknown mode %06o",
                            w->path.ptr, mode);
    }
}

/* Add every entry below tree; attr_lines counts the .gitattributes lines on the way here. */
static int walk_tree(walk *w, const git_tree *tree, uint64_t depth, uint64_t attr_lines)
{
    size_t i, n = git_tree_entrycount(tree), base = w->path.size;
    int error;

    if ((error = add_attr_lines(w, tree, w->path.ptr, &attr_lines)) < 0)
        return error;
    for (i = 0; i < n && !error; i++) {
        error = walk_entry(w, git_tree_entry_byindex(tree, i), depth, attr_lines);
        sg_buf_truncate(&w->path, base);
    }
    return error;
}

/*
 * Normalize subdir into out: leading and trailing slashes, "." and empty segments dropped,
 * ".." refused. out stays empty for the root.
 */
static int normalize_subdir(sg_buf *out, sg_ctx *ctx, const char *subdir, const walk *w)
{
    const char *s = subdir ? subdir : "";
    sg_path_status st;

    while (*s == '/')
        s++;
    st = sg_path_normalize(out, s, strlen(s), 0, NULL, 0, NULL, (size_t)w->max_len,
                           (size_t)w->max_depth);
    if (st == SG_PATH_EMPTY) {
        sg_buf_clear(out);
        return 0;
    }
    if (st == SG_PATH_TOO_LONG || st == SG_PATH_TOO_DEEP)
        return sg_error_set(ctx, SG_ELIMIT, "subdir '%s' %s", subdir, sg_path_status_phrase(st));
    if (st != SG_PATH_OK)
        return sg_error_set(ctx, SG_EINVALID, "subdir '%s' %s", subdir, sg_path_status_phrase(st));
    return sg_buf_check(out, ctx, "a subdir");
}

/*
 * Descend from the root tree to the folder w->path (the normalized subdir), one component at
 * a time, counting the .gitattributes lines of the folders on the way into *attr_lines.
 */
static int descend(git_tree **out, uint64_t *attr_lines, walk *w, git_tree *root,
                   const char *commit_hex)
{
    git_tree *cur = root, *next = NULL;
    sg_buf dir = SG_BUF_INIT;
    const char *name = w->path.ptr, *end = w->path.ptr + w->path.size;
    int error = 0;

    *out = NULL;
    *attr_lines = 0;
    while (name < end) {
        const char *slash = memchr(name, '/', (size_t)(end - name));
        const git_tree_entry *te;
        size_t len = slash ? (size_t)(slash - name) : (size_t)(end - name);

        if ((error = add_attr_lines(w, cur, dir.ptr, attr_lines)) < 0)
            goto done;
        if (dir.size)
            sg_buf_putc(&dir, '/');
        sg_buf_put(&dir, name, len);
        if ((error = sg_buf_check(&dir, w->ctx, "a subdir")) < 0)
            goto done;
        name += len + 1;
        if (bad_name(sg_path_basename(dir.ptr))) {
            error = sg_error_set(w->ctx, SG_EINVALID, "subdir '%s' has an invalid component",
                                 w->path.ptr);
            goto done;
        }
        te = git_tree_entry_byname(cur, sg_path_basename(dir.ptr));
        if (!te) {
            error = sg_error_set(w->ctx, SG_ENOTFOUND, "subdir '%s' not found at commit '%s'",
                                 w->path.ptr, commit_hex);
            goto done;
        }
        if ((git_tree_entry_filemode_raw(te) & 0170000) != 0040000) {
            error = sg_error_set(w->ctx, SG_ENOTFOUND, "subdir '%s' is not a folder at commit '%s'",
                                 w->path.ptr, commit_hex);
            goto done;
        }
        if ((error = load_tree(&next, w, git_tree_entry_id(te), dir.ptr)) < 0)
            goto done;
        if (cur != root)
            git_tree_free(cur);
        cur = next;
        next = NULL;
    }
    *out = cur;
    cur = NULL;
done:
    if (cur && cur != root)
        git_tree_free(cur);
    sg_buf_dispose(&dir);
    return error;
}

/* Parse exactly 40 hex digits. */
static int parse_commit_id(git_oid *id, sg_ctx *ctx, const char *hex)
{
    size_t i;

    for (i = 0; hex && i < GIT_OID_HEXSZ; i++)
        if (sg_hex_digit((unsigned char)hex[i]) < 0)
            break;
    if (!hex || i != GIT_OID_HEXSZ || hex[i] != '\0' || git_oid_fromstr(id, hex) < 0)
        return sg_error_set(ctx, SG_EINVALID, "invalid commit id '%s'", hex ? hex : "");
    return 0;
}

/* The commit's root tree; the commit must exist and fit the size limit. */
static int commit_root(git_tree **out, walk *w, const git_oid *id, const char *commit_hex)
{
    git_commit *commit = NULL;
    size_t len;
    git_object_t type;
    int gerr = git_odb_read_header(&len, &type, w->odb, id), error = 0;

    if (gerr == GIT_ENOTFOUND || (gerr >= 0 && type != GIT_OBJECT_COMMIT))
        return sg_error_set(w->ctx, SG_ENOTFOUND, "commit '%s' not found", commit_hex);
    if (gerr < 0)
        return git_fail(w->ctx, SG_EDEP, "cannot read commit '%s'", commit_hex);
    if ((uint64_t)len > w->max_object)
        return sg_error_set(w->ctx, SG_ELIMIT,
                            "git commit '%s' is larger than the git-blob-size limit", commit_hex);
    if (git_commit_lookup(&commit, w->frepo, id) < 0)
        return git_fail(w->ctx, SG_EDEP, "cannot read commit '%s'", commit_hex);
    error = load_tree(out, w, git_commit_tree_id(commit), "");
    git_commit_free(commit);
    return error;
}

static int make_backend(git_backend **out, sg_ctx *ctx, sg_git_repo *repo, const git_oid *commit,
                        const sg_buf *prefix)
{
    git_backend *b = sg_calloc(1, sizeof(*b));

    *out = NULL;
    if (!b || (b->prefix = sg_strndup(prefix->ptr, prefix->size)) == NULL) {
        sg_free(b);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a git tree");
    }
    if (git_repository_odb(&b->odb, repo->frepo) < 0) {
        sg_free(b->prefix);
        sg_free(b);
        return git_fail(ctx, SG_EDEP, "cannot open the git object database");
    }
    b->repo = repo;
    repo->refs++;
    git_oid_cpy(&b->commit, commit);
    *out = b;
    return 0;
}

int sg_git_tree(sg_tree **out, sg_ctx *ctx, sg_git_repo *repo, const char *commit_hex,
                const char *subdir)
{
    return sg_git_tree_ext(out, ctx, repo, commit_hex, subdir, 0);
}

int sg_git_tree_ext(sg_tree **out, sg_ctx *ctx, sg_git_repo *repo, const char *commit_hex,
                    const char *subdir, unsigned flags)
{
    walk w;
    git_oid id;
    git_tree *root = NULL, *top = NULL;
    git_backend *backend = NULL;
    uint64_t attr_lines = 0;
    int error;

    *out = NULL;
    memset(&w, 0, sizeof(w));
    sg_buf_init(&w.path, 0);
    w.ctx = ctx;
    w.max_entries = sg_ctx_limit(ctx, SG_LIMIT_GIT_TREE_ENTRIES);
    w.max_blob = sg_ctx_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE);
    w.max_object = w.max_blob > sg_limit_default(SG_LIMIT_GIT_BLOB_SIZE)
                       ? w.max_blob
                       : sg_limit_default(SG_LIMIT_GIT_BLOB_SIZE);
    w.max_len = sg_ctx_limit(ctx, SG_LIMIT_PATH_LENGTH);
    w.max_depth = sg_ctx_limit(ctx, SG_LIMIT_PATH_DEPTH);
    w.max_attr_lines = sg_ctx_limit(ctx, SG_LIMIT_IGNORE_RULES);
    w.lazy = (flags & SG_GIT_TREE_LAZY) != 0;
    if (!repo) {
        error = sg_error_set(ctx, SG_EINVALID, "no git repository given");
        goto done;
    }
    w.frepo = repo->frepo;
    if ((error = parse_commit_id(&id, ctx, commit_hex)) < 0 ||
        (error = normalize_subdir(&w.path, ctx, subdir, &w)) < 0)
        goto done;
    if (git_repository_odb(&w.odb, w.frepo) < 0) {
        error = git_fail(ctx, SG_EDEP, "cannot open the git object database");
        goto done;
    }
    if ((error = commit_root(&root, &w, &id, commit_hex)) < 0 ||
        (error = descend(&top, &attr_lines, &w, root, commit_hex)) < 0)
        goto done;
    filter_options(&w.fopts, &id);
    w.rel = w.path.size ? w.path.size + 1 : 0;
    if ((error = make_backend(&backend, ctx, repo, &id, &w.path)) < 0 ||
        (error = sg_tree__builder_new(&w.builder, ctx, &git_backend_ops, backend)) < 0)
        goto done;
    w.backend = backend; /* owned by the builder from here */
    if ((error = walk_tree(&w, top, 0, attr_lines)) < 0)
        goto done;
    error = sg_tree__builder_finish(out, ctx, w.builder);
    w.builder = NULL;
done:
    sg_tree__builder_free(w.builder);
    if (top != root)
        git_tree_free(top);
    git_tree_free(root);
    git_odb_free(w.odb);
    sg_buf_dispose(&w.path);
    return error;
}
