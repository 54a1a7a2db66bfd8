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
//   - Busy reads the busy time of the busy calendars from a cache of each,
//     validated by requests sent after the call began, and expands every
//     object itself (recur.Expander: RRULE, RDATE, EXDATE, RECURRENCE-ID
//     overrides, all-day and floating times; RFC 5545): what servers expand
//     or filter themselves is never used. An object that cannot be read is
//     skipped and logged by its href, never by its content. Events lists
//     rdv's own booking events from the same cache; Event reads one.
//   - Availability reads the open time the practitioner keeps on the server
//     (Config.Availability): the events of an availability calendar, through
//     a cache like the busy calendars', and working hours, the RFC 7953
//     VAVAILABILITY in the calendar-availability property of the scheduling
//     inbox (RFC 6638), read at every call. recur.Expander.Availability computes
//     what VAVAILABILITY components say of a window (availability.go,
//     vavailability.go).
//   - Create, Update and Delete write with conditional requests
//     ("If-None-Match: *" and If-Match, RFC 9110 section 13.1), so that two
//     writers cannot both win: the loser gets a booking.EConflict error.
//
// # Cache
//
// A Calendar keeps, for each busy calendar, its calendar objects (parsed,
// without their descriptive text) by href with their ETags, and what the
// server said of the whole collection. The first read loads it: a PROPFIND
// (Depth: 0) of the collection's sync-token (RFC 6578) and CTag (getctag, a
// CalendarServer extension that Nextcloud, sabre/dav, Radicale and DAViCal
// have), then a calendar-query of every object with a VEVENT. Every read
// after that first asks what changed, by the best means the server has:
//
//   - a sync-collection REPORT from the last sync-token, which names the
//     objects changed and removed since, with the data of those changed: one
//     small request when nothing changed;
//   - else a PROPFIND of getctag: one small request when nothing changed,
//     and when it did, a PROPFIND (Depth: 1) of every object's ETag and a
//     calendar-multiget of those that changed;
//   - else the ETags of every object, and a calendar-multiget of those that
//     changed.
//
// A server that refuses sync-collection is validated by getctag from then
// on; a sync-token the server no longer knows makes the cache load again.
// Concurrent reads share validations: a calendar gets one request at a time,
// and every read waits for a validation that began after it, so it sees
// every change made before it, by rdv, by another replica or in the
// practitioner's own calendar client. rdv's own writes go into the cache at
// once. Busy time is memoized over a span of time around the windows read,
// and expanded again only for the objects that changed, or when a window
// falls outside the span.
//
// When a calendar cannot be read (no answer within Config.Timeout, refused
// credentials, a 5xx, an answer that is not CalDAV), reads fail with an
// EUnavailable error within Config.BusyTimeout and the failure is logged
// with the calendar's path, the request and the status. The cache is never
// used without a validation: no busy time, hence no free slot, is computed
// from a copy of a calendar that could not be read.
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
// like they do on real servers. It answers from memory, the files being
// read once: each calendar has a CTag (getctag) and a sync-token, and the
// sync-collection REPORT (RFC 6578) names what changed since a token, so
// that rdv's cache validates it in one small request, like on Nextcloud.
// The files must not be edited by anything else while it runs.
package caldav
