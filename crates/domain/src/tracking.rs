//! Couriers and their tracking numbers: a canonical courier code, a canonical tracking number,
//! and the check of a number against the formats its courier uses (lengths, prefixes and check
//! digits), so a mistyped number is caught before a customer is told to track it.

use crate::ticket::{InvalidValue, parsed_text};

/// A courier as the shop names it, in canonical form: lower-case ASCII words joined by `-`
/// (`ups`, `dhl`, `poczta-polska`, `fan-courier`). Common spellings of the couriers with a
/// known number format map to one code ("DHL Express" → `dhl`, "United States Postal
/// Service" → `usps`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Courier(String);

/// Spellings that name the same courier.
const COURIER_ALIASES: &[(&str, &str)] = &[
    ("dhl-express", "dhl"),
    ("dhl-express-worldwide", "dhl"),
    ("united-parcel-service", "ups"),
    ("federal-express", "fedex"),
    ("fedex-ground", "fedex"),
    ("fedex-smartpost", "fedex"),
    ("united-states-postal-service", "usps"),
    ("amazon-logistics", "amazon"),
    ("amazon-shipping", "amazon"),
    ("pos-indonesia", "pos-indonesia"),
    ("posindonesia", "pos-indonesia"),
    ("poste-romane", "posta-romana"),
    ("posta-romana", "posta-romana"),
    ("inpost-paczkomaty", "inpost"),
    ("dpd-polska", "dpd"),
    ("dpd-romania", "dpd"),
];

impl Courier {
    pub fn parse(s: &str) -> Result<Courier, InvalidValue> {
        let mut code = String::with_capacity(s.len());
        for c in deunicode::deunicode(s.trim()).chars() {
            if c.is_ascii_alphanumeric() {
                code.push(c.to_ascii_lowercase());
            } else if matches!(c, ' ' | '-' | '_' | '.' | '/') && !code.ends_with('-') {
                code.push('-');
            }
        }
        let code = code.trim_matches('-').to_owned();
        if code.is_empty() || code.len() > 40 {
            return Err(InvalidValue {
                what: "courier",
                value: s.chars().take(64).collect(),
                expected: "a courier name such as ups, dhl, inpost, poczta-polska",
            });
        }
        let code = COURIER_ALIASES
            .iter()
            .find(|(alias, _)| *alias == code)
            .map_or(code, |(_, canonical)| (*canonical).to_owned());
        Ok(Courier(code))
    }
}

parsed_text!(Courier);

/// A tracking number in canonical form: spaces removed, letters upper-case
/// (`1Z 5R8 939…` → `1Z5R8939…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct TrackingNumber(String);

impl TrackingNumber {
    pub fn parse(s: &str) -> Result<TrackingNumber, InvalidValue> {
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let ok = (4..=64).contains(&t.len())
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok {
            Ok(TrackingNumber(t))
        } else {
            Err(InvalidValue {
                what: "tracking number",
                value: s.chars().take(64).collect(),
                expected: "4-64 letters and digits",
            })
        }
    }
}

parsed_text!(TrackingNumber);

