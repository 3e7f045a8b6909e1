/*
 * crypto_utf8.h — UTF-8 helpers for src/crypto and src/auth (not public).
 */
#ifndef RCM_CRYPTO_UTF8_H
#define RCM_CRYPTO_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the code point at s[i] (i < n) of VALID UTF-8 into *cp; returns
 * its length in bytes. */
size_t crypto_utf8_next(const char *s, size_t n, size_t i, uint32_t *cp);

/* Number of code points in valid UTF-8 (lead bytes counted). */
size_t crypto_utf8_count(const char *s, size_t n);

#endif
