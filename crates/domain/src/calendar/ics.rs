//! iCalendar (RFC 5545) export of a calendar's holidays and closures, and import of closures.
//!
//! Only the small part of the format a help desk needs: VEVENTs with a start, an end and a
//! summary. Export writes all-day events as `DTSTART;VALUE=DATE` and timed closures in UTC (so
//! no VTIMEZONE is needed), escapes text and folds lines at 75 octets with CRLF. Import reads
//! what real calendars produce: folded lines (CRLF or bare LF), `TZID` parameters, quoted
//! parameters, `VALUE=DATE`, missing `DTEND`, `DURATION`, nested `VALARM`s; an event it cannot
//! use is skipped with a reason rather than failing the whole file.
//!
//! (The `icalendar` crate was considered: its writer stamps the current time and it would bring
//! chrono, nom, iso8601 and uuid into the domain crate for this subset; its parser rejects a
//! whole file for one malformed line.)

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::hours::{ClockTime, Interval};
use super::schedule::{civil_day_start, civil_nanos};
use super::{Calendar, Exception, HolidaySource, When};

/// Writes the desk's holidays and one-off closures between `first` and `last` (inclusive) as
/// an iCalendar file. `stamp` is the DTSTAMP the format requires (pass "now"); UIDs are stable,
/// so a re-export updates events in subscribers instead of duplicating them.
pub fn export(calendar: &Calendar, first: Date, last: Date, stamp: Timestamp) -> String {
    let mut out = Lines::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//trustdesk//calendar//EN");
    out.line("CALSCALE:GREGORIAN");
    out.line(&format!(
        "X-WR-CALNAME:{}",
        escape(&format!("Closures ({})", calendar.zone_name()))
    ));
    out.line(&format!("X-WR-TIMEZONE:{}", calendar.zone_name()));
    let stamp = stamp.strftime("%Y%m%dT%H%M%SZ").to_string();

    for year in first.year()..=last.year() {
        for day in calendar.holidays_in(year) {
            if day.date < first || day.date > last {
                continue;
            }
            let estimate = day.source == Some(HolidaySource::Estimate);
            let summary = match (&day.name_en, estimate) {
                (Some(en), true) if *en != day.name => {
                    format!("{} ({en}) – date estimated", day.name)
                }
                (_, true) => format!("{} – date estimated", day.name),
                (Some(en), false) if *en != day.name => format!("{} ({en})", day.name),
                _ => day.name.clone(),
            };
            let uid = format!("holiday-{}-{}@trustdesk", day.date, slug(&day.name));
            let Some(end) = day.date.tomorrow().ok() else {
                continue;
            };
            out.event(&uid, &stamp, all_day(day.date, end), &summary);
        }
    }
    let (lo, hi) = (
        civil_day_start(first),
        civil_day_start(last) + super::schedule::NS_PER_DAY,
    );
    for (i, closure) in calendar.closures().iter().enumerate() {
        let (s, e) = closure.when.civil_span();
        if e <= lo || s >= hi {
            continue;
        }
        let summary = closure.name.clone().unwrap_or_else(|| "Closed".to_owned());
        let uid = format!("closure-{}-{i}@trustdesk", slug(&closure.when.to_string()));
        let times = match closure.when {
            When::Dates(a, b) => match b.tomorrow() {
                Ok(end) => all_day(a, end),
                Err(_) => continue,
            },
            _ => {
                let (Some(a), Some(b)) = (
                    calendar.first_instant_from(s),
                    calendar.first_instant_from(e),
                ) else {
                    continue;
                };
                [
                    format!("DTSTART:{}", a.strftime("%Y%m%dT%H%M%SZ")),
                    format!("DTEND:{}", b.strftime("%Y%m%dT%H%M%SZ")),
                ]
            }
        };
        out.event(&uid, &stamp, times, &summary);
    }
    out.line("END:VCALENDAR");
    out.text
}

fn all_day(first: Date, end_exclusive: Date) -> [String; 2] {
    [
        format!("DTSTART;VALUE=DATE:{}", first.strftime("%Y%m%d")),
        format!("DTEND;VALUE=DATE:{}", end_exclusive.strftime("%Y%m%d")),
    ]
}

#[derive(Default)]
struct Lines {
    text: String,
}

impl Lines {
    /// Appends one content line, folded so no line exceeds 75 octets (RFC 5545 §3.1), never
    /// splitting a UTF-8 character.
    fn line(&mut self, line: &str) {
        let mut width = 0;
        for c in line.chars() {
            if width + c.len_utf8() > 75 {
                self.text.push_str("\r\n ");
                width = 1;
            }
            self.text.push(c);
            width += c.len_utf8();
        }
        self.text.push_str("\r\n");
    }

