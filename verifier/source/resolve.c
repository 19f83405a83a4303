/*
 * From a release to the commit it was cut from (DESIGN.md "Source resolution").
 *
 * Candidates, in order: the provenance commit, gitHead, the tags v{V}, {V}, {name}@{V},
 * {unscoped}@{V}, {unscoped}-v{V}, release-{V}, release/{V} (every existing exact name first,
 * then names equal ignoring ASCII case), then the package.json history. The chosen commit is
 * the first candidate that checks out; history is consulted only when none of the others
 * does. Every candidate goes into res->tried as "how: what -> outcome".
 *
 * Check. At a commit, the package folder is the first of: hints->directory (normalized; a
 * value with "..", an absolute path or a backslash is refused and noted), the root,
 * packages/<unscoped>, then folders found by a search, whose package.json (a blob, read by
 * path with git_tree_entry_bypath, never a whole sg_tree) has "name" equal to the package
 * name. The candidate checks out when that package.json's "version" is V (a leading 'v' or
 * '=' allowed, as npm cleans it), or a placeholder: "0.0.0", "0.0.0-<anything>",
 * "0.0.0+<anything>", or a string that is not a version at all (it does not start with a
 * digit, after an optional 'v') and says so: it contains "do not", "do-not", "don't" or
 * "placeholder" (ASCII case ignored). A missing version is not a placeholder: npm refuses to
 * publish without one, so a source without it is not what was published.
 *
 * Search. When no fixed folder names the package at a commit, its tree is searched breadth
 * first (shallowest wins, then tree order), skipping node_modules and folders whose name
 * starts with '.', to depth SEARCH_DEPTH, reading at most SEARCH_MAX_PKGJSON package.json
 * blobs and SEARCH_MAX_ENTRIES tree entries; a found folder joins the fixed ones for every
 * later commit. At most MAX_SEARCHES searches run per resolution.
 *
 * History. A time-ordered walk (GIT_SORT_TIME, newest first) from every branch, tag and
 * remote-tracking ref, bounded by sg_resolve__max_commits (20,000; res->tried says when the
 * bound stopped the walk). Each commit's package.json version is computed once (memoized by
 * commit and by blob id, so unchanged blobs are not parsed again). A commit *introduces* a
 * version when it carries it and none of its parents does (a merge that brings in a branch
 * which already carried it introduces nothing). For each version the OLDEST introducing commit
 * in the walk is kept: the bump commit, not a later fix-up that re-set the same version. The
 * walk is built once and serves V and every earlier version.
 *
 * Last resort. When nothing above checks out, an exact version tag (never a case-insensitive
 * match) whose commit's package.json carries an older release than V is taken: release tools
 * such as semantic-release set the version at publish and never commit it (immer's tag
 * v11.1.18 is on a commit that says 10.0.3-beta). A tag on a newer release, or a version that
 * history introduces, never gets here.
 *
 * Findings. ref-mismatch when the provenance commit, gitHead and the tag all exist, check out
 * and name different commits (one finding per disagreeing candidate, naming both commits);
 * ref-unreachable when the chosen commit (provenance or gitHead) is on no branch, tag or
 * remote-tracking ref; ref-unresolved when nothing checks out, and then hints->earlier is
 * tried (tags, then history; newest first) for compared_*, and res->subdir is then the package
 * folder at compared_commit. The caller copies res into the report's source/compared_with
 * fields; only findings are added here (report may be NULL: none are recorded).
 *
 * Hostile input. package.json blobs are parsed into a scratch context with the caller's
 * limits (a malformed one is simply not the package); blob sizes are read from the object
 * header before loading; gitHead and provenance must be hexadecimal object ids (never a
 * revision expression); tag names are looked up as exact reference names.
 */
#include "common/common.h"
#include "verifier/source/source_int.h"

#include <ctype.h>

size_t sg_resolve__max_commits = 20000;

#define MAX_TAGS 200000          /* tag names kept for case-insensitive matching */
#define MAX_TIPS 100000          /* refs considered for reachability */
#define MAX_EARLIER 500          /* earlier versions tried for compared_* */
#define MAX_FOLDERS 16           /* candidate package folders */
#define MAX_SEARCHES 16          /* tree searches per resolution */
#define SEARCH_DEPTH 6           /* folders below the root searched */
#define SEARCH_MAX_PKGJSON 500   /* package.json blobs read per search */
#define SEARCH_MAX_ENTRIES 50000 /* tree entries looked at per search */
#define MAX_VERSION_LEN 255      /* longer versions never match */
#define MAX_NAME_LEN 214         /* npm's limit on package names */
#define MAX_MEMO 4000000         /* entries of a memo table */

#define VER_NOT_PKG (-1) /* no package.json naming the package */
#define VER_UNKNOWN (-2) /* not in a memo table */

/* ------------------------------------------------------------------------------------------ */
/* A map from object ids to ints (open addressing)                                             */

typedef struct oidmap {
    git_oid *keys;       /**< slots */
    int *vals;           /**< values */
    unsigned char *used; /**< 1 when a slot holds a key */
    size_t cap;          /**< slots (a power of two) */
    size_t n;            /**< keys held */
} oidmap;

static size_t oid_slot(const oidmap *m, const git_oid *id)
{
    size_t h;
    memcpy(&h, id->id, sizeof(h));
    return h & (m->cap - 1);
}

static int oidmap_get(const oidmap *m, const git_oid *id)
{
    size_t i;

    if (!m->cap)
        return VER_UNKNOWN;
    for (i = oid_slot(m, id); m->used[i]; i = (i + 1) & (m->cap - 1))
        if (git_oid_equal(&m->keys[i], id))
            return m->vals[i];
    return VER_UNKNOWN;
}

static void oidmap_dispose(oidmap *m)
{
    sg_free(m->keys);
    sg_free(m->vals);
    sg_free(m->used);
    memset(m, 0, sizeof(*m));
}

static int oidmap_put(oidmap *m, const git_oid *id, int val);

