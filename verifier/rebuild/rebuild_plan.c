/*
 * The rebuild's plan and tools: from the source tree, the package manager (lockfile and
 * packageManager), the install folder and the Node version the repository asks for; on the
 * machine, the node, npm, corepack and bubblewrap that carry it out; and the registry hosts the
 * install step may reach.
 */
#include "common/common.h"

#include <dirent.h>
#include <unistd.h>

#include <curl/curl.h>

#include "verifier/rebuild/rebuild_int.h"

/* ---------------------------------------------------------------- the plan */

static const char *const pm_names[] = {"npm", "yarn", "yarn", "pnpm", "bun"};

const char *sg_rebuild__pm_name(sg_rebuild_pm pm)
{
    return (unsigned)pm < SG_ARRAY_SIZE(pm_names) ? pm_names[pm] : "unknown";
}

static int read_tree_json(cJSON **out, sg_ctx *ctx, const sg_tree *tree, const char *path)
{
    const sg_entry *e = sg_tree_find(tree, path);
    sg_buf b = SG_BUF_INIT;
    int error;
    *out = NULL;
    if (!e || e->kind != SG_ENTRY_FILE)
        return SG_ENOTFOUND;
    sg_buf_init(&b, (size_t)sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE));
    if ((error = sg_tree_read(&b, ctx, tree, e)) == 0)
        error = sg_json_parse(out, ctx, b.ptr, b.size, path);
    sg_buf_dispose(&b);
    return error;
}

/* The first `max` bytes of a tree file as a string ("" when absent). */
static void read_small(char *out, size_t size, sg_ctx *ctx, const sg_tree *tree, const char *path)
{
    const sg_entry *e = sg_tree_find(tree, path);
    sg_buf b = SG_BUF_INIT;
    out[0] = '\0';
    if (!e || e->kind != SG_ENTRY_FILE || e->size > (1u << 20))
        return;
    sg_buf_init(&b, 1u << 20);
    if (sg_tree_read(&b, ctx, tree, e) == 0)
        snprintf(out, size, "%.*s", (int)(b.size < size ? b.size : size - 1), b.ptr);
    else
        sg_error_clear(ctx);
    sg_buf_dispose(&b);
}

/* dir + "/" + name, or name alone when dir is "" (repository-relative tree paths). */
static int join_path(sg_buf *out, sg_ctx *ctx, const char *dir, const char *name)
{
    sg_buf_clear(out);
    sg_buf_printf(out, "%s%s%s", dir, *dir ? "/" : "", name);
    return sg_buf_check(out, ctx, "a path");
}

/* Cut the last component off a repository-relative folder: "a/b" -> "a", "a" -> "". */
static void parent_dir(sg_buf *dir)
{
    const char *s = strrchr(dir->ptr, '/');
    sg_buf_truncate(dir, s ? (size_t)(s - dir->ptr) : 0);
}

/* The package manager's lockfile in dir: *kind, or -1 when none. Errors: SG_ENOMEM. */
static int lockfile_in(int *kind, sg_ctx *ctx, const sg_tree *tree, const char *dir)
{
    static const struct {
        const char *file; /* the lockfile's name */
        sg_rebuild_pm pm; /* its package manager (yarn: by the lockfile's format) */
    } locks[] = {
        {"pnpm-lock.yaml", SG_REBUILD_PM_PNPM},   {"yarn.lock", SG_REBUILD_PM_YARN_CLASSIC},
        {"package-lock.json", SG_REBUILD_PM_NPM}, {"npm-shrinkwrap.json", SG_REBUILD_PM_NPM},
        {"bun.lockb", SG_REBUILD_PM_BUN},         {"bun.lock", SG_REBUILD_PM_BUN},
    };
    sg_buf p = SG_BUF_INIT;
    char head[4096];
    size_t i;
    int error = 0;

    *kind = -1;
    for (i = 0; i < SG_ARRAY_SIZE(locks) && *kind < 0; i++) {
        if ((error = join_path(&p, ctx, dir, locks[i].file)) < 0)
            break;
        if (!sg_tree_find(tree, p.ptr))
            continue;
        *kind = (int)locks[i].pm;
        if (locks[i].pm == SG_REBUILD_PM_YARN_CLASSIC) {
            read_small(head, sizeof(head), ctx, tree, p.ptr);
            if (strstr(head, "__metadata:"))
                *kind = SG_REBUILD_PM_YARN_BERRY;
        }
    }
    sg_buf_dispose(&p);
    return error;
}

