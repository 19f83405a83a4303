/*
 * Registry mode: from NAME@SPEC to a verified report (DESIGN.md data flow).
 */
#include "common/common.h"

#include <sys/stat.h>

#include "verifier/bundled_int.h"
#include "verifier/source/source_int.h"
#include "verifier/trust/trust_int.h"
#include "verifier/verify_int.h"

/* ---- NAME@SPEC ---- */

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '!' || c == '*' || c == '\'' || c == '(' || c == ')';
}

/* npm's validate-npm-package-name for new and old names, minus uppercase (old names may
 * have it: accepted) and the blacklist. */
static int valid_name(const char *n, size_t len)
{
    size_t i, start = 0;
    const char *slash;
    if (len == 0 || len > 214 || n[0] == '.' || n[0] == '_')
        return 0;
    if (n[0] == '@') {
        slash = memchr(n, '/', len);
        if (!slash || slash == n + 1 || (size_t)(slash - n) == len - 1)
            return 0;
        for (i = 1; n + i < slash; i++)
            if (!name_char((char)(n[i] | (n[i] >= 'A' && n[i] <= 'Z' ? 32 : 0))))
                return 0;
        start = (size_t)(slash - n) + 1;
        if (n[start] == '.' || n[start] == '_')
            return 0;
    }
    for (i = start; i < len; i++)
        if (!name_char((char)(n[i] | (n[i] >= 'A' && n[i] <= 'Z' ? 32 : 0))))
            return 0;
    return 1;
}

int sg_verify__valid_name(const char *name, size_t len)
{
    return valid_name(name, len);
}

int sg_release_spec_parse(char **name, char **spec, sg_ctx *ctx, const char *arg)
{
    const char *at = strrchr(arg, '@');
    size_t nlen;

    *name = *spec = NULL;
    if (at == arg)
        at = NULL; /* "@scope/name" without a version */
    nlen = at ? (size_t)(at - arg) : strlen(arg);
    if (!valid_name(arg, nlen))
        return sg_error_set(ctx, SG_EINVALID, "'%.*s' is not a valid npm package name",
                            (int)(nlen > 214 ? 214 : nlen), arg);
    *name = sg_strndup(arg, nlen);
    *spec = sg_strdup(at ? at + 1 : "latest");
    if (!*name || !*spec) {
        sg_release_spec_free(*name, *spec);
        *name = *spec = NULL;
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    }
    if (!**spec) {
        sg_free(*spec);
        *spec = sg_strdup("latest");
    }
    return *spec ? 0 : sg_error_set(ctx, SG_ENOMEM, "out of memory");
}

void sg_release_spec_free(char *name, char *spec)
{
    sg_free(name);
    sg_free(spec);
}

/* ---- the pipeline ---- */

typedef struct release {
    const sg_verify_release_opts *opts;
    sg_ctx *ctx;
    const char *name;        /* the package: opts->name, or the stage record's */
    cJSON *stage;            /* verify --stage: the stage record */
    sg_report *report;
    sg_registry *registry;
    cJSON *packument;
    const cJSON *manifest;   /* versions[V] */
    const char *version;     /* V, borrowed from the packument */
    sg_tree *artifact;
    sg_git_repo *repo;
    sg_buf canonical;        /* the repository URL as the report shows it */
    const char **earlier;    /* earlier versions, newest first */
    size_t nearlier;
    unsigned char *bytes;    /* the verified tarball, until the trust checks ran */
    size_t nbytes;
    sg_trust_result trust;   /* what signatures and provenance said */
    sg_bundled bundled;      /* the bundled dependencies, verified against the registry */
} release;

static int finding(release *r, const char *kind, const char *detail)
{
    return sg_report_addf(r->report, r->ctx, kind, NULL, "%s", detail);
}

