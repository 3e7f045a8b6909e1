/*
 * rcm/x12.h — X12 5010 EDI: streaming segment reader and envelope checker.
 *
 * The reader is a pull parser over input that arrives in pieces of any size
 * (a file read in blocks, a pipe, a socket): the caller feeds a buffer, then
 * calls rcm_x12_reader_next() until it answers RCM_X12_NEED_MORE, then feeds
 * the next buffer. Segments are returned as slices that point straight into
 * the caller's buffer (zero copy); only a segment that is split across two
 * feeds is assembled in the reader's own buffer, which is capped at
 * max_segment_bytes. The result — every segment and every error, with its
 * byte offset — is the same however the input is split.
 *
 * Delimiters are taken from each ISA: element separator = byte 3 of the ISA,
 * component separator = ISA16, segment terminator = the byte after ISA16,
 * repetition separator = ISA11 when ISA12 >= 00402 and ISA11 is not
 * alphanumeric. A file may hold several interchanges, each with its own
 * delimiters. A UTF-8 byte order mark and CR/LF (or spaces/tabs) between
 * segments are tolerated. Problems in the byte stream (empty segment, data
 * outside an interchange, bad ISA, segment too long, truncated input) are
 * reported as RCM_X12_ERROR events; reading continues after each one.
 *
 * What this is not: the reader knows nothing about transaction sets. The
 * envelope checker (rcm_x12_env_*) checks ISA/IEA, GS/GE, ST/SE pairing,
 * control numbers and counts on top of the segment stream.
 */
#ifndef RCM_X12_H
#define RCM_X12_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/buf.h"
#include "rcm/err.h"
#include "rcm/str.h"

/* ---------------------------------------------------------------- reader */

struct rcm_x12_delims {
    char element;     /* ISA byte 3 */
    char component;   /* ISA16 */
    char repetition;  /* ISA11, or 0 when the interchange has none */
    char segment;     /* the byte after ISA16 */
};

#define RCM_X12_MAX_SEGMENT_BYTES_DEFAULT (1u << 20)
#define RCM_X12_ISA_MAX_BYTES 256  /* an ISA is 106 bytes; tolerate padding errors */

/* Element slices the reader keeps per segment (see rcm_x12_seg.els). */
#define RCM_X12_SEG_ELEMS_MAX 128

/*
 * One segment. `raw` is the segment without its terminator: "NM1*85*2*..." —
 * borrowed, valid until the next call to rcm_x12_reader_next or _feed.
 */
struct rcm_x12_seg {
    char id[4];                   /* "NM1", NUL-terminated */
    uint32_t key;                 /* the id's 4 bytes as a little-endian number */
    struct rcm_str raw;
    struct rcm_x12_delims delims; /* of the interchange the segment is in */
    uint64_t offset_bytes;        /* stream offset of the segment's first byte */
    uint64_t index;               /* 0-based index among all segments of the stream */
    /* The element split of raw, when the reader found it while looking for
     * the terminator (NULL otherwise — then split raw yourself): exactly
     * what rcm_x12_seg_elements would give, els[0] the id, n_els the total
     * count, of which the first min(n_els, RCM_X12_SEG_ELEMS_MAX) are in
     * els. Borrowed from the reader, valid as long as raw. */
    const struct rcm_str *els;
    size_t n_els;
};

enum rcm_x12_read_code {
    RCM_X12_RE_EMPTY_SEGMENT = 1,   /* a terminator right after a terminator */
    RCM_X12_RE_OUTSIDE,             /* bytes outside an interchange (before ISA / after IEA) */
    RCM_X12_RE_BAD_ISA,             /* ISA too short/long or unusable delimiters (alphanumeric, space, NUL, not distinct) */
    RCM_X12_RE_TOO_LONG,            /* segment longer than max_segment_bytes (skipped) */
    RCM_X12_RE_BAD_SEGMENT_ID,      /* id not 2-3 upper-case letters/digits (skipped) */
    RCM_X12_RE_TRUNCATED,           /* input ended inside a segment or an ISA (a missing IEA is the validator's iea_missing) */
    RCM_X12_RE_ISA_IN_INTERCHANGE,  /* a new ISA before the IEA of the current one */
};

/* Stable machine name of a read error code ("empty_segment"). */
const char *rcm_x12_read_code_name(enum rcm_x12_read_code code);

struct rcm_x12_read_error {
    enum rcm_x12_read_code code;
    uint64_t offset_bytes;   /* where the problem starts in the stream */
    uint64_t seg_index;      /* index of the next segment; for bad_segment_id
                                the index the bad segment takes (counted) */
    bool counted;            /* the bytes were a segment (it takes an index) */
    char id[4];              /* for bad_segment_id: the first bytes (<= 3) */
    char msg[160];           /* human text; never contains element values */
};

