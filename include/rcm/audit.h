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
 * checkpoints stop an attacker who recomputes the unkeyed chain. Neither
 * stops one who deletes the whole log, or rolls the database back to an
 * earlier copy: for that, the head is anchored outside the database — keyed
 * anchor lines (rcm_audit_anchor_mac) appended to a file and the operational
 * log — and verification checks the chain against the newest anchor.
 * Verification also covers the keyed checkpoints that must exist and the
 * per-patient index derived from each record's patient_ids.
 *
 * This module is pure: canonical encoding, hashing and the verification
 * state machine. Storage is in src/store.
 */
#ifndef RCM_AUDIT_H
#define RCM_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/crypto.h"
#include "rcm/err.h"

#define RCM_AUDIT_KEY_BYTES 32
/* A keyed checkpoint is written every this many records. */
#define RCM_AUDIT_CHECKPOINT_EVERY 256
/* Most steps back in an anchor file that verification follows (two anchors
 * each); more is reported as RCM_AUDIT_ANCHOR_BACKWARDS. Concurrent writers
 * may append a step back now and then; a rollback makes one. */
#define RCM_AUDIT_BACK_ANCHORS_MAX 64

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

/*
 * HMAC binding an anchor (seq, hash) written outside the database. Domain-
 * separated from rcm_audit_mac (a label is prefixed), so a head or
 * checkpoint MAC can never be passed off as an anchor or the reverse.
 */
void rcm_audit_anchor_mac(const uint8_t key[RCM_AUDIT_KEY_BYTES], int64_t seq,
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
    RCM_AUDIT_CHECKPOINT_MISSING, /* a checkpoint that must exist is absent */
    RCM_AUDIT_INDEX_MISSING,    /* a per-patient index row of the record is absent */
    RCM_AUDIT_INDEX_EXTRA,      /* an index row names no (seq, tenant, patient) of a record */
    RCM_AUDIT_BAD_ANCHOR,       /* an anchor's MAC does not verify: tampered anchor */
    RCM_AUDIT_ANCHOR_TRUNCATED, /* the chain ends before the anchored seq: truncated
                                 * or rolled back (problem_seq: the anchored seq) */
    RCM_AUDIT_ANCHOR_MISMATCH,  /* the anchored record has another hash */
    RCM_AUDIT_NO_ANCHOR,        /* records but no anchor: completeness unproven */
    RCM_AUDIT_ANCHOR_BACKWARDS, /* more steps back in the anchors than followed */
};

/* A patient id inside a record's patient_ids (verification internals). */
struct rcm_audit_id {
    const char *p;
    size_t n;
};

/*
 * Verification state. Memory is bounded by the largest single record (the
 * expected index rows of the record last accepted), whatever the log size.
 * Fields below `problem_seq` are the machine's own.
 */
struct rcm_audit_verify {
    uint8_t key[RCM_AUDIT_KEY_BYTES];
    int64_t records;                    /* records seen */
    int64_t last_seq;
    uint8_t last_hash[RCM_SHA256_BYTES];
    enum rcm_audit_problem problem;     /* first problem found */
    int64_t problem_seq;                /* where (the sequence number named) */
    enum rcm_err err;                   /* RCM_E_NOMEM when a record's ids did not fit */
    /* anchors fed so far: count and the one with the highest seq */
    int64_t anchors;
    bool has_anchor;
    int64_t anchor_seq;
    uint8_t anchor_hash[RCM_SHA256_BYTES];
    /* Where the anchors went back in sequence: the anchor jumped back from
     * and the one after it, each checked against the chain like the newest
     * (a rollback that regrew past its old head would otherwise hide).
     * Sorted by seq before the first record; `back_next` walks them. */
    struct rcm_audit_anchor_ref {
        int64_t seq;
        uint8_t hash[RCM_SHA256_BYTES];
    } back[RCM_AUDIT_BACK_ANCHORS_MAX];
    size_t back_n, back_next;
    bool back_sorted;
    /* keyed checkpoints: the next one that must come */
    int64_t next_checkpoint;
    /* per-patient index rows expected for the record last accepted, sorted
     * (bytewise, as SQLite's BINARY collation) and without duplicates */
    int64_t index_seq, index_tenant;
    char *index_text;                   /* owned copy of its patient_ids */
    struct rcm_audit_id *index_ids;
    size_t index_n, index_next, index_text_cap, index_ids_cap;
};

