package testservers

// ChromiumPath is where Debian installs Chromium (package chromium), which
// cmd/rdv's browser test drives.
const ChromiumPath = "/usr/bin/chromium"

// ChromiumFlags are the command-line flags, without their "--", of headless
// Chromium in tests: no sandbox (tests may run as root), no GPU, and no
// traffic of the browser's own (updates, sync, QUIC probes).
var ChromiumFlags = []string{
	"headless",
	"no-sandbox",
	"disable-gpu",
	"disable-quic",
	"no-first-run",
	"disable-background-networking",
	"disable-component-update",
	"disable-sync",
}
