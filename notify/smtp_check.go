package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// CheckStep is one step of SMTPSender.Check as it went.
type CheckStep struct {
	// Name is the step: "connect", "tls" (the handshake, implicit or after
	// STARTTLS), "starttls", "ehlo", "auth" or "quit".
	Name string
	// Detail says what the step found, for a person: the address reached,
	// the TLS version, the extensions offered, the account used.
	Detail string
	// Err is why the step failed; nil when it succeeded. Like Send's
	// errors, it holds reply codes, never the text of a reply.
	Err error
}

// Check does what Send does up to the message, and no further: it dials
// the server, sets up TLS as configured (STARTTLS is required in TLSStartTLS
// mode, and not used in TLSNone mode even when offered), greets it,
// authenticates if a Username is configured, then quits. No message is
// sent. It returns the steps done, the last one being the one that failed
// if any, and that step's error. The timeout of the configuration bounds
// the whole exchange.
func (s *SMTPSender) Check(ctx context.Context) ([]CheckStep, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var steps []CheckStep
	ok := func(name, detail string) { steps = append(steps, CheckStep{Name: name, Detail: detail}) }
	fail := func(name, detail string, err error) ([]CheckStep, error) {
		err = stepError(ctx, name, err, nil)
		steps = append(steps, CheckStep{Name: name, Detail: detail, Err: err})
		return steps, err
	}

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fail("connect", "cannot reach "+s.cfg.Addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	connected := s.cfg.Addr
	if ra := conn.RemoteAddr().String(); ra != connected {
		connected += " (" + ra + ")"
	}
	ok("connect", connected)

	var c *smtp.Client
	switch s.cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("tls", tlsHint(err), err)
		}
		ok("tls", tlsDetail(tc.ConnectionState(), s.tlsConfig().ServerName))
		c = smtp.NewClient(tc)
	case TLSStartTLS:
		// go-smtp greets the server with EHLO localhost and sends STARTTLS;
		// the handshake is done by the next command, the EHLO below.
		if c, err = smtp.NewClientStartTLS(conn, s.tlsConfig()); err != nil {
			if strings.Contains(err.Error(), "STARTTLS") && !isReply(err) {
				return fail("starttls", "the server does not offer STARTTLS: set mail.smtp.tls to \"tls\" for port 465, "+
					"or \"none\" for a relay on this machine", err)
			}
			return fail("starttls", "", err)
		}
		ok("starttls", "offered and accepted")
	default:
		c = smtp.NewClient(conn)
	}
	if dl, ok := ctx.Deadline(); ok {
		c.CommandTimeout = time.Until(dl) + time.Second
	}
	defer c.Close()

	if err := c.Hello(s.cfg.HELO); err != nil {
		if s.cfg.TLS == TLSStartTLS && isTLSError(err) {
			return fail("tls", tlsHint(err), err)
		}
		return fail("ehlo", "", err)
	}
	if s.cfg.TLS == TLSStartTLS {
		if cs, ok := c.TLSConnectionState(); ok {
			steps = append(steps, CheckStep{Name: "tls", Detail: tlsDetail(cs, s.tlsConfig().ServerName)})
		}
	}
	ehlo := "extensions: " + extensions(c)
	if s.cfg.TLS == TLSNone {
		if offered, _ := c.Extension("STARTTLS"); offered {
			ehlo += "; STARTTLS is offered but not used (mail.smtp.tls = \"none\")"
		}
	}
	ok("ehlo", ehlo)

	offered, mechs := c.Extension("AUTH")
	switch {
	case s.cfg.Username == "" && offered:
		ok("auth", "none configured (the server offers "+mechs+")")
	case s.cfg.Username == "":
		ok("auth", "none configured")
	case !offered:
		return fail("auth", "", errors.New("the server offers no authentication (no AUTH in its EHLO reply)"))
	default:
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			detail := "PLAIN as " + s.cfg.Username
			var reply *smtp.SMTPError
			if errors.As(err, &reply) && reply.Code == 535 {
				detail += ": the server refused the username or the password"
			}
			return fail("auth", detail, err)
		}
		ok("auth", "PLAIN as "+s.cfg.Username)
	}

	if err := c.Quit(); err != nil {
		return fail("quit", "", err)
	}
	ok("quit", "no message sent")
	return steps, nil
}

// extensions lists the SMTP extensions that matter to rdv and whether the
// server offers them.
func extensions(c *smtp.Client) string {
	var out []string
	for _, ext := range []string{"STARTTLS", "AUTH", "SIZE", "8BITMIME", "SMTPUTF8", "PIPELINING"} {
		if ok, param := c.Extension(ext); ok {
			if ext == "AUTH" && param != "" {
				ext += " " + param
			}
			out = append(out, ext)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// tlsDetail describes a TLS connection to host whose certificate was
// verified (by crypto/tls, for host).
func tlsDetail(cs tls.ConnectionState, host string) string {
	return tls.VersionName(cs.Version) + ", certificate of " + host + " verified"
}

// isTLSError reports whether err comes from a TLS handshake.
func isTLSError(err error) bool {
	var (
		verify *tls.CertificateVerificationError
		alert  tls.AlertError
		record tls.RecordHeaderError
		host   x509.HostnameError
		auth   x509.UnknownAuthorityError
	)
	return errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &record) ||
		errors.As(err, &host) || errors.As(err, &auth)
}

// tlsHint says what a failed handshake most likely means.
func tlsHint(err error) string {
	var (
		host x509.HostnameError
		auth x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &host):
		return "the certificate is not for this host name: use the name the certificate has in mail.smtp.addr"
	case errors.As(err, &auth):
		return "the certificate is not signed by an authority this machine trusts"
	}
	return ""
}

// isReply reports whether err is a reply of the server.
func isReply(err error) bool {
	var reply *smtp.SMTPError
	return errors.As(err, &reply)
}
