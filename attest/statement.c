/*
 * in-toto Statements about a verification: the SLSA VSA and the report, signed as JSON Lines.
 */
#include "common/common.h"

#include <strings.h>
#include <time.h>

#include "attest/attest_int.h"

int sg_attest__format_time(char out[32], sg_ctx *ctx, int64_t t)
{
    struct tm tm;
    time_t tt;

    /* 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
    if (t < INT64_C(-62167219200) || t > INT64_C(253402300799))
        return sg_error_set(ctx, SG_EINVALID, "time %lld is outside the years 0000-9999",
                            (long long)t);
    tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
        return sg_error_set(ctx, SG_EINVALID, "cannot format time %lld", (long long)t);
    return 0;
}

static int kind_cmp(const void *a, const void *b)
{
    const sg_finding_kind *x = *(const sg_finding_kind *const *)a;
    const sg_finding_kind *y = *(const sg_finding_kind *const *)b;
    return strcmp(x->kind, y->kind);
}

int sg_attest_policy_document(sg_buf *out, sg_ctx *ctx, sg_severity fail_on)
{
    const sg_finding_kind *kinds = NULL, **sorted = NULL;
    const char *const *inconclusive = NULL;
    size_t n = 0, ninconclusive = 0, i;
    int error = 0;

    kinds = sg_finding_kinds(&n);
    if (!(sorted = sg_calloc(n, sizeof(*sorted)))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory writing the policy document");
        goto done;
    }
    for (i = 0; i < n; i++)
        sorted[i] = &kinds[i];
    qsort(sorted, n, sizeof(*sorted), kind_cmp);
    /* Keys in byte order, no whitespace: the bytes are the document (docs/attestations.md). */
    sg_buf_puts(out, "{\"fail_on\":");
    sg_json_put_string(out, sg_severity_name(fail_on));
    sg_buf_puts(out, ",\"inconclusive_kinds\":[");
    inconclusive = sg_finding_kinds_inconclusive(&ninconclusive);
    for (i = 0; i < ninconclusive; i++) {
        if (i)
            sg_buf_putc(out, ',');
        sg_json_put_string(out, inconclusive[i]);
    }
    sg_buf_puts(out, "],\"schema\":");
    sg_json_put_string(out, SG_VSA_POLICY_URI);
    sg_buf_puts(out, ",\"severities\":{");
    for (i = 0; i < n; i++) {
        if (i)
            sg_buf_putc(out, ',');
        sg_json_put_string(out, sorted[i]->kind);
        sg_buf_putc(out, ':');
        sg_json_put_string(out, sg_severity_name(sorted[i]->severity));
    }
    sg_buf_puts(out, "}}");
    error = sg_buf_check(out, ctx, "the policy document");
done:
    sg_free(sorted);
    return error;
}

int sg_attest_artifact_digests(char sha256[65], char sha512[129], sg_ctx *ctx,
                               const unsigned char *bytes, size_t len)
{
    sg_hash h = SG_HASH_INIT;
    unsigned char d256[32], d512[64];
    int error;

    if ((error = sg_sha256(d256, ctx, bytes, len)) < 0)
        return error;
    if ((error = sg_hash_begin(&h, ctx, SG_HASH_SHA512)) < 0 ||
        (error = sg_hash_update(&h, ctx, bytes, len)) < 0 ||
        (error = sg_hash_end(&h, ctx, d512, NULL)) < 0) {
        sg_hash_dispose(&h);
        return error;
    }
    sg_hex(sha256, d256, sizeof(d256));
    sg_hex(sha512, d512, sizeof(d512));
    return 0;
}

/* The subject name: the report's purl, else npm's form built from package and version. */
static int subject_name(sg_buf *out, sg_ctx *ctx, const sg_report *report)
{
    const char *purl = sg_report_get(report, SG_REPORT_PURL);
    const char *name = sg_report_get(report, SG_REPORT_PACKAGE);
    const char *version = sg_report_get(report, SG_REPORT_VERSION);

    if (purl && *purl)
        return sg_buf_puts(out, purl);
    if (!name || !*name)
        return sg_error_set(ctx, SG_EINVALID,
                            "cannot attest: the report names no package (no purl, no name)");
    sg_purl_npm(out, name, version && *version ? version : NULL);
    return sg_buf_check(out, ctx, "the subject name");
}

/* The common head of both statements, up to and including "predicate":. */
static void put_statement_head(sg_buf *out, const char *name, const char *sha256,
                               const char *sha512, const char *predicate_type)
{
    sg_buf_puts(out, "{\"_type\":\"" SG_INTOTO_STATEMENT_V1 "\",\"subject\":[{\"name\":");
    sg_json_put_string(out, name);
    sg_buf_printf(out, ",\"digest\":{\"sha256\":\"%s\",\"sha512\":\"%s\"}}],\"predicateType\":",
                  sha256, sha512);
    sg_json_put_string(out, predicate_type);
    sg_buf_puts(out, ",\"predicate\":");
}

