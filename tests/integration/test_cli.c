/*
 * The command line: exit codes, stdout and stderr compared with golden files in
 * tests/golden/ (hex digests replaced by placeholders). SG_UPDATE_GOLDEN=1 rewrites them.
 */
#define _GNU_SOURCE /* dl_iterate_phdr() */
#include "sg_test.h"

#include <sourcegate/store.h>

#include <git2.h>

#include <ctype.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *workdir;

#define PJ "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\"}\n"

/* qs@6.14.0's layout: dist/x.js is committed and .gitignore matches it (dist/ and a star); the
 * package has a build, so without the committed copy the file would look built. */
#define PJ_BUILD                                                                                   \
    "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\","                              \
    "\"scripts\":{\"build\":\"node build.js\"}}\n"

static int setup_ignored_but_tracked(void)
{
    char repo[4096], path[4096], commit[41];
    sgt_file src[] = {{"package.json", PJ_BUILD, 0, 0},
                      {".gitignore", "dist/*\n", 0, 0},
                      {"index.js", "exports.x = 1;\n", 0, 0},
                      {"build.js", "// writes dist\n", 0, 0},
                      {"dist/x.js", "exports.x = 1;\n", 0, 0}};
    sgt_tar_entry same[] = {{"package/package.json", PJ_BUILD, 0, 0, 0, NULL},
                            {"package/index.js", "exports.x = 1;\n", 0, 0, 0, NULL},
                            {"package/build.js", "// writes dist\n", 0, 0, 0, NULL},
                            {"package/dist/x.js", "exports.x = 1;\n", 0, 0, 0, NULL}};
    snprintf(repo, sizeof(repo), "%s/irepo", workdir);
    sgt_git_init(repo, 1);
    sgt_git_commit(commit, repo, NULL, src, 5, "release 1.0.0", 0);
    sgt_git_tag(repo, "v1.0.0", commit, 1);
    snprintf(path, sizeof(path), "%s/ignored-same.tgz", workdir);
    sgt_tar_write(path, same, 4);
    same[3].content = "exports.x = 2;\n"; /* one byte changed */
    snprintf(path, sizeof(path), "%s/ignored-changed.tgz", workdir);
    sgt_tar_write(path, same, 4);
    return 0;
}

/* date-fns@3.6.0's shape: thousands of built files the source does not have, in a few
 * folders, beside one changed source file. */
#define MANY_PER_FOLDER 1000
static int setup_many_findings(void)
{
    static const char *const folders[] = {"_lib", "locale", "fp"};
    size_t n = 3 * MANY_PER_FOLDER + 3, i, k = 0;
    sgt_tar_entry *e = calloc(n, sizeof(*e));
    char (*names)[64] = calloc(n, sizeof(*names)), path[4096];
    if (!e || !names)
        return -1;
    e[k++] = (sgt_tar_entry){"package/package.json", PJ, 0, 0, 0, NULL};
    e[k++] = (sgt_tar_entry){"package/index.js", "exports.x = 2;\n", 0, 0, 0, NULL};
    e[k++] = (sgt_tar_entry){"package/README.md", "# demo\n", 0, 0, 0, NULL};
    for (i = 0; i < 3 * MANY_PER_FOLDER; i++, k++) {
        snprintf(names[k], sizeof(names[k]), "package/%s/f%04zu.js", folders[i % 3], i / 3);
        e[k] = (sgt_tar_entry){names[k], "module.exports = 1;\n", 0, 0, 0, NULL};
    }
    snprintf(path, sizeof(path), "%s/many.tgz", workdir);
    sgt_tar_write(path, e, k);
    free(e);
    free(names);
    return 0;
}

