/*
 * Tests of npm's view of a tarball (verifier/fetch/tar_npm.c): header sequences built block by
 * block, and what npm's installer (node-tar + pacote) writes for each. The expected paths are
 * node-tar's, read from its source (lib/header.js, lib/parse.js, lib/unpack.js) and checked
 * against it by tests/integration/test_tar_differential.c.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tar_blocks.h"
#include "verifier/fetch/tar_npm_int.h"

/* ---- a tar stream, block by block -------------------------------------------------------- */

/* A POSIX ustar header as npm writes it. */
static unsigned char *header(sgt_tb *t, const char *name, char type, size_t size)
{
    unsigned char *h = sgt_tb_blocks(t, 1);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    sgt_tb_octal(h + 100, 8, 0644);
    sgt_tb_octal(h + 124, 12, size);
    sgt_tb_octal(h + 136, 12, 499162500);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar\00000", 8);
    sgt_tb_seal(h);
    return h;
}

static void file(sgt_tb *t, const char *name, const char *data)
{
    header(t, name, '0', strlen(data));
    sgt_tb_body(t, data, strlen(data));
}

/* An extended header of `type` ('x', 'g', 'L', 'K', 'N') with `data` as its body. */
static void meta(sgt_tb *t, char type, const char *data)
{
    header(t, type == 'x' || type == 'g' ? "PaxHeader" : "././@LongLink", type, strlen(data));
    sgt_tb_body(t, data, strlen(data));
}

static void end(sgt_tb *t)
{
    sgt_tb_blocks(t, 2);
}

/* "LEN key=value\n" */
static char *pax(const char *key, const char *value)
{
    static char rec[4][512];
    static int which;
    char *r = rec[which++ % 4];
    size_t n = strlen(key) + strlen(value) + 3, digits = 1, d;
    for (d = n; d >= 10; d /= 10)
        digits++;
    if ((n + digits) >= 10 && digits == 1)
        digits++;
    snprintf(r, 512, "%zu %s=%s\n", n + digits, key, value);
    return r;
}

typedef struct fx {
    sg_ctx *ctx;          /* fresh per test */
    sgt_tb t;             /* the stream under test */
    sg_tar_npm_view view; /* its view */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    f->view = (sg_tar_npm_view)SG_TAR_NPM_VIEW_INIT;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_tar__npm_view_dispose(&f->view);
    free(f->t.p);
    sg_ctx_free(f->ctx);
    free(f);
    return 0;
}

static void run(fx *f)
{
    assert_int_equal(sg_tar__npm_view(&f->view, f->ctx, f->t.p, f->t.len, 100000), 0);
}

static const char *body_of(fx *f, size_t i)
{
    static char out[4096];
    assert_true(i < f->view.nfiles && f->view.files[i].size < sizeof(out));
    memcpy(out, f->t.p + f->view.files[i].offset, f->view.files[i].size);
    out[f->view.files[i].size] = '\0';
    return out;
}

