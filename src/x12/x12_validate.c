/*
 * x12_validate.c — one-pass, constant-memory X12 validator and 999/TA1
 * writer (see rcm/x12.h for the contract).
 *
 * State is a handful of fixed-size records: the open interchange, group and
 * transaction set, a stack of open loops (each with a use counter per child
 * of the loop), an HL stack, and capped hash sets of control numbers for
 * duplicate detection. Nothing grows with the input except the ack body of
 * the current interchange (capped, only when an ack is asked for).
 *
 * Schema walk: for each segment the open loops are searched from the
 * innermost outwards — later siblings in the current loop (segments by id
 * and qualifier, child loops by their first segment), then a new occurrence
 * of the current loop, then the enclosing loop, and so on. That order is
 * what makes an SBR after CLM open 2320 (a child of 2300) instead of a new
 * 2000B. Required children skipped over or left behind when a loop closes
 * are reported as missing.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rcm/codes.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/x12.h"
#include "x12/x12_int.h"
#include "x12/x12_situational.h"

#define KEY3(a, b, c) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16)
#define MAX_DEPTH 12
#define MAX_KIDS 64
#define MAX_ELEMS 128
#define MAX_HL_DEPTH 16
#define IDSET_MAX (1u << 20)
#define ACK_BODY_MAX ((size_t)256 << 20)
#define FAST_NODES_MAX 1024u      /* schema nodes the derived tables cover */

struct level {
    uint16_t node;
    int cur;
    uint64_t instance;
    uint64_t seen;                /* bit j: child j occurred in this instance */
    uint32_t counts[MAX_KIDS];
};

/* Open-addressing set of 64-bit hashes (0 = empty), capped. */
struct idset {
    uint64_t *slot;
    size_t cap, n;
    bool full;
};

/*
 * Placement cache. Where a segment lands when it is found in the innermost
 * open loop on the first (strict) look is a function of that loop's node,
 * the child position the scan starts at, the segment id and — only when a
 * candidate's qualifier was consulted — the value of element 1 (or of its
 * first component, for a composite qualifier). Table 0 holds placements
 * that consulted no value, table 1 those that consulted only element 1 or
 * only its first component (keyed by that value too, when it fits 8 bytes;
 * key bit 61 tells the two apart); placements that looked at anything else
 * are not cached. Entries never go stale: they
 * depend on the schema alone. j >= 0: child j; -1: a new occurrence of the
 * loop.
 */
#define PCACHE_BITS 9
struct pcache {
    uint64_t key;    /* bit 63 set when used | depth>1 | node | start | id */
    uint64_t el1;    /* element 1, big-endian NUL-padded (table 1) */
    int16_t j;
};

struct rcm_x12_validator {
    struct rcm_x12_validate_opts o;
    struct pcache pcache[2][1u << PCACHE_BITS];
    /* rules_ok[n]: a presence pattern of segment n's elements known to
     * satisfy all of n's syntax rules (~0 = none; bit 0 is never set) */
    uint64_t rules_ok[FAST_NODES_MAX];
    struct rcm_x12_stats st;
    enum rcm_err oom;

    /* current segment (context for findings) */
    const struct rcm_x12_seg *seg;
    bool seg_ik3;                 /* an IK3 was written for this segment */
    bool seg_counted_err;

    /* interchange */
    bool in_isa;
    char isa13[10], isa09[7], isa10[5], isa15[2];
    char isa05[3], isa06[16], isa07[3], isa08[16];
    bool isa14_ack;
    const char *ta1_code;
    bool ta1_reject;
    uint32_t n_groups;
    struct idset isa_ids, gs_ids, st_ids;

    /* group */
    bool in_gs;
    char gs01[3], gs02[16], gs03[16], gs06[10], gs08[13];
    uint32_t n_sets, n_accepted;
    const char *ak9[5];
    int n_ak9;
    bool gs_bad;

    /* set */
    bool in_st;
    char st01[4], st02[10], st03[36];
    uint32_t set_pos;
    const struct x12_txdef *tx;
    bool set_err;
    const char *ik5[5];
    int n_ik5;
    uint32_t n_ik3;
    int depth;
    struct level lv[MAX_DEPTH];
    uint64_t instance_ctr;
    uint64_t isa_instance, gs_instance, st_instance;
    const char *seg_name;
    /* HL */
    uint32_t hl_last;
    uint32_t hl_stack[MAX_HL_DEPTH];
    int hl_depth;
    char hl_prev_child;           /* HL04 of the previous HL ('1', '0', 0) */
    uint32_t hl_prev_id;
    /* CTX business unit (CLM01) */
    char clm01[39];
    /* situational rules of this set (x12_situational.c) */
    struct x12_sit_state sit;
    bool sit_on;

    /* ack */
    struct rcm_buf body;
    uint32_t ack_isa13, ack_gs06, ack_st;
    uint32_t ack_segs;
    bool ack_group;
    char date8[9], time4[5];
};

/* ------------------------------------------------- derived fast tables */

/*
 * Facts derived once per process from the generated schema tables, used only
 * to skip work whose outcome is already known (never to change a result):
 *
 * - node_lim[n]: for a segment whose elements sit at positions 1..elem_n in
 *   order, the number of leading element definitions up to and including the
 *   last Required one. Definitions past both that and the segment's last
 *   element can produce no finding (an absent S/N element is fine), so
 *   check_segment stops there. 0xffff = not derived, check every definition.
 * - elem_codes_ok[e]: element e is AN/ID-like (no numeric/date/time rules)
 *   with a code list whose every code is free of control characters and
 *   within the element's min/max length; a value found in the list then has
 *   no problem at all, and the character and length checks can be skipped.
 */
#define FAST_ELEMS_MAX 8192u
#define FAST_CODES_MAX 16384u
static uint16_t node_lim[FAST_NODES_MAX];
/* code_key[k]: x12_codes[k] packed big-endian into 8 bytes, NUL-padded
 * (so integer order is the codes' byte order); 0 when the code is longer
 * than 8 bytes. elem_short_codes[e]: every code of e's list has a key. */
static uint64_t code_key[FAST_CODES_MAX];
static uint8_t elem_short_codes[FAST_ELEMS_MAX];
/* comp_lim[e]: for a composite, the number of leading components up to and
 * including the last Required one (absent S/N components past it and past
 * the value's last component produce no finding). */
static uint8_t comp_lim[FAST_ELEMS_MAX];
/* rule_pos[r]: syntax rule x12_rules[r] ("P0304") parsed: its element
 * positions, as check_rules would parse them each time. */
#define FAST_RULES_MAX 4096u
struct rule_parsed {
    int16_t pos[12];
    uint8_t np;
    bool masked;            /* every position < 64: the masks below apply */
    uint64_t all, first;    /* bits of the positions / of the first one */
};
static struct rule_parsed rule_pos[FAST_RULES_MAX];
/* node_rule_bits[n]: union of the masked rules' position bits of segment n;
 * node_rules_masked[n]: every rule of n is masked (decided by presence bits) */
static uint64_t node_rule_bits[FAST_NODES_MAX];
static bool node_rules_masked[FAST_NODES_MAX];
/* loop_keys[n]: for a loop, one bit (key_bit) per segment id that can open
 * one of its children; a segment whose bit is clear cannot match any child
 * of the loop, so the walk need not scan them. ~0 = unknown (scan). */
static uint64_t loop_keys[FAST_NODES_MAX];

static inline uint64_t
key_bit(uint32_t key)
{
    return 1ull << ((key * 0x9E3779B1u) >> 26);
}
static uint8_t elem_codes_ok[FAST_ELEMS_MAX];

/*
 * elem_op[e]: the checks of element (or component) e in a compact form, so
 * that the common case — a value with nothing wrong — is accepted in a few
 * instructions. The fast path only ever *accepts*: whenever it cannot show
 * that the full check (check_elem / check_value) would find nothing, it
 * hands the element to that full check, which reports exactly as before.
 */
enum op_kind {
    OP_SLOW = 0,   /* no fast form: always the full check */
    OP_CODES,      /* code list of short keys that is enough on its own */
    OP_TEXT,       /* AN/ID/B without codes: no control char, length */
    OP_NUM,        /* N0-N4: digits (optional '-'), digit count in range */
    OP_DEC,        /* R: as N with at most one '.' */
    OP_DATE,       /* DT: CCYYMMDD or YYMMDD, length in range */
    OP_TIME,       /* TM */
    OP_COMP,       /* composite: each component by its own elem_op */
};
enum op_set { SET_NONE = 0, SET_KEYS, SET_EXTERNAL, SET_EXTERNAL_KEYS };
struct elem_op {
    uint8_t kind;          /* enum op_kind */
    uint8_t req;           /* usage R */
    uint8_t may_repeat;    /* repeat != 1: a repetition separator means slow */
    uint8_t set;           /* enum op_set: after the type and length checks,
                              the value must be in code_key[lo..lo+n)
                              (SET_KEYS) or in x12_codes[lo..lo+n) unless
                              external sets are off (SET_EXTERNAL; with
                              SET_EXTERNAL_KEYS every code has a key) */
    uint16_t min_len, max_len;   /* max_len 0xffff = no maximum */
    uint16_t lo, n;
};
static struct elem_op elem_op[FAST_ELEMS_MAX];
/* kid_keys: x12_child_keys copied with zero padding behind, so next_key
 * may read a whole block past the last child of any loop. */
#define FAST_KIDS_MAX 8192u
static uint32_t kid_keys[FAST_KIDS_MAX + 4];
static bool fast_ready;
static pthread_once_t fast_once = PTHREAD_ONCE_INIT;

static bool
codes_fit(const struct x12_elem *e)
{
    switch (e->type) {
    case X12_N0: case X12_N1: case X12_N2: case X12_N3: case X12_N4:
    case X12_R: case X12_DT: case X12_TM: case X12_COMPOSITE:
        return false;
    default:
        break;
    }
    for (unsigned k = e->codes_first; k < (unsigned)e->codes_first + e->codes_n; k++) {
        const unsigned char *c = (const unsigned char *)x12_codes[k];
        size_t n = strlen(x12_codes[k]);
        if (n < e->min_len || (e->max_len && n > e->max_len))
            return false;
        for (size_t i = 0; i < n; i++)
            if (c[i] < 0x20 || c[i] == 0x7f)
                return false;
    }
    return e->codes_n > 0;
}

static bool
codes_short(const struct x12_elem *e)
{
    if (!e->codes_n || (unsigned)e->codes_first + e->codes_n > FAST_CODES_MAX)
        return false;
    for (unsigned k = e->codes_first; k < (unsigned)e->codes_first + e->codes_n; k++)
        if (!code_key[k])
            return false;
    return true;
}

/* Fill elem_op[ei] from x12_elems[ei] (elem_codes_ok / elem_short_codes of
 * ei are already set). */
static void
make_op(unsigned ei)
{
    const struct x12_elem *e = &x12_elems[ei];
    struct elem_op *op = &elem_op[ei];
    memset(op, 0, sizeof *op);
    op->req = e->usage == 'R';
    op->may_repeat = e->repeat != 1;
    op->min_len = e->min_len;
    op->max_len = e->max_len ? e->max_len : 0xffff;
    if (e->usage == 'N')
        return;                 /* any value is a finding: OP_SLOW */
    if (e->type == X12_COMPOSITE) {
        op->kind = OP_COMP;
        return;
    }
    if (e->pattern != X12_PAT_NONE)
        return;                 /* OP_SLOW: the full check tests the pattern */
    if (e->codes_n) {
        if (!elem_short_codes[ei])
            return;             /* OP_SLOW */
        op->set = SET_KEYS;
        op->lo = e->codes_first;
        op->n = e->codes_n;
        if (elem_codes_ok[ei]) {
            op->kind = OP_CODES;   /* in the list = nothing else to check */
            return;
        }
    }
    switch (e->type) {
    case X12_N0: case X12_N1: case X12_N2: case X12_N3: case X12_N4:
        op->kind = OP_NUM;
        break;
    case X12_R: op->kind = OP_DEC; break;
    case X12_DT: op->kind = OP_DATE; break;
    case X12_TM: op->kind = OP_TIME; break;
    default: op->kind = OP_TEXT; break;
    }
    if (!e->codes_n && e->external >= 0 && (unsigned)e->external < x12_n_codesets) {
        op->set = SET_EXTERNAL;
        op->lo = x12_codesets[e->external].first;
        op->n = x12_codesets[e->external].n;
        bool short_keys = op->n > 0;
        for (unsigned k = op->lo; k < (unsigned)op->lo + op->n && short_keys; k++)
            short_keys = code_key[k] != 0;
        if (short_keys)
            op->set = SET_EXTERNAL_KEYS;
    }
}

