/*
 * Rebuild a package from its commit (DESIGN.md "Rebuild"): materialize the repository's tree in
 * a scratch folder, choose the package manager, the Node version and the build the repository
 * itself uses, run install (scripts disabled, registry-only network), build and pack in the
 * sandbox, and read the tarball the pack command made.
 */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "verifier/source/git_int.h"
#include "verifier/rebuild/rebuild_int.h"

#define DEFAULT_REGISTRY "https://registry.npmjs.org/"
#define STEP_OUTPUT_LIMIT (4u << 20) /* bytes of one step's output kept for the log */
#define MAX_FILE_BYTES (4ull << 30)  /* RLIMIT_FSIZE of the build */

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
    memset(res, 0, sizeof(*res));
}

/* ---------------------------------------------------------------- materializing a tree */

/* Open (creating) the folder of `path`'s parent below root, never following links. Returns a
 * directory fd and sets *base to the last component, or -1. */
static int open_parent(int root, const char *path, const char **base)
{
    int dir = dup(root);
    const char *p = path, *slash;
    char comp[256];

    while (dir >= 0 && (slash = strchr(p, '/'))) {
        size_t n = (size_t)(slash - p);
        int next;
        if (n == 0 || n >= sizeof(comp)) {
            close(dir);
            return -1;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (mkdirat(dir, comp, 0755) < 0 && errno != EEXIST) {
            close(dir);
            return -1;
        }
        next = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(dir);
        dir = next;
        p = slash + 1;
    }
    *base = p;
    return dir;
}

static int write_entry(int dir, const char *base, const sg_entry *e, const sg_buf *content)
{
    const char *p = content->ptr;
    size_t left = content->size;
    int fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    e->exec ? 0755 : 0644);
    if (fd < 0)
        return -1;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    return close(fd);
}

int sg_rebuild__materialize(sg_ctx *ctx, const sg_tree *tree, const char *dir)
{
    sg_buf content = SG_BUF_INIT;
    size_t i, n = sg_tree_count(tree);
    int root, error = 0;

    root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return sg_error_set(ctx, SG_EIO, "cannot open '%s': %s", dir, strerror(errno));
    sg_buf_init(&content, (size_t)sg_ctx_limit(ctx, SG_LIMIT_FILE_SIZE));
    for (i = 0; i < n && !error; i++) {
        const sg_entry *e = sg_tree_entry(tree, i);
        const char *base = NULL;
        int pd = open_parent(root, e->path, &base), ok = 0;
        if (pd < 0) {
            error = sg_error_set(ctx, SG_EIO, "cannot make the folder of '%s': %s", e->path,
                                 strerror(errno));
            break;
        }
        if (e->kind == SG_ENTRY_FILE) {
            sg_buf_clear(&content);
            if ((error = sg_tree_read(&content, ctx, tree, e)) == 0)
                ok = write_entry(pd, base, e, &content);
        } else if (e->kind == SG_ENTRY_SYMLINK) {
            ok = symlinkat(e->target ? e->target : "", pd, base);
        } else {
            ok = mkdirat(pd, base, 0755) < 0 && errno != EEXIST ? -1 : 0;
        }
        if (!error && ok < 0)
            error = sg_error_set(ctx, SG_EIO, "cannot write '%s' in '%s': %s", e->path, dir,
                                 strerror(errno));
        close(pd);
    }
    close(root);
    sg_buf_dispose(&content);
    return error;
}

/* ---------------------------------------------------------------- a .git for the copy */

/* Copy one object between object databases (when the destination lacks it). */
static int copy_object(git_odb *dst, git_odb *src, const git_oid *id)
{
    git_odb_object *obj = NULL;
    git_oid out;
    int rc;
    if (git_odb_exists(dst, id))
        return 0;
    if ((rc = git_odb_read(&obj, src, id)) < 0)
        return rc;
    rc = git_odb_write(&out, dst, git_odb_object_data(obj), git_odb_object_size(obj),
                       git_odb_object_type(obj));
    git_odb_object_free(obj);
    return rc;
}

static int copy_tree(git_repository *repo, git_odb *dst, git_odb *src, const git_oid *id,
                     unsigned depth)
{
    git_tree *tree = NULL;
    size_t i, n;
    int rc;
    if (depth > 512)
        return -1;
    if ((rc = copy_object(dst, src, id)) < 0 || (rc = git_tree_lookup(&tree, repo, id)) < 0)
        return rc;
    n = git_tree_entrycount(tree);
    for (i = 0; i < n && rc >= 0; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
            rc = copy_object(dst, src, git_tree_entry_id(e));
        else if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
            rc = copy_tree(repo, dst, src, git_tree_entry_id(e), depth + 1);
        /* submodule commits live in other repositories */
    }
    git_tree_free(tree);
    return rc;
}

/* Recreate the tag the commit was found by, when it names that commit. */
static void copy_tag(git_repository *src, git_repository *dst, const char *ref,
                     const git_oid *commit)
{
    git_object *obj = NULL;
    git_reference *made = NULL;
    char name[600];
    if (!ref || !*ref || strlen(ref) > 500 || strncmp(ref, "refs/", 5) == 0)
        return;
    snprintf(name, sizeof(name), "refs/tags/%s", ref);
    if (git_revparse_single(&obj, src, name) == 0) {
        git_object *peeled = NULL;
        if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0 &&
            git_oid_equal(git_object_id(peeled), commit))
            git_reference_create(&made, dst, name, commit, 1, "sourcegate rebuild");
        git_object_free(peeled);
    }
    git_reference_free(made);
    git_object_free(obj);
}

/* Make dir a git work tree whose HEAD is the commit: its objects copied, shallow (no
 * parents), branch "main", index from its tree. Returns 0 or a libgit2 error. */
static int make_git(const sg_rebuild_input *in, const char *dir)
{
    git_repository *src = sg_git__repository(in->repo), *dst = NULL;
    git_odb *sodb = NULL, *dodb = NULL;
    git_commit *commit = NULL;
    git_tree *tree = NULL;
    git_index *index = NULL;
    git_reference *head = NULL;
    git_oid id;
    char shallow[4200], line[42];
    int rc, fd;

    if ((rc = git_oid_fromstr(&id, in->commit)) < 0 ||
        (rc = git_repository_init(&dst, dir, 0)) < 0 || (rc = git_repository_odb(&sodb, src)) < 0 ||
        (rc = git_repository_odb(&dodb, dst)) < 0 ||
        (rc = git_commit_lookup(&commit, src, &id)) < 0 ||
        (rc = copy_tree(src, dodb, sodb, git_commit_tree_id(commit), 0)) < 0 ||
        (rc = copy_object(dodb, sodb, &id)) < 0)
        goto done;
    snprintf(shallow, sizeof(shallow), "%s/.git/shallow", dir);
    snprintf(line, sizeof(line), "%s\n", in->commit);
    fd = open(shallow, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
        rc = -1;
        if (fd >= 0)
            close(fd);
        goto done;
    }
    close(fd);
    if ((rc = git_reference_create(&head, dst, "refs/heads/main", &id, 1, "sourcegate rebuild")) <
            0 ||
        (rc = git_repository_set_head(dst, "refs/heads/main")) < 0 ||
        (rc = git_tree_lookup(&tree, dst, git_commit_tree_id(commit))) < 0 ||
        (rc = git_repository_index(&index, dst)) < 0 ||
        (rc = git_index_read_tree(index, tree)) < 0 || (rc = git_index_write(index)) < 0)
        goto done;
    copy_tag(src, dst, in->ref, &id);
done:
    git_index_free(index);
    git_tree_free(tree);
    git_reference_free(head);
    git_commit_free(commit);
    git_odb_free(sodb);
    git_odb_free(dodb);
    git_repository_free(dst);
    return rc;
}