static int setup(void **state)
{
    char repo[4096], path[4096], commit[41];
    sgt_file src[] = {{"package.json", PJ, 0, 0}, {"index.js", "exports.x = 1;\n", 0, 0},
                      {"README.md", "# demo\n", 0, 0}};
    sgt_tar_entry same[] = {{"package/package.json", PJ, 0, 0, 0, NULL},
                            {"package/index.js", "exports.x = 1;\n", 0, 0, 0, NULL},
                            {"package/README.md", "# demo\n", 0, 0, 0, NULL}};
    sgt_tar_entry evil[] = {
        {"package/package.json",
         "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\","
         "\"scripts\":{\"postinstall\":\"node setup.js\"}}",
         0, 0, 0, NULL},
        {"package/index.js", "exports.x = 1;\n", 0, 0, 0, NULL},
        {"package/setup.js", "steal()\n", 0, 0, 0, NULL},
        {"package/README.md", "# demo\n", 0, 0, 0, NULL}};
    (void)state;
    workdir = sgt_tmpdir();
    snprintf(repo, sizeof(repo), "%s/repo", workdir);
    sgt_git_init(repo, 1);
    sgt_git_commit(commit, repo, NULL, src, 3, "release 1.0.0", 0);
    sgt_git_tag(repo, "v1.0.0", commit, 1);
    snprintf(path, sizeof(path), "%s/same.tgz", workdir);
    sgt_tar_write(path, same, 3);
    snprintf(path, sizeof(path), "%s/evil.tgz", workdir);
    sgt_tar_write(path, evil, 4);
    if (setup_ignored_but_tracked() < 0 || setup_many_findings() < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/garbage.tgz", workdir);
    sgt_write_file(path, "this is not a tarball", 21, 0644);
    return 0;
}

/* Replace runs of 64 or 40 hex digits, and the integrity string, by placeholders. */
static char *scrub(const char *s)
{
    size_t n = strlen(s), i = 0;
    char *out = calloc(1, n + 64), *o = out;
    while (i < n) {
        size_t j = i;
        while (j < n && isxdigit((unsigned char)s[j]) && !isupper((unsigned char)s[j]))
            j++;
        if (j - i == 64 || j - i == 40) {
            const char *ph = j - i == 64 ? "<sha256>" : "<commit>";
            memcpy(o, ph, strlen(ph));
            o += strlen(ph);
            i = j;
        } else if (strncmp(s + i, "sha512-", 7) == 0) {
            memcpy(o, "sha512-<b64>", 12);
            o += 12;
            for (i += 7; i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/' ||
                                   s[i] == '=');
                 i++)
                ;
        } else {
            size_t k = j > i ? j : i + 1;
            memcpy(o, s + i, k - i);
            o += k - i;
            i = k;
        }
    }
    *o = '\0';
    return out;
}

static void check_golden(const char *name, const char *text)
{
    char path[4096];
    const char *src = getenv("SG_SOURCE_DIR");
    char *want, *got = scrub(text ? text : "");
    assert_non_null(src);
    snprintf(path, sizeof(path), "%s/tests/golden/%s", src, name);
    if (getenv("SG_UPDATE_GOLDEN")) {
        sgt_write_file(path, got, strlen(got), 0644);
        free(got);
        return;
    }
    want = sgt_read_file(path, NULL);
    if (!want)
        fail_msg("missing golden file %s (run with SG_UPDATE_GOLDEN=1)", path);
    if (strcmp(want, got) != 0) {
        print_error("golden %s differs.\n--- want\n%s--- got\n%s---\n", name, want, got);
        fail();
    }
    free(want);
    free(got);
}

/* Run the CLI in workdir with args; compare exit code, stdout and stderr. */
static void run_cli(const char *args, int want_rc, const char *golden_out, const char *golden_err)
{
    char cmd[8192], *out = NULL, *err = NULL;
    const char *cli = getenv("SG_CLI");
    int rc;
    assert_non_null(cli);
    snprintf(cmd, sizeof(cmd), "cd '%s' && NO_COLOR=1 '%s' %s", workdir, cli, args);
    rc = sgt_run(cmd, &out, &err);
    if (rc != want_rc) {
        print_error("'%s' exited %d, want %d\nstdout:\n%s\nstderr:\n%s\n", args, rc, want_rc,
                    out, err);
        fail();
    }
    if (golden_out)
        check_golden(golden_out, out);
    if (golden_err)
        check_golden(golden_err, err);
    free(out);
    free(err);
}

