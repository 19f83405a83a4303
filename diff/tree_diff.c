/*
 * Tree diff: every artifact entry against the packed source tree. package.json goes through the
 * manifest diff; every other file is compared by SHA-256 and executable bit, and a difference
 * gets the severity of its file class (DESIGN.md "File types for severity").
 */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>

#include "diff/diff_int.h"

/* A source path for the case-insensitive index. */
typedef struct ci_entry {
    const char *path; /* the source entry's path */
    size_t index;     /* its index in the source tree */
} ci_entry;

typedef struct tdiff {
    sg_report *report;        /* where findings go */
    sg_ctx *ctx;              /* errors and limits */
    const sg_diff_opts *opts; /* callbacks (an empty set when the caller gave none) */
    const sg_tree *src;       /* packed source tree */
    const sg_tree *art;       /* artifact tree */
    unsigned char *used;      /* per source entry: matched by an artifact entry */
    ci_entry *ci;             /* source paths sorted case-insensitively, built on demand */
    size_t nci;               /* entries of ci */
    sg_manifest_info info;    /* what the manifest diff found (bin targets) */
    uint64_t same, explained; /* counters */
    uint64_t rebuilt;         /* files reproduced by the rebuild */
    int platform_pkg;         /* artifact declares os/cpu: 0 not read yet, 1 no, 2 yes */
} tdiff;

/* A file Node resolves before one of these when code asks for the name without extension. */
static const char *const resolved_exts[] = {".js", ".json", ".node", ".cjs", ".mjs"};

static int has_code_sibling(const tdiff *t, const char *path)
{
    sg_buf b = SG_BUF_INIT;
    size_t i;
    int found = 0;
    for (i = 0; i < SG_ARRAY_SIZE(resolved_exts) && !found; i++) {
        sg_buf_clear(&b);
        sg_buf_puts(&b, path);
        sg_buf_puts(&b, resolved_exts[i]);
        found = !b.error && (sg_tree_find(t->art, b.ptr) || sg_tree_find(t->src, b.ptr));
    }
    sg_buf_dispose(&b);
    return found;
}

static int names_entry(const tdiff *t, const char *path)
{
    size_t i;
    for (i = 0; i < t->info.entry_count; i++)
        if (strcmp(t->info.entries[i].path, path) == 0)
            return 1;
    return 0;
}

/* Code is what Node can load (DESIGN.md invariant 1): by its name or content
 * (sg_file_classify), because an entry point or bin names it, or because require('./x')
 * finds it before x.js. */
static sg_file_class entry_class(const tdiff *t, const sg_entry *e)
{
    sg_file_class cls;
    if (e->kind != SG_ENTRY_FILE)
        return sg_file_classify(e->path, NULL, 0, 0);
    cls = sg_file_classify(e->path, e->head,
                           e->size < SG_ENTRY_HEAD ? (size_t)e->size : SG_ENTRY_HEAD,
                           e->exec ? 1 : 0);
    if (cls != SG_FILE_CODE &&
        (names_entry(t, e->path) || sg_diff__is_bin_target(&t->info, e->path) ||
         has_code_sibling(t, e->path)))
        cls = SG_FILE_CODE;
    return cls;
}

/* The riskier class of the two versions of a file. */
static sg_file_class worse_class(const tdiff *t, const sg_entry *a, const sg_entry *b)
{
    sg_file_class x = entry_class(t, a), y = b ? entry_class(t, b) : x;
    return sg_file_class_severity(y) > sg_file_class_severity(x) ? y : x;
}

static int add(tdiff *t, const char *kind, sg_severity sev, const char *path, const char *before,
               const char *after, const char *detail)
{
    sg_finding f;
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.severity = sev;
    f.path = path;
    f.before = before;
    f.after = after;
    f.detail = detail;
    return sg_report_add(t->report, t->ctx, &f);
}

/* Same bytes: only the executable bit can differ. */
static int check_mode(tdiff *t, const sg_entry *s, const sg_entry *a)
{
    if (s->kind != SG_ENTRY_FILE || a->kind != SG_ENTRY_FILE || !s->exec == !a->exec)
        return 0;
    if (a->exec) {
        if (sg_diff__is_bin_target(&t->info, a->path))
            return sg_report_add_normalization(t->report, t->ctx, "bin-executable");
        return add(t, "mode-changed", SG_SEV_MEDIUM, a->path, "644", "755",
                   "executable in the artifact, not in the source");
    }
    return add(t, "mode-changed", SG_SEV_LOW, a->path, "755", "644",
               "executable in the source, not in the artifact");
}

/* ---------------------------------------------------------------- package.json */

static int read_manifest(tdiff *t, sg_buf *out, const sg_tree *tree, const sg_entry *e,
                         const char *where)
{
    uint64_t limit = sg_ctx_limit(t->ctx, SG_LIMIT_JSON_SIZE);
    int error;
    if (e->kind != SG_ENTRY_FILE)
        return sg_error_set(t->ctx, SG_EINVALID, "package.json in the %s is not a regular file",
                            where);
    if (e->size > limit)
        return sg_error_set(t->ctx, SG_ELIMIT,
                            "package.json in the %s is larger than the json-size limit of %llu "
                            "bytes",
                            where, (unsigned long long)limit);
    if ((error = sg_tree_read(out, t->ctx, tree, e)) < 0) {
        if (sg_error_code_of(t->ctx) == 0) /* e.g. the buffer's sticky error */
            return sg_error_set(t->ctx, error, "cannot read package.json in the %s: %s", where,
                                sg_error_name(error));
        sg_error_wrap(t->ctx, "reading package.json in the %s", where);
        return error;
    }
    return 0;
}