const char *rcm_audit_problem_str(enum rcm_audit_problem problem);

/*
 * Start a verification with the audit key (copied). Release with
 * rcm_audit_verify_release.
 */
void rcm_audit_verify_init(struct rcm_audit_verify *v,
                           const uint8_t key[RCM_AUDIT_KEY_BYTES]);
/* Free what the state holds and wipe the key. Safe to call twice. */
void rcm_audit_verify_release(struct rcm_audit_verify *v);

/*
 * Feed one anchor read from outside the database, before any record. Its
 * MAC must verify (else RCM_AUDIT_BAD_ANCHOR naming its seq, false); the
 * anchor with the highest seq is kept and checked against the chain: the
 * record with that seq must carry that hash (RCM_AUDIT_ANCHOR_MISMATCH) and
 * must exist (RCM_AUDIT_ANCHOR_TRUNCATED, found by rcm_audit_verify_finish).
 * Feed anchors in the order they were written: where one goes back in
 * sequence, both it and the anchor before it are checked the same way.
 */
bool rcm_audit_verify_anchor(struct rcm_audit_verify *v, int64_t seq,
                             const uint8_t hash[RCM_SHA256_BYTES],
                             const uint8_t mac[RCM_SHA256_BYTES]);

/*
 * Feed records in stored order; false once a problem was found (or on
 * allocation failure: v->err). After a record is accepted, its index rows
 * are expected: feed them with rcm_audit_verify_index_row and close with
 * rcm_audit_verify_index_end before the next record.
 */
bool rcm_audit_verify_record(struct rcm_audit_verify *v,
                             const struct rcm_audit_event *ev);
/*
 * One row of the per-patient index, in (seq, tenant_id, patient_id) order,
 * `patient_id` of `n` bytes (borrowed for the call). A row of a seq other
 * than the record last accepted, of another tenant, or naming an id the
 * record does not is RCM_AUDIT_INDEX_EXTRA; skipping past an expected id is
 * RCM_AUDIT_INDEX_MISSING. Both name the row's seq.
 */
bool rcm_audit_verify_index_row(struct rcm_audit_verify *v, int64_t seq,
                                int64_t tenant_id, const char *patient_id,
                                size_t n);
/* Every expected row of the record last accepted was seen (else
 * RCM_AUDIT_INDEX_MISSING naming its seq). */
bool rcm_audit_verify_index_end(struct rcm_audit_verify *v);

/*
 * Check one checkpoint against the record it names (seq, stored hash).
 * Feed them in seq order, after the records: a multiple of
 * RCM_AUDIT_CHECKPOINT_EVERY skipped is RCM_AUDIT_CHECKPOINT_MISSING.
 */
bool rcm_audit_verify_checkpoint(struct rcm_audit_verify *v, int64_t seq,
                                 const uint8_t record_hash[RCM_SHA256_BYTES],
                                 bool record_exists,
                                 const uint8_t mac[RCM_SHA256_BYTES]);
/* Check the keyed head after the last record (has_head false: empty log). */
bool rcm_audit_verify_head(struct rcm_audit_verify *v, bool has_head,
                           int64_t head_seq,
                           const uint8_t head_hash[RCM_SHA256_BYTES],
                           const uint8_t head_mac[RCM_SHA256_BYTES]);
/* After the last checkpoint: every checkpoint up to the last record was
 * seen (else RCM_AUDIT_CHECKPOINT_MISSING naming the first absent). */
bool rcm_audit_verify_checkpoints_end(struct rcm_audit_verify *v);
/*
 * Last step, after the head: the chain reaches the newest anchor (else
 * RCM_AUDIT_ANCHOR_TRUNCATED naming the anchored seq). With
 * `require_anchor`, a log with records but no anchor is
 * RCM_AUDIT_NO_ANCHOR: nothing proves that records were not removed from
 * its end, or the whole log replaced by an earlier copy.
 */
bool rcm_audit_verify_finish(struct rcm_audit_verify *v, bool require_anchor);

#endif
