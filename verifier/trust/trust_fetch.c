/*
 * Registry documents other than packuments and tarballs: the signing keys at
 * <registry>/-/npm/v1/keys and the attestations documents at dist.attestations.url, through
 * the cache (trust/<kind>/<host[:port]/path, %-encoded>.json, with a .meta file holding the
 * fetch time, the answer's status and its ETag).
 *
 * The transfer is one GET through the shared HTTP client (verifier/fetch/http.c): the Accept
 * header, the auth token npm would send to the URL (a custom Authorization header, which curl
 * never forwards to another host on a redirect), redirects followed by curl and restricted to
 * http and https, a size bound from the json-size limit, no retries.
 */
#include "common/common.h"

#include <time.h>

#include "verifier/fetch/http_int.h"
#include "verifier/fetch/registry_int.h"
#include "verifier/trust/trust_int.h"

#define META_MAX 1024
#define ETAG_MAX SG_HTTP_ETAG_MAX

/* ---- cache -------------------------------------------------------------------------------- */

typedef struct meta {
    int64_t fetched;         /* when the answer was received */
    long status;             /* 200 or 404 */
    char etag[ETAG_MAX + 1]; /* "" when none */
} meta;

/* "trust/<kind>/<host[:port]/path, %-encoded>" (without extension) into out. */
static int relbase(sg_buf *out, sg_ctx *ctx, const char *kind, const char *url)
{
    sg_url_parts u;
    char key[sizeof(u.host) + sizeof(u.port) + sizeof(u.path) + 4];
    char shown[512];

    if (sg_url__split(&u, url) < 0) { /* named without the credentials it may hold */
        sg_url__redact(shown, sizeof(shown), url);
        return sg_error_set(ctx, SG_EINVALID, "'%.200s' is not an http or https URL", shown);
    }
    sg_url__host_path(key, sizeof(key), &u); /* sized to fit */
    sg_buf_printf(out, "trust/%s/", kind);
    sg_url__escape_name(out, key, NULL);
    return sg_buf_check(out, ctx, "a cache path");
}

/* The cached answer, if any: 1 found (m filled, body for 200), 0 not (or unreadable). */
static int read_cached(meta *m, sg_buf *body, sg_ctx *ctx, sg_cache *cache, const char *base)
{
    sg_buf path = SG_BUF_INIT, raw = SG_BUF_INIT;
    long long fetched = 0;
    long status = 0;
    int had = sg_error_code_of(ctx), found = 0, n = 0;

    memset(m, 0, sizeof(*m));
    sg_buf_printf(&path, "%s.meta", base);
    if (path.error || sg_cache_read(&raw, ctx, cache, path.ptr, META_MAX) < 0)
        goto done;
    if (sscanf(raw.ptr, "fetched %lld\nstatus %ld\n%n", &fetched, &status, &n) != 2 ||
        (status != 200 && status != 404))
        goto done;
    if (strncmp(raw.ptr + n, "etag ", 5) == 0) {
        const char *e = raw.ptr + n + 5, *nl = strchr(e, '\n');
        size_t len = nl ? (size_t)(nl - e) : strlen(e);
        if (len <= ETAG_MAX)
            snprintf(m->etag, sizeof(m->etag), "%.*s", (int)len, e);
    }
    m->fetched = fetched;
    m->status = status;
    sg_buf_clear(&path);
    sg_buf_printf(&path, "%s.json", base);
    if (status == 200 && (path.error || sg_cache_read(body, ctx, cache, path.ptr,
                                                      sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE)) < 0))
        goto done;
    found = 1;
done:
    if (!had)
        sg_error_clear(ctx); /* a missing or bad cache entry is just a miss */
    sg_buf_dispose(&path);
    sg_buf_dispose(&raw);
    return found;
}

static int write_cached(sg_ctx *ctx, sg_cache *cache, const char *base, long status,
                        const char *etag, const sg_buf *body)
{
    sg_buf path = SG_BUF_INIT, m = SG_BUF_INIT;
    int error = 0;

    if (body) {
        sg_buf_printf(&path, "%s.json", base);
        if ((error = sg_buf_check(&path, ctx, "a cache path")) < 0 ||
            (error = sg_cache_write(cache, ctx, path.ptr, body->ptr, body->size)) < 0)
            goto done;
        sg_buf_clear(&path);
    }
    sg_buf_printf(&path, "%s.meta", base);
    sg_buf_printf(&m, "fetched %lld\nstatus %ld\n", (long long)time(NULL), status);
    if (etag && *etag && !strpbrk(etag, "\r\n"))
        sg_buf_printf(&m, "etag %s\n", etag);
    if ((error = sg_buf_check(&path, ctx, "a cache path")) == 0 &&
        (error = sg_buf_check(&m, ctx, "cache metadata")) == 0)
        error = sg_cache_write(cache, ctx, path.ptr, m.ptr, m.size);
done:
    sg_buf_dispose(&path);
    sg_buf_dispose(&m);
    return error;
}

