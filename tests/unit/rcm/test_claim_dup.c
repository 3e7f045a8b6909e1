/*
 * test_claim_dup.c — the duplicate-claim fingerprint: the same services
 * under a new claim id collide whatever the order of lines and modifiers;
 * a different patient, payer, date, procedure, modifier, units or charge
 * does not.
 */
#include <string.h>

#include "rcm/cycle.h"
#include "rcm/date.h"
#include "rcm_test.h"

struct fx {
    struct rcm_claim c;
    struct rcm_claim_line l[3];
};

static void
build(struct fx *f)
{
    memset(f, 0, sizeof *f);
    rcm_claim_init(&f->c);
    f->c.id = "CLM-1";
    f->c.frequency = '1';
    f->c.payer.id = "60054";
    int32_t day = 19800;
    struct rcm_claim_line base[3] = {
        {.number = 1, .procedure = "99213", .modifiers = {"25", "GT"}, .n_modifiers = 2,
         .charge_cents = 12500, .units_milli = 1000, .from_date = day, .to_date = day},
        {.number = 2, .procedure = "93000", .charge_cents = 4500, .units_milli = 1000,
         .from_date = day, .to_date = RCM_CLAIM_NO_DATE},
        {.number = 3, .procedure = "J3301", .modifiers = {"JZ"}, .n_modifiers = 1,
         .charge_cents = 2104, .units_milli = 4000, .from_date = day, .to_date = day},
    };
    memcpy(f->l, base, sizeof base);
    f->c.lines = f->l;
    f->c.n_lines = 3;
}

static void
fp(const struct fx *f, int64_t patient, uint8_t out[32])
{
    assert_int_equal(rcm_claim_fingerprint(&f->c, patient, out), RCM_OK);
}

static void
test_same_services_collide(void **state)
{
    (void)state;
    struct fx a, b;
    uint8_t ha[32], hb[32];
    build(&a);
    fp(&a, 7, ha);
    build(&b);
    /* a new claim id, another frequency, lines and modifiers reordered,
     * codes in lower case with spaces, line numbers changed */
    b.c.id = "CLM-2";
    b.c.frequency = '7';
    b.c.original_ref = "PAYER123";
    struct rcm_claim_line t = b.l[0];
    b.l[0] = b.l[2];
    b.l[2] = t;
    b.l[2].modifiers[0] = "gt";
    b.l[2].modifiers[1] = " 25";
    b.l[0].procedure = "j3301";
    b.l[0].number = 9;
    b.l[1].to_date = b.l[1].from_date;   /* absent to date = from date */
    b.l[1].units_milli = 0;              /* absent units = 1 */
    fp(&b, 7, hb);
    assert_memory_equal(ha, hb, 32);
}

static void
test_differences_do_not_collide(void **state)
{
    (void)state;
    struct fx f;
    uint8_t ref[32], h[32];
    build(&f);
    fp(&f, 7, ref);

    fp(&f, 8, h);                                  /* another patient */
    assert_memory_not_equal(ref, h, 32);

    build(&f); f.c.payer.id = "60055"; fp(&f, 7, h);
    assert_memory_not_equal(ref, h, 32);
    build(&f); f.l[1].from_date += 1; f.l[1].to_date = f.l[1].from_date; fp(&f, 7, h);
    assert_memory_not_equal(ref, h, 32);
    build(&f); f.l[0].to_date += 1; fp(&f, 7, h);
    assert_memory_not_equal(ref, h, 32);
    build(&f); f.c.statement_from = 19790; fp(&f, 7, h);
    assert_memory_not_equal(ref, h, 32);
    build(&f); f.l[0].procedure = "99214"; fp(&f, 7, h);
    assert_memory_not_equal(ref, h, 32);
    build(&f); f.l[0].charge_cents += 1; fp(&f, 7, h);
    assert_memory_not_equal(ref, h, 32);
    build(&f); f.l[2].units_milli = 3000; fp(&f, 7, h);
    assert_memory_not_equal(ref, h, 32);
    build(&f); f.l[0].modifiers[1] = "95"; fp(&f, 7, h);
    assert_memory_not_equal(ref, h, 32);
    build(&f); f.l[0].n_modifiers = 1; fp(&f, 7, h);
    assert_memory_not_equal(ref, h, 32);
    build(&f); f.c.n_lines = 2; fp(&f, 7, h);        /* a line fewer */
    assert_memory_not_equal(ref, h, 32);
    /* a line billed twice is not the same as once */
    build(&f); f.l[2] = f.l[1]; uint8_t twice[32]; fp(&f, 7, twice);
    build(&f); f.c.n_lines = 2; fp(&f, 7, h);
    assert_memory_not_equal(twice, h, 32);
    /* the field boundary: procedure "9921" + modifier "325" differs from "99213" */
    build(&f); f.l[0].procedure = "9921"; f.l[0].modifiers[0] = "325"; f.l[0].n_modifiers = 1;
    fp(&f, 7, h);
    build(&f); f.l[0].n_modifiers = 1; f.l[0].modifiers[0] = "25"; fp(&f, 7, ref);
    assert_memory_not_equal(ref, h, 32);
}

static void
test_refusals(void **state)
{
    (void)state;
    struct fx f;
    uint8_t h[32];
    build(&f);
    f.c.n_lines = 0;
    assert_int_equal(rcm_claim_fingerprint(&f.c, 1, h), RCM_E_INVAL);
    build(&f);
    f.l[1].procedure = NULL;
    assert_int_equal(rcm_claim_fingerprint(&f.c, 1, h), RCM_E_INVAL);
    f.l[1].revenue_code = "0450";   /* institutional line without HCPCS */
    assert_int_equal(rcm_claim_fingerprint(&f.c, 1, h), RCM_OK);
}

RUN_TESTS(cmocka_unit_test(test_same_services_collide),
          cmocka_unit_test(test_differences_do_not_collide), cmocka_unit_test(test_refusals))
