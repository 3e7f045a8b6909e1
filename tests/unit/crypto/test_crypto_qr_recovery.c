/* QR symbol for the enrolment URI and its SVG rendering; recovery codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcm/crypto.h"
#include "rcm/mem.h"
#include "rcm_test.h"

/* A 7×7 finder pattern with its top-left module at (x, y). */
static void
assert_finder(const struct rcm_qr *qr, unsigned x0, unsigned y0)
{
    for (unsigned y = 0; y < 7; y++)
        for (unsigned x = 0; x < 7; x++) {
            bool ring = x == 0 || y == 0 || x == 6 || y == 6;
            bool core = x >= 2 && x <= 4 && y >= 2 && y <= 4;
            assert_int_equal(qr->modules[(y0 + y) * qr->width + x0 + x], ring || core);
        }
}

/* Rasterise the SVG's path ("Mx yhNv1h-Nz" runs) back into a module grid
 * of size×size (quiet zone included). */
static void
svg_to_grid(const char *svg, unsigned size, uint8_t *grid)
{
    memset(grid, 0, (size_t)size * size);
    const char *p = strstr(svg, " d=\"");
    assert_non_null(p);
    p += 4;
    while (*p == 'M') {
        char *end;
        unsigned x = (unsigned)strtoul(p + 1, &end, 10);
        unsigned y = (unsigned)strtoul(end + 1, &end, 10);
        assert_int_equal(*end, 'h');
        unsigned run = (unsigned)strtoul(end + 1, &end, 10);
        assert_int_equal(strncmp(end, "v1h-", 4), 0);
        unsigned back = (unsigned)strtoul(end + 4, &end, 10);
        assert_int_equal(back, run);
        assert_int_equal(*end, 'z');
        assert_true(y < size && x + run <= size);
        for (unsigned k = 0; k < run; k++)
            grid[y * size + x + k] = 1;
        p = end + 1;
    }
    assert_int_equal(*p, '"');
}

