package caldav

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/recur"
)

// Config says where the practitioner's calendars are.
type Config struct {
	// URL is the server's base URL (https://cloud.example.org), its CalDAV
	// root (https://cloud.example.org/remote.php/dav/) or the URL of one
	// calendar collection, which then is the bookings calendar.
	URL                string
	Username, Password string
	// BookingsCalendar is the calendar where booking events are written: its
	// display name, the last segment of its path, or its path. It may be empty
	// when URL is a calendar or when the account has a single calendar.
	BookingsCalendar string
	// BusyCalendars are the calendars whose events make the practitioner
	// busy, named like BookingsCalendar. The bookings calendar always counts.
	BusyCalendars []string
	// Location is the practitioner's zone, in which floating times and
	// all-day events are read. Default: UTC.
	Location *time.Location
	// Self are the practitioner's calendar user addresses (mailto: or bare
	// email addresses): an invitation in which one of them has
	// PARTSTAT=DECLINED makes no time busy.
	Self []string
	// HTTPClient sends the requests. Its redirect policy is replaced (rdv
	// follows redirects itself, keeping the method). Default: a client with
	// http.DefaultTransport.
	HTTPClient *http.Client
	// Timeout bounds each request. Default: 10 seconds.
	Timeout time.Duration
	// BusyTimeout bounds a whole Busy or Events call: past it, the call
	// returns an EUnavailable error, while the validation it waited for
	// goes on (within three times Timeout) for the calls after it. Default:
	// Timeout.
	BusyTimeout time.Duration
	// Now is the clock for the DTSTAMP of written events. Default: time.Now.
	Now func() time.Time
	// Logger receives warnings about unreadable calendars (by path, with
	// the request and status that failed) and calendar objects (by href),
	// never their content. Default: slog.Default().
	Logger *slog.Logger
	// Availability names where the practitioner keeps open time on the
	// server: an availability calendar, working hours (see
	// AvailabilityConfig and Calendar.Availability).
	Availability AvailabilityConfig
	// Event makes the SUMMARY and DESCRIPTION of the booking events
	// written to the bookings calendar. Default (nil): ics's defaults,
	// which name a type's motive only when it discloses it.
	Event *ics.EventTemplate
	// Observe, if set, is told of every request sent (for metrics).
	Observe RequestObserver
}

// DefaultTimeout bounds each request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxBody bounds the size of a response body rdv reads.
const maxBody = 64 << 20

// CalendarInfo describes one calendar collection found on the server.
type CalendarInfo struct {
	Path string // absolute path of the collection, ending in "/"
	Name string // display name, "" if it has none
}

// String returns the display name, or the path if there is none.
func (c CalendarInfo) String() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Path
}

// Calendar is a practitioner's calendar account on a CalDAV server. It
// implements booking.Calendar and is safe for concurrent use. It keeps a
// cache of each busy calendar, validated before every read: see Busy.
type Calendar struct {
	conn     *conn
	loc      *time.Location
	now      func() time.Time
	log      *slog.Logger
	bookings CalendarInfo
	busy     []CalendarInfo // the bookings calendar first
	caches   []*calCache    // one per busy calendar, in the same order
	exp      recur.Expander
	decoder  recur.BusyDecoder // shares what the cached objects repeat: VTIMEZONEs, parameters
	broken   atomic.Int64
	avail    *availability // where open time is read; nil if nowhere (availability.go)
	event    *ics.EventTemplate
	// report, if set, receives what skip would log: the objects of a File
	// (file.go), whose errors go to the caller, not to a log.
	report func(href string, err error)

	busyTimeout   time.Duration // bounds a Busy or Events call
	flightTimeout time.Duration // bounds a validation
	stats         cacheCounts   // validations, by outcome (stats.go)
}

var _ booking.Calendar = (*Calendar)(nil)

