/*
 * sourcegate: lockfiles (package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml)
 * and verifying the releases they pin.
 *
 * A lockfile is read into one common model: a list of entries {name, version, resolved URL,
 * integrity, kind, line}. Entries the registry serves (kind registry) can be verified as
 * `sourcegate verify NAME@VERSION` would; git, local file, local folder, remote tarball and
 * workspace entries are listed as not verifiable. With a base lockfile (the pull-request
 * case) only the entries added or changed since the base are kept.
 *
 * Lockfiles are hostile input. Limits (limits.h) in force: json-size bounds the bytes of any
 * lockfile (not only JSON ones), json-depth its nesting, entries the number of entries.
 */
#ifndef SOURCEGATE_LOCKFILE_H
#define SOURCEGATE_LOCKFILE_H

#include <stddef.h>
#include "errors.h"
#include "report.h"
#include "verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The lockfile formats. */
typedef enum {
    SG_LOCKFILE_NPM = 0,      /**< package-lock.json or npm-shrinkwrap.json, versions 1-3 */
    SG_LOCKFILE_YARN_CLASSIC, /**< yarn.lock of yarn 1 ("# yarn lockfile v1") */
    SG_LOCKFILE_YARN_BERRY,   /**< yarn.lock of yarn 2+ (YAML with __metadata) */
    SG_LOCKFILE_PNPM,         /**< pnpm-lock.yaml, lockfileVersion 5.x, 6.x, 9.x */
} sg_lockfile_format;

/** "npm", "yarn-classic", "yarn-berry", "pnpm". */
const char *sg_lockfile_format_name(sg_lockfile_format format);

/** Where an entry comes from. Only registry entries are verified. */
typedef enum {
    SG_LOCK_KIND_REGISTRY = 0, /**< a release of the npm registry (or a registry like it) */
    SG_LOCK_KIND_GIT,          /**< a git repository at a commit */
    SG_LOCK_KIND_FILE,         /**< a local tarball or other local file (or a yarn patch) */
    SG_LOCK_KIND_LINK,         /**< a local folder, symlinked or copied (file:DIR, link:) */
    SG_LOCK_KIND_WORKSPACE,    /**< a package of this project's own workspaces */
    SG_LOCK_KIND_TARBALL,      /**< a remote tarball URL that is not a registry tarball */
} sg_lockfile_kind;

/** "registry", "git", "file", "link", "workspace", "tarball". */
const char *sg_lockfile_kind_name(sg_lockfile_kind kind);

/** Entry flags. */
#define SG_LOCK_DEV 0x1u      /**< only a development dependency */
#define SG_LOCK_OPTIONAL 0x2u /**< an optional dependency */
#define SG_LOCK_BUNDLED 0x4u  /**< shipped inside its parent's tarball (npm inBundle) */

/** How an entry relates to the base lockfile (sg_lockfile_delta()). */
typedef enum {
    SG_LOCK_SAME = 0, /**< no base, or the base has the same release */
    SG_LOCK_ADDED,    /**< the base has no release of this package */
    SG_LOCK_CHANGED,  /**< the base has this package at another version, integrity or URL */
} sg_lockfile_change;

/** One entry of a lockfile. Strings are borrowed from the lockfile; NULL when absent. */
typedef struct sg_lockfile_entry {
    const char *name;          /**< the package's registry name (an alias's target) */
    const char *version;       /**< exact version ("1.2.3"); NULL when the lockfile has none */
    const char *resolved;      /**< tarball URL, git URL or path as written (yarn: no #hash) */
    const char *integrity;     /**< SRI as written ("sha512-..."); NULL when absent */
    const char *alias;         /**< the name it is installed as, when it differs; else NULL */
    sg_lockfile_kind kind;     /**< where it comes from */
    unsigned flags;            /**< SG_LOCK_DEV, SG_LOCK_OPTIONAL, SG_LOCK_BUNDLED */
    unsigned line;             /**< 1-based line of the entry in the lockfile (0: unknown) */
    sg_lockfile_change change; /**< relation to the base (SG_LOCK_SAME without one) */
} sg_lockfile_entry;

