-- digests: the practitioners' daily agenda emails, one row per practitioner
-- and local day, so that one replica sends each (see DB.ClaimDigest). Same
-- as migrations/sqlite/0009_digests.sql.
CREATE TABLE digests (
    practitioner_id text        NOT NULL,
    day             date        NOT NULL, -- the practitioner's local date
    claimed_until   timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 1,
    sent_at         timestamptz,
    PRIMARY KEY (practitioner_id, day)
);