static void
fast_init(void)
{
    if (x12_n_nodes > FAST_NODES_MAX)
        return;
    /* x12_codes has no count: it ends with the last list anyone uses */
    unsigned ncodes = 0;
    for (unsigned i = 0; i < x12_n_codesets; i++)
        if ((unsigned)x12_codesets[i].first + x12_codesets[i].n > ncodes)
            ncodes = (unsigned)x12_codesets[i].first + x12_codesets[i].n;
    for (unsigned i = 0; i < x12_n_nodes; i++) {
        const struct x12_node *n = &x12_nodes[i];
        for (unsigned k = 0; n->kind == X12_NODE_SEGMENT && k < n->elem_n; k++) {
            const struct x12_elem *e = &x12_elems[n->elem_first + k];
            if ((unsigned)e->codes_first + e->codes_n > ncodes)
                ncodes = (unsigned)e->codes_first + e->codes_n;
            for (unsigned c = 0; c < e->comp_n; c++) {
                const struct x12_elem *ce = &x12_elems[e->comp_first + c];
                if ((unsigned)ce->codes_first + ce->codes_n > ncodes)
                    ncodes = (unsigned)ce->codes_first + ce->codes_n;
            }
        }
    }
    if (ncodes > FAST_CODES_MAX)
        return;
    for (unsigned k = 0; k < ncodes; k++) {
        size_t n = strlen(x12_codes[k]);
        uint64_t key = 0;
        for (size_t i = 0; i < 8; i++)
            key = key << 8 | (uint64_t)(i < n ? (unsigned char)x12_codes[k][i] : 0);
        code_key[k] = n >= 1 && n <= 8 ? key : 0;
    }
    unsigned nkids = 0;
    for (unsigned i = 0; i < x12_n_nodes; i++)
        if (x12_nodes[i].kind == X12_NODE_LOOP &&
            (unsigned)x12_nodes[i].child_first + x12_nodes[i].child_n > nkids)
            nkids = (unsigned)x12_nodes[i].child_first + x12_nodes[i].child_n;
    if (nkids > FAST_KIDS_MAX)
        return;
    memcpy(kid_keys, x12_child_keys, nkids * sizeof kid_keys[0]);
    for (unsigned i = 0; i < x12_n_nodes; i++) {
        const struct x12_node *n = &x12_nodes[i];
        node_lim[i] = 0xffff;
        loop_keys[i] = ~0ull;
        if (n->kind != X12_NODE_SEGMENT) {
            uint64_t m = 0;
            for (unsigned j = 0; j < n->child_n; j++)
                m |= key_bit(x12_child_keys[n->child_first + j]);
            loop_keys[i] = m;
            continue;
        }
        if ((unsigned)n->elem_first + n->elem_n > FAST_ELEMS_MAX)
            return;
        bool dense = true;
        uint16_t last_req = 0;
        for (unsigned k = 0; k < n->elem_n; k++) {
            const struct x12_elem *e = &x12_elems[n->elem_first + k];
            int pos = e->seq ? e->seq : (int)k + 1;
            if (pos != (int)k + 1)
                dense = false;
            if (e->usage == 'R')
                last_req = (uint16_t)(k + 1);
            elem_codes_ok[n->elem_first + k] = codes_fit(e);
            elem_short_codes[n->elem_first + k] = codes_short(e);
            if (e->type == X12_COMPOSITE) {
                if ((unsigned)e->comp_first + e->comp_n > FAST_ELEMS_MAX ||
                    e->comp_n > 255)
                    return;
                uint8_t cl = 0;
                for (unsigned c = 0; c < e->comp_n; c++)
                    if (x12_elems[e->comp_first + c].usage == 'R')
                        cl = (uint8_t)(c + 1);
                comp_lim[n->elem_first + k] = cl;
                for (unsigned c = 0; c < e->comp_n; c++)
                {
                    elem_codes_ok[e->comp_first + c] =
                        codes_fit(&x12_elems[e->comp_first + c]);
                    elem_short_codes[e->comp_first + c] =
                        codes_short(&x12_elems[e->comp_first + c]);
                }
            }
        }
        if ((unsigned)n->rule_first + n->rule_n > FAST_RULES_MAX)
            return;
        node_rules_masked[i] = true;
        for (unsigned r = n->rule_first; r < (unsigned)n->rule_first + n->rule_n; r++) {
            struct rule_parsed *rp = &rule_pos[r];
            rp->np = 0;
            for (const char *p = x12_rules[r] + 1; p[0] && p[1] && rp->np < 12; p += 2)
                rp->pos[rp->np++] = (int16_t)((p[0] - '0') * 10 + (p[1] - '0'));
            rp->masked = true;
            rp->all = rp->first = 0;
            for (unsigned k = 0; k < rp->np; k++) {
                if (rp->pos[k] < 1 || rp->pos[k] > 63 ||
                    (rp->all & (1ull << rp->pos[k])))
                    rp->masked = false;     /* out of range or repeated */
                else
                    rp->all |= 1ull << rp->pos[k];
            }
            if (rp->masked && rp->np > 0)
                rp->first = 1ull << rp->pos[0];
            if (rp->masked && rp->np >= 2)
                node_rule_bits[i] |= rp->all;
            else
                node_rules_masked[i] = false;
        }
        if (dense)
            node_lim[i] = last_req;
        for (unsigned k = 0; k < n->elem_n; k++) {
            const struct x12_elem *e = &x12_elems[n->elem_first + k];
            make_op(n->elem_first + k);
            for (unsigned c = 0; e->type == X12_COMPOSITE && c < e->comp_n; c++)
                make_op(e->comp_first + c);
        }
    }
    fast_ready = true;
}

bool
x12_validate_fast_tables(void)
{
    pthread_once(&fast_once, fast_init);
    return fast_ready;
}

/* ------------------------------------------------------------ utilities */

/*
 * Copy an envelope value for later comparison and for echoing in the ack:
 * truncated to the field, and bytes that would break the ack (its
 * delimiters * : ^ ~, control and non-ASCII bytes) replaced by spaces.
 */
static void
copy_el(char *dst, size_t size, struct rcm_str s)
{
    size_t n = s.n < size - 1 ? s.n : size - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        dst[i] = (c < 0x20 || c >= 0x7f || c == '*' || c == ':' || c == '^' ||
                  c == '~') ? ' ' : (char)c;
    }
    dst[n] = 0;
}

/* Does element `e` equal the stored (cleaned) copy `stored`? */
static bool
same_el(struct rcm_str e, const char *stored, size_t size)
{
    char tmp[64];
    if (e.n >= size || size > sizeof tmp)
        return false;
    copy_el(tmp, sizeof tmp, e);
    return strcmp(tmp, stored) == 0;
}

static uint64_t
hash_str(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h ? h : 1;
}

static void
idset_clear(struct idset *s)
{
    if (s->slot && s->n)
        memset(s->slot, 0, s->cap * sizeof *s->slot);
    s->n = 0;
    s->full = false;
}

/* Insert; returns 1 if it was already there, 0 if added, -1 when full/OOM. */
static int
idset_add(struct idset *s, uint64_t h)
{
    if (s->n * 2 >= s->cap) {
        if (s->cap >= IDSET_MAX * 2) {
            s->full = true;
            return -1;
        }
        size_t ncap = s->cap ? s->cap * 2 : 64;
        uint64_t *ns = rcm_calloc(ncap, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i])
                continue;
            size_t k = s->slot[i] & (ncap - 1);
            while (ns[k])
                k = (k + 1) & (ncap - 1);
            ns[k] = s->slot[i];
        }
        rcm_free(s->slot);
        s->slot = ns;
        s->cap = ncap;
    }
    size_t k = h & (s->cap - 1);
    while (s->slot[k]) {
        if (s->slot[k] == h)
            return 1;
        k = (k + 1) & (s->cap - 1);
    }
    s->slot[k] = h;
    s->n++;
    return 0;
}

static bool
all_digits(struct rcm_str s)
{
    if (s.n == 0)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

static int
cmp_code(const void *key, const void *elem)
{
    const struct rcm_str *k = key;
    const unsigned char *c = *(const unsigned char *const *)elem;
    const unsigned char *p = (const unsigned char *)k->p;
    for (size_t i = 0; i < k->n; i++) {
        if (c[i] == 0)
            return 1;           /* the key is longer */
        if (p[i] != c[i])
            return p[i] < c[i] ? -1 : 1;
    }
    return c[k->n] ? -1 : 0;
}

static bool
code_in(struct rcm_str v, uint16_t first, uint16_t n)
{
    size_t lo = first, hi = (size_t)first + n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_code(&v, &x12_codes[mid]);
        if (c == 0)
            return true;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

/* Whether v is one of the codes of element e = &x12_elems[ei] (same answer as code_in over
 * e's list; integer compares when every code of the list fits 8 bytes). */
static inline bool
elem_code_in(const struct x12_elem *e, size_t ei, struct rcm_str v)
{
    if (!fast_ready || !elem_short_codes[ei])
        return code_in(v, e->codes_first, e->codes_n);
    if (v.n == 0 || v.n > 8)
        return false;
    uint64_t key = 0;
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (!c)
            return false;
        key = key << 8 | c;
    }
    key <<= 8 * (8 - v.n);
    size_t lo = e->codes_first, hi = (size_t)e->codes_first + e->codes_n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (code_key[mid] == key)
            return true;
        if (code_key[mid] > key)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

/* The same answer as rcm_date_valid_ymd, inline (years 1-9999). */
static inline bool
ymd_ok(int y, int m, int d)
{
    static const uint8_t mdays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    if (m == 2 && d == 29)
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m];
}

/* CCYYMMDD, a real calendar date. */
static inline bool
valid_date8(struct rcm_str s)
{
    if (s.n != 8)
        return false;
    uint64_t x;
    memcpy(&x, s.p, 8);
    /* every byte 0x30-0x39: high nibble 3 and low nibble + 6 not carrying */
    const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, threes = 0x3030303030303030ull;
    if ((x & hi) != threes || ((x + 0x0606060606060606ull) & hi) != threes)
        return false;
    int y = (s.p[0] - '0') * 1000 + (s.p[1] - '0') * 100 + (s.p[2] - '0') * 10 +
            (s.p[3] - '0');
    int m = (s.p[4] - '0') * 10 + (s.p[5] - '0');
    int d = (s.p[6] - '0') * 10 + (s.p[7] - '0');
    return ymd_ok(y, m, d);
}

static bool
valid_date6(struct rcm_str s)
{
    if (s.n != 6 || !all_digits(s))
        return false;
    int y = 2000 + (s.p[0] - '0') * 10 + (s.p[1] - '0');
    int m = (s.p[2] - '0') * 10 + (s.p[3] - '0');
    int d = (s.p[4] - '0') * 10 + (s.p[5] - '0');
    return rcm_date_valid_ymd(y, m, d);
}

/* HHMM, HHMMSS, HHMMSSD, HHMMSSDD */
static bool
valid_time(struct rcm_str s)
{
    if (s.n < 4 || s.n > 8 || s.n == 5 || !all_digits(s))
        return false;
    int h = (s.p[0] - '0') * 10 + (s.p[1] - '0');
    int m = (s.p[2] - '0') * 10 + (s.p[3] - '0');
    if (h > 23 || m > 59)
        return false;
    if (s.n >= 6 && (s.p[4] - '0') * 10 + (s.p[5] - '0') > 59)
        return false;
    return true;
}

/* ------------------------------------------------------------- ack body */

static void
ack_add(struct rcm_x12_validator *v, const char *fmt, ...) RCM_PRINTF(2, 3);

static void
ack_add(struct rcm_x12_validator *v, const char *fmt, ...)
{
    if (!v->o.ack || v->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    enum rcm_err e = rcm_buf_vaddf(&v->body, fmt, ap);
    va_end(ap);
    if (e == RCM_OK)
        e = rcm_buf_addstr(&v->body, "~\n");
    if (e != RCM_OK)
        v->oom = e;
    v->ack_segs++;
}

/* Write "*c1*c2..." for the first n codes into out (size bytes, always
 * NUL-terminated). The lists hold at most 5 codes of at most 3 characters, so
 * the 64-byte buffers callers pass always fit; were one not to, the codes
 * that fit are kept and the rest dropped rather than cut in half. */
static void
ack_codes(char *out, size_t size, const char *const *codes, int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + len, size - len, "*%s", codes[i]);
        if (w < 0 || (size_t)w >= size - len) {
            out[len] = '\0';
            return;
        }
        len += (size_t)w;
    }
}

