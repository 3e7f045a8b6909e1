/*
 * claim_json.c — the documented claim JSON (docs/scrub.md) to struct
 * rcm_claim. One of the claim readers (rcm_claim_reader_fn); the 837 reader
 * (scrub_from_x12.c) is another with the same signature.
 *
 * Strict: unknown keys are errors (a typo must not drop a field silently),
 * every string is length-capped, dates are YYYY-MM-DD, amounts are decimal
 * strings. Errors name the JSON path, never the value (it may be PHI).
 */
#include <stdio.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/mem.h"
#include "rcm/money.h"
#include "scrub/scrub_int.h"

#define CLAIM_JSON_MAX_BYTES (64u << 20)
#define CLAIM_JSON_MAX_CLAIMS 100000
#define STR_MAX 128

void
rcm_claim_init(struct rcm_claim *claim)
{
    memset(claim, 0, sizeof *claim);
    claim->statement_from = claim->statement_to = RCM_CLAIM_NO_DATE;
    claim->received_date = RCM_CLAIM_NO_DATE;
    claim->subscriber.birth_date = claim->patient.birth_date = RCM_CLAIM_NO_DATE;
}

struct dec {
    struct rcm_arena *arena;
    struct rcm_diag *diag;
    char path[160];
    enum rcm_err err;
};

static enum rcm_err
bad(struct dec *d, const char *key, const char *what)
{
    if (!d->err)
        d->err = rcm_diag_fail(d->diag, RCM_E_PARSE, "%s%s%s: %s", d->path,
                               key && *d->path ? "." : "", key ? key : "", what);
    return d->err;
}

/* Check every key of obj is one of `allowed` (NULL-terminated). */
static void
keys_known(struct dec *d, json_t *obj, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (!ok) {
            bad(d, k, "unknown key");
            return;
        }
    }
}

static const char *
str(struct dec *d, json_t *obj, const char *key, size_t max)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v) || d->err)
        return NULL;
    if (!json_is_string(v)) {
        bad(d, key, "expected a string");
        return NULL;
    }
    size_t n = json_string_length(v);
    if (n > max) {
        bad(d, key, "string too long");
        return NULL;
    }
    char *s = rcm_arena_strndup(d->arena, json_string_value(v), n);
    if (!s && !d->err)
        d->err = RCM_E_NOMEM;
    return s;
}

static int32_t
date(struct dec *d, json_t *obj, const char *key)
{
    const char *s = str(d, obj, key, 10);
    int32_t out;
    if (!s)
        return RCM_CLAIM_NO_DATE;
    if (rcm_date_parse_iso(rcm_str_c(s), &out) != RCM_OK) {
        bad(d, key, "expected a date YYYY-MM-DD");
        return RCM_CLAIM_NO_DATE;
    }
    return out;
}

static int64_t
money(struct dec *d, json_t *obj, const char *key, bool *present)
{
    const char *s = str(d, obj, key, 24);
    int64_t out = 0;
    if (present)
        *present = s != NULL;
    if (s && rcm_money_parse(rcm_str_c(s), &out) != RCM_OK)
        bad(d, key, "expected an amount like \"125.00\"");
    return out;
}

static bool
boolean(struct dec *d, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return false;
    if (!json_is_boolean(v)) {
        bad(d, key, "expected true or false");
        return false;
    }
    return json_is_true(v);
}

static char
one_char(struct dec *d, json_t *obj, const char *key, const char *allowed)
{
    const char *s = str(d, obj, key, 1);
    if (!s)
        return 0;
    if (!*s || !strchr(allowed, *s)) {
        bad(d, key, "unexpected value");
        return 0;
    }
    return *s;
}

static json_t *
object(struct dec *d, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        bad(d, key, "expected an object");
        return NULL;
    }
    return v;
}

static void
push(struct dec *d, const char *key, size_t index, size_t *saved)
{
    *saved = strlen(d->path);
    size_t n = *saved;
    if (index == SIZE_MAX)
        snprintf(d->path + n, sizeof d->path - n, "%s%s", n ? "." : "", key);
    else
        snprintf(d->path + n, sizeof d->path - n, "%s%s[%zu]", n ? "." : "", key, index);
}

