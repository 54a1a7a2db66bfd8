package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rdvlibre/rdv/booking"
)

// wrapError wraps a database failure in a *booking.Error whose message is
// "store: " followed by the formatted text. The message must name ids only,
// never a patient's data.
func wrapError(err error, format string, args ...any) error {
	return booking.WrapError(errorCode(err), err, "store: "+fmt.Sprintf(format, args...))
}

// errorCode tells a failure that may pass (EUnavailable) from one that won't
// (EInternal).
func errorCode(err error) string {
	switch {
	case errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone):
		return booking.EUnavailable
	}
	if code, ok := sqliteCode(err); ok {
		switch code & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY,
			sqlite3.SQLITE_LOCKED,
			sqlite3.SQLITE_INTERRUPT,
			sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_FULL,
			sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_PROTOCOL,
			sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_NOMEM:
			return booking.EUnavailable
		}
	}
	return booking.EInternal
}

// sqliteCode returns the extended result code of the SQLite error in err's chain.
func sqliteCode(err error) (int, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}
