/*
 * Publishing history (provenance-regression): from the packument alone, which releases
 * published before this one had provenance (dist.attestations) or came from a trusted
 * publisher (npm's OIDC publishing: _npmUser.trustedPublisher, or the npm-oidc-no-reply@
 * identity it publishes as). The whole history is walked, not only the previous release: a
 * package that dropped provenance three releases ago still had it.
 *
 * "Before" is by publish time (time[version]) when both versions have one, else by semver
 * precedence: a backport published after a newer major still counts its predecessors by
 * when they were published, which is what a hijacked account's release is measured against.
 */
#include "common/common.h"

#include "verifier/trust/trust_int.h"

#define LIST_MAX 20 /* versions named in one line */

typedef struct rel {
    const char *version; /* borrowed from the packument */
    int64_t time;        /* publish time */
    int has_time;        /* time parsed */
    sg_semver sv;        /* the version */
    int has_sv;          /* version parsed */
    int provenance;      /* dist.attestations names provenance */
    int publisher;       /* trusted publisher */
} rel;

void sg_history__init(sg_history *h)
{
    memset(h, 0, sizeof(*h));
    sg_buf_init(&h->provenance_versions, 1 << 16);
    sg_buf_init(&h->publisher_versions, 1 << 16);
}

void sg_history__dispose(sg_history *h)
{
    sg_buf_dispose(&h->provenance_versions);
    sg_buf_dispose(&h->publisher_versions);
}

static int has_provenance(const cJSON *manifest)
{
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(manifest, "dist"), "attestations");
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(att, "provenance");
    const char *pt = sg_json_str(prov, "predicateType");
    if (!cJSON_IsObject(att))
        return 0;
    return cJSON_IsObject(prov) && (!pt || strncmp(pt, "https://slsa.dev/provenance/", 28) == 0);
}

static int has_publisher(const cJSON *manifest)
{
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(manifest, "_npmUser");
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(user, "trustedPublisher");
    const char *email = sg_json_str(user, "email");
    if (tp && !cJSON_IsNull(tp) && !cJSON_IsFalse(tp))
        return 1;
    return email && strncmp(email, "npm-oidc-no-reply@", 18) == 0;
}

/* time[] as a sorted array, so each version's lookup is a binary search (a hostile packument
 * may hold a hundred thousand versions; cJSON's member lookup is linear). */
typedef struct stamp {
    const char *version; /* key of time[] */
    const char *when;    /* its value */
} stamp;

static int cmp_stamp(const void *a, const void *b)
{
    return strcmp(((const stamp *)a)->version, ((const stamp *)b)->version);
}

static stamp *index_times(size_t *n, const cJSON *time_map)
{
    const cJSON *t;
    stamp *s;
    size_t cap = (size_t)cJSON_GetArraySize(time_map) + 1;
    *n = 0;
    if (!(s = sg_calloc(cap, sizeof(stamp))))
        return NULL;
    cJSON_ArrayForEach(t, time_map)
    {
        if (t->string && cJSON_IsString(t) && *n < cap) {
            s[*n].version = t->string;
            s[(*n)++].when = t->valuestring;
        }
    }
    qsort(s, *n, sizeof(stamp), cmp_stamp);
    return s;
}

static const char *time_of(const stamp *s, size_t n, const char *version)
{
    stamp key = {version, NULL};
    const stamp *hit = n ? bsearch(&key, s, n, sizeof(stamp), cmp_stamp) : NULL;
    return hit ? hit->when : NULL;
}

/* 1 when a was published before b. */
static int before(const rel *a, const rel *b)
{
    if (a->has_time && b->has_time)
        return a->time < b->time;
    if (a->has_sv && b->has_sv)
        return sg_semver_cmp(&a->sv, &b->sv) < 0;
    return 0;
}

/* Newest first, a total order (qsort needs one: a hostile mix of timed and untimed versions
 * must not make it intransitive): timed releases by time, then untimed ones by version. */
static int cmp_newest(const void *pa, const void *pb)
{
    const rel *a = pa, *b = pb;
    int c;
    if (a->has_time != b->has_time)
        return a->has_time ? -1 : 1;
    if (a->has_time && a->time != b->time)
        return a->time > b->time ? -1 : 1;
    if (a->has_sv != b->has_sv)
        return a->has_sv ? -1 : 1;
    if (a->has_sv && (c = sg_semver_cmp(&a->sv, &b->sv)) != 0)
        return -c;
    return strcmp(a->version, b->version);
}

static void read_rel(rel *r, const cJSON *version, const stamp *times, size_t ntimes)
{
    const char *t = time_of(times, ntimes, version->string);
    memset(r, 0, sizeof(*r));
    r->version = version->string;
    r->has_time = t && sg_trust__parse_time(&r->time, t) == 0;
    r->has_sv = sg_semver_parse(&r->sv, version->string, 1) == 0;
    r->provenance = has_provenance(version);
    r->publisher = has_publisher(version);
}

