/*
 * Running the rebuild's steps: the scratch folders, the package manager's program (a corepack
 * shim or the machine's npm), the environment, each of install, build and pack in the sandbox,
 * and the tarball the pack command made.
 */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "verifier/fetch/integrity_int.h"
#include "verifier/rebuild/sandbox_int.h"

#define STEP_OUTPUT_LIMIT (4u << 20) /* bytes of one step's output kept for the log */
#define MAX_FILE_BYTES (4ull << 30)  /* RLIMIT_FSIZE of the build */

/* ---- the scratch folders ---- */

static int make_dir(sg_rebuild_run *r, sg_buf *b, const char *name)
{
    sg_buf_clear(b);
    sg_buf_printf(b, "%s/%s", r->work.ptr, name);
    if (sg_buf_check(b, r->ctx, "a path") < 0)
        return SG_ENOMEM;
    if (mkdir(b->ptr, 0700) < 0 && errno != EEXIST)
        return sg_error_set(r->ctx, SG_EIO, "cannot make '%s': %s", b->ptr, strerror(errno));
    return 0;
}

/* mkdir -p for a folder under the cache (0700). */
static int make_dirs(sg_ctx *ctx, const char *path)
{
    sg_buf tmp = SG_BUF_INIT;
    size_t i, n = strlen(path);
    int error;
    sg_buf_put(&tmp, path, n);
    if ((error = sg_buf_check(&tmp, ctx, "a path")) < 0)
        goto done;
    for (i = 1; i <= n; i++) {
        if (tmp.ptr[i] == '/' || tmp.ptr[i] == '\0') {
            char c = tmp.ptr[i];
            tmp.ptr[i] = '\0';
            if (mkdir(tmp.ptr, 0700) < 0 && errno != EEXIST) {
                error = sg_error_set(ctx, SG_EIO, "cannot make '%s': %s", tmp.ptr, strerror(errno));
                goto done;
            }
            tmp.ptr[i] = c;
        }
    }
done:
    sg_buf_dispose(&tmp);
    return error;
}

/* Replace a relative path of an existing folder with its absolute one. */
static int make_absolute(sg_rebuild_run *r, sg_buf *path)
{
    char *real = realpath(path->ptr, NULL);
    if (!real)
        return sg_error_set(r->ctx, SG_EIO, "cannot resolve '%s': %s", path->ptr, strerror(errno));
    sg_buf_clear(path);
    sg_buf_puts(path, real);
    free(real);
    return sg_buf_check(path, r->ctx, "a path");
}

const char *sg_rebuild__clone_folder(char *out, size_t n, const char *url)
{
    size_t len = url ? strlen(url) : 0, start, i;

    while (len && url[len - 1] == '/')
        len--;
    if (len >= 5 && memcmp(url + len - 5, "/.git", 5) == 0)
        len -= 5;
    if (len >= 4 && memcmp(url + len - 4, ".git", 4) == 0)
        len -= 4;
    for (start = len; start && url[start - 1] != '/' && url[start - 1] != ':'; start--)
        ;
    for (i = start; i < len; i++)
        if (!((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
              (url[i] >= '0' && url[i] <= '9') || url[i] == '.' || url[i] == '_' || url[i] == '-'))
            break;
    if (start == len || i < len || url[start] == '.' || len - start >= n)
        snprintf(out, n, "src");
    else
        snprintf(out, n, "%.*s", (int)(len - start), url + start);
    return out;
}

int sg_rebuild__make_work(sg_rebuild_run *r)
{
    const char *cache = r->o->cache_dir;
    char folder[128];
    int error;

    sg_buf_clear(&r->work);
    if (cache) {
        sg_buf_printf(&r->work, "%s/tmp", cache);
        if ((error = sg_buf_check(&r->work, r->ctx, "a path")) < 0 ||
            (error = make_dirs(r->ctx, r->work.ptr)) < 0)
            return error;
        sg_buf_puts(&r->work, "/rebuild-XXXXXX");
    } else {
        sg_buf_puts(&r->work, "/tmp/sourcegate-rebuild-XXXXXX");
    }
    if ((error = sg_buf_check(&r->work, r->ctx, "a path")) < 0)
        return error;
    if (!mkdtemp(r->work.ptr)) {
        error = sg_error_set(r->ctx, SG_EIO, "cannot make a scratch folder '%s': %s", r->work.ptr,
                             strerror(errno));
        sg_buf_clear(&r->work);
        return error;
    }
    if (r->work.ptr[0] != '/' && (error = make_absolute(r, &r->work)) < 0)
        return error; /* a relative cache folder: every bind needs a full path */
    /* The copy is in a folder named as `git clone` names it (rollup's commonjs plugin names
     * a module after its folder); the second, varied build (issue 15) builds at another
     * path, one level deeper, in a folder of the same name. */
    sg_rebuild__clone_folder(folder, sizeof(folder), r->in->repository);
    sg_buf_clear(&r->src);
    sg_buf_printf(&r->src, "%s/%ssrc/%s", r->work.ptr, r->in->variation ? "varied-build-path/" : "",
                  folder);
    if ((error = sg_buf_check(&r->src, r->ctx, "a path")) < 0 ||
        (error = make_dirs(r->ctx, r->src.ptr)) < 0 ||
        (error = make_dir(r, &r->home, "home")) < 0 || (error = make_dir(r, &r->out, "out")) < 0 ||
        (error = make_dir(r, &r->bin, "bin")) < 0 || (error = make_dir(r, &r->net, "net")) < 0)
        return error;
    /* the shims are read by the sandbox's uid when sourcegate runs as root */
    chmod(r->bin.ptr, 0755);
    if (r->net.size + 16 > 100) { /* a Unix socket path must fit in sun_path */
        sg_buf_clear(&r->net);
        sg_buf_puts(&r->net, "/tmp/sourcegate-net-XXXXXX");
        if (!mkdtemp(r->net.ptr))
            return sg_error_set(r->ctx, SG_EIO, "cannot make a scratch folder: %s",
                                strerror(errno));
        r->net_separate = 1;
    }
    /* The package managers' caches are the rebuild's own, empty, and deleted with it: nothing
     * an earlier rebuild ran can have written them (the shared cache is the gateway's, which
     * only sourcegate writes, from bytes it checked). */
    return make_dir(r, &r->npm_cache, "pm-cache");
}

static void quote_sh(sg_buf *b, const char *s)
{
    sg_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            sg_buf_puts(b, "'\\''");
        else
            sg_buf_putc(b, *s);
    }
    sg_buf_putc(b, '\'');
}

/* ---- the package manager's program ---- */

/* A #!/bin/sh wrapper in bin/ that runs `name` through corepack at the chosen version. */
static int write_shim(sg_rebuild_run *r, const char *name, const char *pm, const char *version)
{
    sg_buf path = SG_BUF_INIT, text = SG_BUF_INIT;
    char spec[128];
    int fd, error = 0;

    snprintf(spec, sizeof(spec), "%s@%s", pm, version);
    sg_buf_printf(&path, "%s/%s", r->bin.ptr, name);
    sg_buf_puts(&text, "#!/bin/sh\nexec ");
    quote_sh(&text, r->t.corepack.ptr);
    sg_buf_putc(&text, ' ');
    quote_sh(&text, spec);
    if (strcmp(name, pm) != 0) { /* npx, pnpx: corepack npm@x npx? run the bin by name */
        sg_buf_putc(&text, ' ');
        quote_sh(&text, name);
    }
    sg_buf_puts(&text, " \"$@\"\n");
    if ((error = sg_buf_check(&path, r->ctx, "a path")) < 0 ||
        (error = sg_buf_check(&text, r->ctx, "a shim")) < 0)
        goto done;
    fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0755);
    if (fd < 0 || write(fd, text.ptr, text.size) != (ssize_t)text.size) {
        error = sg_error_set(r->ctx, SG_EIO, "cannot write '%s': %s", path.ptr, strerror(errno));
    }
    if (fd >= 0)
        close(fd);
done:
    sg_buf_dispose(&path);
    sg_buf_dispose(&text);
    return error;
}

/* Corepack's default version of the package manager in the rebuild's own COREPACK_HOME: the
 * one the shim runs. A package manager's scripts may call corepack without a version (yarn 2+
 * runs `yarn` inside scripts through corepack's yarn.js when COREPACK_ROOT is set), and without
 * a packageManager field corepack then asks the registry for the latest release, which the
 * offline build step cannot reach (and which would not be the version chosen). */
static int write_corepack_default(sg_rebuild_run *r)
{
    sg_buf path = SG_BUF_INIT;
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    int fd = -1, error = 0;

    if (!o || !cJSON_AddStringToObject(o, sg_rebuild__pm_name(r->pl.pm), r->pl.pm_version) ||
        !(text = cJSON_Print(o))) {
        error = sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
        goto done;
    }
    sg_buf_printf(&path, "%s/.cache/node/corepack", r->home.ptr);
    if ((error = sg_buf_check(&path, r->ctx, "a path")) < 0 ||
        (error = make_dirs(r->ctx, path.ptr)) < 0)
        goto done;
    sg_buf_puts(&path, "/lastKnownGood.json");
    if ((error = sg_buf_check(&path, r->ctx, "a path")) < 0)
        goto done;
    fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || sg_fd_write_all(fd, text, strlen(text), 0) < 0)
        error = sg_error_set(r->ctx, SG_EIO, "cannot write '%s': %s", path.ptr, strerror(errno));
