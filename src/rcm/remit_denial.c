/*
 * remit_denial.c — what an 835 adjustment (CAS group + CARC) is about, and
 * whether it makes a worklist item; appeal deadlines.
 *
 * The table below is openrcm's own: each CARC it knows with a category and
 * a one-line reason in our words. The official code texts belong to X12 and
 * are not shipped (data/codesets/PROVENANCE.md); every code here is in the
 * shipped code list data/codesets/carc (tests/unit/rcm/test_remit_denial.c
 * checks that). Some codes are no longer in force but still arrive on
 * remits of older claims (62 → 197, 17 → 16/226), so they stay.
 *
 * Not here: the official descriptions, payer-specific meanings (a payer may
 * use CO-16 for anything), RARC texts (the RARC list ships codes only).
 */
#include <string.h>

#include "rcm/posting.h"

struct carc_row {
    const char *code;
    enum rcm_denial_category cat;
    const char *reason;
};

#define ELIG RCM_DENIAL_ELIGIBILITY
#define AUTH RCM_DENIAL_AUTHORIZATION
#define CODE RCM_DENIAL_CODING
#define TIME RCM_DENIAL_TIMELY_FILING
#define DUPL RCM_DENIAL_DUPLICATE
#define NECE RCM_DENIAL_MEDICAL_NECESSITY
#define CONT RCM_DENIAL_CONTRACTUAL
#define PTRS RCM_DENIAL_PATIENT_RESPONSIBILITY
#define OTHR RCM_DENIAL_OTHER

/* Grouped by category; under a hundred rows, looked up linearly. */
static const struct carc_row carcs[] = {
    {"1", PTRS, "deductible"},
    {"2", PTRS, "coinsurance"},
    {"3", PTRS, "co-payment"},
    {"66", PTRS, "blood deductible"},
    {"142", PTRS, "monthly Medicaid patient liability"},
    {"187", PTRS, "paid from a consumer spending account (HSA/FSA)"},
    {"4", CODE, "procedure inconsistent with its modifier, or modifier missing"},
    {"5", CODE, "procedure or bill type inconsistent with the place of service"},
    {"6", CODE, "procedure inconsistent with the patient's age"},
    {"7", CODE, "procedure inconsistent with the patient's sex"},
    {"8", CODE, "procedure inconsistent with the provider type or specialty"},
    {"9", CODE, "diagnosis inconsistent with the patient's age"},
    {"10", CODE, "diagnosis inconsistent with the patient's sex"},
    {"11", CODE, "diagnosis inconsistent with the procedure"},
    {"12", CODE, "diagnosis inconsistent with the provider type"},
    {"16", CODE, "claim lacks information or has billing errors"},
    {"17", CODE, "requested information missing or incomplete (no longer in force)"},
    {"97", CODE, "included in the payment for another service (bundled)"},
    {"107", CODE, "related or qualifying claim or service not identified"},
    {"125", CODE, "submission or billing error"},
    {"146", CODE, "diagnosis invalid for the date of service"},
    {"181", CODE, "procedure code invalid on the date of service"},
    {"182", CODE, "modifier invalid on the date of service"},
    {"199", CODE, "revenue code and procedure code do not match"},
    {"226", CODE, "information requested from the provider not provided in time"},
    {"234", CODE, "procedure not paid separately"},
    {"236", CODE, "procedure or modifier combination not allowed with another on the same day"},
    {"252", CODE, "attachment or other documentation required"},
    {"B15", CODE, "requires a qualifying service that was not received or covered"},
    {"15", AUTH, "authorization number missing, invalid or not for this service"},
    {"39", AUTH, "authorization denied when it was requested"},
    {"62", AUTH, "authorization absent or exceeded (no longer in force)"},
    {"183", AUTH, "referring provider not eligible to refer this service"},
    {"197", AUTH, "precertification, notification or authorization absent"},
    {"198", AUTH, "precertification, notification or authorization exceeded"},
    {"288", AUTH, "referral absent"},
    {"22", ELIG, "another payer may be primary (coordination of benefits)"},
    {"19", ELIG, "work-related: workers' compensation is liable"},
    {"20", ELIG, "injury covered by a liability carrier"},
    {"21", ELIG, "injury is the liability of a no-fault carrier"},
    {"26", ELIG, "service before coverage began"},
    {"27", ELIG, "service after coverage ended"},
    {"31", ELIG, "patient not identified as the payer's insured"},
    {"32", ELIG, "patient not an eligible dependent"},
    {"33", ELIG, "insured has no dependent coverage"},
    {"34", ELIG, "insured has no coverage for newborns"},
    {"35", ELIG, "lifetime benefit maximum reached"},
    {"49", ELIG, "routine or preventive service not covered"},
    {"51", ELIG, "pre-existing condition not covered"},
    {"96", ELIG, "non-covered charge"},
    {"109", ELIG, "not covered by this payer: send to the correct payer"},
    {"119", ELIG, "benefit maximum for the period reached"},
    {"140", ELIG, "member id and name do not match"},
    {"149", ELIG, "lifetime benefit maximum for this service reached"},
    {"204", ELIG, "service not covered by the patient's current plan"},
    {"B9", ELIG, "patient enrolled in hospice"},
    {"29", TIME, "filing time limit expired"},
    {"18", DUPL, "exact duplicate claim or service"},
    {"50", NECE, "not medically necessary in the payer's view"},
    {"55", NECE, "experimental or investigational"},
    {"56", NECE, "not proven effective"},
    {"57", NECE, "documentation does not support the level of service (no longer in force)"},
    {"58", NECE, "place of service inappropriate"},
    {"150", NECE, "documentation does not support this level of service"},
    {"151", NECE, "documentation does not support this many services"},
    {"152", NECE, "documentation does not support this length of service"},
    {"167", NECE, "diagnosis not covered"},
    {"23", CONT, "prior payer's adjudication (coordination of benefits)"},
    {"24", CONT, "covered by a capitation agreement"},
    {"45", CONT, "charge exceeds the fee schedule or contracted amount"},
    {"59", CONT, "multiple or concurrent procedure rules"},
    {"94", CONT, "processed in excess of charges"},
    {"104", CONT, "managed care withholding"},
    {"131", CONT, "claim-specific negotiated discount"},
    {"144", CONT, "incentive adjustment"},
    {"253", CONT, "sequestration reduction of federal payment"},
    {"100", OTHR, "payment made to the patient or insured"},
    {"129", OTHR, "prior processing information incorrect"},
    {"170", OTHR, "not paid when billed by this type of provider"},
    {"185", OTHR, "rendering provider not eligible for this service"},
    {"227", OTHR, "information requested from the patient not provided"},
    {"242", OTHR, "not provided by network or primary care providers"},
    {"B7", OTHR, "provider not certified for this service on this date"},
    {"B20", OTHR, "service furnished in part or whole by another provider"},
};

