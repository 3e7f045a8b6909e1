/*
 * codes_format.c — format checks that need no reference data: CPT and HCPCS
 * Level II code shapes, and the NPI check digit.
 */
#include "rcm/codes.h"

static bool
digit(char c)
{
    return c >= '0' && c <= '9';
}

enum rcm_proc_kind
rcm_codes_proc_kind(const char *code, size_t n)
{
    if (!code || n != 5)
        return RCM_PROC_INVALID;
    if (digit(code[1]) && digit(code[2]) && digit(code[3])) {
        if (digit(code[0]) && digit(code[4]))
            return RCM_PROC_CPT;
        if (digit(code[0])) {
            switch (code[4]) {
            case 'F': return RCM_PROC_CPT_II;
            case 'T': return RCM_PROC_CPT_III;
            case 'U': return RCM_PROC_CPT_PLA;
            case 'M': return RCM_PROC_CPT_MAAA;
            default: return RCM_PROC_INVALID;
            }
        }
        if (code[0] >= 'A' && code[0] <= 'V' && digit(code[4]))
            return RCM_PROC_HCPCS;
    }
    return RCM_PROC_INVALID;
}

bool
rcm_codes_npi_valid(const char *npi, size_t n)
{
    if (!npi || n != 10)
        return false;
    for (size_t i = 0; i < 10; i++)
        if (!digit(npi[i]))
            return false;
    if (npi[0] != '1' && npi[0] != '2')
        return false;
    /* Luhn over the 9 digits; the "80840" prefix contributes a constant 24. */
    int sum = 24;
    for (int i = 8; i >= 0; i--) {
        int d = npi[i] - '0';
        if ((8 - i) % 2 == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    int check = (10 - sum % 10) % 10;
    return check == npi[9] - '0';
}
