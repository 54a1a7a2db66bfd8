package notify

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"
)

// TestSMTPCheck runs Check against a real go-smtp server in each TLS mode,
// with and without authentication, and against servers that fail it in
// each step: it reports every step done, fails at the right one with a
// clear reason, and never sends a message.
func TestSMTPCheck(t *testing.T) {
	cert, pool := testCert(t)
	trusted := &tls.Config{RootCAs: pool}
	tests := []struct {
		name       string
		server     string // the server's TLS mode; "down": nothing listens
		serverAuth bool   // the server wants testUser/testPassword
		tls        string // the client's
		tlsConfig  *tls.Config
		user, pass string
		steps      string // names of the steps, the failed one last
		failed     string // in the failed step's error and detail; "" when none fails
		detail     string // in the details of the steps
	}{
		{name: "plain", server: TLSNone, tls: TLSNone, steps: "connect ehlo auth quit", detail: "none configured"},
		{name: "plain_auth", server: TLSNone, serverAuth: true, tls: TLSNone, user: testUser, pass: testPassword,
			steps: "connect ehlo auth quit", detail: "PLAIN as rdv"},
		{name: "wrong_password", server: TLSNone, serverAuth: true, tls: TLSNone, user: testUser, pass: "wrong",
			steps: "connect ehlo auth", failed: "535"},
		{name: "auth_not_offered", server: TLSNone, tls: TLSNone, user: testUser, pass: testPassword,
			steps: "connect ehlo auth", failed: "offers no authentication"},
		{name: "starttls_not_used", server: TLSStartTLS, tls: TLSNone, steps: "connect ehlo auth quit",
			detail: "STARTTLS is offered but not used"},
		{name: "starttls_auth", server: TLSStartTLS, serverAuth: true, tls: TLSStartTLS, tlsConfig: trusted,
			user: testUser, pass: testPassword, steps: "connect starttls tls ehlo auth quit", detail: "certificate of 127.0.0.1 verified"},
		{name: "starttls_untrusted", server: TLSStartTLS, tls: TLSStartTLS, steps: "connect starttls tls",
			failed: "not signed by an authority this machine trusts"},
		{name: "starttls_not_offered", server: TLSNone, tls: TLSStartTLS, tlsConfig: trusted, steps: "connect starttls",
			failed: "does not offer STARTTLS"},
		{name: "implicit_tls_auth", server: TLSImplicit, serverAuth: true, tls: TLSImplicit, tlsConfig: trusted,
			user: testUser, pass: testPassword, steps: "connect tls ehlo auth quit", detail: "TLS 1.3"},
		{name: "down", server: "down", tls: TLSNone, steps: "connect", failed: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &smtpBackend{}
			if tt.serverAuth {
				be.user, be.password = testUser, testPassword
			}
			addr := ""
			if tt.server == "down" {
				addr = downAddr(t)
			} else {
				addr = startSMTP(t, be, tt.server, cert)
			}
			sender, err := NewSMTPSender(SMTPConfig{Addr: addr, TLS: tt.tls, TLSConfig: tt.tlsConfig,
				Username: tt.user, Password: tt.pass, HELO: testHELO, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			steps, err := sender.Check(context.Background())
			var names, details []string
			for _, s := range steps {
				names = append(names, s.Name)
				details = append(details, s.Detail)
				t.Logf("%s: %s (%v)", s.Name, s.Detail, s.Err)
			}
			if got := strings.Join(names, " "); got != tt.steps {
				t.Errorf("steps %q, want %q", got, tt.steps)
			}
			if tt.failed == "" {
				if err != nil {
					t.Errorf("Check: %v", err)
				}
			} else {
				last := steps[len(steps)-1]
				if err == nil || last.Err != err {
					t.Fatalf("Check: %v, last step's error %v, want a failure", err, last.Err)
				}
				if !strings.Contains(err.Error()+" "+last.Detail, tt.failed) {
					t.Errorf("failure %q (%s), want %q in it", err, last.Detail, tt.failed)
				}
				if !strings.HasPrefix(err.Error(), "smtp "+last.Name+":") {
					t.Errorf("error %q does not name its step %s", err, last.Name)
				}
			}
			if !strings.Contains(strings.Join(details, "; "), tt.detail) {
				t.Errorf("details %q lack %q", details, tt.detail)
			}
			if strings.Contains(strings.Join(details, " ")+" "+errText(err), testPassword) {
				t.Error("the password appears in the report")
			}
			if n := len(be.messages()); n != 0 {
				t.Errorf("the server received %d messages", n)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
