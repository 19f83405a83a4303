/*
 * The npm registry client (registry.h): packuments and tarballs over libcurl, through the cache.
 *
 * One easy handle per sg_registry, reset before every request (connections stay pooled).
 * Redirects are followed here rather than by curl, so each hop gets its own auth decision
 * (npm's nerf-dart rules on the new URL: a token never follows a redirect to another host),
 * its own size accounting and a clear "too many redirects" error. Proxies come from the
 * environment (http_proxy, https_proxy, no_proxy) exactly as curl reads them.
 */
#include "common/common.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "verifier/fetch/integrity_int.h"
#include "verifier/fetch/registry_int.h"

#define MAX_REDIRECTS 5
#define MAX_RETRIES_CAP 10
#define RETRY_AFTER_CAP_S 60 /* longest Retry-After honoured */
#define BACKOFF_CAP_MS 30000 /* longest backoff between retries */
#define ETAG_MAX 256
#define LOW_SPEED_BYTES 1024 /* "slower than 1 KiB/s" */
#define NAME_MAX_LEN 214     /* npm's limit on package names */
#define USER_AGENT "sourcegate/" SG_VERSION

struct sg_registry {
    sg_cache *cache;              /* packuments and tarballs (borrowed) */
    const sg_npm_config *config;  /* registries and tokens (borrowed, may be NULL) */
    int offline;                  /* no network at all */
    long connect_timeout_ms;      /* per connection */
    long total_timeout_ms;        /* per request */
    long low_speed_time_s;        /* abort below LOW_SPEED_BYTES/s for this long */
    int max_retries;              /* extra attempts on transient failures */
    long retry_base_ms;           /* first backoff delay */
    CURL *curl;                   /* made on first network use */
    sg_registry_stats stats;      /* counters */
    char errbuf[CURL_ERROR_SIZE]; /* curl's message for the last transfer */
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
    static const char hex[] = "0123456789abcdef";
    sg_url_parts u;
    char key[sizeof(u.host) + sizeof(u.port) + sizeof(u.path) + 4];
    size_t i, klen;

