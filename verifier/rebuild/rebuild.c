/*
 * Rebuild a package from its commit (DESIGN.md "Rebuild"): materialize the repository's tree in
 * a scratch folder (rebuild_copy.c), choose the package manager, the Node version and the build
 * the repository itself uses (rebuild_plan.c), run install (scripts disabled, registry-only
 * network), build and pack in the sandbox, and read the tarball the pack command made
 * (rebuild_run.c). This file runs the whole from start to end and keeps its log.
 */
#include "common/common.h"

#include <time.h>

#include <git2.h>

#include "verifier/rebuild/rebuild_int.h"

#define DEFAULT_REGISTRY "https://registry.npmjs.org/"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---------------------------------------------------------------- modes */

static const char *const mode_names[] = {"never", "auto", "always"};

int sg_rebuild_mode_parse(sg_rebuild_mode *out, sg_ctx *ctx, const char *name)
{
    size_t i;
    for (i = 0; name && i < SG_ARRAY_SIZE(mode_names); i++) {
        if (strcmp(name, mode_names[i]) == 0) {
            *out = (sg_rebuild_mode)i;
            return 0;
        }
    }
    return sg_error_set(ctx, SG_EINVALID, "rebuild mode must be auto, always or never, not '%s'",
                        name ? name : "");
}

const char *sg_rebuild_mode_name(sg_rebuild_mode mode)
{
    return (unsigned)mode < SG_ARRAY_SIZE(mode_names) ? mode_names[mode] : "unknown";
}

void sg_rebuild__result_dispose(sg_rebuild_result *res)
{
    size_t i;
    sg_tree_free(res->tree);
    for (i = 0; i < res->nsteps; i++)
        sg_free(res->steps[i]);
    sg_free(res->steps);
    cJSON_Delete(res->recipe);
    memset(res, 0, sizeof(*res));
}

/* ---- the steps and the reason, for the report and the log ---- */

int sg_rebuild__add_step(sg_rebuild_run *r, const char *fmt, ...)
{
    sg_rebuild_result *res = r->res;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (SG_ARRAY_GROW(res->steps, res->steps_cap, res->nsteps + 1, 8) < 0 ||
        !(res->steps[res->nsteps] = sg_strdup(line)))
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    res->nsteps++;
    sg_buf_printf(&r->log, "%s\n", line);
    return 0;
}

void sg_rebuild__set_reason(sg_rebuild_run *r, sg_rebuild_status st, const char *fmt, ...)
{
    va_list ap;
    r->res->status = st;
    va_start(ap, fmt);
    vsnprintf(r->res->reason, sizeof(r->res->reason), fmt, ap);
    va_end(ap);
    sg_buf_printf(&r->log, "\nresult: %s\n", r->res->reason);
}

/* ---- the log ---- */

/* The log's path in the cache: rebuild/logs/<name>-<version>-<commit>.log (-varied.log for the
 * second, varied build), with every byte outside [A-Za-z0-9._-] made '_' and no leading dot. */
static int log_name(sg_buf *out, sg_ctx *ctx, const sg_rebuild_input *in)
{
    sg_buf base = SG_BUF_INIT;
    size_t i;
    int error;
    sg_buf_printf(&base, "%s-%s-%.12s", in->name ? in->name : "package",
                  in->version ? in->version : "0", in->commit ? in->commit : "unknown");
    for (i = 0; i < base.size; i++) {
        char c = base.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            base.ptr[i] = '_';
    }
    sg_buf_clear(out);
    sg_buf_printf(out, "rebuild/logs/%s%s.log", base.ptr[0] == '.' ? base.ptr + 1 : base.ptr,
                  in->variation ? "-varied" : "");
    if ((error = sg_buf_check(&base, ctx, "the log's name")) == 0)
        error = sg_buf_check(out, ctx, "the log's name");
    sg_buf_dispose(&base);
    return error;
}

