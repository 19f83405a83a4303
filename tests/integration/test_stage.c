/*
 * Staged publishes end to end on a loopback registry that implements npm's stage endpoints
 * as npm calls them (lib/commands/stage/list.js, view.js, download.js): auth required on
 * every /-/stage call, pages of 100 from page 0, records, tarballs, 404 for an unknown id.
 * Also runs docs/stage-verify.sh, the steps of the workflow example, against it.
 */
#include "sg_test.h"
#include "http_server.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPO_URL "git+https://github.com/Acme/demo.git"
#define TOKEN "s3cret-stage-token"
#define ID_OK "11111111-1111-4111-8111-111111111111"
#define ID_EVIL "22222222-2222-4222-8222-222222222222"
#define ID_BAD "33333333-3333-4333-8333-333333333333"
#define ID_UNKNOWN "44444444-4444-4444-8444-444444444444"
#define LISTED 150 /* generated records besides the three real ones: two pages and more */

static const char *PJ100 = "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\","
                           "\"repository\":\"" REPO_URL "\",\"dependencies\":{\"ms\":\"^2.1.3\"}}";
static const char *PJ101 = "{\"name\":\"demo\",\"version\":\"1.0.1\",\"main\":\"index.js\","
                           "\"repository\":\"" REPO_URL "\",\"dependencies\":{\"ms\":\"^2.1.3\"}}";
static const char *PJ102 = "{\"name\":\"demo\",\"version\":\"1.0.2\",\"main\":\"index.js\","
                           "\"repository\":\"" REPO_URL "\",\"dependencies\":{\"ms\":\"^2.1.3\","
                           "\"plain-crypto-js\":\"^4.2.1\"}}";
static const char *INDEX = "module.exports = 1;\n";

/* A staged publish the registry holds. */
typedef struct staged {
    const char *id;      /* its UUID */
    const char *version; /* what it stages */
    unsigned char *tgz;  /* its tarball */
    size_t len;          /* bytes */
    char shasum[41];     /* what the record says (wrong for ID_BAD) */
    char *integrity;     /* likewise */
    char record[2048];   /* GET /-/stage/<id> */
} staged;

typedef struct fixture {
    char *dir;             /* temporary folder */
    char home[4200];       /* HOME with an .npmrc holding the token */
    char nohome[4200];     /* HOME without one */
    char repo[4200];       /* the git repository */
    char file_url[4300];   /* file:// URL of it */
    char commit101[41];    /* the commit tagged v1.0.1 */
    sgt_http_server *srv;  /* the registry */
    staged st[3];          /* ID_OK, ID_EVIL, ID_BAD */
    unsigned char *tgz100; /* the published 1.0.0 */
    size_t len100;         /* bytes */
    char *packument;       /* GET /demo */
    int runs;              /* caches made so far */
} fixture;

static char *integrity_of(const unsigned char *b, size_t n)
{
    sg_ctx *ctx;
    sg_buf out = SG_BUF_INIT;
    char *s;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_integrity_sha512(&out, ctx, b, n), 0);
    s = strdup(out.ptr);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
    return s;
}

