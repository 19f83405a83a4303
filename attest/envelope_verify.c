/*
 * Verifying one DSSE envelope holding an in-toto Statement, in the DSSE protocol's order:
 * decode, verify a signature over the PAE, then believe the payload.
 */
#include "common/common.h"

#include <strings.h>

#include "attest/attest_int.h"

const char *sg_attest_status_name(sg_attest_status status)
{
    switch (status) {
    case SG_ATTEST_VERIFIED: return "verified";
    case SG_ATTEST_BAD_SIGNATURE: return "bad signature";
    case SG_ATTEST_WRONG_PAYLOAD_TYPE: return "wrong payloadType";
    case SG_ATTEST_WRONG_STATEMENT_TYPE: return "wrong statement type";
    case SG_ATTEST_WRONG_PREDICATE_TYPE: return "wrong predicateType";
    case SG_ATTEST_SUBJECT_MISMATCH: return "artifact not a subject";
    }
    return "unknown";
}

void sg_attest_check_dispose(sg_attest_check *c)
{
    sg_attest_check init = SG_ATTEST_CHECK_INIT;
    sg_free(c->keyid);
    sg_free(c->payload_type);
    sg_free(c->payload);
    sg_free(c->predicate_type);
    sg_free(c->subject_name);
    sg_free(c->verification_result);
    sg_free(c->report_verdict);
    *c = init;
}

