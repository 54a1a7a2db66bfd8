package notify

import (
	"encoding/json"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// webhookEvent is the body of a delivery (Standard Webhooks' payload
// structure). docs/notify.md describes it for receivers.
type webhookEvent struct {
	Type string `json:"type"`
	// Timestamp is when the change happened, the same at every attempt;
	// the time of the attempt is in the webhook-timestamp header.
	Timestamp time.Time   `json:"timestamp"`
	Data      webhookData `json:"data"`
}

type webhookData struct {
	Booking webhookBooking `json:"booking"`
	// Message is, for message.undelivered, the patient's message that was
	// given up.
	Message *webhookMessage `json:"message,omitempty"`
}

type webhookMessage struct {
	Kind string `json:"kind"` // the notification kind: created, confirmed, cancelled…
}

// webhookBooking is the booking as the notification describes it. Times
// are RFC 3339 in the practitioner's time zone.
type webhookBooking struct {
	ID           string `json:"id"`
	Practitioner string `json:"practitioner"`
	// Type is the appointment type's id, only when the type discloses its
	// motive (booking.AppointmentType.DiscloseMotive).
	Type          string         `json:"type,omitempty"`
	Start         string         `json:"start"`
	End           string         `json:"end"`
	TimeZone      string         `json:"timezone"`
	Status        booking.Status `json:"status"`
	Sequence      int            `json:"sequence"`
	PreviousStart string         `json:"previous_start,omitempty"`
	PreviousEnd   string         `json:"previous_end,omitempty"`
	ConfirmBy     string         `json:"confirm_by,omitempty"`
	Lang          string         `json:"lang,omitempty"`
	Patient       webhookPatient `json:"patient"`
}

type webhookPatient struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
}

// webhookType returns the event type of a notification kind.
func webhookType(kind string) string {
	switch kind {
	case booking.NotifyUndelivered:
		return "message.undelivered"
	case booking.NotifyReminderSent:
		return "booking.reminder_sent"
	}
	return "booking." + kind
}

// webhookPayload returns the event type and the JSON body of n.
func webhookPayload(n booking.Notification) (string, []byte, error) {
	a := n.Appointment
	if a.Booking == nil || a.Practitioner == nil || a.Type == nil || a.Practitioner.Location == nil {
		return "", nil, booking.Errorf(booking.EInternal, "notify: notification without booking, practitioner, type or time zone")
	}
	b, loc := a.Booking, a.Practitioner.Location
	typ := webhookType(n.Kind)
	known := false
	for _, t := range WebhookEvents {
		known = known || t == typ
	}
	if !known {
		return "", nil, booking.Errorf(booking.EInternal, "notify: booking %s: no webhook event for kind %q", b.ID, n.Kind)
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	ev := webhookEvent{
		Type:      typ,
		Timestamp: n.ChangedAt.UTC(),
		Data: webhookData{Booking: webhookBooking{
			ID: b.ID, Practitioner: a.Practitioner.ID,
			Start: at(b.Start), End: at(b.End), TimeZone: loc.String(),
			Status: b.Status, Sequence: b.Sequence,
			PreviousStart: at(n.Previous.Start), PreviousEnd: at(n.Previous.End),
			ConfirmBy: at(n.ConfirmBy), Lang: b.Lang,
			Patient: webhookPatient{Name: b.Patient.Name, Email: b.Patient.Email, Phone: b.Patient.Phone},
		}},
	}
	if a.Type.DiscloseMotive {
		ev.Data.Booking.Type = a.Type.ID
	}
	if n.Kind == booking.NotifyUndelivered {
		ev.Data.Message = &webhookMessage{Kind: n.About}
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return "", nil, booking.WrapError(booking.EInternal, err, "notify: booking "+b.ID+": webhook event can't be encoded")
	}
	return typ, body, nil
}
