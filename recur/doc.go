// Package recur is rdv's own iCalendar engine: decoding (Decode, and
// BusyDecoder, the fast decoder for busy time, which also reads streams of
// several objects), RFC 5545 recurrence expansion with RECURRENCE-ID
// overrides (Expander, Expand, Instances), VTIMEZONE and Windows zone
// names, and RFC 7953 VAVAILABILITY (Expander.Availability). It has no
// network code: it reads objects that a CalDAV client (caldav) or server
// (davserver) hands it.
//
// How the expansion is checked (RFC examples, ical.js as an oracle, fuzzing)
// and what it costs: docs/caldav.md and docs/BENCHMARKS.md.
package recur
