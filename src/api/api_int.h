/*
 * api_int.h — transport-independent request handling. Private to src/api.
 *
 * server_mhd.c (the only file that knows libmicrohttpd) turns each HTTP
 * request into a struct api_request and calls api_dispatch(); everything
 * from routing to problem documents happens here, so it can be unit-tested
 * without sockets and the HTTP library can be swapped.
 */
#ifndef RCM_API_INT_H
#define RCM_API_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rcm/auth.h"
#include "rcm/jobs.h"
#include "rcm/mem.h"
#include "rcm/roles.h"
#include "rcm/store.h"

#define API_MAX_PARAMS 4
#define API_REQ_ID_MAX 64

struct api_param {
    const char *name;
    const char *value;          /* arena-owned, percent-decoded */
};

/* What handlers may use, shared by all requests. */
struct api_context {
    struct rcm_store *store;
    int64_t started_ms;         /* server start, for /v1/version uptime */
    int schema_version;         /* database schema version at start */
    int64_t session_idle_ms;    /* a session unused this long ends */
    const struct rcm_pwlist *pwlist;    /* common/breached passwords */
    const struct rcm_key *mfa_key;      /* seals TOTP secrets */
    struct api_ip_throttle *ip_throttle;/* failed logins per client address */
    struct rcm_pwhash_gate *pwhash_gate;/* bounds concurrent Argon2id work */
    int64_t idempotency_ttl_ms;         /* how long an idempotent answer is kept */
    struct rcm_jobs *jobs;              /* this process's workers, or NULL */
    const struct rcm_billing_env *billing;  /* claims: scrub refs, sender, outbox */
};

/* Header and query access the transport provides. */
typedef const char *(*api_lookup_fn)(void *conn, const char *name);

struct api_request {
    const struct api_context *ctx;
    const char *method;
    const char *path;           /* without the query string */
    const char *content_type;   /* NULL when absent */
    const char *body;           /* NULL when empty */
    size_t body_len;
    bool body_too_large;        /* the transport stopped reading at the cap */
    size_t max_body_bytes;
    char req_id[API_REQ_ID_MAX + 1];
    struct api_param params[API_MAX_PARAMS];
    int n_params;
    const char *authorization;  /* Authorization header, or NULL */
    const char *cookie;         /* Cookie header, or NULL */
    const char *csrf_token;     /* X-CSRF-Token header, or NULL */
    const char *idempotency_key;/* Idempotency-Key header, or NULL */
    const char *source_ip;      /* client address as text */
    api_lookup_fn query;        /* query-string parameter by name; may be NULL */
    void *conn;                 /* transport handle for `query` */
    bool authenticated;         /* principal and actor are set */
    bool via_cookie;            /* authenticated by the session cookie */
    struct rcm_principal principal;
    struct rcm_actor actor;
    json_t *json;               /* parsed body, for routes that take JSON */
    const char *route;          /* matched pattern, set by api_dispatch */
    struct rcm_arena *arena;    /* dies with the request */
};

struct api_response {
    int status;
    json_t *json;               /* owned; the body when raw is NULL */
    const char *raw;            /* static body (e.g. the OpenAPI document) */
    size_t raw_len;
    const char *content_type;   /* default application/json */
    char allow[64];             /* Allow header for 405, else empty */
    char set_cookie[160];       /* Set-Cookie header, or empty */
    int64_t retry_after_s;      /* Retry-After header when > 0 */
    bool replayed;              /* a stored answer: Idempotent-Replayed: true */
    char location[64];          /* Location header, or empty */
};

typedef void (*api_handler_fn)(struct api_request *req, struct api_response *res);

enum api_route_flags {
    API_BODY_JSON = 1,          /* requires a JSON body, parsed into req->json */
    /* a POST whose answer is never kept for an Idempotency-Key (the header
     * is ignored): it carries a credential, or the POST only reads */
    API_NO_IDEMPOTENCY = 2,
    API_BODY_JSON_OPTIONAL = 4, /* a JSON body if any (req->json NULL when none) */
};

#define API_PUBLIC (-1)

struct api_route {
    const char *method;
    const char *pattern;        /* "/v1/things/{id}" */
    api_handler_fn handler;
    unsigned flags;
    int permission;             /* enum rcm_permission, or API_PUBLIC */
};

/* The route table, terminated by an entry with a NULL method. */
extern const struct api_route api_routes[];

enum api_match {
    API_MATCH_FOUND,
    API_MATCH_NO_PATH,          /* 404 */
    API_MATCH_NO_METHOD,        /* 405; allow lists the methods */
};

/* Find the route for method+path, filling req->params from {placeholders}. */
enum api_match api_route_match(struct api_request *req,
                               const struct api_route **route, char *allow,
                               size_t allow_size);