/* Copy a value for IK404 with the ack's delimiters replaced. */
static void
ack_value(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i < size - 1; i++) {
        char c = src[i];
        dst[i] = (c == '*' || c == ':' || c == '^' || c == '~' ||
                  (unsigned char)c < 0x20) ? ' ' : c;
    }
    dst[i] = 0;
}

/* ------------------------------------------------------------- findings */

struct fspec {
    int pad_;                 /* lets FS() start with a designator */
    enum rcm_x12_level level;
    enum rcm_x12_severity sev;
    const char *code;
    const char *ack;
    int element, component, repetition;
    const char *data_ele;
    struct rcm_str value;
    const char *seg_id;       /* override (missing segment) */
    const char *loop_id;      /* override */
};

static const char *
cur_loop(const struct rcm_x12_validator *v)
{
    if (!v->in_st || v->depth <= 1)
        return "";
    return x12_nodes[v->lv[v->depth - 1].node].id;
}

static void
add_code(const char **list, int *n, int max, const char *code)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(list[i], code) == 0)
            return;
    if (*n < max)
        list[(*n)++] = code;
}

static void
report(struct rcm_x12_validator *v, const struct fspec *fs, const char *fmt, ...)
    RCM_PRINTF(3, 4) __attribute__((noinline, cold));

static void
report(struct rcm_x12_validator *v, const struct fspec *fs, const char *fmt, ...)
{
    struct rcm_x12_finding f;
    memset(&f, 0, sizeof f);
    f.severity = fs->sev ? fs->sev : RCM_X12_SEV_ERROR;
    f.level = fs->level;
    f.code = fs->code;
    f.ack_code = fs->ack;
    const struct rcm_x12_seg *seg = v->seg;
    if (fs->seg_id)
        snprintf(f.seg_id, sizeof f.seg_id, "%s", fs->seg_id);
    else if (seg)
        memcpy(f.seg_id, seg->id, sizeof f.seg_id);
    if (seg) {
        f.offset_bytes = seg->offset_bytes;
        f.seg_index = seg->index;
    }
    f.set_position = v->in_st ? v->set_pos : 0;
    snprintf(f.loop_id, sizeof f.loop_id, "%s",
             fs->loop_id ? fs->loop_id : cur_loop(v));
    f.element = fs->element;
    f.component = fs->component;
    f.repetition = fs->repetition;
    f.data_ele = fs->data_ele;
    copy_el(f.bad_value, sizeof f.bad_value, fs->value);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f.msg, sizeof f.msg, fmt, ap);
    va_end(ap);

    if (f.severity == RCM_X12_SEV_ERROR)
        v->st.errors++;
    else
        v->st.warnings++;
    if (v->o.on_finding)
        v->o.on_finding(v->o.ctx, &f);

    bool err = f.severity == RCM_X12_SEV_ERROR;
    switch (f.level) {
    case RCM_X12_LVL_INTERCHANGE:
        if (err) {
            v->ta1_reject = true;
            if (!v->ta1_code)
                v->ta1_code = f.ack_code;
        }
        break;
    case RCM_X12_LVL_GROUP:
        if (err) {
            v->gs_bad = true;
            add_code(v->ak9, &v->n_ak9, 5, f.ack_code);
        }
        break;
    case RCM_X12_LVL_SET:
        if (err && v->in_st) {
            v->set_err = true;
            add_code(v->ik5, &v->n_ik5, 5, f.ack_code);
        }
        break;
    case RCM_X12_LVL_SEGMENT:
    case RCM_X12_LVL_ELEMENT:
        if (!err || !v->in_st)
            break;
        v->set_err = true;
        add_code(v->ik5, &v->n_ik5, 5, "5");
        if (!v->ack_group || v->n_ik3 >= v->o.max_ik3_per_set)
            break;
        bool about_other = fs->seg_id != NULL;
        if (f.level == RCM_X12_LVL_SEGMENT || !v->seg_ik3 || about_other) {
            const char *ik304 = f.level == RCM_X12_LVL_SEGMENT ? f.ack_code : "8";
            /* IK303 (element 447) is AN 1-4 in 005010: "2010BA" -> "2010" */
            ack_add(v, "IK3*%s*%u*%.4s*%s", f.seg_id, f.set_position,
                    f.loop_id[0] && strcmp(f.loop_id, "ST_LOOP") ? f.loop_id : "",
                    ik304);
            v->n_ik3++;
            if (v->clm01[0])
                ack_add(v, "CTX*CLM01:%s", v->clm01);
            if (!about_other)
                v->seg_ik3 = true;
        }
        if (f.level == RCM_X12_LVL_ELEMENT) {
            char pos[40], val[RCM_X12_BAD_VALUE_MAX];
            if (f.repetition && f.component)
                snprintf(pos, sizeof pos, "%d:%d:%d", f.element, f.component,
                         f.repetition);
            else if (f.repetition)
                snprintf(pos, sizeof pos, "%d::%d", f.element, f.repetition);
            else if (f.component)
                snprintf(pos, sizeof pos, "%d:%d", f.element, f.component);
            else
                snprintf(pos, sizeof pos, "%d", f.element);
            ack_value(val, sizeof val, f.bad_value);
            if (val[0])
                ack_add(v, "IK4*%s*%s*%s*%s", pos, f.data_ele ? f.data_ele : "",
                        f.ack_code, val);
            else
                ack_add(v, "IK4*%s*%s*%s", pos, f.data_ele ? f.data_ele : "",
                        f.ack_code);
        }
        break;
    }
}

#define FS(...) (&(struct fspec){.pad_ = 0, __VA_ARGS__})

/* --------------------------------------------------- element validation */

/* The number of digits of a numeric (decimal: with at most one '.') value
 * with an optional leading '-', or -1 when it is not one (no digits, or any
 * other character). */
static inline int
digits_len(struct rcm_str s, bool decimal)
{
    size_t i = 0;
    int n = 0, dots = 0;
    bool ok = s.n > 0;
    if (i < s.n && s.p[i] == '-')
        i++;
    for (; i < s.n; i++) {
        char c = s.p[i];
        if (c >= '0' && c <= '9')
            n++;
        else if (c == '.' && decimal && dots == 0)
            dots++;
        else
            ok = false;
    }
    return ok && n ? n : -1;
}

/* Whether any byte of p[0..n) is a control character (< 0x20 or 0x7f):
 * eight bytes at a time (the any-byte tests below are exact). */
static inline bool
has_control(const char *p, size_t n)
{
#if defined(__SSE2__)
    if (n >= 16) {
        /* c < 0x20 (unsigned) <=> min(c, 0x1f) == c; the last block
         * overlaps the one before */
        const __m128i lim = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
        __m128i acc = _mm_setzero_si128();
        for (size_t i = 0;; i += 16) {
            if (i + 16 > n)
                i = n - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            acc = _mm_or_si128(acc, _mm_cmpeq_epi8(_mm_min_epu8(x, lim), x));
            acc = _mm_or_si128(acc, _mm_cmpeq_epi8(x, del));
            if (i + 16 == n)
                break;
        }
        return _mm_movemask_epi8(acc) != 0;
    }
#endif
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    if (n < 8) {
        unsigned char bad = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            bad |= (unsigned char)(c < 0x20) | (unsigned char)(c == 0x7f);
        }
        return bad;
    }
    uint64_t acc = 0;
    for (size_t i = 0;; i += 8) {
        if (i + 8 > n)
            i = n - 8;          /* last word overlaps the previous one */
        uint64_t x, y;
        memcpy(&x, p + i, 8);
        y = x ^ (ones * 0x7f);
        acc |= ((x - ones * 0x20) & ~x) | ((y - ones) & ~y);
        if (i + 8 == n)
            break;
    }
    return (acc & highs) != 0;
}

/* Element problems found on the fast path, reported out of line. */
enum elem_problem {
    EP_NONE = 0, EP_NUMERIC, EP_DECIMAL, EP_DATE, EP_TIME, EP_CHAR, EP_SHORT,
    EP_LONG, EP_CODE, EP_EXTERNAL, EP_PATTERN,
};

static void __attribute__((noinline, cold))
elem_problem(struct rcm_x12_validator *v, const struct x12_elem *e,
             struct rcm_str val, int el, int comp, int rep, enum elem_problem p)
{
    switch (p) {
    case EP_NUMERIC:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "invalid_numeric", "6", el, comp,
                     rep, e->data_ele, val), "%s is not a numeric value", e->xid);
        break;
    case EP_DECIMAL:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "invalid_decimal", "6", el, comp,
                     rep, e->data_ele, val), "%s is not a decimal number", e->xid);
        break;
    case EP_DATE:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "invalid_date", "8", el, comp,
                     rep, e->data_ele, val), "%s is not a valid date", e->xid);
        break;
    case EP_TIME:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "invalid_time", "9", el, comp,
                     rep, e->data_ele, val), "%s is not a valid time", e->xid);
        break;
    case EP_CHAR:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "invalid_character", "6", el,
                     comp, rep, e->data_ele, val),
               "%s contains a control character", e->xid);
        break;
    case EP_PATTERN:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "invalid_character", "6", el,
                     comp, rep, e->data_ele, val),
               "%s must be digits only here", e->xid);
        break;
    case EP_SHORT:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "element_too_short", "4", el, comp, rep,
                     e->data_ele, val), "%s is shorter than %u", e->xid,
               (unsigned)e->min_len);
        break;
    case EP_LONG:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "element_too_long", "5", el, comp, rep,
                     e->data_ele, val), "%s is longer than %u", e->xid,
               (unsigned)e->max_len);
        break;
    case EP_CODE:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "invalid_code", "7", el, comp, rep,
                     e->data_ele, val), "%s has a code not allowed here", e->xid);
        break;
    case EP_EXTERNAL:
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "invalid_external_code", "7", el,
                     comp, rep, e->data_ele, val),
               "%s is not in code list %s", e->xid, x12_codesets[e->external].id);
        break;
    case EP_NONE:
        break;
    }
}

/* The problem with one simple value, or EP_NONE (no reporting here). */
static inline __attribute__((always_inline)) enum elem_problem
simple_problem(const struct rcm_x12_validator *v, size_t ei, struct rcm_str val)
{
    const struct x12_elem *e = &x12_elems[ei];
    size_t len = val.n;
    int dl;
    if (e->codes_n && fast_ready && elem_codes_ok[ei] && elem_code_in(e, ei, val))
        return EP_NONE;
    switch (e->type) {
    case X12_N0: case X12_N1: case X12_N2: case X12_N3: case X12_N4:
        dl = digits_len(val, false);
        if (dl < 0)
            return EP_NUMERIC;
        len = (size_t)dl;
        break;
    case X12_R:
        dl = digits_len(val, true);
        if (dl < 0)
            return EP_DECIMAL;
        len = (size_t)dl;
        break;
    case X12_DT:
        if (!(len == 8 ? valid_date8(val) : len == 6 ? valid_date6(val) : false))
            return EP_DATE;
        break;
    case X12_TM:
        if (!valid_time(val))
            return EP_TIME;
        break;
    default:
        if (has_control(val.p, val.n))
            return EP_CHAR;
        if (e->pattern == X12_PAT_DIGITS)
            for (size_t i = 0; i < val.n; i++)
                if (val.p[i] < '0' || val.p[i] > '9')
                    return EP_PATTERN;
        break;
    }
    if (len < e->min_len)
        return EP_SHORT;
    if (e->max_len && len > e->max_len)
        return EP_LONG;
    if (e->codes_n) {
        if (!elem_code_in(e, ei, val))
            return EP_CODE;
    } else if (e->external >= 0 && !v->o.no_external_codes &&
               (unsigned)e->external < x12_n_codesets) {
        const struct x12_codeset *cs = &x12_codesets[e->external];
        if (!code_in(val, cs->first, cs->n))
            return EP_EXTERNAL;
    }
    return EP_NONE;
}

/* Check one simple value against its definition. */
static inline __attribute__((always_inline)) void
check_simple(struct rcm_x12_validator *v, size_t ei, struct rcm_str val,
             int el, int comp, int rep)
{
    enum elem_problem p = simple_problem(v, ei, val);
    if (p != EP_NONE)
        elem_problem(v, &x12_elems[ei], val, el, comp, rep, p);
}

