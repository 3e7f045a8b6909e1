/*
 * cli_int.h — shared pieces of the `openrcm` command line.
 *
 * Each subcommand lives in cli_<name>.c and exposes one `int cli_<name>(int
 * argc, char **argv)` registered in the table in cli_main.c. argv[0] is the
 * subcommand's name. The CLI is the presentation edge: it prints (results on
 * stdout, errors on stderr as "openrcm <cmd>: <message>") and chooses exit
 * codes; the libraries underneath never print or exit.
 */
#ifndef RCM_CLI_INT_H
#define RCM_CLI_INT_H

#include <stdbool.h>

#include "rcm/audit.h"
#include "rcm/config.h"
#include "rcm/err.h"

/* Exit codes shared by every subcommand. */
enum cli_exit {
    CLI_OK = 0,         /* the work was done and found nothing wrong */
    CLI_PROBLEMS = 1,   /* the work was done and found problems (invalid input …) */
    CLI_USAGE = 2,      /* bad usage, or an I/O / system error */
};

struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

/* Print "openrcm <cmd>: <formatted message>\n" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when argv has -h or --help before any "--". */
bool cli_wants_help(int argc, char **argv);

/*
 * Build the configuration for a command: defaults, then the file named by
 * --config FILE or $OPENRCM_CONFIG, then OPENRCM_* variables, then each
 * `--set NAME=VALUE`. Those flags are removed from argv (argc updated) so the
 * command parses only its own. Validation is the caller's (some commands,
 * like `config dump`, show an invalid config rather than refuse it).
 * Prints the error and returns false on failure.
 */
bool cli_config_load(const char *cmd, struct rcm_config *cfg, int *argc,
                     char **argv);

struct rcm_store;

/* Create state_dir (mode 0700 for each new level); prints on failure. */
bool cli_state_dir_ensure(const char *cmd, const struct rcm_config *cfg);

/*
 * Open the configured store (creating state_dir) with the master key (and
 * the previous one while a rotation is unfinished); `create_key` makes a
 * development master key when none is configured or present. NULL after
 * printing.
 */
struct rcm_store *cli_store_open(const char *cmd, const struct rcm_config *cfg,
                                 bool create_key);
/* The same, saying why it failed in *why (RCM_E_CONFLICT: the database's
 * schema history differs from this binary's, or it is newer). */
struct rcm_store *cli_store_open_why(const char *cmd, const struct rcm_config *cfg,
                                     bool create_key, enum rcm_err *why);

/*
 * Close a store from cli_store_open, first anchoring the audit head to
 * audit.anchor_file when this command appended records (docs/security.md).
 * False after printing when the anchor could not be written (the store is
 * closed either way; NULL is fine).
 */
bool cli_store_close(const char *cmd, const struct rcm_config *cfg, struct rcm_store *store);

/* The configured master key (cli_keys.c); `create` as for cli_store_open. */
bool cli_master_key(const char *cmd, const struct rcm_config *cfg, bool create,
                    struct rcm_key *out);
/* The previous master key when security.previous_master_key_file is set. */
bool cli_previous_master_key(const char *cmd, const struct rcm_config *cfg,
                             struct rcm_key *out, bool *have);

/* The actor for work the operator does from the command line. */
extern const struct rcm_actor cli_system_actor;

/* Subcommands. */
int cli_serve(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_keys(int argc, char **argv);
int cli_jobs(int argc, char **argv);
int cli_ack(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_version(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_tenant(int argc, char **argv);

/* Create a user after checking the password policy; prints the result (and
 * the password when `print_password`) or the error. */
bool cli_user_create(const char *cmd, struct rcm_store *store, const char *slug,
                     const char *email, const char *name, int role,
                     const char *password, bool print_password);
int cli_raf(int argc, char **argv);
int cli_codes(int argc, char **argv);
int cli_scrub(int argc, char **argv);
int cli_x12(int argc, char **argv);
int cli_post(int argc, char **argv);
int cli_denials(int argc, char **argv);
int cli_deposits(int argc, char **argv);
int cli_batch(int argc, char **argv);

/* cli_billing.c: the scrubber's reference data, the 837 sender and the
 * outbox, loaded once by serve and the claim commands. */
#include "rcm/billing.h"
#include "rcm/codes.h"
#include "rcm/scrub.h"
struct cli_billing {
    struct rcm_billing_env env;
    struct rcm_codes *codes;
    struct rcm_ncci *ncci;
    struct rcm_payer_rules *rules;
    struct rcm_scrub_ref ref;
    char outbox[4096];
};
bool cli_billing_open(const char *cmd, const struct rcm_config *cfg, struct cli_billing *b);
void cli_billing_close(struct cli_billing *b);
int cli_report(int argc, char **argv);

#endif
