/*
 * Everything every module includes: the public API plus the internal common helpers.
 */
#ifndef SG_COMMON_H
#define SG_COMMON_H

/* System headers that define banned names come before banned.h, so later includes of them
 * are no-ops and the bans apply only to our code. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sourcegate/sourcegate.h"
#include "alloc.h"
#include "arena.h"
#include "hash.h"
#include "codec.h"
#include "text.h"
#include "path.h"
#include "json.h"
#include "file_read.h"
#include "tree_int.h"

#define SG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include "banned.h"

#endif
