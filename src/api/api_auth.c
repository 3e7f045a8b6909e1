/*
 * api_auth.c — who is calling: sessions (bearer token or cookie + CSRF),
 * login with throttling, logout, and the permission check every protected
 * route goes through (one place, not per handler).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/log.h"
#include "rcm/str.h"

/* A login waits this long for a password-hashing slot before 503. */
#define PWHASH_WAIT_MS 2000

/* ---- authentication ----------------------------------------------------- */

const char *
api_cookie_session(struct api_request *req)
{
    if (!req->cookie)
        return NULL;
    struct rcm_str rest = rcm_str_c(req->cookie), part;
    static const char name[] = API_SESSION_COOKIE "=";
    while (rcm_str_split_next(&rest, ';', &part)) {
        part = rcm_str_trim(part);
        if (rcm_str_starts_with(part, (struct rcm_str){name, sizeof name - 1}))
            return rcm_arena_strndup(req->arena, part.p + sizeof name - 1,
                                     part.n - (sizeof name - 1));
    }
    return NULL;
}

/* The bearer token, else the session cookie; NULL when neither. */
static const char *
presented_token(struct api_request *req)
{
    if (req->authorization) {
        struct rcm_str a = rcm_str_trim(rcm_str_c(req->authorization));
        if (a.n > 7 && rcm_str_case_eq_c((struct rcm_str){a.p, 7}, "bearer "))
            return rcm_arena_strndup(req->arena, a.p + 7, a.n - 7);
        return NULL;
    }
    const char *cookie = api_cookie_session(req);
    if (cookie)
        req->via_cookie = true;
    return cookie;
}

static bool
safe_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static void
set_actor(struct api_request *req)
{
    bool key = req->principal.api_key_id != 0;
    req->actor = (struct rcm_actor){
        .tenant_id = req->principal.tenant_id,
        .type = key ? "api_key" : "user",
        .user_id = key ? req->principal.api_key_id : req->principal.user_id,
        .request_id = req->req_id,
        .source_ip = req->source_ip,
        .purpose = "operations",
    };
}

/* Authenticate with an API key ("rcmk_" + token); false with a problem. */
static bool
authorize_key(struct api_request *req, struct api_response *res, const char *key)
{
    char hash[2 * RCM_SHA256_BYTES + 1];
    struct rcm_api_key k;
    struct rcm_diag diag = RCM_DIAG_INIT;
    rcm_token_hash(key, hash);
    enum rcm_err err = rcm_store_api_key_find(req->ctx->store, hash, &k, &diag);
    if (err || rcm_time_now_ms() >= k.expires_ms) {
        api_problem(req, res, err && err != RCM_E_NOT_FOUND ? API_PROBLEM_internal_error
                                                            : API_PROBLEM_unauthorized,
                    err ? "the API key is not valid" : "the API key has expired");
        return false;
    }
    /* a key never does more than its creator may do now (the store already
     * refuses keys of disabled creators) */
    if (k.creator_role < 0 ||
        !api_role_within((enum rcm_role)k.role, (enum rcm_role)k.creator_role)) {
        api_problem(req, res, API_PROBLEM_unauthorized,
                    "the API key's creator no longer holds a role that covers it");
        return false;
    }
    /* A key cannot present a second factor; it stands on its creator's. While
     * the creator's role or the tenant's policy requires one, the key works
     * only as long as the creator has a confirmed factor (docs/security.md). */
    if ((rcm_role_requires_mfa((enum rcm_role)k.creator_role) || k.tenant_mfa_required) &&
        !k.creator_mfa_enrolled) {
        api_problem(req, res, API_PROBLEM_unauthorized,
                    "the API key's creator has no second factor, which %s requires; the "
                    "creator must enrol one", k.tenant_mfa_required ? "the tenant's policy"
                                                                    : "the creator's role");
        return false;
    }
    req->principal = (struct rcm_principal){.tenant_id = k.tenant_id,
                                            .user_id = k.created_by,
                                            .api_key_id = k.id,
                                            .role = k.role,
                                            .created_ms = k.created_ms,
                                            .mfa_ok = true};
    set_actor(req);
    return true;
}