static void
pop(struct dec *d, size_t saved)
{
    d->path[saved] = '\0';
}

static void
address(struct dec *d, json_t *parent, struct rcm_claim_address *a)
{
    json_t *o = object(d, parent, "address");
    if (!o)
        return;
    size_t saved;
    push(d, "address", SIZE_MAX, &saved);
    static const char *const keys[] = {"line1", "line2", "city", "state", "zip", NULL};
    keys_known(d, o, keys);
    a->line1 = str(d, o, "line1", 55);
    a->line2 = str(d, o, "line2", 55);
    a->city = str(d, o, "city", 30);
    a->state = str(d, o, "state", 2);
    a->zip = str(d, o, "zip", 15);
    pop(d, saved);
}

static void
provider(struct dec *d, json_t *root, const char *key, struct rcm_claim_provider *p)
{
    json_t *o = object(d, root, key);
    if (!o)
        return;
    size_t saved;
    push(d, key, SIZE_MAX, &saved);
    static const char *const keys[] = {"organization", "name", "first", "npi", "taxonomy",
                                       "tin", "tin_kind", "address", NULL};
    keys_known(d, o, keys);
    p->present = true;
    p->organization = boolean(d, o, "organization");
    p->last_or_org = str(d, o, "name", 60);
    p->first = str(d, o, "first", 35);
    p->npi = str(d, o, "npi", 15);
    p->taxonomy = str(d, o, "taxonomy", 15);
    p->tin = str(d, o, "tin", 15);
    const char *kind = str(d, o, "tin_kind", 3);
    if (kind) {
        if (strcmp(kind, "EIN") == 0)
            p->tin_kind = 'E';
        else if (strcmp(kind, "SSN") == 0)
            p->tin_kind = 'S';
        else
            bad(d, "tin_kind", "expected EIN or SSN");
    }
    address(d, o, &p->addr);
    pop(d, saved);
}

static void
person(struct dec *d, json_t *root, const char *key, struct rcm_claim_person *p)
{
    json_t *o = object(d, root, key);
    if (!o)
        return;
    size_t saved;
    push(d, key, SIZE_MAX, &saved);
    static const char *const keys[] = {"last", "first", "member_id", "birth_date", "sex",
                                       "address", NULL};
    keys_known(d, o, keys);
    p->present = true;
    p->last = str(d, o, "last", 60);
    p->first = str(d, o, "first", 35);
    p->member_id = str(d, o, "member_id", 80);
    p->birth_date = date(d, o, "birth_date");
    p->sex = one_char(d, o, "sex", "FMU");
    address(d, o, &p->addr);
    pop(d, saved);
}

static void
payer(struct dec *d, json_t *root, struct rcm_claim_payer *p)
{
    json_t *o = object(d, root, "payer");
    if (!o)
        return;
    size_t saved;
    push(d, "payer", SIZE_MAX, &saved);
    static const char *const keys[] = {"id", "name", "filing_indicator", "sequence",
                                       "insurance_type", "self_pay", NULL};
    keys_known(d, o, keys);
    p->id = str(d, o, "id", 80);
    p->name = str(d, o, "name", 60);
    p->filing_indicator = str(d, o, "filing_indicator", 2);
    p->sequence = one_char(d, o, "sequence", "PSTABCDEFGHU");
    p->insurance_type = str(d, o, "insurance_type", 3);
    p->self_pay = boolean(d, o, "self_pay");
    pop(d, saved);
}