done:
    if (fd >= 0)
        close(fd);
    cJSON_free(text);
    cJSON_Delete(o);
    sg_buf_dispose(&path);
    return error;
}

/* The program that runs the package manager: a corepack shim, or the machine's npm. */
int sg_rebuild__pm_program(sg_rebuild_run *r, sg_buf *out)
{
    sg_rebuild_pm pm = r->pl.pm;
    int error;

    sg_buf_clear(out);
    if (pm == SG_REBUILD_PM_NPM && !r->pl.pm_version[0]) {
        if (!r->t.npm.size) {
            sg_rebuild__set_reason(r, SG_REBUILD_FAILED, "npm is not installed next to node '%s'",
                                   r->t.node.ptr);
            return 1;
        }
        sg_buf_puts(out, r->t.npm.ptr);
        return 0;
    }
    if (pm == SG_REBUILD_PM_BUN) {
        sg_rebuild__set_reason(r, SG_REBUILD_SKIPPED,
                               "the repository uses bun, which the rebuild does not "
                               "support yet");
        return 1;
    }
    if (!r->t.corepack.size) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED,
                               "%s %s is needed and corepack is not installed next to node '%s'",
                               sg_rebuild__pm_name(pm), r->pl.pm_version, r->t.node.ptr);
        return 1;
    }
    if ((error = sg_rebuild__check_pm(r)) != 0 ||
        (error =
             write_shim(r, sg_rebuild__pm_name(pm), sg_rebuild__pm_name(pm), r->pl.pm_version)) < 0)
        return error;
    if (pm == SG_REBUILD_PM_NPM && (error = write_shim(r, "npx", "npm", r->pl.pm_version)) < 0)
        return error;
    if ((error = write_corepack_default(r)) < 0)
        return error;
    sg_buf_printf(out, "%s/%s", r->bin.ptr, sg_rebuild__pm_name(pm));
    return sg_buf_check(out, r->ctx, "a path");
}

/* ---- environment (a flat NULL-terminated array of owned strings) ---- */

typedef struct envv {
    char *v[128]; /* entries */
    size_t n;     /* used */
    int error;    /* sticky */
} envv;

