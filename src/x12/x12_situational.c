/*
 * x12_situational.c — situational ("required when …") rules of the
 * implementation guides that the schema maps cannot express, as a
 * declarative table, and their evaluation per loop instance. The validator
 * feeds every placed segment with its loop stack (x12_situational.h); a
 * rule is judged when the instance of its scope loop closes, and a
 * violation becomes a segment finding: IK304 I6 (implementation dependent
 * segment missing) or I9 (implementation dependent "not used" segment
 * present). docs/x12/validation.md lists the rules.
 */
#include "x12/x12_situational.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

/*
 * The rules. Wording is openrcm's; each names the guide note it encodes.
 * Loop ids are those of the schema tables (pyx12 maps for 837, openrcm's
 * maps for 276); a rule whose loops cannot be found in its transaction set
 * is never applied (test_x12_situational checks that all resolve).
 */
const struct x12_sit_rule x12_sit_rules[] = {
    /* 837P 2010BA N3/N4/DMG: required when the patient is the subscriber
     * (SBR02 = 18, "self") — the RFI 2281 reading of the TR3 note */
    {"X222-2010BA-N3", "837", "X222", "2000B", "2000B", "SBR", 2, 0, "18",
     X12_SIT_REQUIRE, "2010BA", "N3", NULL,
     "subscriber address (2010BA N3) is required when the subscriber is the patient (SBR02 = 18)"},
    {"X222-2010BA-N4", "837", "X222", "2000B", "2000B", "SBR", 2, 0, "18",
     X12_SIT_REQUIRE, "2010BA", "N4", NULL,
     "subscriber city/state/ZIP (2010BA N4) is required when the subscriber is the patient (SBR02 = 18)"},
    {"X222-2010BA-DMG", "837", "X222", "2000B", "2000B", "SBR", 2, 0, "18",
     X12_SIT_REQUIRE, "2010BA", "DMG", NULL,
     "subscriber demographics (2010BA DMG) are required when the subscriber is the patient (SBR02 = 18)"},
    /* 837P 2300 REF*F8 payer claim control number: required when CLM05-3
     * is 7 (replacement) or 8 (void); not sent on an original claim (1) */
    {"X222-2300-REF-F8", "837", "X222", "2300", "2300", "CLM", 5, 3, "7 8",
     X12_SIT_REQUIRE, "2300", "REF", "F8",
     "payer claim control number (2300 REF*F8) is required when CLM05-3 is 7 or 8"},
    {"X222-2300-REF-F8-ORIGINAL", "837", "X222", "2300", "2300", "CLM", 5, 3, "1",
     X12_SIT_FORBID, "2300", "REF", "F8",
     "payer claim control number (2300 REF*F8) is not sent on an original claim (CLM05-3 = 1)"},
    /* 837I: the same notes */
    {"X223-2010BA-N3", "837", "X223", "2000B", "2000B", "SBR", 2, 0, "18",
     X12_SIT_REQUIRE, "2010BA", "N3", NULL,
     "subscriber address (2010BA N3) is required when the subscriber is the patient (SBR02 = 18)"},
    {"X223-2010BA-N4", "837", "X223", "2000B", "2000B", "SBR", 2, 0, "18",
     X12_SIT_REQUIRE, "2010BA", "N4", NULL,
     "subscriber city/state/ZIP (2010BA N4) is required when the subscriber is the patient (SBR02 = 18)"},
    {"X223-2010BA-DMG", "837", "X223", "2000B", "2000B", "SBR", 2, 0, "18",
     X12_SIT_REQUIRE, "2010BA", "DMG", NULL,
     "subscriber demographics (2010BA DMG) are required when the subscriber is the patient (SBR02 = 18)"},
    {"X223-2300-REF-F8", "837", "X223", "2300", "2300", "CLM", 5, 3, "7 8",
     X12_SIT_REQUIRE, "2300", "REF", "F8",
     "payer claim control number (2300 REF*F8) is required when CLM05-3 is 7 or 8"},
    {"X223-2300-REF-F8-ORIGINAL", "837", "X223", "2300", "2300", "CLM", 5, 3, "1",
     X12_SIT_FORBID, "2300", "REF", "F8",
     "payer claim control number (2300 REF*F8) is not sent on an original claim (CLM05-3 = 1)"},
    /* 271: the 2120C/D benefit related entity loop is bracketed by LS*2120
     * before it and LE*2120 after it in 2110C/D (the X12 LS/LE bounded
     * loop); an LS opens such a loop, so it is not sent without one */
    {"X279-271-2110C-LS", "271", "X279", "2110C", "2120C", "NM1", 0, 0, NULL,
     X12_SIT_REQUIRE, "2110C", "LS", NULL,
     "loop header (2110C LS*2120) is required before a 2120C benefit related entity"},
    {"X279-271-2110C-LE", "271", "X279", "2110C", "2120C", "NM1", 0, 0, NULL,
     X12_SIT_REQUIRE, "2110C", "LE", NULL,
     "loop trailer (2110C LE*2120) is required after a 2120C benefit related entity"},
    {"X279-271-2110C-2120C", "271", "X279", "2110C", "2110C", "LS", 0, 0, NULL,
     X12_SIT_REQUIRE, "2120C", "NM1", NULL,
     "a 2120C benefit related entity (NM1) is required after 2110C LS*2120"},
    {"X279-271-2110D-LS", "271", "X279", "2110D", "2120D", "NM1", 0, 0, NULL,
     X12_SIT_REQUIRE, "2110D", "LS", NULL,
     "loop header (2110D LS*2120) is required before a 2120D benefit related entity"},
    {"X279-271-2110D-LE", "271", "X279", "2110D", "2120D", "NM1", 0, 0, NULL,
     X12_SIT_REQUIRE, "2110D", "LE", NULL,
     "loop trailer (2110D LE*2120) is required after a 2120D benefit related entity"},
    {"X279-271-2110D-2120D", "271", "X279", "2110D", "2110D", "LS", 0, 0, NULL,
     X12_SIT_REQUIRE, "2120D", "NM1", NULL,
     "a 2120D benefit related entity (NM1) is required after 2110D LS*2120"},
    /* 276: a subscriber level with no dependent level under it (HL04 = 0)
     * is the patient, so the claim to ask about (2200D) must be there */
    {"X212-276-2200D", "276", "X212", "2000D", "2000D", "HL", 4, 0, "0",
     X12_SIT_REQUIRE, "2200D", "TRN", NULL,
     "claim status tracking number (2200D) is required when the subscriber is the patient (2000D HL04 = 0)"},
};
const unsigned x12_n_sit_rules = sizeof x12_sit_rules / sizeof x12_sit_rules[0];

