/*
 * git's wildmatch() with WM_PATHNAME (sg_glob__wildmatch), by dynamic programming.
 */
#include "common/common.h"
#include "verifier/packlist/glob_int.h"

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
