/*
 * --progress: the printer of sg_progress events (cli_progress.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_progress.h"

#define LIVE_REDRAW_MS 100 /* the live line is redrawn at most this often */

int cli_progress_parse(cli_progress_mode *out, const char *cmd, const char *value)
{
    if (strcmp(value, "auto") == 0)
        *out = CLI_PROGRESS_AUTO;
    else if (strcmp(value, "always") == 0)
        *out = CLI_PROGRESS_ALWAYS;
    else if (strcmp(value, "never") == 0)
        *out = CLI_PROGRESS_NEVER;
    else {
        fprintf(stderr, "sourcegate %s: --progress must be auto, always or never\n", cmd);
        return 2;
    }
    return 0;
}

cli_progress_style cli_progress_style_for(cli_progress_mode mode, int quiet)
{
    int tty = isatty(STDERR_FILENO);
    if (quiet || mode == CLI_PROGRESS_NEVER)
        return CLI_PROGRESS_OFF;
    if (tty)
        return CLI_PROGRESS_LIVE;
    return mode == CLI_PROGRESS_ALWAYS ? CLI_PROGRESS_PLAIN : CLI_PROGRESS_OFF;
}

void cli_progress_init(cli_progress *p, cli_progress_style style)
{
    memset(p, 0, sizeof(*p));
    p->style = style;
}

static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void counts(const cli_progress *p, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!p->unit)
        return;
    if (p->total)
        snprintf(buf, size, "%llu/%llu %s", (unsigned long long)p->done,
                 (unsigned long long)p->total, p->unit);
    else
        snprintf(buf, size, "%llu %s", (unsigned long long)p->done, p->unit);
}

static void live(cli_progress *p, const sg_progress_event *ev)
{
    char c[80];
    if (ev->phase == SG_PROGRESS_UPDATE && p->drawn &&
        seconds_since(&p->last_draw) * 1000 < LIVE_REDRAW_MS)
        return;
    counts(p, c, sizeof(c));
    if (ev->phase == SG_PROGRESS_END) {
        fprintf(stderr, "\r\033[K%s %s: %s in %.1f s%s%s%s\n", ev->step, ev->what,
                ev->ok ? "done" : "failed", seconds_since(&p->start), c[0] ? " (" : "", c,
                c[0] ? ")" : "");
        p->drawn = 0;
    } else {
        fprintf(stderr, "\r\033[K%s %s%s%s (%.0f s)", ev->step, ev->what, c[0] ? ": " : "", c,
                seconds_since(&p->start));
        p->drawn = 1;
        clock_gettime(CLOCK_MONOTONIC, &p->last_draw);
    }
    fflush(stderr);
}

static void plain(cli_progress *p, const sg_progress_event *ev)
{
    char c[80];
    if (ev->phase == SG_PROGRESS_START) {
        fprintf(stderr, "sourcegate: %s %s ...\n", ev->step, ev->what);
    } else if (ev->phase == SG_PROGRESS_END) {
        counts(p, c, sizeof(c));
        fprintf(stderr, "sourcegate: %s %s: %s in %.1f s%s%s%s\n", ev->step, ev->what,
                ev->ok ? "done" : "failed", seconds_since(&p->start), c[0] ? " (" : "", c,
                c[0] ? ")" : "");
    }
}

void cli_progress_event(void *payload, const sg_progress_event *ev)
{
    cli_progress *p = payload;
    if (!p || p->style == CLI_PROGRESS_OFF)
        return;
    if (ev->phase == SG_PROGRESS_START) {
        clock_gettime(CLOCK_MONOTONIC, &p->start);
        p->done = p->total = 0;
        p->unit = NULL;
    } else if (ev->phase == SG_PROGRESS_UPDATE) {
        p->done = ev->done;
        p->total = ev->total;
        /* keep only units the library names (static strings), never a borrowed pointer */
        p->unit = ev->unit && strcmp(ev->unit, "objects") == 0 ? "objects"
                  : ev->unit && strcmp(ev->unit, "bytes") == 0 ? "bytes"
                                                               : NULL;
    }
    if (p->style == CLI_PROGRESS_LIVE)
        live(p, ev);
    else
        plain(p, ev);
}

void cli_progress_clear(cli_progress *p)
{
    if (p && p->style == CLI_PROGRESS_LIVE && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = 0;
    }
}
