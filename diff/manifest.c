/*
 * package.json diff (NPM-PACK.md §2, §4.1, §4.2, §5.2): undo the publish-time rewrites the
 * packers are known to make in the source copy (manifest_rewrites.c), then compare field by
 * field. Every accepted rewrite is named in the report's normalizations; every other
 * difference is a finding whose severity follows what the field can do to a consumer
 * (DESIGN.md "Finding kinds").
 */
#include "common/common.h"

#include <stdio.h>

#include "diff/diff_int.h"
#include "diff/manifest_int.h"

/* Longest value text kept in a finding's before/after (the rest becomes "..."). */
#define VALUE_TEXT_MAX 1024

/* ---------------------------------------------------------------- small helpers */

const cJSON *sg_diff__member(const cJSON *obj, const char *key)
{
    /* sg_json_parse already dropped earlier duplicate keys (JSON.parse keeps the last). */
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

int sg_diff__in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* The text of a value for a finding: strings as they are, anything else as compact JSON. */
static const char *value_text(sg_buf *b, const cJSON *v)
{
    size_t n;
    sg_buf_clear(b);
    if (!v)
        return NULL;
    if (cJSON_IsString(v))
        sg_buf_puts(b, v->valuestring);
    else
        sg_json_put_value(b, v);
    if (b->error) {
        sg_buf_clear(b);
        sg_buf_puts(b, "(value too large to show)");
        return b->ptr;
    }
    if (b->size > VALUE_TEXT_MAX) {
        n = VALUE_TEXT_MAX;
        while (n > 0 && ((unsigned char)b->ptr[n] & 0xc0) == 0x80)
            n--; /* cut on a UTF-8 character boundary */
        sg_buf_truncate(b, n);
        sg_buf_puts(b, "...");
    }
    return b->ptr;
}

int sg_diff__manifest_add(sg_mdiff *m, const char *kind, sg_severity sev, const char *field,
                          const char *name, const char *before, const char *after,
                          const char *detail)
{
    sg_finding f;
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.severity = sev;
    f.path = "package.json";
    f.field = field;
    f.name = name;
    f.before = before;
    f.after = after;
    f.detail = detail;
    return sg_report_add(m->report, m->ctx, &f);
}

/* A finding with JSON values for before/after; counts as an unexplained difference. */
int sg_diff__manifest_addv(sg_mdiff *m, const char *kind, sg_severity sev, const char *field,
                           const char *name, const cJSON *before, const cJSON *after,
                           const char *detail)
{
    m->residual = 1;
    return sg_diff__manifest_add(m, kind, sev, field, name, value_text(&m->va, before),
                                 value_text(&m->vb, after), detail);
}

int sg_diff__manifest_norm(sg_mdiff *m, const char *name)
{
    return sg_report_add_normalization(m->report, m->ctx, name);
}

/* ---------------------------------------------------------------- paths */

/* "./lib/x.js", "lib/x.js" and "lib//x.js" name one file; so do "lib/" and "lib". */
static int path_equiv(const char *a, const char *b)
{
    for (;;) {
        while (a[0] == '.' && a[1] == '/')
            a += 2;
        while (b[0] == '.' && b[1] == '/')
            b += 2;
        while (*a == '/')
            a++;
        while (*b == '/')
            b++;
        while (*a && *a != '/' && *a == *b) {
            a++;
            b++;
        }
        if ((*a == '\0' || *a == '/') && (*b == '\0' || *b == '/')) {
            while (*a == '/')
                a++;
            while (*b == '/')
                b++;
            if (!*a && !*b)
                return 1;
            if (!*a || !*b)
                return 0;
            continue;
        }
        return 0;
    }
}

/* npm's bin path normalization: backslashes become '/', "." and empty segments go, ".."
 * cannot climb above the package root. Result in out. */
static void norm_bin_path(sg_buf *out, const char *p)
{
    size_t i = 0, len = strlen(p);
    sg_buf_clear(out);
    while (i < len) {
        size_t start = i, seg;
        while (i < len && p[i] != '/' && p[i] != '\\')
            i++;
        seg = i - start;
        if (i < len)
            i++;
        if (seg == 0 || (seg == 1 && p[start] == '.'))
            continue;
        if (seg == 2 && p[start] == '.' && p[start + 1] == '.') {
            char *slash = out->size ? strrchr(out->ptr, '/') : NULL;
            sg_buf_truncate(out, slash ? (size_t)(slash - out->ptr) : 0);
            continue;
        }
        if (out->size)
            sg_buf_putc(out, '/');
        sg_buf_put(out, p + start, seg);
    }
}

/* ---------------------------------------------------------------- dependency specs */

typedef enum {
    SPEC_RANGE,     /* a semver range, version or dist-tag: resolved from the registry */
    SPEC_WORKSPACE, /* workspace: (pnpm, yarn) */
    SPEC_CATALOG,   /* catalog: (pnpm, yarn) */
    SPEC_ALIAS,     /* npm:other@range */
    SPEC_GIT,       /* git+https:, github:, ... */
    SPEC_URL,       /* http(s): tarball */
    SPEC_FILE,      /* file:, a path */
    SPEC_LINK,      /* link:, portal: */
    SPEC_TARBALL,   /* a .tgz path */
    SPEC_GITHUB,    /* user/repo shorthand */
    SPEC_PROTOCOL,  /* any other protocol (jsr:, patch:, exec:, ...) */
} spec_kind;

static spec_kind classify_spec(const char *s)
{
    static const struct {
        const char *prefix;
        spec_kind kind;
    } prefixes[] = {
        {"npm:", SPEC_ALIAS},       {"workspace:", SPEC_WORKSPACE},
        {"catalog:", SPEC_CATALOG}, {"git+", SPEC_GIT},
        {"git:", SPEC_GIT},         {"git@", SPEC_GIT},
        {"github:", SPEC_GIT},      {"gitlab:", SPEC_GIT},
        {"bitbucket:", SPEC_GIT},   {"gist:", SPEC_GIT},
        {"ssh:", SPEC_GIT},         {"http:", SPEC_URL},
        {"https:", SPEC_URL},       {"file:", SPEC_FILE},
        {"link:", SPEC_LINK},       {"portal:", SPEC_LINK},
        {"/", SPEC_FILE},           {"./", SPEC_FILE},
        {"../", SPEC_FILE},         {"~/", SPEC_FILE},
    };
    static const char *const tar_ext[] = {".tgz", ".tar.gz", ".tar"};
    size_t i, n;

    while (*s == ' ' || *s == '\t')
        s++;
    for (i = 0; i < SG_ARRAY_SIZE(prefixes); i++)
        if (sg_strncasecmp(s, prefixes[i].prefix, strlen(prefixes[i].prefix)) == 0)
            return prefixes[i].kind;
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return SPEC_FILE;
    n = strlen(s);
    for (i = 0; i < SG_ARRAY_SIZE(tar_ext); i++) {
        size_t m = strlen(tar_ext[i]);
        if (n >= m && sg_strcasecmp(s + n - m, tar_ext[i]) == 0)
            return SPEC_TARBALL;
    }
    if (strchr(s, ':'))
        return SPEC_PROTOCOL;
    if (strchr(s, '/') || strchr(s, '\\'))
        return SPEC_GITHUB;
    return SPEC_RANGE;
}

static const char *spec_kind_phrase(spec_kind k)
{
    switch (k) {
    case SPEC_RANGE:
        return "a registry range";
    case SPEC_WORKSPACE:
        return "a workspace: spec";
    case SPEC_CATALOG:
        return "a catalog: spec";
    case SPEC_ALIAS:
        return "an npm: alias";
    case SPEC_GIT:
        return "a git spec";
    case SPEC_URL:
        return "a URL";
    case SPEC_FILE:
        return "a local path";
    case SPEC_LINK:
        return "a link";
    case SPEC_TARBALL:
        return "a tarball";
    case SPEC_GITHUB:
        return "a GitHub shorthand";
    case SPEC_PROTOCOL:
        return "a non-registry protocol";
    }
    return "an unknown spec";
}

/* A spec that fetches something other than a registry version of the named package. */
static int spec_dangerous(const cJSON *v)
{
    spec_kind k;
    if (!cJSON_IsString(v))
        return 1;
    k = classify_spec(v->valuestring);
    return k != SPEC_RANGE && k != SPEC_WORKSPACE && k != SPEC_CATALOG;
}

/* ---------------------------------------------------------------- dependencies */

static const char *const dep_fields[] = {
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "devDependencies",
};

/* dependencies and optionalDependencies: npm installs either; moving one is no new code. */
static const char *sibling_field(const char *field)
{
    if (strcmp(field, "dependencies") == 0)
        return "optionalDependencies";
    if (strcmp(field, "optionalDependencies") == 0)
        return "dependencies";
    return NULL;
}

static sg_severity dep_added_severity(const char *field)
{
    return strcmp(field, "dependencies") == 0 || strcmp(field, "optionalDependencies") == 0
               ? SG_SEV_CRITICAL
               : SG_SEV_HIGH;
}

/* One dependency present in both manifests with different values. */
static int dep_changed(sg_mdiff *m, const char *field, const char *name, const cJSON *s,
                       const cJSON *a, int quiet, int *quiet_diffs)
{
    char detail[256];
    int handled = 0, error;

    if (cJSON_IsString(s) && cJSON_IsString(a) &&
        (error = sg_diff__dep_protocol(m, field, name, s, a,
                                       classify_spec(a->valuestring) == SPEC_RANGE, quiet,
                                       &handled)) < 0)
        return error;
    if (handled)
        return 0;
    if (quiet) {
        (*quiet_diffs)++;
        return 0;
    }
    if (spec_dangerous(a)) {
        snprintf(detail, sizeof(detail), "the artifact's spec is %s, not a registry range",
                 cJSON_IsString(a) ? spec_kind_phrase(classify_spec(a->valuestring))
                                   : "not a string");
        return sg_diff__manifest_addv(m, "dependency-changed", SG_SEV_HIGH, field, name, s, a,
                                      detail);
    }
    return sg_diff__manifest_addv(m, "dependency-changed", SG_SEV_MEDIUM, field, name, s, a,
                                  "the range differs from the source");
}

static int dep_added(sg_mdiff *m, const char *field, const char *name, const cJSON *a)
{
    const char *sib = sibling_field(field);
    const cJSON *moved = sib ? sg_diff__member(sg_diff__member(m->src, sib), name) : NULL;
    char detail[256];

    if (moved && sg_json_equal(moved, a)) {
        snprintf(detail, sizeof(detail), "moved from %s with the same spec", sib);
        return sg_diff__manifest_addv(m, "dependency-changed", SG_SEV_LOW, field, name, NULL, a,
                                      detail);
    }
    snprintf(detail, sizeof(detail), "not in the source's %s at this commit%s", field,
             spec_dangerous(a) ? "; the spec is not a registry range" : "");
    return sg_diff__manifest_addv(m, "dependency-added", dep_added_severity(field), field, name,
                                  NULL, a, detail);
}

/* A dependencies-like field that is not an object in one of the manifests. */
static int dep_field_odd(sg_mdiff *m, const char *field, const cJSON *s, const cJSON *a, int quiet)
{
    if (s && a && sg_json_equal(s, a))
        return 0;
    if (!a)
        return quiet ? sg_diff__manifest_norm(m, SG_MNORM_FIELDS_REMOVED)
                     : sg_diff__manifest_addv(m, "field-changed", SG_SEV_INFO, field, NULL, s, NULL,
                                              "removed from the artifact");
    return sg_diff__manifest_addv(m, "field-changed",
                                  quiet ? SG_SEV_INFO : dep_added_severity(field), field, NULL, s,
                                  a, "the field is not an object of dependency specs");
}

/* dependencies, optionalDependencies, peerDependencies; devDependencies quietly (they never
 * reach consumers: one info finding for the whole field). */
static int diff_deps(sg_mdiff *m, const char *field)
{
    const cJSON *s = sg_diff__member(m->src, field), *a = sg_diff__member(m->art, field), *it;
    int quiet = strcmp(field, "devDependencies") == 0, quiet_diffs = 0, error = 0;
    char detail[128];

    if (!s && !a)
        return 0;
    if ((s && !cJSON_IsObject(s)) || (a && !cJSON_IsObject(a)))
        return dep_field_odd(m, field, s, a, quiet);
    if (!a && quiet)
        return sg_diff__manifest_norm(m, SG_MNORM_FIELDS_REMOVED);
    cJSON_ArrayForEach(it, a)
    {
        const cJSON *sv = sg_diff__member(s, it->string);
        if (!sv) {
            if (quiet)
                quiet_diffs++;
            else
                error = dep_added(m, field, it->string, it);
        } else if (!sg_json_equal(sv, it)) {
            error = dep_changed(m, field, it->string, sv, it, quiet, &quiet_diffs);
        }
        if (error < 0)
            return error;
    }
    cJSON_ArrayForEach(it, s)
    {
        const char *sib = sibling_field(field);
        const cJSON *moved = sib ? sg_diff__member(sg_diff__member(m->art, sib), it->string) : NULL;
        if (sg_diff__member(a, it->string))
            continue;
        if (quiet) {
            quiet_diffs++;
            continue;
        }
        if (moved && sg_json_equal(moved, it))
            continue; /* reported once, as moved, on the side it went to */
        if ((error = sg_diff__manifest_addv(m, "dependency-removed", SG_SEV_INFO, field, it->string,
                                            it, NULL, "not in the artifact")) < 0)
            return error;
    }
    if (quiet && quiet_diffs) {
        snprintf(detail, sizeof(detail),
                 "%d entries differ (devDependencies are not installed for consumers)",
                 quiet_diffs);
        m->residual = 1;
        return sg_diff__manifest_add(m, "field-changed", SG_SEV_INFO, field, NULL, NULL, NULL,
                                     detail);
    }
    return 0;
}

/* bundleDependencies / bundledDependencies: the names in doc's bundle (true means every
 * dependency), as an array the caller frees; *key receives the spelling used. NULL when none. */
static cJSON *bundle_names(const cJSON *doc, const char **key, int *odd)
{
    const cJSON *v = sg_diff__member(doc, "bundleDependencies"), *it;
    cJSON *out = cJSON_CreateArray();
    *key = "bundleDependencies";
    *odd = 0;
    if (!v) {
        v = sg_diff__member(doc, "bundledDependencies");
        if (v)
            *key = "bundledDependencies";
    }
    if (!out || !v || cJSON_IsFalse(v) || cJSON_IsNull(v))
        return out;
    if (cJSON_IsTrue(v)) {
        cJSON_ArrayForEach(it, sg_diff__member(doc, "dependencies"))
        {
            if (!cJSON_AddItemToArray(out, cJSON_CreateString(it->string)))
                goto nomem;
        }
    } else if (cJSON_IsArray(v)) {
        cJSON_ArrayForEach(it, v)
        {
            if (!cJSON_IsString(it))
                *odd = 1;
            else if (!cJSON_AddItemToArray(out, cJSON_CreateString(it->valuestring)))
                goto nomem;
        }
    } else {
        *odd = 1;
    }
    return out;
nomem:
    cJSON_Delete(out);
    return NULL;
}

static int array_has(const cJSON *arr, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
            return 1;
    }
    return 0;
}

