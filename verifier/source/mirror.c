/*
 * Bare git mirrors in the cache: git/<host>/<path>.git, one per canonical repository URL.
 *
 * A mirror is made or updated under the cache lock named by its folder (the name
 * sg_cache_prune uses too), so two processes never fetch into one mirror at once. A new
 * mirror is initialized and fetched in "<folder>.partial" and renamed into place only after
 * its first fetch succeeded: an interrupted first fetch never leaves an empty mirror that a
 * later --offline run would take for a repository without tags. Later runs fetch into the
 * existing mirror; libgit2 negotiates what the mirror has, so only new objects travel. Before
 * fetching, the upstream's advertised branches and tags are compared with the mirror's: when
 * they are the same nothing is fetched. A local upstream (file:// URL or absolute path, what
 * --git-rewrite makes for air-gapped use and tests) has its object files hard-linked or
 * copied in first, as `git clone --local` does, so the fetch only moves refs.
 *
 * The fetch uses an anonymous remote with our refspecs and without the user's insteadOf
 * (rewrites were applied by the caller; the result must not depend on ~/.gitconfig); the
 * mirror's config records remote "origin" for people and tools that look at it.
 *
 * The remote "origin" fetches every branch and every tag (forced refspecs onto the same names)
 * with prune and all tags, so the mirror shows the repository as it is now: a moved tag is
 * moved, a deleted branch is gone (its commits stay in the object database, which lets
 * resolution name them unreachable). Its URL is updated when a rewrite changed.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "common/common.h"
#include "verifier/source/source_int.h"

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RELPATH 400

static const char *const fetch_specs[] = {
    "+refs/heads/*:refs/heads/*",
    "+refs/tags/*:refs/tags/*",
};

static pthread_once_t mirror_git_once = PTHREAD_ONCE_INIT;
static int mirror_git_init_result;

static void mirror_git_init(void)
{
    mirror_git_init_result = git_libgit2_init();
}

static int git_ready(sg_ctx *ctx)
{
    pthread_once(&mirror_git_once, mirror_git_init);
    if (mirror_git_init_result < 0)
        return sg_error_set(ctx, SG_EDEP, "cannot initialize libgit2");
    return 0;
}

static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* ------------------------------------------------------------------------------------------ */
/* The mirror's folder                                                                         */

static int safe_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Append one segment s[0..len) sanitized; *changed is set when a byte had to change. */
static void put_segment(sg_buf *out, const char *s, size_t len, int *changed)
{
    size_t i;

    if (s[0] == '.') { /* ".", "..", ".hidden": never a special name on disk */
        sg_buf_putc(out, '_');
        *changed = 1;
    }
    for (i = 0; i < len; i++) {
        if (safe_byte(s[i])) {
            sg_buf_putc(out, s[i]);
        } else {
            sg_buf_putc(out, '_');
            *changed = 1;
        }
    }
}

int sg_mirror__relpath(sg_buf *out, sg_ctx *ctx, const char *canonical)
{
    const char *p = canonical, *sep, *end;
    size_t nseg = 0, last_start = 0;
    int changed = 0, error;
    unsigned char digest[32];
    char hex[65];

    if (!canonical || !*canonical)
        return sg_error_set(ctx, SG_EINVALID, "empty repository URL for a mirror");
    sg_buf_clear(out);
    sg_buf_puts(out, "git");
    sep = strstr(p, "://");
    /* only https (and http, which canonicalizes to it) names a folder plainly: a file:// or
     * ssh URL for "host/x" must not share the mirror of https://host/x */
    if (!sep || !((sep - p == 5 && sg_strncasecmp(p, "https", 5) == 0) ||
                  (sep - p == 4 && sg_strncasecmp(p, "http", 4) == 0)))
        changed = 1;
    if (sep) {
        size_t b, e;
        p = sep + 3;
        /* credentials (up to the last '@' before the first '/') never name a folder */
        if (sg_url_userinfo(&b, &e, canonical, strlen(canonical), "/"))
            p = canonical + e + 1;
    }
    end = p + strcspn(p, "?#");
    while (p < end) {
        size_t len = strcspn(p, "/?#");
        if (len) {
            sg_buf_putc(out, '/');
            last_start = out->size;
            put_segment(out, p, len, &changed);
            nseg++;
        }
        p += len;
        if (p < end)
            p++;
    }
    if (nseg < 2) /* a host and at least one path segment */
        changed = 1;
    if (nseg == 0) {
        sg_buf_puts(out, "/_");
        last_start = out->size - 1;
    }
    if (out->size - last_start < 4 || strcmp(out->ptr + out->size - 4, ".git") != 0)
        sg_buf_puts(out, ".git");
    if ((error = sg_buf_check(out, ctx, "a mirror path")) < 0)
        return error;
    if (!changed && out->size <= MAX_RELPATH)
        return 0;
    /* keep distinct URLs apart: "a b" and "a_b" must not share a mirror */
    if ((error = sg_sha256(digest, ctx, canonical, strlen(canonical))) < 0)
        return error;
    sg_hex(hex, digest, 6);
    sg_buf_truncate(out, out->size - 4);
    if (out->size > MAX_RELPATH)
        sg_buf_truncate(out, MAX_RELPATH);
    sg_buf_printf(out, "-%s.git", hex);
    return sg_buf_check(out, ctx, "a mirror path");
}

