package booking

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// The waiting list as the practice's desk sees it (docs/desk.md): who
// waits, and taking an entry off the list for the patient.

// LiveEntries returns the pending and active entries not expired of these
// practitioners, in the order they joined; none for no practitioner. An
// entry of a shared motive is any of its practitioners'.
// EUnavailable when the store can't be read.
func (w *Waitlist) LiveEntries(ctx context.Context, practitionerIDs []string) ([]*WaitEntry, error) {
	if len(practitionerIDs) == 0 {
		return nil, nil
	}
	all, err := w.st.WaitingEntries(ctx, w.svc.now())
	if err != nil {
		return nil, err
	}
	var out []*WaitEntry
	for _, e := range all {
		if w.concerns(e, practitionerIDs) {
			out = append(out, e)
		}
	}
	return out, nil
}

// concerns reports whether e waits for one of these practitioners: its
// own, or, for a shared motive, any of the shared type's (the patient may
// be booked with each of them).
func (w *Waitlist) concerns(e *WaitEntry, practitionerIDs []string) bool {
	if e.SharedID == "" {
		return slices.Contains(practitionerIDs, e.PractitionerID)
	}
	st, ok := w.svc.shared[e.SharedID]
	if !ok {
		return false
	}
	for _, p := range st.Practitioners {
		if slices.Contains(practitionerIDs, p) {
			return true
		}
	}
	return false
}

// AlertCounts returns, by entry id, how many alerts were recorded for
// these entries (sent, or about to be); an entry that had none is absent.
func (w *Waitlist) AlertCounts(ctx context.Context, entries []*WaitEntry) (map[string]int, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	ms, err := w.st.WaitAlerts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int)
	for _, m := range ms {
		out[m.EntryID]++
	}
	return out, nil
}

// RemoveByPractice takes the entry with this id off the waiting list, as
// the patient's leave link does (WaitLeft), for the practice: the entry
// must be one of these practitioners' (for a shared motive, of any of its
// practitioners). Removing an entry that is no longer
// live changes nothing and returns it. ENotFound for an unknown id or
// another practitioner's entry.
func (w *Waitlist) RemoveByPractice(ctx context.Context, id string, practitionerIDs []string) (*WaitEntry, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, Errorf(ENotFound, "no such waiting-list entry")
	}
	en, err := w.st.WaitEntry(ctx, id)
	if err != nil {
		if ErrorCode(err) == ENotFound {
			return nil, Errorf(ENotFound, "no such waiting-list entry")
		}
		return nil, err
	}
	if !w.concerns(en, practitionerIDs) {
		return nil, Errorf(ENotFound, "no such waiting-list entry")
	}
	now := w.svc.now()
	st := en.State(now)
	if st != WaitPending && st != WaitActive {
		return en, nil
	}
	ok, err := w.st.SetWaitStatus(ctx, en.ID, st, WaitLeft, time.Time{}, now)
	if err != nil {
		return nil, err
	}
	if !ok { // changed meanwhile: say what it is now
		return w.RemoveByPractice(ctx, id, practitionerIDs)
	}
	en.Status, en.UpdatedAt = WaitLeft, now
	return en, nil
}