/* Fetch and check the tarball; an integrity mismatch is a finding, and verification stops. */
static int fetch_artifact(release *r, int *stop)
{
    const cJSON *dist = cJSON_GetObjectItemCaseSensitive(r->manifest, "dist");
    const char *url = sg_json_str(dist, "tarball");
    const char *integrity = sg_json_str(dist, "integrity"), *shasum = sg_json_str(dist, "shasum");
    unsigned char *bytes = NULL;
    size_t len = 0;
    int error;

    *stop = 0;
    if (!url || (!integrity && !shasum))
        return sg_error_set(r->ctx, SG_EINVALID,
                            "the registry's metadata for %s@%s has no tarball URL or digest",
                            r->name, r->version);
    if ((error = sg_report_set(r->report, r->ctx, SG_REPORT_ARTIFACT_URL, url)) < 0)
        return error;
    error = sg_registry_tarball(&bytes, &len, r->ctx, r->registry, url, integrity, shasum);
    if (error == SG_EINTEGRITY) {
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        *stop = 1;
        return finding(r, "integrity-mismatch", msg);
    }
    if (error < 0)
        return error;
    error = sg_verify__artifact(&r->artifact, r->report, r->ctx, bytes, len, url);
    if (error == 0 && r->opts->tarball) {
        sg_buf_clear(r->opts->tarball);
        if (sg_buf_put(r->opts->tarball, bytes, len) < 0)
            error = sg_buf_check(r->opts->tarball, r->ctx, "the tarball copy");
    }
    r->bytes = bytes; /* freed with the release */
    r->nbytes = len;
    return error;
}

/* The packument's metadata against the tarball's package.json. */
static int check_manifest(release *r)
{
    const sg_entry *pj = sg_tree_find(r->artifact, "package.json");
    sg_buf bytes = SG_BUF_INIT;
    size_t i;
    int gyp = 0, error;

    if (!pj)
        return sg_error_set(r->ctx, SG_EINVALID, "the artifact has no package.json");
    for (i = 0; i < sg_tree_count(r->artifact); i++) {
        const char *p = sg_tree_entry(r->artifact, i)->path;
        size_t n = strlen(p);
        if (!strchr(p, '/') && n > 4 && strcmp(p + n - 4, ".gyp") == 0)
            gyp = 1;
    }
    sg_buf_init(&bytes, (size_t)sg_ctx_limit(r->ctx, SG_LIMIT_JSON_SIZE));
    if ((error = sg_tree_read(&bytes, r->ctx, r->artifact, pj)) == 0)
        error = sg_diff_registry_manifest(r->report, r->ctx, r->manifest, bytes.ptr, bytes.size,
                                          gyp);
    sg_buf_dispose(&bytes);
    return error;
}

static const cJSON *repository_field(release *r)
{
    const cJSON *repo = cJSON_GetObjectItemCaseSensitive(r->manifest, "repository");
    if (!repo)
        repo = cJSON_GetObjectItemCaseSensitive(r->packument, "repository");
    return repo;
}

static int is_local_path(const char *s)
{
    struct stat st;
    return !strstr(s, "://") && stat(s, &st) == 0;
}

