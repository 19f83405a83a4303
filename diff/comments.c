/*
 * Publish tools such as clean-publish strip comments and blank lines from JavaScript
 * (THREATS.md: a legitimate difference, low severity). This recognizes exactly that and
 * nothing more: every artifact line must be a source line, in order, and every source line
 * left out must be blank, a whole-line // comment or part of a whole-line block comment.
 * An artifact that adds, changes or reorders any line is not explained.
 */
#include "common/common.h"

#include "diff/diff_int.h"

typedef struct line {
    const char *p; /* start */
    size_t n;      /* length without the line end */
} line;

/* Next line of [*pos, end): strips "\n" and a "\r" before it. Returns 0 at the end. */
static int next_line(line *out, const char **pos, const char *end)
{
    const char *p = *pos, *nl;
    if (p >= end)
        return 0;
    nl = memchr(p, '\n', (size_t)(end - p));
    out->p = p;
    out->n = (size_t)((nl ? nl : end) - p);
    if (out->n && p[out->n - 1] == '\r')
        out->n--;
    *pos = nl ? nl + 1 : end;
    return 1;
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static int only_ws(const char *p, const char *e)
{
    return skip_ws(p, e) == e;
}

/* Can this source line go, given whether a block comment is open? Updates *in_block. */
static int droppable(const line *l, int *in_block)
{
    const char *p = skip_ws(l->p, l->p + l->n), *e = l->p + l->n, *close;
    if (*in_block) {
        close = NULL;
        for (const char *q = l->p; q + 1 < e; q++)
            if (q[0] == '*' && q[1] == '/') {
                close = q;
                break;
            }
        if (!close)
            return 1;
        *in_block = 0;
        return only_ws(close + 2, e); /* code after the comment on the same line: keep */
    }
    if (p == e)
        return 1;
    if (e - p >= 2 && p[0] == '/' && p[1] == '/')
        return 1;
    if (e - p >= 2 && p[0] == '/' && p[1] == '*') {
        for (const char *q = p + 2; q + 1 < e; q++)
            if (q[0] == '*' && q[1] == '/')
                return only_ws(q + 2, e);
        *in_block = 1;
        return 1;
    }
    return 0;
}

int sg_diff__only_comments_removed(const char *src, size_t slen, const char *art, size_t alen)
{
    const char *sp = src, *se = src + slen, *ap = art, *ae = art + alen;
    line s, a;
    int have_a, in_block = 0, dropped = 0;

    have_a = next_line(&a, &ap, ae);
    while (next_line(&s, &sp, se)) {
        if (!in_block && have_a && s.n == a.n && memcmp(s.p, a.p, s.n) == 0) {
            have_a = next_line(&a, &ap, ae);
            continue;
        }
        if (!droppable(&s, &in_block))
            return 0;
        dropped = 1;
    }
    return !have_a && dropped;
}
