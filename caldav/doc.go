// Package caldav is rdv's CalDAV client (RFC 4791): New finds the
// practitioner's calendars (RFC 6764, RFC 5397) and returns a *Calendar,
// which implements booking.Calendar. It reads busy and open time through a
// cache validated before every read (sync-collection of RFC 6578, or
// getctag, or ETags), expands objects with package recur, and writes one
// event per booking with conditional requests (If-None-Match, If-Match,
// RFC 9110 section 13.1).
//
// Without a server, ReadFile and ParseBusy compute the busy time of an
// iCalendar stream (an .ics file) with the same code as Calendar.Busy.
//
// The cache and its validation rule, sync, writes and errors:
// docs/caldav.md; odd bytes in answers: docs/caldav-robustness.md.
package caldav