/* Run the CLI; the exit code must match and stderr must end with `tail`. */
static void run_cli_grep(const char *args, int want_rc, const char *tail)
{
    char cmd[8192], *out = NULL, *err = NULL;
    int rc;
    snprintf(cmd, sizeof(cmd), "cd '%s' && NO_COLOR=1 '%s' %s", workdir, getenv("SG_CLI"), args);
    rc = sgt_run(cmd, &out, &err);
    assert_int_equal(rc, want_rc);
    assert_string_equal(out, "");
    assert_true(strlen(err) >= strlen(tail));
    assert_string_equal(err + strlen(err) - strlen(tail), tail);
    assert_non_null(strchr(err, '\n'));
    assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1); /* one line */
    free(out);
    free(err);
}

static void test_cli__help_lists_commands(void **state)
{
    (void)state;
    run_cli("--help", 0, "help.out", "empty.err");
    run_cli("verify --help", 0, "verify-help.out", "empty.err");
    run_cli("help verify", 0, "verify-help.out", "empty.err"); /* the command's own help */
    run_cli("help frobnicate", 2, "empty.out", "unknown-command.err");
}

/* The text report of `verify` on a terminal (script(1) gives it one), with env set first:
 * 1 when it is coloured. Skips when script(1) is missing. */
static int colored_on_tty(const char *env)
{
    char cmd[8192], *out = NULL, *err = NULL;
    int rc, colored;
    if (system("command -v script >/dev/null 2>&1") != 0)
        skip();
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && script -qec \"env %s '%s' verify --tarball evil.tgz --source repo\" "
             "/dev/null",
             workdir, env, getenv("SG_CLI"));
    rc = sgt_run(cmd, &out, &err);
    assert_int_equal(rc, 1); /* script passes the exit code through (-e): fail */
    assert_non_null(strstr(out, "verdict"));
    colored = strstr(out, "\033[") != NULL;
    free(out);
    free(err);
    return colored;
}

/* no-color.org: only a non-empty NO_COLOR turns colour off; TERM=dumb does too. */
static void test_cli__color_follows_no_color_and_term(void **state)
{
    (void)state;
    assert_true(colored_on_tty("TERM=xterm"));
    assert_true(colored_on_tty("TERM=xterm NO_COLOR="));
    assert_false(colored_on_tty("TERM=xterm NO_COLOR=1"));
    assert_false(colored_on_tty("TERM=dumb"));
}

static void test_cli__usage_errors_exit_2(void **state)
{
    (void)state;
    run_cli("", 2, NULL, NULL);
    run_cli("frobnicate", 2, "empty.out", "unknown-command.err");
    run_cli("verify", 2, "empty.out", "verify-missing-args.err");
    run_cli("verify --tarball same.tgz --source repo --format xml", 2, "empty.out",
            "bad-format.err");
    run_cli("verify --tarball same.tgz --source repo --bogus", 2, "empty.out",
            "unknown-option.err");
    run_cli("verify --tarball same.tgz --source repo --fail-on severe", 2, "empty.out",
            "bad-fail-on.err");
    run_cli_grep("verify --tarball same.tgz --source repo --progress=sometimes", 2,
                 "--progress must be auto, always or never\n");
}

static void test_cli__bad_lists_and_names_say_so(void **state)
{
    (void)state;
    run_cli("verify 'Not A Name@1.0.0'", 2, "empty.out", "bad-package-name.err");
    run_cli("audit --list x", 2, "empty.out", "audit.err");
}

