/*
 * cli_jobs.c — `openrcm jobs list|show|wait`: a tenant's durable jobs, read
 * from the store directly (the server need not run), and waiting for one
 * to end with a progress bar.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "rcm/date.h"
#include "rcm/str.h"
#include "rcm/store.h"

#define LIST_LIMIT 50
#define WAIT_POLL_MS 500
#define BAR_WIDTH 30

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: openrcm jobs list --tenant SLUG\n"
            "       openrcm jobs show ID --tenant SLUG\n"
            "       openrcm jobs wait ID --tenant SLUG [--timeout SECONDS]\n\n"
            "Durable jobs of a tenant (a key rotation queued with POST\n"
            "/v1/tenant/keys/rotate or `openrcm keys rotate tenant SLUG --job`),\n"
            "as the store has them; the server's workers run them.\n"
            "list: the %d newest: id, kind, state, progress, attempts, created,\n"
            "  finished.\n"
            "show: every field of one job.\n"
            "wait: until the job is done (exit 0) or failed (exit 1), with a\n"
            "  progress bar on stderr when it is a terminal; then one line on\n"
            "  stdout. --timeout: give up after that many seconds (exit 2).\n",
            LIST_LIMIT);
}

static void
iso_or_dash(int64_t ms, char out[RCM_TIME_ISO_LEN + 1])
{
    if (ms)
        rcm_time_format_iso(ms, out);
    else
        snprintf(out, RCM_TIME_ISO_LEN + 1, "-");
}

static int
print_line(void *ctx, const struct rcm_job *j)
{
    (void)ctx;
    char created[RCM_TIME_ISO_LEN + 1], finished[RCM_TIME_ISO_LEN + 1];
    iso_or_dash(j->created_ms, created);
    iso_or_dash(j->finished_ms, finished);
    printf("%lld\t%s\t%s\t%lld/%lld\t%d/%d\t%s\t%s\n", (long long)j->id, j->kind, j->state,
           (long long)j->progress_done, (long long)j->progress_total, j->attempts,
           j->max_attempts, created, finished);
    return 0;
}

static void
print_job(const struct rcm_job *j)
{
    char created[RCM_TIME_ISO_LEN + 1], updated[RCM_TIME_ISO_LEN + 1];
    char finished[RCM_TIME_ISO_LEN + 1], lease[RCM_TIME_ISO_LEN + 1];
    iso_or_dash(j->created_ms, created);
    iso_or_dash(j->updated_ms, updated);
    iso_or_dash(j->finished_ms, finished);
    iso_or_dash(j->lease_expires_ms, lease);
    printf("id:            %lld\n"
           "kind:          %s\n"
           "state:         %s\n"
           "params:        %s\n"
           "progress:      %lld/%lld\n"
           "result:        %s\n"
           "error:         %s\n"
           "attempts:      %d of %d\n"
           "worker:        %s\n"
           "lease until:   %s\n"
           "created by:    %lld\n"
           "created:       %s\n"
           "updated:       %s\n"
           "finished:      %s\n",
           (long long)j->id, j->kind, j->state, j->params, (long long)j->progress_done,
           (long long)j->progress_total, j->result[0] ? j->result : "-",
           j->error[0] ? j->error : "-", j->attempts, j->max_attempts,
           j->lease_owner[0] ? j->lease_owner : "-", lease, (long long)j->created_by,
           created, updated, finished);
}

static bool
ended(const struct rcm_job *j)
{
    return strcmp(j->state, "done") == 0 || strcmp(j->state, "failed") == 0;
}

/* "[#####.....] 50/100 running" over the previous one (a terminal only). */
static void
draw_bar(const struct rcm_job *j)
{
    char bar[BAR_WIDTH + 1];
    int64_t total = j->progress_total, done = j->progress_done;
    int fill = total > 0 ? (int)((done > total ? total : done) * BAR_WIDTH / total) : 0;
    if (strcmp(j->state, "done") == 0)
        fill = BAR_WIDTH;
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r\033[K[%s] %lld/%lld %s", bar, (long long)done, (long long)total,
            j->state);
    fflush(stderr);
}

static volatile sig_atomic_t interrupted;

