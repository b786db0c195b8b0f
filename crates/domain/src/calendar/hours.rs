//! Weekly opening hours: clock times, opening intervals and the week they make up.

use std::fmt;

use jiff::civil::Weekday;

/// A wall-clock time of day with minute precision, from 00:00 to 24:00 inclusive.
///
/// 24:00 exists so an opening can run to the end of the day ("16:00-24:00") without a gap
/// at midnight; it is only valid as the end of an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(u16);

impl ClockTime {
    pub const MIDNIGHT: ClockTime = ClockTime(0);
    pub const END_OF_DAY: ClockTime = ClockTime(24 * 60);

    /// The time `hour:minute`; `None` outside 00:00..=24:00.
    pub const fn new(hour: u8, minute: u8) -> Option<ClockTime> {
        let minutes = hour as u16 * 60 + minute as u16;
        if minute < 60 && minutes <= 24 * 60 {
            Some(ClockTime(minutes))
        } else {
            None
        }
    }

    /// Minutes since midnight (0..=1440).
    pub const fn minutes(self) -> u16 {
        self.0
    }

    /// Nanoseconds since midnight, the unit the schedule works in.
    pub(crate) const fn nanos(self) -> i128 {
        self.0 as i128 * 60 * 1_000_000_000
    }

    /// Parses `HH:MM` (or `H:MM`).
    pub fn parse(s: &str) -> Option<ClockTime> {
        let (h, m) = s.trim().split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        ClockTime::new(h.parse().ok()?, m.parse().ok()?)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One opening on a day, `start` inclusive to `end` exclusive; `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    start: ClockTime,
    end: ClockTime,
}

impl Interval {
    pub const WHOLE_DAY: Interval = Interval {
        start: ClockTime::MIDNIGHT,
        end: ClockTime::END_OF_DAY,
    };

    /// An interval; `None` unless `start < end` (an opening never wraps past midnight: split it
    /// into "22:00-24:00" and "00:00-02:00" on the next day).
    pub fn new(start: ClockTime, end: ClockTime) -> Option<Interval> {
        (start < end && start < ClockTime::END_OF_DAY).then_some(Interval { start, end })
    }

    pub const fn start(self) -> ClockTime {
        self.start
    }

    pub const fn end(self) -> ClockTime {
        self.end
    }

    /// Parses `HH:MM-HH:MM`, with a clear reason when it is not one.
    pub fn parse(s: &str) -> Result<Interval, String> {
        let (a, b) = s.split_once('-').ok_or_else(|| {
            format!("`{s}` is not an interval; expected \"HH:MM-HH:MM\", e.g. \"09:00-17:00\"")
        })?;
        let start = ClockTime::parse(a)
            .ok_or_else(|| format!("`{}` is not a time of day (HH:MM)", a.trim()))?;
        let end = ClockTime::parse(b)
            .ok_or_else(|| format!("`{}` is not a time of day (HH:MM, up to 24:00)", b.trim()))?;
        Interval::new(start, end).ok_or_else(|| {
            format!(
                "`{s}` ends before it starts; an interval cannot cross midnight, split it at 24:00"
            )
        })
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Opening intervals for each day of the week, sorted and non-overlapping within each day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeeklyHours {
    days: [Vec<Interval>; 7],
}

impl WeeklyHours {
    /// Open every minute of every day.
    pub fn always() -> WeeklyHours {
        WeeklyHours {
            days: std::array::from_fn(|_| vec![Interval::WHOLE_DAY]),
        }
    }

    /// Sets one day's intervals; fails (with the two culprits) if any overlap. Touching
    /// intervals ("09:00-12:00", "12:00-17:00") are fine and act as one.
    pub fn set(&mut self, day: Weekday, mut intervals: Vec<Interval>) -> Result<(), String> {
        intervals.sort();
        intervals.dedup();
        for pair in intervals.windows(2) {
            if pair[1].start < pair[0].end {
                return Err(format!("intervals {} and {} overlap", pair[0], pair[1]));
            }
        }
        self.days[index(day)] = intervals;
        Ok(())
    }

    /// The intervals of one weekday, sorted.
    pub fn on(&self, day: Weekday) -> &[Interval] {
        &self.days[index(day)]
    }

    /// Whether the desk is open every minute of the week.
    pub fn is_always_open(&self) -> bool {
        self.days.iter().all(|d| coverage(d) == 24 * 60)
    }

    /// Whether the desk never opens on a regular week.
    pub fn is_never_open(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

fn coverage(intervals: &[Interval]) -> u32 {
    intervals
        .iter()
        .map(|i| u32::from(i.end.0 - i.start.0))
        .sum()
}

fn index(day: Weekday) -> usize {
    // 0..=6 by construction of Weekday.
    day.to_monday_zero_offset().unsigned_abs() as usize
}

/// The weekday keys used in the serde form, Monday first.
pub(crate) const DAY_KEYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times_and_intervals() {
        assert_eq!(ClockTime::parse("9:05").map(ClockTime::minutes), Some(545));
        assert_eq!(ClockTime::parse("24:00"), Some(ClockTime::END_OF_DAY));
        assert_eq!(ClockTime::parse("24:01"), None);
        assert_eq!(ClockTime::parse("12:60"), None);
        assert_eq!(ClockTime::parse("1200"), None);
        assert_eq!(ClockTime::parse("+1:00"), None);
        let i = Interval::parse("09:00 - 17:30").unwrap();
        assert_eq!(i.to_string(), "09:00-17:30");
        assert!(
            Interval::parse("22:00-02:00")
                .unwrap_err()
                .contains("cross midnight")
        );
        assert!(
            Interval::parse("09:00")
                .unwrap_err()
                .contains("HH:MM-HH:MM")
        );
        assert!(Interval::parse("9-17").unwrap_err().contains("time of day"));
    }

    #[test]
    fn overlapping_intervals_are_rejected_touching_ones_are_not() {
        let mut week = WeeklyHours::default();
        let a = Interval::parse("09:00-12:00").unwrap();
        let b = Interval::parse("11:00-13:00").unwrap();
        let c = Interval::parse("12:00-17:00").unwrap();
        assert!(week.set(Weekday::Monday, vec![b, a]).is_err());
        assert!(week.set(Weekday::Monday, vec![c, a]).is_ok());
        assert_eq!(week.on(Weekday::Monday), &[a, c]);
        assert!(WeeklyHours::always().is_always_open());
        assert!(WeeklyHours::default().is_never_open());
    }
}
