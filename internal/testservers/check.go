package testservers

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// T is the part of testing.TB that the start code uses. A test passes its
// *testing.T or *testing.B; the smoke test (Smoke), which runs outside go
// test, passes a *check. Both run the same code.
type T interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Skipf(format string, args ...any)
	Failed() bool
}

// check is a T outside go test: Fatal and Skip end the goroutine of the
// check, as they end a test's, and a skip is a failure (what a test would
// skip for is missing).
type check struct {
	mu       sync.Mutex
	failed   bool
	log      strings.Builder
	cleanups []func()
	tempRoot string
	temps    int
}

var _ T = (*check)(nil)

// runCheck runs fn as a test would run it, then its cleanups, last first. It
// returns what fn and its cleanups logged and whether they failed.
func runCheck(fn func(T)) (log string, failed bool) {
	root, err := os.MkdirTemp("", "rdv-smoke-")
	if err != nil {
		return err.Error(), true
	}
	defer os.RemoveAll(root)
	c := &check{tempRoot: root}
	inGoroutine(func() { fn(c) })
	for i := len(c.cleanups) - 1; i >= 0; i-- {
		inGoroutine(c.cleanups[i])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.String(), c.failed
}

// inGoroutine runs f in a goroutine of its own, so that a Fatal in it
// (runtime.Goexit) ends f only.
func inGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func (c *check) Helper() {}

func (c *check) Cleanup(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleanups = append(c.cleanups, f)
}

// TempDir returns a new directory in a private one, as testing's does (the
// PostgreSQL code opens the parent to its server's user).
func (c *check) TempDir() string {
	c.mu.Lock()
	c.temps++
	dir := filepath.Join(c.tempRoot, fmt.Sprintf("%03d", c.temps))
	c.mu.Unlock()
	if err := os.Mkdir(dir, 0o700); err != nil {
		c.Fatal(err)
	}
	return dir
}

func (c *check) Logf(format string, args ...any) { c.print(false, fmt.Sprintf(format, args...)) }

func (c *check) Errorf(format string, args ...any) { c.print(true, fmt.Sprintf(format, args...)) }

func (c *check) Fatal(args ...any) {
	c.print(true, fmt.Sprint(args...))
	runtime.Goexit()
}

func (c *check) Fatalf(format string, args ...any) {
	c.print(true, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (c *check) Skip(args ...any) { c.Fatal(args...) }

func (c *check) Skipf(format string, args ...any) { c.Fatalf(format, args...) }

func (c *check) Failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

func (c *check) print(fail bool, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed = c.failed || fail
	c.log.WriteString(strings.TrimRight(msg, "\n"))
	c.log.WriteString("\n")
}
