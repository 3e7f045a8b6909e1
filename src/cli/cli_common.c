/*
 * cli_common.c — helpers shared by subcommands: errors, --help detection,
 * configuration loading.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"

extern char **environ;

void
cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "openrcm %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
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

/* Remove argv[i .. i+n) and shift the rest down. */
static void
drop_args(int *argc, char **argv, int i, int n)
{
    memmove(argv + i, argv + i + n, (size_t)(*argc - i - n + 1) * sizeof *argv);
    *argc -= n;
}

bool
cli_config_load(const char *cmd, struct rcm_config *cfg, int *argc, char **argv)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_config_init(cfg) != RCM_OK) {
        cli_error(cmd, "out of memory");
        return false;
    }
    /* Pull out --config and --set first; --set applies after file and env. */
    const char *file = getenv("OPENRCM_CONFIG");
    char *sets[64];
    int n_sets = 0;
    for (int i = 1; i < *argc;) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if ((strcmp(a, "--config") == 0 || strcmp(a, "--set") == 0) && i + 1 >= *argc) {
            cli_error(cmd, "%s needs a value", a);
            goto fail;
        }
        if (strcmp(a, "--config") == 0) {
            file = argv[i + 1];
            drop_args(argc, argv, i, 2);
        } else if (strcmp(a, "--set") == 0) {
            if (n_sets == 64) {
                cli_error(cmd, "too many --set flags");
                goto fail;
            }
            sets[n_sets++] = argv[i + 1];
            drop_args(argc, argv, i, 2);
        } else {
            i++;
        }
    }
    if (file && file[0] && rcm_config_load_file(cfg, file, &diag) != RCM_OK) {
        cli_error(cmd, "%s", diag.msg);
        goto fail;
    }
    if (rcm_config_load_env(cfg, environ, &diag) != RCM_OK) {
        cli_error(cmd, "%s", diag.msg);
        goto fail;
    }
    for (int i = 0; i < n_sets; i++) {
        char *eq = strchr(sets[i], '=');
        if (!eq) {
            cli_error(cmd, "--set %s: expected NAME=VALUE", sets[i]);
            goto fail;
        }
        *eq = '\0';
        enum rcm_err err = rcm_config_set(cfg, sets[i], eq + 1, RCM_ORIGIN_FLAG, &diag);
        *eq = '=';
        if (err) {
            cli_error(cmd, "%s", diag.msg);
            goto fail;
        }
    }
    return true;
fail:
    rcm_config_release(cfg);
    return false;
}
