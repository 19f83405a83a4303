/*
 * minimatch 10 (as npm 11's ignore-walk calls it) and git's wildmatch, in C.
 * See glob_int.h for what is covered and where the port knowingly differs.
 *
 * Layout: UTF-8 and case folding; character classes; brace expansion (brace-expansion 5 and
 * balanced-match 4); segment compilation (minimatch's AST: fast paths, classes, extglobs);
 * segment matching (two-pointer for plain segments, an NFA for extglobs); path matching
 * (matchOne and the globstar section walk); git's wildmatch.
 */
#include "common/common.h"
#include "verifier/packlist/glob_int.h"

/* ------------------------------------------------------------------------------------------ */
/* UTF-8 and case folding                                                                      */

/* Decode one code point of s[0..len) (len >= 1); invalid bytes decode to U+FFFD one by one. */
static uint32_t u8_decode(const unsigned char *s, size_t len, size_t *adv)
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
static size_t u16_length(const char *s, size_t len)
{
    size_t i = 0, n = 0, adv;
    while (i < len) {
        uint32_t cp = u8_decode((const unsigned char *)s + i, len - i, &adv);
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
        uint32_t ca = u8_decode(a + i, xlen - i, &aa), cb = u8_decode(b + j, xlen - j, &ba);
        if (!cp_eq(ca, cb, 1))
            return 0;
        i += aa, j += ba;
    }
    return i == xlen && j == xlen;
}

static int is_dots(const char *f, size_t n)
{
    return (n == 1 && f[0] == '.') || (n == 2 && f[0] == '.' && f[1] == '.');
}

/* ------------------------------------------------------------------------------------------ */
/* Character classes (minimatch brace-expressions.js parseClass)                               */

enum {
    PX_ALNUM,
    PX_ALPHA,
    PX_ASCII,
    PX_BLANK,
    PX_CNTRL,
    PX_DIGIT,
    PX_GRAPH,
    PX_LOWER,
    PX_PRINT,
    PX_PUNCT,
    PX_SPACE,
    PX_UPPER,
    PX_WORD,
    PX_XDIGIT,
    PX__COUNT
};

static const char *const px_names[PX__COUNT] = {
    "[:alnum:]", "[:alpha:]", "[:ascii:]", "[:blank:]", "[:cntrl:]", "[:digit:]", "[:graph:]",
    "[:lower:]", "[:print:]", "[:punct:]", "[:space:]", "[:upper:]", "[:word:]",  "[:xdigit:]",
};

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
    case PX_ALNUM:
        return letter || digit;
    case PX_ALPHA:
        return letter;
    case PX_ASCII:
        return c < 0x80;
    case PX_BLANK:
        return c == '\t' || (zsep && c != 0x2028 && c != 0x2029);
    case PX_CNTRL:
        return cntrl;
    case PX_DIGIT:
        return digit;
    case PX_GRAPH: /* the negated set: separators and "other" */
        return zsep || cntrl || c == 0xAD || (c >= 0x200B && c <= 0x200F) || c == 0xFEFF;
    case PX_PRINT: /* minimatch maps it to \p{C} */
        return cntrl || c == 0xAD || (c >= 0x200B && c <= 0x200F) || c == 0xFEFF;
    case PX_LOWER:
        return (c >= 'a' && c <= 'z') || (c >= 0x80 && fold_upper(c) != c);
    case PX_PUNCT:
        return c < 0x80 ? (strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int)c) != NULL && c != 0)
                        : (c == 0xA1 || c == 0xA7 || c == 0xAB || c == 0xB6 || c == 0xB7 ||
                           c == 0xBB || c == 0xBF || (c >= 0x2010 && c <= 0x2027));
    case PX_SPACE:
        return zsep || (c >= '\t' && c <= '\r');
    case PX_UPPER:
        return (c >= 'A' && c <= 'Z') || (c >= 0x80 && fold_lower(c) != c);
    case PX_WORD:
        return letter || digit || c == '_' || c == 0x203F || c == 0x2040;
    case PX_XDIGIT:
        return digit || ((c | 32) >= 'a' && (c | 32) <= 'f');
    default:
        return 0;
    }
}

typedef struct gclass {
    int negate;            /**< '[!...]' or '[^...]' */
    uint32_t (*ranges)[2]; /**< inclusive code point ranges of the positive part */
    size_t nranges;        /**< entries in ranges */
    unsigned px_pos;       /**< POSIX classes in the positive part (bit per PX_*) */
    unsigned px_neg;       /**< POSIX classes in the negated part ("negs") */
} gclass;

static int class_in(const gclass *k, uint32_t c)
{
    size_t i;
    int id;
    for (i = 0; i < k->nranges; i++)
        if (c >= k->ranges[i][0] && c <= k->ranges[i][1])
            return 1;
    for (id = 0; id < PX__COUNT; id++)
        if ((k->px_pos >> id) & 1u && px_test(id, c))
            return 1;
    return 0;
}

static int class_in_neg(const gclass *k, uint32_t c)
{
    int id;
    for (id = 0; id < PX__COUNT; id++)
        if ((k->px_neg >> id) & 1u && px_test(id, c))
            return 1;
    return 0;
}

static int class_match(const gclass *k, uint32_t c, int nocase)
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
/* Brace expansion (brace-expansion 5.0 expand(), balanced-match 4.0 balanced())               */

/* brace-expansion swaps escaped \\ \{ \} \, \. for private markers before expanding; here a
 * marker is a NUL byte plus a letter, and a NUL of the input is written as NUL '0'. */
#define BX_ESC '\0'
#define BX_MAX_DEPTH 64

typedef struct sstr {
    char *p;  /**< bytes, NUL-terminated (may hold NULs: markers) */
    size_t n; /**< length */
} sstr;

typedef struct slist {
    sstr *v;      /**< the strings */
    size_t n;     /**< used */
    size_t cap;   /**< allocated */
    size_t bytes; /**< sum of lengths */
} slist;

typedef struct bx {
    size_t count_max; /**< most strings in one list */
    size_t bytes_max; /**< most bytes in one list */
    int depth;        /**< recursion depth of bx_expand */
    int error;        /**< first error, sticky */
} bx;

static int bx_fail(bx *b, int code)
{
    if (!b->error)
        b->error = code;
    return b->error;
}

static void sl_free(slist *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        sg_free(l->v[i].p);
    sg_free(l->v);
    memset(l, 0, sizeof(*l));
}

static void sl_swap(slist *a, slist *b)
{
    slist t = *a;
    *a = *b;
    *b = t;
}

/* Append the concatenation a + m + c. */
static int sl_push3(bx *b, slist *l, const char *a, size_t an, const char *m, size_t mn,
                    const char *c, size_t cn)
{
    size_t n;
    char *p;
    if (b->error)
        return b->error;
    if (sg_add_overflow(&n, an, mn) || sg_add_overflow(&n, n, cn) || l->n >= b->count_max ||
        n > b->bytes_max || l->bytes + n > b->bytes_max)
        return bx_fail(b, SG_ELIMIT);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        sstr *v = sg_realloc(l->v, cap * sizeof(*v));
        if (!v)
            return bx_fail(b, SG_ENOMEM);
        l->v = v, l->cap = cap;
    }
    p = sg_malloc(n + 1);
    if (!p)
        return bx_fail(b, SG_ENOMEM);
    if (an)
        memcpy(p, a, an);
    if (mn)
        memcpy(p + an, m, mn);
    if (cn)
        memcpy(p + an + mn, c, cn);
    p[n] = '\0';
    l->v[l->n].p = p;
    l->v[l->n].n = n;
    l->n++;
    l->bytes += n;
    return 0;
}

static ptrdiff_t bx_index(const char *s, size_t n, char c, size_t from)
{
    const char *p;
    if (from >= n)
        return -1;
    p = memchr(s + from, c, n - from);
    return p ? p - s : -1;
}

/* balanced('{', '}', s): 1 with the positions of the pair, 0 when none. */
static int bx_balanced(bx *b, const char *s, size_t n, size_t *open, size_t *close)
{
    ptrdiff_t ai = bx_index(s, n, '{', 0), bi, i, left = (ptrdiff_t)n, right = -1, r0 = -1, r1 = -1;
    size_t nbegs = 0, k;
    ptrdiff_t *begs;
    if (ai < 0)
        return 0;
    bi = bx_index(s, n, '}', (size_t)ai + 1);
    if (bi <= 0)
        return 0;
    for (k = 0; k < n; k++)
        nbegs += s[k] == '{';
    begs = sg_malloc(nbegs * sizeof(*begs));
    if (!begs)
        return bx_fail(b, SG_ENOMEM);
    nbegs = 0;
    i = ai;
    while (i >= 0 && r0 < 0) {
        if (i == ai) {
            begs[nbegs++] = i;
            ai = bx_index(s, n, '{', (size_t)i + 1);
        } else if (nbegs == 1) {
            r0 = begs[--nbegs];
            r1 = bi;
        } else {
            if (nbegs) {
                ptrdiff_t beg = begs[--nbegs];
                if (beg < left) {
                    left = beg;
                    right = bi;
                }
            }
            bi = bx_index(s, n, '}', (size_t)i + 1);
        }
        i = (ai < bi && ai >= 0) ? ai : bi;
    }
    if (nbegs && right >= 0) {
        r0 = left;
        r1 = right;
    }
    sg_free(begs);
    if (r0 < 0)
        return 0;
    *open = (size_t)r0;
    *close = (size_t)r1;
    return 1;
}

