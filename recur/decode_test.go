package recur

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/internal/testcal"
)

// goIcal decodes with go-ical's own decoder, a panic being an error.
func goIcal(data string) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	return ical.NewDecoder(strings.NewReader(data)).Decode()
}

// diffComponents says how two components differ, "" if they do not.
// Parameters and properties that are nil or empty are the same.
func diffComponents(path string, a, b *ical.Component) string {
	path += "/" + a.Name
	if a.Name != b.Name {
		return fmt.Sprintf("%s: name %q vs %q", path, a.Name, b.Name)
	}
	if len(a.Props) != len(b.Props) {
		return fmt.Sprintf("%s: %d properties vs %d", path, len(a.Props), len(b.Props))
	}
	for name, pa := range a.Props {
		pb := b.Props[name]
		if len(pa) != len(pb) {
			return fmt.Sprintf("%s: %d %s vs %d", path, len(pa), name, len(pb))
		}
		for i := range pa {
			if pa[i].Name != pb[i].Name || pa[i].Value != pb[i].Value || len(pa[i].Params) != len(pb[i].Params) {
				return fmt.Sprintf("%s: %s %+v vs %+v", path, name, pa[i], pb[i])
			}
			for k, v := range pa[i].Params {
				if !slices.Equal(v, pb[i].Params[k]) {
					return fmt.Sprintf("%s: %s;%s %q vs %q", path, name, k, v, pb[i].Params[k])
				}
			}
		}
	}
	if len(a.Children) != len(b.Children) {
		return fmt.Sprintf("%s: %d children vs %d", path, len(a.Children), len(b.Children))
	}
	for i := range a.Children {
		if d := diffComponents(path, a.Children[i], b.Children[i]); d != "" {
			return d
		}
	}
	return ""
}

// decodeCases are objects that exercise the corners of RFC 5545 section 3.1.
var decodeCases = map[string]string{
	"LF line ends":                  "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a\nDTSTART:20270101T090000Z\nEND:VEVENT\nEND:VCALENDAR\n",
	"folded with a space and a tab": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDESCRIPTION:one\r\n  two\r\n\tthree\r\nDTSTART;TZID=Euro\r\n pe/Paris:20270101T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"lower case names":              "begin:vcalendar\r\nbegin:vevent\r\nuid:a\r\ndtstart;tzid=Europe/Paris;value=DATE-TIME:20270101T090000\r\nend:vevent\r\nend:VCALENDAR\r\n",
	"quoted parameters":             "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nATTENDEE;CN=\"Martin, Anne: Dr\";DELEGATED-FROM=\"mailto:a@x\",\"mailto:b@x\";PARTSTAT=DECLINED:mailto:anne@example.org\r\nURL:http://example.org/a;b,c:d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"empty lines and a value":       "\r\nBEGIN:VCALENDAR\r\n\r\nX-EMPTY:\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\ntrailing garbage",
	"repeated properties":           "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEXDATE:20270101T090000Z\r\nRDATE:20270102T090000Z\r\nEXDATE:20270108T090000Z,20270115T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"nested alarm":                  "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nBEGIN:VALARM\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
}

// decodeErrors are objects both decoders refuse.
var decodeErrors = map[string]string{
	"no colon":              "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"empty name":            "BEGIN:VCALENDAR\r\n:x\r\nEND:VCALENDAR\r\n",
	"unterminated quote":    "BEGIN:VCALENDAR\r\nX-A;P=\"abc:x\r\nEND:VCALENDAR\r\n",
	"quote inside a value":  "BEGIN:VCALENDAR\r\nX-A;P=a\"b:x\r\nEND:VCALENDAR\r\n",
	"parameter at the end":  "BEGIN:VCALENDAR\r\nX-A;P=abc\r\nEND:VCALENDAR\r\n",
	"text after a quote":    "BEGIN:VCALENDAR\r\nX-A;P=\"a\"b:x\r\nEND:VCALENDAR\r\n",
	"END of another":        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
	"no END":                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n",
	"not a VCALENDAR":       "BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n",
	"property before BEGIN": "VERSION:2.0\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
	"empty":                 "",
}

func TestDecodeLikeGoIcal(t *testing.T) {
	inputs := map[string]string{}
	for name, data := range decodeCases {
		inputs[name] = data
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.ics"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*", "*.ics"))
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = string(data)
	}
	for i, o := range testcal.Bench(t) {
		if i%50 == 0 {
			inputs[o.Href] = o.Data
		}
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			want, werr := goIcal(data)
			got, err := Decode(data)
			if (err != nil) != (werr != nil) {
				t.Fatalf("error %v, go-ical's %v", err, werr)
			}
			if err == nil {
				if d := diffComponents("", got.Component, want.Component); d != "" {
					t.Error(d)
				}
			}
		})
	}
	for name, data := range decodeErrors {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(data); err == nil {
				t.Error("no error")
			}
			if _, err := goIcal(data); err == nil {
				t.Error("go-ical accepts it")
			}
		})
	}
}

