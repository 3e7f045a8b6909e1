/*
 * audit_chain.c — canonical encoding, hashing and verification of the audit
 * hash chain: records, the per-patient index derived from them, keyed
 * checkpoints, the keyed head and the anchors kept outside the database.
 * Pure: no I/O; the store feeds rows, the CLI feeds anchors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/audit.h"
#include "rcm/str.h"

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

void
rcm_audit_anchor_mac(const uint8_t key[RCM_AUDIT_KEY_BYTES], int64_t seq,
                     const uint8_t hash[RCM_SHA256_BYTES], uint8_t out[RCM_SHA256_BYTES])
{
    static const char label[] = "openrcm-audit-anchor-v1";
    uint8_t msg[sizeof label - 1 + 8 + RCM_SHA256_BYTES];
    memcpy(msg, label, sizeof label - 1);
    for (int i = 0; i < 8; i++)
        msg[sizeof label - 1 + (size_t)i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
    memcpy(msg + sizeof label - 1 + 8, hash, RCM_SHA256_BYTES);
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
    case RCM_AUDIT_CHECKPOINT_MISSING: return "keyed checkpoint missing";
    case RCM_AUDIT_INDEX_MISSING: return "per-patient index row missing";
    case RCM_AUDIT_INDEX_EXTRA: return "per-patient index row not in its record";
    case RCM_AUDIT_BAD_ANCHOR: return "anchor does not verify (tampered anchor)";
    case RCM_AUDIT_ANCHOR_TRUNCATED:
        return "log ends before its anchor (truncated or rolled back)";
    case RCM_AUDIT_ANCHOR_MISMATCH:
        return "record does not match its anchor (log replaced or rolled back)";
    case RCM_AUDIT_NO_ANCHOR:
        return "no anchor: the log's completeness cannot be proven";
    case RCM_AUDIT_ANCHOR_BACKWARDS:
        return "anchors go back in sequence too often (the log was rolled back)";
    }
    return "unknown";
}

void
rcm_audit_verify_init(struct rcm_audit_verify *v, const uint8_t key[RCM_AUDIT_KEY_BYTES])
{
    memset(v, 0, sizeof *v);
    memcpy(v->key, key, RCM_AUDIT_KEY_BYTES);
    v->next_checkpoint = RCM_AUDIT_CHECKPOINT_EVERY;
}

void
rcm_audit_verify_release(struct rcm_audit_verify *v)
{
    free(v->index_text);
    free(v->index_ids);
    v->index_text = NULL;
    v->index_ids = NULL;
    v->index_n = v->index_next = v->index_text_cap = v->index_ids_cap = 0;
    rcm_crypto_wipe(v->key, sizeof v->key);
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
rcm_audit_verify_anchor(struct rcm_audit_verify *v, int64_t seq,
                        const uint8_t hash[RCM_SHA256_BYTES],
                        const uint8_t mac[RCM_SHA256_BYTES])
{
    if (v->problem)
        return false;
    uint8_t want[RCM_SHA256_BYTES];
    rcm_audit_anchor_mac(v->key, seq, hash, want);
    if (seq < 1 || !rcm_crypto_equal(want, mac, sizeof want))
        return found(v, RCM_AUDIT_BAD_ANCHOR, seq);
    v->anchors++;
    if (v->has_anchor && seq < v->anchor_seq) {
        /* A step back: a writer raced another, or the log was rolled back
         * and has since regrown. The chain must still hold both anchors. */
        if (v->back_n + 2 > RCM_AUDIT_BACK_ANCHORS_MAX)
            return found(v, RCM_AUDIT_ANCHOR_BACKWARDS, seq);
        v->back[v->back_n].seq = v->anchor_seq;
        memcpy(v->back[v->back_n++].hash, v->anchor_hash, RCM_SHA256_BYTES);
        v->back[v->back_n].seq = seq;
        memcpy(v->back[v->back_n++].hash, hash, RCM_SHA256_BYTES);
        return true;
    }
    if (!v->has_anchor || seq > v->anchor_seq) {
        v->has_anchor = true;
        v->anchor_seq = seq;
        memcpy(v->anchor_hash, hash, RCM_SHA256_BYTES);
    } else if (seq == v->anchor_seq &&
               !rcm_crypto_equal(hash, v->anchor_hash, RCM_SHA256_BYTES)) {
        /* two keyed anchors disagree: the log was replaced in between */
        return found(v, RCM_AUDIT_ANCHOR_MISMATCH, seq);
    }
    return true;
}

/* SQLite's BINARY collation: bytes, then length. */
static int
id_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int
id_sort_cmp(const void *x, const void *y)
{
    const struct rcm_audit_id *a = x, *b = y;
    return id_cmp(a->p, a->n, b->p, b->n);
}

/*
 * The index rows a record must have: its patient_ids split at commas, each
 * trimmed, empty ones dropped (as the store writes them), sorted, duplicates
 * removed. False on allocation failure (v->err).
 */
