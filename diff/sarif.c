/*
 * SARIF 2.1.0 writer (sarif.h). The shape follows what GitHub code scanning accepts
 * (shared/FORMATS.md §5): a rule per finding kind with the descriptions and help GitHub
 * requires, results with message, one physical location and a partial fingerprint.
 */
#include "common/common.h"

#include "sourcegate/sarif.h"

static const char *const levels[] = {"note", "note", "warning", "error", "error"};
static const char *const security_severity[] = {"1.0", "3.0", "5.5", "8.0", "9.5"};

static const char *level_of(sg_severity s)
{
    return (unsigned)s < SG_ARRAY_SIZE(levels) ? levels[s] : "warning";
}

static void put_kv(sg_buf *out, const char *key, const char *value, int comma)
{
    if (comma)
        sg_buf_putc(out, ',');
    sg_json_put_string(out, key);
    sg_buf_putc(out, ':');
    sg_json_put_string(out, value);
}

/* {"text": s} */
static void put_text(sg_buf *out, const char *key, const char *s)
{
    sg_buf_printf(out, ",\"%s\":{\"text\":", key);
    sg_json_put_string(out, s);
    sg_buf_putc(out, '}');
}

static void put_rule(sg_buf *out, const sg_finding_kind *k, int comma)
{
    sg_buf text = SG_BUF_INIT;
    unsigned sev = (unsigned)k->severity < SG_ARRAY_SIZE(levels) ? (unsigned)k->severity : 2;

    if (comma)
        sg_buf_putc(out, ',');
    sg_buf_putc(out, '{');
    put_kv(out, "id", k->kind, 0);
    put_text(out, "shortDescription", k->summary);
    sg_buf_printf(&text,
                  "%s (default severity: %s). sourcegate compares what the registry "
                  "serves for a release with the source it claims to come from.",
                  k->summary, sg_severity_name(k->severity));
    put_text(out, "fullDescription", text.ptr);
    sg_buf_clear(&text);
    sg_buf_printf(&text,
                  "Finding kind '%s': %s. Review the release before upgrading to it: run "
                  "'sourcegate verify NAME@VERSION' for the full report, and see "
                  "docs/finding-kinds.md for what the kind means and how it is decided.",
                  k->kind, k->summary);
    put_text(out, "help", text.ptr);
    sg_buf_printf(out, ",\"defaultConfiguration\":{\"level\":\"%s\"}", levels[sev]);
    sg_buf_printf(out,
                  ",\"properties\":{\"tags\":[\"security\",\"supply-chain\"],"
                  "\"precision\":\"high\",\"security-severity\":\"%s\"}}",
                  security_severity[sev]);
    sg_buf_dispose(&text);
}

/* The result's message: "NAME@VERSION: detail (path, name)". */
static void put_message(sg_buf *out, const sg_report *r, const sg_finding *f)
{
    sg_buf m = SG_BUF_INIT;
    const sg_finding_kind *k = sg_finding_kind_lookup(f->kind);
    sg_buf_printf(&m, "%s@%s: %s", sg_report_get(r, SG_REPORT_PACKAGE),
                  sg_report_get(r, SG_REPORT_VERSION),
                  f->detail && *f->detail ? f->detail
                  : k                     ? k->summary
                                          : f->kind);
    if (f->path || f->field || f->name) {
        sg_buf_printf(&m, " [%s%s%s%s%s]", f->path ? f->path : "",
                      f->path && (f->field || f->name) ? " " : "", f->field ? f->field : "",
                      f->field && f->name ? "." : "", f->name ? f->name : "");
    }
    if (f->before || f->after)
        sg_buf_printf(&m, " (source: %s, artifact: %s)", f->before ? f->before : "none",
                      f->after ? f->after : "none");
    sg_buf_puts(out, ",\"message\":{\"text\":");
    sg_json_put_string(out, m.error ? "finding" : m.ptr);
    sg_buf_putc(out, '}');
    sg_buf_dispose(&m);
}

