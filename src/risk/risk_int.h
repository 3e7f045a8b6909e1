/*
 * risk_int.h — private structures of the CMS-HCC engine (src/risk).
 *
 * A loaded data directory is one struct rcm_risk_tables holding, per model
 * (V24, V28), the model structure read from <model>/model.txt and its
 * labels, hierarchy and coefficient tables (struct risk_structure), and one
 * struct rcm_risk_model per payment year with that year's ICD-10-CM map (an
 * open-addressing hash keyed by the packed code) and mandatory edits.
 *
 * Coefficients are resolved at load time into flat per-segment arrays, so
 * scoring is array indexing and bit operations only.
 */
#ifndef RCM_RISK_INT_H
#define RCM_RISK_INT_H

#include <stdint.h>

#include "rcm/risk.h"

#define RISK_MAX_GROUPS 62      /* bit 63 of the term mask is DISABL */
#define RISK_TERM_DISABL 63
#define RISK_MAX_INTER 64
#define RISK_MAX_HIER 160
#define RISK_MAX_REQUIRE 16
#define RISK_MAX_YEARS 32
#define RISK_NAME_MAX 48
#define RISK_CELLS 24           /* F0_34 … M95_GT */
#define RISK_NE_CELLS 32        /* NEF0_34 … NEM95_GT */
#define RISK_NE_KINDS 4         /* NMCAID_NORIGDIS, MCAID_NORIGDIS, NMCAID_ORIGDIS, MCAID_ORIGDIS */
#define RISK_COUNT_MAX 10       /* D1 … D9, D10P */

/* One segment's coefficients, in thousandths; *_has says the variable exists. */
struct risk_seg_coef {
    int32_t hcc[RCM_RISK_CC_MAX];
    uint64_t hcc_has[RCM_RISK_CC_WORDS];
    int32_t cell[RISK_CELLS];
    uint32_t cell_has;
    int32_t ne[RISK_NE_KINDS][RISK_NE_CELLS];
    uint32_t ne_has[RISK_NE_KINDS];
    int32_t origdis_female, origdis_male, ltimcaid, origds;
    bool has_origdis_female, has_origdis_male, has_ltimcaid, has_origds;
    int32_t inter[RISK_MAX_INTER];
    uint64_t inter_has;
    int32_t count[RISK_COUNT_MAX + 1]; /* [1..10] */
    uint32_t count_has;
};

struct risk_group {
    char name[RISK_NAME_MAX];
    uint64_t mask[RCM_RISK_CC_WORDS];
};

struct risk_inter {
    char name[RISK_NAME_MAX];
    uint64_t terms;             /* bits of groups (and RISK_TERM_DISABL) all required */
};

struct risk_hier {
    int parent;
    uint64_t children[RCM_RISK_CC_WORDS];
};

struct risk_require {
    int cc;
    uint64_t any[RCM_RISK_CC_WORDS];
};

struct risk_structure {
    enum rcm_risk_model_id id;
    char dir[64];                           /* model directory (models.tsv) */
    bool loaded;
    bool age64_orec0_is_65;
    uint64_t payment[RCM_RISK_CC_WORDS];    /* payment HCCs (labels.tsv) */
    char *labels[RCM_RISK_CC_MAX];          /* owned */
    int n_hier;
    struct risk_hier hier[RISK_MAX_HIER];
    int n_require;
    struct risk_require require[RISK_MAX_REQUIRE];
    int n_groups;
    struct risk_group groups[RISK_MAX_GROUPS];
    int n_inter;
    struct risk_inter inter[RISK_MAX_INTER];
    struct risk_seg_coef seg[RCM_RISK_SEGMENT_COUNT];
    /* Derived at load time for speed: */
    uint64_t cc_groups[RCM_RISK_CC_MAX];    /* groups each HCC belongs to */
    uint64_t parent_mask[RCM_RISK_CC_WORDS];
    int16_t rule_of_parent[RCM_RISK_CC_MAX]; /* -1: not a parent */
    bool one_rule_per_parent;               /* else: scan every rule */
};

/* One row of a mandatory edit table. */
struct risk_edit {
    uint8_t sex;                /* 0 any, 1, 2 */
    int16_t age_min, age_max;   /* inclusive */
    int16_t cc;                 /* 0 = invalid (no CC) */
};

/* One ICD-10-CM code of a year's map. */
struct risk_dx_entry {
    uint64_t code;              /* 0 = empty slot */
    uint16_t cc[3];
    uint8_t n_cc;
    uint8_t n_edit;
    uint32_t edit_first;
};

struct rcm_risk_model {
    const struct risk_structure *s;
    int year;
    int32_t nf_milli;           /* normalization factor; 0 = none */
    int32_t ma_milli;           /* MA coding pattern adjustment */
    int blend_pct;
    struct risk_dx_entry *slots;    /* owned */
    uint64_t slot_mask;
    int hash_shift;
    struct risk_edit *edits;        /* owned */
    size_t n_edits;
    size_t n_codes;
};

struct rcm_risk_tables {
    struct risk_structure *structure[RISK_MAX_YEARS];  /* owned, one per model directory */
    int n_structures;
    int n_models;
    struct rcm_risk_model models[RISK_MAX_YEARS];
};

/* The map entry for a packed code, or NULL. */
static inline const struct risk_dx_entry *
risk_dx_find(const struct rcm_risk_model *m, uint64_t code)
{
    uint64_t i = (code * 0x9E3779B97F4A7C15ull) >> m->hash_shift;
    for (;;) {
        const struct risk_dx_entry *e = &m->slots[i];
        if (e->code == code)
            return e;
        if (e->code == 0)
            return NULL;
        i = (i + 1) & m->slot_mask;
    }
}

/* Thousandths from "1.234", "-0.05", "0", "2": at most 3 decimals. */
bool risk_parse_milli(struct rcm_str s, int32_t *out);

#endif
