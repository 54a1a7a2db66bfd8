package bookingtest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

var _ booking.WaitStore = (*WaitStore)(nil)

// WaitStore is an in-memory booking.WaitStore, each method as
// booking.WaitStore documents it. It is safe for concurrent use.
type WaitStore struct {
	mu      sync.Mutex
	entries map[string]*booking.WaitEntry
	order   []string // entry ids by creation
	msgs    []*waitMsg
	seq     int64
}

type waitMsg struct {
	m            booking.WaitMessage
	due          time.Time
	sent, failed time.Time
}

// NewWaitStore returns an empty waiting list.
func NewWaitStore() *WaitStore { return &WaitStore{entries: map[string]*booking.WaitEntry{}} }

func copyEntry(e *booking.WaitEntry) *booking.WaitEntry {
	c := *e
	c.Window.Weekdays = slices.Clone(e.Window.Weekdays)
	return &c
}

// AddWaitEntry implements booking.WaitStore.
func (s *WaitStore) AddWaitEntry(_ context.Context, e *booking.WaitEntry, m booking.WaitMessage, max int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live(e.EmailKey, e.CreatedAt) >= max {
		return &booking.Error{Code: booking.ELimit, Limit: booking.LimitWaitPerEmail, Message: "bookingtest: too many live entries"}
	}
	if _, ok := s.entries[e.ID]; ok {
		return booking.Errorf(booking.EConflict, "bookingtest: entry %s exists", e.ID)
	}
	for _, o := range s.entries {
		if o.TokenHash != "" && o.TokenHash == e.TokenHash {
			return booking.Errorf(booking.EConflict, "bookingtest: token hash exists")
		}
	}
	s.entries[e.ID] = copyEntry(e)
	s.order = append(s.order, e.ID)
	s.add(m)
	return nil
}

func (s *WaitStore) add(m booking.WaitMessage) {
	s.seq++
	m.Seq = s.seq
	s.msgs = append(s.msgs, &waitMsg{m: m})
}

// WaitEntry implements booking.WaitStore.
func (s *WaitStore) WaitEntry(_ context.Context, id string) (*booking.WaitEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[id]; ok {
		return copyEntry(e), nil
	}
	return nil, booking.Errorf(booking.ENotFound, "bookingtest: no entry %s", id)
}

// WaitEntryByTokenHash implements booking.WaitStore.
func (s *WaitStore) WaitEntryByTokenHash(_ context.Context, hash string) (*booking.WaitEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if hash != "" && e.TokenHash == hash {
			return copyEntry(e), nil
		}
	}
	return nil, booking.Errorf(booking.ENotFound, "bookingtest: no such entry")
}

// LiveWaitEntries implements booking.WaitStore.
func (s *WaitStore) LiveWaitEntries(_ context.Context, emailKey string, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(emailKey, now), nil
}

func (s *WaitStore) live(emailKey string, now time.Time) int {
	n := 0
	for _, e := range s.entries {
		held := e.ExpiresAt.After(now) || (e.Status == booking.WaitPending && e.CreatedAt.After(now.Add(-booking.WaitUnconfirmed)))
		if emailKey != "" && e.EmailKey == emailKey && (e.Status == booking.WaitPending || e.Status == booking.WaitActive) && held {
			n++
		}
	}
	return n
}

// SetWaitStatus implements booking.WaitStore.
func (s *WaitStore) SetWaitStatus(_ context.Context, id string, from, to booking.WaitStatus, expiresAt, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok || e.Status != from || !e.ExpiresAt.After(at) {
		return false, nil
	}
	e.Status, e.UpdatedAt = to, at.UTC()
	if !expiresAt.IsZero() {
		e.ExpiresAt = expiresAt.UTC()
	}
	return true, nil
}

// ActiveWaitEntries implements booking.WaitStore.
func (s *WaitStore) ActiveWaitEntries(_ context.Context, now time.Time) ([]*booking.WaitEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*booking.WaitEntry
	for _, id := range s.order {
		e := s.entries[id]
		if e.Status == booking.WaitActive && e.ExpiresAt.After(now) {
			out = append(out, copyEntry(e))
		}
	}
	return out, nil
}

// WaitAlerts implements booking.WaitStore.
func (s *WaitStore) WaitAlerts(_ context.Context, entryIDs []string) ([]booking.WaitMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []booking.WaitMessage
	for _, m := range s.msgs {
		if m.m.Kind == booking.WaitAlert && slices.Contains(entryIDs, m.m.EntryID) {
			out = append(out, m.m)
		}
	}
	return out, nil
}

// RecordWaitAlerts implements booking.WaitStore.
func (s *WaitStore) RecordWaitAlerts(_ context.Context, ms []booking.WaitMessage) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range ms {
		if _, ok := s.entries[m.EntryID]; !ok {
			return 0, booking.Errorf(booking.EInvalid, "bookingtest: no entry %s", m.EntryID)
		}
		if slices.ContainsFunc(s.msgs, func(o *waitMsg) bool {
			return o.m.EntryID == m.EntryID && o.m.Kind == m.Kind && o.m.Slot.Equal(m.Slot)
		}) {
			continue
		}
		m.Slot, m.CreatedAt = m.Slot.UTC(), m.CreatedAt.UTC()
		s.add(m)
		n++
	}
	return n, nil
}

