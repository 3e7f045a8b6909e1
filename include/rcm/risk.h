/*
 * rcm/risk.h — CMS-HCC risk adjustment: V24 and V28 risk scores, payment
 * scores, payment-year blends, per-member explanations and HCC gap flags.
 *
 * The engine reproduces CMS's SAS software (V2419P1M / V2823T2M with
 * SEDITS=0): ICD-10-CM → CC for the payment year, the mandatory age/sex
 * edits (V24I0ED1, V28I0ED1/ED3), V28's CC223 rule, hierarchies applied in
 * CMS file order on current values, interactions, payment-HCC counts,
 * demographic cells and the new-enrollee cells, with age as of February 1 of
 * the payment year. Coefficients are summed exactly in integer thousandths.
 *
 * Everything model-specific is data: rcm_risk_tables_load() reads
 * <dir>/cms-hcc/models.tsv and the tables it names (docs/risk.md describes
 * the formats), so a new payment year is a data drop.
 *
 * Thread safety: loaded tables are immutable; any number of threads may
 * score with the same tables at once. The scoring functions never allocate.
 * Nothing here prints; diagnostics never hold PHI (only ids the caller
 * supplied, line numbers and codes).
 */
#ifndef RCM_RISK_H
#define RCM_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rcm/err.h"
#include "rcm/str.h"

enum rcm_risk_model_id {
    RCM_RISK_V24 = 0,
    RCM_RISK_V28 = 1,
};
#define RCM_RISK_MODEL_COUNT 2

/* Segments (CMS score variables), in CMS order. */
enum rcm_risk_segment {
    RCM_RISK_CNA = 0, /* community, non-dual, aged */
    RCM_RISK_CND,     /* community, non-dual, disabled */
    RCM_RISK_CFA,     /* community, full benefit dual, aged */
    RCM_RISK_CFD,     /* community, full benefit dual, disabled */
    RCM_RISK_CPA,     /* community, partial benefit dual, aged */
    RCM_RISK_CPD,     /* community, partial benefit dual, disabled */
    RCM_RISK_INS,     /* long-term institutional */
    RCM_RISK_NE,      /* new enrollee */
    RCM_RISK_SNPNE,   /* SNP new enrollee */
    RCM_RISK_SEGMENT_COUNT,
    RCM_RISK_SEGMENT_AUTO = -1, /* derive from dual status, LTI, NE flags */
};

#define RCM_RISK_CC_MAX 512     /* CC numbers are 1..511 */
#define RCM_RISK_CC_WORDS (RCM_RISK_CC_MAX / 64)
#define RCM_RISK_NO_DOB INT32_MIN
#define RCM_RISK_ID_MAX 128     /* longest member_id the reader accepts (bytes) */

/* "V24" / "V28"; parse accepts either case. */
const char *rcm_risk_model_name(enum rcm_risk_model_id model);
bool rcm_risk_model_parse(struct rcm_str s, enum rcm_risk_model_id *out);
/* "CNA" … "SNPNE"; parse accepts either case. */
const char *rcm_risk_segment_name(enum rcm_risk_segment seg);
bool rcm_risk_segment_parse(struct rcm_str s, enum rcm_risk_segment *out);

/*
 * ICD-10-CM codes travel packed in a uint64_t: up to 7 characters A-Z/0-9,
 * upper-cased, dots and surrounding blanks removed, one byte each,
 * left-aligned (packed codes sort like the text). rcm_risk_dx_pack returns
 * false for anything else (empty, 1-2 or 8+ characters, other characters).
 */
bool rcm_risk_dx_pack(struct rcm_str code, uint64_t *out);
/* Write the code and a NUL into out (8 bytes). */
void rcm_risk_dx_unpack(uint64_t code, char out[8]);

/* All models and payment years found under a data directory. Opaque. */
struct rcm_risk_tables;
/* One model for one payment year (borrowed from its tables). Opaque. */
struct rcm_risk_model;