/* out = { acc[a] + pre + values[v] } (values NULL: ['']); dropping empties when asked. */
static int bx_combine(bx *b, slist *out, const slist *acc, const char *pre, size_t prelen,
                      const slist *values, int drop)
{
    size_t a, v, nv = values ? values->n : 1;
    for (a = 0; a < acc->n; a++) {
        for (v = 0; v < nv; v++) {
            const char *vp = values ? values->v[v].p : "";
            size_t vn = values ? values->v[v].n : 0;
            if (drop && acc->v[a].n + prelen + vn == 0)
                continue;
            if (sl_push3(b, out, acc->v[a].p, acc->v[a].n, pre, prelen, vp, vn) < 0)
                return b->error;
        }
    }
    return 0;
}

/* Index after /-?\d+/ at s[i], or i when there is none. */
static size_t bx_scan_int(const char *s, size_t n, size_t i)
{
    size_t j = i;
    if (j < n && s[j] == '-')
        j++;
    if (j >= n || s[j] < '0' || s[j] > '9')
        return i;
    while (j < n && s[j] >= '0' && s[j] <= '9')
        j++;
    return j;
}

static int bx_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Is body a sequence? 1 numeric (/^-?\d+\.\.-?\d+(?:\.\.-?\d+)?$/), 2 alphabetic
 * (/^[a-zA-Z]\.\.[a-zA-Z](?:\.\.-?\d+)?$/), 0 neither. */
static int bx_sequence_kind(const char *s, size_t n)
{
    size_t i;
    int kind;
    if (n >= 4 && bx_is_alpha(s[0]) && s[1] == '.' && s[2] == '.' && bx_is_alpha(s[3])) {
        i = 4;
        kind = 2;
    } else {
        i = bx_scan_int(s, n, 0);
        if (i == 0 || i + 2 > n || s[i] != '.' || s[i + 1] != '.')
            return 0;
        size_t j = bx_scan_int(s, n, i + 2);
        if (j == i + 2)
            return 0;
        i = j;
        kind = 1;
    }
    if (i == n)
        return kind;
    if (i + 2 < n && s[i] == '.' && s[i + 1] == '.') {
        size_t j = bx_scan_int(s, n, i + 2);
        if (j != i + 2 && j == n)
            return kind;
    }
    return 0;
}

/* JavaScript's parseInt on a -?\d+ run (as a double, like JS numbers). */
static double bx_number(const char *s, size_t n)
{
    double v = 0;
    size_t i = 0;
    int neg = 0;
    if (i < n && s[i] == '-')
        neg = 1, i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (s[i] - '0');
    return neg ? -v : v;
}

static int bx_is_padded(const char *s, size_t n)
{
    size_t i = (n && s[0] == '-') ? 1 : 0;
    return i + 1 < n && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9';
}

/* expandSequence(): the values of {x..y} or {x..y..step}. */
static int bx_sequence(bx *b, slist *out, const char *body, size_t n, int alpha)
{
    const char *part[3];
    size_t plen[3], np = 0, i = 0, start = 0, width;
    double x, y, incr = 1, v;
    int pad = 0, reverse;
    while (np < 3) {
        while (i + 1 < n && !(body[i] == '.' && body[i + 1] == '.'))
            i++;
        if (i + 1 >= n) {
            part[np] = body + start, plen[np++] = n - start;
            break;
        }
        part[np] = body + start, plen[np++] = i - start;
        i += 2, start = i;
    }
    x = alpha ? (unsigned char)part[0][0] : bx_number(part[0], plen[0]);
    y = alpha ? (unsigned char)part[1][0] : bx_number(part[1], plen[1]);
    width = plen[0] > plen[1] ? plen[0] : plen[1];
    if (np == 3) {
        incr = bx_number(part[2], plen[2]);
        incr = incr < 0 ? -incr : incr;
        if (incr < 1)
            incr = 1;
    }
    for (i = 0; i < np; i++)
        pad |= bx_is_padded(part[i], plen[i]);
    reverse = y < x;
    if (reverse)
        incr = -incr;
    if ((pad && width > 64) || x > 1e15 || x < -1e15 || y > 1e15 || y < -1e15)
        return bx_fail(b, SG_ELIMIT);
    for (v = x; reverse ? v >= y : v <= y; v += incr) {
        char num[160];
        size_t len;
        if (alpha) {
            num[0] = (char)(int)v;
            len = num[0] == '\\' ? 0 : 1;
        } else {
            char digits[80];
            int k = snprintf(digits, sizeof(digits), "%.0f", v == 0 ? 0.0 : (v < 0 ? -v : v));
            size_t nd = k > 0 && (size_t)k < sizeof(digits) ? (size_t)k : 0, t = 0;
            size_t shown = nd + (v < 0 ? 1 : 0);
            if (v < 0)
                num[t++] = '-';
            while (pad && shown < width) /* '-' + zeros + digits, as brace-expansion pads */
                num[t++] = '0', shown++;
            memcpy(num + t, digits, nd);
            len = t + nd;
        }
        if (sl_push3(b, out, num, len, NULL, 0, NULL, 0) < 0)
            return b->error;
        if (v + incr == v) /* no progress on huge doubles: the count cap ends it anyway */
            return bx_fail(b, SG_ELIMIT);
    }
    return 0;
}

/* parseCommaParts(): split body on top-level commas, keeping nested {...} whole. */
static int bx_comma_parts(bx *b, slist *out, const char *s, size_t n)
{
    char *carry = NULL;
    size_t carry_n = 0, open, close;
    int r, error = 0;
    if (n == 0)
        return sl_push3(b, out, "", 0, NULL, 0, NULL, 0);
    for (;;) {
        size_t prelen, i, from = 0;
        int last_is_carry;
        r = bx_balanced(b, s, n, &open, &close);
        if (r < 0) {
            error = r;
            goto done;
        }
        prelen = r ? open : n;
        /* pre.split(','), the first element prefixed with the carry */
        for (i = 0;; i++) {
            if (i == prelen || s[i] == ',') {
                int first = from == 0;
                int last = i == prelen;
                if (last && r)
                    break; /* the last piece joins the braces below */
                if ((error = sl_push3(b, out, first ? carry : NULL, first ? carry_n : 0, s + from,
                                      i - from, NULL, 0)) < 0)
                    goto done;
                if (last)
                    break;
                from = i + 1;
            }
        }
        if (!r)
            goto done;
        /* p[last] = last piece + '{' + body + '}' */
        last_is_carry = from == 0;
        {
            size_t piece = close + 1 - from;
            size_t pn = (last_is_carry ? carry_n : 0) + piece;
            char *np = sg_malloc(pn + 1);
            if (!np) {
                error = bx_fail(b, SG_ENOMEM);
                goto done;
            }
            if (last_is_carry && carry_n)
                memcpy(np, carry, carry_n);
            memcpy(np + (last_is_carry ? carry_n : 0), s + from, piece);
            np[pn] = '\0';
            sg_free(carry);
            carry = np, carry_n = pn;
        }
        if (close + 1 == n) {
            error = sl_push3(b, out, carry, carry_n, NULL, 0, NULL, 0);
            goto done;
        }
        s += close + 1;
        n -= close + 1;
    }
done:
    sg_free(carry);
    return error;
}

/* /,(?!,).*\}/ on post */
static int bx_post_has_option(const char *s, size_t n)
{
    size_t k;
    for (k = 0; k + 1 < n; k++)
        if (s[k] == ',' && s[k + 1] != ',' && memchr(s + k + 1, '}', n - k - 1))
            return 1;
    return 0;
}

