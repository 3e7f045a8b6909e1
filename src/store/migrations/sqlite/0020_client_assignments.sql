-- 0020 — client assignments: which of a billing company's staff may work in
-- which client practice, and with which role there (minimum necessary). A
-- company user who is not owner or admin reaches only the clients assigned
-- to them, with the assigned role; the company's owners and admins keep
-- every client with their own role (docs/security.md, "Billing companies").
-- The role set is include/rcm/roles.h less owner (one owner per practice
-- decides about the practice) and api_client (a machine role).

CREATE TABLE client_assignment (
    client_id   INTEGER NOT NULL REFERENCES tenant(id),
    user_id     INTEGER NOT NULL REFERENCES app_user(id),
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'biller', 'coder', 'front_desk',
                                                 'compliance', 'analyst')),
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (client_id, user_id)
) STRICT;

CREATE INDEX client_assignment_by_user ON client_assignment(user_id, client_id);
