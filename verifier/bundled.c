/*
 * Bundled dependencies (issue 15; NPM-PACK.md §1.7): the node_modules/ a tarball ships are not
 * in git. Each bundled package is a registry release too: its files are compared with that
 * release's, fetched with its integrity through the same registry client and cache.
 */
#include "common/common.h"

#include "verifier/bundled_int.h"
#include "verifier/verify_int.h"

/* Dependency chains longer than this many passes are not followed (bounded time). */
#define MAX_PASSES 64

/* More package folders than this under node_modules/ are not sorted out (bounded memory):
 * none of them is verified, so their files stay findings. */
#define MAX_FOLDERS 50000

/* One package folder under node_modules/. */
typedef struct folder {
    const char *root; /* "node_modules/a/node_modules/@s/b", borrowed from an entry's path */
    size_t len;       /* bytes of root */
    size_t name_off;  /* where the folder's package name ("@s/b") starts in root */
    size_t parent;    /* the enclosing package folder, SIZE_MAX at the top */
    int allowed;      /* bundled, or a dependency of a bundled package */
    cJSON *manifest;  /* its package.json once allowed (NULL: none or unreadable) */
    char *why;        /* why the manifest is not usable (NULL when it is); sg_malloc'd */
    size_t first;     /* its files: files[first .. first + nfiles) of the state */
    size_t nfiles;    /* how many */
} folder;

/* A set of names, sorted (strings borrowed from the parsed manifests). */
typedef struct names {
    const char **v; /* the names */
    size_t n;       /* how many */
    size_t cap;     /* allocated */
} names;

typedef struct bstate {
    sg_ctx *ctx;           /* errors */
    sg_report *report;     /* findings and checks */
    sg_registry *registry; /* where the releases come from */
    const sg_tree *art;    /* the artifact */
    int offline;           /* a cache miss is an error, not an absent release */
    folder *f;             /* the package folders, sorted by root */
    size_t nf;             /* how many */
    size_t *owner;         /* per artifact entry: its folder, SIZE_MAX for none */
    size_t *files;         /* artifact entry indexes grouped by folder (folder.first) */
    names bundled;         /* names allowed at any level */
    cJSON *top;            /* the artifact's package.json */
    cJSON *packument;      /* the last packument fetched */
    char *packument_name;  /* whose */
    size_t explained;      /* files equal to their release's */
    size_t releases;       /* releases looked at */
    sg_bundled *out;       /* where findings wait */
} bstate;

/* ---- the folders ---- */

/* The package folder path p lies in: the length of its deepest "node_modules/<name>" prefix
 * (nested only as npm installs them, "<pkg>/node_modules/<name>"); 0 when none. */
static size_t package_root(const char *p, size_t *name_off)
{
    size_t i = 0, root = 0, n;
    const char *s;

    while (strncmp(p + i, "node_modules/", 13) == 0) {
        n = i + 13;
        if (!(s = strchr(p + n, '/')))
            break; /* a file directly in node_modules/ */
        if (p[n] == '@' && !(s = strchr(s + 1, '/')))
            break;
        root = (size_t)(s - p);
        *name_off = n;
        i = root + 1;
    }
    return root;
}

