package davserver

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/emersion/go-webdav"
)

// Limits against a client that would fill the disk or the memory: a
// FileBackend keeps every object it serves in memory, and a request body is
// read whole before it is answered.
const (
	// DefaultMaxResourceSize is the default of FileBackend.MaxResourceSize.
	DefaultMaxResourceSize = 1 << 20
	// DefaultMaxRequestSize is the default of FileBackend.MaxRequestSize.
	DefaultMaxRequestSize = 1 << 20
	// DefaultMaxObjectsPerCalendar is the default of
	// FileBackend.MaxObjectsPerCalendar.
	DefaultMaxObjectsPerCalendar = 10000
)

var (
	propMaxResourceSize = xml.Name{Space: nsCalDAV, Local: "max-resource-size"}
	errCalendarFull     = webdav.NewHTTPError(http.StatusInsufficientStorage, errors.New("davserver: the calendar holds as many objects as it may"))
)

func (b *FileBackend) maxResourceSize() int64 {
	if b.MaxResourceSize > 0 {
		return b.MaxResourceSize
	}
	return DefaultMaxResourceSize
}

func (b *FileBackend) maxRequestSize() int64 {
	if b.MaxRequestSize > 0 {
		return b.MaxRequestSize
	}
	return DefaultMaxRequestSize
}

func (b *FileBackend) maxObjects() int {
	if b.MaxObjectsPerCalendar > 0 {
		return b.MaxObjectsPerCalendar
	}
	return DefaultMaxObjectsPerCalendar
}

// readBody reads r's body into memory, up to the limit of its method
// (MaxResourceSize for a PUT, MaxRequestSize for any other), and puts a
// reader of those bytes in its place. A body over the limit is refused with
// 413 (Content Too Large, RFC 9110 section 15.5.14) as soon as its
// Content-Length or its first bytes past the limit show it, never read in
// full; for a PUT the answer names the CALDAV:max-resource-size
// precondition (RFC 4791 section 5.3.2.1). readBody reports whether the
// request may go on.
func (b *FileBackend) readBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	limit := b.maxRequestSize()
	if r.Method == http.MethodPut {
		limit = b.maxResourceSize()
	}
	tooLarge := func() bool {
		if r.Method == http.MethodPut {
			serveDAVError(w, http.StatusRequestEntityTooLarge, propMaxResourceSize)
		} else {
			http.Error(w, "davserver: the request body is larger than "+strconv.FormatInt(limit, 10)+" bytes", http.StatusRequestEntityTooLarge)
		}
		return false
	}
	if r.ContentLength > limit {
		return tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge()
	}
	if err != nil {
		http.Error(w, "davserver: cannot read the request", http.StatusBadRequest)
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}
