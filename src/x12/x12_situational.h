/*
 * x12_situational.h — private interface of the situational rule checker
 * (x12_situational.c): the implementation guides' "required when …" /
 * "if not required, do not send" notes that the schema maps cannot express,
 * as a small declarative table evaluated per loop instance.
 *
 * The validator calls x12_sit_begin at ST, x12_sit_segment after placing each
 * segment of the set (with its loop stack), and nothing else: a rule is
 * evaluated when the instance of its scope loop closes, which the checker
 * notices from the loop instance numbers it is given (SE closes them all).
 */
#ifndef RCM_X12_SITUATIONAL_H
#define RCM_X12_SITUATIONAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/str.h"
#include "x12/x12_int.h"

enum x12_sit_kind {
    X12_SIT_REQUIRE = 0,   /* trigger seen → the segment must be present */
    X12_SIT_FORBID = 1,    /* trigger seen → the segment must not be present */
};

/*
 * One rule. Within each instance of loop `scope`: when segment `if_seg`
 * placed directly in loop `if_loop` has element if_elem (component if_comp,
 * 0 = the whole element) equal to one of the space-separated `if_values`
 * (NULL: whenever the segment occurs), then segment `then_seg` (whose first element is `then_qual`, NULL = any)
 * placed directly in loop `then_loop` is required (X12_SIT_REQUIRE) or not
 * allowed (X12_SIT_FORBID).
 */
struct x12_sit_rule {
    const char *id;          /* stable rule id, e.g. "X222-2010BA-DMG" */
    const char *st01;        /* "837" */
    const char *guide;       /* "X222", as in x12_txdefs */
    const char *scope;
    const char *if_loop, *if_seg;
    uint8_t if_elem, if_comp;
    const char *if_values;   /* NULL: any occurrence of if_seg triggers */
    uint8_t kind;            /* enum x12_sit_kind */
    const char *then_loop, *then_seg, *then_qual;
    const char *text;        /* the rule in openrcm's words (for messages) */
};

extern const struct x12_sit_rule x12_sit_rules[];
extern const unsigned x12_n_sit_rules;

#define X12_SIT_MAX_ACTIVE 16

/* Per transaction set state: fixed size, no allocation. */
struct x12_sit_state {
    uint8_t n;                                /* rules for this set */
    uint16_t rule[X12_SIT_MAX_ACTIVE];        /* indexes into x12_sit_rules */
    uint64_t inst[X12_SIT_MAX_ACTIVE];        /* open scope instance, 0 none */
    uint8_t at[X12_SIT_MAX_ACTIVE];           /* its depth in the loop stack */
    uint8_t cond[X12_SIT_MAX_ACTIVE], seen[X12_SIT_MAX_ACTIVE];
    uint64_t gen;            /* loop stack generation of the last call */
    uint64_t keymask;        /* x12_sit_keybit of every trigger/target id */
};

static inline uint64_t
x12_sit_keybit(uint32_t key)
{
    return 1ull << ((key * 0x9E3779B1u) >> 26);
}

/*
 * True when x12_sit_segment would do nothing for a segment with id key
 * `key` (x12_idkey): the loop stack is the one of the previous call (same
 * `gen`, a value that changes whenever a loop opens or closes) and no rule
 * names the segment id. Lets the validator skip the call cheaply.
 */
static inline bool
x12_sit_idle(const struct x12_sit_state *s, uint32_t key, uint64_t gen)
{
    return gen == s->gen && !(s->keymask & x12_sit_keybit(key));
}

/* Called for a violated rule (scope instance closed). */
typedef void (*x12_sit_report_fn)(void *ctx, const struct x12_sit_rule *r);

/* Start a set of `tx` (NULL: no rules). Returns the number of rules that
 * apply; 0 means x12_sit_segment need not be called for this set. */
unsigned x12_sit_begin(struct x12_sit_state *s, const struct x12_txdef *tx);

/*
 * One segment of the set, already placed (`gen` as for x12_sit_idle):
 * `nodes[0..depth)` and
 * `instances[0..depth)` are the open loops (outermost first; the segment's
 * own loop last), `els[0..nel)` its elements (els[0] the id), `comp` the
 * component separator. Violations of rules whose scope instance closed
 * before this segment are passed to `report` (with the validator still on
 * this segment).
 */
void x12_sit_segment(struct x12_sit_state *s, const char *seg_id, uint64_t gen,
                     const uint16_t *nodes, const uint64_t *instances, int depth,
                     const struct rcm_str *els, size_t nel, char comp,
                     x12_sit_report_fn report, void *ctx);

#endif