/* Open the source repository; a missing or unreadable one is a finding (*have stays 0). */
static int open_source(release *r, int *have)
{
    const cJSON *field = repository_field(r);
    const char *value = r->opts->source;
    sg_buf rewritten = SG_BUF_INIT;
    char msg[1200];
    int error = 0, taken_over = 0;

    *have = 0;
    if (!value)
        value = cJSON_IsString(field) ? field->valuestring : sg_json_str(field, "url");
    if (!value)
        return finding(r, "source-missing", "the release names no repository");
    if (r->opts->source && is_local_path(value)) {
        if ((error = sg_buf_puts(&r->canonical, value)) < 0 ||
            (error = sg_git_repo_open(&r->repo, r->ctx, value)) < 0)
            goto done;
        *have = 1;
        goto done;
    }
    if ((error = sg_repo_url_normalize(&r->canonical, r->ctx, value)) < 0) {
        snprintf(msg, sizeof(msg), "the repository is not usable: %s", sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        error = finding(r, "source-missing", msg);
        goto done;
    }
    /* matched against the URL as written and its canonical form, as git's insteadOf */
    if ((error = sg_url_rewrites_apply_repo(&rewritten, &taken_over, r->ctx, r->opts->rewrites,
                                            value)) < 0)
        goto done;
    /* A URL from the registry that no rewrite of the user's took over may only name a public
     * host: a packument must not make sourcegate connect to this machine or its network. A
     * rewrite whose TO leaves the host to the registry data ("git://" -> "https://") takes
     * nothing over: the rewritten URL is checked too. */
    if (!r->opts->source && !taken_over &&
        (!sg_repo_url__public(r->canonical.ptr, msg, sizeof(msg)) ||
         (strcmp(rewritten.ptr, r->canonical.ptr) != 0 &&
          !sg_repo_url__public(rewritten.ptr, msg, sizeof(msg))))) {
        char detail[1400];
        snprintf(detail, sizeof(detail), "the repository URL is not fetched: %s (a --git-rewrite "
                 "can point it at a mirror)", msg);
        error = finding(r, "source-missing", detail);
        goto done;
    }
    error = sg_mirror_open(&r->repo, r->ctx, r->opts->cache, r->canonical.ptr, rewritten.ptr,
                           r->opts->offline);
    /* Only a repository that is not there is a fact about the release; a network failure,
     * or offline with no mirror in the cache, is an error, never a verdict (issue 14). */
    if (error == SG_ENOTFOUND && !r->opts->offline) {
        snprintf(msg, sizeof(msg), "cannot read the repository: %s", sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        error = finding(r, "source-missing", msg);
        goto done;
    }
    if (error == 0)
        *have = 1;
done:
    if (error == 0)
        error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_REPOSITORY,
                              r->canonical.size ? r->canonical.ptr : value);
    sg_buf_dispose(&rewritten);
    return error;
}

/* Registry signatures, provenance and publishing history (when trust options are given). */
static int check_trust(release *r)
{
    const sg_verify_release_opts *o = r->opts;
    sg_trust_src src;

    if (!o->trust)
        return 0;
    memset(&src, 0, sizeof(src));
    src.cache = o->cache;
    src.config = o->npm_config;
    src.offline = o->offline;
    src.connect_timeout_ms = o->registry.connect_timeout_ms;
    src.total_timeout_ms = o->registry.total_timeout_ms;
    src.staged = o->stage_id != NULL;
    return sg_trust__check_release(&r->trust, r->report, r->ctx, o->trust, &src, r->packument,
                                   r->name, r->version, r->bytes, r->nbytes);
}

/* The provenance against the source: repository, resolved commit, tags. */
static int check_provenance_source(release *r, const char *resolved_commit)
{
    const cJSON *field = repository_field(r);
    const char *value = cJSON_IsString(field) ? field->valuestring : sg_json_str(field, "url");
    sg_buf repo = SG_BUF_INIT;
    int error, had = sg_error_code_of(r->ctx);

    if (!r->opts->trust)
        return 0;
    if (value && sg_repo_url_normalize(&repo, r->ctx, value) < 0) {
        if (!had)
            sg_error_clear(r->ctx);
        sg_buf_clear(&repo);
    }
    error = sg_trust__check_source(r->report, r->ctx, &r->trust, repo.size ? repo.ptr : NULL,
                                   r->repo, r->name, r->version, resolved_commit);
    sg_buf_dispose(&repo);
    return error;
}

static int cmp_desc(const void *a, const void *b)
{
    sg_semver x, y;
    sg_semver_parse(&x, *(const char *const *)a, 1);
    sg_semver_parse(&y, *(const char *const *)b, 1);
    return sg_semver_cmp(&y, &x);
}

/* Every version below V that is a valid semver, newest first. */
static int list_earlier(release *r)
{
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(r->packument, "versions"), *it;
    sg_semver v, w;
    size_t n = 0;

    if (sg_semver_parse(&v, r->version, 1) < 0)
        return 0;
    r->earlier = sg_calloc((size_t)cJSON_GetArraySize(versions) + 1, sizeof(char *));
    if (!r->earlier)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    cJSON_ArrayForEach(it, versions)
    {
        if (sg_semver_parse(&w, it->string, 1) == 0 && sg_semver_cmp(&w, &v) < 0)
            r->earlier[n++] = it->string;
    }
    qsort(r->earlier, n, sizeof(char *), cmp_desc);
    r->nearlier = n;
    return 0;
}

static const char *directory_hint(release *r)
{
    const cJSON *field = repository_field(r);
    return r->opts->subdir ? r->opts->subdir : sg_json_str(field, "directory");
}

/* The packument's time[version]: the publish time, which a build may write (issue 15). */
static const char *published(const release *r)
{
    return sg_json_str(cJSON_GetObjectItemCaseSensitive(r->packument, "time"), r->version);
}

/* Find the commit (or the nearest earlier release's) and compare. */
static int resolve_and_compare(release *r)
{
    sg_resolution res;
    sg_release_hints hints;
    char commit[41], why[512];
    int error;

    sg_resolution_init(&res);
    if (r->opts->ref) {
        if ((error = sg_git_resolve(commit, r->ctx, r->repo, r->opts->ref)) < 0)
            goto done;
        if ((error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_COMMIT, commit)) < 0 ||
            (error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_REF, r->opts->ref)) < 0 ||
            (error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_RESOLVED_BY,
                                   "argument")) < 0 ||
            (error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_SUBDIR,
                                   directory_hint(r) ? directory_hint(r) : "")) < 0)
            goto done;
        if ((error = check_provenance_source(r, commit)) < 0)
            goto done;
        error = sg_verify__compare_release(r->report, r->ctx, r->artifact, r->repo, commit,
                                           directory_hint(r), r->opts->rebuild, published(r));
        goto done;
    }
    memset(&hints, 0, sizeof(hints));
    hints.name = r->name;
    hints.version = r->version;
    hints.git_head = sg_json_str(r->manifest, "gitHead");
    /* only verified provenance is a candidate; an unverified one is a hint in the report */
    hints.provenance_commit = r->trust.provenance_verified && r->trust.provenance_commit[0]
                                  ? r->trust.provenance_commit
                                  : NULL;
    hints.directory = directory_hint(r);
    hints.earlier = r->earlier;
    hints.nearlier = r->nearlier;
    if ((error = sg_resolve_commit(&res, r->ctx, r->repo, &hints, r->report)) < 0 ||
        (error = check_provenance_source(r, res.commit)) < 0)
        goto done;
    if (res.commit[0]) {
        if ((error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_COMMIT, res.commit)) < 0 ||
            (error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_REF,
                                   res.ref[0] ? res.ref : NULL)) < 0 ||
            (error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_RESOLVED_BY,
                                   res.resolved_by)) < 0 ||
            (error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_SUBDIR, res.subdir)) < 0)
            goto done;
        error = sg_verify__compare_release(r->report, r->ctx, r->artifact, r->repo, res.commit,
                                           res.subdir, r->opts->rebuild, published(r));
    } else if (res.compared_commit[0]) {
        snprintf(why, sizeof(why), "no commit found for %s; nearest earlier release that "
                 "resolves is %s", r->version, res.compared_version);
        if ((error = sg_report_set(r->report, r->ctx, SG_REPORT_COMPARED_REF,
                                   res.compared_ref[0] ? res.compared_ref : NULL)) < 0 ||
            (error = sg_report_set(r->report, r->ctx, SG_REPORT_COMPARED_COMMIT,
                                   res.compared_commit)) < 0 ||
            (error = sg_report_set(r->report, r->ctx, SG_REPORT_COMPARED_WHY, why)) < 0 ||
            (error = sg_report_set(r->report, r->ctx, SG_REPORT_SOURCE_SUBDIR, res.subdir)) < 0)
            goto done;
        error = sg_verify__compare(r->report, r->ctx, r->artifact, r->repo, res.compared_commit,
                                   res.subdir);
    } else {
        error = sg_report_set_inconclusive(r->report, r->ctx,
                                           "no commit of the repository matches this release "
                                           "or an earlier one");
    }
