#include "common/common.h"

#include "diff/diff_int.h"

/* Extensions (lowercase, with the dot) of files node, a shell, a compiler or npm may load or
 * run. .ts and friends are code because ts-node/tsx/bun run them and a bundler compiles them. */
static const char *const code_exts[] = {
    ".js",   ".cjs",  ".mjs", ".jsx",  ".ts", ".tsx",  ".mts", ".cts", ".json",
    ".node", ".wasm", ".gyp", ".gypi", ".sh", ".bash", ".bat", ".cmd", ".ps1",
};

/* Basenames (case-insensitive) that change what npm or node-gyp do at install. */
static const char *const install_names[] = {
    "binding.gyp",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
};

/* Declaration files are types even though they end in .ts. */
static const char *const types_suffixes[] = {".d.ts", ".d.mts", ".d.cts", ".map"};

/* Basename prefixes of documentation (case-insensitive): README.md, LICENSE-MIT, ... */
static const char *const doc_prefixes[] = {
    "readme", "changelog", "changes", "license", "licence", "copying", "history", "authors",
};

static const char *const doc_exts[] = {
    ".md", ".markdown", ".txt", ".rst", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp",
};

static const char *const doc_names[] = {".npmignore", ".gitignore"};

static int in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (sg_strcasecmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int has_suffix_nocase(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && sg_strcasecmp(s + n - m, suffix) == 0;
}

/* ELF, Mach-O (both byte orders, 32/64-bit, fat) and PE/DOS executables. */
static int native_magic(const unsigned char *h, size_t n)
{
    static const unsigned char magics[][4] = {
        {0x7f, 'E', 'L', 'F'},    {0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
        {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}, {0xca, 0xfe, 0xba, 0xbe},
    };
    size_t i;
    if (!h)
        return 0;
    if (n >= 2 && h[0] == 'M' && h[1] == 'Z')
        return 1;
    if (n < 4)
        return 0;
    for (i = 0; i < SG_ARRAY_SIZE(magics); i++)
        if (memcmp(h, magics[i], 4) == 0)
            return 1;
    return 0;
}

sg_file_class sg_file_classify(const char *path, const unsigned char *head, size_t head_len,
                               int exec)
{
    const char *base;
    char ext[16];
    size_t i;

    if (!path)
        return SG_FILE_OTHER;
    base = sg_path_basename(path);
    /* What runs comes first, whatever the name says: a README with a shebang is a script. */
    if (exec || in_list(base, install_names, SG_ARRAY_SIZE(install_names)) ||
        sg_strncasecmp(base, ".yarnrc", 7) == 0 || native_magic(head, head_len) ||
        (head && head_len >= 2 && head[0] == '#' && head[1] == '!'))
        return SG_FILE_CODE;
    for (i = 0; i < SG_ARRAY_SIZE(types_suffixes); i++)
        if (has_suffix_nocase(base, types_suffixes[i]))
            return SG_FILE_TYPES;
    sg_path_extname_lower(ext, sizeof(ext), base);
    if (ext[0] && in_list(ext, code_exts, SG_ARRAY_SIZE(code_exts)))
        return SG_FILE_CODE;
    if (in_list(base, doc_names, SG_ARRAY_SIZE(doc_names)))
        return SG_FILE_DOCS;
    for (i = 0; i < SG_ARRAY_SIZE(doc_prefixes); i++) {
        size_t n = strlen(doc_prefixes[i]);
        /* "LICENSE", "LICENSE.md", "LICENSE-MIT", "README_zh.md"; not "licenser.css" */
        if (sg_strncasecmp(base, doc_prefixes[i], n) == 0 &&
            (base[n] == '\0' || base[n] == '.' || base[n] == '-' || base[n] == '_'))
            return SG_FILE_DOCS;
    }
    if (ext[0] && in_list(ext, doc_exts, SG_ARRAY_SIZE(doc_exts)))
        return SG_FILE_DOCS;
    /* Node's path.extname() finds no extension (none, or only a leading dot): require('./x')
     * loads such a file before x.js, as CommonJS (issue 12). */
    if (base[0] && !strchr(base + 1, '.'))
        return SG_FILE_CODE;
    return SG_FILE_OTHER;
}

sg_severity sg_file_class_severity(sg_file_class cls)
{
    switch (cls) {
    case SG_FILE_CODE:
        return SG_SEV_HIGH;
    case SG_FILE_TYPES:
        return SG_SEV_MEDIUM;
    case SG_FILE_DOCS:
        return SG_SEV_LOW;
    case SG_FILE_OTHER:
        return SG_SEV_MEDIUM;
    }
    return SG_SEV_HIGH; /* an unknown class is treated as the riskiest one */
}

const char *sg_file_class_name(sg_file_class cls)
{
    switch (cls) {
    case SG_FILE_CODE:
        return "code";
    case SG_FILE_TYPES:
        return "types";
    case SG_FILE_DOCS:
        return "docs";
    case SG_FILE_OTHER:
        return "other";
    }
    return "unknown";
}
