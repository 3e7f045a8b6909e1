/*
 * audit_chain.c — canonical encoding, hashing and verification of the audit
 * hash chain.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/audit.h"

static void
put_field(struct rcm_sha256_ctx *ctx, const void *p, size_t n)
{
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                      (uint8_t)n};
    rcm_sha256_update(ctx, len, 4);
    rcm_sha256_update(ctx, p, n);
}

static void
put_str(struct rcm_sha256_ctx *ctx, const char *s)
{
    put_field(ctx, s ? s : "", s ? strlen(s) : 0);
}

static void
put_int(struct rcm_sha256_ctx *ctx, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%lld", (long long)v);
    put_field(ctx, num, (size_t)n);
}

void
rcm_audit_hash(const struct rcm_audit_event *ev, uint8_t out[RCM_SHA256_BYTES])
{
    struct rcm_sha256_ctx ctx;
    if (rcm_sha256_init(&ctx) != RCM_OK) {
        memset(out, 0, RCM_SHA256_BYTES);   /* cannot match any stored hash */
        return;
    }
    static const char version[] = "openrcm-audit-v1";
    put_field(&ctx, version, sizeof version - 1);
    put_int(&ctx, ev->seq);
    put_int(&ctx, ev->ts_ms);
    put_int(&ctx, ev->tenant_id);
    put_str(&ctx, ev->actor_type);
    put_int(&ctx, ev->actor_id);
    put_str(&ctx, ev->action);
    put_str(&ctx, ev->object_type);
    put_str(&ctx, ev->object_id);
    put_str(&ctx, ev->patient_ids);
    put_str(&ctx, ev->purpose);
    put_str(&ctx, ev->outcome);
    put_str(&ctx, ev->source_ip);
    put_str(&ctx, ev->request_id);
    put_int(&ctx, ev->emergency);
    put_field(&ctx, ev->prev_hash, RCM_SHA256_BYTES);
    rcm_sha256_final(&ctx, out);
}

void
rcm_audit_mac(const uint8_t key[RCM_AUDIT_KEY_BYTES], int64_t seq,
              const uint8_t hash[RCM_SHA256_BYTES], uint8_t out[RCM_SHA256_BYTES])
{
    uint8_t msg[8 + RCM_SHA256_BYTES];
    for (int i = 0; i < 8; i++)
        msg[i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
    memcpy(msg + 8, hash, RCM_SHA256_BYTES);
    rcm_hmac_sha256(key, RCM_AUDIT_KEY_BYTES, msg, sizeof msg, out);
}

const char *
rcm_audit_problem_str(enum rcm_audit_problem problem)
{
    switch (problem) {
    case RCM_AUDIT_INTACT: return "intact";
    case RCM_AUDIT_MODIFIED: return "record modified";
    case RCM_AUDIT_BROKEN_LINK: return "chain broken (record inserted, removed or replaced)";
    case RCM_AUDIT_MISSING: return "record missing";
    case RCM_AUDIT_OUT_OF_ORDER: return "records out of order";
    case RCM_AUDIT_BAD_CHECKPOINT: return "keyed checkpoint does not match";
    case RCM_AUDIT_BAD_HEAD: return "keyed chain head does not match";
    }
    return "unknown";
}

void
rcm_audit_verify_init(struct rcm_audit_verify *v, const uint8_t key[RCM_AUDIT_KEY_BYTES])
{
    memset(v, 0, sizeof *v);
    memcpy(v->key, key, RCM_AUDIT_KEY_BYTES);
}

static bool
found(struct rcm_audit_verify *v, enum rcm_audit_problem p, int64_t seq)
{
    if (v->problem == RCM_AUDIT_INTACT) {
        v->problem = p;
        v->problem_seq = seq;
    }
    return false;
}

bool
rcm_audit_verify_record(struct rcm_audit_verify *v, const struct rcm_audit_event *ev)
{
    if (v->problem)
        return false;
    if (ev->seq <= v->last_seq)
        return found(v, RCM_AUDIT_OUT_OF_ORDER, ev->seq);
    if (ev->seq != v->last_seq + 1)
        return found(v, RCM_AUDIT_MISSING, v->last_seq + 1);
    uint8_t h[RCM_SHA256_BYTES];
    rcm_audit_hash(ev, h);
    if (!rcm_crypto_equal(h, ev->hash, sizeof h))
        return found(v, RCM_AUDIT_MODIFIED, ev->seq);
    /* The first record links to all zeroes. */
    if (!rcm_crypto_equal(ev->prev_hash, v->last_hash, RCM_SHA256_BYTES))
        return found(v, RCM_AUDIT_BROKEN_LINK, ev->seq);
    memcpy(v->last_hash, ev->hash, RCM_SHA256_BYTES);
    v->last_seq = ev->seq;
    v->records++;
    return true;
}

bool
rcm_audit_verify_checkpoint(struct rcm_audit_verify *v, int64_t seq,
                            const uint8_t record_hash[RCM_SHA256_BYTES],
                            bool record_exists, const uint8_t mac[RCM_SHA256_BYTES])
{
    if (!record_exists)
        return found(v, RCM_AUDIT_MISSING, seq);
    uint8_t want[RCM_SHA256_BYTES];
    rcm_audit_mac(v->key, seq, record_hash, want);
    if (!rcm_crypto_equal(want, mac, sizeof want))
        return found(v, RCM_AUDIT_BAD_CHECKPOINT, seq);
    return true;
}

bool
rcm_audit_verify_head(struct rcm_audit_verify *v, bool has_head, int64_t head_seq,
                      const uint8_t head_hash[RCM_SHA256_BYTES],
                      const uint8_t head_mac[RCM_SHA256_BYTES])
{
    if (v->problem)
        return false;
    if (!has_head)
        return v->last_seq == 0 ? true : found(v, RCM_AUDIT_BAD_HEAD, v->last_seq);
    uint8_t want[RCM_SHA256_BYTES];
    rcm_audit_mac(v->key, head_seq, head_hash, want);
    if (!rcm_crypto_equal(want, head_mac, sizeof want))
        return found(v, RCM_AUDIT_BAD_HEAD, head_seq);
    if (head_seq > v->last_seq)     /* records after the last one were removed */
        return found(v, RCM_AUDIT_MISSING, v->last_seq + 1);
    if (head_seq < v->last_seq)     /* records appended without the key */
        return found(v, RCM_AUDIT_BAD_HEAD, head_seq + 1);
    if (!rcm_crypto_equal(head_hash, v->last_hash, RCM_SHA256_BYTES))
        return found(v, RCM_AUDIT_MODIFIED, head_seq);
    return true;
}
