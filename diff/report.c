#include "common/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diff/diff_int.h"
#include "sourcegate/report.h"

struct sg_report {
    sg_arena strings;                         /* every string of the report */
    const char *fields[SG_REPORT__FIELD_COUNT]; /* single-string fields, NULL when unset */
    uint64_t counts[SG_COUNT__COUNT];         /* counters */
    sg_finding *findings;                     /* findings, in order */
    size_t nfindings, cfindings;              /* used, allocated */
    const char **norms;                       /* normalization names, first-added order */
    size_t nnorms, cnorms;                    /* used, allocated */
    const char *inconclusive;                 /* reason, or NULL */
    const char **lists[SG_LIST__COUNT];       /* extra lines: candidates tried, checks */
    size_t nlists[SG_LIST__COUNT], clists[SG_LIST__COUNT]; /* used, allocated */
    sg_verdict verdict;                       /* last decided verdict */
    sg_severity fail_on;                      /* the threshold of that decision */
    sg_delta_status delta_status;             /* whether the delta was computed */
    const char *delta_previous;               /* the version compared with, or NULL */
    const char *delta_note;                   /* why it is unavailable or first, or NULL */
    sg_delta_change *delta;                   /* changes since the previous release */
    size_t ndelta, cdelta;                    /* used, allocated */
    size_t delta_omitted;                     /* changes past SG_DELTA_MAX_CHANGES */
};

int sg_report_new(sg_report **out, sg_ctx *ctx)
{
    *out = sg_calloc(1, sizeof(sg_report));
    if (!*out)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a report");
    return 0;
}

void sg_report_free(sg_report *r)
{
    if (!r)
        return;
    sg_arena_dispose(&r->strings);
    sg_free(r->findings);
    sg_free(r->norms);
    sg_free(r->delta);
    for (size_t i = 0; i < SG_LIST__COUNT; i++)
        sg_free(r->lists[i]);
    sg_free(r);
}

static const char *dup_or_null(sg_report *r, const char *s, int *failed)
{
    const char *d;
    if (!s)
        return NULL;
    d = sg_arena_strdup(&r->strings, s);
    if (!d)
        *failed = 1;
    return d;
}

int sg_report_set(sg_report *r, sg_ctx *ctx, sg_report_field field, const char *value)
{
    int failed = 0;
    if ((unsigned)field >= SG_REPORT__FIELD_COUNT)
        return sg_error_set(ctx, SG_EINVALID, "unknown report field %d", (int)field);
    r->fields[field] = dup_or_null(r, value, &failed);
    return failed ? sg_error_set(ctx, SG_ENOMEM, "out of memory for the report") : 0;
}

const char *sg_report_get(const sg_report *r, sg_report_field field)
{
    return (unsigned)field < SG_REPORT__FIELD_COUNT ? r->fields[field] : NULL;
}

void sg_report_set_count(sg_report *r, sg_report_counter which, uint64_t value)
{
    if ((unsigned)which < SG_COUNT__COUNT)
        r->counts[which] = value;
}

void sg_report_add_count(sg_report *r, sg_report_counter which, uint64_t delta)
{
    if ((unsigned)which < SG_COUNT__COUNT)
        r->counts[which] += delta;
}

uint64_t sg_report_count(const sg_report *r, sg_report_counter which)
{
    return (unsigned)which < SG_COUNT__COUNT ? r->counts[which] : 0;
}

