/*
 * x12_cli_harness.c — runs `openrcm x12 ...` (src/cli/cli_x12.c) without the
 * rest of the CLI, so the X12 CLI tests do not depend on the server, store
 * and config commands being built. It supplies the two helpers cli_x12.c
 * uses from cli_main.c's neighbours with the same behaviour.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"

void
cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "openrcm %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

bool
cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

int
main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "x12") != 0) {
        fprintf(stderr, "usage: x12_cli_harness x12 ...\n");
        return 2;
    }
    return cli_x12(argc - 1, argv + 1);
}
