package api

import (
	"reflect"
	"regexp"
	"testing"
)

// TestFrenchSpaces: the French texts of the patient pages put a
// non-breaking space before ":" (U+00A0) and a narrow one before ";", "?"
// and "!" (U+202F), as French typography wants, so that the sign never
// starts a line.
func TestFrenchSpaces(t *testing.T) {
	bad := regexp.MustCompile(` [:;?!]`)
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			if bad.MatchString(v.String()) {
				t.Errorf("%s: a plain space before a sign in %q", path, v.String())
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(path+"[…]", it.Value())
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(path, v.Index(i))
			}
		}
	}
	walk("textFR", reflect.ValueOf(textFR))
	walk("waitTexts[fr]", reflect.ValueOf(waitTexts["fr"]))
	if textFR.Colon != "\u00a0: " {
		t.Errorf("Colon = %q", textFR.Colon)
	}
}
