/*
 * The end of a subcommand: its report written to -o FILE or stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The messages of a report written without a name: the failed write says "the report", the
 * failed close names the file. */
static int write_report(FILE *f, const char *path, const sg_buf *b)
{
    int rc = 0;
    if (fwrite(b->ptr, 1, b->size, f) != b->size || fflush(f) != 0) {
        fprintf(stderr, "sourcegate: error: writing the report failed\n");
        rc = CLI_EXIT_OPERATIONAL;
    }
    if (f != stdout && fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "sourcegate: error: writing '%s' failed\n", path);
        rc = CLI_EXIT_OPERATIONAL;
    }
    return rc;
}

/* The messages of a named output: one message for any failure, naming what was written. */
static int write_named(FILE *f, const sg_buf *b, const char *what)
{
    int rc = 0;
    if (fwrite(b->ptr, 1, b->size, f) != b->size || fflush(f) != 0)
        rc = CLI_EXIT_OPERATIONAL;
    if (f != stdout && fclose(f) != 0)
        rc = CLI_EXIT_OPERATIONAL;
    if (rc)
        fprintf(stderr, "sourcegate: error: writing %s failed\n", what);
    return rc;
}

int cli_write_output(const char *path, const sg_buf *b, const char *what)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) {
        if (what)
            fprintf(stderr, "sourcegate: error: cannot write %s '%s': %s\n", what, path,
                    strerror(errno));
        else
            fprintf(stderr, "sourcegate: error: cannot write '%s': %s\n", path, strerror(errno));
        return CLI_EXIT_OPERATIONAL;
    }
    return what ? write_named(f, b, what) : write_report(f, path, b);
}

int cli_color_wanted(int fd)
{
    const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
    if (no_color && *no_color)
        return 0;
    if (term && strcmp(term, "dumb") == 0)
        return 0;
    return isatty(fd);
}
