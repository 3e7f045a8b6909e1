/*
 * cli_rotate.c — `openrcm keys new|rotate|status`: the operator's side of
 * the key hierarchy (docs/security.md, "Key rotation").
 *
 * A rotation runs in this process against the live database while servers
 * keep serving: each batch is its own short transaction, progress is stored
 * (so `keys status` shows it from anywhere), and a stopped run resumes when
 * started again.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/jobs.h"
#include "rcm/store.h"
#include "rcm/str.h"

#define DEFAULT_BATCH 500

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: openrcm keys new FILE\n"
            "       openrcm keys rotate master\n"
            "       openrcm keys rotate tenant SLUG [--batch N] [--job [--pause-ms MS]]\n"
            "       openrcm keys status\n\n"
            "new: write a new master key to FILE (mode 0600; never overwrites).\n"
            "rotate master: re-wrap every tenant and system key from the previous\n"
            "  master key to the current one. Set security.master_key_file to the\n"
            "  new key and security.previous_master_key_file to the old one (for\n"
            "  the servers too, so they read both meanwhile); when this finishes,\n"
            "  remove previous_master_key_file and retire the old file.\n"
            "rotate tenant: give the tenant a new data key and re-wrap every\n"
            "  patient key under it, N per transaction (default %d), while the\n"
            "  server keeps running. Ctrl-C stops after the current batch; an\n"
            "  interrupted run resumes with the same new key when started again.\n"
            "  --job: queue it instead, for the server's workers (openrcm jobs\n"
            "  wait ID shows it; a rotation already queued or running for the\n"
            "  tenant is named instead of a second one); --pause-ms pauses after\n"
            "  each batch, to pace it on a busy system.\n"
            "status: every rotation, newest first: id, kind, tenant id, state,\n"
            "  keys done/total, started, last progress.\n", DEFAULT_BATCH);
}

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Progress on stderr; SIGINT/SIGTERM stop after the current batch. */
static int
show_progress(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    fprintf(stderr, "openrcm keys: re-wrapped %lld of %lld keys\n", (long long)done,
            (long long)total);
    return stop_requested;
}

/* One line per rotation: id, kind, tenant id (- for master), state,
 * done/total, started, last progress. */
static int
print_rotation(void *ctx, const struct rcm_key_rotation *r)
{
    (void)ctx;
    char started[32], updated[32], tenant[24] = "-";
    rcm_time_format_iso(r->started_ms, started);
    rcm_time_format_iso(r->updated_ms, updated);
    if (r->tenant_id)
        snprintf(tenant, sizeof tenant, "%lld", (long long)r->tenant_id);
    printf("%lld\t%s\t%s\t%s\t%lld/%lld\t%s\t%s\n", (long long)r->id, r->kind, tenant,
           r->state, (long long)r->done, (long long)r->total, started, updated);
    return 0;
}

static int
new_key(const char *path)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_master_key_create(path, NULL, &diag) != RCM_OK) {
        cli_error("keys", "%s", diag.msg);
        return CLI_USAGE;
    }
    printf("wrote a new master key to %s\n", path);
    return CLI_OK;
}

/* Options of `rotate tenant SLUG`: --batch N, --job, --pause-ms MS. */
struct tenant_opts {
    int64_t batch, pause_ms;
    bool job, has_pause;
};

static bool
parse_tenant_opts(int argc, char **argv, struct tenant_opts *o)
{
    *o = (struct tenant_opts){DEFAULT_BATCH, 0, false, false};
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--job") == 0) {
            o->job = true;
        } else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
            if (rcm_str_to_i64(rcm_str_c(argv[++i]), &o->batch) != RCM_OK || o->batch < 1 ||
                o->batch > 10000) {
                cli_error("keys", "--batch must be 1-10000");
                return false;
            }
        } else if (strcmp(argv[i], "--pause-ms") == 0 && i + 1 < argc) {
            if (rcm_str_to_i64(rcm_str_c(argv[++i]), &o->pause_ms) != RCM_OK ||
                o->pause_ms < 0 || o->pause_ms > 60000) {
                cli_error("keys", "--pause-ms must be 0-60000");
                return false;
            }
            o->has_pause = true;
        } else {
            cli_error("keys", "unknown option '%s'", argv[i]);
            return false;
        }
    }
    if (o->has_pause && !o->job) {
        cli_error("keys", "--pause-ms goes with --job");
        return false;
    }
    return true;
}

