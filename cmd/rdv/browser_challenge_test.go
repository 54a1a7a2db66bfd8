package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserBookingChallenge books with the proof of work on, at the
// default difficulty, in headless Chromium: the site's script solves the
// challenge with WebCrypto under the page's CSP, and the patient sees only
// the form.
func TestBrowserBookingChallenge(t *testing.T) {
	needChromium(t)
	in := startEmbeddedConfig(t, func(c *Config) { c.Challenge.Enabled = true })
	p := startBrowser(t, in.base)

	p.open(in.base+"/", 200)
	slot, start := p.firstSlot()
	p.click(slotLink(slot), 200)
	p.checkPath("/book")
	// The site's own challenge.js under its hashed name, and nothing else.
	script := p.eval(`Array.from(document.scripts, s => s.getAttribute('src') + ' ' + s.textContent.trim()).join(', ')`)
	if !challengeScript.MatchString(script) {
		t.Errorf("scripts of the form: %q, want only /static/challenge.HASH.js, with no inline code", script)
	}
	script = strings.TrimSpace(script)
	if got := p.eval(`document.querySelector('form').dataset.challenge`); got != "/v1/challenge" {
		t.Errorf("form's data-challenge = %q", got)
	}

	before := in.settled()
	p.typeIn("#name", "Marie Curie")
	p.typeIn("#email", "marie@example.org")
	t0 := time.Now()
	p.click(`form[action$="/book"] button[type=submit]`, 200)
	t.Logf("from the click to the booking's page: %s (the challenge solved while the patient typed)", time.Since(t0).Round(time.Millisecond))

	token, ok := strings.CutPrefix(p.path(), "/manage/")
	if !ok || token == "" {
		t.Fatalf("after booking, at %s, want /manage/{token}", p.location())
	}
	p.checkPage("Votre rendez-vous est réservé")
	var b bookingResponse
	if st, _ := in.do("GET", "/v1/bookings/"+token, nil, &b); st != 200 || b.Status != "confirmed" || b.Start != start {
		t.Fatalf("booking made in the browser, by the API: %d %+v, want confirmed at %s", st, b, start)
	}
	if after := in.waitState(state{before.objects + 1, before.mails + 1, before.rows + 1}); after != (state{before.objects + 1, before.mails + 1, before.rows + 1}) {
		t.Errorf("after booking in the browser: %+v, before %+v", after, before)
	}
	p.checkCleanScripts(script)

	// A form refused by rdv (an address it finds invalid) comes back; its
	// proof of work was used, the page solves a new one, and the corrected
	// form books.
	p.open(in.base+"/", 200)
	slot, _ = p.firstSlot()
	p.click(slotLink(slot), 200)
	p.typeIn("#name", "Pierre Curie")
	p.typeIn("#email", "pierre@example")
	p.click(`form[action$="/book"] button[type=submit]`, 422)
	p.checkPath("/book")
	p.erase("#email")
	p.typeIn("#email", "pierre@example.org")
	p.click(`form[action$="/book"] button[type=submit]`, 200)
	if _, ok := strings.CutPrefix(p.path(), "/manage/"); !ok {
		t.Fatalf("after correcting the form, at %s, want /manage/{token}", p.location())
	}
	p.checkCleanScripts(script)

	// What the browser needs for the default difficulty's worst case, all
	// 50 001 hashes, one at a time and by batches of 100 as challenge.js
	// does (the test's probe, under the CSP of the booking's page).
	for _, batch := range []int{1, 100} {
		ms := runStep(p, chromedp.Evaluate[float64](`(async () => {
			const enc = new TextEncoder(), t0 = performance.now(), B = `+strconv.Itoa(batch)+`;
			for (let n = 0; n <= 50000; n += B) {
				const ds = await Promise.all(Array.from({length: Math.min(B, 50001 - n)},
					(_, i) => crypto.subtle.digest('SHA-256', enc.encode('0123456789abcdef01234567?expires=1796976300&' + (n + i)))));
				ds.findIndex((d) => Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('') === '');
			}
			return performance.now() - t0;
		})()`, chromedp.EvalAwaitPromise))
		t.Logf("Chromium, batches of %d: 50 001 SHA-256 (the worst case of max_number 50000) in %.0f ms", batch, ms)
	}
}

// challengeScript matches the scripts of the booking form: challenge.js
// under its hashed name, with no inline code.
var challengeScript = regexp.MustCompile(`^/static/challenge\.[0-9a-f]{10}\.js $`)
