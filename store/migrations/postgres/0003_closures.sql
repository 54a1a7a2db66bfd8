-- Closures added at runtime through the admin API (as
-- migrations/sqlite/0003_closures.sql): closed periods of whole local days,
-- from_date to to_date included, merged with the closures of the
-- configuration when rdv computes a practitioner's open time. The label is
-- the practitioner's note ("formation"), never shown to patients.
CREATE TABLE closures (
    id              text NOT NULL PRIMARY KEY,
    practitioner_id text NOT NULL,
    from_date       date NOT NULL,
    to_date         date NOT NULL,
    label           text NOT NULL DEFAULT '',
    CHECK (id <> '' AND practitioner_id <> ''),
    CHECK (to_date >= from_date)
);

CREATE INDEX closures_practitioner_to ON closures (practitioner_id, to_date);
