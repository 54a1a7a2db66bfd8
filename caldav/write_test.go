package caldav

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/testcal"
)

// TestCreateServerErrors checks that a 5xx answer to a conditional create is
// not taken at its word: some servers answer a lost race with 500 (DAViCal),
// and a proxy may fail after the server stored the object.
func TestCreateServerErrors(t *testing.T) {
	b, err := davserver.NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CreateCalendar("rdv", "Rendez-vous"); err != nil {
		t.Fatal(err)
	}
	h := davserver.NewHandler(b, "/dav/")
	var mode atomic.Value // "", "412as500", "after502", "down"
	mode.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := mode.Load().(string)
		if r.Method != http.MethodPut || m == "" {
			h.ServeHTTP(w, r)
			return
		}
		if m == "down" {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		switch {
		case m == "412as500" && rec.Code == http.StatusPreconditionFailed:
			http.Error(w, "internal error", http.StatusInternalServerError)
		case m == "after502":
			http.Error(w, "bad gateway", http.StatusBadGateway)
		default:
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		}
	}))
	defer srv.Close()

	clock := time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC)
	c, err := New(context.Background(), Config{
		URL: srv.URL, BookingsCalendar: "rdv",
		Now: func() time.Time { return clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Date(2027, 1, 5, 9, 0, 0, 0, testcal.Paris(t))
	a := testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-0000000000c1", start, booking.StatusConfirmed)
	if _, err := c.Create(ctx, a); err != nil {
		t.Fatal(err)
	}

	mode.Store("412as500")
	clock = clock.Add(time.Second)
	_, err = c.Create(ctx, a)
	wantCode(t, err, booking.EConflict)

	mode.Store("after502")
	a2 := testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-0000000000c2", start.Add(time.Hour), booking.StatusConfirmed)
	ref, err := c.Create(ctx, a2)
	if err != nil {
		t.Fatalf("a create stored despite a 502 must succeed: %v", err)
	}
	if ref.ETag == "" {
		t.Errorf("no ETag: %+v", ref)
	}

	mode.Store("down")
	a3 := testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-0000000000c3", start.Add(2*time.Hour), booking.StatusConfirmed)
	_, err = c.Create(ctx, a3)
	wantCode(t, err, booking.EUnavailable)
}

func TestTransportErrors(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plainSrv := httptest.NewServer(http.NotFoundHandler())
	defer plainSrv.Close()
	tests := []struct {
		name, url, want string
	}{
		{"untrusted certificate", tlsSrv.URL, "TLS certificate"},
		{"https to a plain HTTP server", strings.Replace(plainSrv.URL, "http:", "https:", 1), "TLS"},
		{"name that does not resolve", "https://no-such-host.invalid/", "does not resolve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), Config{URL: tt.url, Username: "u", Password: "pw-secret-1", Timeout: 3 * time.Second,
				HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}})
			wantCode(t, err, booking.EUnavailable)
			if msg := booking.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q lacks %q (%v)", msg, tt.want, err)
			}
			if strings.Contains(err.Error(), "pw-secret-1") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
