/*
 * Matching a compiled sg_glob against a path (minimatch 10): UTF-8 and case folding,
 * character classes, segment matching (two-pointer for plain segments, a Thompson NFA for
 * extglobs), path matching (Minimatch#match, #matchOne and the globstar section walk).
 * See glob_int.h for what is covered and where the port knowingly differs.
 */
#include "common/common.h"
#include "verifier/packlist/glob_int.h"

/* ------------------------------------------------------------------------------------------ */
/* UTF-8 and case folding                                                                      */

/* Decode one code point of s[0..len) (len >= 1); invalid bytes decode to U+FFFD one by one. */
uint32_t sg_glob__u8_decode(const unsigned char *s, size_t len, size_t *adv)
{
    uint32_t c = s[0], cp, min;
    size_t n, i;
    if (c < 0x80) {
        *adv = 1;
        return c;
    }
    if ((c & 0xE0) == 0xC0) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        *adv = 1;
        return 0xFFFD;
    }
    *adv = 1;
    if (n > len)
        return 0xFFFD;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0xFFFD;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0xFFFD;
    *adv = n;
    return cp;
}

/* JavaScript's String#length of s: UTF-16 code units. */
size_t sg_glob__u16_length(const char *s, size_t len)
{
    size_t i = 0, n = 0, adv;
    while (i < len) {
        uint32_t cp = sg_glob__u8_decode((const unsigned char *)s + i, len - i, &adv);
        n += cp >= 0x10000 ? 2 : 1;
        i += adv;
    }
    return n;
}

/* Simple one-to-one case mappings (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic). */
static uint32_t fold_lower(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c == 0x130 || c == 0x131)
        return c;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c | 1u;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1u) ? c + 1 : c;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

static uint32_t fold_upper(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') ? c - 32 : c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
        return c - 32;
    if (c == 0xFF)
        return 0x178;
    if (c == 0x130 || c == 0x131)
        return c;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c & ~1u;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1u) ? c : c - 1;
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
        return c - 32;
    if (c >= 0x430 && c <= 0x44F)
        return c - 32;
    if (c >= 0x450 && c <= 0x45F)
        return c - 80;
    return c;
}

static int cp_eq(uint32_t a, uint32_t b, int nocase)
{
    return a == b || (nocase && fold_lower(a) == fold_lower(b));
}

/* Does s[0..slen) end with suffix[0..xlen) (compared code point by code point)? */
static int ends_with(const char *s, size_t slen, const char *x, size_t xlen, int nocase)
{
    const unsigned char *a, *b;
    size_t i = 0, j = 0, aa, ba;
    if (xlen > slen)
        return 0;
    if (!nocase)
        return memcmp(s + slen - xlen, x, xlen) == 0;
    a = (const unsigned char *)s + slen - xlen;
    b = (const unsigned char *)x;
    while (i < xlen && j < xlen) {
        uint32_t ca = sg_glob__u8_decode(a + i, xlen - i, &aa),
                 cb = sg_glob__u8_decode(b + j, xlen - j, &ba);
        if (!cp_eq(ca, cb, 1))
            return 0;
        i += aa, j += ba;
    }
    return i == xlen && j == xlen;
}

int sg_glob__is_dots(const char *f, size_t n)
{
    return (n == 1 && f[0] == '.') || (n == 2 && f[0] == '.' && f[1] == '.');
}

/* Approximations of the Unicode properties minimatch uses ([:graph:] is stored negated, as
 * minimatch does: its "negs" set is \p{Z}\p{C}; [:print:] really is \p{C} there). */
