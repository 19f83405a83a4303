/*
 * libgit2's functions the executable calls, forwarded to libgit2 loaded on first use
 * (ondemand.c says why and how). In a local verify the first call is made by the source
 * side's thread, so the loading overlaps with the tarball work of the main thread.
 *
 * Variadic functions. git_libgit2_opts(option, ...) reads arguments whose types the option
 * says (git2/common.h documents each); it is forwarded through opt_args below, and an option
 * that table does not know ends the run (exit 4) rather than guessing its arguments.
 */
#include <git2.h>
#include <git2/sys/config.h>
#include <git2/sys/repository.h>

#include "ondemand_int.h"

#include <stdarg.h>
#include <sys/types.h>

/* Not clang-formatted: in a macro argument it takes "T **p" for a product. */
// clang-format off
FORWARD_VOID(git, git_blob_free, (git_blob *blob), (blob))
FORWARD(git, int, git_blob_lookup, (git_blob **blob, git_repository *repo, const git_oid *id),
        (blob, repo, id))
FORWARD(git, const void *, git_blob_rawcontent, (const git_blob *blob), (blob))
FORWARD(git, git_object_size_t, git_blob_rawsize, (const git_blob *blob), (blob))
FORWARD_VOID(git, git_buf_dispose, (git_buf *buffer), (buffer))
FORWARD_VOID(git, git_commit_free, (git_commit *commit), (commit))
FORWARD(git, int, git_commit_lookup, (git_commit **commit, git_repository *repo, const git_oid *id),
        (commit, repo, id))
FORWARD(git, const git_oid *, git_commit_parent_id, (const git_commit *commit, unsigned int n),
        (commit, n))
FORWARD(git, unsigned int, git_commit_parentcount, (const git_commit *commit), (commit))
FORWARD(git, int, git_commit_tree, (git_tree **tree_out, const git_commit *commit),
        (tree_out, commit))
FORWARD(git, const git_oid *, git_commit_tree_id, (const git_commit *commit), (commit))
FORWARD(git, int, git_config_add_backend,
        (git_config *cfg, git_config_backend *file, git_config_level_t level,
         const git_repository *repo, int force),
        (cfg, file, level, repo, force))
FORWARD(git, int, git_config_delete_multivar,
        (git_config *cfg, const char *name, const char *regexp), (cfg, name, regexp))
FORWARD_VOID(git, git_config_free, (git_config *cfg), (cfg))
FORWARD(git, int, git_config_get_string_buf,
        (git_buf *out, const git_config *cfg, const char *name), (out, cfg, name))
FORWARD(git, int, git_config_init_backend, (git_config_backend *backend, unsigned int version),
        (backend, version))
FORWARD_VOID(git, git_config_iterator_free, (git_config_iterator *iter), (iter))
FORWARD(git, int, git_config_multivar_iterator_new,
        (git_config_iterator **out, const git_config *cfg, const char *name, const char *regexp),
        (out, cfg, name, regexp))
FORWARD(git, int, git_config_new, (git_config **out), (out))
FORWARD(git, int, git_config_next, (git_config_entry **entry, git_config_iterator *iter),
        (entry, iter))
FORWARD(git, int, git_config_set_multivar,
        (git_config *cfg, const char *name, const char *regexp, const char *value),
        (cfg, name, regexp, value))
FORWARD(git, int, git_config_set_string, (git_config *cfg, const char *name, const char *value),
        (cfg, name, value))
FORWARD(git, int, git_credential_ssh_key_from_agent, (git_credential **out, const char *username),
        (out, username))
FORWARD_VOID(git, git_error_clear, (void), ())
FORWARD(git, const git_error *, git_error_last, (void), ())
FORWARD_VOID(git, git_error_set_oom, (void), ())
FORWARD(git, int, git_error_set_str, (int error_class, const char *string), (error_class, string))
FORWARD(git, int, git_filter_list_apply_to_blob,
        (git_buf *out, git_filter_list *filters, git_blob *blob), (out, filters, blob))
