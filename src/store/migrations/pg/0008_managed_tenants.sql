-- 0008 — managed tenants: a billing company's tenant manages client
-- practices, one level deep. Twin of migrations/sqlite/0008_managed_tenants.sql.

ALTER TABLE tenant ADD COLUMN manager_id bigint REFERENCES tenant(id);

CREATE INDEX tenant_by_manager ON tenant(manager_id);
