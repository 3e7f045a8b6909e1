-- 0021 — break-glass reasons sealed like other PHI: reason_sealed holds the
-- envelope (tenant key 'note'); `reason` keeps the plaintext of rows from
-- before this migration only until the store seals them right after
-- migrating. Twin of migrations/sqlite/0021_break_glass_sealed.sql (which
-- rebuilds the tables; PostgreSQL changes them in place).

ALTER TABLE tenant_key DROP CONSTRAINT tenant_key_purpose_check;
ALTER TABLE tenant_key ADD CONSTRAINT tenant_key_purpose_check
    CHECK (purpose IN ('data', 'index', 'data-next', 'index-next', 'note'));

ALTER TABLE break_glass ALTER COLUMN reason DROP NOT NULL;
ALTER TABLE break_glass DROP CONSTRAINT break_glass_reason_check;
ALTER TABLE break_glass ADD CONSTRAINT break_glass_reason_check
    CHECK (reason IS NULL OR length(reason) BETWEEN 10 AND 500);
ALTER TABLE break_glass ADD COLUMN reason_sealed bytea;
ALTER TABLE break_glass ADD CONSTRAINT break_glass_reason_present
    CHECK (reason IS NOT NULL OR reason_sealed IS NOT NULL);
