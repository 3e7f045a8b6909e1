/*
 * remit_match.c — the posting plan: which stored claim line each SVC of an
 * 835 claim payment pays, how it was matched, what each line and the claim
 * get (paid, allowed, adjustments by group and CARC, patient
 * responsibility, remarks), the claim's outcome, and the 835 balance
 * checks. Pure: no store, no allocation; the caller posts the plan.
 *
 * Matching runs in passes over every SVC (control number, exact procedure
 * and modifiers, SVC06 original, procedure alone) so that a loose match of
 * an early SVC never takes the line a later SVC matches exactly. The rules
 * and their tie-breaks are in rcm/posting.h (rcm_post_plan_build).
 *
 * Signs: amounts are posted as they should change the ledger. A reversal
 * (CLP02 = 22) arrives with negative amounts and is posted as is; one sent
 * with positive amounts (seen from some payers) is negated, with the
 * warning reversal-sign.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/posting.h"

enum pass { P_CONTROL = 1, P_EXACT, P_ORIGINAL, P_PROCEDURE };

struct ctx {
    const struct rcm_x12_claim_payment *pay;
    const struct rcm_post_line *lines;
    size_t n_lines;
    struct rcm_post_plan *plan;
    int64_t sign;
    bool taken[RCM_X12_MAX_LINES];       /* by a paying SVC */
    bool taken_rev[RCM_X12_MAX_LINES];   /* by a reversing SVC */
    bool ambiguous[RCM_X12_MAX_LINES];   /* per SVC: pass 4 found several */
    bool errors;
};

/* ---------------------------------------------------------- findings */

static void
finding(struct ctx *c, const char *code, enum rcm_post_severity sev, int svc,
        int line_no, int64_t expected, int64_t actual)
{
    struct rcm_post_plan *p = c->plan;
    if (sev == RCM_POST_ERROR)
        c->errors = true;
    if (p->n_findings >= RCM_POST_MAX_FINDINGS) {
        p->n_findings_dropped++;
        return;
    }
    p->findings[p->n_findings++] = (struct rcm_post_finding){
        .code = code, .severity = sev, .svc_index = svc, .line_no = line_no,
        .expected_cents = expected, .actual_cents = actual,
    };
}

/* Saturating sum: an absurd amount fails a balance check, never wraps. */
static int64_t
add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return a > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t
times_sign(int64_t v, int64_t sign)
{
    if (sign > 0)
        return v;
    return v == INT64_MIN ? INT64_MAX : -v;
}

/* ---------------------------------------------------------- matching */

/* The same set of non-empty modifiers, in any order. */
static bool
mods_equal(const char a[4][3], const char b[4][3])
{
    bool used[4] = {false, false, false, false};
    int na = 0, nb = 0;
    for (int i = 0; i < 4; i++) {
        nb += b[i][0] != 0;
        if (!a[i][0])
            continue;
        na++;
        int j = 0;
        while (j < 4 && (used[j] || !b[j][0] || strcmp(a[i], b[j]) != 0))
            j++;
        if (j == 4)
            return false;
        used[j] = true;
    }
    return na == nb;
}

static bool
control_eq(const struct rcm_post_line *l, const char *ctrl)
{
    if (l->control[0])
        return strcmp(l->control, ctrl) == 0;
    char own[32];
    snprintf(own, sizeof own, "L%lld", (long long)l->id);
    return strcmp(own, ctrl) == 0;
}

static bool
is_reversal_svc(const struct ctx *c, const struct rcm_x12_line *s)
{
    return times_sign(s->charge_cents, c->sign) < 0 || times_sign(s->paid_cents, c->sign) < 0;
}

static bool
candidate(const struct ctx *c, const struct rcm_x12_line *s, size_t i, enum pass pass)
{
    const struct rcm_post_line *l = &c->lines[i];
    if (is_reversal_svc(c, s) ? c->taken_rev[i] : c->taken[i])
        return false;
    switch (pass) {
    case P_CONTROL:
        return s->control[0] && control_eq(l, s->control);
    case P_EXACT:
        return strcmp(s->procedure, l->procedure) == 0 && mods_equal(s->modifiers, l->modifiers);
    case P_ORIGINAL:
        return s->orig_procedure[0] && strcmp(s->orig_procedure, l->procedure) == 0 &&
               mods_equal(s->orig_modifiers, l->modifiers);
    case P_PROCEDURE:
        return strcmp(s->orig_procedure[0] ? s->orig_procedure : s->procedure,
                      l->procedure) == 0;
    }
    return false;
}

static int64_t
abs64(int64_t v)
{
    return v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v;
}

