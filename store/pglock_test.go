package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testservers"
	"github.com/rdvlibre/rdv/store"
)

// twoProcesses opens two stores on one new database, as two replicas of the
// service would: each with its own pools and locker.
func twoProcesses(t *testing.T) (a, b *store.Postgres, dsn string) {
	t.Helper()
	dsn = testservers.StartPostgres(t)
	open := func() *store.Postgres {
		s, err := store.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return open(), open(), dsn
}

// advisoryLocks returns how many advisory locks of the database are granted
// and how many are awaited.
func advisoryLocks(t *testing.T, conn *pgx.Conn) (granted, waiting int) {
	t.Helper()
	err := conn.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted)
		FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).
		Scan(&granted, &waiting)
	if err != nil {
		t.Fatal(err)
	}
	return granted, waiting
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 5s: %s", what)
		}
	}
}

// testContext returns a context that ends with a failure after 30 s: a lock
// that is never released fails the test instead of hanging it.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestPGLockerSerialises(t *testing.T) {
	// 50 goroutines over two processes increment a counter under the lock:
	// read, wait, write. Each access is atomic, for the race detector, which
	// can't see the ordering PostgreSQL gives; the increment as a whole is
	// not, so any overlap of two critical sections loses an update, and
	// holders counts the sections running at once.
	ctx := testContext(t)
	a, b, _ := twoProcesses(t)
	lockers := []booking.Locker{a.Locker(), b.Locker()}
	const n = 50
	var counter, holders, maxHolders atomic.Int64
	errs := run(n, func(i int) error {
		unlock, err := lockers[i%2].Lock(ctx, "demo")
		if err != nil {
			return err
		}
		defer unlock()
		h := holders.Add(1)
		for m := maxHolders.Load(); h > m && !maxHolders.CompareAndSwap(m, h); m = maxHolders.Load() {
		}
		v := counter.Load()
		time.Sleep(time.Millisecond)
		counter.Store(v + 1)
		holders.Add(-1)
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	if got := counter.Load(); got != n {
		t.Errorf("counter %d, want %d: critical sections overlapped", got, n)
	}
	if m := maxHolders.Load(); m != 1 {
		t.Errorf("%d holders at once", m)
	}
}

func TestPGLockerKeys(t *testing.T) {
	ctx := testContext(t)
	a, b, _ := twoProcesses(t)
	unlock, err := a.Locker().Lock(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	t.Run("another key is free", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		for _, l := range []*store.PGLocker{a.Locker(), b.Locker()} {
			u, err := l.Lock(ctx, "p2")
			if err != nil {
				t.Fatal(err)
			}
			u()
		}
	})
	t.Run("same key waits, in the same process too", func(t *testing.T) {
		for _, l := range []*store.PGLocker{a.Locker(), b.Locker()} {
			ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			u, err := l.Lock(ctx, "p1")
			cancel()
			if err == nil {
				u()
				t.Fatal("lock taken twice")
			}
			assertCode(t, err, booking.EUnavailable)
		}
	})
	t.Run("unlock twice", func(t *testing.T) {
		u, err := b.Locker().Lock(ctx, "p3")
		if err != nil {
			t.Fatal(err)
		}
		u()
		u()
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		u, err = a.Locker().Lock(ctx, "p3")
		if err != nil {
			t.Fatalf("after unlock: %v", err)
		}
		u()
	})
}

func TestPGLockerCancel(t *testing.T) {
	ctx := testContext(t)
	a, b, dsn := twoProcesses(t)
	admin := connect(t, dsn)
	unlock, err := a.Locker().Lock(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock() // unlock is idempotent: this one is for a test that fails early

	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"deadline", func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 300*time.Millisecond) }},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(300*time.Millisecond, cancel)
			return ctx, cancel
		}},
		{"already done", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return ctx, cancel
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			u, err := b.Locker().Lock(ctx, "demo")
			took := time.Since(start)
			if err == nil {
				u()
				t.Fatal("lock taken while held")
			}
			assertCode(t, err, booking.EUnavailable)
			if took > time.Second {
				t.Errorf("returned after %v", took)
			}
			// The wait is gone from the server; only the holder's lock is left.
			eventually(t, "the cancelled wait left the queue", func() bool {
				granted, waiting := advisoryLocks(t, admin)
				return granted == 1 && waiting == 0
			})
		})
	}

	// Once the holder unlocks, nothing is held: the cancelled waits did not
	// get the lock on their way out, and the other process takes it at once.
	unlock()
	eventually(t, "no advisory lock left", func() bool {
		granted, waiting := advisoryLocks(t, admin)
		return granted == 0 && waiting == 0
	})
	ctx2, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	u, err := b.Locker().Lock(ctx2, "demo")
	if err != nil {
		t.Fatalf("lock after the holder left: %v", err)
	}
	u()
}

func TestPGLockerWaitsInOrder(t *testing.T) {
	// A waiter of the other process gets the lock when it is released, even
	// though the holder's process has waiters of its own.
	ctx := testContext(t)
	a, b, dsn := twoProcesses(t)
	admin := connect(t, dsn)
	unlock, err := a.Locker().Lock(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	var order []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	take := func(name string, l *store.PGLocker) {
		wg.Go(func() {
			u, err := l.Lock(ctx, "demo")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			u()
		})
	}
	take("b", b.Locker())
	eventually(t, "b waits in PostgreSQL", func() bool { _, waiting := advisoryLocks(t, admin); return waiting == 1 })
	take("a", a.Locker()) // queued in process a, behind the holder
	time.Sleep(50 * time.Millisecond)
	unlock()
	wg.Wait()
	if len(order) != 2 || order[0] != "b" {
		t.Errorf("order %v, want b first", order)
	}
}

func TestPGLockerLostSession(t *testing.T) {
	// The lock lives as long as its session: when the session ends, another
	// process can take it, and the holder's unlock does no harm.
	ctx := testContext(t)
	a, b, dsn := twoProcesses(t)
	admin := connect(t, dsn)
	unlock, err := a.Locker().Lock(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	var terminated bool
	err = admin.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted`).Scan(&terminated)
	if err != nil || !terminated {
		t.Fatalf("terminate the holder's session: %v, %v", terminated, err)
	}
	ctx2, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	u, err := b.Locker().Lock(ctx2, "demo")
	if err != nil {
		t.Fatalf("lock after the holder's session ended: %v", err)
	}
	u()
	unlock() // finds its session dead: must neither block nor panic

	// The holder's process locks again, on a new session.
	ctx3, cancel3 := context.WithTimeout(ctx, 2*time.Second)
	defer cancel3()
	u, err = a.Locker().Lock(ctx3, "demo")
	if err != nil {
		t.Fatalf("lock again in the holder's process: %v", err)
	}
	u()
}
