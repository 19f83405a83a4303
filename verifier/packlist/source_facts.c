#include "verifier/packlist/source_facts.h"

#include <stdio.h>

/* Names in the package folder that mean "this package has a build" (DESIGN.md: a bundler or
 * tsc config). Matched against the basename's start, case-sensitively, as tools look them up. */
static const char *const build_configs[] = {
    "tsconfig.json", "tsconfig.build.json", "rollup.config.", "webpack.config.", "vite.config.",
    "tsup.config.", "esbuild.config.", "rolldown.config.", "babel.config.", ".babelrc",
    "gulpfile.", "Gulpfile.", "Gruntfile.", "swc.config.", ".swcrc", "build.config.",
    "unbuild.config.", "microbundle.config.", "tsdown.config.", "rspack.config.",
    "parcel.config.", ".parcelrc",
};

/* Scripts that npm runs around publish, or that name a build. */
static const char *const build_scripts[] = {
    "build", "prepare", "prepack", "prepublishOnly", "prepublish", "compile", "bundle", "dist",
};

static int read_json(cJSON **out, sg_ctx *ctx, const sg_tree *tree, const char *path)
{
    const sg_entry *e = sg_tree_find(tree, path);
    sg_buf bytes = SG_BUF_INIT;
    int error;
    *out = NULL;
    if (!e || e->kind != SG_ENTRY_FILE)
        return SG_ENOTFOUND;
    sg_buf_init(&bytes, (size_t)sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE));
    error = sg_tree_read(&bytes, ctx, tree, e);
    if (!error)
        error = sg_json_parse(out, ctx, bytes.ptr, bytes.size, path);
    sg_buf_dispose(&bytes);
    return error;
}

