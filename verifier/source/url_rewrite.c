/*
 * URL prefix rewrites: --git-rewrite FROM=TO and git's url.<base>.insteadOf.
 *
 * As in git (remote.c alias_url), the longest matching FROM wins. Among FROMs of equal
 * length the one added last wins, so a caller that adds the git config entries first and
 * the command line's after lets the command line override.
 *
 * The git config reader understands the syntax git-config(1) documents for what matters
 * here: [section "subsection"] headers (subsection case-sensitive, \" and \\ escapes),
 * several headers and keys per file, a key on the header's line, case-insensitive section
 * and key names, values with quotes, escapes (\\ \" \n \t \b), backslash-newline
 * continuations and # or ; comments. Only url.<base>.insteadOf is used; pushInsteadOf,
 * include and includeIf and every other key are ignored; a legacy [url.base] header (which
 * cannot hold a URL) is ignored too. Malformed lines are SG_EINVALID with the line number,
 * as git refuses such a file.
 */
#include "common/common.h"
#include "verifier/source/source_int.h"

#include <ctype.h>

#define MAX_REWRITES 10000
#define MAX_URL_LEN 8192
#define MAX_GITCONFIG_BYTES (16u << 20)

typedef struct rewrite {
    char *from;      /**< prefix to replace */
    size_t from_len; /**< its length */
    char *to;        /**< replacement */
} rewrite;

struct sg_url_rewrites {
    rewrite *v; /**< in the order added */
    size_t n;   /**< used */
    size_t cap; /**< allocated */
};

int sg_url_rewrites_new(sg_url_rewrites **out, sg_ctx *ctx)
{
    *out = sg_calloc(1, sizeof(**out));
    if (!*out)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for URL rewrites");
    return 0;
}

void sg_url_rewrites_free(sg_url_rewrites *rw)
{
    size_t i;

    if (!rw)
        return;
    for (i = 0; i < rw->n; i++) {
        sg_free(rw->v[i].from);
        sg_free(rw->v[i].to);
    }
    sg_free(rw->v);
    sg_free(rw);
}

int sg_url_rewrites_add(sg_url_rewrites *rw, sg_ctx *ctx, const char *from, const char *to)
{
    rewrite r = {NULL, 0, NULL};
    int error = 0;

    if (!rw || !from || !*from)
        return sg_error_set(ctx, SG_EINVALID, "empty URL rewrite prefix");
    if (!to)
        to = "";
    if (strnlen(from, MAX_URL_LEN + 1) > MAX_URL_LEN || strnlen(to, MAX_URL_LEN + 1) > MAX_URL_LEN)
        return sg_error_set(ctx, SG_ELIMIT, "URL rewrite longer than %d bytes", MAX_URL_LEN);
    if (rw->n == MAX_REWRITES)
        return sg_error_set(ctx, SG_ELIMIT, "more than %d URL rewrites", MAX_REWRITES);
    if (SG_ARRAY_GROW(rw->v, rw->cap, rw->n + 1, 8) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for URL rewrites");
    r.from = sg_strdup(from);
    r.to = sg_strdup(to);
    if (!r.from || !r.to) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory for URL rewrites");
        goto done;
    }
    r.from_len = strlen(from);
    rw->v[rw->n++] = r;
    r.from = r.to = NULL;
done:
    sg_free(r.from);
    sg_free(r.to);
    return error;
}

int sg_url_rewrites_apply(sg_buf *out, sg_ctx *ctx, const sg_url_rewrites *rw, const char *url)
{
    const rewrite *best = NULL;
    size_t i, len = strlen(url);

    sg_buf_clear(out);
    for (i = 0; rw && i < rw->n; i++) {
        const rewrite *r = &rw->v[i];
        if (r->from_len <= len && memcmp(url, r->from, r->from_len) == 0 &&
            (!best || r->from_len >= best->from_len))
            best = r;
    }
    if (best) {
        sg_buf_puts(out, best->to);
        sg_buf_puts(out, url + best->from_len);
    } else {
        sg_buf_puts(out, url);
    }
    return sg_buf_check(out, ctx, "a rewritten URL");
}

/* ------------------------------------------------------------------------------------------ */
/* repository URLs from registry data                                                          */

/* The longest FROM that is a prefix of one of the forms (the latest added among equal
 * lengths); *form says which form it matched first, in the order given. */
static const rewrite *best_match(const sg_url_rewrites *rw, const char *const *forms, size_t nforms,
                                 size_t *form)
{
    const rewrite *best = NULL;
    size_t i, f;

    for (i = 0; rw && i < rw->n; i++) {
        const rewrite *r = &rw->v[i];
        if (best && r->from_len < best->from_len)
            continue;
        for (f = 0; f < nforms; f++)
            if (strncmp(forms[f], r->from, r->from_len) == 0) {
                best = r;
                *form = f;
                break;
            }
    }
    return best;
}

