/*
 * x12_reader.c — streaming, zero-copy X12 segment reader (see rcm/x12.h).
 *
 * Three states:
 *   SEEK  outside an interchange: skip a BOM and white space, look for "ISA"
 *         followed by a non-alphanumeric byte (the element separator);
 *   ISA   collect the ISA byte by byte (it is at most a few hundred bytes)
 *         until its 16th element separator, ISA16 and the terminator;
 *   IN    inside an interchange: find each terminator (and, in the same
 *         pass, the element separators: scan_segment) and hand out a slice
 *         of the caller's buffer, or of `carry` when the segment began in an
 *         earlier feed.
 * Byte-at-a-time work happens only around interchange boundaries and at the
 * start of each segment (CR/LF skipping); the bulk of the input is scanned
 * 16 bytes at a time.
 *
 * Split invariance: every decision depends only on bytes of the stream, never
 * on where a feed ends; when a decision needs bytes that have not arrived,
 * the reader keeps what it has (carry / isa[] / match counters) and answers
 * NEED_MORE.
 */
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rcm/x12.h"

enum { ST_SEEK = 0, ST_ISA, ST_IN };

static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

static bool
is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z');
}

static bool
is_space(unsigned char c)
{
    return c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == 0 ||
           c == 0x1A;
}

const char *
rcm_x12_read_code_name(enum rcm_x12_read_code code)
{
    switch (code) {
    case RCM_X12_RE_EMPTY_SEGMENT: return "empty_segment";
    case RCM_X12_RE_OUTSIDE: return "outside_interchange";
    case RCM_X12_RE_BAD_ISA: return "bad_isa";
    case RCM_X12_RE_TOO_LONG: return "segment_too_long";
    case RCM_X12_RE_BAD_SEGMENT_ID: return "bad_segment_id";
    case RCM_X12_RE_TRUNCATED: return "truncated";
    case RCM_X12_RE_ISA_IN_INTERCHANGE: return "isa_in_interchange";
    }
    return "unknown";
}

void
rcm_x12_reader_init(struct rcm_x12_reader *r, size_t max_segment_bytes)
{
    memset(r, 0, sizeof *r);
    r->max_segment_bytes =
        max_segment_bytes ? max_segment_bytes : RCM_X12_MAX_SEGMENT_BYTES_DEFAULT;
    rcm_buf_init(&r->carry, r->max_segment_bytes);
    r->state = ST_SEEK;
    r->split_elements = true;
}

void
rcm_x12_reader_release(struct rcm_x12_reader *r)
{
    rcm_buf_release(&r->carry);
}

void
rcm_x12_reader_feed(struct rcm_x12_reader *r, const char *p, size_t n, bool eof)
{
    r->chunk_offset += r->chunk_len;
    r->chunk = p;
    r->chunk_len = n;
    r->pos = 0;
    r->eof = eof;
}

static uint64_t
here(const struct rcm_x12_reader *r)
{
    return r->chunk_offset + r->pos;
}

static enum rcm_x12_event
fail(struct rcm_x12_reader *r, struct rcm_x12_read_error *err,
     enum rcm_x12_read_code code, uint64_t offset, const char *msg)
{
    err->code = code;
    err->offset_bytes = offset;
    err->seg_index = r->seg_index;
    err->counted = false;
    err->id[0] = 0;
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return RCM_X12_ERROR;
}

/* 2-3 characters, upper-case letter then upper-case letters or digits. */
static inline bool
id_ok(const char *p, size_t n)
{
    if (n < 2 || n > 3)
        return false;
    unsigned c0 = (unsigned char)p[0], c1 = (unsigned char)p[1];
    bool ok = c0 - 'A' < 26u && (c1 - 'A' < 26u || c1 - '0' < 10u);
    if (n == 3) {
        unsigned c2 = (unsigned char)p[2];
        ok = ok && (c2 - 'A' < 26u || c2 - '0' < 10u);
    }
    return ok;
}

/*
 * The ISA in r->isa is complete (its last byte is the terminator). Take the
 * delimiters from it. False when they are unusable.
 */