static int cmp_span(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static int cmp_folder(const void *x, const void *y)
{
    const folder *a = x, *b = y;
    return cmp_span(a->root, a->len, b->root, b->len);
}

static size_t find_folder(const bstate *st, const char *root, size_t len)
{
    size_t lo = 0, hi = st->nf;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_span(st->f[mid].root, st->f[mid].len, root, len);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

static int push_folder(bstate *st, size_t *cap, const char *p, size_t len, size_t name_off)
{
    if (st->nf == *cap) {
        folder *g;
        size_t want = *cap ? *cap * 2 : 16;
        if (want > SIZE_MAX / sizeof(*g) || !(g = sg_realloc(st->f, want * sizeof(*g))))
            return sg_error_set(st->ctx, SG_ENOMEM, "out of memory listing bundled folders");
        st->f = g;
        *cap = want;
    }
    memset(&st->f[st->nf], 0, sizeof(folder));
    st->f[st->nf].root = p;
    st->f[st->nf].len = len;
    st->f[st->nf].name_off = name_off;
    st->f[st->nf++].parent = SIZE_MAX;
    return 0;
}

/* Each entry's folder (the deepest), each folder's files and each folder's parent. */
static int group_files(bstate *st)
{
    size_t i, n = sg_tree_count(st->art), off, root, at = 0;
    const char *p;

    if (!(st->owner = sg_calloc(n ? n : 1, sizeof(size_t))) ||
        !(st->files = sg_calloc(n ? n : 1, sizeof(size_t))))
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory listing bundled folders");
    for (i = 0; i < n; i++) {
        p = sg_tree_entry(st->art, i)->path;
        root = package_root(p, &off);
        st->owner[i] = root ? find_folder(st, p, root) : SIZE_MAX;
        if (st->owner[i] != SIZE_MAX)
            st->f[st->owner[i]].nfiles++;
    }
    for (i = 0; i < st->nf; i++) {
        st->f[i].first = at;
        at += st->f[i].nfiles;
        st->f[i].nfiles = 0;
        if (st->f[i].name_off > 13)
            st->f[i].parent = find_folder(st, st->f[i].root, st->f[i].name_off - 14);
    }
    for (i = 0; i < n; i++) {
        folder *f = st->owner[i] == SIZE_MAX ? NULL : &st->f[st->owner[i]];
        if (f)
            st->files[f->first + f->nfiles++] = i;
    }
    return 0;
}

/* Every package folder that holds a file or encloses one, sorted and unique. */
static int list_folders(bstate *st)
{
    size_t i, k, n = sg_tree_count(st->art), cap = 0, off, root;
    const char *p, *s, *prev = NULL;
    int error;

    for (i = 0; i < n; i++) {
        p = sg_tree_entry(st->art, i)->path;
        for (k = 0; strncmp(p + k, "node_modules/", 13) == 0; k = root + 1) {
            off = k + 13;
            if (!(s = strchr(p + off, '/')) || (p[off] == '@' && !(s = strchr(s + 1, '/'))))
                break;
            root = (size_t)(s - p);
            /* entries are sorted: most folders were pushed for the entry before */
            if (prev && strncmp(prev, p, root + 1) == 0)
                continue;
            if (st->nf >= MAX_FOLDERS) {
                st->nf = 0;
                return sg_report_list_add(st->report, st->ctx, SG_LIST_CHECKS,
                                          "bundled: more package folders under node_modules/ "
                                          "than can be sorted out: none verified");
            }
            if ((error = push_folder(st, &cap, p, root, off)) < 0)
                return error;
        }
        prev = p;
    }
    if (st->nf)
        qsort(st->f, st->nf, sizeof(folder), cmp_folder);
    for (i = k = 0; i < st->nf; i++)
        if (k == 0 || cmp_folder(&st->f[k - 1], &st->f[i]) != 0)
            st->f[k++] = st->f[i];
    st->nf = k;
    return group_files(st);
}

/* ---- which folders are bundled ---- */

static int cmp_name(const char *s, size_t len, const char *name)
{
    return cmp_span(s, len, name, strlen(name));
}

static int names_has(const names *set, const char *s, size_t len)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_name(s, len, set->v[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

static int names_add(names *set, sg_ctx *ctx, const char *name)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, set->v[mid]);
        if (c == 0)
            return 0;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (set->n == set->cap) {
        const char **v;
        size_t want = set->cap ? set->cap * 2 : 32;
        if (want > SIZE_MAX / sizeof(*v) || !(v = sg_realloc(set->v, want * sizeof(*v))))
            return sg_error_set(ctx, SG_ENOMEM, "out of memory");
        set->v = v;
        set->cap = want;
    }
    memmove(set->v + lo + 1, set->v + lo, (set->n - lo) * sizeof(*set->v));
    set->v[lo] = name;
    set->n++;
    return 0;
}

/* The keys of doc's dependencies and optionalDependencies (npm installs both). */
static int add_dependencies(bstate *st, const cJSON *doc)
{
    static const char *const fields[] = {"dependencies", "optionalDependencies"};
    const cJSON *it;
    size_t i;
    int error;

    for (i = 0; i < SG_ARRAY_SIZE(fields); i++) {
        const cJSON *deps = cJSON_GetObjectItemCaseSensitive(doc, fields[i]);
        if (!cJSON_IsObject(deps))
            continue;
        cJSON_ArrayForEach(it, deps)
        {
            if (it->string && (error = names_add(&st->bundled, st->ctx, it->string)) < 0)
                return error;
        }
    }
    return 0;
}

/* package.json at dir (a folder path, "" for the root) parsed into *out; a missing or
 * unreadable one leaves *out NULL and says why. */
static int read_manifest(cJSON **out, char *why, size_t why_size, bstate *st, const char *dir,
                         size_t len)
{
    sg_buf path = SG_BUF_INIT, bytes = SG_BUF_INIT;
    const sg_entry *e;
    int error;

    *out = NULL;
    sg_buf_init(&bytes, (size_t)sg_ctx_limit(st->ctx, SG_LIMIT_JSON_SIZE));
    sg_buf_printf(&path, "%.*s%spackage.json", (int)len, dir, len ? "/" : "");
    if ((error = sg_buf_check(&path, st->ctx, "a path")) < 0)
        goto done;
    if (!(e = sg_tree_find(st->art, path.ptr))) {
        snprintf(why, why_size, "it has no package.json");
        goto done;
    }
    if ((error = sg_tree_read(&bytes, st->ctx, st->art, e)) == 0)
        error = sg_json_parse(out, st->ctx, bytes.ptr, bytes.size, path.ptr);
    if (error == SG_EINVALID || error == SG_ELIMIT) {
        snprintf(why, why_size, "%s", sg_error_message(st->ctx));
        sg_error_clear(st->ctx);
        error = 0;
    } else if (error == 0 && !cJSON_IsObject(*out)) {
        snprintf(why, why_size, "its package.json is not an object");
    }
done:
    if (why[0]) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    sg_buf_dispose(&path);
    sg_buf_dispose(&bytes);
    return error;
}

/* The names the artifact's own manifest bundles (true: every dependency). */
static int root_bundle(bstate *st)
{
    const cJSON *b, *it;
    char why[300] = "";
    int error;

    if ((error = read_manifest(&st->top, why, sizeof(why), st, "", 0)) < 0 || !st->top)
        return error;
    b = cJSON_GetObjectItemCaseSensitive(st->top, "bundleDependencies");
    if (!b)
        b = cJSON_GetObjectItemCaseSensitive(st->top, "bundledDependencies");
    if (cJSON_IsTrue(b))
        return add_dependencies(st, st->top);
    if (!cJSON_IsArray(b))
        return 0;
    cJSON_ArrayForEach(it, b)
    {
        if (cJSON_IsString(it) && (error = names_add(&st->bundled, st->ctx, it->valuestring)) < 0)
            return error;
    }
    return 0;
}

/* Allow a folder whose name is bundled and whose parent is allowed, then its dependencies;
 * until nothing changes (parents sort before their children). */
static int close_over(bstate *st)
{
    size_t i, pass;
    char why[300];
    int changed = 1, error;

    for (pass = 0; pass < MAX_PASSES && changed; pass++) {
        changed = 0;
        for (i = 0; i < st->nf; i++) {
            folder *f = &st->f[i];
            if (f->allowed ||
                (f->name_off > 13 && (f->parent == SIZE_MAX || !st->f[f->parent].allowed)) ||
                !names_has(&st->bundled, f->root + f->name_off, f->len - f->name_off))
                continue;
            f->allowed = changed = 1;
            why[0] = '\0';
            if ((error = read_manifest(&f->manifest, why, sizeof(why), st, f->root, f->len)) < 0)
                return error;
            if (why[0] && !(f->why = sg_strdup(why)))
                return sg_error_set(st->ctx, SG_ENOMEM, "out of memory");
            if (f->manifest && (error = add_dependencies(st, f->manifest)) < 0)
                return error;
        }
    }
    return 0;
}

/* ---- each bundled release against the registry's ---- */

/* Hold a finding about artifact file a until the source has had its say. */
static int defer(bstate *st, const char *kind, sg_severity severity, const sg_entry *a,
                 const char *detail)
{
    sg_bundled *b = st->out;
    sg_bundled_finding *x;

    if (b->npending == b->cap) {
        size_t want = b->cap ? b->cap * 2 : 16;
        if (want > SIZE_MAX / sizeof(*x) || !(x = sg_realloc(b->pending, want * sizeof(*x))))
            return sg_error_set(st->ctx, SG_ENOMEM, "out of memory");
        b->pending = x;
        b->cap = want;
    }
    x = &b->pending[b->npending];
    x->path = a->path;
    memcpy(x->sha256, a->sha256, 32);
    x->kind = kind;
    x->severity = severity;
    if (!(x->detail = sg_strdup(detail)))
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory");
    b->npending++;
    return 0;
}

/* Every file of folder i gets a file-unverified finding saying why. */
static int unverified(bstate *st, size_t i, const char *why)
{
    const folder *f = &st->f[i];
    const sg_finding_kind *kind = sg_finding_kind_lookup("file-unverified");
    char line[1400];
    size_t k;
    int error;

    snprintf(line, sizeof(line), "bundled dependency not verified: %s", why);
    for (k = f->first; k < f->first + f->nfiles; k++)
        if ((error = defer(st, "file-unverified", kind ? kind->severity : SG_SEV_MEDIUM,
                           sg_tree_entry(st->art, st->files[k]), line)) < 0)
            return error;
    snprintf(line, sizeof(line), "bundled: %.*s not verified: %s", (int)f->len, f->root, why);
    return sg_report_list_add(st->report, st->ctx, SG_LIST_CHECKS, line);
}

/* The packument of name, kept for the next folder of the same name; NULL when the registry
 * has no such package (*why says so). */
static int packument_of(const cJSON **out, char *why, size_t why_size, bstate *st, const char *name)
{
    int error;

    *out = NULL;
    if (st->packument_name && strcmp(st->packument_name, name) == 0) {
        *out = st->packument;
        if (!st->packument)
            snprintf(why, why_size, "the registry has no package '%s'", name);
        return 0;
    }
    cJSON_Delete(st->packument);
    st->packument = NULL;
    sg_free(st->packument_name);
    if (!(st->packument_name = sg_strdup(name)))
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory");
    error = sg_registry_packument(&st->packument, st->ctx, st->registry, name);
    /* only the registry's 404 is a fact about the release; offline, a cache miss is an error */
    if (error == SG_ENOTFOUND && !st->offline) {
        sg_error_clear(st->ctx);
        snprintf(why, why_size, "the registry has no package '%s'", name);
        return 0;
    }
    if (error < 0) {
        sg_free(st->packument_name);
        st->packument_name = NULL;
        return error;
    }
    *out = st->packument;
    return 0;
}

/* The registry's tree of name@version; NULL with *why when it cannot be had from the
 * registry (absent, a digest that does not match, not a readable tarball). */
static int release_tree(sg_tree **out, char *why, size_t why_size, bstate *st, const char *name,
                        const char *version)
{
    const cJSON *pack = NULL, *m, *dist;
    const char *url, *integrity, *shasum;
    unsigned char *bytes = NULL;
    size_t len = 0;
    sg_tar_info info;
    int error;

    *out = NULL;
    if ((error = packument_of(&pack, why, why_size, st, name)) < 0 || !pack)
        return error;
    m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pack, "versions"),
                                         version);
    dist = cJSON_GetObjectItemCaseSensitive(m, "dist");
    url = sg_json_str(dist, "tarball");
    integrity = sg_json_str(dist, "integrity");
    shasum = sg_json_str(dist, "shasum");
    if (!m) {
        snprintf(why, why_size, "the registry has no %s@%s", name, version);
        return 0;
    }
    if (!url || (!integrity && !shasum)) {
        snprintf(why, why_size, "the registry names no tarball URL or digest for %s@%s", name,
                 version);
        return 0;
    }
    error = sg_registry_tarball(&bytes, &len, st->ctx, st->registry, url, integrity, shasum);
    if (error == 0)
        error = sg_tar_read(out, &info, st->ctx, bytes, len, NULL);
    free(bytes);
    if (error == SG_EINTEGRITY || error == SG_EINVALID || error == SG_ELIMIT ||
        (error == SG_ENOTFOUND && !st->offline)) {
        snprintf(why, why_size, "%s@%s from the registry: %s", name, version,
                 sg_error_message(st->ctx));
        sg_error_clear(st->ctx);
        error = 0;
    }
    return error;
}