int sg_report_add(sg_report *r, sg_ctx *ctx, const sg_finding *f)
{
    const sg_finding_kind *k = sg_finding_kind_lookup(f->kind);
    sg_finding *d;
    int failed = 0;

    if (!k)
        return sg_error_set(ctx, SG_EINVALID, "unknown finding kind '%s'",
                            f->kind ? f->kind : "(null)");
    if ((unsigned)f->severity > SG_SEV_CRITICAL)
        return sg_error_set(ctx, SG_EINVALID, "bad severity for finding '%s'", f->kind);
    if (SG_ARRAY_GROW(r->findings, r->cfindings, r->nfindings + 1, 16) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for findings");
    d = &r->findings[r->nfindings];
    d->kind = k->kind; /* static storage */
    d->severity = f->severity;
    d->path = dup_or_null(r, f->path, &failed);
    d->field = dup_or_null(r, f->field, &failed);
    d->name = dup_or_null(r, f->name, &failed);
    d->before = dup_or_null(r, f->before, &failed);
    d->after = dup_or_null(r, f->after, &failed);
    d->detail = dup_or_null(r, f->detail, &failed);
    if (failed)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for findings");
    r->nfindings++;
    return 0;
}

int sg_report_addf(sg_report *r, sg_ctx *ctx, const char *kind, const char *path,
                   const char *fmt, ...)
{
    const sg_finding_kind *k = sg_finding_kind_lookup(kind);
    sg_finding f = {0};
    char detail[1024];
    va_list ap;

    if (!k)
        return sg_error_set(ctx, SG_EINVALID, "unknown finding kind '%s'", kind ? kind : "");
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    f.kind = kind;
    f.severity = k->severity;
    f.path = path;
    f.detail = detail;
    return sg_report_add(r, ctx, &f);
}

size_t sg_report_finding_count(const sg_report *r)
{
    return r->nfindings;
}

const sg_finding *sg_report_finding(const sg_report *r, size_t i)
{
    return i < r->nfindings ? &r->findings[i] : NULL;
}

int sg_report_add_normalization(sg_report *r, sg_ctx *ctx, const char *name)
{
    size_t i;
    const char *d;
    for (i = 0; i < r->nnorms; i++)
        if (strcmp(r->norms[i], name) == 0)
            return 0;
    if (SG_ARRAY_GROW(r->norms, r->cnorms, r->nnorms + 1, 16) < 0 ||
        !(d = sg_arena_strdup(&r->strings, name)))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for normalizations");
    r->norms[r->nnorms++] = d;
    return 0;
}

size_t sg_report_normalization_count(const sg_report *r)
{
    return r->nnorms;
}

const char *sg_report_normalization(const sg_report *r, size_t i)
{
    return i < r->nnorms ? r->norms[i] : NULL;
}

int sg_report_list_add(sg_report *r, sg_ctx *ctx, sg_report_list which, const char *line)
{
    const char *d;
    if ((unsigned)which >= SG_LIST__COUNT || !line)
        return sg_error_set(ctx, SG_EINVALID, "bad report list");
    if (SG_ARRAY_GROW(r->lists[which], r->clists[which], r->nlists[which] + 1, 16) < 0 ||
        !(d = sg_arena_strdup(&r->strings, line)))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for the report");
    r->lists[which][r->nlists[which]++] = d;
    return 0;
}

size_t sg_report_list_count(const sg_report *r, sg_report_list which)
{
    return (unsigned)which < SG_LIST__COUNT ? r->nlists[which] : 0;
}

const char *sg_report_list_get(const sg_report *r, sg_report_list which, size_t i)
{
    return (unsigned)which < SG_LIST__COUNT && i < r->nlists[which] ? r->lists[which][i] : NULL;
}

static void put_list(sg_buf *out, const sg_report *r, sg_report_list which)
{
    size_t i;
    sg_buf_puts(out, "[");
    for (i = 0; i < r->nlists[which]; i++) {
        if (i)
            sg_buf_puts(out, ", ");
        sg_json_put_string(out, r->lists[which][i]);
    }
    sg_buf_puts(out, "]");
}

int sg_report_set_inconclusive(sg_report *r, sg_ctx *ctx, const char *reason)
{
    int failed = 0;
    if (r->inconclusive)
        return 0; /* keep the first reason */
    r->inconclusive = dup_or_null(r, reason ? reason : "inconclusive", &failed);
    return failed ? sg_error_set(ctx, SG_ENOMEM, "out of memory for the report") : 0;
}

/* ---- the delta since the previous release ---- */

const char *sg_delta_status_name(sg_delta_status status)
{
    static const char *const names[] = {"none", "compared", "first-release", "unavailable",
                                        "skipped"};
    return (unsigned)status < sizeof(names) / sizeof(names[0]) ? names[status] : "none";
}

int sg_report_delta_set(sg_report *r, sg_ctx *ctx, sg_delta_status status, const char *previous,
                        const char *note)
{
    int failed = 0;
    r->delta_status = status;
    r->delta_previous = dup_or_null(r, previous, &failed);
    r->delta_note = dup_or_null(r, note, &failed);
    return failed ? sg_error_set(ctx, SG_ENOMEM, "out of memory for the report") : 0;
}

int sg_report_delta_add(sg_report *r, sg_ctx *ctx, const sg_delta_change *c)
{
    sg_delta_change *d;
    int failed = 0;

    if (r->ndelta >= SG_DELTA_MAX_CHANGES) {
        r->delta_omitted++;
        return 0;
    }
    if (SG_ARRAY_GROW(r->delta, r->cdelta, r->ndelta + 1, 16) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for the delta");
    d = &r->delta[r->ndelta];
    d->change = dup_or_null(r, c->change, &failed);
    d->field = dup_or_null(r, c->field, &failed);
    d->name = dup_or_null(r, c->name, &failed);
    d->before = dup_or_null(r, c->before, &failed);
    d->after = dup_or_null(r, c->after, &failed);
    if (failed)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for the delta");
    r->ndelta++;
    return 0;
}

sg_delta_status sg_report_delta_status(const sg_report *r, const char **previous,
                                       const char **note)
{
    if (previous)
        *previous = r->delta_previous;
    if (note)
        *note = r->delta_note;
    return r->delta_status;
}

size_t sg_report_delta_count(const sg_report *r)
{
    return r->ndelta;
}

const sg_delta_change *sg_report_delta_change(const sg_report *r, size_t i)
{
    return i < r->ndelta ? &r->delta[i] : NULL;
}

size_t sg_report_delta_omitted(const sg_report *r)
{
    return r->delta_omitted;
}

static int strcmp_null(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int finding_cmp(const void *pa, const void *pb)
{
    const sg_finding *a = pa, *b = pb;
    int c;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    if ((c = strcmp(a->kind, b->kind)) != 0)
        return c;
    if ((c = strcmp_null(a->path, b->path)) != 0)
        return c;
    if ((c = strcmp_null(a->field, b->field)) != 0)
        return c;
    if ((c = strcmp_null(a->name, b->name)) != 0)
        return c;
    return strcmp_null(a->detail, b->detail);
}

static int makes_inconclusive(const char *kind)
{
    size_t n = 0, i;
    const char *const *kinds = sg_finding_kinds_inconclusive(&n);
    for (i = 0; i < n; i++)
        if (strcmp(kind, kinds[i]) == 0)
            return 1;
    return 0;
}

sg_verdict sg_report_decide(sg_report *r, sg_severity fail_on)
{
    size_t i;
    int inconclusive = r->inconclusive != NULL, fail = 0;

    if (r->nfindings > 1)
        qsort(r->findings, r->nfindings, sizeof(sg_finding), finding_cmp);
    for (i = 0; i < r->nfindings; i++) {
        if (r->findings[i].severity >= fail_on)
            fail = 1;
        if (makes_inconclusive(r->findings[i].kind))
            inconclusive = 1;
    }
    r->fail_on = fail_on;
    r->verdict = fail ? SG_VERDICT_FAIL : inconclusive ? SG_VERDICT_INCONCLUSIVE : SG_VERDICT_PASS;
    return r->verdict;
}

sg_verdict sg_report_verdict(const sg_report *r)
{
    return r->verdict;
}

int sg_report_max_severity(const sg_report *r)
{
    int max = -1;
    size_t i;
    for (i = 0; i < r->nfindings; i++)
        if ((int)r->findings[i].severity > max)
            max = (int)r->findings[i].severity;
    return max;
}

/* ---- JSON ---- */

static void put_member(sg_buf *out, const char *key, const char *value, int *first)
{
    if (!*first)
        sg_buf_puts(out, ", ");
    *first = 0;
    sg_json_put_string(out, key);
    sg_buf_puts(out, ": ");
    sg_json_put_string(out, value);
}

/* The rebuild's recipe (issue 15), a JSON object kept as text: written again from its parse,
 * so the report stays valid JSON whatever the text holds. */
static void put_recipe(sg_buf *out, const char *text)
{
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    if (cJSON_IsObject(v)) {
        sg_buf_puts(out, ", \"recipe\": ");
        sg_json_put_value(out, v);
    }
    cJSON_Delete(v);
}

/* The recipe in one line of the text report: "npm 10.8.2, node v20.20.2, install frozen, ...". */
static void text_recipe(sg_buf *out, const char *text)
{
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    const char *pmv = sg_json_str(v, "package_manager_version");
    const char *pf = sg_json_str(v, "publish_folder");
    sg_buf line = SG_BUF_INIT;
    if (cJSON_IsObject(v)) {
        sg_buf_printf(&line, "%s%s%s, node %s, install %s, %d commands, %d skipped",
                      sg_json_str(v, "package_manager") ? sg_json_str(v, "package_manager") : "?",
                      pmv && *pmv ? " " : "", pmv ? pmv : "",
                      sg_json_str(v, "node") ? sg_json_str(v, "node") : "?",
                      sg_json_str(v, "install") ? sg_json_str(v, "install") : "?",
                      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "commands")),
                      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "skipped")));
        if (pf && *pf)
            sg_buf_printf(&line, ", published from '%s'", pf);
        sg_buf_puts(out, "            recipe ");
        sg_buf_put_shown(out, line.ptr, line.size, 400, SG_SHOW_HEX);
        sg_buf_putc(out, '\n');
    }
    sg_buf_dispose(&line);
    cJSON_Delete(v);
}

