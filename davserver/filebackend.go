package davserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"github.com/rdvlibre/rdv/recur"
)

// FileBackend stores calendars of one user in a directory: one
// subdirectory per calendar (its display name in a small JSON file), one
// .ics file per calendar object. Writes go to a temporary file renamed into
// place, under a mutex, so a reader never sees half an object. An object's
// ETag is a hash of its content.
//
// Objects are stored as go-ical encodes them, which is also what the
// server sends, so the stored bytes, the ETag and Content-Length agree.
//
// The files are the source of truth, but a FileBackend reads each
// calendar's files once, when the calendar is first used, and then answers
// from memory: every object with its ETag and parsed form, a token of the
// calendar's content (served as the CalendarServer CTag, getctag, and as
// the RFC 6578 sync-token) and a log of its latest changes (for the
// sync-collection REPORT). Its own writes update files and memory together.
// Editing the files while a FileBackend uses them is not supported: such
// changes are not seen until the FileBackend is made again (a restart), and
// then in full, since the token is computed from the files' content.
//
// Serve it with NewHandler. It is meant for rdv's embedded defaults, small
// setups and tests: it holds every calendar it serves in memory.
type FileBackend struct {
	dir  string
	user string

	// Location is the zone in which time-range queries read floating times
	// and dates (RFC 4791 section 9.9). nil means UTC. Set it before serving.
	Location *time.Location

	// MaxResourceSize is the size in bytes of the largest calendar object
	// a PUT may send; a larger one is refused with 413, and calendars
	// advertise it as CALDAV:max-resource-size (RFC 4791 section 5.2.5).
	// MaxRequestSize is that of the body of any other request (PROPFIND,
	// REPORT, MKCALENDAR…), beyond which it is refused with 413 too.
	// MaxObjectsPerCalendar is how many objects a calendar may hold: a PUT
	// that would add one more is refused with 507 (Insufficient Storage),
	// one that replaces an object is not. Zero means DefaultMaxResourceSize,
	// DefaultMaxRequestSize and DefaultMaxObjectsPerCalendar. Set them
	// before serving.
	MaxResourceSize       int64
	MaxRequestSize        int64
	MaxObjectsPerCalendar int

	// rawData, for tests of clients, makes sync-collection answers carry
	// each object's stored bytes as they are, odd ones included, like
	// sabre/dav writes its answers (see xmlWriter.rawText): such an answer
	// may then not be XML. Set it before serving.
	rawData bool

	// mu guards cals and the states in it (writers hold it for the file
	// write too, so that files and memory agree), and prefix.
	mu        sync.RWMutex
	prefix    string                    // URL path prefix, set by NewHandler; "/" + ... + "/"
	cals      map[string]*calendarState // the calendars read so far, by name
	changeLog int                       // changes remembered per calendar
}

// metaFile holds a calendar's properties in its directory.
const metaFile = ".calendar.json"

type calendarMeta struct {
	DisplayName string `json:"displayname"`
	Description string `json:"description,omitempty"`
}

// NewFileBackend returns a backend for user keeping its data in dir, which
// is created if needed.
func NewFileBackend(dir, user string) (*FileBackend, error) {
	if !validName(user) {
		return nil, fmt.Errorf("davserver: invalid user name %q", user)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("davserver: %w", err)
	}
	return &FileBackend{dir: dir, user: user, prefix: "/dav/", cals: map[string]*calendarState{}, changeLog: changeLogSize}, nil
}