/* Drop what npm 5 and 6 wrote into an installed package.json: the "_" fields (_from,
 * _resolved, _integrity, ...) and bundleDependencies/deprecated set to false, which the
 * registry's copy (ref) lacks. None of them changes what is installed or run. */
static void strip_installer_fields(cJSON *doc, const cJSON *ref)
{
    static const char *const falses[] = {"bundleDependencies", "deprecated"};
    cJSON *it = doc ? doc->child : NULL, *next;
    size_t i;

    for (; it; it = next) {
        next = it->next;
        if (it->string && it->string[0] == '_')
            cJSON_Delete(cJSON_DetachItemViaPointer(doc, it));
    }
    for (i = 0; ref && i < SG_ARRAY_SIZE(falses); i++)
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, falses[i])) &&
            !cJSON_GetObjectItemCaseSensitive(ref, falses[i]))
            cJSON_DeleteItemFromObjectCaseSensitive(doc, falses[i]);
}

/* *out = 1 when the artifact's package.json a equals the release's r once the fields an
 * older npm's install added are dropped from both (normalization
 * "bundled-installer-fields"). */
static int installed_manifest(int *out, bstate *st, const sg_entry *a, const sg_tree *rel,
                              const sg_entry *r)
{
    sg_buf ab = SG_BUF_INIT, rb = SG_BUF_INIT;
    cJSON *ad = NULL, *rd = NULL;
    size_t limit = (size_t)sg_ctx_limit(st->ctx, SG_LIMIT_JSON_SIZE);
    int error = 0;

    *out = 0;
    sg_buf_init(&ab, limit);
    sg_buf_init(&rb, limit);
    if (a->kind != SG_ENTRY_FILE || r->kind != SG_ENTRY_FILE ||
        (error = sg_tree_read(&ab, st->ctx, st->art, a)) < 0 ||
        (error = sg_tree_read(&rb, st->ctx, rel, r)) < 0 ||
        (error = sg_json_parse(&ad, st->ctx, ab.ptr, ab.size, a->path)) < 0 ||
        (error = sg_json_parse(&rd, st->ctx, rb.ptr, rb.size, "the release's package.json")) < 0)
        goto done;
    strip_installer_fields(rd, NULL);
    strip_installer_fields(ad, rd);
    *out = cJSON_IsObject(ad) && cJSON_IsObject(rd) && sg_json_equal(ad, rd);
done:
    if (error == SG_EINVALID || error == SG_ELIMIT) {
        sg_error_clear(st->ctx); /* not equal: a finding */
        error = 0;
    }
    cJSON_Delete(ad);
    cJSON_Delete(rd);
    sg_buf_dispose(&ab);
    sg_buf_dispose(&rb);
    return error;
}

