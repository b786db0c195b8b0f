//! Built-in public holidays: Indonesia (ID), Poland (PL) and Romania (RO).
//!
//! Where the law gives a rule (fixed dates, Western and Orthodox Easter and the feasts tied to
//! them) the dates are computed for any year, honouring the year each day became a holiday.
//! Where it does not (Indonesia's Islamic, Chinese, Hindu and Buddhist holidays and the
//! government's collective leave days) they come from a shipped, sourced table, `id.tsv`, and
//! carry their [`HolidaySource`] so the product can say when a date is only an estimate.

mod easter;
mod id;
mod pl;
mod ro;

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

pub use easter::{orthodox as orthodox_easter, western as western_easter};

/// A country whose public holidays trustdesk knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Region {
    /// Indonesia.
    Id,
    /// Poland.
    Pl,
    /// Romania.
    Ro,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::Id, Region::Pl, Region::Ro];

    /// ISO 3166-1 alpha-2 code, as written in calendars: "ID", "PL", "RO".
    pub const fn code(self) -> &'static str {
        match self {
            Region::Id => "ID",
            Region::Pl => "PL",
            Region::Ro => "RO",
        }
    }

    /// Every holiday and collective leave day of `year`, sorted by date. Two feasts on one day
    /// are both listed.
    pub fn holidays(self, year: i16) -> Vec<Holiday> {
        let mut days = match self {
            Region::Id => id::holidays(year),
            Region::Pl => pl::holidays(year),
            Region::Ro => ro::holidays(year),
        };
        days.sort_by_key(|h| h.date);
        days
    }

    /// The years for which every holiday of the region is known, decreed or estimated. Outside
    /// them only the rule-based days exist (Indonesia's lunar holidays need the table).
    pub fn complete_years(self) -> std::ops::RangeInclusive<i16> {
        match self {
            Region::Id => id::table_years(),
            Region::Pl | Region::Ro => i16::MIN..=i16::MAX,
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Region {
    type Err = String;

    fn from_str(s: &str) -> Result<Region, String> {
        Region::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("`{s}` is not a known holiday region; expected ID, PL or RO"))
    }
}

/// Whether a day is a public holiday or only a collective leave day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolidayKind {
    /// A public holiday: a day off by law.
    Holiday,
    /// Indonesia's cuti bersama: a day off for civil servants that private employers may grant
    /// against annual leave. Calendars close on these only when they ask to.
    CollectiveLeave,
}

/// Where a holiday's date comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolidaySource {
    /// Computed from the rule the law gives.
    Law,
    /// Published in a government decree.
    Decree,
    /// Computed the way the authority is expected to decide, before its decree exists; may move
    /// by a day when the decree comes out.
    Estimate,
}

impl HolidaySource {
    pub const fn as_str(self) -> &'static str {
        match self {
            HolidaySource::Law => "law",
            HolidaySource::Decree => "decree",
            HolidaySource::Estimate => "estimate",
        }
    }
}

/// One public holiday or collective leave day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    /// The name in the region's language.
    pub name: &'static str,
    /// The name in English.
    pub name_en: &'static str,
    pub kind: HolidayKind,
    pub source: HolidaySource,
}

impl Holiday {
    pub(crate) fn by_law(date: Date, name: &'static str, name_en: &'static str) -> Holiday {
        Holiday {
            date,
            name,
            name_en,
            kind: HolidayKind::Holiday,
            source: HolidaySource::Law,
        }
    }
}

/// Collects law-based holidays: fixed dates and days relative to an Easter Sunday.
pub(crate) struct Rules {
    year: i16,
    out: Vec<Holiday>,
}

impl Rules {
    pub(crate) fn new(year: i16) -> Rules {
        Rules {
            year,
            out: Vec::new(),
        }
    }

    /// A fixed date, a holiday from `since` on.
    pub(crate) fn fixed(
        &mut self,
        since: i16,
        month: i8,
        day: i8,
        name: &'static str,
        name_en: &'static str,
    ) -> &mut Rules {
        if self.year >= since
            && let Ok(date) = Date::new(self.year, month, day)
        {
            self.out.push(Holiday::by_law(date, name, name_en));
        }
        self
    }

    /// `offset` days after `easter` (negative: before), a holiday from `since` on.
    pub(crate) fn after_easter(
        &mut self,
        since: i16,
        easter: Option<Date>,
        offset: i32,
        name: &'static str,
        name_en: &'static str,
    ) -> &mut Rules {
        if self.year >= since
            && let Some(date) = easter.and_then(|e| add_days(e, offset))
        {
            self.out.push(Holiday::by_law(date, name, name_en));
        }
        self
    }

    pub(crate) fn finish(&mut self) -> Vec<Holiday> {
        std::mem::take(&mut self.out)
    }
}

pub(crate) fn add_days(date: Date, days: i32) -> Option<Date> {
    date.checked_add(jiff::Span::new().try_days(days).ok()?)
        .ok()
}
