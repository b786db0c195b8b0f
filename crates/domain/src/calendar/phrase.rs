//! Short promise phrases agents type, in English, Indonesian, Polish and Romanian, read in a
//! calendar's zone relative to "now": "tomorrow at 10", "besok jam 10", "jutro o 10",
//! "mâine la 10", "within 3 business days", "by Friday", "in 2 hours".
//!
//! The result is the due instant plus the phrase written back in canonical form with the
//! resolved wall-clock time, so the agent sees exactly what the customer was promised.
//! Meanings: a day without a time ("on Monday", "by Friday", "tomorrow") is due when the desk
//! closes that day; "on Monday" said on a Monday means next week, "by Friday" said on a Friday
//! means today; "N business days/hours" use [`Calendar::add_business_days`] and
//! [`Calendar::add_business`]; "in N hours/minutes/days" are wall-clock time.

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};

use super::Calendar;
use super::schedule::{HolidayDays, civil_date, civil_day_start};
use crate::customer::Language;

/// A promise's deadline read from a phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub at: Timestamp,
    /// The phrase in canonical form, in the language it was written in, with the resolved
    /// wall-clock time, e.g. "jutro o 10:00 — 2026-06-02 10:00 (Europe/Warsaw)".
    pub wording: String,
    pub language: Language,
}

/// Why a phrase could not be read, in words an agent can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhraseError {
    #[error(
        "could not read `{0}`; write e.g. \"tomorrow at 10\", \"by Friday\", \"within 3 business days\" or \"in 2 hours\""
    )]
    Unreadable(String),
    #[error("`{0}` is already past")]
    InThePast(String),
    #[error("`{0}` falls where the calendar never opens")]
    NeverOpen(String),
}

/// Reads `phrase` as a deadline in `calendar`'s zone, relative to `now`.
pub fn parse(calendar: &Calendar, phrase: &str, now: Timestamp) -> Result<Due, PhraseError> {
    let tokens = tokenize(phrase);
    let unreadable = || PhraseError::Unreadable(phrase.trim().to_owned());
    let (vocab, meaning) = VOCABS
        .iter()
        .find_map(|v| read(v, &tokens).map(|m| (v, m)))
        .ok_or_else(unreadable)?;
    let today = civil_date(calendar.civil_at(now)).ok_or_else(unreadable)?;
    let past = || PhraseError::InThePast(phrase.trim().to_owned());
    let at = match meaning {
        Meaning::Duration { n, unit, business } => {
            let secs = |per: u64| Duration::from_secs(u64::from(n) * per);
            match (unit, business) {
                (Unit::Day, true) => calendar.add_business_days(now, n),
                (Unit::Hour, true) => calendar.add_business(now, secs(3600)),
                (Unit::Minute, true) => calendar.add_business(now, secs(60)),
                (Unit::Day, false) => now
                    .to_zoned(calendar.zone().clone())
                    .checked_add(jiff::Span::new().try_days(n).map_err(|_| unreadable())?)
                    .ok()
                    .map(|z| z.timestamp()),
                (Unit::Hour, false) => now.checked_add(secs(3600)).ok(),
                (Unit::Minute, false) => now.checked_add(secs(60)).ok(),
            }
            .ok_or_else(|| PhraseError::NeverOpen(phrase.trim().to_owned()))?
        }
        Meaning::Day { day, time } => {
            let date = day.resolve(today).ok_or_else(unreadable)?;
            match time {
                Some(minutes) => {
                    let civil = civil_day_start(date) + i128::from(minutes) * 60 * 1_000_000_000;
                    calendar.first_instant_from(civil).ok_or_else(unreadable)?
                }
                None => close_of_business(calendar, date)
                    .ok_or_else(|| PhraseError::NeverOpen(phrase.trim().to_owned()))?,
            }
        }
    };
    if at <= now {
        return Err(past());
    }
    let local = at.to_zoned(calendar.zone().clone());
    Ok(Due {
        at,
        wording: format!(
            "{} — {} ({})",
            canonical(vocab, &meaning),
            local.strftime("%Y-%m-%d %H:%M"),
            calendar.zone_name()
        ),
        language: vocab.language,
    })
}

