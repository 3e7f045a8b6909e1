/*
 * api_throttle.c — failed logins per client address, kept in memory.
 *
 * 4096 slots, 8-way probing by a hash of the address; a new address takes a
 * free slot or evicts the probed slot with the oldest failure. The decision
 * itself is the pure policy of src/auth (rcm_throttle_policy_ip).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"

#define SLOTS 4096
#define PROBES 8
#define IP_MAX 46

struct slot {
    char ip[IP_MAX];
    struct rcm_throttle_state state;
};

struct api_ip_throttle {
    pthread_mutex_t mu;
    struct rcm_throttle_policy policy;
    struct slot slots[SLOTS];
};

struct api_ip_throttle *
api_ip_throttle_new(void)
{
    struct api_ip_throttle *t = rcm_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    pthread_mutex_init(&t->mu, NULL);
    t->policy = rcm_throttle_policy_ip();
    return t;
}

void
api_ip_throttle_free(struct api_ip_throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->mu);
    rcm_free(t);
}

static uint32_t
hash(const char *s)
{
    uint32_t h = 2166136261u;      /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* The slot for `ip` (mutex held); with `create`, claim one. NULL if none. */
static struct slot *
find(struct api_ip_throttle *t, const char *ip, bool create)
{
    uint32_t h = hash(ip);
    struct slot *victim = NULL;
    for (int i = 0; i < PROBES; i++) {
        struct slot *s = &t->slots[(h + (uint32_t)i) % SLOTS];
        if (strcmp(s->ip, ip) == 0)
            return s;
        if (!victim || s->state.last_failure_ms < victim->state.last_failure_ms)
            victim = s;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    snprintf(victim->ip, IP_MAX, "%s", ip);
    return victim;
}

struct rcm_throttle_decision
api_ip_throttle_decide(struct api_ip_throttle *t, const char *ip, int64_t now_ms)
{
    struct rcm_throttle_decision d = {RCM_THROTTLE_ALLOW, 0};
    if (!t || !ip || !ip[0])
        return d;
    pthread_mutex_lock(&t->mu);
    struct slot *s = find(t, ip, false);
    if (s)
        d = rcm_throttle_decide(&t->policy, &s->state, now_ms);
    pthread_mutex_unlock(&t->mu);
    return d;
}

void
api_ip_throttle_failed(struct api_ip_throttle *t, const char *ip, int64_t now_ms)
{
    if (!t || !ip || !ip[0])
        return;
    pthread_mutex_lock(&t->mu);
    struct slot *s = find(t, ip, true);
    rcm_throttle_record_failure(&t->policy, &s->state, now_ms);
    pthread_mutex_unlock(&t->mu);
}
