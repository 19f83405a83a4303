/*
 * npm provenance (FORMATS.md §4.5-4.7): the attestations document at dist.attestations.url,
 * its SLSA provenance Sigstore bundle, and what the statement says about the source.
 *
 * Order (sigstore-js, DSSE protocol): decode the bundle; the Rekor entry must describe this
 * envelope; the DSSE signature must verify with the certificate's key; only then is the
 * statement read: payload type, statement type, subject (npm's purl and the tarball's
 * SHA-512), predicate. With a trusted root: the signed entry timestamp makes the integrated
 * time trustworthy, the certificate must chain to Fulcio at that time and carry a valid SCT,
 * and what the certificate says (repository, commit) must agree with the statement. Without
 * one, nothing here is proof: the result is SG_PROV_UNVERIFIED, a hint.
 */
#include "common/common.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "attest/attest_int.h"
#include "verifier/trust/trust_int.h"

#define WHY(...) snprintf(why, why_size, __VA_ARGS__)
#define SLSA_PREFIX "https://slsa.dev/provenance/"
#define BUNDLE_PREFIX "application/vnd.dev.sigstore.bundle"
#define MAX_FIELD 16384 /* bytes of one base64 field other than the payload and body */

/* ---- decoding the bundle ------------------------------------------------------------------ */

void sg_bundle__dispose(sg_bundle *b)
{
    X509_free(b->leaf);
    sg_free(b->leaf_der);
    sg_free(b->body);
    sg_free(b->set);
    sg_free(b->hashes);
    sg_free(b->checkpoint);
    sg_free(b->payload_type);
    sg_free(b->payload);
    sg_free(b->sig);
    memset(b, 0, sizeof(*b));
}

/* A base64 member into *out; SG_EINVALID (why set) when absent, not base64 or too long. */
static int b64_field(unsigned char **out, size_t *len, const cJSON *obj, const char *key,
                     size_t max, char *why, size_t why_size, sg_ctx *ctx)
{
    const char *s = sg_json_str(obj, key);
    int error;
    *out = NULL;
    *len = 0;
    if (!s)
        return WHY("the bundle lacks %s", key), SG_EINVALID;
    if (strlen(s) / 4 * 3 > max)
        return WHY("the bundle's %s is larger than %zu bytes", key, max), SG_EINVALID;
    if ((error = sg_base64_decode(out, len, ctx, s, strlen(s), key)) < 0) {
        if (error == SG_ENOMEM)
            return error;
        sg_error_clear(ctx);
        return WHY("the bundle's %s is not base64", key), SG_EINVALID;
    }
    return 0;
}

/* An int64 written as a JSON string of digits (protobuf JSON) or a number. */
static int int64_field(int64_t *out, const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    const char *s;
    int64_t n = 0;
    *out = 0;
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9.0e15) {
        *out = (int64_t)v->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(v) || !*(s = v->valuestring) || strlen(s) > 18 ||
        strspn(s, "0123456789") != strlen(s))
        return -1;
    for (; *s; s++)
        n = n * 10 + (*s - '0');
    *out = n;
    return 0;
}

static int decode_cert(sg_bundle *b, const cJSON *vm, char *why, size_t why_size, sg_ctx *ctx)
{
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(vm, "x509CertificateChain"), "certificates");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(vm, "certificate");
    const unsigned char *p;
    int error;

    if (cJSON_IsArray(chain))
        c = cJSON_GetArrayItem(chain, 0);
    if (!c)
        return WHY("the bundle has no signing certificate"), SG_EINVALID;
    if ((error = b64_field(&b->leaf_der, &b->leaf_der_len, c, "rawBytes", MAX_FIELD, why, why_size,
                           ctx)) < 0)
        return error;
    p = b->leaf_der;
    b->leaf = d2i_X509(NULL, &p, (long)b->leaf_der_len);
    ERR_clear_error();
    if (!b->leaf || p != b->leaf_der + b->leaf_der_len)
        return WHY("the bundle's signing certificate is not DER X.509"), SG_EINVALID;
    return 0;
}

