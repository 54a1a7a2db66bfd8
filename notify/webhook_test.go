package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// testWebhookSecret is "whsec_" and the base64 of 32 bytes.
const testWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/ehQvBUm8NM="

// delivery is a request a receiver got, its signature checked.
type delivery struct {
	id, timestamp string
	verified      bool
	body          []byte
	event         map[string]any
}

// receiver is a webhook endpoint that verifies each delivery as a receiver
// would, following the Standard Webhooks specification on its own (not
// with the package's sign), and answers with status (200 if 0).
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	status []int // the status of each request in turn; the last one then
	got    []delivery
	srv    *httptest.Server
}

func newReceiver(t *testing.T, status ...int) *receiver {
	r := &receiver{t: t, secret: testWebhookSecret, status: status}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	d := delivery{id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp"), body: body}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.secret, "whsec_"))
	if err != nil {
		r.t.Error(err)
	}
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, d.id+"."+d.timestamp+"."+string(body))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(req.Header.Get("webhook-signature")) {
		v, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if v == "v1" && err == nil && hmac.Equal(got, want) {
			d.verified = true
		}
	}
	if ts, err := strconv.ParseInt(d.timestamp, 10, 64); err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		d.verified = false // outside the replay window
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		r.t.Errorf("%s with Content-Type %q", req.Method, req.Header.Get("Content-Type"))
	}
	_ = json.Unmarshal(body, &d.event)
	r.mu.Lock()
	r.got = append(r.got, d)
	status := 200
	if len(r.status) > 0 {
		status = r.status[0]
		if len(r.status) > 1 {
			r.status = r.status[1:]
		}
	}
	r.mu.Unlock()
	w.WriteHeader(status)
	io.WriteString(w, strings.Repeat("x", 64<<10)) // a reply the sender does not read in full
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func newWebhooks(t *testing.T, endpoints ...Webhook) *Webhooks {
	t.Helper()
	w, err := NewWebhooks(WebhooksConfig{Endpoints: endpoints})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func webhookNote(t *testing.T, kind string, status booking.Status) booking.Notification {
	a := appointment(t, status)
	return booking.Notification{Kind: kind, Appointment: a, ID: "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
		ChangedAt: time.Date(2026, time.November, 20, 8, 30, 15, 0, time.UTC), Recipient: booking.RecipientWebhook}
}

// TestWebhookSigned: a created and a cancelled booking reach the receiver
// signed as Standard Webhooks says, with the booking, the patient's
// contact, and no motive when the type keeps it private.
func TestWebhookSigned(t *testing.T) {
	r := newReceiver(t)
	w := newWebhooks(t, Webhook{URL: r.srv.URL + "/hooks?token=x", Secret: testWebhookSecret})
	for _, tt := range []struct {
		kind   string
		status booking.Status
		typ    string
	}{
		{booking.NotifyCreated, booking.StatusConfirmed, "booking.created"},
		{booking.NotifyCancelled, booking.StatusCancelled, "booking.cancelled"},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			if err := w.Notify(context.Background(), webhookNote(t, tt.kind, tt.status)); err != nil {
				t.Fatal(err)
			}
			got := r.deliveries()
			d := got[len(got)-1]
			if !d.verified || d.id != "1b4e28ba-2fa1-41d2-883f-0016d3cca427" {
				t.Errorf("delivery %q not verified (timestamp %s)", d.id, d.timestamp)
			}
			if d.event["type"] != tt.typ || d.event["timestamp"] != "2026-11-20T08:30:15Z" {
				t.Errorf("event %v", d.event)
			}
			b := d.event["data"].(map[string]any)["booking"].(map[string]any)
			p := b["patient"].(map[string]any)
			if b["id"] != testBookingID || b["practitioner"] != "demo" || b["start"] != "2026-12-01T09:00:00+01:00" ||
				b["status"] != string(tt.status) || b["timezone"] != "Europe/Paris" ||
				p["name"] != "Marie Curie" || p["email"] != "marie@example.org" || p["phone"] != "+33612345678" {
				t.Errorf("booking %v", b)
			}
			if _, ok := b["type"]; ok || strings.Contains(string(d.body), "consultation") {
				t.Errorf("the private motive is in the event: %s", d.body)
			}
		})
	}
}

// TestWebhookDisclosedAndUndelivered: a disclosed type is named; an
// undelivered message says which message it was.
func TestWebhookDisclosedAndUndelivered(t *testing.T) {
	r := newReceiver(t)
	w := newWebhooks(t, Webhook{URL: r.srv.URL, Secret: testWebhookSecret})
	n := webhookNote(t, booking.NotifyUndelivered, booking.StatusConfirmed)
	n.About = booking.NotifyCreated
	n.Appointment.Type.DiscloseMotive = true
	if err := w.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	d := r.deliveries()[0]
	data := d.event["data"].(map[string]any)
	if d.event["type"] != "message.undelivered" || data["message"].(map[string]any)["kind"] != "created" ||
		data["booking"].(map[string]any)["type"] != "consultation" {
		t.Errorf("event %s", d.body)
	}
}

