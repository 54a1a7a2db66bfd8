package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/rdvlibre/rdv/booking"
)

const (
	testUser     = "rdv"
	testPassword = "s3cret-passw0rd"
	testHELO     = "rdv.cabinet.example"
)

// smtpBackend is a go-smtp server backend that keeps the messages it accepts.
type smtpBackend struct {
	user, password string // if set, clients must authenticate with these
	refuseRcpt     bool   // refuse recipients, quoting their address as servers do

	mu       sync.Mutex
	received []received
}

type received struct {
	helo, user string
	sent
}

func (be *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{be: be, conn: c}, nil
}

func (be *smtpBackend) messages() []received {
	be.mu.Lock()
	defer be.mu.Unlock()
	return slices.Clone(be.received)
}

type smtpSession struct {
	be   *smtpBackend
	conn *smtp.Conn
	user string
	msg  received
}

func (s *smtpSession) AuthMechanisms() []string {
	if s.be.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.be.user || password != s.be.password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, opts *smtp.MailOptions) error {
	if s.be.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.msg = received{helo: s.conn.Hostname(), user: s.user, sent: sent{from: from}}
	return nil
}

func (s *smtpSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if s.be.refuseRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "<" + to + ">: Recipient address rejected: User unknown"}
	}
	s.msg.to = append(s.msg.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.msg = b
	s.be.mu.Lock()
	s.be.received = append(s.be.received, s.msg)
	s.be.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.msg = received{} }
func (s *smtpSession) Logout() error { return nil }

// startSMTP runs a go-smtp server for be on a loopback port and returns its
// address. tlsMode says how it speaks TLS: "none", "starttls" (offered
// STARTTLS with cert) or "tls" (implicit, with cert).
func startSMTP(t *testing.T, be *smtpBackend, tlsMode string, cert *tls.Certificate) string {
	t.Helper()
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch tlsMode {
	case TLSStartTLS:
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	case TLSImplicit:
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{*cert}})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(l)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return l.Addr().String()
}

// testCert returns a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "rdv test SMTP server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestSMTPSender(t *testing.T) {
	cert, pool := testCert(t)
	tests := []struct {
		name string
		tls  string
		auth bool
	}{
		{"none", TLSNone, false},
		{"none_auth", TLSNone, true},
		{"starttls", TLSStartTLS, false},
		{"starttls_auth", TLSStartTLS, true},
		{"tls_auth", TLSImplicit, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &smtpBackend{}
			cfg := SMTPConfig{TLS: tt.tls, TLSConfig: &tls.Config{RootCAs: pool}, HELO: testHELO, Timeout: 10 * time.Second}
			if tt.auth {
				be.user, be.password = testUser, testPassword
				cfg.Username, cfg.Password = testUser, testPassword
			}
			cfg.Addr = startSMTP(t, be, tt.tls, cert)
			sender, err := NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{next: sender}
			m := newMailer(t, "fr", rec)
			n := booking.Notification{Kind: booking.NotifyCreated, Appointment: appointment(t, booking.StatusPending), ManageToken: testToken}
			if err := m.Notify(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			got := be.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			r, built := got[0], rec.last(t)
			if r.from != "rdv@cabinet.example" || !slices.Equal(r.to, []string{"marie@example.org"}) {
				t.Errorf("envelope from %q to %q", r.from, r.to)
			}
			if !bytes.Equal(r.msg, built.msg) {
				t.Errorf("the server received a message other than the one built:\n%s", r.msg)
			}
			parseMessage(t, r.msg)
			if r.helo != testHELO {
				t.Errorf("EHLO %q, want %q", r.helo, testHELO)
			}
			if want := map[bool]string{true: testUser}[tt.auth]; r.user != want {
				t.Errorf("authenticated as %q, want %q", r.user, want)
			}
		})
	}
}

