#include "common/common.h"

#include "diff/diff_int.h"

/* Fields npm installs from: the packument's copy decides resolution, the tarball's copy
 * decides what runs, so they must agree. */
static const char *const dep_fields[] = {"dependencies", "optionalDependencies",
                                         "peerDependencies"};
static const char *const install_scripts[] = {"preinstall", "install", "postinstall"};

typedef struct mm {
    sg_report *report;
    sg_ctx *ctx;
    const cJSON *reg; /* versions[V] of the packument */
    const cJSON *tar; /* the tarball's package.json */
} mm;

static int mismatch(mm *m, const char *field, const char *name, const cJSON *reg,
                    const cJSON *tar, const char *what)
{
    sg_buf before = SG_BUF_INIT, after = SG_BUF_INIT, detail = SG_BUF_INIT;
    sg_finding f = {0};
    int error;

    if (reg)
        cJSON_IsString(reg) ? sg_buf_puts(&before, reg->valuestring) : sg_json_put_value(&before, reg);
    if (tar)
        cJSON_IsString(tar) ? sg_buf_puts(&after, tar->valuestring) : sg_json_put_value(&after, tar);
    sg_buf_printf(&detail, "the registry's metadata %s; npm installs from the registry's "
                           "copy and runs the tarball's",
                  what);
    f.kind = "manifest-mismatch";
    f.severity = SG_SEV_HIGH;
    f.path = "package.json";
    f.field = field;
    f.name = name;
    f.before = reg ? before.ptr : NULL;
    f.after = tar ? after.ptr : NULL;
    f.detail = detail.ptr;
    if ((error = sg_buf_check(&before, m->ctx, "a finding")) == 0 &&
        (error = sg_buf_check(&after, m->ctx, "a finding")) == 0 &&
        (error = sg_buf_check(&detail, m->ctx, "a finding")) == 0)
        error = sg_report_add(m->report, m->ctx, &f);
    sg_buf_dispose(&before);
    sg_buf_dispose(&after);
    sg_buf_dispose(&detail);
    return error;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* Every key of either object, compared by value. */
static int compare_map(mm *m, const char *field)
{
    const cJSON *r = get(m->reg, field), *t = get(m->tar, field), *it;
    int error;
    cJSON_ArrayForEach(it, r)
    {
        const cJSON *other = get(t, it->string);
        const cJSON *opt = get(get(m->tar, "optionalDependencies"), it->string);
        /* Older npm copied optionalDependencies into dependencies at publish. */
        if (!other && strcmp(field, "dependencies") == 0 && opt && sg_json_equal(it, opt))
            continue;
        if (!other || !sg_json_equal(it, other))
            if ((error = mismatch(m, field, it->string, it, other,
                                  other ? "names another spec" : "lists a dependency the "
                                                                 "tarball does not")) < 0)
                return error;
    }
    cJSON_ArrayForEach(it, t)
    {
        if (!get(r, it->string) &&
            (error = mismatch(m, field, it->string, NULL, it,
                              "lacks a dependency the tarball declares")) < 0)
            return error;
    }
    return 0;
}

static const cJSON *bundle_of(const cJSON *doc)
{
    const cJSON *b = get(doc, "bundleDependencies");
    return b ? b : get(doc, "bundledDependencies");
}

static int compare_scripts(mm *m, int has_root_gyp)
{
    const cJSON *rs = get(m->reg, "scripts"), *ts = get(m->tar, "scripts");
    const cJSON *gypfile = get(m->tar, "gypfile");
    size_t i;
    int error;
    for (i = 0; i < SG_ARRAY_SIZE(install_scripts); i++) {
        const char *k = install_scripts[i];
        const cJSON *r = get(rs, k), *t = get(ts, k);
        if (r && t && sg_json_equal(r, t))
            continue;
        if (!r && !t)
            continue;
        /* npm adds "install": "node-gyp rebuild" when a root *.gyp exists, no install or
         * preinstall script is set and gypfile is not false (@npmcli/package-json). */
        if (strcmp(k, "install") == 0 && r && !t && cJSON_IsString(r) &&
            strcmp(r->valuestring, "node-gyp rebuild") == 0 && has_root_gyp &&
            !get(ts, "preinstall") && !cJSON_IsFalse(gypfile))
            continue;
        if ((error = mismatch(m, "scripts", k, r, t,
                              !r ? "lacks an install script the tarball runs"
                              : !t ? "has an install script the tarball lacks"
                                   : "has another install script")) < 0)
            return error;
    }
    return 0;
}

int sg_diff_registry_manifest(sg_report *report, sg_ctx *ctx, const cJSON *registry_version,
                              const char *tarball_manifest, size_t len, int has_root_gyp)
{
    cJSON *tar = NULL;
    mm m;
    size_t i;
    const char *ids[] = {"name", "version"};
    int error;

    if (!cJSON_IsObject(registry_version))
        return sg_error_set(ctx, SG_EINVALID, "the registry's metadata for the version is not "
                                              "an object");
    if ((error = sg_json_parse(&tar, ctx, tarball_manifest, len,
                               "package.json in the artifact")) < 0)
        return error;
    if (!cJSON_IsObject(tar)) {
        cJSON_Delete(tar);
        return sg_error_set(ctx, SG_EINVALID, "package.json in the artifact is not an object");
    }
    m.report = report;
    m.ctx = ctx;
    m.reg = registry_version;
    m.tar = tar;
    for (i = 0; i < SG_ARRAY_SIZE(ids); i++) {
        const cJSON *r = get(m.reg, ids[i]), *t = get(m.tar, ids[i]);
        if ((!r || !t || !sg_json_equal(r, t)) &&
            (error = mismatch(&m, ids[i], NULL, r, t, "names another package or version")) < 0)
            goto done;
    }
    for (i = 0; i < SG_ARRAY_SIZE(dep_fields); i++)
        if ((error = compare_map(&m, dep_fields[i])) < 0)
            goto done;
    {
        const cJSON *r = bundle_of(m.reg), *t = bundle_of(m.tar);
        if ((r || t) && !(r && t && sg_json_equal(r, t)) &&
            (error = mismatch(&m, "bundleDependencies", NULL, r, t,
                              "bundles other dependencies")) < 0)
            goto done;
    }
    if ((error = compare_scripts(&m, has_root_gyp)) < 0)
        goto done;
    {
        const cJSON *r = get(m.reg, "bin"), *t = get(m.tar, "bin");
        if ((r || t) && !sg_diff__bin_equiv(m.reg, r, m.tar, t) &&
            (error = mismatch(&m, "bin", NULL, r, t, "links other executables")) < 0)
            goto done;
    }
done:
    cJSON_Delete(tar);
    return error;
}
