/*
 * The internal common helpers every module includes, with the public headers common/
 * implements (buffers, errors and contexts, limits, trees).
 *
 * verifier/ sits above every other module and implements most of the public API, so it (and
 * the tests and fuzz targets, which look at everything) sees all of it: CMake defines
 * SG_WHOLE_API for those targets only. common/, diff/ and attest/ never do; they include the
 * public headers of their own layer explicitly. ci/lint checks the direction.
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

#include "sourcegate/buf.h"
#include "sourcegate/errors.h"
#include "sourcegate/limits.h"
#include "sourcegate/tree.h"
#include "sourcegate/version.h"
#ifdef SG_WHOLE_API
#include "sourcegate/sourcegate.h"
#endif
#include "alloc.h"
#include "arena.h"
#include "hash.h"
#include "codec.h"
#include "text.h"
#include "path.h"
#include "json.h"
#include "file_read.h"
#include "progress_int.h"
#include "tree_int.h"

#define SG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include "banned.h"

#endif
