/*
 * The order of union members in TypeScript declaration files (diff/dts_union.c) and what the
 * tree diff makes of it (diff/tree_diff.c): a rebuilt .d.ts whose lines differ from the
 * artifact's only in that order is reproduced under the normalization "dts-union-order"; the
 * same reordering in code, a member added, removed or renamed, or a declaration file that an
 * entry point lets Node load, is not.
 */
#include "sg_test.h"

#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "diff/diff_int.h"

/* consola 3.4.2, dist/core.d.ts line 400: the published order and the rebuild's */
#define ART_LINE "    removeReporter(reporter: ConsolaReporter): ConsolaReporter[] | this;"
#define REB_LINE "    removeReporter(reporter: ConsolaReporter): this | ConsolaReporter[];"
#define DTS_HEAD "declare class Consola {\n    /**\n     * Removes a reporter.\n     */\n"
#define DTS_TAIL "    wrapAll(): void;\n}\nexport { Consola };\n"
#define ART_DTS DTS_HEAD ART_LINE "\n" DTS_TAIL
#define REB_DTS DTS_HEAD REB_LINE "\n" DTS_TAIL

#define PKG "{\"name\":\"p\",\"version\":\"1.0.0\",\"scripts\":{\"build\":\"unbuild\"}}"
#define PKG_TYPES_EXPORT                                                                           \
    "{\"name\":\"p\",\"version\":\"1.0.0\",\"exports\":{\".\":{\"import\":{\"types\":"             \
    "\"./dist/index.d.ts\",\"default\":\"./dist/index.mjs\"}}}}"
#define PKG_MAIN_DTS "{\"name\":\"p\",\"version\":\"1.0.0\",\"main\":\"./dist/index.d.ts\"}"

static sg_ctx *ctx;
static sg_report *rep;

static int setup(void **state)
{
    (void)state;
    return sg_ctx_new(&ctx) < 0 || sg_report_new(&rep, ctx) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    sg_report_free(rep);
    sg_ctx_free(ctx);
    rep = NULL;
    ctx = NULL;
    return 0;
}

static int eq(const char *a, const char *b)
{
    int out = -1;
    assert_int_equal(sg_diff__union_lines_equal(&out, a, strlen(a), b, strlen(b)), 0);
    return out;
}

static void test_dts_union__reordered_members_are_equal(void **state)
{
    (void)state;
    assert_true(eq(ART_LINE, REB_LINE));
    assert_true(
        eq("export type Level = 0 | 1 | 2 | 'x|y';", "export type Level = 'x|y' | 2 | 0 | 1;"));
    assert_true(eq("  f(a: A | B, b?: C | D): E;", "  f(a: B | A, b?: D | C): E;"));
    /* nested unions, members that are groups, generic arguments, function results */
    assert_true(
        eq("x: Promise<A | B> | (() => C | D) | E[];", "x: E[] | (() => D | C) | Promise<B | A>;"));
    assert_true(eq("type T<K extends A | B = A> = K extends C | D ? E | F : G | H;",
                   "type T<K extends B | A = A> = K extends D | C ? F | E : H | G;"));
    assert_true(
        eq("type M = { [K in 'a' | 'b']: K | null };", "type M = { [K in 'b' | 'a']: null | K };"));
    /* intersections and type operators bind tighter: they stay with their member */
    assert_true(eq("y: A & B | keyof C | readonly D[];", "y: readonly D[] | A & B | keyof C;"));
    assert_true(eq("a: A | B;\r", "a: B | A;\r"));
}

