/*
 * Registry aliases in a rebuild (issue 15): a yarn.lock whose resolved URLs name
 * registry.yarnpkg.com installs through the registry gateway, never from that host. The
 * registry is a loopback server (offline) serving `dep` and a stand-in for yarn 1.22.22 that
 * corepack fetches through the gateway; the stand-in's install fetches every resolved URL of
 * yarn.lock as it is (as yarn classic does) and fails on one that is not the gateway.
 * Package managers through sourcegate: corepack's own signature check is off only after
 * sourcegate checked the stand-in (integrity at the gateway; registry signatures, when the
 * packument carries them, verified with the registry's or the pinned keys); signatures that do
 * not verify fail the rebuild. The cases skip without node, npm, corepack or a working
 * bubblewrap.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/common.h"
#include "http_server.h"
#include "verifier/rebuild/rebuild_int.h"

/* yarn 1.22.22's stand-in: install fetches yarn.lock's resolved URLs, pack runs npm pack. */
static const char fake_yarn_js[] =
    "#!/usr/bin/env node\n"
    "const fs = require('fs'), http = require('http'), cp = require('child_process');\n"
    "const path = require('path'), a = process.argv.slice(2);\n"
    "if (a[0] === 'install') {\n"
    "  const lock = fs.readFileSync('yarn.lock', 'utf8');\n"
    "  const urls = [...lock.matchAll(/resolved \"([^\"#]+)/g)].map((m) => m[1]);\n"
    "  if (!urls.length) { console.error('FAKEYARN: no resolved URL'); process.exit(1); }\n"
    "  let left = urls.length;\n"
    "  for (const u of urls) {\n"
    "    if (!u.startsWith('http://127.0.0.1:')) {\n"
    "      console.error('FAKEYARN: not routed: ' + u); process.exit(1); }\n"
    "    http.get(u, (res) => {\n"
    "      const parts = [];\n"
    "      res.on('data', (c) => parts.push(c));\n"
    "      res.on('end', () => {\n"
    "        if (res.statusCode !== 200) {\n"
    "          console.error('FAKEYARN: ' + res.statusCode + ' for ' + u); process.exit(1); }\n"
    "        fs.mkdirSync('node_modules/.fake', {recursive: true});\n"
    "        fs.writeFileSync('node_modules/.fake/' + path.basename(u), Buffer.concat(parts));\n"
    "        console.error('FAKEYARN: fetched ' + u);\n"
    "        if (--left === 0) process.exit(0);\n"
    "      });\n"
    "    }).on('error', (e) => { console.error('FAKEYARN: ' + e.message); process.exit(1); });\n"
    "  }\n"
    "} else if (a[0] === 'run') {\n"
    "  const s = JSON.parse(fs.readFileSync('package.json', 'utf8')).scripts[a[1]];\n"
    "  const r = cp.spawnSync('sh', ['-c', s], {stdio: 'inherit'});\n"
    "  process.exit(r.status === null ? 1 : r.status);\n"
    "} else if (a[0] === 'pack') {\n"
    "  const f = a[a.indexOf('--filename') + 1];\n"
    "  const r = cp.spawnSync('npm', ['pack', '--pack-destination', path.dirname(f)],\n"
    "                         {stdio: 'inherit'});\n"
    "  process.exit(r.status === null ? 1 : r.status);\n"
    "} else {\n"
    "  process.exit(0);\n"
    "}\n";

#define FAKE_YARN_PJ                                                                               \
    "{\"name\":\"yarn\",\"version\":\"1.22.22\",\"bin\":{\"yarn\":\"bin/yarn.js\"}}\n"

#define APP_PJ                                                                                     \
    "{\"name\":\"app\",\"version\":\"1.0.0\",\"files\":[\"index.js\",\"dist\"],\n"                 \
    " \"packageManager\":\"yarn@1.22.22\",\"scripts\":{\"build\":\"node build.js\"},\n"            \
    " \"dependencies\":{\"dep\":\"1.0.0\"}}\n"

