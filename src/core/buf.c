/*
 * buf.c — capped growable buffers.
 */
#include "rcm/buf.h"

#include <stdio.h>
#include <string.h>

#include "rcm/mem.h"

void
rcm_buf_init(struct rcm_buf *buf, size_t max_bytes)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max_bytes;
}

/* Make room for `extra` more bytes plus the NUL. */
enum rcm_err
rcm_buf_grow(struct rcm_buf *buf, size_t extra)
{
    if (extra > buf->max || buf->len > buf->max - extra)
        return RCM_E_TOO_LARGE;
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return RCM_OK;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > buf->max + 1)
        cap = buf->max + 1;
    char *p = rcm_realloc(buf->data, cap);
    if (!p)
        return RCM_E_NOMEM;
    buf->data = p;
    buf->cap = cap;
    return RCM_OK;
}

enum rcm_err
rcm_buf_add(struct rcm_buf *buf, const void *p, size_t n)
{
    enum rcm_err err = rcm_buf_grow(buf, n);
    if (err)
        return err;
    if (n)
        memcpy(buf->data + buf->len, p, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
    return RCM_OK;
}

enum rcm_err
rcm_buf_addstr(struct rcm_buf *buf, const char *s)
{
    return rcm_buf_add(buf, s, strlen(s));
}

enum rcm_err
rcm_buf_addch(struct rcm_buf *buf, char c)
{
    return rcm_buf_add(buf, &c, 1);
}

enum rcm_err
rcm_buf_vaddf(struct rcm_buf *buf, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return RCM_E_INVAL;
    enum rcm_err err = rcm_buf_grow(buf, (size_t)n);
    if (err)
        return err;
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    buf->len += (size_t)n;
    return RCM_OK;
}

enum rcm_err
rcm_buf_addf(struct rcm_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum rcm_err err = rcm_buf_vaddf(buf, fmt, ap);
    va_end(ap);
    return err;
}

const char *
rcm_buf_cstr(const struct rcm_buf *buf)
{
    return buf->data ? buf->data : "";
}

void
rcm_buf_reset(struct rcm_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

void
rcm_buf_release(struct rcm_buf *buf)
{
    rcm_free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

char *
rcm_buf_detach(struct rcm_buf *buf, size_t *len)
{
    char *p = buf->data;
    if (len)
        *len = buf->len;
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return p;
}
