package booking

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// MaxIdempotencyKeyLen is the longest Idempotency-Key accepted.
const MaxIdempotencyKeyLen = 255

// MinSecretLen is the shortest ServiceConfig.Secret accepted.
const MinSecretLen = 32

// keys are the keys the service derives from its secret. What the store
// keeps for later but must not reveal is sealed with AES-256-GCM:
//
//   - the manage token of a new booking, in its outbox message, under
//     HMAC-SHA256(secret, "rdv/outbox-token/v1"), bound to the booking id;
//   - the first result of a request with an Idempotency-Key K (booking and
//     manage token), under HMAC-SHA256(secret, "rdv/idempotency/seal/v1" ‖ K),
//     bound to the key's id.
//
// The key's id (what the store looks up) is HMAC-SHA256(secret,
// "rdv/idempotency/id/v1" ‖ K) and the request's fingerprint is keyed by the
// sealing key, so the database alone reveals neither tokens nor keys nor
// patient data, and even with the secret a result is opened only by whoever
// holds K.
type keys struct {
	secret []byte
	token  cipher.AEAD
	given  bool // the secret is the configuration's, not one made for this process
}

func newKeys(secret []byte) (keys, error) {
	given := len(secret) > 0
	if len(secret) < MinSecretLen {
		if len(secret) > 0 {
			return keys{}, Errorf(EInvalid, "booking: ServiceConfig.Secret must have at least %d bytes", MinSecretLen)
		}
		secret = make([]byte, MinSecretLen)
		if _, err := rand.Read(secret); err != nil {
			return keys{}, WrapError(EInternal, err, "booking: no random secret (crypto/rand failed)")
		}
	}
	secret = append([]byte(nil), secret...)
	return keys{secret: secret, token: newAEAD(mac(secret, "rdv/outbox-token/v1")), given: given}, nil
}

// mac returns HMAC-SHA256(key, parts joined by NUL).
func mac(key []byte, parts ...string) []byte {
	h := hmac.New(sha256.New, key)
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

func newAEAD(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("booking: " + err.Error()) // a 32-byte key never fails
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("booking: " + err.Error())
	}
	return aead
}

// seal encrypts plain with aead, a random nonce first.
func seal(aead cipher.AEAD, plain, bind []byte) []byte {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("booking: crypto/rand failed: " + err.Error())
	}
	return aead.Seal(nonce, nonce, plain, bind)
}

func unseal(aead cipher.AEAD, sealed, bind []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, errors.New("booking: sealed value too short")
	}
	return aead.Open(nil, sealed[:n], sealed[n:], bind)
}

// sealToken seals the manage token of booking id.
func (k keys) sealToken(id, token string) []byte {
	return seal(k.token, []byte(token), []byte(id))
}

