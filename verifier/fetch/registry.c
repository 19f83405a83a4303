/*
 * The npm registry client (registry.h): packuments and tarballs over libcurl, through the cache.
 *
 * The transfers go through the shared HTTP client (http.c), one client (one easy handle,
 * connections pooled) per sg_registry. Its redirects are followed hop by hop
 * (SG_HTTP_FOLLOW_HOPS) rather than by curl, so each hop gets its own auth decision (npm's
 * nerf-dart rules on the new URL: a token never follows a redirect to another host), its own
 * size accounting and a clear "too many redirects" error; transient failures are retried.
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verifier/fetch/http_int.h"
#include "verifier/fetch/integrity_int.h"
#include "verifier/fetch/registry_int.h"

#define MAX_RETRIES_CAP 10
#define ETAG_MAX SG_HTTP_ETAG_MAX
#define NAME_MAX_LEN 214 /* npm's limit on package names */

struct sg_registry {
    sg_cache *cache;             /* packuments and tarballs (borrowed) */
    const sg_npm_config *config; /* registries and tokens (borrowed, may be NULL) */
    int offline;                 /* no network at all */
    long connect_timeout_ms;     /* per connection */
    long total_timeout_ms;       /* per request */
    long low_speed_time_s;       /* abort below 1 KiB/s for this long */
    int max_retries;             /* extra attempts on transient failures */
    long retry_base_ms;          /* first backoff delay */
    sg_http_client http;         /* its handle is made on first network use */
    sg_registry_stats stats;     /* counters (requests: from http) */
};

/* ---- names and cache paths -------------------------------------------------------------- */

static int name_char_ok(char c)
{
    /* what encodeURIComponent leaves alone: npm requires URL-safe names */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-_.!~*'()", c) != NULL;
}

static int name_part_ok(const char *p, size_t len)
{
    size_t i;
    if (len == 0 || p[0] == '.')
        return 0;
    for (i = 0; i < len; i++)
        if (!name_char_ok(p[i]) || p[i] == '\0')
            return 0;
    return 1;
}

int sg_registry__escape_name(sg_buf *out, sg_ctx *ctx, const char *name)
{
    size_t len = name ? strlen(name) : 0;
    const char *slash = name ? strchr(name, '/') : NULL;
    int ok;

    if (len == 0 || len > NAME_MAX_LEN)
        ok = 0;
    else if (name[0] == '@')
        ok = slash && name_part_ok(name + 1, (size_t)(slash - name - 1)) &&
             name_part_ok(slash + 1, len - (size_t)(slash + 1 - name));
    else
        ok = !slash && name_part_ok(name, len);
    if (!ok)
        return sg_error_set(ctx, SG_EINVALID, "'%.*s' is not a valid npm package name",
                            len > 250 ? 250 : (int)len, name ? name : "");
    sg_buf_clear(out);
    if (slash) {
        sg_buf_put(out, name, (size_t)(slash - name));
        sg_buf_puts(out, "%2f");
        sg_buf_puts(out, slash + 1);
    } else {
        sg_buf_puts(out, name);
    }
    return sg_buf_check(out, ctx, "a package name");
}

/* "packuments/<host[:port][%2fpath]>/<escaped>" (without extension) into out. */
static int packument_relbase(sg_buf *out, sg_ctx *ctx, const char *registry, const char *escaped)
{
    sg_url_parts u;
    char key[sizeof(u.host) + sizeof(u.port) + sizeof(u.path) + 4];
    size_t klen;

    if (sg_url__split(&u, registry) < 0)
        return sg_error_set(ctx, SG_EINVALID, "registry URL is not an http or https URL");
    klen = strlen(u.path);
    while (klen && u.path[klen - 1] == '/')
        u.path[--klen] = '\0';
    sg_url__host_path(key, sizeof(key), &u); /* sized to fit */
    sg_buf_clear(out);
    sg_buf_puts(out, "packuments/");
    sg_url__escape_name(out, key, ":[]");
    sg_buf_printf(out, "/%s", escaped);
    return sg_buf_check(out, ctx, "a cache path");
}

