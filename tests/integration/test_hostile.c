/*
 * The hostile-input matrix of docs/security.md: one test per row. Each row builds a hostile
 * input in a temporary folder, runs the CLI ($SG_CLI) on it and checks that
 *   - the answer is a finding (exit 1, in the JSON report) or one clear error line on stderr
 *     (exit 2, nothing on stdout);
 *   - the process finished under an address-space limit of 512 MiB and a CPU limit of 60 s
 *     (prlimit; skipped in sanitizer builds, whose shadow memory needs terabytes of address
 *     space);
 *   - nothing was written outside the cache: the run's HOME, XDG folders, TMPDIR, working
 *     folder and inputs are listed before and after and must be unchanged.
 * The registry rows serve a hostile registry from tests/support/http_server.h. The CLI has
 * no timeout options, so the stalling registry goes through the library (sg_registry_* with
 * short timeouts); the others run the CLI with --registry. A registry that cannot deliver is an
 * operational failure: exit 4 (DESIGN.md), with one error line.
 */
#include "sg_test.h"
#include "http_server.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define MEM_LIMIT_BYTES (512ull << 20)
#define PJ "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\"}\n"
#define INDEX_JS "exports.x = 1;\n"
/* clang-format off */
#define BASE_PJ {"package/package.json", PJ, 0, 0, 0, NULL}
#define BASE_INDEX {"package/index.js", INDEX_JS, 0, 0, 0, NULL}
#define BASE BASE_PJ, BASE_INDEX
/* clang-format on */

static char *root;       /* everything of this suite lives here */
static char repo[4096];  /* the source repository (bare), matching BASE */
static int have_prlimit; /* prlimit(1) is available */

/* ---- files ------------------------------------------------------------------------------- */

static void path_of(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", root, rel);
}

static void write_input(const char *name, const void *data, size_t len)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/in/%s", root, name);
    sgt_write_file(p, data, len, 0644);
}

static void tar_input(const char *name, const sgt_tar_entry *e, size_t n, int gzip)
{
    unsigned char *t;
    size_t len;
    sgt_tar_build(&t, &len, e, n, gzip);
    write_input(name, t, len);
    free(t);
}

