package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
)

// syncMode is how a calendar's cache is validated, chosen from what the
// server offers when the cache is first loaded.
type syncMode int

const (
	// modeLoad: nothing is known. A PROPFIND (Depth: 0) reads the
	// collection's sync-token and CTag, then a calendar-query without a time
	// range reads every object with a VEVENT: two requests.
	modeLoad syncMode = iota
	// modeSync: a sync-collection REPORT (RFC 6578) from the last token
	// names what changed and what was removed since, with the data of
	// what changed: one request, a small one when nothing changed, and a
	// calendar-multiget for changed objects whose data it did not give.
	modeSync
	// modeCTag: a PROPFIND (Depth: 0) of the CalendarServer extension's
	// getctag, which changes whenever an object does: one small request
	// when nothing changed; else the ETags of all objects (PROPFIND, Depth:
	// 1) and a calendar-multiget of those that changed.
	modeCTag
	// modeETags: the server has neither: the ETags of all objects, and a
	// calendar-multiget of those that changed. One request when nothing
	// changed, but its size grows with the calendar.
	modeETags
)

func (m syncMode) String() string {
	return [...]string{"load", "sync-collection", "getctag", "etags"}[m]
}

// Limits of one validation.
const (
	maxSyncPages    = 50  // sync-collection answers truncated with 507 that are followed
	multigetBatch   = 200 // hrefs per calendar-multiget
	parallelParsing = 64  // objects from which parsing is spread over the CPUs
)

var (
	// errSyncRefused: the server refuses sync-collection on this calendar;
	// the cache falls back on getctag or ETags for good.
	errSyncRefused = errors.New("caldav: the server refuses sync-collection")
	// errTokenInvalid: the server no longer knows the sync-token (RFC 6578
	// section 3.2, DAV:valid-sync-token); the cache loads the calendar again.
	errTokenInvalid = errors.New("caldav: the server no longer knows the sync-token")
)

// snapshot is the state of a cache a validation starts from.
type snapshot struct {
	mode        syncMode
	ctag, token string
	noSync      bool
}

// delta is what a validation found, applied to the cache by apply.
type delta struct {
	mode        syncMode
	ctag, token string
	noSync      bool
	objects     map[string]*cachedObject // new or changed objects, by key
	removed     []string                 // keys
}

// fetched is a calendar object as the server sent it.
type fetched struct {
	key, href, etag, data string
}

// run validates cc and ends f. The validation has its own deadline,
// flightTimeout, so that the reads waiting for it may give up (each at its
// own deadline) while it completes for the next ones.
func (c *Calendar) run(cc *calCache, f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), c.flightTimeout)
	defer cancel()
	changed, err := c.refresh(ctx, cc)
	if err != nil {
		err = c.conn.opError(err, false)
	}
	switch {
	case err != nil:
		c.stats.failed.Add(1)
	case changed:
		c.stats.changed.Add(1)
	default:
		c.stats.unchanged.Add(1)
	}
	c.finish(cc, f, err)
}

// refresh validates cc by the means of its mode and applies what changed;
// it reports whether anything did.
func (c *Calendar) refresh(ctx context.Context, cc *calCache) (bool, error) {
	cc.mu.Lock()
	s := snapshot{mode: cc.mode, ctag: cc.ctag, token: cc.token, noSync: cc.noSync}
	cc.mu.Unlock()

	var d *delta
	var err error
	switch s.mode {
	case modeSync:
		if s.token == "" {
			d, err = c.load(ctx, cc, s)
			break
		}
		d, err = c.syncChanges(ctx, cc, s)
		switch {
		case errors.Is(err, errTokenInvalid):
			d, err = c.load(ctx, cc, s)
		case errors.Is(err, errSyncRefused):
			c.log.Info("caldav: sync-collection refused, using getctag or ETags", "calendar", cc.info.Path, "err", err)
			s.noSync, s.ctag = true, "" // "" makes ctagChanges list the ETags
			d, err = c.ctagChanges(ctx, cc, s)
		}
	case modeCTag:
		d, err = c.ctagChanges(ctx, cc, s)
	case modeETags:
		d, err = c.listChanges(ctx, cc, s, modeETags, "")
	default:
		d, err = c.load(ctx, cc, s)
	}
	if err != nil {
		return false, err
	}
	return c.apply(cc, d), nil
}

