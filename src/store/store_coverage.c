/*
 * store_coverage.c — the coverage record kind: a patient's insurance with
 * a payer (X12 loops 2000B/2010BA/2010BB), its order among the patient's
 * coverages, and who the subscriber is. The table below is all the store
 * needs (rcm/record.h); the rules across fields are here.
 */
#include <string.h>

#include "rcm/record.h"

enum {
    CV_PAYER_ID, CV_ORDER, CV_RELATIONSHIP, CV_MEMBER_ID, CV_GROUP, CV_PLAN,
    CV_SUB_LAST, CV_SUB_FIRST, CV_SUB_DOB, CV_FROM, CV_TO, CV_COPAY, CV_COUNT
};

#define PHI RCM_PERM_PHI_READ
static const struct rcm_field coverage_fields[CV_COUNT] = {
    [CV_PAYER_ID] = {"payer_id", PHI, RCM_PK_ID, false, true, NULL},
    [CV_ORDER] = {"coverage_order", PHI, RCM_PK_CHOICE, false, true,
                  "primary|secondary|tertiary"},
    [CV_RELATIONSHIP] = {"relationship", PHI, RCM_PK_CHOICE, false, true,
                         "self|spouse|child|other"},
    [CV_MEMBER_ID] = {"member_id", PHI, RCM_PK_ID, true, true, NULL},
    [CV_GROUP] = {"group_number", PHI, RCM_PK_ID, true, false, NULL},
    [CV_PLAN] = {"plan_name", PHI, RCM_PK_TEXT, true, false, NULL},
    [CV_SUB_LAST] = {"subscriber_last_name", PHI, RCM_PK_TEXT, true, false, NULL},
    [CV_SUB_FIRST] = {"subscriber_first_name", PHI, RCM_PK_TEXT, true, false, NULL},
    [CV_SUB_DOB] = {"subscriber_dob", PHI, RCM_PK_DATE, true, false, NULL},
    [CV_FROM] = {"effective_from", PHI, RCM_PK_DAY, true, false, NULL},
    [CV_TO] = {"effective_to", PHI, RCM_PK_DAY, true, false, NULL},
    [CV_COPAY] = {"copay_cents", PHI, RCM_PK_CENTS, false, false, NULL},
};
#undef PHI

/* A subscriber other than the patient is named, and a coverage ends no
 * earlier than it starts (dates are stored YYYY-MM-DD: they compare as
 * text). */
static enum rcm_err
coverage_check(const struct rcm_record *r, struct rcm_diag *diag)
{
    if (strcmp(r->value[CV_RELATIONSHIP], "self") != 0)
        for (int f = CV_SUB_LAST; f <= CV_SUB_DOB; f++)
            if (!r->value[f][0])
                return rcm_diag_fail(diag, RCM_E_INVAL, "%s is required when the "
                                     "subscriber is not the patient",
                                     coverage_fields[f].name);
    if (r->value[CV_FROM][0] && r->value[CV_TO][0] &&
        strcmp(r->value[CV_TO], r->value[CV_FROM]) < 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "effective_to is before effective_from");
    return RCM_OK;
}

const struct rcm_record_kind rcm_coverage_kind = {
    "coverage", false, coverage_fields, CV_COUNT, coverage_check,
};