/* Apply "packageManager": "pnpm@9.1.0+sha512...." when it names a known manager. */
static void apply_package_manager(sg_rebuild_plan *pl, const char *spec)
{
    static const struct {
        const char *prefix;
        sg_rebuild_pm kind;
    } known[] = {{"npm@", SG_REBUILD_PM_NPM},
                 {"pnpm@", SG_REBUILD_PM_PNPM},
                 {"yarn@", SG_REBUILD_PM_YARN_CLASSIC},
                 {"bun@", SG_REBUILD_PM_BUN}};
    size_t i;
    for (i = 0; spec && i < SG_ARRAY_SIZE(known); i++) {
        size_t pl_len = strlen(known[i].prefix), vl;
        const char *v;
        if (strncmp(spec, known[i].prefix, pl_len) != 0)
            continue;
        v = spec + pl_len;
        vl = strcspn(v, "+");
        if (vl == 0 || vl >= sizeof(pl->pm_version) || strspn(v, "0123456789.") != vl)
            return; /* a tag or URL: keep what the lockfile says */
        pl->pm = known[i].kind;
        if (pl->pm == SG_REBUILD_PM_YARN_CLASSIC && v[0] != '1')
            pl->pm = SG_REBUILD_PM_YARN_BERRY;
        memcpy(pl->pm_version, v, vl);
        pl->pm_version[vl] = '\0';
        snprintf(pl->pm_why, sizeof(pl->pm_why), "packageManager '%.100s'", spec);
        return;
    }
}

static int deps_nonempty(const cJSON *pj)
{
    static const char *const fields[] = {"dependencies", "devDependencies", "optionalDependencies"};
    size_t i;
    for (i = 0; pj && i < SG_ARRAY_SIZE(fields); i++) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(pj, fields[i]);
        if (cJSON_IsObject(d) && d->child)
            return 1;
    }
    return 0;
}

/* A version file (.nvmrc, .node-version) in the package folder or the nearest folder above it
 * that names a version: into the plan, 1; 0 when none does. Errors: SG_ENOMEM. */
static int node_wanted_file(sg_rebuild_plan *pl, sg_ctx *ctx, const sg_tree *tree,
                            const char *subdir, const char *file)
{
    sg_buf dir = SG_BUF_INIT, p = SG_BUF_INIT;
    char text[128];
    int found = 0;

    sg_buf_puts(&dir, subdir);
    if ((found = sg_buf_check(&dir, ctx, "a path")) < 0)
        goto done;
    for (;;) {
        size_t n;
        char *s;
        if ((found = join_path(&p, ctx, dir.ptr, file)) < 0)
            break;
        read_small(text, sizeof(text), ctx, tree, p.ptr);
        s = text + strspn(text, " \t\r\n");
        n = strcspn(s, " \t\r\n#");
        s[n] = '\0';
        if (*s) {
            snprintf(pl->node_wanted, sizeof(pl->node_wanted), "%s", s);
            sg_buf_clear(&pl->node_wanted_from);
            sg_buf_puts(&pl->node_wanted_from, p.ptr);
            found = sg_buf_check(&pl->node_wanted_from, ctx, "a path") < 0 ? SG_ENOMEM : 1;
            break;
        }
        if (!dir.size)
            break;
        parent_dir(&dir);
    }
done:
    sg_buf_dispose(&dir);
    sg_buf_dispose(&p);
    return found;
}

/* The version the repository asks for: .nvmrc, .node-version (package folder, then up to the
 * root), then engines.node. Errors: SG_ENOMEM. */
static int node_wanted(sg_rebuild_plan *pl, sg_ctx *ctx, const sg_tree *tree, const char *subdir)
{
    static const char *const files[] = {".nvmrc", ".node-version"};
    size_t f;
    int rc;
    const char *eng;

    for (f = 0; f < SG_ARRAY_SIZE(files); f++)
        if ((rc = node_wanted_file(pl, ctx, tree, subdir, files[f])) != 0)
            return rc < 0 ? rc : 0;
    eng = sg_json_str(cJSON_GetObjectItemCaseSensitive(pl->pkg, "engines"), "node");
    if (!eng && pl->root != pl->pkg)
        eng = sg_json_str(cJSON_GetObjectItemCaseSensitive(pl->root, "engines"), "node");
    if (eng) {
        snprintf(pl->node_wanted, sizeof(pl->node_wanted), "%s", eng);
        sg_buf_clear(&pl->node_wanted_from);
        sg_buf_puts(&pl->node_wanted_from, "engines.node");
    }
    return sg_buf_check(&pl->node_wanted_from, ctx, "a path");
}

void sg_rebuild__plan_dispose(sg_rebuild_plan *pl)
{
    if (pl->root != pl->pkg)
        cJSON_Delete(pl->root);
    cJSON_Delete(pl->pkg);
    sg_buf_dispose(&pl->lock_dir);
    sg_buf_dispose(&pl->node_wanted_from);
    memset(pl, 0, sizeof(*pl));
}

/* The install folder into pl->lock_dir: the lockfile's (in the package folder or the nearest
 * folder above it); without one, the workspace root's, else the package folder. */