// openToken opens what sealToken sealed.
func (k keys) openToken(id string, sealed []byte) (string, error) {
	b, err := unseal(k.token, sealed, []byte(id))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// idempotencyKey is what the service derives from an Idempotency-Key and
// the request that carries it.
type idempotencyKey struct {
	id          string      // HMAC(secret, id label, K), hex: the store's key
	requestHash string      // HMAC(sealing key, canonical request), hex
	aead        cipher.AEAD // seals the result
}

// idempotency checks the Idempotency-Key of req, whose patient is validated
// and whose start is start, and derives its keys.
func (k keys) idempotency(req BookRequest, start time.Time) (*idempotencyKey, error) {
	label := "rdv/idempotency/request/v1"
	if req.ByPractice {
		// A booking by the practice never replays a patient's, nor the
		// reverse: the fingerprints differ.
		label = "rdv/idempotency/practice-request/v1"
	}
	return k.idempotencyOf(req.IdempotencyKey, label, []string{
		req.PractitionerID, req.TypeID, start.UTC().Format(time.RFC3339Nano),
		req.Patient.Name, req.Patient.Email, req.Patient.Phone,
	})
}

// sharedIdempotency is idempotency for a request to the shared type st:
// its fingerprint, under a label of its own, is never that of a request to
// a practitioner.
func (k keys) sharedIdempotency(req SharedBookRequest, st *SharedType, start time.Time) (*idempotencyKey, error) {
	return k.idempotencyOf(req.IdempotencyKey, "rdv/idempotency/shared-request/v1", []string{
		st.ID, st.TypeID, start.UTC().Format(time.RFC3339Nano),
		req.Patient.Name, req.Patient.Email, req.Patient.Phone,
	})
}

// idempotencyOf checks the Idempotency-Key key and derives its keys, the
// request's fingerprint under label from the fields of the request.
func (k keys) idempotencyOf(key, label string, request []string) (*idempotencyKey, error) {
	if len(key) > MaxIdempotencyKeyLen {
		return nil, FieldError(FieldIdempotencyKey, ReasonInvalid, "the Idempotency-Key must have at most %d characters", MaxIdempotencyKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return nil, FieldError(FieldIdempotencyKey, ReasonInvalid, "the Idempotency-Key must be printable ASCII without spaces")
		}
	}
	sealKey := mac(k.secret, "rdv/idempotency/seal/v1", key)
	canonical := strings.Join(request, "\x00")
	return &idempotencyKey{
		id:          hex.EncodeToString(mac(k.secret, "rdv/idempotency/id/v1", key)),
		requestHash: hex.EncodeToString(mac(sealKey, label, canonical)),
		aead:        newAEAD(sealKey),
	}, nil
}

// replayed is the first result of a request, as sealed in its record.
type replayed struct {
	ID           string    `json:"id"`
	Practitioner string    `json:"practitioner"`
	Type         string    `json:"type"`
	Status       Status    `json:"status"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	CreatedAt    time.Time `json:"created_at"`
	Token        string    `json:"token"`
}

// record returns the record that remembers b and token as the result of
// key's request.
func (k keys) record(key *idempotencyKey, b *Booking, token string, now time.Time) (*IdempotencyRecord, error) {
	plain, err := json.Marshal(replayed{
		ID: b.ID, Practitioner: b.PractitionerID, Type: b.TypeID, Status: b.Status,
		Start: b.Start, End: b.End, CreatedAt: b.CreatedAt, Token: token,
	})
	if err != nil {
		return nil, WrapError(EInternal, err, "booking: cannot encode the result")
	}
	return &IdempotencyRecord{
		Key:         key.id,
		RequestHash: key.requestHash,
		BookingID:   b.ID,
		Response:    seal(key.aead, plain, []byte(key.id)),
		CreatedAt:   now,
	}, nil
}

// replay looks key up: found is true when a live record exists, with the
// first result, or with an EInvalid error when the record is of another
// request. A record that can't be opened (the secret changed) is an
// EConflict error: the first booking exists, but its token can't be given
// again.
func (s *Service) replay(ctx context.Context, key *idempotencyKey) (*Booking, string, bool, error) {
	rec, err := s.store.IdempotencyRecord(ctx, key.id, s.now().Add(-IdempotencyTTL))
	switch {
	case ErrorCode(err) == ENotFound:
		return nil, "", false, nil
	case err != nil:
		return nil, "", false, err
	}
	if !hmac.Equal([]byte(rec.RequestHash), []byte(key.requestHash)) {
		return nil, "", true, FieldError(FieldIdempotencyKey, ReasonReused, "this Idempotency-Key was already used for a different request: use a new key for a new booking")
	}
	plain, err := unseal(key.aead, rec.Response, []byte(key.id))
	var r replayed
	if err == nil {
		err = json.Unmarshal(plain, &r)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "booking: idempotency record can't be opened", "booking", rec.BookingID, "err", err)
		return nil, "", true, WrapError(EConflict, err, "this request was already made, but its result can't be given again: see the confirmation email")
	}
	loc := time.UTC
	if pe := s.byID[r.Practitioner]; pe != nil {
		loc = pe.p.Location
	}
	s.log.InfoContext(ctx, "booking replayed", "booking", r.ID, "practitioner", r.Practitioner)
	return &Booking{
		ID: r.ID, PractitionerID: r.Practitioner, TypeID: r.Type, Status: r.Status,
		Start: r.Start.In(loc), End: r.End.In(loc), TokenHash: HashToken(r.Token),
		CreatedAt: r.CreatedAt, UpdatedAt: r.CreatedAt,
	}, r.Token, true, nil
}
