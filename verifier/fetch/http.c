/*
 * The one HTTP client (http_int.h): a GET over libcurl with sourcegate's rules.
 *
 * - Protocols: http and https only, for the request and for any redirect.
 * - Credentials: the token npm would send to the URL (nerf-dart rules, npm_config.c) goes in
 *   a custom Authorization header; it is decided again for every hop we follow, and curl
 *   never forwards a custom Authorization header to another host when it follows.
 * - Limits: every body is bounded by a limit from ctx, refused from its Content-Length when
 *   that says too much, and counted as it streams otherwise; a body shorter than its
 *   Content-Length is an error; connect, total and low-speed timeouts.
 * - Retries: transient curl failures, 429 and 5xx, with a doubling backoff or Retry-After.
 * - Errors: curl's codes and messages become SG_ENET / SG_ELIMIT / SG_EDEP, with the URL shown
 *   without its credentials or query.
 * Proxies come from the environment (http_proxy, https_proxy, no_proxy) as curl reads them.
 */
#include "common/common.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "verifier/fetch/http_int.h"
#include "verifier/fetch/registry_int.h"

#define RETRY_AFTER_CAP_S 60 /* longest Retry-After honoured */
#define BACKOFF_CAP_MS 30000 /* longest backoff between retries */
#define LOW_SPEED_BYTES 1024 /* "slower than 1 KiB/s" */
#define USER_AGENT "sourcegate/" SG_VERSION

/* ---- one transfer's state --------------------------------------------------------------- */

typedef struct xfer {
    sg_ctx *ctx;                     /* errors raised inside callbacks */
    const sg_http_req *rq;           /* the request */
    uint64_t limit;                  /* most body bytes accepted */
    const char *url;                 /* current URL, for messages */
    long status;                     /* status of the response being read */
    curl_off_t clen;                 /* its Content-Length, -1 when absent */
    int encoded;                     /* it has a Content-Encoding */
    long retry_after;                /* its Retry-After in seconds, -1 when absent */
    char etag[SG_HTTP_ETAG_MAX + 1]; /* its ETag, "" when absent or unusable */
    uint64_t received;               /* body bytes seen (decoded) */
    int failed;                      /* error raised by a callback (ctx has the message) */
} xfer;

static int body_expected(long status)
{
    return status >= 200 && status != 204 && status != 304;
}

static void shown(char *out, size_t size, const char *url)
{
    sg_url__redact(out, size, url);
}

static int fail_limit(xfer *x)
{
    char u[512];
    shown(u, sizeof(u), x->url);
    if (x->rq->limit_msg_parens)
        x->failed = sg_error_set(x->ctx, SG_ELIMIT,
                                 "%s from '%s' is larger than the %s limit (%" PRIu64 " bytes)",
                                 x->rq->what, u, sg_limit_name(x->rq->limit), x->limit);
    else
        x->failed = sg_error_set(x->ctx, SG_ELIMIT,
                                 "%s from '%s' is larger than the %s limit of %" PRIu64 " bytes",
                                 x->rq->what, u, sg_limit_name(x->rq->limit), x->limit);
    return 0;
}

/* Trimmed header value of a "Name: value" line if name matches (case-insensitive). */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
    size_t n = strlen(name);
    const char *v, *end = line + len;
    if (len <= n || line[n] != ':' || sg_strncasecmp(line, name, n) != 0)
        return NULL;
    v = line + n + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *vlen = (size_t)(end - v);
    return v;
}

/* Digits only, at most 18 of them; -1 otherwise. */
static long long parse_count(const char *v, size_t len)
{
    long long r = 0;
    size_t i;
    if (len == 0 || len > 18)
        return -1;
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        r = r * 10 + (v[i] - '0');
    }
    return r;
}

/* A new response (a 1xx, a redirect curl follows, or the real one): forget the last one. */
static void new_response(xfer *x, const char *line, size_t len)
{
    const char *sp = memchr(line, ' ', len);
    x->status = 0;
    x->clen = -1;
    x->encoded = 0;
    x->retry_after = -1;
    x->etag[0] = '\0';
    x->received = 0;
    if (sp && (size_t)(sp - line) + 4 <= len) {
        long long st = parse_count(sp + 1, 3);
        x->status = st < 0 ? 0 : (long)st;
    }
}