static void sha1_hex(char out[41], const unsigned char *b, size_t n)
{
    unsigned char md[20];
    unsigned len = 0;
    size_t i;
    assert_int_equal(EVP_Digest(b, n, md, &len, EVP_sha1(), NULL), 1);
    for (i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void tgz(unsigned char **out, size_t *len, const char *pj)
{
    sgt_tar_entry e[] = {{"package/package.json", pj, 0, 0, 0, NULL},
                         {"package/index.js", INDEX, 0, 0, 0, NULL}};
    sgt_tar_build(out, len, e, 2, 1);
}

static int send_json(sgt_http_conn *c, int status, const char *body)
{
    sgt_http_respond(c, status, "Content-Type: application/json\r\n", body, strlen(body));
    return 0;
}

/* GET /-/stage?page=N&perPage=100[&package=NAME]: the three real records then LISTED
 * generated ones, or none for another package. */
static void answer_list(sgt_http_conn *c, fixture *f, const char *query)
{
    static char body[1 << 17];
    unsigned page = 0, per = 0, total = 3 + LISTED, i;
    const char *pkg = strstr(query, "&package=");
    size_t n;
    if (sscanf(query, "?page=%u&perPage=%u", &page, &per) != 2 || per != 100) {
        send_json(c, 400, "{\"error\":\"bad query\"}");
        return;
    }
    if (pkg && strcmp(pkg, "&package=demo") != 0)
        total = 0;
    snprintf(body, sizeof(body), "{\"items\":[");
    for (i = page * per; i < total && i < (page + 1) * per; i++) {
        n = strlen(body);
        if (i < 3)
            snprintf(body + n, sizeof(body) - n, "%s%s", i % per ? "," : "", f->st[i].record);
        else
            snprintf(
                body + n, sizeof(body) - n,
                "%s{\"id\":\"aaaaaaaa-0000-4000-8000-%012u\",\"packageName\":\"demo\","
                "\"version\":\"9.0.%u\",\"tag\":\"next\",\"createdAt\":\"2026-12-01T00:00:00Z\","
                "\"actor\":\"bot\",\"actorType\":\"oidc\",\"status\":\"pending\"}",
                i % per ? "," : "", i, i);
    }
    n = strlen(body);
    snprintf(body + n, sizeof(body) - n, "],\"total\":%u}", total);
    send_json(c, 200, body);
}

static void handler(sgt_http_conn *c, const sgt_http_request *req, void *payload)
{
    fixture *f = payload;
    const char *t = req->target;
    char auth[256];
    size_t i;

    if (strncmp(t, "/-/stage", 8) == 0) {
        if (!sgt_http_header(req, "Authorization", auth, sizeof(auth)) ||
            strcmp(auth, "Bearer " TOKEN) != 0) {
            send_json(c, 401, "{\"error\":\"authentication required\"}");
            return;
        }
        if (t[8] == '?') {
            answer_list(c, f, t + 8);
            return;
        }
        for (i = 0; i < 3; i++) {
            size_t n = strlen(f->st[i].id);
            if (t[8] != '/' || strncmp(t + 9, f->st[i].id, n) != 0)
                continue;
            if (t[9 + n] == '\0') {
                send_json(c, 200, f->st[i].record);
                return;
            }
            if (strcmp(t + 9 + n, "/tarball") == 0) {
                sgt_http_respond(c, 200, NULL, f->st[i].tgz, f->st[i].len);
                return;
            }
        }
        send_json(c, 404, "{\"error\":\"not found\"}");
    } else if (strcmp(t, "/demo") == 0) {
        send_json(c, 200, f->packument);
    } else if (strcmp(t, "/demo/-/demo-1.0.0.tgz") == 0) {
        sgt_http_respond(c, 200, NULL, f->tgz100, f->len100);
    } else {
        send_json(c, 404, "{\"error\":\"not found\"}");
    }
}

static void make_stage(fixture *f, int i, const char *id, const char *version, const char *pj)
{
    staged *s = &f->st[i];
    s->id = id;
    s->version = version;
    tgz(&s->tgz, &s->len, pj);
    sha1_hex(s->shasum, s->tgz, s->len);
    s->integrity = integrity_of(s->tgz, s->len);
    if (strcmp(id, ID_BAD) == 0) { /* the record promises other bytes */
        s->shasum[0] = s->shasum[0] == 'a' ? 'b' : 'a';
        s->integrity[10] = s->integrity[10] == 'A' ? 'B' : 'A';
    }
    {
        char sha[41];
        memcpy(sha, s->shasum, sizeof(sha));
        snprintf(s->record, sizeof(s->record),
                 "{\"id\":\"%s\",\"packageName\":\"demo\",\"version\":\"%s\",\"tag\":\"latest\","
                 "\"createdAt\":\"2026-12-07T10:00:00.000Z\",\"actor\":\"github-actions\","
                 "\"actorType\":\"oidc\",\"shasum\":\"%s\",\"integrity\":\"%s\",\"status\":"
                 "\"pending\"}",
                 id, version, sha, s->integrity);
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char commit[41], path[9000], *i100, body[4096];
    sgt_file v100[] = {{"package.json", PJ100, 0, 0}, {"index.js", INDEX, 0, 0}};
    sgt_file v101[] = {{"package.json", PJ101, 0, 0}, {"index.js", INDEX, 0, 0}};
    FILE *fp;

    f->dir = sgt_tmpdir();
    snprintf(f->repo, sizeof(f->repo), "%s/repo.git", f->dir);
    snprintf(f->file_url, sizeof(f->file_url), "file://%s", f->repo);
    sgt_git_init(f->repo, 1);
    sgt_git_commit(commit, f->repo, NULL, v100, 2, "1.0.0", 0);
    sgt_git_tag(f->repo, "v1.0.0", commit, 1);
    sgt_git_commit(f->commit101, f->repo, NULL, v101, 2, "1.0.1", 10);
    sgt_git_tag(f->repo, "v1.0.1", f->commit101, 1);
    make_stage(f, 0, ID_OK, "1.0.1", PJ101);
    make_stage(f, 1, ID_EVIL, "1.0.2", PJ102);
    make_stage(f, 2, ID_BAD, "1.0.3", PJ101);
    tgz(&f->tgz100, &f->len100, PJ100);
    sgt_http_start(&f->srv, handler, f);
    i100 = integrity_of(f->tgz100, f->len100);
    snprintf(body, sizeof(body),
             "{\"name\":\"demo\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":"
             "%.*s,\"dist\":{\"tarball\":\"%sdemo/-/demo-1.0.0.tgz\",\"integrity\":\"%s\"}}}}",
             (int)strlen(PJ100) - 1, PJ100, sgt_http_base_url(f->srv), i100);
    free(i100);
    f->packument = strdup(body);
    /* the token for the loopback registry, as npm writes it: //host:port/:_authToken */
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    snprintf(f->nohome, sizeof(f->nohome), "%s/nohome", f->dir);
    snprintf(path, sizeof(path), "mkdir -p '%s' '%s'", f->home, f->nohome);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof(path), "%s/.npmrc", f->home);
    assert_non_null(fp = fopen(path, "w"));
    fprintf(fp, "//127.0.0.1:%d/:_authToken=" TOKEN "\n", sgt_http_port(f->srv));
    fclose(fp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    size_t i;
    sgt_http_stop(f->srv);
    for (i = 0; i < 3; i++) {
        free(f->st[i].tgz);
        free(f->st[i].integrity);
    }
    free(f->tgz100);
    free(f->packument);
    free(f);
    return 0;
}

/* Run the CLI with HOME (the .npmrc) and the loopback registry; exit code, stdout, stderr. */
static int run(fixture *f, const char *home, const char *args, char **out, char **err)
{
    char cmd[40000];
    snprintf(cmd, sizeof(cmd), "cd '%s' && HOME='%s' npm_config_registry='%s' NO_COLOR=1 '%s' %s",
             f->dir, home, sgt_http_base_url(f->srv), getenv("SG_CLI"), args);
    return sgt_run(cmd, out, err);
}

static int verify(fixture *f, const char *home, const char *extra, char **out, char **err)
{
    char args[8192];
    snprintf(args, sizeof(args),
             "verify --cache '%s/cache%d' --git-rewrite https://github.com/acme/demo.git='%s' "
             "--format json %s",
             f->dir, f->runs++, f->file_url, extra);
    return run(f, home, args, out, err);
}

static int has_finding(cJSON *doc, const char *kind, const char *name)
{
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "findings"))
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(it, "kind"));
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(it, "name"));
        if (k && !strcmp(k, kind) && (!name || (n && !strcmp(n, name))))
            return 1;
    }
    return 0;
}