/* The files of folder i against the release's: equal is explained, the rest high findings. */
static int compare_files(bstate *st, size_t i, const sg_tree *rel, const char *id)
{
    const folder *f = &st->f[i];
    size_t k, same = 0, other = 0;
    char line[700];
    int error;

    for (k = f->first; k < f->first + f->nfiles; k++) {
        const sg_entry *a = sg_tree_entry(st->art, st->files[k]), *r;
        r = sg_tree_find(rel, a->path + f->len + 1);
        /* the executable bit is not compared: npm install sets it on bin targets */
        if (r && r->kind == a->kind && memcmp(r->sha256, a->sha256, 32) == 0) {
            same++;
            continue;
        }
        if (r && strcmp(r->path, "package.json") == 0) {
            int equal;
            if ((error = installed_manifest(&equal, st, a, rel, r)) < 0 ||
                (equal && (error = sg_report_add_normalization(st->report, st->ctx,
                                                               "bundled-installer-fields")) < 0))
                return error;
            if (equal) {
                same++;
                continue;
            }
        }
        snprintf(line, sizeof(line),
                 r ? "bytes differ from the bundled release %s" : "not in the bundled release %s",
                 id);
        other++;
        if ((error = defer(st, r ? "file-modified" : "file-added", SG_SEV_HIGH, a, line)) < 0)
            return error;
    }
    st->explained += same;
    if (same &&
        (error = sg_report_add_normalization(st->report, st->ctx, "bundled-from-registry")) < 0)
        return error;
    if (other)
        snprintf(line, sizeof(line),
                 "bundled: %.*s is %s: %zu files equal to the registry's, "
                 "%zu not",
                 (int)f->len, f->root, id, same, other);
    else
        snprintf(line, sizeof(line), "bundled: %.*s is %s: %zu files equal to the registry's",
                 (int)f->len, f->root, id, same);
    return sg_report_list_add(st->report, st->ctx, SG_LIST_CHECKS, line);
}

