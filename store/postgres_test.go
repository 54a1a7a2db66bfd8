package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testservers"
)

// openPostgres opens a store on a new database, closed at the end of the test.
func openPostgres(t *testing.T) (*Postgres, string) {
	t.Helper()
	dsn := testservers.StartPostgres(t)
	s, err := OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

// newPool returns a pool on dsn, closed at the end of the test.
func newPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func testBooking() *booking.Booking {
	return &booking.Booking{ID: "x", PractitionerID: "p", TypeID: "t", Status: booking.StatusPending,
		Start: time.Unix(0, 0), End: time.Unix(60, 0)}
}

func TestOpenPostgres(t *testing.T) {
	ctx := context.Background()

	t.Run("reopen keeps data and applies nothing twice", func(t *testing.T) {
		dsn := testservers.StartPostgres(t)
		b := testBooking()
		ms, err := loadMigrations(postgresMigrations, "migrations/postgres")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			s, err := OpenPostgres(ctx, dsn)
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
			if i == 0 {
				if err := recordNew(s, ctx, b); err != nil {
					t.Fatal(err)
				}
			} else if _, err := s.Booking(ctx, b.ID); err != nil {
				t.Errorf("open %d: %v", i, err)
			}
			var n int
			if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != len(ms) || n == 0 {
				t.Errorf("open %d: %d migrations recorded, want %d", i, n, len(ms))
			}
			s.Close()
		}
	})

	t.Run("session names", func(t *testing.T) {
		s, _ := openPostgres(t)
		for _, tt := range []struct {
			pool *pgxpool.Pool
			want string
		}{{s.pool, "rdv"}, {s.locks, "rdv locks"}} {
			var got string
			if err := tt.pool.QueryRow(ctx, "SHOW application_name").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("application_name %q, want %q", got, tt.want)
			}
		}
		for _, tt := range []struct{ setting, want string }{
			{"statement_timeout", "0"},
			{"lock_timeout", "0"},
			{"idle_session_timeout", "0"},
			{"tcp_keepalives_idle", "10"},
			{"tcp_keepalives_interval", "5"},
			{"tcp_keepalives_count", "3"},
		} {
			var got string
			if err := s.locks.QueryRow(ctx, "SHOW "+tt.setting).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("lock sessions: %s = %s, want %s", tt.setting, got, tt.want)
			}
		}
	})

	dsn := testservers.StartPostgres(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	unknownDB := *u
	unknownDB.Path = "/no_such_database"
	closedPort := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/x?sslmode=disable", testservers.FreePort(t))
	for _, tt := range []struct {
		name string
		dsn  string
		code string
	}{
		{"not a URL", "host=127.0.0.1 dbname=x", booking.EInvalid},
		{"bad port", "postgres://127.0.0.1:notaport/x", booking.EInvalid},
		{"unknown parameter value", dsn + "&sslmode=sometimes", booking.EInvalid},
		{"nothing listening", closedPort, booking.EUnavailable},
		{"unknown database", unknownDB.String(), booking.EInternal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenPostgres(ctx, tt.dsn)
			if err == nil {
				s.Close()
				t.Fatal("no error")
			}
			if got := booking.ErrorCode(err); got != tt.code {
				t.Errorf("error %v: code %q, want %q", err, got, tt.code)
			}
		})
	}

	t.Run("password kept out of the message", func(t *testing.T) {
		_, err := OpenPostgres(ctx, "postgres://rdv:s3cr3t@127.0.0.1:notaport/x")
		if err == nil || strings.Contains(booking.ErrorMessage(err), "s3cr3t") {
			t.Errorf("error %v", err)
		}
	})

	t.Run("canceled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		s, err := OpenPostgres(ctx, dsn)
		if err == nil {
			s.Close()
			t.Fatal("no error")
		}
		if got := booking.ErrorCode(err); got != booking.EUnavailable {
			t.Errorf("error %v: code %q, want %q", err, got, booking.EUnavailable)
		}
	})
}

