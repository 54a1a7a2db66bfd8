package rdv

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
	"github.com/rdvlibre/rdv/notify"
)

const testWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/ehQvBUm8NM="

// hookLog is a webhook endpoint that answers status and keeps the
// webhook-id of each request.
type hookLog struct {
	status int
	mu     sync.Mutex
	ids    []string
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.ids = append(h.ids, r.Header.Get("webhook-id"))
	h.mu.Unlock()
	w.WriteHeader(h.status)
}

func (h *hookLog) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ids...)
}

// TestWebhookGivenUp: an endpoint that keeps failing (500) gets the same
// event, with the same webhook-id, at each of booking.MaxAttempts tries of
// the outbox, then the message is given up with an error in the log; one
// that refuses it (400) is given up at once. The patient's email is sent
// all the same.
func TestWebhookGivenUp(t *testing.T) {
	for _, tt := range []struct {
		status, attempts int
	}{{500, booking.MaxAttempts}, {400, 1}} {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			h := &hookLog{status: tt.status}
			srv := httptest.NewServer(h)
			defer srv.Close()
			clock := bookingtest.NewClock(time.Date(2026, time.December, 2, 10, 0, 0, 0, time.UTC))
			logs := &bookingtest.LogBuffer{}
			o := testOptions(t)
			o.Now, o.Logger = clock.Now, slog.New(slog.NewTextHandler(logs, nil))
			o.Webhooks = []notify.Webhook{{URL: srv.URL, Secret: testWebhookSecret}}
			a, err := New(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if hosts := a.Webhooks(); len(hosts) != 1 || !strings.HasPrefix(hosts[0], "127.0.0.1:") {
				t.Errorf("Webhooks() = %v", hosts)
			}
			_, _, err = a.Service().Book(context.Background(), booking.BookRequest{
				PractitionerID: "martin", TypeID: "consultation", Start: time.Date(2026, time.December, 21, 9, 0, 0, 0, time.UTC), // its reminder falls after the test
				Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "+33612345678"},
			})
			if err != nil {
				t.Fatal(err)
			}
			a.Service().Flush()
			for range 2 * booking.MaxAttempts {
				clock.Add(2 * time.Hour) // past any backoff
				if _, err := a.Service().Dispatch(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			ids := h.got()
			if len(ids) != tt.attempts {
				t.Errorf("%d deliveries, want %d", len(ids), tt.attempts)
			}
			for _, id := range ids {
				if id == "" || id != ids[0] {
					t.Errorf("webhook-ids %v: want one id, the same at each try", ids)
					break
				}
			}
			l := logs.String()
			if !strings.Contains(l, "notification given up") || !strings.Contains(l, "recipient=webhook") {
				t.Errorf("no log line gives the webhook message up:\n%s", l)
			}
			if strings.Contains(l, "Marie") || strings.Contains(l, "marie@") || strings.Contains(l, srv.URL) {
				t.Errorf("the logs carry the patient or the endpoint's URL:\n%s", l)
			}
			rec := httptest.NewRecorder()
			a.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			if m := rec.Body.String(); !strings.Contains(m, `rdv_outbox_messages_total{outcome="given_up"} 1`) {
				t.Errorf("the metrics do not count the message given up:\n%s", m)
			}
			failed, err := a.store.FailedMessages(context.Background(), time.Time{}, 10)
			if err != nil || len(failed) != 1 || failed[0].Recipient != booking.RecipientWebhook {
				t.Errorf("failed messages %+v (%v), want the webhook's", failed, err)
			}
		})
	}
}