static int px_test(int id, uint32_t c)
{
    int letter =
        (c < 0x80) ? ((c | 32) >= 'a' && (c | 32) <= 'z') : (c >= 0xAA && c != 0xD7 && c != 0xF7);
    int digit = c >= '0' && c <= '9';
    int cntrl = c < 0x20 || (c >= 0x7F && c <= 0x9F);
    int zsep = c == ' ' || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
               c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    switch (id) {
    case SG_GLOB_PX_ALNUM:
        return letter || digit;
    case SG_GLOB_PX_ALPHA:
        return letter;
    case SG_GLOB_PX_ASCII:
        return c < 0x80;
    case SG_GLOB_PX_BLANK:
        return c == '\t' || (zsep && c != 0x2028 && c != 0x2029);
    case SG_GLOB_PX_CNTRL:
        return cntrl;
    case SG_GLOB_PX_DIGIT:
        return digit;
    case SG_GLOB_PX_GRAPH: /* the negated set: separators and "other" */
        return zsep || cntrl || c == 0xAD || (c >= 0x200B && c <= 0x200F) || c == 0xFEFF;
    case SG_GLOB_PX_PRINT: /* minimatch maps it to \p{C} */
        return cntrl || c == 0xAD || (c >= 0x200B && c <= 0x200F) || c == 0xFEFF;
    case SG_GLOB_PX_LOWER:
        return (c >= 'a' && c <= 'z') || (c >= 0x80 && fold_upper(c) != c);
    case SG_GLOB_PX_PUNCT:
        return c < 0x80 ? (strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int)c) != NULL && c != 0)
                        : (c == 0xA1 || c == 0xA7 || c == 0xAB || c == 0xB6 || c == 0xB7 ||
                           c == 0xBB || c == 0xBF || (c >= 0x2010 && c <= 0x2027));
    case SG_GLOB_PX_SPACE:
        return zsep || (c >= '\t' && c <= '\r');
    case SG_GLOB_PX_UPPER:
        return (c >= 'A' && c <= 'Z') || (c >= 0x80 && fold_lower(c) != c);
    case SG_GLOB_PX_WORD:
        return letter || digit || c == '_' || c == 0x203F || c == 0x2040;
    case SG_GLOB_PX_XDIGIT:
        return digit || ((c | 32) >= 'a' && (c | 32) <= 'f');
    default:
        return 0;
    }
}

static int class_in(const sg_glob_class *k, uint32_t c)
{
    size_t i;
    int id;
    for (i = 0; i < k->nranges; i++)
        if (c >= k->ranges[i][0] && c <= k->ranges[i][1])
            return 1;
    for (id = 0; id < SG_GLOB_PX__COUNT; id++)
        if ((k->px_pos >> id) & 1u && px_test(id, c))
            return 1;
    return 0;
}

static int class_in_neg(const sg_glob_class *k, uint32_t c)
{
    int id;
    for (id = 0; id < SG_GLOB_PX__COUNT; id++)
        if ((k->px_neg >> id) & 1u && px_test(id, c))
            return 1;
    return 0;
}

static int class_match(const sg_glob_class *k, uint32_t c, int nocase)
{
    int has_pos = k->nranges || k->px_pos, has_neg = k->px_neg != 0;
    int in = class_in(k, c), inneg = class_in_neg(k, c);
    if (nocase) {
        uint32_t lo = fold_lower(c), up = fold_upper(c);
        in = in || class_in(k, lo) || class_in(k, up);
        inneg = inneg || class_in_neg(k, lo) || class_in_neg(k, up);
    }
    if (has_pos && has_neg)
        return (k->negate ? !in : in) || (k->negate ? inneg : !inneg);
    if (has_pos)
        return k->negate ? !in : in;
    return k->negate ? inneg : !inneg;
}

/* ------------------------------------------------------------------------------------------ */
/* Segment matching                                                                            */

typedef struct nrun {
    const sg_glob_nfa *a;   /**< the automaton */
    const unsigned char *t; /**< the segment */
    size_t len;             /**< its length */
    int nocase;             /**< fold case */
    signed char *memo;      /**< lookahead results, nneg x (len + 1); -1 unknown */
    int depth;              /**< lookahead nesting */
} nrun;

static int nfa_sim(nrun *r, uint32_t start, size_t pos);

