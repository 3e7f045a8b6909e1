/* Password-hashing admission gate: concurrency bound, queue bound, timeout. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "rcm/auth.h"
#include "rcm/crypto.h"
#include "rcm_test.h"

static struct rcm_pwhash_gate gate;
static atomic_int inside, peak, ok_count, busy_count;

static void *
worker(void *arg)
{
    (void)arg;
    if (rcm_pwhash_gate_enter(&gate, 5000) != RCM_OK) {
        atomic_fetch_add(&busy_count, 1);
        return NULL;
    }
    int now = atomic_fetch_add(&inside, 1) + 1;
    int p = atomic_load(&peak);
    while (now > p && !atomic_compare_exchange_weak(&peak, &p, now))
        ;
    /* a real (small) Argon2id hash while holding the slot */
    static const struct rcm_pwhash_params params = {1, 1u << 20};
    char h[RCM_PWHASH_STR_BYTES];
    if (rcm_pwhash("some password", 13, &params, h) == RCM_OK)
        atomic_fetch_add(&ok_count, 1);
    atomic_fetch_sub(&inside, 1);
    rcm_pwhash_gate_leave(&gate);
    return NULL;
}

static void
bounds_concurrency(void **state)
{
    (void)state;
    assert_int_equal(rcm_pwhash_gate_init(&gate, 2, 16), RCM_OK);
    enum { N = 12 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, NULL), 0);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&ok_count), N);
    assert_int_equal(atomic_load(&busy_count), 0);
    assert_true(atomic_load(&peak) >= 1 && atomic_load(&peak) <= 2);
    assert_int_equal(gate.admitted, N);
    assert_int_equal(gate.running, 0);
    rcm_pwhash_gate_destroy(&gate);
}

static void
refuses_when_full_or_timed_out(void **state)
{
    (void)state;
    assert_int_equal(rcm_pwhash_gate_init(&gate, 1, 0), RCM_OK);
    assert_int_equal(rcm_pwhash_gate_enter(&gate, 1000), RCM_OK);
    /* no queue: refused at once */
    assert_int_equal(rcm_pwhash_gate_enter(&gate, 1000), RCM_E_BUSY);
    rcm_pwhash_gate_destroy(&gate);

    assert_int_equal(rcm_pwhash_gate_init(&gate, 1, 4), RCM_OK);
    assert_int_equal(rcm_pwhash_gate_enter(&gate, 1000), RCM_OK);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(rcm_pwhash_gate_enter(&gate, 50), RCM_E_BUSY);    /* waits, times out */
    clock_gettime(CLOCK_MONOTONIC, &b);
    long waited_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    assert_true(waited_ms >= 45);
    assert_int_equal(rcm_pwhash_gate_enter(&gate, 0), RCM_E_BUSY);     /* no wait */
    assert_int_equal(gate.refused, 2);
    rcm_pwhash_gate_leave(&gate);
    assert_int_equal(rcm_pwhash_gate_enter(&gate, 0), RCM_OK);
    rcm_pwhash_gate_leave(&gate);
    rcm_pwhash_gate_destroy(&gate);
    assert_int_equal(rcm_pwhash_gate_init(&gate, 0, 1), RCM_E_INVAL);
}

RUN_TESTS(cmocka_unit_test(bounds_concurrency), cmocka_unit_test(refuses_when_full_or_timed_out))
