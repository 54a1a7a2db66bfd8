package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildInfo is what `rdv version` prints: what the binary was built from.
type buildInfo struct {
	Module     string `json:"module"`
	Version    string `json:"version"`               // "(devel)" for a build from a work tree
	Commit     string `json:"commit,omitempty"`      // VCS revision, when built in a repository
	Dirty      bool   `json:"dirty,omitempty"`       // the work tree had uncommitted changes
	CommitTime string `json:"commit_time,omitempty"` // time of the commit (RFC 3339); Go records no build time
	Go         string `json:"go"`
	Platform   string `json:"platform"`
}

// readBuildInfo returns the build information of the running binary, from
// runtime/debug.ReadBuildInfo: the module version is set by `go install
// …@version`, the VCS settings by a build in a git work tree.
func readBuildInfo() buildInfo {
	bi, _ := debug.ReadBuildInfo() // nil when not ok
	return newBuildInfo(bi)
}

// newBuildInfo reads bi, which may be nil (a binary built without module
// support).
func newBuildInfo(bi *debug.BuildInfo) buildInfo {
	b := buildInfo{Module: "github.com/rdvlibre/rdv", Version: "(unknown)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		return b
	}
	if bi.Main.Path != "" {
		b.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		case "vcs.time":
			b.CommitTime = s.Value
		}
	}
	return b
}

// printVersion writes the build information of the binary, as lines of
// text or as JSON.
func printVersion(stdout io.Writer, asJSON bool) error {
	return writeBuildInfo(stdout, readBuildInfo(), asJSON)
}

func writeBuildInfo(stdout io.Writer, b buildInfo, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	}
	fmt.Fprintf(stdout, "rdv %s\n", b.Version)
	fmt.Fprintf(stdout, "  module:  %s\n", b.Module)
	if b.Commit != "" {
		commit := b.Commit
		if b.Dirty {
			commit += " (dirty: uncommitted changes)"
		}
		fmt.Fprintf(stdout, "  commit:  %s\n", commit)
		if b.CommitTime != "" {
			fmt.Fprintf(stdout, "  time:    %s (of the commit)\n", b.CommitTime)
		}
	} else {
		fmt.Fprintf(stdout, "  commit:  unknown (not built in a git work tree)\n")
	}
	_, err := fmt.Fprintf(stdout, "  go:      %s %s\n", b.Go, b.Platform)
	return err
}
