/*
 * The registry as of a date (issue 15, "drift without a lockfile"): an install that is not
 * frozen by a lockfile resolves ranges against today's registry, so TypeScript or a rollup
 * plugin released since the release breaks its build. The registry gateway
 * (registry_gateway.c) passes each packument it serves through sg_gateway__as_of(), which drops
 * the versions published after the release (the packument's time[version]) and points the
 * dist-tags at what they could have been then: the install sees the registry as it was. This
 * works for npm, yarn and pnpm alike (npm's own --before is npm's only).
 */
#include "common/common.h"

#include <time.h>

#include "verifier/rebuild/sandbox_int.h"

/* An ISO 8601 UTC time as npm writes it ("2024-01-02T03:04:05.678Z", milliseconds optional)
 * in ms since the epoch. 0, or -1 when s is not one. */
int sg_gateway__parse_time(int64_t *ms, const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, n = 0, frac = 0, digits = 0;
    const char *p;

    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        n != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    p = s + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (digits++ < 3)
                frac = frac * 10 + (*p - '0');
    while (digits > 0 && digits < 3) {
        frac *= 10;
        digits++;
    }
    if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *ms = (int64_t)timegm(&tm) * 1000 + frac;
    return 0;
}

/* Was version v published after the date? Versions without a time stay (nothing says when). */
static int after(const cJSON *times, const char *v, int64_t before)
{
    int64_t t;
    const char *s = sg_json_str(times, v);
    return s && sg_gateway__parse_time(&t, s) == 0 && t > before;
}

/* The highest release (no prerelease) among the versions left, else the highest of all. */
static const char *latest_of(const cJSON *versions)
{
    const cJSON *v;
    const char *best = NULL;
    sg_semver bv, cv;
    int best_pre = 1;

    cJSON_ArrayForEach(v, versions)
    {
        int pre;
        if (!v->string || sg_semver_parse(&cv, v->string, 0) < 0)
            continue;
        pre = cv.pre[0] != '\0';
        if (!best || (best_pre && !pre) || (best_pre == pre && sg_semver_cmp(&cv, &bv) > 0)) {
            best = v->string;
            bv = cv;
            best_pre = pre;
        }
    }
    return best;
}

/* Drop from pack's versions (and time) those published after `before`; dist-tags that named
 * one are dropped, latest is set to the newest release left. The count dropped into *dropped. */
static int cut(cJSON *pack, int64_t before, unsigned *dropped)
{
    cJSON *versions = cJSON_GetObjectItemCaseSensitive(pack, "versions");
    cJSON *times = cJSON_GetObjectItemCaseSensitive(pack, "time");
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(pack, "dist-tags"), *v, *next;
    const char *latest;

    if (!cJSON_IsObject(versions) || !cJSON_IsObject(times))
        return 0; /* no times: nothing to go by */
    for (v = versions->child; v; v = next) {
        next = v->next;
        if (v->string && after(times, v->string, before)) {
            cJSON_DeleteItemFromObjectCaseSensitive(times, v->string);
            cJSON_Delete(cJSON_DetachItemViaPointer(versions, v));
            (*dropped)++;
        }
    }
    if (!cJSON_IsObject(tags))
        return 0;
    for (v = tags->child; v; v = next) {
        next = v->next;
        if (!cJSON_IsString(v) || !cJSON_GetObjectItemCaseSensitive(versions, v->valuestring))
            cJSON_Delete(cJSON_DetachItemViaPointer(tags, v));
    }
    if (*dropped && (latest = latest_of(versions)) != NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(tags, "latest");
        if (!cJSON_AddStringToObject(tags, "latest", latest))
            return SG_ENOMEM;
    }
    return 0;
}

int sg_gateway__as_of(sg_buf *body, sg_ctx *ctx, const char *before, unsigned *dropped)
{
    cJSON *pack = NULL;
    char *text = NULL;
    int64_t limit;
    int error;

    *dropped = 0;
    if (sg_gateway__parse_time(&limit, before) < 0)
        return sg_error_set(ctx, SG_EINVALID, "'%s' is not a publish time", before);
    if ((error = sg_json_parse(&pack, ctx, body->ptr, body->size, "a packument")) < 0)
        return error;
    if (!cJSON_IsObject(pack)) /* not a packument: served as it came */
        goto done;
    if ((error = cut(pack, limit, dropped)) < 0) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
        goto done;
    }
    if (!*dropped)
        goto done;
    if (!(text = cJSON_PrintUnformatted(pack))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
        goto done;
    }
    sg_buf_clear(body);
    sg_buf_puts(body, text);
    error = sg_buf_check(body, ctx, "a packument");
done:
    cJSON_free(text);
    cJSON_Delete(pack);
    return error;
}