/*
 * Load <data_dir>/cms-hcc/models.tsv and every table it names. *out is
 * returned owned (free with rcm_risk_tables_free). RCM_E_IO when a file is
 * missing, RCM_E_PARSE for a malformed table (diag names file and line).
 */
RCM_MUST_CHECK enum rcm_err rcm_risk_tables_load(const char *data_dir,
                                                 struct rcm_risk_tables **out,
                                                 struct rcm_diag *diag);
void rcm_risk_tables_free(struct rcm_risk_tables *tables);

/* The model for a payment year, or NULL when the data has none. */
const struct rcm_risk_model *rcm_risk_model_get(
    const struct rcm_risk_tables *tables, enum rcm_risk_model_id model,
    int payment_year);
enum rcm_risk_model_id rcm_risk_model_id(const struct rcm_risk_model *m);
int rcm_risk_model_year(const struct rcm_risk_model *m);
/* Blend weight of this model in its payment year, in hundredths (67 = 0.67). */
int rcm_risk_model_blend_pct(const struct rcm_risk_model *m);
/* Label of a payment HCC ("Diabetes with Chronic Complications"), or NULL. */
const char *rcm_risk_hcc_label(const struct rcm_risk_model *m, int hcc);

/* One beneficiary as the model sees them. */
struct rcm_risk_member {
    int32_t dob_days;       /* days since 1970; RCM_RISK_NO_DOB → age_years */
    int age_years;          /* age as of Feb 1 of the payment year, without dob */
    int sex;                /* 1 male, 2 female (CMS coding) */
    int orec;               /* original reason for entitlement 0..3 */
    bool medicaid;          /* LTIMCAID (institutional) / NEMCAID (new enrollee) */
    /* Segment, or RCM_RISK_SEGMENT_AUTO. For the community segments the
     * dual status is taken from here and the aged/disabled letter from AGEF
     * (A at 65+, after V24's 64/OREC 0 rule). */
    enum rcm_risk_segment segment;
    /* Used only with RCM_RISK_SEGMENT_AUTO: */
    int dual;               /* 0 non-dual, 1 partial, 2 full benefit dual */
    bool institutional;     /* long-term institutional (LTI) */
    bool new_enrollee;
    bool snp;               /* with new_enrollee: SNP new enrollee */
};

/* Dual status from a CMS dual_elgbl_cd ("00".."10"): 0 non, 1 partial, 2 full. */
int rcm_risk_dual_from_code(struct rcm_str code);

/* Result of rcm_risk_score. Scores are thousandths (1.234 → 1234). */
struct rcm_risk_score {
    enum rcm_risk_segment segment;  /* the segment scored */
    int age;                        /* AGEF used (after V24's 64/OREC 0 rule) */
    bool disabled;                  /* DISABL */
    bool orig_disabled;             /* ORIGDS (NE: NE_ORIGDS) */
    int n_hcc;                      /* payment HCCs after hierarchy */
    int32_t raw_milli;              /* raw risk score */
    int32_t normalized_milli;       /* raw / normalization factor; -1 if none */
    int32_t payment_milli;          /* × (1 − MA coding adjustment); -1 if none */
    uint64_t cc[RCM_RISK_CC_WORDS];  /* CCs after edits and the CC223 rule */
    uint64_t hcc[RCM_RISK_CC_WORDS]; /* HCCs after hierarchy */
};

/*
 * Score one member from packed ICD-10-CM codes (duplicates are harmless;
 * codes the year's map does not know are ignored). RCM_E_INVAL when the
 * member cannot be scored (sex not 1/2, OREC not 0..3, no age); never
 * allocates.
 */
RCM_MUST_CHECK enum rcm_err rcm_risk_score(const struct rcm_risk_model *m,
                                           const struct rcm_risk_member *mem,
                                           const uint64_t *dx, size_t n_dx,
                                           struct rcm_risk_score *out);

/* Is HCC/CC `n` set in a bitset of struct rcm_risk_score? */
static inline bool
rcm_risk_bit(const uint64_t *set, int n)
{
    return n > 0 && n < RCM_RISK_CC_MAX &&
           (set[n >> 6] >> (n & 63) & 1u) != 0;
}

