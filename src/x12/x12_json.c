/*
 * x12_json.c — X12 <-> JSON in the stable "openrcm-x12-json/1" form
 * (docs/x12/json.md).
 *
 * The writer is streaming: it keeps only the stack of loops it has opened
 * and closes/opens loops by comparing that stack with the loop context of
 * each segment (occurrence ids, so a second 2400 closes the first). The
 * reader (from-json) is a plain jansson tree walk.
 *
 * Element values are kept verbatim: simple elements as strings, composites
 * as arrays of component strings, repeated elements as {"rep": [...]} and
 * values that are not UTF-8 or hold a NUL byte as {"hex": "..."}; empty elements are left out
 * and "n" gives the element count when the segment ends with empty ones.
 * ISA elements are always plain strings (ISA11/ISA16 hold delimiters).
 */
#include <stdio.h>
#include <string.h>

#include "rcm/json.h"
#include "rcm/mem.h"
#include "rcm/x12.h"

#define JSON_FORMAT "openrcm-x12-json/1"

void
rcm_x12_json_writer_init(struct rcm_x12_json_writer *w, struct rcm_buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

static inline void
put(struct rcm_x12_json_writer *w, const char *s, size_t n)
{
    struct rcm_buf *b = w->out;
    /* fast path: room in the buffer and under its cap (same result as
     * rcm_buf_add, without the call) */
    if (w->err == RCM_OK && b->data && b->len + n < b->cap && b->len + n <= b->max) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = 0;
        return;
    }
    if (w->err == RCM_OK)
        w->err = rcm_buf_add(b, s, n);
}

static void
puts_(struct rcm_x12_json_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

/* A JSON string literal for s (valid UTF-8 assumed). */
static void
put_str(struct rcm_x12_json_writer *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
        if (c == '"')
            puts_(w, "\\\"");
        else if (c == '\\')
            puts_(w, "\\\\");
        else
            puts_(w, esc);
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

/* A delimiter byte: bytes >= 0x80 are written as the code point U+0080..
 * U+00FF (one byte each way; JSON text must be UTF-8). */
static void
put_delim(struct rcm_x12_json_writer *w, char c)
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x80) {
        char esc[16];
        snprintf(esc, sizeof esc, "\"\\u%04x\"", u);
        puts_(w, esc);
        return;
    }
    put_str(w, &c, c ? 1 : 0);
}

static void
put_value(struct rcm_x12_json_writer *w, struct rcm_str v, char comp)
{
    if (!rcm_utf8_valid(v.p, v.n) || memchr(v.p, 0, v.n)) {
        static const char hex[] = "0123456789abcdef";
        puts_(w, "{\"hex\":\"");
        for (size_t i = 0; i < v.n; i++) {
            unsigned char c = (unsigned char)v.p[i];
            char h[2] = {hex[c >> 4], hex[c & 15]};
            put(w, h, 2);
        }
        puts_(w, "\"}");
        return;
    }
    if (comp && memchr(v.p, comp, v.n)) {
        put(w, "[", 1);
        struct rcm_str rest = v, part;
        bool first = true;
        while (rcm_str_split_next(&rest, comp, &part)) {
            if (!first)
                put(w, ",", 1);
            first = false;
            put_str(w, part.p, part.n);
        }
        put(w, "]", 1);
        return;
    }
    put_str(w, v.p, v.n);
}

static void
put_segment(struct rcm_x12_json_writer *w, const struct rcm_x12_seg *seg,
            const char *name)
{
    struct rcm_str el[100];
    size_t n = rcm_x12_seg_elements(seg, el, 100);
    bool isa = strcmp(seg->id, "ISA") == 0;
    puts_(w, "{\"seg\":");
    put_str(w, seg->id, strlen(seg->id));
    if (name) {
        puts_(w, ",\"name\":");
        put_str(w, name, strlen(name));
    }
    if (n > 100) {
        /* more than 99 elements: no SEGnn keys for them; keep it verbatim */
        puts_(w, ",\"raw\":");
        put_value(w, seg->raw, 0);
        put(w, "}", 1);
        return;
    }
    puts_(w, ",\"el\":{");
    bool first = true;
    for (size_t i = 1; i < n; i++) {
        if (el[i].n == 0)
            continue;
        /* ,"NM103": — built by hand, snprintf is the slow part here */
        char key[12];
        size_t k = 0;
        if (!first)
            key[k++] = ',';
        first = false;
        key[k++] = '"';
        for (const char *q = seg->id; *q; q++)
            key[k++] = *q;
        key[k++] = (char)('0' + i / 10);
        key[k++] = (char)('0' + i % 10);
        key[k++] = '"';
        key[k++] = ':';
        put(w, key, k);
        char rep = isa ? 0 : seg->delims.repetition;
        char comp = isa ? 0 : seg->delims.component;
        if (rep && memchr(el[i].p, rep, el[i].n) &&
            rcm_utf8_valid(el[i].p, el[i].n) && !memchr(el[i].p, 0, el[i].n)) {
            puts_(w, "{\"rep\":[");
            struct rcm_str rest = el[i], part;
            bool firstr = true;
            while (rcm_str_split_next(&rest, rep, &part)) {
                if (!firstr)
                    put(w, ",", 1);
                firstr = false;
                put_value(w, part, comp);
            }
            puts_(w, "]}");
            continue;
        }
        put_value(w, el[i], comp);
    }
    put(w, "}", 1);
    if (n > 1 && el[n - 1].n == 0) {
        char cnt[32];
        snprintf(cnt, sizeof cnt, ",\"n\":%zu", n - 1);
        puts_(w, cnt);
    }
    put(w, "}", 1);
}