done:
    sg_resolution_dispose(&res);
    return error;
}

/* ---- bundled dependencies (issue 15; verifier/bundled.c) ---- */

/* Verify the node_modules/ the artifact bundles against the registry's releases. */
static int check_bundled(release *r)
{
    int error = sg_bundled__verify(&r->bundled, r->report, r->ctx, r->registry, r->artifact,
                                   r->opts->offline);
    if (error == 0)
        sg_report_add_count(r->report, SG_COUNT_FILES_EXPLAINED, r->bundled.explained);
    return error;
}

/* The bundled findings, except for files the compared commit holds with the same bytes:
 * the source explains those, whatever the registry says. */
static int report_bundled(release *r)
{
    const char *commit = sg_report_get(r->report, SG_REPORT_SOURCE_COMMIT);
    const char *subdir = sg_report_get(r->report, SG_REPORT_SOURCE_SUBDIR);
    sg_tree *pkg = NULL, *sel = NULL, *committed = NULL;
    unsigned char *keep = NULL;
    size_t i, k, n;
    int error = 0;

    if (!commit)
        commit = sg_report_get(r->report, SG_REPORT_COMPARED_COMMIT);
    if (commit && r->repo && r->bundled.npending &&
        (error = sg_git_tree_ext(&pkg, r->ctx, r->repo, commit, subdir ? subdir : "",
                                 SG_GIT_TREE_LAZY)) == 0) {
        n = sg_tree_count(pkg);
        if (!(keep = sg_calloc(n ? n : 1, 1))) {
            error = sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
            goto done;
        }
        for (i = 0; i < r->bundled.npending; i++)
            if ((k = sg_tree_index(pkg, r->bundled.pending[i].path)) != SIZE_MAX)
                keep[k] = 1;
        if ((error = sg_tree_select(&sel, r->ctx, pkg, keep)) == 0)
            error = sg_tree_complete(&committed, r->ctx, sel);
    }
    /* the comparison read this tree already: a failure now only costs the explanation */
    if (error < 0 && error != SG_ENOMEM) {
        sg_error_clear(r->ctx);
        error = 0;
    }
    if (error == 0)
        error = sg_bundled__report(&r->bundled, r->report, r->ctx, committed);
done:
    sg_free(keep);
    sg_tree_free(committed);
    sg_tree_free(sel);
    sg_tree_free(pkg);
    return error;
}

