#include "common/common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "diff/diff_int.h"
#include "verifier/rebuild/rebuild_int.h"
#include "verifier/packlist/source_facts.h"
#include "verifier/source/git_int.h"
#include "verifier/verify_int.h"

/* Read the local tarball, refusing more than the tarball-bytes limit. */
static int read_tarball(sg_buf *out, sg_ctx *ctx, const char *path)
{
    sg_file_read_opts opts = SG_FILE_READ_OPTS_INIT;
    uint64_t limit = sg_ctx_limit(ctx, SG_LIMIT_TARBALL_BYTES);

    opts.limit_name = "tarball-bytes";
    return sg_file_read_ex(out, ctx, path, limit > SIZE_MAX ? SIZE_MAX : (size_t)limit, &opts);
}

/* The artifact's digests as the report gives them. */
typedef struct artifact_sums {
    char sha256[65];     /* hex */
    char integrity[100]; /* npm's integrity string: "sha512-" and 88 base64 characters */
} artifact_sums;

/* sha256 (hex) and npm's integrity string (sha512-<base64>) of the artifact bytes. */
static int artifact_sums_compute(artifact_sums *out, sg_ctx *ctx, const unsigned char *bytes,
                                 size_t len)
{
    unsigned char d256[32], d512[64];
    sg_hash h = SG_HASH_INIT;
    sg_buf integrity = SG_BUF_INIT;
    int error;

    if ((error = sg_sha256(d256, ctx, bytes, len)) < 0)
        return error;
    sg_sha256_hex(out->sha256, d256);
    if ((error = sg_hash_begin(&h, ctx, SG_HASH_SHA512)) < 0 ||
        (error = sg_hash_update(&h, ctx, bytes, len)) < 0 ||
        (error = sg_hash_end(&h, ctx, d512, NULL)) < 0)
        goto done;
    sg_buf_puts(&integrity, "sha512-");
    sg_base64_encode(&integrity, d512, sizeof(d512));
    if ((error = sg_buf_check(&integrity, ctx, "the integrity string")) < 0)
        goto done;
    snprintf(out->integrity, sizeof(out->integrity), "%s", integrity.ptr);
done:
    sg_hash_dispose(&h);
    sg_buf_dispose(&integrity);
    return error;
}

static int artifact_sums_report(sg_report *report, sg_ctx *ctx, const artifact_sums *sums)
{
    int error;
    if ((error = sg_report_set(report, ctx, SG_REPORT_ARTIFACT_SHA256, sums->sha256)) < 0)
        return error;
    return sg_report_set(report, ctx, SG_REPORT_ARTIFACT_INTEGRITY, sums->integrity);
}

/* package, version and purl from the artifact's package.json. */
static int identify_package(sg_report *report, sg_ctx *ctx, const sg_tree *artifact)
{
    const sg_entry *pj = sg_tree_find(artifact, "package.json");
    sg_buf bytes = SG_BUF_INIT, purl = SG_BUF_INIT;
    cJSON *doc = NULL;
    const char *name, *version;
    int error = 0;

    if (!pj)
        return sg_error_set(ctx, SG_EINVALID, "the artifact has no package.json");
    sg_buf_init(&bytes, (size_t)sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE));
    if ((error = sg_tree_read(&bytes, ctx, artifact, pj)) < 0 ||
        (error = sg_json_parse(&doc, ctx, bytes.ptr, bytes.size,
                               "package.json in the artifact")) < 0)
        goto done;
    if (!cJSON_IsObject(doc)) {
        error = sg_error_set(ctx, SG_EINVALID, "package.json in the artifact is not an object");
        goto done;
    }
    name = sg_json_str(doc, "name");
    version = sg_json_str(doc, "version");
    if ((error = sg_report_set(report, ctx, SG_REPORT_PACKAGE, name)) < 0 ||
        (error = sg_report_set(report, ctx, SG_REPORT_VERSION, version)) < 0)
        goto done;
    if (name && version) {
        /* npm's toPurl: the scope's '@' percent-encoded (FORMATS.md §6). */
        sg_purl_npm(&purl, name, version);
        if ((error = sg_buf_check(&purl, ctx, "the purl")) < 0 ||
            (error = sg_report_set(report, ctx, SG_REPORT_PURL, purl.ptr)) < 0)
            goto done;
    }
done:
    cJSON_Delete(doc);
    sg_buf_dispose(&bytes);
    sg_buf_dispose(&purl);
    return error;
}

/* A name the diff looks for at the root (root_license_copy in diff/tree_diff.c). */
static int is_root_copy_name(const char *path)
{
    return !strchr(path, '/') &&
           (sg_strncasecmp(path, "license", 7) == 0 || sg_strncasecmp(path, "licence", 7) == 0 ||
            sg_strncasecmp(path, "copying", 7) == 0);
}

/*
 * The repository root's top-level files a monorepo package may carry as copies (LICENSE),
 * hashed. Only those: other root files are never compared, and a mirror may lack their blobs.
 */
