/*
 * store_practice.c — the practice's own records, about no patient: the
 * providers who render and bill care (X12 loops 2010AA, 2310B) and the
 * payers it bills (2010BB). Every field is a plain column: NPIs, taxonomy
 * codes, practice tax ids, names and addresses of clinicians and
 * organisations are not patient data (docs/security.md). A facility is a
 * provider whose entity is an organization.
 */
#include <string.h>

#include "rcm/record.h"

#define ALL RCM_PERM_SELF   /* the tenant's own setup: every member may read it */

enum {
    PR_NPI, PR_ENTITY, PR_NAME, PR_FIRST, PR_TAXONOMY, PR_TIN, PR_ADDRESS, PR_CITY, PR_STATE,
    PR_POSTAL, PR_COUNT
};

static const struct rcm_field provider_fields[PR_COUNT] = {
    [PR_NPI] = {"npi", ALL, RCM_PK_NPI, false, true, NULL},
    [PR_ENTITY] = {"entity", ALL, RCM_PK_CHOICE, false, true, "person|organization"},
    [PR_NAME] = {"name", ALL, RCM_PK_TEXT, false, true, NULL},
    [PR_FIRST] = {"first_name", ALL, RCM_PK_TEXT, false, false, NULL},
    [PR_TAXONOMY] = {"taxonomy", ALL, RCM_PK_TAXONOMY, false, false, NULL},
    [PR_TIN] = {"tax_id", ALL, RCM_PK_TIN, false, false, NULL},
    [PR_ADDRESS] = {"address_line1", ALL, RCM_PK_TEXT, false, false, NULL},
    [PR_CITY] = {"city", ALL, RCM_PK_TEXT, false, false, NULL},
    [PR_STATE] = {"state", ALL, RCM_PK_STATE, false, false, NULL},
    [PR_POSTAL] = {"postal_code", ALL, RCM_PK_ZIP, false, false, NULL},
};

/* A person has a first name; an organization has none (X12 NM1 entity 1 or 2). */
static enum rcm_err
provider_check(const struct rcm_record *r, struct rcm_diag *diag)
{
    bool person = strcmp(r->value[PR_ENTITY], "person") == 0;
    if (person && !r->value[PR_FIRST][0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "first_name is required for a person");
    if (!person && r->value[PR_FIRST][0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "an organization has no first_name");
    return RCM_OK;
}

const struct rcm_record_kind rcm_provider_kind = {
    "provider", true, provider_fields, PR_COUNT, provider_check,
};

enum { PY_PAYER_ID, PY_NAME, PY_TIMELY, PY_FILING, PY_ADDRESS, PY_CITY, PY_STATE, PY_POSTAL,
       PY_RECEIVER, PY_APPEAL, PY_ERA, PY_ELIGIBILITY, PY_COUNT };

static const struct rcm_field payer_fields[PY_COUNT] = {
    [PY_PAYER_ID] = {"payer_id", ALL, RCM_PK_ID, false, true, NULL},
    [PY_NAME] = {"name", ALL, RCM_PK_TEXT, false, true, NULL},
    /* how long after the date of service a claim is accepted */
    [PY_TIMELY] = {"timely_filing_days", ALL, RCM_PK_DAYS, false, false, NULL},
    /* SBR09, the claim filing indicator the payer's claims carry */
    [PY_FILING] = {"claim_filing_indicator", ALL, RCM_PK_CHOICE, false, false,
                   "11|12|13|14|15|16|17|AM|BL|CH|CI|DS|FI|HM|LM|MA|MB|MC|OF|TV|VA|WC|ZZ"},
    [PY_ADDRESS] = {"address_line1", ALL, RCM_PK_TEXT, false, false, NULL},
    [PY_CITY] = {"city", ALL, RCM_PK_TEXT, false, false, NULL},
    [PY_STATE] = {"state", ALL, RCM_PK_STATE, false, false, NULL},
    [PY_POSTAL] = {"postal_code", ALL, RCM_PK_ZIP, false, false, NULL},
    /* the trading partner (ISA08/GS03) the payer's claims are sent to;
     * control numbers are counted per partner */
    [PY_RECEIVER] = {"receiver_id", ALL, RCM_PK_ID, false, false, NULL},
    /* how long after a denial an appeal may be filed */
    [PY_APPEAL] = {"appeal_days", ALL, RCM_PK_DAYS, false, false, NULL},
    [PY_ERA] = {"era_enrolled", ALL, RCM_PK_CHOICE, false, false, "yes|no"},
    [PY_ELIGIBILITY] = {"eligibility", ALL, RCM_PK_CHOICE, false, false,
                        "real-time|batch|none"},
};

const struct rcm_record_kind rcm_payer_kind = {
    "payer", true, payer_fields, PY_COUNT, NULL,
};

/* The practice's fee schedule: its charge for a procedure, by payer (an
 * empty payer_id is the default schedule) and modifier. Charge capture
 * fills in a line's charge from it (store_encounter.c). */
enum { FS_PAYER_ID, FS_PROCEDURE, FS_MODIFIER, FS_AMOUNT, FS_FROM, FS_TO, FS_COUNT };

static const struct rcm_field fee_fields[FS_COUNT] = {
    [FS_PAYER_ID] = {"payer_id", ALL, RCM_PK_ID, false, false, NULL},
    [FS_PROCEDURE] = {"procedure", ALL, RCM_PK_PROCEDURE, false, true, NULL},
    [FS_MODIFIER] = {"modifier", ALL, RCM_PK_MODIFIER, false, false, NULL},
    [FS_AMOUNT] = {"amount_cents", ALL, RCM_PK_CENTS, false, true, NULL},
    [FS_FROM] = {"effective_from", ALL, RCM_PK_DAY, false, false, NULL},
    [FS_TO] = {"effective_to", ALL, RCM_PK_DAY, false, false, NULL},
};

static enum rcm_err
fee_check(const struct rcm_record *r, struct rcm_diag *diag)
{
    if (r->value[FS_FROM][0] && r->value[FS_TO][0] &&
        strcmp(r->value[FS_TO], r->value[FS_FROM]) < 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "effective_to is before effective_from");
    return RCM_OK;
}

const struct rcm_record_kind rcm_fee_schedule_kind = {
    "fee_schedule", true, fee_fields, FS_COUNT, fee_check,
};