/* The artifact file an entry point resolves to, as CommonJS resolves a relative path. */
static const sg_entry *resolve_entry(const tdiff *t, const char *path, sg_buf *b)
{
    static const char *const tails[] = {"", ".js", ".json", ".node", "/index.js", "/index.json",
                                        "/index.node"};
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(tails); i++) {
        const sg_entry *e;
        sg_buf_clear(b);
        sg_buf_puts(b, path);
        sg_buf_puts(b, tails[i]);
        if (!b->error && (e = sg_tree_find(t->art, b->ptr)) && e->kind == SG_ENTRY_FILE)
            return e;
    }
    return NULL;
}

static int node_code_name(const char *path)
{
    static const char *const exts[] = {".js", ".cjs", ".mjs", ".json", ".node", ".wasm"};
    size_t i, n = strlen(path);
    for (i = 0; i < SG_ARRAY_SIZE(exts); i++) {
        size_t m = strlen(exts[i]);
        if (n > m && strcmp(path + n - m, exts[i]) == 0)
            return 1;
    }
    return 0;
}

/* An entry point the artifact changed that now names a file the source (or its rebuild) does
 * not have, or a file whose name does not say it is code: high (issue 12). */
static int check_retargets(tdiff *t)
{
    sg_buf b = SG_BUF_INIT, detail = SG_BUF_INIT;
    size_t i;
    int error = 0;

    for (i = 0; i < t->info.entry_count && !error; i++) {
        const sg_entry_target *et = &t->info.entries[i];
        const sg_entry *e;
        int in_source;
        if (!et->changed || !(e = resolve_entry(t, et->path, &b)))
            continue;
        in_source = sg_tree_find(t->src, e->path) ||
                    (t->opts->rebuilt && sg_tree_find(t->opts->rebuilt, e->path));
        if (in_source && node_code_name(e->path))
            continue;
        sg_buf_clear(&detail);
        sg_buf_printf(&detail, "%s now points at '%s', %s", et->field, e->path,
                      in_source ? "a file Node runs as code whatever its name says"
                                : "a file the source does not have");
        if ((error = sg_buf_check(&detail, t->ctx, "a finding")) == 0) {
            sg_finding f;
            memset(&f, 0, sizeof(f));
            f.kind = "entry-changed";
            f.severity = SG_SEV_HIGH;
            f.path = "package.json";
            f.field = et->field;
            f.after = e->path;
            f.detail = detail.ptr;
            error = sg_report_add(t->report, t->ctx, &f);
        }
    }
    sg_buf_dispose(&b);
    sg_buf_dispose(&detail);
    return error;
}

static int diff_manifest_entry(tdiff *t)
{
    const sg_entry *a = sg_tree_find(t->art, "package.json");
    size_t si = sg_tree_index(t->src, "package.json");
    const sg_entry *s = si == (size_t)-1 ? NULL : sg_tree_entry(t->src, si);
    sg_buf sb = SG_BUF_INIT, ab = SG_BUF_INIT;
    int error;

    if (!a)
        return sg_error_set(t->ctx, SG_EINVALID, "the artifact has no package.json");
    if (!s)
        return sg_error_set(t->ctx, SG_EINVALID, "the source has no package.json");
    t->used[si] = 1;
    if ((error = read_manifest(t, &sb, t->src, s, "source")) < 0 ||
        (error = read_manifest(t, &ab, t->art, a, "artifact")) < 0)
        goto done;
    if ((error = sg_diff__manifest(t->report, t->ctx, sb.ptr, sb.size, ab.ptr, ab.size, t->opts,
                                   &t->info)) < 0)
        goto done;
    if (memcmp(s->sha256, a->sha256, 32) == 0)
        t->same++;
    else if (!t->info.residual)
        t->explained++;
    if ((error = check_mode(t, s, a)) < 0)
        goto done;
    error = check_retargets(t);
done:
    sg_buf_dispose(&sb);
    sg_buf_dispose(&ab);
    return error;
}

/* ---------------------------------------------------------------- explanations */