/* Decode a module grid with zbarimg (if installed) through a PBM file. */
static bool
zbar_decode(const uint8_t *grid, unsigned size, char *out, size_t cap)
{
    if (access("/usr/bin/zbarimg", X_OK) != 0)
        return false;
    char pbm[300], cmd[700];
    snprintf(pbm, sizeof pbm, "%s/test-qr-%d.pbm", RCM_TEST_BINARY_DIR, (int)getpid());
    FILE *f = fopen(pbm, "w");
    assert_non_null(f);
    const unsigned scale = 4;
    fprintf(f, "P1\n%u %u\n", size * scale, size * scale);
    for (unsigned y = 0; y < size * scale; y++) {
        for (unsigned x = 0; x < size * scale; x++)
            fputs(grid[(y / scale) * size + x / scale] ? "1 " : "0 ", f);
        fputc('\n', f);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/zbarimg --raw -q '%s' 2>/dev/null", pbm);
    FILE *z = popen(cmd, "r");
    assert_non_null(z);
    size_t n = fread(out, 1, cap - 1, z);
    pclose(z);
    unlink(pbm);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return true;
}

static void
qr_symbol_and_svg(void **state)
{
    (void)state;
    const uint8_t secret[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    struct rcm_totp_params p = rcm_totp_params_default();
    char uri[RCM_TOTP_URI_MAX_BYTES];
    assert_int_equal(rcm_totp_uri(secret, 20, &p, "openrcm", "jane@example.com", uri, sizeof uri),
                     RCM_OK);
    struct rcm_qr qr;
    assert_int_equal(rcm_qr_encode(uri, &qr), RCM_OK);
    /* version v has 17 + 4v modules; ~110 bytes at level M needs v6 or so */
    assert_int_equal((qr.width - 17) % 4, 0);
    assert_true(qr.width >= 33 && qr.width <= 57);
    assert_finder(&qr, 0, 0);
    assert_finder(&qr, qr.width - 7, 0);
    assert_finder(&qr, 0, qr.width - 7);
    /* timing pattern on row 6 alternates */
    for (unsigned x = 8; x < qr.width - 8; x++)
        assert_int_equal(qr.modules[6 * qr.width + x], x % 2 == 0);

    char *svg = NULL;
    size_t len = 0;
    assert_int_equal(rcm_qr_svg(&qr, 4, &svg, &len), RCM_OK);
    assert_int_equal(strlen(svg), len);
    assert_int_equal(strncmp(svg, "<?xml", 5), 0);
    assert_non_null(strstr(svg, "</svg>"));
    char want[64];
    unsigned size = qr.width + 8;
    snprintf(want, sizeof want, "viewBox=\"0 0 %u %u\"", size, size);
    assert_non_null(strstr(svg, want));
    /* the path covers exactly the dark modules: sum of run lengths */
    unsigned dark = 0, drawn = 0;
    for (unsigned i = 0; i < qr.width * qr.width; i++)
        dark += qr.modules[i];
    for (const char *s = strstr(svg, " d=\""); (s = strchr(s + 1, 'h')) != NULL;) {
        if (s[1] == '-')
            continue;
        drawn += (unsigned)strtoul(s + 1, NULL, 10);
    }
    assert_int_equal(drawn, dark);
    /* the first run starts at the quiet-zone offset (the finder's corner) */
    assert_non_null(strstr(svg, "d=\"M4 4h7v1h-7z"));
    /* the SVG draws exactly the symbol's modules (offset by the quiet zone) */
    static uint8_t grid[200 * 200];
    svg_to_grid(svg, size, grid);
    for (unsigned y = 0; y < size; y++)
        for (unsigned x = 0; x < size; x++) {
            bool inside = x >= 4 && y >= 4 && x < qr.width + 4 && y < qr.width + 4;
            assert_int_equal(grid[y * size + x],
                             inside ? qr.modules[(y - 4) * qr.width + x - 4] : 0);
        }
    /* and a real QR reader gets the URI back from what the SVG draws */
    char decoded[RCM_TOTP_URI_MAX_BYTES];
    if (zbar_decode(grid, size, decoded, sizeof decoded))
        assert_string_equal(decoded, uri);
    else
        print_message("zbarimg not installed: QR decode check skipped\n");
    rcm_free(svg);
    assert_int_equal(rcm_qr_svg(&qr, 0, &svg, &len), RCM_E_INVAL);
    rcm_qr_release(&qr);
    assert_int_equal(rcm_qr_encode("", &qr), RCM_E_INVAL);
    /* too long for any QR version at level M (2331 bytes max) */
    static char big[2900];
    memset(big, 'a', sizeof big - 1);
    assert_int_equal(rcm_qr_encode(big, &qr), RCM_E_TOO_LARGE);
    assert_null(qr.modules);
}

static void
recovery_codes(void **state)
{
    (void)state;
    enum { N = 10 };
    char codes[N][RCM_RECOVERY_CODE_LEN + 1];
    uint8_t hashes[N][RCM_SHA256_BYTES];
    for (int i = 0; i < N; i++) {
        rcm_recovery_code_new(codes[i]);
        assert_int_equal(strlen(codes[i]), 19);
        for (int k = 0; k < 19; k++) {
            if (k % 5 == 4)
                assert_int_equal(codes[i][k], '-');
            else
                assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", codes[i][k]));
        }
        assert_int_equal(rcm_recovery_code_hash("user-7", codes[i], hashes[i]), RCM_OK);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(codes[i], codes[j]);
    }
    size_t idx = 99;
    assert_int_equal(rcm_recovery_code_verify("user-7", codes[6],
                                              (const uint8_t (*)[32])hashes, N, &idx), RCM_OK);
    assert_int_equal(idx, 6);
    /* typed loosely: lower case, no dashes, spaces */
    char loose[40];
    size_t o = 0;
    for (const char *p = codes[3]; *p; p++)
        if (*p != '-')
            loose[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    loose[o] = '\0';
    assert_int_equal(rcm_recovery_code_verify("user-7", loose, (const uint8_t (*)[32])hashes, N,
                                              &idx), RCM_OK);
    assert_int_equal(idx, 3);
    /* another user's hashes do not accept the code */
    assert_int_equal(rcm_recovery_code_verify("user-8", codes[6], (const uint8_t (*)[32])hashes,
                                              N, &idx), RCM_E_PERM);
    /* single use: once the caller deletes the hash the code is gone */
    memset(hashes[6], 0, 32);
    assert_int_equal(rcm_recovery_code_verify("user-7", codes[6], (const uint8_t (*)[32])hashes,
                                              N, &idx), RCM_E_PERM);
    /* aliases I/L→1, O→0 */
    uint8_t a[32], b[32];
    assert_int_equal(rcm_recovery_code_hash("u", "1000-0000-0000-0001", a), RCM_OK);
    assert_int_equal(rcm_recovery_code_hash("u", "iOOO-oooo-0000-000L", b), RCM_OK);
    assert_memory_equal(a, b, 32);
    assert_int_equal(rcm_recovery_code_hash("u", "1000-0000-0000-000", a), RCM_E_INVAL);
    assert_int_equal(rcm_recovery_code_hash("u", "1000-0000-0000-000U", a), RCM_E_INVAL);
    assert_int_equal(rcm_recovery_code_hash("u", "1000-0000-0000-00010", a), RCM_E_INVAL);
}

RUN_TESTS(cmocka_unit_test(qr_symbol_and_svg), cmocka_unit_test(recovery_codes))
