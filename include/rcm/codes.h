/*
 * rcm/codes.h — versioned code sets (ICD-10-CM, HCPCS Level II, modifiers,
 * Place of Service, CARC, RARC, adjustment groups, NUCC taxonomy, MCE edits,
 * POA-exempt list), CPT format checks and CMS NCCI tables.
 *
 * The raw files under data/codesets/ are compiled by rcm_codes_build (run by
 * the build, tools/codes/) into one index file that rcm_codes_open maps into
 * memory read-only: opening is O(1) in the number of codes and lookups touch
 * only the pages they need. Every code carries the period it is in force;
 * lookups take a date (days since 1970, see rcm/date.h).
 *
 * NCCI procedure-to-procedure (PTP), MUE and add-on-code (AOC) files are not
 * shipped (CPT content, AMA licence): rcm_codes_ncci_load reads them in the
 * formats CMS publishes from a directory the user configures.
 *
 * This module does not know claims; rcm/scrub.h applies it to them.
 */
#ifndef RCM_CODES_H
#define RCM_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"

/* X(enum suffix, stable name, description) */
#define RCM_CODE_SETS(X)                                                  \
    X(ICD10CM, "icd10cm", "ICD-10-CM diagnoses")                          \
    X(HCPCS, "hcpcs", "HCPCS Level II procedures and supplies")           \
    X(MODIFIER, "modifier", "HCPCS Level II modifiers")                   \
    X(POS, "pos", "CMS Place of Service")                                 \
    X(CARC, "carc", "Claim Adjustment Reason Codes (codes only)")         \
    X(RARC, "rarc", "Remittance Advice Remark Codes (codes only)")        \
    X(ADJ_GROUP, "adj_group", "claim adjustment group codes (CAS01)")     \
    X(TAXONOMY, "taxonomy", "NUCC Health Care Provider Taxonomy")

enum rcm_code_set {
#define RCM_CODE_SET_ENUM(suffix, name, text) RCM_CODESET_##suffix,
    RCM_CODE_SETS(RCM_CODE_SET_ENUM)
#undef RCM_CODE_SET_ENUM
    RCM_CODESET_COUNT
};

/* Stable name ("icd10cm") / parse one; false when unknown. */
const char *rcm_codes_set_name(enum rcm_code_set set);
bool rcm_codes_set_from_name(const char *name, enum rcm_code_set *out);

/* Flags on a code (struct rcm_code_info.flags). */
#define RCM_CODE_BILLABLE          0x0001u /* ICD: a leaf code valid on claims; other sets: always */
#define RCM_CODE_MCE_NEWBORN       0x0002u /* MCE age edit: newborn only */
#define RCM_CODE_MCE_PEDIATRIC     0x0004u
#define RCM_CODE_MCE_MATERNITY     0x0008u
#define RCM_CODE_MCE_ADULT         0x0010u
#define RCM_CODE_MCE_MALE          0x0020u /* MCE sex edit (v37 list) */
#define RCM_CODE_MCE_FEMALE        0x0040u
#define RCM_CODE_MCE_MANIFESTATION 0x0080u /* never principal */
#define RCM_CODE_MCE_UNACCEPTABLE_PDX 0x0100u
#define RCM_CODE_POA_EXEMPT        0x0200u
#define RCM_CODE_POS_FACILITY      0x0400u /* POS paid at the facility rate */

enum rcm_code_status {
    RCM_CODE_VALID = 0,      /* in the set on that date */
    RCM_CODE_UNKNOWN,        /* in no loaded version of the set */
    RCM_CODE_NOT_IN_FORCE,   /* in the set, but not on that date (added later or deleted) */
    RCM_CODE_NO_VERSION,     /* no loaded version of the set covers the date */
};

/* Result of a lookup; strings are borrowed from the open index. */
struct rcm_code_info {
    enum rcm_code_status status;
    uint32_t flags;
    int32_t from_days;        /* first day in force of the matching period */
    int32_t to_days;          /* last day in force (INT32_MAX = open) */
    const char *short_title;  /* NUL-terminated; "" when the set has none */
    const char *long_title;
    const char *version;      /* version in force on the date ("FY2026"), or "" */
    bool beyond_latest;       /* date after the latest version's end: checked
                                 against the latest version (next year's data
                                 not loaded) */
};

struct rcm_codes;

/*
 * Map the index at `path` read-only and check its header and the bounds of
 * every section (O(1) in the number of codes; each record's own offsets are
 * checked when it is read). RCM_E_IO when it cannot be read, RCM_E_PARSE
 * when it is not a valid index (bad magic, other format version or byte
 * order, truncated). *out returned owned (rcm_codes_close).
 */
RCM_MUST_CHECK enum rcm_err rcm_codes_open(const char *path,
                                           struct rcm_codes **out,
                                           struct rcm_diag *diag);
void rcm_codes_close(struct rcm_codes *codes);

/*
 * Look `code` (code_len bytes; dots and case ignored for ICD-10-CM, case for
 * HCPCS/modifiers) up in `set` on `date_days`. Fills *info (status and, when
 * found in any period, the nearest period's data) and returns info->status.
 * Never allocates; safe to call from many threads.
 */
enum rcm_code_status rcm_codes_lookup(const struct rcm_codes *codes,
                                      enum rcm_code_set set, const char *code,
                                      size_t code_len, int32_t date_days,
                                      struct rcm_code_info *info);

/*
 * Look up n codes at once (same set and date): the same answers as n calls
 * of rcm_codes_lookup, but the table accesses of up to 16 codes are issued
 * before any is awaited, so cache misses overlap. For scrubbing a claim's
 * diagnoses or a batch of claims. codes[i] is codes_len[i] bytes.
 */
