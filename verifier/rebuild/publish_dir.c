/*
 * The folder a release is packed from when it is not the package folder. Some projects build
 * into a folder and publish that (zustand: a private package.json at the root, a build that
 * writes dist/package.json; `cd lib && npm publish`; pnpm's publishConfig.directory). After
 * the build, the rebuild packs from that folder, found in this order:
 *   1. publishConfig.directory of the package's package.json (relative, inside the package
 *      folder), when the build made a package.json there;
 *   2. when the package's package.json is private (npm refuses to publish it, so the release
 *      came from elsewhere): the first of dist, lib, build, out, package, npm, publish — then
 *      any other folder directly in the package folder — holding a package.json that names
 *      the package and is not private.
 */
#include "common/common.h"

#include <dirent.h>
#include <sys/stat.h>

#include "verifier/rebuild/rebuild_int.h"

#define PUBLISH_JSON_MAX (1u << 20) /* bytes of a candidate package.json read */
#define PUBLISH_SCAN_MAX 256        /* folders looked at in the package folder */

/* Does dir/package.json name the package (and, when not_private, is it publishable)? */
static int names_package(sg_rebuild_run *r, const char *dir, int not_private)
{
    sg_buf path = SG_BUF_INIT, text = SG_BUF_INIT;
    cJSON *doc = NULL, *priv;
    const char *name;
    struct stat st;
    int yes = 0;

    sg_buf_printf(&path, "%s/package.json", dir);
    if (path.error || lstat(path.ptr, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size > (off_t)PUBLISH_JSON_MAX ||
        sg_file_read(&text, r->ctx, path.ptr, PUBLISH_JSON_MAX) < 0 ||
        sg_json_parse(&doc, r->ctx, text.ptr, text.size, "package.json") < 0)
        goto done;
    name = sg_json_str(doc, "name");
    priv = cJSON_GetObjectItemCaseSensitive(doc, "private");
    yes = name && r->in->name && strcmp(name, r->in->name) == 0 &&
          !(not_private && cJSON_IsTrue(priv));
done:
    sg_error_clear(r->ctx); /* what the build wrote is untrusted: unreadable means no */
    cJSON_Delete(doc);
    sg_buf_dispose(&path);
    sg_buf_dispose(&text);
    return yes;
}

/* A relative folder name inside the package folder: no "..", no absolute path. */
static int safe_relative(const char *d)
{
    const char *p = d;
    if (!*d || *d == '/' || strlen(d) > 255)
        return 0;
    while (*p) {
        size_t n = strcspn(p, "/");
        if ((n == 2 && p[0] == '.' && p[1] == '.') || (n == 1 && p[0] == '.'))
            return 0;
        p += n + (p[n] == '/');
    }
    return 1;
}

/* A folder directly in the package folder (not a link) that names the package. */
static int try_folder(sg_rebuild_run *r, sg_buf *out, const char *rel, int not_private)
{
    struct stat st;
    sg_buf_clear(out);
    sg_buf_printf(out, "%s/%s", r->pkg_dir.ptr, rel);
    if (out->error || lstat(out->ptr, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    return names_package(r, out->ptr, not_private);
}

static int scan_folders(sg_rebuild_run *r, sg_buf *out)
{
    static const char *const usual[] = {"dist", "lib", "build", "out", "package", "npm", "publish"};
    DIR *d;
    struct dirent *de;
    size_t i, seen = 0;

    for (i = 0; i < SG_ARRAY_SIZE(usual); i++)
        if (try_folder(r, out, usual[i], 1))
            return 1;
    if (!(d = opendir(r->pkg_dir.ptr)))
        return 0;
    while ((de = readdir(d)) && seen++ < PUBLISH_SCAN_MAX) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "node_modules") == 0)
            continue;
        if (try_folder(r, out, de->d_name, 1)) {
            closedir(d);
            return 1;
        }
    }
    closedir(d);
    return 0;
}

int sg_rebuild__publish_dir(sg_rebuild_run *r, sg_buf *out)
{
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(r->pl.pkg, "publishConfig");
    const char *dir = sg_json_str(pc, "directory");
    int found = 0;

    if (dir && safe_relative(dir) && try_folder(r, out, dir, 0)) {
        found = 1;
        if (sg_rebuild__add_step(r, "publish folder: %s (publishConfig.directory)", dir) < 0)
            return SG_ENOMEM;
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->pl.pkg, "private")) &&
               scan_folders(r, out)) {
        found = 1;
        if (sg_rebuild__add_step(r,
                                 "publish folder: %s (the package.json here is private; the "
                                 "build made one there that names the package)",
                                 out->ptr + r->pkg_dir.size + 1) < 0)
            return SG_ENOMEM;
    }
    if (found && sg_buf_check(out, r->ctx, "a path") < 0)
        return SG_ENOMEM;
    return found;
}
