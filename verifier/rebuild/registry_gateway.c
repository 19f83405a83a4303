/*
 * The install step's registry: a plain-HTTP gateway the package managers reach through the
 * sandbox's forwarder. It answers GET and HEAD only, fetching from the configured registry with
 * sourcegate's own client (verifier/fetch/http.c, registry.c). Packuments pass through;
 * tarballs come from sourcegate's tarball cache, and a tarball goes into that cache only after
 * its bytes matched the dist.integrity (or shasum) of the packument sourcegate fetched itself.
 * Nothing inside the sandbox can write that cache, so no rebuild can forge what a later one
 * installs. A tarball no packument version names is served but never cached.
 *
 * One thread per connection (at most SG_GATEWAY_MAX_CONNS), keep-alive, request heads of at most
 * GATEWAY_HEAD_MAX bytes; an upstream failure is a 502 (the install fails and the rebuild
 * reports an operational error, never a verdict).
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "verifier/fetch/http_int.h"
#include "verifier/rebuild/sandbox_int.h"

#define GATEWAY_HEAD_MAX 8192   /* bytes of one request head */
#define GATEWAY_TARGET_MAX 1024 /* bytes of one request target */
#define GATEWAY_IDLE_S 60       /* a connection silent this long is closed */

/* One served connection. */
typedef struct gconn {
    sg_sandbox_gateway *gw;     /* the gateway */
    int fd;                     /* the client socket */
    size_t slot;                /* its index in gw->fds */
    char buf[GATEWAY_HEAD_MAX]; /* bytes read and not yet used */
    size_t len;                 /* bytes in buf */
    sg_ctx *ctx;                /* errors of this connection */
    sg_cache *cache;            /* sourcegate's cache, NULL when none */
    sg_npm_config *config;      /* the upstream registry and its token */
    sg_registry *reg;           /* packuments and checked tarballs */
    sg_http_client http;        /* pass-through requests */
} gconn;

/* One parsed request. */
typedef struct greq {
    int head_only;                   /* HEAD */
    int close;                       /* Connection: close, or HTTP/1.0 */
    char target[GATEWAY_TARGET_MAX]; /* origin-form target */
    char accept[256];                /* the Accept header, "" when none */
    char host[64];                   /* the Host header when it names the loopback, else "" */
} greq;

static void count(sg_sandbox_gateway *gw, unsigned *counter)
{
    pthread_mutex_lock(&gw->lock);
    (*counter)++;
    pthread_mutex_unlock(&gw->lock);
}

static void note_error(sg_sandbox_gateway *gw, const char *msg)
{
    pthread_mutex_lock(&gw->lock);
    gw->stats.failed++;
    if (!gw->error[0])
        snprintf(gw->error, sizeof(gw->error), "%s", msg);
    pthread_mutex_unlock(&gw->lock);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

/* Write a whole answer. 0, or -1 when the client is gone. */
static int respond(int fd, int status, const char *ctype, const void *body, size_t len,
                   int head_only, int close_after)
{
    char head[512];
    int n =
        snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                 "Connection: %s\r\n\r\n",
                 status, reason_phrase(status), ctype, len, close_after ? "close" : "keep-alive");
    if (n < 0 || (size_t)n >= sizeof(head) || sg_fd_write_all(fd, head, (size_t)n, 1) < 0)
        return -1;
    if (!head_only && len && sg_fd_write_all(fd, body, len, 1) < 0)
        return -1;
    return 0;
}

static int respond_text(int fd, int status, const char *msg, int head_only, int close_after)
{
    char body[700];
    snprintf(body, sizeof(body), "sourcegate registry gateway: %.600s\n", msg);
    return respond(fd, status, "text/plain", body, strlen(body), head_only, close_after);
}

/* ---- request heads ---- */

/* The value of header `name` in the head lines [p, end) into out ("" when absent). */
static void header_value(char *out, size_t size, const char *p, const char *end, const char *name)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        if ((size_t)(le - p) > nl && sg_strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            size_t vl;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            vl = (size_t)(le - v);
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            if (vl >= size)
                vl = size - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return;
        }
        p = le + 1;
    }
}