static void test_cli__bad_inputs_exit_2_with_one_line(void **state)
{
    (void)state;
    run_cli("verify --tarball missing.tgz --source repo", 2, "empty.out", "missing-tarball.err");
    run_cli("verify --tarball garbage.tgz --source repo", 2, "empty.out", "garbage.err");
    run_cli("verify --tarball same.tgz --source nowhere --ref v1.0.0", 2, "empty.out",
            "missing-repo.err");
    run_cli("verify --tarball same.tgz --source repo --ref v9.9.9", 2, "empty.out",
            "missing-ref.err");
    /* Both sides bad: the source is read on a thread of its own, yet the tarball's error is
     * the one reported, as when the two were read in turn. */
    run_cli("verify --tarball garbage.tgz --source nowhere --ref v1.0.0", 2, "empty.out",
            "garbage.err");
    run_cli("verify --tarball missing.tgz --source repo --ref v9.9.9", 2, "empty.out",
            "missing-tarball.err");
    /* the message names the tarball's size, which depends on zlib: no golden file */
    run_cli_grep("verify --tarball same.tgz --source repo --limit tarball-bytes=10", 2,
                 "over the tarball-bytes limit of 10\n");
    run_cli("verify --tarball same.tgz --source repo --limit no-such-limit=1", 2, "empty.out",
            "unknown-limit.err");
    run_cli("verify --tarball same.tgz --source repo --limit entries=0", 2, "empty.out",
            "zero-limit.err");
}

static void test_cli__pass_prints_report_and_exits_0(void **state)
{
    (void)state;
    run_cli("verify --tarball same.tgz --source repo --ref v1.0.0", 0, "pass.out", "empty.err");
    run_cli("verify --tarball same.tgz --source repo --ref v1.0.0 -q", 0, "empty.out",
            "empty.err");
}

static void test_cli__fail_prints_findings_and_exits_1(void **state)
{
    (void)state;
    run_cli("verify --tarball evil.tgz --source repo --ref v1.0.0", 1, "fail.out", "empty.err");
    run_cli("verify --tarball evil.tgz --source repo --ref v1.0.0 --format json", 1,
            "fail.json", "empty.err");
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Thousands of findings: the text report stays short (the 20 most severe one by one, the rest
 * grouped with their count and folders), --all and JSON list every one (issue 16). */
static void test_cli__many_findings_are_grouped(void **state)
{
    char cmd[8192], *out = NULL, *err = NULL;
    const char *cli = getenv("SG_CLI");
    size_t n = 0;
    const char *p;
    (void)state;
    run_cli("verify --tarball many.tgz --source repo --ref v1.0.0", 1, "many.out", "empty.err");

    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' verify --tarball many.tgz --source repo "
             "--ref v1.0.0", workdir, cli);
    assert_int_equal(sgt_run(cmd, &out, &err), 1);
    assert_true(count_lines(out) <= 60);
    free(out);
    free(err);

    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' verify --tarball many.tgz --source repo "
             "--ref v1.0.0 --all", workdir, cli);
    assert_int_equal(sgt_run(cmd, &out, &err), 1);
    assert_true(count_lines(out) > 2 * 3 * MANY_PER_FOLDER); /* two lines a finding */
    assert_null(strstr(out, " more under "));
    free(out);
    free(err);

    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' verify --tarball many.tgz --source repo "
             "--ref v1.0.0 --format json", workdir, cli);
    assert_int_equal(sgt_run(cmd, &out, &err), 1);
    for (p = out; (p = strstr(p, "\"kind\": \"file-added\"")) != NULL; p++)
        n++;
    assert_int_equal(n, 3 * MANY_PER_FOLDER);
    free(out);
    free(err);
}

static void test_cli__fail_on_threshold_changes_exit_code(void **state)
{
    (void)state;
    /* The worst finding is critical: --fail-on critical still fails; a file-added (high)
     * alone would not. */
    run_cli("verify --tarball evil.tgz --source repo --ref v1.0.0 --fail-on critical -q", 1,
            "empty.out", "empty.err");
}

/* Default options (--rebuild auto): the committed copy verifies the file, so no rebuild runs. */
static void test_cli__ignored_but_tracked_file_is_compared(void **state)
{
    (void)state;
    run_cli("verify --tarball ignored-same.tgz --source irepo --ref v1.0.0 --format json", 0,
            "ignored-tracked.json", "empty.err");
    run_cli("verify --tarball ignored-changed.tgz --source irepo --ref v1.0.0 --rebuild never", 1,
            "ignored-tracked-changed.out", "empty.err");
}

