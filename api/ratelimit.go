package api

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a token bucket: up to Burst requests at once, then one every
// Every. A Burst below 0 turns the limit off.
type Rate struct {
	Every time.Duration
	Burst int
}

// RateLimits are the per-client limits of the endpoints a stranger can
// reach. A client is an IP address, or its /64 network for IPv6 (one host
// gets a whole /64). Their state is in memory, per replica: with n replicas
// behind a balancer, a client may get up to n times as much. The business
// limits of booking.Limits, kept in the store, are shared. A zero field
// takes its default. See docs/limits.md.
type RateLimits struct {
	// Book: POST /v1/bookings and the booking form. DefaultBookRate if zero.
	Book Rate
	// Change: confirm, cancel and reschedule, from the API and the forms.
	// DefaultChangeRate if zero.
	Change Rate
	// Lookup: reading a booking by its manage token (GET /v1/bookings/{token},
	// GET /manage/{token}) and fetching a proof-of-work challenge.
	// DefaultLookupRate if zero.
	Lookup Rate
	// Read: slots, practitioners and the slots page. DefaultReadRate if zero.
	Read Rate
	// MaxClients bounds the clients remembered per kind of request; when
	// it is reached the least recently seen half is forgotten (they start
	// again with a full bucket). DefaultMaxClients if 0.
	MaxClients int
	// TrustedProxies are the reverse proxies whose ForwardedHeader names
	// the client. Empty (the default): the client is the peer of the
	// connection, and the header is ignored, since anyone can send it.
	TrustedProxies []netip.Prefix
	// ForwardedHeader is the header the trusted proxies write:
	// "X-Forwarded-For" (the default; nginx, Caddy, Traefik) or "Forwarded"
	// (RFC 7239). Only that one is read: a proxy passes the other through
	// as the client sent it, and a client could then choose its own key.
	ForwardedHeader string
}

// Default rates.
var (
	DefaultBookRate   = Rate{Every: 5 * time.Minute, Burst: 5}
	DefaultChangeRate = Rate{Every: time.Minute, Burst: 10}
	DefaultLookupRate = Rate{Every: 6 * time.Second, Burst: 30}
	DefaultReadRate   = Rate{Every: 250 * time.Millisecond, Burst: 120}
)

// DefaultMaxClients is RateLimits.MaxClients when it is 0.
const DefaultMaxClients = 10000

// The kinds of requests that have a rate each.
const (
	classNone = iota
	classBook
	classChange
	classLookup
	classRead
	nClasses
)

var classNames = [nClasses]string{"", "book", "change", "lookup", "read"}

// limiter holds a bucket per client for each class of request.
type limiter struct {
	tables    [nClasses]*clientTable
	proxies   []netip.Prefix
	forwarded bool // read Forwarded, not X-Forwarded-For
}

func newLimiter(cfg RateLimits) *limiter {
	rates := [nClasses]Rate{classBook: cfg.Book, classChange: cfg.Change, classLookup: cfg.Lookup, classRead: cfg.Read}
	defaults := [nClasses]Rate{classBook: DefaultBookRate, classChange: DefaultChangeRate, classLookup: DefaultLookupRate, classRead: DefaultReadRate}
	maxClients := cfg.MaxClients
	if maxClients <= 0 {
		maxClients = DefaultMaxClients
	}
	l := &limiter{proxies: cfg.TrustedProxies, forwarded: strings.EqualFold(cfg.ForwardedHeader, "Forwarded")}
	for c := classBook; c < nClasses; c++ {
		r := rates[c]
		if r == (Rate{}) {
			r = defaults[c]
		}
		if r.Burst < 0 {
			continue
		}
		lim := rate.Inf
		if r.Every > 0 {
			lim = rate.Every(r.Every)
		}
		l.tables[c] = &clientTable{limit: lim, burst: max(r.Burst, 1), max: maxClients, cur: map[netip.Prefix]*rate.Limiter{}}
	}
	return l
}