/* ---------------------------------------------------------------- the plan */

typedef enum { PM_NPM, PM_YARN_CLASSIC, PM_YARN_BERRY, PM_PNPM, PM_BUN } pm_kind;

static const char *const pm_names[] = {"npm", "yarn", "yarn", "pnpm", "bun"};

/* Everything decided before running anything. */
typedef struct plan {
    pm_kind pm;                  /* package manager */
    char pm_version[64];         /* pinned version ("" when none) */
    char pm_why[256];            /* how it was chosen */
    char lock_dir[1024];         /* repository-relative folder of the lockfile ("" root) */
    int has_lockfile;            /* a lockfile was found */
    int needs_install;           /* there are dependencies to install */
    int in_workspace;            /* the package is below the install folder */
    char node_wanted[128];       /* the version the repository asks for ("" none) */
    char node_wanted_from[1200]; /* ".nvmrc", ".node-version", "engines.node" */
    cJSON *pkg;                  /* the package's package.json */
    cJSON *root;                 /* the install folder's package.json (may equal pkg's) */
} plan;

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

static void join_path(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s%s%s", dir, *dir ? "/" : "", name);
}

static int has_file(const sg_tree *tree, const char *dir, const char *name)
{
    char p[1200];
    join_path(p, sizeof(p), dir, name);
    return sg_tree_find(tree, p) != NULL;
}

/* The package manager's lockfile in dir, or -1 when none. */
static int lockfile_in(sg_ctx *ctx, const sg_tree *tree, const char *dir)
{
    char p[1200], head[4096];
    if (has_file(tree, dir, "pnpm-lock.yaml"))
        return PM_PNPM;
    if (has_file(tree, dir, "yarn.lock")) {
        join_path(p, sizeof(p), dir, "yarn.lock");
        read_small(head, sizeof(head), ctx, tree, p);
        return strstr(head, "__metadata:") ? PM_YARN_BERRY : PM_YARN_CLASSIC;
    }
    if (has_file(tree, dir, "package-lock.json") || has_file(tree, dir, "npm-shrinkwrap.json"))
        return PM_NPM;
    if (has_file(tree, dir, "bun.lockb") || has_file(tree, dir, "bun.lock"))
        return PM_BUN;
    return -1;
}