enum rcm_x12_event {
    RCM_X12_SEGMENT = 1,  /* *seg is filled */
    RCM_X12_ERROR,        /* *err is filled; keep calling next */
    RCM_X12_NEED_MORE,    /* the fed buffer is used up: feed more (or eof) */
    RCM_X12_END,          /* eof was fed and everything is reported */
};

/* Reader state: treat as opaque (public only so it can live on the stack). */
struct rcm_x12_reader {
    /* configuration */
    size_t max_segment_bytes;
    bool split_elements;     /* fill seg->els (init sets it; clear it after
                                init when only raw segments are wanted) */
    /* input */
    const char *chunk;
    size_t chunk_len;
    size_t pos;
    bool eof;
    uint64_t chunk_offset;   /* stream offset of chunk[0] */
    /* state */
    int state;
    struct rcm_x12_delims delims;
    struct rcm_buf carry;    /* a segment split across feeds */
    uint64_t seg_start;      /* offset of the segment being assembled */
    bool skipping;           /* discarding an over-long segment */
    uint64_t seg_index;
    int bom_matched;
    int isa_matched;         /* bytes of "ISA" matched while seeking */
    uint64_t garbage_start;  /* offset of pending outside-interchange bytes */
    bool garbage;
    char isa[RCM_X12_ISA_MAX_BYTES];
    size_t isa_len;
    int isa_seps;
    bool isa_c16;            /* ISA16 has been read */
    bool end_reported;
    bool in_interchange;     /* an ISA was read and its IEA not yet */
    struct rcm_str els[RCM_X12_SEG_ELEMS_MAX];  /* split of the last segment */
    size_t n_els;
};

/*
 * Prepare a reader. max_segment_bytes = 0 takes the default (1 MiB). The
 * reader owns only its carry buffer; release it with rcm_x12_reader_release.
 * Segments come with their element split (seg->els) unless the caller sets
 * r->split_elements = false afterwards (a little faster when only the raw
 * segments are used).
 */
void rcm_x12_reader_init(struct rcm_x12_reader *r, size_t max_segment_bytes);
void rcm_x12_reader_release(struct rcm_x12_reader *r);

/*
 * Give the reader the next piece of input (borrowed: it must stay valid until
 * next() answers RCM_X12_NEED_MORE or RCM_X12_END). `eof` marks the last
 * piece (n may be 0). Call only after next() answered RCM_X12_NEED_MORE (or
 * right after init).
 */
void rcm_x12_reader_feed(struct rcm_x12_reader *r, const char *p, size_t n,
                         bool eof);

/*
 * Advance. Returns the event; fills *seg for RCM_X12_SEGMENT and *err for
 * RCM_X12_ERROR (both must be non-NULL). Out of memory while assembling a
 * split segment is reported as RCM_X12_RE_TOO_LONG for that segment.
 */
enum rcm_x12_event rcm_x12_reader_next(struct rcm_x12_reader *r,
                                       struct rcm_x12_seg *seg,
                                       struct rcm_x12_read_error *err);

/*
 * Split a segment into elements: out[0] is the segment id, out[i] element i.
 * Fills at most `max` slices and returns the total count (so a return > max
 * means some were left out). Slices point into seg->raw. Uses seg->els
 * when the reader filled it.
 */
size_t rcm_x12_seg_elements(const struct rcm_x12_seg *seg, struct rcm_str *out,
                            size_t max);

/* Element `i` (1-based; 0 = id) or an empty slice when absent. */
struct rcm_str rcm_x12_seg_element(const struct rcm_x12_seg *seg, size_t i);

/*
 * Split `s` at separator `sep` (component or repetition); same contract as
 * rcm_x12_seg_elements. A zero `sep` yields `s` itself.
 */
size_t rcm_x12_split(struct rcm_str s, char sep, struct rcm_str *out,
                     size_t max);

/* ------------------------------------------------------------- validator */

/*
 * The validator takes the reader's events and checks, in one streaming pass
 * and constant memory:
 *   - the envelope: ISA fields, ISA/IEA, GS/GE, ST/SE pairing, control
 *     numbers, counts, duplicate control numbers (TA1 / AK9 / IK5 codes);
 *   - each transaction set against its implementation guide schema (837P
 *     X222A1, 837I X223A2, 835 X221A1, 277 X212, 277CA X214, 999 X231A1):
 *     loops found by first segment + qualifier in context, usage R/S/N,
 *     repeats, element types and lengths, code lists, syntax rules, HL rules.
 * Every problem is a finding handed to on_finding. When `ack` is set, a 999
 * interchange (with a TA1 between its ISA and first GS when the received
 * ISA14 asks for one or the interchange envelope has errors) is appended
 * for each received interchange.
 */

