-- 0011 — failed-login counters for identities that are not a usable
-- account, keyed by HMAC (no email stored), and the system key for it.
-- Twin of migrations/sqlite/0011_login_throttle.sql.

ALTER TABLE system_key DROP CONSTRAINT system_key_purpose_check;
ALTER TABLE system_key ADD CONSTRAINT system_key_purpose_check
    CHECK (purpose IN ('audit-mac', 'mfa-secret', 'login-throttle'));

CREATE TABLE login_throttle (
    identity_mac    text   PRIMARY KEY CHECK (length(identity_mac) = 64),
    failures        bigint NOT NULL CHECK (failures > 0),
    last_failure_ms bigint NOT NULL
);

CREATE INDEX login_throttle_by_time ON login_throttle(last_failure_ms);