/* The build: a generated file, so the verdict depends on the rebuild. */
#define BUILD_JS                                                                                   \
    "require('fs').mkdirSync('dist', {recursive: true});\n"                                        \
    "require('fs').writeFileSync('dist/index.js', 'module.exports = 2;\\n');\n"

/* How the registry signs yarn@1.22.22. */
typedef enum {
    SIG_NONE = 0, /* no dist.signatures (a mirror that strips them) */
    SIG_GOOD,     /* signed with the key /-/npm/v1/keys publishes */
    SIG_BAD,      /* a signature over another integrity */
} sig_mode;

#define KEYID "SHA256:sourcegate-test"

typedef struct fx {
    sg_ctx *ctx;              /* context */
    int ok;                   /* node, npm, corepack and bubblewrap work */
    char bwrap[4096];         /* bubblewrap */
    char *cache;              /* sourcegate's cache folder */
    char *dir;                /* fixtures */
    sg_rebuild_opts ro;       /* rebuild options */
    sg_report *report;        /* the last report */
    sgt_http_server *srv;     /* the registry */
    sgt_http_route routes[6]; /* dep and yarn: packuments, yarn's version document, tarballs;
                                 the registry's keys */
    char dep_pack[2048];      /* dep's packument */
    char yarn_pack[4096];     /* yarn's packument */
    char yarn_doc[2048];      /* yarn's version document (what corepack asks for) */
    char keys[1024];          /* the registry's /-/npm/v1/keys */
    char other_keys[1024];    /* a keys document with another key (pinned) */
    const char *yarn_base;    /* where yarn's dist.tarball is; NULL: the registry */
    char dep_integrity[256];  /* dep's dist.integrity */
    unsigned char *dep;       /* dep's tarball */
    size_t dep_len;           /* its bytes */
    unsigned char *yarn;      /* the stand-in yarn's tarball */
    size_t yarn_len;          /* its bytes */
} fx;

static const char *search_path(void)
{
    const char *p = getenv("PATH");
    return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

static void integrity(char *out, size_t size, sg_ctx *ctx, const unsigned char *b, size_t n)
{
    sg_buf integ = SG_BUF_INIT;
    assert_int_equal(sg_integrity_sha512(&integ, ctx, b, n), 0);
    snprintf(out, size, "%s", integ.ptr);
    sg_buf_dispose(&integ);
}

/* A keys document holding k's public key under KEYID. */
static void keys_doc(char *out, size_t size, EVP_PKEY *k)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    sg_buf b64 = SG_BUF_INIT;
    assert_true(n > 0);
    assert_int_equal(sg_base64_encode(&b64, der, (size_t)n), 0);
    snprintf(out, size,
             "{\"keys\":[{\"expires\":null,\"keyid\":\"%s\",\"keytype\":\"ecdsa-sha2-nistp256\","
             "\"scheme\":\"ecdsa-sha2-nistp256\",\"key\":\"%s\"}]}",
             KEYID, b64.ptr);
    OPENSSL_free(der);
    sg_buf_dispose(&b64);
}

/* ,"signatures":[...] of the registry: k's ECDSA over "yarn@1.22.22:<integrity>". */
static void signatures(char *out, size_t size, EVP_PKEY *k, const char *integrity)
{
    char msg[512];
    unsigned char sig[128];
    size_t slen = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    sg_buf b64 = SG_BUF_INIT;
    snprintf(msg, sizeof(msg), "yarn@1.22.22:%s", integrity);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &slen, (const unsigned char *)msg, strlen(msg)), 1);
    assert_int_equal(sg_base64_encode(&b64, sig, slen), 0);
    snprintf(out, size, ",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}]", KEYID, b64.ptr);
    EVP_MD_CTX_free(md);
    sg_buf_dispose(&b64);
}