static int decode_proof(sg_bundle *b, const cJSON *proof, char *why, size_t why_size, sg_ctx *ctx)
{
    const cJSON *hashes = cJSON_GetObjectItemCaseSensitive(proof, "hashes"), *h;
    const char *cp = sg_json_str(cJSON_GetObjectItemCaseSensitive(proof, "checkpoint"), "envelope");
    unsigned char *raw = NULL;
    size_t len = 0;
    int error, n = cJSON_GetArraySize(hashes);

    b->has_proof = 1;
    if (int64_field(&b->proof_index, proof, "logIndex") < 0 ||
        int64_field(&b->tree_size, proof, "treeSize") < 0 || !cJSON_IsArray(hashes) ||
        n > SG_TRUST_MAX_PROOF)
        return WHY("the bundle's inclusion proof is malformed"), SG_EINVALID;
    if ((error = b64_field(&raw, &len, proof, "rootHash", 64, why, why_size, ctx)) < 0)
        return error;
    if (len != 32) {
        sg_free(raw);
        return WHY("the inclusion proof's root hash is not 32 bytes"), SG_EINVALID;
    }
    memcpy(b->root_hash, raw, 32);
    sg_free(raw);
    if (n && !(b->hashes = sg_calloc((size_t)n, 32)))
        return SG_ENOMEM;
    cJSON_ArrayForEach(h, hashes)
    {
        if (!cJSON_IsString(h) ||
            sg_base64_decode(&raw, &len, ctx, h->valuestring, strlen(h->valuestring), "hash") < 0 ||
            len != 32) {
            sg_error_clear(ctx);
            sg_free(raw);
            return WHY("the inclusion proof holds a malformed hash"), SG_EINVALID;
        }
        memcpy(b->hashes[b->nhashes++], raw, 32);
        sg_free(raw);
        raw = NULL;
    }
    if (cp && strlen(cp) < MAX_FIELD && !(b->checkpoint = sg_strdup(cp)))
        return SG_ENOMEM;
    return 0;
}

static int decode_tlog(sg_bundle *b, const cJSON *vm, char *why, size_t why_size, sg_ctx *ctx)
{
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(vm, "tlogEntries");
    const cJSON *e = cJSON_GetArrayItem(entries, 0);
    const cJSON *kv = cJSON_GetObjectItemCaseSensitive(e, "kindVersion");
    const cJSON *promise = cJSON_GetObjectItemCaseSensitive(e, "inclusionPromise");
    const cJSON *proof = cJSON_GetObjectItemCaseSensitive(e, "inclusionProof");
    const char *kind = sg_json_str(kv, "kind"), *ver = sg_json_str(kv, "version");
    unsigned char *id = NULL;
    size_t len = 0;
    int error;

    if (!cJSON_IsArray(entries) || !e)
        return WHY("the bundle has no transparency log entry"), SG_EINVALID;
    if (int64_field(&b->log_index, e, "logIndex") < 0 ||
        int64_field(&b->integrated_time, e, "integratedTime") < 0 || !kind || !ver ||
        strlen(kind) >= sizeof(b->kind) || strlen(ver) >= sizeof(b->kind_version))
        return WHY("the bundle's transparency log entry is malformed"), SG_EINVALID;
    snprintf(b->kind, sizeof(b->kind), "%s", kind);
    snprintf(b->kind_version, sizeof(b->kind_version), "%s", ver);
    if ((error = b64_field(&id, &len, cJSON_GetObjectItemCaseSensitive(e, "logId"), "keyId", 64,
                           why, why_size, ctx)) < 0)
        return error;
    if (len != 32) {
        sg_free(id);
        return WHY("the log entry's log id is not 32 bytes"), SG_EINVALID;
    }
    memcpy(b->log_id, id, 32);
    sg_free(id);
    if ((error = b64_field(&b->body, &b->body_len, e, "canonicalizedBody",
                           (size_t)sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE), why, why_size, ctx)) < 0)
        return error;
    if (cJSON_IsObject(promise) &&
        (error = b64_field(&b->set, &b->set_len, promise, "signedEntryTimestamp", 1024, why,
                           why_size, ctx)) < 0)
        return error;
    if (cJSON_IsObject(proof))
        return decode_proof(b, proof, why, why_size, ctx);
    return 0;
}

