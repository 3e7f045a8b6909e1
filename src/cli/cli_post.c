/*
 * cli_post.c — payment posting from the command line, straight into the
 * store (the server need not run):
 *
 *   openrcm post FILE.835 --tenant SLUG [--user EMAIL]
 *   openrcm denials list --tenant SLUG [--state S] [--category C] [--payer ID]
 *                        [--before YYYY-MM-DD]
 *   openrcm denials show ID --tenant SLUG
 *   openrcm denials act ID ACTION --tenant SLUG [--user EMAIL] [--note TEXT]
 *                       [--letter FILE.html]
 *   openrcm deposits add TRACE AMOUNT YYYY-MM-DD --tenant SLUG [--user EMAIL]
 *   openrcm deposits list --tenant SLUG
 *
 * Exit codes: 0 done (also "already posted"), 1 the input was refused (a
 * malformed 835, no such denial, a conflict), 2 usage or system error.
 * Messages name segments, positions, ids and codes, never values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/buf.h"
#include "rcm/date.h"
#include "rcm/money.h"
#include "rcm/remit.h"
#include "rcm/str.h"
#include "rcm/store.h"

#define POST_MAX_BYTES (1024u * 1024u * 1024u)

struct opts {
    const char *slug, *email, *state, *category, *payer, *before, *note, *letter;
    const char *pos[4];
    int n_pos;
};

static bool
parse(const char *cmd, int argc, char **argv, int from, struct opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = from; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "--tenant") == 0)
            slot = &o->slug;
        else if (strcmp(a, "--user") == 0)
            slot = &o->email;
        else if (strcmp(a, "--state") == 0)
            slot = &o->state;
        else if (strcmp(a, "--category") == 0)
            slot = &o->category;
        else if (strcmp(a, "--payer") == 0)
            slot = &o->payer;
        else if (strcmp(a, "--before") == 0)
            slot = &o->before;
        else if (strcmp(a, "--note") == 0)
            slot = &o->note;
        else if (strcmp(a, "--letter") == 0)
            slot = &o->letter;
        if (slot) {
            if (i + 1 >= argc) {
                cli_error(cmd, "%s needs a value", a);
                return false;
            }
            *slot = argv[++i];
        } else if (a[0] == '-' && a[1] == '-') {
            cli_error(cmd, "unknown option %s", a);
            return false;
        } else if (o->n_pos < 4) {
            o->pos[o->n_pos++] = a;
        } else {
            cli_error(cmd, "too many arguments");
            return false;
        }
    }
    if (!o->slug) {
        cli_error(cmd, "expected --tenant SLUG");
        return false;
    }
    return true;
}

/* Store, tenant and actor (with the user when --user names one). */
static struct rcm_store *
open_for(const char *cmd, struct rcm_config *cfg, const struct opts *o, struct rcm_actor *actor,
         int *rc)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    struct rcm_store *store = cli_store_open(cmd, cfg, false);
    *rc = CLI_USAGE;
    if (!store)
        return NULL;
    if (rcm_store_migrate(store, NULL, &diag) != RCM_OK) {
        cli_error(cmd, "%s", diag.msg);
        return store;
    }
    struct rcm_tenant t;
    if (rcm_store_tenant_find(store, o->slug, &t, &diag) != RCM_OK) {
        cli_error(cmd, "no tenant \"%s\"", o->slug);
        *rc = CLI_PROBLEMS;
        return store;
    }
    *actor = cli_system_actor;
    actor->tenant_id = t.id;
    if (o->email) {
        struct rcm_user u;
        if (rcm_store_login_lookup(store, o->slug, o->email, &u, &diag) != RCM_OK) {
            cli_error(cmd, "no such user in tenant \"%s\"", o->slug);
            *rc = CLI_PROBLEMS;
            return store;
        }
        actor->type = "user";
        actor->user_id = u.id;
    }
    *rc = CLI_OK;
    return store;
}