static bool
isa_delims(struct rcm_x12_reader *r)
{
    size_t n = r->isa_len;
    char e = r->isa[3], c = r->isa[n - 2], s = r->isa[n - 1];
    if (is_alnum((unsigned char)e) || is_alnum((unsigned char)c) ||
        is_alnum((unsigned char)s) || e == c || e == s || c == s || e == ' ' ||
        c == ' ' || s == ' ' || e == 0 || c == 0 || s == 0)
        return false;
    struct rcm_x12_delims d = {e, c, 0, s};
    /* ISA11 and ISA12: fields 11 and 12 */
    struct rcm_str f[18];
    struct rcm_str all = {r->isa, n - 1};
    size_t nf = rcm_x12_split(all, e, f, 18);
    if (nf != 17)
        return false;
    if (f[12].n == 5 && memcmp(f[12].p, "00402", 5) >= 0 && f[11].n == 1) {
        char rep = f[11].p[0];
        if (!is_alnum((unsigned char)rep) && rep != e && rep != c && rep != s &&
            rep != ' ' && rep != 0)
            d.repetition = rep;
    }
    r->delims = d;
    return true;
}

/*
 * Hand out p[0..n) as the next segment. idn = length of its id (the bytes
 * before the first element separator), 2 or 3 (the caller has checked it).
 */
static inline void
emit(struct rcm_x12_reader *r, struct rcm_x12_seg *seg, const char *p, size_t n,
     size_t idn, uint64_t offset, bool have_els)
{
    seg->els = have_els ? r->els : NULL;
    seg->n_els = have_els ? r->n_els : 0;
    uint32_t key = (uint32_t)(unsigned char)p[0] |
                   (uint32_t)(unsigned char)p[1] << 8 |
                   (idn > 2 ? (uint32_t)(unsigned char)p[2] << 16 : 0);
    for (size_t i = 0; i < 4; i++)       /* NUL-padded */
        seg->id[i] = (char)(key >> (8 * i));
    seg->key = key;
    seg->raw = (struct rcm_str){p, n};
    seg->delims = r->delims;
    seg->offset_bytes = offset;
    seg->index = r->seg_index++;
}

/* SEEK: one step over the current chunk. Returns 0 to continue. */
static enum rcm_x12_event
step_seek(struct rcm_x12_reader *r, struct rcm_x12_read_error *err)
{
    while (r->pos < r->chunk_len) {
        unsigned char c = (unsigned char)r->chunk[r->pos];
        if (r->bom_matched > 0 && r->bom_matched < 3) {
            if (c == bom[r->bom_matched]) {
                r->bom_matched++;
                r->pos++;
                if (r->bom_matched == 3)
                    r->bom_matched = 0;
                continue;
            }
            r->bom_matched = 0;
            if (!r->garbage) {
                r->garbage = true;
                return fail(r, err, RCM_X12_RE_OUTSIDE, r->garbage_start,
                            "data outside an interchange (expected ISA)");
            }
            continue;
        }
        if (r->isa_matched > 0) {
            static const char isa[3] = {'I', 'S', 'A'};
            if (r->isa_matched < 3 && c == (unsigned char)isa[r->isa_matched]) {
                r->isa_matched++;
                r->pos++;
                continue;
            }
            if (r->isa_matched == 3 && !is_alnum(c) && !is_space(c)) {
                memcpy(r->isa, "ISA", 3);
                r->isa[3] = (char)c;
                r->isa_len = 4;
                r->isa_seps = 1;
                r->isa_matched = 0;
                r->garbage = false;
                r->pos++;
                r->state = ST_ISA;
                return 0;
            }
            r->isa_matched = 0;
            if (!r->garbage) {
                r->garbage = true;
                return fail(r, err, RCM_X12_RE_OUTSIDE, r->garbage_start,
                            "data outside an interchange (expected ISA)");
            }
            continue;
        }
        if (c == 'I') {
            r->isa_matched = 1;
            r->seg_start = here(r);
            if (!r->garbage)
                r->garbage_start = here(r);
            r->pos++;
            continue;
        }
        if (c == bom[0]) {
            r->bom_matched = 1;
            if (!r->garbage)
                r->garbage_start = here(r);
            r->pos++;
            continue;
        }
        if (is_space(c)) {
            r->pos++;
            continue;
        }
        if (!r->garbage) {
            r->garbage = true;
            r->garbage_start = here(r);
            r->pos++;
            return fail(r, err, RCM_X12_RE_OUTSIDE, r->garbage_start,
                        "data outside an interchange (expected ISA)");
        }
        r->pos++;
    }
    return RCM_X12_NEED_MORE;
}

