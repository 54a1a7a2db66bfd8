package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// The abuse suite (docs/limits.md): real HTTP against the rdv binary, as a
// stranger on the internet would send it, on SQLite with the embedded
// CalDAV server, and on PostgreSQL with two replicas for the limits kept in
// the store. Every test starts its own processes and runs in parallel with
// the others; the binary runs on real time, so the limits are chosen so
// that no test has to wait for a bucket or a window to refill.

// TestAbuseRateLimits: the per-address rate of booking (3 at once, then one
// an hour) behind a trusted proxy, which names the client in
// X-Forwarded-For; and /metrics behind the admin token.
func TestAbuseRateLimits(t *testing.T) {
	skipHeavy(t)
	t.Parallel()
	const token = "abuse-admin-token-0123456789abcdefghij"
	e := startAbuse(t, "rdv rates", procConfig{
		trustedProxies: []string{"127.0.0.1"},
		adminToken:     token,
		limits:         "new_per_minute = -1\nbook = { every = \"1h\", burst = 3 }\n",
	})
	limited := 0 // refusals of the book rate, for the metrics

	// One address books every free slot it can, with a new throwaway
	// email each time: its bucket stops it after three.
	t.Run("empty the agenda from one address", func(t *testing.T) {
		for i := range 8 {
			r := postJSON(t, e.rdvProcess, "/v1/bookings", consultation(e.slots.next(), fmt.Sprintf("throwaway%d@example.org", i)), from("203.0.113.7")...)
			if i < 3 {
				if r.status != http.StatusCreated {
					t.Fatalf("booking %d: %v, want 201", i, r)
				}
				continue
			}
			wantLimit(t, fmt.Sprintf("booking %d", i), r, "rate", 3500, 3600)
			limited++
		}
		// The form is the same kind of request: refused too, with a page.
		form := url.Values{"practitioner": {"martin"}, "type": {"consultation"}, "start": {e.slots.next().Format(time.RFC3339)},
			"name": {"Patient Test"}, "email": {"throwaway-form@example.org"}}
		r := do(t, e.rdvProcess, http.MethodPost, "/book", "application/x-www-form-urlencoded", []byte(form.Encode()), from("203.0.113.7")...)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "Trop de demandes") {
			t.Errorf("the form from the same address: %v, want the 429 page with Retry-After", r)
		}
		limited++
		if got := e.written(t); got.rows != 3 || got.events != 3 {
			t.Errorf("written: %+v, want 3 bookings", got)
		}
		r = postJSON(t, e.rdvProcess, "/v1/bookings", consultation(e.slots.next(), "legit@example.org"), from("203.0.113.8")...)
		if r.status != http.StatusCreated {
			t.Errorf("a patient from another address: %v, want 201", r)
		}
	})

	// Twenty addresses, each with throwaway emails: each is stopped at its
	// own burst, and a patient from another address still books.
	t.Run("20 addresses at their burst", func(t *testing.T) {
		before := e.written(t).rows
		var mu sync.Mutex
		created, refused := 0, 0
		var wg sync.WaitGroup
		for a := 1; a <= 20; a++ {
			wg.Go(func() {
				addr := fmt.Sprintf("198.51.100.%d", a)
				for i := range 5 {
					r := postJSON(t, e.rdvProcess, "/v1/bookings", consultation(e.slots.next(), fmt.Sprintf("burst-%d-%d@example.org", a, i)), from(addr)...)
					mu.Lock()
					switch {
					case i < 3 && r.status == http.StatusCreated:
						created++
					case i >= 3:
						wantLimit(t, addr+" booking "+strconv.Itoa(i), r, "rate", 3500, 3600)
						refused++
					default:
						t.Errorf("%s booking %d: %v, want 201", addr, i, r)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		limited += refused
		if created != 60 || refused != 40 {
			t.Errorf("%d booked and %d refused, want 60 and 40", created, refused)
		}
		if got := e.written(t).rows - before; got != 60 {
			t.Errorf("%d ledger rows written, want 60", got)
		}
		r := postJSON(t, e.rdvProcess, "/v1/bookings", consultation(e.slots.next(), "legit2@example.org"), from("192.0.2.50")...)
		if r.status != http.StatusCreated {
			t.Errorf("a patient from another address: %v, want 201", r)
		}
	})

	// /metrics on the public address needs the admin token, and counts the
	// refusals of the rate limits.
	t.Run("metrics need the admin token", func(t *testing.T) {
		if r := do(t, e.rdvProcess, http.MethodGet, "/metrics", "", nil); r.status != http.StatusUnauthorized || bytes.Contains(r.body, []byte("rdv_http")) {
			t.Errorf("/metrics without a token: %v, want 401", r)
		}
		if r := do(t, e.rdvProcess, http.MethodGet, "/metrics", "", nil, "Authorization", "Bearer wrong-token-wrong-token-wrong-token"); r.status != http.StatusUnauthorized {
			t.Errorf("/metrics with a wrong token: %v, want 401", r)
		}
		r := do(t, e.rdvProcess, http.MethodGet, "/metrics", "", nil, "Authorization", "Bearer "+token)
		want := fmt.Sprintf(`rdv_http_rate_limited_total{class="book"} %d`, limited)
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("/metrics with the token: %d, want 200 with %s in:\n%s", r.status, want, grepLines(r.body, "rate_limited"))
		}
	})
}

// TestAbuseNewPerMinute: twenty addresses (X-Forwarded-For behind the
// trusted proxy), throwaway emails, no rate per address to stop them. The
// ceiling new_per_minute is per practitioner, all patients together, and
// counted in the store under the practitioner's lock, so that it holds
// across replicas (TestAbuseReplicas): exactly 10 of 20 requests sent at
// once book, the others are told to come back in a minute.
func TestAbuseNewPerMinute(t *testing.T) {
	skipHeavy(t)
	t.Parallel()
	e := startAbuse(t, "rdv ceiling", procConfig{
		trustedProxies: []string{"127.0.0.1"},
		limits:         "new_per_minute = 10\nbook = { every = \"1s\", burst = 100 }\n",
	})
	replies := make([]reply, 20)
	starts := make([]time.Time, 20)
	for i := range starts {
		starts[i] = e.slots.next()
	}
	var wg sync.WaitGroup
	for i := range replies {
		wg.Go(func() {
			replies[i] = postJSON(t, e.rdvProcess, "/v1/bookings", consultation(starts[i], fmt.Sprintf("crowd%d@example.org", i)), from(fmt.Sprintf("198.51.100.%d", i+1))...)
		})
	}
	wg.Wait()
	created := 0
	for i, r := range replies {
		if r.status == http.StatusCreated {
			created++
			continue
		}
		wantLimit(t, fmt.Sprintf("request %d", i), r, "new_per_minute", 60, 60)
	}
	if created != 10 {
		t.Errorf("%d booked, want 10", created)
	}
	if got := e.written(t); got.rows != 10 || got.events != 10 {
		t.Errorf("written: %+v, want 10 bookings", got)
	}
}

// TestAbusePatient: what one patient may do, whatever the address (rates
// per address off, business limits at their defaults): hold two upcoming
// bookings per email or phone, move one three times; and what no other
// site may make a browser do, what no input may write, and the
// operations surfaces.
func TestAbusePatient(t *testing.T) {
	skipHeavy(t)
	t.Parallel()
	metricsPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", metricsPort)
	e := startAbuse(t, "rdv patient", procConfig{
		contact:     "01 23 45 67 89",
		metricsAddr: metricsAddr,
		limits:      "book = { burst = -1 }\nchange = { burst = -1 }\n",
	})

	// One email written three ways, or one phone number written three
	// ways, is one patient: the third active booking is refused, with the
	// practice's phone.
	t.Run("same patient", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			who  []map[string]any
		}{
			{"email", []map[string]any{
				{"name": "Marie Curie", "email": "Marie+rdv@Example.org"},
				{"name": "Marie Curie", "email": "marie@example.org"},
				{"name": "Marie Curie", "email": "MARIE+encore@EXAMPLE.ORG"},
			}},
			{"phone", []map[string]any{
				{"name": "Paul Dupont", "email": "paul1@example.org", "phone": "+33 6 12 34 56 78"},
				{"name": "Paul Dupont", "email": "paul2@example.org", "phone": "06.12.34.56.78"},
				{"name": "Paul Dupont", "email": "paul3@example.org", "phone": "0612345678"},
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				for i, who := range tt.who {
					b := consultation(e.slots.next(), "")
					b["patient"] = who
					r := postJSON(t, e.rdvProcess, "/v1/bookings", b)
					if i < 2 {
						if r.status != http.StatusCreated {
							t.Fatalf("booking %d: %v, want 201", i, r)
						}
						continue
					}
					wantLimit(t, "the third booking", r, "active_bookings", 0, 0)
					if !strings.Contains(string(r.body), "01 23 45 67 89") {
						t.Errorf("the third booking: %s, without the practice's phone", r.body)
					}
				}
			})
		}
	})

	// One booking moved over and over (each move emails the patient):
	// three moves, then 429; at most four emails in all.
	t.Run("reschedule flood", func(t *testing.T) {
		var b bookingResponse
		r := postJSON(t, e.rdvProcess, "/v1/bookings", consultation(e.slots.next(), "mover@example.org"))
		if r.status != http.StatusCreated || json.Unmarshal(r.body, &b) != nil {
			t.Fatalf("booking: %v", r)
		}
		for i := range 6 {
			r := postJSON(t, e.rdvProcess, "/v1/bookings/"+b.ManageToken+"/reschedule", map[string]any{"start": e.slots.next().Format(time.RFC3339)})
			if i < 3 {
				if r.status != http.StatusOK {
					t.Fatalf("move %d: %v, want 200", i+1, r)
				}
				continue
			}
			wantLimit(t, fmt.Sprintf("move %d", i+1), r, "moves", 0, 0)
		}
		// A move's email still waiting when the next move is made is
		// dropped (the newer one says where the visit is): 2 to 4 emails,
		// never more than the booking's and one per allowed move.
		if n := waitMailsTo(t, e.data, "mover@example.org", 2); n < 2 || n > 4 {
			t.Errorf("%d emails to the patient, want 2 to 4 (the booking, and at most one per allowed move)", n)
		}
	})

	// A page of another site can't make its visitors' browsers book or
	// cancel: the API takes JSON only (which needs a preflight, refused),
	// and the forms refuse a cross-site post.
	t.Run("cross-site", func(t *testing.T) {
		var b bookingResponse
		r := postJSON(t, e.rdvProcess, "/v1/bookings", consultation(e.slots.next(), "victim@example.org"))
		if r.status != http.StatusCreated || json.Unmarshal(r.body, &b) != nil {
			t.Fatalf("booking: %v", r)
		}
		before := e.written(t)
		evil := []string{"Origin", "https://evil.example"}
		body, _ := json.Marshal(consultation(e.slots.next(), "victim@example.org"))
		for _, c := range []struct{ name, path, ctype string }{
			{"book as text/plain", "/v1/bookings", "text/plain"},
			{"book without Content-Type", "/v1/bookings", ""},
			{"book as a form", "/v1/bookings", "application/x-www-form-urlencoded"},
			{"cancel as text/plain", "/v1/bookings/" + b.ManageToken + "/cancel", "text/plain"},
		} {
			r := do(t, e.rdvProcess, http.MethodPost, c.path, c.ctype, body, evil...)
			if r.status != http.StatusUnsupportedMediaType {
				t.Errorf("%s: %v, want 415", c.name, r)
			}
			if acao := r.header.Get("Access-Control-Allow-Origin"); acao != "" {
				t.Errorf("%s: Access-Control-Allow-Origin %q", c.name, acao)
			}
		}
		r = do(t, e.rdvProcess, http.MethodOptions, "/v1/bookings", "", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from another site: %v, want 403 without CORS headers", r)
		}
		form := url.Values{"practitioner": {"martin"}, "type": {"consultation"}, "start": {e.slots.next().Format(time.RFC3339)},
			"name": {"Victime"}, "email": {"victim@example.org"}}
		r = do(t, e.rdvProcess, http.MethodPost, "/book", "application/x-www-form-urlencoded", []byte(form.Encode()),
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "Requête refusée") {
			t.Errorf("the booking form posted from another site: %v, want the 403 page", r)
		}
		if after := e.written(t); after != before {
			t.Errorf("written: %+v, then %+v after the cross-site requests", before, after)
		}
		var got struct{ Status string }
		e.mustCall(http.MethodGet, "/v1/bookings/"+b.ManageToken, nil, http.StatusOK, &got)
		if got.Status != "confirmed" {
			t.Errorf("the booking is %s after a cross-site cancel, want confirmed", got.Status)
		}
	})

	// Inputs meant to spoof a name, smuggle a header or a recipient into an
	// email, or reach a local mailbox: 422, and nothing of them written
	// anywhere, the log included.
	t.Run("hostile inputs", func(t *testing.T) {
		before := e.written(t)
		for _, c := range hostileInputs {
			t.Run(c.name, func(t *testing.T) {
				start := e.slots.next().Format(time.RFC3339)
				body := fmt.Sprintf(`{"practitioner":"martin","type":"consultation","start":%q,"patient":{"name":%s,"email":%s}}`,
					start, c.nameJSON, c.emailJSON)
				r := do(t, e.rdvProcess, http.MethodPost, "/v1/bookings", "application/json", []byte(body))
				want := http.StatusUnprocessableEntity
				if !utf8.ValidString(body) {
					want = http.StatusBadRequest
				}
				if r.status != want {
					t.Errorf("%v, want %d", r, want)
				}
				if bytes.Contains(r.body, []byte(c.needle)) {
					t.Errorf("the answer echoes the input: %s", r.body)
				}
			})
		}
		t.Run("10 MB body", func(t *testing.T) {
			big := fmt.Sprintf(`{"practitioner":"martin","type":"consultation","start":%q,"patient":{"name":"%s","email":"big@example.org"}}`,
				e.slots.next().Format(time.RFC3339), strings.Repeat("a", 10<<20))
			if r := do(t, e.rdvProcess, http.MethodPost, "/v1/bookings", "application/json", []byte(big)); r.status != http.StatusRequestEntityTooLarge {
				t.Errorf("%v, want 413", r)
			}
		})
		if after := e.written(t); after != before {
			t.Errorf("written: %+v, then %+v after the hostile inputs", before, after)
		}
		logs := e.logs.String()
		for _, c := range hostileInputs {
			if strings.Contains(logs, c.needle) {
				t.Errorf("the log holds the input of %q (%q)", c.name, c.needle)
			}
		}
	})

	// /metrics is not public (no admin token here: 404) but served on the
	// address of its own; the embedded CalDAV server refuses an object of
	// 2 MB, even from its own user.
	t.Run("operations surfaces", func(t *testing.T) {
		if r := do(t, e.rdvProcess, http.MethodGet, "/metrics", "", nil); r.status != http.StatusNotFound || bytes.Contains(r.body, []byte("rdv_http")) {
			t.Errorf("/metrics on the public address: %v, want 404", r)
		}
		r := do(t, e.rdvProcess, http.MethodGet, "http://"+metricsAddr+"/metrics", "", nil)
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte("rdv_http_requests_total")) {
			t.Errorf("/metrics on metrics_addr: %v, want 200 with the request counts", r)
		}
		if r := do(t, e.rdvProcess, http.MethodGet, "http://"+metricsAddr+"/v1/practitioners", "", nil); r.status != http.StatusNotFound {
			t.Errorf("the API on metrics_addr: %v, want 404", r)
		}
		pw, err := os.ReadFile(filepath.Join(e.data, "dav-password"))
		if err != nil {
			t.Fatal(err)
		}
		auth := "Basic " + basicAuth("demo", strings.TrimSpace(string(pw)))
		before := len(embeddedEvents(t, e.data, "martin"))
		big := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:big@test\r\n" +
			"DTSTAMP:20270101T000000Z\r\nDTSTART:20270310T090000Z\r\nDURATION:PT1H\r\n" +
			"DESCRIPTION:" + strings.Repeat("x", 2<<20) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		obj := "/dav/calendars/demo/martin/big.ics"
		if r := do(t, e.rdvProcess, http.MethodPut, obj, "text/calendar; charset=utf-8", []byte(big), "Authorization", auth); r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("PUT of 2 MB to /dav/: %v, want 413", r)
		}
		if r := do(t, e.rdvProcess, http.MethodGet, obj, "", nil, "Authorization", auth); r.status != http.StatusNotFound {
			t.Errorf("GET of the refused object: %v, want 404", r)
		}
		if after := len(embeddedEvents(t, e.data, "martin")); after != before {
			t.Errorf("%d events, then %d after the refused PUT", before, after)
		}
	})
}

