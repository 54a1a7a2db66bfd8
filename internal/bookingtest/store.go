package bookingtest

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

var _ booking.Store = (*Store)(nil)

// Store is an in-memory booking.Store: the ledger with its compare-and-set
// on revisions, the outbox with its claims, idempotency records, write
// intents and closures, each method as booking.Store documents it. Times
// come back in UTC, as the SQL stores give them. Its faults (OpRecordCreate,
// OpRecordUpdate, OpClaimOutbox, …) make calls fail; a Record that fails
// before taking effect records nothing, one that fails after records all
// of it. It is safe for concurrent use.
type Store struct {
	Faults

	mu       sync.Mutex
	bookings map[string]*booking.Booking
	outbox   []*outboxEntry // in order of creation
	keys     map[string]*booking.IdempotencyRecord
	intents  map[string]booking.Intent
	closures map[string][]booking.Closure // by practitioner
	erased   map[string]time.Time         // booking ids whose patient data was erased, and when
}

// outboxEntry is a message with its delivery state.
type outboxEntry struct {
	m                     booking.OutboxMessage
	due                   time.Time
	sent, failed, dropped time.Time
	reason                string
}

// waiting reports whether e is neither sent, given up nor dropped.
func (e *outboxEntry) waiting() bool {
	return e.sent.IsZero() && e.failed.IsZero() && e.dropped.IsZero()
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{} }

func (s *Store) init() {
	if s.bookings == nil {
		s.bookings = map[string]*booking.Booking{}
		s.keys = map[string]*booking.IdempotencyRecord{}
		s.intents = map[string]booking.Intent{}
		s.closures = map[string][]booking.Closure{}
		s.erased = map[string]time.Time{}
	}
}

// copyBooking returns a copy of b with its times in UTC.
func copyBooking(b *booking.Booking) *booking.Booking {
	c := *b
	c.Start, c.End = c.Start.UTC(), c.End.UTC()
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c
}

func checkBooking(b *booking.Booking) error {
	switch {
	case b == nil:
		return booking.Errorf(booking.EInvalid, "bookingtest: change without a booking")
	case b.ID == "" || b.PractitionerID == "" || b.TypeID == "":
		return booking.Errorf(booking.EInvalid, "bookingtest: booking without id, practitioner or type")
	case b.Status != booking.StatusPending && b.Status != booking.StatusConfirmed &&
		b.Status != booking.StatusCancelled && b.Status != booking.StatusExpired:
		return booking.Errorf(booking.EInvalid, "bookingtest: booking %s has an unknown status", b.ID)
	case !b.End.After(b.Start):
		return booking.Errorf(booking.EInvalid, "bookingtest: booking %s does not end after it starts", b.ID)
	case b.Sequence < 0 || b.Revision < 0:
		return booking.Errorf(booking.EInvalid, "bookingtest: booking %s has a negative sequence or revision", b.ID)
	case !booking.ValidLang(b.Lang):
		return booking.Errorf(booking.EInvalid, "bookingtest: booking %s has an unknown language", b.ID)
	}
	return nil
}

// Record implements booking.Store.
func (s *Store) Record(_ context.Context, c booking.Change) error {
	op := OpRecordUpdate
	if c.Create {
		op = OpRecordCreate
	}
	if err := s.enter(op); err != nil {
		return err
	}
	if err := s.record(c); err != nil {
		return err
	}
	return s.leave(op)
}