static void serve(fx *f, sig_mode mode)
{
    EVP_PKEY *k = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
    char sigs[512] = "";
    const char *base = sgt_http_base_url(f->srv);
    char yi[256];
    const sgt_tar_entry dep[] = {
        {"package/package.json", "{\"name\":\"dep\",\"version\":\"1.0.0\"}\n", 0, 0644, '0', NULL},
        {"package/index.js", "module.exports = 'dep';\n", 0, 0644, '0', NULL}};
    const sgt_tar_entry yarn[] = {{"package/package.json", FAKE_YARN_PJ, 0, 0644, '0', NULL},
                                  {"package/bin/yarn.js", fake_yarn_js, 0, 0755, '0', NULL}};

    free(f->dep);
    free(f->yarn);
    sgt_tar_build(&f->dep, &f->dep_len, dep, 2, 1);
    sgt_tar_build(&f->yarn, &f->yarn_len, yarn, 2, 1);
    integrity(f->dep_integrity, sizeof(f->dep_integrity), f->ctx, f->dep, f->dep_len);
    integrity(yi, sizeof(yi), f->ctx, f->yarn, f->yarn_len);
    assert_non_null(k);
    assert_non_null(other);
    keys_doc(f->keys, sizeof(f->keys), k);
    keys_doc(f->other_keys, sizeof(f->other_keys), other);
    if (mode != SIG_NONE)
        signatures(sigs, sizeof(sigs), k, mode == SIG_GOOD ? yi : f->dep_integrity);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
    snprintf(f->dep_pack, sizeof(f->dep_pack),
             "{\"name\":\"dep\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":"
             "{\"name\":\"dep\",\"version\":\"1.0.0\",\"dist\":{\"tarball\":"
             "\"%sdep/-/dep-1.0.0.tgz\",\"integrity\":\"%s\"}}}}",
             base, f->dep_integrity);
    snprintf(f->yarn_doc, sizeof(f->yarn_doc),
             "{\"name\":\"yarn\",\"version\":\"1.22.22\",\"bin\":{\"yarn\":\"bin/yarn.js\"},"
             "\"dist\":{\"tarball\":\"%syarn/-/yarn-1.22.22.tgz\",\"integrity\":\"%s\"%s}}",
             f->yarn_base ? f->yarn_base : base, yi, sigs);
    snprintf(f->yarn_pack, sizeof(f->yarn_pack),
             "{\"name\":\"yarn\",\"dist-tags\":{\"latest\":\"1.22.22\"},\"versions\":"
             "{\"1.22.22\":%s}}",
             f->yarn_doc);
    memset(f->routes, 0, sizeof(f->routes));
    f->routes[0].target = "/dep";
    f->routes[0].headers = "Content-Type: application/json\r\n";
    f->routes[0].body = f->dep_pack;
    f->routes[1].target = "/dep/-/dep-1.0.0.tgz";
    f->routes[1].body = f->dep;
    f->routes[1].body_len = f->dep_len;
    f->routes[2].target = "/yarn/1.22.22";
    f->routes[2].headers = "Content-Type: application/json\r\n";
    f->routes[2].body = f->yarn_doc;
    f->routes[3].target = "/yarn";
    f->routes[3].headers = "Content-Type: application/json\r\n";
    f->routes[3].body = f->yarn_pack;
    f->routes[4].target = "/yarn/-/yarn-1.22.22.tgz";
    f->routes[4].body = f->yarn;
    f->routes[4].body_len = f->yarn_len;
    f->routes[5].target = "/-/npm/v1/keys";
    f->routes[5].headers = "Content-Type: application/json\r\n";
    f->routes[5].body = f->keys;
    sgt_http_set_routes(f->srv, f->routes, 6);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sg_buf b = SG_BUF_INIT;
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    if (sgt_have_program("node") && sgt_have_program("npm") && sgt_have_program("corepack") &&
        sg_sandbox__which(&b, f->ctx, "bwrap", search_path()) == 0 &&
        sg_sandbox__probe(f->ctx, b.ptr) == 0) {
        snprintf(f->bwrap, sizeof(f->bwrap), "%s", b.ptr);
        f->ok = 1;
    }
    sg_error_clear(f->ctx);
    sg_buf_dispose(&b);
    f->cache = sgt_tmpdir();
    f->dir = sgt_tmpdir();
    sgt_http_start_routes(&f->srv, NULL, 0);
    f->ro = (sg_rebuild_opts)SG_REBUILD_OPTS_INIT;
    f->ro.mode = SG_REBUILD_ALWAYS;
    f->ro.search_path = search_path();
    f->ro.bwrap = f->bwrap[0] ? f->bwrap : NULL;
    f->ro.cache_dir = f->cache;
    f->ro.timeout_seconds = 180;
    f->ro.registry = sgt_http_base_url(f->srv);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sgt_http_stop(f->srv);
    sg_report_free(f->report);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->cache);
    sgt_rm_rf(f->dir);
    free(f->dep);
    free(f->yarn);
    free(f);
    return 0;
}

