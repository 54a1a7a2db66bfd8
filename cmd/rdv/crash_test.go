package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testservers"
)

// TestCrashAtEachStep kills rdv (SIGKILL) at each step of a booking's
// change: the binary built with -tags rdvfault kills itself at the step
// that RDV_FAULT names (see fault_rdvfault.go and
// booking.ServiceConfig.CrashTestHook), while serving the request that makes
// the change, or while running its expiry job. The test checks the half
// state the crash left in ledger and calendar, which proves the process
// died at that step; then starts the normal binary on the same data
// directory, store and calendar, whose start reconciles them, and checks
// that ledger and calendar agree by UID, that the booking is in the state
// the patient was told (the step's change undone if its ledger write was
// not made, once the grace period of its write intent is over) or cleanly
// absent, that the patient gets exactly one email per step recorded, and
// that the booking can still be used (or its slot booked again).
//
// On SQLite with the embedded CalDAV server, whose files (DATA/dav)
// outlive the process like the ledger, and on PostgreSQL with Radicale.
func TestCrashAtEachStep(t *testing.T) {
	skipHeavy(t)
	fault, normal := rdvBinary(t, "rdvfault"), rdvBinary(t, "")
	r := testservers.StartRadicale(t) // one calendar per case

	// The cases mostly wait (for the expiry job, for the emails): run
	// several at once, whatever -parallel says.
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, store := range []string{"sqlite", "postgres"} {
		for i, tc := range crashCases {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				t.Run(store+"/"+tc.step, func(t *testing.T) { runCrashCase(t, fault, normal, r, store, i, tc) })
			})
		}
	}
}

// runCrashCase runs the crash case tc on store (sqlite or postgres); r is
// the Radicale of postgres, which gets a calendar for case i.
func runCrashCase(t *testing.T, fault, normal string, r *testservers.Radicale, store string, i int, tc crashCase) {
	dir := t.TempDir()
	env := &crashEnv{t: t, data: filepath.Join(dir, "data"), slot: localDay(2, 10, 0), moved: localDay(2, 12, 0),
		key: "crash-" + store + "-" + itoa(i)}
	cfg := procConfig{jobsInterval: "1s", intentGrace: "2s"}
	if store == "postgres" {
		name := "crash-" + itoa(i)
		r.MkCalendar(t, name, name)
		cfg.store, cfg.radicale, cfg.bookings = testservers.StartPostgres(t), r, name
		env.ledger = cfg.store
		env.events = func(tb testing.TB) map[string]calEvent { return radicaleEvents(tb, r, name) }
	} else {
		env.ledger = filepath.Join(env.data, "rdv.db")
		env.events = func(tb testing.TB) map[string]calEvent { return embeddedEvents(tb, env.data, "martin") }
	}
	config := writeConfig(t, dir, cfg)
	faultConfig := config
	if tc.act != nil {
		// A request crashes this process: its jobs stay still. Otherwise
		// its outbox round, running at the instant the step records a
		// message, may claim it (a lease of 5 minutes) just before the
		// kill, and the restarted process rightly waits for the lease
		// before sending it: seen once under a loaded machine.
		faultConfig = withJobsInterval(t, config, "1h")
	}

	// The fault binary: prepare, then the step that kills it.
	p := startRdv(t, "rdv "+tc.step, fault, faultConfig, env.data, "RDV_FAULT="+tc.step)
	if tc.setup != "" {
		var b bookingResponse
		p.mustCall(http.MethodPost, "/v1/bookings", bookingBody(tc.setup, env.slot, 1), http.StatusCreated, &b)
		env.id, env.token = b.ID, b.ManageToken
		// Its email leaves in the background: sent before the crash.
		waitMails(t, env.data, 1)
	}
	if tc.act != nil {
		method, path, body := tc.act(env)
		if st, data, err := p.call(method, path, body, "Idempotency-Key", env.key); err == nil {
			t.Fatalf("%s %s: %d %s, want no answer (the process dies)", method, path, st, data)
		}
	}
	p.waitKilled(15 * time.Second)
	env.check("after the crash", tc.half)
	sent := 0
	if tc.setup != "" {
		sent = 1 // about the booking made first
	}
	if got := readMails(t, env.data); len(got) != sent {
		t.Errorf("after the crash: %d emails, want %d: the step's is not sent yet", len(got), sent)
	}

	// The normal binary on the same data: reconciliation on start.
	p = startRdv(t, "rdv restarted", normal, config, env.data)
	env.settle("after the restart", tc.after)
	env.waitMails(tc.mails)
	tc.use(env, p)
	checkAgreement(t, readLedger(t, env.ledger), env.events(t))
}