static void
comma_at(struct rcm_x12_json_writer *w, int level)
{
    if (w->comma[level])
        put(w, ",", 1);
    w->comma[level] = true;
}

void
rcm_x12_json_writer_segment(void *ctx, const struct rcm_x12_seg *seg,
                            const struct rcm_x12_loop_ctx *loops)
{
    struct rcm_x12_json_writer *w = ctx;
    if (!w->started) {
        puts_(w, "{\"format\":\"" JSON_FORMAT "\",\"interchanges\":[");
        w->started = true;
    }
    int depth = loops->depth < 16 ? loops->depth : 16;
    int k = 0;
    while (k < w->depth && k < depth && w->instance[k] == loops->instance[k])
        k++;
    while (w->depth > k) {
        puts_(w, "]}");
        w->depth--;
    }
    for (int d = k; d < depth; d++) {
        comma_at(w, d);
        puts_(w, "{\"loop\":");
        put_str(w, loops->loops[d], strlen(loops->loops[d]));
        if (loops->names[d]) {
            puts_(w, ",\"name\":");
            put_str(w, loops->names[d], strlen(loops->names[d]));
        }
        if (d == 0) {
            char dl[4] = {seg->delims.element, seg->delims.component,
                          seg->delims.repetition, seg->delims.segment};
            puts_(w, ",\"delimiters\":{\"element\":");
            put_delim(w, dl[0]);
            puts_(w, ",\"component\":");
            put_delim(w, dl[1]);
            puts_(w, ",\"repetition\":");
            put_delim(w, dl[2]);
            puts_(w, ",\"segment\":");
            put_delim(w, dl[3]);
            put(w, "}", 1);
        }
        puts_(w, ",\"content\":[");
        w->instance[d] = loops->instance[d];
        w->comma[d + 1] = false;
        w->depth = d + 1;
    }
    comma_at(w, depth);
    put_segment(w, seg, loops->seg_name);
}

enum rcm_err
rcm_x12_json_writer_finish(struct rcm_x12_json_writer *w)
{
    if (!w->started)
        puts_(w, "{\"format\":\"" JSON_FORMAT "\",\"interchanges\":[");
    while (w->depth > 0) {
        puts_(w, "]}");
        w->depth--;
    }
    puts_(w, "]}\n");
    return w->err;
}

/* ------------------------------------------------------------ from JSON */

struct fj {
    struct rcm_buf *out;
    struct rcm_diag *diag;
    char e, c, r, s;
};

static bool
has_delim(const struct fj *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == f->e || s[i] == f->c || s[i] == f->s || (f->r && s[i] == f->r))
            return true;
    return false;
}

static int
hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static enum rcm_err
put_text(struct fj *f, const json_t *v, const char *key, bool raw)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!raw && has_delim(f, s, n))
            return rcm_diag_fail(f->diag, RCM_E_INVAL,
                                 "%s: value contains a delimiter", key);
        return rcm_buf_add(f->out, s, n);
    }
    const json_t *h = json_is_object(v) ? json_object_get(v, "hex") : NULL;
    if (h && json_is_string(h)) {
        const char *s = json_string_value(h);
        size_t n = json_string_length(h);
        if (n % 2)
            return rcm_diag_fail(f->diag, RCM_E_INVAL, "%s: odd hex length", key);
        for (size_t i = 0; i < n; i += 2) {
            int a = hexval(s[i]), b = hexval(s[i + 1]);
            if (a < 0 || b < 0)
                return rcm_diag_fail(f->diag, RCM_E_INVAL, "%s: bad hex", key);
            char ch = (char)(a * 16 + b);
            /* hex holds a whole element verbatim: component and repetition
             * separators may be inside, element/segment ones not */
            if (!raw && (ch == f->e || ch == f->s))
                return rcm_diag_fail(f->diag, RCM_E_INVAL,
                                     "%s: value contains a delimiter", key);
            enum rcm_err e = rcm_buf_addch(f->out, ch);
            if (e)
                return e;
        }
        return RCM_OK;
    }
    return rcm_diag_fail(f->diag, RCM_E_INVAL, "%s: expected a string", key);
}

