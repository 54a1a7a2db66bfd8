package davserver

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Serving odd bytes, for tests of clients. sabre/dav (Nextcloud's engine)
// stores a calendar object as its client wrote it and puts those bytes as
// they are in its answers, so that one object that is not UTF-8 can make a
// whole answer something an XML parser refuses (docs/caldav-robustness.md).
// NewHandler never does that: go-webdav writes objects through go-ical and
// encoding/xml. NewRawHandler and PutRaw make the embedded server behave
// like sabre/dav, so that a client can be tested against such answers.

// NewRawHandler is NewHandler for tests of clients: it answers every request
// that carries calendar data (the calendar-query, calendar-multiget and
// sync-collection REPORTs, a GET of an object) with each object's stored
// bytes as they are, odd ones included, with only &, <, > and CR escaped,
// the way sabre/dav writes its answers: such an answer may then not be XML.
// Other requests are NewHandler's. It is not meant to serve users.
func NewRawHandler(b *FileBackend, prefix string) http.Handler {
	h := NewHandler(b, prefix)
	b.mu.Lock()
	b.rawData = true
	b.mu.Unlock()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !b.readBody(w, r) {
			return
		}
		b.mu.RLock()
		cal, obj, ok := b.split(r.URL.Path)
		b.mu.RUnlock()
		switch {
		case ok && cal != "" && obj == "" && r.Method == "REPORT":
			body, _ := io.ReadAll(r.Body)
			var names []string
			switch rootName(body).Local {
			case "calendar-query":
			case "calendar-multiget":
				var req struct {
					Hrefs []string `xml:"DAV: href"`
				}
				if err := xml.Unmarshal(body, &req); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				for _, h := range req.Hrefs {
					names = append(names, lastSegment(h))
				}
				if names == nil {
					names = []string{}
				}
			default:
				r.Body = io.NopCloser(bytes.NewReader(body))
				h.ServeHTTP(w, r)
				return
			}
			objs, err := b.rawObjects(cal, names)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			w.WriteHeader(http.StatusMultiStatus)
			w.Write(rawMultistatus(objs))
		case ok && obj != "" && r.Method == http.MethodGet:
			objs, err := b.rawObjects(cal, []string{obj})
			if err != nil || len(objs) == 0 {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("ETag", objs[0].etag)
			w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
			io.WriteString(w, objs[0].data)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// PutRaw stores data as the object objectName of the calendar calendarName
// byte for byte, like a server that stores what clients send (PutObject
// writes what go-ical encodes). data must be an iCalendar object that
// recur.Decode reads. It is meant for tests of clients, with NewRawHandler.
func (b *FileBackend) PutRaw(calendarName, objectName string, data []byte) error {
	if !validName(objectName) {
		return fmt.Errorf("davserver: bad object name %q", objectName)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st, err := b.state(calendarName)
	if err != nil {
		return err
	}
	o, err := newStoredObject(string(data), time.Now())
	if err != nil {
		return fmt.Errorf("davserver: %s: %w", objectName, err)
	}
	if err := writeAtomic(b.objectFile(calendarName, objectName), data); err != nil {
		return err
	}
	st.put(objectName, o)
	return nil
}

// rawObject is an object as stored: its URL path, quoted ETag and bytes.
type rawObject struct {
	href, etag, data string
}

// rawObjects returns the objects of a calendar as stored, those named by
// names or all of them (names nil).
func (b *FileBackend) rawObjects(cal string, names []string) ([]rawObject, error) {
	var out []rawObject
	err := b.reading(cal, func(st *calendarState) error {
		if names == nil {
			names = st.names()
		}
		for _, name := range names {
			if o := st.objects[name]; o != nil {
				out = append(out, rawObject{href: b.objectPath(cal, name), etag: strconv.Quote(o.etag), data: o.data})
			}
		}
		return nil
	})
	return out, err
}

// rawMultistatus writes a calendar-query answer holding objs the way
// sabre/dav writes one: the calendar data byte for byte, with only &, <, >
// and CR escaped (see escapeRaw).
func rawMultistatus(objs []rawObject) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav">`)
	for _, o := range objs {
		b.WriteString("<d:response><d:href>")
		b.WriteString(hrefOf(o.href))
		b.WriteString("</d:href><d:propstat><d:prop><d:getetag>")
		escapeRaw(&b, o.etag)
		b.WriteString("</d:getetag><cal:calendar-data>")
		escapeRaw(&b, o.data)
		b.WriteString("</cal:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n")
	}
	b.WriteString("</d:multistatus>\n")
	return b.Bytes()
}

// lastSegment returns the unescaped last segment of an escaped path.
func lastSegment(p string) string {
	p = strings.TrimSuffix(p, "/")
	seg := p[strings.LastIndex(p, "/")+1:]
	if s, err := url.PathUnescape(seg); err == nil {
		return s
	}
	return seg
}
