/*
 * rcm/auth.h — authentication policy as pure functions: the password rules
 * (NIST SP 800-63B), the shipped common-password list, and login
 * throttling decisions. No I/O beyond loading the list, no SQL, no HTTP:
 * the caller stores counters and hashes (see docs/security.md).
 */
#ifndef RCM_AUTH_H
#define RCM_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"

/* ---- common / breached passwords (auth_pwlist.c) ----------------------- */

/* The list shipped with the product (embedded in the binary). */
#define RCM_PWLIST_EMBEDDED_PATH "data/auth/common-passwords.txt"
#define RCM_PWLIST_MAX_BYTES (64u << 20)

/*
 * A sorted list of lower-case passwords, one per line (LC_ALL=C order, no
 * duplicates), searched by binary search. Built by
 * scripts/auth-build-password-list.
 */
struct rcm_pwlist {
    char *text;             /* owned copy of the file, '\n' replaced by NUL */
    const char **entries;   /* owned array of pointers into text */
    size_t count;
};

/* Load from a file. RCM_E_PARSE (with the line in diag) when the lines are
 * not strictly ascending or contain a NUL / upper-case letter;
 * RCM_E_TOO_LARGE past RCM_PWLIST_MAX_BYTES. Never quotes entries. */
RCM_MUST_CHECK enum rcm_err rcm_pwlist_load(const char *path, struct rcm_pwlist *out,
                                            struct rcm_diag *diag);
/* Load from a buffer (e.g. the embedded copy). */
RCM_MUST_CHECK enum rcm_err rcm_pwlist_load_mem(const char *p, size_t n,
                                                struct rcm_pwlist *out,
                                                struct rcm_diag *diag);
/* Load the copy compiled into the binary. */
RCM_MUST_CHECK enum rcm_err rcm_pwlist_load_embedded(struct rcm_pwlist *out,
                                                     struct rcm_diag *diag);
void rcm_pwlist_release(struct rcm_pwlist *list);

/* True when `password` (ASCII letters compared case-insensitively) is on
 * the list. */
bool rcm_pwlist_contains(const struct rcm_pwlist *list, const char *password, size_t n);

/* ---- password policy (auth_password_policy.c) -------------------------- */

#define RCM_PASSWORD_MIN_WITH_MFA 8         /* code points */
#define RCM_PASSWORD_MIN_ONLY_FACTOR 15     /* code points (SP 800-63B rev. 4) */
#define RCM_PASSWORD_POLICY_MAX_BYTES 256   /* at least 64 characters fit */
#define RCM_CONTEXT_WORD_MIN_LEN 4

enum rcm_pw_verdict {
    RCM_PW_OK = 0,
    RCM_PW_TOO_SHORT,       /* fewer code points than the minimum */
    RCM_PW_TOO_LONG,        /* more than RCM_PASSWORD_POLICY_MAX_BYTES bytes */
    RCM_PW_NOT_UTF8,        /* malformed UTF-8 */
    RCM_PW_CONTROL_CHAR,    /* a C0 control character or DEL */
    RCM_PW_COMMON,          /* on the common/breached-password list */
    RCM_PW_CONTEXT,         /* contains the username, email or another context word */
    RCM_PW_REPETITIVE,      /* one short unit repeated ("aaaaaaaa", "abcabcabc") */
    RCM_PW_SEQUENTIAL,      /* a run like "12345678" or "zyxwvuts" */
};

/*
 * Prepare a password for checking and hashing: well-formed UTF-8 required
 * (RCM_E_PARSE), then Unicode NFKC normalisation (SP 800-63B §5.1.1.2) so
 * the same password typed on different devices (composed "é" or "e" +
 * combining accent, full-width letters, ligatures) hashes the same. At
 * most RCM_PASSWORD_POLICY_MAX_BYTES bytes before and after
 * (RCM_E_TOO_LARGE). Hash and verify the prepared bytes, never the raw
 * ones. `out` is wiped on failure.
 */
RCM_MUST_CHECK enum rcm_err rcm_auth_password_prepare(const char *raw, size_t n,
                                                      char out[RCM_PASSWORD_POLICY_MAX_BYTES],
                                                      size_t *out_len);