static void put_result(sg_buf *out, const sg_sarif_release *rel, const sg_finding *f,
                       size_t rule_index, const char *uri, int comma)
{
    const char *pkg = sg_report_get(rel->report, SG_REPORT_PACKAGE);
    const char *ver = sg_report_get(rel->report, SG_REPORT_VERSION);
    sg_buf fp = SG_BUF_INIT;

    if (comma)
        sg_buf_putc(out, ',');
    sg_buf_putc(out, '{');
    put_kv(out, "ruleId", f->kind, 0);
    sg_buf_printf(out, ",\"ruleIndex\":%zu,\"level\":\"%s\"", rule_index, level_of(f->severity));
    put_message(out, rel->report, f);
    sg_buf_puts(out, ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{");
    put_kv(out, "uri", uri, 0);
    sg_buf_printf(out, "},\"region\":{\"startLine\":%u}}}]", rel->line ? rel->line : 1);
    /* stable across runs and line moves: the finding, not where it sits */
    sg_buf_printf(&fp, "%s:%s@%s:%s:%s:%s", f->kind, pkg ? pkg : "", ver ? ver : "",
                  f->path ? f->path : "", f->field ? f->field : "", f->name ? f->name : "");
    sg_buf_puts(out, ",\"partialFingerprints\":{");
    put_kv(out, "primaryLocationLineHash", fp.error ? f->kind : fp.ptr, 0);
    sg_buf_puts(out, "}}");
    sg_buf_dispose(&fp);
}

/* Releases that could not be verified: an operational failure is not a finding about the
 * package, so it is a tool execution notification (SARIF 3.58.4), never a result. */
static void put_notifications(sg_buf *out, const sg_sarif_release *releases, size_t n,
                              const char *uri)
{
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        k += !releases[i].report && releases[i].error;
    if (!k)
        return;
    sg_buf_puts(out, ",\"invocations\":[{\"executionSuccessful\":false,"
                     "\"toolExecutionNotifications\":[");
    for (i = 0, k = 0; i < n; i++) {
        if (releases[i].report || !releases[i].error)
            continue;
        sg_buf_puts(out, k++ ? ",{\"level\":\"error\",\"message\":{\"text\":"
                             : "{\"level\":\"error\",\"message\":{\"text\":");
        sg_json_put_string(out, releases[i].error);
        sg_buf_puts(out, "},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{");
        put_kv(out, "uri", uri, 0);
        sg_buf_printf(out, "},\"region\":{\"startLine\":%u}}}]}",
                      releases[i].line ? releases[i].line : 1);
    }
    sg_buf_puts(out, "]}]");
}

static size_t rule_index_of(const sg_finding_kind *kinds, size_t nkinds, const char *kind)
{
    size_t i;
    for (i = 0; i < nkinds; i++) {
        if (strcmp(kinds[i].kind, kind) == 0)
            return i;
    }
    return 0;
}

int sg_sarif_write(sg_buf *out, sg_ctx *ctx, const sg_sarif_release *releases, size_t n,
                   const sg_sarif_opts *opts)
{
    size_t nkinds, i, j, results = 0;
    const sg_finding_kind *kinds = sg_finding_kinds(&nkinds);
    int truncated = 0;

    if (!opts || !opts->artifact_uri || !*opts->artifact_uri)
        return sg_error_set(ctx, SG_EINVALID, "SARIF needs the path of the file results point at");
    sg_buf_puts(out, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
                     "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
                     "\"name\":\"sourcegate\",");
    put_kv(out, "semanticVersion", sg_version(), 0);
    sg_buf_puts(out, ",\"rules\":[");
    for (i = 0; i < nkinds; i++)
        put_rule(out, &kinds[i], i > 0);
    sg_buf_puts(out, "]}}");
    if (opts->category) {
        sg_buf_puts(out, ",\"automationDetails\":{\"id\":");
        sg_json_put_string(out, opts->category);
        sg_buf_putc(out, '}');
    }
    put_notifications(out, releases, n, opts->artifact_uri);
    sg_buf_puts(out, ",\"results\":[");
    for (i = 0; i < n && !truncated; i++) {
        const sg_report *r = releases[i].report;
        for (j = 0; r && j < sg_report_finding_count(r); j++) {
            const sg_finding *f = sg_report_finding(r, j);
            if (f->severity < opts->min_severity)
                continue;
            if (results == SG_SARIF_MAX_RESULTS) {
                truncated = 1;
                break;
            }
            put_result(out, &releases[i], f, rule_index_of(kinds, nkinds, f->kind),
                       opts->artifact_uri, results > 0);
            results++;
        }
    }
    sg_buf_puts(out, "]");
    if (truncated)
        sg_buf_printf(out, ",\"properties\":{\"truncated\":true,\"resultsWritten\":%zu}", results);
    sg_buf_puts(out, "}]}\n");
    return sg_buf_check(out, ctx, "the SARIF log");
}