/* A target the gateway forwards: origin-form, URL-safe bytes, no "." or ".." segment. */
static int target_ok(const char *t, size_t len)
{
    size_t i;
    if (!len || len >= GATEWAY_TARGET_MAX || t[0] != '/')
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-._~%@!$&'()*+,;=:/", c)))
            return 0;
        if (c == '/' && t[i + 1] == '.' &&
            (i + 2 >= len || t[i + 2] == '/' ||
             (t[i + 2] == '.' && (i + 3 >= len || t[i + 3] == '/'))))
            return 0;
    }
    return 1;
}

/* The Host header into out when it is the sandbox's loopback and a port (the forwarder's
 * address, which the gateway names in the tarball URLs it serves), else "". */
static void loopback_host(char *out, size_t size, const char *p, const char *end)
{
    static const char *const hosts[] = {"127.0.0.1:", "localhost:"};
    size_t i, n;
    header_value(out, size, p, end, "Host");
    for (i = 0; i < SG_ARRAY_SIZE(hosts); i++) {
        n = strlen(hosts[i]);
        if (strncmp(out, hosts[i], n) == 0 && out[n] && strlen(out + n) <= 5 &&
            strspn(out + n, "0123456789") == strlen(out + n))
            return;
    }
    out[0] = '\0';
}