/// What the format check says about a tracking number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatCheck {
    /// It has the shape and check digit of one of the courier's formats (named).
    Valid(&'static str),
    /// The courier's formats are known and the number fits none of them.
    Invalid { expected: &'static str },
    /// trustdesk knows no number format for this courier: nothing to check.
    Unchecked,
}

impl FormatCheck {
    pub fn is_invalid(self) -> bool {
        matches!(self, FormatCheck::Invalid { .. })
    }
}

/// Checks `number` against the formats `courier` uses.
pub fn check_format(courier: &Courier, number: &TrackingNumber) -> FormatCheck {
    let n = number.as_str();
    let (found, expected) = match courier.as_str() {
        "ups" => (
            ups(n),
            "1Z followed by 16 letters and digits, with a valid check digit",
        ),
        "fedex" => (
            fedex(n),
            "12, 15, 20, 22 or 34 digits with a valid check digit",
        ),
        "usps" => (
            usps(n).or_else(|| s10(n)),
            "20-34 digits (USPS) or an S10 number like RB123456785US",
        ),
        "dhl" => (dhl(n), "10 or 11 digits with a valid check digit"),
        "amazon" => (amazon(n), "TBA followed by 12 digits"),
        "ontrac" => (
            ontrac(n),
            "C or D followed by 14 digits, with a valid check digit",
        ),
        "poczta-polska" | "posta-romana" | "pos-indonesia" | "s10" => (
            s10(n),
            "an S10 number: 2 letters, 9 digits, a country code (RB123456785PL)",
        ),
        "inpost" => (digits_of_len(n, 24, "InPost"), "24 digits"),
        "dpd" => (digits_of_len(n, 14, "DPD"), "14 digits"),
        _ => return FormatCheck::Unchecked,
    };
    match found {
        Some(format) => FormatCheck::Valid(format),
        None => FormatCheck::Invalid { expected },
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn digit(b: u8) -> u32 {
    u32::from(b - b'0')
}

fn digits_of_len(n: &str, len: usize, name: &'static str) -> Option<&'static str> {
    (n.len() == len && all_digits(n)).then_some(name)
}

/// Check digit of the GS1 / USPS kind: from the right, weights 3, 1, 3, …; the digit that
/// brings the sum to a multiple of 10. `serial` is all digits.
fn gs1_check(serial: &str) -> u32 {
    let sum: u32 = serial
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| digit(b) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10
}

fn gs1_valid(number: &str) -> bool {
    all_digits(number) && {
        let (serial, check) = number.split_at(number.len() - 1);
        gs1_check(serial) == digit(check.as_bytes()[0])
    }
}

/// UPS and OnTrac: from the left, odd positions ×1 and even ×2, letters counted as
/// `(ASCII − 3) mod 10`; the digit that brings the sum to a multiple of 10.
fn alternating_check(serial: &str) -> Option<u32> {
    let mut sum = 0;
    for (i, b) in serial.bytes().enumerate() {
        let v = match b {
            b'0'..=b'9' => digit(b),
            b'A'..=b'Z' => (u32::from(b) - 3) % 10,
            _ => return None,
        };
        sum += if i % 2 == 1 { v * 2 } else { v };
    }
    Some((10 - sum % 10) % 10)
}

fn ups(n: &str) -> Option<&'static str> {
    let body = n.strip_prefix("1Z")?;
    if body.len() != 16 || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (serial, check) = body.split_at(15);
    let check = check.as_bytes()[0];
    (check.is_ascii_digit() && alternating_check(serial)? == digit(check)).then_some("UPS")
}

fn ontrac(n: &str) -> Option<&'static str> {
    if n.len() != 15 || !(n.starts_with('C') || n.starts_with('D')) || !all_digits(&n[1..]) {
        return None;
    }
    let (serial, check) = n.split_at(14);
    (alternating_check(serial)? == digit(check.as_bytes()[0])).then_some("OnTrac")
}

/// FedEx Express: 12 digits, weights 3, 1, 7 from the left over the first 11, sum mod 11
/// mod 10.
fn fedex_express_check(twelve: &str) -> bool {
    const WEIGHTS: [u32; 3] = [3, 1, 7];
    let (serial, check) = twelve.split_at(11);
    let sum: u32 = serial
        .bytes()
        .enumerate()
        .map(|(i, b)| digit(b) * WEIGHTS[i % 3])
        .sum();
    sum % 11 % 10 == digit(check.as_bytes()[0])
}

fn fedex(n: &str) -> Option<&'static str> {
    if !all_digits(n) {
        return None;
    }
    match n.len() {
        12 if fedex_express_check(n) => Some("FedEx Express (12)"),
        // FedEx Express 34 and Ground GSN: the last 12 digits are an Express number.
        34 if (n.starts_with("10") || n.starts_with("96")) && fedex_express_check(&n[22..]) => {
            Some("FedEx (34)")
        }
        15 if gs1_valid(n) => Some("FedEx Ground"),
        18 if gs1_valid(n) => Some("FedEx Ground (SSCC-18)"),
        // Ground 96: application id 96, the last 15 digits a Ground number.
        22 if n.starts_with("96") && gs1_valid(&n[7..]) => Some("FedEx Ground 96"),
        // SmartPost: shown with or without its leading 92.
        22 if n.starts_with("92") && gs1_valid(n) => Some("FedEx SmartPost"),
        20 if gs1_valid(&format!("92{n}")) => Some("FedEx SmartPost"),
        _ => None,
    }
}

fn usps(n: &str) -> Option<&'static str> {
    if !all_digits(n) {
        return None;
    }
    if n.len() == 20 {
        if gs1_valid(n) {
            return Some("USPS 20");
        }
        // Certified Mail numbers (71…) are printed without their 91 application id.
        if n.starts_with("71") && gs1_valid(&format!("91{n}")) {
            return Some("USPS 91");
        }
    }
    // An IMpb barcode may carry routing in front: 420 + ZIP (5) or 420 + ZIP+4 (9).
    let bare = match n.len() {
        30 if n.starts_with("420") => &n[8..],
        34 if n.starts_with("420") => &n[12..],
        _ => n,
    };
    let application = bare.get(..2)?;
    let known = matches!(application, "91" | "92" | "93" | "94" | "95");
    (known && (20..=26).contains(&bare.len()) && gs1_valid(bare)).then_some("USPS 91")
}

