//! The serde form of a calendar (what JSON and TOML configs hold) and its validation.
//!
//! ```json
//! {"time_zone": "Europe/Warsaw",
//!  "hours": {"mon-fri": ["09:00-12:00", "13:00-17:00"], "sat": "10:00-14:00"},
//!  "holidays": ["PL", "05-02", {"when": "2026-06-05", "name": "Inventory"}],
//!  "closed": ["2025-12-31 13:00-24:00", "2026-08-10..2026-08-14"],
//!  "open": ["2025-12-21 10:00-16:00", "2026-11-11"]}
//! ```
//!
//! `hours` is `"24/7"` or a map from weekdays (`mon` … `sun`) or ranges of them (`mon-fri`) to one
//! interval, a list of them, or `"closed"`. `holidays` lists regions (`ID`, `PL`, `RO`), one-off
//! dates and yearly `MM-DD` days; `collective_leave: true` also closes on Indonesia's cuti
//! bersama. `closed` and `open` take a date, a date range `A..B` (inclusive), a date with one
//! interval, or a wall-clock range `2025-12-24T13:00/2025-12-27T08:00`. A bare date under `open`
//! makes a holiday an ordinary working day; intervals under `open` add opening hours, and may
//! not overlap a `closed` entry. Every entry may be written `{"when": …, "name": …}`.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, DateTime, Weekday};
use serde::{Deserialize, Serialize};

use super::hours::{DAY_KEYS, Interval, WeeklyHours};
use super::schedule::{NS_PER_DAY, Span, civil_day_start, civil_nanos, normalize};
use super::{Calendar, Region};

/// Why a calendar could not be built: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct CalendarError {
    /// Where, e.g. `hours.mon[1]` or `closed[3]`.
    pub field: String,
    pub problem: String,
}

impl CalendarError {
    pub(crate) fn new(field: impl Into<String>, problem: impl Into<String>) -> CalendarError {
        CalendarError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// A calendar as written in configuration; [`Calendar`] is its validated form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// An IANA time zone name, e.g. "Europe/Warsaw", "Asia/Jakarta".
    pub time_zone: String,
    pub hours: HoursSpec,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<EntrySpec>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub collective_leave: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closed: Vec<EntrySpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open: Vec<EntrySpec>,
}

/// Weekly hours: `"24/7"` or weekday keys to intervals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "\"24/7\" or a map of weekdays to intervals, e.g. {\"mon-fri\": [\"09:00-17:00\"]}"
)]
pub enum HoursSpec {
    Text(String),
    Week(BTreeMap<String, DaySpec>),
}

/// One day's hours: an interval, a list of them, or `"closed"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "an interval like \"09:00-17:00\", a list of them, or \"closed\""
)]
pub enum DaySpec {
    One(String),
    Many(Vec<String>),
}

/// A holiday, closure or opening entry: the bare text or text with a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a string like \"2025-12-24\" or an object {\"when\": \"2025-12-24\", \"name\": \"…\"}"
)]
pub enum EntrySpec {
    Text(String),
    Named(NamedEntry),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedEntry {
    pub when: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl EntrySpec {
    fn parts(&self) -> (&str, Option<&str>) {
        match self {
            EntrySpec::Text(when) => (when, None),
            EntrySpec::Named(n) => (&n.when, n.name.as_deref()),
        }
    }

    pub(crate) fn new(when: String, name: Option<String>) -> EntrySpec {
        match name {
            None => EntrySpec::Text(when),
            Some(name) => EntrySpec::Named(NamedEntry {
                when,
                name: Some(name),
            }),
        }
    }
}

/// A holiday a shop adds to its calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomHoliday {
    pub when: HolidayDate,
    pub name: Option<String>,
}

/// A custom holiday's date: once, or every year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayDate {
    On(Date),
    /// Month and day; in years without that day (29 February) there is none.
    Yearly(i8, i8),
}

impl HolidayDate {
    pub fn in_year(self, year: i16) -> Option<Date> {
        match self {
            HolidayDate::On(d) => (d.year() == year).then_some(d),
            HolidayDate::Yearly(m, d) => Date::new(year, m, d).ok(),
        }
    }
}