/* Apply "packageManager": "pnpm@9.1.0+sha512...." when it names a known manager. */
static void apply_package_manager(plan *pl, const char *spec)
{
    static const struct {
        const char *prefix;
        pm_kind kind;
    } known[] = {
        {"npm@", PM_NPM}, {"pnpm@", PM_PNPM}, {"yarn@", PM_YARN_CLASSIC}, {"bun@", PM_BUN}};
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
        if (pl->pm == PM_YARN_CLASSIC && v[0] != '1')
            pl->pm = PM_YARN_BERRY;
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

/* The version the repository asks for: .nvmrc, .node-version (package folder, then up to the
 * root), then engines.node. */
static void node_wanted(plan *pl, sg_ctx *ctx, const sg_tree *tree, const char *subdir)
{
    static const char *const files[] = {".nvmrc", ".node-version"};
    char dir[1024], p[1200], text[128];
    size_t f;
    const char *eng;

    for (f = 0; f < SG_ARRAY_SIZE(files); f++) {
        snprintf(dir, sizeof(dir), "%s", subdir);
        for (;;) {
            size_t n;
            char *s;
            join_path(p, sizeof(p), dir, files[f]);
            read_small(text, sizeof(text), ctx, tree, p);
            s = text + strspn(text, " \t\r\n");
            n = strcspn(s, " \t\r\n#");
            s[n] = '\0';
            if (*s) {
                snprintf(pl->node_wanted, sizeof(pl->node_wanted), "%s", s);
                snprintf(pl->node_wanted_from, sizeof(pl->node_wanted_from), "%s", p);
                return;
            }
            if (!*dir)
                break;
            s = strrchr(dir, '/');
            if (s)
                *s = '\0';
            else
                dir[0] = '\0';
        }
    }
    eng = sg_json_str(cJSON_GetObjectItemCaseSensitive(pl->pkg, "engines"), "node");
    if (!eng && pl->root != pl->pkg)
        eng = sg_json_str(cJSON_GetObjectItemCaseSensitive(pl->root, "engines"), "node");
    if (eng) {
        snprintf(pl->node_wanted, sizeof(pl->node_wanted), "%s", eng);
        snprintf(pl->node_wanted_from, sizeof(pl->node_wanted_from), "engines.node");
    }
}

static void plan_dispose(plan *pl)
{
    if (pl->root != pl->pkg)
        cJSON_Delete(pl->root);
    cJSON_Delete(pl->pkg);
    memset(pl, 0, sizeof(*pl));
}

static int make_plan(plan *pl, sg_ctx *ctx, const sg_tree *tree, const char *subdir)
{
    char dir[1024], p[1200], *s;
    int kind = -1, error;

    memset(pl, 0, sizeof(*pl));
    join_path(p, sizeof(p), subdir, "package.json");
    if ((error = read_tree_json(&pl->pkg, ctx, tree, p)) < 0) {
        if (error == SG_ENOTFOUND)
            error = sg_error_set(ctx, SG_ENOTFOUND, "no package.json at '%s'", p);
        return error;
    }
    /* The lockfile: in the package folder or the nearest folder above it. */
    snprintf(dir, sizeof(dir), "%s", subdir);
    for (;;) {
        if ((kind = lockfile_in(ctx, tree, dir)) >= 0 || !*dir)
            break;
        s = strrchr(dir, '/');
        if (s)
            *s = '\0';
        else
            dir[0] = '\0';
    }
    if (kind < 0) {
        /* No lockfile: install where the workspace root is, else in the package folder. */
        cJSON *rootpj = NULL;
        snprintf(dir, sizeof(dir), "%s", subdir);
        if (*subdir && read_tree_json(&rootpj, ctx, tree, "package.json") == 0 &&
            (cJSON_GetObjectItemCaseSensitive(rootpj, "workspaces") ||
             sg_tree_find(tree, "pnpm-workspace.yaml")))
            dir[0] = '\0';
        sg_error_clear(ctx);
        cJSON_Delete(rootpj);
        pl->pm = sg_tree_find(tree, "pnpm-workspace.yaml") ? PM_PNPM : PM_NPM;
        snprintf(pl->pm_why, sizeof(pl->pm_why), "no lockfile");
    } else {
        pl->pm = (pm_kind)kind;
        pl->has_lockfile = 1;
        snprintf(pl->pm_why, sizeof(pl->pm_why), "lockfile in '%.200s'", *dir ? dir : ".");
    }
    snprintf(pl->lock_dir, sizeof(pl->lock_dir), "%s", dir);
    pl->in_workspace = strcmp(dir, subdir) != 0;
    pl->root = pl->pkg;
    if (pl->in_workspace) {
        join_path(p, sizeof(p), dir, "package.json");
        if (read_tree_json(&pl->root, ctx, tree, p) < 0) {
            sg_error_clear(ctx);
            pl->root = pl->pkg;
        }
    }
    apply_package_manager(pl, sg_json_str(pl->root, "packageManager"));
    if (!pl->pm_version[0])
        apply_package_manager(pl, sg_json_str(pl->pkg, "packageManager"));
    pl->needs_install = pl->has_lockfile || deps_nonempty(pl->pkg) || deps_nonempty(pl->root) ||
                        cJSON_GetObjectItemCaseSensitive(pl->root, "workspaces") != NULL;
    node_wanted(pl, ctx, tree, subdir);
    return 0;
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
static void default_pm_version(plan *pl, sg_ctx *ctx, const sg_tree *tree)
{
    char p[1200], head[4096];
    const char *v = NULL;
    if (pl->pm_version[0])
        return;
    if (pl->pm == PM_PNPM) {
        join_path(p, sizeof(p), pl->lock_dir, "pnpm-lock.yaml");
        read_small(head, sizeof(head), ctx, tree, p);
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
    } else if (pl->pm == PM_YARN_CLASSIC) {
        v = "1.22.22";
    } else if (pl->pm == PM_YARN_BERRY) {
        /* __metadata.version: 4 (yarn 2), 6 (yarn 3), 8 (yarn 4). yarn 2 is not on the
         * registry: such repositories commit their yarnPath, which yarn 3 then runs. */
        const char *meta, *ver;
        join_path(p, sizeof(p), pl->lock_dir, "yarn.lock");
        read_small(head, sizeof(head), ctx, tree, p);
        meta = strstr(head, "__metadata:");
        ver = meta ? strstr(meta, "\n  version: ") : NULL;
        v = ver && atoi_small(ver + 12) <= 6 ? "3.8.7" : "4.10.3";
    }
    if (v)
        snprintf(pl->pm_version, sizeof(pl->pm_version), "%s", v);
}

/* ---------------------------------------------------------------- tools on the machine */

typedef struct tools {
    sg_buf bwrap;           /* bubblewrap, "" when not found */
    sg_buf node;            /* the node used */
    sg_buf node_bin;        /* its folder (first on PATH) */
    sg_buf node_prefix;     /* its installation prefix (bound read-only when outside /usr) */
    char node_version[64];  /* "v20.20.2" */
    char node_note[512];    /* how it was chosen */
    sg_buf npm;             /* npm next to that node (or on the search path) */
    sg_buf corepack;        /* corepack, "" when absent */
    int sandboxed;          /* bubblewrap works */
    char sandbox_note[512]; /* why not, when it does not */
} tools;

static void tools_init(tools *t)
{
    memset(t, 0, sizeof(*t));
    sg_buf_init(&t->bwrap, 4096);
    sg_buf_init(&t->node, 4096);
    sg_buf_init(&t->node_bin, 4096);
    sg_buf_init(&t->node_prefix, 4096);
    sg_buf_init(&t->npm, 4096);
    sg_buf_init(&t->corepack, 4096);
}

static void tools_dispose(tools *t)
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

/* The highest Node in the node_versions folders that satisfies wanted; path into out. */
static int find_other_node(sg_buf *out, char *version, size_t vsize, sg_ctx *ctx, const char *dirs,
                           const char *wanted)
{
    const char *p = dirs;
    sg_semver best, v;
    int found = 0;

    while (p && *p) {
        size_t n = strcspn(p, ":");
        char dir[2048];
        DIR *d;
        struct dirent *de;
        snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
        p += n + (p[n] == ':');
        if (!(d = opendir(dir)))
            continue;
        while ((de = readdir(d))) {
            char bin[4096];
            if (sg_semver_parse(&v, de->d_name, 1) < 0 || v.pre[0] ||
                !node_satisfies(ctx, de->d_name, wanted))
                continue;
            snprintf(bin, sizeof(bin), "%s/%s/bin/node", dir, de->d_name);
            if (access(bin, X_OK) != 0 || (found && sg_semver_cmp(&v, &best) <= 0))
                continue;
            best = v;
            found = 1;
            sg_buf_clear(out);
            sg_buf_puts(out, bin);
            snprintf(version, vsize, "v%llu.%llu.%llu", (unsigned long long)v.major,
                     (unsigned long long)v.minor, (unsigned long long)v.patch);
        }
        closedir(d);
    }
    return found;
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

/* The machine's node, or another installed one the repository asks for. */
static int choose_node(tools *t, sg_ctx *ctx, const sg_rebuild_opts *o, const plan *pl)
{
    const char *argv[3];
    sg_buf ver = SG_BUF_INIT, other = SG_BUF_INIT;
    char real[4096], oversion[64];
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
    if (!pl->node_wanted[0]) {
        snprintf(t->node_note, sizeof(t->node_note),
                 "the machine's; the repository names no "
                 "version");
    } else if (strcmp(pl->node_wanted_from, "engines.node") == 0 &&
               node_satisfies(ctx, t->node_version, pl->node_wanted)) {
        snprintf(t->node_note, sizeof(t->node_note), "the machine's; %.300s '%.60s' accepts it",
                 pl->node_wanted_from, pl->node_wanted);
    } else if (o->node_versions && find_other_node(&other, oversion, sizeof(oversion), ctx,
                                                   o->node_versions, pl->node_wanted)) {
        sg_buf_clear(&t->node);
        sg_buf_puts(&t->node, other.ptr);
        snprintf(t->node_version, sizeof(t->node_version), "%s", oversion);
        snprintf(t->node_note, sizeof(t->node_note), "from %.300s '%.60s'", pl->node_wanted_from,
                 pl->node_wanted);
    } else if (node_satisfies(ctx, t->node_version, pl->node_wanted)) {
        snprintf(t->node_note, sizeof(t->node_note), "the machine's; %.300s '%.60s' accepts it",
                 pl->node_wanted_from, pl->node_wanted);
    } else {
        snprintf(t->node_note, sizeof(t->node_note),
                 "the machine's; %.300s asks for '%.60s', which is not on this machine",
                 pl->node_wanted_from, pl->node_wanted);
    }
    if (!realpath(t->node.ptr, real))
        snprintf(real, sizeof(real), "%s", t->node.ptr);
    dirname_into(&t->node_bin, t->node.ptr);
    dirname_into(&ver, real);
    dirname_into(&t->node_prefix, ver.ptr);
    /* npm and corepack next to that node, else on the search path. */
    sg_buf_clear(&ver);
    sg_buf_printf(&ver, "%s/npm", t->node_bin.ptr);
    if (sg_sandbox__which(&t->npm, ctx, ver.ptr, NULL) < 0) {
        sg_error_clear(ctx);
        if (sg_sandbox__which(&t->npm, ctx, "npm", search_path(o)) < 0)
            sg_error_clear(ctx);
    }
    sg_buf_clear(&ver);
    sg_buf_printf(&ver, "%s/corepack", t->node_bin.ptr);
    if (sg_sandbox__which(&t->corepack, ctx, ver.ptr, NULL) < 0) {
        sg_error_clear(ctx);
        if (sg_sandbox__which(&t->corepack, ctx, "corepack", search_path(o)) < 0)
            sg_error_clear(ctx);
    }
    error = sg_buf_check(&t->node_bin, ctx, "a path");
done:
    sg_buf_dispose(&ver);
    sg_buf_dispose(&other);
    return error;
}

/* bubblewrap found and working, or the reason it is not. */
static int check_sandbox(tools *t, sg_ctx *ctx, const sg_rebuild_opts *o)
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
    tools t;
    sg_buf node = SG_BUF_INIT;
    int error;

    if (sandboxed)
        *sandboxed = 0;
    if (!opts)
        return sg_error_set(ctx, SG_EINVALID, "no rebuild options");
    tools_init(&t);
    error = sg_sandbox__which(&node, ctx, opts->node ? opts->node : "node", search_path(opts));
    if (error == SG_ENOTFOUND) {
        sg_error_clear(ctx);
        error = sg_error_set(ctx, SG_EUNSUPPORTED,
                             "cannot rebuild: node is not installed "
                             "(looked for '%s')",
                             opts->node ? opts->node : "node");
    }
    if (error == 0 && (error = check_sandbox(&t, ctx, opts)) == 0 && !t.sandboxed &&
        !opts->allow_unsafe_no_sandbox)
        error = sg_error_set(ctx, SG_EUNSUPPORTED,
                             "cannot rebuild in a sandbox: %s; --unsafe-no-sandbox builds "
                             "without one",
                             t.sandbox_note);
    if (error == 0 && sandboxed)
        *sandboxed = t.sandboxed;
    sg_buf_dispose(&node);
    tools_dispose(&t);
    return error;
}

/* ---------------------------------------------------------------- the run */

/* Everything about one rebuild run. */
typedef struct run {
    sg_ctx *ctx;                                                   /* errors */
    const sg_rebuild_opts *o;                                      /* options */
    const sg_rebuild_input *in;                                    /* what to build */
    sg_rebuild_result *res;                                        /* the outcome */
    plan pl;                                                       /* choices */
    tools t;                                                       /* programs */
    sg_buf work;                                                   /* scratch folder */
    sg_buf src, home, out, bin, net, npm_cache, pkg_dir, lock_dir; /* folders in it */
    int net_separate;   /* net is its own folder under /tmp (short socket path) */
    sg_buf log;         /* the log being written */
    sg_buf registry;    /* the registry URL */
    char allow[4][300]; /* "host:port" the install step may reach */
    size_t nallow;      /* entries of allow */
    uint64_t deadline;  /* ms budget left is deadline - elapsed */
    uint64_t used_ms;   /* ms used by the steps so far */
    char limits[256];   /* how the sandbox enforced the limits (last step) */
} run;

static int add_step(run *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int add_step(run *r, const char *fmt, ...)
{
    char line[1024], **n;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    n = sg_realloc(r->res->steps, (r->res->nsteps + 1) * sizeof(char *));
    if (!n)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    r->res->steps = n;
    if (!(n[r->res->nsteps] = sg_strdup(line)))
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    r->res->nsteps++;
    sg_buf_printf(&r->log, "%s\n", line);
    return 0;
}

static void set_reason(run *r, sg_rebuild_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void set_reason(run *r, sg_rebuild_status st, const char *fmt, ...)
{
    va_list ap;
    r->res->status = st;
    va_start(ap, fmt);
    vsnprintf(r->res->reason, sizeof(r->res->reason), fmt, ap);
    va_end(ap);
    sg_buf_printf(&r->log, "\nresult: %s\n", r->res->reason);
}

/* Registry URL -> "host:port" entries the proxy allows. */
static void allow_registry(run *r, const char *url)
{
    const char *p = strstr(url, "://"), *end;
    int https = strncmp(url, "https:", 6) == 0;
    size_t hl;
    char host[256];
    if (!p)
        return;
    p += 3;
    end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(end - p)))
        p = (const char *)memchr(p, '@', (size_t)(end - p)) + 1;
    hl = (size_t)(end - p);
    if (!hl || hl >= sizeof(host))
        return;
    memcpy(host, p, hl);
    host[hl] = '\0';
    if (r->nallow < SG_ARRAY_SIZE(r->allow))
        snprintf(r->allow[r->nallow++], sizeof(r->allow[0]), "%s%s", host,
                 strchr(host, ':') && host[0] != '[' ? "" : (https ? ":443" : ":80"));
    if (strcmp(host, "registry.npmjs.org") == 0 && r->nallow + 1 < SG_ARRAY_SIZE(r->allow))
        /* yarn's lockfiles and defaults name npm's registry by its other host name */
        snprintf(r->allow[r->nallow++], sizeof(r->allow[0]), "registry.yarnpkg.com:443");
}

static int make_dir(run *r, sg_buf *b, const char *name)
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
    char tmp[4096];
    size_t i, n = strlen(path);
    if (n >= sizeof(tmp))
        return sg_error_set(ctx, SG_EINVALID, "path '%s' is too long", path);
    memcpy(tmp, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
                return sg_error_set(ctx, SG_EIO, "cannot make '%s': %s", tmp, strerror(errno));
            tmp[i] = c;
        }
    }
    return 0;
}