/* Payment score from raw for the model's year; -1 when it has no factor. */
int32_t rcm_risk_payment_milli(const struct rcm_risk_model *m, int32_t raw_milli,
                               int32_t *normalized_milli);

/*
 * The payment-year blend of two payment scores (thousandths), with the
 * weights of models.tsv for `payment_year` (2024: 67/33, 2025: 33/67,
 * 2026: 0/100), rounded half up to thousandths. -1 when the year is unknown
 * or a score with a non-zero weight is missing (-1).
 */
int32_t rcm_risk_blend_milli(const struct rcm_risk_tables *tables,
                             int payment_year, int32_t v24_payment_milli,
                             int32_t v28_payment_milli);

/* ---- explanation ---------------------------------------------------- */

#define RCM_RISK_EXPLAIN_TERMS 128
#define RCM_RISK_EXPLAIN_CCS 128
#define RCM_RISK_EXPLAIN_DX 16     /* triggering codes kept per CC */

enum rcm_risk_cc_fate {
    RCM_RISK_CC_KEPT,         /* payment HCC after hierarchy */
    RCM_RISK_CC_HIERARCHY,    /* dropped by a higher HCC (dropped_by) */
    RCM_RISK_CC_RULE,         /* dropped by a model rule (V28 CC223) */
};

struct rcm_risk_cc_explain {
    int cc;
    enum rcm_risk_cc_fate fate;
    int dropped_by;           /* parent HCC for RCM_RISK_CC_HIERARCHY */
    int32_t coef_milli;       /* coefficient used (0 when not scored) */
    bool scored;              /* the segment has a coefficient for it */
    int n_dx;                 /* codes that produced the CC (≤ EXPLAIN_DX kept) */
    uint64_t dx[RCM_RISK_EXPLAIN_DX];
    bool edited;              /* produced by a mandatory edit override */
};

struct rcm_risk_term {
    char name[80];            /* SEGMENT_VARIABLE, e.g. "CNA_HCC18" */
    int32_t coef_milli;
};

struct rcm_risk_explain {
    struct rcm_risk_score score;
    int n_terms;              /* variables equal to 1 with a coefficient */
    struct rcm_risk_term terms[RCM_RISK_EXPLAIN_TERMS];
    int n_ccs;
    struct rcm_risk_cc_explain ccs[RCM_RISK_EXPLAIN_CCS];
    int n_edit_invalid;       /* codes a mandatory edit made invalid */
    uint64_t edit_invalid[RCM_RISK_EXPLAIN_DX];
};

/*
 * Score and explain: every term summed (sum of terms == raw), every CC
 * before hierarchy with its fate, coefficient and triggering codes. Same
 * errors as rcm_risk_score.
 */
RCM_MUST_CHECK enum rcm_err rcm_risk_explain(const struct rcm_risk_model *m,
                                             const struct rcm_risk_member *mem,
                                             const uint64_t *dx, size_t n_dx,
                                             struct rcm_risk_explain *out);

/* ---- gap flags ------------------------------------------------------ */

enum rcm_risk_gap_kind {
    RCM_RISK_GAP_RECAPTURE, /* coded in the prior year, not yet this year */
    RCM_RISK_GAP_SUSPECT,   /* only in non-risk-adjustable evidence this year */
};

struct rcm_risk_gap {
    int hcc;
    enum rcm_risk_gap_kind kind;
    int32_t impact_milli;   /* raw-score increase if the HCC were coded */
    uint64_t evidence_dx;   /* one code that produced the HCC */
};

/*
 * Gap worklist for one member: HCCs (after the evidence's own hierarchy)
 * that the prior year's codes or the suspect codes produce and that are
 * not already captured this year, each with its exact raw-score impact
 * (score with the HCC added minus the current score: hierarchies,
 * interactions and count variables included). Gaps whose impact is not
 * positive (already covered by a higher HCC this year) are left out. Sorted
 * by impact, largest first (ties by HCC number). Writes at most `cap` gaps
 * and their number to *n_out.
 */
