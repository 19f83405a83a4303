/*
 * npm configuration (registry.h): the parts of .npmrc that decide where packages come from.
 *
 * The syntax is what npm reads through the `ini` package (npm/ini lib/ini.js) and its config
 * loader (@npmcli/config lib/env-replace.js): lines split at CR/LF, `;`/`#` comment lines,
 * `key = value` with surrounding blanks trimmed, values in double quotes decoded as JSON
 * strings, values in single quotes taken literally, unquoted values cut at the first
 * unescaped `;` or `#`, keys after a `[section]` header belonging to that section (so not to
 * the top-level configuration), and `${NAME}` / `${NAME?}` expansion in keys and values.
 * Auth tokens are matched to request URLs by npm-registry-fetch's nerf-dart walk (lib/auth.js).
 */
#include "common/common.h"

#include "verifier/fetch/registry_int.h"
#include "verifier/fetch/url_int.h"

#define DEFAULT_REGISTRY "https://registry.npmjs.org/"
/* Bounds on hostile .npmrc text. npm has none; real files are a few dozen lines. */
#define MAX_TEXT_BYTES (1u << 20)
#define MAX_LINES 10000
#define MAX_LINE_BYTES 16384
#define MAX_ENTRIES 10000

typedef struct kv {
    char *key;   /* "@scope" for registries; "//host/path/" for tokens */
    char *value; /* registry URL ending in '/', or the token */
} kv;

typedef struct kv_list {
    kv *items;    /* entries, unique keys */
    size_t n;     /* used */
    size_t alloc; /* allocated */
} kv_list;

struct sg_npm_config {
    char *npmrc_registry;    /* `registry` from the .npmrc texts, or NULL */
    char *override_registry; /* sg_npm_config_set_registry(), or NULL */
    kv_list scopes;          /* `@scope:registry` */
    kv_list tokens;          /* `//host/path/:_authToken` */
};

/* Overwrite a secret before its memory goes back to the allocator. */
static void free_secret(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    sg_free(s);
}

static void kv_list_dispose(kv_list *l, int secret)
{
    size_t i;
    for (i = 0; i < l->n; i++) {
        sg_free(l->items[i].key);
        if (secret)
            free_secret(l->items[i].value);
        else
            sg_free(l->items[i].value);
    }
    sg_free(l->items);
    memset(l, 0, sizeof(*l));
}

static const char *kv_get(const kv_list *l, const char *key, size_t keylen)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (strlen(l->items[i].key) == keylen && memcmp(l->items[i].key, key, keylen) == 0)
            return l->items[i].value;
    return NULL;
}

/* Set key (key[0..keylen)) to value, replacing an earlier one. Takes ownership of value. */
static int kv_set(kv_list *l, sg_ctx *ctx, const char *key, size_t keylen, char *value, int secret)
{
    size_t i;
    for (i = 0; i < l->n; i++) {
        if (strlen(l->items[i].key) == keylen && memcmp(l->items[i].key, key, keylen) == 0) {
            if (secret)
                free_secret(l->items[i].value);
            else
                sg_free(l->items[i].value);
            l->items[i].value = value;
            return 0;
        }
    }
    if (l->n >= MAX_ENTRIES) {
        secret ? free_secret(value) : sg_free(value);
        return sg_error_set(ctx, SG_ELIMIT, "npm configuration has more than %d entries",
                            MAX_ENTRIES);
    }
    if (SG_ARRAY_GROW(l->items, l->alloc, l->n + 1, 8) < 0) {
        secret ? free_secret(value) : sg_free(value);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory reading the npm configuration");
    }
    if (!(l->items[l->n].key = sg_strndup(key, keylen))) {
        secret ? free_secret(value) : sg_free(value);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory reading the npm configuration");
    }
    l->items[l->n].value = value;
    l->n++;
    return 0;
}

