/*
 * sourcegate: comparing a source tree with an artifact tree.
 *
 * The diff sees only sg_tree values (never libgit2 or libarchive). It adds findings and
 * normalizations to a report; the verdict is decided afterwards by sg_report_decide().
 */
#ifndef SOURCEGATE_DIFF_H
#define SOURCEGATE_DIFF_H

#include <stddef.h>
#include "errors.h"
#include "tree.h"
#include "report.h"

/* Only a pointer crosses this API: callers that build one include cJSON themselves. */
struct cJSON;

#ifdef __cplusplus
extern "C" {
#endif

/** Class of a file, which sets the severity of a difference in it (DESIGN.md). */
typedef enum {
    SG_FILE_CODE = 0,   /**< node, a shell, a compiler or npm may load or run it: high */
    SG_FILE_TYPES = 1,  /**< .d.ts, .map: medium */
    SG_FILE_DOCS = 2,   /**< README, LICENSE, .md, .txt, images, ignore files: low */
    SG_FILE_OTHER = 3,  /**< anything else (.css, .html, data): medium */
} sg_file_class;

/**
 * Classify a file from its path, its first bytes (head, head_len; may be NULL/0) and its
 * executable bit: extensions, native binary magic (ELF, Mach-O, PE), shebang, install-affecting
 * names (binding.gyp, .npmrc, .yarnrc*).
 */
sg_file_class sg_file_classify(const char *path, const unsigned char *head, size_t head_len,
                               int exec);

/** The severity a change of a file of this class gets ("high", "medium", "low", "medium"). */
sg_severity sg_file_class_severity(sg_file_class cls);

/** "code", "types", "docs", "other". */
const char *sg_file_class_name(sg_file_class cls);

/**
 * Callbacks through which the verifier tells the diff what it knows about the repository.
 * Any of them may be NULL.
 */
typedef struct sg_diff_opts {
    /** The version of the release (the artifact's package.json "version"); may be NULL. */
    const char *release_version;

    /**
     * Is `path` (relative to the package folder), absent from the source, plausibly made by the
     * repository's build? Return 1 and set *why (static or payload-owned) when it is, 0 when
     * not. DESIGN.md: only when the repository has a build and the path is git-ignored at the
     * commit or under the build's output folder.
     */
    int (*possibly_built)(void *payload, const char *path, const char **why);

    /** Version of the workspace package `name` in the source repository, or NULL. */
    const char *(*workspace_version)(void *payload, const char *name);

    /**
     * The spec catalog `catalog` ("" for the default one) gives dependency `name`, or NULL.
     */
    const char *(*catalog_spec)(void *payload, const char *catalog, const char *name);

    /**
     * Files at the repository root that a monorepo package may carry as copies (LICENSE),
     * or NULL. Used to explain a LICENSE the package folder lacks.
     */
    const sg_tree *root_files;

    void *payload; /**< passed to the callbacks */

    /**
     * The package as the rebuild packed it (DESIGN.md "Rebuild"), or NULL when there was no
     * rebuild. An artifact file the source lacks or has with other bytes is then reproduced
     * (same bytes: counts files_rebuilt), reproduced under the normalization "volatile-tokens"
     * (every difference a run of digits or hex of the same length or an ISO date/time that
     * rebuilt_again or the release's facts establish: a low file-modified finding), under
     * "dts-union-order" (a declaration file Node does not load whose lines differ only in the
     * order of union members: a low file-modified finding), or
     * unexplained (file-modified at the file's severity: an appended line fails); a file the
     * rebuild did not make stays as possibly_built says. A file the source explains (same
     * bytes, or an accepted normalization) is never compared with the rebuild.
     */
    const sg_tree *rebuilt;

    /**
     * Files of the package folder at the commit (package-relative paths, hashed) that the
     * packing rules left out of the source tree but the artifact ships, or NULL. An artifact file
     * with the same kind and bytes as the committed one is verified whatever the ignore rules
     * say (normalization "ignored-but-tracked", counts files_explained); with other bytes it is
     * file-modified at the file's severity unless the rebuild reproduced it. The case: a committed
     * dist/x.js that a .gitignore line also matches (docs/finding-kinds.md).
     */
    const sg_tree *tracked;

    /**
     * The package as a second rebuild packed it, with variation (another build path, time
     * zone, locale, umask, a later time), or NULL when none ran. An artifact file that differs
     * from the rebuild only in volatile tokens is reproduced only when each differing token
     * also differs between the two builds at the same place, or is a fact of the release
     * (release_published, release_commit, release_version); any other token is a modification
     * (file-modified at the file's severity, naming the token). Without a second build such a
     * file is file-unverified. An artifact file this build made with the same kind and bytes
     * is reproduced whatever the first build made (counts files_rebuilt).
     */
    const sg_tree *rebuilt_again;

    /** The release's commit (40 hex digits), or NULL. */
    const char *release_commit;

    /** The release's publish time (the packument's time[version], ISO 8601), or NULL. */
    const char *release_published;

    /**
     * Why the rebuild's dependencies were not pinned by a lockfile ("not frozen (no
     * lockfile)"), or NULL when they were (or nothing was installed). A rebuilt file whose lines
     * differ from the artifact's is then file-unverified (dependencies may have drifted since
     * the release: honest builds differ), not file-modified; lines appended after the rebuilt
     * content and differences in volatile tokens are judged as always.
     */
    const char *rebuilt_unpinned;

    /**
     * The absolute folders the rebuild (rebuilt_dir) and the second build (rebuilt_again_dir)
     * built in, or NULL. In a declaration file, sourcemap or documentation (not code), a line
     * that differs from the artifact's only where the rebuild wrote rebuilt_dir, the second
     * build wrote rebuilt_again_dir and the artifact has an absolute path of plain path
     * characters ending in the same folder name is reproduced under the normalization
     * "build-path" (a low file-modified finding naming the path).
     */
    const char *rebuilt_dir;
    const char *rebuilt_again_dir; /**< see rebuilt_dir */
} sg_diff_opts;

#define SG_DIFF_OPTS_INIT                                                                          \
    {                                                                                              \
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL         \
    }

/**
 * Compare two package.json documents (source, artifact) field by field (NPM-PACK.md §5.2),
 * adding findings and the names of the accepted publish-time rewrites to report.
 * SG_EINVALID when either is not a JSON object (message says which); limits: JSON size/depth.
 */
int sg_diff_manifest(sg_report *report, sg_ctx *ctx, const char *source, size_t source_len,
                     const char *artifact, size_t artifact_len, const sg_diff_opts *opts);

/**
 * Compare the packed source tree with the artifact tree: files added, modified, missing,
 * mode changes, with severities by file class; package.json through sg_diff_manifest().
 * Sets the files_same and artifact_files counters.
 */
int sg_diff_trees(sg_report *report, sg_ctx *ctx, const sg_tree *source, const sg_tree *artifact,
                  const sg_diff_opts *opts);

/**
 * Registry mode's "manifest confusion" check: compare the packument's metadata for a version
 * (versions[V], parsed) with the package.json inside its tarball. npm resolves dependencies
 * from the former and runs the scripts of the latter, so any disagreement on name, version,
 * dependencies of every kind, install scripts or bin is a "manifest-mismatch" finding (high).
 * npm's own publish-time normalization is accepted: bin in object form, and the
 * "node-gyp rebuild" install script npm adds when the tarball has a root binding.gyp
 * (has_root_gyp) and gypfile is not false.
 */
int sg_diff_registry_manifest(sg_report *report, sg_ctx *ctx,
                              const struct cJSON *registry_version, const char *tarball_manifest,
                              size_t len, int has_root_gyp);

/**
 * The release the delta compares `version` with (docs/report-format.md "delta"): among the
 * versions of the packument below `version` by semver precedence, the highest release; for a
 * prerelease, the highest prerelease of the same line (its first identifier: "beta" of
 * "2.0.0-beta.3") if there is one, else the highest release. *out is borrowed from the
 * packument; NULL when there is none or `version` is not a version. Never fails.
 */
int sg_diff_delta_predecessor(const char **out, const struct cJSON *packument,
                              const char *version);

/**
 * The delta since the previous release: sets the report's delta to "compared" with
 * `previous` and adds the changes from the registry manifests prev to cur (versions[V] of
 * the packuments: dependencies, optionalDependencies, peerDependencies, bundleDependencies,
 * install scripts, bin, entry points, publishing facts) and, when both trees are given,
 * from prev_tree to tree (files added and removed, files whose size changed by a factor of
 * 4 and at least 4 KiB). Adds no finding. Errors: SG_ENOMEM.
 */
int sg_diff_delta(sg_report *report, sg_ctx *ctx, const char *previous,
                  const struct cJSON *prev, const struct cJSON *cur, const sg_tree *prev_tree,
                  const sg_tree *tree);

#ifdef __cplusplus
}
#endif
#endif