static int find_install_dir(sg_rebuild_plan *pl, sg_ctx *ctx, const sg_tree *tree,
                            const char *subdir)
{
    sg_buf *dir = &pl->lock_dir;
    cJSON *rootpj = NULL;
    int kind = -1, error;

    sg_buf_puts(dir, subdir);
    if ((error = sg_buf_check(dir, ctx, "a path")) < 0)
        return error;
    for (;;) {
        if ((error = lockfile_in(&kind, ctx, tree, dir->ptr)) < 0)
            return error;
        if (kind >= 0 || !dir->size)
            break;
        parent_dir(dir);
    }
    if (kind >= 0) {
        pl->pm = (sg_rebuild_pm)kind;
        pl->has_lockfile = 1;
        snprintf(pl->pm_why, sizeof(pl->pm_why), "lockfile in '%.200s'",
                 dir->size ? dir->ptr : ".");
        return 0;
    }
    sg_buf_clear(dir);
    sg_buf_puts(dir, subdir);
    if (*subdir && read_tree_json(&rootpj, ctx, tree, "package.json") == 0 &&
        (cJSON_GetObjectItemCaseSensitive(rootpj, "workspaces") ||
         sg_tree_find(tree, "pnpm-workspace.yaml")))
        sg_buf_clear(dir);
    sg_error_clear(ctx);
    cJSON_Delete(rootpj);
    pl->pm = sg_tree_find(tree, "pnpm-workspace.yaml") ? SG_REBUILD_PM_PNPM : SG_REBUILD_PM_NPM;
    snprintf(pl->pm_why, sizeof(pl->pm_why), "no lockfile");
    return sg_buf_check(dir, ctx, "a path");
}

int sg_rebuild__plan_make(sg_rebuild_plan *pl, sg_ctx *ctx, const sg_tree *tree, const char *subdir)
{
    sg_buf p = SG_BUF_INIT;
    int error;

    memset(pl, 0, sizeof(*pl));
    sg_buf_init(&pl->lock_dir, 0);
    sg_buf_init(&pl->node_wanted_from, 0);
    if ((error = join_path(&p, ctx, subdir, "package.json")) < 0)
        goto done;
    if ((error = read_tree_json(&pl->pkg, ctx, tree, p.ptr)) < 0) {
        if (error == SG_ENOTFOUND)
            error = sg_error_set(ctx, SG_ENOTFOUND, "no package.json at '%s'", p.ptr);
        goto done;
    }
    if ((error = find_install_dir(pl, ctx, tree, subdir)) < 0)
        goto done;
    pl->in_workspace = strcmp(pl->lock_dir.ptr, subdir) != 0;
    pl->root = pl->pkg;
    if (pl->in_workspace) {
        if ((error = join_path(&p, ctx, pl->lock_dir.ptr, "package.json")) < 0)
            goto done;
        if (read_tree_json(&pl->root, ctx, tree, p.ptr) < 0) {
            sg_error_clear(ctx);
            pl->root = pl->pkg;
        }
    }
    apply_package_manager(pl, sg_json_str(pl->root, "packageManager"));
    if (!pl->pm_version[0])
        apply_package_manager(pl, sg_json_str(pl->pkg, "packageManager"));
    pl->needs_install = pl->has_lockfile || deps_nonempty(pl->pkg) || deps_nonempty(pl->root) ||
                        cJSON_GetObjectItemCaseSensitive(pl->root, "workspaces") != NULL;
    error = node_wanted(pl, ctx, tree, subdir);
done:
    sg_buf_dispose(&p);
    return error;
}

/* The decimal number at p (at most 6 digits; 0 when none). */
static int atoi_small(const char *p)
{
    int n = 0, i;
    for (i = 0; i < 6 && p[i] >= '0' && p[i] <= '9'; i++)
        n = n * 10 + (p[i] - '0');
    return n;
}

