-- 0001 — the first schema: tenants.
--
-- Conventions for every table: STRICT; ids are INTEGER PRIMARY KEY; times
-- are INTEGER milliseconds since the epoch (UTC) in columns named *_ms;
-- money is INTEGER cents in columns named *_cents; PHI never appears in a
-- plaintext column.

CREATE TABLE tenant (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE
                CHECK (length(slug) BETWEEN 1 AND 63 AND slug NOT GLOB '*[^a-z0-9-]*'),
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_ms  INTEGER NOT NULL
) STRICT;
