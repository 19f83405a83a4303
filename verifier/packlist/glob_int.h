/*
 * Glob matchers for the packlist and for git ignore rules.
 *
 * sg_glob is a port of minimatch 10 (the matcher npm 11's ignore-walk uses): brace expansion
 * (brace-expansion 5), `*`, `**`, `?`, `[...]` classes with POSIX names, extglobs
 * `@() ?() *() +() !()`, its fast paths, matchBase, flipNegate and partial matching.
 * Matching never backtracks exponentially: plain segments use the two-pointer wildcard
 * algorithm, extglob segments a Thompson NFA, `**` minimatch's own bounded section walk.
 * Differences from minimatch: case folding covers ASCII, Latin-1, Latin Extended-A, Greek and
 * Cyrillic only; `?` consumes one code point (JavaScript without the u flag: one UTF-16 unit);
 * POSIX classes approximate the Unicode properties for non-ASCII; a pattern whose brace
 * expansion exceeds SG_GLOB_MAX_EXPANSIONS is refused (SG_ELIMIT) instead of truncated.
 *
 * sg_glob__wildmatch is git's wildmatch() with WM_PATHNAME (case-sensitive), evaluated by
 * dynamic programming in O(pattern * text).
 */
#ifndef SG_GLOB_INT_H
#define SG_GLOB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "sourcegate/errors.h"

#define SG_GLOB_NOCASE 1u     /**< case-insensitive (minimatch nocase) */
#define SG_GLOB_DOT 2u        /**< wildcards match a leading '.' (minimatch dot) */
#define SG_GLOB_MATCHBASE 4u  /**< a one-segment pattern matches the basename */
#define SG_GLOB_FLIPNEGATE 8u /**< match() reports a hit even for a '!' pattern */
#define SG_GLOB_NPM (SG_GLOB_NOCASE | SG_GLOB_DOT | SG_GLOB_MATCHBASE | SG_GLOB_FLIPNEGATE)

/** Longest pattern accepted (minimatch's assertValidPattern: 64 Ki). */
#define SG_GLOB_MAX_PATTERN (64 * 1024)
/** Most alternatives one pattern's braces may expand to. */
#define SG_GLOB_MAX_EXPANSIONS 4096
/** Most bytes all alternatives of one pattern may hold together. */
#define SG_GLOB_MAX_EXPANDED_BYTES (1024 * 1024)

typedef struct sg_glob sg_glob;

/**
 * Compile pattern[0..len) with SG_GLOB_* flags. Errors: SG_ENOMEM, SG_ELIMIT (pattern longer
 * than SG_GLOB_MAX_PATTERN, braces nested too deeply or expanding too far).
 */
int sg_glob__compile(sg_glob **out, sg_ctx *ctx, const char *pattern, size_t len, unsigned flags);

void sg_glob__free(sg_glob *g);

/**
 * minimatch's Minimatch#match(path, partial): 1 or 0 (SG_ENOMEM when a scratch allocation for
 * an extglob or a very deep path fails). With SG_GLOB_FLIPNEGATE, 1 means "the pattern
 * (without its '!') matched"; without it, a '!' pattern inverts the result. A compiled glob
 * holds no mutable state: matching from several threads at once is safe.
 */
int sg_glob__match(const sg_glob *g, const char *path, size_t len, int partial);

/** One '/'-separated part of a path. */
typedef struct sg_glob_seg {
    const char *p; /**< bytes (not NUL-terminated) */
    size_t n;      /**< length */
} sg_glob_seg;

/**
 * sg_glob__match() on a path already split as JavaScript's path.split(/\/+/) splits it
 * ("/a/b/" is "", "a", "b", ""); n >= 1. Lets a caller that tries many rules and many forms
 * of one path split it once. Does not have the `"/" with partial` shortcut of match().
 */
int sg_glob__match_segs(const sg_glob *g, const sg_glob_seg *segs, size_t n, int partial);

