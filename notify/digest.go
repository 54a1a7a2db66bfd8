package notify

import (
	"context"
	"fmt"
	"net/mail"
	"text/template"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

// Digest is a practitioner's agenda of one local day, for the daily email
// (Mailer.SendDigest).
type Digest struct {
	Practitioner *booking.Practitioner
	Day          booking.Date
	// Bookings are the day's bookings, in order; the practitioner's and
	// type's of each are set. Not empty.
	Bookings []booking.Appointment
}

// digestData is what digest.tmpl sees; every field is plain text.
type digestData struct {
	Lang         string
	Practitioner string
	Date         string // "mardi 1er décembre", "Tuesday 1 December"
	Count        int
	Items        []digestItem
}

type digestItem struct {
	Start, End string // "09:00"
	Patient    string
	Phone      string // "" if none was given
	Type       string // "" unless the type discloses it
	Pending    bool
}

// loadDigestTemplates parses digest.tmpl of each language, from dir when
// it has one, and tries it on sample data.
func loadDigestTemplates(dir string) (map[string]*template.Template, error) {
	src := &templateSource{dir: dir}
	out := map[string]*template.Template{}
	for _, lang := range languages {
		rel := lang + "/digest.tmpl"
		t, where, err := src.parseMessage(rel)
		if err != nil {
			return nil, err
		}
		d := &digestData{Lang: lang, Practitioner: "Dr Anne Martin", Date: "1", Count: 2, Items: []digestItem{
			{Start: "09:00", End: "09:20", Patient: "Marie Curie", Phone: "+33612345678", Type: "Consultation", Pending: true},
			{Start: "10:00", End: "10:20", Patient: "Pierre Curie"},
		}}
		if _, _, err := renderPractice(t, d); err != nil {
			return nil, fmt.Errorf("notify: template file %s: %w", where, err)
		}
		out[lang] = t
	}
	return out, nil
}

// SendDigest emails d to its practitioner's address, in the Mailer's
// language: the time and patient (name, phone) of each booking, and its
// motive only if the type discloses it. Its Message-ID is the same at
// every attempt for one practitioner and day. EInvalid when the
// practitioner has no usable address; the sender's errors as Notify.
func (m *Mailer) SendDigest(ctx context.Context, d Digest) error {
	p := d.Practitioner
	if p == nil || p.Location == nil || len(d.Bookings) == 0 {
		return booking.Errorf(booking.EInternal, "notify: digest without practitioner, time zone or bookings")
	}
	if err := checkAddress(p.Email); err != nil {
		return booking.Errorf(booking.EInvalid, "notify: digest of %s: practitioner %s has no usable email address", d.Day, p.ID)
	}
	lang, loc := m.lang, p.Location
	noon := time.Date(d.Day.Year, d.Day.Month, d.Day.Day, 12, 0, 0, 0, loc)
	date := locale.WeekdayDayMonth(lang, noon)
	data := &digestData{Lang: lang, Practitioner: oneLine(p.Name), Date: date, Count: len(d.Bookings)}
	for _, a := range d.Bookings {
		if a.Booking == nil || a.Type == nil {
			return booking.Errorf(booking.EInternal, "notify: digest of %s for %s: a booking without its type", d.Day, p.ID)
		}
		b := a.Booking
		it := digestItem{Start: b.Start.In(loc).Format("15:04"), End: b.End.In(loc).Format("15:04"),
			Patient: oneLine(b.Patient.Name), Phone: oneLine(b.Patient.Phone), Pending: b.Status == booking.StatusPending}
		if a.Type.DiscloseMotive {
			it.Type = oneLine(a.Type.Name)
		}
		data.Items = append(data.Items, it)
	}
	subject, text, err := renderPractice(m.digest[lang], data)
	if err != nil {
		return booking.WrapError(booking.EInternal, err, "notify: the digest of "+p.ID+" can't be rendered")
	}
	msg := &textMessage{
		From: m.from, To: &mail.Address{Name: oneLine(p.Name), Address: p.Email},
		Subject: subject, Date: m.now(), MessageID: messageID("digest-"+p.ID+"-"+d.Day.String(), m.domain), Lang: lang, Text: text,
	}
	raw, err := msg.encode()
	if err != nil {
		return booking.WrapError(booking.EInternal, err, "notify: the digest of "+p.ID+" can't be encoded")
	}
	if err := m.sender.Send(ctx, m.from.Address, []string{p.Email}, raw); err != nil {
		return m.sendError(fmt.Errorf("notify: digest of %s for %s: %w", d.Day, p.ID, err))
	}
	return nil
}
