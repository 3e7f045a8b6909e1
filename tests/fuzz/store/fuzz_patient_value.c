/* Fuzz target: checking and normalising patient field values. The first
 * byte picks the field; the rest is the value. Whatever is accepted must be
 * accepted again unchanged (normalisation is idempotent) and fit the
 * field's size; a refusal's message never depends on (so never quotes) the
 * value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/patient.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 400)
        return 0;
    enum rcm_patient_field f = (enum rcm_patient_field)(data[0] % RCM_PF_COUNT);
    char value[400];
    memcpy(value, data + 1, size - 1);
    value[size - 1] = '\0';
    char out[RCM_PATIENT_VALUE_MAX + 1], again[RCM_PATIENT_VALUE_MAX + 1];
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_patient_value_check(f, value, out, &diag) != RCM_OK) {
        /* the message is one of the field's two fixed texts, whatever the
         * value: "<field> must be <what>" (as for any other bad value) or
         * "<field> is longer than N bytes" */
        char other[RCM_PATIENT_VALUE_MAX + 1], too_long[128];
        struct rcm_diag ref = RCM_DIAG_INIT;
        if (rcm_patient_value_check(f, "\x01", other, &ref) == RCM_OK)
            abort();
        snprintf(too_long, sizeof too_long, "%s is longer than %d bytes",
                 rcm_patient_field_name(f), RCM_PATIENT_VALUE_MAX);
        if (out[0] || (strcmp(diag.msg, ref.msg) != 0 && strcmp(diag.msg, too_long) != 0))
            abort();
        return 0;
    }
    if (strlen(out) > RCM_PATIENT_VALUE_MAX ||
        rcm_patient_value_check(f, out, again, &diag) != RCM_OK || strcmp(out, again) != 0)
        abort();
    return 0;
}