// apply makes d part of cc and reports whether the cache changed.
// Validations run one at a time, each from the state the previous one left.
func (c *Calendar) apply(cc *calCache, d *delta) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	changed := false
	for key, o := range d.objects {
		if cur := cc.objects[key]; cur != nil && cur.etag != "" && cur.etag == o.etag {
			continue // rdv's own write, already there
		}
		cc.objects[key] = o
		changed = true
	}
	for _, key := range d.removed {
		if _, ok := cc.objects[key]; ok {
			delete(cc.objects, key)
			changed = true
		}
	}
	cc.mode, cc.noSync, cc.ctag, cc.token = d.mode, d.noSync, d.ctag, d.token
	if changed {
		cc.merged = nil
	}
	return changed
}

// load reads the whole calendar: its validators first, then every object
// with a VEVENT, so that a change made in between shows at the next
// validation.
func (c *Calendar) load(ctx context.Context, cc *calCache, s snapshot) (*delta, error) {
	known := c.knownETags(cc, nil)
	ctag, token, err := c.validators(ctx, cc)
	if err != nil {
		return nil, err
	}
	objs, err := c.queryAll(ctx, cc)
	if err != nil {
		return nil, err
	}
	d := &delta{mode: modeETags, ctag: ctag, token: token, noSync: s.noSync}
	switch {
	case token != "" && !s.noSync:
		d.mode = modeSync
	case ctag != "":
		d.mode = modeCTag
	}
	seen := make(map[string]bool, len(objs))
	var todo []fetched
	for _, o := range objs {
		seen[o.key] = true
		if etag, ok := known[o.key]; !ok || etag == "" || etag != o.etag {
			todo = append(todo, o)
		}
	}
	for key := range known {
		if !seen[key] {
			d.removed = append(d.removed, key)
		}
	}
	d.objects = c.build(cc, todo)
	return d, nil
}

// ctagChanges compares the collection's CTag with the one of s, and lists
// the ETags when it changed.
func (c *Calendar) ctagChanges(ctx context.Context, cc *calCache, s snapshot) (*delta, error) {
	ctag, _, err := c.validators(ctx, cc)
	if err != nil {
		return nil, err
	}
	switch {
	case ctag == "":
		return c.listChanges(ctx, cc, s, modeETags, "")
	case ctag == s.ctag:
		return &delta{mode: modeCTag, ctag: ctag, token: s.token, noSync: s.noSync}, nil
	}
	return c.listChanges(ctx, cc, s, modeCTag, ctag)
}

// listChanges lists the ETags of all objects and fetches those that are
// new or changed.
func (c *Calendar) listChanges(ctx context.Context, cc *calCache, s snapshot, mode syncMode, ctag string) (*delta, error) {
	known := c.knownETags(cc, nil)
	listed, err := c.listETags(ctx, cc)
	if err != nil {
		return nil, err
	}
	d := &delta{mode: mode, ctag: ctag, token: s.token, noSync: s.noSync}
	seen := make(map[string]bool, len(listed))
	var hrefs []string
	for _, l := range listed {
		seen[l.key] = true
		if etag, ok := known[l.key]; !ok || etag == "" || etag != l.etag {
			hrefs = append(hrefs, l.href)
		}
	}
	for key := range known {
		if !seen[key] {
			d.removed = append(d.removed, key)
		}
	}
	objs, gone, err := c.multiget(ctx, cc, hrefs)
	if err != nil {
		return nil, err
	}
	d.removed = append(d.removed, gone...)
	d.objects = c.build(cc, objs)
	return d, nil
}

