/* Connection deadlines (server_guard.c), with socket pairs for connections. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/server_int.h"
#include "rcm/date.h"
#include "rcm_test.h"

struct pair {
    int server, client;
};

static void
pair_open(struct pair *p)
{
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    p->server = fds[0];
    p->client = fds[1];
}

static void
pair_close(struct pair *p)
{
    close(p->server);
    close(p->client);
}

/* Milliseconds until the client side sees end-of-file, or -1 after limit_ms. */
static int64_t
eof_within(const struct pair *p, int limit_ms)
{
    int64_t start = rcm_time_mono_ms();
    for (;;) {
        int64_t left = limit_ms - (rcm_time_mono_ms() - start);
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = p->client, .events = POLLIN};
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        char c;
        ssize_t n = read(p->client, &c, 1);
        if (n == 0)
            return rcm_time_mono_ms() - start;
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return rcm_time_mono_ms() - start;
    }
}

static struct server_guard *
guard(int64_t head_ms, int64_t body_ms, int64_t rate)
{
    struct server_limits limits = {head_ms, body_ms, rate};
    struct server_guard *g = NULL;
    assert_int_equal(server_guard_start(&limits, &g), RCM_OK);
    return g;
}

static void
silent_connection_is_cut_at_the_head_deadline(void **state)
{
    (void)state;
    struct server_guard *g = guard(300, 10000, 0);
    struct pair p;
    pair_open(&p);
    struct server_watch *w = server_guard_add(g, p.server);
    assert_non_null(w);
    /* deadline 300 ms; the upper bound leaves room for a loaded machine */
    int64_t ms = eof_within(&p, 5000);
    assert_true(ms >= 150 && ms < 3000);
    assert_int_equal(server_guard_cuts(g), 1);
    server_guard_remove(g, w);
    server_guard_stop(g);
    pair_close(&p);
}

static void
busy_connection_has_no_deadline(void **state)
{
    (void)state;
    struct server_guard *g = guard(1000, 1000, 0);
    struct pair p;
    pair_open(&p);
    struct server_watch *w = server_guard_add(g, p.server);
    server_watch_head_done(g, w, false);     /* no body: busy */
    assert_int_equal(eof_within(&p, 1500), -1);
    server_watch_idle(g, w);                  /* response done: head deadline again */
    int64_t ms = eof_within(&p, 5000);
    assert_true(ms >= 800 && ms < 4000);
    server_guard_remove(g, w);
    server_guard_stop(g);
    pair_close(&p);
}

static void
body_deadline_grows_with_the_bytes_received(void **state)
{
    (void)state;
    /* 400 ms, plus one second per 1000 bytes */
    struct server_guard *g = guard(10000, 400, 1000);
    struct pair p;
    pair_open(&p);
    struct server_watch *w = server_guard_add(g, p.server);
    server_watch_head_done(g, w, true);
    server_watch_body(g, w, 500);             /* +500 ms: deadline at ~900 ms */
    int64_t ms = eof_within(&p, 5000);
    assert_true(ms >= 700 && ms < 3500);
    server_guard_remove(g, w);
    server_guard_stop(g);
    pair_close(&p);
}

static void
close_all_cuts_every_open_connection(void **state)
{
    (void)state;
    struct server_guard *g = guard(60000, 60000, 0);
    struct pair a, b;
    pair_open(&a);
    pair_open(&b);
    struct server_watch *wa = server_guard_add(g, a.server);
    struct server_watch *wb = server_guard_add(g, b.server);
    server_watch_busy(wb);
    assert_int_equal(server_guard_close_all(g), 2);
    assert_true(eof_within(&a, 1000) >= 0);
    assert_true(eof_within(&b, 1000) >= 0);
    assert_int_equal(server_guard_close_all(g), 0);   /* once each */
    server_guard_remove(g, wa);
    server_guard_remove(g, wb);
    server_guard_stop(g);
    pair_close(&a);
    pair_close(&b);
}

static void
removed_connection_is_left_alone(void **state)
{
    (void)state;
    struct server_guard *g = guard(1000, 1000, 0);
    struct pair p;
    pair_open(&p);
    struct server_watch *w = server_guard_add(g, p.server);
    server_guard_remove(g, w);
    server_watch_busy(NULL);                  /* NULL watches are ignored */
    server_guard_remove(g, NULL);
    assert_int_equal(eof_within(&p, 1500), -1);
    server_guard_stop(g);
    pair_close(&p);
}

RUN_TESTS(cmocka_unit_test(silent_connection_is_cut_at_the_head_deadline),
          cmocka_unit_test(busy_connection_has_no_deadline),
          cmocka_unit_test(body_deadline_grows_with_the_bytes_received),
          cmocka_unit_test(close_all_cuts_every_open_connection),
          cmocka_unit_test(removed_connection_is_left_alone))
