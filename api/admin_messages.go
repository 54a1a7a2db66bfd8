package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// The admin list of undelivered messages: the notifications given up,
// which nobody received.

type failedMessageJSON struct {
	ID        string `json:"id" format:"uuid" doc:"Outbox id of the message, also in its Message-ID."`
	Booking   string `json:"booking" format:"uuid" doc:"The booking the message is about."`
	Kind      string `json:"kind" example:"created" doc:"What it said: created, confirmed, cancelled, rescheduled, expired, link, reminder; undelivered (the news, to the practice or the webhooks, that a patient message was given up), reminder_sent."`
	About     string `json:"about,omitempty" example:"created" doc:"For undelivered: the kind of the patient's message that was given up."`
	Recipient string `json:"recipient" enum:"patient,practice,webhook" doc:"Who it was for."`
	Attempts  int    `json:"attempts" doc:"How many times it was tried."`
	CreatedAt string `json:"created_at" format:"date-time" doc:"When the change it tells of happened, RFC 3339 (UTC)."`
	FailedAt  string `json:"failed_at" format:"date-time" doc:"When it was given up, RFC 3339 (UTC)."`
	Reason    string `json:"reason" example:"invalid: notify: the mail server refused the message for good" doc:"Why, as the sender said it; never patient data."`
}

type failedMessagesInput struct {
	Since time.Time `query:"since" doc:"Only the messages given up at or after this RFC 3339 instant. Default: the last 7 days (older ones are purged)."`
	Limit int       `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"At most this many, newest first."`
}

type failedMessagesOutput struct {
	Body struct {
		Messages []failedMessageJSON `json:"messages" doc:"The undelivered messages, newest first."`
	}
}

// registerAdminMessages registers the admin list of undelivered messages;
// op makes an operation an admin one (see registerAdmin).
func (s *Server) registerAdminMessages(op func(huma.Operation) huma.Operation) {
	huma.Register(s.api, op(huma.Operation{
		OperationID: "adminListFailedMessages",
		Method:      http.MethodGet,
		Path:        "/v1/admin/messages/failed",
		Summary:     "List undelivered messages",
		Description: "The notifications rdv gave up on: a mail server that refused the address for good (a 5xx reply to it), " +
			"or a day of failed retries. The patient never received them: call them, or resend their link " +
			"(POST /v1/admin/bookings/{id}/resend-link).",
		Errors: []int{http.StatusServiceUnavailable},
	}), func(ctx context.Context, in *failedMessagesInput) (*failedMessagesOutput, error) {
		since := in.Since
		if since.IsZero() {
			since = s.now().Add(-7 * 24 * time.Hour)
		}
		msgs, err := s.svc.FailedMessages(ctx, since, in.Limit)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := &failedMessagesOutput{}
		out.Body.Messages = make([]failedMessageJSON, 0, len(msgs))
		for _, m := range msgs {
			r := m.Recipient
			if r == "" {
				r = "patient"
			}
			out.Body.Messages = append(out.Body.Messages, failedMessageJSON{
				ID: m.ID, Booking: m.BookingID, Kind: m.Kind, About: m.About, Recipient: r, Attempts: m.Attempts,
				CreatedAt: m.CreatedAt.UTC().Format(time.RFC3339), FailedAt: m.FailedAt.UTC().Format(time.RFC3339),
				Reason: m.Reason,
			})
		}
		return out, nil
	})
}