FORWARD_VOID(git, git_filter_list_free, (git_filter_list *filters), (filters))
FORWARD(git, int, git_filter_list_load_ext,
        (git_filter_list **filters, git_repository *repo, git_blob *blob, const char *path,
         git_filter_mode_t mode, git_filter_options *opts),
        (filters, repo, blob, path, mode, opts))
FORWARD(git, int, git_graph_reachable_from_any,
        (git_repository *repo, const git_oid *commit, const git_oid descendant_array[],
         size_t length),
        (repo, commit, descendant_array, length))
FORWARD_VOID(git, git_index_free, (git_index *index), (index))
FORWARD(git, int, git_index_new, (git_index **out), (out))
FORWARD(git, int, git_index_read_tree, (git_index *index, const git_tree *tree), (index, tree))
FORWARD(git, int, git_index_write, (git_index *index), (index))
FORWARD(git, int, git_libgit2_init, (void), ())
FORWARD_VOID(git, git_object_free, (git_object *object), (object))
FORWARD(git, const git_oid *, git_object_id, (const git_object *obj), (obj))
FORWARD(git, int, git_object_lookup,
        (git_object **object, git_repository *repo, const git_oid *id, git_object_t type),
        (object, repo, id, type))
FORWARD(git, int, git_object_lookup_prefix,
        (git_object **object_out, git_repository *repo, const git_oid *id, size_t len,
         git_object_t type),
        (object_out, repo, id, len, type))
FORWARD(git, int, git_object_peel,
        (git_object **peeled, const git_object *object, git_object_t target_type),
        (peeled, object, target_type))
FORWARD(git, git_object_t, git_object_type, (const git_object *obj), (obj))
FORWARD(git, const char *, git_object_type2string, (git_object_t type), (type))
FORWARD(git, int, git_odb_exists, (git_odb *db, const git_oid *id), (db, id))
FORWARD_VOID(git, git_odb_free, (git_odb *db), (db))
FORWARD(git, int, git_odb_hash, (git_oid *out, const void *data, size_t len, git_object_t type),
        (out, data, len, type))
FORWARD(git, const void *, git_odb_object_data, (git_odb_object *object), (object))
FORWARD_VOID(git, git_odb_object_free, (git_odb_object *object), (object))
FORWARD(git, size_t, git_odb_object_size, (git_odb_object *object), (object))
FORWARD(git, git_object_t, git_odb_object_type, (git_odb_object *object), (object))
FORWARD(git, int, git_odb_read, (git_odb_object **out, git_odb *db, const git_oid *id),
        (out, db, id))
FORWARD(git, int, git_odb_read_header,
        (size_t *len_out, git_object_t *type_out, git_odb *db, const git_oid *id),
        (len_out, type_out, db, id))
FORWARD(git, int, git_odb_refresh, (struct git_odb *db), (db))
FORWARD(git, int, git_odb_write,
        (git_oid *out, git_odb *odb, const void *data, size_t len, git_object_t type),
        (out, odb, data, len, type))
FORWARD(git, int, git_oid_cpy, (git_oid *out, const git_oid *src), (out, src))
FORWARD(git, int, git_oid_equal, (const git_oid *a, const git_oid *b), (a, b))
FORWARD(git, int, git_oid_fromstr, (git_oid *out, const char *str), (out, str))
FORWARD(git, int, git_oid_fromstrn, (git_oid *out, const char *str, size_t length),
        (out, str, length))
FORWARD(git, char *, git_oid_tostr, (char *out, size_t n, const git_oid *id), (out, n, id))
FORWARD(git, int, git_reference_create,
        (git_reference **out, git_repository *repo, const char *name, const git_oid *id, int force,
         const char *log_message),
        (out, repo, name, id, force, log_message))
