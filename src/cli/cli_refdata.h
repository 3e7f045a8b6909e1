/*
 * cli_refdata.h — CLI helpers shared by `codes` and `scrub`: locate and open
 * the code-set index, parse a date flag. Implemented in cli_codes.c.
 */
#ifndef RCM_CLI_REFDATA_H
#define RCM_CLI_REFDATA_H

#include <stdbool.h>
#include <stdint.h>

#include "rcm/codes.h"

/* `flag` (--index FILE or the codes.index setting) when set, else the index
 * the build made. */
const char *cli_codes_index_path(const char *flag);
/* Open the index; prints the error (with a hint) and returns false on failure. */
bool cli_codes_open(const char *cmd, const char *flag, struct rcm_codes **out);
/* YYYY-MM-DD into days; prints the error and returns false on failure. */
bool cli_parse_date(const char *cmd, const char *text, int32_t *out);

#endif