/* resolve_and_compare() on the artifact without the files check_bundled() settled: those are
 * not in git. The diff, when it runs, sets the counters from the tree it saw (artifact.files
 * marked beforehand to tell); they are made whole again. */
static int compare_unbundled(release *r)
{
    sg_tree *whole = r->artifact;
    uint64_t files = sg_report_count(r->report, SG_COUNT_ARTIFACT_FILES);
    int error;

    if (!r->bundled.rest)
        return (error = resolve_and_compare(r)) < 0 ? error : report_bundled(r);
    r->artifact = r->bundled.rest;
    sg_report_set_count(r->report, SG_COUNT_ARTIFACT_FILES, UINT64_MAX);
    error = resolve_and_compare(r);
    r->artifact = whole;
    if (sg_report_count(r->report, SG_COUNT_ARTIFACT_FILES) != UINT64_MAX)
        sg_report_add_count(r->report, SG_COUNT_FILES_EXPLAINED, r->bundled.explained);
    sg_report_set_count(r->report, SG_COUNT_ARTIFACT_FILES, files);
    return error < 0 ? error : report_bundled(r);
}

/* ---- the delta since the previous release (issue 17) ---- */

/* Is there a tag for version v, by the exact names source resolution tries first? */
static int has_tag(release *r, const char *v)
{
    char rev[600], commit[41];
    int i;

    for (i = 0; i < 3; i++) {
        if (i == 0)
            snprintf(rev, sizeof(rev), "refs/tags/v%s", v);
        else if (i == 1)
            snprintf(rev, sizeof(rev), "refs/tags/%s", v);
        else
            snprintf(rev, sizeof(rev), "refs/tags/%s@%s", r->name, v);
        if (sg_git_resolve(commit, r->ctx, r->repo, rev) == 0)
            return 1;
        sg_error_clear(r->ctx);
    }
    return 0;
}

