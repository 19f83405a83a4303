/*
 * The order of a union's members in a TypeScript declaration file (issue 15).
 *
 * TypeScript writes a union it inferred (`removeReporter(...): ConsolaReporter[] | this`) in
 * the order of its internal type ids, and those depend on the order in which it happened to
 * create the types: rollup-plugin-dts under unbuild loads modules concurrently, so two honest
 * builds of consola 3.4.2 from the same lockfile, Node and TypeScript write `A | B` or `B | A`.
 * A union means the same in any order, and a declaration file (.d.ts, .d.mts, .d.cts) holds
 * types only: nothing in it runs. So two lines of such a file that differ only in the order of
 * the members of unions are equal; members are compared as text, every other byte of the line
 * (the separators and their spacing included) must be the same.
 *
 * A line is read as tokens (words, quoted strings, punctuation) nested in (), [], {}, <>. At
 * one nesting level, boundary tokens (`:` `=` `=>` `?` `,` `;` `extends` `is` `in` `as`, a
 * bracket) delimit spans; a span whose `|` splits it into non-empty members is a union when
 * the line itself bounds it on both sides, so a span that may continue on another line (a
 * unary `keyof` or an `&` at the end of the line before, a `[]` at the start of the next)
 * is never reordered. Lines with a comment, a template literal, a stray `/`, an unterminated
 * string, mismatched brackets, more than DTS_DEPTH_MAX levels or more than DTS_LINE_MAX bytes
 * are compared exactly.
 */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>

#include "diff/diff_int.h"

#define DTS_LINE_MAX 16384 /* longer lines are compared exactly */
#define DTS_DEPTH_MAX 32   /* deeper nesting is compared exactly */

typedef enum { K_WORD, K_STRING, K_PUNCT, K_ARROW, K_OPEN, K_CLOSE } tkind;

typedef struct tok {
    size_t start; /* offset of its first byte in the line */
    size_t end;   /* offset just past its last byte */
    size_t match; /* K_OPEN: index of its closer, or the token count when the line ends first */
    tkind kind;   /* what it is; a closer no opener matches is K_PUNCT (a boundary) */
} tok;

typedef struct line {
    const char *p; /* the line's bytes */
    size_t len;    /* its length, without the newline */
    tok *t;        /* its tokens */
    size_t n;      /* how many */
} line;

static int word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c >= 0x80;
}

static int space_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char closer_of(char open)
{
    return open == '(' ? ')' : open == '[' ? ']' : open == '{' ? '}' : '>';
}

/* The end of the quoted string starting at i, or 0 when it does not end on the line. */
static size_t string_end(const char *p, size_t len, size_t i)
{
    char q = p[i];
    for (i++; i < len; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == q)
            return i + 1;
    }
    return 0;
}

/* The next token of the line at *i into *t; 0 when there is none, -1 when the line is to be
 * compared exactly (a comment or its continuation, a template, a string left open). */
static int next_tok(tok *t, const char *p, size_t len, size_t *i)
{
    size_t j;
    while (*i < len && space_byte((unsigned char)p[*i]))
        (*i)++;
    if (*i >= len)
        return 0;
    j = *i;
    t->start = j;
    t->match = 0;
    if (word_byte((unsigned char)p[j])) {
        while (j < len && word_byte((unsigned char)p[j]))
            j++;
        t->kind = K_WORD;
    } else if (p[j] == '"' || p[j] == '\'') {
        if ((j = string_end(p, len, j)) == 0)
            return -1;
        t->kind = K_STRING;
    } else if (p[j] == '`' || p[j] == '/' || p[j] == '\\' || p[j] == '\0') {
        return -1;
    } else if (p[j] == '=' && j + 1 < len && p[j + 1] == '>') {
        j += 2;
        t->kind = K_ARROW;
    } else {
        t->kind = strchr("([{<", p[j]) ? K_OPEN : strchr(")]}>", p[j]) ? K_CLOSE : K_PUNCT;
        j++;
    }
    *i = j;
    t->end = j;
    return 1;
}

/* Pair the brackets of l's tokens; -1 when they mismatch or nest too deep. */
static int pair_brackets(line *l)
{
    size_t stack[DTS_DEPTH_MAX], depth = 0, k;
    for (k = 0; k < l->n; k++) {
        tok *t = &l->t[k];
        if (t->kind == K_OPEN) {
            if (depth == DTS_DEPTH_MAX)
                return -1;
            stack[depth++] = k;
        } else if (t->kind == K_CLOSE) {
            if (depth == 0) {
                t->kind = K_PUNCT; /* closes a bracket of an earlier line */
                continue;
            }
            if (closer_of(l->p[l->t[stack[depth - 1]].start]) != l->p[t->start])
                return -1;
            l->t[stack[--depth]].match = k;
        }
    }
    while (depth > 0)
        l->t[stack[--depth]].match = l->n; /* closed on a later line */
    return 0;
}

/* Tokenize p[0..len) into l. *ok = 0 (and 0 returned) when the line is to be compared
 * exactly; SG_ENOMEM when the tokens cannot be allocated. */