static int decode_envelope(sg_bundle *b, const cJSON *env, char *why, size_t why_size, sg_ctx *ctx)
{
    const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(env, "signatures");
    const char *type = sg_json_str(env, "payloadType");
    int error;

    if (!env || !type || !cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1)
        return WHY("the bundle has no DSSE envelope with exactly one signature"), SG_EINVALID;
    if (!(b->payload_type = sg_strdup(type)))
        return SG_ENOMEM;
    if ((error = b64_field(&b->payload, &b->payload_len, env, "payload",
                           (size_t)sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE), why, why_size, ctx)) < 0)
        return error;
    return b64_field(&b->sig, &b->sig_len, cJSON_GetArrayItem(sigs, 0), "sig", 1024, why, why_size,
                     ctx);
}

int sg_bundle__decode(sg_bundle *out, char *why, size_t why_size, sg_ctx *ctx, const cJSON *bundle)
{
    const cJSON *vm = cJSON_GetObjectItemCaseSensitive(bundle, "verificationMaterial");
    const char *mt = sg_json_str(bundle, "mediaType");
    int error;

    memset(out, 0, sizeof(*out));
    if (!mt || strncmp(mt, BUNDLE_PREFIX, strlen(BUNDLE_PREFIX)) != 0)
        return WHY("the attestation is not a Sigstore bundle"), SG_EINVALID;
    if (!cJSON_IsObject(vm))
        return WHY("the bundle has no verification material"), SG_EINVALID;
    if ((error = decode_cert(out, vm, why, why_size, ctx)) < 0 ||
        (error = decode_tlog(out, vm, why, why_size, ctx)) < 0)
        return error;
    return decode_envelope(out, cJSON_GetObjectItemCaseSensitive(bundle, "dsseEnvelope"), why,
                           why_size, ctx);
}

/* ---- the statement ------------------------------------------------------------------------ */

/* 1 when subject name s is purl, or purl with a query (npm adds ?repository_url=). */
static int purl_matches(const char *s, const char *purl)
{
    size_t n = strlen(purl);
    return s && strncmp(s, purl, n) == 0 && (s[n] == '\0' || s[n] == '?');
}

static int check_subject(const cJSON *stmt, const char *purl, const char *sha512_hex, char *why,
                         size_t why_size)
{
    const cJSON *subjects = cJSON_GetObjectItemCaseSensitive(stmt, "subject"), *s;
    const char *first = NULL;
    int named = 0;

    cJSON_ArrayForEach(s, subjects)
    {
        const char *name = sg_json_str(s, "name");
        const char *d = sg_json_str(cJSON_GetObjectItemCaseSensitive(s, "digest"), "sha512");
        if (!first)
            first = name;
        if (!purl_matches(name, purl))
            continue;
        named = 1;
        if (d && sg_strcasecmp(d, sha512_hex) == 0)
            return 1;
    }
    if (named)
        return WHY("the provenance names %s but with another sha512 than the tarball's", purl), 0;
    return WHY("the provenance is about '%.200s', not %s", first ? first : "(no subject)", purl), 0;
}

static void copy_str(char *out, size_t size, const char *s)
{
    snprintf(out, size, "%s", s ? s : "");
}

/* "git+<repo>@<ref>" into repo and ref. The '@' of a ref comes after the "://" (an earlier one
 * ends credentials); without "://" (a hostile "git+foo@bar") the last '@' splits. */
