/*
 * sourcegate: the npm registry client (libcurl) and npm configuration.
 */
#ifndef SOURCEGATE_REGISTRY_H
#define SOURCEGATE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "errors.h"
#include "buf.h"
#include "cache.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * npm configuration that decides where packages come from: the default registry, per-scope
 * registries and auth tokens per registry host path ("//host/path/:_authToken").
 * The library never reads files or the environment itself: the CLI passes the text of each
 * .npmrc (user's, then project's: later ones override) and npm_config_registry.
 */
typedef struct sg_npm_config sg_npm_config;

int sg_npm_config_new(sg_npm_config **out, sg_ctx *ctx);
void sg_npm_config_free(sg_npm_config *cfg);

/**
 * Merge the settings of one .npmrc text (ini syntax as npm reads it: `key=value`, `;`/`#`
 * comments, `${ENV}` left unexpanded unless env_lookup resolves it). Later calls override.
 * Unknown keys are ignored. `origin` names the file in messages.
 */
int sg_npm_config_parse(sg_npm_config *cfg, sg_ctx *ctx, const char *text, size_t len,
                        const char *origin, const char *(*env_lookup)(const char *name));

/** Set the default registry (from --registry or npm_config_registry); overrides .npmrc. */
int sg_npm_config_set_registry(sg_npm_config *cfg, sg_ctx *ctx, const char *url);

/**
 * The registry URL for a package name (its scope's registry, else the default, else
 * https://registry.npmjs.org/), always ending in '/'. Borrowed.
 */
const char *sg_npm_config_registry_for(const sg_npm_config *cfg, const char *package_name);

/**
 * A URL as messages and stored run parameters may show it: without credentials ("user:pw@")
 * and without its query. Always NUL-terminates out (a long URL is cut).
 */
void sg_registry_url_redact(char *out, size_t out_size, const char *url);

typedef struct sg_registry_opts {
    sg_cache *cache;           /**< required: packuments and tarballs are cached here */
    const sg_npm_config *config; /**< registries and tokens; NULL: the public registry */
    int offline;               /**< use only the cache; say what is missing */
    long connect_timeout_ms;   /**< 0: 10 s */
    long total_timeout_ms;     /**< per request; 0: 120 s */
    long low_speed_time_s;     /**< abort a transfer slower than 1 KiB/s for this long; 0: 30 */
    int max_retries;           /**< on 429, 5xx and transient network errors; -1: 0; 0: 3 */
    long retry_base_ms;        /**< first backoff delay, doubled each time; 0: 500 */
} sg_registry_opts;

#define SG_REGISTRY_OPTS_INIT { NULL, NULL, 0, 0, 0, 0, 0, 0 }

typedef struct sg_registry sg_registry;

int sg_registry_new(sg_registry **out, sg_ctx *ctx, const sg_registry_opts *opts);
void sg_registry_free(sg_registry *reg);

/** Counters of what the client did, for benchmarks and tests. */
typedef struct sg_registry_stats {
    unsigned requests;        /**< HTTP requests sent (retries included) */
    unsigned not_modified;    /**< 304 answers to conditional requests */
    unsigned cache_hits;      /**< tarballs served from the cache without a request */
} sg_registry_stats;

void sg_registry_stats_get(const sg_registry *reg, sg_registry_stats *out);

/**
 * The full packument of `name` (Accept: application/json, scoped names encoded as npm does:
 * "@scope%2fname"), with a conditional request (If-None-Match) against the cached copy;
 * honours Retry-After on 429; retries 5xx with backoff. The JSON is parsed with the JSON
 * limits. Free with cJSON_Delete(). Errors: SG_ENOTFOUND (404: no such package), SG_ENET
 * (network, timeouts, HTTP errors after retries; message names the URL without credentials),
 * SG_EINVALID (not JSON or not an object), SG_ELIMIT, SG_ENOTFOUND with --offline when the
 * cache lacks it ("not in the cache (offline)").
 */
int sg_registry_packument(cJSON **out, sg_ctx *ctx, sg_registry *reg, const char *name);

