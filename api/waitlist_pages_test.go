package api

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

func waitForm(name, email, from, until string) url.Values {
	return url.Values{"name": {name}, "email": {email}, "from": {from}, "until": {until}, "part": {"morning"}, "weekday": {"2"}}
}

// TestWaitlistTexts: every text of the waiting list is there in each
// language.
func TestWaitlistTexts(t *testing.T) {
	for lang, wt := range waitTexts {
		v := reflect.ValueOf(wt).Elem()
		for i := range v.NumField() {
			if v.Field(i).String() == "" {
				t.Errorf("%s: %s is empty", lang, v.Type().Field(i).Name)
			}
		}
	}
}

func TestWaitlistPages(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			w := newWaitEnv(t, nil)
			wt := escaped(waitTexts[lang])
			q := "?lang=" + lang

			// The day step links to the form, with its day.
			wantPageLang(t, w.do(http.MethodGet, "/p/demo/consultation?day=2026-12-01&lang="+lang, nil), http.StatusOK, lang,
				`<a href="/p/demo/consultation/waitlist?day=2026-12-01">`+wt.Link)

			body := wantPageLang(t, w.do(http.MethodGet, "/p/demo/consultation/waitlist?day=2026-12-01&lang="+lang, nil), http.StatusOK, lang,
				`novalidate`, `<label for="name">`, `<label for="email">`, `<label for="from">`, `<label for="until">`,
				`value="2026-12-01"`, `value="2026-12-14"`, `min="2026-11-30"`, `aria-describedby="email-hint"`, `name="website"`, wt.Intro)
			if strings.Contains(body, "error-summary") {
				t.Error("a fresh form shows errors")
			}

			// Refused: every field's error in the summary, which takes the
			// focus, and on its field.
			form := waitForm("<b>", "nope", "2026-12-02", "2026-12-01")
			form.Set("lang", lang)
			wantPageLang(t, w.postForm("/p/demo/consultation/waitlist", form), http.StatusUnprocessableEntity, lang,
				`class="error-summary" tabindex="-1" autofocus`, `<a href="#name">`, `<a href="#email">`,
				`aria-describedby="name-error"`, `email-error`, `aria-invalid="true"`, wt.NotJoined)
			form = waitForm(patientName, patientEmail, "2026-12-02", "2026-12-01")
			form.Set("lang", lang)
			wantPageLang(t, w.postForm("/p/demo/consultation/waitlist", form), http.StatusUnprocessableEntity, lang,
				`<a href="#from">`+wt.WindowError, `id="from-error"`)

			// A free slot in the window: where to book it.
			form = waitForm(patientName, patientEmail, "2026-12-01", "2026-12-02")
			form.Set("lang", lang)
			form.Del("weekday") // Wednesday 2 has slots
			wantPageLang(t, w.postForm("/p/demo/consultation/waitlist", form), http.StatusConflict, lang,
				wt.FreeHeading, `<a href="/p/demo/consultation?day=2026-12-02">`+wt.FreeLink)

			// Joined: the notice; the email's link asks before it confirms.
			form = waitForm(patientName, patientEmail, "2026-12-01", "2026-12-01")
			form.Set("lang", lang)
			// 24 hours to confirm, from 30 November 08:00.
			deadline := map[string]string{"fr": "avant le mardi 1er décembre 2026 à 08:00 (heure de Paris)", "en": "before Tuesday 1 December 2026 at 08:00 (Paris time)"}[lang]
			wantPageLang(t, w.postForm("/p/demo/consultation/waitlist", form), http.StatusOK, lang, wt.JoinedHeading, deadline)
			token := w.token()
			wantPageLang(t, w.do(http.MethodGet, "/waitlist/confirm/"+token+q, nil), http.StatusOK, lang,
				`<form method="post" action="/waitlist/confirm/`+token+`">`, wt.ConfirmButton)
			if e, _ := w.wl.Entry(t.Context(), token); e.Status != booking.WaitPending {
				t.Fatalf("opening the link confirmed: %s", e.Status)
			}
			wantPageLang(t, w.postForm("/waitlist/confirm/"+token+q, url.Values{"lang": {lang}}), http.StatusOK, lang, wt.ConfirmedHeading)
			if e, _ := w.wl.Entry(t.Context(), token); e.Status != booking.WaitActive {
				t.Fatalf("after confirming: %s", e.Status)
			}
			wantPageLang(t, w.do(http.MethodGet, "/waitlist/leave/"+token+q, nil), http.StatusOK, lang, wt.LeaveButton)
			wantPageLang(t, w.postForm("/waitlist/leave/"+token+q, url.Values{"lang": {lang}}), http.StatusOK, lang, wt.LeftHeading)
			wantPageLang(t, w.do(http.MethodGet, "/waitlist/confirm/"+token+q, nil), http.StatusOK, lang, wt.Ended)
			wantPageLang(t, w.do(http.MethodGet, "/waitlist/confirm/AAAAAAAAAAAAAAAAAAAAAA"+q, nil), http.StatusNotFound, lang, wt.NotFound)

			// A filled honeypot joins nothing.
			form = waitForm(patientName, "other@example.org", "2026-12-01", "2026-12-01")
			form.Set("website", "spam")
			if r := w.postForm("/p/demo/consultation/waitlist", form); r.Code != http.StatusBadRequest {
				t.Errorf("honeypot: %d", r.Code)
			}
		})
	}
}