static int diff_bundle(sg_mdiff *m)
{
    const char *skey, *akey;
    int sodd, aodd, error = 0;
    cJSON *sn = bundle_names(m->src, &skey, &sodd), *an = bundle_names(m->art, &akey, &aodd);
    const cJSON *it;

    if (!sn || !an) {
        error = sg_error_set(m->ctx, SG_ENOMEM, "out of memory comparing bundleDependencies");
        goto done;
    }
    if (aodd && !sg_json_equal(sg_diff__member(m->src, skey), sg_diff__member(m->art, akey))) {
        error = sg_diff__manifest_addv(m, "field-changed", SG_SEV_HIGH, akey, NULL,
                                       sg_diff__member(m->src, skey), sg_diff__member(m->art, akey),
                                       "not a list of bundled dependency names");
        goto done;
    }
    cJSON_ArrayForEach(it, an)
    {
        if (array_has(sn, it->valuestring))
            continue;
        if ((error = sg_diff__manifest_addv(
                 m, "dependency-added", SG_SEV_HIGH, akey, it->valuestring, NULL, it,
                 "bundled in the artifact, not in the source's bundle list")) < 0)
            goto done;
    }
    cJSON_ArrayForEach(it, sn)
    {
        if (array_has(an, it->valuestring))
            continue;
        if ((error =
                 sg_diff__manifest_addv(m, "dependency-removed", SG_SEV_INFO, skey, it->valuestring,
                                        it, NULL, "no longer bundled in the artifact")) < 0)
            goto done;
    }
done:
    cJSON_Delete(sn);
    cJSON_Delete(an);
    return error;
}

