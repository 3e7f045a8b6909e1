/* cli_scrub.c — placeholder until the scrubber lands (same branch). */
#include "cli/cli_int.h"
int
cli_scrub(int argc, char **argv)
{
    (void)argc;
    cli_error(argv[0], "not built yet");
    return CLI_USAGE;
}
