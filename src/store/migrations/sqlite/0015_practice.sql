-- 0015 — the practice's own records, about no patient: providers (who
-- renders and bills; a facility is a provider of entity 'organization')
-- and payers. Declared by field tables in src/store/store_practice.c; every
-- column is plain: none of it is patient data (docs/security.md). The
-- values are checked by the store (NPI check digit, taxonomy, tax id).
CREATE TABLE provider (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenant(id),
    uid             TEXT NOT NULL UNIQUE CHECK (length(uid) = 32),
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    npi             TEXT NOT NULL,
    entity          TEXT NOT NULL CHECK (entity IN ('person', 'organization')),
    name            TEXT NOT NULL,
    first_name      TEXT,
    taxonomy        TEXT,
    tax_id          TEXT,
    address_line1   TEXT,
    city            TEXT,
    state           TEXT,
    postal_code     TEXT
) STRICT;

CREATE INDEX provider_by_npi ON provider(tenant_id, npi);

CREATE TABLE payer (
    id                      INTEGER PRIMARY KEY,
    tenant_id               INTEGER NOT NULL REFERENCES tenant(id),
    uid                     TEXT NOT NULL UNIQUE CHECK (length(uid) = 32),
    created_ms              INTEGER NOT NULL,
    updated_ms              INTEGER NOT NULL,
    payer_id                TEXT NOT NULL,
    name                    TEXT NOT NULL,
    timely_filing_days      INTEGER CHECK (timely_filing_days BETWEEN 1 AND 3650),
    claim_filing_indicator  TEXT,
    address_line1           TEXT,
    city                    TEXT,
    state                   TEXT,
    postal_code             TEXT
) STRICT;

CREATE INDEX payer_by_payer_id ON payer(tenant_id, payer_id);
