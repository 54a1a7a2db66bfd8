package davserver

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/emersion/go-ical"
)

// The part of NewHandler that go-webdav's handler lacks: a calendar's
// validators. A PROPFIND (Depth: 0) of a calendar collection is answered
// here, with the CalendarServer CTag (getctag) and the DAV:sync-token of
// RFC 6578 besides the properties go-webdav gives; and a sync-collection
// REPORT (RFC 6578 section 3) on a calendar names the objects changed or
// removed since a sync-token, from the calendar's log of changes (see
// calendarState). Every other request goes to go-webdav's handler.

// XML namespaces: WebDAV (RFC 4918), CalDAV (RFC 4791) and CalendarServer's
// (getctag).
const (
	nsDAV    = "DAV:"
	nsCalDAV = "urn:ietf:params:xml:ns:caldav"
	nsCS     = "http://calendarserver.org/ns/"
)

// Names of the properties, as the XML decoder gives them.
var (
	propResourceType  = xml.Name{Space: nsDAV, Local: "resourcetype"}
	propDisplayName   = xml.Name{Space: nsDAV, Local: "displayname"}
	propPrincipal     = xml.Name{Space: nsDAV, Local: "current-user-principal"}
	propSyncToken     = xml.Name{Space: nsDAV, Local: "sync-token"}
	propReportSet     = xml.Name{Space: nsDAV, Local: "supported-report-set"}
	propETag          = xml.Name{Space: nsDAV, Local: "getetag"}
	propContentType   = xml.Name{Space: nsDAV, Local: "getcontenttype"}
	propContentLength = xml.Name{Space: nsDAV, Local: "getcontentlength"}
	propLastModified  = xml.Name{Space: nsDAV, Local: "getlastmodified"}
	propDescription   = xml.Name{Space: nsCalDAV, Local: "calendar-description"}
	propComponentSet  = xml.Name{Space: nsCalDAV, Local: "supported-calendar-component-set"}
	propDataTypes     = xml.Name{Space: nsCalDAV, Local: "supported-calendar-data"}
	propCalendarData  = xml.Name{Space: nsCalDAV, Local: "calendar-data"}
	propCTag          = xml.Name{Space: nsCS, Local: "getctag"}
)

// collectionAllProps are the properties of a calendar an allprop PROPFIND
// gets: not the sync-token, the supported reports nor max-resource-size
// (RFC 6578 section 4, RFC 3253 section 3.1.5, RFC 4791 section 5.2.5).
var collectionAllProps = []xml.Name{
	propResourceType, propDisplayName, propPrincipal, propDescription,
	propComponentSet, propDataTypes, propCTag,
}

// collectionProps are all the properties of a calendar.
var collectionProps = append(append([]xml.Name(nil), collectionAllProps...), propSyncToken, propReportSet, propMaxResourceSize)

// propNames is the content of a DAV:prop element of a request.
type propNames struct {
	Names []struct {
		XMLName xml.Name
	} `xml:",any"`
}

func (p *propNames) list() []xml.Name {
	out := make([]xml.Name, len(p.Names))
	for i, n := range p.Names {
		out[i] = n.XMLName
	}
	return out
}

// propfindIn is a PROPFIND body (RFC 4918 section 14.20).
type propfindIn struct {
	XMLName  xml.Name   `xml:"DAV: propfind"`
	AllProp  *struct{}  `xml:"DAV: allprop"`
	PropName *struct{}  `xml:"DAV: propname"`
	Prop     *propNames `xml:"DAV: prop"`
}

// isCalendarPath reports whether p names a calendar collection of b.
func (b *FileBackend) isCalendarPath(p string) bool {
	cal, obj, ok := b.split(p)
	return ok && cal != "" && obj == ""
}

