/*
 * rcm/patient.h — the patient record's fields: what each is, who may see it,
 * and how it is checked. The one table every layer uses: the store seals
 * each field as its own AES-256-GCM column, and the API shows a field only
 * to a principal holding the field's permission (minimum necessary,
 * HIPAA §164.502(b)) — a coder never sees an SSN or bank data.
 */
#ifndef RCM_PATIENT_H
#define RCM_PATIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"
#include "rcm/roles.h"

/* Longest value of any field, in bytes of UTF-8. */
#define RCM_PATIENT_VALUE_MAX 200

enum rcm_patient_kind {
    RCM_PK_TEXT,        /* printable UTF-8, no control characters */
    RCM_PK_NAME,        /* as TEXT, required on create */
    RCM_PK_DATE,        /* YYYY-MM-DD, not in the future */
    RCM_PK_SEX,         /* F, M or U (X12 DMG03) */
    RCM_PK_ID,          /* letters, digits and - . / space (member id, MRN) */
    RCM_PK_SSN,         /* nine digits, dashes allowed */
    RCM_PK_STATE,       /* two capital letters */
    RCM_PK_ZIP,         /* five or nine digits */
    RCM_PK_PHONE,       /* ten digits, punctuation allowed */
    RCM_PK_EMAIL,       /* something@something */
    RCM_PK_DIGITS,      /* digits only (routing, account) */
    RCM_PK_CHOICE,      /* one of a field's listed words (rcm/record.h) */
    RCM_PK_CENTS,       /* an amount in cents, 0..10^13, stored as an integer */
    RCM_PK_DAY,         /* YYYY-MM-DD, 1850..2199: future dates allowed */
    RCM_PK_DAYS,        /* a number of days, 1..3650, stored as an integer */
    RCM_PK_NPI,         /* ten digits with the NPI check digit (Luhn, prefix 80840) */
    RCM_PK_TIN,         /* a tax id: nine digits, '-' allowed */
    RCM_PK_TAXONOMY,    /* a NUCC taxonomy code: ten letters or digits */
    RCM_PK_PROCEDURE,   /* CPT or HCPCS shape: five letters or digits, upper-cased */
    RCM_PK_MODIFIER,    /* a procedure modifier: two letters or digits, upper-cased */
    RCM_PK_ICD10,       /* ICD-10-CM shape: letter, digit, then 1-5 more; dot dropped */
};

/* X(id, json name and column, permission to see it, kind) */
#define RCM_PATIENT_FIELDS(X)                                                   \
    X(MRN, "mrn", PHI_READ, RCM_PK_ID)                                          \
    X(LAST_NAME, "last_name", PHI_READ, RCM_PK_NAME)                            \
    X(FIRST_NAME, "first_name", PHI_READ, RCM_PK_NAME)                          \
    X(MIDDLE_NAME, "middle_name", PHI_READ, RCM_PK_TEXT)                        \
    X(DOB, "dob", PHI_READ, RCM_PK_DATE)                                        \
    X(SEX, "sex", PHI_READ, RCM_PK_SEX)                                         \
    X(ADDRESS_LINE1, "address_line1", PHI_READ, RCM_PK_TEXT)                    \
    X(ADDRESS_LINE2, "address_line2", PHI_READ, RCM_PK_TEXT)                    \
    X(CITY, "city", PHI_READ, RCM_PK_TEXT)                                      \
    X(STATE, "state", PHI_READ, RCM_PK_STATE)                                   \
    X(POSTAL_CODE, "postal_code", PHI_READ, RCM_PK_ZIP)                         \
    X(PHONE, "phone", PHI_READ, RCM_PK_PHONE)                                   \
    X(EMAIL, "email", PHI_READ, RCM_PK_EMAIL)                                   \
    X(MEMBER_ID, "member_id", PHI_READ, RCM_PK_ID)                              \
    X(SSN, "ssn", PHI_FINANCIAL, RCM_PK_SSN)                                    \
    X(BANK_ROUTING, "bank_routing", PHI_FINANCIAL, RCM_PK_DIGITS)               \
    X(BANK_ACCOUNT, "bank_account", PHI_FINANCIAL, RCM_PK_DIGITS)

enum rcm_patient_field {
#define RCM_PF_ENUM(id, name, perm, kind) RCM_PF_##id,
    RCM_PATIENT_FIELDS(RCM_PF_ENUM)
#undef RCM_PF_ENUM
    RCM_PF_COUNT
};

#define RCM_PF_BIT(f) (1u << (f))
#define RCM_PF_ALL ((1u << RCM_PF_COUNT) - 1u)

/* A patient as the caller sees it. `present` has a bit per field holding a
 * value; fields left out of the requested mask stay empty. */
struct rcm_patient {
    int64_t id;
    int64_t tenant_id;
    int64_t created_ms;
    int64_t updated_ms;
    uint32_t present;
    char value[RCM_PF_COUNT][RCM_PATIENT_VALUE_MAX + 1];
};

/* "ssn" -> RCM_PF_SSN; -1 when unknown. */
int rcm_patient_field_parse(const char *name);
const char *rcm_patient_field_name(enum rcm_patient_field f);
/* Permission needed to see or change the field. */
enum rcm_permission rcm_patient_field_permission(enum rcm_patient_field f);

/*
 * Check one value for its field; RCM_E_INVAL with a message naming the
 * field (never quoting the value) when it does not fit. Writes the stored
 * form into out (RCM_PATIENT_VALUE_MAX + 1): trimmed, state upper-cased,
 * SSN and phone as digits only.
 */
RCM_MUST_CHECK enum rcm_err rcm_patient_value_check(enum rcm_patient_field f,
                                                    const char *value,
                                                    char out[RCM_PATIENT_VALUE_MAX + 1],
                                                    struct rcm_diag *diag);

/* Search keys (exact match through blind indexes). Set one of: member_id,
 * mrn, ssn, or last_name + first_name + dob. */
struct rcm_patient_query {
    const char *member_id;
    const char *mrn;
    const char *ssn;
    const char *last_name, *first_name, *dob;
};

#endif