static void
money(int64_t cents, char out[RCM_MONEY_FMT_MAX])
{
    if (rcm_money_format(cents, out) < 0)
        snprintf(out, RCM_MONEY_FMT_MAX, "?");
}

static bool
read_file(const char *cmd, const char *path, struct rcm_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error(cmd, "cannot open %s", path);
        return false;
    }
    char chunk[1 << 16];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = rcm_buf_add(b, chunk, n) == RCM_OK;
    ok = ok && !ferror(f);
    fclose(f);
    if (!ok)
        cli_error(cmd, "cannot read %s (or it is larger than 1 GiB)", path);
    return ok;
}

static void
print_summary(const struct rcm_remit_post_result *r)
{
    char paid[RCM_MONEY_FMT_MAX], plb[RCM_MONEY_FMT_MAX];
    money(r->paid_cents, paid);
    money(r->plb_cents, plb);
    printf("remittances      %d (posted %d, already posted %d)\n", r->sets, r->posted,
           r->already_posted);
    printf("claims           %d\n", r->claims);
    printf("  paid           %d\n  partially paid %d\n  denied         %d\n"
           "  reversed       %d\n  other          %d\n  unmatched      %d\n",
           r->paid, r->partial, r->denied, r->reversed, r->other, r->unmatched);
    printf("service lines    %d\n", r->service_lines);
    printf("paid (CLP04)     %s\n", paid);
    printf("provider adj.    %s\n", plb);
    printf("denials created  %d\n", r->denials);
    for (int i = 0; i < r->n_ids; i++)
        printf("remittance %lld%s\n", (long long)r->remittance_ids[i],
               r->already[i] ? " already posted" : " posted");
    printf("findings         %d%s\n", r->n_findings + r->n_findings_dropped,
           r->n_findings_dropped ? " (some not listed)" : "");
    for (int i = 0; i < r->n_findings; i++) {
        const struct rcm_remit_finding *f = &r->findings[i];
        printf("  remittance %d claim payment %d: %s %s", f->set, f->seq,
               f->error ? "error" : "warning", f->code);
        if (f->line_no)
            printf(" line %d", f->line_no);
        if (f->expected_cents || f->actual_cents)
            printf(" (expected %lld, got %lld cents)", (long long)f->expected_cents,
                   (long long)f->actual_cents);
        putchar('\n');
    }
    if (r->sets && r->already_posted == r->sets)
        printf("already posted: nothing changed\n");
}

static void
usage_post(FILE *f)
{
    fprintf(f, "usage: openrcm post FILE.835 --tenant SLUG [--user EMAIL]\n\n"
               "Post an 835 into the tenant's claims: each remittance in one transaction,\n"
               "a remittance already posted is left alone (\"already posted\"), a malformed\n"
               "file writes nothing (exit 1). See docs/posting.md.\n");
}