/* Delete the loose object of a blob with this content from a bare repository. */
static void drop_blob(const char *repo, const char *content)
{
    git_oid id;
    char hex[GIT_OID_HEXSZ + 1], path[4096];

    assert_int_equal(git_odb_hash(&id, content, strlen(content), GIT_OBJECT_BLOB), 0);
    git_oid_tostr(hex, sizeof(hex), &id);
    snprintf(path, sizeof(path), "%s/%s/objects/%.2s/%s", workdir, repo, hex, hex + 2);
    assert_int_equal(unlink(path), 0);
}

/* A mirror without blobs the package never uses (a partial clone, a mirror without large
 * assets) still verifies; so does one without the blob of a packed file the tarball has with
 * the same git blob id (its bytes are known without it); a missing blob the comparison needs
 * (the tarball has other bytes there) is a clear error (exit 2). */
static void test_cli__mirror_missing_an_unused_blob_verifies(void **state)
{
#define SLIM_PJ "{\"name\":\"slim\",\"version\":\"1.0.0\",\"files\":[\"index.js\"]}\n"
    char repo[4096], path[4096], commit[41];
    const char *huge = "the huge sample this mirror does not have\n", *code = "exports.y = 2;\n";
    sgt_file src[] = {{"package.json", SLIM_PJ, 0, 0},
                      {"index.js", code, 0, 0},
                      {"benchmark/samples/document_huge.yaml", huge, 0, 0},
                      {"packages/other/package.json", "{\"name\":\"other\"}\n", 0, 0},
                      {"packages/slim/package.json", SLIM_PJ, 0, 0},
                      {"packages/slim/index.js", code, 0, 0},
                      {"dataset.bin", "a large asset at the root\n", 0, 0},
                      {"LICENSE", "the root's license\n", 0, 0}};
    sgt_tar_entry tar[] = {{"package/package.json", SLIM_PJ, 0, 0, 0, NULL},
                           {"package/index.js", code, 0, 0, 0, NULL}};
    (void)state;
    snprintf(repo, sizeof(repo), "%s/slim", workdir);
    sgt_git_init(repo, 1);
    sgt_git_commit(commit, repo, NULL, src, 8, "release 1.0.0", 0);
    snprintf(path, sizeof(path), "%s/slim.tgz", workdir);
    sgt_tar_write(path, tar, 2);
    run_cli("verify --tarball slim.tgz --source slim --ref main -q", 0, "empty.out", "empty.err");
    drop_blob("slim", huge);
    drop_blob("slim", "{\"name\":\"other\"}\n");
    drop_blob("slim", "a large asset at the root\n");
    run_cli("verify --tarball slim.tgz --source slim --ref main -q", 0, "empty.out", "empty.err");
    /* the same package in a monorepo folder: the root's own files are not read either */
    run_cli("verify --tarball slim.tgz --source slim --ref main --subdir packages/slim -q", 0,
            "empty.out", "empty.err");
    drop_blob("slim", code);
    run_cli("verify --tarball slim.tgz --source slim --ref main -q", 0, "empty.out", "empty.err");
    snprintf(path, sizeof(path), "%s/slim-changed.tgz", workdir);
    tar[1].content = "exports.y = 3;\n";
    sgt_tar_write(path, tar, 2);
    run_cli_grep("verify --tarball slim-changed.tgz --source slim --ref main -q", 2,
                 " of 'index.js' is missing from the repository\n");
#undef SLIM_PJ
}

static void test_cli__cache_prune(void **state)
{
    char path[4200];
    (void)state;
    snprintf(path, sizeof(path), "%s/cache/packuments/registry.npmjs.org/old.json", workdir);
    sgt_write_file(path, "{}", 2, 0644);
    run_cli("cache prune --cache cache --older-than 1", 0, "prune-keep.out", "empty.err");
    run_cli("cache prune --cache cache --older-than 0", 0, "prune-all.out", "empty.err");
    assert_null(sgt_read_file(path, NULL));
    run_cli("cache frobnicate --cache cache", 2, "empty.out", "cache-bad-action.err");
    run_cli("cache prune --older-than soon", 2, "empty.out", "cache-bad-days.err");
}