static bool
expect_index_rows(struct rcm_audit_verify *v, const struct rcm_audit_event *ev)
{
    v->index_seq = ev->seq;
    v->index_tenant = ev->tenant_id;
    v->index_n = v->index_next = 0;
    const char *ids = ev->patient_ids ? ev->patient_ids : "";
    size_t len = strlen(ids);
    if (!len)
        return true;
    if (len + 1 > v->index_text_cap) {
        char *t = realloc(v->index_text, len + 1);
        if (!t)
            goto nomem;
        v->index_text = t;
        v->index_text_cap = len + 1;
    }
    memcpy(v->index_text, ids, len + 1);
    size_t max = 1;
    for (size_t i = 0; i < len; i++)
        max += ids[i] == ',';
    if (max > v->index_ids_cap) {
        void *a = realloc(v->index_ids, max * sizeof v->index_ids[0]);
        if (!a)
            goto nomem;
        v->index_ids = a;
        v->index_ids_cap = max;
    }
    struct rcm_str rest = {v->index_text, len}, tok;
    while (rcm_str_split_next(&rest, ',', &tok)) {
        tok = rcm_str_trim(tok);
        if (tok.n) {
            v->index_ids[v->index_n].p = tok.p;
            v->index_ids[v->index_n].n = tok.n;
            v->index_n++;
        }
    }
    if (v->index_n > 1) {
        qsort(v->index_ids, v->index_n, sizeof v->index_ids[0], id_sort_cmp);
        size_t out = 1;
        for (size_t i = 1; i < v->index_n; i++)
            if (id_cmp(v->index_ids[i].p, v->index_ids[i].n, v->index_ids[out - 1].p,
                       v->index_ids[out - 1].n) != 0)
                v->index_ids[out++] = v->index_ids[i];
        v->index_n = out;
    }
    return true;
nomem:
    v->err = RCM_E_NOMEM;
    return false;
}

bool
rcm_audit_verify_index_row(struct rcm_audit_verify *v, int64_t seq, int64_t tenant_id,
                           const char *patient_id, size_t n)
{
    if (v->problem || v->err)
        return false;
    if (seq != v->index_seq || v->records == 0 || tenant_id != v->index_tenant ||
        v->index_next == v->index_n)
        return found(v, RCM_AUDIT_INDEX_EXTRA, seq);
    int c = id_cmp(patient_id, n, v->index_ids[v->index_next].p,
                   v->index_ids[v->index_next].n);
    if (c < 0)
        return found(v, RCM_AUDIT_INDEX_EXTRA, seq);
    if (c > 0)      /* the expected id sorts before this row: its row is gone */
        return found(v, RCM_AUDIT_INDEX_MISSING, seq);
    v->index_next++;
    return true;
}

bool
rcm_audit_verify_index_end(struct rcm_audit_verify *v)
{
    if (v->problem || v->err)
        return false;
    if (v->index_next < v->index_n)
        return found(v, RCM_AUDIT_INDEX_MISSING, v->index_seq);
    v->index_n = v->index_next = 0;
    return true;
}

static int
anchor_ref_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct rcm_audit_anchor_ref *)a)->seq;
    int64_t y = ((const struct rcm_audit_anchor_ref *)b)->seq;
    return (x > y) - (x < y);
}

/* The anchors around steps back that name this record carry its hash. */
static bool
back_anchors_match(struct rcm_audit_verify *v, const struct rcm_audit_event *ev)
{
    if (!v->back_sorted) {
        qsort(v->back, v->back_n, sizeof v->back[0], anchor_ref_cmp);
        v->back_sorted = true;
    }
    for (; v->back_next < v->back_n && v->back[v->back_next].seq <= ev->seq; v->back_next++)
        if (v->back[v->back_next].seq == ev->seq &&
            !rcm_crypto_equal(ev->hash, v->back[v->back_next].hash, RCM_SHA256_BYTES))
            return false;
    return true;
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
    if (v->has_anchor && ev->seq == v->anchor_seq &&
        !rcm_crypto_equal(ev->hash, v->anchor_hash, RCM_SHA256_BYTES))
        return found(v, RCM_AUDIT_ANCHOR_MISMATCH, ev->seq);
    if (!back_anchors_match(v, ev))
        return found(v, RCM_AUDIT_ANCHOR_MISMATCH, ev->seq);
    memcpy(v->last_hash, ev->hash, RCM_SHA256_BYTES);
    v->last_seq = ev->seq;
    v->records++;
    return expect_index_rows(v, ev);
}

bool
rcm_audit_verify_checkpoint(struct rcm_audit_verify *v, int64_t seq,
                            const uint8_t record_hash[RCM_SHA256_BYTES],
                            bool record_exists, const uint8_t mac[RCM_SHA256_BYTES])
{
    if (v->problem)
        return false;
    if (seq > v->next_checkpoint && v->next_checkpoint <= v->last_seq)
        return found(v, RCM_AUDIT_CHECKPOINT_MISSING, v->next_checkpoint);
    if (!record_exists)
        return found(v, RCM_AUDIT_MISSING, seq);
    if (seq != v->next_checkpoint)     /* not a multiple, or a repeat */
        return found(v, RCM_AUDIT_BAD_CHECKPOINT, seq);
    v->next_checkpoint += RCM_AUDIT_CHECKPOINT_EVERY;
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

bool
rcm_audit_verify_checkpoints_end(struct rcm_audit_verify *v)
{
    if (v->problem)
        return false;
    if (v->next_checkpoint <= v->last_seq)
        return found(v, RCM_AUDIT_CHECKPOINT_MISSING, v->next_checkpoint);
    return true;
}

bool
rcm_audit_verify_finish(struct rcm_audit_verify *v, bool require_anchor)
{
    if (v->problem)
        return false;
    if (v->has_anchor && v->last_seq < v->anchor_seq)
        return found(v, RCM_AUDIT_ANCHOR_TRUNCATED, v->anchor_seq);
    if (require_anchor && !v->has_anchor && v->records > 0)
        return found(v, RCM_AUDIT_NO_ANCHOR, v->last_seq);
    return true;
}
