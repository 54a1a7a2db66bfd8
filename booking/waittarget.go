package booking

import (
	"context"
	"time"
)

// waitTarget is what a waiting-list entry waits for: one practitioner's
// appointment type, or a shared type (the slots of any of its
// practitioners, SharedSlots).
type waitTarget struct {
	es  []*entry           // the practitioners: one, or the shared type's in its order
	ts  []*AppointmentType // their types, by index
	st  *SharedType        // nil for a practitioner's type
	loc *time.Location
}

// waitTarget returns the target of a practitioner's type (sharedID "") or
// of the shared type sharedID. ENotFound for an unknown one, or one whose
// waiting list is off: a type with NoWaitlist, or a shared type any of
// whose practitioners' types has NoWaitlist (their opt-out holds: no alert
// points at their slots).
func (s *Service) waitTarget(pid, tid, sharedID string) (*waitTarget, error) {
	if sharedID == "" {
		e, t, err := s.entryAndType(pid, tid)
		if err != nil {
			return nil, err
		}
		if t.NoWaitlist {
			return nil, Errorf(ENotFound, "appointment type %q has no waiting list", t.ID)
		}
		return &waitTarget{es: []*entry{e}, ts: []*AppointmentType{t}, loc: e.p.Location}, nil
	}
	st, ok := s.shared[sharedID]
	if !ok {
		return nil, Errorf(ENotFound, "no shared appointment type %q", sharedID)
	}
	es, ts := s.sharedEntries(st)
	for _, t := range ts {
		if t.NoWaitlist {
			return nil, Errorf(ENotFound, "shared appointment type %q has no waiting list", st.ID)
		}
	}
	return &waitTarget{es: es, ts: ts, st: st, loc: s.sharedLocation(st)}, nil
}

// horizon is the shortest booking horizon among the target's types: the
// last day of a window is one every practitioner may offer.
func (g *waitTarget) horizon() time.Duration {
	h := g.ts[0].horizon()
	for _, t := range g.ts[1:] {
		h = min(h, t.horizon())
	}
	return h
}

// duration is the shortest visit among the target's types (the end of a
// merged slot is the earliest of theirs).
func (g *waitTarget) duration() time.Duration {
	d := g.ts[0].Duration
	for _, t := range g.ts[1:] {
		d = min(d, t.Duration)
	}
	return d
}

// waitFree returns the starts of the target's free slots in [from, to), in
// order: the type's slots, or the shared type's merged slots.
func (s *Service) waitFree(ctx context.Context, g *waitTarget, from, to time.Time) ([]time.Time, error) {
	var out []time.Time
	if g.st == nil {
		slots, err := s.slots(ctx, g.es[0], g.ts[0], from, to, "")
		if err != nil {
			return nil, err
		}
		for _, sl := range slots {
			out = append(out, sl.Start)
		}
		return out, nil
	}
	slots, err := s.SharedSlots(ctx, g.st.ID, from, to)
	if err != nil {
		return nil, err
	}
	for _, sl := range slots {
		if sl.Free > 0 {
			out = append(out, sl.Start)
		}
	}
	return out, nil
}
