/*
 * auth_roles.c — the permission matrix.
 *
 * Each row is a role, each bit a permission; read it as the policy. A new
 * permission is denied to every role until added here, so the default is
 * closed.
 */
#include <string.h>

#include "rcm/roles.h"

#define P(x) (1u << RCM_PERM_##x)
#define P_BIT(perm) (1u << (perm))

static const uint32_t matrix[RCM_ROLE_COUNT] = {
    [RCM_ROLE_OWNER] = P(SELF) | P(USER_READ) | P(USER_MANAGE) | P(AUDIT_READ) |
                       P(PHI_READ) | P(PHI_WRITE) | P(PHI_FINANCIAL) | P(CLAIM_WRITE) |
                       P(CODING_WRITE) | P(DEID_READ) | P(TENANT_MANAGE) | P(KEYS_MANAGE) |
                       P(JOB_READ),
    [RCM_ROLE_ADMIN] = P(SELF) | P(USER_READ) | P(USER_MANAGE) | P(AUDIT_READ) |
                       P(DEID_READ) | P(TENANT_MANAGE) | P(JOB_READ),
    [RCM_ROLE_BILLER] = P(SELF) | P(PHI_READ) | P(PHI_WRITE) | P(PHI_FINANCIAL) |
                        P(CLAIM_WRITE),
    [RCM_ROLE_CODER] = P(SELF) | P(PHI_READ) | P(CODING_WRITE),
    [RCM_ROLE_FRONT_DESK] = P(SELF) | P(PHI_READ) | P(PHI_WRITE),
    [RCM_ROLE_COMPLIANCE] = P(SELF) | P(USER_READ) | P(AUDIT_READ) | P(PHI_READ),
    [RCM_ROLE_ANALYST] = P(SELF) | P(DEID_READ),
    [RCM_ROLE_API_CLIENT] = P(SELF) | P(PHI_READ) | P(PHI_WRITE) | P(CLAIM_WRITE),
};

static const char *const role_names[RCM_ROLE_COUNT] = {
#define RCM_ROLE_NAME(id, name, text) name,
    RCM_ROLES(RCM_ROLE_NAME)
#undef RCM_ROLE_NAME
};

static const char *const perm_names[RCM_PERM_COUNT] = {
#define RCM_PERM_NAME(id, name, text) name,
    RCM_PERMISSIONS(RCM_PERM_NAME)
#undef RCM_PERM_NAME
};

int
rcm_role_parse(const char *name)
{
    for (int i = 0; i < RCM_ROLE_COUNT; i++)
        if (strcmp(role_names[i], name) == 0)
            return i;
    return -1;
}

const char *
rcm_role_name(enum rcm_role role)
{
    return (unsigned)role < RCM_ROLE_COUNT ? role_names[role] : "unknown";
}

const char *
rcm_permission_name(enum rcm_permission perm)
{
    return (unsigned)perm < RCM_PERM_COUNT ? perm_names[perm] : "unknown";
}

bool
rcm_role_can(enum rcm_role role, enum rcm_permission perm)
{
    return (unsigned)role < RCM_ROLE_COUNT && (unsigned)perm < RCM_PERM_COUNT &&
           (matrix[role] & P_BIT(perm)) != 0;
}

bool
rcm_role_requires_mfa(enum rcm_role role)
{
    return role == RCM_ROLE_OWNER || role == RCM_ROLE_ADMIN;
}