/// The end of the last opening on `date`, or before it if the desk is closed that day.
fn close_of_business(calendar: &Calendar, date: Date) -> Option<Timestamp> {
    let mut holidays = HolidayDays::default();
    let mut spans = Vec::new();
    let mut date = date;
    for _ in 0..=super::schedule::HORIZON_DAYS {
        calendar.day_spans(date, &mut holidays, &mut spans);
        if let Some(&(_, end)) = spans.last() {
            return calendar.first_instant_from(end);
        }
        date = date.yesterday().ok()?;
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Hour,
    Minute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayRef {
    Today,
    Tomorrow,
    /// The next such weekday after today.
    On(Weekday),
    /// That weekday, today included.
    By(Weekday),
}

impl DayRef {
    fn resolve(self, today: Date) -> Option<Date> {
        let ahead = |w: Weekday, min: i8| {
            let days =
                (w.to_monday_zero_offset() - today.weekday().to_monday_zero_offset()).rem_euclid(7);
            let days = if days < min { days + 7 } else { days };
            super::holidays::add_days(today, i32::from(days))
        };
        match self {
            DayRef::Today => Some(today),
            DayRef::Tomorrow => today.tomorrow().ok(),
            DayRef::On(w) => ahead(w, 1),
            DayRef::By(w) => ahead(w, 0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Duration {
        n: u32,
        unit: Unit,
        business: bool,
    },
    /// `time` in minutes after midnight.
    Day {
        day: DayRef,
        time: Option<u16>,
    },
}

/// Lower-cased words with diacritics folded ("mâine" → "maine", "środę" → "srode"); times like
/// "16:30" or "10.30" kept whole; punctuation around words dropped.
fn tokenize(phrase: &str) -> Vec<String> {
    phrase
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.contains([':', '.']) && w.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                w.replace('.', ":")
            } else {
                // Keep the apostrophe-free form: "jum'at" → "jumat".
                crate::text::fold(&w.replace(['\'', '’'], ""))
            }
        })
        .collect()
}

struct Vocab {
    language: Language,
    today: &'static [&'static str],
    tomorrow: &'static [&'static str],
    /// Words (or word pairs, space-separated) that may stand before a clock time.
    at: &'static [&'static str],
    on: &'static [&'static str],
    by: &'static [&'static str],
    /// Before a duration: "within", "in", "dalam", "w ciągu", "za", "în".
    within: &'static [&'static str],
    business: &'static [&'static str],
    days: &'static [&'static str],
    hours: &'static [&'static str],
    minutes: &'static [&'static str],
    /// Weekday forms, Monday first: every spelling after "on" and after "by".
    weekdays: [&'static [&'static str]; 7],
    fillers: &'static [&'static str],
    numbers: &'static [(&'static str, u32)],
}

