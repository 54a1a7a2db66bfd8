-- digests: the practitioners' daily agenda emails, one row per practitioner
-- and local day, so that one replica sends each (see DB.ClaimDigest).
-- claimed_until is the lease of the replica sending it; sent_at is set once
-- it is sent (or there was nothing to send).
CREATE TABLE digests (
    practitioner_id TEXT    NOT NULL,
    day             TEXT    NOT NULL, -- YYYY-MM-DD, the practitioner's local date
    claimed_until   TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 1,
    sent_at         TEXT,
    PRIMARY KEY (practitioner_id, day)
) STRICT;