static void test_dts_union__other_differences_still_count(void **state)
{
    (void)state;
    /* a member added, dropped, renamed or duplicated */
    assert_false(eq("a: A | B;", "a: A | B | C;"));
    assert_false(eq("a: A | B | C;", "a: C | A;"));
    assert_false(eq("a: A | B;", "a: A | Bx;"));
    assert_false(eq("a: A | B | B;", "a: A | A | B;"));
    /* the rest of the line, spacing around the bars included */
    assert_false(eq("a: A | B;", "b: B | A;"));
    assert_false(eq("a: A | B;", "a: B|A;"));
    assert_false(eq("a: A | B;", "a: B | A; "));
    /* a member moved across a boundary or into another union */
    assert_false(eq("f(a: A | B, b: C): D;", "f(a: A | C, b: B): D;"));
    assert_false(eq("x: Promise<A> | B;", "x: Promise<B> | A;"));
    assert_false(eq("x: (A | B)[] | C;", "x: (A | C)[] | B;"));
    /* & binds tighter than |: A & B | C is not A & C | B */
    assert_false(eq("y: A & B | C;", "y: A & C | B;"));
    /* inside strings the bar is text */
    assert_false(eq("s: 'a|b';", "s: 'b|a';"));
    /* a line equal to itself is not a reordering to report, but it is equal */
    assert_true(eq("a: A | B;", "a: A | B;"));
}

static void test_dts_union__lines_it_cannot_read_are_compared_exactly(void **state)
{
    (void)state;
    /* a union the line does not bound: it may continue the line before (keyof, &) or after */
    assert_false(eq("    A | B;", "    B | A;"));
    assert_false(eq("x: A | B", "x: B | A"));
    assert_false(eq("x: A | | B;", "x: B | | A;"));
    /* comments, templates, strings left open, brackets that mismatch */
    assert_false(eq("x: A | B; // c", "x: B | A; // c"));
    assert_false(eq("     * @returns {A | B} x;", "     * @returns {B | A} x;"));
    assert_false(eq("x: `a${A | B}`;", "x: `a${B | A}`;"));
    assert_false(eq("x: 'a | B;", "x: B | 'a;"));
    assert_false(eq("x: (A | B];", "x: (B | A];"));
}

static void test_dts_union__deep_or_long_lines_are_bounded(void **state)
{
    char a[40000], b[40000];
    size_t i, n = 0;
    (void)state;
    /* 40 levels of nesting: more than the depth the reader follows */
    n = (size_t)snprintf(a, sizeof(a), "x: ");
    for (i = 0; i < 40; i++)
        a[n++] = '(';
    memcpy(a + n, "A | B", 5);
    n += 5;
    for (i = 0; i < 40; i++)
        a[n++] = ')';
    a[n++] = ';';
    a[n] = '\0';
    memcpy(b, a, n + 1);
    memcpy(strstr(b, "A | B"), "B | A", 5);
    assert_false(eq(a, b));
    /* a line longer than the reader takes */
    memset(a, ' ', 20000);
    memcpy(a + 20000, "x: A | B;", 10);
    memcpy(b, a, 20000);
    memcpy(b + 20000, "x: B | A;", 10);
    assert_false(eq(a, b));
    assert_true(eq(a + 19990, b + 19990));
}

static void test_dts_union__declaration_paths(void **state)
{
    (void)state;
    assert_true(sg_diff__dts_path("dist/core.d.ts"));
    assert_true(sg_diff__dts_path("dist/core.d.mts"));
    assert_true(sg_diff__dts_path("dist/core.d.cts"));
    assert_false(sg_diff__dts_path("dist/core.ts"));
    assert_false(sg_diff__dts_path("dist/core.mts"));
    assert_false(sg_diff__dts_path("dist/core.js"));
    assert_false(sg_diff__dts_path("dist/core.d.ts.js"));
    assert_false(sg_diff__dts_path(".d.ts"));
}