/* Write the log into the cache; its path into the result (only when it fits there whole). */
static int keep_log(sg_rebuild_run *r)
{
    sg_cache *cache = NULL;
    sg_buf path = SG_BUF_INIT, rel = SG_BUF_INIT;
    int error;

    if (!r->o->cache_dir)
        return 0;
    if ((error = log_name(&rel, r->ctx, r->in)) == 0 &&
        (error = sg_cache_open(&cache, r->ctx, r->o->cache_dir)) == 0 &&
        (error = sg_buf_check(&r->log, r->ctx, "the rebuild log")) == 0 &&
        (error = sg_cache_write(cache, r->ctx, rel.ptr, r->log.ptr, r->log.size)) == 0 &&
        (error = sg_cache_path(&path, r->ctx, cache, rel.ptr)) == 0) {
        if (path.size < sizeof(r->res->log))
            memcpy(r->res->log, path.ptr, path.size + 1);
        else
            error = sg_error_set(r->ctx, SG_ELIMIT,
                                 "the rebuild log's path '%s' is longer than %zu bytes", path.ptr,
                                 sizeof(r->res->log) - 1);
    }
    sg_cache_free(cache);
    sg_buf_dispose(&path);
    sg_buf_dispose(&rel);
    return error;
}

/* ---- the whole rebuild ---- */

static int describe_pm(sg_rebuild_run *r)
{
    const char *argv[4], *real;
    char *resolved = NULL;
    sg_buf v = SG_BUF_INIT;
    int error;

    if (r->pl.pm != SG_REBUILD_PM_NPM || r->pl.pm_version[0] || !r->t.npm.size)
        return sg_rebuild__add_step(r, "package manager: %s %s through corepack (%s)",
                                    sg_rebuild__pm_name(r->pl.pm), r->pl.pm_version, r->pl.pm_why);
    resolved = realpath(r->t.npm.ptr, NULL);
    real = resolved ? resolved : r->t.npm.ptr;
    argv[0] = strstr(real, ".js") ? r->t.node.ptr : real;
    argv[1] = strstr(real, ".js") ? real : "--version";
    argv[2] = strstr(real, ".js") ? "--version" : NULL;
    argv[3] = NULL;
    sg_buf_init(&v, 256);
    if (sg_sandbox__capture(&v, r->ctx, argv, 30000) < 0) {
        sg_error_clear(r->ctx);
        sg_buf_clear(&v);
        sg_buf_puts(&v, "(version unknown)");
    }
    sg_buf_truncate(&v, strcspn(v.ptr, "\r\n"));
    error =
        sg_rebuild__add_step(r, "package manager: npm %s, the machine's (%s)", v.ptr, r->pl.pm_why);
    if (error == 0 && v.ptr[0] != '(') /* the recipe pins the version that ran */
        error = sg_rebuild__recipe_set(r, "package_manager_version", v.ptr);
    sg_buf_dispose(&v);
    free(resolved);
    return error;
}

/* Pick the tools and the sandbox; 1 when the rebuild cannot go on (result set). */
static int prepare(sg_rebuild_run *r)
{
    int error = sg_rebuild__plan_make(&r->pl, r->ctx, r->in->root, r->in->subdir);
    if (error == SG_ENOTFOUND || error == SG_EINVALID) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED, "cannot read the package's package.json: %s",
                               sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        return 1;
    }
    if (error < 0)
        return error;
    if ((error = sg_rebuild__plan_default_pm_version(&r->pl, r->ctx, r->in->root)) < 0)
        return error;
    if ((error = sg_rebuild__choose_node(&r->t, r->ctx, r->o, &r->pl)) == SG_ENOTFOUND ||
        error == SG_EIO) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED, "missing Node: %s", sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        return 1;
    }
    if (error < 0 || (error = sg_rebuild__check_sandbox(&r->t, r->ctx, r->o)) < 0)
        return error;
    if (!r->t.sandboxed && !r->o->allow_unsafe_no_sandbox) {
        if (r->o->mode == SG_REBUILD_AUTO) {
            sg_rebuild__set_reason(
                r, SG_REBUILD_SKIPPED,
                "the sandbox cannot run here (%s); --unsafe-no-sandbox builds without "
                "it",
                r->t.sandbox_note);
            return 1;
        }
        return sg_error_set(r->ctx, SG_EUNSUPPORTED,
                            "cannot rebuild in a sandbox: %s; --unsafe-no-sandbox builds "
                            "without one",
                            r->t.sandbox_note);
    }
    if ((error = describe_pm(r)) < 0 ||
        (error = sg_rebuild__add_step(r, "node: %s at %s (%s)", r->t.node_version, r->t.node.ptr,
                                      r->t.node_note)) < 0)
        return error;
    return 0;
}

