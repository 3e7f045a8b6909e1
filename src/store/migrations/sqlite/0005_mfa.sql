-- 0005 — second factor: a TOTP secret per user, sealed with AES-256-GCM
-- (never stored in plaintext), the last accepted time step (replay
-- protection), single-use recovery codes stored as hashes, and whether a
-- session passed the second factor.

ALTER TABLE app_user ADD COLUMN mfa_secret BLOB;
ALTER TABLE app_user ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0
    CHECK (mfa_enabled IN (0, 1));
ALTER TABLE app_user ADD COLUMN mfa_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session ADD COLUMN mfa_ok INTEGER NOT NULL DEFAULT 0 CHECK (mfa_ok IN (0, 1));

CREATE TABLE mfa_recovery (
    user_id    INTEGER NOT NULL REFERENCES app_user(id),
    slot       INTEGER NOT NULL,
    code_hash  BLOB    NOT NULL CHECK (length(code_hash) = 32),
    used_ms    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, slot)
) STRICT;