    if (sg_registry__url_split(&u, registry) < 0)
        return sg_error_set(ctx, SG_EINVALID, "registry URL is not an http or https URL");
    klen = strlen(u.path);
    while (klen && u.path[klen - 1] == '/')
        u.path[--klen] = '\0';
    snprintf(key, sizeof(key), "%s%s%s%s", u.host, u.port[0] ? ":" : "", u.port, u.path);
    sg_buf_clear(out);
    sg_buf_puts(out, "packuments/");
    for (i = 0; key[i]; i++) {
        unsigned char c = (unsigned char)key[i];
        int plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == ':' || c == '[' || c == ']' || (c == '.' && i > 0) ||
                    (c >= 'A' && c <= 'Z');
        if (plain) {
            sg_buf_putc(out, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            sg_buf_put(out, esc, 3);
        }
    }
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

typedef struct req {
    const char *accept;        /* Accept header */
    const char *if_none_match; /* conditional request, or NULL */
    int compressed;            /* let curl ask for and decode gzip/deflate/br */
    sg_limit limit;            /* which limit bounds the body */
    const char *what;          /* "packument of 'x'", "tarball": messages */
} req;

typedef struct xfer {
    sg_ctx *ctx;             /* errors raised inside callbacks */
    uint64_t limit;          /* most body bytes accepted */
    sg_limit limit_id;       /* its name for messages */
    const char *what;        /* for messages */
    const char *url;         /* current URL, for messages */
    sg_buf *mem;             /* a 2xx body is kept here (NULL: not kept) */
    int fd;                  /* ... and written here (-1: not written) */
    sg_digests *dg;          /* ... and hashed (NULL: not hashed) */
    long status;             /* status of the response being read */
    curl_off_t clen;         /* its Content-Length, -1 when absent */
    int encoded;             /* it has a Content-Encoding */
    long retry_after;        /* its Retry-After in seconds, -1 when absent */
    char etag[ETAG_MAX + 1]; /* its ETag, "" when absent or unusable */
    uint64_t received;       /* body bytes seen (decoded) */
    int failed;              /* error raised by a callback (ctx has the message), 0 when none */
} xfer;

static int body_expected(long status)
{
    return status >= 200 && status != 204 && status != 304;
}

static void shown(char *out, size_t size, const char *url)
{
    sg_registry__url_redact(out, size, url);
}

static int fail_limit(xfer *x)
{
    char u[512];
    shown(u, sizeof(u), x->url);
    x->failed = sg_error_set(x->ctx, SG_ELIMIT,
                             "%s from '%s' is larger than the %s limit of %" PRIu64 " bytes",
                             x->what, u, sg_limit_name(x->limit_id), x->limit);
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

static size_t on_header(char *data, size_t size, size_t nitems, void *p)
{
    xfer *x = p;
    size_t len = size * nitems, vlen = 0;
    const char *v;

    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* a new response (a 1xx, or the real one): forget the previous one's headers */
        const char *sp = memchr(data, ' ', len);
        x->status = 0;
        x->clen = -1;
        x->encoded = 0;
        x->retry_after = -1;
        x->etag[0] = '\0';
        if (sp && (size_t)(sp - data) + 4 <= len) {
            long long st = parse_count(sp + 1, 3);
            x->status = st < 0 ? 0 : (long)st;
        }
        return len;
    }
    if ((v = header_value(data, len, "content-length", &vlen)) != NULL) {
        x->clen = (curl_off_t)parse_count(v, vlen);
        if (body_expected(x->status) && x->clen >= 0 && (uint64_t)x->clen > x->limit)
            return fail_limit(x); /* refused before any of the body is read */
    } else if ((v = header_value(data, len, "content-encoding", &vlen)) != NULL) {
        x->encoded = vlen > 0 && !(vlen == 8 && sg_strncasecmp(v, "identity", 8) == 0);
    } else if ((v = header_value(data, len, "retry-after", &vlen)) != NULL) {
        long long s = parse_count(v, vlen);
        x->retry_after = s < 0 ? -1 : (s > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S : (long)s);
    } else if ((v = header_value(data, len, "etag", &vlen)) != NULL) {
        size_t i;
        int ok = vlen > 0 && vlen <= ETAG_MAX;
        for (i = 0; ok && i < vlen; i++)
            ok = (unsigned char)v[i] >= 0x20 && (unsigned char)v[i] < 0x7f;
        if (ok) {
            memcpy(x->etag, v, vlen);
            x->etag[vlen] = '\0';
        }
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *p)
{
    xfer *x = p;
    size_t len = size * nmemb;

    if (x->received + len > x->limit || x->received + len < x->received)
        return fail_limit(x);
    x->received += len;
    if (!body_expected(x->status) || x->status >= 300)
        return len; /* an error page or a redirect: counted, not kept */
    if (x->mem && sg_buf_put(x->mem, data, len) < 0) {
        x->failed = sg_buf_check(x->mem, x->ctx, x->what);
        return 0;
    }
    if (x->fd >= 0 && sg_cache__write_all(x->fd, data, len) < 0) {
        x->failed = sg_error_set(x->ctx, SG_EIO, "cannot write %s to the cache: %s", x->what,
                                 strerror(errno));
        return 0;
    }
    if (x->dg && sg_integrity__digests_update(x->dg, data, len) < 0) {
        x->failed = sg_error_set(x->ctx, SG_ECRYPTO, "cannot hash %s", x->what);
        return 0;
    }
    return len;
}

/* Forget the previous attempt's body. */
static int xfer_reset(xfer *x)
{
    x->status = 0;
    x->clen = -1;
    x->encoded = 0;
    x->retry_after = -1;
    x->etag[0] = '\0';
    x->received = 0;
    x->failed = 0;
    if (x->mem)
        sg_buf_clear(x->mem);
    if (x->fd >= 0 && (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0))
        return sg_error_set(x->ctx, SG_EIO, "cannot reset a temporary file: %s", strerror(errno));
    if (x->dg)
        return sg_integrity__digests_begin(x->dg, x->ctx);
    return 0;
}

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
static int build_headers(struct curl_slist **out, sg_ctx *ctx, const sg_registry *reg,
                         const req *rq, const char *url)
{
    sg_buf line = SG_BUF_INIT;
    const char *token = sg_npm_config__token_for(reg->config, url);
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

/* One HTTP exchange, no redirects followed. Returns curl's code; setup errors set x->failed. */
static CURLcode perform_once(sg_registry *reg, xfer *x, const req *rq, const char *url)
{
    struct curl_slist *headers = NULL;
    CURL *c = reg->curl;
    CURLcode rc = CURLE_OK;

    curl_easy_reset(c);
    reg->errbuf[0] = '\0';
    if (build_headers(&headers, x->ctx, reg, rq, url) < 0) {
        x->failed = SG_ENOMEM;
        return CURLE_OUT_OF_MEMORY;
    }
#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_ERRORBUFFER, reg->errbuf);
    SETOPT(CURLOPT_HTTPHEADER, headers);
    SETOPT(CURLOPT_USERAGENT, USER_AGENT);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, reg->connect_timeout_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, reg->total_timeout_ms);
    SETOPT(CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
    SETOPT(CURLOPT_LOW_SPEED_TIME, reg->low_speed_time_s);
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->limit);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, x);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, x);
    if (rq->compressed)
        SETOPT(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding curl can decode */
#undef SETOPT
    if (rc != CURLE_OK) {
        x->failed = sg_error_set(x->ctx, SG_EDEP, "cannot set up a curl request: %s",
                                 curl_easy_strerror(rc));
    } else {
        reg->stats.requests++;
        rc = curl_easy_perform(c);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    free_headers(headers);
    return rc;
}

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

static long backoff_ms(const sg_registry *reg, int attempt)
{
    long d = reg->retry_base_ms;
    int i;
    for (i = 0; i < attempt && d < BACKOFF_CAP_MS; i++)
        d *= 2;
    return d > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : d;
}

static int is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* One attempt's outcome: 0 done, 1 retry after *delay_ms, <0 error (set in ctx). */
static int judge_attempt(sg_registry *reg, xfer *x, CURLcode rc, int attempt, long *delay_ms)
{
    char u[512];
    curl_off_t got = 0;

    if (x->failed)
        return x->failed;
    shown(u, sizeof(u), x->url);
    if (rc == CURLE_FILESIZE_EXCEEDED) {
        fail_limit(x);
        return x->failed;
    }
    if (rc != CURLE_OK) {
        if (attempt < reg->max_retries && transient(rc)) {
            *delay_ms = backoff_ms(reg, attempt);
            return 1;
        }
        return sg_error_set(x->ctx, SG_ENET, "cannot fetch %s from '%s': %s%s", x->what, u,
                            reg->errbuf[0] ? reg->errbuf : curl_easy_strerror(rc),
                            attempt ? " (after retries)" : "");
    }
    curl_easy_getinfo(reg->curl, CURLINFO_RESPONSE_CODE, &x->status);
    if (x->status == 429 || (x->status >= 500 && x->status <= 599)) {
        if (attempt < reg->max_retries) {
            *delay_ms = x->retry_after >= 0 ? x->retry_after * 1000 : backoff_ms(reg, attempt);
            return 1;
        }
        return sg_error_set(x->ctx, SG_ENET, "registry answered HTTP %ld for %s at '%s' (%d %s)",
                            x->status, x->what, u, attempt + 1, attempt ? "attempts" : "attempt");
    }
    /* curl reports a body cut short (CURLE_PARTIAL_FILE); this catches what it lets by */
    curl_easy_getinfo(reg->curl, CURLINFO_SIZE_DOWNLOAD_T, &got);
    if (body_expected(x->status) && !x->encoded && x->clen >= 0 && got != x->clen)
        return sg_error_set(x->ctx, SG_ENET,
                            "%s from '%s' has %" CURL_FORMAT_CURL_OFF_T
                            " bytes, not the %" CURL_FORMAT_CURL_OFF_T " of its Content-Length",
                            x->what, u, got, x->clen);
    return 0;
}

/*
 * GET url (following up to MAX_REDIRECTS redirects, retrying transient failures) into x.
 * On return 0, x->status holds the final status (any: the caller decides what it means).
 */
static int fetch(sg_registry *reg, sg_ctx *ctx, const req *rq, xfer *x, const char *first_url)
{
    sg_buf url = SG_BUF_INIT;
    int hop, attempt, error = 0;
    char u[512];

    if (!reg->curl) {
        pthread_once(&curl_once, curl_init_once);
        if (curl_init_rc != CURLE_OK || !(reg->curl = curl_easy_init()))
            return sg_error_set(ctx, SG_EDEP, "cannot initialize libcurl");
    }
    x->ctx = ctx;
    x->what = rq->what;
    x->limit_id = rq->limit;
    x->limit = sg_ctx_limit(ctx, rq->limit);
    if (sg_buf_puts(&url, first_url) < 0)
        return sg_buf_check(&url, ctx, "a URL");
    for (hop = 0;; hop++) {
        char *loc = NULL;
        sg_url_parts parts;

        x->url = url.ptr;
        for (attempt = 0;; attempt++) {
            long delay = 0;
            CURLcode rc;
            if ((error = xfer_reset(x)) < 0)
                goto done;
            rc = perform_once(reg, x, rq, url.ptr);
            if ((error = judge_attempt(reg, x, rc, attempt, &delay)) <= 0)
                break;
            sleep_ms(delay);
        }
        if (error < 0 || !is_redirect(x->status))
            goto done;
        if (curl_easy_getinfo(reg->curl, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc)
            goto done; /* a redirect without Location: the caller sees the status */
        shown(u, sizeof(u), first_url);
        if (hop >= MAX_REDIRECTS) {
            error = sg_error_set(ctx, SG_ENET,
                                 "too many redirects (more than %d) fetching %s "
                                 "from '%s'",
                                 MAX_REDIRECTS, rq->what, u);
            goto done;
        }
        if (sg_registry__url_split(&parts, loc) < 0) {
            char l[512];
            shown(l, sizeof(l), loc);
            error = sg_error_set(ctx, SG_ENET,
                                 "'%s' redirects to '%s', which is not an http or "
                                 "https URL",
                                 u, l);
            goto done;
        }
        sg_buf_clear(&url);
        if (sg_buf_puts(&url, loc) < 0) {
            error = sg_buf_check(&url, ctx, "a URL");
            goto done;
        }
    }
done:
    x->url = NULL;
    sg_buf_dispose(&url);
    return error;
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
    if (reg->curl)
        curl_easy_cleanup(reg->curl);
    sg_free(reg);
}

void sg_registry_stats_get(const sg_registry *reg, sg_registry_stats *out)
{
    *out = reg->stats;
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
    xfer x;
    req rq = {"application/json", NULL, 1, SG_LIMIT_JSON_SIZE, what};
    int error;

    *out = NULL;
    memset(&x, 0, sizeof(x));
    x.fd = -1;
    x.mem = &body;
    if ((error = packument_paths(&pp, &url, ctx, reg, name)) < 0)
        goto done;
    snprintf(what, sizeof(what), "packument of '%s'", name);
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
    if ((error = fetch(reg, ctx, &rq, &x, url.ptr)) < 0)
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
    xfer x;
    req rq = {"*/*", NULL, 0, SG_LIMIT_TARBALL_BYTES, "tarball"};
    char u[512];
    int fd = -1, error, rc;

    *out = NULL;
    *len = 0;
    memset(&d, 0, sizeof(d));
    memset(&x, 0, sizeof(x));
    shown(u, sizeof(u), url);
    if (!url || sg_registry__url_split(&parts, url) < 0) {
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
    x.mem = &bytes;
    x.fd = fd;
    x.dg = &d;
    if ((error = fetch(reg, ctx, &rq, &x, url)) < 0)
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