static void env_add(envv *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void env_add(envv *e, const char *fmt, ...)
{
    sg_buf b = SG_BUF_INIT;
    va_list ap;
    if (e->error || e->n + 1 >= SG_ARRAY_SIZE(e->v)) {
        e->error = SG_ELIMIT;
        return;
    }
    va_start(ap, fmt);
    sg_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (b.error || !(e->v[e->n] = sg_buf_detach(&b, NULL))) {
        e->error = SG_ENOMEM;
        sg_buf_dispose(&b);
        return;
    }
    e->n++;
    e->v[e->n] = NULL;
}

static void env_dispose(envv *e)
{
    size_t i;
    for (i = 0; i < e->n; i++)
        free(e->v[i]);
    memset(e, 0, sizeof(*e));
}

/* The registry the step's tools use: the gateway (its URL is only known inside, where the
 * forwarder replaces the mark) for a sandboxed install step, else the registry itself. */
static void registry_env(sg_rebuild_run *r, envv *e, int gateway)
{
    const char *reg = gateway ? "@SG_GATEWAY@/" : r->registry.ptr;
    size_t rl = strlen(reg);
    int nl = (int)(rl && reg[rl - 1] == '/' ? rl - 1 : rl);

    env_add(e, "npm_config_registry=%s", reg);
    if (gateway) { /* lockfile URLs of any host go to the gateway too */
        env_add(e, "npm_config_replace_registry_host=always");
        /* the gateway retries the registry itself; its 502 is final */
        env_add(e, "npm_config_fetch_retries=0");
        /* npm's default, over whatever the repository's .npmrc says: the gateway serves 128
         * connections at once and refuses more (an operational error, not a verdict) */
        env_add(e, "npm_config_maxsockets=15");
        env_add(e, "YARN_UNSAFE_HTTP_WHITELIST=127.0.0.1");
    }
    env_add(e, "COREPACK_NPM_REGISTRY=%.*s", nl, reg);
    env_add(e, "YARN_NPM_REGISTRY_SERVER=%.*s", nl, reg);
    if (gateway) /* the forwarder puts its address in place of the mark in these files too */
        env_add(e, "SG_GATEWAY_FILES=%s/yarn.lock\n%s/package-lock.json\n%s/pnpm-lock.yaml",
                r->lock_dir.ptr, r->lock_dir.ptr, r->lock_dir.ptr);
}

/* ---- lockfile URLs of the public registry (issue 15) ---- */

/* Lockfiles that pin tarball URLs and are never packed (npm-shrinkwrap.json is packed: npm
 * routes it through replace-registry-host). yarn classic and pnpm fetch a lockfile's absolute
 * URL as it is, so these would go around the gateway. */
static const char *const routed_lockfiles[] = {"yarn.lock", "package-lock.json", "pnpm-lock.yaml"};

#define ROUTED_LOCKFILE_MAX ((size_t)256 << 20)

/* Rewrite one lockfile of the install folder; *count = URLs rewritten (0: left alone). */
static int route_lockfile(sg_rebuild_run *r, const char *name, const char *base, size_t *count)
{
    sg_buf path = SG_BUF_INIT, text = SG_BUF_INIT, out = SG_BUF_INIT;
    struct stat st;
    int fd = -1, error = 0;

    *count = 0;
    sg_buf_printf(&path, "%s/%s", r->lock_dir.ptr, name);
    if ((error = sg_buf_check(&path, r->ctx, "a path")) < 0)
        goto done;
    if (lstat(path.ptr, &st) < 0 || !S_ISREG(st.st_mode))
        goto done; /* none, or a link the copy keeps as the repository has it */
    if ((error = sg_file_read(&text, r->ctx, path.ptr, ROUTED_LOCKFILE_MAX)) < 0)
        goto done;
    sg_buf_init(&out, ROUTED_LOCKFILE_MAX);
    if ((error = sg_gateway__route_aliases(&out, count, text.ptr, text.size, "@SG_GATEWAY@/",
                                           base)) < 0) {
        error = sg_error_set(r->ctx, error, "cannot rewrite '%s': %s", name, sg_error_name(error));
        goto done;
    }
    if (!*count)
        goto done;
    fd = open(path.ptr, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || sg_fd_write_all(fd, out.ptr, out.size, 0) < 0)
        error = sg_error_set(r->ctx, SG_EIO, "cannot write '%s': %s", path.ptr, strerror(errno));
done:
    if (fd >= 0)
        close(fd);
    sg_buf_dispose(&path);
    sg_buf_dispose(&text);
    sg_buf_dispose(&out);
    return error;
}

int sg_rebuild__route_lockfiles(sg_rebuild_run *r)
{
    sg_buf base = SG_BUF_INIT;
    size_t i, n, bl = r->registry.size;
    int error = 0;

    if (!r->t.sandboxed) /* no gateway: the package manager reaches the registry itself */
        return 0;
    while (bl && r->registry.ptr[bl - 1] == '/')
        bl--;
    sg_buf_printf(&base, "%.*s/", (int)bl, r->registry.ptr);
    if ((error = sg_buf_check(&base, r->ctx, "a URL")) < 0)
        return error;
    for (i = 0; i < SG_ARRAY_SIZE(routed_lockfiles) && !error; i++) {
        if ((error = route_lockfile(r, routed_lockfiles[i], base.ptr, &n)) < 0 || !n)
            continue;
        error = sg_rebuild__add_step(r,
                                     "lockfile: %zu resolved URL%s of %s (registry.npmjs.org, "
                                     "registry.yarnpkg.com or the configured registry) routed "
                                     "to the registry gateway; integrity unchanged",
                                     n, n == 1 ? "" : "s", routed_lockfiles[i]);
    }
    sg_buf_dispose(&base);
    return error;
}

/* Repository settings that would run its own code in place of a system tool (.npmrc git=,
 * script-shell=, shell=): the environment wins over the project's .npmrc. */
static void override_env(sg_rebuild_run *r, envv *e)
{
    if (r->cfg.git[0])
        env_add(e, "npm_config_git=%s", r->cfg.git);
    if (r->cfg.script_shell)
        env_add(e, "npm_config_script_shell=/bin/sh");
    if (r->cfg.shell)
        env_add(e, "npm_config_shell=/bin/sh");
}

/* 1 when the caller's extra environment sets the variable (prefix "NAME="). */
static int user_env(const sg_rebuild_run *r, const char *prefix)
{
    size_t i, n = strlen(prefix);
    for (i = 0; r->o->env && r->o->env[i]; i++)
        if (strncmp(r->o->env[i], prefix, n) == 0)
            return 1;
    return 0;
}

/* pnpm 11 reads its settings from pnpm_config_* and no longer from npm_config_* (its
 * config reader's PREFIX): without the same settings under that name it would install from
 * registry.npmjs.org through the proxy, past the gateway, into a store of its choosing. So
 * every npm_config_* entry is given under both names, unless pnpm_config_* is set already. */
static void pnpm_env(envv *e)
{
    size_t i, j, n = e->n, kl;
    for (i = 0; i < n && !e->error; i++) {
        const char *eq = strchr(e->v[i], '=');
        if (strncmp(e->v[i], "npm_config_", 11) != 0 || !eq)
            continue;
        kl = (size_t)(eq - e->v[i]) - 11;
        for (j = 0; j < n; j++)
            if (strncmp(e->v[j], "pnpm_config_", 12) == 0 &&
                strncmp(e->v[j] + 12, e->v[i] + 11, kl + 1) == 0)
                break;
        if (j == n)
            env_add(e, "p%s", e->v[i]); /* pnpm_config_... */
    }
}

static void build_env(sg_rebuild_run *r, envv *e, int install)
{
    size_t i;

    env_add(e, "PATH=%s:%s:/usr/local/bin:/usr/bin:/bin", r->bin.ptr, r->t.node_bin.ptr);
    env_add(e, "HOME=%s", r->home.ptr);
    env_add(e, "USER=build");
    env_add(e, "LOGNAME=build");
    if (r->in->variation) { /* the second, varied build (issue 15), as reprotest varies */
        env_add(e, "LANG=fr_CH.UTF-8");
        env_add(e, "LC_ALL=fr_CH.UTF-8");
        env_add(e, "TZ=Etc/GMT-14");
    } else {
        env_add(e, "LANG=C.UTF-8");
        env_add(e, "TZ=UTC");
    }
    env_add(e, "TMPDIR=/tmp");
    env_add(e, "CI=true");
    /* Every cache is the rebuild's own: npm's of a sandboxed install step in the step's
     * private /tmp (a tmpfs gone when the step ends: nothing written to disk or left to
     * delete), else in the scratch folder with yarn's and pnpm's store; an empty one of the
     * build's for npm pack. */
    if (install && r->npm_seeded)
        env_add(e, "npm_config_cache=%s/npm", r->npm_cache.ptr);
    else if (install && r->t.sandboxed)
        env_add(e, "npm_config_cache=/tmp/npm-cache");
    else if (install)
        env_add(e, "npm_config_cache=%s", r->npm_cache.ptr);
    else
        env_add(e, "npm_config_cache=%s/.npm-build-cache", r->home.ptr);
    env_add(e, "YARN_CACHE_FOLDER=%s/yarn", r->npm_cache.ptr);
    env_add(e, "npm_config_store_dir=%s/pnpm-store", r->npm_cache.ptr);
    env_add(e, "npm_config_package_import_method=copy");
    env_add(e, "npm_config_logs_dir=%s/.npm-logs", r->home.ptr);
    env_add(e, "npm_config_userconfig=%s/.npmrc", r->home.ptr);
    env_add(e, "npm_config_globalconfig=%s/.npmrc-global", r->home.ptr);
    registry_env(r, e, install && r->t.sandboxed);
    env_add(e, "npm_config_update_notifier=false");
    env_add(e, "npm_config_fund=false");
    env_add(e, "npm_config_audit=false");
    env_add(e, "npm_config_progress=false");
    override_env(r, e);
    env_add(e, "COREPACK_HOME=%s/.cache/node/corepack", r->home.ptr);
    env_add(e, "COREPACK_ENABLE_DOWNLOAD_PROMPT=0");
    env_add(e, "COREPACK_ENABLE_AUTO_PIN=0");
    env_add(e, "COREPACK_ENABLE_STRICT=0");
    if (r->pm_checked && !user_env(r, "COREPACK_INTEGRITY_KEYS=")) /* sourcegate checked it */
        env_add(e, "COREPACK_INTEGRITY_KEYS=");
    env_add(e, "YARN_ENABLE_TELEMETRY=0");
    env_add(e, "YARN_ENABLE_PROGRESS_BARS=0");
    env_add(e, "YARN_ENABLE_GLOBAL_CACHE=0");
    if (install) {
        env_add(e, "YARN_ENABLE_SCRIPTS=0");
        env_add(e, "npm_config_ignore_scripts=true");
        /* pnpm 11 re-applies the repository's minimumReleaseAge and trustPolicy to every
         * lockfile entry (today's clock, every platform's packument): the release's lockfile is
         * what is rebuilt, each tarball pinned by its integrity and checked at the gateway */
        env_add(e, "pnpm_config_trust_lockfile=true");
    } else {
        env_add(e, "COREPACK_ENABLE_NETWORK=0");
        env_add(e, "npm_config_offline=true");
    }
    if (r->o->ca_file)
        env_add(e, "NODE_EXTRA_CA_CERTS=%s", r->o->ca_file);
    for (i = 0; r->o->env && r->o->env[i]; i++)
        if (strncmp(r->o->env[i], "SOURCE_DATE_EPOCH=", 18) != 0) /* unset in both builds */
            env_add(e, "%s", r->o->env[i]);
    pnpm_env(e);
}

/* ---- running one step ---- */

/* The first needle in p[0..n), NULL when none. */
static const char *find_text(const char *p, size_t n, const char *needle)
{
    size_t i, nl = strlen(needle);
    for (i = 0; i + nl <= n; i++)
        if (memcmp(p + i, needle, nl) == 0)
            return p + i;
    return NULL;
}

static int contains(const char *p, size_t n, const char *needle)
{
    return find_text(p, n, needle) != NULL;
}

/* The line that says why a step failed: the first one mentioning an error among the last 50,
 * else the last one; at most 200 of its bytes, shown as the report shows untrusted text
 * (control bytes as \xHH, so buf needs 4 * 200 + 1 bytes to hold them all). */
/* Copy at most n bytes of s into out (size bytes) without ANSI escape sequences (ESC '[' ...
 * final byte, or ESC and one byte); returns the bytes written. */
static size_t strip_ansi(char *out, size_t size, const char *s, size_t n)
{
    size_t i = 0, o = 0;
    while (i < n && o < size) {
        if (s[i] != '\x1b') {
            out[o++] = s[i++];
        } else if (i + 1 < n && s[i + 1] == '[') {
            for (i += 2; i < n && !(s[i] >= 0x40 && s[i] <= 0x7e); i++)
                ;
            i++; /* the final byte */
        } else {
            i += 2;
        }
    }
    return o;
}

static const char *failure_line(const sg_buf *out, char *buf, size_t size)
{
    char plain[1024];
    sg_buf shown = SG_BUF_INIT;
    size_t end = out->size, start, lines = 0, best_s = 0, best_e = 0;
    const char *p = out->ptr;
    int found = 0;

    while (end && (p[end - 1] == '\n' || p[end - 1] == '\r' || p[end - 1] == ' '))
        end--;
    start = end;
    while (start && p[start - 1] != '\n')
        start--;
    best_s = start;
    best_e = end;
    /* walk back over up to 50 lines, remembering the earliest error line */
    while (lines < 50) {
        size_t ls = start, le = end, i;
        for (i = ls; i + 5 <= le; i++) {
            if ((sg_strncasecmp(p + i, "error", 5) == 0 || strncmp(p + i, "ERR!", 4) == 0 ||
                 strncmp(p + i, "ERR_PNPM_", 9) == 0) &&
                !contains(p + ls, le - ls, "complete log")) {
                best_s = ls;
                best_e = le;
                found = 1;
                break;
            }
        }
        if (!ls)
            break;
        end = ls - 1;
        start = end;
        while (start && p[start - 1] != '\n')
            start--;
        lines++;
    }
    (void)found;
    /* without terminal colors (tsc and others print them even to a pipe: "\x1b[96m"), then
     * cut at 200 bytes without the "..." mark, as the line always was */
    best_e = best_s + strip_ansi(plain, sizeof(plain), p + best_s, best_e - best_s);
    sg_buf_put_shown(&shown, plain, best_e - best_s < 200 ? best_e - best_s : 200, 200,
                     SG_SHOW_HEX);
    snprintf(buf, size, "%s", shown.error ? "" : shown.ptr);
    sg_buf_dispose(&shown);
    return buf;
}

/* The folders a step sees: the source copy, $HOME, the pack output and the shims; the
 * rebuild's package-manager caches for the install step only; node's prefix and the CA file
 * when needed. Nothing of sourcegate's cache folder. */
static size_t step_binds(sg_sandbox_bind *binds, const sg_rebuild_run *r, int install)
{
    size_t nb = 0;
    binds[nb].path = r->src.ptr;
    binds[nb++].flags = SG_SANDBOX_RW;
    binds[nb].path = r->home.ptr;
    binds[nb++].flags = SG_SANDBOX_RW;
    binds[nb].path = r->out.ptr;
    binds[nb++].flags = SG_SANDBOX_RW;
    binds[nb].path = r->bin.ptr;
    binds[nb++].flags = 0;
    if (install) { /* the rebuild's own caches, deleted with it; the build sees none of it */
        binds[nb].path = r->npm_cache.ptr;
        binds[nb++].flags = SG_SANDBOX_RW;
    }
    if (strncmp(r->t.node_prefix.ptr, "/usr", 4) != 0) {
        binds[nb].path = r->t.node_prefix.ptr;
        binds[nb++].flags = SG_SANDBOX_TRY;
    }
    if (r->o->ca_file) {
        binds[nb].path = r->o->ca_file;
        binds[nb++].flags = SG_SANDBOX_TRY;
    }
    return nb;
}

/* The whole rebuild's time limit in ms. */
static uint64_t time_budget(const sg_rebuild_run *r)
{
    return (uint64_t)(r->o->timeout_seconds ? r->o->timeout_seconds : SG_REBUILD_DEFAULT_TIMEOUT) *
           1000u;
}

/* The disk limit of each step. */
static uint64_t spec_disk(const sg_rebuild_run *r)
{
    return r->o->disk_bytes ? r->o->disk_bytes : SG_REBUILD_DEFAULT_DISK;
}

/* The sandbox spec of a step: the network (the registry only) for install, none otherwise;
 * what is left of the time budget; the memory, process and file limits. */
static void step_spec(sg_sandbox_spec *spec, const sg_rebuild_run *r, int install)
{
    uint64_t budget = time_budget(r);
    spec->bwrap = r->t.bwrap.ptr;
    spec->unsafe = !r->t.sandboxed;
    spec->net = install ? SG_SANDBOX_NET_PROXY : SG_SANDBOX_NET_NONE;
    spec->nallow = r->allow.n;
    spec->node = r->t.node.ptr;
    spec->scratch = r->net.ptr;
    spec->timeout_ms = budget > r->used_ms ? budget - r->used_ms : 1;
    spec->memory_bytes = r->o->memory_bytes ? r->o->memory_bytes : SG_REBUILD_DEFAULT_MEMORY;
    spec->max_processes = r->o->max_processes ? r->o->max_processes : SG_REBUILD_DEFAULT_PROCESSES;
    spec->max_file_bytes = MAX_FILE_BYTES;
    spec->umask = r->in->variation ? 002 : 0; /* the second, varied build (issue 15) */
    spec->disk_bytes = spec_disk(r);
    spec->uid = r->o->sandbox_uid;
}

/* Log the step's output and how it ended. */
static void log_step_end(sg_rebuild_run *r, const char *what, const sg_buf *out,
                         const sg_sandbox_result *sr)
{
    sg_buf_put(&r->log, out->ptr, out->size);
    if (sr->dropped)
        sg_buf_printf(&r->log, "\n[%llu more bytes of output not kept]\n",
                      (unsigned long long)sr->dropped);
    sg_buf_printf(&r->log, "\n== %s: %s %d after %.1f s\n", what,
                  sr->exited ? "exit status" : "killed by signal",
                  sr->exited ? sr->status : sr->signal, (double)sr->elapsed_ms / 1000.0);
}

/* A failure whose cause is known and whose fix can be said in one line (issue 16: no raw line
 * of a tool's source in a reason). 1 when out holds one, with the reason written to buf. */
static int known_failure(const sg_rebuild_run *r, const sg_buf *out, char *buf, size_t size)
{
    const char *pm = sg_rebuild__pm_name(r->pl.pm), *v = r->pl.pm_version;

    if (contains(out->ptr, out->size, "No compatible signature found in package metadata") ||
        contains(out->ptr, out->size, "The package was not signed by any trusted keys")) {
        snprintf(buf, size,
                 "corepack could not check %s%s%s against the registry's signatures (this "
                 "registry serves none, or signs with other keys); set COREPACK_INTEGRITY_KEYS= "
                 "to accept it without a signature check",
                 pm, v[0] ? "@" : "", v);
        return 1;
    }
    if (contains(out->ptr, out->size, "Your lockfile needs to be updated")) {
        snprintf(buf, size,
                 "yarn refused to install: yarn.lock does not match package.json at "
                 "this commit (--frozen-lockfile)");
        return 1;
    }
    if (contains(out->ptr, out->size, "can only install packages when your package.json and") ||
        contains(out->ptr, out->size, "ERR_PNPM_OUTDATED_LOCKFILE") ||
        contains(out->ptr, out->size, "The lockfile would have been modified by this install")) {
        snprintf(buf, size,
                 "%s refused to install: its lockfile does not match package.json at this commit",
                 pm);
        return 1;
    }
    if (contains(out->ptr, out->size, "ENOSPC")) {
        snprintf(buf, size, "no space left on the device that holds the rebuild's scratch folder");
        return 1;
    }
    return 0;
}

/* A failed install that reports a 404 for the package the registry lacked (the gateway saw
 * it): name the package and the registry, not the tool's own guess (pnpm: "No authorization
 * header was set for the request"). An output that names another package (a 404 the tool got
 * past) keeps its own line. 1 when out holds one, with the reason written to buf. */
static int missing_package(const sg_sandbox_gateway *gw, const sg_buf *out, char *buf, size_t size)
{
    char name[256];
    const char *end = strstr(gw->missing, "' (");
    size_t nl = end ? (size_t)(end - gw->missing - 1) : 0;
    if (!nl || nl >= sizeof(name) || !contains(out->ptr, out->size, "404"))
        return 0;
    memcpy(name, gw->missing + 1, nl);
    name[nl] = '\0';
    if (!contains(out->ptr, out->size, name))
        return 0;
    snprintf(buf, size, "the registry has no package %s, which the install needs", gw->missing);
    return 1;
}

/* Set the reason when the step failed: 1 when it did, 0 when it succeeded. line is the line of
 * its output that says why. */
static int step_failed(sg_rebuild_run *r, const char *what, const sg_sandbox_result *sr,
                       const char *line, int install)
{
    if (sr->timed_out) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED,
                               "time limit of %llu s reached during the %s step",
                               (unsigned long long)time_budget(r) / 1000u, what);
        return 1;
    }
    if (sr->disk_exceeded) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED,
                               "disk limit of %llu MiB reached during the %s step",
                               (unsigned long long)(spec_disk(r) >> 20), what);
        return 1;
    }
    if (sr->setuid_path[0]) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED,
                               "the %s step made a setuid or setgid file, refused", what);
        return 1;
    }
    if (!sr->exited) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED, "the %s step was killed by signal %d%s", what,
                               sr->signal,
                               sr->signal == 9 || sr->signal == 11 || sr->signal == 6
                                   ? " (the memory or process limit may have been reached)"
                                   : "");
        return 1;
    }
    if (sr->status != 0) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED, "%s (exit status %d): %s",
                               install ? "install failure" : "build error", sr->status,
                               line[0] ? line : "no output");
        return 1;
    }
    return 0;
}