struct rcm_pw_check {
    enum rcm_pw_verdict verdict;
    size_t min_codepoints;  /* the minimum that applied */
    size_t codepoints;      /* length of the candidate in code points */
};

/*
 * Check a candidate password against the policy; the password is prepared
 * (NFKC, see above) first, so lengths count code points of the normalised
 * form. `only_factor` is true
 * when the account has no second factor (minimum 15, else 8). `list` may
 * be NULL (then the list check is skipped — callers should not). `context`
 * holds `n_context` words (username, email, tenant name...); an email
 * counts both whole and as its local part; each word of at least
 * RCM_CONTEXT_WORD_MIN_LEN characters must not appear in the password
 * (ASCII case-insensitive). No composition rules.
 */
struct rcm_pw_check rcm_auth_password_check(const char *password, size_t n, bool only_factor,
                                            const struct rcm_pwlist *list,
                                            const char *const *context, size_t n_context);

/* A message for the user, never containing the password, e.g.
 * "password must be at least 15 characters". Writes into out. */
void rcm_auth_password_message(const struct rcm_pw_check *check, char *out, size_t out_cap);

/* Stable machine name of a verdict ("too_short", "common", ...). */
const char *rcm_pw_verdict_name(enum rcm_pw_verdict verdict);

/* ---- throttling (auth_throttle.c) -------------------------------------- */

/*
 * Counters the caller stores per account and per source IP. A failed
 * attempt calls rcm_throttle_record_failure, a success
 * rcm_throttle_record_success; before checking credentials the caller
 * asks rcm_throttle_decide.
 */
struct rcm_throttle_state {
    uint32_t failures;          /* consecutive failures */
    int64_t last_failure_ms;    /* epoch ms of the last failure; 0 if none */
};

struct rcm_throttle_policy {
    uint32_t free_failures;     /* failures allowed with no delay */
    int64_t base_delay_ms;      /* delay after the first counted failure */
    int64_t max_delay_ms;       /* cap of the exponential back-off */
    uint32_t lockout_failures;  /* locked at this many; 0 = never */
    int64_t lockout_ms;         /* lock duration; 0 = until an admin unlocks */
    int64_t forget_after_ms;    /* quiet time after which failures reset; 0 = never */
};

/* Per account: 5 free, 1 s doubling to 15 min, locked at 100 consecutive
 * failures (SP 800-63B §5.2.2) until an admin unlocks, never forgotten. */
struct rcm_throttle_policy rcm_throttle_policy_account(void);
/* Per IP: 20 free, 1 s doubling to 5 min, blocked for 1 h at 1000, failures
 * forgotten after 24 h quiet. */
struct rcm_throttle_policy rcm_throttle_policy_ip(void);

enum rcm_throttle_action {
    RCM_THROTTLE_ALLOW = 0,     /* go ahead and check the credentials */
    RCM_THROTTLE_DELAY,         /* refuse now; retry after retry_after_ms */
    RCM_THROTTLE_LOCKED,        /* locked; retry_after_ms = -1 when only an admin can unlock */
};

struct rcm_throttle_decision {
    enum rcm_throttle_action action;
    int64_t retry_after_ms;     /* 0 when allowed */
};

/* The decision for an attempt at `now_ms`. Pure. */
struct rcm_throttle_decision rcm_throttle_decide(const struct rcm_throttle_policy *policy,
                                                 const struct rcm_throttle_state *state,
                                                 int64_t now_ms);
/* The delay the back-off imposes after `failures` failures. Pure. */
int64_t rcm_throttle_delay_ms(const struct rcm_throttle_policy *policy, uint32_t failures);

/* Update the counters after a failed attempt (forgetting old failures
 * first when the policy says so). Saturates, never wraps. */
void rcm_throttle_record_failure(const struct rcm_throttle_policy *policy,
                                 struct rcm_throttle_state *state, int64_t now_ms);
/* Reset the counters (a successful login, or an admin unlock). */
void rcm_throttle_record_success(struct rcm_throttle_state *state);

/* ---- password-hashing admission gate (auth_pwhash_gate.c) ---------------- */

