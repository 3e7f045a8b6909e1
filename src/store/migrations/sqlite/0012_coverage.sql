-- 0012 — coverages: a patient's insurance, the first record kind declared
-- by a field table (include/rcm/record.h, src/store/store_coverage.c).
--
-- Sealed fields (BLOB) are AES-256-GCM envelopes under the patient's data
-- key, bound to tenant, table, column and the row's random uid. Plain
-- columns are what work lists and reports filter on and are not PHI on
-- their own: the payer's id, the coverage's order and the subscriber's
-- relationship code, the copay in cents (docs/security.md, "Plain
-- columns"). Deleting the patient deletes their coverages.
CREATE TABLE coverage (
    id                      INTEGER PRIMARY KEY,
    tenant_id               INTEGER NOT NULL REFERENCES tenant(id),
    patient_id              INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
    uid                     TEXT    NOT NULL UNIQUE CHECK (length(uid) = 32),
    created_ms              INTEGER NOT NULL,
    updated_ms              INTEGER NOT NULL,
    payer_id                TEXT    NOT NULL,
    coverage_order          TEXT    NOT NULL
                            CHECK (coverage_order IN ('primary', 'secondary', 'tertiary')),
    relationship            TEXT    NOT NULL
                            CHECK (relationship IN ('self', 'spouse', 'child', 'other')),
    member_id               BLOB    NOT NULL,
    group_number            BLOB,
    plan_name               BLOB,
    subscriber_last_name    BLOB,
    subscriber_first_name   BLOB,
    subscriber_dob          BLOB,
    effective_from          BLOB,
    effective_to            BLOB,
    copay_cents             INTEGER CHECK (copay_cents >= 0)
) STRICT;

CREATE INDEX coverage_by_patient ON coverage(tenant_id, patient_id, id);
CREATE INDEX coverage_by_payer ON coverage(tenant_id, payer_id);