static void tarball_relpath(char *out, size_t size, const unsigned char sha512[64])
{
    char hex[129];
    sg_hex(hex, sha512, 64);
    snprintf(out, size, "tarballs/sha512/%.2s/%s.tgz", hex, hex);
}

static void sha1_index_relpath(char *out, size_t size, const char sha1hex[41])
{
    snprintf(out, size, "tarballs/sha1/%.2s/%s.sha512", sha1hex, sha1hex);
}

/* Run f-like cache reads whose "not found" is expected: forget that error when ctx was clean. */
static void forget_expected(sg_ctx *ctx, int had_error, int rc)
{
    if (!had_error && rc < 0)
        sg_error_clear(ctx);
}

/* ---- transfers -------------------------------------------------------------------------- */

static void shown(char *out, size_t size, const char *url)
{
    sg_url__redact(out, size, url);
}

/* A GET with this client's settings: we follow redirects ourselves (see the top of the file). */
static void request_init(sg_http_req *rq, const sg_registry *reg, const char *url, const char *what,
                         const char *accept, sg_limit limit, sg_buf *body)
{
    memset(rq, 0, sizeof(*rq));
    rq->url = url;
    rq->what = what;
    rq->accept = accept;
    rq->limit = limit;
    rq->body = body;
    rq->config = reg->config;
    rq->follow = SG_HTTP_FOLLOW_HOPS;
    rq->max_retries = reg->max_retries;
    rq->retry_base_ms = reg->retry_base_ms;
    rq->connect_timeout_ms = reg->connect_timeout_ms;
    rq->total_timeout_ms = reg->total_timeout_ms;
    rq->low_speed_time_s = reg->low_speed_time_s;
}

/* A tarball download goes to a cache file and the digests while it streams. */
typedef struct tarball_sink {
    int fd;        /* the temporary cache file */
    sg_digests *d; /* running digests */
} tarball_sink;

static int tarball_write(void *data, sg_ctx *ctx, const void *bytes, size_t len)
{
    tarball_sink *s = data;
    if (sg_fd_write_all(s->fd, bytes, len, 0) < 0)
        return sg_error_set(ctx, SG_EIO, "cannot write tarball to the cache: %s", strerror(errno));
    if (sg_integrity__digests_update(s->d, bytes, len) < 0)
        return sg_error_set(ctx, SG_ECRYPTO, "cannot hash tarball");
    return 0;
}

static int tarball_reset(void *data, sg_ctx *ctx)
{
    tarball_sink *s = data;
    if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
        return sg_error_set(ctx, SG_EIO, "cannot reset a temporary file: %s", strerror(errno));
    return sg_integrity__digests_begin(s->d, ctx);
}

/* GET a tarball into bytes, the cache file fd and the digests d (d->want set). */
static int download_tarball(sg_http_resp *x, sg_ctx *ctx, sg_registry *reg, const char *url,
                            sg_buf *bytes, int fd, sg_digests *d)
{
    tarball_sink sink;
    sg_http_req rq;

    sink.fd = fd;
    sink.d = d;
    request_init(&rq, reg, url, "tarball", "*/*", SG_LIMIT_TARBALL_BYTES, bytes);
    rq.sink.write = tarball_write;
    rq.sink.reset = tarball_reset;
    rq.sink.data = &sink;
    return sg_http__get(x, ctx, &reg->http, &rq);
}

/* ---- lifecycle -------------------------------------------------------------------------- */

