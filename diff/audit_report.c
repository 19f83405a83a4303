/*
 * Audit summaries (audit.h): stored results collected, counted and written as text, JSON
 * (sourcegate/audit/v1) or one self-contained HTML page. The page carries its CSS, script and
 * SVG charts inline and a Content-Security-Policy of default-src 'none', so opening it loads
 * nothing; it renders without the script too (the script only runs the filter box).
 *
 * Everything printed comes from a store, so from untrusted reports: strings are escaped for
 * the context they land in (HTML text and attributes; JSON through cJSON's writer).
 */
#include "common/common.h"

#include <time.h>

#include "diff/diff_int.h"
#include "sourcegate/audit.h"
#include "sourcegate/semver.h"

/* Most findings listed for one release on the page (the JSON keeps them all). */
#define HTML_MAX_FINDINGS 10000 /* rows of a release's full list (closed until asked) */
#define HTML_FEW_FINDINGS 12    /* up to this many: the full list only, no groups */
#define HTML_MAX_GROUPS 64      /* (severity, kind) groups shown; more are rare */
/* Longest before/after value shown on the page, in bytes. */
#define HTML_MAX_VALUE 240
/* Most packages in the per-package chart, and most bars over time. */
#define CHART_MAX_PACKAGES 40
#define CHART_MAX_BUCKETS 48

typedef struct audit_rel {
    const char *ecosystem; /* "npm" (arena) */
    const char *name;      /* package (arena) */
    const char *version;   /* version (arena) */
    const char *integrity; /* SRI or NULL (arena) */
    sg_verdict verdict;    /* stored verdict */
    int64_t verified_at;   /* seconds since the epoch */
    cJSON *findings;       /* the report's findings array (owned), or NULL */
    cJSON *source;         /* the report's source object (owned), or NULL */
    cJSON *compared;       /* the report's compared_with object (owned), or NULL */
    cJSON *delta;          /* the report's delta object (owned), or NULL */
    const char *note;      /* why the report could not be read (arena), or NULL */
    int max_sev;           /* highest finding severity, -1 when none */
} audit_rel;

typedef struct audit_err {
    const char *ecosystem; /* "npm" (arena) */
    const char *name;      /* package (arena) */
    const char *spec;      /* as listed (arena) */
    const char *message;   /* the error (arena) */
    int attempts;          /* tries */
    int64_t at;            /* when it gave up */
} audit_err;

struct sg_audit {
    sg_arena strings;    /* every string */
    audit_rel *rels;     /* releases */
    size_t nrels, crels; /* used, allocated */
    audit_err *errs;     /* errors */
    size_t nerrs, cerrs; /* used, allocated */
    int sorted;          /* rels are in (name, version) order */
};

int sg_audit_new(sg_audit **out, sg_ctx *ctx)
{
    if (!(*out = sg_calloc(1, sizeof(sg_audit))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for an audit summary");
    (*out)->sorted = 1;
    return 0;
}

void sg_audit_free(sg_audit *a)
{
    size_t i;
    if (!a)
        return;
    for (i = 0; i < a->nrels; i++) {
        cJSON_Delete(a->rels[i].findings);
        cJSON_Delete(a->rels[i].source);
        cJSON_Delete(a->rels[i].compared);
        cJSON_Delete(a->rels[i].delta);
    }
    sg_free(a->rels);
    sg_free(a->errs);
    sg_arena_dispose(&a->strings);
    sg_free(a);
}

static const char *keep(sg_audit *a, const char *s, int *failed)
{
    char *c;
    if (!s)
        return NULL;
    if (!(c = sg_arena_strdup(&a->strings, s)))
        *failed = 1;
    return c;
}

static cJSON *detach(cJSON *doc, const char *key, int want_array)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    if (!v || (want_array ? !cJSON_IsArray(v) : !cJSON_IsObject(v)))
        return NULL;
    return cJSON_DetachItemViaPointer(doc, v);
}

/* The highest severity named by the findings (unknown names count as nothing). */
static int max_severity(const cJSON *findings)
{
    const cJSON *f;
    int max = -1;
    cJSON_ArrayForEach(f, findings)
    {
        sg_severity s;
        const char *name = sg_json_str(f, "severity");
        if (name && sg_severity_parse(&s, name) == 0 && (int)s > max)
            max = (int)s;
    }
    return max;
}

/* Parse the report; a bad one becomes a note (the error stays out of ctx). */
static void read_report(sg_audit *a, audit_rel *r, const char *json, size_t len, sg_ctx *ctx,
                        int *failed)
{
    cJSON *doc = NULL;
    sg_ctx *scratch = NULL;
    if (!json || !len) {
        r->note = keep(a, "no report stored", failed);
        return;
    }
    if (sg_ctx_new(&scratch) < 0) {
        *failed = 1;
        return;
    }
    sg_ctx_set_limit(scratch, SG_LIMIT_JSON_SIZE, sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE));
    sg_ctx_set_limit(scratch, SG_LIMIT_JSON_DEPTH, sg_ctx_limit(ctx, SG_LIMIT_JSON_DEPTH));
    if (sg_json_parse(&doc, scratch, json, len, "a stored report") < 0 || !cJSON_IsObject(doc)) {
        char note[600];
        snprintf(note, sizeof(note), "report unreadable: %s",
                 doc ? "not a JSON object" : sg_error_message(scratch));
        r->note = keep(a, note, failed);
    } else {
        r->findings = detach(doc, "findings", 1);
        r->source = detach(doc, "source", 0);
        r->compared = detach(doc, "compared_with", 0);
        r->delta = detach(doc, "delta", 0);
        r->max_sev = max_severity(r->findings);
    }
    cJSON_Delete(doc);
    sg_ctx_free(scratch);
}