/* A pnpm or yarn version when the repository pins none: from the lockfile's format. */
int sg_rebuild__plan_default_pm_version(sg_rebuild_plan *pl, sg_ctx *ctx, const sg_tree *tree)
{
    sg_buf p = SG_BUF_INIT;
    char head[4096];
    const char *v = NULL;
    int error = 0;
    if (pl->pm_version[0])
        return 0;
    if (pl->pm == SG_REBUILD_PM_PNPM) {
        if ((error = join_path(&p, ctx, pl->lock_dir.ptr, "pnpm-lock.yaml")) < 0)
            goto done;
        read_small(head, sizeof(head), ctx, tree, p.ptr);
        if (strstr(head, "lockfileVersion: '9") || strstr(head, "lockfileVersion: 9"))
            v = "9.15.9";
        else if (strstr(head, "lockfileVersion: '6") || strstr(head, "lockfileVersion: 6"))
            v = "8.15.9";
        else if (strstr(head, "lockfileVersion: 5.4"))
            v = "7.33.7";
        else if (strstr(head, "lockfileVersion: 5"))
            v = "6.35.1";
        else
            v = "10.18.3";
    } else if (pl->pm == SG_REBUILD_PM_YARN_CLASSIC) {
        v = "1.22.22";
    } else if (pl->pm == SG_REBUILD_PM_YARN_BERRY) {
        /* __metadata.version: 4 (yarn 2), 6 (yarn 3), 8 (yarn 4). yarn 2 is not on the
         * registry: such repositories commit their yarnPath, which yarn 3 then runs. */
        const char *meta, *ver;
        if ((error = join_path(&p, ctx, pl->lock_dir.ptr, "yarn.lock")) < 0)
            goto done;
        read_small(head, sizeof(head), ctx, tree, p.ptr);
        meta = strstr(head, "__metadata:");
        ver = meta ? strstr(meta, "\n  version: ") : NULL;
        v = ver && atoi_small(ver + 12) <= 6 ? "3.8.7" : "4.10.3";
    }
    if (v)
        snprintf(pl->pm_version, sizeof(pl->pm_version), "%s", v);
done:
    sg_buf_dispose(&p);
    return error;
}

/* ---------------------------------------------------------------- tools on the machine */

void sg_rebuild__tools_init(sg_rebuild_tools *t)
{
    memset(t, 0, sizeof(*t));
    sg_buf_init(&t->bwrap, 4096);
    sg_buf_init(&t->node, 4096);
    sg_buf_init(&t->node_bin, 4096);
    sg_buf_init(&t->node_prefix, 4096);
    sg_buf_init(&t->npm, 4096);
    sg_buf_init(&t->corepack, 4096);
}

void sg_rebuild__tools_dispose(sg_rebuild_tools *t)
{
    sg_buf_dispose(&t->bwrap);
    sg_buf_dispose(&t->node);
    sg_buf_dispose(&t->node_bin);
    sg_buf_dispose(&t->node_prefix);
    sg_buf_dispose(&t->npm);
    sg_buf_dispose(&t->corepack);
}

static const char *search_path(const sg_rebuild_opts *o)
{
    return o->search_path ? o->search_path : "/usr/local/bin:/usr/bin:/bin";
}

/* Does the version (with or without 'v') satisfy what the repository asks for? A .nvmrc of
 * "lts/..." or "node" accepts any. */
static int node_satisfies(sg_ctx *ctx, const char *version, const char *wanted)
{
    sg_semver_range *r = NULL;
    sg_semver v;
    int ok;
    if (!wanted[0] || strncmp(wanted, "lts", 3) == 0 || strcmp(wanted, "node") == 0 ||
        strcmp(wanted, "stable") == 0 || strcmp(wanted, "latest") == 0)
        return 1;
    if (sg_semver_parse(&v, version, 1) < 0)
        return 0;
    if (sg_semver_range_parse(&r, ctx, wanted[0] == 'v' ? wanted + 1 : wanted) < 0) {
        sg_error_clear(ctx);
        return 0;
    }
    ok = sg_semver_satisfies(r, &v);
    sg_semver_range_free(r);
    return ok;
}

/* The highest Node in the node_versions folders that satisfies wanted; path into out. 1 when
 * found, 0 when not; SG_ENOMEM. */
static int find_other_node(sg_buf *out, char *version, size_t vsize, sg_ctx *ctx, const char *dirs,
                           const char *wanted)
{
    const char *p = dirs;
    sg_buf dir = SG_BUF_INIT, bin = SG_BUF_INIT;
    sg_semver best, v;
    int found = 0, error = 0;

    while (p && *p && !error) {
        size_t n = strcspn(p, ":");
        DIR *d;
        struct dirent *de;
        sg_buf_clear(&dir);
        sg_buf_put(&dir, p, n);
        p += n + (p[n] == ':');
        if ((error = sg_buf_check(&dir, ctx, "a path")) < 0)
            break;
        if (!(d = opendir(dir.ptr)))
            continue;
        while (!error && (de = readdir(d))) {
            if (sg_semver_parse(&v, de->d_name, 1) < 0 || v.pre[0] ||
                !node_satisfies(ctx, de->d_name, wanted))
                continue;
            sg_buf_clear(&bin);
            sg_buf_printf(&bin, "%s/%s/bin/node", dir.ptr, de->d_name);
            if ((error = sg_buf_check(&bin, ctx, "a path")) < 0)
                break;
            if (access(bin.ptr, X_OK) != 0 || (found && sg_semver_cmp(&v, &best) <= 0))
                continue;
            best = v;
            found = 1;
            sg_buf_clear(out);
            sg_buf_puts(out, bin.ptr);
            error = sg_buf_check(out, ctx, "a path");
            snprintf(version, vsize, "v%llu.%llu.%llu", (unsigned long long)v.major,
                     (unsigned long long)v.minor, (unsigned long long)v.patch);
        }
        closedir(d);
    }
    sg_buf_dispose(&dir);
    sg_buf_dispose(&bin);
    return error < 0 ? error : found;
}

