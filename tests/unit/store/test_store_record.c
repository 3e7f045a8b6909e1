/*
 * Records about a patient (rcm/record.h), through the first kind, the
 * coverage, on SQLite and on PostgreSQL (store_fixture.h): values checked,
 * sealed fields opened only when asked for, plain columns queryable,
 * tenant scope, tamper detection, crypto-shredding with the patient, and
 * an audit record for every read and change.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/record.h"
#include "store_fixture.h"

struct fx {
    struct store_fx *s;
    struct rcm_actor a, b;          /* users of tenants A and B */
    int64_t patient;                /* a patient of A */
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->s = store_fx_new())) {
        free(f);
        return -1;
    }
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_tenant ta, tb;
    struct rcm_actor sys = {.type = "system"};
    if (rcm_store_tenant_create(f->s->store, &sys, "clinic-a", "A", &ta, &d) ||
        rcm_store_tenant_create(f->s->store, &sys, "clinic-b", "B", &tb, &d))
        return -1;
    f->a = (struct rcm_actor){.tenant_id = ta.id, .type = "user", .user_id = 7};
    f->b = (struct rcm_actor){.tenant_id = tb.id, .type = "user", .user_id = 8};
    struct rcm_patient p = {0};
    const int set[] = {RCM_PF_LAST_NAME, RCM_PF_FIRST_NAME, RCM_PF_DOB};
    const char *val[] = {"Quartz", "Ola", "1961-04-09"};
    for (int i = 0; i < 3; i++) {
        snprintf(p.value[set[i]], sizeof p.value[0], "%s", val[i]);
        p.present |= RCM_PF_BIT(set[i]);
    }
    if (rcm_store_patient_create(f->s->store, &f->a, &p, &f->patient, &d))
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    store_fx_free(f->s);
    free(f);
    return 0;
}

static void
put(struct rcm_record *r, const char *field, const char *value)
{
    int i = rcm_record_field(&rcm_coverage_kind, field);
    assert_true(i >= 0);
    snprintf(r->value[i], sizeof r->value[i], "%s", value);
    r->present |= 1u << i;
}

static const char *
get(const struct rcm_record *r, const char *field)
{
    int i = rcm_record_field(&rcm_coverage_kind, field);
    assert_true(i >= 0);
    return r->value[i];
}

static struct rcm_record
primary(void)
{
    struct rcm_record r = {0};
    put(&r, "payer_id", "60054");
    put(&r, "coverage_order", "primary");
    put(&r, "relationship", "self");
    put(&r, "member_id", "W123456789");
    put(&r, "group_number", "GRP-77");
    put(&r, "effective_from", "2026-01-01");
    put(&r, "effective_to", "2027-12-31");     /* future dates are fine here */
    put(&r, "copay_cents", "2500");
    return r;
}

/* Count audit records with this action for tenant A. */
struct count_ctx {
    const char *action;
    int n;
    char patient_ids[64];
};

static int
count_action(void *ctx, const struct rcm_audit_event *ev)
{
    struct count_ctx *c = ctx;
    if (strcmp(ev->action, c->action) == 0) {
        c->n++;
        snprintf(c->patient_ids, sizeof c->patient_ids, "%s", ev->patient_ids);
    }
    return 0;
}

static int
audited(struct fx *f, const char *action, char *patient_ids)
{
    struct count_ctx c = {action, 0, ""};
    struct rcm_audit_filter q = {.tenant_id = f->a.tenant_id, .limit = 10000};
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_audit_query(f->s->store, &q, count_action, &c, &d), RCM_OK);
    if (patient_ids)
        strcpy(patient_ids, c.patient_ids);
    return c.n;
}

