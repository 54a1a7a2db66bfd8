package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rdvlibre/rdv/api"
)

// deskPassword reads a password, the first line of in, and writes its
// Argon2id hash for a [[desk.users]] password_hash (rdv desk-password).
// Nothing else is written: the password is not echoed.
func deskPassword(in io.Reader, out io.Writer) error {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("desk-password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	hash, err := api.HashDeskPassword(password)
	if err != nil {
		return fmt.Errorf("desk-password: %w", err)
	}
	_, err = fmt.Fprintln(out, hash)
	return err
}
