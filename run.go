package rdv

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// reconcileTimeout bounds the reconciliation run on start, and each pass of
// the calendar sync.
const reconcileTimeout = time.Minute

// Run first makes ledger and calendars agree after a crash
// (booking.Service.Reconcile), then runs the background jobs until ctx is
// done or Close is called: every Options.JobsInterval it releases the
// pending bookings not confirmed in time, settles the calendar writes a
// crash cut short, sends the notifications left in the outbox and purges
// old records, and every hour it erases the patient data past its
// retention (Options.Retention); every Options.SyncInterval it applies what the
// practitioners changed in their calendars (booking.Service.Sync). Each is
// safe with several replicas running it. Failures are logged, not
// returned: Run returns nil once every job has stopped, or an error at
// once if the App is closed or already running.
//
// With the waiting list on, its job also runs each time this process
// cancels, expires or moves a booking (waitlist.go).
//
// Run it in its own goroutine beside the HTTP server; Reconciled tells when
// the reconciliation is over, for a host that takes no request before.
func (a *App) Run(ctx context.Context) error {
	a.mu.Lock()
	switch {
	case a.closed:
		a.mu.Unlock()
		return errors.New("rdv: Run on a closed App")
	case a.stop != nil:
		a.mu.Unlock()
		return errors.New("rdv: Run is already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	a.stop, a.done = cancel, make(chan struct{})
	a.mu.Unlock()
	defer close(a.done)
	defer cancel()

	a.reconcile(ctx)
	close(a.reconciled)
	var wg sync.WaitGroup
	wg.Go(func() { a.runJobs(ctx) })
	wg.Go(func() { a.runSync(ctx) })
	wg.Go(func() { a.warm(ctx) })
	if a.waitlist != nil {
		wg.Go(func() { a.runNudged(ctx) })
	}
	wg.Wait()
	return nil
}

// Reconciled returns a channel closed once the reconciliation Run starts
// with is over, done or not (a calendar down is logged, and the service
// answers 503 for it).
func (a *App) Reconciled() <-chan struct{} { return a.reconciled }

// reconcile makes ledger and calendars agree after a crash. A failure (a
// calendar down) is logged, not fatal.
func (a *App) reconcile(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
	defer cancel()
	n, err := a.svc.Reconcile(ctx)
	switch {
	case err != nil:
		a.logger.Error("reconciliation incomplete", "changed", n, "err", err)
	case n > 0:
		a.logger.Warn("reconciliation changed bookings", "changed", n)
	}
}

// runJobs runs the service's periodic jobs every JobsInterval until ctx is
// done: releasing the pending bookings not confirmed in time, settling the
// calendar writes a crash cut short (booking.Service.SettleIntents),
// sending the notifications left in the outbox, purging old
// idempotency keys and messages, sending the daily digests that are
// due (digest.go), alerting the waiting list (waitlist.go), and, every retainEvery, erasing the patient data past
// its retention.
func (a *App) runJobs(ctx context.Context) {
	interval := a.jobs
	if interval <= 0 {
		interval = DefaultJobsInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	svc, logger := a.svc, a.logger
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := svc.ExpirePending(ctx); err != nil && ctx.Err() == nil {
			logger.Error("expiring pending bookings", "released", n, "err", err)
		} else if n > 0 {
			logger.Info("pending bookings released", "released", n)
		}
		if n, err := svc.SettleIntents(ctx); err != nil && ctx.Err() == nil {
			logger.Error("settling calendar writes cut short", "settled", n, "err", err)
		} else if n > 0 {
			logger.Warn("calendar writes cut short settled", "settled", n)
		}
		if n, err := svc.Dispatch(ctx); err != nil && ctx.Err() == nil {
			logger.Error("sending the outbox", "sent", n, "err", err)
		} else if n > 0 {
			logger.Info("outbox messages sent", "sent", n)
		}
		if err := svc.Purge(ctx); err != nil && ctx.Err() == nil {
			logger.Error("purging the outbox and idempotency keys", "err", err)
		}
		a.sendDigests(ctx)
		a.runWaitlist(ctx)
		if now := a.now(); a.retained.IsZero() || now.Sub(a.retained) >= retainEvery {
			a.retain(ctx)
			a.retained = now
		}
	}
}

// runSync notices, every SyncInterval until ctx is done, what the
// practitioners deleted, moved or cancelled in their calendars among the
// bookings to come: the ledger follows and the patients are told
// (booking.Service.Sync). It runs beside runJobs, so that a slow calendar
// does not hold up the expiry of pending bookings nor the outbox. A pass
// that finds nothing changed costs one small request per calendar and one
// query per practitioner, writes nothing and takes no lock; with several
// replicas each change is applied once, under the practitioner's lock.
func (a *App) runSync(ctx context.Context) {
	interval := a.sync
	if interval <= 0 {
		interval = DefaultSyncInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Sync logs each failure with its practitioner, and each change.
		pass, cancel := context.WithTimeout(ctx, min(reconcileTimeout, 4*interval))
		_, _ = a.svc.Sync(pass)
		cancel()
		// Then tell of the calendars that can't be read and the syncs held
		// (alerts.go).
		a.checkAlerts(ctx)
	}
}

// warm reads each practitioner's calendars once over the booking horizon, so
// that the first patient does not wait for a cold cache. Failures are only
// logged: the slot queries report them.
func (a *App) warm(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, p := range a.svc.Practitioners() {
		c := a.calendars[p.ID]
		if c == nil {
			continue
		}
		wg.Go(func() {
			now := time.Now()
			if _, err := c.Busy(ctx, now, now.Add(booking.DefaultHorizon)); err != nil {
				a.logger.Warn("calendar not warmed", "practitioner", p.ID, "err", err)
			}
		})
	}
}
