package notify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/booking"
)

func TestDirSender(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "DATA", "outbox") // not there yet
	rec := &recorder{next: DirSender{Dir: dir}}
	m := newMailer(t, "fr", rec)
	kinds := []struct {
		kind   string
		status booking.Status
	}{
		{booking.NotifyCreated, booking.StatusPending},
		{booking.NotifyConfirmed, booking.StatusConfirmed},
		{booking.NotifyCancelled, booking.StatusCancelled},
	}
	for _, k := range kinds {
		n := booking.Notification{Kind: k.kind, Appointment: appointment(t, k.status), ManageToken: testToken}
		if err := m.Notify(context.Background(), n); err != nil {
			t.Fatalf("%s: %v", k.kind, err)
		}
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(kinds) {
		t.Fatalf("%d files in the outbox, want %d", len(entries), len(kinds))
	}
	name := regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.eml$`)
	for i, e := range entries { // ReadDir sorts by name: the order of writing
		t.Run(e.Name(), func(t *testing.T) {
			if !name.MatchString(e.Name()) {
				t.Errorf("file name %q is not <timestamp>-<uuid>.eml", e.Name())
			}
			info, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			if perm := info.Mode().Perm(); perm&0o077 != 0 {
				t.Errorf("file mode %v lets others read patient data", perm)
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, rec.sent[i].msg) {
				t.Error("the file differs from the message built")
			}
			p := parseMessage(t, b)
			if p.header.Get("Auto-Submitted") != "auto-generated" {
				t.Error("the .eml lacks its header")
			}
		})
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm()&0o077 != 0 {
		t.Errorf("outbox directory: %v, %v", info.Mode(), err)
	}
}

func TestDirSenderErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		dir  string
	}{
		{"no_dir", context.Background(), ""},
		{"dir_is_a_file", context.Background(), file},
		{"under_a_file", context.Background(), filepath.Join(file, "outbox")},
		{"cancelled", ctx, t.TempDir()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DirSender{Dir: tt.dir}.Send(tt.ctx, "rdv@cabinet.example", []string{"marie@example.org"}, []byte("Subject: x\r\n\r\nx\r\n"))
			if booking.ErrorCode(err) != booking.EUnavailable {
				t.Fatalf("error %v, want EUnavailable", err)
			}
			if strings.Contains(err.Error(), "marie") {
				t.Errorf("error %q holds the address", err)
			}
			if tt.name == "cancelled" {
				if entries, _ := os.ReadDir(tt.dir); len(entries) != 0 {
					t.Errorf("%d files written", len(entries))
				}
			}
		})
	}
}

// TestDirSenderNoTemporaryFiles sends concurrently and checks that only
// whole .eml files remain.
func TestDirSenderNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s := DirSender{Dir: dir}
	msg := bytes.Repeat([]byte("0123456789abcdef\r\n"), 4096)
	const n = 16
	errs := make(chan error, n)
	for range n {
		go func() { errs <- s.Send(context.Background(), "a@example.org", []string{"b@example.org"}, msg) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Errorf("%d entries, want %d", len(entries), n)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("leftover %q", e.Name())
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || !bytes.Equal(b, msg) {
			t.Errorf("%s: %d bytes (%v), want %d", e.Name(), len(b), err, len(msg))
		}
	}
}