#define NO_NODE 0xffffu

struct resolved {
    const struct x12_txdef *tx;
    uint16_t scope, if_loop, then_loop;
    uint32_t if_key, then_key;     /* x12_idkey of if_seg / then_seg */
};
static struct resolved res[sizeof x12_sit_rules / sizeof x12_sit_rules[0]];
static pthread_once_t res_once = PTHREAD_ONCE_INIT;

/* The loop node with id `id` reachable from `root`, or NO_NODE. */
static uint16_t
find_loop(uint16_t root, const char *id)
{
    uint16_t stack[512];
    int sp = 0;
    stack[sp++] = root;
    while (sp > 0) {
        const struct x12_node *n = &x12_nodes[stack[--sp]];
        if (n->kind != X12_NODE_LOOP)
            continue;
        if (strcmp(n->id, id) == 0)
            return (uint16_t)(n - x12_nodes);
        for (unsigned j = 0; j < n->child_n && sp < 512; j++) {
            uint16_t c = x12_children[n->child_first + j].node;
            if (x12_nodes[c].kind == X12_NODE_LOOP)
                stack[sp++] = c;
        }
    }
    return NO_NODE;
}

static void
resolve_all(void)
{
    for (unsigned r = 0; r < x12_n_sit_rules; r++) {
        const struct x12_sit_rule *ru = &x12_sit_rules[r];
        res[r] = (struct resolved){NULL, NO_NODE, NO_NODE, NO_NODE, 0, 0};
        for (unsigned t = 0; t < x12_n_txdefs; t++) {
            const struct x12_txdef *tx = &x12_txdefs[t];
            if (strcmp(tx->st01, ru->st01) != 0 || strcmp(tx->guide, ru->guide) != 0)
                continue;
            uint16_t s = find_loop(tx->root, ru->scope);
            uint16_t i = find_loop(tx->root, ru->if_loop);
            uint16_t h = find_loop(tx->root, ru->then_loop);
            if (s != NO_NODE && i != NO_NODE && h != NO_NODE)
                res[r] = (struct resolved){tx, s, i, h, x12_idkey(ru->if_seg),
                                           x12_idkey(ru->then_seg)};
            break;
        }
    }
}

