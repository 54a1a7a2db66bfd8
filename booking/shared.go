package booking

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// SharedType is a motive a centre offers with several practitioners
// ("Consultation de médecine générale" with any of three GPs): the patient
// books "the first available" and the booking goes to one of them.
//
// It refers to each practitioner's own appointment type TypeID, so each
// keeps its own duration, hours, buffers, notice and limits; a shared type
// only merges their slots (SharedSlots, SharedDays) and picks who takes a
// booking (BookShared).
type SharedType struct {
	ID            string   // used in URLs, e.g. "generaliste"; distinct from every practitioner id
	Name          string   // shown to patients, e.g. "Consultation de médecine générale"
	TypeID        string   // the appointment type of each practitioner it stands for
	Practitioners []string // practitioner ids, in the order that breaks ties (see BookShared)
}

// AddSharedType registers st. Every practitioner it lists must be
// registered already, offer st.TypeID and share one time zone (the days a
// patient picks are the same local days for all); at least two, each once.
// EInvalid otherwise. Like AddPractitioner, call it before serving.
func (s *Service) AddSharedType(st SharedType) error {
	switch {
	case st.ID == "":
		return Errorf(EInvalid, "shared type: id is empty")
	case st.TypeID == "":
		return Errorf(EInvalid, "shared type %s: no appointment type", st.ID)
	case len(st.Practitioners) < 2:
		return Errorf(EInvalid, "shared type %s: it needs at least two practitioners", st.ID)
	}
	if s.shared == nil {
		s.shared = map[string]*SharedType{}
	}
	if _, ok := s.shared[st.ID]; ok {
		return Errorf(EInvalid, "shared type %s: registered twice", st.ID)
	}
	if _, ok := s.byID[st.ID]; ok {
		return Errorf(EInvalid, "shared type %s: a practitioner has this id", st.ID)
	}
	var zone string
	for i, id := range st.Practitioners {
		if slices.Contains(st.Practitioners[:i], id) {
			return Errorf(EInvalid, "shared type %s: practitioner %q listed twice", st.ID, id)
		}
		e, _, err := s.entryAndType(id, st.TypeID)
		if err != nil {
			return WrapError(EInvalid, err, "shared type "+st.ID+": "+ErrorMessage(err))
		}
		if i == 0 {
			zone = e.p.Location.String()
		} else if e.p.Location.String() != zone {
			return Errorf(EInvalid, "shared type %s: practitioner %q is in %s, not %s like %q", st.ID, id, e.p.Location, zone, st.Practitioners[0])
		}
	}
	st.Practitioners = slices.Clone(st.Practitioners)
	s.shared[st.ID] = &st
	s.sharedOrder = append(s.sharedOrder, &st)
	return nil
}

// SharedTypes returns the registered shared types in registration order.
func (s *Service) SharedTypes() []SharedType {
	out := make([]SharedType, len(s.sharedOrder))
	for i, st := range s.sharedOrder {
		out[i] = *st
		out[i].Practitioners = slices.Clone(st.Practitioners)
	}
	return out
}

// SharedType returns the shared type with this id, or an ENotFound error.
func (s *Service) SharedType(id string) (*SharedType, error) {
	st, ok := s.shared[id]
	if !ok {
		return nil, Errorf(ENotFound, "no shared appointment type %q", id)
	}
	c := *st
	c.Practitioners = slices.Clone(st.Practitioners)
	return &c, nil
}

// sharedLocation returns the time zone of the practitioners of st.
func (s *Service) sharedLocation(st *SharedType) *time.Location {
	return s.byID[st.Practitioners[0]].p.Location
}

// SharedLocation returns the time zone shared by the practitioners of the
// shared type id, or an ENotFound error.
func (s *Service) SharedLocation(id string) (*time.Location, error) {
	st, ok := s.shared[id]
	if !ok {
		return nil, Errorf(ENotFound, "no shared appointment type %q", id)
	}
	return s.sharedLocation(st), nil
}

// sharedEntries returns the entries and the types of the practitioners of
// st, in its order.
func (s *Service) sharedEntries(st *SharedType) ([]*entry, []*AppointmentType) {
	es := make([]*entry, len(st.Practitioners))
	ts := make([]*AppointmentType, len(st.Practitioners))
	for i, id := range st.Practitioners {
		es[i] = s.byID[id]
		ts[i] = es[i].p.Type(st.TypeID)
	}
	return es, ts
}

// SharedSlot is a free slot of a shared type: at least one of its
// practitioners is free at Start. It does not say who.
type SharedSlot struct {
	Start time.Time
	End   time.Time // the earliest end among the practitioners free at Start (their durations may differ)
	Free  int       // how many practitioners are free at Start
}

