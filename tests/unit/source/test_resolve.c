/*
 * Tests of verifier/source/resolve.c: from a release (name, version, gitHead, provenance, directory)
 * to its commit in fixture repositories made with libgit2: every tag naming scheme, gitHead,
 * provenance, disagreements, moved tags, orphan commits, placeholder versions, history,
 * nothing at all (with the nearest earlier release), and monorepos.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "verifier/source/source_int.h"

static sg_ctx *ctx_new(void)
{
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    return ctx;
}

static char *new_repo(void)
{
    const char *tmp = sgt_tmpdir();
    size_t n = strlen(tmp) + 8;
    char *dir = malloc(n);
    snprintf(dir, n, "%s/r", tmp);
    sgt_git_init(dir, 0);
    return dir;
}

/* Commit a package.json (at folder/, "" for the root) with name and version (version NULL:
 * no version field) plus a file that makes each commit distinct. */
static void commit_pkg(char out[41], const char *repo, const char *branch, const char *folder,
                       const char *name, const char *version, int64_t t)
{
    char pj[512], path[256], note[64];
    sgt_file files[2];

    if (version)
        snprintf(pj, sizeof(pj), "{\"name\": \"%s\", \"version\": \"%s\"}\n", name, version);
    else
        snprintf(pj, sizeof(pj), "{\"name\": \"%s\"}\n", name);
    snprintf(path, sizeof(path), "%s%spackage.json", folder, *folder ? "/" : "");
    snprintf(note, sizeof(note), "commit at %lld\n", (long long)t);
    files[0].path = path;
    files[0].content = pj;
    files[0].len = 0;
    files[0].mode = 0;
    files[1].path = "NOTES.txt";
    files[1].content = note;
    files[1].len = 0;
    files[1].mode = 0;
    sgt_git_commit(out, repo, branch, files, 2, "commit", t);
}

typedef struct run {
    sg_ctx *ctx;
    sg_git_repo *repo;
    sg_report *report;
    sg_resolution res;
} run;

static void resolve(run *r, const char *dir, const sg_release_hints *h)
{
    r->ctx = ctx_new();
    assert_int_equal(sg_git_repo_open(&r->repo, r->ctx, dir), 0);
    assert_int_equal(sg_report_new(&r->report, r->ctx), 0);
    sg_resolution_init(&r->res);
    if (sg_resolve_commit(&r->res, r->ctx, r->repo, h, r->report) != 0)
        fail_msg("resolve: %s", sg_error_message(r->ctx));
    assert_int_equal(sg_error_code_of(r->ctx), 0);
}

static void run_dispose(run *r)
{
    sg_resolution_dispose(&r->res);
    sg_report_free(r->report);
    sg_git_repo_free(r->repo);
    sg_ctx_free(r->ctx);
}

static size_t count_kind(const sg_report *rep, const char *kind)
{
    size_t i, n = 0;
    for (i = 0; i < sg_report_finding_count(rep); i++)
        n += strcmp(sg_report_finding(rep, i)->kind, kind) == 0;
    return n;
}

static const sg_finding *find_kind(const sg_report *rep, const char *kind)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(rep); i++)
        if (strcmp(sg_report_finding(rep, i)->kind, kind) == 0)
            return sg_report_finding(rep, i);
    return NULL;
}

static void expect_commit(const run *r, const char *commit, const char *by)
{
    if (strcmp(r->res.commit, commit) != 0 || !r->res.resolved_by ||
        strcmp(r->res.resolved_by, by) != 0)
        fail_msg("got %s by %s, want %s by %s; tried:\n%s", r->res.commit,
                 r->res.resolved_by ? r->res.resolved_by : "(none)", commit, by, r->res.tried.ptr);
}

static void expect_tried(const run *r, const char *text)
{
    if (!strstr(r->res.tried.ptr, text))
        fail_msg("tried lacks '%s':\n%s", text, r->res.tried.ptr);
}

/* ---- tags ---- */