// servePropfind answers a PROPFIND (Depth: 0) of a calendar collection.
func (b *FileBackend) servePropfind(w http.ResponseWriter, r *http.Request) {
	cal, _, _ := b.split(r.URL.Path)
	body, err := io.ReadAll(r.Body) // bounded by NewHandler (readBody)
	if err != nil {
		http.Error(w, "davserver: cannot read the request", http.StatusBadRequest)
		return
	}
	var in propfindIn
	if len(bytes.TrimSpace(body)) > 0 {
		if err := xml.Unmarshal(body, &in); err != nil {
			http.Error(w, "davserver: malformed PROPFIND body", http.StatusBadRequest)
			return
		}
	}
	var (
		meta  calendarMeta
		token string
	)
	err = b.reading(cal, func(st *calendarState) error {
		meta, token = st.meta, st.token
		return nil
	})
	if err != nil {
		serveError(w, err, 0)
		return
	}
	want := collectionAllProps
	switch {
	case in.PropName != nil:
		want = nil
	case in.Prop != nil && in.AllProp == nil:
		want = in.Prop.list()
	}
	x := newMultistatus()
	x.start("D:response")
	x.text("D:href", hrefOf(b.calendarPath(cal)))
	if in.PropName != nil {
		x.start("D:propstat")
		x.start("D:prop")
		for _, n := range collectionProps {
			x.empty(n)
		}
		x.end("D:prop")
		x.text("D:status", statusLine(http.StatusOK))
		x.end("D:propstat")
	}
	x.propstats(want, func(n xml.Name) func() {
		switch n {
		case propResourceType:
			return func() {
				x.start("D:resourcetype")
				x.empty(xml.Name{Space: nsDAV, Local: "collection"})
				x.empty(xml.Name{Space: nsCalDAV, Local: "calendar"})
				x.end("D:resourcetype")
			}
		case propDisplayName:
			if meta.DisplayName != "" {
				return func() { x.text("D:displayname", meta.DisplayName) }
			}
		case propDescription:
			if meta.Description != "" {
				return func() { x.text("C:calendar-description", meta.Description) }
			}
		case propPrincipal:
			return func() {
				x.start("D:current-user-principal")
				x.text("D:href", hrefOf(b.principalPath()))
				x.end("D:current-user-principal")
			}
		case propComponentSet:
			return func() {
				x.start("C:supported-calendar-component-set")
				x.startAttr("C:comp", xml.Attr{Name: xml.Name{Local: "name"}, Value: ical.CompEvent})
				x.end("C:comp")
				x.end("C:supported-calendar-component-set")
			}
		case propDataTypes:
			return func() {
				x.start("C:supported-calendar-data")
				x.startAttr("C:calendar-data",
					xml.Attr{Name: xml.Name{Local: "content-type"}, Value: ical.MIMEType},
					xml.Attr{Name: xml.Name{Local: "version"}, Value: "2.0"})
				x.end("C:calendar-data")
				x.end("C:supported-calendar-data")
			}
		case propCTag:
			return func() { x.text("CS:getctag", token) }
		case propMaxResourceSize:
			return func() { x.text("C:max-resource-size", strconv.FormatInt(b.maxResourceSize(), 10)) }
		case propSyncToken:
			return func() { x.text("D:sync-token", syncToken(token)) }
		case propReportSet:
			return func() {
				x.start("D:supported-report-set")
				for _, rep := range []xml.Name{
					{Space: nsCalDAV, Local: "calendar-query"},
					{Space: nsCalDAV, Local: "calendar-multiget"},
					{Space: nsDAV, Local: "sync-collection"},
				} {
					x.start("D:supported-report")
					x.start("D:report")
					x.empty(rep)
					x.end("D:report")
					x.end("D:supported-report")
				}
				x.end("D:supported-report-set")
			}
		}
		return nil
	})
	x.end("D:response")
	x.serve(w)
}

// syncIn is a sync-collection REPORT body (RFC 6578 section 6.1).
type syncIn struct {
	XMLName   xml.Name `xml:"DAV: sync-collection"`
	SyncToken string   `xml:"DAV: sync-token"`
	SyncLevel string   `xml:"DAV: sync-level"`
	Limit     *struct {
		NResults string `xml:"DAV: nresults"`
	} `xml:"DAV: limit"`
	Prop propNames `xml:"DAV: prop"`
}

// serveReport answers a REPORT on a calendar collection: a sync-collection
// here, any other with next (go-webdav's handler).
func (b *FileBackend) serveReport(w http.ResponseWriter, r *http.Request, next http.Handler) {
	body, err := io.ReadAll(r.Body) // bounded by NewHandler (readBody)
	if err != nil {
		http.Error(w, "davserver: cannot read the request", http.StatusBadRequest)
		return
	}
	if rootName(body) != (xml.Name{Space: nsDAV, Local: "sync-collection"}) {
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
		return
	}
	b.serveSync(w, r, body)
}

