/*
 * scrub_engine.c — the edits. Each edit is a pure function over the claim
 * and the reference data (ctx) that appends findings; rcm_scrub_claim runs
 * them in table order. The table itself (ids, severities, texts) is
 * RCM_SCRUB_EDITS in rcm/scrub.h; this file only implements it.
 *
 * Messages hold codes, amounts, dates of service, positions and field
 * names — never names, member ids, birth dates or addresses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/money.h"
#include "scrub/scrub_int.h"

_Static_assert(RCM_EDIT_COUNT <= 64, "edit bitset is 64 bits");

static const struct rcm_scrub_edit_info edit_table[] = {
#define RCM_SCRUB_EDIT_ROW(e, id, sev, kinds, what, hint) \
    {id, RCM_SCRUB_##sev, RCM_SCRUB_##kinds, what, hint},
    RCM_SCRUB_EDITS(RCM_SCRUB_EDIT_ROW)
#undef RCM_SCRUB_EDIT_ROW
};

const struct rcm_scrub_edit_info *
rcm_scrub_edit_info(enum rcm_scrub_edit edit)
{
    return (unsigned)edit < RCM_EDIT_COUNT ? &edit_table[edit] : NULL;
}

bool
rcm_scrub_edit_find(const char *id, enum rcm_scrub_edit *out)
{
    for (unsigned i = 0; i < RCM_EDIT_COUNT; i++)
        if (strcmp(edit_table[i].id, id) == 0) {
            *out = (enum rcm_scrub_edit)i;
            return true;
        }
    return false;
}

const char *
rcm_scrub_severity_name(enum rcm_scrub_severity sev)
{
    return sev == RCM_SCRUB_ERROR ? "error" : "warning";
}

static const char *
kinds_name(unsigned kinds)
{
    return kinds == RCM_SCRUB_PI ? "837P 837I" : kinds == RCM_SCRUB_P ? "837P" : "837I";
}

json_t *
rcm_scrub_edits_json(void)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    for (unsigned i = 0; i < RCM_EDIT_COUNT; i++) {
        const struct rcm_scrub_edit_info *e = &edit_table[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", e->id, "severity",
                              rcm_scrub_severity_name(e->severity), "applies_to",
                              kinds_name(e->kinds), "description", e->what, "hint",
                              e->hint);
        if (!o || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

enum rcm_err
rcm_scrub_edits_markdown(struct rcm_buf *out)
{
    enum rcm_err err = rcm_buf_addstr(
        out,
        "# Claim edits\n\n"
        "<!-- Generated from RCM_SCRUB_EDITS in include/rcm/scrub.h by\n"
        "     `openrcm scrub --list-edits --markdown`; do not edit by hand. -->\n\n"
        "Each finding names the edit id below, its severity (an error blocks "
        "submission, a warning does not), the location (1-based line number, "
        "0 for the claim, and the JSON path of the field) and a message with "
        "parameters. Payer rule files may disable an edit or change its "
        "severity (docs/payer-rules.md).\n\n"
        "| id | severity | applies to | checks | fix |\n|---|---|---|---|---|\n");
    for (unsigned i = 0; !err && i < RCM_EDIT_COUNT; i++) {
        const struct rcm_scrub_edit_info *e = &edit_table[i];
        err = rcm_buf_addf(out, "| `%s` | %s | %s | %s | %s |\n", e->id,
                           rcm_scrub_severity_name(e->severity), kinds_name(e->kinds),
                           e->what, e->hint);
    }
    return err;
}

/* ---- results ---------------------------------------------------------- */

void
rcm_scrub_result_init(struct rcm_scrub_result *res, size_t max_findings)
{
    memset(res, 0, sizeof *res);
    res->max = max_findings ? max_findings : 256;
    res->payer_rule = "";
    for (unsigned i = 0; i < RCM_CODESET_COUNT; i++)
        res->versions[i] = "";
}

void
rcm_scrub_result_reset(struct rcm_scrub_result *res)
{
    res->n = res->n_errors = res->n_warnings = 0;
    res->truncated = false;
    res->payer_rule = "";
    for (unsigned i = 0; i < RCM_CODESET_COUNT; i++)
        res->versions[i] = "";
}

void
rcm_scrub_result_release(struct rcm_scrub_result *res)
{
    rcm_free(res->findings);
    memset(res, 0, sizeof *res);
}