/* ---- a dependency's engines.node refused (issue 15) ---- */

/* A package manager's refusal to install a package whose engines.node the running Node does
 * not satisfy: yarn classic checks every package's, npm and pnpm with engine-strict. */
typedef struct engine_refusal {
    char range[128]; /* the engines.node range asked for, "" when no such refusal */
    char who[128];   /* the package that asks, "" when the message does not say */
} engine_refusal;

/* How each package manager says it: the mark, then (when not NULL) the text after it that
 * precedes the range, the byte that ends the range, and where the package's name is. */
static const struct {
    const char *mark; /* what the refusal says */
    const char *then; /* then, within 300 bytes, right before the range; NULL: none */
    char end;         /* the byte after the range */
    const char *who;  /* NULL: the word right before the mark; "": not said; else the quote
                         that encloses it right after the mark */
} engine_marks[] = {
    /* yarn 1: error semantic-release@25.0.3: The engine "node" is incompatible with this
     * module. Expected version "^22.14.0 || >= 24.10.0". Got "20.20.2" */
    {": The engine \"node\" is incompatible with this module. Expected version \"", NULL, '"',
     NULL},
    /* pnpm: Your Node version is incompatible with "pkg@1.0.0".\n\nExpected version: >=22 */
    {"Your Node version is incompatible with ", "Expected version: ", '\n', "\""},
    /* npm: npm error notsup Required: {"node":">=22"} (the name is on the line before) */
    {"notsup Required: {", "\"node\":\"", '"', ""},
};

/* Copy p[0..n) up to the byte `end` into out: 1 when it ends before n and fits, all printable. */
static int copy_until(char *out, size_t size, const char *p, size_t n, char end)
{
    size_t i;
    for (i = 0; i < n && p[i] != end; i++)
        if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f || i + 1 >= size)
            return 0;
    if (i == n || i == 0)
        return 0;
    memcpy(out, p, i);
    out[i] = '\0';
    return 1;
}

/* The package before a yarn 1 mark: the word before it ("error semantic-release@25.0.3"). */
static void word_before(char *out, size_t size, const char *start, const char *mark)
{
    const char *w = mark;
    while (w > start && w[-1] != ' ' && w[-1] != '\n' && mark - w < (ptrdiff_t)size - 1)
        w--;
    copy_until(out, size, w, (size_t)(mark - w) + 1, *mark);
}

