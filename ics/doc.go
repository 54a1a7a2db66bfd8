// Package ics renders a booking as an iCalendar object (RFC 5545): the event
// stored in the practitioner's calendar, and the iTIP messages (RFC 5546,
// METHOD:REQUEST and METHOD:CANCEL) attached to the patient's emails.
//
// Objects are built as go-ical components and written by go-ical's encoder,
// never by string concatenation; Encode only folds the encoder's lines to the
// 75-octet limit of RFC 5545 section 3.1. Times carry the practitioner's TZID
// with a VTIMEZONE generated from Go's time zone database, so a client that
// does not know the zone still places the visit at the right instant.
//
// The objects hold the patient's name, email and phone: they are health data,
// to be written only to the practitioner's calendar and the patient's mailbox,
// never to logs.
package ics
