/*
 * The recipe as a script (issue 15, `verify --rebuild-recipe FILE`): a POSIX shell script with
 * the pinned inputs of the rebuild that worked (repository and commit, lockfile sha256, node and
 * package-manager versions, the install date) and its exact commands, which rebuilds the release
 * outside sourcegate and prints the sha512 integrity of the tarball it packs, next to the
 * registry's. Every value from the report is single-quoted; the commands were quoted word by
 * word when they were recorded (rebuild_recipe.c).
 */
#include "common/common.h"

/* s as one single-quoted sh word. */
static void put_quoted(sg_buf *b, const char *s)
{
    sg_buf_putc(b, '\'');
    for (; s && *s; s++) {
        if (*s == '\'')
            sg_buf_puts(b, "'\\''");
        else
            sg_buf_putc(b, *s);
    }
    sg_buf_putc(b, '\'');
}

/* NAME='value' with a comment. */
static void put_var(sg_buf *b, const char *name, const char *value, const char *comment)
{
    sg_buf_printf(b, "%s=", name);
    put_quoted(b, value ? value : "");
    sg_buf_printf(b, "%s%s\n", comment ? "  # " : "", comment ? comment : "");
}

/* A value of the report or the recipe must fit on one line of the script's comments. */
static int one_line(const char *s)
{
    return !s || (!strchr(s, '\n') && !strchr(s, '\r'));
}

static const char script_checks[] =
    "WORK=$(mktemp -d)\n"
    "SRC=\"$WORK/${SOURCE_FOLDER:-src}\"\n"
    "OUT=\"$WORK/out\"\n"
    "mkdir \"$OUT\"\n"
    "git clone --quiet --no-checkout -- \"$REPOSITORY\" \"$SRC\"\n"
    "git -C \"$SRC\" checkout --quiet --detach \"$COMMIT\"\n"
    "\n"
    "if [ \"$(node --version)\" != \"$NODE_VERSION\" ]; then\n"
    "    echo \"warning: node $(node --version) here; the rebuild used $NODE_VERSION\" >&2\n"
    "fi\n"
    "if [ -n \"$LOCKFILE\" ] && [ -n \"$LOCKFILE_SHA256\" ]; then\n"
    "    got=$(sha256sum \"$SRC/$LOCKFILE\" | cut -d' ' -f1)\n"
    "    if [ \"$got\" != \"$LOCKFILE_SHA256\" ]; then\n"
    "        echo \"error: $LOCKFILE has sha256 $got, the rebuild's had $LOCKFILE_SHA256\" >&2\n"
    "        exit 1\n"
    "    fi\n"
    "fi\n"
    "\n"
    "# The environment of the rebuild's first build (nothing else of the caller's matters).\n"
    "export CI=true TZ=UTC LANG=C.UTF-8 COREPACK_ENABLE_DOWNLOAD_PROMPT=0\n"
    "unset SOURCE_DATE_EPOCH\n"
    "\n";

/* The machine's npm ran (no corepack pin): say when this one differs. */
static const char script_npm_check[] =
    "if [ \"$(npm --version)\" != \"$PACKAGE_MANAGER_VERSION\" ]; then\n"
    "    echo \"warning: npm $(npm --version) here; the rebuild used $PACKAGE_MANAGER_VERSION\" "
    ">&2\n"
    "fi\n";

static const char script_sums[] =
    "\n"
    "for f in \"$OUT\"/*.tgz; do\n"
    "    sum=\"sha512-$(openssl dgst -sha512 -binary \"$f\" | openssl base64 -A)\"\n"
    "    echo \"$sum  $f\"\n"
    "    if [ -n \"$EXPECTED_INTEGRITY\" ]; then\n"
    "        if [ \"$sum\" = \"$EXPECTED_INTEGRITY\" ]; then\n"
    "            echo \"same bytes as the registry's tarball\"\n"
    "        else\n"
    "            echo \"the registry's tarball is $EXPECTED_INTEGRITY (compare the files, not\"\n"
    "            echo \"the bytes: npm's tarballs carry no timestamps, but other packers do)\"\n"
    "        fi\n"
    "    fi\n"
    "done\n";

