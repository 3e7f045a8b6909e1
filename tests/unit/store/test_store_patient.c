/*
 * Patients in the store: sealing, masks, blind-index search, tenant scope,
 * tamper detection, crypto-shredding, key rotation and the key hierarchy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"
#include "store_fixture.h"

struct fixture {
    struct store_fx *s;
    struct rcm_store *store;    /* f->s->store */
    struct rcm_actor a, b;      /* users of tenants A and B */
    int64_t hook_patient;       /* update_retries_after_a_concurrent_change */
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || !(f->s = store_fx_new())) {
        free(f);
        return -1;
    }
    f->store = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_tenant ta, tb;
    struct rcm_actor sys = {.type = "system"};
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "clinic-a", "A", &ta, &d), RCM_OK);
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "clinic-b", "B", &tb, &d), RCM_OK);
    f->a = (struct rcm_actor){.tenant_id = ta.id, .type = "user", .user_id = 7};
    f->b = (struct rcm_actor){.tenant_id = tb.id, .type = "user", .user_id = 8};
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    f->s->store = f->store;
    store_fx_free(f->s);
    free(f);
    return 0;
}

/* Close the store and open it again under `master` (and `previous`). */
static void
reopen(struct fixture *f, const struct rcm_key *master, const struct rcm_key *previous)
{
    rcm_store_close(f->store);
    f->s->master = *master;
    f->store = f->s->store = store_fx_open(f->s, previous);
    assert_non_null(f->store);
}

static void
exec_sql(struct fixture *f, const char *sql)
{
    assert_int_equal(store_fx_exec(f->s, sql), RCM_OK);
}

static void
set(struct rcm_patient *p, enum rcm_patient_field f, const char *v)
{
    snprintf(p->value[f], sizeof p->value[f], "%s", v);
    p->present |= RCM_PF_BIT(f);
}

static int64_t
add_patient(struct fixture *f, const struct rcm_actor *who, const char *last, const char *first,
            const char *member)
{
    struct rcm_patient p = {0};
    set(&p, RCM_PF_LAST_NAME, last);
    set(&p, RCM_PF_FIRST_NAME, first);
    set(&p, RCM_PF_DOB, "1961-07-30");
    set(&p, RCM_PF_MEMBER_ID, member);
    set(&p, RCM_PF_SSN, "078-05-1120");
    set(&p, RCM_PF_BANK_ACCOUNT, "000123456789");
    set(&p, RCM_PF_STATE, "ca");
    int64_t id = 0;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_patient_create(f->store, who, &p, &id, &d), RCM_OK);
    assert_true(id > 0);
    return id;
}

static enum rcm_err
get(struct fixture *f, const struct rcm_actor *who, int64_t id, uint32_t mask,
    struct rcm_patient *out)
{
    struct rcm_diag d = RCM_DIAG_INIT;
    return rcm_store_patient_get(f->store, who, id, mask, out, &d);
}

static void
values_round_trip_normalised_and_masked(void **state)
{
    struct fixture *f = *state;
    int64_t id = add_patient(f, &f->a, "Ødegård", "José", "W12-345");
    struct rcm_patient p;
    assert_int_equal(get(f, &f->a, id, RCM_PF_ALL, &p), RCM_OK);
    assert_string_equal(p.value[RCM_PF_LAST_NAME], "Ødegård");
    assert_string_equal(p.value[RCM_PF_SSN], "078051120");
    assert_string_equal(p.value[RCM_PF_STATE], "CA");
    assert_string_equal(p.value[RCM_PF_DOB], "1961-07-30");
    assert_true(p.present & RCM_PF_BIT(RCM_PF_BANK_ACCOUNT));
    assert_false(p.present & RCM_PF_BIT(RCM_PF_CITY));
    /* a mask without the financial fields never opens them */
    uint32_t coder = RCM_PF_ALL & ~(RCM_PF_BIT(RCM_PF_SSN) | RCM_PF_BIT(RCM_PF_BANK_ACCOUNT) |
                                    RCM_PF_BIT(RCM_PF_BANK_ROUTING));
    assert_int_equal(get(f, &f->a, id, coder, &p), RCM_OK);
    assert_string_equal(p.value[RCM_PF_SSN], "");
    assert_false(p.present & RCM_PF_BIT(RCM_PF_SSN));
    assert_string_equal(p.value[RCM_PF_FIRST_NAME], "José");
    /* every field is a ciphertext in the file */
    char sql[200];
    char pg[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM patient WHERE id = %lld AND "
             "length(last_name) = %d AND instr(last_name, 'degrd') = 0",
             (long long)id, (int)strlen("Ødegård") + RCM_AEAD_OVERHEAD_BYTES);
    snprintf(pg, sizeof pg, "SELECT count(*) FROM patient WHERE id = %lld AND "
             "length(last_name) = %d AND position('degrd'::bytea in last_name) = 0",
             (long long)id, (int)strlen("Ødegård") + RCM_AEAD_OVERHEAD_BYTES);
    assert_int_equal(store_fx_int(f->s, sql, pg), 1);
}

