-- The tables sabre/dav 1.8's PDO backends read and write (principals,
-- CalDAV), for a throw-away SQLite database. Written for rdv's tests from
-- the column names the backends use; the unique keys are those Nextcloud
-- puts on its own tables, so that two writes of one object cannot both land.
CREATE TABLE IF NOT EXISTS principals (
	id          INTEGER PRIMARY KEY,
	uri         TEXT NOT NULL UNIQUE,
	email       TEXT,
	displayname TEXT,
	vcardurl    TEXT
);

CREATE TABLE IF NOT EXISTS groupmembers (
	id           INTEGER PRIMARY KEY,
	principal_id INTEGER NOT NULL,
	member_id    INTEGER NOT NULL,
	UNIQUE (principal_id, member_id)
);

CREATE TABLE IF NOT EXISTS calendars (
	id            INTEGER PRIMARY KEY,
	principaluri  TEXT NOT NULL,
	uri           TEXT NOT NULL,
	displayname   TEXT,
	description   TEXT,
	ctag          INTEGER NOT NULL DEFAULT 1,
	calendarorder INTEGER NOT NULL DEFAULT 0,
	calendarcolor TEXT,
	timezone      TEXT,
	components    TEXT,
	transparent   INTEGER NOT NULL DEFAULT 0,
	UNIQUE (principaluri, uri)
);

CREATE TABLE IF NOT EXISTS calendarobjects (
	id             INTEGER PRIMARY KEY,
	calendarid     INTEGER NOT NULL,
	uri            TEXT NOT NULL,
	calendardata   BLOB,
	lastmodified   INTEGER,
	etag           TEXT,
	size           INTEGER,
	componenttype  TEXT,
	firstoccurence INTEGER,
	lastoccurence  INTEGER,
	UNIQUE (calendarid, uri)
);
