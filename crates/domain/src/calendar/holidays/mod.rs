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

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn dates(region: Region, year: i16, kind: HolidayKind) -> Vec<String> {
        let mut v: Vec<String> = region
            .holidays(year)
            .into_iter()
            .filter(|h| h.kind == kind)
            .map(|h| h.date.strftime("%m-%d").to_string())
            .collect();
        v.dedup();
        v
    }

    #[test]
    fn poland_matches_the_statutory_calendar() {
        // Ustawa o dniach wolnych od pracy; 2025 is the first year with Wigilia.
        assert_eq!(
            dates(Region::Pl, 2025, HolidayKind::Holiday),
            [
                "01-01", "01-06", "04-20", "04-21", "05-01", "05-03", "06-08", "06-19", "08-15",
                "11-01", "11-11", "12-24", "12-25", "12-26"
            ]
        );
        let y2026 = dates(Region::Pl, 2026, HolidayKind::Holiday);
        for d in ["04-05", "04-06", "05-24", "06-04", "12-24"] {
            assert!(y2026.contains(&d.to_owned()), "{d}");
        }
        assert!(!dates(Region::Pl, 2024, HolidayKind::Holiday).contains(&"12-24".to_owned()));
        let corpus_christi = |y| {
            Region::Pl
                .holidays(y)
                .into_iter()
                .find(|h| h.name == "Boże Ciało")
                .map(|h| h.date)
        };
        for (y, m, d) in [(2027, 5, 27), (2028, 6, 15), (2029, 5, 31), (2030, 6, 20)] {
            assert_eq!(corpus_christi(y), Some(date(y, m, d)));
        }
    }

    #[test]
    fn romania_matches_the_labour_code() {
        assert_eq!(
            dates(Region::Ro, 2026, HolidayKind::Holiday),
            [
                "01-01", "01-02", "01-06", "01-07", "01-24", "04-10", "04-12", "04-13", "05-01",
                "05-31", "06-01", "08-15", "11-30", "12-01", "12-25", "12-26"
            ]
        );
        let y2025 = dates(Region::Ro, 2025, HolidayKind::Holiday);
        for d in ["04-18", "04-20", "04-21", "06-08", "06-09"] {
            assert!(y2025.contains(&d.to_owned()), "{d}");
        }
        // 6 and 7 January only from 2024 (Legea nr. 52/2023).
        assert!(!dates(Region::Ro, 2023, HolidayKind::Holiday).contains(&"01-06".to_owned()));
        // 1 June 2026 is both Children's Day and Pentecost Monday: both are listed.
        assert_eq!(
            Region::Ro
                .holidays(2026)
                .iter()
                .filter(|h| h.date == date(2026, 6, 1))
                .count(),
            2
        );
    }

    #[test]
    fn indonesia_matches_the_decrees() {
        // SKB 1017/2024, 2/2024, 2/2024 and its amendment 933/2025, 1/2025, 3/2025.
        assert_eq!(
            dates(Region::Id, 2025, HolidayKind::Holiday),
            [
                "01-01", "01-27", "01-29", "03-29", "03-31", "04-01", "04-18", "04-20", "05-01",
                "05-12", "05-29", "06-01", "06-06", "06-27", "08-17", "09-05", "12-25"
            ]
        );
        assert_eq!(
            dates(Region::Id, 2025, HolidayKind::CollectiveLeave),
            [
                "01-28", "03-28", "04-02", "04-03", "04-04", "04-07", "05-13", "05-30", "06-09",
                "08-18", "12-26"
            ]
        );
        // SKB 1497/2025, 2/2025, 5/2025: 17 holidays and 8 collective leave days.
        assert_eq!(
            dates(Region::Id, 2026, HolidayKind::Holiday),
            [
                "01-01", "01-16", "02-17", "03-19", "03-21", "03-22", "04-03", "04-05", "05-01",
                "05-14", "05-27", "05-31", "06-01", "06-16", "08-17", "08-25", "12-25"
            ]
        );
        assert_eq!(
            dates(Region::Id, 2026, HolidayKind::CollectiveLeave),
            [
                "02-16", "03-18", "03-20", "03-23", "03-24", "05-15", "05-28", "12-24"
            ]
        );
        for h in Region::Id.holidays(2026) {
            assert_ne!(h.source, HolidaySource::Estimate, "{h:?}");
        }
    }

    #[test]
    fn indonesian_years_without_a_decree_are_marked_estimates() {
        let y2027 = Region::Id.holidays(2027);
        let idulfitri = y2027.iter().find(|h| h.name_en == "Eid al-Fitr").unwrap();
        assert_eq!(idulfitri.date, date(2027, 3, 10));
        assert_eq!(idulfitri.source, HolidaySource::Estimate);
        // Rule-based days stay law-based even in estimated years.
        let easter = y2027.iter().find(|h| h.name_en == "Easter Sunday").unwrap();
        assert_eq!(
            (easter.date, easter.source),
            (date(2027, 3, 28), HolidaySource::Law)
        );
        // Every year of the table has the lunar holidays; none after it.
        for year in Region::Id.complete_years() {
            let names: Vec<_> = Region::Id
                .holidays(year)
                .iter()
                .map(|h| h.name_en)
                .collect();
            for lunar in ["Eid al-Fitr", "Eid al-Adha", "Chinese New Year", "Vesak"] {
                assert!(names.contains(&lunar), "{lunar} missing in {year}");
            }
        }
        assert_eq!(Region::Id.complete_years(), 2025..=2030);
        assert!(
            Region::Id
                .holidays(2031)
                .iter()
                .all(|h| h.source == HolidaySource::Law)
        );
        assert_eq!("pl".parse::<Region>(), Ok(Region::Pl));
        assert!("XX".parse::<Region>().is_err());
    }
}