static int bx_expand(bx *b, slist *out, const char *s0, size_t n0, int is_top)
{
    slist acc = {0}, tmp = {0}, vals = {0}, parts = {0}, sub = {0};
    char *owned = NULL;
    const char *str = s0;
    size_t len = n0, open, close, i;
    int drop = 0, first = 1, error = 0, r;

    if (++b->depth > BX_MAX_DEPTH) {
        error = bx_fail(b, SG_ELIMIT);
        goto done;
    }
    if ((error = sl_push3(b, &acc, "", 0, NULL, 0, NULL, 0)) < 0)
        goto done;
    for (;;) {
        const char *body, *post;
        size_t prelen, bodylen, postlen;
        int seq;
        if ((r = bx_balanced(b, str, len, &open, &close)) < 0) {
            error = r;
            goto done;
        }
        if (!r) {
            if ((error = bx_combine(b, &tmp, &acc, str, len, NULL, drop)) < 0)
                goto done;
            sl_swap(&acc, &tmp);
            break;
        }
        prelen = open, body = str + open + 1, bodylen = close - open - 1;
        post = str + close + 1, postlen = len - close - 1;
        if (prelen && str[prelen - 1] == '$') {
            if ((error = bx_combine(b, &tmp, &acc, str, close + 1, NULL, drop && !postlen)) < 0)
                goto done;
            sl_swap(&acc, &tmp);
            sl_free(&tmp);
            first = 0;
            if (!postlen)
                break;
            str = post, len = postlen;
            continue;
        }
        seq = bx_sequence_kind(body, bodylen);
        if (!seq && !memchr(body, ',', bodylen)) {
            if (bx_post_has_option(post, postlen)) {
                /* {a},b} : hide this '}' and look again */
                char *np = sg_malloc(len + 2);
                if (!np) {
                    error = bx_fail(b, SG_ENOMEM);
                    goto done;
                }
                memcpy(np, str, close);
                np[close] = BX_ESC;
                np[close + 1] = 'C';
                memcpy(np + close + 2, post, postlen);
                np[len + 1] = '\0';
                sg_free(owned);
                owned = np, str = np, len = len + 1;
                is_top = 1;
                continue;
            }
            if ((error = bx_combine(b, &tmp, &acc, str, len, NULL, drop)) < 0)
                goto done;
            sl_swap(&acc, &tmp);
            break;
        }
        if (first) {
            drop = is_top && !seq;
            first = 0;
        }
        if (seq) {
            if ((error = bx_sequence(b, &vals, body, bodylen, seq == 2)) < 0)
                goto done;
        } else {
            int drops;
            if ((error = bx_comma_parts(b, &parts, body, bodylen)) < 0)
                goto done;
            if (parts.n == 1) {
                /* x{{a,b}}y ==> x{a}y x{b}y */
                slist emb = {0};
                if ((error = bx_expand(b, &sub, parts.v[0].p, parts.v[0].n, 0)) < 0)
                    goto done;
                for (i = 0; i < sub.n; i++)
                    if ((error = sl_push3(b, &emb, "{", 1, sub.v[i].p, sub.v[i].n, "}", 1)) < 0) {
                        sl_free(&emb);
                        goto done;
                    }
                sl_free(&sub);
                sl_free(&parts);
                parts = emb;
                if (parts.n == 1) {
                    if ((error = bx_combine(b, &tmp, &acc, str, prelen, &parts, drop && !postlen)) <
                        0)
                        goto done;
                    sl_swap(&acc, &tmp);
                    sl_free(&tmp);
                    sl_free(&parts);
                    if (!postlen)
                        break;
                    str = post, len = postlen;
                    continue;
                }
            }
            drops = drop && !postlen && !prelen;
            for (i = 0; drops && i < acc.n; i++)
                if (acc.v[i].n)
                    drops = 0;
            for (i = 0; i < parts.n; i++) {
                size_t k;
                if ((error = bx_expand(b, &sub, parts.v[i].p, parts.v[i].n, 0)) < 0)
                    goto done;
                for (k = 0; k < sub.n; k++) {
                    if (drops && !sub.v[k].n)
                        continue;
                    if ((error = sl_push3(b, &vals, sub.v[k].p, sub.v[k].n, NULL, 0, NULL, 0)) < 0)
                        goto done;
                }
                sl_free(&sub);
            }
            sl_free(&parts);
        }
        if ((error = bx_combine(b, &tmp, &acc, str, prelen, &vals, drop && !postlen)) < 0)
            goto done;
        sl_swap(&acc, &tmp);
        sl_free(&tmp);
        sl_free(&vals);
        if (!postlen)
            break;
        str = post, len = postlen;
    }
    sl_swap(out, &acc);
done:
    b->depth--;
    sl_free(&acc);
    sl_free(&tmp);
    sl_free(&vals);
    sl_free(&parts);
    sl_free(&sub);
    sg_free(owned);
    return error ? error : b->error;
}

/* minimatch's shortcut: is there a '{' ... '}' with no '{' between? */
static int has_brace_pair(const char *s, size_t n)
{
    size_t i;
    int open = 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '{')
            open = 1;
        else if (s[i] == '}' && open)
            return 1;
    }
    return 0;
}

/* minimatch braceExpand(): the list of alternatives of pattern s[0..n). */
static int brace_expand(bx *b, slist *out, const char *s, size_t n)
{
    slist raw = {0};
    char *esc = NULL;
    size_t i, k = 0;
    int error = 0;
    if (!has_brace_pair(s, n))
        return sl_push3(b, out, s, n, NULL, 0, NULL, 0);
    esc = sg_malloc(2 * n + 4);
    if (!esc)
        return bx_fail(b, SG_ENOMEM);
    i = 0;
    if (n >= 2 && s[0] == '{' && s[1] == '}') {
        esc[k++] = BX_ESC, esc[k++] = 'O', esc[k++] = BX_ESC, esc[k++] = 'C';
        i = 2;
    }
    for (; i < n; i++) {
        char c = s[i], m = 0;
        if (c == '\\' && i + 1 < n) {
            char d = s[i + 1];
            m = d == '\\'  ? 'S'
                : d == '{' ? 'O'
                : d == '}' ? 'C'
                : d == ',' ? 'M'
                : d == '.' ? 'P'
                           : 0;
        }
        if (m) {
            esc[k++] = BX_ESC, esc[k++] = m;
            i++;
        } else if (c == '\0') {
            esc[k++] = BX_ESC, esc[k++] = '0';
        } else {
            esc[k++] = c;
        }
    }
    if ((error = bx_expand(b, &raw, esc, k, 1)) < 0)
        goto done;
    for (i = 0; i < raw.n; i++) {
        char *p = raw.v[i].p;
        size_t j, w = 0;
        for (j = 0; j < raw.v[i].n; j++) {
            if (p[j] == BX_ESC && j + 1 < raw.v[i].n) {
                char m = p[++j];
                p[w++] = m == 'S'   ? '\\'
                         : m == 'O' ? '{'
                         : m == 'C' ? '}'
                         : m == 'M' ? ','
                         : m == 'P' ? '.'
                                    : '\0';
            } else {
                p[w++] = p[j];
            }
        }
        if ((error = sl_push3(b, out, p, w, NULL, 0, NULL, 0)) < 0)
            goto done;
    }
done:
    sl_free(&raw);
    sg_free(esc);
    return error;
}

/* ------------------------------------------------------------------------------------------ */
/* Compiled patterns                                                                           */

enum { IT_CHAR, IT_ANY, IT_STAR, IT_CLASS, IT_NEVER };

typedef struct gitem {
    unsigned char op;  /**< IT_* */
    uint32_t cp;       /**< IT_CHAR: the code point */
    const gclass *cls; /**< IT_CLASS */
} gitem;

enum { N_CHAR, N_ANY, N_CLASS, N_NEVER, N_SPLIT, N_MATCH, N_NEG, N_NOTRAV, N_NODOT };

typedef struct nstate {
    unsigned char op;  /**< N_* */
    uint32_t x;        /**< next state (SPLIT: first branch; NEG: lookahead start) */
    uint32_t y;        /**< SPLIT: second branch; NEG: where to go when the lookahead fails */
    uint32_t cp;       /**< N_CHAR: code point; N_NEG: index of its memo row */
    const gclass *cls; /**< N_CLASS */
} nstate;

typedef struct gnfa {
    nstate *st;     /**< states */
    uint32_t n;     /**< number of states */
    uint32_t start; /**< initial state */
    uint32_t nneg;  /**< N_NEG states */
} gnfa;

enum {
    SEG_GLOBSTAR,
    SEG_EMPTY,
    SEG_STAR,
    SEG_STAREXT,
    SEG_QMARKS,
    SEG_STARDOTSTAR,
    SEG_DOTSTAR,
    SEG_FLAT,
    SEG_NFA
};
enum { GUARD_NONE, GUARD_NOTRAV, GUARD_NODOT };

typedef struct gseg {
    unsigned char kind;  /**< SEG_* */
    unsigned char guard; /**< GUARD_* checked before a SEG_FLAT match */
    const char *s;       /**< SEG_STAREXT / SEG_QMARKS: the literal suffix */
    size_t n;            /**< length of s */
    size_t qlen;         /**< SEG_QMARKS: UTF-16 length the name must have */
    const gitem *items;  /**< SEG_FLAT */
    size_t nitems;       /**< SEG_FLAT */
    const gnfa *nfa;     /**< SEG_NFA */
} gseg;

typedef struct gpat {
    gseg *parts;      /**< one per '/'-separated segment */
    size_t n;         /**< number of parts */
    int has_globstar; /**< some part is '**' */
} gpat;

struct sg_glob {
    unsigned flags; /**< SG_GLOB_* */
    int negate;     /**< odd number of leading '!' */
    int comment;    /**< starts with '#': matches nothing */
    int empty;      /**< "" : matches only "" */
    int relative;   /**< ignore-walk isRelativeRule */
    gpat *set;      /**< the brace alternatives */
    size_t nset;    /**< number of alternatives */
    sg_arena arena; /**< everything above */
};

/* ------------------------------------------------------------------------------------------ */
/* Segment compilation: minimatch AST (ast.js) lowered to a small regex tree                  */

#define GX_MAX_NEST 64
#define GX_MAX_NEG 16
#define GX_MAX_STATES (1u << 20)

typedef struct gast gast;

typedef struct gpiece {
    const char *s; /**< glob text (when ext is NULL) */
    size_t n;      /**< its length */
    gast *ext;     /**< a nested AST */
} gpiece;

struct gast {
    char type;       /**< 0 plain; '!', '?', '+', '*', '@' extglob */
    gast *parent;    /**< enclosing AST */
    size_t pindex;   /**< index among the parent's pieces at creation */
    gpiece *pc;      /**< pieces (extglob: its alternatives, plain ASTs) */
    size_t npc;      /**< used */
    size_t cap;      /**< allocated */
    int empty_ext;   /**< minimatch #emptyExt */
    const char *raw; /**< extglob source text */
    size_t rawlen;   /**< its length */
};

