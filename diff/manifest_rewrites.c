/*
 * The publish-time rewrites of package.json that the manifest diff accepts (NPM-PACK.md §4.1,
 * §4.2): workspace:, catalog: and jsr: specs resolved as the packers resolve them, version
 * placeholders that release tools replace, and publishConfig overlays. Each accepted rewrite
 * is named in the report's normalizations; what none explains is reported as manifest.c does.
 */
#include "common/common.h"

#include <stdio.h>

#include "diff/diff_int.h"
#include "diff/manifest_int.h"

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Replace (or add) member key of obj with a copy of v. */
static int set_member(sg_mdiff *m, cJSON *obj, const char *key, const cJSON *v)
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

/* Result of undoing a protocol rewrite on a source spec. */
typedef struct resolution {
    const char *norm;       /* normalization name; NULL when the spec uses no such protocol */
    const char *unverified; /* the "-unverified" name, when one exists */
    int workspace;          /* 1 for workspace: */
    char *value;            /* the spec the packer writes (sg_malloc'd), NULL if unresolvable */
} resolution;

static int dup_into(sg_mdiff *m, char **out, const char *a, const char *b, const char *c,
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
static int resolve_workspace(sg_mdiff *m, resolution *r, const char *dep, const char *rest)
{
    const char *at = strrchr(rest, '@'), *target = dep, *prefix = "", *v;
    char *alias = NULL;
    int error = 0;

    r->norm = SG_MNORM_WORKSPACE;
    r->unverified = SG_MNORM_WORKSPACE_UNVERIFIED;
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
static int resolve_jsr(sg_mdiff *m, resolution *r, const char *dep, const char *rest)
{
    const char *name = dep, *range = rest, *slash;
    char *owned = NULL, *scoped = NULL;
    int error = 0;
    r->norm = SG_MNORM_JSR;
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

static int resolve_spec(sg_mdiff *m, resolution *r, const char *dep, const char *spec)
{
    memset(r, 0, sizeof(*r));
    if (starts_with(spec, "workspace:"))
        return resolve_workspace(m, r, dep, spec + 10);
    if (starts_with(spec, "catalog:")) {
        const char *cat = spec + 8, *v;
        r->norm = SG_MNORM_CATALOG;
        r->unverified = SG_MNORM_CATALOG_UNVERIFIED;
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

/* A protocol spec in the source against a different artifact spec. Sets *handled when the
 * difference is settled here (accepted or reported). */
int sg_diff__dep_protocol(sg_mdiff *m, const char *field, const char *name, const cJSON *s,
                          const cJSON *a, int art_is_range, int quiet, int *handled)
{
    resolution r;
    char detail[512];
    int error;

    *handled = 0;
    if ((error = resolve_spec(m, &r, name, s->valuestring)) < 0 || !r.norm)
        goto done;
    if (r.value && strcmp(r.value, a->valuestring) == 0) {
        *handled = 1;
        error = sg_diff__manifest_norm(m, r.norm);
        goto done;
    }
    if (!art_is_range || !r.unverified)
        goto done; /* a git/URL/alias spec is never explained by a workspace or catalog */
    *handled = 1;
    if (!r.value) {
        /* Accepted: the packer resolves these to registry ranges, and nothing here says
         * which; the low finding keeps the unverified spec visible. */
        if ((error = sg_diff__manifest_norm(m, r.unverified)) < 0 || quiet)
            goto done;
        snprintf(detail, sizeof(detail),
                 "'%s' could not be resolved from the source repository; the artifact has "
                 "the registry range '%s'",
                 s->valuestring, a->valuestring);
        error = sg_diff__manifest_add(m, "dependency-changed", SG_SEV_LOW, field, name,
                                      s->valuestring, a->valuestring, detail);
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
    error = sg_diff__manifest_add(m, "dependency-changed", SG_SEV_LOW, field, name, s->valuestring,
                                  a->valuestring, detail);
done:
    sg_free(r.value);
    return error;
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

int sg_diff__manifest_version(sg_mdiff *m)
{
    const cJSON *s = sg_diff__member(m->src, "version"), *a = sg_diff__member(m->art, "version");
    const char *release = m->opts->release_version;
    if (sg_json_equal(s, a) || (!s && !a))
        return 0;
    if (cJSON_IsString(a) && version_placeholder(s) &&
        (!release || strcmp(release, a->valuestring) == 0))
        return sg_diff__manifest_norm(m, SG_MNORM_VERSION);
    return sg_diff__manifest_addv(m, "field-changed", SG_SEV_LOW, "version", NULL, s, a,
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
int sg_diff__publish_config_apply(sg_mdiff *m)
{
    const cJSON *pc = sg_diff__member(m->src, "publishConfig");
    size_t i;
    int applied = 0, error;

    if (!cJSON_IsObject(pc))
        return 0;
    for (i = 0; i < SG_ARRAY_SIZE(overlay_keys); i++) {
        const char *k = overlay_keys[i];
        const cJSON *pv = sg_diff__member(pc, k), *a = sg_diff__member(m->art, k),
                    *s = sg_diff__member(m->src, k);
        if (!pv || !a || !sg_diff__field_equiv(k, m->src, pv, m->art, a) ||
            sg_diff__field_equiv(k, m->src, s, m->art, a))
            continue;
        if ((error = set_member(m, m->src, k, pv)) < 0)
            return error;
        applied = 1;
    }
    return applied ? sg_diff__manifest_norm(m, SG_MNORM_PUBLISH_CONFIG) : 0;
}

/* publishConfig itself: kept (npm, berry), pruned of the moved keys (pnpm) or dropped. */
int sg_diff__publish_config_diff(sg_mdiff *m)
{
    const cJSON *s = sg_diff__member(m->src, "publishConfig"),
                *a = sg_diff__member(m->art, "publishConfig");
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
            if (!sg_diff__in_list(it->string ? it->string : "", overlay_keys,
                                  SG_ARRAY_SIZE(overlay_keys)))
                return sg_diff__manifest_norm(m, SG_MNORM_FIELDS_REMOVED);
        }
        return cJSON_IsObject(s) ? sg_diff__manifest_norm(m, SG_MNORM_PUBLISH_CONFIG)
                                 : sg_diff__manifest_norm(m, SG_MNORM_FIELDS_REMOVED);
    }
    if (cJSON_IsObject(s) && cJSON_IsObject(a)) {
        if (!(pruned = cJSON_Duplicate(s, 1)))
            return sg_error_set(m->ctx, SG_ENOMEM, "out of memory comparing publishConfig");
        for (i = 0; i < SG_ARRAY_SIZE(overlay_keys); i++)
            cJSON_DeleteItemFromObjectCaseSensitive(pruned, overlay_keys[i]);
        if (sg_json_equal(pruned, a)) {
            error = sg_diff__manifest_norm(m, SG_MNORM_PUBLISH_CONFIG);
            goto done;
        }
    }
    error =
        sg_diff__manifest_addv(m, "field-changed", SG_SEV_INFO, "publishConfig", NULL, s, a,
                               s ? "differs from the source" : "not in the source at this commit");
done:
    cJSON_Delete(pruned);
    return error;
}
