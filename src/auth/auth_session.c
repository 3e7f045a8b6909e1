/*
 * auth_session.c — session lifetime policy: idle timeout (default 15 min,
 * tenant-configurable up to 30) and a 12 h absolute lifetime (NIST SP
 * 800-63B §4.2.3 at AAL2; HIPAA §164.312(a)(2)(iii) automatic logoff) —
 * and the idle accounting that lets the server skip most activity
 * write-backs without ever ending a working user's session early.
 */
#include "rcm/auth.h"

int64_t
rcm_session_idle_ms(int64_t configured_ms)
{
    if (configured_ms <= 0)
        return RCM_SESSION_IDLE_DEFAULT_MS;
    if (configured_ms < RCM_SESSION_IDLE_MIN_MS)
        return RCM_SESSION_IDLE_MIN_MS;
    return configured_ms > RCM_SESSION_IDLE_MAX_MS ? RCM_SESSION_IDLE_MAX_MS : configured_ms;
}

int64_t
rcm_session_touch_slack_ms(int64_t idle_ms)
{
    return rcm_session_idle_ms(idle_ms) / RCM_SESSION_TOUCH_FRACTION;
}

bool
rcm_session_should_touch(int64_t last_seen_ms, int64_t now_ms, int64_t idle_ms)
{
    return now_ms - last_seen_ms > rcm_session_touch_slack_ms(idle_ms);
}

enum rcm_session_state
rcm_session_check(int64_t created_ms, int64_t last_seen_ms, int64_t now_ms, int64_t idle_ms)
{
    idle_ms = rcm_session_idle_ms(idle_ms);
    if (created_ms > now_ms || last_seen_ms > now_ms || last_seen_ms < created_ms)
        return RCM_SESSION_NOT_YET_VALID;
    if (now_ms - created_ms >= RCM_SESSION_ABSOLUTE_MS)
        return RCM_SESSION_ABSOLUTE_EXPIRED;
    /* the stored last_seen_ms lags real activity by at most the slack */
    if (now_ms - last_seen_ms >= idle_ms + rcm_session_touch_slack_ms(idle_ms))
        return RCM_SESSION_IDLE_EXPIRED;
    return RCM_SESSION_VALID;
}
