package davserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFileBackendHTTP(t *testing.T) {
	b, err := NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(b, "/dav/"))
	defer srv.Close()
	do := func(method, path string, hdr map[string]string, body string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, string(data)
	}
	event := string(readFixture(t, "weekly_exdate.ics"))
	ics := map[string]string{"Content-Type": "text/calendar"}

	steps := []struct {
		name         string
		method, path string
		hdr          map[string]string
		body         string
		want         int
		wantInBody   string
	}{
		{"well-known redirects to the principal", "GET", "/.well-known/caldav", nil, "", http.StatusPermanentRedirect, ""},
		{"MKCALENDAR with a display name", "MKCALENDAR", "/dav/calendars/alice/work/", map[string]string{"Content-Type": "application/xml"},
			`<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>Travail</D:displayname></D:prop></D:set></C:mkcalendar>`,
			http.StatusCreated, ""},
		{"MKCALENDAR again", "MKCALENDAR", "/dav/calendars/alice/work/", nil, "", http.StatusMethodNotAllowed, ""},
		{"OPTIONS says calendar-access", "OPTIONS", "/dav/calendars/alice/work/", nil, "", http.StatusNoContent, ""},
		{"principal has the home set", "PROPFIND", "/dav/principals/alice/", map[string]string{"Depth": "0", "Content-Type": "application/xml"},
			`<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-home-set/></D:prop></D:propfind>`,
			http.StatusMultiStatus, "/dav/calendars/alice/"},
		{"home lists the calendar", "PROPFIND", "/dav/calendars/alice/", map[string]string{"Depth": "1", "Content-Type": "application/xml"},
			`<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>`,
			http.StatusMultiStatus, "Travail"},
		{"PUT into a missing calendar", "PUT", "/dav/calendars/alice/nope/a.ics", ics, event, http.StatusConflict, ""},
		{"PUT with If-None-Match", "PUT", "/dav/calendars/alice/work/a.ics", map[string]string{"Content-Type": "text/calendar", "If-None-Match": "*"}, event, http.StatusCreated, ""},
		{"PUT again with If-None-Match", "PUT", "/dav/calendars/alice/work/a.ics", map[string]string{"Content-Type": "text/calendar", "If-None-Match": "*"}, event, http.StatusPreconditionFailed, ""},
		{"same UID under another name", "PUT", "/dav/calendars/alice/work/b.ics", ics, event, http.StatusConflict, "no-uid-conflict"},
		{"PUT with a stale If-Match", "PUT", "/dav/calendars/alice/work/a.ics", map[string]string{"Content-Type": "text/calendar", "If-Match": `"stale"`}, event, http.StatusPreconditionFailed, ""},
		{"a METHOD is refused", "PUT", "/dav/calendars/alice/work/c.ics", ics, strings.Replace(event, "VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST", 1), http.StatusConflict, "valid-calendar-object-resource"},
		{"DELETE with a stale If-Match", "DELETE", "/dav/calendars/alice/work/a.ics", map[string]string{"If-Match": `"stale"`}, "", http.StatusPreconditionFailed, ""},
		{"DELETE", "DELETE", "/dav/calendars/alice/work/a.ics", nil, "", http.StatusNoContent, ""},
		{"DELETE a missing object", "DELETE", "/dav/calendars/alice/work/a.ics", nil, "", http.StatusNotFound, ""},
		{"no path outside the home", "PUT", "/dav/calendars/bob/work/a.ics", ics, event, http.StatusForbidden, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			resp, body := do(st.method, st.path, st.hdr, st.body)
			if resp.StatusCode != st.want {
				t.Fatalf("%s %s: %d, want %d: %s", st.method, st.path, resp.StatusCode, st.want, body)
			}
			if st.wantInBody != "" && !strings.Contains(body, st.wantInBody) {
				t.Errorf("body lacks %q: %s", st.wantInBody, body)
			}
			if st.method == "OPTIONS" && !strings.Contains(resp.Header.Get("DAV"), "calendar-access") {
				t.Errorf("DAV = %q", resp.Header.Get("DAV"))
			}
			if strings.HasPrefix(st.name, "well-known") && resp.Header.Get("Location") != "/dav/principals/alice/" {
				t.Errorf("Location = %q", resp.Header.Get("Location"))
			}
		})
	}
}

func TestPutObjectRefusesGarbage(t *testing.T) {
	b, err := NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CreateCalendar("work", "Travail"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, cal, obj, data string }{
		{"not iCalendar", "work", "a.ics", "hello"},
		{"no such calendar", "nope", "a.ics", string(readFixture(t, "rdate.ics"))},
		{"path in the name", "work", "../a.ics", string(readFixture(t, "rdate.ics"))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.PutObject(tt.cal, tt.obj, []byte(tt.data)); err == nil {
				t.Error("no error")
			}
		})
	}
}
