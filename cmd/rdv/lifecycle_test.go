package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

func TestPendingExpiry(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})

	// A pending booking holds its slot with a TENTATIVE event at once.
	b, token := h.book("suivi", day(2, 10, 0), 1)
	if b.Status != booking.StatusPending {
		t.Fatalf("status %s, want pending", b.Status)
	}
	if ev, ok := h.event(b.ID); !ok || ev.Status != booking.StatusPending {
		t.Fatalf("event %+v (found %v), want TENTATIVE", ev, ok)
	}
	if _, _, err := h.svc.Book(ctx, bookRequest("consultation", day(2, 10, 10), 2)); booking.ErrorCode(err) != booking.EConflict {
		t.Fatalf("booking over a pending one: %v, want a conflict", err)
	}

	// Not yet due: nothing happens.
	h.clock.Add(59 * time.Minute)
	if n, err := h.svc.ExpirePending(ctx); n != 0 || err != nil {
		t.Fatalf("ExpirePending before the deadline = %d, %v", n, err)
	}
	// Due: two replicas (two services on the same store, calendar and
	// locks) run the job at once; the booking is released once.
	h.clock.Add(2 * time.Minute)
	replica := mustNewService(t, booking.ServiceConfig{Store: h.fstore, Notifier: h.notes, Locker: h.locker, Now: h.clock.Now, Secret: h.secret, Logger: quietLogger()})
	if err := replica.AddPractitioner(testPractitioner(), h.fcal); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, svc := range []*booking.Service{h.svc, replica} {
		wg.Go(func() {
			n, err := svc.ExpirePending(ctx)
			if err != nil {
				t.Errorf("ExpirePending: %v", err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != 1 {
		t.Errorf("released %v times, want once", counts)
	}
	if got := h.row(b.ID).Status; got != booking.StatusExpired {
		t.Errorf("ledger status %s, want expired", got)
	}
	if _, ok := h.event(b.ID); ok {
		t.Error("the expired booking's event is still in the calendar")
	}
	if got := h.notes.kinds(b.ID); !slices.Equal(got, []string{booking.NotifyCreated, booking.NotifyExpired}) {
		t.Errorf("notifications %v", got)
	}
	if _, err := h.svc.Confirm(ctx, token); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("confirm after expiry: %v, want a conflict", err)
	}
	if _, _, err := h.svc.Book(ctx, bookRequest("consultation", day(2, 10, 10), 2)); err != nil {
		t.Errorf("the released slot can't be booked: %v", err)
	}
	h.checkAgree()
}

func TestPendingExpiryNeverPastTheVisit(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	// Confirmation time is an hour, but the visit starts in 30 minutes.
	b, token := h.book("suivi", t0.Add(30*time.Minute), 1)
	a, err := h.svc.BookingByToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if d := h.svc.Deadline(a); !d.Equal(b.Start) {
		t.Errorf("deadline %s, want the start %s", d, b.Start)
	}
	h.clock.Add(30 * time.Minute)
	// Confirming at the start is too late, and releases the booking.
	if _, err := h.svc.Confirm(ctx, token); booking.ErrorCode(err) != booking.EConflict || !strings.Contains(err.Error(), "not confirmed in time") {
		t.Fatalf("confirm at the start: %v", err)
	}
	if got := h.row(b.ID).Status; got != booking.StatusExpired {
		t.Errorf("status %s, want expired", got)
	}
	h.checkAgree()
}

func TestConfirmInTime(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	b, token := h.book("suivi", day(2, 10, 0), 1)
	h.clock.Add(30 * time.Minute)
	a, err := h.svc.Confirm(ctx, token)
	if err != nil || a.Booking.Status != booking.StatusConfirmed {
		t.Fatalf("confirm: %v %+v", err, a.Booking)
	}
	if ev, _ := h.event(b.ID); ev.Status != booking.StatusConfirmed {
		t.Errorf("event status %s, want CONFIRMED", ev.Status)
	}
	h.clock.Add(2 * time.Hour)
	if n, _ := h.svc.ExpirePending(ctx); n != 0 {
		t.Errorf("a confirmed booking was released")
	}
	h.checkAgree()
}

// apiPost posts a JSON body (nil for none) to the API and decodes the answer.
func (h *harness) apiPost(path string, body any, headers ...string) (int, map[string]any) {
	h.t.Helper()
	var r *strings.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		r = strings.NewReader(string(data))
	} else {
		r = strings.NewReader("")
	}
	req, err := http.NewRequest(http.MethodPost, h.api.URL+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json") // even without a body
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestCancelCutoff(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	// 25 hours ahead, the 24-hour cut-off has not passed.
	early, earlyToken := h.book("visite", day(1, 9, 0), 1)
	late, lateToken := h.book("visite", day(1, 10, 0), 2)
	if _, err := h.svc.Cancel(ctx, earlyToken); err != nil {
		t.Fatalf("cancel before the cut-off: %v", err)
	}
	h.clock.Add(2 * time.Hour) // 23 hours before the second visit
	_, err := h.svc.Cancel(ctx, lateToken)
	if booking.ErrorCode(err) != booking.EConflict || !strings.Contains(booking.ErrorMessage(err), contact) ||
		!strings.Contains(booking.ErrorMessage(err), "24 hours") {
		t.Fatalf("cancel past the cut-off: %v", err)
	}
	st, body := h.apiPost("/v1/bookings/"+lateToken+"/cancel", nil)
	if detail, _ := body["detail"].(string); st != http.StatusConflict || !strings.Contains(detail, contact) {
		t.Errorf("API cancel past the cut-off: %d %v", st, body)
	}
	if _, err := h.svc.Reschedule(ctx, lateToken, day(3, 10, 0)); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("reschedule past the cut-off: %v", err)
	}
	if got := h.row(late.ID).Status; got != booking.StatusConfirmed {
		t.Errorf("status %s after refused cancels", got)
	}
	// The page says so, and offers neither form.
	page := h.getPage("/manage/" + lateToken)
	if !strings.Contains(page, contact) || strings.Contains(page, "/cancel") || strings.Contains(page, "/reschedule") {
		t.Errorf("manage page past the cut-off:\n%s", page)
	}
	// Kept as STATUS:CANCELLED by default.
	if ev, ok := h.event(early.ID); !ok || ev.Status != booking.StatusCancelled {
		t.Errorf("cancelled event %+v (found %v), want STATUS:CANCELLED", ev, ok)
	}
	h.checkAgree()
}

func TestDeleteCancelled(t *testing.T) {
	h := newHarness(t, harnessOptions{deleteCancelled: true})
	b, token := h.book("consultation", day(2, 9, 0), 1)
	if _, err := h.svc.Cancel(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.event(b.ID); ok {
		t.Error("the cancelled event is still in the calendar")
	}
	if got := h.row(b.ID).Status; got != booking.StatusCancelled {
		t.Errorf("status %s", got)
	}
	h.checkAgree()
}

// getPage fetches a page and returns its body.
func (h *harness) getPage(path string) string {
	h.t.Helper()
	resp, err := http.Get(h.api.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	if _, err := io_Copy(&sb, resp); err != nil {
		h.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, sb.String())
	}
	return sb.String()
}

func TestReschedule(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	b, token := h.book("consultation", day(2, 9, 0), 1)
	other, _ := h.book("consultation", day(2, 11, 0), 2)

	// To a time that overlaps its own old slot: its own event does not count.
	a, err := h.svc.Reschedule(ctx, token, day(2, 9, 10))
	if err != nil {
		t.Fatalf("reschedule over its own time: %v", err)
	}
	if a.Booking.ID != b.ID || !a.Booking.Start.Equal(day(2, 9, 10)) || a.Booking.Sequence != 1 || a.Booking.Status != booking.StatusConfirmed {
		t.Errorf("after reschedule: %+v", a.Booking)
	}
	if ev, _ := h.event(b.ID); !ev.Start.Equal(day(2, 9, 10)) || ev.Sequence != 1 || ev.Ref.Href != b.EventHref {
		t.Errorf("event after reschedule: %+v, want at 09:10, SEQUENCE 1, same href", ev)
	}
	if got, err := h.svc.BookingByToken(ctx, token); err != nil || got.Booking.ID != b.ID {
		t.Errorf("the token no longer opens the booking: %v", err)
	}
	n := h.notes.last(b.ID)
	if n.Kind != booking.NotifyRescheduled || !n.Previous.Start.Equal(day(2, 9, 0)) || !n.Appointment.Booking.Start.Equal(day(2, 9, 10)) {
		t.Errorf("notification %s from %s to %s", n.Kind, n.Previous.Start, n.Appointment.Booking.Start)
	}

	// To a slot another booking holds: 409, nothing changes.
	if _, err := h.svc.Reschedule(ctx, token, day(2, 10, 50)); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("reschedule onto %s's slot: %v", other.ID, err)
	}
	// To a start that is not a slot of the type: 422.
	if _, err := h.svc.Reschedule(ctx, token, day(2, 9, 15)); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("reschedule to 09:15: %v", err)
	}
	if r := h.row(b.ID); !r.Start.Equal(day(2, 9, 10)) || r.Sequence != 1 {
		t.Errorf("a refused reschedule changed the booking: %+v", r)
	}

	// Through the API.
	st, body := h.apiPost("/v1/bookings/"+token+"/reschedule", map[string]any{"start": day(3, 14, 0).Format(time.RFC3339)})
	if st != http.StatusOK || body["id"] != b.ID || body["start"] != day(3, 14, 0).Format(time.RFC3339) {
		t.Errorf("API reschedule: %d %v", st, body)
	}
	st, _ = h.apiPost("/v1/bookings/"+token+"/reschedule", map[string]any{"start": day(2, 11, 0).Format(time.RFC3339)})
	if st != http.StatusConflict {
		t.Errorf("API reschedule onto a taken slot: %d", st)
	}

	// Through the move step: the chosen day lists its free times as links,
	// none taken; each leads to a confirmation step, whose form moves the
	// booking.
	slotHref := func(start time.Time) string {
		return "/manage/" + token + "/move?" + url.Values{"start": {start.Format(time.RFC3339)}}.Encode()
	}
	movePage := func(d time.Time) string {
		return h.getPage("/manage/" + token + "/move?day=" + d.Format(time.DateOnly))
	}
	page := movePage(day(0, 8, 0))
	if !strings.Contains(page, `href="`+slotHref(day(0, 8, 0))+`"`) {
		t.Fatalf("move step without the first free slot:\n%s", page)
	}
	h.clock.Add(50 * time.Hour) // now the first choices are on 2 December from 10:00, around the other booking
	page = movePage(day(2, 0, 0))
	for _, taken := range []time.Time{day(2, 10, 50), day(2, 11, 0), day(2, 11, 10)} {
		if strings.Contains(page, `href="`+slotHref(taken)+`"`) {
			t.Errorf("the move step offers %s, which overlaps another booking", taken)
		}
	}
	target := day(2, 10, 40).Format(time.RFC3339)
	if !strings.Contains(page, `href="`+slotHref(day(2, 10, 40))+`"`) {
		t.Fatalf("the free slot %s is not offered:\n%s", target, page)
	}
	was := h.row(b.ID).Start
	confirm := strings.ReplaceAll(h.getPage(slotHref(day(2, 10, 40))), "&#43;", "+")
	if !strings.Contains(confirm, `action="/manage/`+token+`/reschedule"`) || !strings.Contains(confirm, `value="`+target+`"`) {
		t.Fatalf("the move's confirmation step has no form to move to %s:\n%s", target, confirm)
	}
	if !h.row(b.ID).Start.Equal(was) {
		t.Errorf("the confirmation step moved the booking: start %s, was %s", h.row(b.ID).Start, was)
	}
	resp, err := noRedirect.PostForm(h.api.URL+"/manage/"+token+"/reschedule", url.Values{"start": {target}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !h.row(b.ID).Start.Equal(day(2, 10, 40)) {
		t.Errorf("page reschedule: %d, start %s", resp.StatusCode, h.row(b.ID).Start)
	}
	if r := h.row(b.ID); r.Sequence != 3 {
		t.Errorf("sequence %d after three moves", r.Sequence)
	}
	h.checkAgree()
}

// noRedirect is a client that does not follow redirects.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestCapacity(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	start := day(2, 14, 0)
	listed := func() bool {
		slots, err := h.svc.Slots(ctx, "demo", "atelier", day(2, 0, 0), day(3, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slots {
			if s.Start.Equal(start) {
				return true
			}
		}
		return false
	}
	for i := range 3 {
		if !listed() {
			t.Fatalf("the session is not listed with %d of 3 seats taken", i)
		}
		h.book("atelier", start, i)
	}
	if listed() {
		t.Error("the full session is still listed")
	}
	if _, _, err := h.svc.Book(ctx, bookRequest("atelier", start, 3)); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("fourth seat: %v, want a conflict", err)
	}
	// Another type can't overlap the session.
	if _, _, err := h.svc.Book(ctx, bookRequest("consultation", day(2, 14, 30), 4)); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("consultation during the session: %v, want a conflict", err)
	}
	// Nor can a session of another time that overlaps it... there is none
	// with a 60-minute step; and a cancelled seat is free again.
	h.checkAgree()

	// Concurrent: 12 patients for 3 seats, through the API.
	start2 := day(3, 9, 0)
	codes := make([]int, 12)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			codes[i], _ = h.apiPost("/v1/bookings", map[string]any{
				"practitioner": "demo", "type": "atelier", "start": start2.Format(time.RFC3339),
				"patient": map[string]any{"name": "Patient", "email": "p" + itoa(i) + "@example.org"},
			})
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusCreated] != 3 || count[http.StatusConflict] != 9 {
		t.Errorf("concurrent seats: %v, want three 201 and nine 409", count)
	}
	h.checkAgree()
}

func TestIdempotencyKey(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	body := map[string]any{
		"practitioner": "demo", "type": "consultation", "start": day(2, 9, 0).Format(time.RFC3339),
		"patient": map[string]any{"name": "Marie Curie", "email": "marie@example.org"},
	}
	st1, first := h.apiPost("/v1/bookings", body, "Idempotency-Key", "key-1")
	st2, second := h.apiPost("/v1/bookings", body, "Idempotency-Key", "key-1")
	if st1 != http.StatusCreated || st2 != http.StatusCreated {
		t.Fatalf("statuses %d then %d", st1, st2)
	}
	for _, k := range []string{"id", "manage_token", "manage_url", "status", "start", "end"} {
		if first[k] != second[k] || first[k] == nil {
			t.Errorf("%s: %v then %v", k, first[k], second[k])
		}
	}
	id := first["id"].(string)
	if got := h.notes.kinds(id); len(got) != 1 {
		t.Errorf("notifications %v, want one", got)
	}

	// The same key with another body.
	other := map[string]any{
		"practitioner": "demo", "type": "consultation", "start": day(2, 10, 0).Format(time.RFC3339),
		"patient": map[string]any{"name": "Marie Curie", "email": "marie@example.org"},
	}
	if st, _ := h.apiPost("/v1/bookings", other, "Idempotency-Key", "key-1"); st != http.StatusUnprocessableEntity {
		t.Errorf("same key, other body: %d, want 422", st)
	}

	// The database alone reveals neither the token nor the key.
	token := first["manage_token"].(string)
	var n int
	if err := h.dbQuery(`SELECT count(*) FROM idempotency_keys WHERE key = 'key-1' OR instr(response, ?) > 0`, token).Scan(&n); err != nil || n != 0 {
		t.Errorf("the key or the token is readable in the database (%d, %v)", n, err)
	}

	// The first result is replayed even after the booking changed.
	if _, err := h.svc.Cancel(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	if st, again := h.apiPost("/v1/bookings", body, "Idempotency-Key", "key-1"); st != http.StatusCreated || again["status"] != first["status"] {
		t.Errorf("replay after cancel: %d %v", st, again)
	}

	// Concurrent identical requests: one booking.
	body3 := map[string]any{
		"practitioner": "demo", "type": "consultation", "start": day(4, 9, 0).Format(time.RFC3339),
		"patient": map[string]any{"name": "Pierre Curie", "email": "pierre@example.org"},
	}
	ids := make([]any, 10)
	codes := make([]int, 10)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			var m map[string]any
			codes[i], m = h.apiPost("/v1/bookings", body3, "Idempotency-Key", "key-concurrent")
			ids[i] = m["id"]
		})
	}
	wg.Wait()
	for i := range ids {
		if codes[i] != http.StatusCreated || ids[i] != ids[0] {
			t.Errorf("concurrent request %d: %d %v, want 201 %v", i, codes[i], ids[i], ids[0])
		}
	}
	rows, _ := h.db.BookingsBetween(context.Background(), "demo", day(4, 0, 0), day(5, 0, 0))
	if len(rows) != 1 {
		t.Errorf("%d bookings for ten identical requests", len(rows))
	}

	// The booking form carries a key: posting it twice books once.
	page := h.getPage("/book?practitioner=demo&type=consultation&start=" + url.QueryEscape(day(5, 9, 0).Format(time.RFC3339)))
	i := strings.Index(page, `name="key" value="`)
	if i < 0 {
		t.Fatalf("the booking form has no key:\n%s", page)
	}
	key := page[i+len(`name="key" value="`):]
	key = key[:strings.IndexByte(key, '"')]
	form := url.Values{"practitioner": {"demo"}, "type": {"consultation"}, "start": {day(5, 9, 0).Format(time.RFC3339)},
		"name": {"Marie Curie"}, "email": {"marie@example.org"}, "key": {key}}
	var locations []string
	for range 2 {
		resp, err := noRedirect.PostForm(h.api.URL+"/book", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		locations = append(locations, resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("form post: %d", resp.StatusCode)
		}
	}
	if locations[0] != locations[1] {
		t.Errorf("two posts of one form went to %v", locations)
	}
	h.checkAgree()
}

func TestScannerSafeLinks(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	b, token := h.book("suivi", day(2, 10, 0), 1)
	before, _ := h.event(b.ID)
	for _, path := range []string{"/manage/" + token, "/manage/" + token + "/confirm", "/manage/" + token + "/cancel",
		"/manage/" + token + "/reschedule", "/v1/bookings/" + token, "/v1/bookings/" + token + "/confirm",
		"/v1/bookings/" + token + "/cancel"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, _ := http.NewRequest(method, h.api.URL+path, nil)
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 300 && resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d", method, path, resp.StatusCode)
			}
		}
	}
	if got := h.row(b.ID).Status; got != booking.StatusPending {
		t.Errorf("a GET changed the booking: %s", got)
	}
	if after, _ := h.event(b.ID); after.Ref.ETag != before.Ref.ETag {
		t.Error("a GET changed the event")
	}
	// The email's link is the page, which confirms only by a POST.
	page := h.getPage("/manage/" + token)
	if !strings.Contains(page, `method="post" action="/manage/`+token+`/confirm"`) {
		t.Errorf("the page has no confirmation form:\n%s", page)
	}
	resp, err := noRedirect.PostForm(h.api.URL+"/manage/"+token+"/confirm", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := h.row(b.ID).Status; resp.StatusCode != http.StatusSeeOther || got != booking.StatusConfirmed {
		t.Errorf("POST confirm: %d, status %s", resp.StatusCode, got)
	}
	h.checkAgree()
}