static int put_vsa(sg_buf *out, sg_ctx *ctx, const sg_report *report, const char *name,
                   const char *sha256, const char *sha512, const sg_attest_opts *opts)
{
    sg_buf policy = SG_BUF_INIT;
    unsigned char pdigest[32];
    char phex[65], when[32];
    int passed = sg_report_verdict(report) == SG_VERDICT_PASS, error;

    if ((error = sg_attest__format_time(when, ctx, opts->time_verified)) < 0 ||
        (error = sg_attest_policy_document(&policy, ctx, opts->fail_on)) < 0 ||
        (error = sg_sha256(pdigest, ctx, policy.ptr, policy.size)) < 0)
        goto done;
    sg_hex(phex, pdigest, sizeof(pdigest));
    put_statement_head(out, name, sha256, sha512, SG_VSA_PREDICATE_V1);
    sg_buf_puts(out, "{\"verifier\":{\"id\":\"" SG_VSA_VERIFIER_ID "\",\"version\":{"
                     "\"sourcegate\":");
    sg_json_put_string(out, sg_version());
    sg_buf_printf(out, "}},\"timeVerified\":\"%s\",\"resourceUri\":", when);
    sg_json_put_string(out, name);
    sg_buf_printf(out,
                  ",\"policy\":{\"uri\":\"" SG_VSA_POLICY_URI "\",\"digest\":{\"sha256\":\"%s\"},"
                  "\"annotations\":{\"fail_on\":\"%s\"}},",
                  phex, sg_severity_name(opts->fail_on));
    sg_buf_printf(out, "\"verificationResult\":\"%s\",\"verifiedLevels\":[\"%s\"],",
                  passed ? "PASSED" : "FAILED", passed ? SG_VSA_LEVEL_SOURCE_MATCH : "FAILED");
    sg_buf_puts(out, "\"slsaVersion\":\"1.0\"}}");
    error = sg_buf_check(out, ctx, "the VSA statement");
done:
    sg_buf_dispose(&policy);
    return error;
}

static int put_report_statement(sg_buf *out, sg_ctx *ctx, const sg_report *report,
                                const char *name, const char *sha256, const char *sha512)
{
    sg_buf json = SG_BUF_INIT;
    cJSON *doc = NULL;
    int error;

    /* Parsed back so the predicate is one compact, checked JSON value. */
    if ((error = sg_report_write_json(&json, ctx, report)) < 0 ||
        (error = sg_json_parse(&doc, ctx, json.ptr, json.size, "the report")) < 0)
        goto done;
    put_statement_head(out, name, sha256, sha512, SG_REPORT_PREDICATE_V1);
    sg_json_put_value(out, doc);
    sg_buf_putc(out, '}');
    error = sg_buf_check(out, ctx, "the report statement");
done:
    cJSON_Delete(doc);
    sg_buf_dispose(&json);
    return error;
}

int sg_attest_statements(sg_buf *vsa, sg_buf *report_statement, sg_ctx *ctx,
                         const sg_report *report, const unsigned char *tarball, size_t len,
                         const sg_attest_opts *opts)
{
    sg_attest_opts defaults = SG_ATTEST_OPTS_INIT;
    sg_buf name = SG_BUF_INIT;
    char sha256[65], sha512[129];
    const char *known;
    int error;

    if (!opts)
        opts = &defaults;
    if ((error = subject_name(&name, ctx, report)) < 0 ||
        (error = sg_attest_artifact_digests(sha256, sha512, ctx, tarball, len)) < 0)
        goto done;
    known = sg_report_get(report, SG_REPORT_ARTIFACT_SHA256);
    if (known && *known && strcasecmp(known, sha256) != 0) {
        error = sg_error_set(ctx, SG_EINVALID,
                             "cannot attest: the tarball's sha256 %s is not the verified "
                             "artifact's %s",
                             sha256, known);
        goto done;
    }
    if (vsa && (error = put_vsa(vsa, ctx, report, name.ptr, sha256, sha512, opts)) < 0)
        goto done;
    if (report_statement &&
        (error = put_report_statement(report_statement, ctx, report, name.ptr, sha256, sha512)) <
            0)
        goto done;
done:
    sg_buf_dispose(&name);
    return error;
}

int sg_attest_write(sg_buf *out, sg_ctx *ctx, const sg_key *key, const sg_report *report,
                    const unsigned char *tarball, size_t len, const sg_attest_opts *opts)
{
    sg_buf vsa = SG_BUF_INIT, rep = SG_BUF_INIT;
    int error;

    if (!key->has_private) {
        error = sg_error_set(ctx, SG_EINVALID, "cannot sign attestations with a public key");
        goto done;
    }
    if ((error = sg_attest_statements(&vsa, &rep, ctx, report, tarball, len, opts)) < 0 ||
        (error = sg_dsse_sign(out, ctx, key, SG_DSSE_INTOTO_PAYLOAD_TYPE,
                              (const unsigned char *)vsa.ptr, vsa.size)) < 0 ||
        (error = sg_buf_putc(out, '\n')) < 0 ||
        (error = sg_dsse_sign(out, ctx, key, SG_DSSE_INTOTO_PAYLOAD_TYPE,
                              (const unsigned char *)rep.ptr, rep.size)) < 0 ||
        (error = sg_buf_putc(out, '\n')) < 0) {
        sg_buf_check(out, ctx, "the attestations");
        goto done;
    }
done:
    sg_buf_dispose(&vsa);
    sg_buf_dispose(&rep);
    return error;
}
