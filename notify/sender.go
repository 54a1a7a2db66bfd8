package notify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/rdvlibre/rdv/booking"
)

// Sender hands a message over for delivery. Implementations: SMTPSender,
// DirSender.
type Sender interface {
	// Send delivers msg, a complete RFC 5322 message with CRLF line endings,
	// from the envelope sender from to the envelope recipients to. It returns
	// once the message is accepted (by a mail server, on disk) or with an
	// EUnavailable error when it could not be; then the message may be sent
	// again later. Errors never hold an address nor any part of msg.
	Send(ctx context.Context, from string, to []string, msg []byte) error
}

// DirSender writes each message as a file named <timestamp>-<uuid>.eml in Dir,
// the UTC timestamp first so that names sort in the order of writing. The
// file appears whole or not at all: it is written under a temporary name,
// synced, then renamed. Dir is created, readable by its owner only, if it does
// not exist. The envelope is not kept: the To header names the recipient.
//
// The embedded demo uses it as its outbox, so that no message leaves the
// machine.
type DirSender struct {
	Dir string
}

// Send implements Sender.
func (s DirSender) Send(ctx context.Context, from string, to []string, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return booking.WrapError(booking.EUnavailable, err, "notify: message not written to the outbox")
	}
	if err := s.write(msg); err != nil {
		return booking.WrapError(booking.EUnavailable, err, "notify: message not written to the outbox")
	}
	return nil
}

func (s DirSender) write(msg []byte) (err error) {
	if s.Dir == "" {
		return fmt.Errorf("outbox directory not set")
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.Dir, ".tmp-*.eml")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(msg); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	name := time.Now().UTC().Format("20060102T150405.000000000Z") + "-" + uuid.NewString() + ".eml"
	if err := os.Rename(f.Name(), filepath.Join(s.Dir, name)); err != nil {
		return err
	}
	syncDir(s.Dir)
	return nil
}

// syncDir makes a rename in dir durable where the system allows it; failing
// that, the file is still there, just not yet safe from a power cut.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
