/*
 * auth_pwhash_gate.c — admission control for password hashing: at most N
 * Argon2id computations at once, at most M callers waiting, the rest told
 * to come back later (see rcm/auth.h).
 */
#include <errno.h>
#include <time.h>

#include "rcm/auth.h"

enum rcm_err
rcm_pwhash_gate_init(struct rcm_pwhash_gate *gate, unsigned max_running, unsigned max_waiting)
{
    *gate = (struct rcm_pwhash_gate){.max_running = max_running, .max_waiting = max_waiting};
    if (max_running == 0)
        return RCM_E_INVAL;
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return RCM_E_NOMEM;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&gate->cv, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return RCM_E_NOMEM;
    if (pthread_mutex_init(&gate->mu, NULL) != 0) {
        pthread_cond_destroy(&gate->cv);
        return RCM_E_NOMEM;
    }
    return RCM_OK;
}

void
rcm_pwhash_gate_destroy(struct rcm_pwhash_gate *gate)
{
    pthread_mutex_destroy(&gate->mu);
    pthread_cond_destroy(&gate->cv);
}

/* now + ms on CLOCK_MONOTONIC. */
static struct timespec
deadline_after(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

enum rcm_err
rcm_pwhash_gate_enter(struct rcm_pwhash_gate *gate, int64_t timeout_ms)
{
    pthread_mutex_lock(&gate->mu);
    if (gate->running < gate->max_running && gate->waiting == 0) {
        gate->running++;
        gate->admitted++;
        pthread_mutex_unlock(&gate->mu);
        return RCM_OK;
    }
    if (gate->waiting >= gate->max_waiting || timeout_ms <= 0) {
        gate->refused++;
        pthread_mutex_unlock(&gate->mu);
        return RCM_E_BUSY;
    }
    struct timespec until = deadline_after(timeout_ms);
    gate->waiting++;
    int rc = 0;
    while (gate->running >= gate->max_running && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&gate->cv, &gate->mu, &until);
    gate->waiting--;
    enum rcm_err err = RCM_E_BUSY;
    if (gate->running < gate->max_running) {
        gate->running++;
        gate->admitted++;
        err = RCM_OK;
    } else {
        gate->refused++;
    }
    pthread_mutex_unlock(&gate->mu);
    return err;
}

void
rcm_pwhash_gate_leave(struct rcm_pwhash_gate *gate)
{
    pthread_mutex_lock(&gate->mu);
    if (gate->running > 0)
        gate->running--;
    pthread_cond_signal(&gate->cv);
    pthread_mutex_unlock(&gate->mu);
}