FORWARD_VOID(git, git_reference_free, (git_reference *ref), (ref))
FORWARD_VOID(git, git_reference_iterator_free, (git_reference_iterator *iter), (iter))
FORWARD(git, int, git_reference_iterator_glob_new,
        (git_reference_iterator **out, git_repository *repo, const char *glob), (out, repo, glob))
FORWARD(git, int, git_reference_iterator_new, (git_reference_iterator **out, git_repository *repo),
        (out, repo))
FORWARD(git, int, git_reference_lookup,
        (git_reference **out, git_repository *repo, const char *name), (out, repo, name))
FORWARD(git, int, git_reference_name_to_id, (git_oid *out, git_repository *repo, const char *name),
        (out, repo, name))
FORWARD(git, int, git_reference_next, (git_reference **out, git_reference_iterator *iter),
        (out, iter))
FORWARD(git, int, git_reference_next_name, (const char **out, git_reference_iterator *iter),
        (out, iter))
FORWARD(git, int, git_reference_peel,
        (git_object **out, const git_reference *ref, git_object_t type), (out, ref, type))
FORWARD(git, const git_oid *, git_reference_target, (const git_reference *ref), (ref))
FORWARD(git, git_reference_t, git_reference_type, (const git_reference *ref), (ref))
FORWARD(git, int, git_remote_connect,
        (git_remote *remote, git_direction direction, const git_remote_callbacks *callbacks,
         const git_proxy_options *proxy_opts, const git_strarray *custom_headers),
        (remote, direction, callbacks, proxy_opts, custom_headers))
FORWARD(git, int, git_remote_create_with_opts,
        (git_remote **out, const char *url, const git_remote_create_options *opts),
        (out, url, opts))
FORWARD(git, int, git_remote_disconnect, (git_remote *remote), (remote))
FORWARD(git, int, git_remote_fetch,
        (git_remote *remote, const git_strarray *refspecs, const git_fetch_options *opts,
         const char *reflog_message),
        (remote, refspecs, opts, reflog_message))
FORWARD_VOID(git, git_remote_free, (git_remote *remote), (remote))
FORWARD(git, int, git_remote_ls, (const git_remote_head ***out, size_t *size, git_remote *remote),
        (out, size, remote))
FORWARD(git, const git_indexer_progress *, git_remote_stats, (git_remote *remote), (remote))
FORWARD(git, int, git_repository_config, (git_config **out, git_repository *repo), (out, repo))
FORWARD_VOID(git, git_repository_free, (git_repository *repo), (repo))
FORWARD(git, int, git_repository_index, (git_index **out, git_repository *repo), (out, repo))
FORWARD(git, int, git_repository_init, (git_repository **out, const char *path, unsigned is_bare),
        (out, path, is_bare))
FORWARD(git, int, git_repository_init_ext,
        (git_repository **out, const char *repo_path, git_repository_init_options *opts),
        (out, repo_path, opts))
FORWARD(git, int, git_repository_item_path,
        (git_buf *out, const git_repository *repo, git_repository_item_t item), (out, repo, item))
FORWARD(git, int, git_repository_odb, (git_odb **out, git_repository *repo), (out, repo))
FORWARD(git, int, git_repository_open_bare, (git_repository **out, const char *bare_path),
        (out, bare_path))
FORWARD(git, int, git_repository_open_ext,
        (git_repository **out, const char *path, unsigned int flags, const char *ceiling_dirs),
        (out, path, flags, ceiling_dirs))
FORWARD(git, int, git_repository_set_config, (git_repository *repo, git_config *config),
        (repo, config))
FORWARD(git, int, git_repository_set_head, (git_repository *repo, const char *refname),
        (repo, refname))
FORWARD(git, int, git_repository_set_index, (git_repository *repo, git_index *index), (repo, index))
FORWARD(git, int, git_repository_wrap_odb, (git_repository **out, git_odb *odb), (out, odb))
FORWARD(git, int, git_revparse_single, (git_object **out, git_repository *repo, const char *spec),
        (out, repo, spec))
