/*
 * rcm/config.h — configuration from one table of settings.
 *
 * RCM_SETTINGS below is the single source of truth: it generates the struct,
 * the defaults, the parser for every origin, the validation and
 * `openrcm config dump` (and docs/config.md lists the same rows).
 *
 * Precedence, lowest first: built-in default < config file (INI; a setting
 * "server.port" is key `port` in section [server]) < environment variable
 * OPENRCM_SERVER_PORT < command-line flag (--set server.port=8443 or a
 * command's own flag). Each setting remembers where its value came from.
 *
 * Secrets are never values: a SECRET setting holds a path to a file, and the
 * file must exist, be a regular file and not be readable or writable by group
 * or others (mode 0600 or stricter) — start-up fails otherwise.
 */
#ifndef RCM_CONFIG_H
#define RCM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "rcm/buf.h"
#include "rcm/err.h"

enum rcm_setting_type {
    RCM_SET_STR,      /* free text */
    RCM_SET_PATH,     /* a file or directory path */
    RCM_SET_SECRET,   /* path to a file holding a secret (0600) */
    RCM_SET_INT,      /* integer within [min, max] */
    RCM_SET_BOOL,     /* true/false, yes/no, on/off, 1/0 */
    RCM_SET_ENUM,     /* one of the '|'-separated choices */
};

/*
 * X(field, name, type, default, min, max, choices, doc)
 * min/max apply to INT; choices to ENUM. Defaults are strings, parsed like
 * any other origin so a bad default fails the tests, not production.
 */
