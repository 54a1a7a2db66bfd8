package main

import (
	"encoding"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// masked replaces a secret in what rdv check prints. It says nothing of the
// secret, not even its length.
const masked = "********"

// secretKey matches the configuration keys whose values are secrets:
// passwords, tokens, signing secrets (but not the *_file keys, which hold
// paths).
var secretKey = regexp.MustCompile(`(password|password_hash|token|secret)$`)

// printConfig writes the configuration, one `key = value` line per key that
// is set, keys in dotted TOML form ("practitioners[0].calendar.url"), and
// secrets masked: the values of the secret keys, and in any URL (the
// store's, a calendar's, a webhook's) the password of its user info and
// the query parameters that look like credentials.
func printConfig(w io.Writer, c *Config) {
	printValue(w, "", reflect.ValueOf(*c))
}

// printValue writes v, the value at key. A key given as a pointer (private,
// reminders) is written when set, even to its zero value.
func printValue(w io.Writer, key string, v reflect.Value) {
	set := false
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v, set = v.Elem(), true
	}
	if s, ok := scalar(v); ok {
		if set || !v.IsZero() {
			fmt.Fprintf(w, "  %s = %s\n", key, maskValue(key, v, s))
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			sub := name
			if key != "" {
				sub = key + "." + name
			}
			printValue(w, sub, v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			if set {
				fmt.Fprintf(w, "  %s = []\n", key)
			}
			return
		}
		if _, ok := scalar(reflect.Zero(v.Type().Elem())); ok {
			items := make([]string, v.Len())
			for i := range v.Len() {
				s, _ := scalar(v.Index(i))
				items[i] = maskValue(key, v.Index(i), s)
			}
			fmt.Fprintf(w, "  %s = [%s]\n", key, strings.Join(items, ", "))
			return
		}
		for i := range v.Len() {
			printValue(w, fmt.Sprintf("%s[%d]", key, i), v.Index(i))
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			printValue(w, key+"."+k.String(), v.MapIndex(k))
		}
	}
}

var textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()

// scalar returns v written as a TOML value, if v is one: a string, a bool,
// a number, or a text marshaler (a duration).
func scalar(v reflect.Value) (string, bool) {
	if v.Type().Implements(textMarshaler) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return "", true
		}
		return strconv.Quote(string(b)), true
	}
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String()), true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10), true
	}
	return "", false
}

// maskValue returns s, the written value of v at key, with its secrets
// masked.
func maskValue(key string, v reflect.Value, s string) string {
	name := key[strings.LastIndexAny(key, ".]")+1:]
	if secretKey.MatchString(name) {
		return strconv.Quote(masked)
	}
	if v.Kind() == reflect.String && strings.Contains(v.String(), "://") {
		return strconv.Quote(maskURL(v.String()))
	}
	return s
}

// credentialParam matches the query parameters of a URL that may carry a
// credential (PostgreSQL's password=, a webhook's ?token=…).
var credentialParam = regexp.MustCompile(`(?i)(password|passwd|pwd|token|secret|key|sig)`)

// maskURL masks the password of a URL's user info and the values of its
// query parameters that look like credentials. A string that does not parse
// as a URL is masked whole: it may be a URL with a password that the parser
// refused.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return masked
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), masked)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if credentialParam.MatchString(k) {
				q[k] = []string{masked}
			}
		}
		u.RawQuery = q.Encode()
	}
	// Keep the mask readable: url.URL escapes the asterisks of user info.
	return strings.ReplaceAll(strings.ReplaceAll(u.String(), "%2A", "*"), "%2a", "*")
}
