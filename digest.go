package rdv

import (
	"context"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/notify"
)

// The daily agenda email (Options.DailyDigest): once a day, at the
// practitioner's local time, the day's bookings go to their address. Every
// replica runs the job; the store's digests table lets one of them send
// each day's (store.DB.ClaimDigest).
const (
	// digestWindow is how long after its time a day's digest may still
	// leave: a replica down at 07:00 sends it when it is back in the
	// morning, not in the evening.
	digestWindow = 4 * time.Hour
	// digestLease is how long a claimed digest is left to its replica
	// before another may send it (a crash, or a mail server down).
	digestLease = 2 * time.Minute
)

// sendDigests sends the digests that are due and not sent yet. Failures are
// logged: a digest not sent is tried again by a later run, once its lease
// has run out, store.MaxDigestAttempts times at most.
func (a *App) sendDigests(ctx context.Context) {
	if len(a.digests) == 0 {
		return
	}
	for _, p := range a.svc.Practitioners() {
		at, ok := a.digests[p.ID]
		if !ok {
			continue
		}
		now := a.now()
		day := booking.DateOf(now.In(p.Location))
		due := at.On(day, p.Location)
		if now.Before(due) || !now.Before(due.Add(digestWindow)) {
			continue
		}
		claimed, err := a.store.ClaimDigest(ctx, p.ID, day, now, now.Add(digestLease))
		if err != nil {
			a.logger.Error("daily digest: the store can't be read", "practitioner", p.ID, "day", day.String(), "err", err)
			continue
		}
		if !claimed {
			continue // sent, or being sent by another replica
		}
		n, err := a.sendDigest(ctx, p, day)
		switch code := booking.ErrorCode(err); {
		case err == nil:
			a.logger.Info("daily digest sent", "practitioner", p.ID, "day", day.String(), "bookings", n)
		case code == booking.EInvalid || code == booking.EInternal:
			// It never will be: marked sent, so as not to try it again.
			a.logger.Error("daily digest given up", "practitioner", p.ID, "day", day.String(), "err", err)
		default:
			a.logger.Warn("daily digest not sent, will retry", "practitioner", p.ID, "day", day.String(), "err", err)
			continue
		}
		if err := a.store.DigestSent(ctx, p.ID, day, a.now()); err != nil {
			a.logger.Error("daily digest: not marked sent (it may be sent twice)", "practitioner", p.ID, "day", day.String(), "err", err)
		}
	}
}

// sendDigest emails p the active bookings of day and returns how many;
// none is no email.
func (a *App) sendDigest(ctx context.Context, p booking.Practitioner, day booking.Date) (int, error) {
	bs, err := a.store.BookingsBetween(ctx, p.ID, day.Midnight(p.Location), day.AddDays(1).Midnight(p.Location))
	if err != nil {
		return 0, err
	}
	var apps []booking.Appointment
	for _, b := range bs {
		if !b.Status.Active() {
			continue
		}
		t := p.Type(b.TypeID)
		if t == nil { // a type no longer configured: named by its id, never disclosed
			t = &booking.AppointmentType{ID: b.TypeID, Name: b.TypeID}
		}
		apps = append(apps, booking.Appointment{Booking: b, Practitioner: &p, Type: t})
	}
	if len(apps) == 0 {
		return 0, nil
	}
	return len(apps), a.mail.SendDigest(ctx, notify.Digest{Practitioner: &p, Day: day, Bookings: apps})
}