static int oidmap_grow(oidmap *m)
{
    oidmap g = {NULL, NULL, NULL, m->cap ? m->cap * 2 : 1024, 0};
    size_t i;

    g.keys = sg_calloc(g.cap, sizeof(*g.keys));
    g.vals = sg_calloc(g.cap, sizeof(*g.vals));
    g.used = sg_calloc(g.cap, 1);
    if (!g.keys || !g.vals || !g.used) {
        oidmap_dispose(&g);
        return SG_ENOMEM;
    }
    for (i = 0; i < m->cap; i++)
        if (m->used[i])
            oidmap_put(&g, &m->keys[i], m->vals[i]);
    oidmap_dispose(m);
    *m = g;
    return 0;
}

/* Insert or replace. A full table (MAX_MEMO) silently stops remembering: it is a cache. */
static int oidmap_put(oidmap *m, const git_oid *id, int val)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap) {
        if (m->n >= MAX_MEMO)
            return 0;
        if (oidmap_grow(m) < 0)
            return SG_ENOMEM;
    }
    for (i = oid_slot(m, id); m->used[i]; i = (i + 1) & (m->cap - 1))
        if (git_oid_equal(&m->keys[i], id))
            break;
    if (!m->used[i]) {
        m->used[i] = 1;
        m->keys[i] = *id;
        m->n++;
    }
    m->vals[i] = val;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The resolver                                                                                */

typedef struct tagname {
    char *name;  /**< the tag, without refs/tags/ */
    char *lower; /**< ASCII-lowercased, the sort key */
} tagname;

typedef struct rs {
    sg_ctx *ctx;                /**< the caller's: real failures */
    sg_ctx *probe;              /**< scratch: hostile package.json parse errors */
    git_repository *repo;       /**< the repository */
    git_odb *odb;               /**< its object database */
    sg_buf *tried;              /**< res->tried */
    const char *name;           /**< package name */
    const char *unscoped;       /**< after the scope's '/' */
    uint64_t blob_limit;        /**< largest package.json read */
    char *folders[MAX_FOLDERS]; /**< candidate package folders ("" for the root) */
    size_t nfolders;            /**< used */
    size_t searches;            /**< tree searches done */
    oidmap blobs;               /**< package.json blob -> version index or VER_NOT_PKG */
    oidmap commits;             /**< commit -> version index or VER_NOT_PKG */
    char **versions;            /**< interned version strings */
    git_oid *first;             /**< per version: oldest commit introducing it */
    unsigned char *has_first;   /**< per version: first is set */
    size_t nversions;           /**< used */
    size_t capversions;         /**< allocated */
    int history_built;          /**< the walk ran */
    size_t walked;              /**< commits walked */
    int bound_hit;              /**< the walk stopped at the bound */
    tagname *tags;              /**< all tags, sorted by lower */
    size_t ntags;               /**< used */
    int tags_loaded;            /**< tags was filled */
    int allow_stale;            /**< the last pass: an exact version tag whose package.json
                                     carries an older release checks out */
} rs;

/* One candidate's outcome. */
typedef struct cand {
    git_oid id;        /**< the commit */
    int exists;        /**< the commit is in the repository */
    int ok;            /**< it checks out */
    char folder[1024]; /**< the package folder there */
    char ref[256];     /**< the tag, for tag candidates */
} cand;

static int dep_fail(rs *r, const char *what)
{
    const git_error *e = git_error_last();
    return sg_error_set(r->ctx, SG_EDEP, "%s: %s", what, e && e->message ? e->message : "failed");
}

static void short_id(char out[8], const git_oid *id)
{
    git_oid_tostr(out, 8, id);
}

/* s for res->tried and finding details: bytes outside printable ASCII become '?', at most
 * CLEAN_MAX bytes (then "..."). Versions, names, tags and ids come from hostile data; a
 * newline in one would forge a line of tried. */
#define CLEAN_MAX 128
typedef struct clean_str {
    char s[CLEAN_MAX + 4]; /**< the cleaned copy */
} clean_str;

static const char *clean(clean_str *out, const char *s)
{
    size_t i;

    for (i = 0; s[i] && i < CLEAN_MAX; i++)
        sg_show_byte(out->s + i, (unsigned char)s[i], SG_SHOW_QMARK);
    if (s[i])
        memcpy(out->s + i, "...", 3), i += 3;
    out->s[i] = '\0';
    return out->s;
}

/* Index of version v[0..len), interned. VER_NOT_PKG never; -3 for "too long". */
static int intern_version(rs *r, const char *v, size_t len, int *out)
{
    size_t i;

    if (len > MAX_VERSION_LEN) {
        v = "";
        len = 0; /* cannot equal any version we look for: stored as missing */
    }
    for (i = 0; i < r->nversions; i++)
        if (strlen(r->versions[i]) == len && memcmp(r->versions[i], v, len) == 0) {
            *out = (int)i;
            return 0;
        }
    if (r->nversions == r->capversions) {
        /* three parallel arrays, one capacity: each grows from the same old one */
        size_t capv = r->capversions, capf = r->capversions, caph = r->capversions;
        if (SG_ARRAY_GROW(r->versions, capv, r->nversions + 1, 64) < 0 ||
            SG_ARRAY_GROW(r->first, capf, r->nversions + 1, 64) < 0 ||
            SG_ARRAY_GROW(r->has_first, caph, r->nversions + 1, 64) < 0)
            return sg_error_set(r->ctx, SG_ENOMEM, "out of memory for versions");
        r->capversions = capv;
    }
    if ((r->versions[r->nversions] = sg_strndup(v, len)) == NULL)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory for versions");
    r->has_first[r->nversions] = 0;
    *out = (int)r->nversions++;
    return 0;
}

/* The version index of a package.json blob, or VER_NOT_PKG when it does not name the package
 * (or cannot be read as JSON, or is too large). */
