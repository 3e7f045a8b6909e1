/*
 * server_mhd.c — the HTTP transport over GNU libmicrohttpd. The only file
 * that includes <microhttpd.h>: it turns MHD callbacks into api_request /
 * api_response and enforces transport limits (connections, header memory,
 * idle time, body size) and, with server_guard.c and server_head.c, the
 * rules the library does not enforce by itself: deadlines for the TLS
 * handshake, the request head and the body, and a strict request head
 * (ADR 0003). Everything else happens in api_dispatch().
 *
 * Mode: one thread per connection with an internal polling thread, TLS via
 * MHD's GnuTLS support restricted to TLS 1.2 and 1.3 with AEAD ciphers.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "api/server_int.h"
#include "rcm/api.h"
#include "rcm/buf.h"
#include "rcm/date.h"
#include "rcm/log.h"
#include "rcm/str.h"

#define TLS_PRIORITIES                                                        \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:"    \
    "+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-RSA:%SERVER_PRECEDENCE"

/* Bytes of an over-limit body we read and drop before giving up on the
 * connection (so a client that ignores our limit cannot stream forever). */
#define DISCARD_LIMIT_BYTES (16u * 1024 * 1024)
#define REQUEST_ARENA_MAX_BYTES (4u * 1024 * 1024)

struct rcm_server {
    struct MHD_Daemon *daemon;
    struct server_guard *guard;
    unsigned idle_timeout_s;
    struct rcm_pwhash_gate pwhash_gate;
    struct api_context ctx;
    size_t max_body_bytes;
    atomic_uint in_flight;
    uint16_t port;
};

/* Per-request state, from the request line to the completion callback. */
struct req_state {
    struct rcm_buf body;
    bool head_seen;             /* on_request has seen the head (in flight) */
    bool too_large;
    size_t discarded_bytes;
    bool answered;
    int status;
    const char *route;          /* matched pattern, for the log */
    int64_t start_ms;
    char client_ip[INET6_ADDRSTRLEN];
    struct rcm_arena arena;
    char req_id[API_REQ_ID_MAX + 1];
    enum server_head_verdict target; /* the raw request target's check */
    const char *target_why;
};

static bool
valid_req_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > API_REQ_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/*
 * Request ids must be unique, not secret: a random 64-bit prefix drawn once
 * per process plus a counter. (Drawing random bytes per request cost a
 * getpid(2) in OpenSSL's fork check on every request.)
 */
static uint64_t req_id_prefix;
static atomic_uint_fast64_t req_id_counter;

static void
req_id_init(void)
{
    unsigned char raw[8];
    if (RAND_bytes(raw, sizeof raw) != 1)
        memset(raw, 0, sizeof raw);
    memcpy(&req_id_prefix, raw, sizeof raw);
}

static void
new_req_id(char *out)
{
    uint64_t n = atomic_fetch_add_explicit(&req_id_counter, 1, memory_order_relaxed);
    snprintf(out, API_REQ_ID_MAX + 1, "%016llx%016llx",
             (unsigned long long)req_id_prefix, (unsigned long long)n);
}

static void
free_body(void *p)
{
    rcm_free(p);
}