// syncChanges asks what changed since s.token (RFC 6578 section 3), with
// the data of what changed, following truncated answers.
func (c *Calendar) syncChanges(ctx context.Context, cc *calCache, s snapshot) (*delta, error) {
	u := c.conn.resolve(cc.info.Path)
	d := &delta{mode: modeSync, ctag: s.ctag, token: s.token, noSync: s.noSync}
	changed := map[string]fetched{}
	removed := map[string]bool{}
	for page := 0; ; page++ {
		if page == maxSyncPages {
			return nil, &transportError{"REPORT", u.Redacted(), errors.New("sync-collection: too many truncated answers")}
		}
		var ans syncAnswer
		err := c.conn.xmlRequest(ctx, "REPORT", u, "0", syncBody(d.token), &ans)
		var se *statusError
		if errors.As(err, &se) {
			switch {
			case (se.Code == http.StatusForbidden || se.Code == http.StatusConflict) && bytes.Contains(se.Body, []byte("valid-sync-token")):
				return nil, errTokenInvalid
			case se.Code >= 400 && se.Code < 500 && se.Code != http.StatusUnauthorized,
				se.Code == http.StatusNotImplemented:
				return nil, fmt.Errorf("%w: %v", errSyncRefused, err)
			}
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(ans.SyncToken) == "" {
			return nil, fmt.Errorf("%w: an answer without a sync-token", errSyncRefused)
		}
		d.token = strings.TrimSpace(ans.SyncToken)
		truncated := false
		for _, r := range ans.Responses {
			href := strings.TrimSpace(r.Href)
			key := c.cacheKey(href)
			if samePath(c.conn.resolve(href).EscapedPath(), cc.info.Path) {
				truncated = truncated || statusCode(r.Status) == http.StatusInsufficientStorage
				continue
			}
			if strings.HasSuffix(href, "/") {
				continue // not a calendar object
			}
			if statusCode(r.Status) == http.StatusNotFound {
				removed[key] = true
				delete(changed, key)
				continue
			}
			p := r.props()
			delete(removed, key)
			changed[key] = fetched{key: key, href: href, etag: strings.TrimSpace(p.ETag), data: p.CalendarData}
		}
		if !truncated {
			break
		}
	}
	for key := range removed {
		d.removed = append(d.removed, key)
	}
	// What rdv holds already (its own writes) is not fetched again, and the
	// objects whose data the answer left out are fetched.
	keys := make([]string, 0, len(changed))
	for key := range changed {
		keys = append(keys, key)
	}
	known := c.knownETags(cc, keys)
	var todo []fetched
	var hrefs []string
	for key, f := range changed {
		switch {
		case f.etag != "" && known[key] == f.etag:
		case f.data == "":
			hrefs = append(hrefs, f.href)
		default:
			todo = append(todo, f)
		}
	}
	objs, gone, err := c.multiget(ctx, cc, hrefs)
	if err != nil {
		return nil, err
	}
	d.removed = append(d.removed, gone...)
	d.objects = c.build(cc, append(todo, objs...))
	return d, nil
}

// knownETags returns the ETags of the cached objects with these keys, or
// of all of them when keys is nil.
func (c *Calendar) knownETags(cc *calCache, keys []string) map[string]string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if keys == nil {
		out := make(map[string]string, len(cc.objects))
		for key, o := range cc.objects {
			out[key] = o.etag
		}
		return out
	}
	out := make(map[string]string, len(keys))
	for _, key := range keys {
		if o := cc.objects[key]; o != nil {
			out[key] = o.etag
		}
	}
	return out
}

// build parses fetched objects into their cached form, on every CPU when
// there are many (a first load). Their odd bytes were repaired when the
// answer was read (see decodeXML), so an object that still cannot be
// parsed is malformed beyond its bytes (cut short, a component that does
// not end): it is logged by its href, counted in BrokenObjects, and cached
// without busy time, so that it is not fetched again until it changes; the
// other objects keep theirs.
//
// Without busy time, its time is free. It has no time rdv can read: the
// only busy time that would not depend on reading it is all of it, which
// would refuse every patient because of one object, the outage of a
// calendar that cannot be read (docs/caldav-robustness.md). Free risks a
// booking over that one event, which the warning lets the practitioner
// see and fix; and rdv's own booking events cannot be lost that way, since
// a booking is checked against rdv's ledger too.
func (c *Calendar) build(cc *calCache, objs []fetched) map[string]*cachedObject {
	out := make(map[string]*cachedObject, len(objs))
	if len(objs) == 0 {
		return out
	}
	built := make([]*cachedObject, len(objs))
	one := func(i int) {
		o := objs[i]
		cal, err := c.decoder.Decode(o.data)
		if err != nil {
			c.skip(cc.info, o.href, err)
			built[i] = &cachedObject{href: o.href, etag: o.etag, fixed: true}
			return
		}
		built[i] = c.newObject(cc, o.href, o.etag, cal)
	}
	spread(len(objs), one)
	for i, o := range objs {
		out[o.key] = built[i]
	}
	return out
}

