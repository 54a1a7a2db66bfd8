package davserver

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rdvlibre/rdv/internal/testcal"
)

// davRequest sends a request to h in process and returns the status and
// the body.
func davRequest(t *testing.T, h http.Handler, method, path, depth, body string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if depth != "" {
		r.Header.Set("Depth", depth)
	}
	switch {
	case strings.HasPrefix(body, "BEGIN:"):
		r.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	case body != "":
		r.Header.Set("Content-Type", "application/xml; charset=utf-8")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// validatorsOf returns a calendar's CTag and sync-token, as rdv's client
// asks for them.
func validatorsOf(t *testing.T, h http.Handler, cal string) (ctag, token string) {
	t.Helper()
	code, body := davRequest(t, h, "PROPFIND", "/dav/calendars/alice/"+cal+"/", "0", string(validatorsBody()))
	if code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND: %d %s", code, body)
	}
	var ans validatorsAnswer
	if err := xml.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatal(err)
	}
	for _, r := range ans.Responses {
		for _, ps := range r.Propstats {
			if statusOK(ps.Status) {
				ctag, token = cmpOr(ctag, ps.Prop.CTag), cmpOr(token, ps.Prop.SyncToken)
			}
		}
	}
	if ctag == "" || token == "" {
		t.Fatalf("no getctag or sync-token: %s", body)
	}
	return ctag, token
}

// syncReport sends a sync-collection REPORT from token and returns what
// it names: changed objects with their ETags, removed ones, and the new
// token. A status other than 207 is returned with the body.
func syncReport(t *testing.T, h http.Handler, cal, token string) (changed map[string]string, removed []string, next string, code int, body string) {
	t.Helper()
	code, body = davRequest(t, h, "REPORT", "/dav/calendars/alice/"+cal+"/", "0", string(syncBody(token)))
	if code != http.StatusMultiStatus {
		return nil, nil, "", code, body
	}
	var ans syncAnswer
	if err := xml.Unmarshal([]byte(body), &ans); err != nil {
		t.Errorf("sync-collection answer: %v", err) // not Fatal: called from other goroutines too
		return nil, nil, "", code, body
	}
	changed = map[string]string{}
	for _, r := range ans.Responses {
		name := strings.TrimPrefix(r.Href, "/dav/calendars/alice/"+cal+"/")
		if statusCode(r.Status) == http.StatusNotFound {
			removed = append(removed, name)
			continue
		}
		p := r.props()
		if p.CalendarData == "" || p.ETag == "" {
			t.Errorf("%s: no data or ETag: %s", r.Href, body)
		}
		changed[name] = p.ETag
	}
	slices.Sort(removed)
	return changed, removed, ans.SyncToken, code, body
}

