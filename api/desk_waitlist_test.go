package api

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// deskWaitEnv is a desk with a waiting list, two practitioners (demo, Dr
// Martin, and durand) and a desk user, Sophie, who sees demo only.
type deskWaitEnv struct {
	*deskEnv
	ws *bookingtest.WaitStore
}

const sophiePassword = "sophie-password-123"

func newDeskWaitEnv(t *testing.T) *deskWaitEnv {
	t.Helper()
	durand := demoPractitioner()
	durand.ID, durand.Name = "durand", "Dr Paul Durand"
	d := &deskWaitEnv{ws: bookingtest.NewWaitStore()}
	d.deskEnv = newDeskEnv(t, func(c *Config) {
		if err := c.Service.AddPractitioner(durand, newFakeCalendar()); err != nil {
			t.Fatal(err)
		}
		if err := c.Service.AddSharedType(booking.SharedType{ID: "generaliste", Name: "Médecine générale", TypeID: "consultation", Practitioners: []string{"demo", "durand"}}); err != nil {
			t.Fatal(err)
		}
		c.Waitlist = booking.NewWaitlist(c.Service, d.ws, &bookingtest.WaitNotifier{}, booking.WaitlistConfig{MaxPerEmail: 10})
		c.Desk.Users = []DeskUser{{Name: "Sophie", PasswordHash: cheapHash(sophiePassword), Practitioners: []string{"demo"}}}
	})
	return d
}

// add records an entry numbered i of practitioner pid, made i minutes
// before testNow, in status st, expiring at exp.
func (d *deskWaitEnv) add(i int, pid, name string, st booking.WaitStatus, exp time.Time) *booking.WaitEntry {
	d.t.Helper()
	email := fmt.Sprintf("wait%d@example.org", i)
	e := &booking.WaitEntry{
		ID: fmt.Sprintf("10000000-0000-4000-8000-%012d", i), PractitionerID: pid, TypeID: "consultation",
		Patient: booking.Patient{Name: name, Email: email, Phone: "+33612345678"}, EmailKey: booking.EmailKey(email), Lang: "fr",
		Window: booking.Window{From: booking.Date{Year: 2026, Month: 12, Day: 1}, Until: booking.Date{Year: 2026, Month: 12, Day: 4},
			Part: booking.PartMorning, Weekdays: []time.Weekday{time.Tuesday, time.Thursday}},
		Status: st, TokenHash: fmt.Sprintf("hash%d", i), CreatedAt: testNow.Add(time.Duration(i-100) * time.Minute), ExpiresAt: exp,
	}
	e.UpdatedAt = e.CreatedAt
	if err := d.ws.AddWaitEntry(context.Background(), e, booking.WaitMessage{EntryID: e.ID, Kind: booking.WaitConfirm, CreatedAt: e.CreatedAt}, 10); err != nil {
		d.t.Fatal(err)
	}
	return e
}

// loginSophie logs Sophie in and returns her cookie and CSRF token.
func (d *deskWaitEnv) loginSophie() (cookie, csrf string) {
	d.t.Helper()
	w := d.post("/desk/login", url.Values{"user": {"Sophie"}, "token": {sophiePassword}}, "")
	if w.Code != http.StatusSeeOther {
		d.t.Fatalf("Sophie's login: %d", w.Code)
	}
	cookie = strings.SplitN(w.Header().Get("Set-Cookie"), ";", 2)[0]
	return cookie, csrfField.FindStringSubmatch(d.get("/desk/", cookie).Body.String())[1]
}