/* A ustar header written by hand, for what libarchive will not write. */
static void ustar_header(unsigned char h[512], const char *name, unsigned long long size, char type)
{
    unsigned sum = 0;
    size_t i;
    memset(h, 0, 512);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", size & 077777777777ull);
    snprintf((char *)h + 136, 12, "%011o", 0);
    memset(h + 148, ' ', 8);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    for (i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

/* "path size mtime" of every file and folder below dir, except the cache, appended to out. */
static void list_tree(sg_buf *out, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char child[4096];
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(child, sizeof(child), "%s/%s", dir, e->d_name);
        if (lstat(child, &st) != 0)
            continue;
        if (!strcmp(e->d_name, "cache") && !strcmp(dir, root))
            continue;
        sg_buf_printf(out, "%s %lld %lld.%09ld\n", child, (long long)st.st_size,
                      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (S_ISDIR(st.st_mode))
            list_tree(out, child);
    }
    closedir(d);
}

/* ---- running the CLI --------------------------------------------------------------------- */

typedef struct result {
    int rc;    /* exit code (-1: killed by a signal) */
    char *out; /* stdout */
    char *err; /* stderr */
} result;

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

/*
 * Run `sourcegate ARGS` in root/work with a private HOME, XDG folders and TMPDIR, under the
 * resource limits, and check that nothing outside root/cache changed.
 */
static result run_cli(const char *args)
{
    char cmd[16384], limits[128] = "";
    sg_buf before = SG_BUF_INIT, after = SG_BUF_INIT;
    const char *cli = getenv("SG_CLI");
    struct rusage ru;
    result r;

    assert_non_null(cli);
    if (have_prlimit && !SANITIZED)
        snprintf(limits, sizeof(limits), "prlimit --as=%llu --cpu=60 -- ", MEM_LIMIT_BYTES);
    snprintf(cmd, sizeof(cmd),
             "cd '%s/work' && HOME='%s/home' XDG_CACHE_HOME='%s/xdg-cache' "
             "XDG_CONFIG_HOME='%s/xdg-config' TMPDIR='%s/tmp' NO_COLOR=1 npm_config_registry= "
             "exec %s'%s' %s",
             root, root, root, root, root, limits, cli, args);
    list_tree(&before, root);
    r.rc = sgt_run(cmd, &r.out, &r.err);
    list_tree(&after, root);
    assert_int_equal(before.error, 0);
    assert_non_null(strstr(before.ptr, "/in/repo.git")); /* the listing sees the inputs */
    if (strcmp(before.ptr, after.ptr) != 0) {
        print_error("the run changed files outside the cache:\n--- before\n%s--- after\n%s",
                    before.ptr, after.ptr);
        fail();
    }
    getrusage(RUSAGE_CHILDREN, &ru);
    print_message("exit %d; peak RSS of the children so far %ld MiB%s\n%s", r.rc,
                  ru.ru_maxrss / 1024, limits[0] ? "" : " (no address-space limit)",
                  r.err ? r.err : "");
    sg_buf_dispose(&before);
    sg_buf_dispose(&after);
    return r;
}

/* Exit 1 with a report holding a finding of `kind` (at `path` when given); stderr empty. */
static void expect_finding(result *r, const char *kind, const char *path)
{
    cJSON *doc, *it;
    int found = 0;

    if (r->rc != 1)
        fail_msg("exit %d, want 1 (a finding)\nstdout: %s\nstderr: %s", r->rc, r->out, r->err);
    assert_string_equal(r->err, "");
    doc = cJSON_Parse(r->out);
    if (!doc)
        fail_msg("the report is not JSON: %s", r->out);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "verdict")), "fail");
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "findings"))
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(it, "kind"));
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(it, "path"));
        if (k && !strcmp(k, kind) && (!path || (p && !strcmp(p, path))))
            found = 1;
    }
    if (!found)
        fail_msg("no '%s' finding%s%s in the report:\n%s", kind, path ? " at " : "",
                 path ? path : "", r->out);
    cJSON_Delete(doc);
}

/* Exit `rc` with nothing on stdout and exactly one error line on stderr holding `what`. */
static void expect_error(result *r, int rc, const char *what)
{
    const char *nl;
    if (r->rc != rc)
        fail_msg("exit %d, want %d\nstdout: %s\nstderr: %s", r->rc, rc, r->out, r->err);
    assert_string_equal(r->out, "");
    nl = strchr(r->err, '\n');
    if (strncmp(r->err, "sourcegate: error: ", 19) != 0 || !nl || nl[1] != '\0')
        fail_msg("want one error line, got:\n%s", r->err);
    if (!strstr(r->err, what))
        fail_msg("the error line lacks '%s': %s", what, r->err);
    if (strlen(r->err) > 600)
        fail_msg("the error line is %zu bytes long", strlen(r->err));
}

/* verify --tarball in/NAME --source REPO --format json EXTRA */
static result verify_local(const char *name, const char *extra)
{
    char args[8192];
    snprintf(args, sizeof(args), "verify --tarball '%s/in/%s' --source '%s' --format json %s", root,
             name, repo, extra ? extra : "");
    return run_cli(args);
}

/* ---- suite setup ------------------------------------------------------------------------- */

static int setup(void **state)
{
    static const char *dirs[] = {"in", "work", "home", "xdg-cache", "xdg-config", "tmp", "cache"};
    sgt_file src[] = {{"package.json", PJ, 0, 0}, {"index.js", INDEX_JS, 0, 0}};
    char p[4096], commit[41];
    size_t i;

    (void)state;
    root = sgt_tmpdir();
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        path_of(p, sizeof(p), dirs[i]);
        if (mkdir(p, 0755) != 0)
            fail_msg("mkdir %s", p);
    }
    path_of(repo, sizeof(repo), "in/repo.git");
    sgt_git_init(repo, 1);
    sgt_git_commit(commit, repo, NULL, src, 2, "release 1.0.0", 0);
    have_prlimit = sgt_have_program("prlimit");
    if (SANITIZED || !have_prlimit)
        print_message("no address-space limit on the runs (%s)\n",
                      SANITIZED ? "sanitizer build" : "prlimit is missing");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sgt_cleanup();
    return 0;
}

