/*
 * Volatile tokens are established, not assumed (issue 15). A rebuilt file that differs from the
 * artifact only in numbers, hashes or dates is reproduced only when each differing token varies
 * between two honest builds (a second build with another build path, time zone, locale, umask
 * and a later time writes something else at the same place) or is a fact of the release (its
 * publish time, commit id or version). A swapped SHA-256 pin, a contract address or a 16-digit
 * constant is the same in both builds and is none of those: a modification.
 */
#include "common/common.h"

#include <stdio.h>
#include <time.h>

#include "diff/diff_int.h"

/* The renderings of the release's facts a build may write. */
typedef struct facts {
    char text[8][64];   /* ISO 8601 as published, without/with milliseconds, the date, epoch
                           seconds and milliseconds, the commit, the version */
    const char *why[8]; /* what each one is, for the report */
    size_t n;           /* entries used */
} facts;

static void fact_add(facts *f, const char *text, size_t len, const char *why)
{
    if (!text || len == 0 || len >= sizeof(f->text[0]) || f->n >= SG_ARRAY_SIZE(f->text))
        return;
    memcpy(f->text[f->n], text, len);
    f->text[f->n][len] = '\0';
    f->why[f->n++] = why;
}

static int two_digits(const char *p, int *out)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return 0;
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    return 1;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" (what the registry writes into time[version]). */
static void add_time_facts(facts *f, const char *iso)
{
    static const char *const why = "the release's publish time";
    struct tm tm;
    int y1, y2, mo, d, h, mi, s, ms = 0;
    long long secs;
    char buf[64];
    size_t n = iso ? strlen(iso) : 0;

    if (n < 20 || !two_digits(iso, &y1) || !two_digits(iso + 2, &y2) || iso[4] != '-' ||
        !two_digits(iso + 5, &mo) || iso[7] != '-' || !two_digits(iso + 8, &d) || iso[10] != 'T' ||
        !two_digits(iso + 11, &h) || iso[13] != ':' || !two_digits(iso + 14, &mi) ||
        iso[16] != ':' || !two_digits(iso + 17, &s))
        return;
    if (iso[19] == '.' && n >= 24 && iso[20] >= '0' && iso[20] <= '9' && iso[21] >= '0' &&
        iso[21] <= '9' && iso[22] >= '0' && iso[22] <= '9')
        ms = (iso[20] - '0') * 100 + (iso[21] - '0') * 10 + (iso[22] - '0');
    else if (iso[19] != 'Z')
        return;
    fact_add(f, iso, n, why);
    snprintf(buf, sizeof(buf), "%.19sZ", iso);
    fact_add(f, buf, strlen(buf), why);
    snprintf(buf, sizeof(buf), "%.19s.%03dZ", iso, ms);
    fact_add(f, buf, strlen(buf), why);
    fact_add(f, iso, 10, why);
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y1 * 100 + y2 - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    secs = (long long)timegm(&tm);
    snprintf(buf, sizeof(buf), "%lld", secs);
    fact_add(f, buf, strlen(buf), why);
    snprintf(buf, sizeof(buf), "%lld%03d", secs, ms);
    fact_add(f, buf, strlen(buf), why);
}

static void facts_init(facts *f, const sg_diff_opts *opts)
{
    memset(f, 0, sizeof(*f));
    if (!opts)
        return;
    add_time_facts(f, opts->release_published);
    if (opts->release_version)
        fact_add(f, opts->release_version, strlen(opts->release_version), "the release's version");
}

static int hex_lower(int c)
{
    return c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c;
}

/* What the artifact's token at line[i..i+n) is a fact of, or NULL: it lies inside one of the
 * renderings where the artifact's line has it, or it is the commit or an abbreviation of it. */
static const char *known_fact(const facts *f, const char *commit, const char *line, size_t len,
                              size_t i, size_t n)
{
    size_t k, j;
    if (commit && n >= 7 && n <= strlen(commit)) {
        for (j = 0; j < n && hex_lower((unsigned char)line[i + j]) == commit[j]; j++)
            ;
        if (j == n)
            return "the release's commit";
    }
    for (k = 0; k < f->n; k++) {
        size_t m = strlen(f->text[k]), s, lo;
        if (m < n || m > len)
            continue;
        lo = i + n > m ? i + n - m : 0;
        for (s = lo; s <= i && s + m <= len; s++)
            if (memcmp(line + s, f->text[k], m) == 0)
                return f->why[k];
    }
    return NULL;
}