// SharedSlots returns the free slots of the shared type sharedID whose
// start lies in [from, to): the union of its practitioners' slots (see
// Slots), one per start. ENotFound for an unknown shared type; if any of
// the calendars can't be read, EUnavailable and no slot.
func (s *Service) SharedSlots(ctx context.Context, sharedID string, from, to time.Time) ([]SharedSlot, error) {
	st, ok := s.shared[sharedID]
	if !ok {
		return nil, Errorf(ENotFound, "no shared appointment type %q", sharedID)
	}
	es, ts := s.sharedEntries(st)
	all := make([][]Slot, len(es))
	err := each(len(es), func(i int) (err error) {
		all[i], err = s.slots(ctx, es[i], ts[i], from, to, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []SharedSlot{}
	for _, sl := range mergeSlots(all) {
		out = append(out, SharedSlot{Start: sl.slot.Start.In(s.sharedLocation(st)), End: sl.slot.End.In(s.sharedLocation(st)), Free: sl.n})
	}
	return out, nil
}

type mergedSlot struct {
	slot Slot
	n    int
}

// mergeSlots merges lists of slots, each sorted by start, into one sorted
// list with one slot per start: its end the earliest, n the number of lists
// that have it.
func mergeSlots(lists [][]Slot) []mergedSlot {
	var out []mergedSlot
	for _, l := range lists {
		for _, sl := range l {
			out = append(out, mergedSlot{slot: sl, n: 1})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].slot.Start.Before(out[j].slot.Start) })
	merged := out[:0]
	for _, m := range out {
		if k := len(merged) - 1; k >= 0 && merged[k].slot.Start.Equal(m.slot.Start) {
			merged[k].n++
			if m.slot.End.Before(merged[k].slot.End) {
				merged[k].slot.End = m.slot.End
			}
			continue
		}
		merged = append(merged, m)
	}
	return merged
}

// SharedDays is Days for a shared type: each local day with the merged
// free slots of its practitioners (see SharedSlots). A day with none
// tells the most hopeful reason among theirs: full if one of them is open
// and booked up, else later if one's horizon has not reached it yet, else
// closed, else past.
func (s *Service) SharedDays(ctx context.Context, sharedID string, from, to Date) ([]Day, error) {
	st, ok := s.shared[sharedID]
	if !ok {
		return nil, Errorf(ENotFound, "no shared appointment type %q", sharedID)
	}
	es, ts := s.sharedEntries(st)
	all := make([][]Day, len(es))
	err := each(len(es), func(i int) (err error) {
		all[i], err = s.days(ctx, es[i], ts[i], from, to, "", time.Time{})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := all[0]
	for _, days := range all[1:] {
		for k := range out {
			out[k] = mergeDay(out[k], days[k])
		}
	}
	return out, nil
}

// each calls f(0) to f(n-1) at once, one goroutine each (the calendars of
// a shared type's practitioners are read side by side), and returns the
// error of the first that failed, by index.
func each(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// dayHope ranks the states of a day with no free slot for SharedDays.
var dayHope = map[DayState]int{DayFree: 4, DayFull: 3, DayLater: 2, DayClosed: 1, DayPast: 0}

func mergeDay(a, b Day) Day {
	d := Day{Date: a.Date, State: a.State}
	if dayHope[b.State] > dayHope[a.State] {
		d.State = b.State
	}
	for _, m := range mergeSlots([][]Slot{a.Slots, b.Slots}) {
		d.Slots = append(d.Slots, m.slot)
	}
	return d
}

// SharedBookRequest asks for a slot of a shared type with the first
// available practitioner. Its fields are those of BookRequest.
type SharedBookRequest struct {
	SharedID       string
	Start          time.Time
	Patient        Patient
	Lang           string
	IdempotencyKey string
}

// BookShared books the slot of the shared type that starts at req.Start
// with the first available practitioner, and returns the booking (whose
// PractitionerID names who was chosen) and its manage token.
//
// The rule: the candidates are the practitioners free at req.Start (the
// calendar and the ledger read again, as Book does under the lock).
// Fewest active bookings that local day goes first (least booked; pending
// and confirmed bookings of any type, counted from the ledger); a tie goes
// to the one listed first in the shared type. Each candidate in turn is
// booked through Book's own path (the practitioner's gate and lock, the
// conditional write, the limits); one that lost the slot meanwhile
// (EConflict) passes it to the next. The counts are read without a lock:
// they choose an order, never whether a slot is free.
//
// An Idempotency-Key keys the request as made to the shared type, whoever
// takes it: a retry gets the first booking again, even when it was
// another practitioner's. A request that finds no one free while a twin
// with its key may still be writing waits for it (awaitWrites) and gets
// its booking rather than EConflict.
//
// Errors: ENotFound (shared type), EInvalid (patient fields, a start that
// is no practitioner's slot, an Idempotency-Key used for another request),
// EConflict (every practitioner free then lost the slot, or none is free),
// ELimit and EUnavailable as Book.
func (s *Service) BookShared(ctx context.Context, req SharedBookRequest) (*Booking, string, error) {
	st, ok := s.shared[req.SharedID]
	if !ok {
		return nil, "", Errorf(ENotFound, "no shared appointment type %q", req.SharedID)
	}
	if err := req.Patient.Validate(false); err != nil {
		return nil, "", err
	}
	if !ValidLang(req.Lang) {
		return nil, "", FieldError(FieldLang, ReasonInvalid, "the language must be fr or en")
	}
	start := req.Start.In(s.sharedLocation(st))
	var key *idempotencyKey
	if req.IdempotencyKey != "" {
		var err error
		if key, err = s.keys.sharedIdempotency(req, st, start); err != nil {
			return nil, "", err
		}
		if b, token, found, err := s.replay(ctx, key); found || err != nil {
			return b, token, err
		}
	}
	b, token, err := s.bookFirst(ctx, st, start, req, key)
	if ErrorCode(err) == EConflict && key != nil {
		// Perhaps lost to a twin request with the same key, still
		// writing: once it is through, its result is the answer.
		if werr := s.awaitWrites(ctx, st, start); werr != nil {
			return nil, "", werr
		}
		if rb, rtoken, found, rerr := s.replay(ctx, key); found || rerr != nil {
			return rb, rtoken, rerr
		}
	}
	return b, token, err
}

// awaitWrites waits, for each practitioner of st who offers start by the
// rules and whose ledger shows no booking there, for their lock to be
// free once: a booking whose event already holds the slot there (a twin
// request with the same Idempotency-Key, with another practitioner than
// the one this request tried) is then recorded, or given up.
func (s *Service) awaitWrites(ctx context.Context, st *SharedType, start time.Time) error {
	es, ts := s.sharedEntries(st)
	for i, e := range es {
		t := ts[i]
		open, err := s.rulesOpen(ctx, e, t, start)
		if err != nil {
			return err
		}
		q := SlotQuery{Location: e.p.Location, Open: open, Type: t, Now: s.now()}
		if !IsSlot(q, start) {
			continue
		}
		rows, err := s.store.BookingsBetween(ctx, e.p.ID, start.Add(-24*time.Hour), start.Add(t.Duration+24*time.Hour))
		if err != nil {
			return err
		}
		if lostTo(q, &e.p, start, rows) != nil {
			continue // taken for good
		}
		unlock, err := s.locker.Lock(ctx, e.p.ID)
		if err != nil {
			return err
		}
		unlock()
	}
	return nil
}

// bookFirst is BookShared once the request is checked: each candidate in
// turn until one takes the slot.
func (s *Service) bookFirst(ctx context.Context, st *SharedType, start time.Time, req SharedBookRequest, key *idempotencyKey) (*Booking, string, error) {
	cands, err := s.candidates(ctx, st, start)
	if err != nil {
		return nil, "", err
	}
	err = Errorf(EConflict, "the slot %s is no longer free", start.Format(time.RFC3339))
	for _, c := range cands {
		var b *Booking
		var token string
		b, token, err = s.take(ctx, c.e, c.t, start, req.Patient, req.Lang, key, false)
		if ErrorCode(err) != EConflict {
			return b, token, err
		}
		s.log.InfoContext(ctx, "shared booking: practitioner lost the slot, trying the next", "shared", st.ID, "practitioner", c.e.p.ID)
	}
	return nil, "", err
}

type candidate struct {
	e      *entry
	t      *AppointmentType
	booked int // active bookings on the local day of the slot
}

// candidates returns the practitioners of st free at start, in the order
// BookShared tries them. EInvalid when start is no practitioner's slot by
// the rules (hours, step, notice, horizon), EConflict when it is but none
// is free.
func (s *Service) candidates(ctx context.Context, st *SharedType, start time.Time) ([]candidate, error) {
	es, ts := s.sharedEntries(st)
	qs := make([]SlotQuery, len(es))
	err := each(len(es), func(i int) (err error) {
		qs[i], err = s.freshQuery(ctx, es[i], ts[i], start, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []candidate
	ruled := false
	for i, q := range qs {
		if IsSlot(q, start) {
			out = append(out, candidate{e: es[i], t: ts[i]})
			continue
		}
		// By the rules alone: a day at its quota is full, not closed.
		q.Busy, q.Held, q.Quotas = nil, nil, nil
		ruled = ruled || IsSlot(q, start)
	}
	if len(out) == 0 {
		if !ruled {
			return nil, FieldError(FieldStart, ReasonInvalid, "%s is not a bookable start for %q: pick one from the slots list", start.Format(time.RFC3339), st.ID)
		}
		return nil, Errorf(EConflict, "the slot %s is no longer free", start.Format(time.RFC3339))
	}
	for i := range out {
		c := &out[i]
		loc := c.e.p.Location
		day := DateOf(start.In(loc))
		from, to := day.Midnight(loc), day.AddDays(1).Midnight(loc)
		rows, err := s.store.BookingsBetween(ctx, c.e.p.ID, from, to)
		if err != nil {
			return nil, err
		}
		for _, b := range rows {
			if b.Status.Active() && !b.Start.Before(from) && b.Start.Before(to) {
				c.booked++
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].booked < out[j].booked })
	return out, nil
}
