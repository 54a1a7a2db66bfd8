package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Practice is how the pages present the practice: its name, logo and
// colour, how to reach it, and its legal pages. Every field is optional.
type Practice struct {
	// Name is the practice's name ("Cabinet médical des Tilleuls"), in the
	// header and the title of every page. Default: no name, "Prise de
	// rendez-vous".
	Name string
	// Logo is the image shown beside the name (PNG, JPEG, WebP or SVG, at
	// most 256 KiB), served by rdv itself; LogoType is its media type.
	Logo     []byte
	LogoType string
	// Color is the practice's colour, #rrggbb, for the header and buttons.
	// It must keep white text on it, and it as text on the light grey
	// #f2f2f2 of the free days, readable (contrast at least 4.5:1).
	Color string
	// Phone and Address are shown on every page. MapURL is a link to a map
	// of the address; by default one to OpenStreetMap's search for it (a
	// link only: no map is loaded from another site).
	Phone, Address, MapURL string
	// LegalURL, PrivacyURL and AccessibilityURL link the practice's legal
	// notice, privacy notice and accessibility statement in the footer.
	LegalURL, PrivacyURL, AccessibilityURL string
	// FrameAncestors are the origins ("https://www.cabinet-martin.fr") whose
	// pages may show rdv's pages in an iframe (CSP frame-ancestors). None by
	// default: the pages can't be framed.
	FrameAncestors []string
}

// maxLogoBytes is the largest logo accepted.
const maxLogoBytes = 256 << 10

var (
	colorRE  = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	originRE = regexp.MustCompile(`^https?://[a-zA-Z0-9.-]+(:[0-9]{1,5})?$`)
)

// check validates p.
func (p *Practice) check() error {
	var errs []error
	if p.Color != "" {
		if !colorRE.MatchString(p.Color) {
			errs = append(errs, fmt.Errorf("api: practice color %q is not #rrggbb", p.Color))
		} else if c := contrastWithSoft(p.Color); c < 4.5 {
			// The colour is the background of white text (buttons) and
			// the text of the free days on the light grey --soft of
			// style.css: the grey, darker, is the harder of the two.
			errs = append(errs, fmt.Errorf("api: practice color %s is too light for white text and for text on light grey #f2f2f2 (contrast %.1f:1 with the grey, at least 4.5:1 needed)", p.Color, c))
		}
	}
	if len(p.Logo) > maxLogoBytes {
		errs = append(errs, fmt.Errorf("api: practice logo is %d bytes, at most %d", len(p.Logo), maxLogoBytes))
	}
	switch p.LogoType {
	case "", "image/png", "image/jpeg", "image/webp", "image/svg+xml":
	default:
		errs = append(errs, fmt.Errorf("api: practice logo type %q is not PNG, JPEG, WebP or SVG", p.LogoType))
	}
	if len(p.Logo) > 0 && p.LogoType == "" {
		errs = append(errs, errors.New("api: practice logo needs its LogoType"))
	}
	for name, u := range map[string]string{"map URL": p.MapURL, "legal notice URL": p.LegalURL, "privacy notice URL": p.PrivacyURL, "accessibility statement URL": p.AccessibilityURL} {
		if u == "" {
			continue
		}
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			errs = append(errs, fmt.Errorf("api: practice %s %q is not an http(s) URL", name, u))
		}
	}
	for _, o := range p.FrameAncestors {
		if !originRE.MatchString(o) {
			errs = append(errs, fmt.Errorf("api: frame ancestor %q is not an origin such as https://www.example.org", o))
		}
	}
	return errors.Join(errs...)
}

// contrastWithSoft is the WCAG contrast ratio of the colour #rrggbb with
// #f2f2f2, the --soft background of style.css (its relative luminance is
// 0.8879).
func contrastWithSoft(hexColor string) float64 {
	b, _ := hex.DecodeString(hexColor[1:])
	lum := 0.0
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		c := float64(b[i]) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += w * c
	}
	return (0.8879 + 0.05) / (lum + 0.05)
}

// practiceView is what every page shows of the practice.
type practiceView struct {
	Name, Logo, Phone, Address, MapURL     string
	PhoneHref                              template.URL // tel: and digits only
	LegalURL, PrivacyURL, AccessibilityURL string
	Theme                                  string // the style sheet of the practice's colour, "" for none
}

// practiceAssets are the logo and theme style sheet, under hashed names.
type practiceAssets struct {
	view       practiceView
	logo       []byte
	logoType   string
	logoPath   string // "/static/logo-HASH.EXT", "" for none
	theme      []byte
	themePath  string
	frameCSP   string // the frame-ancestors directive
	frameAllow bool
}

func newPracticeAssets(p Practice, basePath string) (*practiceAssets, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	a := &practiceAssets{
		view: practiceView{
			Name: strings.TrimSpace(p.Name), Phone: strings.TrimSpace(p.Phone), Address: strings.TrimSpace(p.Address),
			MapURL: p.MapURL, LegalURL: p.LegalURL, PrivacyURL: p.PrivacyURL, AccessibilityURL: p.AccessibilityURL,
		},
		frameCSP: "frame-ancestors 'none'",
	}
	if a.view.Phone != "" {
		a.view.PhoneHref = template.URL("tel:" + strings.Map(func(r rune) rune {
			if r == '+' || ('0' <= r && r <= '9') {
				return r
			}
			return -1
		}, a.view.Phone))
	}
	if a.view.Address != "" && a.view.MapURL == "" {
		a.view.MapURL = "https://www.openstreetmap.org/search?" + url.Values{"query": {a.view.Address}}.Encode()
	}
	if len(p.Logo) > 0 {
		a.logo, a.logoType = p.Logo, p.LogoType
		ext := map[string]string{"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/svg+xml": "svg"}[p.LogoType]
		a.logoPath = "/static/logo-" + shortHash(p.Logo) + "." + ext
		a.view.Logo = basePath + a.logoPath
	}
	if p.Color != "" {
		a.theme = fmt.Appendf(nil, ":root{--brand:%s}\n", strings.ToLower(p.Color))
		a.themePath = "/static/theme-" + shortHash(a.theme) + ".css"
		a.view.Theme = basePath + a.themePath
	}
	if len(p.FrameAncestors) > 0 {
		a.frameCSP = "frame-ancestors " + strings.Join(p.FrameAncestors, " ")
		a.frameAllow = true
	}
	return a, nil
}

func shortHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:5])
}

// register serves the logo and the theme.
func (a *practiceAssets) register(mux *http.ServeMux) {
	serve := func(path, typ string, body []byte) {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", typ)
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			if typ == "image/svg+xml" {
				// An SVG opened on its own runs no script.
				w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
			}
			_, _ = w.Write(body)
		})
	}
	if a.logoPath != "" {
		serve(a.logoPath, a.logoType, a.logo)
	}
	if a.themePath != "" {
		serve(a.themePath, "text/css; charset=utf-8", a.theme)
	}
}
