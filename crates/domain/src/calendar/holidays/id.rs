//! Indonesia's national holidays and collective leave days (cuti bersama).
//!
//! The days off are set by Keputusan Presiden No. 251/1967 tentang Hari-Hari Libur, as
//! amended (Labour Day by Perpres No. 24/2013 from 2014, Hari Lahir Pancasila by Keppres
//! No. 24/2016 from 2017, Easter Sunday by Keppres No. 8/2024 from 2024), and dated each year
//! by the SKB 3 Menteri. The fixed and Easter-bound days are computed here; everything lunar or
//! lunisolar, and the collective leave, comes from `id.tsv` (sources in its header).

use std::sync::OnceLock;

use jiff::civil::Date;

use super::{Holiday, HolidayKind, HolidaySource, Rules, western_easter};

pub(super) fn holidays(year: i16) -> Vec<Holiday> {
    let easter = western_easter(year);
    let mut days = Rules::new(year)
        .fixed(1967, 1, 1, "Tahun Baru Masehi", "New Year's Day")
        .after_easter(1967, easter, -2, "Wafat Yesus Kristus", "Good Friday")
        .after_easter(
            2024,
            easter,
            0,
            "Kebangkitan Yesus Kristus (Paskah)",
            "Easter Sunday",
        )
        .fixed(
            2014,
            5,
            1,
            "Hari Buruh Internasional",
            "International Labour Day",
        )
        .after_easter(1967, easter, 39, "Kenaikan Yesus Kristus", "Ascension Day")
        .fixed(2017, 6, 1, "Hari Lahir Pancasila", "Pancasila Day")
        .fixed(1967, 8, 17, "Proklamasi Kemerdekaan", "Independence Day")
        .fixed(1967, 12, 25, "Kelahiran Yesus Kristus", "Christmas Day")
        .finish();
    days.extend(table().iter().filter(|h| h.date.year() == year).cloned());
    days
}

/// The years `id.tsv` covers completely.
pub(super) fn table_years() -> std::ops::RangeInclusive<i16> {
    let years = table().iter().map(|h| h.date.year());
    let first = years.clone().min().unwrap_or(0);
    first..=years.max().unwrap_or(-1)
}

const TABLE: &str = include_str!("id.tsv");

fn table() -> &'static [Holiday] {
    static PARSED: OnceLock<Vec<Holiday>> = OnceLock::new();
    PARSED.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| parse_row(l).unwrap_or_else(|e| panic!("id.tsv (checked by tests): {e}")))
            .collect()
    })
}

fn parse_row(line: &'static str) -> Result<Holiday, String> {
    let mut cols = line.split('\t');
    let mut next = |what: &str| cols.next().ok_or_else(|| format!("no {what} in `{line}`"));
    let date: Date = next("date")?
        .parse()
        .map_err(|e| format!("bad date in `{line}`: {e}"))?;
    let kind = match next("kind")? {
        "holiday" => HolidayKind::Holiday,
        "collective_leave" => HolidayKind::CollectiveLeave,
        other => return Err(format!("bad kind `{other}`")),
    };
    let source = match next("source")? {
        "decree" => HolidaySource::Decree,
        "estimate" => HolidaySource::Estimate,
        other => return Err(format!("bad source `{other}`")),
    };
    Ok(Holiday {
        date,
        name: next("Indonesian name")?,
        name_en: next("English name")?,
        kind,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_row_parses_and_rows_are_in_date_order() {
        let rows: Vec<_> = TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .collect();
        let mut last = None;
        for row in &rows {
            let h = parse_row(row).unwrap();
            assert!(Some(h.date) > last, "out of order or duplicate: {row}");
            last = Some(h.date);
        }
        assert_eq!(table().len(), rows.len());
        assert_eq!(table_years(), 2025..=2030);
    }
}