enum rcm_x12_severity { RCM_X12_SEV_ERROR = 1, RCM_X12_SEV_WARNING = 2 };

/* Where a finding belongs in the acknowledgment. */
enum rcm_x12_level {
    RCM_X12_LVL_INTERCHANGE = 1,  /* TA1 (ack_code = TA105) */
    RCM_X12_LVL_GROUP,            /* AK9 (ack_code = AK905) */
    RCM_X12_LVL_SET,              /* IK5 (ack_code = IK502) */
    RCM_X12_LVL_SEGMENT,          /* IK3 (ack_code = IK304) */
    RCM_X12_LVL_ELEMENT,          /* IK4 (ack_code = IK403) */
};

#define RCM_X12_BAD_VALUE_MAX 64

struct rcm_x12_finding {
    enum rcm_x12_severity severity;
    enum rcm_x12_level level;
    const char *code;         /* stable machine name, e.g. "element_too_long" */
    const char *ack_code;     /* the TA105/AK905/IK502/IK304/IK403 value */
    char seg_id[4];           /* segment the finding is about ("" if none) */
    uint64_t offset_bytes;    /* stream offset of that segment */
    uint64_t seg_index;       /* its index in the stream */
    uint32_t set_position;    /* 1-based position in the transaction set (ST = 1); 0 outside */
    char loop_id[12];         /* innermost loop ("2300"), "" outside a set */
    int element;              /* 1-based element position, 0 = not element level */
    int component;            /* 1-based component position, 0 = none */
    int repetition;           /* 1-based repetition, 0 = none */
    const char *data_ele;     /* data element dictionary number ("1028") or NULL */
    char bad_value[RCM_X12_BAD_VALUE_MAX]; /* copy of the offending value (may hold PHI) */
    char msg[160];            /* human text, no element values */
};

typedef void (*rcm_x12_finding_fn)(void *ctx, const struct rcm_x12_finding *f);

/* Loop context handed to on_segment: loops[0] is the outermost. */
struct rcm_x12_loop_ctx {
    int depth;                   /* number of entries in loops[] */
    const char *loops[16];       /* loop ids: "ISA_LOOP", "GS_LOOP", "ST_LOOP", "2000A", … */
    const char *names[16];       /* loop names from the schema (or NULL) */
    uint64_t instance[16];       /* unique per loop occurrence */
    const char *seg_name;        /* schema name of the segment, or NULL */
};

typedef void (*rcm_x12_segment_fn)(void *ctx, const struct rcm_x12_seg *seg,
                                   const struct rcm_x12_loop_ctx *loops);

struct rcm_x12_validate_opts {
    rcm_x12_finding_fn on_finding;   /* may be NULL */
    rcm_x12_segment_fn on_segment;   /* may be NULL; every segment with its loops */
    void *ctx;
    bool no_external_codes;          /* skip external code sets (states, POS, RARC …) */
    bool no_npi_check;               /* skip the NPI check digit of NM109 when NM108 = XX
                                        (warning invalid_npi; public samples carry dummy
                                        NPIs) */
    bool situational;                /* also check the situational ("required when")
                                        rules, SNIP type 4 (docs/x12/validation.md) */
    struct rcm_buf *ack;             /* NULL = no acknowledgment */
    uint32_t ack_isa13;              /* control number of the first ack interchange (default 1) */
    const char *ack_date;            /* CCYYMMDD for the ack envelope (default today, UTC) */
    const char *ack_time;            /* HHMM (default now, UTC) */
    uint32_t max_ik3_per_set;        /* IK3 loops written per set (default 100) */
};

struct rcm_x12_stats {
    uint64_t interchanges, groups, sets, sets_accepted, sets_rejected;
    uint64_t segments, errors, warnings;
};

struct rcm_x12_validator;

/* New validator; opts is copied (its pointers are borrowed). NULL on OOM. */
struct rcm_x12_validator *rcm_x12_validator_new(const struct rcm_x12_validate_opts *opts);
void rcm_x12_validator_free(struct rcm_x12_validator *v);

/* Feed one reader event. Errors only for out of memory / ack too large. */
RCM_MUST_CHECK enum rcm_err rcm_x12_validator_segment(struct rcm_x12_validator *v,
                                                      const struct rcm_x12_seg *seg);
RCM_MUST_CHECK enum rcm_err rcm_x12_validator_read_error(struct rcm_x12_validator *v,
                                                         const struct rcm_x12_read_error *err);
/* End of input: close whatever is open (reporting it) and flush the ack. */
RCM_MUST_CHECK enum rcm_err rcm_x12_validator_finish(struct rcm_x12_validator *v);
const struct rcm_x12_stats *rcm_x12_validator_stats(const struct rcm_x12_validator *v);