    fn event(&mut self, uid: &str, stamp: &str, times: [String; 2], summary: &str) {
        self.line("BEGIN:VEVENT");
        self.line(&format!("UID:{uid}"));
        self.line(&format!("DTSTAMP:{stamp}"));
        for t in times {
            self.line(&t);
        }
        self.line(&format!("SUMMARY:{}", escape(summary)));
        self.line("TRANSP:TRANSPARENT");
        self.line("END:VEVENT");
    }
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn slug(s: &str) -> String {
    let words: Vec<String> = s
        .split(|c: char| !c.is_alphanumeric())
        .map(crate::text::fold)
        .filter(|w| !w.is_empty())
        .collect();
    words.join("-").chars().take(40).collect()
}

/// What an import found: closures to add, and events it skipped, with why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Imported {
    pub closures: Vec<Exception>,
    pub skipped: Vec<String>,
}

/// Reads the VEVENTs of an iCalendar file as closures in `calendar`'s zone: all-day events as
/// closed dates, timed events as wall-clock ranges. Cancelled events are ignored; events that
/// repeat (RRULE) are skipped with a reason, since one occurrence would misstate them. Add the
/// result with [`Calendar::with_closures`].
pub fn import(calendar: &Calendar, ics: &str) -> Imported {
    let mut imported = Imported::default();
    let mut stack: Vec<String> = Vec::new();
    let mut event: Vec<Property> = Vec::new();
    for (number, line) in unfold(ics) {
        let Some(property) = Property::parse(&line) else {
            if stack.last().is_some_and(|c| c == "VEVENT") {
                imported
                    .skipped
                    .push(format!("line {number}: not a content line, ignored"));
            }
            continue;
        };
        match property.name.as_str() {
            "BEGIN" => {
                let component = property.value.trim().to_ascii_uppercase();
                if component == "VEVENT" {
                    event.clear();
                }
                stack.push(component);
            }
            "END" => {
                let component = property.value.trim().to_ascii_uppercase();
                if component == "VEVENT" && stack.last().is_some_and(|c| c == "VEVENT") {
                    match to_closure(calendar, &event) {
                        Ok(Some(closure)) => imported.closures.push(closure),
                        Ok(None) => {}
                        Err(why) => imported.skipped.push(format!(
                            "event ending on line {number}{}: {why}",
                            summary_of(&event).map_or(String::new(), |s| format!(" ({s})"))
                        )),
                    }
                }
                if let Some(pos) = stack.iter().rposition(|c| *c == component) {
                    stack.truncate(pos);
                }
            }
            _ if stack.last().is_some_and(|c| c == "VEVENT") => event.push(property),
            _ => {}
        }
    }
    imported
}

/// Unfolds content lines (CRLF or LF, continuation lines start with a space or tab), keeping
/// the number of the line each starts on.
fn unfold(ics: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in ics.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some(last) = lines.last_mut()
        {
            last.1.push_str(rest);
            continue;
        }
        if !raw.trim().is_empty() {
            lines.push((i + 1, raw.to_owned()));
        }
    }
    lines
}

