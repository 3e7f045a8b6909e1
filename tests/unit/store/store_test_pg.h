/*
 * store_test_pg.h — how a unit test reaches the throwaway PostgreSQL of the
 * ctest fixture "postgres" (tests/pg): the file named by $RCM_TEST_PG_ENV
 * holds "conninfo=…" and "password_file=…" lines. A test whose source names
 * RCM_TEST_PG_ENV requires the fixture (tests/CMakeLists.txt).
 */
#ifndef RCM_STORE_TEST_PG_H
#define RCM_STORE_TEST_PG_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The fixture's connection string (with `options='-c search_path=SCHEMA'`
 * appended when schema is not NULL) and password file; false when there is
 * no fixture (unset variable, unreadable file, missing line).
 */
static inline bool
store_test_pg_env(const char *schema, char *conninfo, size_t cn, char *password_file,
                  size_t pn)
{
    const char *env = getenv("RCM_TEST_PG_ENV");
    FILE *fp = env ? fopen(env, "r") : NULL;
    if (!fp)
        return false;
    char line[512];
    conninfo[0] = password_file[0] = '\0';
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "conninfo=", 9) == 0 && schema)
            snprintf(conninfo, cn, "%s options='-c search_path=%s'", line + 9, schema);
        else if (strncmp(line, "conninfo=", 9) == 0)
            snprintf(conninfo, cn, "%s", line + 9);
        else if (strncmp(line, "password_file=", 14) == 0)
            snprintf(password_file, pn, "%s", line + 14);
    }
    fclose(fp);
    return conninfo[0] && password_file[0];
}

#endif
