/* Login throttling decisions (pure). */
#include "rcm/auth.h"
#include "rcm_test.h"

static void
account_backoff_and_lockout(void **state)
{
    (void)state;
    struct rcm_throttle_policy p = rcm_throttle_policy_account();
    struct rcm_throttle_state s = {0, 0};
    int64_t now = 1700000000000;
    /* the first five failures cost nothing */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rcm_throttle_decide(&p, &s, now).action, RCM_THROTTLE_ALLOW);
        rcm_throttle_record_failure(&p, &s, now);
    }
    assert_int_equal(rcm_throttle_decide(&p, &s, now).action, RCM_THROTTLE_ALLOW);
    /* the sixth imposes 1 s, then 2 s, 4 s... */
    rcm_throttle_record_failure(&p, &s, now);
    struct rcm_throttle_decision d = rcm_throttle_decide(&p, &s, now + 400);
    assert_int_equal(d.action, RCM_THROTTLE_DELAY);
    assert_int_equal(d.retry_after_ms, 600);
    assert_int_equal(rcm_throttle_decide(&p, &s, now + 1000).action, RCM_THROTTLE_ALLOW);
    assert_int_equal(rcm_throttle_delay_ms(&p, 7), 2000);
    assert_int_equal(rcm_throttle_delay_ms(&p, 8), 4000);
    assert_int_equal(rcm_throttle_delay_ms(&p, 30), 15 * 60 * 1000);    /* capped */
    assert_int_equal(rcm_throttle_delay_ms(&p, 99), 15 * 60 * 1000);
    /* a clock step backwards does not shorten the wait */
    d = rcm_throttle_decide(&p, &s, now - 5000);
    assert_int_equal(d.action, RCM_THROTTLE_DELAY);
    assert_int_equal(d.retry_after_ms, 1000);
    /* failures are never forgotten for accounts; 100 consecutive lock it */
    while (s.failures < 99)
        rcm_throttle_record_failure(&p, &s, now);
    assert_int_equal(rcm_throttle_decide(&p, &s, now + 86400000LL * 365).action,
                     RCM_THROTTLE_ALLOW);
    rcm_throttle_record_failure(&p, &s, now);
    assert_int_equal(s.failures, 100);
    d = rcm_throttle_decide(&p, &s, now + 86400000LL * 365);
    assert_int_equal(d.action, RCM_THROTTLE_LOCKED);
    assert_int_equal(d.retry_after_ms, -1);
    /* an admin unlock (or a success) resets */
    rcm_throttle_record_success(&s);
    assert_int_equal(s.failures, 0);
    assert_int_equal(rcm_throttle_decide(&p, &s, now).action, RCM_THROTTLE_ALLOW);
}

static void
ip_policy_forgets_and_unblocks(void **state)
{
    (void)state;
    struct rcm_throttle_policy p = rcm_throttle_policy_ip();
    struct rcm_throttle_state s = {0, 0};
    int64_t now = 1700000000000;
    for (int i = 0; i < 20; i++)
        rcm_throttle_record_failure(&p, &s, now);
    assert_int_equal(rcm_throttle_decide(&p, &s, now).action, RCM_THROTTLE_ALLOW);
    rcm_throttle_record_failure(&p, &s, now);
    assert_int_equal(rcm_throttle_decide(&p, &s, now).action, RCM_THROTTLE_DELAY);
    assert_int_equal(rcm_throttle_delay_ms(&p, 40), 5 * 60 * 1000);
    /* blocked for an hour at 1000 */
    s.failures = 999;
    rcm_throttle_record_failure(&p, &s, now);
    struct rcm_throttle_decision d = rcm_throttle_decide(&p, &s, now + 1000);
    assert_int_equal(d.action, RCM_THROTTLE_LOCKED);
    assert_int_equal(d.retry_after_ms, 3600000 - 1000);
    assert_int_equal(rcm_throttle_decide(&p, &s, now + 3600000).action, RCM_THROTTLE_ALLOW);
    /* after 24 h of quiet the counter starts over */
    assert_int_equal(rcm_throttle_decide(&p, &s, now + 86400000).action, RCM_THROTTLE_ALLOW);
    rcm_throttle_record_failure(&p, &s, now + 86400000);
    assert_int_equal(s.failures, 1);
    /* the counter saturates instead of wrapping */
    s.failures = UINT32_MAX;
    s.last_failure_ms = now;
    rcm_throttle_record_failure(&p, &s, now);
    assert_int_equal(s.failures, UINT32_MAX);
}

RUN_TESTS(cmocka_unit_test(account_backoff_and_lockout),
          cmocka_unit_test(ip_policy_forgets_and_unblocks))