enum {
    RX_CHAR,
    RX_ANY,
    RX_STAR,
    RX_CLASS,
    RX_NEVER,
    RX_GUARD_NOTRAV,
    RX_GUARD_NODOT,
    RX_SEQ,
    RX_ALT,
    RX_OPT,
    RX_STARG,
    RX_PLUSG,
    RX_NEG
};

typedef struct rx rx;
struct rx {
    unsigned char op;  /**< RX_* */
    uint32_t cp;       /**< RX_CHAR code point; RX_NEG: 1 when no leading dot is allowed */
    const gclass *cls; /**< RX_CLASS */
    rx **kids;         /**< children of SEQ/ALT/OPT/STARG/PLUSG/NEG */
    size_t nkids;      /**< used */
    size_t cap;        /**< allocated */
};

typedef struct gcx {
    sg_glob *g;             /**< the glob being built (its arena keeps classes, items, states) */
    sg_arena tmp;           /**< AST and regex nodes */
    int error;              /**< first error */
    int nest;               /**< current extglob nesting */
    nstate *st;             /**< NFA states being built */
    uint32_t nst;           /**< used */
    uint32_t capst;         /**< allocated */
    uint32_t nneg;          /**< N_NEG states so far */
    uint32_t (*scratch)[2]; /**< class ranges being parsed */
    size_t capscratch;      /**< allocated entries of scratch */
    size_t scan_budget;     /**< bytes failed class scans may still read (they are quadratic) */
} gcx;

static void *cx_alloc(gcx *cx, sg_arena *a, size_t n)
{
    void *p;
    if (cx->error)
        return NULL;
    p = sg_arena_alloc(a, n ? n : 1);
    if (!p)
        cx->error = SG_ENOMEM;
    else
        memset(p, 0, n ? n : 1);
    return p;
}

/* Grow an arena array (old storage is abandoned to the arena). */
static void *cx_grow(gcx *cx, void *old, size_t used, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 4, bytes;
    void *p;
    if (sg_mul_overflow(&bytes, ncap, elem)) {
        cx->error = SG_ELIMIT;
        return NULL;
    }
    p = cx_alloc(cx, &cx->tmp, bytes);
    if (!p)
        return NULL;
    if (used)
        memcpy(p, old, used * elem);
    *cap = ncap;
    return p;
}

static gast *ast_new(gcx *cx, char type, gast *parent)
{
    gast *a = cx_alloc(cx, &cx->tmp, sizeof(*a));
    if (!a)
        return NULL;
    a->type = type;
    a->parent = parent;
    a->pindex = parent ? parent->npc : 0;
    return a;
}

static void ast_push(gcx *cx, gast *a, const char *s, size_t n, gast *ext)
{
    if (!a || cx->error || (!ext && n == 0))
        return;
    if (a->npc == a->cap) {
        gpiece *p = cx_grow(cx, a->pc, a->npc, &a->cap, sizeof(*p));
        if (!p)
            return;
        a->pc = p;
    }
    a->pc[a->npc].s = s;
    a->pc[a->npc].n = n;
    a->pc[a->npc].ext = ext;
    a->npc++;
}

static int is_ext_type(char c)
{
    return c == '!' || c == '?' || c == '+' || c == '*' || c == '@';
}

/* adoptionAnyMap: can an extglob of this type absorb a nested one of type c? */
static int can_adopt_type(char parent, char c)
{
    switch (parent) {
    case '!':
    case '?':
    case '@':
        return c == '?' || c == '@';
    case '*':
        return c == '*' || c == '+' || c == '?' || c == '@';
    case '+':
        return c == '+' || c == '@' || c == '?' || c == '*';
    default:
        return 0;
    }
}

/* AST.#parseAST(); returns the index after what it consumed. maxExtglobRecursion is 2. */
static size_t parse_ast(gcx *cx, const char *str, size_t n, gast *a, size_t pos, int depth)
{
    int escaping = 0, in_brace = 0, brace_neg = 0;
    size_t brace_start = 0, i, acc;
    gast *part, **alts = NULL;
    size_t nalts = 0, capalts = 0, k;

    if (cx->error || !a)
        return n;
    if (++cx->nest > GX_MAX_NEST) {
        cx->error = SG_ELIMIT;
        cx->nest--;
        return n;
    }
    if (a->type == 0) {
        for (i = acc = pos; i < n;) {
            char c = str[i++];
            if (escaping || c == '\\') {
                escaping = !escaping;
                continue;
            }
            if (in_brace) {
                if (i == brace_start + 1) {
                    if (c == '^' || c == '!')
                        brace_neg = 1;
                } else if (c == ']' && !(i == brace_start + 2 && brace_neg)) {
                    in_brace = 0;
                }
                continue;
            } else if (c == '[') {
                in_brace = 1, brace_start = i, brace_neg = 0;
                continue;
            }
            if (is_ext_type(c) && i < n && str[i] == '(' && depth <= 2) {
                gast *ext;
                ast_push(cx, a, str + acc, i - 1 - acc, NULL);
                ext = ast_new(cx, c, a);
                if (!ext)
                    break;
                ext->raw = str + i - 1;
                i = parse_ast(cx, str, n, ext, i, depth + 1);
                ext->rawlen = (size_t)(str + i - ext->raw);
                ast_push(cx, a, NULL, 0, ext);
                acc = i;
            }
        }
        ast_push(cx, a, str + acc, i - acc, NULL);
        cx->nest--;
        return i;
    }
    /* an extglob; str[pos] is '(' */
    i = acc = pos + 1;
    part = ast_new(cx, 0, a);
    while (i < n && !cx->error) {
        char c = str[i++];
        if (escaping || c == '\\') {
            escaping = !escaping;
            continue;
        }
        if (in_brace) {
            if (i == brace_start + 1) {
                if (c == '^' || c == '!')
                    brace_neg = 1;
            } else if (c == ']' && !(i == brace_start + 2 && brace_neg)) {
                in_brace = 0;
            }
            continue;
        } else if (c == '[') {
            in_brace = 1, brace_start = i, brace_neg = 0;
            continue;
        }
        if (is_ext_type(c) && i < n && str[i] == '(' &&
            (depth <= 2 || can_adopt_type(a->type, c))) {
            int add = can_adopt_type(a->type, c) ? 0 : 1;
            gast *ext;
            ast_push(cx, part, str + acc, i - 1 - acc, NULL);
            ext = ast_new(cx, c, part);
            if (!ext)
                break;
            ext->raw = str + i - 1;
            ast_push(cx, part, NULL, 0, ext);
            i = parse_ast(cx, str, n, ext, i, depth + add);
            ext->rawlen = (size_t)(str + i - ext->raw);
            acc = i;
            continue;
        }
        if (c == '|' || c == ')') {
            ast_push(cx, part, str + acc, i - 1 - acc, NULL);
            if (nalts == capalts) {
                gast **na = cx_grow(cx, alts, nalts, &capalts, sizeof(*na));
                if (!na)
                    break;
                alts = na;
            }
            alts[nalts++] = part;
            if (c == ')') {
                if (i - 1 == acc && a->npc == 0)
                    a->empty_ext = 1;
                for (k = 0; k < nalts; k++)
                    ast_push(cx, a, NULL, 0, alts[k]);
                cx->nest--;
                return i;
            }
            part = ast_new(cx, 0, a);
            acc = i;
            continue;
        }
    }
    /* unfinished extglob: the rest, from the type character on, is plain glob text */
    a->type = 0;
    a->npc = 0;
    ast_push(cx, a, str + pos - 1, n - (pos - 1), NULL);
    cx->nest--;
    return n;
}

static int ast_is_start(const gast *a)
{
    size_t k;
    if (!a->parent)
        return 1;
    if (!ast_is_start(a->parent))
        return 0;
    if (a->pindex == 0)
        return 1;
    for (k = 0; k < a->pindex && k < a->parent->npc; k++)
        if (!a->parent->pc[k].ext || a->parent->pc[k].ext->type != '!')
            return 0;
    return 1;
}

static int ast_is_end(const gast *a)
{
    if (!a->parent)
        return 1;
    if (a->parent->type == '!')
        return 1;
    if (!ast_is_end(a->parent))
        return 0;
    if (!a->type)
        return 1;
    return a->pindex + 1 == a->parent->npc;
}

static rx *rx_new(gcx *cx, unsigned char op)
{
    rx *r = cx_alloc(cx, &cx->tmp, sizeof(*r));
    if (r)
        r->op = op;
    return r;
}

static void rx_push(gcx *cx, rx *r, rx *kid)
{
    if (!r || !kid || cx->error)
        return;
    if (r->nkids == r->cap) {
        rx **k = cx_grow(cx, r->kids, r->nkids, &r->cap, sizeof(*k));
        if (!k)
            return;
        r->kids = k;
    }
    r->kids[r->nkids++] = kid;
}

static void rx_leaf(gcx *cx, rx *seq, unsigned char op, uint32_t cp, const gclass *cls)
{
    rx *r = rx_new(cx, op);
    if (!r)
        return;
    r->cp = cp;
    r->cls = cls;
    rx_push(cx, seq, r);
}