static void
check_value(struct rcm_x12_validator *v, size_t ei, struct rcm_str val, int el,
            int rep)
{
    const struct x12_elem *e = &x12_elems[ei];
    if (e->type != X12_COMPOSITE) {
        check_simple(v, ei, val, el, 0, rep);
        return;
    }
    struct rcm_str comp[40];
    size_t nc = rcm_x12_split(val, v->seg->delims.component, comp, 40);
    if (nc > e->comp_n) {
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "too_many_components", "13", el,
                     (int)e->comp_n + 1, rep, e->data_ele, val),
               "%s has more components than defined", e->xid);
        nc = e->comp_n;
    }
    size_t lim = e->comp_n;
    if (fast_ready)
        lim = nc > comp_lim[ei] ? nc : comp_lim[ei];
    for (size_t i = 0; i < lim; i++) {
        const struct x12_elem *c = &x12_elems[e->comp_first + i];
        struct rcm_str cv = i < nc ? comp[i] : (struct rcm_str){"", 0};
        int pos = c->seq ? c->seq : (int)i + 1;
        if (cv.n == 0) {
            if (c->usage == 'R')
                report(v, FS(RCM_X12_LVL_ELEMENT, 0, "required_component_missing",
                             "1", el, pos, rep, c->data_ele),
                       "required component %s missing", c->xid);
            continue;
        }
        if (c->usage == 'N') {
            report(v, FS(RCM_X12_LVL_ELEMENT, 0, "not_used_component_present",
                         "I10", el, pos, rep, c->data_ele, cv),
                   "component %s is not used in this guide", c->xid);
            continue;
        }
        check_simple(v, e->comp_first + i, cv, el, pos, rep);
    }
}

static bool
present(const struct rcm_str *els, size_t nel, int pos)
{
    return pos >= 1 && (size_t)pos < nel && els[pos].n > 0;
}

/*
 * Whether syntax rule rp surely holds, from the presence bits of the
 * segment's elements (bit i = element i present). False = not shown: let
 * the full check decide (and report).
 */
static inline bool
rule_holds(const struct rule_parsed *rp, char kind, uint64_t pres)
{
    if (!rp->masked || rp->np < 2)
        return false;
    uint64_t have = pres & rp->all, others = rp->all & ~rp->first;
    switch (kind) {
    case 'P': return have == 0 || have == rp->all;
    case 'R': return have != 0;
    case 'E': return (have & (have - 1)) == 0;
    case 'C': return !(have & rp->first) || (have & others) == others;
    case 'L': return !(have & rp->first) || (have & others) != 0;
    default: return true;
    }
}

static void
check_rules(struct rcm_x12_validator *v, const struct x12_node *n,
            const struct rcm_str *els, size_t nel)
{
    if (n->rule_n == 0)
        return;
    /* presence bits of the positions the rules look at (the others stay
     * 0 and are never looked at by rule_holds) */
    uint64_t pres = 0;
    if (fast_ready)
        for (uint64_t need = node_rule_bits[n - x12_nodes]; need; need &= need - 1) {
            unsigned i = (unsigned)__builtin_ctzll(need);
            if (i < nel && els[i].n > 0)
                pres |= 1ull << i;
        }
    /* every rule of n is decided by pres alone (node_rules_masked), so a
     * pattern that passed them all once passes them again */
    const size_t ni = (size_t)(n - x12_nodes);
    const bool memo = fast_ready && node_rules_masked[ni];
    if (memo && v->rules_ok[ni] == pres)
        return;
    bool all_held = fast_ready;
    for (uint16_t r = 0; r < n->rule_n; r++) {
        const char *rule = x12_rules[n->rule_first + r];
        int pos[12], np = 0;
        if (fast_ready) {
            const struct rule_parsed *rp = &rule_pos[n->rule_first + r];
            if (rule_holds(rp, rule[0], pres))
                continue;
            all_held = false;
            np = rp->np;
            for (int i = 0; i < np; i++)
                pos[i] = rp->pos[i];
        } else {
            for (const char *p = rule + 1; p[0] && p[1] && np < 12; p += 2)
                pos[np++] = (p[0] - '0') * 10 + (p[1] - '0');
        }
        if (np < 2)
            continue;
        int cnt = 0;
        for (int i = 0; i < np; i++)
            cnt += present(els, nel, pos[i]);
        bool first = present(els, nel, pos[0]);
        int bad = 0;
        const char *ack = "2", *code = "conditional_required_missing";
        switch (rule[0]) {
        case 'P': /* all or none */
            if (cnt && cnt != np)
                for (int i = 0; i < np && !bad; i++)
                    if (!present(els, nel, pos[i]))
                        bad = pos[i];
            break;
        case 'R': /* at least one */
            if (!cnt)
                bad = pos[0];
            break;
        case 'E': /* not more than one */
            if (cnt > 1) {
                ack = "10";
                code = "exclusion_violated";
                for (int i = 1; i < np && !bad; i++)
                    if (present(els, nel, pos[i]))
                        bad = pos[i];
            }
            break;
        case 'C': /* if first, all others */
            if (first)
                for (int i = 1; i < np && !bad; i++)
                    if (!present(els, nel, pos[i]))
                        bad = pos[i];
            break;
        case 'L': /* if first, at least one other */
            if (first && cnt < 2)
                bad = pos[1];
            break;
        default:
            break;
        }
        if (bad) {
            const char *de = NULL;
            if (bad <= n->elem_n)
                de = x12_elems[n->elem_first + bad - 1].data_ele;
            report(v, FS(RCM_X12_LVL_ELEMENT, 0, code, ack, bad, 0, 0, de),
                   "syntax rule %s of %s violated", rule, n->id);
        }
    }
    if (memo && all_held)
        v->rules_ok[ni] = pres;
}

static void check_hl(struct rcm_x12_validator *v, const struct rcm_str *els,
                     size_t nel);

/*
 * A date/time period (element 1251) is typed by the format qualifier (1250)
 * just before it: D8 = CCYYMMDD, RD8 = CCYYMMDD-CCYYMMDD (start <= end),
 * DT = CCYYMMDDHHMM, TM = HHMM.
 */
static void
check_period(struct rcm_x12_validator *v, const struct x12_node *n,
             const struct rcm_str *els, size_t nel)
{
    if (n->period_elem > 0) {
        size_t i = (size_t)n->period_elem;
        const struct x12_elem *q = &x12_elems[n->elem_first + i - 1];
        const struct x12_elem *e = &x12_elems[n->elem_first + i];
        int qp = q->seq ? q->seq : (int)i, ep = e->seq ? e->seq : (int)i + 1;
        if ((size_t)ep >= nel || els[ep].n == 0 || (size_t)qp >= nel)
            return;
        struct rcm_str f = els[qp], d = els[ep];
        bool ok = true;
        if (f.n == 2 && f.p[0] == 'D' && f.p[1] == '8') {
            ok = valid_date8(d);
        } else if (rcm_str_eq_c(f, "RD8")) {
            ok = d.n == 17 && d.p[8] == '-' &&
                 valid_date8((struct rcm_str){d.p, 8}) &&
                 valid_date8((struct rcm_str){d.p + 9, 8}) &&
                 memcmp(d.p, d.p + 9, 8) <= 0;
        } else if (rcm_str_eq_c(f, "DT")) {
            ok = d.n == 12 && valid_date8((struct rcm_str){d.p, 8}) &&
                 valid_time((struct rcm_str){d.p + 8, 4});
        } else if (rcm_str_eq_c(f, "TM")) {
            ok = valid_time(d);
        }
        if (!ok)
            report(v, FS(RCM_X12_LVL_ELEMENT, 0, "invalid_date", "8", ep, 0, 0,
                         e->data_ele, d),
                   "%s does not match its format qualifier %.*s", e->xid,
                   (int)(f.n < 4 ? f.n : 4), f.p);
    }
}

/*
 * NM108 = XX says NM109 is a National Provider Identifier: ten digits whose
 * last is the Luhn check digit over "80840" and the first nine (the one check
 * the store and the scrubber use, rcm_codes_npi_valid). A miss is a warning
 * `invalid_npi` (IK403 7 if it were an error: the 999 stays about syntax)
 * naming the segment, its position and loop and NM109, never the value — an
 * NPI is not PHI, but findings go to logs, and a mistyped one may be anything.
 */
static void __attribute__((noinline))
check_npi(struct rcm_x12_validator *v, const struct rcm_str *els, size_t nel)
{
    if (v->o.no_npi_check || nel < 10 || !rcm_str_eq_c(els[8], "XX") || els[9].n == 0)
        return;
    if (!rcm_codes_npi_valid(els[9].p, els[9].n))
        report(v, FS(RCM_X12_LVL_ELEMENT, RCM_X12_SEV_WARNING, "invalid_npi", "7", 9, 0, 0,
                     "67"),
               "NM109 is not a valid NPI (10 digits, Luhn check digit with prefix 80840)");
}

/* A value with repetitions of element ei at position pos. */
static void __attribute__((noinline))
check_repeats(struct rcm_x12_validator *v, size_t ei, int pos, struct rcm_str val,
              char rep_sep)
{
    const struct x12_elem *e = &x12_elems[ei];
    struct rcm_str reps[64];
    size_t nr = rcm_x12_split(val, rep_sep, reps, 64);
    if (e->repeat && nr > e->repeat)
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "too_many_repetitions", "12",
                     pos, 0, 0, e->data_ele),
               "%s repeats more than %u times", e->xid, (unsigned)e->repeat);
    for (size_t k = 0; k < nr && k < 64; k++)
        if (reps[k].n)
            check_value(v, ei, reps[k], pos, (int)k + 1);
}

/* Element ei of a segment, at position pos, with value val (empty when
 * absent): usage, repetitions, then the value itself. */
static inline __attribute__((always_inline)) void
check_elem(struct rcm_x12_validator *v, size_t ei, int pos, struct rcm_str val,
           char rep_sep)
{
    const struct x12_elem *e = &x12_elems[ei];
    if (val.n == 0) {
        if (e->usage == 'R')
            report(v, FS(RCM_X12_LVL_ELEMENT, 0, "required_element_missing", "1",
                         pos, 0, 0, e->data_ele),
                   "required element %s missing", e->xid);
        return;
    }
    if (e->usage == 'N') {
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "not_used_element_present", "I10",
                     pos, 0, 0, e->data_ele, val),
               "element %s is not used in this guide", e->xid);
        return;
    }
    if (rep_sep && e->repeat != 1 && memchr(val.p, rep_sep, val.n)) {
        check_repeats(v, ei, pos, val, rep_sep);
        return;
    }
    if (e->type != X12_COMPOSITE) {
        enum elem_problem p = simple_problem(v, ei, val);
        if (p != EP_NONE)
            elem_problem(v, e, val, pos, 0, 0, p);
        return;
    }
    check_value(v, ei, val, pos, 0);
}

/* Whether v is one of the short codes code_key[lo..lo+n) (as elem_code_in). */
static inline __attribute__((always_inline)) bool
key_in(struct rcm_str v, size_t lo, size_t n)
{
    if (v.n == 0 || v.n > 8)
        return false;
    uint64_t key = 0;
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (!c)
            return false;
        key = key << 8 | c;
    }
    key <<= 8 * (8 - v.n);
    size_t hi = lo + n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (code_key[mid] == key)
            return true;
        if (code_key[mid] > key)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

/*
 * Fast acceptance of a present simple value (or component) by its elem_op:
 * true only when simple_problem would answer EP_NONE. `clean` says the
 * whole segment has no control character. False means "not shown clean",
 * never "wrong": the caller then runs the full check.
 */
static inline __attribute__((always_inline)) bool
value_ok(const struct rcm_x12_validator *v, const struct elem_op *op,
         struct rcm_str val, bool clean)
{
    size_t len = val.n;
    int dl;
    switch (op->kind) {
    case OP_CODES:
        return key_in(val, op->lo, op->n);
    case OP_TEXT:
        if (!clean && has_control(val.p, val.n))
            return false;
        break;
    case OP_NUM:
    case OP_DEC: {
        /* the common case first: digits only (then the digit count is the
         * length); a sign or a point goes through digits_len */
        unsigned nondigit = len == 0;
        for (size_t i = 0; i < len; i++)
            nondigit |= (unsigned char)(val.p[i] - '0') > 9;
        if (nondigit) {
            dl = digits_len(val, op->kind == OP_DEC);
            if (dl < 0)
                return false;
            len = (size_t)dl;
        }
        break;
    }
    case OP_DATE:
        if (!(len == 8 ? valid_date8(val) : len == 6 ? valid_date6(val) : false))
            return false;
        break;
    case OP_TIME:
        if (!valid_time(val))
            return false;
        break;
    default:
        return false;
    }
    if (len < op->min_len || len > op->max_len)
        return false;
    if (op->set == SET_KEYS)
        return key_in(val, op->lo, op->n);
    if (op->set >= SET_EXTERNAL && !v->o.no_external_codes)
        return op->set == SET_EXTERNAL_KEYS ? key_in(val, op->lo, op->n)
                                            : code_in(val, op->lo, op->n);
    return true;
}

