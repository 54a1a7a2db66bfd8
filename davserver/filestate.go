package davserver

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav/caldav"

	"github.com/rdvlibre/rdv/recur"
)

// calendarState is what a FileBackend holds in memory of one calendar: its
// properties, each object (its bytes, ETag and parsed form), a token that
// identifies the whole collection, and a bounded log of the latest changes.
//
// The files remain the source of truth: a calendar's state is read from them
// when the calendar is first used, and every write through the FileBackend
// updates the file, then the state. Files changed on disk by anything else
// while the FileBackend is in use are not seen until it is made again.
//
// The token is a hash of the collection's content: of its properties and of
// the set of (object name, ETag) pairs, so that it changes with any object
// and never names two different contents. It is the same for the same
// content, across restarts too, so a client whose cache matches the files
// keeps it; a client that knew an older content gets a token it does not
// know. It serves as the CTag (getctag) and, as a URI, as the sync-token
// (RFC 6578 section 4).
type calendarState struct {
	meta    calendarMeta
	objects map[string]*storedObject // by object name

	// sum is the sum, modulo 2^128, of pairHash of every object: kept up to
	// date as objects come and go, without reading them all again.
	sum   [2]uint64
	token string

	// log lists the latest changes, oldest first; base is the token before
	// the first of them. At most maxLog are kept: a sync-token older than
	// base is no longer known.
	base   string
	log    []change
	maxLog int
}

// change is one entry of a calendar's log: the object stored or removed
// ("" when the calendar's properties changed) and the token after it.
type change struct {
	name  string
	token string
}

// storedObject is a calendar object as a FileBackend holds it. It is never
// modified once made: a write replaces it.
type storedObject struct {
	data    string         // the file's bytes
	etag    string         // etagOf(data)
	modTime time.Time      // when it was written
	cal     *ical.Calendar // data, parsed; shared by every reader, not to be modified
	uid     string
}

// changeLogSize is how many changes of each calendar a FileBackend
// remembers for sync-collection (RFC 6578): a client whose sync-token is
// older is told to load the calendar again (DAV:valid-sync-token).
const changeLogSize = 1000

// syncTokenPrefix makes a sync-token of a token: RFC 6578 section 4 wants a
// URI.
const syncTokenPrefix = "https://github.com/rdvlibre/rdv/ns/sync/"

// newStoredObject makes the stored form of the bytes of an object.
func newStoredObject(data string, modTime time.Time) (*storedObject, error) {
	cal, err := recur.Decode(data)
	if err != nil {
		return nil, err
	}
	return &storedObject{data: data, etag: etagOf([]byte(data)), modTime: modTime, cal: cal, uid: uidOf(cal)}, nil
}

// object returns o as go-webdav's handler wants it, at path p. Its Data is
// shared.
func (o *storedObject) object(p string) caldav.CalendarObject {
	return caldav.CalendarObject{
		Path:          p,
		ModTime:       o.modTime,
		ContentLength: int64(len(o.data)),
		ETag:          o.etag,
		Data:          o.cal,
	}
}

// loadCalendar reads the calendar name of a FileBackend in dir: its
// properties and every object. An object that cannot be read or parsed is
// left out, and logged by name.
func loadCalendar(dir, name string, maxLog int) (*calendarState, error) {
	data, err := os.ReadFile(filepath.Join(dir, name, metaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoCalendar
	}
	if err != nil {
		return nil, internalError(err)
	}
	var meta calendarMeta
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, internalError(fmt.Errorf("%s: %w", metaFile, err))
	}
	entries, err := os.ReadDir(filepath.Join(dir, name))
	if err != nil {
		return nil, internalError(err)
	}
	st := &calendarState{meta: meta, objects: make(map[string]*storedObject, len(entries)), maxLog: maxLog}
	for _, e := range entries {
		if e.IsDir() || !validName(e.Name()) {
			continue
		}
		o, err := readStoredObject(filepath.Join(dir, name, e.Name()))
		if err != nil {
			slog.Warn("davserver: file backend: object skipped", "calendar", name, "object", e.Name(), "err", err)
			continue
		}
		st.objects[e.Name()] = o
		st.add(e.Name(), o, 1)
	}
	st.token = st.hash()
	st.base = st.token
	return st, nil
}

