-- 0010 — the per-patient audit index in record order, so that `openrcm audit
-- verify` can check it against the chain by merging two ordered scans
-- (audit_event by seq, this index by seq) in bounded memory.

CREATE INDEX audit_event_patient_by_seq
    ON audit_event_patient(seq, tenant_id, patient_id);