static int root_top_files(sg_tree **out, sg_ctx *ctx, const sg_tree *root)
{
    size_t i, n = sg_tree_count(root);
    unsigned char *keep = sg_calloc(n ? n : 1, 1);
    sg_tree *top = NULL;
    int error;

    *out = NULL;
    if (!keep)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    for (i = 0; i < n; i++)
        keep[i] = is_root_copy_name(sg_tree_entry(root, i)->path) ? 1 : 0;
    if ((error = sg_tree_select(&top, ctx, root, keep)) == 0)
        error = sg_tree_complete(out, ctx, top);
    sg_tree_free(top);
    sg_free(keep);
    return error;
}

/* ---------------------------------------------------------------- git blob ids */

/*
 * The git blob ids of the artifact's files. A source file whose blob has the id of the
 * artifact file at the same path holds the same bytes, so it is not read at all: git decides
 * that a file is unchanged the same way, and computes the id with collision detection
 * (SHA-1DC), as libgit2 does here. Only blobs that no checkout filter can change qualify
 * (sg_git__tree_raw_blob); an id that cannot be computed (a detected collision attack, a
 * file the tar backend does not hold in one piece) means the blob is read and hashed as
 * before. A later read of such a file still checks its bytes against the artifact's SHA-256.
 * In local mode both threads compute ids while nothing else is left to do (artifact_ids_work).
 */
enum { ID_UNKNOWN = 0, ID_SET = 1, ID_NONE = 2 };

typedef struct artifact_ids {
    const sg_tree *artifact; /* the tree the ids are of; NULL: no ids (read every blob) */
    unsigned char (*id)[20]; /* by artifact entry index */
    unsigned char *state;    /* by index: ID_UNKNOWN, ID_SET or ID_NONE */
    atomic_size_t next;      /* the next index artifact_ids_work() takes */
} artifact_ids;

static int artifact_ids_init(artifact_ids *ids, sg_ctx *ctx, const sg_tree *artifact)
{
    size_t n = sg_tree_count(artifact);

    memset(ids, 0, sizeof(*ids));
    atomic_init(&ids->next, 0);
    ids->id = sg_malloc((n ? n : 1) * sizeof(*ids->id));
    ids->state = sg_calloc(n ? n : 1, 1);
    if (!ids->id || !ids->state) {
        sg_free(ids->id);
        sg_free(ids->state);
        ids->id = NULL;
        ids->state = NULL;
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for git blob ids");
    }
    ids->artifact = artifact;
    return 0;
}

static void artifact_ids_dispose(artifact_ids *ids)
{
    sg_free(ids->id);
    sg_free(ids->state);
    ids->id = NULL;
    ids->state = NULL;
    ids->artifact = NULL;
}

/* The id of artifact entry i, computed once; a failure only means "no id" (read the blob). */
static void artifact_id(artifact_ids *ids, sg_ctx *ctx, size_t i)
{
    const sg_entry *e = sg_tree_entry(ids->artifact, i);
    const void *data;
    size_t len;

    if (ids->state[i] != ID_UNKNOWN)
        return;
    ids->state[i] = ID_NONE;
    if (sg_tree__view(&data, &len, ids->artifact, e) != 0)
        return;
    if (sg_git__blob_id(ids->id[i], ctx, data, len) == 0)
        ids->state[i] = ID_SET;
    else
        sg_error_clear(ctx);
}

/* Compute ids until none is left; any number of threads at once, each index taken once. */
static void artifact_ids_work(artifact_ids *ids, sg_ctx *ctx)
{
    size_t n = sg_tree_count(ids->artifact), i;

    while ((i = atomic_fetch_add(&ids->next, 1)) < n)
        artifact_id(ids, ctx, i);
}

/* sg_tree_same_fn: the artifact entry a git file is known to equal, by blob id. */
static int same_as_artifact(const sg_entry **same, void *arg, sg_ctx *ctx, const sg_tree *tree,
                            const sg_entry *e)
{
    artifact_ids *ids = arg;
    unsigned char blob[20];
    size_t i;

    *same = NULL;
    if (!ids || !ids->artifact || !sg_git__tree_raw_blob(blob, tree, e) ||
        (i = sg_tree_index(ids->artifact, e->path)) == SIZE_MAX)
        return 0;
    /* a blob over git-blob-size is read, so its refusal stays the same */
    if (sg_tree_entry(ids->artifact, i)->size > sg_ctx_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE))
        return 0;
    artifact_id(ids, ctx, i);
    if (ids->state[i] == ID_SET && memcmp(ids->id[i], blob, sizeof(blob)) == 0)
        *same = sg_tree_entry(ids->artifact, i);
    return 0;
}

/* The package folder's committed files that the packing rules left out but the artifact ships,
 * hashed: only those are read (a shipped file git holds is compared whatever the ignore rules
 * say). */
