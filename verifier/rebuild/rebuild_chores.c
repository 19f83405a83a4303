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

/* ---------------------------------------------------------------- further building scripts */

#define NAME_WORDS 8 /* words of a script name looked at */

/* Words of a script name that say it makes type declarations. */
static const char *const declaration_words[] = {
    "dts", "types", "typings", "declarations", "declaration", "decl", "decls",
};

/* First words of a script name that say it builds (build-dts, build:esm, compile:types). */
static const char *const build_words[] = {"build", "compile", "bundle", "emit", "gen", "generate"};

/* Words of a script name that say it does something else: runs forever, serves, tests, checks,
 * cleans, documents, releases, or builds an example. */
static const char *const other_words[] = {
    "watch",   "dev",     "serve",    "start",      "test",      "tests",  "spec",
    "lint",    "check",   "clean",    "size",       "bench",     "docs",   "doc",
    "typedoc", "example", "examples", "playground", "demo",      "site",   "website",
    "release", "publish", "version",  "deploy",     "storybook", "e2e",    "coverage",
    "format",  "fmt",     "preview",  "analyze",    "stats",     "report", "ci",
};

/* npm's lifecycle scripts: run by npm itself, or with the script they precede (prebuild). */
static const char *const lifecycle_names[] = {
    "prepare",     "prepack",     "postpack",   "prepublish",  "prepublishOnly", "publish",
    "postpublish", "install",     "preinstall", "postinstall", "uninstall",      "version",
    "preversion",  "postversion", "test",       "start",       "stop",           "restart",
};

/* Split a script name into its lowercase words (on : - _ . / and camelCase humps). */
static size_t name_words(char (*w)[32], const char *name)
{
    size_t n = 0, len = 0;
    const char *p;
    for (p = name; *p && n < NAME_WORDS; p++) {
        int sep = strchr(":-_./ ", *p) != NULL;
        int hump = *p >= 'A' && *p <= 'Z' && len > 0;
        if ((sep || hump) && len) {
            w[n++][len] = '\0';
            len = 0;
        }
        if (sep || n >= NAME_WORDS)
            continue;
        if (len + 1 < sizeof(w[0]))
            w[n][len++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    }
    if (len && n < NAME_WORDS)
        w[n++][len] = '\0';
    return n;
}

/* A character that continues a script name. */
static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr(":-_./", c));
}

/* Does text name script `name` (as a word: "npm run build:esm", "run-s build:*")? */
static int names_script(const char *text, const char *name)
{
    size_t nl = strlen(name);
    const char *p, *star;
    for (p = text; nl && (p = strstr(p, name)) != NULL; p += nl)
        if ((p == text || !name_char(p[-1])) && !name_char(p[nl]))
            return 1;
    /* a glob of npm-run-all: "build:*" names every build:X */
    for (p = text; text && (star = strchr(p, '*')) != NULL; p = star + 1) {
        const char *s = star;
        while (s > text && !strchr(" \t\"'", s[-1]))
            s--;
        if (star > s && (size_t)(star - s) <= nl && strncmp(s, name, (size_t)(star - s)) == 0)
            return 1;
    }
    return 0;
}

/* 2: the name says it makes declarations; 1: it says it builds; 0: neither, or something
 * else too. */
static int more_tier(const char *name)
{
    char w[NAME_WORDS][32];
    size_t n = name_words(w, name), i;
    int decl = 0;
    if (!n || in_list(name, lifecycle_names, SG_ARRAY_SIZE(lifecycle_names)) ||
        (strncmp(name, "pre", 3) == 0 && name[3]) || strncmp(name, "post", 4) == 0)
        return 0;
    for (i = 0; i < n; i++) {
        if (in_list(w[i], other_words, SG_ARRAY_SIZE(other_words)))
            return 0;
        decl |= in_list(w[i], declaration_words, SG_ARRAY_SIZE(declaration_words));
    }
    if (decl)
        return 2;
    return in_list(w[0], build_words, SG_ARRAY_SIZE(build_words)) ? 1 : 0;
}

size_t sg_rebuild__more_scripts(const char **names, size_t max, const cJSON *scripts,
                                const char *ran)
{
    const char *ran_text = ran ? sg_json_str(scripts, ran) : NULL;
    const cJSON *s;
    size_t n = 0;
    int tier;

    for (tier = 2; tier >= 1; tier--) {
        cJSON_ArrayForEach(s, scripts)
        {
            const char *text = cJSON_IsString(s) ? s->valuestring : NULL;
            if (n >= max)
                return n;
            if (!s->string || !text || !*text || strlen(text) > 4096 ||
                more_tier(s->string) != tier || (ran && strcmp(s->string, ran) == 0) ||
                (ran_text && names_script(ran_text, s->string)) || strstr(text, "--watch") ||
                sg_rebuild__script_is_chore(text, scripts))
                continue;
            names[n++] = s->string;
        }
    }
    return n;
}

const char *sg_rebuild__build_file(const cJSON *scripts, int (*exists)(void *, const char *),
                                   void *payload)
{
    static const char *const files[] = {"build.mjs", "build.js", "build.cjs", "build.ts",
                                        "build.mts"};
    const cJSON *s;
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(files); i++) {
        int named = 0;
        if (!exists(payload, files[i]))
            continue;
        cJSON_ArrayForEach(s, scripts)
        {
            const char *t = cJSON_IsString(s) ? s->valuestring : "", *p;
            if (strstr(t, files[i]))
                named = 1;
            /* "node build" runs build.js */
            for (p = t; (p = strstr(p, "node build")) != NULL; p += 10)
                if (!name_char(p[10]))
                    named = 1;
        }
        if (!named)
            return files[i];
    }
    return NULL;
}