static int starts_with(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(s, lit, l) == 0;
}

/* parseClass() at s[pos] == '['. Returns bytes consumed (0: not a class) and what it is:
 * 1 a set (*cls), 2 one literal character (*cp), 3 never matches. */
static size_t parse_class(gcx *cx, const char *s, size_t n, size_t pos, int *kind,
                          const gclass **cls, uint32_t *cp_out)
{
    uint32_t(*ranges)[2] = cx->scratch;
    size_t nr = 0, i = pos + 1, end_pos = pos, items = 0, adv;
    int saw_start = 0, escaping = 0, negate = 0, have_rs = 0, single = 0, id;
    unsigned px_pos = 0, px_neg = 0;
    uint32_t rs = 0, single_cp = 0;
    gclass *k;

    if (pos + 1 >= n || !memchr(s + pos + 1, ']', n - pos - 1))
        return 0; /* nothing can close it: a literal '[' */
    while (i < n) {
        uint32_t c = u8_decode((const unsigned char *)s + i, n - i, &adv);
        if ((c == '!' || c == '^') && i == pos + 1) {
            negate = 1, i++;
            continue;
        }
        if (c == ']' && saw_start && !escaping) {
            end_pos = i + 1;
            break;
        }
        saw_start = 1;
        if (c == '\\' && !escaping) {
            escaping = 1, i++;
            continue;
        }
        if (c == '[' && !escaping) {
            for (id = 0; id < PX__COUNT; id++)
                if (starts_with(s + i, n - i, px_names[id]))
                    break;
            if (id < PX__COUNT) {
                if (have_rs) {
                    *kind = 3;
                    return n - pos;
                }
                i += strlen(px_names[id]);
                if (id == PX_GRAPH)
                    px_neg |= 1u << id;
                else
                    px_pos |= 1u << id, items++, single = 0;
                continue;
            }
        }
        escaping = 0;
        if (nr + 2 > cx->capscratch) {
            size_t cap = cx->capscratch ? cx->capscratch * 2 : 16;
            void *nrg = sg_realloc(cx->scratch, cap * sizeof(*cx->scratch));
            if (!nrg) {
                cx->error = SG_ENOMEM;
                return 0;
            }
            cx->scratch = nrg, cx->capscratch = cap;
        }
        ranges = cx->scratch;
        if (have_rs) {
            if (c > rs) {
                ranges[nr][0] = rs, ranges[nr++][1] = c, items++, single = 0;
            } else if (c == rs) {
                ranges[nr][0] = ranges[nr][1] = c, nr++, items++, single = 1, single_cp = c;
            }
            have_rs = 0;
            i += adv;
            continue;
        }
        if (i + adv + 1 < n + 1 && starts_with(s + i + adv, n - i - adv, "-]")) {
            ranges[nr][0] = ranges[nr][1] = c, nr++;
            ranges[nr][0] = ranges[nr][1] = '-', nr++;
            items++, single = 0;
            i += adv + 2;
            continue;
        }
        if (i + adv < n && s[i + adv] == '-') {
            rs = c, have_rs = 1;
            i += adv + 1;
            continue;
        }
        ranges[nr][0] = ranges[nr][1] = c, nr++, items++, single = 1, single_cp = c;
        i += adv;
    }
    if (cx->error)
        return 0;
    if (end_pos < i || end_pos == pos) {
        /* not a class: '[' is literal. Each such scan reads to the end of the segment. */
        if (i - pos > cx->scan_budget)
            cx->error = SG_ELIMIT;
        else
            cx->scan_budget -= i - pos;
        return 0;
    }
    if (!items && !px_neg) {
        *kind = 3;
        return n - pos;
    }
    if (!px_neg && items == 1 && single && !negate) {
        *kind = 2;
        *cp_out = single_cp;
        return end_pos - pos;
    }
    k = cx_alloc(cx, &cx->g->arena, sizeof(*k));
    if (!k)
        return 0;
    if (nr) {
        k->ranges = cx_alloc(cx, &cx->g->arena, nr * sizeof(*ranges));
        if (!k->ranges)
            return 0;
        memcpy(k->ranges, ranges, nr * sizeof(*ranges));
    }
    k->nranges = nr;
    k->negate = negate;
    k->px_pos = px_pos;
    k->px_neg = px_neg;
    *kind = 1;
    *cls = k;
    return end_pos - pos;
}

/* AST.#parseGlob(): one piece of glob text into leaves of seq. */
static void parse_glob(gcx *cx, rx *seq, const char *s, size_t n, int noempty)
{
    int escaping = 0, in_star = 0, all_stars = n > 0;
    size_t i, adv;
    for (i = 0; i < n; i++)
        if (s[i] != '*')
            all_stars = 0;
    for (i = 0; i < n && !cx->error;) {
        uint32_t c = u8_decode((const unsigned char *)s + i, n - i, &adv);
        if (escaping) {
            escaping = 0;
            rx_leaf(cx, seq, RX_CHAR, c, NULL);
            i += adv;
            continue;
        }
        if (c == '*') {
            if (!in_star) {
                in_star = 1;
                if (noempty && all_stars)
                    rx_leaf(cx, seq, RX_ANY, 0, NULL);
                rx_leaf(cx, seq, RX_STAR, 0, NULL);
            }
            i++;
            continue;
        }
        in_star = 0;
        if (c == '\\') {
            if (i == n - 1)
                rx_leaf(cx, seq, RX_CHAR, '\\', NULL);
            else
                escaping = 1;
            i++;
            continue;
        }
        if (c == '[') {
            int kind = 0;
            const gclass *cls = NULL;
            uint32_t lit = 0;
            size_t used = parse_class(cx, s, n, i, &kind, &cls, &lit);
            if (used) {
                if (kind == 1)
                    rx_leaf(cx, seq, RX_CLASS, 0, cls);
                else if (kind == 2)
                    rx_leaf(cx, seq, RX_CHAR, lit, NULL);
                else
                    rx_leaf(cx, seq, RX_NEVER, 0, NULL);
                i += used;
                continue;
            }
        }
        if (c == '?') {
            rx_leaf(cx, seq, RX_ANY, 0, NULL);
            i++;
            continue;
        }
        rx_leaf(cx, seq, RX_CHAR, c, NULL);
        i += adv;
    }
}

static int rx_wild(const rx *r)
{
    if (!r)
        return 0;
    if (r->op == RX_CLASS)
        return !((r->cls->nranges || r->cls->px_pos) && r->cls->px_neg);
    return r->op == RX_STAR || r->op == RX_ANY;
}

static int rx_is_char(const rx *r, uint32_t c)
{
    return r && r->op == RX_CHAR && r->cp == c;
}

static rx *lower_ext(gcx *cx, const gast *e);

/* toRegExpSource() of a plain AST. */
static rx *lower_seq(gcx *cx, const gast *a)
{
    rx *seq = rx_new(cx, RX_SEQ);
    int start = ast_is_start(a), end = ast_is_end(a), has_ext = 0,
        dot = (cx->g->flags & SG_GLOB_DOT) != 0;
    size_t k;
    if (!seq)
        return NULL;
    for (k = 0; k < a->npc; k++)
        has_ext |= a->pc[k].ext != NULL;
    for (k = 0; k < a->npc && !cx->error; k++) {
        const gpiece *p = &a->pc[k];
        if (!p->ext)
            parse_glob(cx, seq, p->s, p->n, start && end && !has_ext);
        else if (p->ext->type == 0)
            rx_push(cx, seq, lower_seq(cx, p->ext));
        else
            rx_push(cx, seq, lower_ext(cx, p->ext));
    }
    if (!cx->error && start && a->npc && !a->pc[0].ext && seq->nkids) {
        const gpiece *p = &a->pc[0];
        int dottrav = a->npc == 1 && is_dots(p->s, p->n);
        rx *k0 = seq->kids[0], *k1 = seq->nkids > 1 ? seq->kids[1] : NULL;
        rx *k2 = seq->nkids > 2 ? seq->kids[2] : NULL;
        unsigned char guard = 0;
        if (!dottrav) {
            if (dot && (rx_wild(k0) || (rx_is_char(k0, '.') && rx_wild(k1)) ||
                        (rx_is_char(k0, '.') && rx_is_char(k1, '.') && rx_wild(k2))))
                guard = RX_GUARD_NOTRAV;
            else if (!dot && rx_wild(k0))
                guard = RX_GUARD_NODOT;
        }
        if (guard) {
            rx *gd = rx_new(cx, guard);
            rx_push(cx, seq, gd);
            if (!cx->error) {
                memmove(seq->kids + 1, seq->kids, (seq->nkids - 1) * sizeof(*seq->kids));
                seq->kids[0] = gd;
            }
        }
    }
    return seq;
}