int sg_npm_config_new(sg_npm_config **out, sg_ctx *ctx)
{
    *out = sg_calloc(1, sizeof(**out));
    if (!*out)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for the npm configuration");
    return 0;
}

void sg_npm_config_free(sg_npm_config *cfg)
{
    if (!cfg)
        return;
    sg_free(cfg->npmrc_registry);
    sg_free(cfg->override_registry);
    kv_list_dispose(&cfg->scopes, 0);
    kv_list_dispose(&cfg->tokens, 1);
    sg_free(cfg);
}

/* ---- tokens ----------------------------------------------------------------------------- */

const char *sg_npm_config__token_for(const sg_npm_config *cfg, const char *url)
{
    sg_url_parts u;
    char key[sizeof(u.host) + sizeof(u.port) + sizeof(u.path) + 4];
    size_t len;
    int n;

    if (!cfg || !cfg->tokens.n || sg_url__split(&u, url) < 0)
        return NULL;
    key[0] = key[1] = '/';
    if ((n = sg_url__host_path(key + 2, sizeof(key) - 2, &u)) < 0)
        return NULL;
    len = (size_t)n + 2;
    /* npm-registry-fetch regKeyFromURI: strip /([^/]+|\/)$/ until only "//" is left */
    while (len > 2) {
        const char *tok = kv_get(&cfg->tokens, key, len);
        if (tok)
            return tok;
        if (key[len - 1] == '/') {
            len--;
        } else {
            while (len > 2 && key[len - 1] != '/')
                len--;
        }
    }
    return NULL;
}

/* ---- registries ------------------------------------------------------------------------- */

/* A registry URL, checked and with a trailing '/', into *out (malloc'd). */
static int normalize_registry(char **out, sg_ctx *ctx, const char *url, const char *where)
{
    sg_url_parts u;
    size_t len = strlen(url);
    char shown[300];

    *out = NULL;
    if (sg_url__split(&u, url) < 0) {
        sg_url__redact(shown, sizeof(shown), url);
        return sg_error_set(ctx, SG_EINVALID, "registry '%s'%s is not an http or https URL", shown,
                            where);
    }
    if (!(*out = sg_malloc(len + 2)))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a registry URL");
    memcpy(*out, url, len);
    if (len == 0 || url[len - 1] != '/')
        (*out)[len++] = '/';
    (*out)[len] = '\0';
    return 0;
}

int sg_npm_config_set_registry(sg_npm_config *cfg, sg_ctx *ctx, const char *url)
{
    char *norm = NULL;
    int error;
    if (!url || !*url)
        return sg_error_set(ctx, SG_EINVALID, "registry URL is empty");
    if ((error = normalize_registry(&norm, ctx, url, "")) < 0)
        return error;
    sg_free(cfg->override_registry);
    cfg->override_registry = norm;
    return 0;
}

const char *sg_npm_config_registry_for(const sg_npm_config *cfg, const char *package_name)
{
    const char *slash;
    if (!cfg)
        return DEFAULT_REGISTRY;
    if (package_name && package_name[0] == '@' && (slash = strchr(package_name, '/')) != NULL) {
        const char *r = kv_get(&cfg->scopes, package_name, (size_t)(slash - package_name));
        if (r)
            return r;
    }
    if (cfg->override_registry)
        return cfg->override_registry;
    if (cfg->npmrc_registry)
        return cfg->npmrc_registry;
    return DEFAULT_REGISTRY;
}

/* ---- .npmrc parsing --------------------------------------------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/* Trim blanks from both ends of s[0..*len); returns the new start. */
static const char *trim(const char *s, size_t *len)
{
    while (*len && is_blank(*s)) {
        s++;
        (*len)--;
    }
    while (*len && is_blank(s[*len - 1]))
        (*len)--;
    return s;
}