/*
 * Fast acceptance of a composite value of element ei: true only when
 * check_value would report nothing (no extra components, required
 * components present, every present component accepted by value_ok).
 */
static inline bool
comp_ok(const struct rcm_x12_validator *v, size_t ei, struct rcm_str val,
        char csep, bool clean)
{
    const struct x12_elem *e = &x12_elems[ei];
    const struct elem_op *ops = &elem_op[e->comp_first];
    const char *p = val.p, *end = val.p + val.n;
    size_t i = 0;
    if (!csep)
        return false;
    for (;; i++) {
        const char *q = p;
        while (q < end && *q != csep)
            q++;
        if (i >= e->comp_n)
            return false;       /* too many components */
        struct rcm_str cv = {p, (size_t)(q - p)};
        if (cv.n == 0 ? ops[i].req : !value_ok(v, &ops[i], cv, clean))
            return false;
        if (q == end)
            break;
        p = q + 1;
    }
    for (i++; i < comp_lim[ei]; i++)
        if (ops[i].req)
            return false;       /* required component missing */
    return true;
}

static void
check_segment(struct rcm_x12_validator *v, const struct x12_node *n,
              const struct rcm_str *els, size_t nel)
{
    size_t ndef = n->elem_n;
    if (n->idkey == KEY3('C', 'L', 'M') && v->tx && v->tx->st01[2] == '7' && nel > 1)
        copy_el(v->clm01, sizeof v->clm01, els[1]);
    if (nel - 1 > ndef) {
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "too_many_elements", "3",
                     (int)ndef + 1, 0, 0, NULL),
               "%s has more than %zu elements", n->id, ndef);
    }
    char rep_sep = v->seg->delims.repetition;
    const uint16_t nl = fast_ready ? node_lim[n - x12_nodes] : 0xffff;
    if (nl != 0xffff) {
        /* elements at positions 1..ndef in order: the present ones, then
         * the absent definitions up to the last Required one */
        size_t have = nel - 1 < ndef ? nel - 1 : ndef;
        const struct rcm_str raw = v->seg->raw;
        const bool clean = !has_control(raw.p, raw.n);
        const char csep = v->seg->delims.component;
        for (size_t i = 0; i < have; i++) {
            const size_t ei = n->elem_first + i;
            const struct elem_op *op = &elem_op[ei];
            const struct rcm_str val = els[i + 1];
            bool ok;
            if (val.n == 0)
                ok = !op->req;
            else if (op->may_repeat && rep_sep && memchr(val.p, rep_sep, val.n))
                ok = false;
            else if (op->kind == OP_COMP)
                ok = comp_ok(v, ei, val, csep, clean);
            else
                ok = value_ok(v, op, val, clean);
            if (!ok)
                check_elem(v, ei, (int)i + 1, val, rep_sep);
        }
        for (size_t i = have; i < nl; i++)
            check_elem(v, n->elem_first + i, (int)i + 1, (struct rcm_str){"", 0},
                       rep_sep);
    } else {
        for (size_t i = 0; i < ndef; i++) {
            const struct x12_elem *e = &x12_elems[n->elem_first + i];
            int pos = e->seq ? e->seq : (int)i + 1;
            struct rcm_str val = (size_t)pos < nel ? els[pos]
                                                   : (struct rcm_str){"", 0};
            check_elem(v, n->elem_first + i, pos, val, rep_sep);
        }
    }
    check_rules(v, n, els, nel);
    check_period(v, n, els, nel);
    if (n->idkey == KEY3('H', 'L', 0))
        check_hl(v, els, nel);
    else if (n->idkey == KEY3('N', 'M', '1'))
        check_npi(v, els, nel);
}

static uint32_t
to_u32(struct rcm_str s, bool *ok)
{
    uint64_t x = 0;
    *ok = all_digits(s) && s.n <= 9;
    if (!*ok)
        return 0;
    for (size_t i = 0; i < s.n; i++)
        x = x * 10 + (uint64_t)(s.p[i] - '0');
    return (uint32_t)x;
}

static void
check_hl(struct rcm_x12_validator *v, const struct rcm_str *els, size_t nel)
{
    bool ok1, ok2;
    struct rcm_str e1 = nel > 1 ? els[1] : (struct rcm_str){"", 0};
    struct rcm_str e2 = nel > 2 ? els[2] : (struct rcm_str){"", 0};
    uint32_t id = to_u32(e1, &ok1);
    v->clm01[0] = 0;
    if (ok1 && id != v->hl_last + 1)
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "hl_not_sequential", "I12", 1, 0, 0,
                     "628", e1),
               "HL01 is not the previous HL01 + 1 (expected %u)", v->hl_last + 1);
    if (ok1)
        v->hl_last = id;
    uint32_t parent = 0;
    bool has_parent = e2.n > 0, parent_bad = false;
    if (has_parent) {
        parent = to_u32(e2, &ok2);
        int k = v->hl_depth - 1;
        while (k >= 0 && v->hl_stack[k] != parent)
            k--;
        if (!ok2 || k < 0) {
            report(v, FS(RCM_X12_LVL_ELEMENT, 0, "hl_parent_unknown", "I12", 2, 0, 0,
                         "734", e2),
                   "HL02 does not name an enclosing HL");
            has_parent = false;
            parent_bad = true;
        } else {
            v->hl_depth = k + 1;
        }
    } else {
        v->hl_depth = 0;
    }
    if (v->hl_prev_child == '1' && !parent_bad &&
        (!has_parent || parent != v->hl_prev_id))
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "hl_child_code", "I12", 2, 0, 0, "734",
                     e2),
               "the previous HL has HL04=1 but this HL is not its child");
    if (v->hl_prev_child == '0' && has_parent && parent == v->hl_prev_id)
        report(v, FS(RCM_X12_LVL_ELEMENT, 0, "hl_child_code", "I12", 2, 0, 0, "734",
                     e2),
               "this HL is a child of an HL whose HL04 is 0");
    if (ok1 && v->hl_depth < MAX_HL_DEPTH)
        v->hl_stack[v->hl_depth++] = id;
    v->hl_prev_id = id;
    v->hl_prev_child = nel > 4 && els[4].n == 1 ? els[4].p[0] : 0;
}

/* ---------------------------------------------------------- schema walk */

static const struct x12_node *
first_seg(const struct x12_node *loop)
{
    return &x12_nodes[x12_children[loop->child_first].node];
}

/*
 * Whether seg can be node n (same id and, when strict, a qualifier value
 * that n allows). *qdep records which values the answer looked at: bit 0 =
 * element 1 as a whole, bit 2 = the first component of element 1, bit 1 =
 * anything else — what the placement cache needs to know.
 */
static inline __attribute__((always_inline)) bool
seg_matches(const struct x12_node *n, const struct rcm_x12_seg *seg,
            const struct rcm_str *els, size_t nel, bool strict, int *qdep)
{
    if (n->idkey != seg->key)
        return false;
    if (!strict || n->qual_elem < 0)
        return true;
    size_t ei = (size_t)n->elem_first + (size_t)n->qual_elem;
    const struct x12_elem *e = &x12_elems[ei];
    int pos = e->seq ? e->seq : n->qual_elem + 1;
    *qdep |= pos != 1 ? 2 : e->type == X12_COMPOSITE ? 4 : 1;
    struct rcm_str val = (size_t)pos < nel ? els[pos] : (struct rcm_str){"", 0};
    if (e->type == X12_COMPOSITE) {
        /* the first component */
        const char *sep = seg->delims.component
            ? memchr(val.p, seg->delims.component, val.n) : NULL;
        if (sep)
            val.n = (size_t)(sep - val.p);
        ei = e->comp_first;
        e = &x12_elems[ei];
    }
    return elem_code_in(e, ei, val);
}

/*
 * The first j in [j, n) with keys[j] == key, or n. With fast_ready, keys
 * points into kid_keys, whose padding makes the 4-key reads past n safe.
 */
static inline int
next_key(const uint32_t *keys, int j, int n, uint32_t key)
{
#if defined(__SSE2__)
    if (fast_ready) {
        const __m128i k = _mm_set1_epi32((int)key);
        for (; j < n; j += 4) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(keys + j));
            unsigned m = (unsigned)_mm_movemask_ps(
                _mm_castsi128_ps(_mm_cmpeq_epi32(x, k)));
            if (m) {
                j += __builtin_ctz(m);
                return j < n ? j : n;
            }
        }
        return n;
    }
#endif
    while (j < n && keys[j] != key)
        j++;
    return j;
}

/*
 * The value v (inside a segment ending at lim) as a big-endian NUL-padded
 * 64-bit key; false when it does not fit 8 bytes or holds a NUL (then the
 * key would not identify it).
 */
static inline bool
value_key(struct rcm_str v, const char *lim, uint64_t *key)
{
    if (v.n > 8)
        return false;
    if (v.n == 0) {
        *key = 0;
        return true;
    }
    uint64_t x = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (lim - v.p >= 8) {
        const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        uint64_t mask = ~0ull << (8 * (8 - v.n));
        memcpy(&x, v.p, 8);
        x = __builtin_bswap64(x) & mask;
        uint64_t y = x | ~mask;             /* padding bytes are not NULs */
        *key = x;
        return ((y - ones) & ~y & highs) == 0;
    }
#else
    (void)lim;
#endif
    for (size_t i = 0; i < 8; i++) {
        unsigned char c = i < v.n ? (unsigned char)v.p[i] : 0;
        if (!c && i < v.n)
            return false;
        x = x << 8 | c;
    }
    *key = x;
    return true;
}

/* Report the required children `miss` (bits) of the loop at depth d. */
static void __attribute__((noinline))
report_missing(struct rcm_x12_validator *v, int d, uint64_t miss)
{
    const struct level *L = &v->lv[d];
    const struct x12_node *ln = &x12_nodes[L->node];
    while (miss) {
        int j = __builtin_ctzll(miss);
        miss &= miss - 1;
        const struct x12_child *c = &x12_children[ln->child_first + j];
        const struct x12_node *cn = &x12_nodes[c->node];
        if (cn->kind == X12_NODE_SEGMENT)
            report(v, FS(RCM_X12_LVL_SEGMENT, 0, "required_segment_missing", "3",
                         .seg_id = cn->id, .loop_id = d ? ln->id : ""),
                   "required segment %s (%s) missing in loop %s", cn->id,
                   cn->name, ln->id);
        else
            report(v, FS(RCM_X12_LVL_SEGMENT, 0, "required_loop_missing", "3",
                         .seg_id = first_seg(cn)->id, .loop_id = cn->id),
                   "required loop %s (%s) missing", cn->id, cn->name);
    }
}

static inline void
missing(struct rcm_x12_validator *v, int d, int from, int to)
{
    const struct level *L = &v->lv[d];
    const struct x12_node *ln = &x12_nodes[L->node];
    if (to > (int)ln->child_n)
        to = (int)ln->child_n;
    if (from >= to || from < 0)
        return;
    /* required children in [from, to) not seen: bit arithmetic, no scan */
    uint64_t range = (to >= 64 ? ~0ull : ((1ull << to) - 1)) & ~((1ull << from) - 1);
    uint64_t miss = ln->req_mask & ~L->seen & range;
    if (miss)
        report_missing(v, d, miss);
}

/* Count one more use of child j in this loop instance. */
static uint32_t
bump(struct level *L, int j)
{
    if (j >= MAX_KIDS)
        return 1;
    uint64_t bit = 1ull << j;
    if (!(L->seen & bit)) {
        L->seen |= bit;
        L->counts[j] = 0;
    }
    return ++L->counts[j];
}

static void
push_level(struct rcm_x12_validator *v, uint16_t node)
{
    struct level *L = &v->lv[v->depth++];
    L->node = node;
    L->cur = 0;
    L->instance = ++v->instance_ctr;
    /* counts[j] is only meaningful while bit j of seen is set: no memset */
    L->counts[0] = 1;
    L->seen = 1;
}

/*
 * Place `seg` in the loop structure and return its segment node, or NULL when
 * it fits nowhere (reported).
 */