FORWARD_VOID(git, git_revwalk_free, (git_revwalk *walk), (walk))
FORWARD(git, int, git_revwalk_new, (git_revwalk **out, git_repository *repo), (out, repo))
FORWARD(git, int, git_revwalk_next, (git_oid *out, git_revwalk *walk), (out, walk))
FORWARD(git, int, git_revwalk_push_glob, (git_revwalk *walk, const char *glob), (walk, glob))
FORWARD(git, int, git_revwalk_sorting, (git_revwalk *walk, unsigned int sort_mode),
        (walk, sort_mode))
FORWARD(git, const git_tree_entry *, git_tree_entry_byindex, (const git_tree *tree, size_t idx),
        (tree, idx))
FORWARD(git, const git_tree_entry *, git_tree_entry_byname,
        (const git_tree *tree, const char *filename), (tree, filename))
FORWARD(git, int, git_tree_entry_bypath,
        (git_tree_entry **out, const git_tree *root, const char *path), (out, root, path))
FORWARD(git, git_filemode_t, git_tree_entry_filemode_raw, (const git_tree_entry *entry), (entry))
FORWARD_VOID(git, git_tree_entry_free, (git_tree_entry *entry), (entry))
FORWARD(git, const git_oid *, git_tree_entry_id, (const git_tree_entry *entry), (entry))
FORWARD(git, const char *, git_tree_entry_name, (const git_tree_entry *entry), (entry))
FORWARD(git, git_object_t, git_tree_entry_type, (const git_tree_entry *entry), (entry))
FORWARD(git, size_t, git_tree_entrycount, (const git_tree *tree), (tree))
FORWARD_VOID(git, git_tree_free, (git_tree *tree), (tree))
FORWARD(git, const git_oid *, git_tree_id, (const git_tree *tree), (tree))
FORWARD(git, int, git_tree_lookup, (git_tree **out, git_repository *repo, const git_oid *id),
        (out, repo, id))
// clang-format on

/* The arguments git_libgit2_opts reads after the option (git2/common.h, libgit2 1.5). */
typedef enum opt_kind {
    OPT_UNMAPPED = 0, /* not in the table: refused */
    OPT_INT,          /* int */
    OPT_ULONG,        /* unsigned long */
    OPT_SIZE,         /* size_t */
    OPT_SSIZE,        /* ssize_t */
    OPT_PTR,          /* one pointer (size_t *, int *, git_buf *, const char *, ...) */
    OPT_PTR_PTR,      /* two pointers */
    OPT_PTR_SIZE,     /* a pointer, then a size_t */
    OPT_INT_PTR,      /* an int (a config level), then a pointer */
    OPT_INT_SIZE,     /* a git_object_t (an int), then a size_t */
} opt_kind;