/* The value as written: blanks around it and a "#ref" or "?query" tail dropped. */
static int as_written(sg_buf *out, sg_ctx *ctx, const char *value)
{
    size_t start = strspn(value, " \t\r\n"), len = strcspn(value + start, "#?");

    while (len > 0 && strchr(" \t\r\n", value[start + len - 1]))
        len--;
    sg_buf_clear(out);
    sg_buf_put(out, value + start, len);
    return sg_buf_check(out, ctx, "a repository URL");
}

/* Does TO say where to fetch from by itself (a path, file:, or a host closed by '/' or the
 * scp-like ':'), or does the rest of the registry's URL still choose the host ("https://")? */
static int names_host(const char *to)
{
    const char *sep = strstr(to, "://");

    if (sep)
        return strchr(sep + 3, '/') != NULL;
    return to[0] == '/' || strchr(to, ':') != NULL;
}

int sg_url_rewrites_apply_repo(sg_buf *out, int *taken_over, sg_ctx *ctx, const sg_url_rewrites *rw,
                               const char *value)
{
    sg_buf canonical = SG_BUF_INIT, cased = SG_BUF_INIT, written = SG_BUF_INIT;
    const char *forms[3];
    const rewrite *best;
    const char *rest;
    size_t form = 0;
    int error;

    *taken_over = 0;
    sg_buf_clear(out);
    if ((error = sg_repo_url_normalize(&canonical, ctx, value)) < 0 ||
        (error = sg_repo_url__normalize_keep_case(&cased, ctx, value)) < 0 ||
        (error = as_written(&written, ctx, value)) < 0)
        goto done;
    /* the case-kept https form first: its rest ends in ".git", as mirror folders are named */
    forms[0] = cased.ptr;
    forms[1] = written.ptr;
    forms[2] = canonical.ptr;
    if (!(best = best_match(rw, forms, 3, &form))) {
        sg_buf_puts(out, canonical.ptr);
        error = sg_buf_check(out, ctx, "a rewritten URL");
        goto done;
    }
    *taken_over = names_host(best->to);
    /* a match of the lowercased form takes its rest from the case-kept one: same length */
    rest = (form == 2 ? cased.ptr : forms[form]) + best->from_len;
    sg_buf_puts(out, best->to);
    /* FROM names the whole repository: TO is used as written, with no ".git" added */
    if (*rest && strcmp(rest, ".git") != 0)
        sg_buf_puts(out, rest);
    error = sg_buf_check(out, ctx, "a rewritten URL");
done:
    sg_buf_dispose(&canonical);
    sg_buf_dispose(&cased);
    sg_buf_dispose(&written);
    return error;
}

/* ------------------------------------------------------------------------------------------ */
/* git config text                                                                             */

typedef struct cfg {
    const char *p;   /**< next byte */
    const char *end; /**< end of the text */
    size_t line;     /**< current line, from 1 */
    int in_url;      /**< 1 inside a [url "..."] section */
    sg_buf base;     /**< its subsection: the base URL */
    sg_buf value;    /**< the value being read */
} cfg;

static int bad(cfg *c, sg_ctx *ctx, const char *what)
{
    return sg_error_set(ctx, SG_EINVALID, "bad git config line %zu: %s", c->line, what);
}

static void skip_blank(cfg *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
        c->p++;
}

/* Skip to the start of the next line. */
static void next_line(cfg *c)
{
    while (c->p < c->end && *c->p != '\n')
        c->p++;
    if (c->p < c->end) {
        c->p++;
        c->line++;
    }
}

/* At end of line, after optional blanks and a comment? */
static int at_line_end(cfg *c)
{
    skip_blank(c);
    return c->p == c->end || *c->p == '\n' || *c->p == '#' || *c->p == ';';
}

/* [name] or [name "subsection"]; c->p is just after '['. */
static int section_header(cfg *c, sg_ctx *ctx)
{
    const char *name = c->p;
    size_t nlen;

    while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '-' || *c->p == '.'))
        c->p++;
    nlen = (size_t)(c->p - name);
    if (nlen == 0)
        return bad(c, ctx, "empty section name");
    sg_buf_clear(&c->base);
    c->in_url = 0;
    skip_blank(c);
    if (c->p < c->end && *c->p == '"') {
        c->p++;
        while (c->p < c->end && *c->p != '"') {
            if (*c->p == '\n')
                return bad(c, ctx, "unterminated subsection");
            if (*c->p == '\\' && c->p + 1 < c->end && c->p[1] != '\n')
                c->p++; /* git: a backslash keeps the next character as is */
            sg_buf_putc(&c->base, *c->p++);
        }
        if (c->p == c->end)
            return bad(c, ctx, "unterminated subsection");
        c->p++;
        c->in_url = nlen == 3 && sg_strncasecmp(name, "url", 3) == 0;
    }
    if (c->p == c->end || *c->p != ']')
        return bad(c, ctx, "section header without ']'");
    c->p++;
    return sg_buf_check(&c->base, ctx, "a git config section");
}

