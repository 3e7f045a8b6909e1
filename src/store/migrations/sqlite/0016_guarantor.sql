-- 0016 — guarantors: who is responsible for a patient's bill
-- (src/store/store_guarantor.c). Only the relationship is a plain column;
-- the rest is sealed under the patient's data key and goes with the patient.
CREATE TABLE guarantor (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenant(id),
    patient_id      INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
    uid             TEXT NOT NULL UNIQUE CHECK (length(uid) = 32),
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    relationship    TEXT NOT NULL
                    CHECK (relationship IN ('self', 'spouse', 'parent', 'guardian', 'other')),
    last_name       BLOB NOT NULL,
    first_name      BLOB,
    dob             BLOB,
    address_line1   BLOB,
    city            BLOB,
    state           BLOB,
    postal_code     BLOB,
    phone           BLOB,
    email           BLOB
) STRICT;

CREATE INDEX guarantor_by_patient ON guarantor(tenant_id, patient_id, id);
