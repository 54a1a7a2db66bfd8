package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// TestAlertMail renders each alert in each language (golden files), to
// each address, with a Message-ID of the alert's id.
func TestAlertMail(t *testing.T) {
	p := appointment(t, booking.StatusConfirmed).Practitioner
	since := time.Date(2026, time.December, 1, 9, 40, 0, 0, time.UTC)
	for _, lang := range []string{"fr", "en"} {
		for _, a := range []Alert{
			{ID: "a1", Condition: AlertCalendarUnreadable, Failures: 3},
			{ID: "a2", Condition: AlertCalendarUnreadable, Recovered: true},
			{ID: "a3", Condition: AlertSyncHeld, Missing: 6, Active: 7},
			{ID: "a4", Condition: AlertSyncHeld, Recovered: true},
		} {
			name := a.Condition
			if a.Recovered {
				name += "_recovered"
			}
			t.Run(lang+"/"+name, func(t *testing.T) {
				a.Practitioner, a.Since, a.At = p, since, since.Add(10*time.Minute)
				rec := &recorder{}
				if err := newMailer(t, lang, rec).SendAlert(context.Background(), a, []string{p.Email, "host@example.net"}); err != nil {
					t.Fatal(err)
				}
				if len(rec.sent) != 2 || rec.sent[0].to[0] != p.Email || rec.sent[1].to[0] != "host@example.net" {
					t.Fatalf("sent %+v", rec.sent)
				}
				msg, err := mail.ReadMessage(bytes.NewReader(rec.sent[0].msg))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
				subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
				golden(t, "alert_"+lang+"_"+name+".txt", append([]byte(subject+"\n\n"), body...))
				if msg.Header.Get("Message-Id") != "<alert-"+a.ID+"-0@cabinet.example>" {
					t.Errorf("Message-ID %q", msg.Header.Get("Message-Id"))
				}
				if !strings.Contains(subject, p.Name) {
					t.Errorf("subject %q", subject)
				}
			})
		}
	}
	if err := newMailer(t, "en", &recorder{}).SendAlert(context.Background(), Alert{ID: "x y", Condition: AlertSyncHeld, Practitioner: p}, nil); booking.ErrorCode(err) != booking.EInternal {
		t.Errorf("an id with a space: %v", err)
	}
}

// TestAlertWebhook checks the event type and body of each alert, signed,
// and that an endpoint that did not ask for the type gets none.
func TestAlertWebhook(t *testing.T) {
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Header.Get("webhook-signature") == "" || !strings.HasPrefix(r.Header.Get("webhook-id"), "alert-") {
			t.Errorf("delivery: %v %v", err, r.Header)
		}
		got = append(got, m)
	}))
	defer srv.Close()
	w, err := NewWebhooks(WebhooksConfig{Endpoints: []Webhook{
		{URL: srv.URL, Secret: testWebhookSecret},
		{URL: srv.URL, Secret: testWebhookSecret, Events: []string{"booking.created"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := appointment(t, booking.StatusConfirmed).Practitioner
	since := time.Date(2026, time.December, 1, 9, 40, 0, 0, time.UTC)
	for _, a := range []Alert{
		{ID: "a1", Condition: AlertCalendarUnreadable, Failures: 3},
		{ID: "a2", Condition: AlertCalendarUnreadable, Recovered: true},
		{ID: "a3", Condition: AlertSyncHeld, Missing: 6, Active: 7},
		{ID: "a4", Condition: AlertSyncHeld, Recovered: true},
	} {
		a.Practitioner, a.Since, a.At = p, since, since
		if err := w.SendAlert(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 4 {
		t.Fatalf("%d deliveries, want 4 (the second endpoint wants none)", len(got))
	}
	for i, want := range []string{"calendar.unreadable", "calendar.recovered", "sync.held", "sync.resumed"} {
		d, _ := got[i]["data"].(map[string]any)
		if got[i]["type"] != want || d["practitioner"] != p.ID || d["since"] == "" {
			t.Errorf("delivery %d: %v", i, got[i])
		}
	}
	if d := got[0]["data"].(map[string]any); d["failures"] != 3.0 {
		t.Errorf("calendar.unreadable data: %v", d)
	}
	if d := got[2]["data"].(map[string]any); d["missing"] != 6.0 || d["active"] != 7.0 {
		t.Errorf("sync.held data: %v", d)
	}
}
