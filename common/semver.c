#include "common/common.h"

#include <ctype.h>

#include "sourcegate/semver.h"

/* ---- versions ---- */

/* Parse a decimal number of at most 16 digits (node-semver: MAX_SAFE_COMPONENT_LENGTH). */
static int parse_num(uint64_t *out, const char **p)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t n = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    if (s[0] == '0' && isdigit((unsigned char)s[1]))
        return -1; /* no leading zeros */
    while (isdigit((unsigned char)s[n])) {
        if (++n > 16)
            return -1;
        v = v * 10 + (uint64_t)(s[n - 1] - '0');
    }
    *out = v;
    *p = s + n;
    return 0;
}

static int ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '-';
}

/* Parse "-pre.release" (after the '-') into out; stops at '+', space or end. */
static int parse_pre(char *out, size_t cap, const char **p)
{
    const char *s = *p;
    size_t n = 0;
    for (;;) {
        size_t start = n;
        while (ident_char(s[n]))
            n++;
        if (n == start)
            return -1; /* empty identifier */
        if (s[n] != '.')
            break;
        n++;
    }
    if (n >= cap)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    *p = s + n;
    return 0;
}

static int skip_build(const char **p)
{
    const char *s = *p;
    size_t n = 0;
    if (*s != '+')
        return 0;
    s++;
    while (ident_char(s[n]) || (s[n] == '.' && n && ident_char(s[n + 1])))
        n++;
    if (!n)
        return -1;
    *p = s + n;
    return 0;
}

int sg_semver_parse(sg_semver *out, const char *s, int loose)
{
    const char *p = s;
    memset(out, 0, sizeof(*out));
    if (loose) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '=')
            p++;
        if (*p == 'v' || *p == 'V')
            p++;
    }
    if (parse_num(&out->major, &p) < 0 || *p++ != '.' || parse_num(&out->minor, &p) < 0 ||
        *p++ != '.' || parse_num(&out->patch, &p) < 0)
        return SG_EINVALID;
    if (*p == '-') {
        p++;
        if (parse_pre(out->pre, sizeof(out->pre), &p) < 0)
            return SG_EINVALID;
    }
    if (skip_build(&p) < 0)
        return SG_EINVALID;
    if (loose)
        while (*p == ' ' || *p == '\t')
            p++;
    return *p ? SG_EINVALID : 0;
}

static int all_digits(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return n > 0;
}

/* Compare prerelease strings identifier by identifier (semver 2.0.0 §11). */
static int cmp_pre(const char *a, const char *b)
{
    if (!*a || !*b)
        return !*a && !*b ? 0 : !*a ? 1 : -1; /* a release sorts after its prereleases */
    while (*a && *b) {
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");
        int na = all_digits(a, la), nb = all_digits(b, lb), c;
        if (na && nb) {
            if (la != lb)
                return la < lb ? -1 : 1;
            c = memcmp(a, b, la);
        } else if (na != nb) {
            c = na ? -1 : 1;
        } else {
            c = memcmp(a, b, la < lb ? la : lb);
            if (!c && la != lb)
                c = la < lb ? -1 : 1;
        }
        if (c)
            return c < 0 ? -1 : 1;
        a += la + (a[la] == '.');
        b += lb + (b[lb] == '.');
    }
    return *a ? 1 : *b ? -1 : 0;
}

int sg_semver_cmp(const sg_semver *a, const sg_semver *b)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch != b->patch)
        return a->patch < b->patch ? -1 : 1;
    return cmp_pre(a->pre, b->pre);
}

/* ---- ranges ---- */

typedef enum { OP_ANY, OP_EQ, OP_LT, OP_LE, OP_GT, OP_GE, OP_NONE } op_t;

typedef struct comparator {
    op_t op;      /* OP_ANY matches every release; OP_NONE matches nothing */
    sg_semver v;  /* the bound */
} comparator;

#define MAX_SETS 64
#define MAX_CMPS 64

typedef struct cset {
    comparator c[MAX_CMPS * 2]; /* each token may expand to two comparators */
    size_t n;
} cset;

struct sg_semver_range {
    cset *sets;   /* alternatives ("||") */
    size_t nsets; /* number of sets */
};

/* A partial version: missing or wildcard parts are "x". */
typedef struct partial {
    int parts;    /* number of concrete leading parts: 0..3 */
    uint64_t v[3];
    char pre[SG_SEMVER_PRE_MAX];
} partial;

static int is_x(const char *p)
{
    return *p == 'x' || *p == 'X' || *p == '*';
}

