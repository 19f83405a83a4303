/*
 * The rebuild's copy of the source: the repository's tree at the commit written into the
 * scratch folder, and a shallow .git whose HEAD is that commit (builds run git grep,
 * git describe, git rev-parse).
 */
#include "common/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "verifier/source/git_int.h"
#include "verifier/rebuild/rebuild_int.h"

/* ---------------------------------------------------------------- materializing a tree */

/* Open (creating) the folder of `path`'s parent below root, never following links. Returns a
 * directory fd and sets *base to the last component, or -1. */
static int open_parent(int root, const char *path, const char **base)
{
    int dir = dup(root);
    const char *p = path, *slash;
    char comp[256];

    while (dir >= 0 && (slash = strchr(p, '/'))) {
        size_t n = (size_t)(slash - p);
        int next;
        if (n == 0 || n >= sizeof(comp)) {
            close(dir);
            return -1;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (mkdirat(dir, comp, 0755) < 0 && errno != EEXIST) {
            close(dir);
            return -1;
        }
        next = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(dir);
        dir = next;
        p = slash + 1;
    }
    *base = p;
    return dir;
}

static int write_entry(int dir, const char *base, const sg_entry *e, const sg_buf *content)
{
    const char *p = content->ptr;
    size_t left = content->size;
    int fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    e->exec ? 0755 : 0644);
    if (fd < 0)
        return -1;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    return close(fd);
}

/* Is the error in ctx a blob the repository lacks (a partial clone, a mirror without its
 * large assets)? */
static int blob_missing(sg_ctx *ctx, int error)
{
    return error == SG_EINVALID && strstr(sg_error_message(ctx), "is missing from the repository");
}

/* Note a skipped file in missing: a count and the first few paths. */
static void note_missing(sg_buf *missing, size_t *count, const char *path)
{
    if (++*count <= 3)
        sg_buf_printf(missing, "%s'%s'", *count > 1 ? ", " : "", path);
}

int sg_rebuild__materialize_ext(sg_ctx *ctx, const sg_tree *tree, const char *dir, sg_buf *missing)
{
    sg_buf content = SG_BUF_INIT;
    size_t i, n = sg_tree_count(tree), nmissing = 0;
    int root, error = 0;

    root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return sg_error_set(ctx, SG_EIO, "cannot open '%s': %s", dir, strerror(errno));
    sg_buf_init(&content, (size_t)sg_ctx_limit(ctx, SG_LIMIT_FILE_SIZE));
    for (i = 0; i < n && !error; i++) {
        const sg_entry *e = sg_tree_entry(tree, i);
        const char *base = NULL;
        int pd = open_parent(root, e->path, &base), ok = 0;
        if (pd < 0) {
            error = sg_error_set(ctx, SG_EIO, "cannot make the folder of '%s': %s", e->path,
                                 strerror(errno));
            break;
        }
        if (e->kind == SG_ENTRY_FILE) {
            sg_buf_clear(&content);
            if ((error = sg_tree_read(&content, ctx, tree, e)) == 0) {
                ok = write_entry(pd, base, e, &content);
            } else if (missing && blob_missing(ctx, error)) {
                sg_error_clear(ctx);
                error = 0;
                note_missing(missing, &nmissing, e->path);
            }
        } else if (e->kind == SG_ENTRY_SYMLINK) {
            ok = symlinkat(e->target ? e->target : "", pd, base);
        } else {
            ok = mkdirat(pd, base, 0755) < 0 && errno != EEXIST ? -1 : 0;
        }
        if (!error && ok < 0)
            error = sg_error_set(ctx, SG_EIO, "cannot write '%s' in '%s': %s", e->path, dir,
                                 strerror(errno));
        close(pd);
    }
    close(root);
    sg_buf_dispose(&content);
    if (!error && nmissing > 3)
        sg_buf_printf(missing, " and %zu more", nmissing - 3);
    if (!error && missing && (error = sg_buf_check(missing, ctx, "a list of files")) == 0 &&
        nmissing)
        error = (int)nmissing;
    return error;
}

int sg_rebuild__materialize(sg_ctx *ctx, const sg_tree *tree, const char *dir)
{
    return sg_rebuild__materialize_ext(ctx, tree, dir, NULL);
}

/* ---------------------------------------------------------------- a .git for the copy */

