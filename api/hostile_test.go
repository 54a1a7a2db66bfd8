package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// jsonString returns s as a JSON string literal, its bytes as they are:
// unlike json.Marshal, it leaves invalid UTF-8 in place, as a hostile client
// would send it.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			b.WriteString(`\u00` + strconv.FormatUint(uint64(c)>>4, 16) + strconv.FormatUint(uint64(c)&15, 16))
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Every patient field is hostile input: a request that carries one of these
// is refused with a problem naming the field, before anything is read or
// written, and the value is neither echoed nor logged.
func TestBookingHostilePatient(t *testing.T) {
	const start = "2026-12-01T09:00:00+01:00"
	tests := []struct {
		name         string
		field        string // name, email or phone
		value        string // as the client means it (see jsonString)
		rawName      string // when set, the JSON text of the name, as is
		status       int
		detail, seek string // the detail must contain detail; seek is what the logs must not
	}{
		{"RTL override", "name", "Marie\u202eeiruC", "", 422, "patient name", "eiruC"},
		{"zero-width space", "name", "Ma\u200brie Curie", "", 422, "patient name", "Ma\u200brie"},
		{"BOM", "name", "\ufeffMarie Curie", "", 422, "patient name", "\ufeffMarie"},
		{"NUL", "name", "Marie\x00Curie", "", 422, "patient name", "Marie\x00"},
		{"lone surrogate", "name", "", `"Ma\ud800rie"`, 422, "patient name", "Ma\ufffdrie"},
		{"invalid UTF-8", "name", "Ma\xffrie Curie", "", 400, "not valid UTF-8", "Ma\xffrie"},
		{"URL as name", "name", "http://evil.example", "", 422, "patient name", "evil.example"},
		{"phone number as name", "name", "Call 0612345678", "", 422, "patient name", "0612345678"},
		{"10 000-character name", "name", strings.Repeat("a", 10000), "", 422, "body.patient.name", "aaaaaaaaaa"},
		{"email with ?cc=", "email", "a?cc=x@example.org", "", 422, "patient email", "cc=x"},
		{"email IP literal", "email", "x@[127.0.0.1]", "", 422, "patient email", "127.0.0.1"},
		{"email at localhost", "email", "root@localhost", "", 422, "patient email", "root@"},
		{"email dotted quad", "email", "a@1.2.3.4", "", 422, "patient email", "1.2.3.4"},
		{"email quoted", "email", `"quoted"@example.org`, "", 422, "patient email", "quoted"},
		{"email with %", "email", "a%b@example.org", "", 422, "patient email", "a%b"},
		{"email with accents", "email", "zoé@example.org", "", 422, "plain ASCII", "zoé"},
		{"email with RTL override", "email", "marie\u202e@example.org", "", 422, "patient email", "marie\u202e"},
		{"phone with ZWSP", "phone", "06\u200b12345678", "", 422, "patient phone", "12345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fields := map[string]string{"name": jsonString(patientName), "email": jsonString(patientEmail), "phone": jsonString(patientPhone)}
			fields[tt.field] = jsonString(tt.value)
			if tt.rawName != "" {
				fields["name"] = tt.rawName
			}
			body := `{"practitioner":"demo","type":"consultation","start":"` + start + `",` +
				`"patient":{"name":` + fields["name"] + `,"email":` + fields["email"] + `,"phone":` + fields["phone"] + `}}`
			w := e.do(http.MethodPost, "/v1/bookings", strings.NewReader(body), "Content-Type", "application/json")
			wantProblem(t, w, tt.status, tt.detail)
			if strings.Contains(w.Body.String(), tt.seek) {
				t.Errorf("the problem echoes the value: %s", w.Body)
			}
			if strings.Contains(e.logs.String(), tt.seek) {
				t.Errorf("the logs hold the value:\n%s", e.logs)
			}
			if e.cal.Calls(bookingtest.OpBusy) != 0 || e.cal.Calls(bookingtest.OpCreate) != 0 || e.cal.Len() != 0 {
				t.Errorf("the calendar was used: %d reads, %d creates, %d events",
					e.cal.Calls(bookingtest.OpBusy), e.cal.Calls(bookingtest.OpCreate), e.cal.Len())
			}
			if e.store.Calls(bookingtest.OpRecordCreate) != 0 || e.store.count() != 0 || len(e.store.Outbox()) != 0 || e.store.IdempotencyKeys() != 0 {
				t.Errorf("the store was written: %d records, %d rows, %d outbox messages",
					e.store.Calls(bookingtest.OpRecordCreate), e.store.count(), len(e.store.Outbox()))
			}
			if k := e.notes.Kinds(""); len(k) != 0 {
				t.Errorf("the notifier was called: %v", k)
			}
		})
	}

	// The same request with a valid patient books: the table above fails
	// for its hostile value only.
	t.Run("control", func(t *testing.T) {
		e := newEnv(t)
		w := e.postJSON("/v1/bookings", bookingBody("consultation", start))
		if w.Code != http.StatusCreated {
			t.Fatalf("status = %d: %s", w.Code, w.Body)
		}
	})

	// A body far over MaxBodyBytes is cut short with 413, before any of it
	// is read as JSON.
	t.Run("10 MB body", func(t *testing.T) {
		e := newEnv(t)
		body := `{"practitioner":"demo","type":"consultation","start":"` + start + `","patient":{"name":"` + strings.Repeat("é", 5<<20) + `"}}`
		w := e.do(http.MethodPost, "/v1/bookings", strings.NewReader(body), "Content-Type", "application/json")
		wantProblem(t, w, http.StatusRequestEntityTooLarge, "too large")
		if e.store.count() != 0 || e.cal.Calls(bookingtest.OpCreate) != 0 {
			t.Error("a 10 MB body booked")
		}
	})
}