static int build_all(sg_rebuild_run *r)
{
    sg_buf pm = SG_BUF_INIT, missing = SG_BUF_INIT;
    char folder[128];
    uint64_t t0 = now_ms();
    int rc = 0, skipped = 0;

    sg_rebuild__clone_folder(folder, sizeof(folder), r->in->repository);
    if ((rc = sg_rebuild__make_work(r)) < 0 ||
        (skipped = sg_rebuild__materialize_ext(r->ctx, r->in->root, r->src.ptr, &missing)) < 0 ||
        (rc = sg_rebuild__add_step(r,
                                   "source: %zu entries of commit %.12s copied in %.1f s into a "
                                   "folder named '%s', as git clone names it",
                                   sg_tree_count(r->in->root), r->in->commit ? r->in->commit : "?",
                                   (double)(now_ms() - t0) / 1000.0, folder)) < 0 ||
        (rc = sg_rebuild__recipe_set(r, "source_folder", folder)) < 0 ||
        (skipped > 0 && (rc = sg_rebuild__add_step(r,
                                                   "source: %d files the repository lacks were "
                                                   "not copied (%s)",
                                                   skipped, missing.ptr)) < 0)) {
        rc = skipped < 0 ? skipped : rc;
        goto done;
    }
    if (r->in->repo && r->in->commit) {
        /* A build may ask git (git grep, git describe, a banner with the commit). */
        const git_error *ge;
        if (sg_rebuild__make_git(r->in, r->src.ptr) == 0) {
            rc = sg_rebuild__add_step(r, "git: a shallow .git whose HEAD is the commit%s%s",
                                      r->in->ref ? ", tag " : "", r->in->ref ? r->in->ref : "");
        } else {
            ge = git_error_last();
            rc = sg_rebuild__add_step(r, "git: no .git in the copy (%s)",
                                      ge && ge->message ? ge->message : "libgit2 failed");
        }
        if (rc < 0)
            goto done;
    }
    sg_buf_clear(&r->pkg_dir);
    sg_buf_printf(&r->pkg_dir, "%s%s%s", r->src.ptr, *r->in->subdir ? "/" : "", r->in->subdir);
    sg_buf_clear(&r->lock_dir);
    sg_buf_printf(&r->lock_dir, "%s%s%s", r->src.ptr, r->pl.lock_dir.size ? "/" : "",
                  r->pl.lock_dir.ptr);
    if ((rc = sg_buf_check(&r->pkg_dir, r->ctx, "a path")) < 0 ||
        (rc = sg_buf_check(&r->lock_dir, r->ctx, "a path")) < 0)
        goto done;
    if ((rc = sg_rebuild__pm_program(r, &pm)) != 0 ||
        (rc = sg_rebuild__step_install(r, pm.ptr)) != 0 ||
        (rc = sg_rebuild__step_build(r, pm.ptr)) != 0 ||
        (rc = sg_rebuild__step_pack(r, pm.ptr)) != 0 || (rc = sg_rebuild__read_packed(r)) != 0 ||
        (rc = sg_rebuild__step_more(r, pm.ptr)) != 0)
        goto done;
    if ((rc = sg_rebuild__recipe_finish(r)) < 0)
        goto done;
    r->res->status = SG_REBUILD_BUILT;
    snprintf(r->res->build_dir, sizeof(r->res->build_dir), "%s", r->src.ptr);
    sg_buf_puts(&r->log, "\nresult: built\n");
done:
    sg_buf_dispose(&pm);
    sg_buf_dispose(&missing);
    return rc;
}

