package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/debugger"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/emersion/go-ical"
)

// chromiumPath is Debian's Chromium, which the test script installs with
//
//	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
const chromiumPath = "/usr/bin/chromium"

// browserStep bounds one browser action. It is generous: it only keeps a
// stuck browser from hanging the test, and nothing asserts on time.
const browserStep = 60 * time.Second

// TestBrowserBooking books and cancels a visit on the patient pages in real
// headless Chromium, as a patient would: links are clicked, fields typed in
// with the keyboard and forms sent with their buttons.
func TestBrowserBooking(t *testing.T) {
	needChromium(t)
	in := startEmbedded(t)
	p := startBrowser(t, in.base)

	t.Run("book and cancel", func(t *testing.T) {
		p := p.on(t)

		// One practitioner with one motive: the practice and motive steps
		// are skipped.
		p.open(in.base+"/", 200)
		p.checkPath("/p/demo/consultation")
		p.checkPage("Consultation Dr Anne Martin · 20 min")
		p.checkClean()
		slot, start := p.firstSlot()

		p.click(slotLink(slot), 200)
		p.checkPath("/book")
		p.checkPage("Vos coordonnées")
		if n := p.evalInt(`document.querySelectorAll('form input:not([type=hidden])').length`); n != 4 {
			t.Errorf("booking form: %d inputs, want 4 (name, email, phone and the honeypot)", n)
		}
		if n := p.evalInt(`Array.from(document.querySelectorAll('form input:not([type=hidden])')).filter(e => e.getBoundingClientRect().left >= 0 && e.tabIndex >= 0).length`); n != 3 {
			t.Errorf("booking form: %d inputs in view and in the tab order, want 3 (name, email, phone)", n)
		}
		before := in.settled()
		p.typeIn("#name", "Marie Skłodowska-Curie")
		p.typeIn("#email", "marie@example.org")
		p.typeIn("#phone", "06 12 34 56 78")
		p.click(`form[action$="/book"] button[type=submit]`, 200)

		token, ok := strings.CutPrefix(p.path(), "/manage/")
		if !ok || token == "" {
			t.Fatalf("after booking, at %s, want /manage/{token}", p.location())
		}
		p.checkPage("Votre rendez-vous est réservé")
		if got := p.text(`.banner`); !strings.Contains(got, "m***e@example.org") {
			t.Errorf("done banner does not name the masked address: %q", got)
		}
		if got := p.text(`dl.summary`); !strings.Contains(got, "Marie Skłodowska-Curie") {
			t.Errorf("manage page does not show the patient's name as typed: %q", got)
		}
		if got := p.text(`dl.summary strong`); got != "confirmé" {
			t.Errorf("status on the manage page = %q, want %q", got, "confirmé")
		}

		var b bookingResponse
		if st, _ := in.do("GET", "/v1/bookings/"+token, nil, &b); st != 200 || b.Status != "confirmed" || b.Start != start {
			t.Fatalf("booking made in the browser, by the API: %d %+v, want confirmed at %s", st, b, start)
		}
		if after := in.waitState(state{before.objects + 1, before.mails + 1, before.rows + 1}); after != (state{before.objects + 1, before.mails + 1, before.rows + 1}) {
			t.Errorf("after booking in the browser: %+v, before %+v", after, before)
		}
		checkConfirmationMail(t, in.data, b.ID)
		if s := in.event(b.ID).Props.Get(ical.PropStatus); s == nil || s.Value != "CONFIRMED" {
			t.Errorf("event STATUS = %v, want CONFIRMED", s)
		}
		if day := mustTime(t, start); contains(in.slots(day, day.AddDate(0, 0, 1)), start) {
			t.Error("booked slot still free")
		}
		booked := in.settled()

		// Cancelling asks first; the question changes nothing.
		p.click(`ul.actions a.button[href$="/cancel"]`, 200)
		p.checkPath("/manage/" + token + "/cancel")
		p.checkPage("Annuler le rendez-vous")
		if st, _ := in.do("GET", "/v1/bookings/"+token, nil, &b); st != 200 || b.Status != "confirmed" {
			t.Errorf("after opening the cancel step, by the API: %d %+v, want still confirmed", st, b)
		}
		p.click(`form[action$="/cancel"] button[type=submit]`, 200)
		p.checkPath("/manage/" + token)
		p.checkPage("Votre rendez-vous est annulé et le créneau libéré. Un e-mail vous le confirme.")
		if got := p.text(`dl.summary strong`); got != "annulé" {
			t.Errorf("status after cancelling = %q, want %q", got, "annulé")
		}
		if p.evalInt(`document.querySelectorAll('form, ul.actions').length`) != 0 {
			t.Error("a cancelled booking still shows a form or actions")
		}
		if st, _ := in.do("GET", "/v1/bookings/"+token, nil, &b); st != 200 || b.Status != "cancelled" {
			t.Errorf("after cancelling in the browser, by the API: %d %+v", st, b)
		}
		if s := in.event(b.ID).Props.Get(ical.PropStatus); s == nil || s.Value != "CANCELLED" {
			t.Errorf("event STATUS after cancel = %v, want CANCELLED", s)
		}
		if after := in.state(); after.rows != booked.rows || after.objects != booked.objects {
			t.Errorf("after cancelling: %+v, after booking %+v (the booking and its event are kept)", after, booked)
		}

		p.click(`main a[href="/"]`, 200)
		p.checkPath("/p/demo/consultation")
		p.open(in.base+"/p/demo/consultation?day="+queryOf(t, slot).Get("start")[:10], 200)
		if !slices.Contains(p.slotLinks(), slot) {
			t.Errorf("cancelled slot %s is not listed again", start)
		}
		p.checkClean()
	})

	t.Run("invalid email", func(t *testing.T) {
		p := p.on(t)
		before := in.settled()

		p.open(in.base+"/", 200)
		slot, _ := p.firstSlot()
		p.click(slotLink(slot), 200)
		p.checkPath("/book")
		p.typeIn("#name", "Marie Curie")
		p.typeIn("#phone", "+33612345678")

		// The form is novalidate: rdv checks it, and says what is wrong at
		// the top, in the title and at the field.
		for _, email := range []string{"marie.example.org", "marie@example"} {
			p.erase("#email")
			p.typeIn("#email", email)
			p.click(`form[action$="/book"] button[type=submit]`, 422)
			p.checkPath("/book")
			p.checkPage("Vos coordonnées")
			if title := p.eval(`document.title`); !strings.HasPrefix(title, "Erreur\u00a0: ") {
				t.Errorf("%s: title %q, want it to start with Erreur\u00a0: ", email, title)
			}
			attrs := p.attrs("#email")
			if attrs["aria-invalid"] != "true" {
				t.Errorf("%s: email field: aria-invalid = %q, want true", email, attrs["aria-invalid"])
			}
			desc := p.eval(`(document.querySelector('#email').getAttribute('aria-describedby') ?? '').split(/\s+/).map(id => document.getElementById(id)?.textContent ?? '').join(' | ')`)
			if !strings.Contains(desc, "adresse e-mail n'est pas valide") {
				t.Errorf("%s: email field is not described by the error message: aria-describedby gives %q", email, desc)
			}
			if got := p.text(`.field-error#email-error`); !strings.Contains(got, "adresse e-mail n'est pas valide") {
				t.Errorf("%s: no message at the field: %q", email, got)
			}
			if got := p.text(`.error-summary h2`); got != "Le rendez-vous n'a pas été pris" {
				t.Errorf("%s: error summary heading %q", email, got)
			}
			if got := p.text(`.error-summary a[href="#email"]`); !strings.Contains(got, "adresse e-mail n'est pas valide") {
				t.Errorf("%s: the error summary does not link to the field: %q", email, got)
			}
			if !p.evalBool(`document.activeElement?.matches('.error-summary') ?? false`) {
				t.Errorf("%s: after the error, focus on %s, want the error summary", email, p.focused())
			}
			for sel, want := range map[string]string{"#name": "Marie Curie", "#email": email, "#phone": "+33612345678"} {
				if got := p.value(sel); got != want {
					t.Errorf("after the error, %s = %q, want %q as typed", sel, got, want)
				}
			}
		}
		if after := in.state(); after != before {
			t.Errorf("an invalid form wrote something: %+v, before %+v", after, before)
		}
		p.checkClean()
	})
}

