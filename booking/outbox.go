package booking

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Delivery of notifications. Each step of a booking's life records its
// messages in the store's outbox in the same transaction as the booking
// (see Change), so none is lost whatever fails after. The service then
// sends them at once, in the background, so that a slow mail server never
// holds a request (deliver); those that could not be sent stay due, and
// Dispatch, run periodically, sends them again with an exponential backoff.
// The messages of a booking leave in the order of its changes, and one
// that a later change made untrue is dropped instead (see
// Store.OutboxSupersede).
const (
	// outboxLease is how long a claimed message is left to its sender
	// before another dispatcher may claim it again. It must outlast the
	// sending of a whole batch: outboxBatch messages of sendTimeout each.
	outboxLease = 5 * time.Minute
	// outboxBatch is how many messages Dispatch claims at a time.
	outboxBatch = 8
	// sendTimeout bounds the sending of one message (an SMTP transaction,
	// the webhooks' requests).
	sendTimeout = 30 * time.Second
	// recordTimeout bounds the recording of a message's outcome, which
	// does not share the sending's deadline.
	recordTimeout = 10 * time.Second
	// firstRetry is the wait after the first failed attempt; it doubles
	// with each attempt, up to maxRetry.
	firstRetry = 30 * time.Second
	maxRetry   = time.Hour
	// MaxAttempts is how many times a message is tried before it is given
	// up (about a day of retries).
	MaxAttempts = 30
	// keepSent is how long sent and failed messages stay in the outbox.
	keepSent = 7 * 24 * time.Hour
)

// message returns the outbox message of kind about b as it is now; token,
// if set, is sealed in it (NotifyCreated).
func (s *Service) message(kind string, b *Booking, token string) OutboxMessage {
	m := OutboxMessage{
		ID: uuid.NewString(), BookingID: b.ID, Kind: kind,
		Status: b.Status, Start: b.Start, End: b.End, Sequence: b.Sequence,
		CreatedAt: s.now(),
	}
	if token != "" {
		m.Sealed = s.keys.sealToken(b.ID, token)
	}
	return m
}

// DeliveryStats are counts of this process's deliveries since it started,
// and what waits in the outbox, for metrics.
type DeliveryStats struct {
	Sent, Retried, GivenUp, Dropped uint64 // attempts by outcome, by this process
	Waiting                         int    // messages waiting in the outbox, all processes together
}

// deliveryCounts are the counters of DeliveryStats.
type deliveryCounts struct {
	sent, retried, givenUp, dropped atomic.Uint64
}

// DeliveryStats returns the delivery counts of this process and the
// messages waiting in the outbox.
func (s *Service) DeliveryStats(ctx context.Context) (DeliveryStats, error) {
	n, err := s.store.OutboxWaiting(ctx)
	return DeliveryStats{
		Sent: s.counts.sent.Load(), Retried: s.counts.retried.Load(),
		GivenUp: s.counts.givenUp.Load(), Dropped: s.counts.dropped.Load(), Waiting: n,
	}, err
}

// practiceKinds are the changes the practice is told of, when its
// practitioner asks for it (Practitioner.NotifyBookings).
var practiceKinds = map[string]bool{NotifyCreated: true, NotifyRescheduled: true, NotifyCancelled: true, NotifyExpired: true}

// fanOut returns the patient's messages msgs of a change of a booking of
// e's practitioner, followed by the copies for the practice (if it asked
// for them) and the webhooks (if any): the same change, told to each, with
// no manage token.
func (s *Service) fanOut(e *entry, msgs ...OutboxMessage) []OutboxMessage {
	out := msgs
	for _, m := range msgs {
		if e.p.NotifyBookings && practiceKinds[m.Kind] {
			c := m
			c.ID, c.Recipient, c.Sealed = uuid.NewString(), RecipientPractice, nil
			out = append(out, c)
		}
		if s.webhooks {
			c := m
			c.ID, c.Recipient, c.Sealed = uuid.NewString(), RecipientWebhook, nil
			out = append(out, c)
		}
	}
	return out
}

// deliver sends msgs, just recorded, at once: in the background, or before
// it returns with ServiceConfig.InlineDelivery. What can't be sent stays in
// the outbox for Dispatch.
func (s *Service) deliver(ctx context.Context, msgs []OutboxMessage) {
	if len(msgs) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if s.inlineDelivery {
		s.deliverNow(ctx, msgs)
		return
	}
	s.inflight.Go(func() { s.deliverNow(ctx, msgs) })
}

