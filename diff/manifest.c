/*
 * package.json diff (NPM-PACK.md §2, §4.1, §4.2, §5.2): undo the publish-time rewrites the
 * packers are known to make in the source copy, then compare field by field. Every accepted
 * rewrite is named in the report's normalizations; every other difference is a finding whose
 * severity follows what the field can do to a consumer (DESIGN.md "Finding kinds").
 */
#include "common/common.h"

#include <stdio.h>

#include "diff/diff_int.h"

/* Longest value text kept in a finding's before/after (the rest becomes "..."). */
#define VALUE_TEXT_MAX 1024

typedef struct mdiff {
    sg_report *report;        /* where findings go */
    sg_ctx *ctx;              /* errors and limits */
    const sg_diff_opts *opts; /* callbacks; never NULL inside (an empty one stands in) */
    cJSON *src;               /* the source manifest, rewritten in place as rewrites apply */
    cJSON *art;               /* the artifact manifest */
    int residual;             /* a difference that no accepted rewrite explains */
    sg_buf va, vb;            /* texts of before and after values */
} mdiff;

/* Normalization names (docs/finding-kinds.md "Normalizations"). */
#define N_WORKSPACE "package.json-workspace-protocol"
#define N_WORKSPACE_UNVERIFIED "package.json-workspace-protocol-unverified"
#define N_CATALOG "package.json-catalog-protocol"
#define N_CATALOG_UNVERIFIED "package.json-catalog-protocol-unverified"
#define N_JSR "package.json-jsr-protocol"
#define N_PUBLISH_CONFIG "package.json-publish-config"
#define N_VERSION "package.json-version-placeholder"
#define N_SCRIPTS_REMOVED "package.json-scripts-removed"
#define N_PINST "package.json-pinst"
#define N_FIELDS_REMOVED "package.json-fields-removed"
#define N_FORMAT "package.json-format"

/* ---------------------------------------------------------------- small helpers */

static const cJSON *get(const cJSON *obj, const char *key)
{
    /* sg_json_parse already dropped earlier duplicate keys (JSON.parse keeps the last). */
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int in_list(const char *s, const char *const *list, size_t n)
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

static int add(mdiff *m, const char *kind, sg_severity sev, const char *field, const char *name,
               const char *before, const char *after, const char *detail)
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
static int addv(mdiff *m, const char *kind, sg_severity sev, const char *field, const char *name,
                const cJSON *before, const cJSON *after, const char *detail)
{
    m->residual = 1;
    return add(m, kind, sev, field, name, value_text(&m->va, before), value_text(&m->vb, after),
               detail);
}

static int norm(mdiff *m, const char *name)
{
    return sg_report_add_normalization(m->report, m->ctx, name);
}

/* Replace (or add) member key of obj with a copy of v. */
static int set_member(mdiff *m, cJSON *obj, const char *key, const cJSON *v)
{
    cJSON *copy = cJSON_Duplicate(v, 1);
    if (!copy)
        return sg_error_set(m->ctx, SG_ENOMEM, "out of memory copying package.json field '%s'",
                            key);
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, copy)) {
            cJSON_Delete(copy);
            return sg_error_set(m->ctx, SG_ENOMEM, "out of memory rewriting field '%s'", key);
        }
    } else if (!cJSON_AddItemToObject(obj, key, copy)) {
        cJSON_Delete(copy);
        return sg_error_set(m->ctx, SG_ENOMEM, "out of memory rewriting field '%s'", key);
    }
    return 0;
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

/* Result of undoing a protocol rewrite on a source spec. */
typedef struct resolution {
    const char *norm;       /* normalization name; NULL when the spec uses no such protocol */
    const char *unverified; /* the "-unverified" name, when one exists */
    int workspace;          /* 1 for workspace: */
    char *value;            /* the spec the packer writes (sg_malloc'd), NULL if unresolvable */
} resolution;

