/*
 * libcurl's functions the executable calls, forwarded to libcurl loaded on first use
 * (ondemand.c says why and how).
 *
 * Variadic functions. curl_easy_setopt takes one argument whose type its option number says
 * (CURLOPTTYPE_*: long, object pointer, function pointer, curl_off_t, blob pointer), exactly
 * as libcurl's own curl_easy_setopt reads it with va_arg; curl_easy_getinfo takes a pointer.
 */
#define CURL_DISABLE_TYPECHECK /* the wrappers below are the functions the macros would call */
#include <curl/curl.h>

#include "ondemand_int.h"

#include <stdarg.h>

/* Not clang-formatted: in a macro argument it takes "T **p" for a product. */
// clang-format off
FORWARD_VOID(curl, curl_easy_cleanup, (CURL *h), (h))
FORWARD(curl, CURL *, curl_easy_init, (void), ())
FORWARD(curl, CURLcode, curl_easy_perform, (CURL *h), (h))
FORWARD_VOID(curl, curl_easy_reset, (CURL *h), (h))
FORWARD(curl, const char *, curl_easy_strerror, (CURLcode code), (code))
FORWARD_VOID(curl, curl_free, (void *p), (p))
FORWARD(curl, CURLcode, curl_global_init, (long flags), (flags))
FORWARD(curl, struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s),
        (l, s))
FORWARD_VOID(curl, curl_slist_free_all, (struct curl_slist *l), (l))
FORWARD(curl, CURLU *, curl_url, (void), ())
FORWARD_VOID(curl, curl_url_cleanup, (CURLU *u), (u))
FORWARD(curl, CURLUcode, curl_url_get, (CURLU *u, CURLUPart what, char **part, unsigned int flags),
        (u, what, part, flags))
FORWARD(curl, CURLUcode, curl_url_set,
        (CURLU *u, CURLUPart what, const char *part, unsigned int flags), (u, what, part, flags))
// clang-format on

CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    SG_ONDEMAND_SYMBOL(curl, curl_easy_setopt);
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
    SG_ONDEMAND_SYMBOL(curl, curl_easy_getinfo);
    CURLcode rc;
    va_list ap;

    va_start(ap, info);
    rc = fn(h, info, va_arg(ap, void *)); /* every CURLINFO_* takes a pointer */
    va_end(ap);
    return rc;
}