// Flush waits until the messages being delivered in the background are
// sent, or left to Dispatch. A host calls it before it stops.
func (s *Service) Flush() { s.inflight.Wait() }

func (s *Service) deliverNow(ctx context.Context, msgs []OutboxMessage) {
	if len(msgs) == 0 {
		return
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	now := s.now()
	claimed, err := s.store.ClaimOutbox(ctx, now, now.Add(outboxLease), len(ids), ids...)
	if err != nil {
		s.log.WarnContext(ctx, "booking: outbox not read; messages left for the dispatcher", "err", err)
		return
	}
	for _, m := range claimed {
		s.send(ctx, m)
	}
}

// Dispatch sends the outbox messages that are due: those whose immediate
// delivery failed, once their backoff has passed. It returns how many were
// sent. Safe to run in several processes at once (messages are claimed
// before they are sent). Run it periodically (rdv.App.Run does, every 30
// seconds).
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	sent := 0
	for range 20 { // at most 1000 messages per call
		now := s.now()
		msgs, err := s.store.ClaimOutbox(ctx, now, now.Add(outboxLease), outboxBatch)
		if err != nil {
			return sent, err
		}
		dropped := false
		for _, m := range msgs {
			switch s.send(ctx, m) {
			case sentOK:
				sent++
			case sentDropped:
				dropped = true // the newer message may be claimed now
			}
		}
		if (len(msgs) < outboxBatch && !dropped) || ctx.Err() != nil {
			break
		}
	}
	return sent, ctx.Err()
}

// Purge deletes the idempotency records older than IdempotencyTTL and the
// outbox messages sent or given up more than a week ago.
func (s *Service) Purge(ctx context.Context) error {
	now := s.now()
	return s.store.Purge(ctx, now.Add(-IdempotencyTTL), now.Add(-keepSent))
}

// The outcomes of send.
const (
	sentOK = iota
	sentLater
	sentDropped
)

// send hands m, claimed, to the notifier and records the outcome: sentOK,
// sentLater (retried later, or given up) or sentDropped (superseded by a
// newer message of its booking, or about a visit that is over).
func (s *Service) send(ctx context.Context, m OutboxMessage) int {
	now := s.now()
	if m.Kind == NotifyReminder {
		// A reminder is checked against the booking as it is now, not
		// against the messages after it: a new manage link does not make
		// it untrue, a visit begun or moved does.
		why, err := s.staleReminder(ctx, m, now)
		if err != nil {
			s.log.WarnContext(ctx, "booking: booking not read; reminder left for later", "booking", m.BookingID, "err", err)
			return sentLater
		}
		if why != "" {
			if err := s.store.OutboxDrop(ctx, m.ID, now, why); err != nil {
				s.log.ErrorContext(ctx, "booking: outbox not updated", "booking", m.BookingID, "kind", m.Kind, "err", err)
				return sentLater
			}
			s.log.InfoContext(ctx, "booking: reminder dropped: "+why, "booking", m.BookingID)
			return sentDropped
		}
	} else if m.Kind == NotifyUndelivered || m.Kind == NotifyReminderSent {
		// News of something that happened: no later change makes it untrue.
	} else if dropped, err := s.store.OutboxSupersede(ctx, m, now); err != nil {
		s.log.WarnContext(ctx, "booking: outbox not read; message left for later", "booking", m.BookingID, "kind", m.Kind, "err", err)
		return sentLater
	} else if dropped {
		s.counts.dropped.Add(1)
		s.log.InfoContext(ctx, "booking: notification dropped, a later change supersedes it", "booking", m.BookingID, "kind", m.Kind)
		return sentDropped
	}
	n, err := s.notification(ctx, m)
	if err == nil {
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		err = s.notifier.Notify(sctx, n)
		cancel()
	}
	// The outcome is recorded whatever became of the sending's deadline:
	// a message sent but not recorded would go again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now = s.now()
	var rerr error
	switch {
	case err == nil:
		s.counts.sent.Add(1)
		var then []OutboxMessage
		if m.Kind == NotifyReminder && m.Recipient == RecipientPatient && s.webhooks {
			// The webhooks hear that the patient was reminded (a host may
			// send an SMS with it), recorded with the outcome.
			c := m
			c.ID, c.Kind, c.Recipient, c.Sealed, c.Due, c.CreatedAt, c.Attempts = uuid.NewString(), NotifyReminderSent, RecipientWebhook, nil, time.Time{}, now, 0
			then = append(then, c)
		}
		if rerr = s.store.OutboxSent(ctx, m.ID, now, then...); rerr == nil {
			s.deliverNow(ctx, then)
		}
	case permanent(err) || m.Attempts >= MaxAttempts:
		s.counts.givenUp.Add(1)
		s.log.ErrorContext(ctx, "booking: notification given up", "booking", m.BookingID, "kind", m.Kind, "recipient", m.Recipient, "attempts", m.Attempts, "err", err)
		var then []OutboxMessage
		if m.Recipient == RecipientPatient {
			// The practice and the webhooks hear that the patient never
			// got it, recorded with the outcome: a crash between the two
			// can't lose the news.
			then = s.undelivered(ctx, m, n)
		}
		if rerr = s.store.OutboxFailed(ctx, m.ID, now, errorReason(err), then...); rerr == nil {
			s.deliverNow(ctx, then)
		}
	default:
		wait := firstRetry << min(m.Attempts-1, 20)
		if wait > maxRetry || wait <= 0 {
			wait = maxRetry
		}
		s.counts.retried.Add(1)
		s.log.WarnContext(ctx, "booking: notification not sent, will retry", "booking", m.BookingID, "kind", m.Kind, "attempts", m.Attempts, "retry_in", wait, "err", err)
		rerr = s.store.OutboxRetry(ctx, m.ID, now.Add(wait), errorReason(err))
	}
	if rerr != nil {
		// The lease runs out and the message is tried again: at worst sent
		// twice, with the same Message-ID.
		s.log.ErrorContext(ctx, "booking: outbox not updated", "booking", m.BookingID, "kind", m.Kind, "err", rerr)
	}
	if err != nil {
		return sentLater
	}
	return sentOK
}

