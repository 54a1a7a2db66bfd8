package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv"
)

func TestConfigAdminAndSync(t *testing.T) {
	dir := t.TempDir()
	goodFile := filepath.Join(dir, "admin-token")
	if err := os.WriteFile(goodFile, []byte("  0123456789abcdef0123456789abcdef-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shortFile := filepath.Join(dir, "short-token")
	if err := os.WriteFile(shortFile, []byte("changeme\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, toml string
		token      string // from adminToken, when the config is valid
		sync       time.Duration
		err        string // in the error of check or adminToken
	}{
		{name: "defaults: admin API disabled"},
		{name: "inline token", toml: `admin_token = "0123456789abcdef0123456789abcdef"`, token: "0123456789abcdef0123456789abcdef"},
		{name: "token file, trimmed", toml: `admin_token_file = "` + goodFile + `"`, token: "0123456789abcdef0123456789abcdef-token"},
		{name: "both", toml: "admin_token = \"0123456789abcdef0123456789abcdef\"\nadmin_token_file = \"" + goodFile + `"`, err: "not both"},
		{name: "short inline token", toml: `admin_token = "changeme"`, err: "at least 32"},
		{name: "token with a space", toml: `admin_token = "0123456789abcdef 0123456789abcdef"`, err: "at least 32"},
		{name: "short token file", toml: `admin_token_file = "` + shortFile + `"`, err: "at least 32"},
		{name: "missing token file", toml: `admin_token_file = "` + filepath.Join(dir, "none") + `"`, err: "admin_token_file"},
		{name: "sync interval", toml: "[booking]\nsync_interval = \"5m\"", sync: 5 * time.Minute},
		{name: "sync interval too short", toml: "[booking]\nsync_interval = \"10ms\"", err: "sync_interval"},
		{name: "negative sync interval", toml: "[booking]\nsync_interval = \"-1m\"", err: "negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.check()
			var token string
			if err == nil {
				token, err = cfg.adminToken()
			}
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one about %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "changeme") {
					t.Errorf("the error shows the token: %v", err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if token != tt.token {
				t.Errorf("token %q, want %q", token, tt.token)
			}
			if got := cfg.Booking.SyncInterval.Duration; got != tt.sync {
				t.Errorf("sync_interval %s, want %s", got, tt.sync)
			}
		})
	}
}

// TestServeAdminDisabled: without an admin token, the admin API of the
// binary answers 404 and says so.
func TestServeAdminDisabled(t *testing.T) {
	in := startEmbedded(t)
	var p problem
	st, ct := in.do("GET", "/v1/admin/practitioners/demo/bookings", nil, &p)
	if st != 404 || !strings.HasPrefix(ct, "application/problem+json") || !strings.Contains(p.Detail, "disabled") {
		t.Errorf("admin API without a token: %d %s %+v", st, ct, p)
	}
}

func TestConfigIntentGrace(t *testing.T) {
	for _, tt := range []struct {
		name, toml string
		grace      time.Duration // 0: booking.DefaultIntentGrace
		err        string
	}{
		{name: "default"},
		{name: "set", toml: "[booking]\nintent_grace = \"90s\"", grace: 90 * time.Second},
		{name: "at most an hour", toml: "[booking]\nintent_grace = \"1h\"", grace: time.Hour},
		{name: "more than an hour", toml: "[booking]\nintent_grace = \"61m\"", err: "intent_grace"},
		{name: "negative", toml: "[booking]\nintent_grace = \"-1m\"", err: "intent_grace"},
		{name: "not a duration", toml: "[booking]\nintent_grace = \"soon\"", err: "duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.toml))
			if err == nil {
				err = cfg.check()
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one about %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Booking.IntentGrace.Duration; got != tt.grace {
				t.Errorf("intent_grace %s, want %s", got, tt.grace)
			}
		})
	}
}

func TestConfigChallenge(t *testing.T) {
	for _, tt := range []struct {
		name, toml string
		want       rdv.Challenge
		err        string
	}{
		{name: "off by default"},
		{name: "on, defaults", toml: "[challenge]\nenabled = true", want: rdv.Challenge{Enabled: true}},
		{name: "on, set", toml: "[challenge]\nenabled = true\nmax_number = 200000\nexpires = \"10m\"",
			want: rdv.Challenge{Enabled: true, MaxNumber: 200000, Expires: 10 * time.Minute}},
		{name: "too easy", toml: "[challenge]\nmax_number = 10", err: "challenge.max_number"},
		{name: "too short", toml: "[challenge]\nexpires = \"30s\"", err: "challenge.expires"},
		{name: "typo", toml: "[challenge]\nenable = true", err: "unknown keys: challenge.enable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.toml))
			if err == nil {
				err = cfg.check()
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one about %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg.BaseURL = "http://rdv.test"
			o, err := cfg.options(nil)
			if err != nil {
				t.Fatal(err)
			}
			if o.Challenge != tt.want {
				t.Errorf("Options.Challenge = %+v, want %+v", o.Challenge, tt.want)
			}
		})
	}
}

// TestConfigPrivateAndTemplates checks that a type keeps its motive private
// unless it says private = false, and that [mail] templates_dir reaches the
// application's options.
func TestConfigPrivateAndTemplates(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
[mail]
templates_dir = "/etc/rdv/templates"

[[practitioners]]
id = "demo"
timezone = "Europe/Paris"
[practitioners.hours]
mon = ["09:00-12:00"]
[[practitioners.types]]
id = "depistage"
name = "Dépistage IST / VIH"
duration = "20m"
[[practitioners.types]]
id = "private"
duration = "20m"
private = true
[[practitioners.types]]
id = "public"
name = "Consultation"
duration = "20m"
private = false
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := cfg.Practitioners[0].Practitioner()
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"depistage": false, "private": false, "public": true} {
		if got := p.Type(id).DiscloseMotive; got != want {
			t.Errorf("type %s: DiscloseMotive %v, want %v", id, got, want)
		}
	}
	o, err := cfg.options(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if o.Mail.TemplatesDir != "/etc/rdv/templates" {
		t.Errorf("Mail.TemplatesDir = %q", o.Mail.TemplatesDir)
	}
}