/* ---------------------------------------------------------------- scripts */

static const char *const install_hooks[] = {"preinstall", "install", "postinstall"};

/* What pnpm removes at publish (NPM-PACK.md §4.1). */
static const char *const pnpm_removed_scripts[] = {
    "prepublishOnly", "prepack", "prepare", "postpack", "publish", "postpublish",
};

static const char *script_why(const char *name)
{
    if (sg_diff__in_list(name, install_hooks, SG_ARRAY_SIZE(install_hooks)))
        return "runs on every install of the package";
    if (strcmp(name, "prepare") == 0)
        return "runs when the package is installed from git";
    return "scripts are not added or changed at publish";
}

/* A script of the artifact (it) that the source (s, an object or NULL) lacks or differs on. */
static int script_in_artifact(sg_mdiff *m, const cJSON *s, const cJSON *it)
{
    const cJSON *sv = sg_diff__member(s, it->string), *orig = sg_diff__member(s, "postinstall");
    int hook = sg_diff__in_list(it->string, install_hooks, SG_ARRAY_SIZE(install_hooks)), error;
    char detail[256];

    if (sv && sg_json_equal(sv, it))
        return 0;
    if (strcmp(it->string, "_postinstall") != 0) {
        snprintf(detail, sizeof(detail), "%s; %s",
                 sv ? "differs from the source" : "not in the source at this commit",
                 script_why(it->string));
        return sg_diff__manifest_addv(m, sv ? "script-changed" : "script-added",
                                      hook ? SG_SEV_CRITICAL : SG_SEV_HIGH, "scripts", it->string,
                                      sv, it, detail);
    }
    /* pinst --disable renames postinstall; npm never runs _postinstall. */
    if (sv || !orig || !sg_json_equal(orig, it))
        return sg_diff__manifest_addv(m, sv ? "script-changed" : "script-added", SG_SEV_INFO,
                                      "scripts", it->string, sv, it,
                                      "not a lifecycle script; npm does not run it");
    if ((error = sg_diff__manifest_norm(m, SG_MNORM_PINST)) < 0)
        return error;
    return sg_diff__manifest_add(m, "script-added", SG_SEV_INFO, "scripts", it->string, NULL,
                                 value_text(&m->vb, it),
                                 "pinst renamed postinstall at publish; npm does not run it");
}

