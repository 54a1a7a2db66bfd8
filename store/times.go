package store

import "time"

// timeLayout is the stored form of an instant: UTC, fixed width, nanoseconds.
// For years 0000–9999 the order of the strings is the order of the instants,
// so SQL compares them as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Bounds of the instants timeLayout can hold with a fixed width.
var (
	minTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// storable reports whether t can be stored by formatTime.
func storable(t time.Time) bool { return !t.Before(minTime) && !t.After(maxTime) }

// formatTime returns the stored form of t, which must be storable.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// formatBound returns the stored form of t clamped to the storable range, for
// comparisons in queries.
func formatBound(t time.Time) string {
	switch {
	case t.Before(minTime):
		t = minTime
	case t.After(maxTime):
		t = maxTime
	}
	return formatTime(t)
}

// parseTime reads an instant stored by formatTime. The result is in UTC.
func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }
