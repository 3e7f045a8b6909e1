/*
 * cli_serve.c — `openrcm serve`: open and migrate the store, load TLS
 * material, start the job workers and the API server and run until
 * SIGTERM/SIGINT, then stop gracefully (workers stop taking jobs and give a
 * running one back after its current batch, in-flight requests finish, the
 * database closes cleanly).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_int.h"
#include "rcm/api.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/jobs.h"
#include "rcm/roles.h"
#include "rcm/log.h"
#include "rcm/mem.h"
#include "rcm/store.h"
#include "rcm/tls.h"

#define DEMO_TENANT_SLUG "demo"
#define DEMO_TENANT_NAME "Demo Family Practice"
#define DEMO_OWNER_EMAIL "owner@demo.example"

static void
help(void)
{
    printf("usage: openrcm serve [--port N] [--listen ADDR] [--state-dir DIR] [--demo]\n"
           "                     [--config FILE] [--set NAME=VALUE]...\n\n"
           "Run the HTTPS API server. Migrates the database first. Without a\n"
           "configured certificate it creates a self-signed development\n"
           "certificate in <state_dir>/tls. --port 0 picks a free port. --demo\n"
           "makes sure a demo tenant exists. Prints the URL once listening;\n"
           "stops gracefully on SIGTERM or SIGINT.\n"
           "See `openrcm config dump` for every setting.\n");
}

/* Map serve's own flags to settings; false after printing on bad usage. */
static bool
parse_flags(struct rcm_config *cfg, int argc, char **argv, bool *demo)
{
    static const struct {
        const char *flag;
        const char *setting;
    } map[] = {
        {"--port", "server.port"},
        {"--listen", "server.listen"},
        {"--state-dir", "state_dir"},
    };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--demo") == 0) {
            *demo = true;
            continue;
        }
        size_t k = 0;
        while (k < sizeof map / sizeof map[0] && strcmp(argv[i], map[k].flag) != 0)
            k++;
        if (k == sizeof map / sizeof map[0]) {
            cli_error("serve", "unknown option '%s'", argv[i]);
            return false;
        }
        if (i + 1 >= argc) {
            cli_error("serve", "%s needs a value", argv[i]);
            return false;
        }
        struct rcm_diag diag = RCM_DIAG_INIT;
        if (rcm_config_set(cfg, map[k].setting, argv[++i], RCM_ORIGIN_FLAG, &diag)) {
            cli_error("serve", "%s", diag.msg);
            return false;
        }
    }
    return true;
}

/* Load the configured certificate and key, or the development pair. */
static bool
load_tls(const struct rcm_config *cfg, char **cert, char **key)
{
    const char *cert_path = RCM_CFG_STR(cfg, server_tls_cert_file);
    const char *key_path = RCM_CFG_STR(cfg, server_tls_key_file);
    char dev_cert[4096], dev_key[4096];
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!cert_path[0]) {
        char dir[4000];
        snprintf(dir, sizeof dir, "%s/tls", RCM_CFG_STR(cfg, state_dir));
        if (rcm_tls_dev_cert_ensure(dir, &diag) != RCM_OK) {
            cli_error("serve", "%s", diag.msg);
            return false;
        }
        snprintf(dev_cert, sizeof dev_cert, "%s/dev-cert.pem", dir);
        snprintf(dev_key, sizeof dev_key, "%s/dev-key.pem", dir);
        cert_path = dev_cert;
        key_path = dev_key;
        RCM_LOG(RCM_LOG_WARN, "tls.dev_certificate", NULL,
                RCM_LF_S("detail", "no certificate configured; using a self-signed "
                                   "development certificate"));
    }
    if (rcm_tls_pem_read(cert_path, cert, &diag) != RCM_OK ||
        rcm_tls_pem_read(key_path, key, &diag) != RCM_OK) {
        cli_error("serve", "%s", diag.msg);
        rcm_tls_pem_free(*cert);
        *cert = NULL;
        return false;
    }
    return true;
}

/* The demo tenant and, when it is new, its owner with a generated password
 * printed once. */
static bool
ensure_demo_tenant(struct rcm_store *store)
{
    struct rcm_tenant t;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_tenant_find(store, DEMO_TENANT_SLUG, &t, &diag);
    bool created = err == RCM_E_NOT_FOUND;
    if (created)
        err = rcm_store_tenant_create(store, &cli_system_actor, DEMO_TENANT_SLUG,
                                      DEMO_TENANT_NAME, &t, &diag);
    if (err) {
        cli_error("serve", "cannot set up the demo tenant: %s", diag.msg);
        return false;
    }
    if (created) {
        char password[RCM_TOKEN_TEXT_LEN + 1];
        rcm_token_new(password);
        printf("demo tenant '%s': log in with POST /v1/auth/login\n", DEMO_TENANT_SLUG);
        bool ok = cli_user_create("serve", store, DEMO_TENANT_SLUG, DEMO_OWNER_EMAIL,
                                  "Demo Owner", RCM_ROLE_OWNER, password, true);
        rcm_crypto_wipe(password, sizeof password);
        if (!ok)
            return false;
    }
    RCM_LOG(RCM_LOG_INFO, "demo.tenant", NULL, RCM_LF_S("slug", t.slug),
            RCM_LF_I("tenant_id", t.id));
    return true;
}

/* Anchor the audit head (rcm_store_audit_anchor); false after logging. */
static bool
anchor(struct rcm_store *store, const char *path, bool force)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_audit_anchor(store, path, force, NULL, &diag) == RCM_OK)
        return true;
    RCM_LOG(RCM_LOG_ERROR, "audit.anchor_failed", NULL, RCM_LF_S("detail", diag.msg));
    return false;
}

/* The job workers (jobs.workers, none when 0); false after printing. */
static bool
start_jobs(const struct rcm_config *cfg, struct rcm_store *store, struct rcm_jobs **jobs)
{
    *jobs = NULL;
    int n = (int)RCM_CFG_INT(cfg, jobs_workers);
    if (n == 0)
        return true;
    struct rcm_jobs_options o = {
        .store = store,
        .workers = n,
        .lease_ms = RCM_CFG_INT(cfg, jobs_lease_s) * 1000,
        .poll_ms = RCM_CFG_INT(cfg, jobs_poll_ms),
    };
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_jobs_start(&o, jobs, &diag) != RCM_OK) {
        cli_error("serve", "%s", diag.msg);
        return false;
    }
    RCM_LOG(RCM_LOG_INFO, "jobs.started", NULL, RCM_LF_I("workers", n),
            RCM_LF_I("lease_s", RCM_CFG_INT(cfg, jobs_lease_s)));
    return true;
}

int
cli_serve(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help();
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("serve", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE;
    bool demo = false;
    char *cert = NULL, *key = NULL;
    struct rcm_store *store = NULL;
    struct rcm_server *server = NULL;
    struct rcm_jobs *jobs = NULL;
    bool jobs_stopped = true;   /* false: a worker is still busy; keep the store */
    struct rcm_pwlist pwlist = {0};
    struct rcm_key mfa_key = {0};
    struct cli_billing billing = {0};
    char *anchor_path = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!parse_flags(&cfg, argc, argv, &demo))
        goto out;
    if (rcm_config_validate(&cfg, &diag) != RCM_OK) {
        cli_error("serve", "invalid configuration: %s", diag.msg);
        goto out;
    }
    rcm_log_set_level((enum rcm_log_level)rcm_log_level_parse(RCM_CFG_STR(&cfg, log_level)));

    /* Signals are taken synchronously by sigwait below; block them before
     * any thread starts so every thread inherits the mask. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    store = cli_store_open("serve", &cfg, true);
    if (!store)
        goto out;
    struct rcm_migrate_report rep;
    if (rcm_store_migrate(store, &rep, &diag) != RCM_OK) {
        cli_error("serve", "%s", diag.msg);
        goto out;
    }
    RCM_LOG(RCM_LOG_INFO, "store.ready", NULL, RCM_LF_S("backend", rcm_store_backend(store)),
            RCM_LF_I("schema_version", rep.to_version), RCM_LF_I("applied", rep.applied));
    if (demo && !ensure_demo_tenant(store))
        goto out;
    if (!load_tls(&cfg, &cert, &key))
        goto out;
    if (rcm_store_system_key(store, RCM_SYSTEM_KEY_MFA, &mfa_key, &diag) != RCM_OK) {
        cli_error("serve", "%s", diag.msg);
        goto out;
    }
    if (rcm_pwlist_load_embedded(&pwlist, &diag) != RCM_OK) {
        cli_error("serve", "%s", diag.msg);
        goto out;
    }
    /* Anchor the head the server starts from (an upgraded database gets its
     * first anchor here); a server that cannot anchor does not start. */
    if (!(anchor_path = rcm_config_audit_anchor_path(&cfg))) {
        cli_error("serve", "out of memory");
        goto out;
    }
    if (!anchor(store, anchor_path, true)) {
        cli_error("serve", "cannot anchor the audit log to %s (audit.anchor_file)",
                  anchor_path);
        goto out;
    }

    if (!cli_billing_open("serve", &cfg, &billing))
        goto out;
    if (!start_jobs(&cfg, store, &jobs))
        goto out;

    struct rcm_server_options opt = {
        .listen = RCM_CFG_STR(&cfg, server_listen),
        .port = (uint16_t)RCM_CFG_INT(&cfg, server_port),
        .tls_cert_pem = cert,
        .tls_key_pem = key,
        .max_body_bytes = (size_t)RCM_CFG_INT(&cfg, server_max_body_bytes),
        .max_header_bytes = (size_t)RCM_CFG_INT(&cfg, server_max_header_bytes),
        .max_connections = (unsigned)RCM_CFG_INT(&cfg, server_max_connections),
        .max_connections_per_ip = (unsigned)RCM_CFG_INT(&cfg, server_max_connections_per_ip),
        .idle_timeout_s = (unsigned)RCM_CFG_INT(&cfg, server_idle_timeout_s),
        .head_timeout_s = (unsigned)RCM_CFG_INT(&cfg, server_head_timeout_s),
        .body_timeout_s = (unsigned)RCM_CFG_INT(&cfg, server_body_timeout_s),
        .body_min_rate_bytes_s = (unsigned)RCM_CFG_INT(&cfg, server_body_min_rate_bytes_s),
        .store = store,
        .session_idle_s = (unsigned)RCM_CFG_INT(&cfg, auth_session_idle_s),
        .pwlist = &pwlist,
        .mfa_key = &mfa_key,
        .idempotency_ttl_s = (unsigned)RCM_CFG_INT(&cfg, api_idempotency_ttl_s),
        .jobs = jobs,
        .billing = &billing.env,
    };
    if (rcm_server_start(&opt, &server, &diag) != RCM_OK) {
        cli_error("serve", "%s", diag.msg);
        goto out;
    }
    rcm_tls_pem_free(key);
    key = NULL;
    printf("openrcm %s serving https://%s:%u/ (state in %s)\n", RCM_VERSION, opt.listen,
           (unsigned)rcm_server_port(server), RCM_CFG_STR(&cfg, state_dir));
    fflush(stdout);
    RCM_LOG(RCM_LOG_INFO, "server.started", NULL, RCM_LF_S("listen", opt.listen),
            RCM_LF_I("port", rcm_server_port(server)));

    /* Wait for a stop signal; meanwhile anchor the audit head every
     * audit.anchor_interval_s when it moved, and once a minute record
     * break-glass grants that ran out. */
    int sig = 0;
    int64_t next_expiry_ms = rcm_time_now_ms() + 60000;
    for (;;) {
        struct timespec tick = {.tv_sec = (time_t)RCM_CFG_INT(&cfg, audit_anchor_interval_s)};
        sig = sigtimedwait(&stop_signals, NULL, &tick);
        if (sig > 0)
            break;
        if (errno != EAGAIN)
            continue;   /* EINTR */
        anchor(store, anchor_path, false);
        if (rcm_time_now_ms() < next_expiry_ms)
            continue;
        next_expiry_ms = rcm_time_now_ms() + 60000;
        int expired = 0;
        if (rcm_store_break_glass_expire(store, rcm_time_now_ms(), &expired, &diag) != RCM_OK)
            RCM_LOG(RCM_LOG_ERROR, "break_glass.expire_failed", NULL,
                    RCM_LF_S("detail", diag.msg));
        else if (expired)
            RCM_LOG(RCM_LOG_INFO, "break_glass.expired", NULL, RCM_LF_I("grants", expired));
    }
    RCM_LOG(RCM_LOG_INFO, "server.stopping", NULL, RCM_LF_S("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"),
            RCM_LF_I("in_flight", rcm_server_in_flight(server)));
    /* Workers and requests wind down side by side, within one grace period:
     * the workers stop taking jobs now and give a running one back after
     * its current batch; a worker still busy at the end is left to the
     * lease, as after a crash (and then the store stays open until exit). */
    int64_t grace_ms = RCM_CFG_INT(&cfg, server_shutdown_grace_s) * 1000;
    int64_t stop_started = rcm_time_mono_ms();
    rcm_jobs_stop_begin(jobs);
    rcm_server_stop(server, (unsigned)RCM_CFG_INT(&cfg, server_shutdown_grace_s));
    server = NULL;
    jobs_stopped = rcm_jobs_stop(jobs, grace_ms - (rcm_time_mono_ms() - stop_started));
    jobs = NULL;
    rc = anchor(store, anchor_path, false) ? CLI_OK : CLI_USAGE;
    RCM_LOG0(RCM_LOG_INFO, "server.stopped", NULL);
out:
    rcm_server_stop(server, 0);
    jobs_stopped = jobs_stopped &&
                   rcm_jobs_stop(jobs, RCM_CFG_INT(&cfg, server_shutdown_grace_s) * 1000);
    rcm_free(anchor_path);
    if (jobs_stopped)
        rcm_store_close(store);
    rcm_pwlist_release(&pwlist);
    cli_billing_close(&billing);
    rcm_key_wipe(&mfa_key);
    rcm_tls_pem_free(cert);
    rcm_tls_pem_free(key);
    rcm_config_release(&cfg);
    return rc;
}
