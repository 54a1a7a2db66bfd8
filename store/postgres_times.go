package store

import "time"

// PostgreSQL's timestamptz holds microseconds and Go's time.Time nanoseconds.
// So that an instant round-trips exactly, as with SQLite, each instant is two
// columns: X_at, the timestamptz truncated to the microsecond (what people
// and other tools read), and X_ns, the nanoseconds it lost (0–999). Instants
// compare as the pairs (X_at, X_ns).

// splitTime returns t truncated to the microsecond and the nanoseconds
// truncated. t must be storable.
func splitTime(t time.Time) (time.Time, int16) {
	ns := t.Nanosecond() % 1000
	return t.Add(-time.Duration(ns)).UTC(), int16(ns)
}

// splitBound is splitTime for a bound of a query, clamped to the storable
// range as formatBound does.
func splitBound(t time.Time) (time.Time, int16) {
	switch {
	case t.Before(minTime):
		t = minTime
	case t.After(maxTime):
		t = maxTime
	}
	return splitTime(t)
}

// joinTime is the inverse of splitTime. The result is in UTC.
func joinTime(at time.Time, ns int16) time.Time {
	return at.Add(time.Duration(ns)).UTC()
}
