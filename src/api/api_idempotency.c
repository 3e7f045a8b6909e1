/*
 * api_idempotency.c — Idempotency-Key on POST (issue 21; as Stripe and the
 * IETF httpapi idempotency-key draft do it).
 *
 * A client that may send a POST twice (a timeout, a dropped connection)
 * sends `Idempotency-Key: <1-255 printable ASCII>`. The first request with
 * a key is recorded as running before its handler runs; its answer is then
 * kept (sealed, in the store) for api.idempotency_ttl_s. A repeat with the
 * same key, path and body gets that answer again, with `Idempotent-
 * Replayed: true`, and the handler does not run; the same key with another
 * path or body is 409 idempotency_key_reused; a repeat while the first
 * still runs is 409 idempotency_key_in_use with Retry-After: 1. Answers
 * that say "try again" (5xx, 429) are not kept: the row is released so the
 * client may retry with the same key.
 *
 * Scope: keys belong to the principal (tenant, user or API key) and the
 * route. Only authenticated POSTs take one: a public route has no
 * principal to scope keys by (and anyone could fill the table through it).
 * Routes flagged API_NO_IDEMPOTENCY ignore the header, as HTTP ignores any
 * header a resource does not use. Those under /v1/auth/ act on the
 * caller's session (login, logout, second factor, break-glass) and several
 * answer with credentials (a session token, a TOTP secret, recovery codes),
 * as POST /v1/api-keys does (the new key): a credential must exist in its
 * one answer only, never in a table, and the session state these change
 * makes a stored answer stale at once. POST /v1/patients/search only
 * reads, so repeating it is already safe, while keeping its answer would
 * copy many patients' PHI and hand it out again unaudited as a search.
 *
 * What is logged: nothing about the key or the answer (the key is the
 * client's text; the answer may be PHI) — the request line's route and
 * status as for every request, and error names when the store fails.
 */
#include <string.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/log.h"

bool
api_idempotency_applies(const struct api_request *req, const struct api_route *route)
{
    return req->idempotency_key && strcmp(req->method, "POST") == 0 &&
           route->permission != API_PUBLIC && !(route->flags & API_NO_IDEMPOTENCY) &&
           req->authenticated;
}

bool
api_idempotency_key_ok(struct api_request *req, struct api_response *res)
{
    if (rcm_idempotency_key_valid(req->idempotency_key))
        return true;
    api_problem(req, res, API_PROBLEM_bad_request,
                "the Idempotency-Key header must be 1-%d characters of printable ASCII",
                RCM_IDEMPOTENCY_KEY_MAX);
    return false;
}

/* SHA-256 of the path and the body: a key reused on another object of the
 * same route (/v1/users/{id}/unlock) or with another body is a mismatch. */
static bool
request_hash(const struct api_request *req, uint8_t out[RCM_SHA256_BYTES])
{
    struct rcm_sha256_ctx h;
    if (rcm_sha256_init(&h) != RCM_OK)
        return false;
    rcm_sha256_update(&h, req->path, strlen(req->path) + 1);    /* with its NUL */
    if (req->body_len)
        rcm_sha256_update(&h, req->body, req->body_len);
    rcm_sha256_final(&h, out);
    return true;
}

/* Make `res` the stored answer (copied into the request's arena, which is
 * wiped when the request ends). */
static bool
replay(struct api_request *req, struct api_response *res,
       const struct rcm_idempotency_answer *a)
{
    char *type = rcm_arena_strndup(req->arena, a->content_type, strlen(a->content_type));
    char *body = rcm_arena_alloc(req->arena, a->body_len + 1);
    if (!type || !body)
        return false;
    memcpy(body, a->body, a->body_len);
    api_response_release(res);
    res->status = a->status;
    res->content_type = type;
    res->raw = body;
    res->raw_len = a->body_len;
    res->replayed = true;
    return true;
}

bool
api_idempotency_begin(struct api_request *req, struct api_response *res, int64_t *id)
{
    const struct api_context *ctx = req->ctx;
    *id = 0;
    uint8_t hash[RCM_SHA256_BYTES];
    const char *route = rcm_arena_printf(req->arena, "%s %s", req->method, req->route);
    if (!route || !request_hash(req, hash)) {
        api_problem(req, res, API_PROBLEM_internal_error, "the request could not be hashed");
        return false;
    }
    enum rcm_idempotency_state state;
    struct rcm_idempotency_answer answer;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_idempotency_begin(ctx->store, &req->actor, route,
                                                   req->idempotency_key, hash,
                                                   ctx->idempotency_ttl_ms, &state, id,
                                                   &answer, &diag);
    bool run = false;
    if (err) {
        RCM_LOG(RCM_LOG_ERROR, "idempotency.failed", req->req_id,
                RCM_LF_S("error", rcm_err_name(err)), RCM_LF_S("detail", diag.msg));
        api_problem(req, res, err == RCM_E_BUSY ? API_PROBLEM_busy : API_PROBLEM_internal_error,
                    "the Idempotency-Key could not be looked up");
        if (err == RCM_E_BUSY)
            res->retry_after_s = 1;
    } else if (state == RCM_IDEMPOTENCY_NEW) {
        run = true;
    } else if (state == RCM_IDEMPOTENCY_REPLAY) {
        if (!replay(req, res, &answer))
            api_problem(req, res, API_PROBLEM_internal_error, "the stored answer could not be "
                        "sent");
    } else if (state == RCM_IDEMPOTENCY_MISMATCH) {
        api_problem(req, res, API_PROBLEM_idempotency_key_reused,
                    "this Idempotency-Key was used for another request (another path or "
                    "body) on this route; send a new key");
    } else {
        api_problem(req, res, API_PROBLEM_idempotency_key_in_use,
                    "a request with this Idempotency-Key is still being handled; retry "
                    "shortly");
        res->retry_after_s = 1;
    }
    rcm_idempotency_answer_release(&answer);
    return run;
}

/* Answers that say "try again later" are not kept: the retry must run. An
 * answer setting a cookie carries a session (no such route takes a key
 * today); it is never kept either. */
static bool
kept(const struct api_response *res)
{
    return res->status < 500 && res->status != 429 && !res->set_cookie[0];
}

void
api_idempotency_end(struct api_request *req, const struct api_response *res, int64_t id)
{
    struct rcm_store *store = req->ctx->store;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err;
    if (!kept(res)) {
        err = rcm_store_idempotency_release(store, &req->actor, id, &diag);
    } else {
        size_t len = 0;
        char *body = api_response_body(res, &len);
        err = body ? rcm_store_idempotency_finish(store, &req->actor, id, res->status,
                                                  res->content_type ? res->content_type
                                                                    : "application/json",
                                                  body, len, &diag)
                   : RCM_E_NOMEM;
        if (body) {
            rcm_crypto_wipe(body, len);
            rcm_free(body);
        }
    }
    /* The client has its answer either way. A row left running blocks
     * repeats (409) until its lease ends, then they run again: better than
     * running a second time at once when the answer was not stored. */
    if (err)
        RCM_LOG(err == RCM_E_NOT_FOUND ? RCM_LOG_INFO : RCM_LOG_ERROR,
                "idempotency.store_failed", req->req_id,
                RCM_LF_S("error", rcm_err_name(err)), RCM_LF_S("detail", diag.msg));
}
