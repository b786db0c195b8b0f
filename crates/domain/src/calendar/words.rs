//! Instants and openings written out for a customer, in their language and the calendar's
//! zone: "Monday 1 June 2026, 10:00", "Senin, 1 Juni 2026, 10.00", "poniedziałek, 1 czerwca
//! 2026, 10:00", "luni, 1 iunie 2026, 10:00".

use jiff::Timestamp;

use super::Calendar;
use crate::customer::Language;

const MONTHS: [[&str; 12]; 4] = [
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ],
    // Polish dates take the genitive: "1 czerwca".
    [
        "stycznia",
        "lutego",
        "marca",
        "kwietnia",
        "maja",
        "czerwca",
        "lipca",
        "sierpnia",
        "września",
        "października",
        "listopada",
        "grudnia",
    ],
    [
        "ianuarie",
        "februarie",
        "martie",
        "aprilie",
        "mai",
        "iunie",
        "iulie",
        "august",
        "septembrie",
        "octombrie",
        "noiembrie",
        "decembrie",
    ],
];

/// Weekday names as they stand alone (nominative), Monday first, per served language.
pub(crate) const WEEKDAYS: [[&str; 7]; 4] = [
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    [
        "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
    ],
    [
        "poniedziałek",
        "wtorek",
        "środa",
        "czwartek",
        "piątek",
        "sobota",
        "niedziela",
    ],
    [
        "luni",
        "marți",
        "miercuri",
        "joi",
        "vineri",
        "sâmbătă",
        "duminică",
    ],
];

/// Index of a served language (English for any other).
pub(crate) fn served(lang: Language) -> usize {
    Language::SERVED
        .iter()
        .position(|l| *l == lang)
        .unwrap_or(0)
}

/// `at` on the calendar's wall clock, written for a reader of `lang`.
pub fn moment(calendar: &Calendar, lang: Language, at: Timestamp) -> String {
    let z = at.to_zoned(calendar.zone().clone());
    let i = served(lang);
    let weekday = WEEKDAYS[i][usize::from(z.weekday().to_monday_zero_offset().unsigned_abs())];
    let month = MONTHS[i][usize::from(z.month().unsigned_abs()) - 1];
    let (day, year, hour, minute) = (z.day(), z.year(), z.hour(), z.minute());
    match i {
        // Indonesian writes times with a dot.
        1 => format!("{weekday}, {day} {month} {year}, {hour:02}.{minute:02}"),
        0 => format!("{weekday} {day} {month} {year}, {hour:02}:{minute:02}"),
        _ => format!("{weekday}, {day} {month} {year}, {hour:02}:{minute:02}"),
    }
}

/// "A person will answer by …": what an acknowledgement tells the customer about the first
/// human reply, with the calendar's zone named so nobody guesses.
pub fn answer_by(calendar: &Calendar, lang: Language, due: Timestamp) -> String {
    let when = moment(calendar, lang, due);
    let zone = calendar.zone_name();
    match served(lang) {
        1 => format!("Tim kami akan membalas paling lambat {when} ({zone})."),
        2 => format!("Odpowiemy najpóźniej {when} ({zone})."),
        3 => format!("Vă vom răspunde cel târziu {when} ({zone})."),
        _ => format!("A person from our team will answer by {when} ({zone})."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_in_each_language() {
        let cal = Calendar::always_open("Europe/Warsaw").unwrap();
        let at: Timestamp = "2026-06-01T08:05:00Z".parse().unwrap();
        assert_eq!(moment(&cal, Language::EN, at), "Monday 1 June 2026, 10:05");
        assert_eq!(moment(&cal, Language::ID, at), "Senin, 1 Juni 2026, 10.05");
        assert_eq!(
            moment(&cal, Language::PL, at),
            "poniedziałek, 1 czerwca 2026, 10:05"
        );
        assert_eq!(moment(&cal, Language::RO, at), "luni, 1 iunie 2026, 10:05");
        assert!(answer_by(&cal, Language::PL, at).contains("(Europe/Warsaw)"));
    }
}