/* The previous release's tree, or a note saying why it cannot be read (*tree NULL). */
static int read_previous(sg_tree **tree, char *note, size_t note_size, release *r,
                         const cJSON *manifest)
{
    const cJSON *dist = cJSON_GetObjectItemCaseSensitive(manifest, "dist");
    const char *url = sg_json_str(dist, "tarball");
    const char *integrity = sg_json_str(dist, "integrity"), *shasum = sg_json_str(dist, "shasum");
    unsigned char *bytes = NULL;
    size_t len = 0;
    sg_tar_info info;
    int error;

    *tree = NULL;
    if (!url || (!integrity && !shasum)) {
        snprintf(note, note_size, "the registry names no tarball URL or digest for it");
        return 0;
    }
    /* the same client, digests and limits as the release's own tarball */
    error = sg_registry_tarball(&bytes, &len, r->ctx, r->registry, url, integrity, shasum);
    if (error == 0)
        error = sg_tar_read(tree, &info, r->ctx, bytes, len, NULL);
    free(bytes);
    if (error == SG_ENOMEM)
        return error;
    if (error < 0) {
        snprintf(note, note_size, "%s", sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
    }
    return 0;
}

/* Information for a reviewer: never an error of the verification, never a verdict. */
static int compute_delta(release *r)
{
    const char *prev = NULL;
    const cJSON *pm;
    sg_tree *tree = NULL;
    sg_delta_change tag = {"removed", "git-tag", NULL, "present", NULL};
    char note[1024] = "";
    int error;

    if (r->opts->no_delta)
        return sg_report_delta_set(r->report, r->ctx, SG_DELTA_SKIPPED, NULL, NULL);
    sg_diff_delta_predecessor(&prev, r->packument, r->version);
    if (!prev || !r->manifest)
        return sg_report_delta_set(r->report, r->ctx, SG_DELTA_FIRST, NULL, NULL);
    pm = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->packument,
                                                                           "versions"),
                                          prev);
    if ((error = read_previous(&tree, note, sizeof(note), r, pm)) < 0)
        return error;
    if (!tree)
        return sg_report_delta_set(r->report, r->ctx, SG_DELTA_UNAVAILABLE, prev, note);
    error = sg_diff_delta(r->report, r->ctx, prev, pm, r->manifest, tree, r->artifact);
    /* "no git tag while the previous had one": only with the repository at hand */
    if (error == 0 && r->repo && has_tag(r, prev) && !has_tag(r, r->version))
        error = sg_report_delta_add(r->report, r->ctx, &tag);
    sg_tree_free(tree);
    return error;
}

/* A published release: the packument's version and its tarball. */
static int acquire_published(release *r, int *stop)
{
    const sg_verify_release_opts *o = r->opts;
    int error;

    if ((error = sg_registry_packument(&r->packument, r->ctx, r->registry, r->name)) < 0 ||
        (error = sg_semver_pick(&r->version, r->ctx, r->packument, o->spec ? o->spec : "")) < 0)
        return error;
    r->manifest = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->packument, "versions"), r->version);
    if ((error = sg_report_set(r->report, r->ctx, SG_REPORT_PACKAGE, r->name)) < 0 ||
        (error = sg_report_set(r->report, r->ctx, SG_REPORT_VERSION, r->version)) < 0)
        return error;
    return fetch_artifact(r, stop);
}

/* ---- a staged publish (verify --stage; docs/staged-publishing.md) ---- */

/* The record names the package and the version; an explicit NAME@VERSION must agree. */
static int stage_identity(release *r)
{
    const char *name = sg_json_str(r->stage, "packageName");
    const char *version = sg_json_str(r->stage, "version"), *spec = r->opts->spec;
    sg_semver sv;

    if (!name || !valid_name(name, strlen(name)) || !version ||
        sg_semver_parse(&sv, version, 0) < 0)
        return sg_error_set(r->ctx, SG_EINVALID,
                            "the stage record '%s' has no valid packageName and version",
                            r->opts->stage_id);
    if ((r->opts->name && strcmp(r->opts->name, name) != 0) ||
        (spec && *spec && strcmp(spec, "latest") != 0 && strcmp(spec, version) != 0))
        return sg_error_set(r->ctx, SG_EINVALID, "stage '%s' holds %s@%s, not %s@%s",
                            r->opts->stage_id, name, version,
                            r->opts->name ? r->opts->name : name, spec && *spec ? spec : version);
    r->name = name;
    return 0;
}

/* The packument of the published versions; a first release has none: an empty one. */
static int stage_packument(release *r)
{
    int error = sg_registry_packument(&r->packument, r->ctx, r->registry, r->name);
    if (error != SG_ENOTFOUND)
        return error;
    sg_error_clear(r->ctx);
    if (!(r->packument = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(r->packument, "name", r->name) ||
        !cJSON_AddObjectToObject(r->packument, "versions"))
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    return 0;
}

/* dist of the staged manifest: the stage's tarball and digests, and the provenance of the
 * staged publish when the record's manifest carries it. */
static void stage_dist(release *r, cJSON *m, const char *url)
{
    cJSON *att = cJSON_DetachItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(m, "dist"), "attestations");
    cJSON *dist;

    cJSON_DeleteItemFromObjectCaseSensitive(m, "dist");
    if ((dist = cJSON_AddObjectToObject(m, "dist")) != NULL) {
        cJSON_AddStringToObject(dist, "tarball", url);
        if (sg_json_str(r->stage, "shasum"))
            cJSON_AddStringToObject(dist, "shasum", sg_json_str(r->stage, "shasum"));
        if (sg_json_str(r->stage, "integrity"))
            cJSON_AddStringToObject(dist, "integrity", sg_json_str(r->stage, "integrity"));
        if (att)
            cJSON_AddItemToObject(dist, "attestations", att);
        att = NULL;
    }
    cJSON_Delete(att);
}