// classify returns the class of r by its method and path.
func classify(r *http.Request) int {
	p := r.URL.Path
	switch r.Method {
	case http.MethodPost:
		switch {
		case p == "/v1/bookings" || p == "/book" || p == "/v1/waitlist" ||
			((strings.HasPrefix(p, "/p/") || strings.HasPrefix(p, "/s/")) && strings.HasSuffix(p, "/waitlist")):
			return classBook
		case strings.HasPrefix(p, "/v1/bookings/") || strings.HasPrefix(p, "/manage/") ||
			strings.HasPrefix(p, "/v1/waitlist/") || strings.HasPrefix(p, "/waitlist/"):
			return classChange
		}
	case http.MethodGet, http.MethodHead:
		switch {
		case strings.HasPrefix(p, "/v1/bookings/") || strings.HasPrefix(p, "/manage/") || p == "/v1/challenge" ||
			strings.HasPrefix(p, "/waitlist/"):
			return classLookup
		case strings.HasPrefix(p, "/v1/practitioners") || strings.HasPrefix(p, "/v1/shared") || p == "/" ||
			strings.HasPrefix(p, "/p/") || strings.HasPrefix(p, "/s/") || p == "/book":
			return classRead
		}
	}
	return classNone
}

// allow takes a token of r's class for r's client. It returns 0 if the
// request may go on, or how long the client should wait.
func (l *limiter) allow(r *http.Request, now time.Time) (class int, wait time.Duration) {
	class = classify(r)
	t := l.tables[class]
	if t == nil {
		return class, 0
	}
	client, ok := l.client(r)
	if !ok {
		return class, 0
	}
	res := t.get(client).ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return class, d
	}
	return class, 0
}

// client returns the network of r's client: its address, or its /64 for
// IPv6. Behind a trusted proxy it is read from Forwarded or
// X-Forwarded-For: the right-most address that is not a trusted proxy.
func (l *limiter) client(r *http.Request) (netip.Prefix, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Prefix{}, false
	}
	addr := ap.Addr().Unmap()
	if l.trusted(addr) {
		if hops := forwardedFor(r.Header, l.forwarded); len(hops) > 0 {
			addr = hops[0]
			for i := len(hops) - 1; i >= 0; i-- {
				if !l.trusted(hops[i]) {
					addr = hops[i]
					break
				}
			}
		}
	}
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, err := addr.Prefix(bits)
	return p, err == nil
}

func (l *limiter) trusted(a netip.Addr) bool {
	for _, p := range l.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor returns the addresses of the Forwarded header's for=
// parameters (RFC 7239) when forwarded is set, else of X-Forwarded-For, in
// order; obfuscated identifiers and unparsable ones are left out.
func forwardedFor(h http.Header, forwarded bool) []netip.Addr {
	var out []netip.Addr
	if forwarded {
		for _, line := range h.Values("Forwarded") {
			for elem := range strings.SplitSeq(line, ",") {
				for pair := range strings.SplitSeq(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if !ok || !strings.EqualFold(k, "for") {
						continue
					}
					if a, ok := parseHop(strings.Trim(v, `"`)); ok {
						out = append(out, a)
					}
				}
			}
		}
		return out
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for v := range strings.SplitSeq(line, ",") {
			if a, ok := parseHop(strings.TrimSpace(v)); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

// parseHop reads an address as proxies write it: 192.0.2.1, 192.0.2.1:4711,
// 2001:db8::1 or [2001:db8::1]:4711.
func parseHop(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err == nil
}

// clientTable is the buckets of one class, at most about max of them: two
// generations of maps, the older dropped when the newer fills half of max.
type clientTable struct {
	limit rate.Limit
	burst int
	max   int

	mu        sync.Mutex
	cur, prev map[netip.Prefix]*rate.Limiter
}

func (t *clientTable) get(client netip.Prefix) *rate.Limiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l := t.cur[client]; l != nil {
		return l
	}
	l := t.prev[client]
	if l == nil {
		l = rate.NewLimiter(t.limit, t.burst)
	}
	if len(t.cur) >= max(t.max/2, 1) {
		t.prev, t.cur = t.cur, make(map[netip.Prefix]*rate.Limiter, len(t.cur))
	}
	t.cur[client] = l
	return l
}

// len returns how many clients t remembers.
func (t *clientTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.cur) + len(t.prev)
}

// retryAfter is the value of a Retry-After header for a wait of d: whole
// seconds, rounded up.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