static void
bad_values_are_refused_without_quoting_them(void **state)
{
    struct fixture *f = *state;
    static const struct {
        enum rcm_patient_field f;
        const char *v;
    } bad[] = {
        {RCM_PF_SSN, "12345678"}, {RCM_PF_SSN, "123-45-678x"}, {RCM_PF_DOB, "2999-01-01"},
        {RCM_PF_DOB, "1961-02-30"}, {RCM_PF_STATE, "C1"}, {RCM_PF_POSTAL_CODE, "1234"},
        {RCM_PF_SEX, "female"}, {RCM_PF_EMAIL, "no-at-sign"}, {RCM_PF_MEMBER_ID, "W1#2"},
        {RCM_PF_LAST_NAME, "tab\there"},
};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[RCM_PATIENT_VALUE_MAX + 1];
        struct rcm_diag d = RCM_DIAG_INIT;
        assert_int_equal(rcm_patient_value_check(bad[i].f, bad[i].v, out, &d), RCM_E_INVAL);
        assert_null(strstr(d.msg, bad[i].v));
        assert_non_null(strstr(d.msg, rcm_patient_field_name(bad[i].f)));
    }
    struct rcm_patient p = {0};
    set(&p, RCM_PF_LAST_NAME, "Only");
    int64_t id;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_patient_create(f->store, &f->a, &p, &id, &d), RCM_E_INVAL);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM patient", NULL), 0);
}

struct hits {
    int n;
    int64_t id;
};

static int
count_hit(void *ctx, const struct rcm_patient *p)
{
    struct hits *h = ctx;
    h->n++;
    h->id = p->id;
    return 0;
}

static int
search(struct fixture *f, const struct rcm_actor *who, const struct rcm_patient_query *q,
       int64_t *id)
{
    struct hits h = {0, 0};
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_patient_search(f->store, who, q, RCM_PF_ALL, 50, count_hit, &h,
                                              &d), RCM_OK);
    if (id)
        *id = h.id;
    return h.n;
}

static void
search_matches_normalised_values_within_the_tenant(void **state)
{
    struct fixture *f = *state;
    int64_t id = add_patient(f, &f->a, "O'Brien-Smith", "Zoë", "W12-345");
    add_patient(f, &f->a, "Other", "Person", "X99");
    int64_t found = 0;
    assert_int_equal(search(f, &f->a, &(struct rcm_patient_query){.member_id = "w12345"},
                            &found), 1);
    assert_int_equal(found, id);
    assert_int_equal(search(f, &f->a, &(struct rcm_patient_query){.ssn = "078051120"}, NULL), 2);
    assert_int_equal(search(f, &f->a, &(struct rcm_patient_query){.last_name = "obrien smith",
                            .first_name = "ZOE", .dob = "1961-07-30"}, &found), 1);
    assert_int_equal(found, id);
    assert_int_equal(search(f, &f->a, &(struct rcm_patient_query){.last_name = "obrien smith",
                            .first_name = "ZOE", .dob = "1961-07-31"}, NULL), 0);
    /* tenant B holds the same member id: neither sees the other's */
    add_patient(f, &f->b, "Other", "Tenant", "W12-345");
    assert_int_equal(search(f, &f->b, &(struct rcm_patient_query){.member_id = "W12345"},
                            &found), 1);
    assert_true(found != id);
    /* and equal values index differently per tenant */
    assert_int_equal(store_fx_int(f->s, "SELECT count(DISTINCT bidx_member_id) FROM patient "
                                      "WHERE bidx_member_id IS NOT NULL", NULL), 3);
}

