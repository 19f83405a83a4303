/*
 * Registry signatures, provenance and publishing history end to end, offline: a loopback
 * registry serves packuments whose dist.signatures and dist.attestations were made here (by
 * a test npm key and a test Sigstore, tests/support/sigstore_fixture.c), the keys
 * endpoint and the attestations documents; the repository is a libgit2 fixture reached
 * through a URL rewrite. The npm registry reachable from CI serves packuments without
 * signatures, attestations or publisher fields, so this is where the pipeline is tested.
 */
#include "sg_test.h"
#include "http_server.h"

#include "verifier/trust/trust_int.h"
#include "sigstore_fixture.h"

#define REPO_URL "git+https://github.com/acme/demo.git"
#define PJ(v)                                                                                      \
    "{\"name\":\"demo\",\"version\":\"" v "\",\"main\":\"index.js\",\"repository\":\"" REPO_URL    \
    "\"}"

typedef struct scenario {
    int sign;               /* dist.signatures by the served key */
    int bad_sig;            /* ... with one byte changed */
    int keys;               /* serve /-/npm/v1/keys (else 404) */
    int attest;             /* 1.0.0 lists provenance */
    int serve_attestations; /* ... and the registry serves it (else 404) */
    const char *prov_repo;  /* the statement's repository (default acme/demo) */
    int prov_commit_b;      /* the statement names commit B instead of the tagged A */
    const char *subject;    /* the statement's package (default "demo") */
} scenario;

typedef struct fixture {
    char *dir;
    char repo[4096], file_url[4200];
    char commit_a[41], commit_b[41];
    sgt_http_server *srv;
    sgt_http_route routes[8];
    sgt_sigstore sig;
    EVP_PKEY *npm_key;
    char *trusted_root;
    char *packument, *keys, *attestations;
    unsigned char *tgz[2];
    size_t tgz_len[2];
    int ncache;
} fixture;

static sg_ctx *ctx;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sgt_file a[] = {{"package.json", PJ("1.0.0"), 0, 0},
                    {"index.js", "module.exports = 1;\n", 0, 0}};
    sgt_file b[] = {{"package.json", PJ("1.0.0"), 0, 0},
                    {"index.js", "module.exports = 2;\n", 0, 0}};
    sgt_tar_entry ta[] = {{"package/package.json", PJ("1.0.0"), 0, 0, 0, NULL},
                          {"package/index.js", "module.exports = 1;\n", 0, 0, 0, NULL}};
    sgt_tar_entry tb[] = {{"package/package.json", PJ("1.0.1"), 0, 0, 0, NULL},
                          {"package/index.js", "module.exports = 1;\n", 0, 0, 0, NULL}};
    sg_ctx_new(&ctx);
    f->dir = sgt_tmpdir();
    snprintf(f->repo, sizeof(f->repo), "%s/repo.git", f->dir);
    snprintf(f->file_url, sizeof(f->file_url), "file://%s", f->repo);
    sgt_git_init(f->repo, 1);
    sgt_git_commit(f->commit_a, f->repo, NULL, a, 2, "1.0.0", 0);
    sgt_git_tag(f->repo, "v1.0.0", f->commit_a, 1);
    sgt_git_commit(f->commit_b, f->repo, NULL, b, 2, "a later change", 10);
    sgt_tar_build(&f->tgz[0], &f->tgz_len[0], ta, 2, 1);
    sgt_tar_build(&f->tgz[1], &f->tgz_len[1], tb, 2, 1);
    sgt_sigstore_init(&f->sig);
    f->npm_key = sgt_p256();
    f->trusted_root = sgt_trusted_root(&f->sig);
    sgt_http_start_routes(&f->srv, NULL, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sgt_http_stop(f->srv);
    sgt_sigstore_free(&f->sig);
    EVP_PKEY_free(f->npm_key);
    free(f->trusted_root);
    free(f->packument);
    free(f->keys);
    free(f->attestations);
    free(f->tgz[0]);
    free(f->tgz[1]);
    free(f);
    sg_ctx_free(ctx);
    return 0;
}