// validName reports whether s can name a calendar, an object or a user: one
// path segment, not hidden, without control characters or separators.
func validName(s string) bool {
	if s == "" || len(s) > 255 || s[0] == '.' || strings.ContainsAny(s, `/\`) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// CreateCalendar creates the calendar name (its path segment) with a display
// name. It is not an error if it exists: its display name is then updated.
func (b *FileBackend) CreateCalendar(name, displayName string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.createCalendar(name, calendarMeta{DisplayName: displayName}, false)
}

// EnsureCalendar creates the calendar name with a display name unless it
// exists, and reports whether it created it. An existing calendar is left
// as it is.
func (b *FileBackend) EnsureCalendar(name, displayName string) (created bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.calendarExists(name) {
		return false, nil
	}
	if err := b.createCalendar(name, calendarMeta{DisplayName: displayName}, false); err != nil {
		return false, err
	}
	return true, nil
}

func (b *FileBackend) createCalendar(name string, meta calendarMeta, mustBeNew bool) error {
	if !validName(name) {
		return webdav.NewHTTPError(http.StatusForbidden, fmt.Errorf("davserver: invalid calendar name %q", name))
	}
	dir := filepath.Join(b.dir, name)
	if _, err := os.Stat(dir); err == nil && mustBeNew {
		return webdav.NewHTTPError(http.StatusMethodNotAllowed, errors.New("davserver: the calendar exists"))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return internalError(err)
	}
	data, err := json.Marshal(meta)
	if err != nil {
		return internalError(err)
	}
	if err := writeAtomic(filepath.Join(dir, metaFile), data); err != nil {
		return internalError(err)
	}
	if st := b.cals[name]; st != nil {
		st.setMeta(meta)
	}
	return nil
}

// PutObject stores data as the object objectName of the calendar
// calendarName, replacing any object there, without the checks of a PUT
// (conditions, UID uniqueness). It is meant for seeding. data must be a
// valid iCalendar object.
func (b *FileBackend) PutObject(calendarName, objectName string, data []byte) error {
	cal, err := recur.Decode(string(data))
	if err != nil {
		return err
	}
	if !validName(calendarName) || !validName(objectName) {
		return fmt.Errorf("davserver: invalid calendar or object name")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st, err := b.state(calendarName)
	if err != nil {
		return fmt.Errorf("davserver: no calendar %q", calendarName)
	}
	_, err = b.write(st, calendarName, objectName, cal)
	return err
}

// The URL paths of the backend, under the prefix NewHandler sets.

func (b *FileBackend) principalPath() string { return b.prefix + "principals/" + b.user + "/" }
func (b *FileBackend) homePath() string      { return b.prefix + "calendars/" + b.user + "/" }

// split parses a URL path of this backend into a calendar name and an
// object name (either possibly empty). ok is false for a path outside the
// home.
func (b *FileBackend) split(p string) (cal, obj string, ok bool) {
	home := b.homePath()
	if !strings.HasSuffix(p, "/") && p+"/" == home {
		return "", "", true
	}
	rest, found := strings.CutPrefix(p, home)
	if !found {
		return "", "", false
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return "", "", true
	}
	cal, obj, _ = strings.Cut(rest, "/")
	if !validName(cal) || obj != "" && !validName(obj) {
		return "", "", false
	}
	return cal, obj, true
}

func (b *FileBackend) calendarPath(name string) string { return b.homePath() + name + "/" }

func (b *FileBackend) objectPath(cal, obj string) string { return b.calendarPath(cal) + obj }

func (b *FileBackend) objectFile(cal, obj string) string { return filepath.Join(b.dir, cal, obj) }

// calendarExists reports whether the calendar name exists; b.mu is held.
func (b *FileBackend) calendarExists(name string) bool {
	if b.cals[name] != nil {
		return true
	}
	_, err := os.Stat(filepath.Join(b.dir, name, metaFile))
	return err == nil
}

// state returns the state of the calendar name, reading its files the first
// time; b.mu is held for writing.
func (b *FileBackend) state(name string) (*calendarState, error) {
	if st := b.cals[name]; st != nil {
		return st, nil
	}
	if !validName(name) {
		return nil, errNoCalendar
	}
	st, err := loadCalendar(b.dir, name, b.changeLog)
	if err != nil {
		return nil, err
	}
	b.cals[name] = st
	return st, nil
}

// reading calls f with the state of the calendar name, b.mu held for
// reading: f must not keep st or modify it.
func (b *FileBackend) reading(name string, f func(st *calendarState) error) error {
	b.mu.RLock()
	st := b.cals[name]
	if st == nil {
		b.mu.RUnlock()
		b.mu.Lock()
		_, err := b.state(name)
		b.mu.Unlock()
		if err != nil {
			return err
		}
		b.mu.RLock()
		st = b.cals[name] // calendars are never removed
	}
	defer b.mu.RUnlock()
	return f(st)
}

var (
	errNoCalendar = webdav.NewHTTPError(http.StatusNotFound, errors.New("davserver: no such calendar"))
	errNoObject   = webdav.NewHTTPError(http.StatusNotFound, errors.New("davserver: no such calendar object"))
)

func preconditionFailed(why string) error {
	return webdav.NewHTTPError(http.StatusPreconditionFailed, errors.New("davserver: "+why))
}

// etagOf returns the ETag of stored bytes: a hash of them.
func etagOf(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:16])
}

// internalError hides a file system error (which names host paths) from
// HTTP answers and logs it.
func internalError(err error) error {
	if err == nil {
		return nil
	}
	slog.Error("davserver: file backend", "err", err)
	return webdav.NewHTTPError(http.StatusInternalServerError, errors.New("davserver: storage error"))
}

// calendars lists the calendars.
func (b *FileBackend) calendars() ([]caldav.Calendar, error) {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, internalError(err)
	}
	var out []caldav.Calendar
	for _, e := range entries {
		if !e.IsDir() || !validName(e.Name()) {
			continue
		}
		cal, err := b.calendar(e.Name())
		if err != nil {
			continue
		}
		out = append(out, *cal)
	}
	return out, nil
}

// calendar returns the calendar name, from memory if it was read, else from
// its properties' file (a listing does not read every calendar).
func (b *FileBackend) calendar(name string) (*caldav.Calendar, error) {
	b.mu.RLock()
	st := b.cals[name]
	var meta calendarMeta
	if st != nil {
		meta = st.meta
	}
	b.mu.RUnlock()
	if st == nil {
		data, err := os.ReadFile(filepath.Join(b.dir, name, metaFile))
		if err != nil {
			return nil, errNoCalendar
		}
		if err := json.Unmarshal(data, &meta); err != nil {
			return nil, internalError(err)
		}
	}
	return &caldav.Calendar{
		Path:                  b.calendarPath(name),
		MaxResourceSize:       b.maxResourceSize(),
		Name:                  meta.DisplayName,
		Description:           meta.Description,
		SupportedComponentSet: []string{ical.CompEvent},
	}, nil
}

// read returns a stored object.
func (b *FileBackend) read(cal, obj string) (*caldav.CalendarObject, error) {
	var co caldav.CalendarObject
	err := b.reading(cal, func(st *calendarState) error {
		o := st.objects[obj]
		if o == nil {
			return errNoObject
		}
		co = o.object(b.objectPath(cal, obj))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &co, nil
}

// objects returns the objects of a calendar, sorted by path.
func (b *FileBackend) objects(cal string) ([]caldav.CalendarObject, error) {
	var out []caldav.CalendarObject
	err := b.reading(cal, func(st *calendarState) error {
		names := st.names()
		out = make([]caldav.CalendarObject, len(names))
		for i, name := range names {
			out[i] = st.objects[name].object(b.objectPath(cal, name))
		}
		return nil
	})
	return out, err
}

// write stores data as the object obj of the calendar cal, whose state is
// st; b.mu is held.
func (b *FileBackend) write(st *calendarState, cal, obj string, data *ical.Calendar) (*caldav.CalendarObject, error) {
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(data); err != nil {
		return nil, webdav.NewHTTPError(http.StatusBadRequest, fmt.Errorf("davserver: %w", err))
	}
	f := b.objectFile(cal, obj)
	if err := writeAtomic(f, buf.Bytes()); err != nil {
		return nil, internalError(err)
	}
	now := time.Now()
	o, err := newStoredObject(buf.String(), now)
	if err != nil {
		// What go-ical encodes, rdv's decoder reads; should it not, the
		// object is served as it was given.
		o = &storedObject{data: buf.String(), etag: etagOf(buf.Bytes()), modTime: now, cal: data, uid: uidOf(data)}
	}
	st.put(obj, o)
	co := o.object(b.objectPath(cal, obj))
	return &co, nil
}

// writeAtomic writes data to a temporary file in the same directory,
// flushes it and renames it over name.
func writeAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// put implements a conditional PUT.
func (b *FileBackend) put(p string, data *ical.Calendar, opts *caldav.PutCalendarObjectOptions) (*caldav.CalendarObject, error) {
	cal, obj, ok := b.split(p)
	if !ok || cal == "" || obj == "" {
		return nil, webdav.NewHTTPError(http.StatusForbidden, errors.New("davserver: objects go inside a calendar"))
	}
	_, uid, err := caldav.ValidateCalendarObject(data)
	if err != nil || uid == "" {
		return nil, caldav.NewPreconditionError(caldav.PreconditionValidCalendarObjectResource)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st, err := b.state(cal)
	if isNotFound(err) {
		return nil, webdav.NewHTTPError(http.StatusConflict, errors.New("davserver: no such calendar"))
	}
	if err != nil {
		return nil, err
	}
	var cur *caldav.CalendarObject
	stored := st.objects[obj]
	if stored != nil {
		co := stored.object(b.objectPath(cal, obj))
		cur = &co
	}
	if opts != nil {
		if err := checkConditions(opts.IfMatch, opts.IfNoneMatch, cur); err != nil {
			return nil, err
		}
	}
	if stored == nil || stored.uid != uid {
		// RFC 4791 section 5.3.2.1: one UID per calendar.
		for name, o := range st.objects {
			if name != obj && o.uid == uid {
				return nil, caldav.NewPreconditionError(caldav.PreconditionNoUIDConflict)
			}
		}
	}
	if stored == nil && len(st.objects) >= b.maxObjects() {
		return nil, errCalendarFull
	}
	return b.write(st, cal, obj, data)
}

// checkConditions applies If-Match and If-None-Match (RFC 9110 sections
// 13.1.1 and 13.1.2) to the current object, nil if there is none.
func checkConditions(ifMatch, ifNoneMatch webdav.ConditionalMatch, cur *caldav.CalendarObject) error {
	if ifMatch.IsSet() {
		if cur == nil {
			return preconditionFailed("the object does not exist")
		}
		if !ifMatch.IsWildcard() {
			want, err := ifMatch.ETag()
			if err != nil || want != cur.ETag {
				return preconditionFailed("the object has changed")
			}
		}
	}
	if ifNoneMatch.IsSet() && cur != nil {
		if ifNoneMatch.IsWildcard() {
			return preconditionFailed("the object exists")
		}
		if etag, err := ifNoneMatch.ETag(); err == nil && etag == cur.ETag {
			return preconditionFailed("the object has not changed")
		}
	}
	return nil
}

// remove implements a DELETE, with If-Match if ifMatch is set.
func (b *FileBackend) remove(p string, ifMatch webdav.ConditionalMatch) error {
	cal, obj, ok := b.split(p)
	if !ok || cal == "" || obj == "" {
		return webdav.NewHTTPError(http.StatusForbidden, errors.New("davserver: only calendar objects can be deleted"))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st, err := b.state(cal)
	if err != nil {
		return err
	}
	stored := st.objects[obj]
	if stored == nil {
		return errNoObject
	}
	cur := stored.object(b.objectPath(cal, obj))
	if err := checkConditions(ifMatch, "", &cur); err != nil {
		return err
	}
	if err := os.Remove(b.objectFile(cal, obj)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return internalError(err)
	}
	st.remove(obj)
	return nil
}

func isNotFound(err error) bool {
	return errors.Is(err, errNoObject) || errors.Is(err, errNoCalendar)
}

func uidOf(cal *ical.Calendar) string {
	for _, c := range cal.Children {
		if p := c.Props.Get(ical.PropUID); p != nil {
			return p.Value
		}
	}
	return ""
}
