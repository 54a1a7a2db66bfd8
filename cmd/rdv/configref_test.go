package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestConfigReference checks that docs/configuration.md documents every
// key of the configuration file, so that a new option can't ship
// undocumented, and names no key that doesn't exist.
func TestConfigReference(t *testing.T) {
	data, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	var keys []string
	configKeys(reflect.TypeFor[Config](), "", &keys)
	if len(keys) < 50 {
		t.Fatalf("found only %d keys: %v", len(keys), keys)
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/configuration.md does not document %q", k)
		}
	}
	// Every `a.b` in the tables' first column is a real key.
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, part := range strings.Split(first, "`") {
			part = strings.TrimSpace(part)
			if part == "" || part == "," || strings.ContainsAny(part, " ") {
				continue
			}
			if !known[part] {
				t.Errorf("docs/configuration.md documents %q, which is not a key", part)
			}
		}
	}
}

// configKeys appends the TOML keys of the struct type t, dotted after
// prefix, tables included.
func configKeys(t reflect.Type, prefix string, out *[]string) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		*out = append(*out, key)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[duration]() {
			configKeys(ft, key+".", out)
		}
	}
}

// TestDocsConfigExamples parses every complete configuration example of
// docs/ (a ```toml block with base_url), so that what a host copies is what
// rdv reads.
func TestDocsConfigExamples(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, block := range strings.Split(string(data), "```toml\n")[1:] {
			block, _, _ = strings.Cut(block, "```")
			if !strings.Contains(block, "base_url") {
				continue
			}
			n++
			cfg, err := ParseConfig([]byte(block))
			if err == nil {
				err = cfg.check()
			}
			if err != nil {
				t.Errorf("%s, example %d: %v", filepath.Base(f), i+1, err)
			}
		}
	}
	if n == 0 {
		t.Error("no configuration example found in docs/")
	}
}