/* ---- transfer ----------------------------------------------------------------------------- */

/*
 * GET url into body through the one HTTP client (verifier/fetch/http.c). These documents have
 * always been fetched with curl following redirects and without retries: a failed fetch is
 * reported (or, offline, answered from the cache), and every status comes back here.
 */
static int http_get(sg_http_resp *resp, sg_buf *body, sg_ctx *ctx, const sg_trust_src *src,
                    const char *url, const char *if_none_match, const char *what)
{
    sg_http_client client = SG_HTTP_CLIENT_INIT;
    sg_http_req rq;
    int error;

    memset(&rq, 0, sizeof(rq));
    rq.url = url;
    rq.what = what;
    rq.accept = "application/json";
    rq.if_none_match = if_none_match;
    rq.config = src->config;
    rq.compressed = 1;
    rq.limit = SG_LIMIT_JSON_SIZE;
    rq.follow = SG_HTTP_FOLLOW_CURL;
    rq.max_retries = -1;
    rq.connect_timeout_ms = src->connect_timeout_ms > 0 ? src->connect_timeout_ms : 10000L;
    rq.total_timeout_ms = src->total_timeout_ms > 0 ? src->total_timeout_ms : 60000L;
    rq.limit_msg_parens = 1;
    rq.body = body;
    error = sg_http__get(resp, ctx, &client, &rq);
    sg_http__client_dispose(&client);
    return error;
}

/* ---- the document ------------------------------------------------------------------------- */

static int parse_doc(cJSON **out, sg_ctx *ctx, const sg_buf *body, const char *what)
{
    int error = sg_json_parse(out, ctx, body->ptr, body->size, what);
    if (error == 0 && !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        error = sg_error_set(ctx, SG_EINVALID, "%s is not a JSON object", what);
    }
    return error;
}

/* The cached answer as the result. */
static int from_cache(cJSON **out, sg_doc_origin *origin, sg_ctx *ctx, const meta *m,
                      const sg_buf *body, sg_doc_origin how, const char *what)
{
    if (m->status != 200) {
        *origin = how == SG_DOC_CACHED ? SG_DOC_ABSENT_CACHED : SG_DOC_ABSENT;
        return 0;
    }
    *origin = how;
    return parse_doc(out, ctx, body, what);
}

int sg_trust__fetch_json(cJSON **out, sg_doc_origin *origin, sg_ctx *ctx, const sg_trust_src *src,
                         const char *url, const char *kind, int64_t max_age_s, const char *what)
{
    sg_buf base = SG_BUF_INIT, cached = SG_BUF_INIT, body = SG_BUF_INIT;
    char shown[512];
    sg_http_resp x;
    meta m;
    int have, lockfd = -1, error;

    *out = NULL;
    *origin = SG_DOC_ABSENT;
    memset(&x, 0, sizeof(x));
    sg_url__redact(shown, sizeof(shown), url);
    if ((error = relbase(&base, ctx, kind, url)) < 0 ||
        (error = sg_cache_lock(&lockfd, ctx, src->cache, base.ptr)) < 0)
        goto done;
    have = read_cached(&m, &cached, ctx, src->cache, base.ptr);
    if (have && (src->offline || max_age_s < 0 || (int64_t)time(NULL) - m.fetched < max_age_s)) {
        error = from_cache(out, origin, ctx, &m, &cached, SG_DOC_CACHED, what);
        goto done;
    }
    if (src->offline) {
        error =
            sg_error_set(ctx, SG_ENOTFOUND, "%s ('%s') is not in the cache (offline)", what, shown);
        goto done;
    }
    if ((error = http_get(&x, &body, ctx, src, url,
                          have && m.status == 200 && m.etag[0] ? m.etag : NULL, what)) < 0)
        goto done;
    if (x.status == 304 && have && m.status == 200) {
        if ((error = from_cache(out, origin, ctx, &m, &cached, SG_DOC_FETCHED, what)) == 0)
            error = write_cached(ctx, src->cache, base.ptr, 200, m.etag, NULL);
    } else if (x.status == 200) {
        if ((error = parse_doc(out, ctx, &body, what)) == 0 &&
            (error = write_cached(ctx, src->cache, base.ptr, 200, x.etag, &body)) == 0)
            *origin = SG_DOC_FETCHED;
    } else if (x.status == 404 || x.status == 400) {
        *origin = SG_DOC_ABSENT;
        error = write_cached(ctx, src->cache, base.ptr, 404, NULL, NULL);
    } else {
        error = sg_error_set(ctx, SG_ENET, "registry answered HTTP %ld for %s at '%s'", x.status,
                             what, shown);
    }
done:
    if (error < 0) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    sg_cache_unlock(lockfd);
    sg_buf_dispose(&base);
    sg_buf_dispose(&cached);
    sg_buf_dispose(&body);
    return error;
}
