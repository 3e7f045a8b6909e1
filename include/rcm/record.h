/*
 * rcm/record.h — records about a patient (coverages now; encounters,
 * claims, remittances… next), each kind declared by one field table.
 *
 * A record kind names its table and its fields. Each field says what its
 * value may be (the kind checked by rcm_value_check), the permission needed
 * to see or change it (minimum necessary, HIPAA §164.502(b)), and whether it
 * is sealed or a plain column. Sealed fields are AES-256-GCM envelopes under
 * the patient's own data key, with associated data naming tenant, table,
 * column and the record's random uid: deleting the patient's key
 * (crypto-shredding) makes every record about them unreadable at once, and
 * an envelope moved to another cell fails to open. Plain columns exist so
 * work lists, A/R and reports can run as queries; docs/security.md says
 * which values may be plain (codes, states, amounts, payer and provider
 * ids) and why — identifiers and free text never are.
 *
 * Adding a kind: a migration per database (the table: id, tenant_id,
 * patient_id, uid, created_ms, updated_ms, then one column per field —
 * bytea/BLOB when sealed), one field table, and a domain module for the
 * rules of that kind (the `check` hook). The store does the rest: seal,
 * open, mask, audit, list.
 */
#ifndef RCM_RECORD_H
#define RCM_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "rcm/err.h"
#include "rcm/patient.h"
#include "rcm/roles.h"

#define RCM_RECORD_FIELDS_MAX 32
#define RCM_RECORD_VALUE_MAX RCM_PATIENT_VALUE_MAX

struct rcm_field {
    const char *name;           /* JSON name and column */
    enum rcm_permission perm;   /* to see or change it */
    enum rcm_patient_kind kind; /* what a value may be (rcm_value_check) */
    bool sealed;                /* false: a plain column (docs/security.md) */
    bool required;              /* on create, and never cleared */
    const char *choices;        /* RCM_PK_CHOICE: "a|b|c" */
};

struct rcm_record;

struct rcm_record_kind {
    const char *name;           /* table, audit object type and action prefix */
    /* A record of the tenant itself (a provider, a payer), about no patient:
     * its table has no patient_id, and it may have no sealed field (there is
     * no patient key to seal with; such records hold no PHI). */
    bool of_tenant;
    const struct rcm_field *fields;
    int n_fields;               /* <= RCM_RECORD_FIELDS_MAX */
    /* Rules across fields of a whole record (after each field passed its
     * own check), or NULL. A message names fields, never values. */
    enum rcm_err (*check)(const struct rcm_record *r, struct rcm_diag *diag);
};

/* A record as the caller sees it: `present` has a bit per field holding a
 * value; fields outside the requested mask stay empty. */
struct rcm_record {
    int64_t id;
    int64_t tenant_id;
    int64_t patient_id;
    int64_t created_ms;
    int64_t updated_ms;
    uint32_t present;
    char value[RCM_RECORD_FIELDS_MAX][RCM_RECORD_VALUE_MAX + 1];
};

#define RCM_RECORD_ALL 0xffffffffu

/* Whether field f is stored as an integer column (cents, days) and shown
 * as a JSON integer. */
bool rcm_field_is_integer(const struct rcm_field *f);

/* The field index of `name` in kind, or -1. */
int rcm_record_field(const struct rcm_record_kind *kind, const char *name);

/*
 * Check one value for field f; RCM_E_INVAL with a message naming the field
 * (never quoting the value) when it does not fit. Writes the stored form
 * into out (RCM_RECORD_VALUE_MAX + 1): trimmed, codes upper-cased, SSN and
 * phone as digits only.
 */
RCM_MUST_CHECK enum rcm_err rcm_value_check(const struct rcm_field *f, const char *value,
                                            char out[RCM_RECORD_VALUE_MAX + 1],
                                            struct rcm_diag *diag);

/* The kinds this build knows. */
extern const struct rcm_record_kind rcm_coverage_kind;
extern const struct rcm_record_kind rcm_guarantor_kind;
extern const struct rcm_record_kind rcm_provider_kind;
extern const struct rcm_record_kind rcm_payer_kind;
extern const struct rcm_record_kind rcm_fee_schedule_kind;

#endif
