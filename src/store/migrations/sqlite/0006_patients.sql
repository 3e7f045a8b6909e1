-- 0006 — patients, with every identifying field sealed, and the keys that
-- seal them.
--
-- Key hierarchy (docs/security.md): the master key (a 0600 file, never in
-- the database) wraps each tenant's keys and the system keys; a tenant's
-- data key wraps one data key per patient; a patient's data key seals that
-- patient's fields. Wrapped keys and sealed fields are AES-256-GCM
-- envelopes. Deleting a patient's key row destroys their data everywhere
-- the row is gone, backups included once they expire.

-- Keys for the whole installation (the audit log's MAC key, the key sealing
-- TOTP secrets), wrapped under the master key.
CREATE TABLE system_key (
    purpose     TEXT    PRIMARY KEY CHECK (purpose IN ('audit-mac', 'mfa-secret')),
    wrapped     BLOB    NOT NULL CHECK (length(wrapped) = 65),
    created_ms  INTEGER NOT NULL
) STRICT;

-- Per tenant: 'data' wraps patient keys; 'index' derives the blind-index
-- keys; 'data-next' exists only while `openrcm keys rotate tenant` runs.
CREATE TABLE tenant_key (
    tenant_id   INTEGER NOT NULL REFERENCES tenant(id),
    purpose     TEXT    NOT NULL CHECK (purpose IN ('data', 'index', 'data-next')),
    wrapped     BLOB    NOT NULL CHECK (length(wrapped) = 65),
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, purpose)
) STRICT;

-- uid binds the ciphertexts (associated data and key-wrap context) to the
-- row; it is random, so it says nothing about the patient.
CREATE TABLE patient (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenant(id),
    uid             TEXT    NOT NULL UNIQUE CHECK (length(uid) = 32),
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    mrn             BLOB,
    last_name       BLOB,
    first_name      BLOB,
    middle_name     BLOB,
    dob             BLOB,
    sex             BLOB,
    address_line1   BLOB,
    address_line2   BLOB,
    city            BLOB,
    state           BLOB,
    postal_code     BLOB,
    phone           BLOB,
    email           BLOB,
    member_id       BLOB,
    ssn             BLOB,
    bank_routing    BLOB,
    bank_account    BLOB,
    -- keyed blind indexes (HMAC-SHA-256, 16 bytes) for exact-match search
    bidx_member_id  BLOB CHECK (bidx_member_id IS NULL OR length(bidx_member_id) = 16),
    bidx_mrn        BLOB CHECK (bidx_mrn IS NULL OR length(bidx_mrn) = 16),
    bidx_ssn        BLOB CHECK (bidx_ssn IS NULL OR length(bidx_ssn) = 16),
    bidx_name_dob   BLOB CHECK (bidx_name_dob IS NULL OR length(bidx_name_dob) = 16)
) STRICT;

CREATE INDEX patient_by_member_id ON patient(tenant_id, bidx_member_id);
CREATE INDEX patient_by_mrn ON patient(tenant_id, bidx_mrn);
CREATE INDEX patient_by_ssn ON patient(tenant_id, bidx_ssn);
CREATE INDEX patient_by_name_dob ON patient(tenant_id, bidx_name_dob);

-- The patient's data key, wrapped under the tenant's data key. A separate
-- table so that crypto-shredding is one DELETE and rotation touches only
-- these rows.
CREATE TABLE patient_key (
    patient_id  INTEGER PRIMARY KEY REFERENCES patient(id) ON DELETE CASCADE,
    tenant_id   INTEGER NOT NULL REFERENCES tenant(id),
    wrapped     BLOB    NOT NULL CHECK (length(wrapped) = 65)
) STRICT;

CREATE INDEX patient_key_by_tenant ON patient_key(tenant_id, patient_id);

-- Key rotations: what `openrcm keys status` reports, and where a stopped
-- rotation resumes.
CREATE TABLE key_rotation (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('master', 'tenant')),
    tenant_id    INTEGER REFERENCES tenant(id),
    state        TEXT    NOT NULL CHECK (state IN ('running', 'done')),
    total        INTEGER NOT NULL,
    done         INTEGER NOT NULL,
    started_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL
) STRICT;