/* ------------------------------------------------------------------------------------------ */
/* Removing a stale partial mirror                                                             */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

static int remove_tree(sg_ctx *ctx, const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return errno == ENOENT
                   ? 0
                   : sg_error_set(ctx, SG_EIO, "cannot inspect '%s': %s", path, strerror(errno));
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
        return sg_error_set(ctx, SG_EIO, "cannot remove '%s': %s", path, strerror(errno));
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Fetching                                                                                    */

/* Credentials: the ssh agent once for ssh URLs (a rewrite may point at ssh); nothing else,
 * so a server asking for a password fails instead of looping. */
/* What the fetch callbacks share. */
typedef struct fetch_cb {
    int attempts;      /* credentials asked for */
    sg_ctx *ctx;       /* where progress goes */
    const char *shown; /* the URL without credentials, for progress */
} fetch_cb;

static int credentials(git_credential **out, const char *url, const char *user_from_url,
                       unsigned int allowed, void *payload)
{
    int *attempts = &((fetch_cb *)payload)->attempts;

    (void)url;
    if ((*attempts)++ > 0)
        return GIT_PASSTHROUGH;
    if (allowed & GIT_CREDENTIAL_SSH_KEY)
        return git_credential_ssh_key_from_agent(out, user_from_url ? user_from_url : "git");
    return GIT_PASSTHROUGH;
}

/* The libgit2 message with the URL's credentials (if any) blanked out: the userinfo of a URL
 * with "://" whose authority ends at the first '/' (an scp-like "user@host:path" is left). */
static void scrub(char *msg, const char *url)
{
    size_t b, e, ulen, i, mlen = strlen(msg);

    if (!strstr(url, "://") || !sg_url_userinfo(&b, &e, url, strlen(url), "/") || e == b)
        return;
    ulen = e - b;
    for (i = 0; i + ulen <= mlen; i++)
        if (memcmp(msg + i, url + b, ulen) == 0)
            memset(msg + i, '*', ulen);
}

/* libgit2's answer when the repository is not there (or not public): a 404, GitHub's 401 for
 * a missing or private repository, a local path that holds no repository. Anything else
 * (DNS, connect, TLS, timeout, a 5xx) is the network's fault, not the release's. */
static int repository_missing(int rc, const char *msg)
{
    static const char *const needles[] = {"404", "not found", "could not find repository",
                                          "does not exist", "authentication required"};
    char lower[512];
    size_t i;
    if (rc == GIT_ENOTFOUND || rc == GIT_EAUTH)
        return 1;
    for (i = 0; msg[i] && i + 1 < sizeof(lower); i++)
        lower[i] = (char)(msg[i] >= 'A' && msg[i] <= 'Z' ? msg[i] + 32 : msg[i]);
    lower[i] = '\0';
    for (i = 0; i < SG_ARRAY_SIZE(needles); i++)
        if (strstr(lower, needles[i]))
            return 1;
    return 0;
}

static int fetch_error(sg_ctx *ctx, const char *url, int rc)
{
    char msg[512];
    sg_buf q = SG_BUF_INIT;
    int code;

    snprintf(msg, sizeof(msg), "%s", git_message());
    scrub(msg, url);
    sg_source__quote_url(&q, url);
    if (repository_missing(rc, msg))
        code = sg_error_set(ctx, SG_ENOTFOUND,
                            "repository '%s' does not exist or is not "
                            "public: %s",
                            q.ptr, msg);
    else
        code = sg_error_set(ctx, SG_ENET, "cannot fetch '%s': %s", q.ptr, msg);
    sg_buf_dispose(&q);
    return code;
}

/* Record origin's URL and refspecs in the mirror's configuration (for people and tools that
 * look at the mirror; the fetch itself uses an anonymous remote, below). Written only when
 * they differ, so an unchanged mirror's config file is not rewritten on every run. */
static int record_origin(sg_ctx *ctx, git_repository *repo, const char *url)
{
    git_config *cfg = NULL;
    git_config_iterator *it = NULL;
    git_config_entry *e = NULL;
    git_buf cur = GIT_BUF_INIT;
    size_t n = 0;
    int error = 0, same;

    if (git_repository_config(&cfg, repo) < 0)
        goto fail;
    same =
        git_config_get_string_buf(&cur, cfg, "remote.origin.url") == 0 && strcmp(cur.ptr, url) == 0;
    if (!same && git_config_set_string(cfg, "remote.origin.url", url) < 0)
        goto fail;
    same = git_config_multivar_iterator_new(&it, cfg, "remote.origin.fetch", NULL) == 0;
    while (same && git_config_next(&e, it) == 0) {
        same = n < SG_ARRAY_SIZE(fetch_specs) && strcmp(e->value, fetch_specs[n]) == 0;
        n++;
    }
    git_config_iterator_free(it);
    if (!same || n != SG_ARRAY_SIZE(fetch_specs)) {
        /* only for a mirror whose refspecs someone changed: a new mirror gets them written by
         * write_origin_section (libgit2 1.5 leaks pcre2 match data when set_multivar's
         * pattern matches nothing, which is how a value is added) */
        int derr = git_config_delete_multivar(cfg, "remote.origin.fetch", ".*");
        if ((derr < 0 && derr != GIT_ENOTFOUND) ||
            git_config_set_multivar(cfg, "remote.origin.fetch", "^$", fetch_specs[0]) < 0 ||
            git_config_set_multivar(cfg, "remote.origin.fetch", "^$", fetch_specs[1]) < 0)
            goto fail;
    }
    goto done;
fail:
    error = sg_error_set(ctx, SG_EDEP, "cannot configure the mirror's remote: %s", git_message());
done:
    git_buf_dispose(&cur);
    git_config_free(cfg);
    return error;
}

/* An anonymous remote for url: no insteadOf from the user's git config (our rewrites were
 * applied already, and fetching must not depend on ~/.gitconfig), no default refspec (the
 * fetch passes ours). */
static int anonymous_remote(git_remote **out, sg_ctx *ctx, git_repository *repo, const char *url)
{
    git_remote_create_options o = GIT_REMOTE_CREATE_OPTIONS_INIT;

    o.repository = repo;
    o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (git_remote_create_with_opts(out, url, &o) < 0)
        return sg_error_set(ctx, SG_EDEP, "cannot make a remote: %s", git_message());
    return 0;
}

static int mirrored_ref(const char *name)
{
    size_t n = strlen(name);
    return (strncmp(name, "refs/heads/", 11) == 0 || strncmp(name, "refs/tags/", 10) == 0) &&
           !(n > 3 && strcmp(name + n - 3, "^{}") == 0);
}

/* 1 when the mirror's branches and tags are exactly those the remote advertises, so a fetch
 * would change nothing. Cheap on every transport, and it matters for file:// URLs: libgit2's
 * local transport packs everything an advertised annotated tag reaches on every fetch, even
 * what the mirror has. 0 when something differs or the listing failed (the fetch then runs
 * and reports the failure). */
static int up_to_date(git_repository *repo, git_remote *remote, const git_fetch_options *opts)
{
    const git_remote_head **heads = NULL;
    git_reference_iterator *it = NULL;
    const char *name;
    size_t n = 0, i, matched = 0, local = 0;
    int same = 0;

    if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &opts->callbacks, &opts->proxy_opts, NULL) <
            0 ||
        git_remote_ls(&heads, &n, remote) < 0)
        goto done;
    same = 1;
    for (i = 0; i < n && same; i++) {
        git_oid id;
        if (!mirrored_ref(heads[i]->name))
            continue;
        same = git_reference_name_to_id(&id, repo, heads[i]->name) == 0 &&
               git_oid_equal(&id, &heads[i]->oid);
        matched++;
    }
    if (same && git_reference_iterator_new(&it, repo) == 0) {
        while (git_reference_next_name(&name, it) == 0)
            local += mirrored_ref(name);
        same = local == matched;
    } else {
        same = 0;
    }
