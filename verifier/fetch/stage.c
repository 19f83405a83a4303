/*
 * Staged publishes (npm >= 11.15, `npm stage`): the records and tarballs of versions that wait
 * for a maintainer's approval. The endpoints and their parameters are those npm's own client
 * calls (npm 11 lib/commands/stage/list.js, view.js, download.js; validate-uuid.js):
 *   GET /-/stage?page=N&perPage=100[&package=NAME]  -> {items: [...], total}, pages from 0,
 *       until the items reach total or a page is short (list.js #fetchAllPages);
 *   GET /-/stage/<id>                               -> {id, packageName, version, tag,
 *       createdAt, actor, actorType, shasum, status, ...} (view.js, key-values.js);
 *   GET /-/stage/<id>/tarball                       -> the tarball bytes (download.js).
 * npm sends them to the default registry (no package spec is given to npm-registry-fetch, so
 * no scope registry applies) with the user's auth for that registry; the query is set with
 * URLSearchParams (form encoding: "@scope/name" is "%40scope%2Fname"). Tokens follow the
 * registry client's nerf-dart rules (http.c): a token goes only to its own host.
 *
 * Nothing here is cached: a stage is short-lived and its record may change status.
 */
#include "common/common.h"

#include "verifier/fetch/http_int.h"
#include "verifier/fetch/integrity_int.h"
#include "verifier/fetch/registry_int.h"

#define PER_PAGE 100   /* what npm asks for */
#define MAX_PAGES 1000 /* 100 000 staged versions: far beyond any real account */

int sg_stage_id_valid(const char *id)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t g, i;
    const char *p = id;

    if (!id)
        return 0;
    for (g = 0; g < 5; g++) {
        for (i = 0; i < (size_t)groups[g]; i++, p++)
            if (!((*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'f')))
                return 0;
        if (*p != (g == 4 ? '\0' : '-'))
            return 0;
        p++;
    }
    return 1;
}

int sg_stage_url(sg_buf *out, sg_ctx *ctx, const sg_registry_opts *opts, const char *id,
                 const char *suffix)
{
    sg_buf_clear(out);
    if (id && !sg_stage_id_valid(id))
        return sg_error_set(ctx, SG_EINVALID, "stage id '%.64s' is not a UUID", id);
    sg_buf_puts(out, sg_npm_config_registry_for(opts->config, NULL));
    sg_buf_puts(out, "-/stage");
    if (id)
        sg_buf_printf(out, "/%s", id);
    if (suffix)
        sg_buf_puts(out, suffix);
    return sg_buf_check(out, ctx, "a stage URL");
}

/* URLSearchParams.set: application/x-www-form-urlencoded. */
static void put_form(sg_buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '*' || c == '-' || c == '.' || c == '_')
            sg_buf_putc(out, (char)c);
        else if (c == ' ')
            sg_buf_putc(out, '+');
        else
            sg_buf_printf(out, "%%%02X", c);
    }
}

static void request_init(sg_http_req *rq, const sg_registry_opts *o, const char *url,
                         const char *what, sg_limit limit, sg_buf *body)
{
    memset(rq, 0, sizeof(*rq));
    rq->url = url;
    rq->what = what;
    rq->accept = "application/json";
    rq->limit = limit;
    rq->body = body;
    rq->config = o->config;
    rq->follow = SG_HTTP_FOLLOW_HOPS;
    rq->max_retries = o->max_retries < 0 ? 0 : o->max_retries ? o->max_retries : 3;
    rq->retry_base_ms = o->retry_base_ms ? o->retry_base_ms : 500;
    rq->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 10000;
    rq->total_timeout_ms = o->total_timeout_ms ? o->total_timeout_ms : 120000;
    rq->low_speed_time_s = o->low_speed_time_s ? o->low_speed_time_s : 30;
}

/* One GET; a status other than 200 becomes a clear error naming the registry. */
static int get(sg_ctx *ctx, const sg_registry_opts *o, const char *url, const char *what,
               const char *id, sg_limit limit, sg_buf *body)
{
    sg_http_client http = SG_HTTP_CLIENT_INIT;
    sg_http_req rq;
    sg_http_resp x;
    char u[512];
    int error;

    if (o->offline)
        return sg_error_set(ctx, SG_EINVALID,
                            "staged publishes are not cached: %s needs the "
                            "registry (not --offline)",
                            what);
    sg_registry_url_redact(u, sizeof(u), url);
    request_init(&rq, o, url, what, limit, body);
    memset(&x, 0, sizeof(x));
    error = sg_http__get(&x, ctx, &http, &rq);
    sg_http__client_dispose(&http);
    if (error < 0 || x.status == 200)
        return error;
    if (x.status == 404 && id)
        return sg_error_set(ctx, SG_ENOTFOUND,
                            "no staged publish '%s' on the registry '%s' "
                            "(HTTP 404)",
                            id, sg_npm_config_registry_for(o->config, NULL));
    if (x.status == 401 || x.status == 403)
        return sg_error_set(ctx, SG_ENET,
                            "the registry '%s' refused %s (HTTP %ld): staged "
                            "publishes need the registry's auth (npm login, or an _authToken "
                            "for it in .npmrc)",
                            sg_npm_config_registry_for(o->config, NULL), what, x.status);
    return sg_error_set(ctx, SG_ENET, "registry answered HTTP %ld for %s at '%s'", x.status, what,
                        u);
}

