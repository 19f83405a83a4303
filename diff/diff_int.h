/*
 * Internal interface of the diff module (filetype.c, manifest.c, tree_diff.c).
 */
#ifndef SG_DIFF_INT_H
#define SG_DIFF_INT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sourcegate/diff.h"

/** What the tree diff wants to know from the manifest diff, beyond the findings. */
/** A file a manifest entry point names. */
typedef struct sg_entry_target {
    char *field; /**< the field ("main", "exports", ...); sg_malloc'd */
    char *path;  /**< the path it names, normalized ("lib/index.js"); sg_malloc'd */
    int changed; /**< the field differs from the source's */
    int types;   /**< named under a "types" condition only (exports, imports): Node does not
                      load it unless run with --conditions=types */
} sg_entry_target;

typedef struct sg_manifest_info {
    int residual;             /**< 1 when a difference remained that no accepted rewrite explains */
    char **bin_paths;         /**< the artifact's bin targets, normalized ("cli.js"); sg_malloc'd */
    size_t bin_count;         /**< entries of bin_paths */
    char *bin_dir;            /**< the artifact's directories.bin, normalized, or NULL */
    sg_entry_target *entries; /**< the files main, module, browser, exports, imports name */
    size_t entry_count;       /**< entries of entries */
    size_t entry_cap;         /**< allocated */
} sg_manifest_info;

#define SG_MANIFEST_INFO_INIT                                                                      \
    {                                                                                              \
        0, NULL, 0, NULL, NULL, 0, 0                                                               \
    }

void sg_diff__manifest_info_dispose(sg_manifest_info *info);

/**
 * sg_diff_manifest() that also fills info (may be NULL): whether an unexplained difference
 * remained and the artifact's bin targets (for the executable-bit rule of npm and pnpm).
 */
int sg_diff__manifest(sg_report *report, sg_ctx *ctx, const char *source, size_t source_len,
                      const char *artifact, size_t artifact_len, const sg_diff_opts *opts,
                      sg_manifest_info *info);

/**
 * 1 when path gets its executable bit from the packer because of the manifest's bin (npm's
 * isPackageBin: a root bin target, or any "X/<bin target>"; pnpm: every bin target) or lies
 * under directories.bin.
 */
int sg_diff__is_bin_target(const sg_manifest_info *info, const char *path);

/** 1 when two manifests' bin fields mean the same after npm's normalization. */
int sg_diff__bin_equiv(const cJSON *sdoc, const cJSON *sbin, const cJSON *adoc, const cJSON *abin);

/**
 * 1 when art is src with only blank lines, whole-line // comments and whole-line block
 * comments removed (clean-publish and similar); 0 otherwise (including equal inputs).
 */
int sg_diff__only_comments_removed(const char *src, size_t slen, const char *art, size_t alen);

/** How an artifact file compares with the rebuild's copy (sg_diff__rebuilt_compare()). */
typedef enum {
    SG_REBUILT_SAME = 0,      /**< identical bytes */
    SG_REBUILT_VOLATILE = 1,  /**< differs only in volatile tokens (DESIGN.md "Rebuild") */
    SG_REBUILT_DIFFERENT = 2, /**< any other difference */
} sg_rebuilt_outcome;

/** Where and how the two copies differ, for the finding's detail. */
typedef struct sg_rebuilt_cmp {
    sg_rebuilt_outcome outcome; /**< the verdict */
    size_t first_line;          /**< 1-based line of the first difference (0: none) */
    size_t lines_changed;       /**< lines that differ (volatile or not) */
    size_t appended;            /**< lines the artifact has after the rebuild's last line, when
                                     everything before matched */
    size_t missing;             /**< lines the rebuild has after the artifact's last line, when
                                     everything before matched */
} sg_rebuilt_cmp;

/**
 * Compare the artifact's bytes with the rebuild's line by line. Lines must pair up; two lines
 * of a pair may differ only inside volatile tokens that sit at the same place in both with the
 * same length: a whole number of at least 4 digits, a whole hex string of at least 7 digits
 * with a decimal digit in it, or an ISO 8601 date, date-time or time (tokens are bounded by
 * characters that cannot continue an identifier). Inputs with a NUL byte are compared exactly.
 */