static int dup_into(mdiff *m, char **out, const char *a, const char *b, const char *c,
                    const char *d)
{
    sg_buf buf = SG_BUF_INIT;
    sg_buf_puts(&buf, a);
    sg_buf_puts(&buf, b);
    sg_buf_puts(&buf, c);
    sg_buf_puts(&buf, d);
    if (buf.error) {
        sg_buf_dispose(&buf);
        return sg_error_set(m->ctx, SG_ENOMEM, "out of memory resolving a dependency spec");
    }
    *out = sg_strdup(buf.ptr);
    sg_buf_dispose(&buf);
    return *out ? 0 : sg_error_set(m->ctx, SG_ENOMEM, "out of memory resolving a spec");
}

/* pnpm/yarn: workspace:* -> V, ^ -> ^V, ~ -> ~V, <range> -> <range>, ./path -> V;
 * workspace:other@* -> npm:other@V. */
static int resolve_workspace(mdiff *m, resolution *r, const char *dep, const char *rest)
{
    const char *at = strrchr(rest, '@'), *target = dep, *prefix = "", *v;
    char *alias = NULL;
    int error = 0;

    r->norm = N_WORKSPACE;
    r->unverified = N_WORKSPACE_UNVERIFIED;
    r->workspace = 1;
    if (at && at != rest) {
        alias = sg_strndup(rest, (size_t)(at - rest));
        if (!alias)
            return sg_error_set(m->ctx, SG_ENOMEM, "out of memory resolving a spec");
        target = alias;
        rest = at + 1;
    }
    if (strcmp(rest, "*") == 0 || strcmp(rest, "^") == 0 || strcmp(rest, "~") == 0 ||
        rest[0] == '\0' || rest[0] == '.' || rest[0] == '/') {
        if (rest[0] == '^' || rest[0] == '~')
            prefix = rest[0] == '^' ? "^" : "~";
        v = m->opts->workspace_version ? m->opts->workspace_version(m->opts->payload, target)
                                       : NULL;
        if (!v)
            goto done; /* unresolvable */
    } else {
        v = rest;
    }
    if (alias)
        error = dup_into(m, &r->value, "npm:", alias, "@", "");
    if (error < 0)
        goto done;
    {
        char *head = r->value;
        r->value = NULL;
        error = dup_into(m, &r->value, head ? head : "", prefix, v, "");
        sg_free(head);
    }
done:
    sg_free(alias);
    return error;
}

/* jsr:@scope/name@range (or jsr:range under the key @scope/name) -> npm:@jsr/scope__name@range */
static int resolve_jsr(mdiff *m, resolution *r, const char *dep, const char *rest)
{
    const char *name = dep, *range = rest, *slash;
    char *owned = NULL, *scoped = NULL;
    int error = 0;
    r->norm = N_JSR;
    if (rest[0] == '@') {
        const char *at = strchr(rest + 1, '@');
        if (!at)
            return 0;
        owned = sg_strndup(rest, (size_t)(at - rest));
        if (!owned)
            return sg_error_set(m->ctx, SG_ENOMEM, "out of memory resolving a spec");
        name = owned;
        range = at + 1;
    }
    slash = strchr(name, '/');
    if (name[0] != '@' || !slash || !slash[1])
        goto done;
    scoped = sg_strndup(name + 1, (size_t)(slash - name - 1));
    if (!scoped) {
        error = sg_error_set(m->ctx, SG_ENOMEM, "out of memory resolving a spec");
        goto done;
    }
    {
        char *tmp = NULL;
        if ((error = dup_into(m, &tmp, "npm:@jsr/", scoped, "__", slash + 1)) < 0)
            goto done;
        error = dup_into(m, &r->value, tmp, "@", range, "");
        sg_free(tmp);
    }
done:
    sg_free(owned);
    sg_free(scoped);
    return error;
}

