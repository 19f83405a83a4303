/*
 * The one HTTP client (http.c): every GET sourcegate sends to a registry goes through here,
 * so the libcurl setup, the protocol and redirect policy, the credential rules, the limits,
 * the retries and the mapping of curl's errors to SG_E* codes live in one place.
 *
 * Used by the registry client (registry.c: packuments and tarballs) and by the trust
 * documents (verifier/trust/trust_fetch.c: signing keys and attestations).
 */
#ifndef SG_HTTP_INT_H
#define SG_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "sourcegate/buf.h"
#include "sourcegate/errors.h"
#include "sourcegate/limits.h"
#include "sourcegate/registry.h"

#define SG_HTTP_ETAG_MAX 256 /* longest ETag kept */

/** A reusable client: one easy handle (connections stay pooled between requests). */
typedef struct sg_http_client {
    CURL *curl;                   /**< made on first use */
    char errbuf[CURL_ERROR_SIZE]; /**< curl's message for the last transfer */
    unsigned requests;            /**< exchanges sent (each retry and redirect hop counts) */
} sg_http_client;

#define SG_HTTP_CLIENT_INIT                                                                        \
    {                                                                                              \
        NULL, {0}, 0                                                                               \
    }

/** Free the client's handle (the struct itself is the caller's). */
void sg_http__client_dispose(sg_http_client *client);

/**
 * Who follows redirects.
 *
 * SG_HTTP_FOLLOW_HOPS: this client, one exchange per hop (at most SG_HTTP_MAX_REDIRECTS). Each
 * hop gets its own token decision by npm's nerf-dart rules on the new URL (a token never
 * follows a redirect to another host, and another path on the same host may need another
 * token), its own size accounting, and a clear "too many redirects" error. The registry
 * client wants this: tarball URLs are redirected to CDNs.
 *
 * SG_HTTP_FOLLOW_CURL: libcurl follows (same maximum, http and https only). The token of the
 * first URL goes in a custom Authorization header, which curl never forwards to another host
 * (CURLOPT_UNRESTRICTED_AUTH stays 0); too many redirects is curl's own error. The trust
 * documents have always been fetched this way; a hop-by-hop policy would change which token
 * a same-host redirect carries and the wording of redirect errors.
 */
typedef enum { SG_HTTP_FOLLOW_HOPS, SG_HTTP_FOLLOW_CURL } sg_http_follow;

#define SG_HTTP_MAX_REDIRECTS 5

/** Where a 2xx body goes besides req->body: a cache file, running digests. */
typedef struct sg_http_sink {
    /** Take len bytes; 0, or an SG_E* code with the message set in ctx. */
    int (*write)(void *data, sg_ctx *ctx, const void *bytes, size_t len);
    /** Forget what a failed attempt wrote (before every attempt); 0 or an SG_E* code. */
    int (*reset)(void *data, sg_ctx *ctx);
    void *data; /**< their first argument */
} sg_http_sink;

/** One GET. Zero it, then fill what applies. */
typedef struct sg_http_req {
    const char *url;             /**< the first URL */
    const char *what;            /**< "packument of 'x'", "tarball", ...: messages */
    const char *accept;          /**< Accept header */
    const char *if_none_match;   /**< conditional request, or NULL */
    const sg_npm_config *config; /**< the tokens (nerf-dart rules), or NULL for none */
    int compressed;              /**< let curl ask for and decode gzip/deflate/br */
    sg_limit limit;              /**< the limit (in ctx) that bounds every body received */
    sg_http_follow follow;       /**< who follows redirects (see sg_http_follow) */
    /**
     * Extra attempts on transient failures (connection errors, timeouts, 429 and 5xx; the
     * backoff doubles from retry_base_ms, Retry-After honoured up to 60 s). A 429 or 5xx still
     * there after them is an SG_ENET here. -1: no retry policy at all: one attempt, and every
     * status goes back to the caller (the trust documents decide what a 5xx means).
     */
    int max_retries;
    long retry_base_ms;      /**< first backoff delay */
    long connect_timeout_ms; /**< per connection */
    long total_timeout_ms;   /**< per exchange */
    long low_speed_time_s;   /**< abort below 1 KiB/s for this long; 0: no such check */
    /**
     * Word the size-limit error as "larger than the json-size limit (N bytes)", as the trust
     * documents always have, rather than "larger than the json-size limit of N bytes".
     */
    int limit_msg_parens;
    sg_buf *body;      /**< a 2xx body is kept here (NULL: not kept) */
    sg_http_sink sink; /**< ... and given here (write NULL: not) */
} sg_http_req;

/** What came back. */
typedef struct sg_http_resp {
    long status;                     /**< the final HTTP status */
    char etag[SG_HTTP_ETAG_MAX + 1]; /**< its ETag (printable ASCII), "" when none */
} sg_http_resp;

/**
 * GET req->url with client. On 0, out->status is the final status (any status: the caller
 * decides what it means, except the 429/5xx a retry policy reports). Errors: SG_ELIMIT (a
 * body over the limit, refused from Content-Length when it says so), SG_ENET (transfer
 * failures with curl's message, a body shorter than its Content-Length, too many redirects,
 * a redirect to another scheme, 429/5xx after retries), SG_EDEP (libcurl unusable),
 * SG_ENOMEM, and whatever the sink returns. Messages show the URL without credentials.
 */
int sg_http__get(sg_http_resp *out, sg_ctx *ctx, sg_http_client *client, const sg_http_req *req);

#endif