static void split_git_uri(sg_provenance *p, const char *uri)
{
    const char *at, *sep;
    if (!uri || strncmp(uri, "git+", 4) != 0)
        return;
    uri += 4;
    at = strrchr(uri, '@');
    sep = strstr(uri, "://");
    if (at && (!sep || at > sep + 3)) {
        if (!p->repository[0])
            snprintf(p->repository, sizeof(p->repository), "%.*s", (int)(at - uri), uri);
        if (!p->ref[0])
            copy_str(p->ref, sizeof(p->ref), at + 1);
    } else if (!p->repository[0]) {
        copy_str(p->repository, sizeof(p->repository), uri);
    }
}

static const char *digest_commit(const cJSON *digest)
{
    const char *c = sg_json_str(digest, "gitCommit");
    return c ? c : sg_json_str(digest, "sha1");
}

static void extract_v1(sg_provenance *p, const cJSON *pred, const char **commit)
{
    const cJSON *bd = cJSON_GetObjectItemCaseSensitive(pred, "buildDefinition");
    const cJSON *wf = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(bd, "externalParameters"), "workflow");
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(bd, "resolvedDependencies"), *d;

    copy_str(p->repository, sizeof(p->repository), sg_json_str(wf, "repository"));
    copy_str(p->ref, sizeof(p->ref), sg_json_str(wf, "ref"));
    copy_str(p->workflow, sizeof(p->workflow), sg_json_str(wf, "path"));
    copy_str(p->builder, sizeof(p->builder),
             sg_json_str(cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(pred, "runDetails"), "builder"),
                         "id"));
    cJSON_ArrayForEach(d, deps)
    {
        const char *uri = sg_json_str(d, "uri");
        if (uri && strncmp(uri, "git+", 4) == 0) {
            *commit = digest_commit(cJSON_GetObjectItemCaseSensitive(d, "digest"));
            split_git_uri(p, uri);
            break;
        }
    }
}

static void extract_v02(sg_provenance *p, const cJSON *pred, const char **commit)
{
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(pred, "invocation"), "configSource");
    const cJSON *m0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(pred, "materials"), 0);
    const char *entry = sg_json_str(cs, "entryPoint"), *at;

    split_git_uri(p, sg_json_str(cs, "uri"));
    *commit = digest_commit(cJSON_GetObjectItemCaseSensitive(cs, "digest"));
    if (!*commit)
        *commit = digest_commit(cJSON_GetObjectItemCaseSensitive(m0, "digest"));
    if (entry) { /* "owner/repo/.github/workflows/x.yml@ref" -> ".github/workflows/x.yml" */
        const char *gh = strstr(entry, "/.github/");
        at = strrchr(entry, '@');
        if (gh)
            entry = gh + 1;
        snprintf(p->workflow, sizeof(p->workflow), "%.*s",
                 (int)(at && at > entry ? (size_t)(at - entry) : strlen(entry)), entry);
    }
    copy_str(p->builder, sizeof(p->builder),
             sg_json_str(cJSON_GetObjectItemCaseSensitive(pred, "builder"), "id"));
}

static int is_hex_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n == 40 && strspn(s, "0123456789abcdefABCDEF") == n;
}

