/* Fuzz the door for untrusted JSON: never crash, never accept what is deeper
 * than the limit, and round-trip what it accepts. */
#include <stdlib.h>
#include <string.h>

#include "rcm/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_json_parse((const char *)data, size, 8, &v, &diag) != RCM_OK)
        return 0;
    if (rcm_json_depth((const char *)data, size) > 8)
        abort();
    struct rcm_buf out = RCM_BUF_INIT(1 << 24);
    if (rcm_json_dump(v, &out) == RCM_OK) {
        json_t *again = NULL;
        if (rcm_json_parse(out.data, out.len, 8, &again, &diag) != RCM_OK ||
            !json_equal(v, again))
            abort();
        json_decref(again);
    }
    rcm_buf_release(&out);
    json_decref(v);
    return 0;
}
