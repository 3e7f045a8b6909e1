/*
 * auth_throttle.c — login throttling as pure functions over counters the
 * caller stores: exponential back-off after a few free failures, lockout
 * after 100 consecutive failures per account (NIST SP 800-63B §5.2.2).
 */
#include "rcm/auth.h"

#define MINUTE_MS (60 * 1000)
#define HOUR_MS (60 * MINUTE_MS)

struct rcm_throttle_policy
rcm_throttle_policy_account(void)
{
    return (struct rcm_throttle_policy){
        .free_failures = 5, .base_delay_ms = 1000, .max_delay_ms = 15 * MINUTE_MS,
        .lockout_failures = 100, .lockout_ms = 0, .forget_after_ms = 0};
}

struct rcm_throttle_policy
rcm_throttle_policy_ip(void)
{
    return (struct rcm_throttle_policy){
        .free_failures = 20, .base_delay_ms = 1000, .max_delay_ms = 5 * MINUTE_MS,
        .lockout_failures = 1000, .lockout_ms = HOUR_MS, .forget_after_ms = 24 * HOUR_MS};
}

int64_t
rcm_throttle_delay_ms(const struct rcm_throttle_policy *policy, uint32_t failures)
{
    if (failures <= policy->free_failures || policy->base_delay_ms <= 0)
        return 0;
    uint32_t doublings = failures - policy->free_failures - 1;
    int64_t delay = policy->base_delay_ms;
    for (uint32_t i = 0; i < doublings && delay < policy->max_delay_ms; i++)
        delay *= 2;
    return delay < policy->max_delay_ms ? delay : policy->max_delay_ms;
}

/* Failures still counting at now_ms (0 once forget_after_ms has passed). */
static uint32_t
live_failures(const struct rcm_throttle_policy *policy, const struct rcm_throttle_state *state,
              int64_t now_ms)
{
    if (policy->forget_after_ms > 0 && state->failures > 0 &&
        now_ms - state->last_failure_ms >= policy->forget_after_ms)
        return 0;
    return state->failures;
}

struct rcm_throttle_decision
rcm_throttle_decide(const struct rcm_throttle_policy *policy,
                    const struct rcm_throttle_state *state, int64_t now_ms)
{
    uint32_t failures = live_failures(policy, state, now_ms);
    int64_t since = now_ms - state->last_failure_ms;
    if (since < 0)
        since = 0;      /* a clock step backwards must not shorten a wait */
    if (policy->lockout_failures > 0 && failures >= policy->lockout_failures) {
        if (policy->lockout_ms <= 0)
            return (struct rcm_throttle_decision){RCM_THROTTLE_LOCKED, -1};
        if (since < policy->lockout_ms)
            return (struct rcm_throttle_decision){RCM_THROTTLE_LOCKED,
                                                  policy->lockout_ms - since};
        return (struct rcm_throttle_decision){RCM_THROTTLE_ALLOW, 0};
    }
    int64_t delay = rcm_throttle_delay_ms(policy, failures);
    if (delay > 0 && since < delay)
        return (struct rcm_throttle_decision){RCM_THROTTLE_DELAY, delay - since};
    return (struct rcm_throttle_decision){RCM_THROTTLE_ALLOW, 0};
}

void
rcm_throttle_record_failure(const struct rcm_throttle_policy *policy,
                            struct rcm_throttle_state *state, int64_t now_ms)
{
    uint32_t failures = live_failures(policy, state, now_ms);
    state->failures = failures < UINT32_MAX ? failures + 1 : failures;
    state->last_failure_ms = now_ms;
}

void
rcm_throttle_record_success(struct rcm_throttle_state *state)
{
    state->failures = 0;
    state->last_failure_ms = 0;
}
