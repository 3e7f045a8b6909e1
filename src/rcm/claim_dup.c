/*
 * claim_dup.c — the duplicate-claim fingerprint (rcm/cycle.h).
 *
 * What counts as a duplicate mirrors payers' CARC 18 ("exact duplicate
 * claim/service") edits: same patient, same payer, same service dates and
 * the same services — procedure (or revenue code), modifiers as a set,
 * units, charge and line dates. Order of lines and of modifiers does not
 * matter; the claim id, frequency, payer claim number, diagnoses and
 * providers do not take part, so the same visit billed again under a new
 * claim id gives the same fingerprint. A frequency-7/8 claim also collides
 * with its original by design: the caller tells it apart by frequency.
 *
 * Canonical encoding (version 1), hashed with SHA-256:
 *   "openrcm/claim-fingerprint/v1\0", patient id (8 bytes big-endian),
 *   payer id (text), statement from/to (4 bytes each), line count (4), then
 *   each line's fixed-width record in ascending byte order.
 * Text fields are trimmed, upper-cased and length-prefixed, so no two
 * different field lists encode alike. The record holds PHI-derived values
 * only in memory and is wiped before it is freed.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/crypto.h"
#include "rcm/cycle.h"
#include "rcm/mem.h"

#define CODE_MAX 48       /* longest code kept (procedure, revenue, payer id) */

/* One line, canonical: fixed width so records sort with memcmp. */
struct line_rec {
    uint8_t rev[1 + CODE_MAX];
    uint8_t proc[1 + CODE_MAX];
    uint8_t mods[RCM_CLAIM_MAX_MODIFIERS][1 + CODE_MAX];
    uint8_t units[8], charge[8], from[4], to[4];
};

static void
be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void
be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Trimmed, upper-cased, length-prefixed copy of s (NULL = empty). */
static void
code(uint8_t out[1 + CODE_MAX], const char *s)
{
    memset(out, 0, 1 + CODE_MAX);
    if (!s)
        return;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n > CODE_MAX)
        n = CODE_MAX;
    out[0] = (uint8_t)n;
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)toupper((unsigned char)s[i]);
}

static int
cmp_mod(const void *a, const void *b)
{
    return memcmp(a, b, 1 + CODE_MAX);
}

static int
cmp_line(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(struct line_rec));
}

static void
line_record(struct line_rec *r, const struct rcm_claim_line *l)
{
    memset(r, 0, sizeof *r);
    code(r->rev, l->revenue_code);
    code(r->proc, l->procedure);
    size_t nm = l->n_modifiers > RCM_CLAIM_MAX_MODIFIERS ? RCM_CLAIM_MAX_MODIFIERS
                                                         : l->n_modifiers;
    for (size_t k = 0; k < nm; k++)
        code(r->mods[k], l->modifiers[k]);
    /* absent modifiers are empty records and sort first: {A,B} == {B,A} */
    qsort(r->mods, RCM_CLAIM_MAX_MODIFIERS, sizeof r->mods[0], cmp_mod);
    be64(r->units, (uint64_t)(l->units_milli ? l->units_milli : 1000));
    be64(r->charge, (uint64_t)l->charge_cents);
    int32_t to = l->to_date == RCM_CLAIM_NO_DATE ? l->from_date : l->to_date;
    be32(r->from, (uint32_t)l->from_date);
    be32(r->to, (uint32_t)to);
}

enum rcm_err
rcm_claim_fingerprint(const struct rcm_claim *c, int64_t patient_id,
                      uint8_t out[RCM_CLAIM_FINGERPRINT_BYTES])
{
    if (!c || c->n_lines == 0 || !c->lines || c->n_lines > RCM_CLAIM_MAX_LINES)
        return RCM_E_INVAL;
    for (size_t i = 0; i < c->n_lines; i++) {
        const struct rcm_claim_line *l = &c->lines[i];
        if ((!l->procedure || !l->procedure[0]) && (!l->revenue_code || !l->revenue_code[0]))
            return RCM_E_INVAL;
    }
    struct line_rec *recs = rcm_calloc(c->n_lines, sizeof *recs);
    if (!recs)
        return RCM_E_NOMEM;
    for (size_t i = 0; i < c->n_lines; i++)
        line_record(&recs[i], &c->lines[i]);
    qsort(recs, c->n_lines, sizeof *recs, cmp_line);

    struct rcm_sha256_ctx h;
    enum rcm_err e = rcm_sha256_init(&h);
    if (e)
        goto out_recs;
    static const char tag[] = "openrcm/claim-fingerprint/v1";
    uint8_t head[8 + 1 + CODE_MAX + 4 + 4 + 4];
    uint8_t *p = head;
    be64(p, (uint64_t)patient_id);
    p += 8;
    code(p, c->payer.id);
    p += 1 + CODE_MAX;
    be32(p, (uint32_t)c->statement_from);
    be32(p + 4, (uint32_t)c->statement_to);
    be32(p + 8, (uint32_t)c->n_lines);
    rcm_sha256_update(&h, tag, sizeof tag);   /* with its NUL */
    rcm_sha256_update(&h, head, sizeof head);
    rcm_sha256_update(&h, recs, c->n_lines * sizeof *recs);
    rcm_sha256_final(&h, out);
    rcm_crypto_wipe(head, sizeof head);
out_recs:
    rcm_crypto_wipe(recs, c->n_lines * sizeof *recs);
    rcm_free(recs);
    return e;
}
