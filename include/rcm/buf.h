/*
 * rcm/buf.h — growable byte buffers with a hard cap (curl's dynbuf).
 *
 * Every buffer fed by outside input has a maximum: an append that would pass
 * it fails with RCM_E_TOO_LARGE and leaves the buffer as it was. The content
 * is always NUL-terminated once anything was added, so text can be used as a
 * C string; binary content may contain NULs.
 *
 * Lifecycle (git's strbuf): rcm_buf_init → add… → rcm_buf_release (frees) or
 * rcm_buf_detach (caller takes the memory); rcm_buf_reset empties but keeps
 * the allocation.
 */
#ifndef RCM_BUF_H
#define RCM_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "rcm/err.h"

struct rcm_buf {
    char *data;     /* NULL until the first append */
    size_t len;     /* bytes used, excluding the terminating NUL */
    size_t cap;     /* bytes allocated */
    size_t max;     /* largest len allowed */
};

#define RCM_BUF_INIT(max_bytes) {NULL, 0, 0, (max_bytes)}

void rcm_buf_init(struct rcm_buf *buf, size_t max_bytes);
/* Ensure room for `extra` more bytes (and the NUL) without changing len. */
RCM_MUST_CHECK enum rcm_err rcm_buf_grow(struct rcm_buf *buf, size_t extra);
RCM_MUST_CHECK enum rcm_err rcm_buf_add(struct rcm_buf *buf, const void *p,
                                        size_t n);
RCM_MUST_CHECK enum rcm_err rcm_buf_addstr(struct rcm_buf *buf, const char *s);
RCM_MUST_CHECK enum rcm_err rcm_buf_addch(struct rcm_buf *buf, char c);
RCM_MUST_CHECK enum rcm_err rcm_buf_addf(struct rcm_buf *buf,
                                         const char *fmt, ...) RCM_PRINTF(2, 3);
RCM_MUST_CHECK enum rcm_err rcm_buf_vaddf(struct rcm_buf *buf,
                                          const char *fmt, va_list ap)
    RCM_PRINTF(2, 0);
/* The content as a C string; "" when nothing was added. Borrowed. */
const char *rcm_buf_cstr(const struct rcm_buf *buf);
void rcm_buf_reset(struct rcm_buf *buf);
void rcm_buf_release(struct rcm_buf *buf);
/*
 * Hand the content to the caller (free with rcm_free) and reset the buffer.
 * Returns NULL when nothing was added; *len (if given) gets the length.
 */
char *rcm_buf_detach(struct rcm_buf *buf, size_t *len);

#endif