/*
 * Convenience: read and validate a whole buffer (the reader + validator
 * loop). `stats` may be NULL.
 */
RCM_MUST_CHECK enum rcm_err rcm_x12_validate_buffer(const char *p, size_t n,
                                                    const struct rcm_x12_validate_opts *opts,
                                                    struct rcm_x12_stats *stats);

/* Name of a severity ("error"/"warning") and level ("segment", …). */
const char *rcm_x12_severity_name(enum rcm_x12_severity s);
const char *rcm_x12_level_name(enum rcm_x12_level l);

/* ------------------------------------------------------------------ JSON */

/*
 * Streaming X12 -> JSON in the stable form documented in docs/x12/json.md
 * ("openrcm-x12-json/1"): interchanges, groups, transaction sets and the
 * implementation-guide loops as nested {"loop", "name", "content"} objects,
 * segments as {"seg", "name", "el": {"NM101": "85", ...}}. Feed it every
 * segment with its loop context (it has the rcm_x12_segment_fn shape, so it
 * can be the validator's on_segment with the writer as ctx). Output is
 * appended to `out`; the caller may drain and reset `out` between segments,
 * so memory stays constant.
 */
struct rcm_x12_json_writer {
    struct rcm_buf *out;
    int depth;                   /* loops currently open in the output */
    uint64_t instance[16];
    bool comma[18];              /* something was written at this level */
    bool started;
    enum rcm_err err;            /* first failure (sticky) */
};

void rcm_x12_json_writer_init(struct rcm_x12_json_writer *w, struct rcm_buf *out);
/* rcm_x12_segment_fn: ctx is the writer. */
void rcm_x12_json_writer_segment(void *ctx, const struct rcm_x12_seg *seg,
                                 const struct rcm_x12_loop_ctx *loops);
/* Close everything; returns the first error (RCM_E_TOO_LARGE / RCM_E_NOMEM). */
RCM_MUST_CHECK enum rcm_err rcm_x12_json_writer_finish(struct rcm_x12_json_writer *w);

/*
 * JSON (the form above) -> X12, appended to `out`: one segment per line
 * (terminator then "\n", unless the terminator is itself a line feed).
 * Loops are only structure: segments are written in document order. Values
 * containing a delimiter, bad keys or ids are RCM_E_INVAL with `diag`.
 * The JSON document is parsed whole (memory proportional to its size).
 */
RCM_MUST_CHECK enum rcm_err rcm_x12_from_json(const char *p, size_t n,
                                              struct rcm_buf *out,
                                              struct rcm_diag *diag);

/* ----------------------------------------------------------------- model */

/*
 * Domain structs for the RCM layer, filled from a transaction stream one
 * claim at a time (837P/837I claims, 835 claim payments), and writers that
 * produce valid 837P and 835 interchanges from them. Fixed-size fields:
 * values longer than a field are truncated (the validator has already
 * reported anything longer than the guide allows). Amounts are int64 cents,
 * dates int32 days since 1970 (RCM_X12_NO_DATE when absent). These structs
 * hold PHI: wipe or arena-free them accordingly.
 */
#define RCM_X12_NO_DATE INT32_MIN
#define RCM_X12_MAX_DX 12
#define RCM_X12_MAX_LINES 50
#define RCM_X12_MAX_ADJ 18
/* Remark codes (RARC) kept per service line (LQ*HE) and per claim payment
 * (MOA/MIA); more are dropped (counted in the claim payment's
 * n_remarks_dropped). */
#define RCM_X12_MAX_REMARKS 8
#define RCM_X12_REMARK_MAX 8      /* "MA130" + NUL, room to spare */
/* Provider-level adjustments (PLB composites) kept per 835 transaction set;
 * a PLB segment holds up to 6. More are counted in n_plb_dropped. */
#define RCM_X12_MAX_PLB 64

struct rcm_x12_party {
    char entity_type;        /* NM102: '1' person, '2' organisation */
    char last_or_org[61];    /* NM103 */
    char first[36];          /* NM104 */
    char id_qualifier[3];    /* NM108: XX (NPI), MI, PI, ... */
    char id[81];             /* NM109 */
    char address[56];        /* N301 */
    char city[31];           /* N401 */
    char state[3];           /* N402 */
    char zip[16];            /* N403 */
};

struct rcm_x12_adjustment {
    char group[3];           /* CAS01: CO, PR, OA, PI, CR */
    char reason[6];          /* CARC */
    int64_t amount_cents;
};

