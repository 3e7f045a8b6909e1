-- 0002 — the audit log: an append-only hash chain with a keyed head and
-- keyed checkpoints (see include/rcm/audit.h). Records hold ids and codes,
-- never names or other PHI values. Twin of migrations/sqlite/0002_audit.sql.

CREATE TABLE audit_event (
    seq          bigint   PRIMARY KEY,
    ts_ms        bigint   NOT NULL,
    tenant_id    bigint   NOT NULL,             -- 0 = system
    actor_type   text     NOT NULL,
    actor_id     bigint   NOT NULL,
    action       text     NOT NULL,
    object_type  text     NOT NULL,
    object_id    text     NOT NULL,
    patient_ids  text     NOT NULL,
    purpose      text     NOT NULL,
    outcome      text     NOT NULL,
    source_ip    text     NOT NULL,
    request_id   text     NOT NULL,
    emergency    bigint   NOT NULL CHECK (emergency IN (0, 1)),
    prev_hash    bytea    NOT NULL CHECK (length(prev_hash) = 32),
    hash         bytea    NOT NULL CHECK (length(hash) = 32)
);

CREATE INDEX audit_event_by_tenant_time ON audit_event(tenant_id, ts_ms);
CREATE INDEX audit_event_by_actor ON audit_event(tenant_id, actor_id, ts_ms);

-- patient_ids is a comma-separated list; this table lets compliance find
-- every event touching one patient without scanning. Compared bytewise
-- (COLLATE "C"), as SQLite's BINARY, so both sort the index alike.
CREATE TABLE audit_event_patient (
    seq         bigint NOT NULL REFERENCES audit_event(seq),
    tenant_id   bigint NOT NULL,
    patient_id  text   COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, patient_id, seq)
);

CREATE TABLE audit_checkpoint (
    seq   bigint PRIMARY KEY,
    ts_ms bigint NOT NULL,
    hash  bytea  NOT NULL CHECK (length(hash) = 32),
    mac   bytea  NOT NULL CHECK (length(mac) = 32)
);

-- One row: the last record's sequence number and hash, with an HMAC.
CREATE TABLE audit_head (
    id    bigint PRIMARY KEY CHECK (id = 1),
    seq   bigint NOT NULL,
    hash  bytea  NOT NULL CHECK (length(hash) = 32),
    mac   bytea  NOT NULL CHECK (length(mac) = 32)
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_patient_append_only BEFORE UPDATE OR DELETE ON audit_event_patient
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_patient_no_truncate BEFORE TRUNCATE ON audit_event_patient
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