/* Remove the scratch folders (the dependency caches stay); the time goes into the log. */
static void remove_scratch(sg_rebuild_run *r)
{
    uint64_t t0 = now_ms();
    if (r->net_separate && r->net.size)
        sg_sandbox__remove_tree(NULL, r->net.ptr);
    if (r->work.size) {
        /* no ctx: an error being returned keeps its message */
        if (sg_sandbox__remove_tree(NULL, r->work.ptr) < 0) {
            sg_buf_printf(&r->log, "\nscratch folder '%s' not removed: %s\n", r->work.ptr,
                          strerror(errno));
        } else {
            sg_buf_printf(&r->log, "\nscratch folder removed in %.1f s\n",
                          (double)(now_ms() - t0) / 1000.0);
        }
    }
    sg_buf_clear(&r->work);
    r->net_separate = 0;
}

static void run_dispose(sg_rebuild_run *r)
{
    sg_buf *bufs[] = {&r->src,       &r->home,    &r->out,      &r->bin, &r->net,
                      &r->npm_cache, &r->pkg_dir, &r->lock_dir, &r->log, &r->registry};
    size_t i;
    remove_scratch(r);
    sg_buf_dispose(&r->work);
    for (i = 0; i < SG_ARRAY_SIZE(bufs); i++)
        sg_buf_dispose(bufs[i]);
    sg_rebuild__plan_dispose(&r->pl);
    sg_rebuild__tools_dispose(&r->t);
}

int sg_rebuild__run(sg_rebuild_result *res, sg_ctx *ctx, const sg_rebuild_opts *opts,
                    const sg_rebuild_input *input)
{
    static const sg_rebuild_result init = SG_REBUILD_RESULT_INIT;
    sg_rebuild_run r;
    int rc, error;

    *res = init;
    if (!opts || !input || !input->root)
        return sg_error_set(ctx, SG_EINVALID, "a rebuild needs options and a source tree");
    memset(&r, 0, sizeof(r));
    r.ctx = ctx;
    r.o = opts;
    r.in = input;
    r.res = res;
    sg_rebuild__tools_init(&r.t);
    {
        sg_buf *bufs[] = {&r.work, &r.src,       &r.home,    &r.out,     &r.bin,
                          &r.net,  &r.npm_cache, &r.pkg_dir, &r.lock_dir};
        size_t i;
        for (i = 0; i < SG_ARRAY_SIZE(bufs); i++)
            sg_buf_init(bufs[i], 8192);
    }
    sg_buf_init(&r.log, 64u << 20);
    sg_buf_init(&r.registry, 4096);
    {
        /* Credentials in the registry URL never enter the sandbox (its environment, npm's
         * and corepack's configuration, the log): the URL goes in without its userinfo. */
        const char *reg = opts->registry ? opts->registry : DEFAULT_REGISTRY;
        sg_url_redact(&r.registry, reg, strlen(reg), "/?#", NULL);
    }
    sg_rebuild__allow_registry(&r.allow, r.registry.ptr);
    sg_buf_printf(&r.log, "sourcegate rebuild of %s@%s from commit %s%s%s%s\n\n",
                  input->name ? input->name : "(unnamed)", input->version ? input->version : "",
                  input->commit ? input->commit : "(unknown)", *input->subdir ? ", folder " : "",
                  input->subdir,
                  input->variation ? " (second build, varied: build path, TZ=Etc/GMT-14, "
                                     "LANG=LC_ALL=fr_CH.UTF-8, umask 0002)"
                                   : "");
    rc = prepare(&r);
    if (rc == 0)
        rc = build_all(&r);
    if (r.limits[0] && rc >= 0)
        rc = sg_rebuild__add_step(
                 &r, "sandbox: %s; time %u s for all steps, %s",
                 r.t.sandboxed ? "bubblewrap, no network while building, the registry only "
                                 "while installing"
                               : "NONE (--unsafe-no-sandbox): the build ran on the host",
                 opts->timeout_seconds ? opts->timeout_seconds : SG_REBUILD_DEFAULT_TIMEOUT,
                 r.limits) < 0
                 ? SG_ENOMEM
                 : rc;
    error = rc < 0 ? rc : 0;
    remove_scratch(&r);
    if (error == 0 || error != SG_EUNSUPPORTED) {
        int lerr = keep_log(&r);
        if (error == 0 && lerr < 0) {
            /* a log that cannot be kept does not spoil the rebuild */
            sg_error_clear(ctx);
        }
    }
    run_dispose(&r);
    if (error < 0)
        sg_rebuild__result_dispose(res);
    return error;
}
