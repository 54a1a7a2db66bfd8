package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"text/template"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

// The conditions an Alert tells of.
const (
	// AlertCalendarUnreadable: the practitioner's calendar can't be read
	// (server down, credentials refused, answers that are not CalDAV), so
	// patients see no free time.
	AlertCalendarUnreadable = "calendar_unreadable"
	// AlertSyncHeld: the calendar sync of the practitioner is held by the
	// guard against mass cancellation (booking.Service.Sync): what the
	// practitioner changes in the calendar is not followed.
	AlertSyncHeld = "sync_held"
)

// Alert tells the practice and the host that one of a practitioner's
// conditions began or ended. It holds ids and counts, no patient data.
type Alert struct {
	// ID identifies this alert: the Message-ID's and the webhook-id's
	// left-hand side. Letters, digits and dashes.
	ID           string
	Condition    string // AlertCalendarUnreadable or AlertSyncHeld
	Recovered    bool   // the condition ended
	Practitioner *booking.Practitioner
	// Since is when the condition began; At when it was noticed, or ended.
	Since, At time.Time
	// Failures counts the failed reads in a row (AlertCalendarUnreadable).
	Failures int
	// Missing and Active count the bookings whose event is missing, and the
	// bookings to come (AlertSyncHeld).
	Missing, Active int
}

// alertData is what alert.tmpl sees; every field is plain text.
type alertData struct {
	Lang, Practitioner, Condition string
	Recovered                     bool
	Since, At                     string // "mardi 1er décembre 09:40"
	Failures, Missing, Active     int
}

// loadAlertTemplates parses alert.tmpl of each language, from dir when it
// has one, and tries it on sample data of each condition.
func loadAlertTemplates(dir string) (map[string]*template.Template, error) {
	src := &templateSource{dir: dir}
	out := map[string]*template.Template{}
	for _, lang := range languages {
		t, where, err := src.parseMessage(lang + "/alert.tmpl")
		if err != nil {
			return nil, err
		}
		for _, c := range []string{AlertCalendarUnreadable, AlertSyncHeld} {
			for _, rec := range []bool{false, true} {
				d := &alertData{Lang: lang, Practitioner: "Dr Anne Martin", Condition: c, Recovered: rec, Since: "1", At: "2", Failures: 3, Missing: 6, Active: 7}
				if _, _, err := renderPractice(t, d); err != nil {
					return nil, fmt.Errorf("notify: template file %s: %w", where, err)
				}
			}
		}
		out[lang] = t
	}
	return out, nil
}

func (a Alert) check() error {
	if a.Practitioner == nil || a.Practitioner.Location == nil || a.ID == "" || strings.Trim(a.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		return booking.Errorf(booking.EInternal, "notify: alert without practitioner, time zone or usable id")
	}
	if a.Condition != AlertCalendarUnreadable && a.Condition != AlertSyncHeld {
		return booking.Errorf(booking.EInternal, "notify: unknown alert condition %q", a.Condition)
	}
	return nil
}

// SendAlert emails a, in the Mailer's language, to each address of to
// (the practitioner's, the host's), one message each. It returns the
// errors of the addresses it could not send to, joined.
func (m *Mailer) SendAlert(ctx context.Context, a Alert, to []string) error {
	if err := a.check(); err != nil {
		return err
	}
	p, lang := a.Practitioner, m.lang
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		t = t.In(p.Location)
		return locale.WeekdayDayMonth(lang, t) + " " + t.Format("15:04")
	}
	d := &alertData{Lang: lang, Practitioner: oneLine(p.Name), Condition: a.Condition, Recovered: a.Recovered,
		Since: at(a.Since), At: at(a.At), Failures: a.Failures, Missing: a.Missing, Active: a.Active}
	subject, text, err := renderPractice(m.alert[lang], d)
	if err != nil {
		return booking.WrapError(booking.EInternal, err, "notify: the alert for "+p.ID+" can't be rendered")
	}
	var errs []error
	for i, addr := range to {
		if err := checkAddress(addr); err != nil {
			errs = append(errs, booking.Errorf(booking.EInvalid, "notify: alert %s for %s: address #%d is not usable", a.Condition, p.ID, i+1))
			continue
		}
		msg := &textMessage{
			From: m.from, To: &mail.Address{Address: addr},
			Subject: subject, Date: m.now(), MessageID: messageID(fmt.Sprintf("alert-%s-%d", a.ID, i), m.domain), Lang: lang, Text: text,
		}
		raw, err := msg.encode()
		if err == nil {
			err = m.sender.Send(ctx, m.from.Address, []string{addr}, raw)
		}
		if err != nil {
			errs = append(errs, m.sendError(fmt.Errorf("notify: alert %s for %s to address #%d: %w", a.Condition, p.ID, i+1, err)))
		}
	}
	return errors.Join(errs...)
}

// alertEvent is the body of an alert's webhook delivery.
type alertEvent struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      alertBody `json:"data"`
}

type alertBody struct {
	Practitioner string `json:"practitioner"`
	Since        string `json:"since"`
	Failures     int    `json:"failures,omitempty"`
	Missing      int    `json:"missing,omitempty"`
	Active       int    `json:"active,omitempty"`
}

// alertType returns the webhook event type of a.
func alertType(a Alert) string {
	switch {
	case a.Condition == AlertCalendarUnreadable && a.Recovered:
		return "calendar.recovered"
	case a.Condition == AlertCalendarUnreadable:
		return "calendar.unreadable"
	case a.Recovered:
		return "sync.resumed"
	}
	return "sync.held"
}

// SendAlert POSTs a to every endpoint that wants its event type
// (calendar.unreadable, calendar.recovered, sync.held, sync.resumed),
// signed as the others; errors as Notify's.
func (w *Webhooks) SendAlert(ctx context.Context, a Alert) error {
	if err := a.check(); err != nil {
		return err
	}
	typ := alertType(a)
	body, err := json.Marshal(alertEvent{Type: typ, Timestamp: a.At.UTC(), Data: alertBody{
		Practitioner: a.Practitioner.ID, Since: a.Since.In(a.Practitioner.Location).Format(time.RFC3339),
		Failures: a.Failures, Missing: a.Missing, Active: a.Active,
	}})
	if err != nil {
		return booking.WrapError(booking.EInternal, err, "notify: alert event can't be encoded")
	}
	var errs []error
	for i, e := range w.endpoints {
		if e.events != nil && !e.events[typ] {
			continue
		}
		if err := w.post(ctx, e, "alert-"+a.ID, body); err != nil {
			errs = append(errs, fmt.Errorf("notify: %s of %s to webhook #%d (%s): %w", typ, a.Practitioner.ID, i+1, e.host, err))
		}
	}
	return errors.Join(errs...)
}