// crashCase is a crash at one step.
type crashCase struct {
	step  string
	setup string // the type of the booking made before the crash, "" for none
	// act returns the request that crashes the process; nil: none, the
	// job crashes it.
	act func(*crashEnv) (method, path string, body any)
	// half is the state the crash leaves, which shows the process died at
	// the step; after is the state once the restart has reconciled, when
	// ledger and calendar must also agree (checkAgreement).
	half, after want
	mails       int // emails the patient gets in all, once the restarted rdv has sent them
	// use checks the booking can be used, or its slot booked again.
	use func(*crashEnv, *rdvProcess)
}

// want is the state of the booking of a crash case: its ledger row's
// status ("" for none) and start, its event's STATUS ("" for none) and
// start (zero: the slot).
type want struct {
	row      string
	rowStart time.Time
	event    string
	evStart  time.Time
}

var (
	// request returns the request of act (book, confirm, reschedule,
	// cancel) about the booking of a crash case.
	request = func(act string) func(*crashEnv) (string, string, any) {
		return func(e *crashEnv) (string, string, any) {
			if act == "book" {
				return http.MethodPost, "/v1/bookings", bookingBody("consultation", e.slot, 2)
			}
			var body any
			if act == "reschedule" {
				body = map[string]any{"start": e.moved.Format(time.RFC3339)}
			}
			return http.MethodPost, "/v1/bookings/" + e.token + "/" + act, body
		}
	}
	// slotFree books the slot again: the crashed booking is cleanly gone.
	slotFree = func(e *crashEnv, p *rdvProcess) {
		p.mustCall(http.MethodPost, "/v1/bookings", bookingBody("consultation", e.slot, 3), http.StatusCreated, nil)
	}
	// retried sends the booking request that got no answer again, with
	// its Idempotency-Key, as a client should: it gets the booking that
	// was recorded, with the manage token of the email, or a new one if
	// none was.
	retried = func(e *crashEnv, p *rdvProcess) {
		var recorded string
		if active := activeRows(readLedger(e.t, e.ledger)); len(active) == 1 {
			recorded = active[0].ID
		}
		method, path, body := request("book")(e)
		st, data, err := p.call(method, path, body, "Idempotency-Key", e.key)
		if err != nil || st != http.StatusCreated {
			e.t.Fatalf("retry: %d %s %v, want 201", st, data, err)
		}
		var b bookingResponse
		if err := json.Unmarshal(data, &b); err != nil {
			e.t.Fatal(err)
		}
		if recorded != "" && b.ID != recorded {
			e.t.Errorf("retry: booking %s, want the one recorded, %s", b.ID, recorded)
		}
		if active := activeRows(readLedger(e.t, e.ledger)); len(active) != 1 || active[0].ID != b.ID {
			e.t.Errorf("after the retry: active bookings %+v, want %s only", active, b.ID)
		}
		if tokens := manageTokens(e.t, e.data); recorded != "" && (len(tokens) != 1 || tokens[0] != b.ManageToken) {
			e.t.Errorf("retry: another manage token than the email's")
		}
		e.id, e.token = b.ID, b.ManageToken
		usable(e, p)
	}
	// usable cancels the booking with the manage token the patient got.
	usable = func(e *crashEnv, p *rdvProcess) {
		var b bookingResponse
		p.mustCall(http.MethodGet, "/v1/bookings/"+e.token, nil, http.StatusOK, &b)
		if b.ID != e.id {
			e.t.Errorf("the manage link opens %s, want %s", b.ID, e.id)
		}
		p.mustCall(http.MethodPost, "/v1/bookings/"+e.token+"/cancel", nil, http.StatusOK, &b)
		if b.Status != "cancelled" {
			e.t.Errorf("cancel: %+v", b)
		}
	}
	// moveAgain sends the move that got no answer again: it is made, and
	// the patient told.
	moveAgain = func(e *crashEnv, p *rdvProcess) {
		var b bookingResponse
		p.mustCall(http.MethodPost, "/v1/bookings/"+e.token+"/reschedule", map[string]any{"start": e.moved.Format(time.RFC3339)}, http.StatusOK, &b)
		if start, _ := time.Parse(time.RFC3339, b.Start); !start.Equal(e.moved) || b.Status != "confirmed" {
			e.t.Errorf("move again: %+v", b)
		}
		e.waitMails(2)
	}
	// movable moves the booking back to the slot.
	movable = func(e *crashEnv, p *rdvProcess) {
		var b bookingResponse
		p.mustCall(http.MethodPost, "/v1/bookings/"+e.token+"/reschedule", map[string]any{"start": e.slot.Format(time.RFC3339)}, http.StatusOK, &b)
		if start, _ := time.Parse(time.RFC3339, b.Start); !start.Equal(e.slot) || b.Status != "confirmed" {
			e.t.Errorf("reschedule back: %+v", b)
		}
	}
)

