package caldav

import (
	"testing"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// requireServers reports whether tests must fail, rather than skip, when an
// external server is missing (CI sets RDV_REQUIRE_SERVERS=1).
func requireServers() bool { return testservers.Required() }

// startRadicale runs a real Radicale (see internal/testservers) and adapts it
// to the client suite.
func startRadicale(t *testing.T) *testServer {
	t.Helper()
	r := testservers.StartRadicale(t)
	return &testServer{
		url: r.URL, user: r.User, pass: r.Password,
		calendarPath: r.CalendarPath,
		mkcal: func(t *testing.T, name, displayName string) {
			t.Helper()
			r.MkCalendar(t, name, displayName)
		},
		put: func(t *testing.T, cal, obj string, data []byte) {
			t.Helper()
			r.Put(t, cal, obj, data)
		},
	}
}

func TestClientRadicale(t *testing.T) {
	if testing.Short() && !requireServers() {
		t.Skip("starts Radicale")
	}
	runClientSuite(t, startRadicale(t))
}
