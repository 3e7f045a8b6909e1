/*
 * fuzz_x12_json.c — from-json on arbitrary bytes (the JSON reader).
 */
#include <stdint.h>

#include "rcm/x12.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rcm_buf out = RCM_BUF_INIT(1u << 24);
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_x12_from_json((const char *)data, size, &out, &d) == RCM_OK) {
        struct rcm_x12_stats st;
        struct rcm_x12_validate_opts o = {0};
        if (rcm_x12_validate_buffer(out.data ? out.data : "", out.len, &o, &st) != RCM_OK)
            st.errors = 0; /* out of memory only; nothing to check */
    }
    rcm_buf_release(&out);
    return 0;
}