/* Run the CLI with the dynamic linker's file log on stderr (and stdout in *out when out is not
 * NULL); returns the exit code. */
static int run_cli_ld_files_out(const char *args, char **out, char **err)
{
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "cd '%s' && NO_COLOR=1 LD_DEBUG=files '%s' %s", workdir,
             getenv("SG_CLI"), args);
    return sgt_run(cmd, out, err);
}

static int run_cli_ld_files(const char *args, char **err)
{
    char *out = NULL;
    int rc = run_cli_ld_files_out(args, &out, err);
    free(out);
    return rc;
}

/* The libraries cli/ondemand.c loads on first use, by the start of their soname. */
#define LIB_GIT "libgit2.so"
#define LIB_ARCHIVE "libarchive.so"
#define LIB_SQLITE "libsqlite3.so"
#define LIB_YAML "libyaml-0.so"
#define LIB_SECCOMP "libseccomp.so"
#define LIB_CURL "libcurl.so"
#define LIB_PQ "libpq.so"

/* Fail when the dynamic linker's file log names one of libs (NULL-terminated). */
static void assert_not_loaded(const char *log, const char *const *libs)
{
    for (; *libs; libs++)
        if (strstr(log, *libs))
            fail_msg("%s was loaded", *libs);
}

/* Whether the dynamic linker's file log shows lib loaded by dlopen(), not at start. */
static int loaded_on_demand(const char *log, const char *lib)
{
    char needle[64];
    const char *at, *eol;
    snprintf(needle, sizeof(needle), "file=%s", lib);
    if ((at = strstr(log, needle)) == NULL)
        return 0;
    eol = strchr(at, '\n');
    at = strstr(at, "dynamically loaded by");
    return at && (!eol || at < eol);
}

/* cli/ondemand.c: printing the version loads none of the libraries loaded on first use. */
static void test_cli__version_loads_no_library_loaded_on_first_use(void **state)
{
    static const char *const none[] = {LIB_GIT,     LIB_ARCHIVE, LIB_SQLITE, LIB_YAML,
                                       LIB_SECCOMP, LIB_CURL,    LIB_PQ,     NULL};
    char *err = NULL;
    (void)state;
#ifndef SG_TEST_ONDEMAND_LIBS
    skip(); /* built with -DSG_ONDEMAND_LIBS=OFF: the executable links them */
#endif
    assert_int_equal(run_cli_ld_files("--version", &err), 0);
    assert_non_null(strstr(err, "libc.so")); /* the log is there */
    assert_not_loaded(err, none);
    free(err);
}

/* cli/ondemand.c: a local verify loads libgit2 and libarchive when it first calls them, and
 * none of the others; the registry client loads libcurl on demand. */
static void test_cli__local_verify_loads_only_libgit2_and_libarchive(void **state)
{
    static const char *const unused[] = {LIB_SQLITE, LIB_YAML, LIB_SECCOMP, LIB_CURL, LIB_PQ, NULL};
    static const char *const no_pq[] = {LIB_PQ, NULL};
    char *err = NULL;
    (void)state;
#ifndef SG_TEST_ONDEMAND_LIBS
    skip(); /* built with -DSG_ONDEMAND_LIBS=OFF: the executable links them */
#endif
    assert_int_equal(
        run_cli_ld_files("verify --tarball same.tgz --source repo --ref v1.0.0 -q", &err), 0);
    assert_true(loaded_on_demand(err, LIB_GIT));
    assert_true(loaded_on_demand(err, LIB_ARCHIVE));
    assert_not_loaded(err, unused);
    free(err);

    /* The registry client loads libcurl on demand and works: a refused connection is an
     * operational error (exit 4) reported by libcurl, not a failure to load it. */
    assert_int_equal(run_cli_ld_files("verify demo@1.0.0 --registry http://127.0.0.1:9/ "
                                      "--cache cache-ondemand -q",
                                      &err),
                     4);
    assert_true(loaded_on_demand(err, LIB_CURL));
    assert_null(strstr(err, "cannot load"));
    assert_not_loaded(err, no_pq);
    free(err);
}