static void keep_etag(xfer *x, const char *v, size_t vlen)
{
    size_t i;
    int ok = vlen > 0 && vlen <= SG_HTTP_ETAG_MAX;
    for (i = 0; ok && i < vlen; i++)
        ok = (unsigned char)v[i] >= 0x20 && (unsigned char)v[i] < 0x7f;
    if (ok) {
        memcpy(x->etag, v, vlen);
        x->etag[vlen] = '\0';
    }
}

static size_t on_header(char *data, size_t size, size_t nitems, void *p)
{
    xfer *x = p;
    size_t len = size * nitems, vlen = 0;
    const char *v;

    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        new_response(x, data, len);
    } else if ((v = header_value(data, len, "content-length", &vlen)) != NULL) {
        x->clen = (curl_off_t)parse_count(v, vlen);
        if (body_expected(x->status) && x->clen >= 0 && (uint64_t)x->clen > x->limit)
            return fail_limit(x); /* refused before any of the body is read */
    } else if ((v = header_value(data, len, "content-encoding", &vlen)) != NULL) {
        x->encoded = vlen > 0 && !(vlen == 8 && sg_strncasecmp(v, "identity", 8) == 0);
    } else if ((v = header_value(data, len, "retry-after", &vlen)) != NULL) {
        long long s = parse_count(v, vlen);
        x->retry_after = s < 0 ? -1 : (s > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S : (long)s);
    } else if ((v = header_value(data, len, "etag", &vlen)) != NULL) {
        keep_etag(x, v, vlen);
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *p)
{
    xfer *x = p;
    size_t len = size * nmemb;
    int rc;

    if (x->received + len > x->limit || x->received + len < x->received)
        return fail_limit(x);
    x->received += len;
    if (!body_expected(x->status) || x->status >= 300)
        return len; /* an error page or a redirect: counted, not kept */
    if (x->rq->body && sg_buf_put(x->rq->body, data, len) < 0) {
        x->failed = sg_buf_check(x->rq->body, x->ctx, x->rq->what);
        return 0;
    }
    if (x->rq->sink.write && (rc = x->rq->sink.write(x->rq->sink.data, x->ctx, data, len)) < 0) {
        x->failed = rc;
        return 0;
    }
    return len;
}

/* Forget the previous attempt's body. */
static int xfer_reset(xfer *x)
{
    new_response(x, "", 0);
    x->failed = 0;
    if (x->rq->body)
        sg_buf_clear(x->rq->body);
    if (x->rq->sink.reset)
        return x->rq->sink.reset(x->rq->sink.data, x->ctx);
    return 0;
}

/* ---- one exchange ----------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Wipe and free a header list (it may hold the Authorization header). */
static void free_headers(struct curl_slist *h)
{
    struct curl_slist *i;
    for (i = h; i; i = i->next) {
        volatile char *c = i->data;
        while (c && *c)
            *c++ = 0;
    }
    curl_slist_free_all(h);
}

static int add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *n = curl_slist_append(*list, line);
    if (!n)
        return -1;
    *list = n;
    return 0;
}

/* The request headers for url: Accept, If-None-Match and the token npm would send there. */
static int build_headers(struct curl_slist **out, sg_ctx *ctx, const sg_http_req *rq,
                         const char *url)
{
    sg_buf line = SG_BUF_INIT;
    const char *token = sg_npm_config__token_for(rq->config, url);
    struct curl_slist *h = NULL;
    int bad = 0;

    *out = NULL;
    sg_buf_printf(&line, "Accept: %s", rq->accept);
    bad |= line.error || add_header(&h, line.ptr);
    if (rq->if_none_match) {
        sg_buf_clear(&line);
        sg_buf_printf(&line, "If-None-Match: %s", rq->if_none_match);
        bad |= line.error || add_header(&h, line.ptr);
    }
    if (token) {
        sg_buf_clear(&line);
        sg_buf_printf(&line, "Authorization: Bearer %s", token);
        bad |= line.error || add_header(&h, line.ptr);
    }
    if (line.asize)
        memset(line.ptr, 0, line.asize);
    sg_buf_dispose(&line);
    if (bad) {
        free_headers(h);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for request headers");
    }
    *out = h;
    return 0;
}

