-- 0021 — break-glass reasons sealed like other PHI. A reason is free text
-- about an emergency, often about a patient: it is now stored as an
-- AES-256-GCM envelope in reason_sealed, under the tenant's 'note' key (a
-- tenant key of its own, wrapped under the master key like the others),
-- with associated data naming tenant, table, column and the grant's id.
-- SQL cannot seal: the plaintext of rows written before this migration stays
-- in `reason` until the store seals it with C code right after migrating
-- (store_user.c, store_break_glass_seal_legacy) and clears the column; new
-- rows never have it. (SQLite cannot drop NOT NULL or a CHECK in place: both
-- tables are rebuilt.)

CREATE TABLE tenant_key_new (
    tenant_id   INTEGER NOT NULL REFERENCES tenant(id),
    purpose     TEXT    NOT NULL
                CHECK (purpose IN ('data', 'index', 'data-next', 'index-next', 'note')),
    wrapped     BLOB    NOT NULL CHECK (length(wrapped) = 65),
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, purpose)
) STRICT;

INSERT INTO tenant_key_new SELECT tenant_id, purpose, wrapped, created_ms FROM tenant_key;
DROP TABLE tenant_key;
ALTER TABLE tenant_key_new RENAME TO tenant_key;

CREATE TABLE break_glass_new (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenant(id),
    user_id       INTEGER NOT NULL REFERENCES app_user(id),
    session_id    INTEGER NOT NULL REFERENCES session(id),
    -- plaintext of a row from before 0021, until sealed at start-up; else NULL
    reason        TEXT    CHECK (reason IS NULL OR length(reason) BETWEEN 10 AND 500),
    started_ms    INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL CHECK (expires_ms > started_ms),
    ended_ms      INTEGER NOT NULL DEFAULT 0,
    reason_sealed BLOB,
    CHECK (reason IS NOT NULL OR reason_sealed IS NOT NULL)
) STRICT;

INSERT INTO break_glass_new(id, tenant_id, user_id, session_id, reason, started_ms,
                            expires_ms, ended_ms)
    SELECT id, tenant_id, user_id, session_id, reason, started_ms, expires_ms, ended_ms
    FROM break_glass;
DROP TABLE break_glass;
ALTER TABLE break_glass_new RENAME TO break_glass;

CREATE INDEX break_glass_by_tenant ON break_glass(tenant_id, id);
CREATE INDEX break_glass_by_user ON break_glass(user_id, ended_ms, expires_ms);