/* Authenticate with a session token; false with a problem. */
static bool
authorize_session(struct api_request *req, struct api_response *res, const char *token)
{
    const struct api_context *ctx = req->ctx;
    char hash[2 * RCM_SHA256_BYTES + 1];
    rcm_token_hash(token, hash);
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_session_find(ctx->store, hash, &req->principal, &diag);
    if (err) {
        if (err == RCM_E_NOT_FOUND)
            api_problem(req, res, API_PROBLEM_unauthorized, "the session is not valid");
        else if (err == RCM_E_PERM)
            api_problem(req, res, API_PROBLEM_client_not_assigned,
                        "you are no longer assigned to this client practice");
        else
            api_problem(req, res, API_PROBLEM_internal_error, "sessions cannot be read");
        return false;
    }
    set_actor(req);
    int64_t now = rcm_time_now_ms();
    int64_t idle_ms = api_idle_ms(ctx, &req->principal.policy);
    enum rcm_session_state state = rcm_session_check(req->principal.created_ms,
                                                     req->principal.last_seen_ms, now, idle_ms);
    if (state != RCM_SESSION_VALID) {
        bool idle = state == RCM_SESSION_IDLE_EXPIRED;
        struct rcm_diag ignored = RCM_DIAG_INIT;
        if (rcm_store_session_revoke(ctx->store, &req->actor, req->principal.session_id,
                                     false, idle ? "session.idle" : "session.expire",
                                     &ignored) != RCM_OK)
            RCM_LOG(RCM_LOG_WARN, "session.revoke_failed", req->req_id,
                    RCM_LF_I("session_id", req->principal.session_id));
        api_problem(req, res, API_PROBLEM_unauthorized, "the session has %s; log in again",
                    idle ? "timed out after inactivity" : "expired");
        return false;
    }
    if (req->via_cookie && !safe_method(req->method)) {
        char csrf_hash[2 * RCM_SHA256_BYTES + 1];
        bool ok = req->csrf_token && strlen(req->csrf_token) == RCM_TOKEN_TEXT_LEN;
        if (ok) {
            rcm_token_hash(req->csrf_token, csrf_hash);
            ok = rcm_crypto_equal(csrf_hash, req->principal.csrf_hash, sizeof csrf_hash - 1);
        }
        if (!ok) {
            api_problem(req, res, API_PROBLEM_csrf_failed,
                        "send the CSRF token from login in the X-CSRF-Token header");
            return false;
        }
    }
    /* Break-glass in force: every audit record of this request is flagged,
     * and api_can grants full patient data. It ends by itself at expiry. */
    if (req->principal.emergency_until_ms > now &&
        api_break_glass_role((enum rcm_role)req->principal.role))
        req->actor.emergency = true;
    /* written back when more than a sixteenth of the idle timeout has passed;
     * rcm_session_check tolerates exactly that lag */
    if (rcm_session_should_touch(req->principal.last_seen_ms, now, idle_ms) &&
        rcm_store_session_touch(ctx->store, req->principal.session_id, now, &diag) != RCM_OK)
        RCM_LOG(RCM_LOG_WARN, "session.touch_failed", req->req_id,
                RCM_LF_I("session_id", req->principal.session_id));
    return true;
}

int64_t
api_idle_ms(const struct api_context *ctx, const struct rcm_tenant_policy *policy)
{
    return policy->session_idle_s > 0 ? rcm_session_idle_ms((int64_t)policy->session_idle_s * 1000)
                                      : ctx->session_idle_ms;
}

bool
api_mfa_pending(const struct api_request *req)
{
    const struct rcm_principal *p = &req->principal;
    if (p->api_key_id)
        return false;   /* checked against the creator's factor in authorize_key */
    bool required = rcm_role_requires_mfa((enum rcm_role)p->role) || p->policy.mfa_required;
    return required && !(p->mfa_ok && p->mfa_enrolled);
}

bool
api_can(const struct api_request *req, enum rcm_permission perm)
{
    if (rcm_role_can((enum rcm_role)req->principal.role, perm))
        return true;
    /* break-glass adds full identified patient data, nothing else */
    return req->actor.emergency && (perm == RCM_PERM_PHI_READ || perm == RCM_PERM_PHI_WRITE ||
                                    perm == RCM_PERM_PHI_FINANCIAL);
}