static int nfa_lookahead(nrun *r, const sg_glob_nstate *st, size_t pos)
{
    signed char *m = &r->memo[(size_t)st->cp * (r->len + 1) + pos];
    int res;
    if (*m >= 0)
        return *m;
    if (r->depth > 256)
        return 0;
    *m = 0; /* a lookahead that reaches itself again counts as no match */
    r->depth++;
    res = nfa_sim(r, st->x, pos);
    r->depth--;
    if (res >= 0)
        *m = (signed char)res;
    return res;
}

static int nfa_close(nrun *r, uint32_t *list, size_t *cnt, uint32_t *stack, uint32_t *mark,
                     uint32_t gen, uint32_t s0, size_t pos)
{
    size_t sp = 0;
    stack[sp++] = s0;
    while (sp) {
        uint32_t s = stack[--sp];
        const sg_glob_nstate *st = &r->a->st[s];
        if (mark[s] == gen)
            continue;
        mark[s] = gen;
        switch (st->op) {
        case SG_GLOB_N_SPLIT:
            stack[sp++] = st->y;
            stack[sp++] = st->x;
            break;
        case SG_GLOB_N_NOTRAV:
            if (!(pos == 0 && sg_glob__is_dots((const char *)r->t, r->len)))
                stack[sp++] = st->x;
            break;
        case SG_GLOB_N_NODOT:
            if (!(pos < r->len && r->t[pos] == '.'))
                stack[sp++] = st->x;
            break;
        case SG_GLOB_N_NEG: {
            int la = nfa_lookahead(r, st, pos);
            if (la < 0)
                return la;
            if (!la)
                stack[sp++] = st->y;
            break;
        }
        default:
            list[(*cnt)++] = s;
        }
    }
    return 0;
}

static int nfa_sim(nrun *r, uint32_t start, size_t pos)
{
    uint32_t n = r->a->n, gen = 1, *buf, *clist, *nlist, *stack, *mark;
    size_t ccnt = 0, ncnt, i, adv;
    int res = 0, error;
    buf = sg_calloc((size_t)n * 5 + 4, sizeof(uint32_t));
    if (!buf)
        return SG_ENOMEM;
    clist = buf, nlist = buf + n + 1, mark = buf + 2 * (size_t)n + 2, stack = mark + n;
    if ((error = nfa_close(r, clist, &ccnt, stack, mark, gen, start, pos)) < 0) {
        sg_free(buf);
        return error;
    }
    while (pos < r->len && ccnt) {
        uint32_t c = sg_glob__u8_decode(r->t + pos, r->len - pos, &adv), *t;
        gen++;
        ncnt = 0;
        for (i = 0; i < ccnt; i++) {
            const sg_glob_nstate *st = &r->a->st[clist[i]];
            int ok = st->op == SG_GLOB_N_ANY ||
                     (st->op == SG_GLOB_N_CHAR && cp_eq(st->cp, c, r->nocase)) ||
                     (st->op == SG_GLOB_N_CLASS && class_match(st->cls, c, r->nocase));
            if (ok &&
                (error = nfa_close(r, nlist, &ncnt, stack, mark, gen, st->x, pos + adv)) < 0) {
                sg_free(buf);
                return error;
            }
        }
        t = clist, clist = nlist, nlist = t;
        ccnt = ncnt;
        pos += adv;
    }
    if (pos == r->len)
        for (i = 0; i < ccnt && !res; i++)
            res = r->a->st[clist[i]].op == SG_GLOB_N_MATCH;
    sg_free(buf);
    return res;
}

static int nfa_match(const sg_glob_nfa *a, const char *t, size_t len, int nocase)
{
    nrun r;
    int res;
    memset(&r, 0, sizeof(r));
    r.a = a, r.t = (const unsigned char *)t, r.len = len, r.nocase = nocase;
    if (a->nneg) {
        size_t bytes;
        if (sg_mul_overflow(&bytes, a->nneg, len + 1))
            return SG_ENOMEM;
        r.memo = sg_malloc(bytes);
        if (!r.memo)
            return SG_ENOMEM;
        memset(r.memo, -1, bytes);
    }
    res = nfa_sim(&r, a->start, 0);
    sg_free(r.memo);
    return res;
}

/* ---- plain segments: two-pointer wildcard matching ---- */