// needChromium skips t without Chromium, or fails it if RDV_REQUIRE_SERVERS=1.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("RDV_REQUIRE_SERVERS") == "1" {
			t.Fatalf("%s: %v (install the Debian package chromium)", chromiumPath, err)
		}
		t.Skipf("%s: %v; set RDV_REQUIRE_SERVERS=1 to make this a failure", chromiumPath, err)
	}
}

// page drives one tab of the browser for one test.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
	rec  *recorder
}

// startBrowser starts headless Chromium on a fresh profile, with one tab, and
// records what the tab fetches, runs and logs.
func startBrowser(t *testing.T, base string) *page {
	t.Helper()
	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A French patient's browser: the pages follow Accept-Language.
		chromedp.Flag("lang", "fr-FR"),
		chromedp.Flag("accept-lang", "fr-FR,fr"),
		chromedp.UserDataDir(profile),
	)
	t.Cleanup(cancelAlloc) // waits for the browser to exit, before profile is removed
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser gracefully, so that it leaves nothing behind.
		cctx, ccancel := context.WithTimeout(ctx, browserStep)
		defer ccancel()
		if err := chromedp.Cancel(cctx); err != nil {
			t.Logf("closing the browser: %v", err)
		}
		cancel()
	})

	// Start the browser with no deadline: it lives as long as the test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	rec := &recorder{}
	if err := chromedp.Listen(ctx, rec.record); err != nil {
		t.Fatal(err)
	}
	// With Debugger on, the tab reports each script it parses. (chromedp
	// turns on Network, Runtime and Log, which report requests, the console
	// and what the browser itself logs, such as CSP violations.)
	dctx, dcancel := context.WithTimeout(ctx, browserStep)
	defer dcancel()
	if _, err := chromedp.Call(dctx, debugger.Enable, debugger.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return &page{t: t, ctx: ctx, base: base, rec: rec}
}