func TestFileBackendValidators(t *testing.T) {
	dir := t.TempDir()
	b, err := NewFileBackend(dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(b, "/dav/")
	if err := b.CreateCalendar("work", "Travail"); err != nil {
		t.Fatal(err)
	}
	a := string(testcal.Event(t, "a@test", "20270310T090000"))
	c0, s0 := validatorsOf(t, h, "work")

	// Every kind of write changes both; writing the same content again
	// changes neither.
	steps := []struct {
		name    string
		write   func(t *testing.T)
		changes bool
	}{
		{"PutObject", func(t *testing.T) {
			if err := b.PutObject("work", "a.ics", []byte(a)); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"PUT of another object", func(t *testing.T) {
			if code, body := davRequest(t, h, http.MethodPut, "/dav/calendars/alice/work/b.ics", "", string(testcal.Event(t, "b@test", "20270311T090000"))); code != http.StatusCreated {
				t.Fatalf("PUT: %d %s", code, body)
			}
		}, true},
		{"PUT of the same content", func(t *testing.T) {
			if code, body := davRequest(t, h, http.MethodPut, "/dav/calendars/alice/work/b.ics", "", string(testcal.Event(t, "b@test", "20270311T090000"))); code != http.StatusCreated {
				t.Fatalf("PUT: %d %s", code, body)
			}
		}, false},
		{"PUT that moves it", func(t *testing.T) {
			if code, body := davRequest(t, h, http.MethodPut, "/dav/calendars/alice/work/b.ics", "", string(testcal.Event(t, "b@test", "20270312T090000"))); code != http.StatusCreated {
				t.Fatalf("PUT: %d %s", code, body)
			}
		}, true},
		{"refused PUT", func(t *testing.T) {
			if code, _ := davRequest(t, h, http.MethodPut, "/dav/calendars/alice/work/c.ics", "", a); code != http.StatusConflict {
				t.Fatalf("PUT of a UID already there: %d", code)
			}
		}, false},
		{"DELETE", func(t *testing.T) {
			if code, body := davRequest(t, h, http.MethodDelete, "/dav/calendars/alice/work/a.ics", "", ""); code != http.StatusNoContent {
				t.Fatalf("DELETE: %d %s", code, body)
			}
		}, true},
		{"CreateCalendar renames it", func(t *testing.T) {
			if err := b.CreateCalendar("work", "Cabinet"); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	seenCTags, seenTokens := map[string]bool{c0: true}, map[string]bool{s0: true}
	ctag, token := c0, s0
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.write(t)
			c, s := validatorsOf(t, h, "work")
			if changed := c != ctag; changed != st.changes {
				t.Errorf("CTag changed: %v, want %v", changed, st.changes)
			}
			if changed := s != token; changed != st.changes {
				t.Errorf("sync-token changed: %v, want %v", changed, st.changes)
			}
			if st.changes && (seenCTags[c] || seenTokens[s]) {
				t.Errorf("a new content has an old CTag %q or sync-token %q", c, s)
			}
			seenCTags[c], seenTokens[s] = true, true
			ctag, token = c, s
		})
	}

	t.Run("the same content has the same validators after a restart", func(t *testing.T) {
		b2, err := NewFileBackend(dir, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if c, s := validatorsOf(t, NewHandler(b2, "/dav/"), "work"); c != ctag || s != token {
			t.Errorf("after a restart: %q %q, before %q %q", c, s, ctag, token)
		}
	})

	t.Run("PROPFIND of other properties", func(t *testing.T) {
		code, body := davRequest(t, h, "PROPFIND", "/dav/calendars/alice/work", "0",
			`<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:X="urn:example:x">
<D:prop><D:displayname/><C:supported-calendar-component-set/><D:supported-report-set/><X:color/></D:prop></D:propfind>`)
		if code != http.StatusMultiStatus {
			t.Fatalf("%d %s", code, body)
		}
		var ms multistatus
		if err := xml.Unmarshal([]byte(body), &ms); err != nil {
			t.Fatal(err)
		}
		if len(ms.Responses) != 1 || ms.Responses[0].Href != "/dav/calendars/alice/work/" {
			t.Fatalf("responses: %s", body)
		}
		p := ms.Responses[0].props()
		if p.DisplayName != "Cabinet" || !p.supportsEvents() || p.SupportedComponents == nil {
			t.Errorf("props %+v: %s", p, body)
		}
		for _, want := range []string{"sync-collection", "calendar-multiget", `<color xmlns="urn:example:x"></color>`, "404 Not Found"} {
			if !strings.Contains(body, want) {
				t.Errorf("no %q in %s", want, body)
			}
		}
	})

	t.Run("allprop and propname", func(t *testing.T) {
		_, all := davRequest(t, h, "PROPFIND", "/dav/calendars/alice/work/", "0", "")
		_, names := davRequest(t, h, "PROPFIND", "/dav/calendars/alice/work/", "0",
			`<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`)
		if !strings.Contains(all, "Cabinet") || !strings.Contains(all, "getctag") || strings.Contains(all, "sync-token") {
			t.Errorf("allprop: %s", all)
		}
		if !strings.Contains(names, "<D:sync-token></D:sync-token>") || strings.Contains(names, "Cabinet") {
			t.Errorf("propname: %s", names)
		}
	})

	t.Run("no such calendar", func(t *testing.T) {
		for _, m := range []string{"PROPFIND", "REPORT"} {
			body := string(validatorsBody())
			if m == "REPORT" {
				body = string(syncBody(""))
			}
			if code, _ := davRequest(t, h, m, "/dav/calendars/alice/nope/", "0", body); code != http.StatusNotFound {
				t.Errorf("%s: %d", m, code)
			}
		}
	})
}

func TestFileBackendSyncCollection(t *testing.T) {
	b, err := NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	b.changeLog = 4
	h := NewHandler(b, "/dav/")
	if err := b.CreateCalendar("work", "Travail"); err != nil {
		t.Fatal(err)
	}
	put := func(t *testing.T, name, uid, start string) {
		t.Helper()
		if err := b.PutObject("work", name, testcal.Event(t, uid, start)); err != nil {
			t.Fatal(err)
		}
	}
	put(t, "a.ics", "a@test", "20270310T090000")
	put(t, "b.ics", "b@test", "20270311T090000")

	changed, removed, t0, code, body := syncReport(t, h, "work", "")
	if code != http.StatusMultiStatus || len(changed) != 2 || len(removed) != 0 {
		t.Fatalf("initial sync: %d %v %v: %s", code, changed, removed, body)
	}
	if _, t1 := validatorsOf(t, h, "work"); t1 != t0 {
		t.Errorf("the REPORT's token %q is not the PROPFIND's %q", t0, t1)
	}
	if changed, removed, next, _, body := syncReport(t, h, "work", t0); len(changed)+len(removed) != 0 || next != t0 {
		t.Errorf("nothing changed: %v %v %q: %s", changed, removed, next, body)
	}

	put(t, "c.ics", "c@test", "20270312T090000")
	put(t, "a.ics", "a@test", "20270313T090000")
	if code, _ := davRequest(t, h, http.MethodDelete, "/dav/calendars/alice/work/b.ics", "", ""); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	changed, removed, t2, _, body := syncReport(t, h, "work", t0)
	if len(changed) != 2 || changed["a.ics"] == "" || changed["c.ics"] == "" || !slices.Equal(removed, []string{"b.ics"}) || t2 == t0 {
		t.Errorf("since t0: changed %v, removed %v, token %q: %s", changed, removed, t2, body)
	}
	// An object added then removed: the content is what it was at t2, and
	// so is the token; a client that saw d.ics is told it is gone.
	put(t, "d.ics", "d@test", "20270314T090000")
	_, _, withD, _, _ := syncReport(t, h, "work", t2)
	if code, _ := davRequest(t, h, http.MethodDelete, "/dav/calendars/alice/work/d.ics", "", ""); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	changed, removed, t3, _, _ := syncReport(t, h, "work", t2)
	if len(changed)+len(removed) != 0 || t3 != t2 {
		t.Errorf("since t2: changed %v, removed %v, token %q", changed, removed, t3)
	}
	changed, removed, _, _, _ = syncReport(t, h, "work", withD)
	if len(changed) != 0 || !slices.Equal(removed, []string{"d.ics"}) {
		t.Errorf("since d.ics was added: changed %v, removed %v", changed, removed)
	}
	// The log holds 4 changes: t0 is 5 changes back.
	for _, tt := range []struct{ name, token string }{
		{"a token the log no longer reaches", t0},
		{"a token never served", syncToken("0123456789abcdef0123456789abcdef")},
		{"another server's token", "http://radicale.org/ns/sync/1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, code, body := syncReport(t, h, "work", tt.token)
			if code != http.StatusForbidden || !strings.Contains(body, "valid-sync-token") {
				t.Errorf("%d %s", code, body)
			}
		})
	}
	if _, _, next, code, _ := syncReport(t, h, "work", t3); code != http.StatusMultiStatus || next != t3 {
		t.Errorf("the latest token: %d %q", code, next)
	}

	t.Run("malformed requests", func(t *testing.T) {
		for _, tt := range []struct {
			name, depth, body string
			want              int
		}{
			{"Depth: 1", "1", string(syncBody(t3)), http.StatusBadRequest},
			{"bad sync-level", "0", strings.Replace(string(syncBody(t3)), "<D:sync-level>1<", "<D:sync-level>2<", 1), http.StatusBadRequest},
			{"over the limit", "0", strings.Replace(string(syncBody("")), "<D:prop>", "<D:limit><D:nresults>1</D:nresults></D:limit><D:prop>", 1), http.StatusInsufficientStorage},
			{"not XML", "0", "<D:sync-collection xmlns:D=\"DAV:\">", http.StatusBadRequest},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if code, body := davRequest(t, h, "REPORT", "/dav/calendars/alice/work/", tt.depth, tt.body); code != tt.want {
					t.Errorf("%d, want %d: %s", code, tt.want, body)
				}
			})
		}
	})

	t.Run("other REPORTs still go to go-webdav", func(t *testing.T) {
		code, body := davRequest(t, h, "REPORT", "/dav/calendars/alice/work/", "1", string(allEventsQueryBody()))
		if code != http.StatusMultiStatus || strings.Count(body, "BEGIN:VEVENT") != 2 {
			t.Errorf("calendar-query: %d %s", code, body)
		}
	})
}

