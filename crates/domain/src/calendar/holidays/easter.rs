//! Easter Sunday by the Computus: Western (Gregorian) and Orthodox (Julian, given as Gregorian).

use jiff::civil::Date;

/// Western Easter Sunday: the anonymous Gregorian algorithm (Meeus, "Astronomical Algorithms",
/// ch. 8), exact for every Gregorian year.
pub fn western(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let (d, e) = (b.div_euclid(4), b.rem_euclid(4));
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c.div_euclid(4), c.rem_euclid(4));
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    date(year, n.div_euclid(31), n.rem_euclid(31) + 1)
}

/// Orthodox Easter Sunday: the Julian Computus (Meeus, ch. 8), moved to the Gregorian calendar
/// by the centuries' difference (13 days in 1900-2099). Valid from 1583 on.
pub fn orthodox(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let d = (19 * y.rem_euclid(19) + 15).rem_euclid(30);
    let e = (2 * y.rem_euclid(4) + 4 * y.rem_euclid(7) - d + 34).rem_euclid(7);
    let n = d + e + 114;
    // Easter is always after 1 March, when the gap of a century year has already grown.
    let gap = y.div_euclid(100) - y.div_euclid(400) - 2;
    let julian_march_day = if n.div_euclid(31) == 4 { 31 } else { 0 } + n.rem_euclid(31);
    super::add_days(date(year, 3, 1)?, julian_march_day + gap)
}

fn date(year: i16, month: i32, day: i32) -> Option<Date> {
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn western_easter_matches_published_dates() {
        // Dates from the Polish and Indonesian official calendars (and Meeus's worked examples).
        for (y, m, d) in [
            (1818, 3, 22),
            (1943, 4, 25),
            (2000, 4, 23),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2029, 4, 1),
            (2030, 4, 21),
            (2038, 4, 25),
        ] {
            assert_eq!(western(y), Some(date(y, m, d)), "{y}");
        }
    }

    #[test]
    fn orthodox_easter_matches_published_dates() {
        // Dates the Romanian Orthodox Church publishes for its calendar.
        for (y, m, d) in [
            (2008, 4, 27),
            (2010, 4, 4),
            (2021, 5, 2),
            (2023, 4, 16),
            (2024, 5, 5),
            (2025, 4, 20),
            (2026, 4, 12),
            (2027, 5, 2),
            (2028, 4, 16),
            (2029, 4, 8),
            (2030, 4, 28),
        ] {
            assert_eq!(orthodox(y), Some(date(y, m, d)), "{y}");
        }
    }
}
