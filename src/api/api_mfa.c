/*
 * api_mfa.c — the second factor: TOTP (RFC 6238) enrolment and
 * confirmation, and its check at login, with single-use recovery codes.
 *
 * The TOTP secret is sealed with AES-256-GCM under a key derived from the
 * master key, bound (AAD) to tenant, table, column and user, so a sealed
 * secret copied to another user's row does not open. The last accepted time
 * step is stored, so a code cannot be replayed.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/json.h"

#define MFA_ISSUER "openrcm"
/* Caps on the factor members: a TOTP code is at most 8 digits; a recovery
 * code is RCM_RECOVERY_CODE_LEN characters, with room for spaces around. */
#define TOTP_CODE_MAX 8
#define RECOVERY_CODE_MAX 64

/* AAD binding a sealed secret to its row. */
static bool
secret_aad(int64_t tenant_id, int64_t user_id, uint8_t *aad, size_t *aad_len)
{
    char tenant[24], user[24];
    snprintf(tenant, sizeof tenant, "%lld", (long long)tenant_id);
    snprintf(user, sizeof user, "%lld", (long long)user_id);
    return rcm_aead_aad_build(tenant, "app_user", "mfa_secret", user, aad,
                              RCM_AEAD_AAD_MAX_BYTES, aad_len) == RCM_OK;
}

static bool
open_secret(const struct api_context *ctx, int64_t tenant_id, int64_t user_id,
            const struct rcm_mfa_state *st, uint8_t secret[RCM_TOTP_SECRET_BYTES])
{
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len, n = 0;
    return st->sealed_len && secret_aad(tenant_id, user_id, aad, &aad_len) &&
           rcm_aead_open(ctx->mfa_key, aad, aad_len, st->sealed, st->sealed_len, secret,
                         RCM_TOTP_SECRET_BYTES, &n) == RCM_OK &&
           n == RCM_TOTP_SECRET_BYTES;
}

bool
api_mfa_login(struct api_request *req, struct api_response *res,
              const struct rcm_user *user, bool *mfa_ok)
{
    const struct api_context *ctx = req->ctx;
    struct rcm_actor scope = {.tenant_id = user->tenant_id, .type = "user",
                              .user_id = user->id};
    struct rcm_mfa_state st;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_mfa_get(ctx->store, &scope, user->id, &st, &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_internal_error, "the second factor cannot be read");
        return false;
    }
    if (!st.enabled) {
        /* no factor yet: the session is enrol-only when the role or the
         * tenant's policy needs one (an unreadable policy counts as needing) */
        struct rcm_tenant tenant;
        struct rcm_actor in = scope;    /* the practice the session acts in */
        in.tenant_id = user->login_tenant_id ? user->login_tenant_id : user->tenant_id;
        bool by_policy = rcm_store_tenant_get(ctx->store, &in, &tenant, &diag) != RCM_OK ||
                         tenant.policy.mfa_required;
        *mfa_ok = !(rcm_role_requires_mfa((enum rcm_role)user->role) || by_policy);
        return true;
    }
    const char *totp = NULL, *recovery = NULL;
    if (rcm_json_get_str_max(req->json, "totp", false, TOTP_CODE_MAX, &totp, &diag) ||
        rcm_json_get_str_max(req->json, "recovery_code", false, RECOVERY_CODE_MAX, &recovery,
                             &diag)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return false;
    }
    if (!totp && !recovery) {
        api_problem(req, res, API_PROBLEM_mfa_required,
                    "send the 6-digit code from the authenticator as \"totp\", or a "
                    "recovery code as \"recovery_code\"");
        return false;
    }
    enum rcm_err err = RCM_E_PERM;
    if (totp) {
        uint8_t secret[RCM_TOTP_SECRET_BYTES];
        struct rcm_totp_params params = rcm_totp_params_default();
        int64_t step = 0;
        if (open_secret(ctx, user->tenant_id, user->id, &st, secret) &&
            rcm_totp_verify(secret, sizeof secret, &params, totp, rcm_time_now_ms() / 1000,
                            st.last_step, &step) == RCM_OK)
            err = rcm_store_mfa_used(ctx->store, user->id, step, -1, &diag);
        rcm_crypto_wipe(secret, sizeof secret);
    } else {
        char uid[24];
        size_t index;
        snprintf(uid, sizeof uid, "%lld", (long long)user->id);
        if (rcm_recovery_code_verify(uid, recovery, (const uint8_t(*)[32])st.recovery,
                                     st.n_recovery, &index) == RCM_OK)
            err = rcm_store_mfa_used(ctx->store, user->id, 0, st.recovery_slot[index], &diag);
    }
    if (err) {
        api_problem(req, res, API_PROBLEM_unauthorized,
                    "the second factor is wrong or was already used");
        return false;
    }
    *mfa_ok = true;
    return true;
}

