/*
 * Tree diff: every artifact entry against the packed source tree. package.json goes through the
 * manifest diff; every other file is compared by SHA-256 and executable bit, and a difference
 * gets the severity of its file class (DESIGN.md "File types for severity").
 */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>

#include "diff/diff_int.h"

/* A source path for the case-insensitive index. */
typedef struct ci_entry {
    const char *path; /* the source entry's path */
    size_t index;     /* its index in the source tree */
} ci_entry;

typedef struct tdiff {
    sg_report *report;        /* where findings go */
    sg_ctx *ctx;              /* errors and limits */
    const sg_diff_opts *opts; /* callbacks (an empty set when the caller gave none) */
    const sg_tree *src;       /* packed source tree */
    const sg_tree *art;       /* artifact tree */
    unsigned char *used;      /* per source entry: matched by an artifact entry */
    ci_entry *ci;             /* source paths sorted case-insensitively, built on demand */
    size_t nci;               /* entries of ci */
    sg_manifest_info info;    /* what the manifest diff found (bin targets) */
    uint64_t same, explained; /* counters */
} tdiff;

/* Index of path in tree, or (size_t)-1 (binary search: entries are sorted by strcmp). */
static size_t find_index(const sg_tree *tree, const char *path)
{
    size_t lo = 0, hi = sg_tree_count(tree);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sg_tree_entry(tree, mid)->path, path);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (size_t)-1;
}

static sg_file_class entry_class(const sg_entry *e)
{
    if (e->kind != SG_ENTRY_FILE)
        return sg_file_classify(e->path, NULL, 0, 0);
    return sg_file_classify(e->path, e->head,
                            e->size < SG_ENTRY_HEAD ? (size_t)e->size : SG_ENTRY_HEAD,
                            e->exec ? 1 : 0);
}

/* The riskier class of the two versions of a file. */
static sg_file_class worse_class(const sg_entry *a, const sg_entry *b)
{
    sg_file_class x = entry_class(a), y = b ? entry_class(b) : x;
    return sg_file_class_severity(y) > sg_file_class_severity(x) ? y : x;
}

static int add(tdiff *t, const char *kind, sg_severity sev, const char *path, const char *before,
               const char *after, const char *detail)
{
    sg_finding f;
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.severity = sev;
    f.path = path;
    f.before = before;
    f.after = after;
    f.detail = detail;
    return sg_report_add(t->report, t->ctx, &f);
}

/* Same bytes: only the executable bit can differ. */
static int check_mode(tdiff *t, const sg_entry *s, const sg_entry *a)
{
    if (s->kind != SG_ENTRY_FILE || a->kind != SG_ENTRY_FILE || !s->exec == !a->exec)
        return 0;
    if (a->exec) {
        if (sg_diff__is_bin_target(&t->info, a->path))
            return sg_report_add_normalization(t->report, t->ctx, "bin-executable");
        return add(t, "mode-changed", SG_SEV_MEDIUM, a->path, "644", "755",
                   "executable in the artifact, not in the source");
    }
    return add(t, "mode-changed", SG_SEV_LOW, a->path, "755", "644",
               "executable in the source, not in the artifact");
}

/* ---------------------------------------------------------------- package.json */

static int read_manifest(tdiff *t, sg_buf *out, const sg_tree *tree, const sg_entry *e,
                         const char *where)
{
    uint64_t limit = sg_ctx_limit(t->ctx, SG_LIMIT_JSON_SIZE);
    int error;
    if (e->kind != SG_ENTRY_FILE)
        return sg_error_set(t->ctx, SG_EINVALID, "package.json in the %s is not a regular file",
                            where);
    if (e->size > limit)
        return sg_error_set(t->ctx, SG_ELIMIT,
                            "package.json in the %s is larger than the json-size limit of %llu "
                            "bytes",
                            where, (unsigned long long)limit);
    if ((error = sg_tree_read(out, t->ctx, tree, e)) < 0) {
        if (sg_error_code_of(t->ctx) == 0) /* e.g. the buffer's sticky error */
            return sg_error_set(t->ctx, error, "cannot read package.json in the %s: %s", where,
                                sg_error_name(error));
        sg_error_wrap(t->ctx, "reading package.json in the %s", where);
        return error;
    }
    return 0;
}

static int diff_manifest_entry(tdiff *t)
{
    const sg_entry *a = sg_tree_find(t->art, "package.json");
    size_t si = find_index(t->src, "package.json");
    const sg_entry *s = si == (size_t)-1 ? NULL : sg_tree_entry(t->src, si);
    sg_buf sb = SG_BUF_INIT, ab = SG_BUF_INIT;
    int error;

    if (!a)
        return sg_error_set(t->ctx, SG_EINVALID, "the artifact has no package.json");
    if (!s)
        return sg_error_set(t->ctx, SG_EINVALID, "the source has no package.json");
    t->used[si] = 1;
    if ((error = read_manifest(t, &sb, t->src, s, "source")) < 0 ||
        (error = read_manifest(t, &ab, t->art, a, "artifact")) < 0)
        goto done;
    if ((error = sg_diff__manifest(t->report, t->ctx, sb.ptr, sb.size, ab.ptr, ab.size, t->opts,
                                   &t->info)) < 0)
        goto done;
    if (memcmp(s->sha256, a->sha256, 32) == 0)
        t->same++;
    else if (!t->info.residual)
        t->explained++;
    error = check_mode(t, s, a);
done:
    sg_buf_dispose(&sb);
    sg_buf_dispose(&ab);
    return error;
}