static int parse_partial(partial *out, const char **pp)
{
    const char *p = *pp;
    int i;
    memset(out, 0, sizeof(*out));
    if (*p == 'v' || *p == 'V' || *p == '=')
        p++;
    if (*p == 'v' || *p == 'V')
        p++;
    for (i = 0; i < 3; i++) {
        if (i && *p != '.')
            break;
        if (i)
            p++;
        if (is_x(p)) {
            p++;
            /* everything after a wildcard is a wildcard too */
            while (*p == '.' && (is_x(p + 1) || isdigit((unsigned char)p[1]))) {
                p++;
                while (isdigit((unsigned char)*p) || is_x(p))
                    p++;
            }
            break;
        }
        if (parse_num(&out->v[i], &p) < 0)
            return -1;
        out->parts = i + 1;
    }
    if (out->parts == 3 && *p == '-') {
        p++;
        if (parse_pre(out->pre, sizeof(out->pre), &p) < 0)
            return -1;
    }
    if (skip_build(&p) < 0)
        return -1;
    *pp = p;
    return 0;
}

static sg_semver ver(uint64_t a, uint64_t b, uint64_t c, const char *pre)
{
    sg_semver v;
    memset(&v, 0, sizeof(v));
    v.major = a;
    v.minor = b;
    v.patch = c;
    if (pre) {
        size_t n = strlen(pre);
        if (n >= sizeof(v.pre))
            n = sizeof(v.pre) - 1;
        memcpy(v.pre, pre, n);
        v.pre[n] = '\0';
    }
    return v;
}

static int push(cset *s, op_t op, sg_semver v)
{
    if (s->n >= SG_ARRAY_SIZE(s->c))
        return -1;
    s->c[s->n].op = op;
    s->c[s->n].v = v;
    s->n++;
    return 0;
}

/* Lower bound from a partial (missing parts are 0). */
static sg_semver lower_of(const partial *p)
{
    return ver(p->parts > 0 ? p->v[0] : 0, p->parts > 1 ? p->v[1] : 0,
               p->parts > 2 ? p->v[2] : 0, p->parts > 2 ? p->pre : NULL);
}

/* "The next version" after the concrete parts, as an exclusive upper bound with "-0". */
static sg_semver bump(const partial *p, int at)
{
    if (at == 0)
        return ver(p->v[0] + 1, 0, 0, "0");
    if (at == 1)
        return ver(p->v[0], p->v[1] + 1, 0, "0");
    return ver(p->v[0], p->v[1], p->v[2] + 1, "0");
}

static int add_tilde(cset *s, const partial *p)
{
    if (p->parts == 0)
        return push(s, OP_ANY, ver(0, 0, 0, NULL));
    if (push(s, OP_GE, lower_of(p)) < 0)
        return -1;
    return push(s, OP_LT, bump(p, p->parts == 1 ? 0 : 1));
}

static int add_caret(cset *s, const partial *p)
{
    int at;
    if (p->parts == 0)
        return push(s, OP_ANY, ver(0, 0, 0, NULL));
    if (p->parts == 1 || p->v[0] != 0)
        at = 0;
    else if (p->parts == 2 || p->v[1] != 0)
        at = 1;
    else
        at = 2;
    if (push(s, OP_GE, lower_of(p)) < 0)
        return -1;
    return push(s, OP_LT, bump(p, at));
}

static int add_primitive(cset *s, op_t op, const partial *p)
{
    if (p->parts == 3)
        return push(s, op, lower_of(p));
    if (p->parts == 0) {
        /* "*" with an operator: <* and >* match nothing; the others everything */
        return push(s, (op == OP_LT || op == OP_GT) ? OP_NONE : OP_ANY, ver(0, 0, 0, NULL));
    }
    switch (op) {
    case OP_EQ: /* an x-range: 1.2 := >=1.2.0 <1.3.0-0 */
        if (push(s, OP_GE, lower_of(p)) < 0)
            return -1;
        return push(s, OP_LT, bump(p, p->parts - 1));
    case OP_GT: return push(s, OP_GE, bump(p, p->parts - 1)); /* >1.2 := >=1.3.0 */
    case OP_GE: return push(s, OP_GE, lower_of(p));
    case OP_LT: return push(s, OP_LT, ver(p->v[0], p->parts > 1 ? p->v[1] : 0, 0, "0"));
    case OP_LE: return push(s, OP_LT, bump(p, p->parts - 1)); /* <=1.2 := <1.3.0-0 */
    default: return -1;
    }
}

static int add_hyphen(cset *s, const partial *from, const partial *to)
{
    if (from->parts > 0 && push(s, OP_GE, lower_of(from)) < 0)
        return -1;
    if (to->parts == 0)
        return from->parts == 0 ? push(s, OP_ANY, ver(0, 0, 0, NULL)) : 0;
    if (to->parts < 3)
        return push(s, OP_LT, bump(to, to->parts - 1));
    return push(s, OP_LE, lower_of(to));
}