// rootName returns the name of the root element of an XML document, the
// zero Name if there is none.
func rootName(doc []byte) xml.Name {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.Name{}
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name
		}
	}
}

// serveSync answers a sync-collection REPORT (RFC 6578 section 3): with an
// empty sync-token, every object of the calendar; else the objects stored
// since that token, and those removed since (404), from the calendar's log.
// A token the log no longer reaches, or never held, is refused with 403 and
// DAV:valid-sync-token: the client then reads the calendar again.
func (b *FileBackend) serveSync(w http.ResponseWriter, r *http.Request, body []byte) {
	if d := r.Header.Get("Depth"); d != "" && d != "0" {
		http.Error(w, "davserver: sync-collection wants Depth: 0", http.StatusBadRequest) // RFC 6578 section 3.2
		return
	}
	var in syncIn
	if err := xml.Unmarshal(body, &in); err != nil {
		http.Error(w, "davserver: malformed sync-collection body", http.StatusBadRequest)
		return
	}
	// The calendar has no collections inside: both levels are the same.
	if l := strings.TrimSpace(in.SyncLevel); l != "" && l != "1" && l != "infinite" {
		http.Error(w, "davserver: bad sync-level", http.StatusBadRequest)
		return
	}
	limit := -1
	if in.Limit != nil {
		n, err := strconv.Atoi(strings.TrimSpace(in.Limit.NResults))
		if err != nil || n < 0 {
			http.Error(w, "davserver: bad limit", http.StatusBadRequest)
			return
		}
		limit = n
	}
	cal, _, _ := b.split(r.URL.Path)
	type item struct {
		name string
		o    *storedObject // nil: removed
	}
	var (
		items []item
		token string
		known = true
	)
	err := b.reading(cal, func(st *calendarState) error {
		token = st.token
		var names []string
		if t := strings.TrimSpace(in.SyncToken); t == "" {
			names = st.names()
		} else {
			names, known = st.changedSince(tokenOf(t))
		}
		items = make([]item, len(names))
		for i, name := range names {
			items[i] = item{name, st.objects[name]}
		}
		return nil
	})
	if err != nil {
		serveError(w, err, 0)
		return
	}
	if !known {
		serveDAVError(w, http.StatusForbidden, xml.Name{Space: nsDAV, Local: "valid-sync-token"})
		return
	}
	if limit >= 0 && len(items) > limit {
		// The answer cannot be cut: a token stands for a whole content.
		serveDAVError(w, http.StatusInsufficientStorage, xml.Name{Space: nsDAV, Local: "number-of-matches-within-limits"})
		return
	}
	want := in.Prop.list()
	x := newMultistatus()
	for _, it := range items {
		x.start("D:response")
		x.text("D:href", hrefOf(b.objectPath(cal, it.name)))
		if it.o == nil {
			x.text("D:status", statusLine(http.StatusNotFound))
			x.end("D:response")
			continue
		}
		o := it.o
		x.propstats(want, func(n xml.Name) func() {
			switch n {
			case propETag:
				return func() { x.text("D:getetag", strconv.Quote(o.etag)) }
			case propCalendarData:
				if b.rawData {
					return func() { x.rawText("C:calendar-data", o.data) }
				}
				return func() { x.text("C:calendar-data", o.data) }
			case propContentType:
				return func() { x.text("D:getcontenttype", ical.MIMEType) }
			case propContentLength:
				return func() { x.text("D:getcontentlength", strconv.Itoa(len(o.data))) }
			case propLastModified:
				return func() { x.text("D:getlastmodified", o.modTime.UTC().Format(http.TimeFormat)) }
			case propResourceType:
				return func() { x.empty(propResourceType) }
			}
			return nil
		})
		x.end("D:response")
	}
	x.text("D:sync-token", syncToken(token))
	x.serve(w)
}

// hrefOf returns the escaped form of a path, for DAV:href.
func hrefOf(p string) string { return (&url.URL{Path: p}).EscapedPath() }

func statusLine(code int) string {
	return "HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code)
}

// serveDAVError answers with a DAV:error body naming the precondition that
// failed (RFC 4918 section 16).
func serveDAVError(w http.ResponseWriter, code int, cond xml.Name) {
	x := &xmlWriter{}
	x.e = xml.NewEncoder(&x.buf)
	x.buf.WriteString(xml.Header)
	x.startAttr("D:error", xml.Attr{Name: xml.Name{Local: "xmlns:D"}, Value: nsDAV})
	x.empty(cond)
	x.end("D:error")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(code)
	x.e.Flush()
	w.Write(x.buf.Bytes())
}

