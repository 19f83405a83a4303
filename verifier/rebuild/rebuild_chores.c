/*
 * Release scripts that are not builds (issue 15): isaacs' packages have `prepublishOnly: git push
 * origin --follow-tags`, others run tests, linters, `np` or changelog tools before publishing.
 * In the rebuild's copy (a shallow .git, no network) such a step fails and makes no file. A
 * script is a chore when every command in it (split on && || ; | & and newlines) is one: its
 * program is git, a test runner, a linter or checker in check-only mode, or a release tool; or it
 * is `npm test`, `npm run lint...`, `yarn test`, ..., or runs a script of the package that is a
 * chore itself. The rule is written down in docs/rebuild.md ("Release scripts that are not
 * builds"). Anything the rule does not know is not a chore: the step then counts as a build.
 */
#include "common/common.h"

#include "verifier/rebuild/rebuild_int.h"

#define MAX_WORDS 24 /* words of one command looked at */
#define MAX_DEPTH 4  /* scripts running scripts */

/* One command's words, pointing into a private copy of the script. */
typedef struct words {
    const char *w[MAX_WORDS]; /* the words */
    size_t n;                 /* used */
} words;

/* Programs whose every use is a chore: version control, tests, linters, release tools. */
static const char *const chore_programs[] = {
    "git",
    "husky",
    "pinst",
    "echo",
    "true",
    "exit",
    "jest",
    "mocha",
    "tap",
    "ava",
    "vitest",
    "nyc",
    "c8",
    "jasmine",
    "karma",
    "tape",
    "tsd",
    "uvu",
    "xo",
    "standard",
    "eslint",
    "tslint",
    "stylelint",
    "markdownlint",
    "publint",
    "attw",
    "size-limit",
    "np",
    "changeset",
    "changesets",
    "standard-version",
    "release-it",
    "semantic-release",
    "auto-changelog",
    "conventional-changelog",
    "bumpp",
    "gh",
    "in-publish",
    "not-in-publish",
    "can-npm-publish",
    "pkg-ok",
    "check-export-map",
    "are-the-types-wrong",
    "lint-staged",
};

/* Package-manager subcommands that make no file. */
static const char *const chore_pm_commands[] = {
    "test", "t", "tst", "lint", "publish", "version", "whoami", "login", "audit", "outdated",
};

static int in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* A script name that says it tests or lints: test, test:unit, lint-fix... */
static int chore_script_name(const char *name)
{
    return strncmp(name, "test", 4) == 0 || strncmp(name, "lint", 4) == 0 ||
           strcmp(name, "typecheck") == 0 || strcmp(name, "format:check") == 0;
}

static int has_word(const words *c, size_t from, const char *w)
{
    size_t i;
    for (i = from; i < c->n; i++)
        if (strcmp(c->w[i], w) == 0)
            return 1;
    return 0;
}

static int classify(const char *script, const cJSON *scripts, int depth);

/* `npm run NAME`, `yarn NAME`, `pnpm run NAME`: a chore by its name, or by its own script. */
static int chore_run(const char *name, const cJSON *scripts, int depth)
{
    const char *s = sg_json_str(scripts, name);
    if (chore_script_name(name))
        return 1;
    if (!s || depth >= MAX_DEPTH)
        return 0;
    return classify(s, scripts, depth + 1) == 1;
}

/* A package manager's command line from word i on (after "npm", "yarn", "pnpm"). */
static int chore_pm(const words *c, size_t i, const cJSON *scripts, int depth)
{
    const char *sub;
    while (i < c->n && c->w[i][0] == '-') /* npm --silent run x */
        i++;
    if (i >= c->n)
        return 0;
    sub = c->w[i];
    if (in_list(sub, chore_pm_commands, SG_ARRAY_SIZE(chore_pm_commands)))
        return 1;
    if (strcmp(sub, "run") == 0 || strcmp(sub, "run-script") == 0) {
        for (i++; i < c->n && c->w[i][0] == '-'; i++)
            ;
        return i < c->n && chore_run(c->w[i], scripts, depth);
    }
    /* yarn NAME and pnpm NAME run the script NAME */
    return strcmp(c->w[0], "npm") != 0 && chore_run(sub, scripts, depth);
}