static enum rcm_err
put_composite(struct fj *f, const json_t *v, const char *key)
{
    if (!json_is_array(v))
        return put_text(f, v, key, false);
    size_t i;
    const json_t *c;
    json_array_foreach(v, i, c) {
        if (i) {
            enum rcm_err e = rcm_buf_addch(f->out, f->c);
            if (e)
                return e;
        }
        enum rcm_err e = put_text(f, c, key, false);
        if (e)
            return e;
    }
    return RCM_OK;
}

static enum rcm_err
put_element(struct fj *f, const json_t *v, const char *key)
{
    const json_t *rep = json_is_object(v) ? json_object_get(v, "rep") : NULL;
    if (rep) {
        if (!json_is_array(rep) || !f->r)
            return rcm_diag_fail(f->diag, RCM_E_INVAL,
                                 "%s: repetition without a repetition separator", key);
        size_t i;
        const json_t *c;
        json_array_foreach(rep, i, c) {
            if (i) {
                enum rcm_err e = rcm_buf_addch(f->out, f->r);
                if (e)
                    return e;
            }
            enum rcm_err e = put_composite(f, c, key);
            if (e)
                return e;
        }
        return RCM_OK;
    }
    return put_composite(f, v, key);
}

static bool
id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n < 2 || n > 3 || id[0] < 'A' || id[0] > 'Z')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')))
            return false;
    return true;
}

static enum rcm_err
put_seg(struct fj *f, const json_t *seg)
{
    const json_t *jid = json_object_get(seg, "seg");
    const json_t *el = json_object_get(seg, "el");
    if (!json_is_string(jid) || !id_valid(json_string_value(jid)))
        return rcm_diag_fail(f->diag, RCM_E_INVAL, "segment without a valid \"seg\" id");
    if (el && !json_is_object(el))
        return rcm_diag_fail(f->diag, RCM_E_INVAL, "\"el\" must be an object");
    const char *id = json_string_value(jid);
    size_t idn = strlen(id);
    bool isa = strcmp(id, "ISA") == 0;
    const json_t *raw = json_object_get(seg, "raw");
    if (raw) {
        /* a segment kept verbatim (more than 99 elements) */
        size_t at = f->out->len;
        enum rcm_err e = put_text(f, raw, id, true);
        if (e)
            return e;
        const char *w = f->out->data + at;
        size_t wn = f->out->len - at;
        if (wn < idn || memcmp(w, id, idn) != 0 || memchr(w, f->s, wn) ||
            (wn > idn && w[idn] != f->e))
            return rcm_diag_fail(f->diag, RCM_E_INVAL,
                                 "%s: raw segment does not match its id or holds a terminator", id);
        e = rcm_buf_addch(f->out, f->s);
        if (!e && f->s != '\n')
            e = rcm_buf_addch(f->out, '\n');
        return e;
    }
    /* positions present */
    const json_t *vals[100] = {0};
    size_t max = 0;
    const char *key;
    const json_t *v;
    if (el) {
        json_object_foreach((json_t *)(uintptr_t)el, key, v) {
            size_t kn = strlen(key);
            if (kn != idn + 2 || memcmp(key, id, idn) != 0 ||
                key[idn] < '0' || key[idn] > '9' || key[idn + 1] < '0' ||
                key[idn + 1] > '9')
                return rcm_diag_fail(f->diag, RCM_E_INVAL,
                                     "%s: element key is not %s + 2 digits", id, id);
            size_t pos = (size_t)((key[idn] - '0') * 10 + (key[idn + 1] - '0'));
            if (pos == 0)
                return rcm_diag_fail(f->diag, RCM_E_INVAL, "%s: element 00", id);
            vals[pos] = v;
            if (pos > max)
                max = pos;
        }
    }
    const json_t *jn = json_object_get(seg, "n");
    if (jn) {
        if (!json_is_integer(jn) || json_integer_value(jn) < 0 ||
            json_integer_value(jn) > 99)
            return rcm_diag_fail(f->diag, RCM_E_INVAL, "%s: bad \"n\"", id);
        if ((size_t)json_integer_value(jn) > max)
            max = (size_t)json_integer_value(jn);
    }
    enum rcm_err e = rcm_buf_add(f->out, id, idn);
    for (size_t i = 1; i <= max && !e; i++) {
        e = rcm_buf_addch(f->out, f->e);
        if (!e && vals[i]) {
            char k[16];
            snprintf(k, sizeof k, "%s%02zu", id, i);
            e = isa ? put_text(f, vals[i], k, true) : put_element(f, vals[i], k);
        }
    }
    if (!e)
        e = rcm_buf_addch(f->out, f->s);
    if (!e && f->s != '\n')
        e = rcm_buf_addch(f->out, '\n');
    return e;
}

