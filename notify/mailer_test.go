package notify

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// testConfirmBy is the deadline of the pending bookings of TestNotify, a day
// after they were made.
var testConfirmBy = time.Date(2026, time.November, 21, 8, 30, 15, 0, time.UTC)

func TestNotify(t *testing.T) {
	const manageURL = testBaseURL + "/manage/" + testToken
	tests := []struct {
		name    string
		lang    string
		kind    string
		status  booking.Status
		subject string
		method  string
	}{
		{"fr_created_pending", "fr", booking.NotifyCreated, booking.StatusPending,
			"Confirmez votre rendez-vous du 1er décembre à 09:00 — Dr Anne Martin", "REQUEST"},
		{"fr_created_confirmed", "fr", booking.NotifyCreated, booking.StatusConfirmed,
			"Rendez-vous confirmé : 1er décembre à 09:00 — Dr Anne Martin", "REQUEST"},
		{"fr_confirmed", "fr", booking.NotifyConfirmed, booking.StatusConfirmed,
			"Rendez-vous confirmé : 1er décembre à 09:00 — Dr Anne Martin", "REQUEST"},
		{"fr_cancelled", "fr", booking.NotifyCancelled, booking.StatusCancelled,
			"Rendez-vous annulé : 1er décembre à 09:00 — Dr Anne Martin", "CANCEL"},
		{"en_created_pending", "en", booking.NotifyCreated, booking.StatusPending,
			"Please confirm your appointment on 1 December at 09:00 — Dr Anne Martin", "REQUEST"},
		{"en_created_confirmed", "en", booking.NotifyCreated, booking.StatusConfirmed,
			"Appointment confirmed: 1 December at 09:00 — Dr Anne Martin", "REQUEST"},
		{"en_confirmed", "en", booking.NotifyConfirmed, booking.StatusConfirmed,
			"Appointment confirmed: 1 December at 09:00 — Dr Anne Martin", "REQUEST"},
		{"en_cancelled", "en", booking.NotifyCancelled, booking.StatusCancelled,
			"Appointment cancelled: 1 December at 09:00 — Dr Anne Martin", "CANCEL"},
		{"fr_rescheduled", "fr", booking.NotifyRescheduled, booking.StatusConfirmed,
			"Rendez-vous déplacé au 1er décembre à 09:00 — Dr Anne Martin", "REQUEST"},
		{"en_rescheduled", "en", booking.NotifyRescheduled, booking.StatusConfirmed,
			"Appointment moved to 1 December at 09:00 — Dr Anne Martin", "REQUEST"},
		{"fr_expired", "fr", booking.NotifyExpired, booking.StatusExpired,
			"Rendez-vous non confirmé, créneau libéré : 1er décembre à 09:00 — Dr Anne Martin", "CANCEL"},
		{"en_expired", "en", booking.NotifyExpired, booking.StatusExpired,
			"Appointment not confirmed, slot released: 1 December at 09:00 — Dr Anne Martin", "CANCEL"},
		{"fr_link", "fr", booking.NotifyLink, booking.StatusConfirmed,
			"Votre lien pour le rendez-vous du 1er décembre à 09:00 — Dr Anne Martin", "REQUEST"},
		{"en_link_pending", "en", booking.NotifyLink, booking.StatusPending,
			"Your link for the appointment on 1 December at 09:00 — Dr Anne Martin", "REQUEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			m := newMailer(t, tt.lang, rec)
			n := booking.Notification{Kind: tt.kind, Appointment: appointment(t, tt.status)}
			if tt.kind == booking.NotifyCreated || tt.kind == booking.NotifyLink {
				n.ManageToken = testToken
				if tt.status == booking.StatusPending {
					n.ConfirmBy = testConfirmBy
				}
			}
			if tt.kind == booking.NotifyRescheduled {
				n.Appointment.Booking.Sequence = 1
				prev := n.Appointment.Booking.Start.Add(-24 * time.Hour)
				n.Previous = booking.Interval{Start: prev, End: prev.Add(20 * time.Minute)}
			}
			if err := m.Notify(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			s := rec.last(t)
			if s.from != "rdv@cabinet.example" || !slices.Equal(s.to, []string{"marie@example.org"}) {
				t.Errorf("envelope from %q to %q", s.from, s.to)
			}
			p := parseMessage(t, s.msg)

			// Header.
			h := p.header
			from, err := h.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != "Cabinet Martin" || from[0].Address != "rdv@cabinet.example" {
				t.Errorf("From = %q (%v)", h.Get("From"), err)
			}
			to, err := h.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Name != "Marie Curie" || to[0].Address != "marie@example.org" {
				t.Errorf("To = %q (%v)", h.Get("To"), err)
			}
			raw := h.Get("Subject")
			subject, err := new(mime.WordDecoder).DecodeHeader(raw)
			if err != nil || subject != tt.subject {
				t.Errorf("Subject decodes to %q (%v), want %q", subject, err, tt.subject)
			}
			asciiSubject := !strings.ContainsFunc(tt.subject, func(r rune) bool { return r >= 0x80 })
			switch {
			case asciiSubject && raw != tt.subject:
				t.Errorf("ASCII Subject %q was encoded: %q", tt.subject, raw)
			case !asciiSubject && !strings.HasPrefix(raw, "=?utf-8?q?"):
				t.Errorf("Subject %q is not Q-encoded", raw)
			}
			if date, err := h.Date(); err != nil || !date.Equal(fixedNow()) {
				t.Errorf("Date = %q (%v)", h.Get("Date"), err)
			}
			if id := h.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@cabinet\.example>$`).MatchString(id) {
				t.Errorf("Message-ID = %q", id)
			}
			for name, want := range map[string]string{
				"MIME-Version":     "1.0",
				"Auto-Submitted":   "auto-generated",
				"Content-Language": tt.lang,
			} {
				if got := h.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}

			// Plain text.
			if mt, params, _ := mime.ParseMediaType(p.text.header.Get("Content-Type")); mt != "text/plain" || params["charset"] != "utf-8" {
				t.Errorf("text part Content-Type = %q", p.text.header.Get("Content-Type"))
			}
			text := string(p.text.body)
			golden(t, tt.name, bytes.ReplaceAll(p.text.body, []byte("\r\n"), []byte("\n")))
			wantIn := []string{"Marie Curie", "Dr Anne Martin", "Cabinet Martin", "12 rue de la Paix, 75002 Paris"}
			if tt.lang == "fr" {
				wantIn = append(wantIn, "mardi 1er décembre 2026 à 09:00 (heure de Paris)", "Confidentialité")
			} else {
				wantIn = append(wantIn, "Tuesday 1 December 2026 at 09:00 (Paris time)", "Privacy")
			}
			pending := tt.status == booking.StatusPending && (tt.kind == booking.NotifyCreated || tt.kind == booking.NotifyLink)
			deadline := map[string]string{
				"fr": "Sans confirmation avant le samedi 21 novembre à 09:30,\r\nle créneau sera libéré.",
				"en": "Without confirmation before Saturday 21 November at 09:30,\r\nthe slot will be released.",
			}[tt.lang]
			for _, s := range wantIn {
				if !strings.Contains(text, s) {
					t.Errorf("text lacks %q", s)
				}
			}
			if got := strings.Contains(text, deadline); got != pending {
				t.Errorf("text holds the deadline %q: %v, want %v", deadline, got, pending)
			}
			if strings.Contains(text, "Première consultation") {
				t.Error("text names the private motive")
			}

			// HTML.
			if mt, params, _ := mime.ParseMediaType(p.html.header.Get("Content-Type")); mt != "text/html" || params["charset"] != "utf-8" {
				t.Errorf("html part Content-Type = %q", p.html.header.Get("Content-Type"))
			}
			golden(t, tt.name+"_html", bytes.ReplaceAll(p.html.body, []byte("\r\n"), []byte("\n")))
			checkHTML(t, p.html.body, tt.lang, subject)
			html := string(p.html.body)
			for _, s := range wantIn {
				if !strings.Contains(html, htmlEscape(s)) {
					t.Errorf("html lacks %q", s)
				}
			}
			if got := strings.Contains(html, htmlEscape(strings.ReplaceAll(deadline, "\r\n", " "))); got != pending {
				t.Errorf("html holds the deadline: %v, want %v", got, pending)
			}
			if got, want := strings.Contains(html, `<a href="`+manageURL+`"`), tt.kind == booking.NotifyCreated || tt.kind == booking.NotifyLink; got != want {
				t.Errorf("html links to the manage page: %v, want %v", got, want)
			}
			if got, want := strings.Contains(text, manageURL), tt.kind == booking.NotifyCreated || tt.kind == booking.NotifyLink; got != want {
				t.Errorf("text holds the manage link: %v, want %v", got, want)
			}
			if strings.Contains(text, "+33612345678") {
				t.Error("text holds the patient's phone")
			}

			// Calendar, inline.
			mt, params, err := mime.ParseMediaType(p.calendar.header.Get("Content-Type"))
			if err != nil || mt != "text/calendar" || params["charset"] != "utf-8" || params["method"] != tt.method {
				t.Errorf("calendar part Content-Type = %q", p.calendar.header.Get("Content-Type"))
			}
			if d := p.calendar.header.Get("Content-Disposition"); d != "" {
				t.Errorf("calendar part Content-Disposition = %q, want none (inline)", d)
			}
			cal, err := ical.NewDecoder(bytes.NewReader(p.calendar.body)).Decode()
			if err != nil {
				t.Fatalf("go-ical can't decode the calendar part: %v", err)
			}
			if got := cal.Props.Get(ical.PropMethod); got == nil || got.Value != tt.method {
				t.Errorf("METHOD = %v, want %s", got, tt.method)
			}
			events := cal.Events()
			if len(events) != 1 {
				t.Fatalf("%d events, want 1", len(events))
			}
			ev := events[0]
			if uid := ev.Props.Get(ical.PropUID); uid == nil || uid.Value != testBookingID {
				t.Errorf("UID = %v", uid)
			}
			if att := ev.Props.Get(ical.PropAttendee); att == nil || !strings.EqualFold(att.Value, "mailto:marie@example.org") {
				t.Errorf("ATTENDEE = %v", att)
			}
			if start, err := ev.DateTimeStart(nil); err != nil || !start.Equal(n.Appointment.Booking.Start) {
				t.Errorf("DTSTART = %v (%v)", start, err)
			}

			// Calendar, attached.
			a := p.attachment
			if mt, params, _ := mime.ParseMediaType(a.header.Get("Content-Type")); mt != "application/ics" || params["name"] != "invite.ics" {
				t.Errorf("attachment Content-Type = %q", a.header.Get("Content-Type"))
			}
			if d, params, _ := mime.ParseMediaType(a.header.Get("Content-Disposition")); d != "attachment" || params["filename"] != "invite.ics" {
				t.Errorf("attachment Content-Disposition = %q", a.header.Get("Content-Disposition"))
			}
			if !bytes.Equal(a.body, p.calendar.body) {
				t.Error("the attachment differs from the inline calendar")
			}
		})
	}
}

// TestNotifyHostileNames checks that line breaks in names the message carries
// add no header field and no line to the body.
func TestNotifyHostileNames(t *testing.T) {
	tests := []struct {
		name, patient, practitioner, typ string
	}{
		{"crlf_bcc", "Marie\r\nBcc: victim@example.net", "Dr Anne Martin", "Consultation"},
		{"lf_header", "Marie\nX-Injected: yes", "Dr Anne Martin", "Consultation"},
		{"cr_only", "Marie\rX-Injected: yes", "Dr Anne Martin", "Consultation"},
		{"end_of_header", "Marie\r\n\r\nfake body", "Dr Anne Martin", "Consultation"},
		{"unicode_separator", "Marie\u2028X-Injected: yes", "Dr Anne Martin", "Consultation"},
		{"non_ascii_crlf", "Marié\r\nBcc: victim@example.net", "Dr\r\nX-Injected: yes", "Consul\ntation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			m := newMailer(t, "fr", rec)
			a := appointment(t, booking.StatusPending)
			a.Booking.Patient.Name = tt.patient
			a.Practitioner.Name = tt.practitioner
			a.Type.Name = tt.typ
			n := booking.Notification{Kind: booking.NotifyCreated, Appointment: a, ManageToken: testToken}
			if err := m.Notify(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			s := rec.last(t)
			if !slices.Equal(s.to, []string{"marie@example.org"}) {
				t.Errorf("envelope to %q", s.to)
			}
			p := parseMessage(t, s.msg)
			var names []string
			for k := range p.header {
				names = append(names, k)
			}
			slices.Sort(names)
			want := []string{"Auto-Submitted", "Content-Language", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
			if !slices.Equal(names, want) {
				t.Errorf("header fields %q, want %q", names, want)
			}
			to, err := p.header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Address != "marie@example.org" {
				t.Fatalf("To = %q (%v)", p.header.Get("To"), err)
			}
			if strings.ContainsAny(to[0].Name, "\r\n") || !strings.HasPrefix(to[0].Name, "Mari") {
				t.Errorf("To name = %q", to[0].Name)
			}
			for line := range strings.Lines(string(p.text.body)) {
				if strings.HasPrefix(line, "X-Injected") || strings.HasPrefix(line, "Bcc") || strings.HasPrefix(line, "fake body") {
					t.Errorf("a name broke a line of the body: %q", line)
				}
			}
		})
	}
}

func TestNotifyErrors(t *testing.T) {
	const email = "marie@example.org"
	tests := []struct {
		name   string
		change func(n *booking.Notification)
		code   string
	}{
		{"unknown_kind", func(n *booking.Notification) { n.Kind = "moved" }, booking.EInternal},
		{"created_without_token", func(n *booking.Notification) { n.ManageToken = "" }, booking.EInternal},
		{"no_booking", func(n *booking.Notification) { n.Appointment.Booking = nil }, booking.EInternal},
		{"no_type", func(n *booking.Notification) { n.Appointment.Type = nil }, booking.EInternal},
		{"no_zone", func(n *booking.Notification) { n.Appointment.Practitioner.Location = nil }, booking.EInternal},
		{"email_with_crlf", func(n *booking.Notification) {
			n.Appointment.Booking.Patient.Email = email + "\r\nBcc: victim@example.net"
		}, booking.EInvalid},
		{"email_with_name", func(n *booking.Notification) {
			n.Appointment.Booking.Patient.Email = "Marie <" + email + ">"
		}, booking.EInvalid},
		{"email_list", func(n *booking.Notification) {
			n.Appointment.Booking.Patient.Email = email + ", victim@example.net"
		}, booking.EInvalid},
		{"email_quoted", func(n *booking.Notification) {
			n.Appointment.Booking.Patient.Email = `"marie>victim"@example.org`
		}, booking.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			m := newMailer(t, "fr", rec)
			n := booking.Notification{Kind: booking.NotifyCreated, Appointment: appointment(t, booking.StatusPending), ManageToken: testToken}
			tt.change(&n)
			err := m.Notify(context.Background(), n)
			if got := booking.ErrorCode(err); got != tt.code {
				t.Fatalf("error %v, code %q, want %q", err, got, tt.code)
			}
			if strings.Contains(err.Error(), "marie") || strings.Contains(err.Error(), "Marie") {
				t.Errorf("error %q names the patient", err)
			}
			if len(rec.sent) != 0 {
				t.Error("a message was sent")
			}
		})
	}
}

// failingSender refuses every message.
type failingSender struct{}

func (failingSender) Send(context.Context, string, []string, []byte) error {
	return booking.WrapError(booking.EUnavailable, errors.New("down"), "notify: test sender is down")
}

func TestNotifySenderError(t *testing.T) {
	m := newMailer(t, "en", failingSender{})
	n := booking.Notification{Kind: booking.NotifyCancelled, Appointment: appointment(t, booking.StatusCancelled)}
	err := m.Notify(context.Background(), n)
	if booking.ErrorCode(err) != booking.EUnavailable {
		t.Fatalf("error %v, want EUnavailable", err)
	}
	if !strings.Contains(err.Error(), testBookingID) || strings.Contains(err.Error(), "marie") {
		t.Errorf("error %q: want the booking id and no address", err)
	}
}

func TestNewMailer(t *testing.T) {
	good := MailerConfig{From: testFrom, BaseURL: testBaseURL, Sender: &recorder{}}
	tests := []struct {
		name   string
		change func(c *MailerConfig)
		ok     bool
	}{
		{"good", func(c *MailerConfig) {}, true},
		{"bare_from", func(c *MailerConfig) { c.From = "rdv@cabinet.example" }, true},
		{"non_ascii_name", func(c *MailerConfig) { c.From = "Cabinet Médical <rdv@cabinet.example>" }, true},
		{"english", func(c *MailerConfig) { c.Lang = "en" }, true},
		{"base_with_path", func(c *MailerConfig) { c.BaseURL = "https://example.org/rdv/" }, true},
		{"no_from", func(c *MailerConfig) { c.From = "" }, false},
		{"from_not_address", func(c *MailerConfig) { c.From = "cabinet" }, false},
		{"from_crlf", func(c *MailerConfig) { c.From = "rdv@cabinet.example\r\nBcc: x@example.net" }, false},
		{"from_two", func(c *MailerConfig) { c.From = "a@example.org, b@example.org" }, false},
		{"relative_base", func(c *MailerConfig) { c.BaseURL = "/rdv" }, false},
		{"ftp_base", func(c *MailerConfig) { c.BaseURL = "ftp://example.org" }, false},
		{"base_with_query", func(c *MailerConfig) { c.BaseURL = "https://example.org/?a=b" }, false},
		{"german", func(c *MailerConfig) { c.Lang = "de" }, false},
		{"no_sender", func(c *MailerConfig) { c.Sender = nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			_, err := NewMailer(cfg)
			if tt.ok && err != nil {
				t.Fatal(err)
			}
			if !tt.ok && booking.ErrorCode(err) != booking.EInvalid {
				t.Fatalf("error %v, want EInvalid", err)
			}
		})
	}
}

// TestManageURL checks that the link joins the base URL and the token with one
// slash, whatever the base ends with.
func TestManageURL(t *testing.T) {
	for _, base := range []string{"https://example.org/rdv", "https://example.org/rdv/", "https://example.org/rdv//"} {
		t.Run(base, func(t *testing.T) {
			rec := &recorder{}
			m, err := NewMailer(MailerConfig{From: testFrom, BaseURL: base, Sender: rec, Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			n := booking.Notification{Kind: booking.NotifyCreated, Appointment: appointment(t, booking.StatusPending), ManageToken: testToken}
			if err := m.Notify(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			text := string(parseMessage(t, rec.last(t).msg).text.body)
			if !strings.Contains(text, "https://example.org/rdv/manage/"+testToken+"\r\n") {
				t.Errorf("no manage link in:\n%s", text)
			}
		})
	}
}