func readStoredObject(file string) (*storedObject, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	return newStoredObject(string(data), info.ModTime())
}

// pairHash returns the hash of an object's name and ETag, as two numbers.
func pairHash(name, etag string) [2]uint64 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(etag))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return [2]uint64{binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])}
}

// add adds (sign 1) or takes away (sign -1) the pair of object o to st.sum.
func (st *calendarState) add(name string, o *storedObject, sign int) {
	h := pairHash(name, o.etag)
	if sign < 0 {
		// The opposite modulo 2^128: the complement plus one.
		h[0], h[1] = ^h[0], ^h[1]
		h[1]++
		if h[1] == 0 {
			h[0]++
		}
	}
	lo := st.sum[1] + h[1]
	carry := uint64(0)
	if lo < st.sum[1] {
		carry = 1
	}
	st.sum[0], st.sum[1] = st.sum[0]+h[0]+carry, lo
}

// hash returns the token of the current content.
func (st *calendarState) hash() string {
	h := sha256.New()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], st.sum[0])
	binary.BigEndian.PutUint64(b[8:], st.sum[1])
	h.Write(b[:])
	meta, _ := json.Marshal(st.meta) // a struct of strings: never fails
	h.Write(meta)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// put stores o as the object name, replacing any object there.
func (st *calendarState) put(name string, o *storedObject) {
	if cur := st.objects[name]; cur != nil {
		st.add(name, cur, -1)
	}
	st.objects[name] = o
	st.add(name, o, 1)
	st.commit(name)
}

// remove removes the object name, if there is one.
func (st *calendarState) remove(name string) {
	cur := st.objects[name]
	if cur == nil {
		return
	}
	st.add(name, cur, -1)
	delete(st.objects, name)
	st.commit(name)
}

// setMeta changes the calendar's properties.
func (st *calendarState) setMeta(meta calendarMeta) {
	st.meta = meta
	st.commit("")
}

// commit computes the token after a change of the object name and logs the
// change, unless the content is what it was.
func (st *calendarState) commit(name string) {
	token := st.hash()
	if token == st.token {
		return
	}
	st.token = token
	st.log = append(st.log, change{name: name, token: token})
	if len(st.log) > st.maxLog {
		// Drop the oldest entries, a quarter of the log at a time, so that
		// trimming costs little per change.
		drop := len(st.log) - st.maxLog + st.maxLog/4
		drop = min(drop, len(st.log))
		st.base = st.log[drop-1].token
		st.log = slices.Delete(st.log, 0, drop)
	}
}

// changedSince returns the names of the objects stored or removed since the
// content had this token, sorted, without duplicates; ok is false if the
// token is not known (too old, or never this calendar's).
func (st *calendarState) changedSince(token string) (names []string, ok bool) {
	if token == st.token {
		return nil, true
	}
	from := -1
	for i := len(st.log) - 1; i >= 0; i-- {
		if st.log[i].token == token {
			from = i + 1
			break
		}
	}
	if from < 0 {
		if token != st.base {
			return nil, false
		}
		from = 0
	}
	for _, c := range st.log[from:] {
		if c.name != "" {
			names = append(names, c.name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), true
}

// syncToken returns the sync-token of a token, and token the token of a
// sync-token ("" if it is not one of a FileBackend).
func syncToken(token string) string { return syncTokenPrefix + token }

func tokenOf(syncToken string) string {
	t, ok := strings.CutPrefix(strings.TrimSpace(syncToken), syncTokenPrefix)
	if !ok {
		return ""
	}
	return t
}

// names returns the names of the objects, sorted.
func (st *calendarState) names() []string {
	out := make([]string, 0, len(st.objects))
	for name := range st.objects {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
