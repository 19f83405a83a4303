/*
 * libgit2's TLS trust store, parsed only by runs that may need it (the sourcegate executable
 * only).
 *
 * Why. libgit2 1.5 built with mbedTLS (Debian's) parses the whole CA bundle in
 * git_libgit2_init(), whether or not a connection follows: mbedtls_x509_crt_parse_file() on
 * /etc/ssl/certs/ca-certificates.crt, ~150 certificates through mbedTLS's constant-time base64
 * decoder, 4 to 5 ms of CPU. That is a third of a warm local verify's source side (ci/bench),
 * which never connects anywhere: its repository is a local path or a file:// URL. Issue 14 asks
 * local mode not to initialize TLS at all.
 *
 * How. The executable defines the two mbedTLS functions libgit2 loads its trust store with and
 * exports them (CMakeLists.txt: --export-dynamic-symbol), so libgit2's calls bind here: an
 * executable's exported symbols come first in the dynamic linker's search, for libraries
 * loaded at start and for those dlopen()ed later alike. Each forwards to mbedTLS's own
 * function (found in libmbedx509, already loaded as libgit2's dependency), except after
 * cli_git_tls_defer(), which local mode calls before libgit2 starts: then nothing is parsed
 * and the chain stays empty. An empty chain trusts nobody, so a TLS connection libgit2 made
 * anyway would fail its certificate check: deferring can make a connection fail, never make a
 * bad certificate pass.
 *
 * A libgit2 built with OpenSSL never calls these (nothing changes); a build without mbedTLS's
 * headers compiles only cli_git_tls_defer(), as a no-op.
 */
#include "cli.h"

#include <stdatomic.h>

#if defined(__has_include)
#if __has_include(<mbedtls/x509_crt.h>)
#define SG_GIT_TLS_MBEDTLS 1
#endif
#endif

static atomic_int deferred; /* 1: local mode, parse no trust store */

#ifdef SG_GIT_TLS_MBEDTLS
#include <mbedtls/x509_crt.h>

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

/* The soname libgit2 1.5 links for mbedTLS 2.28's X.509 (Debian 12: libmbedx509-1). */
#define MBEDX509_SONAME "libmbedx509.so.1"

/* mbedTLS's own definition of name: in libmbedx509 as loaded (RTLD_NOLOAD: only if it is),
 * else the next definition after the executable's. Never NULL: a trust store that cannot be
 * loaded ends the run, an operational error (exit 4), rather than trusting nobody silently. */
static void *real(const char *name)
{
    void *lib = dlopen(MBEDX509_SONAME, RTLD_NOW | RTLD_NOLOAD), *fn = NULL;

    if (lib) {
        fn = dlsym(lib, name);
        dlclose(lib); /* only drops the reference NOLOAD took */
    }
    if (!fn)
        fn = dlsym(RTLD_NEXT, name);
    if (!fn) {
        fprintf(stderr,
                "sourcegate: error: cannot load the TLS trust store: mbedTLS's %s "
                "not found\n",
                name);
        _exit(4);
    }
    return fn;
}

int mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path)
{
    __typeof__(mbedtls_x509_crt_parse_file) *fn;

    if (atomic_load(&deferred))
        return 0; /* nothing added: the chain trusts nobody */
    fn = (__typeof__(mbedtls_x509_crt_parse_file) *)real("mbedtls_x509_crt_parse_file");
    return fn(chain, path);
}

int mbedtls_x509_crt_parse_path(mbedtls_x509_crt *chain, const char *path)
{
    __typeof__(mbedtls_x509_crt_parse_path) *fn;

    if (atomic_load(&deferred))
        return 0;
    fn = (__typeof__(mbedtls_x509_crt_parse_path) *)real("mbedtls_x509_crt_parse_path");
    return fn(chain, path);
}
#endif

void cli_git_tls_defer(void)
{
    atomic_store(&deferred, 1);
}