/* Copy one object between object databases (when the destination lacks it). */
static int copy_object(git_odb *dst, git_odb *src, const git_oid *id)
{
    git_odb_object *obj = NULL;
    git_oid out;
    int rc;
    if (git_odb_exists(dst, id))
        return 0;
    if ((rc = git_odb_read(&obj, src, id)) < 0)
        return rc;
    rc = git_odb_write(&out, dst, git_odb_object_data(obj), git_odb_object_size(obj),
                       git_odb_object_type(obj));
    git_odb_object_free(obj);
    return rc;
}

static int copy_tree(git_repository *repo, git_odb *dst, git_odb *src, const git_oid *id,
                     unsigned depth)
{
    git_tree *tree = NULL;
    size_t i, n;
    int rc;
    if (depth > 512)
        return -1;
    if ((rc = copy_object(dst, src, id)) < 0 || (rc = git_tree_lookup(&tree, repo, id)) < 0)
        return rc;
    n = git_tree_entrycount(tree);
    for (i = 0; i < n && rc >= 0; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
            rc = copy_object(dst, src, git_tree_entry_id(e));
        else if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
            rc = copy_tree(repo, dst, src, git_tree_entry_id(e), depth + 1);
        /* submodule commits live in other repositories */
    }
    git_tree_free(tree);
    return rc;
}

/* Recreate the tag the commit was found by, when it names that commit. */
static void copy_tag(git_repository *src, git_repository *dst, const char *ref,
                     const git_oid *commit)
{
    git_object *obj = NULL;
    git_reference *made = NULL;
    char name[600];
    if (!ref || !*ref || strlen(ref) > 500 || strncmp(ref, "refs/", 5) == 0)
        return;
    snprintf(name, sizeof(name), "refs/tags/%s", ref);
    if (git_revparse_single(&obj, src, name) == 0) {
        git_object *peeled = NULL;
        if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0 &&
            git_oid_equal(git_object_id(peeled), commit))
            git_reference_create(&made, dst, name, commit, 1, "sourcegate rebuild");
        git_object_free(peeled);
    }
    git_reference_free(made);
    git_object_free(obj);
}

/* Make dir a git work tree whose HEAD is the commit: its objects copied, shallow (no
 * parents), branch "main", index from its tree. Returns 0 or a libgit2 error. */
int sg_rebuild__make_git(const sg_rebuild_input *in, const char *dir)
{
    git_repository *src = sg_git__repository(in->repo), *dst = NULL;
    git_odb *sodb = NULL, *dodb = NULL;
    git_commit *commit = NULL;
    git_tree *tree = NULL;
    git_index *index = NULL;
    git_reference *head = NULL;
    git_oid id;
    sg_buf shallow = SG_BUF_INIT;
    char line[GIT_OID_HEXSZ + 2];
    int rc, fd;

    if ((rc = git_oid_fromstr(&id, in->commit)) < 0 ||
        (rc = git_repository_init(&dst, dir, 0)) < 0 || (rc = git_repository_odb(&sodb, src)) < 0 ||
        (rc = git_repository_odb(&dodb, dst)) < 0 ||
        (rc = git_commit_lookup(&commit, src, &id)) < 0 ||
        (rc = copy_tree(src, dodb, sodb, git_commit_tree_id(commit), 0)) < 0 ||
        (rc = copy_object(dodb, sodb, &id)) < 0)
        goto done;
    sg_buf_printf(&shallow, "%s/.git/shallow", dir);
    git_oid_tostr(line, GIT_OID_HEXSZ + 1, &id);
    memcpy(line + GIT_OID_HEXSZ, "\n", 2);
    fd = shallow.error
             ? -1
             : open(shallow.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
        rc = -1;
        if (fd >= 0)
            close(fd);
        goto done;
    }
    close(fd);
    if ((rc = git_reference_create(&head, dst, "refs/heads/main", &id, 1, "sourcegate rebuild")) <
            0 ||
        (rc = git_repository_set_head(dst, "refs/heads/main")) < 0 ||
        (rc = git_tree_lookup(&tree, dst, git_commit_tree_id(commit))) < 0 ||
        (rc = git_repository_index(&index, dst)) < 0 ||
        (rc = git_index_read_tree(index, tree)) < 0 || (rc = git_index_write(index)) < 0)
        goto done;
    copy_tag(src, dst, in->ref, &id);
done:
    git_index_free(index);
    git_tree_free(tree);
    git_reference_free(head);
    git_commit_free(commit);
    git_odb_free(sodb);
    git_odb_free(dodb);
    git_repository_free(dst);
    sg_buf_dispose(&shallow);
    return rc;
}
