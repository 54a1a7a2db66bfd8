package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rdvlibre/rdv/internal/locale"
)

// flowText is what the patient pages say in one language, as the flow test
// expects it.
type flowText struct {
	lang, book, form, booked, manage, cancel, cancelled string
	move, moveConfirm, movedF, errPrefix, zone          string
	confirmed, cancelledStatus                          string
	// dateRE matches a date and time written out, as on the pages.
	dateRE *regexp.Regexp
}

var (
	flowFR = flowText{
		lang: "fr", book: "Prendre rendez-vous", form: "Vos coordonnées", booked: "Votre rendez-vous est réservé",
		manage: "Votre rendez-vous", cancel: "Annuler le rendez-vous",
		cancelled: "Votre rendez-vous est annulé et le créneau libéré. Un e-mail vous le confirme.",
		move:      "Déplacer le rendez-vous", moveConfirm: "Confirmer le déplacement",
		movedF:    "Votre rendez-vous est déplacé au %s. Un e-mail vous le confirme.",
		errPrefix: "Erreur\u00a0: ", zone: "heure de Paris", confirmed: "confirmé", cancelledStatus: "annulé",
		dateRE: regexp.MustCompile(`^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) (1er|[0-9]{1,2}) (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) 20[0-9]{2} à [0-2][0-9]:[0-5][0-9]$`),
	}
	flowEN = flowText{
		lang: "en", book: "Book an appointment", form: "Your details", booked: "Your appointment is booked",
		manage: "Your appointment", cancel: "Cancel the appointment",
		cancelled: "Your appointment is cancelled and the slot released. An email confirms it.",
		move:      "Move the appointment", moveConfirm: "Confirm the move",
		movedF:    "Your appointment is moved to %s. An email confirms it.",
		errPrefix: "Error: ", zone: "Paris time", confirmed: "confirmed", cancelledStatus: "cancelled",
		dateRE: regexp.MustCompile(`^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) [0-9]{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) 20[0-9]{2} at [0-2][0-9]:[0-5][0-9]$`),
	}
)