// hostileInputs are patient data that must be refused (422; 400 for a body
// that is not UTF-8 at all, which is not JSON, RFC 8259 section 8.1): the
// name and the email as JSON text, and what of them must appear nowhere.
var hostileInputs = []struct{ name, nameJSON, emailJSON, needle string }{
	{"right-to-left override in the name", `"Zorglub \u202emoc.live"`, `"rtl@example.org"`, "\u202e"},
	{"zero-width space in the name", `"Zorg\u200blub"`, `"zwsp@example.org"`, "Zorg\u200blub"},
	{"NUL in the name", `"Zorglub\u0000Bcc"`, `"nul@example.org"`, "Zorglub\x00"},
	{"lone surrogate in the name", `"Zorglub \ud800"`, `"surrogate@example.org"`, "Zorglub \ufffd"},
	{"invalid UTF-8 in the name", "\"Zorglub \xff\xfe\"", `"utf8@example.org"`, "Zorglub \xff"},
	{"URL as the name", `"https://evil.example/login"`, `"url@example.org"`, "evil.example/login"},
	{"query in the email", `"Patient Test"`, `"zorglub?cc=x@example.org"`, "zorglub?cc="},
	{"IP literal as the domain", `"Patient Test"`, `"zorglub@[127.0.0.1]"`, "zorglub@[127.0.0.1]"},
	{"localhost as the domain", `"Patient Test"`, `"zorglub@localhost"`, "zorglub@localhost"},
}