static void
diagnoses(struct dec *d, json_t *root, struct rcm_claim *c)
{
    json_t *a = json_object_get(root, "diagnoses");
    if (!a || json_is_null(a))
        return;
    if (!json_is_array(a)) {
        bad(d, "diagnoses", "expected an array");
        return;
    }
    if (json_array_size(a) > RCM_CLAIM_MAX_DX) {
        bad(d, "diagnoses", "more than 25 diagnoses");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        size_t saved;
        push(d, "diagnoses", i, &saved);
        if (json_is_string(v)) {
            if (json_string_length(v) > 8)
                bad(d, NULL, "diagnosis code too long");
            else
                c->dx[i].code = rcm_arena_strndup(d->arena, json_string_value(v),
                                                  json_string_length(v));
        } else if (json_is_object(v)) {
            static const char *const keys[] = {"code", "poa", NULL};
            keys_known(d, v, keys);
            c->dx[i].code = str(d, v, "code", 8);
            c->dx[i].poa = one_char(d, v, "poa", "YNUW1");
        } else {
            bad(d, NULL, "expected a code string or {code, poa}");
        }
        pop(d, saved);
        if (d->err)
            return;
        c->n_dx = i + 1;
    }
}

static void
line(struct dec *d, json_t *o, size_t index, struct rcm_claim_line *l)
{
    static const char *const keys[] = {"number", "procedure", "modifiers", "revenue_code",
                                       "charge", "units", "pos", "from", "to",
                                       "dx_pointers", "self_pay_restricted",
                                       "rendering_npi", NULL};
    keys_known(d, o, keys);
    json_t *num = json_object_get(o, "number");
    l->number = (uint32_t)index + 1;
    if (num) {
        if (!json_is_integer(num) || json_integer_value(num) < 1 ||
            json_integer_value(num) > RCM_CLAIM_MAX_LINES)
            bad(d, "number", "expected an integer 1..999");
        else
            l->number = (uint32_t)json_integer_value(num);
    }
    l->procedure = str(d, o, "procedure", 8);
    l->revenue_code = str(d, o, "revenue_code", 4);
    l->charge_cents = money(d, o, "charge", NULL);
    const char *units = str(d, o, "units", 20);
    l->units_milli = 1000;
    if (units && !scrub_parse_units(units, &l->units_milli))
        bad(d, "units", "expected a number of units like \"1\" or \"1.5\"");
    l->pos = str(d, o, "pos", 2);
    l->from_date = date(d, o, "from");
    l->to_date = date(d, o, "to");
    l->self_pay_restricted = boolean(d, o, "self_pay_restricted");
    l->rendering_npi = str(d, o, "rendering_npi", 15);
    json_t *mods = json_object_get(o, "modifiers");
    if (mods && !json_is_null(mods)) {
        if (!json_is_array(mods) || json_array_size(mods) > 8) {
            bad(d, "modifiers", "expected an array of at most 8 strings");
        } else {
            size_t k;
            json_t *m;
            json_array_foreach(mods, k, m) {
                if (!json_is_string(m) || json_string_length(m) > 4) {
                    bad(d, "modifiers", "modifiers are strings of at most 4 characters");
                    break;
                }
                if (k < RCM_CLAIM_MAX_MODIFIERS)
                    l->modifiers[k] = rcm_arena_strndup(d->arena, json_string_value(m),
                                                        json_string_length(m));
            }
            /* the count is kept so the modifier-count edit sees 5+ */
            l->n_modifiers = (uint8_t)json_array_size(mods);
        }
    }
    json_t *ptrs = json_object_get(o, "dx_pointers");
    if (ptrs && !json_is_null(ptrs)) {
        if (!json_is_array(ptrs) || json_array_size(ptrs) > RCM_CLAIM_MAX_POINTERS) {
            bad(d, "dx_pointers", "expected an array of at most 4 integers");
        } else {
            size_t k;
            json_t *p;
            json_array_foreach(ptrs, k, p) {
                if (!json_is_integer(p) || json_integer_value(p) < 0 ||
                    json_integer_value(p) > 99) {
                    bad(d, "dx_pointers", "pointers are integers 1..12");
                    break;
                }
                l->dx_pointers[k] = (uint8_t)json_integer_value(p);
            }
            l->n_dx_pointers = (uint8_t)json_array_size(ptrs);
        }
    }
}