// TestBrowserFlow walks the patient pages of a practice with two
// practitioners and three motives (Dr Martin: consultation, follow-up, and
// an emergency motive reached by its link only; Dr Durand: consultation),
// its identity set, and a real SMTP server catching the emails: it books
// through every step, opens the manage link of the email caught, moves the
// booking to another week and cancels it with its confirmation step, once in
// French on a desktop screen (month grid) and once in English on a phone
// (week strip). On every page and state it runs axe-core (WCAG 2.2 AA),
// writes a screenshot and checks that no request left the site. Then it
// books with the keyboard alone.
func TestBrowserFlow(t *testing.T) {
	needChromium(t)
	needAxe(t)
	box := &mailbox{}
	smtpAddr := freeAddr(t)
	serveSMTP(t, smtpAddr, box)
	logo := filepath.Join(t.TempDir(), "logo.svg")
	if err := os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40"><rect width="40" height="40" rx="8" fill="#0b4f8a"/><path d="M12 20h16M20 12v16" stroke="#fff" stroke-width="4"/></svg>`), 0o644); err != nil {
		t.Fatal(err)
	}
	in := startEmbeddedConfig(t, func(c *Config) {
		c.BaseURL = "http://" + c.Addr // the emails' links lead to this instance
		c.Mail.From = "Cabinet Martin <rdv@cabinet.example>"
		c.Mail.SMTP = SMTPConfig{Addr: smtpAddr, TLS: "none"}
		c.Practice = PracticeConfig{
			Name: "Cabinet Martin", Logo: logo, Color: "#0b4f8a",
			Phone: "01 23 45 67 89", Address: "12 rue de la Santé, 75013 Paris",
			LegalURL:         "https://cabinet-martin.example/mentions-legales",
			PrivacyURL:       "https://cabinet-martin.example/donnees-personnelles",
			AccessibilityURL: "https://cabinet-martin.example/accessibilite",
		}
		martin := demoPractitioner()
		followUp := martin.Types[0]
		followUp.ID, followUp.Name = "suivi", "Suivi"
		followUp.Duration, followUp.Step = duration{30 * time.Minute}, duration{30 * time.Minute}
		urgent := martin.Types[0]
		urgent.ID, urgent.Name, urgent.Unlisted = "urgence", "Urgence", true
		martin.Types = append(martin.Types, followUp, urgent)
		durand := demoPractitioner()
		durand.ID, durand.Name, durand.Email = "durand", "Dr Paul Durand", "paul.durand@example.org"
		c.Practitioners = []PractitionerConfig{martin, durand}
	})
	p := startBrowser(t, in.base)
	t0 := time.Now()

	walk := func(t *testing.T, vp viewport, lt flowText, name, email, masked string) {
		p := p.on(t)
		p.viewport(vp.w, vp.h, vp.mobile)
		// check runs axe, writes a screenshot and checks the requests of the
		// page in its state label.
		check := func(label string) {
			p.t.Helper()
			p.axe(vp.name + " " + lt.lang + " " + label)
			if w := p.evalInt(`document.documentElement.scrollWidth`); w > vp.w {
				p.t.Errorf("%s %s: the page is %d px wide, in a viewport of %d", vp.name, label, w, vp.w)
			}
			p.shot("flow-" + lt.lang + "-" + label)
			p.checkSameOrigin()
		}
		want := ".month"
		if vp.mobile {
			want = ".strip"
		}

		// The practice: its identity, and the practitioners.
		p.open(in.base+"/?lang="+lt.lang, 200)
		p.checkPath("/")
		p.checkPageIn(lt.lang, lt.book)
		if title := p.eval(`document.title`); title != lt.book+" · Cabinet Martin" {
			t.Errorf("practice page's title %q", title)
		}
		if got := p.text(`header .brand`); got != "Cabinet Martin" {
			t.Errorf("header's brand %q, want the practice's name", got)
		}
		if !p.evalBool(`(() => { const i = document.querySelector('header .brand img'); return !!i && i.complete && i.naturalWidth > 0 })()`) {
			t.Error("the practice's logo is not shown in the header")
		}
		footer := p.text(`footer`)
		for _, s := range []string{"01 23 45 67 89", "12 rue de la Santé, 75013 Paris"} {
			if !strings.Contains(footer, s) {
				t.Errorf("footer %q lacks %q", footer, s)
			}
		}
		for _, href := range []string{"https://cabinet-martin.example/mentions-legales", "https://cabinet-martin.example/donnees-personnelles", "https://cabinet-martin.example/accessibilite", "tel:0123456789"} {
			if !p.evalBool(`!!document.querySelector(` + jsString(linkTo("footer a", href)) + `)`) {
				t.Errorf("no link to %s in the footer, whose links are %q", href, runStepStrings(p, `Array.from(document.querySelectorAll('footer a'), a => a.getAttribute('href'))`))
			}
		}
		if got := p.attrs(`header .lang a`)["hreflang"]; got == lt.lang || got == "" {
			t.Errorf("language switch's hreflang %q on a page in %s", got, lt.lang)
		}
		if got := runStepStrings(p, `Array.from(document.querySelectorAll('ul.choices a.choice'), a => a.getAttribute('href'))`); !slices.Equal(got, []string{"/p/demo", "/p/durand"}) {
			t.Errorf("practitioners: %q", got)
		}
		if strings.Contains(p.text(`main`), "Urgence") {
			t.Error("the practice page lists the unlisted motive")
		}
		check("practice")

		// The practitioner: the listed motives.
		p.click(`ul.choices a.choice[href="/p/demo"]`, 200)
		p.checkPath("/p/demo")
		p.checkPageIn(lt.lang, "Dr Anne Martin")
		if got := runStepStrings(p, `Array.from(document.querySelectorAll('ul.choices a.choice'), a => a.getAttribute('href'))`); !slices.Equal(got, []string{"/p/demo/consultation", "/p/demo/suivi"}) {
			t.Errorf("motives: %q, want the consultation and the follow-up, not the unlisted one", got)
		}
		if !p.evalBool(`!!document.querySelector('nav.crumbs a[href="/"]')`) {
			t.Error("no breadcrumb back to the practice")
		}
		check("motives")

		// The unlisted motive, by its link.
		p.open(in.base+"/p/demo/urgence", 200)
		p.checkPageIn(lt.lang, "Urgence Dr Anne Martin · 20 min")
		p.open(in.base+"/p/demo", 200)

		// The days and times of the follow-up.
		p.click(`ul.choices a.choice[href="/p/demo/suivi"]`, 200)
		p.checkPath("/p/demo/suivi")
		p.checkPageIn(lt.lang, "Suivi Dr Anne Martin · 30 min")
		if got := p.calendar(); got != want {
			t.Errorf("at %s the days are shown in %s, want %s", vp.name, got, want)
		}
		if got := p.text(`main p.note`); !strings.Contains(got, lt.zone) {
			t.Errorf("zone note %q, want %q in it", got, lt.zone)
		}
		check("days")

		// The pager of the calendar shown: the next month, or week, and
		// back.
		pager := want + ` nav.pager a:last-child`
		p.click(pager, 200)
		if got := queryOf(t, p.location()); got.Get("month") == "" && got.Get("day") == "" {
			t.Errorf("the pager leads to %s, with neither month nor day", p.location())
		}
		check("days-next")
		p.click(want+` nav.pager a:first-child`, 200)

		// A closed day (the next Sunday) says so, and links to the next
		// availability.
		sunday := mustTime(t, parisToday(t)+"T12:00:00Z").AddDate(0, 0, 1)
		for sunday.Weekday() != time.Sunday {
			sunday = sunday.AddDate(0, 0, 1)
		}
		p.open(in.base+"/p/demo/suivi?day="+sunday.Format(time.DateOnly), 200)
		if p.evalInt(`document.querySelectorAll('section.times a.slot').length`) != 0 || p.text(`section.times p`) == "" {
			t.Errorf("a Sunday, closed, shows times or no reason: %q", p.text(`section.times`))
		}
		// Its cell, chosen, stays legible: not white on its state's (white)
		// background.
		if got := p.eval(`getComputedStyle(document.querySelector(` + jsString(want+` span.day.closed[aria-current="date"]`) + `)).color`); got == "rgb(255, 255, 255)" {
			t.Errorf("the chosen closed day is written in %s, on a white background", got)
		}
		check("closed-day")
		p.click(`p.next a`, 200)
		if next := queryOf(t, p.location()).Get("day"); next <= sunday.Format(time.DateOnly) || len(p.slotLinks()) == 0 {
			t.Errorf("next availability after %s: %s, with %d times", sunday.Format(time.DateOnly), p.location(), len(p.slotLinks()))
		}
		p.open(in.base+"/p/demo/suivi", 200)
		slot, start := p.firstSlot()
		st := mustTime(t, start).In(mustParis(t))
		if got, day := p.text(`section.times h2`), locale.Date(lt.lang, st); !strings.Contains(got, day) {
			t.Errorf("times heading %q, want the day %q", got, day)
		}
		check("day")

		// The details, first with an address rdv refuses.
		p.click(`section.times `+slotLink(slot), 200)
		p.checkPath("/book")
		p.checkPageIn(lt.lang, lt.form)
		when := locale.DateTime(lt.lang, st)
		if !lt.dateRE.MatchString(when) {
			t.Errorf("date %q is not written out in %s", when, lt.lang)
		}
		if got := p.text(`dl.summary`); !strings.Contains(got, when) || !strings.Contains(got, lt.zone) {
			t.Errorf("form's summary %q, want %q and %q", got, when, lt.zone)
		}
		check("form")
		p.typeIn("#name", name)
		p.typeIn("#email", strings.Replace(email, ".org", "", 1))
		p.click(`form[action$="/book"] button[type=submit]`, 422)
		if title := p.eval(`document.title`); !strings.HasPrefix(title, lt.errPrefix) {
			t.Errorf("title after an error %q, want it to start with %q", title, lt.errPrefix)
		}
		if !p.evalBool(`document.activeElement?.matches('.error-summary') ?? false`) {
			t.Errorf("after the error, focus on %s, want the error summary", p.focused())
		}
		if !p.evalBool(`!!document.querySelector('.error-summary a[href="#email"]') && !!document.querySelector('p.field-error#email-error') && document.querySelector('#email').getAttribute('aria-invalid') === 'true'`) {
			t.Error("the error is not linked from the summary, or not at the field")
		}
		check("form-error")
		p.erase("#email")
		p.typeIn("#email", email)
		p.click(`form[action$="/book"] button[type=submit]`, 200)

		// Done.
		token, ok := strings.CutPrefix(p.path(), "/manage/")
		if !ok || token == "" || !strings.HasSuffix(p.location(), "?done=booked") {
			t.Fatalf("after booking, at %s, want /manage/{token}?done=booked", p.location())
		}
		p.checkPageIn(lt.lang, lt.booked)
		if !p.evalBool(`document.activeElement?.matches('.banner') ?? false`) {
			t.Errorf("on the done page, focus on %s, want the banner", p.focused())
		}
		if got := p.text(`.banner`); !strings.Contains(got, masked) {
			t.Errorf("banner %q does not name %s", got, masked)
		}
		manageURL := in.base + "/manage/" + token
		if got := p.attrs(`.banner .link a`)["href"]; got != manageURL {
			t.Errorf("manage link on the done page %q, want %s", got, manageURL)
		}
		if got := p.attrs(`a.ics`)["href"]; got != "/manage/"+token+"/event.ics" {
			t.Errorf("add to my calendar: %q", got)
		}
		checkICS(t, manageURL+"/event.ics")
		var b bookingResponse
		if code, _ := in.do("GET", "/v1/bookings/"+token, nil, &b); code != 200 || b.Status != "confirmed" || b.Start != start {
			t.Fatalf("booking made in the browser, by the API: %d %+v, want confirmed at %s", code, b, start)
		}
		check("booked")

		// The email, in the booking's language; its link opens the booking,
		// in its language, in a browser that has no language cookie (as on
		// another device) and asks for French.
		link := flowMail(t, box, email, lt, token)
		p.clearCookies()
		p.open(link, 200)
		p.checkPageIn(lt.lang, lt.manage)
		if got := p.text(`dl.summary`); !strings.Contains(got, name) || !strings.Contains(got, when) {
			t.Errorf("manage page from the email: %q, want %q and %q", got, name, when)
		}
		if got := p.text(`dl.summary strong`); got != lt.confirmed {
			t.Errorf("status %q, want %q", got, lt.confirmed)
		}
		check("manage")

		// Move to a day of another week.
		p.click(`ul.actions a.button[href$="/move"]`, 200)
		p.checkPath("/manage/" + token + "/move")
		p.checkPageIn(lt.lang, lt.move)
		if got := p.calendar(); got != want {
			t.Errorf("at %s the move's days are shown in %s, want %s", vp.name, got, want)
		}
		check("move")
		weekEnd := st.AddDate(0, 0, 7-(int(st.Weekday())+6)%7-1).Format(time.DateOnly) // the Sunday of the booking's week
		day := p.freeDayAfter(weekEnd)
		if day == "" {
			t.Fatalf("no free day after %s to move to", weekEnd)
		}
		p.click(p.calendar()+` `+linkTo("a.day.free", day), 200)
		moves := p.slotLinks()
		if len(moves) == 0 {
			t.Fatalf("at %s: a free day without times", p.location())
		}
		check("move-day")
		p.click(`section.times `+slotLink(moves[0]), 200)
		p.checkPath("/manage/" + token + "/move")
		p.checkPageIn(lt.lang, lt.moveConfirm)
		newStart := queryOf(t, moves[0]).Get("start")
		nt := mustTime(t, newStart).In(mustParis(t))
		if y1, w1 := st.ISOWeek(); func() bool { y2, w2 := nt.ISOWeek(); return y1 == y2 && w1 == w2 }() {
			t.Errorf("moved within the week: from %s to %s", st, nt)
		}
		newWhen := locale.DateTime(lt.lang, nt)
		if got := p.text(`dl.summary strong`); got != newWhen {
			t.Errorf("move's new slot %q, want %q", got, newWhen)
		}
		if code, _ := in.do("GET", "/v1/bookings/"+token, nil, &b); code != 200 || b.Start != start {
			t.Errorf("the move's confirmation step changed the booking: %d %+v", code, b)
		}
		check("move-confirm")
		p.click(`form[action$="/reschedule"] button[type=submit]`, 200)
		if !strings.HasSuffix(p.location(), "/manage/"+token+"?done=moved") {
			t.Fatalf("after moving, at %s", p.location())
		}
		p.checkPageIn(lt.lang, fmt.Sprintf(lt.movedF, newWhen))
		if got := p.text(`dl.summary`); !strings.Contains(got, newWhen) {
			t.Errorf("summary after the move %q, want %q", got, newWhen)
		}
		if code, _ := in.do("GET", "/v1/bookings/"+token, nil, &b); code != 200 || b.Status != "confirmed" || b.Start != newStart {
			t.Errorf("after moving in the browser, by the API: %d %+v, want confirmed at %s", code, b, newStart)
		}
		if got, err := in.event(b.ID).DateTimeStart(time.UTC); err != nil || !got.Equal(nt) {
			t.Errorf("the calendar's event starts at %s (%v) after the move, want %s", got, err, nt)
		}
		check("moved")

		// Cancel, with its confirmation step.
		p.click(`ul.actions a.button[href$="/cancel"]`, 200)
		p.checkPath("/manage/" + token + "/cancel")
		p.checkPageIn(lt.lang, lt.cancel)
		if !p.evalBool(`!!document.querySelector(` + jsString(linkTo("main a.button", "/manage/"+token)) + `)`) {
			t.Error("the cancel step has no link to keep the booking")
		}
		if code, _ := in.do("GET", "/v1/bookings/"+token, nil, &b); code != 200 || b.Status != "confirmed" {
			t.Errorf("opening the cancel step changed the booking: %d %+v", code, b)
		}
		check("cancel")
		p.click(`form[action$="/cancel"] button[type=submit]`, 200)
		if !strings.HasSuffix(p.location(), "/manage/"+token+"?done=cancelled") {
			t.Fatalf("after cancelling, at %s", p.location())
		}
		p.checkPageIn(lt.lang, lt.cancelled)
		if got := p.text(`dl.summary strong`); got != lt.cancelledStatus {
			t.Errorf("status after cancelling %q, want %q", got, lt.cancelledStatus)
		}
		if code, _ := in.do("GET", "/v1/bookings/"+token, nil, &b); code != 200 || b.Status != "cancelled" {
			t.Errorf("after cancelling in the browser, by the API: %d %+v", code, b)
		}
		check("cancelled")

		p.open(in.base+"/nulle-part", 404)
		if got := p.evalInt(`document.querySelectorAll('h1').length`); got != 1 {
			t.Errorf("404 page: %d h1", got)
		}
		check("not-found")
	}

	t.Run("fr desktop", func(t *testing.T) {
		walk(t, desktop, flowFR, "Marie Curie", "marie@example.org", "m***e@example.org")
	})
	t.Run("en phone", func(t *testing.T) {
		walk(t, phone, flowEN, "John Watson", "watson@example.org", "w***n@example.org")
	})

	// The switch back to French, remembered for what follows.
	t.Run("switch", func(t *testing.T) {
		p := p.on(t)
		p.open(in.base+"/?lang=en", 200)
		p.checkPageIn("en", flowEN.book)
		p.click(`header .lang a`, 200)
		p.checkPageIn("fr", flowFR.book)
		p.open(in.base+"/", 200)
		p.checkPageIn("fr", flowFR.book)
	})

	t.Run("keyboard", func(t *testing.T) {
		p := p.on(t)
		p.viewport(desktop.w, desktop.h, desktop.mobile)
		p.open(in.base+"/", 200)
		p.tabTo(`ul.choices a.choice[href="/p/durand"]`, 30)
		p.pressTo(kb.Enter, 200)
		p.checkPath("/p/durand/consultation") // one listed motive: its step is skipped
		p.checkPageIn("fr", "Consultation Dr Paul Durand · 20 min")
		today := parisToday(t)
		var day string
		for range 3 {
			for _, href := range runStepStrings(p, `Array.from(document.querySelectorAll('.month a.day.free'), a => a.getAttribute('href'))`) {
				if queryOf(t, href).Get("day") > today {
					day = href
					break
				}
			}
			if day != "" {
				break
			}
			p.tabTo(`.month nav.pager a[rel=next]`, 80)
			p.pressTo(kb.Enter, 200)
		}
		if day == "" {
			t.Fatal("no free day after today")
		}
		p.tabTo(".month "+linkTo("a.day.free", day), 80)
		p.pressTo(kb.Enter, 200)
		slots := p.slotLinks()
		if len(slots) == 0 {
			t.Fatalf("at %s: a free day without times", p.location())
		}
		p.tabTo(slotLink(slots[0]), 120)
		p.pressTo(kb.Enter, 200)
		p.checkPath("/book")
		p.tabTo("#name", 20)
		p.press("Ada Lovelace")
		p.tabTo("#email", 5)
		p.press("ada@example.org")
		p.tabTo(`form[action$="/book"] button[type=submit]`, 5)
		p.pressTo(kb.Enter, 200)
		if !strings.HasPrefix(p.path(), "/manage/") {
			t.Fatalf("after booking with the keyboard, at %s", p.location())
		}
		p.checkPageIn("fr", flowFR.booked)
		if !p.evalBool(`document.activeElement?.matches('.banner') ?? false`) {
			t.Errorf("on the done page, focus on %s, want the banner", p.focused())
		}
		if got := p.text(`dl.summary`); !strings.Contains(got, "Ada Lovelace") || !strings.Contains(got, "Dr Paul Durand") {
			t.Errorf("booking made with the keyboard: %q", got)
		}
		p.checkSameOrigin()
	})

	// The API's docs: a page of the site too, with nothing from elsewhere.
	t.Run("docs", func(t *testing.T) {
		p := p.on(t)
		p.open(in.base+"/docs", 200)
		p.checkSameOrigin()
	})
	t.Logf("the flow, in two languages at two sizes, and the keyboard booking, in %s", time.Since(t0).Round(100*time.Millisecond))
}

