-- 0013 — Idempotency-Key on POST (issue 21): the first answer to a request
-- made with a client's key, so a repeat gets that answer again instead of a
-- second patient, user or client practice (src/store/store_idempotency.c,
-- docs/security.md "Idempotency keys").
--
-- A row is one key of one principal (tenant, actor type and id) on one
-- route ("POST /v1/patients"). The key itself is not stored: key_hash is
-- HMAC-SHA-256 of it under the system key 'idempotency' (clients may put
-- anything in a key). request_hash is SHA-256 of the request's path and
-- body, to tell a repeat from another request reusing the key. status and
-- response are NULL while the first request runs; response is the answer
-- (status, content type, body — a created patient is PHI) sealed with
-- AES-256-GCM under a key derived from the same system key, bound to
-- tenant, table, column and the row's id. request_id names the first
-- request, so the audit record of a replay points at the records it made.
-- Rows live until expires_ms (api.idempotency_ttl_s after the first
-- request) and are pruned a few at a time as new ones are written.
-- (Numbered 0013: 0012 is taken by a change made in parallel.)

-- The new system key's purpose (SQLite cannot change a CHECK in place).
CREATE TABLE system_key_new (
    purpose     TEXT    PRIMARY KEY
                CHECK (purpose IN ('audit-mac', 'mfa-secret', 'login-throttle',
                                   'idempotency')),
    wrapped     BLOB    NOT NULL CHECK (length(wrapped) = 65),
    created_ms  INTEGER NOT NULL
) STRICT;
INSERT INTO system_key_new SELECT purpose, wrapped, created_ms FROM system_key;
DROP TABLE system_key;
ALTER TABLE system_key_new RENAME TO system_key;

CREATE TABLE idempotency_key (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenant(id),
    actor_type      TEXT    NOT NULL CHECK (length(actor_type) BETWEEN 1 AND 32),
    actor_id        INTEGER NOT NULL,
    route           TEXT    NOT NULL CHECK (length(route) BETWEEN 1 AND 128),
    key_hash        BLOB    NOT NULL CHECK (length(key_hash) = 32),
    request_hash    BLOB    NOT NULL CHECK (length(request_hash) = 32),
    request_id      TEXT    NOT NULL CHECK (length(request_id) <= 64),
    created_ms      INTEGER NOT NULL,
    expires_ms      INTEGER NOT NULL,
    status          INTEGER CHECK (status BETWEEN 100 AND 599),
    response        BLOB,
    CHECK ((status IS NULL) = (response IS NULL)),
    UNIQUE (tenant_id, actor_type, actor_id, route, key_hash)
) STRICT;

CREATE INDEX idempotency_key_by_expiry ON idempotency_key(expires_ms);
