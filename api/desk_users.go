package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// DeskUser is a person who may log in to the desk with a name and a
// password, instead of the admin token, and sees only the practitioners of
// Practitioners (all of them when it is empty).
type DeskUser struct {
	Name string
	// PasswordHash is the Argon2id hash of the password as a PHC string
	// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), as HashDeskPassword (and
	// `rdv desk-password`) writes it.
	PasswordHash  string
	Practitioners []string
}

// The Argon2id parameters of HashDeskPassword: RFC 9106's second
// recommended option (64 MiB, 3 passes, 4 lanes), a 16-byte salt and a
// 32-byte hash.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 4
	argonKeyLen  = 32
)

// MinDeskPasswordLen is the shortest password HashDeskPassword takes.
const MinDeskPasswordLen = 12

// HashDeskPassword returns the Argon2id hash of password as a PHC string,
// with a random salt, for DeskUser.PasswordHash.
func HashDeskPassword(password string) (string, error) {
	if len([]rune(password)) < MinDeskPasswordLen {
		return "", fmt.Errorf("api: a desk password needs at least %d characters", MinDeskPasswordLen)
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// passwordHash is a parsed PHC string of Argon2id.
type passwordHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parsePasswordHash reads a PHC string of Argon2id, refusing parameters
// outside sane bounds (a configuration must not make each login take
// gigabytes or minutes).
func parsePasswordHash(s string) (passwordHash, error) {
	var h passwordHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, fmt.Errorf("not an Argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash); make one with rdv desk-password")
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &threads); err != nil {
		return h, fmt.Errorf("its parameters %q are not m=…,t=…,p=…", parts[3])
	}
	if h.memory < 8*1024 || h.memory > 1024*1024 || h.time < 1 || h.time > 10 || threads < 1 || threads > 16 {
		return h, fmt.Errorf("its parameters %q are out of bounds (m 8192 to 1048576 KiB, t 1 to 10, p 1 to 16)", parts[3])
	}
	h.threads = uint8(threads)
	var err error
	enc := base64.RawStdEncoding
	if h.salt, err = enc.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, fmt.Errorf("its salt is not base64 of at least 8 bytes")
	}
	if h.key, err = enc.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, fmt.Errorf("its hash is not base64 of 16 to 64 bytes")
	}
	return h, nil
}

// matches reports whether password has hash h, in constant time for a
// given h.
func (h passwordHash) matches(password string) bool {
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// deskUser is a DeskUser ready for logins.
type deskUser struct {
	hash  passwordHash
	print string          // fingerprint of the password's hash: a new password ends the sessions
	scope map[string]bool // the practitioners it sees; nil for all
}

// deskUsers checks and prepares the users of cfg; known reports whether a
// practitioner id exists.
func deskUsers(users []DeskUser, known func(string) bool) (map[string]*deskUser, error) {
	out := map[string]*deskUser{}
	for i, u := range users {
		if u.Name == "" || len(u.Name) > 100 || strings.IndexFunc(u.Name, unicode.IsControl) >= 0 || strings.TrimSpace(u.Name) != u.Name {
			return nil, fmt.Errorf("api: desk user #%d: a name of 1 to 100 characters, without control characters or surrounding spaces", i+1)
		}
		if out[u.Name] != nil {
			return nil, fmt.Errorf("api: desk user %q appears twice", u.Name)
		}
		h, err := parsePasswordHash(u.PasswordHash)
		if err != nil {
			return nil, fmt.Errorf("api: desk user %q: password_hash: %v", u.Name, err)
		}
		sum := sha256.Sum256([]byte("rdv desk user\x00" + u.Name + "\x00" + u.PasswordHash))
		du := &deskUser{hash: h, print: hex.EncodeToString(sum[:16])}
		for _, pid := range u.Practitioners {
			if !known(pid) {
				return nil, fmt.Errorf("api: desk user %q: no practitioner %q", u.Name, pid)
			}
			if du.scope == nil {
				du.scope = map[string]bool{}
			}
			du.scope[pid] = true
		}
		out[u.Name] = du
	}
	return out, nil
}

// dummyHash returns what a login with an unknown user name is checked
// against: a hash with the parameters of the costliest of users (the
// default ones without users), so that it takes as long as one with a
// known name.
func dummyHash(users map[string]*deskUser) passwordHash {
	d := passwordHash{memory: argonMemory, time: argonTime, threads: argonThreads, key: make([]byte, argonKeyLen)}
	cost := func(h passwordHash) uint64 { return uint64(h.memory) * uint64(h.time) }
	first := true
	for _, u := range users {
		if h := u.hash; first || cost(h) > cost(d) {
			d.memory, d.time, d.threads, d.key = h.memory, h.time, h.threads, make([]byte, len(h.key))
			first = false
		}
	}
	d.salt = make([]byte, 16)
	return d
}
