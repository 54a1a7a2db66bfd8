package notify

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"text/template"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

var _ booking.WaitNotifier = (*Mailer)(nil)

// waitData is what waitlist.tmpl sees; every field is plain text.
type waitData struct {
	Lang         string
	Alert        bool   // a free slot (else the confirmation)
	Patient      string // the patient's name
	Practitioner string // "" for a shared motive's entry
	Shared       string // the shared motive's name (public), "" for a practitioner's type
	Practice     string // the From's display name, "" if none
	Type         string // "" unless the type discloses it
	From, Until  string // the window's days, "1 December"
	When         string // the free slot (Alert), with its zone
	ConfirmURL   string // the confirmation (not Alert)
	ConfirmBy    string // when the unconfirmed entry lapses (not Alert), with its zone
	DayURL       string // the day page of the free slot (Alert)
	LeaveURL     string
}

// loadWaitTemplates parses waitlist.tmpl of each language, from dir when
// it has one, and tries it on sample data.
func loadWaitTemplates(dir string) (map[string]*template.Template, error) {
	src := &templateSource{dir: dir}
	out := map[string]*template.Template{}
	for _, lang := range languages {
		rel := lang + "/waitlist.tmpl"
		t, where, err := src.parseMessage(rel)
		if err != nil {
			return nil, err
		}
		for _, alert := range []bool{false, true} {
			for _, shared := range []string{"", "Consultation de médecine générale"} {
				d := &waitData{Lang: lang, Alert: alert, Patient: "Marie Curie", Practitioner: "Dr Anne Martin", Type: "Consultation",
					From: "1", Until: "2", When: "1", ConfirmURL: "https://x/c", ConfirmBy: "3", DayURL: "https://x/d", LeaveURL: "https://x/l"}
				if shared != "" {
					d.Practitioner, d.Type, d.Shared = "", "", shared
				}
				if _, _, err := renderPractice(t, d); err != nil {
					return nil, fmt.Errorf("notify: template file %s: %w", where, err)
				}
			}
		}
		out[lang] = t
	}
	return out, nil
}

// NotifyWait emails a waiting-list message to its patient, in the entry's
// language: the confirmation link of a new entry, or the news of a free
// slot with the link to its day; both with the link that leaves the list.
// The motive is named only if the type discloses it; a shared motive's
// entry names the shared motive (its name is public) and no practitioner,
// its link going to the shared motive's day page. It implements
// booking.WaitNotifier; errors as Notify's, naming the entry by its id.
func (m *Mailer) NotifyWait(ctx context.Context, n booking.WaitNotification) error {
	e, p, t := n.Entry, n.Practitioner, n.Type
	if e == nil || p == nil || t == nil || p.Location == nil || n.Token == "" {
		return booking.Errorf(booking.EInternal, "notify: waiting-list message without entry, practitioner, type or token")
	}
	if n.Kind != booking.WaitConfirm && n.Kind != booking.WaitAlert {
		return booking.Errorf(booking.EInternal, "notify: entry %s: unknown waiting-list message kind %q", e.ID, n.Kind)
	}
	if err := checkAddress(e.Patient.Email); err != nil {
		return booking.Errorf(booking.EInvalid, "notify: entry %s: the patient's email is not a usable address", e.ID)
	}
	lang := e.Lang
	if !slices.Contains(languages, lang) {
		lang = m.lang
	}
	loc := p.Location
	noon := func(d booking.Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, loc) }
	d := &waitData{
		Lang: lang, Alert: n.Kind == booking.WaitAlert, Patient: oneLine(e.Patient.Name), Practitioner: oneLine(p.Name),
		Practice: oneLine(m.from.Name),
		From:     locale.WeekdayDayMonth(lang, noon(e.Window.From)), Until: locale.WeekdayDayMonth(lang, noon(e.Window.Until)),
		LeaveURL: m.base + "/waitlist/leave/" + url.PathEscape(n.Token) + "?lang=" + lang,
	}
	if t.DiscloseMotive {
		d.Type = oneLine(t.Name)
	}
	dayPath := "/p/" + url.PathEscape(p.ID) + "/" + url.PathEscape(t.ID)
	if n.Shared != nil {
		d.Practitioner, d.Type, d.Shared = "", "", oneLine(n.Shared.Name)
		dayPath = "/s/" + url.PathEscape(n.Shared.ID)
	}
	if d.Alert {
		start := n.Slot.Start.In(loc)
		d.When = locale.When(lang, start)
		d.DayURL = m.base + dayPath + "?day=" + start.Format("2006-01-02") + "&lang=" + lang
	} else {
		d.ConfirmURL = m.base + "/waitlist/confirm/" + url.PathEscape(n.Token) + "?lang=" + lang
		// 24 hours after joining, or sooner when the window ends before.
		d.ConfirmBy = locale.When(lang, e.ExpiresAt.In(loc))
	}
	subject, text, err := renderPractice(m.waitlist[lang], d)
	if err != nil {
		return booking.WrapError(booking.EInternal, err, "notify: the waiting-list message of entry "+e.ID+" can't be rendered")
	}
	msg := &textMessage{
		From: m.from, To: &mail.Address{Name: d.Patient, Address: e.Patient.Email},
		Subject: subject, Date: m.now(), MessageID: messageID(n.ID, m.domain), Lang: lang, Text: text,
	}
	raw, err := msg.encode()
	if err != nil {
		return booking.WrapError(booking.EInternal, err, "notify: the waiting-list message of entry "+e.ID+" can't be encoded")
	}
	if err := m.sender.Send(ctx, m.from.Address, []string{e.Patient.Email}, raw); err != nil {
		return m.sendError(fmt.Errorf("notify: %s message of entry %s: %w", n.Kind, e.ID, err))
	}
	return nil
}