/* ISA: collect bytes until the 16th separator + ISA16 + terminator. */
static enum rcm_x12_event
step_isa(struct rcm_x12_reader *r, struct rcm_x12_seg *seg,
         struct rcm_x12_read_error *err)
{
    while (r->pos < r->chunk_len) {
        char c = r->chunk[r->pos++];
        if (r->isa_len >= sizeof r->isa) {
            r->state = ST_SEEK;
            r->pos--; /* re-examine this byte outside the interchange */
            r->garbage = true;
            return fail(r, err, RCM_X12_RE_BAD_ISA, r->seg_start,
                        "ISA has fewer than 16 elements within 256 bytes");
        }
        r->isa[r->isa_len++] = c;
        if (r->isa_seps < 16) {
            if (c == r->isa[3]) {
                r->isa_seps++;
                if (r->isa_seps == 16)
                    r->isa_c16 = false;
            }
            continue;
        }
        /* after the 16th separator: ISA16, then the terminator */
        if (!r->isa_c16) {
            r->isa_c16 = true; /* ISA16 seen */
            continue;
        }
        r->isa_c16 = false;
        if (!isa_delims(r)) {
            r->state = ST_SEEK;
            r->garbage = true;
            return fail(r, err, RCM_X12_RE_BAD_ISA, r->seg_start,
                        "ISA delimiters are unusable (alphanumeric, space, NUL or "
                        "not distinct)");
        }
        r->state = ST_IN;
        r->in_interchange = true;
        emit(r, seg, r->isa, r->isa_len - 1, 3, r->seg_start, false);
        return RCM_X12_SEGMENT;
    }
    return RCM_X12_NEED_MORE;
}

/*
 * A complete segment p[0..n) (terminator excluded). Returns SEGMENT or an
 * error event.
 */
static inline __attribute__((always_inline)) enum rcm_x12_event
finish_segment(struct rcm_x12_reader *r, struct rcm_x12_seg *seg,
               struct rcm_x12_read_error *err, const char *p, size_t n,
               bool have_els)
{
    if (r->delims.segment == '\n' && n > 0 && p[n - 1] == '\r') {
        n--;
        /* r->els was split with the CR: it ends the last piece, unless the
         * CR is the element separator itself (then split again later) */
        if (have_els && r->delims.element != '\r' &&
            r->n_els <= RCM_X12_SEG_ELEMS_MAX)
            r->els[r->n_els - 1].n--;
        else
            have_els = false;
    }
    /* the id: the bytes before the first separator; only 2-3 can be valid,
     * so look at no more than 4 */
    const char e = r->delims.element;
    size_t idn = 0;
    if (have_els)
        idn = r->els[0].n < 4 ? r->els[0].n : 4;
    else
        while (idn < 4 && idn < n && p[idn] != e)
            idn++;
    if (!id_ok(p, idn)) {
        enum rcm_x12_event ev =
            fail(r, err, RCM_X12_RE_BAD_SEGMENT_ID, r->seg_start,
                 "segment id is not 2-3 upper-case letters or digits");
        err->counted = true;
        size_t k = n < 3 ? n : 3;
        for (size_t i = 0; i < k; i++)
            err->id[i] = (p[i] >= 0x21 && p[i] < 0x7f) ? p[i] : '?';
        err->id[k] = 0;
        r->seg_index++;
        return ev;
    }
    emit(r, seg, p, n, idn, r->seg_start, have_els);
    if (idn == 3 && p[0] == 'I' && p[1] == 'E' && p[2] == 'A') {
        r->state = ST_SEEK;
        r->in_interchange = false;
        r->garbage = false;
    }
    return RCM_X12_SEGMENT;
}