static void
another_tenants_patient_is_not_found(void **state)
{
    struct fixture *f = *state;
    int64_t id = add_patient(f, &f->a, "Alpha", "Ann", "M1");
    struct rcm_patient p;
    assert_int_equal(get(f, &f->b, id, RCM_PF_ALL, &p), RCM_E_NOT_FOUND);
    struct rcm_patient ch = {0};
    set(&ch, RCM_PF_CITY, "Elsewhere");
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_patient_update(f->store, &f->b, id, &ch, &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_patient_delete(f->store, &f->b, id, &d), RCM_E_NOT_FOUND);
    assert_int_equal(get(f, &f->a, id, RCM_PF_ALL, &p), RCM_OK);
    assert_string_equal(p.value[RCM_PF_CITY], "");
}

static void
moved_ciphertexts_do_not_open(void **state)
{
    struct fixture *f = *state;
    int64_t one = add_patient(f, &f->a, "First", "Patient", "A1");
    int64_t two = add_patient(f, &f->a, "Second", "Patient", "A2");
    struct rcm_patient p;
    char sql[300];
    /* a field copied from another patient's row */
    snprintf(sql, sizeof sql, "UPDATE patient SET last_name = (SELECT last_name FROM patient "
             "WHERE id = %lld) WHERE id = %lld", (long long)two, (long long)one);
    exec_sql(f, sql);
    assert_int_equal(get(f, &f->a, one, RCM_PF_BIT(RCM_PF_LAST_NAME), &p), RCM_E_CRYPTO);
    assert_string_equal(p.value[RCM_PF_LAST_NAME], "");
    /* a field copied into another column of the same row */
    snprintf(sql, sizeof sql, "UPDATE patient SET first_name = last_name WHERE id = %lld",
             (long long)two);
    exec_sql(f, sql);
    assert_int_equal(get(f, &f->a, two, RCM_PF_BIT(RCM_PF_FIRST_NAME), &p), RCM_E_CRYPTO);
    assert_int_equal(get(f, &f->a, two, RCM_PF_BIT(RCM_PF_MEMBER_ID), &p), RCM_OK);
    /* a patient key moved to another patient */
    snprintf(sql, sizeof sql, "UPDATE patient_key SET wrapped = (SELECT wrapped FROM "
             "patient_key WHERE patient_id = %lld) WHERE patient_id = %lld",
             (long long)one, (long long)two);
    exec_sql(f, sql);
    assert_int_equal(get(f, &f->a, two, RCM_PF_BIT(RCM_PF_MEMBER_ID), &p), RCM_E_CRYPTO);
    /* one flipped bit in a sealed field */
    int64_t three = add_patient(f, &f->a, "Third", "Patient", "A3");
    store_fx_flip_bit(f->s, "SELECT member_id FROM patient WHERE id = ?1",
                      "UPDATE patient SET member_id = ?2 WHERE id = ?1", three, 21);
    assert_int_equal(get(f, &f->a, three, RCM_PF_BIT(RCM_PF_MEMBER_ID), &p), RCM_E_CRYPTO);
}

static void
update_changes_clears_and_reindexes(void **state)
{
    struct fixture *f = *state;
    int64_t id = add_patient(f, &f->a, "Before", "Name", "OLD-1");
    struct rcm_patient ch = {0};
    set(&ch, RCM_PF_MEMBER_ID, "NEW-2");
    set(&ch, RCM_PF_SSN, "");            /* clears */
    set(&ch, RCM_PF_CITY, "Fresno");
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_patient_update(f->store, &f->a, id, &ch, &d), RCM_OK);
    struct rcm_patient p;
    assert_int_equal(get(f, &f->a, id, RCM_PF_ALL, &p), RCM_OK);
    assert_string_equal(p.value[RCM_PF_MEMBER_ID], "NEW-2");
    assert_string_equal(p.value[RCM_PF_CITY], "Fresno");
    assert_false(p.present & RCM_PF_BIT(RCM_PF_SSN));
    assert_string_equal(p.value[RCM_PF_LAST_NAME], "Before");
    assert_int_equal(search(f, &f->a, &(struct rcm_patient_query){.member_id = "OLD-1"}, NULL), 0);
    assert_int_equal(search(f, &f->a, &(struct rcm_patient_query){.member_id = "new2"}, NULL), 1);
    assert_int_equal(search(f, &f->a, &(struct rcm_patient_query){.ssn = "078051120"}, NULL), 0);
    /* a required field cannot be cleared */
    struct rcm_patient clear = {0};
    set(&clear, RCM_PF_LAST_NAME, "");
    assert_int_equal(rcm_store_patient_update(f->store, &f->a, id, &clear, &d), RCM_E_INVAL);
}