int sg_audit_add_release(sg_audit *a, sg_ctx *ctx, const sg_audit_release *in)
{
    audit_rel *r;
    int failed = 0;
    if (!in->name || !*in->name || !in->version || !*in->version)
        return sg_error_set(ctx, SG_EINVALID, "an audited release needs a name and a version");
    if (!sg_verdict_name(in->verdict))
        return sg_error_set(ctx, SG_EINVALID, "release '%s@%s' has an unknown verdict", in->name,
                            in->version);
    if (SG_ARRAY_GROW(a->rels, a->crels, a->nrels + 1, 16) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory adding a release");
    r = &a->rels[a->nrels];
    memset(r, 0, sizeof(*r));
    r->max_sev = -1;
    r->ecosystem = keep(a, in->ecosystem ? in->ecosystem : "npm", &failed);
    r->name = keep(a, in->name, &failed);
    r->version = keep(a, in->version, &failed);
    r->integrity = keep(a, in->integrity, &failed);
    r->verdict = in->verdict;
    r->verified_at = in->verified_at;
    read_report(a, r, in->report_json, in->report_len, ctx, &failed);
    a->nrels++; /* counted even on failure, so sg_audit_free() releases its JSON */
    a->sorted = 0;
    return failed ? sg_error_set(ctx, SG_ENOMEM, "out of memory adding a release") : 0;
}

int sg_audit_add_error(sg_audit *a, sg_ctx *ctx, const sg_audit_error *in)
{
    audit_err *e;
    int failed = 0;
    if (!in->name || !*in->name)
        return sg_error_set(ctx, SG_EINVALID, "an audit error needs a package name");
    if (SG_ARRAY_GROW(a->errs, a->cerrs, a->nerrs + 1, 16) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory adding an error");
    e = &a->errs[a->nerrs];
    e->ecosystem = keep(a, in->ecosystem ? in->ecosystem : "npm", &failed);
    e->name = keep(a, in->name, &failed);
    e->spec = keep(a, in->spec ? in->spec : "", &failed);
    e->message = keep(a, in->message ? in->message : "", &failed);
    e->attempts = in->attempts;
    e->at = in->at;
    if (failed)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory adding an error");
    a->nerrs++;
    return 0;
}

/* ---- order and counts ---------------------------------------------------------------- */

static int version_cmp(const char *x, const char *y)
{
    sg_semver a, b;
    if (sg_semver_parse(&a, x, 1) == 0 && sg_semver_parse(&b, y, 1) == 0)
        return sg_semver_cmp(&a, &b);
    return strcmp(x, y);
}

static int rel_cmp(const void *pa, const void *pb)
{
    const audit_rel *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c == 0)
        c = strcmp(a->ecosystem, b->ecosystem);
    if (c == 0)
        c = version_cmp(a->version, b->version);
    if (c == 0)
        c = strcmp(a->integrity ? a->integrity : "", b->integrity ? b->integrity : "");
    return c;
}

static void sort_rels(sg_audit *a)
{
    if (!a->sorted && a->nrels > 1)
        qsort(a->rels, a->nrels, sizeof(*a->rels), rel_cmp);
    a->sorted = 1;
}

static int same_package(const audit_rel *x, const audit_rel *y)
{
    return strcmp(x->name, y->name) == 0 && strcmp(x->ecosystem, y->ecosystem) == 0;
}

void sg_audit_get_counts(const sg_audit *a, sg_audit_counts *out)
{
    size_t i, j;
    memset(out, 0, sizeof(*out));
    out->releases = a->nrels;
    out->errors = a->nerrs;
    for (i = 0; i < a->nrels; i++) {
        const audit_rel *r = &a->rels[i];
        int seen = 0;
        if (r->verdict == SG_VERDICT_PASS)
            out->pass++;
        else if (r->verdict == SG_VERDICT_FAIL)
            out->fail++;
        else
            out->inconclusive++;
        out->findings += (size_t)cJSON_GetArraySize(r->findings);
        if (a->sorted) {
            seen = i > 0 && same_package(r, &a->rels[i - 1]);
        } else {
            for (j = 0; j < i && !seen; j++)
                seen = same_package(r, &a->rels[j]);
        }
        out->packages += !seen;
    }
}

/* ---- shared formatting --------------------------------------------------------------- */

/* How a time is printed (formats are literals, so the compiler checks them). */
typedef enum { T_ISO, T_MINUTE, T_MINUTE_UTC, T_DAY } time_style;

static void put_time(sg_buf *out, int64_t t, time_style style)
{
    struct tm tm;
    time_t tt = (time_t)t;
    char s[64];
    size_t n = 0;
    if (t > 0 && gmtime_r(&tt, &tm)) {
        switch (style) {
        case T_ISO:
            n = strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
            break;
        case T_MINUTE:
            n = strftime(s, sizeof(s), "%Y-%m-%d %H:%M", &tm);
            break;
        case T_MINUTE_UTC:
            n = strftime(s, sizeof(s), "%Y-%m-%d %H:%M UTC", &tm);
            break;
        case T_DAY:
            n = strftime(s, sizeof(s), "%Y-%m-%d", &tm);
            break;
        }
    }
    sg_buf_puts(out, n ? s : "unknown");
}

/* The purl of a release: pkg:npm/%40scope/name@version. */
static void put_purl(sg_buf *out, const audit_rel *r)
{
    const char *p;
    sg_buf_printf(out, "pkg:%s/", r->ecosystem);
    for (p = r->name; *p; p++) {
        if (*p == '@')
            sg_buf_puts(out, "%40");
        else
            sg_buf_putc(out, *p);
    }
    sg_buf_printf(out, "@%s", r->version);
}

/* A string member of an object, or NULL. */
static const char *str_of(const cJSON *obj, const char *key)
{
    return obj ? sg_json_str(obj, key) : NULL;
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void json_key(sg_buf *out, const char *key, int *first)
{
    if (!*first)
        sg_buf_puts(out, ", ");
    *first = 0;
    sg_json_put_string(out, key);
    sg_buf_puts(out, ": ");
}

static void json_str(sg_buf *out, const char *key, const char *value, int *first)
{
    json_key(out, key, first);
    sg_json_put_string(out, value);
}

static void json_value(sg_buf *out, const char *key, const cJSON *v, int *first)
{
    json_key(out, key, first);
    if (v)
        sg_json_put_value(out, v);
    else
        sg_buf_puts(out, "null");
}

static void json_release(sg_buf *out, const audit_rel *r)
{
    sg_buf purl = SG_BUF_INIT, when = SG_BUF_INIT;
    int first = 1;
    put_purl(&purl, r);
    put_time(&when, r->verified_at, T_ISO);
    sg_buf_puts(out, "{");
    json_str(out, "ecosystem", r->ecosystem, &first);
    json_str(out, "package", r->name, &first);
    json_str(out, "version", r->version, &first);
    json_str(out, "purl", purl.ptr, &first);
    json_str(out, "integrity", r->integrity, &first);
    json_str(out, "verdict", sg_verdict_name(r->verdict), &first);
    json_str(out, "verified_at", when.ptr, &first);
    json_key(out, "findings", &first);
    if (r->findings)
        sg_json_put_value(out, r->findings);
    else
        sg_buf_puts(out, "[]");
    json_value(out, "source", r->source, &first);
    json_value(out, "compared_with", r->compared, &first);
    if (r->note)
        json_str(out, "note", r->note, &first);
    sg_buf_puts(out, "}");
    if ((purl.error || when.error) && !out->error)
        out->error = SG_ENOMEM; /* sticky, like the buffer's own errors */
    sg_buf_dispose(&purl);
    sg_buf_dispose(&when);
}

static void json_error(sg_buf *out, const audit_err *e)
{
    int first = 1;
    sg_buf_puts(out, "{");
    json_str(out, "ecosystem", e->ecosystem, &first);
    json_str(out, "package", e->name, &first);
    json_str(out, "spec", e->spec, &first);
    json_str(out, "error", e->message, &first);
    json_key(out, "attempts", &first);
    sg_buf_printf(out, "%d", e->attempts);
    json_key(out, "at", &first);
    if (e->at > 0) {
        sg_buf_putc(out, '"');
        put_time(out, e->at, T_ISO);
        sg_buf_putc(out, '"');
    } else {
        sg_buf_puts(out, "null");
    }
    sg_buf_puts(out, "}");
}

/* Findings per kind, in the order of the table of kinds. */
static void json_by_kind(sg_buf *out, const sg_audit *a)
{
    size_t nkinds, k, i;
    const sg_finding_kind *kinds = sg_finding_kinds(&nkinds);
    int first = 1;
    sg_buf_puts(out, "{");
    for (k = 0; k < nkinds; k++) {
        size_t n = 0;
        for (i = 0; i < a->nrels; i++) {
            const cJSON *f;
            cJSON_ArrayForEach(f, a->rels[i].findings)
            {
                const char *kind = sg_json_str(f, "kind");
                n += kind && strcmp(kind, kinds[k].kind) == 0;
            }
        }
        if (n) {
            json_key(out, kinds[k].kind, &first);
            sg_buf_printf(out, "%zu", n);
        }
    }
    sg_buf_puts(out, "}");
}

int sg_audit_write_json(sg_buf *out, sg_ctx *ctx, sg_audit *a, const sg_audit_write_opts *opts)
{
    sg_audit_counts c;
    size_t i;

    sort_rels(a);
    sg_audit_get_counts(a, &c);
    sg_buf_puts(out, "{\n  \"schema\": \"sourcegate/audit/v1\",\n");
    if (opts && opts->generated_at > 0) {
        sg_buf_puts(out, "  \"generated_at\": \"");
        put_time(out, opts->generated_at, T_ISO);
        sg_buf_puts(out, "\",\n");
    }
    sg_buf_puts(out, "  \"releases\": [");
    for (i = 0; i < a->nrels; i++) {
        sg_buf_puts(out, i ? ",\n    " : "\n    ");
        json_release(out, &a->rels[i]);
    }
    sg_buf_puts(out, a->nrels ? "\n  ],\n  \"errors\": [" : "],\n  \"errors\": [");
    for (i = 0; i < a->nerrs; i++) {
        sg_buf_puts(out, i ? ",\n    " : "\n    ");
        json_error(out, &a->errs[i]);
    }
    sg_buf_puts(out, a->nerrs ? "\n  ],\n" : "],\n");
    sg_buf_printf(out,
                  "  \"counts\": {\"releases\": %zu, \"packages\": %zu, \"pass\": %zu, "
                  "\"fail\": %zu, \"inconclusive\": %zu, \"errors\": %zu, \"findings\": %zu, "
                  "\"by_kind\": ",
                  c.releases, c.packages, c.pass, c.fail, c.inconclusive, c.errors, c.findings);
    json_by_kind(out, a);
    sg_buf_puts(out, "}\n}\n");
    return sg_buf_check(out, ctx, "the audit JSON");
}

/* ---- text ---------------------------------------------------------------------------- */

static const char *verdict_color(sg_verdict v)
{
    return v == SG_VERDICT_PASS ? "\033[32m" : v == SG_VERDICT_FAIL ? "\033[1;31m" : "\033[33m";
}

/* Order for listing: fail, inconclusive, pass; then name and version. */
static int worst_first(const void *pa, const void *pb)
{
    static const int rank[] = {2, 0, 1}; /* pass, fail, inconclusive */
    const audit_rel *x = *(const audit_rel *const *)pa, *y = *(const audit_rel *const *)pb;
    int c = rank[x->verdict] - rank[y->verdict];
    return c ? c : rel_cmp(x, y);
}

/* The releases, worst first, as an array of pointers (sg_free it); NULL when none or on
 * allocation failure (*failed set). */
static const audit_rel **worst_order(const sg_audit *a, int *failed)
{
    const audit_rel **order;
    size_t i;
    if (!a->nrels)
        return NULL;
    if (!(order = sg_calloc(a->nrels, sizeof(*order)))) {
        *failed = 1;
        return NULL;
    }
    for (i = 0; i < a->nrels; i++)
        order[i] = &a->rels[i];
    qsort(order, a->nrels, sizeof(*order), worst_first);
    return order;
}

/* One finding of a release: what a reader needs to act -- kind, path, field and name, both
 * values -- and its detail on the next line. */
static void text_finding_line(sg_buf *out, const cJSON *f, const char *sev)
{
    const char *kind = sg_json_str(f, "kind"), *path = sg_json_str(f, "path");
    const char *field = sg_json_str(f, "field"), *name = sg_json_str(f, "name");
    const char *before = sg_json_str(f, "before"), *after = sg_json_str(f, "after");
    const char *detail = sg_json_str(f, "detail");

    sg_buf_printf(out, "      %-8s ", sev);
    sg_buf_put_display(out, kind ? kind : "?");
    if (path) {
        sg_buf_putc(out, ' ');
        sg_buf_put_display(out, path);
    }
    if (field) {
        sg_buf_putc(out, ' ');
        sg_buf_put_display(out, field);
        if (name)
            sg_buf_putc(out, '.');
    } else if (name) {
        sg_buf_putc(out, ' ');
    }
    sg_buf_put_display(out, name);
    if (before || after) {
        sg_buf_puts(out, ": ");
        sg_buf_put_display(out, before ? before : "(none)");
        sg_buf_puts(out, " -> ");
        sg_buf_put_display(out, after ? after : "(none)");
    }
    if (detail && *detail) {
        sg_buf_printf(out, "\n      %8s ", "");
        sg_buf_put_display(out, detail);
    }
    sg_buf_putc(out, '\n');
}

static void text_release(sg_buf *out, const audit_rel *r, unsigned flags)
{
    int color = (flags & SG_TEXT_COLOR) != 0;
    size_t n = (size_t)cJSON_GetArraySize(r->findings);
    const cJSON *f;
    sg_buf_printf(out, "  %s%-12s%s ", color ? verdict_color(r->verdict) : "",
                  sg_verdict_name(r->verdict), color ? "\033[0m" : "");
    sg_buf_put_display(out, r->name);
    sg_buf_putc(out, '@');
    sg_buf_put_display(out, r->version);
    if (n)
        sg_buf_printf(out, "  %zu finding%s, highest %s", n, n == 1 ? "" : "s",
                      r->max_sev >= 0 ? sg_severity_name((sg_severity)r->max_sev) : "unknown");
    if (r->note) {
        sg_buf_puts(out, "  (");
        sg_buf_put_display(out, r->note);
        sg_buf_putc(out, ')');
    }
    sg_buf_putc(out, '\n');
    if (!(flags & SG_TEXT_VERBOSE) && r->verdict == SG_VERDICT_PASS)
        return;
    cJSON_ArrayForEach(f, r->findings)
    {
        const char *sev = sg_json_str(f, "severity");
        sg_severity s;
        if (!(flags & SG_TEXT_VERBOSE) &&
            (!sev || sg_severity_parse(&s, sev) < 0 || s < SG_SEV_MEDIUM))
            continue;
        text_finding_line(out, f, sev && sg_severity_parse(&s, sev) == 0 ? sev : "?");
    }
}

int sg_audit_write_text(sg_buf *out, sg_ctx *ctx, sg_audit *a, const sg_audit_write_opts *opts)
{
    unsigned flags = opts ? opts->text_flags : 0;
    const audit_rel **order;
    sg_audit_counts c;
    size_t i;
    int failed = 0;

    sort_rels(a);
    sg_audit_get_counts(a, &c);
    if (!(order = worst_order(a, &failed)) && failed)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory writing the audit summary");
    sg_buf_printf(out,
                  "sourcegate audit: %zu release%s of %zu package%s: %zu pass, %zu fail, %zu "
                  "inconclusive; %zu error%s\n",
                  c.releases, c.releases == 1 ? "" : "s", c.packages, c.packages == 1 ? "" : "s",
                  c.pass, c.fail, c.inconclusive, c.errors, c.errors == 1 ? "" : "s");
    if (a->nrels)
        sg_buf_putc(out, '\n');
    for (i = 0; i < a->nrels; i++)
        text_release(out, order[i], flags);
    if (a->nerrs)
        sg_buf_puts(out, "\nerrors:\n");
    for (i = 0; i < a->nerrs; i++)
        sg_buf_printf(out, "  %s@%s: %s (%d attempt%s)\n", a->errs[i].name, a->errs[i].spec,
                      a->errs[i].message, a->errs[i].attempts, a->errs[i].attempts == 1 ? "" : "s");
    sg_free(order);
    return sg_buf_check(out, ctx, "the audit summary");
}

/* ---- HTML ---------------------------------------------------------------------------- */

/* Text or attribute value: every character with a meaning in HTML is escaped. */
static void h(sg_buf *out, const char *s)
{
    const char *p;
    for (p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '&':
            sg_buf_puts(out, "&amp;");
            break;
        case '<':
            sg_buf_puts(out, "&lt;");
            break;
        case '>':
            sg_buf_puts(out, "&gt;");
            break;
        case '"':
            sg_buf_puts(out, "&quot;");
            break;
        case '\'':
            sg_buf_puts(out, "&#39;");
            break;
        default:
            if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
                sg_buf_putc(out, ' '); /* control characters render as nothing useful */
            else
                sg_buf_putc(out, *p);
        }
    }
}

/* A finding's before/after value, cut at HTML_MAX_VALUE bytes (on a character boundary); the
 * JSON report keeps it whole. */
static void h_value(sg_buf *out, const char *s)
{
    size_t n = strlen(s), cut = n;
    char *copy;
    if (n <= HTML_MAX_VALUE) {
        h(out, s);
        return;
    }
    cut = HTML_MAX_VALUE;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    if (!(copy = sg_strndup(s, cut))) {
        out->error = out->error ? out->error : SG_ENOMEM;
        return;
    }
    h(out, copy);
    sg_buf_printf(out, "&hellip; <span class=\"muted\">(%zu bytes)</span>", n);
    sg_free(copy);
}

static const char page_css[] =
    "*{box-sizing:border-box}[hidden]{display:none!important}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "color:#1d2330;background:#f4f6f9}"
    "main{max-width:1120px;margin:0 auto;padding:24px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}"
    ".meta,.muted{color:#5b6475}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;"
    "margin:18px 0}"
    ".card{background:#fff;border-radius:10px;padding:14px 16px;border-top:4px solid #8a94a6;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    ".card .n{display:block;font-size:28px;font-weight:650}.card .l{color:#5b6475}"
    ".card.pass{border-color:#2e7d32}.card.fail{border-color:#c62828}"
    ".card.inconclusive{border-color:#e0a100}.card.error{border-color:#6d4c41}"
    ".charts{display:grid;grid-template-columns:1fr;gap:16px}"
    "figure{margin:0;background:#fff;border-radius:10px;padding:14px 16px;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08);overflow-x:auto}"
    "figcaption{font-weight:600;margin-bottom:8px}"
    "svg text{font:12px system-ui,sans-serif;fill:#1d2330}svg .axis{fill:#5b6475}"
    "rect.pass,.sw.pass{fill:#43a047;background:#43a047}"
    "rect.fail,.sw.fail{fill:#e53935;background:#e53935}"
    "rect.inconclusive,.sw.inconclusive{fill:#f6b300;background:#f6b300}"
    ".legend{margin-top:6px;color:#5b6475}.sw{display:inline-block;width:10px;height:10px;"
    "border-radius:2px;margin:0 4px 0 12px}"
    "#filters{position:sticky;top:0;background:#f4f6f9;padding:10px 0;display:flex;gap:10px;"
    "align-items:center;z-index:1}"
    "#filter{flex:1;max-width:480px;padding:7px 10px;border:1px solid #c3c9d4;border-radius:6px;"
    "font:inherit}select{padding:6px;border-radius:6px;border:1px solid #c3c9d4;font:inherit}"
    "details.rel{background:#fff;border-radius:8px;margin:8px 0;border-left:4px solid #8a94a6;"
    "box-shadow:0 1px 2px rgba(0,0,0,.06)}"
    "details.rel.fail{border-color:#c62828}details.rel.inconclusive{border-color:#e0a100}"
    "summary{cursor:pointer;padding:9px 12px}details .body{padding:0 14px 12px}"
    ".badge{display:inline-block;min-width:92px;text-align:center;border-radius:10px;"
    "padding:1px 8px;font-size:12px;font-weight:600;color:#fff;background:#8a94a6}"
    ".badge.pass{background:#2e7d32}.badge.fail{background:#c62828}"
    ".badge.inconclusive{background:#c88f00}.badge.error{background:#6d4c41}"
    "table{border-collapse:collapse;width:100%;background:#fff}"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e6e9ef;vertical-align:top}"
    "th{font-weight:600;color:#5b6475;font-size:12px}"
    "table.src{width:auto;max-width:100%;margin:6px 0 10px}table.src th{width:110px}"
    "table.findings{table-layout:fixed}table.findings td:nth-child(2){white-space:nowrap;"
    "overflow:hidden;text-overflow:ellipsis}"
    "code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}"
    ".sev{font-weight:600;font-size:12px;text-transform:uppercase}"
    ".sev.critical{color:#b71c1c}.sev.high{color:#d84315}.sev.medium{color:#a86b00}"
    ".sev.low{color:#00838f}.sev.info{color:#6b7280}"
    ".note{color:#6d4c41}footer{margin:32px 0 8px;color:#5b6475;font-size:12px}";

/* The filter: hides the releases, findings and errors that do not match; the counts and the
 * package chart follow what is shown. */
static const char page_js[] =
    "(function(){'use strict';"
    "var box=document.getElementById('filter'),sel=document.getElementById('verdict-filter'),"
    "shown=document.getElementById('shown'),items=document.querySelectorAll('[data-search]'),"
    "rows=document.querySelectorAll('#releases tbody tr'),"
    "errs=document.querySelectorAll('#errors tbody tr'),"
    "bars=document.querySelectorAll('#chart-packages [data-package]'),"
    "total=rows.length,etotal=errs.length;"
    "function set(id,n){var e=document.getElementById('count-'+id);if(e)e.textContent=n;}"
    "function apply(){var q=box.value.trim().toLowerCase(),v=sel.value,i,el,ok,n=0,ne=0,"
    "c={pass:0,fail:0,inconclusive:0},pk=Object.create(null);"
    "for(i=0;i<items.length;i++){el=items[i];"
    "ok=(!q||el.getAttribute('data-search').toLowerCase().indexOf(q)>=0)&&"
    "(v==='all'||el.getAttribute('data-verdict')===v);el.hidden=!ok;}"
    "for(i=0;i<rows.length;i++){el=rows[i];if(el.hidden)continue;n++;"
    "c[el.getAttribute('data-verdict')]=(c[el.getAttribute('data-verdict')]||0)+1;"
    "pk[el.getAttribute('data-package')]=1;}"
    "for(i=0;i<errs.length;i++)if(!errs[i].hidden)ne++;"
    "set('releases',n);set('pass',c.pass);set('fail',c.fail);"
    "set('inconclusive',c.inconclusive);set('errors',ne);"
    "for(i=0;i<bars.length;i++)bars[i].style.opacity=pk[bars[i].getAttribute('data-package')]?"
    "'1':'0.25';"
    "shown.textContent=n+' of '+total+' releases shown'+"
    "(etotal?', '+ne+' of '+etotal+' errors':'');}"
    "var m=/^#q=(.*)$/.exec(location.hash);if(m){try{box.value=decodeURIComponent(m[1]);}"
    "catch(e){box.value='';}}"
    "box.addEventListener('input',apply);sel.addEventListener('change',apply);apply();})();";

typedef struct pkg_row {
    const audit_rel *first; /* first release of the package (name, ecosystem) */
    size_t n[3];            /* releases by verdict: pass, fail, inconclusive */
} pkg_row;

static int pkg_cmp(const void *pa, const void *pb)
{
    const pkg_row *a = pa, *b = pb;
    size_t ta = a->n[0] + a->n[1] + a->n[2], tb = b->n[0] + b->n[1] + b->n[2];
    if (a->n[1] != b->n[1])
        return a->n[1] > b->n[1] ? -1 : 1;
    if (a->n[2] != b->n[2])
        return a->n[2] > b->n[2] ? -1 : 1;
    if (ta != tb)
        return ta > tb ? -1 : 1;
    return strcmp(a->first->name, b->first->name);
}

/* The packages with their counts (rels sorted); *n receives how many. */
static pkg_row *package_rows(const sg_audit *a, size_t *n)
{
    pkg_row *rows;
    size_t i;
    *n = 0;
    if (!a->nrels || !(rows = sg_calloc(a->nrels, sizeof(*rows))))
        return NULL;
    for (i = 0; i < a->nrels; i++) {
        if (!*n || !same_package(rows[*n - 1].first, &a->rels[i]))
            rows[(*n)++].first = &a->rels[i];
        rows[*n - 1].n[a->rels[i].verdict]++;
    }
    qsort(rows, *n, sizeof(*rows), pkg_cmp);
    return rows;
}

static const sg_verdict bar_order[] = {SG_VERDICT_FAIL, SG_VERDICT_INCONCLUSIVE, SG_VERDICT_PASS};

static void svg_legend(sg_buf *out)
{
    sg_buf_puts(out, "<div class=\"legend\"><span class=\"sw fail\"></span>fail"
                     "<span class=\"sw inconclusive\"></span>inconclusive"
                     "<span class=\"sw pass\"></span>pass</div>");
}

/* One package's bar: segments fail, inconclusive, pass, then the counts in words. */
static void package_bar(sg_buf *out, const pkg_row *p, size_t i, size_t max)
{
    const double label_w = 230, bar_w = 420, row_h = 22;
    double x = label_w, y = (double)i * row_h;
    size_t k, total = p->n[0] + p->n[1] + p->n[2];
    int first = 1;

    sg_buf_puts(out, "<g class=\"bar\" data-package=\"");
    h(out, p->first->name);
    sg_buf_printf(out, "\" data-pass=\"%zu\" data-fail=\"%zu\" data-inconclusive=\"%zu\">", p->n[0],
                  p->n[1], p->n[2]);
    sg_buf_printf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", label_w - 8, y + 15);
    h(out, p->first->name);
    sg_buf_puts(out, "</text>");
    for (k = 0; k < SG_ARRAY_SIZE(bar_order); k++) {
        size_t c = p->n[bar_order[k]];
        double w = max ? bar_w * (double)c / (double)max : 0;
        if (!c)
            continue;
        sg_buf_printf(out,
                      "<rect class=\"%s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"16\">"
                      "<title>",
                      sg_verdict_name(bar_order[k]), x, y + 3, w);
        h(out, p->first->name);
        sg_buf_printf(out, ": %zu %s</title></rect>", c, sg_verdict_name(bar_order[k]));
        x += w;
    }
    sg_buf_printf(out, "<text class=\"num\" x=\"%.1f\" y=\"%.0f\">", x + 6, y + 15);
    for (k = 0; k < SG_ARRAY_SIZE(bar_order); k++) {
        size_t c = p->n[bar_order[k]];
        if (!c)
            continue;
        sg_buf_printf(out, "%s%zu %s", first ? "" : ", ", c, sg_verdict_name(bar_order[k]));
        first = 0;
    }
    if (total == 0)
        sg_buf_puts(out, "0");
    sg_buf_puts(out, "</text></g>");
}

static int html_package_chart(sg_buf *out, sg_ctx *ctx, const sg_audit *a)
{
    size_t n = 0, shown, i, max = 0;
    pkg_row *rows = package_rows(a, &n);

    if (a->nrels && !rows)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory drawing the package chart");
    shown = n < CHART_MAX_PACKAGES ? n : CHART_MAX_PACKAGES;
    for (i = 0; i < shown; i++) {
        size_t t = rows[i].n[0] + rows[i].n[1] + rows[i].n[2];
        max = t > max ? t : max;
    }
    sg_buf_puts(out, "<figure><figcaption>Verdicts per package");
    if (shown < n)
        sg_buf_printf(out,
                      " <span class=\"muted\">(the %zu of %zu packages with the most "
                      "failures)</span>",
                      shown, n);
    sg_buf_printf(out,
                  "</figcaption><svg id=\"chart-packages\" xmlns=\"http://www.w3.org/2000/svg\" "
                  "width=\"860\" height=\"%zu\" viewBox=\"0 0 860 %zu\" role=\"img\" "
                  "aria-label=\"verdicts per package\">",
                  shown * 22 + 4, shown * 22 + 4);
    for (i = 0; i < shown; i++)
        package_bar(out, &rows[i], i, max);
    sg_buf_puts(out, "</svg>");
    svg_legend(out);
    sg_buf_puts(out, "</figure>\n");
    sg_free(rows);
    return 0;
}

/* Bucket width for a time span: the smallest of a fixed ladder that gives at most
 * CHART_MAX_BUCKETS bars. */
static int64_t bucket_width(int64_t span)
{
    static const int64_t ladder[] = {60,       300,   900,    3600,    4 * 3600,
                                     6 * 3600, 86400, 604800, 2592000, 31536000};
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(ladder); i++)
        if (span / ladder[i] + 1 <= CHART_MAX_BUCKETS)
            return ladder[i];
    return span / (CHART_MAX_BUCKETS - 1) + 1;
}

