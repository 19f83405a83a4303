/*
 * Tests of the publish folder (sg_rebuild__publish_dir in verifier/rebuild/publish_dir.c):
 * which folder a built package is packed from, on folders laid out as a build leaves them.
 * No sandbox needed.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verifier/rebuild/rebuild_int.h"

typedef struct fx {
    char *tmp;             /* the package folder */
    sg_ctx *ctx;           /* errors */
    sg_rebuild_input in;   /* the package's name */
    sg_rebuild_result res; /* steps */
    sg_rebuild_run r;      /* the run publish_dir reads */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->tmp = sgt_tmpdir();
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    f->in.name = "zustand";
    f->res = (sg_rebuild_result)SG_REBUILD_RESULT_INIT;
    f->r.ctx = f->ctx;
    f->r.in = &f->in;
    f->r.res = &f->res;
    sg_buf_init(&f->r.pkg_dir, 0);
    sg_buf_init(&f->r.log, 0);
    sg_buf_puts(&f->r.pkg_dir, f->tmp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    cJSON_Delete(f->r.pl.pkg);
    sg_buf_dispose(&f->r.pkg_dir);
    sg_buf_dispose(&f->r.log);
    sg_rebuild__result_dispose(&f->res);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->tmp);
    free(f);
    return 0;
}

/* The package's own package.json (what the plan read from the source). */
static void pkg_json(fx *f, const char *json)
{
    cJSON_Delete(f->r.pl.pkg);
    f->r.pl.pkg = cJSON_Parse(json);
    assert_non_null(f->r.pl.pkg);
}

/* A folder the build made, with a package.json (NULL: none). */
static void built(fx *f, const char *dir, const char *json)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", f->tmp, dir);
    assert_int_equal(mkdir(path, 0755), 0);
    if (json) {
        snprintf(path, sizeof(path), "%s/%s/package.json", f->tmp, dir);
        sgt_write_file(path, json, strlen(json), 0644);
    }
}

static const char *last_step(fx *f)
{
    return f->res.nsteps ? f->res.steps[f->res.nsteps - 1] : "";
}

/* zustand: a private root, dist/package.json made by the build. */
static void test_publish_dir__private_root_packs_the_built_folder(void **state)
{
    fx *f = *state;
    sg_buf out = SG_BUF_INIT;
    char want[4200];

    pkg_json(f, "{\"name\":\"zustand\",\"private\":true}");
    built(f, "docs", "{\"name\":\"zustand-docs\"}");
    built(f, "examples", "{\"name\":\"zustand\",\"private\":true}"); /* private: not it */
    built(f, "dist", "{\"name\":\"zustand\",\"version\":\"5.0.15\"}");
    assert_int_equal(sg_rebuild__publish_dir(&f->r, &out), 1);
    snprintf(want, sizeof(want), "%s/dist", f->tmp);
    assert_string_equal(out.ptr, want);
    assert_non_null(strstr(last_step(f), "publish folder: dist (the package.json here is private"));
    sg_buf_dispose(&out);
}

/* publishConfig.directory wins, when the build made a package.json there. */
static void test_publish_dir__publish_config_directory(void **state)
{
    fx *f = *state;
    sg_buf out = SG_BUF_INIT;
    char want[4200];

    pkg_json(f, "{\"name\":\"zustand\",\"publishConfig\":{\"directory\":\"release\"}}");
    built(f, "dist", "{\"name\":\"zustand\"}");
    assert_int_equal(sg_rebuild__publish_dir(&f->r, &out), 0); /* release/ not built yet */
    built(f, "release", "{\"name\":\"zustand\"}");
    assert_int_equal(sg_rebuild__publish_dir(&f->r, &out), 1);
    snprintf(want, sizeof(want), "%s/release", f->tmp);
    assert_string_equal(out.ptr, want);
    assert_non_null(strstr(last_step(f), "(publishConfig.directory)"));
    sg_buf_dispose(&out);
}

/* A publishable package packs from its own folder; hostile directories are not followed. */
static void test_publish_dir__none_for_a_public_package_or_hostile_paths(void **state)
{
    fx *f = *state;
    sg_buf out = SG_BUF_INIT;
    char link[4200];

    built(f, "dist", "{\"name\":\"zustand\"}");
    pkg_json(f, "{\"name\":\"zustand\"}");
    assert_int_equal(sg_rebuild__publish_dir(&f->r, &out), 0);
    pkg_json(f, "{\"name\":\"zustand\",\"publishConfig\":{\"directory\":\"../outside\"}}");
    assert_int_equal(sg_rebuild__publish_dir(&f->r, &out), 0);
    pkg_json(f, "{\"name\":\"zustand\",\"publishConfig\":{\"directory\":\"/etc\"}}");
    assert_int_equal(sg_rebuild__publish_dir(&f->r, &out), 0);
    /* a link the build made is not a folder to pack from */
    snprintf(link, sizeof(link), "%s/lnk", f->tmp);
    assert_int_equal(symlink("dist", link), 0);
    pkg_json(f, "{\"name\":\"zustand\",\"publishConfig\":{\"directory\":\"lnk\"}}");
    assert_int_equal(sg_rebuild__publish_dir(&f->r, &out), 0);
    /* a package.json that is not JSON names nothing */
    pkg_json(f, "{\"name\":\"zustand\",\"private\":true}");
    built(f, "lib", "{not json");
    sg_buf_clear(&out);
    assert_int_equal(sg_rebuild__publish_dir(&f->r, &out), 1); /* dist still does */
    assert_non_null(strstr(out.ptr, "/dist"));
    assert_int_equal(f->res.nsteps, 1);
    sg_buf_dispose(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_dir__private_root_packs_the_built_folder,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_dir__publish_config_directory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_publish_dir__none_for_a_public_package_or_hostile_paths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