/* Record one element piece p[start..end) of the segment being scanned in
 * els[*cnt] (when below the cap) and count it. */
static inline __attribute__((always_inline)) void
el_piece(struct rcm_str *els, size_t *cnt, const char *p, size_t start,
         size_t end)
{
    if (*cnt < RCM_X12_SEG_ELEMS_MAX)
        els[*cnt] = (struct rcm_str){p + start, end - start};
    (*cnt)++;
}

/*
 * Find the terminator of the segment that starts at p (n bytes of the chunk
 * available) and split it into elements on the way, so each byte is looked
 * at once: returns the terminator's offset (n when it is not in the chunk;
 * r->els is then meaningless) and fills r->els / r->n_els exactly as
 * rcm_x12_split(p[0..offset), element separator) would. Reads only p[0..n).
 */
static size_t
scan_segment(struct rcm_x12_reader *r, const char *p, size_t n)
{
    const char t = r->delims.segment, e = r->delims.element;
    struct rcm_str *els = r->els;
    size_t i = 0, start = 0, cnt = 0;
#if defined(__SSE2__)
    const __m128i vt = _mm_set1_epi8(t), ve = _mm_set1_epi8(e);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned mt = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vt));
        unsigned me = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, ve));
        if (mt)
            me &= (1u << __builtin_ctz(mt)) - 1;   /* separators before it */
        while (me) {
            size_t at = i + (size_t)__builtin_ctz(me);
            el_piece(els, &cnt, p, start, at);
            start = at + 1;
            me &= me - 1;
        }
        if (mt) {
            size_t end = i + (size_t)__builtin_ctz(mt);
            el_piece(els, &cnt, p, start, end);
            r->n_els = cnt;
            return end;
        }
    }
#endif
    for (; i < n; i++) {
        if (p[i] == t) {
            el_piece(els, &cnt, p, start, i);
            r->n_els = cnt;
            return i;
        }
        if (p[i] == e) {
            el_piece(els, &cnt, p, start, i);
            start = i + 1;
        }
    }
    r->n_els = cnt;
    return n;
}

/* Does a segment starting at p[0..n) begin with "ISA" + separator? */
static int
head_is_isa(const char *p, size_t n)
{
    if (n < 4)
        return -1;
    return p[0] == 'I' && p[1] == 'S' && p[2] == 'A' && !is_alnum((unsigned char)p[3]) &&
           !is_space((unsigned char)p[3]);
}

static enum rcm_x12_event
start_isa_from(struct rcm_x12_reader *r, struct rcm_x12_read_error *err,
               const char *p)
{
    memcpy(r->isa, p, 4);
    r->isa_len = 4;
    r->isa_seps = 1;
    r->state = ST_ISA;
    r->in_interchange = false;
    return fail(r, err, RCM_X12_RE_ISA_IN_INTERCHANGE, r->seg_start,
                "ISA before the IEA of the previous interchange");
}