static void put_finding(sg_buf *out, const sg_finding *f)
{
    int first = 1;
    sg_buf_puts(out, "{");
    put_member(out, "kind", f->kind, &first);
    put_member(out, "severity", sg_severity_name(f->severity), &first);
    if (f->path)
        put_member(out, "path", f->path, &first);
    if (f->field)
        put_member(out, "field", f->field, &first);
    if (f->name)
        put_member(out, "name", f->name, &first);
    if (f->before)
        put_member(out, "before", f->before, &first);
    if (f->after)
        put_member(out, "after", f->after, &first);
    if (f->detail)
        put_member(out, "detail", f->detail, &first);
    sg_buf_puts(out, "}");
}

/* artifact.stage: only for verify --stage (docs/report-format.md). */
static void put_stage(sg_buf *out, const char *const *F)
{
    int first = 1;
    if (!F[SG_REPORT_STAGE_ID])
        return;
    sg_buf_puts(out, ", \"stage\": {");
    put_member(out, "id", F[SG_REPORT_STAGE_ID], &first);
    put_member(out, "staged_by", F[SG_REPORT_STAGE_ACTOR], &first);
    put_member(out, "created", F[SG_REPORT_STAGE_CREATED], &first);
    put_member(out, "tag", F[SG_REPORT_STAGE_TAG], &first);
    put_member(out, "status", F[SG_REPORT_STAGE_STATUS], &first);
    sg_buf_puts(out, "}");
}

/* "delta": only in registry mode (docs/report-format.md). */
static void put_delta(sg_buf *out, const sg_report *r)
{
    size_t i;
    int first = 1;

    if (r->delta_status == SG_DELTA_NONE)
        return;
    sg_buf_puts(out, "  \"delta\": {");
    put_member(out, "status", sg_delta_status_name(r->delta_status), &first);
    put_member(out, "previous", r->delta_previous, &first);
    put_member(out, "note", r->delta_note, &first);
    sg_buf_puts(out, ", \"changes\": [");
    for (i = 0; i < r->ndelta; i++) {
        const sg_delta_change *c = &r->delta[i];
        first = 1;
        sg_buf_puts(out, i ? ",\n    {" : "\n    {");
        put_member(out, "change", c->change, &first);
        put_member(out, "field", c->field, &first);
        if (c->name)
            put_member(out, "name", c->name, &first);
        if (c->before)
            put_member(out, "before", c->before, &first);
        if (c->after)
            put_member(out, "after", c->after, &first);
        sg_buf_puts(out, "}");
    }
    sg_buf_printf(out, "%s], \"omitted\": %zu},\n", r->ndelta ? "\n  " : "", r->delta_omitted);
}

