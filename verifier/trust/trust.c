/*
 * Registry mode's trust checks (docs/trust.md): registry signatures, provenance and the
 * publishing history of one release, then the provenance against the resolved source.
 * Problems with the release are findings; every check leaves a line in the report's checks
 * list saying what ran, with which keys or trust root, and whether it used the network.
 */
#include "common/common.h"

#include <openssl/evp.h>

#include "verifier/fetch/registry_int.h"
#include "verifier/trust/trust_int.h"

#define KEYS_MAX_AGE_S (12 * 3600) /* the key set is re-fetched twice a day at most */

typedef struct run {
    sg_report *report;
    sg_ctx *ctx;
    const sg_trust_opts *opts;
    const sg_trust_src *src;
    const cJSON *packument;
    const cJSON *manifest;
    const char *name;
    const char *version;
} run;

static int check_line(run *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int check_line(run *r, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return sg_report_list_add(r->report, r->ctx, SG_LIST_CHECKS, line);
}

static const char *net(const run *r, sg_doc_origin o)
{
    return (o == SG_DOC_FETCHED || o == SG_DOC_ABSENT) && !r->src->offline ? "online" : "offline";
}

/* "<registry without trailing slash><path>": the registry of name, as pacote does. */
static int registry_url(sg_buf *out, sg_ctx *ctx, const run *r, const char *path)
{
    const char *reg = sg_npm_config_registry_for(r->src->config, r->name);
    size_t n = strlen(reg);
    while (n && reg[n - 1] == '/')
        n--;
    sg_buf_put(out, reg, n);
    sg_buf_puts(out, path);
    return sg_buf_check(out, ctx, "a registry URL");
}

/* ---- options ------------------------------------------------------------------------------ */

static const char *origin_or(const char *origin, const char *dflt)
{
    return origin ? origin : dflt;
}

int sg_trust_opts_check(sg_ctx *ctx, const sg_trust_opts *opts)
{
    sg_npm_keys keys = SG_NPM_KEYS_INIT;
    sg_trusted_root *root = NULL;
    int error = 0;

    if (!opts)
        return 0;
    if (opts->registry_keys) {
        const char *what = origin_or(opts->registry_keys_origin, "the pinned registry keys");
        if ((error = sg_npm_keys__parse(&keys, ctx, opts->registry_keys, opts->registry_keys_len,
                                        what)) < 0)
            return error;
        if (keys.count == 0)
            error = sg_error_set(ctx, SG_EINVALID, "%s hold no ECDSA P-256 signing key", what);
        sg_npm_keys__dispose(&keys);
        if (error < 0)
            return error;
    }
    if (opts->trusted_root) {
        error = sg_trusted_root__parse(&root, ctx, opts->trusted_root, opts->trusted_root_len,
                                       origin_or(opts->trusted_root_origin, "the trusted root"));
        sg_trusted_root__free(root);
    }
    return error;
}

/* ---- registry signatures ------------------------------------------------------------------ */

/* The key set: pinned, or fetched. *skip set (with a check line) when it cannot be had. */
static int load_keys(run *r, sg_npm_keys *keys, char *source, size_t size, sg_doc_origin *o,
                     int *skip)
{
    sg_buf url = SG_BUF_INIT;
    cJSON *doc = NULL;
    int error;

    *skip = 0;
    *o = SG_DOC_CACHED;
    if (r->opts->registry_keys) {
        snprintf(source, size, "pinned keys %s",
                 origin_or(r->opts->registry_keys_origin, "(given)"));
        return sg_npm_keys__parse(keys, r->ctx, r->opts->registry_keys, r->opts->registry_keys_len,
                                  origin_or(r->opts->registry_keys_origin, "the pinned keys"));
    }
    if ((error = registry_url(&url, r->ctx, r, "/-/npm/v1/keys")) < 0)
        goto done;
    snprintf(source, size, "the registry's keys");
    error = sg_trust__fetch_json(&doc, o, r->ctx, r->src, url.ptr, "keys", KEYS_MAX_AGE_S,
                                 "the registry's signing keys");
    if (error == SG_ENOTFOUND && r->src->offline) {
        sg_error_clear(r->ctx);
        *skip = 1;
        error = check_line(r, "registry-signature: not checked: the registry's keys are not in "
                              "the cache (offline)");
        goto done;
    }
    if (error == 0 && doc)
        error = sg_npm_keys__from_json(keys, r->ctx, doc, "the registry's signing keys");
done:
    cJSON_Delete(doc);
    sg_buf_dispose(&url);
    return error;
}

static int check_signatures(run *r)
{
    sg_npm_keys keys = SG_NPM_KEYS_INIT;
    sg_sig_result res;
    sg_doc_origin o;
    char source[512];
    int error, skip;

    if (r->src->staged) /* docs/staged-publishing.md */
        return check_line(r, "registry-signature: not applicable: a staged version is signed "
                             "by the registry when it is approved");
    if ((error = load_keys(r, &keys, source, sizeof(source), &o, &skip)) < 0 || skip)
        goto done;
    if ((error = sg_npm_signatures__check(&res, r->ctx, &keys, r->name, r->version, r->manifest,
                                          cJSON_GetObjectItemCaseSensitive(r->packument, "time"))) <
        0)
        goto done;
    switch (res.status) {
    case SG_SIG_VERIFIED:
        error = check_line(r, "registry-signature: verified (key %s; %s; %s)", res.keyid, source,
                           net(r, o));
        break;
    case SG_SIG_NO_KEYS:
        error = check_line(r,
                           "registry-signature: not checked: the registry publishes no "
                           "signing keys (%s)",
                           net(r, o));
        break;
    case SG_SIG_MISSING:
        if ((error = sg_report_addf(r->report, r->ctx, "signature-missing", NULL, "%s",
                                    res.detail)) == 0)
            error = check_line(r, "registry-signature: missing (%s; %s)", source, net(r, o));
        break;
    default:
        if ((error = sg_report_addf(r->report, r->ctx, "signature-invalid", NULL, "%s",
                                    res.detail)) == 0)
            error = check_line(r, "registry-signature: invalid (%s; %s)", source, net(r, o));
        break;
    }
done:
    sg_npm_keys__dispose(&keys);
    return error;
}

/* ---- provenance --------------------------------------------------------------------------- */

static int provenance_lines(run *r, sg_trust_result *out, const sg_provenance *p, sg_doc_origin o)
{
    char where[2048];
    const char *root = origin_or(r->opts->trusted_root_origin, "the trusted root");

    snprintf(where, sizeof(where), "%s; repository %s, ref %s, workflow %s, commit %s",
             p->predicate_type + strlen("https://slsa.dev/"),
             p->repository[0] ? p->repository : "?", p->ref[0] ? p->ref : "?",
             p->workflow[0] ? p->workflow : "?", p->commit[0] ? p->commit : "?");
    if (p->status == SG_PROV_INVALID) {
        out->provenance_invalid = 1;
        if (sg_report_addf(r->report, r->ctx, "provenance-invalid", NULL, "%s", p->detail) < 0)
            return sg_error_code_of(r->ctx);
        return check_line(r, "provenance: invalid (%s)", net(r, o));
    }
    snprintf(out->provenance_commit, sizeof(out->provenance_commit), "%s", p->commit);
    snprintf(out->provenance_repo, sizeof(out->provenance_repo), "%s", p->repository);
    snprintf(out->provenance_ref, sizeof(out->provenance_ref), "%s", p->ref);
    if (p->status == SG_PROV_UNVERIFIED)
        return check_line(r,
                          "provenance: present, not verified (no trusted root): %s; used as "
                          "a hint, never as proof (%s)",
                          where, net(r, o));
    out->provenance_verified = 1;
    return check_line(r,
                      "provenance: verified against %s (%s): %s; signed by %s, logged at "
                      "Rekor index %" PRId64 " (%s)",
                      root, p->checks, where, p->cert.san[0] ? p->cert.san : "?", p->log_index,
                      net(r, o));
}

static int tarball_sha512(unsigned char out[64], sg_ctx *ctx, const unsigned char *b, size_t n)
{
    unsigned int len = 64;
    if (EVP_Digest(b, n, out, &len, EVP_sha512(), NULL) != 1 || len != 64)
        return sg_error_set(ctx, SG_ECRYPTO, "cannot hash the tarball");
    return 0;
}

/* The attestations document of the release; *doc NULL with *done set when there is none. */
static int fetch_attestations(run *r, cJSON **doc, sg_doc_origin *o, const char *att_url, int *done)
{
    sg_buf url = SG_BUF_INIT;
    sg_url_parts parts;
    char shown[512];
    int error;

    *done = 0;
    sg_url__redact(shown, sizeof(shown), att_url ? att_url : "");
    if (!att_url || sg_url__split(&parts, att_url) < 0) {
        *done = 1;
        if ((error = sg_report_addf(r->report, r->ctx, "provenance-invalid", NULL,
                                    "dist.attestations has no usable url ('%s')", shown)) == 0)
            error = check_line(r, "provenance: invalid (no attestations URL)");
        return error;
    }
    if ((error = registry_url(&url, r->ctx, r, parts.path)) < 0)
        goto done;
    error = sg_trust__fetch_json(doc, o, r->ctx, r->src, url.ptr, "attestations", -1,
                                 "the attestations document");
    if (error == SG_ENOTFOUND && r->src->offline) {
        sg_error_clear(r->ctx);
        *done = 1;
        error = check_line(r, "provenance: not checked: the attestations document is not in the "
                              "cache (offline)");
    } else if (error == SG_EINVALID || error == SG_ELIMIT) { /* hostile: a finding */
        char msg[600];
        snprintf(msg, sizeof(msg), "%s", sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        *done = 1;
        if ((error = sg_report_addf(r->report, r->ctx, "provenance-invalid", NULL, "%s", msg)) == 0)
            error = check_line(r, "provenance: invalid (%s)", net(r, *o));
    } else if (error == 0 && !*doc) {
        *done = 1;
        if ((error = sg_report_addf(r->report, r->ctx, "provenance-invalid", NULL,
                                    "the release lists provenance but the registry serves no "
                                    "attestations document at '%s'",
                                    url.ptr)) == 0)
            error = check_line(r, "provenance: invalid (%s)", net(r, *o));
    }
done:
    sg_buf_dispose(&url);
    return error;
}

static int check_provenance(run *r, sg_trust_result *out, const unsigned char *tarball, size_t len)
{
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->manifest, "dist"), "attestations");
    sg_trusted_root *root = NULL;
    cJSON *doc = NULL;
    sg_provenance p;
    sg_doc_origin o = SG_DOC_CACHED;
    unsigned char sha512[64];
    int error, done;

    if (!cJSON_IsObject(att))
        return check_line(r, "provenance: none (the release has no dist.attestations)");
    out->provenance_present = 1;
    if (r->opts->trusted_root &&
        (error = sg_trusted_root__parse(
             &root, r->ctx, r->opts->trusted_root, r->opts->trusted_root_len,
             origin_or(r->opts->trusted_root_origin, "the trusted root"))) < 0)
        return error;
    if ((error = fetch_attestations(r, &doc, &o, sg_json_str(att, "url"), &done)) < 0 || done)
        goto done;
    if ((error = tarball_sha512(sha512, r->ctx, tarball, len)) < 0 ||
        (error = sg_provenance__check_json(&p, r->ctx, doc, r->name, r->version, sha512, root)) < 0)
        goto done;
    error = provenance_lines(r, out, &p, o);
done:
    cJSON_Delete(doc);
    sg_trusted_root__free(root);
    return error;
}

