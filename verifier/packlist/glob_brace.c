/*
 * Brace expansion for sg_glob: brace-expansion 5.0 expand() and balanced-match 4.0 balanced(),
 * behind minimatch's braceExpand() (its shortcut and its escapes).
 */
#include "common/common.h"
#include "verifier/packlist/glob_int.h"

/* ------------------------------------------------------------------------------------------ */
/* Brace expansion (brace-expansion 5.0 expand(), balanced-match 4.0 balanced())               */

/* brace-expansion swaps escaped \\ \{ \} \, \. for private markers before expanding; here a
 * marker is a NUL byte plus a letter, and a NUL of the input is written as NUL '0'. */
#define BX_ESC '\0'
#define BX_MAX_DEPTH 64

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

void sg_glob__strs_free(sg_glob_strs *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        sg_free(l->v[i].p);
    sg_free(l->v);
    memset(l, 0, sizeof(*l));
}

static void sl_swap(sg_glob_strs *a, sg_glob_strs *b)
{
    sg_glob_strs t = *a;
    *a = *b;
    *b = t;
}

/* Append the concatenation a + m + c. */
static int sl_push3(bx *b, sg_glob_strs *l, const char *a, size_t an, const char *m, size_t mn,
                    const char *c, size_t cn)
{
    size_t n;
    char *p;
    if (b->error)
        return b->error;
    if (sg_add_overflow(&n, an, mn) || sg_add_overflow(&n, n, cn) || l->n >= b->count_max ||
        n > b->bytes_max || l->bytes + n > b->bytes_max)
        return bx_fail(b, SG_ELIMIT);
    if (SG_ARRAY_GROW(l->v, l->cap, l->n + 1, 8) < 0)
        return bx_fail(b, SG_ENOMEM);
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
static int bx_combine(bx *b, sg_glob_strs *out, const sg_glob_strs *acc, const char *pre,
                      size_t prelen, const sg_glob_strs *values, int drop)
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
static int bx_sequence(bx *b, sg_glob_strs *out, const char *body, size_t n, int alpha)
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
static int bx_comma_parts(bx *b, sg_glob_strs *out, const char *s, size_t n)
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

static int bx_expand(bx *b, sg_glob_strs *out, const char *s0, size_t n0, int is_top)
{
    sg_glob_strs acc = {0}, tmp = {0}, vals = {0}, parts = {0}, sub = {0};
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
            sg_glob__strs_free(&tmp);
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
                sg_glob_strs emb = {0};
                if ((error = bx_expand(b, &sub, parts.v[0].p, parts.v[0].n, 0)) < 0)
                    goto done;
                for (i = 0; i < sub.n; i++)
                    if ((error = sl_push3(b, &emb, "{", 1, sub.v[i].p, sub.v[i].n, "}", 1)) < 0) {
                        sg_glob__strs_free(&emb);
                        goto done;
                    }
                sg_glob__strs_free(&sub);
                sg_glob__strs_free(&parts);
                parts = emb;
                if (parts.n == 1) {
                    if ((error = bx_combine(b, &tmp, &acc, str, prelen, &parts, drop && !postlen)) <
                        0)
                        goto done;
                    sl_swap(&acc, &tmp);
                    sg_glob__strs_free(&tmp);
                    sg_glob__strs_free(&parts);
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
                sg_glob__strs_free(&sub);
            }
            sg_glob__strs_free(&parts);
        }
        if ((error = bx_combine(b, &tmp, &acc, str, prelen, &vals, drop && !postlen)) < 0)
            goto done;
        sl_swap(&acc, &tmp);
        sg_glob__strs_free(&tmp);
        sg_glob__strs_free(&vals);
        if (!postlen)
            break;
        str = post, len = postlen;
    }
    sl_swap(out, &acc);
done:
    b->depth--;
    sg_glob__strs_free(&acc);
    sg_glob__strs_free(&tmp);
    sg_glob__strs_free(&vals);
    sg_glob__strs_free(&parts);
    sg_glob__strs_free(&sub);
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
static int brace_expand(bx *b, sg_glob_strs *out, const char *s, size_t n)
{
    sg_glob_strs raw = {0};
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
    sg_glob__strs_free(&raw);
    sg_free(esc);
    return error;
}

int sg_glob__brace_expand(sg_glob_strs *out, const char *s, size_t n)
{
    bx b = {SG_GLOB_MAX_EXPANSIONS, SG_GLOB_MAX_EXPANDED_BYTES, 0, 0};
    return brace_expand(&b, out, s, n);
}