static void
create_get_update_delete(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_record in = primary(), out;
    int64_t id = 0;
    assert_int_equal(rcm_store_record_create(s, &f->a, &rcm_coverage_kind, f->patient, &in, &id,
                                             &d), RCM_OK);
    assert_true(id > 0);
    char pids[64];
    assert_int_equal(audited(f, "coverage.create", pids), 1);
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)f->patient);
    assert_string_equal(pids, want);

    assert_int_equal(rcm_store_record_get(s, &f->a, &rcm_coverage_kind, id, RCM_RECORD_ALL, &out,
                                          &d), RCM_OK);
    assert_int_equal(out.patient_id, f->patient);
    assert_string_equal(get(&out, "member_id"), "W123456789");
    assert_string_equal(get(&out, "payer_id"), "60054");
    assert_string_equal(get(&out, "copay_cents"), "2500");
    assert_string_equal(get(&out, "effective_to"), "2027-12-31");
    assert_string_equal(get(&out, "plan_name"), "");
    assert_int_equal(audited(f, "coverage.read", NULL), 1);

    /* a mask opens only what it names */
    uint32_t only_payer = 1u << rcm_record_field(&rcm_coverage_kind, "payer_id");
    assert_int_equal(rcm_store_record_get(s, &f->a, &rcm_coverage_kind, id, only_payer, &out,
                                          &d), RCM_OK);
    assert_string_equal(get(&out, "payer_id"), "60054");
    assert_string_equal(get(&out, "member_id"), "");
    assert_int_equal(out.present, only_payer);

    /* update: change one, clear one, keep the rest */
    struct rcm_record ch = {0};
    put(&ch, "coverage_order", "secondary");
    put(&ch, "group_number", "");
    assert_int_equal(rcm_store_record_update(s, &f->a, &rcm_coverage_kind, id, &ch, &d), RCM_OK);
    assert_int_equal(rcm_store_record_get(s, &f->a, &rcm_coverage_kind, id, RCM_RECORD_ALL, &out,
                                          &d), RCM_OK);
    assert_string_equal(get(&out, "coverage_order"), "secondary");
    assert_string_equal(get(&out, "group_number"), "");
    assert_string_equal(get(&out, "member_id"), "W123456789");
    assert_true(out.updated_ms > out.created_ms);
    assert_int_equal(audited(f, "coverage.update", NULL), 1);

    /* clearing a required field is refused */
    struct rcm_record clear = {0};
    put(&clear, "member_id", "");
    assert_int_equal(rcm_store_record_update(s, &f->a, &rcm_coverage_kind, id, &clear, &d),
                     RCM_E_INVAL);
    assert_string_equal(d.msg, "member_id is required");

    assert_int_equal(rcm_store_record_delete(s, &f->a, &rcm_coverage_kind, id, &d), RCM_OK);
    assert_int_equal(rcm_store_record_get(s, &f->a, &rcm_coverage_kind, id, RCM_RECORD_ALL, &out,
                                          &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_record_delete(s, &f->a, &rcm_coverage_kind, id, &d),
                     RCM_E_NOT_FOUND);
    assert_int_equal(audited(f, "coverage.delete", NULL), 1);
}

