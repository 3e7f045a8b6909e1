/* Session idle/absolute lifetime policy. */
#include "rcm/auth.h"
#include "rcm_test.h"

#define MIN_MS (60 * 1000LL)

static void
idle_clamp(void **state)
{
    (void)state;
    assert_int_equal(rcm_session_idle_ms(0), 15 * MIN_MS);
    assert_int_equal(rcm_session_idle_ms(-5), 15 * MIN_MS);
    assert_int_equal(rcm_session_idle_ms(10 * MIN_MS), 10 * MIN_MS);
    assert_int_equal(rcm_session_idle_ms(45 * MIN_MS), 30 * MIN_MS);
    assert_int_equal(rcm_session_idle_ms(1000), MIN_MS);
}

static void
expiry(void **state)
{
    (void)state;
    const int64_t t0 = 1700000000000LL;
    assert_int_equal(rcm_session_check(t0, t0, t0, 0), RCM_SESSION_VALID);
    /* 15 min idle plus the write-back slack of a sixteenth (56.25 s) */
    const int64_t idle15 = 15 * MIN_MS + 15 * MIN_MS / 16;
    assert_int_equal(rcm_session_check(t0, t0, t0 + idle15 - 1, 0), RCM_SESSION_VALID);
    assert_int_equal(rcm_session_check(t0, t0, t0 + idle15, 0), RCM_SESSION_IDLE_EXPIRED);
    /* a tenant asking for 60 min gets 30 (+ 112.5 s slack) */
    assert_int_equal(rcm_session_check(t0, t0, t0 + 32 * MIN_MS, 60 * MIN_MS),
                     RCM_SESSION_IDLE_EXPIRED);
    assert_int_equal(rcm_session_check(t0, t0, t0 + 31 * MIN_MS, 60 * MIN_MS), RCM_SESSION_VALID);
    /* active all along, still ends at 12 h */
    int64_t end = t0 + 12 * 60 * MIN_MS;
    assert_int_equal(rcm_session_check(t0, end - 1000, end - 1, 0), RCM_SESSION_VALID);
    assert_int_equal(rcm_session_check(t0, end - 1000, end, 0), RCM_SESSION_ABSOLUTE_EXPIRED);
    /* clock trouble */
    assert_int_equal(rcm_session_check(t0 + 1, t0 + 1, t0, 0), RCM_SESSION_NOT_YET_VALID);
    assert_int_equal(rcm_session_check(t0, t0 - 1, t0, 0), RCM_SESSION_NOT_YET_VALID);
}

static void
touch_rule(void **state)
{
    (void)state;
    const int64_t t0 = 1700000000000LL;
    assert_int_equal(rcm_session_touch_slack_ms(MIN_MS), 3750);
    assert_int_equal(rcm_session_touch_slack_ms(0), 15 * MIN_MS / 16);
    assert_int_equal(rcm_session_touch_slack_ms(1000), 3750);      /* clamped to 1 min */
    assert_false(rcm_session_should_touch(t0, t0, MIN_MS));
    assert_false(rcm_session_should_touch(t0, t0 + 3750, MIN_MS));
    assert_true(rcm_session_should_touch(t0, t0 + 3751, MIN_MS));
    assert_false(rcm_session_should_touch(t0, t0 + 56250, 15 * MIN_MS));
    assert_true(rcm_session_should_touch(t0, t0 + 56251, 15 * MIN_MS));
}

/*
 * The property the accounting exists for: whatever the request pattern, a
 * session is never ended before idle_ms of real inactivity, and always
 * ended by idle_ms + slack. Simulates the server's loop (check, then write
 * back when the rule says so) over request gaps of every size.
 */
static void
never_shorter_than_configured(void **state)
{
    (void)state;
    const int64_t idles[] = {MIN_MS, 2 * MIN_MS, 15 * MIN_MS, 30 * MIN_MS};
    for (size_t k = 0; k < sizeof idles / sizeof idles[0]; k++) {
        int64_t idle = idles[k], slack = rcm_session_touch_slack_ms(idle);
        for (int64_t gap = 1000; gap <= idle + slack + 2000; gap += 997) {
            const int64_t t0 = 1700000000000LL;
            int64_t stored = t0, last_real = t0, now = t0;
            for (int i = 0; i < 200 && now + gap - t0 < RCM_SESSION_ABSOLUTE_MS; i++) {
                now += gap;
                enum rcm_session_state st = rcm_session_check(t0, stored, now, idle);
                if (now - last_real < idle)
                    assert_int_equal(st, RCM_SESSION_VALID);
                if (now - last_real >= idle + slack)
                    assert_int_equal(st, RCM_SESSION_IDLE_EXPIRED);
                if (st != RCM_SESSION_VALID)
                    break;
                last_real = now;
                if (rcm_session_should_touch(stored, now, idle))
                    stored = now;
                assert_true(last_real - stored <= slack);
            }
        }
    }
}

RUN_TESTS(cmocka_unit_test(idle_clamp), cmocka_unit_test(expiry), cmocka_unit_test(touch_rule),
          cmocka_unit_test(never_shorter_than_configured))