static void test_resolve__each_tag_scheme_names_the_commit(void **state)
{
    static const struct {
        const char *name;
        const char *tag;
        int annotated;
    } cases[] = {
        {"pkg", "v1.2.3", 0},
        {"pkg", "v1.2.3", 1},
        {"pkg", "1.2.3", 0},
        {"pkg", "pkg@1.2.3", 1},
        {"@scope/pkg", "@scope/pkg@1.2.3", 0},
        {"@scope/pkg", "pkg@1.2.3", 1},
        {"@scope/pkg", "pkg-v1.2.3", 0},
        {"pkg", "pkg-v1.2.3", 0},
        {"pkg", "release-1.2.3", 1},
        {"pkg", "release/1.2.3", 0},
        {"pkg", "V1.2.3", 0},
        {"pkg", "Release-1.2.3", 1},
        {"@Scope/Pkg", "@scope/pkg@1.2.3", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char c1[41], c2[41], c2b[41], c3[41];
        char *dir = new_repo();
        sg_release_hints h = {cases[i].name, "1.2.3", NULL, NULL, NULL, NULL, 0};
        run r;

        commit_pkg(c1, dir, NULL, "", cases[i].name, "1.2.2", 0);
        commit_pkg(c2, dir, NULL, "", cases[i].name, "1.2.3", 10);  /* the bump */
        commit_pkg(c2b, dir, NULL, "", cases[i].name, "1.2.3", 20); /* released from here */
        commit_pkg(c3, dir, NULL, "", cases[i].name, "1.2.4", 30);
        sgt_git_tag(dir, cases[i].tag, c2b, cases[i].annotated);
        resolve(&r, dir, &h);
        /* the tag decided: history alone would have named the bump commit */
        expect_commit(&r, c2b, "tag");
        assert_string_equal(r.res.ref, cases[i].tag);
        assert_string_equal(r.res.subdir, "");
        assert_int_equal(sg_report_finding_count(r.report), 0);
        run_dispose(&r);
        free(dir);
    }
}

static void test_resolve__case_insensitive_match_only_after_exact(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.2.3", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "1.2.3", 10);
    sgt_git_tag(dir, "V1.2.3", c1, 0);        /* case-insensitive v{V} */
    sgt_git_tag(dir, "release-1.2.3", c2, 0); /* exact, later pattern */
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "tag");
    assert_string_equal(r.res.ref, "release-1.2.3");
    run_dispose(&r);

    /* without the exact one the case-insensitive tag decides, and says so */
    {
        git_repository *g = NULL;
        assert_int_equal(git_repository_open(&g, dir), 0);
        assert_int_equal(git_tag_delete(g, "release-1.2.3"), 0);
        git_repository_free(g);
    }
    resolve(&r, dir, &h);
    expect_commit(&r, c1, "tag");
    assert_string_equal(r.res.ref, "V1.2.3");
    expect_tried(&r, "tag: V1.2.3 (case-insensitive) -> ");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__pattern_order_prefers_v_prefix(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "2.0.0", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "2.0.0", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "2.0.0", 10);
    sgt_git_tag(dir, "2.0.0", c1, 0);
    sgt_git_tag(dir, "v2.0.0", c2, 0);
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "tag");
    assert_string_equal(r.res.ref, "v2.0.0");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__tag_on_a_tree_is_not_a_commit(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.0.0", NULL, NULL, NULL, NULL, 0};
    git_repository *g = NULL;
    git_commit *commit = NULL;
    git_reference *ref = NULL;
    git_oid id;
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "0.9.0", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "1.0.0", 10);
    assert_int_equal(git_repository_open(&g, dir), 0);
    assert_int_equal(git_oid_fromstr(&id, c2), 0);
    assert_int_equal(git_commit_lookup(&commit, g, &id), 0);
    assert_int_equal(
        git_reference_create(&ref, g, "refs/tags/v1.0.0", git_commit_tree_id(commit), 1, NULL), 0);
    git_reference_free(ref);
    git_commit_free(commit);
    git_repository_free(g);
    resolve(&r, dir, &h);
    expect_tried(&r, "tag: v1.0.0 -> a tree, not a commit");
    expect_commit(&r, c2, "history");
    run_dispose(&r);
    free(dir);
}

/* ---- gitHead and provenance ---- */

static void test_resolve__git_head_names_the_commit(void **state)
{
    char c1[41], c2[41], c3[41], abbrev[11];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.2.3", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "1.2.3", 10);
    commit_pkg(c3, dir, NULL, "", "pkg", "1.3.0", 20);
    h.git_head = c2;
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "gitHead");
    assert_string_equal(r.res.ref, "");
    assert_int_equal(sg_report_finding_count(r.report), 0); /* reachable, no disagreement */
    expect_tried(&r, "gitHead: ");
    run_dispose(&r);

    /* an abbreviated gitHead works too */
    memcpy(abbrev, c2, 10);
    abbrev[10] = '\0';
    h.git_head = abbrev;
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "gitHead");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__provenance_commit_comes_first(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.2.3", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "1.2.3", 10);
    sgt_git_tag(dir, "v1.2.3", c2, 1);
    h.provenance_commit = c2;
    h.git_head = c2;
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "provenance");
    assert_string_equal(r.res.ref, "v1.2.3"); /* the agreeing tag is named */
    assert_int_equal(sg_report_finding_count(r.report), 0);
    expect_tried(&r, "provenance: ");
    expect_tried(&r, "tag: v1.2.3 -> ");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__git_head_and_tag_disagree_is_ref_mismatch(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    const sg_finding *f;
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.2.3", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "1.2.3", 10);
    sgt_git_tag(dir, "v1.2.3", c2, 0);
    h.git_head = c1;
    resolve(&r, dir, &h);
    expect_commit(&r, c1, "gitHead");
    assert_int_equal(count_kind(r.report, "ref-mismatch"), 1);
    f = find_kind(r.report, "ref-mismatch");
    assert_int_equal(f->severity, SG_SEV_HIGH);
    assert_non_null(strstr(f->detail, c1));
    assert_non_null(strstr(f->detail, c2));
    assert_non_null(strstr(f->detail, "v1.2.3"));
    assert_string_equal(r.res.ref, ""); /* the tag names another commit */
    run_dispose(&r);

    /* provenance, gitHead and tag all different: two disagreements with the chosen one */
    {
        char c3[41];
        commit_pkg(c3, dir, NULL, "", "pkg", "1.2.3", 20);
        h.provenance_commit = c3;
        resolve(&r, dir, &h);
        expect_commit(&r, c3, "provenance");
        assert_int_equal(count_kind(r.report, "ref-mismatch"), 2);
        run_dispose(&r);
    }
    free(dir);
}

