-- 0005 — second factor: a sealed TOTP secret per user, the last accepted
-- time step, single-use recovery codes stored as hashes, and whether a
-- session passed the second factor. Twin of migrations/sqlite/0005_mfa.sql.

ALTER TABLE app_user ADD COLUMN mfa_secret bytea;
ALTER TABLE app_user ADD COLUMN mfa_enabled bigint NOT NULL DEFAULT 0
    CHECK (mfa_enabled IN (0, 1));
ALTER TABLE app_user ADD COLUMN mfa_last_step bigint NOT NULL DEFAULT 0;
ALTER TABLE session ADD COLUMN mfa_ok bigint NOT NULL DEFAULT 0 CHECK (mfa_ok IN (0, 1));

CREATE TABLE mfa_recovery (
    user_id    bigint NOT NULL REFERENCES app_user(id),
    slot       bigint NOT NULL,
    code_hash  bytea  NOT NULL CHECK (length(code_hash) = 32),
    used_ms    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, slot)
);
