-- 0002 — the audit log: an append-only hash chain with a keyed head and
-- keyed checkpoints (see include/rcm/audit.h). Records hold ids and codes,
-- never names or other PHI values.

CREATE TABLE audit_event (
    seq          INTEGER PRIMARY KEY,
    ts_ms        INTEGER NOT NULL,
    tenant_id    INTEGER NOT NULL,              -- 0 = system
    actor_type   TEXT    NOT NULL,
    actor_id     INTEGER NOT NULL,
    action       TEXT    NOT NULL,
    object_type  TEXT    NOT NULL,
    object_id    TEXT    NOT NULL,
    patient_ids  TEXT    NOT NULL,
    purpose      TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    source_ip    TEXT    NOT NULL,
    request_id   TEXT    NOT NULL,
    emergency    INTEGER NOT NULL CHECK (emergency IN (0, 1)),
    prev_hash    BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash         BLOB    NOT NULL CHECK (length(hash) = 32)
) STRICT;

CREATE INDEX audit_event_by_tenant_time ON audit_event(tenant_id, ts_ms);
CREATE INDEX audit_event_by_actor ON audit_event(tenant_id, actor_id, ts_ms);

-- patient_ids is a comma-separated list; this table lets compliance find
-- every event touching one patient without scanning.
CREATE TABLE audit_event_patient (
    seq         INTEGER NOT NULL REFERENCES audit_event(seq),
    tenant_id   INTEGER NOT NULL,
    patient_id  TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, patient_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_checkpoint (
    seq   INTEGER PRIMARY KEY,
    ts_ms INTEGER NOT NULL,
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    mac   BLOB    NOT NULL CHECK (length(mac) = 32)
) STRICT;

-- One row: the last record's sequence number and hash, with an HMAC.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    mac   BLOB    NOT NULL CHECK (length(mac) = 32)
) STRICT;

CREATE TRIGGER audit_event_append_only_u BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_event_append_only_d BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_checkpoint_append_only_u BEFORE UPDATE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_checkpoint_append_only_d BEFORE DELETE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_patient_append_only_u BEFORE UPDATE ON audit_event_patient
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_patient_append_only_d BEFORE DELETE ON audit_event_patient
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
