// Command embed is a host's own Go server with rdv inside: rdv.New wires
// it (here one practitioner, whose calendar is rdv's embedded CalDAV
// server, and SQLite, both in the data directory), its handler is mounted
// under /rdv/ on the host's mux beside the host's own routes, and Run runs
// its jobs until the server stops.
//
//	go run ./examples/embed -addr 127.0.0.1:8080 -data ./rdv-data
//
// Then http://127.0.0.1:8080/rdv/ is the booking page and
// http://127.0.0.1:8080/hello the host's own. Give the practitioner a
// rdv.Calendar with the URL of their Nextcloud to use their own calendar
// instead; see the package doc of rdv.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"
	_ "time/tzdata" // IANA zones even on hosts without /usr/share/zoneinfo

	"github.com/rdvlibre/rdv"
	"github.com/rdvlibre/rdv/booking"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	data := flag.String("data", "./rdv-data", "rdv's data directory")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := serve(ctx, ln, *data); err != nil {
		log.Fatal(err)
	}
}

// prefix is where the host mounts rdv.
const prefix = "/rdv"

// serve runs the host's server, rdv included, on ln until ctx is done.
func serve(ctx context.Context, ln net.Listener, dataDir string) error {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return err
	}
	p := booking.Practitioner{ID: "martin", Name: "Dr Martin", Location: paris,
		Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute}}}
	for d := time.Monday; d <= time.Saturday; d++ {
		p.Schedule.Weekly.Set(d, booking.ClockRange{Start: 9 * 60, End: 17 * 60})
	}

	// BaseURL is where patients reach rdv: the links of the emails and
	// the pages' own links carry the /rdv prefix.
	app, err := rdv.New(ctx, rdv.Options{
		DataDir: dataDir, BaseURL: "http://" + ln.Addr().String() + prefix,
		Practitioners: []booking.Practitioner{p},
	})
	if err != nil {
		return err
	}
	defer app.Close()
	go app.Run(ctx)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "the host's own page")
	})
	// rdv's handler serves paths from its root (/v1/…, /book, /manage/…):
	// the host strips its prefix first.
	mux.Handle(prefix+"/", http.StripPrefix(prefix, app.Handler()))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return srv.Shutdown(context.Background()) // waits for the requests under way
	}
}