static int blob_version(rs *r, const git_oid *id, int *out)
{
    git_blob *blob = NULL;
    cJSON *json = NULL;
    git_object_t type;
    size_t size;
    const char *name, *version;
    int error = 0, gerr;

    if ((*out = oidmap_get(&r->blobs, id)) != VER_UNKNOWN)
        return 0;
    *out = VER_NOT_PKG;
    gerr = git_odb_read_header(&size, &type, r->odb, id);
    if (gerr == GIT_ENOTFOUND || (gerr == 0 && (type != GIT_OBJECT_BLOB || size > r->blob_limit)))
        goto remember;
    if (gerr < 0 || git_blob_lookup(&blob, r->repo, id) < 0) {
        error = dep_fail(r, "cannot read a package.json blob");
        goto done;
    }
    if (sg_json_parse(&json, r->probe, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
                      "package.json in git") < 0) {
        sg_error_clear(r->probe);
        goto remember;
    }
    name = sg_json_str(json, "name");
    if (!name || strcmp(name, r->name) != 0)
        goto remember;
    version = sg_json_str(json, "version");
    if ((error = intern_version(r, version ? version : "", version ? strlen(version) : 0, out)) < 0)
        goto done;
remember:
    error = oidmap_put(&r->blobs, id, *out) < 0
                ? sg_error_set(r->ctx, SG_ENOMEM, "out of memory for the blob memo")
                : 0;
done:
    cJSON_Delete(json);
    git_blob_free(blob);
    return error;
}

/* The version of folder/package.json in tree, or VER_NOT_PKG. */
static int folder_version(rs *r, const git_tree *tree, const char *folder, int *out)
{
    git_tree_entry *e = NULL;
    char path[1100];
    int error = 0, gerr;

    *out = VER_NOT_PKG;
    snprintf(path, sizeof(path), "%s%spackage.json", folder, *folder ? "/" : "");
    gerr = git_tree_entry_bypath(&e, tree, path);
    if (gerr == GIT_ENOTFOUND)
        return 0;
    if (gerr < 0)
        return dep_fail(r, "cannot look up a package.json");
    if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
        error = blob_version(r, git_tree_entry_id(e), out);
    git_tree_entry_free(e);
    return error;
}

static int add_folder(rs *r, const char *folder)
{
    size_t i;

    for (i = 0; i < r->nfolders; i++)
        if (strcmp(r->folders[i], folder) == 0)
            return 0;
    if (r->nfolders == MAX_FOLDERS)
        return 0;
    if ((r->folders[r->nfolders] = sg_strdup(folder)) == NULL)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory for package folders");
    r->nfolders++;
    return 0;
}

/* ---- search ---- */

typedef struct qitem {
    git_oid id;     /**< a tree */
    char *path;     /**< its folder from the root */
    unsigned depth; /**< components in path */
} qitem;

typedef struct search {
    qitem *q;       /**< queue */
    size_t head;    /**< next to pop */
    size_t n;       /**< pushed */
    size_t cap;     /**< allocated */
    size_t entries; /**< tree entries seen */
    size_t pkgjson; /**< package.json blobs read */
} search;

static int search_push(rs *r, search *s, const git_oid *id, const char *dir, const char *name,
                       unsigned depth)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path;

    if (len >= sizeof(((cand *)0)->folder))
        return 0; /* would not fit res->subdir */
    if (SG_ARRAY_GROW(s->q, s->cap, s->n + 1, 64) < 0)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory for a tree search");
    if ((path = sg_malloc(len)) == NULL)
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory for a tree search");
    snprintf(path, len, "%s%s%s", dir, *dir ? "/" : "", name);
    s->q[s->n].id = *id;
    s->q[s->n].path = path;
    s->q[s->n].depth = depth;
    s->n++;
    return 0;
}

/* Look at one folder's entries: package.json first, then queue subfolders. *found is set to
 * 1 when this folder's package.json names the package. */
static int search_folder(rs *r, search *s, const git_tree *tree, const qitem *it, int *found)
{
    size_t i, count = git_tree_entrycount(tree);
    int error = 0, ver;

    for (i = 0; i < count && !*found; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *nm = git_tree_entry_name(e);
        if (++s->entries > SEARCH_MAX_ENTRIES)
            return 0;
        if (git_tree_entry_type(e) == GIT_OBJECT_BLOB && strcmp(nm, "package.json") == 0) {
            if (++s->pkgjson > SEARCH_MAX_PKGJSON)
                return 0;
            if ((error = blob_version(r, git_tree_entry_id(e), &ver)) < 0)
                return error;
            *found = ver != VER_NOT_PKG;
        } else if (git_tree_entry_type(e) == GIT_OBJECT_TREE && nm[0] != '.' &&
                   strcmp(nm, "node_modules") != 0 && it->depth < SEARCH_DEPTH) {
            if ((error = search_push(r, s, git_tree_entry_id(e), it->path, nm, it->depth + 1)) < 0)
                return error;
        }
    }
    return 0;
}

/* Breadth-first search of root for a folder whose package.json names the package. */
static int search_tree(rs *r, const git_tree *root, char *found_out, size_t found_size)
{
    search s;
    int error = 0, found = 0;
    size_t i;

    memset(&s, 0, sizeof(s));
    found_out[0] = '\0';
    r->searches++;
    if ((error = search_push(r, &s, git_tree_id(root), "", "", 0)) < 0)
        goto done;
    s.q[0].path[0] = '\0';
    while (s.head < s.n && !found && s.entries <= SEARCH_MAX_ENTRIES &&
           s.pkgjson <= SEARCH_MAX_PKGJSON) {
        qitem it = s.q[s.head++]; /* a copy: search_folder may move s.q when it grows */
        git_tree *tree = NULL;
        int gerr = git_tree_lookup(&tree, r->repo, &it.id);
        if (gerr == GIT_ENOTFOUND)
            continue;
        if (gerr < 0) {
            error = dep_fail(r, "cannot read a tree");
            goto done;
        }
        error = search_folder(r, &s, tree, &it, &found);
        git_tree_free(tree);
        if (error < 0)
            goto done;
        if (found)
            snprintf(found_out, found_size, "%s", it.path);
    }
done:
    for (i = 0; i < s.n; i++)
        sg_free(s.q[i].path);
    sg_free(s.q);
    return error < 0 ? error : found;
}

