package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

// The desk's page of the waiting list (docs/desk.md, docs/waitlist.md):
// who waits for each practitioner's motive, and taking an entry off the
// list for the patient. Served only when the waiting list is on.

// waitDeskView is the waiting list of the practitioners the session sees,
// or of one.
type waitDeskView struct {
	Practitioners  []option
	PractitionerID string
	Groups         []waitDeskGroup
	Done           string
	Unavailable    bool
}

// waitDeskGroup is the entries of one practitioner's motive, in the order
// they joined.
type waitDeskGroup struct {
	Caption string
	Rows    []waitDeskRow
}

type waitDeskRow struct {
	Joined, Status, Window string
	Name, Email, Phone     string
	Pending                bool
	Alerts                 int
	Remove                 string
}

// deskPractitionerIDs are the ids of the practitioners the session sees.
func (s *Server) deskPractitionerIDs(sess *deskSession) []string {
	var ids []string
	for _, p := range s.deskPractitioners(sess) {
		ids = append(ids, p.ID)
	}
	return ids
}

// deskWaitlistPage lists the live entries (pending and active) of the
// practitioners the session sees, or of one (?p=).
func (s *Server) deskWaitlistPage(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	tx, dt := s.text(r), s.deskText(r)
	q := r.URL.Query()
	pid := q.Get("p")
	if pid != "" {
		if _, err := s.svc.Practitioner(pid); err != nil || !sess.may(pid) {
			s.deskError(w, r, http.StatusNotFound, "")
			return
		}
	}
	v := &waitDeskView{Practitioners: s.practitionerOptions(sess, pid), PractitionerID: pid, Done: dt.Done[q.Get("done")]}
	ids := s.deskPractitionerIDs(sess)
	if pid != "" {
		ids = []string{pid}
	}
	entries, err := s.waitlist.LiveEntries(r.Context(), ids)
	var alerts map[string]int
	if err == nil {
		alerts, err = s.waitlist.AlertCounts(r.Context(), entries)
	}
	if err != nil {
		s.problem(r.Context(), err)
		v.Unavailable = true
	}
	byGroup := map[[2]string][]waitDeskRow{}
	shared := map[string][]waitDeskRow{}
	for _, e := range entries {
		if e.SharedID != "" {
			shared[e.SharedID] = append(shared[e.SharedID], s.waitDeskRow(tx.Lang, dt, e, alerts[e.ID]))
			continue
		}
		k := [2]string{e.PractitionerID, e.TypeID}
		byGroup[k] = append(byGroup[k], s.waitDeskRow(tx.Lang, dt, e, alerts[e.ID]))
	}
	// Groups in the order of the configuration: the shared motives ("with
	// the first available"), then the practitioners and their motives; a
	// motive gone from it last, by its id.
	for _, st := range s.svc.SharedTypes() {
		if rows := shared[st.ID]; rows != nil {
			v.Groups = append(v.Groups, waitDeskGroup{Caption: fmt.Sprintf(dt.WaitSharedF, st.Name), Rows: rows})
		}
	}
	for _, p := range s.deskPractitioners(sess) {
		for _, t := range p.Types {
			k := [2]string{p.ID, t.ID}
			if rows := byGroup[k]; rows != nil {
				v.Groups = append(v.Groups, waitDeskGroup{Caption: p.Name + " — " + t.Name, Rows: rows})
				delete(byGroup, k)
			}
		}
		for _, e := range entries {
			k := [2]string{p.ID, e.TypeID}
			if rows := byGroup[k]; e.PractitionerID == p.ID && rows != nil {
				v.Groups = append(v.Groups, waitDeskGroup{Caption: p.Name + " — " + e.TypeID, Rows: rows})
				delete(byGroup, k)
			}
		}
	}
	s.deskLog(r.Context(), sess, "waitlist", "practitioner", pid)
	s.deskRender(w, r, http.StatusOK, sess, deskPage{Name: "waitlist", Title: dt.WaitTitle, Nav: "waitlist", View: v})
}

func (s *Server) waitDeskRow(lang string, dt *deskText, e *booking.WaitEntry, alerts int) waitDeskRow {
	loc := s.deskZone(e.PractitionerID)
	if e.SharedID != "" {
		if l, err := s.svc.SharedLocation(e.SharedID); err == nil {
			loc = l
		}
	}
	return waitDeskRow{
		Joined: locale.DateTime(lang, e.CreatedAt.In(loc)), Status: dt.WaitStatuses[e.Status], Window: waitWindowText(lang, dt, e.Window, loc),
		Name: e.Patient.Name, Email: e.Patient.Email, Phone: e.Patient.Phone,
		Pending: e.Status == booking.WaitPending, Alerts: alerts,
		Remove: s.deskPath("waitlist/" + url.PathEscape(e.ID) + "/remove"),
	}
}

// waitWindowText writes a window: "1er décembre – 4 décembre, le matin,
// mar., jeu.", its days in loc.
func waitWindowText(lang string, dt *deskText, w booking.Window, loc *time.Location) string {
	days := locale.DayMonth(lang, w.From.Midnight(loc))
	if w.Until != w.From {
		days += " – " + locale.DayMonth(lang, w.Until.Midnight(loc))
	}
	parts := []string{days, dt.WaitParts[w.Part]}
	if len(w.Weekdays) > 0 {
		wds := make([]string, len(w.Weekdays))
		for i, d := range w.Weekdays {
			wds[i] = locale.Weekday(lang, d, true)
		}
		parts = append(parts, strings.Join(wds, ", "))
	}
	return strings.Join(parts, ", ")
}

// deskWaitlistRemove takes an entry of a practitioner the session sees off
// the waiting list, as the patient's leave link does.
func (s *Server) deskWaitlistRemove(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	id := r.PathValue("id")
	if _, err := s.waitlist.RemoveByPractice(r.Context(), id, s.deskPractitionerIDs(sess)); err != nil {
		s.deskFailure(w, r, err)
		return
	}
	s.deskLog(r.Context(), sess, "waitlist remove", "entry", id)
	target := s.deskPath("waitlist") + "?done=waitremoved"
	if p := r.PostForm.Get("p"); p != "" && sess.may(p) {
		target += "&p=" + url.QueryEscape(p)
	}
	s.deskRedirect(w, r, target)
}
