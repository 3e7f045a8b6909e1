/*
 * api_routes.c — the route table: every endpoint the server has.
 *
 * tests/unit/api/test_api_openapi.c fails when a route here is missing from
 * src/api/openapi.json (or the document lists one that does not exist),
 * and when a POST's Idempotency-Key parameter there disagrees with its
 * API_NO_IDEMPOTENCY flag here (why routes carry it: api_idempotency.c).
 */
#include "api/api_int.h"

const struct api_route api_routes[] = {
    {"GET", "/healthz", api_get_healthz, 0, API_PUBLIC},
    {"GET", "/readyz", api_get_readyz, 0, API_PUBLIC},
    {"GET", "/v1/version", api_get_version, 0, API_PUBLIC},
    {"GET", "/v1/openapi.json", api_get_openapi, 0, API_PUBLIC},
    {"POST", "/v1/echo", api_post_echo, API_BODY_JSON, API_PUBLIC},
    {"POST", "/v1/auth/login", api_post_login, API_BODY_JSON | API_NO_IDEMPOTENCY, API_PUBLIC},
    {"POST", "/v1/auth/logout", api_post_logout, API_NO_IDEMPOTENCY, RCM_PERM_SELF},
    {"POST", "/v1/auth/logout-all", api_post_logout_all, API_NO_IDEMPOTENCY, RCM_PERM_SELF},
    {"GET", "/v1/me", api_get_me, 0, RCM_PERM_SELF},
    {"POST", "/v1/auth/mfa/enroll", api_post_mfa_enroll, API_NO_IDEMPOTENCY, RCM_PERM_SELF},
    {"POST", "/v1/auth/mfa/confirm", api_post_mfa_confirm,
     API_BODY_JSON | API_NO_IDEMPOTENCY, RCM_PERM_SELF},
    {"GET", "/v1/users", api_get_users, 0, RCM_PERM_USER_READ},
    {"POST", "/v1/users", api_post_users, API_BODY_JSON, RCM_PERM_USER_MANAGE},
    {"GET", "/v1/users/{id}", api_get_user, 0, RCM_PERM_USER_READ},
    {"PATCH", "/v1/users/{id}", api_patch_user, API_BODY_JSON, RCM_PERM_USER_MANAGE},
    {"POST", "/v1/users/{id}/unlock", api_post_user_unlock, 0, RCM_PERM_USER_MANAGE},
    {"GET", "/v1/tenant", api_get_tenant, 0, RCM_PERM_SELF},
    {"PATCH", "/v1/tenant", api_patch_tenant, API_BODY_JSON, RCM_PERM_TENANT_MANAGE},
    {"POST", "/v1/auth/break-glass", api_post_break_glass,
     API_BODY_JSON | API_NO_IDEMPOTENCY, RCM_PERM_SELF},
    {"DELETE", "/v1/auth/break-glass", api_delete_break_glass, 0, RCM_PERM_SELF},
    {"GET", "/v1/break-glass", api_get_break_glass, 0, RCM_PERM_AUDIT_READ},
    {"GET", "/v1/audit", api_get_audit, 0, RCM_PERM_AUDIT_READ},
    {"POST", "/v1/api-keys", api_post_api_keys,
     API_BODY_JSON | API_NO_IDEMPOTENCY, RCM_PERM_USER_MANAGE},
    {"GET", "/v1/api-keys", api_get_api_keys, 0, RCM_PERM_USER_MANAGE},
    {"DELETE", "/v1/api-keys/{id}", api_delete_api_key, 0, RCM_PERM_USER_MANAGE},
    {"POST", "/v1/patients", api_post_patients, API_BODY_JSON, RCM_PERM_PHI_WRITE},
    {"GET", "/v1/patients", api_get_patients, 0, RCM_PERM_PHI_READ},
    {"POST", "/v1/patients/search", api_post_patient_search,
     API_BODY_JSON | API_NO_IDEMPOTENCY, RCM_PERM_PHI_READ},
    {"GET", "/v1/patients/{id}", api_get_patient, 0, RCM_PERM_PHI_READ},
    {"PATCH", "/v1/patients/{id}", api_patch_patient, API_BODY_JSON, RCM_PERM_PHI_WRITE},
    {"DELETE", "/v1/patients/{id}", api_delete_patient, 0, RCM_PERM_PHI_WRITE},
    {"GET", "/v1/clients", api_get_clients, 0, RCM_PERM_USER_MANAGE},
    {"POST", "/v1/clients", api_post_clients, API_BODY_JSON, RCM_PERM_USER_MANAGE},
    {"POST", "/v1/tenant/keys/rotate", api_post_tenant_keys_rotate, API_BODY_JSON_OPTIONAL,
     RCM_PERM_KEYS_MANAGE},
    {"GET", "/v1/jobs", api_get_jobs, 0, RCM_PERM_JOB_READ},
    {"GET", "/v1/jobs/{id}", api_get_job, 0, RCM_PERM_JOB_READ},
    {NULL, NULL, NULL, 0, 0},
};