static void dirname_into(sg_buf *out, const char *path)
{
    const char *slash = strrchr(path, '/');
    sg_buf_clear(out);
    if (slash && slash != path)
        sg_buf_put(out, path, (size_t)(slash - path));
    else
        sg_buf_puts(out, "/");
}

/* Take a Node from the registry satisfying the repository's wanted version and the package
 * manager's engines.node: 1 when taken (t updated), 0 when the registry has none (the note
 * says why), < 0 on an operational error. */
static int registry_node(sg_rebuild_tools *t, sg_ctx *ctx, const sg_rebuild_opts *o,
                         const sg_rebuild_plan *pl, const char *pm_range, const char *why)
{
    const char *ranges[2];
    size_t n = 0;
    sg_buf node = SG_BUF_INIT;
    char version[64];
    int error;

    if (pl->node_wanted[0])
        ranges[n++] = pl->node_wanted; /* nvm's names too: lts/iron, v24 */
    if (pm_range[0])
        ranges[n++] = pm_range;
    if (!n)
        return 0;
    error = sg_rebuild__node_from_registry(&node, version, sizeof(version), ctx, o, ranges, n);
    if (error == SG_ENOTFOUND || error == SG_EUNSUPPORTED || error == SG_EINVALID) {
        snprintf(t->node_note, sizeof(t->node_note),
                 "the machine's; %.200s; none from the "
                 "registry: %.200s",
                 why, sg_error_message(ctx));
        sg_error_clear(ctx);
        error = 0;
    } else if (error == 0) {
        sg_buf_clear(&t->node);
        sg_buf_puts(&t->node, node.ptr);
        snprintf(t->node_version, sizeof(t->node_version), "%s", version);
        snprintf(t->node_note, sizeof(t->node_note),
                 "from the registry, integrity checked by sourcegate; %.300s", why);
        error = sg_buf_check(&t->node, ctx, "a path") < 0 ? SG_ENOMEM : 1;
    }
    sg_buf_dispose(&node);
    return error;
}

/* Which node to use and why, into t (t->node is the machine's, t->node_version its version):
 * the machine's when it satisfies what the repository and its package manager ask for, else
 * another installed one, else one from the registry, else the machine's with a note. */
static int pick_node(sg_rebuild_tools *t, sg_ctx *ctx, const sg_rebuild_opts *o,
                     const sg_rebuild_plan *pl)
{
    sg_buf other = SG_BUF_INIT;
    const char *from = pl->node_wanted_from.ptr;
    char oversion[64], pm_range[128], why[512];
    int found = 0, machine_ok, pm_ok;

    /* the package manager corepack runs may need a newer Node than the repository says */
    if ((found = sg_rebuild__pm_node_range(pm_range, sizeof(pm_range), ctx, o, pl->pm,
                                           pl->pm_version)) == SG_ENOTFOUND ||
        found == SG_EUNSUPPORTED) {
        sg_error_clear(ctx);
        pm_range[0] = '\0';
    } else if (found < 0) {
        return found;
    }
    found = 0;
    pm_ok = !pm_range[0] || node_satisfies(ctx, t->node_version, pm_range);
    machine_ok = pm_ok && node_satisfies(ctx, t->node_version, pl->node_wanted);
    if (!pl->node_wanted[0])
        snprintf(why, sizeof(why), "the repository names no version");
    else
        snprintf(why, sizeof(why), "%.300s '%.60s'", from, pl->node_wanted);
    if (pm_range[0] && !pm_ok) {
        size_t n = strlen(why);
        snprintf(why + n, sizeof(why) - n, "; %s@%s needs node '%.60s'",
                 sg_rebuild__pm_name(pl->pm), pl->pm_version, pm_range);
    }
    if (machine_ok && (!pl->node_wanted[0] || strcmp(from, "engines.node") == 0)) {
        snprintf(t->node_note, sizeof(t->node_note), "the machine's; %.450s%s", why,
                 pl->node_wanted[0] ? " accepts it" : "");
    } else if (pm_ok && o->node_versions &&
               (found = find_other_node(&other, oversion, sizeof(oversion), ctx, o->node_versions,
                                        pl->node_wanted)) > 0) {
        sg_buf_clear(&t->node);
        sg_buf_puts(&t->node, other.ptr);
        snprintf(t->node_version, sizeof(t->node_version), "%s", oversion);
        snprintf(t->node_note, sizeof(t->node_note), "from %.300s '%.60s'", from, pl->node_wanted);
        found = sg_buf_check(&t->node, ctx, "a path");
    } else if (found < 0) {
        /* the error is in ctx */
    } else if (machine_ok) {
        snprintf(t->node_note, sizeof(t->node_note), "the machine's; %.450s accepts it", why);
    } else if ((found = registry_node(t, ctx, o, pl, pm_range, why)) == 0 && !t->node_note[0]) {
        snprintf(t->node_note, sizeof(t->node_note),
                 "the machine's; %.400s, which is not on this machine", why);
    }
    sg_buf_dispose(&other);
    return found < 0 ? found : 0;
}

