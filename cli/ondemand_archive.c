/*
 * libarchive's functions the executable calls, forwarded to libarchive loaded on first use
 * (ondemand.c says why and how). libarchive alone brings libxml2, ICU and libstdc++: ~3 ms of
 * every run's start when linked. None of these functions is variadic.
 */
#include <archive.h>
#include <archive_entry.h>

#include "ondemand_int.h"

/* Not clang-formatted: in a macro argument it takes "T **p" for a product. */
// clang-format off
FORWARD(archive, mode_t, archive_entry_filetype, (struct archive_entry *e), (e))
FORWARD(archive, la_int64_t, archive_entry_gid, (struct archive_entry *e), (e))
FORWARD(archive, const char *, archive_entry_gname, (struct archive_entry *e), (e))
FORWARD(archive, const char *, archive_entry_hardlink, (struct archive_entry *e), (e))
FORWARD(archive, time_t, archive_entry_mtime, (struct archive_entry *e), (e))
FORWARD(archive, int, archive_entry_mtime_is_set, (struct archive_entry *e), (e))
FORWARD(archive, const char *, archive_entry_pathname, (struct archive_entry *e), (e))
FORWARD(archive, const char *, archive_entry_pathname_utf8, (struct archive_entry *e), (e))
FORWARD(archive, mode_t, archive_entry_perm, (struct archive_entry *e), (e))
FORWARD(archive, la_int64_t, archive_entry_size, (struct archive_entry *e), (e))
FORWARD(archive, int, archive_entry_size_is_set, (struct archive_entry *e), (e))
FORWARD(archive, const char *, archive_entry_symlink, (struct archive_entry *e), (e))
FORWARD(archive, la_int64_t, archive_entry_uid, (struct archive_entry *e), (e))
FORWARD(archive, const char *, archive_entry_uname, (struct archive_entry *e), (e))
FORWARD(archive, int, archive_errno, (struct archive *a), (a))
FORWARD(archive, const char *, archive_error_string, (struct archive *a), (a))
FORWARD(archive, la_int64_t, archive_filter_bytes, (struct archive *a, int n), (a, n))
FORWARD(archive, int, archive_format, (struct archive *a), (a))
FORWARD(archive, la_ssize_t, archive_read_data, (struct archive *a, void *buf, size_t size),
        (a, buf, size))
FORWARD(archive, int, archive_read_free, (struct archive *a), (a))
FORWARD(archive, struct archive *, archive_read_new, (void), ())
FORWARD(archive, int, archive_read_next_header, (struct archive *a, struct archive_entry **e),
        (a, e))
FORWARD(archive, int, archive_read_open_memory, (struct archive *a, const void *buf, size_t size),
        (a, buf, size))
FORWARD(archive, int, archive_read_support_filter_gzip, (struct archive *a), (a))
FORWARD(archive, int, archive_read_support_format_raw, (struct archive *a), (a))
FORWARD(archive, int, archive_read_support_format_tar, (struct archive *a), (a))
// clang-format on