#undef ELIG
#undef AUTH
#undef CODE
#undef TIME
#undef DUPL
#undef NECE
#undef CONT
#undef PTRS
#undef OTHR

static const char *const category_names[RCM_DENIAL_CATEGORY_COUNT] = {
    [RCM_DENIAL_OTHER] = "other",
    [RCM_DENIAL_ELIGIBILITY] = "eligibility",
    [RCM_DENIAL_AUTHORIZATION] = "authorization",
    [RCM_DENIAL_CODING] = "coding",
    [RCM_DENIAL_TIMELY_FILING] = "timely_filing",
    [RCM_DENIAL_DUPLICATE] = "duplicate",
    [RCM_DENIAL_MEDICAL_NECESSITY] = "medical_necessity",
    [RCM_DENIAL_CONTRACTUAL] = "contractual",
    [RCM_DENIAL_PATIENT_RESPONSIBILITY] = "patient_responsibility",
};

const char *
rcm_denial_category_name(enum rcm_denial_category c)
{
    if ((int)c < 0 || c >= RCM_DENIAL_CATEGORY_COUNT)
        return "other";
    return category_names[c];
}

static const struct carc_row *
find(const char *carc)
{
    if (!carc || !carc[0])
        return NULL;
    for (size_t i = 0; i < sizeof carcs / sizeof carcs[0]; i++)
        if (strcmp(carcs[i].code, carc) == 0)
            return &carcs[i];
    return NULL;
}

enum rcm_denial_category
rcm_denial_category(const char *group, const char *carc)
{
    const struct carc_row *r = find(carc);
    if (r)
        return r->cat;
    if (group && strcmp(group, "PR") == 0)
        return RCM_DENIAL_PATIENT_RESPONSIBILITY;
    return RCM_DENIAL_OTHER;
}

/*
 * Workable: a positive adjustment whose category is neither contractual
 * nor patient responsibility. A PR-group adjustment with a denial CARC
 * (PR-27 coverage ended, PR-204 not covered) is workable: the practice can
 * find other coverage or bill the patient knowingly. CR (correction) and a
 * zero or negative amount (a reversal giving money back) are not.
 */
bool
rcm_denial_is_workable(const char *group, const char *carc, int64_t amount_cents)
{
    if (amount_cents <= 0)
        return false;
    if (group && strcmp(group, "CR") == 0)
        return false;
    enum rcm_denial_category c = rcm_denial_category(group, carc);
    return c != RCM_DENIAL_CONTRACTUAL && c != RCM_DENIAL_PATIENT_RESPONSIBILITY;
}

const char *
rcm_denial_carc_reason(const char *carc)
{
    const struct carc_row *r = find(carc);
    return r ? r->reason : NULL;
}

bool
rcm_denial_carc_at(size_t i, const char **carc, enum rcm_denial_category *cat,
                   const char **reason)
{
    if (i >= sizeof carcs / sizeof carcs[0])
        return false;
    if (carc)
        *carc = carcs[i].code;
    if (cat)
        *cat = carcs[i].cat;
    if (reason)
        *reason = carcs[i].reason;
    return true;
}

int32_t
rcm_appeal_deadline(int32_t denial_day, int payer_appeal_days)
{
    if (denial_day == RCM_X12_NO_DATE)
        return RCM_X12_NO_DATE;
    int days = payer_appeal_days > 0 ? payer_appeal_days : RCM_APPEAL_DAYS_DEFAULT;
    if (denial_day > INT32_MAX - days)
        return INT32_MAX;
    return denial_day + days;
}
