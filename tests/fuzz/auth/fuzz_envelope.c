/* Fuzz target: opening attacker-supplied envelopes and wrapped keys must
 * fail cleanly (wiped output) unless authentic. */
#include <stdlib.h>
#include <string.h>

#include "rcm/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rcm_key key;
    uint8_t raw[RCM_KEY_BYTES];
    memset(raw, 7, sizeof raw);
    rcm_key_from_bytes(&key, raw);
    uint8_t out[256];
    size_t n = 1;
    uint32_t id;
    if (rcm_aead_key_id(data, size, &id) == RCM_OK && size < RCM_AEAD_OVERHEAD_BYTES)
        abort();
    if (rcm_aead_open(&key, data, size > 8 ? 8 : size, data, size, out, sizeof out, &n) == RCM_OK)
        abort();    /* forging a GCM tag by chance is not expected */
    for (size_t i = 0; i < sizeof out; i++)
        if (out[i] || n)
            abort();
    struct rcm_key k;
    if (rcm_key_unwrap(&key, "tenant:t1", data, size, &k) == RCM_OK || k.key_id != 0)
        abort();
    return 0;
}