static int get_json(cJSON **out, sg_ctx *ctx, const sg_registry_opts *o, const char *url,
                    const char *what, const char *id)
{
    sg_buf body = SG_BUF_INIT;
    int error;

    *out = NULL;
    if ((error = get(ctx, o, url, what, id, SG_LIMIT_JSON_SIZE, &body)) == 0 &&
        (error = sg_json_parse(out, ctx, body.ptr, body.size, what)) == 0 &&
        !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        error = sg_error_set(ctx, SG_EINVALID, "%s is not a JSON object", what);
    }
    sg_buf_dispose(&body);
    return error;
}

/* Append page `page`'s items to all; *more when another page should be asked for. */
static int list_page(cJSON *all, int *more, sg_ctx *ctx, const sg_registry_opts *o,
                     const char *package, unsigned page)
{
    sg_buf url = SG_BUF_INIT;
    cJSON *doc = NULL, *items, *it;
    double total;
    int error, n = 0;

    *more = 0;
    if ((error = sg_stage_url(&url, ctx, o, NULL, NULL)) < 0)
        goto done;
    sg_buf_printf(&url, "?page=%u&perPage=%d", page, PER_PAGE);
    if (package) {
        sg_buf_puts(&url, "&package=");
        put_form(&url, package);
    }
    if ((error = sg_buf_check(&url, ctx, "a stage URL")) < 0 ||
        (error = get_json(&doc, ctx, o, url.ptr, "the list of staged publishes", NULL)) < 0)
        goto done;
    items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    total = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "total"));
    if (!cJSON_IsArray(items)) {
        error = sg_error_set(ctx, SG_EINVALID, "the list of staged publishes has no items");
        goto done;
    }
    while ((it = items->child) != NULL) {
        cJSON_AddItemToArray(all, cJSON_DetachItemViaPointer(items, it));
        n++;
    }
    /* list.js: stop when the items reach total or a page is short */
    *more = n >= PER_PAGE && (total != total || (double)cJSON_GetArraySize(all) < total);
done:
    cJSON_Delete(doc);
    sg_buf_dispose(&url);
    return error;
}

int sg_stage_list(cJSON **out, sg_ctx *ctx, const sg_registry_opts *opts, const char *package)
{
    cJSON *all = cJSON_CreateArray();
    unsigned page;
    int error = 0, more = 1;

    *out = NULL;
    if (!all)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    for (page = 0; more && error == 0; page++) {
        if (page == MAX_PAGES) {
            error =
                sg_error_set(ctx, SG_ELIMIT, "more than %d pages of staged publishes", MAX_PAGES);
            break;
        }
        error = list_page(all, &more, ctx, opts, package, page);
    }
    if (error < 0)
        cJSON_Delete(all);
    else
        *out = all;
    return error;
}

int sg_stage_view(cJSON **out, sg_ctx *ctx, const sg_registry_opts *opts, const char *id)
{
    sg_buf url = SG_BUF_INIT;
    int error;

    *out = NULL;
    if ((error = sg_stage_url(&url, ctx, opts, id, NULL)) == 0)
        error = get_json(out, ctx, opts, url.ptr, "the staged publish record", id);
    sg_buf_dispose(&url);
    return error;
}

int sg_stage_tarball(unsigned char **out, size_t *len, sg_ctx *ctx, const sg_registry_opts *opts,
                     const char *id, const char *integrity, const char *shasum)
{
    sg_buf url = SG_BUF_INIT, body = SG_BUF_INIT;
    sg_sri_expect e;
    sg_digests d;
    char u[512];
    int error;

    *out = NULL;
    *len = 0;
    memset(&d, 0, sizeof(d));
    if ((error = sg_stage_url(&url, ctx, opts, id, "/tarball")) < 0)
        goto done;
    sg_registry_url_redact(u, sizeof(u), url.ptr);
    /* the digests first: a record without one cannot vouch for any bytes */
    if ((error = sg_integrity__parse(&e, ctx, integrity, shasum, u)) < 0 ||
        (error = get(ctx, opts, url.ptr, "the staged tarball", id, SG_LIMIT_TARBALL_BYTES, &body)) <
            0)
        goto done;
    sg_integrity__wants(&d, &e);
    if ((error = sg_integrity__digest_bytes(&d, ctx, body.ptr, body.size)) < 0 ||
        (error = sg_integrity__check(ctx, &e, &d, u)) < 0)
        goto done;
    *out = (unsigned char *)sg_buf_detach(&body, len);
    if (!*out)
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory for the staged tarball");
done:
    sg_integrity__digests_dispose(&d);
    sg_buf_dispose(&url);
    sg_buf_dispose(&body);
    return error;
}