static void quote_token(char *out, const char *p, size_t n)
{
    size_t max = SG_TOKEN_TEXT - 4;
    snprintf(out, SG_TOKEN_TEXT, "%.*s%s", (int)(n < max ? n : max), p, n < max ? "" : "...");
}

static void note_example(sg_token_check *out, const char *tok, size_t n, size_t line,
                         const char *why)
{
    char q[SG_TOKEN_TEXT];
    size_t used = strlen(out->examples);
    if (out->varied + out->known > 3 || used + 8 >= sizeof(out->examples))
        return;
    quote_token(q, tok, n);
    snprintf(out->examples + used, sizeof(out->examples) - used, "%s'%s' at line %zu (%s)",
             used ? ", " : "", q, line, why);
}

/* The next line of [*p, end): its start and length; *p moves past its newline. 0 at the end. */
static int next_line(const char **p, const char *end, const char **l, size_t *n)
{
    const char *nl;
    if (!*p || *p >= end)
        return 0;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    *l = *p;
    *n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    *p = nl ? nl + 1 : end;
    return 1;
}

/* Does the second build's line g have a token of length n at column i that is not b's? */
static int varies(const char *g, size_t gn, const char *b, size_t i, size_t n)
{
    if (!g || gn < i + n ||
        sg_diff__volatile_token(g + i, gn - i, i ? (unsigned char)g[i - 1] : -1) != n)
        return 0;
    return memcmp(g + i, b + i, n) != 0;
}

/* Settle the tokens of one pair of lines (equal lengths, token-aligned); 0 at the first
 * token that is not established (out says which). */
static int establish_line(sg_token_check *out, const facts *f, const char *commit, const char *a,
                          const char *b, size_t n, const char *g, size_t gn, size_t line)
{
    size_t i = 0;
    while (i < n) {
        int pa = i ? (unsigned char)a[i - 1] : -1, pb = i ? (unsigned char)b[i - 1] : -1;
        size_t ta = sg_diff__volatile_token(a + i, n - i, pa);
        size_t tb = sg_diff__volatile_token(b + i, n - i, pb);
        const char *why;
        if (!ta || ta != tb) {
            if (a[i] != b[i])
                return 0; /* not token-aligned: the caller's comparison said otherwise */
            i++;
            continue;
        }
        if (memcmp(a + i, b + i, ta) != 0) {
            if ((why = known_fact(f, commit, a, n, i, ta)) != NULL) {
                note_example(out, a + i, ta, line, why);
                out->known++;
            } else if (varies(g, gn, b, i, ta)) {
                note_example(out, a + i, ta, line, "differs between the two builds");
                out->varied++;
            } else {
                out->line = line;
                quote_token(out->art, a + i, ta);
                quote_token(out->built, b + i, ta);
                if (g && gn >= i + ta)
                    quote_token(out->again, g + i, ta);
                return 0;
            }
        }
        i += ta;
    }
    return 1;
}

void sg_diff__establish_tokens(sg_token_check *out, const char *art, size_t alen, const char *reb,
                               size_t rlen, const char *again, size_t glen,
                               const sg_diff_opts *opts)
{
    const char *pa = art, *pb = reb, *pg = again, *ae = art + alen, *be = reb + rlen,
               *ge = again ? again + glen : NULL, *la, *lb, *lg;
    const char *commit = opts ? opts->release_commit : NULL;
    size_t na, nb, ng, line = 0;
    facts f;

    memset(out, 0, sizeof(*out));
    facts_init(&f, opts);
    out->established = 1;
    while (next_line(&pa, ae, &la, &na) && next_line(&pb, be, &lb, &nb)) {
        int have_g = again && next_line(&pg, ge, &lg, &ng);
        line++;
        if (na == nb && memcmp(la, lb, na) == 0)
            continue;
        if (na != nb || !establish_line(out, &f, commit, la, lb, na, have_g ? lg : NULL,
                                        have_g ? ng : 0, line)) {
            out->established = 0;
            if (!out->line)
                out->line = line;
            return;
        }
    }
}