/* Replace a relative path of an existing folder with its absolute one. */
static int make_absolute(run *r, sg_buf *path)
{
    char real[4096];
    if (!realpath(path->ptr, real))
        return sg_error_set(r->ctx, SG_EIO, "cannot resolve '%s': %s", path->ptr,
                            strerror(errno));
    sg_buf_clear(path);
    sg_buf_puts(path, real);
    return sg_buf_check(path, r->ctx, "a path");
}

static int make_work(run *r)
{
    const char *cache = r->o->cache_dir;
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
    if ((error = make_dir(r, &r->src, "src")) < 0 || (error = make_dir(r, &r->home, "home")) < 0 ||
        (error = make_dir(r, &r->out, "out")) < 0 || (error = make_dir(r, &r->bin, "bin")) < 0 ||
        (error = make_dir(r, &r->net, "net")) < 0)
        return error;
    if (r->net.size + 16 > 100) { /* a Unix socket path must fit in sun_path */
        sg_buf_clear(&r->net);
        sg_buf_puts(&r->net, "/tmp/sourcegate-net-XXXXXX");
        if (!mkdtemp(r->net.ptr))
            return sg_error_set(r->ctx, SG_EIO, "cannot make a scratch folder: %s",
                                strerror(errno));
        r->net_separate = 1;
    }
    sg_buf_clear(&r->npm_cache);
    if (cache)
        sg_buf_printf(&r->npm_cache, "%s/rebuild/npm-cache", cache);
    else
        sg_buf_printf(&r->npm_cache, "%s/npm-cache", r->work.ptr);
    if ((error = sg_buf_check(&r->npm_cache, r->ctx, "a path")) < 0 ||
        (error = make_dirs(r->ctx, r->npm_cache.ptr)) < 0 ||
        (r->npm_cache.ptr[0] != '/' && (error = make_absolute(r, &r->npm_cache)) < 0))
        return error;
    return 0;
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

/* A #!/bin/sh wrapper in bin/ that runs `name` through corepack at the chosen version. */
static int write_shim(run *r, const char *name, const char *pm, const char *version)
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

/* The program that runs the package manager: a corepack shim, or the machine's npm. */
static int pm_program(run *r, sg_buf *out)
{
    pm_kind pm = r->pl.pm;
    int error;

    sg_buf_clear(out);
    if (pm == PM_NPM && !r->pl.pm_version[0]) {
        if (!r->t.npm.size) {
            set_reason(r, SG_REBUILD_FAILED, "npm is not installed next to node '%s'",
                       r->t.node.ptr);
            return 1;
        }
        sg_buf_puts(out, r->t.npm.ptr);
        return 0;
    }
    if (pm == PM_BUN) {
        set_reason(r, SG_REBUILD_SKIPPED,
                   "the repository uses bun, which the rebuild does not "
                   "support yet");
        return 1;
    }
    if (!r->t.corepack.size) {
        set_reason(r, SG_REBUILD_FAILED,
                   "%s %s is needed and corepack is not installed next to node '%s'", pm_names[pm],
                   r->pl.pm_version, r->t.node.ptr);
        return 1;
    }
    if ((error = write_shim(r, pm_names[pm], pm_names[pm], r->pl.pm_version)) < 0)
        return error;
    if (pm == PM_NPM && (error = write_shim(r, "npx", "npm", r->pl.pm_version)) < 0)
        return error;
    sg_buf_printf(out, "%s/%s", r->bin.ptr, pm_names[pm]);
    return sg_buf_check(out, r->ctx, "a path");
}

/* ---- environment (a flat NULL-terminated array of owned strings) ---- */

typedef struct envv {
    char *v[64]; /* entries */
    size_t n;    /* used */
    int error;   /* sticky */
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

static void build_env(run *r, envv *e, int install)
{
    const char *reg = r->registry.ptr;
    size_t i, rl = strlen(reg);

    env_add(e, "PATH=%s:%s:/usr/local/bin:/usr/bin:/bin", r->bin.ptr, r->t.node_bin.ptr);
    env_add(e, "HOME=%s", r->home.ptr);
    env_add(e, "USER=build");
    env_add(e, "LOGNAME=build");
    env_add(e, "LANG=C.UTF-8");
    env_add(e, "TZ=UTC");
    env_add(e, "TMPDIR=/tmp");
    env_add(e, "CI=true");
    /* The build gets an empty cache of its own: npm pack writes there, and nothing the build
     * does can touch the dependency tarballs later rebuilds use. */
    if (install)
        env_add(e, "npm_config_cache=%s", r->npm_cache.ptr);
    else
        env_add(e, "npm_config_cache=%s/.npm-build-cache", r->home.ptr);
    /* yarn's cache and pnpm's store live beside npm's (visible to the install step only);
     * pnpm copies packages out of its store so that no build can write into it. */
    env_add(e, "YARN_CACHE_FOLDER=%s/yarn", r->npm_cache.ptr);
    env_add(e, "npm_config_store_dir=%s/pnpm-store", r->npm_cache.ptr);
    env_add(e, "npm_config_package_import_method=copy");
    env_add(e, "npm_config_logs_dir=%s/.npm-logs", r->home.ptr); /* the cache is read-only */
    env_add(e, "npm_config_userconfig=%s/.npmrc", r->home.ptr);
    env_add(e, "npm_config_globalconfig=%s/.npmrc-global", r->home.ptr);
    env_add(e, "npm_config_registry=%s", reg);
    env_add(e, "npm_config_update_notifier=false");
    env_add(e, "npm_config_fund=false");
    env_add(e, "npm_config_audit=false");
    env_add(e, "npm_config_progress=false");
    env_add(e, "COREPACK_HOME=%s/.cache/node/corepack", r->home.ptr);
    env_add(e, "COREPACK_ENABLE_DOWNLOAD_PROMPT=0");
    env_add(e, "COREPACK_ENABLE_AUTO_PIN=0");
    env_add(e, "COREPACK_ENABLE_STRICT=0");
    env_add(e, "COREPACK_NPM_REGISTRY=%.*s", (int)(rl && reg[rl - 1] == '/' ? rl - 1 : rl), reg);
    env_add(e, "YARN_NPM_REGISTRY_SERVER=%.*s", (int)(rl && reg[rl - 1] == '/' ? rl - 1 : rl), reg);
    env_add(e, "YARN_ENABLE_TELEMETRY=0");
    env_add(e, "YARN_ENABLE_PROGRESS_BARS=0");
    env_add(e, "YARN_ENABLE_GLOBAL_CACHE=0");
    if (install) {
        env_add(e, "YARN_ENABLE_SCRIPTS=0");
        env_add(e, "npm_config_ignore_scripts=true");
    } else {
        env_add(e, "COREPACK_ENABLE_NETWORK=0");
        env_add(e, "npm_config_offline=true");
    }
    if (r->o->ca_file)
        env_add(e, "NODE_EXTRA_CA_CERTS=%s", r->o->ca_file);
    for (i = 0; r->o->env && r->o->env[i]; i++)
        env_add(e, "%s", r->o->env[i]);
}

/* ---- running one step ---- */

static int contains(const char *p, size_t n, const char *needle)
{
    size_t i, nl = strlen(needle);
    for (i = 0; i + nl <= n; i++)
        if (memcmp(p + i, needle, nl) == 0)
            return 1;
    return 0;
}

/* The line that says why a step failed: the first one mentioning an error among the last 50,
 * else the last one; control characters shown as '?', at most 200 bytes. */
static const char *failure_line(const sg_buf *out, char *buf, size_t size)
{
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
            if ((sg_strncasecmp(p + i, "error", 5) == 0 || strncmp(p + i, "ERR!", 4) == 0) &&
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
    snprintf(buf, size, "%.*s", (int)(best_e - best_s < 200 ? best_e - best_s : 200), p + best_s);
    for (char *q = buf; *q; q++)
        if ((unsigned char)*q < 0x20 || (unsigned char)*q == 0x7f)
            *q = '?';
    return buf;
}

/* Run argv in the sandbox as step `what` ("install", "build", "pack"). 0 when it succeeded;
 * 1 when it failed (the result says why); < 0 on an operational error. */
static int run_step(run *r, const char *what, const char *const *argv, const char *cwd, int install)
{
    sg_sandbox_spec spec;
    sg_sandbox_result sr;
    sg_sandbox_bind binds[8];
    sg_buf out = SG_BUF_INIT;
    envv env = {{0}, 0, 0};
    const char *allow[4];
    char line[256];
    size_t i, nb = 0;
    uint64_t budget =
        (uint64_t)(r->o->timeout_seconds ? r->o->timeout_seconds : SG_REBUILD_DEFAULT_TIMEOUT) *
        1000u;
    int error;

    build_env(r, &env, install);
    if (env.error) {
        env_dispose(&env);
        return sg_error_set(r->ctx, env.error, "too many environment variables for the build");
    }
    binds[nb].path = r->src.ptr;
    binds[nb++].flags = SG_SANDBOX_RW;
    binds[nb].path = r->home.ptr;
    binds[nb++].flags = SG_SANDBOX_RW;
    binds[nb].path = r->out.ptr;
    binds[nb++].flags = SG_SANDBOX_RW;
    binds[nb].path = r->bin.ptr;
    binds[nb++].flags = 0;
    if (install) { /* dependency tarballs persist in the cache; the build sees none of it */
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
    for (i = 0; i < r->nallow; i++)
        allow[i] = r->allow[i];
    memset(&spec, 0, sizeof(spec));
    spec.bwrap = r->t.bwrap.ptr;
    spec.unsafe = !r->t.sandboxed;
    spec.argv = argv;
    spec.env = (const char *const *)env.v;
    spec.cwd = cwd;
    spec.binds = binds;
    spec.nbinds = nb;
    spec.net = install ? SG_SANDBOX_NET_PROXY : SG_SANDBOX_NET_NONE;
    spec.allow = allow;
    spec.nallow = r->nallow;
    spec.node = r->t.node.ptr;
    spec.scratch = r->net.ptr;
    spec.timeout_ms = budget > r->used_ms ? budget - r->used_ms : 1;
    spec.memory_bytes = r->o->memory_bytes ? r->o->memory_bytes : SG_REBUILD_DEFAULT_MEMORY;
    spec.max_processes = r->o->max_processes ? r->o->max_processes : SG_REBUILD_DEFAULT_PROCESSES;
    spec.max_file_bytes = MAX_FILE_BYTES;
    spec.output = &out;
    sg_buf_init(&out, STEP_OUTPUT_LIMIT);

    sg_buf_printf(&r->log, "\n== %s:", what);
    for (i = 0; argv[i]; i++)
        sg_buf_printf(&r->log, " %s", argv[i]);
    sg_buf_printf(&r->log, "\n   in %s\n", cwd);
    error = sg_sandbox__run(&sr, r->ctx, &spec);
    env_dispose(&env);
    if (error < 0) {
        sg_buf_dispose(&out);
        return error;
    }
    r->used_ms += sr.elapsed_ms;
    snprintf(r->limits, sizeof(r->limits), "%s", sr.limits);
    sg_buf_put(&r->log, out.ptr, out.size);
    if (sr.dropped)
        sg_buf_printf(&r->log, "\n[%llu more bytes of output not kept]\n",
                      (unsigned long long)sr.dropped);
    sg_buf_printf(&r->log, "\n== %s: %s %d after %.1f s\n", what,
                  sr.exited ? "exit status" : "killed by signal", sr.exited ? sr.status : sr.signal,
                  (double)sr.elapsed_ms / 1000.0);
    failure_line(&out, line, sizeof(line));
    sg_buf_dispose(&out);
    if (sr.timed_out) {
        set_reason(r, SG_REBUILD_FAILED, "time limit of %llu s reached during the %s step",
                   (unsigned long long)budget / 1000u, what);
        return 1;
    }
    if (!sr.exited) {
        set_reason(r, SG_REBUILD_FAILED, "the %s step was killed by signal %d%s", what, sr.signal,
                   sr.signal == 9 || sr.signal == 11 || sr.signal == 6
                       ? " (the memory or process limit may have been reached)"
                       : "");
        return 1;
    }
    if (sr.status != 0) {
        set_reason(r, SG_REBUILD_FAILED, "%s (exit status %d): %s",
                   install ? "install failure" : "build error", sr.status,
                   line[0] ? line : "no output");
        return 1;
    }
    {
        sg_buf shown = SG_BUF_INIT;
        sg_buf_puts(&shown, sg_path_basename(argv[0]));
        for (i = 1; argv[i]; i++) {
            if (strncmp(argv[i], r->work.ptr, r->work.size) == 0)
                sg_buf_printf(&shown, " <scratch>%s", argv[i] + r->work.size);
            else
                sg_buf_printf(&shown, " %s", argv[i]);
        }
        error = add_step(r, "%s: %.600s in '%s' (%.1f s)", what, shown.ptr,
                         strlen(cwd) > r->src.size ? cwd + r->src.size + 1 : ".",
                         (double)sr.elapsed_ms / 1000.0);
        sg_buf_dispose(&shown);
    }
    return error;
}

/* ---- the steps ---- */

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

static int step_install(run *r, const char *pm)
{
    cmdline c;
    int lock = r->pl.has_lockfile;

    if (!r->pl.needs_install)
        return add_step(r, "install: skipped (no lockfile and no dependencies)");
    cmd_init(&c, pm);
    switch (r->pl.pm) {
    case PM_NPM:
        cmd_add(&c, lock ? "ci" : "install");
        cmd_add(&c, "--ignore-scripts");
        cmd_add(&c, "--no-audit");
        cmd_add(&c, "--no-fund");
        cmd_add(&c, "--include=dev");
        if (!lock)
            cmd_add(&c, "--no-package-lock");
        break;
    case PM_PNPM:
        cmd_add(&c, "install");
        cmd_add(&c, lock ? "--frozen-lockfile" : "--no-frozen-lockfile");
        cmd_add(&c, "--ignore-scripts");
        cmd_add(&c, "--config.confirmModulesPurge=false");
        break;
    case PM_YARN_CLASSIC:
        cmd_add(&c, "install");
        if (lock)
            cmd_add(&c, "--frozen-lockfile");
        cmd_add(&c, "--ignore-scripts");
        cmd_add(&c, "--non-interactive");
        cmd_add(&c, "--no-progress");
        break;
    case PM_YARN_BERRY:
        cmd_add(&c, "install");
        if (lock)
            cmd_add(&c, "--immutable");
        cmd_add(&c, "--mode=skip-build");
        break;
    case PM_BUN:
        return 1;
    }
    return run_step(r, "install", c.v, r->lock_dir.ptr, 1);
}

/* Build before packing when the pack command will not (no prepack or prepare script). */
static int step_build(run *r, const char *pm)
{
    const cJSON *pkg = r->pl.pkg, *root = r->pl.root;
    const char *name = sg_json_str(pkg, "name");
    char filter[600];
    cmdline c;

    cmd_init(&c, pm);
    if (has_script(pkg, "prepublishOnly")) {
        /* npm publish runs it before prepack: the closest thing to the release. */
        cmd_add(&c, "run");
        cmd_add(&c, "prepublishOnly");
        return run_step(r, "build", c.v, r->pkg_dir.ptr, 0);
    }
    if (has_script(pkg, "prepack") || has_script(pkg, "prepare"))
        return add_step(r, "build: by the pack command (the package has a %s script)",
                        has_script(pkg, "prepack") ? "prepack" : "prepare");
    if (has_script(pkg, "build")) {
        if (r->pl.in_workspace && r->pl.pm == PM_PNPM && name) {
            /* The package and the workspace packages it depends on, in dependency order. */
            snprintf(filter, sizeof(filter), "%s...", name);
            cmd_add(&c, "--filter");
            cmd_add(&c, filter);
            cmd_add(&c, "run");
            cmd_add(&c, "build");
            return run_step(r, "build", c.v, r->lock_dir.ptr, 0);
        }
        if (r->pl.in_workspace && r->pl.pm == PM_YARN_BERRY && name) {
            cmd_add(&c, "workspaces");
            cmd_add(&c, "foreach");
            cmd_add(&c, "-Rt");
            cmd_add(&c, "--from");
            cmd_add(&c, name);
            cmd_add(&c, "run");
            cmd_add(&c, "build");
            return run_step(r, "build", c.v, r->lock_dir.ptr, 0);
        }
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
    return add_step(r, "build: none (no build script; the pack command runs what there is)");
}

static int step_pack(run *r, const char *pm)
{
    sg_buf dest = SG_BUF_INIT;
    cmdline c;
    int rc;

    cmd_init(&c, pm);
    cmd_add(&c, "pack");
    switch (r->pl.pm) {
    case PM_NPM:
    case PM_PNPM:
        cmd_add(&c, "--pack-destination");
        sg_buf_puts(&dest, r->out.ptr);
        break;
    case PM_YARN_BERRY:
        cmd_add(&c, "--out");
        sg_buf_printf(&dest, "%s/package.tgz", r->out.ptr);
        break;
    case PM_YARN_CLASSIC:
        cmd_add(&c, "--filename");
        sg_buf_printf(&dest, "%s/package.tgz", r->out.ptr);
        break;
    case PM_BUN:
        return 1;
    }
    if ((rc = sg_buf_check(&dest, r->ctx, "a path")) == 0) {
        cmd_add(&c, dest.ptr);
        rc = run_step(r, "pack", c.v, r->pkg_dir.ptr, 0);
    }
    sg_buf_dispose(&dest);
    return rc;
}

/* Read the one tarball the pack command left in out/. 1 when there is none. */
static int read_packed(run *r)
{
    DIR *d = opendir(r->out.ptr);
    struct dirent *de;
    char path[4600];
    sg_tar_info info;
    unsigned char *bytes = NULL;
    size_t len = 0, n = 0;
    uint64_t limit = sg_ctx_limit(r->ctx, SG_LIMIT_TARBALL_BYTES);
    int fd, error = 0;
    struct stat st;

    path[0] = '\0';
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 4 && strcmp(de->d_name + l - 4, ".tgz") == 0 && n++ == 0)
            snprintf(path, sizeof(path), "%s/%s", r->out.ptr, de->d_name);
    }
    if (d)
        closedir(d);
    if (n != 1) {
        set_reason(r, SG_REBUILD_FAILED,
                   n ? "the pack command made %zu tarballs" : "the pack command made no tarball",
                   n);
        return 1;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > limit) {
        if (fd >= 0)
            close(fd);
        set_reason(r, SG_REBUILD_FAILED,
                   "the packed tarball is unreadable or over the "
                   "tarball-bytes limit");
        return 1;
    }
    bytes = sg_malloc((size_t)st.st_size + 1);
    while (bytes && len < (size_t)st.st_size) {
        ssize_t k = read(fd, bytes + len, (size_t)st.st_size - len);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    if (!bytes) {
        error = sg_error_set(r->ctx, SG_ENOMEM, "out of memory reading the rebuilt tarball");
    } else if (len != (size_t)st.st_size) {
        set_reason(r, SG_REBUILD_FAILED, "cannot read the packed tarball");
        error = 1;
    } else if ((error = sg_tar_read(&r->res->tree, &info, r->ctx, bytes, len, NULL)) < 0) {
        set_reason(r, SG_REBUILD_FAILED, "the packed tarball is not readable: %s",
                   sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        error = 1;
    } else {
        error = add_step(r, "packed: %zu files", sg_tree_count(r->res->tree));
    }
    sg_free(bytes);
    return error;
}

/* ---- the log ---- */

static void log_name(char *out, size_t size, const sg_rebuild_input *in)
{
    char base[300];
    size_t i;
    snprintf(base, sizeof(base), "%s-%s-%.12s", in->name ? in->name : "package",
             in->version ? in->version : "0", in->commit ? in->commit : "unknown");
    for (i = 0; base[i]; i++) {
        char c = base[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            base[i] = '_';
    }
    snprintf(out, size, "rebuild/logs/%s.log", base[0] == '.' ? base + 1 : base);
}

static int keep_log(run *r)
{
    sg_cache *cache = NULL;
    sg_buf path = SG_BUF_INIT;
    char rel[400];
    int error;

    if (!r->o->cache_dir)
        return 0;
    log_name(rel, sizeof(rel), r->in);
    if ((error = sg_cache_open(&cache, r->ctx, r->o->cache_dir)) == 0 &&
        (error = sg_buf_check(&r->log, r->ctx, "the rebuild log")) == 0 &&
        (error = sg_cache_write(cache, r->ctx, rel, r->log.ptr, r->log.size)) == 0 &&
        (error = sg_cache_path(&path, r->ctx, cache, rel)) == 0)
        snprintf(r->res->log, sizeof(r->res->log), "%s", path.ptr);
    sg_cache_free(cache);
    sg_buf_dispose(&path);
    return error;
}

/* ---- the whole rebuild ---- */

static int describe_pm(run *r)
{
    const char *argv[4];
    char real[4096];
    sg_buf v = SG_BUF_INIT;
    int error;

    if (r->pl.pm != PM_NPM || r->pl.pm_version[0] || !r->t.npm.size)
        return add_step(r, "package manager: %s %s through corepack (%s)", pm_names[r->pl.pm],
                        r->pl.pm_version, r->pl.pm_why);
    if (!realpath(r->t.npm.ptr, real))
        snprintf(real, sizeof(real), "%s", r->t.npm.ptr);
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
    error = add_step(r, "package manager: npm %.*s, the machine's (%s)",
                     (int)strcspn(v.ptr, "\r\n"), v.ptr, r->pl.pm_why);
    sg_buf_dispose(&v);
    return error;
}

/* Pick the tools and the sandbox; 1 when the rebuild cannot go on (result set). */
static int prepare(run *r)
{
    int error = make_plan(&r->pl, r->ctx, r->in->root, r->in->subdir);
    if (error == SG_ENOTFOUND || error == SG_EINVALID) {
        set_reason(r, SG_REBUILD_FAILED, "cannot read the package's package.json: %s",
                   sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        return 1;
    }
    if (error < 0)
        return error;
    default_pm_version(&r->pl, r->ctx, r->in->root);
    if ((error = choose_node(&r->t, r->ctx, r->o, &r->pl)) == SG_ENOTFOUND || error == SG_EIO) {
        set_reason(r, SG_REBUILD_FAILED, "missing Node: %s", sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        return 1;
    }
    if (error < 0 || (error = check_sandbox(&r->t, r->ctx, r->o)) < 0)
        return error;
    if (!r->t.sandboxed && !r->o->allow_unsafe_no_sandbox) {
        if (r->o->mode == SG_REBUILD_AUTO) {
            set_reason(r, SG_REBUILD_SKIPPED,
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
        (error = add_step(r, "node: %s at %s (%s)", r->t.node_version, r->t.node.ptr,
                          r->t.node_note)) < 0)
        return error;
    return 0;
}

static int build_all(run *r)
{
    sg_buf pm = SG_BUF_INIT;
    uint64_t t0 = now_ms();
    int rc;

    if ((rc = make_work(r)) < 0 ||
        (rc = sg_rebuild__materialize(r->ctx, r->in->root, r->src.ptr)) < 0 ||
        (rc = add_step(r, "source: %zu entries of commit %.12s copied in %.1f s",
                       sg_tree_count(r->in->root), r->in->commit ? r->in->commit : "?",
                       (double)(now_ms() - t0) / 1000.0)) < 0)
        goto done;
    if (r->in->repo && r->in->commit) {
        /* A build may ask git (git grep, git describe, a banner with the commit). */
        const git_error *ge;
        if (make_git(r->in, r->src.ptr) == 0) {
            rc = add_step(r, "git: a shallow .git whose HEAD is the commit%s%s",
                          r->in->ref ? ", tag " : "", r->in->ref ? r->in->ref : "");
        } else {
            ge = git_error_last();
            rc = add_step(r, "git: no .git in the copy (%s)",
                          ge && ge->message ? ge->message : "libgit2 failed");
        }
        if (rc < 0)
            goto done;
    }
    sg_buf_clear(&r->pkg_dir);
    sg_buf_printf(&r->pkg_dir, "%s%s%s", r->src.ptr, *r->in->subdir ? "/" : "", r->in->subdir);
    sg_buf_clear(&r->lock_dir);
    sg_buf_printf(&r->lock_dir, "%s%s%s", r->src.ptr, *r->pl.lock_dir ? "/" : "", r->pl.lock_dir);
    if ((rc = sg_buf_check(&r->pkg_dir, r->ctx, "a path")) < 0 ||
        (rc = sg_buf_check(&r->lock_dir, r->ctx, "a path")) < 0)
        goto done;
    if ((rc = pm_program(r, &pm)) != 0 || (rc = step_install(r, pm.ptr)) != 0 ||
        (rc = step_build(r, pm.ptr)) != 0 || (rc = step_pack(r, pm.ptr)) != 0 ||
        (rc = read_packed(r)) != 0)
        goto done;
    r->res->status = SG_REBUILD_BUILT;
    sg_buf_puts(&r->log, "\nresult: built\n");
done:
    sg_buf_dispose(&pm);
    return rc;
}

/* Remove the scratch folders (the dependency caches stay); the time goes into the log. */
static void remove_scratch(run *r)
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

static void run_dispose(run *r)
{
    sg_buf *bufs[] = {&r->src,       &r->home,    &r->out,      &r->bin, &r->net,
                      &r->npm_cache, &r->pkg_dir, &r->lock_dir, &r->log, &r->registry};
    size_t i;
    remove_scratch(r);
    sg_buf_dispose(&r->work);
    for (i = 0; i < SG_ARRAY_SIZE(bufs); i++)
        sg_buf_dispose(bufs[i]);
    plan_dispose(&r->pl);
    tools_dispose(&r->t);
}

int sg_rebuild__run(sg_rebuild_result *res, sg_ctx *ctx, const sg_rebuild_opts *opts,
                    const sg_rebuild_input *input)
{
    static const sg_rebuild_result init = SG_REBUILD_RESULT_INIT;
    run r;
    int rc, error;

    *res = init;
    if (!opts || !input || !input->root)
        return sg_error_set(ctx, SG_EINVALID, "a rebuild needs options and a source tree");
    memset(&r, 0, sizeof(r));
    r.ctx = ctx;
    r.o = opts;
    r.in = input;
    r.res = res;
    tools_init(&r.t);
    {
        sg_buf *bufs[] = {&r.work, &r.src,       &r.home,    &r.out,     &r.bin,
                          &r.net,  &r.npm_cache, &r.pkg_dir, &r.lock_dir};
        size_t i;
        for (i = 0; i < SG_ARRAY_SIZE(bufs); i++)
            sg_buf_init(bufs[i], 8192);
    }
    sg_buf_init(&r.log, 64u << 20);
    sg_buf_init(&r.registry, 4096);
    sg_buf_puts(&r.registry, opts->registry ? opts->registry : DEFAULT_REGISTRY);
    allow_registry(&r, r.registry.ptr);
    sg_buf_printf(&r.log, "sourcegate rebuild of %s@%s from commit %s%s%s\n\n",
                  input->name ? input->name : "(unnamed)", input->version ? input->version : "",
                  input->commit ? input->commit : "(unknown)", *input->subdir ? ", folder " : "",
                  input->subdir);
    rc = prepare(&r);
    if (rc == 0)
        rc = build_all(&r);
    if (r.limits[0] && rc >= 0)
        rc = add_step(&r, "sandbox: %s; time %u s for all steps, %s",
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
