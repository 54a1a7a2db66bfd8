package booking

import "time"

// Holiday is a public holiday: a whole local day.
type Holiday struct {
	Date Date
	Name string // the holiday's French name, e.g. "Lundi de Pâques"
}

// FrenchHolidays returns the public holidays (jours fériés) of France in year,
// sorted by date: 1 January, Easter Monday, 1 May, 8 May, Ascension Day (Easter
// + 39 days), Whit Monday (Easter + 50 days), 14 July, 15 August, 1 November,
// 11 November and 25 December. With alsaceMoselle it adds the two days that
// are public holidays only in Bas-Rhin, Haut-Rhin and Moselle: Good Friday
// (Easter − 2 days) and 26 December.
//
// The dates are computed, not listed: Easter Sunday comes from the anonymous
// Gregorian computus, so any year of the Gregorian calendar is answered. Whit
// Monday is listed although many employers work on it (journée de solidarité):
// it is still a public holiday, and a practitioner who works on it opens it
// with a DateOverride.
func FrenchHolidays(year int, alsaceMoselle bool) []Holiday {
	var hs holidayList
	hs.fill(year, alsaceMoselle)
	return append([]Holiday(nil), hs.days[:hs.n]...)
}

// holidayList holds the French public holidays of one year, sorted by date,
// without allocating.
type holidayList struct {
	year          int
	alsaceMoselle bool
	n             int // 0 before the first fill
	days          [13]Holiday
}

// fill sets l to the holidays of FrenchHolidays(year, alsaceMoselle).
func (l *holidayList) fill(year int, alsaceMoselle bool) {
	l.year, l.alsaceMoselle, l.n = year, alsaceMoselle, 0
	easter := easterSunday(year)
	add := func(d Date, name string) {
		// Insert in date order: Ascension (30 April to 3 June) may come
		// before 1 or 8 May, or fall on 1 May as in 2008.
		i := l.n
		for i > 0 && d.Before(l.days[i-1].Date) {
			l.days[i] = l.days[i-1]
			i--
		}
		l.days[i] = Holiday{d, name}
		l.n++
	}
	add(Date{year, time.January, 1}, "Jour de l'an")
	if alsaceMoselle {
		add(easter.AddDays(-2), "Vendredi saint")
	}
	add(easter.AddDays(1), "Lundi de Pâques")
	add(Date{year, time.May, 1}, "Fête du Travail")
	add(Date{year, time.May, 8}, "Victoire 1945")
	add(easter.AddDays(39), "Ascension")
	add(easter.AddDays(50), "Lundi de Pentecôte")
	add(Date{year, time.July, 14}, "Fête nationale")
	add(Date{year, time.August, 15}, "Assomption")
	add(Date{year, time.November, 1}, "Toussaint")
	add(Date{year, time.November, 11}, "Armistice 1918")
	add(Date{year, time.December, 25}, "Noël")
	if alsaceMoselle {
		add(Date{year, time.December, 26}, "Saint-Étienne")
	}
}

// has reports whether d is a holiday, filling l for d's year if needed.
func (l *holidayList) has(d Date, alsaceMoselle bool) bool {
	if l.n == 0 || l.year != d.Year || l.alsaceMoselle != alsaceMoselle {
		l.fill(d.Year, alsaceMoselle)
	}
	for _, h := range l.days[:l.n] {
		if h.Date == d {
			return true
		}
	}
	return false
}

// easterSunday returns the date of Easter Sunday in year, by the anonymous
// Gregorian algorithm (Meeus–Jones–Butcher).
func easterSunday(year int) Date {
	a := year % 19 // the year's place in the 19-year lunar cycle
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30 // about the days from 21 March to the Paschal full moon
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7 // days from that full moon to the Sunday after it
	m := (a + 11*h + 22*l) / 451
	n := h + l - 7*m + 114
	return Date{year, time.Month(n / 31), n%31 + 1}
}
