/*
 * The delta since the previous release (issue 17): what changed between two registry
 * manifests and two tarball trees, for a reviewer. Information only: it adds no finding.
 *
 * Maps (dependencies, bin) are compared through sorted key arrays, so a hostile manifest
 * with a hundred thousand keys costs n log n, not n squared (cJSON's lookup is linear).
 */
#include "common/common.h"

#include "sourcegate/diff.h"
#include "sourcegate/semver.h"

#define VALUE_MAX 512          /* bytes of a value shown in a change */
#define SCRATCH_MAX (1u << 20) /* a value larger than this is not serialized */
#define SIZE_FACTOR 4          /* a file is "resized" when it grew or shrank by this factor */
#define SIZE_MIN_DIFF 4096     /* ... and by at least this many bytes */

/* What npm installs for a consumer: devDependencies are never installed from the registry,
 * so they are not part of the delta (docs/report-format.md). */
static const char *const DEP_FIELDS[] = {"dependencies", "optionalDependencies",
                                         "peerDependencies"};
/* The scripts npm runs on install (npm's lifecycle for a registry package, plus prepare
 * which runs for git dependencies and on `npm install` in the package itself). */
static const char *const INSTALL_SCRIPTS[] = {"preinstall", "install", "postinstall", "prepare"};
/* Where a consumer's require/import lands. */
static const char *const ENTRY_FIELDS[] = {"main",    "module", "browser", "exports",
                                           "imports", "type",   "types"};

typedef struct delta {
    sg_report *report; /* where the changes go */
    sg_ctx *ctx;       /* errors */
    sg_buf before;     /* scratch: the previous value as text */
    sg_buf after;      /* scratch: the current value as text */
} delta;

/* ---- the predecessor ---- */

/* The first dot-separated identifier of a prerelease ("beta" of "beta.3"). */
static size_t pre_line(const char *pre)
{
    const char *dot = strchr(pre, '.');
    return dot ? (size_t)(dot - pre) : strlen(pre);
}

static int same_line(const sg_semver *a, const sg_semver *b)
{
    size_t n = pre_line(a->pre);
    return n == pre_line(b->pre) && strncmp(a->pre, b->pre, n) == 0;
}

int sg_diff_delta_predecessor(const char **out, const cJSON *packument, const char *version)
{
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(packument, "versions"), *it;
    sg_semver v, w, best_pre, best_rel;
    const char *pre = NULL, *rel = NULL;

    *out = NULL;
    if (!version || sg_semver_parse(&v, version, 1) < 0)
        return 0;
    cJSON_ArrayForEach(it, versions)
    {
        if (!it->string || sg_semver_parse(&w, it->string, 1) < 0 || sg_semver_cmp(&w, &v) >= 0)
            continue;
        if (!w.pre[0] && (!rel || sg_semver_cmp(&w, &best_rel) > 0)) {
            rel = it->string;
            best_rel = w;
        } else if (w.pre[0] && v.pre[0] && same_line(&w, &v) &&
                   (!pre || sg_semver_cmp(&w, &best_pre) > 0)) {
            pre = it->string;
            best_pre = w;
        }
    }
    /* a prerelease follows its own line ("beta" after "beta"), else the last release */
    *out = pre ? pre : rel;
    return 0;
}

/* ---- values ---- */

static const char *value_text(sg_buf *buf, const cJSON *v)
{
    sg_buf_clear(buf);
    if (!v)
        return NULL;
    if (cJSON_IsString(v))
        sg_buf_puts(buf, v->valuestring);
    else
        sg_json_put_value(buf, v);
    if (buf->error) { /* past the scratch limit: shown as such, not an error */
        sg_buf_clear(buf);
        sg_buf_puts(buf, "(too large to show)");
    }
    if (buf->size > VALUE_MAX) {
        sg_buf_truncate(buf, VALUE_MAX);
        sg_buf_puts(buf, "...");
    }
    return buf->ptr;
}