/*
 * Bounds how many Argon2id hashes/verifies run at once (each takes ~100 ms
 * of a core and 64 MiB) and how many more may wait, so a burst of logins
 * cannot starve the request threads or exhaust memory: with max_running = 1
 * on this 2-core machine one core always stays free for other requests.
 * A caller that cannot get in promptly gets RCM_E_BUSY and should answer
 * 503 with Retry-After rather than queue without bound.
 *
 *   if (rcm_pwhash_gate_enter(&gate, 2000) == RCM_OK) {
 *       err = rcm_pwhash_verify(...);
 *       rcm_pwhash_gate_leave(&gate);
 *   }
 */
struct rcm_pwhash_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned running, waiting;
    unsigned max_running, max_waiting;
    uint64_t admitted, refused;     /* counters for metrics */
};

/* max_running >= 1; max_waiting may be 0 (no queue). RCM_E_INVAL / RCM_E_NOMEM. */
RCM_MUST_CHECK enum rcm_err rcm_pwhash_gate_init(struct rcm_pwhash_gate *gate,
                                                 unsigned max_running, unsigned max_waiting);
void rcm_pwhash_gate_destroy(struct rcm_pwhash_gate *gate);

/* Wait up to timeout_ms for a slot. RCM_OK (call rcm_pwhash_gate_leave
 * afterwards) or RCM_E_BUSY (queue full, or the wait timed out). */
RCM_MUST_CHECK enum rcm_err rcm_pwhash_gate_enter(struct rcm_pwhash_gate *gate,
                                                  int64_t timeout_ms);
void rcm_pwhash_gate_leave(struct rcm_pwhash_gate *gate);

/* ---- session lifetime policy (auth_session.c) ----------------------------- */

#define RCM_SESSION_IDLE_DEFAULT_MS (15 * 60 * 1000LL)     /* 15 min */
#define RCM_SESSION_IDLE_MAX_MS (30 * 60 * 1000LL)         /* tenant setting cap */
#define RCM_SESSION_IDLE_MIN_MS (60 * 1000LL)              /* 1 min */
#define RCM_SESSION_ABSOLUTE_MS (12 * 60 * 60 * 1000LL)    /* 12 h */

/* A tenant's configured idle timeout clamped to [1 min, 30 min]; 0 or a
 * negative value means the default (15 min). */
int64_t rcm_session_idle_ms(int64_t configured_ms);

enum rcm_session_state {
    RCM_SESSION_VALID = 0,
    RCM_SESSION_IDLE_EXPIRED,       /* no activity for idle_ms */
    RCM_SESSION_ABSOLUTE_EXPIRED,   /* older than RCM_SESSION_ABSOLUTE_MS */
    RCM_SESSION_NOT_YET_VALID,      /* created or last seen in the future: clock trouble */
};

/*
 * Idle accounting. Activity is not written back on every request: the
 * stored last_seen_ms may lag the last real activity by up to a slack of
 * 1/RCM_SESSION_TOUCH_FRACTION of the (clamped) idle timeout —
 * rcm_session_should_touch says when to write back — and rcm_session_check
 * tolerates exactly that slack, so a session is never ended before idle_ms
 * of real inactivity (it may live up to idle_ms + slack after the last
 * request: 15 min → at most 15 min 56 s).
 */
#define RCM_SESSION_TOUCH_FRACTION 16
int64_t rcm_session_touch_slack_ms(int64_t idle_ms);

/* Whether a request at now_ms must write now_ms back as last_seen_ms: more
 * than rcm_session_touch_slack_ms(idle_ms) has passed since last_seen_ms. */
bool rcm_session_should_touch(int64_t last_seen_ms, int64_t now_ms, int64_t idle_ms);

/*
 * Whether a session created at created_ms and last written back at
 * last_seen_ms is still usable at now_ms with the (clamped) idle timeout.
 * Pure; the caller writes back activity (rcm_session_should_touch) on VALID
 * and revokes otherwise. Idle expiry is at idle_ms + slack since the stored
 * last_seen_ms (boundary expires), which is never less than idle_ms since
 * the last real activity.
 */
enum rcm_session_state rcm_session_check(int64_t created_ms, int64_t last_seen_ms,
                                         int64_t now_ms, int64_t idle_ms);

#endif