/* cli/ondemand.c: `report` on a SQLite store loads SQLite on first use and reads the store
 * through it; it needs none of the other libraries. */
static void test_cli__report_reads_a_sqlite_store_loaded_on_first_use(void **state)
{
    static const char *const unused[] = {LIB_GIT,  LIB_ARCHIVE, LIB_YAML, LIB_SECCOMP,
                                         LIB_CURL, LIB_PQ,      NULL};
    char path[4200], *out = NULL, *err = NULL;
    sg_ctx *ctx = NULL;
    sg_store *store = NULL;
    sg_store_result r = SG_STORE_RESULT_INIT;
    (void)state;
    (void)unused; /* read only when the executable loads libraries on first use */
    r.name = "sqliterow";
    r.version = "2.7.1";
    r.integrity = "sha512-ondemand";
    r.verdict = SG_VERDICT_FAIL;
    r.report_json = "{\"schema\":\"sourcegate/report/v1\"}";
    r.report_len = strlen(r.report_json);
    snprintf(path, sizeof(path), "sqlite:%s/ondemand.sqlite", workdir);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_store_open(&store, ctx, path, NULL), 0);
    assert_int_equal(sg_store_put_result(store, ctx, &r), 0);
    sg_store_free(store);
    sg_ctx_free(ctx);

    assert_int_equal(run_cli_ld_files_out("report --store sqlite:ondemand.sqlite", &out, &err), 0);
    assert_non_null(strstr(out, "sqliterow"));
#ifdef SG_TEST_ONDEMAND_LIBS
    assert_true(loaded_on_demand(err, LIB_SQLITE));
    assert_not_loaded(err, unused);
#endif
    free(out);
    free(err);
}

/* dl_iterate_phdr callback: the path of the loaded object whose name holds *data (a
 * "name\0path[4096]" buffer: name in, path out). */
static int find_loaded(struct dl_phdr_info *info, size_t size, void *data)
{
    char *want = data;
    (void)size;
    if (!info->dlpi_name || !strstr(info->dlpi_name, want))
        return 0;
    snprintf(want + strlen(want) + 1, 4096, "%s", info->dlpi_name);
    return 1;
}

/* cli/ondemand.c: a library that cannot be loaded ends the run with one line naming the
 * package and exit 4, an operational error, even when it fails on the source thread of a
 * local verify while the main thread loads libarchive. bubblewrap hides libgit2 (this test
 * program links it, so its path is known). */
static void test_cli__a_library_that_cannot_be_loaded_is_one_line_and_exit_4(void **state)
{
    char name_path[64 + 4096] = LIB_GIT, cmd[12000], *out = NULL, *err = NULL;
    const char *path = name_path + strlen(LIB_GIT) + 1;
    (void)state;
#ifndef SG_TEST_ONDEMAND_LIBS
    skip(); /* built with -DSG_ONDEMAND_LIBS=OFF: the executable would not start */
#endif
    if (!dl_iterate_phdr(find_loaded, name_path) || !sgt_have_program("bwrap") ||
        sgt_run("bwrap --dev-bind / / true", NULL, NULL) != 0)
        skip(); /* no bubblewrap here, or it cannot make a mount namespace */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && NO_COLOR=1 bwrap --dev-bind / / --ro-bind /dev/null '%s' '%s' verify "
             "--tarball same.tgz --source repo --ref v1.0.0 -q",
             workdir, path, getenv("SG_CLI"));
    assert_int_equal(sgt_run(cmd, &out, &err), 4);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "sourcegate: error: cannot load " LIB_GIT));
    assert_non_null(strstr(err, "(install the libgit2-"));
    assert_int_equal(count_lines(err), 1);
    free(out);
    free(err);
}