static const struct x12_node *
walk(struct rcm_x12_validator *v, const struct rcm_x12_seg *seg,
     const struct rcm_str *els, size_t nel)
{
    int found_d = -1, found_j = -1;
    bool newiter = false;
    bool is_hl = seg->key == KEY3('H', 'L', 0);   /* id[3] is always NUL */
    const uint64_t segbit = key_bit(seg->key);
    /* placement cache (see struct pcache): only for a match in the
     * innermost loop, which depends on nothing but that loop, where its
     * scan starts, the segment id and (maybe) element 1 */
    int qdep = 0, top = v->depth - 1;
    uint64_t ck = 0, el1k = 0, c1k = 0;
    struct pcache *pa = NULL, *pb = NULL, *pc1 = NULL;
    if (fast_ready && top >= 0) {
        const struct level *L = &v->lv[top];
        int start = L->cur > 0 ? L->cur : 0;
        if (top > 0 && start < 1)
            start = 1;
        if (start <= 255) {
            ck = 1ull << 63 | (uint64_t)(top > 0) << 62 | (uint64_t)L->node << 32 |
                 (uint64_t)start << 24 | (seg->key & 0xffffffu);
            pa = &v->pcache[0][(ck * 0x9E3779B97F4A7C15ull) >> (64 - PCACHE_BITS)];
            if (pa->key == ck) {
                found_d = top;
                goto cached;
            }
            const char *lim = seg->raw.p + seg->raw.n;
            struct rcm_str e1 = nel > 1 ? els[1] : (struct rcm_str){"", 0};
            if (value_key(e1, lim, &el1k)) {
                /* table 1, element 1 as a whole */
                pb = &v->pcache[1][((ck ^ el1k) * 0x9E3779B97F4A7C15ull) >> (64 - PCACHE_BITS)];
                if (pb->key == ck && pb->el1 == el1k) {
                    pa = pb;
                    found_d = top;
                    goto cached;
                }
            }
            /* table 1, the first component of element 1 (key bit 61) */
            struct rcm_str c1 = e1;
            const char cs = seg->delims.component;
            for (size_t i = 0; cs && i < c1.n; i++)
                if (c1.p[i] == cs) {
                    c1.n = i;
                    break;
                }
            if (value_key(c1, lim, &c1k)) {
                pc1 = &v->pcache[1][(((ck | 1ull << 61) ^ c1k) * 0x9E3779B97F4A7C15ull) >>
                                    (64 - PCACHE_BITS)];
                if (pc1->key == (ck | 1ull << 61) && pc1->el1 == c1k) {
                    pa = pc1;
                    found_d = top;
                    goto cached;
                }
            }
        }
    }
    for (int pass = 0; pass < 2 && found_d < 0; pass++) {
        bool strict = pass == 0;
        for (int d = v->depth - 1; d >= 0 && found_d < 0; d--) {
            if (!strict && d != v->depth - 1)
                break;
            const struct level *L = &v->lv[d];
            const struct x12_node *ln = &x12_nodes[L->node];
            int start = d == v->depth - 1 ? (L->cur > 0 ? L->cur : 0) : L->cur + 1;
            if (d > 0 && start < 1)
                start = 1;
            const uint32_t *keys = fast_ready ? &kid_keys[ln->child_first]
                                              : &x12_child_keys[ln->child_first];
            int nkids = (int)ln->child_n;
            if (fast_ready && !(loop_keys[L->node] & segbit))
                nkids = 0;      /* no child of this loop has this id */
            for (int j = start; (j = next_key(keys, j, nkids, seg->key)) < nkids; j++) {
                const struct x12_node *cn =
                    &x12_nodes[x12_children[ln->child_first + j].node];
                bool m = cn->kind == X12_NODE_SEGMENT
                    ? seg_matches(cn, seg, els, nel, strict, &qdep)
                    : seg_matches(first_seg(cn), seg, els, nel, strict, &qdep);
                if (m) {
                    found_d = d;
                    found_j = j;
                    break;
                }
            }
            if (found_d < 0 && d > 0 &&
                seg_matches(first_seg(ln), seg, els, nel, strict, &qdep)) {
                found_d = d;
                newiter = true;
            }
            if (found_d == top && strict && pa) {
                /* found in the innermost loop on the first look: remember */
                struct pcache *pc = qdep == 0 ? pa : qdep == 1 ? pb
                                  : qdep == 4 ? pc1 : NULL;
                if (pc) {
                    pc->key = qdep == 4 ? ck | 1ull << 61 : ck;
                    pc->el1 = qdep == 4 ? c1k : el1k;
                    pc->j = (int16_t)(newiter ? -1 : found_j);
                }
            }
        }
        /* HL loops may follow each other in any order the tree allows
         * (277: 2000C after 2000D): when nothing matched ahead, look back
         * at earlier HL loops, innermost level first */
        for (int d = v->depth - 1; d >= 0 && found_d < 0 && strict && is_hl; d--) {
            const struct level *L = &v->lv[d];
            const struct x12_node *ln = &x12_nodes[L->node];
            const uint32_t *keys = &x12_child_keys[ln->child_first];
            int start = d == v->depth - 1 ? (L->cur > 0 ? L->cur : 0) : L->cur + 1;
            for (int j = 1; j < start && j < (int)ln->child_n; j++) {
                if (keys[j] != seg->key)
                    continue;
                const struct x12_node *cn =
                    &x12_nodes[x12_children[ln->child_first + j].node];
                if (cn->kind == X12_NODE_LOOP &&
                    seg_matches(first_seg(cn), seg, els, nel, true, &qdep)) {
                    found_d = d;
                    found_j = j;
                    break;
                }
            }
        }
    }
    if (found_d < 0) {
        bool known = false;
        for (unsigned i = 0; i < x12_n_nodes && !known; i++)
            known = x12_nodes[i].kind == X12_NODE_SEGMENT &&
                    x12_nodes[i].idkey == seg->key;
        if (known)
            report(v, FS(RCM_X12_LVL_SEGMENT, 0, "unexpected_segment", "2"),
                   "segment %s is not expected here", seg->id);
        else
            report(v, FS(RCM_X12_LVL_SEGMENT, 0, "segment_not_in_set", "6"),
                   "segment %s is not defined for this transaction set", seg->id);
        return NULL;
    }
    if (0) {
cached:
        newiter = pa->j < 0;
        found_j = pa->j;
    }
    /* close the loops above the one it belongs to */
    while (v->depth - 1 > found_d) {
        struct level *L = &v->lv[v->depth - 1];
        missing(v, v->depth - 1, L->cur + 1, (int)x12_nodes[L->node].child_n);
        v->depth--;
    }
    struct level *L = &v->lv[found_d];
    const struct x12_node *ln = &x12_nodes[L->node];
    if (newiter) {
        missing(v, found_d, L->cur + 1, (int)ln->child_n);
        struct level *P = &v->lv[found_d - 1];
        const struct x12_child *pc =
            &x12_children[x12_nodes[P->node].child_first + P->cur];
        if (bump(P, P->cur) > pc->max_use && pc->max_use)
            report(v, FS(RCM_X12_LVL_SEGMENT, 0, "loop_over_max", "4",
                         .loop_id = ln->id),
                   "loop %s occurs more than %u times", ln->id, pc->max_use);
        uint16_t node = L->node;
        v->depth = found_d;
        push_level(v, node);
        return first_seg(ln);
    }
    const struct x12_child *c = &x12_children[ln->child_first + found_j];
    const struct x12_node *cn = &x12_nodes[c->node];
    if (found_j > L->cur)
        missing(v, found_d, L->cur + 1, found_j);
    L->cur = found_j;
    uint32_t cnt = bump(L, found_j);
    if (cn->kind == X12_NODE_SEGMENT) {
        if (c->max_use && cnt > c->max_use)
            report(v, FS(RCM_X12_LVL_SEGMENT, 0, "segment_over_max_use", "5"),
                   "segment %s used more than %u times", cn->id, c->max_use);
        if (c->usage == 'N')
            report(v, FS(RCM_X12_LVL_SEGMENT, 0, "not_used_segment_present", "I4"),
                   "segment %s is not used in this guide", cn->id);
        return cn;
    }
    if (c->max_use && cnt > c->max_use)
        report(v, FS(RCM_X12_LVL_SEGMENT, 0, "loop_over_max", "4", .loop_id = cn->id),
               "loop %s occurs more than %u times", cn->id, c->max_use);
    if (v->depth >= MAX_DEPTH) {
        report(v, FS(RCM_X12_LVL_SEGMENT, 0, "nesting_too_deep", "2"),
               "loops nested too deep");
        return NULL;
    }
    push_level(v, c->node);
    if (c->usage == 'N')
        report(v, FS(RCM_X12_LVL_SEGMENT, 0, "not_used_segment_present", "I4"),
               "loop %s is not used in this guide", cn->id);
    return first_seg(cn);
}

/* ------------------------------------------------------------- envelope */

static void
set_now(struct rcm_x12_validator *v)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(v->date8, sizeof v->date8, "%Y%m%d", &tm);
    strftime(v->time4, sizeof v->time4, "%H%M", &tm);
}

struct rcm_x12_validator *
rcm_x12_validator_new(const struct rcm_x12_validate_opts *opts)
{
    pthread_once(&fast_once, fast_init);
    struct rcm_x12_validator *v = rcm_calloc(1, sizeof *v);
    if (!v)
        return NULL;
    if (opts)
        v->o = *opts;
    memset(v->rules_ok, 0xff, sizeof v->rules_ok);
    if (!v->o.max_ik3_per_set)
        v->o.max_ik3_per_set = 100;
    v->ack_isa13 = v->o.ack_isa13 ? v->o.ack_isa13 : 1;
    v->ack_gs06 = 1;
    rcm_buf_init(&v->body, ACK_BODY_MAX);
    set_now(v);
    if (v->o.ack_date && strlen(v->o.ack_date) == 8)
        memcpy(v->date8, v->o.ack_date, 9);
    if (v->o.ack_time && strlen(v->o.ack_time) == 4)
        memcpy(v->time4, v->o.ack_time, 5);
    return v;
}

void
rcm_x12_validator_free(struct rcm_x12_validator *v)
{
    if (!v)
        return;
    rcm_buf_release(&v->body);
    rcm_free(v->isa_ids.slot);
    rcm_free(v->gs_ids.slot);
    rcm_free(v->st_ids.slot);
    rcm_free(v);
}

const struct rcm_x12_stats *
rcm_x12_validator_stats(const struct rcm_x12_validator *v)
{
    return &v->st;
}

static const struct x12_txdef *
find_tx(const char *st01, const char *version)
{
    const char *g = strchr(version, 'X');
    for (unsigned i = 0; i < x12_n_txdefs; i++) {
        const struct x12_txdef *t = &x12_txdefs[i];
        if (strcmp(t->st01, st01) != 0)
            continue;
        if (g && strncmp(g, t->guide, strlen(t->guide)) == 0)
            return t;
    }
    return NULL;
}

static const char *
functional_id(const char *st01)
{
    static const char *const map[][2] = {
        {"837", "HC"}, {"835", "HP"}, {"277", "HN"}, {"276", "HR"},
        {"270", "HS"}, {"271", "HB"}, {"999", "FA"}, {"834", "BE"},
        {"820", "RA"}, {"278", "HI"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], st01) == 0)
            return map[i][1];
    return NULL;
}

static void
close_set(struct rcm_x12_validator *v, bool have_se)
{
    if (!have_se)
        report(v, FS(RCM_X12_LVL_SET, 0, "se_missing", "2"),
               "transaction set %s has no SE", v->st02);
    if (v->hl_prev_child == '1')
        report(v, FS(RCM_X12_LVL_SET, RCM_X12_SEV_WARNING, "hl_child_code", "I5"),
               "the last HL has HL04=1 but no child HL follows");
    v->st.sets++;
    v->n_sets++;
    if (v->set_err) {
        v->st.sets_rejected++;
    } else {
        v->st.sets_accepted++;
        v->n_accepted++;
    }
    if (v->ack_group) {
        char codes[64];
        ack_codes(codes, sizeof codes, v->ik5, v->n_ik5);
        ack_add(v, "IK5*%c%s", v->set_err ? 'R' : 'A', codes);
    }
    v->in_st = false;
    v->depth = 0;
    v->tx = NULL;
}

