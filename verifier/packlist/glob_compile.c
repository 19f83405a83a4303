/*
 * Compiling a minimatch 10 pattern into an sg_glob: Minimatch#make (brace alternatives from
 * glob_brace.c, levelOneOptimize), segment fast paths (Minimatch#parse), and the AST (ast.js)
 * lowered to flat items or a Thompson NFA that glob_match.c runs.
 * See glob_int.h for what is covered and where the port knowingly differs.
 */
#include "common/common.h"
#include "verifier/packlist/glob_int.h"

static const char *const px_names[SG_GLOB_PX__COUNT] = {
    "[:alnum:]", "[:alpha:]", "[:ascii:]", "[:blank:]", "[:cntrl:]", "[:digit:]", "[:graph:]",
    "[:lower:]", "[:print:]", "[:punct:]", "[:space:]", "[:upper:]", "[:word:]",  "[:xdigit:]",
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
    unsigned char op;         /**< RX_* */
    uint32_t cp;              /**< RX_CHAR code point; RX_NEG: 1 when no leading dot is allowed */
    const sg_glob_class *cls; /**< RX_CLASS */
    rx **kids;                /**< children of SEQ/ALT/OPT/STARG/PLUSG/NEG */
    size_t nkids;             /**< used */
    size_t cap;               /**< allocated */
};