bool
api_authorize(struct api_request *req, struct api_response *res, int permission)
{
    const char *token = presented_token(req);
    size_t n = token ? strlen(token) : 0;
    bool is_key = n == API_KEY_PREFIX_LEN + RCM_TOKEN_TEXT_LEN &&
                  strncmp(token, API_KEY_PREFIX, API_KEY_PREFIX_LEN) == 0 && !req->via_cookie;
    if (!is_key && n != RCM_TOKEN_TEXT_LEN) {
        api_problem(req, res, API_PROBLEM_unauthorized,
                    "log in and send the session token (Authorization: Bearer, or the "
                    "session cookie), or send an API key");
        return false;
    }
    if (!(is_key ? authorize_key(req, res, token) : authorize_session(req, res, token)))
        return false;
    /* Owners and admins (and everyone when the tenant's policy says so) must
     * pass a second factor before anything but managing their own session
     * and enrolling one. */
    if (permission != RCM_PERM_SELF && api_mfa_pending(req)) {
        bool by_role = rcm_role_requires_mfa((enum rcm_role)req->principal.role);
        api_problem(req, res, API_PROBLEM_mfa_enrolment_required,
                    "%s%s needs a second factor: enrol with POST /v1/auth/mfa/enroll "
                    "and /v1/auth/mfa/confirm, or log in with it",
                    by_role ? "the role " : "the tenant's policy",
                    by_role ? rcm_role_name((enum rcm_role)req->principal.role) : "");
        return false;
    }
    if (!api_can(req, (enum rcm_permission)permission)) {
        api_problem(req, res, API_PROBLEM_forbidden, "the role %s may not do this",
                    rcm_role_name((enum rcm_role)req->principal.role));
        return false;
    }
    req->authenticated = true;
    return true;
}

/* ---- login / logout ------------------------------------------------------ */

/* An Argon2id hash of a random password, verified against when the user
 * does not exist so that timing does not reveal which emails are users. */