static int item_match(const sg_glob_item *it, uint32_t c, int nocase)
{
    switch (it->op) {
    case SG_GLOB_IT_CHAR:
        return cp_eq(it->cp, c, nocase);
    case SG_GLOB_IT_ANY:
        return 1;
    case SG_GLOB_IT_CLASS:
        return class_match(it->cls, c, nocase);
    default:
        return 0;
    }
}

static int flat_match(const sg_glob_item *it, size_t m, const char *s, size_t n, int nocase)
{
    size_t pi = 0, ti = 0, star_pi = (size_t)-1, star_ti = 0, adv;
    const unsigned char *t = (const unsigned char *)s;
    while (ti < n) {
        if (pi < m && it[pi].op == SG_GLOB_IT_STAR) {
            star_pi = pi++;
            star_ti = ti;
            continue;
        }
        if (pi < m) {
            uint32_t c = sg_glob__u8_decode(t + ti, n - ti, &adv);
            if (item_match(&it[pi], c, nocase)) {
                pi++;
                ti += adv;
                continue;
            }
        }
        if (star_pi == (size_t)-1)
            return 0;
        pi = star_pi + 1;
        sg_glob__u8_decode(t + star_ti, n - star_ti, &adv);
        star_ti += adv;
        ti = star_ti;
    }
    while (pi < m && it[pi].op == SG_GLOB_IT_STAR)
        pi++;
    return pi == m;
}

