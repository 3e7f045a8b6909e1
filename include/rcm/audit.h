/*
 * rcm/audit.h — the tamper-evident audit log (HIPAA §164.312(b), (c)).
 *
 * Every security-relevant event — logins and failures, reads and changes of
 * PHI, exports, disclosures, permission and configuration changes — becomes
 * one record, written by the store in the same transaction as the change it
 * records. Records form a hash chain: record n carries SHA-256 over its own
 * canonical bytes and record n-1's hash, so changing, removing, inserting or
 * reordering a record breaks the chain at that sequence number. A keyed
 * HMAC over the chain head (updated with every append) and periodic keyed
 * checkpoints stop an attacker who recomputes the unkeyed chain.
 *
 * This module is pure: canonical encoding, hashing and the verification
 * state machine. Storage is in src/store.
 */
#ifndef RCM_AUDIT_H
#define RCM_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "rcm/crypto.h"
#include "rcm/err.h"

#define RCM_AUDIT_KEY_BYTES 32
/* A keyed checkpoint is written every this many records. */
#define RCM_AUDIT_CHECKPOINT_EVERY 256

/* Who acts, for whom, why: passed to every store operation. */
struct rcm_actor {
    int64_t tenant_id;          /* scope of the operation; 0 = system */
    const char *type;           /* "user", "service", "system", "anonymous" */
    int64_t user_id;            /* 0 when none */
    const char *request_id;     /* may be NULL */
    const char *source_ip;      /* may be NULL */
    const char *purpose;        /* "treatment", "payment", "operations", … or NULL */
    bool emergency;             /* break-glass access in force */
};

/* One event as recorded. Strings are borrowed; NULL is stored as "". */
struct rcm_audit_event {
    int64_t seq;                /* 1, 2, 3 … assigned by the store */
    int64_t ts_ms;
    int64_t tenant_id;
    const char *actor_type;
    int64_t actor_id;
    const char *action;         /* e.g. "login", "patient.read", "tenant.create" */
    const char *object_type;
    const char *object_id;
    const char *patient_ids;    /* internal ids, comma-separated; never names */
    const char *purpose;
    const char *outcome;        /* "success", "failure", "denied" */
    const char *source_ip;
    const char *request_id;
    bool emergency;
    uint8_t prev_hash[RCM_SHA256_BYTES];
    uint8_t hash[RCM_SHA256_BYTES];
};

/*
 * SHA-256 over the canonical encoding of every field but `hash` (each field
 * length-prefixed, integers as decimal text, prev_hash last).
 */
void rcm_audit_hash(const struct rcm_audit_event *ev, uint8_t out[RCM_SHA256_BYTES]);

/* HMAC binding a (seq, hash) pair: the chain head and the checkpoints. */
void rcm_audit_mac(const uint8_t key[RCM_AUDIT_KEY_BYTES], int64_t seq,
                   const uint8_t hash[RCM_SHA256_BYTES],
                   uint8_t out[RCM_SHA256_BYTES]);

/* What verification found: the first problem, by sequence number. */
enum rcm_audit_problem {
    RCM_AUDIT_INTACT = 0,
    RCM_AUDIT_MODIFIED,         /* the record's hash does not match its content */
    RCM_AUDIT_BROKEN_LINK,      /* prev_hash is not the previous record's hash */
    RCM_AUDIT_MISSING,          /* a sequence number is absent (deleted) */
    RCM_AUDIT_OUT_OF_ORDER,     /* sequence numbers go backwards or repeat */
    RCM_AUDIT_BAD_CHECKPOINT,   /* a keyed checkpoint does not match the chain */
    RCM_AUDIT_BAD_HEAD,         /* the keyed head does not match the last record */
};

struct rcm_audit_verify {
    uint8_t key[RCM_AUDIT_KEY_BYTES];
    int64_t records;                    /* records seen */
    int64_t last_seq;
    uint8_t last_hash[RCM_SHA256_BYTES];
    enum rcm_audit_problem problem;     /* first problem found */
    int64_t problem_seq;                /* where (the sequence number named) */
};

const char *rcm_audit_problem_str(enum rcm_audit_problem problem);

/* Start a verification with the audit key. */
void rcm_audit_verify_init(struct rcm_audit_verify *v,
                           const uint8_t key[RCM_AUDIT_KEY_BYTES]);
/* Feed records in stored order; false once a problem was found. */
bool rcm_audit_verify_record(struct rcm_audit_verify *v,
                             const struct rcm_audit_event *ev);
/* Check one checkpoint against the record it names (seq, stored hash). */
bool rcm_audit_verify_checkpoint(struct rcm_audit_verify *v, int64_t seq,
                                 const uint8_t record_hash[RCM_SHA256_BYTES],
                                 bool record_exists,
                                 const uint8_t mac[RCM_SHA256_BYTES]);
/* Check the keyed head after the last record (has_head false: empty log). */
bool rcm_audit_verify_head(struct rcm_audit_verify *v, bool has_head,
                           int64_t head_seq,
                           const uint8_t head_hash[RCM_SHA256_BYTES],
                           const uint8_t head_mac[RCM_SHA256_BYTES]);

#endif