static char dummy_hash[RCM_PWHASH_STR_BYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy_hash(void)
{
    char pw[RCM_TOKEN_TEXT_LEN + 1];
    rcm_token_new(pw);
    struct rcm_pwhash_params params = rcm_pwhash_params_default();
    if (rcm_pwhash(pw, strlen(pw), &params, dummy_hash) != RCM_OK)
        dummy_hash[0] = '\0';
}

static void
login_refused(struct api_request *req, struct api_response *res)
{
    api_problem(req, res, API_PROBLEM_unauthorized, "the tenant, email or password is wrong");
}

void
api_post_login(struct api_request *req, struct api_response *res)
{
    const struct api_context *ctx = req->ctx;
    const char *tenant = NULL, *email = NULL, *password = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_json_get_str_max(req->json, "tenant", true, RCM_TENANT_SLUG_MAX, &tenant, &diag) ||
        rcm_json_get_str_max(req->json, "email", true, RCM_EMAIL_MAX, &email, &diag) ||
        rcm_json_get_str_max(req->json, "password", true, RCM_PASSWORD_POLICY_MAX_BYTES,
                             &password, &diag)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return;
    }
    int64_t now = rcm_time_now_ms();
    struct rcm_throttle_decision by_ip = api_ip_throttle_decide(ctx->ip_throttle,
                                                                req->source_ip, now);
    if (by_ip.action != RCM_THROTTLE_ALLOW) {
        api_problem(req, res, API_PROBLEM_too_many_requests,
                    "too many failed logins from this address; wait before trying again");
        res->retry_after_s = by_ip.retry_after_ms > 0 ? (by_ip.retry_after_ms + 999) / 1000 : 0;
        return;
    }
    struct rcm_user user;
    enum rcm_err err = rcm_store_login_lookup(ctx->store, tenant, email, &user, &diag);
    if (err && err != RCM_E_NOT_FOUND) {
        api_problem(req, res, API_PROBLEM_internal_error, "users cannot be read");
        return;
    }
    bool known = err == RCM_OK && !user.disabled && user.password_hash[0];
    /* One throttle for every identity a login can name: a real account's
     * counters live on the user, any other identity's (unknown tenant or
     * email, disabled user) in login_throttle under a keyed hash. Both are
     * read on every login so that the two paths do the same work, and the
     * same policy answers both: status, body and Retry-After say nothing
     * about which accounts exist. */
    struct rcm_throttle_policy policy = rcm_throttle_policy_account();
    struct rcm_throttle_state state = {0, 0};
    if (rcm_store_login_throttle_get(ctx->store, tenant, email, &state.failures,
                                     &state.last_failure_ms, &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_internal_error, "users cannot be read");
        return;
    }
    if (known)
        state = (struct rcm_throttle_state){user.failures, user.last_failure_ms};
    /* a billing company's staff act in the client practice they named */
    struct rcm_actor actor = {.tenant_id = known ? user.login_tenant_id : 0, .type = "user",
                              .user_id = known ? user.id : 0, .request_id = req->req_id,
                              .source_ip = req->source_ip, .purpose = "operations"};
    struct rcm_throttle_decision d = rcm_throttle_decide(&policy, &state, now);
    if (d.action != RCM_THROTTLE_ALLOW) {
        api_problem(req, res, API_PROBLEM_too_many_requests,
                    d.action == RCM_THROTTLE_LOCKED
                        ? "the account is locked after repeated failures; an "
                          "administrator must unlock it"
                        : "too many failed logins; wait before trying again");
        res->retry_after_s = d.retry_after_ms > 0 ? (d.retry_after_ms + 999) / 1000 : 0;
        return;
    }
    pthread_once(&dummy_once, make_dummy_hash);
    if (rcm_pwhash_gate_enter(ctx->pwhash_gate, PWHASH_WAIT_MS) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_busy, "too many logins at once; try again");
        res->retry_after_s = 1;
        return;
    }
    err = rcm_pwhash_verify(known ? user.password_hash : dummy_hash, password,
                            strlen(password));
    rcm_pwhash_gate_leave(ctx->pwhash_gate);
    if (!known || err != RCM_OK) {
        rcm_throttle_record_failure(&policy, &state, now);
        /* rows that no longer matter: forgotten by the policy, not locked */
        int64_t prune_before = policy.forget_after_ms > 0 ? now - policy.forget_after_ms : 0;
        enum rcm_err stored =
            known ? rcm_store_login_failed(ctx->store, &actor, user.id, state.failures, now,
                                           &diag)
                  : rcm_store_login_failed_identity(ctx->store, &actor, tenant, email,
                                                    state.failures, now, prune_before,
                                                    policy.lockout_failures, &diag);
        if (stored != RCM_OK)
            RCM_LOG0(RCM_LOG_WARN, "login.audit_failed", req->req_id);
        api_ip_throttle_failed(ctx->ip_throttle, req->source_ip, now);
        login_refused(req, res);
        return;
    }
    bool mfa_ok;
    if (!api_mfa_login(req, res, &user, &mfa_ok)) {
        if (res->status == 401 && strcmp(json_string_value(json_object_get(res->json, "code")),
                                         "unauthorized") == 0) {
            /* a wrong second factor counts like a wrong password */
            rcm_throttle_record_failure(&policy, &state, now);
            if (rcm_store_login_failed(ctx->store, &actor, user.id, state.failures, now,
                                       &diag) != RCM_OK)
                RCM_LOG0(RCM_LOG_WARN, "login.audit_failed", req->req_id);
            api_ip_throttle_failed(ctx->ip_throttle, req->source_ip, now);
        }
        return;
    }
    /* company staff reach only the client practices assigned to them */
    if (user.client_unassigned) {
        struct rcm_audit_what what = {"login.denied", "user", NULL, NULL, "denied"};
        char uid[24];
        snprintf(uid, sizeof uid, "%lld", (long long)user.id);
        what.object_id = uid;
        if (rcm_store_audit_append(ctx->store, &actor, &what, &diag) != RCM_OK)
            RCM_LOG0(RCM_LOG_WARN, "login.audit_failed", req->req_id);
        api_problem(req, res, API_PROBLEM_client_not_assigned,
                    "you are not assigned to this client practice; ask an owner or admin "
                    "of your company");
        return;
    }
    char token[RCM_TOKEN_TEXT_LEN + 1], csrf[RCM_TOKEN_TEXT_LEN + 1];
    char token_hash[2 * RCM_SHA256_BYTES + 1], csrf_hash[2 * RCM_SHA256_BYTES + 1];
    rcm_token_new(token);
    rcm_token_new(csrf);
    rcm_token_hash(token, token_hash);
    rcm_token_hash(csrf, csrf_hash);
    int64_t session_id;
    if (rcm_store_session_create(ctx->store, &actor, token_hash, csrf_hash, mfa_ok, now,
                                 &session_id, &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_internal_error, "the session cannot be stored");
        return;
    }
    char expires[RCM_TIME_ISO_LEN + 1];
    rcm_time_format_iso(now + RCM_SESSION_ABSOLUTE_MS, expires);
    struct rcm_tenant tenant_row;
    int64_t idle_ms = rcm_store_tenant_get(ctx->store, &actor, &tenant_row, &diag) == RCM_OK
                          ? api_idle_ms(ctx, &tenant_row.policy)
                          : ctx->session_idle_ms;
    res->json = json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:{s:I,s:s,s:s,s:s,s:I}}",
                          "token", token, "token_type", "Bearer", "csrf_token", csrf,
                          "expires_at", expires, "idle_timeout_s",
                          (json_int_t)(idle_ms / 1000), "mfa_enrolment_required",
                          !mfa_ok, "user", "id",
                          (json_int_t)user.id, "email", user.email, "display_name",
                          user.display_name, "role", rcm_role_name((enum rcm_role)user.role),
                          "tenant_id", (json_int_t)user.tenant_id);
    snprintf(res->set_cookie, sizeof res->set_cookie,
             API_SESSION_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict", token);
    rcm_crypto_wipe(token, sizeof token);
    rcm_crypto_wipe(csrf, sizeof csrf);
}