#define RCM_SETTINGS(X)                                                        \
    X(state_dir, "state_dir", RCM_SET_PATH, "var", 0, 0, NULL,                 \
      "directory for the database, development TLS material and other state") \
    X(reference_dir, "reference_dir", RCM_SET_PATH, RCM_SOURCE_DATA_DIR, 0, 0, \
      NULL, "directory of reference data (code sets, CMS tables)")             \
    X(codes_index, "codes.index", RCM_SET_PATH, "", 0, 0, NULL,                \
      "code-set index (openrcm codes build); empty means the one the build "   \
      "made")                                                                  \
    X(database_backend, "database.backend", RCM_SET_ENUM, "sqlite", 0, 0,      \
      "sqlite|postgres", "storage backend: the embedded SQLite file, or a "    \
      "PostgreSQL database (database.conninfo) that several servers may "     \
      "share (ADR 0004)")                                                      \
    X(database_path, "database.path", RCM_SET_PATH, "", 0, 0, NULL,            \
      "SQLite database file; empty means <state_dir>/openrcm.db")              \
    X(database_busy_timeout_ms, "database.busy_timeout_ms", RCM_SET_INT,       \
      "5000", 0, 600000, NULL, "how long a writer waits for a lock")           \
    X(database_read_connections, "database.read_connections", RCM_SET_INT,     \
      "8", 1, 256, NULL, "read-only connections kept open")                    \
    X(database_conninfo, "database.conninfo", RCM_SET_STR, "", 0, 0, NULL,    \
      "PostgreSQL: libpq connection string without a password, e.g. "         \
      "'host=127.0.0.1 port=5432 dbname=openrcm user=openrcm'")               \
    X(database_password_file, "database.password_file", RCM_SET_SECRET, "",   \
      0, 0, NULL, "PostgreSQL: file holding the password (mode 0600); empty "  \
                  "when the server needs none")                                \
    X(server_listen, "server.listen", RCM_SET_STR, "127.0.0.1", 0, 0, NULL,    \
      "IPv4 address to listen on")                                             \
    X(server_port, "server.port", RCM_SET_INT, "8443", 0, 65535, NULL,         \
      "TCP port; 0 picks a free port and prints it")                           \
    X(server_tls_cert_file, "server.tls_cert_file", RCM_SET_PATH, "", 0, 0,    \
      NULL, "PEM certificate chain; empty means a self-signed development "    \
            "certificate in <state_dir>/tls")                                  \
    X(server_tls_key_file, "server.tls_key_file", RCM_SET_SECRET, "", 0, 0,    \
      NULL, "PEM private key for the certificate (mode 0600)")                 \
    X(server_max_body_bytes, "server.max_body_bytes", RCM_SET_INT, "1048576",  \
      1024, 268435456, NULL, "largest request body accepted")                  \
    X(server_max_header_bytes, "server.max_header_bytes", RCM_SET_INT,         \
      "32768", 4096, 1048576, NULL, "largest request head (line + headers)")   \
    X(server_max_connections, "server.max_connections", RCM_SET_INT, "512", 1, \
      65536, NULL, "concurrent connections in total")                          \
    X(server_max_connections_per_ip, "server.max_connections_per_ip",          \
      RCM_SET_INT, "128", 1, 65536, NULL, "concurrent connections per client " \
                                          "address")                           \
    X(server_idle_timeout_s, "server.idle_timeout_s", RCM_SET_INT, "30", 1,    \
      3600, NULL, "close a connection silent for this long (slow clients)")    \
    X(server_head_timeout_s, "server.head_timeout_s", RCM_SET_INT, "10", 1,    \
      300, NULL, "the TLS handshake and the whole request head must arrive "  \
                 "within this many seconds (of connecting, or of the "       \
                 "previous response on a kept-alive connection); never "     \
                 "longer than server.idle_timeout_s")                        \
    X(server_body_timeout_s, "server.body_timeout_s", RCM_SET_INT, "20", 1,    \
      3600, NULL, "a request body must arrive within this many seconds, "     \
                  "plus one second per server.body_min_rate_bytes_s bytes")  \
    X(server_body_min_rate_bytes_s, "server.body_min_rate_bytes_s",            \
      RCM_SET_INT, "500", 0, 1073741824, NULL, "minimum body rate: each this " \
      "many bytes received extend the body deadline by one second (0: none)") \
    X(server_shutdown_grace_s, "server.shutdown_grace_s", RCM_SET_INT, "10",   \
      0, 600, NULL, "how long SIGTERM waits for in-flight requests")           \
    X(security_master_key_file, "security.master_key_file", RCM_SET_SECRET,    \
      "", 0, 0, NULL, "file holding the master key (mode 0600); empty means a " \
                      "development key in <state_dir>/keys, created on first " \
                      "start")                                                 \
    X(security_previous_master_key_file, "security.previous_master_key_file",  \
      RCM_SET_SECRET, "", 0, 0, NULL, "the master key being replaced, only "   \
      "while `openrcm keys rotate master` has not finished; empty otherwise")  \
    X(audit_anchor_file, "audit.anchor_file", RCM_SET_PATH, "", 0, 0, NULL,    \
      "file the audit chain head is anchored to (keyed JSON lines, also in "   \
      "the operational log); keep it off this volume (docs/security.md); "     \
      "empty means <state_dir>/audit-anchor.jsonl")                            \
    X(audit_anchor_interval_s, "audit.anchor_interval_s", RCM_SET_INT, "10",   \
      1, 3600, NULL, "the server anchors the audit head this often when it "   \
      "moved (the window in which deleting recent records goes unnoticed)")    \
    X(auth_session_idle_s, "auth.session_idle_s", RCM_SET_INT, "900", 60,     \
      1800, NULL, "a session unused this long ends (HIPAA automatic logoff)")  \
    X(api_idempotency_ttl_s, "api.idempotency_ttl_s", RCM_SET_INT, "86400", 1, \
      604800, NULL, "how long the answer to a POST sent with an "             \
      "Idempotency-Key is kept for repeats of it; an older key counts as new") \
    X(jobs_workers, "jobs.workers", RCM_SET_INT, "2", 0, 64, NULL,             \
      "threads of the server that run durable jobs (key rotation); 0: this "  \
      "server runs none, another one does")                                    \
    X(jobs_lease_s, "jobs.lease_s", RCM_SET_INT, "30", 2, 3600, NULL,          \
      "a job stays with its worker this long after its last progress report; " \
      "when the worker dies, another takes the job after that. Longer than "   \
      "any one batch of a job takes")                                          \
    X(jobs_poll_ms, "jobs.poll_ms", RCM_SET_INT, "1000", 10, 60000, NULL,      \
      "an idle worker looks this often for jobs queued by other processes "    \
      "and for jobs whose lease ran out (jobs queued by this server wake it "  \
      "at once)")                                                              \
    X(claims_outbox_dir, "claims.outbox_dir", RCM_SET_PATH, "", 0, 0, NULL,    \
      "directory the 837 batches are written to (0700, files 0600); empty "   \
      "means <state_dir>/outbox")                                              \
    X(x12_sender_qualifier, "x12.sender_qualifier", RCM_SET_STR, "ZZ", 0,   \
      0, NULL, "ISA05: the qualifier of the interchange sender id")            \
    X(x12_sender_id, "x12.sender_id", RCM_SET_STR, "OPENRCM", 0, 0, NULL,   \
      "ISA06 and GS02: the interchange sender id the clearinghouse assigned; " \
      "also the 837 submitter id (1000A)")                                     \
    X(x12_submitter_name, "x12.submitter_name", RCM_SET_STR, "OPENRCM", 0,  \
      0, NULL, "the 837 submitter's name (1000A NM103)")                      \
    X(x12_default_partner, "x12.default_partner", RCM_SET_STR,              \
      "CLEARINGHOUSE", 0, 0, NULL, "ISA08 and GS03 for payers whose record "   \
      "names no receiver_id: the clearinghouse claims go to; control "        \
      "numbers are counted per partner")                                       \
    X(x12_usage, "x12.usage", RCM_SET_ENUM, "T", 0, 0, "T|P",                 \
      "ISA15: T for test interchanges, P for production")                      \
    X(log_level, "log.level", RCM_SET_ENUM, "info", 0, 0,                      \
      "debug|info|warn|error", "lowest operational log level written")

