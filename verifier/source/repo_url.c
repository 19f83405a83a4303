/*
 * Repository URLs from registry data, normalized to one canonical https URL.
 *
 * The forms accepted are those npm's hosted-git-info understands (lib/from-url.js,
 * lib/parse-url.js, lib/hosts.js) plus plain https URLs of any host:
 *   owner/repo                       GitHub shorthand (exactly one '/')
 *   github:o/r gitlab:g/s/r bitbucket:o/r gist:[user/]id
 *   https:// http:// git+https:// git+http:// git:// git+ssh:// ssh://   (host[:port]/path)
 *   scheme://[user@]host:owner/repo  a colon that is not a port starts the path (npm does so)
 *   [user@]host:owner/repo           scp-like ssh (host has a '.' or a user is given)
 *   git:host:o/r, https:host/o/r ... a known scheme missing its "//" (npm correctProtocol)
 *   host.tld/owner/repo, user@host/owner/repo   no scheme (npm assumes ssh)
 * and then: "#fragment" and credentials dropped, host lowercased ("www." dropped for the
 * known hosts), trailing slashes and ".git" removed, GitHub/GitLab/Bitbucket paths lowercased
 * and cut to the repository (browse URLs like /tree/main/packages/x), always https, always
 * ".git" at the end.
 *
 * Registry data is hostile. Refused with SG_EINVALID: more than SG_REPO_URL_MAX bytes,
 * control characters, spaces or backslashes, any scheme not listed above (file:, git+file:,
 * ext::, fd::, ...), relative or absolute local paths, "." and ".." path segments, path
 * bytes outside [A-Za-z0-9._~+-], malformed hosts. Only a --git-rewrite or a git config
 * insteadOf (the user's own settings) may map the canonical URL to a local file:// path.
 */
#include "common/common.h"

#include <curl/curl.h>
#include "verifier/source/source_int.h"

#include <ctype.h>

#define MAX_SEGMENTS 64

/* The hosts with a known layout. */
enum { H_OTHER, H_GITHUB, H_GITLAB, H_BITBUCKET, H_GIST };

/* What the parse found. Pointers into the working copy of the value. */
typedef struct url_parts {
    char host[256];                /**< lowercased host */
    char port[8];                  /**< kept port ("" when none or dropped) */
    int kind;                      /**< H_* */
    const char *seg[MAX_SEGMENTS]; /**< path segments */
    size_t seglen[MAX_SEGMENTS];   /**< their lengths */
    size_t nseg;                   /**< number of segments */
} url_parts;

static const struct {
    const char *shortcut; /* "github:" form */
    const char *host;     /* its host */
    int kind;             /* H_* */
} known_hosts[] = {
    {"github", "github.com", H_GITHUB},
    {"gitlab", "gitlab.com", H_GITLAB},
    {"bitbucket", "bitbucket.org", H_BITBUCKET},
    {"gist", "gist.github.com", H_GIST},
};

/* Schemes a registry value may use, and whether an explicit port is kept (https only: the
 * canonical URL is https, so a port of another protocol means nothing there). */
static const struct {
    const char *name;
    int keep_port;
} schemes[] = {
    {"https", 1}, {"git+https", 1}, {"http", 0}, {"git+http", 0},
    {"git", 0},   {"git+ssh", 0},   {"ssh", 0},
};

static int scheme_lookup(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < SG_ARRAY_SIZE(schemes); i++)
        if (strlen(schemes[i].name) == len && sg_strncasecmp(s, schemes[i].name, len) == 0)
            return (int)i;
    return -1;
}

int sg_source__quote_url(sg_buf *out, const char *value)
{
    const unsigned show = SG_SHOW_QMARK | SG_SHOW_NO_SPACE;
    size_t len = strlen(value), max = 200, b, e;

    /* The authority ends at '/' or '#' here (not at '?'): what precedes a later '@' is
     * hidden too. "user:pass" becomes "***" and the '@' stays as a marker of what was
     * removed; the 200 bytes shown do not count the userinfo. */
    if (sg_url_userinfo(&b, &e, value, len, "/#") && b < max) {
        sg_buf_put_shown(out, value, b, max, show);
        sg_buf_puts(out, "***");
        max -= b;
        value += e;
        len -= e;
    }
    return sg_buf_put_shown(out, value, len, max, show);
}

static int refuse(sg_ctx *ctx, const char *value, const char *why)
{
    sg_buf q = SG_BUF_INIT;
    int code;

    sg_source__quote_url(&q, value);
    code = sg_error_set(ctx, SG_EINVALID, "repository URL '%s' %s", q.ptr, why);
    sg_buf_dispose(&q);
    return code;
}

