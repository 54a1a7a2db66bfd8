package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestConfigDesk: the [desk] section reaches the options, and
// rdv desk-password prints an Argon2id hash of the line it reads, refusing
// a short password.
func TestConfigDesk(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
base_url = "https://rdv.example.org"
admin_token = "desk-config-test-admin-token-0123456789"
[desk]
session_idle = "2h"
session_max = "24h"
[[desk.users]]
name = "Sophie"
password_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
practitioners = ["demo"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	o, err := cfg.options(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if o.Desk.Idle != 2*time.Hour || o.Desk.Max != 24*time.Hour || len(o.Desk.Users) != 1 ||
		o.Desk.Users[0].Name != "Sophie" || o.Desk.Users[0].Practitioners[0] != "demo" {
		t.Errorf("desk options %+v", o.Desk)
	}
	// Desk users without an admin token would be no desk at all, their
	// hashes never checked.
	cfg.AdminToken = ""
	if err := cfg.check(); err == nil || !strings.Contains(err.Error(), "desk.users") {
		t.Errorf("desk users without an admin token: %v", err)
	}
	bad, err := ParseConfig([]byte("[desk]\nsession_idle = \"1s\"\n"))
	if err == nil {
		err = bad.check()
	}
	if err == nil {
		t.Error("a 1 s idle time was accepted")
	}

	var out bytes.Buffer
	if err := deskPassword(strings.NewReader("a long enough password\n"), &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "$argon2id$v=19$m=65536,t=3,p=4$") || strings.Contains(got, "password") {
		t.Errorf("rdv desk-password printed %q", got)
	}
	if err := deskPassword(strings.NewReader("short\n"), &out); err == nil {
		t.Error("a 5-character password was hashed")
	}
}