static int tracked_files(sg_tree **out, sg_ctx *ctx, const sg_tree *pkg, const sg_tree *packed,
                         const sg_tree *artifact, artifact_ids *ids)
{
    size_t i, n = sg_tree_count(pkg);
    unsigned char *keep = sg_calloc(n ? n : 1, 1);
    sg_tree *sel = NULL;
    int error;

    *out = NULL;
    if (!keep)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        const sg_entry *e = sg_tree_entry(pkg, i);
        keep[i] = e->kind != SG_ENTRY_SUBMODULE && strcmp(e->path, "package.json") != 0 &&
                  !sg_tree_find(packed, e->path) && sg_tree_find(artifact, e->path) != NULL;
    }
    if ((error = sg_tree_select(&sel, ctx, pkg, keep)) == 0)
        error = sg_tree__complete_with(out, ctx, sel, same_as_artifact, ids);
    sg_tree_free(sel);
    sg_free(keep);
    return error;
}

/* Normalized package folder: no leading/trailing slashes, no "." segments. */
static int normalize_subdir(sg_buf *out, sg_ctx *ctx, const char *subdir)
{
    sg_path_status st;
    if (!subdir || !*subdir)
        return 0;
    st = sg_path_normalize(out, subdir, strlen(subdir), 0, NULL, 0, NULL,
                           (size_t)sg_ctx_limit(ctx, SG_LIMIT_PATH_LENGTH),
                           (size_t)sg_ctx_limit(ctx, SG_LIMIT_PATH_DEPTH));
    if (st == SG_PATH_EMPTY)
        return 0;
    if (st != SG_PATH_OK)
        return sg_error_set(ctx, SG_EINVALID, "package folder '%s' %s", subdir,
                            sg_path_status_phrase(st));
    return sg_buf_check(out, ctx, "the package folder");
}

/* The artifact's tree, packer and identity in the report (its digests aside). */
static int artifact_tree(sg_tree **out, sg_report *report, sg_ctx *ctx, const unsigned char *bytes,
                         size_t len, const char *name)
{
    sg_tar_info info = {0};
    int error;

    *out = NULL;
    if ((error = sg_tar_read(out, &info, ctx, bytes, len, report)) < 0) {
        sg_error_wrap(ctx, "reading tarball '%s'", name);
        return error;
    }
    sg_report_set_count(report, SG_COUNT_ARTIFACT_FILES, sg_tree_count(*out));
    if ((error = sg_report_set(report, ctx, SG_REPORT_PACKER, sg_packer_name(info.packer))) < 0 ||
        (error = identify_package(report, ctx, *out)) < 0) {
        sg_tree_free(*out);
        *out = NULL;
    }
    return error;
}

int sg_verify__artifact(sg_tree **out, sg_report *report, sg_ctx *ctx, const unsigned char *bytes,
                        size_t len, const char *name)
{
    artifact_sums sums;
    int error;

    *out = NULL;
    if ((error = artifact_sums_compute(&sums, ctx, bytes, len)) < 0 ||
        (error = artifact_sums_report(report, ctx, &sums)) < 0)
        return error;
    return artifact_tree(out, report, ctx, bytes, len, name);
}

/* ---------------------------------------------------------------- rebuild */

/* What the rebuild is about: the artifact files git lacks or has with other bytes. */
typedef struct rebuild_state {
    unsigned char *candidate;         /* per artifact entry: git lacks it or has other bytes */
    size_t ncandidates;               /* how many */
    size_t unverified, code_modified; /* of them: possibly built; code with other bytes */
    sg_rebuild_result res;            /* the rebuild's outcome */
    sg_rebuild_result again;          /* the second, varied build's outcome (issue 15) */
    sg_rebuild_input in;              /* what was built */
    int ran;                          /* a rebuild was attempted (or skipped with a reason) */
    char note[1200];                  /* what possibly-built files' findings say about it */
    char unpinned[200];               /* the rebuild's install mode when no lockfile pinned it */
    const sg_entry **want;            /* the candidates git lacks (borrowed from the artifact):
                                         the rebuild tries further building scripts for the
                                         ones its pack lacks */
    size_t nwant;                     /* entries of want */
} rebuild_state;