/* Queue `res`; `close` ends the connection after it (a refused head). */
static enum MHD_Result
send_response(struct MHD_Connection *conn, struct req_state *st,
              struct api_response *res, bool close)
{
    size_t len = 0;
    char *body = api_response_body(res, &len);
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer_with_free_callback(len, body, free_body)
             : NULL;
    if (!r) {
        rcm_free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            res->content_type ? res->content_type : "application/json");
    MHD_add_response_header(r, "X-Request-Id", st->req_id);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; frame-ancestors 'none'");
    if (res->allow[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, res->allow);
    if (res->set_cookie[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, res->set_cookie);
    if (res->location[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, res->location);
    if (close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (res->replayed)
        MHD_add_response_header(r, "Idempotent-Replayed", "true");
    if (res->retry_after_s > 0) {
        char secs[24];
        snprintf(secs, sizeof secs, "%lld", (long long)res->retry_after_s);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    st->answered = true;
    st->status = res->status;
    return ok;
}

/* Answer with a problem before (or instead of) reading the body. */
static enum MHD_Result
send_problem(struct MHD_Connection *conn, struct req_state *st, const char *url,
             enum api_problem problem, const char *detail, bool close)
{
    struct api_request req = {0};
    struct api_response res = {0};
    req.path = url;
    memcpy(req.req_id, st->req_id, sizeof req.req_id);
    api_problem(&req, &res, problem, "%s", detail);
    enum MHD_Result ok = send_response(conn, st, &res, close);
    api_response_release(&res);
    return ok;
}

static const char *
query_arg(void *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* The client's IPv4 address as text into `out` ("" when unknown). Kept out
 * of the request arena so a request that allocates nothing costs no block. */
static const char *
client_ip(struct MHD_Connection *conn, char out[INET6_ADDRSTRLEN])
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (info && info->client_addr && info->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)info->client_addr)->sin_addr,
                  out, INET6_ADDRSTRLEN);
    return out;
}

static struct server_watch *
watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/*
 * Request line received: the request's state starts here, with the check of
 * the target as it arrived (the library percent-decodes it before
 * on_request sees it, and a %00 would cut it short). Returned owned; the
 * library hands it back as *con_cls and on_completed frees it.
 */
static void *
on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct rcm_server *srv = cls;
    (void)conn;
    struct req_state *st = rcm_calloc(1, sizeof *st);
    if (!st)
        return NULL;
    rcm_buf_init(&st->body, srv->max_body_bytes);
    rcm_arena_init(&st->arena, REQUEST_ARENA_MAX_BYTES, RCM_ARENA_WIPE);
    st->start_ms = rcm_time_mono_ms();
    st->target = server_head_check_target(uri, &st->target_why);
    return st;
}

/*
 * A header field as the library split it. Besides the checks of
 * server_head.c, one that only the library's memory can answer: the
 * library (0.9.75) joins an obs-fold continuation line onto the field's
 * *name* in a new buffer, so a value that does not sit right after its name
 * in the read buffer was folded.
 */
static enum MHD_Result
check_field(void *cls, enum MHD_ValueKind kind, const char *name, size_t name_len,
            const char *value, size_t value_len)
{
    struct server_head_check *c = cls;
    (void)kind;
    if (c->verdict == SERVER_HEAD_OK &&
        (value < name + name_len || (size_t)(value - name) > name_len + 1 + 64 * 1024)) {
        c->verdict = SERVER_HEAD_BAD;
        c->why = "a header field is folded over lines (obs-fold)";
    }
    server_head_check_field(c, name, name_len, value, value_len);
    return MHD_YES;
}

/* The whole head is in: SERVER_HEAD_OK, or what to answer (*why). */
static enum server_head_verdict
check_head(struct MHD_Connection *conn, const struct req_state *st, const char **why)
{
    struct server_head_check check = {.verdict = st->target, .why = st->target_why};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, check_field, &check);
    enum server_head_verdict v = server_head_check_end(&check);
    *why = check.why;
    return v;
}

/* Answer a refused head and close the connection, so that nothing
 * pipelined behind it runs. */
static enum MHD_Result
refuse_head(struct MHD_Connection *conn, struct req_state *st, const char *url,
            enum server_head_verdict v, const char *why)
{
    enum api_problem problem = v == SERVER_HEAD_LENGTH_REQUIRED   ? API_PROBLEM_length_required
                               : v == SERVER_HEAD_NOT_IMPLEMENTED ? API_PROBLEM_not_implemented
                                                                  : API_PROBLEM_bad_request;
    RCM_LOG(RCM_LOG_INFO, "http.head_refused", st->req_id, RCM_LF_S("detail", why));
    st->route = "-";
    return send_problem(conn, st, url, problem, why, true);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    struct rcm_server *srv = cls;
    struct req_state *st = *con_cls;
    (void)version;

