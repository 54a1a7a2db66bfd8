package testservers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestStartPostgres(t *testing.T) {
	ctx := context.Background()
	var dsns []string
	for i := range 2 {
		start := time.Now()
		dsn := StartPostgres(t)
		t.Logf("database %d ready in %v", i, time.Since(start).Round(time.Millisecond))
		dsns = append(dsns, dsn)
	}
	if dsns[0] == dsns[1] {
		t.Fatalf("same database twice: %s", dsns[0])
	}
	// Each database is empty and separate.
	for i, dsn := range dsns {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE t (x integer)"); err != nil {
			t.Errorf("database %d: %v", i, err)
		}
	}
}

func TestStartPostgresServer(t *testing.T) {
	ctx := context.Background()
	srv := StartPostgresServer(t)
	dsn := srv.CreateDatabase(t)
	query := func() error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "SELECT 1")
		return err
	}
	if err := query(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := query(); err == nil {
		t.Fatal("query on a stopped server succeeded")
	}
	start := time.Now()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("restarted in %v", time.Since(start).Round(time.Millisecond))
	if err := query(); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestStartPostgresParallel(t *testing.T) {
	// Parallel tests share the server and create their databases at once.
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			conn, err := pgx.Connect(context.Background(), StartPostgres(t))
			if err != nil {
				t.Fatal(err)
			}
			conn.Close(context.Background())
		})
	}
}
