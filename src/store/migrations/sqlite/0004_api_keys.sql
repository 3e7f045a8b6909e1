-- 0004 — API keys: machine credentials scoped to a role, expiring, stored
-- only as SHA-256 hashes of the 256-bit secret (shown once at creation).

CREATE TABLE api_key (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenant(id),
    created_by    INTEGER NOT NULL REFERENCES app_user(id),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'biller', 'coder', 'front_desk',
                                      'compliance', 'analyst', 'api_client')),
    prefix        TEXT    NOT NULL,
    key_hash      TEXT    NOT NULL UNIQUE CHECK (length(key_hash) = 64),
    created_ms    INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL,
    revoked_ms    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX api_key_by_tenant ON api_key(tenant_id, id);
