package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axePath is axe-core's browser build, which scripts/test installs with
// axeInstall.
const (
	axePath    = "testdata/axe/node_modules/axe-core/axe.min.js"
	axeInstall = "npm ci --prefix cmd/rdv/testdata/axe --no-audit --no-fund --loglevel=error"
)

// axeSource reads axePath once.
var axeSource = sync.OnceValues(func() ([]byte, error) { return os.ReadFile(axePath) })

// needAxe skips t without axe-core, or fails it if RDV_REQUIRE_SERVERS=1.
func needAxe(t *testing.T) {
	t.Helper()
	if _, err := axeSource(); err != nil {
		if os.Getenv("RDV_REQUIRE_SERVERS") == "1" {
			t.Fatalf("%v (from the repository's root, run: %s)", err, axeInstall)
		}
		t.Skipf("%v; run %s, or set RDV_REQUIRE_SERVERS=1 to make this a failure", err, axeInstall)
	}
}

// axeTags are the rule sets that axe checks: WCAG 2.0, 2.1 and 2.2, levels
// A and AA.
const axeTags = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']`

// axeResult is what axe reports on a page: how many rules pass, and the
// rules broken.
type axeResult struct {
	Passes     int            `json:"passes"`
	Violations []axeViolation `json:"violations"`
}