/* Four hex digits at s; -1 when not. */
static long hex4(const char *s)
{
    long v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        int d = sg_hex_digit((unsigned char)s[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(sg_buf *out, unsigned long cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    sg_buf_put(out, b, n);
}

/*
 * JSON.parse of a double-quoted string s[0..len) into out; returns 1 (out unspecified) when it
 * is not one. Strings JavaScript could hold but C cannot (\u0000, lone surrogates) count as
 * not JSON, so the value stays as written. No allocation besides out's.
 */
static int json_string(sg_buf *out, const char *s, size_t len)
{
    static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
    size_t i;

    if (len < 2 || s[0] != '"' || s[len - 1] != '"')
        return 1;
    for (i = 1; i < len - 1; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e;
        long cp, lo;
        if (c == '"' || c < 0x20)
            return 1;
        if (c != '\\') {
            sg_buf_putc(out, (char)c);
            continue;
        }
        if (++i >= len - 1)
            return 1;
        if (s[i] != 'u') {
            if (!(e = strchr(esc_in, s[i])) || !s[i])
                return 1;
            sg_buf_putc(out, esc_out[e - esc_in]);
            continue;
        }
        if (i + 4 >= len - 1 || (cp = hex4(s + i + 1)) <= 0)
            return 1;
        i += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return 1;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (i + 6 >= len - 1 || s[i + 1] != '\\' || s[i + 2] != 'u' ||
                (lo = hex4(s + i + 3)) < 0xdc00 || lo > 0xdfff)
                return 1;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
        }
        put_utf8(out, (unsigned long)cp);
    }
    return 0;
}

/* ini's unsafe(): a key or value as npm sees it, into out (replaced). */
static void ini_unsafe(sg_buf *out, const char *s, size_t len)
{
    size_t i;
    int esc = 0;

    sg_buf_clear(out);
    s = trim(s, &len);
    if (len && ((s[0] == '"' && s[len - 1] == '"') || (s[0] == '\'' && s[len - 1] == '\''))) {
        if (s[0] == '\'') {
            s = len >= 2 ? s + 1 : s + len;
            len = len >= 2 ? len - 2 : 0;
        }
        if (json_string(out, s, len) != 0) {
            sg_buf_clear(out);
            sg_buf_put(out, s, len);
        }
        return;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (esc) {
            if (c != '\\' && c != ';' && c != '#')
                sg_buf_putc(out, '\\');
            sg_buf_putc(out, c);
            esc = 0;
        } else if (c == ';' || c == '#') {
            break;
        } else if (c == '\\') {
            esc = 1;
        } else {
            sg_buf_putc(out, c);
        }
    }
    if (esc)
        sg_buf_putc(out, '\\');
    {
        size_t n = out->size;
        const char *t = trim(out->ptr, &n);
        memmove(out->ptr, t, n);
        sg_buf_truncate(out, n);
    }
}

/*
 * @npmcli/config env-replace: /(?<!\\)(\\*)\$\{([^${}?]+)(\?)?\}/g. An odd run of
 * backslashes escapes the expression (half of them, rounded down, stay); an even run keeps
 * half and the value follows. Unknown names stay as written, unless `?` asks for "".
 */
static void env_replace(sg_buf *out, const char *s, size_t len,
                        const char *(*env_lookup)(const char *name))
{
    size_t i = 0, copied = 0;

    sg_buf_clear(out);
    while (i + 1 < len) {
        size_t start, nend, close, esc = 0, k;
        int optional;
        char name[256];
        const char *val;

        if (s[i] != '$' || s[i + 1] != '{') {
            i++;
            continue;
        }
        nend = i + 2;
        while (nend < len && s[nend] != '$' && s[nend] != '{' && s[nend] != '}' && s[nend] != '?')
            nend++;
        optional = nend < len && s[nend] == '?';
        close = nend + (optional ? 1 : 0);
        if (nend == i + 2 || close >= len || s[close] != '}' || nend - (i + 2) >= sizeof(name)) {
            i++;
            continue;
        }
        for (start = i; start > copied && s[start - 1] == '\\'; start--)
            esc++;
        sg_buf_put(out, s + copied, start - copied);
        memcpy(name, s + i + 2, nend - (i + 2));
        name[nend - (i + 2)] = '\0';
        if (esc % 2) {
            for (k = 0; k < (esc - 1) / 2; k++)
                sg_buf_putc(out, '\\');
            sg_buf_put(out, s + i, close + 1 - i);
        } else {
            for (k = 0; k < esc / 2; k++)
                sg_buf_putc(out, '\\');
            val = env_lookup ? env_lookup(name) : NULL;
            if (val)
                sg_buf_puts(out, val);
            else if (!optional)
                sg_buf_put(out, s + i, close + 1 - i);
        }
        i = copied = close + 1;
    }
    sg_buf_put(out, s + copied, len - copied);
}

/* 1 when s contains a control character (a header injection in a token). */
static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

typedef struct line_ctx {
    sg_npm_config *cfg; /* target */
    sg_ctx *ctx;        /* errors */
    const char *origin; /* file name for messages */
    size_t lineno;      /* 1-based line number */
} line_ctx;

/* Apply one `key = value` setting (both already unquoted and expanded). */
static int apply_setting(line_ctx *lc, const sg_buf *key, const sg_buf *value)
{
    char where[300];
    char *copy = NULL;
    size_t klen = key->size;
    int error;

    snprintf(where, sizeof(where), " in '%s' line %zu", lc->origin, lc->lineno);
    if (strcmp(key->ptr, "registry") == 0) {
        if ((error = normalize_registry(&copy, lc->ctx, value->ptr, where)) < 0)
            return error;
        sg_free(lc->cfg->npmrc_registry);
        lc->cfg->npmrc_registry = copy;
        return 0;
    }
    if (klen > 10 && key->ptr[0] == '@' && strcmp(key->ptr + klen - 9, ":registry") == 0) {
        size_t slen = klen - 9;
        if (memchr(key->ptr, '/', slen))
            return 0; /* not a scope npm would use */
        if ((error = normalize_registry(&copy, lc->ctx, value->ptr, where)) < 0)
            return error;
        return kv_set(&lc->cfg->scopes, lc->ctx, key->ptr, slen, copy, 0);
    }
    if (klen > 13 && key->ptr[0] == '/' && key->ptr[1] == '/' &&
        strcmp(key->ptr + klen - 11, ":_authToken") == 0) {
        size_t nlen = klen - 11, i;
        char nerf[4096];
        if (!value->size)
            return 0;
        if (has_control(value->ptr)) /* never quote the token */
            return sg_error_set(lc->ctx, SG_EINVALID, "auth token for '%.*s'%s is invalid",
                                (int)nlen, key->ptr, where);
        if (nlen >= sizeof(nerf))
            return 0;
        memcpy(nerf, key->ptr, nlen);
        /* URLs compare hosts case-insensitively: lowercase the host part of the key */
        for (i = 2; i < nlen && nerf[i] != '/'; i++)
            if (nerf[i] >= 'A' && nerf[i] <= 'Z')
                nerf[i] = (char)(nerf[i] - 'A' + 'a');
        if (!(copy = sg_strndup(value->ptr, value->size)))
            return sg_error_set(lc->ctx, SG_ENOMEM, "out of memory for an auth token");
        return kv_set(&lc->cfg->tokens, lc->ctx, nerf, nlen, copy, 1);
    }
    return 0; /* keys npm has but that do not decide where packages come from */
}

/* One line of ini text (without its line break). *in_section is set by a [section]. */
static int parse_line(line_ctx *lc, const char *line, size_t len, int *in_section,
                      const char *(*env_lookup)(const char *name))
{
    sg_buf raw = SG_BUF_INIT, key = SG_BUF_INIT, value = SG_BUF_INIT;
    const char *eq, *t;
    size_t tlen = len, i;
    int error = 0;

    sg_buf_init(&raw, MAX_LINE_BYTES * 4);
    sg_buf_init(&key, MAX_LINE_BYTES * 4);
    sg_buf_init(&value, MAX_LINE_BYTES * 4);
    t = trim(line, &tlen);
    if (tlen == 0 || t[0] == ';' || t[0] == '#')
        goto done;
    if (line[0] == '[') {
        const char *rb = memchr(line, ']', len);
        for (i = rb ? (size_t)(rb - line) + 1 : len; rb && i < len && is_blank(line[i]); i++)
            ;
        if (rb && i == len) {
            *in_section = 1;
            goto done;
        }
    }
    eq = memchr(line, '=', len);
    if (eq == line || *in_section)
        goto done; /* no key, or a key of a section rather than of the configuration */
    if (!eq)
        goto done; /* a bare key is `true`: no setting we read takes a boolean */
    ini_unsafe(&raw, line, (size_t)(eq - line));
    env_replace(&key, raw.ptr, raw.size, env_lookup);
    ini_unsafe(&raw, eq + 1, len - (size_t)(eq + 1 - line));
    env_replace(&value, raw.ptr, raw.size, env_lookup);
    if (raw.error == SG_ENOMEM || key.error == SG_ENOMEM || value.error == SG_ENOMEM) {
        error = sg_error_set(lc->ctx, SG_ENOMEM, "out of memory reading '%s'", lc->origin);
        goto done;
    }
    if (raw.error || key.error || value.error || key.size > MAX_LINE_BYTES ||
        value.size > MAX_LINE_BYTES) {
        error = sg_error_set(lc->ctx, SG_ELIMIT,
                             "'%s' line %zu is longer than %d bytes after expansion", lc->origin,
                             lc->lineno, MAX_LINE_BYTES);
        goto done;
    }
    error = apply_setting(lc, &key, &value);
done:
    /* raw and value may have held a token */
    if (raw.asize)
        memset(raw.ptr, 0, raw.asize);
    if (value.asize)
        memset(value.ptr, 0, value.asize);
    sg_buf_dispose(&raw);
    sg_buf_dispose(&key);
    sg_buf_dispose(&value);
    return error;
}

int sg_npm_config_parse(sg_npm_config *cfg, sg_ctx *ctx, const char *text, size_t len,
                        const char *origin, const char *(*env_lookup)(const char *name))
{
    line_ctx lc = {cfg, ctx, origin ? origin : ".npmrc", 1};
    size_t pos = 0;
    int in_section = 0, error = 0;

    if (len > MAX_TEXT_BYTES)
        return sg_error_set(ctx, SG_ELIMIT, "'%s' is larger than %u bytes", lc.origin,
                            MAX_TEXT_BYTES);
    if (len && memchr(text, '\0', len))
        return sg_error_set(ctx, SG_EINVALID, "'%s' contains a NUL byte", lc.origin);
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3; /* a UTF-8 byte order mark: JavaScript's trim() drops it */
    while (pos < len && error == 0) {
        size_t end = pos;
        while (end < len && text[end] != '\n' && text[end] != '\r')
            end++;
        if (lc.lineno > MAX_LINES)
            return sg_error_set(ctx, SG_ELIMIT, "'%s' has more than %d lines", lc.origin,
                                MAX_LINES);
        if (end - pos > MAX_LINE_BYTES)
            return sg_error_set(ctx, SG_ELIMIT, "'%s' line %zu is longer than %d bytes", lc.origin,
                                lc.lineno, MAX_LINE_BYTES);
        error = parse_line(&lc, text + pos, end - pos, &in_section, env_lookup);
        /* ini splits at runs of CR/LF; count physical lines for messages */
        for (pos = end; pos < len && (text[pos] == '\n' || text[pos] == '\r'); pos++)
            if (text[pos] == '\n' || pos + 1 == len || text[pos + 1] != '\n')
                lc.lineno++;
    }
    return error;
}
