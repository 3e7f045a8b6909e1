/*
 * scrub_rules.c — payer rules as data: one INI file per payer or payer group
 * in a directory (format: docs/payer-rules.md), and the registry of claim
 * fields those files may name.
 *
 * Loading is strict: an unknown section, key, edit id, field or operator
 * stops with the file and line, so a typo never silently disables a check.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "rcm/mem.h"
#include "rcm/money.h"
#include "rcm/str.h"
#include "scrub/scrub_int.h"

#define RULES_MAX_FILES 512

static const struct {
    const char *name;
    bool line;
} fields[] = {
#define SCRUB_FIELD_ROW(e, name, line) {name, line},
    SCRUB_FIELDS(SCRUB_FIELD_ROW)
#undef SCRUB_FIELD_ROW
};

bool
scrub_field_find(const char *name, enum scrub_field *out)
{
    for (int i = 0; i < SCRUB_F_COUNT; i++)
        if (strcmp(fields[i].name, name) == 0) {
            *out = (enum scrub_field)i;
            return true;
        }
    return false;
}

const char *
scrub_field_name(enum scrub_field f)
{
    return (unsigned)f < SCRUB_F_COUNT ? fields[f].name : "?";
}

bool
scrub_field_is_line(enum scrub_field f)
{
    return (unsigned)f < SCRUB_F_COUNT && fields[f].line;
}

static const char *
s(const char *v)
{
    return v ? v : "";
}

bool
scrub_parse_units(const char *text, int64_t *milli)
{
    /* up to 3 decimals: reuse the money parser on a scaled copy */
    const char *dot = strchr(text, '.');
    size_t frac = dot ? strlen(dot + 1) : 0;
    if (frac > 3 || strlen(text) > 20)
        return false;
    char buf[32];
    snprintf(buf, sizeof buf, "%s", text);
    int64_t v;
    if (frac == 3) {   /* money parser allows 2 decimals: shift manually */
        int64_t hi;
        char *d = strchr(buf, '.');
        *d = '\0';
        if (rcm_str_to_i64(rcm_str_c(buf), &hi) != RCM_OK || hi < 0 ||
            hi > INT64_MAX / 1000)
            return false;
        int64_t lo;
        if (rcm_str_to_i64(rcm_str_c(d + 1), &lo) != RCM_OK || lo < 0)
            return false;
        *milli = hi * 1000 + lo;
        return true;
    }
    if (rcm_money_parse(rcm_str_c(buf), &v) != RCM_OK || v > INT64_MAX / 10 ||
        v < INT64_MIN / 10)
        return false;
    *milli = v * 10;
    return true;
}

static void
format_milli(int64_t milli, char buf[32])
{
    if (milli % 1000 == 0)
        snprintf(buf, 32, "%lld", (long long)(milli / 1000));
    else
        snprintf(buf, 32, "%lld.%03lld", (long long)(milli / 1000),
                 (long long)(llabs(milli % 1000)));
}

const char *
scrub_field_get(enum scrub_field f, const struct rcm_claim *c,
                const struct rcm_claim_line *l, int which, char buf[32])
{
    buf[0] = '\0';
    switch (f) {
    case SCRUB_F_CLAIM_ID: return s(c->id);
    case SCRUB_F_CLAIM_TOTAL:
        rcm_money_format(c->total_charge_cents, buf);
        return buf;
    case SCRUB_F_CLAIM_FACILITY: return s(c->facility_code);
    case SCRUB_F_CLAIM_FREQUENCY:
        buf[0] = c->frequency;
        buf[1] = '\0';
        return buf;
    case SCRUB_F_CLAIM_ORIGINAL_REF: return s(c->original_ref);
    case SCRUB_F_CLAIM_RELATIONSHIP: return s(c->relationship);
    case SCRUB_F_PAYER_ID: return s(c->payer.id);
    case SCRUB_F_PAYER_FILING: return s(c->payer.filing_indicator);
    case SCRUB_F_PAYER_SEQUENCE:
        buf[0] = c->payer.sequence;
        buf[1] = '\0';
        return buf;
    case SCRUB_F_PAYER_INSURANCE_TYPE: return s(c->payer.insurance_type);
    case SCRUB_F_SUB_MEMBER_ID: return s(c->subscriber.member_id);
    case SCRUB_F_SUB_SEX:
        buf[0] = c->subscriber.sex;
        buf[1] = '\0';
        return buf;
    case SCRUB_F_SUB_ZIP: return s(c->subscriber.addr.zip);
    case SCRUB_F_BILLING_NPI: return s(c->billing.npi);
    case SCRUB_F_BILLING_TAXONOMY: return s(c->billing.taxonomy);
    case SCRUB_F_BILLING_TIN: return s(c->billing.tin);
    case SCRUB_F_RENDERING_NPI: return s(c->rendering.npi);
    case SCRUB_F_RENDERING_TAXONOMY: return s(c->rendering.taxonomy);
    case SCRUB_F_REFERRING_NPI: return s(c->referring.npi);
    case SCRUB_F_FACILITY_NPI: return s(c->facility.npi);
    case SCRUB_F_PRINCIPAL_DX: return c->n_dx ? s(c->dx[0].code) : "";
    case SCRUB_F_LINE_PROCEDURE: return l ? s(l->procedure) : "";
    case SCRUB_F_LINE_MODIFIER:
        return l && which < l->n_modifiers ? s(l->modifiers[which]) : "";
    case SCRUB_F_LINE_CHARGE:
        if (l)
            rcm_money_format(l->charge_cents, buf);
        return buf;
    case SCRUB_F_LINE_UNITS:
        if (l)
            format_milli(l->units_milli, buf);
        return buf;
    case SCRUB_F_LINE_POS: return l ? s(l->pos) : "";
    case SCRUB_F_LINE_REVENUE: return l ? s(l->revenue_code) : "";
    case SCRUB_F_LINE_RENDERING_NPI: return l ? s(l->rendering_npi) : "";
    case SCRUB_F_COUNT: break;
    }
    return buf;
}