done:
    git_reference_iterator_free(it);
    git_remote_disconnect(remote);
    git_error_clear();
    return same;
}

/* ------------------------------------------------------------------------------------------ */
/* file:// upstreams: objects copied as files                                                  */

/* The objects folder of the repository a file:// URL (or an absolute path) names into out; 0
 * when url names no readable local repository (the fetch then reports what is wrong). */
static int local_objects(sg_buf *out, const char *url)
{
    sg_buf path = SG_BUF_INIT;
    git_repository *src = NULL;
    git_buf objects = GIT_BUF_INIT;
    int found = 0;

    if (url[0] == '/') /* a plain path: libgit2 takes it as a local repository too */
        sg_buf_puts(&path, url);
    else if (sg_strncasecmp(url, "file://", 7) != 0 || sg_git__file_url_path(&path, url) != 0)
        goto done;
    if (path.error == 0 &&
        git_repository_open_ext(&src, path.ptr, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0 &&
        git_repository_item_path(&objects, src, GIT_REPOSITORY_ITEM_OBJECTS) == 0) {
        sg_buf_clear(out);
        sg_buf_puts(out, objects.ptr);
        found = out->error == 0;
    }
done:
    git_error_clear();
    git_buf_dispose(&objects);
    git_repository_free(src);
    sg_buf_dispose(&path);
    return found;
}

/* Make dst a copy of src: a hard link when the file system allows, else bytes written to a
 * temporary file renamed into place. Returns 1 when it copied, 0 when dst existed. */
static int copy_object_file(sg_ctx *ctx, const char *src, const char *dst)
{
    sg_buf tmp = SG_BUF_INIT;
    char buf[65536];
    struct stat st;
    FILE *in = NULL, *out = NULL;
    size_t n;
    int error = 0;

    if (lstat(dst, &st) == 0)
        return 0;
    if (link(src, dst) == 0)
        return 1;
    sg_buf_printf(&tmp, "%s.tmp-%ld", dst, (long)getpid());
    if ((error = sg_buf_check(&tmp, ctx, "a mirror path")) < 0)
        goto done;
    if ((in = fopen(src, "rb")) == NULL || (out = fopen(tmp.ptr, "wb")) == NULL)
        goto fail;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            goto fail;
    n = ferror(in) ? 1 : 0;
    if (fclose(out) != 0 || n) {
        out = NULL;
        goto fail;
    }
    out = NULL;
    chmod(tmp.ptr, 0444);
    if (rename(tmp.ptr, dst) < 0)
        goto fail;
    error = 1;
    goto done;
fail:
    error = sg_error_set(ctx, SG_EIO, "cannot copy git object file '%s': %s", src, strerror(errno));
    unlink(tmp.ptr);
done:
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    sg_buf_dispose(&tmp);
    return error;
}

/* Objects in a pack index (v1 or v2): the last entry of its fan-out table. */
static size_t idx_objects(const char *path)
{
    unsigned char b[8 + 1024];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(b, 1, sizeof(b), f) : 0, at;

    if (f)
        fclose(f);
    at = n >= 8 && memcmp(b, "\377tOc", 4) == 0 ? 8 + 255 * 4 : 255 * 4;
    if (n < at + 4)
        return 0;
    return (size_t)b[at] << 24 | (size_t)b[at + 1] << 16 | (size_t)b[at + 2] << 8 | b[at + 3];
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Copy the files of one objects subfolder (a loose "xx" folder, or "pack" with pass 0 for
 * .pack files and pass 1 for their .idx, so an index never appears before its pack); *copied
 * counts the objects brought in. */
static int copy_object_dir(sg_ctx *ctx, const char *src, const char *dst, const char *sub, int pass,
                           size_t *copied)
{
    sg_buf s = SG_BUF_INIT, d = SG_BUF_INIT, sf = SG_BUF_INIT, df = SG_BUF_INIT;
    DIR *dir = NULL;
    struct dirent *e;
    int error;

    sg_buf_printf(&s, "%s/%s", src, sub);
    sg_buf_printf(&d, "%s/%s", dst, sub);
    if ((error = sg_buf_check(&s, ctx, "a path")) < 0 ||
        (error = sg_buf_check(&d, ctx, "a path")) < 0 || (dir = opendir(s.ptr)) == NULL)
        goto done;
    if (mkdir(d.ptr, 0755) < 0 && errno != EEXIST) {
        error = sg_error_set(ctx, SG_EIO, "cannot create '%s': %s", d.ptr, strerror(errno));
        goto done;
    }
    while (!error && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp-"))
            continue;
        if (pass >= 0 && !has_suffix(e->d_name, pass == 0 ? ".pack" : ".idx"))
            continue;
        sg_buf_clear(&sf);
        sg_buf_clear(&df);
        sg_buf_printf(&sf, "%s/%s", s.ptr, e->d_name);
        sg_buf_printf(&df, "%s/%s", d.ptr, e->d_name);
        if ((error = sg_buf_check(&sf, ctx, "a path")) < 0 ||
            (error = sg_buf_check(&df, ctx, "a path")) < 0)
            break;
        if ((error = copy_object_file(ctx, sf.ptr, df.ptr)) > 0) {
            *copied += pass < 0 ? 1 : pass == 1 ? idx_objects(df.ptr) : 0;
            error = 0;
        }
    }
done:
    if (dir)
        closedir(dir);
    sg_buf_dispose(&s);
    sg_buf_dispose(&d);
    sg_buf_dispose(&sf);
    sg_buf_dispose(&df);
    return error;
}

/* For a file:// upstream, bring its object files (packs and loose objects) into the mirror
 * before fetching, as `git clone --local` does: the fetch then finds every object present
 * and only updates refs. libgit2's local transport would instead build a pack in process,
 * with every object an advertised annotated tag reaches (seconds for a repository the size
 * of axios, on every update). Objects reached through the upstream's alternates are not
 * copied; the fetch transfers those. */
static int sync_local_objects(sg_ctx *ctx, git_repository *repo, const char *url, size_t *copied)
{
    sg_buf src = SG_BUF_INIT;
    git_buf dst = GIT_BUF_INIT;
    git_odb *odb = NULL;
    DIR *dir = NULL;
    struct dirent *e;
    int error = 0;

    if (!local_objects(&src, url))
        goto done;
    if (git_repository_item_path(&dst, repo, GIT_REPOSITORY_ITEM_OBJECTS) < 0) {
        error = sg_error_set(ctx, SG_EDEP, "cannot find the mirror's objects: %s", git_message());
        goto done;
    }
    if ((error = copy_object_dir(ctx, src.ptr, dst.ptr, "pack", 0, copied)) < 0 ||
        (error = copy_object_dir(ctx, src.ptr, dst.ptr, "pack", 1, copied)) < 0)
        goto done;
    if ((dir = opendir(src.ptr)) == NULL)
        goto done;
    while (!error && (e = readdir(dir)) != NULL)
        if (strlen(e->d_name) == 2 && sg_hex_digit((unsigned char)e->d_name[0]) >= 0 &&
            sg_hex_digit((unsigned char)e->d_name[1]) >= 0)
            error = copy_object_dir(ctx, src.ptr, dst.ptr, e->d_name, -1, copied);
    if (!error && git_repository_odb(&odb, repo) == 0)
        git_odb_refresh(odb);
done:
    if (dir)
        closedir(dir);
    git_odb_free(odb);
    git_buf_dispose(&dst);
    sg_buf_dispose(&src);
    return error;
}

/* Objects received so far, for a person watching (sourcegate/progress.h). */
static int on_transfer(const git_indexer_progress *stats, void *payload)
{
    fetch_cb *cb = payload;
    sg_progress_update(cb->ctx, "fetch", cb->shown, stats->received_objects, stats->total_objects,
                       "objects");
    return 0;
}

static int fetch(sg_ctx *ctx, git_repository *repo, const char *url, size_t *received)
{
    git_remote *remote = NULL;
    git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
    git_strarray specs = {(char **)fetch_specs, SG_ARRAY_SIZE(fetch_specs)};
    sg_buf shown = SG_BUF_INIT;
    fetch_cb cb = {0, NULL, NULL};
    size_t copied = 0;
    int error, started = 0;

    if ((error = record_origin(ctx, repo, url)) < 0 ||
        (error = anonymous_remote(&remote, ctx, repo, url)) < 0)
        goto done;
    opts.prune = GIT_FETCH_PRUNE;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    opts.update_fetchhead = 0;
    opts.follow_redirects = GIT_REMOTE_REDIRECT_INITIAL;
    opts.proxy_opts.type = GIT_PROXY_AUTO;
    if (sg_url_redact(&shown, url, strlen(url), "/", "***") < 0)
        sg_buf_clear(&shown);
    cb.ctx = ctx;
    cb.shown = shown.size ? shown.ptr : "a repository";
    opts.callbacks.credentials = credentials;
    opts.callbacks.transfer_progress = on_transfer;
    opts.callbacks.payload = &cb;
    sg_progress_start(ctx, "fetch", cb.shown);
    started = 1;
    if (up_to_date(repo, remote, &opts))
        goto done;
    cb.attempts = 0;
    if ((error = sync_local_objects(ctx, repo, url, &copied)) < 0)
        goto done;
    if ((error = git_remote_fetch(remote, &specs, &opts, "sourcegate: fetch")) < 0) {
        error = fetch_error(ctx, url, error);
        goto done;
    }
    if (received)
        *received = copied + git_remote_stats(remote)->received_objects;
    /* the whole count, local copies included (a file: upstream sends nothing over the wire) */
    sg_progress_update(ctx, "fetch", cb.shown, copied + git_remote_stats(remote)->received_objects,
                       copied + git_remote_stats(remote)->total_objects, "objects");
done:
    if (started)
        sg_progress_end(ctx, "fetch", cb.shown, error == 0);
    git_remote_free(remote);
    sg_buf_dispose(&shown);
    return error;
}

/* Append the [remote "origin"] section to a new mirror's config file (see record_origin). */
static int write_origin_section(sg_ctx *ctx, const char *gitdir, const char *url)
{
    sg_buf path = SG_BUF_INIT, text = SG_BUF_INIT;
    const char *p;
    FILE *f = NULL;
    int error;

    sg_buf_printf(&path, "%s/config", gitdir);
    sg_buf_puts(&text, "[remote \"origin\"]\n\turl = \"");
    for (p = url; *p; p++) { /* a git config value: quote, escape '"' and '\\' */
        if (*p == '"' || *p == '\\')
            sg_buf_putc(&text, '\\');
        sg_buf_putc(&text, *p == '\n' ? ' ' : *p);
    }
    sg_buf_printf(&text, "\"\n\tfetch = %s\n\tfetch = %s\n", fetch_specs[0], fetch_specs[1]);
    if ((error = sg_buf_check(&path, ctx, "a mirror path")) < 0 ||
        (error = sg_buf_check(&text, ctx, "a mirror configuration")) < 0)
        goto done;
    if ((f = fopen(path.ptr, "a")) == NULL || fwrite(text.ptr, 1, text.size, f) != text.size) {
        error = sg_error_set(ctx, SG_EIO, "cannot write '%s': %s", path.ptr, strerror(errno));
        goto done;
    }
done:
    if (f && fclose(f) != 0 && !error)
        error = sg_error_set(ctx, SG_EIO, "cannot write '%s': %s", path.ptr, strerror(errno));
    sg_buf_dispose(&path);
    sg_buf_dispose(&text);
    return error;
}

/* A new mirror: init + fetch in <path>.partial, then rename into place. */
static int create_mirror(sg_ctx *ctx, const char *path, const char *url, size_t *received)
{
    git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    git_repository *repo = NULL;
    sg_buf partial = SG_BUF_INIT;
    int error;

    sg_buf_printf(&partial, "%s.partial", path);
    if ((error = sg_buf_check(&partial, ctx, "a mirror path")) < 0 ||
        (error = remove_tree(ctx, partial.ptr)) < 0) /* stale: we hold the lock */
        goto done;
    io.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
    io.mode = GIT_REPOSITORY_INIT_SHARED_UMASK;
    io.initial_head = "main";
    if (git_repository_init_ext(&repo, partial.ptr, &io) < 0) {
        error = sg_error_set(ctx, SG_EIO, "cannot create the mirror '%s': %s", partial.ptr,
                             git_message());
        goto done;
    }
    git_repository_free(repo);
    repo = NULL;
    if ((error = write_origin_section(ctx, partial.ptr, url)) < 0)
        goto done;
    if (git_repository_open_bare(&repo, partial.ptr) < 0) {
        error = sg_error_set(ctx, SG_EDEP, "cannot open the new mirror '%s': %s", partial.ptr,
                             git_message());
        goto done;
    }
    if ((error = fetch(ctx, repo, url, received)) < 0)
        goto done;
    git_repository_free(repo);
    repo = NULL;
    if (rename(partial.ptr, path) < 0)
        error = sg_error_set(ctx, SG_EIO, "cannot move the mirror into '%s': %s", path,
                             strerror(errno));
done:
    git_repository_free(repo);
    if (error < 0 && partial.size)
        remove_tree(NULL, partial.ptr);
    sg_buf_dispose(&partial);
    return error;
}

/* Fetch into an existing mirror; a folder that is not a repository is made anew. */
static int update_mirror(sg_ctx *ctx, const char *path, const char *url, size_t *received)
{
    git_repository *repo = NULL;
    int error = 0, gerr;

    gerr = git_repository_open_ext(&repo, path,
                                   GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL);
    if (gerr == GIT_ENOTFOUND) { /* damaged (e.g. removed by hand halfway): start over */
        if ((error = remove_tree(ctx, path)) < 0)
            goto done;
        error = create_mirror(ctx, path, url, received);
        goto done;
    }
    if (gerr < 0) {
        error = sg_error_set(ctx, SG_EDEP, "cannot open the mirror '%s': %s", path, git_message());
        goto done;
    }
    error = fetch(ctx, repo, url, received);
done:
    git_repository_free(repo);
    return error;
}

int sg_mirror__open(sg_git_repo **out, sg_ctx *ctx, sg_cache *cache, const char *canonical,
                    const char *url, int offline, size_t *received)
{
    sg_buf rel = SG_BUF_INIT, path = SG_BUF_INIT;
    struct stat st;
    size_t i;
    int error, fd = -1, exists;

    *out = NULL;
    if (received)
        *received = 0;
    if (!cache || !url || !*url)
        return sg_error_set(ctx, SG_EINVALID, "no cache or URL for a git mirror");
    for (i = 0; url[i]; i++)
        if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f)
            return sg_error_set(ctx, SG_EINVALID, "control character in git URL");
    if ((error = git_ready(ctx)) < 0 || (error = sg_mirror__relpath(&rel, ctx, canonical)) < 0 ||
        (error = sg_cache_path(&path, ctx, cache, rel.ptr)) < 0)
        goto done;
    if (!offline) {
        if ((error = sg_cache_lock(&fd, ctx, cache, rel.ptr)) < 0)
            goto done;
        exists = stat(path.ptr, &st) == 0;
        error = exists ? update_mirror(ctx, path.ptr, url, received)
                       : create_mirror(ctx, path.ptr, url, received);
        sg_cache_unlock(fd);
        if (error < 0)
            goto done;
    } else if (stat(path.ptr, &st) != 0 || !S_ISDIR(st.st_mode)) {
        sg_buf q = SG_BUF_INIT;
        sg_source__quote_url(&q, canonical);
        error = sg_error_set(ctx, SG_ENOTFOUND, "no mirror of '%s' in the cache (offline)", q.ptr);
        sg_buf_dispose(&q);
        goto done;
    }
    error = sg_git_repo_open(out, ctx, path.ptr);
    /* Mark the mirror used, so cache prune judges it by its last use, offline ones too. */
    if (error == 0)
        utimensat(AT_FDCWD, path.ptr, NULL, 0);
done:
    sg_buf_dispose(&rel);
    sg_buf_dispose(&path);
    return error;
}

int sg_mirror_open(sg_git_repo **out, sg_ctx *ctx, sg_cache *cache, const char *canonical,
                   const char *url, int offline)
{
    return sg_mirror__open(out, ctx, cache, canonical, url, offline, NULL);
}