void sg_diff__rebuilt_compare(sg_rebuilt_cmp *out, const char *art, size_t alen, const char *reb,
                              size_t rlen);

/**
 * The volatile token starting at p[0] (prev: the character before it, -1 at a line's start):
 * its length, or 0 when none starts here (the rules of sg_diff__rebuilt_compare()).
 */
size_t sg_diff__volatile_token(const char *p, size_t len, int prev);

/** The tokens at most this long are quoted whole in a finding; longer ones are cut. */
#define SG_TOKEN_TEXT 72

/** How the token differences of an artifact file from the rebuild were settled. */
typedef struct sg_token_check {
    int established;           /**< 1: every differing token varies between the two builds
                                    or is a fact of the release */
    size_t varied;             /**< tokens that differ between the two builds */
    size_t known;              /**< tokens equal to the release's publish time, commit or
                                    version */
    size_t line;               /**< the first token not established: its line (1-based) */
    char art[SG_TOKEN_TEXT];   /**< its text in the artifact */
    char built[SG_TOKEN_TEXT]; /**< its text in the rebuild */
    char again[SG_TOKEN_TEXT]; /**< its text in the second build ("" when it has none there) */
    char examples[320];        /**< the first established tokens, for the report */
} sg_token_check;

/**
 * Establish the token differences between the artifact's copy of a file (art) and the
 * rebuild's (reb), which sg_diff__rebuilt_compare() found SG_REBUILT_VOLATILE. A token is
 * established when the second build's copy (again, NULL when there was none) has a token of
 * the same length at the same line and column whose text differs from the rebuild's (it
 * varies between honest builds), or when the artifact's token lies inside the release's
 * publish time (ISO 8601 with or without milliseconds, its date, epoch seconds or
 * milliseconds), commit id (full, or a prefix of at least 7 digits) or version, as opts gives
 * them. Stops at the first token it cannot establish.
 */
void sg_diff__establish_tokens(sg_token_check *out, const char *art, size_t alen, const char *reb,
                               size_t rlen, const char *again, size_t glen,
                               const sg_diff_opts *opts);

/**
 * 1 when every line of the artifact's copy (art) that differs from the rebuild's (reb) differs
 * only in the build path: cut at each place where the rebuild wrote its folder
 * (opts->rebuilt_dir, not followed by a name character), the rebuild's line gives literals
 * that the artifact's line and the second build's (again) have byte for byte, the second build
 * has its own folder (opts->rebuilt_again_dir, which differs) at each place, and the artifact
 * an absolute path of plain folder names ending in the rebuild folder's last name. Lines must
 * pair up in all three copies, and so must a final newline. out names the paths (varied) and,
 * when 0, the first line not explained. The caller decides the files it applies to.
 */
int sg_diff__explain_build_path(sg_token_check *out, const char *art, size_t alen, const char *reb,
                                size_t rlen, const char *again, size_t glen,
                                const sg_diff_opts *opts);

/**
 * *out = 1 when some artifact file (of those marked in only, one byte per artifact entry; NULL:
 * all) differs from the rebuild's copy only in volatile tokens, which a second build must then
 * establish. Errors: those of sg_tree_read().
 */
/**
 * *out = 1 when some artifact file (of those marked in only; NULL: all) has lines that differ
 * from the rebuild's copy, other than lines appended after the rebuilt content: a second build
 * then shows whether honest builds vary there. Errors: those of sg_tree_read().
 */
int sg_diff__rebuild_lines_differ(int *out, sg_ctx *ctx, const sg_tree *artifact,
                                  const sg_tree *rebuilt, const unsigned char *only);

int sg_diff__rebuild_tokens_only(int *out, sg_ctx *ctx, const sg_tree *artifact,
                                 const sg_tree *rebuilt, const unsigned char *only);

/**
 * 1 when path names a TypeScript declaration file (.d.ts, .d.mts, .d.cts): types only, no
 * code that runs.
 */