static void
claim(struct dec *d, json_t *o, struct rcm_claim *c)
{
    rcm_claim_init(c);
    if (!json_is_object(o)) {
        bad(d, NULL, "a claim is a JSON object");
        return;
    }
    static const char *const keys[] = {
        "kind", "id", "total_charge", "facility_code", "frequency", "original_ref",
        "relationship", "statement_from", "statement_to", "received_date",
        "self_pay_restricted", "payer", "subscriber", "patient", "billing", "rendering",
        "referring", "facility", "diagnoses", "lines", NULL};
    keys_known(d, o, keys);
    const char *kind = str(d, o, "kind", 16);
    if (kind && strcmp(kind, "institutional") == 0)
        c->kind = RCM_CLAIM_INSTITUTIONAL;
    else if (kind && strcmp(kind, "professional") != 0)
        bad(d, "kind", "expected professional or institutional");
    c->id = str(d, o, "id", 38);
    c->total_charge_cents = money(d, o, "total_charge", NULL);
    c->facility_code = str(d, o, "facility_code", 3);
    c->frequency = one_char(d, o, "frequency", "0123456789");
    c->original_ref = str(d, o, "original_ref", 50);
    c->relationship = str(d, o, "relationship", 2);
    c->statement_from = date(d, o, "statement_from");
    c->statement_to = date(d, o, "statement_to");
    c->received_date = date(d, o, "received_date");
    c->self_pay_restricted = boolean(d, o, "self_pay_restricted");
    payer(d, o, &c->payer);
    person(d, o, "subscriber", &c->subscriber);
    person(d, o, "patient", &c->patient);
    provider(d, o, "billing", &c->billing);
    provider(d, o, "rendering", &c->rendering);
    provider(d, o, "referring", &c->referring);
    provider(d, o, "facility", &c->facility);
    diagnoses(d, o, c);
    json_t *lines = json_object_get(o, "lines");
    if (lines && !json_is_null(lines) && !d->err) {
        if (!json_is_array(lines) || json_array_size(lines) > RCM_CLAIM_MAX_LINES) {
            bad(d, "lines", "expected an array of at most 999 lines");
            return;
        }
        size_t n = json_array_size(lines);
        c->lines = rcm_arena_zalloc(d->arena, (n ? n : 1) * sizeof *c->lines);
        if (!c->lines) {
            d->err = RCM_E_NOMEM;
            return;
        }
        size_t i;
        json_t *v;
        json_array_foreach(lines, i, v) {
            size_t saved;
            push(d, "lines", i, &saved);
            if (!json_is_object(v))
                bad(d, NULL, "a line is an object");
            else
                line(d, v, i, &c->lines[i]);
            pop(d, saved);
            if (d->err)
                return;
        }
        c->n_lines = n;
    }
}

enum rcm_err
rcm_claim_json_read(const char *data, size_t len, struct rcm_arena *arena,
                    struct rcm_claim **claims, size_t *n, struct rcm_diag *diag)
{
    *claims = NULL;
    *n = 0;
    if (len > CLAIM_JSON_MAX_BYTES)
        return rcm_diag_fail(diag, RCM_E_TOO_LARGE, "claim JSON larger than %u bytes",
                             CLAIM_JSON_MAX_BYTES);
    json_t *root = NULL;
    enum rcm_err err = rcm_json_parse(data, len, 16, &root, diag);
    if (err)
        return err;
    bool many = json_is_array(root);
    size_t count = many ? json_array_size(root) : 1;
    if (count > CLAIM_JSON_MAX_CLAIMS) {
        json_decref(root);
        return rcm_diag_fail(diag, RCM_E_TOO_LARGE, "more than %d claims in one document",
                             CLAIM_JSON_MAX_CLAIMS);
    }
    struct rcm_claim *out = rcm_arena_zalloc(arena, (count ? count : 1) * sizeof *out);
    struct dec d = {arena, diag, "", RCM_OK};
    if (!out) {
        json_decref(root);
        return RCM_E_NOMEM;
    }
    for (size_t i = 0; i < count && !d.err; i++) {
        if (many)
            snprintf(d.path, sizeof d.path, "[%zu]", i);
        claim(&d, many ? json_array_get(root, i) : root, &out[i]);
    }
    json_decref(root);
    if (d.err)
        return d.err;
    *claims = out;
    *n = count;
    return RCM_OK;
}