// on returns p for the (sub)test t.
func (p *page) on(t *testing.T) *page {
	q := *p
	q.t = t
	return &q
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("at %s: %v", p.location(), err)
	}
}

// open loads target and checks the status of its answer.
func (p *page) open(target string, status int64) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(target))
	if err != nil {
		p.t.Fatalf("open %s: %v", target, err)
	}
	if resp.Status != status {
		p.t.Fatalf("open %s: status %d, want %d", target, resp.Status, status)
	}
}

// click clicks the first element that sel matches with the mouse, waits for
// the page it leads to, and checks the status of that page.
func (p *page) click(sel string, status int64) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	from := p.location()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("at %s, click %s: %v", from, sel, err)
	}
	if resp.Status != status {
		p.t.Fatalf("at %s, click %s: %s answered %d, want %d", from, sel, resp.URL, resp.Status, status)
	}
}

// typeIn types s into the field that sel matches, key by key.
func (p *page) typeIn(sel, s string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.CSS(sel), s))
	if got := p.value(sel); got != s {
		p.t.Fatalf("typed %q into %s, field holds %q", s, sel, got)
	}
}

// erase empties the field that sel matches with the End and Backspace keys.
func (p *page) erase(sel string) {
	p.t.Helper()
	n := utf8.RuneCountInString(p.value(sel))
	p.do(chromedp.SendKeys(chromedp.CSS(sel), kb.End+strings.Repeat(kb.Backspace, n)))
	if got := p.value(sel); got != "" {
		p.t.Fatalf("erased %s, field holds %q", sel, got)
	}
}