/* A change made by someone else between this update's read and its write:
 * the write conflicts, and the update is applied again to the newer row —
 * both changes survive, neither caller sees a conflict. */
static void
concurrent_city_change(void *ctx, int attempt)
{
    struct fixture *f = ctx;
    if (attempt != 0)
        return;
    store_patient_update_hook = NULL;    /* the other writer does not recurse */
    struct rcm_patient other = {0};
    set(&other, RCM_PF_CITY, "Modesto");
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_patient_update(f->store, &f->a, f->hook_patient, &other, &d),
                     RCM_OK);
    store_patient_update_hook = concurrent_city_change;
}

static void
update_retries_after_a_concurrent_change(void **state)
{
    struct fixture *f = *state;
    f->hook_patient = add_patient(f, &f->a, "Racing", "Writer", "RACE-1");
    struct rcm_patient ch = {0};
    set(&ch, RCM_PF_PHONE, "(559) 555-0100");
    struct rcm_diag d = RCM_DIAG_INIT;
    store_patient_update_hook = concurrent_city_change;
    store_patient_update_hook_ctx = f;
    enum rcm_err err = rcm_store_patient_update(f->store, &f->a, f->hook_patient, &ch, &d);
    store_patient_update_hook = NULL;
    assert_int_equal(err, RCM_OK);
    struct rcm_patient p;
    assert_int_equal(get(f, &f->a, f->hook_patient, RCM_PF_ALL, &p), RCM_OK);
    assert_string_equal(p.value[RCM_PF_CITY], "Modesto");
    assert_string_equal(p.value[RCM_PF_PHONE], "5595550100");
}

static void
delete_destroys_the_key_and_audits_every_step(void **state)
{
    struct fixture *f = *state;
    int64_t id = add_patient(f, &f->a, "Gone", "Soon", "D1");
    struct rcm_patient p;
    assert_int_equal(get(f, &f->a, id, RCM_PF_ALL, &p), RCM_OK);
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_patient_delete(f->store, &f->a, id, &d), RCM_OK);
    assert_int_equal(get(f, &f->a, id, RCM_PF_ALL, &p), RCM_E_NOT_FOUND);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM patient_key", NULL), 0);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT group_concat(action, ' ') FROM (SELECT e.action FROM "
             "audit_event e JOIN audit_event_patient p ON p.seq = e.seq WHERE p.patient_id = "
             "'%lld' ORDER BY e.seq)", (long long)id);
    char pg[300];
    snprintf(pg, sizeof pg, "SELECT string_agg(e.action, ' ' ORDER BY e.seq) FROM audit_event "
             "e JOIN audit_event_patient p ON p.seq = e.seq WHERE p.patient_id = '%lld'",
             (long long)id);
    char actions[128];
    store_fx_text(f->s, sql, pg, actions, sizeof actions);
    assert_string_equal(actions, "patient.create patient.read patient.delete");
}

static int stop_after_first;

/* the key id that wrapped a patient key (envelope bytes 2-5), in hex */
#define KEK_ID_SQL "SELECT substr(hex(wrapped), 3, 8) FROM patient_key LIMIT 1"
#define KEK_ID_PG "SELECT substr(upper(encode(wrapped, 'hex')), 3, 8) FROM patient_key LIMIT 1"
#define BIDX_SQL "SELECT hex(bidx_member_id) FROM patient ORDER BY id LIMIT 1"
#define BIDX_PG "SELECT upper(encode(bidx_member_id, 'hex')) FROM patient ORDER BY id LIMIT 1"

static int
progress(void *ctx, int64_t done, int64_t total)
{
    int *calls = ctx;
    (*calls)++;
    assert_true(done <= total);
    return stop_after_first && *calls == 1;
}

