package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserDesk drives the practice's desk in headless Chromium, in one
// browser session: /desk/ without a session lands on the login page; the
// login; a phone booking, seen in the agenda; its move page; cancelling it
// with a reason; a closure added; a waiting list's entry for its days; the
// unknown events and undelivered messages. axe-core (WCAG 2.2 AA) runs on every desk page, each fits a
// phone's width, and nothing is fetched from another site.
func TestBrowserDesk(t *testing.T) {
	needChromium(t)
	needAxe(t)
	const token = "desk-browser-test-admin-token-0123456789"
	in := startEmbeddedConfig(t, func(c *Config) {
		c.BaseURL = "http://" + c.Addr
		c.AdminToken = token
		c.Waitlist.Enabled = true
		// A desk user: the login form asks for a name too (left empty
		// here, for the admin token).
		c.Desk.Users = []DeskUserConfig{{Name: "Sophie", Practitioners: []string{"demo"},
			PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"}}
	})
	p := startBrowser(t, in.base)
	p.viewport(desktop.w, desktop.h, desktop.mobile)
	check := func(label string) {
		p.t.Helper()
		p.axe("desk " + label)
		p.shot("desk-" + label)
		// On a phone, the page needs no scrolling sideways (WCAG 1.4.10;
		// the tables scroll in their own region).
		p.viewport(phone.w, phone.h, phone.mobile)
		if w := p.evalInt(`document.documentElement.scrollWidth`); w > phone.w {
			p.t.Errorf("desk %s: the page is %d px wide on a phone of %d", label, w, phone.w)
		}
		p.viewport(desktop.w, desktop.h, desktop.mobile)
	}

	p.open(in.base+"/desk/", 200)
	p.checkPath("/desk/login")
	if n := p.evalInt(`document.querySelectorAll('#user, #token').length`); n != 2 {
		t.Errorf("the login form has %d of the name and password fields, want 2", n)
	}
	check("login")

	p.typeIn("#token", token)
	p.click(`form[action$="/desk/login"] button[type=submit]`, 200)
	p.checkPath("/desk/")
	check("agenda")

	// A weekday at least two days ahead, for the phone booking.
	day := time.Now().In(mustParis(t)).AddDate(0, 0, 2)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	p.open(in.base+"/desk/book?"+url.Values{"motive": {"demo/consultation"}, "day": {day.Format(time.DateOnly)}}.Encode(), 200)
	check("book")
	p.do(chromedp.Click(chromedp.CSS(`input[name=start]`)))
	p.typeIn("#name", "Jeanne Dupont")
	p.typeIn("#email", "jeanne.dupont@example.org")
	p.typeIn("#phone", "06 11 22 33 44")
	p.click(`form[method=post][action$="/desk/book"] button[type=submit]`, 200)
	p.checkPath("/desk/")
	if got := p.text(`p.banner`); got != "Rendez-vous réservé." {
		t.Errorf("after the phone booking, banner %q", got)
	}
	if got := p.text(`table.agenda tbody`); !strings.Contains(got, "Jeanne Dupont") || !strings.Contains(got, "06 11 22 33 44") {
		t.Errorf("the agenda does not show the booking with its contact: %q", got)
	}
	check("agenda-booked")
	agenda := p.location()

	p.click(`a[href$="/move"]`, 200)
	check("move")
	p.open(agenda, 200)

	p.click(`a[href$="/cancel"]`, 200)
	check("cancel")
	p.eval(`document.querySelector("#reason").value = "patient"`)
	p.click(`form[action$="/cancel"] button[type=submit]`, 200)
	if got := p.text(`p.banner`); got != "Rendez-vous annulé." {
		t.Errorf("after cancelling, banner %q", got)
	}
	if n := p.evalInt(`document.querySelectorAll('table.agenda tr.cancelled').length`); n != 1 {
		t.Errorf("%d cancelled rows in the agenda, want 1", n)
	}

	p.open(in.base+"/desk/closures", 200)
	check("closures")
	p.eval(`document.querySelector("#from").value = ` + jsString(day.Format(time.DateOnly)))
	p.eval(`document.querySelector("#to").value = ` + jsString(day.AddDate(0, 0, 1).Format(time.DateOnly)))
	p.typeIn("#label", "Formation")
	p.click(`form[action$="/desk/closures"] button[type=submit]`, 200)
	if got := p.text(`div.banner`); !strings.Contains(got, "Fermeture ajoutée") {
		t.Errorf("after adding a closure, banner %q", got)
	}
	if got := p.text(`table tbody`); !strings.Contains(got, "Formation") {
		t.Errorf("the closure is not listed: %q", got)
	}
	check("closure-added")

	// A patient joins the waiting list for the closed days (no free slot
	// there), and is seen on the desk's list: one from the patient pages
	// (the day page's link, the form with an error, then joined: each
	// checked by axe), one through the API.
	closed := day.Format(time.DateOnly)
	p.open(in.base+"/p/demo/consultation?day="+closed, 200)
	p.click(`p.waitlist a`, 200)
	p.checkPath("/p/demo/consultation/waitlist")
	p.axe("waiting-list form")
	p.shot("waitlist-form")
	p.typeIn("#name", "Claire Attente")
	p.typeIn("#email", "claire.attente@example")
	p.click(`form[action$="/waitlist"] button[type=submit]`, 422)
	if p.attrs("#email")["aria-invalid"] != "true" {
		t.Errorf("the waiting-list form came back without the error on the e-mail field")
	}
	p.axe("waiting-list form with an error")
	p.shot("waitlist-form-error")
	p.erase("#email")
	p.typeIn("#email", "claire.attente@example.org")
	p.eval(`document.querySelector('#until').value = document.querySelector('#from').value`)
	p.click(`form[action$="/waitlist"] button[type=submit]`, 200)
	p.checkPage("Vérifiez vos emails")
	p.axe("waiting-list joined")
	p.shot("waitlist-joined")

	if code, _ := in.do("POST", "/v1/waitlist", map[string]any{"practitioner": "demo", "type": "consultation", "from": closed, "until": closed,
		"part": "any", "patient": map[string]string{"name": "Paul Attente", "email": "paul.attente@example.org", "phone": "06 99 88 77 66"}}, nil); code != 201 {
		t.Fatalf("joining the waiting list: %d", code)
	}
	p.open(in.base+"/desk/waitlist", 200)
	if got := p.text(`table.agenda tbody`); !strings.Contains(got, "Paul Attente") || !strings.Contains(got, "pas encore confirmée") {
		t.Errorf("the waiting list does not show the entry: %q", got)
	}
	check("waitlist")

	p.open(in.base+"/desk/unknown", 200)
	check("unknown")
	p.open(in.base+"/desk/messages", 200)
	check("messages")
	p.checkSameOrigin()
}