// TestAbuseReplicas: the business limits are kept in the store, so two
// replicas on one PostgreSQL database (and one Radicale calendar) hold them
// together. An address is mailed at most messages_per_hour times whichever
// replica books or moves for it; and the practitioner's new_per_minute
// ceiling counts the bookings of both.
func TestAbuseReplicas(t *testing.T) {
	skipHeavy(t)
	t.Parallel()
	bin := rdvBinary(t, "")
	r := testservers.StartRadicale(t)
	r.MkCalendar(t, "rdv-bookings", "Rendez-vous")
	pg := testservers.StartPostgres(t)
	dir := t.TempDir()
	// No rate per address (every request comes from 127.0.0.1), no limit
	// per contact: only the two limits under test.
	config := writeConfig(t, dir, procConfig{store: pg, radicale: r, bookings: "Rendez-vous", limits: `active_per_contact = -1
messages_per_hour = 4
new_per_minute = 8
book = { burst = -1 }
change = { burst = -1 }
`})
	replicas := []*rdvProcess{
		startRdv(t, "replica A", bin, config, filepath.Join(dir, "A")),
		startRdv(t, "replica B", bin, config, filepath.Join(dir, "B")),
	}
	var slots slotSeq
	slots.day = 1
	created := 0 // new bookings so far, all within the minute

	// A booking on A, a move on B, a booking on A, a move on B: four
	// emails to one address. Then neither replica books nor moves for it.
	t.Run("messages per hour", func(t *testing.T) {
		const email = "target@example.org"
		var tokens []string
		for i := range 2 {
			var b bookingResponse
			res := postJSON(t, replicas[0], "/v1/bookings", consultation(slots.next(), email))
			if res.status != http.StatusCreated || json.Unmarshal(res.body, &b) != nil {
				t.Fatalf("booking %d on A: %v, want 201", i, res)
			}
			created++
			tokens = append(tokens, b.ManageToken)
			res = postJSON(t, replicas[1], "/v1/bookings/"+b.ManageToken+"/reschedule", map[string]any{"start": slots.next().Format(time.RFC3339)})
			if res.status != http.StatusOK {
				t.Fatalf("move %d on B: %v, want 200", i, res)
			}
		}
		for _, p := range replicas {
			for _, to := range []string{email, "TARGET@Example.org"} {
				res := postJSON(t, p, "/v1/bookings", consultation(slots.next(), to))
				if res.status == http.StatusCreated {
					created++
				}
				wantLimit(t, p.name+": a booking for "+to, res, "messages_per_hour", 3599, 3600)
			}
			wantLimit(t, p.name+": a move", postJSON(t, p, "/v1/bookings/"+tokens[0]+"/reschedule", map[string]any{"start": slots.next().Format(time.RFC3339)}), "messages_per_hour", 3599, 3600)
		}
	})

	// The same mailbox with a +tag in the local part is the same address
	// for every other limit (booking.EmailKey): the practice must not be
	// made to mail it once more.
	t.Run("messages per hour with a +tag", func(t *testing.T) {
		for _, p := range replicas {
			res := postJSON(t, p, "/v1/bookings", consultation(slots.next(), "target+"+p.name[len(p.name)-1:]+"@example.org"))
			if res.status == http.StatusCreated {
				created++
			}
			wantLimit(t, p.name+": a booking for target+tag", res, "messages_per_hour", 3599, 3600)
		}
	})

	// Twenty requests at once, half on each replica, with as many emails:
	// the ceiling of 8 a minute, less those made above, is shared.
	t.Run("new per minute", func(t *testing.T) {
		want := 8 - created
		replies := make([]reply, 20)
		starts := make([]time.Time, 20)
		for i := range starts {
			starts[i] = slots.next()
		}
		var wg sync.WaitGroup
		for i := range replies {
			wg.Go(func() {
				replies[i] = postJSON(t, replicas[i%2], "/v1/bookings", consultation(starts[i], fmt.Sprintf("crowd%d@example.org", i)))
			})
		}
		wg.Wait()
		n := 0
		refused := [2]int{}
		for i, res := range replies {
			if res.status == http.StatusCreated {
				n++
				continue
			}
			refused[i%2]++
			wantLimit(t, fmt.Sprintf("request %d on %s", i, replicas[i%2].name), res, "new_per_minute", 60, 60)
		}
		if n != want {
			t.Errorf("%d booked, want %d", n, want)
		}
		if refused[0] == 0 || refused[1] == 0 {
			t.Errorf("refusals by replica: %v, want some on each", refused)
		}
		if got := len(activeRows(readLedger(t, pg))); got != 8 {
			t.Errorf("%d active bookings, want 8", got)
		}
	})
}