static int ci_cmp(const void *x, const void *y)
{
    const ci_entry *a = x, *b = y;
    int c = sg_strcasecmp(a->path, b->path);
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int build_ci(tdiff *t)
{
    size_t n = sg_tree_count(t->src), i, bytes;
    if (t->ci || n == 0)
        return 0;
    if (sg_mul_overflow(&bytes, n, sizeof(ci_entry)) || !(t->ci = sg_malloc(bytes)))
        return sg_error_set(t->ctx, SG_ENOMEM, "out of memory indexing the source tree");
    for (i = 0; i < n; i++) {
        t->ci[i].path = sg_tree_entry(t->src, i)->path;
        t->ci[i].index = i;
    }
    qsort(t->ci, n, sizeof(ci_entry), ci_cmp);
    t->nci = n;
    return 0;
}

/* A source file whose path differs from a's only by letter case and whose bytes are a's
 * (Readme.md in git, README.md in the tarball). Index or (size_t)-1. */
static int find_case_twin(tdiff *t, const sg_entry *a, size_t *out)
{
    size_t lo = 0, hi, i;
    int error;
    *out = (size_t)-1;
    if ((error = build_ci(t)) < 0)
        return error;
    hi = t->nci;
    while (lo < hi) { /* lower bound */
        size_t mid = lo + (hi - lo) / 2;
        if (sg_strcasecmp(t->ci[mid].path, a->path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < t->nci && sg_strcasecmp(t->ci[i].path, a->path) == 0; i++) {
        const sg_entry *s = sg_tree_entry(t->src, t->ci[i].index);
        if (s->kind == a->kind && s->kind == SG_ENTRY_FILE &&
            memcmp(s->sha256, a->sha256, 32) == 0) {
            *out = t->ci[i].index;
            return 0;
        }
    }
    return 0;
}

static int is_license_name(const char *base)
{
    return sg_strncasecmp(base, "license", 7) == 0 || sg_strncasecmp(base, "licence", 7) == 0 ||
           sg_strncasecmp(base, "copying", 7) == 0;
}

/* pnpm copies the workspace root's LICENSE into a package that has none. */
static int root_license_copy(tdiff *t, const sg_entry *a)
{
    const sg_tree *root = t->opts->root_files;
    size_t i, n;
    if (!root || strchr(a->path, '/') || a->kind != SG_ENTRY_FILE || !is_license_name(a->path))
        return 0;
    n = sg_tree_count(root);
    for (i = 0; i < n; i++) {
        const sg_entry *r = sg_tree_entry(root, i);
        if (r->kind == SG_ENTRY_FILE && sg_strcasecmp(sg_path_basename(r->path), a->path) == 0 &&
            memcmp(r->sha256, a->sha256, 32) == 0)
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- the rebuild */

static int is_ident(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '$';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* n digits at p (within len)? */
static int digits_at(const char *p, size_t len, size_t n)
{
    size_t i;
    if (len < n)
        return 0;
    for (i = 0; i < n; i++)
        if (!is_digit((unsigned char)p[i]))
            return 0;
    return 1;
}

/* "HH:MM[:SS[.fff]]" at p: its length, or 0. */
static size_t iso_time(const char *p, size_t len, int need_seconds)
{
    size_t i = 5;
    if (!digits_at(p, len, 2) || len < 5 || p[2] != ':' || !digits_at(p + 3, len - 3, 2))
        return 0;
    if (i + 3 <= len && p[i] == ':' && digits_at(p + i + 1, len - i - 1, 2)) {
        i += 3;
        if (i + 1 < len && p[i] == '.' && is_digit((unsigned char)p[i + 1])) {
            i++;
            while (i < len && is_digit((unsigned char)p[i]) && i < 40)
                i++;
        }
    } else if (need_seconds) {
        return 0;
    }
    return i;
}

/* An ISO 8601 date, date-time or time at p (p starts at a token boundary): length or 0. */
static size_t iso_token(const char *p, size_t len)
{
    size_t i, t;
    if (digits_at(p, len, 4) && len >= 10 && p[4] == '-' && digits_at(p + 5, len - 5, 2) &&
        p[7] == '-' && digits_at(p + 8, len - 8, 2)) {
        i = 10;
        if (i + 1 < len && (p[i] == 'T' || p[i] == ' ') &&
            (t = iso_time(p + i + 1, len - i - 1, 0)) > 0)
            i += 1 + t;
        else
            return i;
    } else if ((i = iso_time(p, len, 1)) == 0) {
        return 0;
    }
    if (i < len && p[i] == 'Z') {
        i++;
    } else if (i + 3 <= len && (p[i] == '+' || p[i] == '-') &&
               digits_at(p + i + 1, len - i - 1, 2)) {
        size_t j = i + 3; /* a UTC offset: +HH:MM or +HHMM */
        if (j < len && p[j] == ':')
            j++;
        if (digits_at(p + j, len - j, 2))
            i = j + 2;
    }
    return i;
}

size_t sg_diff__volatile_token(const char *p, size_t len, int prev)
{
    size_t iso, dig = 0, hex = 0, best;
    int has_digit = 0, lower = 0, upper = 0;

    if (prev >= 0 && is_ident((unsigned char)prev))
        return 0;
    iso = iso_token(p, len);
    while (dig < len && is_digit((unsigned char)p[dig]))
        dig++;
    while (hex < len) {
        unsigned char c = (unsigned char)p[hex];
        if (is_digit(c))
            has_digit = 1;
        else if (c >= 'a' && c <= 'f')
            lower = 1;
        else if (c >= 'A' && c <= 'F')
            upper = 1;
        else
            break;
        hex++;
    }
    if (dig < 4 || (dig < len && is_ident((unsigned char)p[dig])))
        dig = 0;
    if (hex < 7 || !has_digit || (lower && upper) || (hex < len && is_ident((unsigned char)p[hex])))
        hex = 0;
    if (iso && iso < len && is_ident((unsigned char)p[iso]))
        iso = 0;
    best = iso > dig ? iso : dig;
    return hex > best ? hex : best;
}

/* 1 when two lines are equal but for volatile tokens at the same places. */
static int lines_match(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0;
    if (an != bn)
        return 0;
    while (i < an) {
        int prev = i ? (unsigned char)a[i - 1] : -1, prevb = i ? (unsigned char)b[i - 1] : -1;
        size_t ta = sg_diff__volatile_token(a + i, an - i, prev),
               tb = sg_diff__volatile_token(b + i, bn - i, prevb);
        if (ta && ta == tb) {
            i += ta;
            continue;
        }
        if (a[i] != b[i])
            return 0;
        i++;
    }
    return 1;
}

static size_t count_lines(const char *p, size_t len)
{
    size_t n = 0;
    const char *end = p + len, *nl;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        n++;
        p = nl ? nl + 1 : end;
    }
    return n;
}

void sg_diff__rebuilt_compare(sg_rebuilt_cmp *out, const char *art, size_t alen, const char *reb,
                              size_t rlen)
{
    const char *a = art, *b = reb, *aend = art + alen, *bend = reb + rlen;
    size_t line = 0;
    int exact_only = memchr(art, '\0', alen) != NULL || memchr(reb, '\0', rlen) != NULL;

    memset(out, 0, sizeof(*out));
    if (alen == rlen && memcmp(art, reb, alen) == 0)
        return;
    out->outcome = SG_REBUILT_VOLATILE;
    while (a < aend && b < bend) {
        const char *na = memchr(a, '\n', (size_t)(aend - a)),
                   *nb = memchr(b, '\n', (size_t)(bend - b));
        size_t la = na ? (size_t)(na - a) : (size_t)(aend - a);
        size_t lb = nb ? (size_t)(nb - b) : (size_t)(bend - b);
        line++;
        /* A last line without its newline is the same line as one with it; the lines that
         * follow in the other copy are what was appended (or is missing). */
        if (la != lb || memcmp(a, b, la) != 0) {
            out->lines_changed++;
            if (!out->first_line)
                out->first_line = line;
            if (exact_only || !lines_match(a, la, b, lb))
                out->outcome = SG_REBUILT_DIFFERENT;
        }
        a = na ? na + 1 : aend;
        b = nb ? nb + 1 : bend;
    }
    if (a < aend || b < bend) {
        if (!out->first_line)
            out->first_line = line + 1;
        if (out->outcome == SG_REBUILT_VOLATILE && !out->lines_changed) {
            out->appended = count_lines(a, (size_t)(aend - a));
            out->missing = count_lines(b, (size_t)(bend - b));
        }
        out->outcome = SG_REBUILT_DIFFERENT;
    } else if (!out->lines_changed) {
        out->outcome = SG_REBUILT_DIFFERENT; /* only a final newline differs */
        out->first_line = line;
        out->lines_changed = 1;
    }
}

/* The second build's copy of a's path into *out (0 with *out NULL when it has none). */
static int read_again(const sg_buf **out, sg_buf *buf, tdiff *t, const sg_entry *a)
{
    const sg_tree *g = t->opts->rebuilt_again;
    const sg_entry *e = g ? sg_tree_find(g, a->path) : NULL;
    int error;
    *out = NULL;
    if (!e || e->kind != SG_ENTRY_FILE || e->size > (64u << 20))
        return 0;
    if ((error = sg_tree_read(buf, t->ctx, g, e)) < 0)
        return error;
    *out = buf;
    return 0;
}

/* Name the established tokens of a in the report's rebuild section (the first 100 files). */
static int add_token_lines(tdiff *t, const sg_entry *a, const sg_token_check *tc)
{
    sg_buf line = SG_BUF_INIT;
    size_t n = tc->varied + tc->known;
    int error;
    if (sg_report_list_count(t->report, SG_LIST_REBUILD_TOKENS) >= 100)
        return 0;
    sg_buf_printf(&line, "%s: %s", a->path, tc->examples);
    if (n > 4)
        sg_buf_printf(&line, " and %zu more", n - 4);
    if ((error = sg_buf_check(&line, t->ctx, "a report line")) == 0)
        error = sg_report_list_add(t->report, t->ctx, SG_LIST_REBUILD_TOKENS, line.ptr);
    sg_buf_dispose(&line);
    return error;
}

/* The rebuild's copy of a differs only in tokens: reproduced when the second build or the
 * release's facts establish every one; else a modification naming the token, or unverified
 * when no second build was made. */
static int settle_tokens(tdiff *t, const sg_entry *a, const sg_entry *r, const sg_buf *ab,
                         const sg_buf *rb, const sg_rebuilt_cmp *cmp, sg_file_class cls)
{
    sg_buf gb = SG_BUF_INIT, line = SG_BUF_INIT;
    const sg_buf *g = NULL;
    sg_token_check tc;
    int error;

    if ((error = read_again(&g, &gb, t, a)) < 0)
        goto done;
    if (g && g->size == ab->size && memcmp(g->ptr, ab->ptr, ab->size) == 0) {
        t->rebuilt++; /* the second build made the artifact's bytes */
        error = check_mode(t, r, a);
        goto done;
    }
    sg_diff__establish_tokens(&tc, ab->ptr, ab->size, rb->ptr, rb->size, g ? g->ptr : NULL,
                              g ? g->size : 0, t->opts);
    if (tc.established) {
        t->rebuilt++;
        sg_buf_printf(&line,
                      "reproduced by the rebuild except volatile tokens (numbers, hashes, "
                      "dates) on %zu line%s, first at line %zu; established: %s",
                      cmp->lines_changed, cmp->lines_changed == 1 ? "" : "s", cmp->first_line,
                      tc.examples);
        if ((error = sg_buf_check(&line, t->ctx, "a finding")) == 0 &&
            (error = sg_report_add_normalization(t->report, t->ctx, "volatile-tokens")) == 0 &&
            (error = add(t, "file-modified", SG_SEV_LOW, a->path, NULL, NULL, line.ptr)) == 0 &&
            (error = add_token_lines(t, a, &tc)) == 0)
            error = check_mode(t, r, a);
        goto done;
    }
    if (!t->opts->rebuilt_again)
        sg_buf_printf(&line,
                      "differs from the rebuild only in numbers, hashes or dates that no "
                      "second build established as volatile: artifact has '%s' where the "
                      "rebuild has '%s' at line %zu",
                      tc.art, tc.built, tc.line);
    else if (strcmp(tc.built, tc.again) == 0)
        sg_buf_printf(&line, "artifact has '%s' where both builds have '%s' at line %zu (%s)",
                      tc.art, tc.built, tc.line, sg_file_class_name(cls));
    else
        sg_buf_printf(&line,
                      "artifact has '%s' where the builds have '%s' and '%s' at line %zu "
                      "(%s)",
                      tc.art, tc.built, tc.again[0] ? tc.again : "nothing", tc.line,
                      sg_file_class_name(cls));
    if ((error = sg_buf_check(&line, t->ctx, "a finding")) == 0)
        error = t->opts->rebuilt_again
                    ? add(t, "file-modified", sg_file_class_severity(cls), a->path, NULL, NULL,
                          line.ptr)
                    : add(t, "file-unverified", SG_SEV_MEDIUM, a->path, NULL, NULL, line.ptr);
done:
    sg_buf_dispose(&gb);
    sg_buf_dispose(&line);
    return error;
}

/* Is a a declaration file that nothing loads as code? Not when its content or mode says code
 * (a shebang, an exec bit), a bin names it, require() finds it before a sibling, or an entry
 * point names it other than under a "types" condition (Node would run it as JavaScript, or
 * strip its types and run what is left). */
static int types_only(const tdiff *t, const sg_entry *a)
{
    size_t i, head = a->size < SG_ENTRY_HEAD ? (size_t)a->size : SG_ENTRY_HEAD;
    if (a->kind != SG_ENTRY_FILE || !sg_diff__dts_path(a->path) ||
        sg_file_classify(a->path, a->head, head, a->exec ? 1 : 0) != SG_FILE_TYPES ||
        sg_diff__is_bin_target(&t->info, a->path) || has_code_sibling(t, a->path))
        return 0;
    for (i = 0; i < t->info.entry_count; i++)
        if (!t->info.entries[i].types && strcmp(t->info.entries[i].path, a->path) == 0)
            return 0;
    return 1;
}

/* a, a declaration file nothing loads as code, differs from the rebuild's copy r only in the
 * order of union members (diff/dts_union.c): reproduced under "dts-union-order", a low finding
 * naming the first such line. *handled is 0 when that is not so. */
static int settle_unions(tdiff *t, const sg_entry *a, const sg_entry *r, const sg_buf *ab,
                         const sg_buf *rb, int *handled)
{
    sg_buf line = SG_BUF_INIT;
    sg_union_check uc;
    int same, error;

    *handled = 0;
    if (r->kind != SG_ENTRY_FILE || !types_only(t, a))
        return 0;
    if ((error = sg_diff__union_order_only(&same, &uc, t->ctx, ab->ptr, ab->size, rb->ptr,
                                           rb->size)) < 0 ||
        !same)
        return error;
    *handled = 1;
    t->rebuilt++;
    sg_buf_printf(&line,
                  "reproduced by the rebuild except the order of union members on %zu line%s "
                  "of a declaration file, first at line %zu: '%s' where the rebuild has '%s'",
                  uc.lines, uc.lines == 1 ? "" : "s", uc.first_line, uc.art, uc.built);
    if ((error = sg_buf_check(&line, t->ctx, "a finding")) == 0 &&
        (error = sg_report_add_normalization(t->report, t->ctx, "dts-union-order")) == 0 &&
        (error = add(t, "file-modified", SG_SEV_LOW, a->path, NULL, NULL, line.ptr)) == 0)
        error = check_mode(t, r, a);
    sg_buf_dispose(&line);
    return error;
}

/* The rebuild's copy of a (not code) differs only in the build path, which the second build
 * wrote differently at each place: reproduced (*explained 1) under "build-path". */
static int settle_build_path(int *explained, tdiff *t, const sg_entry *a, const sg_entry *r,
                             const sg_buf *ab, const sg_buf *rb, const sg_rebuilt_cmp *cmp)
{
    sg_buf gb = SG_BUF_INIT, line = SG_BUF_INIT;
    const sg_buf *g = NULL;
    sg_token_check tc;
    int error;

    *explained = 0;
    if ((error = read_again(&g, &gb, t, a)) < 0 || !g ||
        !sg_diff__explain_build_path(&tc, ab->ptr, ab->size, rb->ptr, rb->size, g->ptr, g->size,
                                     t->opts))
        goto done;
    *explained = 1;
    t->rebuilt++;
    sg_buf_printf(&line,
                  "reproduced by the rebuild except the build path on %zu line%s, first at line "
                  "%zu; established: %s",
                  cmp->lines_changed, cmp->lines_changed == 1 ? "" : "s", cmp->first_line,
                  tc.examples);
    if ((error = sg_buf_check(&line, t->ctx, "a finding")) == 0 &&
        (error = sg_report_add_normalization(t->report, t->ctx, "build-path")) == 0 &&
        (error = add(t, "file-modified", SG_SEV_LOW, a->path, NULL, NULL, line.ptr)) == 0 &&
        (error = add_token_lines(t, a, &tc)) == 0)
        error = check_mode(t, r, a);
done:
    sg_buf_dispose(&gb);
    sg_buf_dispose(&line);
    return error;
}

/* The next line of [*p, end): its start and length (without the newline); 0 at the end. */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
    const char *nl;
    if (*p >= end)
        return 0;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    *line = *p;
    *len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    *p = nl ? nl + 1 : end;
    return 1;
}

/*
 * Do honest builds vary wherever the artifact differs from the first build? 1 when the second,
 * varied build (rebuilt_again) differs from the first on every line where the artifact does
 * (same line counts), or when the two builds do not even have the same number of lines; 0 when
 * some line differs from the first build where both builds agree (a modification), or when
 * there was no second build. ab: the artifact's bytes, rb: the first build's.
 */
static int builds_vary(tdiff *t, const sg_entry *r, const sg_buf *ab, const sg_buf *rb)
{
    const sg_entry *g;
    sg_buf gb = SG_BUF_INIT;
    const char *pa, *pr, *pg, *la, *lr, *lg;
    size_t na, nr, ng, n1, n2, n3;
    int vary = 0;

    if (!t->opts->rebuilt_again || r->kind != SG_ENTRY_FILE)
        return 0;
    g = sg_tree_find(t->opts->rebuilt_again, r->path);
    if (!g || g->kind != SG_ENTRY_FILE || memcmp(g->sha256, r->sha256, 32) == 0 ||
        g->size > (64u << 20) || sg_tree_read(&gb, t->ctx, t->opts->rebuilt_again, g) < 0) {
        sg_error_clear(t->ctx);
        sg_buf_dispose(&gb);
        return 0;
    }
    n1 = count_lines(ab->ptr, ab->size);
    n2 = count_lines(rb->ptr, rb->size);
    n3 = count_lines(gb.ptr, gb.size);
    if (n2 != n3) {
        vary = 1; /* the builds' structure itself varies */
    } else if (n1 == n2) {
        pa = ab->ptr, pr = rb->ptr, pg = gb.ptr;
        vary = 1;
        while (vary && next_line(&pa, ab->ptr + ab->size, &la, &na) &&
               next_line(&pr, rb->ptr + rb->size, &lr, &nr) &&
               next_line(&pg, gb.ptr + gb.size, &lg, &ng))
            if ((na != nr || memcmp(la, lr, na) != 0) && nr == ng && memcmp(lr, lg, nr) == 0)
                vary = 0; /* the artifact differs where both builds agree */
    }
    sg_buf_dispose(&gb);
    return vary;
}

/* The second, varied build's copy of a when it has a's kind and bytes exactly (an honest build
 * made them: reproduced, whatever the first build wrote), else NULL. */
static const sg_entry *again_made(const tdiff *t, const sg_entry *a)
{
    const sg_tree *g = t->opts->rebuilt_again;
    const sg_entry *e = g ? sg_tree_find(g, a->path) : NULL;
    return e && e->kind == a->kind && memcmp(e->sha256, a->sha256, 32) == 0 ? e : NULL;
}

/* Compare artifact file a with the rebuild's copy. *handled is 1 when the rebuild decided the
 * file (counted or a finding added), 0 when the rebuild did not make this path. */
static int check_rebuilt(tdiff *t, const sg_entry *a, int *handled)
{
    const sg_tree *rt = t->opts->rebuilt;
    const sg_entry *r = rt ? sg_tree_find(rt, a->path) : NULL, *g;
    sg_buf ab = SG_BUF_INIT, rb = SG_BUF_INIT;
    sg_rebuilt_cmp cmp;
    sg_file_class cls;
    char detail[512];
    const uint64_t max = 64u << 20;
    int error = 0, done_unions = 0;

    *handled = 0;
    if (!r)
        return 0;
    *handled = 1;
    cls = worse_class(t, a, r);
    if (r->kind == a->kind && memcmp(r->sha256, a->sha256, 32) == 0) {
        t->rebuilt++;
        return check_mode(t, r, a);
    }
    if ((g = again_made(t, a)) != NULL) {
        t->rebuilt++;
        return check_mode(t, g, a);
    }
    memset(&cmp, 0, sizeof(cmp));
    cmp.outcome = SG_REBUILT_DIFFERENT;
    if (r->kind == SG_ENTRY_FILE && a->kind == SG_ENTRY_FILE && a->size <= max && r->size <= max) {
        if ((error = sg_tree_read(&ab, t->ctx, t->art, a)) < 0 ||
            (error = sg_tree_read(&rb, t->ctx, rt, r)) < 0)
            goto done;
        sg_diff__rebuilt_compare(&cmp, ab.ptr, ab.size, rb.ptr, rb.size);
    }
    if (cmp.outcome == SG_REBUILT_VOLATILE) {
        error = settle_tokens(t, a, r, &ab, &rb, &cmp, cls);
        goto done;
    }
    if (cmp.first_line && !cmp.appended && !cmp.missing &&
        ((error = settle_unions(t, a, r, &ab, &rb, &done_unions)) < 0 || done_unions))
        goto done;
    if (r->kind != a->kind)
        snprintf(detail, sizeof(detail), "a %s in the artifact, not in the rebuild (%s)",
                 a->kind == SG_ENTRY_SYMLINK ? "symbolic link" : "file", sg_file_class_name(cls));
    else if (cmp.appended)
        snprintf(detail, sizeof(detail),
                 "differs from the rebuild: %zu line%s appended after the rebuilt content (%s)",
                 cmp.appended, cmp.appended == 1 ? "" : "s", sg_file_class_name(cls));
    else if (cmp.missing)
        snprintf(detail, sizeof(detail),
                 "differs from the rebuild: the rebuild has %zu more line%s at the end (%s)",
                 cmp.missing, cmp.missing == 1 ? "" : "s", sg_file_class_name(cls));
    else if (cmp.first_line)
        snprintf(detail, sizeof(detail),
                 "differs from the rebuild: %zu line%s differ, first at line %zu (%s)",
                 cmp.lines_changed ? cmp.lines_changed : 1, cmp.lines_changed == 1 ? "" : "s",
                 cmp.first_line, sg_file_class_name(cls));
    else
        snprintf(detail, sizeof(detail), "differs from the rebuild (%s)", sg_file_class_name(cls));
    if (r->kind == a->kind && !cmp.appended && !cmp.missing &&
        (cls == SG_FILE_TYPES || cls == SG_FILE_DOCS)) {
        int explained = 0;
        if ((error = settle_build_path(&explained, t, a, r, &ab, &rb, &cmp)) < 0 || explained)
            goto done;
    }
    if (r->kind == a->kind && !cmp.appended && builds_vary(t, r, &ab, &rb)) {
        /* the second, varied build made other bytes than the first: honest builds vary */
        size_t n = strlen(detail);
        snprintf(detail + n, sizeof(detail) - n,
                 "; the second build differs from the first on every line where the artifact "
                 "does, so honest builds vary there");
        error = add(t, "file-unverified", SG_SEV_MEDIUM, a->path, NULL, NULL, detail);
        goto done;
    }
    if (t->opts->rebuilt_unpinned && r->kind == a->kind && !cmp.appended) {
        /* no lockfile pinned the rebuild's dependencies: honest builds differ */
        size_t n = strlen(detail);
        snprintf(detail + n, sizeof(detail) - n,
                 "; the rebuild's install was %.120s, so its dependencies may differ from the "
                 "release's",
                 t->opts->rebuilt_unpinned);
        error = add(t, "file-unverified", SG_SEV_MEDIUM, a->path, NULL, NULL, detail);
        goto done;
    }
    error = add(t, "file-modified", sg_file_class_severity(cls), a->path, NULL, NULL, detail);
done:
    sg_buf_dispose(&ab);
    sg_buf_dispose(&rb);
    return error;
}

/* The file committed at a's path that the packing rules left out, or NULL. */
static const sg_entry *tracked_entry(const tdiff *t, const sg_entry *a)
{
    const sg_entry *k = t->opts->tracked ? sg_tree_find(t->opts->tracked, a->path) : NULL;
    return k && k->kind != SG_ENTRY_SUBMODULE ? k : NULL;
}

/* Artifact file a, absent from the packed source, against the committed file k at its path:
 * the same bytes verify it whatever the ignore rules say; other bytes are a modification
 * (unless the rebuild made this copy), never a "possibly built" file. */
static int diff_tracked(tdiff *t, const sg_entry *k, const sg_entry *a)
{
    char detail[256];
    sg_file_class cls;
    int error, handled;

    if (k->kind == a->kind && memcmp(k->sha256, a->sha256, 32) == 0) {
        t->explained++;
        if ((error = sg_report_add_normalization(t->report, t->ctx, "ignored-but-tracked")) < 0)
            return error;
        return check_mode(t, k, a);
    }
    if ((error = check_rebuilt(t, a, &handled)) < 0 || handled)
        return error;
    cls = worse_class(t, a, k);
    if (k->kind != a->kind)
        snprintf(detail, sizeof(detail),
                 "a %s in the artifact, a %s committed at this path, which the packing rules "
                 "leave out (%s)",
                 a->kind == SG_ENTRY_SYMLINK ? "symbolic link" : "file",
                 k->kind == SG_ENTRY_SYMLINK ? "symbolic link" : "file", sg_file_class_name(cls));
    else
        snprintf(detail, sizeof(detail),
                 "%s from the file committed at this path, which the packing rules leave out "
                 "(%s)",
                 a->kind == SG_ENTRY_SYMLINK ? "link target differs" : "bytes differ",
                 sg_file_class_name(cls));
    return add(t, "file-modified", sg_file_class_severity(cls), a->path, NULL, NULL, detail);
}

/* A prebuilt native binary the source lacks is unverified, not added (diff/native.c); also
 * when the rebuild made other bytes at its path (native builds differ between honest builds),
 * but not when it made the same bytes: then it was rebuilt. */
static int check_native(tdiff *t, const sg_entry *a, int *handled)
{
    const sg_entry *r = t->opts->rebuilt ? sg_tree_find(t->opts->rebuilt, a->path) : NULL;
    char detail[400];
    int error, yes;

    *handled = 0;
    if (r && r->kind == a->kind && memcmp(r->sha256, a->sha256, 32) == 0)
        return 0;
    if (!t->platform_pkg) {
        if ((error = sg_diff__platform_package(&yes, t->ctx, t->art)) < 0)
            return error;
        t->platform_pkg = yes ? 2 : 1;
    }
    if ((error = sg_diff__native_detail(handled, detail, sizeof(detail), t->ctx, t->art, a,
                                        sg_diff__is_bin_target(&t->info, a->path),
                                        t->platform_pkg == 2)) < 0 ||
        !*handled)
        return error;
    if (r) {
        size_t n = strlen(detail);
        snprintf(detail + n, sizeof(detail) - n,
                 "; the build's copy has other bytes (native builds differ between honest "
                 "builds)");
    }
    return add(t, "file-unverified", SG_SEV_MEDIUM, a->path, NULL, NULL, detail);
}

/* An artifact entry with no source entry at its path. */
static int diff_absent(tdiff *t, const sg_entry *a)
{
    const sg_entry *k = tracked_entry(t, a);
    const char *why = NULL;
    char detail[256];
    sg_file_class cls;
    size_t twin;
    int error, handled;

    if (k)
        return diff_tracked(t, k, a);
    if ((error = find_case_twin(t, a, &twin)) < 0)
        return error;
    if (twin != (size_t)-1) {
        t->used[twin] = 1;
        t->explained++;
        return sg_report_add_normalization(t->report, t->ctx, "case-rename");
    }
    if (root_license_copy(t, a)) {
        t->explained++;
        return sg_report_add_normalization(t->report, t->ctx, "workspace-root-license");
    }
    if ((error = check_native(t, a, &handled)) < 0 || handled)
        return error;
    if ((error = check_rebuilt(t, a, &handled)) < 0 || handled)
        return error;
    if (t->opts->possibly_built && t->opts->possibly_built(t->opts->payload, a->path, &why))
        return add(t, "file-unverified", SG_SEV_MEDIUM, a->path, NULL, NULL,
                   why ? why : "possibly made by the build; not rebuilt");
    cls = entry_class(t, a);
    snprintf(detail, sizeof(detail), "not in the source at this commit (%s)",
             sg_file_class_name(cls));
    return add(t, "file-added", sg_file_class_severity(cls), a->path, NULL, NULL, detail);
}

/* ---------------------------------------------------------------- driver */

/* JavaScript-family files whose artifact copy may have had its comments stripped. */
static int js_like(const char *path)
{
    static const char *const exts[] = {".js", ".cjs", ".mjs", ".jsx", ".ts", ".mts", ".cts",
                                       ".tsx"};
    char ext[16];
    size_t i;
    sg_path_extname_lower(ext, sizeof(ext), path);
    for (i = 0; i < SG_ARRAY_SIZE(exts); i++)
        if (strcmp(ext, exts[i]) == 0)
            return 1;
    return 0;
}

/* Is the artifact's copy the source's minus comments and blank lines? Bounded reads. */
static int comments_stripped(int *out, tdiff *t, const sg_entry *s, const sg_entry *a)
{
    sg_buf sb = SG_BUF_INIT, ab = SG_BUF_INIT;
    const uint64_t max = 8u << 20;
    int error = 0;

    *out = 0;
    if (!js_like(a->path) || s->size > max || a->size > max || a->size >= s->size)
        return 0;
    if ((error = sg_tree_read(&sb, t->ctx, t->src, s)) == 0 &&
        (error = sg_tree_read(&ab, t->ctx, t->art, a)) == 0)
        *out = sg_diff__only_comments_removed(sb.ptr, sb.size, ab.ptr, ab.size);
    sg_buf_dispose(&sb);
    sg_buf_dispose(&ab);
    return error;
}

/* The artifact's copy is the source's minus comments: explained by the source. */
static int add_stripped(tdiff *t, const sg_entry *a)
{
    int error = sg_report_add_normalization(t->report, t->ctx, "js-comments-stripped");
    if (error < 0)
        return error;
    return add(t, "file-modified", SG_SEV_LOW, a->path, NULL, NULL,
               "only comments and blank lines were removed (as clean-publish does)");
}

static int diff_entry(tdiff *t, const sg_entry *a)
{
    size_t si;
    const sg_entry *s;
    char detail[256];
    sg_file_class cls;

    if (strcmp(a->path, "package.json") == 0)
        return 0; /* compared as JSON */
    si = sg_tree_index(t->src, a->path);
    s = si == (size_t)-1 ? NULL : sg_tree_entry(t->src, si);
    if (!s || s->kind == SG_ENTRY_SUBMODULE)
        return diff_absent(t, a);
    t->used[si] = 1;
    cls = worse_class(t, a, s);
    if (s->kind != a->kind || memcmp(s->sha256, a->sha256, 32) != 0) {
        /* What the source explains stays explained whatever the rebuild makes (a rebuild may
         * only add explanations); a file the build rewrites (prepack) and the source cannot
         * explain is settled by the rebuild's copy. */
        int handled, stripped = 0, error;
        if (s->kind == a->kind && a->kind == SG_ENTRY_FILE &&
            (error = comments_stripped(&stripped, t, s, a)) < 0)
            return error;
        if (stripped)
            return add_stripped(t, a);
        if ((error = check_rebuilt(t, a, &handled)) < 0 || handled)
            return error;
    }
    if (s->kind != a->kind) {
        snprintf(detail, sizeof(detail), "a %s in the artifact, a %s in the source (%s)",
                 a->kind == SG_ENTRY_SYMLINK ? "symbolic link" : "file",
                 s->kind == SG_ENTRY_SYMLINK ? "symbolic link" : "file", sg_file_class_name(cls));
        return add(t, "file-modified", sg_file_class_severity(cls), a->path, NULL, NULL, detail);
    }
    if (memcmp(s->sha256, a->sha256, 32) == 0) {
        t->same++;
        return check_mode(t, s, a);
    }
    snprintf(detail, sizeof(detail), "%s from the source (%s)",
             a->kind == SG_ENTRY_SYMLINK ? "link target differs" : "bytes differ",
             sg_file_class_name(cls));
    return add(t, "file-modified", sg_file_class_severity(cls), a->path, NULL, NULL, detail);
}

int sg_diff_trees(sg_report *report, sg_ctx *ctx, const sg_tree *source, const sg_tree *artifact,
                  const sg_diff_opts *opts)
{
    static const sg_diff_opts no_opts = SG_DIFF_OPTS_INIT;
    sg_manifest_info info0 = SG_MANIFEST_INFO_INIT;
    tdiff t;
    size_t i, nsrc, nart;
    int error = 0;

    memset(&t, 0, sizeof(t));
    t.info = info0;
    if (!report || !source || !artifact)
        return sg_error_set(ctx, SG_EINVALID, "diffing trees needs a report and two trees");
    t.report = report;
    t.ctx = ctx;
    t.opts = opts ? opts : &no_opts;
    t.src = source;
    t.art = artifact;
    nsrc = sg_tree_count(source);
    nart = sg_tree_count(artifact);
    if (!(t.used = sg_calloc(nsrc ? nsrc : 1, 1))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory diffing trees");
        goto done;
    }
    if ((error = diff_manifest_entry(&t)) < 0)
        goto done;
    for (i = 0; i < nart; i++)
        if ((error = diff_entry(&t, sg_tree_entry(artifact, i))) < 0)
            goto done;
    for (i = 0; i < nsrc; i++) {
        const sg_entry *s = sg_tree_entry(source, i);
        if (t.used[i] || s->kind == SG_ENTRY_SUBMODULE)
            continue;
        if ((error = add(&t, "file-missing", SG_SEV_INFO, s->path, NULL, NULL,
                         "in the source, not in the artifact")) < 0)
            goto done;
    }
    sg_report_set_count(report, SG_COUNT_ARTIFACT_FILES, nart);
    sg_report_set_count(report, SG_COUNT_FILES_SAME, t.same);
    sg_report_set_count(report, SG_COUNT_FILES_EXPLAINED, t.explained);
    sg_report_set_count(report, SG_COUNT_FILES_REBUILT, t.rebuilt);
done:
    sg_free(t.used);
    sg_free(t.ci);
    sg_diff__manifest_info_dispose(&t.info);
    return error;
}
