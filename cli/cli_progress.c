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
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
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

/* The live line of the running step with its elapsed time; called with the lock held. */
static void draw_running(cli_progress *p)
{
    char c[80];
    counts(p, c, sizeof(c));
    fprintf(stderr, "\r\033[K%s %s%s%s (%.0f s)", p->step, p->what, c[0] ? ": " : "", c,
            seconds_since(&p->start));
    fflush(stderr);
    p->drawn = 1;
    clock_gettime(CLOCK_MONOTONIC, &p->last_draw);
}

/* Steps without counts (a build) would show "(0 s)" until they end: redraw every second. */
static void *ticker_main(void *arg)
{
    cli_progress *p = arg;
    struct timespec until;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&p->wake, &p->lock, &until);
        if (!p->stop && p->running)
            draw_running(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
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
        fflush(stderr);
        p->running = 0;
    } else {
        snprintf(p->step, sizeof(p->step), "%s", ev->step);
        snprintf(p->what, sizeof(p->what), "%s", ev->what);
        p->running = 1;
        draw_running(p);
        if (!p->ticker_started && pthread_create(&p->ticker, NULL, ticker_main, p) == 0)
            p->ticker_started = 1;
    }
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
    pthread_mutex_lock(&p->lock);
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
    pthread_mutex_unlock(&p->lock);
}

void cli_progress_clear(cli_progress *p)
{
    int started;
    if (!p || p->style == CLI_PROGRESS_OFF)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    p->running = 0;
    pthread_cond_signal(&p->wake);
    started = p->ticker_started;
    p->ticker_started = 0;
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = 0;
    }
    pthread_mutex_unlock(&p->lock);
    if (started)
        pthread_join(p->ticker, NULL);
}