/* Which artifact files the rebuild would settle, and does auto mode need it? */
static int prescan(rebuild_state *st, sg_ctx *ctx, const sg_tree *artifact, const sg_tree *packed,
                   sg_source_facts *facts, const sg_diff_opts *dopts)
{
    size_t i, n = sg_tree_count(artifact);
    if (!(st->candidate = sg_calloc(n ? n : 1, 1)) ||
        !(st->want = sg_calloc(n ? n : 1, sizeof(*st->want))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        const sg_entry *a = sg_tree_entry(artifact, i), *s;
        const char *why = NULL;
        if (strcmp(a->path, "package.json") == 0)
            continue;
        s = sg_tree_find(packed, a->path);
        if (!s && dopts->tracked)
            s = sg_tree_find(dopts->tracked, a->path); /* compared by bytes, not rules */
        if (!s || s->kind == SG_ENTRY_SUBMODULE) {
            st->candidate[i] = 1;
            st->want[st->nwant++] = a;
            if (dopts->possibly_built && dopts->possibly_built(facts, a->path, &why))
                st->unverified++;
        } else if (s->kind != a->kind || memcmp(s->sha256, a->sha256, 32) != 0) {
            st->candidate[i] = 1;
            if (sg_file_classify(a->path, a->head,
                                 a->size < SG_ENTRY_HEAD ? (size_t)a->size : SG_ENTRY_HEAD,
                                 a->exec ? 1 : 0) == SG_FILE_CODE)
                st->code_modified++;
        }
        st->ncandidates += st->candidate[i];
    }
    return 0;
}

static int list_steps(sg_report *report, sg_ctx *ctx, const sg_rebuild_result *res)
{
    size_t i;
    int error = 0;
    for (i = 0; i < res->nsteps && !error; i++)
        error = sg_report_list_add(report, ctx, SG_LIST_REBUILD, res->steps[i]);
    if (!error && res->log[0])
        error = sg_report_set(report, ctx, SG_REPORT_REBUILD_LOG, res->log);
    if (!error && res->status == SG_REBUILD_BUILT && res->recipe) { /* issue 15 */
        char *text = cJSON_PrintUnformatted(res->recipe);
        error = text ? sg_report_set(report, ctx, SG_REPORT_REBUILD_RECIPE, text)
                     : sg_error_set(ctx, SG_ENOMEM, "out of memory");
        cJSON_free(text);
    }
    return error;
}

/* Rebuild when the mode asks for it; the rebuilt tree goes into dopts. */
static int maybe_rebuild(rebuild_state *st, sg_report *report, sg_ctx *ctx,
                         const sg_rebuild_opts *ro, const sg_tree *artifact, const sg_tree *packed,
                         const sg_tree *root, sg_git_repo *repo, const char *subdir,
                         const char *commit, sg_source_facts *facts, sg_diff_opts *dopts)
{
    sg_rebuild_input *in = &st->in;
    int error;

    if ((error = prescan(st, ctx, artifact, packed, facts, dopts)) < 0)
        return error;
    if (ro->mode == SG_REBUILD_NEVER ||
        (ro->mode == SG_REBUILD_AUTO &&
         !(facts->has_build && (st->unverified || st->code_modified))))
        return 0;
    memset(in, 0, sizeof(*in));
    in->want = st->want;
    in->nwant = st->nwant;
    in->root = root;
    in->subdir = subdir ? subdir : "";
    in->name = sg_report_get(report, SG_REPORT_PACKAGE);
    in->version = sg_report_get(report, SG_REPORT_VERSION);
    in->commit = commit;
    in->repo = repo;
    in->ref = sg_report_get(report, SG_REPORT_SOURCE_REF);
    in->published = dopts->release_published; /* the install sees the registry as of then */
    in->repository = sg_report_get(report, SG_REPORT_SOURCE_REPOSITORY);
    if ((error = sg_rebuild__run(&st->res, ctx, ro, in)) < 0)
        return error;
    st->ran = 1;
    if ((error = list_steps(report, ctx, &st->res)) < 0)
        return error;
    switch (st->res.status) {
    case SG_REBUILD_BUILT: {
        const char *install = sg_json_str(st->res.recipe, "install");
        dopts->rebuilt = st->res.tree;
        dopts->rebuilt_dir = st->res.build_dir;
        if (install && strncmp(install, "not frozen", 10) == 0) {
            snprintf(st->unpinned, sizeof(st->unpinned), "%s", install);
            dopts->rebuilt_unpinned = st->unpinned;
        }
        snprintf(st->note, sizeof(st->note), "the rebuild did not make it");
        return 0;
    }
    case SG_REBUILD_FAILED:
        snprintf(st->note, sizeof(st->note), "the rebuild failed: %s", st->res.reason);
        if ((error = sg_report_set(report, ctx, SG_REPORT_REBUILD_STATUS, "failed")) < 0)
            return error;
        break;
    case SG_REBUILD_SKIPPED:
        snprintf(st->note, sizeof(st->note), "not rebuilt: %s", st->res.reason);
        if ((error = sg_report_set(report, ctx, SG_REPORT_REBUILD_STATUS, "skipped")) < 0)
            return error;
        break;
    }
    return sg_report_set(report, ctx, SG_REPORT_REBUILD_DETAIL, st->res.reason);
}

/*
 * Volatile tokens are established, not assumed (issue 15): when a rebuilt file differs from
 * the artifact only in numbers, hashes or dates, build a second time with variation; the diff
 * then tolerates only the tokens that differ between the two builds or are facts of the
 * release. An exact reproduction costs no second build.
 */
static int maybe_build_again(rebuild_state *st, sg_report *report, sg_ctx *ctx,
                             const sg_rebuild_opts *ro, const sg_tree *artifact,
                             sg_diff_opts *dopts)
{
    static const char varied[] = "another build path, TZ=Etc/GMT-14, LANG/LC_ALL=fr_CH.UTF-8, "
                                 "umask 0002, a later time";
    char line[1400];
    int needed, lines = 0, error;

    if (!dopts->rebuilt || (error = sg_diff__rebuild_tokens_only(
                                &needed, ctx, artifact, dopts->rebuilt, st->candidate)) < 0)
        return dopts->rebuilt ? error : 0;
    if (!needed && (error = sg_diff__rebuild_lines_differ(&lines, ctx, artifact, dopts->rebuilt,
                                                          st->candidate)) < 0)
        return error;
    if (!needed && !lines)
        return 0;
    st->in.variation = 1;
    error = sg_rebuild__run(&st->again, ctx, ro, &st->in);
    st->in.variation = 0;
    if (error < 0)
        return error;
    if (st->again.status == SG_REBUILD_BUILT) {
        dopts->rebuilt_again = st->again.tree;
        dopts->rebuilt_again_dir = st->again.build_dir;
        snprintf(line, sizeof(line), "ran (%s): built", varied);
    } else {
        snprintf(line, sizeof(line), "ran (%s): %s: %s", varied,
                 st->again.status == SG_REBUILD_FAILED ? "failed" : "skipped", st->again.reason);
    }
    if ((error = sg_report_set(report, ctx, SG_REPORT_REBUILD_SECOND, line)) < 0)
        return error;
    return sg_report_list_add(report, ctx, SG_LIST_REBUILD,
                              needed ? "second build: ran, because a rebuilt file differs from "
                                       "the artifact only in numbers, hashes or dates"
                                     : "second build: ran, because a rebuilt file has lines "
                                       "that differ from the artifact's (do honest builds "
                                       "vary there?)");
}

/* After the diff: how many of the files git does not explain did the rebuild reproduce? */
static int summarize_rebuild(rebuild_state *st, sg_report *report, sg_ctx *ctx,
                             const sg_tree *artifact)
{
    static const char volatile_prefix[] = "reproduced by the rebuild except volatile";
    static const char stripped_prefix[] = "only comments and blank lines were removed";
    static const char union_prefix[] = "reproduced by the rebuild except the order of union";
    static const char path_prefix[] = "reproduced by the rebuild except the build path";
    uint64_t reproduced = sg_report_count(report, SG_COUNT_FILES_REBUILT);
    size_t i, unexplained = 0, volatile_n = 0, path_n = 0, by_source = 0;
    char detail[1024], names[400] = "", source_note[64] = "";
    const char *status;

    for (i = 0; i < sg_report_finding_count(report); i++) {
        const sg_finding *f = sg_report_finding(report, i);
        size_t k;
        if (!f->path ||
            (strcmp(f->kind, "file-modified") != 0 && strcmp(f->kind, "file-added") != 0 &&
             strcmp(f->kind, "file-unverified") != 0))
            continue;
        k = sg_tree_index(artifact, f->path);
        if (k == (size_t)-1 || !st->candidate[k])
            continue;
        if (f->detail && strncmp(f->detail, volatile_prefix, sizeof(volatile_prefix) - 1) == 0) {
            volatile_n++;
            continue;
        }
        if (f->detail && strncmp(f->detail, union_prefix, sizeof(union_prefix) - 1) == 0)
            continue; /* reproduced under dts-union-order (diff/tree_diff.c) */
        if (f->detail && strncmp(f->detail, path_prefix, sizeof(path_prefix) - 1) == 0) {
            path_n++;
            continue;
        }
        if (f->detail && strncmp(f->detail, stripped_prefix, sizeof(stripped_prefix) - 1) == 0)
            continue; /* explained by the source, whatever the rebuild made */
        if (unexplained++ < 3 && strlen(names) + strlen(f->path) + 3 < sizeof(names))
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                     names[0] ? ", " : "", f->path);
    }
    status = unexplained == 0 ? "reproduced" : reproduced ? "partly-reproduced" : "not-reproduced";
    /* candidates neither rebuilt nor unexplained are the source's: comments stripped, a
     * workspace root's LICENSE, a case rename (or "2 of 3 reproduced" would read as a gap) */
    if (st->ncandidates > reproduced + unexplained)
        by_source = (size_t)(st->ncandidates - reproduced - unexplained);
    if (by_source)
        snprintf(source_note, sizeof(source_note), "; %zu explained by the source", by_source);
    snprintf(detail, sizeof(detail),
             "%llu of %zu files that git lacks or has with other bytes reproduced%s%s%s%s%s%s",
             (unsigned long long)reproduced, st->ncandidates,
             volatile_n ? " (some under volatile-tokens)" : "",
             path_n ? " (some under build-path)" : "", source_note,
             unexplained ? "; not: " : "", names, unexplained > 3 ? ", ..." : "");
    if (sg_report_set(report, ctx, SG_REPORT_REBUILD_STATUS, status) < 0 ||
        sg_report_set(report, ctx, SG_REPORT_REBUILD_DETAIL, detail) < 0)
        return SG_ENOMEM;
    return 0;
}

