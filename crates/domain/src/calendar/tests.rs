//! Calendar behaviour: parsing, DST nights, holidays, business time, and properties.

use std::time::Duration;

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn cal(spec: serde_json::Value) -> Calendar {
    serde_json::from_value(spec).unwrap()
}

fn spec_error(spec: serde_json::Value) -> String {
    serde_json::from_value::<Calendar>(spec)
        .unwrap_err()
        .to_string()
}

/// A wall-clock time in `zone`; in a fold, the first occurrence.
fn at(zone: &str, s: &str) -> Timestamp {
    s.parse::<jiff::civil::DateTime>()
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
        .unwrap()
        .timestamp()
}

fn wall(c: &Calendar, t: Timestamp) -> String {
    t.to_zoned(c.zone().clone())
        .strftime("%Y-%m-%d %H:%M %:z")
        .to_string()
}

fn hours(h: u64) -> Duration {
    Duration::from_secs(h * 3600)
}

fn office_pl() -> Calendar {
    cal(json!({
        "time_zone": "Europe/Warsaw",
        "hours": {"mon-fri": ["09:00-12:00", "13:00-17:00"]},
        "holidays": ["PL"]
    }))
}

fn always_warsaw() -> Calendar {
    Calendar::always_open("Europe/Warsaw").unwrap()
}

#[test]
fn parses_the_documented_form_and_round_trips() {
    let c = cal(json!({
        "time_zone": "Europe/Warsaw",
        "hours": {"mon-fri": ["09:00-12:00", "13:00-17:00"], "sat": "10:00-14:00", "sun": "closed"},
        "holidays": ["PL", "05-02", {"when": "2026-06-05", "name": "Inventory"}],
        "closed": ["2025-12-31 13:00-24:00", {"when": "2026-08-10..2026-08-14", "name": "Summer break"}],
        "open": ["2025-12-21 10:00-16:00", "2026-11-11", "2026-12-24T09:00/2026-12-24T12:00"]
    }));
    assert_eq!(c.zone_name(), "Europe/Warsaw");
    assert_eq!(c.weekly_hours().on(jiff::civil::Weekday::Tuesday).len(), 2);
    assert_eq!(c.regions(), &[Region::Pl]);
    assert_eq!(c.custom_holidays().len(), 2);
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(
        json["closed"][1],
        json!({"when": "2026-08-10..2026-08-14", "name": "Summer break"})
    );
    assert_eq!(json["hours"]["sat"], json!(["10:00-14:00"]));
    let again: Calendar = serde_json::from_value(json).unwrap();
    assert_eq!(again, c);
}

