/*
 * The package manager corepack fetches (issue 15). Corepack checks npm's registry signature of
 * yarn classic, pnpm and npm with keys built into it, so it fails against registries that strip
 * signatures (most mirrors). In a sandboxed rebuild with a cache the package manager comes
 * through the registry gateway instead, which checks its tarball against the packument's
 * dist.integrity as it checks every tarball; sourcegate verifies the registry signatures
 * itself where the packument carries them, with the pinned keys or the registry's, and only
 * then turns corepack's own check off. Signatures that do not verify fail the rebuild.
 */
#include "common/common.h"

#include "common/json.h"
#include "verifier/fetch/http_int.h"
#include "verifier/rebuild/rebuild_int.h"
#include "verifier/rebuild/sandbox_int.h"
#include "verifier/trust/trust_int.h"

#define PM_KEYS_MAX_AGE_S (12 * 3600) /* as the trust checks: twice a day at most */

/* The npm package corepack fetches a manager from when it checks its signature (yarn 2+ comes
 * from @yarnpkg/cli-dist, which corepack does not signature-check). */
static const char *pm_package(sg_rebuild_pm pm)
{
    switch (pm) {
    case SG_REBUILD_PM_YARN_CLASSIC:
        return "yarn";
    case SG_REBUILD_PM_PNPM:
        return "pnpm";
    case SG_REBUILD_PM_NPM:
        return "npm";
    default:
        return NULL;
    }
}

/* What the check needs from the registry: sourcegate's client over its cache. */
typedef struct pm_reg {
    sg_cache *cache;       /* sourcegate's cache */
    sg_npm_config *config; /* the configured registry */
    sg_registry *reg;      /* packuments */
} pm_reg;

static int pm_reg_open(pm_reg *p, sg_rebuild_run *r)
{
    sg_registry_opts ro = SG_REGISTRY_OPTS_INIT;
    int error;
    memset(p, 0, sizeof(*p));
    if ((error = sg_cache_open(&p->cache, r->ctx, r->o->cache_dir)) < 0 ||
        (error = sg_npm_config_new(&p->config, r->ctx)) < 0 ||
        (error = sg_npm_config_set_registry(p->config, r->ctx, r->registry.ptr)) < 0)
        return error;
    ro.cache = p->cache;
    ro.config = p->config;
    ro.max_retries = 2;
    return sg_registry_new(&p->reg, r->ctx, &ro);
}

static void pm_reg_close(pm_reg *p)
{
    sg_registry_free(p->reg);
    sg_npm_config_free(p->config);
    sg_cache_free(p->cache);
}

/* The pinned keys, else the registry's /-/npm/v1/keys (none when it publishes none). */
static int load_keys(sg_npm_keys *keys, const char **source, sg_rebuild_run *r, const pm_reg *p)
{
    sg_trust_src src;
    sg_buf url = SG_BUF_INIT;
    sg_doc_origin origin;
    cJSON *doc = NULL;
    size_t bl = r->registry.size;
    int error;

    if (r->o->registry_keys) {
        *source = "the pinned registry keys";
        return sg_npm_keys__parse(keys, r->ctx, r->o->registry_keys, r->o->registry_keys_len,
                                  *source);
    }
    *source = "the registry's keys";
    memset(&src, 0, sizeof(src));
    src.cache = p->cache;
    src.config = p->config;
    while (bl && r->registry.ptr[bl - 1] == '/')
        bl--;
    sg_buf_printf(&url, "%.*s/-/npm/v1/keys", (int)bl, r->registry.ptr);
    if ((error = sg_buf_check(&url, r->ctx, "a URL")) == 0 &&
        (error = sg_trust__fetch_json(&doc, &origin, r->ctx, &src, url.ptr, "keys",
                                      PM_KEYS_MAX_AGE_S, "the registry's signing keys")) == 0 &&
        doc)
        error = sg_npm_keys__from_json(keys, r->ctx, doc, "the registry's signing keys");
    cJSON_Delete(doc);
    sg_buf_dispose(&url);
    return error;
}

/* Verify the signatures of manifest (versions[version] of pack). 0 verified (keyid set);
 * 1 they do not (the rebuild's reason says why); 2 no keys to check with; < 0 an error. */