/* Folder i: its package.json names the release; fetch it and compare. */
static int verify_folder(bstate *st, size_t i)
{
    const folder *f = &st->f[i];
    const char *name = sg_json_str(f->manifest, "name");
    const char *version = sg_json_str(f->manifest, "version");
    sg_tree *rel = NULL;
    sg_semver sv;
    char why[1200] = "", id[600];
    int error;

    if (++st->releases > SG_BUNDLED_MAX_RELEASES) {
        snprintf(why, sizeof(why), "more than %d bundled releases", SG_BUNDLED_MAX_RELEASES);
        return unverified(st, i, why);
    }
    if (!f->manifest)
        return unverified(st, i, f->why ? f->why : "its package.json cannot be read");
    if (!name || !sg_verify__valid_name(name, strlen(name)))
        return unverified(st, i, "its package.json has no valid package name");
    /* an alias ("x": "npm:y@1") installs y in folder x: not followed, so no folder can pass
     * for another package's release */
    if (cmp_name(f->root + f->name_off, f->len - f->name_off, name) != 0) {
        snprintf(why, sizeof(why), "its package.json names '%s', not the folder's package", name);
        return unverified(st, i, why);
    }
    if (!version || sg_semver_parse(&sv, version, 0) < 0)
        return unverified(st, i, "its package.json has no valid version");
    snprintf(id, sizeof(id), "%s@%s", name, version);
    if ((error = release_tree(&rel, why, sizeof(why), st, name, version)) < 0) {
        sg_error_wrap(st->ctx, "verifying the bundled %s", id);
        return error;
    }
    error = rel ? compare_files(st, i, rel, id) : unverified(st, i, why);
    sg_tree_free(rel);
    return error;
}