int sg_registry_new(sg_registry **out, sg_ctx *ctx, const sg_registry_opts *opts)
{
    sg_registry *reg;

    *out = NULL;
    if (!opts || !opts->cache)
        return sg_error_set(ctx, SG_EINVALID, "the registry client needs a cache");
    if (!(reg = sg_calloc(1, sizeof(*reg))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for the registry client");
    reg->cache = opts->cache;
    reg->config = opts->config;
    reg->offline = opts->offline;
    reg->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
    reg->total_timeout_ms = opts->total_timeout_ms > 0 ? opts->total_timeout_ms : 120000;
    reg->low_speed_time_s = opts->low_speed_time_s > 0 ? opts->low_speed_time_s : 30;
    reg->max_retries = opts->max_retries < 0                 ? 0
                       : opts->max_retries == 0              ? 3
                       : opts->max_retries > MAX_RETRIES_CAP ? MAX_RETRIES_CAP
                                                             : opts->max_retries;
    reg->retry_base_ms = opts->retry_base_ms > 0 ? opts->retry_base_ms : 500;
    *out = reg;
    return 0;
}

void sg_registry_free(sg_registry *reg)
{
    if (!reg)
        return;
    sg_http__client_dispose(&reg->http);
    sg_free(reg);
}

void sg_registry_stats_get(const sg_registry *reg, sg_registry_stats *out)
{
    *out = reg->stats;
    out->requests = reg->http.requests;
}

/* ---- packuments ------------------------------------------------------------------------- */

int sg_registry__parse_packument(cJSON **out, sg_ctx *ctx, const char *data, size_t len,
                                 const char *name)
{
    char what[300];
    cJSON *doc = NULL;
    const char *got;
    int error;

    *out = NULL;
    snprintf(what, sizeof(what), "packument of '%s'", name);
    if ((error = sg_json_parse(&doc, ctx, data, len, what)) < 0)
        return error;
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return sg_error_set(ctx, SG_EINVALID, "%s is not a JSON object", what);
    }
    got = sg_json_str(doc, "name");
    if (got && strcmp(got, name) != 0) {
        error = sg_error_set(ctx, SG_EINVALID,
                             "registry returned the packument of '%.100s' for "
                             "'%s'",
                             got, name);
        cJSON_Delete(doc);
        return error;
    }
    *out = doc;
    return 0;
}

typedef struct pk_paths {
    sg_buf json; /* relpath of the packument */
    sg_buf etag; /* relpath of its ETag */
    sg_buf lock; /* lock name guarding the pair */
} pk_paths;

/* The cached packument (parsed) and its ETag, if any; read errors count as "not cached". */
static void read_cached(cJSON **doc, sg_buf *etag, sg_ctx *ctx, sg_registry *reg,
                        const pk_paths *pp, const char *name)
{
    sg_buf raw = SG_BUF_INIT;
    int had = sg_error_code_of(ctx), lockfd = -1, rc;

    *doc = NULL;
    rc = sg_cache_lock(&lockfd, ctx, reg->cache, pp->lock.ptr);
    forget_expected(ctx, had, rc);
    rc = sg_cache_read(&raw, ctx, reg->cache, pp->json.ptr, sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE));
    forget_expected(ctx, had, rc);
    if (rc == 0) {
        rc = sg_registry__parse_packument(doc, ctx, raw.ptr, raw.size, name);
        forget_expected(ctx, had, rc);
    }
    if (*doc) {
        rc = sg_cache_read(etag, ctx, reg->cache, pp->etag.ptr, ETAG_MAX);
        forget_expected(ctx, had, rc);
        if (rc < 0 || memchr(etag->ptr, '\n', etag->size) || memchr(etag->ptr, '\r', etag->size))
            sg_buf_clear(etag);
    }
    sg_cache_unlock(lockfd);
    sg_buf_dispose(&raw);
}