typedef struct sg_lockfile sg_lockfile;

/**
 * Detect the format from the file name (its basename: package-lock.json, npm-shrinkwrap.json,
 * yarn.lock, pnpm-lock.yaml) and else from the content. SG_EINVALID when neither tells.
 */
int sg_lockfile_detect(sg_lockfile_format *out, sg_ctx *ctx, const char *filename, const char *data,
                       size_t len);

/**
 * Parse a lockfile from data[0..len) (no NUL needed). `filename` is used to detect the format
 * (may be NULL: content only) and to name the file in messages. Entries keep the lockfile's
 * order. Free with sg_lockfile_free(). Errors: SG_EINVALID (malformed, wrong types, unknown
 * format; one message naming the file, the line where known and what was wrong), SG_ELIMIT
 * (json-size, json-depth or entries exceeded), SG_ENOMEM.
 */
int sg_lockfile_parse(sg_lockfile **out, sg_ctx *ctx, const char *data, size_t len,
                      const char *filename);

void sg_lockfile_free(sg_lockfile *lock);

sg_lockfile_format sg_lockfile_format_of(const sg_lockfile *lock);

/** The format's own version: npm lockfileVersion (1-3), yarn 1 or berry's __metadata
 *  version, pnpm's lockfileVersion major (5, 6, 9). */
unsigned sg_lockfile_version(const sg_lockfile *lock);

size_t sg_lockfile_count(const sg_lockfile *lock);

/** Entry i (borrowed, valid until the lockfile is freed). */
const sg_lockfile_entry *sg_lockfile_entry_at(const sg_lockfile *lock, size_t i);

/**
 * The entries of `lock` that `base` does not have: *out is a new lockfile (same format and
 * version) holding copies of the entries whose (kind, name, version) is not in base, or is
 * with another integrity (when both have one) or, for non-registry entries, another resolved
 * URL. Each copy's `change` says SG_LOCK_ADDED (base has no entry of that name) or
 * SG_LOCK_CHANGED. The formats of the two may differ. Free *out with sg_lockfile_free().
 */
int sg_lockfile_delta(sg_lockfile **out, sg_ctx *ctx, const sg_lockfile *lock,
                      const sg_lockfile *base);

/* ---- verifying the registry entries -------------------------------------------------- */

/**
 * Optional reuse of stored verdicts, keyed by (ecosystem, name, version, integrity): e.g. the
 * results store (store.h: sg_store_get_result / sg_store_put_result map onto these one to
 * one). Both callbacks are called from worker threads but never concurrently (the runner
 * holds a lock around them). Either may be NULL.
 */
typedef struct sg_lockfile_reuse {
    /** Append the stored report (JSON, schema sourcegate/report/v1) for the key to `json`:
     *  0 when found, SG_ENOTFOUND when none, another error to ignore the store for this
     *  release. `integrity` is the lockfile's SRI (asked only when it is one sha512 digest).
     *  The JSON is read back with the JSON limits, and its verdict is decided again with the
     *  run's fail_on; a report that does not read back is verified afresh. */
    int (*get)(void *payload, sg_buf *json, sg_ctx *ctx, const char *ecosystem, const char *name,
               const char *version, const char *integrity);
    /** Store a fresh report under the integrity of the verified tarball (its sha512 SRI),
     *  with its verdict and its JSON (json[0..len), as sg_report_write_json() writes it).
     *  Errors are ignored (the verification stands). */
    int (*put)(void *payload, sg_ctx *ctx, const char *ecosystem, const char *name,
               const char *version, const char *integrity, sg_verdict verdict, const char *json,
               size_t len);
    void *payload; /**< passed to both */
} sg_lockfile_reuse;

