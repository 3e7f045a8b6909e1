/* Fuzz target: base32 decode, and re-encode round trip of what decodes. */
#include <stdlib.h>
#include <string.h>

#include "rcm/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t out[512];
    size_t n;
    if (rcm_base32_decode((const char *)data, size, out, sizeof out, &n) == RCM_OK) {
        char *enc = malloc(rcm_base32_encoded_len(n, false) + 1);
        uint8_t back[512];
        size_t m;
        if (!enc)
            return 0;
        rcm_base32_encode(out, n, false, enc);
        if (rcm_base32_decode(enc, strlen(enc), back, sizeof back, &m) != RCM_OK || m != n ||
            memcmp(out, back, n) != 0)
            abort();
        free(enc);
    }
    return 0;
}
