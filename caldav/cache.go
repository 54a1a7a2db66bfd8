package caldav

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/recur"
)

// calCache is what rdv knows of one busy calendar: its objects, parsed, by
// href with their ETags; what the server said last about the whole
// collection (its sync-token or CTag); and the busy time of its objects
// over a span of time, expanded once and reused by every read inside it.
//
// A read never trusts it without a validation begun after the read began
// (see validation): a request that asks the server whether anything
// changed since, and fetches what did. All its fields are guarded by mu;
// network requests are made without holding it.
type calCache struct {
	info CalendarInfo

	mu sync.Mutex

	// What the server said last (see sync.go).
	mode    syncMode
	ctag    string
	token   string
	noSync  bool                     // the server refused sync-collection
	objects map[string]*cachedObject // by unescaped path

	// Validations: the one under way, and the one queued to begin when it
	// ends, which every read that arrives meanwhile waits for.
	flight, next *flight
	failing      bool        // the last validation failed
	failures     int         // validations failed in a row
	failingSince time.Time   // when the first of them ended; zero if none
	checkFailing atomic.Bool // the last Check of this calendar failed

	// The memo: busy time of every object over [from, to), sorted by start
	// (nil when an object changed), and the longest interval in it.
	from, to time.Time
	merged   []booking.BusyInterval
	longest  time.Duration
}

// cachedObject is one calendar object of a calCache.
type cachedObject struct {
	href string // as the server wrote it, for requests
	etag string // "" when unknown: any validation refetches the object
	// fixed objects (no RRULE, no RDATE) have the same busy time whatever
	// the window: busy holds all of it, and the object itself is dropped.
	// The others keep cal, and busy holds their busy time over the memo's
	// span when expanded is set.
	fixed    bool
	busy     []booking.BusyInterval
	cal      *ical.Calendar
	expanded bool
	// event is set for one of rdv's booking events (see bookingEvent).
	event *booking.BookingEvent
}

// flight is one validation of a calCache: it runs in its own goroutine,
// and the reads that rely on it wait for done.
type flight struct {
	done chan struct{}
	err  error // set before done is closed
}

func newCalCache(info CalendarInfo) *calCache {
	return &calCache{info: info, objects: map[string]*cachedObject{}}
}