static int verify_signatures(char *keyid, size_t size, sg_rebuild_run *r, const pm_reg *p,
                             const char *name, const char *version, const cJSON *pack,
                             const cJSON *manifest)
{
    sg_npm_keys keys = SG_NPM_KEYS_INIT;
    sg_sig_result res;
    const char *source = "";
    int error;

    if ((error = load_keys(&keys, &source, r, p)) < 0)
        goto done;
    if (keys.count == 0) { /* signed, and nothing to check it with: corepack checks it */
        error = 2;
        goto done;
    }
    if ((error = sg_npm_signatures__check(&res, r->ctx, &keys, name, version, manifest,
                                          cJSON_GetObjectItemCaseSensitive(pack, "time"))) < 0)
        goto done;
    if (res.status == SG_SIG_VERIFIED) {
        snprintf(keyid, size, "%s", res.keyid);
        goto done;
    }
    sg_rebuild__set_reason(r, SG_REBUILD_FAILED,
                           "%s@%s: the registry signature does not verify with %s: %s", name,
                           version, source, res.detail[0] ? res.detail : "no valid signature");
    error = 1;
done:
    sg_npm_keys__dispose(&keys);
    return error;
}

/* 1 when url is at the registry or an alias of it: the gateway names it at itself in the
 * version document corepack reads, so corepack fetches it through the gateway's check. */
static int at_registry(const sg_rebuild_run *r, const char *url)
{
    sg_buf base = SG_BUF_INIT, out = SG_BUF_INIT;
    size_t n = 0, bl = r->registry.size;
    int yes;
    while (bl && r->registry.ptr[bl - 1] == '/')
        bl--;
    sg_buf_printf(&base, "%.*s/", (int)bl, r->registry.ptr);
    yes = !base.error &&
          sg_gateway__route_aliases(&out, &n, url, strlen(url), "@", base.ptr) == 0 && n == 1 &&
          out.ptr[0] == '@';
    sg_buf_dispose(&base);
    sg_buf_dispose(&out);
    return yes;
}

/* The packument's checks of name@version; see sg_rebuild__check_pm(). */
static int check_release(sg_rebuild_run *r, const pm_reg *p, const char *name, const char *version,
                         const cJSON *pack)
{
    const cJSON *manifest = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(pack, "versions"), version);
    const cJSON *dist = cJSON_GetObjectItemCaseSensitive(manifest, "dist");
    const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(dist, "signatures");
    const char *integ = sg_json_str(dist, "integrity");
    char keyid[128] = "";
    int rc;

    if (!cJSON_IsObject(manifest)) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED, "%s@%s is not in the registry's packument",
                               name, version);
        return 1;
    }
    if (!at_registry(r, sg_json_str(dist, "tarball") ? sg_json_str(dist, "tarball") : ""))
        return sg_rebuild__add_step(r,
                                    "%s@%s: its tarball is not at the registry; corepack checks "
                                    "it itself",
                                    name, version);
    if (!integ || strncmp(integ, "sha512-", 7) != 0)
        return sg_rebuild__add_step(r, "%s@%s: no sha512 dist.integrity; corepack checks it itself",
                                    name, version);
    if (cJSON_IsArray(sigs) && sigs->child) {
        if ((rc = verify_signatures(keyid, sizeof(keyid), r, p, name, version, pack, manifest)) ==
            2)
            return sg_rebuild__add_step(r,
                                        "%s@%s: signed, and the registry publishes no signing "
                                        "keys; corepack checks the signature itself",
                                        name, version);
        if (rc != 0)
            return rc;
    }
    r->pm_checked = 1;
    return sg_rebuild__add_step(
        r, "%s@%s: integrity checked by sourcegate; registry signature %s%s%s", name, version,
        keyid[0] ? "verified (" : "absent on this registry", keyid, keyid[0] ? ")" : "");
}

int sg_rebuild__check_pm(sg_rebuild_run *r)
{
    const char *name = pm_package(r->pl.pm), *version = r->pl.pm_version;
    cJSON *pack = NULL;
    pm_reg p;
    int error;

    r->pm_checked = 0;
    if (!name || !version[0] || !r->t.sandboxed || !r->o->cache_dir)
        return 0;
    if ((error = pm_reg_open(&p, r)) == 0 &&
        (error = sg_registry_packument(&pack, r->ctx, p.reg, name)) == 0)
        error = check_release(r, &p, name, version, pack);
    else if (error < 0)
        sg_error_wrap(r->ctx, "checking %s@%s for corepack", name, version);
    cJSON_Delete(pack);
    pm_reg_close(&p);
    return error;
}
