package rdv

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/davserver"
)

// TestEmbeddedDAVLimits: the App's /dav/ refuses a calendar object over
// davserver's default size with 413, even from its authenticated user, and
// stores nothing.
func TestEmbeddedDAVLimits(t *testing.T) {
	a, err := New(context.Background(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	path, user, pwFile := a.EmbeddedDAV()
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	obj := srv.URL + path + "calendars/" + user + "/martin/big.ics"
	do := func(method string, body []byte) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, obj, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(user, strings.TrimSpace(string(pw)))
		req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(got)
	}
	big := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:big@test\r\n" +
		"DTSTAMP:20270101T000000Z\r\nDTSTART:20270310T090000Z\r\nDURATION:PT1H\r\n" +
		"DESCRIPTION:" + strings.Repeat("x", 2*davserver.DefaultMaxResourceSize) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	if code, body := do(http.MethodPut, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("PUT of %d bytes: %d %.200s", len(big), code, body)
	}
	if code, _ := do(http.MethodGet, nil); code != http.StatusNotFound {
		t.Errorf("GET of the refused object: %d", code)
	}
}