/*
 * Among the candidates, the first with the SVC's service date, else the
 * first with its charge, else the first. Pass 4 takes only a lone one.
 */
static int
pick(const struct ctx *c, const struct rcm_x12_line *s, enum pass pass, int *count)
{
    int first = -1, by_date = -1, by_charge = -1;
    *count = 0;
    for (size_t i = 0; i < c->n_lines; i++) {
        if (!candidate(c, s, i, pass))
            continue;
        (*count)++;
        const struct rcm_post_line *l = &c->lines[i];
        if (first < 0)
            first = (int)i;
        if (by_date < 0 && s->service_date_days != RCM_X12_NO_DATE &&
            s->service_date_days == l->service_date_days)
            by_date = (int)i;
        if (by_charge < 0 && abs64(s->charge_cents) == l->charge_cents)
            by_charge = (int)i;
    }
    if (pass == P_PROCEDURE)
        return *count == 1 ? first : -1;
    return by_date >= 0 ? by_date : by_charge >= 0 ? by_charge : first;
}

static void
match_pass(struct ctx *c, enum pass pass)
{
    struct rcm_post_plan *p = c->plan;
    for (int k = 0; k < p->n_results; k++) {
        struct rcm_post_line_result *r = &p->results[k];
        if (r->line_index >= 0)
            continue;
        const struct rcm_x12_line *s = &c->pay->lines[k];
        int count;
        int i = pick(c, s, pass, &count);
        if (pass == P_PROCEDURE && count > 1)
            c->ambiguous[k] = true;
        if (i < 0)
            continue;
        r->line_index = i;
        r->line_id = c->lines[i].id;
        r->match = (enum rcm_post_match)pass;
        r->reversal = is_reversal_svc(c, s);
        if (r->reversal)
            c->taken_rev[i] = true;
        else
            c->taken[i] = true;
    }
}

/* ------------------------------------------------------- adjustments */

/* Copy one CAS adjustment into the plan, signed, with its category; add
 * it to the group sums. Returns the signed amount. */
static int64_t
take_adj(struct ctx *c, const struct rcm_x12_adjustment *a, struct rcm_post_adj *out,
         int64_t *groups, int64_t *other, int svc, int line_no)
{
    memset(out, 0, sizeof *out);
    memcpy(out->group, a->group, sizeof out->group);
    memcpy(out->carc, a->reason, sizeof out->carc);
    out->amount_cents = times_sign(a->amount_cents, c->sign);
    out->category = rcm_denial_category(out->group, out->carc);
    out->workable = rcm_denial_is_workable(out->group, out->carc, out->amount_cents);
    enum rcm_adj_group g;
    if (rcm_adj_group_from_code(out->group, &g)) {
        groups[g] = add(groups[g], out->amount_cents);
    } else {
        *other = add(*other, out->amount_cents);
        finding(c, "unknown-group", RCM_POST_ERROR, svc, line_no, 0, out->amount_cents);
    }
    struct rcm_post_plan *p = c->plan;
    if (out->category == RCM_DENIAL_CONTRACTUAL)
        p->contractual_cents = add(p->contractual_cents, out->amount_cents);
    if (out->workable)
        p->workable_cents = add(p->workable_cents, out->amount_cents);
    return out->amount_cents;
}

static void
copy_remarks(char (*dst)[RCM_X12_REMARK_MAX], int *n,
             const char (*src)[RCM_X12_REMARK_MAX], int n_src)
{
    *n = n_src < RCM_X12_MAX_REMARKS ? (n_src < 0 ? 0 : n_src) : RCM_X12_MAX_REMARKS;
    memcpy(dst, src, (size_t)*n * RCM_X12_REMARK_MAX);
}

/* Amounts of one SVC; returns the sum of its CAS. */
static int64_t
line_amounts(struct ctx *c, int k)
{
    const struct rcm_x12_line *s = &c->pay->lines[k];
    struct rcm_post_line_result *r = &c->plan->results[k];
    int line_no = r->line_index >= 0 ? c->lines[r->line_index].line_no : 0;
    r->charge_cents = times_sign(s->charge_cents, c->sign);
    r->paid_cents = times_sign(s->paid_cents, c->sign);
    r->has_allowed = s->has_allowed;
    r->allowed_cents = times_sign(s->allowed_cents, c->sign);
    int64_t sum = 0;
    int n = s->n_adj < RCM_X12_MAX_ADJ ? s->n_adj : RCM_X12_MAX_ADJ;
    for (int j = 0; j < n; j++) {
        struct rcm_post_adj *a = &r->adj[r->n_adj++];
        sum = add(sum, take_adj(c, &s->adj[j], a, r->group_cents, &r->other_group_cents,
                                k, line_no));
        if (a->workable)
            r->workable_cents = add(r->workable_cents, a->amount_cents);
    }
    r->patient_resp_cents = r->group_cents[RCM_ADJ_PR];
    copy_remarks(r->remarks, &r->n_remarks, s->remarks, s->n_remarks);
    int64_t expected = add(r->charge_cents, times_sign(sum, -1));
    if (expected != r->paid_cents)
        finding(c, "line-out-of-balance", RCM_POST_ERROR, k, line_no, expected,
                r->paid_cents);
    return sum;
}

