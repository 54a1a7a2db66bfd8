package booking

import (
	"context"
	"sync"
)

// gate is where, in this process, the Book requests for one practitioner
// wait in front of its Locker: one request at a time goes on to the lock.
// It is not first come, first served: the waiters woken by a release race
// for it, and one may wait until its context ends (the answer is then
// EUnavailable, "try again"). A request that waits is woken each time the one ahead of it
// is done, and looks whether the bookings made meanwhile took its slot:
// if so it is answered at once (a loser of a flash crowd does not queue
// for the lock, nor read the calendar, to learn it lost). The lock, under
// which the calendar is read again, stays the only authority for a
// winner.
type gate struct {
	mu      sync.Mutex
	held    bool
	waiting int
	changed chan struct{} // closed, and replaced, each time the gate is released
	// won are the bookings made through the gate while requests were
	// waiting: what woken requests check their slot against. Emptied when
	// no one waits.
	won []*Booking
}

// maxWon bounds gate.won under a flood that never lets the queue empty.
const maxWon = 1000

// gates returns the gate of the practitioner id.
func (s *Service) gate(id string) *gate {
	s.gatesMu.Lock()
	defer s.gatesMu.Unlock()
	if s.gates == nil {
		s.gates = map[string]*gate{}
	}
	g := s.gates[id]
	if g == nil {
		g = &gate{changed: make(chan struct{})}
		s.gates[id] = g
	}
	return g
}

// enter waits for the gate. Each time it is released while waiting, lost
// is called with the bookings made through it so far; a non-nil error
// from lost gives up the wait with that error. EUnavailable if ctx ends
// first.
func (g *gate) enter(ctx context.Context, lost func(won []*Booking) error) error {
	g.mu.Lock()
	g.waiting++
	defer func() {
		g.mu.Lock()
		g.waiting--
		if g.waiting == 0 && !g.held {
			g.won = nil
		}
		g.mu.Unlock()
	}()
	for {
		if !g.held {
			g.held = true
			g.mu.Unlock()
			return nil
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
			g.mu.Lock()
			won := g.won
			g.mu.Unlock()
			if len(won) > 0 {
				if err := lost(won); err != nil {
					return err
				}
			}
			g.mu.Lock()
		case <-ctx.Done():
			return WrapError(EUnavailable, ctx.Err(), "the practitioner's agenda is busy, try again")
		}
	}
}

// leave releases the gate; b, if not nil, is the booking made while it was
// held.
func (g *gate) leave(b *Booking) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.held = false
	switch {
	case g.waiting == 0:
		g.won = nil
	case b != nil:
		if len(g.won) >= maxWon {
			g.won = g.won[1:]
		}
		g.won = append(g.won, b)
	}
	close(g.changed)
	g.changed = make(chan struct{})
}
