//! The engine under business-time maths: which instants a calendar is open, as an ordered stream.
//!
//! A calendar says when it is open in wall-clock terms ("Mon 09:00-17:00", "closed 24 Dec from
//! 13:00"). The desk is open at an instant exactly when the wall clock in the calendar's zone
//! reads a time the schedule says is open on that date. So a day's opening is worked out in
//! civil time, where every day is 24 hours long, and then mapped to real instants one stretch of
//! constant UTC offset at a time: hours skipped by a spring-forward never happen, hours repeated
//! by a fall-back are open twice if the schedule says so. That keeps every result exact across
//! DST changes without special cases.
//!
//! Civil and real instants are both carried as `i128` nanoseconds since 1970-01-01T00:00 (civil:
//! as if the wall clock were UTC), so the mapping is a subtraction of the offset.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};

use super::Calendar;

pub(crate) const NS_PER_SEC: i128 = 1_000_000_000;
pub(crate) const NS_PER_DAY: i128 = 86_400 * NS_PER_SEC;
/// Larger than any UTC offset jiff allows (±25:59:59): a civil instant's real instants lie
/// within this distance of it.
const PAD: i128 = 26 * 3_600 * NS_PER_SEC;
/// How many days in a row without any opening end a search: a calendar shut for ten years is
/// treated as never opening again, which bounds every search.
pub(crate) const HORIZON_DAYS: u32 = 3_660;

/// A half-open range `[start, end)` of nanoseconds (civil or real, by context).
pub(crate) type Span = (i128, i128);

pub(crate) fn ts_nanos(t: Timestamp) -> i128 {
    t.as_nanosecond()
}

pub(crate) fn ts_from_nanos(ns: i128) -> Option<Timestamp> {
    Timestamp::from_nanosecond(ns).ok()
}