/** 1 when the pattern started with an odd number of '!'. */
int sg_glob__negate(const sg_glob *g);

/**
 * ignore-walk's isRelativeRule test: some expanded pattern has one segment, or two with an
 * empty last one ("name/").
 */
int sg_glob__relative(const sg_glob *g);

/**
 * git's wildmatch(pattern, text, WM_PATHNAME): `*` and `?` and classes never match '/',
 * `**` between slashes (or at either end) matches across folders, `\` escapes. 1 or 0, or
 * SG_ENOMEM. Callers apply git's literal-prefix step themselves (see gitignore.c).
 */
int sg_glob__wildmatch(const char *pattern, size_t plen, const char *text, size_t tlen);

/* ------------------------------------------------------------------------------------------ */
/* Between glob_brace.c, glob_compile.c and glob_match.c only                                 */

/* POSIX class names, in the order of px_names (glob_compile.c) and px_test (glob_match.c). */
enum {
    SG_GLOB_PX_ALNUM,
    SG_GLOB_PX_ALPHA,
    SG_GLOB_PX_ASCII,
    SG_GLOB_PX_BLANK,
    SG_GLOB_PX_CNTRL,
    SG_GLOB_PX_DIGIT,
    SG_GLOB_PX_GRAPH,
    SG_GLOB_PX_LOWER,
    SG_GLOB_PX_PRINT,
    SG_GLOB_PX_PUNCT,
    SG_GLOB_PX_SPACE,
    SG_GLOB_PX_UPPER,
    SG_GLOB_PX_WORD,
    SG_GLOB_PX_XDIGIT,
    SG_GLOB_PX__COUNT
};

/* One bracket expression ([...]) of a compiled pattern. */
typedef struct sg_glob_class {
    int negate;            /**< '[!...]' or '[^...]' */
    uint32_t (*ranges)[2]; /**< inclusive code point ranges of the positive part */
    size_t nranges;        /**< entries in ranges */
    unsigned px_pos;       /**< POSIX classes in the positive part (bit per SG_GLOB_PX_*) */
    unsigned px_neg;       /**< POSIX classes in the negated part ("negs") */
} sg_glob_class;

/* A plain segment compiles to a run of items, matched by the two-pointer wildcard walk. */
enum { SG_GLOB_IT_CHAR, SG_GLOB_IT_ANY, SG_GLOB_IT_STAR, SG_GLOB_IT_CLASS, SG_GLOB_IT_NEVER };

typedef struct sg_glob_item {
    unsigned char op;         /**< SG_GLOB_IT_* */
    uint32_t cp;              /**< SG_GLOB_IT_CHAR: the code point */
    const sg_glob_class *cls; /**< SG_GLOB_IT_CLASS */
} sg_glob_item;

/* An extglob segment compiles to a Thompson NFA of these states. */
enum {
    SG_GLOB_N_CHAR,
    SG_GLOB_N_ANY,
    SG_GLOB_N_CLASS,
    SG_GLOB_N_NEVER,
    SG_GLOB_N_SPLIT,
    SG_GLOB_N_MATCH,
    SG_GLOB_N_NEG,
    SG_GLOB_N_NOTRAV,
    SG_GLOB_N_NODOT
};

typedef struct sg_glob_nstate {
    unsigned char op; /**< SG_GLOB_N_* */
    uint32_t x;       /**< next state (SPLIT: first branch; NEG: lookahead start) */
    uint32_t y;       /**< SPLIT: second branch; NEG: where to go when the lookahead fails */
    uint32_t cp;      /**< SG_GLOB_N_CHAR: code point; SG_GLOB_N_NEG: index of its memo row */
    const sg_glob_class *cls; /**< SG_GLOB_N_CLASS */
} sg_glob_nstate;

/* A compiled extglob segment. */
typedef struct sg_glob_nfa {
    sg_glob_nstate *st; /**< states */
    uint32_t n;         /**< number of states */
    uint32_t start;     /**< initial state */
    uint32_t nneg;      /**< SG_GLOB_N_NEG states */
} sg_glob_nfa;