#[derive(Debug)]
struct Property {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Property {
    /// `NAME;PARAM=value;PARAM="quoted:value":VALUE`
    fn parse(line: &str) -> Option<Property> {
        let mut in_quotes = false;
        let colon = line.char_indices().find_map(|(i, c)| match c {
            '"' => {
                in_quotes = !in_quotes;
                None
            }
            ':' if !in_quotes => Some(i),
            _ => None,
        })?;
        let (head, value) = (&line[..colon], &line[colon + 1..]);
        let mut parts = split_outside_quotes(head, ';').into_iter();
        let name = parts.next()?.trim().to_ascii_uppercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return None;
        }
        let params = parts
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((
                    k.trim().to_ascii_uppercase(),
                    v.trim().trim_matches('"').to_owned(),
                ))
            })
            .collect();
        Some(Property {
            name,
            params,
            value: value.to_owned(),
        })
    }

    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut in_quotes) = (0, false);
    for (i, c) in s.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == sep && !in_quotes {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

fn summary_of(event: &[Property]) -> Option<String> {
    event
        .iter()
        .find(|p| p.name == "SUMMARY")
        .map(|p| unescape(&p.value))
        .filter(|s| !s.trim().is_empty())
}

/// A date or a wall-clock time in the calendar's zone.
enum Moment {
    Day(Date),
    Civil(DateTime),
}

fn to_closure(calendar: &Calendar, event: &[Property]) -> Result<Option<Exception>, String> {
    let get = |name: &str| event.iter().find(|p| p.name == name);
    if get("STATUS").is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED")) {
        return Ok(None);
    }
    if get("RRULE").is_some() || get("RDATE").is_some() {
        return Err("repeating events are not imported; add the dates one by one".into());
    }
    let start = get("DTSTART").ok_or("no DTSTART")?;
    let start = moment(calendar, start)?;
    let end = match get("DTEND") {
        Some(p) => Some(moment(calendar, p)?),
        None => None,
    };
    let duration = match get("DURATION") {
        Some(p) => Some(
            p.value
                .trim()
                .parse::<Span>()
                .map_err(|_| format!("DURATION `{}` is not an ISO 8601 duration", p.value))?,
        ),
        None => None,
    };
    let when = match (start, end) {
        (Moment::Day(first), end) => {
            let end = match (end, duration) {
                (Some(Moment::Day(end)), _) => end,
                (Some(Moment::Civil(_)), _) => {
                    return Err("DTSTART is a date but DTEND is not".into());
                }
                (None, Some(span)) => first.checked_add(span).map_err(|e| e.to_string())?,
                (None, None) => first.tomorrow().map_err(|e| e.to_string())?,
            };
            let last = end.yesterday().map_err(|e| e.to_string())?;
            if last < first {
                return Err("it ends before it starts".into());
            }
            When::Dates(first, last)
        }
        (Moment::Civil(a), end) => {
            let b = match (end, duration) {
                (Some(Moment::Civil(b)), _) => b,
                (Some(Moment::Day(_)), _) => {
                    return Err("DTSTART is a time but DTEND is a date".into());
                }
                (None, Some(span)) => {
                    let zoned = calendar
                        .first_instant_from(civil_nanos(a))
                        .ok_or("out of range")?;
                    let end = zoned
                        .to_zoned(calendar.zone().clone())
                        .checked_add(span)
                        .map_err(|e| e.to_string())?;
                    end.datetime()
                }
                (None, None) => {
                    return Err("a timed event without DTEND or DURATION lasts no time".into());
                }
            };
            if b <= a {
                return Err("it ends before it starts".into());
            }
            same_day_hours(a, b).unwrap_or(When::Range(a, b))
        }
    };
    Ok(Some(Exception {
        when,
        name: summary_of(event),
    }))
}

/// A range within one date at whole minutes reads better as that date's hours.
fn same_day_hours(a: DateTime, b: DateTime) -> Option<When> {
    let whole = |t: DateTime| t.second() == 0 && t.subsec_nanosecond() == 0;
    if !whole(a) || !whole(b) {
        return None;
    }
    let minutes =
        |t: DateTime| u16::try_from(i32::from(t.hour()) * 60 + i32::from(t.minute())).ok();
    let end = if b.date() == a.date() {
        minutes(b)?
    } else if b.date() == a.date().tomorrow().ok()? && minutes(b)? == 0 {
        24 * 60
    } else {
        return None;
    };
    let start = ClockTime::new(a.hour().unsigned_abs(), a.minute().unsigned_abs())?;
    let end = ClockTime::new(u8::try_from(end / 60).ok()?, u8::try_from(end % 60).ok()?)?;
    Some(When::Hours(a.date(), Interval::new(start, end)?))
}