int sg_diff__dts_path(const char *path);

/**
 * *out = 1 when the lines a and b of a declaration file are equal but for the order of the
 * members of unions the line bounds on both sides (members compared as text; separators,
 * spacing and everything else byte for byte; diff/dts_union.c says which lines are compared
 * exactly). Returns 0, or SG_ENOMEM (with *out = 0).
 */
int sg_diff__union_lines_equal(int *out, const char *a, size_t an, const char *b, size_t bn);

/** A line of a declaration file is quoted in a finding up to this many bytes. */
#define SG_UNION_TEXT 160

/** Where a declaration file differs from the rebuild's only in the order of union members. */
typedef struct sg_union_check {
    size_t lines;              /**< lines that differ */
    size_t first_line;         /**< the first of them (1-based) */
    char art[SG_UNION_TEXT];   /**< that line in the artifact, without its indentation */
    char built[SG_UNION_TEXT]; /**< that line in the rebuild */
} sg_union_check;

/**
 * *out = 1 when the artifact's copy of a declaration file (art) and the rebuild's (reb) have
 * the same number of lines, the same final newline, and every pair of lines that differ is
 * equal by sg_diff__union_lines_equal(); st then says where. Errors: SG_ENOMEM (in ctx).
 */
int sg_diff__union_order_only(int *out, sg_union_check *st, sg_ctx *ctx, const char *art,
                              size_t alen, const char *reb, size_t rlen);

/* The top folders a group of findings is in, for the reports' grouped lines: at most
 * SG_DIFF_FOLDERS distinct ones, first seen first, each as a prefix of a finding's path with
 * its '/' (length 0: the package root). */
#define SG_DIFF_FOLDERS 3
typedef struct sg_diff_folders {
    const char *name[SG_DIFF_FOLDERS]; /* borrowed from the paths */
    size_t len[SG_DIFF_FOLDERS];       /* bytes of name that are the folder */
    size_t n;                          /* how many */
    int more;                          /* paths in further folders were seen */
} sg_diff_folders;

/* Count path's top folder in f (a NULL path, a manifest finding, counts nowhere). */
void sg_diff__folders_add(sg_diff_folders *f, const char *path);

/** A native binary's header, as sg_diff__native_header() read it. */
typedef struct sg_native_info {
    const char *format; /**< "ELF", "Mach-O", "Mach-O universal" or "PE" (static) */
    char arch[48];      /**< Node's name for its architecture ("x64", "arm64", "x64+arm64"
                             for a universal binary, "machine 0x..." when unknown) */
} sg_native_info;

/**
 * 1 when p[0..len) starts with an ELF (valid class and byte order), Mach-O (32/64-bit, either
 * byte order), Mach-O universal (fat, 32/64-bit entries; not a Java class file) or PE/COFF
 * ("MZ" whose e_lfanew points at "PE\0\0" inside p) header, and fills out; 0 otherwise.
 */
int sg_diff__native_header(sg_native_info *out, const unsigned char *p, size_t len);

/**
 * 1 when path is where prebuilt native code lives: a .node file, anything under a prebuilds/
 * folder or the root's build/Release/, or, in a platform package (package.json with os or
 * cpu), an executable, a bin target or a .exe/.dll/.so/.dylib library.
 */
int sg_diff__native_place(const char *path, int exec, int bin_target, int platform_pkg);

/** *out = 1 when the artifact's package.json declares os or cpu (a platform package). */
int sg_diff__platform_package(int *out, sg_ctx *ctx, const sg_tree *artifact);

/**
 * *out = 1 when artifact entry e of tree is a prebuilt native binary, by its place
 * (sg_diff__native_place()) and its content (sg_diff__native_header(), reading past the head
 * for a PE header); then detail says so, with the format and architecture, for a
 * file-unverified finding. Errors: those of sg_tree_read().
 */
int sg_diff__native_detail(int *out, char *detail, size_t detail_size, sg_ctx *ctx,
                           const sg_tree *tree, const sg_entry *e, int bin_target,
                           int platform_pkg);

#endif