static int add(delta *d, const char *change, const char *field, const char *name,
               const cJSON *before, const cJSON *after)
{
    sg_delta_change c;
    int error;
    c.change = change;
    c.field = field;
    c.name = name;
    c.before = value_text(&d->before, before);
    c.after = value_text(&d->after, after);
    if ((error = sg_buf_check(&d->before, d->ctx, "a delta value")) < 0 ||
        (error = sg_buf_check(&d->after, d->ctx, "a delta value")) < 0)
        return error;
    return sg_report_delta_add(d->report, d->ctx, &c);
}

static int add_str(delta *d, const char *change, const char *field, const char *name,
                   const char *before, const char *after)
{
    sg_delta_change c = {change, field, name, before, after};
    return sg_report_delta_add(d->report, d->ctx, &c);
}

/* Both absent is no change (sg_json_equal() wants two values). */
static int same(const cJSON *a, const cJSON *b)
{
    return (!a && !b) || (a && b && sg_json_equal(a, b));
}

/* ---- maps ---- */

static int cmp_key(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* The members of an object with a key, sorted by key. *n is 0 for a non-object. */
static int sorted_members(const cJSON ***out, size_t *n, sg_ctx *ctx, const cJSON *obj)
{
    const cJSON *it;
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    if (!cJSON_IsObject(obj))
        return 0;
    cJSON_ArrayForEach(it, obj) cap++;
    if (!(*out = sg_calloc(cap + 1, sizeof(cJSON *))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for the delta");
    cJSON_ArrayForEach(it, obj)
    {
        if (it->string)
            (*out)[(*n)++] = it;
    }
    qsort(*out, *n, sizeof(cJSON *), cmp_key);
    return 0;
}

/* Keys added, removed, changed between two objects (a merge walk of the sorted keys). */
static int diff_map(delta *d, const char *field, const cJSON *prev, const cJSON *cur)
{
    const cJSON **a = NULL, **b = NULL;
    size_t na = 0, nb = 0, i = 0, j = 0;
    int error;

    if ((error = sorted_members(&a, &na, d->ctx, prev)) < 0 ||
        (error = sorted_members(&b, &nb, d->ctx, cur)) < 0)
        goto done;
    while (error == 0 && (i < na || j < nb)) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i]->string, b[j]->string);
        if (c < 0) {
            error = add(d, "removed", field, a[i]->string, a[i], NULL);
            i++;
        } else if (c > 0) {
            error = add(d, "added", field, b[j]->string, NULL, b[j]);
            j++;
        } else {
            if (!same(a[i], b[j]))
                error = add(d, "changed", field, a[i]->string, a[i], b[j]);
            i++;
            j++;
        }
    }
done:
    sg_free(a);
    sg_free(b);
    return error;
}

/* bundleDependencies (or npm's older spelling): a list of names, or true for all. */
static int diff_bundle(delta *d, const cJSON *prev, const cJSON *cur)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(prev, "bundleDependencies");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cur, "bundleDependencies");
    cJSON *pm = NULL, *cm = NULL;
    const cJSON *it;
    int error;

    if (!p)
        p = cJSON_GetObjectItemCaseSensitive(prev, "bundledDependencies");
    if (!c)
        c = cJSON_GetObjectItemCaseSensitive(cur, "bundledDependencies");
    if ((p && !cJSON_IsArray(p)) || (c && !cJSON_IsArray(c))) /* true, false, junk */
        return same(p, c) ? 0 : add(d, "changed", "bundleDependencies", NULL, p, c);
    /* as maps name -> true, to reuse the merge walk */
    if (!(pm = cJSON_CreateObject()) || !(cm = cJSON_CreateObject())) {
        error = sg_error_set(d->ctx, SG_ENOMEM, "out of memory for the delta");
        goto done;
    }
    cJSON_ArrayForEach(it, p) if (cJSON_IsString(it)) cJSON_AddTrueToObject(pm, it->valuestring);
    cJSON_ArrayForEach(it, c) if (cJSON_IsString(it)) cJSON_AddTrueToObject(cm, it->valuestring);
    error = diff_map(d, "bundleDependencies", pm, cm);
