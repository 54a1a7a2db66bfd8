package rdv

import (
	"context"

	"github.com/rdvlibre/rdv/booking"
)

// nudgeNotifier is the service's Notifier with a nudge: the news of a
// booking cancelled, expired or moved, whose slot is free again, wakes the
// waiting list's job, so that its alerts need not wait for the next round
// of the jobs.
type nudgeNotifier struct {
	booking.Notifier
	nudge chan struct{}
}

func (n *nudgeNotifier) Notify(ctx context.Context, m booking.Notification) error {
	err := n.Notifier.Notify(ctx, m)
	switch m.Kind {
	case booking.NotifyCancelled, booking.NotifyExpired, booking.NotifyRescheduled:
		select {
		case n.nudge <- struct{}{}:
		default: // a round is due already
		}
	}
	return err
}

// runNudged runs the waiting list's job each time a slot is freed, until
// ctx is done (runJobs runs it too, every JobsInterval, for what the
// practitioners change in their calendars).
func (a *App) runNudged(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.nudge:
			a.runWaitlist(ctx)
		}
	}
}

// runWaitlist records the alerts of the slots free in the waiting list's
// windows (under a lock the replicas share, so that each is recorded
// once), then sends the waiting list's messages in the order they were
// recorded. Failures are logged with ids only.
func (a *App) runWaitlist(ctx context.Context) {
	if a.waitlist == nil {
		return
	}
	a.waitMu.Lock()
	defer a.waitMu.Unlock()
	pass, cancel := context.WithTimeout(ctx, reconcileTimeout)
	defer cancel()
	if n, err := a.waitlist.Alert(pass); err != nil && ctx.Err() == nil {
		a.logger.Error("waiting list: alerts not all recorded", "recorded", n, "err", err)
	} else if n > 0 {
		a.logger.Info("waiting list: alerts recorded", "recorded", n)
	}
	if n, err := a.waitlist.Deliver(pass); err != nil && ctx.Err() == nil {
		a.logger.Warn("waiting list: messages not all sent, will retry", "sent", n, "err", err)
	} else if n > 0 {
		a.logger.Info("waiting list: messages sent", "sent", n)
	}
}