static void
on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int
wait_job(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
         int64_t timeout_s)
{
    bool tty = isatty(STDERR_FILENO) == 1;
    int64_t deadline = timeout_s ? rcm_time_mono_ms() + timeout_s * 1000 : 0;
    struct rcm_job j;
    struct rcm_diag diag = RCM_DIAG_INIT;
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    for (;;) {
        if (rcm_store_job_get(store, actor, id, &j, &diag) != RCM_OK) {
            if (tty)
                fputc('\n', stderr);
            cli_error("jobs", "%s", diag.msg);
            return diag.code == RCM_E_NOT_FOUND ? CLI_PROBLEMS : CLI_USAGE;
        }
        if (tty)
            draw_bar(&j);
        if (ended(&j) || interrupted || (deadline && rcm_time_mono_ms() >= deadline))
            break;
        struct timespec nap = {0, WAIT_POLL_MS * 1000000L};
        nanosleep(&nap, NULL);
    }
    if (tty)
        fputc('\n', stderr);
    printf("job %lld %s: %s %lld/%lld\n", (long long)j.id, j.kind, j.state,
           (long long)j.progress_done, (long long)j.progress_total);
    if (!ended(&j)) {
        cli_error("jobs", "job %lld has not ended (%s)", (long long)j.id,
                  interrupted ? "interrupted" : "timed out");
        return CLI_USAGE;
    }
    if (strcmp(j.state, "failed") == 0) {
        cli_error("jobs", "job %lld failed: %s", (long long)j.id, j.error);
        return CLI_PROBLEMS;
    }
    return CLI_OK;
}

/* The arguments after the verb: [ID] --tenant SLUG [--timeout S]. */
struct job_args {
    const char *slug;
    int64_t id;
    int64_t timeout_s;
};

static bool
parse_args(int argc, char **argv, bool want_id, bool may_time_out, struct job_args *a)
{
    int i = 2;
    *a = (struct job_args){NULL, 0, 0};
    if (want_id && (i >= argc || rcm_str_to_i64(rcm_str_c(argv[i++]), &a->id) != RCM_OK ||
                    a->id < 1)) {
        cli_error("jobs", "expected a job id");
        return false;
    }
    for (; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--tenant") == 0) {
            a->slug = argv[i + 1];
        } else if (may_time_out && strcmp(argv[i], "--timeout") == 0) {
            if (rcm_str_to_i64(rcm_str_c(argv[i + 1]), &a->timeout_s) != RCM_OK ||
                a->timeout_s < 1) {
                cli_error("jobs", "--timeout must be a whole number of seconds");
                return false;
            }
        } else {
            break;
        }
    }
    if (i != argc || !a->slug) {
        cli_error("jobs", "expected --tenant SLUG (see openrcm jobs --help)");
        return false;
    }
    return true;
}

int
cli_jobs(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("jobs", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    const char *verb = argc > 1 ? argv[1] : "";
    bool list = strcmp(verb, "list") == 0, show = strcmp(verb, "show") == 0,
         wait = strcmp(verb, "wait") == 0;
    struct job_args a;
    if (!list && !show && !wait) {
        usage(stderr);
        goto out;
    }
    if (!parse_args(argc, argv, !list, wait, &a))
        goto out;
    if (!(store = cli_store_open("jobs", &cfg, false)))
        goto out;
    if (rcm_store_migrate(store, NULL, &diag) != RCM_OK) {
        cli_error("jobs", "%s", diag.msg);
        goto out;
    }
    struct rcm_tenant t;
    if (rcm_store_tenant_find(store, a.slug, &t, &diag) != RCM_OK) {
        cli_error("jobs", "no tenant \"%s\"", a.slug);
        rc = CLI_PROBLEMS;
        goto out;
    }
    struct rcm_actor actor = cli_system_actor;
    actor.tenant_id = t.id;
    struct rcm_job j;
    enum rcm_err err = RCM_OK;
    if (list) {
        err = rcm_store_job_list(store, &actor, 0, LIST_LIMIT, print_line, NULL, &diag);
        rc = err ? CLI_USAGE : CLI_OK;
    } else if (show) {
        err = rcm_store_job_get(store, &actor, a.id, &j, &diag);
        if (!err)
            print_job(&j);
        rc = !err ? CLI_OK : err == RCM_E_NOT_FOUND ? CLI_PROBLEMS : CLI_USAGE;
    } else {
        rc = wait_job(store, &actor, a.id, a.timeout_s);
    }
    if (err)
        cli_error("jobs", "%s", diag.msg);
out:
    if (!cli_store_close("jobs", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
