/*
 * sourcegate: checks that a package release on a registry matches its source.
 * The whole public API; include this header.
 */
#ifndef SOURCEGATE_H
#define SOURCEGATE_H

#include "errors.h"
#include "progress.h"
#include "limits.h"
#include "buf.h"
#include "tree.h"
#include "report.h"
#include "diff.h"
#include "tar.h"
#include "git.h"
#include "packlist.h"
#include "cache.h"
#include "registry.h"
#include "source.h"
#include "semver.h"
#include "verify.h"
#include "attest.h"
#include "trust.h"
#include "rebuild.h"
#include "store.h"
#include "audit.h"
#include "lockfile.h"
#include "sarif.h"
#include "version.h"

#endif