static void rebuild_state_dispose(rebuild_state *st)
{
    sg_free(st->candidate);
    sg_free(st->want);
    sg_rebuild__result_dispose(&st->res);
    sg_rebuild__result_dispose(&st->again);
}

int sg_verify__compare(sg_report *report, sg_ctx *ctx, const sg_tree *artifact, sg_git_repo *repo,
                       const char *commit, const char *subdir)
{
    return sg_verify__compare_ext(report, ctx, artifact, repo, commit, subdir, NULL);
}

int sg_verify__compare_ext(sg_report *report, sg_ctx *ctx, const sg_tree *artifact,
                           sg_git_repo *repo, const char *commit, const char *subdir,
                           const sg_rebuild_opts *rebuild)
{
    return sg_verify__compare_release(report, ctx, artifact, repo, commit, subdir, rebuild, NULL);
}

/* The commit's side of a comparison: listed lazily, only the packed files read and hashed. */
typedef struct source_side {
    sg_tree *pkg;      /* the package folder, listed (lazy) */
    sg_tree *root;     /* the repository root, listed (lazy), when the package is in a folder */
    sg_tree *selected; /* what npm's packing rules keep of pkg */
    sg_tree *packed;   /* selected with every file read and hashed */
} source_side;

static void source_side_dispose(source_side *src)
{
    sg_tree_free(src->packed);
    sg_tree_free(src->selected);
    sg_tree_free(src->pkg);
    sg_tree_free(src->root);
    memset(src, 0, sizeof(*src));
}

