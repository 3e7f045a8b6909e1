/*
 * x12_int.h — private declarations of the X12 module: the shape of the
 * generated schema tables (src/x12/x12_schema_data.c, written by
 * tools/x12_gen_schema.py from the pyx12 maps in data/x12/pyx12-maps).
 *
 * A transaction set is a tree of nodes. A node is a loop or a segment;
 * loops list their children (segments and loops) in the order the
 * implementation guide gives them. Identical subtrees (the 2300 claim loop
 * under 2000B and under 2000C) are emitted once and shared, so each loop is
 * defined once. Wrapper loops of the maps (HEADER/DETAIL/FOOTER) are
 * flattened into the transaction set.
 */
#ifndef RCM_X12_INT_H
#define RCM_X12_INT_H

#include <stdbool.h>
#include <stdint.h>

enum x12_node_kind { X12_NODE_SEGMENT = 0, X12_NODE_LOOP = 1 };

/* Data element types as in X12.6 */
enum x12_dtype {
    X12_AN = 0, X12_ID, X12_DT, X12_TM, X12_N0, X12_N1, X12_N2, X12_N3,
    X12_N4, X12_R, X12_B, X12_COMPOSITE
};

/* A pattern narrowing an element beyond its type (pyx12's <regex>). */
enum x12_pattern {
    X12_PAT_NONE = 0,
    X12_PAT_DIGITS,         /* digits only (lengths narrowed in min/max_len) */
};

/* One simple element or composite (or one component of a composite). */
struct x12_elem {
    const char *xid;        /* "NM101"; for components "C022-01"-style xids */
    const char *data_ele;   /* "98" (dictionary number), "C022" for composites */
    const char *name;
    uint8_t type;           /* enum x12_dtype */
    char usage;             /* 'R', 'S' or 'N' */
    uint8_t seq;            /* 1-based position */
    uint16_t min_len, max_len;
    uint16_t repeat;        /* max repetitions; 0 = unbounded */
    uint16_t codes_first, codes_n;   /* sorted ids in x12_codes[] */
    int8_t external;        /* external code set index, -1 none */
    uint16_t comp_first, comp_n;     /* components in x12_elems[] */
    uint8_t pattern;        /* enum x12_pattern */
};

/* A use of a node inside a loop: usage and repeat belong to the use, so the
 * same loop (2300) can be Situational under 2000B and Required under 2000C. */
struct x12_child {
    uint16_t node;
    char usage;             /* 'R', 'S' or 'N' */
    uint32_t max_use;       /* segments: max use; loops: repeat; 0 = unbounded */
};

struct x12_node {
    uint8_t kind;           /* enum x12_node_kind */
    const char *id;         /* segment id "CLM" or loop id "2300" */
    const char *name;
    uint16_t child_first, child_n;   /* loops: indexes into x12_children[] */
    uint16_t elem_first, elem_n;     /* segments: into x12_elems[] */
    uint16_t rule_first, rule_n;     /* segments: into x12_rules[] */
    int16_t qual_elem;      /* segments: element (0-based in elems) whose
                               codes identify the segment, -1 none */
    int16_t period_elem;    /* segments: a date/time period (1251) right after
                               its format qualifier (1250), -1 none */
    uint32_t idkey;         /* the id's bytes, NUL-padded, little-endian */
    uint64_t req_mask;      /* loops: bit j set when child j is Required */
};

/* The idkey of a NUL-terminated id of at most 3 characters. */
static inline uint32_t
x12_idkey(const char *id)
{
    uint32_t k = 0;
    for (int i = 0; i < 4 && id[i]; i++)
        k |= (uint32_t)(unsigned char)id[i] << (8 * i);
    return k;
}

struct x12_txdef {
    const char *st01;       /* "837" */
    const char *guide;      /* "X222" — GS08/ST03 guide number, no suffix */
    const char *version;    /* "005010X222A1" */
    const char *name;
    uint16_t root;          /* the ST_LOOP node */
};

struct x12_codeset {
    const char *id;         /* "states", "carc", "taxonomy" ... */
    uint16_t first, n;      /* sorted codes in x12_codes[] */
    const char *version;    /* where the list comes from and its date */
};

extern const struct x12_node x12_nodes[];
extern const unsigned x12_n_nodes;
extern const struct x12_child x12_children[];
extern const uint32_t x12_child_keys[];   /* parallel to x12_children */
extern const struct x12_elem x12_elems[];
extern const char *const x12_codes[];
extern const char *const x12_rules[];   /* "P0304" syntax notes */
extern const struct x12_txdef x12_txdefs[];
extern const unsigned x12_n_txdefs;
extern const struct x12_codeset x12_codesets[];
extern const unsigned x12_n_codesets;

/* Whether the validator's derived fast-path tables cover the whole schema
 * (x12_validate.c). When a schema outgrows them validation stays correct
 * but slow, so a test pins this to true. */
bool x12_validate_fast_tables(void);

#endif
