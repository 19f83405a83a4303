/*
 * Shared libraries loaded on their first use (the sourcegate executable only): libgit2,
 * libarchive, SQLite, libyaml, libseccomp, libcurl and libpq.
 *
 * Why. Loading and relocating a shared library and what it needs costs CPU in every run,
 * whether the run calls it or not: libcurl and libpq bring about thirty libraries (TLS,
 * Kerberos, LDAP, SASL, IDN, HTTP/2, ...), libarchive brings libxml2, ICU and libstdc++,
 * libgit2 its own half dozen. Together they were most of a run's start (ci/bench). A warm local
 * verify (--tarball + --source) uses only libgit2 and libarchive, and loads each on the thread
 * that first calls it (the source side runs on its own thread), so the loading overlaps with
 * the other side's work; SQLite, libyaml, libseccomp, libcurl and libpq are never loaded. The
 * executable therefore links only libc, libcrypto and libcjson.
 *
 * How. The functions the executable calls are defined in ondemand_<library>.c, one line each,
 * with the prototypes of the libraries' own headers (a definition that disagrees with the
 * header does not compile), and each forwards to the real function, resolved with
 * dlopen()/dlsym() on the first call into that library (pthread_once per library, so any
 * thread may be first and two threads may load two libraries at once; the resolved addresses
 * are cached in atomics). Loading by soname follows the same search as the dynamic linker
 * (ld.so.cache, LD_LIBRARY_PATH); RTLD_LOCAL keeps the library's symbols out of the global
 * scope, so nothing else binds to them.
 *
 * The forwarders must not be exported by the executable (tests/integration/test_cli.c checks
 * it): a loaded library calling one of its own exported functions through its PLT would
 * otherwise bind to the forwarder, which would call itself. An executable exports only what a
 * library linked at build time refers to (or everything with -rdynamic, which is not used),
 * and the libraries linked (libc, libcrypto, libcjson) refer to none of them.
 *
 * Data objects cannot be forwarded: the code uses none of these libraries' (the constants it
 * uses, SQLITE_TRANSIENT, SCMP_A0, GIT_BUF_INIT, ..., are macros), and one it came to use would
 * not link, the libraries not being on the executable's link line.
 *
 * The static libraries (sg_verifier for embedders, the tests, the fuzzers) link these
 * libraries as usual: these files are compiled into the executable alone, and `cmake
 * -DSG_ONDEMAND_LIBS=OFF` links the executable the ordinary way too.
 *
 * A new call into one of these libraries needs its line in ondemand_<library>.c: without it
 * the executable does not link.
 *
 * A library that cannot be loaded or lacks a function ends the run with one line on stderr
 * and exit status 4, an operational error (DESIGN.md): the caller of a libgit2 function has no
 * way to report "libgit2 is not installed" through that function's own return value.
 */
#include "ondemand_int.h"

#include <git2/version.h> /* LIBGIT2_SOVERSION: libgit2's soname changes with its minor version */

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Exit status of an operational error (DESIGN.md; SG_EXIT_ERROR in cli/cli.h). */
#define ONDEMAND_EXIT 4

/* The records of every forwarder (SG_ONDEMAND_SYMBOL), bounds set by the linker. */
extern const sg_ondemand_sym *const __start_sg_ondemand_syms[];
extern const sg_ondemand_sym *const __stop_sg_ondemand_syms[];

/* One library loaded at a time, together with the resolution of its functions. */
static pthread_mutex_t loading = PTHREAD_MUTEX_INITIALIZER;

/* Resolve every function of lib the executable calls, once it is loaded. */
static void resolve_all(const sg_ondemand_lib *lib)
{
    const sg_ondemand_sym *const *s;
    void *p;
    for (s = __start_sg_ondemand_syms; s < __stop_sg_ondemand_syms; s++)
        if ((*s)->lib == lib && (p = dlsym(lib->handle, (*s)->name)) != NULL)
            atomic_store_explicit((*s)->cache, p, memory_order_release);
}

/* dlopen() lib and resolve all its functions before another library starts loading. Why:
 * glibc's dlsym() waits for a dlopen() in progress on another thread (one lock), so a thread
 * that resolved its functions one by one on first call would wait for the other thread's
 * library to load before its own next first call (a local verify: libgit2 on the source
 * thread, libarchive on the main thread). A function missing here is left unresolved: its
 * first call says so. */
static void load(sg_ondemand_lib *lib)
{
    const char *e;
    pthread_mutex_lock(&loading);
    if ((lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        e = dlerror();
        snprintf(lib->error, sizeof(lib->error), "%s", e ? e : "unknown dlopen error");
    } else {
        resolve_all(lib);
    }
    pthread_mutex_unlock(&loading);
}

/* sg_ondemand__<id>: the library, with its pthread_once routine load_<id>. */
#define LIBRARY(id, soname, package)                                                               \
    static void load_##id(void);                                                                   \
    sg_ondemand_lib sg_ondemand__##id = {soname, package, load_##id, PTHREAD_ONCE_INIT, NULL, ""}; \
    static void load_##id(void)                                                                    \
    {                                                                                              \
        load(&sg_ondemand__##id);                                                                  \
    }

LIBRARY(archive, "libarchive.so.13", "libarchive13")
LIBRARY(curl, "libcurl.so.4", "libcurl4")
LIBRARY(git, "libgit2.so." LIBGIT2_SOVERSION, "libgit2-" LIBGIT2_SOVERSION)
LIBRARY(pq, "libpq.so.5", "libpq5")
LIBRARY(seccomp, "libseccomp.so.2", "libseccomp2")
LIBRARY(sqlite, "libsqlite3.so.0", "libsqlite3-0")
LIBRARY(yaml, "libyaml-0.so.2", "libyaml-0-2")

_Noreturn void sg_ondemand__die(const char *fmt, ...)
{
    static atomic_flag dying = ATOMIC_FLAG_INIT;
    char msg[1024];
    va_list ap;

    /* One line even when two threads fail at once: the second waits for the first's _exit. */
    if (atomic_flag_test_and_set(&dying))
        for (;;)
            pause();
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* stderr is unbuffered; one line, the CLI's error prefix. */
    fprintf(stderr, "sourcegate: error: %s\n", msg);
    _exit(ONDEMAND_EXIT);
}

/* The address of sym, loading its library first; never returns NULL. */
static void *resolve(const sg_ondemand_sym *sym)
{
    sg_ondemand_lib *lib = sym->lib;
    void *p;
    pthread_once(&lib->once, lib->load);
    if (!lib->handle)
        sg_ondemand__die("cannot load %s: %s (install the %s package)", lib->soname, lib->error,
                         lib->package);
    if ((p = atomic_load_explicit(sym->cache, memory_order_acquire)) != NULL)
        return p; /* resolved with the library */
    dlerror();
    if ((p = dlsym(lib->handle, sym->name)) == NULL)
        sg_ondemand__die("cannot load %s: the installed library lacks it (install the %s package)",
                         sym->name, lib->package);
    return p;
}

void *sg_ondemand__cached(const sg_ondemand_sym *sym)
{
    void *p = atomic_load_explicit(sym->cache, memory_order_acquire);
    if (!p) {
        p = resolve(sym); /* every thread finds the same address */
        atomic_store_explicit(sym->cache, p, memory_order_release);
    }
    return p;
}