static int rebuild_differs(int *out, sg_ctx *ctx, const sg_tree *artifact, const sg_tree *rebuilt,
                           const unsigned char *only, int lines);

int sg_diff__rebuild_tokens_only(int *out, sg_ctx *ctx, const sg_tree *artifact,
                                 const sg_tree *rebuilt, const unsigned char *only)
{
    return rebuild_differs(out, ctx, artifact, rebuilt, only, 0);
}

int sg_diff__rebuild_lines_differ(int *out, sg_ctx *ctx, const sg_tree *artifact,
                                  const sg_tree *rebuilt, const unsigned char *only)
{
    return rebuild_differs(out, ctx, artifact, rebuilt, only, 1);
}

/* lines 0: some file differs only in volatile tokens; 1: some file has lines rewritten (not
 * only lines appended after the rebuilt content). */
static int rebuild_differs(int *out, sg_ctx *ctx, const sg_tree *artifact, const sg_tree *rebuilt,
                           const unsigned char *only, int lines)
{
    const uint64_t max = 64u << 20;
    sg_buf ab = SG_BUF_INIT, rb = SG_BUF_INIT;
    size_t i, n = sg_tree_count(artifact);
    int error = 0;

    *out = 0;
    for (i = 0; i < n && !*out && !error; i++) {
        const sg_entry *a = sg_tree_entry(artifact, i), *r;
        sg_rebuilt_cmp cmp;
        if ((only && !only[i]) || !(r = sg_tree_find(rebuilt, a->path)) ||
            a->kind != SG_ENTRY_FILE || r->kind != SG_ENTRY_FILE || a->size > max ||
            r->size > max || memcmp(a->sha256, r->sha256, 32) == 0)
            continue;
        sg_buf_clear(&ab);
        sg_buf_clear(&rb);
        if ((error = sg_tree_read(&ab, ctx, artifact, a)) < 0 ||
            (error = sg_tree_read(&rb, ctx, rebuilt, r)) < 0)
            break;
        sg_diff__rebuilt_compare(&cmp, ab.ptr, ab.size, rb.ptr, rb.size);
        *out = lines ? cmp.outcome == SG_REBUILT_DIFFERENT && !cmp.appended
                     : cmp.outcome == SG_REBUILT_VOLATILE;
    }
    sg_buf_dispose(&ab);
    sg_buf_dispose(&rb);
    return error;
}

/* ---------------------------------------------------------------- the build path */

/* A character of a folder name in a plain path (no quote, space, backslash or escape). */
static int name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '~' || c == '+' || c == '@';
}

/* The build folder's place: where d (len dn) next starts in b[from, bn) and is not followed by
 * a name character (so ".../src/pkg" is not found in ".../src/pkg2"); bn when nowhere. */
static size_t find_dir(const char *b, size_t bn, size_t from, const char *d, size_t dn)
{
    size_t i;
    for (i = from; i + dn <= bn; i++)
        if (memcmp(b + i, d, dn) == 0 && (i + dn == bn || !name_char((unsigned char)b[i + dn])))
            return i;
    return bn;
}

/* The build folders and their last name. */
typedef struct build_dirs {
    const char *d1, *d2, *base; /* the rebuild's folder, the second build's, d1's last name */
    size_t n1, n2, basen;       /* their lengths */
} build_dirs;

/* Where the artifact's absolute path that starts at a[i] ends: after a folder named d->base
 * that the rebuild's next literal lit (lit_n bytes; last: it ends the line) follows, every
 * folder before it plain (not empty, "." or ".."); 0 when none. At most 4 ends are tried, so a
 * hostile line costs a few passes over it at most. */