const VOCABS: [Vocab; 4] = [
    Vocab {
        language: Language::EN,
        today: &["today", "tonight"],
        tomorrow: &["tomorrow"],
        at: &["at"],
        on: &["on", "next"],
        by: &["by", "until", "before"],
        within: &["within", "in"],
        business: &["business", "working", "work"],
        days: &["day", "days"],
        hours: &["hour", "hours", "h", "hrs"],
        minutes: &["minute", "minutes", "min", "mins"],
        weekdays: [
            &["monday", "mon"],
            &["tuesday", "tue"],
            &["wednesday", "wed"],
            &["thursday", "thu"],
            &["friday", "fri"],
            &["saturday", "sat"],
            &["sunday", "sun"],
        ],
        fillers: &["the", "end", "of"],
        numbers: &[
            ("one", 1),
            ("a", 1),
            ("an", 1),
            ("two", 2),
            ("three", 3),
            ("four", 4),
            ("five", 5),
        ],
    },
    Vocab {
        language: Language::ID,
        today: &["hari ini", "nanti"],
        tomorrow: &["besok"],
        at: &["jam", "pukul", "pada jam", "pada pukul"],
        on: &["hari", "pada hari", "pada"],
        by: &["paling lambat", "sebelum", "hingga", "sampai"],
        within: &["dalam", "dalam waktu"],
        business: &["kerja"],
        days: &["hari"],
        hours: &["jam"],
        minutes: &["menit"],
        weekdays: [
            &["senin"],
            &["selasa"],
            &["rabu"],
            &["kamis"],
            &["jumat"],
            &["sabtu"],
            &["minggu", "ahad"],
        ],
        fillers: &["hari"],
        numbers: &[
            ("satu", 1),
            ("dua", 2),
            ("tiga", 3),
            ("empat", 4),
            ("lima", 5),
        ],
    },
    Vocab {
        language: Language::PL,
        today: &["dzisiaj", "dzis"],
        tomorrow: &["jutro"],
        at: &["o", "o godzinie", "godz", "na"],
        on: &["w", "we"],
        by: &["do"],
        within: &["w ciagu", "za", "w"],
        business: &["roboczych", "robocze", "roboczy", "roboczego", "roboczej"],
        days: &["dni", "dzien", "dnia"],
        hours: &["godzin", "godziny", "godzine", "godz", "h"],
        minutes: &["minut", "minuty", "minute", "min"],
        weekdays: [
            &["poniedzialek", "poniedzialku"],
            &["wtorek", "wtorku"],
            &["srode", "sroda", "srody"],
            &["czwartek", "czwartku"],
            &["piatek", "piatku"],
            &["sobote", "sobota", "soboty"],
            &["niedziele", "niedziela", "niedzieli"],
        ],
        fillers: &[],
        numbers: &[
            ("jeden", 1),
            ("jednego", 1),
            ("dwa", 2),
            ("dwoch", 2),
            ("trzy", 3),
            ("trzech", 3),
            ("cztery", 4),
            ("piec", 5),
        ],
    },
    Vocab {
        language: Language::RO,
        today: &["azi", "astazi", "diseara"],
        tomorrow: &["maine"],
        at: &["la", "la ora", "ora"],
        on: &["pe", "de", "lunea"],
        by: &["pana", "pana la", "pana in", "pana pe", "inainte de"],
        within: &["in", "in cel mult", "in termen de"],
        business: &["lucratoare"],
        days: &["zile", "zi"],
        hours: &["ore", "ora"],
        minutes: &["minute", "minut"],
        weekdays: [
            &["luni"],
            &["marti"],
            &["miercuri"],
            &["joi"],
            &["vineri"],
            &["sambata"],
            &["duminica"],
        ],
        fillers: &["de"],
        numbers: &[
            ("o", 1),
            ("una", 1),
            ("doua", 2),
            ("doi", 2),
            ("trei", 3),
            ("patru", 4),
            ("cinci", 5),
        ],
    },
];

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// Whether `tokens[i..]` starts with one of `phrases` (each one or more words); the length.
fn starts_with(tokens: &[String], i: usize, phrases: &[&str]) -> Option<usize> {
    phrases
        .iter()
        .filter_map(|p| {
            let words: Vec<&str> = p.split(' ').collect();
            let hit = tokens.len() >= i + words.len()
                && words.iter().zip(&tokens[i..]).all(|(w, t)| w == t);
            hit.then_some(words.len())
        })
        .max()
}

fn number(vocab: &Vocab, token: &str) -> Option<u32> {
    if token.bytes().all(|b| b.is_ascii_digit()) {
        return token.parse().ok().filter(|n| (1..=10_000).contains(n));
    }
    vocab
        .numbers
        .iter()
        .find(|(w, _)| *w == token)
        .map(|(_, n)| *n)
}