    if (!st)
        return MHD_NO;          /* out of memory at the request line */
    struct server_watch *watch = watch_of(conn);
    if (!st->head_seen) {
        st->head_seen = true;
        atomic_fetch_add(&srv->in_flight, 1);
        /* Past the handshake: the library's idle timeout works from here. */
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, srv->idle_timeout_s);
        const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                      "X-Request-Id");
        if (rid && valid_req_id(rid))
            snprintf(st->req_id, sizeof st->req_id, "%s", rid);
        else
            new_req_id(st->req_id);
        server_watch_busy(watch);
        const char *why = NULL;
        enum server_head_verdict v = check_head(conn, st, &why);
        if (v != SERVER_HEAD_OK)
            return refuse_head(conn, st, url, v, why);
        /* Refuse a declared oversized body before reading any of it. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t declared = 0;
        if (cl && rcm_str_to_i64(rcm_str_c(cl), &declared) == RCM_OK &&
            (uint64_t)declared > srv->max_body_bytes) {
            char detail[96];
            snprintf(detail, sizeof detail, "request body exceeds %zu bytes",
                     srv->max_body_bytes);
            return send_problem(conn, st, url, API_PROBLEM_payload_too_large, detail,
                                false);
        }
        server_watch_head_done(srv->guard, watch, declared > 0);
        return MHD_YES;
    }

    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        server_watch_body(srv->guard, watch, n);
        if (st->answered)
            return MHD_YES;
        if (!st->too_large && rcm_buf_add(&st->body, upload_data, n) != RCM_OK) {
            st->too_large = true;
            rcm_buf_release(&st->body);
        }
        if (st->too_large) {
            st->discarded_bytes += n;
            if (st->discarded_bytes > DISCARD_LIMIT_BYTES)
                return MHD_NO;      /* close the connection */
        }
        return MHD_YES;
    }
    if (st->answered)
        return MHD_YES;

    server_watch_busy(watch);
    struct api_request req = {0};
    struct api_response res = {0};
    req.ctx = &srv->ctx;
    req.method = method;
    req.path = url;
    req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_TYPE);
    req.body = st->body.data;
    req.body_len = st->body.len;
    req.body_too_large = st->too_large;
    req.max_body_bytes = srv->max_body_bytes;
    req.arena = &st->arena;
    req.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
    req.cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
    req.csrf_token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
    req.idempotency_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                      "Idempotency-Key");
    req.source_ip = client_ip(conn, st->client_ip);
    req.query = query_arg;
    req.conn = conn;
    memcpy(req.req_id, st->req_id, sizeof req.req_id);
    api_dispatch(&req, &res);
    st->route = req.route ? req.route : "-";
    enum MHD_Result ok = send_response(conn, st, &res, false);
    api_response_release(&res);
    json_decref(req.json);
    return ok;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct rcm_server *srv = cls;
    struct req_state *st = *con_cls;
    /* a kept-alive connection waits for its next head from now */
    server_watch_idle(srv->guard, watch_of(conn));
    if (!st)
        return;
    int64_t ms = rcm_time_mono_ms() - st->start_ms;
    RCM_LOG(toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? RCM_LOG_INFO : RCM_LOG_WARN,
            "http.request", st->req_id,
            RCM_LF_S("route", st->route ? st->route : "-"),
            RCM_LF_I("status", st->answered ? st->status : 0),
            RCM_LF_I("ms", ms),
            RCM_LF_I("completed", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK));
    rcm_buf_release(&st->body);
    rcm_arena_release(&st->arena);
    if (st->head_seen)
        atomic_fetch_sub(&srv->in_flight, 1);
    rcm_free(st);
    *con_cls = NULL;
}

/*
 * A connection opens or closes. Opening: the guard watches it, and the
 * library's own timeout is off until the first head arrives (in 0.9.75 it
 * misfires during the TLS handshake, leaking the connection: ADR 0003).
 * Closing: called before the library closes the socket.
 */
static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode code)
{
    struct rcm_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = info ? server_guard_add(srv->guard, info->connect_fd) : NULL;
        if (*socket_context)
            MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
        return;
    }
    server_guard_remove(srv->guard, *socket_context);
    *socket_context = NULL;
}

static void RCM_PRINTF(2, 0)
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    RCM_LOG(RCM_LOG_DEBUG, "http.transport", NULL, RCM_LF_S("detail", msg));
}

/* Free a server whose daemon is stopped (or never started). */
static void
server_free(struct rcm_server *srv)
{
    server_guard_stop(srv->guard);
    if (srv->ctx.pwhash_gate)
        rcm_pwhash_gate_destroy(&srv->pwhash_gate);
    api_ip_throttle_free(srv->ctx.ip_throttle);
    rcm_free(srv);
}

