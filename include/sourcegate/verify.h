/*
 * sourcegate: the verification pipeline.
 */
#ifndef SOURCEGATE_VERIFY_H
#define SOURCEGATE_VERIFY_H

#include "errors.h"
#include "report.h"
#include "cache.h"
#include "registry.h"
#include "source.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sg_rebuild_opts;
struct sg_trust_opts;

typedef struct sg_verify_opts {
    const char *tarball_path; /**< the packed artifact (.tgz) */
    const char *source;       /**< git repository: a path or a file:// URL */
    const char *ref;          /**< revision to compare with; NULL means HEAD */
    const char *subdir;       /**< package folder inside the repository; NULL or "" for root */
    sg_severity fail_on;      /**< findings at or above this fail the verification */
    const struct sg_rebuild_opts *rebuild; /**< rebuild generated files (rebuild.h); NULL:
                                                never */
} sg_verify_opts;

#define SG_VERIFY_OPTS_INIT { NULL, NULL, NULL, NULL, SG_SEV_HIGH, NULL }

/**
 * Local mode: verify a packed tarball against a commit of a git repository. On success
 * *out holds the report with its verdict decided (free with sg_report_free()); a verdict of
 * fail is not an error. Errors: SG_EINVALID or SG_ELIMIT for a bad tarball, SG_ENOTFOUND for a
 * missing file, repository, ref or subdir, SG_EIO, SG_EDEP, SG_ENOMEM.
 */
int sg_verify_local(sg_report **out, sg_ctx *ctx, const sg_verify_opts *opts);

/**
 * Split a release argument "NAME@SPEC" (scoped names keep their leading '@'; no '@' means
 * SPEC "latest"). *name and *spec are sg_malloc'd; free with sg_release_spec_free().
 * SG_EINVALID for an empty or malformed name (npm's rules: lowercase URL-safe characters,
 * at most 214 bytes, an optional @scope/).
 */
int sg_release_spec_parse(char **name, char **spec, sg_ctx *ctx, const char *arg);
void sg_release_spec_free(char *name, char *spec);

typedef struct sg_verify_release_opts {
    const char *name;          /**< package name */
    const char *spec;          /**< exact version, dist-tag or range ("" or NULL: latest) */
    sg_cache *cache;           /**< required: packuments, tarballs and git mirrors */
    const sg_npm_config *npm_config; /**< registries and tokens; NULL: the public registry */
    const sg_url_rewrites *rewrites; /**< repository URL rewrites, or NULL */
    int offline;               /**< use only the cache */
    const char *source;        /**< override the repository: a local path or a URL; or NULL */
    const char *ref;           /**< override commit resolution with this revision; or NULL */
    const char *subdir;        /**< override the package folder; or NULL */
    sg_severity fail_on;       /**< findings at or above this fail the verification */
    sg_registry_opts registry; /**< timeouts and retries (cache, config, offline are set from
                                    the fields above) */
    sg_buf *tarball;           /**< when not NULL, receives the verified tarball bytes (to
                                    attest them); left empty on an integrity mismatch */
    const struct sg_rebuild_opts *rebuild; /**< rebuild generated files (rebuild.h); NULL:
                                                never */
    const struct sg_trust_opts *trust;     /**< registry signatures and provenance (trust.h);
                                                NULL: not checked */
    int no_delta;              /**< 1: skip the delta since the previous release
                                    (--no-delta); the report's delta says "skipped" */
    const char *stage_id;      /**< verify a staged publish (a UUID) instead of a published
                                    version; name and spec, when given, must match its record
                                    (docs/staged-publishing.md) */
} sg_verify_release_opts;

#define SG_VERIFY_RELEASE_OPTS_INIT                                                          \
    { NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, SG_SEV_HIGH, SG_REGISTRY_OPTS_INIT,     \
      NULL, NULL, NULL, 0, NULL }

/**
 * Registry mode: fetch the packument and the tarball (integrity checked before any parser
 * sees the bytes), check the packument's metadata against the tarball's package.json, find
 * the repository and the commit the release came from (DESIGN.md order), and compare as in
 * local mode. Problems with the release itself are findings, not errors: integrity-mismatch,
 * manifest-mismatch, source-missing, ref-unresolved (then compared with the nearest earlier
 * release that resolves). The report's delta says what changed since the previous release
 * (sg_diff_delta_predecessor(), sg_diff_delta()); its tarball is fetched and checked like the
 * release's own, and one that cannot be read makes the delta "unavailable", never an error
 * or a verdict. Errors: SG_ENOTFOUND (no such package or version), SG_ENET,
 * SG_EINVALID (a hostile packument or tarball), SG_ELIMIT, SG_EDEP, SG_EIO, SG_ENOMEM.
 *
 * With stage_id, the release is the staged publish: its record and tarball come from the
 * stage endpoints (registry.h sg_stage_view(), sg_stage_tarball()) with the user's auth, a
 * tarball that does not match the record is the critical finding stage-integrity (and
 * verification stops), the staged manifest stands in for versions[V] of the packument, and
 * the report's artifact names the stage id, who staged it and when. Errors as above; an
 * unknown id is SG_ENOTFOUND, a registry refusing the user's auth SG_ENET.
 */
int sg_verify_release(sg_report **out, sg_ctx *ctx, const sg_verify_release_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
