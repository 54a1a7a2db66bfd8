package pow

import (
	"context"
	"testing"
	"time"
)

// BenchmarkVerifyChallenge is the server's cost of one booking's proof of
// work: decoding, one SHA-256, one HMAC, the replay set.
func BenchmarkVerifyChallenge(b *testing.B) {
	v, _ := newVerifier(b, Config{MaxUsed: 1 << 30})
	payloads := make([]string, 1000)
	for i := range payloads {
		payloads[i] = solve(b, v.NewChallenge()).Encode()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%len(payloads) == 0 && i > 0 {
			// A fresh round: forget the used ones (they have expired).
			b.StopTimer()
			v.used = newUsedSet(1 << 30)
			b.StartTimer()
		}
		if err := v.Verify(payloads[i%len(payloads)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewChallenge is the cost of GET /v1/challenge's work.
func BenchmarkNewChallenge(b *testing.B) {
	v, _ := newVerifier(b, Config{})
	b.ReportAllocs()
	for b.Loop() {
		v.NewChallenge()
	}
}

// BenchmarkSolve is a Go client's work at the default difficulty: the
// mean over random challenges (the number is uniform in [0, maxnumber]).
func BenchmarkSolve(b *testing.B) {
	v, _ := newVerifier(b, Config{})
	ctx := context.Background()
	var worst time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := Solve(ctx, v.NewChallenge()); err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}

// BenchmarkSolveMax is the worst case at the default difficulty: all
// DefaultMaxNumber+1 hashes.
func BenchmarkSolveMax(b *testing.B) {
	v, _ := newVerifier(b, Config{})
	c := v.NewChallenge()
	c.Challenge = "0000000000000000000000000000000000000000000000000000000000000000" // never found
	for b.Loop() {
		_, _ = Solve(context.Background(), c)
	}
}