/**
 * The tarball at `url`, checked against `integrity` (SRI: "sha512-<base64>" or other
 * algorithms npm uses; may be NULL) and `shasum` (hex SHA-1; may be NULL; at least one is
 * required). Served from the cache when present (by its sha512); else streamed to a temporary
 * file in the cache while the digests are computed, with the tarball-bytes limit enforced
 * during the transfer, and renamed into place only when the digests match. On a mismatch:
 * SG_EINTEGRITY, the bytes are discarded, and the message gives expected and actual digests.
 * *out is malloc'd (free with free()) holding the verified bytes.
 */
int sg_registry_tarball(unsigned char **out, size_t *len, sg_ctx *ctx, sg_registry *reg,
                        const char *url, const char *integrity, const char *shasum);

/**
 * The version `spec` names in a packument, as npm picks it: an exact version; a dist-tag
 * ("latest", "next"); or a range, where the `latest` dist-tag wins if it satisfies the range,
 * else the highest satisfying version that is not deprecated (deprecated ones only when
 * nothing else satisfies). "" and "*" mean latest. *out is borrowed from the packument.
 * SG_ENOTFOUND with a message listing the closest versions when nothing matches;
 * SG_EINVALID for a packument without "versions".
 */
int sg_semver_pick(const char **out, sg_ctx *ctx, const cJSON *packument, const char *spec);

/** Base64 SRI sha512 of bytes: "sha512-..." into out (replaced). */
int sg_integrity_sha512(sg_buf *out, sg_ctx *ctx, const unsigned char *bytes, size_t len);

/* ---- staged publishes (npm stage; docs/staged-publishing.md) ---- */

/** 1 when id is a UUID (8-4-4-4-12 hex digits, either case), as npm's validate-uuid.js. */
int sg_stage_id_valid(const char *id);

/**
 * The URL of a stage endpoint on the default registry (npm sends them there, never to a scope
 * registry): "<registry>-/stage" + ("/" id when id is not NULL) + suffix ("/tarball", or NULL).
 * Into out (replaced). SG_EINVALID when id is not a UUID: nothing else reaches a URL.
 */
int sg_stage_url(sg_buf *out, sg_ctx *ctx, const sg_registry_opts *opts, const char *id,
                 const char *suffix);

/**
 * Every staged publish the user's auth can see (GET /-/stage?page=N&perPage=100, with
 * &package=NAME when package is not NULL), pages from 0 until the items reach "total" or a
 * page is short, as npm's `npm stage list`. *out is a JSON array of the records (free with
 * cJSON_Delete()). Each page is bounded by the JSON limits, at most 1000 pages (SG_ELIMIT).
 * Errors: SG_ENET (network; HTTP 401/403 with a message naming the registry and what auth it
 * needs; other statuses), SG_EINVALID (not the {items, total} shape; --offline), SG_ENOMEM.
 */
int sg_stage_list(cJSON **out, sg_ctx *ctx, const sg_registry_opts *opts, const char *package);

/**
 * The record of staged publish `id` (GET /-/stage/<id>): {id, packageName, version, tag,
 * createdAt, actor, actorType, shasum, status, ...}. Free with cJSON_Delete(). Errors:
 * SG_EINVALID (id not a UUID, not a JSON object), SG_ENOTFOUND (404: no such stage, the
 * message names the id and the registry), SG_ENET (401/403 and the rest, as sg_stage_list()).
 */
int sg_stage_view(cJSON **out, sg_ctx *ctx, const sg_registry_opts *opts, const char *id);

/**
 * The tarball of staged publish `id` (GET /-/stage/<id>/tarball), bounded by the tarball-bytes
 * limit and checked against the record's integrity and/or shasum (at least one required:
 * SG_EINVALID) before it is returned. SG_EINTEGRITY on a mismatch (the message gives both
 * digests). *out is malloc'd (free with free()). Other errors as sg_stage_view().
 */
int sg_stage_tarball(unsigned char **out, size_t *len, sg_ctx *ctx, const sg_registry_opts *opts,
                     const char *id, const char *integrity, const char *shasum);

#ifdef __cplusplus
}
#endif
#endif