static void find_engine_refusal(engine_refusal *e, const sg_buf *out)
{
    const char *end = out->ptr + out->size, *m, *p;
    size_t i;

    memset(e, 0, sizeof(*e));
    for (i = 0; i < SG_ARRAY_SIZE(engine_marks); i++) {
        if (!(m = find_text(out->ptr, out->size, engine_marks[i].mark)))
            continue;
        p = m + strlen(engine_marks[i].mark);
        if (engine_marks[i].then) {
            const char *t = find_text(p, (size_t)(end - p) < 300 ? (size_t)(end - p) : 300,
                                      engine_marks[i].then);
            if (!t)
                continue;
            p = t + strlen(engine_marks[i].then);
        }
        if (!copy_until(e->range, sizeof(e->range), p, (size_t)(end - p), engine_marks[i].end))
            continue;
        p = m + strlen(engine_marks[i].mark);
        if (!engine_marks[i].who)
            word_before(e->who, sizeof(e->who), out->ptr, m);
        else if (engine_marks[i].who[0] && p < end && *p == engine_marks[i].who[0])
            copy_until(e->who, sizeof(e->who), p + 1, (size_t)(end - p - 1), *p);
        return;
    }
}

/* The hosts the install step's proxy refused, in the reason: the next recipe to write, or the
 * setting of the repository to look at, depends on which host the tool tried to reach. */
static void refused_hosts(sg_rebuild_run *r, const char *hosts)
{
    size_t n = strlen(r->res->reason);
    snprintf(r->res->reason + n, sizeof(r->res->reason) - n,
             " (the sandbox's proxy refused %.300s: the install step may reach the registry "
             "only)",
             hosts);
    sg_buf_printf(&r->log, "result: %s\n", r->res->reason);
}

/* The report's line for a step that succeeded, scratch paths shortened. */
static int report_step(sg_rebuild_run *r, const char *what, const char *const *argv,
                       const char *cwd, uint64_t elapsed_ms)
{
    sg_buf shown = SG_BUF_INIT;
    size_t i;
    int error;
    sg_buf_puts(&shown, sg_path_basename(argv[0]));
    for (i = 1; argv[i]; i++) {
        if (strncmp(argv[i], r->work.ptr, r->work.size) == 0)
            sg_buf_printf(&shown, " <scratch>%s", argv[i] + r->work.size);
        else
            sg_buf_printf(&shown, " %s", argv[i]);
    }
    error = sg_rebuild__add_step(r, "%s: %.600s in '%s' (%.1f s)", what, shown.ptr,
                                 strlen(cwd) > r->src.size ? cwd + r->src.size + 1 : ".",
                                 (double)elapsed_ms / 1000.0);
    sg_buf_dispose(&shown);
    return error;
}

/* "install: npm ci --ignore-scripts" for progress: the step and its first words. */
static void step_label(char *out, size_t size, const char *what, const char *const *argv)
{
    size_t i;
    int n = snprintf(out, size, "%s: %s", what, sg_path_basename(argv[0]));
    for (i = 1; argv[i] && i < 4 && n > 0 && (size_t)n < size; i++)
        n += snprintf(out + n, size - (size_t)n, " %s", argv[i]);
}

/* Run argv in the sandbox as step `what` ("install", "build", "pack"). 0 when it succeeded;
 * 1 when it failed (the result says why); < 0 on an operational error. When it failed on a
 * dependency's engines.node and engine is not NULL, engine receives that refusal. */
static int run_step_ex(sg_rebuild_run *r, const char *what, const char *const *argv,
                       const char *cwd, int install, engine_refusal *engine)
{
    sg_sandbox_spec spec;
    sg_sandbox_result sr;
    sg_sandbox_bind binds[8];
    sg_buf out = SG_BUF_INIT;
    envv env = {{0}, 0, 0};
    const char *allow[SG_REBUILD_ALLOW_MAX];
    sg_sandbox_gateway gw;
    char line[4 * 200 + 1], label[160];
    size_t i;
    int error;

    memset(&gw, 0, sizeof(gw));
    if (install && r->t.sandboxed &&
        (error = sg_gateway__init(&gw, r->ctx, r->o->registry ? r->o->registry : r->registry.ptr,
                                  r->o->cache_dir)) < 0)
        return error;
    gw.before = install ? r->as_of : NULL; /* the registry as of the publish date */
    build_env(r, &env, install);
    if (env.error) {
        env_dispose(&env);
        sg_gateway__dispose(&gw);
        return sg_error_set(r->ctx, env.error, "too many environment variables for the build");
    }
    for (i = 0; i < r->allow.n; i++)
        allow[i] = r->allow.entry[i];
    memset(&spec, 0, sizeof(spec));
    step_spec(&spec, r, install);
    spec.argv = argv;
    spec.env = (const char *const *)env.v;
    spec.cwd = cwd;
    spec.binds = binds;
    spec.nbinds = step_binds(binds, r, install);
    spec.allow = allow;
    spec.gateway = gw.ready ? &gw : NULL;
    spec.output = &out;
    sg_buf_init(&out, STEP_OUTPUT_LIMIT);

    sg_buf_printf(&r->log, "\n== %s:", what);
    for (i = 0; argv[i]; i++)
        sg_buf_printf(&r->log, " %s", argv[i]);
    sg_buf_printf(&r->log, "\n   in %s\n", cwd);
    step_label(label, sizeof(label), what, argv);
    sg_progress_start(r->ctx, "rebuild", label);
    error = sg_sandbox__run(&sr, r->ctx, &spec);
    env_dispose(&env);
    sg_progress_end(r->ctx, "rebuild", label, error == 0 && sr.exited && sr.status == 0);
    sg_gateway__dispose(&gw);
    if (error < 0) {
        sg_buf_dispose(&out);
        return error;
    }
    if (gw.stats.requests)
        sg_buf_printf(&r->log,
                      "\n== gateway: %u requests, %u tarballs from the cache, %u "
                      "checked and cached, %u unchecked, %u failed, %u refused\n",
                      gw.stats.requests, gw.stats.cache_hits, gw.stats.cached, gw.stats.unchecked,
                      gw.stats.failed, gw.stats.refused);
    if (gw.before && gw.as_of_dropped)
        sg_buf_printf(&r->log, "== gateway: %u versions published after %s not shown\n",
                      gw.as_of_dropped, gw.before);
    r->used_ms += sr.elapsed_ms;
    snprintf(r->limits, sizeof(r->limits), "%s", sr.limits);
    log_step_end(r, what, &out, &sr);
    if (gw.missing[0])
        sg_buf_printf(&r->log, "== gateway: the registry has no package %s\n", gw.missing);
    if (!missing_package(&gw, &out, line, sizeof(line)) &&
        !known_failure(r, &out, line, sizeof(line)))
        failure_line(&out, line, sizeof(line));
    if (engine)
        find_engine_refusal(engine, &out);
    sg_buf_dispose(&out);
    if (step_failed(r, what, &sr, line, install)) {
        if (gw.error[0]) /* the registry failed, not the repository: never a verdict */
            return sg_error_set(r->ctx, SG_ENET, "the registry failed during the install step: %s",
                                gw.error);
        if (sr.refused[0])
            refused_hosts(r, sr.refused);
        return 1;
    }
    if ((error = report_step(r, what, argv, cwd, sr.elapsed_ms)) < 0)
        return error;
    return sg_rebuild__recipe_command(r, argv, cwd);
}

static int run_step(sg_rebuild_run *r, const char *what, const char *const *argv, const char *cwd,
                    int install)
{
    return run_step_ex(r, what, argv, cwd, install, NULL);
}

int sg_rebuild__run_build_step(sg_rebuild_run *r, const char *what, const char *const *argv,
                               const char *cwd)
{
    return run_step(r, what, argv, cwd, 0);
}

/* ---- npm's cache, seeded ---- */

/* Copy sourcegate's cached tarball with this sha512 (hex) into npm's content-addressed cache
 * under dir, after checking its digest. 1 copied, 0 not (absent, or not what its name says). */
static int seed_one(sg_rebuild_run *r, const char *dir, const char *hex,
                    const unsigned char want[64])
{
    sg_buf src = SG_BUF_INIT, dst = SG_BUF_INIT, bytes = SG_BUF_INIT;
    unsigned char got[64];
    size_t n = 0;
    int fd, copied = 0;

    sg_buf_printf(&src, "%s/tarballs/sha512/%.2s/%s.tgz", r->o->cache_dir, hex, hex);
    sg_buf_printf(&dst, "%s/_cacache/content-v2/sha512/%.2s/%.2s", dir, hex, hex + 2);
    if (src.error || dst.error || access(src.ptr, R_OK) < 0 ||
        sg_file_read(&bytes, r->ctx, src.ptr,
                     (size_t)sg_ctx_limit(r->ctx, SG_LIMIT_TARBALL_BYTES)) < 0)
        goto done;
    {
        sg_hash h = SG_HASH_INIT;
        if (sg_hash_begin(&h, r->ctx, SG_HASH_SHA512) < 0 ||
            sg_hash_update(&h, r->ctx, bytes.ptr, bytes.size) < 0 ||
            sg_hash_end(&h, r->ctx, got, &n) < 0 || n != 64 || memcmp(got, want, 64) != 0) {
            sg_hash_dispose(&h);
            goto done;
        }
    }
    if (make_dirs(r->ctx, dst.ptr) < 0)
        goto done;
    sg_buf_printf(&dst, "/%s", hex + 4);
    if (dst.error)
        goto done;
    fd = open(dst.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0) {
        copied = sg_fd_write_all(fd, bytes.ptr, bytes.size, 0) == 0;
        if (close(fd) < 0 || !copied) {
            copied = 0;
            unlink(dst.ptr);
        }
    }
done:
    sg_error_clear(r->ctx);
    sg_buf_dispose(&src);
    sg_buf_dispose(&dst);
    sg_buf_dispose(&bytes);
    return copied;
}