int
cli_post(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage_post(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("post", &cfg, &argc, argv))
        return CLI_USAGE;
    struct opts o;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    struct rcm_buf b = RCM_BUF_INIT(POST_MAX_BYTES);
    struct rcm_remit_post_result *r = NULL;
    if (!parse("post", argc, argv, 1, &o))
        goto out;
    if (o.n_pos != 1) {
        usage_post(stderr);
        goto out;
    }
    if (!read_file("post", o.pos[0], &b))
        goto out;
    struct rcm_actor actor;
    store = open_for("post", &cfg, &o, &actor, &rc);
    if (rc != CLI_OK)
        goto out;
    r = calloc(1, sizeof *r);
    if (!r) {
        rc = CLI_USAGE;
        goto out;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_remit_post_x12(store, &actor, rcm_buf_cstr(&b), b.len, r, &diag);
    if (err == RCM_E_PARSE) {
        cli_error("post", "%s", diag.msg);
        rc = CLI_PROBLEMS;
    } else if (err) {
        if (r->sets)
            print_summary(r);
        cli_error("post", "%s (remittances posted before it stay posted; post the file "
                  "again to finish)", diag.msg);
        rc = CLI_USAGE;
    } else {
        print_summary(r);
        rc = CLI_OK;
    }
out:
    free(r);
    rcm_buf_release(&b);
    if (store && !cli_store_close("post", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}

/* ---- denials ---------------------------------------------------------------- */

static int
print_denial(void *ctx, const struct rcm_denial *d)
{
    (void)ctx;
    char amt[RCM_MONEY_FMT_MAX], denied[11], deadline[11];
    money(d->amount_cents, amt);
    rcm_date_format_iso(d->denied_day, denied);
    rcm_date_format_iso(d->appeal_deadline, deadline);
    printf("%lld\t%s\tclaim %lld\t%s\t%s-%s\t%s\t%s\t%s\t%s\n", (long long)d->id, d->state,
           (long long)d->claim_id, d->control_number, d->group_code, d->carc, d->category, amt,
           denied, deadline);
    return 0;
}

static void
usage_denials(FILE *f)
{
    fprintf(f, "usage: openrcm denials list --tenant SLUG [--state S] [--category C]\n"
               "                          [--payer ID] [--before YYYY-MM-DD]\n"
               "       openrcm denials show ID --tenant SLUG\n"
               "       openrcm denials act ID resubmit|appeal|write_off|close --tenant SLUG\n"
               "                          [--user EMAIL] [--note TEXT] [--letter FILE.html]\n\n"
               "The denial worklist. list: id, state, claim, control number, CARC,\n"
               "category, amount, denied, appeal deadline. appeal needs --note (the\n"
               "argument) and writes the letter to --letter (default: stdout).\n");
}

static bool
id_arg(const char *cmd, const char *s, int64_t *id)
{
    if (!s || rcm_str_to_i64(rcm_str_c(s), id) != RCM_OK || *id < 1) {
        cli_error(cmd, "expected an id");
        return false;
    }
    return true;
}

int
cli_denials(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage_denials(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("denials", &cfg, &argc, argv))
        return CLI_USAGE;
    struct opts o;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    struct rcm_buf letter = RCM_BUF_INIT(1u << 20);
    const char *verb = argc > 1 ? argv[1] : "";
    bool list = strcmp(verb, "list") == 0, show = strcmp(verb, "show") == 0,
         act = strcmp(verb, "act") == 0;
    int64_t id = 0;
    enum rcm_denial_action action = RCM_DENIAL_CLOSE;
    int32_t before = RCM_X12_NO_DATE;
    if (!list && !show && !act) {
        usage_denials(stderr);
        goto out;
    }
    if (!parse("denials", argc, argv, 2, &o))
        goto out;
    if ((show || act) && !id_arg("denials", o.n_pos ? o.pos[0] : NULL, &id))
        goto out;
    if (act && (o.n_pos != 2 || !rcm_denial_action_from_name(o.pos[1], &action))) {
        cli_error("denials", "expected an action: resubmit, appeal, write_off or close");
        goto out;
    }
    if (o.before && rcm_date_parse_iso(rcm_str_c(o.before), &before) != RCM_OK) {
        cli_error("denials", "--before must be a date YYYY-MM-DD");
        goto out;
    }
    struct rcm_actor actor;
    store = open_for("denials", &cfg, &o, &actor, &rc);
    if (rc != CLI_OK)
        goto out;
    struct rcm_diag diag = RCM_DIAG_INIT;
    struct rcm_denial d;
    enum rcm_err err;
    if (list) {
        struct rcm_denial_filter f = {o.state, o.category, o.payer, before, 0, 100};
        err = rcm_store_denial_list(store, &actor, &f, print_denial, NULL, &diag);
    } else if (show) {
        err = rcm_store_denial_get(store, &actor, id, &d, &diag);
        if (!err)
            print_denial(NULL, &d);
    } else {
        err = rcm_store_denial_act(store, &actor, id, (int)action, o.note, &letter, &d, &diag);
        if (!err) {
            print_denial(NULL, &d);
            if (action == RCM_DENIAL_APPEAL) {
                FILE *lf = o.letter ? fopen(o.letter, "w") : stdout;
                if (!lf || fwrite(letter.data, 1, letter.len, lf) != letter.len) {
                    cli_error("denials", "cannot write the letter");
                    err = RCM_E_IO;
                }
                if (lf && lf != stdout)
                    fclose(lf);
            }
        }
    }
    if (err)
        cli_error("denials", "%s", diag.msg);
    rc = !err ? CLI_OK
              : err == RCM_E_NOT_FOUND || err == RCM_E_CONFLICT || err == RCM_E_INVAL
              ? CLI_PROBLEMS : CLI_USAGE;
out:
    rcm_buf_release(&letter);
    if (store && !cli_store_close("denials", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}

/* ---- deposits ---------------------------------------------------------------- */

static int
print_deposit(void *ctx, const struct rcm_deposit *d)
{
    (void)ctx;
    char amt[RCM_MONEY_FMT_MAX], era[RCM_MONEY_FMT_MAX], day[11];
    money(d->amount_cents, amt);
    money(d->remittance_cents, era);
    rcm_date_format_iso(d->deposit_day, day);
    printf("%lld\t%s\t%s\t%s\t%s\n", (long long)d->id, d->trace_number, amt, day,
           !d->remittance_id ? "no remittance yet"
           : d->reconciled   ? "reconciled"
                             : "MISMATCH");
    if (d->remittance_id && !d->reconciled)
        printf("\tremittance %lld pays %s\n", (long long)d->remittance_id, era);
    return 0;
}

static void
usage_deposits(FILE *f)
{
    fprintf(f, "usage: openrcm deposits add TRACE AMOUNT YYYY-MM-DD --tenant SLUG [--user EMAIL]\n"
               "       openrcm deposits list --tenant SLUG\n\n"
               "Bank deposits, reconciled to the remittance with the same trace number\n"
               "(MISMATCH when the amounts differ). AMOUNT in dollars, e.g. 1512.40.\n");
}

int
cli_deposits(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage_deposits(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("deposits", &cfg, &argc, argv))
        return CLI_USAGE;
    struct opts o;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    const char *verb = argc > 1 ? argv[1] : "";
    bool add = strcmp(verb, "add") == 0, list = strcmp(verb, "list") == 0;
    struct rcm_deposit d = {0};
    if ((!add && !list) || !parse("deposits", argc, argv, 2, &o)) {
        if (!add && !list)
            usage_deposits(stderr);
        goto out;
    }
    if (add) {
        if (o.n_pos != 3 || !rcm_str_copy(d.trace_number, sizeof d.trace_number,
                                          rcm_str_c(o.pos[0])) ||
            rcm_money_parse(rcm_str_c(o.pos[1]), &d.amount_cents) != RCM_OK ||
            rcm_date_parse_iso(rcm_str_c(o.pos[2]), &d.deposit_day) != RCM_OK) {
            usage_deposits(stderr);
            goto out;
        }
    }
    struct rcm_actor actor;
    store = open_for("deposits", &cfg, &o, &actor, &rc);
    if (rc != CLI_OK)
        goto out;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err;
    if (add) {
        err = rcm_store_deposit_add(store, &actor, &d, &diag);
        if (!err)
            print_deposit(NULL, &d);
    } else {
        err = rcm_store_deposit_list(store, &actor, 0, 100, print_deposit, NULL, &diag);
    }
    if (err)
        cli_error("deposits", "%s", diag.msg);
    rc = !err ? CLI_OK : err == RCM_E_CONFLICT || err == RCM_E_INVAL ? CLI_PROBLEMS : CLI_USAGE;
out:
    if (store && !cli_store_close("deposits", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
