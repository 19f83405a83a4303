/*
 * yarn.lock, both formats.
 *
 * Classic (yarn 1, "# yarn lockfile v1") has its own line format, read here by hand, one line
 * at a time with explicit lengths: an unindented header lists the specs an entry satisfies
 * ("a@^1.0.0", "a@^1.1.0":), indented lines hold `key value` fields (version, resolved,
 * integrity) and `key:` opens a nested map (dependencies) whose lines are skipped. Indents are
 * multiples of two spaces, strings are double-quoted with JSON escapes or bare tokens.
 *
 * Berry (yarn 2+) is YAML: __metadata, then one mapping per descriptor list with version,
 * resolution ("name@npm:1.2.3", "name@workspace:.", ...), checksum, linkType. Its checksum
 * covers yarn's own zip archive of the package, not the registry tarball, so berry entries
 * carry no integrity to compare.
 */
#include "common/common.h"

#include <ctype.h>

#include "verifier/lockfile/lockfile_int.h"

/* ---- classic ------------------------------------------------------------------------- */

/* Bytes a field value may have (the longest real ones are URLs). */
#define YARN_VALUE_MAX 8192

typedef struct classic {
    sg_lockfile *lock; /* being filled */
    sg_ctx *ctx;       /* errors */
    int open;          /* an entry is being read */
    unsigned line;     /* its header's line */
    sg_buf spec;       /* its first spec ("name@range") */
    sg_buf version;    /* field values of the entry ("" when absent) */
    sg_buf resolved;
    sg_buf integrity;
    int nested_indent; /* indent of the lines of an open nested map, 0 when none */
} classic;

static int classic_error(classic *c, unsigned line, const char *what)
{
    return sg_error_set(c->ctx, SG_EINVALID, "'%s' line %u: %s", c->lock->what, line, what);
}

/* A token at s[0..n): a "quoted string" (JSON escapes) or a bare token ending at one of
 * `stops`. Decoded into out; *used receives the bytes consumed. */
static int read_token(classic *c, unsigned line, const char *s, size_t n, const char *stops,
                      sg_buf *out, size_t *used)
{
    size_t i = 0;
    sg_buf_clear(out);
    if (n && s[0] == '"') {
        for (i = 1; i < n && s[i] != '"'; i++) {
            char ch = s[i];
            if (ch == '\\') {
                if (++i >= n)
                    break;
                ch = s[i];
                if (ch == 'u' || ch == 'x')
                    return classic_error(c, line, "unsupported escape in a quoted string");
                ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
            }
            if ((unsigned char)ch < 0x20)
                return classic_error(c, line, "control character in a quoted string");
            sg_buf_putc(out, ch);
        }
        if (i >= n)
            return classic_error(c, line, "unterminated quoted string");
        *used = i + 1;
    } else {
        while (i < n && !strchr(stops, s[i]))
            i++;
        if (i == 0)
            return classic_error(c, line, "expected a name or a quoted string");
        sg_buf_put(out, s, i);
        *used = i;
    }
    if (out->error)
        return out->error == SG_ELIMIT ? classic_error(c, line, "value too long")
                                       : sg_error_set(c->ctx, SG_ENOMEM, "out of memory");
    return 0;
}

