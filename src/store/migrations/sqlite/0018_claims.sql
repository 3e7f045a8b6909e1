-- 0018 — claims: what is billed to one payer for one encounter, its lines,
-- its history of states, the 837 batches it went out in, and the control
-- numbers counted per trading partner. The store module is
-- src/store/store_claim.c; the state machine is src/rcm/claim_state.c.
--
-- Plain columns (docs/security.md): ids, the claim's state, codes, amounts,
-- service and submission dates (days since 1970; aging and timely filing
-- query them), the control number openrcm gives the claim (CLM01: an
-- opaque generated value, never a patient identifier), and the payer's
-- claim number (CLP07 / REF*F8: a payer's record number, needed to match
-- 835s and to reference corrected and void claims). A reason given for a
-- move is free text and sealed under the patient's key.
-- One 837 interchange written to the outbox. ISA13 and GS06 are never
-- reused for a trading partner (UNIQUE below, and partner_control counts
-- them inside the transaction that writes the batch).
CREATE TABLE claim_batch (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenant(id),
    created_ms  INTEGER NOT NULL,
    user_id     INTEGER REFERENCES app_user(id),
    partner     TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('837P', '837I')),
    isa13       INTEGER NOT NULL CHECK (isa13 BETWEEN 1 AND 999999999),
    gs06        INTEGER NOT NULL CHECK (gs06 BETWEEN 1 AND 999999999),
    file_name   TEXT    NOT NULL,
    n_claims    INTEGER NOT NULL,
    charge_cents INTEGER NOT NULL,
    -- written, accepted, partially_accepted, rejected (from the 999)
    ack_state   TEXT    NOT NULL DEFAULT 'written',
    UNIQUE (tenant_id, partner, isa13),
    UNIQUE (tenant_id, partner, gs06)
) STRICT;

CREATE TABLE partner_control (
    tenant_id   INTEGER NOT NULL REFERENCES tenant(id),
    partner     TEXT    NOT NULL,
    last_isa13  INTEGER NOT NULL,
    last_gs06   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, partner)
) STRICT;

CREATE TABLE claim (
    id                      INTEGER PRIMARY KEY,
    tenant_id               INTEGER NOT NULL REFERENCES tenant(id),
    patient_id              INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
    encounter_id            INTEGER NOT NULL REFERENCES encounter(id) ON DELETE CASCADE,
    uid                     TEXT    NOT NULL UNIQUE CHECK (length(uid) = 32),
    created_ms              INTEGER NOT NULL,
    updated_ms              INTEGER NOT NULL,
    control_number          TEXT    NOT NULL,
    state                   TEXT    NOT NULL CHECK (state IN ('draft', 'ready', 'submitted',
                            'accepted', 'rejected', 'paid', 'partially_paid', 'denied',
                            'appealed', 'corrected', 'voided', 'closed')),
    claim_kind              TEXT    NOT NULL
                            CHECK (claim_kind IN ('professional', 'institutional')),
    -- CLM05-3: 1 original, 7 replacement, 8 void
    frequency               TEXT    NOT NULL CHECK (frequency IN ('1', '7', '8')),
    sequence                TEXT    NOT NULL
                            CHECK (sequence IN ('primary', 'secondary', 'tertiary')),
    payer_ref               INTEGER NOT NULL REFERENCES payer(id),
    payer_id                TEXT    NOT NULL,
    coverage_id             INTEGER REFERENCES coverage(id) ON DELETE SET NULL,
    billing_provider_id     INTEGER NOT NULL REFERENCES provider(id),
    rendering_provider_id   INTEGER REFERENCES provider(id),
    -- the claim a replacement or void stands for, or the primary claim a
    -- secondary follows
    original_claim_id       INTEGER REFERENCES claim(id),
    payer_claim_number      TEXT,
    service_from            INTEGER NOT NULL,
    service_to              INTEGER NOT NULL,
    charge_cents            INTEGER NOT NULL CHECK (charge_cents >= 0),
    paid_cents              INTEGER NOT NULL DEFAULT 0,
    adjustment_cents        INTEGER NOT NULL DEFAULT 0,
    patient_resp_cents      INTEGER NOT NULL DEFAULT 0,
    -- the duplicate-claim fingerprint (src/rcm/claim_dup.c), hex
    fingerprint             TEXT    NOT NULL,
    scrub_errors            INTEGER NOT NULL DEFAULT 0,
    scrub_warnings          INTEGER NOT NULL DEFAULT 0,
    -- the scrubber's findings as JSON: edit ids, codes, positions, never
    -- patient data (include/rcm/scrub.h)
    findings                TEXT,
    batch_id                INTEGER REFERENCES claim_batch(id),
    first_submitted_day     INTEGER,
    submitted_day           INTEGER,
    adjudicated_day         INTEGER,
    UNIQUE (tenant_id, control_number)
) STRICT;

CREATE INDEX claim_by_state ON claim(tenant_id, state, id);
CREATE INDEX claim_by_patient ON claim(tenant_id, patient_id, id);
CREATE INDEX claim_by_encounter ON claim(encounter_id);
CREATE INDEX claim_by_payer_number ON claim(tenant_id, payer_claim_number);
CREATE INDEX claim_by_fingerprint ON claim(tenant_id, fingerprint);
CREATE INDEX claim_by_payer ON claim(tenant_id, payer_id, state);

CREATE TABLE claim_line (
    id                      INTEGER PRIMARY KEY,
    tenant_id               INTEGER NOT NULL REFERENCES tenant(id),
    claim_id                INTEGER NOT NULL REFERENCES claim(id) ON DELETE CASCADE,
    line_no                 INTEGER NOT NULL CHECK (line_no BETWEEN 1 AND 999),
    service_line_id         INTEGER REFERENCES service_line(id) ON DELETE SET NULL,
    procedure               TEXT    NOT NULL,
    modifiers               TEXT    NOT NULL DEFAULT '',
    revenue_code            TEXT,
    units_milli             INTEGER NOT NULL CHECK (units_milli > 0),
    charge_cents            INTEGER NOT NULL CHECK (charge_cents >= 0),
    service_date            INTEGER NOT NULL,
    -- as billed: 1-based pointers into the encounter's diagnoses and the
    -- line's place of service, space-separated as in service_line
    dx_pointers             TEXT    NOT NULL DEFAULT '',
    place_of_service        TEXT,
    paid_cents              INTEGER NOT NULL DEFAULT 0,
    allowed_cents           INTEGER,
    adjustment_cents        INTEGER NOT NULL DEFAULT 0,
    patient_resp_cents      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (claim_id, line_no)
) STRICT;

-- Every move of a claim: who (user, or NULL for the system acting on a
-- 999, 277CA or 835), when, from which state to which, the source, and the
-- reason (sealed).
CREATE TABLE claim_event (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenant(id),
    claim_id    INTEGER NOT NULL REFERENCES claim(id) ON DELETE CASCADE,
    at_ms       INTEGER NOT NULL,
    user_id     INTEGER REFERENCES app_user(id),
    from_state  TEXT,
    to_state    TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    reason      BLOB
) STRICT;

CREATE INDEX claim_event_by_claim ON claim_event(claim_id, id);

-- The tenant's own scrubber rules for a payer (docs/payer-rules.md format),
-- applied before the shipped rules when that payer's claims are scrubbed.
CREATE TABLE payer_rules (
    payer_ref   INTEGER PRIMARY KEY REFERENCES payer(id) ON DELETE CASCADE,
    tenant_id   INTEGER NOT NULL REFERENCES tenant(id),
    updated_ms  INTEGER NOT NULL,
    rules       TEXT    NOT NULL
) STRICT;