// The waiting list's page shows the live entries of the session's
// practitioners, in the order they joined, not the expired or left ones;
// without a session it leads to the login page.
func TestDeskWaitlistPage(t *testing.T) {
	d := newDeskWaitEnv(t)
	later := testNow.Add(48 * time.Hour)
	d.add(3, "demo", "Louise Petit", booking.WaitActive, later)
	d.add(1, "demo", patientName, booking.WaitPending, later)
	d.add(2, "durand", "Henri Moreau", booking.WaitActive, later)
	d.add(4, "demo", "Paul Expiré", booking.WaitActive, testNow.Add(-time.Minute))
	d.add(5, "demo", "Anne Partie", booking.WaitLeft, later)

	wantLogin(t, "without a session", d.get("/desk/waitlist", ""))
	cookie, _ := d.login()
	w := d.get("/desk/waitlist", cookie)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("page: %d\n%s", w.Code, body)
	}
	curie, petit, moreau := strings.Index(body, patientName), strings.Index(body, "Louise Petit"), strings.Index(body, "Henri Moreau")
	if curie < 0 || petit < curie || moreau < petit {
		t.Errorf("want Marie Curie, Louise Petit (demo, joining order) then Henri Moreau (durand): %d %d %d\n%s", curie, petit, moreau, body)
	}
	for _, gone := range []string{"Paul Expiré", "Anne Partie"} {
		if strings.Contains(body, gone) {
			t.Errorf("the page shows %s", gone)
		}
	}
	for _, want := range []string{`href="mailto:wait1@example.org"`, `href="tel:&#43;33612345678"`, "pas encore confirmée", "1er décembre – 4 décembre, le matin, mar., jeu.",
		`<caption>Dr Anne Martin — Consultation</caption>`, `role="region" tabindex="0"`, `<th scope="col">`, `aria-current="page">Liste d&#39;attente</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if body := d.get("/desk/waitlist?p=durand", cookie).Body.String(); strings.Contains(body, "Louise Petit") || !strings.Contains(body, "Henri Moreau") {
		t.Error("?p=durand: want Dr Durand's entries only")
	}

	sophie, _ := d.loginSophie()
	body = d.get("/desk/waitlist", sophie).Body.String()
	if !strings.Contains(body, "Louise Petit") || strings.Contains(body, "Henri Moreau") {
		t.Errorf("Sophie's list must show Dr Martin's entries only:\n%s", body)
	}
	if w := d.get("/desk/waitlist?p=durand", sophie); w.Code != http.StatusNotFound {
		t.Errorf("Sophie, ?p=durand: %d, want 404", w.Code)
	}

	// Without a waiting list, no page and no menu entry.
	off := newDeskEnv(t, nil)
	offCookie, _ := off.login()
	if w := off.get("/desk/waitlist", offCookie); w.Code != http.StatusNotFound || strings.Contains(off.get("/desk/", offCookie).Body.String(), "/desk/waitlist") {
		t.Errorf("without a waiting list: %d, or a menu entry", w.Code)
	}
}

// An entry is taken off the list with the session's CSRF token from the
// desk's own page; the log names the entry, never the patient. A user
// can't take off another practitioner's entry.
func TestDeskWaitlistRemove(t *testing.T) {
	d := newDeskWaitEnv(t)
	later := testNow.Add(48 * time.Hour)
	mine := d.add(1, "demo", patientName, booking.WaitActive, later)
	theirs := d.add(2, "durand", "Henri Moreau", booking.WaitPending, later)
	status := func(e *booking.WaitEntry) booking.WaitStatus {
		t.Helper()
		got, err := d.ws.WaitEntry(context.Background(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	target := "/desk/waitlist/" + mine.ID + "/remove"

	if w := d.post(target, url.Values{"csrf": {"x"}}, ""); w.Code != http.StatusForbidden {
		t.Errorf("without a session: %d, want 403", w.Code)
	}
	cookie, csrf := d.login()
	for _, tt := range []struct {
		name    string
		form    url.Values
		headers []string
	}{
		{"no CSRF token", url.Values{}, nil},
		{"wrong CSRF token", url.Values{"csrf": {csrf + "x"}}, nil},
		{"cross-site", url.Values{"csrf": {csrf}}, []string{"Sec-Fetch-Site", "cross-site"}},
		{"foreign Origin", url.Values{"csrf": {csrf}}, []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}},
	} {
		if w := d.post(target, tt.form, cookie, tt.headers...); w.Code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tt.name, w.Code)
		}
	}
	if st := status(mine); st != booking.WaitActive {
		t.Fatalf("after refused posts the entry is %s", st)
	}

	sophie, sophieCSRF := d.loginSophie()
	if w := d.post("/desk/waitlist/"+theirs.ID+"/remove", url.Values{"csrf": {sophieCSRF}}, sophie); w.Code != http.StatusNotFound {
		t.Errorf("Sophie removes Dr Durand's entry: %d, want 404", w.Code)
	}
	if st := status(theirs); st != booking.WaitPending {
		t.Errorf("Dr Durand's entry is %s", st)
	}
	if w := d.post("/desk/waitlist/nope/remove", url.Values{"csrf": {csrf}}, cookie); w.Code != http.StatusNotFound {
		t.Errorf("an unknown entry: %d, want 404", w.Code)
	}

	w := d.post(target, url.Values{"csrf": {csrf}, "p": {"demo"}}, cookie)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/desk/waitlist?done=waitremoved&p=demo" {
		t.Fatalf("remove: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if st := status(mine); st != booking.WaitLeft {
		t.Errorf("after removal the entry is %s", st)
	}
	if w := d.post("/desk/waitlist/"+theirs.ID+"/remove", url.Values{"csrf": {csrf}}, cookie); w.Code != http.StatusSeeOther || status(theirs) != booking.WaitLeft {
		t.Errorf("the admin token removes Dr Durand's pending entry: %d, %s", w.Code, status(theirs))
	}
	body := d.get("/desk/waitlist?done=waitremoved&p=demo", cookie).Body.String()
	if !strings.Contains(body, html.EscapeString(deskTexts["fr"].Done["waitremoved"])) || strings.Contains(body, patientName) {
		t.Errorf("the list after removal:\n%s", body)
	}
	var line string
	for _, l := range strings.Split(d.logs.String(), "\n") {
		if strings.Contains(l, "desk: waitlist remove") && strings.Contains(l, mine.ID) {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, "session=") {
		t.Fatalf("no log line desk: waitlist remove with the entry and the session:\n%s", d.logs.String())
	}
	for _, secret := range []string{patientName, "wait1@example.org", "+33612345678", "Curie"} {
		if strings.Contains(line, secret) {
			t.Errorf("the log line has %q: %s", secret, line)
		}
	}
}

// The page in English says the status, the window and the menu entry in
// English.
func TestDeskWaitlistEnglish(t *testing.T) {
	d := newDeskWaitEnv(t)
	d.add(1, "demo", patientName, booking.WaitPending, testNow.Add(48*time.Hour))
	cookie, _ := d.login()
	body := d.get("/desk/waitlist?lang=en", cookie).Body.String()
	for _, want := range []string{"not confirmed yet", "1 December – 4 December, mornings, Tue, Thu", ">Waiting list</a>", "Alerts sent"} {
		if !strings.Contains(body, want) {
			t.Errorf("the English page lacks %q", want)
		}
	}
}

// TestDeskWaitlistShared: an entry of a shared motive is listed first,
// under the shared motive, for every session that sees one of its
// practitioners (Sophie sees only demo), who may take it off.
func TestDeskWaitlistShared(t *testing.T) {
	d := newDeskWaitEnv(t)
	later := testNow.Add(48 * time.Hour)
	d.add(1, "demo", "Louise Petit", booking.WaitActive, later)
	e := &booking.WaitEntry{
		ID: "10000000-0000-4000-8000-000000000002", SharedID: "generaliste", TypeID: "consultation",
		Patient: booking.Patient{Name: "Henri Moreau", Email: "wait2@example.org"}, EmailKey: booking.EmailKey("wait2@example.org"), Lang: "fr",
		Window: booking.Window{From: booking.Date{Year: 2026, Month: 12, Day: 1}, Until: booking.Date{Year: 2026, Month: 12, Day: 4}, Part: booking.PartAny},
		Status: booking.WaitActive, TokenHash: "hash2", CreatedAt: testNow.Add(-time.Minute), UpdatedAt: testNow.Add(-time.Minute), ExpiresAt: later,
	}
	if err := d.ws.AddWaitEntry(context.Background(), e, booking.WaitMessage{EntryID: e.ID, Kind: booking.WaitConfirm, CreatedAt: e.CreatedAt}, 10); err != nil {
		t.Fatal(err)
	}
	cookie, _ := d.login()
	body := d.get("/desk/waitlist", cookie).Body.String()
	shared, petit := strings.Index(body, "Henri Moreau"), strings.Index(body, "Louise Petit")
	if shared < 0 || petit < shared || !strings.Contains(body, "<caption>Médecine générale — avec le premier disponible</caption>") {
		t.Errorf("want the shared motive's entry first, under its caption: %d %d\n%s", shared, petit, body)
	}
	sophie, csrf := d.loginSophie()
	if body := d.get("/desk/waitlist", sophie).Body.String(); !strings.Contains(body, "Henri Moreau") {
		t.Errorf("Sophie (demo) doesn't see the shared motive's entry:\n%s", body)
	}
	w := d.post("/desk/waitlist/"+e.ID+"/remove", url.Values{"csrf": {csrf}}, sophie)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("Sophie removing the shared entry: %d\n%s", w.Code, w.Body)
	}
	if got, _ := d.ws.WaitEntry(context.Background(), e.ID); got.Status != booking.WaitLeft {
		t.Errorf("the shared entry is %s, want left", got.Status)
	}
}
