-- 0003 — users and sessions. Users are staff of a tenant (not patients);
-- passwords are stored only as Argon2id strings, session tokens only as
-- SHA-256 hashes.

CREATE TABLE app_user (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL REFERENCES tenant(id),
    email            TEXT    NOT NULL COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 254),
    display_name     TEXT    NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role             TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'biller', 'coder',
                                      'front_desk', 'compliance', 'analyst', 'api_client')),
    password_hash    TEXT,
    failures         INTEGER NOT NULL DEFAULT 0,
    last_failure_ms  INTEGER NOT NULL DEFAULT 0,
    disabled         INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_ms       INTEGER NOT NULL,
    UNIQUE (tenant_id, email)
) STRICT;

CREATE TABLE session (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenant(id),
    user_id       INTEGER NOT NULL REFERENCES app_user(id),
    token_hash    TEXT    NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    csrf_hash     TEXT    NOT NULL CHECK (length(csrf_hash) = 64),
    created_ms    INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    revoked_ms    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX session_by_user ON session(tenant_id, user_id);
