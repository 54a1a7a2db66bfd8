package pow

import (
	"sync"
	"time"
)

// usedSet remembers the challenges whose solution was accepted, until they
// expire, so that a solution serves once. It holds at most max entries
// (a 32-byte key and an expiry each, some 80 bytes with the map's
// overhead): when full of unexpired entries it refuses new ones rather than
// forget one, which would let that solution serve again.
type usedSet struct {
	mu        sync.Mutex
	max       int
	expiry    map[[32]byte]time.Time
	nextSweep time.Time
}

func newUsedSet(max int) *usedSet {
	return &usedSet{max: max, expiry: map[[32]byte]time.Time{}}
}

// add records challenge, valid until expires; ErrReplayed if it is there
// already, ErrBusy if the set is full.
func (u *usedSet) add(challenge [32]byte, expires, now time.Time) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if until, ok := u.expiry[challenge]; ok && now.Before(until) {
		return ErrReplayed
	}
	if len(u.expiry) >= u.max || !now.Before(u.nextSweep) {
		u.sweep(now)
	}
	if len(u.expiry) >= u.max {
		return ErrBusy
	}
	u.expiry[challenge] = expires
	return nil
}

// sweep forgets the expired entries; the next sweep is due a minute later
// (or when the set is full), which keeps it rare and the set small.
func (u *usedSet) sweep(now time.Time) {
	for k, until := range u.expiry {
		if !now.Before(until) {
			delete(u.expiry, k)
		}
	}
	u.nextSweep = now.Add(time.Minute)
}

// len is the number of entries, for tests.
func (u *usedSet) len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.expiry)
}