static void time_axis(sg_buf *out, int64_t t0, int64_t width, size_t nb, size_t max, double bw)
{
    time_style fmt = width < 86400 ? T_MINUTE : T_DAY;
    size_t ticks[3] = {0, nb / 2, nb - 1}, k;
    sg_buf_printf(out,
                  "<text class=\"axis\" x=\"36\" y=\"18\" text-anchor=\"end\">%zu</text>"
                  "<text class=\"axis\" x=\"36\" y=\"180\" text-anchor=\"end\">0</text>"
                  "<line x1=\"40\" y1=\"180\" x2=\"%.0f\" y2=\"180\" stroke=\"#8a94a6\"/>",
                  max, 40 + bw * (double)nb);
    for (k = 0; k < 3; k++) {
        if (k && ticks[k] == ticks[k - 1])
            continue;
        sg_buf_printf(out, "<text class=\"axis\" x=\"%.0f\" y=\"198\" text-anchor=\"%s\">",
                      40 + bw * (double)ticks[k] + (k == 2 ? bw : 0),
                      k == 0   ? "start"
                      : k == 1 ? "middle"
                               : "end");
        put_time(out, t0 + (int64_t)ticks[k] * width, fmt);
        sg_buf_puts(out, "</text>");
    }
}

static void time_bar(sg_buf *out, const size_t *c, size_t i, size_t max, double bw, int64_t t0,
                     int64_t width)
{
    double y = 180, x = 40 + bw * (double)i;
    size_t k;
    sg_buf_printf(out, "<g class=\"tbar\" data-start=\"");
    put_time(out, t0 + (int64_t)i * width, T_ISO);
    sg_buf_printf(out, "\" data-pass=\"%zu\" data-fail=\"%zu\" data-inconclusive=\"%zu\">", c[0],
                  c[1], c[2]);
    for (k = 0; k < SG_ARRAY_SIZE(bar_order); k++) {
        size_t n = c[bar_order[k]];
        double hgt = max ? 160.0 * (double)n / (double)max : 0;
        if (!n)
            continue;
        y -= hgt;
        sg_buf_printf(out,
                      "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\"><title>",
                      sg_verdict_name(bar_order[k]), x + 1, y, bw > 3 ? bw - 2 : bw, hgt);
        put_time(out, t0 + (int64_t)i * width, T_MINUTE);
        sg_buf_printf(out, ": %zu %s</title></rect>", n, sg_verdict_name(bar_order[k]));
    }
    sg_buf_puts(out, "</g>");
}