/* A script of the source (it) that the artifact (a) lacks. */
static int script_removed(sg_mdiff *m, const cJSON *a, const cJSON *it)
{
    const cJSON *renamed = sg_diff__member(a, "_postinstall");
    int error;
    if (sg_diff__in_list(it->string, pnpm_removed_scripts, SG_ARRAY_SIZE(pnpm_removed_scripts))) {
        if ((error = sg_diff__manifest_norm(m, SG_MNORM_SCRIPTS_REMOVED)) < 0)
            return error;
        return sg_diff__manifest_add(m, "script-removed", SG_SEV_INFO, "scripts", it->string,
                                     value_text(&m->va, it), NULL,
                                     "removed at publish (pnpm removes it)");
    }
    if (strcmp(it->string, "postinstall") == 0 && renamed && sg_json_equal(renamed, it))
        return sg_diff__manifest_add(m, "script-removed", SG_SEV_INFO, "scripts", it->string,
                                     value_text(&m->va, it), NULL,
                                     "renamed to _postinstall (pinst)");
    return sg_diff__manifest_addv(m, "script-removed", SG_SEV_INFO, "scripts", it->string, it, NULL,
                                  "not in the artifact");
}

static int diff_scripts(sg_mdiff *m)
{
    const cJSON *s = sg_diff__member(m->src, "scripts"), *a = sg_diff__member(m->art, "scripts"),
                *it;
    int error;

    if (a && !cJSON_IsObject(a)) {
        if (sg_json_equal(s, a))
            return 0;
        return sg_diff__manifest_addv(m, "field-changed", SG_SEV_HIGH, "scripts", NULL, s, a,
                                      "scripts is not an object of commands");
    }
    if (s && !cJSON_IsObject(s)) {
        if (!a)
            return 0; /* npm ignores a malformed scripts field; the artifact has none */
        s = NULL;     /* every script of the artifact is new */
    }
    cJSON_ArrayForEach(it, a)
    {
        if ((error = script_in_artifact(m, s, it)) < 0)
            return error;
    }
    cJSON_ArrayForEach(it, s)
    {
        if (!sg_diff__member(a, it->string) && (error = script_removed(m, a, it)) < 0)
            return error;
    }
    return 0;
}