struct rcm_x12_line {
    char proc_qualifier[3];  /* HC, NU, ... */
    char procedure[49];
    char modifiers[4][3];
    char revenue_code[5];    /* 837I SV201 */
    int64_t charge_cents;
    int64_t paid_cents;      /* 835 SVC03 */
    char unit[3];            /* UN, MJ, DA ... */
    int64_t units_milli;     /* quantity x 1000 */
    int32_t service_date_days;
    /* 837 writer only (the model leaves them empty): SV105 place of service
     * (837P), SV107 diagnosis pointers (837P, 1-based into dx[]; none = "1") */
    char pos[3];
    uint8_t dx_pointers[4];
    int n_dx_pointers;
    /* REF*6R line item control number ("L<claim line id>"): written in the
     * 837's 2400 loop, read back from the 835's 2110 loop that echoes it */
    char control[31];

    int n_adj;
    struct rcm_x12_adjustment adj[RCM_X12_MAX_ADJ];
    /* ---- 835 service payment detail (2110; posting engine) ---- */
    char orig_proc_qualifier[3];  /* SVC06-1: set only when the payer changed */
    char orig_procedure[49];      /*   the billed code or modifiers; SVC06-2 */
    char orig_modifiers[4][3];    /* SVC06-3..6 */
    int64_t orig_units_milli;     /* SVC07 x 1000 (0 = absent) */
    bool has_allowed;
    int64_t allowed_cents;        /* AMT*B6 */
    int n_remarks;
    char remarks[RCM_X12_MAX_REMARKS][RCM_X12_REMARK_MAX];  /* LQ*HE RARCs */
    /* ---- end of 835 service payment detail ---- */
};

#define RCM_X12_MAX_OTHER_PAYERS 3      /* 2320 loops written (guide: 10) */
#define RCM_X12_MAX_LINE_ADJ 100        /* 2430 loops per claim */
#define RCM_X12_MAX_LINE_CAS 6          /* 2430 CAS reasons kept */

/* 837 writer: another payer of a secondary/tertiary claim (2320 with its
 * 2330A other subscriber and 2330B other payer). */
struct rcm_x12_other_payer {
    char responsibility;     /* 2320 SBR01: P, S, T ... of that payer */
    char relationship[3];    /* SBR02 (18 = self) */
    char filing_indicator[3];/* SBR09 */
    char insurance_type[4];  /* SBR05 (837P only): Medicare secondary payer type */
    struct rcm_x12_party subscriber;    /* 2330A NM1*IL (MI id) */
    struct rcm_x12_party payer;         /* 2330B NM1*PR (PI id) */
    bool has_paid;
    int64_t paid_cents;                 /* AMT*D */
    bool has_patient_resp;
    int64_t patient_resp_cents;         /* AMT*EAF */
    int32_t adjudication_days;          /* 2330B / 2430 DTP*573 */
    int n_adj;
    struct rcm_x12_adjustment adj[RCM_X12_MAX_ADJ];  /* 2320 CAS */
};

/* 837 writer: one other payer's adjudication of one line (2430). */
struct rcm_x12_line_adjudication {
    int other;               /* index into rcm_x12_claim.other[] */
    int line;                /* 0-based index into rcm_x12_claim.lines[] */
    int64_t paid_cents;      /* SVD02 */
    int n_adj;
    struct rcm_x12_adjustment adj[RCM_X12_MAX_LINE_CAS];  /* 2430 CAS */
};

/* One 837 claim (2300 loop with its providers, subscriber, patient). */
struct rcm_x12_claim {
    char kind;               /* 'P' (X222) or 'I' (X223) */
    char claim_id[39];       /* CLM01 */
    int64_t charge_cents;    /* CLM02 */
    char facility_code[3];   /* CLM05-1 (place of service / type of bill) */
    char frequency[2];       /* CLM05-3 */
    char responsibility;     /* SBR01: P, S, T ... */
    char filing_indicator[3];/* SBR09 */
    struct rcm_x12_party billing;       /* 2010AA */
    char billing_tax_id[16];            /* REF*EI */
    struct rcm_x12_party subscriber;    /* 2010BA */
    int32_t subscriber_birth_days;      /* DMG02 */
    char subscriber_gender;             /* DMG03 */
    struct rcm_x12_party payer;         /* 2010BB */
    bool has_patient;                   /* 2000C present */
    char patient_relationship[3];       /* PAT01 */
    struct rcm_x12_party patient;       /* 2010CA */
    int32_t patient_birth_days;         /* 2010CA DMG02 */
    char patient_gender;                /* 2010CA DMG03 */
    int32_t statement_from_days;        /* 837I DTP*434 (RD8) */
    int32_t statement_to_days;
    char admission_type[2];             /* 837I CL101 */
    char admission_source[2];           /* 837I CL102 */
    char patient_status[3];             /* 837I CL103 */
    int n_dx;
    char dx[RCM_X12_MAX_DX][9];         /* HI codes; dx[0] is the principal */
    int n_lines;
    struct rcm_x12_line lines[RCM_X12_MAX_LINES];

