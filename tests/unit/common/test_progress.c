/*
 * Progress events (common/progress.c): passed to the context's listener, with `what` made safe
 * to print, and nothing at all without a listener.
 */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"

typedef struct heard {
    int calls;              /* events received */
    sg_progress_event last; /* the last one (strings invalid after the call) */
    char what[512];         /* its `what`, copied */
} heard;

static void listen(void *payload, const sg_progress_event *ev)
{
    heard *h = payload;
    h->calls++;
    h->last = *ev;
    snprintf(h->what, sizeof(h->what), "%s", ev->what);
}

static void test_progress__events_reach_the_listener(void **state)
{
    sg_ctx *ctx = NULL;
    heard h;
    (void)state;
    memset(&h, 0, sizeof(h));
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_false(sg_progress_wanted(ctx));
    sg_progress_start(ctx, "fetch", "https://example.com/r.git"); /* nobody listens */
    sg_ctx_set_progress(ctx, listen, &h);
    assert_true(sg_progress_wanted(ctx));
    sg_progress_start(ctx, "fetch", "https://example.com/r.git");
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.last.phase, SG_PROGRESS_START);
    assert_string_equal(h.last.step, "fetch");
    assert_string_equal(h.what, "https://example.com/r.git");
    sg_progress_update(ctx, "fetch", "x", 12, 40, "objects");
    assert_int_equal(h.last.phase, SG_PROGRESS_UPDATE);
    assert_int_equal(h.last.done, 12);
    assert_int_equal(h.last.total, 40);
    sg_progress_end(ctx, "fetch", "x", 7);
    assert_int_equal(h.last.phase, SG_PROGRESS_END);
    assert_int_equal(h.last.ok, 1);
    assert_int_equal(h.calls, 3);
    sg_ctx_set_progress(ctx, NULL, NULL);
    sg_progress_end(ctx, "fetch", "x", 0);
    assert_int_equal(h.calls, 3);
    sg_ctx_free(ctx);
}

/* `what` comes from hostile input (URLs, script names): no byte of it may drive a terminal. */
static void test_progress__what_is_made_printable_and_bounded(void **state)
{
    sg_ctx *ctx = NULL;
    heard h;
    char longer[400];
    (void)state;
    memset(&h, 0, sizeof(h));
    assert_int_equal(sg_ctx_new(&ctx), 0);
    sg_ctx_set_progress(ctx, listen, &h);
    sg_progress_start(ctx, "rebuild", "build: node \033[2J\r\nverdict: pass\xc3\xa9");
    assert_string_equal(h.what, "build: node ?[2J??verdict: pass??");
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    sg_progress_start(ctx, "rebuild", longer);
    assert_int_equal(strlen(h.what), 203); /* 200 bytes and "..." */
    assert_string_equal(h.what + 200, "...");
    sg_progress_start(ctx, "rebuild", NULL);
    assert_string_equal(h.what, "");
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress__events_reach_the_listener),
        cmocka_unit_test(test_progress__what_is_made_printable_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