static const char *str2(cJSON *doc, const char *a, const char *b, const char *c)
{
    cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, a), b);
    return cJSON_GetStringValue(c ? cJSON_GetObjectItem(x, c) : x);
}

static void test_stage__list_follows_pages_with_auth(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL;
    size_t before = sgt_http_request_count(f->srv), i, lines = 0;
    sgt_http_request req;
    cJSON *doc;

    assert_int_equal(run(f, f->home, "stage list", &out, &err), 0);
    for (i = 0; out[i]; i++)
        lines += out[i] == '\n';
    assert_int_equal(lines, 3 + LISTED);
    assert_non_null(strstr(out, ID_OK " demo@1.0.1 tag=latest by=github-actions(oidc) "
                                      "at=2026-12-07T10:00:00.000Z status=pending\n"));
    /* two pages, as npm asks for them; the token went with each */
    assert_int_equal(sgt_http_request_count(f->srv), before + 2);
    sgt_http_request_get(f->srv, before, &req);
    assert_string_equal(req.target, "/-/stage?page=0&perPage=100");
    sgt_http_request_get(f->srv, before + 1, &req);
    assert_string_equal(req.target, "/-/stage?page=1&perPage=100");
    free(out);
    free(err);
    /* a scoped name is form-encoded as URLSearchParams does; JSON is the records */
    before = sgt_http_request_count(f->srv);
    assert_int_equal(run(f, f->home, "stage list @acme/other --format json", &out, &err), 0);
    sgt_http_request_get(f->srv, before, &req);
    assert_string_equal(req.target, "/-/stage?page=0&perPage=100&package=%40acme%2Fother");
    doc = cJSON_Parse(out);
    assert_true(cJSON_IsArray(doc));
    assert_int_equal(cJSON_GetArraySize(doc), 0);
    cJSON_Delete(doc);
    free(out);
    free(err);
}