    /* 837 writer only (the model leaves them empty; docs/x12/writer.md) */
    char original_ref[51];              /* 2300 REF*F8, required for frequency 7/8 */
    char insurance_type[4];             /* 2000B SBR05 (837P only): required when
                                           Medicare is billed as secondary (12, 13 ...) */
    char billing_taxonomy[11];          /* 2000A PRV*BI*PXC */
    bool has_rendering;                 /* 837P 2310B / 837I 2310D NM1*82 */
    struct rcm_x12_party rendering;
    char rendering_taxonomy[11];        /* 837P 2310B PRV*PE*PXC */
    bool has_facility;                  /* 837P 2310C / 837I 2310E NM1*77 + N3/N4 */
    struct rcm_x12_party facility;
    int n_other;                        /* secondary/tertiary: earlier payers */
    struct rcm_x12_other_payer other[RCM_X12_MAX_OTHER_PAYERS];
    int n_line_adj;
    struct rcm_x12_line_adjudication line_adj[RCM_X12_MAX_LINE_ADJ];
};

/*
 * One provider-level adjustment: a PLB03..PLB14 pair of a PLB segment. A
 * positive amount reduces the payment (BPR02 = sum of CLP04 - sum of PLB
 * amounts); a negative one increases it (e.g. interest, reason L6).
 */
struct rcm_x12_plb {
    char provider_id[51];        /* PLB01 */
    int32_t fiscal_period_days;  /* PLB02 (CCYYMMDD; the fiscal period end) */
    char reason[3];              /* PLB03-1: WO, L6, FB, 72, J1, CS ... */
    char reference[51];          /* PLB03-2: e.g. the claim or ICN recouped */
    int64_t amount_cents;        /* PLB04 */
};

/* 835 header (payer, payee, payment) shared by its claim payments. */
struct rcm_x12_remit {
    int64_t payment_cents;   /* BPR02 */
    char credit_debit;       /* BPR03 */
    char method[4];          /* BPR04: ACH, CHK, NON ... */
    int32_t payment_date_days;   /* BPR16 */
    char trace_number[51];   /* TRN02: check or EFT number */
    struct rcm_x12_party payer;  /* 1000A */
    struct rcm_x12_party payee;  /* 1000B */
    /* ---- 835 header detail (posting engine) ---- */
    char payer_id[81];           /* REF*2U in 1000A, else N104 of N1*PR, else TRN03 */
    int32_t production_date_days;/* DTM*405 (RCM_X12_NO_DATE when absent) */
    int n_plb;                   /* PLB adjustments, filled as the PLB segments
                                    arrive (after the claim payments): complete
                                    only in on_remit */
    int n_plb_dropped;           /* beyond RCM_X12_MAX_PLB */
    struct rcm_x12_plb plb[RCM_X12_MAX_PLB];
    /* ---- end of 835 header detail ---- */
};

/* One 835 claim payment (2100 loop with its 2110 service lines). */
struct rcm_x12_claim_payment {
    char claim_id[39];       /* CLP01: the provider's claim id */
    char status[3];          /* CLP02 */
    int64_t charge_cents;    /* CLP03 */
    int64_t paid_cents;      /* CLP04 */
    int64_t patient_resp_cents;  /* CLP05 */
    char filing_indicator[3];/* CLP06 */
    char payer_claim_id[51]; /* CLP07 */
    struct rcm_x12_party patient;    /* NM1*QC */
    int n_adj;
    struct rcm_x12_adjustment adj[RCM_X12_MAX_ADJ];  /* claim-level CAS */
    int n_lines;
    struct rcm_x12_line lines[RCM_X12_MAX_LINES];
    /* ---- 835 claim payment detail (2100; posting engine) ---- */
    int n_remarks;               /* MOA03..07 (outpatient) / MIA05, MIA20..23 */
    int n_remarks_dropped;
    char remarks[RCM_X12_MAX_REMARKS][RCM_X12_REMARK_MAX];
    int32_t service_from_days;   /* DTM*232 (RCM_X12_NO_DATE when absent) */
    int32_t service_to_days;     /* DTM*233 */
    int n_lines_dropped;         /* SVC loops beyond RCM_X12_MAX_LINES */
    /* ---- end of 835 claim payment detail ---- */
};

/* One transaction set's result from a received 999 (AK2 loop). */
struct rcm_x12_ack_result {
    char group_control[10];  /* AK102: the acknowledged GS06 */
    char st01[4];            /* AK201 */
    char st02[10];           /* AK202 */
    char status;             /* IK501: A, E, R, ... */
    int n_codes;
    char codes[5][4];        /* IK502..IK506 */
    int n_segment_errors;    /* IK3 loops */
};

