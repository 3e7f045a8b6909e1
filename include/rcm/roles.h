/*
 * rcm/roles.h — roles and the permission matrix (minimum necessary,
 * HIPAA §164.502(b)). The one place that decides what a role may do; the
 * API checks a route's permission here before its handler runs.
 */
#ifndef RCM_ROLES_H
#define RCM_ROLES_H

#include <stdbool.h>
#include <stdint.h>

/* X(id, name, description) */
#define RCM_ROLES(X)                                                            \
    X(OWNER, "owner", "runs the organisation: everything, including users and keys") \
    X(ADMIN, "admin", "administers users, settings and API keys")               \
    X(BILLER, "biller", "claims, payments, denials and patient accounts")       \
    X(CODER, "coder", "coding from clinical documentation; no SSN or bank data") \
    X(FRONT_DESK, "front_desk", "registration, insurance and eligibility")      \
    X(COMPLIANCE, "compliance", "audit log, disclosures and privacy requests")  \
    X(ANALYST, "analyst", "de-identified data and reports only")                \
    X(API_CLIENT, "api_client", "machine access scoped by its API key")

enum rcm_role {
#define RCM_ROLE_ENUM(id, name, text) RCM_ROLE_##id,
    RCM_ROLES(RCM_ROLE_ENUM)
#undef RCM_ROLE_ENUM
    RCM_ROLE_COUNT
};

/* X(id, name, description) */
#define RCM_PERMISSIONS(X)                                                      \
    X(SELF, "self", "see and end one's own sessions")                           \
    X(USER_READ, "user.read", "list users of the tenant")                       \
    X(USER_MANAGE, "user.manage", "create, change and disable users")           \
    X(AUDIT_READ, "audit.read", "query and export the audit log")               \
    X(PHI_READ, "phi.read", "read identified patient data")                     \
    X(PHI_WRITE, "phi.write", "create and change identified patient data")      \
    X(PHI_FINANCIAL, "phi.financial", "see SSN and bank data")                  \
    X(CLAIM_WRITE, "claim.write", "create, scrub and submit claims")            \
    X(CODING_WRITE, "coding.write", "assign and review codes")                  \
    X(DEID_READ, "deid.read", "read de-identified data and reports")           \
    X(TENANT_MANAGE, "tenant.manage", "change the tenant's security policy")  \
    X(KEYS_MANAGE, "keys.manage", "rotate the tenant's encryption keys")       \
    X(JOB_READ, "job.read", "see the tenant's background jobs and their progress")

enum rcm_permission {
#define RCM_PERM_ENUM(id, name, text) RCM_PERM_##id,
    RCM_PERMISSIONS(RCM_PERM_ENUM)
#undef RCM_PERM_ENUM
    RCM_PERM_COUNT
};

/* "biller" -> RCM_ROLE_BILLER; -1 when unknown. */
int rcm_role_parse(const char *name);
const char *rcm_role_name(enum rcm_role role);
const char *rcm_permission_name(enum rcm_permission perm);

/* True when `role` holds `perm`. */
bool rcm_role_can(enum rcm_role role, enum rcm_permission perm);

/* Roles that must use a second factor whatever the tenant's policy. */
bool rcm_role_requires_mfa(enum rcm_role role);

#endif