static int has_ambiguity(fx *f, const char *needle)
{
    size_t i;
    for (i = 0; i < f->view.namb; i++)
        if (strstr(f->view.amb[i].detail, needle))
            return 1;
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_tar_npm__plain_npm_tarball(void **state)
{
    fx *f = *state;
    file(&f->t, "package/package.json", "{\"name\":\"a\"}");
    file(&f->t, "package/lib/index.js", "module.exports = 1\n");
    end(&f->t);
    run(f);
    assert_int_equal(f->view.namb_total, 0);
    assert_int_equal(f->view.nfiles, 2);
    assert_string_equal(f->view.files[0].path, "package.json");
    assert_string_equal(f->view.files[1].path, "lib/index.js");
    assert_string_equal(body_of(f, 1), "module.exports = 1\n");
    assert_int_equal(f->view.files[1].mode, 0644);
}

static void test_tar_npm__pax_path_then_gnu_long_name_uses_the_long_name(void **state)
{
    fx *f = *state;
    meta(&f->t, 'x', pax("path", "package/notes.txt"));
    meta(&f->t, 'L', "package/index.js");
    file(&f->t, "package/README.md", "evil()\n");
    end(&f->t);
    run(f);
    assert_int_equal(f->view.nfiles, 1);
    assert_string_equal(f->view.files[0].path, "index.js");
    assert_true(has_ambiguity(f, "given by 2 extended headers"));
}

static void test_tar_npm__old_gnu_n_header_names_the_next_file(void **state)
{
    fx *f = *state;
    meta(&f->t, 'N', "package/index.js");
    file(&f->t, "package/notes.txt", "evil()\n");
    end(&f->t);
    run(f);
    assert_int_equal(f->view.nfiles, 1);
    assert_string_equal(f->view.files[0].path, "index.js");
    assert_true(has_ambiguity(f, "archaic extended header type 'N'"));
}

static void test_tar_npm__any_first_segment_is_stripped(void **state)
{
    fx *f = *state;
    file(&f->t, "./index.js", "a\n");
    file(&f->t, ".//lib/x.js", "b\n");
    file(&f->t, "other/y.js", "c\n");
    file(&f->t, "package/./z//w.js", "d\n");
    end(&f->t);
    run(f);
    assert_int_equal(f->view.nfiles, 4);
    assert_string_equal(f->view.files[0].path, "index.js");
    assert_string_equal(f->view.files[1].path, "lib/x.js");
    assert_string_equal(f->view.files[2].path, "y.js");
    assert_string_equal(f->view.files[3].path, "z/w.js");
}

static void test_tar_npm__parent_segments_and_the_root_are_not_installed(void **state)
{
    fx *f = *state;
    file(&f->t, "package/../x.js", "a\n");
    file(&f->t, "package/a\\..\\b.js", "b\n");
    file(&f->t, "package", "c\n");
    file(&f->t, "package/.", "d\n");
    end(&f->t);
    run(f);
    assert_int_equal(f->view.nfiles, 0);
}

static void test_tar_npm__entry_after_a_single_zero_block_is_installed(void **state)
{
    fx *f = *state;
    file(&f->t, "package/a.js", "a\n");
    sgt_tb_blocks(&f->t, 1);
    file(&f->t, "package/hidden.js", "evil()\n");
    end(&f->t);
    run(f);
    assert_int_equal(f->view.nfiles, 2);
    assert_string_equal(f->view.files[1].path, "hidden.js");
    assert_true(has_ambiguity(f, "after an end-of-archive block"));
}

static void test_tar_npm__bad_checksum_skips_one_block_only(void **state)
{
    fx *f = *state;
    sgt_tb inner = {0};
    unsigned char *h;
    /* README.md's body is itself a tar header for index.js: node-tar skips the damaged
     * header and reads its body as the next header. */
    file(&inner, "package/index.js", "evil()\n");
    h = header(&f->t, "package/README.md", '0', inner.len);
    h[148] = '7'; /* damage the checksum */
    sgt_tb_body(&f->t, inner.p, inner.len);
    end(&f->t);
    free(inner.p);
    run(f);
    assert_int_equal(f->view.nfiles, 1);
    assert_string_equal(f->view.files[0].path, "index.js");
    assert_string_equal(body_of(f, 0), "evil()\n");
    assert_true(has_ambiguity(f, "checksum does not match"));
}

static void test_tar_npm__gitignore_becomes_npmignore(void **state)
{
    fx *f = *state;
    file(&f->t, "package/.gitignore", "node_modules\n");
    file(&f->t, "package/sub/.npmignore", "x\n");
    file(&f->t, "package/sub/.gitignore", "y\n");
    end(&f->t);
    run(f);
    assert_int_equal(f->view.nfiles, 3);
    assert_string_equal(f->view.files[0].path, ".npmignore");
    assert_string_equal(f->view.files[0].archive_path, ".gitignore");
    assert_false(f->view.files[0].dropped);
    assert_string_equal(f->view.files[1].path, "sub/.npmignore");
    assert_string_equal(body_of(f, 1), "x\n");
    assert_string_equal(f->view.files[2].archive_path, "sub/.gitignore");
    assert_true(f->view.files[2].dropped);
    assert_int_equal(f->view.namb_total, 0);
}

static void test_tar_npm__links_and_directories_are_not_written(void **state)
{
    fx *f = *state;
    unsigned char *h;
    header(&f->t, "package/lib/", '5', 0);
    h = header(&f->t, "package/link.js", '2', 0);
    memcpy(h + 157, "lib/a.js", 8);
    sgt_tb_seal(h);
    file(&f->t, "package/lib/a.js", "a\n");
    end(&f->t);
    run(f);
    assert_int_equal(f->view.nfiles, 1);
    assert_string_equal(f->view.files[0].path, "lib/a.js");
    assert_int_equal(f->view.namb_total, 0);
}

static void test_tar_npm__ustar_prefix_is_joined(void **state)
{
    fx *f = *state;
    unsigned char *h = header(&f->t, "index.js", '0', 2);
    memcpy(h + 345, "package/lib", 11);
    sgt_tb_seal(h);
    sgt_tb_body(&f->t, "a\n", 2);
    end(&f->t);
    run(f);
    assert_int_equal(f->view.nfiles, 1);
    assert_string_equal(f->view.files[0].path, "lib/index.js");
}

static void test_tar_npm__pax_size_and_path_apply_to_the_next_file_only(void **state)
{
    fx *f = *state;
    char rec[600];
    snprintf(rec, sizeof(rec), "%s%s", pax("path", "package/long.js"), pax("size", "3"));
    meta(&f->t, 'x', rec);
    header(&f->t, "package/short.js", '0', 3);
    sgt_tb_body(&f->t, "abc", 3);
    file(&f->t, "package/next.js", "n\n");
    end(&f->t);
    run(f);
    assert_int_equal(f->view.nfiles, 2);
    assert_string_equal(f->view.files[0].path, "long.js");
    assert_string_equal(body_of(f, 0), "abc");
    assert_string_equal(f->view.files[1].path, "next.js");
    assert_int_equal(f->view.namb_total, 0);
}

static void test_tar_npm__unusual_pax_keys_and_sizes_are_ambiguous(void **state)
{
    fx *f = *state;
    meta(&f->t, 'x', pax("GNU.sparse.map", "0,1"));
    file(&f->t, "package/a.js", "a\n");
    meta(&f->t, 'x', pax("size", "0x2"));
    file(&f->t, "package/b.js", "b\n");
    meta(&f->t, 'g', pax("path", "package/c.js"));
    file(&f->t, "package/d.js", "d\n");
    end(&f->t);
    run(f);
    assert_true(has_ambiguity(f, "sets 'GNU.sparse.map'"));
    assert_true(has_ambiguity(f, "pax size '0x2' is not a plain number"));
    assert_true(has_ambiguity(f, "global pax header sets 'path'"));
    /* a global path is ignored by node-tar */
    assert_string_equal(f->view.files[2].path, "d.js");
}

static void test_tar_npm__nul_then_newline_in_a_name_is_ambiguous(void **state)
{
    fx *f = *state;
    unsigned char *h = header(&f->t, "package/a.js", '0', 2);
    memcpy(h + 12, "\0x\nz", 4); /* node-tar reads "package/a.js\nz" */
    sgt_tb_seal(h);
    sgt_tb_body(&f->t, "a\n", 2);
    end(&f->t);
    run(f);
    assert_true(has_ambiguity(f, "name field is not a plain UTF-8 string"));
}

static void test_tar_npm__archaic_types_and_sized_links_are_ambiguous(void **state)
{
    fx *f = *state;
    header(&f->t, "package/a.js", '7', 0);
    header(&f->t, "package/b", '6', 0);
    header(&f->t, "package/c", 'S', 0);
    header(&f->t, "package/d", 'Z', 0);
    end(&f->t);
    run(f);
    assert_true(has_ambiguity(f, "special entry type '7'"));
    assert_true(has_ambiguity(f, "special entry type '6'"));
    assert_true(has_ambiguity(f, "special entry type 'S'"));
    assert_true(has_ambiguity(f, "unknown entry type 0x5a"));
    /* ContiguousFile is written like a file */
    assert_int_equal(f->view.nfiles, 1);
    assert_string_equal(f->view.files[0].path, "a.js");
}

static void test_tar_npm__truncated_file_is_installed_partially(void **state)
{
    fx *f = *state;
    header(&f->t, "package/a.js", '0', 2000);
    sgt_tb_body(&f->t, "0123456789", 10);
    run(f);
    assert_int_equal(f->view.nfiles, 1);
    assert_int_equal(f->view.files[0].size, 512);
    assert_true(has_ambiguity(f, "truncated"));
}

static void test_tar_npm__file_and_folder_clash_is_ambiguous(void **state)
{
    fx *f = *state;
    file(&f->t, "package/lib", "x\n");
    file(&f->t, "package/lib/a.js", "a\n");
    end(&f->t);
    run(f);
    assert_true(has_ambiguity(f, "both a file and a folder"));
}

static void test_tar_npm__entry_limit(void **state)
{
    fx *f = *state;
    file(&f->t, "package/a", "a");
    file(&f->t, "package/b", "b");
    end(&f->t);
    assert_int_equal(sg_tar__npm_view(&f->view, f->ctx, f->t.p, f->t.len, 1), SG_ELIMIT);
}

static void test_tar_npm__decompress_plain_and_gzip(void **state)
{
    fx *f = *state;
    sg_buf out = SG_BUF_INIT;
    static const unsigned char plain[] = "not gzip";
    assert_int_equal(sg_tar__decompress(&out, f->ctx, plain, 8, 100, SG_LIMIT_UNPACKED_BYTES), 0);
    assert_int_equal(out.size, 8);
    assert_int_equal(sg_tar__decompress(&out, f->ctx, plain, 8, 4, SG_LIMIT_UNPACKED_BYTES),
                     SG_ELIMIT);
    sg_buf_dispose(&out);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_tar_npm__plain_npm_tarball),
        T(test_tar_npm__pax_path_then_gnu_long_name_uses_the_long_name),
        T(test_tar_npm__old_gnu_n_header_names_the_next_file),
        T(test_tar_npm__any_first_segment_is_stripped),
        T(test_tar_npm__parent_segments_and_the_root_are_not_installed),
        T(test_tar_npm__entry_after_a_single_zero_block_is_installed),
        T(test_tar_npm__bad_checksum_skips_one_block_only),
        T(test_tar_npm__gitignore_becomes_npmignore),
        T(test_tar_npm__links_and_directories_are_not_written),
        T(test_tar_npm__ustar_prefix_is_joined),
        T(test_tar_npm__pax_size_and_path_apply_to_the_next_file_only),
        T(test_tar_npm__unusual_pax_keys_and_sizes_are_ambiguous),
        T(test_tar_npm__nul_then_newline_in_a_name_is_ambiguous),
        T(test_tar_npm__archaic_types_and_sized_links_are_ambiguous),
        T(test_tar_npm__truncated_file_is_installed_partially),
        T(test_tar_npm__file_and_folder_clash_is_ambiguous),
        T(test_tar_npm__entry_limit),
        T(test_tar_npm__decompress_plain_and_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