static void
logout(struct api_request *req, struct api_response *res, bool all)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (req->principal.api_key_id) {
        api_problem(req, res, API_PROBLEM_bad_request,
                    "an API key has no session; revoke it with DELETE /v1/api-keys/{id}");
        return;
    }
    if (rcm_store_session_revoke(req->ctx->store, &req->actor, req->principal.session_id,
                                 all, all ? "logout.all" : "logout", &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_internal_error, "the session cannot be ended");
        return;
    }
    res->json = json_pack("{s:s}", "status", all ? "all_sessions_ended" : "logged_out");
    snprintf(res->set_cookie, sizeof res->set_cookie,
             API_SESSION_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

void
api_post_logout(struct api_request *req, struct api_response *res)
{
    logout(req, res, false);
}

void
api_post_logout_all(struct api_request *req, struct api_response *res)
{
    logout(req, res, true);
}

void
api_get_me(struct api_request *req, struct api_response *res)
{
    struct rcm_user user;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_user_get(req->ctx->store, &req->actor, req->principal.user_id, &user,
                           &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_unauthorized, "the user no longer exists");
        return;
    }
    /* An API key acts with its own role, on behalf of the user who made it. */
    enum rcm_role role = (enum rcm_role)req->principal.role;
    /* what this principal may do now: break-glass grants included */
    json_t *perms = json_array();
    for (int p = 0; p < RCM_PERM_COUNT; p++)
        if (api_can(req, (enum rcm_permission)p))
            json_array_append_new(perms, json_string(rcm_permission_name((enum rcm_permission)p)));
    char until[RCM_TIME_ISO_LEN + 1];
    if (req->actor.emergency)
        rcm_time_format_iso(req->principal.emergency_until_ms, until);
    res->json = json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:o,s:I,s:I,s:b,s:o}", "id",
                          (json_int_t)user.id, "tenant_id",
                          (json_int_t)req->principal.tenant_id, "home_tenant_id",
                          (json_int_t)user.tenant_id, "email", user.email,
                          "display_name", user.display_name, "role", rcm_role_name(role),
                          "permissions", perms, "session_id",
                          (json_int_t)req->principal.session_id, "api_key_id",
                          (json_int_t)req->principal.api_key_id, "mfa_ok",
                          !api_mfa_pending(req), "emergency_until",
                          req->actor.emergency ? json_string(until) : json_null());
}
