package testservers

import (
	"net/http"
	"strings"
	"testing"
)

func TestSabreDAV(t *testing.T) {
	if testing.Short() && !Required() {
		t.Skip("starts sabre/dav")
	}
	s := StartSabreDAV(t)
	s.MkCalendar(t, "work", "Travail")
	s.Put(t, "work", "a.ics", []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//test//EN\r\nBEGIN:VEVENT\r\nUID:a@test\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270301T090000Z\r\nDTEND:20270301T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	body := s.Do(t, "PROPFIND", s.Home, "application/xml",
		[]byte(`<propfind xmlns="DAV:"><prop><displayname/></prop></propfind>`), http.StatusMultiStatus)
	if !strings.Contains(string(body), s.CalendarPath("work")) || !strings.Contains(string(body), "Travail") {
		t.Errorf("the home does not list the calendar:\n%s", body)
	}
	s.Do(t, http.MethodGet, s.CalendarPath("work")+"a.ics", "", nil, http.StatusOK)

	// Nextcloud's entry points.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{"/.well-known/caldav": "/remote.php/dav/", "/": "/index.php/login"} {
		resp, err := client.Get(strings.TrimSuffix(s.URL, "/") + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 != 3 || loc != want {
			t.Errorf("GET %s: %s to %q, want a redirect to %q", path, resp.Status, loc, want)
		}
	}
	req, _ := http.NewRequest("PROPFIND", s.URL+"remote.php/dav/", nil)
	req.SetBasicAuth(s.User, "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %s", resp.Status)
	}
}
