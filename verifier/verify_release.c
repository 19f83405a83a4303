/*
 * Registry mode: from NAME@SPEC to a verified report (DESIGN.md data flow).
 */
#include "common/common.h"

#include <sys/stat.h>

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
                            r->opts->name, r->version);
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
    return sg_trust__check_release(&r->trust, r->report, r->ctx, o->trust, &src, r->packument,
                                   o->name, r->version, r->bytes, r->nbytes);
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
                                   r->repo, r->opts->name, r->version, resolved_commit);
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
    hints.name = r->opts->name;
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

static int run(release *r)
{
    const sg_verify_release_opts *o = r->opts;
    sg_registry_opts ro = o->registry;
    int error, stop = 0, have_source = 0;

    ro.cache = o->cache;
    ro.config = o->npm_config;
    ro.offline = o->offline;
    if ((error = sg_registry_new(&r->registry, r->ctx, &ro)) < 0 ||
        (error = sg_registry_packument(&r->packument, r->ctx, r->registry, o->name)) < 0 ||
        (error = sg_semver_pick(&r->version, r->ctx, r->packument, o->spec ? o->spec : "")) < 0)
        return error;
    r->manifest = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->packument, "versions"), r->version);
    if ((error = sg_report_set(r->report, r->ctx, SG_REPORT_PACKAGE, o->name)) < 0 ||
        (error = sg_report_set(r->report, r->ctx, SG_REPORT_VERSION, r->version)) < 0 ||
        (error = fetch_artifact(r, &stop)) < 0 || stop)
        return error;
    error = check_manifest(r);
    if (error == 0)
        error = check_trust(r);
    free(r->bytes); /* only the trust checks need the bytes themselves */
    r->bytes = NULL;
    if (error < 0 || (error = list_earlier(r)) < 0 || (error = open_source(r, &have_source)) < 0)
        return error;
    if (!have_source) {
        if ((error = check_provenance_source(r, NULL)) < 0)
            return error;
        return sg_report_set_inconclusive(r->report, r->ctx, "the source could not be read");
    }
    return resolve_and_compare(r);
}

int sg_verify_release(sg_report **out, sg_ctx *ctx, const sg_verify_release_opts *opts)
{
    release r;
    int error;

    *out = NULL;
    if (!opts || !opts->name || !opts->cache)
        return sg_error_set(ctx, SG_EINVALID, "registry mode needs a package name and a cache");
    memset(&r, 0, sizeof(r));
    sg_buf_init(&r.canonical, 0);
    r.opts = opts;
    r.ctx = ctx;
    if ((error = sg_report_new(&r.report, ctx)) < 0)
        return error;
    if ((error = run(&r)) == 0) {
        sg_report_decide(r.report, opts->fail_on);
        *out = r.report;
        r.report = NULL;
    }
    sg_report_free(r.report);
    sg_free(r.earlier);
    free(r.bytes);
    sg_buf_dispose(&r.canonical);
    sg_git_repo_free(r.repo);
    sg_tree_free(r.artifact);
    cJSON_Delete(r.packument);
    sg_registry_free(r.registry);
    return error;
}