/* The package at a commit: its folder and version index (VER_NOT_PKG when not found). */
static int pkg_at(rs *r, const git_commit *c, char *folder_out, size_t folder_size, int *ver)
{
    git_tree *tree = NULL;
    char found[1024];
    size_t i;
    int error = 0;

    *ver = VER_NOT_PKG;
    folder_out[0] = '\0';
    if (git_commit_tree(&tree, c) < 0) {
        error = dep_fail(r, "cannot read a commit's tree");
        goto done;
    }
    for (i = 0; i < r->nfolders; i++) {
        if ((error = folder_version(r, tree, r->folders[i], ver)) < 0)
            goto done;
        if (*ver != VER_NOT_PKG) {
            snprintf(folder_out, folder_size, "%s", r->folders[i]);
            goto done;
        }
    }
    if (r->searches < MAX_SEARCHES) {
        if ((error = search_tree(r, tree, found, sizeof(found))) <= 0)
            goto done;
        error = 0;
        if ((error = add_folder(r, found)) < 0 || (error = folder_version(r, tree, found, ver)) < 0)
            goto done;
        snprintf(folder_out, folder_size, "%s", found);
    }
done:
    git_tree_free(tree);
    return error;
}

/* ------------------------------------------------------------------------------------------ */
/* Checking one candidate                                                                      */

static int version_is(const char *v, const char *want)
{
    if (strcmp(v, want) == 0)
        return 1;
    return (v[0] == 'v' || v[0] == '=') && strcmp(v + 1, want) == 0;
}

static int contains_ci(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (sg_strncasecmp(s, word, n) == 0)
            return 1;
    return 0;
}

static int is_placeholder(const char *v)
{
    const char *d = v[0] == 'v' ? v + 1 : v;

    if (strcmp(v, "0.0.0") == 0 || strncmp(v, "0.0.0-", 6) == 0 || strncmp(v, "0.0.0+", 6) == 0)
        return 1;
    if (isdigit((unsigned char)d[0]) || !v[0])
        return 0;
    return contains_ci(v, "do not") || contains_ci(v, "do-not") || contains_ci(v, "don't") ||
           contains_ci(v, "placeholder");
}

/* Is have a release older than want (both versions)? */
static int older_release(const char *have, const char *want)
{
    sg_semver a, b;
    return sg_semver_parse(&a, have, 1) == 0 && sg_semver_parse(&b, want, 1) == 0 &&
           sg_semver_cmp(&a, &b) < 0;
}

/* Check the commit (or tag object peeled to one) `id` for version `want`; append the outcome
 * ("1a2b3c4 ok", "not in the repository", ...) to tried. */
static int check(rs *r, cand *c, const char *want)
{
    git_object *obj = NULL, *peeled = NULL;
    clean_str c1, c2;
    char sid[8];
    int error = 0, gerr, ver;

    c->exists = c->ok = 0;
    c->folder[0] = '\0';
    gerr = git_object_lookup(&obj, r->repo, &c->id, GIT_OBJECT_ANY);
    if (gerr == GIT_ENOTFOUND) {
        sg_buf_puts(r->tried, "not in the repository\n");
        goto done;
    }
    if (gerr < 0) {
        error = dep_fail(r, "cannot read a candidate commit");
        goto done;
    }
    if ((gerr = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT)) < 0) {
        if (gerr == GIT_EPEEL || gerr == GIT_EINVALIDSPEC || gerr == GIT_ENOTFOUND) {
            sg_buf_printf(r->tried, "a %s, not a commit\n",
                          git_object_type2string(git_object_type(obj)));
            goto done;
        }
        error = dep_fail(r, "cannot read a candidate commit");
        goto done;
    }
    c->id = *git_object_id(peeled);
    c->exists = 1;
    short_id(sid, &c->id);
    if ((error = pkg_at(r, (git_commit *)peeled, c->folder, sizeof(c->folder), &ver)) < 0)
        goto done;
    if (ver == VER_NOT_PKG) {
        sg_buf_printf(r->tried, "%s has no package.json named '%s'\n", sid, clean(&c1, r->name));
    } else if (version_is(r->versions[ver], want)) {
        c->ok = 1;
        sg_buf_printf(r->tried, "%s ok\n", sid);
    } else if (is_placeholder(r->versions[ver])) {
        c->ok = 1;
        sg_buf_printf(r->tried, "%s ok (placeholder version '%s')\n", sid,
                      clean(&c1, r->versions[ver]));
    } else if (r->allow_stale && older_release(r->versions[ver], want)) {
        c->ok = 1;
        sg_buf_printf(r->tried,
                      "%s ok (its package.json still says '%s': the tag names %s and nothing "
                      "else does; release tools such as semantic-release set the version at "
                      "publish without committing it)\n",
                      sid, clean(&c1, r->versions[ver]), clean(&c2, want));
    } else if (!r->versions[ver][0]) {
        sg_buf_printf(r->tried, "%s has no version\n", sid);
    } else {
        sg_buf_printf(r->tried, "%s has version '%s', not %s\n", sid, clean(&c1, r->versions[ver]),
                      clean(&c2, want));
    }
done:
    git_object_free(peeled);
    git_object_free(obj);
    return error;
}

/* A provenance commit or gitHead: hexadecimal, 4 to 40 digits (never a revision expression). */
static int check_named(rs *r, cand *c, const char *how, const char *hex, const char *want)
{
    git_object *obj = NULL;
    clean_str cs;
    size_t len = strnlen(hex, 41), i;
    int gerr, error = 0;

    sg_buf_printf(r->tried, "%s: %s -> ", how, clean(&cs, hex));
    for (i = 0; i < len; i++)
        if (sg_hex_digit((unsigned char)hex[i]) < 0)
            break;
    if (len < 4 || len > 40 || i < len) {
        sg_buf_puts(r->tried, "not a commit id\n");
        return 0;
    }
    if (git_oid_fromstrn(&c->id, hex, len) < 0)
        return dep_fail(r, "cannot parse a commit id");
    if (len < 40) { /* an abbreviated id: find the object it names */
        gerr = git_object_lookup_prefix(&obj, r->repo, &c->id, len, GIT_OBJECT_ANY);
        if (gerr == GIT_EAMBIGUOUS) {
            sg_buf_puts(r->tried, "ambiguous\n");
            return 0;
        }
        if (gerr == GIT_ENOTFOUND) {
            sg_buf_puts(r->tried, "not in the repository\n");
            return 0;
        }
        if (gerr < 0)
            return dep_fail(r, "cannot look up a commit");
        c->id = *git_object_id(obj);
        git_object_free(obj);
    }
    error = check(r, c, want);
    return error;
}

