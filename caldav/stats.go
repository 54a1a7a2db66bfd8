package caldav

import (
	"sync/atomic"
	"time"
)

// RequestObserver is told of each HTTP request a Calendar sends (each
// redirect is a request): its method (PROPFIND, REPORT, GET, PUT,
// DELETE…), the status of the answer, 0 when there was none (refused
// connection, timeout, TLS failure), and the time until its headers. It
// is given no URL: a host labels what it records with the practitioner
// it made the Calendar for. It must be safe for concurrent use and quick.
type RequestObserver func(method string, status int, d time.Duration)

// CacheStats counts the validations of a Calendar's caches since New (see
// Busy): those that found the calendar unchanged (the cache answered
// alone), those that fetched changes, and those that failed.
type CacheStats struct {
	Unchanged, Changed, Failed uint64
}

type cacheCounts struct {
	unchanged, changed, failed atomic.Uint64
}

// CacheStats returns the validation counts of c's caches.
func (c *Calendar) CacheStats() CacheStats {
	return CacheStats{Unchanged: c.stats.unchanged.Load(), Changed: c.stats.changed.Load(), Failed: c.stats.failed.Load()}
}

// Health is whether a Calendar's busy calendars could be read lately.
type Health struct {
	// Failures is the longest run of failed validations, in a row, of one
	// of the busy calendars; 0 when the last validation of each succeeded.
	Failures int
	// Since is when the first of those failures ended, zero if none.
	Since time.Time
}

// Health returns how the last validations of c's busy calendars went; a
// calendar read again successfully starts again at zero.
func (c *Calendar) Health() Health {
	var h Health
	for _, cc := range c.caches {
		cc.mu.Lock()
		if cc.failures > h.Failures {
			h.Failures = cc.failures
		}
		if !cc.failingSince.IsZero() && (h.Since.IsZero() || cc.failingSince.Before(h.Since)) {
			h.Since = cc.failingSince
		}
		cc.mu.Unlock()
	}
	return h
}
