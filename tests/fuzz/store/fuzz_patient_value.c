/* Fuzz target: checking and normalising patient field values. The first
 * byte picks the field; the rest is the value. Whatever is accepted must be
 * accepted again unchanged (normalisation is idempotent), fit the field's
 * size, and never be quoted back in an error. */
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
        if (out[0] || (strlen(value) >= 4 && strstr(diag.msg, value)))
            abort();
        return 0;
    }
    if (strlen(out) > RCM_PATIENT_VALUE_MAX ||
        rcm_patient_value_check(f, out, again, &diag) != RCM_OK || strcmp(out, again) != 0)
        abort();
    return 0;
}