/*
 * Route and run one request: checks method, content type, body size,
 * UTF-8, JSON depth and syntax, then calls the handler. Always leaves a
 * complete response in `res` (status and body).
 */
void api_dispatch(struct api_request *req, struct api_response *res);

/* Release what a response owns. */
void api_response_release(struct api_response *res);

/*
 * Stable problem codes: X(code, status, title). The `code` member of every
 * problem document is one of these; clients may switch on it.
 */
#define API_PROBLEMS(X)                                                         \
    X(bad_request, 400, "Bad request")                                          \
    X(malformed_json, 400, "Malformed JSON")                                    \
    X(invalid_utf8, 400, "Invalid UTF-8")                                       \
    X(json_too_deep, 400, "JSON nested too deeply")                             \
    X(validation_failed, 422, "Validation failed")                              \
    X(unauthorized, 401, "Authentication required")                             \
    X(mfa_required, 401, "Second factor required")                              \
    X(mfa_enrolment_required, 403, "Second factor enrolment required")          \
    X(forbidden, 403, "Forbidden")                                              \
    X(client_not_assigned, 403, "Not assigned to this client practice")         \
    X(csrf_failed, 403, "CSRF token missing or wrong")                          \
    X(conflict, 409, "Conflict")                                                \
    X(idempotency_key_reused, 409, "Idempotency key reused")                    \
    X(idempotency_key_in_use, 409, "Idempotency key in use")                    \
    X(length_required, 411, "Length required")                                  \
    X(too_many_requests, 429, "Too many attempts")                              \
    X(not_found, 404, "Not found")                                              \
    X(method_not_allowed, 405, "Method not allowed")                            \
    X(payload_too_large, 413, "Payload too large")                              \
    X(unsupported_media_type, 415, "Unsupported media type")                    \
    X(headers_too_large, 431, "Request header fields too large")                \
    X(internal_error, 500, "Internal server error")                             \
    X(not_implemented, 501, "Not implemented")                                  \
    X(not_ready, 503, "Service not ready")                                      \
    X(busy, 503, "Server busy")

enum api_problem {
#define API_PROBLEM_ENUM(code, status, title) API_PROBLEM_##code,
    API_PROBLEMS(API_PROBLEM_ENUM)
#undef API_PROBLEM_ENUM
};

/*
 * Make `res` an RFC 9457 problem document: type "urn:openrcm:problem:<code>",
 * title, status, detail (formatted; never PHI), instance = request path,
 * plus "code" and "request_id" members.
 */