/* Count and list the earlier releases (newest first) that have a property. */
static void summarize(sg_history *h, const rel *earlier, size_t n)
{
    size_t i, np = 0, nt = 0;
    for (i = 0; i < n; i++) {
        if (earlier[i].provenance) {
            if (!h->with_provenance++) {
                snprintf(h->last_provenance, sizeof(h->last_provenance), "%s", earlier[i].version);
                h->since_provenance = i;
            }
            if (np++ < LIST_MAX)
                sg_buf_printf(&h->provenance_versions, "%s%s", np > 1 ? ", " : "",
                              earlier[i].version);
        }
        if (earlier[i].publisher) {
            if (!h->with_publisher++) {
                snprintf(h->last_publisher, sizeof(h->last_publisher), "%s", earlier[i].version);
                h->since_publisher = i;
            }
            if (nt++ < LIST_MAX)
                sg_buf_printf(&h->publisher_versions, "%s%s", nt > 1 ? ", " : "",
                              earlier[i].version);
        }
    }
    if (np > LIST_MAX)
        sg_buf_printf(&h->provenance_versions, " and %zu more", np - LIST_MAX);
    if (nt > LIST_MAX)
        sg_buf_printf(&h->publisher_versions, " and %zu more", nt - LIST_MAX);
}

int sg_history__scan(sg_history *out, sg_ctx *ctx, const cJSON *packument, const char *version)
{
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(packument, "versions");
    const cJSON *time_map = cJSON_GetObjectItemCaseSensitive(packument, "time");
    const cJSON *self = cJSON_GetObjectItemCaseSensitive(versions, version), *v;
    rel me, *earlier = NULL;
    stamp *times = NULL;
    size_t n = 0, ntimes = 0, count;
    int error = 0;

    if (!cJSON_IsObject(self))
        return sg_error_set(ctx, SG_EINVALID, "the packument has no version '%s'", version);
    count = (size_t)cJSON_GetArraySize(versions);
    if (!(earlier = sg_calloc(count, sizeof(rel))) || !(times = index_times(&ntimes, time_map))) {
        sg_free(earlier);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for the publishing history");
    }
    read_rel(&me, self, times, ntimes);
    out->provenance = me.provenance;
    out->trusted_publisher = me.publisher;
    out->ordered_by_time = me.has_time;
    cJSON_ArrayForEach(v, versions)
    {
        rel r;
        if (!v->string || strcmp(v->string, version) == 0)
            continue;
        read_rel(&r, v, times, ntimes);
        if (!before(&r, &me) || n >= count)
            continue;
        if (!(r.has_time && me.has_time))
            out->ordered_by_time = 0;
        earlier[n++] = r;
    }
    qsort(earlier, n, sizeof(rel), cmp_newest);
    out->earlier = n;
    summarize(out, earlier, n);
    if (out->provenance_versions.error || out->publisher_versions.error)
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory for the publishing history");
    sg_free(earlier);
    sg_free(times);
    return error;
}

static int regression(sg_report *report, sg_ctx *ctx, const char *what, const char *name,
                      size_t count, const sg_buf *list, const char *last, size_t since)
{
    char tail[256];
    sg_finding f;

    if (since == 0)
        snprintf(tail, sizeof(tail), "the release before this one, %s, had it", last);
    else
        snprintf(tail, sizeof(tail),
                 "the newest was %s; the %zu release%s published since "
                 "lacked it too",
                 last, since, since == 1 ? "" : "s");
    memset(&f, 0, sizeof(f));
    f.kind = "provenance-regression";
    f.severity = sg_finding_kind_lookup(f.kind)->severity;
    f.name = name;
    {
        char detail[1024];
        snprintf(detail, sizeof(detail),
                 "this release has no %s, but %zu earlier release%s had it (%s); %s", what, count,
                 count == 1 ? "" : "s", list->ptr, tail);
        f.detail = detail;
        return sg_report_add(report, ctx, &f);
    }
}

int sg_history__report(sg_report *report, sg_ctx *ctx, const sg_history *h)
{
    char line[1024];
    int error;

    snprintf(line, sizeof(line),
             "publish-history: %zu earlier release%s (by %s); provenance on %zu%s%s%s, trusted "
             "publisher on %zu%s%s%s; this release: %s, %s",
             h->earlier, h->earlier == 1 ? "" : "s",
             h->ordered_by_time ? "publish time" : "version order", h->with_provenance,
             h->with_provenance ? " (newest " : "", h->last_provenance,
             h->with_provenance ? ")" : "", h->with_publisher, h->with_publisher ? " (newest " : "",
             h->last_publisher, h->with_publisher ? ")" : "",
             h->provenance ? "provenance" : "no provenance",
             h->trusted_publisher ? "trusted publisher" : "no trusted publisher");
    if ((error = sg_report_list_add(report, ctx, SG_LIST_CHECKS, line)) < 0)
        return error;
    if (!h->provenance && h->with_provenance &&
        (error = regression(report, ctx, "provenance", "provenance", h->with_provenance,
                            &h->provenance_versions, h->last_provenance, h->since_provenance)) < 0)
        return error;
    if (!h->trusted_publisher && h->with_publisher)
        error = regression(report, ctx, "trusted publisher", "trusted-publisher", h->with_publisher,
                           &h->publisher_versions, h->last_publisher, h->since_publisher);
    return error;
}