func TestPostgresSchema(t *testing.T) {
	// Instants are timestamptz, with the nanoseconds beside them.
	s, _ := openPostgres(t)
	rows, err := s.pool.Query(context.Background(), `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'bookings' AND column_name LIKE '%\_at'
		ORDER BY column_name`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		got = append(got, name+" "+typ)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := "created_at timestamp with time zone, end_at timestamp with time zone, " +
		"erased_at timestamp with time zone, start_at timestamp with time zone, updated_at timestamp with time zone"
	if strings.Join(got, ", ") != want {
		t.Errorf("columns %q, want %q", strings.Join(got, ", "), want)
	}

	// What psql shows is the instant, to the microsecond.
	b := testBooking()
	b.Start = time.Date(2026, 12, 1, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))
	b.End = b.Start.Add(time.Hour)
	if err := recordNew(s, context.Background(), b); err != nil {
		t.Fatal(err)
	}
	var text string
	var ns int
	err = s.pool.QueryRow(context.Background(),
		"SELECT to_char(start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), start_ns FROM bookings").Scan(&text, &ns)
	if err != nil {
		t.Fatal(err)
	}
	if text != "2026-12-01 08:00:00.123456" || ns != 789 {
		t.Errorf("stored %s and %d ns", text, ns)
	}
}

func TestPostgresText(t *testing.T) {
	// PostgreSQL's text holds neither NUL bytes nor invalid UTF-8: such a
	// booking is invalid, such a key finds nothing.
	ctx := context.Background()
	s, _ := openPostgres(t)
	nul := testBooking()
	nul.Patient.Name = "Marie\x00Curie"
	badUTF8 := testBooking()
	badUTF8.EventHref = "/caf\xe9.ics"
	badID := testBooking()
	badID.ID = "x\x00"
	for _, tt := range []struct {
		name string
		call func() error
		code string
	}{
		{"create with NUL", func() error { return recordNew(s, ctx, nul) }, booking.EInvalid},
		{"create with invalid UTF-8", func() error { return recordNew(s, ctx, badUTF8) }, booking.EInvalid},
		{"create with NUL in id", func() error { return recordNew(s, ctx, badID) }, booking.EInvalid},
		{"update with NUL", func() error { return recordUpdate(s, ctx, nul) }, booking.EInvalid},
		{"get id with NUL", func() error { _, err := s.Booking(ctx, "x\x00"); return err }, booking.ENotFound},
		{"get token with invalid UTF-8", func() error { _, err := s.BookingByTokenHash(ctx, "\xff"); return err }, booking.ENotFound},
		{"list practitioner with NUL", func() error {
			bs, err := s.BookingsBetween(ctx, "p\x00", time.Time{}, time.Now())
			if len(bs) > 0 {
				return errors.New("bookings found")
			}
			return err
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := booking.ErrorCode(err); got != tt.code {
				t.Fatalf("error %v: code %q, want %q", err, got, tt.code)
			}
			if err != nil && strings.Contains(err.Error(), "Marie") {
				t.Errorf("error %q reveals the patient", err)
			}
		})
	}
}

func TestPostgresPing(t *testing.T) {
	dsn := testservers.StartPostgres(t)
	s, err := OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Error("Ping after Close: no error")
	}
}