void api_problem(struct api_request *req, struct api_response *res,
                 enum api_problem problem, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Status code of a problem (for transports that answer before dispatch). */
int api_problem_status(enum api_problem problem);

/* Serialise a response body; returns owned memory (rcm_free) or NULL. */
char *api_response_body(const struct api_response *res, size_t *len);

/* Authenticate the request for a route that needs `permission`; false
 * with a problem in `res` when it may not proceed (api_auth.c). */
bool api_authorize(struct api_request *req, struct api_response *res, int permission);

/*
 * Whether the authenticated principal holds `perm` now: the one place that
 * decides it (route checks and field masks both ask here), so grants beyond
 * the role, such as emergency access, are honoured everywhere at once.
 */
bool api_can(const struct api_request *req, enum rcm_permission perm);

/* Whether the principal must still pass (or enrol) a second factor: its
 * role or its tenant's policy needs one and the session has not passed a
 * confirmed one. Never for API keys. */
bool api_mfa_pending(const struct api_request *req);

/* The idle timeout of a session under its tenant's policy (the server's
 * auth.session_idle_s when the tenant sets none). */
int64_t api_idle_ms(const struct api_context *ctx, const struct rcm_tenant_policy *policy);

/* True when every permission of `granted` is also held by `holder`
 * (api_keys.c). */
bool api_role_within(enum rcm_role granted, enum rcm_role holder);

/* True when the object `obj` has no member outside `allowed` (NULL-
 * terminated); else *unknown names the first other one (api_users.c). */
bool api_json_only(json_t *obj, const char *const *allowed, const char **unknown);

/* Roles that may start break-glass access (api_break_glass.c). */
bool api_break_glass_role(enum rcm_role role);

/* Value of the session cookie in a Cookie header, or NULL (arena copy). */
const char *api_cookie_session(struct api_request *req);

#define API_SESSION_COOKIE "rcm_session"
#define API_KEY_PREFIX "rcmk_"          /* API keys: "rcmk_" + 43-char token */
#define API_KEY_PREFIX_LEN 5

/*
 * Failed logins per client address, in memory (api_throttle.c): a fixed
 * table, so an attacker cycling addresses evicts old entries rather than
 * growing memory. Per process; accounts are throttled in the store.
 */
struct api_ip_throttle *api_ip_throttle_new(void);
void api_ip_throttle_free(struct api_ip_throttle *t);
struct rcm_throttle_decision api_ip_throttle_decide(struct api_ip_throttle *t,
                                                   const char *ip, int64_t now_ms);
void api_ip_throttle_failed(struct api_ip_throttle *t, const char *ip, int64_t now_ms);

/* Handlers (api_system.c). */
void api_get_healthz(struct api_request *req, struct api_response *res);
void api_get_readyz(struct api_request *req, struct api_response *res);
void api_get_version(struct api_request *req, struct api_response *res);
void api_get_openapi(struct api_request *req, struct api_response *res);
void api_post_echo(struct api_request *req, struct api_response *res);

/* Handlers (api_clients.c). */
void api_get_clients(struct api_request *req, struct api_response *res);
void api_post_clients(struct api_request *req, struct api_response *res);
void api_get_client_assignments(struct api_request *req, struct api_response *res);
void api_post_client_assignments(struct api_request *req, struct api_response *res);
void api_delete_client_assignment(struct api_request *req, struct api_response *res);

/* Handlers (api_patients.c). */
void api_post_patients(struct api_request *req, struct api_response *res);
void api_get_patients(struct api_request *req, struct api_response *res);
void api_post_patient_search(struct api_request *req, struct api_response *res);
void api_get_patient(struct api_request *req, struct api_response *res);
void api_patch_patient(struct api_request *req, struct api_response *res);
void api_delete_patient(struct api_request *req, struct api_response *res);

/* Handlers (api_records.c): one set per record kind. */
void api_get_coverages(struct api_request *req, struct api_response *res);
void api_post_coverages(struct api_request *req, struct api_response *res);
void api_get_coverage(struct api_request *req, struct api_response *res);
void api_patch_coverage(struct api_request *req, struct api_response *res);
void api_delete_coverage(struct api_request *req, struct api_response *res);
void api_get_guarantors(struct api_request *req, struct api_response *res);
void api_post_guarantors(struct api_request *req, struct api_response *res);
void api_get_guarantor(struct api_request *req, struct api_response *res);
void api_patch_guarantor(struct api_request *req, struct api_response *res);
void api_delete_guarantor(struct api_request *req, struct api_response *res);
void api_get_providers(struct api_request *req, struct api_response *res);
void api_post_providers(struct api_request *req, struct api_response *res);
void api_get_provider(struct api_request *req, struct api_response *res);
void api_patch_provider(struct api_request *req, struct api_response *res);
void api_delete_provider(struct api_request *req, struct api_response *res);
void api_get_payers(struct api_request *req, struct api_response *res);
void api_post_payers(struct api_request *req, struct api_response *res);
void api_get_payer(struct api_request *req, struct api_response *res);
void api_patch_payer(struct api_request *req, struct api_response *res);
void api_delete_payer(struct api_request *req, struct api_response *res);
/* api_payer_rules.c */
void api_get_payer_rules(struct api_request *req, struct api_response *res);
void api_post_payer_rules(struct api_request *req, struct api_response *res);
void api_delete_payer_rules(struct api_request *req, struct api_response *res);
/* Handlers (api_remits.c): posting, unmatched queue, deposits, denials. */
void api_post_remittances(struct api_request *req, struct api_response *res);
void api_get_remittances(struct api_request *req, struct api_response *res);
void api_post_remittance_manual(struct api_request *req, struct api_response *res);
void api_get_remittance(struct api_request *req, struct api_response *res);
void api_get_unmatched_payments(struct api_request *req, struct api_response *res);
void api_post_unmatched_match(struct api_request *req, struct api_response *res);
void api_post_deposits(struct api_request *req, struct api_response *res);
void api_get_deposits(struct api_request *req, struct api_response *res);
void api_get_denials(struct api_request *req, struct api_response *res);
void api_get_denial(struct api_request *req, struct api_response *res);
void api_post_denial_action(struct api_request *req, struct api_response *res);

void api_post_encounters(struct api_request *req, struct api_response *res);
void api_get_encounters(struct api_request *req, struct api_response *res);
void api_get_encounter(struct api_request *req, struct api_response *res);
void api_patch_encounter(struct api_request *req, struct api_response *res);
void api_delete_encounter(struct api_request *req, struct api_response *res);
void api_post_encounter_claims(struct api_request *req, struct api_response *res);
void api_get_claims(struct api_request *req, struct api_response *res);
void api_get_claim(struct api_request *req, struct api_response *res);
void api_get_claim_events(struct api_request *req, struct api_response *res);
void api_post_claim_moves(struct api_request *req, struct api_response *res);
void api_post_batches(struct api_request *req, struct api_response *res);
void api_get_batches(struct api_request *req, struct api_response *res);
void api_get_batch(struct api_request *req, struct api_response *res);
void api_get_batch_x12(struct api_request *req, struct api_response *res);
/* api_reports.c: aggregates need deid.read or claim.write (checked in the
 * handler; the route asks for self), the timely-filing list phi.read */
void api_get_report_ar(struct api_request *req, struct api_response *res);
void api_get_report_kpis(struct api_request *req, struct api_response *res);
void api_get_report_denials(struct api_request *req, struct api_response *res);
void api_get_report_timely_filing(struct api_request *req, struct api_response *res);
void api_post_acknowledgments(struct api_request *req, struct api_response *res);
void api_post_claim_corrections(struct api_request *req, struct api_response *res);
void api_post_claim_void(struct api_request *req, struct api_response *res);
void api_post_claim_secondary(struct api_request *req, struct api_response *res);
void api_get_fee_schedules(struct api_request *req, struct api_response *res);
void api_post_fee_schedules(struct api_request *req, struct api_response *res);
void api_get_fee_schedule(struct api_request *req, struct api_response *res);
void api_patch_fee_schedule(struct api_request *req, struct api_response *res);
void api_delete_fee_schedule(struct api_request *req, struct api_response *res);

/* Handlers (api_auth.c, api_users.c, api_audit.c). */
void api_post_login(struct api_request *req, struct api_response *res);
void api_post_logout(struct api_request *req, struct api_response *res);
void api_post_logout_all(struct api_request *req, struct api_response *res);
void api_get_me(struct api_request *req, struct api_response *res);
void api_get_users(struct api_request *req, struct api_response *res);
void api_post_users(struct api_request *req, struct api_response *res);
void api_get_user(struct api_request *req, struct api_response *res);
void api_get_audit(struct api_request *req, struct api_response *res);
void api_post_mfa_enroll(struct api_request *req, struct api_response *res);
void api_post_mfa_confirm(struct api_request *req, struct api_response *res);

/*
 * At login, after the password matched: when the user has a second factor,
 * check the "totp" or "recovery_code" member of the body and record its use.
 * Returns false with a problem in `res` when the login must stop; *mfa_ok
 * says whether the session passed a second factor.
 */
bool api_mfa_login(struct api_request *req, struct api_response *res,
                   const struct rcm_user *user, bool *mfa_ok);
void api_post_api_keys(struct api_request *req, struct api_response *res);

/* Tenant policy, user management, break-glass (api_tenant.c, api_users.c,
 * api_break_glass.c). */
void api_get_tenant(struct api_request *req, struct api_response *res);
void api_patch_tenant(struct api_request *req, struct api_response *res);
void api_patch_user(struct api_request *req, struct api_response *res);
void api_post_user_unlock(struct api_request *req, struct api_response *res);
void api_post_break_glass(struct api_request *req, struct api_response *res);
void api_delete_break_glass(struct api_request *req, struct api_response *res);
void api_get_break_glass(struct api_request *req, struct api_response *res);
void api_get_api_keys(struct api_request *req, struct api_response *res);
void api_delete_api_key(struct api_request *req, struct api_response *res);

/*
 * Idempotency-Key on POST (api_idempotency.c). api_dispatch asks
 * api_idempotency_applies once the principal is known; a malformed key is
 * refused by api_idempotency_key_ok before the body checks; after them
 * api_idempotency_begin looks the key up and returns false when it has
 * answered (a replay, a 409, a store failure) so the handler must not run,
 * else sets *id to the running row, which api_idempotency_end gives the
 * handler's answer (or releases, for answers not kept).
 */
bool api_idempotency_applies(const struct api_request *req, const struct api_route *route);
bool api_idempotency_key_ok(struct api_request *req, struct api_response *res);
bool api_idempotency_begin(struct api_request *req, struct api_response *res, int64_t *id);
void api_idempotency_end(struct api_request *req, const struct api_response *res, int64_t id);
/* Durable jobs (api_jobs.c). */
void api_post_tenant_keys_rotate(struct api_request *req, struct api_response *res);
void api_get_jobs(struct api_request *req, struct api_response *res);
void api_get_job(struct api_request *req, struct api_response *res);

/* Path parameter by name, or NULL. */
const char *api_param(const struct api_request *req, const char *name);
/* The path's {id} as a positive integer, or a 404 problem and false. */
bool api_path_id(struct api_request *req, struct api_response *res, int64_t *id);
/* Query parameter `name` as an integer >= 0 into *out (left as it is when
 * absent); false when it is there but malformed. */
bool api_query_i64(const struct api_request *req, const char *name, int64_t *out);
/* The problem for a store error: 404 not_found, 422 validation_failed and
 * 409 conflict with the store's message (it names fields and states, never
 * values), 503 busy, else 500 with `what` ("the claim is unavailable") and
 * the store's message logged as event "store.failed". */
void api_store_problem(struct api_request *req, struct api_response *res, enum rcm_err err,
                       const struct rcm_diag *diag, const char *what);

#endif
