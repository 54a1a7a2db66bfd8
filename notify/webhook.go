package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// Webhook deliveries follow Standard Webhooks 1.0
// (https://www.standardwebhooks.com/): a JSON body {type, timestamp, data}
// POSTed with the headers webhook-id, webhook-timestamp and
// webhook-signature, a symmetric HMAC-SHA256 signature ("v1") of
// "<id>.<timestamp>.<body>" with a secret serialized as "whsec_<base64>".
const (
	// WebhookTimeout bounds one request to one endpoint.
	WebhookTimeout = 5 * time.Second
	// webhookSecretPrefix marks a Standard Webhooks symmetric secret.
	webhookSecretPrefix = "whsec_"
	// MinWebhookSecret and MaxWebhookSecret bound the length of a secret,
	// in bytes once decoded (Standard Webhooks: 24 to 64).
	MinWebhookSecret = 24
	MaxWebhookSecret = 64
	// webhookReplyLimit is how much of a reply is read (then ignored).
	webhookReplyLimit = 4 << 10
)

// Webhook is an endpoint of the host's own that is told of every change of
// a booking. What it receives is health data (who sees which practitioner
// when, with their contact): it must be a system of the host, reached over
// HTTPS (plain HTTP is allowed to the loopback only).
type Webhook struct {
	// URL is where the events are POSTed: https://…, or http:// to
	// localhost, 127.0.0.0/8 or ::1.
	URL string
	// Secret signs the deliveries: "whsec_" followed by the base64 of 24 to
	// 64 random bytes (e.g. "whsec_" + `openssl rand -base64 32`), the
	// format of the Standard Webhooks libraries.
	Secret string
	// Events, if not empty, are the only event types sent to this endpoint
	// ("booking.created", "message.undelivered"…; see WebhookEvents). An
	// empty list means every event, not none: to stop an endpoint, remove
	// it from the configuration.
	Events []string
}

// WebhookEvents are the event types a Webhooks sends, one per notification
// kind: "booking.<kind>" for a booking's changes, "message.undelivered"
// when a message to the patient was given up; and the alerts (SendAlert):
// "calendar.unreadable" and "calendar.recovered", "sync.held" and
// "sync.resumed".
var WebhookEvents = []string{
	"booking.created", "booking.confirmed", "booking.rescheduled", "booking.cancelled",
	"booking.expired", "booking.link", "booking.reminder_sent", "message.undelivered",
	"calendar.unreadable", "calendar.recovered", "sync.held", "sync.resumed",
}

// WebhooksConfig configures a Webhooks.
type WebhooksConfig struct {
	Endpoints []Webhook
	// Client makes the requests (a host may route them through a filtering
	// proxy); http.DefaultTransport if nil. Whatever it is, redirects are
	// not followed and each request times out after WebhookTimeout.
	Client *http.Client
	// Now returns the current time; time.Now if nil.
	Now func() time.Time
}

// Webhooks tells the host's endpoints of each change of a booking, and of
// each message to a patient that was given up. It implements
// booking.Notifier for the notifications whose Recipient is
// booking.RecipientWebhook, and is safe for concurrent use.
//
// One notification is POSTed to every endpoint that wants its event; if any
// of them fails for a reason that may pass, the whole notification is tried
// again later, by the outbox, and the endpoints that had it get it again:
// with the same webhook-id, by which receivers recognise it (a retry is
// signed anew, with the time of its attempt in webhook-timestamp).
type Webhooks struct {
	endpoints []endpoint
	client    *http.Client
	now       func() time.Time
}

type endpoint struct {
	url    string
	host   string // for errors: the URL's path and query may hold a token
	key    []byte
	events map[string]bool // nil: every event
}

var _ booking.Notifier = (*Webhooks)(nil)

// NewWebhooks checks cfg and returns a Webhooks. EInvalid for an endpoint
// whose URL, secret or events can't be used; errors name the endpoint by
// its position and host.
func NewWebhooks(cfg WebhooksConfig) (*Webhooks, error) {
	w := &Webhooks{now: cfg.Now}
	if w.now == nil {
		w.now = time.Now
	}
	var c http.Client
	if cfg.Client != nil {
		c = *cfg.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if c.Timeout == 0 || c.Timeout > WebhookTimeout {
		c.Timeout = WebhookTimeout
	}
	w.client = &c
	for i, e := range cfg.Endpoints {
		u, err := url.Parse(e.URL)
		if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, booking.Errorf(booking.EInvalid, "notify: webhook #%d: the URL must be an absolute https URL, without user or fragment", i+1)
		}
		if u.Scheme == "http" && !loopback(u.Hostname()) {
			return nil, booking.Errorf(booking.EInvalid, "notify: webhook #%d (%s): plain http is allowed to the loopback only: the events carry health data, use https", i+1, u.Host)
		}
		key, err := webhookKey(e.Secret)
		if err != nil {
			return nil, booking.WrapError(booking.EInvalid, err, fmt.Sprintf("notify: webhook #%d (%s): unusable secret", i+1, u.Host))
		}
		ep := endpoint{url: u.String(), host: u.Host, key: key}
		for _, ev := range e.Events {
			if !slices.Contains(WebhookEvents, ev) {
				return nil, booking.Errorf(booking.EInvalid, "notify: webhook #%d (%s): unknown event %q (want one of %s)", i+1, u.Host, ev, strings.Join(WebhookEvents, ", "))
			}
			if ep.events == nil {
				ep.events = map[string]bool{}
			}
			ep.events[ev] = true
		}
		w.endpoints = append(w.endpoints, ep)
	}
	if len(w.endpoints) == 0 {
		return nil, booking.Errorf(booking.EInvalid, "notify: no webhook endpoint")
	}
	return w, nil
}

