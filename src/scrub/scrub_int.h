/*
 * scrub_int.h — private to src/scrub: payer rules as loaded, and the claim
 * field registry shared by required-field checks and holds.
 */
#ifndef RCM_SCRUB_INT_H
#define RCM_SCRUB_INT_H

#include "rcm/scrub.h"

/* X(ENUM, "name", per-line?) — fields payer rules may name. */
#define SCRUB_FIELDS(X)                                   \
    X(CLAIM_ID, "claim.id", false)                        \
    X(CLAIM_TOTAL, "claim.total_charge", false)           \
    X(CLAIM_FACILITY, "claim.facility_code", false)       \
    X(CLAIM_FREQUENCY, "claim.frequency", false)          \
    X(CLAIM_ORIGINAL_REF, "claim.original_ref", false)    \
    X(CLAIM_RELATIONSHIP, "claim.relationship", false)    \
    X(PAYER_ID, "payer.id", false)                        \
    X(PAYER_FILING, "payer.filing_indicator", false)      \
    X(PAYER_SEQUENCE, "payer.sequence", false)            \
    X(PAYER_INSURANCE_TYPE, "payer.insurance_type", false) \
    X(SUB_MEMBER_ID, "subscriber.member_id", false)       \
    X(SUB_SEX, "subscriber.sex", false)                   \
    X(SUB_ZIP, "subscriber.address.zip", false)           \
    X(BILLING_NPI, "billing.npi", false)                  \
    X(BILLING_TAXONOMY, "billing.taxonomy", false)        \
    X(BILLING_TIN, "billing.tin", false)                  \
    X(RENDERING_NPI, "rendering.npi", false)              \
    X(RENDERING_TAXONOMY, "rendering.taxonomy", false)    \
    X(REFERRING_NPI, "referring.npi", false)              \
    X(FACILITY_NPI, "facility.npi", false)                \
    X(PRINCIPAL_DX, "diagnoses.principal", false)         \
    X(LINE_PROCEDURE, "line.procedure", true)             \
    X(LINE_MODIFIER, "line.modifier", true)               \
    X(LINE_CHARGE, "line.charge", true)                   \
    X(LINE_UNITS, "line.units", true)                     \
    X(LINE_POS, "line.pos", true)                         \
    X(LINE_REVENUE, "line.revenue_code", true)            \
    X(LINE_RENDERING_NPI, "line.rendering_npi", true)

enum scrub_field {
#define SCRUB_FIELD_ENUM(e, name, line) SCRUB_F_##e,
    SCRUB_FIELDS(SCRUB_FIELD_ENUM)
#undef SCRUB_FIELD_ENUM
    SCRUB_F_COUNT
};

bool scrub_field_find(const char *name, enum scrub_field *out);
const char *scrub_field_name(enum scrub_field f);
bool scrub_field_is_line(enum scrub_field f);
/*
 * Value of a field as text (money and units as decimals, "" when absent).
 * For LINE_MODIFIER, `which` picks the modifier (0-3); else ignored.
 */
const char *scrub_field_get(enum scrub_field f, const struct rcm_claim *c,
                            const struct rcm_claim_line *l, int which,
                            char buf[32]);

enum scrub_op { OP_EQ, OP_NE, OP_IN, OP_PREFIX, OP_GT, OP_LT, OP_EMPTY, OP_PRESENT };

#define SCRUB_RULE_MAX_IDS 256
#define SCRUB_RULE_MAX_HOLDS 32
#define SCRUB_RULE_MAX_REQUIRED 32

struct scrub_hold {
    char name[48];
    enum scrub_field field;
    enum scrub_op op;
    char value[256];              /* OP_IN: space-separated list */
    int64_t number;               /* GT/LT: cents or milli-units */
    char message[160];
    bool has_field, has_op;
};

struct scrub_rule {
    char name[64];
    char file[128];
    char payer_ids[SCRUB_RULE_MAX_IDS][16];
    size_t n_payer_ids;
    char filing[16][4];
    size_t n_filing;
    bool is_default;
    int timely_filing_days;       /* 0 = not checked */
    uint64_t disabled;            /* bit per edit */
    int8_t severity[RCM_EDIT_COUNT]; /* -1 = table default */
    enum scrub_field required[SCRUB_RULE_MAX_REQUIRED];
    size_t n_required;
    struct scrub_hold holds[SCRUB_RULE_MAX_HOLDS];
    size_t n_holds;
};

struct rcm_payer_rules {
    struct scrub_rule *rules;
    size_t n;
};

/* The rule for a claim: payer id, then filing indicator, then default. */
const struct scrub_rule *scrub_rule_for(const struct rcm_payer_rules *rules,
                                        const struct rcm_claim *claim);

/* Money / units parse used by holds (same syntax as the claim JSON). */
bool scrub_parse_units(const char *s, int64_t *milli);

#endif