/* Program `name` next to the chosen node, else on the search path; "" when neither. */
static int find_beside_node(sg_buf *out, sg_ctx *ctx, const sg_rebuild_tools *t,
                            const sg_rebuild_opts *o, const char *name)
{
    sg_buf path = SG_BUF_INIT;
    int error;
    sg_buf_printf(&path, "%s/%s", t->node_bin.ptr, name);
    if ((error = sg_buf_check(&path, ctx, "a path")) == 0 &&
        sg_sandbox__which(out, ctx, path.ptr, NULL) < 0) {
        sg_error_clear(ctx);
        if (sg_sandbox__which(out, ctx, name, search_path(o)) < 0)
            sg_error_clear(ctx);
    }
    sg_buf_dispose(&path);
    return error;
}

/* The node's folder (first on PATH) and installation prefix (through its symlinks). */
static int node_folders(sg_rebuild_tools *t, sg_ctx *ctx)
{
    sg_buf bin = SG_BUF_INIT;
    char *real = realpath(t->node.ptr, NULL);
    int error;
    dirname_into(&t->node_bin, t->node.ptr);
    dirname_into(&bin, real ? real : t->node.ptr);
    dirname_into(&t->node_prefix, bin.ptr);
    free(real);
    if ((error = sg_buf_check(&bin, ctx, "a path")) == 0 &&
        (error = sg_buf_check(&t->node_bin, ctx, "a path")) == 0)
        error = sg_buf_check(&t->node_prefix, ctx, "a path");
    sg_buf_dispose(&bin);
    return error;
}

int sg_rebuild__choose_node(sg_rebuild_tools *t, sg_ctx *ctx, const sg_rebuild_opts *o,
                            const sg_rebuild_plan *pl)
{
    const char *argv[3];
    sg_buf ver = SG_BUF_INIT;
    int error;

    if ((error = sg_sandbox__which(&t->node, ctx, o->node ? o->node : "node", search_path(o))) < 0)
        return error;
    argv[0] = t->node.ptr;
    argv[1] = "--version";
    argv[2] = NULL;
    sg_buf_init(&ver, 256);
    if ((error = sg_sandbox__capture(&ver, ctx, argv, 20000)) < 0)
        goto done;
    snprintf(t->node_version, sizeof(t->node_version), "%.*s", (int)strcspn(ver.ptr, "\r\n"),
             ver.ptr);
    /* npm and corepack next to that node, else on the search path. */
    if ((error = pick_node(t, ctx, o, pl)) == 0 && (error = node_folders(t, ctx)) == 0 &&
        (error = find_beside_node(&t->npm, ctx, t, o, "npm")) == 0)
        error = find_beside_node(&t->corepack, ctx, t, o, "corepack");
done:
    sg_buf_dispose(&ver);
    return error;
}

/* bubblewrap found and working, or the reason it is not. */
int sg_rebuild__check_sandbox(sg_rebuild_tools *t, sg_ctx *ctx, const sg_rebuild_opts *o)
{
    int error = sg_sandbox__which(&t->bwrap, ctx, o->bwrap ? o->bwrap : "bwrap", search_path(o));
    if (error == 0)
        error = sg_sandbox__probe(ctx, t->bwrap.ptr);
    else if (error == SG_ENOTFOUND)
        error = SG_EUNSUPPORTED;
    if (error == SG_EUNSUPPORTED) {
        snprintf(t->sandbox_note, sizeof(t->sandbox_note), "%s", sg_error_message(ctx));
        sg_error_clear(ctx);
        return 0;
    }
    if (error == 0)
        t->sandboxed = 1;
    return error;
}

int sg_rebuild_check(int *sandboxed, sg_ctx *ctx, const sg_rebuild_opts *opts)
{
    sg_rebuild_tools t;
    sg_buf node = SG_BUF_INIT;
    int error;

    if (sandboxed)
        *sandboxed = 0;
    if (!opts)
        return sg_error_set(ctx, SG_EINVALID, "no rebuild options");
    sg_rebuild__tools_init(&t);
    error = sg_sandbox__which(&node, ctx, opts->node ? opts->node : "node", search_path(opts));
    if (error == SG_ENOTFOUND) {
        sg_error_clear(ctx);
        error = sg_error_set(ctx, SG_EUNSUPPORTED,
                             "cannot rebuild: node is not installed "
                             "(looked for '%s')",
                             opts->node ? opts->node : "node");
    }
    if (error == 0 && (error = sg_rebuild__check_sandbox(&t, ctx, opts)) == 0 && !t.sandboxed &&
        !opts->allow_unsafe_no_sandbox)
        error = sg_error_set(ctx, SG_EUNSUPPORTED,
                             "cannot rebuild in a sandbox: %s; --unsafe-no-sandbox builds "
                             "without one",
                             t.sandbox_note);
    if (error == 0 && sandboxed)
        *sandboxed = t.sandboxed;
    sg_buf_dispose(&node);
    sg_rebuild__tools_dispose(&t);
    return error;
}

