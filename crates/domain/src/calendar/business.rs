//! Business-time maths: open or not, next opening, adding business time and business days, and
//! business time between two instants.

use std::time::Duration;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use super::Calendar;
use super::schedule::{
    HORIZON_DAYS, HolidayDays, NS_PER_DAY, NS_PER_SEC, Span, civil_date, civil_day_start,
    ts_from_nanos, ts_nanos,
};

impl Calendar {
    /// Whether the desk is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let t = ts_nanos(at);
        self.open_spans_after(at)
            .next()
            .is_some_and(|(start, _)| start <= t)
    }

    /// The first moment at or after `at` when the desk is open: `at` itself if open now. `None`
    /// if it never opens again (no opening within ten years).
    pub fn next_open(&self, at: Timestamp) -> Option<Timestamp> {
        let t = ts_nanos(at);
        let (start, _) = self.open_spans_after(at).next()?;
        ts_from_nanos(start.max(t))
    }

    /// When the opening under way at `at` (or, if closed, the next one) ends. `None` if it
    /// never opens again or never closes (24/7 without a closure for ten years).
    pub fn next_close(&self, at: Timestamp) -> Option<Timestamp> {
        let mut spans = self.open_spans_after(at);
        let (_, mut end) = spans.next()?;
        let mut joined = 0u32;
        for (start, next_end) in spans {
            if start != end {
                break;
            }
            end = next_end;
            joined += 1;
            if joined > HORIZON_DAYS {
                return None;
            }
        }
        ts_from_nanos(end)
    }

    /// Open stretches meeting `[from, to)`, clipped to it, merged where they touch.
    pub fn openings_between(&self, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let (lo, hi) = (ts_nanos(from), ts_nanos(to));
        let mut out: Vec<Span> = Vec::new();
        for (s, e) in self.open_spans_after(from) {
            if s >= hi {
                break;
            }
            let (s, e) = (s.max(lo), e.min(hi));
            match out.last_mut() {
                Some(last) if last.1 == s => last.1 = e,
                _ => out.push((s, e)),
            }
        }
        out.into_iter()
            .filter_map(|(s, e)| Some((ts_from_nanos(s)?, ts_from_nanos(e)?)))
            .collect()
    }

    /// `at` plus `duration` of business time: the instant by which the desk has been open for
    /// `duration` since `at`. Time while closed does not count; a result that lands exactly on
    /// a closing is that closing, not the next opening. `add_business(at, 0)` is `at`.
    /// `None` past the calendar's horizon or jiff's range.
    pub fn add_business(&self, at: Timestamp, duration: Duration) -> Option<Timestamp> {
        let mut left = i128::try_from(duration.as_nanos()).ok()?;
        if left == 0 {
            return Some(at);
        }
        let t = ts_nanos(at);
        for (start, end) in self.open_spans_after(at) {
            let start = start.max(t);
            if end - start >= left {
                return ts_from_nanos(start + left);
            }
            left -= end - start;
        }
        None
    }

    /// Business time from `from` to `to`: how long the desk is open in between; negative when
    /// `to` is before `from`. Time left until a deadline is `business_between(now, due)`.
    pub fn business_between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to < from {
            return -self.business_between(to, from);
        }
        let (lo, hi) = (ts_nanos(from), ts_nanos(to));
        let mut total: i128 = 0;
        for (start, end) in self.open_spans_after(from) {
            if start >= hi {
                break;
            }
            total += end.min(hi) - start.max(lo);
        }
        // Within jiff's range, business time fits a SignedDuration (i64 seconds).
        let secs = i64::try_from(total / NS_PER_SEC).unwrap_or(i64::MAX);
        let nanos = i32::try_from(total % NS_PER_SEC).unwrap_or(0);
        SignedDuration::new(secs, nanos)
    }

    /// `n` business days after `at`, as shops mean "within 2 business days".
    ///
    /// A business day is a date with any opening. The promise is measured in whole days, and a
    /// customer counts them on the wall clock: made on Monday at 10:00, two business days run
    /// to Wednesday at 10:00. Precisely:
    ///
    /// 1. If the desk is closed at `at`, the count starts from the end of the last opening
    ///    before it (no business time passes while closed): after hours on Monday, at the
    ///    weekend, or before Tuesday's opening all start from Monday's closing.
    /// 2. The due date is the `n`-th business day after that start's date, at the same
    ///    wall-clock time; if the desk is not open then, the end of the last opening before
    ///    that time on the due date (closing time, or the start of a lunch break), or if that
    ///    time is before the due date's first opening, that opening.
    ///
    /// So "2 business days" from Monday 18:30 or Sunday is Wednesday's or Tuesday's closing,
    /// exactly two days of business time; from Monday 12:30 (lunch) it is Wednesday 12:00.
    /// A wall-clock time that a DST change skips lands on the first instant after the jump;
    /// one it repeats, on its first occurrence. `n == 0` gives `at`. `None` past the horizon.
    pub fn add_business_days(&self, at: Timestamp, n: u32) -> Option<Timestamp> {
        if n == 0 {
            return Some(at);
        }
        let mut holidays = HolidayDays::default();
        let mut day = Vec::new();
        let civil = self.civil_at(at);
        let mut date = civil_date(civil)?;
        let mut time = civil - civil_day_start(date);

        // 1. Start from `at` if open, else from the end of the last opening before it.
        self.day_spans(date, &mut holidays, &mut day);
        let open_now = day.iter().any(|&(s, e)| s <= civil && civil < e);
        if !open_now {
            match day.iter().rev().find(|&&(_, e)| e <= civil) {
                Some(&(_, end)) => time = end - civil_day_start(date),
                None => {
                    if let Some((prev, end)) = self.last_business_day_before(date, &mut holidays) {
                        date = prev;
                        time = end;
                    }
                }
            }
        }

        // 2. The n-th business day after it, at that wall-clock time or the nearest opening
        //    boundary before it on that day.
        for _ in 0..n {
            date = self.next_business_day(date, &mut holidays)?;
        }
        self.day_spans(date, &mut holidays, &mut day);
        let start = civil_day_start(date);
        let target = start + time;
        let due = if day.iter().any(|&(s, e)| s <= target && target <= e) {
            target
        } else if let Some(&(_, end)) = day.iter().rev().find(|&&(_, e)| e < target) {
            end
        } else {
            day.first()?.0
        };
        self.first_instant_from(due)
    }

    /// The first date after `date` with any opening.
    fn next_business_day(&self, date: Date, holidays: &mut HolidayDays) -> Option<Date> {
        let mut day = Vec::new();
        let mut date = date;
        for _ in 0..=HORIZON_DAYS {
            date = date.tomorrow().ok()?;
            self.day_spans(date, holidays, &mut day);
            if !day.is_empty() {
                return Some(date);
            }
        }
        None
    }

    /// The last date before `date` with any opening, and the time of day its last opening ends.
    fn last_business_day_before(
        &self,
        date: Date,
        holidays: &mut HolidayDays,
    ) -> Option<(Date, i128)> {
        let mut day = Vec::new();
        let mut date = date;
        for _ in 0..=HORIZON_DAYS {
            date = date.yesterday().ok()?;
            self.day_spans(date, holidays, &mut day);
            if let Some(&(_, end)) = day.last() {
                let time = end - civil_day_start(date);
                debug_assert!(time <= NS_PER_DAY);
                return Some((date, time));
            }
        }
        None
    }
}