json_t *
rcm_scrub_result_json(const struct rcm_scrub_result *res)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < res->n; i++) {
        const struct rcm_scrub_finding *f = &res->findings[i];
        json_t *params = json_object();
        for (unsigned k = 0; params && k < f->n_params; k++)
            json_object_set_new(params, f->params[k].key, json_string(f->params[k].value));
        json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o}", "edit",
                              edit_table[f->edit].id, "severity",
                              rcm_scrub_severity_name(f->severity), "line", (int)f->line,
                              "field", f->field, "message", f->message, "hint",
                              edit_table[f->edit].hint, "params",
                              params ? params : json_object());
        if (!o || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* ---- history ---------------------------------------------------------- */

struct rcm_scrub_history {
    uint64_t *slots;
    size_t n_slots, used, max;
};

enum rcm_err
rcm_scrub_history_new(size_t max_claims, struct rcm_scrub_history **out)
{
    struct rcm_scrub_history *h = rcm_calloc(1, sizeof *h);
    if (!h)
        return RCM_E_NOMEM;
    h->max = max_claims ? max_claims : 1u << 20;
    h->n_slots = 1024;
    while (h->n_slots < h->max * 2)
        h->n_slots *= 2;
    h->slots = rcm_calloc(h->n_slots, sizeof *h->slots);
    if (!h->slots) {
        rcm_free(h);
        return RCM_E_NOMEM;
    }
    *out = h;
    return RCM_OK;
}

void
rcm_scrub_history_free(struct rcm_scrub_history *hist)
{
    if (!hist)
        return;
    rcm_free(hist->slots);
    rcm_free(hist);
}

/* true when already present; inserts otherwise (when there is room) */
static bool
history_seen(struct rcm_scrub_history *h, uint64_t fp)
{
    if (!fp)
        fp = 1;
    size_t mask = h->n_slots - 1, j = fp & mask;
    while (h->slots[j]) {
        if (h->slots[j] == fp)
            return true;
        j = (j + 1) & mask;
    }
    if (h->used < h->max) {
        h->slots[j] = fp;
        h->used++;
    }
    return false;
}

/* ---- context and emit ------------------------------------------------- */

struct ctx {
    const struct rcm_scrub_ref *ref;
    const struct rcm_claim *c;
    const struct scrub_rule *rule;
    int32_t today;
    int32_t dos;                     /* earliest date of service */
    struct rcm_scrub_result *res;
    enum rcm_err err;
    unsigned kind_bit;
};

static bool
on(const struct ctx *x, enum rcm_scrub_edit e)
{
    if (!(edit_table[e].kinds & x->kind_bit))
        return false;
    return !(x->rule && (x->rule->disabled & (1ull << e)));
}

static struct rcm_scrub_finding *
emit_sev(struct ctx *x, enum rcm_scrub_edit e, int sev_override, uint32_t line,
         const char *field, const char *fmt, ...) RCM_PRINTF(6, 7);

static struct rcm_scrub_finding *
emit_sev(struct ctx *x, enum rcm_scrub_edit e, int sev_override, uint32_t line,
         const char *field, const char *fmt, ...)
{
    struct rcm_scrub_result *r = x->res;
    if (!on(x, e) || x->err)
        return NULL;
    if (r->n == r->max) {
        r->truncated = true;
        return NULL;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        if (cap > r->max)
            cap = r->max;
        struct rcm_scrub_finding *nf = rcm_realloc(r->findings, cap * sizeof *nf);
        if (!nf) {
            x->err = RCM_E_NOMEM;
            return NULL;
        }
        r->findings = nf;
        r->cap = cap;
    }
    struct rcm_scrub_finding *f = &r->findings[r->n++];
    f->edit = e;
    enum rcm_scrub_severity sev = edit_table[e].severity;
    if (sev_override >= 0)
        sev = (enum rcm_scrub_severity)sev_override;
    if (x->rule && x->rule->severity[e] >= 0)
        sev = (enum rcm_scrub_severity)x->rule->severity[e];
    f->severity = sev;
    if (sev == RCM_SCRUB_ERROR)
        r->n_errors++;
    else
        r->n_warnings++;
    f->line = line;
    snprintf(f->field, sizeof f->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    f->n_params = 0;
    return f;
}

#define emit(x, e, line, field, ...) emit_sev(x, e, -1, line, field, __VA_ARGS__)

static void
param(struct rcm_scrub_finding *f, const char *key, const char *fmt, ...) RCM_PRINTF(3, 4);

static void
param(struct rcm_scrub_finding *f, const char *key, const char *fmt, ...)
{
    if (!f || f->n_params == RCM_SCRUB_MAX_PARAMS)
        return;
    struct rcm_scrub_param *p = &f->params[f->n_params++];
    p->key = key;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->value, sizeof p->value, fmt, ap);
    va_end(ap);
}

static bool
empty(const char *s)
{
    return !s || !*s;
}

static bool
all_digits(const char *s, size_t n)
{
    if (!s || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static const char *
iso(int32_t d, char buf[RCM_DATE_ISO_LEN + 1])
{
    if (d == RCM_CLAIM_NO_DATE)
        return "none";
    rcm_date_format_iso(d, buf);
    return buf;
}

/* "lines[3].procedure" with the 0-based JSON index */
#define LINE_FIELD(buf, i, name) (snprintf(buf, sizeof buf, "lines[%zu]." name, (size_t)(i)), buf)

static const struct rcm_claim_person *
patient_of(const struct rcm_claim *c)
{
    if (c->patient.present && !(c->relationship && strcmp(c->relationship, "18") == 0))
        return &c->patient;
    return &c->subscriber;
}

/* ---- edits ------------------------------------------------------------ */

static void
edit_required(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    enum rcm_scrub_edit E = RCM_EDIT_REQUIRED_FIELD;
    if (!on(x, E))
        return;
    struct {
        bool missing;
        const char *field;
    } checks[] = {
        {empty(c->id), "id"},
        {empty(c->facility_code), "facility_code"},
        {c->frequency == 0, "frequency"},
        {empty(c->payer.id), "payer.id"},
        {empty(c->payer.filing_indicator), "payer.filing_indicator"},
        {!c->subscriber.present, "subscriber"},
        {c->subscriber.present && empty(c->subscriber.member_id), "subscriber.member_id"},
        {c->subscriber.present && empty(c->subscriber.last), "subscriber.last"},
        {c->subscriber.present && c->subscriber.birth_date == RCM_CLAIM_NO_DATE,
         "subscriber.birth_date"},
        {c->subscriber.present && c->subscriber.sex == 0, "subscriber.sex"},
        {!c->billing.present, "billing"},
        {c->billing.present && empty(c->billing.npi), "billing.npi"},
        {c->billing.present && empty(c->billing.last_or_org), "billing.name"},
        {c->billing.present && empty(c->billing.tin), "billing.tin"},
        {c->billing.present && empty(c->billing.addr.line1), "billing.address.line1"},
        {c->billing.present && empty(c->billing.addr.city), "billing.address.city"},
        {c->billing.present && empty(c->billing.addr.state), "billing.address.state"},
        {c->billing.present && empty(c->billing.addr.zip), "billing.address.zip"},
        {c->n_dx == 0, "diagnoses"},
        {c->n_lines == 0, "lines"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (checks[i].missing)
            param(emit(x, E, 0, checks[i].field, "required field %s is missing",
                       checks[i].field),
                  "field", "%s", checks[i].field);
    for (size_t i = 0; i < c->n_lines; i++) {
        const struct rcm_claim_line *l = &c->lines[i];
        char f[RCM_SCRUB_FIELD_MAX];
        if (empty(l->procedure))
            emit(x, E, l->number, LINE_FIELD(f, i, "procedure"),
                 "line %u: procedure code is missing", l->number);
        if (l->from_date == RCM_CLAIM_NO_DATE)
            emit(x, E, l->number, LINE_FIELD(f, i, "from"),
                 "line %u: date of service is missing", l->number);
        if (x->c->kind == RCM_CLAIM_INSTITUTIONAL && empty(l->revenue_code))
            emit(x, E, l->number, LINE_FIELD(f, i, "revenue_code"),
                 "line %u: revenue code is missing", l->number);
    }
}

/* The NPI's place in the 837 (docs/scrub.md), for the finding's "x12" param:
 * the segment path, never the value. */
static void
check_npi(struct ctx *x, const char *npi, uint32_t line, const char *field, const char *x12)
{
    if (empty(npi))
        return;
    if (!rcm_codes_npi_valid(npi, strlen(npi))) {
        struct rcm_scrub_finding *f =
            emit(x, RCM_EDIT_NPI_CHECK_DIGIT, line, field,
                 "%s is not a valid NPI (10 digits, first 1 or 2, Luhn check digit "
                 "with prefix 80840)", field);
        param(f, "field", "%s", field);
        param(f, "x12", "%s", x12);
    }
}

static void
edit_npi(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    if (!on(x, RCM_EDIT_NPI_CHECK_DIGIT))
        return;
    bool inst = c->kind == RCM_CLAIM_INSTITUTIONAL;
    check_npi(x, c->billing.npi, 0, "billing.npi", "2010AA NM109");
    check_npi(x, c->rendering.npi, 0, "rendering.npi", inst ? "2310D NM109" : "2310B NM109");
    check_npi(x, c->referring.npi, 0, "referring.npi", inst ? "2310F NM109" : "2310A NM109");
    check_npi(x, c->facility.npi, 0, "facility.npi", inst ? "2310E NM109" : "2310C NM109");
    for (size_t i = 0; i < c->n_lines; i++) {
        char f[RCM_SCRUB_FIELD_MAX];
        if (!empty(c->lines[i].rendering_npi))
            check_npi(x, c->lines[i].rendering_npi, c->lines[i].number,
                      LINE_FIELD(f, i, "rendering_npi"), inst ? "2420C NM109" : "2420A NM109");
    }
}

static void
edit_taxonomy(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    if (!on(x, RCM_EDIT_TAXONOMY_VALID) || !x->ref->codes)
        return;
    const struct {
        const char *code;
        const char *field;
    } t[] = {{c->billing.taxonomy, "billing.taxonomy"},
             {c->rendering.taxonomy, "rendering.taxonomy"},
             {c->referring.taxonomy, "referring.taxonomy"}};
    for (size_t i = 0; i < 3; i++) {
        if (empty(t[i].code))
            continue;
        struct rcm_code_info info;
        if (rcm_codes_lookup(x->ref->codes, RCM_CODESET_TAXONOMY, t[i].code,
                             strlen(t[i].code), x->dos, &info) != RCM_CODE_VALID) {
            struct rcm_scrub_finding *f =
                emit(x, RCM_EDIT_TAXONOMY_VALID, 0, t[i].field,
                     "%s %.12s is not a NUCC taxonomy code in force", t[i].field, t[i].code);
            param(f, "code", "%.12s", t[i].code);
        }
    }
}

static bool
ein_prefix_ok(const char *tin)
{
    static const int bad[] = {0, 7, 8, 9, 17, 18, 19, 28, 29, 49, 69, 70, 78, 79, 89, 96, 97};
    int p = (tin[0] - '0') * 10 + (tin[1] - '0');
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (p == bad[i])
            return false;
    return true;
}

static void
edit_tin(struct ctx *x)
{
    const char *tin = x->c->billing.tin;
    if (!on(x, RCM_EDIT_TIN_FORMAT) || empty(tin))
        return;
    if (!all_digits(tin, 9)) {
        emit(x, RCM_EDIT_TIN_FORMAT, 0, "billing.tin",
             "billing tax id must be exactly 9 digits (no dashes)");
        return;
    }
    if (x->c->billing.tin_kind == 'S') {
        bool bad = strncmp(tin, "000", 3) == 0 || strncmp(tin, "666", 3) == 0 ||
                   tin[0] == '9' || strncmp(tin + 3, "00", 2) == 0 ||
                   strncmp(tin + 5, "0000", 4) == 0;
        if (bad)
            emit(x, RCM_EDIT_TIN_FORMAT, 0, "billing.tin",
                 "billing SSN has an area, group or serial number never issued");
    } else if (!ein_prefix_ok(tin)) {
        param(emit(x, RCM_EDIT_TIN_FORMAT, 0, "billing.tin",
                   "billing EIN prefix %.2s is not assigned by the IRS", tin),
              "prefix", "%.2s", tin);
    }
}

static void
check_zip(struct ctx *x, const char *zip, bool need9, const char *field)
{
    if (empty(zip))
        return;
    bool ok = all_digits(zip, 9) || (!need9 && all_digits(zip, 5));
    if (!ok)
        emit(x, RCM_EDIT_ZIP_FORMAT, 0, field, "%s must be %s", field,
             need9 ? "a 9-digit ZIP+4" : "5 or 9 digits");
}

static void
edit_zip(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    if (!on(x, RCM_EDIT_ZIP_FORMAT))
        return;
    check_zip(x, c->billing.addr.zip, true, "billing.address.zip");
    check_zip(x, c->facility.addr.zip, true, "facility.address.zip");
    check_zip(x, c->subscriber.addr.zip, false, "subscriber.address.zip");
    check_zip(x, c->patient.addr.zip, false, "patient.address.zip");
}

static void
edit_relationship(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    enum rcm_scrub_edit E = RCM_EDIT_SUBSCRIBER_RELATIONSHIP;
    if (!on(x, E))
        return;
    static const char *const codes[] = {"01", "18", "19", "20", "21", "39", "40", "53", "G8"};
    if (empty(c->relationship)) {
        emit(x, E, 0, "relationship", "relationship code (SBR02/PAT01) is missing");
        return;
    }
    bool ok = false;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        ok |= strcmp(c->relationship, codes[i]) == 0;
    if (!ok) {
        param(emit(x, E, 0, "relationship", "relationship code %.3s is not valid",
                   c->relationship),
              "code", "%.3s", c->relationship);
        return;
    }
    if (strcmp(c->relationship, "18") != 0) {
        const struct rcm_claim_person *p = &c->patient;
        if (!p->present)
            emit(x, E, 0, "patient",
                 "patient is not the subscriber (relationship %s) but the patient "
                 "loop is missing", c->relationship);
        else if (empty(p->last) || p->birth_date == RCM_CLAIM_NO_DATE || p->sex == 0)
            emit(x, E, 0, "patient",
                 "patient loop needs last name, birth date and sex");
    }
}

static bool
is_medicare(const struct rcm_claim *c)
{
    const char *f = c->payer.filing_indicator;
    return f && (strcmp(f, "MA") == 0 || strcmp(f, "MB") == 0);
}

static void
edit_sbr05(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    enum rcm_scrub_edit E = RCM_EDIT_SBR05_REQUIRED;
    if (!on(x, E))
        return;
    static const char *const msp[] = {"12", "13", "14", "15", "16", "41", "42", "43", "47"};
    const char *t = c->payer.insurance_type;
    if (empty(t)) {
        bool need = is_medicare(c) && c->payer.sequence != 0 && c->payer.sequence != 'P';
        if (need)
            emit(x, E, 0, "payer.insurance_type",
                 "Medicare is payer sequence %c: the insurance type code (SBR05) is "
                 "required", c->payer.sequence);
        return;
    }
    bool ok = false;
    for (size_t i = 0; i < sizeof msp / sizeof msp[0]; i++)
        ok |= strcmp(t, msp[i]) == 0;
    if (!ok)
        param(emit(x, E, 0, "payer.insurance_type",
                   "insurance type code %.3s is not a Medicare secondary payer type", t),
              "code", "%.3s", t);
}

static void
edit_frequency(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    if (c->frequency == 0)
        return;
    const char *valid = c->kind == RCM_CLAIM_PROFESSIONAL ? "1678" : "012345678";
    if (on(x, RCM_EDIT_FREQUENCY_CODE) && !strchr(valid, c->frequency))
        param(emit(x, RCM_EDIT_FREQUENCY_CODE, 0, "frequency",
                   "claim frequency code %c is not valid for %s claims", c->frequency,
                   c->kind == RCM_CLAIM_PROFESSIONAL ? "837P" : "837I"),
              "code", "%c", c->frequency);
    if (!on(x, RCM_EDIT_ORIGINAL_REFERENCE))
        return;
    if ((c->frequency == '7' || c->frequency == '8') && empty(c->original_ref))
        param(emit(x, RCM_EDIT_ORIGINAL_REFERENCE, 0, "original_ref",
                   "frequency %c (%s) needs the payer claim control number of the "
                   "original claim", c->frequency,
                   c->frequency == '7' ? "replacement" : "void"),
              "frequency", "%c", c->frequency);
    else if (c->frequency == '1' && !empty(c->original_ref))
        emit(x, RCM_EDIT_ORIGINAL_REFERENCE, 0, "original_ref",
             "an original claim (frequency 1) must not carry an original reference");
}

static void
edit_dates(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    const struct rcm_claim_person *pt = patient_of(c);
    char a[RCM_DATE_ISO_LEN + 1], b[RCM_DATE_ISO_LEN + 1], f[RCM_SCRUB_FIELD_MAX];
    if (c->statement_from != RCM_CLAIM_NO_DATE && c->statement_to != RCM_CLAIM_NO_DATE &&
        c->statement_from > c->statement_to)
        emit(x, RCM_EDIT_DATE_SPAN, 0, "statement_from",
             "statement period runs backwards (%s after %s)", iso(c->statement_from, a),
             iso(c->statement_to, b));
    if (c->statement_to != RCM_CLAIM_NO_DATE && c->statement_to > x->today)
        emit(x, RCM_EDIT_SERVICE_DATE_FUTURE, 0, "statement_to",
             "statement period ends in the future (%s)", iso(c->statement_to, a));
    for (size_t i = 0; i < c->n_lines; i++) {
        const struct rcm_claim_line *l = &c->lines[i];
        if (l->from_date == RCM_CLAIM_NO_DATE)
            continue;
        int32_t to = l->to_date == RCM_CLAIM_NO_DATE ? l->from_date : l->to_date;
        if (to > x->today || l->from_date > x->today)
            param(emit(x, RCM_EDIT_SERVICE_DATE_FUTURE, l->number, LINE_FIELD(f, i, "from"),
                       "line %u: date of service %s is after %s", l->number,
                       iso(l->from_date > to ? l->from_date : to, a), iso(x->today, b)),
                  "date", "%s", a);
        if (pt->birth_date != RCM_CLAIM_NO_DATE && l->from_date < pt->birth_date)
            emit(x, RCM_EDIT_SERVICE_BEFORE_BIRTH, l->number, LINE_FIELD(f, i, "from"),
                 "line %u: date of service %s is before the patient's birth date",
                 l->number, iso(l->from_date, a));
        if (l->to_date != RCM_CLAIM_NO_DATE && l->from_date > l->to_date)
            emit(x, RCM_EDIT_DATE_SPAN, l->number, LINE_FIELD(f, i, "to"),
                 "line %u: service dates run backwards (%s after %s)", l->number,
                 iso(l->from_date, a), iso(l->to_date, b));
        if (c->kind == RCM_CLAIM_INSTITUTIONAL && c->statement_from != RCM_CLAIM_NO_DATE &&
            c->statement_to != RCM_CLAIM_NO_DATE &&
            (l->from_date < c->statement_from || to > c->statement_to))
            emit(x, RCM_EDIT_DATE_SPAN, l->number, LINE_FIELD(f, i, "from"),
                 "line %u: service date %s is outside the statement period", l->number,
                 iso(l->from_date, a));
    }
}

/* Date a diagnosis is checked on: first line pointing at it, else the DOS. */
static int32_t
dx_date(const struct ctx *x, size_t dx)
{
    const struct rcm_claim *c = x->c;
    if (c->kind == RCM_CLAIM_INSTITUTIONAL && c->statement_to != RCM_CLAIM_NO_DATE)
        return c->statement_to;
    for (size_t i = 0; i < c->n_lines; i++)
        for (unsigned k = 0; k < c->lines[i].n_dx_pointers; k++)
            if (c->lines[i].dx_pointers[k] == dx + 1 &&
                c->lines[i].from_date != RCM_CLAIM_NO_DATE)
                return c->lines[i].from_date;
    return x->dos;
}

static void
edit_diagnoses(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    if (!x->ref->codes)
        return;
    const struct rcm_claim_person *pt = patient_of(c);
    for (size_t i = 0; i < c->n_dx; i++) {
        const char *code = c->dx[i].code;
        char field[RCM_SCRUB_FIELD_MAX], disp[16], a[RCM_DATE_ISO_LEN + 1];
        snprintf(field, sizeof field, "diagnoses[%zu]", i);
        if (empty(code)) {
            emit(x, RCM_EDIT_DX_VALID, 0, field, "diagnosis %zu is empty", i + 1);
            continue;
        }
        rcm_codes_icd_display(code, strlen(code), disp);
        int32_t d = dx_date(x, i);
        if (d == RCM_CLAIM_NO_DATE)
            d = x->today;
        struct rcm_code_info info;
        enum rcm_code_status st =
            rcm_codes_lookup(x->ref->codes, RCM_CODESET_ICD10CM, code, strlen(code), d, &info);
        if (st == RCM_CODE_NO_VERSION) {
            param(emit(x, RCM_EDIT_CODESET_VERSION, 0, field,
                       "no ICD-10-CM version loaded for %s: diagnosis %s not verified",
                       iso(d, a), disp),
                  "code", "%s", disp);
            continue;
        }
        if (st != RCM_CODE_VALID) {
            struct rcm_scrub_finding *f;
            if (st == RCM_CODE_NOT_IN_FORCE)
            {
                char b[RCM_DATE_ISO_LEN + 1], e[RCM_DATE_ISO_LEN + 1];
                f = emit(x, RCM_EDIT_DX_VALID, 0, field,
                         "diagnosis %s is not in ICD-10-CM on %s (in force %s to %s)", disp,
                         iso(d, a), iso(info.from_days, b),
                         info.to_days == INT32_MAX ? "now" : iso(info.to_days, e));
            }
            else
                f = emit(x, RCM_EDIT_DX_VALID, 0, field,
                         "diagnosis %s is not an ICD-10-CM code", disp);
            param(f, "code", "%s", disp);
            param(f, "date", "%s", a);
            continue;
        }
        if (!(info.flags & RCM_CODE_BILLABLE))
            param(emit(x, RCM_EDIT_DX_BILLABLE, 0, field,
                       "diagnosis %s is a category header, not billable (%s)", disp,
                       info.version),
                  "code", "%s", disp);
        if (i == 0 && (info.flags & RCM_CODE_MCE_UNACCEPTABLE_PDX))
            param(emit(x, RCM_EDIT_PRINCIPAL_DX_UNACCEPTABLE, 0, field,
                       "diagnosis %s is not acceptable as the first-listed diagnosis", disp),
                  "code", "%s", disp);
        if (i == 0 && (info.flags & RCM_CODE_MCE_MANIFESTATION))
            param(emit(x, RCM_EDIT_MANIFESTATION_FIRST, 0, field,
                       "manifestation code %s cannot be the first-listed diagnosis", disp),
                  "code", "%s", disp);
        if (pt->birth_date != RCM_CLAIM_NO_DATE && on(x, RCM_EDIT_MCE_AGE)) {
            static const uint32_t cats[] = {RCM_CODE_MCE_NEWBORN, RCM_CODE_MCE_PEDIATRIC,
                                            RCM_CODE_MCE_MATERNITY, RCM_CODE_MCE_ADULT};
            static const char *const names[] = {"newborn", "pediatric", "maternity", "adult"};
            int age = rcm_date_age_years(pt->birth_date, d);
            for (size_t k = 0; k < 4; k++) {
                if (!(info.flags & cats[k]))
                    continue;
                int lo, hi;
                rcm_codes_mce_age_range(x->ref->codes, cats[k], &lo, &hi);
                if (age < lo || age > hi) {
                    struct rcm_scrub_finding *f =
                        emit(x, RCM_EDIT_MCE_AGE, 0, field,
                             "diagnosis %s is a %s diagnosis (age %d-%d); patient age "
                             "on the service date is %d", disp, names[k], lo, hi, age);
                    param(f, "code", "%s", disp);
                    param(f, "age_range", "%d-%d", lo, hi);
                }
            }
        }
        if ((pt->sex == 'M' && (info.flags & RCM_CODE_MCE_FEMALE)) ||
            (pt->sex == 'F' && (info.flags & RCM_CODE_MCE_MALE)))
            param(emit(x, RCM_EDIT_MCE_SEX, 0, field,
                       "diagnosis %s is limited to %s patients", disp,
                       (info.flags & RCM_CODE_MCE_FEMALE) ? "female" : "male"),
                  "code", "%s", disp);
        if (c->kind == RCM_CLAIM_INSTITUTIONAL && on(x, RCM_EDIT_POA_INDICATOR)) {
            char poa = c->dx[i].poa;
            bool exempt = info.flags & RCM_CODE_POA_EXEMPT;
            if (exempt && poa && poa != '1')
                param(emit(x, RCM_EDIT_POA_INDICATOR, 0, field,
                           "diagnosis %s is POA-exempt: indicator must be blank or 1", disp),
                      "code", "%s", disp);
            else if (!exempt && (!poa || !strchr("YNUW", poa)))
                param(emit(x, RCM_EDIT_POA_INDICATOR, 0, field,
                           "diagnosis %s needs a POA indicator Y, N, U or W", disp),
                      "code", "%s", disp);
        }
    }
}

static void
edit_dx_count(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    if (!on(x, RCM_EDIT_DX_COUNT))
        return;
    size_t max = c->kind == RCM_CLAIM_PROFESSIONAL ? 12 : RCM_CLAIM_MAX_DX;
    if (c->n_dx > max)
        param(emit(x, RCM_EDIT_DX_COUNT, 0, "diagnoses",
                   "the claim has %zu diagnoses, at most %zu are allowed", c->n_dx, max),
              "count", "%zu", c->n_dx);
    /* repeats: n_dx <= 25, so the pairwise check is bounded (300 compares) */
    for (size_t i = 1; i < c->n_dx; i++) {
        char a[16], b[16];
        if (empty(c->dx[i].code))
            continue;
        rcm_codes_icd_display(c->dx[i].code, strlen(c->dx[i].code), a);
        for (size_t j = 0; j < i; j++) {
            if (empty(c->dx[j].code))
                continue;
            rcm_codes_icd_display(c->dx[j].code, strlen(c->dx[j].code), b);
            if (strcasecmp(a, b) == 0) {
                char field[RCM_SCRUB_FIELD_MAX];
                snprintf(field, sizeof field, "diagnoses[%zu]", i);
                param(emit(x, RCM_EDIT_DX_COUNT, 0, field,
                           "diagnosis %s repeats diagnosis %zu", a, j + 1),
                      "code", "%s", a);
                break;
            }
        }
    }
}

static void
edit_pointers(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    if (!on(x, RCM_EDIT_DX_POINTER))
        return;
    for (size_t i = 0; i < c->n_lines; i++) {
        const struct rcm_claim_line *l = &c->lines[i];
        char f[RCM_SCRUB_FIELD_MAX];
        if (l->n_dx_pointers == 0) {
            emit(x, RCM_EDIT_DX_POINTER, l->number, LINE_FIELD(f, i, "dx_pointers"),
                 "line %u points at no diagnosis", l->number);
            continue;
        }
        for (unsigned k = 0; k < l->n_dx_pointers; k++) {
            unsigned p = l->dx_pointers[k];
            bool repeat = false;
            for (unsigned j = 0; j < k; j++)
                repeat |= l->dx_pointers[j] == p;
            if (p < 1 || p > c->n_dx || p > 12)
                param(emit(x, RCM_EDIT_DX_POINTER, l->number, LINE_FIELD(f, i, "dx_pointers"),
                           "line %u points at diagnosis %u, the claim has %zu", l->number, p,
                           c->n_dx),
                      "pointer", "%u", p);
            else if (repeat)
                param(emit(x, RCM_EDIT_DX_POINTER, l->number, LINE_FIELD(f, i, "dx_pointers"),
                           "line %u points at diagnosis %u twice", l->number, p),
                      "pointer", "%u", p);
        }
    }
}

static bool
ncci_modifier(const struct rcm_claim_line *l)
{
    static const char *const mods[] = {
        "59", "XE", "XP", "XS", "XU", "25", "91", "24", "57", "27", "E1", "E2", "E3", "E4",
        "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "LT", "RT", "LC", "LD",
        "LM", "RC", "RI", "TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"};
    for (unsigned m = 0; m < l->n_modifiers; m++)
        for (size_t k = 0; k < sizeof mods / sizeof mods[0]; k++)
            if (l->modifiers[m] && strcmp(l->modifiers[m], mods[k]) == 0)
                return true;
    return false;
}

static int32_t
line_date(const struct ctx *x, const struct rcm_claim_line *l)
{
    return l->from_date != RCM_CLAIM_NO_DATE ? l->from_date : x->dos;
}

static void
edit_lines(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    const struct rcm_codes *codes = x->ref->codes;
    char f[RCM_SCRUB_FIELD_MAX];
    int64_t sum = 0;
    bool overflow = false;
    if (c->kind == RCM_CLAIM_PROFESSIONAL && !empty(c->facility_code) && codes &&
        on(x, RCM_EDIT_POS_VALID)) {
        struct rcm_code_info info;
        if (rcm_codes_lookup(codes, RCM_CODESET_POS, c->facility_code,
                             strlen(c->facility_code), x->dos, &info) != RCM_CODE_VALID)
            param(emit(x, RCM_EDIT_POS_VALID, 0, "facility_code",
                       "place of service %.4s is not a CMS POS code", c->facility_code),
                  "code", "%.4s", c->facility_code);
    }
    for (size_t i = 0; i < c->n_lines; i++) {
        const struct rcm_claim_line *l = &c->lines[i];
        int32_t d = line_date(x, l);
        if (!rcm_money_add(sum, l->charge_cents, &sum))
            overflow = true;
        if (l->charge_cents <= 0) {
            char m[RCM_MONEY_FMT_MAX];
            rcm_money_format(l->charge_cents, m);
            param(emit(x, RCM_EDIT_CHARGE_POSITIVE, l->number, LINE_FIELD(f, i, "charge"),
                       "line %u: charge %s is not positive", l->number, m),
                  "charge", "%s", m);
        }
        if (l->units_milli <= 0)
            emit(x, RCM_EDIT_UNITS_POSITIVE, l->number, LINE_FIELD(f, i, "units"),
                 "line %u: units must be greater than zero", l->number);
        if (!empty(l->pos) && codes && on(x, RCM_EDIT_POS_VALID)) {
            struct rcm_code_info info;
            if (rcm_codes_lookup(codes, RCM_CODESET_POS, l->pos, strlen(l->pos), d, &info) !=
                RCM_CODE_VALID)
                param(emit(x, RCM_EDIT_POS_VALID, l->number, LINE_FIELD(f, i, "pos"),
                           "line %u: place of service %.4s is not a CMS POS code",
                           l->number, l->pos),
                      "code", "%.4s", l->pos);
        }
        /* modifiers */
        if (l->n_modifiers > RCM_CLAIM_MAX_MODIFIERS)
            emit(x, RCM_EDIT_MODIFIER_COUNT, l->number, LINE_FIELD(f, i, "modifiers"),
                 "line %u has %u modifiers, at most 4 are allowed", l->number,
                 l->n_modifiers);
        for (unsigned m = 0; m < l->n_modifiers && m < RCM_CLAIM_MAX_MODIFIERS; m++) {
            const char *mod = l->modifiers[m];
            char mf[RCM_SCRUB_FIELD_MAX];
            snprintf(mf, sizeof mf, "lines[%zu].modifiers[%u]", i, m);
            for (unsigned k = 0; k < m; k++)
                if (mod && l->modifiers[k] && strcmp(mod, l->modifiers[k]) == 0)
                    param(emit(x, RCM_EDIT_MODIFIER_COUNT, l->number, mf,
                               "line %u: modifier %.2s is repeated", l->number, mod),
                          "modifier", "%.2s", mod);
            bool shape = mod && strlen(mod) == 2;
            for (unsigned k = 0; shape && k < 2; k++)
                shape = (mod[k] >= '0' && mod[k] <= '9') || (mod[k] >= 'A' && mod[k] <= 'Z');
            if (!shape) {
                emit(x, RCM_EDIT_MODIFIER_VALID, l->number, mf,
                     "line %u: modifier %u is not 2 letters or digits", l->number, m + 1);
                continue;
            }
            bool numeric = mod[0] >= '0' && mod[0] <= '9' && mod[1] >= '0' && mod[1] <= '9';
            struct rcm_code_info info;
            if (!numeric && codes && on(x, RCM_EDIT_MODIFIER_VALID) &&
                rcm_codes_lookup(codes, RCM_CODESET_MODIFIER, mod, 2, d, &info) ==
                    RCM_CODE_UNKNOWN)
                param(emit(x, RCM_EDIT_MODIFIER_VALID, l->number, mf,
                           "line %u: modifier %s is not a HCPCS Level II modifier",
                           l->number, mod),
                      "modifier", "%s", mod);
        }
        /* self-pay restriction (HIPAA right to restrict disclosure) */
        if (l->self_pay_restricted || c->self_pay_restricted) {
            if (!c->payer.self_pay)
                emit(x, RCM_EDIT_SELF_PAY_RESTRICTION, l->number,
                     LINE_FIELD(f, i, "self_pay_restricted"),
                     "line %u is under a self-pay restriction and must not be sent to "
                     "the health plan", l->number);
        }
        /* procedure */
        if (empty(l->procedure))
            continue;
        enum rcm_proc_kind pk = rcm_codes_proc_kind(l->procedure, strlen(l->procedure));
        if (pk == RCM_PROC_INVALID) {
            param(emit(x, RCM_EDIT_PROCEDURE_FORMAT, l->number, LINE_FIELD(f, i, "procedure"),
                       "line %u: procedure %.8s is neither a CPT nor a HCPCS code shape",
                       l->number, l->procedure),
                  "code", "%.8s", l->procedure);
            continue;
        }
        if (pk == RCM_PROC_HCPCS && codes && on(x, RCM_EDIT_HCPCS_VALID)) {
            struct rcm_code_info info;
            enum rcm_code_status st = rcm_codes_lookup(codes, RCM_CODESET_HCPCS, l->procedure,
                                                       5, d, &info);
            char a[RCM_DATE_ISO_LEN + 1];
            if (st == RCM_CODE_NO_VERSION)
                param(emit(x, RCM_EDIT_CODESET_VERSION, l->number,
                           LINE_FIELD(f, i, "procedure"),
                           "line %u: no HCPCS release loaded for %s; %s not verified",
                           l->number, iso(d, a), l->procedure),
                      "code", "%s", l->procedure);
            else if (st != RCM_CODE_VALID)
                param(emit(x, RCM_EDIT_HCPCS_VALID, l->number, LINE_FIELD(f, i, "procedure"),
                           "line %u: %s is not a HCPCS Level II code in force on %s",
                           l->number, l->procedure, iso(d, a)),
                      "code", "%s", l->procedure);
        }
    }
    if (c->n_lines && (overflow || sum != c->total_charge_cents) && on(x, RCM_EDIT_CLAIM_TOTAL)) {
        char a[RCM_MONEY_FMT_MAX], b[RCM_MONEY_FMT_MAX];
        rcm_money_format(c->total_charge_cents, a);
        rcm_money_format(sum, b);
        struct rcm_scrub_finding *fi = emit(x, RCM_EDIT_CLAIM_TOTAL, 0, "total_charge",
                                            "claim total %s does not equal the sum of the "
                                            "line charges %s", a, overflow ? "(overflow)" : b);
        param(fi, "total", "%s", a);
        param(fi, "line_sum", "%s", b);
    }
    if (c->total_charge_cents <= 0 && c->n_lines)
        emit(x, RCM_EDIT_CHARGE_POSITIVE, 0, "total_charge", "claim total is not positive");
}

static bool
same_str(const char *a, const char *b)
{
    return (a ? a : "")[0] == (b ? b : "")[0] && strcmp(a ? a : "", b ? b : "") == 0;
}

static void
edit_pairs(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    const struct rcm_ncci *nc = x->ref->ncci;
    char f[RCM_SCRUB_FIELD_MAX];
    bool ncci = nc && (on(x, RCM_EDIT_MUE_UNITS) || on(x, RCM_EDIT_NCCI_PTP) ||
                       on(x, RCM_EDIT_ADDON_WITHOUT_PRIMARY));
    bool dup = on(x, RCM_EDIT_DUPLICATE_LINE);
    for (size_t i = 0; i < c->n_lines; i++) {
        const struct rcm_claim_line *l = &c->lines[i];
        if (empty(l->procedure))
            continue;
        int32_t d = line_date(x, l);
        if (ncci && on(x, RCM_EDIT_MUE_UNITS)) {
            int mue, mai;
            if (rcm_codes_ncci_mue(nc, l->procedure, d, &mue, &mai)) {
                int64_t units = l->units_milli;
                bool first = true;
                if (mai != 1) {
                    /* MAI 2/3: per code and date; report once, on the first line */
                    for (size_t j = 0; j < c->n_lines; j++) {
                        if (j == i || !same_str(c->lines[j].procedure, l->procedure) ||
                            line_date(x, &c->lines[j]) != d)
                            continue;
                        if (j < i)
                            first = false;
                        units += c->lines[j].units_milli;
                    }
                }
                if (first && units > (int64_t)mue * 1000) {
                    struct rcm_scrub_finding *fi =
                        emit(x, RCM_EDIT_MUE_UNITS, l->number, LINE_FIELD(f, i, "units"),
                             "line %u: %lld.%03lld units of %s %s exceed the MUE of %d "
                             "(MAI %d)", l->number, (long long)(units / 1000),
                             (long long)(units % 1000), l->procedure,
                             mai == 1 ? "on the line" : "on the date", mue, mai);
                    param(fi, "code", "%s", l->procedure);
                    param(fi, "mue", "%d", mue);
                    param(fi, "mai", "%d", mai);
                }
            }
        }
        if (ncci && on(x, RCM_EDIT_ADDON_WITHOUT_PRIMARY) &&
            rcm_codes_ncci_is_addon(nc, l->procedure, d)) {
            bool found = false;
            for (size_t j = 0; j < c->n_lines && !found; j++)
                found = j != i && !empty(c->lines[j].procedure) &&
                        !same_str(c->lines[j].procedure, l->procedure) &&
                        rcm_codes_ncci_aoc_primary(nc, l->procedure, c->lines[j].procedure, d);
            if (!found)
                param(emit(x, RCM_EDIT_ADDON_WITHOUT_PRIMARY, l->number,
                           LINE_FIELD(f, i, "procedure"),
                           "line %u: add-on code %s is billed without one of its primary "
                           "codes", l->number, l->procedure),
                      "code", "%s", l->procedure);
        }
        for (size_t j = i + 1; j < c->n_lines; j++) {
            const struct rcm_claim_line *o = &c->lines[j];
            if (empty(o->procedure) || line_date(x, o) != d)
                continue;
            if (ncci && on(x, RCM_EDIT_NCCI_PTP)) {
                int mi;
                const struct rcm_claim_line *c1 = NULL, *c2 = NULL;
                size_t c2i = 0;
                if (rcm_codes_ncci_ptp(nc, l->procedure, o->procedure, d, &mi)) {
                    c1 = l;
                    c2 = o;
                    c2i = j;
                } else if (rcm_codes_ncci_ptp(nc, o->procedure, l->procedure, d, &mi)) {
                    c1 = o;
                    c2 = l;
                    c2i = i;
                }
                if (c2 && (mi == 0 || !(ncci_modifier(c2) || ncci_modifier(c1)))) {
                    struct rcm_scrub_finding *fi =
                        emit(x, RCM_EDIT_NCCI_PTP, c2->number, LINE_FIELD(f, c2i, "procedure"),
                             "line %u: %s is bundled into %s (line %u) on the same date%s",
                             c2->number, c2->procedure, c1->procedure, c1->number,
                             mi == 0 ? "; no modifier allows it"
                                     : " and no NCCI-associated modifier is present");
                    param(fi, "column1", "%s", c1->procedure);
                    param(fi, "column2", "%s", c2->procedure);
                    param(fi, "modifier_indicator", "%d", mi);
                }
            }
            if (dup && same_str(o->procedure, l->procedure) &&
                o->charge_cents == l->charge_cents && o->n_modifiers == l->n_modifiers &&
                o->to_date == l->to_date) {
                bool same = true;
                for (unsigned m = 0; same && m < l->n_modifiers && m < 4; m++)
                    same = same_str(o->modifiers[m], l->modifiers[m]);
                if (same)
                    param(emit(x, RCM_EDIT_DUPLICATE_LINE, o->number,
                               LINE_FIELD(f, j, "procedure"),
                               "line %u repeats line %u (%s, same date, modifiers and "
                               "charge)", o->number, l->number, o->procedure),
                          "code", "%s", o->procedure);
            }
        }
    }
}

static uint64_t
fp_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t
fp_str(uint64_t h, const char *s)
{
    return fp_mix(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void
edit_duplicate_claim(struct ctx *x, struct rcm_scrub_history *hist)
{
    const struct rcm_claim *c = x->c;
    if (!hist || !on(x, RCM_EDIT_DUPLICATE_CLAIM) || c->frequency == '7' ||
        c->frequency == '8')
        return;
    uint64_t h = 1469598103934665603ull;
    h = fp_str(h, c->billing.npi);
    h = fp_str(h, c->subscriber.member_id);
    h = fp_str(h, c->payer.id);
    h = fp_mix(h, &c->total_charge_cents, sizeof c->total_charge_cents);
    for (size_t i = 0; i < c->n_lines; i++) {
        const struct rcm_claim_line *l = &c->lines[i];
        h = fp_str(h, l->procedure);
        h = fp_mix(h, &l->from_date, sizeof l->from_date);
        h = fp_mix(h, &l->charge_cents, sizeof l->charge_cents);
        h = fp_mix(h, &l->units_milli, sizeof l->units_milli);
        for (unsigned m = 0; m < l->n_modifiers && m < 4; m++)
            h = fp_str(h, l->modifiers[m]);
    }
    if (history_seen(hist, h))
        emit(x, RCM_EDIT_DUPLICATE_CLAIM, 0, "id",
             "claim repeats one already scrubbed (same provider, member, payer, lines "
             "and total)");
}

static void
edit_timely(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    if (!x->rule || x->rule->timely_filing_days <= 0 || x->dos == RCM_CLAIM_NO_DATE ||
        !on(x, RCM_EDIT_TIMELY_FILING))
        return;
    int32_t sent = c->received_date != RCM_CLAIM_NO_DATE ? c->received_date : x->today;
    int limit = x->rule->timely_filing_days;
    int32_t age = sent - x->dos;
    char a[RCM_DATE_ISO_LEN + 1];
    struct rcm_scrub_finding *f = NULL;
    if (age > limit)
        f = emit(x, RCM_EDIT_TIMELY_FILING, 0, "lines",
                 "earliest service %s is %d days old, past the %d-day limit of payer "
                 "rule %s", iso(x->dos, a), (int)age, limit, x->rule->name);
    else if (age > limit - 30)
        f = emit_sev(x, RCM_EDIT_TIMELY_FILING, RCM_SCRUB_WARNING, 0, "lines",
                     "earliest service %s is %d days old; the %d-day limit of payer rule "
                     "%s is near", iso(x->dos, a), (int)age, limit, x->rule->name);
    param(f, "age_days", "%d", (int)age);
    param(f, "limit_days", "%d", limit);
}

static bool
hold_match(const struct scrub_hold *h, const char *v, const struct rcm_claim *c,
           const struct rcm_claim_line *l)
{
    switch (h->op) {
    case OP_EQ: return strcmp(v, h->value) == 0;
    case OP_NE: return strcmp(v, h->value) != 0;
    case OP_PREFIX: return strncmp(v, h->value, strlen(h->value)) == 0;
    case OP_EMPTY: return !*v;
    case OP_PRESENT: return *v != 0;
    case OP_IN: {
        size_t n = strlen(v);
        for (const char *p = h->value; *p;) {
            while (*p == ' ' || *p == ',')
                p++;
            size_t k = strcspn(p, " ,");
            if (k && k == n && strncmp(p, v, n) == 0)
                return true;
            p += k;
        }
        return false;
    }
    case OP_GT:
    case OP_LT: {
        int64_t num = h->field == SCRUB_F_CLAIM_TOTAL ? c->total_charge_cents
                    : h->field == SCRUB_F_LINE_CHARGE ? (l ? l->charge_cents : 0)
                                                      : (l ? l->units_milli : 0);
        return h->op == OP_GT ? num > h->number : num < h->number;
    }
    }
    return false;
}

static void
edit_payer(struct ctx *x)
{
    const struct rcm_claim *c = x->c;
    const struct scrub_rule *r = x->rule;
    if (!r)
        return;
    char buf[32];
    for (size_t k = 0; k < r->n_required; k++) {
        enum scrub_field fld = r->required[k];
        const char *name = scrub_field_name(fld);
        if (!scrub_field_is_line(fld)) {
            if (!*scrub_field_get(fld, c, NULL, 0, buf))
                param(emit(x, RCM_EDIT_PAYER_REQUIRED_FIELD, 0, name,
                           "payer rule %s requires %s", r->name, name),
                      "field", "%s", name);
            continue;
        }
        for (size_t i = 0; i < c->n_lines; i++)
            if (!*scrub_field_get(fld, c, &c->lines[i], 0, buf))
                param(emit(x, RCM_EDIT_PAYER_REQUIRED_FIELD, c->lines[i].number, name,
                           "payer rule %s requires %s on line %u", r->name, name,
                           c->lines[i].number),
                      "field", "%s", name);
    }
    for (size_t k = 0; k < r->n_holds; k++) {
        const struct scrub_hold *h = &r->holds[k];
        if (!scrub_field_is_line(h->field)) {
            if (hold_match(h, scrub_field_get(h->field, c, NULL, 0, buf), c, NULL))
                param(emit(x, RCM_EDIT_PAYER_HOLD, 0, scrub_field_name(h->field), "%s",
                           h->message),
                      "hold", "%s", h->name);
            continue;
        }
        for (size_t i = 0; i < c->n_lines; i++) {
            const struct rcm_claim_line *l = &c->lines[i];
            bool hit = false;
            int n = h->field == SCRUB_F_LINE_MODIFIER ? l->n_modifiers : 1;
            for (int m = 0; m < n && !hit; m++)
                hit = hold_match(h, scrub_field_get(h->field, c, l, m, buf), c, l);
            if (hit)
                param(emit(x, RCM_EDIT_PAYER_HOLD, l->number, scrub_field_name(h->field),
                           "line %u: %s", l->number, h->message),
                      "hold", "%s", h->name);
        }
    }
}

static void
edit_versions(struct ctx *x)
{
    if (!x->ref->codes || x->dos == RCM_CLAIM_NO_DATE)
        return;
    bool beyond = false;
    const char *v = rcm_codes_version(x->ref->codes, RCM_CODESET_ICD10CM, x->dos, &beyond);
    char a[RCM_DATE_ISO_LEN + 1];
    if (beyond)
        param(emit(x, RCM_EDIT_CODESET_VERSION, 0, "diagnoses",
                   "service date %s is after the latest loaded ICD-10-CM version %s; "
                   "codes were checked against it", iso(x->dos, a), v),
              "version", "%s", v);
}

enum rcm_err
rcm_scrub_claim(const struct rcm_scrub_ref *ref, const struct rcm_claim *claim,
                int32_t today_days, struct rcm_scrub_history *hist,
                struct rcm_scrub_result *res)
{
    struct ctx x;
    memset(&x, 0, sizeof x);
    x.ref = ref;
    x.c = claim;
    x.res = res;
    x.today = today_days;
    x.kind_bit = claim->kind == RCM_CLAIM_INSTITUTIONAL ? RCM_SCRUB_I : RCM_SCRUB_P;
    x.rule = scrub_rule_for(ref->rules, claim);
    res->payer_rule = x.rule ? x.rule->name : "";
    x.dos = claim->statement_from;
    for (size_t i = 0; i < claim->n_lines; i++)
        if (claim->lines[i].from_date != RCM_CLAIM_NO_DATE &&
            (x.dos == RCM_CLAIM_NO_DATE || claim->lines[i].from_date < x.dos))
            x.dos = claim->lines[i].from_date;
    for (unsigned s = 0; s < RCM_CODESET_COUNT; s++)
        res->versions[s] = ref->codes && x.dos != RCM_CLAIM_NO_DATE
                               ? rcm_codes_version(ref->codes, (enum rcm_code_set)s, x.dos, NULL)
                               : "";
    edit_required(&x);
    edit_npi(&x);
    edit_taxonomy(&x);
    edit_tin(&x);
    edit_zip(&x);
    edit_relationship(&x);
    edit_sbr05(&x);
    edit_frequency(&x);
    edit_dates(&x);
    edit_versions(&x);
    edit_diagnoses(&x);
    edit_dx_count(&x);
    edit_pointers(&x);
    edit_lines(&x);
    edit_pairs(&x);
    edit_duplicate_claim(&x, hist);
    edit_timely(&x);
    edit_payer(&x);
    return x.err;
}
