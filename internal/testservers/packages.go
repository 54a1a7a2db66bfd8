package testservers

import (
	_ "embed"
	"strings"
)

// debianPackages is the list ./scripts/test installs: one line
// "NAME: PACKAGE..." per server, comments after '#'.
//
//go:embed debian-packages.txt
var debianPackages string

// DebianPackages returns the Debian packages that the server called name
// ("radicale", "sabredav", "postgresql", "chromium", "icaljs") needs at run
// time, as arguments of apt-get install; "" if name is unknown. The list is
// debian-packages.txt, which ./scripts/test installs.
func DebianPackages(name string) string {
	for line := range strings.Lines(debianPackages) {
		line, _, _ = strings.Cut(line, "#")
		key, pkgs, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == name {
			return strings.Join(strings.Fields(pkgs), " ")
		}
	}
	return ""
}

// installHint says how to install what the server called name needs.
func installHint(name string) string {
	return "install: apt-get install --no-install-recommends " + DebianPackages(name)
}