/* Read the verified payload: statement type, subject, predicate. 1 fine, 0 invalid. */
static int read_statement(sg_provenance *p, sg_ctx *ctx, const sg_bundle *b, const char *purl,
                          const char *sha512_hex, char *why, size_t why_size)
{
    cJSON *stmt = NULL;
    const char *type, *pt, *commit = NULL;
    int ok = 0;
    size_t i;

    if (strcmp(b->payload_type, SG_DSSE_INTOTO_PAYLOAD_TYPE) != 0)
        return WHY("the envelope's payload type is '%.100s', not in-toto", b->payload_type), 0;
    if (sg_json_parse(&stmt, ctx, (const char *)b->payload, b->payload_len,
                      "the provenance statement") < 0) {
        WHY("the provenance statement is not JSON: %s", sg_error_message(ctx));
        sg_error_clear(ctx);
        return 0;
    }
    type = sg_json_str(stmt, "_type");
    pt = sg_json_str(stmt, "predicateType");
    if (!type || (strcmp(type, "https://in-toto.io/Statement/v0.1") != 0 &&
                  strcmp(type, SG_INTOTO_STATEMENT_V1) != 0)) {
        WHY("the payload is not an in-toto statement");
    } else if (!pt || strncmp(pt, SLSA_PREFIX, strlen(SLSA_PREFIX)) != 0 ||
               strlen(pt) >= sizeof(p->predicate_type)) {
        WHY("the statement's predicate is not SLSA provenance");
    } else if (check_subject(stmt, purl, sha512_hex, why, why_size)) {
        const cJSON *pred = cJSON_GetObjectItemCaseSensitive(stmt, "predicate");
        copy_str(p->predicate_type, sizeof(p->predicate_type), pt);
        if (cJSON_GetObjectItemCaseSensitive(pred, "buildDefinition"))
            extract_v1(p, pred, &commit);
        else
            extract_v02(p, pred, &commit);
        if (commit && !is_hex_id(commit)) {
            WHY("the provenance's commit '%.64s' is not a 40-digit hex object id", commit);
        } else {
            for (i = 0; commit && i < 40; i++)
                p->commit[i] = (char)(commit[i] | (commit[i] >= 'A' && commit[i] <= 'F' ? 32 : 0));
            p->commit[commit ? 40 : 0] = '\0';
            ok = 1;
        }
    }
    cJSON_Delete(stmt);
    return ok;
}

/* ---- the whole check ---------------------------------------------------------------------- */

/* The certificate's identity must agree with the statement (both are trusted by now). */
static int cert_agrees(sg_provenance *p, sg_ctx *ctx, char *why, size_t why_size)
{
    sg_buf a = SG_BUF_INIT, c = SG_BUF_INIT;
    int ok = 1;

    if (p->cert.commit[0] && p->commit[0] && sg_strcasecmp(p->cert.commit, p->commit) != 0) {
        WHY("the statement names commit %s but the signing certificate was issued for commit "
            "%.64s",
            p->commit, p->cert.commit);
        return 0;
    }
    if (p->cert.repository[0] && p->repository[0]) {
        if (sg_repo_url_normalize(&a, ctx, p->repository) == 0 &&
            sg_repo_url_normalize(&c, ctx, p->cert.repository) == 0)
            ok = strcmp(a.ptr, c.ptr) == 0;
        else
            ok = strcmp(p->repository, p->cert.repository) == 0;
        sg_error_clear(ctx);
        if (!ok)
            WHY("the statement names repository '%.200s' but the signing certificate was "
                "issued for '%.200s'",
                p->repository, p->cert.repository);
    }
    sg_buf_dispose(&a);
    sg_buf_dispose(&c);
    return ok;
}

/* Checks that need the trusted root. 1 verified, 0 invalid (why set). */
static int verify_trusted(sg_provenance *p, sg_ctx *ctx, const sg_bundle *b,
                          const sg_trusted_root *root, char *why, size_t why_size)
{
    if (!sg_tlog__verify(b, root, why, why_size, ctx) ||
        !sg_cert__verify(b->leaf, b->integrated_time, root, why, why_size, ctx) ||
        !cert_agrees(p, ctx, why, why_size))
        return 0;
    snprintf(p->checks, sizeof(p->checks),
             "rekor-set%s, fulcio-chain%s, dsse-signature, "
             "subject",
             b->has_proof ? (b->checkpoint ? ", inclusion-proof, checkpoint" : ", inclusion-proof")
                          : "",
             root->nctlogs ? ", sct" : "");
    return 1;
}