/* ----------------------------------------------------------- outcome */

static bool
status_is(const char *st, const char *v)
{
    return strcmp(st, v) == 0;
}

static void
status_fields(struct ctx *c)
{
    struct rcm_post_plan *p = c->plan;
    const char *st = c->pay->status;
    static const char *const known[] = {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"};
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ok = ok || status_is(st, known[i]);
    if (!ok)
        finding(c, "unknown-status", RCM_POST_WARNING, -1, 0, 0, 0);
    p->forwarded = status_is(st, "19") || status_is(st, "20") || status_is(st, "21") ||
                   status_is(st, "23");
    p->payer_order = status_is(st, "1") || status_is(st, "19")   ? 1
                     : status_is(st, "2") || status_is(st, "20") ? 2
                     : status_is(st, "3") || status_is(st, "21") ? 3
                                                                 : 0;
}

static enum rcm_post_outcome
outcome(const struct ctx *c)
{
    const struct rcm_post_plan *p = c->plan;
    const char *st = c->pay->status;
    if (status_is(st, "22"))
        return RCM_POST_REVERSAL;
    if (status_is(st, "23"))
        return RCM_POST_NOT_OURS;
    if (status_is(st, "25"))
        return RCM_POST_PREDETERMINATION;
    if (p->paid_cents > 0)
        return p->patient_resp_cents > 0 || p->workable_cents > 0 ? RCM_POST_PAID_PARTIAL
                                                                  : RCM_POST_PAID_FULL;
    if (status_is(st, "4") || p->workable_cents > 0)
        return RCM_POST_DENIED;
    return p->patient_resp_cents > 0 ? RCM_POST_PATIENT_RESP : RCM_POST_ZERO_PAID;
}

/* ------------------------------------------------------------- build */

static void
unmatched_findings(struct ctx *c)
{
    struct rcm_post_plan *p = c->plan;
    for (int k = 0; k < p->n_results; k++) {
        if (p->results[k].line_index >= 0)
            continue;
        p->n_unmatched++;
        if (c->lines)
            finding(c, c->ambiguous[k] ? "line-ambiguous" : "line-unmatched",
                    RCM_POST_ERROR, k, 0, 0, p->results[k].paid_cents);
    }
    if (!c->lines || p->n_results == 0)
        return;
    for (size_t i = 0; i < c->n_lines; i++)
        if (!c->taken[i] && !c->taken_rev[i])
            finding(c, "line-not-in-remit", RCM_POST_WARNING, -1, c->lines[i].line_no,
                    c->lines[i].charge_cents, 0);
}

static void
claim_amounts(struct ctx *c, int64_t line_cas)
{
    struct rcm_post_plan *p = c->plan;
    const struct rcm_x12_claim_payment *pay = c->pay;
    p->charge_cents = times_sign(pay->charge_cents, c->sign);
    p->paid_cents = times_sign(pay->paid_cents, c->sign);
    int64_t claim_cas = 0, other = 0;
    int n = pay->n_adj < RCM_X12_MAX_ADJ ? pay->n_adj : RCM_X12_MAX_ADJ;
    for (int j = 0; j < n; j++)
        claim_cas = add(claim_cas, take_adj(c, &pay->adj[j], &p->claim_adj[p->n_claim_adj++],
                                            p->claim_group_cents, &other, -1, 0));
    copy_remarks(p->claim_remarks, &p->n_claim_remarks, pay->remarks, pay->n_remarks);
    int64_t pr = p->claim_group_cents[RCM_ADJ_PR];
    for (int k = 0; k < p->n_results; k++)
        pr = add(pr, p->results[k].patient_resp_cents);
    p->patient_resp_cents = pr;
    int64_t expected = add(add(p->charge_cents, times_sign(claim_cas, -1)),
                           times_sign(line_cas, -1));
    if (expected != p->paid_cents)
        finding(c, "claim-out-of-balance", RCM_POST_ERROR, -1, 0, expected, p->paid_cents);
    int64_t clp05 = times_sign(pay->patient_resp_cents, c->sign);
    if (clp05 != pr)
        finding(c, "patient-resp-mismatch", RCM_POST_WARNING, -1, 0, pr, clp05);
}

enum rcm_err
rcm_post_plan_build(const struct rcm_x12_claim_payment *pay,
                    const struct rcm_post_line *lines, size_t n_lines,
                    struct rcm_post_plan *plan)
{
    if (!pay || !plan || n_lines > RCM_X12_MAX_LINES || (!lines && n_lines))
        return RCM_E_INVAL;
    memset(plan, 0, sizeof *plan);
    static struct ctx zero;
    struct ctx c = zero;
    c.pay = pay;
    c.lines = lines;
    c.n_lines = n_lines;
    c.plan = plan;
    c.sign = 1;
    if (status_is(pay->status, "22") && (pay->charge_cents > 0 || pay->paid_cents > 0)) {
        c.sign = -1;
        plan->negated = true;
        finding(&c, "reversal-sign", RCM_POST_WARNING, -1, 0, 0, pay->paid_cents);
    }
    if (!lines)
        finding(&c, "claim-unknown", RCM_POST_ERROR, -1, 0, 0, 0);
    if (pay->n_lines_dropped > 0)
        finding(&c, "lines-dropped", RCM_POST_ERROR, -1, 0, 0, pay->n_lines_dropped);
    status_fields(&c);
    plan->n_results = pay->n_lines < RCM_X12_MAX_LINES ? pay->n_lines : RCM_X12_MAX_LINES;
    if (plan->n_results < 0)
        plan->n_results = 0;
    for (int k = 0; k < plan->n_results; k++) {
        plan->results[k].svc_index = k;
        plan->results[k].line_index = -1;
    }
    if (lines)
        for (enum pass ps = P_CONTROL; ps <= P_PROCEDURE; ps++)
            match_pass(&c, ps);
    int64_t line_cas = 0;
    for (int k = 0; k < plan->n_results; k++)
        line_cas = add(line_cas, line_amounts(&c, k));
    unmatched_findings(&c);
    claim_amounts(&c, line_cas);
    plan->outcome = outcome(&c);
    plan->balanced = true;
    for (int i = 0; i < plan->n_findings; i++)
        if (strstr(plan->findings[i].code, "out-of-balance"))
            plan->balanced = false;
    plan->postable = !c.errors;
    return RCM_OK;
}

/* ------------------------------------------------------------- misc */

static const char *const match_names[] = {"none", "control", "exact", "original", "procedure"};

const char *
rcm_post_match_name(enum rcm_post_match m)
{
    if ((int)m < 0 || (size_t)m >= sizeof match_names / sizeof match_names[0])
        return "none";
    return match_names[m];
}

const char *
rcm_post_outcome_name(enum rcm_post_outcome o)
{
    switch (o) {
    case RCM_POST_PAID_FULL: return "paid_full";
    case RCM_POST_PAID_PARTIAL: return "paid_partial";
    case RCM_POST_DENIED: return "denied";
    case RCM_POST_PATIENT_RESP: return "patient_resp";
    case RCM_POST_ZERO_PAID: return "zero_paid";
    case RCM_POST_REVERSAL: return "reversal";
    case RCM_POST_NOT_OURS: return "not_ours";
    case RCM_POST_PREDETERMINATION: return "predetermination";
    }
    return "unknown";
}

bool
rcm_adj_group_from_code(const char *code, enum rcm_adj_group *out)
{
    static const char *const codes[RCM_ADJ_GROUP_COUNT] = {"CO", "PR", "OA", "PI", "CR"};
    for (int i = 0; code && i < RCM_ADJ_GROUP_COUNT; i++)
        if (strcmp(code, codes[i]) == 0) {
            *out = (enum rcm_adj_group)i;
            return true;
        }
    return false;
}

/*
 * BPR02 is the net payment; BPR03 = D (debit: the provider owes) makes it
 * negative. PLB amounts reduce the payment: net = sum CLP04 - sum PLB.
 */
bool
rcm_post_remit_balanced(const struct rcm_x12_remit *remit, int64_t clp04_sum_cents,
                        int64_t *diff_cents)
{
    int64_t net = remit->credit_debit == 'D' ? times_sign(remit->payment_cents, -1)
                                             : remit->payment_cents;
    int64_t expected = clp04_sum_cents;
    int n = remit->n_plb < RCM_X12_MAX_PLB ? remit->n_plb : RCM_X12_MAX_PLB;
    for (int i = 0; i < n; i++)
        expected = add(expected, times_sign(remit->plb[i].amount_cents, -1));
    int64_t diff = add(net, times_sign(expected, -1));
    if (diff_cents)
        *diff_cents = diff;
    return diff == 0 && remit->n_plb_dropped == 0;
}