static void
tenant_rotation_resumes_and_keeps_every_patient_readable_and_found(void **state)
{
    struct fixture *f = *state;
    int64_t ids[7];
    for (int i = 0; i < 7; i++) {
        char member[16];
        snprintf(member, sizeof member, "R%d", i);
        ids[i] = add_patient(f, &f->a, "Rotate", "Me", member);
    }
    /* the key id that wrapped the patient keys (envelope bytes 2-5) */
    char old_kek[9];
    store_fx_text(f->s, KEK_ID_SQL, KEK_ID_PG, old_kek, sizeof old_kek);
    char old_bidx[33];
    store_fx_text(f->s, BIDX_SQL, BIDX_PG, old_bidx, sizeof old_bidx);
    struct rcm_diag d = RCM_DIAG_INIT;
    int calls = 0;
    stop_after_first = 1;
    assert_int_equal(rcm_store_rotate_tenant(f->store, &f->a, f->a.tenant_id, 2, progress,
                                             &calls, &d), RCM_E_STOPPED);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM key_rotation WHERE state = "
                                      "'running' AND done = 2", NULL), 1);
    /* mid-rotation: old and new wrapped keys both open, new patients too */
    struct rcm_patient p;
    for (int i = 0; i < 7; i++)
        assert_int_equal(get(f, &f->a, ids[i], RCM_PF_ALL, &p), RCM_OK);
    int64_t late = add_patient(f, &f->a, "Late", "Comer", "R8");
    /* search finds patients on both sides of the rotation: R0 and R1 were
     * re-keyed (batch 2) and re-indexed, R5 not yet, R8 came under the new keys */
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM tenant_key WHERE purpose IN "
                                      "('data-next', 'index-next')", NULL), 2);
    static const char *const members[] = {"R0", "R5", "R8"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(search(f, &f->a, &(struct rcm_patient_query){.member_id = members[i]},
                                NULL), 1);
    stop_after_first = 0;
    calls = 0;
    assert_int_equal(rcm_store_rotate_tenant(f->store, &f->a, f->a.tenant_id, 2, progress,
                                             &calls, &d), RCM_OK);
    assert_true(calls >= 4);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM key_rotation", NULL), 1);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM key_rotation WHERE state = "
                                      "'done' AND done = 8", NULL), 1);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM tenant_key WHERE purpose = "
                                      "'data-next'", NULL), 0);
    /* every patient key is now wrapped under one new data key */
    assert_int_equal(store_fx_int(f->s, "SELECT count(DISTINCT substr(wrapped, 2, 4)) FROM "
                                      "patient_key", NULL), 1);
    char new_kek[9];
    store_fx_text(f->s, KEK_ID_SQL, KEK_ID_PG, new_kek, sizeof new_kek);
    assert_string_not_equal(old_kek, new_kek);
    /* and every blind index was recomputed under a new index key */
    char new_bidx[33];
    store_fx_text(f->s, BIDX_SQL, BIDX_PG, new_bidx, sizeof new_bidx);
    assert_string_not_equal(old_bidx, new_bidx);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM tenant_key WHERE purpose LIKE "
                                      "'%-next'", NULL), 0);
    /* a fresh store (no cached keys) opens everything */
    reopen(f, &f->s->master, NULL);
    for (int i = 0; i < 7; i++)
        assert_int_equal(get(f, &f->a, ids[i], RCM_PF_ALL, &p), RCM_OK);
    assert_int_equal(get(f, &f->a, late, RCM_PF_ALL, &p), RCM_OK);
    assert_int_equal(search(f, &f->a, &(struct rcm_patient_query){.member_id = "R3"}, NULL), 1);
}

static int
no_progress(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    (void)done;
    (void)total;
    return 0;
}

