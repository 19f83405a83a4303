/*
 * The recipe that worked (issue 15): what a rebuild ran, recorded so that the report can say it
 * and `verify --rebuild-recipe FILE` can write it as a POSIX shell script that rebuilds the
 * release outside sourcegate (nobody can reproduce a verdict they cannot rerun). The recipe is a
 * JSON object (docs/rebuild.md "The recipe"):
 *
 *   {"package_manager": "npm", "package_manager_version": "10.8.2", "node": "v20.20.2",
 *    "install": "frozen", "before": "2024-01-02T03:04:05.000Z", "lockfile": "package-lock.json",
 *    "lockfile_sha256": "...", "publish_folder": "", "commands": ["npm ci ...", ...],
 *    "skipped": ["build: prepublishOnly skipped: ..."]}
 */
#include "common/common.h"

#include "common/hash.h"
#include "verifier/rebuild/rebuild_int.h"

#define LOCKFILE_LIMIT (64u << 20) /* bytes of a lockfile hashed for the recipe */

static cJSON *recipe(sg_rebuild_run *r)
{
    if (!r->res->recipe)
        r->res->recipe = cJSON_CreateObject();
    return r->res->recipe;
}

int sg_rebuild__recipe_set(sg_rebuild_run *r, const char *key, const char *value)
{
    cJSON *o = recipe(r);
    if (!o)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    if (!cJSON_AddStringToObject(o, key, value ? value : ""))
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    return 0;
}

int sg_rebuild__recipe_add(sg_rebuild_run *r, const char *key, const char *line)
{
    cJSON *o = recipe(r), *a, *s;
    if (!o)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!a && !(a = cJSON_AddArrayToObject(o, key)))
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    if (!(s = cJSON_CreateString(line)) || !cJSON_AddItemToArray(a, s)) {
        cJSON_Delete(s);
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    }
    return 0;
}

/* s single-quoted for sh, unless it is made of characters sh leaves alone. */
static void put_word(sg_buf *b, const char *s)
{
    const char *p;
    for (p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("@%+=:,./_-", *p)))
            break;
    if (*s && !*p) {
        sg_buf_puts(b, s);
        return;
    }
    sg_buf_putc(b, '\'');
    for (p = s; *p; p++) {
        if (*p == '\'')
            sg_buf_puts(b, "'\\''");
        else
            sg_buf_putc(b, *p);
    }
    sg_buf_putc(b, '\'');
}

/* The package manager as the recipe script runs it: corepack at the pinned version, or npm. */
static void put_program(sg_buf *b, const sg_rebuild_run *r, const char *argv0)
{
    if (strncmp(argv0, r->bin.ptr, r->bin.size) == 0 && argv0[r->bin.size] == '/') {
        sg_buf_puts(b, "corepack ");
        put_word(b, sg_rebuild__pm_name(r->pl.pm));
        sg_buf_putc(b, '@');
        put_word(b, r->pl.pm_version);
    } else {
        put_word(b, sg_path_basename(argv0));
    }
}

int sg_rebuild__recipe_command(sg_rebuild_run *r, const char *const *argv, const char *cwd)
{
    sg_buf line = SG_BUF_INIT;
    size_t i;
    int error;

    sg_buf_puts(&line, "cd \"$SRC\"");
    if (strlen(cwd) > r->src.size) {
        sg_buf_putc(&line, '/');
        put_word(&line, cwd + r->src.size + 1);
    }
    sg_buf_puts(&line, " && ");
    put_program(&line, r, argv[0]);
    for (i = 1; argv[i]; i++) {
        sg_buf_putc(&line, ' ');
        if (strncmp(argv[i], r->out.ptr, r->out.size) == 0) { /* the pack folder */
            sg_buf_puts(&line, "\"$OUT\"");
            if (argv[i][r->out.size])
                put_word(&line, argv[i] + r->out.size);
        } else {
            put_word(&line, argv[i]);
        }
    }
    if (r->as_of && r->pl.pm == SG_REBUILD_PM_NPM) { /* the gateway's date cut, as npm says it */
        sg_buf_puts(&line, " --before=");
        put_word(&line, r->as_of);
    }
    if ((error = sg_buf_check(&line, r->ctx, "a recipe command")) == 0)
        error = sg_rebuild__recipe_add(r, "commands", line.ptr);
    sg_buf_dispose(&line);
    return error;
}

/* The lockfile of the install folder and its sha256, into the recipe ("" when none). */
static int recipe_lockfile(sg_rebuild_run *r)
{
    static const char *const names[] = {"pnpm-lock.yaml", "yarn.lock", "package-lock.json",
                                        "npm-shrinkwrap.json"};
    sg_buf path = SG_BUF_INIT, bytes = SG_BUF_INIT;
    unsigned char digest[32];
    char hex[65] = "";
    const sg_entry *e = NULL;
    size_t i;
    int error = 0;

    for (i = 0; r->pl.has_lockfile && i < SG_ARRAY_SIZE(names) && !e; i++) {
        sg_buf_clear(&path);
        sg_buf_printf(&path, "%s%s%s", r->pl.lock_dir.ptr, r->pl.lock_dir.size ? "/" : "",
                      names[i]);
        if ((error = sg_buf_check(&path, r->ctx, "a path")) < 0)
            goto done;
        e = sg_tree_find(r->in->root, path.ptr);
        if (e && e->kind != SG_ENTRY_FILE)
            e = NULL;
    }
    sg_buf_init(&bytes, LOCKFILE_LIMIT);
    if (e && sg_tree_read(&bytes, r->ctx, r->in->root, e) == 0 &&
        sg_sha256(digest, r->ctx, bytes.ptr, bytes.size) == 0) {
        for (i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    sg_error_clear(r->ctx); /* a lockfile that cannot be hashed leaves the pin out */
    if ((error = sg_rebuild__recipe_set(r, "lockfile", e ? path.ptr : "")) == 0)
        error = sg_rebuild__recipe_set(r, "lockfile_sha256", hex);
done:
    sg_buf_dispose(&path);
    sg_buf_dispose(&bytes);
    return error;
}

int sg_rebuild__recipe_finish(sg_rebuild_run *r)
{
    int error;
    cJSON *o = recipe(r);

    if (!o)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    if ((error = sg_rebuild__recipe_set(r, "package_manager", sg_rebuild__pm_name(r->pl.pm))) < 0 ||
        (!cJSON_GetObjectItemCaseSensitive(o, "package_manager_version") &&
         (error = sg_rebuild__recipe_set(r, "package_manager_version", r->pl.pm_version)) < 0) ||
        (error = sg_rebuild__recipe_set(r, "node", r->t.node_version)) < 0 ||
        (error = sg_rebuild__recipe_set(r, "install",
                                        r->install_mode[0] ? r->install_mode : "none")) < 0 ||
        (!cJSON_GetObjectItemCaseSensitive(o, "before") &&
         (error = sg_rebuild__recipe_set(r, "before", "")) < 0) ||
        (error = sg_rebuild__recipe_set(r, "package_folder", r->in->subdir)) < 0 ||
        (!cJSON_GetObjectItemCaseSensitive(o, "publish_folder") &&
         (error = sg_rebuild__recipe_set(r, "publish_folder", "")) < 0) ||
        (error = recipe_lockfile(r)) < 0)
        return error;
    if (!cJSON_GetObjectItemCaseSensitive(o, "skipped") && !cJSON_AddArrayToObject(o, "skipped"))
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory");
    return 0;
}