/* npm ci reads a lockfile's tarballs from its cache by their sha512 before it asks a registry
 * (pacote's byDigest): give the rebuild's own npm cache copies of those sourcegate's cache
 * holds. They were checked before sourcegate cached them, are checked again here, and npm
 * checks them when it reads them; nothing inside can write sourcegate's cache. */
static int seed_npm_cache(sg_rebuild_run *r)
{
    sg_buf path = SG_BUF_INIT, text = SG_BUF_INIT, dir = SG_BUF_INIT;
    const sg_entry *e;
    cJSON *lock = NULL;
    const cJSON *it;
    size_t seeded = 0;
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);

    sg_buf_printf(&path, "%s%spackage-lock.json", r->pl.lock_dir.ptr,
                  r->pl.lock_dir.size ? "/" : "");
    sg_buf_printf(&dir, "%s/npm", r->npm_cache.ptr);
    sg_buf_init(&text, (size_t)sg_ctx_limit(r->ctx, SG_LIMIT_JSON_SIZE));
    if (path.error || dir.error || !(e = sg_tree_find(r->in->root, path.ptr)) ||
        e->kind != SG_ENTRY_FILE || sg_tree_read(&text, r->ctx, r->in->root, e) < 0 ||
        sg_json_parse(&lock, r->ctx, text.ptr, text.size, path.ptr) < 0)
        goto done;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(lock, "packages"))
    {
        const char *integ = sg_json_str(it, "integrity");
        unsigned char d[64];
        char hex[129];
        char b64[100];
        size_t bl;
        if (!integ || strncmp(integ, "sha512-", 7) != 0)
            continue;
        bl = strcspn(integ + 7, " ?");
        if (bl >= sizeof(b64))
            continue;
        memcpy(b64, integ + 7, bl);
        b64[bl] = '\0';
        if (sg_integrity__b64_decode(d, sizeof(d), b64) != 64)
            continue;
        sg_hex(hex, d, sizeof(d));
        seeded += (size_t)seed_one(r, dir.ptr, hex, d);
    }
done:
    sg_error_clear(r->ctx);
    r->npm_seeded = seeded > 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (seeded)
        sg_buf_printf(&r->log,
                      "\n== npm's cache: %zu tarballs of the lockfile copied from "
                      "sourcegate's checked cache in %.1f s\n",
                      seeded,
                      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    cJSON_Delete(lock);
    sg_buf_dispose(&path);
    sg_buf_dispose(&text);
    sg_buf_dispose(&dir);
    return 0;
}

/* ---- the steps ---- */

static int pass_over(sg_rebuild_run *r, const char *before, const char *after);

static int has_script(const cJSON *pj, const char *name)
{
    const char *s = sg_json_str(cJSON_GetObjectItemCaseSensitive(pj, "scripts"), name);
    return s && *s;
}

/* Up to 12 arguments after the program. */
typedef struct cmdline {
    const char *v[16]; /* argv, NULL-terminated */
    size_t n;          /* used */
} cmdline;

static void cmd_init(cmdline *c, const char *prog)
{
    memset(c, 0, sizeof(*c));
    c->v[c->n++] = prog;
}

static void cmd_add(cmdline *c, const char *arg)
{
    if (c->n + 1 < SG_ARRAY_SIZE(c->v))
        c->v[c->n++] = arg;
}

/* The install command: frozen by the lockfile, or resolving ranges (without a lockfile, or
 * after the lockfile was refused), then as of the publish date when there is one. */
static int install_cmd(sg_rebuild_run *r, cmdline *c, const char *pm, int frozen)
{
    int lock = r->pl.has_lockfile;

    cmd_init(c, pm);
    switch (r->pl.pm) {
    case SG_REBUILD_PM_NPM:
        if (frozen && lock && r->t.sandboxed && r->o->cache_dir)
            seed_npm_cache(r);
        cmd_add(c, frozen ? "ci" : "install");
        cmd_add(c, "--ignore-scripts");
        cmd_add(c, "--no-audit");
        cmd_add(c, "--no-fund");
        cmd_add(c, "--include=dev");
        if (!lock)
            cmd_add(c, "--no-package-lock");
        break;
    case SG_REBUILD_PM_PNPM:
        cmd_add(c, "install");
        cmd_add(c, frozen ? "--frozen-lockfile" : "--no-frozen-lockfile");
        cmd_add(c, "--ignore-scripts");
        cmd_add(c, "--config.confirmModulesPurge=false");
        break;
    case SG_REBUILD_PM_YARN_CLASSIC:
        cmd_add(c, "install");
        if (frozen)
            cmd_add(c, "--frozen-lockfile");
        cmd_add(c, "--ignore-scripts");
        cmd_add(c, "--non-interactive");
        cmd_add(c, "--no-progress");
        break;
    case SG_REBUILD_PM_YARN_BERRY:
        cmd_add(c, "install");
        if (frozen)
            cmd_add(c, "--immutable");
        cmd_add(c, "--mode=skip-build");
        break;
    case SG_REBUILD_PM_BUN:
        return 1;
    }
    return 0;
}

/* The folder of path (path up to its last '/') into out. */
static int parent_of(sg_buf *out, sg_ctx *ctx, const char *path)
{
    const char *slash = strrchr(path, '/');
    sg_buf_clear(out);
    sg_buf_put(out, path, slash && slash != path ? (size_t)(slash - path) : 1);
    return sg_buf_check(out, ctx, "a path");
}

/* The install step ran on a Node older than a dependency's engines.node: the maintainer's
 * release ran on one that satisfies it (its package manager would have refused too). Take the
 * newest long-term-support Node that satisfies it, else the newest, from the registry as for
 * the repository's own .nvmrc (node_dist.c), for this and every later step. 1 when switched,
 * 0 when the registry has none (said in the steps), < 0 on an operational error. */
static int switch_node(sg_rebuild_run *r, const engine_refusal *e)
{
    const char *ranges[2] = {e->range, "lts/*"};
    sg_buf node = SG_BUF_INIT;
    char version[64], old[64];
    int error;

    error =
        sg_rebuild__node_from_registry(&node, version, sizeof(version), r->ctx, r->o, ranges, 2);
    if (error == SG_ENOTFOUND) { /* no long-term-support line satisfies it */
        sg_error_clear(r->ctx);
        error = sg_rebuild__node_from_registry(&node, version, sizeof(version), r->ctx, r->o,
                                               ranges, 1);
    }
    if (error == SG_ENOTFOUND || error == SG_EUNSUPPORTED || error == SG_EINVALID) {
        error = sg_rebuild__add_step(
            r, "node: none from the registry for %s's engines.node '%s': %s",
            e->who[0] ? e->who : "a dependency", e->range, sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        goto done;
    }
    if (error < 0)
        goto done;
    snprintf(old, sizeof(old), "%s", r->t.node_version);
    sg_buf_clear(&r->t.node);
    sg_buf_puts(&r->t.node, node.ptr);
    snprintf(r->t.node_version, sizeof(r->t.node_version), "%s", version);
    snprintf(r->t.node_note, sizeof(r->t.node_note),
             "from the registry, integrity checked by sourcegate; %.120s's engines.node "
             "'%.120s' refused %.60s",
             e->who[0] ? e->who : "a dependency", e->range, old);
    if ((error = sg_buf_check(&r->t.node, r->ctx, "a path")) < 0 ||
        (error = parent_of(&r->t.node_bin, r->ctx, r->t.node.ptr)) < 0 ||
        (error = parent_of(&r->t.node_prefix, r->ctx, r->t.node_bin.ptr)) < 0 ||
        (error = sg_rebuild__add_step(r, "node: %s at %s (%s)", r->t.node_version, r->t.node.ptr,
                                      r->t.node_note)) < 0)
        goto done;
    error = 1;
done:
    sg_buf_dispose(&node);
    return error;
}

/* Run the install command; when the package manager refused a dependency's engines.node, once
 * more with a Node that satisfies it (switch_node). 0, 1 (failed: the reason says why), < 0. */
static int run_install(sg_rebuild_run *r, const char *const *argv)
{
    engine_refusal e;
    int rc = run_step_ex(r, "install", argv, r->lock_dir.ptr, 1, &e);

    if (rc != 1 || !e.range[0])
        return rc;
    if ((rc = pass_over(r, "install: refused on a dependency's engines.node (",
                        "); installing again with a Node that satisfies it")) < 0)
        return rc;
    if ((rc = switch_node(r, &e)) <= 0) {
        if (rc == 0)
            sg_rebuild__set_reason(r, SG_REBUILD_FAILED,
                                   "install failure: %.120s needs node '%.120s' (engines.node), "
                                   "which %.60s does not satisfy and the registry has no Node for",
                                   e.who[0] ? e.who : "a dependency", e.range, r->t.node_version);
        return rc < 0 ? rc : 1;
    }
    return run_step_ex(r, "install", argv, r->lock_dir.ptr, 1, NULL);
}

/* The words of a package manager refusing a lockfile that does not match package.json. */
static int lockfile_refused(const char *reason)
{
    static const char *const marks[] = {
        /* known_failure()'s lines */
        "yarn.lock does not match package.json",
        "its lockfile does not match package.json",
    };
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(marks); i++)
        if (strstr(reason, marks[i]))
            return 1;
    return 0;
}