// webhookKey decodes a "whsec_<base64>" secret. Its error never holds the
// secret.
func webhookKey(secret string) ([]byte, error) {
	s, ok := strings.CutPrefix(secret, webhookSecretPrefix)
	if !ok {
		return nil, errors.New("notify: a webhook secret starts with whsec_ (whsec_ then the base64 of 24 to 64 random bytes)")
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("notify: a webhook secret is whsec_ then standard base64")
	}
	if len(key) < MinWebhookSecret || len(key) > MaxWebhookSecret {
		return nil, fmt.Errorf("notify: a webhook secret holds %d to %d bytes, not %d", MinWebhookSecret, MaxWebhookSecret, len(key))
	}
	return key, nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Count returns how many endpoints w calls.
func (w *Webhooks) Count() int { return len(w.endpoints) }

// Hosts returns the host of each endpoint, in order, for a host to list
// them (rdv check).
func (w *Webhooks) Hosts() []string {
	out := make([]string, len(w.endpoints))
	for i, e := range w.endpoints {
		out[i] = e.host
	}
	return out
}

// Notify POSTs the event of n to every endpoint that wants it. Errors name
// endpoints by position and host, never the payload. Each endpoint's
// reply decides: 2xx, delivered; 4xx but 408 and 429, refused for good;
// anything else (3xx, 408, 429, 5xx, no answer in WebhookTimeout) may pass.
// Notify returns an EUnavailable error if an endpoint's failure may pass
// (the outbox tries again later), else an EInvalid error if one refused it
// for good (given up), else nil. A notification that isn't for the
// webhooks, or can't be described, is an EInternal error.
func (w *Webhooks) Notify(ctx context.Context, n booking.Notification) error {
	if n.Recipient != booking.RecipientWebhook {
		return booking.Errorf(booking.EInternal, "notify: the webhooks are not for %q messages", n.Recipient)
	}
	typ, body, err := webhookPayload(n)
	if err != nil {
		return err
	}
	if n.ID == "" || strings.ContainsAny(n.ID, ". \r\n") {
		return booking.Errorf(booking.EInternal, "notify: booking %s: webhook message without a usable id", n.Appointment.Booking.ID)
	}
	var temporary, permanent []error
	for i, e := range w.endpoints {
		if e.events != nil && !e.events[typ] {
			continue
		}
		if err := w.post(ctx, e, n.ID, body); err != nil {
			err = fmt.Errorf("notify: %s of booking %s to webhook #%d (%s): %w", typ, n.Appointment.Booking.ID, i+1, e.host, err)
			if booking.ErrorCode(err) == booking.EInvalid {
				permanent = append(permanent, err)
			} else {
				temporary = append(temporary, err)
			}
		}
	}
	switch {
	case len(temporary) > 0:
		return booking.WrapError(booking.EUnavailable, errors.Join(append(temporary, permanent...)...), "notify: a webhook endpoint can't be reached")
	case len(permanent) > 0:
		return booking.WrapError(booking.EInvalid, errors.Join(permanent...), "notify: a webhook endpoint refused the event")
	}
	return nil
}

// post sends one signed delivery of body to e.
func (w *Webhooks) post(ctx context.Context, e endpoint, id string, body []byte) error {
	ts := strconv.FormatInt(w.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return booking.WrapError(booking.EInternal, err, "request can't be built")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "rdv-webhooks")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", sign(e.key, id, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		// No detail of the transport: it may quote the URL.
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return booking.Errorf(booking.EUnavailable, "no answer in time")
		}
		return booking.Errorf(booking.EUnavailable, "can't be reached")
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, webhookReplyLimit))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 400 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests:
		return booking.Errorf(booking.EInvalid, "status %d", c)
	default:
		return booking.Errorf(booking.EUnavailable, "status %d", c)
	}
}

// sign returns the webhook-signature of a delivery (Standard Webhooks,
// symmetric): "v1," and the base64 of HMAC-SHA256(key, id.timestamp.body).
func sign(key []byte, id, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