/* ---------------------------------------------------------------- bin */

/* npm's bin normalization: a string is {unscoped name: path}; names are basenames; paths are
 * normalized. Non-string targets are kept as JSON text so a change still shows. */
static cJSON *bin_map(const cJSON *doc, const cJSON *bin, sg_buf *tmp)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *it;
    if (!out || !bin)
        return out;
    if (cJSON_IsString(bin)) {
        const char *name = sg_json_str(doc, "name");
        const char *slash = name ? strchr(name, '/') : NULL;
        norm_bin_path(tmp, bin->valuestring);
        if (tmp->error ||
            !cJSON_AddStringToObject(out, name ? (name[0] == '@' && slash ? slash + 1 : name) : "",
                                     tmp->ptr))
            goto nomem;
        return out;
    }
    cJSON_ArrayForEach(it, bin)
    {
        const char *key = it->string ? sg_path_basename(it->string) : "";
        cJSON *v;
        if (cJSON_IsString(it)) {
            norm_bin_path(tmp, it->valuestring);
            v = tmp->error ? NULL : cJSON_CreateString(tmp->ptr);
        } else {
            v = cJSON_Duplicate(it, 1);
        }
        if (!v)
            goto nomem;
        cJSON_DeleteItemFromObjectCaseSensitive(out, key); /* later keys win, as in npm */
        if (!cJSON_AddItemToObject(out, key, v)) {
            cJSON_Delete(v);
            goto nomem;
        }
    }
    return out;
nomem:
    cJSON_Delete(out);
    return NULL;
}

int sg_diff__bin_equiv(const cJSON *sdoc, const cJSON *sbin, const cJSON *adoc, const cJSON *abin)
{
    sg_buf tmp = SG_BUF_INIT;
    cJSON *x = bin_map(sdoc, sbin, &tmp), *y = bin_map(adoc, abin, &tmp);
    int eq = x && y && sg_json_equal(x, y);
    cJSON_Delete(x);
    cJSON_Delete(y);
    sg_buf_dispose(&tmp);
    return eq;
}

static int diff_bin_dir(sg_mdiff *m)
{
    const char *s = sg_json_str(sg_diff__member(m->src, "directories"), "bin");
    const char *a = sg_json_str(sg_diff__member(m->art, "directories"), "bin");
    const cJSON *sd = sg_diff__member(m->src, "directories"),
                *ad = sg_diff__member(m->art, "directories");
    cJSON *sc = NULL, *ac = NULL;
    int error = 0;

    if (a && !s)
        error = sg_diff__manifest_add(
            m, "bin-added", SG_SEV_HIGH, "directories.bin", NULL, NULL, a,
            "every file in this folder is linked onto PATH; not in the source");
    else if (a && s && !path_equiv(a, s))
        error = sg_diff__manifest_add(m, "bin-changed", SG_SEV_HIGH, "directories.bin", NULL, s, a,
                                      "every file in this folder is linked onto PATH");
    else if (s && !a)
        error = sg_diff__manifest_add(m, "field-changed", SG_SEV_INFO, "directories.bin", NULL, s,
                                      NULL, "removed from the artifact");
    if ((a || s) && !(a && s && path_equiv(a, s)))
        m->residual = 1;
    if (error < 0)
        return error;
    /* The rest of "directories" (lib, man, doc, ...) is metadata. */
    sc = sd ? cJSON_Duplicate(sd, 1) : NULL;
    ac = ad ? cJSON_Duplicate(ad, 1) : NULL;
    if ((sd && !sc) || (ad && !ac))
        return sg_error_set(m->ctx, SG_ENOMEM, "out of memory comparing directories");
    if (cJSON_IsObject(sc))
        cJSON_DeleteItemFromObjectCaseSensitive(sc, "bin");
    if (cJSON_IsObject(ac))
        cJSON_DeleteItemFromObjectCaseSensitive(ac, "bin");
    if (sc && !ac)
        error = cJSON_GetArraySize(sc) ? sg_diff__manifest_norm(m, SG_MNORM_FIELDS_REMOVED) : 0;
    else if (ac && !sg_json_equal(sc, ac) &&
             !(sc == NULL && cJSON_IsObject(ac) && cJSON_GetArraySize(ac) == 0))
        error = sg_diff__manifest_addv(m, "field-changed", SG_SEV_INFO, "directories", NULL, sc, ac,
                                       "differs from the source");
    cJSON_Delete(sc);
    cJSON_Delete(ac);
    return error;
}