/** The outcome for one release (one name@version, however many entries pin it). */
typedef struct sg_lockfile_release {
    const char *name;               /**< package name */
    const char *version;            /**< exact version */
    const sg_lockfile_entry *entry; /**< its first entry (line, integrity, change) */
    size_t nentries;                /**< how many entries pin this release */
    const sg_report *report;        /**< the verification report; NULL when error < 0 */
    int error;                      /**< 0, or the SG_E* that stopped the verification */
    const char *message;            /**< the error's message ("" when none) */
    int reused;                     /**< 1 when the report came from sg_lockfile_reuse.get */
} sg_lockfile_release;

/** Called after each release is done (serialized; from a worker thread). */
typedef void (*sg_lockfile_progress_fn)(void *payload, size_t done, size_t total,
                                        const sg_lockfile_release *release);

typedef struct sg_lockfile_verify_opts {
    sg_verify_release_opts release;   /**< as for sg_verify_release(): cache (required: each
                                            worker opens its own handle on its folder),
                                            npm_config, rewrites, offline, fail_on, registry,
                                            rebuild, trust; name, spec, source, ref, subdir and
                                            tarball are ignored; with npm_config, a rebuild's
                                            registry is each package's own (as verify's) */
    unsigned jobs;                    /**< worker threads; 0: the number of online CPUs */
    const sg_lockfile_reuse *reuse;   /**< stored verdicts, or NULL */
    sg_lockfile_progress_fn progress; /**< or NULL */
    void *progress_payload;           /**< passed to progress */
} sg_lockfile_verify_opts;

#define SG_LOCKFILE_VERIFY_OPTS_INIT                                                               \
    {                                                                                              \
        SG_VERIFY_RELEASE_OPTS_INIT, 0, NULL, NULL, NULL                                           \
    }

typedef struct sg_lockfile_run sg_lockfile_run;

/**
 * Verify every registry entry of `lock` (pass the result of sg_lockfile_delta() to verify only
 * what changed): each distinct name@version once, in parallel on opts->jobs threads, as
 * sg_verify_release() would, and each entry's own integrity against the bytes the registry
 * served: a difference adds an `integrity-mismatch` finding to the release. Bundled entries
 * and non-registry kinds are not verified (sg_lockfile_run_skipped()). A release that cannot
 * be verified (network, not found, hostile packument) records its error and the others go
 * on. Returns an error only when the run itself cannot proceed (SG_EINVALID options,
 * SG_ENOMEM, SG_EIO opening the cache, threads). Free *out with sg_lockfile_run_free().
 */
int sg_lockfile_verify(sg_lockfile_run **out, sg_ctx *ctx, const sg_lockfile *lock,
                       const sg_lockfile_verify_opts *opts);

void sg_lockfile_run_free(sg_lockfile_run *run);

/** Releases verified (or attempted), sorted by name then version. */
size_t sg_lockfile_run_count(const sg_lockfile_run *run);
const sg_lockfile_release *sg_lockfile_run_release(const sg_lockfile_run *run, size_t i);

/** Entries not verified (non-registry kinds and bundled entries), in lockfile order. */
size_t sg_lockfile_run_skipped_count(const sg_lockfile_run *run);
const sg_lockfile_entry *sg_lockfile_run_skipped(const sg_lockfile_run *run, size_t i);

/** Why an entry is not verified: "a git dependency", "bundled in its parent's tarball", ... */
const char *sg_lockfile_skip_reason(const sg_lockfile_entry *entry);

/**
 * The class of an entry that sourcegate cannot verify, as `lockfile --allow-unverifiable`
 * names it: "git" (a git dependency), "file" (a file: tarball or a file:/link: folder),
 * "remote" (a tarball URL outside every configured registry); NULL for an entry that needs
 * no verification of its own (a workspace of the project, a bundled dependency). Static.
 */
const char *sg_lockfile_unverifiable_class(const sg_lockfile_entry *entry);

/** The worst verdict among the releases that were verified (PASS when none). */
sg_verdict sg_lockfile_run_verdict(const sg_lockfile_run *run);

#ifdef __cplusplus
}
#endif
#endif
