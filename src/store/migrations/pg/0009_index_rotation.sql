-- 0009 — a tenant rotation replaces the blind-index key too: 'index-next'
-- sits beside 'data-next' while it runs. Twin of
-- migrations/sqlite/0009_index_rotation.sql (which rebuilds the table;
-- PostgreSQL changes the CHECK in place).

ALTER TABLE tenant_key DROP CONSTRAINT tenant_key_purpose_check;
ALTER TABLE tenant_key ADD CONSTRAINT tenant_key_purpose_check
    CHECK (purpose IN ('data', 'index', 'data-next', 'index-next'));
