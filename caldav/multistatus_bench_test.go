package caldav

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/davserver"
)

// rawMultistatus writes a calendar-query answer holding objs the way
// sabre/dav writes one: the calendar data byte for byte, with only &, <, >
// and CR escaped (see escapeRaw), so that whatever bytes an object has reach
// the client as they are.
func rawMultistatus(objs []fetched) []byte {
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

// hrefOf escapes a URL path for an href.
func hrefOf(p string) string { return (&url.URL{Path: p}).EscapedPath() }

// escapeRaw writes s to b with &, <, > and CR escaped, and every other byte
// as it is, like sabre/dav.
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

// serveAnswer answers every request with body, as a 207.
func serveAnswer(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		w.Write(body)
	})
}

// BenchmarkMultistatus reads the calendar-query answer of a first load of
// the benchmark's calendar (2,000 objects, about 1.7 MB of XML), from an
// in-process handler: the request, the XML and the objects taken from it,
// not their parsing (see ColdSlots). "valid" is every answer of a
// well-behaved server; in "one-broken", one event's SUMMARY is folded
// inside a two-byte character (legal, RFC 5545 section 3.1), which makes the
// answer invalid UTF-8.
func BenchmarkMultistatus(b *testing.B) {
	objs := benchCalendar(b)
	broken := append([]fetched(nil), objs...)
	o := &broken[1000]
	i := strings.Index(o.data, "é")
	if i < 0 {
		b.Fatal("no é in the benchmark's calendar")
	}
	o.data = o.data[:i+1] + "\r\n " + o.data[i+1:]
	for _, bc := range []struct {
		name string
		objs []fetched
	}{{"valid", objs}, {"one-broken", broken}} {
		b.Run(bc.name, func(b *testing.B) {
			body := rawMultistatus(bc.objs)
			c := offlineCalendar(b, benchNow.Location())
			c.conn.http = &http.Client{Transport: davserver.InProcessTransport(serveAnswer(body))}
			cc := newCalCache(CalendarInfo{Path: "/cal/"})
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				got, err := c.queryAll(ctx, cc)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != len(objs) {
					b.Fatalf("%d objects, want %d", len(got), len(objs))
				}
			}
		})
	}
}