static char *integrity_of(const unsigned char *b, size_t n)
{
    sg_buf out = SG_BUF_INIT;
    char *s;
    assert_int_equal(sg_integrity_sha512(&out, ctx, b, n), 0);
    s = strdup(out.ptr);
    sg_buf_dispose(&out);
    return s;
}

static void add_version(fixture *f, cJSON *versions, cJSON *time, int i, const char *v,
                        const char *when, const scenario *sc)
{
    char url[512], *integrity = integrity_of(f->tgz[i], f->tgz_len[i]);
    cJSON *m = cJSON_Parse(i == 0 ? PJ("1.0.0") : PJ("1.0.1")), *dist;
    dist = cJSON_AddObjectToObject(m, "dist");
    snprintf(url, sizeof(url), "%sdemo/-/demo-%s.tgz", sgt_http_base_url(f->srv), v);
    cJSON_AddStringToObject(dist, "tarball", url);
    cJSON_AddStringToObject(dist, "integrity", integrity);
    if (sc->sign) {
        char *sig = sgt_npm_sign(f->npm_key, "demo", v, integrity);
        cJSON *s = cJSON_CreateObject();
        if (sc->bad_sig)
            sig[12] = sig[12] == 'A' ? 'B' : 'A';
        cJSON_AddStringToObject(s, "keyid", "SHA256:test-npm");
        cJSON_AddStringToObject(s, "sig", sig);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(dist, "signatures"), s);
        free(sig);
    }
    if (i == 0 && sc->attest) {
        cJSON *att = cJSON_AddObjectToObject(dist, "attestations");
        /* another host in the URL: only its path is used, on the configured registry */
        cJSON_AddStringToObject(att, "url",
                                "https://registry.npmjs.org/-/npm/v1/attestations/demo@1.0.0");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(att, "provenance"), "predicateType",
                                "https://slsa.dev/provenance/v1");
    }
    cJSON_AddItemToObject(versions, v, m);
    cJSON_AddStringToObject(time, v, when);
    free(integrity);
}

static void serve(fixture *f, const scenario *sc)
{
    cJSON *doc = cJSON_CreateObject(), *versions, *time;
    size_t n = 0;

    cJSON_AddStringToObject(doc, "name", "demo");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(doc, "dist-tags"), "latest", "1.0.1");
    versions = cJSON_AddObjectToObject(doc, "versions");
    time = cJSON_AddObjectToObject(doc, "time");
    add_version(f, versions, time, 0, "1.0.0", "2024-01-01T00:00:00.000Z", sc);
    add_version(f, versions, time, 1, "1.0.1", "2024-02-01T00:00:00.000Z", sc);
    free(f->packument);
    f->packument = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    free(f->keys);
    f->keys = sgt_npm_keys(f->npm_key, "SHA256:test-npm", NULL);
    free(f->attestations);
    {
        unsigned char d[64];
        unsigned int dl = 64;
        char hex[129], *stmt;
        sgt_bundle_opts o;
        EVP_Digest(f->tgz[0], f->tgz_len[0], d, &dl, EVP_sha512(), NULL);
        sg_hex(hex, d, 64);
        stmt = sgt_statement_v1(sc->subject ? sc->subject : "demo", "1.0.0", hex,
                                sc->prov_repo ? sc->prov_repo : "https://github.com/acme/demo",
                                "refs/tags/v1.0.0", sc->prov_commit_b ? f->commit_b : f->commit_a);
        memset(&o, 0, sizeof(o));
        o.statement = stmt;
        f->attestations = sgt_attestations(&f->sig, &o);
        free(stmt);
    }
    memset(f->routes, 0, sizeof(f->routes));
    f->routes[n].target = "/demo";
    f->routes[n++].body = f->packument;
    f->routes[n].target = "/demo/-/demo-1.0.0.tgz";
    f->routes[n].body = f->tgz[0];
    f->routes[n++].body_len = f->tgz_len[0];
    f->routes[n].target = "/demo/-/demo-1.0.1.tgz";
    f->routes[n].body = f->tgz[1];
    f->routes[n++].body_len = f->tgz_len[1];
    if (sc->keys) {
        f->routes[n].target = "/-/npm/v1/keys";
        f->routes[n++].body = f->keys;
    }
    if (sc->serve_attestations) {
        f->routes[n].target = "/-/npm/v1/attestations/demo@1.0.0";
        f->routes[n++].body = f->attestations;
    }
    sgt_http_set_routes(f->srv, f->routes, n);
}