int sg_report_write_json(sg_buf *out, sg_ctx *ctx, const sg_report *r)
{
    const char *const *F = r->fields;
    size_t i;
    int first;

    sg_buf_puts(out, "{\n  \"schema\": \"sourcegate/report/v1\", \"schema_version\": \"1.1\",\n  ");
    first = 1;
    put_member(out, "package", F[SG_REPORT_PACKAGE], &first);
    put_member(out, "version", F[SG_REPORT_VERSION], &first);
    put_member(out, "purl", F[SG_REPORT_PURL], &first);
    sg_buf_puts(out, ",\n  ");
    first = 1;
    put_member(out, "verdict", sg_verdict_name(r->verdict), &first);
    sg_buf_puts(out, ",\n  \"artifact\": {");
    first = 1;
    put_member(out, "url", F[SG_REPORT_ARTIFACT_URL], &first);
    put_member(out, "integrity", F[SG_REPORT_ARTIFACT_INTEGRITY], &first);
    put_member(out, "sha256", F[SG_REPORT_ARTIFACT_SHA256], &first);
    sg_buf_printf(out, ", \"files\": %llu",
                  (unsigned long long)r->counts[SG_COUNT_ARTIFACT_FILES]);
    put_member(out, "packer", F[SG_REPORT_PACKER], &first);
    put_stage(out, F);
    sg_buf_puts(out, "},\n  \"source\": {");
    first = 1;
    put_member(out, "repository", F[SG_REPORT_SOURCE_REPOSITORY], &first);
    put_member(out, "commit", F[SG_REPORT_SOURCE_COMMIT], &first);
    put_member(out, "ref", F[SG_REPORT_SOURCE_REF], &first);
    put_member(out, "resolved_by", F[SG_REPORT_SOURCE_RESOLVED_BY], &first);
    put_member(out, "subdir", F[SG_REPORT_SOURCE_SUBDIR] ? F[SG_REPORT_SOURCE_SUBDIR] : "",
               &first);
    sg_buf_puts(out, ", \"tried\": ");
    put_list(out, r, SG_LIST_SOURCE_TRIED);
    sg_buf_puts(out, "},\n  \"checks\": ");
    put_list(out, r, SG_LIST_CHECKS);
    if (F[SG_REPORT_REBUILD_STATUS]) {
        sg_buf_puts(out, ",\n  \"rebuild\": {");
        first = 1;
        put_member(out, "status", F[SG_REPORT_REBUILD_STATUS], &first);
        put_member(out, "detail", F[SG_REPORT_REBUILD_DETAIL], &first);
        put_member(out, "log", F[SG_REPORT_REBUILD_LOG], &first);
        sg_buf_puts(out, ", \"steps\": ");
        put_list(out, r, SG_LIST_REBUILD);
        if (F[SG_REPORT_REBUILD_SECOND]) { /* a second, varied build ran (issue 15) */
            put_member(out, "second_build", F[SG_REPORT_REBUILD_SECOND], &first);
            sg_buf_puts(out, ", \"volatile_tokens\": ");
            put_list(out, r, SG_LIST_REBUILD_TOKENS);
        }
        put_recipe(out, F[SG_REPORT_REBUILD_RECIPE]);
        sg_buf_puts(out, "}");
    }
    sg_buf_puts(out, ",\n  \"compared_with\": ");
    if (F[SG_REPORT_COMPARED_REF] || F[SG_REPORT_COMPARED_COMMIT]) {
        sg_buf_puts(out, "{");
        first = 1;
        put_member(out, "ref", F[SG_REPORT_COMPARED_REF], &first);
        put_member(out, "commit", F[SG_REPORT_COMPARED_COMMIT], &first);
        put_member(out, "why", F[SG_REPORT_COMPARED_WHY], &first);
        sg_buf_puts(out, "}");
    } else {
        sg_buf_puts(out, "null");
    }
    sg_buf_puts(out, ",\n  \"normalizations\": [");
    for (i = 0; i < r->nnorms; i++) {
        if (i)
            sg_buf_puts(out, ", ");
        sg_json_put_string(out, r->norms[i]);
    }
    sg_buf_puts(out, "],\n  \"findings\": [");
    for (i = 0; i < r->nfindings; i++) {
        sg_buf_puts(out, i ? ",\n    " : "\n    ");
        put_finding(out, &r->findings[i]);
    }
    sg_buf_puts(out, r->nfindings ? "\n  ],\n" : "],\n");
    put_delta(out, r);
    sg_buf_puts(out, "  \"inconclusive_reason\": ");
    sg_json_put_string(out, r->inconclusive);
    sg_buf_printf(out,
                  ",\n  \"counts\": {\"files_same\": %llu, \"files_rebuilt\": %llu, "
                  "\"files_explained\": %llu, \"findings\": %zu}\n}\n",
                  (unsigned long long)r->counts[SG_COUNT_FILES_SAME],
                  (unsigned long long)r->counts[SG_COUNT_FILES_REBUILT],
                  (unsigned long long)r->counts[SG_COUNT_FILES_EXPLAINED], r->nfindings);
    return sg_buf_check(out, ctx, "the JSON report");
}

/* ---- text ---- */

static const char *sev_color(sg_severity s)
{
    switch (s) {
    case SG_SEV_CRITICAL: return "\033[1;31m";
    case SG_SEV_HIGH: return "\033[31m";
    case SG_SEV_MEDIUM: return "\033[33m";
    case SG_SEV_LOW: return "\033[36m";
    default: return "\033[2m";
    }
}

/* Untrusted strings (paths from a tarball, names from package.json) must not drive the
 * terminal: control bytes, including line breaks that could fake a "verdict:" line, are
 * shown as \xHH in the text report (the JSON writer escapes them its own way). */
static const char *esc(sg_arena *a, const char *s)
{
    sg_buf shown = SG_BUF_INIT;
    const char *p, *out = "(unprintable)";
    size_t len;

    if (!s)
        return NULL;
    for (p = s; *p && sg_show_byte(NULL, (unsigned char)*p, SG_SHOW_HEX) == 1; p++)
        ;
    if (!*p)
        return s;
    len = strlen(s);
    if (sg_buf_put_shown(&shown, s, len, len, SG_SHOW_HEX) == 0 &&
        (p = sg_arena_strndup(a, shown.ptr, shown.size)) != NULL)
        out = p;
    sg_buf_dispose(&shown);
    return out;
}

/* "  HIGH     file-added" and, when something follows, the padding to the next column. */
static void text_head(sg_buf *out, sg_severity severity, const char *kind, int more, unsigned flags)
{
    const char *on = (flags & SG_TEXT_COLOR) ? sev_color(severity) : "";
    const char *off = (flags & SG_TEXT_COLOR) ? "\033[0m" : "";
    char sev[16];
    size_t i, n = strlen(sg_severity_name(severity)), klen = strlen(kind);

    for (i = 0; i < n && i < sizeof(sev) - 1; i++)
        sev[i] = (char)(sg_severity_name(severity)[i] - 32);
    sev[i] = '\0';
    sg_buf_printf(out, "  %s%-8s%s %s", on, sev, off, kind);
    if (more)
        sg_buf_printf(out, "%*s", (int)(klen < 18 ? 18 - klen : 0), "");
}

