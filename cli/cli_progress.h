/*
 * --progress: where the time goes, on stderr. One switch for every subcommand:
 * auto (the default) redraws one line on a terminal and prints nothing elsewhere; always also
 * prints plain lines (one when a step starts, one when it ends, with its time) when stderr is
 * not a terminal, for CI logs; never, and -q, print nothing.
 */
#ifndef CLI_PROGRESS_H
#define CLI_PROGRESS_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "sourcegate/progress.h"

typedef enum { CLI_PROGRESS_AUTO = 0, CLI_PROGRESS_ALWAYS, CLI_PROGRESS_NEVER } cli_progress_mode;

/** How progress is shown, once decided. */
typedef enum {
    CLI_PROGRESS_OFF = 0, /**< nothing */
    CLI_PROGRESS_LIVE,    /**< one line on a terminal, redrawn */
    CLI_PROGRESS_PLAIN,   /**< a line per step start and end */
} cli_progress_style;

/** The option row: {"progress", 0, CLI_OPT_VALUE, "WHEN", ..., id}. */
#define CLI_PROGRESS_OPT_HELP                                                                      \
    "progress on stderr: auto (on a terminal; default), always (also plain lines in logs) or "     \
    "never"

/** Parse --progress's value; prints the error (naming cmd) and returns 2 when it is bad. */
int cli_progress_parse(cli_progress_mode *out, const char *cmd, const char *value);

/** The style for mode, -q and whether stderr is a terminal. */
cli_progress_style cli_progress_style_for(cli_progress_mode mode, int quiet);

/** The printer of sg_progress events (sourcegate/progress.h). */
typedef struct cli_progress {
    cli_progress_style style;  /**< how */
    struct timespec start;     /**< when the current step started */
    struct timespec last_draw; /**< when the live line was last drawn */
    uint64_t done, total;      /**< the current step's last counts */
    const char *unit;          /**< and their unit (a static string) */
    int drawn;                 /**< a live line is on the terminal */
    char step[32], what[208];  /**< the running step, for the ticker (live style) */
    int running;               /**< a step is running */
    int ticker_started;        /**< the ticker thread runs (live style, after a first step) */
    int stop;                  /**< tells the ticker to end */
    pthread_t ticker;          /**< redraws the elapsed time every second during a step */
    pthread_mutex_t lock;      /**< guards the fields above and the terminal line */
    pthread_cond_t wake;       /**< wakes the ticker to stop */
} cli_progress;

void cli_progress_init(cli_progress *p, cli_progress_style style);

/** The sg_progress_fn: payload is a cli_progress. */
void cli_progress_event(void *payload, const sg_progress_event *ev);

/** Erase the live line (before the report is printed) and stop the ticker. */
void cli_progress_clear(cli_progress *p);

#endif