// undelivered returns the messages that tell the practice (when its
// practitioner has an address) and the webhooks that the patient never got
// m, whose notification is n: someone must call them.
func (s *Service) undelivered(ctx context.Context, m OutboxMessage, n Notification) []OutboxMessage {
	p := n.Appointment.Practitioner
	if p == nil {
		if b, err := s.store.Booking(ctx, m.BookingID); err == nil {
			if e, err := s.entry(b.PractitionerID); err == nil {
				p = &e.p
			}
		}
	}
	var msgs []OutboxMessage
	for _, r := range []string{RecipientPractice, RecipientWebhook} {
		if (r == RecipientPractice && (p == nil || p.Email == "")) || (r == RecipientWebhook && !s.webhooks) {
			continue
		}
		c := m
		c.ID, c.Kind, c.About, c.Recipient, c.Sealed, c.Due = uuid.NewString(), NotifyUndelivered, m.Kind, r, nil, time.Time{}
		c.CreatedAt, c.Attempts = s.now(), 0
		msgs = append(msgs, c)
	}
	return msgs
}

// notification rebuilds the notification of m: the booking read from the
// store (for the patient's contact), as m's snapshot describes it.
func (s *Service) notification(ctx context.Context, m OutboxMessage) (Notification, error) {
	b, err := s.store.Booking(ctx, m.BookingID)
	if err != nil {
		if ErrorCode(err) == ENotFound {
			return Notification{}, WrapError(EInternal, err, "booking: the message's booking is gone")
		}
		return Notification{}, err
	}
	b.Status, b.Start, b.End, b.Sequence = m.Status, m.Start, m.End, m.Sequence
	a, err := s.appointment(b)
	if err != nil {
		return Notification{}, err
	}
	n := Notification{Kind: m.Kind, Appointment: a, ID: m.ID, ChangedAt: m.CreatedAt, Recipient: m.Recipient, About: m.About,
		ConfirmBy: s.confirmBy(m.Kind, a)}
	if len(m.Sealed) > 0 {
		if n.ManageToken, err = s.keys.openToken(b.ID, m.Sealed); err != nil {
			return Notification{}, WrapError(EInternal, err, "booking: the manage token can't be decrypted (was the secret changed?)")
		}
	}
	if !m.PreviousStart.IsZero() {
		loc := a.Practitioner.Location
		n.Previous = Interval{m.PreviousStart.In(loc), m.PreviousEnd.In(loc)}
	}
	return n, nil
}

// permanent reports whether err says a message can never be sent.
func permanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Code == EInvalid || e.Code == EInternal)
}

// errorReason is what the outbox keeps of err: its code and message,
// never its cause (which might quote a server's reply).
func errorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code + ": " + e.Message
	}
	return "internal: unexpected error"
}