#[test]
fn explains_what_is_wrong_with_a_calendar() {
    let base = |patch: serde_json::Value| {
        let mut spec = json!({"time_zone": "Europe/Warsaw", "hours": {"mon": "09:00-17:00"}});
        for (k, v) in patch.as_object().unwrap() {
            spec[k] = v.clone();
        }
        spec_error(spec)
    };
    assert!(
        base(json!({"time_zone": "Europe/Warsow"}))
            .contains("time_zone: `Europe/Warsow` is not an IANA")
    );
    assert!(base(json!({"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}})).contains("overlap"));
    assert!(
        base(json!({"hours": {"mon-fri": "09:00-17:00", "wed": "10:00-12:00"}}))
            .contains("wed is given twice")
    );
    assert!(
        base(json!({"hours": {"monday": "09:00-17:00"}})).contains("`monday` is not a weekday")
    );
    assert!(
        base(json!({"hours": {"mon": ["09:00-17:00", "18:00-25:00"]}})).contains("hours.mon[1]")
    );
    assert!(base(json!({"hours": "always"})).contains("24/7"));
    assert!(
        base(json!({"holidays": ["DE"]}))
            .contains("holidays[0]: `DE` is not a known holiday region")
    );
    assert!(base(json!({"holidays": ["13-01"]})).contains("yearly day"));
    assert!(base(json!({"closed": ["2025-12-24 17:00-13:00"]})).contains("closed[0]"));
    assert!(base(json!({"closed": ["2025-12-31..2025-12-24"]})).contains("ends before it starts"));
    assert!(base(json!({"closed": ["tomorrow"]})).contains("closed[0]: `tomorrow` is not a date"));
    assert!(
        base(json!({"closed": ["2025-12-24..2025-12-31"], "open": ["2025-12-28 10:00-14:00"]}))
            .contains(
                "open[0]: 2025-12-28 10:00-14:00 overlaps the closure 2025-12-24..2025-12-31"
            )
    );
    assert!(
        base(json!({"open": ["2025-12-21"]})).contains("open[0]: 2025-12-21 has no weekly hours")
    );
    assert!(base(json!({"holidays": [42]})).contains("\"when\""));
    assert!(base(json!({"hours": {"mon": "09:00-17:00"}, "extra": 1})).contains("unknown field"));
}

#[test]
fn lunch_breaks_weekends_and_holidays_do_not_count() {
    let c = office_pl();
    // Monday 11:30 + 1 h: 30 min before lunch, 30 min after.
    let t = c
        .add_business(at("Europe/Warsaw", "2026-06-01T11:30"), hours(1))
        .unwrap();
    assert_eq!(wall(&c, t), "2026-06-01 13:30 +02:00");
    // Wednesday 16:00 + 2 h: Corpus Christi (Thu 4 June 2026) is a holiday.
    let t = c
        .add_business(at("Europe/Warsaw", "2026-06-03T16:00"), hours(2))
        .unwrap();
    assert_eq!(wall(&c, t), "2026-06-05 10:00 +02:00");
    // Landing exactly on a closing stays on the closing.
    let t = c
        .add_business(at("Europe/Warsaw", "2026-06-05T16:00"), hours(1))
        .unwrap();
    assert_eq!(wall(&c, t), "2026-06-05 17:00 +02:00");
    // Christmas 2025: Wed 24 (new holiday from 2025), Thu 25, Fri 26 all closed.
    let t = c
        .next_open(at("Europe/Warsaw", "2025-12-23T17:00"))
        .unwrap();
    assert_eq!(wall(&c, t), "2025-12-29 09:00 +01:00");
    assert!(!c.is_open(at("Europe/Warsaw", "2025-12-24T10:00")));
    assert!(c.is_open(at("Europe/Warsaw", "2025-12-23T10:00")));
    assert!(!c.is_open(at("Europe/Warsaw", "2025-12-23T12:30")));
    assert_eq!(
        c.business_between(
            at("Europe/Warsaw", "2025-12-22T00:00"),
            at("Europe/Warsaw", "2025-12-29T00:00")
        ),
        SignedDuration::from_hours(14)
    );
    let t = c
        .next_close(at("Europe/Warsaw", "2025-12-22T10:00"))
        .unwrap();
    assert_eq!(wall(&c, t), "2025-12-22 12:00 +01:00");
}

#[test]
fn warsaw_spring_forward_and_fall_back() {
    let c = always_warsaw();
    let day =
        |d: &str, next: &str| c.business_between(at("Europe/Warsaw", d), at("Europe/Warsaw", next));
    // 29 March 2026: 02:00 CET -> 03:00 CEST, the day has 23 hours; 25 October 2026 has 25.
    assert_eq!(
        day("2026-03-29T00:00", "2026-03-30T00:00"),
        SignedDuration::from_hours(23)
    );
    assert_eq!(
        day("2026-10-25T00:00", "2026-10-26T00:00"),
        SignedDuration::from_hours(25)
    );
    let t = c
        .add_business(at("Europe/Warsaw", "2026-03-28T23:00"), hours(4))
        .unwrap();
    assert_eq!(wall(&c, t), "2026-03-29 04:00 +02:00");

    // Opening hours that straddle the changes: 01:00-05:00 lasts 3 h in spring, 5 h in autumn.
    let night = cal(json!({"time_zone": "Europe/Warsaw", "hours": {"sun": "01:00-05:00"}}));
    let open = |d: &str| {
        night.business_between(at("Europe/Warsaw", d), at("Europe/Warsaw", d) + 24.hours())
    };
    assert_eq!(open("2026-03-29T00:00"), SignedDuration::from_hours(3));
    assert_eq!(open("2026-10-25T00:00"), SignedDuration::from_hours(5));
    assert_eq!(open("2026-11-01T00:00"), SignedDuration::from_hours(4));
    // An opening at 02:30, a time the spring night skips, opens at the jump.
    let late = cal(json!({"time_zone": "Europe/Warsaw", "hours": {"sun": "02:30-04:00"}}));
    let t = late
        .next_open(at("Europe/Warsaw", "2026-03-29T00:00"))
        .unwrap();
    assert_eq!(wall(&late, t), "2026-03-29 03:00 +02:00");
    assert_eq!(
        late.business_between(t, t + 24.hours()),
        SignedDuration::from_hours(1)
    );
    // In the autumn the repeated hour is open twice: 02:30-03:00 CEST and 02:30-04:00 CET.
    let t = at("Europe/Warsaw", "2026-10-25T00:00");
    assert_eq!(
        late.business_between(t, t + 24.hours()),
        SignedDuration::from_mins(120)
    );
    let spans = late.openings_between(t, t + 24.hours());
    let shown: Vec<_> = spans
        .iter()
        .map(|(a, b)| (wall(&late, *a), wall(&late, *b)))
        .collect();
    assert_eq!(
        shown,
        vec![
            (
                "2026-10-25 02:30 +02:00".to_owned(),
                "2026-10-25 02:00 +01:00".to_owned()
            ),
            (
                "2026-10-25 02:30 +01:00".to_owned(),
                "2026-10-25 04:00 +01:00".to_owned()
            ),
        ]
    );
}

#[test]
fn bucharest_dst_nights_with_romanian_holidays() {
    let c = cal(json!({
        "time_zone": "Europe/Bucharest",
        "hours": {"mon-sun": "00:00-24:00"},
        "holidays": ["RO"]
    }));
    // 29 March 2026: 03:00 EET -> 04:00 EEST. 25 October 2026: 04:00 EEST -> 03:00 EET.
    let len = |from: &str, to: &str| {
        c.business_between(at("Europe/Bucharest", from), at("Europe/Bucharest", to))
    };
    assert_eq!(
        len("2026-03-28T00:00", "2026-03-30T00:00"),
        SignedDuration::from_hours(47)
    );
    assert_eq!(
        len("2026-10-24T00:00", "2026-10-26T00:00"),
        SignedDuration::from_hours(49)
    );
    let t = c
        .add_business(at("Europe/Bucharest", "2026-03-29T02:30"), hours(1))
        .unwrap();
    assert_eq!(wall(&c, t), "2026-03-29 04:30 +03:00");
    // Orthodox Easter 2026 is 12 April: Good Friday 10, Sunday 12 and Monday 13 are closed.
    let t = c
        .next_open(at("Europe/Bucharest", "2026-04-10T08:00"))
        .unwrap();
    assert_eq!(wall(&c, t), "2026-04-11 00:00 +03:00");
    let t = c
        .next_open(at("Europe/Bucharest", "2026-04-12T08:00"))
        .unwrap();
    assert_eq!(wall(&c, t), "2026-04-14 00:00 +03:00");
}

#[test]
fn indonesian_collective_leave_only_when_asked() {
    let spec = |leave: bool| {
        cal(json!({
            "time_zone": "Asia/Jakarta",
            "hours": {"mon-fri": "08:00-16:00"},
            "holidays": ["ID"],
            "collective_leave": leave
        }))
    };
    // Idulfitri 1447 H: 21-22 March 2026 (a weekend); collective leave 20, 23, 24 March.
    let from = at("Asia/Jakarta", "2026-03-19T16:00");
    assert_eq!(
        wall(&spec(false), spec(false).next_open(from).unwrap()),
        "2026-03-20 08:00 +07:00"
    );
    assert_eq!(
        wall(&spec(true), spec(true).next_open(from).unwrap()),
        "2026-03-25 08:00 +07:00"
    );
}

#[test]
fn extra_openings_and_working_days() {
    let c = cal(json!({
        "time_zone": "Europe/Warsaw",
        "hours": {"mon-fri": "09:00-17:00"},
        "holidays": ["PL"],
        "closed": ["2025-12-31 13:00-24:00"],
        "open": ["2025-12-21 10:00-16:00", "2026-11-11"]
    }));
    assert!(c.is_open(at("Europe/Warsaw", "2025-12-21T10:00")));
    assert!(!c.is_open(at("Europe/Warsaw", "2025-12-21T16:00")));
    assert!(!c.is_open(at("Europe/Warsaw", "2025-12-31T13:00")));
    assert!(c.is_open(at("Europe/Warsaw", "2025-12-31T12:59")));
    // 11 November 2026 is Independence Day, but this shop works.
    assert!(c.is_open(at("Europe/Warsaw", "2026-11-11T09:00")));
    assert!(!office_pl().is_open(at("Europe/Warsaw", "2026-11-11T09:00")));
}

#[test]
fn add_business_days_as_shops_mean_it() {
    let c = office_pl();
    let days = |from: &str, n: u32| {
        wall(
            &c,
            c.add_business_days(at("Europe/Warsaw", from), n).unwrap(),
        )
    };
    // 1 June 2026 is a Monday.
    assert_eq!(days("2026-06-01T10:00", 2), "2026-06-03 10:00 +02:00");
    // Thursday 4 June is Corpus Christi.
    assert_eq!(days("2026-06-02T10:00", 2), "2026-06-05 10:00 +02:00");
    assert_eq!(days("2026-06-01T18:30", 2), "2026-06-03 17:00 +02:00");
    assert_eq!(days("2026-06-01T12:30", 2), "2026-06-03 12:00 +02:00");
    assert_eq!(days("2026-06-01T07:00", 2), "2026-06-02 17:00 +02:00");
    assert_eq!(days("2026-05-31T15:00", 2), "2026-06-02 17:00 +02:00");
    assert_eq!(days("2026-06-01T10:00", 0), "2026-06-01 10:00 +02:00");
    // Two business days are two days of business time when the hours are the same each day.
    let from = at("Europe/Warsaw", "2026-06-01T18:30");
    let due = c.add_business_days(from, 2).unwrap();
    assert_eq!(
        c.business_between(from, due),
        SignedDuration::from_hours(14)
    );
}

#[test]
fn never_open_calendars_answer_none() {
    let c = cal(json!({"time_zone": "UTC", "hours": {}}));
    let t = at("UTC", "2026-01-01T00:00");
    assert_eq!(c.next_open(t), None);
    assert_eq!(c.add_business(t, hours(1)), None);
    assert_eq!(c.add_business_days(t, 1), None);
    assert!(!c.is_open(t));
    assert_eq!(
        c.business_between(t, t + 1000.hours()),
        SignedDuration::ZERO
    );
    let shut =
        cal(json!({"time_zone": "UTC", "hours": "24/7", "closed": ["2026-01-01..9999-12-31"]}));
    assert_eq!(shut.next_open(t), None);
    let only_extra =
        cal(json!({"time_zone": "UTC", "hours": {}, "open": ["2030-05-05 10:00-11:00"]}));
    assert_eq!(only_extra.next_open(t), Some(at("UTC", "2030-05-05T10:00")));
}

#[test]
fn holidays_in_lists_names_and_sources() {
    let c = cal(
        json!({"time_zone": "Asia/Jakarta", "hours": "24/7", "holidays": ["ID", {"when": "08-08", "name": "Shop birthday"}]}),
    );
    let days = c.holidays_in(2027);
    assert!(
        days.iter()
            .any(|d| d.date == date(2027, 3, 10) && d.source == Some(HolidaySource::Estimate))
    );
    assert!(
        days.iter()
            .any(|d| d.date == date(2027, 8, 8) && d.name == "Shop birthday")
    );
    assert!(days.iter().all(|d| !d.name.starts_with("Cuti bersama")));
}

// ---- properties ----------------------------------------------------------------------------

fn fixtures() -> Vec<Calendar> {
    vec![
        always_warsaw(),
        office_pl(),
        cal(
            json!({"time_zone": "Europe/Bucharest", "hours": {"mon-fri": "08:30-16:30", "sat": "09:00-13:00"}, "holidays": ["RO"]}),
        ),
        cal(
            json!({"time_zone": "Asia/Jakarta", "hours": {"mon-sat": ["08:00-12:00", "13:00-17:00"]}, "holidays": ["ID"], "collective_leave": true}),
        ),
        // Night shifts across midnight and inside the DST hours of both zones.
        cal(
            json!({"time_zone": "Europe/Warsaw", "hours": {"mon-sun": ["00:00-00:30", "01:30-03:30", "20:00-24:00"]}}),
        ),
        cal(
            json!({"time_zone": "Europe/Bucharest", "hours": {"sat-sun": ["02:45-04:15"], "wed": "23:59-24:00"}, "closed": ["2030-01-01..2030-03-31"]}),
        ),
    ]
}

fn instant() -> impl Strategy<Value = Timestamp> {
    // 2000-01-01 .. 2100-01-01, microsecond precision as stored.
    (946_684_800_000_000i64..4_102_444_800_000_000i64)
        .prop_map(|us| Timestamp::from_microsecond(us).unwrap())
}

fn business_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..48 * 3600).prop_map(Duration::from_secs),
        (0u64..2000 * 3600 * 1_000_000).prop_map(Duration::from_micros),
    ]
}

fn nanos(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn adding_then_measuring_gives_the_duration_back(i in 0usize..6, t in instant(), d in business_duration()) {
        let c = &fixtures()[i];
        let due = c.add_business(t, d).unwrap();
        prop_assert_eq!(c.business_between(t, due), nanos(d));
        prop_assert_eq!(c.business_between(due, t), -nanos(d));
        if !d.is_zero() {
            // Lands on an open instant or on the end of an opening.
            let just_before = due - SignedDuration::from_nanos(1);
            prop_assert!(c.is_open(due) || c.is_open(just_before));
            prop_assert!(due > t);
        }
    }

    #[test]
    fn monotonic_in_both_arguments(i in 0usize..6, a in instant(), b in instant(), d1 in business_duration(), d2 in business_duration()) {
        let c = &fixtures()[i];
        let (a, b) = (a.min(b), a.max(b));
        let (d1, d2) = (d1.min(d2), d1.max(d2));
        prop_assert!(c.add_business(a, d1).unwrap() <= c.add_business(b, d1).unwrap());
        prop_assert!(c.add_business(a, d1).unwrap() <= c.add_business(a, d2).unwrap());
        let mid = a + SignedDuration::from_nanos(b.duration_since(a).as_nanos() as i64 / 2);
        prop_assert!(c.business_between(a, mid) <= c.business_between(a, b));
        prop_assert!(c.business_between(mid, b) <= c.business_between(a, b));
        prop_assert_eq!(c.business_between(a, mid) + c.business_between(mid, b), c.business_between(a, b));
    }

    #[test]
    fn next_open_is_open_and_nothing_opens_before_it(i in 0usize..6, t in instant()) {
        let c = &fixtures()[i];
        let open = c.next_open(t).unwrap();
        prop_assert!(open >= t);
        prop_assert!(c.is_open(open));
        prop_assert_eq!(c.business_between(t, open), SignedDuration::ZERO);
        prop_assert_eq!(c.is_open(t), open == t);
    }

    #[test]
    fn business_days_land_on_openings_and_keep_order(i in 0usize..6, a in instant(), b in instant(), n in 0u32..30) {
        let c = &fixtures()[i];
        let (a, b) = (a.min(b), a.max(b));
        let due_a = c.add_business_days(a, n).unwrap();
        let due_b = c.add_business_days(b, n).unwrap();
        prop_assert!(due_a <= due_b);
        if n > 0 {
            prop_assert!(due_a > a || c.business_between(due_a, a).is_zero());
            let just_before = due_a - SignedDuration::from_nanos(1);
            prop_assert!(c.is_open(due_a) || c.is_open(just_before));
        }
    }

    #[test]
    fn around_the_clock_is_wall_clock_maths(t in instant(), u in instant(), d in business_duration()) {
        let c = always_warsaw();
        prop_assert_eq!(c.add_business(t, d).unwrap(), t + nanos(d));
        prop_assert_eq!(c.business_between(t, u), u.duration_since(t));
        prop_assert_eq!(c.next_open(t), Some(t));
    }
}