static size_t path_end(const char *a, size_t an, size_t i, const build_dirs *d, const char *lit,
                       size_t lit_n, int last)
{
    size_t seg = i, e, tries = 0;
    if (i >= an || a[i] != '/')
        return 0;
    while (seg < an && a[seg] == '/' && seg - i <= 4096 && tries < 4) {
        for (e = seg + 1; e < an && name_char((unsigned char)a[e]); e++)
            ;
        if (e == seg + 1 || (e == seg + 2 && a[seg + 1] == '.') ||
            (e == seg + 3 && a[seg + 1] == '.' && a[seg + 2] == '.'))
            return 0;
        if (e - seg - 1 == d->basen && memcmp(a + seg + 1, d->base, d->basen) == 0) {
            tries++;
            if (an - e >= lit_n && memcmp(a + e, lit, lit_n) == 0 && (!last || e + lit_n == an))
                return e;
        }
        seg = e;
    }
    return 0;
}

/* Is the difference between the artifact's line a and the rebuild's b only the build path? The
 * rebuild's line cut at each of its build folder's places gives literals that the artifact's
 * and the second build's lines (g) must have byte for byte; at each place the second build has
 * its own folder and the artifact an absolute plain path ending in the same folder name. */
static int explain_line(sg_token_check *out, const build_dirs *d, const char *a, size_t an,
                        const char *b, size_t bn, const char *g, size_t gn, size_t line)
{
    size_t p = find_dir(b, bn, 0, d->d1, d->n1), i = p, j = p, k = p, q, e;
    if (p > an || p > gn || memcmp(a, b, p) != 0 || memcmp(g, b, p) != 0)
        return 0;
    while (j < bn) {
        if (gn - k < d->n2 || memcmp(g + k, d->d2, d->n2) != 0)
            return 0;
        k += d->n2;
        j += d->n1;
        q = find_dir(b, bn, j, d->d1, d->n1); /* the literal b[j, q) follows */
        if (!(e = path_end(a, an, i, d, b + j, q - j, q == bn)) || gn - k < q - j ||
            memcmp(g + k, b + j, q - j) != 0)
            return 0;
        note_example(out, a + i, e - i, line,
                     "the build folder, which differs between the two "
                     "builds");
        out->varied++;
        i = e + (q - j);
        k += q - j;
        j = q;
    }
    return i == an && k == gn;
}

int sg_diff__explain_build_path(sg_token_check *out, const char *art, size_t alen, const char *reb,
                                size_t rlen, const char *again, size_t glen,
                                const sg_diff_opts *opts)
{
    const char *pa = art, *pb = reb, *pg = again, *la = NULL, *lb = NULL, *lg = NULL;
    size_t na = 0, nb = 0, ng = 0, line = 0;
    int more_a, more_b, more_g;
    build_dirs d;

    memset(out, 0, sizeof(*out));
    if (!opts || !opts->rebuilt_dir || !opts->rebuilt_again_dir || !again ||
        opts->rebuilt_dir[0] != '/' || strcmp(opts->rebuilt_dir, opts->rebuilt_again_dir) == 0 ||
        memchr(art, '\0', alen) || memchr(reb, '\0', rlen) ||
        (alen && art[alen - 1] == '\n') != (rlen && reb[rlen - 1] == '\n'))
        return 0; /* a final newline that differs is a difference of its own */
    d.d1 = opts->rebuilt_dir;
    d.n1 = strlen(d.d1);
    d.d2 = opts->rebuilt_again_dir;
    d.n2 = strlen(d.d2);
    d.base = sg_path_basename(d.d1);
    d.basen = strlen(d.base);
    if (!d.basen || d.base == d.d1 + 1 || strcmp(d.base, sg_path_basename(d.d2)) != 0)
        return 0;
    for (;;) {
        more_a = next_line(&pa, art + alen, &la, &na);
        more_b = next_line(&pb, reb + rlen, &lb, &nb);
        more_g = next_line(&pg, again + glen, &lg, &ng);
        if (!more_a || !more_b || !more_g)
            break;
        line++;
        if (na == nb && memcmp(la, lb, na) == 0)
            continue;
        if (!explain_line(out, &d, la, na, lb, nb, lg, ng, line)) {
            out->line = line;
            return 0;
        }
    }
    out->established = !more_a && !more_b && !more_g && out->varied > 0;
    return out->established;
}