static void
ack_interchange_out(struct rcm_x12_validator *v)
{
    if (!v->o.ack || v->oom)
        return;
    struct rcm_buf *o = v->o.ack;
    bool ta1 = v->isa14_ack || v->ta1_reject;
    enum rcm_err e = rcm_buf_addf(
        o, "ISA*00*          *00*          *%-2s*%-15s*%-2s*%-15s*%.6s*%s*^*00501*%09u*0*%s*:~\n",
        v->isa07, v->isa08, v->isa05, v->isa06, v->date8 + 2, v->time4,
        v->ack_isa13 % 1000000000u, v->isa15[0] ? v->isa15 : "P");
    if (e == RCM_OK && ta1)
        e = rcm_buf_addf(o, "TA1*%s*%s*%s*%c*%s~\n", v->isa13, v->isa09, v->isa10,
                         v->ta1_reject ? 'R' : 'A',
                         v->ta1_code ? v->ta1_code : "000");
    if (e == RCM_OK && v->body.len)
        e = rcm_buf_add(o, v->body.data, v->body.len);
    if (e == RCM_OK)
        e = rcm_buf_addf(o, "IEA*%u*%09u~\n", v->n_groups,
                         v->ack_isa13 % 1000000000u);
    if (e != RCM_OK)
        v->oom = e;
    v->ack_isa13++;
    rcm_buf_reset(&v->body);
}

static void
close_group(struct rcm_x12_validator *v, bool have_ge, struct rcm_str ge01)
{
    if (v->in_st)
        close_set(v, false);
    if (!have_ge)
        report(v, FS(RCM_X12_LVL_GROUP, 0, "ge_missing", "3"),
               "functional group %s has no GE", v->gs06);
    if (v->ack_group) {
        char a = v->gs_bad ? 'R'
               : v->n_accepted == v->n_sets ? 'A'
               : v->n_accepted == 0 ? 'R' : 'P';
        char codes[64];
        ack_codes(codes, sizeof codes, v->ak9, v->n_ak9);
        char inc[16];
        if (ge01.n && ge01.n < sizeof inc)
            copy_el(inc, sizeof inc, ge01);
        else
            snprintf(inc, sizeof inc, "%u", v->n_sets);
        ack_add(v, "AK9*%c*%s*%u*%u%s", a, inc, v->n_sets, v->n_accepted, codes);
        ack_add(v, "SE*%u*%04u", v->ack_segs + 1, v->ack_st);
        v->ack_segs = 0;
        ack_add(v, "GE*1*%u", v->ack_gs06++);
        v->ack_group = false;
    }
    v->in_gs = false;
    v->st.groups++;
    v->n_groups++;
}

static void
close_interchange(struct rcm_x12_validator *v, bool have_iea)
{
    if (v->in_gs)
        close_group(v, false, (struct rcm_str){"", 0});
    if (!have_iea)
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "iea_missing", "023"),
               "interchange %s has no IEA", v->isa13);
    ack_interchange_out(v);
    v->in_isa = false;
    v->st.interchanges++;
}

static const char *const isa_codes[17] = {
    NULL, "010", "011", "012", "013", "005", "006", "007", "008",
    "014", "015", "016", "017", "018", "019", "020", "027",
};
static const uint8_t isa_width[17] = {0, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1};

static void
on_isa(struct rcm_x12_validator *v, const struct rcm_str *els, size_t nel)
{
    if (v->in_isa)
        close_interchange(v, false);
    v->in_isa = true;
    v->ta1_code = NULL;
    v->ta1_reject = false;
    v->n_groups = 0;
    v->isa_instance = ++v->instance_ctr;
    idset_clear(&v->gs_ids);
    rcm_buf_reset(&v->body);
    struct rcm_str f[17];
    for (int i = 0; i < 17; i++)
        f[i] = (size_t)i < nel ? els[i] : (struct rcm_str){"", 0};
    copy_el(v->isa05, sizeof v->isa05, f[5]);
    copy_el(v->isa06, sizeof v->isa06, f[6]);
    copy_el(v->isa07, sizeof v->isa07, f[7]);
    copy_el(v->isa08, sizeof v->isa08, f[8]);
    copy_el(v->isa09, sizeof v->isa09, f[9]);
    copy_el(v->isa10, sizeof v->isa10, f[10]);
    copy_el(v->isa13, sizeof v->isa13, f[13]);
    copy_el(v->isa15, sizeof v->isa15, f[15]);
    v->isa14_ack = f[14].n == 1 && f[14].p[0] == '1';
    for (int i = 1; i <= 16; i++) {
        if (f[i].n != isa_width[i]) {
            report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "isa_field_width", isa_codes[i], i,
                         .value = f[i]),
                   "ISA%02d must be %u characters", i, isa_width[i]);
        }
    }
    static const char *const quals[] = {"01", "14", "20", "27", "28", "29", "30", "33", "ZZ"};
    struct { int i; const char *ok[3]; } simple[] = {
        {1, {"00", "03", NULL}}, {3, {"00", "01", NULL}}, {14, {"0", "1", NULL}},
        {15, {"P", "T", "I"}},
    };
    for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++) {
        int i = simple[k].i;
        bool ok = false;
        for (int m = 0; m < 3 && simple[k].ok[m]; m++)
            ok |= rcm_str_eq_c(f[i], simple[k].ok[m]);
        if (!ok && f[i].n == isa_width[i])
            report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "isa_invalid_value", isa_codes[i], i,
                         .value = f[i]),
                   "ISA%02d has an invalid value", i);
    }
    for (int i = 5; i <= 7; i += 2) {
        bool ok = false;
        for (size_t m = 0; m < sizeof quals / sizeof quals[0]; m++)
            ok |= rcm_str_eq_c(f[i], quals[m]);
        if (!ok && f[i].n == 2)
            report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "isa_invalid_value", isa_codes[i], i,
                         .value = f[i]),
                   "ISA%02d is not a known id qualifier", i);
    }
    if (f[9].n == 6 && !valid_date6(f[9]))
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "isa_invalid_value", "014", 9,
                     .value = f[9]), "ISA09 is not a valid date");
    if (f[10].n == 4 && !valid_time(f[10]))
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "isa_invalid_value", "015", 10,
                     .value = f[10]), "ISA10 is not a valid time");
    if (f[12].n == 5 && !rcm_str_eq_c(f[12], "00501"))
        report(v, FS(RCM_X12_LVL_INTERCHANGE, RCM_X12_SEV_WARNING, "isa_version", "017",
                     12, .value = f[12]),
               "ISA12 is not 00501 (HIPAA 5010 uses 00501)");
    if (f[13].n == 9 && !all_digits(f[13]))
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "isa_invalid_value", "018", 13,
                     .value = f[13]), "ISA13 is not numeric");
    if (f[13].n && idset_add(&v->isa_ids, hash_str(f[13].p, f[13].n)) == 1)
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "duplicate_isa13", "025", 13,
                     .value = f[13]),
               "interchange control number %s used twice", v->isa13);
}

static void
on_iea(struct rcm_x12_validator *v, const struct rcm_str *els, size_t nel)
{
    if (!v->in_isa) {
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "iea_without_isa", "024"),
               "IEA without ISA");
        return;
    }
    if (v->in_gs)
        close_group(v, false, (struct rcm_str){"", 0});
    struct rcm_str e1 = nel > 1 ? els[1] : (struct rcm_str){"", 0};
    struct rcm_str e2 = nel > 2 ? els[2] : (struct rcm_str){"", 0};
    bool ok;
    uint32_t n = to_u32(e1, &ok);
    if (!ok || n != v->n_groups)
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "iea_count", "021", 1, .value = e1),
               "IEA01 says %.*s groups, the interchange has %u",
               (int)(e1.n < 10 ? e1.n : 10), e1.p, v->n_groups);
    if (!same_el(e2, v->isa13, sizeof v->isa13))
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "iea_control_number", "001", 2,
                     .value = e2),
               "IEA02 does not match ISA13 %s", v->isa13);
    close_interchange(v, true);
}

static void
on_gs(struct rcm_x12_validator *v, const struct rcm_str *els, size_t nel)
{
    if (!v->in_isa)
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "gs_outside_interchange", "024"),
               "GS outside an interchange");
    if (v->in_gs)
        close_group(v, false, (struct rcm_str){"", 0});
    v->in_gs = true;
    v->gs_bad = false;
    v->n_sets = v->n_accepted = 0;
    v->n_ak9 = 0;
    v->gs_instance = ++v->instance_ctr;
    idset_clear(&v->st_ids);
    struct rcm_str f[9];
    for (int i = 0; i < 9; i++)
        f[i] = (size_t)i < nel ? els[i] : (struct rcm_str){"", 0};
    copy_el(v->gs01, sizeof v->gs01, f[1]);
    copy_el(v->gs02, sizeof v->gs02, f[2]);
    copy_el(v->gs03, sizeof v->gs03, f[3]);
    copy_el(v->gs06, sizeof v->gs06, f[6]);
    copy_el(v->gs08, sizeof v->gs08, f[8]);
    if (v->o.ack && v->in_isa) {
        v->ack_group = true;
        v->ack_st = v->ack_gs06 % 10000;
        /* GS is outside the 999 set: not counted in SE01 */
        ack_add(v, "GS*FA*%s*%s*%s*%s*%u*X*005010X231A1", v->gs03, v->gs02,
                v->date8, v->time4, v->ack_gs06);
        v->ack_segs = 0;
        ack_add(v, "ST*999*%04u*005010X231A1", v->ack_st);
        ack_add(v, "AK1*%s*%s*%s", v->gs01, v->gs06, v->gs08);
    }
    if (!all_digits(f[6]) || f[6].n > 9)
        report(v, FS(RCM_X12_LVL_GROUP, 0, "gs_control_number", "6", 6, .value = f[6]),
               "GS06 must be 1-9 digits");
    else if (idset_add(&v->gs_ids, hash_str(f[6].p, f[6].n)) == 1)
        report(v, FS(RCM_X12_LVL_GROUP, 0, "duplicate_gs06", "19", 6, .value = f[6]),
               "group control number %s used twice in the interchange", v->gs06);
    if (f[8].n < 6 || memcmp(f[8].p, "00501", 5) != 0)
        report(v, FS(RCM_X12_LVL_GROUP, RCM_X12_SEV_WARNING, "gs_version", "2", 8,
                     .value = f[8]),
               "GS08 is not a 005010 version");
}

static void
on_ge(struct rcm_x12_validator *v, const struct rcm_str *els, size_t nel)
{
    if (!v->in_gs) {
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "ge_without_gs", "024"),
               "GE without GS");
        return;
    }
    if (v->in_st)
        close_set(v, false);
    struct rcm_str e1 = nel > 1 ? els[1] : (struct rcm_str){"", 0};
    struct rcm_str e2 = nel > 2 ? els[2] : (struct rcm_str){"", 0};
    bool ok;
    uint32_t n = to_u32(e1, &ok);
    if (!ok || n != v->n_sets)
        report(v, FS(RCM_X12_LVL_GROUP, 0, "ge_count", "5", 1, .value = e1),
               "GE01 does not match the %u transaction sets in the group", v->n_sets);
    if (!same_el(e2, v->gs06, sizeof v->gs06))
        report(v, FS(RCM_X12_LVL_GROUP, 0, "ge_control_number", "4", 2, .value = e2),
               "GE02 does not match GS06 %s", v->gs06);
    close_group(v, true, e1);
}

static void
on_st(struct rcm_x12_validator *v, const struct rcm_str *els, size_t nel)
{
    if (v->in_st)
        close_set(v, false);
    if (!v->in_gs)
        report(v, FS(RCM_X12_LVL_GROUP, 0, "st_outside_group", "3"),
               "ST outside a functional group");
    v->in_st = true;
    v->set_err = false;
    v->sit_on = false;
    v->n_ik5 = 0;
    v->n_ik3 = 0;
    v->set_pos = 1;
    v->hl_last = 0;
    v->hl_depth = 0;
    v->hl_prev_child = 0;
    v->clm01[0] = 0;
    v->depth = 0;
    v->st_instance = ++v->instance_ctr;
    struct rcm_str f[4];
    for (int i = 0; i < 4; i++)
        f[i] = (size_t)i < nel ? els[i] : (struct rcm_str){"", 0};
    copy_el(v->st01, sizeof v->st01, f[1]);
    copy_el(v->st02, sizeof v->st02, f[2]);
    copy_el(v->st03, sizeof v->st03, f[3]);
    if (v->ack_group) {
        if (v->st03[0])
            ack_add(v, "AK2*%s*%s*%s", v->st01, v->st02, v->st03);
        else
            ack_add(v, "AK2*%s*%s", v->st01, v->st02);
    }
    if (f[2].n < 4 || f[2].n > 9)
        report(v, FS(RCM_X12_LVL_SET, 0, "st_control_number", "7", 2, .value = f[2]),
               "ST02 must be 4-9 characters");
    else if (idset_add(&v->st_ids, hash_str(f[2].p, f[2].n)) == 1)
        report(v, FS(RCM_X12_LVL_SET, 0, "duplicate_st02", "23", 2, .value = f[2]),
               "transaction set control number %s used twice in the group", v->st02);
    const char *fid = functional_id(v->st01);
    if (v->in_gs && fid && strcmp(fid, v->gs01) != 0)
        report(v, FS(RCM_X12_LVL_SET, 0, "st_wrong_group", "6", 1, .value = f[1]),
               "transaction set %s does not belong in a %s group", v->st01, v->gs01);
    v->tx = find_tx(v->st01, v->st03[0] ? v->st03 : v->gs08);
    if (!v->tx) {
        report(v, FS(RCM_X12_LVL_SET, RCM_X12_SEV_WARNING, "no_schema", "I6"),
               "no implementation guide schema for %s %s: envelope checks only",
               v->st01, v->st03[0] ? v->st03 : v->gs08);
        return;
    }
    push_level(v, v->tx->root);
    v->sit_on = v->o.situational && x12_sit_begin(&v->sit, v->tx) > 0;
}

