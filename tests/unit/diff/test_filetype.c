#include "sg_test.h"

#include <string.h>

static sg_file_class cls(const char *path)
{
    return sg_file_classify(path, NULL, 0, 0);
}

static sg_file_class cls_head(const char *path, const char *head, size_t len)
{
    return sg_file_classify(path, (const unsigned char *)head, len, 0);
}

static void test_filetype__code_extensions_are_code(void **state)
{
    static const char *const paths[] = {
        "index.js",         "lib/a.cjs",
        "lib/a.mjs",        "src/App.jsx",
        "src/a.ts",         "src/App.tsx",
        "src/a.mts",        "src/a.cts",
        "data/config.json", "build/Release/addon.node",
        "pkg/mod.wasm",     "deps/x.gyp",
        "common.gypi",      "scripts/setup.sh",
        "run.bash",         "win/install.bat",
        "win/install.cmd",  "win/install.ps1",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (cls(paths[i]) != SG_FILE_CODE)
            fail_msg("'%s' is not classified as code", paths[i]);
    }
}

static void test_filetype__extensions_are_case_insensitive(void **state)
{
    (void)state;
    assert_int_equal(cls("INDEX.JS"), SG_FILE_CODE);
    assert_int_equal(cls("lib/Loader.Mjs"), SG_FILE_CODE);
    assert_int_equal(cls("Types.D.TS"), SG_FILE_TYPES);
    assert_int_equal(cls("LOGO.PNG"), SG_FILE_DOCS);
    assert_int_equal(cls("NOTES.TXT"), SG_FILE_DOCS);
}

static void test_filetype__declarations_and_maps_are_types(void **state)
{
    (void)state;
    assert_int_equal(cls("index.d.ts"), SG_FILE_TYPES);
    assert_int_equal(cls("dist/index.d.mts"), SG_FILE_TYPES);
    assert_int_equal(cls("dist/index.d.cts"), SG_FILE_TYPES);
    assert_int_equal(cls("dist/index.js.map"), SG_FILE_TYPES);
    assert_int_equal(cls("dist/index.d.ts.map"), SG_FILE_TYPES);
    /* a .ts file whose name merely contains ".d" is still code */
    assert_int_equal(cls("src/load.data.ts"), SG_FILE_CODE);
}

static void test_filetype__install_affecting_names_are_code(void **state)
{
    (void)state;
    assert_int_equal(cls("binding.gyp"), SG_FILE_CODE);
    assert_int_equal(cls("Binding.GYP"), SG_FILE_CODE);
    assert_int_equal(cls(".npmrc"), SG_FILE_CODE);
    assert_int_equal(cls("sub/.npmrc"), SG_FILE_CODE);
    assert_int_equal(cls(".yarnrc"), SG_FILE_CODE);
    assert_int_equal(cls(".yarnrc.yml"), SG_FILE_CODE);
}

static void test_filetype__native_binaries_by_magic_are_code(void **state)
{
    static const char elf[] = "\x7f"
                              "ELF\x02\x01\x01";
    static const char macho[][4] = {
        {'\xfe', '\xed', '\xfa', '\xce'}, {'\xfe', '\xed', '\xfa', '\xcf'},
        {'\xce', '\xfa', '\xed', '\xfe'}, {'\xcf', '\xfa', '\xed', '\xfe'},
        {'\xca', '\xfe', '\xba', '\xbe'},
    };
    size_t i;
    (void)state;
    assert_int_equal(cls_head("prebuilds/linux-x64/payload", elf, 7), SG_FILE_CODE);
    assert_int_equal(cls_head("data.bin", "MZ\x90\x00", 4), SG_FILE_CODE);
    assert_int_equal(cls_head("lib/helper.dll", "MZ", 2), SG_FILE_CODE);
    for (i = 0; i < sizeof(macho) / sizeof(macho[0]); i++)
        assert_int_equal(cls_head("bin/darwin", macho[i], 4), SG_FILE_CODE);
    /* the same names without the magic are not code */
    assert_int_equal(cls_head("data.bin", "hello", 5), SG_FILE_OTHER);
    assert_int_equal(cls_head("data.bin",
                              "\x7f"
                              "EL",
                              3),
                     SG_FILE_OTHER);
}

static void test_filetype__shebang_and_exec_bit_are_code(void **state)
{
    (void)state;
    assert_int_equal(cls_head("bin/cli", "#!/usr/bin/env node\n", 20), SG_FILE_CODE);
    assert_int_equal(cls_head("notes.txt", "#!/bin/sh\n", 10), SG_FILE_CODE);
    /* one "#" is no shebang (an extension-less name would be code by itself) */
    assert_int_equal(cls_head("bin/cli.dat", "#", 1), SG_FILE_OTHER);
    assert_int_equal(sg_file_classify("bin/tool", NULL, 0, 1), SG_FILE_CODE);
    assert_int_equal(sg_file_classify("README.md", NULL, 0, 1), SG_FILE_CODE);
    assert_int_equal(sg_file_classify("index.d.ts", NULL, 0, 1), SG_FILE_CODE);
}

