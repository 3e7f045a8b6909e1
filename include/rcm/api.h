/*
 * rcm/api.h — the HTTPS JSON API server.
 *
 * The server owns no data: it routes requests to handlers that use the store
 * and the engines. TLS 1.2/1.3 only. One thread per connection (measured best
 * for tail latency and for handlers that block on the database; see
 * docs/adr/0002-http-thread-per-connection.md).
 */
#ifndef RCM_API_H
#define RCM_API_H

#include <stdint.h>

#include "rcm/auth.h"
#include "rcm/crypto.h"
#include "rcm/err.h"
#include "rcm/store.h"

struct rcm_server;
struct rcm_jobs;

struct rcm_billing_env;

struct rcm_server_options {
    const char *listen;             /* IPv4 address, e.g. "127.0.0.1" */
    uint16_t port;                  /* 0 = pick a free port */
    const char *tls_cert_pem;       /* borrowed for the call */
    const char *tls_key_pem;        /* borrowed for the call */
    size_t max_body_bytes;
    size_t max_header_bytes;
    unsigned max_connections;
    unsigned max_connections_per_ip;
    unsigned idle_timeout_s;        /* a connection silent this long closes */
    unsigned head_timeout_s;        /* TLS handshake + request head (ADR 0003) */
    unsigned body_timeout_s;        /* request body, before the rate extension */
    unsigned body_min_rate_bytes_s; /* each this many bytes earn one more second */
    struct rcm_store *store;        /* borrowed; must outlive the server */
    unsigned session_idle_s;        /* clamped to 60..1800 */
    const struct rcm_pwlist *pwlist;/* borrowed; common/breached passwords */
    const struct rcm_key *mfa_key;  /* borrowed; seals TOTP secrets */
    unsigned idempotency_ttl_s;     /* answers kept for Idempotency-Key; 0 = a day */
    struct rcm_jobs *jobs;          /* borrowed; woken when a request queues a
                                     * job (NULL: no workers in this process) */
    /* borrowed; scrub references, 837 sender and outbox (NULL: the claim
     * routes answer 503) */
    const struct rcm_billing_env *billing;
};

/* Version of the HTTP library underneath ("0.9.75"). */
const char *rcm_server_library_version(void);

/* Start listening; *out is returned owned (rcm_server_stop). */
RCM_MUST_CHECK enum rcm_err rcm_server_start(const struct rcm_server_options *opt,
                                             struct rcm_server **out,
                                             struct rcm_diag *diag);

/* The port actually bound (useful when options asked for 0). */
uint16_t rcm_server_port(const struct rcm_server *server);

/* Requests being handled right now. */
unsigned rcm_server_in_flight(const struct rcm_server *server);

/*
 * Graceful stop: refuse new connections at once, let requests in flight
 * finish for up to `grace_s` seconds, then close every connection and free
 * the server.
 */
void rcm_server_stop(struct rcm_server *server, unsigned grace_s);

#endif