/* ---------------------------------------------------------------- the registry allowlist */

/* Registry URL -> "host:port" entries the proxy allows. The host is libcurl's reading of the
 * URL (userinfo is never part of it), without the brackets of an IPv6 address: the proxy splits
 * a CONNECT target "[::1]:8080" into host "::1" and port "8080" and compares the entry's text
 * before its last colon with the host. The port is the URL's, else the scheme's default. */
void sg_rebuild__allow_registry(sg_rebuild_allow *out, const char *url)
{
    CURLU *h = NULL;
    char *host = NULL, *port = NULL;
    const char *hp;
    size_t hl;
    int n;

    memset(out, 0, sizeof(*out));
    if (!url || !(h = curl_url()) || curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto done;
    hp = host;
    hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        hp++;
        hl -= 2;
    }
    if (!hl || hl >= 256)
        goto done;
    n = snprintf(out->entry[0], sizeof(out->entry[0]), "%.*s:%s", (int)hl, hp, port);
    if (n < 0 || (size_t)n >= sizeof(out->entry[0]))
        goto done;
    out->n = 1;
    if (sg_strcasecmp(host, "registry.npmjs.org") == 0)
        /* yarn's lockfiles and defaults name npm's registry by its other host name */
        snprintf(out->entry[out->n++], sizeof(out->entry[0]), "registry.yarnpkg.com:443");
done:
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(h);
}

/* ---- repository configuration that runs code ---- */

/* npm settings that name a program, a script or another configuration: what a repository's
 * .npmrc can make npm run besides the lifecycle scripts --ignore-scripts turns off. */
static const struct {
    const char *key;  /* the .npmrc key */
    const char *note; /* what becomes of it in the rebuild */
} npmrc_keys[] = {
    {"git", NULL}, /* decided by program_kept() */
    {"script-shell", NULL},
    {"shell", NULL},
    {"node-options", "passed to lifecycle scripts only (the install step runs none)"},
    {"node-gyp", "runs for native builds in lifecycle scripts only"},
    {"onload-script", "not read by this npm"},
    {"init-module", "runs for npm init only"},
    {"editor", "not run by install, build or pack"},
    {"browser", "not run by install, build or pack"},
    {"viewer", "not run by install, build or pack"},
    {"call", "not run by install, build or pack"},
    {"globalconfig", "overridden by the rebuild's environment"},
    {"userconfig", "overridden by the rebuild's environment"},
    {"cache", "overridden by the rebuild's environment"},
    {"registry", "overridden by the rebuild's environment"},
    {"pnpmfile", "pnpm hooks: may run (the step cannot affect anything outside the rebuild)"},
    {"global-pnpmfile",
     "pnpm hooks: may run (the step cannot affect anything outside the rebuild)"},
};

/* Is a program setting one to keep: an absolute path outside the source copy, or a bare name
 * that is a program of the machine ("bash")? Anything else names repository code. */
static int program_kept(const sg_rebuild_run *r, const char *v)
{
    char path[512];
    if (v[0] == '/')
        return strncmp(v, r->src.ptr, r->src.size) != 0 && !strstr(v, "/..");
    if (strchr(v, '/') || strchr(v, '\\') || !v[0])
        return 0;
    snprintf(path, sizeof(path), "/usr/bin/%s", v);
    return access(path, X_OK) == 0;
}

/* Add the step line for one setting, with its value shown safely. */
static int config_line(sg_rebuild_run *r, const char *file, const char *key, const char *v,
                       const char *note)
{
    sg_buf shown = SG_BUF_INIT;
    int error;
    sg_buf_put_shown(&shown, v, strlen(v), 120, SG_SHOW_HEX);
    error = sg_rebuild__add_step(r, "config: %s sets %s=%s: %s", file, key,
                                 shown.error ? "?" : shown.ptr, note);
    sg_buf_dispose(&shown);
    return error;
}

