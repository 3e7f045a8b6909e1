/*
 * fuzz_x12_validate.c — reader + validator + 999/TA1 writer + JSON writer +
 * model builder (situational rules on) on arbitrary bytes; the JSON must
 * convert back and every 999 produced must read back as an interchange.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rcm/x12.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct both {
    struct rcm_x12_json_writer *w;
    struct rcm_x12_model *m;
};

static void
on_seg(void *ctx, const struct rcm_x12_seg *seg, const struct rcm_x12_loop_ctx *l)
{
    struct both *b = ctx;
    rcm_x12_json_writer_segment(b->w, seg, l);
    rcm_x12_model_segment(b->m, seg, l);
}

static void on_claim(void *ctx, const struct rcm_x12_claim *c) { (void)ctx; (void)c; }
static void on_pay(void *ctx, const struct rcm_x12_remit *r,
                   const struct rcm_x12_claim_payment *p) { (void)ctx; (void)r; (void)p; }

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rcm_buf ack = RCM_BUF_INIT(1u << 24);
    struct rcm_buf json = RCM_BUF_INIT(1u << 26);
    struct rcm_x12_json_writer w;
    rcm_x12_json_writer_init(&w, &json);
    static struct rcm_x12_model m;
    rcm_x12_model_init(&m, on_claim, on_pay, NULL);
    struct both b = {&w, &m};
    struct rcm_x12_validate_opts o = {
        .ack = &ack, .ack_date = "20240101", .ack_time = "1200",
        .on_segment = on_seg, .ctx = &b, .situational = true,
    };
    struct rcm_x12_stats st;
    enum rcm_err e = rcm_x12_validate_buffer((const char *)data, size, &o, &st);
    rcm_x12_model_finish(&m);
    if (e == RCM_OK && rcm_x12_json_writer_finish(&w) == RCM_OK) {
        /* the JSON must convert back without error */
        struct rcm_buf back = RCM_BUF_INIT(1u << 26);
        if (rcm_x12_from_json(json.data, json.len, &back, NULL) != RCM_OK)
            abort();
        rcm_buf_release(&back);
        /* our own 999 must read without reader errors */
        if (ack.len) {
            struct rcm_x12_stats st2;
            struct rcm_x12_validate_opts o2 = {0};
            if (rcm_x12_validate_buffer(ack.data, ack.len, &o2, &st2) != RCM_OK ||
                st2.interchanges == 0)
                abort();
        }
    }
    rcm_buf_release(&ack);
    rcm_buf_release(&json);
    return 0;
}
