/*
 * libcurl and libpq, loaded on their first use (the sourcegate executable only).
 *
 * Why. The two bring about thirty shared libraries between them (TLS, Kerberos, LDAP, SASL,
 * IDN, HTTP/2, ...). Loading and relocating those is ~4 ms of CPU in every run, a tenth of a
 * warm local verify (--tarball + --source), which calls neither: ci/bench measures it. So the
 * executable does not link them. The functions it calls are defined here, with the prototypes
 * of the libraries' own headers (a definition that disagrees with the header does not
 * compile), and each forwards to the real function, resolved with dlopen()/dlsym() on the
 * first call into that library (pthread_once, so any thread may be first). Loading by soname
 * follows the same search as the dynamic linker (ld.so.cache, LD_LIBRARY_PATH); RTLD_LOCAL
 * keeps the library's symbols out of the global scope, so nothing else binds to them.
 *
 * The static libraries (sg_verifier for embedders, the tests, the fuzzers) link libcurl and
 * libpq as usual: this file is compiled into the executable alone, and `cmake
 * -DSG_ONDEMAND_LIBS=OFF` links the executable the ordinary way too.
 *
 * A new libcurl or libpq call needs its line here: without it the executable does not link.
 *
 * A library that cannot be loaded or lacks a function ends the run with one line on stderr
 * and exit status 4, an operational error (DESIGN.md): the caller of a libcurl function has no
 * way to report "libcurl is not installed" through that function's own return value.
 *
 * Variadic functions. curl_easy_setopt takes one argument whose type its option number says
 * (CURLOPTTYPE_*: long, object pointer, function pointer, curl_off_t, blob pointer), exactly
 * as libcurl's own curl_easy_setopt reads it with va_arg; curl_easy_getinfo takes a pointer.
 */
#define CURL_DISABLE_TYPECHECK /* the wrappers below are the functions the macros would call */
#include <curl/curl.h>
#include <libpq-fe.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Exit status of an operational error (DESIGN.md; SG_EXIT_ERROR in cli/cli.h). */
#define ONDEMAND_EXIT 4

/* One library loaded on demand. */
typedef struct ondemand_lib {
    const char *soname;  /* what dlopen() is given: the ABI the headers describe */
    const char *package; /* the Debian package that ships it, for the message */
    pthread_once_t once; /* guards the dlopen() */
    void *handle;        /* dlopen()'s result; NULL when it failed */
    char error[512];     /* dlerror() of a failed dlopen() */
} ondemand_lib;

static ondemand_lib lib_curl = {"libcurl.so.4", "libcurl4", PTHREAD_ONCE_INIT, NULL, ""};
static ondemand_lib lib_pq = {"libpq.so.5", "libpq5", PTHREAD_ONCE_INIT, NULL, ""};

static void die(const char *what, const char *why, const char *package)
{
    /* stderr is unbuffered; one line, the CLI's error prefix. */
    fprintf(stderr, "sourcegate: error: cannot load %s: %s (install the %s package)\n", what, why,
            package);
    _exit(ONDEMAND_EXIT);
}