static int resolve_spec(mdiff *m, resolution *r, const char *dep, const char *spec)
{
    memset(r, 0, sizeof(*r));
    if (starts_with(spec, "workspace:"))
        return resolve_workspace(m, r, dep, spec + 10);
    if (starts_with(spec, "catalog:")) {
        const char *cat = spec + 8, *v;
        r->norm = N_CATALOG;
        r->unverified = N_CATALOG_UNVERIFIED;
        if (strcmp(cat, "default") == 0)
            cat = ""; /* pnpm: catalog:default is the default catalog */
        v = m->opts->catalog_spec ? m->opts->catalog_spec(m->opts->payload, cat, dep) : NULL;
        if (v && !(r->value = sg_strdup(v)))
            return sg_error_set(m->ctx, SG_ENOMEM, "out of memory resolving a spec");
        return 0;
    }
    if (starts_with(spec, "jsr:"))
        return resolve_jsr(m, r, dep, spec + 4);
    return 0;
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

/* A protocol spec in the source against a different artifact spec. Sets *handled when the
 * difference is settled here (accepted or reported). */
static int dep_protocol(mdiff *m, const char *field, const char *name, const cJSON *s,
                        const cJSON *a, int quiet, int *handled)
{
    resolution r;
    char detail[512];
    int error;
    spec_kind ak = classify_spec(a->valuestring);

    *handled = 0;
    if ((error = resolve_spec(m, &r, name, s->valuestring)) < 0 || !r.norm)
        goto done;
    if (r.value && strcmp(r.value, a->valuestring) == 0) {
        *handled = 1;
        error = norm(m, r.norm);
        goto done;
    }
    if (ak != SPEC_RANGE || !r.unverified)
        goto done; /* a git/URL/alias spec is never explained by a workspace or catalog */
    *handled = 1;
    if (!r.value) {
        /* Accepted: the packer resolves these to registry ranges, and nothing here says
         * which; the low finding keeps the unverified spec visible. */
        if ((error = norm(m, r.unverified)) < 0 || quiet)
            goto done;
        snprintf(detail, sizeof(detail),
                 "'%s' could not be resolved from the source repository; the artifact has "
                 "the registry range '%s'",
                 s->valuestring, a->valuestring);
        error = add(m, "dependency-changed", SG_SEV_LOW, field, name, s->valuestring,
                    a->valuestring, detail);
        goto done;
    }
    if (!r.workspace) {
        *handled = 0; /* a catalog at this commit says otherwise: an ordinary change */
        goto done;
    }
    m->residual = 1;
    if (quiet)
        goto done;
    snprintf(detail, sizeof(detail),
             "'%s' resolves to '%s' at this commit; release tools bump sibling workspace "
             "ranges at publish",
             s->valuestring, r.value);
    error = add(m, "dependency-changed", SG_SEV_LOW, field, name, s->valuestring, a->valuestring,
                detail);
done:
    sg_free(r.value);
    return error;
}

/* One dependency present in both manifests with different values. */
static int dep_changed(mdiff *m, const char *field, const char *name, const cJSON *s,
                       const cJSON *a, int quiet, int *quiet_diffs)
{
    char detail[256];
    int handled = 0, error;

    if (cJSON_IsString(s) && cJSON_IsString(a) &&
        (error = dep_protocol(m, field, name, s, a, quiet, &handled)) < 0)
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
        return addv(m, "dependency-changed", SG_SEV_HIGH, field, name, s, a, detail);
    }
    return addv(m, "dependency-changed", SG_SEV_MEDIUM, field, name, s, a,
                "the range differs from the source");
}

