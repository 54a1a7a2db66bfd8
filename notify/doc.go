// Package notify tells patients about their bookings by email: a Mailer
// implements booking.Notifier, renders short FR/EN messages (plain text and
// HTML, in the booking's language) from embedded templates that files may
// replace, with the appointment as an iTIP invitation (RFC 5546, RFC 6047;
// built by package ics), and hands them to a Sender: SMTP, or .eml files for
// the demo. The appointment type's name stays out of the messages unless the
// type discloses it. The practice may get a short copy of each change
// (practice.go), and the host's own endpoints signed events (Webhooks,
// Standard Webhooks); Router hands each notification to its sender.
// Patient data appears only in the messages to that patient, to their
// practice and to the host's webhooks; errors and logs carry booking ids.
//
// The standards followed, message by message: docs/notify.md.
package notify