static void
master_rotation_needs_both_keys_then_only_the_new(void **state)
{
    struct fixture *f = *state;
    int64_t id = add_patient(f, &f->a, "Master", "Rotation", "MR1");
    struct rcm_key old_master = f->s->master, new_master;
    rcm_key_generate(&new_master, old_master.key_id);
    rcm_store_close(f->store);
    /* the new key alone cannot open what the old one wrapped */
    struct rcm_store_options opt;
    store_fx_options(f->s, &opt, NULL);
    opt.master_key = &new_master;
    struct rcm_store *s = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_open(&opt, &s, &d), RCM_E_CONFIG);
    f->store = NULL;
    reopen(f, &new_master, &old_master);
    struct rcm_patient p;
    assert_int_equal(get(f, &f->a, id, RCM_PF_ALL, &p), RCM_OK);
    assert_int_equal(rcm_store_rotate_master(f->store, &f->a, no_progress, NULL, &d), RCM_OK);
    /* resumable: a second run verifies and keeps */
    assert_int_equal(rcm_store_rotate_master(f->store, &f->a, no_progress, NULL, &d), RCM_OK);
    reopen(f, &new_master, NULL);
    assert_int_equal(get(f, &f->a, id, RCM_PF_ALL, &p), RCM_OK);
    assert_string_equal(p.value[RCM_PF_FIRST_NAME], "Rotation");
    /* the audit log's key kept its value: the chain still verifies */
    struct rcm_key audit;
    assert_int_equal(rcm_store_system_key(f->store, RCM_SYSTEM_KEY_AUDIT, &audit, &d), RCM_OK);
    struct rcm_audit_verify v;
    rcm_audit_verify_init(&v, audit.bytes);
    assert_int_equal(rcm_store_audit_verify(f->store, &v, &d), RCM_OK);
    rcm_audit_verify_release(&v);
    assert_int_equal(v.problem, 0);
    assert_true(v.records > 3);
    rcm_store_close(f->store);
    f->store = NULL;
    /* and the old key alone no longer opens anything */
    opt.master_key = &old_master;
    assert_int_equal(rcm_store_open(&opt, &s, &d), RCM_E_CONFIG);
    reopen(f, &new_master, NULL);
}

static void
backup_is_a_complete_copy_that_refuses_to_overwrite(void **state)
{
    struct fixture *f = *state;
    int64_t id = add_patient(f, &f->a, "Backed", "Up", "BK1");
    struct rcm_diag d = RCM_DIAG_INIT;
    if (strcmp(f->s->backend, "postgres") == 0) {
        /* PostgreSQL is backed up by its own tools; the store says so */
        assert_int_equal(rcm_store_backup(f->store, "/tmp/never-written.db", &d),
                         RCM_E_UNSUPPORTED);
        assert_non_null(strstr(d.msg, "pg_dump"));
        assert_int_equal(access("/tmp/never-written.db", F_OK), -1);
        return;
    }
    char copy[128];
    snprintf(copy, sizeof copy, "%s/copy.db", f->s->dir);
    assert_int_equal(rcm_store_backup(f->store, copy, &d), RCM_OK);
    assert_int_equal(rcm_store_backup(f->store, copy, &d), RCM_E_CONFLICT);
    struct stat st;
    assert_int_equal(stat(copy, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* the copy is a working database */
    rcm_store_close(f->store);
    f->store = NULL;
    snprintf(f->s->path, sizeof f->s->path, "%s", copy);
    reopen(f, &f->s->master, NULL);
    struct rcm_patient p;
    assert_int_equal(get(f, &f->a, id, RCM_PF_ALL, &p), RCM_OK);
    assert_string_equal(p.value[RCM_PF_LAST_NAME], "Backed");
}

static void
without_a_master_key_patients_are_refused(void **state)
{
    struct fixture *f = *state;
    rcm_store_close(f->store);
    static const uint8_t audit_key[RCM_AUDIT_KEY_BYTES] = "0123456789abcdef0123456789abcde";
    struct rcm_store_options opt;
    store_fx_options(f->s, &opt, NULL);
    opt.master_key = NULL;
    opt.audit_key = audit_key;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_open(&opt, &f->store, &d), RCM_OK);
    struct rcm_patient p = {0};
    set(&p, RCM_PF_LAST_NAME, "No");
    set(&p, RCM_PF_FIRST_NAME, "Key");
    set(&p, RCM_PF_DOB, "2000-01-01");
    int64_t id;
    assert_int_equal(rcm_store_patient_create(f->store, &f->a, &p, &id, &d), RCM_E_CONFIG);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
static const struct CMUnitTest tests[] = {
    T(values_round_trip_normalised_and_masked),
    T(bad_values_are_refused_without_quoting_them),
    T(search_matches_normalised_values_within_the_tenant),
    T(another_tenants_patient_is_not_found),
    T(moved_ciphertexts_do_not_open),
    T(update_changes_clears_and_reindexes),
    T(update_retries_after_a_concurrent_change),
    T(delete_destroys_the_key_and_audits_every_step),
    T(tenant_rotation_resumes_and_keeps_every_patient_readable_and_found),
    T(master_rotation_needs_both_keys_then_only_the_new),
    T(backup_is_a_complete_copy_that_refuses_to_overwrite),
    T(without_a_master_key_patients_are_refused),
};

STORE_FIXTURE_MAIN(tests)
