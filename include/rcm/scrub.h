/*
 * rcm/scrub.h — the claim scrubber: edits over one claim plus versioned
 * reference data (code sets, NCCI tables, payer rules), producing findings
 * that say what is wrong, where, and how to fix it.
 *
 * Every edit is declared once in RCM_SCRUB_EDITS below; the same table
 * drives the engine, docs/edits.md (`openrcm scrub --list-edits --markdown`)
 * and the API's list of edits (rcm_scrub_edits_json). Edit ids are stable:
 * they are part of the API and of payer-rule files.
 *
 * Findings never contain patient data: messages carry codes, amounts,
 * positions and field names only.
 */
#ifndef RCM_SCRUB_H
#define RCM_SCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rcm/buf.h"
#include "rcm/claim.h"
#include "rcm/codes.h"
#include "rcm/err.h"

enum rcm_scrub_severity {
    RCM_SCRUB_ERROR = 0,   /* blocks submission */
    RCM_SCRUB_WARNING,     /* reported, does not block */
};

/* Claim kinds an edit applies to. */
#define RCM_SCRUB_P 0x1u
#define RCM_SCRUB_I 0x2u
#define RCM_SCRUB_PI (RCM_SCRUB_P | RCM_SCRUB_I)

/*
 * X(ENUM, "stable-id", default severity, kinds, "what it checks", "fix hint")
 */
