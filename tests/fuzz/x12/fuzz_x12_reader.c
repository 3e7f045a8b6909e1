/*
 * fuzz_x12_reader.c — the reader on arbitrary bytes. The first byte picks a
 * feed size; the run fed in pieces must produce exactly the same events as
 * the run fed whole (split invariance), else abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/x12.h"

static uint64_t
digest(const uint8_t *data, size_t size, size_t piece, uint64_t *count)
{
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 512);
    uint64_t h = 1469598103934665603ull;
    size_t pos = piece < size ? piece : size;
    rcm_x12_reader_feed(&r, (const char *)data, pos, pos == size);
    *count = 0;
    for (;;) {
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        enum rcm_x12_event ev = rcm_x12_reader_next(&r, &seg, &err);
        if (ev == RCM_X12_SEGMENT) {
            h = (h ^ seg.offset_bytes ^ (seg.index << 32)) * 1099511628211ull;
            for (size_t i = 0; i < seg.raw.n; i++)
                h = (h ^ (unsigned char)seg.raw.p[i]) * 1099511628211ull;
            struct rcm_str el[8];
            size_t n = rcm_x12_seg_elements(&seg, el, 8);
            h = (h ^ n) * 1099511628211ull;
            (*count)++;
        } else if (ev == RCM_X12_ERROR) {
            h = (h ^ (uint64_t)err.code ^ (err.offset_bytes << 8)) * 1099511628211ull;
            (*count)++;
        } else if (ev == RCM_X12_NEED_MORE) {
            size_t next = pos + piece < size ? pos + piece : size;
            rcm_x12_reader_feed(&r, (const char *)data + pos, next - pos, next == size);
            pos = next;
        } else {
            break;
        }
    }
    rcm_x12_reader_release(&r);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t piece = 1 + data[0] % 64;
    uint64_t c1, c2;
    uint64_t whole = digest(data + 1, size - 1, size, &c1);
    uint64_t split = digest(data + 1, size - 1, piece, &c2);
    if (whole != split || c1 != c2)
        abort();
    return 0;
}