// silentServer accepts connections and never says anything.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// downAddr returns a loopback address where nothing listens.
func downAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestSMTPSenderErrors(t *testing.T) {
	cert, pool := testCert(t)
	trusted := &tls.Config{RootCAs: pool}
	tests := []struct {
		name    string
		server  func(t *testing.T) string
		cfg     SMTPConfig
		ctx     func() (context.Context, context.CancelFunc)
		inError string // a part of the error's text
		is      error  // errors.Is(err, is), if set
	}{
		{
			name:    "server_down",
			server:  downAddr,
			cfg:     SMTPConfig{TLS: TLSNone},
			inError: "smtp dial",
		},
		{
			name: "wrong_password",
			server: func(t *testing.T) string {
				return startSMTP(t, &smtpBackend{user: testUser, password: "other"}, TLSNone, nil)
			},
			cfg:     SMTPConfig{TLS: TLSNone, Username: testUser, Password: testPassword},
			inError: "smtp auth: server replied 535 5.7.8",
		},
		{
			name: "recipient_refused",
			server: func(t *testing.T) string {
				return startSMTP(t, &smtpBackend{refuseRcpt: true}, TLSNone, nil)
			},
			cfg:     SMTPConfig{TLS: TLSNone},
			inError: "smtp rcpt: server replied 550 5.1.1",
		},
		{
			name: "auth_required",
			server: func(t *testing.T) string {
				return startSMTP(t, &smtpBackend{user: testUser, password: testPassword}, TLSNone, nil)
			},
			cfg:     SMTPConfig{TLS: TLSNone},
			inError: "smtp mail: server replied 502",
		},
		{
			name:    "no_auth_offered",
			server:  func(t *testing.T) string { return startSMTP(t, &smtpBackend{}, TLSNone, nil) },
			cfg:     SMTPConfig{TLS: TLSNone, Username: testUser, Password: testPassword},
			inError: "offers no authentication",
		},
		{
			name:    "no_starttls_offered",
			server:  func(t *testing.T) string { return startSMTP(t, &smtpBackend{}, TLSNone, nil) },
			cfg:     SMTPConfig{TLS: TLSStartTLS, TLSConfig: trusted},
			inError: "STARTTLS",
		},
		{
			name:    "untrusted_certificate",
			server:  func(t *testing.T) string { return startSMTP(t, &smtpBackend{}, TLSImplicit, cert) },
			cfg:     SMTPConfig{TLS: TLSImplicit},
			inError: "certificate",
		},
		{
			name:    "silent_server_timeout",
			server:  silentServer,
			cfg:     SMTPConfig{TLS: TLSNone, Timeout: 200 * time.Millisecond},
			is:      context.DeadlineExceeded,
			inError: "smtp ehlo",
		},
		{
			name:   "silent_server_cancelled",
			server: silentServer,
			cfg:    SMTPConfig{TLS: TLSNone},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(200*time.Millisecond, cancel)
				return ctx, cancel
			},
			is: context.Canceled,
		},
		{
			name:   "silent_server_tls_handshake",
			server: silentServer,
			cfg:    SMTPConfig{TLS: TLSImplicit, Timeout: 200 * time.Millisecond},
			is:     context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Addr = tt.server(t)
			s, err := NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			msg := []byte("From: rdv@cabinet.example\r\nTo: Marie Curie <marie@example.org>\r\nSubject: x\r\n\r\nx\r\n")
			start := time.Now()
			err = s.Send(ctx, "rdv@cabinet.example", []string{"marie@example.org"}, msg)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("Send took %v", elapsed)
			}
			if booking.ErrorCode(err) != booking.EUnavailable {
				t.Fatalf("error %v, want EUnavailable", err)
			}
			text := err.Error()
			for _, secret := range []string{"marie", "Marie", testPassword} {
				if strings.Contains(text, secret) {
					t.Errorf("error %q holds %q", text, secret)
				}
			}
			if !strings.Contains(text, tt.inError) {
				t.Errorf("error %q, want it to hold %q", text, tt.inError)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", text, tt.is)
			}
		})
	}
}

func TestNewSMTPSender(t *testing.T) {
	tests := []struct {
		name string
		cfg  SMTPConfig
		ok   bool
	}{
		{"defaults", SMTPConfig{Addr: "smtp.example.org:587"}, true},
		{"implicit_tls_auth", SMTPConfig{Addr: "smtp.example.org:465", TLS: TLSImplicit, Username: "u", Password: "p"}, true},
		{"local_relay", SMTPConfig{Addr: "127.0.0.1:25", TLS: TLSNone}, true},
		{"local_relay_auth", SMTPConfig{Addr: "localhost:25", TLS: TLSNone, Username: "u", Password: "p"}, true},
		{"ipv6_loopback_auth", SMTPConfig{Addr: "[::1]:25", TLS: TLSNone, Username: "u", Password: "p"}, true},
		{"no_port", SMTPConfig{Addr: "smtp.example.org"}, false},
		{"no_host", SMTPConfig{Addr: ":587"}, false},
		{"unknown_tls", SMTPConfig{Addr: "smtp.example.org:587", TLS: "ssl"}, false},
		{"password_in_clear", SMTPConfig{Addr: "smtp.example.org:25", TLS: TLSNone, Username: "u", Password: "p"}, false},
		{"helo_with_crlf", SMTPConfig{Addr: "smtp.example.org:587", HELO: "a\r\nRSET"}, false},
		{"negative_timeout", SMTPConfig{Addr: "smtp.example.org:587", Timeout: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSMTPSender(tt.cfg)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if s.cfg.TLS == "" || s.cfg.HELO == "" || s.cfg.Timeout <= 0 {
					t.Errorf("defaults not applied: %+v", s.cfg)
				}
				return
			}
			if booking.ErrorCode(err) != booking.EInvalid {
				t.Fatalf("error %v, want EInvalid", err)
			}
		})
	}
}

// TestSMTPSenderDotLines checks that lines starting with a dot, which SMTP
// escapes in transit, arrive unchanged.
func TestSMTPSenderDotLines(t *testing.T) {
	be := &smtpBackend{}
	s, err := NewSMTPSender(SMTPConfig{Addr: startSMTP(t, be, TLSNone, nil), TLS: TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("Subject: dots\r\n\r\n.\r\n..two\r\n.one\r\nend\r\n")
	if err := s.Send(context.Background(), "rdv@cabinet.example", []string{"marie@example.org"}, msg); err != nil {
		t.Fatal(err)
	}
	if got := be.messages(); len(got) != 1 || !bytes.Equal(got[0].msg, msg) {
		t.Errorf("received %q", got)
	}
}