#define RCM_SCRUB_EDITS(X)                                                      \
    X(REQUIRED_FIELD, "required-field", ERROR, PI,                              \
      "A field the 837 requires is missing (claim id, facility code, "         \
      "frequency, payer id and filing indicator, subscriber member id/name/"    \
      "birth date/sex, billing provider NPI/name/TIN/address, at least one "    \
      "diagnosis and line, line procedure and date; 837I revenue code).",       \
      "Fill in the named field.")                                               \
    X(NPI_CHECK_DIGIT, "npi-check-digit", ERROR, PI,                            \
      "NPI of the billing, rendering, referring or facility provider (and "     \
      "line rendering NPI) is 10 digits starting 1 or 2 with a valid Luhn "     \
      "check digit over the 80840 prefix.",                                     \
      "Re-key the NPI from NPPES; a single mistyped digit fails the check.")    \
    X(TAXONOMY_VALID, "taxonomy-valid", ERROR, PI,                              \
      "Provider taxonomy codes are in the NUCC taxonomy in force.",             \
      "Use the provider's NUCC taxonomy code (10 characters, e.g. 207Q00000X).")\
    X(TIN_FORMAT, "tin-format", ERROR, PI,                                      \
      "Billing provider tax id is 9 digits; an EIN does not start with an "     \
      "unassigned prefix (00, 07, 08, 09, 17, 18, 19, 28, 29, 49, 69, 70, 78, " \
      "79, 89, 96, 97); an SSN is not 000/666/9xx, 00 group or 0000 serial.",   \
      "Enter the 9-digit EIN (no dash) the payer has on file.")                 \
    X(ZIP_FORMAT, "zip-format", ERROR, PI,                                      \
      "ZIP codes are 5 or 9 digits; the billing provider's must be ZIP+4 "      \
      "(9 digits).",                                                            \
      "Use the full ZIP+4 for the billing provider; digits only.")              \
    X(SUBSCRIBER_RELATIONSHIP, "subscriber-relationship", ERROR, PI,            \
      "Relationship code (SBR02/PAT01) is a valid individual relationship "     \
      "code; when the patient is not the subscriber the patient loop is "       \
      "present with name, birth date and sex.",                                 \
      "Use 18 when the patient is the subscriber, else the relationship code "  \
      "and the patient's demographics.")                                        \
    X(SBR05_REQUIRED, "sbr05-required", ERROR, PI,                              \
      "Insurance type code (SBR05) is present when Medicare is a secondary "    \
      "or tertiary payer (filing indicator MA/MB), or when the payer rules "    \
      "demand it; when present it is a valid code.",                            \
      "Add the Medicare secondary payer type (12, 13, 14, 15, 16, 41, 42, "     \
      "43, 47).")                                                               \
    X(FREQUENCY_CODE, "frequency-code", ERROR, PI,                              \
      "Claim frequency code (CLM05-3) is valid for the claim kind (837P: 1, "   \
      "6, 7, 8; 837I: 0-8).",                                                   \
      "Use 1 for an original claim, 7 to replace and 8 to void a prior one.")   \
    X(ORIGINAL_REFERENCE, "original-reference", ERROR, PI,                      \
      "Replacement (7) and void (8) claims carry the payer's claim control "    \
      "number of the original (REF*F8); original claims (1) do not.",           \
      "Copy the payer claim control number from the original claim's "         \
      "remittance (835 CLP07) into original_ref.")                              \
    X(SERVICE_DATE_FUTURE, "service-date-future", ERROR, PI,                    \
      "No service or statement date is after the scrub date.",                  \
      "Correct the date of service or hold the claim until after the service.") \
    X(SERVICE_BEFORE_BIRTH, "service-before-birth", ERROR, PI,                  \
      "No service date is before the patient's birth date.",                    \
      "Check the patient's birth date and the date of service.")                \
    X(DATE_SPAN, "date-span", ERROR, PI,                                        \
      "Service date spans run forward (from <= to), and 837I line dates fall "  \
      "inside the statement period.",                                           \
      "Swap or correct the from/to dates.")                                     \
    X(DX_VALID, "dx-valid", ERROR, PI,                                          \
      "Each diagnosis is an ICD-10-CM code in force on the date of service.",   \
      "Use the code set of the service date: codes deleted on October 1 are "   \
      "invalid from then on.")                                                  \
    X(DX_BILLABLE, "dx-billable", ERROR, PI,                                    \
      "Each diagnosis is billable (a complete code, not a category header).",   \
      "Code to the highest specificity: pick a child code of the header.")      \
    X(DX_COUNT, "dx-count", ERROR, PI,                                          \
      "A claim carries at most 12 diagnoses (837P HI) or 25 (837I: principal "  \
      "and 24 others), none repeated.",                                         \
      "Keep the diagnoses that the lines point at; drop repeats.")              \
    X(DX_POINTER, "dx-pointer", ERROR, P,                                       \
      "Each line points at 1-4 existing diagnoses, without repeats.",           \
      "Point the line at the diagnosis positions (1-12) that support it.")      \
    X(PRINCIPAL_DX_UNACCEPTABLE, "principal-dx-unacceptable", ERROR, PI,        \
      "The first-listed diagnosis is not on the MCE unacceptable-principal "    \
      "list (mostly Z codes that describe circumstances, not a reason for "     \
      "care).",                                                                 \
      "List the condition that occasioned the care first.")                     \
    X(MANIFESTATION_FIRST, "manifestation-first", ERROR, PI,                    \
      "A manifestation code (MCE list) is not the first-listed diagnosis.",     \
      "Sequence the underlying etiology first, then the manifestation.")        \
    X(MCE_AGE, "mce-age-conflict", WARNING, PI,                                 \
      "Diagnoses limited by MCE to newborn (0), pediatric (0-17), maternity "   \
      "(9-64) or adult (15-124) ages match the patient's age on the service "   \
      "date.",                                                                  \
      "Check the birth date and the diagnosis.")                                \
    X(MCE_SEX, "mce-sex-conflict", WARNING, PI,                                 \
      "Diagnoses limited by MCE (v37 lists) to one sex match the patient's "    \
      "sex. CMS retired the sex edit for Medicare on 2024-10-01, hence a "      \
      "warning.",                                                               \
      "Check the patient's sex and the diagnosis.")                             \
    X(POA_INDICATOR, "poa-indicator", ERROR, I,                                 \
      "837I diagnoses carry a present-on-admission indicator Y, N, U or W "     \
      "unless the code is POA-exempt (then blank or 1).",                       \
      "Add the POA indicator; leave it blank for exempt codes.")                \
    X(PROCEDURE_FORMAT, "procedure-format", ERROR, PI,                          \
      "Procedure codes have a CPT (5 digits; Category II ####F, III ####T, "    \
      "PLA ####U, MAAA ####M) or HCPCS Level II (A-V + 4 digits) shape.",       \
      "Use a 5-character CPT or HCPCS code without spaces or descriptors.")     \
    X(HCPCS_VALID, "hcpcs-valid", ERROR, PI,                                    \
      "HCPCS Level II codes are in the HCPCS release in force on the service "  \
      "date (CPT codes are format-checked only).",                              \
      "Use a current HCPCS Level II code.")                                     \
    X(MODIFIER_VALID, "modifier-valid", ERROR, PI,                              \
      "Modifiers are 2 characters: HCPCS Level II modifiers must be in the "    \
      "modifier list in force; numeric (CPT) modifiers are format-checked.",    \
      "Use a valid modifier; CPT modifiers are two digits.")                    \
    X(MODIFIER_COUNT, "modifier-count", ERROR, PI,                              \
      "At most four modifiers per line and none repeated.",                     \
      "Keep the four that affect payment first; drop repeats.")                 \
    X(POS_VALID, "pos-valid", ERROR, P,                                         \
      "Place of service (CLM05-1 and SV105) is a CMS place-of-service code.",   \
      "Use the 2-digit CMS POS code (11 office, 22 outpatient hospital …).")    \
    X(CHARGE_POSITIVE, "charge-positive", ERROR, PI,                            \
      "Line charges and the claim total are greater than zero.",                \
      "Enter the billed charge; zero-charge lines go on the claim only when "   \
      "the payer asks for them.")                                               \
    X(CLAIM_TOTAL, "claim-total", ERROR, PI,                                    \
      "The claim total (CLM02) equals the sum of the line charges.",            \
      "Recompute the total from the lines.")                                    \
    X(UNITS_POSITIVE, "units-positive", ERROR, PI,                              \
      "Line units are greater than zero.",                                      \
      "Enter the number of units actually rendered.")                           \
    X(MUE_UNITS, "mue-units", ERROR, PI,                                        \
      "Units of a code do not exceed its CMS medically unlikely edit: per "     \
      "line (MAI 1) or per code and date of service (MAI 2 and 3).",            \
      "Check the units; for MAI 1 split into lines with anatomic modifiers, "   \
      "for MAI 3 attach documentation of medical necessity.")                   \
    X(ADDON_WITHOUT_PRIMARY, "addon-without-primary", ERROR, PI,                \
      "An add-on code (NCCI AOC) is billed with one of its primary codes on "   \
      "the claim.",                                                             \
      "Add the primary procedure, or remove the add-on code.")                  \
    X(NCCI_PTP, "ncci-ptp", ERROR, PI,                                          \
      "No NCCI procedure-to-procedure pair is billed on the same date unless "  \
      "the edit allows a modifier (indicator 1) and the column-2 (or "          \
      "column-1) line carries an NCCI-associated modifier (59, XE, XP, XS, "    \
      "XU, 25, 91, anatomic …).",                                               \
      "Remove the column-2 code or, when the services were distinct and the "   \
      "edit allows it, add the appropriate modifier.")                          \
    X(DUPLICATE_LINE, "duplicate-line", WARNING, PI,                            \
      "No two lines have the same procedure, modifiers, dates and charge.",     \
      "Merge the lines into one with more units, or add a modifier (76/77) "    \
      "when the service was repeated.")                                         \
    X(DUPLICATE_CLAIM, "duplicate-claim", ERROR, PI,                            \
      "The claim is not a repeat (same billing NPI, member, payer, dates, "     \
      "total and lines) of one already scrubbed in this batch or history.",     \
      "Do not resend; use frequency 7 to correct a claim already sent.")        \
    X(TIMELY_FILING, "timely-filing", ERROR, PI,                                \
      "The claim is sent within the payer's timely-filing limit from the "      \
      "earliest date of service (Medicare: 365 days); a warning 30 days "       \
      "before the limit.",                                                      \
      "Send at once; past the limit, appeal only with proof of timely filing.") \
    X(SELF_PAY_RESTRICTION, "self-pay-restriction", ERROR, PI,                  \
      "Lines the patient paid in full and restricted from the health plan "     \
      "(HIPAA right to restrict) are not sent to the plan.",                    \
      "Remove the restricted lines (bill them to the patient) before sending.") \
    X(CODESET_VERSION, "codeset-version", WARNING, PI,                          \
      "A code set version covering the service date is loaded.",                \
      "Add the newer code-set files to data/codesets and rebuild the index.")   \
    X(PAYER_REQUIRED_FIELD, "payer-required-field", ERROR, PI,                  \
      "Fields the payer's rule file lists under [required] are present.",       \
      "Fill in the field the payer requires.")                                  \
    X(PAYER_HOLD, "payer-hold", ERROR, PI,                                      \
      "A [hold] condition of the payer's rule file matches: the claim is "      \
      "held for review.",                                                       \
      "Review the claim as the hold's message says, then release it.")