static int diff_bin(sg_mdiff *m)
{
    sg_buf tmp = SG_BUF_INIT;
    cJSON *s = bin_map(m->src, sg_diff__member(m->src, "bin"), &tmp);
    cJSON *a = bin_map(m->art, sg_diff__member(m->art, "bin"), &tmp);
    const cJSON *it;
    int error = 0;

    if (!s || !a) {
        error = sg_error_set(m->ctx, SG_ENOMEM, "out of memory comparing bin");
        goto done;
    }
    cJSON_ArrayForEach(it, a)
    {
        const cJSON *sv = sg_diff__member(s, it->string);
        if (!sv)
            error = sg_diff__manifest_addv(m, "bin-added", SG_SEV_HIGH, "bin", it->string, NULL, it,
                                           "linked onto PATH at install; not in the source");
        else if (!sg_json_equal(sv, it))
            error =
                sg_diff__manifest_addv(m, "bin-changed", SG_SEV_HIGH, "bin", it->string, sv, it,
                                       "the executable points at another file than in the source");
        if (error < 0)
            goto done;
    }
    cJSON_ArrayForEach(it, s)
    {
        if (sg_diff__member(a, it->string))
            continue;
        if ((error = sg_diff__manifest_addv(m, "field-changed", SG_SEV_INFO, "bin", it->string, it,
                                            NULL, "removed from the artifact")) < 0)
            goto done;
    }
    error = diff_bin_dir(m);
done:
    cJSON_Delete(s);
    cJSON_Delete(a);
    sg_buf_dispose(&tmp);
    return error;
}

/* ---------------------------------------------------------------- entry points and fields */

typedef struct field_rule {
    const char *key;  /* top-level key */
    const char *kind; /* finding kind for a difference */
    sg_severity sev;  /* its severity */
} field_rule;

/* Code entry points (entry-changed) and install-affecting fields (field-changed). */
static const field_rule field_rules[] = {
    {"main", "entry-changed", SG_SEV_MEDIUM},
    {"module", "entry-changed", SG_SEV_MEDIUM},
    {"exports", "entry-changed", SG_SEV_MEDIUM},
    {"imports", "entry-changed", SG_SEV_MEDIUM},
    {"browser", "entry-changed", SG_SEV_MEDIUM},
    {"types", "entry-changed", SG_SEV_MEDIUM},
    {"typings", "entry-changed", SG_SEV_MEDIUM},
    {"type", "entry-changed", SG_SEV_MEDIUM},
    /* Entry points some bundlers, CDNs or TypeScript read: publishConfig overlays. */
    {"typesVersions", "entry-changed", SG_SEV_LOW},
    {"esnext", "entry-changed", SG_SEV_LOW},
    {"es2015", "entry-changed", SG_SEV_LOW},
    {"umd:main", "entry-changed", SG_SEV_LOW},
    {"jsnext:main", "entry-changed", SG_SEV_LOW},
    {"unpkg", "entry-changed", SG_SEV_LOW},
    {"jsdelivr", "entry-changed", SG_SEV_LOW},
    {"react-native", "entry-changed", SG_SEV_LOW},
    {"name", "field-changed", SG_SEV_HIGH},
    {"files", "field-changed", SG_SEV_MEDIUM},
    {"engines", "field-changed", SG_SEV_LOW},
    {"os", "field-changed", SG_SEV_LOW},
    {"cpu", "field-changed", SG_SEV_LOW},
    {"libc", "field-changed", SG_SEV_LOW},
    {"peerDependenciesMeta", "field-changed", SG_SEV_LOW},
    {"man", "field-changed", SG_SEV_LOW},
    {"config", "field-changed", SG_SEV_LOW}, /* npm_package_config_* reaches install scripts */
};

/* Keys with their own comparison (the rest is metadata). */
static const char *const special_keys[] = {
    "version",
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "devDependencies",
    "bundleDependencies",
    "bundledDependencies",
    "scripts",
    "bin",
    "directories",
    "publishConfig",
    "gypfile",
};

static const field_rule *rule_for(const char *key)
{
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(field_rules); i++)
        if (strcmp(field_rules[i].key, key) == 0)
            return &field_rules[i];
    return NULL;
}

static int is_path_field(const char *key)
{
    static const char *const paths[] = {
        "main",   "module",   "browser",     "types", "typings",  "esnext",
        "es2015", "umd:main", "jsnext:main", "unpkg", "jsdelivr", "react-native",
    };
    return sg_diff__in_list(key, paths, SG_ARRAY_SIZE(paths));
}

/* Equal for what the field does: paths with or without "./", bin after npm's normalization,
 * an absent "type" is "commonjs"; everything else as JSON values. NULL is absent. */
int sg_diff__field_equiv(const char *key, const cJSON *sdoc, const cJSON *s, const cJSON *adoc,
                         const cJSON *a)
{
    if (strcmp(key, "type") == 0) {
        const char *x = s ? (cJSON_IsString(s) ? s->valuestring : NULL) : "commonjs";
        const char *y = a ? (cJSON_IsString(a) ? a->valuestring : NULL) : "commonjs";
        if (x && y)
            return strcmp(x, y) == 0;
    }
    if (strcmp(key, "bin") == 0)
        return sg_diff__bin_equiv(sdoc, s, adoc, a);
    if (!s || !a)
        return s == a;
    if (is_path_field(key) && cJSON_IsString(s) && cJSON_IsString(a))
        return path_equiv(s->valuestring, a->valuestring);
    return sg_json_equal(s, a);
}

static int diff_rule(sg_mdiff *m, const field_rule *r)
{
    const cJSON *s = sg_diff__member(m->src, r->key), *a = sg_diff__member(m->art, r->key);
    const char *what;
    if (sg_diff__field_equiv(r->key, m->src, s, m->art, a))
        return 0;
    what = !s   ? "not in the source at this commit"
           : !a ? "removed from the artifact"
                : "differs from the source";
    return sg_diff__manifest_addv(m, r->kind, r->sev, r->key, NULL, s, a, what);
}