/* ---- tarball rows ------------------------------------------------------------------------ */

static void test_hostile__parent_segments(void **state)
{
    const sgt_tar_entry e[] = {BASE, {"package/../../.bashrc", "evil\n", 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("dotdot.tgz", e, 3, 1);
    r = verify_local("dotdot.tgz", NULL);
    expect_finding(&r, "unsafe-entry", "package/../../.bashrc");
    result_free(&r);
}

static void test_hostile__absolute_path(void **state)
{
    const sgt_tar_entry e[] = {BASE, {"/etc/profile.d/evil.sh", "evil\n", 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("absolute.tgz", e, 3, 1);
    r = verify_local("absolute.tgz", NULL);
    expect_finding(&r, "unsafe-entry", "/etc/profile.d/evil.sh");
    result_free(&r);
}

/*
 * npm's installer (pacote) skips link entries, so a link is a medium finding: reported, and a
 * failure from --fail-on medium (docs/security.md explains the choice).
 */
static void test_hostile__symlink_out_of_root(void **state)
{
    const sgt_tar_entry e[] = {BASE,
                               {"package/lib/passwd", NULL, 0, 0, '2', "../../../etc/passwd"}};
    result r;
    (void)state;
    tar_input("symlink.tgz", e, 3, 1);
    r = verify_local("symlink.tgz", "--fail-on medium");
    expect_finding(&r, "link-entry", "lib/passwd");
    assert_non_null(strstr(r.out, "leaves the package root"));
    result_free(&r);
}

static void test_hostile__hardlink_out_of_root(void **state)
{
    const sgt_tar_entry e[] = {BASE, {"package/shadow", NULL, 0, 0, '1', "/etc/shadow"}};
    result r;
    (void)state;
    tar_input("hardlink.tgz", e, 3, 1);
    r = verify_local("hardlink.tgz", "--fail-on medium");
    expect_finding(&r, "link-entry", "shadow");
    assert_non_null(strstr(r.out, "leaves the package root"));
    result_free(&r);
}

static void test_hostile__device_and_fifo(void **state)
{
    const sgt_tar_entry e[] = {
        BASE, {"package/null", NULL, 0, 0, '3', NULL}, {"package/pipe", NULL, 0, 0, '6', NULL}};
    result r;
    (void)state;
    tar_input("special.tgz", e, 4, 1);
    r = verify_local("special.tgz", NULL);
    expect_finding(&r, "unsafe-entry", "null");
    expect_finding(&r, "unsafe-entry", "pipe");
    result_free(&r);
}

static void test_hostile__duplicate_entries(void **state)
{
    const sgt_tar_entry e[] = {BASE, {"package/index.js", "steal();\n", 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("duplicate.tgz", e, 3, 1);
    r = verify_local("duplicate.tgz", NULL);
    expect_finding(&r, "duplicate-entry", "index.js");
    result_free(&r);
}

static void test_hostile__case_twins(void **state)
{
    const sgt_tar_entry e[] = {BASE, {"package/INDEX.js", "steal();\n", 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("case.tgz", e, 3, 1);
    r = verify_local("case.tgz", NULL);
    expect_finding(&r, "case-collision", "INDEX.js");
    result_free(&r);
}

/* ---- what npm installs is what is compared (issue 12) ------------------------------------- */

typedef struct rawtar {
    unsigned char b[64 * 512]; /* the stream */
    size_t len;                /* bytes used */
} rawtar;

/* An entry of `type` whose body is data (a file, or an extended header's records). */
static void raw_entry(rawtar *t, const char *name, char type, const char *data)
{
    size_t n = strlen(data);
    assert_true(t->len + 512 + (n + 511) / 512 * 512 + 1024 <= sizeof(t->b));
    ustar_header(t->b + t->len, name, n, type);
    t->len += 512;
    memcpy(t->b + t->len, data, n);
    t->len += (n + 511) / 512 * 512;
}

static void raw_base_and_write(rawtar *t, const char *file)
{
    raw_entry(t, "package/package.json", '0', PJ);
    raw_entry(t, "package/index.js", '0', INDEX_JS);
    t->len += 1024; /* the end blocks (the buffer starts zeroed) */
    write_input(file, t->b, t->len);
}

static void test_hostile__pax_path_then_gnu_long_name(void **state)
{
    static rawtar t;
    result r;
    (void)state;
    memset(&t, 0, sizeof(t));
    raw_entry(&t, "PaxHeader", 'x', "26 path=package/notes.txt\n");
    raw_entry(&t, "././@LongLink", 'L', "package/evil.js");
    raw_entry(&t, "package/README.md", '0', "require('child_process').exec('x');\n");
    raw_base_and_write(&t, "pax-then-l.tar");
    r = verify_local("pax-then-l.tar", NULL);
    expect_finding(&r, "tar-ambiguous", NULL);
    assert_non_null(strstr(r.out, "given by 2 extended headers"));
    result_free(&r);
}

static void test_hostile__old_gnu_n_header(void **state)
{
    static rawtar t;
    result r;
    (void)state;
    memset(&t, 0, sizeof(t));
    raw_entry(&t, "././@LongLink", 'N', "package/evil.js");
    raw_entry(&t, "package/notes.txt", '0', "require('child_process').exec('x');\n");
    raw_base_and_write(&t, "gnu-n.tar");
    r = verify_local("gnu-n.tar", NULL);
    expect_finding(&r, "tar-ambiguous", NULL);
    assert_non_null(strstr(r.out, "archaic extended header type 'N'"));
    result_free(&r);
}

static void test_hostile__dot_first_segment(void **state)
{
    const sgt_tar_entry e[] = {BASE, {"./evil.js", "steal();\n", 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("dot-first.tgz", e, 3, 1);
    r = verify_local("dot-first.tgz", NULL);
    expect_finding(&r, "tar-ambiguous", "evil.js");
    result_free(&r);
}

static void test_hostile__extensionless_file_beside_its_js(void **state)
{
    const sgt_tar_entry e[] = {BASE, {"package/index", "steal();\n", 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("extensionless.tgz", e, 3, 1);
    r = verify_local("extensionless.tgz", NULL);
    expect_finding(&r, "file-added", "index");
    result_free(&r);
}

static void test_hostile__main_retargeted_to_a_markdown_file(void **state)
{
    const sgt_tar_entry e[] = {
        {"package/package.json",
         "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"NOTES.md\"}\n", 0, 0, 0, NULL},
        BASE_INDEX,
        {"package/NOTES.md", "require('child_process').exec('x');\n", 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("main-notes.tgz", e, 3, 1);
    r = verify_local("main-notes.tgz", NULL);
    expect_finding(&r, "file-added", "NOTES.md");
    expect_finding(&r, "entry-changed", "package.json");
    assert_non_null(strstr(r.out, "main now points at 'NOTES.md'"));
    result_free(&r);
}

/* 256 MiB of zeros in about 256 KiB of gzip, written in chunks so the test stays small too. */
static void test_hostile__gzip_bomb(void **state)
{
    static char chunk[1 << 20];
    const size_t total = (size_t)256 << 20;
    struct archive *a = archive_write_new();
    struct archive_entry *ae = archive_entry_new();
    size_t used = 0, done;
    unsigned char *out = malloc((size_t)4 << 20);
    result r;

    (void)state;
    assert_non_null(out);
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    assert_int_equal(archive_write_open_memory(a, out, (size_t)4 << 20, &used), ARCHIVE_OK);
    archive_entry_set_pathname(ae, "package/package.json");
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, (la_int64_t)strlen(PJ));
    assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
    archive_write_data(a, PJ, strlen(PJ));
    archive_entry_clear(ae);
    archive_entry_set_pathname(ae, "package/bomb.bin");
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, (la_int64_t)total);
    assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
    for (done = 0; done < total; done += sizeof(chunk))
        assert_int_equal(archive_write_data(a, chunk, sizeof(chunk)), (la_ssize_t)sizeof(chunk));
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(ae);
    print_message("bomb: %zu MiB in %zu KiB\n", total >> 20, used >> 10);
    write_input("bomb.tgz", out, used);
    free(out);
    r = verify_local("bomb.tgz", NULL);
    expect_error(&r, 2, "'compression-ratio'");
    result_free(&r);
}

static void test_hostile__200000_entries(void **state)
{
    const size_t n = 200000;
    sgt_tar_entry *e = calloc(n, sizeof(*e));
    char *names = malloc(n * 24);
    size_t i;
    result r;

    (void)state;
    assert_non_null(e);
    assert_non_null(names);
    e[0] = (sgt_tar_entry){"package/package.json", PJ, 0, 0, 0, NULL};
    for (i = 1; i < n; i++) {
        snprintf(names + i * 24, 24, "package/f/%06zu.js", i);
        e[i] = (sgt_tar_entry){names + i * 24, NULL, 0, 0, 0, NULL};
    }
    tar_input("entries.tgz", e, n, 1);
    free(e);
    free(names);
    r = verify_local("entries.tgz", NULL);
    expect_error(&r, 2, "'entries'");
    result_free(&r);
}

static void test_hostile__4000_character_path(void **state)
{
    char name[4100];
    sgt_tar_entry e[] = {BASE, {name, "x", 0, 0, 0, NULL}};
    result r;
    (void)state;
    memcpy(name, "package/", 8);
    memset(name + 8, 'a', 3992);
    name[4000] = '\0';
    tar_input("long-path.tgz", e, 3, 1);
    r = verify_local("long-path.tgz", NULL);
    expect_error(&r, 2, "'path-length'");
    result_free(&r);
}

/* Raw ustar names in Latin-1 and with stray UTF-8 bytes: they stay findings, and the JSON
 * report stays valid JSON. */
static void test_hostile__names_not_utf8(void **state)
{
    unsigned char t[512 * 12];
    size_t n = 0;
    result r;
    (void)state;
    memset(t, 0, sizeof(t));
    ustar_header(t + n, "package/package.json", strlen(PJ), '0');
    memcpy(t + n + 512, PJ, strlen(PJ));
    n += 1024;
    ustar_header(t + n, "package/index.js", strlen(INDEX_JS), '0');
    memcpy(t + n + 512, INDEX_JS, strlen(INDEX_JS));
    n += 1024;
    ustar_header(t + n, "package/caf\xe9.js", 2, '0');
    memcpy(t + n + 512, "x\n", 2);
    n += 1024;
    ustar_header(t + n, "package/\xff\xfe\xc0\x80.js", 2, '0');
    memcpy(t + n + 512, "y\n", 2);
    n += 1024 + 1024; /* two zero blocks end the archive */
    write_input("latin1.tar", t, n);
    r = verify_local("latin1.tar", NULL);
    expect_finding(&r, "file-added", NULL);
    result_free(&r);
}

/* Terminal control sequences in a name: a finding, escaped in the JSON report. */
static void test_hostile__names_with_control_characters(void **state)
{
    const sgt_tar_entry e[] = {
        BASE, {"package/\x1b]0;owned\x07\x1b[2J\rverdict: pass.js", "x", 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("control.tgz", e, 3, 1);
    r = verify_local("control.tgz", NULL);
    expect_finding(&r, "file-added", "\x1b]0;owned\x07\x1b[2J\rverdict: pass.js");
    assert_null(strchr(r.out, '\x1b'));
    assert_null(strchr(r.out, '\r'));
    result_free(&r);
}

static void test_hostile__truncated_gzip(void **state)
{
    static char big[65536];
    const sgt_tar_entry e[] = {BASE, {"package/big.bin", big, sizeof(big), 0, 0, NULL}};
    unsigned char *t;
    size_t len, i;
    uint32_t x = 2463534242u;
    result r;
    (void)state;
    for (i = 0; i < sizeof(big); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        big[i] = (char)x;
    }
    sgt_tar_build(&t, &len, e, 3, 1);
    write_input("truncated.tgz", t, len / 2);
    free(t);
    r = verify_local("truncated.tgz", NULL);
    expect_error(&r, 2, "truncated");
    result_free(&r);
}

static void test_hostile__truncated_tar(void **state)
{
    static char big[8192];
    const sgt_tar_entry e[] = {BASE, {"package/big.bin", big, sizeof(big), 0, 0, NULL}};
    unsigned char *t;
    size_t len;
    result r;
    (void)state;
    memset(big, 'b', sizeof(big));
    sgt_tar_build(&t, &len, e, 3, 0);
    /* two header + data pairs, then big.bin's header and a part of its data */
    write_input("truncated.tar", t, 512 * 4 + 512 + 3000);
    free(t);
    r = verify_local("truncated.tar", NULL);
    expect_error(&r, 2, "'package/big.bin'");
    result_free(&r);
}

/* A header whose size field says 100,000 bytes, followed by 1 KiB of data and the end of the
 * file. (A size past 200 times the file's length is refused earlier, by the ratio limit.) */
static void test_hostile__size_field_past_the_data(void **state)
{
    unsigned char t[512 * 6];
    result r;
    (void)state;
    memset(t, 0, sizeof(t));
    ustar_header(t, "package/package.json", strlen(PJ), '0');
    memcpy(t + 512, PJ, strlen(PJ));
    ustar_header(t + 1024, "package/index.js", 100000, '0');
    memset(t + 1536, 'x', 1024);
    write_input("size-past-data.tar", t, 512 * 5);
    r = verify_local("size-past-data.tar", NULL);
    expect_error(&r, 2, "'package/index.js'");
    assert_non_null(strstr(r.err, "truncated"));
    result_free(&r);
}

/* ---- package.json rows ------------------------------------------------------------------- */

static void test_hostile__package_json_200000_deep(void **state)
{
    const size_t depth = 200000;
    char *pj = malloc(depth * 2 + 1);
    sgt_tar_entry e[] = {{"package/package.json", pj, depth * 2, 0, 0, NULL},
                         {"package/index.js", INDEX_JS, 0, 0, 0, NULL}};
    result r;
    (void)state;
    assert_non_null(pj);
    memset(pj, '[', depth);
    memset(pj + depth, ']', depth);
    pj[depth * 2] = '\0';
    tar_input("deep.tar", e, 2, 0); /* plain tar: 400 KB of brackets would trip the ratio */
    free(pj);
    r = verify_local("deep.tar", NULL);
    expect_error(&r, 2, "json-depth");
    result_free(&r);
}

static void test_hostile__invalid_json(void **state)
{
    const sgt_tar_entry e[] = {{"package/package.json", "{\"name\":\"demo\",", 0, 0, 0, NULL},
                               {"package/index.js", INDEX_JS, 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("bad-json.tgz", e, 2, 1);
    r = verify_local("bad-json.tgz", NULL);
    expect_error(&r, 2, "not valid JSON");
    result_free(&r);
}

static void test_hostile__invalid_utf8_in_json(void **state)
{
    const sgt_tar_entry e[] = {{"package/package.json",
                                "{\"name\":\"demo\xc3\x28\",\"version\":\"1.0.0\"}", 0, 0, 0, NULL},
                               {"package/index.js", INDEX_JS, 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("bad-utf8.tgz", e, 2, 1);
    r = verify_local("bad-utf8.tgz", NULL);
    expect_error(&r, 2, "invalid UTF-8");
    result_free(&r);
}

static void test_hostile__missing_package_json(void **state)
{
    const sgt_tar_entry e[] = {{"package/index.js", INDEX_JS, 0, 0, 0, NULL}};
    result r;
    (void)state;
    tar_input("no-package-json.tgz", e, 1, 1);
    r = verify_local("no-package-json.tgz", NULL);
    expect_error(&r, 2, "package.json");
    result_free(&r);
}

/* ---- repository rows --------------------------------------------------------------------- */

/* A 32 MiB blob against a 1 MiB git-blob-size limit: refused from the object header. */
static void test_hostile__repository_with_a_huge_blob(void **state)
{
    const size_t size = (size_t)32 << 20;
    char *blob = calloc(1, size), big_repo[4096], args[8192];
    sgt_file src[] = {
        {"package.json", PJ, 0, 0}, {"index.js", INDEX_JS, 0, 0}, {"big.bin", blob, size, 0}};
    const sgt_tar_entry e[] = {BASE};
    char commit[41];
    result r;
    (void)state;
    assert_non_null(blob);
    path_of(big_repo, sizeof(big_repo), "in/big.git");
    sgt_git_init(big_repo, 1);
    sgt_git_commit(commit, big_repo, NULL, src, 3, "a huge blob", 0);
    free(blob);
    tar_input("for-big-repo.tgz", e, 2, 1);
    snprintf(args, sizeof(args),
             "verify --tarball '%s/in/for-big-repo.tgz' --source '%s' --format json "
             "--limit git-blob-size=1048576",
             root, big_repo);
    r = run_cli(args);
    expect_error(&r, 2, "git-blob-size");
    assert_non_null(strstr(r.err, "big.bin"));
    result_free(&r);
}

/* ---- registry rows ----------------------------------------------------------------------- */

/* verify demo@1.0.0 against the registry srv, with the cache in root/cache. */
static result verify_registry(sgt_http_server *srv)
{
    char args[8192];
    snprintf(args, sizeof(args),
             "verify demo@1.0.0 --registry '%s' --cache '%s/cache' --format json "
             "--git-rewrite https://github.com/acme/demo.git='file://%s'",
             sgt_http_base_url(srv), root, repo);
    return run_cli(args);
}

/* The library with test-sized timeouts: a registry that sends half a packument and then
 * nothing. The CLI has no timeout options (its defaults are 120 s per request and 30 s of
 * silence), so this row runs the client itself. */
static void test_hostile__registry_that_stalls(void **state)
{
    static const char body[] = "{\"name\":\"demo\",\"versions\":{\"1.0.0\":{}}}";
    sgt_http_route routes[] = {{.target = "/demo",
                                .body = body,
                                .fault = SGT_HTTP_STALL,
                                .fault_after = 10,
                                .stall_ms = 20000}};
    sgt_http_server *srv = NULL;
    sg_registry_opts o = SG_REGISTRY_OPTS_INIT;
    sg_npm_config *cfg = NULL;
    sg_registry *reg = NULL;
    sg_cache *cache = NULL;
    sg_ctx *ctx = NULL;
    cJSON *doc = NULL;
    char dir[4096];
    struct timespec t0, t1;
    (void)state;
    sgt_http_start_routes(&srv, routes, 1);
    path_of(dir, sizeof(dir), "cache");
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_cache_open(&cache, ctx, dir), 0);
    assert_int_equal(sg_npm_config_new(&cfg, ctx), 0);
    assert_int_equal(sg_npm_config_set_registry(cfg, ctx, sgt_http_base_url(srv)), 0);
    o.cache = cache;
    o.config = cfg;
    o.connect_timeout_ms = 1000;
    o.total_timeout_ms = 800;
    o.low_speed_time_s = 1;
    o.max_retries = 1;
    o.retry_base_ms = 10;
    assert_int_equal(sg_registry_new(&reg, ctx, &o), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(sg_registry_packument(&doc, ctx, reg, "demo"), SG_ENET);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_null(doc);
    print_message("stalled registry given up after %.2f s: %s\n",
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                  sg_error_message(ctx));
    assert_non_null(strstr(sg_error_message(ctx), "/demo"));
    assert_null(strchr(sg_error_message(ctx), '\n'));
    assert_true(sgt_http_request_count(srv) <= 2); /* the request and at most one retry */
    sg_registry_free(reg);
    sg_npm_config_free(cfg);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
    sgt_http_stop(srv);
}

/* Content-Length promises more than the body: the transfer is refused, nothing is parsed. */
static void test_hostile__registry_content_length_too_long(void **state)
{
    static const char body[] = "{\"name\":\"demo\",\"versions\":{}}";
    sgt_http_route routes[] = {
        {.target = "/demo", .body = body, .fault = SGT_HTTP_LIE_LENGTH, .content_length = 1000000}};
    sgt_http_server *srv = NULL;
    result r;
    (void)state;
    sgt_http_start_routes(&srv, routes, 1);
    r = verify_registry(srv);
    sgt_http_stop(srv);
    expect_error(&r, 4, "/demo");
    result_free(&r);
}

/* Content-Length promises less than the body: only that much is read, and it is not JSON. */
static void test_hostile__registry_content_length_too_short(void **state)
{
    static const char body[] = "{\"name\":\"demo\",\"versions\":{\"1.0.0\":{\"dist\":{}}}}";
    sgt_http_route routes[] = {
        {.target = "/demo", .body = body, .fault = SGT_HTTP_LIE_LENGTH, .content_length = 20}};
    sgt_http_server *srv = NULL;
    result r;
    (void)state;
    sgt_http_start_routes(&srv, routes, 1);
    r = verify_registry(srv);
    sgt_http_stop(srv);
    expect_error(&r, 2, "JSON");
    result_free(&r);
}

static void test_hostile__registry_redirects_forever(void **state)
{
    char headers[256];
    sgt_http_route routes[] = {{.target = "/demo", .status = 302, .headers = headers}};
    sgt_http_server *srv = NULL;
    result r;
    (void)state;
    sgt_http_start_routes(&srv, NULL, 0);
    snprintf(headers, sizeof(headers), "Location: %sdemo\r\n", sgt_http_base_url(srv));
    sgt_http_set_routes(srv, routes, 1);
    r = verify_registry(srv);
    print_message("%zu requests before giving up\n", sgt_http_request_count(srv));
    assert_true(sgt_http_request_count(srv) <= 10);
    sgt_http_stop(srv);
    expect_error(&r, 4, "too many redirects");
    result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile__parent_segments),
        cmocka_unit_test(test_hostile__absolute_path),
        cmocka_unit_test(test_hostile__symlink_out_of_root),
        cmocka_unit_test(test_hostile__hardlink_out_of_root),
        cmocka_unit_test(test_hostile__device_and_fifo),
        cmocka_unit_test(test_hostile__duplicate_entries),
        cmocka_unit_test(test_hostile__case_twins),
        cmocka_unit_test(test_hostile__pax_path_then_gnu_long_name),
        cmocka_unit_test(test_hostile__old_gnu_n_header),
        cmocka_unit_test(test_hostile__dot_first_segment),
        cmocka_unit_test(test_hostile__extensionless_file_beside_its_js),
        cmocka_unit_test(test_hostile__main_retargeted_to_a_markdown_file),
        cmocka_unit_test(test_hostile__gzip_bomb),
        cmocka_unit_test(test_hostile__200000_entries),
        cmocka_unit_test(test_hostile__4000_character_path),
        cmocka_unit_test(test_hostile__names_not_utf8),
        cmocka_unit_test(test_hostile__names_with_control_characters),
        cmocka_unit_test(test_hostile__truncated_gzip),
        cmocka_unit_test(test_hostile__truncated_tar),
        cmocka_unit_test(test_hostile__size_field_past_the_data),
        cmocka_unit_test(test_hostile__package_json_200000_deep),
        cmocka_unit_test(test_hostile__invalid_json),
        cmocka_unit_test(test_hostile__invalid_utf8_in_json),
        cmocka_unit_test(test_hostile__missing_package_json),
        cmocka_unit_test(test_hostile__repository_with_a_huge_blob),
        cmocka_unit_test(test_hostile__registry_that_stalls),
        cmocka_unit_test(test_hostile__registry_content_length_too_long),
        cmocka_unit_test(test_hostile__registry_content_length_too_short),
        cmocka_unit_test(test_hostile__registry_redirects_forever),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
