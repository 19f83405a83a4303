/*
 * Further building scripts (issue 15: "when in doubt, try the next plausible recipe rather than
 * give up"). Some releases are made by more than the build script: vue's .d.ts files come from
 * the root's build-dts, escalade's sync/index.d.mts from a build.ts its maintainer runs by hand.
 * When the pack lacks files the release has and git lacks, the rebuild runs the repository's
 * other plausible building scripts (the rule is sg_rebuild__more_scripts() and
 * sg_rebuild__build_file() in rebuild_chores.c, written down in docs/rebuild.md "Further
 * building scripts"), at most SG_REBUILD_MORE_MAX of them, each a sandboxed step under the same
 * limits, until the package folder has those files; then it packs again. A further script may
 * only add files: the new pack is kept only when it holds every file of the first one with the
 * same bytes, so what the build explained stays explained, and when each file it adds that the
 * release has is the release's, byte for byte (the script is a guess: one that makes other
 * bytes shows nothing about the release, and must not turn an unverified file into a
 * modified one).
 */
#include "common/common.h"

#include <dirent.h>
#include <unistd.h>

#include "verifier/rebuild/rebuild_int.h"

/* Node versions that run TypeScript files (type stripping on by default). */
#define TS_NODE_RANGE "^22.18.0 || >=23.6.0"

/* One further step: a package script, or a build program run by node. */
typedef struct more_step {
    const char *script; /* the script's name, or NULL */
    const char *file;   /* the build program's name (in the package folder), or NULL */
    const char *cwd;    /* the folder it runs in */
} more_step;

/* The wanted files the packed tree lacks: how many, the first three into names. */
static size_t lacking(const sg_rebuild_run *r, char *names, size_t size)
{
    size_t i, n = 0;
    names[0] = '\0';
    for (i = 0; i < r->in->nwant; i++) {
        const char *p = r->in->want[i]->path;
        if (sg_tree_find(r->res->tree, p))
            continue;
        if (n++ < 3)
            snprintf(names + strlen(names), size - strlen(names), "%s'%.150s'",
                     names[0] ? ", " : "", p);
    }
    if (n > 3)
        snprintf(names + strlen(names), size - strlen(names), " and %zu more", n - 3);
    return n;
}

/* Are all the wanted files the first pack lacked now in the package folder? */
static int folder_has_them(sg_rebuild_run *r, const sg_tree *first)
{
    sg_buf p = SG_BUF_INIT;
    size_t i;
    int all = 1;
    for (i = 0; i < r->in->nwant && all; i++) {
        if (sg_tree_find(first, r->in->want[i]->path))
            continue;
        sg_buf_clear(&p);
        sg_buf_printf(&p, "%s/%s", r->pkg_dir.ptr, r->in->want[i]->path);
        all = !p.error && access(p.ptr, F_OK) == 0;
    }
    sg_buf_dispose(&p);
    return all;
}

static int in_package_folder(void *payload, const char *name)
{
    const sg_rebuild_run *r = payload;
    sg_buf p = SG_BUF_INIT;
    int yes;
    sg_buf_printf(&p, "%s/%s", r->pkg_dir.ptr, name);
    yes = !p.error && access(p.ptr, R_OK) == 0;
    sg_buf_dispose(&p);
    return yes;
}

/* The further steps, in order: the package's scripts, the workspace root's, a build program. */
static size_t choose(sg_rebuild_run *r, more_step *steps)
{
    const char *names[SG_REBUILD_MORE_MAX];
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(r->pl.pkg, "scripts");
    size_t n = 0, k, i;

    k = sg_rebuild__more_scripts(names, SG_REBUILD_MORE_MAX, ps, "build");
    for (i = 0; i < k; i++)
        steps[n++] = (more_step){names[i], NULL, r->pkg_dir.ptr};
    if (r->pl.in_workspace && r->pl.root != r->pl.pkg && n < SG_REBUILD_MORE_MAX) {
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(r->pl.root, "scripts");
        k = sg_rebuild__more_scripts(names, SG_REBUILD_MORE_MAX - n, rs, "build");
        for (i = 0; i < k; i++)
            steps[n++] = (more_step){names[i], NULL, r->lock_dir.ptr};
    }
    if (n < SG_REBUILD_MORE_MAX) {
        const char *f = sg_rebuild__build_file(ps, in_package_folder, r);
        if (f)
            steps[n++] = (more_step){NULL, f, r->pkg_dir.ptr};
    }
    return n;
}

/* Does node version v ("v20.20.2") run TypeScript files? */
static int runs_typescript(sg_ctx *ctx, const char *v)
{
    sg_semver_range *range = NULL;
    sg_semver sv;
    int ok;
    if (sg_semver_parse(&sv, v[0] == 'v' ? v + 1 : v, 1) < 0)
        return 0;
    if (sg_semver_range_parse(&range, ctx, TS_NODE_RANGE) < 0) {
        sg_error_clear(ctx);
        return 0;
    }
    ok = sg_semver_satisfies(range, &sv);
    sg_semver_range_free(range);
    return ok;
}