/* List the commit's trees and apply npm's packing rules (norm: normalized). Nothing packed is
 * read yet: source_side_complete() does that. */
static int source_side_list(source_side *src, sg_ctx *ctx, sg_git_repo *repo, const char *commit,
                            const char *norm)
{
    sg_packlist_opts popts = SG_PACKLIST_OPTS_INIT;
    int error;

    memset(src, 0, sizeof(*src));
    if ((error = sg_git_tree_ext(&src->pkg, ctx, repo, commit, norm, SG_GIT_TREE_LAZY)) < 0)
        return error;
    if (*norm && (error = sg_git_tree_ext(&src->root, ctx, repo, commit, "", SG_GIT_TREE_LAZY)) < 0)
        return error;
    if ((error = sg_packlist_npm(&src->selected, ctx, src->pkg, &popts)) < 0)
        sg_error_wrap(ctx, "applying npm's packing rules to commit %.12s", commit);
    return error;
}

/* The packed files' sizes and digests: a file with the blob id of the artifact's file at its
 * path takes the artifact's, the others are read and hashed. */
static int source_side_complete(source_side *src, sg_ctx *ctx, artifact_ids *ids)
{
    return sg_tree__complete_with(&src->packed, ctx, src->selected, same_as_artifact, ids);
}

/* The comparison proper, on a loaded source side (norm: the normalized package folder). */
static int compare_loaded(sg_report *report, sg_ctx *ctx, const sg_tree *artifact,
                          sg_git_repo *repo, const char *commit, const char *norm,
                          const sg_rebuild_opts *rebuild, const char *published,
                          const source_side *src, artifact_ids *ids)
{
    rebuild_state rs;
    sg_tree *root_top = NULL, *tracked = NULL;
    const sg_tree *tree = src->root ? src->root : src->pkg;
    sg_source_facts facts = SG_SOURCE_FACTS_INIT;
    sg_diff_opts dopts = SG_DIFF_OPTS_INIT;
    int error;

    memset(&rs, 0, sizeof(rs));
    if ((error = sg_source_facts_init(&facts, ctx, tree, src->pkg, norm)) < 0)
        goto done;
    sg_source_facts_diff_opts(&facts, &dopts);
    dopts.release_version = sg_report_get(report, SG_REPORT_VERSION);
    if (src->root && (error = root_top_files(&root_top, ctx, src->root)) < 0)
        goto done;
    dopts.root_files = root_top;
    if ((error = tracked_files(&tracked, ctx, src->pkg, src->packed, artifact, ids)) < 0)
        goto done;
    dopts.tracked = tracked;
    if (rebuild && rebuild->mode != SG_REBUILD_NEVER) {
        dopts.release_commit = commit;
        dopts.release_published = published;
        if ((error = maybe_rebuild(&rs, report, ctx, rebuild, artifact, src->packed, tree, repo,
                                   norm, commit, &facts, &dopts)) < 0 ||
            (error = maybe_build_again(&rs, report, ctx, rebuild, artifact, &dopts)) < 0)
            goto done;
        if (rs.ran)
            facts.rebuild_note = rs.note;
    }
    if ((error = sg_diff_trees(report, ctx, src->packed, artifact, &dopts)) < 0)
        goto done;
    if (rs.ran && rs.res.status == SG_REBUILD_BUILT)
        error = summarize_rebuild(&rs, report, ctx, artifact);
done:
    rebuild_state_dispose(&rs);
    sg_source_facts_dispose(&facts);
    sg_tree_free(root_top);
    sg_tree_free(tracked);
    return error;
}

