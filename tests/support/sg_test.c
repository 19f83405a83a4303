#define _GNU_SOURCE
#include "sg_test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <git2.h>

#include "common/hash.h"
#include "common/tree_int.h"

/* ---- temporary folders ---- */

static char **tmpdirs;
static size_t ntmpdirs;
static int cleanup_registered;

char *sgt_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    char *dir;
    snprintf(tmpl, sizeof(tmpl), "%s/sgtest-XXXXXX", base && *base ? base : "/tmp");
    dir = mkdtemp(tmpl);
    if (!dir)
        fail_msg("mkdtemp: %s", strerror(errno));
    tmpdirs = realloc(tmpdirs, (ntmpdirs + 1) * sizeof(char *));
    tmpdirs[ntmpdirs] = strdup(dir);
    if (!cleanup_registered) {
        atexit(sgt_cleanup);
        cleanup_registered = 1;
    }
    return tmpdirs[ntmpdirs++];
}

void sgt_cleanup(void)
{
    size_t i;
    if (getenv("SG_KEEP_TMP"))
        return;
    for (i = 0; i < ntmpdirs; i++) {
        sgt_rm_rf(tmpdirs[i]);
        free(tmpdirs[i]);
    }
    free(tmpdirs);
    tmpdirs = NULL;
    ntmpdirs = 0;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void sgt_rm_rf(const char *path)
{
    nftw(path, rm_cb, 32, FTW_DEPTH | FTW_PHYS);
}

static void mkdir_parents(const char *path)
{
    char tmp[4096];
    size_t i, n = strlen(path);
    if (n >= sizeof(tmp)) {
        fail_msg("path too long: %s", path);
        return;
    }
    memcpy(tmp, path, n + 1);
    for (i = 1; i < n; i++) {
        if (tmp[i] == '/') {
            tmp[i] = '\0';
            mkdir(tmp, 0755);
            tmp[i] = '/';
        }
    }
}

void sgt_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    FILE *f;
    mkdir_parents(path);
    f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    if (len && fwrite(data, 1, len, f) != len)
        fail_msg("short write %s", path);
    fclose(f);
    chmod(path, mode ? mode : 0644);
}

char *sgt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    if (!f)
        return NULL;
    do {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap + 1);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* ---- git ---- */

static void git_check(int rc, const char *what)
{
    if (rc < 0) {
        const git_error *e = git_error_last();
        fail_msg("%s: %s", what, e && e->message ? e->message : "libgit2 error");
    }
}

static void git_once(void)
{
    static int done;
    if (!done) {
        git_libgit2_init();
        done = 1;
    }
}

void sgt_git_init(const char *dir, int bare)
{
    git_repository *repo = NULL;
    git_repository_init_options o = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    git_once();
    o.flags = GIT_REPOSITORY_INIT_MKPATH | (bare ? GIT_REPOSITORY_INIT_BARE : 0);
    o.initial_head = "main";
    git_check(git_repository_init_ext(&repo, dir, &o), "git init");
    git_repository_free(repo);
}

/* Insert blob `oid` at `path` (with `mode`) into the tree rooted at builder `tb`. Nested
 * folders are built recursively through a small in-memory structure. */
typedef struct node {
    char *name;
    int is_dir;
    git_oid oid;
    git_filemode_t mode;
    struct node *children;
    size_t n;
} node;

static node *child(node *dir, const char *name, size_t len, int is_dir)
{
    size_t i;
    for (i = 0; i < dir->n; i++)
        if (strlen(dir->children[i].name) == len && !strncmp(dir->children[i].name, name, len))
            return &dir->children[i];
    dir->children = realloc(dir->children, (dir->n + 1) * sizeof(node));
    memset(&dir->children[dir->n], 0, sizeof(node));
    dir->children[dir->n].name = strndup(name, len);
    dir->children[dir->n].is_dir = is_dir;
    return &dir->children[dir->n++];
}

static void node_free(node *n)
{
    size_t i;
    for (i = 0; i < n->n; i++)
        node_free(&n->children[i]);
    free(n->children);
    free(n->name);
}

static void write_tree(git_oid *out, git_repository *repo, node *dir)
{
    git_treebuilder *tb = NULL;
    size_t i;
    git_check(git_treebuilder_new(&tb, repo, NULL), "treebuilder");
    for (i = 0; i < dir->n; i++) {
        node *c = &dir->children[i];
        git_oid oid = c->oid;
        if (c->is_dir)
            write_tree(&oid, repo, c);
        git_check(git_treebuilder_insert(NULL, tb, c->name, &oid,
                                         c->is_dir ? GIT_FILEMODE_TREE : c->mode),
                  c->name);
    }
    git_check(git_treebuilder_write(out, tb), "treebuilder write");
    git_treebuilder_free(tb);
}