/* The header and the pinned inputs. */
static int put_inputs(sg_buf *b, sg_ctx *ctx, const sg_report *report, const cJSON *recipe)
{
    const char *name = sg_report_get(report, SG_REPORT_PACKAGE);
    const char *version = sg_report_get(report, SG_REPORT_VERSION);
    const char *repo = sg_report_get(report, SG_REPORT_SOURCE_REPOSITORY);
    const char *commit = sg_report_get(report, SG_REPORT_SOURCE_COMMIT);
    const char *before = sg_json_str(recipe, "before");

    if (!repo || !commit)
        return sg_error_set(ctx, SG_EINVALID, "the report names no repository and commit");
    if (!one_line(name) || !one_line(version))
        return sg_error_set(ctx, SG_EINVALID, "the package's name or version spans lines");
    sg_buf_printf(b,
                  "#!/bin/sh\n"
                  "# Rebuild %s@%s from its source outside sourcegate, with the recipe that\n"
                  "# reproduced it (written by `sourcegate verify --rebuild-recipe`).\n"
                  "# It runs the repository's own scripts with network access: run it in a\n"
                  "# container or a throwaway machine, as sourcegate runs them in a sandbox.\n"
                  "set -eu\n\n",
                  name ? name : "(unnamed)", version ? version : "");
    put_var(b, "REPOSITORY", repo, NULL);
    put_var(b, "COMMIT", commit, NULL);
    put_var(b, "SOURCE_FOLDER", sg_json_str(recipe, "source_folder"),
            "the clone's folder name, as the rebuild's (some bundlers name modules after it)");
    put_var(b, "PACKAGE_FOLDER", sg_json_str(recipe, "package_folder"), NULL);
    put_var(b, "NODE_VERSION", sg_json_str(recipe, "node"), NULL);
    if (sg_json_str(recipe, "node_for_build_file"))
        put_var(b, "NODE_FOR_BUILD_FILE", sg_json_str(recipe, "node_for_build_file"),
                "the node that ran the TypeScript build program (`node build.ts`)");
    put_var(b, "PACKAGE_MANAGER", sg_json_str(recipe, "package_manager"), NULL);
    put_var(b, "PACKAGE_MANAGER_VERSION", sg_json_str(recipe, "package_manager_version"),
            "corepack runs this version where the commands say so");
    put_var(b, "INSTALL", sg_json_str(recipe, "install"), NULL);
    put_var(b, "BEFORE", before,
            before && *before ? "install as of this time (npm: --before in the command)"
                              : "no date: the install was frozen, or no publish time is known");
    put_var(b, "LOCKFILE", sg_json_str(recipe, "lockfile"), NULL);
    put_var(b, "LOCKFILE_SHA256", sg_json_str(recipe, "lockfile_sha256"), NULL);
    put_var(b, "EXPECTED_INTEGRITY", sg_report_get(report, SG_REPORT_ARTIFACT_INTEGRITY),
            "the registry's tarball");
    sg_buf_putc(b, '\n');
    return 0;
}

/* The skipped steps as comments, then the commands, each in a subshell. */
static int put_commands(sg_buf *b, sg_ctx *ctx, const cJSON *recipe)
{
    const cJSON *cmds = cJSON_GetObjectItemCaseSensitive(recipe, "commands"), *c;
    const cJSON *skipped = cJSON_GetObjectItemCaseSensitive(recipe, "skipped");

    cJSON_ArrayForEach(c, skipped)
    {
        if (!cJSON_IsString(c))
            continue;
        /* tool output: control bytes as \xHH, so a reader's terminal shows text only */
        sg_buf_puts(b, "# passed over: ");
        sg_buf_put_shown(b, c->valuestring, strlen(c->valuestring), 1000, SG_SHOW_HEX);
        sg_buf_putc(b, '\n');
    }
    if (!cJSON_IsArray(cmds) || !cJSON_GetArraySize(cmds))
        return sg_error_set(ctx, SG_EINVALID, "the rebuild's recipe has no commands");
    cJSON_ArrayForEach(c, cmds)
    {
        if (!cJSON_IsString(c) || !one_line(c->valuestring) ||
            strncmp(c->valuestring, "cd \"$SRC\"", 9) != 0)
            return sg_error_set(ctx, SG_EINVALID, "the rebuild's recipe has a malformed command");
        sg_buf_printf(b, "(%s)\n", c->valuestring);
    }
    return 0;
}

int sg_rebuild_recipe_script(sg_buf *out, sg_ctx *ctx, const sg_report *report)
{
    const char *text = report ? sg_report_get(report, SG_REPORT_REBUILD_RECIPE) : NULL;
    cJSON *recipe = NULL;
    int error;

    if (!text)
        return sg_error_set(ctx, SG_ENOTFOUND,
                            "no rebuild recipe: the release was not rebuilt, or its rebuild "
                            "failed");
    if ((error = sg_json_parse(&recipe, ctx, text, strlen(text), "the rebuild's recipe")) < 0)
        return error;
    if ((error = put_inputs(out, ctx, report, recipe)) < 0)
        goto done;
    sg_buf_puts(out, script_checks);
    if (strcmp(sg_json_str(recipe, "package_manager") ? sg_json_str(recipe, "package_manager") : "",
               "npm") == 0 &&
        !strstr(text, "corepack npm@"))
        sg_buf_puts(out, script_npm_check);
    if ((error = put_commands(out, ctx, recipe)) < 0)
        goto done;
    sg_buf_puts(out, script_sums);
    error = sg_buf_check(out, ctx, "the recipe script");
done:
    cJSON_Delete(recipe);
    return error;
}
