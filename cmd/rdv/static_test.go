package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestStaticBinary builds rdv as hosts install it (CGO_ENABLED=0, as `go
// install github.com/rdvlibre/rdv/cmd/rdv@latest` does without a C
// compiler) and checks that the result needs nothing from the machine: no
// dynamic loader nor shared library, the IANA time zones inside.
func TestStaticBinary(t *testing.T) {
	skipHeavy(t)
	if runtime.GOOS != "linux" {
		t.Skip("ELF check on Linux only")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "rdv")
	build := exec.Command(goTool, "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (program header %v)", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries: %v", libs)
	}

	list := exec.Command(goTool, "list", "-deps", ".")
	list.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := list.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
		t.Error("the binary does not embed the time zone database (time/tzdata)")
	}

	// It runs: its version, with no Go toolchain's environment.
	run := exec.Command(bin, "version")
	run.Env = []string{"PATH=/nonexistent"}
	if out, err := run.CombinedOutput(); err != nil || !strings.Contains(string(out), runtime.Version()) {
		t.Errorf("rdv version: %v\n%s", err, out)
	}
}