void sgt_git_commit(char out[41], const char *repo_dir, const char *branch, const sgt_file *files,
                    size_t n, const char *message, int64_t time_offset)
{
    git_repository *repo = NULL;
    git_signature *sig = NULL;
    git_tree *tree = NULL;
    git_commit *parent = NULL;
    git_oid tree_oid, commit_oid;
    node root;
    char ref[256];
    size_t i;

    git_once();
    memset(&root, 0, sizeof(root));
    git_check(git_repository_open(&repo, repo_dir), "open repo");
    for (i = 0; i < n; i++) {
        const sgt_file *f = &files[i];
        const char *p = f->path, *slash;
        node *dir = &root, *leaf;
        size_t len = f->len ? f->len : (f->content ? strlen(f->content) : 0);
        while ((slash = strchr(p, '/'))) {
            dir = child(dir, p, (size_t)(slash - p), 1);
            p = slash + 1;
        }
        leaf = child(dir, p, strlen(p), 0);
        if (f->mode == 0160000) {
            git_check(git_oid_fromstr(&leaf->oid, f->content), "submodule oid");
            leaf->mode = GIT_FILEMODE_COMMIT;
        } else {
            git_check(git_blob_create_from_buffer(&leaf->oid, repo, f->content ? f->content : "",
                                                  len),
                      "blob");
            leaf->mode = f->mode == 0120000 ? GIT_FILEMODE_LINK
                         : f->mode == 0755  ? GIT_FILEMODE_BLOB_EXECUTABLE
                                            : GIT_FILEMODE_BLOB;
        }
    }
    write_tree(&tree_oid, repo, &root);
    node_free(&root);
    git_check(git_tree_lookup(&tree, repo, &tree_oid), "tree lookup");
    git_check(git_signature_new(&sig, "Test Author", "test@example.com",
                                1704067200 + time_offset, 0),
              "signature");
    snprintf(ref, sizeof(ref), "refs/heads/%s", branch ? branch : "main");
    {
        git_oid parent_oid;
        if (git_reference_name_to_id(&parent_oid, repo, ref) == 0)
            git_check(git_commit_lookup(&parent, repo, &parent_oid), "parent");
    }
    git_check(git_commit_create_v(&commit_oid, repo, ref, sig, sig, NULL,
                                  message ? message : "commit", tree, parent ? 1 : 0, parent),
              "commit");
    if (out)
        git_oid_tostr(out, 41, &commit_oid);
    git_commit_free(parent);
    git_tree_free(tree);
    git_signature_free(sig);
    git_repository_free(repo);
}

void sgt_git_tag(const char *repo_dir, const char *name, const char *commit_hex, int annotated)
{
    git_repository *repo = NULL;
    git_object *target = NULL;
    git_signature *sig = NULL;
    git_oid oid;
    git_once();
    git_check(git_repository_open(&repo, repo_dir), "open repo");
    git_check(git_revparse_single(&target, repo, commit_hex), "tag target");
    if (annotated) {
        git_check(git_signature_new(&sig, "Tagger", "tag@example.com", 1704067200, 0), "sig");
        git_check(git_tag_create(&oid, repo, name, target, sig, "release", 1), "tag");
        git_signature_free(sig);
    } else {
        git_check(git_tag_create_lightweight(&oid, repo, name, target, 1), "tag");
    }
    git_object_free(target);
    git_repository_free(repo);
}

/* ---- tar ---- */

typedef struct mem_sink {
    unsigned char *data;
    size_t len, cap;
} mem_sink;

static la_ssize_t sink_write(struct archive *a, void *p, const void *buf, size_t n)
{
    mem_sink *s = p;
    (void)a;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2 + 4096;
        s->data = realloc(s->data, s->cap);
    }
    memcpy(s->data + s->len, buf, n);
    s->len += n;
    return (la_ssize_t)n;
}

static int sink_close(struct archive *a, void *p)
{
    (void)a;
    (void)p;
    return ARCHIVE_OK;
}

void sgt_tar_build(unsigned char **out, size_t *out_len, const sgt_tar_entry *entries, size_t n,
                   int gzip)
{
    struct archive *a = archive_write_new();
    mem_sink sink = {0};
    size_t i;

    archive_write_set_format_pax_restricted(a);
    if (gzip) {
        archive_write_add_filter_gzip(a);
        archive_write_set_filter_option(a, "gzip", "timestamp", NULL); /* reproducible bytes */
    }
    archive_write_set_bytes_in_last_block(a, 1);
    if (archive_write_open(a, &sink, NULL, sink_write, sink_close) != ARCHIVE_OK)
        fail_msg("archive open: %s", archive_error_string(a));
    for (i = 0; i < n; i++) {
        const sgt_tar_entry *t = &entries[i];
        struct archive_entry *e = archive_entry_new();
        size_t len = t->len ? t->len : (t->content ? strlen(t->content) : 0);
        char type = t->type ? t->type : '0';
        archive_entry_set_pathname(e, t->path);
        archive_entry_set_mtime(e, 499162500, 0);
        archive_entry_set_perm(e, t->mode ? t->mode : 0644);
        switch (type) {
        case '5': archive_entry_set_filetype(e, AE_IFDIR); break;
        case '2':
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, t->linkname);
            break;
        case '1':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, t->linkname);
            break;
        case '3':
            archive_entry_set_filetype(e, AE_IFCHR);
            archive_entry_set_rdev(e, 0x0101);
            break;
        case '6': archive_entry_set_filetype(e, AE_IFIFO); break;
        default:
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_size(e, (la_int64_t)len);
        }
        if (archive_write_header(a, e) != ARCHIVE_OK)
            fail_msg("archive header %s: %s", t->path, archive_error_string(a));
        if (type == '0' && len && archive_write_data(a, t->content, len) != (la_ssize_t)len)
            fail_msg("archive data %s: %s", t->path, archive_error_string(a));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    *out = sink.data;
    *out_len = sink.len;
}

