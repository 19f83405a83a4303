/*
 * JSON through cJSON with sourcegate's limits and allocator.
 */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sourcegate/errors.h"
#include "sourcegate/buf.h"

/** Route cJSON's allocations through sg_malloc (idempotent, called by sg_ctx_new). */
void sg_json__init(void);

/**
 * Parse data[0..len) (no NUL needed) as one JSON document: refuses more than the JSON size
 * limit, nesting deeper than the JSON depth limit (checked before cJSON recurses), trailing
 * garbage and invalid UTF-8 in strings. `what` names the document in messages
 * ("package.json in the artifact"). Free *out with cJSON_Delete().
 */
int sg_json_parse(cJSON **out, sg_ctx *ctx, const char *data, size_t len, const char *what);

/** The string value of member `key` of obj, or NULL when absent or not a string. */
const char *sg_json_str(const cJSON *obj, const char *key);

/** Append a JSON string literal (quoted, escaped) to buf. NULL writes null. */
int sg_json_put_string(sg_buf *buf, const char *s);

/** Serialize a value compactly (stable: keys in document order) into buf. */
int sg_json_put_value(sg_buf *buf, const cJSON *v);

/** 1 when two JSON values are equal (objects compared as unordered maps). */
int sg_json_equal(const cJSON *a, const cJSON *b);

#endif