static rx *lower_ext(gcx *cx, const gast *e)
{
    int start = ast_is_start(e), end = ast_is_end(e), dot = (cx->g->flags & SG_GLOB_DOT) != 0;
    rx *alt = rx_new(cx, RX_ALT), *r;
    size_t k, adv;
    for (k = 0; k < e->npc && !cx->error; k++) {
        rx *s = lower_seq(cx, e->pc[k].ext);
        if (s && (s->nkids || !(start && end)))
            rx_push(cx, alt, s);
    }
    if (cx->error)
        return NULL;
    if (start && end && alt->nkids == 0 && e->type != '!') {
        /* an empty extglob that is the whole segment stands for its own text */
        r = rx_new(cx, RX_SEQ);
        for (k = 0; k < e->rawlen && !cx->error; k += adv)
            rx_leaf(cx, r, RX_CHAR,
                    u8_decode((const unsigned char *)e->raw + k, e->rawlen - k, &adv), NULL);
        return r;
    }
    if (e->type == '!' && e->empty_ext) {
        r = rx_new(cx, RX_SEQ);
        if (start && !dot)
            rx_leaf(cx, r, RX_GUARD_NODOT, 0, NULL);
        rx_leaf(cx, r, RX_ANY, 0, NULL);
        rx_leaf(cx, r, RX_STAR, 0, NULL);
        return r;
    }
    switch (e->type) {
    case '@':
        return alt;
    case '?':
        r = rx_new(cx, RX_OPT);
        break;
    case '+':
        r = rx_new(cx, RX_PLUSG);
        break;
    case '*':
        r = rx_new(cx, RX_STARG);
        break;
    default:
        r = rx_new(cx, RX_NEG);
        if (r)
            r->cp = start && !dot;
        break;
    }
    rx_push(cx, r, alt);
    return r;
}

/* ---- NFA (Thompson), built backwards from the accepting state ---- */

static uint32_t nfa_add(gcx *cx, unsigned char op, uint32_t x, uint32_t y)
{
    if (cx->error)
        return 0;
    if (cx->nst == cx->capst) {
        uint32_t cap = cx->capst ? cx->capst * 2 : 32;
        nstate *st;
        if (cap > GX_MAX_STATES) {
            cx->error = SG_ELIMIT;
            return 0;
        }
        st = sg_realloc(cx->st, cap * sizeof(*st));
        if (!st) {
            cx->error = SG_ENOMEM;
            return 0;
        }
        cx->st = st, cx->capst = cap;
    }
    memset(&cx->st[cx->nst], 0, sizeof(nstate));
    cx->st[cx->nst].op = op;
    cx->st[cx->nst].x = x;
    cx->st[cx->nst].y = y;
    return cx->nst++;
}

static uint32_t nfa_build(gcx *cx, const rx *r, uint32_t next)
{
    uint32_t s, x, cur;
    size_t k;
    if (cx->error || !r)
        return next;
    switch (r->op) {
    case RX_CHAR:
        s = nfa_add(cx, N_CHAR, next, 0);
        if (!cx->error)
            cx->st[s].cp = r->cp;
        return s;
    case RX_ANY:
        return nfa_add(cx, N_ANY, next, 0);
    case RX_CLASS:
        s = nfa_add(cx, N_CLASS, next, 0);
        if (!cx->error)
            cx->st[s].cls = r->cls;
        return s;
    case RX_NEVER:
        return nfa_add(cx, N_NEVER, next, 0);
    case RX_GUARD_NOTRAV:
        return nfa_add(cx, N_NOTRAV, next, 0);
    case RX_GUARD_NODOT:
        return nfa_add(cx, N_NODOT, next, 0);
    case RX_STAR:
        s = nfa_add(cx, N_SPLIT, 0, next);
        x = nfa_add(cx, N_ANY, s, 0);
        if (!cx->error)
            cx->st[s].x = x;
        return s;
    case RX_SEQ:
        for (k = r->nkids; k-- > 0;)
            next = nfa_build(cx, r->kids[k], next);
        return next;
    case RX_ALT:
        if (!r->nkids)
            return next;
        cur = nfa_build(cx, r->kids[r->nkids - 1], next);
        for (k = r->nkids - 1; k-- > 0;) {
            x = nfa_build(cx, r->kids[k], next);
            cur = nfa_add(cx, N_SPLIT, x, cur);
        }
        return cur;
    case RX_OPT:
        x = nfa_build(cx, r->kids[0], next);
        return nfa_add(cx, N_SPLIT, x, next);
    case RX_STARG:
    case RX_PLUSG:
        s = nfa_add(cx, N_SPLIT, 0, next);
        x = nfa_build(cx, r->kids[0], s);
        if (!cx->error)
            cx->st[s].x = x;
        return r->op == RX_STARG ? s : x;
    case RX_NEG: {
        uint32_t tail, look;
        if (cx->nneg >= GX_MAX_NEG) {
            cx->error = SG_ELIMIT;
            return next;
        }
        s = nfa_add(cx, N_SPLIT, 0, next); /* [^/]*? then the rest */
        x = nfa_add(cx, N_ANY, s, 0);
        if (!cx->error)
            cx->st[s].x = x;
        tail = r->cp ? nfa_add(cx, N_NODOT, s, 0) : s;
        look = nfa_build(cx, r->kids[0], next);
        s = nfa_add(cx, N_NEG, look, tail);
        if (!cx->error)
            cx->st[s].cp = cx->nneg++;
        return s;
    }
    default:
        return next;
    }
}

typedef struct nrun {
    const gnfa *a;          /**< the automaton */
    const unsigned char *t; /**< the segment */
    size_t len;             /**< its length */
    int nocase;             /**< fold case */
    signed char *memo;      /**< lookahead results, nneg x (len + 1); -1 unknown */
    int depth;              /**< lookahead nesting */
} nrun;

static int nfa_sim(nrun *r, uint32_t start, size_t pos);

