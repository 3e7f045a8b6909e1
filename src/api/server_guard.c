/*
 * server_guard.c — deadlines for every connection, enforced from outside the
 * HTTP library.
 *
 * libmicrohttpd 0.9.75 has only an idle timeout, and that one misbehaves
 * during the TLS handshake (ADR 0003): a connection that never finishes its
 * handshake is left in the daemon's list when the timeout fires, so it holds
 * its connection slot until restart and makes MHD_stop_daemon spin. A
 * request head dribbled a byte at a time is never cut off at all. This file
 * watches each connection and closes it, with shutdown(2) on its socket,
 * when a deadline passes:
 *
 *   waiting for a head   the TLS handshake and the whole request head must
 *                        arrive within head_timeout_ms of the connection
 *                        being accepted, or of the previous response on a
 *                        kept-alive connection;
 *   reading a body       body_timeout_ms, extended by one second for every
 *                        body_min_rate bytes received (mod_reqtimeout's
 *                        "body=20,MinRate=500");
 *   busy                 our handler runs or the response is being sent:
 *                        no deadline here (the library's idle timeout covers
 *                        a client that stops reading).
 *
 * shutdown(2) makes the connection's thread see end-of-file, which the
 * library handles like a client that went away: it closes the connection,
 * calls its completion callbacks and frees the slot. The caller removes a
 * watch before the library closes the descriptor (MHD calls the "closed"
 * notification first), and every shutdown happens under the same mutex, so
 * a descriptor number is never shut down after it could have been reused.
 *
 * Transport-independent: it knows descriptors, not HTTP, and is unit-tested
 * with socket pairs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "api/server_int.h"
#include "rcm/date.h"
#include "rcm/log.h"
#include "rcm/mem.h"

/* How often the watchdog looks: the precision of every deadline. */
#define GUARD_TICK_MS 100

struct server_watch {
    int fd;
    atomic_int phase;               /* enum server_phase */
    atomic_int_fast64_t deadline_ms;/* 0: none */
    atomic_int_fast64_t body_start_ms;
    atomic_int_fast64_t body_bytes;
    atomic_int requests;            /* heads completed on this connection */
    bool cut;                       /* shut down by the watchdog (under mu) */
    struct server_watch *prev, *next;
};

struct server_guard {
    struct server_limits limits;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct server_watch *head;      /* every open connection */
    bool stopping;
    bool running;
    pthread_t thread;
    atomic_uint cuts;
};

/* Close the connection: its thread reads end-of-file. Caller holds mu. */
static void
cut(struct server_guard *g, struct server_watch *w)
{
    if (w->cut)
        return;
    w->cut = true;
    /* counted first: whoever sees the end-of-file also sees the count */
    atomic_fetch_add(&g->cuts, 1);
    shutdown(w->fd, SHUT_RDWR);
}

static void *
watchdog(void *arg)
{
    struct server_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        int64_t now = rcm_time_mono_ms();
        unsigned head_cuts = 0, body_cuts = 0, keepalive_ends = 0;
        for (struct server_watch *w = g->head; w; w = w->next) {
            int64_t deadline = atomic_load(&w->deadline_ms);
            if (w->cut || deadline == 0 || now < deadline)
                continue;
            enum server_phase phase = (enum server_phase)atomic_load(&w->phase);
            if (phase == SERVER_PHASE_BODY)
                body_cuts++;
            else if (atomic_load(&w->requests) > 0)
                keepalive_ends++;
            else
                head_cuts++;
            cut(g, w);
        }
        if (head_cuts || body_cuts) {
            /* counts only: no address, nothing a request carried */
            RCM_LOG(RCM_LOG_INFO, "http.deadline", NULL,
                    RCM_LF_I("head", head_cuts), RCM_LF_I("body", body_cuts),
                    RCM_LF_I("keepalive", keepalive_ends));
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += GUARD_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->cv, &g->mu, &until);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

enum rcm_err
server_guard_start(const struct server_limits *limits, struct server_guard **out)
{
    *out = NULL;
    struct server_guard *g = rcm_calloc(1, sizeof *g);
    if (!g)
        return RCM_E_NOMEM;
    g->limits = *limits;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cv, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&g->mu, NULL);
    if (pthread_create(&g->thread, NULL, watchdog, g) != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        rcm_free(g);
        return RCM_E_NOMEM;
    }
    g->running = true;
    *out = g;
    return RCM_OK;
}

