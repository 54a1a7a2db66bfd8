package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// lockedBuffer is a buffer written by the service's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A patient whose every value is distinctive, and one whose email the mail
// server refuses for good (a failed message, told to the practice).
var (
	privacyPatient = map[string]any{"name": "Zéphyrine Quasimodo", "email": "zephyrine.q+rdv@example.org", "phone": "+33 6 98 76 54 32"}
	refusedPatient = map[string]any{"name": "Barnabé Xylophage", "email": "barnabe.xylo@example.org", "phone": "06 11 22 33 44"}
)

// patientTraces are the forms in which the patients' values could leak:
// as given, in parts, lowercased or without accents (compared
// case-insensitively), JSON-escaped, percent-encoded, the phone's digits
// alone and in the national form.
var patientTraces = []string{
	"Zéphyrine Quasimodo", "Zéphyrine", "Zephyrine", `Z\u00e9phyrine`, "Quasimodo",
	"zephyrine.q+rdv@example.org", "zephyrine.q+rdv", "zephyrine.q", "zephyrine.q%2Brdv", "zephyrine.q%2brdv",
	"+33 6 98 76 54 32", "+33698765432", "33698765432", "0698765432", "06 98 76 54 32", "698765432", "98 76 54 32",
	"Barnabé Xylophage", "Barnabé", "Barnab\\u00e9", "Xylophage",
	"barnabe.xylo@example.org", "barnabe.xylo", "barnabe.xylo%40example.org",
	"06 11 22 33 44", "0611223344", "611223344", "11 22 33 44",
}