static void test_filetype__docs_names_and_extensions_are_docs(void **state)
{
    static const char *const paths[] = {
        "README",         "README.md",  "Readme.markdown", "docs/readme_zh.md",
        "CHANGELOG.md",   "CHANGELOG",  "LICENSE",         "LICENSE-MIT",
        "LICENCE.txt",    "HISTORY.md", "AUTHORS",         "docs/guide.md",
        "x.markdown",     "notes.txt",  "doc/index.rst",   "img/logo.png",
        "a.jpg",          "a.jpeg",     "a.gif",           "icon.svg",
        "favicon.ico",    "a.webp",     ".npmignore",      ".gitignore",
        "sub/.gitignore",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (cls(paths[i]) != SG_FILE_DOCS)
            fail_msg("'%s' is not classified as docs", paths[i]);
    }
}

static void test_filetype__code_extension_beats_doc_name(void **state)
{
    (void)state;
    assert_int_equal(cls("README.js"), SG_FILE_CODE);
    assert_int_equal(cls("license.json"), SG_FILE_CODE);
    assert_int_equal(cls("changelog.sh"), SG_FILE_CODE);
}

static void test_filetype__everything_else_is_other(void **state)
{
    (void)state;
    assert_int_equal(cls("dist/style.css"), SG_FILE_OTHER);
    assert_int_equal(cls("index.html"), SG_FILE_OTHER);
    assert_int_equal(cls("data/table.csv"), SG_FILE_OTHER);
    assert_int_equal(cls("licenser.css"), SG_FILE_OTHER);
    assert_int_equal(cls("config.yml"), SG_FILE_OTHER);
    assert_int_equal(cls("lib/util.min"), SG_FILE_OTHER);
}

/* require('./lib/util') loads a file named lib/util before lib/util.js, and Node runs a file
 * without an extension (path.extname() is '' also for '.hidden') as CommonJS. Documentation
 * names (README, LICENSE-MIT) stay docs: nothing requires them unless code or an entry point
 * names them, and both are compared. */
static void test_filetype__extensionless_files_are_code(void **state)
{
    (void)state;
    assert_int_equal(cls("lib/util"), SG_FILE_CODE);
    assert_int_equal(cls("Makefile"), SG_FILE_CODE);
    assert_int_equal(cls(".hidden"), SG_FILE_CODE);
    assert_int_equal(cls("lib/.eslintrc"), SG_FILE_CODE);
    assert_int_equal(cls("LICENSE"), SG_FILE_DOCS);
    assert_int_equal(cls("README"), SG_FILE_DOCS);
}

static void test_filetype__severity_and_names_per_class(void **state)
{
    (void)state;
    assert_int_equal(sg_file_class_severity(SG_FILE_CODE), SG_SEV_HIGH);
    assert_int_equal(sg_file_class_severity(SG_FILE_TYPES), SG_SEV_MEDIUM);
    assert_int_equal(sg_file_class_severity(SG_FILE_DOCS), SG_SEV_LOW);
    assert_int_equal(sg_file_class_severity(SG_FILE_OTHER), SG_SEV_MEDIUM);
    assert_string_equal(sg_file_class_name(SG_FILE_CODE), "code");
    assert_string_equal(sg_file_class_name(SG_FILE_TYPES), "types");
    assert_string_equal(sg_file_class_name(SG_FILE_DOCS), "docs");
    assert_string_equal(sg_file_class_name(SG_FILE_OTHER), "other");
}

static void test_filetype__null_path_is_other(void **state)
{
    (void)state;
    assert_int_equal(sg_file_classify(NULL, NULL, 0, 0), SG_FILE_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filetype__code_extensions_are_code),
        cmocka_unit_test(test_filetype__extensions_are_case_insensitive),
        cmocka_unit_test(test_filetype__declarations_and_maps_are_types),
        cmocka_unit_test(test_filetype__install_affecting_names_are_code),
        cmocka_unit_test(test_filetype__native_binaries_by_magic_are_code),
        cmocka_unit_test(test_filetype__shebang_and_exec_bit_are_code),
        cmocka_unit_test(test_filetype__docs_names_and_extensions_are_docs),
        cmocka_unit_test(test_filetype__code_extension_beats_doc_name),
        cmocka_unit_test(test_filetype__everything_else_is_other),
        cmocka_unit_test(test_filetype__extensionless_files_are_code),
        cmocka_unit_test(test_filetype__severity_and_names_per_class),
        cmocka_unit_test(test_filetype__null_path_is_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
