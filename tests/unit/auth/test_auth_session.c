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
    assert_int_equal(rcm_session_check(t0, t0, t0 + 15 * MIN_MS - 1, 0), RCM_SESSION_VALID);
    assert_int_equal(rcm_session_check(t0, t0, t0 + 15 * MIN_MS, 0), RCM_SESSION_IDLE_EXPIRED);
    /* a tenant asking for 60 min gets 30 */
    assert_int_equal(rcm_session_check(t0, t0, t0 + 31 * MIN_MS, 60 * MIN_MS),
                     RCM_SESSION_IDLE_EXPIRED);
    assert_int_equal(rcm_session_check(t0, t0, t0 + 29 * MIN_MS, 60 * MIN_MS), RCM_SESSION_VALID);
    /* active all along, still ends at 12 h */
    int64_t end = t0 + 12 * 60 * MIN_MS;
    assert_int_equal(rcm_session_check(t0, end - 1000, end - 1, 0), RCM_SESSION_VALID);
    assert_int_equal(rcm_session_check(t0, end - 1000, end, 0), RCM_SESSION_ABSOLUTE_EXPIRED);
    /* clock trouble */
    assert_int_equal(rcm_session_check(t0 + 1, t0 + 1, t0, 0), RCM_SESSION_NOT_YET_VALID);
    assert_int_equal(rcm_session_check(t0, t0 - 1, t0, 0), RCM_SESSION_NOT_YET_VALID);
}

RUN_TESTS(cmocka_unit_test(idle_clamp), cmocka_unit_test(expiry))
