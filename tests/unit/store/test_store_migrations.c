/* The compiled-in migrations of the two backends are twins: the same
 * numbers and names, so a schema version means the same change on SQLite
 * and PostgreSQL (ADR 0004). */
#include <string.h>

#include "rcm_test.h"
#include "store/store_int.h"

#define MAX 256

static void
backends_have_the_same_migrations(void **state)
{
    (void)state;
    struct rcm_migration sqlite[MAX], pg[MAX];
    int ns = rcm_store_migrations("sqlite", sqlite, MAX);
    int np = rcm_store_migrations("pg", pg, MAX);
    assert_true(ns >= 11);
    assert_int_equal(ns, np);
    for (int i = 0; i < ns; i++) {
        assert_int_equal(sqlite[i].version, i + 1);   /* no gaps, from 1 */
        assert_int_equal(pg[i].version, sqlite[i].version);
        assert_string_equal(pg[i].name, sqlite[i].name);
        assert_true(pg[i].len > 0);
    }
}

static void
unknown_backend_has_none(void **state)
{
    (void)state;
    struct rcm_migration list[MAX];
    assert_int_equal(rcm_store_migrations("oracle", list, MAX), 0);
}

RUN_TESTS(cmocka_unit_test(backends_have_the_same_migrations),
          cmocka_unit_test(unknown_backend_has_none))