func TestPostgresCloseWithLockHeld(t *testing.T) {
	// A lock never released must not hang Close (a shutdown) for ever.
	dsn := testservers.StartPostgres(t)
	s, err := OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.closeGrace = 100 * time.Millisecond
	unlock, err := s.Locker().Lock(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	start := time.Now()
	err = s.Close()
	if got := booking.ErrorCode(err); got != booking.EInternal {
		t.Errorf("Close: %v, want an internal error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
}

func TestPostgresMigrate(t *testing.T) {
	ctx := context.Background()
	tables := func(t *testing.T, pool *pgxpool.Pool) string {
		rows, err := pool.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		return strings.Join(names, " ")
	}
	m1 := migration{1, "0001_a.sql", "CREATE TABLE a (x integer); INSERT INTO a VALUES (1);"}
	m2 := migration{2, "0002_b.sql", "CREATE TABLE b (x integer);\n-- a comment\nINSERT INTO b VALUES (2);"}
	bad := migration{3, "0003_bad.sql", "CREATE TABLE c (x integer); INSERT INTO nowhere VALUES (3);"}

	t.Run("applies each once", func(t *testing.T) {
		pool := newPool(t, testservers.StartPostgres(t))
		for _, ms := range [][]migration{{m1}, {m1}, {m1, m2}, {m1, m2}} {
			if err := migratePostgres(ctx, pool, ms); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("%d rows inserted, want 2", n)
		}
	})

	t.Run("failed migration leaves nothing", func(t *testing.T) {
		pool := newPool(t, testservers.StartPostgres(t))
		err := migratePostgres(ctx, pool, []migration{m1, m2, bad})
		if err == nil {
			t.Fatal("no error")
		}
		if !strings.Contains(err.Error(), "0003_bad.sql") {
			t.Errorf("error %q does not name the migration", err)
		}
		if got, want := tables(t, pool), "a b schema_migrations"; got != want {
			t.Errorf("tables %q, want %q", got, want)
		}
		var v int
		if err := pool.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != 2 {
			t.Errorf("version %d recorded, want 2", v)
		}
	})

	t.Run("unknown migration in database", func(t *testing.T) {
		pool := newPool(t, testservers.StartPostgres(t))
		if err := migratePostgres(ctx, pool, []migration{m1, m2}); err != nil {
			t.Fatal(err)
		}
		if err := migratePostgres(ctx, pool, []migration{m1}); err == nil {
			t.Error("older program accepted a newer schema")
		}
		renamed := m2
		renamed.name = "0002_renamed.sql"
		if err := migratePostgres(ctx, pool, []migration{m1, renamed}); err == nil {
			t.Error("renamed migration accepted")
		}
	})

	t.Run("concurrent migrators", func(t *testing.T) {
		// Four processes start at once on an empty database; the
		// migrations are slow enough for them to meet. Without the lock,
		// the second CREATE TABLE fails, or both insert.
		dsn := testservers.StartPostgres(t)
		slow := migration{1, "0001_slow.sql", "CREATE TABLE a (x integer); SELECT pg_sleep(0.2); INSERT INTO a VALUES (1);"}
		pools := make([]*pgxpool.Pool, 4)
		for i := range pools {
			pools[i] = newPool(t, dsn)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(pools))
		for i, pool := range pools {
			wg.Go(func() { errs[i] = migratePostgres(ctx, pool, []migration{slow, m2}) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("migrator %d: %v", i, err)
			}
		}
		var n int
		if err := pools[0].QueryRow(ctx, "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("%d rows inserted, want 2", n)
		}
	})

	t.Run("embedded migrations mirror SQLite's", func(t *testing.T) {
		pg, err := loadMigrations(postgresMigrations, "migrations/postgres")
		if err != nil {
			t.Fatal(err)
		}
		lite, err := loadMigrations(sqliteMigrations, "migrations/sqlite")
		if err != nil {
			t.Fatal(err)
		}
		// Same numbers and names, so that both schemas move together.
		var a, b []string
		for _, m := range pg {
			a = append(a, m.name)
		}
		for _, m := range lite {
			b = append(b, m.name)
		}
		if strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("postgres migrations %v, sqlite %v", a, b)
		}
		for i, m := range pg {
			if m.version != i+1 {
				t.Errorf("migration %s: want number %d (no gaps)", m.name, i+1)
			}
		}
	})
}

func TestSplitTime(t *testing.T) {
	for _, tm := range []time.Time{
		minTime,
		{},
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 3, 29, 2, 30, 0, 1, time.FixedZone("+01", 3600)),
		time.Date(2026, 12, 1, 9, 0, 0, 123456789, time.UTC),
		maxTime,
	} {
		at, ns := splitTime(tm)
		if at.Nanosecond()%1000 != 0 || ns < 0 || ns > 999 || at.After(tm) {
			t.Errorf("%v split into %v and %d", tm, at, ns)
		}
		if back := joinTime(at, ns); !back.Equal(tm) || back.Location() != time.UTC {
			t.Errorf("%v → %v", tm, back)
		}
	}
	if at, _ := splitBound(time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)); !at.Equal(minTime) {
		t.Errorf("bound before year 0 is %v", at)
	}
	if at, ns := splitBound(time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)); !joinTime(at, ns).Equal(maxTime) {
		t.Errorf("bound after year 9999 is %v", at)
	}
}

