//! Romania's public holidays.
//!
//! Legea nr. 53/2003 – Codul muncii, republicată (M.Of. nr. 345 din 18 mai 2011), art. 139
//! alin. (1), as amended; the year each day was first observed is the `since` below:
//! - 15 August (Adormirea Maicii Domnului): since 2009;
//! - 30 November (Sfântul Apostol Andrei): Legea nr. 147/2012, since 2012;
//! - 24 January (Ziua Unirii Principatelor Române) and 1 June (Ziua Copilului): since 2017;
//! - Vinerea Mare (Orthodox Good Friday): since 2018;
//! - 6 and 7 January (Boboteaza, Sfântul Ioan): Legea nr. 52/2023, since 2024.
//!
//! Easter-bound days follow the Orthodox Easter; art. 139 alin. (2^1) lets employees of other
//! Christian churches take them on their own church's dates, which a shop sets as custom days.

use super::{Holiday, Rules, orthodox_easter};

pub(super) fn holidays(year: i16) -> Vec<Holiday> {
    let easter = orthodox_easter(year);
    Rules::new(year)
        .fixed(2003, 1, 1, "Anul Nou", "New Year's Day")
        .fixed(
            2003,
            1,
            2,
            "Anul Nou (a doua zi)",
            "Day after New Year's Day",
        )
        .fixed(2024, 1, 6, "Botezul Domnului – Boboteaza", "Epiphany")
        .fixed(
            2024,
            1,
            7,
            "Soborul Sfântului Proroc Ioan Botezătorul",
            "Synaxis of St. John the Baptist",
        )
        .fixed(2017, 1, 24, "Ziua Unirii Principatelor Române", "Union Day")
        .after_easter(2018, easter, -2, "Vinerea Mare", "Orthodox Good Friday")
        .after_easter(2003, easter, 0, "Paștele", "Orthodox Easter Sunday")
        .after_easter(
            2003,
            easter,
            1,
            "Paștele (a doua zi)",
            "Orthodox Easter Monday",
        )
        .fixed(2003, 5, 1, "Ziua Muncii", "Labour Day")
        .fixed(2017, 6, 1, "Ziua Copilului", "Children's Day")
        .after_easter(2003, easter, 49, "Rusaliile", "Orthodox Pentecost Sunday")
        .after_easter(
            2003,
            easter,
            50,
            "Rusaliile (a doua zi)",
            "Orthodox Pentecost Monday",
        )
        .fixed(2009, 8, 15, "Adormirea Maicii Domnului", "Assumption Day")
        .fixed(2012, 11, 30, "Sfântul Apostol Andrei", "St. Andrew's Day")
        .fixed(2003, 12, 1, "Ziua Națională a României", "National Day")
        .fixed(2003, 12, 25, "Crăciunul", "Christmas Day")
        .fixed(
            2003,
            12,
            26,
            "Crăciunul (a doua zi)",
            "Second Day of Christmas",
        )
        .finish()
}
