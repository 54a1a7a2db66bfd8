package davserver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/internal/testcal"
)

// sized returns the event uid padded with a DESCRIPTION to exactly size
// bytes.
func sized(t *testing.T, uid string, size int) []byte {
	t.Helper()
	ev := testcal.Event(t, uid, "20270310T090000")
	const prop, end = "DESCRIPTION:", "\r\nEND:VEVENT"
	pad := size - len(ev) - len(prop) - len("\r\n")
	if pad < 0 {
		t.Fatalf("cannot make an event of %d bytes", size)
	}
	i := bytes.Index(ev, []byte(end)) + 2
	out := append(append(append([]byte(nil), ev[:i]...), prop+strings.Repeat("x", pad)+"\r\n"...), ev[i:]...)
	if len(out) != size {
		t.Fatalf("event of %d bytes, want %d", len(out), size)
	}
	return out
}

// unsized hides a body's length from the client, which then sends it
// chunked, without Content-Length.
type unsized struct{ io.Reader }

// TestBodyLimits: a request body over its limit is refused with 413 and
// nothing is stored, whether its Content-Length says so or not.
func TestBodyLimits(t *testing.T) {
	dir := t.TempDir()
	b, err := NewFileBackend(dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(b, "/dav/"))
	defer srv.Close()
	if err := b.CreateCalendar("work", "Travail"); err != nil {
		t.Fatal(err)
	}
	const obj = "/dav/calendars/alice/work/a.ics"
	big := sized(t, "big@test", 2<<20)
	atLimit := sized(t, "a@test", DefaultMaxResourceSize)
	hugeQuery := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
		strings.Repeat(" ", 2<<20) + `<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`
	ics := "text/calendar; charset=utf-8"
	xmlType := "application/xml; charset=utf-8"

	for _, tt := range []struct {
		name, method, path, ctype string
		body                      []byte
		want                      int
		wantInBody                string
	}{
		{"PUT of 2 MB", http.MethodPut, obj, ics, big, http.StatusRequestEntityTooLarge, "max-resource-size"},
		{"REPORT of 2 MB", "REPORT", "/dav/calendars/alice/work/", xmlType, []byte(hugeQuery), http.StatusRequestEntityTooLarge, ""},
		{"PROPFIND of 2 MB", "PROPFIND", "/dav/calendars/alice/", xmlType, []byte(hugeQuery), http.StatusRequestEntityTooLarge, ""},
		{"MKCALENDAR of 2 MB", "MKCALENDAR", "/dav/calendars/alice/other/", xmlType, []byte(hugeQuery), http.StatusRequestEntityTooLarge, ""},
		{"PUT of exactly the limit", http.MethodPut, obj, ics, atLimit, http.StatusCreated, ""},
	} {
		for _, chunked := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{false: ", with Content-Length", true: ", chunked"}[chunked], func(t *testing.T) {
				var body io.Reader = bytes.NewReader(tt.body)
				if chunked {
					body = unsized{body}
				}
				req, err := http.NewRequest(tt.method, srv.URL+tt.path, body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", tt.ctype)
				req.Header.Set("Depth", "1")
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.want || !strings.Contains(string(got), tt.wantInBody) {
					t.Fatalf("%s %s: %d %.200s, want %d with %q", tt.method, tt.path, resp.StatusCode, got, tt.want, tt.wantInBody)
				}
			})
		}
	}

	// Nothing of the refused requests was stored: only the object at the
	// limit, and no calendar "other".
	entries, err := os.ReadDir(filepath.Join(dir, "work"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != metaFile+" a.ics" {
		t.Errorf("files of the calendar: %v", names)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "work", "a.ics")); err != nil || bytes.Contains(data, []byte("big@test")) {
		t.Errorf("a.ics: %v, holds the refused object: %t", err, bytes.Contains(data, []byte("big@test")))
	}
	if _, err := os.Stat(filepath.Join(dir, "other")); err == nil {
		t.Error("the refused MKCALENDAR made a calendar")
	}
}