static enum rcm_err
walk_content(struct fj *f, const json_t *content, int depth)
{
    if (!json_is_array(content))
        return rcm_diag_fail(f->diag, RCM_E_INVAL, "\"content\" must be an array");
    if (depth > 24)
        return rcm_diag_fail(f->diag, RCM_E_INVAL, "loops nested too deep");
    size_t i;
    const json_t *node;
    json_array_foreach(content, i, node) {
        if (!json_is_object(node))
            return rcm_diag_fail(f->diag, RCM_E_INVAL, "content item is not an object");
        enum rcm_err e;
        if (json_object_get(node, "seg"))
            e = put_seg(f, node);
        else if (json_object_get(node, "loop"))
            e = walk_content(f, json_object_get(node, "content"), depth + 1);
        else
            e = rcm_diag_fail(f->diag, RCM_E_INVAL,
                              "content item is neither \"seg\" nor \"loop\"");
        if (e)
            return e;
    }
    return RCM_OK;
}

static enum rcm_err
delim(const json_t *d, const char *name, bool optional, char *out,
      struct rcm_diag *diag)
{
    const json_t *v = json_object_get(d, name);
    size_t n = json_is_string(v) ? json_string_length(v) : 9;
    const unsigned char *s = n < 9 ? (const unsigned char *)json_string_value(v) : NULL;
    if (n == 0 && optional) {
        *out = 0;
        return RCM_OK;
    }
    if (n == 1) {
        *out = (char)s[0];
        return RCM_OK;
    }
    /* U+0080..U+00FF stands for that byte (see put_delim) */
    if (n == 2 && (s[0] == 0xC2 || s[0] == 0xC3) && (s[1] & 0xC0) == 0x80) {
        *out = (char)(((s[0] & 0x03) << 6) | (s[1] & 0x3F));
        return RCM_OK;
    }
    return rcm_diag_fail(diag, RCM_E_INVAL, "delimiters.%s must be one character",
                         name);
}

enum rcm_err
rcm_x12_from_json(const char *p, size_t n, struct rcm_buf *out,
                  struct rcm_diag *diag)
{
    json_t *root = NULL;
    enum rcm_err e = rcm_json_parse(p, n, 64, &root, diag);
    if (e)
        return e;
    const json_t *fmt = json_object_get(root, "format");
    const json_t *ics = json_object_get(root, "interchanges");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), JSON_FORMAT) != 0) {
        e = rcm_diag_fail(diag, RCM_E_INVAL, "\"format\" is not " JSON_FORMAT);
        goto out;
    }
    if (!json_is_array(ics)) {
        e = rcm_diag_fail(diag, RCM_E_INVAL, "\"interchanges\" must be an array");
        goto out;
    }
    size_t i;
    const json_t *ic;
    json_array_foreach(ics, i, ic) {
        struct fj f = {out, diag, 0, 0, 0, 0};
        const json_t *d = json_object_get(ic, "delimiters");
        if (!json_is_object(d)) {
            e = rcm_diag_fail(diag, RCM_E_INVAL, "interchange without delimiters");
            goto out;
        }
        if ((e = delim(d, "element", false, &f.e, diag)) ||
            (e = delim(d, "component", false, &f.c, diag)) ||
            (e = delim(d, "repetition", true, &f.r, diag)) ||
            (e = delim(d, "segment", false, &f.s, diag)))
            goto out;
        if (f.e == f.c || f.e == f.s || f.c == f.s ||
            (f.r && (f.r == f.e || f.r == f.c || f.r == f.s))) {
            e = rcm_diag_fail(diag, RCM_E_INVAL, "delimiters are not distinct");
            goto out;
        }
        if ((e = walk_content(&f, json_object_get(ic, "content"), 0)))
            goto out;
    }
out:
    json_decref(root);
    return e;
}