/* Store a fresh packument and its ETag (or drop a stale ETag) under the pair's lock. */
static int write_cached(sg_ctx *ctx, sg_registry *reg, const pk_paths *pp, const sg_buf *body,
                        const char *etag)
{
    sg_buf path = SG_BUF_INIT;
    int lockfd = -1, error;

    if ((error = sg_cache_lock(&lockfd, ctx, reg->cache, pp->lock.ptr)) < 0)
        goto done;
    if ((error = sg_cache_write(reg->cache, ctx, pp->json.ptr, body->ptr, body->size)) < 0)
        goto done;
    if (etag[0]) {
        error = sg_cache_write(reg->cache, ctx, pp->etag.ptr, etag, strlen(etag));
    } else if ((error = sg_cache_path(&path, ctx, reg->cache, pp->etag.ptr)) == 0 &&
               unlink(path.ptr) < 0 && errno != ENOENT) {
        error = sg_error_set(ctx, SG_EIO, "cannot remove '%s': %s", path.ptr, strerror(errno));
    }
done:
    sg_cache_unlock(lockfd);
    sg_buf_dispose(&path);
    return error;
}

static int packument_paths(pk_paths *pp, sg_buf *url, sg_ctx *ctx, const sg_registry *reg,
                           const char *name)
{
    sg_buf esc = SG_BUF_INIT, base = SG_BUF_INIT;
    const char *registry = sg_npm_config_registry_for(reg->config, name);
    int error;

    if ((error = sg_registry__escape_name(&esc, ctx, name)) < 0 ||
        (error = packument_relbase(&base, ctx, registry, esc.ptr)) < 0)
        goto done;
    sg_buf_printf(url, "%s%s", registry, esc.ptr);
    sg_buf_printf(&pp->json, "%s.json", base.ptr);
    sg_buf_printf(&pp->etag, "%s.etag", base.ptr);
    sg_buf_puts(&pp->lock, base.ptr);
    if ((error = sg_buf_check(url, ctx, "a URL")) < 0 ||
        (error = sg_buf_check(&pp->json, ctx, "a cache path")) < 0 ||
        (error = sg_buf_check(&pp->etag, ctx, "a cache path")) < 0)
        goto done;
    error = sg_buf_check(&pp->lock, ctx, "a lock name");
done:
    sg_buf_dispose(&esc);
    sg_buf_dispose(&base);
    return error;
}

int sg_registry_packument(cJSON **out, sg_ctx *ctx, sg_registry *reg, const char *name)
{
    pk_paths pp = {SG_BUF_INIT, SG_BUF_INIT, SG_BUF_INIT};
    sg_buf url = SG_BUF_INIT, etag = SG_BUF_INIT, body = SG_BUF_INIT;
    cJSON *cached = NULL, *doc = NULL;
    char what[300], u[512];
    sg_http_req rq;
    sg_http_resp x;
    int error;

    *out = NULL;
    memset(&x, 0, sizeof(x));
    if ((error = packument_paths(&pp, &url, ctx, reg, name)) < 0)
        goto done;
    snprintf(what, sizeof(what), "packument of '%s'", name);
    request_init(&rq, reg, url.ptr, what, "application/json", SG_LIMIT_JSON_SIZE, &body);
    rq.compressed = 1;
    shown(u, sizeof(u), url.ptr);
    read_cached(&cached, &etag, ctx, reg, &pp, name);
    if (reg->offline) {
        if (!cached)
            error =
                sg_error_set(ctx, SG_ENOTFOUND, "package '%s' is not in the cache (offline)", name);
        doc = cached;
        cached = NULL;
        goto done;
    }
    if (cached && etag.size)
        rq.if_none_match = etag.ptr;
    if ((error = sg_http__get(&x, ctx, &reg->http, &rq)) < 0)
        goto done;
    if (x.status == 304 && rq.if_none_match) {
        reg->stats.not_modified++;
        doc = cached;
        cached = NULL;
    } else if (x.status == 200) {
        if ((error = sg_registry__parse_packument(&doc, ctx, body.ptr, body.size, name)) < 0)
            goto done;
        error = write_cached(ctx, reg, &pp, &body, x.etag);
    } else if (x.status == 404) {
        error = sg_error_set(ctx, SG_ENOTFOUND,
                             "package '%s' is not in the registry ('%s' "
                             "answered HTTP 404)",
                             name, u);
    } else {
        error = sg_error_set(ctx, SG_ENET, "registry answered HTTP %ld for %s at '%s'", x.status,
                             what, u);
    }
done:
    if (error < 0) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    *out = doc;
    cJSON_Delete(cached);
    sg_buf_dispose(&pp.json);
    sg_buf_dispose(&pp.etag);
    sg_buf_dispose(&pp.lock);
    sg_buf_dispose(&url);
    sg_buf_dispose(&etag);
    sg_buf_dispose(&body);
    return error;
}