int sg_verify__compare_release(sg_report *report, sg_ctx *ctx, const sg_tree *artifact,
                               sg_git_repo *repo, const char *commit, const char *subdir,
                               const sg_rebuild_opts *rebuild, const char *published)
{
    source_side src;
    artifact_ids ids;
    sg_buf norm = SG_BUF_INIT;
    int error;

    memset(&src, 0, sizeof(src));
    memset(&ids, 0, sizeof(ids));
    if ((error = normalize_subdir(&norm, ctx, subdir)) < 0 ||
        (error = source_side_list(&src, ctx, repo, commit, norm.ptr ? norm.ptr : "")) < 0 ||
        (error = artifact_ids_init(&ids, ctx, artifact)) < 0 ||
        (error = source_side_complete(&src, ctx, &ids)) < 0)
        goto done;
    error = compare_loaded(report, ctx, artifact, repo, commit, norm.ptr ? norm.ptr : "", rebuild,
                           published, &src, &ids);
done:
    artifact_ids_dispose(&ids);
    source_side_dispose(&src);
    sg_buf_dispose(&norm);
    return error;
}

/*
 * Local mode reads the source on a thread of its own while the calling thread reads the
 * tarball: libgit2's initialization, the tree listing and the packing rules on one core,
 * decompressing and hashing the tarball on the other. When the thread is done with the source
 * and the artifact is read, both compute the artifact files' git blob ids (artifact_ids_work)
 * until none is left; the calling thread then completes the source side (reading only the
 * blobs whose ids differ) and compares.
 */
typedef struct local_handoff {
    pthread_mutex_t lock;     /* guards state */
    pthread_cond_t ready;     /* signalled when state leaves 0 */
    int state;                /* 0 while the artifact is read, 1 read (ids set), -1 failed */
    artifact_ids *ids;        /* the ids to help with, once state is 1 */
    const unsigned char *tgz; /* the tarball's bytes, for their digests */
    size_t tgz_len;           /* their length */
    atomic_flag sums_claimed; /* set by the thread that computes the digests */
    artifact_sums sums;       /* the digests, read after the join */
    int sums_error;           /* their computation's result */
    char sums_message[512];   /* its error message */
} local_handoff;

/* Compute the tarball's digests unless the other thread took them already: whichever thread
 * is free first does (the source side is usually done before the tarball is decompressed). */
static void local_sums_claim(local_handoff *h, sg_ctx *ctx)
{
    if (atomic_flag_test_and_set(&h->sums_claimed))
        return;
    h->sums_error = artifact_sums_compute(&h->sums, ctx, h->tgz, h->tgz_len);
    if (h->sums_error < 0)
        snprintf(h->sums_message, sizeof(h->sums_message), "%s", sg_error_message(ctx));
}

typedef struct local_source {
    sg_ctx *ctx;              /* the thread's own errors, with the caller's limits */
    const char *path;         /* --source */
    const char *ref;          /* --ref, or "HEAD" */
    const char *norm;         /* the normalized package folder ("" at the root) */
    local_handoff *handoff;   /* where the artifact's ids are offered; NULL when run inline */
    sg_git_repo *repo;        /* opened */
    char commit[41];          /* ref resolved */
    source_side side;         /* listed */
    int error;                /* the thread's result */
} local_source;

/* Wait for the artifact, then help computing its blob ids (a failed artifact: nothing). */
static void local_source_help(local_source *ls)
{
    local_handoff *h = ls->handoff;
    int state;

    pthread_mutex_lock(&h->lock);
    while (h->state == 0)
        pthread_cond_wait(&h->ready, &h->lock);
    state = h->state;
    pthread_mutex_unlock(&h->lock);
    if (state == 1)
        artifact_ids_work(h->ids, ls->ctx);
}

static void *local_source_run(void *arg)
{
    local_source *ls = arg;
    int error;
    if ((error = sg_git_repo_open(&ls->repo, ls->ctx, ls->path)) == 0 &&
        (error = sg_git_resolve(ls->commit, ls->ctx, ls->repo, ls->ref)) == 0)
        error = source_side_list(&ls->side, ls->ctx, ls->repo, ls->commit, ls->norm);
    ls->error = error;
    if (error == 0 && ls->handoff) {
        local_sums_claim(ls->handoff, ls->ctx);
        local_source_help(ls);
    }
    return NULL;
}

/* Offer the artifact's ids to the source thread (ids NULL: the artifact failed). */
static void local_handoff_offer(local_handoff *h, artifact_ids *ids)
{
    pthread_mutex_lock(&h->lock);
    h->ids = ids;
    h->state = ids ? 1 : -1;
    pthread_cond_broadcast(&h->ready);
    pthread_mutex_unlock(&h->lock);
}

/* Start the source side on a thread (1), or report that it must run inline (0). */
static int local_source_start(pthread_t *thread, local_source *ls, sg_ctx *ctx)
{
    size_t l;
    if (sg_ctx_new(&ls->ctx) < 0)
        return 0;
    for (l = 0; l < SG_LIMIT__COUNT; l++)
        (void)sg_ctx_set_limit(ls->ctx, (sg_limit)l, sg_ctx_limit(ctx, (sg_limit)l));
    if (pthread_create(thread, NULL, local_source_run, ls) != 0) {
        sg_ctx_free(ls->ctx);
        ls->ctx = NULL;
        return 0;
    }
    return 1;
}