/* ---------------------------------------------------------------- explanations */

static int ci_cmp(const void *x, const void *y)
{
    const ci_entry *a = x, *b = y;
    int c = sg_strcasecmp(a->path, b->path);
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int build_ci(tdiff *t)
{
    size_t n = sg_tree_count(t->src), i, bytes;
    if (t->ci || n == 0)
        return 0;
    if (sg_mul_overflow(&bytes, n, sizeof(ci_entry)) || !(t->ci = sg_malloc(bytes)))
        return sg_error_set(t->ctx, SG_ENOMEM, "out of memory indexing the source tree");
    for (i = 0; i < n; i++) {
        t->ci[i].path = sg_tree_entry(t->src, i)->path;
        t->ci[i].index = i;
    }
    qsort(t->ci, n, sizeof(ci_entry), ci_cmp);
    t->nci = n;
    return 0;
}

/* A source file whose path differs from a's only by letter case and whose bytes are a's
 * (Readme.md in git, README.md in the tarball). Index or (size_t)-1. */
static int find_case_twin(tdiff *t, const sg_entry *a, size_t *out)
{
    size_t lo = 0, hi, i;
    int error;
    *out = (size_t)-1;
    if ((error = build_ci(t)) < 0)
        return error;
    hi = t->nci;
    while (lo < hi) { /* lower bound */
        size_t mid = lo + (hi - lo) / 2;
        if (sg_strcasecmp(t->ci[mid].path, a->path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < t->nci && sg_strcasecmp(t->ci[i].path, a->path) == 0; i++) {
        const sg_entry *s = sg_tree_entry(t->src, t->ci[i].index);
        if (s->kind == a->kind && s->kind == SG_ENTRY_FILE &&
            memcmp(s->sha256, a->sha256, 32) == 0) {
            *out = t->ci[i].index;
            return 0;
        }
    }
    return 0;
}

static int is_license_name(const char *base)
{
    return sg_strncasecmp(base, "license", 7) == 0 || sg_strncasecmp(base, "licence", 7) == 0 ||
           sg_strncasecmp(base, "copying", 7) == 0;
}

/* pnpm copies the workspace root's LICENSE into a package that has none. */
static int root_license_copy(tdiff *t, const sg_entry *a)
{
    const sg_tree *root = t->opts->root_files;
    size_t i, n;
    if (!root || strchr(a->path, '/') || a->kind != SG_ENTRY_FILE || !is_license_name(a->path))
        return 0;
    n = sg_tree_count(root);
    for (i = 0; i < n; i++) {
        const sg_entry *r = sg_tree_entry(root, i);
        if (r->kind == SG_ENTRY_FILE && sg_strcasecmp(sg_path_basename(r->path), a->path) == 0 &&
            memcmp(r->sha256, a->sha256, 32) == 0)
            return 1;
    }
    return 0;
}

/* An artifact entry with no source entry at its path. */
static int diff_absent(tdiff *t, const sg_entry *a)
{
    const char *why = NULL;
    char detail[256];
    sg_file_class cls;
    size_t twin;
    int error;

    if ((error = find_case_twin(t, a, &twin)) < 0)
        return error;
    if (twin != (size_t)-1) {
        t->used[twin] = 1;
        t->explained++;
        return sg_report_add_normalization(t->report, t->ctx, "case-rename");
    }
    if (root_license_copy(t, a)) {
        t->explained++;
        return sg_report_add_normalization(t->report, t->ctx, "workspace-root-license");
    }
    if (t->opts->possibly_built && t->opts->possibly_built(t->opts->payload, a->path, &why))
        return add(t, "file-unverified", SG_SEV_MEDIUM, a->path, NULL, NULL,
                   why ? why : "possibly made by the build; not rebuilt");
    cls = entry_class(a);
    snprintf(detail, sizeof(detail), "not in the source at this commit (%s)",
             sg_file_class_name(cls));
    return add(t, "file-added", sg_file_class_severity(cls), a->path, NULL, NULL, detail);
}

/* ---------------------------------------------------------------- driver */

/* JavaScript-family files whose artifact copy may have had its comments stripped. */
static int js_like(const char *path)
{
    static const char *const exts[] = {".js", ".cjs", ".mjs", ".jsx", ".ts", ".mts", ".cts",
                                       ".tsx"};
    char ext[16];
    size_t i;
    sg_path_extname_lower(ext, sizeof(ext), path);
    for (i = 0; i < SG_ARRAY_SIZE(exts); i++)
        if (strcmp(ext, exts[i]) == 0)
            return 1;
    return 0;
}

/* Is the artifact's copy the source's minus comments and blank lines? Bounded reads. */
static int comments_stripped(int *out, tdiff *t, const sg_entry *s, const sg_entry *a)
{
    sg_buf sb = SG_BUF_INIT, ab = SG_BUF_INIT;
    const uint64_t max = 8u << 20;
    int error = 0;

    *out = 0;
    if (!js_like(a->path) || s->size > max || a->size > max || a->size >= s->size)
        return 0;
    if ((error = sg_tree_read(&sb, t->ctx, t->src, s)) == 0 &&
        (error = sg_tree_read(&ab, t->ctx, t->art, a)) == 0)
        *out = sg_diff__only_comments_removed(sb.ptr, sb.size, ab.ptr, ab.size);
    sg_buf_dispose(&sb);
    sg_buf_dispose(&ab);
    return error;
}

static int diff_entry(tdiff *t, const sg_entry *a)
{
    size_t si;
    const sg_entry *s;
    char detail[256];
    sg_file_class cls;

    if (strcmp(a->path, "package.json") == 0)
        return 0; /* compared as JSON */
    si = find_index(t->src, a->path);
    s = si == (size_t)-1 ? NULL : sg_tree_entry(t->src, si);
    if (!s || s->kind == SG_ENTRY_SUBMODULE)
        return diff_absent(t, a);
    t->used[si] = 1;
    cls = worse_class(a, s);
    if (s->kind != a->kind) {
        snprintf(detail, sizeof(detail), "a %s in the artifact, a %s in the source (%s)",
                 a->kind == SG_ENTRY_SYMLINK ? "symbolic link" : "file",
                 s->kind == SG_ENTRY_SYMLINK ? "symbolic link" : "file", sg_file_class_name(cls));
        return add(t, "file-modified", sg_file_class_severity(cls), a->path, NULL, NULL, detail);
    }
    if (memcmp(s->sha256, a->sha256, 32) == 0) {
        t->same++;
        return check_mode(t, s, a);
    }
    if (a->kind == SG_ENTRY_FILE) {
        int stripped = 0, error;
        if ((error = comments_stripped(&stripped, t, s, a)) < 0)
            return error;
        if (stripped) {
            if ((error = sg_report_add_normalization(t->report, t->ctx, "js-comments-stripped")) < 0)
                return error;
            return add(t, "file-modified", SG_SEV_LOW, a->path, NULL, NULL,
                       "only comments and blank lines were removed (as clean-publish does)");
        }
    }
    snprintf(detail, sizeof(detail), "%s from the source (%s)",
             a->kind == SG_ENTRY_SYMLINK ? "link target differs" : "bytes differ",
             sg_file_class_name(cls));
    return add(t, "file-modified", sg_file_class_severity(cls), a->path, NULL, NULL, detail);
}

int sg_diff_trees(sg_report *report, sg_ctx *ctx, const sg_tree *source, const sg_tree *artifact,
                  const sg_diff_opts *opts)
{
    static const sg_diff_opts no_opts = SG_DIFF_OPTS_INIT;
    sg_manifest_info info0 = SG_MANIFEST_INFO_INIT;
    tdiff t;
    size_t i, nsrc, nart;
    int error = 0;

    memset(&t, 0, sizeof(t));
    t.info = info0;
    if (!report || !source || !artifact)
        return sg_error_set(ctx, SG_EINVALID, "diffing trees needs a report and two trees");
    t.report = report;
    t.ctx = ctx;
    t.opts = opts ? opts : &no_opts;
    t.src = source;
    t.art = artifact;
    nsrc = sg_tree_count(source);
    nart = sg_tree_count(artifact);
    if (!(t.used = sg_calloc(nsrc ? nsrc : 1, 1))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory diffing trees");
        goto done;
    }
    if ((error = diff_manifest_entry(&t)) < 0)
        goto done;
    for (i = 0; i < nart; i++)
        if ((error = diff_entry(&t, sg_tree_entry(artifact, i))) < 0)
            goto done;
    for (i = 0; i < nsrc; i++) {
        const sg_entry *s = sg_tree_entry(source, i);
        if (t.used[i] || s->kind == SG_ENTRY_SUBMODULE)
            continue;
        if ((error = add(&t, "file-missing", SG_SEV_INFO, s->path, NULL, NULL,
                         "in the source, not in the artifact")) < 0)
            goto done;
    }
    sg_report_set_count(report, SG_COUNT_ARTIFACT_FILES, nart);
    sg_report_set_count(report, SG_COUNT_FILES_SAME, t.same);
    sg_report_set_count(report, SG_COUNT_FILES_EXPLAINED, t.explained);
done:
    sg_free(t.used);
    sg_free(t.ci);
    sg_diff__manifest_info_dispose(&t.info);
    return error;
}