static const unsigned char opt_args[] = {
    [GIT_OPT_DISABLE_PACK_KEEP_FILE_CHECKS] = OPT_INT,
    [GIT_OPT_ENABLE_CACHING] = OPT_INT,
    [GIT_OPT_ENABLE_FSYNC_GITDIR] = OPT_INT,
    [GIT_OPT_ENABLE_HTTP_EXPECT_CONTINUE] = OPT_INT,
    [GIT_OPT_ENABLE_OFS_DELTA] = OPT_INT,
    [GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION] = OPT_INT,
    [GIT_OPT_ENABLE_STRICT_OBJECT_CREATION] = OPT_INT,
    [GIT_OPT_ENABLE_STRICT_SYMBOLIC_REF_CREATION] = OPT_INT,
    [GIT_OPT_ENABLE_UNSAVED_INDEX_SAFETY] = OPT_INT,
    [GIT_OPT_GET_CACHED_MEMORY] = OPT_PTR_PTR,
    [GIT_OPT_GET_EXTENSIONS] = OPT_PTR,
    [GIT_OPT_GET_MWINDOW_FILE_LIMIT] = OPT_PTR,
    [GIT_OPT_GET_MWINDOW_MAPPED_LIMIT] = OPT_PTR,
    [GIT_OPT_GET_MWINDOW_SIZE] = OPT_PTR,
    [GIT_OPT_GET_OWNER_VALIDATION] = OPT_PTR,
    [GIT_OPT_GET_PACK_MAX_OBJECTS] = OPT_PTR,
    [GIT_OPT_GET_SEARCH_PATH] = OPT_INT_PTR,
    [GIT_OPT_GET_TEMPLATE_PATH] = OPT_PTR,
    [GIT_OPT_GET_USER_AGENT] = OPT_PTR,
    [GIT_OPT_GET_WINDOWS_SHAREMODE] = OPT_PTR,
    [GIT_OPT_SET_ALLOCATOR] = OPT_PTR,
    [GIT_OPT_SET_CACHE_MAX_SIZE] = OPT_SSIZE,
    [GIT_OPT_SET_CACHE_OBJECT_LIMIT] = OPT_INT_SIZE,
    [GIT_OPT_SET_EXTENSIONS] = OPT_PTR_SIZE,
    [GIT_OPT_SET_MWINDOW_FILE_LIMIT] = OPT_SIZE,
    [GIT_OPT_SET_MWINDOW_MAPPED_LIMIT] = OPT_SIZE,
    [GIT_OPT_SET_MWINDOW_SIZE] = OPT_SIZE,
    [GIT_OPT_SET_ODB_LOOSE_PRIORITY] = OPT_INT,
    [GIT_OPT_SET_ODB_PACKED_PRIORITY] = OPT_INT,
    [GIT_OPT_SET_OWNER_VALIDATION] = OPT_INT,
    [GIT_OPT_SET_PACK_MAX_OBJECTS] = OPT_SIZE,
    [GIT_OPT_SET_SEARCH_PATH] = OPT_INT_PTR,
    [GIT_OPT_SET_SSL_CERT_LOCATIONS] = OPT_PTR_PTR,
    [GIT_OPT_SET_SSL_CIPHERS] = OPT_PTR,
    [GIT_OPT_SET_TEMPLATE_PATH] = OPT_PTR,
    [GIT_OPT_SET_USER_AGENT] = OPT_PTR,
    [GIT_OPT_SET_WINDOWS_SHAREMODE] = OPT_ULONG,
};

int git_libgit2_opts(int option, ...)
{
    SG_ONDEMAND_SYMBOL(git, git_libgit2_opts);
    opt_kind kind =
        option >= 0 && (size_t)option < sizeof(opt_args) ? opt_args[option] : OPT_UNMAPPED;
    int rc = 0;
    void *p;
    va_list ap;

    va_start(ap, option);
    switch (kind) {
    case OPT_INT:
        rc = fn(option, va_arg(ap, int));
        break;
    case OPT_ULONG:
        rc = fn(option, va_arg(ap, unsigned long));
        break;
    case OPT_SIZE:
        rc = fn(option, va_arg(ap, size_t));
        break;
    case OPT_SSIZE:
        rc = fn(option, va_arg(ap, ssize_t));
        break;
    case OPT_PTR:
        rc = fn(option, va_arg(ap, void *));
        break;
    case OPT_PTR_PTR:
        p = va_arg(ap, void *);
        rc = fn(option, p, va_arg(ap, void *));
        break;
    case OPT_PTR_SIZE:
        p = va_arg(ap, void *);
        rc = fn(option, p, va_arg(ap, size_t));
        break;
    case OPT_INT_PTR: {
        int level = va_arg(ap, int);
        rc = fn(option, level, va_arg(ap, void *));
        break;
    }
    case OPT_INT_SIZE: {
        int type = va_arg(ap, int);
        rc = fn(option, type, va_arg(ap, size_t));
        break;
    }
    case OPT_UNMAPPED:
        va_end(ap);
        sg_ondemand__die("git_libgit2_opts option %d is not forwarded (add it to "
                         "cli/ondemand_git.c)",
                         option);
    }
    va_end(ap);
    return rc;
}
