-- 0017 — encounters (a visit: who was seen, by whom, for what, with which
-- coverage) with their service lines, fee schedules, and payer settings the
-- revenue cycle needs. The store module is src/store/store_encounter.c.
--
-- Plain columns follow docs/security.md ("Plain columns"): internal ids,
-- codes (ICD-10-CM, CPT/HCPCS, modifiers, place of service, type of bill),
-- amounts, and the service dates that aging and timely filing query (days
-- since 1970). The prior authorization number and the note are sealed
-- under the patient's data key (associated data: tenant, table, column,
-- uid), so deleting the patient's key makes them unreadable; deleting the
-- patient deletes their encounters and lines.
CREATE TABLE encounter (
    id                      INTEGER PRIMARY KEY,
    tenant_id               INTEGER NOT NULL REFERENCES tenant(id),
    patient_id              INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
    uid                     TEXT    NOT NULL UNIQUE CHECK (length(uid) = 32),
    created_ms              INTEGER NOT NULL,
    updated_ms              INTEGER NOT NULL,
    status                  TEXT    NOT NULL DEFAULT 'open'
                            CHECK (status IN ('open', 'billed', 'void')),
    claim_kind              TEXT    NOT NULL
                            CHECK (claim_kind IN ('professional', 'institutional')),
    -- NULL: self-pay, no plan is billed
    coverage_id             INTEGER REFERENCES coverage(id) ON DELETE SET NULL,
    billing_provider_id     INTEGER NOT NULL REFERENCES provider(id),
    rendering_provider_id   INTEGER REFERENCES provider(id),
    referring_provider_id   INTEGER REFERENCES provider(id),
    facility_id             INTEGER REFERENCES provider(id),
    service_from            INTEGER NOT NULL,
    service_to              INTEGER NOT NULL CHECK (service_to >= service_from),
    place_of_service        TEXT,
    type_of_bill            TEXT,
    admission_type          TEXT,
    admission_source        TEXT,
    patient_status          TEXT,
    -- ICD-10-CM codes without dots, space-separated, the principal first;
    -- an institutional code may carry its present-on-admission flag as
    -- CODE:Y
    diagnoses               TEXT    NOT NULL,
    prior_authorization     BLOB,
    note                    BLOB
) STRICT;

CREATE INDEX encounter_by_patient ON encounter(tenant_id, patient_id, id);
CREATE INDEX encounter_by_status ON encounter(tenant_id, status, id);

CREATE TABLE service_line (
    id                      INTEGER PRIMARY KEY,
    tenant_id               INTEGER NOT NULL REFERENCES tenant(id),
    encounter_id            INTEGER NOT NULL REFERENCES encounter(id) ON DELETE CASCADE,
    line_no                 INTEGER NOT NULL CHECK (line_no BETWEEN 1 AND 999),
    procedure               TEXT    NOT NULL,
    -- up to four two-character modifiers, space-separated, in billed order
    modifiers               TEXT    NOT NULL DEFAULT '',
    revenue_code            TEXT,
    units_milli             INTEGER NOT NULL CHECK (units_milli > 0),
    charge_cents            INTEGER NOT NULL CHECK (charge_cents >= 0),
    -- 1-based pointers into the encounter's diagnoses, space-separated
    dx_pointers             TEXT    NOT NULL DEFAULT '',
    place_of_service        TEXT,
    service_date            INTEGER,
    rendering_provider_id   INTEGER REFERENCES provider(id),
    -- the patient paid in full and restricted disclosure to the plan
    -- (HIPAA §164.522(a)(1)(vi)): never put on a claim to the plan
    self_pay_restricted     INTEGER NOT NULL DEFAULT 0 CHECK (self_pay_restricted IN (0, 1)),
    UNIQUE (encounter_id, line_no)
) STRICT;

-- The practice's charge for a procedure (optionally per payer and
-- modifier): what charge capture fills in when a line names no charge.
-- An empty payer_id is the practice's default schedule.
CREATE TABLE fee_schedule (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenant(id),
    uid             TEXT    NOT NULL UNIQUE CHECK (length(uid) = 32),
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    payer_id        TEXT,
    procedure       TEXT    NOT NULL,
    modifier        TEXT,
    amount_cents    INTEGER NOT NULL CHECK (amount_cents >= 0),
    effective_from  TEXT,
    effective_to    TEXT
) STRICT;

CREATE INDEX fee_schedule_by_procedure ON fee_schedule(tenant_id, procedure, payer_id);

-- Payer settings: the trading partner a payer's claims go to (ISA08/GS03,
-- whose control numbers are counted per partner), how long appeals may be
-- filed, and whether the payer sends ERAs and answers eligibility.
ALTER TABLE payer ADD COLUMN receiver_id TEXT;
ALTER TABLE payer ADD COLUMN appeal_days INTEGER CHECK (appeal_days BETWEEN 1 AND 3650);
ALTER TABLE payer ADD COLUMN era_enrolled TEXT CHECK (era_enrolled IN ('yes', 'no'));
ALTER TABLE payer ADD COLUMN eligibility TEXT CHECK (eligibility IN ('real-time', 'batch', 'none'));