/* The report as verbose text (malloc'd). */
static char *report_text(const sg_report *r)
{
    sg_buf out = SG_BUF_INIT;
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_report_write_text(&out, ctx, r, SG_TEXT_VERBOSE), 0);
    sg_ctx_free(ctx);
    printf("%s", out.ptr);
    return sg_buf_detach(&out, NULL);
}

/* Verify app (its yarn.lock names registry.yarnpkg.com, its build makes dist/index.js) with a
 * rebuild, the registry signing yarn as `mode`. Returns the report's text (malloc'd) and the
 * rebuild's log in *log (malloc'd). */
static char *verify_app(fx *f, sig_mode mode, char **log)
{
    char repo[4096], tgz[4096], lock[1024];
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    const sgt_tar_entry art[] = {
        {"package/package.json", APP_PJ, 0, 0644, '0', NULL},
        {"package/index.js", "module.exports = 1;\n", 0, 0644, '0', NULL},
        {"package/dist/index.js", "module.exports = 2;\n", 0, 0644, '0', NULL}};
    const char *logpath;

    serve(f, mode);
    if (f->ro.registry_keys)
        f->ro.registry_keys_len = strlen(f->ro.registry_keys);
    snprintf(lock, sizeof(lock),
             "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n"
             "# yarn lockfile v1\n\n\n"
             "dep@1.0.0:\n"
             "  version \"1.0.0\"\n"
             "  resolved \"https://registry.yarnpkg.com/dep/-/dep-1.0.0.tgz#0\"\n"
             "  integrity %s\n",
             f->dep_integrity);
    {
        const sgt_file files[] = {{"package.json", APP_PJ, 0, 0},
                                  {"index.js", "module.exports = 1;\n", 0, 0},
                                  {"build.js", BUILD_JS, 0, 0},
                                  {".gitignore", "dist\nnode_modules\n", 0, 0},
                                  {"yarn.lock", lock, 0, 0}};
        snprintf(repo, sizeof(repo), "%s/app", f->dir);
        snprintf(tgz, sizeof(tgz), "%s/app-1.0.0.tgz", f->dir);
        sgt_rm_rf(repo);
        sgt_git_init(repo, 0);
        sgt_git_commit(NULL, repo, NULL, files, 5, "fixture", 0);
    }
    sgt_tar_write(tgz, art, 3);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    sg_report_free(f->report);
    f->report = NULL;
    if (sg_verify_local(&f->report, f->ctx, &o) != 0)
        fail_msg("verify failed: %s", sg_error_message(f->ctx));
    logpath = sg_report_get(f->report, SG_REPORT_REBUILD_LOG);
    *log = logpath && *logpath ? sgt_read_file(logpath, NULL) : NULL;
    if (!*log)
        *log = strdup("");
    return report_text(f->report);
}

static void expect_in(const char *text, const char *what)
{
    if (!strstr(text, what))
        fail_msg("'%s' not in:\n%s", what, text);
}