// New connects to the server of cfg, finds the calendars it names and
// returns the Calendar. See the package documentation for the discovery.
// Errors are *booking.Error: EInvalid when the configuration cannot work
// (credentials refused, no such calendar, not a CalDAV server), EUnavailable
// when the server cannot be reached or fails.
func New(ctx context.Context, cfg Config) (*Calendar, error) {
	cn, err := newConn(cfg)
	if err != nil {
		return nil, err
	}
	c := &Calendar{conn: cn, loc: cfg.Location, now: cfg.Now, log: cfg.Logger, event: cfg.Event}
	if c.loc == nil {
		c.loc = time.UTC
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.exp = recur.Expander{Location: c.loc, Self: cfg.Self}
	c.busyTimeout = cfg.BusyTimeout
	if c.busyTimeout <= 0 {
		c.busyTimeout = cn.timeout
	}
	c.flightTimeout = max(3*cn.timeout, c.busyTimeout)
	if err := c.discover(ctx, cfg.BookingsCalendar, cfg.BusyCalendars); err != nil {
		return nil, err
	}
	c.caches = make([]*calCache, len(c.busy))
	for i, info := range c.busy {
		c.caches[i] = newCalCache(info)
	}
	if err := c.setupAvailability(ctx, cfg.Availability); err != nil {
		return nil, err
	}
	return c, nil
}

// Calendars returns the bookings calendar and the busy calendars (the
// bookings calendar first among them), as found by New.
func (c *Calendar) Calendars() (bookings CalendarInfo, busy []CalendarInfo) {
	return c.bookings, append([]CalendarInfo(nil), c.busy...)
}

// BookingsURL returns the URL of the bookings calendar (without
// credentials), for display.
func (c *Calendar) BookingsURL() string { return c.conn.resolve(c.bookings.Path).String() }

// BusyURLs returns the URLs of the busy calendars (without credentials),
// the bookings calendar first, for display.
func (c *Calendar) BusyURLs() []string {
	out := make([]string, len(c.busy))
	for i, cal := range c.busy {
		out[i] = c.conn.resolve(cal.Path).String()
	}
	return out
}

// BrokenObjects returns how many times since c was made a calendar object
// was skipped or read only in part, because it could not be parsed or
// expanded: once per version of an object when it is read, and again when
// a recurring one is expanded for a new span of time.
func (c *Calendar) BrokenObjects() int64 { return c.broken.Load() }

// Check reports whether every busy calendar of c, and the sources of open
// time (see Availability), can be read now, for readiness probes and `rdv
// check`: one PROPFIND (Depth: 0) per calendar or source, sent in parallel,
// each bounded by Config.Timeout and ctx. It neither uses
// nor fills the cache. Errors are like those of Busy. A calendar that starts
// or stops failing its check is logged (once, not at every probe).
func (c *Calendar) Check(ctx context.Context) error {
	errs := make([]error, len(c.busy))
	var wg sync.WaitGroup
	for i, cal := range c.busy {
		wg.Go(func() { errs[i] = c.check(ctx, cal) })
	}
	var availErr error // availability.go
	wg.Go(func() { availErr = c.checkAvailability(ctx) })
	wg.Wait()
	for i, err := range errs {
		cc := c.caches[i]
		switch {
		case err != nil && !cc.checkFailing.Swap(true):
			c.log.Warn("caldav: calendar check fails", "calendar", cc.info.Path, "err", err)
		case err == nil && cc.checkFailing.Swap(false):
			c.log.Info("caldav: calendar check passes again", "calendar", cc.info.Path)
		}
	}
	return errors.Join(append(errs, availErr)...)
}

func (c *Calendar) check(ctx context.Context, cal CalendarInfo) error {
	u := c.conn.resolve(cal.Path)
	ms, err := c.conn.propfind(ctx, u, "0", propfindSet{ResourceType: &empty{}})
	if err != nil {
		return c.conn.opError(err, false)
	}
	if len(ms.Responses) == 0 || !ms.Responses[0].props().isCalendar() {
		return booking.WrapError(booking.EUnavailable, fmt.Errorf("caldav: %s is no longer a calendar", u.Redacted()),
			fmt.Sprintf("caldav: calendar %q is no longer there", cal.String()))
	}
	return nil
}

// conn sends requests to one server with one account.
type conn struct {
	http       *http.Client
	base       *url.URL
	user, pass string
	timeout    time.Duration
	observe    RequestObserver // nil if none
}

func newConn(cfg Config) (*conn, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, booking.Errorf(booking.EInvalid, "caldav: the calendar URL must be an http or https URL")
	}
	c := &conn{user: cfg.Username, pass: cfg.Password, timeout: cfg.Timeout, observe: cfg.Observe}
	if u.User != nil {
		// Credentials in the URL: use them, and keep them out of every URL
		// that could reach a log.
		if c.user == "" {
			c.user = u.User.Username()
			c.pass, _ = u.User.Password()
		}
		u.User = nil
	}
	if u.Path == "" {
		u.Path = "/"
	}
	c.base = u
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	hc := http.Client{}
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &hc
	return c, nil
}