/* Queue the rotation as a job for the server's workers. */
static int
queue_rotation(struct rcm_store *store, const struct rcm_actor *actor, const char *slug,
               const struct tenant_opts *o)
{
    struct rcm_job job;
    bool created = false;
    struct rcm_diag diag = RCM_DIAG_INIT;
    json_t *params = json_pack("{s:I,s:I}", "batch", (json_int_t)o->batch, "pause_ms",
                               (json_int_t)o->pause_ms);
    enum rcm_err err = params ? rcm_jobs_enqueue(store, actor, RCM_JOB_KIND_ROTATE_TENANT,
                                                 params, &job, &created, &diag)
                              : RCM_E_NOMEM;
    json_decref(params);
    if (err) {
        cli_error("keys", "%s", err == RCM_E_NOMEM ? "out of memory" : diag.msg);
        return CLI_USAGE;
    }
    printf("%s job %lld (openrcm jobs wait %lld --tenant %s)\n",
           created ? "queued" : "a rotation is already queued or running:",
           (long long)job.id, (long long)job.id, slug);
    return CLI_OK;
}

static int
rotate(struct rcm_store *store, int argc, char **argv)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err;
    if (strcmp(argv[2], "master") == 0 && argc == 3) {
        err = rcm_store_rotate_master(store, &cli_system_actor, show_progress, NULL, &diag);
    } else if (strcmp(argv[2], "tenant") == 0 && argc >= 4) {
        struct tenant_opts o;
        if (!parse_tenant_opts(argc, argv, &o))
            return CLI_USAGE;
        struct rcm_tenant t;
        if (rcm_store_tenant_find(store, argv[3], &t, &diag) != RCM_OK) {
            cli_error("keys", "no tenant \"%s\"", argv[3]);
            return CLI_PROBLEMS;
        }
        struct rcm_actor actor = cli_system_actor;
        actor.tenant_id = t.id;
        if (o.job)
            return queue_rotation(store, &actor, t.slug, &o);
        signal(SIGINT, on_stop_signal);
        signal(SIGTERM, on_stop_signal);
        err = rcm_store_rotate_tenant(store, &actor, t.id, (int)o.batch, show_progress, NULL,
                                      &diag);
    } else {
        cli_error("keys", "expected 'rotate master' or 'rotate tenant SLUG'");
        return CLI_USAGE;
    }
    if (err) {
        cli_error("keys", "%s", diag.msg);
        return err == RCM_E_CRYPTO || err == RCM_E_CONFIG || err == RCM_E_STOPPED
                   ? CLI_PROBLEMS : CLI_USAGE;
    }
    printf("rotation complete\n");
    return CLI_OK;
}

int
cli_keys(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("keys", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    const char *verb = argc > 1 ? argv[1] : "";
    if (strcmp(verb, "new") == 0 && argc == 3) {
        rc = new_key(argv[2]);
        goto out;
    }
    bool is_rotate = strcmp(verb, "rotate") == 0 && argc >= 3;
    if (!is_rotate && !(strcmp(verb, "status") == 0 && argc == 2)) {
        usage(stderr);
        goto out;
    }
    if (!(store = cli_store_open("keys", &cfg, false)))
        goto out;
    if (rcm_store_migrate(store, NULL, &diag) != RCM_OK) {
        cli_error("keys", "%s", diag.msg);
        goto out;
    }
    if (is_rotate) {
        rc = rotate(store, argc, argv);
    } else if (rcm_store_key_rotations(store, print_rotation, NULL, &diag) != RCM_OK) {
        cli_error("keys", "%s", diag.msg);
    } else {
        rc = CLI_OK;
    }
out:
    if (!cli_store_close("keys", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
