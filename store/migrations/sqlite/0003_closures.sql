-- Closures added at runtime through the admin API: closed periods of whole
-- local days, from_date to to_date included, merged with the closures of
-- the configuration when rdv computes a practitioner's open time. Dates are
-- TEXT YYYY-MM-DD, so that comparing the strings compares the dates. The
-- label is the practitioner's note ("formation"), never shown to patients.
CREATE TABLE closures (
    id              TEXT NOT NULL PRIMARY KEY,
    practitioner_id TEXT NOT NULL,
    from_date       TEXT NOT NULL,
    to_date         TEXT NOT NULL,
    label           TEXT NOT NULL DEFAULT '',
    CHECK (id <> '' AND practitioner_id <> ''),
    CHECK (length(from_date) = 10 AND length(to_date) = 10),
    CHECK (to_date >= from_date)
) STRICT;

CREATE INDEX closures_practitioner_to ON closures (practitioner_id, to_date);
