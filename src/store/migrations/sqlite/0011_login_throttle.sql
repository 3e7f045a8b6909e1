-- 0011 — failed-login counters for login identities that are not a usable
-- account (unknown tenant, unknown email, disabled user), so that they are
-- throttled exactly like real accounts and a 429 says nothing about which
-- accounts exist (docs/security.md, "Login throttling").
--
-- A row is keyed by HMAC-SHA-256, under the system key 'login-throttle', of
-- the normalised tenant slug and email: the table holds no email. Real
-- accounts keep their counters in app_user as before.
-- (Numbered 0011: 0010 is taken by a change made in parallel; the loader
-- applies whatever is missing, in order.)

-- The new system key's purpose (SQLite cannot change a CHECK in place).
CREATE TABLE system_key_new (
    purpose     TEXT    PRIMARY KEY
                CHECK (purpose IN ('audit-mac', 'mfa-secret', 'login-throttle')),
    wrapped     BLOB    NOT NULL CHECK (length(wrapped) = 65),
    created_ms  INTEGER NOT NULL
) STRICT;
INSERT INTO system_key_new SELECT purpose, wrapped, created_ms FROM system_key;
DROP TABLE system_key;
ALTER TABLE system_key_new RENAME TO system_key;

CREATE TABLE login_throttle (
    identity_mac    TEXT    PRIMARY KEY CHECK (length(identity_mac) = 64),
    failures        INTEGER NOT NULL CHECK (failures > 0),
    last_failure_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX login_throttle_by_time ON login_throttle(last_failure_ms);