// resolve returns the URL of a path or href on the server.
func (c *conn) resolve(ref string) *url.URL {
	r, err := url.Parse(ref)
	if err != nil {
		r = &url.URL{Path: ref}
	}
	u := c.base.ResolveReference(r)
	u.User = nil
	return u
}

// statusError is an HTTP answer rdv did not want. Its text names the
// request, never the credentials.
type statusError struct {
	Method string
	URL    string
	Code   int
	Body   []byte // the start of the answer of a PROPFIND or REPORT, for preconditions; not in the text
}

func (e *statusError) Error() string {
	return fmt.Sprintf("caldav: %s %s: %d %s", e.Method, e.URL, e.Code, http.StatusText(e.Code))
}

// transportError is a failure to get an answer at all.
type transportError struct {
	Method string
	URL    string
	Err    error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("caldav: %s %s: %v", e.Method, e.URL, e.Err)
}

func (e *transportError) Unwrap() error { return e.Err }

// maxRedirects bounds the redirects followed for one request.
const maxRedirects = 5

// do sends one request, following redirects itself with the same method and
// body (PROPFIND must stay PROPFIND) and sending the credentials only to the
// server of the configured URL. The response's status is not checked; its
// body must be closed. Each request, redirects included, has c.timeout.
func (c *conn) do(ctx context.Context, method string, u *url.URL, hdr http.Header, body []byte) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	for range maxRedirects + 1 {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
		if err != nil {
			cancel()
			return nil, &transportError{method, u.Redacted(), err}
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		if c.user != "" && u.Host == c.base.Host && u.Scheme == c.base.Scheme {
			req.SetBasicAuth(c.user, c.pass)
		}
		start := time.Now()
		resp, err := c.http.Do(req)
		if c.observe != nil {
			status := 0
			if err == nil {
				status = resp.StatusCode
			}
			c.observe(method, status, time.Since(start))
		}
		if err != nil {
			cancel()
			return nil, &transportError{method, u.Redacted(), err}
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
			http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			loc, err := resp.Location()
			drain(resp)
			if err != nil {
				cancel()
				return nil, &statusError{method, u.Redacted(), resp.StatusCode, nil}
			}
			if u.Scheme == "https" && loc.Scheme != "https" {
				cancel()
				return nil, &transportError{method, u.Redacted(), errors.New("refusing a redirect from https to http")}
			}
			loc.User = nil
			u = loc
			continue
		}
		resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
	cancel()
	return nil, &transportError{method, u.Redacted(), errors.New("too many redirects")}
}

// cancelBody releases a request's context when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// drain reads a little of an unwanted body, so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// readBody reads a whole body, up to maxBody, and closes it.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, &transportError{resp.Request.Method, resp.Request.URL.Redacted(), err}
	}
	if len(b) > maxBody {
		return nil, &transportError{resp.Request.Method, resp.Request.URL.Redacted(), fmt.Errorf("answer larger than %d bytes", maxBody)}
	}
	return b, nil
}

// opError turns a failure of a request into a *booking.Error. During setup
// (New), credentials refused or a missing resource are configuration
// problems (EInvalid); afterwards everything the server does wrong makes the
// calendar unavailable.
func (c *conn) opError(err error, setup bool) error {
	var be *booking.Error
	if errors.As(err, &be) {
		return err
	}
	var se *statusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden:
			code := booking.EUnavailable
			if setup {
				code = booking.EInvalid
			}
			return booking.WrapError(code, err, fmt.Sprintf("caldav: the calendar server refused the credentials (HTTP %d)", se.Code))
		case se.Code >= 500:
			return booking.WrapError(booking.EUnavailable, err, fmt.Sprintf("caldav: the calendar server failed (HTTP %d)", se.Code))
		case setup:
			return booking.WrapError(booking.EInvalid, err, fmt.Sprintf("caldav: the calendar server answered HTTP %d %s", se.Code, http.StatusText(se.Code)))
		default:
			return booking.WrapError(booking.EUnavailable, err, fmt.Sprintf("caldav: unexpected answer from the calendar server (HTTP %d)", se.Code))
		}
	}
	return booking.WrapError(booking.EUnavailable, err, transportMessage(err))
}