static int dep_added(mdiff *m, const char *field, const char *name, const cJSON *a)
{
    const char *sib = sibling_field(field);
    const cJSON *moved = sib ? get(get(m->src, sib), name) : NULL;
    char detail[256];

    if (moved && sg_json_equal(moved, a)) {
        snprintf(detail, sizeof(detail), "moved from %s with the same spec", sib);
        return addv(m, "dependency-changed", SG_SEV_LOW, field, name, NULL, a, detail);
    }
    snprintf(detail, sizeof(detail), "not in the source's %s at this commit%s", field,
             spec_dangerous(a) ? "; the spec is not a registry range" : "");
    return addv(m, "dependency-added", dep_added_severity(field), field, name, NULL, a, detail);
}

/* A dependencies-like field that is not an object in one of the manifests. */
static int dep_field_odd(mdiff *m, const char *field, const cJSON *s, const cJSON *a, int quiet)
{
    if (s && a && sg_json_equal(s, a))
        return 0;
    if (!a)
        return quiet ? norm(m, N_FIELDS_REMOVED)
                     : addv(m, "field-changed", SG_SEV_INFO, field, NULL, s, NULL,
                            "removed from the artifact");
    return addv(m, "field-changed", quiet ? SG_SEV_INFO : dep_added_severity(field), field, NULL, s,
                a, "the field is not an object of dependency specs");
}

/* dependencies, optionalDependencies, peerDependencies; devDependencies quietly (they never
 * reach consumers: one info finding for the whole field). */
static int diff_deps(mdiff *m, const char *field)
{
    const cJSON *s = get(m->src, field), *a = get(m->art, field), *it;
    int quiet = strcmp(field, "devDependencies") == 0, quiet_diffs = 0, error = 0;
    char detail[128];

    if (!s && !a)
        return 0;
    if ((s && !cJSON_IsObject(s)) || (a && !cJSON_IsObject(a)))
        return dep_field_odd(m, field, s, a, quiet);
    if (!a && quiet)
        return norm(m, N_FIELDS_REMOVED);
    cJSON_ArrayForEach(it, a)
    {
        const cJSON *sv = get(s, it->string);
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
        const cJSON *moved = sib ? get(get(m->art, sib), it->string) : NULL;
        if (get(a, it->string))
            continue;
        if (quiet) {
            quiet_diffs++;
            continue;
        }
        if (moved && sg_json_equal(moved, it))
            continue; /* reported once, as moved, on the side it went to */
        if ((error = addv(m, "dependency-removed", SG_SEV_INFO, field, it->string, it, NULL,
                          "not in the artifact")) < 0)
            return error;
    }
    if (quiet && quiet_diffs) {
        snprintf(detail, sizeof(detail),
                 "%d entries differ (devDependencies are not installed for consumers)",
                 quiet_diffs);
        m->residual = 1;
        return add(m, "field-changed", SG_SEV_INFO, field, NULL, NULL, NULL, detail);
    }
    return 0;
}

/* bundleDependencies / bundledDependencies: the names in doc's bundle (true means every
 * dependency), as an array the caller frees; *key receives the spelling used. NULL when none. */