enum rcm_err
rcm_server_start(const struct rcm_server_options *opt, struct rcm_server **out,
                 struct rcm_diag *diag)
{
    *out = NULL;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(opt->port);
    if (inet_pton(AF_INET, opt->listen, &addr.sin_addr) != 1)
        return rcm_diag_fail(diag, RCM_E_CONFIG, "server.listen: \"%s\" is not an "
                             "IPv4 address", opt->listen);
    struct rcm_server *srv = rcm_calloc(1, sizeof *srv);
    if (!srv)
        return RCM_E_NOMEM;
    req_id_init();
    srv->ctx.store = opt->store;
    srv->ctx.started_ms = rcm_time_now_ms();
    int latest;
    struct rcm_diag ignored = RCM_DIAG_INIT;
    if (rcm_store_schema_version(opt->store, &srv->ctx.schema_version, &latest,
                                 &ignored) != RCM_OK)
        srv->ctx.schema_version = -1;
    srv->max_body_bytes = opt->max_body_bytes;
    srv->ctx.session_idle_ms = rcm_session_idle_ms((int64_t)opt->session_idle_s * 1000);
    srv->ctx.pwlist = opt->pwlist;
    srv->ctx.mfa_key = opt->mfa_key;
    srv->ctx.idempotency_ttl_ms = (int64_t)(opt->idempotency_ttl_s ? opt->idempotency_ttl_s
                                                                   : 86400) * 1000;
    srv->ctx.jobs = opt->jobs;
    srv->ctx.billing = opt->billing;
    srv->idle_timeout_s = opt->idle_timeout_s;
    /* a connection silent for the idle timeout closes, even before its
     * first head (when the guard, not the library, watches it) */
    unsigned head_s = opt->head_timeout_s < opt->idle_timeout_s ? opt->head_timeout_s
                                                                 : opt->idle_timeout_s;
    struct server_limits limits = {
        .head_timeout_ms = (int64_t)head_s * 1000,
        .body_timeout_ms = (int64_t)opt->body_timeout_s * 1000,
        .body_min_rate = (int64_t)opt->body_min_rate_bytes_s,
    };
    /* one Argon2id at a time keeps a core free on a 2-core machine */
    if (rcm_pwhash_gate_init(&srv->pwhash_gate, 1, 64) != RCM_OK) {
        rcm_free(srv);
        return RCM_E_NOMEM;
    }
    srv->ctx.pwhash_gate = &srv->pwhash_gate;
    if (!(srv->ctx.ip_throttle = api_ip_throttle_new()) ||
        server_guard_start(&limits, &srv->guard) != RCM_OK) {
        server_free(srv);
        return RCM_E_NOMEM;
    }

    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_TLS | MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_USE_TURBO;
    /* The connection memory pool holds the request head and the response
     * head; give the head its configured room plus space for responses. */
    size_t mem_limit = opt->max_header_bytes + 8192;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_HTTPS_MEM_KEY, opt->tls_key_pem,
        MHD_OPTION_HTTPS_MEM_CERT, opt->tls_cert_pem,
        MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)opt->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)opt->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)opt->idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem_limit,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, srv,
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        MHD_OPTION_END);
    if (!srv->daemon) {
        server_free(srv);
        return rcm_diag_fail(diag, RCM_E_IO,
                             "cannot listen on %s:%u (address in use, bad TLS "
                             "material, or no permission)",
                             opt->listen, (unsigned)opt->port);
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : opt->port;
    *out = srv;
    return RCM_OK;
}

const char *
rcm_server_library_version(void)
{
    return MHD_get_version();
}

uint16_t
rcm_server_port(const struct rcm_server *server)
{
    return server->port;
}

unsigned
rcm_server_in_flight(const struct rcm_server *server)
{
    return atomic_load(&server->in_flight);
}

void
rcm_server_stop(struct rcm_server *server, unsigned grace_s)
{
    if (!server)
        return;
    /* Stop accepting. The listen socket MHD hands back must stay open until
     * MHD_stop_daemon returns: its threads may still use it (closing it
     * earlier let the descriptor number be reused under the polling thread,
     * which then spun). */
    MHD_socket fd = MHD_quiesce_daemon(server->daemon);
    int64_t deadline = rcm_time_mono_ms() + (int64_t)grace_s * 1000;
    while (atomic_load(&server->in_flight) > 0 && rcm_time_mono_ms() < deadline)
        usleep(10 * 1000);
    /* Whatever the clients do: idle, half-sent and still-handshaking
     * connections end now, so the library's join below cannot wait on them. */
    unsigned open = server_guard_close_all(server->guard);
    if (open)
        RCM_LOG(RCM_LOG_INFO, "server.connections_closed", NULL, RCM_LF_I("open", open));
    MHD_stop_daemon(server->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    server_free(server);
}
