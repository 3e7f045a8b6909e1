/*
 * crypto_utf8.c — a small UTF-8 decoder for the normalisers and the
 * password policy (code points, not bytes). Input is validated first with
 * rcm_utf8_valid, so the decoder can assume well-formed sequences.
 */
#include "crypto/crypto_utf8.h"

size_t
crypto_utf8_next(const char *s, size_t n, size_t i, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s + i;
    size_t left = n - i;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
    if (len > left) {       /* cannot happen on validated input */
        *cp = 0xFFFD;
        return left;
    }
    uint32_t v = p[0] & (0x7Fu >> len);
    for (size_t k = 1; k < len; k++)
        v = v << 6 | (p[k] & 0x3Fu);
    *cp = v;
    return len;
}

size_t
crypto_utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}