/* ---- loading ---------------------------------------------------------- */

struct load_ctx {
    struct scrub_rule *rule;
    struct scrub_hold *hold;   /* current [hold NAME] section */
    char error[200];
};

static bool fail(struct load_ctx *x, const char *fmt, ...) RCM_PRINTF(2, 3);

static bool
fail(struct load_ctx *x, const char *fmt, ...)
{
    if (!x->error[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->error, sizeof x->error, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Apply fn to each space/comma-separated word of value. */
static bool
each_word(struct load_ctx *x, const char *value,
          bool (*fn)(struct load_ctx *, const char *, void *), void *arg)
{
    char w[64];
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        size_t n = 0;
        while (p[n] && p[n] != ' ' && p[n] != ',' && p[n] != '\t')
            n++;
        if (n == 0)
            break;
        if (n >= sizeof w)
            return fail(x, "word too long in a list");
        memcpy(w, p, n);
        w[n] = '\0';
        if (!fn(x, w, arg))
            return false;
        p += n;
    }
    return true;
}

static bool
add_payer_id(struct load_ctx *x, const char *w, void *arg)
{
    (void)arg;
    struct scrub_rule *r = x->rule;
    if (r->n_payer_ids == SCRUB_RULE_MAX_IDS || strlen(w) >= 16)
        return fail(x, "too many or too long payer ids (%s)", w);
    snprintf(r->payer_ids[r->n_payer_ids++], 16, "%s", w);
    return true;
}

static bool
add_filing(struct load_ctx *x, const char *w, void *arg)
{
    (void)arg;
    struct scrub_rule *r = x->rule;
    if (r->n_filing == 16 || strlen(w) > 2)
        return fail(x, "bad filing indicator '%s' (SBR09, 2 characters)", w);
    snprintf(r->filing[r->n_filing++], 4, "%s", w);
    return true;
}

static bool
edit_word(struct load_ctx *x, const char *w, void *arg)
{
    enum rcm_scrub_edit e;
    if (!rcm_scrub_edit_find(w, &e))
        return fail(x, "unknown edit id '%s'", w);
    int mode = *(int *)arg;
    if (mode < 0)
        x->rule->disabled |= 1ull << e;
    else
        x->rule->severity[e] = (int8_t)mode;
    return true;
}

static bool
required_word(struct load_ctx *x, const char *w, void *arg)
{
    (void)arg;
    enum scrub_field f;
    if (!scrub_field_find(w, &f))
        return fail(x, "unknown field '%s'", w);
    if (x->rule->n_required == SCRUB_RULE_MAX_REQUIRED)
        return fail(x, "too many required fields (%s)", w);
    x->rule->required[x->rule->n_required++] = f;
    return true;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *x = user;
    struct scrub_rule *r = x->rule;
    if (strcmp(section, "payer") == 0) {
        if (strcmp(name, "name") == 0)
            snprintf(r->name, sizeof r->name, "%s", value);
        else if (strcmp(name, "payer_ids") == 0)
            return each_word(x, value, add_payer_id, NULL);
        else if (strcmp(name, "filing_indicators") == 0)
            return each_word(x, value, add_filing, NULL);
        else if (strcmp(name, "default") == 0)
            r->is_default = strcmp(value, "true") == 0 || strcmp(value, "yes") == 0;
        else if (strcmp(name, "timely_filing_days") == 0) {
            int64_t d;
            if (rcm_str_to_i64(rcm_str_c(value), &d) != RCM_OK || d < 1 || d > 3650)
                return fail(x, "timely_filing_days must be 1..3650, not '%s'", value);
            r->timely_filing_days = (int)d;
        } else
            return fail(x, "unknown key '%s' in [payer]", name);
        return 1;
    }
    if (strcmp(section, "edits") == 0) {
        int mode;
        if (strcmp(name, "disable") == 0)
            mode = -1;
        else if (strcmp(name, "warning") == 0)
            mode = RCM_SCRUB_WARNING;
        else if (strcmp(name, "error") == 0)
            mode = RCM_SCRUB_ERROR;
        else
            return fail(x, "unknown key '%s' in [edits] (disable, warning, error)", name);
        return each_word(x, value, edit_word, &mode);
    }
    if (strcmp(section, "required") == 0) {
        if (strcmp(name, "fields") != 0)
            return fail(x, "unknown key '%s' in [required] (fields)", name);
        return each_word(x, value, required_word, NULL);
    }
    if (strncmp(section, "hold ", 5) == 0 && section[5]) {
        if (!x->hold || strcmp(x->hold->name, section + 5) != 0) {
            if (r->n_holds == SCRUB_RULE_MAX_HOLDS)
                return fail(x, "more than 32 holds (%s)", section);
            x->hold = &r->holds[r->n_holds++];
            snprintf(x->hold->name, sizeof x->hold->name, "%s", section + 5);
        }
        struct scrub_hold *h = x->hold;
        if (strcmp(name, "field") == 0) {
            if (!scrub_field_find(value, &h->field))
                return fail(x, "unknown field '%s'", value);
            h->has_field = true;
        } else if (strcmp(name, "op") == 0) {
            static const char *const ops[] = {"eq", "ne", "in", "prefix",
                                              "gt", "lt", "empty", "present"};
            size_t i;
            for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
                if (strcmp(value, ops[i]) == 0)
                    break;
            if (i == sizeof ops / sizeof ops[0])
                return fail(x, "unknown op '%s' (eq ne in prefix gt lt empty present)", value);
            h->op = (enum scrub_op)i;
            h->has_op = true;
        } else if (strcmp(name, "value") == 0) {
            if (strlen(value) >= sizeof h->value)
                return fail(x, "value too long in hold %s", h->name);
            snprintf(h->value, sizeof h->value, "%s", value);
        } else if (strcmp(name, "message") == 0) {
            snprintf(h->message, sizeof h->message, "%s", value);
        } else
            return fail(x, "unknown key '%s' in a hold (field op value message)", name);
        return 1;
    }
    return fail(x, "unknown section [%s]", section);
}

static enum rcm_err
check_holds(struct scrub_rule *r, struct rcm_diag *diag)
{
    for (size_t i = 0; i < r->n_holds; i++) {
        struct scrub_hold *h = &r->holds[i];
        if (!h->has_field || !h->has_op)
            return rcm_diag_fail(diag, RCM_E_PARSE, "%s: hold '%s' needs field and op",
                                 r->file, h->name);
        if (h->op == OP_GT || h->op == OP_LT) {
            bool money = h->field == SCRUB_F_LINE_CHARGE || h->field == SCRUB_F_CLAIM_TOTAL;
            bool ok = money ? rcm_money_parse(rcm_str_c(h->value), &h->number) == RCM_OK
                    : h->field == SCRUB_F_LINE_UNITS ? scrub_parse_units(h->value, &h->number)
                                                     : false;
            if (!ok)
                return rcm_diag_fail(diag, RCM_E_PARSE,
                                     "%s: hold '%s': gt/lt need a charge or units "
                                     "field and a number", r->file, h->name);
        } else if (h->op != OP_EMPTY && h->op != OP_PRESENT && !h->value[0]) {
            return rcm_diag_fail(diag, RCM_E_PARSE, "%s: hold '%s' needs a value",
                                 r->file, h->name);
        }
        if (!h->message[0])
            snprintf(h->message, sizeof h->message, "held by payer rule '%s'", h->name);
    }
    return RCM_OK;
}

static void
init_rule(struct scrub_rule *r, const char *file, int name_len)
{
    memset(r->severity, -1, sizeof r->severity);
    snprintf(r->file, sizeof r->file, "%s", file);
    snprintf(r->name, sizeof r->name, "%.*s", name_len, file);
}

/* The checks after ini_parse*() returned rc (> 0: the first bad line) for
 * rule r. A rule that names no payer ids, filing indicators or default
 * fails unless match_all, when it becomes a default (it then applies to
 * every claim it is offered: rcm_payer_rules_parse). */
static enum rcm_err
finish_rule(struct scrub_rule *r, int rc, const struct load_ctx *x, bool match_all,
            struct rcm_diag *diag)
{
    if (rc > 0)
        return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, rc, "%s line %d: %s", r->file, rc,
                                x->error[0] ? x->error : "malformed line");
    if (!r->n_payer_ids && !r->n_filing && !r->is_default) {
        if (!match_all)
            return rcm_diag_fail(diag, RCM_E_PARSE,
                                 "%s: matches no claim (set payer_ids, "
                                 "filing_indicators or default = true)", r->file);
        r->is_default = true;
    }
    return check_holds(r, diag);
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum rcm_err
rcm_payer_rules_load(const char *dir, struct rcm_payer_rules **out,
                     struct rcm_diag *diag)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open payer-rules directory %s: %s",
                             dir, strerror(errno));
    char *names[RULES_MAX_FILES];
    size_t n = 0;
    enum rcm_err err = RCM_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".ini") != 0)
            continue;
        if (n == RULES_MAX_FILES) {
            err = rcm_diag_fail(diag, RCM_E_TOO_LARGE, "more than %d rule files in %s",
                                RULES_MAX_FILES, dir);
            break;
        }
        if (!(names[n] = rcm_strdup(de->d_name))) {
            err = RCM_E_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    struct rcm_payer_rules *rs = NULL;
    if (!err) {
        qsort(names, n, sizeof names[0], name_cmp);
        rs = rcm_calloc(1, sizeof *rs);
        if (rs && n)
            rs->rules = rcm_calloc(n, sizeof *rs->rules);
        if (!rs || (n && !rs->rules))
            err = RCM_E_NOMEM;
    }
    for (size_t i = 0; !err && i < n; i++) {
        struct scrub_rule *r = &rs->rules[i];
        init_rule(r, names[i], (int)(strlen(names[i]) - 4));
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct load_ctx x = {r, NULL, {0}};
        int rc = ini_parse(path, handler, &x);
        rs->n = i + 1;
        if (rc < 0)
            err = rcm_diag_fail(diag, RCM_E_IO, "cannot read %s", path);
        else
            err = finish_rule(r, rc, &x, false, diag);
    }
    for (size_t i = 0; i < n; i++)
        rcm_free(names[i]);
    if (err) {
        rcm_payer_rules_free(rs);
        return err;
    }
    *out = rs;
    return RCM_OK;
}

