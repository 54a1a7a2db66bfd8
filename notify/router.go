package notify

import (
	"context"

	"github.com/rdvlibre/rdv/booking"
)

// Router is the booking.Notifier of an instance with webhooks: it hands
// each notification to the sender of its recipient (Notification.Recipient).
// The patient's and the practice's messages go to Mail, which emails them
// (the practice's to the practitioner's address); the webhooks' to
// Webhooks. An instance without webhooks gives its Mailer to the service
// directly.
type Router struct {
	Mail     *Mailer
	Webhooks *Webhooks // nil: no webhooks (their messages are EInternal errors)
}

var _ booking.Notifier = (*Router)(nil)

// Notify hands n to its sender and returns that sender's error. A
// recipient without sender is an EInternal error: the message is given up.
func (r *Router) Notify(ctx context.Context, n booking.Notification) error {
	switch n.Recipient {
	case booking.RecipientWebhook:
		if r.Webhooks == nil {
			return booking.Errorf(booking.EInternal, "notify: a webhook message, but no webhook is configured")
		}
		return r.Webhooks.Notify(ctx, n)
	case booking.RecipientPatient, booking.RecipientPractice:
		if r.Mail == nil {
			return booking.Errorf(booking.EInternal, "notify: an email, but no mailer is configured")
		}
		return r.Mail.Notify(ctx, n)
	}
	return booking.Errorf(booking.EInternal, "notify: unknown recipient %q", n.Recipient)
}