/* Verify demo@version in registry mode with these trust options; a fresh cache unless
 * `cache` names one. Returns the report (the caller frees it). */
static sg_report *verify(fixture *f, const char *version, int with_root, int offline,
                         const char *cache_dir)
{
    sg_verify_release_opts o = SG_VERIFY_RELEASE_OPTS_INIT;
    sg_trust_opts t = SG_TRUST_OPTS_INIT;
    sg_npm_config *cfg = NULL;
    sg_url_rewrites *rw = NULL;
    sg_cache *cache = NULL;
    sg_report *r = NULL;
    sg_buf json = SG_BUF_INIT;
    char dir[4300];
    int rc;

    if (cache_dir)
        snprintf(dir, sizeof(dir), "%s", cache_dir);
    else
        snprintf(dir, sizeof(dir), "%s/cache-%d", f->dir, f->ncache++);
    assert_int_equal(sg_cache_open(&cache, ctx, dir), 0);
    assert_int_equal(sg_npm_config_new(&cfg, ctx), 0);
    assert_int_equal(sg_npm_config_set_registry(cfg, ctx, sgt_http_base_url(f->srv)), 0);
    assert_int_equal(sg_url_rewrites_new(&rw, ctx), 0);
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://github.com/acme/demo.git", f->file_url),
                     0);
    if (with_root) {
        t.trusted_root = f->trusted_root;
        t.trusted_root_len = strlen(f->trusted_root);
        t.trusted_root_origin = "test-root.json";
    }
    o.name = "demo";
    o.spec = version;
    o.cache = cache;
    o.npm_config = cfg;
    o.rewrites = rw;
    o.offline = offline;
    o.trust = &t;
    o.registry.max_retries = -1;
    rc = sg_verify_release(&r, ctx, &o);
    if (rc < 0)
        fail_msg("sg_verify_release: %s", sg_error_message(ctx));
    sg_report_write_json(&json, ctx, r);
    print_message("%s", json.ptr);
    sg_buf_dispose(&json);
    sg_url_rewrites_free(rw);
    sg_npm_config_free(cfg);
    sg_cache_free(cache);
    return r;
}

static const sg_finding *find(const sg_report *r, const char *kind)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(r); i++)
        if (!strcmp(sg_report_finding(r, i)->kind, kind))
            return sg_report_finding(r, i);
    return NULL;
}

static const char *check(const sg_report *r, const char *prefix)
{
    size_t i;
    for (i = 0; i < sg_report_list_count(r, SG_LIST_CHECKS); i++) {
        const char *l = sg_report_list_get(r, SG_LIST_CHECKS, i);
        if (!strncmp(l, prefix, strlen(prefix)))
            return l;
    }
    return NULL;
}

static void test_trust__signed_release_with_verified_provenance_passes(void **state)
{
    fixture *f = *state;
    scenario sc = {1, 0, 1, 1, 1, NULL, 0, NULL};
    sg_report *r;
    serve(f, &sc);
    r = verify(f, "1.0.0", 1, 0, NULL);
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_PASS);
    assert_string_equal(sg_report_get(r, SG_REPORT_SOURCE_RESOLVED_BY), "provenance");
    assert_string_equal(sg_report_get(r, SG_REPORT_SOURCE_COMMIT), f->commit_a);
    assert_non_null(strstr(check(r, "registry-signature:"), "verified (key SHA256:test-npm"));
    assert_non_null(strstr(check(r, "registry-signature:"), "online"));
    assert_non_null(strstr(check(r, "provenance:"), "verified against test-root.json"));
    assert_non_null(check(r, "provenance-source: repository agrees, commit agrees"));
    assert_non_null(check(r, "publish-history: 0 earlier releases"));
    assert_null(find(r, "provenance-source-mismatch"));
    assert_null(find(r, "signature-invalid"));
    sg_report_free(r);
}