/* The folder path names, into out ("/a/b/node" -> "/a/b"; "" when it has no '/'). */
static void parent_of(sg_buf *out, const char *path)
{
    const char *slash = strrchr(path, '/');
    sg_buf_clear(out);
    sg_buf_put(out, path, slash ? (size_t)(slash - path) : 0);
}

/* Run a build program with node; a TypeScript one with a node that strips types (the
 * machine's, else one from the registry, checked as the rebuild's own node is). */
static int run_file(sg_rebuild_run *r, const more_step *s)
{
    const char *argv[3], *ranges[1] = {TS_NODE_RANGE};
    size_t l = strlen(s->file);
    int ts = l > 3 && (strcmp(s->file + l - 3, ".ts") == 0 || strcmp(s->file + l - 4, ".mts") == 0);
    sg_buf node = SG_BUF_INIT, bin = SG_BUF_INIT, prefix = SG_BUF_INIT, t;
    char version[64];
    int rc;

    argv[0] = r->t.node.ptr;
    argv[1] = s->file;
    argv[2] = NULL;
    if (!ts || runs_typescript(r->ctx, r->t.node_version))
        return sg_rebuild__run_build_step(r, "more", argv, s->cwd);
    rc = sg_rebuild__node_from_registry(&node, version, sizeof(version), r->ctx, r->o, ranges, 1);
    if (rc == SG_ENOTFOUND || rc == SG_EUNSUPPORTED || rc == SG_EINVALID) {
        sg_rebuild__set_reason(r, SG_REBUILD_FAILED, "no node that runs %s (%s): %s", s->file,
                               TS_NODE_RANGE, sg_error_message(r->ctx));
        sg_error_clear(r->ctx);
        rc = 1;
        goto done;
    }
    if (rc < 0 || (rc = sg_rebuild__add_step(r,
                                             "more: %s needs a node that strips types: %s "
                                             "from the registry, integrity checked by "
                                             "sourcegate",
                                             s->file, version)) < 0)
        goto done;
    /* that node first on PATH (and bound into the sandbox) for this step only */
    parent_of(&bin, node.ptr);
    parent_of(&prefix, bin.ptr);
    if ((rc = sg_buf_check(&prefix, r->ctx, "a path")) < 0)
        goto done;
    t = r->t.node_bin, r->t.node_bin = bin, bin = t;
    t = r->t.node_prefix, r->t.node_prefix = prefix, prefix = t;
    argv[0] = node.ptr;
    rc = sg_rebuild__run_build_step(r, "more", argv, s->cwd);
    t = r->t.node_bin, r->t.node_bin = bin, bin = t;
    t = r->t.node_prefix, r->t.node_prefix = prefix, prefix = t;
    if (rc == 0)
        rc = sg_rebuild__recipe_set(r, "node_for_build_file", version);
done:
    sg_buf_dispose(&node);
    sg_buf_dispose(&bin);
    sg_buf_dispose(&prefix);
    return rc;
}

/* Run the further steps until the folder has the files; 0 when at least one ran and none
 * failed, 1 when none ran or one failed (the steps say why), < 0 on an error. */
static int run_more(sg_rebuild_run *r, const char *pm, const more_step *steps, size_t n,
                    const sg_tree *first)
{
    size_t i;
    int rc;
    for (i = 0; i < n; i++) {
        const char *argv[4] = {pm, "run", steps[i].script, NULL};
        rc = steps[i].file ? run_file(r, &steps[i])
                           : sg_rebuild__run_build_step(r, "more", argv, steps[i].cwd);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            char line[1400];
            snprintf(line, sizeof(line),
                     "more: %s failed (%s); nothing the further steps made is kept",
                     steps[i].file ? steps[i].file : steps[i].script, r->res->reason);
            r->res->status = SG_REBUILD_SKIPPED;
            r->res->reason[0] = '\0';
            if ((rc = sg_rebuild__recipe_add(r, "skipped", line)) < 0 ||
                (rc = sg_rebuild__add_step(r, "%s", line)) < 0)
                return rc;
            return 1;
        }
        if (folder_has_them(r, first))
            return 0;
    }
    return 0;
}

/* Remove the first pack's tarballs from out/ before packing again. */
static void clear_packed(sg_rebuild_run *r)
{
    DIR *d = opendir(r->out.ptr);
    struct dirent *de;
    sg_buf p = SG_BUF_INIT;
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l <= 4 || strcmp(de->d_name + l - 4, ".tgz") != 0)
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

