/*
 * Lockfiles, between the format parsers (lockfile_npm.c, lockfile_yarn.c, lockfile_pnpm.c)
 * and the common model (lockfile.c).
 */
#ifndef SG_LOCKFILE_INT_H
#define SG_LOCKFILE_INT_H

#include "common/common.h"
#include "sourcegate/lockfile.h"

struct sg_lockfile {
    sg_arena arena;            /* every string of the entries */
    sg_lockfile_entry *v;      /* entries, in lockfile order */
    size_t n;                  /* used */
    size_t cap;                /* allocated */
    size_t max_entries;        /* the entries limit in force */
    sg_lockfile_format format; /* which parser read it */
    unsigned version;          /* the format's own version */
    const char *what;          /* the file's name for messages (arena) */
};

/**
 * Append a copy of e (its strings copied into the arena; NULL stays NULL). SG_ELIMIT past the
 * entries limit.
 */
int sg_lockfile__add(sg_lockfile *lock, sg_ctx *ctx, const sg_lockfile_entry *e);

/** Copy s[0..len) into the lockfile's arena; NULL on allocation failure. */
char *sg_lockfile__strndup(sg_lockfile *lock, const char *s, size_t len);

/** The parsers: fill lock (format, version, entries) from data[0..len). */
int sg_lockfile__parse_npm(sg_lockfile *lock, sg_ctx *ctx, const char *data, size_t len);
int sg_lockfile__parse_yarn_classic(sg_lockfile *lock, sg_ctx *ctx, const char *data, size_t len);
int sg_lockfile__parse_yarn_berry(sg_lockfile *lock, sg_ctx *ctx, const char *data, size_t len);
int sg_lockfile__parse_pnpm(sg_lockfile *lock, sg_ctx *ctx, const char *data, size_t len);

/**
 * What a resolved URL or spec says about the entry's kind, for a package `name` at `version`:
 * git URLs and hosted shortcuts ("github:", "git+...", "git://", "git@"), "file:" paths
 * (a tarball name -> file, else link), "link:"/"portal:" (link), http(s) URLs shaped like a
 * registry tarball (".../NAME/-/BASENAME-VERSION.tgz") -> registry, other URLs -> tarball.
 * Returns -1 for anything else (the caller decides).
 */
int sg_lockfile__kind_of_url(const char *url, const char *name, const char *version);

/** 1 when s is an exact semantic version (strict). */
int sg_lockfile__is_version(const char *s);

/**
 * Split "name@rest" at the '@' after the name (a leading '@' belongs to a scope). *name_len
 * receives the name's length; returns a pointer to rest, or NULL when there is no such '@'.
 */
const char *sg_lockfile__split_at(const char *s, size_t len, size_t *name_len);

/* ---- a bounded streaming walk over a YAML document (libyaml events) ------------------- */

/** One step of the walk. Keys of mappings are scalars; sequence items have key "". */
typedef enum {
    SG_YAML_ENTER_MAP, /**< a mapping starts (value of path[depth-1]) */
    SG_YAML_ENTER_SEQ, /**< a sequence starts */
    SG_YAML_LEAVE,     /**< the mapping or sequence at this depth ends */
    SG_YAML_SCALAR,    /**< a scalar value */
} sg_yaml_event;

typedef struct sg_yaml_path {
    const char *key[64]; /**< keys from the document root; key[depth-1] names this node */
    size_t len[64];      /**< their lengths */
    unsigned line[64];   /**< 1-based line of each key */
    size_t depth;        /**< how many keys (0: the root node) */
} sg_yaml_path;

/** Called for each step; value/len for scalars (else NULL/0); line of the node (1-based).
 *  Returns 0 to go on or a negative error (set in ctx) to stop. */
typedef int (*sg_yaml_fn)(void *payload, sg_ctx *ctx, sg_yaml_event ev, const sg_yaml_path *p,
                          const char *value, size_t len, unsigned line);

/**
 * Walk the first YAML document of data[0..len) with libyaml's event parser (no tree is built).
 * Refuses (SG_EINVALID, with the line) syntax errors, anchors and aliases, non-scalar keys and
 * tags; (SG_ELIMIT) nesting beyond min(json-depth, 64) and keys or values longer than the
 * input. `what` names the file in messages.
 */
int sg_lockfile__yaml_walk(sg_ctx *ctx, const char *data, size_t len, const char *what,
                           sg_yaml_fn fn, void *payload);

/** 1 when p's key at depth i equals s. */
int sg_yaml_key_is(const sg_yaml_path *p, size_t i, const char *s);

#endif