// cacheKey returns the key of an href: its unescaped path.
func (c *Calendar) cacheKey(href string) string {
	p := c.conn.resolve(href).EscapedPath()
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

// cacheOf returns the cache of the calendar that holds the object at href,
// or nil.
func (c *Calendar) cacheOf(key string) *calCache {
	for _, cc := range c.caches {
		dir := cc.info.Path
		if u, err := url.PathUnescape(dir); err == nil {
			dir = u
		}
		if strings.HasPrefix(key, dir) && len(key) > len(dir) {
			return cc
		}
	}
	return nil
}

// validation returns a validation of cc that begins after this call: a new
// one if none is under way, else the one queued to begin when the current
// one ends. Every read that arrives while a validation is under way so
// shares the next one: one validation at a time per calendar, however many
// reads, and each read sees every change made before it began, by rdv or
// by anyone else.
func (c *Calendar) validation(cc *calCache) *flight {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.flight == nil {
		f := &flight{done: make(chan struct{})}
		c.begin(cc, f)
		return f
	}
	if cc.next == nil {
		cc.next = &flight{done: make(chan struct{})}
	}
	return cc.next
}

// begin starts f. cc.mu is held.
func (c *Calendar) begin(cc *calCache, f *flight) {
	cc.flight = f
	go c.run(cc, f)
}

// finish ends f with err and starts the queued validation, if any.
func (c *Calendar) finish(cc *calCache, f *flight, err error) {
	cc.mu.Lock()
	f.err = err
	cc.flight = nil
	if n := cc.next; n != nil {
		cc.next = nil
		c.begin(cc, n)
	}
	recovered := err == nil && cc.failing
	failed := err != nil
	cc.failing = failed
	if failed {
		if cc.failures == 0 {
			cc.failingSince = c.now()
		}
		cc.failures++
	} else {
		cc.failures, cc.failingSince = 0, time.Time{}
	}
	cc.mu.Unlock()
	close(f.done)
	switch {
	case failed:
		// The cause names the request and the status, never the content.
		c.log.Warn("caldav: calendar unreadable", "calendar", cc.info.Path, "err", err)
	case recovered:
		c.log.Info("caldav: calendar readable again", "calendar", cc.info.Path)
	}
}

// wrote records that rdv stored obj at href, with this ETag ("" if the
// server gave none: the next validation fetches it), so that the next
// validation need not fetch it. Correctness does not depend on it: every
// read validates the cache with requests sent after it began, and a
// validation that began before this write and ends after it may undo it,
// but leaves validators older than the write, so the next one fetches it
// again.
func (c *Calendar) wrote(href string, obj *ical.Calendar, etag string) {
	key := c.cacheKey(href)
	if cc := c.cacheOf(key); cc != nil {
		o := c.newObject(cc, href, etag, obj)
		cc.mu.Lock()
		cc.objects[key] = o
		cc.merged = nil
		cc.mu.Unlock()
	}
}

// removed records that rdv removed the object at href (or found it gone).
func (c *Calendar) removed(href string) {
	key := c.cacheKey(href)
	if cc := c.cacheOf(key); cc != nil {
		cc.mu.Lock()
		if _, ok := cc.objects[key]; ok {
			delete(cc.objects, key)
			cc.merged = nil
		}
		cc.mu.Unlock()
	}
}

// newObject makes the cached form of a calendar object. An object that
// cannot be expanded in full is logged and kept with what could be read:
// the rest of its time is free, like that of an object that cannot be
// parsed (see build).
func (c *Calendar) newObject(cc *calCache, href, etag string, cal *ical.Calendar) *cachedObject {
	o := &cachedObject{href: href, etag: etag, fixed: !recurs(cal)}
	if !o.fixed {
		o.cal = cal
		return o
	}
	inst := c.instances(cc.info, href, cal, farPast, farFuture)
	o.busy = c.timeOf(cc, inst) // busy time, or open time for the availability calendar
	if cc.info.Path == c.bookings.Path {
		o.event = bookingEvent(inst, booking.EventRef{Href: href, ETag: etag})
	}
	return o
}

// instances expands an object over [from, to). What cannot be expanded is
// logged and counted (see skip), a panic included: a hostile object must
// not bring the service down.
func (c *Calendar) instances(cal CalendarInfo, href string, obj *ical.Calendar, from, to time.Time) (inst []recur.Instance) {
	defer func() {
		if r := recover(); r != nil {
			c.skip(cal, href, fmt.Errorf("caldav: expansion failed: %v", r))
			inst = nil
		}
	}()
	inst, err := c.exp.Instances(obj, from, to)
	if err != nil {
		c.skip(cal, href, err)
	}
	return inst
}

// busyOf returns the busy time of instances, with the booking each
// belongs to.
func busyOf(inst []recur.Instance) []booking.BusyInterval {
	n := 0
	for _, in := range inst {
		if in.Busy {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]booking.BusyInterval, 0, n)
	for _, in := range inst {
		if in.Busy {
			id, typ := bookingOf(in.Event)
			out = append(out, booking.BusyInterval{Interval: booking.Interval{Start: in.Start, End: in.End}, Booking: id, Type: typ})
		}
	}
	return out
}

// farPast and farFuture bound the expansion of an object that does not
// recur: all of its busy time.
var (
	farPast   = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// recurs reports whether a VEVENT of cal has an RRULE or an RDATE, so that
// its busy time must be computed for a window.
func recurs(cal *ical.Calendar) bool {
	for _, ev := range cal.Children {
		if ev.Name == ical.CompEvent && (len(ev.Props[ical.PropRecurrenceRule]) > 0 || len(ev.Props[ical.PropRecurrenceDates]) > 0) {
			return true
		}
	}
	return false
}

// Memo spans: a span is the window asked for, widened by memoMargin on each
// side, joined to the previous span when they overlap and the whole stays
// under memoMaxSpan. So the windows of successive slot queries, which move
// with the clock, and the days a booking re-reads fall in one span, and the
// recurring events are expanded again only when an object changes or a
// window leaves the span.
const (
	memoMargin  = 7 * 24 * time.Hour
	memoMaxSpan = 3 * 366 * 24 * time.Hour
)

// cachedBusy appends to out the busy time of cc that overlaps [from, to),
// from the memo, which it first brings up to date.
func (c *Calendar) cachedBusy(cc *calCache, from, to time.Time, out []booking.BusyInterval) []booking.BusyInterval {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if from.Before(cc.from) || to.After(cc.to) || cc.to.IsZero() {
		nf, nt := from.Add(-memoMargin), to.Add(memoMargin)
		if !cc.to.IsZero() && !nf.After(cc.to) && !nt.Before(cc.from) {
			u := booking.Interval{Start: nf, End: nt}.Cover(booking.Interval{Start: cc.from, End: cc.to})
			if u.End.Sub(u.Start) <= memoMaxSpan {
				nf, nt = u.Start, u.End
			}
		}
		cc.from, cc.to = nf, nt
		for _, o := range cc.objects {
			o.expanded = false
		}
		cc.merged = nil
	}
	if cc.merged == nil {
		c.rebuild(cc)
	}
	m := cc.merged
	// The intervals that start in [from, to) all overlap the window; of
	// those that start before, only those that start after from − longest
	// may: an interval that starts earlier has ended before from.
	lo := sort.Search(len(m), func(i int) bool { return !m[i].Start.Before(from.Add(-cc.longest)) })
	mid := lo + sort.Search(len(m)-lo, func(i int) bool { return !m[lo+i].Start.Before(from) })
	hi := mid + sort.Search(len(m)-mid, func(i int) bool { return !m[mid+i].Start.Before(to) })
	out = slices.Grow(out, hi-lo)
	for _, iv := range m[lo:mid] {
		if overlaps(iv.Interval, from, to) {
			out = append(out, iv)
		}
	}
	return append(out, m[mid:hi]...)
}

// rebuild expands what needs it and merges the busy time of every object
// over the memo's span. cc.mu is held.
func (c *Calendar) rebuild(cc *calCache) {
	n := 0
	for _, o := range cc.objects {
		if !o.fixed && !o.expanded {
			o.busy, o.expanded = c.timeOf(cc, c.instances(cc.info, o.href, o.cal, cc.from, cc.to)), true
		}
		n += len(o.busy)
	}
	merged := make([]booking.BusyInterval, 0, n)
	var longest time.Duration
	for _, o := range cc.objects {
		for _, iv := range o.busy {
			if overlaps(iv.Interval, cc.from, cc.to) {
				merged = append(merged, iv)
				longest = max(longest, iv.End.Sub(iv.Start))
			}
		}
	}
	slices.SortFunc(merged, func(a, b booking.BusyInterval) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	cc.merged, cc.longest = merged, longest
}

// overlaps reports whether iv meets [from, to), like recur.Instances decides it:
// an interval without length must start inside.
func overlaps(iv booking.Interval, from, to time.Time) bool {
	if !iv.Start.Before(to) {
		return false
	}
	if iv.End.Equal(iv.Start) {
		return !iv.Start.Before(from)
	}
	return iv.End.After(from)
}