// TestMaxResourceSizeProperty: a calendar advertises the size limit of its
// objects (RFC 4791 section 5.2.5) whether go-webdav's handler or
// servePropfind answers the PROPFIND, but not to allprop.
func TestMaxResourceSizeProperty(t *testing.T) {
	b, err := NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(b, "/dav/")
	if err := b.CreateCalendar("work", "Travail"); err != nil {
		t.Fatal(err)
	}
	const (
		prop    = `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:max-resource-size/></D:prop></D:propfind>`
		allprop = `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`
	)
	want := ">" + strconv.Itoa(DefaultMaxResourceSize) + "</"
	for _, tt := range []struct {
		name, path, depth, body string
		shown                   bool
	}{
		{"the calendar, Depth 0", "/dav/calendars/alice/work/", "0", prop, true},
		{"the calendar, Depth 1", "/dav/calendars/alice/work/", "1", prop, true},
		{"the home, Depth 1", "/dav/calendars/alice/", "1", prop, true},
		{"the calendar, allprop", "/dav/calendars/alice/work/", "0", allprop, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := davRequest(t, h, "PROPFIND", tt.path, tt.depth, tt.body)
			if code != http.StatusMultiStatus {
				t.Fatalf("PROPFIND: %d %s", code, body)
			}
			if strings.Contains(body, want) != tt.shown {
				t.Errorf("max-resource-size %s shown: %t, want %t: %s", want, !tt.shown, tt.shown, body)
			}
		})
	}
}

// TestMaxObjectsPerCalendar: a PUT that would add an object to a full
// calendar is refused with 507 and stores nothing; one that replaces an
// object is not.
func TestMaxObjectsPerCalendar(t *testing.T) {
	dir := t.TempDir()
	b, err := NewFileBackend(dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	b.MaxObjectsPerCalendar = 2
	h := NewHandler(b, "/dav/")
	if err := b.CreateCalendar("work", "Travail"); err != nil {
		t.Fatal(err)
	}
	put := func(name, uid, start string) (int, string) {
		return davRequest(t, h, http.MethodPut, "/dav/calendars/alice/work/"+name, "", string(testcal.Event(t, uid, start)))
	}
	for _, s := range []struct {
		name     string
		do       func() (int, string)
		want     int
		wantFile map[string]bool
	}{
		{"first object", func() (int, string) { return put("a.ics", "a@test", "20270310T090000") }, http.StatusCreated, nil},
		{"second object", func() (int, string) { return put("b.ics", "b@test", "20270311T090000") }, http.StatusCreated, nil},
		{"third object", func() (int, string) { return put("c.ics", "c@test", "20270312T090000") }, http.StatusInsufficientStorage, map[string]bool{"c.ics": false}},
		{"replacing the first", func() (int, string) { return put("a.ics", "a@test", "20270313T090000") }, http.StatusCreated, nil},
		{"deleting the second", func() (int, string) {
			return davRequest(t, h, http.MethodDelete, "/dav/calendars/alice/work/b.ics", "", "")
		}, http.StatusNoContent, nil},
		{"third object, in the room made", func() (int, string) { return put("c.ics", "c@test", "20270312T090000") }, http.StatusCreated, map[string]bool{"c.ics": true}},
	} {
		code, body := s.do()
		if code != s.want {
			t.Fatalf("%s: %d %s, want %d", s.name, code, body, s.want)
		}
		for name, want := range s.wantFile {
			if _, err := os.Stat(filepath.Join(dir, "work", name)); (err == nil) != want {
				t.Errorf("%s: %s stored: %t, want %t", s.name, name, err == nil, want)
			}
			if code, _ := davRequest(t, h, http.MethodGet, "/dav/calendars/alice/work/"+name, "", ""); (code == http.StatusOK) != want {
				t.Errorf("%s: GET %s: %d", s.name, name, code)
			}
		}
	}
	if code, body := put("a.ics", "a@test", "20270314T090000"); code != http.StatusCreated {
		t.Errorf("replacing an object of a full calendar: %d %s", code, body)
	}
}