typedef struct gcx {
    sg_glob *g;             /**< the glob being built (its arena keeps classes, items, states) */
    sg_arena tmp;           /**< AST and regex nodes */
    int error;              /**< first error */
    int nest;               /**< current extglob nesting */
    sg_glob_nstate *st;     /**< NFA states being built */
    uint32_t nst;           /**< used */
    size_t capst;           /**< allocated */
    uint32_t nneg;          /**< SG_GLOB_N_NEG states so far */
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

/* Escapes and [...] classes, which hide extglob and '|' ')' characters from parse_ast. */
typedef struct ascan {
    int escaping;       /**< the previous character was an unescaped '\\' */
    int in_brace;       /**< inside a [...] class */
    int brace_neg;      /**< that class started with '^' or '!' */
    size_t brace_start; /**< index just after its '[' */
} ascan;

/* 1 when c, just read (i is the index after it), is escaped, an escape or part of a class. */
static int ascan_skip(ascan *q, char c, size_t i)
{
    if (q->escaping || c == '\\') {
        q->escaping = !q->escaping;
        return 1;
    }
    if (q->in_brace) {
        if (i == q->brace_start + 1) {
            if (c == '^' || c == '!')
                q->brace_neg = 1;
        } else if (c == ']' && !(i == q->brace_start + 2 && q->brace_neg)) {
            q->in_brace = 0;
        }
        return 1;
    }
    if (c == '[') {
        q->in_brace = 1, q->brace_start = i, q->brace_neg = 0;
        return 1;
    }
    return 0;
}

static size_t parse_ast(gcx *cx, const char *str, size_t n, gast *a, size_t pos, int depth);

/* The extglob whose type is str[i - 1] and whose '(' is str[i], as a new AST appended to part;
 * returns the index after it, or 0 when out of memory. */
static size_t parse_ext(gcx *cx, const char *str, size_t n, gast *part, size_t i, int depth)
{
    gast *ext = ast_new(cx, str[i - 1], part);
    if (!ext)
        return 0;
    ext->raw = str + i - 1;
    ast_push(cx, part, NULL, 0, ext);
    i = parse_ast(cx, str, n, ext, i, depth);
    ext->rawlen = (size_t)(str + i - ext->raw);
    return i;
}

/*
 * AST.#parseAST() (minimatch ast.js); returns the index after what it consumed.
 * maxExtglobRecursion is 2. minimatch has two loops here, one for a plain AST and one inside
 * an extglob; they differ only in where pieces go (the AST itself, or the alternative being
 * read), in adoption (a plain AST adopts nothing: can_adopt_type(0, c) is 0) and in '|' and
 * ')' ending an alternative, so this port runs one loop for both.
 */
static size_t parse_ast(gcx *cx, const char *str, size_t n, gast *a, size_t pos, int depth)
{
    ascan q = {0, 0, 0, 0};
    size_t i, acc;
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
        i = acc = pos;
        part = a;
    } else { /* an extglob; str[pos] is '(' */
        i = acc = pos + 1;
        part = ast_new(cx, 0, a);
    }
    while (i < n && !cx->error) {
        char c = str[i++];
        if (ascan_skip(&q, c, i))
            continue;
        if (is_ext_type(c) && i < n && str[i] == '(' &&
            (depth <= 2 || can_adopt_type(a->type, c))) {
            size_t next;
            ast_push(cx, part, str + acc, i - 1 - acc, NULL);
            if (!(next = parse_ext(cx, str, n, part, i, depth + !can_adopt_type(a->type, c))))
                break;
            i = acc = next;
            continue;
        }
        if (a->type && (c == '|' || c == ')')) {
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
        }
    }
    if (a->type == 0) {
        ast_push(cx, a, str + acc, i - acc, NULL);
        cx->nest--;
        return i;
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

static void rx_leaf(gcx *cx, rx *seq, unsigned char op, uint32_t cp, const sg_glob_class *cls)
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
                          const sg_glob_class **cls, uint32_t *cp_out)
{
    uint32_t(*ranges)[2] = cx->scratch;
    size_t nr = 0, i = pos + 1, end_pos = pos, items = 0, adv;
    int saw_start = 0, escaping = 0, negate = 0, have_rs = 0, single = 0, id;
    unsigned px_pos = 0, px_neg = 0;
    uint32_t rs = 0, single_cp = 0;
    sg_glob_class *k;

    if (pos + 1 >= n || !memchr(s + pos + 1, ']', n - pos - 1))
        return 0; /* nothing can close it: a literal '[' */
    while (i < n) {
        uint32_t c = sg_glob__u8_decode((const unsigned char *)s + i, n - i, &adv);
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
            for (id = 0; id < SG_GLOB_PX__COUNT; id++)
                if (starts_with(s + i, n - i, px_names[id]))
                    break;
            if (id < SG_GLOB_PX__COUNT) {
                if (have_rs) {
                    *kind = 3;
                    return n - pos;
                }
                i += strlen(px_names[id]);
                if (id == SG_GLOB_PX_GRAPH)
                    px_neg |= 1u << id;
                else
                    px_pos |= 1u << id, items++, single = 0;
                continue;
            }
        }
        escaping = 0;
        if (SG_ARRAY_GROW(cx->scratch, cx->capscratch, nr + 2, 16) < 0) {
            cx->error = SG_ENOMEM;
            return 0;
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
        uint32_t c = sg_glob__u8_decode((const unsigned char *)s + i, n - i, &adv);
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
            const sg_glob_class *cls = NULL;
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
        int dottrav = a->npc == 1 && sg_glob__is_dots(p->s, p->n);
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
                    sg_glob__u8_decode((const unsigned char *)e->raw + k, e->rawlen - k, &adv),
                    NULL);
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
    if (cx->nst >= GX_MAX_STATES) {
        cx->error = SG_ELIMIT;
        return 0;
    }
    if (SG_ARRAY_GROW(cx->st, cx->capst, (size_t)cx->nst + 1, 32) < 0) {
        cx->error = SG_ENOMEM;
        return 0;
    }
    memset(&cx->st[cx->nst], 0, sizeof(sg_glob_nstate));
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
        s = nfa_add(cx, SG_GLOB_N_CHAR, next, 0);
        if (!cx->error)
            cx->st[s].cp = r->cp;
        return s;
    case RX_ANY:
        return nfa_add(cx, SG_GLOB_N_ANY, next, 0);
    case RX_CLASS:
        s = nfa_add(cx, SG_GLOB_N_CLASS, next, 0);
        if (!cx->error)
            cx->st[s].cls = r->cls;
        return s;
    case RX_NEVER:
        return nfa_add(cx, SG_GLOB_N_NEVER, next, 0);
    case RX_GUARD_NOTRAV:
        return nfa_add(cx, SG_GLOB_N_NOTRAV, next, 0);
    case RX_GUARD_NODOT:
        return nfa_add(cx, SG_GLOB_N_NODOT, next, 0);
    case RX_STAR:
        s = nfa_add(cx, SG_GLOB_N_SPLIT, 0, next);
        x = nfa_add(cx, SG_GLOB_N_ANY, s, 0);
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
            cur = nfa_add(cx, SG_GLOB_N_SPLIT, x, cur);
        }
        return cur;
    case RX_OPT:
        x = nfa_build(cx, r->kids[0], next);
        return nfa_add(cx, SG_GLOB_N_SPLIT, x, next);
    case RX_STARG:
    case RX_PLUSG:
        s = nfa_add(cx, SG_GLOB_N_SPLIT, 0, next);
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
        s = nfa_add(cx, SG_GLOB_N_SPLIT, 0, next); /* [^/]*? then the rest */
        x = nfa_add(cx, SG_GLOB_N_ANY, s, 0);
        if (!cx->error)
            cx->st[s].x = x;
        tail = r->cp ? nfa_add(cx, SG_GLOB_N_NODOT, s, 0) : s;
        look = nfa_build(cx, r->kids[0], next);
        s = nfa_add(cx, SG_GLOB_N_NEG, look, tail);
        if (!cx->error)
            cx->st[s].cp = cx->nneg++;
        return s;
    }
    default:
        return next;
    }
}

