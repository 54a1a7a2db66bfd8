package booking

import (
	"fmt"
	"testing"
)

func TestEasterSunday(t *testing.T) {
	for _, want := range []string{
		"1818-03-22", // the earliest possible date
		"1943-04-25", // the latest possible date
		"2000-04-23",
		"2008-03-23",
		"2019-04-21",
		"2024-03-31",
		"2025-04-20",
		"2026-04-05",
		"2027-03-28",
		"2038-04-25",
		"2285-03-22",
	} {
		t.Run(want, func(t *testing.T) {
			d, err := ParseDate(want)
			if err != nil {
				t.Fatal(err)
			}
			if got := easterSunday(d.Year); got != d {
				t.Errorf("easterSunday(%d) = %s, want %s", d.Year, got, want)
			}
			if d.Weekday() != 0 {
				t.Errorf("%s is not a Sunday", want)
			}
		})
	}
}

func TestFrenchHolidays(t *testing.T) {
	tests := []struct {
		name          string
		year          int
		alsaceMoselle bool
		want          []string
	}{
		{
			name: "2027",
			year: 2027,
			want: []string{
				"2027-01-01 Jour de l'an", "2027-03-29 Lundi de Pâques", "2027-05-01 Fête du Travail",
				"2027-05-06 Ascension", "2027-05-08 Victoire 1945", "2027-05-17 Lundi de Pentecôte",
				"2027-07-14 Fête nationale", "2027-08-15 Assomption", "2027-11-01 Toussaint",
				"2027-11-11 Armistice 1918", "2027-12-25 Noël",
			},
		},
		{
			name: "2027 in Alsace-Moselle", year: 2027, alsaceMoselle: true,
			want: []string{
				"2027-01-01 Jour de l'an", "2027-03-26 Vendredi saint", "2027-03-29 Lundi de Pâques",
				"2027-05-01 Fête du Travail", "2027-05-06 Ascension", "2027-05-08 Victoire 1945",
				"2027-05-17 Lundi de Pentecôte", "2027-07-14 Fête nationale", "2027-08-15 Assomption",
				"2027-11-01 Toussaint", "2027-11-11 Armistice 1918", "2027-12-25 Noël", "2027-12-26 Saint-Étienne",
			},
		},
		{
			name: "2008: Ascension on 1 May",
			year: 2008,
			want: []string{
				"2008-01-01 Jour de l'an", "2008-03-24 Lundi de Pâques", "2008-05-01 Fête du Travail",
				"2008-05-01 Ascension", "2008-05-08 Victoire 1945", "2008-05-12 Lundi de Pentecôte",
				"2008-07-14 Fête nationale", "2008-08-15 Assomption", "2008-11-01 Toussaint",
				"2008-11-11 Armistice 1918", "2008-12-25 Noël",
			},
		},
		{
			name: "2038: late Easter, Ascension in June",
			year: 2038,
			want: []string{
				"2038-01-01 Jour de l'an", "2038-04-26 Lundi de Pâques", "2038-05-01 Fête du Travail",
				"2038-05-08 Victoire 1945", "2038-06-03 Ascension", "2038-06-14 Lundi de Pentecôte",
				"2038-07-14 Fête nationale", "2038-08-15 Assomption", "2038-11-01 Toussaint",
				"2038-11-11 Armistice 1918", "2038-12-25 Noël",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range FrenchHolidays(tc.year, tc.alsaceMoselle) {
				got = append(got, h.Date.String()+" "+h.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestFrenchHolidaysOrder checks, over four centuries, that the list is sorted
// by date, has the right length, and that the Easter-based days fall on their
// weekdays.
func TestFrenchHolidaysOrder(t *testing.T) {
	for year := 1900; year <= 2300; year++ {
		for _, am := range []bool{false, true} {
			hs := FrenchHolidays(year, am)
			want := 11
			if am {
				want = 13
			}
			if len(hs) != want {
				t.Fatalf("%d (Alsace-Moselle %v): %d holidays, want %d", year, am, len(hs), want)
			}
			for i, h := range hs {
				if !h.Date.valid() || h.Date.Year != year {
					t.Fatalf("%d: bad date %s", year, h.Date)
				}
				if i > 0 && h.Date.Before(hs[i-1].Date) {
					t.Fatalf("%d: %s before %s", year, h.Date, hs[i-1].Date)
				}
				wd := map[string]int{"Vendredi saint": 5, "Lundi de Pâques": 1, "Ascension": 4, "Lundi de Pentecôte": 1}
				if w, ok := wd[h.Name]; ok && int(h.Date.Weekday()) != w {
					t.Fatalf("%d: %s on %s, a %s", year, h.Name, h.Date, h.Date.Weekday())
				}
			}
		}
	}
}