static void load(ondemand_lib *lib)
{
    const char *e;
    if ((lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        e = dlerror();
        snprintf(lib->error, sizeof(lib->error), "%s", e ? e : "unknown dlopen error");
    }
}

static void load_curl(void)
{
    load(&lib_curl);
}

static void load_pq(void)
{
    load(&lib_pq);
}

/* The address of `name` in lib, loading lib first; never returns NULL. */
static void *resolve(ondemand_lib *lib, void (*loader)(void), const char *name)
{
    void *sym;
    pthread_once(&lib->once, loader);
    if (!lib->handle)
        die(lib->soname, lib->error, lib->package);
    dlerror();
    if ((sym = dlsym(lib->handle, name)) == NULL)
        die(name, "the installed library lacks it", lib->package);
    return sym;
}

/* fn as cached in *cache, resolving and caching it on the first call. */
static void *cached(_Atomic(void *) *cache, ondemand_lib *lib, void (*loader)(void),
                    const char *name)
{
    void *p = atomic_load_explicit(cache, memory_order_acquire);
    if (!p) {
        p = resolve(lib, loader, name); /* every thread finds the same address */
        atomic_store_explicit(cache, p, memory_order_release);
    }
    return p;
}

/* The cached address of name as a pointer to its type (POSIX: dlsym's result converts). */
#define SYMBOL(lib, name)                                                                          \
    static _Atomic(void *) cache_;                                                                 \
    __typeof__(name) *fn = (__typeof__(name) *)cached(&cache_, &lib_##lib, load_##lib, #name)

/* One forwarding definition per function. */
#define FORWARD(lib, ret, name, params, args)                                                      \
    ret name params                                                                                \
    {                                                                                              \
        SYMBOL(lib, name);                                                                         \
        return fn args;                                                                            \
    }
#define FORWARD_VOID(lib, name, params, args)                                                      \
    void name params                                                                               \
    {                                                                                              \
        SYMBOL(lib, name);                                                                         \
        fn args;                                                                                   \
    }

/* ------------------------------------------------------------------------------ libcurl */

FORWARD(curl, CURLcode, curl_global_init, (long flags), (flags))
FORWARD(curl, CURL *, curl_easy_init, (void), ())
FORWARD_VOID(curl, curl_easy_cleanup, (CURL * h), (h))
FORWARD_VOID(curl, curl_easy_reset, (CURL * h), (h))
FORWARD(curl, CURLcode, curl_easy_perform, (CURL * h), (h))
FORWARD(curl, const char *, curl_easy_strerror, (CURLcode code), (code))
FORWARD_VOID(curl, curl_free, (void *p), (p))
FORWARD(curl, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s),
        (l, s))
FORWARD_VOID(curl, curl_slist_free_all, (struct curl_slist * l), (l))
FORWARD(curl, CURLU *, curl_url, (void), ())
FORWARD_VOID(curl, curl_url_cleanup, (CURLU * u), (u))
FORWARD(curl, CURLUcode, curl_url_get, (CURLU * u, CURLUPart what, char **part, unsigned int flags),
        (u, what, part, flags))
FORWARD(curl, CURLUcode, curl_url_set,
        (CURLU * u, CURLUPart what, const char *part, unsigned int flags), (u, what, part, flags))

CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    SYMBOL(curl, curl_easy_setopt);
    CURLcode rc;
    va_list ap;

    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = fn(h, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = fn(h, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = fn(h, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        rc = fn(h, option, va_arg(ap, curl_off_t));
    else
        rc = fn(h, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    SYMBOL(curl, curl_easy_getinfo);
    CURLcode rc;
    va_list ap;

    va_start(ap, info);
    rc = fn(h, info, va_arg(ap, void *)); /* every CURLINFO_* takes a pointer */
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------------------------------- libpq */

FORWARD(pq, PGconn *, PQconnectdbParams,
        (const char *const *keywords, const char *const *values, int expand_dbname),
        (keywords, values, expand_dbname))
FORWARD(pq, ConnStatusType, PQstatus, (const PGconn *c), (c))
FORWARD(pq, char *, PQerrorMessage, (const PGconn *c), (c))
FORWARD_VOID(pq, PQfinish, (PGconn * c), (c))
FORWARD(pq, PQnoticeProcessor, PQsetNoticeProcessor,
        (PGconn * c, PQnoticeProcessor proc, void *arg), (c, proc, arg))
FORWARD(pq, PGresult *, PQexec, (PGconn * c, const char *query), (c, query))
FORWARD(pq, int, PQsendQueryParams,
        (PGconn * c, const char *command, int n, const Oid *types, const char *const *values,
         const int *lengths, const int *formats, int result_format),
        (c, command, n, types, values, lengths, formats, result_format))
FORWARD(pq, int, PQsetSingleRowMode, (PGconn * c), (c))
FORWARD(pq, PGresult *, PQgetResult, (PGconn * c), (c))
FORWARD(pq, ExecStatusType, PQresultStatus, (const PGresult *r), (r))
FORWARD(pq, char *, PQresultErrorMessage, (const PGresult *r), (r))
FORWARD(pq, char *, PQresultErrorField, (const PGresult *r, int field), (r, field))
FORWARD(pq, int, PQntuples, (const PGresult *r), (r))
FORWARD(pq, int, PQnfields, (const PGresult *r), (r))
FORWARD(pq, char *, PQgetvalue, (const PGresult *r, int row, int col), (r, row, col))
FORWARD(pq, int, PQgetlength, (const PGresult *r, int row, int col), (r, row, col))
FORWARD(pq, int, PQgetisnull, (const PGresult *r, int row, int col), (r, row, col))
FORWARD(pq, char *, PQcmdTuples, (PGresult * r), (r))
FORWARD_VOID(pq, PQclear, (PGresult * r), (r))