static enum rcm_x12_event
step_in(struct rcm_x12_reader *r, struct rcm_x12_seg *seg,
        struct rcm_x12_read_error *err)
{
    const char term = r->delims.segment;
    for (;;) {
        if (r->skipping) {
            const char *q = r->pos < r->chunk_len
                ? memchr(r->chunk + r->pos, term, r->chunk_len - r->pos) : NULL;
            if (!q) {
                r->pos = r->chunk_len;
                return RCM_X12_NEED_MORE;
            }
            r->pos = (size_t)(q - r->chunk) + 1;
            r->skipping = false;
            continue;
        }
        if (r->carry.len == 0) {
            /* at a segment start: skip CR/LF/space/tab that are not delimiters */
            while (r->pos < r->chunk_len) {
                char c = r->chunk[r->pos];
                if ((c == '\r' || c == '\n' || c == ' ' || c == '\t') &&
                    c != term && c != r->delims.element)
                    r->pos++;
                else
                    break;
            }
            if (r->pos >= r->chunk_len)
                return RCM_X12_NEED_MORE;
            r->seg_start = here(r);
            if (r->chunk[r->pos] == term) {
                r->pos++;
                return fail(r, err, RCM_X12_RE_EMPTY_SEGMENT, r->seg_start,
                            "empty segment");
            }
            const char *p = r->chunk + r->pos;
            size_t avail = r->chunk_len - r->pos;
            const bool split = r->split_elements;
            size_t seglen;
            if (split) {
                seglen = scan_segment(r, p, avail);
            } else {
                const char *t = memchr(p, term, avail);
                seglen = t ? (size_t)(t - p) : avail;
            }
            const char *q = seglen < avail ? p + seglen : NULL;
            if (p[0] == 'I' && (seglen >= 4 || q || r->eof)) {
                if (head_is_isa(p, seglen) == 1) {
                    r->pos += 4;
                    return start_isa_from(r, err, p);
                }
            }
            if (q) {
                r->pos += seglen + 1;
                if (seglen > r->max_segment_bytes)
                    return fail(r, err, RCM_X12_RE_TOO_LONG, r->seg_start,
                                "segment longer than the limit (skipped)");
                return finish_segment(r, seg, err, p, seglen, split);
            }
            /* no terminator in this chunk: keep the bytes */
            r->pos = r->chunk_len;
            if (rcm_buf_add(&r->carry, p, avail) != RCM_OK) {
                rcm_buf_reset(&r->carry);
                r->skipping = true;
                return fail(r, err, RCM_X12_RE_TOO_LONG, r->seg_start,
                            "segment longer than the limit (skipped)");
            }
            return RCM_X12_NEED_MORE;
        }
        /* continuing a segment kept in carry */
        if (r->pos >= r->chunk_len)
            return RCM_X12_NEED_MORE;
        const char *p = r->chunk + r->pos;
        size_t avail = r->chunk_len - r->pos;
        const char *q = memchr(p, term, avail);
        size_t take = q ? (size_t)(q - p) : avail;
        if (r->carry.len < 4) {
            /* the head check may not have been possible yet */
            size_t need = 4 - r->carry.len;
            size_t add = take < need ? take : need;
            char head[4];
            memcpy(head, r->carry.data, r->carry.len);
            memcpy(head + r->carry.len, p, add);
            if (r->carry.len + add == 4 && head_is_isa(head, 4) == 1) {
                r->pos += add;
                rcm_buf_reset(&r->carry);
                return start_isa_from(r, err, head);
            }
        }
        if (rcm_buf_add(&r->carry, p, take) != RCM_OK) {
            rcm_buf_reset(&r->carry);
            r->pos += take;
            r->skipping = true;
            if (q) {
                r->pos++;
                r->skipping = false;
            }
            return fail(r, err, RCM_X12_RE_TOO_LONG, r->seg_start,
                        "segment longer than the limit (skipped)");
        }
        r->pos += take;
        if (!q)
            return RCM_X12_NEED_MORE;
        r->pos++;
        /* hand out the carried segment; reset on the next call */
        size_t n = r->carry.len;
        enum rcm_x12_event ev = finish_segment(r, seg, err, r->carry.data, n, false);
        r->carry.len = 0; /* data stays valid until the next append */
        return ev;
    }
}

enum rcm_x12_event
rcm_x12_reader_next(struct rcm_x12_reader *r, struct rcm_x12_seg *seg,
                    struct rcm_x12_read_error *err)
{
    for (;;) {
        enum rcm_x12_event ev;
        switch (r->state) {
        case ST_SEEK: ev = step_seek(r, err); break;
        case ST_ISA: ev = step_isa(r, seg, err); break;
        default: ev = step_in(r, seg, err); break;
        }
        if (ev == 0)
            continue;
        if (ev != RCM_X12_NEED_MORE)
            return ev;
        if (!r->eof)
            return RCM_X12_NEED_MORE;
        /* end of input: report what is left unfinished, once */
        if (r->end_reported)
            return RCM_X12_END;
        r->end_reported = true;
        if (r->state == ST_SEEK && (r->isa_matched || r->bom_matched) &&
            !r->garbage)
            return fail(r, err, RCM_X12_RE_OUTSIDE, r->garbage_start,
                        "data outside an interchange (expected ISA)");
        if (r->state == ST_ISA)
            return fail(r, err, RCM_X12_RE_TRUNCATED, r->seg_start,
                        "input ends inside the ISA");
        if (r->state == ST_IN && (r->carry.len > 0 || r->skipping)) {
            rcm_buf_reset(&r->carry);
            return fail(r, err, RCM_X12_RE_TRUNCATED, r->seg_start,
                        "input ends inside a segment (no terminator)");
        }
        return RCM_X12_END;
    }
}