/* The options of one exchange: the policy of this file, in one place. */
static CURLcode set_options(CURL *c, sg_http_client *client, xfer *x, const char *url,
                            struct curl_slist *headers)
{
    const sg_http_req *rq = x->rq;
    CURLcode rc = CURLE_OK;
#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (rq->follow == SG_HTTP_FOLLOW_CURL) {
        SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
        SETOPT(CURLOPT_MAXREDIRS, (long)SG_HTTP_MAX_REDIRECTS);
        SETOPT(CURLOPT_UNRESTRICTED_AUTH, 0L); /* no credentials to another host */
    } else {
        SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    }
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_ERRORBUFFER, client->errbuf);
    SETOPT(CURLOPT_HTTPHEADER, headers);
    SETOPT(CURLOPT_USERAGENT, USER_AGENT);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, rq->total_timeout_ms);
    if (rq->low_speed_time_s > 0) {
        SETOPT(CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
        SETOPT(CURLOPT_LOW_SPEED_TIME, rq->low_speed_time_s);
    }
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->limit);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, x);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, x);
    if (rq->compressed)
        SETOPT(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding curl can decode */
#undef SETOPT
    return rc;
}

/* One HTTP exchange. Returns curl's code; setup errors set x->failed. */
static CURLcode perform_once(sg_http_client *client, xfer *x, const char *url)
{
    struct curl_slist *headers = NULL;
    CURL *c = client->curl;
    CURLcode rc;

    curl_easy_reset(c);
    client->errbuf[0] = '\0';
    if (build_headers(&headers, x->ctx, x->rq, url) < 0) {
        x->failed = SG_ENOMEM;
        return CURLE_OUT_OF_MEMORY;
    }
    if ((rc = set_options(c, client, x, url, headers)) != CURLE_OK) {
        x->failed = sg_error_set(x->ctx, SG_EDEP, "cannot set up a curl request: %s",
                                 curl_easy_strerror(rc));
    } else {
        client->requests++;
        rc = curl_easy_perform(c);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    free_headers(headers);
    return rc;
}

/* ---- retries and redirects -------------------------------------------------------------- */

static int transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static long backoff_ms(const sg_http_req *rq, int attempt)
{
    long d = rq->retry_base_ms;
    int i;
    for (i = 0; i < attempt && d < BACKOFF_CAP_MS; i++)
        d *= 2;
    return d > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : d;
}

static int is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* A body cut short: curl reports most (CURLE_PARTIAL_FILE); this catches what it lets by. */
static int check_length(sg_http_client *client, xfer *x, const char *u)
{
    curl_off_t got = 0;
    curl_easy_getinfo(client->curl, CURLINFO_SIZE_DOWNLOAD_T, &got);
    if (body_expected(x->status) && !x->encoded && x->clen >= 0 && got != x->clen)
        return sg_error_set(x->ctx, SG_ENET,
                            "%s from '%s' has %" CURL_FORMAT_CURL_OFF_T
                            " bytes, not the %" CURL_FORMAT_CURL_OFF_T " of its Content-Length",
                            x->rq->what, u, got, x->clen);
    return 0;
}

/* One attempt's outcome: 0 done, 1 retry after *delay_ms, <0 error (set in ctx). */
static int judge_attempt(sg_http_client *client, xfer *x, CURLcode rc, int attempt, long *delay_ms)
{
    const sg_http_req *rq = x->rq;
    char u[512];

    if (x->failed)
        return x->failed;
    shown(u, sizeof(u), x->url);
    if (rc == CURLE_FILESIZE_EXCEEDED) {
        fail_limit(x);
        return x->failed;
    }
    if (rc != CURLE_OK) {
        if (attempt < rq->max_retries && transient(rc)) {
            *delay_ms = backoff_ms(rq, attempt);
            return 1;
        }
        return sg_error_set(x->ctx, SG_ENET, "cannot fetch %s from '%s': %s%s", rq->what, u,
                            client->errbuf[0] ? client->errbuf : curl_easy_strerror(rc),
                            attempt ? " (after retries)" : "");
    }
    curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE, &x->status);
    if (rq->max_retries >= 0 && (x->status == 429 || (x->status >= 500 && x->status <= 599))) {
        if (attempt < rq->max_retries) {
            *delay_ms = x->retry_after >= 0 ? x->retry_after * 1000 : backoff_ms(rq, attempt);
            return 1;
        }
        return sg_error_set(x->ctx, SG_ENET, "registry answered HTTP %ld for %s at '%s' (%d %s)",
                            x->status, rq->what, u, attempt + 1, attempt ? "attempts" : "attempt");
    }
    return check_length(client, x, u);
}

