package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"sync"
	"time"
)

// GET /favicon.ico, which browsers ask for whatever the pages link to: the
// calendar of static/favicon.svg, drawn again as a 32×32 PNG in an ICO
// file (the ICO format allows a PNG image since Windows Vista).

const faviconCache = "public, max-age=604800"

// faviconICO returns the ICO file and its ETag, built once per process.
var faviconICO = sync.OnceValues(func() ([]byte, string) {
	var img bytes.Buffer
	if err := png.Encode(&img, calendarGlyph()); err != nil {
		panic("api: favicon: " + err.Error()) // an in-memory RGBA image always encodes
	}
	var ico bytes.Buffer
	// ICONDIR: reserved, type 1 (icon), one image.
	_ = binary.Write(&ico, binary.LittleEndian, [3]uint16{0, 1, 1})
	// ICONDIRENTRY: 32×32, no palette, reserved, 1 plane, 32 bits per
	// pixel, the image's size and its offset (after these 6+16 bytes).
	ico.Write([]byte{32, 32, 0, 0})
	_ = binary.Write(&ico, binary.LittleEndian, [2]uint16{1, 32})
	_ = binary.Write(&ico, binary.LittleEndian, [2]uint32{uint32(img.Len()), 22})
	ico.Write(img.Bytes())
	sum := sha256.Sum256(ico.Bytes())
	return ico.Bytes(), `"` + hex.EncodeToString(sum[:hashLen/2]) + `"`
})

// calendarGlyph draws the calendar of static/favicon.svg, without its
// rounded corners.
func calendarGlyph() *image.NRGBA {
	var (
		white  = color.NRGBA{0xff, 0xff, 0xff, 0xff}
		accent = color.NRGBA{0x0b, 0x4f, 0x8a, 0xff}
		dark   = color.NRGBA{0x08, 0x3a, 0x66, 0xff}
		focus  = color.NRGBA{0xb3, 0x50, 0x00, 0xff}
	)
	m := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	fill := func(x0, y0, x1, y1 int, c color.NRGBA) {
		draw.Draw(m, image.Rect(x0, y0, x1, y1), image.NewUniform(c), image.Point{}, draw.Src)
	}
	fill(2, 5, 30, 30, accent) // frame
	fill(4, 13, 28, 28, white) // page
	fill(9, 2, 12, 9, dark)    // rings
	fill(20, 2, 23, 9, dark)
	for _, y := range []int{16, 22} {
		for _, x := range []int{7, 14, 21} {
			c := accent
			if x == 21 && y == 16 {
				c = focus
			} else if x == 21 {
				continue
			}
			fill(x, y, x+4, y+3, c)
		}
	}
	return m
}

// favicon answers GET /favicon.ico.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "image/x-icon")
	h.Set("Cache-Control", faviconCache)
	ico, etag := faviconICO()
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(ico))
}