/* npm synthesizes "install": "node-gyp rebuild" when a root binding.gyp exists and gypfile is
 * not false: turning that on is an install script. */
static int diff_gypfile(sg_mdiff *m)
{
    const cJSON *s = sg_diff__member(m->src, "gypfile"), *a = sg_diff__member(m->art, "gypfile");
    if (sg_json_equal(s, a) || (!s && !a))
        return 0;
    if (!cJSON_IsFalse(a))
        return sg_diff__manifest_addv(
            m, "field-changed", SG_SEV_HIGH, "gypfile", NULL, s, a,
            "npm runs node-gyp rebuild at install unless gypfile is false");
    return sg_diff__manifest_addv(m, "field-changed", SG_SEV_INFO, "gypfile", NULL, s, a,
                                  "node-gyp is turned off in the artifact");
}

/* ---------------------------------------------------------------- metadata */

/* Any other key: description, repository, devDependencies' siblings workspaces,
 * packageManager, pnpm, patchedDependencies, ... Removal is a publish-time rewrite. */
static int diff_metadata_key(sg_mdiff *m, const char *key)
{
    const cJSON *s = sg_diff__member(m->src, key), *a = sg_diff__member(m->art, key);
    if (sg_diff__in_list(key, special_keys, SG_ARRAY_SIZE(special_keys)) || rule_for(key) ||
        sg_json_equal(s, a))
        return 0;
    if (!a)
        return sg_diff__manifest_norm(m, SG_MNORM_FIELDS_REMOVED);
    return sg_diff__manifest_addv(m, "field-changed", SG_SEV_INFO, key, NULL, s, a,
                                  s ? "differs from the source (metadata)"
                                    : "not in the source (metadata)");
}

static int diff_metadata(sg_mdiff *m)
{
    const cJSON *it;
    int error;
    cJSON_ArrayForEach(it, m->src)
    {
        if ((error = diff_metadata_key(m, it->string)) < 0)
            return error;
    }
    cJSON_ArrayForEach(it, m->art)
    {
        if (sg_diff__member(m->src, it->string))
            continue;
        if ((error = diff_metadata_key(m, it->string)) < 0)
            return error;
    }
    return 0;
}

/* ---------------------------------------------------------------- driver */

static int parse_object(cJSON **out, sg_ctx *ctx, const char *data, size_t len, const char *what)
{
    int error;
    if (!data && len)
        return sg_error_set(ctx, SG_EINVALID, "%s is missing", what);
    if ((error = sg_json_parse(out, ctx, data ? data : "", len, what)) < 0)
        return error;
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return sg_error_set(ctx, SG_EINVALID, "%s is not a JSON object", what);
    }
    return 0;
}

/* Entry points whose string values name files Node loads (issue 12). */
static const char *const entry_fields[] = {"main", "module", "browser", "exports", "imports"};

static int add_target(sg_manifest_info *info, const char *field, const char *path, int changed,
                      int types)
{
    sg_entry_target *t;
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    while (path[0] == '/')
        path++;
    if (!path[0] || strchr(path, '*'))
        return 0; /* the package root or a subpath pattern: no single file */
    if (SG_ARRAY_GROW(info->entries, info->entry_cap, info->entry_count + 1, 8) < 0)
        return SG_ENOMEM;
    t = &info->entries[info->entry_count];
    t->field = sg_strdup(field);
    t->path = sg_strdup(path);
    t->changed = changed;
    t->types = types;
    if (!t->field || !t->path) {
        sg_free(t->field);
        sg_free(t->path);
        return SG_ENOMEM;
    }
    info->entry_count++;
    return 0;
}

/* Is key a condition Node never matches unless told to, TypeScript's "types" ("typings")? */
static int types_condition(const char *key)
{
    return key && (strcmp(key, "types") == 0 || strcmp(key, "typings") == 0);
}

/* Every string leaf of an entry point's value (exports and imports nest conditions; browser
 * maps paths to paths or false). types: the leaf is under a "types" condition. */
static int add_targets(sg_manifest_info *info, const char *field, const cJSON *v, int changed,
                       int types, unsigned depth)
{
    const cJSON *it;
    int error;
    if (depth > 32)
        return 0;
    if (cJSON_IsString(v))
        return add_target(info, field, v->valuestring, changed, types);
    cJSON_ArrayForEach(it, v)
    {
        int t = types || (cJSON_IsObject(v) && types_condition(it->string));
        if ((error = add_targets(info, field, it, changed, t, depth + 1)) < 0)
            return error;
    }
    return 0;
}

static int fill_entries(sg_mdiff *m, sg_manifest_info *info)
{
    size_t i;
    int error;
    for (i = 0; i < SG_ARRAY_SIZE(entry_fields); i++) {
        const char *f = entry_fields[i];
        const cJSON *a = sg_diff__member(m->art, f), *s = sg_diff__member(m->src, f);
        int changed = !sg_diff__field_equiv(f, m->src, s, m->art, a);
        if (a && (error = add_targets(info, f, a, changed, 0, 0)) < 0)
            return sg_error_set(m->ctx, SG_ENOMEM, "out of memory reading entry points");
    }
    return 0;
}