// escaped returns wt with its texts as html/template writes them.
func escaped(wt *waitText) *waitText {
	c := *wt
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		v.Field(i).SetString(html.EscapeString(v.Field(i).String()))
	}
	return &c
}

func TestWaitlistPagesOff(t *testing.T) {
	e := newEnv(t)
	body := wantPage(t, e.do(http.MethodGet, "/p/demo/consultation?day=2026-12-01", nil), http.StatusOK)
	if strings.Contains(body, "/waitlist") {
		t.Error("the day step links to a waiting list that is off")
	}
	wantPage(t, e.do(http.MethodGet, "/p/demo/consultation/waitlist", nil), http.StatusNotFound)
}

func TestWaitlistFormTooLarge(t *testing.T) {
	w := newWaitEnv(t, nil)
	form := waitForm(strings.Repeat("a", 10<<20), patientEmail, "2026-12-01", "2026-12-01")
	wantPage(t, w.postForm("/p/demo/consultation/waitlist", form), http.StatusRequestEntityTooLarge)
	if _, err := w.wl.Deliver(t.Context()); err != nil || len(w.wn.Take()) != 0 {
		t.Fatalf("a refused form sent something (%v)", err)
	}
}

// downWaitStore is a waiting list whose store can't be read.
type downWaitStore struct{ *bookingtest.WaitStore }

func (downWaitStore) WaitEntryByTokenHash(context.Context, string) (*booking.WaitEntry, error) {
	return nil, booking.Errorf(booking.EUnavailable, "store down")
}

// TestWaitlistLinkStoreDown: with the store down, the email's links say the
// service is unavailable, not that the link opens no entry.
func TestWaitlistLinkStoreDown(t *testing.T) {
	e := newEnvConfig(t, func(c *Config) {
		c.Waitlist = booking.NewWaitlist(c.Service, downWaitStore{bookingtest.NewWaitStore()}, &bookingtest.WaitNotifier{}, booking.WaitlistConfig{})
	})
	wt := escaped(waitTexts["fr"])
	for _, r := range []*httptest.ResponseRecorder{
		e.do(http.MethodGet, "/waitlist/confirm/AAAAAAAAAAAAAAAAAAAAAA?lang=fr", nil),
		e.postForm("/waitlist/confirm/AAAAAAAAAAAAAAAAAAAAAA?lang=fr", url.Values{"lang": {"fr"}}),
		e.postForm("/waitlist/leave/AAAAAAAAAAAAAAAAAAAAAA?lang=fr", url.Values{"lang": {"fr"}}),
	} {
		body := wantPageLang(t, r, http.StatusServiceUnavailable, "fr")
		if strings.Contains(body, wt.NotFound) {
			t.Errorf("store down: the page says the link opens no entry")
		}
	}
}

// TestWaitlistLinkTypeWithdrawn: the link of an entry whose type was taken
// off the waiting list since says that it ended, instead of asking again
// for a confirmation that can't be made.
func TestWaitlistLinkTypeWithdrawn(t *testing.T) {
	w := newWaitEnv(t, nil)
	const token = "BBBBBBBBBBBBBBBBBBBBBB"
	now := testNow
	e := &booking.WaitEntry{ID: "20000000-0000-4000-8000-000000000001", PractitionerID: "demo", TypeID: "withdrawn",
		Patient: booking.Patient{Name: patientName, Email: patientEmail}, EmailKey: booking.EmailKey(patientEmail), Lang: "fr",
		Window: booking.Window{From: booking.DateOf(now), Until: booking.DateOf(now), Part: booking.PartAny}, Status: booking.WaitPending,
		TokenHash: booking.HashToken(token), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := w.ws.AddWaitEntry(t.Context(), e, booking.WaitMessage{EntryID: e.ID, Kind: booking.WaitConfirm, CreatedAt: now}, 9); err != nil {
		t.Fatal(err)
	}
	wt := escaped(waitTexts["fr"])
	body := wantPageLang(t, w.do(http.MethodGet, "/waitlist/confirm/"+token+"?lang=fr", nil), http.StatusOK, "fr", wt.Ended)
	if strings.Contains(body, wt.ConfirmButton) {
		t.Error("the page asks to confirm an entry of a withdrawn type")
	}
}