static const char *folder_pkg(const folder *f)
{
    const char *n = sg_json_str(f->manifest, "name");
    return n ? n : "";
}

static int cmp_by_package(const void *x, const void *y)
{
    const folder *a = *(const folder *const *)x, *b = *(const folder *const *)y;
    int c = strcmp(folder_pkg(a), folder_pkg(b));
    return c ? c : cmp_folder(a, b);
}

/* The allowed folders, in package-name order so each packument is fetched once. */
static int verify_all(bstate *st)
{
    folder **order = sg_calloc(st->nf ? st->nf : 1, sizeof(folder *));
    size_t i, n = 0;
    int error = 0;

    if (!order)
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory");
    for (i = 0; i < st->nf; i++)
        if (st->f[i].allowed)
            order[n++] = &st->f[i];
    if (n)
        qsort(order, n, sizeof(*order), cmp_by_package);
    for (i = 0; i < n && error == 0; i++)
        error = verify_folder(st, (size_t)(order[i] - st->f));
    sg_free(order);
    return error;
}

/* The artifact without the bundled folders' files. */
static int rest_tree(sg_tree **out, bstate *st)
{
    size_t i, n = sg_tree_count(st->art);
    unsigned char *keep = sg_calloc(n ? n : 1, 1);
    int error;

    if (!keep)
        return sg_error_set(st->ctx, SG_ENOMEM, "out of memory");
    for (i = 0; i < n; i++)
        keep[i] = st->owner[i] == SIZE_MAX || !st->f[st->owner[i]].allowed;
    error = sg_tree_select(out, st->ctx, st->art, keep);
    sg_free(keep);
    return error;
}