/// A clock time "10", "10:30", "4pm"; minutes after midnight.
fn clock(token: &str, next: Option<&str>) -> Option<(u16, usize)> {
    let (text, mut used, pm, am) = match next {
        Some("pm") => (token, 2, true, false),
        Some("am") => (token, 2, false, true),
        _ => match (token.strip_suffix("pm"), token.strip_suffix("am")) {
            (Some(t), _) => (t, 1, true, false),
            (_, Some(t)) => (t, 1, false, true),
            _ => (token, 1, false, false),
        },
    };
    if text.is_empty() {
        return None;
    }
    let (h, m) = text.split_once(':').unwrap_or((text, "00"));
    if h.len() > 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (mut h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if (pm || am) && !(1..=12).contains(&h) {
        return None;
    }
    if pm && h < 12 {
        h += 12;
    }
    if am && h == 12 {
        h = 0;
    }
    if h > 23 || m > 59 {
        used = 0;
    }
    (used > 0).then_some((h * 60 + m, used))
}

fn read(vocab: &Vocab, tokens: &[String]) -> Option<Meaning> {
    if tokens.is_empty() {
        return None;
    }
    read_duration(vocab, tokens).or_else(|| read_day(vocab, tokens))
}

/// `[within] N [business] unit [business]`
fn read_duration(vocab: &Vocab, tokens: &[String]) -> Option<Meaning> {
    let mut i = starts_with(tokens, 0, vocab.within)?;
    let n = number(vocab, tokens.get(i)?)?;
    i += 1;
    let mut business = false;
    let mut unit = None;
    while let Some(token) = tokens.get(i) {
        let t = token.as_str();
        if vocab.business.contains(&t) {
            business = true;
        } else if unit.is_none() && vocab.days.contains(&t) {
            unit = Some(Unit::Day);
        } else if unit.is_none() && vocab.hours.contains(&t) {
            unit = Some(Unit::Hour);
        } else if unit.is_none() && vocab.minutes.contains(&t) {
            unit = Some(Unit::Minute);
        } else if !vocab.fillers.contains(&t) {
            return None;
        }
        i += 1;
    }
    Some(Meaning::Duration {
        n,
        unit: unit?,
        business,
    })
}

/// A day and/or a clock time, in either order, with their little words.
fn read_day(vocab: &Vocab, tokens: &[String]) -> Option<Meaning> {
    let (mut day, mut time, mut by) = (None, None, false);
    let mut i = 0;
    while i < tokens.len() {
        if let Some(n) = starts_with(tokens, i, vocab.today).filter(|_| day.is_none()) {
            day = Some(DayRef::Today);
            i += n;
        } else if let Some(n) = starts_with(tokens, i, vocab.tomorrow).filter(|_| day.is_none()) {
            day = Some(DayRef::Tomorrow);
            i += n;
        } else if let Some(w) = WEEKDAYS
            .iter()
            .zip(vocab.weekdays)
            .find(|(_, forms)| forms.contains(&tokens[i].as_str()))
            .map(|(w, _)| *w)
            .filter(|_| day.is_none())
        {
            day = Some(DayRef::On(w));
            i += 1;
        } else if let Some(n) = starts_with(tokens, i, vocab.at).filter(|_| time.is_none())
            && let Some((minutes, used)) = clock(
                tokens.get(i + n)?,
                tokens.get(i + n + 1).map(String::as_str),
            )
        {
            time = Some(minutes);
            i += n + used;
        } else if let Some((minutes, used)) =
            clock(&tokens[i], tokens.get(i + 1).map(String::as_str)).filter(|_| {
                time.is_none()
                    && (tokens[i].contains(':')
                        || tokens[i].ends_with("am")
                        || tokens[i].ends_with("pm"))
            })
        {
            time = Some(minutes);
            i += used;
        } else if let Some(n) = starts_with(tokens, i, vocab.by) {
            by = true;
            i += n;
        } else if let Some(n) = starts_with(tokens, i, vocab.on) {
            i += n;
        } else if vocab.fillers.contains(&tokens[i].as_str()) {
            i += 1;
        } else {
            return None;
        }
    }
    let day = match (day, by) {
        (Some(DayRef::On(w)), true) => DayRef::By(w),
        (Some(d), _) => d,
        (None, _) if time.is_some() => DayRef::Today,
        (None, _) => return None,
    };
    Some(Meaning::Day { day, time })
}

fn canonical(vocab: &Vocab, meaning: &Meaning) -> String {
    let lang = vocab.language;
    match *meaning {
        Meaning::Duration { n, unit, business } => duration_words(lang, n, unit, business),
        Meaning::Day { day, time } => {
            let time = time.map(|m| format!("{:02}:{:02}", m / 60, m % 60));
            let weekday = |w: Weekday, genitive: bool| weekday_name(lang, w, genitive);
            let day_words = match day {
                DayRef::Today => ["today", "hari ini", "dziś", "azi"][index(lang)].to_owned(),
                DayRef::Tomorrow => ["tomorrow", "besok", "jutro", "mâine"][index(lang)].to_owned(),
                DayRef::On(w) => match index(lang) {
                    0 => format!("on {}", weekday(w, false)),
                    1 => format!("hari {}", weekday(w, false)),
                    2 => {
                        let name = weekday(w, false);
                        let w_or_we = if name.starts_with('w') { "we" } else { "w" };
                        format!("{w_or_we} {name}")
                    }
                    _ => weekday(w, false).to_owned(),
                },
                DayRef::By(w) => match index(lang) {
                    0 => format!("by {}", weekday(w, false)),
                    1 => format!("paling lambat hari {}", weekday(w, false)),
                    2 => format!("do {}", weekday(w, true)),
                    _ => format!("până {}", weekday(w, false)),
                },
            };
            match time {
                None => day_words,
                Some(t) => {
                    let at = ["at", "jam", "o", "la"][index(lang)];
                    format!("{day_words} {at} {t}")
                }
            }
        }
    }
}

fn index(lang: Language) -> usize {
    super::words::served(lang)
}

fn weekday_name(lang: Language, w: Weekday, genitive: bool) -> &'static str {
    let i = usize::from(w.to_monday_zero_offset().unsigned_abs());
    // Polish phrases take the weekday in the accusative ("w środę") or genitive ("do środy").
    let polish: [&str; 7] = if genitive {
        [
            "poniedziałku",
            "wtorku",
            "środy",
            "czwartku",
            "piątku",
            "soboty",
            "niedzieli",
        ]
    } else {
        [
            "poniedziałek",
            "wtorek",
            "środę",
            "czwartek",
            "piątek",
            "sobotę",
            "niedzielę",
        ]
    };
    match index(lang) {
        2 => polish[i],
        l => super::words::WEEKDAYS[l][i],
    }
}

