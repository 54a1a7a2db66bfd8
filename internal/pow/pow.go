package pow

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only hash function the package issues and accepts.
const Algorithm = "SHA-256"

// Defaults of Config.
const (
	// DefaultMaxNumber is the largest secret number: a client needs
	// DefaultMaxNumber/2 hashes on average, a fraction of a second in a
	// browser (see docs/BENCHMARKS.md).
	DefaultMaxNumber = 50_000
	// DefaultExpires is how long a challenge may be solved and used.
	DefaultExpires = 5 * time.Minute
	// DefaultMaxUsed bounds the used solutions remembered (about 80 bytes
	// each).
	DefaultMaxUsed = 100_000
	// MinKeyLen is the shortest Config.Key accepted.
	MinKeyLen = 32
	// MinExpires is the shortest Config.Expires accepted: a patient's
	// browser must have time to solve and send.
	MinExpires = time.Minute
	// maxPayloadLen bounds the payload read, encoded.
	maxPayloadLen = 1024
)

// Errors of Verify.
var (
	ErrMissing   = errors.New("pow: no proof of work")
	ErrMalformed = errors.New("pow: proof of work is not base64 JSON of an ALTCHA payload")
	ErrInvalid   = errors.New("pow: proof of work does not solve a challenge of this server")
	ErrExpired   = errors.New("pow: challenge expired")
	ErrReplayed  = errors.New("pow: proof of work already used")
	ErrBusy      = errors.New("pow: too many solutions in use; retry in a few minutes")
)