static void
values_are_checked_without_quoting_them(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t id;
    static const struct {
        const char *field, *value, *msg;
    } bad[] = {
        {"coverage_order", "first", "coverage_order must be one of the listed values"},
        {"member_id", "W1<script>", "member_id must be 1-80 letters, digits, '-', '.', '/' or spaces"},
        {"copay_cents", "-5", "copay_cents must be a whole number of cents (0 or more)"},
        {"effective_to", "2025-02-30", "effective_to must be a date YYYY-MM-DD"},
        {"relationship", "spouse", "subscriber_last_name is required when the subscriber is "
                                   "not the patient"},
        {"effective_to", "2025-12-31", "effective_to is before effective_from"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rcm_record r = primary();
        put(&r, bad[i].field, bad[i].value);
        assert_int_equal(rcm_store_record_create(s, &f->a, &rcm_coverage_kind, f->patient, &r,
                                                 &id, &d), RCM_E_INVAL);
        assert_string_equal(d.msg, bad[i].msg);
    }
    struct rcm_record r = primary();
    r.present &= ~(1u << rcm_record_field(&rcm_coverage_kind, "member_id"));
    r.value[rcm_record_field(&rcm_coverage_kind, "member_id")][0] = '\0';
    assert_int_equal(rcm_store_record_create(s, &f->a, &rcm_coverage_kind, f->patient, &r, &id,
                                             &d), RCM_E_INVAL);
    assert_string_equal(d.msg, "member_id is required");
    assert_int_equal(audited(f, "coverage.create", NULL), 0);
}

static void
other_tenants_see_nothing(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_record in = primary(), out;
    int64_t id;
    /* B cannot attach a coverage to A's patient, nor read, list, change or delete A's */
    assert_int_equal(rcm_store_record_create(s, &f->b, &rcm_coverage_kind, f->patient, &in, &id,
                                             &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_record_create(s, &f->a, &rcm_coverage_kind, f->patient, &in, &id,
                                             &d), RCM_OK);
    assert_int_equal(rcm_store_record_get(s, &f->b, &rcm_coverage_kind, id, RCM_RECORD_ALL, &out,
                                          &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_record_list(s, &f->b, &rcm_coverage_kind, f->patient, 0, 10,
                                           RCM_RECORD_ALL, NULL, NULL, &d), RCM_E_NOT_FOUND);
    struct rcm_record ch = {0};
    put(&ch, "payer_id", "99999");
    assert_int_equal(rcm_store_record_update(s, &f->b, &rcm_coverage_kind, id, &ch, &d),
                     RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_record_delete(s, &f->b, &rcm_coverage_kind, id, &d),
                     RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_record_create(s, &f->a, &rcm_coverage_kind, 999999, &in, &id, &d),
                     RCM_E_NOT_FOUND);
}

struct collect {
    int n;
    char members[4][32];
};

static int
collect(void *ctx, const struct rcm_record *r)
{
    struct collect *c = ctx;
    snprintf(c->members[c->n++], sizeof c->members[0], "%s", get(r, "member_id"));
    return 0;
}

static void
list_pages_and_is_audited_once(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t ids[3];
    const char *members[] = {"M-1", "M-2", "M-3"};
    for (int i = 0; i < 3; i++) {
        struct rcm_record r = primary();
        put(&r, "member_id", members[i]);
        assert_int_equal(rcm_store_record_create(s, &f->a, &rcm_coverage_kind, f->patient, &r,
                                                 &ids[i], &d), RCM_OK);
    }
    struct collect c = {0};
    assert_int_equal(rcm_store_record_list(s, &f->a, &rcm_coverage_kind, f->patient, 0, 2,
                                           RCM_RECORD_ALL, collect, &c, &d), RCM_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.members[0], "M-1");
    assert_string_equal(c.members[1], "M-2");
    c.n = 0;
    assert_int_equal(rcm_store_record_list(s, &f->a, &rcm_coverage_kind, f->patient, ids[1], 2,
                                           RCM_RECORD_ALL, collect, &c, &d), RCM_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.members[0], "M-3");
    assert_int_equal(audited(f, "coverage.list", NULL), 2);
    assert_int_equal(rcm_store_record_list(s, &f->a, &rcm_coverage_kind, f->patient, 0, 501,
                                           RCM_RECORD_ALL, collect, &c, &d), RCM_E_INVAL);
}

/* Someone with database access moves an envelope to another row: it no
 * longer opens. Deleting the patient takes their coverages along. */
static enum rcm_err
swap_fn(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    (void)ctx;
    static const struct db_sql SWAP = {"SWAP", "UPDATE coverage SET member_id = (SELECT "
        "member_id FROM coverage WHERE id = (SELECT min(id) FROM coverage)) WHERE id = "
        "(SELECT max(id) FROM coverage)", NULL};
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &SWAP, &st, d);
    return err ? err : db_exec(st, d);
}

static void
moved_envelopes_fail_and_patient_delete_shreds(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t first, second;
    struct rcm_record in = primary(), out;
    assert_int_equal(rcm_store_record_create(s, &f->a, &rcm_coverage_kind, f->patient, &in,
                                             &first, &d), RCM_OK);
    put(&in, "member_id", "OTHER-1");
    assert_int_equal(rcm_store_record_create(s, &f->a, &rcm_coverage_kind, f->patient, &in,
                                             &second, &d), RCM_OK);
    struct db_options o = {.backend = f->s->backend, .path = f->s->path,
                           .conninfo = f->s->conninfo, .password_file = f->s->password_file};
    struct db *db;
    assert_int_equal(db_open(&o, &db, &d), RCM_OK);
    assert_int_equal(db_write(db, swap_fn, NULL, &d), RCM_OK);
    db_close(db);
    assert_int_equal(rcm_store_record_get(s, &f->a, &rcm_coverage_kind, second, RCM_RECORD_ALL,
                                          &out, &d), RCM_E_CRYPTO);
    assert_non_null(strstr(d.msg, "field member_id does not open"));
    assert_null(strstr(d.msg, "W123456789"));
    /* the plain fields alone still read: nothing sealed is opened */
    uint32_t payer = 1u << rcm_record_field(&rcm_coverage_kind, "payer_id");
    assert_int_equal(rcm_store_record_get(s, &f->a, &rcm_coverage_kind, second, payer, &out, &d),
                     RCM_OK);

    assert_int_equal(rcm_store_patient_delete(s, &f->a, f->patient, &d), RCM_OK);
    assert_int_equal(rcm_store_record_get(s, &f->a, &rcm_coverage_kind, first, RCM_RECORD_ALL,
                                          &out, &d), RCM_E_NOT_FOUND);
}

static int
count_rows(void *ctx, const struct rcm_record *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

/* A record of the tenant itself (a provider): no patient, plain columns,
 * still tenant-scoped and audited (without patient ids). */
static void
tenant_records_need_no_patient(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    const struct rcm_record_kind *k = &rcm_provider_kind;
    struct rcm_record in = {0}, out;
    const char *set[][2] = {{"npi", "1234567893"}, {"entity", "organization"},
                            {"name", "Quartz Clinic"}};
    for (int i = 0; i < 3; i++) {
        int at = rcm_record_field(k, set[i][0]);
        snprintf(in.value[at], sizeof in.value[at], "%s", set[i][1]);
        in.present |= 1u << at;
    }
    int64_t id;
    assert_int_equal(rcm_store_record_create(s, &f->a, k, f->patient, &in, &id, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_record_create(s, &f->a, k, 0, &in, &id, &d), RCM_OK);
    assert_int_equal(rcm_store_record_get(s, &f->a, k, id, RCM_RECORD_ALL, &out, &d), RCM_OK);
    assert_int_equal(out.patient_id, 0);
    assert_string_equal(out.value[rcm_record_field(k, "name")], "Quartz Clinic");
    assert_int_equal(rcm_store_record_get(s, &f->b, k, id, RCM_RECORD_ALL, &out, &d),
                     RCM_E_NOT_FOUND);
    int n = 0;
    assert_int_equal(rcm_store_record_list(s, &f->b, k, 0, 0, 10, RCM_RECORD_ALL, count_rows, &n,
                                           &d), RCM_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rcm_store_record_list(s, &f->a, k, 0, 0, 10, RCM_RECORD_ALL, count_rows, &n,
                                           &d), RCM_OK);
    assert_int_equal(n, 1);
    snprintf(in.value[rcm_record_field(k, "npi")], RCM_RECORD_VALUE_MAX, "1234567890");
    assert_int_equal(rcm_store_record_create(s, &f->a, k, 0, &in, &id, &d), RCM_E_INVAL);
    assert_string_equal(d.msg, "npi must be ten digits with a valid NPI check digit");
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM audit_event WHERE "
                                        "action = 'provider.create' AND patient_ids = ''",
                                  NULL), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
static const struct CMUnitTest tests[] = {
    T(create_get_update_delete),
    T(values_are_checked_without_quoting_them),
    T(other_tenants_see_nothing),
    T(list_pages_and_is_audited_once),
    T(moved_envelopes_fail_and_patient_delete_shreds),
    T(tenant_records_need_no_patient),
};

STORE_FIXTURE_MAIN(tests)