/* Parse the head in c->buf[0, head_len). The HTTP status to refuse it with, or 0. */
static int parse_head(greq *q, const gconn *c, size_t head_len)
{
    const char *p = c->buf, *end = c->buf + head_len, *eol, *sp1, *sp2;
    char v[64];

    memset(q, 0, sizeof(*q));
    q->close = 1;
    if (!(eol = memchr(p, '\r', head_len)) || !(sp1 = memchr(p, ' ', (size_t)(eol - p))) ||
        !(sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))))
        return 400;
    if ((size_t)(sp1 - p) == 3 && memcmp(p, "GET", 3) == 0)
        q->head_only = 0;
    else if ((size_t)(sp1 - p) == 4 && memcmp(p, "HEAD", 4) == 0)
        q->head_only = 1;
    else
        return 405;
    /* absolute form from a client that sends everything to its proxy (yarn classic): a later
     * request on a connection the proxy handed over, to the sandbox's loopback (sandbox_proxy.c
     * rewrites the first one) */
    if ((size_t)(sp2 - sp1 - 1) > 7 && memcmp(sp1 + 1, "http://", 7) == 0) {
        const char *host = sp1 + 8, *path = memchr(host, '/', (size_t)(sp2 - host));
        if (!path || !((path - host > 10 && memcmp(host, "127.0.0.1:", 10) == 0) ||
                       (path - host > 10 && memcmp(host, "localhost:", 10) == 0)))
            return 400;
        sp1 = path - 1;
    }
    if (!target_ok(sp1 + 1, (size_t)(sp2 - sp1 - 1)))
        return 400;
    memcpy(q->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    if ((size_t)(eol - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return 400;
    header_value(v, sizeof(v), eol + 2, end, "Content-Length");
    if (v[0] && strcmp(v, "0") != 0)
        return 400; /* GET and HEAD carry no body */
    header_value(v, sizeof(v), eol + 2, end, "Transfer-Encoding");
    if (v[0])
        return 400;
    header_value(q->accept, sizeof(q->accept), eol + 2, end, "Accept");
    for (p = q->accept; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return 400;
    header_value(v, sizeof(v), eol + 2, end, "Connection");
    q->close = sp2[8] == '0' || sg_strncasecmp(v, "close", 5) == 0;
    loopback_host(q->host, sizeof(q->host), eol + 2, end);
    return 0;
}

/* Read one request head: its length in c->buf (with the blank line); 0 when the client closed
 * or went silent; -1 when it is over GATEWAY_HEAD_MAX. */
static ssize_t read_head(gconn *c)
{
    for (;;) {
        size_t i;
        ssize_t n;
        for (i = 3; i < c->len; i++)
            if (memcmp(c->buf + i - 3, "\r\n\r\n", 4) == 0)
                return (ssize_t)(i + 1);
        if (c->len == sizeof(c->buf))
            return -1;
        n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        c->len += (size_t)n;
    }
}

/* ---- answers ---- */

/* A packument or version document names its tarballs at the registry (or at an alias of
 * it): name them at the gateway instead, so that every package manager (corepack, yarn
 * classic, pnpm, which take dist.tarball as it is) fetches them through serve_tarball(), which
 * checks them against the packument. Left as it is when the client's Host is not the
 * loopback or the rewrite fails. */
static void route_tarballs(sg_buf *body, gconn *c, const greq *q, const char *ctype)
{
    sg_buf out = SG_BUF_INIT, to = SG_BUF_INIT, base = SG_BUF_INIT;
    size_t n = 0, bl = strlen(c->gw->registry);

    if (!q->host[0] || strcmp(ctype, "application/json") != 0)
        return;
    while (bl && c->gw->registry[bl - 1] == '/')
        bl--;
    sg_buf_printf(&base, "%.*s/", (int)bl, c->gw->registry);
    sg_buf_printf(&to, "http://%s/", q->host);
    sg_buf_init(&out, body->limit);
    if (!base.error && !to.error &&
        sg_gateway__route_aliases(&out, &n, body->ptr, body->size, to.ptr, base.ptr) == 0 && n) {
        sg_buf tmp = *body;
        *body = out;
        out = tmp;
    }
    sg_buf_dispose(&out);
    sg_buf_dispose(&to);
    sg_buf_dispose(&base);
}

/* A packument as of the gateway's date (registry_as_of.c); anything else as it came. */
static int as_of(gconn *c, sg_buf *body, const char *ctype)
{
    unsigned dropped = 0;
    int error;

    if (!c->gw->before || strcmp(ctype, "application/json") != 0)
        return 0;
    if ((error = sg_gateway__as_of(body, c->ctx, c->gw->before, &dropped)) < 0)
        note_error(c->gw, sg_error_message(c->ctx));
    pthread_mutex_lock(&c->gw->lock);
    c->gw->as_of_dropped += dropped;
    pthread_mutex_unlock(&c->gw->lock);
    return error;
}

static void note_missing(gconn *c, const greq *q, const char *url);

/* Fetch target from the registry as it is and answer with what came back. */
static int pass_through(gconn *c, const greq *q, const char *ctype)
{
    sg_buf url = SG_BUF_INIT, body = SG_BUF_INIT;
    sg_http_req req;
    sg_http_resp resp;
    const char *base = c->gw->registry;
    size_t bl = strlen(base);
    int rc, error;

    while (bl && base[bl - 1] == '/')
        bl--;
    sg_buf_printf(&url, "%.*s%s", (int)bl, base, q->target);
    memset(&req, 0, sizeof(req));
    req.url = url.ptr;
    req.what = "registry request";
    req.accept = q->accept[0] ? q->accept : "application/json";
    if (c->gw->before && strcmp(ctype, "application/json") == 0)
        req.accept = "application/json"; /* the full packument: the abbreviated has no time */
    req.config = c->config;
    req.compressed = 1;
    req.limit = SG_LIMIT_TARBALL_BYTES;
    req.follow = SG_HTTP_FOLLOW_HOPS;
    req.max_retries = 2;
    req.retry_base_ms = 500;
    req.connect_timeout_ms = 10000;
    req.total_timeout_ms = 120000;
    req.low_speed_time_s = 30;
    req.body = &body;
    if (url.error)
        error = sg_error_set(c->ctx, SG_ENOMEM, "out of memory");
    else
        error = sg_http__get(&resp, c->ctx, &c->http, &req);
    if (error < 0) {
        note_error(c->gw, sg_error_message(c->ctx));
        rc = respond_text(c->fd, 502, sg_error_message(c->ctx), q->head_only, q->close);
        sg_error_clear(c->ctx);
    } else if (resp.status >= 200 && resp.status < 300 && as_of(c, &body, ctype) < 0) {
        rc = respond_text(c->fd, 502, sg_error_message(c->ctx), q->head_only, q->close);
        sg_error_clear(c->ctx);
    } else if (resp.status >= 200 && resp.status < 300) {
        route_tarballs(&body, c, q, ctype);
        rc = respond(c->fd, 200, ctype, body.ptr, body.size, q->head_only, q->close);
    } else {
        if (resp.status == 404)
            note_missing(c, q, url.ptr);
        rc = respond_text(c->fd, (int)resp.status, "the registry's answer", q->head_only, q->close);
    }
    sg_buf_dispose(&url);
    sg_buf_dispose(&body);
    return rc;
}

/* The package name and file of a tarball target "/<name>/-/<file>.tgz" ("@scope%2fname" or
 * "@scope/name"). 0, or -1 when target is not one. */
static int tarball_target(char *name, size_t nsize, const char **file, const char *target)
{
    const char *dash = strstr(target, "/-/"), *p;
    size_t n = 0, tl = strlen(target);
    if (!dash || tl < 5 || strcmp(target + tl - 4, ".tgz") != 0 || strchr(dash + 3, '/'))
        return -1;
    for (p = target + 1; p < dash && n + 1 < nsize; p++) {
        if (p[0] == '%' && p + 2 < dash && (p[1] == '2') && (p[2] == 'f' || p[2] == 'F')) {
            name[n++] = '/';
            p += 2;
        } else if (p[0] == '%' && p + 2 < dash && p[1] == '4' && p[2] == '0') {
            name[n++] = '@';
            p += 2;
        } else {
            name[n++] = *p;
        }
    }
    if (p < dash || !n)
        return -1;
    name[n] = '\0';
    *file = dash + 3;
    return 0;
}

/* The package a packument or version-document target names ("/@scope%2fname",
 * "/@scope/name", "/name/1.0.0"), decoded, into name. 0, or -1 when target names none (a
 * registry API path such as "/-/npm/v1/keys"). */
static int package_target(char *name, size_t nsize, const char *target)
{
    const char *p = target + 1;
    size_t n = 0, slashes = 0;
    if (target[0] != '/' || p[0] == '-' || !p[0])
        return -1;
    for (; *p && n + 1 < nsize; p++) {
        char ch = *p;
        if (p[0] == '%' && p[1] == '2' && (p[2] == 'f' || p[2] == 'F')) {
            ch = '/';
            p += 2;
        } else if (p[0] == '%' && p[1] == '4' && p[2] == '0') {
            ch = '@';
            p += 2;
        }
        if (ch == '/' && (name[0] != '@' || ++slashes > 1))
            break; /* "/name/1.0.0", "/@scope/name/1.0.0": the version is not the name */
        name[n++] = ch;
    }
    name[n] = '\0';
    return n ? 0 : -1;
}

/* Remember the first package the registry has not (a 404 for its packument or a tarball): a
 * mirror that lacks what the real registry has fails the install with pnpm's "No authorization
 * header was set for the request", which names neither the package nor the registry. */
static void note_missing(gconn *c, const greq *q, const char *url)
{
    char name[256];
    const char *file;
    if (tarball_target(name, sizeof(name), &file, q->target) < 0 &&
        package_target(name, sizeof(name), q->target) < 0)
        return;
    pthread_mutex_lock(&c->gw->lock);
    if (!c->gw->missing[0])
        snprintf(c->gw->missing, sizeof(c->gw->missing), "'%.214s' (%.270s answered 404)", name,
                 url);
    pthread_mutex_unlock(&c->gw->lock);
}

/* The cache entry that names a tarball's expected digests and URL: rebuild/gateway/<sha256 of
 * the registry, the name and the file> (another registry may serve other bytes). */
static int index_path(sg_buf *out, sg_ctx *ctx, const char *registry, const char *name,
                      const char *file)
{
    unsigned char d[32];
    char hex[65];
    sg_buf key = SG_BUF_INIT;
    int error;
    sg_buf_printf(&key, "%s\n%s\n%s", registry, name, file);
    if ((error = sg_buf_check(&key, ctx, "a cache key")) == 0 &&
        (error = sg_sha256(d, ctx, key.ptr, key.size)) == 0) {
        sg_hex(hex, d, sizeof(d));
        sg_buf_printf(out, "rebuild/gateway/%s", hex);
        error = sg_buf_check(out, ctx, "a path");
    }
    sg_buf_dispose(&key);
    return error;
}

/* What is known of one tarball: where it is and the digests its bytes must have. */
typedef struct expect {
    char url[2048];      /* the registry's dist.tarball */
    char integrity[512]; /* dist.integrity, "" when none */
    char shasum[48];     /* dist.shasum, "" when none */
} expect;

/* The version of the packument whose dist.tarball ends in "/-/<file>". 1 found, 0 not. */
static int expect_from_packument(expect *e, const cJSON *pack, const char *file)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(pack, "versions"))
    {
        const cJSON *dist = cJSON_GetObjectItemCaseSensitive(v, "dist");
        const char *url = sg_json_str(dist, "tarball"), *slash;
        const char *integ = sg_json_str(dist, "integrity"), *sha = sg_json_str(dist, "shasum");
        if (!url || !(slash = strstr(url, "/-/")) || strcmp(slash + 3, file) != 0)
            continue;
        if ((!integ || !*integ) && (!sha || !*sha))
            return 0;
        snprintf(e->url, sizeof(e->url), "%s", url);
        snprintf(e->integrity, sizeof(e->integrity), "%s", integ ? integ : "");
        snprintf(e->shasum, sizeof(e->shasum), "%s", sha ? sha : "");
        return strlen(url) < sizeof(e->url) && (!integ || strlen(integ) < sizeof(e->integrity));
    }
    return 0;
}

/* Read the index entry "url\nintegrity\nshasum\n". 1 found, 0 not. */
static int expect_from_index(expect *e, gconn *c, const char *relpath)
{
    sg_buf b = SG_BUF_INIT;
    int found = 0;
    if (sg_cache_read(&b, c->ctx, c->cache, relpath, 4096) == 0) {
        char *l1 = b.ptr, *l2 = strchr(l1, '\n'), *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
        if (l3 && strchr(l3 + 1, '\n')) {
            *l2 = *l3 = '\0';
            *strchr(l3 + 1, '\n') = '\0';
            snprintf(e->url, sizeof(e->url), "%s", l1);
            snprintf(e->integrity, sizeof(e->integrity), "%s", l2 + 1);
            snprintf(e->shasum, sizeof(e->shasum), "%s", l3 + 1);
            found = e->url[0] && (e->integrity[0] || e->shasum[0]);
        }
    }
    sg_error_clear(c->ctx);
    sg_buf_dispose(&b);
    return found;
}

/* The checked bytes of the tarball e names (from the cache, else fetched, checked, cached). */
static int fetch_checked(unsigned char **bytes, size_t *len, int *hit, gconn *c, const expect *e)
{
    sg_registry_stats before, after;
    int error;
    sg_registry_stats_get(c->reg, &before);
    error =
        sg_registry_tarball(bytes, len, c->ctx, c->reg, e->url,
                            e->integrity[0] ? e->integrity : NULL, e->shasum[0] ? e->shasum : NULL);
    sg_registry_stats_get(c->reg, &after);
    *hit = after.cache_hits > before.cache_hits;
    return error;
}

/* Find what a tarball must be: the index, else the packument. 1 known; 0 unknown (serve it
 * unchecked); < 0 an error (message in c->ctx). */
static int find_expect(expect *e, int *from_index, gconn *c, const char *name, const char *file,
                       const char *relpath)
{
    cJSON *pack = NULL;
    int error;
    if ((*from_index = expect_from_index(e, c, relpath)))
        return 1;
    if ((error = sg_registry_packument(&pack, c->ctx, c->reg, name)) < 0)
        return error == SG_ENOTFOUND || error == SG_EINVALID ? (sg_error_clear(c->ctx), 0) : error;
    error = expect_from_packument(e, pack, file);
    cJSON_Delete(pack);
    return error;
}

static int serve_tarball(gconn *c, const greq *q, const char *name, const char *file)
{
    sg_buf relpath = SG_BUF_INIT, entry = SG_BUF_INIT;
    unsigned char *bytes = NULL;
    size_t len = 0;
    expect e;
    int from_index = 0, hit = 0, rc, error;

    memset(&e, 0, sizeof(e));
    if ((error = index_path(&relpath, c->ctx, c->gw->registry, name, file)) < 0 ||
        (error = find_expect(&e, &from_index, c, name, file, relpath.ptr)) < 0)
        goto failed;
    if (error == 0) { /* no version names it: served, never cached */
        count(c->gw, &c->gw->stats.unchecked);
        sg_buf_dispose(&relpath);
        return pass_through(c, q, "application/octet-stream");
    }
    if ((error = fetch_checked(&bytes, &len, &hit, c, &e)) < 0)
        goto failed;
    count(c->gw, hit ? &c->gw->stats.cache_hits : &c->gw->stats.cached);
    if (!from_index) {
        sg_buf_printf(&entry, "%s\n%s\n%s\n", e.url, e.integrity, e.shasum);
        if (entry.error || sg_cache_write(c->cache, c->ctx, relpath.ptr, entry.ptr, entry.size) < 0)
            sg_error_clear(c->ctx); /* the bytes are checked; only the next lookup is slower */
    }
    rc = respond(c->fd, 200, "application/octet-stream", bytes, len, q->head_only, q->close);
    goto done;
failed:
    note_error(c->gw, sg_error_message(c->ctx));
    rc = respond_text(c->fd, error == SG_ENOTFOUND ? 404 : 502, sg_error_message(c->ctx),
                      q->head_only, q->close);
    sg_error_clear(c->ctx);
done:
    free(bytes);
    sg_buf_dispose(&relpath);
    sg_buf_dispose(&entry);
    return rc;
}

/* ---- registry aliases (issue 15) ---- */

/* Hosts that lockfiles and packuments name for the public registry: yarn classic writes
 * registry.yarnpkg.com, npm and pnpm registry.npmjs.org. Both are the configured registry in a
 * rebuild, also when that is a mirror. */
static const char *const alias_prefixes[] = {
    "https://registry.yarnpkg.com/",
    "http://registry.yarnpkg.com/",
    "https://registry.npmjs.org/",
    "http://registry.npmjs.org/",
};

/* A URL starts after start-of-text, a quote, blank, NUL, "=", ":", "(", "[" or ",". */
static int url_boundary(const char *text, size_t i)
{
    return i == 0 || strchr("\"' \t\r\n=:([,", text[i - 1]) != NULL;
}

/* The length of the alias prefix (or of extra, when not NULL) text[i..len) starts with. */
static size_t alias_at(const char *text, size_t len, size_t i, const char *extra)
{
    size_t k, n;
    if (!url_boundary(text, i))
        return 0;
    for (k = 0; k < SG_ARRAY_SIZE(alias_prefixes); k++) {
        n = strlen(alias_prefixes[k]);
        if (len - i >= n && sg_strncasecmp(text + i, alias_prefixes[k], n) == 0)
            return n;
    }
    if (extra && (n = strlen(extra)) > 0 && len - i >= n && memcmp(text + i, extra, n) == 0)
        return n;
    return 0;
}

int sg_gateway__route_aliases(sg_buf *out, size_t *count, const char *text, size_t len,
                              const char *to, const char *extra)
{
    size_t i = 0, last = 0, n;

    *count = 0;
    while (i < len) {
        if ((text[i] != 'h' && text[i] != 'H') || (n = alias_at(text, len, i, extra)) == 0) {
            i++;
            continue;
        }
        sg_buf_put(out, text + last, i - last);
        sg_buf_puts(out, to);
        (*count)++;
        i += n;
        last = i;
    }
    sg_buf_put(out, text + last, len - last);
    return out->error;
}

/* Answer one parsed request. 0, or -1 when the connection is to end. */
static int serve(gconn *c, const greq *q)
{
    char name[256];
    const char *file;
    count(c->gw, &c->gw->stats.requests);
    if (c->cache && tarball_target(name, sizeof(name), &file, q->target) == 0)
        return serve_tarball(c, q, name, file);
    return pass_through(c, q,
                        tarball_target(name, sizeof(name), &file, q->target) == 0
                            ? "application/octet-stream"
                            : "application/json");
}

/* ---- connections ---- */

static int conn_open(gconn *c)
{
    sg_registry_opts ro = SG_REGISTRY_OPTS_INIT;
    const sg_sandbox_gateway *gw = c->gw;
    int i;

    if (sg_ctx_new(&c->ctx) < 0)
        return -1;
    for (i = 0; i < SG_LIMIT__COUNT; i++)
        if (gw->limits[i])
            sg_ctx_set_limit(c->ctx, (sg_limit)i, gw->limits[i]);
    if (sg_npm_config_new(&c->config, c->ctx) < 0 ||
        sg_npm_config_set_registry(c->config, c->ctx, gw->registry) < 0)
        return -1;
    if (!gw->cache_dir)
        return 0;
    if (sg_cache_open(&c->cache, c->ctx, gw->cache_dir) < 0)
        return -1;
    ro.cache = c->cache;
    ro.config = c->config;
    ro.max_retries = 2;
    return sg_registry_new(&c->reg, c->ctx, &ro) < 0 ? -1 : 0;
}

static void conn_close(gconn *c)
{
    sg_sandbox_gateway *gw = c->gw;
    sg_registry_free(c->reg);
    sg_cache_free(c->cache);
    sg_npm_config_free(c->config);
    sg_http__client_dispose(&c->http);
    sg_ctx_free(c->ctx);
    close(c->fd);
    pthread_mutex_lock(&gw->lock);
    gw->fds[c->slot] = -1;
    gw->active--;
    pthread_cond_broadcast(&gw->idle);
    pthread_mutex_unlock(&gw->lock);
    sg_free(c);
}

static void *conn_main(void *arg)
{
    gconn *c = arg;
    greq q;

    if (conn_open(c) < 0) {
        note_error(c->gw, c->ctx ? sg_error_message(c->ctx) : "out of memory");
        respond_text(c->fd, 502, "cannot reach the registry", 0, 1);
        conn_close(c);
        return NULL;
    }
    for (;;) {
        ssize_t head = read_head(c);
        int status;
        if (head == 0)
            break;
        if (head < 0) {
            count(c->gw, &c->gw->stats.refused);
            respond_text(c->fd, 431, "the request head is too large", 0, 1);
            break;
        }
        if ((status = parse_head(&q, c, (size_t)head)) != 0) {
            count(c->gw, &c->gw->stats.refused);
            respond_text(c->fd, status, "only GET and HEAD of registry paths are served", 0, 1);
            break;
        }
        memmove(c->buf, c->buf + head, c->len - (size_t)head);
        c->len -= (size_t)head;
        if (serve(c, &q) < 0 || q.close)
            break;
    }
    conn_close(c);
    return NULL;
}

int sg_gateway__init(sg_sandbox_gateway *gw, sg_ctx *ctx, const char *registry,
                     const char *cache_dir)
{
    size_t i;
    memset(gw, 0, sizeof(*gw));
    gw->registry = registry;
    gw->cache_dir = cache_dir;
    for (i = 0; i < SG_LIMIT__COUNT; i++)
        gw->limits[i] = sg_ctx_limit(ctx, (sg_limit)i);
    for (i = 0; i < SG_GATEWAY_MAX_CONNS; i++)
        gw->fds[i] = -1;
    if (pthread_mutex_init(&gw->lock, NULL) != 0)
        return sg_error_set(ctx, SG_EIO, "cannot make the registry gateway's lock");
    if (pthread_cond_init(&gw->idle, NULL) != 0) {
        pthread_mutex_destroy(&gw->lock);
        return sg_error_set(ctx, SG_EIO, "cannot make the registry gateway's lock");
    }
    gw->ready = 1;
    return 0;
}

/* A free slot for fd (under the lock), or SG_GATEWAY_MAX_CONNS when none or stopping. The
 * slot's previous thread, done with it, is joined first: it is at most returning. */
static size_t take_slot(sg_sandbox_gateway *gw, int fd)
{
    size_t i = SG_GATEWAY_MAX_CONNS;
    pthread_t previous;
    int join = 0;

    pthread_mutex_lock(&gw->lock);
    if (!gw->stopping)
        for (i = 0; i < SG_GATEWAY_MAX_CONNS && gw->fds[i] >= 0; i++)
            ;
    if (i < SG_GATEWAY_MAX_CONNS) {
        gw->fds[i] = fd;
        gw->active++;
        if ((join = gw->unjoined[i]) != 0) {
            previous = gw->threads[i];
            gw->unjoined[i] = 0;
        }
    }
    pthread_mutex_unlock(&gw->lock);
    if (join)
        (void)pthread_join(previous, NULL);
    return i;
}

int sg_gateway__take(sg_sandbox_gateway *gw, int fd, const char *bytes, size_t len)
{
    struct timeval tv = {GATEWAY_IDLE_S, 0};
    pthread_t th;
    gconn *c;
    size_t slot;
    int ok;

    if (!gw->ready || len > GATEWAY_HEAD_MAX || !(c = sg_calloc(1, sizeof(*c))))
        return -1;
    if ((slot = take_slot(gw, fd)) == SG_GATEWAY_MAX_CONNS) {
        sg_free(c);
        /* sourcegate's limit, not the package's fault: the failed install it causes must be an
         * operational error, never a verdict (the rebuild reads gw->error) */
        pthread_mutex_lock(&gw->lock);
        gw->stats.refused++;
        if (!gw->error[0] && !gw->stopping)
            snprintf(gw->error, sizeof(gw->error),
                     "the registry gateway refused a connection: more than %d at once (npm's "
                     "maxsockets is higher than the gateway serves)",
                     SG_GATEWAY_MAX_CONNS);
        pthread_mutex_unlock(&gw->lock);
        respond_text(fd, 503, "too many connections", 0, 1);
        return -1;
    }
    c->gw = gw;
    c->fd = fd;
    c->slot = slot;
    memcpy(c->buf, bytes, len);
    c->len = len;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    /* Joinable, and joined when the slot is taken again or the gateway stops: a thread that
     * is still exiting when the process does would leave its thread-local state (OpenSSL's
     * error queue) behind. The slot is the thread's until it is joined. */
    pthread_mutex_lock(&gw->lock);
    ok = pthread_create(&th, NULL, conn_main, c) == 0;
    if (ok) {
        gw->threads[slot] = th;
        gw->unjoined[slot] = 1;
    }
    pthread_mutex_unlock(&gw->lock);
    if (!ok) { /* give the slot back; the caller closes fd */
        pthread_mutex_lock(&gw->lock);
        gw->fds[slot] = -1;
        gw->active--;
        pthread_cond_broadcast(&gw->idle);
        pthread_mutex_unlock(&gw->lock);
        sg_free(c);
        return -1;
    }
    return 0;
}

void sg_gateway__stop(sg_sandbox_gateway *gw)
{
    size_t i;
    if (!gw || !gw->ready)
        return;
    pthread_mutex_lock(&gw->lock);
    gw->stopping = 1;
    for (i = 0; i < SG_GATEWAY_MAX_CONNS; i++)
        if (gw->fds[i] >= 0)
            shutdown(gw->fds[i], SHUT_RDWR);
    while (gw->active)
        pthread_cond_wait(&gw->idle, &gw->lock);
    pthread_mutex_unlock(&gw->lock);
    for (i = 0; i < SG_GATEWAY_MAX_CONNS; i++) /* no thread is taking a slot: stopping */
        if (gw->unjoined[i]) {
            gw->unjoined[i] = 0;
            (void)pthread_join(gw->threads[i], NULL);
        }
}

void sg_gateway__dispose(sg_sandbox_gateway *gw)
{
    if (!gw || !gw->ready)
        return;
    sg_gateway__stop(gw);
    pthread_cond_destroy(&gw->idle);
    pthread_mutex_destroy(&gw->lock);
    gw->ready = 0;
}