static void test_trust__offline_rerun_uses_the_cached_keys_and_attestations(void **state)
{
    fixture *f = *state;
    scenario sc = {1, 0, 1, 1, 1, NULL, 0, NULL};
    char cache[4200];
    size_t before;
    sg_report *r;
    serve(f, &sc);
    snprintf(cache, sizeof(cache), "%s/cache-offline", f->dir);
    sg_report_free(verify(f, "1.0.0", 1, 0, cache));
    before = sgt_http_request_count(f->srv);
    r = verify(f, "1.0.0", 1, 1, cache);
    assert_int_equal(sgt_http_request_count(f->srv), before);
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_PASS);
    assert_non_null(strstr(check(r, "registry-signature:"), "verified"));
    assert_non_null(strstr(check(r, "registry-signature:"), "offline"));
    assert_non_null(strstr(check(r, "provenance:"), "offline"));
    sg_report_free(r);
    /* a warm online run: the keys are fresh, the attestations immutable: only the packument */
    before = sgt_http_request_count(f->srv);
    r = verify(f, "1.0.0", 1, 0, cache);
    assert_int_equal(sgt_http_request_count(f->srv), before + 1);
    sg_report_free(r);
}

static void test_trust__a_changed_signature_is_signature_invalid(void **state)
{
    fixture *f = *state;
    scenario sc = {1, 1, 1, 0, 0, NULL, 0, NULL};
    sg_report *r;
    serve(f, &sc);
    r = verify(f, "1.0.0", 0, 0, NULL);
    assert_non_null(find(r, "signature-invalid"));
    assert_int_equal(find(r, "signature-invalid")->severity, SG_SEV_CRITICAL);
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_FAIL);
    sg_report_free(r);
}

static void test_trust__no_signature_is_missing_only_when_the_registry_has_keys(void **state)
{
    fixture *f = *state;
    scenario with_keys = {0, 0, 1, 0, 0, NULL, 0, NULL}, without = {0, 0, 0, 0, 0, NULL, 0, NULL};
    sg_report *r;
    serve(f, &with_keys);
    r = verify(f, "1.0.0", 0, 0, NULL);
    assert_non_null(find(r, "signature-missing"));
    assert_int_equal(find(r, "signature-missing")->severity, SG_SEV_MEDIUM);
    sg_report_free(r);
    serve(f, &without);
    r = verify(f, "1.0.0", 0, 0, NULL);
    assert_null(find(r, "signature-missing"));
    assert_non_null(strstr(check(r, "registry-signature:"), "publishes no signing keys"));
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_PASS);
    sg_report_free(r);
}

static void test_trust__provenance_from_another_repository_is_a_mismatch(void **state)
{
    fixture *f = *state;
    scenario sc = {1, 0, 1, 1, 1, "https://github.com/evil/demo", 0, NULL};
    sg_report *r;
    serve(f, &sc);
    r = verify(f, "1.0.0", 1, 0, NULL);
    assert_non_null(find(r, "provenance-source-mismatch"));
    assert_non_null(strstr(find(r, "provenance-source-mismatch")->detail, "evil/demo"));
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_FAIL);
    sg_report_free(r);
}