/* Releases verified more than RUN_GAP apart belong to different runs. */
#define RUN_GAP 3600

static int time_cmp(const void *pa, const void *pb)
{
    int64_t x = *(const int64_t *)pa, y = *(const int64_t *)pb;
    return (x > y) - (x < y);
}

/* How many audit runs the verification times show: clusters of times with no gap over
 * RUN_GAP. 1 when that cannot be told (out of memory). */
static size_t verification_runs(const sg_audit *a)
{
    int64_t *t = sg_calloc(a->nrels ? a->nrels : 1, sizeof(*t));
    size_t i, n = 0, runs = 0;
    if (!t)
        return 1;
    for (i = 0; i < a->nrels; i++)
        if (a->rels[i].verified_at > 0)
            t[n++] = a->rels[i].verified_at;
    qsort(t, n, sizeof(*t), time_cmp);
    for (i = 0; i < n; i++)
        runs += i == 0 || t[i] - t[i - 1] > RUN_GAP;
    sg_free(t);
    return runs;
}

static int html_time_chart(sg_buf *out, sg_ctx *ctx, const sg_audit *a)
{
    int64_t lo = INT64_MAX, hi = 0, width, t0;
    size_t i, nb, max = 0, (*counts)[3] = NULL;
    double bw;

    for (i = 0; i < a->nrels; i++) {
        int64_t t = a->rels[i].verified_at;
        if (t > 0) {
            lo = t < lo ? t : lo;
            hi = t > hi ? t : hi;
        }
    }
    if (hi == 0 || verification_runs(a) < 2)
        return 0; /* one run is one bar: nothing over time to show */
    sg_buf_puts(out, "<figure><figcaption>Verdicts over time <span class=\"muted\">(by time of "
                     "verification, UTC)</span></figcaption>");
    width = bucket_width(hi - lo);
    t0 = lo - lo % width;
    nb = (size_t)((hi - t0) / width) + 1;
    if (!(counts = sg_calloc(nb, sizeof(*counts))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory drawing the time chart");
    for (i = 0; i < a->nrels; i++)
        if (a->rels[i].verified_at > 0)
            counts[(a->rels[i].verified_at - t0) / width][a->rels[i].verdict]++;
    for (i = 0; i < nb; i++)
        max = counts[i][0] + counts[i][1] + counts[i][2] > max
                  ? counts[i][0] + counts[i][1] + counts[i][2]
                  : max;
    bw = nb ? 780.0 / (double)nb : 780.0;
    bw = bw > 60 ? 60 : bw;
    sg_buf_puts(out, "<svg id=\"chart-time\" xmlns=\"http://www.w3.org/2000/svg\" width=\"860\" "
                     "height=\"206\" viewBox=\"0 0 860 206\" role=\"img\" aria-label=\"verdicts "
                     "over time\">");
    time_axis(out, t0, width, nb, max, bw);
    for (i = 0; i < nb; i++)
        time_bar(out, counts[i], i, max, bw, t0, width);
    sg_buf_puts(out, "</svg>");
    svg_legend(out);
    sg_buf_puts(out, "</figure>\n");
    sg_free(counts);
    return 0;
}

static void html_card(sg_buf *out, const char *cls, const char *id, size_t n, const char *label)
{
    sg_buf_printf(out,
                  "<div class=\"card %s\"><span class=\"n\" id=\"count-%s\">%zu</span>"
                  "<span class=\"l\">%s</span></div>",
                  cls, id, n, label);
}

/* What data-search holds for a release: name, version, verdict, finding kinds and paths. */
static void search_text(sg_buf *out, const audit_rel *r)
{
    const cJSON *f;
    sg_buf_puts(out, " data-search=\"");
    h(out, r->name);
    sg_buf_putc(out, ' ');
    h(out, r->version);
    sg_buf_printf(out, " %s", sg_verdict_name(r->verdict));
    cJSON_ArrayForEach(f, r->findings)
    {
        const char *kind = sg_json_str(f, "kind"), *path = sg_json_str(f, "path");
        const char *name = sg_json_str(f, "name");
        sg_buf_putc(out, ' ');
        h(out, kind);
        if (path) {
            sg_buf_putc(out, ' ');
            h(out, path);
        }
        if (name) {
            sg_buf_putc(out, ' ');
            h(out, name);
        }
    }
    sg_buf_printf(out, "\" data-verdict=\"%s\"", sg_verdict_name(r->verdict));
}

static void src_row(sg_buf *out, const char *label, const char *value, int code)
{
    if (!value || !*value)
        return;
    sg_buf_printf(out, "<tr><th>%s</th><td>%s", label, code ? "<code>" : "");
    h(out, value);
    sg_buf_printf(out, "%s</td></tr>", code ? "</code>" : "");
}

static void html_source(sg_buf *out, const audit_rel *r)
{
    const cJSON *s = r->source, *c = r->compared;
    sg_buf_puts(out, "<table class=\"src\">");
    src_row(out, "repository", str_of(s, "repository"), 0);
    src_row(out, "commit", str_of(s, "commit"), 1);
    src_row(out, "ref", str_of(s, "ref"), 0);
    src_row(out, "resolved by", str_of(s, "resolved_by"), 0);
    src_row(out, "package folder", str_of(s, "subdir"), 0);
    if (c) {
        src_row(out, "compared with", str_of(c, "ref"), 0);
        src_row(out, "its commit", str_of(c, "commit"), 1);
        src_row(out, "why", str_of(c, "why"), 0);
    }
    src_row(out, "integrity", r->integrity, 1);
    if (!str_of(s, "repository"))
        sg_buf_puts(out, "<tr><th>repository</th><td class=\"muted\">none found</td></tr>");
    sg_buf_puts(out, "</table>");
}

static void html_finding(sg_buf *out, const cJSON *f)
{
    const char *sev = sg_json_str(f, "severity"), *path = sg_json_str(f, "path");
    const char *field = sg_json_str(f, "field"), *name = sg_json_str(f, "name");
    const char *before = sg_json_str(f, "before"), *after = sg_json_str(f, "after");
    sg_severity s;
    const char *cls = sev && sg_severity_parse(&s, sev) == 0 ? sg_severity_name(s) : "info";

    sg_buf_printf(out, "<tr><td><span class=\"sev %s\">", cls);
    h(out, sev ? sev : "?");
    sg_buf_puts(out, "</span></td><td>");
    h(out, sg_json_str(f, "kind"));
    sg_buf_puts(out, "</td><td><code>");
    h(out, path);
    if (field) {
        sg_buf_puts(out, path ? " " : "");
        h(out, field);
        sg_buf_puts(out, name ? "." : "");
    } else if (name && path) {
        sg_buf_putc(out, ' ');
    }
    h(out, name);
    sg_buf_puts(out, "</code></td><td>");
    if (before || after) {
        sg_buf_puts(out, "<code>");
        h_value(out, before ? before : "(none)");
        sg_buf_puts(out, "</code> &rarr; <code>");
        h_value(out, after ? after : "(none)");
        sg_buf_puts(out, "</code>");
    }
    sg_buf_puts(out, "</td><td>");
    h(out, sg_json_str(f, "detail"));
    sg_buf_puts(out, "</td></tr>");
}

/* The findings of one severity and kind in a release: how many, the folders they are in, the
 * first one (the stored order is worst first). */
typedef struct html_group {
    const char *sev, *kind;  /* the key (borrowed from the report) */
    const cJSON *first;      /* its first finding */
    size_t count;            /* findings in the group */
    sg_diff_folders folders; /* the top folders they are in */
} html_group;

/* Group the findings; *n receives the number of groups (at most HTML_MAX_GROUPS: findings of
 * further groups are counted in *left_out). */
static size_t html_groups(html_group *g, const cJSON *findings, size_t *left_out)
{
    const cJSON *f;
    size_t n = 0, k;
    *left_out = 0;
    cJSON_ArrayForEach(f, findings)
    {
        const char *sev = sg_json_str(f, "severity"), *kind = sg_json_str(f, "kind");
        sev = sev ? sev : "?";
        kind = kind ? kind : "?";
        for (k = 0; k < n && !(strcmp(g[k].sev, sev) == 0 && strcmp(g[k].kind, kind) == 0); k++)
            ;
        if (k == n) {
            if (n == HTML_MAX_GROUPS) {
                (*left_out)++;
                continue;
            }
            memset(&g[n], 0, sizeof(g[n]));
            g[n].sev = sev;
            g[n].kind = kind;
            g[n].first = f;
            n++;
        }
        g[k].count++;
        sg_diff__folders_add(&g[k].folders, sg_json_str(f, "path"));
    }
    return n;
}

/* One row per severity and kind: "2,382 under _lib/, locale/, ... e.g. _lib/a.js". */
static void html_group_rows(sg_buf *out, const cJSON *findings)
{
    html_group g[HTML_MAX_GROUPS];
    size_t n, i, k, left_out;
    sg_severity s;

    n = html_groups(g, findings, &left_out);
    sg_buf_puts(out, "<table class=\"findings groups\"><colgroup><col style=\"width:80px\">"
                     "<col style=\"width:150px\"><col style=\"width:45%\"><col></colgroup>"
                     "<thead><tr><th>severity</th><th>kind</th><th>findings</th><th>for "
                     "example</th></tr></thead><tbody>");
    for (i = 0; i < n; i++) {
        const char *path = sg_json_str(g[i].first, "path"),
                   *field = sg_json_str(g[i].first, "field");
        sg_buf_printf(out, "<tr><td><span class=\"sev %s\">",
                      sg_severity_parse(&s, g[i].sev) == 0 ? sg_severity_name(s) : "info");
        h(out, g[i].sev);
        sg_buf_puts(out, "</span></td><td>");
        h(out, g[i].kind);
        sg_buf_printf(out, "</td><td><b>%zu</b>", g[i].count);
        for (k = 0; k < g[i].folders.n; k++) {
            sg_buf_puts(out, k ? ", <code>" : " under <code>");
            if (g[i].folders.len[k]) {
                char folder[256];
                size_t len = g[i].folders.len[k] < sizeof(folder) - 1 ? g[i].folders.len[k]
                                                                      : sizeof(folder) - 1;
                memcpy(folder, g[i].folders.name[k], len);
                folder[len] = '\0';
                h(out, folder);
            } else {
                sg_buf_puts(out, "./");
            }
            sg_buf_puts(out, "</code>");
        }
        sg_buf_puts(out,
                    g[i].folders.more ? " and other folders</td><td><code>" : "</td><td><code>");
        h(out, path ? path : field);
        sg_buf_puts(out, "</code> ");
        h(out, sg_json_str(g[i].first, "detail"));
        sg_buf_puts(out, "</td></tr>");
    }
    if (left_out)
        sg_buf_printf(out,
                      "<tr><td colspan=\"4\" class=\"muted\">%zu findings of further "
                      "kinds: see the full list</td></tr>",
                      left_out);
    sg_buf_puts(out, "</tbody></table>");
}

/* Every finding, up to HTML_MAX_FINDINGS. */
static void html_finding_table(sg_buf *out, const cJSON *findings, size_t n)
{
    const cJSON *f;
    size_t i = 0;
    sg_buf_puts(out, "<table class=\"findings\"><colgroup><col style=\"width:80px\">"
                     "<col style=\"width:150px\"><col style=\"width:30%\">"
                     "<col style=\"width:20%\"><col></colgroup><thead><tr><th>severity</th>"
                     "<th>kind</th><th>where</th><th>change</th><th>detail</th></tr></thead>"
                     "<tbody>");
    cJSON_ArrayForEach(f, findings)
    {
        if (i++ == HTML_MAX_FINDINGS)
            break;
        html_finding(out, f);
    }
    sg_buf_puts(out, "</tbody></table>");
    if (n > HTML_MAX_FINDINGS)
        sg_buf_printf(out, "<p class=\"muted\">%zu more findings in the JSON report.</p>",
                      n - HTML_MAX_FINDINGS);
}

static void html_problem(sg_buf *out, const audit_rel *r)
{
    size_t n = (size_t)cJSON_GetArraySize(r->findings);
    const char *v = sg_verdict_name(r->verdict);

    sg_buf_printf(out, "<details class=\"rel %s\"", v);
    search_text(out, r);
    sg_buf_printf(out, "><summary><span class=\"badge %s\">%s</span> <b>", v, v);
    h(out, r->name);
    sg_buf_puts(out, "</b>@");
    h(out, r->version);
    sg_buf_printf(out, " <span class=\"muted\">&mdash; %zu finding%s", n, n == 1 ? "" : "s");
    if (r->max_sev >= 0)
        sg_buf_printf(out, ", highest %s", sg_severity_name((sg_severity)r->max_sev));
    sg_buf_puts(out, " &middot; verified ");
    put_time(out, r->verified_at, T_MINUTE_UTC);
    sg_buf_puts(out, "</span></summary><div class=\"body\">");
    html_source(out, r);
    if (r->note) {
        sg_buf_puts(out, "<p class=\"note\">");
        h(out, r->note);
        sg_buf_puts(out, "</p>");
    }
    if (n && n <= HTML_FEW_FINDINGS) {
        html_finding_table(out, r->findings, n);
    } else if (n) { /* the groups, and the full list on demand (a closed details: no layout) */
        html_group_rows(out, r->findings);
        sg_buf_printf(out, "<details class=\"all\"><summary>All %zu findings</summary>", n);
        html_finding_table(out, r->findings, n);
        sg_buf_puts(out, "</details>");
    }
    sg_buf_puts(out, "</div></details>\n");
}

static void html_problems(sg_buf *out, const audit_rel *const *order, size_t n,
                          const sg_audit_counts *c)
{
    size_t i, shown = c->fail + c->inconclusive;
    sg_buf_printf(out, "<section id=\"problems\"><h2>Failing and inconclusive releases (%zu)</h2>",
                  shown);
    if (!shown)
        sg_buf_puts(out, "<p class=\"muted\">None: every release passed.</p>");
    for (i = 0; i < n && order[i]->verdict != SG_VERDICT_PASS; i++)
        html_problem(out, order[i]); /* collapsed: the summary stays in view */
    sg_buf_puts(out, "</section>\n");
}

#define DELTA_SHOWN 3 /* changes named in the column; the rest are counted */

/* The report's delta since the previous release in a few words (docs/report-format.md). */
static void html_delta(sg_buf *out, const audit_rel *r)
{
    const char *status = str_of(r->delta, "status");
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(r->delta, "changes"), *c;
    int n = 0, total = cJSON_GetArraySize(changes);

    if (!status)
        return;
    if (strcmp(status, "compared") != 0) { /* first-release, unavailable, skipped */
        sg_buf_puts(out, "<span class=\"muted\">");
        h(out, status);
        sg_buf_puts(out, "</span>");
        return;
    }
    sg_buf_puts(out, "since ");
    h(out, str_of(r->delta, "previous"));
    if (total == 0)
        sg_buf_puts(out, ": no change");
    cJSON_ArrayForEach(c, changes)
    {
        const char *what = str_of(c, "change"), *name = str_of(c, "name");
        if (n == DELTA_SHOWN)
            break;
        sg_buf_puts(out, n++ ? ", " : ": ");
        sg_buf_puts(out, !what                      ? ""
                         : !strcmp(what, "added")   ? "+"
                         : !strcmp(what, "removed") ? "&minus;"
                                                    : "~");
        h(out, str_of(c, "field"));
        if (name) {
            sg_buf_putc(out, ' ');
            h(out, name);
        }
    }
    if (total > n)
        sg_buf_printf(out, " and %d more", total - n);
}

static void html_all(sg_buf *out, const sg_audit *a)
{
    size_t i;
    sg_buf_puts(out, "<section id=\"all\"><h2>All releases</h2><table id=\"releases\"><thead>"
                     "<tr><th>verdict</th><th>package</th><th>version</th><th>findings</th>"
                     "<th>highest</th><th>source found by</th><th>since the previous release</th>"
                     "<th>verified (UTC)</th></tr>"
                     "</thead><tbody>\n");
    for (i = 0; i < a->nrels; i++) {
        const audit_rel *r = &a->rels[i];
        const char *v = sg_verdict_name(r->verdict);
        sg_buf_puts(out, "<tr data-package=\"");
        h(out, r->name);
        sg_buf_putc(out, '"');
        search_text(out, r);
        sg_buf_printf(out, "><td><span class=\"badge %s\">%s</span></td><td>", v, v);
        h(out, r->name);
        sg_buf_puts(out, "</td><td>");
        h(out, r->version);
        sg_buf_printf(out, "</td><td>%d</td><td>%s</td><td>", cJSON_GetArraySize(r->findings),
                      r->max_sev >= 0 ? sg_severity_name((sg_severity)r->max_sev) : "");
        h(out, str_of(r->source, "resolved_by"));
        sg_buf_puts(out, "</td><td>");
        html_delta(out, r);
        sg_buf_puts(out, "</td><td>");
        put_time(out, r->verified_at, T_MINUTE);
        sg_buf_puts(out, "</td></tr>\n");
    }
    sg_buf_puts(out, "</tbody></table></section>\n");
}

static void html_errors(sg_buf *out, const sg_audit *a)
{
    size_t i;
    if (!a->nerrs)
        return;
    sg_buf_printf(out,
                  "<section id=\"errors\"><h2>Not verified: errors (%zu)</h2><table><thead>"
                  "<tr><th>package</th><th>as listed</th><th>error</th><th>attempts</th>"
                  "</tr></thead><tbody>",
                  a->nerrs);
    for (i = 0; i < a->nerrs; i++) {
        const audit_err *e = &a->errs[i];
        sg_buf_puts(out, "<tr data-verdict=\"error\" data-search=\"");
        h(out, e->name);
        sg_buf_puts(out, " error\"><td>");
        h(out, e->name);
        sg_buf_puts(out, "</td><td>");
        h(out, e->spec);
        sg_buf_puts(out, "</td><td>");
        h(out, e->message);
        sg_buf_printf(out, "</td><td>%d</td></tr>", e->attempts);
    }
    sg_buf_puts(out, "</tbody></table></section>\n");
}

static void html_head(sg_buf *out, const char *title)
{
    sg_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                     "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>");
    h(out, title);
    sg_buf_printf(out, "</title>\n<style>%s</style></head>\n<body><main>\n<h1>", page_css);
    h(out, title);
    sg_buf_puts(out, "</h1>");
}

static void html_summary(sg_buf *out, const sg_audit_counts *c, const sg_audit_write_opts *o)
{
    sg_buf_printf(out, "<p class=\"meta\">%zu release%s of %zu package%s", c->releases,
                  c->releases == 1 ? "" : "s", c->packages, c->packages == 1 ? "" : "s");
    if (o && o->generated_at > 0) {
        sg_buf_puts(out, " &middot; generated ");
        put_time(out, o->generated_at, T_MINUTE_UTC);
    }
    sg_buf_puts(out, "</p>\n<section id=\"summary\" class=\"cards\">");
    html_card(out, "total", "releases", c->releases, "releases");
    html_card(out, "pass", "pass", c->pass, "pass");
    html_card(out, "fail", "fail", c->fail, "fail");
    html_card(out, "inconclusive", "inconclusive", c->inconclusive, "inconclusive");
    html_card(out, "error", "errors", c->errors, "errors");
    sg_buf_puts(out, "</section>\n<section class=\"charts\">");
}

int sg_audit_write_html(sg_buf *out, sg_ctx *ctx, sg_audit *a, const sg_audit_write_opts *opts)
{
    const char *title = opts && opts->title ? opts->title : "sourcegate audit";
    const audit_rel **order;
    sg_audit_counts c;
    int error, failed = 0;

    sort_rels(a);
    sg_audit_get_counts(a, &c);
    if (!(order = worst_order(a, &failed)) && failed)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory writing the audit page");
    html_head(out, title);
    html_summary(out, &c, opts);
    if ((error = html_package_chart(out, ctx, a)) < 0 || (error = html_time_chart(out, ctx, a)) < 0)
        goto done;
    sg_buf_puts(out, "</section>\n<section id=\"filters\"><input id=\"filter\" type=\"search\" "
                     "placeholder=\"Filter: package, version, finding kind, path\" "
                     "aria-label=\"filter\"><select id=\"verdict-filter\" aria-label=\"verdict\">"
                     "<option value=\"all\">all verdicts</option><option>fail</option>"
                     "<option>inconclusive</option><option>pass</option><option>error</option>"
                     "</select><span id=\"shown\" class=\"muted\"></span></section>\n");
    html_all(out, a);
    html_problems(out, order, a->nrels, &c);
    html_errors(out, a);
    sg_buf_printf(out,
                  "<footer>sourcegate %s &middot; schema sourcegate/audit/v1 &middot; this "
                  "page loads nothing from the network</footer>\n</main><script>%s</script>"
                  "</body></html>\n",
                  sg_version(), page_js);
    error = sg_buf_check(out, ctx, "the audit page");
done:
    sg_free(order);
    return error;
}
