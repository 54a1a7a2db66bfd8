package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// defaultJobsInterval is how often the background jobs run when the
// configuration does not say.
const defaultJobsInterval = 30 * time.Second

// defaultSyncInterval is how often the calendars are checked for changes
// the practitioners made, when the configuration does not say.
const defaultSyncInterval = 2 * time.Minute

// reconcileTimeout bounds the reconciliation run on start, and each pass of
// the calendar sync.
const reconcileTimeout = time.Minute

// reconcile makes ledger and calendars agree after a crash, before the
// service takes requests. A failure (a calendar down) is logged, not fatal:
// the service starts anyway, as it would answer 503 for that calendar.
func reconcile(ctx context.Context, svc *booking.Service, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
	defer cancel()
	n, err := svc.Reconcile(ctx)
	switch {
	case err != nil:
		logger.Error("reconciliation incomplete", "changed", n, "err", err)
	case n > 0:
		logger.Warn("reconciliation changed bookings", "changed", n)
	}
}

// runJobs runs the service's periodic jobs every interval until ctx is
// done: releasing the pending bookings not confirmed in time, settling the
// calendar writes a crash cut short (booking.Service.SettleIntents), sending the
// notifications left in the outbox, and purging old idempotency keys and
// messages. Each is safe with several replicas running it.
func runJobs(ctx context.Context, svc *booking.Service, interval time.Duration, logger *slog.Logger) {
	if interval <= 0 {
		interval = defaultJobsInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
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
	}
}

// runSync notices, every interval until ctx is done, what the practitioners
// deleted, moved or cancelled in their calendars among the bookings to
// come: the ledger follows and the patients are told (booking.Service.Sync).
// It runs beside runJobs, so that a slow calendar does not hold up the
// expiry of pending bookings nor the outbox. A pass that finds nothing
// changed costs one small request per calendar and one query per
// practitioner, writes nothing and takes no lock; with several replicas
// each change is applied once, under the practitioner's lock.
func runSync(ctx context.Context, svc *booking.Service, interval time.Duration, logger *slog.Logger) {
	if interval <= 0 {
		interval = defaultSyncInterval
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
		_, _ = svc.Sync(pass)
		cancel()
	}
}