enum rcm_err
rcm_payer_rules_parse(const char *name, const char *text, size_t len,
                      struct rcm_payer_rules **out, struct rcm_diag *diag)
{
    *out = NULL;
    if (len > RCM_PAYER_RULES_TEXT_MAX)
        return rcm_diag_fail(diag, RCM_E_TOO_LARGE, "%s: rules longer than %d bytes", name,
                             RCM_PAYER_RULES_TEXT_MAX);
    if (memchr(text, '\0', len))
        return rcm_diag_fail(diag, RCM_E_PARSE, "%s: rules contain a NUL byte", name);
    struct rcm_payer_rules *rs = rcm_calloc(1, sizeof *rs);
    char *copy = rcm_malloc(len + 1);
    if (rs)
        rs->rules = rcm_calloc(1, sizeof *rs->rules);
    if (!rs || !rs->rules || !copy) {
        rcm_free(copy);
        rcm_payer_rules_free(rs);
        return RCM_E_NOMEM;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    rs->n = 1;
    struct scrub_rule *r = &rs->rules[0];
    init_rule(r, name, (int)strlen(name));
    struct load_ctx x = {r, NULL, {0}};
    int rc = ini_parse_string(copy, handler, &x);
    rcm_free(copy);
    enum rcm_err err = rc < 0 ? RCM_E_NOMEM : finish_rule(r, rc, &x, true, diag);
    if (err) {
        rcm_payer_rules_free(rs);
        return err;
    }
    *out = rs;
    return RCM_OK;
}

void
rcm_payer_rules_free(struct rcm_payer_rules *rules)
{
    if (!rules)
        return;
    rcm_free(rules->rules);
    rcm_free(rules);
}

size_t
rcm_payer_rules_count(const struct rcm_payer_rules *rules)
{
    return rules ? rules->n : 0;
}

const struct scrub_rule *
scrub_rule_for(const struct rcm_payer_rules *rules, const struct rcm_claim *c)
{
    if (!rules)
        return NULL;
    if (c->payer.id)
        for (size_t i = 0; i < rules->n; i++)
            for (size_t k = 0; k < rules->rules[i].n_payer_ids; k++)
                if (strcmp(rules->rules[i].payer_ids[k], c->payer.id) == 0)
                    return &rules->rules[i];
    if (c->payer.filing_indicator)
        for (size_t i = 0; i < rules->n; i++)
            for (size_t k = 0; k < rules->rules[i].n_filing; k++)
                if (strcmp(rules->rules[i].filing[k], c->payer.filing_indicator) == 0)
                    return &rules->rules[i];
    for (size_t i = 0; i < rules->n; i++)
        if (rules->rules[i].is_default)
            return &rules->rules[i];
    return NULL;
}
