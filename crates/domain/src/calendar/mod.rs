//! Calendars: when a desk is open (time zone, weekly hours, holidays, one-off closures and
//! openings) and business-time maths on top of it, exact across DST changes.
//!
//! Every deadline trustdesk keeps is computed here: "2 business hours", "within 3 business
//! days", time left and time elapsed in business time. Pure: no clock, no IO; the caller passes
//! "now".

mod business;
pub mod holidays;
mod hours;
pub mod ics;
pub mod phrase;
mod schedule;
mod spec;
pub mod words;

use std::collections::BTreeSet;

use jiff::civil::Date;
use jiff::tz::TimeZone;

pub use holidays::{Holiday, HolidayKind, HolidaySource, Region};
pub use hours::{ClockTime, Interval, WeeklyHours};
pub use spec::{
    CalendarError, CalendarSpec, CustomHoliday, DaySpec, EntrySpec, Exception, HolidayDate,
    HoursSpec, NamedEntry, When,
};

use schedule::Span;

/// A desk's opening calendar. Build it from its serde form ([`CalendarSpec`], also what
/// `Deserialize` reads) or with [`Calendar::always_open`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "CalendarSpec", into = "CalendarSpec")]
pub struct Calendar {
    zone: TimeZone,
    zone_name: String,
    week: WeeklyHours,
    regions: Vec<Region>,
    collective_leave: bool,
    custom_holidays: Vec<CustomHoliday>,
    closed: Vec<Exception>,
    open: Vec<Exception>,
    /// Dates listed bare under `open`: ordinary working days even when a holiday.
    working_days: BTreeSet<Date>,
    /// Extra openings and closures as sorted, disjoint civil spans.
    open_spans: Vec<Span>,
    closed_spans: Vec<Span>,
}

impl Calendar {
    /// Open around the clock, every day, in `zone` (an IANA name).
    pub fn always_open(zone: &str) -> Result<Calendar, CalendarError> {
        Calendar::from_spec(&CalendarSpec {
            time_zone: zone.to_owned(),
            hours: HoursSpec::Text("24/7".into()),
            holidays: Vec::new(),
            collective_leave: false,
            closed: Vec::new(),
            open: Vec::new(),
        })
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The IANA name of the calendar's time zone.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    pub fn weekly_hours(&self) -> &WeeklyHours {
        &self.week
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn custom_holidays(&self) -> &[CustomHoliday] {
        &self.custom_holidays
    }

    /// One-off closures, as configured.
    pub fn closures(&self) -> &[Exception] {
        &self.closed
    }

    /// One-off openings, as configured.
    pub fn openings(&self) -> &[Exception] {
        &self.open
    }

    /// Whether Indonesia's collective leave days close the desk.
    pub fn closes_on_collective_leave(&self) -> bool {
        self.collective_leave
    }

    /// Adds one-off closures (e.g. imported from an .ics file), validated like the serde form.
    pub fn with_closures(
        &self,
        closures: impl IntoIterator<Item = Exception>,
    ) -> Result<Calendar, CalendarError> {
        let mut spec = self.to_spec();
        spec.closed.extend(
            closures
                .into_iter()
                .map(|c| EntrySpec::new(c.when.to_string(), c.name)),
        );
        Calendar::from_spec(&spec)
    }

    /// The holidays the desk closes for in `year` (regional ones of the configured kinds, then
    /// custom ones), sorted by date, with names. A date may appear twice.
    pub fn holidays_in(&self, year: i16) -> Vec<ClosedDay> {
        let mut days: Vec<ClosedDay> = self
            .regions
            .iter()
            .flat_map(|r| r.holidays(year))
            .filter(|h| self.collective_leave || h.kind == HolidayKind::Holiday)
            .map(|h| ClosedDay {
                date: h.date,
                name: h.name.to_owned(),
                name_en: Some(h.name_en.to_owned()),
                source: Some(h.source),
            })
            .chain(self.custom_holidays.iter().filter_map(|h| {
                Some(ClosedDay {
                    date: h.when.in_year(year)?,
                    name: h.name.clone().unwrap_or_else(|| "Holiday".to_owned()),
                    name_en: None,
                    source: None,
                })
            }))
            .collect();
        days.sort_by_key(|d| d.date);
        days
    }

    /// The dates of [`Calendar::holidays_in`], sorted, without repeats.
    pub(crate) fn holiday_dates(&self, year: i16) -> Vec<Date> {
        let mut dates: Vec<Date> = self.holidays_in(year).into_iter().map(|d| d.date).collect();
        dates.dedup();
        dates
    }
}

/// A holiday the desk is closed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedDay {
    pub date: Date,
    pub name: String,
    /// The English name, for built-in holidays.
    pub name_en: Option<String>,
    /// Where the date comes from, for built-in holidays.
    pub source: Option<HolidaySource>,
}

#[cfg(test)]
mod tests;
