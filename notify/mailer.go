package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/emersion/go-ical"
	"github.com/google/uuid"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/internal/locale"
)

// MailerConfig configures a Mailer.
type MailerConfig struct {
	// From is the sender of the messages, an address with an optional
	// display name: "rdv@cabinet.example" or "Cabinet Martin <rdv@cabinet.example>".
	// Its domain is also the right-hand side of Message-IDs.
	From string
	// BaseURL is the public base URL of rdv, e.g. "https://rdv.cabinet.example".
	// A patient manages a booking at BaseURL + "/manage/" + token.
	BaseURL string
	// Lang is the language of the messages to patients whose booking has
	// none (booking.Booking.Lang): "fr" (the default) or "en".
	Lang string
	// TemplatesDir, if set, is a directory of template files that replace
	// the embedded ones of the same relative name: fr/created.tmpl,
	// en/created.html.tmpl, fr/footer.tmpl, en/layout.html.tmpl… (see
	// docs/notify.md). They are parsed, and tried on sample data, by
	// NewMailer: a file that can't be parsed or rendered, or that replaces
	// no template, is an error that names it.
	TemplatesDir string
	// Sender hands the messages over; required.
	Sender Sender
	// Now returns the current time; time.Now if nil.
	Now func() time.Time
	// Alarm, if set, adds to the patient's invitations an alarm this long
	// before the visit (a VALARM that shows the appointment, RFC 5545
	// section 3.6.6), which the patient's calendar rings; at most
	// MaxAlarm. Off by default: the patient may not want one.
	Alarm time.Duration
}

// MaxAlarm is the longest MailerConfig.Alarm.
const MaxAlarm = 7 * 24 * time.Hour

// Mailer sends patients an email, with an iTIP invitation, when their booking
// is created, confirmed, moved, cancelled or released: a plain-text and an
// HTML alternative in the booking's language (or the configured one), which
// name the practitioner and, unless the appointment type discloses it
// (booking.AppointmentType.DiscloseMotive), not the motive. It implements
// booking.Notifier and is safe for concurrent use.
type Mailer struct {
	from      *mail.Address
	domain    string // of from, for Message-IDs
	base      string // BaseURL without its trailing slash
	lang      string
	templates map[string]*templateSet       // by "<lang>/<kind>"
	practice  map[string]*template.Template // practice.tmpl, by language
	digest    map[string]*template.Template // digest.tmpl, by language
	alert     map[string]*template.Template // alert.tmpl, by language
	waitlist  map[string]*template.Template // waitlist.tmpl, by language
	sender    Sender
	now       func() time.Time
	alarm     time.Duration
}

var _ booking.Notifier = (*Mailer)(nil)

// NewMailer checks cfg and returns a Mailer. It returns an EInvalid error when
// an address, the base URL, the language or a template of TemplatesDir is
// unusable.
func NewMailer(cfg MailerConfig) (*Mailer, error) {
	if strings.ContainsFunc(cfg.From, isControl) {
		return nil, booking.Errorf(booking.EInvalid, "notify: from address holds a control character")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, booking.WrapError(booking.EInvalid, err, "notify: from is not an email address")
	}
	if err := checkAddress(from.Address); err != nil {
		return nil, booking.WrapError(booking.EInvalid, err, "notify: from is not an email address")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, booking.Errorf(booking.EInvalid, "notify: base URL must be an absolute http or https URL without query")
	}
	lang := cfg.Lang
	if lang == "" {
		lang = "fr"
	}
	if lang != "fr" && lang != "en" {
		return nil, booking.Errorf(booking.EInvalid, "notify: language %q is not supported (want fr or en)", lang)
	}
	if cfg.Sender == nil {
		return nil, booking.Errorf(booking.EInvalid, "notify: a sender is required")
	}
	if cfg.Alarm < 0 || cfg.Alarm > MaxAlarm || cfg.Alarm%time.Minute != 0 {
		return nil, booking.Errorf(booking.EInvalid, "notify: the alarm must be whole minutes, at most %d days before the visit", int(MaxAlarm/(24*time.Hour)))
	}
	templates, err := loadTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, booking.WrapError(booking.EInvalid, err, "notify: the message templates can't be used")
	}
	practice, err := loadPracticeTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, booking.WrapError(booking.EInvalid, err, "notify: the message templates can't be used")
	}
	digest, err := loadDigestTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, booking.WrapError(booking.EInvalid, err, "notify: the message templates can't be used")
	}
	alert, err := loadAlertTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, booking.WrapError(booking.EInvalid, err, "notify: the message templates can't be used")
	}
	waitlist, err := loadWaitTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, booking.WrapError(booking.EInvalid, err, "notify: the message templates can't be used")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Mailer{
		from:      from,
		domain:    from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		base:      strings.TrimRight(cfg.BaseURL, "/"),
		lang:      lang,
		templates: templates,
		practice:  practice,
		digest:    digest,
		alert:     alert,
		waitlist:  waitlist,
		sender:    cfg.Sender,
		now:       now,
		alarm:     cfg.Alarm,
	}, nil
}