enum rcm_config_origin {
    RCM_ORIGIN_DEFAULT,
    RCM_ORIGIN_FILE,
    RCM_ORIGIN_ENV,
    RCM_ORIGIN_FLAG,
};

/* One value per setting; strings owned by the config (rcm_config_release). */
union rcm_setting_value {
    char *str;
    int64_t i;
    bool b;
};

enum rcm_setting_id {
#define RCM_SETTING_ID(field, name, type, def, min, max, choices, doc)         \
    RCM_SETTING_##field,
    RCM_SETTINGS(RCM_SETTING_ID)
#undef RCM_SETTING_ID
    RCM_SETTING_COUNT
};

struct rcm_config {
    union rcm_setting_value v[RCM_SETTING_COUNT];
    enum rcm_config_origin origin[RCM_SETTING_COUNT];
};

/* Typed accessors: RCM_CFG_STR(cfg, server_listen), RCM_CFG_INT(cfg, server_port). */
#define RCM_CFG_STR(cfg, field) ((const char *)(cfg)->v[RCM_SETTING_##field].str)
#define RCM_CFG_INT(cfg, field) ((cfg)->v[RCM_SETTING_##field].i)
#define RCM_CFG_BOOL(cfg, field) ((cfg)->v[RCM_SETTING_##field].b)

struct rcm_setting_info {
    const char *name;
    enum rcm_setting_type type;
    const char *def;
    int64_t min, max;
    const char *choices;
    const char *doc;
};

/* The table row for a setting id, or NULL. */
const struct rcm_setting_info *rcm_setting_info(int id);
/* "server.max_body_bytes" -> "OPENRCM_SERVER_MAX_BODY_BYTES" (truncated to size). */
void rcm_setting_env_name(const char *name, char *out, size_t size);
/* Setting id for "server.port", or -1. */
int rcm_setting_find(const char *name);

/* Fill with defaults. Fails only on allocation failure. */
RCM_MUST_CHECK enum rcm_err rcm_config_init(struct rcm_config *cfg);
void rcm_config_release(struct rcm_config *cfg);

/*
 * Set one setting from text. RCM_E_NOT_FOUND for an unknown name,
 * RCM_E_CONFIG for a value of the wrong form or out of range; diag names the
 * setting, the origin and what is expected.
 */
RCM_MUST_CHECK enum rcm_err rcm_config_set(struct rcm_config *cfg,
                                           const char *name, const char *value,
                                           enum rcm_config_origin origin,
                                           struct rcm_diag *diag);

/* Apply an INI file; an unknown section/key is an error naming the line. */
RCM_MUST_CHECK enum rcm_err rcm_config_load_file(struct rcm_config *cfg,
                                                 const char *path,
                                                 struct rcm_diag *diag);

/*
 * Apply OPENRCM_* variables from `envp` (NULL-terminated "K=V" strings).
 * OPENRCM_CONFIG (the file path) is skipped; any other unknown OPENRCM_
 * variable is an error, so a typo cannot silently fall back to a default.
 */
RCM_MUST_CHECK enum rcm_err rcm_config_load_env(struct rcm_config *cfg,
                                                char *const *envp,
                                                struct rcm_diag *diag);

/* Checks that need the whole config or the file system (secret files). */
RCM_MUST_CHECK enum rcm_err rcm_config_validate(const struct rcm_config *cfg,
                                                struct rcm_diag *diag);

/* "name = value   # origin" lines, or a JSON object when `json`. */
RCM_MUST_CHECK enum rcm_err rcm_config_dump(const struct rcm_config *cfg,
                                            bool json, struct rcm_buf *out);

const char *rcm_config_origin_name(enum rcm_config_origin origin);

/* The database file: database.path, or <state_dir>/openrcm.db. Owned: rcm_free. */
char *rcm_config_database_path(const struct rcm_config *cfg);
/* The audit anchor file: audit.anchor_file, or <state_dir>/audit-anchor.jsonl.
 * Owned: rcm_free. */
char *rcm_config_audit_anchor_path(const struct rcm_config *cfg);

#endif
