#include "common/common.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_once_t json_once = PTHREAD_ONCE_INIT;

/* cJSON answers NULL both for bad syntax and for a failed allocation; this flag, set by the
 * allocation hook, tells them apart (per thread, like every other error state). */
static _Thread_local int json_alloc_failed;

static void *json_malloc(size_t n)
{
    void *p = sg_malloc(n);
    if (!p)
        json_alloc_failed = 1;
    return p;
}

static void json_init_once(void)
{
    cJSON_Hooks hooks = {json_malloc, sg_free};
    cJSON_InitHooks(&hooks);
}

void sg_json__init(void)
{
    pthread_once(&json_once, json_init_once);
}


/* One pass over the text before cJSON sees it: nesting depth outside strings (cJSON recurses,
 * so this bounds its stack), valid UTF-8, no NUL. Returns 0 or an error set in ctx. */
static int prescan(sg_ctx *ctx, const unsigned char *p, size_t len, const char *what)
{
    uint64_t max_depth = sg_ctx_limit(ctx, SG_LIMIT_JSON_DEPTH);
    uint64_t depth = 0;
    int in_string = 0;
    size_t i = 0;

    while (i < len) {
        unsigned c = p[i];
        if (c == 0)
            return sg_error_set(ctx, SG_EINVALID, "%s is not valid JSON: NUL byte at offset %zu",
                                what, i);
        if (c >= 0x80) {
            size_t n = sg_utf8_seq(p + i, len - i);
            if (!n)
                return sg_error_set(ctx, SG_EINVALID,
                                    "%s is not valid JSON: invalid UTF-8 at offset %zu", what, i);
            i += n;
            continue;
        }
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return sg_error_set(ctx, SG_ELIMIT,
                                    "%s nests deeper than the json-depth limit of %llu", what,
                                    (unsigned long long)max_depth);
        } else if (c == '}' || c == ']') {
            if (depth)
                depth--;
        }
        i++;
    }
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int r = strcmp(x->string, y->string);
    if (r)
        return r;
    return 0;
}

/* JavaScript's JSON.parse keeps the LAST of duplicate keys; cJSON's lookups find the first.
 * An attacker could hide a second "scripts" from a verifier that reads the first, so drop
 * every earlier duplicate, recursively. */
static int dedup_keys(cJSON *node, sg_ctx *ctx)
{
    cJSON *child;
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
        return 0;
    for (child = node->child; child; child = child->next) {
        int error = dedup_keys(child, ctx);
        if (error < 0)
            return error;
    }
    if (cJSON_IsObject(node)) {
        size_t n = 0, i, j;
        cJSON **items;
        for (child = node->child; child; child = child->next)
            n++;
        if (n < 2)
            return 0;
        items = sg_calloc(n, sizeof(*items));
        if (!items)
            return sg_error_set(ctx, SG_ENOMEM, "out of memory checking JSON keys");
        for (i = 0, child = node->child; child; child = child->next)
            items[i++] = child;
        qsort(items, n, sizeof(*items), key_cmp);
        for (i = 0; i < n; i = j) {
            for (j = i + 1; j < n && strcmp(items[i]->string, items[j]->string) == 0; j++)
                ;
            if (j - i > 1) {
                /* Among equal keys, keep the one that comes last in the document. */
                cJSON *last = NULL, *c;
                for (c = node->child; c; c = c->next)
                    if (strcmp(c->string, items[i]->string) == 0)
                        last = c;
                for (size_t k = i; k < j; k++)
                    if (items[k] != last)
                        cJSON_Delete(cJSON_DetachItemViaPointer(node, items[k]));
            }
        }
        sg_free(items);
    }
    return 0;
}

int sg_json_parse(cJSON **out, sg_ctx *ctx, const char *data, size_t len, const char *what)
{
    const unsigned char *p = (const unsigned char *)data;
    const char *end = NULL;
    cJSON *root = NULL;
    int error;
    size_t i;

    *out = NULL;
    sg_json__init();
    if (len > sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE))
        return sg_error_set(ctx, SG_ELIMIT, "%s is larger than the json-size limit of %llu bytes",
                            what, (unsigned long long)sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE));
    if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        data += 3; /* a UTF-8 BOM, as npm's JSON reader strips it */
        len -= 3;
        p += 3;
    }
    if ((error = prescan(ctx, p, len, what)) < 0)
        return error;
    json_alloc_failed = 0;
    root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (!root && json_alloc_failed)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory parsing %s", what);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= data && at <= data + len ? (size_t)(at - data) : len;
        return sg_error_set(ctx, SG_EINVALID, "%s is not valid JSON: syntax error near offset %zu",
                            what, off);
    }
    for (i = end ? (size_t)(end - data) : len; i < len; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
            cJSON_Delete(root);
            return sg_error_set(ctx, SG_EINVALID,
                                "%s is not valid JSON: trailing data at offset %zu", what, i);
        }
    }
    if ((error = dedup_keys(root, ctx)) < 0) {
        cJSON_Delete(root);
        return error;
    }
    *out = root;
    return 0;
}

const char *sg_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int sg_json_put_string(sg_buf *buf, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len, i = 0;
    if (!s)
        return sg_buf_puts(buf, "null");
    len = strlen(s);
    sg_buf_putc(buf, '"');
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        switch (c) {
        case '"': sg_buf_puts(buf, "\\\""); break;
        case '\\': sg_buf_puts(buf, "\\\\"); break;
        case '\n': sg_buf_puts(buf, "\\n"); break;
        case '\r': sg_buf_puts(buf, "\\r"); break;
        case '\t': sg_buf_puts(buf, "\\t"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                sg_buf_printf(buf, "\\u%04x", c);
            } else if (c >= 0x80) {
                n = sg_utf8_seq(p + i, len - i);
                if (!n) {
                    sg_buf_puts(buf, "\\ufffd"); /* invalid UTF-8 never reaches the output */
                } else {
                    sg_buf_put(buf, p + i, n);
                    i += n;
                    continue;
                }
            } else {
                sg_buf_putc(buf, (char)c);
            }
        }
        i++;
    }
    return sg_buf_putc(buf, '"');
}

int sg_json_put_value(sg_buf *buf, const cJSON *v)
{
    char *s;
    int error;
    sg_json__init();
    s = cJSON_PrintUnformatted(v);
    if (!s) {
        buf->error = buf->error ? buf->error : SG_ENOMEM;
        return buf->error;
    }
    error = sg_buf_puts(buf, s);
    cJSON_free(s);
    return error;
}

int sg_json_equal(const cJSON *a, const cJSON *b)
{
    return cJSON_Compare(a, b, 1) ? 1 : 0;
}