// Notify builds the message for n and hands it to the sender: to the
// patient, or to the practitioner's address when n.Recipient is
// booking.RecipientPractice (see practice.go). Errors name the
// booking by its id only. The sender's errors come back wrapped: from
// SMTPSender and DirSender, an EUnavailable error when the message could not
// be handed over. A notification that can't be rendered (an unknown kind, a
// booking without practitioner, a new booking without its token) is an
// EInternal error; an unusable patient (or practitioner) address is
// EInvalid. A webhook notification is EInternal: Router hands those to
// Webhooks.
func (m *Mailer) Notify(ctx context.Context, n booking.Notification) error {
	switch n.Recipient {
	case booking.RecipientPatient:
	case booking.RecipientPractice:
		return m.notifyPractice(ctx, n)
	default:
		return booking.Errorf(booking.EInternal, "notify: the mailer writes to patients and practices, not to %q", n.Recipient)
	}
	msg, err := m.message(n)
	if err != nil {
		return err
	}
	b, err := msg.encode()
	if err != nil {
		return fmt.Errorf("notify: %s message of booking %s: %w", n.Kind, n.Appointment.Booking.ID, err)
	}
	if err := m.sender.Send(ctx, m.from.Address, []string{msg.To.Address}, b); err != nil {
		return m.sendError(fmt.Errorf("notify: %s message of booking %s: %w", n.Kind, n.Appointment.Booking.ID, err))
	}
	return nil
}

// organized makes the ORGANIZER of the invitation agree with the message's
// From, as iMIP asks (RFC 6047 section 3): the practitioner's address with
// SENT-BY the From address when they differ, or the From address itself
// when the practitioner has none (a REQUEST needs an ORGANIZER, RFC 5546).
func (m *Mailer) organized(cal *ical.Calendar, p *booking.Practitioner) *ical.Calendar {
	for _, ev := range cal.Events() {
		org := ev.Props.Get(ical.PropOrganizer)
		if org == nil {
			o := ical.NewProp(ical.PropOrganizer)
			o.Value = ics.Mailto(m.from.Address)
			if name := strings.TrimSpace(p.Name); name != "" && !strings.ContainsFunc(name, isControl) {
				o.Params.Set(ical.ParamCommonName, name)
			}
			ev.Props.Set(o)
			continue
		}
		if !strings.EqualFold(org.Value, ics.Mailto(m.from.Address)) {
			org.Params.Set(ical.ParamSentBy, ics.Mailto(m.from.Address))
		}
	}
	return cal
}

// sendError returns err, an error of the sender: an EInvalid one when the
// mail server refused the message for good.
func (m *Mailer) sendError(err error) error {
	var reply *smtpReply
	if errors.As(err, &reply) && reply.refusedRecipient() {
		// The server refused the address for good (550 5.1.1, no such
		// mailbox): trying again will not help, so the message is given up
		// at once.
		return booking.WrapError(booking.EInvalid, err, "notify: the mail server refused the address for good")
	}
	return err
}

// messageID returns the Message-ID of the message with outbox id id: the
// same at every attempt, so that a message sent again after a crash is
// recognisably the same one; a random one without an id.
func messageID(id, domain string) string {
	if id == "" {
		id = uuid.NewString()
	}
	return "<" + id + "@" + domain + ">"
}