typedef ElfW(Ehdr) elf_ehdr; /* the ELF types of this platform's word size */
typedef ElfW(Shdr) elf_shdr;
typedef ElfW(Sym) elf_sym;

/* Whether the ELF image (data, len) defines a dynamic symbol starting with one of prefixes
 * (NULL-terminated); its name into *found. -1 when the image is not a readable ELF file or
 * has no dynamic symbol table. */
static int elf_defines_dynamic(const unsigned char *data, size_t len, const char *const *prefixes,
                               const char **found)
{
    const elf_ehdr *eh = (const void *)data;
    const elf_shdr *sh;
    size_t i, k;
    int seen = 0;
    if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff > len ||
        eh->e_shnum > (len - eh->e_shoff) / sizeof(*sh))
        return -1;
    sh = (const void *)(data + eh->e_shoff);
    for (i = 0; i < eh->e_shnum; i++) {
        const elf_shdr *strs = &sh[sh[i].sh_link < eh->e_shnum ? sh[i].sh_link : 0];
        if (sh[i].sh_type != SHT_DYNSYM)
            continue;
        seen = 1;
        if (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset ||
            strs->sh_offset > len || strs->sh_size > len - strs->sh_offset)
            return -1;
        for (k = 0; k < sh[i].sh_size / sizeof(elf_sym); k++) {
            const elf_sym *sym = (const elf_sym *)(const void *)(data + sh[i].sh_offset) + k;
            const char *name = (const char *)data + strs->sh_offset + sym->st_name;
            const char *const *p;
            if (sym->st_shndx == SHN_UNDEF || sym->st_name >= strs->sh_size ||
                !memchr(name, 0, strs->sh_size - sym->st_name))
                continue;
            for (p = prefixes; *p; p++)
                if (strncmp(name, *p, strlen(*p)) == 0) {
                    *found = name;
                    return 1;
                }
        }
    }
    return seen ? 0 : -1;
}

/* cli/ondemand.c: the forwarders are not exported, so a library calling one of its own
 * exported functions binds to itself, not to the forwarder (which would call itself). */
static void test_cli__executable_exports_no_forwarder(void **state)
{
    static const char *const forwarded[] = {"git_",     "archive_", "sqlite3_", "yaml_",
                                            "seccomp_", "curl_",    "PQ",       NULL};
    const char *found = NULL;
    unsigned char *exe;
    size_t len = 0;
    (void)state;
    assert_non_null(exe = (unsigned char *)sgt_read_file(getenv("SG_CLI"), &len));
    if (elf_defines_dynamic(exe, len, forwarded, &found) != 0)
        fail_msg("the executable exports %s (or is not a readable ELF file)", found ? found : "?");
    free(exe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli__help_lists_commands),
        cmocka_unit_test(test_cli__color_follows_no_color_and_term),
        cmocka_unit_test(test_cli__many_findings_are_grouped),
        cmocka_unit_test(test_cli__usage_errors_exit_2),
        cmocka_unit_test(test_cli__bad_lists_and_names_say_so),
        cmocka_unit_test(test_cli__bad_inputs_exit_2_with_one_line),
        cmocka_unit_test(test_cli__pass_prints_report_and_exits_0),
        cmocka_unit_test(test_cli__fail_prints_findings_and_exits_1),
        cmocka_unit_test(test_cli__fail_on_threshold_changes_exit_code),
        cmocka_unit_test(test_cli__ignored_but_tracked_file_is_compared),
        cmocka_unit_test(test_cli__cache_prune),
        cmocka_unit_test(test_cli__mirror_missing_an_unused_blob_verifies),
        cmocka_unit_test(test_cli__version_loads_no_library_loaded_on_first_use),
        cmocka_unit_test(test_cli__local_verify_loads_only_libgit2_and_libarchive),
        cmocka_unit_test(test_cli__report_reads_a_sqlite_store_loaded_on_first_use),
        cmocka_unit_test(test_cli__executable_exports_no_forwarder),
        cmocka_unit_test(test_cli__a_library_that_cannot_be_loaded_is_one_line_and_exit_4),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