/* The staged version's registry manifest: the record's "manifest" when it carries one, else
 * the tarball's package.json, with the record's name, version, gitHead and digests; put in
 * the packument as versions[V], so every later step treats it as the release. */
static int stage_manifest(release *r, const char *url)
{
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(r->stage, "manifest");
    const sg_entry *pj = sg_tree_find(r->artifact, "package.json");
    cJSON *m = NULL, *versions = cJSON_GetObjectItemCaseSensitive(r->packument, "versions");
    const char *version = sg_json_str(r->stage, "version");
    const char *git_head = sg_json_str(r->stage, "gitHead");
    sg_buf bytes = SG_BUF_INIT;
    int error = 0;

    sg_buf_init(&bytes, (size_t)sg_ctx_limit(r->ctx, SG_LIMIT_JSON_SIZE));
    if (cJSON_IsObject(given))
        m = cJSON_Duplicate(given, 1);
    else if (!pj)
        error = sg_error_set(r->ctx, SG_EINVALID, "the staged tarball has no package.json");
    else if ((error = sg_tree_read(&bytes, r->ctx, r->artifact, pj)) == 0)
        error = sg_json_parse(&m, r->ctx, bytes.ptr, bytes.size, "package.json of the stage");
    sg_buf_dispose(&bytes);
    if (error < 0)
        return error;
    if (!cJSON_IsObject(m) || !cJSON_IsObject(versions)) {
        cJSON_Delete(m);
        return sg_error_set(r->ctx, SG_EINVALID, "the staged manifest is not a JSON object");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(m, "name");
    cJSON_DeleteItemFromObjectCaseSensitive(m, "version");
    cJSON_AddStringToObject(m, "name", r->name);
    cJSON_AddStringToObject(m, "version", version);
    if (git_head && !cJSON_GetObjectItemCaseSensitive(m, "gitHead"))
        cJSON_AddStringToObject(m, "gitHead", git_head);
    stage_dist(r, m, url);
    cJSON_DeleteItemFromObjectCaseSensitive(versions, version);
    cJSON_AddItemToObject(versions, version, m);
    r->manifest = cJSON_GetObjectItemCaseSensitive(versions, version);
    r->version = r->manifest ? r->manifest->string : NULL;
    return r->manifest && r->version ? 0 : sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
}

/* Who staged it and when, as the artifact of the report names them. */
static int stage_fields(release *r)
{
    const char *actor = sg_json_str(r->stage, "actor"), *type = sg_json_str(r->stage, "actorType");
    char who[512];
    int error;

    snprintf(who, sizeof(who), type ? "%s (%s)" : "%s", actor ? actor : "(unknown)", type);
    if ((error = sg_report_set(r->report, r->ctx, SG_REPORT_STAGE_ID, r->opts->stage_id)) < 0 ||
        (error = sg_report_set(r->report, r->ctx, SG_REPORT_STAGE_ACTOR, who)) < 0 ||
        (error = sg_report_set(r->report, r->ctx, SG_REPORT_STAGE_CREATED,
                               sg_json_str(r->stage, "createdAt"))) < 0 ||
        (error = sg_report_set(r->report, r->ctx, SG_REPORT_STAGE_TAG,
                               sg_json_str(r->stage, "tag"))) < 0 ||
        (error = sg_report_set(r->report, r->ctx, SG_REPORT_STAGE_STATUS,
                               sg_json_str(r->stage, "status"))) < 0 ||
        (error = sg_report_set(r->report, r->ctx, SG_REPORT_PACKAGE, r->name)) < 0)
        return error;
    return sg_report_set(r->report, r->ctx, SG_REPORT_VERSION, sg_json_str(r->stage, "version"));
}

/* The staged tarball, checked against the record: a mismatch is stage-integrity, and stops. */
static int stage_artifact(release *r, const sg_registry_opts *ro, const char *url, int *stop)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    int error;

    error = sg_stage_tarball(&bytes, &len, r->ctx, ro, r->opts->stage_id,
                             sg_json_str(r->stage, "integrity"), sg_json_str(r->stage, "shasum"));
    if (error == SG_EINTEGRITY) {
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        *stop = 1;
        return finding(r, "stage-integrity", msg);
    }
    if (error < 0)
        return error;
    error = sg_verify__artifact(&r->artifact, r->report, r->ctx, bytes, len, url);
    if (error == 0 && r->opts->tarball) {
        sg_buf_clear(r->opts->tarball);
        if (sg_buf_put(r->opts->tarball, bytes, len) < 0)
            error = sg_buf_check(r->opts->tarball, r->ctx, "the tarball copy");
    }
    r->bytes = bytes; /* freed with the release */
    r->nbytes = len;
    return error;
}