done:
    cJSON_Delete(pm);
    cJSON_Delete(cm);
    return error;
}

/* bin as npm normalizes it: a string is {name-without-scope: path}. */
static cJSON *bin_map(const cJSON *manifest)
{
    const cJSON *bin = cJSON_GetObjectItemCaseSensitive(manifest, "bin");
    const char *name = sg_json_str(manifest, "name"), *slash;
    cJSON *m;

    if (!cJSON_IsString(bin))
        return cJSON_Duplicate(bin ? bin : NULL, 1);
    if (!(m = cJSON_CreateObject()))
        return NULL;
    slash = name ? strchr(name, '/') : NULL;
    cJSON_AddStringToObject(m, slash ? slash + 1 : name ? name : "", bin->valuestring);
    return m;
}

static int diff_fields(delta *d, const cJSON *prev, const cJSON *cur)
{
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(prev, "scripts");
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(cur, "scripts");
    cJSON *pb = NULL, *cb = NULL;
    size_t i;
    int error = 0;

    for (i = 0; error == 0 && i < sizeof(DEP_FIELDS) / sizeof(DEP_FIELDS[0]); i++)
        error = diff_map(d, DEP_FIELDS[i], cJSON_GetObjectItemCaseSensitive(prev, DEP_FIELDS[i]),
                         cJSON_GetObjectItemCaseSensitive(cur, DEP_FIELDS[i]));
    if (error == 0)
        error = diff_bundle(d, prev, cur);
    for (i = 0; error == 0 && i < sizeof(INSTALL_SCRIPTS) / sizeof(INSTALL_SCRIPTS[0]); i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(ps, INSTALL_SCRIPTS[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(cs, INSTALL_SCRIPTS[i]);
        if (!same(a, b))
            error = add(d,
                        !a   ? "added"
                        : !b ? "removed"
                             : "changed",
                        "scripts", INSTALL_SCRIPTS[i], a, b);
    }
    if (error == 0) {
        pb = bin_map(prev);
        cb = bin_map(cur);
        if ((pb || cJSON_GetObjectItemCaseSensitive(prev, "bin")) && !pb)
            error = sg_error_set(d->ctx, SG_ENOMEM, "out of memory for the delta");
        else if (cJSON_IsObject(pb) || cJSON_IsObject(cb) || (!pb && !cb))
            error = diff_map(d, "bin", pb, cb);
        else if (!same(pb, cb))
            error = add(d, "changed", "bin", NULL, pb, cb);
    }
    for (i = 0; error == 0 && i < sizeof(ENTRY_FIELDS) / sizeof(ENTRY_FIELDS[0]); i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(prev, ENTRY_FIELDS[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(cur, ENTRY_FIELDS[i]);
        if (!same(a, b))
            error = add(d, !a ? "added" : !b ? "removed" : "changed", ENTRY_FIELDS[i], NULL, a, b);
    }
    cJSON_Delete(pb);
    cJSON_Delete(cb);
    return error;
}

/* ---- publishing facts ---- */

static int has_provenance(const cJSON *manifest)
{
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(manifest, "dist"), "attestations");
    return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(att, "provenance"));
}

/* npm's OIDC publishing (the same test as the trust stage's publishing history). */
static int has_publisher(const cJSON *manifest)
{
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(manifest, "_npmUser");
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(user, "trustedPublisher");
    const char *email = sg_json_str(user, "email");
    if (tp && !cJSON_IsNull(tp) && !cJSON_IsFalse(tp))
        return 1;
    return email && strncmp(email, "npm-oidc-no-reply@", 18) == 0;
}

static int presence(delta *d, const char *field, int before, int after)
{
    if (before == after)
        return 0;
    return add_str(d, before ? "removed" : "added", field, NULL, before ? "present" : NULL,
                   after ? "present" : NULL);
}

static int changed_str(delta *d, const char *field, const char *before, const char *after)
{
    if (!before || !after || strcmp(before, after) == 0)
        return 0; /* only a change the registry states on both sides */
    return add_str(d, "changed", field, NULL, before, after);
}

static int diff_publishing(delta *d, const cJSON *prev, const cJSON *cur)
{
    const cJSON *pu = cJSON_GetObjectItemCaseSensitive(prev, "_npmUser");
    const cJSON *cu = cJSON_GetObjectItemCaseSensitive(cur, "_npmUser");
    int error;

    if ((error = presence(d, "provenance", has_provenance(prev), has_provenance(cur))) < 0 ||
        (error = presence(d, "trusted-publisher", has_publisher(prev), has_publisher(cur))) < 0 ||
        (error = changed_str(d, "publisher", sg_json_str(pu, "name"), sg_json_str(cu, "name"))) <
            0 ||
        (error = changed_str(d, "npm-version", sg_json_str(prev, "_npmVersion"),
                             sg_json_str(cur, "_npmVersion"))) < 0)
        return error;
    return presence(d, "gitHead", sg_json_str(prev, "gitHead") != NULL,
                    sg_json_str(cur, "gitHead") != NULL);
}

/* ---- files ---- */

static int resized(const sg_entry *a, const sg_entry *b)
{
    uint64_t big = a->size > b->size ? a->size : b->size;
    uint64_t small = a->size > b->size ? b->size : a->size;
    if (a->pending || b->pending || big - small < SIZE_MIN_DIFF)
        return 0;
    return small == 0 || big / SIZE_FACTOR >= small;
}

static int add_file(delta *d, const char *change, const char *field, const sg_entry *a,
                    const sg_entry *b)
{
    char before[32] = "", after[32] = "";
    if (a)
        snprintf(before, sizeof(before), "%llu", (unsigned long long)a->size);
    if (b)
        snprintf(after, sizeof(after), "%llu", (unsigned long long)b->size);
    return add_str(d, change, field, (a ? a : b)->path, a ? before : NULL, b ? after : NULL);
}

static int diff_files(delta *d, const sg_tree *prev, const sg_tree *cur)
{
    size_t i = 0, j = 0, na = sg_tree_count(prev), nb = sg_tree_count(cur);
    int error = 0;

    while (error == 0 && (i < na || j < nb)) {
        const sg_entry *a = sg_tree_entry(prev, i), *b = sg_tree_entry(cur, j);
        int c = i == na ? 1 : j == nb ? -1 : strcmp(a->path, b->path);
        if (c < 0) {
            error = add_file(d, "removed", "files", a, NULL);
            i++;
        } else if (c > 0) {
            error = add_file(d, "added", "files", NULL, b);
            j++;
        } else {
            if (resized(a, b))
                error = add_file(d, "changed", "size", a, b);
            i++;
            j++;
        }
    }
    return error;
}

int sg_diff_delta(sg_report *report, sg_ctx *ctx, const char *previous, const cJSON *prev,
                  const cJSON *cur, const sg_tree *prev_tree, const sg_tree *tree)
{
    delta d;
    int error;

    d.report = report;
    d.ctx = ctx;
    sg_buf_init(&d.before, SCRATCH_MAX);
    sg_buf_init(&d.after, SCRATCH_MAX);
    if ((error = sg_report_delta_set(report, ctx, SG_DELTA_COMPARED, previous, NULL)) < 0 ||
        (error = diff_fields(&d, prev, cur)) < 0 || (error = diff_publishing(&d, prev, cur)) < 0)
        goto done;
    if (prev_tree && tree)
        error = diff_files(&d, prev_tree, tree);
done:
    sg_buf_dispose(&d.before);
    sg_buf_dispose(&d.after);
    return error;
}
