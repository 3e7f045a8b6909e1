-- 0009 — a tenant rotation replaces the blind-index key too: while
-- `openrcm keys rotate tenant` runs, 'index-next' sits beside 'data-next'.
-- (SQLite cannot change a CHECK constraint in place: the table is rebuilt.)

CREATE TABLE tenant_key_new (
    tenant_id   INTEGER NOT NULL REFERENCES tenant(id),
    purpose     TEXT    NOT NULL
                CHECK (purpose IN ('data', 'index', 'data-next', 'index-next')),
    wrapped     BLOB    NOT NULL CHECK (length(wrapped) = 65),
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, purpose)
) STRICT;

INSERT INTO tenant_key_new SELECT tenant_id, purpose, wrapped, created_ms FROM tenant_key;
DROP TABLE tenant_key;
ALTER TABLE tenant_key_new RENAME TO tenant_key;