func (p *page) value(sel string) string {
	p.t.Helper()
	return runStep(p, chromedp.Value(chromedp.CSS(sel)))
}

// text is the text of the first element that sel matches, trimmed, or "" if
// there is none.
func (p *page) text(sel string) string {
	p.t.Helper()
	return p.eval(`document.querySelector(` + jsString(sel) + `)?.textContent.trim() ?? ''`)
}

func (p *page) attrs(sel string) map[string]string {
	p.t.Helper()
	return runStep(p, chromedp.Attributes(chromedp.CSS(sel)))
}

// eval, evalInt and evalBool evaluate a JavaScript expression in the page
// through the DevTools protocol; they are the test's probes, not the page's
// scripts.
func (p *page) eval(expr string) string {
	p.t.Helper()
	return runStep(p, chromedp.Evaluate[string](expr))
}

func (p *page) evalInt(expr string) int {
	p.t.Helper()
	return runStep(p, chromedp.Evaluate[int](expr))
}

func (p *page) evalBool(expr string) bool {
	p.t.Helper()
	return runStep(p, chromedp.Evaluate[bool](expr))
}

func runStep[T any](p *page, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("at %s: %v", p.location(), err)
	}
	return v
}

// location is the URL of the page, or a note saying why it is unknown.
func (p *page) location() string {
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Sprintf("(location unknown: %v)", err)
	}
	return loc
}

// path is the path of the page's URL, which must be on the instance.
func (p *page) path() string {
	p.t.Helper()
	loc := p.location()
	rest, ok := strings.CutPrefix(loc, p.base)
	if !ok {
		p.t.Fatalf("browser left the site: at %s", loc)
	}
	u, err := url.Parse(rest)
	if err != nil {
		p.t.Fatal(err)
	}
	return u.Path
}

func (p *page) checkPath(want string) {
	p.t.Helper()
	if got := p.path(); got != want {
		p.t.Fatalf("at %s, want path %s", p.location(), want)
	}
}

// pageReport is what checkPage reads from the page in one go.
type pageReport struct {
	Lang       string   `json:"lang"`
	H1         []string `json:"h1"`
	Unlabelled []string `json:"unlabelled"`
	Scripts    int      `json:"scripts"`
	Handlers   []string `json:"handlers"`
	JSLinks    int      `json:"jsLinks"`
	CSSRules   int      `json:"cssRules"`
}

const pageReportJS = `(() => {
	const all = Array.from(document.querySelectorAll('*'));
	let rules = 0;
	for (const s of document.styleSheets) { try { rules += s.cssRules.length } catch (e) {} }
	return {
		lang: document.documentElement.lang,
		h1: Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim().replace(/\s+/g, ' ')),
		unlabelled: Array.from(document.querySelectorAll('input, select, textarea'))
			.filter(e => !['hidden', 'submit', 'button', 'reset'].includes(e.type))
			.filter(e => !Array.from(e.labels).some(l => l.textContent.trim() !== ''))
			.map(e => e.outerHTML),
		scripts: document.querySelectorAll('script').length,
		handlers: all.flatMap(e => Array.from(e.attributes).filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
		jsLinks: document.querySelectorAll('[href^="javascript:" i], [action^="javascript:" i]').length,
		cssRules: rules,
	};
})()`

// checkPage checks what every patient page must have: French as its
// language, one h1 (with the text h1), a label for each field, no script,
// and the site's style sheet applied.
func (p *page) checkPage(h1 string) {
	p.t.Helper()
	p.checkPageIn("fr", h1)
}