func TestChangeLogTrim(t *testing.T) {
	st := &calendarState{objects: map[string]*storedObject{}, maxLog: 8}
	st.token = st.hash()
	st.base = st.token
	var tokens []string
	for i := range 30 {
		st.put("x.ics", &storedObject{etag: strings.Repeat("0", i%7) + "x"}) // states repeat
		tokens = append(tokens, st.token)
	}
	if len(st.log) > st.maxLog {
		t.Errorf("log of %d changes, bound %d", len(st.log), st.maxLog)
	}
	if _, ok := st.changedSince(tokens[len(tokens)-2]); !ok {
		t.Error("the previous token is not known")
	}
	if _, ok := st.changedSince(st.base); !ok {
		t.Error("the base token is not known")
	}
	for _, tok := range tokens[len(tokens)-len(st.log):] {
		if names, ok := st.changedSince(tok); !ok || tok != st.token && !slices.Equal(names, []string{"x.ics"}) {
			t.Errorf("since %s: %v %v", tok, names, ok)
		}
	}
}

// TestFileBackendConcurrent runs writes and reads of one calendar at once,
// for the race detector, and checks that the calendar ends with every
// object written.
func TestFileBackendConcurrent(t *testing.T) {
	b, err := NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(b, "/dav/")
	if err := b.CreateCalendar("work", "Travail"); err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("w%d-%d.ics", w, i)
				ics := string(testcal.Event(t, name, fmt.Sprintf("202703%02dT090000", 1+i)))
				if code, body := davRequest(t, h, http.MethodPut, "/dav/calendars/alice/work/"+name, "", ics); code != http.StatusCreated {
					t.Errorf("PUT %s: %d %s", name, code, body)
				}
			}
		})
		wg.Go(func() {
			token := ""
			for range each {
				_, _, next, code, body := syncReport(t, h, "work", token)
				if code != http.StatusMultiStatus {
					t.Errorf("sync from %q: %d %s", token, code, body)
					return
				}
				token = next
				if code, _ := davRequest(t, h, "REPORT", "/dav/calendars/alice/work/", "1", string(allEventsQueryBody())); code != http.StatusMultiStatus {
					t.Errorf("calendar-query: %d", code)
				}
			}
		})
	}
	wg.Wait()
	if changed, _, _, _, _ := syncReport(t, h, "work", ""); len(changed) != writers*each {
		t.Errorf("%d objects, want %d", len(changed), writers*each)
	}
}