static int nfa_lookahead(nrun *r, const nstate *st, size_t pos)
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
        const nstate *st = &r->a->st[s];
        if (mark[s] == gen)
            continue;
        mark[s] = gen;
        switch (st->op) {
        case N_SPLIT:
            stack[sp++] = st->y;
            stack[sp++] = st->x;
            break;
        case N_NOTRAV:
            if (!(pos == 0 && is_dots((const char *)r->t, r->len)))
                stack[sp++] = st->x;
            break;
        case N_NODOT:
            if (!(pos < r->len && r->t[pos] == '.'))
                stack[sp++] = st->x;
            break;
        case N_NEG: {
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
        uint32_t c = u8_decode(r->t + pos, r->len - pos, &adv), *t;
        gen++;
        ncnt = 0;
        for (i = 0; i < ccnt; i++) {
            const nstate *st = &r->a->st[clist[i]];
            int ok = st->op == N_ANY || (st->op == N_CHAR && cp_eq(st->cp, c, r->nocase)) ||
                     (st->op == N_CLASS && class_match(st->cls, c, r->nocase));
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
            res = r->a->st[clist[i]].op == N_MATCH;
    sg_free(buf);
    return res;
}

static int nfa_match(const gnfa *a, const char *t, size_t len, int nocase)
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

static int item_match(const gitem *it, uint32_t c, int nocase)
{
    switch (it->op) {
    case IT_CHAR:
        return cp_eq(it->cp, c, nocase);
    case IT_ANY:
        return 1;
    case IT_CLASS:
        return class_match(it->cls, c, nocase);
    default:
        return 0;
    }
}

static int flat_match(const gitem *it, size_t m, const char *s, size_t n, int nocase)
{
    size_t pi = 0, ti = 0, star_pi = (size_t)-1, star_ti = 0, adv;
    const unsigned char *t = (const unsigned char *)s;
    while (ti < n) {
        if (pi < m && it[pi].op == IT_STAR) {
            star_pi = pi++;
            star_ti = ti;
            continue;
        }
        if (pi < m) {
            uint32_t c = u8_decode(t + ti, n - ti, &adv);
            if (item_match(&it[pi], c, nocase)) {
                pi++;
                ti += adv;
                continue;
            }
        }
        if (star_pi == (size_t)-1)
            return 0;
        pi = star_pi + 1;
        u8_decode(t + star_ti, n - star_ti, &adv);
        star_ti += adv;
        ti = star_ti;
    }
    while (pi < m && it[pi].op == IT_STAR)
        pi++;
    return pi == m;
}

/* Flatten a regex tree of leaves into items; 0 when it has structure (needs the NFA). */
static int rx_flatten(const rx *r, gitem *out, size_t *n, int top, unsigned char *guard)
{
    size_t k;
    if (r->op == RX_SEQ) {
        for (k = 0; k < r->nkids; k++)
            if (!rx_flatten(r->kids[k], out, n, top && k == 0, guard))
                return 0;
        return 1;
    }
    switch (r->op) {
    case RX_GUARD_NOTRAV:
    case RX_GUARD_NODOT:
        if (!top || *n)
            return 0;
        *guard = r->op == RX_GUARD_NOTRAV ? GUARD_NOTRAV : GUARD_NODOT;
        return 1;
    case RX_CHAR:
    case RX_ANY:
    case RX_STAR:
    case RX_CLASS:
    case RX_NEVER:
        if (out) {
            out[*n].op = r->op == RX_CHAR    ? IT_CHAR
                         : r->op == RX_ANY   ? IT_ANY
                         : r->op == RX_STAR  ? IT_STAR
                         : r->op == RX_CLASS ? IT_CLASS
                                             : IT_NEVER;
            out[*n].cp = r->cp;
            out[*n].cls = r->cls;
        }
        (*n)++;
        return 1;
    default:
        return 0;
    }
}

/* ---- one segment: fast paths first (Minimatch#parse), else the AST ---- */

static size_t run_of(const char *s, size_t n, size_t i, char c)
{
    while (i < n && s[i] == c)
        i++;
    return i;
}

static int ext_chars_ok(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strchr("+@!?*[(", s[i]) && s[i])
            return 0;
    return 1;
}

static char *cx_strdup(gcx *cx, const char *s, size_t n)
{
    char *p = cx_alloc(cx, &cx->g->arena, n + 1);
    if (p && n)
        memcpy(p, s, n);
    return p;
}

static void compile_segment(gcx *cx, gseg *seg, const char *s, size_t n)
{
    size_t i = run_of(s, n, 0, '*'), nitems = 0;
    gast *root;
    rx *tree;
    unsigned char guard = GUARD_NONE;

    memset(seg, 0, sizeof(*seg));
    if (n == 2 && s[0] == '*' && s[1] == '*') {
        seg->kind = SEG_GLOBSTAR;
        return;
    }
    if (n == 0) {
        seg->kind = SEG_EMPTY;
        return;
    }
    if (i > 0 && i == n) {
        seg->kind = SEG_STAR;
        return;
    }
    if (i > 0 && ext_chars_ok(s + i, n - i)) {
        seg->kind = SEG_STAREXT;
        seg->s = cx_strdup(cx, s + i, n - i), seg->n = n - i;
        return;
    }
    i = run_of(s, n, 0, '?');
    if (i > 0 && ext_chars_ok(s + i, n - i)) {
        seg->kind = SEG_QMARKS;
        seg->s = cx_strdup(cx, s + i, n - i), seg->n = n - i;
        seg->qlen = u16_length(s, n);
        return;
    }
    i = run_of(s, n, 0, '*');
    if (i > 0 && i < n && s[i] == '.' && i + 1 < n && run_of(s, n, i + 1, '*') == n) {
        seg->kind = SEG_STARDOTSTAR;
        return;
    }
    if (n >= 2 && s[0] == '.' && run_of(s, n, 1, '*') == n) {
        seg->kind = SEG_DOTSTAR;
        return;
    }
    root = ast_new(cx, 0, NULL);
    parse_ast(cx, s, n, root, 0, 0);
    tree = cx->error ? NULL : lower_seq(cx, root);
    if (cx->error || !tree)
        return;
    if (rx_flatten(tree, NULL, &nitems, 1, &guard)) {
        gitem *items = cx_alloc(cx, &cx->g->arena, nitems * sizeof(*items));
        size_t m = 0;
        if (!items)
            return;
        rx_flatten(tree, items, &m, 1, &guard);
        seg->kind = SEG_FLAT;
        seg->guard = guard;
        seg->items = items;
        seg->nitems = m;
        return;
    }
    {
        gnfa *a = cx_alloc(cx, &cx->g->arena, sizeof(*a));
        uint32_t match;
        if (!a)
            return;
        cx->nst = 0;
        cx->nneg = 0;
        match = nfa_add(cx, N_MATCH, 0, 0);
        a->start = nfa_build(cx, tree, match);
        if (cx->error)
            return;
        a->st = cx_alloc(cx, &cx->g->arena, (size_t)cx->nst * sizeof(nstate));
        if (!a->st)
            return;
        memcpy(a->st, cx->st, (size_t)cx->nst * sizeof(nstate));
        a->n = cx->nst;
        a->nneg = cx->nneg;
        seg->kind = SEG_NFA;
        seg->nfa = a;
    }
}

static int seg_test(const sg_glob *g, const gseg *p, const char *f, size_t n)
{
    int nocase = (g->flags & SG_GLOB_NOCASE) != 0, dot = (g->flags & SG_GLOB_DOT) != 0;
    int lead_dot = n && f[0] == '.';
    switch (p->kind) {
    case SEG_EMPTY:
        return n == 0;
    case SEG_STAR:
        return n != 0 && (dot ? !is_dots(f, n) : !lead_dot);
    case SEG_STAREXT:
        return (dot || !lead_dot) && ends_with(f, n, p->s, p->n, nocase);
    case SEG_QMARKS:
        if (u16_length(f, n) != p->qlen || (dot ? is_dots(f, n) : lead_dot))
            return 0;
        return !p->n || ends_with(f, n, p->s, p->n, nocase);
    case SEG_STARDOTSTAR:
        return (dot ? !is_dots(f, n) : !lead_dot) && memchr(f, '.', n) != NULL;
    case SEG_DOTSTAR:
        return lead_dot && !is_dots(f, n);
    case SEG_FLAT:
        if (p->guard == GUARD_NOTRAV && is_dots(f, n))
            return 0;
        if (p->guard == GUARD_NODOT && lead_dot)
            return 0;
        return flat_match(p->items, p->nitems, f, n, nocase);
    case SEG_NFA:
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
    return is_dots(f->p, f->n) || (!(g->flags & SG_GLOB_DOT) && f->n && f->p[0] == '.');
}

static int match_plain(const sg_glob *g, const fseg *file, size_t fl, const gseg *pat, size_t pl,
                       int partial, size_t fi, size_t pi)
{
    for (; fi < fl && pi < pl; fi++, pi++) {
        int hit;
        if (pat[pi].kind == SEG_GLOBSTAR)
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

static int body_sections(const sg_glob *g, const fseg *file, size_t fl, const gseg *body,
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

static int match_globstar(const sg_glob *g, const fseg *file, size_t fl, const gseg *pat, size_t pl,
                          int partial)
{
    size_t firstgs = 0, lastgs = 0, k, fi = 0, hl, bl, tl, tail_match = 0, nsegs = 1, cum = 0;
    const gseg *body, *tail;
    bseg local[32], *segs = local;
    size_t sums_local[32], *sums = sums_local;
    int r;

    while (firstgs < pl && pat[firstgs].kind != SEG_GLOBSTAR)
        firstgs++;
    for (k = 0; k < pl; k++)
        if (pat[k].kind == SEG_GLOBSTAR)
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
        nsegs += body[k].kind == SEG_GLOBSTAR;
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
            if (body[k].kind == SEG_GLOBSTAR) {
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

static int match_one(const sg_glob *g, const fseg *file, size_t fl, const gpat *pat, int partial)
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
        const gpat *pat = &g->set[k];
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

/* ------------------------------------------------------------------------------------------ */
/* Compilation (Minimatch#make)                                                                */

static int compile_alternative(gcx *cx, gpat *pat, const char *s, size_t n)
{
    fseg *parts, *out;
    size_t nparts = 1, i, k, m = 0;
    int rel;
    for (i = 0; i < n; i++)
        if (s[i] == '/' && (i == 0 || s[i - 1] != '/'))
            nparts++;
    parts = cx_alloc(cx, &cx->tmp, nparts * 2 * sizeof(*parts));
    if (!parts)
        return cx->error;
    out = parts + nparts;
    for (i = 0, k = 0; k < nparts; k++) {
        size_t j = i;
        while (j < n && s[j] != '/')
            j++;
        parts[k].p = s + i, parts[k].n = j - i;
        while (j < n && s[j] == '/')
            j++;
        i = j;
    }
    /* levelOneOptimize: drop repeated '**', resolve 'x/..' */
    for (k = 0; k < nparts; k++) {
        const fseg *prev = m ? &out[m - 1] : NULL;
        int prev_gs = prev && prev->n == 2 && prev->p[0] == '*' && prev->p[1] == '*';
        if (parts[k].n == 2 && parts[k].p[0] == '*' && parts[k].p[1] == '*' && prev_gs)
            continue;
        if (parts[k].n == 2 && parts[k].p[0] == '.' && parts[k].p[1] == '.' && prev && prev->n &&
            !is_dots(prev->p, prev->n) && !prev_gs) {
            m--;
            continue;
        }
        out[m++] = parts[k];
    }
    if (m == 0)
        out[m++] = (fseg){"", 0};
    rel = out[m - 1].n ? m <= 1 : m <= 2;
    cx->g->relative |= rel;
    pat->parts = cx_alloc(cx, &cx->g->arena, m * sizeof(*pat->parts));
    if (!pat->parts)
        return cx->error;
    pat->n = m;
    for (k = 0; k < m && !cx->error; k++) {
        compile_segment(cx, &pat->parts[k], out[k].p, out[k].n);
        pat->has_globstar |= pat->parts[k].kind == SEG_GLOBSTAR;
    }
    return cx->error;
}

void sg_glob__free(sg_glob *g)
{
    if (!g)
        return;
    sg_arena_dispose(&g->arena);
    sg_free(g);
}

int sg_glob__compile(sg_glob **out, sg_ctx *ctx, const char *pattern, size_t len, unsigned flags)
{
    sg_glob *g;
    gcx cx;
    bx b = {SG_GLOB_MAX_EXPANSIONS, SG_GLOB_MAX_EXPANDED_BYTES, 0, 0};
    slist alts = {0};
    size_t neg = 0, i, k, kept = 0;
    int error = 0;

    *out = NULL;
    memset(&cx, 0, sizeof(cx));
    if (len > SG_GLOB_MAX_PATTERN)
        return sg_error_set(ctx, SG_ELIMIT, "ignore pattern of %zu bytes is longer than %d", len,
                            SG_GLOB_MAX_PATTERN);
    g = sg_calloc(1, sizeof(*g));
    if (!g)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory compiling a pattern");
    g->flags = flags;
    cx.g = g;
    cx.scan_budget = (size_t)16 << 20;
    if (len && pattern[0] == '#') {
        g->comment = 1;
        goto done;
    }
    if (len == 0) {
        g->empty = 1;
        goto done;
    }
    while (neg < len && pattern[neg] == '!')
        neg++;
    g->negate = (int)(neg & 1);
    if ((error = brace_expand(&b, &alts, pattern + neg, len - neg)) < 0)
        goto done;
    /* new Set(): drop repeated alternatives */
    for (i = 0; i < alts.n; i++) {
        for (k = 0; k < kept; k++)
            if (alts.v[k].n == alts.v[i].n && !memcmp(alts.v[k].p, alts.v[i].p, alts.v[i].n))
                break;
        if (k == kept) {
            sstr t = alts.v[kept];
            alts.v[kept] = alts.v[i];
            alts.v[i] = t;
            kept++;
        }
    }
    g->set = kept ? cx_alloc(&cx, &g->arena, kept * sizeof(*g->set)) : NULL;
    if (cx.error) {
        error = cx.error;
        goto done;
    }
    for (i = 0; i < kept; i++) {
        if ((error = compile_alternative(&cx, &g->set[i], alts.v[i].p, alts.v[i].n)) < 0)
            goto done;
        g->nset++;
    }
done:
    sl_free(&alts);
    sg_arena_dispose(&cx.tmp);
    sg_free(cx.st);
    sg_free(cx.scratch);
    if (error < 0) {
        sg_glob__free(g);
        int shown = (int)(len < 200 ? len : 200);
        if (error == SG_ENOMEM)
            return sg_error_set(ctx, error, "out of memory compiling pattern '%.*s'", shown,
                                pattern);
        return sg_error_set(ctx, error, "pattern '%.*s' is too complex (braces or extglobs)", shown,
                            pattern);
    }
    *out = g;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* git's wildmatch() with WM_PATHNAME, by dynamic programming                                  */

enum { W_LIT, W_ANY, W_CLASS, W_STAR, W_DSTAR, W_DSTAR_SLASH, W_FAIL };

typedef struct wtok {
    unsigned char op;      /**< W_* */
    unsigned char c;       /**< W_LIT byte */
    unsigned char set[32]; /**< W_CLASS: bitmap of accepted bytes ('/' never) */
} wtok;

static int w_posix(const char *name, size_t n, unsigned char *set)
{
    static const char *const names[] = {"alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                        "lower", "print", "punct", "space", "upper", "xdigit"};
    size_t id;
    int c;
    for (id = 0; id < SG_ARRAY_SIZE(names); id++)
        if (strlen(names[id]) == n && !memcmp(names[id], name, n))
            break;
    if (id == SG_ARRAY_SIZE(names))
        return -1;
    for (c = 0; c < 128; c++) {
        int alpha = (c | 32) >= 'a' && (c | 32) <= 'z', digit = c >= '0' && c <= '9';
        int space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        int print = c >= 0x20 && c <= 0x7e, in;
        switch (id) {
        case 0:
            in = alpha || digit;
            break;
        case 1:
            in = alpha;
            break;
        case 2:
            in = c == ' ' || c == '\t';
            break;
        case 3:
            in = c < 0x20 || c == 0x7f;
            break;
        case 4:
            in = digit;
            break;
        case 5:
            in = print && !space;
            break;
        case 6:
            in = c >= 'a' && c <= 'z';
            break;
        case 7:
            in = print;
            break;
        case 8:
            in = print && !space && !alpha && !digit;
            break;
        case 9:
            in = space;
            break;
        case 10:
            in = c >= 'A' && c <= 'Z';
            break;
        default:
            in = digit || ((c | 32) >= 'a' && (c | 32) <= 'f');
            break;
        }
        if (in)
            set[c >> 3] |= (unsigned char)(1u << (c & 7));
    }
    return 0;
}

/* One bracket expression at p[i] == '['; returns the index after it, or 0 when malformed. */
static size_t w_class(const unsigned char *p, size_t n, size_t i, wtok *t)
{
    unsigned char set[32];
    unsigned pc, prev = 0;
    int negated;
    size_t j = i + 1, k;
    memset(set, 0, sizeof(set));
    pc = j < n ? p[j] : 0;
    if (pc == '^')
        pc = '!';
    negated = pc == '!';
    if (negated)
        pc = ++j < n ? p[j] : 0;
    do {
        if (j >= n)
            return 0;
        if (pc == '\\') {
            if (++j >= n)
                return 0;
            pc = p[j];
            set[pc >> 3] |= (unsigned char)(1u << (pc & 7));
        } else if (pc == '-' && prev && j + 1 < n && p[j + 1] != ']') {
            pc = p[++j];
            if (pc == '\\') {
                if (++j >= n)
                    return 0;
                pc = p[j];
            }
            for (k = prev; k <= pc; k++)
                set[k >> 3] |= (unsigned char)(1u << (k & 7));
            pc = 0;
        } else if (pc == '[' && j + 1 < n && p[j + 1] == ':') {
            size_t s = j + 2, e = s;
            while (e < n && p[e] != ']')
                e++;
            if (e >= n)
                return 0;
            if (e < s + 1 || p[e - 1] != ':') {
                set['[' >> 3] |= (unsigned char)(1u << ('[' & 7));
            } else {
                if (w_posix((const char *)p + s, e - s - 1, set) < 0)
                    return 0;
                j = e;
                pc = 0;
            }
        } else {
            set[pc >> 3] |= (unsigned char)(1u << (pc & 7));
        }
        prev = pc;
        pc = ++j < n ? p[j] : 0;
    } while (pc != ']');
    for (k = 0; k < 32; k++)
        t->set[k] = (unsigned char)(negated ? ~set[k] : set[k]);
    t->set['/' >> 3] &= (unsigned char)~(1u << ('/' & 7));
    return j + 1;
}

static size_t w_tokenize(const unsigned char *p, size_t n, wtok *t)
{
    size_t i = 0, m = 0;
    while (i < n) {
        unsigned char c = p[i];
        memset(&t[m], 0, sizeof(*t));
        if (c == '\\') {
            if (i + 1 >= n) {
                t[m++].op = W_FAIL;
                break;
            }
            t[m].op = W_LIT, t[m++].c = p[i + 1];
            i += 2;
        } else if (c == '?') {
            t[m++].op = W_ANY;
            i++;
        } else if (c == '*') {
            size_t e = i;
            while (e < n && p[e] == '*')
                e++;
            if (e - i >= 2 && (i == 0 || p[i - 1] == '/') &&
                (e == n || p[e] == '/' || (p[e] == '\\' && e + 1 < n && p[e + 1] == '/'))) {
                if (e < n && p[e] == '/') {
                    t[m++].op = W_DSTAR_SLASH;
                    i = e + 1;
                } else {
                    t[m++].op = W_DSTAR;
                    i = e;
                }
            } else {
                t[m++].op = W_STAR;
                i = e;
            }
        } else if (c == '[') {
            size_t e = w_class(p, n, i, &t[m]);
            if (!e) {
                t[m++].op = W_FAIL;
                break;
            }
            t[m++].op = W_CLASS;
            i = e;
        } else {
            t[m].op = W_LIT, t[m++].c = c;
            i++;
        }
    }
    return m;
}

int sg_glob__wildmatch(const char *pattern, size_t plen, const char *text, size_t tlen)
{
    const unsigned char *t = (const unsigned char *)text;
    wtok *tok;
    unsigned char *cur, *nxt, *tmp;
    size_t m, i, j;
    int result;

    tok = sg_malloc((plen + 1) * sizeof(*tok));
    cur = sg_malloc(2 * (tlen + 1));
    if (!tok || !cur) {
        sg_free(tok);
        sg_free(cur);
        return SG_ENOMEM;
    }
    nxt = cur + tlen + 1;
    m = w_tokenize((const unsigned char *)pattern, plen, tok);
    for (j = 0; j <= tlen; j++)
        nxt[j] = j == tlen;
    for (i = m; i-- > 0;) {
        const wtok *w = &tok[i];
        int r = 0;
        switch (w->op) {
        case W_STAR:
            cur[tlen] = nxt[tlen];
            for (j = tlen; j-- > 0;)
                cur[j] = nxt[j] || (t[j] != '/' && cur[j + 1]);
            break;
        case W_DSTAR:
            cur[tlen] = nxt[tlen];
            for (j = tlen; j-- > 0;)
                cur[j] = nxt[j] || cur[j + 1];
            break;
        case W_DSTAR_SLASH:
            cur[tlen] = nxt[tlen];
            for (j = tlen; j-- > 0;) {
                r |= t[j] == '/' && nxt[j + 1];
                cur[j] = nxt[j] || r;
            }
            break;
        default:
            cur[tlen] = 0;
            for (j = 0; j < tlen; j++) {
                unsigned char c = t[j];
                int ok = w->op == W_LIT     ? c == w->c
                         : w->op == W_ANY   ? c != '/'
                         : w->op == W_CLASS ? (w->set[c >> 3] >> (c & 7)) & 1
                                            : 0;
                cur[j] = ok && nxt[j + 1];
            }
        }
        tmp = cur, cur = nxt, nxt = tmp;
    }
    result = nxt[0];
    sg_free(tok);
    sg_free(cur < nxt ? cur : nxt);
    return result;
}