func TestSQLStateCode(t *testing.T) {
	for _, tt := range []struct{ state, want string }{
		{"23505", booking.EConflict},
		{"23514", booking.EInternal}, // check_violation: checkBooking should have caught it
		{"08006", booking.EUnavailable},
		{"40001", booking.EUnavailable},
		{"40P01", booking.EUnavailable},
		{"53100", booking.EUnavailable},
		{"57P01", booking.EUnavailable},
		{"57014", booking.EUnavailable},
		{"25006", booking.EUnavailable},
		{"22021", booking.EInvalid},
		{"42P01", booking.EInternal},
		{"28P01", booking.EInternal},
		{"3D000", booking.EInternal},
		{"", booking.EInternal},
	} {
		if got := sqlStateCode(tt.state); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.state, got, tt.want)
		}
	}
}

func TestAdvisoryKey(t *testing.T) {
	// Every version of rdv must compute the same ids: a change here lets two
	// versions running side by side during an upgrade book the same slot.
	for _, tt := range []struct {
		name string
		want int64
	}{
		{"rdv:demo", -8715865564130314418},
		{"rdv:", -4463942729804670026},
		{"rdv/schema_migrations", 8113275251642971042},
	} {
		if got := advisoryKey(tt.name); got != tt.want {
			t.Errorf("advisoryKey(%q) = %d, want %d", tt.name, got, tt.want)
		}
	}
	if migrationLock != advisoryKey("rdv/schema_migrations") {
		t.Error("migrationLock changed")
	}
}

// proxy forwards TCP connections to a server until cut: then it closes the
// connections it carries and those it accepts, as a broken network or a
// failing server would, until restored.
type proxy struct {
	l      net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { l.Close(); p.setCut(true) })
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *proxy) forward(c net.Conn) {
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); done <- struct{}{} }()
	go func() { io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
	}
}

func TestPostgresConnectionLoss(t *testing.T) {
	ctx := context.Background()
	dsn := testservers.StartPostgres(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr()
	s, err := OpenPostgres(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := testBooking()
	if err := recordNew(s, ctx, b); err != nil {
		t.Fatal(err)
	}

	p.setCut(true)
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"create", func(ctx context.Context) error {
			b := testBooking()
			b.ID = "y"
			return recordNew(s, ctx, b)
		}},
		{"update", func(ctx context.Context) error { return recordUpdate(s, ctx, b) }},
		{"get", func(ctx context.Context) error { _, err := s.Booking(ctx, b.ID); return err }},
		{"list", func(ctx context.Context) error {
			_, err := s.BookingsBetween(ctx, b.PractitionerID, b.Start, b.End)
			return err
		}},
		{"ping", s.Ping},
		{"lock", func(ctx context.Context) error {
			unlock, err := s.Locker().Lock(ctx, "demo")
			if err == nil {
				unlock()
			}
			return err
		}},
	}
	for _, tt := range calls {
		t.Run("cut/"+tt.name, func(t *testing.T) {
			// Without a deadline: the failure must come from the network.
			start := time.Now()
			err := tt.call(ctx)
			if got := booking.ErrorCode(err); got != booking.EUnavailable {
				t.Errorf("error %v: code %q, want %q", err, got, booking.EUnavailable)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("failed after %v", d)
			}
		})
	}

	// Once the network is back, the pools make new connections.
	p.setCut(false)
	for _, tt := range calls {
		t.Run("restored/"+tt.name, func(t *testing.T) {
			if tt.name == "create" || tt.name == "update" {
				return // "create" may have been applied before the cut was seen
			}
			if err := tt.call(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	got, err := s.Booking(ctx, b.ID)
	if err != nil || got.ID != b.ID {
		t.Fatalf("booking after the cut: %v, %v", got, err)
	}
}

func TestPostgresRestart(t *testing.T) {
	// The server stops (fast shutdown ends the sessions, as a restart or a
	// failover does) and comes back: calls fail as unavailable meanwhile,
	// then the store works again without being reopened.
	ctx := context.Background()
	srv := testservers.StartPostgresServer(t)
	s, err := OpenPostgres(ctx, srv.CreateDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := testBooking()
	if err := recordNew(s, ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // first on the pool's dead sessions, then on new connections
		_, err := s.Booking(ctx, b.ID)
		if got := booking.ErrorCode(err); got != booking.EUnavailable {
			t.Errorf("call %d: error %v: code %q, want %q", i, err, got, booking.EUnavailable)
		}
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Booking(ctx, b.ID); err != nil {
		t.Errorf("after restart: %v", err)
	}
}