enum rcm_scrub_edit {
#define RCM_SCRUB_EDIT_ENUM(e, id, sev, kinds, what, hint) RCM_EDIT_##e,
    RCM_SCRUB_EDITS(RCM_SCRUB_EDIT_ENUM)
#undef RCM_SCRUB_EDIT_ENUM
    RCM_EDIT_COUNT
};

struct rcm_scrub_edit_info {
    const char *id;
    enum rcm_scrub_severity severity;
    unsigned kinds;
    const char *what;
    const char *hint;
};

/* Table row of an edit; NULL when out of range. */
const struct rcm_scrub_edit_info *rcm_scrub_edit_info(enum rcm_scrub_edit edit);
/* Edit by stable id; false when unknown. */
bool rcm_scrub_edit_find(const char *id, enum rcm_scrub_edit *out);
/* The edit list for the API: [{id, severity, applies_to, description, hint}].
 * Returned owned (json_decref); NULL on allocation failure. */
json_t *rcm_scrub_edits_json(void);
/* docs/edits.md content, appended to out. */
RCM_MUST_CHECK enum rcm_err rcm_scrub_edits_markdown(struct rcm_buf *out);

const char *rcm_scrub_severity_name(enum rcm_scrub_severity sev);

#define RCM_SCRUB_MAX_PARAMS 4
#define RCM_SCRUB_FIELD_MAX 48
#define RCM_SCRUB_MSG_MAX 200