/* ---- tarballs --------------------------------------------------------------------------- */

/* The cached tarball's relpath for what e expects, via sha512 or the sha1 index; 0 or -1. */
static int cached_relpath(char *out, size_t size, sg_ctx *ctx, sg_registry *reg,
                          const sg_sri_expect *e)
{
    unsigned char sha512[64];
    size_t i;

    for (i = 0; i < e->nhashes; i++) {
        if (e->hashes[i].alg == SG_SRI_SHA512 &&
            sg_integrity__b64_decode(sha512, sizeof(sha512), e->hashes[i].b64) == 64) {
            tarball_relpath(out, size, sha512);
            return 0;
        }
    }
    if (e->shasum[0] || e->strongest == SG_SRI_SHA1) {
        char rel[128], hexbuf[41];
        sg_buf ptr = SG_BUF_INIT;
        int had = sg_error_code_of(ctx), rc = 0;
        if (e->shasum[0]) {
            memcpy(hexbuf, e->shasum, sizeof(hexbuf));
        } else {
            unsigned char sha1[20];
            for (i = 0; i < e->nhashes && e->hashes[i].alg != SG_SRI_SHA1; i++)
                ;
            if (sg_integrity__b64_decode(sha1, sizeof(sha1), e->hashes[i].b64) != 20)
                return -1;
            sg_hex(hexbuf, sha1, 20);
        }
        sha1_index_relpath(rel, sizeof(rel), hexbuf);
        rc = sg_cache_read(&ptr, ctx, reg->cache, rel, 256);
        forget_expected(ctx, had, rc);
        if (rc == 0 && ptr.size == 128 && strspn(ptr.ptr, "0123456789abcdef") == 128)
            snprintf(out, size, "tarballs/sha512/%.2s/%s.tgz", ptr.ptr, ptr.ptr);
        else
            rc = -1;
        sg_buf_dispose(&ptr);
        return rc < 0 ? -1 : 0;
    }
    return -1;
}

/*
 * A tarball from the cache: 1 when found and it matches e (bytes in *bytes), 0 when absent
 * or unusable (a corrupt file is removed), <0 on a mismatch worth reporting (offline).
 */
static int tarball_from_cache(sg_buf *bytes, sg_ctx *ctx, sg_registry *reg, const sg_sri_expect *e,
                              const char *shown_url)
{
    char rel[256], want_rel[256];
    sg_digests d;
    int had = sg_error_code_of(ctx), rc;

    memset(&d, 0, sizeof(d));
    if (cached_relpath(rel, sizeof(rel), ctx, reg, e) < 0)
        return 0;
    rc = sg_cache_read(bytes, ctx, reg->cache, rel, sg_ctx_limit(ctx, SG_LIMIT_TARBALL_BYTES));
    forget_expected(ctx, had, rc);
    if (rc < 0)
        return 0;
    sg_integrity__wants(&d, e);
    if ((rc = sg_integrity__digest_bytes(&d, ctx, bytes->ptr, bytes->size)) < 0)
        return rc;
    tarball_relpath(want_rel, sizeof(want_rel), d.out[SG_SRI_SHA512]);
    if (strcmp(rel, want_rel) != 0) { /* the file is not what its name says: drop it */
        sg_buf path = SG_BUF_INIT;
        if (sg_cache_path(&path, ctx, reg->cache, rel) == 0)
            unlink(path.ptr);
        forget_expected(ctx, had, -1);
        sg_buf_dispose(&path);
        sg_buf_clear(bytes);
        return 0;
    }
    if ((rc = sg_integrity__check(ctx, e, &d, shown_url)) == 0)
        return 1;
    sg_buf_clear(bytes);
    if (reg->offline)
        return rc;
    forget_expected(ctx, had, rc); /* let the network give the definitive answer */
    return 0;
}

