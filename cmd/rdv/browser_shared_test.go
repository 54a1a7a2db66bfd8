package main

import (
	"strings"
	"testing"
	"time"
)

// TestBrowserSharedMotive books "with the first available" in headless
// Chromium, at a phone's size and a desktop's: the shared motive first on
// the practice page, its merged days and times, the form, and the done page
// naming the practitioner chosen. axe-core (WCAG 2.2 AA) runs on each page,
// and no request leaves the site.
func TestBrowserSharedMotive(t *testing.T) {
	needChromium(t)
	needAxe(t)
	in := startEmbeddedConfig(t, func(c *Config) {
		martin := demoPractitioner()
		durand := demoPractitioner()
		durand.ID, durand.Name, durand.Email = "durand", "Dr Paul Durand", "paul.durand@example.org"
		durand.Types[0].Duration, durand.Types[0].Step = duration{30 * time.Minute}, duration{30 * time.Minute}
		c.Practitioners = []PractitionerConfig{martin, durand}
		c.SharedTypes = []SharedTypeConfig{{ID: "generaliste", Name: "Consultation de médecine générale", Type: "consultation", Practitioners: []string{"demo", "durand"}}}
	})
	p := startBrowser(t, in.base)
	p.each(func(p *page, vp viewport) {
		check := func(label string) {
			p.t.Helper()
			p.axe(vp.name + " shared " + label)
			if w := p.evalInt(`document.documentElement.scrollWidth`); w > vp.w {
				p.t.Errorf("%s %s: the page is %d px wide, in a viewport of %d", vp.name, label, w, vp.w)
			}
			p.shot("shared-" + label)
			p.checkSameOrigin()
		}
		p.open(in.base+"/", 200)
		p.checkPath("/")
		if first := p.eval(`document.querySelector('a.choice').getAttribute('href')`); first != "/s/generaliste" {
			p.t.Errorf("the first choice of the practice page is %q, want the shared motive", first)
		}
		check("practice")

		p.click(`a.choice[href="/s/generaliste"]`, 200)
		p.checkPath("/s/generaliste")
		slot, _ := p.firstSlot()
		if q := queryOf(p.t, slot); q.Get("shared") != "generaliste" || q.Get("practitioner") != "" {
			p.t.Errorf("a time links to %q", slot)
		}
		check("days")

		p.click(slotLink(slot), 200)
		p.checkPath("/book")
		if got := p.text(`dl.summary dd`); !strings.Contains(got, "premier disponible") {
			p.t.Errorf("the form's practitioner is %q", got)
		}
		check("form")

		p.typeIn("#name", "Marie Curie")
		p.typeIn("#email", "marie@example.org")
		p.click(`form[action$="/book"] button[type=submit]`, 200)
		if !strings.HasPrefix(p.path(), "/manage/") {
			p.t.Fatalf("after booking, at %s, want /manage/{token}", p.location())
		}
		p.checkPage("Votre rendez-vous est réservé")
		if got := p.text(`.banner`); !strings.Contains(got, "Vous avez rendez-vous avec Dr ") {
			p.t.Errorf("the done page does not name the practitioner: %q", got)
		}
		check("booked")
	})
}
