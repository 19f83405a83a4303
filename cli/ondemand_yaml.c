/*
 * libyaml's functions the executable calls, forwarded to libyaml loaded on first use
 * (ondemand.c says why and how): only pnpm lockfiles need it. None is variadic.
 */
#include <yaml.h>

#include "ondemand_int.h"

/* Not clang-formatted: in a macro argument it takes "T **p" for a product. */
// clang-format off
FORWARD_VOID(yaml, yaml_event_delete, (yaml_event_t *event), (event))
FORWARD_VOID(yaml, yaml_parser_delete, (yaml_parser_t *parser), (parser))
FORWARD(yaml, int, yaml_parser_initialize, (yaml_parser_t *parser), (parser))
FORWARD(yaml, int, yaml_parser_parse, (yaml_parser_t *parser, yaml_event_t *event),
        (parser, event))
FORWARD_VOID(yaml, yaml_parser_set_encoding, (yaml_parser_t *parser, yaml_encoding_t encoding),
             (parser, encoding))
FORWARD_VOID(yaml, yaml_parser_set_input_string,
             (yaml_parser_t *parser, const unsigned char *input, size_t size),
             (parser, input, size))
// clang-format on