struct rcm_scrub_param {
    const char *key;                 /* static */
    char value[32];
};

struct rcm_scrub_finding {
    enum rcm_scrub_edit edit;
    enum rcm_scrub_severity severity;
    uint32_t line;                   /* 1-based line position; 0 = claim level */
    char field[RCM_SCRUB_FIELD_MAX]; /* "billing.npi", "lines[2].modifiers[1]" */
    char message[RCM_SCRUB_MSG_MAX];
    struct rcm_scrub_param params[RCM_SCRUB_MAX_PARAMS];
    uint8_t n_params;
};

/* Findings of one claim; reuse with rcm_scrub_result_reset. */
struct rcm_scrub_result {
    struct rcm_scrub_finding *findings;
    size_t n, cap, max;
    size_t n_errors, n_warnings;
    bool truncated;                  /* more than `max` findings */
    const char *payer_rule;          /* name of the payer rule applied, or "" */
    /* code-set version in force on the earliest date of service ("" when
     * none or no index); borrowed from the index */
    const char *versions[RCM_CODESET_COUNT];
};

void rcm_scrub_result_init(struct rcm_scrub_result *res, size_t max_findings);
void rcm_scrub_result_reset(struct rcm_scrub_result *res);
void rcm_scrub_result_release(struct rcm_scrub_result *res);
/* Findings as JSON [{edit, severity, line, field, message, hint, params}]. */
json_t *rcm_scrub_result_json(const struct rcm_scrub_result *res);