impl fmt::Display for HolidayDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HolidayDate::On(d) => write!(f, "{d}"),
            HolidayDate::Yearly(m, d) => write!(f, "{m:02}-{d:02}"),
        }
    }
}

/// A one-off closure or opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub when: When,
    pub name: Option<String>,
}

/// The span of a one-off closure or opening, in the calendar's wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Whole dates, first to last inclusive (one date: `first == last`).
    Dates(Date, Date),
    /// One interval on one date.
    Hours(Date, Interval),
    /// From one wall-clock time to another (end exclusive).
    Range(DateTime, DateTime),
}

impl When {
    /// Parses `2025-12-24`, `2025-12-24..2025-12-26`, `2025-12-24 13:00-17:00` or
    /// `2025-12-24T13:00/2025-12-27T08:00`.
    pub fn parse(s: &str) -> Result<When, String> {
        let s = s.trim();
        let date = |t: &str| {
            t.trim()
                .parse::<Date>()
                .map_err(|_| format!("`{}` is not a date (YYYY-MM-DD)", t.trim()))
        };
        if let Some((a, b)) = s.split_once("..") {
            let (a, b) = (date(a)?, date(b)?);
            if b < a {
                return Err(format!("`{s}` ends before it starts"));
            }
            return Ok(When::Dates(a, b));
        }
        if let Some((a, b)) = s.split_once('/') {
            let datetime = |t: &str| {
                t.trim().parse::<DateTime>().map_err(|_| {
                    format!("`{}` is not a date and time (YYYY-MM-DDTHH:MM)", t.trim())
                })
            };
            let (a, b) = (datetime(a)?, datetime(b)?);
            if b <= a {
                return Err(format!("`{s}` ends before it starts"));
            }
            return Ok(When::Range(a, b));
        }
        if let Some((d, hours)) = s.split_once(' ') {
            return Ok(When::Hours(date(d)?, Interval::parse(hours.trim())?));
        }
        if s.len() > 10 {
            return Err(format!(
                "`{s}` is not a date, a date range (A..B), a date with hours \
                 (\"2025-12-24 13:00-17:00\") or a range (\"2025-12-24T13:00/2025-12-27T08:00\")"
            ));
        }
        Ok(When::Dates(date(s)?, date(s)?))
    }

    /// The wall-clock span it covers, in civil nanoseconds.
    pub(crate) fn civil_span(self) -> Span {
        match self {
            When::Dates(a, b) => (civil_day_start(a), civil_day_start(b) + NS_PER_DAY),
            When::Hours(d, i) => {
                let start = civil_day_start(d);
                (start + i.start().nanos(), start + i.end().nanos())
            }
            When::Range(a, b) => (civil_nanos(a), civil_nanos(b)),
        }
    }
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Dates(a, b) if a == b => write!(f, "{a}"),
            When::Dates(a, b) => write!(f, "{a}..{b}"),
            When::Hours(d, i) => write!(f, "{d} {i}"),
            When::Range(a, b) => write!(f, "{}/{}", short(*a), short(*b)),
        }
    }
}

fn short(dt: DateTime) -> String {
    if dt.second() == 0 && dt.subsec_nanosecond() == 0 {
        dt.strftime("%Y-%m-%dT%H:%M").to_string()
    } else {
        dt.to_string()
    }
}

impl TryFrom<CalendarSpec> for Calendar {
    type Error = CalendarError;

    fn try_from(spec: CalendarSpec) -> Result<Calendar, CalendarError> {
        Calendar::from_spec(&spec)
    }
}

impl From<Calendar> for CalendarSpec {
    fn from(calendar: Calendar) -> CalendarSpec {
        calendar.to_spec()
    }
}

