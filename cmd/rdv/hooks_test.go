package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// e2eHookSecret is "whsec_" and the base64 of 32 bytes.
const e2eHookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/ehQvBUm8NM="

// hookReceiver is the host's webhook endpoint: it checks each delivery's
// signature as Standard Webhooks says, with its own code, and keeps the
// events it could verify.
type hookReceiver struct {
	mu       sync.Mutex
	events   []map[string]any
	ids      []string
	rejected int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(e2eHookSecret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, id+"."+ts+"."+string(body))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	sec, err := strconv.ParseInt(ts, 10, 64)
	ok := err == nil && time.Since(time.Unix(sec, 0)).Abs() < 5*time.Minute &&
		hmac.Equal([]byte(r.Header.Get("webhook-signature")), []byte(want))
	h.mu.Lock()
	defer h.mu.Unlock()
	var ev map[string]any
	if !ok || json.Unmarshal(body, &ev) != nil {
		h.rejected++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h.events, h.ids = append(h.events, ev), append(h.ids, id)
}

// wait returns the events once there are n of them, or after 10 s.
func (h *hookReceiver) wait(n int) []map[string]any {
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		got := append([]map[string]any(nil), h.events...)
		h.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEndToEndWebhooksAndPractice: with a webhook and notify_bookings
// configured, a booking made through the API reaches the host's endpoint
// as a signed booking.created with the patient's contact, and the
// practitioner gets their copy as an .eml in DATA/outbox, beside the
// patient's; a cancellation follows the same way.
func TestEndToEndWebhooksAndPractice(t *testing.T) {
	h := &hookReceiver{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	secretFile := filepath.Join(t.TempDir(), "hook.secret")
	if err := os.WriteFile(secretFile, []byte(e2eHookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := startEmbeddedConfig(t, func(c *Config) {
		p := demoPractitioner()
		p.NotifyBookings = true
		c.Practitioners = []PractitionerConfig{p}
		c.Webhooks = []WebhookConfig{{URL: srv.URL + "/rdv", SecretFile: secretFile}}
	})
	paris, _ := time.LoadLocation("Europe/Paris")
	today := time.Now().In(paris)
	slots := in.slots(today.AddDate(0, 0, 1), today.AddDate(0, 0, 29))
	if len(slots) == 0 {
		t.Fatal("no free slot")
	}
	var b bookingResponse
	if st, _ := in.do("POST", "/v1/bookings", bookBody(slots[0], "Marie Curie", "marie@example.org"), &b); st != 201 {
		t.Fatalf("book: %d", st)
	}

	events := h.wait(1)
	if len(events) != 1 {
		t.Fatalf("%d events verified (%d rejected), want booking.created", len(events), h.rejected)
	}
	ev := events[0]
	bk := ev["data"].(map[string]any)["booking"].(map[string]any)
	patient := bk["patient"].(map[string]any)
	if ev["type"] != "booking.created" || bk["id"] != b.ID || bk["start"] != slots[0] || bk["status"] != "confirmed" ||
		patient["name"] != "Marie Curie" || patient["phone"] != "+33612345678" {
		t.Errorf("event %v", ev)
	}
	if _, ok := bk["type"]; ok {
		t.Errorf("the private type is in the event: %v", bk)
	}

	mails := waitMails(t, in.data, 2)
	var practice, toPatient int
	for _, m := range mails {
		switch {
		case strings.Contains(m.to, "anne.martin@example.org"):
			practice++
			if !strings.HasPrefix(m.subject, "Nouveau rendez-vous : Marie Curie, ") {
				t.Errorf("practice's subject %q", m.subject)
			}
		case strings.Contains(m.to, "marie@example.org"):
			toPatient++
		}
	}
	if practice != 1 || toPatient != 1 {
		t.Errorf("mails %+v: want one to the patient, one to the practice", mails)
	}

	if st, _ := in.do("POST", "/v1/bookings/"+b.ManageToken+"/cancel", nil, nil); st != 200 {
		t.Fatalf("cancel: %d", st)
	}
	if events = h.wait(2); len(events) != 2 || events[1]["type"] != "booking.cancelled" {
		t.Errorf("after cancelling: %d events, want booking.cancelled last", len(events))
	}
	h.mu.Lock()
	if len(h.ids) == 2 && h.ids[0] == h.ids[1] {
		t.Errorf("two events with one webhook-id %s", h.ids[0])
	}
	h.mu.Unlock()
	if mails = waitMails(t, in.data, 4); len(mails) != 4 {
		t.Errorf("%d mails after cancelling, want 4", len(mails))
	}
}

// TestConfigWebhooks: the configuration's webhooks and notify_bookings,
// and what it refuses.
func TestConfigWebhooks(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
[[webhooks]]
url = "https://sms.cabinet.example/rdv"
secret = "` + e2eHookSecret + `"
events = ["booking.created", "booking.cancelled"]

[[practitioners]]
id = "martin"
email = "martin@cabinet.example"
notify_bookings = true
daily_digest = "07:30"
[practitioners.hours]
mon = ["09:00-12:00"]
[[practitioners.types]]
id = "consultation"
duration = "20m"
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	cfg.BaseURL, cfg.DataDir = "http://rdv.test", t.TempDir()
	o, err := cfg.options(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Webhooks) != 1 || o.Webhooks[0].Secret != e2eHookSecret || len(o.Webhooks[0].Events) != 2 || !o.Practitioners[0].NotifyBookings ||
		o.DailyDigest["martin"] != 7*60+30 {
		t.Errorf("options %+v, %+v", o.Webhooks, o.Practitioners[0])
	}
	for _, tt := range []struct{ name, toml, err string }{
		{"no url", "[[webhooks]]\nsecret = \"" + e2eHookSecret + "\"\n", "no url"},
		{"no secret", "[[webhooks]]\nurl = \"https://h.example/\"\n", "secret"},
		{"two secrets", "[[webhooks]]\nurl = \"https://h.example/\"\nsecret = \"x\"\nsecret_file = \"y\"\n", "one of them"},
		{"digest without email", "[[practitioners]]\nid = \"martin\"\ndaily_digest = \"07:00\"\n[[practitioners.types]]\nid = \"c\"\nduration = \"20m\"\n", "daily_digest needs"},
		{"digest at 25:00", "[[practitioners]]\nid = \"martin\"\nemail = \"m@c.example\"\ndaily_digest = \"25:00\"\n[[practitioners.types]]\nid = \"c\"\nduration = \"20m\"\n", "want HH:MM"},
		{"notify without email", "[[practitioners]]\nid = \"martin\"\nnotify_bookings = true\n[[practitioners.types]]\nid = \"c\"\nduration = \"20m\"\n", "notify_bookings"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.toml))
			if err == nil {
				err = cfg.check()
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want one about %s", err, tt.err)
			}
		})
	}
}