fn duration_words(lang: Language, n: u32, unit: Unit, business: bool) -> String {
    match index(lang) {
        1 => {
            let unit = match unit {
                Unit::Day => "hari",
                Unit::Hour => "jam",
                Unit::Minute => "menit",
            };
            let kerja = if business { " kerja" } else { "" };
            format!("dalam {n} {unit}{kerja}")
        }
        2 => {
            let few = (2..=4).contains(&(n % 10)) && !(12..=14).contains(&(n % 100));
            let word = match (unit, business) {
                (Unit::Day, true) if n == 1 => "dnia roboczego",
                (Unit::Day, true) => "dni roboczych",
                (Unit::Hour, true) if n == 1 => "godziny roboczej",
                (Unit::Hour, true) => "godzin roboczych",
                (Unit::Minute, true) if n == 1 => "minuty roboczej",
                (Unit::Minute, true) => "minut roboczych",
                (Unit::Day, false) if n == 1 => "dzień",
                (Unit::Day, false) => "dni",
                (Unit::Hour, false) if n == 1 => "godzinę",
                (Unit::Hour, false) if few => "godziny",
                (Unit::Hour, false) => "godzin",
                (Unit::Minute, false) if n == 1 => "minutę",
                (Unit::Minute, false) if few => "minuty",
                (Unit::Minute, false) => "minut",
            };
            let lead = if business { "w ciągu" } else { "za" };
            format!("{lead} {n} {word}")
        }
        3 => {
            let (one, many) = match unit {
                Unit::Day => ("o zi", "zile"),
                Unit::Hour => ("o oră", "ore"),
                Unit::Minute => ("un minut", "minute"),
            };
            let lucratoare = if business { " lucrătoare" } else { "" };
            if n == 1 {
                format!("în {one}{lucratoare}")
            } else {
                let de = if n % 100 >= 20 || n.is_multiple_of(100) {
                    "de "
                } else {
                    ""
                };
                format!("în {n} {de}{many}{lucratoare}")
            }
        }
        _ => {
            let unit = match unit {
                Unit::Day => "day",
                Unit::Hour => "hour",
                Unit::Minute => "minute",
            };
            let s = if n == 1 { "" } else { "s" };
            if business {
                format!("within {n} business {unit}{s}")
            } else {
                format!("in {n} {unit}{s}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn office() -> Calendar {
        serde_json::from_value(json!({
            "time_zone": "Europe/Warsaw",
            "hours": {"mon-fri": ["09:00-12:00", "13:00-17:00"]},
            "holidays": ["PL"]
        }))
        .unwrap()
    }

    #[test]
    fn reads_promises_in_four_languages() {
        let c = office();
        // Monday 1 June 2026, 11:00 in Warsaw; Thursday 4 June is Corpus Christi.
        let now: Timestamp = "2026-06-01T09:00:00Z".parse().unwrap();
        let cases = [
            ("tomorrow at 10", "2026-06-02 10:00", "tomorrow at 10:00"),
            ("besok jam 10", "2026-06-02 10:00", "besok jam 10:00"),
            ("Jutro o 10", "2026-06-02 10:00", "jutro o 10:00"),
            ("mâine la 10", "2026-06-02 10:00", "mâine la 10:00"),
            ("maine la ora 10:30", "2026-06-02 10:30", "mâine la 10:30"),
            ("today at 16:30", "2026-06-01 16:30", "today at 16:30"),
            ("today at 4pm", "2026-06-01 16:00", "today at 16:00"),
            (
                "hari ini pukul 16.30",
                "2026-06-01 16:30",
                "hari ini jam 16:30",
            ),
            ("dziś o 16:30", "2026-06-01 16:30", "dziś o 16:30"),
            ("azi la 16:30", "2026-06-01 16:30", "azi la 16:30"),
            (
                "within 3 business days",
                "2026-06-05 11:00",
                "within 3 business days",
            ),
            (
                "dalam 3 hari kerja",
                "2026-06-05 11:00",
                "dalam 3 hari kerja",
            ),
            (
                "w ciągu 3 dni roboczych",
                "2026-06-05 11:00",
                "w ciągu 3 dni roboczych",
            ),
            (
                "în 3 zile lucrătoare",
                "2026-06-05 11:00",
                "în 3 zile lucrătoare",
            ),
            (
                "within 2 business hours",
                "2026-06-01 14:00",
                "within 2 business hours",
            ),
            ("in 2 hours", "2026-06-01 13:00", "in 2 hours"),
            ("dalam 2 jam", "2026-06-01 13:00", "dalam 2 jam"),
            ("za 2 godziny", "2026-06-01 13:00", "za 2 godziny"),
            ("în 30 de minute", "2026-06-01 11:30", "în 30 de minute"),
            ("on Monday", "2026-06-08 17:00", "on Monday"),
            (
                "w poniedziałek o 9",
                "2026-06-08 09:00",
                "w poniedziałek o 09:00",
            ),
            ("we wtorek", "2026-06-02 17:00", "we wtorek"),
            (
                "hari Senin jam 9",
                "2026-06-08 09:00",
                "hari Senin jam 09:00",
            ),
            ("luni la 9", "2026-06-08 09:00", "luni la 09:00"),
            ("by Friday", "2026-06-05 17:00", "by Friday"),
            ("do piątku", "2026-06-05 17:00", "do piątku"),
            (
                "paling lambat hari Jumat",
                "2026-06-05 17:00",
                "paling lambat hari Jumat",
            ),
            ("până vineri", "2026-06-05 17:00", "până vineri"),
            // Thursday is a holiday: by Thursday means Wednesday's closing.
            ("by Thursday", "2026-06-03 17:00", "by Thursday"),
            ("by Monday", "2026-06-01 17:00", "by Monday"),
            ("tomorrow", "2026-06-02 17:00", "tomorrow"),
        ];
        for (phrase, due, wording) in cases {
            let got = parse(&c, phrase, now).unwrap_or_else(|e| panic!("{phrase}: {e}"));
            let local = got
                .at
                .to_zoned(c.zone().clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string();
            assert_eq!(local, due, "{phrase}");
            assert_eq!(
                got.wording,
                format!("{wording} — {due} (Europe/Warsaw)"),
                "{phrase}"
            );
        }
    }

    #[test]
    fn says_what_is_wrong() {
        let c = office();
        let now: Timestamp = "2026-06-01T09:00:00Z".parse().unwrap();
        for (phrase, error) in [
            ("today at 9", "`today at 9` is already past"),
            ("sometime soon", "could not read `sometime soon`"),
            ("tomorrow at 25", "could not read"),
            ("", "could not read"),
            ("within business days", "could not read"),
        ] {
            let e = parse(&c, phrase, now).unwrap_err().to_string();
            assert!(e.contains(error), "{phrase}: {e}");
        }
        let never: Calendar =
            serde_json::from_value(json!({"time_zone": "UTC", "hours": {}})).unwrap();
        assert!(matches!(
            parse(&never, "within 2 business days", now),
            Err(PhraseError::NeverOpen(_))
        ));
        assert_eq!(parse(&c, "jutro o 10", now).unwrap().language, Language::PL);
    }
}