/* Run the install command not frozen, as of the publish date: through the gateway's date cut
 * in the sandbox, npm's --before without it (other tools then install today's versions). */
static int install_as_of(sg_rebuild_run *r, const char *pm, const char *why)
{
    const char *date = r->in->published;
    char before[96];
    int64_t ms;
    cmdline c;
    int rc;

    if (date && sg_gateway__parse_time(&ms, date) < 0)
        date = NULL; /* the packument's time is no time: nothing to cut at */

    if (install_cmd(r, &c, pm, 0) != 0)
        return 1;
    if (date && !r->t.sandboxed && r->pl.pm == SG_REBUILD_PM_NPM) {
        snprintf(before, sizeof(before), "--before=%.64s", date);
        cmd_add(&c, before);
    }
    if (date && (r->t.sandboxed || r->pl.pm == SG_REBUILD_PM_NPM)) {
        snprintf(r->install_mode, sizeof(r->install_mode), "not frozen%s, as of %.64s", why, date);
        r->as_of = r->t.sandboxed ? date : NULL;
        rc = sg_rebuild__recipe_set(r, "before", date);
        if (rc == 0)
            rc = sg_rebuild__add_step(r,
                                      "install: as of the release's publish time %.64s (versions "
                                      "published later are not installed)",
                                      date);
    } else {
        snprintf(r->install_mode, sizeof(r->install_mode), "not frozen%s", why);
        rc = sg_rebuild__add_step(
            r, "install: today's versions: %s",
            date ? "no date cut for this package manager without the sandbox's gateway"
            : r->in->published ? "the packument's publish time is not a time, so no date cut"
                               : "no publish time is known (local mode), so no date cut");
    }
    if (rc == 0)
        rc = run_install(r, c.v);
    r->as_of = NULL;
    if (rc != 1 || !date || !(r->t.sandboxed || r->pl.pm == SG_REBUILD_PM_NPM))
        return rc;
    /* The next recipe: a registry whose publish times are not the releases' (a mirror that
     * stamps its ingest date) leaves nothing as of then (npm's ETARGET); today's versions. */
    if ((rc = pass_over(r, "install: as of the publish time failed (",
                        "); installing today's versions")) < 0 ||
        (rc = sg_rebuild__recipe_set(r, "before", "")) < 0 || install_cmd(r, &c, pm, 0) != 0)
        return rc < 0 ? rc : 1;
    snprintf(r->install_mode, sizeof(r->install_mode), "not frozen%s, today's versions", why);
    return run_install(r, c.v);
}

int sg_rebuild__step_install(sg_rebuild_run *r, const char *pm)
{
    cmdline c;
    int rc;

    /* before any step runs: what the repository configures to run, what is replaced */
    if ((rc = sg_rebuild__config_scan(r)) < 0 || (rc = sg_rebuild__route_lockfiles(r)) < 0)
        return rc;
    if (!r->pl.needs_install)
        return sg_rebuild__add_step(r, "install: skipped (no lockfile and no dependencies)");
    if (!r->pl.has_lockfile)
        return install_as_of(r, pm, "");
    snprintf(r->install_mode, sizeof(r->install_mode), "frozen");
    if (install_cmd(r, &c, pm, 1) != 0)
        return 1;
    rc = run_install(r, c.v);
    if (rc != 1 || !lockfile_refused(r->res->reason))
        return rc;
    /* The maintainer's release ran with this lockfile: resolve what it lacks as of then. */
    if ((rc = pass_over(r, "install: the lockfile does not match package.json (",
                        "); installing again without freezing it")) < 0)
        return rc;
    return install_as_of(r, pm, " (the lockfile did not match package.json)");
}

/* In a pnpm or yarn 2+ workspace: the build script of the package and of the workspace packages
 * it depends on, in dependency order, from the install folder. */
static int build_with_dependencies(sg_rebuild_run *r, cmdline *c, const char *name)
{
    sg_buf filter = SG_BUF_INIT;
    int rc;

    if (r->pl.pm == SG_REBUILD_PM_PNPM) {
        sg_buf_printf(&filter, "%s...", name);
        if ((rc = sg_buf_check(&filter, r->ctx, "a pnpm filter")) < 0)
            goto done;
        cmd_add(c, "--filter");
        cmd_add(c, filter.ptr);
    } else {
        cmd_add(c, "workspaces");
        cmd_add(c, "foreach");
        cmd_add(c, "-Rt");
        cmd_add(c, "--from");
        cmd_add(c, name);
    }
    cmd_add(c, "run");
    cmd_add(c, "build");
    rc = run_step(r, "build", c->v, r->lock_dir.ptr, 0);
done:
    sg_buf_dispose(&filter);
    return rc;
}

/* The package's script `name` exists and is not only chores (rebuild_chores.c): it builds. */
static int builds(const cJSON *pkg, const char *name)
{
    const cJSON *scripts = cJSON_GetObjectItemCaseSensitive(pkg, "scripts");
    return has_script(pkg, name) &&
           !sg_rebuild__script_is_chore(sg_json_str(scripts, name), scripts);
}

/* A step that failed is not the end: forget its reason (the next recipe is tried) after
 * saying in the steps and the recipe why it was passed over. */
static int pass_over(sg_rebuild_run *r, const char *before, const char *after)
{
    char line[1400];
    snprintf(line, sizeof(line), "%s%s%s", before, r->res->reason, after);
    r->res->status = SG_REBUILD_SKIPPED;
    r->res->reason[0] = '\0';
    if (sg_rebuild__recipe_add(r, "skipped", line) < 0)
        return SG_ENOMEM;
    return sg_rebuild__add_step(r, "%s", line);
}

/* npm publish runs prepublishOnly before packing: run it. *built is set when it counts as the
 * build; a chore (git push, tests, np) or a failure with another recipe left does not. */
static int run_prepublish(sg_rebuild_run *r, const char *pm, int *built)
{
    const cJSON *pkg = r->pl.pkg, *scripts = cJSON_GetObjectItemCaseSensitive(pkg, "scripts");
    int chore = sg_rebuild__script_is_chore(sg_json_str(scripts, "prepublishOnly"), scripts);
    int more = builds(pkg, "prepack") || builds(pkg, "prepare") || has_script(pkg, "build");
    cmdline c;
    int rc;

    *built = 0;
    cmd_init(&c, pm);
    cmd_add(&c, "run");
    cmd_add(&c, "prepublishOnly");
    if ((rc = run_step(r, "build", c.v, r->pkg_dir.ptr, 0)) < 0)
        return rc;
    if (rc == 0 && !chore) {
        *built = 1;
        return 0;
    }
    if (rc == 0)
        return sg_rebuild__add_step(r, "build: prepublishOnly only runs release chores (tests, "
                                       "lints, git, release tools), not a build; going on as "
                                       "npm pack builds");
    if (chore)
        return pass_over(r,
                         "build: prepublishOnly skipped: it only runs release chores (tests, "
                         "lints, git, release tools), which make no file, and failed here: ",
                         "");
    if (!more)
        return 1;
    return pass_over(r, "build: prepublishOnly failed (", "); trying the next recipe");
}

/* The package's build script, the workspace's, or the monorepo root's. */
static int run_build_script(sg_rebuild_run *r, const char *pm)
{
    const cJSON *pkg = r->pl.pkg, *root = r->pl.root;
    const char *name = sg_json_str(pkg, "name");
    cmdline c;

    cmd_init(&c, pm);
    if (has_script(pkg, "build")) {
        if (r->pl.in_workspace && name &&
            (r->pl.pm == SG_REBUILD_PM_PNPM || r->pl.pm == SG_REBUILD_PM_YARN_BERRY))
            return build_with_dependencies(r, &c, name);
        cmd_add(&c, "run");
        cmd_add(&c, "build");
        return run_step(r, "build", c.v, r->pkg_dir.ptr, 0);
    }
    if (r->pl.in_workspace && root != pkg && has_script(root, "build")) {
        /* A monorepo whose root builds every package (rollup, preconstruct, turbo). */
        cmd_add(&c, "run");
        cmd_add(&c, "build");
        return run_step(r, "build", c.v, r->lock_dir.ptr, 0);
    }
    return sg_rebuild__add_step(
        r, "build: none (no build script; the pack command runs what there is)");
}

/* Build as npm publish does: prepublishOnly, then what the pack command runs (prepack,
 * prepare); when neither builds (absent, or only chores), the build script. */