// checkPageIn is checkPage for a page in language lang.
func (p *page) checkPageIn(lang, h1 string) {
	p.t.Helper()
	r := runStep(p, chromedp.Evaluate[pageReport](pageReportJS))
	at := p.location()
	if r.Lang != lang {
		p.t.Errorf("%s: html lang = %q, want %s", at, r.Lang, lang)
	}
	if len(r.H1) != 1 || r.H1[0] != h1 {
		p.t.Errorf("%s: h1 = %q, want one, %q", at, r.H1, h1)
	}
	for _, e := range r.Unlabelled {
		p.t.Errorf("%s: field without a label: %s", at, e)
	}
	if r.Scripts != 0 || len(r.Handlers) != 0 || r.JSLinks != 0 {
		p.t.Errorf("%s: %d script elements, event handler attributes %q, %d javascript: links; want none", at, r.Scripts, r.Handlers, r.JSLinks)
	}
	if r.CSSRules == 0 {
		p.t.Errorf("%s: style sheet not applied", at)
	}
}

// checkClean checks what the browser saw since it started: every request
// went to the instance (checkSameOrigin), no script of the pages was parsed,
// no resource failed and nothing was logged to the console.
func (p *page) checkClean() {
	p.t.Helper()
	p.checkCleanScripts()
}

// checkCleanScripts is checkClean that lets the pages run the scripts of
// the instance at these paths.
func (p *page) checkCleanScripts(paths ...string) {
	p.t.Helper()
	r := p.rec.snapshot()
	r.scripts = slices.DeleteFunc(r.scripts, func(u string) bool {
		return slices.ContainsFunc(paths, func(path string) bool { return u == p.base+path })
	})
	p.checkSameOrigin()
	for _, s := range r.scripts {
		p.t.Errorf("page ran a script: %s", s)
	}
	for _, f := range r.failures {
		p.t.Errorf("resource failed: %s", f)
	}
	for _, m := range r.console {
		p.t.Errorf("console: %s", m)
	}
}

// recorder keeps what the tab reports through the DevTools protocol.
type recorder struct {
	mu       sync.Mutex
	requests []string                     // URL of every request, in order
	urls     map[network.RequestID]string // URL of each request
	docs     map[string]bool              // URLs requested as documents
	scripts  []string                     // scripts parsed from a document (the test's probes have no URL)
	failures []string                     // subresources that failed or answered an error
	console  []string                     // console calls and uncaught exceptions
	logs     []*log.Entry                 // what the browser itself logged
}

// record runs in the tab's event loop: it must return fast.
func (r *recorder) record(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if r.urls == nil {
			r.urls, r.docs = map[network.RequestID]string{}, map[string]bool{}
		}
		r.requests = append(r.requests, ev.Request.URL)
		r.urls[ev.RequestID] = ev.Request.URL
		if ev.Type == network.ResourceTypeDocument {
			r.docs[ev.Request.URL] = true
		}
	case *network.EventResponseReceived:
		if ev.Type != network.ResourceTypeDocument && ev.Response.Status >= 400 {
			r.failures = append(r.failures, fmt.Sprintf("%s: status %d", ev.Response.URL, ev.Response.Status))
		}
	case *network.EventLoadingFailed:
		if ev.Type != network.ResourceTypeDocument {
			r.failures = append(r.failures, fmt.Sprintf("%s: %s", r.urls[ev.RequestID], ev.ErrorText))
		}
	case *debugger.EventScriptParsed:
		if ev.URL != "" {
			r.scripts = append(r.scripts, ev.URL)
		}
	case *runtime.EventConsoleAPICalled:
		r.console = append(r.console, fmt.Sprintf("console.%s called", ev.Type))
	case *runtime.EventExceptionThrown:
		r.console = append(r.console, "uncaught exception: "+ev.ExceptionDetails.Text)
	case *log.EventEntryAdded:
		r.logs = append(r.logs, ev.Entry)
	}
}

