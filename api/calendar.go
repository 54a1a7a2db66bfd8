package api

import (
	"context"
	"fmt"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

// The day and time step, shared by booking and moving a booking: a month of
// days (a compact week strip on phones) where each day with free slots is a
// link, the others say why they have none; the free times of the chosen day
// below it.

// calendarView is the day and time step.
type calendarView struct {
	Month       monthView
	Strip       stripView
	Selected    string     // the chosen day, written out; "" when none
	Times       []slotView // its free times
	DayEmpty    string     // why the chosen day has none
	NextFree    string     // the next free day after the chosen one, a link ("" if none or the chosen day is free)
	NextLabel   string
	NoFree      string // no free day at all within the horizon
	ZoneNote    string
	Horizon     string
	Unavailable bool // the calendar could not be read
}

type monthView struct {
	Caption    string
	Prev, Next string // links to the previous and next months, "" if none
	Heads      []weekdayHead
	Weeks      [][]dayCell
}

type weekdayHead struct{ Short, Long string }

type stripView struct {
	Days       []dayCell
	Prev, Next string
}

type dayCell struct {
	Num      int
	Short    string // "lun. 7"
	Blank    bool   // a day of another month in the grid
	Href     string // "" for a day without free slots
	Label    string // the date and its state, for assistive technologies
	State    string // a booking.DayState, for the style sheet
	Note     string // "complet", "fermé"… or "3 libres"
	Selected bool
	Today    bool
}

// calendarSource is what a calendar step reads and links to.
type calendarSource struct {
	loc     *time.Location
	t       *text
	horizon time.Duration
	now     time.Time
	// days lists the days [from, to), at most booking.MaxDays.
	days func(ctx context.Context, from, to booking.Date) ([]booking.Day, error)
	// page is the address of the step with the query q ("month", "day").
	page func(q map[string]string) string
	// slot is the address a free slot leads to.
	slot func(booking.Slot) string
	// contact is how to reach the practice when nothing is free ("" for
	// none).
	contact string
}

// monthStart returns the first day of d's month.
func monthStart(d booking.Date) booking.Date {
	return booking.Date{Year: d.Year, Month: d.Month, Day: 1}
}

// gridStart returns the Monday on or before d.
func gridStart(d booking.Date) booking.Date {
	return d.AddDays(-((int(d.Weekday()) + 6) % 7))
}

// calendar builds the step for the month and day asked for ("" for none):
// without a day, the first free day of the month is chosen; without either,
// the first free day from today.
func (src *calendarSource) calendar(ctx context.Context, monthParam, dayParam string) (*calendarView, error) {
	t, loc := src.t, src.loc
	today := booking.DateOf(src.now.In(loc))
	last := booking.DateOf(src.now.Add(src.horizon).In(loc))
	v := &calendarView{
		ZoneNote: fmt.Sprintf(t.ZoneNoteF, locale.Zone(t.Lang, src.now.In(loc))),
		Horizon:  fmt.Sprintf(t.HorizonF, locale.Duration(t.Lang, src.horizon)),
	}

	var sel *booking.Date
	month := monthStart(today)
	switch {
	case dayParam != "":
		d, err := booking.ParseDate(dayParam)
		if err != nil {
			return nil, booking.Errorf(booking.EInvalid, "day must be a date YYYY-MM-DD")
		}
		sel, month = &d, monthStart(d)
	case monthParam != "":
		d, err := booking.ParseDate(monthParam + "-01")
		if err != nil {
			return nil, booking.Errorf(booking.EInvalid, "month must be YYYY-MM")
		}
		month = d
	default:
		first, err := src.nextFree(ctx, today, last)
		if err != nil {
			return nil, err
		}
		if first != nil {
			sel, month = first, monthStart(*first)
		}
	}
	// Keep to the months that can hold a slot: this one to the horizon's.
	if month.Before(monthStart(today)) {
		month = monthStart(today)
	}
	if monthStart(last).Before(month) {
		month = monthStart(last)
	}

	from := gridStart(month)
	to := gridStart(monthStart(month.AddDays(32)).AddDays(-1)).AddDays(7) // the Monday after the month's last week
	days, err := src.days(ctx, from, to)
	if err != nil {
		return nil, err
	}
	if sel == nil || sel.Before(from) || !sel.Before(to) {
		sel = nil
		for i := range days {
			if days[i].Date.Month == month.Month && days[i].State == booking.DayFree {
				sel = &days[i].Date
				break
			}
		}
	}

	// The month grid.
	m := &v.Month
	m.Caption = locale.MonthYear(t.Lang, month.Year, month.Month)
	for i := range 7 {
		wd := time.Weekday((i + 1) % 7)
		m.Heads = append(m.Heads, weekdayHead{Short: locale.Weekday(t.Lang, wd, true), Long: locale.Weekday(t.Lang, wd, false)})
	}
	if monthStart(today).Before(month) {
		m.Prev = src.page(map[string]string{"month": prevMonth(month).String()[:7]})
	}
	if next := month.AddDays(32); !monthStart(last).Before(monthStart(next)) {
		m.Next = src.page(map[string]string{"month": monthStart(next).String()[:7]})
	}
	var selDay *booking.Day
	cells := make([]dayCell, len(days))
	for i := range days {
		d := &days[i]
		c := src.cell(d, today)
		if sel != nil && d.Date == *sel {
			c.Selected, selDay = true, d
		}
		cells[i] = c
		mc := c
		if d.Date.Month != month.Month {
			mc = dayCell{Blank: true}
		}
		if i%7 == 0 {
			m.Weeks = append(m.Weeks, nil)
		}
		m.Weeks[len(m.Weeks)-1] = append(m.Weeks[len(m.Weeks)-1], mc)
	}

	// The week strip: the week of the chosen day, or the month's first.
	week := 0
	if sel != nil {
		week = daysBetween(from, *sel, loc) / 7
	} else if n := daysBetween(from, month, loc); n >= 0 {
		week = n / 7
	}
	if week*7+7 <= len(cells) {
		v.Strip.Days = cells[week*7 : week*7+7]
		ws := from.AddDays(week * 7)
		if today.Before(ws) {
			prev := ws.AddDays(-7)
			if prev.Before(today) {
				prev = today // the week of today, from today: not a past day
			}
			v.Strip.Prev = src.page(map[string]string{"day": prev.String()})
		}
		if ws.AddDays(7).Before(last) || ws.AddDays(7) == last {
			v.Strip.Next = src.page(map[string]string{"day": ws.AddDays(7).String()})
		}
	}

	// The chosen day's times, or why it has none and the next free day.
	if selDay != nil {
		noon := time.Date(selDay.Date.Year, selDay.Date.Month, selDay.Date.Day, 12, 0, 0, 0, loc)
		v.Selected = locale.Date(t.Lang, noon)
		for _, sl := range selDay.Slots {
			st := sl.Start.In(loc)
			v.Times = append(v.Times, slotView{
				Time: locale.Time(st), Label: fmt.Sprintf(t.SlotLabelF, locale.DateTime(t.Lang, st)), Href: src.slot(sl),
			})
		}
		if len(v.Times) == 0 {
			v.DayEmpty = t.DayEmpty[selDay.State]
		}
	}
	if len(v.Times) == 0 {
		after := today
		if sel != nil && today.Before(*sel) {
			after = sel.AddDays(1)
		}
		next, err := src.nextFreeIn(ctx, days, after, last)
		if err != nil {
			return nil, err
		}
		if next != nil {
			noon := time.Date(next.Year, next.Month, next.Day, 12, 0, 0, 0, loc)
			v.NextFree = src.page(map[string]string{"day": next.String()})
			v.NextLabel = fmt.Sprintf(t.NextFreeF, locale.WeekdayDayMonth(t.Lang, noon))
		} else if after == today {
			contact := ""
			if src.contact != "" {
				contact = fmt.Sprintf(t.CutoffContactF, src.contact)
			}
			v.NoFree = fmt.Sprintf(t.NoFreeF, locale.Duration(t.Lang, src.horizon), contact)
		}
	}
	return v, nil
}

// cell is the grid cell of day d.
func (src *calendarSource) cell(d *booking.Day, today booking.Date) dayCell {
	t := src.t
	noon := time.Date(d.Date.Year, d.Date.Month, d.Date.Day, 12, 0, 0, 0, src.loc)
	c := dayCell{
		Num:   d.Date.Day,
		Short: locale.Weekday(t.Lang, d.Date.Weekday(), true) + " " + fmt.Sprint(d.Date.Day),
		State: string(d.State),
		Today: d.Date == today,
	}
	if d.State == booking.DayFree {
		c.Note = fmt.Sprintf(t.SlotsF, len(d.Slots))
		c.Href = src.page(map[string]string{"day": d.Date.String()})
	} else {
		c.Note = t.States[d.State]
	}
	c.Label = locale.Date(t.Lang, noon) + ", " + c.Note
	return c
}

// nextFree returns the first free day in [from, last], nil if none.
func (src *calendarSource) nextFree(ctx context.Context, from, last booking.Date) (*booking.Date, error) {
	return src.nextFreeIn(ctx, nil, from, last)
}

// nextFreeIn is nextFree, looking first in days (already read).
func (src *calendarSource) nextFreeIn(ctx context.Context, days []booking.Day, from, last booking.Date) (*booking.Date, error) {
	if len(days) > 0 && from.Before(days[0].Date) {
		days = nil // they start after from: the days between are not read
	}
	for i := range days {
		if !days[i].Date.Before(from) && days[i].State == booking.DayFree {
			return &days[i].Date, nil
		}
	}
	if n := len(days); n > 0 && from.Before(days[n-1].Date.AddDays(1)) {
		from = days[n-1].Date.AddDays(1)
	}
	for !last.Before(from) {
		to := from.AddDays(booking.MaxDays)
		chunk, err := src.days(ctx, from, to)
		if err != nil {
			return nil, err
		}
		for i := range chunk {
			if chunk[i].State == booking.DayFree {
				return &chunk[i].Date, nil
			}
		}
		from = to
	}
	return nil, nil
}

func prevMonth(m booking.Date) booking.Date { return monthStart(m.AddDays(-1)) }

// daysBetween counts the local days from a to b.
func daysBetween(a, b booking.Date, loc *time.Location) int {
	return int((b.Midnight(loc).Sub(a.Midnight(loc)) + 12*time.Hour) / (24 * time.Hour))
}

// slotView is a free time of the chosen day.
type slotView struct {
	Time  string
	Label string // date and time, for assistive technologies
	Href  string
}