static int tokenize(line *l, int *ok, const char *p, size_t len)
{
    size_t i = 0, first = 0;
    tok t;
    int r;

    memset(l, 0, sizeof(*l));
    *ok = 0;
    l->p = p;
    l->len = len;
    while (first < len && space_byte((unsigned char)p[first]))
        first++;
    if (len > DTS_LINE_MAX || memchr(p, '\0', len) || (first < len && p[first] == '*'))
        return 0; /* too long, binary, or the inside of a block comment */
    if (!(l->t = sg_calloc(len + 1, sizeof(tok))))
        return SG_ENOMEM; /* every token has a byte at least */
    while ((r = next_tok(&t, p, len, &i)) > 0)
        l->t[l->n++] = t;
    *ok = r == 0 && pair_brackets(l) == 0;
    return 0;
}

/* Does token k end a span at its level? */
static int boundary(const line *l, size_t k)
{
    static const char *const words[] = {"extends", "is", "in", "as"};
    const tok *t = &l->t[k];
    size_t i, n = t->end - t->start;

    if (t->kind == K_ARROW || t->kind == K_OPEN || t->kind == K_CLOSE)
        return t->kind != K_OPEN;
    if (t->kind == K_PUNCT)
        return n == 1 && strchr(":=?,;)]}>", l->p[t->start]) != NULL;
    if (t->kind != K_WORD || (k > 0 && l->p[l->t[k - 1].start] == '.'))
        return 0; /* NS.as is a name, not the keyword */
    for (i = 0; i < SG_ARRAY_SIZE(words); i++)
        if (strlen(words[i]) == n && memcmp(words[i], l->p + t->start, n) == 0)
            return 1;
    return 0;
}

/* The token after k at k's level: past the whole group when k opens one. */
static size_t skip(const line *l, size_t k)
{
    return l->t[k].kind == K_OPEN ? (l->t[k].match < l->n ? l->t[k].match + 1 : l->n) : k + 1;
}

static int is_bar(const line *l, size_t k)
{
    return l->t[k].kind == K_PUNCT && l->p[l->t[k].start] == '|';
}

/* The bytes between token k-1 and token k (from the line's start for k = 0). */
static void gap(sg_buf *out, const line *l, size_t k)
{
    size_t from = k ? l->t[k - 1].end : 0;
    sg_buf_put(out, l->p + from, l->t[k].start - from);
}

static void tok_text(sg_buf *out, const line *l, size_t k)
{
    sg_buf_put(out, l->p + l->t[k].start, l->t[k].end - l->t[k].start);
}

static int emit_range(sg_buf *out, const line *l, size_t from, size_t to, int left, int right);

/* Tokens [s, e) as they are, each group inside canonical. */
static int emit_tokens(sg_buf *out, const line *l, size_t s, size_t e)
{
    size_t k = s, m;
    int error = 0;
    while (k < e && !error) {
        if (k > s)
            gap(out, l, k);
        tok_text(out, l, k);
        if (l->t[k].kind != K_OPEN) {
            k++;
            continue;
        }
        m = l->t[k].match;
        if (k + 1 < m) {
            gap(out, l, k + 1);
            error = emit_range(out, l, k + 1, m, 1, m < l->n);
        }
        if (m < l->n) {
            gap(out, l, m);
            tok_text(out, l, m);
        }
        k = m < l->n ? m + 1 : l->n;
    }
    return error ? error : out->error;
}

static int buf_cmp(const void *x, const void *y)
{
    const sg_buf *a = x, *b = y;
    int c = memcmp(a->ptr, b->ptr, a->size < b->size ? a->size : b->size);
    return c ? c : a->size < b->size ? -1 : a->size > b->size;
}

/* The union span [s, e) whose members start after the bars at bar[0..nbar): its members,
 * canonical, sorted, with the separators (bars and their spacing) left where they were. */
static int emit_union(sg_buf *out, const line *l, size_t s, size_t e, const size_t *bar,
                      size_t nbar)
{
    sg_buf *m = sg_calloc(nbar + 1, sizeof(sg_buf));
    size_t i;
    int error = 0;

    if (!m)
        return SG_ENOMEM;
    for (i = 0; i <= nbar && !error; i++) {
        sg_buf_init(&m[i], 0);
        error = emit_tokens(&m[i], l, i ? bar[i - 1] + 1 : s, i < nbar ? bar[i] : e);
    }
    if (!error) {
        qsort(m, nbar + 1, sizeof(sg_buf), buf_cmp);
        for (i = 0; i <= nbar; i++) {
            sg_buf_put(out, m[i].ptr, m[i].size);
            if (i < nbar)
                sg_buf_put(out, l->p + l->t[bar[i] - 1].end,
                           l->t[bar[i] + 1].start - l->t[bar[i] - 1].end);
        }
        error = out->error;
    }
    for (i = 0; i <= nbar; i++)
        sg_buf_dispose(&m[i]);
    sg_free(m);
    return error;
}

/* The span [s, e): a union with sorted members when bounded (left, right) and every member
 * is there, else as it is. */