// TestWebhookRetry: a receiver that fails (500) makes the notification
// temporary (EUnavailable); the retry carries the same webhook-id, signed
// anew; a 400 is EInvalid (given up); 429 and a redirect are temporary and
// the redirect is not followed.
func TestWebhookRetry(t *testing.T) {
	r := newReceiver(t, 500, 200)
	w := newWebhooks(t, Webhook{URL: r.srv.URL, Secret: testWebhookSecret})
	n := webhookNote(t, booking.NotifyCreated, booking.StatusConfirmed)
	if err := w.Notify(context.Background(), n); booking.ErrorCode(err) != booking.EUnavailable {
		t.Fatalf("500: %v, want EUnavailable", err)
	} else if strings.Contains(err.Error(), r.srv.URL) || strings.Contains(err.Error(), "Marie") {
		t.Errorf("the error quotes the URL or the patient: %v", err)
	}
	if err := w.Notify(context.Background(), n); err != nil {
		t.Fatalf("retry: %v", err)
	}
	got := r.deliveries()
	if len(got) != 2 || got[0].id != got[1].id || !got[0].verified || !got[1].verified || string(got[0].body) != string(got[1].body) {
		t.Errorf("deliveries %+v", got)
	}

	for _, tt := range []struct {
		status int
		code   string
	}{{400, booking.EInvalid}, {410, booking.EInvalid}, {408, booking.EUnavailable}, {429, booking.EUnavailable}, {302, booking.EUnavailable}} {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			var followed bool
			mux := http.NewServeMux()
			mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
				if tt.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
			})
			mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { followed = true })
			srv := httptest.NewServer(mux)
			defer srv.Close()
			err := newWebhooks(t, Webhook{URL: srv.URL, Secret: testWebhookSecret}).Notify(context.Background(), n)
			if booking.ErrorCode(err) != tt.code {
				t.Errorf("%d: %v, want %s", tt.status, err, tt.code)
			}
			if followed {
				t.Error("the redirect was followed")
			}
		})
	}
}

// TestWebhookEndpoints: every endpoint gets the event it wants; one that
// fails makes the whole notification temporary.
func TestWebhookEndpoints(t *testing.T) {
	all, created, down := newReceiver(t), newReceiver(t), newReceiver(t, 503)
	w := newWebhooks(t,
		Webhook{URL: all.srv.URL, Secret: testWebhookSecret},
		Webhook{URL: created.srv.URL, Secret: testWebhookSecret, Events: []string{"booking.created"}},
	)
	if err := w.Notify(context.Background(), webhookNote(t, booking.NotifyCancelled, booking.StatusCancelled)); err != nil {
		t.Fatal(err)
	}
	if len(all.deliveries()) != 1 || len(created.deliveries()) != 0 {
		t.Errorf("deliveries: %d to all, %d to the created-only endpoint", len(all.deliveries()), len(created.deliveries()))
	}
	w = newWebhooks(t, Webhook{URL: all.srv.URL, Secret: testWebhookSecret}, Webhook{URL: down.srv.URL, Secret: testWebhookSecret})
	if err := w.Notify(context.Background(), webhookNote(t, booking.NotifyCreated, booking.StatusConfirmed)); booking.ErrorCode(err) != booking.EUnavailable ||
		!strings.Contains(err.Error(), "webhook #2") {
		t.Errorf("one endpoint down: %v", err)
	}
}

func TestNewWebhooksRefuses(t *testing.T) {
	for _, tt := range []struct {
		name string
		hook Webhook
		err  string
	}{
		{"http to another host", Webhook{URL: "http://hooks.example/x", Secret: testWebhookSecret}, "loopback"},
		{"no scheme", Webhook{URL: "hooks.example/x", Secret: testWebhookSecret}, "https URL"},
		{"user in URL", Webhook{URL: "https://u:p@hooks.example/x", Secret: testWebhookSecret}, "https URL"},
		{"raw secret", Webhook{URL: "https://hooks.example/x", Secret: strings.Repeat("s", 40)}, "whsec_"},
		{"short secret", Webhook{URL: "https://hooks.example/x", Secret: "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16))}, "24 to 64"},
		{"unknown event", Webhook{URL: "https://hooks.example/x", Secret: testWebhookSecret, Events: []string{"booking.paid"}}, "unknown event"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWebhooks(WebhooksConfig{Endpoints: []Webhook{tt.hook}})
			if booking.ErrorCode(err) != booking.EInvalid || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want EInvalid about %s", err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), strings.TrimPrefix(tt.hook.Secret, "whsec_")) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
	for _, ok := range []string{"https://hooks.example/x", "http://127.0.0.1:8080/x", "http://[::1]/x", "http://localhost/x"} {
		if _, err := NewWebhooks(WebhooksConfig{Endpoints: []Webhook{{URL: ok, Secret: testWebhookSecret}}}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestSignVector: the signature of the Standard Webhooks libraries' test
// vector (id, timestamp, body and secret of their test suite).
func TestSignVector(t *testing.T) {
	key, err := webhookKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
}