static cJSON *bundle_names(const cJSON *doc, const char **key, int *odd)
{
    const cJSON *v = get(doc, "bundleDependencies"), *it;
    cJSON *out = cJSON_CreateArray();
    *key = "bundleDependencies";
    *odd = 0;
    if (!v) {
        v = get(doc, "bundledDependencies");
        if (v)
            *key = "bundledDependencies";
    }
    if (!out || !v || cJSON_IsFalse(v) || cJSON_IsNull(v))
        return out;
    if (cJSON_IsTrue(v)) {
        cJSON_ArrayForEach(it, get(doc, "dependencies"))
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

static int diff_bundle(mdiff *m)
{
    const char *skey, *akey;
    int sodd, aodd, error = 0;
    cJSON *sn = bundle_names(m->src, &skey, &sodd), *an = bundle_names(m->art, &akey, &aodd);
    const cJSON *it;

    if (!sn || !an) {
        error = sg_error_set(m->ctx, SG_ENOMEM, "out of memory comparing bundleDependencies");
        goto done;
    }
    if (aodd && !sg_json_equal(get(m->src, skey), get(m->art, akey))) {
        error = addv(m, "field-changed", SG_SEV_HIGH, akey, NULL, get(m->src, skey),
                     get(m->art, akey), "not a list of bundled dependency names");
        goto done;
    }
    cJSON_ArrayForEach(it, an)
    {
        if (array_has(sn, it->valuestring))
            continue;
        if ((error = addv(m, "dependency-added", SG_SEV_HIGH, akey, it->valuestring, NULL, it,
                          "bundled in the artifact, not in the source's bundle list")) < 0)
            goto done;
    }
    cJSON_ArrayForEach(it, sn)
    {
        if (array_has(an, it->valuestring))
            continue;
        if ((error = addv(m, "dependency-removed", SG_SEV_INFO, skey, it->valuestring, it, NULL,
                          "no longer bundled in the artifact")) < 0)
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
    if (in_list(name, install_hooks, SG_ARRAY_SIZE(install_hooks)))
        return "runs on every install of the package";
    if (strcmp(name, "prepare") == 0)
        return "runs when the package is installed from git";
    return "scripts are not added or changed at publish";
}

/* A script of the artifact (it) that the source (s, an object or NULL) lacks or differs on. */
static int script_in_artifact(mdiff *m, const cJSON *s, const cJSON *it)
{
    const cJSON *sv = get(s, it->string), *orig = get(s, "postinstall");
    int hook = in_list(it->string, install_hooks, SG_ARRAY_SIZE(install_hooks)), error;
    char detail[256];

    if (sv && sg_json_equal(sv, it))
        return 0;
    if (strcmp(it->string, "_postinstall") != 0) {
        snprintf(detail, sizeof(detail), "%s; %s",
                 sv ? "differs from the source" : "not in the source at this commit",
                 script_why(it->string));
        return addv(m, sv ? "script-changed" : "script-added", hook ? SG_SEV_CRITICAL : SG_SEV_HIGH,
                    "scripts", it->string, sv, it, detail);
    }
    /* pinst --disable renames postinstall; npm never runs _postinstall. */
    if (sv || !orig || !sg_json_equal(orig, it))
        return addv(m, sv ? "script-changed" : "script-added", SG_SEV_INFO, "scripts", it->string,
                    sv, it, "not a lifecycle script; npm does not run it");
    if ((error = norm(m, N_PINST)) < 0)
        return error;
    return add(m, "script-added", SG_SEV_INFO, "scripts", it->string, NULL, value_text(&m->vb, it),
               "pinst renamed postinstall at publish; npm does not run it");
}

/* A script of the source (it) that the artifact (a) lacks. */
static int script_removed(mdiff *m, const cJSON *a, const cJSON *it)
{
    const cJSON *renamed = get(a, "_postinstall");
    int error;
    if (in_list(it->string, pnpm_removed_scripts, SG_ARRAY_SIZE(pnpm_removed_scripts))) {
        if ((error = norm(m, N_SCRIPTS_REMOVED)) < 0)
            return error;
        return add(m, "script-removed", SG_SEV_INFO, "scripts", it->string, value_text(&m->va, it),
                   NULL, "removed at publish (pnpm removes it)");
    }
    if (strcmp(it->string, "postinstall") == 0 && renamed && sg_json_equal(renamed, it))
        return add(m, "script-removed", SG_SEV_INFO, "scripts", it->string, value_text(&m->va, it),
                   NULL, "renamed to _postinstall (pinst)");
    return addv(m, "script-removed", SG_SEV_INFO, "scripts", it->string, it, NULL,
                "not in the artifact");
}

static int diff_scripts(mdiff *m)
{
    const cJSON *s = get(m->src, "scripts"), *a = get(m->art, "scripts"), *it;
    int error;

    if (a && !cJSON_IsObject(a)) {
        if (sg_json_equal(s, a))
            return 0;
        return addv(m, "field-changed", SG_SEV_HIGH, "scripts", NULL, s, a,
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
        if (!get(a, it->string) && (error = script_removed(m, a, it)) < 0)
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

static int diff_bin_dir(mdiff *m)
{
    const char *s = sg_json_str(get(m->src, "directories"), "bin");
    const char *a = sg_json_str(get(m->art, "directories"), "bin");
    const cJSON *sd = get(m->src, "directories"), *ad = get(m->art, "directories");
    cJSON *sc = NULL, *ac = NULL;
    int error = 0;

    if (a && !s)
        error = add(m, "bin-added", SG_SEV_HIGH, "directories.bin", NULL, NULL, a,
                    "every file in this folder is linked onto PATH; not in the source");
    else if (a && s && !path_equiv(a, s))
        error = add(m, "bin-changed", SG_SEV_HIGH, "directories.bin", NULL, s, a,
                    "every file in this folder is linked onto PATH");
    else if (s && !a)
        error = add(m, "field-changed", SG_SEV_INFO, "directories.bin", NULL, s, NULL,
                    "removed from the artifact");
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
        error = cJSON_GetArraySize(sc) ? norm(m, N_FIELDS_REMOVED) : 0;
    else if (ac && !sg_json_equal(sc, ac) &&
             !(sc == NULL && cJSON_IsObject(ac) && cJSON_GetArraySize(ac) == 0))
        error = addv(m, "field-changed", SG_SEV_INFO, "directories", NULL, sc, ac,
                     "differs from the source");
    cJSON_Delete(sc);
    cJSON_Delete(ac);
    return error;
}

static int diff_bin(mdiff *m)
{
    sg_buf tmp = SG_BUF_INIT;
    cJSON *s = bin_map(m->src, get(m->src, "bin"), &tmp);
    cJSON *a = bin_map(m->art, get(m->art, "bin"), &tmp);
    const cJSON *it;
    int error = 0;

    if (!s || !a) {
        error = sg_error_set(m->ctx, SG_ENOMEM, "out of memory comparing bin");
        goto done;
    }
    cJSON_ArrayForEach(it, a)
    {
        const cJSON *sv = get(s, it->string);
        if (!sv)
            error = addv(m, "bin-added", SG_SEV_HIGH, "bin", it->string, NULL, it,
                         "linked onto PATH at install; not in the source");
        else if (!sg_json_equal(sv, it))
            error = addv(m, "bin-changed", SG_SEV_HIGH, "bin", it->string, sv, it,
                         "the executable points at another file than in the source");
        if (error < 0)
            goto done;
    }
    cJSON_ArrayForEach(it, s)
    {
        if (get(a, it->string))
            continue;
        if ((error = addv(m, "field-changed", SG_SEV_INFO, "bin", it->string, it, NULL,
                          "removed from the artifact")) < 0)
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
    return in_list(key, paths, SG_ARRAY_SIZE(paths));
}

/* Equal for what the field does: paths with or without "./", bin after npm's normalization,
 * an absent "type" is "commonjs"; everything else as JSON values. NULL is absent. */
static int field_equiv(const char *key, const cJSON *sdoc, const cJSON *s, const cJSON *adoc,
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

static int diff_rule(mdiff *m, const field_rule *r)
{
    const cJSON *s = get(m->src, r->key), *a = get(m->art, r->key);
    const char *what;
    if (field_equiv(r->key, m->src, s, m->art, a))
        return 0;
    what = !s   ? "not in the source at this commit"
           : !a ? "removed from the artifact"
                : "differs from the source";
    return addv(m, r->kind, r->sev, r->key, NULL, s, a, what);
}

/* npm synthesizes "install": "node-gyp rebuild" when a root binding.gyp exists and gypfile is
 * not false: turning that on is an install script. */
static int diff_gypfile(mdiff *m)
{
    const cJSON *s = get(m->src, "gypfile"), *a = get(m->art, "gypfile");
    if (sg_json_equal(s, a) || (!s && !a))
        return 0;
    if (!cJSON_IsFalse(a))
        return addv(m, "field-changed", SG_SEV_HIGH, "gypfile", NULL, s, a,
                    "npm runs node-gyp rebuild at install unless gypfile is false");
    return addv(m, "field-changed", SG_SEV_INFO, "gypfile", NULL, s, a,
                "node-gyp is turned off in the artifact");
}

/* ---------------------------------------------------------------- version */

static int digits(const char **p)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -1;
    if (*s == '0' && s[1] >= '0' && s[1] <= '9')
        return -1; /* no leading zeros */
    while (*s >= '0' && *s <= '9')
        s++;
    *p = s;
    return 0;
}

static int ident_chars(const char **p)
{
    const char *s = *p;
    while ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
           *s == '-' || *s == '.')
        s++;
    if (s == *p)
        return -1;
    *p = s;
    return 0;
}

/* 1 for a valid semver version; *zero = 1 when its core is 0.0.0. */
static int semver_valid(const char *v, int *zero)
{
    const char *p = v;
    *zero = strncmp(v, "0.0.0", 5) == 0;
    if (digits(&p) < 0 || *p++ != '.' || digits(&p) < 0 || *p++ != '.' || digits(&p) < 0)
        return 0;
    if (*p == '-' && (++p, ident_chars(&p) < 0))
        return 0;
    if (*p == '+' && (++p, ident_chars(&p) < 0))
        return 0;
    return *p == '\0';
}

/* Placeholders release tools replace at publish: 0.0.0, 0.0.0-development,
 * 0.0.0-semantically-released, ..., a "do not change" string, or no version at all. */
static int version_placeholder(const cJSON *v)
{
    int zero;
    if (!v)
        return 1;
    if (!cJSON_IsString(v))
        return 0;
    return !semver_valid(v->valuestring, &zero) || zero;
}

static int diff_version(mdiff *m)
{
    const cJSON *s = get(m->src, "version"), *a = get(m->art, "version");
    const char *release = m->opts->release_version;
    if (sg_json_equal(s, a) || (!s && !a))
        return 0;
    if (cJSON_IsString(a) && version_placeholder(s) &&
        (!release || strcmp(release, a->valuestring) == 0))
        return norm(m, N_VERSION);
    return addv(m, "field-changed", SG_SEV_LOW, "version", NULL, s, a,
                "the source at this commit carries another version");
}

/* ---------------------------------------------------------------- publishConfig */

/* Fields pnpm moves out of publishConfig and yarn berry copies (NPM-PACK.md §4.1, §4.2). */
static const char *const overlay_keys[] = {
    "bin",     "engines",  "type",    "imports", "main",   "module",
    "typings", "types",    "exports", "browser", "esnext", "es2015",
    "unpkg",   "umd:main", "os",      "cpu",     "libc",   "typesVersions",
};

/* Where the artifact's value of an overlay field equals the source's publishConfig value
 * (and not the source's own), take the publishConfig value as the source's. */
static int apply_publish_config(mdiff *m)
{
    const cJSON *pc = get(m->src, "publishConfig");
    size_t i;
    int applied = 0, error;

    if (!cJSON_IsObject(pc))
        return 0;
    for (i = 0; i < SG_ARRAY_SIZE(overlay_keys); i++) {
        const char *k = overlay_keys[i];
        const cJSON *pv = get(pc, k), *a = get(m->art, k), *s = get(m->src, k);
        if (!pv || !a || !field_equiv(k, m->src, pv, m->art, a) ||
            field_equiv(k, m->src, s, m->art, a))
            continue;
        if ((error = set_member(m, m->src, k, pv)) < 0)
            return error;
        applied = 1;
    }
    return applied ? norm(m, N_PUBLISH_CONFIG) : 0;
}

/* publishConfig itself: kept (npm, berry), pruned of the moved keys (pnpm) or dropped. */
static int diff_publish_config(mdiff *m)
{
    const cJSON *s = get(m->src, "publishConfig"), *a = get(m->art, "publishConfig");
    cJSON *pruned = NULL;
    size_t i;
    int error = 0;

    if (sg_json_equal(s, a) || (!s && !a))
        return 0;
    if (s && !a) {
        /* Emptied by pnpm's moves (then dropped), or removed by a prepack script. */
        const cJSON *it;
        cJSON_ArrayForEach(it, s)
        {
            if (!in_list(it->string ? it->string : "", overlay_keys, SG_ARRAY_SIZE(overlay_keys)))
                return norm(m, N_FIELDS_REMOVED);
        }
        return cJSON_IsObject(s) ? norm(m, N_PUBLISH_CONFIG) : norm(m, N_FIELDS_REMOVED);
    }
    if (cJSON_IsObject(s) && cJSON_IsObject(a)) {
        if (!(pruned = cJSON_Duplicate(s, 1)))
            return sg_error_set(m->ctx, SG_ENOMEM, "out of memory comparing publishConfig");
        for (i = 0; i < SG_ARRAY_SIZE(overlay_keys); i++)
            cJSON_DeleteItemFromObjectCaseSensitive(pruned, overlay_keys[i]);
        if (sg_json_equal(pruned, a)) {
            error = norm(m, N_PUBLISH_CONFIG);
            goto done;
        }
    }
    error = addv(m, "field-changed", SG_SEV_INFO, "publishConfig", NULL, s, a,
                 s ? "differs from the source" : "not in the source at this commit");
done:
    cJSON_Delete(pruned);
    return error;
}

/* ---------------------------------------------------------------- metadata */

/* Any other key: description, repository, devDependencies' siblings workspaces,
 * packageManager, pnpm, patchedDependencies, ... Removal is a publish-time rewrite. */
static int diff_metadata_key(mdiff *m, const char *key)
{
    const cJSON *s = get(m->src, key), *a = get(m->art, key);
    if (in_list(key, special_keys, SG_ARRAY_SIZE(special_keys)) || rule_for(key) ||
        sg_json_equal(s, a))
        return 0;
    if (!a)
        return norm(m, N_FIELDS_REMOVED);
    return addv(m, "field-changed", SG_SEV_INFO, key, NULL, s, a,
                s ? "differs from the source (metadata)" : "not in the source (metadata)");
}

static int diff_metadata(mdiff *m)
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
        if (get(m->src, it->string))
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

static int fill_info(mdiff *m, sg_manifest_info *info)
{
    sg_buf tmp = SG_BUF_INIT;
    cJSON *bins = bin_map(m->art, get(m->art, "bin"), &tmp);
    const char *dir = sg_json_str(get(m->art, "directories"), "bin");
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
    goto done;
nomem:
    error = sg_error_set(m->ctx, SG_ENOMEM, "out of memory reading the artifact's bin");
done:
    cJSON_Delete(bins);
    sg_buf_dispose(&tmp);
    return error;
}

static int diff_all(mdiff *m)
{
    size_t i;
    int error;
    /* The source-side rewrites first, so the comparisons below see what the packer wrote. */
    if ((error = apply_publish_config(m)) < 0 || (error = diff_version(m)) < 0)
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
    if ((error = diff_publish_config(m)) < 0)
        return error;
    return diff_metadata(m);
}

int sg_diff__manifest(sg_report *report, sg_ctx *ctx, const char *source, size_t source_len,
                      const char *artifact, size_t artifact_len, const sg_diff_opts *opts,
                      sg_manifest_info *info)
{
    static const sg_diff_opts no_opts = SG_DIFF_OPTS_INIT;
    mdiff m;
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
        error = norm(&m, N_FORMAT);
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
