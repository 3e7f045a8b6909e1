/*
 * store_guarantor.c — the guarantor record kind: the person responsible for
 * a patient's bill when it is not the patient (X12 2010BA/2010CA; patient
 * statements go to them). Only the relationship is plain; everything that
 * names or reaches the person is sealed under the patient's key.
 */
#include <string.h>

#include "rcm/record.h"

#define PHI RCM_PERM_PHI_READ
static const struct rcm_field guarantor_fields[] = {
    {"relationship", PHI, RCM_PK_CHOICE, false, true, "self|spouse|parent|guardian|other"},
    {"last_name", PHI, RCM_PK_TEXT, true, true, NULL},
    {"first_name", PHI, RCM_PK_TEXT, true, false, NULL},
    {"dob", PHI, RCM_PK_DATE, true, false, NULL},
    {"address_line1", PHI, RCM_PK_TEXT, true, false, NULL},
    {"city", PHI, RCM_PK_TEXT, true, false, NULL},
    {"state", PHI, RCM_PK_STATE, true, false, NULL},
    {"postal_code", PHI, RCM_PK_ZIP, true, false, NULL},
    {"phone", PHI, RCM_PK_PHONE, true, false, NULL},
    {"email", PHI, RCM_PK_EMAIL, true, false, NULL},
};
#undef PHI

const struct rcm_record_kind rcm_guarantor_kind = {
    "guarantor", false, guarantor_fields,
    (int)(sizeof guarantor_fields / sizeof guarantor_fields[0]), NULL,
};