static void test_dts_union__whole_files(void **state)
{
    sg_union_check uc;
    int same = -1;
    (void)state;
    assert_int_equal(sg_diff__union_order_only(&same, &uc, ctx, ART_DTS, strlen(ART_DTS), REB_DTS,
                                               strlen(REB_DTS)),
                     0);
    assert_true(same);
    assert_int_equal(uc.lines, 1);
    assert_int_equal(uc.first_line, 5);
    assert_string_equal(uc.art,
                        "removeReporter(reporter: ConsolaReporter): ConsolaReporter[] | this;");
    /* a line appended, a final newline dropped */
    assert_int_equal(sg_diff__union_order_only(&same, &uc, ctx, ART_DTS "export {};\n",
                                               strlen(ART_DTS) + 11, REB_DTS, strlen(REB_DTS)),
                     0);
    assert_false(same);
    assert_int_equal(sg_diff__union_order_only(&same, &uc, ctx, ART_DTS, strlen(ART_DTS) - 1,
                                               REB_DTS, strlen(REB_DTS)),
                     0);
    assert_false(same);
}

/* Out of memory is an error, never an answer: no "not equal" that would become a finding. */
static void test_dts_union__out_of_memory_is_an_error(void **state)
{
    sg_union_check uc;
    int out = -1, same = -1;
    long n;
    (void)state;
    for (n = 0; n < 4; n++) {
        sg_alloc__fail_after(n);
        assert_int_equal(sg_diff__union_lines_equal(&out, ART_LINE, strlen(ART_LINE), REB_LINE,
                                                    strlen(REB_LINE)),
                         SG_ENOMEM);
        sg_alloc__fail_after(-1);
        assert_int_equal(out, 0);
    }
    sg_alloc__fail_after(0);
    assert_int_equal(sg_diff__union_order_only(&same, &uc, ctx, ART_DTS, strlen(ART_DTS), REB_DTS,
                                               strlen(REB_DTS)),
                     SG_ENOMEM);
    sg_alloc__fail_after(-1);
    assert_int_equal(same, 0);
    assert_non_null(strstr(sg_error_message(ctx), "out of memory"));
    sg_error_clear(ctx);
}

/* Diff an artifact whose file path is art against a rebuild that made reb there. */
static void diff_rebuilt(const char *pkg, const char *path, const char *art, const char *reb)
{
    const sgt_file src[] = {{"package.json", pkg, 0, 0}};
    const sgt_file a[] = {{"package.json", pkg, 0, 0}, {path, art, 0, 0}};
    const sgt_file r[] = {{"package.json", pkg, 0, 0}, {path, reb, 0, 0}};
    sg_tree *st = sgt_tree(src, 1), *at = sgt_tree(a, 2), *rt = sgt_tree(r, 2);
    sg_diff_opts opts = SG_DIFF_OPTS_INIT;
    int rc;

    sg_report_free(rep);
    assert_int_equal(sg_report_new(&rep, ctx), 0);
    opts.rebuilt = rt;
    if ((rc = sg_diff_trees(rep, ctx, st, at, &opts)) != 0)
        fail_msg("sg_diff_trees failed: %d %s", rc, sg_error_message(ctx));
    sg_tree_free(st);
    sg_tree_free(at);
    sg_tree_free(rt);
}

static const sg_finding *finding_for(const char *path)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(rep); i++)
        if (sg_report_finding(rep, i)->path && strcmp(sg_report_finding(rep, i)->path, path) == 0)
            return sg_report_finding(rep, i);
    fail_msg("no finding for %s", path);
    return NULL;
}

static int has_normalization(const char *name)
{
    size_t i;
    for (i = 0; i < sg_report_normalization_count(rep); i++)
        if (strcmp(sg_report_normalization(rep, i), name) == 0)
            return 1;
    return 0;
}