/// DHL Express: 10 or 11 digits, the last the remainder of the rest divided by 7.
fn dhl(n: &str) -> Option<&'static str> {
    if !all_digits(n) || !(10..=11).contains(&n.len()) {
        return None;
    }
    let (serial, check) = n.split_at(n.len() - 1);
    let serial: u64 = serial.parse().ok()?;
    ((serial % 7) as u32 == digit(check.as_bytes()[0])).then_some("DHL Express")
}

fn amazon(n: &str) -> Option<&'static str> {
    let rest = n.strip_prefix("TBA")?;
    (rest.len() == 12 && all_digits(rest)).then_some("Amazon Logistics")
}

/// UPU S10: service letters, 8 digits, a check digit (weights 8 6 4 2 3 5 9 7, mod 11), and
/// the ISO 3166 code of the issuing country.
fn s10(n: &str) -> Option<&'static str> {
    let b = n.as_bytes();
    if b.len() != 13
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !all_digits(&n[2..11])
        || !crate::country::is_iso_alpha2(&n[11..])
    {
        return None;
    }
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = b[2..10]
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| digit(d) * w)
        .sum();
    let check = match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        c => c,
    };
    (check == digit(b[10])).then_some("S10")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(courier: &str, number: &str) -> FormatCheck {
        check_format(
            &Courier::parse(courier).unwrap(),
            &TrackingNumber::parse(number).unwrap(),
        )
    }

    #[test]
    fn couriers_are_canonical() {
        assert_eq!(Courier::parse("DHL Express").unwrap().as_str(), "dhl");
        assert_eq!(
            Courier::parse(" Poczta  Polska ").unwrap().as_str(),
            "poczta-polska"
        );
        assert_eq!(
            Courier::parse("Poșta Română").unwrap().as_str(),
            "posta-romana"
        );
        assert_eq!(
            Courier::parse("FAN Courier").unwrap().as_str(),
            "fan-courier"
        );
        assert!(Courier::parse(" - ").is_err());
    }

    #[test]
    fn numbers_and_formats() {
        assert_eq!(TrackingNumber::parse(" 1z 5r8 ").unwrap().as_str(), "1Z5R8");
        assert!(TrackingNumber::parse("1Z").is_err());
        assert!(TrackingNumber::parse("1Z<script>").is_err());
        assert_eq!(
            check("ups", "1Z5R89390357567127"),
            FormatCheck::Valid("UPS")
        );
        assert!(check("ups", "1Z2345").is_invalid());
        assert_eq!(
            check("poczta-polska", "RR123456785PL"),
            FormatCheck::Valid("S10")
        );
        assert!(check("inpost", "12345").is_invalid());
        assert_eq!(check("fan-courier", "anything1"), FormatCheck::Unchecked);
    }
}
