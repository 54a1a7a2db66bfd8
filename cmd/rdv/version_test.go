package main

import (
	"encoding/json"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersion runs `rdv version` and `rdv version -json` on the built
// binary: the build information is that of the binary, not of the tests.
func TestVersion(t *testing.T) {
	skipHeavy(t)
	bin := rdvBinary(t, "")
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("rdv version: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"rdv ", "module:  github.com/rdvlibre/rdv", "go:      " + runtime.Version(), "commit:  "} {
		if !strings.Contains(text, want) {
			t.Errorf("rdv version lacks %q:\n%s", want, text)
		}
	}

	out, err = exec.Command(bin, "version", "-json").Output()
	if err != nil {
		t.Fatalf("rdv version -json: %v", err)
	}
	var b buildInfo
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("rdv version -json: %v\n%s", err, out)
	}
	if b.Module != "github.com/rdvlibre/rdv" || b.Go != runtime.Version() || b.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("rdv version -json: %+v", b)
	}
	// A build in the work tree is "(devel)" with the commit when the VCS
	// was stamped (-buildvcs), a `go install …@v1.2.3` its version.
	if b.Version != "(devel)" && !strings.HasPrefix(b.Version, "v") {
		t.Errorf("version %q: want (devel) or a module version", b.Version)
	}
	if b.Commit != "" && !strings.Contains(text, b.Commit) {
		t.Errorf("the text does not show the commit %s:\n%s", b.Commit, text)
	}
	if !strings.HasPrefix(text, "rdv "+b.Version+"\n") {
		t.Errorf("first line: want rdv %s:\n%s", b.Version, text)
	}

	if out, err := exec.Command(bin, "version", "extra").CombinedOutput(); err == nil {
		t.Errorf("rdv version extra: no error:\n%s", out)
	}
}

// TestBuildInfo checks what is read from the build information: a
// release installed with go install, a build from a work tree with
// uncommitted changes, and none at all.
func TestBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want []string // in the text output
		not  []string
	}{
		{
			name: "release",
			bi:   &debug.BuildInfo{Main: debug.Module{Path: "github.com/rdvlibre/rdv", Version: "v1.4.0"}},
			want: []string{"rdv v1.4.0\n", "commit:  unknown", "go:      " + runtime.Version()},
			not:  []string{"dirty"},
		},
		{
			name: "dirty work tree",
			bi: &debug.BuildInfo{Main: debug.Module{Path: "github.com/rdvlibre/rdv", Version: "(devel)"}, Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: "cdd44a6a25a6b5cd56c672b153a65cc55fbca0de"},
				{Key: "vcs.time", Value: "2026-12-01T18:04:05Z"},
				{Key: "vcs.modified", Value: "true"},
			}},
			want: []string{"rdv (devel)\n", "commit:  cdd44a6a25a6b5cd56c672b153a65cc55fbca0de (dirty", "time:    2026-12-01T18:04:05Z"},
		},
		{
			name: "clean work tree",
			bi: &debug.BuildInfo{Main: debug.Module{Path: "github.com/rdvlibre/rdv", Version: "(devel)"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "cdd44a6a25a6b5cd56c672b153a65cc55fbca0de"},
				{Key: "vcs.modified", Value: "false"},
			}},
			want: []string{"commit:  cdd44a6a25a6b5cd56c672b153a65cc55fbca0de\n"},
			not:  []string{"dirty", "time:"},
		},
		{
			name: "no build information",
			want: []string{"rdv (unknown)\n", "module:  github.com/rdvlibre/rdv", "go:      " + runtime.Version()},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf strings.Builder
			if err := writeBuildInfo(&buf, newBuildInfo(tc.bi), false); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("lacks %q:\n%s", w, buf.String())
				}
			}
			for _, n := range tc.not {
				if strings.Contains(buf.String(), n) {
					t.Errorf("has %q:\n%s", n, buf.String())
				}
			}
		})
	}
}