/* One more piece of a split: the bytes from *start up to q (exclusive). */
static inline __attribute__((always_inline)) void
piece(struct rcm_str *out, size_t max, size_t *count, const char **start,
      const char *q)
{
    if (*count < max)
        out[*count] = (struct rcm_str){*start, (size_t)(q - *start)};
    (*count)++;
    *start = q + 1;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Bit 8k+7 set exactly where byte k of x equals the byte in every lane of
 * pat (no false positives, so every set bit is a separator). */
static inline uint64_t
swar_eq(uint64_t x, uint64_t pat)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t y = x ^ pat;
    return ~(((y & low7) + low7) | y | low7);
}
#endif

size_t
rcm_x12_split(struct rcm_str s, char sep, struct rcm_str *out, size_t max)
{
    size_t count = 0;
    if (!sep) {
        if (max > 0)
            out[0] = s;
        return 1;
    }
    /* Segments and elements are short (20-odd bytes), so the cost is per
     * piece, not per byte: compare a whole block against the separator and
     * walk the set bits of the match mask. The tail of a slice of at least
     * one block is handled by re-reading its last full block (overlapping)
     * with the bits already seen masked off, so no byte outside s is read. */
    const char *p = s.p, *start = s.p, *end = s.p + s.n;
#if defined(__SSE2__)
    if (s.n >= 16) {
        const __m128i vs = _mm_set1_epi8(sep);
        for (;;) {
            const char *blk = end - p >= 16 ? p : end - 16;
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)blk), vs));
            m &= ~0u << (p - blk);
            while (m) {
                piece(out, max, &count, &start, blk + __builtin_ctz(m));
                m &= m - 1;
            }
            p = blk + 16;
            if (p >= end)
                break;
        }
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end - p >= 8) {
        const uint64_t pat = 0x0101010101010101ull * (unsigned char)sep;
        for (;;) {
            const char *blk = end - p >= 8 ? p : end - 8;
            uint64_t x;
            memcpy(&x, blk, 8);
            uint64_t m = swar_eq(x, pat) & (~0ull << (8 * (p - blk)));
            while (m) {
                piece(out, max, &count, &start, blk + (__builtin_ctzll(m) >> 3));
                m &= m - 1;
            }
            p = blk + 8;
            if (p >= end)
                break;
        }
    }
#endif
    for (; p < end; p++)
        if (*p == sep)
            piece(out, max, &count, &start, p);
    if (count < max)
        out[count] = (struct rcm_str){start, (size_t)(end - start)};
    return count + 1;
}

size_t
rcm_x12_seg_elements(const struct rcm_x12_seg *seg, struct rcm_str *out,
                     size_t max)
{
    if (seg->els && seg->n_els <= RCM_X12_SEG_ELEMS_MAX) {
        memcpy(out, seg->els, (seg->n_els < max ? seg->n_els : max) * sizeof *out);
        return seg->n_els;
    }
    return rcm_x12_split(seg->raw, seg->delims.element, out, max);
}

struct rcm_str
rcm_x12_seg_element(const struct rcm_x12_seg *seg, size_t i)
{
    const char *p = seg->raw.p, *end = seg->raw.p + seg->raw.n;
    for (size_t k = 0; k < i; k++) {
        const char *q = memchr(p, seg->delims.element, (size_t)(end - p));
        if (!q)
            return (struct rcm_str){end, 0};
        p = q + 1;
    }
    const char *q = memchr(p, seg->delims.element, (size_t)(end - p));
    return (struct rcm_str){p, (size_t)((q ? q : end) - p)};
}