// transportMessage says in a few words why a server could not be reached.
func transportMessage(err error) string {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "caldav: the calendar server did not answer in time"
	case errors.Is(err, context.Canceled):
		return "caldav: the request to the calendar server was cancelled"
	case errors.Is(err, errMalformed):
		return "caldav: the calendar server sent an answer rdv cannot read"
	case errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr):
		return "caldav: the calendar server's TLS certificate was not accepted"
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "caldav: TLS handshake with the calendar server failed (is it serving plain HTTP?)"
	case errors.As(err, &dnsErr):
		return "caldav: the calendar server's name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "caldav: the calendar server refused the connection"
	}
	return "caldav: the calendar server cannot be reached"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// propfind sends a PROPFIND and parses its 207 answer. Any other status is
// a *statusError.
func (c *conn) propfind(ctx context.Context, u *url.URL, depth string, set propfindSet) (*multistatus, error) {
	return c.multistatus(ctx, "PROPFIND", u, depth, propfindBody(set))
}

// multistatus sends a PROPFIND or REPORT and parses its 207 answer.
func (c *conn) multistatus(ctx context.Context, method string, u *url.URL, depth string, body []byte) (*multistatus, error) {
	var ms multistatus
	if err := c.xmlRequest(ctx, method, u, depth, body, &ms); err != nil {
		return nil, err
	}
	return &ms, nil
}

// errMalformed marks an answer that is not what its status promised.
var errMalformed = errors.New("malformed answer")

// xmlRequest sends a PROPFIND or REPORT and decodes its 207 answer into v,
// a pointer to a struct. Any other status is a *statusError, with the start
// of the body (where a server says which precondition failed, RFC 4918
// section 16); a body that is not XML is a *transportError wrapping
// errMalformed.
//
// Servers put calendar objects inside their answers byte for byte, so one
// object whose bytes are odd (a character split by a fold, Latin-1 text, a
// NUL byte) would make the whole answer invalid XML. Those bytes are
// repaired in place first (see recur.RepairXML), so that the answer is read and
// every other object with it. The repair costs nothing for an answer that
// is valid: it runs only when the body is not UTF-8, or when the XML
// decoder rejects it.
func (c *conn) xmlRequest(ctx context.Context, method string, u *url.URL, depth string, body []byte, v any) error {
	hdr := http.Header{"Content-Type": {`application/xml; charset="utf-8"`}}
	if depth != "" {
		hdr.Set("Depth", depth)
	}
	resp, err := c.do(ctx, method, u, hdr, body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusMultiStatus {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		drain(resp)
		return &statusError{method, resp.Request.URL.Redacted(), resp.StatusCode, head}
	}
	data, err := readBody(resp)
	if err != nil {
		return err
	}
	if err := decodeXML(data, v); err != nil {
		return &transportError{method, resp.Request.URL.Redacted(), fmt.Errorf("%w: multistatus: %v", errMalformed, err)}
	}
	return nil
}

// decodeXML decodes an XML answer into v, a pointer to a struct, repairing
// its odd bytes first if it is not UTF-8, or if the XML decoder rejects it
// (a character XML 1.0 forbids, in valid UTF-8).
func decodeXML(data []byte, v any) error {
	repaired := false
	if !utf8.Valid(data) {
		data, repaired = recur.RepairXML(data)
	}
	err := xml.Unmarshal(data, v)
	if _, syntax := err.(*xml.SyntaxError); syntax && !repaired {
		if data, repaired = recur.RepairXML(data); repaired {
			reflect.ValueOf(v).Elem().SetZero() // Unmarshal appends to slices
			err = xml.Unmarshal(data, v)
		}
	}
	return err
}
