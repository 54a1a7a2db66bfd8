package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/rdvlibre/rdv/booking"
)

// TLS modes of an SMTPSender.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, required (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no TLS, for a relay on the same machine or network
)

// DefaultSMTPTimeout bounds a whole SMTP transaction when SMTPConfig sets none.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig configures an SMTPSender.
type SMTPConfig struct {
	// Addr is the server's host:port, e.g. "smtp.example.org:587".
	Addr string
	// Username and Password, if Username is set, authenticate with SASL PLAIN.
	Username string
	Password string
	// TLS is TLSStartTLS (the default), TLSImplicit or TLSNone.
	TLS string
	// TLSConfig, if set, is used for TLS, e.g. to trust a private CA; its
	// ServerName defaults to the host of Addr.
	TLSConfig *tls.Config
	// HELO is the name given in EHLO, "localhost" by default. With STARTTLS
	// the first EHLO, before TLS, always says "localhost" (a limit of
	// go-smtp); the name goes in the EHLO that follows the upgrade.
	HELO string
	// Timeout bounds a whole transaction, dial to QUIT; DefaultSMTPTimeout if 0.
	Timeout time.Duration
}

// SMTPSender submits messages to an SMTP server (RFC 5321), one connection
// per message. It never sends a password in clear text to another machine:
// with TLSNone and a Username, the server must be on a loopback address. It
// is safe for concurrent use.
type SMTPSender struct {
	cfg  SMTPConfig
	host string
}

// NewSMTPSender checks cfg and returns an SMTPSender, or an EInvalid error.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" || port == "" {
		return nil, booking.Errorf(booking.EInvalid, "notify: smtp address must be host:port")
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, booking.Errorf(booking.EInvalid, "notify: smtp TLS mode %q is not one of starttls, tls, none", cfg.TLS)
	}
	if cfg.TLS == TLSNone && cfg.Username != "" && !isLoopback(host) {
		return nil, booking.Errorf(booking.EInvalid, "notify: smtp: refusing to send a password without TLS to %s", host)
	}
	if cfg.HELO == "" {
		cfg.HELO = "localhost"
	}
	if strings.ContainsFunc(cfg.HELO, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, booking.Errorf(booking.EInvalid, "notify: smtp HELO name must be a domain name")
	}
	if cfg.Timeout < 0 {
		return nil, booking.Errorf(booking.EInvalid, "notify: smtp timeout cannot be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	return &SMTPSender{cfg: cfg, host: host}, nil
}

// isLoopback reports whether host is "localhost" or a loopback IP address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send implements Sender. It dials the server, sets up TLS, authenticates if
// configured, and runs one mail transaction. It gives up when ctx is done or
// the configured timeout has passed. Every failure is an EUnavailable error
// whose cause holds the step that failed and, for a server reply, its code,
// but not the reply's text: servers often quote the address they refuse.
func (s *SMTPSender) Send(ctx context.Context, from string, to []string, msg []byte) error {
	if err := s.send(ctx, from, to, msg); err != nil {
		return booking.WrapError(booking.EUnavailable, err, "notify: message not accepted by the mail server")
	}
	return nil
}

func (s *SMTPSender) send(ctx context.Context, from string, to []string, msg []byte) error {
	if len(to) == 0 {
		return errors.New("no recipient")
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	addrs := append([]string{from}, to...)
	fail := func(step string, err error) error { return stepError(ctx, step, err, addrs) }

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fail("dial", err)
	}
	// Unblock any read or write when ctx is done; closing twice is harmless.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	if s.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("tls", err)
		}
		conn = tc
	}
	var c *smtp.Client
	if s.cfg.TLS == TLSStartTLS {
		if c, err = smtp.NewClientStartTLS(conn, s.tlsConfig()); err != nil {
			return fail("starttls", err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	// The client sets its own deadline on each command; make it a little
	// later than ctx's, so that ctx ends the transaction and says why.
	if dl, ok := ctx.Deadline(); ok {
		c.CommandTimeout = time.Until(dl) + time.Second
		c.SubmissionTimeout = c.CommandTimeout
	}
	defer c.Close()

	if err := c.Hello(s.cfg.HELO); err != nil {
		return fail("ehlo", err)
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("smtp auth: the server offers no authentication")
		}
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return fail("auth", err)
		}
	}
	var opts *smtp.MailOptions
	if !isASCII(from) || !isASCII(to...) {
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.Mail(from, opts); err != nil {
		return fail("mail", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return fail("rcpt", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fail("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fail("data", err)
	}
	if err := w.Close(); err != nil {
		return fail("data", err)
	}
	// The message is accepted: a failing QUIT changes nothing.
	c.Quit()
	return nil
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	cfg := s.cfg.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

func isASCII(ss ...string) bool {
	for _, s := range ss {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return false
			}
		}
	}
	return true
}

// smtpReply is a refusal by the server, without the text of its reply.
type smtpReply struct {
	Step     string // the command that was refused: "mail", "rcpt", ...
	Code     int
	Enhanced smtp.EnhancedCode
}

func (e *smtpReply) Error() string {
	if e.Enhanced == (smtp.EnhancedCode{}) || e.Enhanced == smtp.NoEnhancedCode {
		return fmt.Sprintf("smtp %s: server replied %d", e.Step, e.Code)
	}
	return fmt.Sprintf("smtp %s: server replied %d %d.%d.%d", e.Step, e.Code, e.Enhanced[0], e.Enhanced[1], e.Enhanced[2])
}

// Temporary reports whether the server refused for now (a 4xx reply) rather
// than for good (5xx).
func (e *smtpReply) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// refusedRecipient reports whether the server refused the recipient for
// good: a 5xx reply to RCPT that is about the address (an enhanced code
// 5.1.x, or 550, 551 or 553 without one), not about the sender, the
// credentials or a policy (5.7.x, relay denied), which a fix of the
// configuration cures: those are retried, not given up.
func (e *smtpReply) refusedRecipient() bool {
	if e.Step != "rcpt" || e.Temporary() || e.Code < 500 {
		return false
	}
	if e.Enhanced != (smtp.EnhancedCode{}) && e.Enhanced != smtp.NoEnhancedCode {
		return e.Enhanced[0] == 5 && e.Enhanced[1] == 1
	}
	return e.Code == 550 || e.Code == 551 || e.Code == 553
}

// stepError describes the failure of an SMTP step without anything the server
// said: a reply becomes its codes, a malformed reply just that. When ctx is
// done, the cause is ctx's error. Other errors (network, TLS, go-smtp's own)
// are kept: they name the server, never the recipient. Should one still hold
// an address of the envelope, it is reduced to the step.
func stepError(ctx context.Context, step string, err error, addrs []string) error {
	if ctx.Err() != nil {
		return fmt.Errorf("smtp %s: %w", step, context.Cause(ctx))
	}
	var reply *smtp.SMTPError
	if errors.As(err, &reply) {
		return &smtpReply{Step: step, Code: reply.Code, Enhanced: reply.EnhancedCode}
	}
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) {
		return &smtpReply{Step: step, Code: tpErr.Code, Enhanced: smtp.NoEnhancedCode}
	}
	var protoErr textproto.ProtocolError
	if errors.As(err, &protoErr) {
		return fmt.Errorf("smtp %s: malformed reply from the server", step)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("smtp %s: connection closed by the server", step)
	}
	text := strings.ToLower(err.Error())
	for _, a := range addrs {
		if a != "" && strings.Contains(text, strings.ToLower(a)) {
			return fmt.Errorf("smtp %s: failed", step)
		}
	}
	return fmt.Errorf("smtp %s: %w", step, err)
}