// ClaimWaitMessages implements booking.WaitStore.
func (s *WaitStore) ClaimWaitMessages(_ context.Context, now, until time.Time, limit int) ([]booking.WaitMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []booking.WaitMessage
	for _, m := range s.msgs {
		if len(out) == limit {
			break
		}
		if m.sent.IsZero() && m.failed.IsZero() && m.due.Before(now) {
			m.due = until
			m.m.Attempts++
			out = append(out, m.m)
		}
	}
	return out, nil
}

// WaitMessageDone implements booking.WaitStore.
func (s *WaitStore) WaitMessageDone(_ context.Context, seq int64, at time.Time, failed bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.m.Seq == seq {
			if failed {
				m.failed = at
			} else {
				m.sent = at
			}
		}
	}
	return nil
}

// WaitMessageRetry implements booking.WaitStore.
func (s *WaitStore) WaitMessageRetry(_ context.Context, seq int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.m.Seq == seq {
			m.due = at.Add(-time.Nanosecond)
		}
	}
	return nil
}

// EraseWaitEntries implements booking.WaitStore.
func (s *WaitStore) EraseWaitEntries(_ context.Context, before time.Time, limit int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, id := range s.order {
		if len(ids) == limit {
			break
		}
		e := s.entries[id]
		end := e.ExpiresAt
		if e.Status == booking.WaitBooked || e.Status == booking.WaitLeft {
			end = e.UpdatedAt
		}
		if e.EmailKey == "" || !end.Before(before) {
			continue
		}
		e.Patient, e.EmailKey, e.TokenHash = booking.Patient{}, "", ""
		s.msgs = slices.DeleteFunc(s.msgs, func(m *waitMsg) bool { return m.m.EntryID == id })
		ids = append(ids, id)
	}
	return ids, nil
}

// EraseWaitEntriesOf implements booking.WaitStore.
func (s *WaitStore) EraseWaitEntriesOf(_ context.Context, emailKey string, at time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, id := range s.order {
		e := s.entries[id]
		if emailKey == "" || e.EmailKey != emailKey {
			continue
		}
		if e.Status == booking.WaitPending || e.Status == booking.WaitActive {
			e.Status, e.UpdatedAt = booking.WaitLeft, at.UTC()
		}
		e.Patient, e.EmailKey, e.TokenHash = booking.Patient{}, "", ""
		s.msgs = slices.DeleteFunc(s.msgs, func(m *waitMsg) bool { return m.m.EntryID == id })
		ids = append(ids, id)
	}
	return ids, nil
}

// WaitRecords implements booking.WaitStore.
func (s *WaitStore) WaitRecords(_ context.Context, emailKey string) ([]*booking.WaitEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*booking.WaitEntry
	for _, id := range s.order {
		if e := s.entries[id]; emailKey != "" && e.EmailKey == emailKey {
			out = append(out, copyEntry(e))
		}
	}
	return out, nil
}

// WaitSent returns the messages sent, in the order they were sent.
func (s *WaitStore) WaitSent() []booking.WaitMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []booking.WaitMessage
	for _, m := range s.msgs {
		if !m.sent.IsZero() {
			out = append(out, m.m)
		}
	}
	return out
}

var _ booking.WaitNotifier = (*WaitNotifier)(nil)

// WaitNotifier records the waiting list's notifications. While Fail is set,
// NotifyWait returns it and records nothing. It is safe for concurrent use.
type WaitNotifier struct {
	mu   sync.Mutex
	Fail error
	sent []booking.WaitNotification
}

// NotifyWait implements booking.WaitNotifier.
func (r *WaitNotifier) NotifyWait(_ context.Context, n booking.WaitNotification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail != nil {
		return r.Fail
	}
	e := *n.Entry
	n.Entry = &e
	r.sent = append(r.sent, n)
	return nil
}

// SetFail sets the error NotifyWait returns (nil: it sends again).
func (r *WaitNotifier) SetFail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Fail = err
}

// Take returns the notifications recorded since the last Take.
func (r *WaitNotifier) Take() []booking.WaitNotification {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}

// WaitingEntries implements booking.WaitStore.
func (s *WaitStore) WaitingEntries(_ context.Context, now time.Time) ([]*booking.WaitEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*booking.WaitEntry
	for _, id := range s.order {
		e := s.entries[id]
		if (e.Status == booking.WaitPending || e.Status == booking.WaitActive) && e.ExpiresAt.After(now) {
			out = append(out, copyEntry(e))
		}
	}
	slices.SortStableFunc(out, func(a, b *booking.WaitEntry) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
