package pow

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	testKey = []byte("0123456789abcdef0123456789abcdef")
	t0      = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
)

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newVerifier(t testing.TB, cfg Config) (*Verifier, *clock) {
	t.Helper()
	c := &clock{t0}
	if cfg.Key == nil {
		cfg.Key = testKey
	}
	cfg.Now = c.now
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v, c
}

func solve(t testing.TB, c Challenge) Payload {
	t.Helper()
	p, err := Solve(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// encodeRaw encodes any value as a payload is encoded.
func encodeRaw(v any) string {
	b, _ := json.Marshal(v)
	return base64.StdEncoding.EncodeToString(b)
}

func TestChallengeShape(t *testing.T) {
	v, _ := newVerifier(t, Config{})
	c := v.NewChallenge()
	if c.Algorithm != "SHA-256" || c.MaxNumber != DefaultMaxNumber || len(c.Challenge) != 64 || len(c.Signature) != 64 {
		t.Errorf("challenge = %+v", c)
	}
	want := "?expires=" + strconv.FormatInt(t0.Add(5*time.Minute).Unix(), 10) + "&"
	if !strings.HasSuffix(c.Salt, want) || len(c.Salt) != 24+len(want) {
		t.Errorf("salt = %q, want 24 hex digits then %q", c.Salt, want)
	}
	if c2 := v.NewChallenge(); c2.Salt == c.Salt {
		t.Error("two challenges share a salt")
	}
	// A client that knows the protocol, and nothing else, solves it.
	p := solve(t, c)
	if challengeOf(p.Salt, p.Number) != c.Challenge || p.Number > c.MaxNumber {
		t.Errorf("solution %+v", p)
	}
}

func TestVerify(t *testing.T) {
	other, _ := newVerifier(t, Config{Key: []byte("another key, another key, 32 bytes!")})
	tests := []struct {
		name string
		// payload builds the payload from a fresh solved challenge.
		payload func(v *Verifier, p Payload) string
		advance time.Duration
		want    error
	}{
		{"solved", func(_ *Verifier, p Payload) string { return p.Encode() }, 0, nil},
		{"solved, just before expiry", func(_ *Verifier, p Payload) string { return p.Encode() }, DefaultExpires - time.Second, nil},
		{"missing", func(*Verifier, Payload) string { return "" }, 0, ErrMissing},
		{"not base64", func(*Verifier, Payload) string { return "not base64!" }, 0, ErrMalformed},
		{"not JSON", func(*Verifier, Payload) string { return base64.StdEncoding.EncodeToString([]byte("{")) }, 0, ErrMalformed},
		{"too long", func(*Verifier, Payload) string { return strings.Repeat("A", 2000) }, 0, ErrMalformed},
		{"SHA-1", func(_ *Verifier, p Payload) string { p.Algorithm = "SHA-1"; return p.Encode() }, 0, ErrMalformed},
		{"number as a string", func(_ *Verifier, p Payload) string {
			return encodeRaw(map[string]any{"algorithm": p.Algorithm, "challenge": p.Challenge, "number": "1", "salt": p.Salt, "signature": p.Signature})
		}, 0, ErrMalformed},
		{"salt without expiry", func(v *Verifier, _ Payload) string {
			c := challengeOf("abcdef", 3)
			return Payload{Algorithm: Algorithm, Challenge: c, Number: 3, Salt: "abcdef", Signature: hexSig(v, c)}.Encode()
		}, 0, ErrMalformed},
		{"salt without the final &", func(v *Verifier, _ Payload) string {
			salt := "abcdef?expires=" + strconv.FormatInt(t0.Add(time.Minute).Unix(), 10)
			c := challengeOf(salt, 3)
			return Payload{Algorithm: Algorithm, Challenge: c, Number: 3, Salt: salt, Signature: hexSig(v, c)}.Encode()
		}, 0, ErrMalformed},
		{"wrong number", func(_ *Verifier, p Payload) string {
			p.Number = (p.Number + 1) % (DefaultMaxNumber + 1)
			return p.Encode()
		}, 0, ErrInvalid},
		{"negative number", func(_ *Verifier, p Payload) string { p.Number = -1; return p.Encode() }, 0, ErrInvalid},
		{"tampered signature", func(_ *Verifier, p Payload) string { p.Signature = flip(p.Signature); return p.Encode() }, 0, ErrInvalid},
		{"tampered challenge", func(_ *Verifier, p Payload) string { p.Challenge = flip(p.Challenge); return p.Encode() }, 0, ErrInvalid},
		{"expiry pushed back", func(_ *Verifier, p Payload) string {
			p.Salt = strings.Replace(p.Salt, "expires=1", "expires=2", 1)
			return p.Encode()
		}, 0, ErrInvalid},
		{"challenge of another server", func(*Verifier, Payload) string { return solve(t, other.NewChallenge()).Encode() }, 0, ErrInvalid},
		{"expired", func(_ *Verifier, p Payload) string { return p.Encode() }, DefaultExpires, ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, clk := newVerifier(t, Config{})
			payload := tt.payload(v, solve(t, v.NewChallenge()))
			clk.t = clk.t.Add(tt.advance)
			if err := v.Verify(payload); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func hexSig(v *Verifier, challenge string) string { return hex.EncodeToString(v.sign(challenge)) }

// flip changes the first hex digit of s.
func flip(s string) string {
	if s[0] == '0' {
		return "1" + s[1:]
	}
	return "0" + s[1:]
}

func TestReplay(t *testing.T) {
	v, clk := newVerifier(t, Config{})
	p := solve(t, v.NewChallenge()).Encode()
	if err := v.Verify(p); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Minute)
	if err := v.Verify(p); !errors.Is(err, ErrReplayed) {
		t.Errorf("second use: %v, want ErrReplayed", err)
	}
	// Once expired, it is refused as expired, and forgotten by the next sweep.
	clk.t = clk.t.Add(DefaultExpires)
	if err := v.Verify(p); !errors.Is(err, ErrExpired) {
		t.Errorf("use after expiry: %v, want ErrExpired", err)
	}
	if err := v.Verify(solve(t, v.NewChallenge()).Encode()); err != nil {
		t.Fatal(err)
	}
	if n := v.used.len(); n != 1 {
		t.Errorf("%d solutions remembered, want 1 (the expired one swept)", n)
	}
}

// A full set refuses new solutions until some expire: forgetting one would
// let it serve again.
func TestUsedBound(t *testing.T) {
	v, clk := newVerifier(t, Config{MaxUsed: 3, MaxNumber: 100})
	for i := range 3 {
		if err := v.Verify(solve(t, v.NewChallenge()).Encode()); err != nil {
			t.Fatalf("solution %d: %v", i, err)
		}
	}
	late := solve(t, v.NewChallenge()).Encode()
	if err := v.Verify(late); !errors.Is(err, ErrBusy) {
		t.Fatalf("fourth solution: %v, want ErrBusy", err)
	}
	clk.t = clk.t.Add(DefaultExpires)
	if err := v.Verify(solve(t, v.NewChallenge()).Encode()); err != nil {
		t.Errorf("after the first three expired: %v", err)
	}
	if n := v.used.len(); n != 1 {
		t.Errorf("%d solutions remembered, want 1", n)
	}
}

func TestNewConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Key: testKey[:31]},
		{Key: testKey, Expires: 30 * time.Second},
		{Key: testKey, MaxNumber: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestSolveCancelled(t *testing.T) {
	v, _ := newVerifier(t, Config{MaxNumber: 1 << 30})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Solve(ctx, v.NewChallenge()); !errors.Is(err, context.Canceled) {
		t.Errorf("Solve = %v, want context.Canceled", err)
	}
}