static void
on_se(struct rcm_x12_validator *v, const struct rcm_str *els, size_t nel)
{
    struct rcm_str e1 = nel > 1 ? els[1] : (struct rcm_str){"", 0};
    struct rcm_str e2 = nel > 2 ? els[2] : (struct rcm_str){"", 0};
    bool ok;
    uint32_t n = to_u32(e1, &ok);
    if (!ok || n != v->set_pos)
        report(v, FS(RCM_X12_LVL_SET, 0, "se_count", "4", 1, .value = e1),
               "SE01 does not match the %u segments of the set", v->set_pos);
    if (!same_el(e2, v->st02, sizeof v->st02))
        report(v, FS(RCM_X12_LVL_SET, 0, "se_control_number", "3", 2, .value = e2),
               "SE02 does not match ST02 %s", v->st02);
}

static void
loop_ctx(const struct rcm_x12_validator *v, struct rcm_x12_loop_ctx *c)
{
    c->depth = 0;
    if (v->in_isa) {
        c->loops[c->depth] = "ISA_LOOP";
        c->names[c->depth] = "Interchange";
        c->instance[c->depth++] = v->isa_instance;
    }
    if (v->in_gs) {
        c->loops[c->depth] = "GS_LOOP";
        c->names[c->depth] = "Functional Group";
        c->instance[c->depth++] = v->gs_instance;
    }
    if (v->in_st) {
        c->loops[c->depth] = "ST_LOOP";
        c->names[c->depth] = v->tx ? v->tx->name : "Transaction Set";
        c->instance[c->depth++] = v->st_instance;
        for (int d = 1; d < v->depth && c->depth < 16; d++) {
            c->loops[c->depth] = x12_nodes[v->lv[d].node].id;
            c->names[c->depth] = x12_nodes[v->lv[d].node].name;
            c->instance[c->depth++] = v->lv[d].instance;
        }
    }
    c->seg_name = v->seg_name;
}

/* A violated situational rule (x12_situational.c): a segment finding about
 * the segment the rule names, IK304 I6 (missing) or I9 (present). */
static void
sit_report(void *ctx, const struct x12_sit_rule *r)
{
    struct rcm_x12_validator *v = ctx;
    if (r->kind == X12_SIT_REQUIRE)
        report(v, FS(RCM_X12_LVL_SEGMENT, 0, "situational_segment_missing", "I6",
                     .seg_id = r->then_seg, .loop_id = r->then_loop),
               "%s (rule %s)", r->text, r->id);
    else
        report(v, FS(RCM_X12_LVL_SEGMENT, 0, "situational_segment_present", "I9",
                     .seg_id = r->then_seg, .loop_id = r->then_loop),
               "%s (rule %s)", r->text, r->id);
}

/* Hand the placed segment and the open loops to the situational rules. */
static void __attribute__((noinline))
sit_segment(struct rcm_x12_validator *v, const struct rcm_x12_seg *seg,
            const struct rcm_str *els, size_t nel, uint64_t gen)
{
    uint16_t nodes[MAX_DEPTH];
    uint64_t inst[MAX_DEPTH];
    for (int d = 0; d < v->depth; d++) {
        nodes[d] = v->lv[d].node;
        inst[d] = v->lv[d].instance;
    }
    x12_sit_segment(&v->sit, seg->id, gen, nodes, inst, v->depth, els, nel,
                    seg->delims.component, sit_report, v);
}

enum rcm_err
rcm_x12_validator_segment(struct rcm_x12_validator *v, const struct rcm_x12_seg *seg)
{
    /* the reader's split when it has one (it holds the first
     * RCM_X12_SEG_ELEMS_MAX >= MAX_ELEMS elements), else our own */
    _Static_assert(MAX_ELEMS <= RCM_X12_SEG_ELEMS_MAX, "reader split too short");
    struct rcm_str own[MAX_ELEMS];
    const struct rcm_str *els = own;
    size_t nel;
    if (seg->els) {
        els = seg->els;
        nel = seg->n_els;
    } else {
        nel = rcm_x12_split(seg->raw, seg->delims.element, own, MAX_ELEMS);
    }
    v->seg = seg;
    v->seg_ik3 = false;
    v->seg_name = NULL;
    v->st.segments++;
    if (nel > MAX_ELEMS)
        nel = MAX_ELEMS;
    const char *id = seg->id;
    const uint32_t key = seg->key;
    bool after_close = false; /* segment closes its envelope: report ctx first */
    if (key == KEY3('I', 'S', 'A')) {
        on_isa(v, els, nel);
    } else if (key == KEY3('G', 'S', 0)) {
        on_gs(v, els, nel);
    } else if (key == KEY3('S', 'T', 0)) {
        on_st(v, els, nel);
        if (v->tx) {
            const struct x12_node *root = &x12_nodes[v->tx->root];
            const struct x12_node *stn = first_seg(root);
            v->seg_name = stn->name;
            check_segment(v, stn, els, nel);
        }
    } else if (key == KEY3('T', 'A', '1') && v->in_isa && !v->in_gs) {
        /* an interchange acknowledgment: allowed between ISA and GS */
        if (nel < 6 || els[1].n != 9 || !all_digits(els[1]) || els[4].n != 1 ||
            !strchr("AER", els[4].p[0]) || els[5].n != 3 || !all_digits(els[5]))
            report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "bad_ta1", "024"),
                   "TA1 does not have TA101 (9 digits), TA104 (A/E/R) and TA105 (3 digits)");
    } else if (key == KEY3('G', 'E', 0) || key == KEY3('I', 'E', 'A')) {
        after_close = true;
    } else if (!v->in_st) {
        if (v->in_gs)
            report(v, FS(RCM_X12_LVL_GROUP, 0, "segment_outside_set", "3"),
                   "segment %s outside a transaction set", id);
        else
            report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "segment_outside_group", "024"),
                   "segment %s outside a functional group", id);
    } else {
        v->set_pos++;
        bool is_se = key == KEY3('S', 'E', 0);
        if (v->tx) {
            const struct x12_node *n = walk(v, seg, els, nel);
            if (n) {
                v->seg_name = n->name;
                check_segment(v, n, els, nel);
                if (v->sit_on) {
                    /* changes whenever a loop opens (instance_ctr) or
                     * closes (depth) */
                    uint64_t gen = v->instance_ctr << 4 | (uint64_t)v->depth;
                    if (!x12_sit_idle(&v->sit, seg->key, gen))
                        sit_segment(v, seg, els, nel, gen);
                }
            }
        }
        if (is_se) {
            on_se(v, els, nel);
            if (v->o.on_segment) {
                struct rcm_x12_loop_ctx c;
                loop_ctx(v, &c);
                v->o.on_segment(v->o.ctx, seg, &c);
            }
            close_set(v, true);
            v->seg = NULL;
            return v->oom;
        }
    }
    if (v->o.on_segment) {
        struct rcm_x12_loop_ctx c;
        loop_ctx(v, &c);
        v->o.on_segment(v->o.ctx, seg, &c);
    }
    if (after_close) {
        if (id[0] == 'G')
            on_ge(v, els, nel);
        else
            on_iea(v, els, nel);
    }
    v->seg = NULL;
    return v->oom;
}

enum rcm_err
rcm_x12_validator_read_error(struct rcm_x12_validator *v,
                             const struct rcm_x12_read_error *err)
{
    struct rcm_x12_seg fake;
    memset(&fake, 0, sizeof fake);
    fake.offset_bytes = err->offset_bytes;
    fake.index = err->seg_index;
    memcpy(fake.id, err->id, sizeof fake.id);
    fake.key = x12_idkey(fake.id);
    v->seg = &fake;
    v->seg_ik3 = false;
    if (err->counted && v->in_st)
        v->set_pos++;
    switch (err->code) {
    case RCM_X12_RE_BAD_SEGMENT_ID:
        if (v->in_st)
            report(v, FS(RCM_X12_LVL_SEGMENT, 0, "bad_segment_id", "1"), "%s", err->msg);
        else
            report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "bad_segment_id", "024"), "%s",
                   err->msg);
        break;
    case RCM_X12_RE_EMPTY_SEGMENT:
    case RCM_X12_RE_TOO_LONG:
        if (v->in_st)
            report(v, FS(RCM_X12_LVL_SET, 0, rcm_x12_read_code_name(err->code), "5"),
                   "%s", err->msg);
        else
            report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, rcm_x12_read_code_name(err->code),
                         "024"), "%s", err->msg);
        break;
    case RCM_X12_RE_BAD_ISA:
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "bad_isa", "026"), "%s", err->msg);
        break;
    case RCM_X12_RE_TRUNCATED:
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "truncated", "023"), "%s", err->msg);
        break;
    case RCM_X12_RE_OUTSIDE:
        report(v, FS(RCM_X12_LVL_INTERCHANGE, RCM_X12_SEV_WARNING,
                     "outside_interchange", "024"), "%s", err->msg);
        break;
    case RCM_X12_RE_ISA_IN_INTERCHANGE:
        /* the ISA that follows closes the open interchange (iea_missing) */
        break;
    }
    v->seg = NULL;
    return v->oom;
}

enum rcm_err
rcm_x12_validator_finish(struct rcm_x12_validator *v)
{
    if (v->in_isa)
        close_interchange(v, false);
    else if (v->in_gs)
        close_group(v, false, (struct rcm_str){"", 0});
    else if (v->in_st)
        close_set(v, false);
    if (v->st.interchanges == 0)
        report(v, FS(RCM_X12_LVL_INTERCHANGE, 0, "no_interchange", "023"),
               "no interchange found (no ISA)");
    return v->oom;
}

enum rcm_err
rcm_x12_validate_buffer(const char *p, size_t n,
                        const struct rcm_x12_validate_opts *opts,
                        struct rcm_x12_stats *stats)
{
    struct rcm_x12_validator *v = rcm_x12_validator_new(opts);
    if (!v)
        return RCM_E_NOMEM;
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 0);
    rcm_x12_reader_feed(&r, p, n, true);
    enum rcm_err e = RCM_OK;
    for (;;) {
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        enum rcm_x12_event ev = rcm_x12_reader_next(&r, &seg, &err);
        if (ev == RCM_X12_SEGMENT)
            e = rcm_x12_validator_segment(v, &seg);
        else if (ev == RCM_X12_ERROR)
            e = rcm_x12_validator_read_error(v, &err);
        else
            break;
        if (e != RCM_OK)
            break;
    }
    if (e == RCM_OK)
        e = rcm_x12_validator_finish(v);
    if (stats)
        *stats = v->st;
    rcm_x12_reader_release(&r);
    rcm_x12_validator_free(v);
    return e;
}

const char *
rcm_x12_severity_name(enum rcm_x12_severity s)
{
    return s == RCM_X12_SEV_WARNING ? "warning" : "error";
}

const char *
rcm_x12_level_name(enum rcm_x12_level l)
{
    switch (l) {
    case RCM_X12_LVL_INTERCHANGE: return "interchange";
    case RCM_X12_LVL_GROUP: return "group";
    case RCM_X12_LVL_SET: return "transaction_set";
    case RCM_X12_LVL_SEGMENT: return "segment";
    case RCM_X12_LVL_ELEMENT: return "element";
    }
    return "unknown";
}