/* ------------------------------------------------------------------------------------------ */
/* Tags                                                                                        */

static int tag_cmp(const void *a, const void *b)
{
    const tagname *x = a, *y = b;
    int d = strcmp(x->lower, y->lower);
    return d ? d : strcmp(x->name, y->name);
}

static char *lower_dup(const char *s)
{
    char *d = sg_strdup(s), *p;
    for (p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static int load_tags(rs *r)
{
    git_reference_iterator *it = NULL;
    const char *refname;
    size_t cap = 0;
    int error = 0, gerr;

    r->tags_loaded = 1;
    if (git_reference_iterator_glob_new(&it, r->repo, "refs/tags/*") < 0)
        return dep_fail(r, "cannot list tags");
    while ((gerr = git_reference_next_name(&refname, it)) == 0 && r->ntags < MAX_TAGS) {
        tagname t;
        if (SG_ARRAY_GROW(r->tags, cap, r->ntags + 1, 256) < 0)
            goto oom;
        t.name = sg_strdup(refname + 10);
        t.lower = lower_dup(refname + 10);
        r->tags[r->ntags++] = t;
        if (!t.name || !t.lower)
            goto oom;
    }
    if (gerr < 0 && gerr != GIT_ITEROVER && r->ntags < MAX_TAGS) {
        error = dep_fail(r, "cannot list tags");
        goto done;
    }
    if (r->ntags)
        qsort(r->tags, r->ntags, sizeof(*r->tags), tag_cmp);
    goto done;
oom:
    error = sg_error_set(r->ctx, SG_ENOMEM, "out of memory for tags");
done:
    git_reference_iterator_free(it);
    return error;
}

/* The tag names to look for, in DESIGN.md's order, without duplicates. */
static size_t tag_patterns(rs *r, const char *v, char pats[7][512])
{
    const char *fmt[7][2] = {
        {"v", NULL},         {"", NULL},         {r->name, "@"},     {r->unscoped, "@"},
        {r->unscoped, "-v"}, {"release-", NULL}, {"release/", NULL},
    };
    size_t n = 0, i, j;

    for (i = 0; i < 7; i++) {
        snprintf(pats[n], 512, "%s%s%s", fmt[i][0], fmt[i][1] ? fmt[i][1] : "", v);
        for (j = 0; j < n && strcmp(pats[j], pats[n]) != 0; j++)
            ;
        if (j == n)
            n++;
    }
    return n;
}

/* Peel refs/tags/<name> to its target object id; 0 when the tag does not exist. */
static int tag_target(rs *r, const char *name, git_oid *out)
{
    git_reference *ref = NULL;
    char full[600];
    int gerr, found = 0;

    snprintf(full, sizeof(full), "refs/tags/%s", name);
    gerr = git_reference_lookup(&ref, r->repo, full);
    if (gerr == GIT_ENOTFOUND || gerr == GIT_EINVALIDSPEC)
        return 0;
    if (gerr < 0)
        return dep_fail(r, "cannot read a tag");
    if (git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
        *out = *git_reference_target(ref);
        found = 1;
    }
    git_reference_free(ref);
    return found;
}

static int try_tag(rs *r, cand *c, const char *tag, const char *note, const char *want)
{
    clean_str cs;
    int found = tag_target(r, tag, &c->id);

    if (found <= 0)
        return found;
    sg_buf_printf(r->tried, "tag: %s%s -> ", clean(&cs, tag), note);
    /* a name too long for res->ref is not reported rather than reported cut */
    snprintf(c->ref, sizeof(c->ref), "%s", strlen(tag) < sizeof(c->ref) ? tag : "");
    found = check(r, c, want);
    return found < 0 ? found : 1;
}

/* Index of the first tag whose lowercased name is `low`, or ntags. */
static size_t tags_lower_bound(const rs *r, const char *low)
{
    size_t lo = 0, hi = r->ntags;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(r->tags[mid].lower, low) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first tag candidate for version `want` that checks out (c->ok), exact names first.
 * *any is set when at least one pattern named an existing tag. */
static int find_tag(rs *r, cand *c, const char *want, int *any)
{
    char pats[7][512];
    size_t n = tag_patterns(r, want, pats), i, k;
    int error;

    *any = 0;
    c->ok = 0;
    for (i = 0; i < n; i++) {
        if ((error = try_tag(r, c, pats[i], "", want)) < 0)
            return error;
        *any |= error;
        if (c->ok)
            return 0;
    }
    if (!r->tags_loaded && (error = load_tags(r)) < 0)
        return error;
    for (i = 0; i < n; i++) {
        char *low = lower_dup(pats[i]);
        if (!low)
            return sg_error_set(r->ctx, SG_ENOMEM, "out of memory for tags");
        for (k = tags_lower_bound(r, low); k < r->ntags && strcmp(r->tags[k].lower, low) == 0;
             k++) {
            if (strcmp(r->tags[k].name, pats[i]) == 0)
                continue; /* tried above */
            if ((error = try_tag(r, c, r->tags[k].name, " (case-insensitive)", want)) < 0) {
                sg_free(low);
                return error;
            }
            *any |= error;
            if (c->ok)
                break;
        }
        sg_free(low);
        if (c->ok)
            return 0;
    }
    return 0;
}

/* The first exact version tag (v{V}, {V}, {name}@{V}, ...) whose commit carries an older
 * release in package.json: the last resort before ref-unresolved. */
static int find_stale_tag(rs *r, cand *c, const char *want)
{
    char pats[7][512];
    size_t n = tag_patterns(r, want, pats), i;
    int error = 0;

    c->ok = 0;
    r->allow_stale = 1;
    for (i = 0; i < n && !c->ok && error >= 0; i++)
        error = try_tag(r, c, pats[i], " (last resort: an older version at the tag)", want);
    r->allow_stale = 0;
    return error < 0 ? error : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* History                                                                                     */

/* Version index of a commit (memoized), VER_NOT_PKG when the package is not there. */
static int commit_version(rs *r, const git_oid *id, int *ver)
{
    git_commit *c = NULL;
    char folder[1024];
    int error, gerr;

    if ((*ver = oidmap_get(&r->commits, id)) != VER_UNKNOWN)
        return 0;
    *ver = VER_NOT_PKG;
    gerr = git_commit_lookup(&c, r->repo, id);
    if (gerr == GIT_ENOTFOUND) /* a shallow or damaged mirror: a missing parent */
        goto remember;
    if (gerr < 0)
        return dep_fail(r, "cannot read a commit");
    if ((error = pkg_at(r, c, folder, sizeof(folder), ver)) < 0)
        goto done;
remember:
    error = oidmap_put(&r->commits, id, *ver) < 0
                ? sg_error_set(r->ctx, SG_ENOMEM, "out of memory for the commit memo")
                : 0;
done:
    git_commit_free(c);
    return error;
}

/* Does commit `id` (carrying version ver) introduce it: no parent carries ver? */
static int introduces(rs *r, const git_oid *id, int ver, int *yes)
{
    git_commit *c = NULL;
    unsigned i, n;
    int error = 0, pv;

    *yes = 0;
    if (git_commit_lookup(&c, r->repo, id) < 0)
        return dep_fail(r, "cannot read a commit");
    n = git_commit_parentcount(c);
    *yes = 1;
    for (i = 0; i < n && *yes; i++) {
        if ((error = commit_version(r, git_commit_parent_id(c, i), &pv)) < 0)
            break;
        if (pv == ver)
            *yes = 0;
    }
    git_commit_free(c);
    return error;
}

static int build_history(rs *r)
{
    static const char *const globs[] = {"refs/heads/*", "refs/tags/*", "refs/remotes/*"};
    git_revwalk *walk = NULL;
    git_oid id;
    size_t i;
    int error = 0, gerr, ver, yes;

    r->history_built = 1;
    if (git_revwalk_new(&walk, r->repo) < 0)
        return dep_fail(r, "cannot walk the history");
    git_revwalk_sorting(walk, GIT_SORT_TIME);
    for (i = 0; i < SG_ARRAY_SIZE(globs); i++)
        if (git_revwalk_push_glob(walk, globs[i]) < 0) {
            error = dep_fail(r, "cannot walk the history");
            goto done;
        }
    while ((gerr = git_revwalk_next(&id, walk)) == 0) {
        if (r->walked >= sg_resolve__max_commits) {
            r->bound_hit = 1;
            break;
        }
        r->walked++;
        if ((error = commit_version(r, &id, &ver)) < 0)
            goto done;
        if (ver == VER_NOT_PKG)
            continue;
        if ((error = introduces(r, &id, ver, &yes)) < 0)
            goto done;
        if (yes) { /* newest first: the last one seen is the oldest */
            r->first[ver] = id;
            r->has_first[ver] = 1;
        }
    }
    if (gerr < 0 && gerr != GIT_ITEROVER)
        error = dep_fail(r, "cannot walk the history");
done:
    git_revwalk_free(walk);
    return error;
}

/* The history candidate for `want` into c (c->ok when found). */
static int find_history(rs *r, cand *c, const char *want)
{
    clean_str cw;
    char sid[8];
    size_t i;
    int error;

    c->ok = 0;
    if (!r->history_built && (error = build_history(r)) < 0)
        return error;
    for (i = 0; i < r->nversions; i++)
        if (r->has_first[i] && version_is(r->versions[i], want))
            break;
    if (i == r->nversions) {
        sg_buf_printf(r->tried, "history: no commit carries version %s (walked %zu commits%s)\n",
                      clean(&cw, want), r->walked,
                      r->bound_hit ? ", the bound: older history not searched" : "");
        return 0;
    }
    c->id = r->first[i];
    short_id(sid, &c->id);
    sg_buf_printf(r->tried, "history: %s first carries version %s (walked %zu commits%s) -> ", sid,
                  clean(&cw, want), r->walked, r->bound_hit ? ", the bound" : "");
    c->ref[0] = '\0';
    return check(r, c, want);
}

/* ------------------------------------------------------------------------------------------ */
/* Reachability                                                                                */

static int reachable(rs *r, const git_oid *id, int *yes)
{
    static const char *const globs[] = {"refs/heads/*", "refs/tags/*", "refs/remotes/*"};
    git_reference_iterator *it = NULL;
    git_reference *ref = NULL;
    git_object *obj = NULL;
    git_oid *tips = NULL;
    size_t n = 0, cap = 0, g;
    int error = 0, gerr = 0;

    *yes = 0;
    for (g = 0; g < SG_ARRAY_SIZE(globs) && !*yes; g++) {
        if (git_reference_iterator_glob_new(&it, r->repo, globs[g]) < 0)
            goto fail;
        while (!*yes && n < MAX_TIPS && (gerr = git_reference_next(&ref, it)) == 0) {
            if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0) {
                if (SG_ARRAY_GROW(tips, cap, n + 1, 64) < 0) {
                    error = sg_error_set(r->ctx, SG_ENOMEM, "out of memory for refs");
                    goto done;
                }
                tips[n++] = *git_object_id(obj);
                *yes = git_oid_equal(id, git_object_id(obj));
                git_object_free(obj);
                obj = NULL;
            }
            git_reference_free(ref);
            ref = NULL;
        }
        if (gerr < 0 && gerr != GIT_ITEROVER)
            goto fail;
        git_reference_iterator_free(it);
        it = NULL;
    }
    if (!*yes && n) {
        gerr = git_graph_reachable_from_any(r->repo, id, tips, n);
        if (gerr < 0)
            goto fail;
        *yes = gerr;
    }
    goto done;
fail:
    error = dep_fail(r, "cannot check reachability");
done:
    git_object_free(obj);
    git_reference_free(ref);
    git_reference_iterator_free(it);
    sg_free(tips);
    return error;
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                       */

/* The validated hints->directory into out ("" for the root); 0 when refused (noted). */
static int directory_folder(rs *r, const char *dir, char *out, size_t out_size)
{
    sg_buf norm = SG_BUF_INIT;
    sg_path_status st;
    int dotted = 0, ok = 0;

    out[0] = '\0';
    st = sg_path_normalize(&norm, dir, strnlen(dir, out_size), 0, NULL, 0, &dotted, out_size - 1,
                           (size_t)sg_ctx_limit(r->ctx, SG_LIMIT_PATH_DEPTH));
    if (norm.error) {
        sg_buf_dispose(&norm);
        return sg_error_set(r->ctx, SG_ENOMEM, "out of memory for a folder name");
    }
    if (strlen(dir) >= out_size)
        st = SG_PATH_TOO_LONG;
    if (st == SG_PATH_OK || st == SG_PATH_EMPTY) {
        snprintf(out, out_size, "%s", st == SG_PATH_OK ? norm.ptr : "");
        ok = 1;
    } else {
        sg_buf q = SG_BUF_INIT;
        sg_source__quote_url(&q, dir);
        sg_buf_printf(r->tried, "directory: '%s' refused: %s\n", q.ptr, sg_path_status_phrase(st));
        sg_buf_dispose(&q);
    }
    sg_buf_dispose(&norm);
    return ok;
}

static void rs_dispose(rs *r)
{
    size_t i;

    for (i = 0; i < r->nfolders; i++)
        sg_free(r->folders[i]);
    for (i = 0; i < r->nversions; i++)
        sg_free(r->versions[i]);
    for (i = 0; i < r->ntags; i++) {
        sg_free(r->tags[i].name);
        sg_free(r->tags[i].lower);
    }
    sg_free(r->tags);
    sg_free(r->versions);
    sg_free(r->first);
    sg_free(r->has_first);
    oidmap_dispose(&r->blobs);
    oidmap_dispose(&r->commits);
    git_odb_free(r->odb);
    sg_ctx_free(r->probe);
}

static int rs_open(rs *r, sg_ctx *ctx, sg_git_repo *repo, const sg_release_hints *h, sg_buf *tried)
{
    char dir[1024], pkgs[MAX_NAME_LEN + 16];
    const char *slash;
    uint64_t json = sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE);
    size_t i;
    int error;

    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->tried = tried;
    if (!repo || !h || !h->name || !*h->name || !h->version || !*h->version)
        return sg_error_set(ctx, SG_EINVALID,
                            "resolution needs a repository, a name and a version");
    if (strlen(h->name) > MAX_NAME_LEN || strlen(h->version) > MAX_VERSION_LEN)
        return sg_error_set(ctx, SG_EINVALID, "package name or version too long to resolve");
    r->repo = sg_source__git(repo);
    r->name = h->name;
    slash = h->name[0] == '@' ? strchr(h->name, '/') : NULL;
    r->unscoped = slash && slash[1] ? slash + 1 : h->name;
    r->blob_limit = sg_ctx_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE);
    if (json < r->blob_limit)
        r->blob_limit = json;
    if (sg_ctx_new(&r->probe) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a context");
    for (i = 0; i < SG_LIMIT__COUNT; i++)
        sg_ctx_set_limit(r->probe, (sg_limit)i, sg_ctx_limit(ctx, (sg_limit)i));
    if (git_repository_odb(&r->odb, r->repo) < 0)
        return dep_fail(r, "cannot open the object database");
    if (h->directory && *h->directory) {
        if ((error = directory_folder(r, h->directory, dir, sizeof(dir))) < 0)
            return error;
        if (error > 0 && (error = add_folder(r, dir)) < 0)
            return error;
    }
    snprintf(pkgs, sizeof(pkgs), "packages/%s", r->unscoped);
    if ((error = add_folder(r, "")) < 0 || (error = add_folder(r, pkgs)) < 0)
        return error;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Deciding                                                                                    */

static void hex40(char out[41], const git_oid *id)
{
    git_oid_tostr(out, 41, id);
}

/* ref-mismatch for every other candidate that checks out and names another commit. */
static int mismatches(rs *r, sg_report *report, const cand *const *cs, const char *const *how,
                      size_t n, size_t chosen)
{
    clean_str ra, rb;
    char a[41], b[41];
    size_t i;
    int error;

    for (i = 0; i < n && report; i++) {
        if (i == chosen || !cs[i]->ok || git_oid_equal(&cs[i]->id, &cs[chosen]->id))
            continue;
        hex40(a, &cs[chosen]->id);
        hex40(b, &cs[i]->id);
        error =
            sg_report_addf(report, r->ctx, "ref-mismatch", NULL,
                           "%s%s%s%s names commit %s but %s%s%s%s names commit %s; using %s",
                           how[chosen], cs[chosen]->ref[0] ? " '" : "", clean(&ra, cs[chosen]->ref),
                           cs[chosen]->ref[0] ? "'" : "", a, how[i], cs[i]->ref[0] ? " '" : "",
                           clean(&rb, cs[i]->ref), cs[i]->ref[0] ? "'" : "", b, how[chosen]);
        if (error < 0)
            return error;
    }
    return 0;
}

static void tag_summary(rs *r, const char *want)
{
    char pats[7][512];
    size_t n = tag_patterns(r, want, pats), i;
    clean_str cp;

    sg_buf_puts(r->tried, "tag: none of ");
    for (i = 0; i < n; i++)
        sg_buf_printf(r->tried, "%s%s", i ? ", " : "", clean(&cp, pats[i]));
    sg_buf_puts(r->tried, " exists (also ignoring case)\n");
}

static void set_result(sg_resolution *res, const cand *c, const char *by, const cand *tag)
{
    hex40(res->commit, &c->id);
    res->resolved_by = by;
    snprintf(res->subdir, sizeof(res->subdir), "%s", c->folder);
    if (c->ref[0])
        snprintf(res->ref, sizeof(res->ref), "%s", c->ref);
    else if (tag && tag->ok && git_oid_equal(&tag->id, &c->id))
        snprintf(res->ref, sizeof(res->ref), "%s", tag->ref);
}

/* Earlier versions, newest first: the first that resolves by tag or history. */
static int resolve_earlier(rs *r, sg_resolution *res, const sg_release_hints *h)
{
    sg_buf scratch = SG_BUF_INIT, *saved = r->tried;
    clean_str ce;
    cand c;
    size_t i, tried = 0;
    int error = 0, any;

    memset(&c, 0, sizeof(c));
    r->tried = &scratch;
    for (i = 0; i < h->nearlier && tried < MAX_EARLIER; i++) {
        const char *e = h->earlier ? h->earlier[i] : NULL;
        if (!e || !*e || strlen(e) >= sizeof(res->compared_version))
            continue;
        tried++;
        sg_buf_clear(&scratch);
        c.ref[0] = '\0';
        if ((error = find_tag(r, &c, e, &any)) < 0)
            goto done;
        if (!c.ok && (error = find_history(r, &c, e)) < 0)
            goto done;
        if (!c.ok)
            continue;
        hex40(res->compared_commit, &c.id);
        snprintf(res->compared_ref, sizeof(res->compared_ref), "%s", c.ref);
        snprintf(res->compared_version, sizeof(res->compared_version), "%s", e);
        /* the folder to compare in: the package folder at the compared commit */
        snprintf(res->subdir, sizeof(res->subdir), "%s", c.folder);
        {
            const char *line = scratch.ptr, *nl;
            while (*line && (nl = strchr(line, '\n')) != NULL) {
                sg_buf_printf(saved, "earlier %s: %.*s\n", clean(&ce, e), (int)(nl - line), line);
                line = nl + 1;
            }
        }
        goto done;
    }
    if (h->nearlier)
        sg_buf_printf(saved, "earlier: none of %zu earlier versions resolves\n", tried);
done:
    r->tried = saved;
    if (scratch.error && !error)
        error = sg_buf_check(&scratch, r->ctx, "the candidates tried");
    sg_buf_dispose(&scratch);
    return error;
}

static int unresolved(rs *r, sg_resolution *res, const sg_release_hints *h, sg_report *report)
{
    clean_str cv;
    int error = 0;

    if (report)
        error = sg_report_addf(report, r->ctx, "ref-unresolved", NULL,
                               "no %stag, gitHead or history commit has version %s",
                               h->provenance_commit ? "provenance, " : "", clean(&cv, h->version));
    if (error < 0)
        return error;
    return resolve_earlier(r, res, h);
}

static int decide(rs *r, sg_resolution *res, const sg_release_hints *h, sg_report *report)
{
    static const char *const how[] = {"provenance", "gitHead", "tag"};
    cand prov, head, tag, hist;
    const cand *cs[3] = {&prov, &head, &tag};
    size_t i;
    int error, any = 0, yes;

    memset(&prov, 0, sizeof(prov));
    memset(&head, 0, sizeof(head));
    memset(&tag, 0, sizeof(tag));
    memset(&hist, 0, sizeof(hist));
    if (h->provenance_commit &&
        (error = check_named(r, &prov, "provenance", h->provenance_commit, h->version)) < 0)
        return error;
    if (h->git_head && (error = check_named(r, &head, "gitHead", h->git_head, h->version)) < 0)
        return error;
    if ((error = find_tag(r, &tag, h->version, &any)) < 0)
        return error;
    if (!any)
        tag_summary(r, h->version);
    for (i = 0; i < 3 && !cs[i]->ok; i++)
        ;
    if (i == 3) {
        if ((error = find_history(r, &hist, h->version)) < 0)
            return error;
        if (hist.ok) {
            set_result(res, &hist, "history", NULL);
            return 0;
        }
        /* Last: an exact version tag at a commit whose package.json never got the version
         * (semantic-release). Only exact names: no case-insensitive match is trusted here. */
        if ((error = find_stale_tag(r, &tag, h->version)) < 0)
            return error;
        if (!tag.ok)
            return unresolved(r, res, h, report);
        set_result(res, &tag, "tag", &tag);
        return 0;
    }
    set_result(res, cs[i], how[i], &tag);
    if ((error = mismatches(r, report, cs, how, 3, i)) < 0)
        return error;
    if (i < 2) { /* a tag is reachable by definition */
        if ((error = reachable(r, &cs[i]->id, &yes)) < 0)
            return error;
        if (!yes && report)
            error = sg_report_addf(report, r->ctx, "ref-unreachable", NULL,
                                   "%s commit %s is not reachable from any branch or tag", how[i],
                                   res->commit);
    }
    return error;
}

void sg_resolution_init(sg_resolution *res)
{
    memset(res, 0, sizeof(*res));
    sg_buf_init(&res->tried, (size_t)1 << 20);
}

void sg_resolution_dispose(sg_resolution *res)
{
    sg_buf_dispose(&res->tried);
}

int sg_resolve_commit(sg_resolution *res, sg_ctx *ctx, sg_git_repo *repo,
                      const sg_release_hints *hints, sg_report *report)
{
    rs r;
    int error;

    res->commit[0] = res->ref[0] = res->subdir[0] = '\0';
    res->compared_commit[0] = res->compared_ref[0] = res->compared_version[0] = '\0';
    res->resolved_by = NULL;
    if ((error = rs_open(&r, ctx, repo, hints, &res->tried)) < 0)
        goto done;
    if ((error = decide(&r, res, hints, report)) < 0)
        goto done;
    if ((error = sg_buf_check(&res->tried, ctx, "the candidates tried")) < 0)
        goto done;
    /* The report's source records every candidate tried (issue 3). */
    if (report) {
        const char *p = res->tried.ptr, *end = p + res->tried.size;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            char *line = n ? sg_strndup(p, n) : NULL;
            if (n && !line) {
                error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
                goto done;
            }
            if (line) {
                error = sg_report_list_add(report, ctx, SG_LIST_SOURCE_TRIED, line);
                sg_free(line);
                if (error < 0)
                    goto done;
            }
            p = nl ? nl + 1 : end;
        }
    }
done:
    rs_dispose(&r);
    return error;
}