/* A value after '=': quotes, escapes, continuations, comments; trailing blanks trimmed. */
static int read_value(cfg *c, sg_ctx *ctx)
{
    int quoted = 0;
    size_t keep = 0; /* length without trailing unquoted blanks */

    sg_buf_clear(&c->value);
    skip_blank(c);
    while (c->p < c->end && *c->p != '\n') {
        char ch = *c->p;
        if (!quoted && (ch == '#' || ch == ';'))
            break; /* the comment is skipped with the rest of the line */
        c->p++;
        if (ch == '"') {
            quoted = !quoted;
            keep = c->value.size;
            continue;
        }
        if (ch == '\\') {
            if (c->p == c->end)
                return bad(c, ctx, "backslash at the end");
            ch = *c->p++;
            if (ch == '\n') { /* continuation */
                c->line++;
                continue;
            }
            if (ch == '\r' && c->p < c->end && *c->p == '\n') {
                c->p++;
                c->line++;
                continue;
            }
            switch (ch) {
            case 'n':
                ch = '\n';
                break;
            case 't':
                ch = '\t';
                break;
            case 'b':
                ch = '\b';
                break;
            case '\\':
            case '"':
                break;
            default:
                return bad(c, ctx, "unknown escape in a value");
            }
            sg_buf_putc(&c->value, ch);
            keep = c->value.size;
            continue;
        }
        sg_buf_putc(&c->value, ch);
        if (quoted || (ch != ' ' && ch != '\t' && ch != '\r'))
            keep = c->value.size;
    }
    if (quoted)
        return bad(c, ctx, "unterminated quote");
    sg_buf_truncate(&c->value, keep);
    return sg_buf_check(&c->value, ctx, "a git config value");
}

/* name [= value] at c->p. */
static int key_line(cfg *c, sg_ctx *ctx, sg_url_rewrites *rw)
{
    const char *key = c->p;
    size_t klen;
    int error;

    if (!isalpha((unsigned char)*c->p))
        return bad(c, ctx, "a key must start with a letter");
    while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '-'))
        c->p++;
    klen = (size_t)(c->p - key);
    skip_blank(c);
    if (c->p == c->end || *c->p == '\n' || *c->p == '#' || *c->p == ';')
        return 0; /* a boolean key: nothing for us */
    if (*c->p != '=')
        return bad(c, ctx, "expected '=' after a key");
    c->p++;
    if ((error = read_value(c, ctx)) < 0)
        return error;
    if (c->in_url && klen == 9 && sg_strncasecmp(key, "insteadof", 9) == 0 && c->value.size > 0)
        return sg_url_rewrites_add(rw, ctx, c->value.ptr, c->base.ptr);
    return 0;
}

int sg_url_rewrites_add_gitconfig(sg_url_rewrites *rw, sg_ctx *ctx, const char *text, size_t len)
{
    cfg c;
    int error = 0;

    if (!rw)
        return sg_error_set(ctx, SG_EINVALID, "no URL rewrites to add to");
    if (len > MAX_GITCONFIG_BYTES)
        return sg_error_set(ctx, SG_ELIMIT, "git config larger than %u bytes", MAX_GITCONFIG_BYTES);
    if (len && memchr(text, '\0', len))
        return sg_error_set(ctx, SG_EINVALID, "git config holds a NUL byte");
    memset(&c, 0, sizeof(c));
    c.p = text;
    c.end = text + len;
    c.line = 1;
    sg_buf_init(&c.base, MAX_URL_LEN);
    sg_buf_init(&c.value, MAX_URL_LEN);
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* git skips a UTF-8 BOM */
        c.p += 3;
    while (c.p < c.end) {
        skip_blank(&c);
        if (c.p < c.end && *c.p == '[') {
            c.p++;
            if ((error = section_header(&c, ctx)) < 0)
                goto done;
        }
        if (!at_line_end(&c) && (error = key_line(&c, ctx, rw)) < 0)
            goto done;
        if (!at_line_end(&c)) {
            error = bad(&c, ctx, "unexpected text");
            goto done;
        }
        next_line(&c);
    }
done:
    sg_buf_dispose(&c.base);
    sg_buf_dispose(&c.value);
    return error;
}