static int path_byte_ok(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '~' || c == '+' || c == '-';
}

/* Lowercase and check a host name: labels of [a-z0-9-], dots between them. */
static int set_host(url_parts *u, const char *h, size_t len)
{
    size_t i;

    if (len == 0 || len >= sizeof(u->host) || h[0] == '.' || h[0] == '-' || h[len - 1] == '.')
        return -1;
    for (i = 0; i < len; i++) {
        char c = (char)tolower((unsigned char)h[i]);
        if (!(isalnum((unsigned char)c) || c == '-' || c == '.'))
            return -1;
        if (c == '.' && h[i + 1] == '.')
            return -1;
        u->host[i] = c;
    }
    u->host[len] = '\0';
    if (strncmp(u->host, "www.", 4) == 0) {
        for (i = 0; i < SG_ARRAY_SIZE(known_hosts); i++)
            if (strcmp(u->host + 4, known_hosts[i].host) == 0) {
                memmove(u->host, u->host + 4, len - 3);
                break;
            }
    }
    u->kind = H_OTHER;
    for (i = 0; i < SG_ARRAY_SIZE(known_hosts); i++)
        if (strcmp(u->host, known_hosts[i].host) == 0)
            u->kind = known_hosts[i].kind;
    return 0;
}

/* Split path[0..len) into segments (empty ones dropped); refuse bad bytes and dot segments. */
static int split_path(url_parts *u, const char *path, size_t len)
{
    size_t i = 0;

    u->nseg = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && path[j] != '/') {
            if (!path_byte_ok(path[j]))
                return -1;
            j++;
        }
        if (j > i) {
            if ((j - i == 1 && path[i] == '.') ||
                (j - i == 2 && path[i] == '.' && path[i + 1] == '.'))
                return -1;
            if (u->nseg == MAX_SEGMENTS)
                return -1;
            u->seg[u->nseg] = path + i;
            u->seglen[u->nseg++] = j - i;
        }
        i = j + 1;
    }
    return u->nseg ? 0 : -1;
}

static int seg_is(const url_parts *u, size_t i, const char *word)
{
    return i < u->nseg && u->seglen[i] == strlen(word) &&
           memcmp(u->seg[i], word, u->seglen[i]) == 0;
}

/* Cut the path to the repository for the known hosts; -1 when it names none. */
static int shape_path(url_parts *u)
{
    size_t i;

    switch (u->kind) {
    case H_GITHUB:
    case H_BITBUCKET:
        if (u->nseg < 2)
            return -1;
        if (u->nseg > 2) {
            /* browse URLs of a folder or file: github.com/o/r/tree/main/packages/x */
            if (u->kind == H_GITHUB && !seg_is(u, 2, "tree") && !seg_is(u, 2, "blob"))
                return -1;
            if (u->kind == H_BITBUCKET && !seg_is(u, 2, "src"))
                return -1;
            u->nseg = 2;
        }
        break;
    case H_GITLAB:
        for (i = 0; i < u->nseg; i++)
            if (seg_is(u, i, "-")) /* gitlab.com/group/sub/proj/-/tree/main */
                u->nseg = i;
        if (u->nseg < 2)
            return -1;
        break;
    case H_GIST:
        /* gist.github.com/[user/]id: the gist is named by its id alone */
        if (u->nseg > 2)
            return -1;
        u->seg[0] = u->seg[u->nseg - 1];
        u->seglen[0] = u->seglen[u->nseg - 1];
        u->nseg = 1;
        break;
    default:
        break;
    }
    /* "repo.git" -> "repo" (once), after the cut so browse URLs do not matter */
    if (u->seglen[u->nseg - 1] > 4 &&
        memcmp(u->seg[u->nseg - 1] + u->seglen[u->nseg - 1] - 4, ".git", 4) == 0)
        u->seglen[u->nseg - 1] -= 4;
    return 0;
}

static int write_url(sg_buf *out, sg_ctx *ctx, const url_parts *u, int keep_case)
{
    size_t i, k;
    int fold = !keep_case && (u->kind == H_GITHUB || u->kind == H_GITLAB || u->kind == H_BITBUCKET);

    sg_buf_clear(out);
    sg_buf_puts(out, "https://");
    sg_buf_puts(out, u->host);
    if (u->port[0]) {
        sg_buf_putc(out, ':');
        sg_buf_puts(out, u->port);
    }
    for (i = 0; i < u->nseg; i++) {
        sg_buf_putc(out, '/');
        for (k = 0; k < u->seglen[i]; k++)
            sg_buf_putc(out, fold ? (char)tolower((unsigned char)u->seg[i][k]) : u->seg[i][k]);
    }
    sg_buf_puts(out, ".git");
    if (out->error == 0 && out->size > SG_REPO_URL_MAX) /* the canonical URL obeys the bound too */
        return sg_error_set(ctx, SG_EINVALID, "repository URL too long (more than %d bytes)",
                            SG_REPO_URL_MAX);
    return sg_buf_check(out, ctx, "a repository URL");
}

