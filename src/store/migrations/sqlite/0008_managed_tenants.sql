-- 0008 — managed tenants: a billing company's tenant manages client
-- practices, each its own tenant. The company's staff log in to a client by
-- naming it; their session, every object they touch and every audit record
-- are the client's. One level only: a client manages no one.

ALTER TABLE tenant ADD COLUMN manager_id INTEGER REFERENCES tenant(id);

CREATE INDEX tenant_by_manager ON tenant(manager_id);