void sgt_tar_write(const char *path, const sgt_tar_entry *entries, size_t n)
{
    unsigned char *data;
    size_t len;
    sgt_tar_build(&data, &len, entries, n, 1);
    sgt_write_file(path, data, len, 0644);
    free(data);
}

/* ---- in-memory trees ---- */

typedef struct mem_backend {
    char **contents;
    size_t *lens;
    size_t n;
} mem_backend;

static int mem_read(void *self, sg_buf *out, sg_ctx *ctx, const sg_entry *e)
{
    mem_backend *m = self;
    (void)ctx;
    return sg_buf_put(out, m->contents[e->cookie], m->lens[e->cookie]);
}

static void mem_free(void *self)
{
    mem_backend *m = self;
    size_t i;
    for (i = 0; i < m->n; i++)
        free(m->contents[i]);
    free(m->contents);
    free(m->lens);
    free(m);
}

static const sg_tree_backend_ops mem_ops = {"memory", mem_read, mem_free, NULL};

sg_tree *sgt_tree(const sgt_file *files, size_t n)
{
    sg_ctx *ctx = NULL;
    sg_tree_builder *b = NULL;
    sg_tree *tree = NULL;
    mem_backend *m = calloc(1, sizeof(*m));
    size_t i;

    m->contents = calloc(n + 1, sizeof(char *));
    m->lens = calloc(n + 1, sizeof(size_t));
    m->n = n;
    if (sg_ctx_new(&ctx) < 0 || sg_tree__builder_new(&b, ctx, &mem_ops, m) < 0)
        fail_msg("tree builder");
    for (i = 0; i < n; i++) {
        const sgt_file *f = &files[i];
        size_t len = f->len ? f->len : (f->content ? strlen(f->content) : 0);
        sg_entry e;
        memset(&e, 0, sizeof(e));
        m->contents[i] = malloc(len + 1);
        if (len)
            memcpy(m->contents[i], f->content, len);
        m->contents[i][len] = '\0';
        m->lens[i] = len;
        e.path = f->path;
        e.cookie = i;
        if (f->mode == 0120000) {
            e.kind = SG_ENTRY_SYMLINK;
            e.target = m->contents[i];
            e.size = len;
            sg_sha256(e.sha256, ctx, f->content, len);
        } else if (f->mode == 0160000) {
            e.kind = SG_ENTRY_SUBMODULE;
            e.target = m->contents[i];
        } else {
            e.kind = SG_ENTRY_FILE;
            e.exec = f->mode == 0755;
            sg_entry__set_content(&e, ctx, m->contents[i], len);
        }
        if (sg_tree__builder_add(b, ctx, &e) < 0)
            fail_msg("tree add %s: %s", f->path, sg_error_message(ctx));
    }
    if (sg_tree__builder_finish(&tree, ctx, b) < 0)
        fail_msg("tree finish: %s", sg_error_message(ctx));
    sg_ctx_free(ctx);
    return tree;
}

void sgt_files_to_dir(const char *dir, const sgt_file *files, size_t n)
{
    size_t i;
    char path[4096];
    for (i = 0; i < n; i++) {
        const sgt_file *f = &files[i];
        size_t len = f->len ? f->len : (f->content ? strlen(f->content) : 0);
        snprintf(path, sizeof(path), "%s/%s", dir, f->path);
        if (f->mode == 0160000)
            continue;
        if (f->mode == 0120000) {
            mkdir_parents(path);
            if (symlink(f->content, path) < 0)
                fail_msg("symlink %s: %s", path, strerror(errno));
            continue;
        }
        sgt_write_file(path, f->content ? f->content : "", len, f->mode == 0755 ? 0755 : 0644);
    }
}

/* ---- processes ---- */

int sgt_run(const char *cmd, char **out, char **err)
{
    char outp[] = "/tmp/sgt-out-XXXXXX", errp[] = "/tmp/sgt-err-XXXXXX";
    int fo = mkstemp(outp), fe = mkstemp(errp), status;
    pid_t pid;
    if (fo < 0 || fe < 0)
        fail_msg("mkstemp: %s", strerror(errno));
    pid = fork();
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fo);
    close(fe);
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        fail_msg("cannot run %s", cmd);
    if (out)
        *out = sgt_read_file(outp, NULL);
    if (err)
        *err = sgt_read_file(errp, NULL);
    unlink(outp);
    unlink(errp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sgt_have_program(const char *name)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", name);
    return sgt_run(cmd, NULL, NULL) == 0;
}
