//! Poland's public holidays.
//!
//! Ustawa z dnia 18 stycznia 1951 r. o dniach wolnych od pracy (Dz.U. 1951 nr 4 poz. 28,
//! consolidated text Dz.U. 2020 poz. 1920), art. 1 pkt 1, as amended by:
//! - ustawa z dnia 24 września 2010 r. (Dz.U. 2010 nr 224 poz. 1459): 6 January, from 2011;
//! - ustawa z dnia 6 grudnia 2024 r. o zmianie ustawy o dniach wolnych od pracy oraz niektórych
//!   innych ustaw: 24 December (Wigilia), first observed 24 December 2025.

use super::{Holiday, Rules, western_easter};

pub(super) fn holidays(year: i16) -> Vec<Holiday> {
    let easter = western_easter(year);
    Rules::new(year)
        .fixed(1951, 1, 1, "Nowy Rok", "New Year's Day")
        .fixed(2011, 1, 6, "Święto Trzech Króli", "Epiphany")
        .after_easter(1951, easter, 0, "Wielkanoc", "Easter Sunday")
        .after_easter(1951, easter, 1, "Poniedziałek Wielkanocny", "Easter Monday")
        .fixed(1951, 5, 1, "Święto Państwowe", "Labour Day")
        .fixed(
            1990,
            5,
            3,
            "Święto Narodowe Trzeciego Maja",
            "Constitution Day",
        )
        .after_easter(1951, easter, 49, "Zielone Świątki", "Pentecost Sunday")
        .after_easter(1951, easter, 60, "Boże Ciało", "Corpus Christi")
        .fixed(
            1989,
            8,
            15,
            "Wniebowzięcie Najświętszej Maryi Panny",
            "Assumption Day",
        )
        .fixed(1951, 11, 1, "Wszystkich Świętych", "All Saints' Day")
        .fixed(
            1989,
            11,
            11,
            "Narodowe Święto Niepodległości",
            "Independence Day",
        )
        .fixed(2025, 12, 24, "Wigilia Bożego Narodzenia", "Christmas Eve")
        .fixed(
            1951,
            12,
            25,
            "Boże Narodzenie (pierwszy dzień)",
            "Christmas Day",
        )
        .fixed(
            1951,
            12,
            26,
            "Boże Narodzenie (drugi dzień)",
            "Second Day of Christmas",
        )
        .finish()
}