/* The first file of first that second lacks or holds with other bytes, or NULL. */
static const char *changed_file(const sg_tree *first, const sg_tree *second)
{
    size_t i, n = sg_tree_count(first);
    for (i = 0; i < n; i++) {
        const sg_entry *a = sg_tree_entry(first, i), *b = sg_tree_find(second, a->path);
        if (!b || a->kind != b->kind || a->exec != b->exec ||
            memcmp(a->sha256, b->sha256, sizeof(a->sha256)) != 0)
            return a->path;
    }
    return NULL;
}

/* The first file the release has that second adds to first with other bytes, or NULL: a
 * guessed script counts only when what it adds reproduces the release. */
static const char *differing_addition(const sg_rebuild_run *r, const sg_tree *first,
                                      const sg_tree *second)
{
    size_t i;
    for (i = 0; i < r->in->nwant; i++) {
        const sg_entry *a = r->in->want[i], *b = sg_tree_find(second, a->path);
        if (b && !sg_tree_find(first, a->path) &&
            (a->kind != b->kind || memcmp(a->sha256, b->sha256, sizeof(a->sha256)) != 0))
            return a->path;
    }
    return NULL;
}

/* Drop the recipe's commands from index `from` on (steps whose output is not kept). */
static void drop_commands(sg_rebuild_run *r, int from)
{
    cJSON *a = cJSON_GetObjectItemCaseSensitive(r->res->recipe, "commands");
    cJSON_DeleteItemFromObjectCaseSensitive(r->res->recipe, "node_for_build_file");
    while (a && cJSON_GetArraySize(a) > from)
        cJSON_DeleteItemFromArray(a, cJSON_GetArraySize(a) - 1);
}

/* Pack again and keep the new pack when it only adds files. 0 kept or not (steps say), < 0. */
static int pack_again(sg_rebuild_run *r, const char *pm, sg_tree *first, int ncommands, size_t had)
{
    const char *changed = NULL, *differs = NULL;
    char names[600];
    int rc;

    r->res->tree = NULL;
    clear_packed(r);
    if ((rc = sg_rebuild__step_pack(r, pm)) == 0)
        rc = sg_rebuild__read_packed(r);
    if (rc == 0 && !(changed = changed_file(first, r->res->tree)) &&
        !(differs = differing_addition(r, first, r->res->tree))) {
        size_t still = lacking(r, names, sizeof(names));
        sg_tree_free(first);
        return sg_rebuild__add_step(r, "more: packed again: %zu of the %zu missing files made%s%s",
                                    had - still, had, still ? "; still missing: " : "",
                                    still ? names : "");
    }
    sg_tree_free(r->res->tree);
    r->res->tree = first;
    drop_commands(r, ncommands);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        snprintf(names, sizeof(names), "%.590s", r->res->reason);
        r->res->status = SG_REBUILD_SKIPPED;
        r->res->reason[0] = '\0';
        return sg_rebuild__add_step(r, "more: packing again failed (%s); the first pack stands",
                                    names);
    }
    if (differs)
        return sg_rebuild__add_step(r,
                                    "more: not kept: the further steps made '%.300s' with other "
                                    "bytes than the release's (a guessed script counts only "
                                    "when it reproduces them); the first pack stands",
                                    differs);
    return sg_rebuild__add_step(r,
                                "more: not kept: the further steps changed '%.300s', which the "
                                "build had made (they may only add files); the first pack "
                                "stands",
                                changed);
}

int sg_rebuild__step_more(sg_rebuild_run *r, const char *pm)
{
    more_step steps[SG_REBUILD_MORE_MAX];
    char names[600], list[400];
    const cJSON *cmds;
    size_t had, n, i;
    int ncommands, rc;

    if (!r->in->want || !r->res->tree || !(had = lacking(r, names, sizeof(names))))
        return 0;
    if (!(n = choose(r, steps)))
        return sg_rebuild__add_step(r,
                                    "more: the pack lacks %zu files the release has and git "
                                    "lacks (%s); no further building script to run",
                                    had, names);
    for (i = 0, list[0] = '\0'; i < n; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.100s", i ? ", " : "",
                 steps[i].file ? steps[i].file : steps[i].script);
    if ((rc = sg_rebuild__add_step(r,
                                   "more: the pack lacks %zu files the release has and git "
                                   "lacks (%s); trying further building scripts: %s",
                                   had, names, list)) < 0)
        return rc;
    cmds = cJSON_GetObjectItemCaseSensitive(r->res->recipe, "commands");
    ncommands = cmds ? cJSON_GetArraySize(cmds) : 0;
    if ((rc = run_more(r, pm, steps, n, r->res->tree)) != 0) {
        drop_commands(r, ncommands);
        return rc < 0 ? rc : 0;
    }
    return pack_again(r, pm, r->res->tree, ncommands, had);
}
