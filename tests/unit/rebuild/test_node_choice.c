/*
 * Tests of the rebuild's choice of node (sg_rebuild__choose_node in
 * verifier/rebuild/rebuild_plan.c): the folders it derives from the node's path, which the
 * sandbox binds read-only, are that node's own, however long its path. No sandbox needed.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "verifier/rebuild/rebuild_int.h"

/* A fake node at dir/bin/node that prints a version. */
static void make_node(char *out, size_t size, const char *dir)
{
    static const char script[] = "#!/bin/sh\necho v20.0.0\n";
    char bin[4096];
    int n = snprintf(bin, sizeof(bin), "%s/bin", dir);
    assert_true(n > 0 && (size_t)n < sizeof(bin));
    assert_int_equal(mkdir(bin, 0755), 0);
    n = snprintf(out, size, "%.4000s/node", bin);
    assert_true(n > 0 && (size_t)n < size);
    sgt_write_file(out, script, strlen(script), 0755);
}

/* A node whose path is longer than the 256 bytes once used for its folders: its prefix is its
 * own folder, never '/' (which the sandbox would bind, showing the whole host to the build). */
static void test_node_choice__long_node_path_gives_its_own_prefix(void **state)
{
    sg_ctx *ctx = NULL;
    sg_rebuild_tools t;
    sg_rebuild_plan pl;
    sg_rebuild_opts o;
    char *tmp = sgt_tmpdir();
    char prefix[4096], node[4096], bin[4096];
    size_t i;
    (void)state;

    assert_int_equal(sg_ctx_new(&ctx), 0);
    snprintf(prefix, sizeof(prefix), "%s", tmp);
    for (i = 0; i < 4; i++) { /* 4 components of 80 bytes: well past 256 */
        size_t n = strlen(prefix);
        snprintf(prefix + n, sizeof(prefix) - n, "/%080zu", i);
        assert_int_equal(mkdir(prefix, 0755), 0);
    }
    assert_true(strlen(prefix) > 300);
    make_node(node, sizeof(node), prefix);
    snprintf(bin, sizeof(bin), "%.4000s/bin", prefix);

    memset(&o, 0, sizeof(o));
    o.node = node;
    memset(&pl, 0, sizeof(pl));
    sg_buf_init(&pl.lock_dir, 0);
    sg_buf_init(&pl.node_wanted_from, 0);
    sg_rebuild__tools_init(&t);
    assert_int_equal(sg_rebuild__choose_node(&t, ctx, &o, &pl), 0);
    assert_string_equal(t.node.ptr, node);
    assert_string_equal(t.node_version, "v20.0.0");
    assert_string_equal(t.node_bin.ptr, bin);
    assert_string_equal(t.node_prefix.ptr, prefix);
    assert_string_not_equal(t.node_prefix.ptr, "/");
    sg_rebuild__tools_dispose(&t);
    sg_rebuild__plan_dispose(&pl);
    sg_ctx_free(ctx);
    sgt_rm_rf(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_choice__long_node_path_gives_its_own_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