static void test_resolve__rejected_candidates_are_not_a_mismatch(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.2.3", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "1.3.0", 10);
    sgt_git_tag(dir, "v1.2.3", c2, 0); /* wrong version there */
    h.git_head = c1;
    resolve(&r, dir, &h);
    expect_commit(&r, c1, "gitHead");
    assert_int_equal(count_kind(r.report, "ref-mismatch"), 0);
    expect_tried(&r, "has version '1.3.0', not 1.2.3");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__moved_tag_is_rejected_and_history_decides(void **state)
{
    char c1[41], c2[41], c3[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.2.2", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "1.2.3", 10);
    commit_pkg(c3, dir, NULL, "", "pkg", "1.3.0", 20);
    sgt_git_tag(dir, "v1.2.3", c3, 1); /* moved after the release */
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "history");
    assert_string_equal(r.res.ref, "");
    expect_tried(&r, "tag: v1.2.3 -> ");
    expect_tried(&r, "has version '1.3.0', not 1.2.3");
    expect_tried(&r, "history: ");
    assert_int_equal(count_kind(r.report, "ref-unresolved"), 0);
    run_dispose(&r);
    free(dir);
}

/* semantic-release never commits the version: the exact tag v1.1.0 is on a commit whose
 * package.json still says 1.0.0. Nothing else names 1.1.0, so the tag decides, last. */
static void test_resolve__stale_version_at_exact_tag_is_the_last_resort(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.1.0", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.0.0", 0);
    sgt_git_tag(dir, "v1.0.0", c1, 1);
    commit_pkg(c2, dir, NULL, "", "pkg", "1.0.0", 10);
    sgt_git_tag(dir, "v1.1.0", c2, 0);
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "tag");
    assert_string_equal(r.res.ref, "v1.1.0");
    expect_tried(&r, "has version '1.0.0', not 1.1.0");
    expect_tried(&r, "history: ");
    expect_tried(&r, "(last resort: an older version at the tag) -> ");
    expect_tried(&r, "its package.json still says '1.0.0'");
    assert_int_equal(count_kind(r.report, "ref-unresolved"), 0);
    run_dispose(&r);
    free(dir);
}

/* The last resort takes neither a tag whose package.json carries a newer release, nor a tag
 * that only matches ignoring case, nor one for a version that history does introduce. */
