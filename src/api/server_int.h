/*
 * server_int.h — the transport's own rules, private to src/api: connection
 * deadlines (server_guard.c) and request-head strictness (server_head.c).
 * Neither knows libmicrohttpd; server_mhd.c feeds them.
 */
#ifndef RCM_SERVER_INT_H
#define RCM_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"

/* ---- deadlines (server_guard.c) ----------------------------------------- */

struct server_limits {
    int64_t head_timeout_ms;    /* handshake + request head, or keep-alive wait */
    int64_t body_timeout_ms;    /* request body, before the rate extension */
    int64_t body_min_rate;      /* bytes/s that earn one more second; 0 = none */
};

enum server_phase {
    SERVER_PHASE_HEAD,          /* waiting for (the rest of) a request head */
    SERVER_PHASE_BODY,          /* reading a request body */
    SERVER_PHASE_BUSY,          /* handling, or sending the response */
};

struct server_guard;
struct server_watch;

/* Start the watchdog thread; *out is returned owned (server_guard_stop). */
RCM_MUST_CHECK enum rcm_err server_guard_start(const struct server_limits *limits,
                                               struct server_guard **out);
/* Stop the watchdog and free it; every watch must have been removed. */
void server_guard_stop(struct server_guard *g);

/*
 * Watch a new connection's socket, in the head phase from now. Returns the
 * watch (owned by the guard until server_guard_remove), or NULL when out of
 * memory, in which case the socket has been shut down.
 */
struct server_watch *server_guard_add(struct server_guard *g, int fd);
/* Forget a connection. Must be called before its descriptor is closed.
 * NULL is ignored. */
void server_guard_remove(struct server_guard *g, struct server_watch *w);

/* The head arrived: the body phase starts, or busy when there is no body.
 * Every server_watch_* function ignores a NULL watch. */
void server_watch_head_done(struct server_guard *g, struct server_watch *w,
                            bool body_expected);
/* `bytes` more of the body arrived: the body deadline moves on. */
void server_watch_body(struct server_guard *g, struct server_watch *w, size_t bytes);
/* The request is being handled: no deadline until the response is done. */
void server_watch_busy(struct server_watch *w);
/* The response is done: the next head must arrive within head_timeout_ms. */
void server_watch_idle(struct server_guard *g, struct server_watch *w);

/* Shut every watched connection down now (graceful stop, after the grace
 * period); returns how many were still open. */
unsigned server_guard_close_all(struct server_guard *g);
/* Connections the guard has shut down so far (for tests). */
unsigned server_guard_cuts(struct server_guard *g);

/* ---- request-head strictness (server_head.c) ---------------------------- */

/* What to answer a request head that is not acceptable. */
enum server_head_verdict {
    SERVER_HEAD_OK = 0,
    SERVER_HEAD_BAD,            /* 400 */
    SERVER_HEAD_LENGTH_REQUIRED,/* 411: a chunked body; send Content-Length */
    SERVER_HEAD_NOT_IMPLEMENTED,/* 501: a transfer coding we do not know */
};

/*
 * Check the request target as it arrived, before percent-decoding: only
 * visible ASCII, and no percent-encoded control character (%00 would cut
 * the decoded path short, so /v1/patients/1%00abc would read patient 1).
 * On failure *why is a static message for the client.
 */
enum server_head_verdict server_head_check_target(const char *raw, const char **why);

/* Header fields seen so far, to refuse repeats and conflicts. */
struct server_head_check {
    unsigned seen;              /* bit per singleton field seen */
    enum server_head_verdict verdict;
    const char *why;            /* static message, when verdict != OK */
};

/* Check one header field (name and value as the library split them). The
 * first problem sticks in `c`. */
void server_head_check_field(struct server_head_check *c, const char *name,
                             size_t name_len, const char *value, size_t value_len);
/* After the last field: conflicts between fields. Returns the verdict. */
enum server_head_verdict server_head_check_end(struct server_head_check *c);

#endif