/* tsconfig files are JSONC: drop comments and trailing commas so cJSON can read them. */
static void strip_jsonc(sg_buf *b)
{
    size_t i = 0, o = 0;
    int in_str = 0;
    char *p = b->ptr;
    while (i < b->size) {
        char c = p[i];
        if (in_str) {
            p[o++] = c;
            if (c == '\\' && i + 1 < b->size)
                p[o++] = p[++i];
            else if (c == '"')
                in_str = 0;
            i++;
        } else if (c == '"') {
            in_str = 1;
            p[o++] = p[i++];
        } else if (c == '/' && i + 1 < b->size && p[i + 1] == '/') {
            while (i < b->size && p[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < b->size && p[i + 1] == '*') {
            i += 2;
            while (i + 1 < b->size && !(p[i] == '*' && p[i + 1] == '/'))
                i++;
            i += 2;
        } else if (c == ',') {
            size_t j = i + 1;
            while (j < b->size && (p[j] == ' ' || p[j] == '\t' || p[j] == '\n' || p[j] == '\r'))
                j++;
            if (j < b->size && (p[j] == '}' || p[j] == ']'))
                i++; /* trailing comma */
            else
                p[o++] = p[i++];
        } else {
            p[o++] = p[i++];
        }
    }
    sg_buf_truncate(b, o);
}

static int push_str(char ***arr, size_t *n, size_t *cap, const char *s)
{
    if (SG_ARRAY_GROW(*arr, *cap, *n + 1, 4) < 0 || !((*arr)[*n] = sg_strdup(s)))
        return SG_ENOMEM;
    (*n)++;
    return 0;
}

/* compilerOptions.outDir / declarationDir of the package's tsconfig files. */
static int gather_out_dirs(sg_source_facts *f, sg_ctx *ctx)
{
    size_t i;
    for (i = 0; i < sg_tree_count(f->pkg); i++) {
        const sg_entry *e = sg_tree_entry(f->pkg, i);
        sg_buf bytes = SG_BUF_INIT, norm = SG_BUF_INIT;
        cJSON *doc = NULL, *co;
        const char *keys[] = {"outDir", "declarationDir"};
        size_t k;
        if (strchr(e->path, '/') || strncmp(e->path, "tsconfig", 8) != 0 ||
            e->kind != SG_ENTRY_FILE || e->size > (1u << 20))
            continue;
        sg_buf_init(&bytes, 1u << 21);
        if (sg_tree_read(&bytes, ctx, f->pkg, e) == 0) {
            strip_jsonc(&bytes);
            if (sg_json_parse(&doc, ctx, bytes.ptr, bytes.size, e->path) < 0)
                sg_error_clear(ctx); /* an unreadable tsconfig only means no outDir */
        } else {
            sg_error_clear(ctx);
        }
        co = doc ? cJSON_GetObjectItemCaseSensitive(doc, "compilerOptions") : NULL;
        for (k = 0; co && k < SG_ARRAY_SIZE(keys); k++) {
            const char *dir = sg_json_str(co, keys[k]);
            if (dir && sg_path_normalize(&norm, dir, strlen(dir), 0, NULL, 0, NULL, 1024, 64) ==
                           SG_PATH_OK &&
                push_str(&f->out_dirs, &f->nout, &f->out_cap, norm.ptr) < 0) {
                cJSON_Delete(doc);
                sg_buf_dispose(&bytes);
                sg_buf_dispose(&norm);
                return sg_error_set(ctx, SG_ENOMEM, "out of memory");
            }
        }
        cJSON_Delete(doc);
        sg_buf_dispose(&bytes);
        sg_buf_dispose(&norm);
    }
    return 0;
}

/* Does `tree` (a package folder, or a workspace root) have a build step? */
static int tree_has_build(char *reason, size_t size, const sg_tree *tree, sg_ctx *ctx,
                          const char *where)
{
    cJSON *pj = NULL, *scripts;
    size_t i, j;
    int found = 0;

    if (read_json(&pj, ctx, tree, "package.json") < 0)
        sg_error_clear(ctx);
    scripts = pj ? cJSON_GetObjectItemCaseSensitive(pj, "scripts") : NULL;
    for (i = 0; cJSON_IsObject(scripts) && i < SG_ARRAY_SIZE(build_scripts) && !found; i++) {
        const char *s = sg_json_str(scripts, build_scripts[i]);
        if (s && *s) {
            snprintf(reason, size, "%sscripts.%s", where, build_scripts[i]);
            found = 1;
        }
    }
    for (i = 0; i < sg_tree_count(tree) && !found; i++) {
        const sg_entry *e = sg_tree_entry(tree, i);
        if (strchr(e->path, '/'))
            continue;
        for (j = 0; j < SG_ARRAY_SIZE(build_configs) && !found; j++) {
            if (strncmp(e->path, build_configs[j], strlen(build_configs[j])) == 0) {
                snprintf(reason, size, "%s%s", where, e->path);
                found = 1;
            }
        }
    }
    cJSON_Delete(pj);
    return found;
}

/* The package's own build, or in a monorepo the workspace root's, which usually builds
 * every package (preconstruct, turbo, lerna, rollup configs at the root). */
static void detect_build(sg_source_facts *f, sg_ctx *ctx)
{
    f->has_build = tree_has_build(f->build_reason, sizeof(f->build_reason), f->pkg, ctx, "");
    if (!f->has_build && f->root != f->pkg)
        f->has_build = tree_has_build(f->build_reason, sizeof(f->build_reason), f->root, ctx,
                                      "the repository root's ");
}

/* A package.json npm refuses to publish (private), or one that names another folder to
 * publish (pnpm's publishConfig.directory): the release is packed from a folder the build
 * makes (zustand builds dist/package.json and publishes dist/). */
static void detect_publish_folder(sg_source_facts *f, sg_ctx *ctx)
{
    cJSON *pj = NULL;
    const char *dir;
    if (read_json(&pj, ctx, f->pkg, "package.json") < 0) {
        sg_error_clear(ctx);
        return;
    }
    dir = sg_json_str(cJSON_GetObjectItemCaseSensitive(pj, "publishConfig"), "directory");
    if (dir && *dir)
        snprintf(f->publish_from, sizeof(f->publish_from), "publishConfig.directory names '%.200s'",
                 dir);
    else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pj, "private")))
        snprintf(f->publish_from, sizeof(f->publish_from), "the package.json here is private");
    cJSON_Delete(pj);
}

/* name -> version of every package.json in the repository (not under node_modules). */
static int gather_workspaces(sg_source_facts *f, sg_ctx *ctx)
{
    size_t i, seen = 0;
    for (i = 0; i < sg_tree_count(f->root) && seen < 10000; i++) {
        const sg_entry *e = sg_tree_entry(f->root, i);
        cJSON *doc = NULL;
        const char *name, *version;
        if (strcmp(sg_path_basename(e->path), "package.json") != 0 ||
            strstr(e->path, "node_modules/") || e->kind != SG_ENTRY_FILE ||
            e->size > (4u << 20))
            continue;
        seen++;
        if (read_json(&doc, ctx, f->root, e->path) < 0) {
            sg_error_clear(ctx);
            continue;
        }
        name = sg_json_str(doc, "name");
        version = sg_json_str(doc, "version");
        if (name && version) {
            /* One allocation per package: "name\0version". */
            size_t nl = strlen(name), vl = strlen(version);
            char *pair = sg_malloc(nl + vl + 2);
            if (!pair || SG_ARRAY_GROW(f->ws_names, f->ws_cap, f->nws + 1, 4) < 0) {
                sg_free(pair);
                cJSON_Delete(doc);
                return sg_error_set(ctx, SG_ENOMEM, "out of memory");
            }
            memcpy(pair, name, nl + 1);
            memcpy(pair + nl + 1, version, vl + 1);
            f->ws_names[f->nws++] = pair;
        }
        cJSON_Delete(doc);
    }
    return 0;
}