void
server_guard_stop(struct server_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stopping = true;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    if (g->running)
        pthread_join(g->thread, NULL);
    /* the transport removed every watch before this (connections closed) */
    while (g->head) {
        struct server_watch *w = g->head;
        g->head = w->next;
        rcm_free(w);
    }
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    rcm_free(g);
}

struct server_watch *
server_guard_add(struct server_guard *g, int fd)
{
    struct server_watch *w = rcm_calloc(1, sizeof *w);
    if (!w) {
        shutdown(fd, SHUT_RDWR);    /* fail closed: an unwatched connection
                                     * could hold its slot for ever */
        return NULL;
    }
    w->fd = fd;
    atomic_init(&w->phase, SERVER_PHASE_HEAD);
    atomic_init(&w->deadline_ms, rcm_time_mono_ms() + g->limits.head_timeout_ms);
    pthread_mutex_lock(&g->mu);
    w->next = g->head;
    if (g->head)
        g->head->prev = w;
    g->head = w;
    pthread_mutex_unlock(&g->mu);
    return w;
}

void
server_guard_remove(struct server_guard *g, struct server_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&g->mu);
    if (w->prev)
        w->prev->next = w->next;
    else
        g->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&g->mu);
    rcm_free(w);
}

void
server_watch_head_done(struct server_guard *g, struct server_watch *w, bool body_expected)
{
    if (!w)
        return;
    atomic_fetch_add(&w->requests, 1);
    if (!body_expected) {
        atomic_store(&w->phase, SERVER_PHASE_BUSY);
        atomic_store(&w->deadline_ms, 0);
        return;
    }
    int64_t now = rcm_time_mono_ms();
    atomic_store(&w->body_start_ms, now);
    atomic_store(&w->body_bytes, 0);
    atomic_store(&w->phase, SERVER_PHASE_BODY);
    atomic_store(&w->deadline_ms, now + g->limits.body_timeout_ms);
}

void
server_watch_body(struct server_guard *g, struct server_watch *w, size_t bytes)
{
    if (!w)
        return;
    int64_t total = atomic_fetch_add(&w->body_bytes, (int64_t)bytes) + (int64_t)bytes;
    int64_t extra_ms = g->limits.body_min_rate > 0 ? total * 1000 / g->limits.body_min_rate : 0;
    atomic_store(&w->deadline_ms,
                 atomic_load(&w->body_start_ms) + g->limits.body_timeout_ms + extra_ms);
}

void
server_watch_busy(struct server_watch *w)
{
    if (!w)
        return;
    atomic_store(&w->phase, SERVER_PHASE_BUSY);
    atomic_store(&w->deadline_ms, 0);
}

void
server_watch_idle(struct server_guard *g, struct server_watch *w)
{
    if (!w)
        return;
    atomic_store(&w->phase, SERVER_PHASE_HEAD);
    atomic_store(&w->deadline_ms, rcm_time_mono_ms() + g->limits.head_timeout_ms);
}

unsigned
server_guard_close_all(struct server_guard *g)
{
    unsigned n = 0;
    pthread_mutex_lock(&g->mu);
    for (struct server_watch *w = g->head; w; w = w->next) {
        if (!w->cut)
            n++;
        cut(g, w);
    }
    pthread_mutex_unlock(&g->mu);
    return n;
}

unsigned
server_guard_cuts(struct server_guard *g)
{
    return atomic_load(&g->cuts);
}