// message renders the message about n.
func (m *Mailer) message(n booking.Notification) (*message, error) {
	a := n.Appointment
	if a.Booking == nil || a.Practitioner == nil || a.Type == nil {
		return nil, booking.Errorf(booking.EInternal, "notify: notification without booking, practitioner or appointment type")
	}
	b := a.Booking
	lang := b.Lang
	if !slices.Contains(languages, lang) {
		lang = m.lang
	}
	if b.Lang != lang {
		// The invitation is written in the booking's language (see
		// ics.Appointment).
		c := *b
		c.Lang = lang
		b = &c
		a.Booking = b
	}
	loc := a.Practitioner.Location
	if loc == nil {
		return nil, booking.Errorf(booking.EInternal, "notify: booking %s: practitioner %s has no time zone", b.ID, a.Practitioner.ID)
	}
	var method string
	switch n.Kind {
	case booking.NotifyCreated, booking.NotifyConfirmed, booking.NotifyRescheduled, booking.NotifyLink,
		booking.NotifyReminder:
		method = ics.MethodRequest
	case booking.NotifyCancelled, booking.NotifyExpired:
		method = ics.MethodCancel
	default:
		return nil, booking.Errorf(booking.EInternal, "notify: booking %s: unknown notification kind %q", b.ID, n.Kind)
	}
	if err := checkAddress(b.Patient.Email); err != nil {
		return nil, booking.Errorf(booking.EInvalid, "notify: booking %s: the patient's email is not a usable address", b.ID)
	}

	start := b.Start.In(loc)
	d := &messageData{
		Lang:         lang,
		Patient:      oneLine(b.Patient.Name),
		Practitioner: oneLine(a.Practitioner.Name),
		Practice:     oneLine(m.from.Name),
		When:         locale.When(lang, start),
		Day:          locale.Day(lang, start),
		Minutes:      int(b.End.Sub(b.Start) / time.Minute),
		Location:     oneLine(a.Type.Location),
		Pending:      (n.Kind == booking.NotifyCreated || n.Kind == booking.NotifyLink) && b.Status == booking.StatusPending,
	}
	if a.Type.DiscloseMotive {
		d.Type = oneLine(a.Type.Name)
	}
	if d.Pending && !n.ConfirmBy.IsZero() {
		d.ConfirmBy = locale.Deadline(lang, n.ConfirmBy.In(loc))
	}
	if n.Kind == booking.NotifyRescheduled && !n.Previous.Start.IsZero() {
		d.Previous = locale.When(lang, n.Previous.Start.In(loc))
	}
	if (n.Kind == booking.NotifyCreated || n.Kind == booking.NotifyLink) && n.ManageToken == "" {
		return nil, booking.Errorf(booking.EInternal, "notify: booking %s: %s message without manage token", b.ID, n.Kind)
	}
	if n.ManageToken != "" {
		// Also on a confirmation or a move that took over the link of a
		// first message superseded before it was sent.
		d.ManageURL = m.base + "/manage/" + url.PathEscape(n.ManageToken)
	}
	subject, text, html, err := m.templates[lang+"/"+n.Kind].render(d)
	if err != nil {
		return nil, booking.WrapError(booking.EInternal, err, "notify: booking "+b.ID+": message can't be rendered")
	}

	// DTSTAMP is when the change happened, not when it is sent: a message
	// held by an outage must not look newer than a later one (RFC 5546).
	stamp := n.ChangedAt
	if stamp.IsZero() {
		stamp = m.now()
	}
	obj := ics.Appointment(a, method, stamp)
	if m.alarm > 0 && method == ics.MethodRequest {
		ics.AddAlarm(obj, m.alarm)
	}
	cal, err := ics.Encode(m.organized(obj, a.Practitioner))
	if err != nil {
		return nil, booking.WrapError(booking.EInternal, err, "notify: booking "+b.ID+": invitation can't be encoded")
	}
	return &message{
		From:      m.from,
		To:        &mail.Address{Name: d.Patient, Address: b.Patient.Email},
		Subject:   subject,
		Date:      m.now(),
		MessageID: messageID(n.ID, m.domain),
		Lang:      lang,
		Text:      text,
		HTML:      html,
		Calendar:  cal,
		Method:    method,
		// A reminder changes nothing in the patient's calendar: no
		// invitation to act on, only the same object (same SEQUENCE)
		// attached, for a patient who did not add it yet.
		NoInvite: n.Kind == booking.NotifyReminder,
	}, nil
}

// checkAddress reports whether addr is a bare address (local@domain) that can
// go in a header field and an SMTP command as it is: no control character,
// and net/mail parses it back to itself. Its error never holds addr.
func checkAddress(addr string) error {
	if addr == "" || strings.ContainsFunc(addr, isControl) {
		return errors.New("not an address")
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" {
		return errors.New("not an address")
	}
	// A quoted local part could hold characters that break SMTP commands.
	if strings.ContainsAny(addr, "\"\\<> ") {
		return errors.New("not a plain address")
	}
	return nil
}

func isControl(r rune) bool {
	return r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || (r >= 0x80 && r < 0xa0)
}