static void test_stage__no_auth_is_a_clear_operational_error(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL;
    assert_int_equal(run(f, f->nohome, "stage list", &out, &err), 4);
    assert_non_null(strstr(err, "HTTP 401"));
    assert_non_null(strstr(err, sgt_http_base_url(f->srv)));
    free(out);
    free(err);
    assert_int_equal(verify(f, f->nohome, "--stage " ID_OK, &out, &err), 4);
    assert_non_null(strstr(err, "HTTP 401"));
    assert_null(strstr(out, "verdict"));
    free(out);
    free(err);
}

static void test_stage__unknown_or_malformed_id_is_bad_input(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL;
    size_t before;
    assert_int_equal(verify(f, f->home, "--stage " ID_UNKNOWN, &out, &err), 2);
    assert_non_null(strstr(err, "no staged publish '" ID_UNKNOWN "'"));
    free(out);
    free(err);
    /* not a UUID: refused before any URL is built */
    before = sgt_http_request_count(f->srv);
    assert_int_equal(verify(f, f->home, "--stage '../../demo'", &out, &err), 2);
    assert_non_null(strstr(err, "is not a UUID"));
    assert_int_equal(sgt_http_request_count(f->srv), before);
    free(out);
    free(err);
    /* NAME@VERSION must be what the stage holds */
    assert_int_equal(verify(f, f->home, "demo@1.0.2 --stage " ID_OK, &out, &err), 2);
    assert_non_null(strstr(err, "holds demo@1.0.1"));
    free(out);
    free(err);
}

static void test_stage__genuine_stage_passes_and_names_the_stage(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL;
    cJSON *doc;
    assert_int_equal(verify(f, f->home, "demo@1.0.1 --stage " ID_OK, &out, &err), 0);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "verdict")), "pass");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "version")), "1.0.1");
    assert_string_equal(str2(doc, "artifact", "stage", "id"), ID_OK);
    assert_string_equal(str2(doc, "artifact", "stage", "staged_by"), "github-actions (oidc)");
    assert_string_equal(str2(doc, "artifact", "stage", "created"), "2026-12-07T10:00:00.000Z");
    assert_non_null(strstr(str2(doc, "artifact", "url", NULL), "/-/stage/" ID_OK "/tarball"));
    assert_string_equal(str2(doc, "source", "ref", NULL), "v1.0.1");
    /* unpublished: no registry signature is expected, and none is a finding */
    assert_false(has_finding(doc, "signature-missing", NULL));
    assert_string_equal(str2(doc, "delta", "previous", NULL), "1.0.0");
    cJSON_Delete(doc);
    free(out);
    free(err);
    /* the text report names the stage right under the artifact */
    assert_int_equal(verify(f, f->home, "--stage " ID_OK " --format text", &out, &err), 0);
    assert_non_null(strstr(out, "\n  staged    " ID_OK " by github-actions (oidc) at "
                                "2026-12-07T10:00:00.000Z (tag latest, pending)\n"));
    free(out);
    free(err);
}

