/* Fuzz target: password policy, list loader, recovery-code and TOTP code
 * parsing, blind-index normalisers on arbitrary bytes. */
#include <stdlib.h>
#include <string.h>

#include "rcm/auth.h"
#include "rcm/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile int sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *ctx[] = {"jsmith", "jane@example.com"};
    struct rcm_pwlist list;
    if (rcm_pwlist_load_mem(p, size, &list, NULL) == RCM_OK) {
        (void)rcm_pwlist_contains(&list, p, size);
        rcm_pwlist_release(&list);
    }
    struct rcm_pw_check c = rcm_auth_password_check(p, size, size % 2, NULL, ctx, 2);
    char msg[160];
    rcm_auth_password_message(&c, msg, sizeof msg);
    char text[600];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    uint8_t h[RCM_SHA256_BYTES];
    sink += rcm_recovery_code_hash("u1", text, h);
    char norm[RCM_BLIND_NORM_MAX_BYTES];
    size_t len;
    sink += rcm_blind_norm_id(p, size, norm, sizeof norm, &len);
    sink += rcm_blind_norm_name_dob(text, text + n / 2, 3000, norm, sizeof norm, &len);
    static const uint8_t secret[20] = {1};
    struct rcm_totp_params tp = rcm_totp_params_default();
    int64_t step;
    sink += rcm_totp_verify(secret, sizeof secret, &tp, text, 1700000000, -1, &step);
    return 0;
}
