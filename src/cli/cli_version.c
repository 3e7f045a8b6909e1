/*
 * cli_version.c — `openrcm version`.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/api.h"
#include "rcm/store.h"

int
cli_version(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: openrcm version [--verbose]\n\n"
               "Print the openrcm version; --verbose adds the versions of the\n"
               "libraries it runs on.\n");
        return CLI_OK;
    }
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else {
            cli_error("version", "unknown option '%s'", argv[i]);
            return CLI_USAGE;
        }
    }
    printf("openrcm %s\n", RCM_VERSION);
    if (verbose)
        printf("%s\nlibmicrohttpd %s\njansson %s\n%s\n", rcm_store_library_versions(),
               rcm_server_library_version(), JANSSON_VERSION, OpenSSL_version(OPENSSL_VERSION));
    return CLI_OK;
}