/* How one segment is matched: minimatch's fast paths, items, or an NFA. */
enum {
    SG_GLOB_SEG_GLOBSTAR,
    SG_GLOB_SEG_EMPTY,
    SG_GLOB_SEG_STAR,
    SG_GLOB_SEG_STAREXT,
    SG_GLOB_SEG_QMARKS,
    SG_GLOB_SEG_STARDOTSTAR,
    SG_GLOB_SEG_DOTSTAR,
    SG_GLOB_SEG_FLAT,
    SG_GLOB_SEG_NFA
};
enum { SG_GLOB_GUARD_NONE, SG_GLOB_GUARD_NOTRAV, SG_GLOB_GUARD_NODOT };

/* One compiled '/'-separated segment of a pattern. */
typedef struct sg_glob_pseg {
    unsigned char kind;        /**< SG_GLOB_SEG_* */
    unsigned char guard;       /**< SG_GLOB_GUARD_* checked before a SG_GLOB_SEG_FLAT match */
    const char *s;             /**< SG_GLOB_SEG_STAREXT / SG_GLOB_SEG_QMARKS: the literal suffix */
    size_t n;                  /**< length of s */
    size_t qlen;               /**< SG_GLOB_SEG_QMARKS: UTF-16 length the name must have */
    const sg_glob_item *items; /**< SG_GLOB_SEG_FLAT */
    size_t nitems;             /**< SG_GLOB_SEG_FLAT */
    const sg_glob_nfa *nfa;    /**< SG_GLOB_SEG_NFA */
} sg_glob_pseg;

/* One brace alternative of a pattern, segment by segment. */
typedef struct sg_glob_pat {
    sg_glob_pseg *parts; /**< one per '/'-separated segment */
    size_t n;            /**< number of parts */
    int has_globstar;    /**< some part is '**' */
} sg_glob_pat;

/* A compiled pattern (Minimatch#set and its flags). */
struct sg_glob {
    unsigned flags;   /**< SG_GLOB_* */
    int negate;       /**< odd number of leading '!' */
    int comment;      /**< starts with '#': matches nothing */
    int empty;        /**< "" : matches only "" */
    int relative;     /**< ignore-walk isRelativeRule */
    sg_glob_pat *set; /**< the brace alternatives */
    size_t nset;      /**< number of alternatives */
    sg_arena arena;   /**< everything above */
};

/* Brace alternatives (brace-expansion's string arrays). */
typedef struct sg_glob_str {
    char *p;  /**< bytes, NUL-terminated (may hold NULs: markers) */
    size_t n; /**< length */
} sg_glob_str;

typedef struct sg_glob_strs {
    sg_glob_str *v; /**< the strings */
    size_t n;       /**< used */
    size_t cap;     /**< allocated */
    size_t bytes;   /**< sum of lengths */
} sg_glob_strs;

/* Decode one code point of s[0..len) (len >= 1); invalid bytes decode to U+FFFD one by one. */
uint32_t sg_glob__u8_decode(const unsigned char *s, size_t len, size_t *adv);

/* JavaScript's String#length of s: UTF-16 code units. */
size_t sg_glob__u16_length(const char *s, size_t len);

/* "." or "..". */
int sg_glob__is_dots(const char *f, size_t n);

/*
 * minimatch braceExpand(): append the alternatives of pattern s[0..n) to out (at most
 * SG_GLOB_MAX_EXPANSIONS strings and SG_GLOB_MAX_EXPANDED_BYTES bytes). Errors: SG_ENOMEM,
 * SG_ELIMIT. The caller frees out with sg_glob__strs_free() either way.
 */
int sg_glob__brace_expand(sg_glob_strs *out, const char *s, size_t n);

/* Free the strings of l and empty it. */
void sg_glob__strs_free(sg_glob_strs *l);

#endif