/* ---- payer rules ------------------------------------------------------ */

struct rcm_payer_rules;

/*
 * Load every *.ini in `dir` (format in docs/payer-rules.md). A file is one
 * payer or payer group. RCM_E_PARSE with file and line for a bad file
 * (unknown key, unknown edit id, unknown field, bad operator). *out owned
 * (rcm_payer_rules_free).
 */
RCM_MUST_CHECK enum rcm_err rcm_payer_rules_load(const char *dir,
                                                 struct rcm_payer_rules **out,
                                                 struct rcm_diag *diag);
/*
 * One rule from INI text of `len` bytes (a tenant's own rule for one payer,
 * docs/payer-rules.md "A tenant's own rules"), checked as strictly as a
 * file: RCM_E_PARSE with "<name> line N: ..." (diag->line = N). `name` is
 * the file name in messages and the rule's name in findings unless the text
 * sets [payer] name. Text that names no payer_ids, filing_indicators or
 * default matches every claim it is scrubbed with (the caller offers it
 * only that payer's claims). RCM_E_TOO_LARGE above RCM_PAYER_RULES_TEXT_MAX.
 * *out owned (rcm_payer_rules_free).
 */
#define RCM_PAYER_RULES_TEXT_MAX 65536
RCM_MUST_CHECK enum rcm_err rcm_payer_rules_parse(const char *name, const char *text,
                                                  size_t len, struct rcm_payer_rules **out,
                                                  struct rcm_diag *diag);
void rcm_payer_rules_free(struct rcm_payer_rules *rules);
size_t rcm_payer_rules_count(const struct rcm_payer_rules *rules);

/* ---- duplicate-claim history ------------------------------------------- */

/* Fingerprints (hashes, no PHI) of claims already seen. */
struct rcm_scrub_history;
RCM_MUST_CHECK enum rcm_err rcm_scrub_history_new(size_t max_claims,
                                                  struct rcm_scrub_history **out);
void rcm_scrub_history_free(struct rcm_scrub_history *hist);

/* ---- scrubbing -------------------------------------------------------- */

/* Reference data for a scrub; all borrowed, any may be NULL (the edits that
 * need it are then skipped: codes → code-set edits, ncci → MUE/PTP/AOC). */
struct rcm_scrub_ref {
    const struct rcm_codes *codes;
    const struct rcm_ncci *ncci;
    const struct rcm_payer_rules *rules;
};

/*
 * Run every applicable edit over `claim` as of `today_days` (the day it will
 * be sent), appending findings to `res` (reset first by the caller). The
 * payer rule is chosen by payer id, then filing indicator, then the rule
 * named "default". `hist` (may be NULL) records the claim for the
 * duplicate-claim edit. Pure apart from `hist`; no allocation beyond the
 * result's findings array. Returns RCM_E_NOMEM only. Threads may share
 * `ref` (read-only); a history and a result belong to one thread at a time.
 */
RCM_MUST_CHECK enum rcm_err rcm_scrub_claim(const struct rcm_scrub_ref *ref,
                                            const struct rcm_claim *claim,
                                            int32_t today_days,
                                            struct rcm_scrub_history *hist,
                                            struct rcm_scrub_result *res);

/* ---- claim input ------------------------------------------------------- */

struct rcm_arena;

/*
 * A claim reader turns one input document into claims allocated in `arena`
 * (*claims points at an array of *n claims): rcm_claim_json_read and
 * rcm_claim_x12_read (whole 837 in memory) below. For large 837 files use
 * the streaming mapper (rcm_claim_x12_new) instead.
 */