/* Record a non-error outcome. */
static void set_status(sg_attest_check *c, sg_attest_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_status(sg_attest_check *c, sg_attest_status st, const char *fmt, ...)
{
    va_list ap;
    c->status = st;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
}

/* A decoded signature of the envelope. */
typedef struct dsse_sig {
    unsigned char *bytes; /* decoded sig */
    size_t len;           /* bytes of sig */
    const char *keyid;    /* hint, borrowed from the JSON ("" when absent) */
} dsse_sig;

/* Check the envelope's shape and decode its signatures; *sigs is sg_calloc'd. */
static int decode_signatures(dsse_sig **sigs, size_t *count, sg_ctx *ctx, const cJSON *list)
{
    const cJSON *item;
    dsse_sig *out = NULL;
    size_t n = 0, i = 0;
    int error = 0;

    *sigs = NULL;
    *count = 0;
    if (!cJSON_IsArray(list))
        return sg_error_set(ctx, SG_EINVALID, "the envelope has no 'signatures' array");
    cJSON_ArrayForEach(item, list) n++;
    if (n > SG_ATTEST_MAX_SIGNATURES)
        return sg_error_set(ctx, SG_ELIMIT, "the envelope has %zu signatures, more than %d", n,
                            SG_ATTEST_MAX_SIGNATURES);
    if (!(out = sg_calloc(n, sizeof(*out))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory reading the envelope");
    cJSON_ArrayForEach(item, list)
    {
        const cJSON *sig = cJSON_GetObjectItemCaseSensitive(item, "sig");
        const cJSON *keyid = cJSON_GetObjectItemCaseSensitive(item, "keyid");
        if (!cJSON_IsObject(item) || !cJSON_IsString(sig) ||
            (keyid && !cJSON_IsString(keyid) && !cJSON_IsNull(keyid))) {
            error = sg_error_set(ctx, SG_EINVALID,
                                 "signature %zu of the envelope has no string 'sig' or a bad 'keyid'", i + 1);
            goto done;
        }
        out[i].keyid = cJSON_IsString(keyid) ? keyid->valuestring : "";
        if ((error = sg_base64_decode(&out[i].bytes, &out[i].len, ctx, sig->valuestring,
                                      strlen(sig->valuestring), "a signature")) < 0)
            goto done;
        i++;
    }
done:
    if (error < 0) {
        for (i = 0; i < n; i++)
            sg_free(out[i].bytes);
        sg_free(out);
        return error;
    }
    *sigs = out;
    *count = n;
    return 0;
}

/* Try every signature; keyid is never used to decide. Returns the index or -1. */
static long find_valid_signature(sg_ctx *ctx, const sg_key *key, const sg_attest_check *c,
                                 const dsse_sig *sigs, size_t n, int *error)
{
    sg_buf pae = SG_BUF_INIT;
    long found = -1;
    size_t i;

    sg_dsse_pae(&pae, c->payload_type, strlen(c->payload_type), c->payload, c->payload_len);
    if ((*error = sg_buf_check(&pae, ctx, "the signed message")) < 0)
        goto done;
    for (i = 0; i < n && found < 0; i++)
        if (sg_attest__verify_sig(key, (const unsigned char *)pae.ptr, pae.size, sigs[i].bytes,
                                  sigs[i].len))
            found = (long)i;
done:
    sg_buf_dispose(&pae);
    return found;
}

/* 1 when the subject's digests match the artifact: one equal, none different. */
static int subject_matches(const cJSON *digest, const sg_attest_verify_opts *o)
{
    const char *d256 = sg_json_str(digest, "sha256"), *d512 = sg_json_str(digest, "sha512");
    int match = 0;
    if (o->artifact_sha256 && d256) {
        if (strcasecmp(d256, o->artifact_sha256) != 0)
            return 0;
        match = 1;
    }
    if (o->artifact_sha512 && d512) {
        if (strcasecmp(d512, o->artifact_sha512) != 0)
            return 0;
        match = 1;
    }
    return match;
}

static char *dup_str(const char *s, int *failed)
{
    char *r = s ? sg_strdup(s) : NULL;
    if (s && !r)
        *failed = 1;
    return r;
}

/* Read the subjects: each must be an object with a digest object. Sets subject fields. */
static int check_subjects(sg_attest_check *c, sg_ctx *ctx, const cJSON *subjects,
                          const sg_attest_verify_opts *o)
{
    const cJSON *s, *chosen = NULL;
    int check = o->artifact_sha256 || o->artifact_sha512, failed = 0;

    if (!cJSON_IsArray(subjects) || !cJSON_GetArraySize(subjects))
        return sg_error_set(ctx, SG_EINVALID, "the signed statement has no 'subject' list");
    cJSON_ArrayForEach(s, subjects)
    {
        const cJSON *digest = cJSON_GetObjectItemCaseSensitive(s, "digest");
        if (!cJSON_IsObject(s) || !cJSON_IsObject(digest))
            return sg_error_set(ctx, SG_EINVALID,
                                "subject %zu of the signed statement has no 'digest' object",
                                c->subject_count + 1);
        c->subject_count++;
        if (!chosen && check && subject_matches(digest, o))
            chosen = s;
    }
    if (check && !chosen) {
        set_status(c, SG_ATTEST_SUBJECT_MISMATCH,
                   "the artifact (sha256 %.16s...) is not among the %zu subject(s)",
                   o->artifact_sha256 ? o->artifact_sha256 : o->artifact_sha512,
                   c->subject_count);
    }
    if (!chosen)
        chosen = cJSON_GetArrayItem(subjects, 0);
    c->subject_name = dup_str(sg_json_str(chosen, "name"), &failed);
    return failed ? sg_error_set(ctx, SG_ENOMEM, "out of memory reading the statement") : 0;
}

/* Everything after the signature verified: the payload is now trusted bytes. */
static int check_statement(sg_attest_check *c, sg_ctx *ctx, const sg_attest_verify_opts *o)
{
    cJSON *st = NULL;
    const char *type, *ptype;
    int error = 0, failed = 0;

    if (strcmp(c->payload_type, SG_DSSE_INTOTO_PAYLOAD_TYPE) != 0) {
        set_status(c, SG_ATTEST_WRONG_PAYLOAD_TYPE, "payloadType is '%.100s', not '%s'",
                   c->payload_type, SG_DSSE_INTOTO_PAYLOAD_TYPE);
        goto done;
    }
    if ((error = sg_json_parse(&st, ctx, (const char *)c->payload, c->payload_len,
                               "the signed statement")) < 0)
        goto done;
    if (!cJSON_IsObject(st)) {
        error = sg_error_set(ctx, SG_EINVALID, "the signed statement is not a JSON object");
        goto done;
    }
    type = sg_json_str(st, "_type");
    if (!type || strcmp(type, SG_INTOTO_STATEMENT_V1) != 0) {
        set_status(c, SG_ATTEST_WRONG_STATEMENT_TYPE, "_type is '%.100s', not '%s'",
                   type ? type : "(missing)", SG_INTOTO_STATEMENT_V1);
        goto done;
    }
    if (!(ptype = sg_json_str(st, "predicateType"))) {
        error = sg_error_set(ctx, SG_EINVALID, "the signed statement has no 'predicateType'");
        goto done;
    }
    c->predicate_type = dup_str(ptype, &failed);
    if (strcmp(ptype, SG_VSA_PREDICATE_V1) == 0)
        c->verification_result = dup_str(
            sg_json_str(cJSON_GetObjectItemCaseSensitive(st, "predicate"), "verificationResult"),
            &failed);
    else if (strcmp(ptype, SG_REPORT_PREDICATE_V1) == 0)
        c->report_verdict = dup_str(
            sg_json_str(cJSON_GetObjectItemCaseSensitive(st, "predicate"), "verdict"), &failed);
    if (failed) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory reading the statement");
        goto done;
    }
    c->status = SG_ATTEST_VERIFIED;
    if ((error = check_subjects(c, ctx, cJSON_GetObjectItemCaseSensitive(st, "subject"), o)) <
            0 ||
        c->status != SG_ATTEST_VERIFIED)
        goto done;
    if (o->predicate_type && strcmp(ptype, o->predicate_type) != 0)
        set_status(c, SG_ATTEST_WRONG_PREDICATE_TYPE, "predicateType is '%.100s', not '%.100s'",
                   ptype, o->predicate_type);
done:
    cJSON_Delete(st);
    return error;
}

int sg_attest_verify_envelope(sg_attest_check *out, sg_ctx *ctx, const sg_key *key,
                              const char *json, size_t len, const sg_attest_verify_opts *opts)
{
    sg_attest_verify_opts none = SG_ATTEST_VERIFY_OPTS_INIT;
    cJSON *env = NULL;
    dsse_sig *sigs = NULL;
    const char *payload, *ptype;
    size_t nsigs = 0, i;
    long found;
    int error = 0;

    sg_attest_check_dispose(out);
    if (!opts)
        opts = &none;
    if ((error = sg_json_parse(&env, ctx, json, len, "the envelope")) < 0)
        goto done;
    payload = sg_json_str(env, "payload");
    ptype = sg_json_str(env, "payloadType");
    if (!cJSON_IsObject(env) || !payload || !ptype) {
        error = sg_error_set(ctx, SG_EINVALID,
                             "the envelope is not an object with string 'payload' and "
                             "'payloadType'");
        goto done;
    }
    if ((error = decode_signatures(&sigs, &nsigs, ctx,
                                   cJSON_GetObjectItemCaseSensitive(env, "signatures"))) < 0 ||
        (error = sg_base64_decode(&out->payload, &out->payload_len, ctx, payload, strlen(payload),
                                  "the payload")) < 0)
        goto done;
    out->signature_count = nsigs;
    if (!(out->payload_type = sg_strdup(ptype))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory reading the envelope");
        goto done;
    }
    found = find_valid_signature(ctx, key, out, sigs, nsigs, &error);
    if (error < 0)
        goto done;
    if (found < 0) {
        set_status(out, SG_ATTEST_BAD_SIGNATURE,
                   nsigs ? "none of the %zu signature(s) verifies with the key"
                         : "the envelope has %zu signatures",
                   nsigs);
        goto done;
    }
    out->signature_index = (size_t)found;
    if (!(out->keyid = sg_strdup(sigs[found].keyid))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory reading the envelope");
        goto done;
    }
    error = check_statement(out, ctx, opts);
done:
    if (error < 0)
        out->status = SG_ATTEST_BAD_SIGNATURE; /* never "verified" alongside an error */
    for (i = 0; i < nsigs; i++)
        sg_free(sigs[i].bytes);
    sg_free(sigs);
    cJSON_Delete(env);
    return error;
}