impl Calendar {
    /// Validates a calendar's serde form.
    pub fn from_spec(spec: &CalendarSpec) -> Result<Calendar, CalendarError> {
        let zone = jiff::tz::TimeZone::get(spec.time_zone.trim()).map_err(|_| {
            CalendarError::new(
                "time_zone",
                format!(
                    "`{}` is not an IANA time zone name (e.g. \"Europe/Warsaw\", \"Asia/Jakarta\")",
                    spec.time_zone
                ),
            )
        })?;
        let zone_name = zone
            .iana_name()
            .map_or_else(|| spec.time_zone.trim().to_owned(), str::to_owned);
        let week = parse_hours(&spec.hours)?;

        let mut regions = Vec::new();
        let mut custom_holidays = Vec::new();
        for (i, entry) in spec.holidays.iter().enumerate() {
            let field = format!("holidays[{i}]");
            let (when, name) = entry.parts();
            let when = when.trim();
            if when.len() == 2 && when.chars().all(|c| c.is_ascii_alphabetic()) {
                let region: Region = when.parse().map_err(|e| CalendarError::new(&field, e))?;
                if !regions.contains(&region) {
                    regions.push(region);
                }
            } else {
                let when = parse_holiday_date(when).map_err(|e| CalendarError::new(&field, e))?;
                custom_holidays.push(CustomHoliday {
                    when,
                    name: name.map(str::to_owned),
                });
            }
        }

        let closed = parse_exceptions("closed", &spec.closed)?;
        let open = parse_exceptions("open", &spec.open)?;
        let mut working_days = std::collections::BTreeSet::new();
        let mut open_spans = Vec::new();
        for (i, exception) in open.iter().enumerate() {
            match exception.when {
                When::Dates(first, last) => {
                    let mut day = first;
                    let mut any_hours = false;
                    while day <= last {
                        any_hours |= !week.on(day.weekday()).is_empty();
                        working_days.insert(day);
                        day = match day.tomorrow() {
                            Ok(next) => next,
                            Err(_) => break,
                        };
                    }
                    if !any_hours {
                        return Err(CalendarError::new(
                            format!("open[{i}]"),
                            format!(
                                "{} has no weekly hours to open with; give the hours, e.g. \"{first} 10:00-16:00\"",
                                exception.when
                            ),
                        ));
                    }
                }
                when => open_spans.push(when.civil_span()),
            }
        }
        for (i, exception) in open.iter().enumerate() {
            if matches!(exception.when, When::Dates(..)) {
                continue;
            }
            let (s, e) = exception.when.civil_span();
            if let Some(clash) = closed.iter().find(|c| {
                let (cs, ce) = c.when.civil_span();
                cs < e && s < ce
            }) {
                return Err(CalendarError::new(
                    format!("open[{i}]"),
                    format!(
                        "{} overlaps the closure {}; split the closure instead",
                        exception.when, clash.when
                    ),
                ));
            }
        }
        normalize(&mut open_spans);
        let mut closed_spans: Vec<Span> = closed.iter().map(|c| c.when.civil_span()).collect();
        normalize(&mut closed_spans);

        Ok(Calendar {
            zone,
            zone_name,
            week,
            regions,
            collective_leave: spec.collective_leave,
            custom_holidays,
            closed,
            open,
            working_days,
            open_spans,
            closed_spans,
        })
    }

    /// The serde form, in canonical spelling: `from_spec(to_spec(c)) == c`.
    pub fn to_spec(&self) -> CalendarSpec {
        let hours = if self.week.is_always_open() {
            HoursSpec::Text("24/7".into())
        } else {
            HoursSpec::Week(
                DAY_KEYS
                    .iter()
                    .filter(|(_, day)| !self.week.on(*day).is_empty())
                    .map(|(key, day)| {
                        let list = self.week.on(*day).iter().map(ToString::to_string).collect();
                        ((*key).to_owned(), DaySpec::Many(list))
                    })
                    .collect(),
            )
        };
        let holidays = self
            .regions
            .iter()
            .map(|r| EntrySpec::Text(r.code().to_owned()))
            .chain(
                self.custom_holidays
                    .iter()
                    .map(|h| EntrySpec::new(h.when.to_string(), h.name.clone())),
            )
            .collect();
        let entries = |list: &[Exception]| {
            list.iter()
                .map(|e| EntrySpec::new(e.when.to_string(), e.name.clone()))
                .collect()
        };
        CalendarSpec {
            time_zone: self.zone_name.clone(),
            hours,
            holidays,
            collective_leave: self.collective_leave,
            closed: entries(&self.closed),
            open: entries(&self.open),
        }
    }
}