fn ts_clamped(ns: i128) -> Timestamp {
    ts_from_nanos(ns).unwrap_or(if ns < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
pub(crate) fn days_from_date(d: Date) -> i64 {
    let (y, m, day) = (
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01 (Hinnant's `civil_from_days`); `None` outside jiff's range.
pub(crate) fn date_from_days(days: i64) -> Option<Date> {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

/// Civil nanoseconds of a date's midnight.
pub(crate) fn civil_day_start(d: Date) -> i128 {
    i128::from(days_from_date(d)) * NS_PER_DAY
}

pub(crate) fn civil_nanos(dt: DateTime) -> i128 {
    civil_day_start(dt.date()) + time_nanos(dt.time())
}

pub(crate) fn time_nanos(t: Time) -> i128 {
    (i128::from(t.hour()) * 3_600 + i128::from(t.minute()) * 60 + i128::from(t.second()))
        * NS_PER_SEC
        + i128::from(t.subsec_nanosecond())
}

/// The date holding a civil instant.
pub(crate) fn civil_date(ns: i128) -> Option<Date> {
    date_from_days(i64::try_from(ns.div_euclid(NS_PER_DAY)).ok()?)
}

/// Sorts and unions overlapping or touching spans in place.
pub(crate) fn normalize(spans: &mut Vec<Span>) {
    spans.retain(|s| s.0 < s.1);
    spans.sort_unstable();
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for &(s, e) in spans.iter() {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    *spans = merged;
}

/// Removes from sorted disjoint `spans` every part covered by sorted disjoint `holes`.
pub(crate) fn subtract(spans: &mut Vec<Span>, holes: &[Span]) {
    if holes.is_empty() {
        return;
    }
    let mut out = Vec::with_capacity(spans.len());
    for &(mut s, e) in spans.iter() {
        for &(hs, he) in holes {
            if he <= s || hs >= e {
                continue;
            }
            if hs > s {
                out.push((s, hs));
            }
            s = s.max(he);
            if s >= e {
                break;
            }
        }
        if s < e {
            out.push((s, e));
        }
    }
    *spans = out;
}

/// The spans of sorted disjoint `spans` that meet `[lo, hi)`, found by binary search.
pub(crate) fn overlapping(spans: &[Span], lo: i128, hi: i128) -> &[Span] {
    let first = spans.partition_point(|s| s.1 <= lo);
    let last = spans.partition_point(|s| s.0 < hi);
    &spans[first..last.max(first)]
}

impl Calendar {
    /// Stretches of constant UTC offset covering real instants `[lo, hi)`: `(start, end, offset)`.
    pub(crate) fn offset_segments(&self, lo: i128, hi: i128) -> Vec<(i128, i128, i128)> {
        let zone = self.zone();
        let lo_ts = ts_clamped(lo);
        let mut offset = i128::from(zone.to_offset(lo_ts).seconds()) * NS_PER_SEC;
        let mut start = lo;
        let mut out = Vec::with_capacity(2);
        for transition in zone.following(lo_ts) {
            let at = ts_nanos(transition.timestamp());
            if at >= hi {
                break;
            }
            if at > start {
                out.push((start, at, offset));
                start = at;
            }
            offset = i128::from(transition.offset().seconds()) * NS_PER_SEC;
        }
        out.push((start, hi, offset));
        out
    }

    /// The real instants at which the wall clock reads a time inside the civil `spans` (sorted,
    /// disjoint), appended to `out` in no particular order.
    pub(crate) fn to_real(&self, spans: &[Span], out: &mut Vec<Span>) {
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
            return;
        };
        let (lo, hi) = (first.0 - PAD, last.1 + PAD);
        let (min, max) = (ts_nanos(Timestamp::MIN), ts_nanos(Timestamp::MAX));
        for (seg_start, seg_end, offset) in self.offset_segments(lo, hi) {
            for &(cs, ce) in spans {
                let s = seg_start.max(cs - offset).max(min);
                let e = seg_end.min(ce - offset).min(max);
                if s < e {
                    out.push((s, e));
                }
            }
        }
    }

    /// The earliest real instant at which the wall clock reads `civil` or later: `civil`'s
    /// instant, the first of two in a fall-back, the end of the jump in a spring-forward.
    pub(crate) fn first_instant_from(&self, civil: i128) -> Option<Timestamp> {
        self.offset_segments(civil - PAD, civil + PAD)
            .into_iter()
            .find_map(|(s, e, offset)| {
                let at = s.max(civil - offset);
                (at < e).then_some(at)
            })
            .and_then(ts_from_nanos)
    }

    /// The civil nanoseconds the wall clock reads at `at`.
    pub(crate) fn civil_at(&self, at: Timestamp) -> i128 {
        civil_nanos(self.zone().to_datetime(at))
    }

    /// The day's openings in civil nanoseconds, sorted and disjoint.
    pub(crate) fn day_spans(&self, date: Date, holidays: &mut HolidayDays, out: &mut Vec<Span>) {
        out.clear();
        let day_start = civil_day_start(date);
        let day_end = day_start + NS_PER_DAY;
        if !holidays.contains(self, date) || self.working_days.contains(&date) {
            out.extend(
                self.week
                    .on(date.weekday())
                    .iter()
                    .map(|i| (day_start + i.start().nanos(), day_start + i.end().nanos())),
            );
        }
        out.extend(
            overlapping(&self.open_spans, day_start, day_end)
                .iter()
                .map(|&(s, e)| (s.max(day_start), e.min(day_end))),
        );
        normalize(out);
        subtract(out, overlapping(&self.closed_spans, day_start, day_end));
    }

    /// Open stretches of real time, in order, each ending after `after`. Stretches may touch
    /// (an opening running past midnight comes as two); they never overlap.
    pub(crate) fn open_spans_after(&self, after: Timestamp) -> OpenSpans<'_> {
        let after = ts_nanos(after);
        let first_date = civil_date(after - PAD).or(Some(Date::MIN));
        OpenSpans {
            calendar: self,
            next_date: first_date,
            after,
            buffer: Vec::new(),
            day: Vec::new(),
            holidays: HolidayDays::default(),
            empty_days: 0,
        }
    }

    /// The first date on or after `date` that may have an opening, skipping long closures and,
    /// when the week has no hours, the time until the next extra opening.
    fn next_candidate(&self, date: Date) -> Option<Date> {
        let mut date = date;
        loop {
            let start = civil_day_start(date);
            let end = start + NS_PER_DAY;
            if let Some(&(_, closed_until)) = overlapping(&self.closed_spans, start, end)
                .first()
                .filter(|c| c.0 <= start && c.1 >= end)
            {
                date = civil_date(closed_until)?;
                continue;
            }
            if self.week.is_never_open() && self.working_days.is_empty() {
                let next = self.open_spans.partition_point(|s| s.1 <= start);
                let &(open_from, _) = self.open_spans.get(next)?;
                let open_date = civil_date(open_from)?;
                if open_date > date {
                    date = open_date;
                    continue;
                }
            }
            return Some(date);
        }
    }
}

/// An iterator over a calendar's open stretches of real time, see
/// [`Calendar::open_spans_after`].
pub(crate) struct OpenSpans<'c> {
    calendar: &'c Calendar,
    next_date: Option<Date>,
    after: i128,
    /// Real spans worked out but not yet handed out, sorted by start, descending (pop = next).
    buffer: Vec<Span>,
    day: Vec<Span>,
    holidays: HolidayDays,
    empty_days: u32,
}

impl Iterator for OpenSpans<'_> {
    type Item = Span;

    fn next(&mut self) -> Option<Span> {
        loop {
            // No span of a date not yet worked out can start before this.
            let frontier = self
                .next_date
                .map_or(i128::MAX, |d| civil_day_start(d) - PAD);
            if let Some(&(start, end)) = self.buffer.last()
                && start < frontier
            {
                self.buffer.pop();
                if end > self.after {
                    return Some((start, end));
                }
                continue;
            }
            let date = self.next_date?;
            let calendar = self.calendar;
            let date = match calendar.next_candidate(date) {
                Some(d) => d,
                None => {
                    self.next_date = None;
                    continue;
                }
            };
            calendar.day_spans(date, &mut self.holidays, &mut self.day);
            if self.day.is_empty() {
                self.empty_days += 1;
                if self.empty_days > HORIZON_DAYS {
                    self.next_date = None;
                    continue;
                }
            } else {
                self.empty_days = 0;
                calendar.to_real(&self.day, &mut self.buffer);
                self.buffer.sort_unstable_by(|a, b| b.cmp(a));
            }
            self.next_date = date.tomorrow().ok();
        }
    }
}

/// The dates a calendar is closed for holidays, one year at a time.
#[derive(Debug, Default)]
pub(crate) struct HolidayDays {
    year: Option<i16>,
    dates: Vec<Date>,
}

impl HolidayDays {
    pub(crate) fn contains(&mut self, calendar: &Calendar, date: Date) -> bool {
        if self.year != Some(date.year()) {
            self.year = Some(date.year());
            self.dates = calendar.holiday_dates(date.year());
        }
        self.dates.binary_search(&date).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn day_numbers_round_trip() {
        for d in [
            date(1970, 1, 1),
            date(2000, 2, 29),
            date(2024, 12, 31),
            date(-9999, 1, 1),
            date(9999, 12, 31),
        ] {
            let n = days_from_date(d);
            assert_eq!(date_from_days(n), Some(d));
            assert_eq!(n, i64::from(d.since(date(1970, 1, 1)).unwrap().get_days()));
        }
        assert_eq!(date_from_days(days_from_date(date(9999, 12, 31)) + 1), None);
    }

    #[test]
    fn subtract_and_normalize() {
        let mut v = vec![(5, 8), (0, 3), (3, 4), (10, 20)];
        normalize(&mut v);
        assert_eq!(v, vec![(0, 4), (5, 8), (10, 20)]);
        subtract(&mut v, &[(1, 2), (6, 12), (15, 16)]);
        assert_eq!(v, vec![(0, 1), (2, 4), (5, 6), (12, 15), (16, 20)]);
        assert_eq!(overlapping(&v, 4, 13), &[(5, 6), (12, 15)]);
        assert_eq!(overlapping(&v, 8, 9), &[] as &[Span]);
    }
}
