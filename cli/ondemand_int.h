/*
 * Shared libraries loaded on their first use (the sourcegate executable only): the mechanism
 * (ondemand.c) and the macros the forwarding tables (ondemand_<library>.c) are written with.
 * ondemand.c says why and how.
 */
#ifndef SG_CLI_ONDEMAND_INT_H
#define SG_CLI_ONDEMAND_INT_H

#include <pthread.h>
#include <stdatomic.h>

/* One library loaded on demand. */
typedef struct sg_ondemand_lib {
    const char *soname;  /* what dlopen() is given: the ABI the headers describe */
    const char *package; /* the Debian package that ships it, for the message */
    void (*load)(void);  /* dlopen()s this library: pthread_once's routine takes no argument */
    pthread_once_t once; /* guards the dlopen() */
    void *handle;        /* dlopen()'s result; NULL when it failed */
    char error[512];     /* dlerror() of a failed dlopen() */
} sg_ondemand_lib;

extern sg_ondemand_lib sg_ondemand__curl;    /* libcurl: the registry client */
extern sg_ondemand_lib sg_ondemand__pq;      /* libpq: the PostgreSQL store */
extern sg_ondemand_lib sg_ondemand__git;     /* libgit2: source repositories */
extern sg_ondemand_lib sg_ondemand__archive; /* libarchive: tarballs */
extern sg_ondemand_lib sg_ondemand__sqlite;  /* SQLite: the local store */
extern sg_ondemand_lib sg_ondemand__yaml;    /* libyaml: pnpm lockfiles */
extern sg_ondemand_lib sg_ondemand__seccomp; /* libseccomp: the rebuild's filter */

/* Print "sourcegate: error: MESSAGE" and end the run with exit status 4 (an operational
 * error); for what a forwarder cannot report through the function's own return value. */
_Noreturn void sg_ondemand__die(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* One function of a library: what a forwarder resolves, and where it caches the address. */
typedef struct sg_ondemand_sym {
    sg_ondemand_lib *lib;   /* the library that defines it */
    const char *name;       /* its name */
    _Atomic(void *) *cache; /* its address once resolved; NULL before */
} sg_ondemand_sym;

/* The address of sym, as cached: the first call into its library loads the library (once,
 * whatever the thread) and resolves all its functions; never returns NULL (dies instead). */
void *sg_ondemand__cached(const sg_ondemand_sym *sym);

/* fn: the real `name` of library `lib` (curl, pq, git, ...), typed as the header declares it
 * (POSIX: dlsym's result converts to a function pointer). A pointer to the function's record
 * goes into the section sg_ondemand_syms, which ondemand.c walks to resolve every function of
 * a library right after loading it (pointers, not the records: nothing pads an array of
 * pointers). */
#define SG_ONDEMAND_SYMBOL(lib, name)                                                              \
    static _Atomic(void *) cache_;                                                                 \
    static const sg_ondemand_sym sym_ = {&sg_ondemand__##lib, #name, &cache_};                     \
    static const sg_ondemand_sym *const sym_ref_                                                   \
        __attribute__((used, section("sg_ondemand_syms"))) = &sym_;                                \
    __typeof__(name) *fn = (__typeof__(name) *)sg_ondemand__cached(&sym_)

/* One forwarding definition per function: the prototype is the header's (a definition that
 * disagrees with the declaration does not compile), the body calls the real function. */
#define FORWARD(lib, ret, name, params, args)                                                      \
    ret name params                                                                                \
    {                                                                                              \
        SG_ONDEMAND_SYMBOL(lib, name);                                                             \
        return fn args;                                                                            \
    }
#define FORWARD_VOID(lib, name, params, args)                                                      \
    void name params                                                                               \
    {                                                                                              \
        SG_ONDEMAND_SYMBOL(lib, name);                                                             \
        fn args;                                                                                   \
    }

#endif
