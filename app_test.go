package rdv

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
)

func testOptions(t *testing.T) Options {
	p := booking.Practitioner{ID: "martin", Name: "Dr Martin", Location: time.UTC,
		Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute}}}
	p.Schedule.Weekly.Set(time.Monday, booking.ClockRange{Start: 9 * 60, End: 12 * 60})
	return Options{
		DataDir: t.TempDir(), BaseURL: "http://rdv.test", Practitioners: []booking.Practitioner{p},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*Options)
		err    string
	}{
		{name: "no data dir", change: func(o *Options) { o.DataDir = "" }, err: "DataDir"},
		{name: "no base URL", change: func(o *Options) { o.BaseURL = "" }, err: "BaseURL"},
		{name: "no practitioner", change: func(o *Options) { o.Practitioners = nil }, err: "Practitioners"},
		{name: "short secret", change: func(o *Options) { o.Secret = []byte("short") }, err: "Secret"},
		{name: "calendar of no one", change: func(o *Options) { o.Calendars = map[string]Calendar{"dupont": {}} }, err: `no practitioner "dupont"`},
		{name: "digest of no one", change: func(o *Options) { o.DailyDigest = map[string]booking.Clock{"dupont": 420} }, err: `no practitioner "dupont"`},
		{name: "digest without email", change: func(o *Options) { o.DailyDigest = map[string]booking.Clock{"martin": 420} }, err: "needs the practitioner's email"},
		{name: "retention too short", change: func(o *Options) { o.Retention.Cancelled = time.Hour }, err: "Options.Retention"},
		{name: "shared type of one practitioner", change: func(o *Options) {
			o.SharedTypes = []booking.SharedType{{ID: "generaliste", TypeID: "consultation", Practitioners: []string{"martin", "dupont"}}}
		}, err: `no practitioner "dupont"`},
		{name: "working hours on the embedded server", change: func(o *Options) {
			o.Calendars = map[string]Calendar{"martin": {Availability: caldav.AvailabilityConfig{WorkingHours: true}}}
		}, err: "working hours"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t)
			tt.change(&o)
			a, err := New(context.Background(), o)
			if err == nil {
				a.Close()
				t.Fatal("New accepted the options")
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %q, want one about %s", err, tt.err)
			}
		})
	}
}

// TestRunClose: Close stops Run and waits for it; a closed App runs no more.
func TestRunClose(t *testing.T) {
	a, err := New(context.Background(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if path, user, _ := a.EmbeddedDAV(); path != "/dav/" || user == "" {
		t.Errorf("embedded CalDAV server at %q, user %q", path, user)
	}
	if err := a.Ready(context.Background()); err != nil {
		t.Errorf("not ready: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	select {
	case <-a.Reconciled():
	case <-time.After(time.Minute):
		t.Fatal("Run did not reconcile")
	}
	if err := a.Run(context.Background()); err == nil {
		t.Error("Run ran twice at once")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	default:
		t.Error("Close returned before Run")
	}
	if err := a.Run(context.Background()); err == nil {
		t.Error("Run on a closed App")
	}
}