var crashCases = []crashCase{
	{step: booking.StepBookAfterEvent, act: request("book"),
		half: want{event: "CONFIRMED"}, after: want{}, mails: 0, use: retried},
	{step: booking.StepBookAfterLedger, act: request("book"),
		half:  want{row: "confirmed", event: "CONFIRMED"},
		after: want{row: "confirmed", event: "CONFIRMED"}, mails: 1, use: retried},
	{step: booking.StepBookBeforeNotify, act: request("book"),
		half:  want{row: "confirmed", event: "CONFIRMED"},
		after: want{row: "confirmed", event: "CONFIRMED"}, mails: 1, use: retried},

	{step: booking.StepConfirmAfterEvent, setup: "suivi", act: request("confirm"),
		half:  want{row: "pending", event: "CONFIRMED"},
		after: want{row: "pending", event: "TENTATIVE"}, mails: 1, use: usable},
	{step: booking.StepConfirmAfterLedger, setup: "suivi", act: request("confirm"),
		half:  want{row: "confirmed", event: "CONFIRMED"},
		after: want{row: "confirmed", event: "CONFIRMED"}, mails: 2, use: usable},

	{step: booking.StepRescheduleAfterEvent, setup: "consultation", act: request("reschedule"),
		half:  want{row: "confirmed", event: "CONFIRMED", evStart: atMoved},
		after: want{row: "confirmed", event: "CONFIRMED"}, mails: 1, use: moveAgain},
	{step: booking.StepRescheduleAfterLedger, setup: "consultation", act: request("reschedule"),
		half:  want{row: "confirmed", rowStart: atMoved, event: "CONFIRMED", evStart: atMoved},
		after: want{row: "confirmed", rowStart: atMoved, event: "CONFIRMED", evStart: atMoved}, mails: 2, use: movable},

	{step: booking.StepCancelAfterEvent, setup: "consultation", act: request("cancel"),
		half:  want{row: "confirmed", event: "CANCELLED"},
		after: want{row: "confirmed", event: "CONFIRMED"}, mails: 1, use: usable},
	{step: booking.StepCancelAfterLedger, setup: "consultation", act: request("cancel"),
		half:  want{row: "cancelled", event: "CANCELLED"},
		after: want{row: "cancelled", event: "CANCELLED"}, mails: 2, use: slotFree},

	// provisoire is to be confirmed within 2 s: the expiry job, every
	// second, releases it, and the process dies there.
	{step: booking.StepExpireAfterEvent, setup: "provisoire",
		half:  want{row: "pending"},
		after: want{row: "expired"}, mails: 2, use: slotFree},
	{step: booking.StepExpireAfterLedger, setup: "provisoire",
		half:  want{row: "expired"},
		after: want{row: "expired"}, mails: 2, use: slotFree},
}

// atMoved is a marker for want: the time the booking is moved to.
var atMoved = time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)

// crashEnv is the state of one crash case.
type crashEnv struct {
	t           *testing.T
	data        string                               // the data directory
	ledger      string                               // the store: SQLite file or postgres:// URL
	events      func(testing.TB) map[string]calEvent // the bookings calendar
	slot, moved time.Time                            // the booking's slot, the one it is moved to
	id, token   string                               // the booking made before the crash, if any
	key         string                               // the Idempotency-Key of the request that crashes
}