/* Decide the entry's name, alias and kind, and add it. */
static int classic_flush(classic *c)
{
    sg_lockfile_entry e = {0};
    char name[512], alias[512], *hash;
    const char *range;
    size_t n;
    int k, error;

    if (!c->open)
        return 0;
    c->open = 0;
    e.line = c->line;
    if (!(range = sg_lockfile__split_at(c->spec.ptr, c->spec.size, &n)) || n >= sizeof(name))
        return classic_error(c, c->line, "the entry's spec has no 'name@range'");
    memcpy(name, c->spec.ptr, n);
    name[n] = '\0';
    e.name = name;
    if (strncmp(range, "npm:", 4) == 0 && sg_lockfile__split_at(range + 4, strlen(range + 4), &n) &&
        n < sizeof(alias)) {
        memcpy(alias, name, sizeof(alias));
        memcpy(name, range + 4, n);
        name[n] = '\0';
        e.alias = alias;
    }
    e.version = c->version.size ? c->version.ptr : NULL;
    e.integrity = c->integrity.size ? c->integrity.ptr : NULL;
    e.resolved = c->resolved.size ? c->resolved.ptr : NULL;
    k = sg_lockfile__kind_of_url(e.resolved, e.name, e.version);
    if (k < 0 && !e.resolved)
        k = sg_lockfile__kind_of_url(range, e.name, e.version);
    e.kind = k < 0 ? (e.resolved ? SG_LOCK_KIND_FILE : SG_LOCK_KIND_REGISTRY) : (sg_lockfile_kind)k;
    if (e.kind == SG_LOCK_KIND_REGISTRY || e.kind == SG_LOCK_KIND_FILE ||
        e.kind == SG_LOCK_KIND_TARBALL) {
        /* "URL#<sha1 hex>": the fragment is the tarball's SHA-1, not part of the URL */
        if (e.resolved && (hash = strchr(c->resolved.ptr, '#')) != NULL) {
            *hash = '\0';
            if (!e.integrity && strlen(hash + 1) == 40) {
                unsigned char raw[20];
                sg_buf_clear(&c->integrity);
                if (sg_hex_decode(raw, sizeof(raw), hash + 1) == 0 &&
                    sg_buf_puts(&c->integrity, "sha1-") == 0 &&
                    sg_base64_encode(&c->integrity, raw, 20) == 0)
                    e.integrity = c->integrity.ptr;
            }
        }
    }
    if (e.kind == SG_LOCK_KIND_REGISTRY && !sg_lockfile__is_version(e.version))
        return classic_error(c, c->line, "a registry entry without an exact 'version'");
    if ((error = sg_lockfile__add(c->lock, c->ctx, &e)) < 0)
        return error;
    sg_buf_clear(&c->version);
    sg_buf_clear(&c->resolved);
    sg_buf_clear(&c->integrity);
    return 0;
}

/* An unindented line: "spec", "spec2", spec3: */
static int classic_header(classic *c, unsigned line, const char *s, size_t n)
{
    sg_buf tok = SG_BUF_INIT;
    size_t i = 0, used;
    int error = 0, first = 1;

    if ((error = classic_flush(c)) < 0)
        return error;
    if (!n || s[n - 1] != ':')
        return classic_error(c, line, "expected an entry header ending in ':'");
    n--;
    sg_buf_init(&tok, YARN_VALUE_MAX);
    while (i < n) {
        if ((error = read_token(c, line, s + i, n - i, ", ", &tok, &used)) < 0)
            break;
        if (first && (sg_buf_clear(&c->spec), sg_buf_put(&c->spec, tok.ptr, tok.size)) < 0) {
            error = sg_error_set(c->ctx, SG_ENOMEM, "out of memory");
            break;
        }
        first = 0;
        i += used;
        while (i < n && s[i] == ' ')
            i++;
        if (i < n && s[i] == ',') {
            i++;
            while (i < n && s[i] == ' ')
                i++;
        } else if (i < n) {
            error = classic_error(c, line, "expected ',' between the specs of an entry");
            break;
        }
    }
    sg_buf_dispose(&tok);
    if (error == 0 && first)
        error = classic_error(c, line, "an entry header without specs");
    if (error == 0) {
        c->open = 1;
        c->line = line;
    }
    return error;
}