unsigned
x12_sit_begin(struct x12_sit_state *s, const struct x12_txdef *tx)
{
    pthread_once(&res_once, resolve_all);
    s->n = 0;
    s->gen = ~0ull;
    s->keymask = 0;
    for (unsigned r = 0; tx && r < x12_n_sit_rules && s->n < X12_SIT_MAX_ACTIVE; r++) {
        if (res[r].tx != tx)
            continue;
        s->rule[s->n] = (uint16_t)r;
        s->inst[s->n] = 0;
        s->at[s->n] = 0;
        s->cond[s->n] = s->seen[s->n] = 0;
        s->keymask |= x12_sit_keybit(res[r].if_key) | x12_sit_keybit(res[r].then_key);
        s->n++;
    }
    return s->n;
}

/* Element `e` (1-based), component `c` (1-based, 0 = whole) of a segment. */
static struct rcm_str
element(const struct rcm_str *els, size_t nel, unsigned e, unsigned c, char comp)
{
    struct rcm_str v = e < nel ? els[e] : (struct rcm_str){"", 0};
    if (c == 0 || !comp)
        return c <= 1 ? v : (struct rcm_str){"", 0};
    for (unsigned k = 1; k < c; k++) {
        const char *sep = memchr(v.p, comp, v.n);
        if (!sep)
            return (struct rcm_str){"", 0};
        v.n -= (size_t)(sep + 1 - v.p);
        v.p = sep + 1;
    }
    const char *end = memchr(v.p, comp, v.n);
    if (end)
        v.n = (size_t)(end - v.p);
    return v;
}

/* Whether `v` is one of the space-separated words of `list`. */
static bool
one_of(struct rcm_str v, const char *list)
{
    if (v.n == 0)
        return false;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n == v.n && memcmp(p, v.p, n) == 0)
            return true;
        p += n;
        while (*p == ' ')
            p++;
    }
    return false;
}

static void
judge(struct x12_sit_state *s, unsigned i, x12_sit_report_fn report, void *ctx)
{
    const struct x12_sit_rule *r = &x12_sit_rules[s->rule[i]];
    bool bad = r->kind == X12_SIT_REQUIRE ? s->cond[i] && !s->seen[i]
                                          : s->cond[i] && s->seen[i];
    if (bad)
        report(ctx, r);
    s->inst[i] = 0;
}

void
x12_sit_segment(struct x12_sit_state *s, const char *seg_id, uint64_t gen,
                const uint16_t *nodes, const uint64_t *instances, int depth,
                const struct rcm_str *els, size_t nel, char comp,
                x12_sit_report_fn report, void *ctx)
{
    uint16_t here = depth > 0 ? nodes[depth - 1] : NO_NODE;
    uint32_t key = x12_idkey(seg_id);
    s->gen = gen;
    for (unsigned i = 0; i < s->n; i++) {
        const struct resolved *rs = &res[s->rule[i]];
        const struct x12_sit_rule *r = &x12_sit_rules[s->rule[i]];
        /* the common case: the scope instance seen last is still open at
         * the same depth (one comparison instead of a scan) */
        int at = s->at[i];
        if (!(s->inst[i] && at < depth && nodes[at] == rs->scope &&
              instances[at] == s->inst[i])) {
            uint64_t cur = 0;
            for (int d = 0; d < depth; d++)
                if (nodes[d] == rs->scope) {
                    cur = instances[d];
                    at = d;
                }
            if (s->inst[i] && s->inst[i] != cur)
                judge(s, i, report, ctx);
            if (!cur)
                continue;
            s->inst[i] = cur;
            s->at[i] = (uint8_t)at;
            s->cond[i] = s->seen[i] = 0;
        }
        if (key == rs->if_key && here == rs->if_loop &&
            (!r->if_values ||
             one_of(element(els, nel, r->if_elem, r->if_comp, comp), r->if_values)))
            s->cond[i] = 1;
        if (key == rs->then_key && here == rs->then_loop) {
            struct rcm_str q = element(els, nel, 1, 0, comp);
            if (!r->then_qual ||
                (q.n == strlen(r->then_qual) && memcmp(q.p, r->then_qual, q.n) == 0))
                s->seen[i] = 1;
        }
    }
}
