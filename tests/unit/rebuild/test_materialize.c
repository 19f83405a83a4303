/*
 * Tests of the rebuild's source copy (sg_rebuild__materialize_ext in
 * verifier/rebuild/rebuild_copy.c) from a repository that lacks some blobs, as a partial clone
 * or a mirror without its large assets does: the copy skips them and says which, where the
 * strict copy fails naming the file.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "verifier/rebuild/rebuild_int.h"

/* Delete the loose object of a blob with this content from repo (a non-bare repository). */
static void drop_blob(const char *repo, const char *content)
{
    git_oid id;
    char hex[GIT_OID_HEXSZ + 1], path[4200];
    assert_int_equal(git_odb_hash(&id, content, strlen(content), GIT_OBJECT_BLOB), 0);
    git_oid_tostr(hex, sizeof(hex), &id);
    snprintf(path, sizeof(path), "%.4000s/.git/objects/%.2s/%s", repo, hex, hex + 2);
    assert_int_equal(unlink(path), 0);
}

static void test_materialize__missing_blobs_are_skipped_and_named(void **state)
{
    static const char big[] = "GIF89a pretend this is a large image";
    const sgt_file files[] = {{"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\"}", 0, 0},
                              {"src/index.js", "module.exports = 1;\n", 0, 0},
                              {"website/static/a.gif", big, 0, 0}};
    char *tmp = sgt_tmpdir(), repo[4200], out[4200], strict[4200], commit[41], path[4300];
    sg_ctx *ctx = NULL;
    sg_git_repo *r = NULL;
    sg_tree *tree = NULL;
    sg_buf missing = SG_BUF_INIT;
    struct stat st;
    char *body;
    (void)state;

    snprintf(repo, sizeof(repo), "%.4000s/repo", tmp);
    snprintf(out, sizeof(out), "%.4000s/out", tmp);
    snprintf(strict, sizeof(strict), "%.4000s/strict", tmp);
    assert_int_equal(mkdir(out, 0755), 0);
    assert_int_equal(mkdir(strict, 0755), 0);
    sgt_git_init(repo, 0);
    sgt_git_commit(commit, repo, NULL, files, 3, "c", 0);
    drop_blob(repo, big);

    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_git_repo_open(&r, ctx, repo), 0);
    assert_int_equal(sg_git_tree_ext(&tree, ctx, r, commit, "", SG_GIT_TREE_LAZY), 0);

    assert_int_equal(sg_rebuild__materialize_ext(ctx, tree, out, &missing), 1);
    assert_string_equal(missing.ptr, "'website/static/a.gif'");
    snprintf(path, sizeof(path), "%s/src/index.js", out);
    body = sgt_read_file(path, NULL);
    assert_string_equal(body, "module.exports = 1;\n");
    free(body);
    snprintf(path, sizeof(path), "%s/website/static/a.gif", out);
    assert_int_equal(lstat(path, &st), -1);

    /* the strict copy stops at the missing file and names it */
    assert_int_equal(sg_rebuild__materialize(ctx, tree, strict), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "website/static/a.gif"));
    sg_error_clear(ctx);

    sg_buf_dispose(&missing);
    sg_tree_free(tree);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    sgt_rm_rf(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_materialize__missing_blobs_are_skipped_and_named),
    };
    int rc;
    git_libgit2_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    git_libgit2_shutdown();
    return rc;
}
