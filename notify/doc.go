// Package notify tells patients about their bookings by email.
//
// A Mailer implements booking.Notifier. For each notification (a booking
// created, confirmed, moved, cancelled, or released because it was not
// confirmed in time) it renders a short plain-text message in
// French or English from embedded text/template files, attaches the
// appointment as an iTIP invitation built by package ics, and hands the
// message to a Sender: SMTPSender submits it to a mail server, DirSender
// writes it as an .eml file (the embedded demo's outbox).
//
// Messages follow these standards:
//
//   - RFC 5322, Internet Message Format: From, To, Subject, Date and
//     Message-ID header fields, CRLF line endings, folded header lines.
//   - RFC 2045, 2046 and 2047, MIME: multipart/mixed and
//     multipart/alternative bodies, quoted-printable and base64 transfer
//     encodings, non-ASCII subjects and display names as encoded-words.
//   - RFC 6047, iMIP: the iCalendar object travels as a text/calendar part
//     whose method parameter matches its METHOD property, beside the
//     plain-text part, and again as an invite.ics attachment for clients that
//     only offer attachments.
//   - RFC 5546, iTIP: METHOD:REQUEST when a booking is created, confirmed or
//     moved (with a greater SEQUENCE), METHOD:CANCEL when it is cancelled or
//     expires.
//   - RFC 3834: every message carries Auto-Submitted: auto-generated.
//
// A patient's name, email address and phone number are personal health data:
// they appear in the message sent to that patient and nowhere else. Errors and
// logs carry booking ids only; the reply text of an SMTP server, which may
// echo an address, is left out of errors.
//
// The manage link (the base URL followed by /manage/ and the patient's secret
// token) appears only in the message about a new booking, the only moment the
// token is known.
package notify
