package rdv

import "context"

// runWaitlist records the alerts of the slots free in the waiting list's
// windows (under a lock the replicas share, so that each is recorded
// once), then sends the waiting list's messages in the order they were
// recorded. Failures are logged with ids only.
func (a *App) runWaitlist(ctx context.Context) {
	if a.waitlist == nil {
		return
	}
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