static int fill_info(sg_mdiff *m, sg_manifest_info *info)
{
    sg_buf tmp = SG_BUF_INIT;
    cJSON *bins = bin_map(m->art, sg_diff__member(m->art, "bin"), &tmp);
    const char *dir = sg_json_str(sg_diff__member(m->art, "directories"), "bin");
    const cJSON *it;
    size_t n = 0;
    int error = 0;

    info->residual = m->residual;
    if (!bins)
        goto nomem;
    if (cJSON_GetArraySize(bins) > 0) {
        info->bin_paths = sg_calloc((size_t)cJSON_GetArraySize(bins), sizeof(char *));
        if (!info->bin_paths)
            goto nomem;
    }
    cJSON_ArrayForEach(it, bins)
    {
        if (!cJSON_IsString(it))
            continue;
        if (!(info->bin_paths[n] = sg_strdup(it->valuestring)))
            goto nomem;
        info->bin_count = ++n;
    }
    if (dir) {
        norm_bin_path(&tmp, dir);
        if (tmp.error || !(info->bin_dir = sg_strdup(tmp.ptr)))
            goto nomem;
    }
    error = fill_entries(m, info);
    goto done;
nomem:
    error = sg_error_set(m->ctx, SG_ENOMEM, "out of memory reading the artifact's bin");
done:
    cJSON_Delete(bins);
    sg_buf_dispose(&tmp);
    return error;
}

static int diff_all(sg_mdiff *m)
{
    size_t i;
    int error;
    /* The source-side rewrites first, so the comparisons below see what the packer wrote. */
    if ((error = sg_diff__publish_config_apply(m)) < 0 ||
        (error = sg_diff__manifest_version(m)) < 0)
        return error;
    for (i = 0; i < SG_ARRAY_SIZE(dep_fields); i++)
        if ((error = diff_deps(m, dep_fields[i])) < 0)
            return error;
    if ((error = diff_bundle(m)) < 0 || (error = diff_scripts(m)) < 0 ||
        (error = diff_bin(m)) < 0 || (error = diff_gypfile(m)) < 0)
        return error;
    for (i = 0; i < SG_ARRAY_SIZE(field_rules); i++)
        if ((error = diff_rule(m, &field_rules[i])) < 0)
            return error;
    if ((error = sg_diff__publish_config_diff(m)) < 0)
        return error;
    return diff_metadata(m);
}

int sg_diff__manifest(sg_report *report, sg_ctx *ctx, const char *source, size_t source_len,
                      const char *artifact, size_t artifact_len, const sg_diff_opts *opts,
                      sg_manifest_info *info)
{
    static const sg_diff_opts no_opts = SG_DIFF_OPTS_INIT;
    sg_mdiff m;
    int error;

    memset(&m, 0, sizeof(m));
    m.report = report;
    m.ctx = ctx;
    m.opts = opts ? opts : &no_opts;
    sg_buf_init(&m.va, 1u << 20);
    sg_buf_init(&m.vb, 1u << 20);
    if (!report)
        return sg_error_set(ctx, SG_EINVALID, "no report to add package.json findings to");
    if ((error = parse_object(&m.src, ctx, source, source_len, "package.json in the source")) < 0 ||
        (error =
             parse_object(&m.art, ctx, artifact, artifact_len, "package.json in the artifact")) < 0)
        goto done;
    if ((error = diff_all(&m)) < 0)
        goto done;
    if (!m.residual && (source_len != artifact_len || memcmp(source, artifact, source_len) != 0))
        error = sg_diff__manifest_norm(&m, SG_MNORM_FORMAT);
    if (error >= 0 && info)
        error = fill_info(&m, info);
done:
    cJSON_Delete(m.src);
    cJSON_Delete(m.art);
    sg_buf_dispose(&m.va);
    sg_buf_dispose(&m.vb);
    return error;
}

int sg_diff_manifest(sg_report *report, sg_ctx *ctx, const char *source, size_t source_len,
                     const char *artifact, size_t artifact_len, const sg_diff_opts *opts)
{
    return sg_diff__manifest(report, ctx, source, source_len, artifact, artifact_len, opts, NULL);
}

void sg_diff__manifest_info_dispose(sg_manifest_info *info)
{
    size_t i;
    if (!info)
        return;
    for (i = 0; i < info->bin_count; i++)
        sg_free(info->bin_paths[i]);
    sg_free(info->bin_paths);
    sg_free(info->bin_dir);
    for (i = 0; i < info->entry_count; i++) {
        sg_free(info->entries[i].field);
        sg_free(info->entries[i].path);
    }
    sg_free(info->entries);
    info->entries = NULL;
    info->entry_count = info->entry_cap = 0;
    info->bin_paths = NULL;
    info->bin_count = 0;
    info->bin_dir = NULL;
    info->residual = 0;
}

int sg_diff__is_bin_target(const sg_manifest_info *info, const char *path)
{
    const char *rest = strchr(path, '/');
    size_t i;
    for (i = 0; i < info->bin_count; i++) {
        if (strcmp(path, info->bin_paths[i]) == 0)
            return 1;
        /* pacote's isPackageBin strips the first component of the path it is given. */
        if (rest && strcmp(rest + 1, info->bin_paths[i]) == 0)
            return 1;
    }
    return info->bin_dir && info->bin_dir[0] && sg_path_under(path, info->bin_dir) &&
           strcmp(path, info->bin_dir) != 0;
}