/* One claim status from a 277 / 277CA (2200D or 2200E loop). */
struct rcm_x12_claim_status {
    char claim_id[51];       /* TRN02: the submitter's claim id */
    char payer_claim_id[51]; /* REF*1K */
    char category[4];        /* STC01-1: A1, A2, A3, F1, P1 ... */
    char status[6];          /* STC01-2 */
    char entity[4];          /* STC01-3 */
    int32_t status_date_days;/* STC02 */
    int64_t charge_cents;    /* STC04 */
};

#define RCM_X12_MAX_BENEFITS 64

/* One EB (eligibility or benefit information) of a 271, with its dates. */
struct rcm_x12_benefit {
    char code[3];            /* EB01: 1-5 active, 6-8 inactive, A co-insurance,
                                B co-payment, C deductible, F limitations ... */
    char coverage_level[4];  /* EB02: IND, FAM, ... */
    int n_service_types;
    char service_types[8][3];/* EB03 (repeated; the first 8 kept) */
    char insurance_type[4];  /* EB04: MA, MB, HM, PR ... */
    char plan[51];           /* EB05 */
    char period[3];          /* EB06 */
    bool has_amount;
    int64_t amount_cents;    /* EB07 */
    bool has_percent;
    int32_t percent_bp;      /* EB08 as basis points (0.2 -> 2000) */
    char in_network;         /* EB12: Y, N, W, U or 0 */
    int32_t from_days, to_days;  /* the DTP after the EB (RCM_X12_NO_DATE) */
};

/* One 271 answer for a subscriber (2000C) or dependent (2000D). */
struct rcm_x12_eligibility {
    char trace_id[51];       /* TRN02 (echo of the 270's trace) */
    struct rcm_x12_party payer;      /* 2100A */
    struct rcm_x12_party receiver;   /* 2100B */
    bool dependent;                  /* 2000D */
    struct rcm_x12_party person;     /* NM1*IL or NM1*03 */
    int32_t birth_days;
    char gender;
    int n_rejects;
    char rejects[4][3];      /* AAA03 reject reason codes */
    bool active;             /* some EB01 is 1-5 */
    int n_benefits;
    struct rcm_x12_benefit benefits[RCM_X12_MAX_BENEFITS];
};

typedef void (*rcm_x12_claim_fn)(void *ctx, const struct rcm_x12_claim *claim);
typedef void (*rcm_x12_payment_fn)(void *ctx, const struct rcm_x12_remit *remit,
                                   const struct rcm_x12_claim_payment *pay);

/*
 * Model builder: set `on_segment` of the validator options to
 * rcm_x12_model_segment with ctx = the model. Each complete claim / claim
 * payment / 271 answer / 999 set result / 277 claim status is handed to
 * the callbacks (borrowed for the call). Memory is one claim at a time,
 * whatever the file size; the model struct itself is about 92 KB, so keep
 * it static or on the heap. Call rcm_x12_model_finish at the end (flushes
 * a claim cut short).
 */
typedef void (*rcm_x12_ack_fn)(void *ctx, const struct rcm_x12_ack_result *ack);
typedef void (*rcm_x12_eligibility_fn)(void *ctx, const struct rcm_x12_eligibility *e);
typedef void (*rcm_x12_status_fn)(void *ctx, const struct rcm_x12_claim_status *st);
/* 835: called at SE with the whole header, including every PLB adjustment
 * (the PLB segments follow the last claim payment). */
typedef void (*rcm_x12_remit_fn)(void *ctx, const struct rcm_x12_remit *remit);

struct rcm_x12_model {
    rcm_x12_claim_fn on_claim;
    rcm_x12_payment_fn on_payment;
    rcm_x12_ack_fn on_ack;           /* 999: set after init, may be NULL */
    rcm_x12_status_fn on_status;     /* 277/277CA: set after init, may be NULL */
    rcm_x12_eligibility_fn on_eligibility; /* 271: set after init, may be NULL */
    rcm_x12_remit_fn on_remit;       /* 835 end of set: set after init, may be NULL */
    void *ctx;
    bool in_elig, in_ls;
    struct rcm_x12_eligibility elig;
    bool in_ack, in_status;
    struct rcm_x12_ack_result ack;
    struct rcm_x12_claim_status status;
    /* state */
    char kind;
    bool in_claim, in_payment;
    struct rcm_x12_claim claim;          /* current; also holds 2000A/B context */
    struct rcm_x12_remit remit;
    struct rcm_x12_claim_payment pay;
    uint64_t claims, payments;
    bool in_remit, skip_svc;             /* 835: on_remit pending; SVC beyond the cap */
};

