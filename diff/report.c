#include "common/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

int sg_report_write_json(sg_buf *out, sg_ctx *ctx, const sg_report *r)
{
    const char *const *F = r->fields;
    size_t i;
    int first;

    sg_buf_puts(out, "{\n  \"schema\": \"sourcegate/report/v1\",\n  ");
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

static void text_finding(sg_buf *out, const sg_finding *f, unsigned flags)
{
    const char *on = (flags & SG_TEXT_COLOR) ? sev_color(f->severity) : "";
    const char *off = (flags & SG_TEXT_COLOR) ? "\033[0m" : "";
    char sev[16];
    size_t i, n = strlen(sg_severity_name(f->severity));

    for (i = 0; i < n && i < sizeof(sev) - 1; i++)
        sev[i] = (char)(sg_severity_name(f->severity)[i] - 32);
    sev[i] = '\0';
    sg_buf_printf(out, "  %s%-8s%s %-18s", on, sev, off, f->kind);
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
    if (f->detail)
        sg_buf_printf(out, "\n  %8s %s", "", f->detail);
    sg_buf_putc(out, '\n');
}

int sg_report_write_text(sg_buf *out, sg_ctx *ctx, const sg_report *r, unsigned flags)
{
    sg_arena tmp = SG_ARENA_INIT;
    const char *F[SG_REPORT__FIELD_COUNT];
    size_t i, hidden = 0;
    int error;

    for (i = 0; i < SG_REPORT__FIELD_COUNT; i++)
        F[i] = esc(&tmp, r->fields[i]);

    sg_buf_printf(out, "%s@%s: %s\n", F[SG_REPORT_PACKAGE] ? F[SG_REPORT_PACKAGE] : "(unnamed)",
                  F[SG_REPORT_VERSION] ? F[SG_REPORT_VERSION] : "(no version)",
                  sg_verdict_name(r->verdict));
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
        if (F[SG_REPORT_REBUILD_LOG])
            sg_buf_printf(out, "            log %s\n", F[SG_REPORT_REBUILD_LOG]);
    }
    if (r->inconclusive)
        sg_buf_printf(out, "  note      %s\n", esc(&tmp, r->inconclusive));
    sg_buf_putc(out, '\n');
    for (i = 0; i < r->nfindings; i++) {
        if (r->findings[i].severity == SG_SEV_INFO && !(flags & SG_TEXT_VERBOSE)) {
            hidden++;
            continue;
        }
        {
            sg_finding f = r->findings[i];
            f.path = esc(&tmp, f.path);
            f.field = esc(&tmp, f.field);
            f.name = esc(&tmp, f.name);
            f.before = esc(&tmp, f.before);
            f.after = esc(&tmp, f.after);
            f.detail = esc(&tmp, f.detail);
            text_finding(out, &f, flags);
        }
    }
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
    error = sg_buf_check(out, ctx, "the text report");
    sg_arena_dispose(&tmp);
    return error;
}