// xmlWriter writes a DAV answer. Like the request bodies of xml.go, element
// names carry the prefixes D (DAV:), C (CalDAV) and CS (CalendarServer),
// which the root element declares; other names are written with their own
// namespace declaration.
type xmlWriter struct {
	buf bytes.Buffer
	e   *xml.Encoder
}

func newMultistatus() *xmlWriter {
	x := &xmlWriter{}
	x.e = xml.NewEncoder(&x.buf)
	x.buf.WriteString(xml.Header)
	x.startAttr("D:multistatus",
		xml.Attr{Name: xml.Name{Local: "xmlns:D"}, Value: nsDAV},
		xml.Attr{Name: xml.Name{Local: "xmlns:C"}, Value: nsCalDAV},
		xml.Attr{Name: xml.Name{Local: "xmlns:CS"}, Value: nsCS})
	return x
}

// The encoder's errors are those of invalid names, which these fixed and
// parsed names are not, and of its writer, a bytes.Buffer: none.

func (x *xmlWriter) start(name string) { x.startAttr(name) }

func (x *xmlWriter) startAttr(name string, attr ...xml.Attr) {
	_ = x.e.EncodeToken(xml.StartElement{Name: xml.Name{Local: name}, Attr: attr})
}

func (x *xmlWriter) end(name string) {
	_ = x.e.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}})
}

func (x *xmlWriter) text(name, s string) {
	x.start(name)
	_ = x.e.EncodeToken(xml.CharData(s))
	x.end(name)
}

// rawText writes an element whose text is s byte for byte, escaped as
// libxml2's text writer (hence sabre/dav) escapes it: &, <, > and CR, and
// nothing else, so that bytes that are not UTF-8, or that XML forbids, go
// out as they are. encoding/xml would write U+FFFD in their place.
func (x *xmlWriter) rawText(name, s string) {
	x.start(name)
	_ = x.e.Flush()
	escapeRaw(&x.buf, s)
	x.end(name)
}

// escapeRaw writes s to b with &, <, > and CR escaped, and every other byte
// as it is.
func escapeRaw(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#13;")
		default:
			b.WriteByte(c)
		}
	}
}

// empty writes an empty element of any namespace.
func (x *xmlWriter) empty(n xml.Name) {
	name := prefixed(n)
	if name == "" {
		_ = x.e.EncodeToken(xml.StartElement{Name: n})
		_ = x.e.EncodeToken(xml.EndElement{Name: n})
		return
	}
	x.start(name)
	x.end(name)
}

// prefixed returns the prefixed form of a name of the D, C or CS
// namespaces, "" for another.
func prefixed(n xml.Name) string {
	switch n.Space {
	case nsDAV:
		return "D:" + n.Local
	case nsCalDAV:
		return "C:" + n.Local
	case nsCS:
		return "CS:" + n.Local
	}
	return ""
}

// propstats writes the properties named by want: those that prop gives a
// writer for in a 200 propstat, the others, empty, in a 404 one (RFC 4918
// section 9.1).
func (x *xmlWriter) propstats(want []xml.Name, prop func(xml.Name) func()) {
	var found []func()
	var missing []xml.Name
	for _, n := range want {
		if f := prop(n); f != nil {
			found = append(found, f)
		} else {
			missing = append(missing, n)
		}
	}
	if len(found) > 0 {
		x.start("D:propstat")
		x.start("D:prop")
		for _, f := range found {
			f()
		}
		x.end("D:prop")
		x.text("D:status", statusLine(http.StatusOK))
		x.end("D:propstat")
	}
	if len(missing) > 0 {
		x.start("D:propstat")
		x.start("D:prop")
		for _, n := range missing {
			x.empty(n)
		}
		x.end("D:prop")
		x.text("D:status", statusLine(http.StatusNotFound))
		x.end("D:propstat")
	}
}

func (x *xmlWriter) serve(w http.ResponseWriter) {
	x.end("D:multistatus")
	if err := x.e.Flush(); err != nil {
		http.Error(w, "davserver: cannot write the answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	w.Write(x.buf.Bytes())
}