void sg_bundled__dispose(sg_bundled *b)
{
    size_t i;
    for (i = 0; i < b->npending; i++)
        sg_free(b->pending[i].detail);
    sg_free(b->pending);
    sg_tree_free(b->rest);
    memset(b, 0, sizeof(*b));
}

int sg_bundled__report(sg_bundled *b, sg_report *report, sg_ctx *ctx, const sg_tree *committed)
{
    size_t i;
    int error = 0;

    for (i = 0; i < b->npending && error == 0; i++) {
        const sg_bundled_finding *p = &b->pending[i];
        const sg_entry *k = committed ? sg_tree_find(committed, p->path) : NULL;
        sg_finding x;
        /* the kind is not compared: the tar reader keeps only regular files */
        if (k && k->kind == SG_ENTRY_FILE && !k->pending && memcmp(k->sha256, p->sha256, 32) == 0) {
            sg_report_add_count(report, SG_COUNT_FILES_EXPLAINED, 1);
            error = sg_report_add_normalization(report, ctx, "ignored-but-tracked");
            continue;
        }
        memset(&x, 0, sizeof(x));
        x.kind = p->kind;
        x.severity = p->severity;
        x.path = p->path;
        x.detail = p->detail;
        error = sg_report_add(report, ctx, &x);
    }
    return error;
}

int sg_bundled__verify(sg_bundled *out, sg_report *report, sg_ctx *ctx, sg_registry *registry,
                       const sg_tree *artifact, int offline)
{
    bstate st;
    size_t i, allowed = 0;
    int error;

    memset(out, 0, sizeof(*out));
    memset(&st, 0, sizeof(st));
    st.ctx = ctx;
    st.report = report;
    st.registry = registry;
    st.art = artifact;
    st.offline = offline;
    st.out = out;
    if ((error = list_folders(&st)) < 0 || st.nf == 0 || (error = root_bundle(&st)) < 0 ||
        (error = close_over(&st)) < 0)
        goto done;
    for (i = 0; i < st.nf; i++)
        allowed += st.f[i].allowed ? 1 : 0;
    if (!allowed || (error = verify_all(&st)) < 0 || (error = rest_tree(&out->rest, &st)) < 0)
        goto done;
    out->explained = st.explained;
    out->releases = st.releases;
done:
    for (i = 0; i < st.nf; i++) {
        cJSON_Delete(st.f[i].manifest);
        sg_free(st.f[i].why);
    }
    sg_free(st.f);
    sg_free(st.owner);
    sg_free(st.files);
    sg_free(st.bundled.v);
    cJSON_Delete(st.top);
    cJSON_Delete(st.packument);
    sg_free(st.packument_name);
    return error;
}