/* Flatten a regex tree of leaves into items; 0 when it has structure (needs the NFA). */
static int rx_flatten(const rx *r, sg_glob_item *out, size_t *n, int top, unsigned char *guard)
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
        *guard = r->op == RX_GUARD_NOTRAV ? SG_GLOB_GUARD_NOTRAV : SG_GLOB_GUARD_NODOT;
        return 1;
    case RX_CHAR:
    case RX_ANY:
    case RX_STAR:
    case RX_CLASS:
    case RX_NEVER:
        if (out) {
            out[*n].op = r->op == RX_CHAR    ? SG_GLOB_IT_CHAR
                         : r->op == RX_ANY   ? SG_GLOB_IT_ANY
                         : r->op == RX_STAR  ? SG_GLOB_IT_STAR
                         : r->op == RX_CLASS ? SG_GLOB_IT_CLASS
                                             : SG_GLOB_IT_NEVER;
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

static void compile_segment(gcx *cx, sg_glob_pseg *seg, const char *s, size_t n)
{
    size_t i = run_of(s, n, 0, '*'), nitems = 0;
    gast *root;
    rx *tree;
    unsigned char guard = SG_GLOB_GUARD_NONE;

    memset(seg, 0, sizeof(*seg));
    if (n == 2 && s[0] == '*' && s[1] == '*') {
        seg->kind = SG_GLOB_SEG_GLOBSTAR;
        return;
    }
    if (n == 0) {
        seg->kind = SG_GLOB_SEG_EMPTY;
        return;
    }
    if (i > 0 && i == n) {
        seg->kind = SG_GLOB_SEG_STAR;
        return;
    }
    if (i > 0 && ext_chars_ok(s + i, n - i)) {
        seg->kind = SG_GLOB_SEG_STAREXT;
        seg->s = cx_strdup(cx, s + i, n - i), seg->n = n - i;
        return;
    }
    i = run_of(s, n, 0, '?');
    if (i > 0 && ext_chars_ok(s + i, n - i)) {
        seg->kind = SG_GLOB_SEG_QMARKS;
        seg->s = cx_strdup(cx, s + i, n - i), seg->n = n - i;
        seg->qlen = sg_glob__u16_length(s, n);
        return;
    }
    i = run_of(s, n, 0, '*');
    if (i > 0 && i < n && s[i] == '.' && i + 1 < n && run_of(s, n, i + 1, '*') == n) {
        seg->kind = SG_GLOB_SEG_STARDOTSTAR;
        return;
    }
    if (n >= 2 && s[0] == '.' && run_of(s, n, 1, '*') == n) {
        seg->kind = SG_GLOB_SEG_DOTSTAR;
        return;
    }
    root = ast_new(cx, 0, NULL);
    parse_ast(cx, s, n, root, 0, 0);
    tree = cx->error ? NULL : lower_seq(cx, root);
    if (cx->error || !tree)
        return;
    if (rx_flatten(tree, NULL, &nitems, 1, &guard)) {
        sg_glob_item *items = cx_alloc(cx, &cx->g->arena, nitems * sizeof(*items));
        size_t m = 0;
        if (!items)
            return;
        rx_flatten(tree, items, &m, 1, &guard);
        seg->kind = SG_GLOB_SEG_FLAT;
        seg->guard = guard;
        seg->items = items;
        seg->nitems = m;
        return;
    }
    {
        sg_glob_nfa *a = cx_alloc(cx, &cx->g->arena, sizeof(*a));
        uint32_t match;
        if (!a)
            return;
        cx->nst = 0;
        cx->nneg = 0;
        match = nfa_add(cx, SG_GLOB_N_MATCH, 0, 0);
        a->start = nfa_build(cx, tree, match);
        if (cx->error)
            return;
        a->st = cx_alloc(cx, &cx->g->arena, (size_t)cx->nst * sizeof(sg_glob_nstate));
        if (!a->st)
            return;
        memcpy(a->st, cx->st, (size_t)cx->nst * sizeof(sg_glob_nstate));
        a->n = cx->nst;
        a->nneg = cx->nneg;
        seg->kind = SG_GLOB_SEG_NFA;
        seg->nfa = a;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Compilation (Minimatch#make)                                                                */

static int compile_alternative(gcx *cx, sg_glob_pat *pat, const char *s, size_t n)
{
    sg_glob_seg *parts, *out;
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
        const sg_glob_seg *prev = m ? &out[m - 1] : NULL;
        int prev_gs = prev && prev->n == 2 && prev->p[0] == '*' && prev->p[1] == '*';
        if (parts[k].n == 2 && parts[k].p[0] == '*' && parts[k].p[1] == '*' && prev_gs)
            continue;
        if (parts[k].n == 2 && parts[k].p[0] == '.' && parts[k].p[1] == '.' && prev && prev->n &&
            !sg_glob__is_dots(prev->p, prev->n) && !prev_gs) {
            m--;
            continue;
        }
        out[m++] = parts[k];
    }
    if (m == 0)
        out[m++] = (sg_glob_seg){"", 0};
    rel = out[m - 1].n ? m <= 1 : m <= 2;
    cx->g->relative |= rel;
    pat->parts = cx_alloc(cx, &cx->g->arena, m * sizeof(*pat->parts));
    if (!pat->parts)
        return cx->error;
    pat->n = m;
    for (k = 0; k < m && !cx->error; k++) {
        compile_segment(cx, &pat->parts[k], out[k].p, out[k].n);
        pat->has_globstar |= pat->parts[k].kind == SG_GLOB_SEG_GLOBSTAR;
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
    sg_glob_strs alts = {0};
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
    if ((error = sg_glob__brace_expand(&alts, pattern + neg, len - neg)) < 0)
        goto done;
    /* new Set(): drop repeated alternatives */
    for (i = 0; i < alts.n; i++) {
        for (k = 0; k < kept; k++)
            if (alts.v[k].n == alts.v[i].n && !memcmp(alts.v[k].p, alts.v[i].p, alts.v[i].n))
                break;
        if (k == kept) {
            sg_glob_str t = alts.v[kept];
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
    sg_glob__strs_free(&alts);
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
