package rdv

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
)

// The embedded CalDAV server: files in DATA/dav, one user, served at /dav/.
const (
	davPrefix = "/dav/"
	davUser   = "demo"
)

// embeddedDAV is the embedded CalDAV server, once opened.
type embeddedDAV struct {
	handler      http.Handler // behind Basic auth
	client       *http.Client // reaches handler in process
	backend      *davserver.FileBackend
	password     string
	passwordFile string
}

// open opens the file-backed CalDAV server in DATA/dav, protected by Basic
// auth with a random password kept in DATA/dav-password.
func (d *embeddedDAV) open(dataDir string) error {
	d.passwordFile = filepath.Join(dataDir, "dav-password")
	pw, err := os.ReadFile(d.passwordFile)
	if errors.Is(err, os.ErrNotExist) {
		var b [18]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		pw = []byte(base64.RawURLEncoding.EncodeToString(b[:]))
		if err := os.WriteFile(d.passwordFile, append(pw, '\n'), 0o600); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	d.password = strings.TrimSpace(string(pw))
	backend, err := davserver.NewFileBackend(filepath.Join(dataDir, "dav"), davUser)
	if err != nil {
		return err
	}
	// What one client may send and store, since the server may be in front
	// of the public and holds its calendars in memory: davserver's defaults
	// (1 MiB per object and per request body, 10000 objects per calendar).
	backend.MaxResourceSize = davserver.DefaultMaxResourceSize
	backend.MaxRequestSize = davserver.DefaultMaxRequestSize
	backend.MaxObjectsPerCalendar = davserver.DefaultMaxObjectsPerCalendar
	d.backend = backend
	d.handler = basicAuth(davserver.NewHandler(backend, davPrefix), davUser, d.password)
	d.client = &http.Client{Transport: davserver.InProcessTransport(d.handler)}
	return nil
}

// ensureCalendar creates the practitioner's calendar on first run, with
// the objects of c.Seed.
func (d *embeddedDAV) ensureCalendar(p booking.Practitioner, c Calendar) error {
	created, err := d.backend.EnsureCalendar(p.ID, p.Name)
	if err != nil || !created {
		return err
	}
	for name, data := range c.Seed {
		if err := d.backend.PutObject(p.ID, name, data); err != nil {
			return err
		}
	}
	return nil
}

// ensureAvailability creates the calendar of the practitioner's opening
// hours, ID-availability, if c names one, and returns its name ("" if
// none). Its display name is the one c gives.
func (d *embeddedDAV) ensureAvailability(p booking.Practitioner, c Calendar) (string, error) {
	display := strings.TrimSpace(c.Availability.Calendar)
	if display == "" {
		return "", nil
	}
	name := p.ID + "-availability"
	if _, err := d.backend.EnsureCalendar(name, display); err != nil {
		return "", err
	}
	return name, nil
}

// basicAuth protects h with HTTP Basic authentication for one user.
func basicAuth(h http.Handler, user, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="rdv CalDAV", charset="UTF-8"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