fn parse_hours(spec: &HoursSpec) -> Result<WeeklyHours, CalendarError> {
    let map = match spec {
        HoursSpec::Text(t) if t.trim() == "24/7" => return Ok(WeeklyHours::always()),
        HoursSpec::Text(t) => {
            return Err(CalendarError::new(
                "hours",
                format!(
                    "`{t}` is not \"24/7\"; give a map such as {{\"mon-fri\": \"09:00-17:00\"}}"
                ),
            ));
        }
        HoursSpec::Week(map) => map,
    };
    let mut week = WeeklyHours::default();
    let mut given_by: [Option<&str>; 7] = [None; 7];
    for (key, value) in map {
        let days = parse_day_key(key).map_err(|e| CalendarError::new("hours", e))?;
        let texts: Vec<&str> = match value {
            DaySpec::One(s) => vec![s.as_str()],
            DaySpec::Many(list) => list.iter().map(String::as_str).collect(),
        };
        let mut intervals = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let field = match value {
                DaySpec::One(_) => format!("hours.{key}"),
                DaySpec::Many(_) => format!("hours.{key}[{i}]"),
            };
            let text = text.trim();
            if text.eq_ignore_ascii_case("closed") || text.is_empty() {
                continue;
            }
            intervals.push(Interval::parse(text).map_err(|e| CalendarError::new(field, e))?);
        }
        for day in days {
            let slot = &mut given_by[usize::from(day.to_monday_zero_offset().unsigned_abs())];
            if let Some(other) = slot {
                return Err(CalendarError::new(
                    "hours",
                    format!(
                        "{} is given twice, in `{other}` and in `{key}`",
                        day_key(day)
                    ),
                ));
            }
            *slot = Some(key);
            week.set(day, intervals.clone())
                .map_err(|e| CalendarError::new(format!("hours.{key}"), e))?;
        }
    }
    Ok(week)
}

fn day_key(day: Weekday) -> &'static str {
    DAY_KEYS
        .iter()
        .find(|(_, d)| *d == day)
        .map_or("?", |(k, _)| k)
}

/// `mon` or a range `mon-fri` (wrapping ranges like `fri-mon` allowed).
fn parse_day_key(key: &str) -> Result<Vec<Weekday>, String> {
    let one = |k: &str| {
        let k = k.trim().to_ascii_lowercase();
        DAY_KEYS
            .iter()
            .find(|(name, _)| k == *name)
            .map(|(_, d)| *d)
            .ok_or_else(|| {
                format!("`{key}` is not a weekday or a range of them (mon, tue, … sun, mon-fri)")
            })
    };
    match key.split_once('-') {
        None => Ok(vec![one(key)?]),
        Some((a, b)) => {
            let (mut day, last) = (one(a)?, one(b)?);
            let mut days = vec![day];
            while day != last {
                day = day.next();
                days.push(day);
            }
            Ok(days)
        }
    }
}

fn parse_holiday_date(s: &str) -> Result<HolidayDate, String> {
    if let Ok(d) = s.parse::<Date>() {
        return Ok(HolidayDate::On(d));
    }
    let bad = || {
        format!("`{s}` is not a region (ID, PL, RO), a date (YYYY-MM-DD) or a yearly day (MM-DD)")
    };
    let (m, d) = s.split_once('-').ok_or_else(bad)?;
    if m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (m, d): (i8, i8) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    // 2024 is a leap year, so 02-29 is accepted as a yearly day.
    Date::new(2024, m, d).map_err(|_| bad())?;
    Ok(HolidayDate::Yearly(m, d))
}

fn parse_exceptions(field: &str, entries: &[EntrySpec]) -> Result<Vec<Exception>, CalendarError> {
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let (when, name) = entry.parts();
            Ok(Exception {
                when: When::parse(when)
                    .map_err(|e| CalendarError::new(format!("{field}[{i}]"), e))?,
                name: name.map(str::to_owned),
            })
        })
        .collect()
}