static int check_history(run *r)
{
    sg_history h;
    int error;
    sg_history__init(&h);
    if ((error = sg_history__scan(&h, r->ctx, r->packument, r->version)) == 0)
        error = sg_history__report(r->report, r->ctx, &h);
    sg_history__dispose(&h);
    return error;
}

int sg_trust__check_release(sg_trust_result *out, sg_report *report, sg_ctx *ctx,
                            const sg_trust_opts *opts, const sg_trust_src *src,
                            const cJSON *packument, const char *name, const char *version,
                            const unsigned char *tarball, size_t len)
{
    run r;
    int error;

    memset(out, 0, sizeof(*out));
    r.report = report;
    r.ctx = ctx;
    r.opts = opts;
    r.src = src;
    r.packument = packument;
    r.manifest = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(packument, "versions"), version);
    r.name = name;
    r.version = version;
    if (!r.manifest)
        return sg_error_set(ctx, SG_EINVALID, "the packument has no version '%s'", version);
    if ((error = check_signatures(&r)) < 0 || (error = check_provenance(&r, out, tarball, len)) < 0)
        return error;
    return check_history(&r);
}

/* ---- provenance against the source -------------------------------------------------------- */

/* A tag name safe to hand to the resolver: no revision syntax, no "..". */
static int safe_ref(const char *s)
{
    size_t i, n = strlen(s);
    if (n == 0 || n > 200 || strstr(s, "..") || strstr(s, "@{") || s[0] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == '/' || c == '@' || c == '+'))
            return 0;
    }
    return 1;
}