fn moment(calendar: &Calendar, p: &Property) -> Result<Moment, String> {
    let value = p.value.trim();
    let is_date = p
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || (value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()));
    let bad = || format!("{} `{value}` is not a date or date-time", p.name);
    if is_date {
        let d = jiff::fmt::strtime::parse("%Y%m%d", value)
            .and_then(|t| t.to_date())
            .map_err(|_| bad())?;
        return Ok(Moment::Day(d));
    }
    let (text, utc) = match value.strip_suffix(['Z', 'z']) {
        Some(t) => (t, true),
        None => (value, false),
    };
    let civil = jiff::fmt::strtime::parse("%Y%m%dT%H%M%S", text)
        .and_then(|t| t.to_datetime())
        .map_err(|_| bad())?;
    let source_zone = if utc {
        Some(TimeZone::UTC)
    } else {
        // Some producers write TZID=/Europe/Warsaw; unknown (e.g. Windows) names are taken as
        // the calendar's own zone, the best guess for a shop importing its own closures.
        p.param("TZID")
            .and_then(|z| TimeZone::get(z.trim_start_matches('/')).ok())
    };
    Ok(Moment::Civil(match source_zone {
        None => civil,
        Some(zone) => {
            let instant = civil.to_zoned(zone).map_err(|e| e.to_string())?.timestamp();
            calendar.zone().to_datetime(instant)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use serde_json::json;

    fn calendar() -> Calendar {
        serde_json::from_value(json!({
            "time_zone": "Europe/Warsaw",
            "hours": {"mon-fri": "09:00-17:00"},
            "holidays": ["PL"],
            "closed": [{"when": "2025-12-31 13:00-24:00", "name": "Sylwester; early close, sorry"}]
        }))
        .unwrap()
    }

    #[test]
    fn exports_all_day_holidays_folded_escaped_with_crlf() {
        let stamp: Timestamp = "2025-11-01T12:00:00Z".parse().unwrap();
        let ics = export(&calendar(), date(2025, 12, 1), date(2026, 1, 6), stamp);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(
            "DTSTART;VALUE=DATE:20251224\r\nDTEND;VALUE=DATE:20251225\r\nSUMMARY:Wigilia Bożego Narodzenia (Christmas Eve)\r\n"
        ));
        assert!(unfolded.contains("UID:holiday-2026-01-06-swieto-trzech-kroli@trustdesk"));
        assert!(unfolded.contains("DTSTAMP:20251101T120000Z"));
        // The closure, in UTC, with its name escaped.
        assert!(unfolded.contains(
            "DTSTART:20251231T120000Z\r\nDTEND:20251231T230000Z\r\nSUMMARY:Sylwester\\; early close\\, sorry\r\n"
        ));
        assert!(
            !unfolded.contains("20251111"),
            "11 November is outside the range"
        );
        // Round trip: the exported file imports back to the same closed dates.
        let back = import(&calendar(), &ics);
        assert!(back.skipped.is_empty(), "{:?}", back.skipped);
        assert!(
            back.closures
                .iter()
                .any(|c| c.when == When::Dates(date(2025, 12, 24), date(2025, 12, 24)))
        );
        assert!(
            back.closures
                .iter()
                .any(|c| c.when.to_string() == "2025-12-31 13:00-24:00"
                    && c.name.as_deref() == Some("Sylwester; early close, sorry"))
        );
    }

    #[test]
    fn folds_between_characters_never_inside_one() {
        let mut lines = Lines::default();
        lines.line(&format!("SUMMARY:{}", "ż".repeat(80)));
        for line in lines.text.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75);
        }
        assert_eq!(
            lines.text.replace("\r\n ", "").trim_end(),
            format!("SUMMARY:{}", "ż".repeat(80))
        );
    }

    #[test]
    fn imports_real_world_files() {
        let ics = "BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\n\
VERSION:2.0\nBEGIN:VTIMEZONE\nTZID:Europe/Warsaw\nBEGIN:STANDARD\nDTSTART:19701025T030000\n\
END:STANDARD\nEND:VTIMEZONE\n\
BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260501\nDTEND;VALUE=DATE:20260504\nSUMMARY:Majówka\\, \n closed\nUID:a@x\nEND:VEVENT\n\
BEGIN:VEVENT\r\nDTSTART;TZID=\"Europe/London\":20260612T080000\r\nDTEND;TZID=Europe/London:20260612T120000\r\n\
summary:Stocktake\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDTSTART:19990101T000000\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\nDTSTART:20260815\nSUMMARY:No DTEND\nEND:VEVENT\n\
BEGIN:VEVENT\nDTSTART:20260701T220000Z\nDURATION:PT4H\nEND:VEVENT\n\
BEGIN:VEVENT\nDTSTART;TZID=W. Europe Standard Time:20260702T100000\nDTEND;TZID=W. Europe Standard Time:20260702T113000\nEND:VEVENT\n\
BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY\nSUMMARY:Yearly\nEND:VEVENT\n\
BEGIN:VEVENT\nSTATUS:CANCELLED\nDTSTART;VALUE=DATE:20260102\nEND:VEVENT\n\
BEGIN:VEVENT\nDTSTART:2026-07-03\nEND:VEVENT\n\
garbage outside\nEND:VCALENDAR\n";
        let imported = import(&calendar(), ics);
        let got: Vec<(String, Option<&str>)> = imported
            .closures
            .iter()
            .map(|c| (c.when.to_string(), c.name.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-05-01..2026-05-03".to_owned(), Some("Majówka, closed")),
                ("2026-06-12 09:00-13:00".to_owned(), Some("Stocktake")),
                ("2026-08-15".to_owned(), Some("No DTEND")),
                ("2026-07-02 00:00-04:00".to_owned(), None),
                ("2026-07-02 10:00-11:30".to_owned(), None),
            ]
        );
        assert_eq!(imported.skipped.len(), 2, "{:?}", imported.skipped);
        assert!(imported.skipped[0].contains("(Yearly): repeating events"));
        assert!(imported.skipped[1].contains("`2026-07-03` is not a date"));
        let merged = calendar().with_closures(imported.closures).unwrap();
        assert!(!merged.is_open("2026-06-12T10:00:00+02:00".parse::<Timestamp>().unwrap()));
    }
}