static void test_trust__provenance_commit_other_than_the_tags_is_a_mismatch(void **state)
{
    fixture *f = *state;
    scenario sc = {1, 0, 1, 1, 1, NULL, 1, NULL};
    const sg_finding *m;
    sg_report *r;
    serve(f, &sc);
    r = verify(f, "1.0.0", 1, 0, NULL);
    m = find(r, "provenance-source-mismatch");
    assert_non_null(m);
    assert_non_null(strstr(m->detail, "tag 'v1.0.0' names commit"));
    assert_non_null(strstr(m->detail, f->commit_a));
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_FAIL);
    sg_report_free(r);
}

static void test_trust__unverified_provenance_is_a_hint_never_proof(void **state)
{
    fixture *f = *state;
    scenario sc = {1, 0, 1, 1, 1, "https://github.com/evil/demo", 1, NULL};
    sg_report *r;
    serve(f, &sc);
    r = verify(f, "1.0.0", 0, 0, NULL);
    /* no trusted root: resolution does not use it, and it proves nothing either way */
    assert_string_equal(sg_report_get(r, SG_REPORT_SOURCE_RESOLVED_BY), "tag");
    assert_non_null(strstr(check(r, "provenance:"), "present, not verified"));
    assert_non_null(strstr(check(r, "provenance:"), f->commit_b));
    assert_non_null(check(r, "provenance-source: not compared"));
    assert_null(find(r, "provenance-source-mismatch"));
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_PASS);
    sg_report_free(r);
}

static void test_trust__another_packages_bundle_is_provenance_invalid(void **state)
{
    fixture *f = *state;
    scenario sc = {1, 0, 1, 1, 1, NULL, 0, "other"};
    sg_report *r;
    serve(f, &sc);
    r = verify(f, "1.0.0", 1, 0, NULL);
    assert_non_null(find(r, "provenance-invalid"));
    assert_non_null(strstr(find(r, "provenance-invalid")->detail, "pkg:npm/other@1.0.0"));
    assert_string_equal(sg_report_get(r, SG_REPORT_SOURCE_RESOLVED_BY), "tag");
    sg_report_free(r);
}

static void test_trust__listed_but_unserved_attestations_are_invalid(void **state)
{
    fixture *f = *state;
    scenario sc = {1, 0, 1, 1, 0, NULL, 0, NULL};
    sg_report *r;
    serve(f, &sc);
    r = verify(f, "1.0.0", 1, 0, NULL);
    assert_non_null(find(r, "provenance-invalid"));
    assert_non_null(strstr(find(r, "provenance-invalid")->detail, "serves no attestations"));
    sg_report_free(r);
}

static void test_trust__a_release_without_the_provenance_its_predecessor_had(void **state)
{
    fixture *f = *state;
    scenario sc = {1, 0, 1, 1, 1, NULL, 0, NULL};
    const sg_finding *p;
    sg_report *r;
    serve(f, &sc);
    r = verify(f, "1.0.1", 1, 0, NULL);
    p = find(r, "provenance-regression");
    assert_non_null(p);
    assert_int_equal(p->severity, SG_SEV_HIGH);
    assert_non_null(strstr(p->detail, "1.0.0"));
    assert_non_null(strstr(check(r, "provenance:"), "none"));
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_FAIL);
    sg_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust__signed_release_with_verified_provenance_passes),
        cmocka_unit_test(test_trust__offline_rerun_uses_the_cached_keys_and_attestations),
        cmocka_unit_test(test_trust__a_changed_signature_is_signature_invalid),
        cmocka_unit_test(test_trust__no_signature_is_missing_only_when_the_registry_has_keys),
        cmocka_unit_test(test_trust__provenance_from_another_repository_is_a_mismatch),
        cmocka_unit_test(test_trust__provenance_commit_other_than_the_tags_is_a_mismatch),
        cmocka_unit_test(test_trust__unverified_provenance_is_a_hint_never_proof),
        cmocka_unit_test(test_trust__another_packages_bundle_is_provenance_invalid),
        cmocka_unit_test(test_trust__listed_but_unserved_attestations_are_invalid),
        cmocka_unit_test(test_trust__a_release_without_the_provenance_its_predecessor_had),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
