package rdv

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/notify"
)

// Alerts say when the practice and the host are told that a practitioner's
// calendar can't be read, or that its sync is held (Options.Alerts).
//
// After each pass of the calendar sync, Run reads each practitioner's busy
// calendars (a validation: one small request each when nothing changed)
// and looks at the sync's holds. A calendar is unreadable once Failures
// validations in a row failed, or one has failed for After. The alert goes
// by email to the practitioner's address, if set, and to To, and to the
// webhooks as calendar.unreadable or sync.held; when the condition ends, a
// second message says so (calendar.recovered, sync.resumed). At most one
// alert per practitioner and condition leaves each Every: a calendar that
// fails again soon after it recovered is not told again (the log and the
// metrics still show it).
//
// The state is kept in memory, per replica: each replica reads the
// calendars itself, so with several replicas each may send its own alert,
// and a restart forgets what was sent. Alerts don't go through the outbox
// (its messages are about a booking); a message not sent is logged and
// counted (rdv_alerts_failed_total), and an alert no channel could send is
// tried again at the next check.
type Alerts struct {
	// Off turns the alerts off.
	Off bool
	// Failures is how many failed validations in a row make a calendar
	// unreadable (default 3); After how long a calendar failing makes it
	// unreadable, whatever the count (default 5 minutes).
	Failures int
	After    time.Duration
	// Every is the least time between two alerts of one practitioner and
	// condition (default 6 hours).
	Every time.Duration
	// To are addresses told of every practitioner's alerts, beside the
	// practitioner's own: the host's.
	To []string
}

// The defaults of Alerts.
const (
	DefaultAlertFailures = 3
	DefaultAlertAfter    = 5 * time.Minute
	DefaultAlertEvery    = 6 * time.Hour
)

// probeTimeout bounds the validation of a practitioner's calendars by an
// alert check.
const probeTimeout = 30 * time.Second

// alerter keeps, per practitioner and condition, whether an alert is
// raised and when the last one was sent.
type alerter struct {
	cfg   Alerts
	mu    sync.Mutex // held for a whole check: checks don't overlap
	state map[alertKey]*alertState
}

type alertKey struct{ practitioner, condition string }

type alertState struct {
	active    bool      // the condition holds (told or not)
	told      bool      // its alert was sent: its end will be too
	firstSeen time.Time // when a check first saw the calendar failing
	since     time.Time // when the condition told of began, for its end
	lastSent  time.Time // of the last alert raised
}

func newAlerter(cfg Alerts) *alerter {
	if cfg.Failures <= 0 {
		cfg.Failures = DefaultAlertFailures
	}
	if cfg.After <= 0 {
		cfg.After = DefaultAlertAfter
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultAlertEvery
	}
	return &alerter{cfg: cfg, state: map[alertKey]*alertState{}}
}

// checkAlerts reads the practitioners' calendars and the sync's holds, and
// sends the alerts that are due: raised, or ended.
func (a *App) checkAlerts(ctx context.Context) {
	al := a.alerts
	if al == nil || al.cfg.Off {
		return
	}
	al.mu.Lock()
	defer al.mu.Unlock()
	holds := map[string]booking.SyncHold{}
	for _, h := range a.svc.SyncHolds() {
		holds[h.PractitionerID] = h
	}
	for _, p := range a.svc.Practitioners() {
		if cal := a.calendars[p.ID]; cal != nil {
			pctx, cancel := context.WithTimeout(ctx, probeTimeout)
			now := a.now()
			_, _ = cal.Busy(pctx, now, now.Add(time.Minute)) // a failure shows in Health
			cancel()
			if ctx.Err() != nil {
				return
			}
			h := cal.Health()
			st := al.get(p.ID, notify.AlertCalendarUnreadable)
			if h.Failures == 0 {
				st.firstSeen = time.Time{}
			} else if st.firstSeen.IsZero() {
				st.firstSeen = a.now()
			}
			since := h.Since
			if since.IsZero() {
				since = st.firstSeen
			}
			failing := h.Failures >= al.cfg.Failures || (h.Failures > 0 && a.now().Sub(st.firstSeen) >= al.cfg.After)
			a.alert(ctx, st, failing, notify.Alert{Condition: notify.AlertCalendarUnreadable, Practitioner: &p, Since: since, Failures: h.Failures})
		}
		h, held := holds[p.ID]
		a.alert(ctx, al.get(p.ID, notify.AlertSyncHeld), held, notify.Alert{Condition: notify.AlertSyncHeld, Practitioner: &p, Since: h.Since, Missing: len(h.Missing), Active: h.Active})
	}
}

// get returns the state of practitioner id's condition. al.mu is held.
func (al *alerter) get(id, condition string) *alertState {
	k := alertKey{id, condition}
	st := al.state[k]
	if st == nil {
		st = &alertState{}
		al.state[k] = st
	}
	return st
}

// alert moves st to on, telling of the change when it must: an alert
// raised (unless one was sent less than Every ago), or ended (when its
// raising was told).
func (a *App) alert(ctx context.Context, st *alertState, on bool, al notify.Alert) {
	now := a.now()
	id := al.Practitioner.ID
	switch {
	case on && !st.active:
		if !st.lastSent.IsZero() && now.Sub(st.lastSent) < a.alerts.cfg.Every {
			st.active, st.told = true, false
			a.logger.Warn("alert not sent: one was sent lately", "practitioner", id, "condition", al.Condition, "last", st.lastSent)
			return
		}
		al.At = now
		a.logger.Error("alert: "+al.Condition, "practitioner", id, "since", al.Since, "failures", al.Failures, "missing", al.Missing, "active", al.Active)
		if !a.sendAlert(ctx, al) {
			return // tried again at the next check
		}
		st.active, st.told, st.lastSent, st.since = true, true, now, al.Since
		a.m.alerts.WithLabelValues(al.Condition, "raised").Inc()
	case !on && st.active:
		st.active = false
		if !st.told {
			return
		}
		st.told = false
		al.Recovered, al.At, al.Since = true, now, st.since
		a.logger.Info("alert ended: "+al.Condition, "practitioner", id)
		if a.sendAlert(ctx, al) {
			a.m.alerts.WithLabelValues(al.Condition, "recovered").Inc()
		}
	}
}

// sendAlert sends al by email and to the webhooks, and reports whether a
// channel took it (or there is none but the log).
func (a *App) sendAlert(ctx context.Context, al notify.Alert) bool {
	al.ID = uuid.NewString()
	var to []string
	if al.Practitioner.Email != "" {
		to = append(to, al.Practitioner.Email)
	}
	to = append(to, a.alerts.cfg.To...)
	channels, ok := 0, 0
	if len(to) > 0 {
		channels++
		if err := a.mail.SendAlert(ctx, al, to); err != nil {
			a.m.alertsFailed.WithLabelValues("email").Inc()
			a.logger.Error("alert not emailed", "practitioner", al.Practitioner.ID, "condition", al.Condition, "err", err)
		} else {
			ok++
		}
	}
	if a.webhooks != nil {
		channels++
		if err := a.webhooks.SendAlert(ctx, al); err != nil {
			a.m.alertsFailed.WithLabelValues("webhook").Inc()
			a.logger.Error("alert not sent to the webhooks", "practitioner", al.Practitioner.ID, "condition", al.Condition, "err", err)
		} else {
			ok++
		}
	}
	return channels == 0 || ok > 0
}