static void test_dts_union__reordered_declaration_file_is_reproduced(void **state)
{
    const char *paths[] = {"dist/core.d.ts", "dist/core.d.mts", "dist/core.d.cts"};
    const sg_finding *f;
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(paths); i++) {
        diff_rebuilt(PKG, paths[i], ART_DTS, REB_DTS);
        f = finding_for(paths[i]);
        assert_string_equal(f->kind, "file-modified");
        assert_int_equal(f->severity, SG_SEV_LOW);
        assert_non_null(strstr(f->detail, "except the order of union members on 1 line"));
        assert_non_null(strstr(f->detail, "first at line 5"));
        assert_true(has_normalization("dts-union-order"));
        assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_REBUILT), 1);
        assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
    }
    /* named by an exports "types" condition: Node does not load it */
    diff_rebuilt(PKG_TYPES_EXPORT, "dist/index.d.ts", ART_DTS, REB_DTS);
    assert_true(has_normalization("dts-union-order"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
}

static void test_dts_union__same_reordering_in_code_fails(void **state)
{
    const sg_finding *f;
    (void)state;
    diff_rebuilt(PKG, "dist/core.js", "const f = (a) => a.x | a.y;\nexport { f };\n",
                 "const f = (a) => a.y | a.x;\nexport { f };\n");
    f = finding_for("dist/core.js");
    assert_string_equal(f->kind, "file-modified");
    assert_int_equal(f->severity, SG_SEV_HIGH);
    assert_false(has_normalization("dts-union-order"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
    /* a .ts source file is code too */
    diff_rebuilt(PKG, "src/core.ts", ART_DTS, REB_DTS);
    assert_string_equal(finding_for("src/core.ts")->kind, "file-modified");
    assert_false(has_normalization("dts-union-order"));
}

static void test_dts_union__declaration_file_node_loads_is_not_normalized(void **state)
{
    const sg_finding *f;
    (void)state;
    /* main names it: Node runs it as JavaScript */
    diff_rebuilt(PKG_MAIN_DTS, "dist/index.d.ts", ART_DTS, REB_DTS);
    f = finding_for("dist/index.d.ts");
    assert_string_equal(f->kind, "file-modified");
    assert_int_equal(f->severity, SG_SEV_HIGH);
    assert_false(has_normalization("dts-union-order"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
    /* a shebang makes it a script */
    diff_rebuilt(PKG, "dist/index.d.ts", "#!/usr/bin/env node\n" ART_DTS,
                 "#!/usr/bin/env node\n" REB_DTS);
    assert_string_equal(finding_for("dist/index.d.ts")->kind, "file-modified");
    assert_false(has_normalization("dts-union-order"));
}

static void test_dts_union__added_member_in_declaration_file_fails(void **state)
{
    const sg_finding *f;
    (void)state;
    diff_rebuilt(PKG_TYPES_EXPORT, "dist/index.d.ts",
                 DTS_HEAD
                 "    removeReporter(reporter: ConsolaReporter): ConsolaReporter[] | this | "
                 "any;\n" DTS_TAIL,
                 REB_DTS);
    f = finding_for("dist/index.d.ts");
    assert_string_equal(f->kind, "file-modified");
    assert_int_equal(f->severity, SG_SEV_HIGH); /* an entry point names it */
    assert_false(has_normalization("dts-union-order"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
    /* a reordered line next to a changed one */
    diff_rebuilt(PKG, "dist/index.d.ts", ART_DTS "export declare const v: 1 | 2;\n",
                 REB_DTS "export declare const v: 1 | 3;\n");
    f = finding_for("dist/index.d.ts");
    assert_string_equal(f->kind, "file-modified");
    assert_int_equal(f->severity, SG_SEV_MEDIUM);
    assert_false(has_normalization("dts-union-order"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_MEDIUM), SG_VERDICT_FAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dts_union__reordered_members_are_equal),
        cmocka_unit_test(test_dts_union__other_differences_still_count),
        cmocka_unit_test(test_dts_union__lines_it_cannot_read_are_compared_exactly),
        cmocka_unit_test(test_dts_union__deep_or_long_lines_are_bounded),
        cmocka_unit_test(test_dts_union__declaration_paths),
        cmocka_unit_test(test_dts_union__whole_files),
        cmocka_unit_test(test_dts_union__out_of_memory_is_an_error),
        cmocka_unit_test(test_dts_union__reordered_declaration_file_is_reproduced),
        cmocka_unit_test(test_dts_union__same_reordering_in_code_fails),
        cmocka_unit_test(test_dts_union__declaration_file_node_loads_is_not_normalized),
        cmocka_unit_test(test_dts_union__added_member_in_declaration_file_fails),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