static void text_finding(sg_buf *out, const sg_finding *f, unsigned flags)
{
    text_head(out, f->severity, f->kind, f->path || f->field || f->name || f->before || f->after,
              flags);
    if (f->path)
        sg_buf_printf(out, " %s", f->path);
    if (f->field) {
        sg_buf_printf(out, " %s", f->field);
        if (f->name)
            sg_buf_printf(out, ".%s", f->name);
    } else if (f->name) {
        sg_buf_printf(out, " %s", f->name);
    }
    if (f->before || f->after)
        sg_buf_printf(out, ": %s -> %s", f->before ? f->before : "(none)",
                      f->after ? f->after : "(none)");
    if (f->detail && *f->detail)
        sg_buf_printf(out, "\n  %8s %s", "", f->detail);
    sg_buf_putc(out, '\n');
}

/* n with thousands separators ("2,382"), in buf. */
static const char *thousands(char buf[32], uint64_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n), i, o = 0;
    for (i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

static int finding_shown(const sg_finding *f, unsigned flags)
{
    return f->severity != SG_SEV_INFO || (flags & SG_TEXT_VERBOSE);
}

/* The one-line reason of the verdict, said right after it. */
static void text_reason(sg_buf *out, sg_arena *tmp, const sg_report *r)
{
    size_t i, at_or_above = 0;
    const sg_finding *worst = r->nfindings ? &r->findings[0] : NULL; /* sorted: worst first */
    char n[32];

    for (i = 0; i < r->nfindings; i++)
        at_or_above += r->findings[i].severity >= r->fail_on;
    sg_buf_puts(out, "  reason    ");
    if (r->verdict == SG_VERDICT_FAIL && worst) {
        sg_buf_printf(out, "%s finding%s at or above %s; the worst: %s %s", thousands(n, at_or_above),
                      at_or_above == 1 ? "" : "s", sg_severity_name(r->fail_on),
                      sg_severity_name(worst->severity), worst->kind);
        if (worst->path)
            sg_buf_printf(out, " %s", esc(tmp, worst->path));
        if (worst->field)
            sg_buf_printf(out, " %s%s%s", esc(tmp, worst->field), worst->name ? "." : "",
                          worst->name ? esc(tmp, worst->name) : "");
    } else if (r->verdict == SG_VERDICT_INCONCLUSIVE) {
        if (r->inconclusive) {
            sg_buf_puts(out, esc(tmp, r->inconclusive));
        } else { /* the first finding that leaves something unverified, and how many do */
            size_t first = r->nfindings, count = 0;
            for (i = 0; i < r->nfindings; i++)
                if (makes_inconclusive(r->findings[i].kind)) {
                    first = first < i ? first : i;
                    count++;
                }
            if (first == r->nfindings) {
                sg_buf_puts(out, "not everything could be verified");
            } else {
                const sg_finding *f = &r->findings[first];
                sg_buf_printf(out, "%s %s finding%s", thousands(n, count), f->kind,
                              count == 1 ? "" : "s, the first");
                if (f->path)
                    sg_buf_printf(out, " %s", esc(tmp, f->path));
                if (f->detail)
                    sg_buf_printf(out, ": %s", esc(tmp, f->detail));
            }
        }
    } else if (r->verdict == SG_VERDICT_PASS) {
        sg_buf_printf(out, "every file is the source's, rebuilt or explained; no finding at or "
                           "above %s",
                      sg_severity_name(r->fail_on));
    } else {
        sg_buf_puts(out, "not decided");
    }
    sg_buf_putc(out, '\n');
}

/* "findings  4,764: high 2,382, medium 2,382; file-added 4,764" */
static void text_counts(sg_buf *out, const sg_report *r, unsigned flags)
{
    size_t bysev[SG_SEV_CRITICAL + 1] = {0}, i, j, shown = 0;
    const char *sep = "";
    char n[32];
    int s;

    for (i = 0; i < r->nfindings; i++)
        if (finding_shown(&r->findings[i], flags)) {
            bysev[r->findings[i].severity]++;
            shown++;
        }
    if (!shown)
        return;
    sg_buf_printf(out, "  findings  %s:", thousands(n, shown));
    for (s = SG_SEV_CRITICAL; s >= (int)SG_SEV_INFO; s--) {
        if (!bysev[s])
            continue;
        sg_buf_printf(out, "%s %s %s", sep, sg_severity_name((sg_severity)s), thousands(n, bysev[s]));
        sep = ",";
    }
    sep = ";";
    for (i = 0; i < r->nfindings; i++) { /* each kind once, at its first (worst) finding */
        size_t count = 0;
        if (!finding_shown(&r->findings[i], flags))
            continue;
        for (j = 0; j < i && strcmp(r->findings[j].kind, r->findings[i].kind) != 0; j++)
            ;
        if (j < i)
            continue;
        for (j = i; j < r->nfindings; j++)
            count += finding_shown(&r->findings[j], flags) &&
                     strcmp(r->findings[j].kind, r->findings[i].kind) == 0;
        sg_buf_printf(out, "%s %s %s", sep, r->findings[i].kind, thousands(n, count));
        sep = ",";
    }
    sg_buf_putc(out, '\n');
}

void sg_diff__folders_add(sg_diff_folders *f, const char *path)
{
    const char *slash = path ? strchr(path, '/') : NULL;
    size_t len = slash ? (size_t)(slash - path) + 1 : 0, k;
    if (!path)
        return;
    for (k = 0; k < f->n; k++)
        if (f->len[k] == len && strncmp(f->name[k], path, len) == 0)
            return;
    if (f->n == SG_DIFF_FOLDERS) {
        f->more = 1;
        return;
    }
    f->name[f->n] = path;
    f->len[f->n++] = len;
}

#define TEXT_INDIVIDUAL 20 /* the most severe findings always listed one by one */
#define TEXT_EXAMPLES 3    /* folders and paths named for a group */

/* Findings [from, to) of one severity and kind not listed one by one (pick[i] == 0), as one
 * entry: their count, the folders they are in and a few examples. */
static void text_group(sg_buf *out, sg_arena *tmp, const sg_report *r, const char *pick,
                       size_t from, size_t to, unsigned flags)
{
    const sg_finding *f = &r->findings[from];
    sg_diff_folders folders = {{0}, {0}, 0, 0};
    size_t count = 0, ex = 0, i, k;
    char n[32];

    for (i = from; i < to; i++) {
        if (pick[i] || !finding_shown(&r->findings[i], flags))
            continue;
        count++;
        sg_diff__folders_add(&folders, r->findings[i].path);
    }
    text_head(out, f->severity, f->kind, 1, flags);
    sg_buf_printf(out, " %s more", thousands(n, count));
    for (k = 0; k < folders.n; k++)
        sg_buf_printf(out, "%s%s", k ? ", " : " under ",
                      folders.len[k]
                          ? esc(tmp, sg_arena_strndup(tmp, folders.name[k], folders.len[k]))
                          : "the package root");
    if (folders.more)
        sg_buf_puts(out, " and other folders");
    sg_buf_printf(out, "\n  %8s e.g.", "");
    for (i = from; i < to && ex < TEXT_EXAMPLES; i++) {
        const sg_finding *e = &r->findings[i];
        if (pick[i] || !finding_shown(e, flags))
            continue;
        sg_buf_printf(out, "%s %s", ex ? "," : "",
                      e->path ? esc(tmp, e->path) : e->field ? esc(tmp, e->field) : "(manifest)");
        ex++;
    }
    sg_buf_puts(out, count > ex ? ", ... (--all lists every finding)\n" : "\n");
}

static void text_one(sg_buf *out, sg_arena *tmp, const sg_finding *src, unsigned flags)
{
    sg_finding f = *src;
    f.path = esc(tmp, f.path);
    f.field = esc(tmp, f.field);
    f.name = esc(tmp, f.name);
    f.before = esc(tmp, f.before);
    f.after = esc(tmp, f.after);
    f.detail = esc(tmp, f.detail);
    text_finding(out, &f, flags);
}

int sg_report_write_finding_text(sg_buf *out, const sg_finding *finding, unsigned flags,
                                 unsigned indent)
{
    sg_arena tmp = SG_ARENA_INIT;
    sg_buf one = SG_BUF_INIT;
    size_t i;
    int error;

    text_one(&one, &tmp, finding, flags);
    for (i = 0; i < one.size; i++) {
        if (i == 0 || one.ptr[i - 1] == '\n')
            sg_buf_printf(out, "%*s", (int)(indent > 64 ? 64 : indent), "");
        sg_buf_putc(out, one.ptr[i]);
    }
    error = one.error ? one.error : out->error;
    sg_buf_dispose(&one);
    sg_arena_dispose(&tmp);
    return error;
}

/* End of the run of findings of r->findings[from]'s severity and kind (they are sorted so). */
static size_t run_end(const sg_report *r, size_t from)
{
    size_t j = from;
    while (j < r->nfindings && r->findings[j].severity == r->findings[from].severity &&
           strcmp(r->findings[j].kind, r->findings[from].kind) == 0)
        j++;
    return j;
}

/* Which findings are listed one by one: the first of every severity and kind, worst first,
 * then the most severe of the rest, TEXT_INDIVIDUAL in all; every one with SG_TEXT_ALL or
 * when grouping would save nothing. */
static void text_pick(char *pick, const sg_report *r, unsigned flags)
{
    size_t i, shown = 0, picked = 0;

    for (i = 0; i < r->nfindings; i++)
        shown += finding_shown(&r->findings[i], flags);
    for (i = 0; i < r->nfindings; i++)
        pick[i] = finding_shown(&r->findings[i], flags) &&
                  ((flags & SG_TEXT_ALL) || shown <= TEXT_INDIVIDUAL + TEXT_EXAMPLES);
    if ((flags & SG_TEXT_ALL) || shown <= TEXT_INDIVIDUAL + TEXT_EXAMPLES)
        return;
    for (i = 0; i < r->nfindings && picked < TEXT_INDIVIDUAL; i = run_end(r, i)) {
        size_t j;
        for (j = i; j < run_end(r, i) && !finding_shown(&r->findings[j], flags); j++)
            ;
        if (j < run_end(r, i)) {
            pick[j] = 1;
            picked++;
        }
    }
    for (i = 0; i < r->nfindings && picked < TEXT_INDIVIDUAL; i++)
        if (!pick[i] && finding_shown(&r->findings[i], flags)) {
            pick[i] = 1;
            picked++;
        }
}

/* The findings: those text_pick() chose one by one, then the rest of each severity and kind
 * as one entry (or one by one when only a few are left). Returns the number of info findings
 * left out; -1 when out of memory. */
static long text_findings(sg_buf *out, sg_arena *tmp, const sg_report *r, unsigned flags)
{
    size_t i, j, k, left, hidden = 0;
    char *pick = sg_calloc(r->nfindings ? r->nfindings : 1, 1);

    if (!pick)
        return -1;
    text_pick(pick, r, flags);
    for (i = 0; i < r->nfindings; i++) {
        if (pick[i])
            text_one(out, tmp, &r->findings[i], flags);
        else if (!finding_shown(&r->findings[i], flags))
            hidden++;
    }
    for (i = 0; i < r->nfindings; i = j) {
        j = run_end(r, i);
        for (left = 0, k = i; k < j; k++)
            left += !pick[k] && finding_shown(&r->findings[k], flags);
        if (left > 2) {
            text_group(out, tmp, r, pick, i, j, flags);
            continue;
        }
        for (k = i; k < j; k++) /* one or two: the entry would be as long */
            if (!pick[k] && finding_shown(&r->findings[k], flags))
                text_one(out, tmp, &r->findings[k], flags);
    }
    sg_free(pick);
    return (long)hidden;
}

#define TEXT_DELTA_LINES 40 /* changes shown in text without -v */

static int is_presence_fact(const char *field)
{
    return strcmp(field, "provenance") == 0 || strcmp(field, "trusted-publisher") == 0 ||
           strcmp(field, "gitHead") == 0 || strcmp(field, "git-tag") == 0;
}

static void text_delta_change(sg_buf *out, sg_arena *tmp, const sg_delta_change *c,
                              const char *previous)
{
    const char *field = esc(tmp, c->field ? c->field : ""), *name = esc(tmp, c->name);
    const char *before = esc(tmp, c->before), *after = esc(tmp, c->after);
    int removed = strcmp(c->change, "removed") == 0, added = strcmp(c->change, "added") == 0;
    int files = strcmp(field, "files") == 0 || strcmp(field, "size") == 0;

    if (is_presence_fact(field) && (added || removed)) {
        sg_buf_printf(out, "  %s: %s in %s, %s now\n", field, removed ? "present" : "absent",
                      previous, removed ? "absent" : "present");
        return;
    }
    sg_buf_printf(out, "  %c %s", added ? '+' : removed ? '-' : '~', field);
    if (name)
        sg_buf_printf(out, "%c%s", files ? ' ' : '.', name);
    if (added && after)
        sg_buf_printf(out, " %s", after);
    else if (!added && !removed)
        sg_buf_printf(out, ": %s -> %s%s", before ? before : "(none)", after ? after : "(none)",
                      strcmp(field, "size") == 0 ? " bytes" : "");
    sg_buf_putc(out, '\n');
}

/* The delta since the previous release: a short block after the verdict (issue 17). */
static void text_delta(sg_buf *out, sg_arena *tmp, const sg_report *r, unsigned flags)
{
    const char *prev = r->delta_previous ? esc(tmp, r->delta_previous) : "(none)";
    size_t i, shown = r->ndelta;

    switch (r->delta_status) {
    case SG_DELTA_FIRST:
        sg_buf_puts(out, "\ndelta: first release on its line, nothing to compare\n");
        return;
    case SG_DELTA_UNAVAILABLE:
        sg_buf_printf(out, "\ndelta: the previous release %s could not be read: %s\n", prev,
                      r->delta_note ? esc(tmp, r->delta_note) : "unknown reason");
        return;
    case SG_DELTA_COMPARED: break;
    default: return;
    }
    if (r->ndelta == 0) {
        sg_buf_printf(out, "\ndelta since %s: no changes to dependencies, install scripts, "
                           "entry points, files or publishing\n", prev);
        return;
    }
    sg_buf_printf(out, "\ndelta since %s:\n", prev);
    if (!(flags & SG_TEXT_VERBOSE) && shown > TEXT_DELTA_LINES)
        shown = TEXT_DELTA_LINES;
    for (i = 0; i < shown; i++)
        text_delta_change(out, tmp, &r->delta[i], prev);
    if (shown < r->ndelta || r->delta_omitted)
        sg_buf_printf(out, "  (%zu more change%s; -v or --format json shows them)\n",
                      r->ndelta - shown + r->delta_omitted,
                      r->ndelta - shown + r->delta_omitted == 1 ? "" : "s");
}

int sg_report_write_text(sg_buf *out, sg_ctx *ctx, const sg_report *r, unsigned flags)
{
    sg_arena tmp = SG_ARENA_INIT;
    const char *F[SG_REPORT__FIELD_COUNT];
    size_t i, hidden = 0;
    long h;
    int error;

    for (i = 0; i < SG_REPORT__FIELD_COUNT; i++)
        F[i] = esc(&tmp, r->fields[i]);

    sg_buf_printf(out, "%s@%s: %s\n", F[SG_REPORT_PACKAGE] ? F[SG_REPORT_PACKAGE] : "(unnamed)",
                  F[SG_REPORT_VERSION] ? F[SG_REPORT_VERSION] : "(no version)",
                  sg_verdict_name(r->verdict));
    text_reason(out, &tmp, r);
    /* Said first and plainly: with no commit for the version, every finding is about another
     * release's source (issue 14). */
    if (F[SG_REPORT_COMPARED_REF] || F[SG_REPORT_COMPARED_COMMIT])
        sg_buf_printf(out, "  NO COMMIT for this version: the findings below compare the tarball "
                           "with %s, another release\n",
                      F[SG_REPORT_COMPARED_REF] ? F[SG_REPORT_COMPARED_REF]
                                                : F[SG_REPORT_COMPARED_COMMIT]);
    sg_buf_printf(out, "  artifact  %s", F[SG_REPORT_ARTIFACT_URL] ? F[SG_REPORT_ARTIFACT_URL] : "");
    sg_buf_printf(out, " (%llu files", (unsigned long long)r->counts[SG_COUNT_ARTIFACT_FILES]);
    if (F[SG_REPORT_PACKER])
        sg_buf_printf(out, ", packed by %s", F[SG_REPORT_PACKER]);
    sg_buf_puts(out, ")\n");
    if (F[SG_REPORT_ARTIFACT_SHA256])
        sg_buf_printf(out, "  sha256    %s\n", F[SG_REPORT_ARTIFACT_SHA256]);
    if (F[SG_REPORT_STAGE_ID])
        sg_buf_printf(out, "  staged    %s by %s at %s (tag %s, %s)\n", F[SG_REPORT_STAGE_ID],
                      F[SG_REPORT_STAGE_ACTOR] ? F[SG_REPORT_STAGE_ACTOR] : "(unknown)",
                      F[SG_REPORT_STAGE_CREATED] ? F[SG_REPORT_STAGE_CREATED] : "(unknown)",
                      F[SG_REPORT_STAGE_TAG] ? F[SG_REPORT_STAGE_TAG] : "(none)",
                      F[SG_REPORT_STAGE_STATUS] ? F[SG_REPORT_STAGE_STATUS] : "status unknown");
    sg_buf_printf(out, "  source    %s",
                  F[SG_REPORT_SOURCE_REPOSITORY] ? F[SG_REPORT_SOURCE_REPOSITORY] : "(none)");
    if (F[SG_REPORT_SOURCE_SUBDIR] && F[SG_REPORT_SOURCE_SUBDIR][0])
        sg_buf_printf(out, " (folder %s)", F[SG_REPORT_SOURCE_SUBDIR]);
    sg_buf_putc(out, '\n');
    if (F[SG_REPORT_SOURCE_COMMIT]) {
        sg_buf_printf(out, "  commit    %s", F[SG_REPORT_SOURCE_COMMIT]);
        if (F[SG_REPORT_SOURCE_REF] && F[SG_REPORT_SOURCE_RESOLVED_BY] &&
            strcmp(F[SG_REPORT_SOURCE_RESOLVED_BY], "argument") != 0)
            sg_buf_printf(out, " (%s, found by %s)", F[SG_REPORT_SOURCE_REF],
                          F[SG_REPORT_SOURCE_RESOLVED_BY]);
        else if (F[SG_REPORT_SOURCE_REF])
            sg_buf_printf(out, " (%s)", F[SG_REPORT_SOURCE_REF]);
        else if (F[SG_REPORT_SOURCE_RESOLVED_BY])
            sg_buf_printf(out, " (found by %s)", F[SG_REPORT_SOURCE_RESOLVED_BY]);
        sg_buf_putc(out, '\n');
    }
    if (F[SG_REPORT_COMPARED_REF] || F[SG_REPORT_COMPARED_COMMIT])
        sg_buf_printf(out, "  compared  %s%s%s%s\n            %s\n",
                      F[SG_REPORT_COMPARED_REF] ? F[SG_REPORT_COMPARED_REF] : "",
                      F[SG_REPORT_COMPARED_REF] ? " (" : "",
                      F[SG_REPORT_COMPARED_COMMIT] ? F[SG_REPORT_COMPARED_COMMIT] : "",
                      F[SG_REPORT_COMPARED_REF] ? ")" : "",
                      F[SG_REPORT_COMPARED_WHY] ? F[SG_REPORT_COMPARED_WHY] : "");
    if (F[SG_REPORT_REBUILD_STATUS]) {
        sg_buf_printf(out, "  rebuild   %s", F[SG_REPORT_REBUILD_STATUS]);
        if (F[SG_REPORT_REBUILD_DETAIL])
            sg_buf_printf(out, ": %s", F[SG_REPORT_REBUILD_DETAIL]);
        sg_buf_putc(out, '\n');
        if (F[SG_REPORT_REBUILD_SECOND])
            sg_buf_printf(out, "            second build %s\n", F[SG_REPORT_REBUILD_SECOND]);
        for (i = 0; i < r->nlists[SG_LIST_REBUILD_TOKENS] && i < 5; i++)
            sg_buf_printf(out, "            volatile %s\n",
                          esc(&tmp, r->lists[SG_LIST_REBUILD_TOKENS][i]));
        if (r->nlists[SG_LIST_REBUILD_TOKENS] > 5)
            sg_buf_printf(out,
                          "            volatile in %zu more files (the JSON report lists them)\n",
                          r->nlists[SG_LIST_REBUILD_TOKENS] - 5);
        text_recipe(out, F[SG_REPORT_REBUILD_RECIPE]);
        if (F[SG_REPORT_REBUILD_LOG])
            sg_buf_printf(out, "            log %s\n", F[SG_REPORT_REBUILD_LOG]);
    }
    if (r->inconclusive && r->verdict != SG_VERDICT_INCONCLUSIVE) /* else it is the reason */
        sg_buf_printf(out, "  note      %s\n", esc(&tmp, r->inconclusive));
    text_counts(out, r, flags);
    sg_buf_putc(out, '\n');
    if ((h = text_findings(out, &tmp, r, flags)) < 0) {
        sg_arena_dispose(&tmp);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for the text report");
    }
    hidden = (size_t)h;
    if (hidden)
        sg_buf_printf(out, "  (%zu info finding%s not shown; -v shows them)\n", hidden,
                      hidden == 1 ? "" : "s");
    if (r->nfindings == 0)
        sg_buf_puts(out, "  no findings\n");
    if (flags & SG_TEXT_VERBOSE) {
        static const char *const titles[SG_LIST__COUNT] = {"source candidates", "checks", "rebuild",
                                                           NULL};
        for (size_t l = 0; l < SG_LIST__COUNT; l++) {
            if (!r->nlists[l] || !titles[l]) /* volatile tokens: under "rebuild" above */
                continue;
            sg_buf_printf(out, "\n  %s:\n", titles[l]);
            for (i = 0; i < r->nlists[l]; i++)
                sg_buf_printf(out, "    %s\n", esc(&tmp, r->lists[l][i]));
        }
    }
    if ((flags & SG_TEXT_VERBOSE) && r->nnorms) {
        sg_buf_puts(out, "\n  normalizations:");
        for (i = 0; i < r->nnorms; i++)
            sg_buf_printf(out, " %s", esc(&tmp, r->norms[i]));
        sg_buf_putc(out, '\n');
    }
    sg_buf_printf(out,
                  "\n  %llu files same, %llu rebuilt, %llu explained; %zu finding%s\n"
                  "verdict: %s\n",
                  (unsigned long long)r->counts[SG_COUNT_FILES_SAME],
                  (unsigned long long)r->counts[SG_COUNT_FILES_REBUILT],
                  (unsigned long long)r->counts[SG_COUNT_FILES_EXPLAINED], r->nfindings,
                  r->nfindings == 1 ? "" : "s", sg_verdict_name(r->verdict));
    text_delta(out, &tmp, r, flags);
    error = sg_buf_check(out, ctx, "the text report");
    sg_arena_dispose(&tmp);
    return error;
}
