#!/usr/bin/env python3
"""Estimates Indonesia's lunar and lunisolar holidays for years without a published SKB decree.

Prints `id.tsv` rows (source = estimate). Needs PyEphem (`pip install ephem==4.2.1`).
Run: python3 estimate_id.py 2027 2030

Each method is checked against the decreed dates before it prints anything (see `validate`):
- Hijri months (Isra Mi'raj, Idul Fitri, Idul Adha, Tahun Baru Islam, Maulid): the Neo-MABIMS
  criterion the Ministry of Religious Affairs applies since 2022 - at sunset after the conjunction,
  somewhere in Indonesia, apparent altitude of the Moon's upper limb >= 3 deg and geocentric
  elongation >= 6.4 deg; otherwise the month is completed to 30 days. Reproduces all 23 month
  starts the government fixed from Ramadan 1444 to Rabiul Awal 1448.
- Imlek: second new moon after the December solstice, China time (UTC+8). Valid 2020-2033.
- Nyepi: the day after Tilem Kesanga in the Balinese Saka calendar, whose tithi count gains one
  extra tithi every 63 days (pangunalatri, Eka Sungsang ke Paing), anchored on 24 March 2020
  (a pangunalatri holding both Tilem Kesanga and penanggal 1). Reproduces Nyepi 2010-2026.
- Waisak: the first full moon on or after 6 May in India time, dated in WIB (UTC+7), the rule
  Indonesia's Buddhist councils follow. Reproduces Waisak 2017-2026.
"""
import datetime as dt
import math
import sys

import ephem

# Points spanning Indonesia's longitudes and latitudes; the criterion counts if met at any of them.
POINTS = [(5.89, 95.32), (5.55, 95.32), (-0.95, 100.35), (-6.99, 106.55), (-6.2, 106.8),
          (-10.17, 123.6), (-2.53, 140.7)]


def _visible(day, lat, lon):
    o = ephem.Observer()
    o.lat, o.lon, o.pressure, o.horizon = str(lat), str(lon), 0, "-0:50"
    o.date = ephem.Date(dt.datetime(day.year, day.month, day.day) - dt.timedelta(hours=lon / 15))
    sunset = o.next_setting(ephem.Sun())
    o.date, o.horizon, o.pressure = sunset, "0", 1010
    moon, sun = ephem.Moon(o), ephem.Sun(o)
    alt = math.degrees(float(moon.alt) + float(moon.radius))
    elong = math.degrees(float(ephem.separation((moon.g_ra, moon.g_dec), (sun.g_ra, sun.g_dec))))
    return sunset, alt >= 3.0 and elong >= 6.4


def _month_start(after):
    conj = ephem.next_new_moon(after)
    day = (conj.datetime() + dt.timedelta(hours=7)).date()
    while True:
        checks = [_visible(day, lat, lon) for lat, lon in POINTS]
        if all(sunset.datetime() > conj.datetime() for sunset, _ in checks):
            seen = any(ok for _, ok in checks)
            return day + dt.timedelta(days=1 if seen else 2), conj
        day += dt.timedelta(days=1)


def hijri_months(from_year, to_year):
    """{(hijri_year, month): first day}, starting at 1 Muharram 1444 (30 July 2022)."""
    out, t, y, m = {}, ephem.Date(dt.datetime(2022, 7, 20)), 1444, 1
    while y <= to_year - 578:
        start, conj = _month_start(t)
        out[(y, m)] = start
        t = ephem.Date(conj + 1)
        m, y = (1, y + 1) if m == 12 else (m + 1, y)
    return out


def _local(edate, hours):
    return (edate.datetime() + dt.timedelta(hours=hours)).date()


def imlek(year):
    solstice = ephem.next_solstice(ephem.Date(dt.datetime(year - 1, 12, 1)))
    first = ephem.next_new_moon(solstice)
    return _local(ephem.next_new_moon(ephem.Date(first + 1)), 8)


def waisak(year):
    t = ephem.Date(dt.datetime(year, 5, 1))
    while True:
        full = ephem.next_full_moon(t)
        if _local(full, 5.5) >= dt.date(year, 5, 6):
            return _local(full, 7)
        t = ephem.Date(full + 1)


_PANGUNALATRI = dt.date(2020, 3, 24)


def _tithis_by_end_of(day):
    n = (day - _PANGUNALATRI).days
    return 1 + n + n // 63


