package store_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/rdvlibre/rdv/booking"
)

func date(t *testing.T, s string) booking.Date {
	t.Helper()
	d, err := booking.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestClosures(t *testing.T) { forEachBackend(t, testClosures) }

func testClosures(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	closure := func(id, from, to, label string) booking.Closure {
		return booking.Closure{ID: id, From: date(t, from), To: date(t, to), Label: label}
	}
	summer := closure("c-summer", "2027-08-02", "2027-08-20", "congés d'été")
	training := closure("c-training", "2027-03-10", "2027-03-10", "")
	christmas := closure("c-christmas", "2026-12-24", "2027-01-02", "Noël")
	other := closure("c-other", "2027-03-01", "2027-12-31", "someone else's")
	for _, c := range []booking.Closure{summer, training, christmas} {
		if err := s.AddClosure(ctx, "demo", c); err != nil {
			t.Fatalf("AddClosure %s: %v", c.ID, err)
		}
	}
	if err := s.AddClosure(ctx, "martin", other); err != nil {
		t.Fatal(err)
	}

	list := func(from, to string) []booking.Closure {
		t.Helper()
		got, err := s.Closures(ctx, "demo", date(t, from), date(t, to))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, tt := range []struct {
		name     string
		from, to string
		want     []booking.Closure
	}{
		{"all, in order of start", "2026-01-01", "2027-12-31", []booking.Closure{christmas, training, summer}},
		{"one day, the first of a closure", "2027-08-02", "2027-08-02", []booking.Closure{summer}},
		{"one day, the last of a closure", "2027-01-02", "2027-01-02", []booking.Closure{christmas}},
		{"the day after a closure", "2027-01-03", "2027-03-09", nil},
		{"a range across two", "2027-01-01", "2027-03-10", []booking.Closure{christmas, training}},
		{"inside a closure", "2027-08-05", "2027-08-06", []booking.Closure{summer}},
		{"bounds out of order", "2027-08-06", "2027-08-05", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(tt.from, tt.to); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Closures(%s, %s) = %+v\nwant %+v", tt.from, tt.to, got, tt.want)
			}
		})
	}
	// Same start: ordered by end, then id.
	short := closure("c-a", "2027-08-02", "2027-08-03", "")
	if err := s.AddClosure(ctx, "demo", short); err != nil {
		t.Fatal(err)
	}
	if got := list("2027-08-01", "2027-08-31"); !reflect.DeepEqual(got, []booking.Closure{short, summer}) {
		t.Errorf("same start: %+v", got)
	}

	// An id once only.
	assertCode(t, s.AddClosure(ctx, "demo", closure("c-summer", "2028-01-01", "2028-01-02", "")), booking.EConflict)

	// Deleting is per practitioner.
	assertCode(t, s.DeleteClosure(ctx, "demo", "c-other"), booking.ENotFound)
	if err := s.DeleteClosure(ctx, "demo", summer.ID); err != nil {
		t.Fatal(err)
	}
	assertCode(t, s.DeleteClosure(ctx, "demo", summer.ID), booking.ENotFound)
	if got := list("2027-08-04", "2027-08-31"); len(got) != 0 {
		t.Errorf("after delete: %+v", got)
	}
	got, err := s.Closures(ctx, "martin", date(t, "2027-06-01"), date(t, "2027-06-01"))
	if err != nil || !reflect.DeepEqual(got, []booking.Closure{other}) {
		t.Errorf("the other practitioner's closures: %+v, %v", got, err)
	}

	// What can't be stored.
	for _, tt := range []struct {
		name string
		pid  string
		c    booking.Closure
	}{
		{"no id", "demo", closure("", "2027-01-01", "2027-01-01", "")},
		{"no practitioner", "", closure("c-x", "2027-01-01", "2027-01-01", "")},
		{"out of order", "demo", closure("c-x", "2027-01-02", "2027-01-01", "")},
		{"not a date", "demo", booking.Closure{ID: "c-x", From: booking.Date{Year: 2027, Month: 2, Day: 30}, To: date(t, "2027-03-01")}},
		{"year 0", "demo", booking.Closure{ID: "c-x", From: booking.Date{Year: 0, Month: 1, Day: 1}, To: date(t, "2027-03-01")}},
		{"year 10000", "demo", booking.Closure{ID: "c-x", From: date(t, "2027-03-01"), To: booking.Date{Year: 10000, Month: 1, Day: 1}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assertCode(t, s.AddClosure(ctx, tt.pid, tt.c), booking.EInvalid)
		})
	}
	// Bounds beyond the storable years are clamped.
	got, err = s.Closures(ctx, "demo", booking.Date{Year: -5, Month: 1, Day: 1}, booking.Date{Year: 20000, Month: 1, Day: 1})
	if err != nil || len(got) != 3 {
		t.Errorf("Closures over all years: %+v, %v", got, err)
	}
}