// clearCookies removes the browser's cookies.
func (p *page) clearCookies() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		p.t.Fatal(err)
	}
}

// runStepStrings evaluates a JavaScript expression that gives a list of
// strings.
func runStepStrings(p *page, expr string) []string {
	p.t.Helper()
	return runStep(p, chromedp.Evaluate[[]string](expr))
}

func mustParis(t *testing.T) *time.Location {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return paris
}

// checkICS checks that url answers an iCalendar file to publish.
func checkICS(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/calendar") || !strings.Contains(string(body), "METHOD:PUBLISH") {
		t.Errorf("%s: %d %s, body %.200q; want text/calendar with METHOD:PUBLISH", url, resp.StatusCode, ct, body)
	}
}

var flowManageLink = regexp.MustCompile(`https?://[^\s"<>]+/manage/[A-Za-z0-9_-]+`)

// flowMail waits for the email to the address to, checks that it is in the
// language of lt and links to the booking of token, and returns that link.
func flowMail(t *testing.T, box *mailbox, to string, lt flowText, token string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		msgs, rcpts := box.messages(), box.recipients()
		for i := min(len(msgs), len(rcpts)) - 1; i >= 0; i-- {
			if !strings.EqualFold(rcpts[i], to) {
				continue
			}
			raw := strings.ReplaceAll(string(msgs[i]), "=\r\n", "")
			if !strings.Contains(raw, "Content-Language: "+lt.lang+"\r\n") {
				t.Errorf("the email to %s is not in %s", to, lt.lang)
			}
			if !strings.Contains(raw, lt.zone) {
				t.Errorf("the email to %s does not say %q", to, lt.zone)
			}
			link := flowManageLink.FindString(raw)
			if !strings.HasSuffix(link, "/manage/"+token) {
				t.Fatalf("the email to %s links to %q, want the booking's page", to, link)
			}
			return link
		}
		if time.Now().After(deadline) {
			t.Fatalf("no email to %s caught (%d caught, to %q)", to, len(msgs), rcpts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
