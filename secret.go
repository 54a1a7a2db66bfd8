package rdv

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/rdvlibre/rdv/booking"
)

// loadSecret reads the secret kept in path (DATA/secret.key), which it
// creates (mode 0600) with 32 random bytes on first run.
func loadSecret(path string) ([]byte, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		_, err = f.WriteString(base64.RawURLEncoding.EncodeToString(b[:]) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
	}
	return ReadSecret(path)
}

// ReadSecret reads a secret for Options.Secret from a file, without the
// spaces around it; it must hold at least booking.MinSecretLen characters.
func ReadSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	key := []byte(strings.TrimSpace(string(data)))
	if len(key) < booking.MinSecretLen {
		return nil, fmt.Errorf("secret: %s holds fewer than %d characters", path, booking.MinSecretLen)
	}
	return key, nil
}

// challengeKey is the key that signs the proof-of-work challenges:
// HMAC-SHA256(secret, "rdv/challenge/v1"), apart from the keys booking
// derives from the same secret.
func challengeKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("rdv/challenge/v1"))
	return m.Sum(nil)
}
