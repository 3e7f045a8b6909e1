/*
 * x12_test_util.h — helpers shared by the X12 unit tests: load a file from
 * the source tree, and turn a reader run into a comparable text trace.
 */
#ifndef X12_TEST_UTIL_H
#define X12_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/buf.h"
#include "rcm/mem.h"
#include "rcm/x12.h"

/* Read RCM_TEST_SOURCE_DIR/rel into malloc'd memory; NULL on failure. */
static inline char *
x12t_load(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", RCM_TEST_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) {
        p[n] = 0;
        *len = (size_t)n;
    }
    return p;
}

/*
 * Run the reader over `data`, feeding it in pieces cut at the offsets in
 * cuts[0..ncuts) (ascending), and append one line per event to `out`:
 *   S <offset> <index> <id> <raw bytes>     (raw is printed verbatim)
 *   E <code> <offset> <index>
 * Returns the number of segments.
 */
static inline size_t
x12t_trace(const char *data, size_t n, const size_t *cuts, size_t ncuts,
           struct rcm_buf *out)
{
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 4096);
    size_t start = 0, ci = 0, nseg = 0;
    size_t end = ncuts ? cuts[0] : n;
    rcm_x12_reader_feed(&r, data, end, end == n);
    for (;;) {
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        enum rcm_x12_event ev = rcm_x12_reader_next(&r, &seg, &err);
        if (ev == RCM_X12_SEGMENT) {
            nseg++;
            if (rcm_buf_addf(out, "S %llu %llu %s ",
                             (unsigned long long)seg.offset_bytes,
                             (unsigned long long)seg.index, seg.id) != RCM_OK ||
                rcm_buf_add(out, seg.raw.p, seg.raw.n) != RCM_OK ||
                rcm_buf_addf(out, " %c%c%c%c\n", seg.delims.element,
                             seg.delims.component,
                             seg.delims.repetition ? seg.delims.repetition : '0',
                             seg.delims.segment) != RCM_OK)
                abort();
        } else if (ev == RCM_X12_ERROR) {
            if (rcm_buf_addf(out, "E %s %llu %llu\n",
                             rcm_x12_read_code_name(err.code),
                             (unsigned long long)err.offset_bytes,
                             (unsigned long long)err.seg_index) != RCM_OK)
                abort();
        } else if (ev == RCM_X12_NEED_MORE) {
            start = end;
            ci++;
            end = ci < ncuts ? cuts[ci] : n;
            rcm_x12_reader_feed(&r, data + start, end - start, end == n);
        } else {
            break;
        }
    }
    rcm_x12_reader_release(&r);
    return nseg;
}

/* One validation run collected as text: the validator tests' harness. */
struct x12t_run {
    char *ack;                 /* the 999 (and any TA1); malloc'd, "" when none */
    struct rcm_buf findings;   /* "code seg pos loop el:comp:rep ack\n" per finding */
    struct rcm_buf loops;      /* what the caller's on_segment appends */
    struct rcm_x12_stats st;
};

static inline void
x12t_on_finding(void *ctx, const struct rcm_x12_finding *f)
{
    struct x12t_run *r = ctx;
    if (rcm_buf_addf(&r->findings, "%s %s %u %s %d:%d:%d %s\n", f->code, f->seg_id,
                     f->set_position, f->loop_id, f->element, f->component,
                     f->repetition, f->ack_code) != RCM_OK)
        abort();
}

/* Set by suites that replay public samples, which carry dummy NPIs. */
static bool x12t_no_npi_check;

/* Validate p[0..n) with a fixed ack date and time; on_segment (may be NULL)
 * gets the run as its ctx. Fails the test when validation cannot run. */
static inline void
x12t_validate(struct x12t_run *r, const char *p, size_t n, rcm_x12_segment_fn on_segment)
{
    memset(r, 0, sizeof *r);
    rcm_buf_init(&r->findings, 1u << 24);
    rcm_buf_init(&r->loops, 1u << 24);
    struct rcm_buf ack = RCM_BUF_INIT(1u << 24);
    struct rcm_x12_validate_opts o = {
        .on_finding = x12t_on_finding, .on_segment = on_segment, .ctx = r, .ack = &ack,
        .ack_date = "20240101", .ack_time = "1200", .no_npi_check = x12t_no_npi_check,
    };
    if (rcm_x12_validate_buffer(p, n, &o, &r->st) != RCM_OK)
        abort();
    r->ack = rcm_buf_detach(&ack, NULL);
    if (!r->ack)
        r->ack = rcm_strdup("");
}

static inline void
x12t_run_free(struct x12t_run *r)
{
    rcm_free(r->ack);
    rcm_buf_release(&r->findings);
    rcm_buf_release(&r->loops);
}

#endif