/* One key=value of an .npmrc: listed when it runs code, replaced when it only serves one. */
static int npmrc_setting(sg_rebuild_run *r, const char *file, const char *key, const char *v)
{
    char note[4200];
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(npmrc_keys); i++) {
        if (strcmp(key, npmrc_keys[i].key) != 0)
            continue;
        if (npmrc_keys[i].note)
            return config_line(r, file, key, v, npmrc_keys[i].note);
        if (program_kept(r, v))
            return config_line(r, file, key, v, "kept (a program of the machine)");
        if (strcmp(key, "git") == 0) {
            const char *git = access("/usr/bin/git", X_OK) == 0 ? "/usr/bin/git" : "git";
            snprintf(r->cfg.git, sizeof(r->cfg.git), "%s", git);
            snprintf(note, sizeof(note), "replaced by %s", git);
        } else {
            *(strcmp(key, "shell") == 0 ? &r->cfg.shell : &r->cfg.script_shell) = 1;
            snprintf(note, sizeof(note), "replaced by /bin/sh");
        }
        return config_line(r, file, key, v, note);
    }
    return 0;
}

/* Trim spaces and a pair of quotes around [s, e) in place; returns the start. */
static char *trim(char *s, char *e)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    if (e - s >= 2 && (*s == '"' || *s == '\'') && e[-1] == *s) {
        s++;
        e--;
    }
    *e = '\0';
    return s;
}

/* The lines of an .npmrc (or yarn classic's .yarnrc, with "key value" lines). */
static int scan_rc(sg_rebuild_run *r, const char *path, int yarnrc)
{
    char text[16384], *line, *next;
    int error = 0;
    read_small(text, sizeof(text), r->ctx, r->in->root, path);
    for (line = text; *line && error == 0; line = next) {
        char *eol = strchr(line, '\n'), *sep, *key, *v;
        next = eol ? eol + 1 : line + strlen(line);
        if (eol)
            *eol = '\0';
        key = trim(line, line + strlen(line));
        if (*key == '#' || *key == ';' || !*key)
            continue;
        sep = yarnrc ? strpbrk(key, " \t") : strchr(key, '=');
        if (!sep)
            continue;
        *sep = '\0';
        v = trim(sep + 1, sep + 1 + strlen(sep + 1));
        key = trim(key, key + strlen(key));
        if (yarnrc && (strcmp(key, "yarn-path") == 0 || strcmp(key, "yarnPath") == 0))
            error = config_line(r, path, key, v,
                                "the repository's yarn: may run (the step cannot affect "
                                "anything outside the rebuild)");
        else if (!yarnrc)
            error = npmrc_setting(r, path, key, v);
    }
    return error;
}

/* yarn 2+'s .yarnrc.yml: yarnPath (the committed release) and plugins. */
static int scan_yarnrc_yml(sg_rebuild_run *r, const char *path)
{
    char text[16384], *line, *next;
    int error = 0;
    read_small(text, sizeof(text), r->ctx, r->in->root, path);
    for (line = text; *line && error == 0; line = next) {
        char *eol = strchr(line, '\n');
        next = eol ? eol + 1 : line + strlen(line);
        if (eol)
            *eol = '\0';
        if (strncmp(line, "yarnPath:", 9) == 0)
            error = config_line(r, path, "yarnPath", trim(line + 9, line + strlen(line)),
                                "the repository's yarn release: may run (the step cannot "
                                "affect anything outside the rebuild)");
        else if (strncmp(line, "plugins:", 8) == 0)
            error = config_line(r, path, "plugins", "...",
                                "yarn plugins from the repository: may run (the step "
                                "cannot affect anything outside the rebuild)");
    }
    return error;
}

/* The configuration files of one folder of the repository. */
static int scan_folder(sg_rebuild_run *r, const char *dir)
{
    static const char *const files[] = {".npmrc", ".yarnrc", ".yarnrc.yml", ".pnpmfile.cjs"};
    sg_buf p = SG_BUF_INIT;
    size_t i;
    int error = 0;
    for (i = 0; i < SG_ARRAY_SIZE(files) && error == 0; i++) {
        if ((error = join_path(&p, r->ctx, dir, files[i])) < 0)
            break;
        if (!sg_tree_find(r->in->root, p.ptr))
            continue;
        if (i == 0 || i == 1)
            error = scan_rc(r, p.ptr, i == 1);
        else if (i == 2)
            error = scan_yarnrc_yml(r, p.ptr);
        else
            error = sg_rebuild__add_step(r,
                                         "config: %s: pnpm hooks from the repository: may run "
                                         "(the step cannot affect anything outside the "
                                         "rebuild)",
                                         p.ptr);
    }
    sg_buf_dispose(&p);
    return error;
}

int sg_rebuild__config_scan(sg_rebuild_run *r)
{
    const char *dirs[3];
    size_t n = 0, i, j;
    int error = 0;
    dirs[n++] = "";
    dirs[n++] = r->pl.lock_dir.ptr;
    dirs[n++] = r->in->subdir;
    memset(&r->cfg, 0, sizeof(r->cfg));
    for (i = 0; i < n && error == 0; i++) {
        for (j = 0; j < i && strcmp(dirs[i], dirs[j]) != 0; j++)
            ;
        if (j == i)
            error = scan_folder(r, dirs[i]);
    }
    return error;
}
