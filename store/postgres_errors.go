package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rdvlibre/rdv/booking"
)

// wrapPgError is wrapError for PostgreSQL: it wraps a database failure in a
// *booking.Error whose message is "store: " followed by the formatted text,
// which must name ids only, never a patient's data.
func wrapPgError(err error, format string, args ...any) error {
	return booking.WrapError(pgErrorCode(err), err, "store: "+fmt.Sprintf(format, args...))
}

// pgErrorCode tells a failure that may pass (EUnavailable) from one that
// won't (EInternal), a value PostgreSQL can't hold (EInvalid) and a unique
// violation (EConflict).
func pgErrorCode(err error) string {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return booking.EUnavailable
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return sqlStateCode(pe.Code)
	}
	var (
		ce *pgconn.ConnectError
		ne net.Error
	)
	switch {
	case errors.As(err, &ce), // server down, unreachable, or refusing connections
		errors.As(err, &ne),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), // the connection died mid-answer
		errors.Is(err, pgconn.ErrConnClosed),
		pgconn.SafeToRetry(err):
		return booking.EUnavailable
	}
	return booking.EInternal
}

// sqlStateCode maps an SQLSTATE (PostgreSQL's error codes, appendix A of its
// manual) to a booking error code.
func sqlStateCode(state string) string {
	switch state {
	case "23505": // unique_violation
		return booking.EConflict
	case "55P03", // lock_not_available
		"25006", // read_only_sql_transaction: a standby, during a failover
		"57014", // query_canceled
		"57P01", // admin_shutdown: the server is stopping, or the session was terminated
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now: the server is starting
		"57P05": // idle_session_timeout
		return booking.EUnavailable
	}
	if len(state) < 2 {
		return booking.EInternal
	}
	switch state[:2] {
	case "08", // connection exception
		"40", // transaction rollback: serialization failure, deadlock
		"53", // insufficient resources: disk full, out of memory, too many connections
		"58": // system error: I/O
		return booking.EUnavailable
	case "22": // data exception: a value PostgreSQL can't hold
		return booking.EInvalid
	}
	return booking.EInternal
}