void
api_post_mfa_enroll(struct api_request *req, struct api_response *res)
{
    const struct api_context *ctx = req->ctx;
    if (req->principal.api_key_id) {
        api_problem(req, res, API_PROBLEM_bad_request, "API keys have no second factor");
        return;
    }
    struct rcm_user user;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_user_get(ctx->store, &req->actor, req->principal.user_id, &user, &diag)) {
        api_problem(req, res, API_PROBLEM_unauthorized, "the user no longer exists");
        return;
    }
    uint8_t secret[RCM_TOTP_SECRET_BYTES], aad[RCM_AEAD_AAD_MAX_BYTES];
    uint8_t sealed[RCM_MFA_SEALED_MAX];
    size_t aad_len, sealed_len;
    char b32[64], uri[RCM_TOTP_URI_MAX_BYTES];
    char *svg = NULL;
    size_t svg_len;
    struct rcm_qr qr = {0};
    struct rcm_totp_params params = rcm_totp_params_default();
    rcm_totp_secret_new(secret);
    bool ok = secret_aad(user.tenant_id, user.id, aad, &aad_len) &&
              rcm_aead_seal(ctx->mfa_key, aad, aad_len, secret, sizeof secret, sealed,
                            sizeof sealed, &sealed_len) == RCM_OK &&
              rcm_totp_uri(secret, sizeof secret, &params, MFA_ISSUER, user.email, uri,
                           sizeof uri) == RCM_OK &&
              rcm_qr_encode(uri, &qr) == RCM_OK && rcm_qr_svg(&qr, 4, &svg, &svg_len) == RCM_OK;
    rcm_base32_encode(secret, sizeof secret, false, b32);
    rcm_crypto_wipe(secret, sizeof secret);
    rcm_qr_release(&qr);
    enum rcm_err err = ok ? rcm_store_mfa_begin(ctx->store, &req->actor, sealed, sealed_len,
                                                &diag)
                          : RCM_E_CRYPTO;
    if (err == RCM_E_CONFLICT)
        api_problem(req, res, API_PROBLEM_conflict, "the second factor is already on");
    else if (err)
        api_problem(req, res, API_PROBLEM_internal_error, "the enrolment cannot be stored");
    else
        res->json = json_pack("{s:s,s:s,s:s%,s:i,s:i}", "secret", b32, "otpauth_uri", uri,
                              "qr_svg", svg, svg_len, "digits", (int)params.digits,
                              "period_s", (int)params.step_s);
    rcm_crypto_wipe(b32, sizeof b32);
    rcm_crypto_wipe(uri, sizeof uri);
    if (svg)
        rcm_free(svg);
}

void
api_post_mfa_confirm(struct api_request *req, struct api_response *res)
{
    const struct api_context *ctx = req->ctx;
    const char *code = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (req->principal.api_key_id) {
        api_problem(req, res, API_PROBLEM_bad_request, "API keys have no second factor");
        return;
    }
    if (rcm_json_get_str_max(req->json, "code", true, TOTP_CODE_MAX, &code, &diag)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return;
    }
    struct rcm_mfa_state st;
    if (rcm_store_mfa_get(ctx->store, &req->actor, req->principal.user_id, &st, &diag)) {
        api_problem(req, res, API_PROBLEM_internal_error, "the second factor cannot be read");
        return;
    }
    if (st.enabled || !st.sealed_len) {
        api_problem(req, res, API_PROBLEM_conflict,
                    st.enabled ? "the second factor is already on"
                               : "start with POST /v1/auth/mfa/enroll");
        return;
    }
    uint8_t secret[RCM_TOTP_SECRET_BYTES];
    struct rcm_totp_params params = rcm_totp_params_default();
    int64_t step = 0;
    bool ok = open_secret(ctx, req->principal.tenant_id, req->principal.user_id, &st, secret) &&
              rcm_totp_verify(secret, sizeof secret, &params, code, rcm_time_now_ms() / 1000,
                              0, &step) == RCM_OK;
    rcm_crypto_wipe(secret, sizeof secret);
    if (!ok) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "the code does not match; check the authenticator's clock");
        return;
    }
    char codes[RCM_MFA_RECOVERY_CODES][RCM_RECOVERY_CODE_LEN + 1];
    uint8_t hashes[RCM_MFA_RECOVERY_CODES][32];
    char uid[24];
    snprintf(uid, sizeof uid, "%lld", (long long)req->principal.user_id);
    for (int i = 0; i < RCM_MFA_RECOVERY_CODES; i++) {
        rcm_recovery_code_new(codes[i]);
        if (rcm_recovery_code_hash(uid, codes[i], hashes[i]) != RCM_OK)
            ok = false;
    }
    enum rcm_err err = ok ? rcm_store_mfa_enable(ctx->store, &req->actor, step,
                                                 req->principal.session_id,
                                                 (const uint8_t(*)[32])hashes,
                                                 RCM_MFA_RECOVERY_CODES, &diag)
                          : RCM_E_CRYPTO;
    if (err) {
        api_problem(req, res, err == RCM_E_CONFLICT ? API_PROBLEM_conflict
                                                    : API_PROBLEM_internal_error,
                    "the second factor cannot be turned on");
    } else {
        json_t *list = json_array();
        for (int i = 0; i < RCM_MFA_RECOVERY_CODES; i++)
            json_array_append_new(list, json_string(codes[i]));
        res->json = json_pack("{s:b,s:o}", "mfa_enabled", 1, "recovery_codes", list);
    }
    rcm_crypto_wipe(codes, sizeof codes);
}