// axeViolation is one rule that axe finds broken, with the first nodes that
// break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Count  int    `json:"count"`
	Nodes  []struct {
		Target string `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axe checks the current page with axe-core against WCAG 2.2 AA, and fails
// the test with each violation, prefixed with label.
func (p *page) axe(label string) {
	p.t.Helper()
	r := p.axeRun()
	if r.Passes == 0 {
		p.t.Errorf("%s: axe: no rule passed, so none ran", label)
	}
	for _, v := range r.Violations {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: axe: %s (%s): %s; %d node(s)", label, v.ID, v.Impact, v.Help, v.Count)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n\t%s: %s", n.Target, n.HTML)
		}
		p.t.Error(b.String())
	}
}

// axeRun runs axe-core on the current page with the rules of axeTags. Its
// script is evaluated through the DevTools protocol, which the page's CSP
// does not govern.
func (p *page) axeRun() axeResult {
	p.t.Helper()
	src, err := axeSource()
	if err != nil {
		p.t.Fatalf("%v (run %s)", err, axeInstall)
	}
	p.do(chromedp.Evaluate[chromedp.Void](string(src) + "\n;0"))
	return runStep(p, chromedp.Evaluate[axeResult](`axe.run(document, {
		runOnly: {type: 'tag', values: `+axeTags+`},
		resultTypes: ['violations'],
	}).then(r => ({
		passes: r.passes.length,
		violations: r.violations.map(v => ({
			id: v.id, impact: v.impact ?? '', help: v.help, count: v.nodes.length,
			nodes: v.nodes.slice(0, 3).map(n => ({target: n.target.flat().join(' >>> '), html: n.html})),
		})),
	}))`, chromedp.EvalAwaitPromise))
}

// screenshotDir is where shot writes: $RDV_SCREENSHOTS, or else
// testdata/screenshots (git-ignored) in cmd/rdv.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RDV_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot writes a PNG of the whole page, beyond the viewport, to
// screenshotDir, named name-VIEWPORT.png after the name in viewports of the
// screen's size (or the size itself, WxH, if it has none).
func (p *page) shot(name string) {
	p.t.Helper()
	size := runStep(p, chromedp.Evaluate[[2]int](`[screen.width, screen.height]`))
	vp := fmt.Sprintf("%dx%d", size[0], size[1])
	for _, v := range viewports {
		if v.w == size[0] && v.h == size[1] {
			vp = v.name
		}
	}
	png := runStep(p, chromedp.FullScreenshot(100)) // 100: PNG; below, JPEG
	file := filepath.Join(screenshotDir(p.t), name+"-"+vp+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// viewport is a size of the browser's window, and whether it is a phone's
// (a mobile viewport with touch).
type viewport struct {
	name   string
	w, h   int
	mobile bool
}

// phone and desktop are the sizes the patient pages are checked at: a
// common phone held upright, and a common laptop screen.
var (
	phone   = viewport{"phone", 390, 844, true}
	desktop = viewport{"desktop", 1366, 768, false}

	viewports = []viewport{phone, desktop}
)

// viewport sets the size of the tab's viewport and screen to w×h CSS
// pixels, at one device pixel per CSS pixel; mobile also emulates a phone:
// the page's meta viewport applies, and input is by touch.
func (p *page) viewport(w, h int, mobile bool) {
	p.t.Helper()
	opts := []chromedp.EmulateViewportOption{func(m *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
		m.ScreenWidth, m.ScreenHeight = int64(w), int64(h)
	}}
	if mobile {
		opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.do(chromedp.EmulateViewport(int64(w), int64(h), opts...))
}

// each runs check in a subtest named after each viewport, on p resized to
// it, then gives the tab back its own size.
func (p *page) each(check func(p *page, vp viewport)) {
	p.t.Helper()
	defer p.do(chromedp.ResetViewport())
	for _, vp := range viewports {
		p.t.Run(vp.name, func(t *testing.T) {
			p := p.on(t)
			p.viewport(vp.w, vp.h, vp.mobile)
			check(p, vp)
		})
	}
}

// checkSameOrigin checks that every request the tab made since the browser
// started, and every resource the current page names (styles, scripts,
// icons, images, frames, form actions), is on the test server's origin.
// data: URLs, which leave nothing, are allowed.
func (p *page) checkSameOrigin() {
	p.t.Helper()
	base, err := url.Parse(p.base)
	if err != nil {
		p.t.Fatal(err)
	}
	check := func(what, raw string) {
		p.t.Helper()
		u, err := url.Parse(raw)
		if err != nil {
			p.t.Errorf("%s: %q: %v", what, raw, err)
			return
		}
		if u.Scheme == "data" {
			return
		}
		if u.Scheme != base.Scheme || u.Host != base.Host {
			p.t.Errorf("%s to another origin than %s: %s", what, p.base, raw)
		}
	}
	r := p.rec.snapshot()
	if len(r.requests) == 0 {
		p.t.Error("no request recorded")
	}
	for _, u := range r.requests {
		check("request", u)
	}
	// The DOM's view of the resources: the page's own URLs, resolved, even
	// those the CSP blocked or the browser has not fetched (yet).
	named := runStep(p, chromedp.Evaluate[[]string](`[
		...Array.from(document.querySelectorAll('link[href]'), e => e.href),
		...Array.from(document.querySelectorAll('script[src], img[src], iframe[src], source[src], audio[src], video[src], embed[src], input[src]'), e => e.src),
		...Array.from(document.querySelectorAll('img[srcset], source[srcset]'), e => e.currentSrc).filter(s => s),
		...Array.from(document.querySelectorAll('video[poster]'), e => e.poster),
		...Array.from(document.querySelectorAll('object[data]'), e => e.data),
		...Array.from(document.forms, f => f.action),
		...Array.from(document.querySelectorAll('button[formaction], input[formaction]'), e => e.formAction),
	]`))
	for _, u := range named {
		check("resource of "+p.location(), u)
	}
}

// tab presses the Tab key.
func (p *page) tab() {
	p.t.Helper()
	p.press(kb.Tab)
}

// press presses the keys of s, one after the other (see package kb for the
// names of keys such as kb.Enter).
func (p *page) press(s string) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(s))
}

// focused describes the focused element: its tag, #id if it has one, and
// its trimmed text, or its name if it is a field, as `a "14:00"`,
// `input#email [email]`, or `body` when nothing has the focus.
func (p *page) focused() string {
	p.t.Helper()
	return p.eval(`(() => {
		const e = document.activeElement;
		if (!e) return '';
		let s = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '');
		if (e.name) return s + ' [' + e.name + ']';
		const text = e.textContent.trim().replace(/\s+/g, ' ');
		return text && e !== document.body ? s + ' ' + JSON.stringify(text.slice(0, 60)) : s;
	})()`)
}

// tabTo presses Tab until the element that sel matches has the focus, at
// most max times.
func (p *page) tabTo(sel string, max int) {
	p.t.Helper()
	for range max {
		p.tab()
		if p.evalBool(`document.activeElement?.matches(` + jsString(sel) + `) ?? false`) {
			return
		}
	}
	p.t.Fatalf("at %s, %d presses of Tab do not reach %s (focus on %s)", p.location(), max, sel, p.focused())
}

// pressTo presses the keys of s, waits for the page they lead to, and checks
// the status of that page.
func (p *page) pressTo(s string, status int64) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStep)
	defer cancel()
	from, focus := p.location(), p.focused()
	resp, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(s))
	if err != nil {
		p.t.Fatalf("at %s, keys %q on %s: %v", from, s, focus, err)
	}
	if resp.Status != status {
		p.t.Fatalf("at %s, keys %q on %s: %s answered %d, want %d", from, s, focus, resp.URL, resp.Status, status)
	}
}
