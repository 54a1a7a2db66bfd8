// Package pow issues and verifies proof-of-work challenges in the protocol
// of ALTCHA (v1, https://altcha.org/docs/v1/): the client searches the
// number n in [0, maxnumber] such that hex(SHA-256(salt ‖ decimal(n)))
// equals the challenge, which the server signed with HMAC-SHA256.
//
// It is a small reimplementation, not ALTCHA's library: SHA-256 only, an
// expiry that is required and read from the server's clock, constant-time
// comparisons, and used solutions remembered until they expire.
package pow