func TestDecodeForBusy(t *testing.T) {
	data := "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nX-LIC-LOCATION:Europe/Paris\r\nEND:VTIMEZONE\r\n" +
		"BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:RDV — Marie Curie\r\nDESCRIPTION:06 12 34 56 78\r\nLOCATION:ici\r\n" +
		"DTSTART;TZID=X:20270101T090000\r\nX-RDV-BOOKING:a\r\nATTENDEE;PARTSTAT=DECLINED:mailto:anne@example.org\r\n" +
		"BEGIN:VALARM\r\nDESCRIPTION:rappel\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	cal, err := decodeForBusy(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := cal.Events()
	if len(ev) != 1 || len(ev[0].Children) != 0 {
		t.Fatalf("events %+v", ev)
	}
	for _, gone := range []string{ical.PropSummary, ical.PropDescription, ical.PropLocation} {
		if ev[0].Props.Get(gone) != nil {
			t.Errorf("%s kept", gone)
		}
	}
	for _, kept := range []string{ical.PropUID, ical.PropDateTimeStart, "X-RDV-BOOKING", ical.PropAttendee} {
		if ev[0].Props.Get(kept) == nil {
			t.Errorf("%s left out", kept)
		}
	}
	if tz := cal.Children[0]; tz.Props.Get("X-LIC-LOCATION") == nil {
		t.Error("VTIMEZONE cut")
	}
}

func FuzzDecode(f *testing.F) {
	for _, data := range decodeCases {
		f.Add(data)
	}
	for _, data := range decodeErrors {
		f.Add(data)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.ics"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	var zones sharedTable // shared by all inputs, as by all the objects of a Calendar
	f.Fuzz(func(t *testing.T, data string) {
		got, err := Decode(data) // must not panic
		busy, berr := decodeForBusy(data, nil)
		if berr != nil && err == nil {
			t.Errorf("decodeForBusy fails where Decode does not: %v", berr)
		}
		shared, serr := decodeForBusy(data, &zones)
		if (serr != nil) != (berr != nil) {
			t.Fatalf("with shared zones: %v, without: %v", serr, berr)
		}
		if berr == nil {
			if d := diffComponents("", shared.Component, busy.Component); d != "" {
				t.Errorf("with shared zones: %s", d)
			}
		}
		want, werr := goIcal(data)
		if werr != nil {
			return
		}
		if err != nil {
			if strings.Contains(err.Error(), "nested more than") {
				return
			}
			t.Fatalf("error %v where go-ical has none", err)
		}
		if d := diffComponents("", got.Component, want.Component); d != "" {
			t.Error(d)
		}
	})
}

// TestDecodeSharedZones checks that the VTIMEZONEs taken from a sharedTable
// are those the objects hold.
func TestDecodeSharedZones(t *testing.T) {
	var zones sharedTable
	inputs := []string{decodeCases["folded with a space and a tab"]}
	for _, o := range testcal.Bench(t)[:300] {
		inputs = append(inputs, o.Data)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.ics"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(data), string(data)) // the second time from the table
	}
	for i, data := range inputs {
		want, werr := decodeForBusy(data, nil)
		got, err := decodeForBusy(data, &zones)
		if (err != nil) != (werr != nil) {
			t.Fatalf("input %d: %v vs %v", i, err, werr)
		}
		if err == nil {
			if d := diffComponents("", got.Component, want.Component); d != "" {
				t.Errorf("input %d: %s", i, d)
			}
		}
	}
	if n := len(zones.zones); n == 0 || n > 20 {
		t.Errorf("%d zones in the table", n)
	}
}

// TestDecodeStream decodes streams of several objects: each object must be
// what BusyDecoder.Decode makes of it alone.
func TestDecodeStream(t *testing.T) {
	bench := testcal.Bench(t)[:50]
	var objs []string
	for _, o := range bench {
		objs = append(objs, o.Data)
	}
	latin1 := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:caf\xe9\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	for _, tt := range []struct {
		name   string
		stream string
		want   []string // the objects, decoded alone
	}{
		{"one object", objs[0], objs[:1]},
		{"fifty objects", strings.Join(objs, ""), objs},
		{"blank lines and LF", "\r\n" + strings.ReplaceAll(objs[0]+"\n\n"+objs[1], "\r\n", "\n") + "\n \n", objs[:2]},
		{"not UTF-8, repaired", objs[2] + latin1, []string{objs[2], "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:café\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d BusyDecoder
			got, err := d.DecodeStream(tt.stream)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d objects, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				want, err := decodeForBusy(w, nil)
				if err != nil {
					t.Fatal(err)
				}
				if diff := diffComponents("", got[i].Component, want.Component); diff != "" {
					t.Errorf("object %d: %s", i+1, diff)
				}
			}
		})
	}
	for _, tt := range []struct{ name, stream, err string }{
		{"empty", "", "unexpected end of data"},
		{"blank", "\r\n\r\n", "unexpected end of data"},
		{"second object cut", objs[0] + "BEGIN:VCALENDAR\r\n", "object 2 of the stream"},
		{"garbage after an object", objs[0] + "hello\r\n", "object 2 of the stream"},
		{"a VEVENT alone", "BEGIN:VEVENT\r\nEND:VEVENT\r\n", "expected a VCALENDAR"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d BusyDecoder
			if got, err := d.DecodeStream(tt.stream); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("DecodeStream = %d objects, %v; want an error saying %q", len(got), err, tt.err)
			}
		})
	}
}