static int seg_test(const sg_glob *g, const sg_glob_pseg *p, const char *f, size_t n)
{
    int nocase = (g->flags & SG_GLOB_NOCASE) != 0, dot = (g->flags & SG_GLOB_DOT) != 0;
    int lead_dot = n && f[0] == '.';
    switch (p->kind) {
    case SG_GLOB_SEG_EMPTY:
        return n == 0;
    case SG_GLOB_SEG_STAR:
        return n != 0 && (dot ? !sg_glob__is_dots(f, n) : !lead_dot);
    case SG_GLOB_SEG_STAREXT:
        return (dot || !lead_dot) && ends_with(f, n, p->s, p->n, nocase);
    case SG_GLOB_SEG_QMARKS:
        if (sg_glob__u16_length(f, n) != p->qlen || (dot ? sg_glob__is_dots(f, n) : lead_dot))
            return 0;
        return !p->n || ends_with(f, n, p->s, p->n, nocase);
    case SG_GLOB_SEG_STARDOTSTAR:
        return (dot ? !sg_glob__is_dots(f, n) : !lead_dot) && memchr(f, '.', n) != NULL;
    case SG_GLOB_SEG_DOTSTAR:
        return lead_dot && !sg_glob__is_dots(f, n);
    case SG_GLOB_SEG_FLAT:
        if (p->guard == SG_GLOB_GUARD_NOTRAV && sg_glob__is_dots(f, n))
            return 0;
        if (p->guard == SG_GLOB_GUARD_NODOT && lead_dot)
            return 0;
        return flat_match(p->items, p->nitems, f, n, nocase);
    case SG_GLOB_SEG_NFA:
        return nfa_match(p->nfa, f, n, nocase);
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Path matching (Minimatch#match, #matchOne, #matchGlobstar)                                  */

#define GLOBSTAR_MAX_RECURSION 200 /* minimatch maxGlobstarRecursion */

typedef sg_glob_seg fseg;

static int bad_dot(const sg_glob *g, const fseg *f)
{
    return sg_glob__is_dots(f->p, f->n) || (!(g->flags & SG_GLOB_DOT) && f->n && f->p[0] == '.');
}

static int match_plain(const sg_glob *g, const fseg *file, size_t fl, const sg_glob_pseg *pat,
                       size_t pl, int partial, size_t fi, size_t pi)
{
    for (; fi < fl && pi < pl; fi++, pi++) {
        int hit;
        if (pat[pi].kind == SG_GLOB_SEG_GLOBSTAR)
            return 0;
        hit = seg_test(g, &pat[pi], file[fi].p, file[fi].n);
        if (hit <= 0)
            return hit;
    }
    if (fi == fl && pi == pl)
        return 1;
    if (fi == fl)
        return partial;
    if (pi == pl)
        return fi + 1 == fl && file[fi].n == 0;
    return 0;
}

typedef struct bseg {
    size_t start;    /**< first part in body */
    size_t len;      /**< number of parts */
    ptrdiff_t after; /**< last file index this section may start at */
} bseg;

enum { BS_FALSE = 0, BS_TRUE = 1, BS_NULL = 2 };

static int body_sections(const sg_glob *g, const fseg *file, size_t fl, const sg_glob_pseg *body,
                         const bseg *segs, size_t nsegs, size_t fi, size_t bi, int partial,
                         int depth, int saw_tail)
{
    const bseg *bs;
    if (bi == nsegs) {
        for (; fi < fl; fi++) {
            saw_tail = 1;
            if (bad_dot(g, &file[fi]))
                return BS_FALSE;
        }
        return saw_tail ? BS_TRUE : BS_FALSE;
    }
    bs = &segs[bi];
    while ((ptrdiff_t)fi <= bs->after) {
        size_t sub = fi + bs->len < fl ? fi + bs->len : fl;
        int m = match_plain(g, file, sub, body + bs->start, bs->len, partial, fi, 0);
        if (m < 0)
            return m;
        if (m && depth < GLOBSTAR_MAX_RECURSION) {
            int r = body_sections(g, file, fl, body, segs, nsegs, fi + bs->len, bi + 1, partial,
                                  depth + 1, saw_tail);
            if (r != BS_FALSE)
                return r;
        }
        if (fi < fl && bad_dot(g, &file[fi]))
            return BS_FALSE;
        fi++;
    }
    return partial ? BS_TRUE : BS_NULL;
}

static int match_globstar(const sg_glob *g, const fseg *file, size_t fl, const sg_glob_pseg *pat,
                          size_t pl, int partial)
{
    size_t firstgs = 0, lastgs = 0, k, fi = 0, hl, bl, tl, tail_match = 0, nsegs = 1, cum = 0;
    const sg_glob_pseg *body, *tail;
    bseg local[32], *segs = local;
    size_t sums_local[32], *sums = sums_local;
    int r;

    while (firstgs < pl && pat[firstgs].kind != SG_GLOB_SEG_GLOBSTAR)
        firstgs++;
    for (k = 0; k < pl; k++)
        if (pat[k].kind == SG_GLOB_SEG_GLOBSTAR)
            lastgs = k;
    hl = firstgs;
    body = pat + firstgs + 1;
    if (partial) {
        bl = pl - firstgs - 1, tail = NULL, tl = 0;
    } else {
        bl = lastgs - firstgs ? lastgs - firstgs - 1 : 0;
        tail = pat + lastgs + 1, tl = pl - lastgs - 1;
    }
    if (hl) {
        size_t sub = fi + hl < fl ? hl : (fl > fi ? fl - fi : 0);
        r = match_plain(g, file + (fi < fl ? fi : fl), sub, pat, hl, partial, 0, 0);
        if (r <= 0)
            return r;
        fi += hl;
    }
    if (tl) {
        size_t ts;
        if (tl + fi > fl)
            return 0;
        ts = fl - tl;
        r = match_plain(g, file, fl, tail, tl, partial, ts, 0);
        if (r < 0)
            return r;
        if (r) {
            tail_match = tl;
        } else {
            if (file[fl - 1].n != 0 || fi + tl == fl)
                return 0;
            r = match_plain(g, file, fl, tail, tl, partial, ts - 1, 0);
            if (r <= 0)
                return r;
            tail_match = tl + 1;
        }
    }
    if (!bl) {
        int saw = tail_match != 0;
        for (k = fi; k + tail_match < fl; k++) {
            saw = 1;
            if (bad_dot(g, &file[k]))
                return 0;
        }
        return partial || saw;
    }
    for (k = 0; k < bl; k++)
        nsegs += body[k].kind == SG_GLOB_SEG_GLOBSTAR;
    if (nsegs > 32) {
        segs = sg_calloc(nsegs, sizeof(*segs));
        sums = sg_calloc(nsegs, sizeof(*sums));
        if (!segs || !sums) {
            sg_free(segs);
            sg_free(sums);
            return SG_ENOMEM;
        }
    }
    /* bodySegments and nonGsPartsSums, as minimatch computes them */
    memset(segs, 0, nsegs * sizeof(*segs));
    sums[0] = 0;
    {
        size_t cur = 0;
        for (k = 0; k < bl; k++) {
            if (body[k].kind == SG_GLOB_SEG_GLOBSTAR) {
                sums[++cur] = cum;
                segs[cur].start = k + 1;
            } else {
                segs[cur].len++;
                cum++;
            }
        }
    }
    {
        ptrdiff_t flen = (ptrdiff_t)(fl - tail_match);
        size_t i = nsegs - 1;
        for (k = 0; k < nsegs; k++, i--)
            segs[k].after = flen - (ptrdiff_t)(sums[i] + segs[k].len);
    }
    r = body_sections(g, file, fl, body, segs, nsegs, fi, 0, partial, 0, tail_match != 0);
    if (segs != local) {
        sg_free(segs);
        sg_free(sums);
    }
    if (r < 0)
        return r;
    return r == BS_TRUE;
}

static int match_one(const sg_glob *g, const fseg *file, size_t fl, const sg_glob_pat *pat,
                     int partial)
{
    if (pat->has_globstar)
        return match_globstar(g, file, fl, pat->parts, pat->n, partial);
    return match_plain(g, file, fl, pat->parts, pat->n, partial, 0, 0);
}

int sg_glob__match_segs(const sg_glob *g, const sg_glob_seg *segs, size_t nsegs, int partial)
{
    fseg fname = segs[0];
    size_t k;
    int flip, result = -1;

    if (!g || g->comment)
        return 0;
    if (g->empty)
        return nsegs == 1 && segs[0].n == 0;
    for (k = nsegs; k-- > 1;)
        if (segs[k].n) {
            fname = segs[k];
            break;
        }
    flip = (g->flags & SG_GLOB_FLIPNEGATE) != 0;
    for (k = 0; k < g->nset && result < 0; k++) {
        const sg_glob_pat *pat = &g->set[k];
        int hit = (g->flags & SG_GLOB_MATCHBASE) && pat->n == 1
                      ? match_one(g, &fname, 1, pat, partial)
                      : match_one(g, segs, nsegs, pat, partial);
        if (hit < 0)
            result = hit;
        else if (hit)
            result = flip ? 1 : !g->negate;
    }
    if (result == -1)
        result = flip ? 0 : g->negate;
    return result;
}

int sg_glob__match(const sg_glob *g, const char *f, size_t flen, int partial)
{
    fseg local[64], *segs = local;
    size_t nsegs = 1, i, k;
    int result;

    if (!g || g->comment)
        return 0;
    if (g->empty)
        return flen == 0;
    if (partial && flen == 1 && f[0] == '/')
        return 1;
    for (i = 0; i < flen; i++)
        if (f[i] == '/' && (i == 0 || f[i - 1] != '/'))
            nsegs++;
    local[0].p = f, local[0].n = 0;
    if (nsegs > SG_ARRAY_SIZE(local)) {
        segs = sg_calloc(nsegs, sizeof(*segs));
        if (!segs)
            return SG_ENOMEM;
    }
    /* f.split(/\/+/) */
    for (i = 0, k = 0; k < nsegs; k++) {
        size_t j = i;
        while (j < flen && f[j] != '/')
            j++;
        segs[k].p = f + i, segs[k].n = j - i;
        while (j < flen && f[j] == '/')
            j++;
        i = j;
    }
    result = sg_glob__match_segs(g, segs, nsegs, partial);
    if (segs != local)
        sg_free(segs);
    return result;
}

int sg_glob__negate(const sg_glob *g)
{
    return g ? g->negate : 0;
}

int sg_glob__relative(const sg_glob *g)
{
    return g ? g->relative : 0;
}
