-- 0019 — remittances (an 835 ERA, or a paper EOB posted by hand), what each
-- claim payment in it did to which claim and line, provider-level
-- adjustments, deposits, and the denial worklist. The store module is
-- src/store/store_remit.c; the posting rules are src/rcm/remit_match.c and
-- docs/rcm.md.
--
-- A remittance is posted once: (tenant, payer, trace number, amount) is
-- unique, so the same ERA posted twice changes nothing. Its rows are
-- written in one transaction with the claims they change. Plain columns
-- are ids, codes, amounts, dates and trace numbers (docs/security.md);
-- notes and the patient name of an unmatched payment are sealed (the
-- latter under the tenant's key: no patient is known yet).
CREATE TABLE remittance (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenant(id),
    created_ms      INTEGER NOT NULL,
    user_id         INTEGER REFERENCES app_user(id),
    source          TEXT    NOT NULL CHECK (source IN ('era', 'manual')),
    payer_id        TEXT    NOT NULL,
    trace_number    TEXT    NOT NULL,
    payment_cents   INTEGER NOT NULL,
    credit_debit    TEXT    NOT NULL DEFAULT 'C' CHECK (credit_debit IN ('C', 'D')),
    method          TEXT,
    payment_day     INTEGER,
    -- SHA-256 of the file posted (hex), NULL for a manual EOB
    file_sha256     TEXT,
    n_claims        INTEGER NOT NULL DEFAULT 0,
    n_unmatched     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, payer_id, trace_number, payment_cents)
) STRICT;

CREATE INDEX remittance_by_trace ON remittance(tenant_id, trace_number);

-- One CLP of a remittance: the claim it was applied to, or NULL while it
-- waits in the unmatched queue (matched_by NULL).
CREATE TABLE claim_payment (
    id                  INTEGER PRIMARY KEY,
    tenant_id           INTEGER NOT NULL REFERENCES tenant(id),
    remittance_id       INTEGER NOT NULL REFERENCES remittance(id) ON DELETE CASCADE,
    seq                 INTEGER NOT NULL,
    claim_id            INTEGER REFERENCES claim(id) ON DELETE SET NULL,
    matched_by          TEXT CHECK (matched_by IN ('control_number', 'payer_claim_number', 'manual')),
    matched_ms          INTEGER,
    control_number      TEXT    NOT NULL,
    status_code         TEXT    NOT NULL,
    charge_cents        INTEGER NOT NULL,
    paid_cents          INTEGER NOT NULL,
    patient_resp_cents  INTEGER NOT NULL,
    payer_claim_number  TEXT,
    reversal            INTEGER NOT NULL DEFAULT 0 CHECK (reversal IN (0, 1)),
    -- the payment as received (JSON of the CLP loop), sealed under the
    -- tenant's key while unmatched; cleared once applied
    pending             BLOB,
    UNIQUE (remittance_id, seq)
) STRICT;

CREATE INDEX claim_payment_by_claim ON claim_payment(claim_id);
CREATE INDEX claim_payment_unmatched ON claim_payment(tenant_id, matched_by, id);

-- One SVC applied to a claim line.
CREATE TABLE payment_line (
    id                  INTEGER PRIMARY KEY,
    tenant_id           INTEGER NOT NULL REFERENCES tenant(id),
    claim_payment_id    INTEGER NOT NULL REFERENCES claim_payment(id) ON DELETE CASCADE,
    claim_line_id       INTEGER REFERENCES claim_line(id) ON DELETE SET NULL,
    matched_by          TEXT,
    procedure           TEXT    NOT NULL,
    modifiers           TEXT    NOT NULL DEFAULT '',
    charge_cents        INTEGER NOT NULL,
    paid_cents          INTEGER NOT NULL,
    allowed_cents       INTEGER,
    units_milli         INTEGER,
    -- RARCs (LQ*HE), space-separated
    remarks             TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX payment_line_by_claim_line ON payment_line(claim_line_id);

-- CAS adjustments: claim level (payment_line_id NULL) or line level.
CREATE TABLE payment_adjustment (
    id                  INTEGER PRIMARY KEY,
    tenant_id           INTEGER NOT NULL REFERENCES tenant(id),
    claim_payment_id    INTEGER NOT NULL REFERENCES claim_payment(id) ON DELETE CASCADE,
    payment_line_id     INTEGER REFERENCES payment_line(id) ON DELETE CASCADE,
    group_code          TEXT    NOT NULL CHECK (group_code IN ('CO', 'PR', 'OA', 'PI', 'CR')),
    carc                TEXT    NOT NULL,
    amount_cents        INTEGER NOT NULL
) STRICT;

CREATE INDEX payment_adjustment_by_payment ON payment_adjustment(claim_payment_id);
CREATE INDEX payment_adjustment_by_carc ON payment_adjustment(tenant_id, carc);

-- PLB: provider-level adjustments (interest, forwarding balances, recoupments).
CREATE TABLE provider_adjustment (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenant(id),
    remittance_id   INTEGER NOT NULL REFERENCES remittance(id) ON DELETE CASCADE,
    provider_id     TEXT    NOT NULL,
    fiscal_day      INTEGER,
    reason          TEXT    NOT NULL,
    reference       TEXT,
    amount_cents    INTEGER NOT NULL
) STRICT;

-- Money that arrived at the bank, reconciled to an ERA by trace number.
CREATE TABLE deposit (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenant(id),
    created_ms      INTEGER NOT NULL,
    user_id         INTEGER REFERENCES app_user(id),
    trace_number    TEXT    NOT NULL,
    amount_cents    INTEGER NOT NULL,
    deposit_day     INTEGER NOT NULL,
    remittance_id   INTEGER REFERENCES remittance(id) ON DELETE SET NULL,
    UNIQUE (tenant_id, trace_number)
) STRICT;

-- The denial worklist: every denied or reduced line (or claim) the
-- practice can act on, with its category and appeal deadline.
CREATE TABLE denial (
    id                  INTEGER PRIMARY KEY,
    tenant_id           INTEGER NOT NULL REFERENCES tenant(id),
    claim_id            INTEGER NOT NULL REFERENCES claim(id) ON DELETE CASCADE,
    claim_line_id       INTEGER REFERENCES claim_line(id) ON DELETE CASCADE,
    claim_payment_id    INTEGER REFERENCES claim_payment(id) ON DELETE SET NULL,
    created_ms          INTEGER NOT NULL,
    payer_id            TEXT    NOT NULL,
    group_code          TEXT    NOT NULL,
    carc                TEXT    NOT NULL,
    remarks             TEXT    NOT NULL DEFAULT '',
    amount_cents        INTEGER NOT NULL,
    category            TEXT    NOT NULL CHECK (category IN ('eligibility', 'authorization',
                        'coding', 'timely_filing', 'duplicate', 'medical_necessity', 'other')),
    denied_day          INTEGER NOT NULL,
    appeal_deadline     INTEGER NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resubmitted',
                        'appealed', 'written_off', 'closed')),
    assigned_user_id    INTEGER REFERENCES app_user(id),
    resolved_ms         INTEGER,
    resolved_by         INTEGER REFERENCES app_user(id),
    note                BLOB
) STRICT;

CREATE INDEX denial_by_state ON denial(tenant_id, state, appeal_deadline);
CREATE INDEX denial_by_claim ON denial(claim_id);