/* "host[:port-or-path]" after userinfo: sets host and port; *path_rest receives the text
 * after a non-numeric colon (scp-like inside a URL), or NULL. */
static int parse_hostport(url_parts *u, const char *s, size_t len, int keep_port,
                          const char **path_rest, size_t *path_rest_len)
{
    const char *colon = memchr(s, ':', len);
    size_t hlen = colon ? (size_t)(colon - s) : len;

    *path_rest = NULL;
    *path_rest_len = 0;
    u->port[0] = '\0';
    if (set_host(u, s, hlen) < 0)
        return -1;
    if (colon) {
        const char *p = colon + 1;
        size_t plen = len - hlen - 1, i;
        int digits = plen > 0 && plen <= 5;
        for (i = 0; i < plen; i++)
            digits = digits && isdigit((unsigned char)p[i]);
        if (digits) {
            unsigned long port = strtoul(p, NULL, 10);
            if (port == 0 || port > 65535)
                return -1;
            if (keep_port && port != 443 && u->kind == H_OTHER)
                snprintf(u->port, sizeof(u->port), "%lu", port);
        } else {
            *path_rest = p;
            *path_rest_len = plen;
        }
    }
    return 0;
}

/* [userinfo@]host[:port]/path (what follows "scheme://"). */
static int parse_authority_path(url_parts *u, char *s, int keep_port)
{
    size_t alen = strcspn(s, "/");
    const char *host = s, *rest;
    size_t i, rest_len;
    char *joined = s + alen;

    for (i = 0; i < alen; i++)
        if (s[i] == '@')
            host = s + i + 1;
    if (parse_hostport(u, host, alen - (size_t)(host - s), keep_port, &rest, &rest_len) < 0)
        return -1;
    if (rest) {
        /* "host:owner/repo": the text after the colon starts the path; turn the colon into
         * a slash so one split handles it */
        joined = (char *)rest - 1;
        *joined = '/';
    }
    return split_path(u, joined, strlen(joined));
}

static int shortcut(url_parts *u, char *s, size_t len)
{
    size_t i;

    for (i = 0; i < SG_ARRAY_SIZE(known_hosts); i++) {
        size_t n = strlen(known_hosts[i].shortcut);
        if (len > n && s[n] == ':' && sg_strncasecmp(s, known_hosts[i].shortcut, n) == 0) {
            char *rest = s + n + 1, *at = strchr(rest, '@');
            if (at && (size_t)(at - rest) < strcspn(rest, "/"))
                rest = at + 1; /* "github:user@owner/repo": npm ignores auth in shortcuts */
            set_host(u, known_hosts[i].host, strlen(known_hosts[i].host));
            if (split_path(u, rest, strlen(rest)) < 0)
                return -1;
            /* a shortcut names the repository exactly: no browse paths */
            if (u->kind == H_GIST ? u->nseg > 2 : u->kind == H_GITLAB ? 0 : u->nseg != 2)
                return -1;
            return 1;
        }
    }
    return 0;
}

/* Forms without "://". Returns 0 parsed, -1 malformed, -2 unsupported scheme. */
static int parse_schemeless(url_parts *u, char *s, size_t len)
{
    size_t first_slash = strcspn(s, "/"), colon = strcspn(s, ":");
    size_t i, slashes = 0;
    int r, sch;

    if ((r = shortcut(u, s, len)) != 0)
        return r < 0 ? -1 : 0;
    if (colon < len && colon < first_slash) {
        const char *at = memchr(s, '@', colon);
        const char *rest;
        size_t rest_len;
        sch = scheme_lookup(s, colon);
        if (sch >= 0) /* "git:github.com/o/r": a known scheme without its "//" */
            return parse_authority_path(u, s + colon + 1 + strspn(s + colon + 1, "/"),
                                        schemes[sch].keep_port);
        if (!at && !memchr(s, '.', colon))
            return -2; /* "file:...", "c:/...", "ext::...": a scheme we do not fetch from */
        /* scp-like "[user@]host:path" */
        if (at)
            s = (char *)at + 1;
        if (parse_hostport(u, s, strcspn(s, "/"), 0, &rest, &rest_len) < 0)
            return -1;
        if (!rest)
            return -1; /* "host:22" with no path */
        return split_path(u, rest, strlen(rest));
    }
    if (colon < len)
        return -1; /* a ':' in the path */
    for (i = 0; i < len; i++)
        slashes += s[i] == '/';
    if (s[0] == '/' || s[0] == '.' || s[0] == '~' || s[0] == '@')
        return -1;      /* local paths and scoped package names are not repositories */
    if (slashes == 1) { /* GitHub shorthand */
        set_host(u, "github.com", 10);
        if (split_path(u, s, len) < 0 || u->nseg != 2)
            return -1;
        return 0;
    }
    /* "host.tld/owner/repo" or "user@host/owner/repo" */
    {
        const char *host = s, *at = memchr(s, '@', first_slash);
        if (at)
            host = at + 1;
        if (!at && !memchr(s, '.', first_slash))
            return -1;
        return parse_authority_path(u, (char *)host, 0);
    }
}