/* A field line of the open entry (indent 2): `key value` or `key:`. */
static int classic_field(classic *c, unsigned line, const char *s, size_t n)
{
    static const char *const wanted[] = {"version", "resolved", "integrity"};
    sg_buf key = SG_BUF_INIT, *dst = NULL;
    size_t used, i;
    int error;

    if (!c->open)
        return classic_error(c, line, "a field outside any entry");
    sg_buf_init(&key, YARN_VALUE_MAX);
    if ((error = read_token(c, line, s, n, ": ", &key, &used)) < 0)
        goto done;
    if (used < n && s[used] == ':' && used + 1 == n) {
        c->nested_indent = 4; /* dependencies: and the like */
        goto done;
    }
    if (used >= n || s[used] != ' ') {
        error = classic_error(c, line, "expected 'key value'");
        goto done;
    }
    for (i = 0; i < SG_ARRAY_SIZE(wanted); i++) {
        if (strcmp(key.ptr, wanted[i]) == 0)
            dst = i == 0 ? &c->version : i == 1 ? &c->resolved : &c->integrity;
    }
    used++;
    if (dst)
        error = read_token(c, line, s + used, n - used, "", dst, &i);
done:
    sg_buf_dispose(&key);
    return error;
}

static int classic_line(classic *c, unsigned line, const char *s, size_t n)
{
    size_t indent = 0;

    while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    while (indent < n && s[indent] == ' ')
        indent++;
    if (indent == n || s[indent] == '#')
        return 0;
    if (memchr(s, '\t', n) && s[indent] != '"')
        return classic_error(c, line, "tabs are not allowed");
    if (indent % 2)
        return classic_error(c, line, "indentation is not a multiple of two spaces");
    if (indent == 0) {
        c->nested_indent = 0;
        return classic_header(c, line, s, n);
    }
    if (indent == 2) {
        c->nested_indent = 0;
        return classic_field(c, line, s + 2, n - 2);
    }
    if (!c->nested_indent || indent > 4)
        return classic_error(c, line, "unexpected indentation");
    return 0; /* a dependency of a nested map: not needed */
}

int sg_lockfile__parse_yarn_classic(sg_lockfile *lock, sg_ctx *ctx, const char *data, size_t len)
{
    classic c;
    size_t i = 0;
    unsigned line = 0;
    int error = 0;

    memset(&c, 0, sizeof(c));
    c.lock = lock;
    c.ctx = ctx;
    sg_buf_init(&c.spec, YARN_VALUE_MAX);
    sg_buf_init(&c.version, YARN_VALUE_MAX);
    sg_buf_init(&c.resolved, YARN_VALUE_MAX);
    sg_buf_init(&c.integrity, YARN_VALUE_MAX);
    lock->version = 1;
    if (memchr(data, '\0', len)) {
        error = sg_error_set(ctx, SG_EINVALID, "'%s' holds a NUL byte", lock->what);
        goto done;
    }
    while (i < len && error == 0) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - data) : len;
        line++;
        error = classic_line(&c, line, data + i, end - i);
        i = end + 1;
    }
    if (error == 0)
        error = classic_flush(&c);
done:
    sg_buf_dispose(&c.spec);
    sg_buf_dispose(&c.version);
    sg_buf_dispose(&c.resolved);
    sg_buf_dispose(&c.integrity);
    return error;
}

/* ---- berry --------------------------------------------------------------------------- */

typedef struct berry {
    sg_lockfile *lock; /* being filled */
    int open;          /* inside an entry's mapping */
    unsigned line;     /* its key's line */
    sg_buf descriptor; /* its key: "name@npm:^1.0.0, name@npm:^1.1.0" */
    sg_buf version;    /* fields ("" when absent) */
    sg_buf resolution;
} berry;

static int berry_kind(const char *ref)
{
    int k = sg_lockfile__kind_of_url(ref, NULL, NULL);
    if (strncmp(ref, "npm:", 4) == 0)
        return SG_LOCK_KIND_REGISTRY;
    if (strncmp(ref, "patch:", 6) == 0 || strncmp(ref, "exec:", 5) == 0)
        return SG_LOCK_KIND_FILE;
    return k < 0 ? SG_LOCK_KIND_FILE : k;
}