void rcm_x12_model_init(struct rcm_x12_model *m, rcm_x12_claim_fn on_claim,
                        rcm_x12_payment_fn on_payment, void *ctx);
void rcm_x12_model_segment(void *model, const struct rcm_x12_seg *seg,
                           const struct rcm_x12_loop_ctx *loops);
void rcm_x12_model_finish(struct rcm_x12_model *m);

/* Envelope and header parties for the writers. */
struct rcm_x12_envelope {
    char sender_qualifier[3], sender_id[16];      /* ISA05/06 */
    char receiver_qualifier[3], receiver_id[16];  /* ISA07/08 */
    char gs_sender[16], gs_receiver[16];          /* GS02/03 */
    uint32_t isa13, gs06;
    const char *date8;       /* CCYYMMDD */
    const char *time4;       /* HHMM */
    char usage;              /* ISA15: 'P' or 'T' */
    /* 837 header: submitter (1000A) and receiver (1000B) */
    char submitter_name[61], submitter_id[81], contact_name[61], contact_phone[16];
    char receiver_name[61], receiver_etin[81];
};

/*
 * Write one interchange with one transaction set holding `n` claims (837P,
 * X222A1) / claim payments (835, X221A1) to `out`, with correct HL numbering,
 * SE/GE/IEA counts and control numbers. Claims must be kind 'P'. Fails with
 * RCM_E_INVAL (diag says which claim/field) when a required value is
 * missing, RCM_E_TOO_LARGE when `out` is full.
 */
RCM_MUST_CHECK enum rcm_err rcm_x12_write_837p(const struct rcm_x12_envelope *env,
                                               const struct rcm_x12_claim *claims,
                                               size_t n, struct rcm_buf *out,
                                               struct rcm_diag *diag);
/* The same for 837I (X223A2): claims of kind 'I' with type of bill in
 * facility_code, statement dates, patient status and SV2 lines. */
RCM_MUST_CHECK enum rcm_err rcm_x12_write_837i(const struct rcm_x12_envelope *env,
                                               const struct rcm_x12_claim *claims,
                                               size_t n, struct rcm_buf *out,
                                               struct rcm_diag *diag);
/* 270 eligibility inquiry for one subscriber (X279A1). */
struct rcm_x12_eligibility_request {
    struct rcm_x12_party payer;          /* 2100A NM1*PR (PI id) */
    struct rcm_x12_party provider;       /* 2100B NM1*1P (XX = NPI) */
    struct rcm_x12_party subscriber;     /* 2100C NM1*IL (MI id) */
    int32_t subscriber_birth_days;       /* DMG02, RCM_X12_NO_DATE to omit */
    char subscriber_gender;              /* DMG03 */
    char trace_id[51];                   /* TRN02 (echoed in the 271) */
    char trace_originator[11];           /* TRN03: '1' + EIN or '9' + id */
    int32_t service_date_days;           /* DTP*291, RCM_X12_NO_DATE to omit */
    int n_service_types;
    char service_types[8][3];            /* EQ01, e.g. "30" */
};

/* 276 claim status request for one claim (X212). */
struct rcm_x12_status_request {
    struct rcm_x12_party payer;          /* 2100A NM1*PR */
    struct rcm_x12_party receiver;       /* 2100B NM1*41 (information receiver) */
    struct rcm_x12_party provider;       /* 2100C NM1*1P */
    struct rcm_x12_party subscriber;     /* 2100D NM1*IL */
    char claim_id[51];                   /* TRN02: the submitter's claim id */
    char payer_claim_id[51];             /* REF*1K, "" to omit */
    int64_t charge_cents;                /* AMT*T3 */
    int32_t service_from_days;           /* DTP*472 (RD8) */
    int32_t service_to_days;
};

/*
 * Write one interchange with one 270 (005010X279A1) / 276 (005010X212) set
 * holding `n` requests, each under its own payer / provider HL chain. The
 * output validates with no finding against openrcm's own 270 (X279A1) and
 * 276 (X212) maps (data/x12/maps, docs/x12/schema.md); tests also compare it
 * with the implementation guide's example layout.
 */
RCM_MUST_CHECK enum rcm_err rcm_x12_write_270(const struct rcm_x12_envelope *env,
                                              const struct rcm_x12_eligibility_request *reqs,
                                              size_t n, struct rcm_buf *out,
                                              struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_x12_write_276(const struct rcm_x12_envelope *env,
                                              const struct rcm_x12_status_request *reqs,
                                              size_t n, struct rcm_buf *out,
                                              struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_x12_write_835(const struct rcm_x12_envelope *env,
                                              const struct rcm_x12_remit *remit,
                                              const struct rcm_x12_claim_payment *pays,
                                              size_t n, struct rcm_buf *out,
                                              struct rcm_diag *diag);

#endif