typedef enum rcm_err (*rcm_claim_reader_fn)(const char *data, size_t len,
                                            struct rcm_arena *arena,
                                            struct rcm_claim **claims,
                                            size_t *n, struct rcm_diag *diag);

/*
 * The documented claim JSON (docs/scrub.md): one claim object or an array of
 * them. Strict: unknown keys, wrong types, bad dates/amounts/codes lengths
 * are RCM_E_PARSE with the JSON path in diag (never the value).
 */
RCM_MUST_CHECK enum rcm_err rcm_claim_json_read(const char *data, size_t len,
                                                struct rcm_arena *arena,
                                                struct rcm_claim **claims,
                                                size_t *n,
                                                struct rcm_diag *diag);

/* ---- 837 input (src/scrub/scrub_from_x12.c) ---------------------------- */

struct rcm_x12_seg;
struct rcm_x12_loop_ctx;

/* Where a mapped claim sits in the 837 stream (no PHI). */
struct rcm_claim_x12_info {
    uint64_t claim_index;     /* 0-based claim number in the stream */
    uint64_t seg_index;       /* index of its CLM segment in the stream */
    uint64_t offset_bytes;    /* byte offset of its CLM segment */
    uint32_t lines_dropped;   /* service lines beyond 999 (ignored) */
    uint32_t dx_dropped;      /* diagnoses beyond 25 (ignored) */
    uint32_t values_cut;      /* values longer than the guide allows (cut) */
};

/* Called once per claim; `claim` and its strings are valid for the call
 * only. A non-OK return stops the mapping (rcm_claim_x12_finish returns it). */
typedef enum rcm_err (*rcm_claim_x12_fn)(void *ctx, const struct rcm_claim *claim,
                                         const struct rcm_claim_x12_info *info);

/* 837P (005010X222A1) / 837I (005010X223A2) → struct rcm_claim mapper. */
struct rcm_claim_x12;

/*
 * New mapper. Plug it into the X12 validator (include/rcm/x12.h):
 * opts.on_segment = rcm_claim_x12_segment, opts.ctx = the mapper. Each
 * complete 2300 claim, with its billing provider, subscriber, payer and
 * patient context, is handed to on_claim. Memory is fixed (about 300 KB)
 * whatever the input size. Field mapping: docs/scrub.md "837 input".
 */
RCM_MUST_CHECK enum rcm_err rcm_claim_x12_new(rcm_claim_x12_fn on_claim, void *ctx,
                                              struct rcm_claim_x12 **out);
void rcm_claim_x12_free(struct rcm_claim_x12 *m);
/* rcm_x12_segment_fn: ctx is the mapper. */
void rcm_claim_x12_segment(void *mapper, const struct rcm_x12_seg *seg,
                           const struct rcm_x12_loop_ctx *loops);
/* End of input: hand out a claim cut short; the first callback error, if any. */
RCM_MUST_CHECK enum rcm_err rcm_claim_x12_finish(struct rcm_claim_x12 *m);
/* 837 transaction sets and claims seen so far. */
uint64_t rcm_claim_x12_sets(const struct rcm_claim_x12 *m);
uint64_t rcm_claim_x12_claims(const struct rcm_claim_x12 *m);

/*
 * rcm_claim_reader_fn for a whole 837 in memory: validates it and maps every
 * claim into `arena`. Strict: RCM_E_PARSE when the validator reports any
 * error-level finding (diag: its code, segment id and position, never a
 * value) or when no 837 transaction set is present. At most 100,000 claims.
 * Streaming callers (the CLI) use the mapper above instead.
 */
RCM_MUST_CHECK enum rcm_err rcm_claim_x12_read(const char *data, size_t len,
                                               struct rcm_arena *arena,
                                               struct rcm_claim **claims, size_t *n,
                                               struct rcm_diag *diag);

#endif
