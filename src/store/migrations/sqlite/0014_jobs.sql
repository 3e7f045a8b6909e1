-- 0014 — durable jobs (issue 21): long work that outlives the request that
-- asked for it and the process that runs it (src/store/store_jobs.c,
-- src/jobs/). A worker takes a job by writing its owner id and a lease
-- deadline; progress extends the lease; a job whose worker died is taken
-- again once its lease has expired, until it has used max_attempts.
--
-- params, result and error are never PHI, by contract: params and result
-- are JSON objects of ids, counts and settings (the key rotation's batch
-- size, the number of keys re-wrapped); error is a message of the kind
-- operators read in logs. A job that works on patients names them by id
-- and finds the rest in the sealed tables. tenant_id NULL: a job of the
-- whole installation (none yet); no tenant ever sees those.
CREATE TABLE job (
    id                  INTEGER PRIMARY KEY,
    tenant_id           INTEGER REFERENCES tenant(id),
    kind                TEXT    NOT NULL CHECK (length(kind) BETWEEN 1 AND 63),
    state               TEXT    NOT NULL
                        CHECK (state IN ('queued', 'running', 'done', 'failed')),
    params              TEXT    NOT NULL CHECK (length(params) BETWEEN 2 AND 1024),
    progress_done       INTEGER NOT NULL DEFAULT 0,
    progress_total      INTEGER NOT NULL DEFAULT 0,
    result              TEXT    CHECK (length(result) <= 1024),
    error               TEXT    CHECK (length(error) <= 255),
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts        INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    lease_owner         TEXT    CHECK (length(lease_owner) <= 127),
    lease_expires_ms    INTEGER NOT NULL DEFAULT 0,
    created_by          INTEGER NOT NULL DEFAULT 0,
    created_ms          INTEGER NOT NULL,
    updated_ms          INTEGER NOT NULL,
    finished_ms         INTEGER
) STRICT;

-- The claim: the oldest job still queued or running (finished ones drop out
-- of this index, so it stays as small as the work in hand).
CREATE INDEX job_claim ON job(id) WHERE state IN ('queued', 'running');
-- A tenant's jobs, newest first.
CREATE INDEX job_by_tenant ON job(tenant_id, id);