static int normalize(sg_buf *out, sg_ctx *ctx, const char *value, int keep_case)
{
    char work[SG_REPO_URL_MAX + 1];
    url_parts u;
    size_t len, i, start = 0;
    char *sep;
    int r;

    if (!value)
        return sg_error_set(ctx, SG_EINVALID, "empty repository URL");
    len = strnlen(value, SG_REPO_URL_MAX * 2 + 1);
    while (start < len && strchr(" \t\r\n", value[start]))
        start++;
    while (len > start && strchr(" \t\r\n", value[len - 1]))
        len--;
    if (len == start)
        return sg_error_set(ctx, SG_EINVALID, "empty repository URL");
    if (len - start > SG_REPO_URL_MAX)
        return sg_error_set(ctx, SG_EINVALID, "repository URL too long (more than %d bytes)",
                            SG_REPO_URL_MAX);
    len -= start;
    memcpy(work, value + start, len);
    work[len] = '\0';
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)work[i];
        if (c <= 0x20 || c == 0x7f || c == '\\')
            return refuse(ctx, value, "contains a control character, space or backslash");
    }
    /* "#ref", "#semver:^1" and "?query" are not part of the repository */
    work[strcspn(work, "#?")] = '\0';
    len = strlen(work);
    memset(&u, 0, sizeof(u));
    sep = strstr(work, "://");
    if (sep && (size_t)(sep - work) < strcspn(work, "/@")) {
        int sch = scheme_lookup(work, (size_t)(sep - work));
        if (sch < 0)
            return refuse(ctx, value, "uses a scheme sourcegate does not fetch from");
        r = parse_authority_path(&u, sep + 3, schemes[sch].keep_port);
    } else {
        r = parse_schemeless(&u, work, len);
    }
    if (r == -2)
        return refuse(ctx, value, "uses a scheme sourcegate does not fetch from");
    if (r < 0 || shape_path(&u) < 0 || u.seglen[u.nseg - 1] == 0)
        return refuse(ctx, value, "is not a repository URL");
    return write_url(out, ctx, &u, keep_case);
}

int sg_repo_url_normalize(sg_buf *out, sg_ctx *ctx, const char *value)
{
    return normalize(out, ctx, value, 0);
}

int sg_repo_url__normalize_keep_case(sg_buf *out, sg_ctx *ctx, const char *value)
{
    return normalize(out, ctx, value, 1);
}

/* ---- registry URLs may only name public hosts ------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_ipv4_literal(const char *h)
{
    for (; *h; h++)
        if (!((*h >= '0' && *h <= '9') || *h == '.'))
            return 0;
    return 1;
}

int sg_repo_url__public(const char *canonical, char *why, size_t why_size)
{
    static const char *const private_suffixes[] = {".localhost", ".local",     ".internal",
                                                   ".lan",       ".home.arpa", ".localdomain"};
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    const char *reason = NULL;
    size_t i;

    if (!u || curl_url_set(u, CURLUPART_URL, canonical, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        reason = "its host cannot be read";
    else if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && strcmp(port, "443") != 0)
        reason = "it names a port other than 443";
    else if (host[0] == '[' || strchr(host, ':') || is_ipv4_literal(host))
        reason = "its host is an IP address";
    else if (strcmp(host, "localhost") == 0 || !strchr(host, '.'))
        reason = "its host is a local name";
    for (i = 0; !reason && i < SG_ARRAY_SIZE(private_suffixes); i++)
        if (ends_with(host, private_suffixes[i]))
            reason = "its host is a local-network name";
    if (reason)
        snprintf(why, why_size, "%s", reason);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return reason == NULL;
}