/* One comparator token: [op]partial. */
static int add_token(cset *s, const char *tok)
{
    const char *p = tok;
    partial part;
    op_t op = OP_EQ;
    int kind = 0; /* 0 primitive, 1 tilde, 2 caret */

    if (p[0] == '~') {
        kind = 1;
        p += p[1] == '>' ? 2 : 1;
    } else if (p[0] == '^') {
        kind = 2;
        p++;
    } else if (p[0] == '<' && p[1] == '=') {
        op = OP_LE;
        p += 2;
    } else if (p[0] == '>' && p[1] == '=') {
        op = OP_GE;
        p += 2;
    } else if (p[0] == '<') {
        op = OP_LT;
        p++;
    } else if (p[0] == '>') {
        op = OP_GT;
        p++;
    } else if (p[0] == '=') {
        p++;
    }
    if (parse_partial(&part, &p) < 0 || *p)
        return -1;
    if (kind == 1)
        return add_tilde(s, &part);
    if (kind == 2)
        return add_caret(s, &part);
    return add_primitive(s, op, &part);
}

/* Split one "||" alternative into tokens, joining operators to the version after them. */
static int parse_set(cset *s, const char *text, size_t len)
{
    char buf[1024], tok[256];
    size_t i = 0, o = 0, ntok = 0;
    const char *dash;

    if (len >= sizeof(buf))
        return -1;
    /* Drop spaces after operators ("> = 1.2" is not valid, but ">= 1.2" is). */
    while (i < len) {
        char c = text[i++];
        buf[o++] = c;
        if (c == '<' || c == '>' || c == '=' || c == '~' || c == '^')
            while (i < len && (text[i] == ' ' || text[i] == '\t'))
                i++;
    }
    buf[o] = '\0';
    dash = strstr(buf, " - ");
    if (dash) {
        partial from, to;
        const char *a = buf, *b = dash + 3;
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (parse_partial(&from, &a) < 0 || parse_partial(&to, &b) < 0)
            return -1;
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (a != dash + 1 || *b)
            return -1;
        return add_hyphen(s, &from, &to);
    }
    for (i = 0; i <= o;) {
        size_t n = 0;
        while (i < o && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        while (i < o && buf[i] != ' ' && buf[i] != '\t' && n < sizeof(tok) - 1)
            tok[n++] = buf[i++];
        if (!n)
            break;
        tok[n] = '\0';
        if (++ntok > MAX_CMPS || add_token(s, tok) < 0)
            return -1;
    }
    if (!ntok)
        return push(s, OP_ANY, ver(0, 0, 0, NULL));
    return 0;
}

int sg_semver_range_parse(sg_semver_range **out, sg_ctx *ctx, const char *range)
{
    sg_semver_range *r;
    const char *p = range, *bar;

    *out = NULL;
    if (strlen(range) > 4096)
        return sg_error_set(ctx, SG_EINVALID, "version range is too long");
    r = sg_calloc(1, sizeof(*r));
    if (r)
        r->sets = sg_calloc(MAX_SETS, sizeof(cset));
    if (!r || !r->sets) {
        if (r)
            sg_free(r);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a version range");
    }
    for (;;) {
        bar = strstr(p, "||");
        if (r->nsets == MAX_SETS ||
            parse_set(&r->sets[r->nsets], p, bar ? (size_t)(bar - p) : strlen(p)) < 0) {
            sg_semver_range_free(r);
            return sg_error_set(ctx, SG_EINVALID, "'%.100s' is not a valid version range",
                                range);
        }
        r->nsets++;
        if (!bar)
            break;
        p = bar + 2;
    }
    *out = r;
    return 0;
}

void sg_semver_range_free(sg_semver_range *range)
{
    if (!range)
        return;
    sg_free(range->sets);
    sg_free(range);
}

static int test_cmp(const comparator *c, const sg_semver *v)
{
    int d;
    if (c->op == OP_ANY)
        return 1;
    if (c->op == OP_NONE)
        return 0;
    d = sg_semver_cmp(v, &c->v);
    switch (c->op) {
    case OP_EQ: return d == 0;
    case OP_LT: return d < 0;
    case OP_LE: return d <= 0;
    case OP_GT: return d > 0;
    case OP_GE: return d >= 0;
    default: return 0;
    }
}

static int test_set(const cset *s, const sg_semver *v)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (!test_cmp(&s->c[i], v))
            return 0;
    if (!v->pre[0])
        return 1;
    /* A prerelease only satisfies when a comparator names a prerelease of the same tuple. */
    for (i = 0; i < s->n; i++) {
        const comparator *c = &s->c[i];
        if (c->op == OP_ANY || c->op == OP_NONE || !c->v.pre[0])
            continue;
        if (c->v.major == v->major && c->v.minor == v->minor && c->v.patch == v->patch)
            return 1;
    }
    return 0;
}

int sg_semver_satisfies(const sg_semver_range *range, const sg_semver *v)
{
    size_t i;
    for (i = 0; i < range->nsets; i++)
        if (test_set(&range->sets[i], v))
            return 1;
    return 0;
}