RCM_MUST_CHECK enum rcm_err rcm_risk_gaps(const struct rcm_risk_model *m,
                                          const struct rcm_risk_member *mem,
                                          const uint64_t *dx, size_t n_dx,
                                          const uint64_t *prior_dx,
                                          size_t n_prior,
                                          const uint64_t *suspect_dx,
                                          size_t n_suspect,
                                          struct rcm_risk_gap *out, size_t cap,
                                          size_t *n_out);

/* ---- input files ---------------------------------------------------- */

/*
 * Streaming reader of a member file (CSV with a header: member_id, dob or
 * age, sex, orec, and optionally elig/segment, dual_elgbl_cd, medicaid,
 * lti, new_enrollee, snp, and an inline `;`-separated `dx` column) and an
 * optional diagnosis file (member_id, code, dos, source), both in the same
 * member order. Memory is bounded whatever the file sizes (one member's
 * rows at a time, capped).
 *
 * Diagnoses are split by date of service: the data year (payment year − 1)
 * scores; the year before feeds gap flags; a source that is not
 * risk-adjustment eligible (lab, radiology, DME, …) makes the code a
 * suspect-gap hint instead of a scoring code. Codes without a date or
 * source count as eligible data-year codes (raw lists).
 */
struct rcm_risk_reader;

struct rcm_risk_record {
    const char *member_id;          /* borrowed until the next call */
    long line;                      /* member file line */
    struct rcm_risk_member member;
    const uint64_t *dx;             /* eligible data-year codes */
    size_t n_dx;
    const uint64_t *prior_dx;       /* prior-year codes (any eligible source) */
    size_t n_prior;
    const uint64_t *suspect_dx;     /* data-year codes from ineligible sources */
    size_t n_suspect;
};

/*
 * Called for each problem in the input that does not stop the run: `file`
 * is "members" or "diagnoses", `member_id` may be NULL, `msg` holds no PHI.
 */
typedef void (*rcm_risk_problem_fn)(void *ctx, const char *file, long line,
                                    const char *member_id, const char *msg);

/*
 * Open a reader over `members` (and `diagnoses`, may be NULL); both FILEs are
 * borrowed. Reads the headers: RCM_E_PARSE (diag says why) when a header
 * lacks a required column. *out returned owned: rcm_risk_reader_free.
 */
RCM_MUST_CHECK enum rcm_err rcm_risk_reader_open(
    FILE *members, FILE *diagnoses, int payment_year,
    rcm_risk_problem_fn problem, void *problem_ctx,
    struct rcm_risk_reader **out, struct rcm_diag *diag);

/*
 * Next scorable member into *rec (valid until the next call). Rows that
 * cannot be scored are reported through the problem callback and skipped;
 * bad codes are reported and dropped. Returns RCM_OK with *eof = true at
 * the end; RCM_E_IO on a read error; RCM_E_NOMEM; RCM_E_PARSE when the diagnosis file is
 * not in member order (fatal: diag names the line).
 */
RCM_MUST_CHECK enum rcm_err rcm_risk_reader_next(struct rcm_risk_reader *r,
                                                 struct rcm_risk_record *rec,
                                                 bool *eof,
                                                 struct rcm_diag *diag);
/* Problems reported so far. */
uint64_t rcm_risk_reader_problems(const struct rcm_risk_reader *r);
/* Bytes of the member file consumed so far (for progress). */
uint64_t rcm_risk_reader_offset(const struct rcm_risk_reader *r);
void rcm_risk_reader_free(struct rcm_risk_reader *r);

/*
 * Is a diagnosis source risk-adjustment eligible? *eligible set on success;
 * false for a source not in the vocabulary (docs/risk.md): empty, f2f,
 * professional, inpatient, outpatient, ip, op, tob:NNN (11x 12x 13x 41x 43x
 * 71x 73x 76x 77x 85x eligible), lab, radiology, dme, ambulance,
 * non-f2f, other.
 */
bool rcm_risk_source_eligible(struct rcm_str source, bool *eligible);

#endif