/* Does a publish lifecycle script (prepublishOnly, prepack, prepare) name the build? */
static int lifecycle_builds(const cJSON *pkg)
{
    static const char *const names[] = {"prepublishOnly", "prepack", "prepare"};
    const cJSON *scripts = cJSON_GetObjectItemCaseSensitive(pkg, "scripts");
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(names); i++) {
        const char *s = sg_json_str(scripts, names[i]);
        if (s && strstr(s, "build"))
            return 1;
    }
    return 0;
}

int sg_rebuild__step_build(sg_rebuild_run *r, const char *pm)
{
    const cJSON *pkg = r->pl.pkg;
    int built = 0, build_first = 0, rc;

    /* A build script that no publish lifecycle script runs (zod: prepublishOnly only checks
     * the versions) is what the maintainer ran before publishing: run it first. */
    if (builds(pkg, "build") && !lifecycle_builds(pkg) &&
        (has_script(pkg, "prepublishOnly") || builds(pkg, "prepack") || builds(pkg, "prepare"))) {
        if ((rc = run_build_script(r, pm)) != 0)
            return rc;
        build_first = 1;
    }
    if (has_script(pkg, "prepublishOnly") && ((rc = run_prepublish(r, pm, &built)) != 0 || built))
        return rc;
    if (builds(pkg, "prepack") || builds(pkg, "prepare"))
        return sg_rebuild__add_step(r, "build: by the pack command (the package has a %s script)",
                                    builds(pkg, "prepack") ? "prepack" : "prepare");
    return build_first ? 0 : run_build_script(r, pm);
}

/* Run the pack command; with ignore_scripts, without the lifecycle scripts it runs. */
static int pack_once(sg_rebuild_run *r, const char *pm, int ignore_scripts)
{
    sg_buf dest = SG_BUF_INIT, pub = SG_BUF_INIT;
    cmdline c;
    int rc;

    /* a release published from a folder the build made: npm pack there */
    if ((rc = sg_rebuild__publish_dir(r, &pub)) != 0) {
        if (rc > 0 && (rc = sg_rebuild__recipe_set(r, "publish_folder",
                                                   pub.ptr + r->pkg_dir.size + 1)) == 0) {
            cmd_init(&c, r->pl.pm == SG_REBUILD_PM_NPM || !r->t.npm.size ? pm : r->t.npm.ptr);
            cmd_add(&c, "pack");
            cmd_add(&c, "--pack-destination");
            cmd_add(&c, r->out.ptr);
            rc = run_step(r, "pack", c.v, pub.ptr, 0);
        }
        sg_buf_dispose(&pub);
        return rc;
    }
    cmd_init(&c, pm);
    cmd_add(&c, "pack");
    switch (r->pl.pm) {
    case SG_REBUILD_PM_NPM:
    case SG_REBUILD_PM_PNPM:
        cmd_add(&c, "--pack-destination");
        sg_buf_puts(&dest, r->out.ptr);
        break;
    case SG_REBUILD_PM_YARN_BERRY:
        cmd_add(&c, "--out");
        sg_buf_printf(&dest, "%s/package.tgz", r->out.ptr);
        break;
    case SG_REBUILD_PM_YARN_CLASSIC:
        cmd_add(&c, "--filename");
        sg_buf_printf(&dest, "%s/package.tgz", r->out.ptr);
        break;
    case SG_REBUILD_PM_BUN:
        return 1;
    }
    if ((rc = sg_buf_check(&dest, r->ctx, "a path")) == 0) {
        cmd_add(&c, dest.ptr);
        if (ignore_scripts)
            cmd_add(&c, "--ignore-scripts");
        rc = run_step(r, "pack", c.v, r->pkg_dir.ptr, 0);
    }
    sg_buf_dispose(&dest);
    return rc;
}

/* The pack command's lifecycle scripts (prepack, prepare, postpack): some, and every one a
 * chore (husky install, a lint): packing without them loses nothing the release made. */
static int pack_scripts_are_chores(const cJSON *pkg)
{
    static const char *const names[] = {"prepack", "prepare", "postpack"};
    size_t i, some = 0;
    for (i = 0; i < SG_ARRAY_SIZE(names); i++) {
        if (!has_script(pkg, names[i]))
            continue;
        if (builds(pkg, names[i]))
            return 0;
        some++;
    }
    return some > 0;
}

/* Remove what a failed pack command left in out/ before the next one. */
static void clear_out(sg_rebuild_run *r)
{
    DIR *d = opendir(r->out.ptr);
    struct dirent *de;
    sg_buf p = SG_BUF_INIT;

    while (d && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        sg_buf_clear(&p);
        sg_buf_printf(&p, "%s/%s", r->out.ptr, de->d_name);
        if (!p.error)
            unlink(p.ptr);
    }
    if (d)
        closedir(d);
    sg_buf_dispose(&p);
}

int sg_rebuild__step_pack(sg_rebuild_run *r, const char *pm)
{
    int rc = pack_once(r, pm, 0);

    /* yarn berry's pack has no --ignore-scripts: its failure stands */
    if (rc != 1 || r->pl.pm == SG_REBUILD_PM_YARN_BERRY || !pack_scripts_are_chores(r->pl.pkg))
        return rc;
    if ((rc = pass_over(r,
                        "pack: its lifecycle scripts (prepack, prepare, postpack) only run "
                        "release chores and failed (",
                        "); packing again with --ignore-scripts")) < 0)
        return rc;
    clear_out(r);
    return pack_once(r, pm, 1);
}

/* The .tgz files the pack command left in out/: how many, and the first one's path. */
static int find_packed(size_t *count, sg_buf *path, sg_rebuild_run *r)
{
    DIR *d = opendir(r->out.ptr);
    struct dirent *de;

    *count = 0;
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 4 && strcmp(de->d_name + l - 4, ".tgz") == 0 && (*count)++ == 0)
            sg_buf_printf(path, "%s/%s", r->out.ptr, de->d_name);
    }
    if (d)
        closedir(d);
    return sg_buf_check(path, r->ctx, "a path");
}

/* What read_whole() learns while sg_file_read_ex() runs. */
typedef struct whole_read {
    const char *path; /* the file asked for */
    int opened;       /* the check ran: the file was opened (a later SG_EIO is a read error) */
} whole_read;

/* The file opened must be the one at the path itself, not a symlink's target: the build wrote
 * the folder (what O_NOFOLLOW did before the common reader). */
static int not_a_link(void *payload, sg_ctx *ctx, const struct stat *st)
{
    whole_read *w = payload;
    struct stat lst;

    w->opened = 1;
    if (lstat(w->path, &lst) < 0 || !S_ISREG(lst.st_mode) || lst.st_dev != st->st_dev ||
        lst.st_ino != st->st_ino)
        return sg_error_set(ctx, SG_EINVALID, "'%s' is not a regular file", w->path);
    return 0;
}

/* The whole of a regular file of at most limit bytes into out. 0; 1 when it is not one, too
 * large or cannot be read (reason set); SG_ENOMEM. */
static int read_whole(sg_buf *out, sg_rebuild_run *r, const char *path, uint64_t limit)
{
    sg_file_read_opts opts = SG_FILE_READ_OPTS_INIT;
    whole_read w = {path, 0};
    int had = sg_error_code_of(r->ctx), error;

    opts.check = not_a_link;
    opts.payload = &w;
    error = sg_file_read_ex(out, r->ctx, path, limit > SIZE_MAX ? SIZE_MAX : (size_t)limit, &opts);
    if (error == 0)
        return 0;
    if (!had) /* the reason below replaces the reader's message */
        sg_error_clear(r->ctx);
    if (error == SG_ENOMEM)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory reading the rebuilt tarball");
    if (error == SG_EIO && w.opened)
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED, "cannot read the packed tarball");
    else
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED,
                               "the packed tarball is unreadable or over the "
                               "tarball-bytes limit");
    return 1;
}

/* Read the one tarball the pack command left in out/. 1 when there is none. */
int sg_rebuild__read_packed(sg_rebuild_run *r)
{
    sg_buf path = SG_BUF_INIT;
    sg_buf bytes = SG_BUF_INIT;
    sg_tar_info info;
    size_t n = 0;
    int error;

    if ((error = find_packed(&n, &path, r)) < 0)
        goto done;
    if (n != 1) {
        sg_rebuild__set_reason(
            r, SG_REBUILD_FAILED,
            n ? "the pack command made %zu tarballs" : "the pack command made no tarball", n);
        error = 1;
        goto done;
    }
    if ((error = read_whole(&bytes, r, path.ptr, sg_ctx_limit(r->ctx, SG_LIMIT_TARBALL_BYTES))) !=
        0)
        goto done;
    if ((error = sg_tar_read(&r->res->tree, &info, r->ctx, (const unsigned char *)bytes.ptr,
                             bytes.size, NULL)) < 0) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED, "the packed tarball is not readable: %s",
                               sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        error = 1;
    } else {
        error = sg_rebuild__add_step(r, "packed: %zu files", sg_tree_count(r->res->tree));
    }
done:
    sg_buf_dispose(&bytes);
    sg_buf_dispose(&path);
    return error;
}
