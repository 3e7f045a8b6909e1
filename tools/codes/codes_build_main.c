/*
 * codes_build_main.c — build-time tool: compile data/codesets into the
 * code-set index (rcm_codes_build). Usage: rcm-codes-build DATA_DIR OUT.
 */
#include <stdio.h>

#include "rcm/codes.h"

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rcm-codes-build DATA_DIR OUT_INDEX\n");
        return 2;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_codes_build(argv[1], argv[2], &diag);
    if (err) {
        fprintf(stderr, "rcm-codes-build: %s\n",
                diag.msg[0] ? diag.msg : rcm_err_str(err));
        return 1;
    }
    return 0;
}