static int acquire_staged(release *r, const sg_registry_opts *ro, int *stop)
{
    sg_buf url = SG_BUF_INIT;
    char shown[512];
    int error;

    *stop = 0;
    if ((error = sg_stage_url(&url, r->ctx, ro, r->opts->stage_id, "/tarball")) < 0 ||
        (error = sg_stage_view(&r->stage, r->ctx, ro, r->opts->stage_id)) < 0 ||
        (error = stage_identity(r)) < 0 || (error = stage_fields(r)) < 0)
        goto done;
    sg_registry_url_redact(shown, sizeof(shown), url.ptr);
    if ((error = sg_report_set(r->report, r->ctx, SG_REPORT_ARTIFACT_URL, shown)) < 0 ||
        (error = stage_packument(r)) < 0 || (error = stage_artifact(r, ro, shown, stop)) < 0 ||
        *stop)
        goto done;
    error = stage_manifest(r, shown);
done:
    sg_buf_dispose(&url);
    return error;
}

static int run(release *r)
{
    const sg_verify_release_opts *o = r->opts;
    sg_registry_opts ro = o->registry;
    int error, stop = 0, have_source = 0;

    ro.cache = o->cache;
    ro.config = o->npm_config;
    ro.offline = o->offline;
    if ((error = sg_registry_new(&r->registry, r->ctx, &ro)) < 0)
        return error;
    error = o->stage_id ? acquire_staged(r, &ro, &stop) : acquire_published(r, &stop);
    if (error < 0 || stop)
        return error;
    error = check_manifest(r);
    if (error == 0)
        error = check_trust(r);
    free(r->bytes); /* only the trust checks need the bytes themselves */
    r->bytes = NULL;
    if (error == 0)
        error = check_bundled(r);
    if (error < 0 || (error = list_earlier(r)) < 0 || (error = open_source(r, &have_source)) < 0)
        return error;
    if (!have_source) {
        if ((error = sg_bundled__report(&r->bundled, r->report, r->ctx, NULL)) < 0 ||
            (error = check_provenance_source(r, NULL)) < 0)
            return error;
        return sg_report_set_inconclusive(r->report, r->ctx, "the source could not be read");
    }
    return compare_unbundled(r);
}

int sg_verify_release(sg_report **out, sg_ctx *ctx, const sg_verify_release_opts *opts)
{
    release r;
    int error;

    *out = NULL;
    if (!opts || (!opts->name && !opts->stage_id) || !opts->cache)
        return sg_error_set(ctx, SG_EINVALID, "registry mode needs a package name and a cache");
    memset(&r, 0, sizeof(r));
    sg_buf_init(&r.canonical, 0);
    r.opts = opts;
    r.ctx = ctx;
    r.name = opts->name;
    if ((error = sg_report_new(&r.report, ctx)) < 0)
        return error;
    if ((error = run(&r)) == 0 && r.manifest)
        error = compute_delta(&r);
    if (error == 0) {
        sg_report_decide(r.report, opts->fail_on);
        *out = r.report;
        r.report = NULL;
    }
    sg_report_free(r.report);
    sg_free(r.earlier);
    free(r.bytes);
    sg_buf_dispose(&r.canonical);
    sg_git_repo_free(r.repo);
    sg_bundled__dispose(&r.bundled);
    sg_tree_free(r.artifact);
    cJSON_Delete(r.packument);
    cJSON_Delete(r.stage);
    sg_registry_free(r.registry);
    return error;
}