func (s *Store) record(c booking.Change) error {
	if err := checkBooking(c.Booking); err != nil {
		return err
	}
	b := c.Booking
	if k := c.Key; k != nil && (!c.Create || k.Key == "" || k.BookingID != b.ID) {
		return booking.Errorf(booking.EInvalid, "bookingtest: booking %s: malformed idempotency record", b.ID)
	}
	for _, m := range c.Outbox {
		if m.ID == "" || m.Kind == "" || m.BookingID != b.ID {
			return booking.Errorf(booking.EInvalid, "bookingtest: booking %s: malformed outbox message", b.ID)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	// Check everything first: a change that fails records nothing.
	old := s.bookings[b.ID]
	if c.Create {
		if old != nil {
			return booking.Errorf(booking.EConflict, "bookingtest: booking %s already exists", b.ID)
		}
	} else {
		switch {
		case old == nil:
			return booking.Errorf(booking.ENotFound, "bookingtest: booking %s not found", b.ID)
		case old.Revision != b.Revision:
			return booking.Errorf(booking.EConflict, "bookingtest: booking %s was changed meanwhile (revision %d, not %d)", b.ID, old.Revision, b.Revision)
		}
	}
	if b.TokenHash != "" {
		for id, o := range s.bookings {
			if id != b.ID && o.TokenHash == b.TokenHash {
				return booking.Errorf(booking.EConflict, "bookingtest: booking %s: manage token already in use", b.ID)
			}
		}
	}
	if k := c.Key; k != nil {
		if r := s.keys[k.Key]; r != nil && !r.CreatedAt.Before(k.CreatedAt.Add(-booking.IdempotencyTTL)) {
			return booking.Errorf(booking.EConflict, "bookingtest: booking %s: idempotency key already recorded", b.ID)
		}
	}
	for _, m := range c.Outbox {
		for _, e := range s.outbox {
			if e.m.ID == m.ID {
				return booking.Errorf(booking.EConflict, "bookingtest: outbox message %s exists", m.ID)
			}
		}
	}

	if c.Create {
		s.bookings[b.ID] = copyBooking(b)
	} else {
		// The fields an update saves (see booking.Change); the others stay.
		n := copyBooking(old)
		u := copyBooking(b)
		n.Status, n.Start, n.End = u.Status, u.Start, u.End
		n.EventHref, n.EventETag, n.Sequence = u.EventHref, u.EventETag, u.Sequence
		n.UpdatedAt, n.TokenHash, n.Moves = u.UpdatedAt, u.TokenHash, u.Moves
		n.Revision = old.Revision + 1
		s.bookings[b.ID] = n
	}
	if k := c.Key; k != nil {
		r := *k
		r.Response = slices.Clone(k.Response)
		s.keys[k.Key] = &r
	}
	// Before the new messages: they may be of a kind dropped.
	for _, e := range s.outbox {
		if e.m.BookingID == b.ID && e.waiting() && slices.Contains(c.Drop, e.m.Kind) {
			e.dropped, e.m.Sealed, e.reason = b.UpdatedAt, nil, "dropped"
		}
	}
	for _, m := range c.Outbox {
		m.Sealed = slices.Clone(m.Sealed)
		m.Attempts = 0
		due := m.CreatedAt
		if !m.Due.IsZero() {
			due = m.Due
		}
		s.outbox = append(s.outbox, &outboxEntry{m: m, due: due})
	}
	for _, id := range c.Intents {
		delete(s.intents, id)
	}
	return nil
}

// BookingByTokenHash implements booking.Store.
func (s *Store) BookingByTokenHash(_ context.Context, hash string) (*booking.Booking, error) {
	if err := s.enter(OpBookingByToken); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bookings {
		if hash != "" && b.TokenHash == hash {
			return copyBooking(b), nil
		}
	}
	return nil, booking.Errorf(booking.ENotFound, "bookingtest: booking not found")
}

// Booking implements booking.Store.
func (s *Store) Booking(_ context.Context, id string) (*booking.Booking, error) {
	if err := s.enter(OpBooking); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bookings[id]
	if b == nil {
		return nil, booking.Errorf(booking.ENotFound, "bookingtest: booking %s not found", id)
	}
	return copyBooking(b), nil
}

// sortBookings orders bs by start, then id.
func sortBookings(bs []*booking.Booking) {
	slices.SortFunc(bs, func(a, b *booking.Booking) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// BookingsBetween implements booking.Store.
func (s *Store) BookingsBetween(_ context.Context, practitionerID string, from, to time.Time) ([]*booking.Booking, error) {
	if err := s.enter(OpBookingsBetween); err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, booking.Errorf(booking.EInvalid, "bookingtest: range ends before it starts")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*booking.Booking
	for _, b := range s.bookings {
		if b.PractitionerID == practitionerID && b.Start.Before(to) && from.Before(b.End) {
			out = append(out, copyBooking(b))
		}
	}
	sortBookings(out)
	return out, nil
}

// PendingBookings implements booking.Store.
func (s *Store) PendingBookings(_ context.Context, limit int) ([]*booking.Booking, error) {
	if err := s.enter(OpPendingBookings); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*booking.Booking
	for _, b := range s.bookings {
		if b.Status == booking.StatusPending {
			out = append(out, copyBooking(b))
		}
	}
	slices.SortFunc(out, func(a, b *booking.Booking) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:max(limit, 0)]
	}
	return out, nil
}

// PatientActivity implements booking.Store.
func (s *Store) PatientActivity(_ context.Context, practitionerID, emailKey, phoneKey string, now, newSince time.Time) (booking.Activity, error) {
	if err := s.enter(OpPatientActivity); err != nil {
		return booking.Activity{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var a booking.Activity
	for _, b := range s.bookings {
		if b.PractitionerID != practitionerID {
			continue
		}
		if !b.CreatedAt.Before(newSince) && b.Status.Active() {
			a.New++
		}
		if !b.Status.Active() || !b.End.After(now) {
			continue
		}
		if booking.EmailKey(b.Patient.Email) == emailKey {
			a.ActiveByEmail++
			if b.Status == booking.StatusPending {
				a.PendingByEmail++
			}
		}
		if phoneKey != "" && booking.PhoneKey(b.Patient.Phone) == phoneKey {
			a.ActiveByPhone++
		}
	}
	return a, nil
}

// MessagesTo implements booking.Store.
func (s *Store) MessagesTo(_ context.Context, email string, since time.Time) (int, error) {
	if err := s.enter(OpMessagesTo); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.outbox {
		b := s.bookings[e.m.BookingID]
		if b != nil && e.m.Recipient == booking.RecipientPatient && e.m.Kind != booking.NotifyReminder && booking.EmailKey(b.Patient.Email) == booking.EmailKey(email) && !e.m.CreatedAt.Before(since) {
			n++
		}
	}
	return n, nil
}

// IdempotencyRecord implements booking.Store.
func (s *Store) IdempotencyRecord(_ context.Context, key string, since time.Time) (*booking.IdempotencyRecord, error) {
	if err := s.enter(OpIdempotencyRecord); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.keys[key]
	if r == nil || r.CreatedAt.Before(since) {
		return nil, booking.Errorf(booking.ENotFound, "bookingtest: idempotency key not found")
	}
	c := *r
	c.Response = slices.Clone(r.Response)
	return &c, nil
}

// ClaimOutbox implements booking.Store.
func (s *Store) ClaimOutbox(_ context.Context, now, until time.Time, limit int, ids ...string) ([]booking.OutboxMessage, error) {
	if err := s.enter(OpClaimOutbox); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*outboxEntry
	for _, e := range s.outbox {
		if e.waiting() && !e.due.After(now) && (len(ids) == 0 || slices.Contains(ids, e.m.ID)) && !s.heldBack(e) {
			due = append(due, e)
		}
	}
	slices.SortStableFunc(due, func(a, b *outboxEntry) int {
		return cmp.Or(a.due.Compare(b.due), a.m.CreatedAt.Compare(b.m.CreatedAt))
	})
	due = due[:min(len(due), max(limit, 0))]
	out := make([]booking.OutboxMessage, 0, len(due))
	for _, e := range due {
		e.due = until
		e.m.Attempts++
		m := e.m
		m.Sealed = slices.Clone(m.Sealed)
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b booking.OutboxMessage) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// heldBack reports whether an older message of e's booking and recipient,
// not a reminder, waits to be sent before e.
func (s *Store) heldBack(e *outboxEntry) bool {
	for _, o := range s.outbox {
		if o == e {
			return false // s.outbox is in order of creation
		}
		if o.m.BookingID == e.m.BookingID && o.m.Recipient == e.m.Recipient && o.m.Kind != booking.NotifyReminder && o.waiting() {
			return true
		}
	}
	return false
}

// OutboxSupersede implements booking.Store.
func (s *Store) OutboxSupersede(_ context.Context, m booking.OutboxMessage, at time.Time) (bool, error) {
	if err := s.enter(OpOutboxSupersede); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.outboxEntry(m.ID)
	if err != nil || !e.waiting() {
		return false, err
	}
	var newer []*outboxEntry
	after := false
	for _, o := range s.outbox {
		if o == e {
			after = true
			continue
		}
		if after && o.m.BookingID == m.BookingID && o.m.Recipient == m.Recipient && o.m.Kind != booking.NotifyReminder &&
			o.m.Kind != booking.NotifyUndelivered && o.m.Kind != booking.NotifyReminderSent && o.waiting() {
			newer = append(newer, o)
		}
	}
	if len(newer) == 0 {
		return false, nil
	}
	if len(e.m.Sealed) > 0 {
		for _, o := range newer {
			if len(o.m.Sealed) == 0 {
				o.m.Sealed = slices.Clone(e.m.Sealed)
				break
			}
		}
	}
	if next := newer[0]; next.m.Kind == booking.NotifyRescheduled && !e.m.PreviousStart.IsZero() {
		next.m.PreviousStart, next.m.PreviousEnd = e.m.PreviousStart, e.m.PreviousEnd
	}
	e.dropped, e.m.Sealed, e.reason = at, nil, "superseded"
	return true, nil
}

// OutboxWaiting implements booking.Store.
func (s *Store) OutboxWaiting(context.Context) (int, error) {
	if err := s.enter(OpOutboxWaiting); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.outbox {
		if e.waiting() {
			n++
		}
	}
	return n, nil
}

// FailedMessages implements booking.Store.
func (s *Store) FailedMessages(_ context.Context, since time.Time, limit int) ([]booking.FailedMessage, error) {
	if err := s.enter(OpFailedMessages); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []booking.FailedMessage
	for i := len(s.outbox) - 1; i >= 0 && len(out) < limit; i-- {
		if e := s.outbox[i]; !e.failed.IsZero() && !e.failed.Before(since) {
			out = append(out, booking.FailedMessage{OutboxMessage: e.m, FailedAt: e.failed, Reason: e.reason})
		}
	}
	return out, nil
}

func (s *Store) outboxEntry(id string) (*outboxEntry, error) {
	for _, e := range s.outbox {
		if e.m.ID == id {
			return e, nil
		}
	}
	return nil, booking.Errorf(booking.ENotFound, "bookingtest: outbox message %s not found", id)
}

// OutboxSent implements booking.Store.
func (s *Store) OutboxSent(_ context.Context, id string, at time.Time, then ...booking.OutboxMessage) error {
	return s.updateOutbox(OpOutboxSent, id, then, func(e *outboxEntry) { e.sent, e.m.Sealed = at, nil })
}

// OutboxRetry implements booking.Store.
func (s *Store) OutboxRetry(_ context.Context, id string, retryAt time.Time, reason string) error {
	return s.updateOutbox(OpOutboxRetry, id, nil, func(e *outboxEntry) { e.due, e.reason = retryAt, reason })
}

// OutboxFailed implements booking.Store.
func (s *Store) OutboxFailed(_ context.Context, id string, at time.Time, reason string, then ...booking.OutboxMessage) error {
	return s.updateOutbox(OpOutboxFailed, id, then, func(e *outboxEntry) { e.failed, e.m.Sealed, e.reason = at, nil, reason })
}

// OutboxDrop implements booking.Store.
func (s *Store) OutboxDrop(_ context.Context, id string, at time.Time, reason string) error {
	return s.updateOutbox(OpOutboxDrop, id, nil, func(e *outboxEntry) { e.dropped, e.m.Sealed, e.reason = at, nil, reason })
}

func (s *Store) updateOutbox(op Op, id string, then []booking.OutboxMessage, f func(*outboxEntry)) error {
	if err := s.enter(op); err != nil {
		return err
	}
	s.mu.Lock()
	e, err := s.outboxEntry(id)
	if err == nil {
		f(e)
		for _, m := range then {
			m.Sealed, m.Attempts = slices.Clone(m.Sealed), 0
			due := m.CreatedAt
			if !m.Due.IsZero() {
				due = m.Due
			}
			s.outbox = append(s.outbox, &outboxEntry{m: m, due: due})
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.leave(op)
}

// Purge implements booking.Store.
func (s *Store) Purge(_ context.Context, keysBefore, outboxBefore time.Time) error {
	if err := s.enter(OpPurge); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, r := range s.keys {
		if r.CreatedAt.Before(keysBefore) {
			delete(s.keys, k)
		}
	}
	s.outbox = slices.DeleteFunc(s.outbox, func(e *outboxEntry) bool {
		return !e.sent.IsZero() && e.sent.Before(outboxBefore) || !e.failed.IsZero() && e.failed.Before(outboxBefore)
	})
	return nil
}

// AddIntent implements booking.Store.
func (s *Store) AddIntent(_ context.Context, in booking.Intent) error {
	if err := s.enter(OpAddIntent); err != nil {
		return err
	}
	switch {
	case in.ID == "" || in.BookingID == "" || in.PractitionerID == "":
		return booking.Errorf(booking.EInvalid, "bookingtest: write intent without id, booking or practitioner")
	case in.Op != booking.IntentCreate && in.Op != booking.IntentUpdate && in.Op != booking.IntentDelete:
		return booking.Errorf(booking.EInvalid, "bookingtest: write intent of booking %s: unknown operation %q", in.BookingID, in.Op)
	case in.Revision < 0 || in.Sequence < 0:
		return booking.Errorf(booking.EInvalid, "bookingtest: write intent of booking %s: negative revision or sequence", in.BookingID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if _, ok := s.intents[in.ID]; ok {
		return booking.Errorf(booking.EConflict, "bookingtest: write intent %s already exists", in.ID)
	}
	in.CreatedAt, in.Start, in.End = in.CreatedAt.UTC(), in.Start.UTC(), in.End.UTC()
	s.intents[in.ID] = in
	return nil
}

// DeleteIntents implements booking.Store.
func (s *Store) DeleteIntents(_ context.Context, ids ...string) error {
	if err := s.enter(OpDeleteIntents); err != nil {
		return err
	}
	s.mu.Lock()
	for _, id := range ids {
		delete(s.intents, id)
	}
	s.mu.Unlock()
	return s.leave(OpDeleteIntents)
}

// Intents implements booking.Store.
func (s *Store) Intents(_ context.Context, practitionerID string, before time.Time) ([]booking.Intent, error) {
	if err := s.enter(OpIntents); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []booking.Intent
	for _, in := range s.intents {
		if (practitionerID == "" || in.PractitionerID == practitionerID) && in.CreatedAt.Before(before) {
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b booking.Intent) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// AddClosure implements booking.Store.
func (s *Store) AddClosure(_ context.Context, practitionerID string, c booking.Closure) error {
	if err := s.enter(OpAddClosure); err != nil {
		return err
	}
	valid := func(d booking.Date) bool {
		return d.Year >= 1 && d.Year <= 9999 && booking.DateOf(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)) == d
	}
	switch {
	case c.ID == "" || practitionerID == "":
		return booking.Errorf(booking.EInvalid, "bookingtest: closure without id or practitioner")
	case !valid(c.From) || !valid(c.To):
		return booking.Errorf(booking.EInvalid, "bookingtest: closure %s has a date that is not a date of years 0001-9999", c.ID)
	case c.To.Before(c.From):
		return booking.Errorf(booking.EInvalid, "bookingtest: closure %s ends before it starts", c.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	for _, cs := range s.closures {
		for _, o := range cs {
			if o.ID == c.ID {
				return booking.Errorf(booking.EConflict, "bookingtest: closure %s already exists", c.ID)
			}
		}
	}
	s.closures[practitionerID] = append(s.closures[practitionerID], c)
	return nil
}

// DeleteClosure implements booking.Store.
func (s *Store) DeleteClosure(_ context.Context, practitionerID, id string) error {
	if err := s.enter(OpDeleteClosure); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.closures[practitionerID]
	i := slices.IndexFunc(cs, func(c booking.Closure) bool { return c.ID == id })
	if i < 0 {
		return booking.Errorf(booking.ENotFound, "bookingtest: closure %s not found", id)
	}
	s.closures[practitionerID] = slices.Delete(cs, i, i+1)
	return nil
}

// Closures implements booking.Store.
func (s *Store) Closures(_ context.Context, practitionerID string, from, to booking.Date) ([]booking.Closure, error) {
	if err := s.enter(OpClosures); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []booking.Closure
	for _, c := range s.closures[practitionerID] {
		if !c.To.Before(from) && !to.Before(c.From) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b booking.Closure) int {
		switch {
		case a.From != b.From:
			return dateCompare(a.From, b.From)
		case a.To != b.To:
			return dateCompare(a.To, b.To)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func dateCompare(a, b booking.Date) int {
	switch {
	case a.Before(b):
		return -1
	case b.Before(a):
		return 1
	}
	return 0
}

// Inspection, for tests: what the store holds, without faults nor counts.

// Bookings returns every booking of the ledger, ordered by start then id.
func (s *Store) Bookings() []*booking.Booking {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*booking.Booking, 0, len(s.bookings))
	for _, b := range s.bookings {
		out = append(out, copyBooking(b))
	}
	sortBookings(out)
	return out
}

// Len returns how many bookings the store holds, whatever their status.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bookings)
}

// Row returns the booking id as the ledger holds it, or nil.
func (s *Store) Row(id string) *booking.Booking {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bookings[id]; b != nil {
		return copyBooking(b)
	}
	return nil
}

// OutboxState is an outbox message with its delivery state.
type OutboxState struct {
	Message      booking.OutboxMessage
	Due          time.Time // when it may be claimed next
	Sent, Failed time.Time // zero until sent, or given up
	Dropped      time.Time // zero unless dropped (superseded, or Change.Drop)
	Reason       string    // the last failure's reason
}

// Outbox returns the outbox's messages, in order of creation.
func (s *Store) Outbox() []OutboxState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OutboxState, len(s.outbox))
	for i, e := range s.outbox {
		m := e.m
		m.Sealed = slices.Clone(m.Sealed)
		out[i] = OutboxState{Message: m, Due: e.due, Sent: e.sent, Failed: e.failed, Dropped: e.dropped, Reason: e.reason}
	}
	return out
}

// AllIntents returns the write intents held, oldest first.
func (s *Store) AllIntents() []booking.Intent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]booking.Intent, 0, len(s.intents))
	for _, in := range s.intents {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b booking.Intent) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out
}

// IdempotencyKeys returns how many idempotency records the store holds.
func (s *Store) IdempotencyKeys() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}