/* Move a verified download into place and index it by sha1. */
static int tarball_commit(sg_ctx *ctx, sg_registry *reg, int fd, const char *tmp,
                          const sg_digests *d)
{
    char rel[256], hex512[129], hex1[41];
    int error;

    tarball_relpath(rel, sizeof(rel), d->out[SG_SRI_SHA512]);
    if ((error = sg_cache__commit(ctx, reg->cache, fd, tmp, rel)) < 0)
        return error;
    sg_hex(hex512, d->out[SG_SRI_SHA512], 64);
    sg_hex(hex1, d->out[SG_SRI_SHA1], 20);
    sha1_index_relpath(rel, sizeof(rel), hex1);
    return sg_cache_write(reg->cache, ctx, rel, hex512, 128);
}

static int bytes_out(unsigned char **out, size_t *len, sg_ctx *ctx, sg_buf *b)
{
    char *p = sg_buf_detach(b, len);
    if (!p)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for tarball bytes");
    *out = (unsigned char *)p;
    return 0;
}

int sg_registry_tarball(unsigned char **out, size_t *len, sg_ctx *ctx, sg_registry *reg,
                        const char *url, const char *integrity, const char *shasum)
{
    sg_buf bytes = SG_BUF_INIT, tmp = SG_BUF_INIT;
    sg_url_parts parts;
    sg_sri_expect e;
    sg_digests d;
    sg_http_resp x;
    char u[512];
    int fd = -1, error, rc;

    *out = NULL;
    *len = 0;
    memset(&d, 0, sizeof(d));
    memset(&x, 0, sizeof(x));
    shown(u, sizeof(u), url);
    if (!url || sg_url__split(&parts, url) < 0) {
        error = sg_error_set(ctx, SG_EINVALID, "tarball URL '%s' is not an http or https URL", u);
        goto done;
    }
    if ((error = sg_integrity__parse(&e, ctx, integrity, shasum, u)) < 0)
        goto done;
    if ((rc = tarball_from_cache(&bytes, ctx, reg, &e, u)) != 0) {
        if (rc > 0) {
            reg->stats.cache_hits++;
            error = bytes_out(out, len, ctx, &bytes);
        } else {
            error = rc;
        }
        goto done;
    }
    if (reg->offline) {
        error = sg_error_set(ctx, SG_ENOTFOUND, "tarball '%s' is not in the cache (offline)", u);
        goto done;
    }
    if ((error = sg_cache__tmpfile(&fd, &tmp, ctx, reg->cache)) < 0)
        goto done;
    sg_integrity__wants(&d, &e);
    if ((error = download_tarball(&x, ctx, reg, url, &bytes, fd, &d)) < 0)
        goto done;
    if (x.status == 404) {
        error = sg_error_set(ctx, SG_ENOTFOUND, "tarball '%s' not found (HTTP 404)", u);
        goto done;
    }
    if (x.status != 200) {
        error =
            sg_error_set(ctx, SG_ENET, "registry answered HTTP %ld for tarball '%s'", x.status, u);
        goto done;
    }
    if ((error = sg_integrity__digests_end(&d, ctx)) < 0 ||
        (error = sg_integrity__check(ctx, &e, &d, u)) < 0)
        goto done;
    error = tarball_commit(ctx, reg, fd, tmp.ptr, &d);
    fd = -1; /* closed by the commit, whatever happened */
    if (error == 0)
        error = bytes_out(out, len, ctx, &bytes);
done:
    if (fd >= 0) { /* not committed: the bytes never reach the cache */
        close(fd);
        unlink(tmp.ptr);
    }
    sg_integrity__digests_dispose(&d);
    sg_buf_dispose(&bytes);
    sg_buf_dispose(&tmp);
    return error;
}
