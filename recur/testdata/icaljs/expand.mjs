// Expands the events of an iCalendar file with ical.js and prints their busy
// intervals as JSON, for rdv's differential test (caldav/differential_test.go).
//
//   node expand.mjs FILE.ics FROM TO TZ [SELF...]
//
// FROM and TO are RFC 3339 instants; TZ is the IANA zone in which floating
// times and dates are read (the practitioner's); SELF are the practitioner's
// addresses, whose PARTSTAT=DECLINED makes an event free. The output is
// {"intervals":[{"start":unix,"end":unix}, ...]}, sorted, for the instances
// that overlap [FROM, TO) and are busy (not TRANSPARENT, not CANCELLED, not
// declined). ical.js does the recurrence (RRULE, RDATE, EXDATE, overrides,
// RANGE=THISANDFUTURE) and the VTIMEZONEs of the file; this script only
// reads floating times in TZ, which ical.js cannot do, and decides busy.

import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';

const [file, fromArg, toArg, tz, ...selfArgs] = process.argv.slice(2);
const from = Date.parse(fromArg) / 1000;
const to = Date.parse(toArg) / 1000;
const self = selfArgs.map((a) => a.toLowerCase().replace(/^mailto:/, ''));

const root = new ICAL.Component(ICAL.parse(readFileSync(file, 'utf8')));
for (const vtz of root.getAllSubcomponents('vtimezone')) {
  ICAL.TimezoneService.register(vtz);
}
for (const ev of root.getAllSubcomponents('vevent')) {
  for (const name of ['dtstart', 'dtend', 'recurrence-id', 'exdate', 'rdate']) {
    for (const prop of ev.getAllProperties(name)) {
      const tzid = prop.getParameter('tzid');
      if (tzid && !ICAL.TimezoneService.has(tzid)) {
        console.error(`no VTIMEZONE for TZID ${tzid}`);
        process.exit(2);
      }
    }
  }
}

// Offset of zone tz at instant unix, in seconds, from Intl.
const fmt = new Intl.DateTimeFormat('en-US', {
  timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
  hour: 'numeric', minute: 'numeric', second: 'numeric',
});
function offsetAt(unix) {
  const p = Object.fromEntries(fmt.formatToParts(new Date(unix * 1000)).map((x) => [x.type, x.value]));
  const asUTC = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) / 1000;
  return asUTC - unix;
}
// A wall time of tz as an instant, per RFC 5545 section 3.3.5: the first of
// two readings, and the offset before a gap.
function wallToUnix(t) {
  const w = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) / 1000;
  const before = offsetAt(w - 86400);
  const after = offsetAt(w + 86400);
  const cands = [w - before, w - after].filter((u) => u + offsetAt(u) === w).sort((a, b) => a - b);
  return cands.length ? cands[0] : w - before;
}
function toUnix(t) {
  if (t.isDate || t.zone === ICAL.Timezone.localTimezone || !t.zone || t.zone.tzid === 'floating') {
    const c = t.clone();
    if (c.isDate) {
      c.isDate = false;
      c.hour = c.minute = c.second = 0;
    }
    return wallToUnix(c);
  }
  return t.toUnixTime();
}

function isBusy(comp) {
  if ((comp.getFirstPropertyValue('transp') || '').toUpperCase() === 'TRANSPARENT') return false;
  if ((comp.getFirstPropertyValue('status') || '').toUpperCase() === 'CANCELLED') return false;
  for (const a of comp.getAllProperties('attendee')) {
    const addr = String(a.getFirstValue() || '').toLowerCase().replace(/^mailto:/, '');
    if (self.includes(addr) && String(a.getParameter('partstat') || '').toUpperCase() === 'DECLINED') {
      return false;
    }
  }
  return true;
}

const out = [];
function add(start, end, comp) {
  let s = toUnix(start);
  let e = toUnix(end);
  if (e < s) e = s;
  const overlaps = s < to && (e > s ? e > from : s >= from);
  if (overlaps && isBusy(comp)) out.push({ start: s, end: e });
}

// Group by UID: the master and its overrides.
const byUID = new Map();
for (const comp of root.getAllSubcomponents('vevent')) {
  const uid = comp.getFirstPropertyValue('uid');
  if (!byUID.has(uid)) byUID.set(uid, { master: null, overrides: [] });
  const g = byUID.get(uid);
  if (comp.hasProperty('recurrence-id')) g.overrides.push(comp);
  else g.master = comp;
}

const horizon = to + 400 * 86400; // overrides may move instances from later
for (const { master, overrides } of byUID.values()) {
  if (!master) {
    for (const o of overrides) {
      const ev = new ICAL.Event(o);
      add(ev.startDate, ev.endDate, o);
    }
    continue;
  }
  const event = new ICAL.Event(master, { exceptions: overrides.map((o) => new ICAL.Event(o)), strictExceptions: true });
  if (!event.isRecurring()) {
    add(event.startDate, event.endDate, master);
    for (const o of overrides) {
      const ev = new ICAL.Event(o);
      add(ev.startDate, ev.endDate, o);
    }
    continue;
  }
  const used = new Set();
  const it = event.iterator();
  for (let next = it.next(), n = 0; next && n < 200000; next = it.next(), n++) {
    // ical.js yields an RDATE;VALUE=PERIOD as a Period: it gives the
    // instance the event's own length, ignoring the period's end.
    if (next instanceof ICAL.Period) next = next.start;
    if (toUnix(next) > horizon) break;
    const d = event.getOccurrenceDetails(next);
    if (d.item !== event && !d.item.modifiesFuture()) used.add(d.item);
    if (d.item.modifiesFuture() && d.recurrenceId.compare(d.item.recurrenceId) === 0) used.add(d.item);
    add(d.startDate, d.endDate, d.item.component);
  }
  // Overrides whose RECURRENCE-ID is no instance of the master: ical.js
  // does not yield them; a calendar client shows them as they are.
  for (const ex of Object.values(event.exceptions)) {
    if (!used.has(ex)) add(ex.startDate, ex.endDate, ex.component);
  }
}

out.sort((a, b) => a.start - b.start || a.end - b.end);
process.stdout.write(JSON.stringify({ intervals: out }) + '\n');