static void test_resolve__stale_tag_rule_is_narrow(void **state)
{
    char c1[41], c2[41], c3[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.1.0", NULL, NULL, NULL, NULL, 0};
    sg_release_hints h2 = {"pkg", "2.0.0", NULL, NULL, NULL, NULL, 0};
    sg_release_hints h3 = {"pkg", "1.5.0", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.2.0", 0);
    sgt_git_tag(dir, "v1.1.0", c1, 1); /* newer than the tag says */
    sgt_git_tag(dir, "V2.0.0", c1, 1); /* older, but only ignoring case */
    resolve(&r, dir, &h);
    assert_string_equal(r.res.commit, "");
    assert_int_equal(count_kind(r.report, "ref-unresolved"), 1);
    run_dispose(&r);
    resolve(&r, dir, &h2);
    assert_string_equal(r.res.commit, "");
    assert_int_equal(count_kind(r.report, "ref-unresolved"), 1);
    run_dispose(&r);

    commit_pkg(c2, dir, NULL, "", "pkg", "1.2.0", 10);
    sgt_git_tag(dir, "v1.5.0", c2, 1); /* stale, but history has the real bump */
    commit_pkg(c3, dir, NULL, "", "pkg", "1.5.0", 20);
    resolve(&r, dir, &h3);
    expect_commit(&r, c3, "history");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__orphan_git_head_is_ref_unreachable(void **state)
{
    char c1[41], orphan[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    git_repository *g = NULL;
    git_reference *ref = NULL;
    const sg_finding *f;
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.0.0", 0);
    sgt_git_tag(dir, "v1.0.0", c1, 0);
    commit_pkg(orphan, dir, "scratch", "", "pkg", "1.2.3", 10); /* a root commit */
    assert_int_equal(git_repository_open(&g, dir), 0);
    assert_int_equal(git_reference_lookup(&ref, g, "refs/heads/scratch"), 0);
    assert_int_equal(git_reference_delete(ref), 0);
    git_reference_free(ref);
    git_repository_free(g);
    h.git_head = orphan;
    resolve(&r, dir, &h);
    expect_commit(&r, orphan, "gitHead");
    assert_int_equal(count_kind(r.report, "ref-unreachable"), 1);
    f = find_kind(r.report, "ref-unreachable");
    assert_int_equal(f->severity, SG_SEV_MEDIUM);
    assert_non_null(strstr(f->detail, orphan));
    run_dispose(&r);

    /* the same commit on a branch is reachable */
    sgt_git_tag(dir, "keep", orphan, 0);
    resolve(&r, dir, &h);
    expect_commit(&r, orphan, "gitHead");
    assert_int_equal(count_kind(r.report, "ref-unreachable"), 0);
    run_dispose(&r);
    free(dir);
}

static void test_resolve__bad_git_heads_are_noted_and_skipped(void **state)
{
    static const struct {
        const char *head;
        const char *outcome;
    } cases[] = {
        {"HEAD~1", "not a commit id"},
        {"main", "not a commit id"},
        {"abc", "not a commit id"},
        {"0123456789abcdef0123456789abcdef01234567", "not in the repository"},
        {"0123456789abcdef0123456789abcdef012345678", "not a commit id"},
    };
    char c1[41];
    char *dir = new_repo();
    size_t i;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.2.3", 0);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sg_release_hints h = {"pkg", "1.2.3", cases[i].head, NULL, NULL, NULL, 0};
        run r;
        resolve(&r, dir, &h);
        expect_tried(&r, cases[i].outcome);
        expect_commit(&r, c1, "history");
        run_dispose(&r);
    }
    free(dir);
}

/* ---- placeholders ---- */

static void test_resolve__placeholder_versions_in_git(void **state)
{
    static const struct {
        const char *in_git; /* NULL: no version field */
        int accepted;       /* 1: as a placeholder; 2: only as the last resort (an older
                               release at the exact tag, see the stale-tag tests) */
    } cases[] = {
        {"0.0.0", 1},
        {"0.0.0-development", 1},
        {"0.0.0-semantically-released", 1},
        {"0.0.0+build", 1},
        {"DO NOT EDIT: set at publish", 1},
        {"do-not-change", 1},
        {"version placeholder", 1},
        {"1.0.0", 2},
        {"latest", 0},
        {"1.2.3-placeholder-like", 2},
        {"2.0.0", 0},
        {NULL, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char c1[41];
        char *dir = new_repo();
        sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
        run r;

        commit_pkg(c1, dir, NULL, "", "pkg", cases[i].in_git, 0);
        sgt_git_tag(dir, "v1.2.3", c1, 0);
        resolve(&r, dir, &h);
        if (cases[i].accepted == 1) {
            expect_commit(&r, c1, "tag");
            expect_tried(&r, "placeholder version");
        } else if (cases[i].accepted == 2) {
            expect_commit(&r, c1, "tag");
            expect_tried(&r, "(last resort: an older version at the tag)");
            assert_null(strstr(r.res.tried.ptr, "placeholder version"));
        } else if (r.res.commit[0]) {
            fail_msg("'%s' accepted; tried:\n%s", cases[i].in_git ? cases[i].in_git : "(none)",
                     r.res.tried.ptr);
        } else {
            assert_int_equal(count_kind(r.report, "ref-unresolved"), 1);
        }
        run_dispose(&r);
        free(dir);
    }
}

static void test_resolve__hostile_strings_cannot_forge_tried_lines(void **state)
{
    char c1[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", "\nprovenance: abc -> ok", NULL, NULL, NULL, 0};
    sgt_file files[] = {
        {"package.json", "{\"name\": \"pkg\", \"version\": \"1.0.0\\ntag: v1.2.3 -> 1234567 ok\"}",
         0, 0},
    };
    const char *line;
    run r;

    (void)state;
    sgt_git_commit(c1, dir, NULL, files, 1, "hostile", 0);
    sgt_git_tag(dir, "v1.2.3", c1, 0);
    resolve(&r, dir, &h);
    assert_string_equal(r.res.commit, "");
    for (line = r.res.tried.ptr; line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, "provenance:", 11) == 0 ||
            strncmp(line, "tag: v1.2.3 -> 1234567", 22) == 0)
            fail_msg("forged line in:\n%s", r.res.tried.ptr);
    }
    expect_tried(&r, "has version '1.0.0?tag: v1.2.3 -> 1234567 ok', not 1.2.3");
    expect_tried(&r, "gitHead: ?provenance: abc -> ok -> not a commit id");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__wrong_name_is_rejected(void **state)
{
    char c1[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "other-pkg", "1.2.3", 0);
    sgt_git_tag(dir, "v1.2.3", c1, 0);
    resolve(&r, dir, &h);
    assert_string_equal(r.res.commit, "");
    expect_tried(&r, "no package.json named 'pkg'");
    assert_int_equal(count_kind(r.report, "ref-unresolved"), 1);
    run_dispose(&r);
    free(dir);
}

/* ---- history ---- */

static void test_resolve__history_finds_the_bump_commit_without_tags(void **state)
{
    char c1[41], c2[41], c3[41], c4[41], c5[41], c6[41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.0.0", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "1.1.0", 10);
    commit_pkg(c3, dir, NULL, "", "pkg", "1.2.3", 20); /* the bump */
    commit_pkg(c4, dir, NULL, "", "pkg", "1.2.3", 30);
    commit_pkg(c5, dir, NULL, "", "pkg", "1.3.0", 40);
    commit_pkg(c6, dir, NULL, "", "pkg", "1.2.3", 50); /* set back later: not the release */
    resolve(&r, dir, &h);
    expect_commit(&r, c3, "history");
    expect_tried(&r, "tag: none of v1.2.3, 1.2.3, pkg@1.2.3, pkg-v1.2.3, release-1.2.3, "
                     "release/1.2.3 exists");
    expect_tried(&r, "walked 6 commits");
    assert_int_equal(sg_report_finding_count(r.report), 0);
    run_dispose(&r);

    /* a version only on a side branch is found too */
    {
        char b1[41];
        sg_release_hints h2 = {"pkg", "2.0.0-beta.1", NULL, NULL, NULL, NULL, 0};
        commit_pkg(b1, dir, "next", "", "pkg", "2.0.0-beta.1", 60);
        resolve(&r, dir, &h2);
        expect_commit(&r, b1, "history");
        run_dispose(&r);
    }
    free(dir);
}

static void test_resolve__history_walk_is_bounded(void **state)
{
    char c[6][41];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.0.0", NULL, NULL, NULL, NULL, 0};
    size_t saved = sg_resolve__max_commits;
    int i;
    run r;

    (void)state;
    commit_pkg(c[0], dir, NULL, "", "pkg", "1.0.0", 0);
    for (i = 1; i < 6; i++)
        commit_pkg(c[i], dir, NULL, "", "pkg", "1.0.1", i * 10);
    sg_resolve__max_commits = 3;
    resolve(&r, dir, &h);
    sg_resolve__max_commits = saved;
    assert_string_equal(r.res.commit, "");
    expect_tried(&r, "walked 3 commits, the bound");
    run_dispose(&r);
    resolve(&r, dir, &h);
    expect_commit(&r, c[0], "history");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__hostile_package_json_is_not_the_package(void **state)
{
    char c1[41], c2[41], deep[3000];
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.2.3", NULL, NULL, NULL, NULL, 0};
    sgt_file bad[] = {{"package.json", "{\"name\": \"pkg\", \"version\": \"1.2.3\"", 0, 0}};
    sgt_file nested[] = {{"package.json", deep, 0, 0}};
    run r;
    size_t i;

    (void)state;
    for (i = 0; i < 1400; i++)
        deep[i] = '[';
    for (; i < 2800; i++)
        deep[i] = ']';
    deep[i] = '\0';
    commit_pkg(c1, dir, NULL, "", "pkg", "1.2.3", 0);
    sgt_git_commit(c2, dir, NULL, bad, 1, "truncated json", 10);
    sgt_git_tag(dir, "v1.2.3", c2, 0);
    sgt_git_commit(NULL, dir, NULL, nested, 1, "deep json", 20);
    resolve(&r, dir, &h);
    expect_commit(&r, c1, "history");
    expect_tried(&r, "no package.json named 'pkg'");
    run_dispose(&r);
    free(dir);
}

/* ---- nothing found ---- */

static void test_resolve__nothing_found_is_ref_unresolved_with_earlier_release(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    const char *earlier[] = {"1.1.5", "1.1.0", "1.0.0"};
    sg_release_hints h = {"axios", "1.2.0", "0123456789abcdef0123456789abcdef01234567", NULL, NULL,
                          earlier, 3};
    const sg_finding *f;
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "axios", "1.0.0", 0);
    sgt_git_tag(dir, "v1.0.0", c1, 1);
    commit_pkg(c2, dir, NULL, "", "axios", "1.1.0", 10);
    sgt_git_tag(dir, "v1.1.0", c2, 1);
    resolve(&r, dir, &h);
    assert_string_equal(r.res.commit, "");
    assert_null(r.res.resolved_by);
    assert_int_equal(count_kind(r.report, "ref-unresolved"), 1);
    f = find_kind(r.report, "ref-unresolved");
    assert_int_equal(f->severity, SG_SEV_HIGH);
    assert_string_equal(f->detail, "no tag, gitHead or history commit has version 1.2.0");
    expect_tried(&r, "gitHead: 0123456789abcdef0123456789abcdef01234567 -> not in the repository");
    assert_string_equal(r.res.compared_commit, c2);
    assert_string_equal(r.res.compared_ref, "v1.1.0");
    assert_string_equal(r.res.compared_version, "1.1.0");
    expect_tried(&r, "earlier 1.1.0: tag: v1.1.0 -> ");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__earlier_release_by_history_when_untagged(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    const char *earlier[] = {"0.9.0", "0.8.0"};
    sg_release_hints h = {"pkg", "1.0.0", NULL, NULL, NULL, earlier, 2};
    run r;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "0.8.0", 0);
    commit_pkg(c2, dir, NULL, "", "pkg", "0.9.0", 10);
    resolve(&r, dir, &h);
    assert_string_equal(r.res.commit, "");
    assert_string_equal(r.res.compared_commit, c2);
    assert_string_equal(r.res.compared_ref, "");
    assert_string_equal(r.res.compared_version, "0.9.0");
    run_dispose(&r);

    /* no earlier version resolves: said so, compared_* empty */
    {
        const char *none[] = {"0.1.0"};
        sg_release_hints h2 = {"pkg", "1.0.0", NULL, NULL, NULL, none, 1};
        resolve(&r, dir, &h2);
        assert_string_equal(r.res.compared_commit, "");
        expect_tried(&r, "earlier: none of 1 earlier versions resolves");
        run_dispose(&r);
    }
    free(dir);
}

static void test_resolve__empty_repository_is_unresolved(void **state)
{
    char *dir = new_repo();
    sg_release_hints h = {"pkg", "1.0.0", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    resolve(&r, dir, &h);
    assert_string_equal(r.res.commit, "");
    assert_int_equal(count_kind(r.report, "ref-unresolved"), 1);
    run_dispose(&r);
    free(dir);
}

/* ---- monorepos ---- */

static void test_resolve__monorepo_with_repository_directory(void **state)
{
    static const char *const dirs[] = {"libs/the-core", "./libs//the-core/"};
    char c1[41];
    char *dir = new_repo();
    sgt_file files[] = {
        {"package.json", "{\"name\": \"acme-monorepo\", \"private\": true, \"version\": \"0.0.0\"}",
         0, 0},
        {"libs/the-core/package.json", "{\"name\": \"@acme/core\", \"version\": \"2.0.0\"}", 0, 0},
        {"libs/the-core/index.js", "module.exports = 1;\n", 0, 0},
        {"packages/core/package.json", "{\"name\": \"@acme/core-legacy\", \"version\": \"2.0.0\"}",
         0, 0},
    };
    size_t i;

    (void)state;
    sgt_git_commit(c1, dir, NULL, files, 4, "mono", 0);
    sgt_git_tag(dir, "@acme/core@2.0.0", c1, 1);
    for (i = 0; i < 2; i++) {
        sg_release_hints h = {"@acme/core", "2.0.0", NULL, NULL, dirs[i], NULL, 0};
        run r;
        resolve(&r, dir, &h);
        expect_commit(&r, c1, "tag");
        assert_string_equal(r.res.subdir, "libs/the-core");
        run_dispose(&r);
    }
    free(dir);
}

static void test_resolve__monorepo_packages_folder_without_directory(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    sgt_file v1[] = {
        {"package.json", "{\"name\": \"root\", \"private\": true}", 0, 0},
        {"packages/util/package.json", "{\"name\": \"@acme/util\", \"version\": \"3.0.0\"}", 0, 0},
    };
    sgt_file v2[] = {
        {"package.json", "{\"name\": \"root\", \"private\": true}", 0, 0},
        {"packages/util/package.json", "{\"name\": \"@acme/util\", \"version\": \"3.1.0\"}", 0, 0},
    };
    sg_release_hints h = {"@acme/util", "3.1.0", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    sgt_git_commit(c1, dir, NULL, v1, 2, "3.0.0", 0);
    sgt_git_commit(c2, dir, NULL, v2, 2, "3.1.0", 10);
    sgt_git_tag(dir, "util@3.1.0", c2, 0);
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "tag");
    assert_string_equal(r.res.subdir, "packages/util");
    run_dispose(&r);

    /* history in the package folder */
    {
        sg_release_hints h2 = {"@acme/util", "3.0.0", NULL, NULL, NULL, NULL, 0};
        resolve(&r, dir, &h2);
        expect_commit(&r, c1, "history");
        assert_string_equal(r.res.subdir, "packages/util");
        run_dispose(&r);
    }
    /* unresolved: the earlier release is compared in its package folder */
    {
        const char *earlier[] = {"3.1.0"};
        sg_release_hints h3 = {"@acme/util", "3.2.0", NULL, NULL, NULL, earlier, 1};
        resolve(&r, dir, &h3);
        assert_string_equal(r.res.commit, "");
        assert_string_equal(r.res.compared_commit, c2);
        assert_string_equal(r.res.compared_ref, "util@3.1.0");
        assert_string_equal(r.res.subdir, "packages/util");
        run_dispose(&r);
    }
    free(dir);
}

static void test_resolve__monorepo_package_found_by_search(void **state)
{
    char c1[41], c2[41];
    char *dir = new_repo();
    sgt_file v1[] = {
        {"package.json", "{\"name\": \"root\", \"private\": true}", 0, 0},
        {"node_modules/widget/package.json", "{\"name\": \"widget\", \"version\": \"1.0.0\"}", 0,
         0},
        {".hidden/widget/package.json", "{\"name\": \"widget\", \"version\": \"1.0.0\"}", 0, 0},
        {"modules/ui/widget-pkg/package.json", "{\"name\": \"widget\", \"version\": \"0.9.0\"}", 0,
         0},
        {"modules/ui/other/package.json", "{\"name\": \"other\", \"version\": \"1.0.0\"}", 0, 0},
    };
    sgt_file v2[] = {
        {"package.json", "{\"name\": \"root\", \"private\": true}", 0, 0},
        {"node_modules/widget/package.json", "{\"name\": \"widget\", \"version\": \"1.0.0\"}", 0,
         0},
        {".hidden/widget/package.json", "{\"name\": \"widget\", \"version\": \"1.0.0\"}", 0, 0},
        {"modules/ui/widget-pkg/package.json", "{\"name\": \"widget\", \"version\": \"1.0.0\"}", 0,
         0},
        {"modules/ui/other/package.json", "{\"name\": \"other\", \"version\": \"1.0.0\"}", 0, 0},
    };
    sg_release_hints h = {"widget", "1.0.0", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    sgt_git_commit(c1, dir, NULL, v1, 5, "0.9.0", 0);
    sgt_git_commit(c2, dir, NULL, v2, 5, "1.0.0", 10);
    sgt_git_tag(dir, "widget@1.0.0", c2, 0);
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "tag");
    assert_string_equal(r.res.subdir, "modules/ui/widget-pkg");
    run_dispose(&r);

    /* without tags: history over the searched folder, not node_modules */
    {
        git_repository *g = NULL;
        assert_int_equal(git_repository_open(&g, dir), 0);
        assert_int_equal(git_tag_delete(g, "widget@1.0.0"), 0);
        git_repository_free(g);
    }
    resolve(&r, dir, &h);
    expect_commit(&r, c2, "history");
    assert_string_equal(r.res.subdir, "modules/ui/widget-pkg");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__search_through_many_folders(void **state)
{
    /* more folders than the search queue's first allocation: it grows while a folder is
     * being read (a use-after-free under ASan before the fix) */
    char c1[41], names[120][32];
    char *dir = new_repo();
    sgt_file files[121];
    sg_release_hints h = {"deep-pkg", "1.0.0", NULL, NULL, NULL, NULL, 0};
    size_t i;
    run r;

    (void)state;
    for (i = 0; i < 120; i++) {
        snprintf(names[i], sizeof(names[i]), "d%03zu/x/file.txt", i);
        files[i].path = names[i];
        files[i].content = "x";
        files[i].len = 0;
        files[i].mode = 0;
    }
    files[120].path = "zz/a/b/c/deep-pkg/package.json";
    files[120].content = "{\"name\": \"deep-pkg\", \"version\": \"1.0.0\"}";
    files[120].len = 0;
    files[120].mode = 0;
    sgt_git_commit(c1, dir, NULL, files, 121, "many folders", 0);
    sgt_git_tag(dir, "v1.0.0", c1, 0);
    resolve(&r, dir, &h);
    expect_commit(&r, c1, "tag");
    assert_string_equal(r.res.subdir, "zz/a/b/c/deep-pkg");
    run_dispose(&r);
    free(dir);
}

static void test_resolve__search_depth_is_bounded(void **state)
{
    char c1[41];
    char *dir = new_repo();
    sgt_file files[] = {
        {"a/b/c/d/e/f/g/pkg/package.json", "{\"name\": \"too-deep\", \"version\": \"1.0.0\"}", 0,
         0},
    };
    sg_release_hints h = {"too-deep", "1.0.0", NULL, NULL, NULL, NULL, 0};
    run r;

    (void)state;
    sgt_git_commit(c1, dir, NULL, files, 1, "deep", 0);
    sgt_git_tag(dir, "v1.0.0", c1, 0);
    resolve(&r, dir, &h);
    assert_string_equal(r.res.commit, "");
    expect_tried(&r, "no package.json named 'too-deep'");
    run_dispose(&r);
    /* the folder named by repository.directory is read at any depth */
    {
        sg_release_hints h2 = {"too-deep", "1.0.0", NULL, NULL, "a/b/c/d/e/f/g/pkg", NULL, 0};
        resolve(&r, dir, &h2);
        expect_commit(&r, c1, "tag");
        run_dispose(&r);
    }
    free(dir);
}

static void test_resolve__hostile_directory_is_refused(void **state)
{
    static const char *const bad[] = {"../evil", "/etc", "a/../../b", "a\\b"};
    char c1[41];
    char *dir = new_repo();
    size_t i;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.0.0", 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sg_release_hints h = {"pkg", "1.0.0", NULL, NULL, bad[i], NULL, 0};
        run r;
        resolve(&r, dir, &h);
        expect_tried(&r, "directory: '");
        expect_tried(&r, "refused");
        expect_commit(&r, c1, "history"); /* the root still serves */
        assert_string_equal(r.res.subdir, "");
        run_dispose(&r);
    }
    free(dir);
}

/* ---- API ---- */

static void test_resolve__git_repository_accessor_matches_the_opened_one(void **state)
{
    char c1[41], expect[4096];
    char *dir = new_repo();
    sg_ctx *ctx = ctx_new();
    sg_git_repo *repo = NULL;

    (void)state;
    commit_pkg(c1, dir, NULL, "", "pkg", "1.0.0", 0);
    assert_int_equal(sg_git_repo_open(&repo, ctx, dir), 0);
    snprintf(expect, sizeof(expect), "%s/.git/", dir);
    assert_string_equal(git_repository_path(sg_source__git(repo)), expect);
    sg_git_repo_free(repo);
    sg_ctx_free(ctx);
    free(dir);
}

static void test_resolve__bad_hints_are_refused(void **state)
{
    char c1[41], longname[400];
    char *dir = new_repo();
    sg_ctx *ctx = ctx_new();
    sg_git_repo *repo = NULL;
    sg_resolution res;
    sg_release_hints none = {NULL, "1.0.0", NULL, NULL, NULL, NULL, 0};
    sg_release_hints nover = {"pkg", "", NULL, NULL, NULL, NULL, 0};
    sg_release_hints big = {longname, "1.0.0", NULL, NULL, NULL, NULL, 0};

    (void)state;
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    commit_pkg(c1, dir, NULL, "", "pkg", "1.0.0", 0);
    assert_int_equal(sg_git_repo_open(&repo, ctx, dir), 0);
    sg_resolution_init(&res);
    assert_int_equal(sg_resolve_commit(&res, ctx, repo, &none, NULL), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_resolve_commit(&res, ctx, repo, &nover, NULL), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_resolve_commit(&res, ctx, repo, &big, NULL), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_resolve_commit(&res, ctx, NULL, &nover, NULL), SG_EINVALID);
    sg_error_clear(ctx);
    /* a NULL report is allowed: no findings recorded */
    {
        sg_release_hints ok = {"pkg", "9.9.9", NULL, NULL, NULL, NULL, 0};
        assert_int_equal(sg_resolve_commit(&res, ctx, repo, &ok, NULL), 0);
        assert_string_equal(res.commit, "");
    }
    sg_resolution_dispose(&res);
    sg_git_repo_free(repo);
    sg_ctx_free(ctx);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve__each_tag_scheme_names_the_commit),
        cmocka_unit_test(test_resolve__case_insensitive_match_only_after_exact),
        cmocka_unit_test(test_resolve__pattern_order_prefers_v_prefix),
        cmocka_unit_test(test_resolve__tag_on_a_tree_is_not_a_commit),
        cmocka_unit_test(test_resolve__git_head_names_the_commit),
        cmocka_unit_test(test_resolve__provenance_commit_comes_first),
        cmocka_unit_test(test_resolve__git_head_and_tag_disagree_is_ref_mismatch),
        cmocka_unit_test(test_resolve__rejected_candidates_are_not_a_mismatch),
        cmocka_unit_test(test_resolve__moved_tag_is_rejected_and_history_decides),
        cmocka_unit_test(test_resolve__orphan_git_head_is_ref_unreachable),
        cmocka_unit_test(test_resolve__bad_git_heads_are_noted_and_skipped),
        cmocka_unit_test(test_resolve__stale_version_at_exact_tag_is_the_last_resort),
        cmocka_unit_test(test_resolve__stale_tag_rule_is_narrow),
        cmocka_unit_test(test_resolve__placeholder_versions_in_git),
        cmocka_unit_test(test_resolve__hostile_strings_cannot_forge_tried_lines),
        cmocka_unit_test(test_resolve__wrong_name_is_rejected),
        cmocka_unit_test(test_resolve__history_finds_the_bump_commit_without_tags),
        cmocka_unit_test(test_resolve__history_walk_is_bounded),
        cmocka_unit_test(test_resolve__hostile_package_json_is_not_the_package),
        cmocka_unit_test(test_resolve__nothing_found_is_ref_unresolved_with_earlier_release),
        cmocka_unit_test(test_resolve__earlier_release_by_history_when_untagged),
        cmocka_unit_test(test_resolve__empty_repository_is_unresolved),
        cmocka_unit_test(test_resolve__monorepo_with_repository_directory),
        cmocka_unit_test(test_resolve__monorepo_packages_folder_without_directory),
        cmocka_unit_test(test_resolve__monorepo_package_found_by_search),
        cmocka_unit_test(test_resolve__search_through_many_folders),
        cmocka_unit_test(test_resolve__search_depth_is_bounded),
        cmocka_unit_test(test_resolve__hostile_directory_is_refused),
        cmocka_unit_test(test_resolve__git_repository_accessor_matches_the_opened_one),
        cmocka_unit_test(test_resolve__bad_hints_are_refused),
    };
    int rc;

    git_libgit2_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    git_libgit2_shutdown();
    sgt_cleanup();
    return rc;
}