/* Tags the provenance or the version names: refs/tags/... (deduplicated). */
static size_t tag_names(char out[5][320], const sg_trust_result *tr, const char *name,
                        const char *version)
{
    const char *unscoped = name[0] == '@' && strchr(name, '/') ? strchr(name, '/') + 1 : name;
    char cand[5][320];
    size_t n = 0, k, i;

    cand[0][0] = '\0';
    if (strncmp(tr->provenance_ref, "refs/tags/", 10) == 0)
        snprintf(cand[0], sizeof(cand[0]), "%s", tr->provenance_ref);
    snprintf(cand[1], sizeof(cand[1]), "refs/tags/v%s", version);
    snprintf(cand[2], sizeof(cand[2]), "refs/tags/%s", version);
    snprintf(cand[3], sizeof(cand[3]), "refs/tags/%s@%s", name, version);
    snprintf(cand[4], sizeof(cand[4]), "refs/tags/%s@%s", unscoped, version);
    for (k = 0; k < 5; k++) {
        int dup = 0;
        if (!cand[k][0] || !safe_ref(cand[k]))
            continue;
        for (i = 0; i < n; i++)
            dup |= strcmp(out[i], cand[k]) == 0;
        if (!dup)
            snprintf(out[n++], sizeof(out[0]), "%s", cand[k]);
    }
    return n;
}