int sg_source_facts_init(sg_source_facts *f, sg_ctx *ctx, const sg_tree *root, const sg_tree *pkg,
                         const char *subdir)
{
    size_t i;
    int error;

    memset(f, 0, sizeof(*f));
    f->root = root;
    f->pkg = pkg;
    f->ctx = ctx;
    f->subdir = sg_strdup(subdir ? subdir : "");
    if (!f->subdir)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    detect_build(f, ctx);
    detect_publish_folder(f, ctx);
    if ((error = gather_out_dirs(f, ctx)) < 0 || (error = gather_workspaces(f, ctx)) < 0)
        return error;
    for (i = 0; i < sg_tree_count(pkg); i++) {
        const sg_entry *e = sg_tree_entry(pkg, i);
        if (e->kind == SG_ENTRY_SUBMODULE &&
            push_str(&f->submodules, &f->nsub, &f->sub_cap, e->path) < 0)
            return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    }
    return 0;
}

/* Is any ancestor folder of path (or path itself) ignored by git at this commit? */
static int git_ignored(sg_source_facts *f, const char *rel)
{
    char full[4096];
    int ignored = 0;
    size_t n;
    if (!f->gi) {
        if (sg_gitignore_new(&f->gi, f->ctx, f->root) < 0) {
            sg_error_clear(f->ctx);
            return 0;
        }
    }
    n = (size_t)snprintf(full, sizeof(full), "%s%s%s", f->subdir, *f->subdir ? "/" : "", rel);
    if (n >= sizeof(full))
        return 0;
    if (sg_gitignore_match(&ignored, f->ctx, f->gi, full, 0) < 0) {
        sg_error_clear(f->ctx);
        return 0;
    }
    return ignored;
}

static int possibly_built(void *payload, const char *path, const char **why)
{
    sg_source_facts *f = payload;
    size_t i;

    for (i = 0; i < f->nsub; i++) {
        if (sg_path_under(path, f->submodules[i])) {
            snprintf(f->why, sizeof(f->why),
                     "inside submodule '%s', whose files are not in this repository",
                     f->submodules[i]);
            *why = f->why;
            return 1;
        }
    }
    if (!f->has_build)
        return 0;
    for (i = 0; i < f->nout; i++) {
        if (sg_path_under(path, f->out_dirs[i])) {
            snprintf(f->why, sizeof(f->why), "in the build output folder '%s' (tsconfig); %s",
                     f->out_dirs[i], f->rebuild_note ? f->rebuild_note : "not rebuilt");
            *why = f->why;
            return 1;
        }
    }
    if (f->publish_from[0]) {
        snprintf(f->why, sizeof(f->why),
                 "the package has a build (%s) and %s: the release is packed from a folder the "
                 "build makes; %s",
                 f->build_reason, f->publish_from,
                 f->rebuild_note ? f->rebuild_note : "not rebuilt");
        *why = f->why;
        return 1;
    }
    if (git_ignored(f, path)) {
        snprintf(f->why, sizeof(f->why),
                 "git-ignored at this commit and the package has a build (%s); %s", f->build_reason,
                 f->rebuild_note ? f->rebuild_note : "not rebuilt");
        *why = f->why;
        return 1;
    }
    return 0;
}

static const char *workspace_version(void *payload, const char *name)
{
    sg_source_facts *f = payload;
    size_t i;
    for (i = 0; i < f->nws; i++)
        if (strcmp(f->ws_names[i], name) == 0)
            return f->ws_names[i] + strlen(f->ws_names[i]) + 1;
    return NULL;
}

void sg_source_facts_diff_opts(sg_source_facts *f, sg_diff_opts *opts)
{
    opts->possibly_built = possibly_built;
    opts->workspace_version = workspace_version;
    opts->catalog_spec = NULL; /* catalogs live in YAML files: not read yet */
    opts->payload = f;
}

static void free_strs(char **arr, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        sg_free(arr[i]);
    sg_free(arr);
}

void sg_source_facts_dispose(sg_source_facts *f)
{
    sg_gitignore_free(f->gi);
    free_strs(f->out_dirs, f->nout);
    free_strs(f->submodules, f->nsub);
    free_strs(f->ws_names, f->nws);
    sg_free(f->subdir);
    memset(f, 0, sizeof(*f));
}