/* The provenance entry of the attestations document, or NULL (why set). */
static const cJSON *pick(const cJSON *doc, char *why, size_t why_size)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "attestations"), *a;
    if (!cJSON_IsArray(arr))
        return WHY("the attestations document has no \"attestations\" array"), NULL;
    if (cJSON_GetArraySize(arr) > SG_TRUST_MAX_ATTESTATIONS)
        return WHY("the attestations document holds more than %d attestations",
                   SG_TRUST_MAX_ATTESTATIONS),
               NULL;
    cJSON_ArrayForEach(a, arr)
    {
        const char *pt = sg_json_str(a, "predicateType");
        if (pt && strncmp(pt, SLSA_PREFIX, strlen(SLSA_PREFIX)) == 0) {
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(a, "bundle");
            if (!cJSON_IsObject(b))
                WHY("the provenance attestation has no bundle");
            return cJSON_IsObject(b) ? b : NULL;
        }
    }
    return WHY("the attestations document holds no SLSA provenance"), NULL;
}

static int check_bundle(sg_provenance *p, sg_ctx *ctx, const cJSON *bundle, const char *purl,
                        const char *sha512_hex, const sg_trusted_root *root)
{
    sg_bundle b;
    int error, ok = 0;

    if ((error = sg_bundle__decode(&b, p->detail, sizeof(p->detail), ctx, bundle)) < 0)
        goto done;
    sg_cert__identity(&p->cert, b.leaf);
    p->integrated_time = b.integrated_time;
    p->log_index = b.log_index;
    if (!sg_tlog__body_matches(&b, p->detail, sizeof(p->detail), ctx))
        goto done;
    if (!sg_cert__verify_dsse(b.leaf, b.payload_type, b.payload, b.payload_len, b.sig, b.sig_len)) {
        snprintf(p->detail, sizeof(p->detail),
                 "the DSSE signature does not verify with the signing certificate's key");
        goto done;
    }
    if (!read_statement(p, ctx, &b, purl, sha512_hex, p->detail, sizeof(p->detail)))
        goto done;
    if (root) {
        ok = verify_trusted(p, ctx, &b, root, p->detail, sizeof(p->detail));
        p->status = ok ? SG_PROV_VERIFIED : SG_PROV_INVALID;
    } else {
        ok = 1;
        p->status = SG_PROV_UNVERIFIED;
        snprintf(p->checks, sizeof(p->checks),
                 "log-entry-consistency, dsse-signature (certificate key only), subject");
    }
done:
    sg_bundle__dispose(&b);
    if (error == SG_EINVALID)
        error = 0; /* hostile input: a finding */
    if (!ok)
        p->status = SG_PROV_INVALID;
    return error;
}

int sg_provenance__check_json(sg_provenance *out, sg_ctx *ctx, const cJSON *doc, const char *name,
                              const char *version, const unsigned char sha512[64],
                              const sg_trusted_root *root)
{
    sg_buf purl = SG_BUF_INIT;
    const cJSON *bundle;
    char hex[129];
    int error = 0;

    memset(out, 0, sizeof(*out));
    out->status = SG_PROV_INVALID;
    sg_hex(hex, sha512, 64);
    if (sg_purl_npm(&purl, name, version) < 0) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
        goto done;
    }
    if ((bundle = pick(doc, out->detail, sizeof(out->detail))) != NULL)
        error = check_bundle(out, ctx, bundle, purl.ptr, hex, root);
done:
    if (out->status == SG_PROV_INVALID)
        out->commit[0] = '\0'; /* never a hint */
    sg_buf_dispose(&purl);
    return error;
}

int sg_provenance__check(sg_provenance *out, sg_ctx *ctx, const char *doc, size_t len,
                         const char *name, const char *version, const unsigned char sha512[64],
                         const sg_trusted_root *root)
{
    cJSON *json = NULL;
    int error;

    if ((error = sg_json_parse(&json, ctx, doc, len, "the attestations document")) < 0) {
        memset(out, 0, sizeof(*out));
        out->status = SG_PROV_INVALID;
        if (error == SG_ENOMEM)
            return error;
        snprintf(out->detail, sizeof(out->detail), "%s", sg_error_message(ctx));
        sg_error_clear(ctx);
        return 0;
    }
    error = sg_provenance__check_json(out, ctx, json, name, version, sha512, root);
    cJSON_Delete(json);
    return error;
}
