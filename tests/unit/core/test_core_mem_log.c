/* Arenas (caps, alignment, wipe), allocation-failure injection, JSON log lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcm/json.h"
#include "rcm/log.h"
#include "rcm/mem.h"
#include "rcm_test.h"

static void
arena_aligns_and_caps(void **state)
{
    (void)state;
    struct rcm_arena a;
    rcm_arena_init(&a, 10000, RCM_ARENA_WIPE);
    for (int i = 0; i < 100; i++) {
        void *p = rcm_arena_alloc(&a, (size_t)i + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
    }
    assert_null(rcm_arena_alloc(&a, 9000));       /* would pass the cap */
    char *s = rcm_arena_printf(&a, "%s-%d", "claim", 7);
    assert_string_equal(s, "claim-7");
    assert_string_equal(rcm_arena_strndup(&a, "E119xyz", 4), "E119");
    rcm_arena_release(&a);
    assert_int_equal(a.used_bytes, 0);
    /* reusable after release */
    assert_non_null(rcm_arena_alloc(&a, 9000));
    rcm_arena_release(&a);
}

static void
arena_large_blocks(void **state)
{
    (void)state;
    struct rcm_arena a;
    rcm_arena_init(&a, 0, 0);
    unsigned char *big = rcm_arena_zalloc(&a, 1 << 20);
    assert_non_null(big);
    assert_int_equal(big[(1 << 20) - 1], 0);
    rcm_arena_release(&a);
}

static void
torture_arena_allocation_failures(void **state)
{
    (void)state;
    /* Fail each allocation in turn; every failure must be clean (ASan
     * reports leaks and bad frees) and the arena must stay usable. */
    for (uint64_t n = 1; n < 20; n++) {
        struct rcm_arena a;
        rcm_arena_init(&a, 0, RCM_ARENA_WIPE);
        rcm_alloc_fail_after(n, 0);
        int failures = 0;
        for (int i = 0; i < 50; i++)
            if (!rcm_arena_alloc(&a, 3000))
                failures++;
        rcm_alloc_fail_after(0, 0);
        assert_true(failures <= 1);
        rcm_arena_release(&a);
    }
}

static void
log_lines_are_json(void **state)
{
    (void)state;
    char path[] = "/tmp/rcm-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    rcm_log_set_fd(fd);
    rcm_log_set_level(RCM_LOG_INFO);
    RCM_LOG(RCM_LOG_DEBUG, "hidden", NULL, RCM_LF_S("k", "v"));
    RCM_LOG(RCM_LOG_INFO, "http.request", "abc123", RCM_LF_S("route", "/v1/\"x\"\n"),
            RCM_LF_I("status", 404));
    rcm_log_set_fd(STDERR_FILENO);
    char buf[1024] = {0};
    assert_true(pread(fd, buf, sizeof buf - 1, 0) > 0);
    close(fd);
    unlink(path);
    assert_null(strstr(buf, "hidden"));
    assert_int_equal(strchr(buf, '\n') - buf + 1, (long)strlen(buf));   /* one line */
    json_t *v;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_json_parse(buf, strlen(buf), 4, &v, &d), RCM_OK);
    assert_string_equal(json_string_value(json_object_get(v, "event")), "http.request");
    assert_string_equal(json_string_value(json_object_get(v, "req_id")), "abc123");
    assert_string_equal(json_string_value(json_object_get(v, "route")), "/v1/\"x\"\n");
    assert_int_equal(json_integer_value(json_object_get(v, "status")), 404);
    assert_string_equal(json_string_value(json_object_get(v, "level")), "info");
    json_decref(v);
    assert_int_equal(rcm_log_level_parse("warn"), RCM_LOG_WARN);
    assert_int_equal(rcm_log_level_parse("loud"), -1);
}

static void
error_names_are_stable(void **state)
{
    (void)state;
    assert_string_equal(rcm_err_name(RCM_E_TOO_LARGE), "too_large");
    assert_string_equal(rcm_err_name(RCM_E_NOT_FOUND), "not_found");
    assert_string_equal(rcm_err_name((enum rcm_err)-999), "unknown");
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_diag_fail_at(&d, RCM_E_PARSE, 17, 2, "bad %s", "segment"),
                     RCM_E_PARSE);
    assert_int_equal(d.offset, 17);
    assert_int_equal(d.line, 2);
    assert_string_equal(d.msg, "bad segment");
    assert_int_equal(rcm_diag_fail(NULL, RCM_E_IO, "x"), RCM_E_IO);
}

RUN_TESTS(cmocka_unit_test(arena_aligns_and_caps),
          cmocka_unit_test(arena_large_blocks),
          cmocka_unit_test(torture_arena_allocation_failures),
          cmocka_unit_test(log_lines_are_json),
          cmocka_unit_test(error_names_are_stable))
