-- 0020 — client assignments: a billing company's staff member x client
-- practice x role there. Twin of migrations/sqlite/0020_client_assignments.sql.

CREATE TABLE client_assignment (
    client_id   bigint NOT NULL REFERENCES tenant(id),
    user_id     bigint NOT NULL REFERENCES app_user(id),
    role        text   NOT NULL CHECK (role IN ('admin', 'biller', 'coder', 'front_desk',
                                                 'compliance', 'analyst')),
    created_ms  bigint NOT NULL,
    updated_ms  bigint NOT NULL,
    PRIMARY KEY (client_id, user_id)
);

CREATE INDEX client_assignment_by_user ON client_assignment(user_id, client_id);