// check compares the one booking of ledger and calendar with w.
func (e *crashEnv) check(when string, w want) {
	e.t.Helper()
	for _, p := range e.problems(when, w) {
		e.t.Error(p)
	}
}

// settle waits until ledger and calendar show w (a write cut short is
// settled once its intent is older than the grace period, by the jobs of
// the restarted process), then checks them.
func (e *crashEnv) settle(when string, w want) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(e.problems(when, w)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	e.check(when, w)
}

// problems returns how the one booking of ledger and calendar differs from
// w, and (but right after the crash) how they disagree.
func (e *crashEnv) problems(when string, w want) []string {
	e.t.Helper()
	rows, events := readLedger(e.t, e.ledger), e.events(e.t)
	if len(rows) > 1 || len(events) > 1 {
		e.t.Fatalf("%s: %d rows and %d events, want at most one of each", when, len(rows), len(events))
	}
	at := func(t time.Time) time.Time {
		switch {
		case t.IsZero():
			return e.slot
		case t.Equal(atMoved):
			return e.moved
		}
		return t
	}
	var row ledgerRow
	for _, r := range rows {
		row = r
	}
	var ev calEvent
	for _, v := range events {
		ev = v
	}
	var out []string
	if e.id != "" && (row.ID != "" && row.ID != e.id || ev.UID != "" && ev.UID != e.id) {
		out = append(out, fmt.Sprintf("%s: row %s, event %s, want booking %s", when, row.ID, ev.UID, e.id))
	}
	if row.Status != w.row || w.row != "" && !row.Start.Equal(at(w.rowStart)) {
		out = append(out, fmt.Sprintf("%s: ledger row %q at %s, want %q at %s", when, row.Status, row.Start.In(paris), w.row, at(w.rowStart)))
	}
	if ev.Status != w.event || w.event != "" && !ev.Start.Equal(at(w.evStart)) {
		out = append(out, fmt.Sprintf("%s: event %q at %s, want %q at %s", when, ev.Status, ev.Start.In(paris), w.event, at(w.evStart)))
	}
	if when != "after the crash" {
		out = append(out, disagreements(rows, events)...)
	}
	return out
}

// waitMails waits until the outbox directory holds n emails, and then a
// little longer to see no more come (the job that sends them runs every
// second).
func (e *crashEnv) waitMails(n int) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for len(readMails(e.t, e.data)) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := readMails(e.t, e.data); len(got) != n {
		e.t.Errorf("emails to the patient: %d %+v, want %d", len(got), got, n)
	}
}

var manageLink = regexp.MustCompile(`/manage/([A-Za-z0-9_-]{22})\b`)

// manageTokens returns the manage tokens of the links in the emails of the
// outbox directory.
func manageTokens(t *testing.T, data string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "outbox", "*.eml"))
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, text := range textParts(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body) {
			for _, m := range manageLink.FindAllStringSubmatch(text, -1) {
				if !seen[m[1]] {
					seen[m[1]] = true
					out = append(out, m[1])
				}
			}
		}
	}
	return out
}

// textParts returns the decoded text/* parts of a MIME entity.
func textParts(t *testing.T, contentType, encoding string, body io.Reader) []string {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		var out []string
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
			// multipart.Reader decodes quoted-printable itself.
			out = append(out, textParts(t, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)...)
		}
	}
	if !strings.HasPrefix(mt, "text/") {
		return nil
	}
	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return []string{string(data)}
}

// newlineStripper drops the line breaks of base64 text.
type newlineStripper struct{ r io.Reader }

func (s newlineStripper) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	k := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			p[k] = c
			k++
		}
	}
	return k, err
}

// withJobsInterval writes a copy of the configuration file config (same
// secret, store and calendars) whose jobs run every interval.
func withJobsInterval(t *testing.T, config, interval string) string {
	t.Helper()
	raw, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	lines, found := strings.Split(string(raw), "\n"), false
	for i, l := range lines {
		if strings.HasPrefix(l, "jobs_interval = ") {
			lines[i], found = "jobs_interval = "+strconv.Quote(interval), true
		}
	}
	if !found {
		t.Fatalf("no jobs_interval in %s", config)
	}
	out := config + ".jobs-" + interval + ".toml"
	if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}
