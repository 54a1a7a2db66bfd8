package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// authMailbox is a mailbox whose clients must authenticate with user and
// pass (SASL PLAIN).
type authMailbox struct {
	*mailbox
	user, pass string
}

func (b *authMailbox) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &authMailSession{mailSession: mailSession{box: b.mailbox}, auth: b}, nil
}

type authMailSession struct {
	mailSession
	auth *authMailbox
}

func (s *authMailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *authMailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.auth.user || pass != s.auth.pass {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}

// Secrets of the tests, each distinct, none a substring of a key.
const (
	smtpPassword    = "Smtp-Pa55-4d8f1e"
	adminToken      = "Admin-T0ken-7c2b9a41e6d35f08b1c4a9e2"
	webhookSecret   = "whsec_V2ViaG9va1NlY3JldEZvclRlc3RzMDEyMzQ1"
	calendarPass    = "Cal-App-Pa55-91ab"
	storePassword   = "Pg-Pa55-5e6f"
	hookQueryToken  = "Hook-Query-T0k-33"
	calendarURLPass = "Url-Pa55-0c0c"
)

// TestPrintConfigMasksSecrets prints a configuration with every secret set,
// inline and in URLs: no secret value appears, while their keys do.
func TestPrintConfigMasksSecrets(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
store = "postgres://rdv:` + storePassword + `@db.example.org:5432/rdv?sslmode=verify-full&password=` + storePassword + `"
admin_token = "` + adminToken + `"
base_url = "https://rdv.example.org"
[mail]
from = "Cabinet Martin <rdv@example.org>"
[mail.smtp]
addr = "smtp.example.org:587"
username = "rdv@example.org"
password = "` + smtpPassword + `"
[[webhooks]]
url = "https://hooks.example.org/rdv?token=` + hookQueryToken + `&channel=agenda"
secret = "` + webhookSecret + `"
[[practitioners]]
id = "martin"
hours = { mon = ["08:30-12:00"] }
[practitioners.calendar]
url = "https://cloud.example.org/"
username = "martin"
password = "` + calendarPass + `"
bookings = "rdv"
busy = ["https://martin:` + calendarURLPass + `@cal.example.org/busy/"]
[[practitioners.types]]
id = "consultation"
duration = "20m"
private = false
reminders = []
`))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	printConfig(&out, cfg)
	text := out.String()
	t.Log(text)
	for _, s := range []string{smtpPassword, adminToken, webhookSecret, calendarPass, storePassword, hookQueryToken, calendarURLPass} {
		if strings.Contains(text, s) {
			t.Errorf("secret %q printed", s)
		}
	}
	for _, want := range []string{
		`  admin_token = "********"`,
		`  mail.smtp.password = "********"`,
		`  mail.smtp.username = "rdv@example.org"`,
		`  webhooks[0].secret = "********"`,
		`  practitioners[0].calendar.password = "********"`,
		`  practitioners[0].calendar.url = "https://cloud.example.org/"`,
		`  store = "postgres://rdv:********@db.example.org:5432/rdv?password=********&sslmode=verify-full"`,
		`  webhooks[0].url = "https://hooks.example.org/rdv?channel=agenda&token=********"`,
		`  practitioners[0].calendar.busy = ["https://martin:********@cal.example.org/busy/"]`,
		`  practitioners[0].hours.mon = ["08:30-12:00"]`,
		`  practitioners[0].types[0].duration = "20m0s"`,
		`  practitioners[0].types[0].private = false`,
		`  practitioners[0].types[0].reminders = []`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("lacks %s", want)
		}
	}
	if strings.Contains(text, "open_on_holidays") {
		t.Error("a key left at its zero value is printed")
	}
}

// TestEverySecretKeyMasked sets every string key of the configuration
// whose name says it holds a secret (but *_file, a path) to a distinct
// value: none is printed. A secret key added to Config is covered without
// changing this test; one named otherwise must be named so.
func TestEverySecretKeyMasked(t *testing.T) {
	cfg := &Config{Practitioners: []PractitionerConfig{{}}, Webhooks: []WebhookConfig{{}}}
	var secrets []string
	var fill func(key string, v reflect.Value)
	fill = func(key string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
				if f.IsExported() && name != "" {
					fill(name, v.Field(i))
				}
			}
		case reflect.Slice:
			// Every list of sections gets one, so that a secret key in
			// a [[section]] added later ([[desk.users]]) is covered.
			if v.Len() == 0 && v.Type().Elem().Kind() == reflect.Struct {
				v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
			}
			for i := range v.Len() {
				fill(key, v.Index(i))
			}
		case reflect.String:
			if strings.HasSuffix(key, "_file") {
				return
			}
			for _, w := range []string{"password", "token", "secret"} {
				if strings.Contains(key, w) {
					s := "S3cret-value-" + key + "-" + string(rune('a'+len(secrets)))
					v.SetString(s)
					secrets = append(secrets, s)
					return
				}
			}
		}
	}
	fill("", reflect.ValueOf(cfg).Elem())
	if len(secrets) < 4 { // admin_token, mail.smtp.password, webhooks' secret, calendar.password
		t.Fatalf("%d secret keys found, want 4 or more: %q", len(secrets), secrets)
	}
	var out strings.Builder
	printConfig(&out, cfg)
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("%s printed:\n%s", s, out.String())
		}
	}
	if n := strings.Count(out.String(), masked); n != len(secrets) {
		t.Errorf("%d values masked, want %d:\n%s", n, len(secrets), out.String())
	}
}

// TestCheckMail runs rdv check against a real SMTP server (go-smtp) that
// wants a username and password: with the right ones every step is ok and
// no message is sent; with a wrong password, or on a port where nothing
// listens, the step that failed says why and check fails. The configuration
// is printed first, its secrets masked.
func TestCheckMail(t *testing.T) {
	box := &authMailbox{mailbox: &mailbox{}, user: "rdv@example.org", pass: smtpPassword}
	addr := freeAddr(t)
	serveSMTP(t, addr, box)
	down := freeAddr(t) // nothing listens there

	for _, tc := range []struct {
		name     string
		addr     string
		password string
		ok       bool
		want     []string
	}{
		{"auth ok", addr, smtpPassword, true, []string{
			"  connect  ok: " + addr,
			"  ehlo     ok: extensions: AUTH PLAIN",
			"  auth     ok: PLAIN as rdv@example.org",
			"  quit     ok: no message sent",
		}},
		{"wrong password", addr, "not-the-password", false, []string{
			"  connect  ok: " + addr,
			"  auth     FAILED: smtp auth: server replied 535 5.7.8",
			"the server refused the username or the password",
		}},
		{"unreachable", down, smtpPassword, false, []string{
			"  connect  FAILED: smtp connect: dial tcp " + down + ": connect: connection refused",
			"cannot reach " + down,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "rdv.toml")
			if err := os.WriteFile(conf, []byte(`
admin_token = "`+adminToken+`"
[mail.smtp]
addr = "`+tc.addr+`"
tls = "none"
username = "rdv@example.org"
password = "`+tc.password+`"
[[webhooks]]
url = "http://127.0.0.1:9/hook"
secret = "`+webhookSecret+`"
`), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runCLI(t, "check", "-config", conf, "-data", filepath.Join(dir, "data"))
			t.Log(out)
			if tc.ok && err != nil {
				t.Errorf("check: %v", err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "check: the mail server: smtp ")) {
				t.Errorf("check: %v, want a failure of the mail server", err)
			}
			for _, w := range append(tc.want,
				"mail server "+tc.addr+" (tls = none), no message sent:",
				`  admin_token = "********"`, `  mail.smtp.password = "********"`, `  webhooks[0].secret = "********"`,
				"configuration: ok", "practitioner demo") {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			for _, s := range []string{smtpPassword, adminToken, webhookSecret, "not-the-password"} {
				if strings.Contains(out, s) || (err != nil && strings.Contains(err.Error(), s)) {
					t.Errorf("secret %q printed", s)
				}
			}
			if n := len(box.messages()); n != 0 {
				t.Errorf("the server received %d messages", n)
			}
		})
	}
}
