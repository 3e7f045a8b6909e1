-- 0010 — the per-patient audit index in record order, for `openrcm audit
-- verify`'s merge of two ordered scans. Twin of
-- migrations/sqlite/0010_audit_index_order.sql.

CREATE INDEX audit_event_patient_by_seq
    ON audit_event_patient(seq, tenant_id, patient_id);