/* The source side's outcome in the caller's ctx. */
static int local_source_result(local_source *ls, sg_ctx *ctx)
{
    if (ls->error < 0)
        return sg_error_set(ctx, ls->error, "%s", sg_error_message(ls->ctx));
    return 0;
}

static int local_report_source(sg_report *report, sg_ctx *ctx, const sg_verify_opts *opts,
                               const char *commit, const char *subdir)
{
    int error;
    if ((error = sg_report_set(report, ctx, SG_REPORT_SOURCE_REPOSITORY, opts->source)) < 0 ||
        (error = sg_report_set(report, ctx, SG_REPORT_SOURCE_COMMIT, commit)) < 0 ||
        (error = sg_report_set(report, ctx, SG_REPORT_SOURCE_REF, opts->ref ? opts->ref : "HEAD")) <
            0 ||
        (error = sg_report_set(report, ctx, SG_REPORT_SOURCE_RESOLVED_BY, "argument")) < 0)
        return error;
    return sg_report_set(report, ctx, SG_REPORT_SOURCE_SUBDIR, subdir);
}

int sg_verify_local(sg_report **out, sg_ctx *ctx, const sg_verify_opts *opts)
{
    sg_report *report = NULL;
    sg_tree *artifact = NULL;
    sg_buf subdir = SG_BUF_INIT, tarball = SG_BUF_INIT;
    local_handoff handoff = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL};
    artifact_ids ids;
    local_source ls;
    pthread_t thread;
    int error, threaded = 0;

    *out = NULL;
    memset(&ls, 0, sizeof(ls));
    memset(&ids, 0, sizeof(ids));
    if (!opts || !opts->tarball_path || !opts->source)
        return sg_error_set(ctx, SG_EINVALID, "local mode needs a tarball and a source");
    if ((error = sg_report_new(&report, ctx)) < 0)
        return error;
    if ((error = normalize_subdir(&subdir, ctx, opts->subdir)) < 0 ||
        (error = read_tarball(&tarball, ctx, opts->tarball_path)) < 0 ||
        (error = sg_report_set(report, ctx, SG_REPORT_ARTIFACT_URL, opts->tarball_path)) < 0)
        goto done;
    ls.path = opts->source;
    ls.ref = opts->ref ? opts->ref : "HEAD";
    ls.norm = subdir.ptr ? subdir.ptr : "";
    ls.handoff = &handoff;
    handoff.tgz = (const unsigned char *)tarball.ptr;
    handoff.tgz_len = tarball.size;
    atomic_flag_clear(&handoff.sums_claimed);
    threaded = local_source_start(&thread, &ls, ctx);

    /* The tarball's tree (here), the source (on the thread); then the tarball's digests (by the
     * thread free first) and the blob ids (both). */
    if ((error = artifact_tree(&artifact, report, ctx, handoff.tgz, handoff.tgz_len,
                               opts->tarball_path)) == 0)
        error = artifact_ids_init(&ids, ctx, artifact);
    if (threaded) {
        local_handoff_offer(&handoff, error == 0 ? &ids : NULL);
        if (error == 0) {
            local_sums_claim(&handoff, ctx);
            artifact_ids_work(&ids, ctx);
        }
        (void)pthread_join(thread, NULL);
    }
    if (error < 0)
        goto done; /* the artifact's error comes first, as when the two ran in turn */
    if (threaded) {
        error = local_source_result(&ls, ctx);
    } else {
        ls.ctx = ctx; /* no thread: the source side runs here, with nobody to help */
        ls.handoff = NULL;
        (void)local_source_run(&ls);
        ls.ctx = NULL;
        error = ls.error;
    }
    if (error == 0) {
        local_sums_claim(&handoff, ctx); /* when no thread took them */
        if (handoff.sums_error < 0)
            error = sg_error_set(ctx, handoff.sums_error, "%s", handoff.sums_message);
    }
    if (error < 0 || (error = artifact_sums_report(report, ctx, &handoff.sums)) < 0 ||
        (error = source_side_complete(&ls.side, ctx, &ids)) < 0)
        goto done;

    if ((error = local_report_source(report, ctx, opts, ls.commit, subdir.ptr)) < 0 ||
        (error = compare_loaded(report, ctx, artifact, ls.repo, ls.commit, ls.norm, opts->rebuild,
                                NULL, &ls.side, &ids)) < 0)
        goto done;
    sg_report_decide(report, opts->fail_on);
    *out = report;
    report = NULL;
done:
    sg_report_free(report);
    artifact_ids_dispose(&ids);
    sg_tree_free(artifact);
    source_side_dispose(&ls.side);
    sg_git_repo_free(ls.repo);
    sg_ctx_free(ls.ctx);
    sg_buf_dispose(&tarball);
    sg_buf_dispose(&subdir);
    return error;
}