void rcm_codes_lookup_many(const struct rcm_codes *codes, enum rcm_code_set set,
                           const char *const *code, const size_t *code_len,
                           size_t n, int32_t date_days, struct rcm_code_info *info);

/* Version of `set` in force on `date_days` ("" if none); *beyond_latest as above. */
const char *rcm_codes_version(const struct rcm_codes *codes,
                              enum rcm_code_set set, int32_t date_days,
                              bool *beyond_latest);

/* Number of codes (periods) in a set, and the MCE age range of a category. */
size_t rcm_codes_count(const struct rcm_codes *codes, enum rcm_code_set set);
/* MCE age range for one of RCM_CODE_MCE_{NEWBORN,PEDIATRIC,MATERNITY,ADULT}. */
void rcm_codes_mce_age_range(const struct rcm_codes *codes, uint32_t category,
                             int *min_years, int *max_years);

/* One search result; strings borrowed from the index. */
struct rcm_code_hit {
    char code[16];            /* display form: ICD-10-CM with its dot */
    const char *title;        /* long title */
    uint32_t flags;
    int score;
};

/*
 * Ranked search of `set` on `date_days` for a code picker: `query` is a code
 * prefix ("E11.4") and/or words ("type 2 diabetes with neuropathy"; words
 * match at word starts or inside words, common words are ignored). Codes in
 * force on the date only. Writes up to `max` hits, best first, to hits and
 * their number to *n. RCM_E_INVAL for an empty query.
 */
RCM_MUST_CHECK enum rcm_err rcm_codes_search(const struct rcm_codes *codes,
                                             enum rcm_code_set set,
                                             const char *query,
                                             int32_t date_days,
                                             struct rcm_code_hit *hits,
                                             size_t max, size_t *n);

/*
 * Compile the raw files listed in `data_dir`/codesets.tsv into an index at
 * out_path (written to a temporary name and renamed). RCM_E_IO / RCM_E_PARSE
 * with file and line in diag for unreadable or malformed input.
 */
RCM_MUST_CHECK enum rcm_err rcm_codes_build(const char *data_dir,
                                            const char *out_path,
                                            struct rcm_diag *diag);

/* ICD-10-CM display form: "E119" → "E11.9" (out gets at most 9 bytes). */
void rcm_codes_icd_display(const char *code, size_t n, char out[16]);

/* Procedure code formats (format only; CPT descriptors are never shipped). */
enum rcm_proc_kind {
    RCM_PROC_INVALID = 0,
    RCM_PROC_CPT,        /* Category I: 5 digits */
    RCM_PROC_CPT_II,     /* 4 digits + F */
    RCM_PROC_CPT_III,    /* 4 digits + T */
    RCM_PROC_CPT_PLA,    /* 4 digits + U (proprietary laboratory analyses) */
    RCM_PROC_CPT_MAAA,   /* 4 digits + M (multianalyte assays) */
    RCM_PROC_HCPCS,      /* Level II: letter A-V + 4 digits */
};
enum rcm_proc_kind rcm_codes_proc_kind(const char *code, size_t n);

/* NPI check digit: 10 digits, Luhn over "80840" + the first 9 digits. */
bool rcm_codes_npi_valid(const char *npi, size_t n);

/* ---- NCCI (user-supplied CMS files) ---------------------------------- */

struct rcm_ncci;

/* What one directory held; counts are rows loaded. */
struct rcm_ncci_stats {
    size_t ptp_rows;
    size_t mue_rows;
    size_t aoc_rows;
    size_t files;
};

/*
 * Load every NCCI file in `dir`, recognised by content: PTP edit tables
 * (tab-separated: column 1, column 2, prior-1996 flag, effective date,
 * deletion date or "*", modifier indicator 0/1/9, rationale), MUE tables (CSV:
 * code, MUE value, "N <adjudication indicator text>", rationale) and AOC
 * tables (tab-separated: add-on code, primary code, AOC edit type, effective
 * date, deletion date …). Header and notice lines are skipped; a data line
 * that does not parse is RCM_E_PARSE with file and line in diag. A
 * directory without NCCI files gives an empty table, not an error.
 * Memory is capped at `max_bytes` (0 = 2 GiB). *out owned (rcm_codes_ncci_free).
 */
RCM_MUST_CHECK enum rcm_err rcm_codes_ncci_load(const char *dir,
                                                size_t max_bytes,
                                                struct rcm_ncci **out,
                                                struct rcm_ncci_stats *stats,
                                                struct rcm_diag *diag);
void rcm_codes_ncci_free(struct rcm_ncci *ncci);

/* MUE for `code` on a date: true with *value and *mai (1 line, 2 policy
 * per-day, 3 clinical per-day) when one is in force. */
bool rcm_codes_ncci_mue(const struct rcm_ncci *ncci, const char *code,
                        int32_t date_days, int *value, int *mai);

/* PTP edit for the pair (column1, column2) in force on the date: true with
 * *modifier_indicator (0 never bypassed, 1 bypass with an NCCI modifier). */
bool rcm_codes_ncci_ptp(const struct rcm_ncci *ncci, const char *col1,
                        const char *col2, int32_t date_days,
                        int *modifier_indicator);

/* Add-on code check: true when `code` is an add-on code on the date. Then
 * rcm_codes_ncci_aoc_primary tells whether `primary` is one of its primaries
 * (always true for AOC type 2, contractor-defined primaries). */
bool rcm_codes_ncci_is_addon(const struct rcm_ncci *ncci, const char *code,
                             int32_t date_days);
bool rcm_codes_ncci_aoc_primary(const struct rcm_ncci *ncci,
                                const char *addon, const char *primary,
                                int32_t date_days);

#endif
