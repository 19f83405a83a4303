/*
 * Fixture builders for the test suites: temporary folders, git repositories made with
 * libgit2, tarballs made with libarchive, in-memory trees, running the CLI.
 * Every function aborts the test (cmocka fail_msg) on an unexpected failure, so tests can
 * call them without checking.
 */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sourcegate/sourcegate.h"

/** A file for a git commit or an in-memory tree. */
typedef struct sgt_file {
    const char *path;    /**< relative, '/'-separated */
    const char *content; /**< bytes (for a symlink: its target) */
    size_t len;          /**< 0: strlen(content) */
    unsigned mode;       /**< 0 or 0644: regular; 0755: executable; 0120000: symlink;
                              0160000: submodule (content = 40-hex commit) */
} sgt_file;

/** A tar entry. */
typedef struct sgt_tar_entry {
    const char *path;     /**< the raw entry name, written as given ("package/x.js") */
    const char *content;  /**< bytes for regular files */
    size_t len;           /**< 0: strlen(content) (content may be NULL for size 0) */
    unsigned mode;        /**< permission bits; 0 means 0644 */
    char type;            /**< '0' file (default when 0), '5' dir, '2' symlink, '1' hardlink,
                               '3' char device, '6' fifo */
    const char *linkname; /**< for symlinks and hardlinks */
} sgt_tar_entry;

/** A fresh temporary folder (under $TMPDIR or /tmp), removed by sgt_cleanup(). */
char *sgt_tmpdir(void);

/** Remove every temporary folder made by this process (call in group teardown, or atexit). */
void sgt_cleanup(void);

/** rm -rf. */
void sgt_rm_rf(const char *path);

/** Write a file, creating parent folders; mode 0 = 0644. */
void sgt_write_file(const char *path, const void *data, size_t len, unsigned mode);

/** Read a whole file into a malloc'd NUL-terminated buffer (free with free()). */
char *sgt_read_file(const char *path, size_t *len);

/** Create a git repository at dir (bare when bare != 0), with initial branch "main". */
void sgt_git_init(const char *dir, int bare);

/**
 * Commit exactly these files (a full snapshot, not a delta) on branch `branch` (NULL: "main"),
 * whose current tip becomes the parent (none for the first commit). out receives the commit's
 * hex id (may be NULL). Deterministic author/committer and time (time_offset seconds after
 * 2024-01-01, so successive commits can differ).
 */
void sgt_git_commit(char out[41], const char *repo_dir, const char *branch, const sgt_file *files,
                    size_t n, const char *message, int64_t time_offset);

/** Tag commit (hex) as `name`; annotated when annotated != 0. Overwrites an existing tag. */
void sgt_git_tag(const char *repo_dir, const char *name, const char *commit_hex, int annotated);

/**
 * Build a tar in memory with libarchive (pax-restricted format), gzip-compressed when gzip is
 * nonzero. *out is malloc'd (free with free()).
 */
void sgt_tar_build(unsigned char **out, size_t *out_len, const sgt_tar_entry *entries, size_t n,
                   int gzip);

/** Build a gzip tar and write it to path. */
void sgt_tar_write(const char *path, const sgt_tar_entry *entries, size_t n);

/**
 * An in-memory sg_tree with these files (sorted for you; content readable through
 * sg_tree_read()). Free with sg_tree_free().
 */
sg_tree *sgt_tree(const sgt_file *files, size_t n);

/** Materialize files into folder dir on disk (symlinks as symlinks; submodules skipped). */
void sgt_files_to_dir(const char *dir, const sgt_file *files, size_t n);

/**
 * Run a shell command; capture stdout and stderr (malloc'd, may be NULL to discard) and
 * return the exit status (or -1 when it did not exit normally).
 */
int sgt_run(const char *cmd, char **out, char **err);

/** 1 when program `name` is on PATH. */
int sgt_have_program(const char *name);

#endif
