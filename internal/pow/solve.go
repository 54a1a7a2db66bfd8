package pow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
)

// Solve finds the number of c by trying 0, 1, … maxnumber, as a client
// does, and returns the payload to send. It is what a Go client of the API
// needs; rdv itself uses it in tests and benchmarks. It checks ctx every
// 4096 tries.
func Solve(ctx context.Context, c Challenge) (Payload, error) {
	want, err := hex.DecodeString(c.Challenge)
	if err != nil || len(want) != sha256.Size || c.Algorithm != Algorithm {
		return Payload{}, errors.New("pow: not a SHA-256 challenge")
	}
	var target [sha256.Size]byte
	copy(target[:], want)
	buf := make([]byte, len(c.Salt), len(c.Salt)+20)
	copy(buf, c.Salt)
	for n := 0; n <= c.MaxNumber; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return Payload{}, ctx.Err()
		}
		if sha256.Sum256(strconv.AppendInt(buf[:len(c.Salt)], int64(n), 10)) == target {
			return Payload{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature}, nil
		}
	}
	return Payload{}, errors.New("pow: no number solves the challenge")
}