static void test_stage__new_dependency_fails_and_the_delta_names_it(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL, extra[256];
    cJSON *doc, *it;
    int named = 0;
    snprintf(extra, sizeof(extra), "--stage " ID_EVIL " --ref %s", f->commit101);
    assert_int_equal(verify(f, f->home, extra, &out, &err), 1);
    doc = cJSON_Parse(out);
    assert_true(has_finding(doc, "dependency-added", "plain-crypto-js"));
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "delta"), "changes"))
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(it, "name"));
        const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(it, "change"));
        named |= n && c && !strcmp(n, "plain-crypto-js") && !strcmp(c, "added");
    }
    assert_true(named);
    cJSON_Delete(doc);
    free(out);
    free(err);
}

static void test_stage__shasum_mismatch_is_critical(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL;
    cJSON *doc;
    assert_int_equal(verify(f, f->home, "--stage " ID_BAD, &out, &err), 1);
    doc = cJSON_Parse(out);
    assert_true(has_finding(doc, "stage-integrity", NULL));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "findings")), 1);
    assert_string_equal(
        cJSON_GetStringValue(cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "findings"), 0), "severity")),
        "critical");
    cJSON_Delete(doc);
    free(out);
    free(err);
}

/* docs/stage-verify.sh, the workflow example's steps: pass -> report and a VSA over the staged
 * tarball that `attest verify --require-passed` accepts; fail -> exit 1, not approved. */
static void test_stage__workflow_script_runs_the_whole_loop(void **state)
{
    fixture *f = *state;
    char cmd[30000], path[4400], *out = NULL, *err = NULL;
    FILE *fp;
    snprintf(cmd, sizeof(cmd), "keygen --out '%s/key.pem' >/dev/null", f->dir);
    assert_int_equal(run(f, f->home, cmd, &out, &err), 0);
    free(out);
    free(err);
    snprintf(path, sizeof(path), "%s/staged.tgz", f->dir);
    assert_non_null(fp = fopen(path, "wb"));
    fwrite(f->st[0].tgz, 1, f->st[0].len, fp);
    fclose(fp);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && HOME='%s' npm_config_registry='%s' SOURCEGATE='%s' "
             "SOURCEGATE_KEY='%s/key.pem' OUT='%s' SOURCEGATE_OPTS='--cache %s/wfcache "
             "--git-rewrite https://github.com/acme/demo.git=%s' sh '%s/docs/stage-verify.sh' "
             "%s %s demo@1.0.1",
             f->dir, f->home, sgt_http_base_url(f->srv), getenv("SG_CLI"), f->dir, f->dir, f->dir,
             f->file_url, getenv("SG_SOURCE_DIR"), ID_OK, f->commit101);
    assert_int_equal(sgt_run(cmd, &out, &err), 0);
    assert_non_null(strstr(out, "PASSED; approve it with: npm stage approve " ID_OK));
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd),
             "attest verify '%s/sourcegate.intoto.jsonl' --key '%s/key.pub.pem' --artifact '%s' "
             "--require-passed",
             f->dir, f->dir, path);
    assert_int_equal(run(f, f->home, cmd, &out, &err), 0);
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && HOME='%s' npm_config_registry='%s' SOURCEGATE='%s' OUT='%s' "
             "SOURCEGATE_OPTS='--cache %s/wfcache --git-rewrite "
             "https://github.com/acme/demo.git=%s' sh '%s/docs/stage-verify.sh' %s %s",
             f->dir, f->home, sgt_http_base_url(f->srv), getenv("SG_CLI"), f->dir, f->dir,
             f->file_url, getenv("SG_SOURCE_DIR"), ID_EVIL, f->commit101);
    assert_int_equal(sgt_run(cmd, &out, &err), 1);
    assert_non_null(strstr(err, "FAILED; do not approve it"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage__list_follows_pages_with_auth),
        cmocka_unit_test(test_stage__no_auth_is_a_clear_operational_error),
        cmocka_unit_test(test_stage__unknown_or_malformed_id_is_bad_input),
        cmocka_unit_test(test_stage__genuine_stage_passes_and_names_the_stage),
        cmocka_unit_test(test_stage__new_dependency_fails_and_the_delta_names_it),
        cmocka_unit_test(test_stage__shasum_mismatch_is_critical),
        cmocka_unit_test(test_stage__workflow_script_runs_the_whole_loop),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    sgt_cleanup();
    return rc;
}