// spread calls one(i) for every i in [0, n), on every CPU when n is at
// least 2×parallelParsing, and returns when all calls have.
func spread(n int, one func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/parallelParsing)
	if workers <= 1 {
		for i := range n {
			one(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				one(i)
			}
		})
	}
	wg.Wait()
}

// validators reads the collection's CTag and sync-token, "" for those the
// server does not have.
func (c *Calendar) validators(ctx context.Context, cc *calCache) (ctag, token string, err error) {
	var ans validatorsAnswer
	if err := c.conn.xmlRequest(ctx, "PROPFIND", c.conn.resolve(cc.info.Path), "0", validatorsBody(), &ans); err != nil {
		return "", "", err
	}
	for _, r := range ans.Responses {
		for _, ps := range r.Propstats {
			if !statusOK(ps.Status) {
				continue
			}
			ctag = cmpOr(ctag, strings.TrimSpace(ps.Prop.CTag))
			token = cmpOr(token, strings.TrimSpace(ps.Prop.SyncToken))
		}
	}
	return ctag, token, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// queryAll reads every object of the calendar that has a VEVENT.
func (c *Calendar) queryAll(ctx context.Context, cc *calCache) ([]fetched, error) {
	var ans multistatus
	if err := c.conn.xmlRequest(ctx, "REPORT", c.conn.resolve(cc.info.Path), "1", allEventsQueryBody(), &ans); err != nil {
		return nil, err
	}
	return c.objectsOf(cc, &ans), nil
}

// objectsOf returns the calendar objects of a calendar-query or
// calendar-multiget answer. An answer that lacks the data is logged.
func (c *Calendar) objectsOf(cc *calCache, ans *multistatus) []fetched {
	out := make([]fetched, 0, len(ans.Responses))
	for _, r := range ans.Responses {
		href := strings.TrimSpace(r.Href)
		if href == "" || strings.HasSuffix(href, "/") || !statusOK(r.Status) {
			continue
		}
		p := r.props()
		if p.CalendarData == "" {
			if len(r.Propstats) > 0 {
				c.skip(cc.info, href, errors.New("caldav: no calendar-data in the answer"))
			}
			continue
		}
		out = append(out, fetched{key: c.cacheKey(href), href: href, etag: strings.TrimSpace(p.ETag), data: p.CalendarData})
	}
	return out
}

// listed is an object's href and ETag.
type listed struct {
	key, href, etag string
}

// listETags lists the ETags of the calendar's objects (PROPFIND, Depth: 1).
func (c *Calendar) listETags(ctx context.Context, cc *calCache) ([]listed, error) {
	var ans multistatus
	if err := c.conn.xmlRequest(ctx, "PROPFIND", c.conn.resolve(cc.info.Path), "1", listBody(), &ans); err != nil {
		return nil, err
	}
	out := make([]listed, 0, len(ans.Responses))
	for _, r := range ans.Responses {
		href := strings.TrimSpace(r.Href)
		p := r.props()
		if href == "" || strings.HasSuffix(href, "/") || !statusOK(r.Status) ||
			p.ResourceType != nil && p.ResourceType.Collection != nil {
			continue
		}
		out = append(out, listed{key: c.cacheKey(href), href: href, etag: strings.TrimSpace(p.ETag)})
	}
	return out, nil
}

// multiget fetches objects by href (calendar-multiget, RFC 4791 section
// 7.9), in batches. gone has the keys of those the server no longer has.
func (c *Calendar) multiget(ctx context.Context, cc *calCache, hrefs []string) (objs []fetched, gone []string, err error) {
	u := c.conn.resolve(cc.info.Path)
	for len(hrefs) > 0 {
		batch := hrefs[:min(len(hrefs), multigetBatch)]
		hrefs = hrefs[len(batch):]
		paths := make([]string, len(batch))
		for i, h := range batch {
			paths[i] = c.conn.resolve(h).EscapedPath()
		}
		var ans multistatus
		if err := c.conn.xmlRequest(ctx, "REPORT", u, "1", multigetBody(paths), &ans); err != nil {
			return nil, nil, err
		}
		for _, r := range ans.Responses {
			if code := statusCode(r.Status); code == http.StatusNotFound || code == http.StatusGone {
				gone = append(gone, c.cacheKey(strings.TrimSpace(r.Href)))
			}
		}
		objs = append(objs, c.objectsOf(cc, &ans)...)
	}
	return objs, gone, nil
}

// statusCode returns the code of a DAV:status line, 0 if there is none.
func statusCode(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 || len(f[1]) != 3 {
		return 0
	}
	n := 0
	for _, ch := range f[1] {
		if ch < '0' || ch > '9' {
			return 0
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

// Request and answer bodies of the cache's requests. Like those of xml.go,
// the element names carry their prefixes (D: DAV:, C: CalDAV, CS:
// CalendarServer) and the root element declares them.

const nsCS = "http://calendarserver.org/ns/"

// eventData asks for the VEVENTs and VTIMEZONEs of an object, by name:
// Xandikos answers allcomp with empty components.
func eventData() queryProp {
	all := &empty{}
	return queryProp{
		ETag: &empty{},
		Data: compReq{Name: "VCALENDAR", AllProp: all, Comps: []compReq{
			{Name: "VEVENT", AllProp: all},
			{Name: "VTIMEZONE", AllProp: all, Comps: []compReq{
				{Name: "STANDARD", AllProp: all},
				{Name: "DAYLIGHT", AllProp: all},
			}},
		}},
	}
}

// allEventsQueryBody is a calendar-query (RFC 4791 section 7.8) for every
// object with a VEVENT, whenever it happens.
func allEventsQueryBody() []byte {
	return marshal(calendarQuery{
		NSD: nsDAV, NSC: nsCalDAV,
		Prop: eventData(),
		Filter: queryFilter{Comp: compFilter{Name: "VCALENDAR", Comps: []compFilter{
			{Name: "VEVENT"},
		}}},
	})
}

type validatorsReq struct {
	XMLName xml.Name `xml:"D:propfind"`
	NSD     string   `xml:"xmlns:D,attr"`
	NSCS    string   `xml:"xmlns:CS,attr"`
	Prop    struct {
		ResourceType *empty `xml:"D:resourcetype"`
		CTag         *empty `xml:"CS:getctag"`
		SyncToken    *empty `xml:"D:sync-token"`
	} `xml:"D:prop"`
}

// validatorsBody and listBody are the same for every calendar.
var validatorsBody = sync.OnceValue(func() []byte {
	r := validatorsReq{NSD: nsDAV, NSCS: nsCS}
	r.Prop.ResourceType, r.Prop.CTag, r.Prop.SyncToken = &empty{}, &empty{}, &empty{}
	return marshal(r)
})

var listBody = sync.OnceValue(func() []byte {
	return propfindBody(propfindSet{ETag: &empty{}, ResourceType: &empty{}})
})

type validatorsAnswer struct {
	Responses []struct {
		Propstats []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				CTag      string `xml:"http://calendarserver.org/ns/ getctag"`
				SyncToken string `xml:"DAV: sync-token"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

// syncReq is a sync-collection REPORT body (RFC 6578 section 6.1).
type syncReq struct {
	XMLName   xml.Name  `xml:"D:sync-collection"`
	NSD       string    `xml:"xmlns:D,attr"`
	NSC       string    `xml:"xmlns:C,attr"`
	SyncToken string    `xml:"D:sync-token"`
	SyncLevel string    `xml:"D:sync-level"`
	Prop      queryProp `xml:"D:prop"`
}

func syncBody(token string) []byte {
	return marshal(syncReq{NSD: nsDAV, NSC: nsCalDAV, SyncToken: token, SyncLevel: "1", Prop: eventData()})
}

type syncAnswer struct {
	SyncToken string       `xml:"DAV: sync-token"`
	Responses []msResponse `xml:"DAV: response"`
}

// multigetReq is a calendar-multiget REPORT body (RFC 4791 section 9.10),
// the prop before the hrefs, as DAViCal requires.
type multigetReq struct {
	XMLName xml.Name  `xml:"C:calendar-multiget"`
	NSD     string    `xml:"xmlns:D,attr"`
	NSC     string    `xml:"xmlns:C,attr"`
	Prop    queryProp `xml:"D:prop"`
	Hrefs   []string  `xml:"D:href"`
}

func multigetBody(paths []string) []byte {
	return marshal(multigetReq{NSD: nsDAV, NSC: nsCalDAV, Prop: eventData(), Hrefs: paths})
}