// Config configures a Verifier.
type Config struct {
	// Key signs the challenges (HMAC-SHA256); at least MinKeyLen bytes,
	// the same on every replica. Required.
	Key []byte
	// MaxNumber is the largest secret number, the difficulty; default
	// DefaultMaxNumber.
	MaxNumber int
	// Expires is how long a challenge stays valid; default DefaultExpires,
	// at least MinExpires.
	Expires time.Duration
	// MaxUsed bounds the solutions remembered against replay; default
	// DefaultMaxUsed.
	MaxUsed int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Challenge is what a client solves, as ALTCHA's widget reads it.
type Challenge struct {
	Algorithm string `json:"algorithm"` // always Algorithm
	Challenge string `json:"challenge"` // hex SHA-256 of Salt ‖ decimal(number)
	MaxNumber int    `json:"maxnumber"` // the number lies in [0, MaxNumber]
	Salt      string `json:"salt"`      // random hex, "?expires=UNIX&"
	Signature string `json:"signature"` // hex HMAC-SHA256(key, Challenge)
}

// Payload is a solved challenge, as ALTCHA's widget sends it: base64 of its
// JSON (Encode).
type Payload struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int    `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Encode returns p as a client sends it: standard base64 of its JSON.
func (p Payload) Encode() string {
	b, _ := json.Marshal(p) // no value of Payload fails to encode
	return base64.StdEncoding.EncodeToString(b)
}

// Verifier issues challenges and verifies their solutions. It is safe for
// concurrent use. The solutions it remembers against replay live in its
// memory: each replica of rdv has its own, so a solution may be used once
// on each replica.
type Verifier struct {
	key       []byte
	maxNumber int
	expires   time.Duration
	now       func() time.Time
	used      *usedSet
}

// New returns a Verifier for cfg.
func New(cfg Config) (*Verifier, error) {
	if len(cfg.Key) < MinKeyLen {
		return nil, errors.New("pow: Config.Key must have at least 32 bytes")
	}
	v := &Verifier{
		key:       append([]byte(nil), cfg.Key...),
		maxNumber: cfg.MaxNumber,
		expires:   cfg.Expires,
		now:       cfg.Now,
	}
	if v.maxNumber == 0 {
		v.maxNumber = DefaultMaxNumber
	}
	if v.maxNumber < 1 || v.maxNumber > 1<<30 {
		return nil, errors.New("pow: Config.MaxNumber must be between 1 and 2^30")
	}
	if v.expires == 0 {
		v.expires = DefaultExpires
	}
	if v.expires < MinExpires {
		return nil, errors.New("pow: Config.Expires must be at least 1m")
	}
	if v.now == nil {
		v.now = time.Now
	}
	maxUsed := cfg.MaxUsed
	if maxUsed <= 0 {
		maxUsed = DefaultMaxUsed
	}
	v.used = newUsedSet(maxUsed)
	return v, nil
}

// Expires is how long a challenge stays valid.
func (v *Verifier) Expires() time.Duration { return v.expires }

// NewChallenge returns a new challenge, valid for Expires from now. The
// salt ends with "&", ALTCHA's guard against moving digits between the
// expiry and the number.
func (v *Verifier) NewChallenge() Challenge {
	var b [20]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	n := int(binary.LittleEndian.Uint64(b[12:]) % uint64(v.maxNumber+1))
	salt := hex.EncodeToString(b[:12]) + "?expires=" + strconv.FormatInt(v.now().Add(v.expires).Unix(), 10) + "&"
	c := challengeOf(salt, n)
	return Challenge{
		Algorithm: Algorithm,
		Challenge: c,
		MaxNumber: v.maxNumber,
		Salt:      salt,
		Signature: hex.EncodeToString(v.sign(c)),
	}
}

// Verify checks payload, a solution as a client sends it, and remembers it
// so that it can't be used again on this Verifier. It returns one of the
// errors above: ErrMissing for "", ErrMalformed, ErrInvalid for a wrong
// number, a foreign or altered challenge or signature, ErrExpired,
// ErrReplayed, or ErrBusy when more than Config.MaxUsed unexpired solutions
// are remembered (it then fails closed: accepting would forget one).
func (v *Verifier) Verify(payload string) error {
	if payload == "" {
		return ErrMissing
	}
	if len(payload) > maxPayloadLen {
		return ErrMalformed
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return ErrMalformed
	}
	var p Payload
	if err := json.Unmarshal(raw, &p); err != nil || p.Algorithm != Algorithm {
		return ErrMalformed
	}
	expires, ok := expiry(p.Salt)
	if !ok {
		return ErrMalformed
	}
	challenge, err := hex.DecodeString(p.Challenge)
	if err != nil || len(challenge) != sha256.Size {
		return ErrMalformed
	}
	sig, err := hex.DecodeString(p.Signature)
	if err != nil {
		return ErrMalformed
	}
	// Both comparisons run in constant time over values of fixed length,
	// and both run whatever the first gives.
	sum := sha256.Sum256([]byte(p.Salt + strconv.Itoa(p.Number)))
	okNumber := p.Number >= 0 && hmac.Equal(sum[:], challenge)
	okSig := hmac.Equal(v.sign(p.Challenge), sig)
	if !okNumber || !okSig {
		return ErrInvalid
	}
	now := v.now()
	if !now.Before(expires) {
		return ErrExpired
	}
	return v.used.add([sha256.Size]byte(challenge), expires, now)
}

// sign returns HMAC-SHA256(key, challenge), challenge being the hex string.
func (v *Verifier) sign(challenge string) []byte {
	m := hmac.New(sha256.New, v.key)
	m.Write([]byte(challenge))
	return m.Sum(nil)
}

// challengeOf returns hex(SHA-256(salt ‖ decimal(n))).
func challengeOf(salt string, n int) string {
	sum := sha256.Sum256([]byte(salt + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:])
}

// expiry reads the expires parameter of a salt of the form
// "random?expires=UNIX&"; a salt without it is refused (ALTCHA's library
// lets it never expire).
func expiry(salt string) (time.Time, bool) {
	_, query, ok := strings.Cut(salt, "?")
	if !ok || !strings.HasSuffix(query, "&") {
		return time.Time{}, false
	}
	q, err := url.ParseQuery(strings.TrimSuffix(query, "&"))
	if err != nil {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}
