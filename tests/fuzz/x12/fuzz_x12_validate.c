/*
 * fuzz_x12_validate.c — reader + validator + 999/TA1 writer + JSON writer
 * on arbitrary bytes; every 999 produced must itself read back cleanly.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rcm/x12.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rcm_buf ack = RCM_BUF_INIT(1u << 24);
    struct rcm_buf json = RCM_BUF_INIT(1u << 26);
    struct rcm_x12_json_writer w;
    rcm_x12_json_writer_init(&w, &json);
    struct rcm_x12_validate_opts o = {
        .ack = &ack, .ack_date = "20240101", .ack_time = "1200",
        .on_segment = rcm_x12_json_writer_segment, .ctx = &w,
    };
    struct rcm_x12_stats st;
    if (rcm_x12_validate_buffer((const char *)data, size, &o, &st) == RCM_OK &&
        rcm_x12_json_writer_finish(&w) == RCM_OK) {
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