static int mismatch(sg_report *report, sg_ctx *ctx, int *count, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int mismatch(sg_report *report, sg_ctx *ctx, int *count, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    (*count)++;
    return sg_report_addf(report, ctx, "provenance-source-mismatch", NULL, "%s", detail);
}

static int compare_repository(sg_report *report, sg_ctx *ctx, const sg_trust_result *tr,
                              const char *repository, int *count)
{
    sg_buf p = SG_BUF_INIT;
    int error = 0;

    if (!repository || !tr->provenance_repo[0])
        return 0;
    if (sg_repo_url_normalize(&p, ctx, tr->provenance_repo) < 0) {
        sg_error_clear(ctx);
        error = mismatch(report, ctx, count,
                         "the provenance names repository '%s', which is not a repository URL",
                         tr->provenance_repo);
    } else if (strcmp(p.ptr, repository) != 0) {
        error = mismatch(report, ctx, count,
                         "the provenance was built from repository %s, but the package names "
                         "%s",
                         p.ptr, repository);
    }
    sg_buf_dispose(&p);
    return error;
}

static int compare_tags(sg_report *report, sg_ctx *ctx, const sg_trust_result *tr,
                        sg_git_repo *repo, const char *name, const char *version, int *count)
{
    char tags[5][320], commit[41];
    size_t n = tag_names(tags, tr, name, version), i;
    int error = 0, had = sg_error_code_of(ctx);

    for (i = 0; i < n && error == 0; i++) {
        if (sg_git_resolve(commit, ctx, repo, tags[i]) < 0) {
            if (!had)
                sg_error_clear(ctx);
            continue;
        }
        if (strcmp(commit, tr->provenance_commit) != 0)
            error = mismatch(report, ctx, count,
                             "tag '%s' names commit %s, but the provenance names commit %s",
                             tags[i] + 10, commit, tr->provenance_commit);
    }
    return error;
}

int sg_trust__check_source(sg_report *report, sg_ctx *ctx, const sg_trust_result *tr,
                           const char *repository, sg_git_repo *repo, const char *name,
                           const char *version, const char *resolved_commit)
{
    int error, count = 0;

    if (!tr->provenance_present || tr->provenance_invalid)
        return 0;
    if (!tr->provenance_verified)
        return sg_report_list_add(report, ctx, SG_LIST_CHECKS,
                                  "provenance-source: not compared (the provenance is not "
                                  "verified)");
    if ((error = compare_repository(report, ctx, tr, repository, &count)) < 0)
        return error;
    if (repo && tr->provenance_commit[0]) {
        if (!resolved_commit || !*resolved_commit)
            error = mismatch(report, ctx, &count,
                             "the provenance names commit %s, which the repository lacks or "
                             "whose package.json is not %s@%s",
                             tr->provenance_commit, name, version);
        else if (strcmp(resolved_commit, tr->provenance_commit) != 0)
            error = mismatch(report, ctx, &count,
                             "the release was compared with commit %s, but the provenance "
                             "names commit %s",
                             resolved_commit, tr->provenance_commit);
        if (error == 0)
            error = compare_tags(report, ctx, tr, repo, name, version, &count);
    }
    if (error < 0)
        return error;
    if (count)
        return sg_report_list_add(report, ctx, SG_LIST_CHECKS,
                                  "provenance-source: mismatch (see findings)");
    {
        char line[600];
        snprintf(line, sizeof(line), "provenance-source: %s%s%s",
                 repository ? "repository agrees" : "no repository to compare",
                 repo && tr->provenance_commit[0] ? ", commit agrees: " : "",
                 repo && tr->provenance_commit[0] ? tr->provenance_commit : "");
        return sg_report_list_add(report, ctx, SG_LIST_CHECKS, line);
    }
}
