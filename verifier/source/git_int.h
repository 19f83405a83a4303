/*
 * Internal interface of the git reader for the rest of verifier/ (mirrors, resolution).
 */
#ifndef SG_GIT_INT_H
#define SG_GIT_INT_H

#include <git2.h>

#include "sourcegate/git.h"

/** The libgit2 repository as opened (refs, rev-parse, history), borrowed. */
git_repository *sg_git__repository(sg_git_repo *repo);

#endif