// TestDecodeStreamPieces decodes the benchmark's calendar as one stream
// cut into pieces parsed at once: the objects must be those parsed alone,
// and a stream whose pieces do not parse alone (a VCALENDAR nested in an
// object, across a cut) must give what parsing it whole gives.
func TestDecodeStreamPieces(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var objs []string
	for _, o := range testcal.Bench(t) {
		objs = append(objs, o.Data)
	}
	stream := strings.Join(objs, "")
	if n := len(cutStream(stream, 4)); n != 4 {
		t.Fatalf("the stream is cut in %d pieces, want 4", n)
	}
	var d BusyDecoder
	got, err := d.DecodeStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(objs) {
		t.Fatalf("%d objects, want %d", len(got), len(objs))
	}
	for i, o := range objs {
		want, err := decodeForBusy(o, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := diffComponents("", got[i].Component, want.Component); diff != "" {
			t.Fatalf("object %d: %s", i+1, diff)
		}
	}

	// A VCALENDAR nested in the middle object: a cut after its END line
	// leaves pieces that do not parse, the whole does.
	mid := len(objs) / 2
	nested := strings.Replace(objs[mid], "END:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nEND:VCALENDAR\r\n", 1)
	odd := strings.Join(objs[:mid], "") + nested + strings.Join(objs[mid+1:], "")
	whole, werr := new(BusyDecoder).decodePiece(odd)
	got, err = new(BusyDecoder).DecodeStream(odd)
	if werr != nil || err != nil || len(got) != len(whole) || len(got) != len(objs) {
		t.Fatalf("nested VCALENDAR: %d objects, %v; parsed whole: %d, %v", len(got), err, len(whole), werr)
	}
	// A broken object after the cuts: its position in the whole stream.
	broken := strings.Join(objs[:1500], "") + "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n" + strings.Join(objs[1500:], "")
	if _, err := new(BusyDecoder).DecodeStream(broken); err == nil || !strings.Contains(err.Error(), "object 1501 of the stream") {
		t.Errorf("broken object: %v, want an error at object 1501", err)
	}
}

func TestCutStream(t *testing.T) {
	obj := "BEGIN:VCALENDAR\r\nX-PAD:" + strings.Repeat("x", minPiece) + "\r\nEND:VCALENDAR\r\n"
	for _, tt := range []struct {
		name   string
		data   string
		pieces int
	}{
		{"small", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", 1},
		{"four objects, CRLF", strings.Repeat(obj, 4), 4},
		{"four objects, LF", strings.ReplaceAll(strings.Repeat(obj, 4), "\r\n", "\n"), 4},
		{"an END line continued", strings.Replace(strings.Repeat(obj, 4), "END:VCALENDAR\r\n", "END:VCALENDAR\r\n X\r\n", -1), 1},
		{"END:VCALENDARX", strings.Replace(strings.Repeat(obj, 4), "END:VCALENDAR\r\n", "END:VCALENDARX\r\n", -1), 1},
		{"without a last line end", strings.TrimSuffix(strings.Repeat(obj, 4), "\r\n"), 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pieces := cutStream(tt.data, 4)
			if len(pieces) != tt.pieces || strings.Join(pieces, "") != tt.data {
				t.Fatalf("%d pieces, want %d, joined the same: %v", len(pieces), tt.pieces, strings.Join(pieces, "") == tt.data)
			}
			for i, p := range pieces[:len(pieces)-1] {
				if !strings.HasSuffix(strings.TrimRight(p, "\r\n"), "\nEND:VCALENDAR") || !strings.HasSuffix(p, "\n") {
					t.Errorf("piece %d ends with %q", i, p[max(0, len(p)-20):])
				}
			}
		})
	}
}