static int berry_flush(berry *b, sg_ctx *ctx)
{
    sg_lockfile_entry e = {0};
    const char *src = b->resolution.size ? b->resolution.ptr : b->descriptor.ptr, *ref;
    char name[512], alias[512];
    size_t n, dn;

    b->open = 0;
    if (!(ref = sg_lockfile__split_at(src, strlen(src), &n)) || n >= sizeof(name))
        return sg_error_set(ctx, SG_EINVALID,
                            "'%s' line %u: resolution '%.200s' is not "
                            "'name@reference'",
                            b->lock->what, b->line, src);
    memcpy(name, src, n);
    name[n] = '\0';
    e.name = name;
    e.line = b->line;
    e.kind = (sg_lockfile_kind)berry_kind(ref);
    e.version = b->version.size ? b->version.ptr : NULL;
    if (e.kind == SG_LOCK_KIND_REGISTRY) {
        e.version = ref + 4;
        if (!sg_lockfile__is_version(e.version))
            return sg_error_set(ctx, SG_EINVALID,
                                "'%s' line %u: '%.200s' is not an exact "
                                "version",
                                b->lock->what, b->line, e.version);
        if (sg_lockfile__kind_of_url(e.version, NULL, NULL) >= 0)
            e.kind = SG_LOCK_KIND_TARBALL;
    } else {
        e.resolved = ref;
    }
    /* an alias: the descriptor's name differs from the resolution's */
    if (sg_lockfile__split_at(b->descriptor.ptr, b->descriptor.size, &dn) && dn < sizeof(alias) &&
        (dn != n || memcmp(b->descriptor.ptr, name, n) != 0)) {
        memcpy(alias, b->descriptor.ptr, dn);
        alias[dn] = '\0';
        e.alias = alias;
    }
    sg_buf_clear(&b->version);
    sg_buf_clear(&b->resolution);
    return sg_lockfile__add(b->lock, ctx, &e);
}

static int berry_step(void *payload, sg_ctx *ctx, sg_yaml_event ev, const sg_yaml_path *p,
                      const char *value, size_t len, unsigned line)
{
    berry *b = payload;
    (void)line;
    if (p->depth == 2 && ev == SG_YAML_SCALAR && sg_yaml_key_is(p, 0, "__metadata") &&
        sg_yaml_key_is(p, 1, "version")) {
        b->lock->version = (unsigned)strtoul(value, NULL, 10);
        return 0;
    }
    if (p->depth == 0 || sg_yaml_key_is(p, 0, "__metadata"))
        return 0;
    if (p->depth == 1 && ev == SG_YAML_ENTER_MAP) {
        b->open = 1;
        b->line = p->line[0];
        sg_buf_clear(&b->descriptor);
        sg_buf_put(&b->descriptor, p->key[0], p->len[0]);
        return b->descriptor.error ? sg_buf_check(&b->descriptor, ctx, "a descriptor") : 0;
    }
    if (p->depth == 1 && ev == SG_YAML_LEAVE && b->open)
        return berry_flush(b, ctx);
    if (p->depth == 2 && ev == SG_YAML_SCALAR && b->open) {
        sg_buf *dst = sg_yaml_key_is(p, 1, "version")      ? &b->version
                      : sg_yaml_key_is(p, 1, "resolution") ? &b->resolution
                                                           : NULL;
        if (dst) {
            sg_buf_clear(dst);
            if (sg_buf_put(dst, value, len) < 0)
                return sg_buf_check(dst, ctx, "a field of the lockfile");
        }
    }
    return 0;
}

int sg_lockfile__parse_yarn_berry(sg_lockfile *lock, sg_ctx *ctx, const char *data, size_t len)
{
    berry b;
    int error;

    memset(&b, 0, sizeof(b));
    b.lock = lock;
    sg_buf_init(&b.descriptor, YARN_VALUE_MAX);
    sg_buf_init(&b.version, YARN_VALUE_MAX);
    sg_buf_init(&b.resolution, YARN_VALUE_MAX);
    error = sg_lockfile__yaml_walk(ctx, data, len, lock->what, berry_step, &b);
    if (error == 0 && lock->version == 0)
        error = sg_error_set(ctx, SG_EINVALID,
                             "'%s' has no __metadata version: not a yarn "
                             "berry lockfile",
                             lock->what);
    sg_buf_dispose(&b.descriptor);
    sg_buf_dispose(&b.version);
    sg_buf_dispose(&b.resolution);
    return error;
}