static int emit_span(sg_buf *out, const line *l, size_t s, size_t e, int bounded)
{
    size_t *bar = NULL, nbar = 0, k, prev = s;
    int error, whole = 1;

    for (k = s; k < e; k = skip(l, k))
        if (is_bar(l, k)) {
            whole = whole && k > prev && k + 1 < e;
            prev = k + 1;
            nbar++;
        }
    if (!bounded || !nbar || !whole)
        return emit_tokens(out, l, s, e);
    if (!(bar = sg_calloc(nbar, sizeof(size_t))))
        return SG_ENOMEM;
    for (nbar = 0, k = s; k < e; k = skip(l, k))
        if (is_bar(l, k))
            bar[nbar++] = k;
    error = emit_union(out, l, s, e, bar, nbar);
    sg_free(bar);
    return error;
}

/* Tokens [from, to) of one level, its unions canonical. left: a bracket opens the level on
 * this line; right: a bracket closes it on this line. */
static int emit_range(sg_buf *out, const line *l, size_t from, size_t to, int left, int right)
{
    size_t k = from, e;
    int error = 0;
    while (k < to && !error) {
        if (k > from)
            gap(out, l, k);
        if (boundary(l, k)) {
            tok_text(out, l, k++);
            continue;
        }
        for (e = k; e < to && !boundary(l, e); e = skip(l, e))
            ;
        error = emit_span(out, l, k, e, (k > from || left) && (e < to || right));
        k = e;
    }
    return error ? error : out->error;
}

/* The canonical form of p[0..len) into out; *ok = 0 when the line is compared exactly. */
static int canon(sg_buf *out, int *ok, const char *p, size_t len)
{
    line l;
    int error;

    sg_buf_clear(out);
    if ((error = tokenize(&l, ok, p, len)) < 0 || !*ok)
        goto done;
    if (l.n)
        gap(out, &l, 0); /* the indentation */
    if ((error = emit_range(out, &l, 0, l.n, 0, 0)) < 0)
        goto done;
    sg_buf_put(out, p + (l.n ? l.t[l.n - 1].end : 0), len - (l.n ? l.t[l.n - 1].end : 0));
    error = out->error;
done:
    sg_free(l.t);
    return error;
}

int sg_diff__dts_path(const char *path)
{
    static const char *const ext[] = {".d.ts", ".d.mts", ".d.cts"};
    size_t i, n = path ? strlen(path) : 0;
    for (i = 0; i < SG_ARRAY_SIZE(ext); i++)
        if (n > strlen(ext[i]) && strcmp(path + n - strlen(ext[i]), ext[i]) == 0)
            return 1;
    return 0;
}

int sg_diff__union_lines_equal(int *out, const char *a, size_t an, const char *b, size_t bn)
{
    sg_buf ca = SG_BUF_INIT, cb = SG_BUF_INIT;
    int ok = 0, error;

    *out = 0;
    if ((error = canon(&ca, &ok, a, an)) < 0 || !ok || (error = canon(&cb, &ok, b, bn)) < 0 || !ok)
        goto done;
    *out = ca.size == cb.size && memcmp(ca.ptr, cb.ptr, ca.size) == 0;
done:
    sg_buf_dispose(&ca);
    sg_buf_dispose(&cb);
    return error;
}

/* The next line of [*p, end): its start and length; *p moves past its newline. 0 at the end. */
static int next_line(const char **p, const char *end, const char **s, size_t *n)
{
    const char *nl;
    if (*p >= end)
        return 0;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    *s = *p;
    *n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    *p = nl ? nl + 1 : end;
    return 1;
}

static void quote_line(char *out, const char *p, size_t n)
{
    size_t max = SG_UNION_TEXT - 4;
    while (n > 0 && space_byte((unsigned char)*p))
        p++, n--;
    snprintf(out, SG_UNION_TEXT, "%.*s%s", (int)(n < max ? n : max), p, n < max ? "" : "...");
}

int sg_diff__union_order_only(int *out, sg_union_check *st, sg_ctx *ctx, const char *art,
                              size_t alen, const char *reb, size_t rlen)
{
    const char *pa = art, *pb = reb, *ae = art + alen, *be = reb + rlen, *la, *lb;
    size_t na, nb, no = 0;
    int a_more, b_more, same = 1, error = 0;

    memset(st, 0, sizeof(*st));
    *out = 0;
    if ((alen > 0 && art[alen - 1] == '\n') != (rlen > 0 && reb[rlen - 1] == '\n'))
        return 0; /* a final newline differs */
    for (;;) {
        a_more = next_line(&pa, ae, &la, &na);
        b_more = next_line(&pb, be, &lb, &nb);
        if (!a_more || !b_more)
            break;
        no++;
        if (na == nb && memcmp(la, lb, na) == 0)
            continue;
        if ((error = sg_diff__union_lines_equal(&same, la, na, lb, nb)) < 0)
            return sg_error_set(ctx, error, "out of memory comparing the unions of line %zu", no);
        if (!same)
            return 0;
        if (st->lines++ == 0) {
            st->first_line = no;
            quote_line(st->art, la, na);
            quote_line(st->built, lb, nb);
        }
    }
    *out = !a_more && !b_more && st->lines > 0;
    return 0;
}