/* Exchanges with url until one is final (retrying what the request allows). */
static int attempts(sg_http_client *client, xfer *x, const char *url)
{
    int attempt, error = 0;
    x->url = url;
    for (attempt = 0;; attempt++) {
        long delay = 0;
        CURLcode rc;
        if ((error = xfer_reset(x)) < 0)
            return error;
        rc = perform_once(client, x, url);
        if ((error = judge_attempt(client, x, rc, attempt, &delay)) <= 0)
            return error;
        sleep_ms(delay);
    }
}

/* After a redirect to loc: 0 to follow it (url replaced), 1 to stop, <0 error. */
static int next_hop(sg_buf *url, sg_ctx *ctx, const sg_http_req *rq, int hop, const char *loc)
{
    sg_url_parts parts;
    char u[512], l[512];

    shown(u, sizeof(u), rq->url);
    if (hop >= SG_HTTP_MAX_REDIRECTS)
        return sg_error_set(ctx, SG_ENET, "too many redirects (more than %d) fetching %s from '%s'",
                            SG_HTTP_MAX_REDIRECTS, rq->what, u);
    if (sg_url__split(&parts, loc) < 0) {
        shown(l, sizeof(l), loc);
        return sg_error_set(ctx, SG_ENET,
                            "'%s' redirects to '%s', which is not an http or https URL", u, l);
    }
    sg_buf_clear(url);
    if (sg_buf_puts(url, loc) < 0)
        return sg_buf_check(url, ctx, "a URL");
    return 0;
}

static int client_ready(sg_http_client *client, sg_ctx *ctx)
{
    if (client->curl)
        return 0;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK || !(client->curl = curl_easy_init()))
        return sg_error_set(ctx, SG_EDEP, "cannot initialize libcurl");
    return 0;
}

int sg_http__get(sg_http_resp *out, sg_ctx *ctx, sg_http_client *client, const sg_http_req *req)
{
    sg_buf url = SG_BUF_INIT;
    xfer x;
    int hop, error;

    memset(out, 0, sizeof(*out));
    memset(&x, 0, sizeof(x));
    if ((error = client_ready(client, ctx)) < 0)
        return error;
    x.ctx = ctx;
    x.rq = req;
    x.limit = sg_ctx_limit(ctx, req->limit);
    if (sg_buf_puts(&url, req->url) < 0)
        return sg_buf_check(&url, ctx, "a URL");
    for (hop = 0;; hop++) {
        char *loc = NULL;
        if ((error = attempts(client, &x, url.ptr)) < 0)
            goto done;
        if (req->follow != SG_HTTP_FOLLOW_HOPS || !is_redirect(x.status))
            break;
        if (curl_easy_getinfo(client->curl, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc)
            break; /* a redirect without Location: the caller sees the status */
        if ((error = next_hop(&url, ctx, req, hop, loc)) < 0)
            goto done;
    }
    out->status = x.status;
    memcpy(out->etag, x.etag, sizeof(out->etag));
done:
    sg_buf_dispose(&url);
    return error;
}

void sg_http__client_dispose(sg_http_client *client)
{
    if (client && client->curl) {
        curl_easy_cleanup(client->curl);
        client->curl = NULL;
    }
}