type recording struct{ requests, scripts, failures, console []string }

func (r *recorder) snapshot() recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := recording{
		requests: slices.Clone(r.requests),
		scripts:  slices.Clone(r.scripts),
		failures: slices.Clone(r.failures),
		console:  slices.Clone(r.console),
	}
	for _, e := range r.logs {
		// Chromium logs each page answered with an error status, such as
		// the 422 of a refused form; open and click check those statuses.
		if e.Source == log.EntrySourceNetwork && r.docs[e.URL] {
			continue
		}
		rec.console = append(rec.console, fmt.Sprintf("%s %s: %s (%s)", e.Source, e.Level, e.Text, e.URL))
	}
	return rec
}

// slotLinks returns the href of every slot link of the page.
func (p *page) slotLinks() []string {
	p.t.Helper()
	return runStep(p, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a.slot'), a => a.getAttribute('href'))`))
}

// calendar is a CSS selector for the part of the day step that is shown
// at the tab's size: the month grid (.month), or the week strip (.strip)
// on a narrow screen.
func (p *page) calendar() string {
	p.t.Helper()
	switch got := p.eval(`['.month', '.strip'].filter(s => { const e = document.querySelector(s); return e && e.offsetParent !== null && getComputedStyle(e).display !== 'none' }).join(' ')`); got {
	case ".month", ".strip":
		return got
	default:
		p.t.Fatalf("at %s: shown of the month grid and the week strip: %q, want one", p.location(), got)
		return ""
	}
}

// freeDayAfter returns the link of the first free day after the date after
// (YYYY-MM-DD) in the calendar part that the tab shows, following its next
// pager (month or week) up to 3 times; "" if there is none.
func (p *page) freeDayAfter(after string) string {
	p.t.Helper()
	for range 4 {
		cal := p.calendar()
		for _, href := range runStep(p, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(`+jsString(cal+` a.day.free`)+`), a => a.getAttribute('href'))`)) {
			if day := queryOf(p.t, href).Get("day"); day > after {
				return href
			}
		}
		next := cal + ` nav.pager a:last-child`
		if !p.evalBool(`(() => { const a = document.querySelector(` + jsString(next) + `); return !!a && /→/.test(a.textContent) })()`) {
			return ""
		}
		p.click(next, 200)
	}
	return ""
}

// firstSlot chooses, on a day step, the first free day after today in the
// calendar the tab shows, by clicking it, and returns the link and the start
// of its first time. Today's first slots lie just past the minimum notice,
// and may stop being bookable while the test runs.
func (p *page) firstSlot() (href, start string) {
	p.t.Helper()
	day := p.freeDayAfter(parisToday(p.t))
	if day == "" {
		p.t.Fatalf("at %s: no free day after today", p.location())
	}
	p.click(p.calendar()+` `+linkTo("a.day.free", day), 200)
	if got := p.attrs(`[aria-current="date"]`); got["href"] != day {
		p.t.Errorf("after choosing the day %s, the current day is %v", day, got)
	}
	links := p.slotLinks()
	if len(links) == 0 {
		p.t.Fatalf("at %s: a free day without free times", p.location())
	}
	return links[0], queryOf(p.t, links[0]).Get("start")
}

// parisToday is today's date in the demo practitioner's zone.
func parisToday(t *testing.T) string {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return time.Now().In(paris).Format(time.DateOnly)
}

// queryOf is the query of the link href.
func queryOf(t *testing.T, href string) url.Values {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil {
		t.Fatalf("link %q: %v", href, err)
	}
	return u.Query()
}

// linkTo is a CSS selector for the element that sel matches whose href is
// href.
func linkTo(sel, href string) string {
	return sel + `[href="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(href) + `"]`
}

// slotLink is a CSS selector for the slot link whose href is href.
func slotLink(href string) string { return linkTo("a.slot", href) }

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("slot start %q: %v", s, err)
	}
	return v
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