def nyepi(year):
    day = dt.date(year, 3, 2)
    while day <= dt.date(year, 4, 1):
        before, after = _tithis_by_end_of(day - dt.timedelta(days=1)), _tithis_by_end_of(day)
        if any(k % 30 == 0 for k in range(before + 1, after + 1)):
            return day + dt.timedelta(days=1)
        day += dt.timedelta(days=1)
    raise ValueError(f"no Tilem Kesanga found in March {year}")


def islamic(year, months):
    """(date, name_id, name_en) of the decreed Islamic holidays falling in `year`."""
    d = dt.timedelta
    rows = []
    for (hy, m), start in months.items():
        if m == 7:
            rows.append((start + d(26), f"Isra Mikraj Nabi Muhammad SAW {hy} H", "Isra and Mi'raj"))
        if m == 10:
            rows.append((start, f"Idulfitri {hy} H", "Eid al-Fitr"))
            rows.append((start + d(1), f"Idulfitri {hy} H (hari kedua)", "Eid al-Fitr (second day)"))
        if m == 12:
            rows.append((start + d(9), f"Iduladha {hy} H", "Eid al-Adha"))
        if m == 1:
            rows.append((start, f"Tahun Baru Islam {hy} H", "Islamic New Year"))
        if m == 3:
            rows.append((start + d(11), "Maulid Nabi Muhammad SAW", "Prophet Muhammad's Birthday"))
    return [r for r in rows if r[0].year == year]


def validate(months):
    decreed = {  # month starts fixed by the government (isbat) or implied by SKB holiday dates
        (1444, 9): "2023-03-23", (1444, 10): "2023-04-22", (1444, 12): "2023-06-20",
        (1445, 1): "2023-07-19", (1445, 3): "2023-09-17", (1445, 7): "2024-01-13",
        (1445, 9): "2024-03-12", (1445, 10): "2024-04-10", (1445, 12): "2024-06-08",
        (1446, 1): "2024-07-07", (1446, 3): "2024-09-05", (1446, 7): "2025-01-01",
        (1446, 9): "2025-03-01", (1446, 10): "2025-03-31", (1446, 12): "2025-05-28",
        (1447, 1): "2025-06-27", (1447, 3): "2025-08-25", (1447, 7): "2025-12-21",
        (1447, 9): "2026-02-19", (1447, 10): "2026-03-21", (1447, 12): "2026-05-18",
        (1448, 1): "2026-06-16", (1448, 3): "2026-08-14",
    }
    for key, want in decreed.items():
        assert str(months[key]) == want, (key, months[key], want)
    for y, want in {2020: "01-25", 2021: "02-12", 2022: "02-01", 2023: "01-22", 2024: "02-10",
                    2025: "01-29", 2026: "02-17"}.items():
        assert str(imlek(y)) == f"{y}-{want}", (y, imlek(y))
    for y, want in {2010: "03-16", 2013: "03-12", 2014: "03-31", 2016: "03-09", 2017: "03-28",
                    2018: "03-17", 2019: "03-07", 2020: "03-25", 2021: "03-14", 2022: "03-03",
                    2023: "03-22", 2024: "03-11", 2025: "03-29", 2026: "03-19"}.items():
        assert str(nyepi(y)) == f"{y}-{want}", (y, nyepi(y))
    for y, want in {2017: "05-11", 2018: "05-29", 2019: "05-19", 2020: "05-07", 2021: "05-26",
                    2022: "05-16", 2023: "06-04", 2024: "05-23", 2025: "05-12", 2026: "05-31"}.items():
        assert str(waisak(y)) == f"{y}-{want}", (y, waisak(y))


def main(first, last):
    months = hijri_months(first, last + 1)
    validate(months)
    for year in range(first, last + 1):
        rows = islamic(year, months)
        rows.append((imlek(year), f"Tahun Baru Imlek {year + 551} Kongzili", "Chinese New Year"))
        rows.append((nyepi(year), f"Hari Suci Nyepi (Tahun Baru Saka {year - 78})", "Nyepi (Balinese New Year)"))
        rows.append((waisak(year), f"Hari Raya Waisak {year + 544} BE", "Vesak"))
        for date, name_id, name_en in sorted(rows):
            print(f"{date}\tholiday\testimate\t{name_id}\t{name_en}")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