/* Is the command in c (already split into words) a chore? */
static int chore_command(const words *c, const cJSON *scripts, int depth)
{
    size_t i = 0;
    const char *prog;

    /* VAR=value prefixes, cross-env, npx and exec wrappers: the program behind them */
    while (i < c->n && (strchr(c->w[i], '=') || strcmp(c->w[i], "cross-env") == 0 ||
                        strcmp(c->w[i], "npx") == 0 || strcmp(c->w[i], "exec") == 0 ||
                        strcmp(c->w[i], "--no-install") == 0 || strcmp(c->w[i], "--yes") == 0))
        i++;
    if (i >= c->n)
        return 1; /* only assignments: nothing is made */
    prog = sg_path_basename(c->w[i]);
    if (in_list(prog, chore_programs, SG_ARRAY_SIZE(chore_programs)))
        return 1;
    if (strcmp(prog, "tsc") == 0)
        return has_word(c, i + 1, "--noEmit");
    if (strcmp(prog, "prettier") == 0)
        return has_word(c, i + 1, "--check") || has_word(c, i + 1, "-c") ||
               has_word(c, i + 1, "--list-different") || has_word(c, i + 1, "-l");
    if (strcmp(prog, "node") == 0)
        return has_word(c, i + 1, "--test");
    if (strcmp(prog, "lerna") == 0)
        return has_word(c, i + 1, "publish") || has_word(c, i + 1, "version");
    if (strcmp(prog, "npm") == 0 || strcmp(prog, "yarn") == 0 || strcmp(prog, "pnpm") == 0) {
        words sub = *c;
        sub.w[0] = prog; /* chore_pm() tells npm from the others by word 0 */
        memmove(sub.w + 1, c->w + i + 1, (c->n - i - 1) * sizeof(*sub.w));
        sub.n = c->n - i;
        return chore_pm(&sub, 1, scripts, depth);
    }
    return 0;
}

/* Split one command (s, nul-terminated, writable) into words on blanks, quotes dropped. */
static void split_words(words *c, char *s)
{
    c->n = 0;
    while (*s && c->n < MAX_WORDS) {
        while (*s == ' ' || *s == '\t' || *s == '(' || *s == ')')
            s++;
        if (!*s)
            break;
        if (*s == '"' || *s == '\'') { /* a quoted word: to the same quote */
            char q = *s++;
            c->w[c->n++] = s;
            while (*s && *s != q)
                s++;
        } else {
            c->w[c->n++] = s;
            while (*s && *s != ' ' && *s != '\t' && *s != ')')
                s++;
        }
        if (*s)
            *s++ = '\0';
    }
}

/* 1: every command of script is a chore; 0: some command may make files. */
static int classify(const char *script, const cJSON *scripts, int depth)
{
    char *copy = sg_strdup(script), *p, *start;
    int all = 1, any = 0;
    words c;

    if (!copy)
        return 0;
    for (p = start = copy;; p++) {
        int end = *p == '\0';
        if (end || *p == '&' || *p == '|' || *p == ';' || *p == '\n') {
            *p = '\0';
            if (strchr(start, '>')) { /* a redirection writes a file */
                all = 0;
                break;
            }
            split_words(&c, start);
            if (c.n) {
                any = 1;
                if (!chore_command(&c, scripts, depth))
                    all = 0;
            }
            if (end || !all)
                break;
            if (p[1] == '&' || p[1] == '|')
                p++;
            start = p + 1;
        }
    }
    sg_free(copy);
    return any && all;
}

int sg_rebuild__script_is_chore(const char *script, const cJSON *scripts)
{
    if (!script || strlen(script) > 4096)
        return 0; /* a long script is not looked into: it counts as a build */
    return classify(script, scripts, 0);
}
