//go:build !unix

package testservers

import "os/exec"

func ownGroup(*exec.Cmd) {}

func stopGroup(cmd *exec.Cmd, _ bool) { cmd.Process.Kill() }
