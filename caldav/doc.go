// Package caldav is rdv's calendar adapter: it reads the practitioner's busy
// time from a CalDAV server (RFC 4791) and writes one event per booking into
// a calendar there, and it provides a small CalDAV server backed by files
// for rdv's embedded defaults and for tests.
//
// # Client
//
// New finds the calendars (RFC 4791 section 7.1 and RFC 6764: the configured
// URL, /.well-known/caldav, the current-user-principal of RFC 5397, the
// calendar-home-set) and returns a *Calendar, which implements
// booking.Calendar:
//
//   - Busy sends a calendar-query REPORT with a time-range filter to each busy
//     calendar, asking for VEVENT and VTIMEZONE components, then expands every
//     object itself (Expand: RRULE, RDATE, EXDATE, RECURRENCE-ID overrides,
//     all-day and floating times; RFC 5545) and keeps what overlaps the
//     window. A server's own filtering is only a first cut. An object that
//     cannot be read is skipped and logged by its href, never by its content.
//   - Create, Update and Delete write with conditional requests
//     ("If-None-Match: *" and If-Match, RFC 9110 section 13.1), so that two
//     writers cannot both win: the loser gets a booking.EConflict error.
//
// Objects are written with SCHEDULE-AGENT=CLIENT on the attendee (RFC 6638
// section 7.1): a scheduling server such as Nextcloud then sends no
// invitation of its own, rdv sends its own emails.
//
// The client side speaks HTTP with net/http and encoding/xml rather than with
// go-webdav's client, which cannot send conditional requests, hides status
// codes and fails a whole query on one malformed object. Errors are
// *booking.Error values: EUnavailable when the server cannot be reached,
// answers 5xx or refuses the credentials, EInvalid for a configuration that
// cannot work (no such calendar), EConflict for a lost race. Their messages
// never carry the password, a URL or patient data; the wrapped cause, meant
// for logs, names the request that failed.
//
// # Server
//
// FileBackend is a go-webdav caldav.Backend that keeps one directory per
// calendar and one .ics file per object, and NewHandler serves it for one
// user, so that rdv's embedded calendar can be opened in Thunderbird or
// DAVx5. Its calendar-query answers use Expand, so recurring events match
// like they do on real servers.
package caldav
