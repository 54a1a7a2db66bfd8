package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserAccessibility checks each patient page, in each state a
// patient meets it in, with axe-core against WCAG 2.2 AA, at a phone's size
// and at a desktop's, writes a screenshot of each (see shot), and checks that
// no request leaves the site. Then it books with the keyboard alone.
func TestBrowserAccessibility(t *testing.T) {
	needChromium(t)
	needAxe(t)
	in := startEmbedded(t)
	p := startBrowser(t, in.base)
	t0 := time.Now()

	p.each(func(p *page, vp viewport) {
		// fits checks that the page needs no scrolling sideways (WCAG
		// 1.4.10, reflow), which axe does not check.
		fits := func(label string) {
			p.t.Helper()
			if w := p.evalInt(`document.documentElement.scrollWidth`); w > vp.w {
				p.t.Errorf("%s %s: the page is %d px wide, in a viewport of %d", vp.name, label, w, vp.w)
			}
		}
		p.open(in.base+"/", 200)
		p.checkPath("/p/demo/consultation")
		p.axe(vp.name + " days")
		fits("days")
		p.shot("days")
		slot, _ := p.firstSlot()
		p.axe(vp.name + " day chosen")
		fits("day chosen")
		p.shot("day")

		p.click(slotLink(slot), 200)
		p.checkPath("/book")
		p.axe(vp.name + " booking form")
		fits("booking form")
		p.shot("book")

		// An address rdv refuses: the form comes back with the error.
		p.typeIn("#name", "Marie Curie")
		p.typeIn("#email", "marie@example")
		p.click(`form[action$="/book"] button[type=submit]`, 422)
		p.checkPath("/book")
		if p.attrs("#email")["aria-invalid"] != "true" {
			p.t.Fatalf("%s: the form came back without the error on the e-mail field", vp.name)
		}
		p.axe(vp.name + " booking form with an error")
		fits("booking form with an error")
		p.shot("book-error")

		p.erase("#email")
		p.typeIn("#email", "marie@example.org")
		p.click(`form[action$="/book"] button[type=submit]`, 200)
		if !strings.HasPrefix(p.path(), "/manage/") {
			p.t.Fatalf("after booking, at %s, want /manage/{token}", p.location())
		}
		p.checkPage("Votre rendez-vous est réservé")
		p.axe(vp.name + " booked")
		fits("booked")
		p.shot("booked")

		p.click(`ul.actions a.button[href$="/cancel"]`, 200)
		p.axe(vp.name + " cancel step")
		fits("cancel step")
		p.shot("cancel")

		p.click(`form[action$="/cancel"] button[type=submit]`, 200)
		if got := p.text(`dl.summary strong`); got != "annulé" {
			p.t.Fatalf("%s: status after cancelling = %q, want annulé", vp.name, got)
		}
		p.axe(vp.name + " cancelled booking")
		fits("cancelled booking")
		p.shot("manage-cancelled")

		p.open(in.base+"/pas-de-page-ici", 404)
		if n := p.evalInt(`document.querySelectorAll('h1').length`); n != 1 {
			p.t.Errorf("%s: the 404 page has %d h1, want 1", vp.name, n)
		}
		p.axe(vp.name + " not found")
		fits("not found")
		p.shot("not-found")

		p.checkSameOrigin()
	})
	t.Logf("%d viewports, 8 pages each, checked in %s", len(viewports), time.Since(t0).Round(100*time.Millisecond))

	// The control: axe, as injected, does see what it must.
	t.Run("axe sees", func(t *testing.T) {
		p := p.on(t)
		p.open(in.base+"/pas-de-page-ici", 404)
		p.do(chromedp.Evaluate[chromedp.Void](`(() => {
			document.querySelector('main').append(document.createElement('img'));
			const q = document.createElement('p');
			q.textContent = 'pâle';
			q.style.color = '#cccccc';
			document.querySelector('main').append(q);
		})()`))
		var ids []string
		for _, v := range p.axeRun().Violations {
			ids = append(ids, v.ID)
		}
		for _, want := range []string{"image-alt", "color-contrast"} {
			if !slices.Contains(ids, want) {
				t.Errorf("axe on a page with an image without alt text and pale text: violations %q, want %s among them", ids, want)
			}
		}
	})

	t.Run("keyboard", func(t *testing.T) {
		p := p.on(t)
		p.open(in.base+"/", 200)
		day := p.freeDayAfter(parisToday(t))
		if day == "" {
			t.Fatal("no free day after today")
		}

		// The first Tab reaches the skip link, which leads past the header:
		// the next Tab lands in the page's main content.
		p.tab()
		if got := p.focused(); got != `a "Aller au contenu"` {
			t.Fatalf("first Tab on the home page focuses %s, want the skip link", got)
		}
		if !p.evalBool(`(() => { const r = document.activeElement.getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.top >= 0 })()`) {
			t.Error("the skip link stays out of sight when it has the focus")
		}
		p.press(kb.Enter)
		p.tab()
		if !p.evalBool(`document.querySelector('main').contains(document.activeElement)`) {
			t.Errorf("after the skip link, Tab focuses %s, outside main", p.focused())
		}

		p.tabTo(".month "+linkTo("a.day.free", day), 80)
		p.pressTo(kb.Enter, 200)
		slots := p.slotLinks()
		if len(slots) == 0 {
			t.Fatalf("at %s: a free day without times", p.location())
		}
		slot := slots[0]
		p.tabTo(slotLink(slot), 120)
		p.pressTo(kb.Enter, 200)
		p.checkPath("/book")
		before := in.settled()
		p.tabTo("#name", 10)
		p.press("Marie Curie")
		p.tab()
		if got := p.focused(); got != "input#email [email]" {
			t.Fatalf("Tab after the name focuses %s, want the e-mail field", got)
		}
		p.press("marie@example.org")
		p.tab()
		if got := p.focused(); got != "input#phone [phone]" {
			t.Fatalf("Tab after the e-mail focuses %s, want the phone field", got)
		}
		p.tab()
		if got := p.focused(); got != `button "Confirmer le rendez-vous"` {
			t.Fatalf("Tab after the phone focuses %s, want the form's button", got)
		}
		p.pressTo(kb.Enter, 200)
		if !strings.HasPrefix(p.path(), "/manage/") {
			t.Fatalf("after booking with the keyboard, at %s, want /manage/{token}", p.location())
		}
		if got := p.text(`dl.summary`); !strings.Contains(got, "Marie Curie") {
			t.Errorf("booking made with the keyboard: %q, want the name typed", got)
		}
		if after := in.waitState(state{before.objects + 1, before.mails + 1, before.rows + 1}); after.rows != before.rows+1 {
			t.Errorf("after booking with the keyboard: %+v, before %+v", after, before)
		}
		p.checkSameOrigin()
	})
}