static void
test_aliases__yarn_lock_of_registry_yarnpkg_com_installs_through_the_gateway(void **state)
{
    fx *f = *state;
    char *text, *log;

    if (!f->ok)
        skip();
    text = verify_app(f, SIG_NONE, &log);
    if (!strstr(log, "FAKEYARN: fetched http://127.0.0.1:") || !strstr(log, "/dep/-/dep-1.0.0.tgz"))
        fail_msg("the install did not fetch dep through the gateway:\n%s", log);
    assert_null(strstr(log, "FAKEYARN: not routed"));
    /* the gateway checked dep's tarball against its packument (and the stand-in yarn's) */
    expect_in(log, "2 checked and cached");
    expect_in(text, "lockfile: 1 resolved URL of yarn.lock");
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    free(text);
    free(log);
}

/* A registry that strips signatures: sourcegate checked the integrity, corepack's check is off
 * (without it corepack fails: "No compatible signature found"). */
static void test_aliases__unsigned_package_manager_is_checked_by_sourcegate(void **state)
{
    fx *f = *state;
    char *text, *log;

    if (!f->ok)
        skip();
    text = verify_app(f, SIG_NONE, &log);
    expect_in(text, "yarn@1.22.22: integrity checked by sourcegate; registry signature absent on "
                    "this registry");
    assert_null(strstr(log, "No compatible signature found"));
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    free(text);
    free(log);
}

static void test_aliases__signed_package_manager_is_verified_with_the_registry_keys(void **state)
{
    fx *f = *state;
    char *text, *log;

    if (!f->ok)
        skip();
    text = verify_app(f, SIG_GOOD, &log);
    expect_in(text, "yarn@1.22.22: integrity checked by sourcegate; registry signature verified "
                    "(" KEYID ")");
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    free(text);
    free(log);
}

/* A signature that does not verify fails the rebuild with the reason: never a pass. */
static void test_aliases__bad_signature_fails_the_rebuild(void **state)
{
    fx *f = *state;
    char *text, *log;

    if (!f->ok)
        skip();
    text = verify_app(f, SIG_BAD, &log);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "failed");
    expect_in(sg_report_get(f->report, SG_REPORT_REBUILD_DETAIL),
              "yarn@1.22.22: the registry signature does not verify with the registry's keys");
    assert_int_not_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_null(strstr(log, "FAKEYARN")); /* corepack never ran it */
    free(text);
    free(log);
}

/* A tarball away from the registry would not come through the gateway's check: corepack's
 * own check stays on (and here the sandbox's proxy refuses the host). */
static void test_aliases__package_manager_from_elsewhere_is_left_to_corepack(void **state)
{
    fx *f = *state;
    char *text, *log;

    if (!f->ok)
        skip();
    f->yarn_base = "http://cdn.example.invalid/";
    text = verify_app(f, SIG_NONE, &log);
    expect_in(text, "yarn@1.22.22: its tarball is not at the registry; corepack checks it itself");
    assert_null(strstr(text, "integrity checked by sourcegate"));
    assert_int_not_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    free(text);
    free(log);
}

/* --registry-keys: the pinned keys decide, not the registry's. */
static void test_aliases__pinned_keys_decide(void **state)
{
    fx *f = *state;
    char *text, *log;

    if (!f->ok)
        skip();
    f->ro.registry_keys = f->other_keys; /* a key the registry does not sign with */
    text = verify_app(f, SIG_GOOD, &log);
    f->ro.registry_keys = NULL;
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "failed");
    expect_in(sg_report_get(f->report, SG_REPORT_REBUILD_DETAIL),
              "does not verify with the pinned registry keys");
    assert_int_not_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    free(text);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_aliases__yarn_lock_of_registry_yarnpkg_com_installs_through_the_gateway, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_aliases__unsigned_package_manager_is_checked_by_sourcegate, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_aliases__signed_package_manager_is_verified_with_the_registry_keys, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_aliases__bad_signature_fails_the_rebuild, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_aliases__pinned_keys_decide, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_aliases__package_manager_from_elsewhere_is_left_to_corepack, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
