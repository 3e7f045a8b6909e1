-- 0007 — access policy: a security policy per tenant (second factor for
-- every role, idle timeout, longest break-glass grant) and break-glass
-- (emergency) access grants. A grant belongs to one session; the session
-- carries the moment it ends so the check on every request needs no join.
-- The reason is free text typed by staff (not PHI by policy) and is kept
-- here only, never in logs or audit records (those carry the grant's id).

ALTER TABLE tenant ADD COLUMN mfa_required INTEGER NOT NULL DEFAULT 0
    CHECK (mfa_required IN (0, 1));
-- 0 = the server's auth.session_idle_s
ALTER TABLE tenant ADD COLUMN session_idle_s INTEGER NOT NULL DEFAULT 0
    CHECK (session_idle_s = 0 OR session_idle_s BETWEEN 60 AND 1800);
ALTER TABLE tenant ADD COLUMN break_glass_max_minutes INTEGER NOT NULL DEFAULT 60
    CHECK (break_glass_max_minutes BETWEEN 5 AND 240);

-- 0 = no emergency access; else it is in force until this moment
ALTER TABLE session ADD COLUMN emergency_until_ms INTEGER NOT NULL DEFAULT 0;

CREATE TABLE break_glass (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenant(id),
    user_id     INTEGER NOT NULL REFERENCES app_user(id),
    session_id  INTEGER NOT NULL REFERENCES session(id),
    reason      TEXT    NOT NULL CHECK (length(reason) BETWEEN 10 AND 500),
    started_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL CHECK (expires_ms > started_ms),
    ended_ms    INTEGER NOT NULL DEFAULT 0      -- ended early (or by logout); 0 = ran to expiry
) STRICT;

CREATE INDEX break_glass_by_tenant ON break_glass(tenant_id, id);
CREATE INDEX break_glass_by_user ON break_glass(user_id, ended_ms, expires_ms);
CREATE INDEX audit_event_emergency ON audit_event(tenant_id, emergency, seq);
