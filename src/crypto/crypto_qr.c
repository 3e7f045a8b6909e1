/*
 * crypto_qr.c — QR codes for TOTP enrolment: libqrencode builds the symbol,
 * this file renders it as SVG text (no image library needed).
 */
#include <errno.h>
#include <qrencode.h>
#include <string.h>

#include "rcm/buf.h"
#include "rcm/crypto.h"
#include "rcm/mem.h"

#define QR_TEXT_MAX_BYTES 2953     /* version 40-L byte capacity */
#define QR_QUIET_MODULES 4

enum rcm_err
rcm_qr_encode(const char *text, struct rcm_qr *out)
{
    out->width = 0;
    out->modules = NULL;
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > QR_TEXT_MAX_BYTES)
        return RCM_E_INVAL;
    /* version 0 = smallest that fits; 8-bit mode keeps the text exact */
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr)
        return errno == ERANGE ? RCM_E_TOO_LARGE : RCM_E_NOMEM;
    size_t cells = (size_t)qr->width * (size_t)qr->width;
    out->modules = rcm_malloc(cells);
    if (!out->modules) {
        QRcode_free(qr);
        return RCM_E_NOMEM;
    }
    for (size_t i = 0; i < cells; i++)
        out->modules[i] = qr->data[i] & 1;     /* bit 0 = dark */
    out->width = (unsigned)qr->width;
    QRcode_free(qr);
    return RCM_OK;
}

void
rcm_qr_release(struct rcm_qr *qr)
{
    rcm_free(qr->modules);
    qr->modules = NULL;
    qr->width = 0;
}

/* One path segment per horizontal run of dark modules. */
static enum rcm_err
add_rows(struct rcm_buf *b, const struct rcm_qr *qr)
{
    enum rcm_err err = RCM_OK;
    for (unsigned y = 0; y < qr->width && err == RCM_OK; y++) {
        unsigned x = 0;
        while (x < qr->width && err == RCM_OK) {
            if (!qr->modules[y * qr->width + x]) {
                x++;
                continue;
            }
            unsigned run = 0;
            while (x + run < qr->width && qr->modules[y * qr->width + x + run])
                run++;
            err = rcm_buf_addf(b, "M%u %uh%uv1h-%uz", x + QR_QUIET_MODULES,
                               y + QR_QUIET_MODULES, run, run);
            x += run;
        }
    }
    return err;
}

enum rcm_err
rcm_qr_svg(const struct rcm_qr *qr, unsigned module_px, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (!qr->modules || qr->width == 0 || module_px == 0 || module_px > 64)
        return RCM_E_INVAL;
    unsigned size = qr->width + 2 * QR_QUIET_MODULES;
    struct rcm_buf b = RCM_BUF_INIT(4u << 20);
    enum rcm_err err = rcm_buf_addf(
        &b,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
        "viewBox=\"0 0 %u %u\" shape-rendering=\"crispEdges\">\n"
        "<rect width=\"%u\" height=\"%u\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
        size * module_px, size * module_px, size, size, size, size);
    if (err == RCM_OK)
        err = add_rows(&b, qr);
    if (err == RCM_OK)
        err = rcm_buf_addstr(&b, "\"/>\n</svg>\n");
    if (err != RCM_OK) {
        rcm_buf_release(&b);
        return err;
    }
    *out = rcm_buf_detach(&b, out_len);
    return RCM_OK;
}