// TestPrivacyLogsAndMetrics runs the whole flow on the service with a real
// mail server and the embedded calendar (booking by the JSON API and by
// the form, confirmation, move, reminder, cancellation, the admin calls,
// a message refused for good, and errors: an invalid email, a slot gone,
// a 10 MB body, unknown tokens, a wrong admin token), then checks that no
// patient's name, email or phone is in any log line, at any level, nor in
// /metrics; and that the practitioner's event does not name the private
// type.
func TestPrivacyLogsAndMetrics(t *testing.T) {
	const (
		token  = "privacy-admin-token-0123456789abcdefghij"
		motive = "Dépistage IST"
	)
	box := &mailbox{refuse: refusedPatient["email"].(string)}
	addr := freeAddr(t)
	serveSMTP(t, addr, box)
	clock := &testClock{t: time.Date(2027, 3, 1, 7, 0, 0, 0, parisLoc)} // a Monday
	logs := &lockedBuffer{}
	in := startEmbeddedLogged(t, func(c *Config) {
		p := demoPractitioner()
		p.Types = []TypeConfig{{
			ID: "t1", Name: motive, Duration: duration{20 * time.Minute},
			RequireConfirmation: true, Reminders: &[]duration{{24 * time.Hour}},
		}}
		c.Practitioners = []PractitionerConfig{p}
		c.Mail.From = "Cabinet Martin <rdv@cabinet.example>"
		c.Mail.SMTP = SMTPConfig{Addr: addr, TLS: "none"}
		c.AdminToken = token
		c.Booking.JobsInterval = duration{time.Second}
		c.now = clock.Now
	}, logs)

	call := func(method, path, ctype string, body []byte, auth string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, in.base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}
	jsonBody := func(v any) []byte {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	expect := func(what string, status, want int, body []byte) {
		t.Helper()
		if status != want {
			t.Fatalf("%s: %d, want %d: %.300s", what, status, want, body)
		}
	}
	book := func(start string, patient map[string]any) bookingResponse {
		t.Helper()
		var b bookingResponse
		st, data := call("POST", "/v1/bookings", "application/json",
			jsonBody(map[string]any{"practitioner": "demo", "type": "t1", "start": start, "patient": patient}), "")
		expect("book", st, http.StatusCreated, data)
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatal(err)
		}
		return b
	}

	var slots slotsResponse
	st, data := call("GET", "/v1/practitioners/demo/slots?type=t1&from=2027-03-02&to=2027-03-05", "", nil, "")
	expect("slots", st, http.StatusOK, data)
	if err := json.Unmarshal(data, &slots); err != nil || len(slots.Slots) < 8 {
		t.Fatalf("slots: %v, %d", err, len(slots.Slots))
	}
	slot := func(i int) string { return slots.Slots[i].Start }

	// Book (pending), confirm, move.
	b := book(slot(0), privacyPatient)
	st, data = call("POST", "/v1/bookings/"+b.ManageToken+"/confirm", "application/json", nil, "")
	expect("confirm", st, http.StatusOK, data)
	st, data = call("POST", "/v1/bookings/"+b.ManageToken+"/reschedule", "application/json", jsonBody(map[string]any{"start": slot(3)}), "")
	expect("move", st, http.StatusOK, data)

	// The practitioner's event names the patient, not the private motive.
	ev := in.event(b.ID)
	raw := func() string {
		_, data := in.dav("GET", "/dav/calendars/demo/demo/"+b.ID+".ics")
		return strings.ReplaceAll(string(data), "\r\n ", "")
	}()
	for _, s := range []string{motive, "Dépistage", "IST"} {
		if strings.Contains(raw, s) {
			t.Errorf("the practitioner's event holds %q:\n%s", s, raw)
		}
	}
	if summary, _ := ev.Props.Text(ical.PropSummary); summary != "RDV — Zéphyrine Quasimodo" {
		t.Errorf("SUMMARY = %q", summary)
	}
	if ref := ev.Props.Get("X-RDV-TYPE"); ref == nil || !opaqueTypeRef.MatchString(ref.Value) {
		t.Errorf("X-RDV-TYPE = %v, want the private type's opaque ref", ref)
	}

	// The reminder, a day before the new start.
	start, _ := time.Parse(time.RFC3339, slot(3))
	clock.Set(start.Add(-24 * time.Hour))
	deadline := time.Now().Add(15 * time.Second)
	reminded := func() bool {
		for _, m := range box.messages() {
			msg, err := mail.ReadMessage(bytes.NewReader(m))
			if err != nil {
				continue
			}
			if subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); strings.HasPrefix(subject, "Rappel") {
				return true
			}
		}
		return false
	}
	for !reminded() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !reminded() {
		t.Fatalf("no reminder; messages: %d", len(box.messages()))
	}
	clock.Set(time.Date(2027, 3, 1, 7, 0, 0, 0, parisLoc))

	// The form, then the admin's cancellation of that booking.
	form := url.Values{"practitioner": {"demo"}, "type": {"t1"}, "start": {slot(5)},
		"name": {privacyPatient["name"].(string)}, "email": {privacyPatient["email"].(string)}, "phone": {privacyPatient["phone"].(string)}}
	st, data = call("POST", "/book", "application/x-www-form-urlencoded", []byte(form.Encode()), "")
	if st != http.StatusOK && st != http.StatusSeeOther && st != http.StatusCreated {
		t.Fatalf("the form: %d: %.300s", st, data)
	}
	var agenda struct {
		Bookings []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"bookings"`
	}
	st, data = call("GET", "/v1/admin/practitioners/demo/bookings?from=2027-03-01&to=2027-03-08", "", nil, token)
	expect("admin bookings", st, http.StatusOK, data)
	if err := json.Unmarshal(data, &agenda); err != nil || len(agenda.Bookings) != 2 {
		t.Fatalf("admin bookings: %v, %s", err, data)
	}
	if !bytes.Contains(data, []byte("Quasimodo")) {
		t.Errorf("the admin agenda does not name the patient (the scan would prove nothing): %s", data)
	}
	for _, a := range agenda.Bookings {
		if a.ID != b.ID {
			st, data = call("POST", "/v1/admin/bookings/"+a.ID+"/cancel", "application/json", nil, token)
			expect("admin cancel", st, http.StatusOK, data)
		}
	}

	// Closures: add, list, remove.
	var closure struct {
		Closure struct {
			ID string `json:"id"`
		} `json:"closure"`
	}
	st, data = call("POST", "/v1/admin/practitioners/demo/closures", "application/json",
		jsonBody(map[string]any{"from": "2027-04-01", "to": "2027-04-02", "label": "congés"}), token)
	if st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("add closure: %d %s", st, data)
	}
	json.Unmarshal(data, &closure)
	st, data = call("GET", "/v1/admin/practitioners/demo/closures", "", nil, token)
	expect("closures", st, http.StatusOK, data)
	st, data = call("DELETE", "/v1/admin/practitioners/demo/closures/"+closure.Closure.ID, "", nil, token)
	if st/100 != 2 {
		t.Fatalf("remove closure %q: %d %s", closure.Closure.ID, st, data)
	}
	st, data = call("GET", "/v1/admin/practitioners/demo/unknown-events", "", nil, token)
	expect("unknown events", st, http.StatusOK, data)

	// A message refused for good, listed for the admin.
	refused := book(slot(6), refusedPatient)
	deadline = time.Now().Add(15 * time.Second)
	for {
		st, data = call("GET", "/v1/admin/messages/failed", "", nil, token)
		expect("failed messages", st, http.StatusOK, data)
		if bytes.Contains(data, []byte(refused.ID)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !bytes.Contains(data, []byte(refused.ID)) {
		t.Fatalf("the refused message is not listed: %s", data)
	}

	// Errors, each carrying the patient's values.
	bad := map[string]any{"name": privacyPatient["name"], "email": "zephyrine.q+rdv@@example.org", "phone": privacyPatient["phone"]}
	st, data = call("POST", "/v1/bookings", "application/json", jsonBody(map[string]any{"practitioner": "demo", "type": "t1", "start": slot(7), "patient": bad}), "")
	expect("invalid email", st, http.StatusUnprocessableEntity, data)
	badForm := url.Values{"practitioner": {"demo"}, "type": {"t1"}, "start": {slot(7)},
		"name": {privacyPatient["name"].(string)}, "email": {privacyPatient["email"].(string)}, "phone": {"+33 6 98 76 54 32 poste 12"}}
	st, data = call("POST", "/book", "application/x-www-form-urlencoded", []byte(badForm.Encode()), "")
	expect("form with an invalid phone", st, http.StatusUnprocessableEntity, data)
	st, data = call("POST", "/v1/bookings", "application/json", jsonBody(map[string]any{"practitioner": "demo", "type": "t1", "start": slot(3), "patient": privacyPatient}), "")
	expect("slot gone", st, http.StatusConflict, data)
	huge := jsonBody(map[string]any{"practitioner": "demo", "type": "t1", "start": slot(7), "patient": privacyPatient,
		"pad": strings.Repeat(privacyPatient["name"].(string)+" ", 10<<20/20)})
	if st, data = call("POST", "/v1/bookings", "application/json", huge, ""); st/100 != 4 {
		t.Fatalf("10 MB body: %d %.300s", st, data)
	}
	st, data = call("GET", "/v1/bookings/unknown-token-0123456789", "", nil, "")
	expect("unknown token", st, http.StatusNotFound, data)
	st, data = call("POST", "/v1/bookings/unknown-token-0123456789/cancel", "application/json", nil, "")
	expect("cancel, unknown token", st, http.StatusNotFound, data)
	st, data = call("GET", "/manage/unknown-token-0123456789", "", nil, "")
	expect("manage page, unknown token", st, http.StatusNotFound, data)
	st, data = call("GET", "/v1/admin/practitioners/demo/bookings", "", nil, "wrong-"+token)
	expect("wrong admin token", st, http.StatusUnauthorized, data)

	// The patient cancels.
	st, data = call("POST", "/v1/bookings/"+b.ManageToken+"/cancel", "application/json", nil, "")
	expect("cancel", st, http.StatusOK, data)
	in.settled()

	st, metrics := call("GET", "/metrics", "", nil, token)
	expect("metrics", st, http.StatusOK, metrics)
	if !bytes.Contains(metrics, []byte("rdv_")) {
		t.Fatalf("metrics without rdv's own: %.500s", metrics)
	}
	logText := logs.String()
	// The capture works: the lines are there, by booking id.
	for _, id := range []string{b.ID, refused.ID} {
		if !strings.Contains(logText, id) {
			t.Fatalf("the logs do not name booking %s: the capture is broken?\n%s", id, lastLines(logText, 20))
		}
	}
	// Retention: four months later, the store holds none of the patients'
	// values (the rows stay, anonymous); the export finds nothing.
	clock.Set(time.Date(2027, 7, 1, 7, 0, 0, 0, parisLoc))
	exportBody := jsonBody(map[string]any{"email": privacyPatient["email"]})
	for deadline := time.Now().Add(30 * time.Second); ; {
		st, data = call("POST", "/v1/admin/patients/export", "application/json", exportBody, token)
		expect("export", st, http.StatusOK, data)
		var export struct {
			Bookings []json.RawMessage `json:"bookings"`
		}
		if err := json.Unmarshal(data, &export); err != nil {
			t.Fatalf("export: %v: %s", err, data)
		}
		if len(export.Bookings) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the retention period, the export still finds %d bookings", len(export.Bookings))
		}
		time.Sleep(200 * time.Millisecond)
	}
	store := storeText(t, filepath.Join(in.data, "rdv.db"))
	if !strings.Contains(store, b.ID) {
		t.Fatalf("the store dump lacks booking %s: the scan would prove nothing", b.ID)
	}

	for what, text := range map[string]string{"logs": logText, "metrics": string(metrics), "store after retention": store} {
		lower := strings.ToLower(text)
		for _, s := range patientTraces {
			if i := strings.Index(lower, strings.ToLower(s)); i >= 0 {
				t.Errorf("%s hold %q: …%s…", what, s, text[max(0, i-200):min(len(text), i+100)])
			}
		}
	}
}

// storeText returns every value of every table of the SQLite store at path,
// as text, read through SQL.
func storeText(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	tables.Close()
	var out strings.Builder
	for _, n := range names {
		rows, err := db.Query(`SELECT * FROM "` + n + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(&out, "%s\t", v)
			}
			out.WriteString("\n")
		}
		rows.Close()
	}
	return out.String()
}
