//! Exact money: a decimal amount and its ISO 4217 currency.
//!
//! Amounts are `rust_decimal::Decimal`, not integer minor units. Shop systems send decimal
//! strings ("409.94", "150000", "12.345"); a decimal keeps each exactly as sent without a
//! per-currency scaling table on the way in, unit prices may carry more places than the
//! currency's minor unit (tax-inclusive prices, bulk prices), and the minor unit of a currency
//! is not what people actually use (IDR officially has 2 decimals, shops print none). The
//! currency's exponent is still known here, for display and for checking that a total is a
//! payable amount. No floating point anywhere: JSON carries amounts as strings.

use std::fmt;
use std::str::FromStr;

pub use rust_decimal::Decimal;

use crate::ticket::InvalidValue;

/// Active ISO 4217 codes with their minor-unit exponent (`IDR2` = two decimals).
const CURRENCIES: &str = "AED2 AFN2 ALL2 AMD2 ANG2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 BBD2 BDT2 BGN2 \
    BHD3 BIF0 BMD2 BND2 BOB2 BRL2 BSD2 BTN2 BWP2 BYN2 BZD2 CAD2 CDF2 CHF2 CLP0 CNY2 COP2 CRC2 \
    CUP2 CVE2 CZK2 DJF0 DKK2 DOP2 DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2 GBP2 GEL2 GHS2 GIP2 GMD2 \
    GNF0 GTQ2 GYD2 HKD2 HNL2 HTG2 HUF2 IDR2 ILS2 INR2 IQD3 IRR2 ISK0 JMD2 JOD3 JPY0 KES2 KGS2 \
    KHR2 KMF0 KPW2 KRW0 KWD3 KYD2 KZT2 LAK2 LBP2 LKR2 LRD2 LSL2 LYD3 MAD2 MDL2 MGA2 MKD2 MMK2 \
    MNT2 MOP2 MRU2 MUR2 MVR2 MWK2 MXN2 MYR2 MZN2 NAD2 NGN2 NIO2 NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 \
    PGK2 PHP2 PKR2 PLN2 PYG0 QAR2 RON2 RSD2 RUB2 RWF0 SAR2 SBD2 SCR2 SDG2 SEK2 SGD2 SHP2 SLE2 \
    SOS2 SRD2 SSP2 STN2 SVC2 SYP2 SZL2 THB2 TJS2 TMT2 TND3 TOP2 TRY2 TTD2 TWD2 TZS2 UAH2 UGX0 \
    USD2 UYU2 UZS2 VES2 VND0 VUV0 WST2 XAF0 XCD2 XOF0 XPF0 YER2 ZAR2 ZMW2 ZWG2";

/// The most decimal places an amount may have (unit prices can be finer than cents).
pub const MAX_SCALE: u32 = 6;

/// An ISO 4217 currency code, upper-case (`EUR`, `IDR`, `PLN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");
    pub const IDR: Currency = Currency(*b"IDR");
    pub const PLN: Currency = Currency(*b"PLN");
    pub const RON: Currency = Currency(*b"RON");
    pub const USD: Currency = Currency(*b"USD");

    /// Accepts any case and surrounding space; refuses codes that are not active ISO 4217.
    pub fn parse(s: &str) -> Result<Currency, InvalidValue> {
        let t = s.trim().to_ascii_uppercase();
        let found = t.len() == 3
            && CURRENCIES
                .split_ascii_whitespace()
                .any(|entry| entry.starts_with(t.as_str()));
        if !found {
            return Err(InvalidValue {
                what: "currency",
                value: s.chars().take(16).collect(),
                expected: "an ISO 4217 code such as EUR, IDR, PLN, RON, USD",
            });
        }
        let b = t.as_bytes();
        Ok(Currency([b[0], b[1], b[2]]))
    }

    pub fn as_str(&self) -> &str {
        // Three ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Decimal places of the currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn exponent(&self) -> u32 {
        CURRENCIES
            .split_ascii_whitespace()
            .find(|e| e.as_bytes()[..3] == self.0)
            .and_then(|e| e[3..].parse().ok())
            .unwrap_or(2)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Parses a decimal amount as shop systems write it: `409.94`, `150000`, `-5.00`. Refuses
/// exponents, thousands separators and commas (`1,50` is ambiguous between locales), and more
/// than [`MAX_SCALE`] decimals. The scale is normalised away (`10.50` == `10.5`).
pub fn parse_amount(s: &str) -> Result<Decimal, InvalidValue> {
    let err = || InvalidValue {
        what: "amount",
        value: s.chars().take(32).collect(),
        expected: "a decimal number like 409.94 (a point, no thousands separators)",
    };
    let t = s.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (frac.len() as u32) <= MAX_SCALE
        && !(digits.contains('.') && frac.is_empty());
    if !well_formed {
        return Err(err());
    }
    Decimal::from_str(t)
        .map(|d| d.normalize())
        .map_err(|_| err())
}

/// An amount in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money {
            amount: amount.normalize(),
            currency,
        }
    }

    pub fn parse(amount: &str, currency: Currency) -> Result<Money, InvalidValue> {
        Ok(Money::new(parse_amount(amount)?, currency))
    }

    pub fn zero(currency: Currency) -> Money {
        Money::new(Decimal::ZERO, currency)
    }

    /// The sum, or `None` when the currencies differ or the sum overflows.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.amount.checked_add(other.amount))
            .flatten()
            .map(|a| Money::new(a, self.currency))
    }

    /// `amount × n`, for a line's quantity.
    pub fn checked_mul(self, n: u32) -> Option<Money> {
        self.amount
            .checked_mul(Decimal::from(n))
            .map(|a| Money::new(a, self.currency))
    }

    /// The amount as text with at least the currency's decimals: `409.90`, `150000`.
    pub fn amount_text(&self) -> String {
        let places = self.currency.exponent().max(self.amount.scale());
        let mut a = self.amount;
        a.rescale(places);
        a.to_string()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_text(), self.currency)
    }
}

/// JSON form: `{"amount": "409.94", "currency": "USD"}`, the amount always a string.
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &self.amount_text())?;
        st.serialize_field("currency", &self.currency)?;
        st.end()
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            amount: String,
            currency: Currency,
        }
        let raw = Raw::deserialize(d)?;
        Money::parse(&raw.amount, raw.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn currencies() {
        assert_eq!(Currency::parse(" usd ").unwrap(), Currency::USD);
        assert_eq!(Currency::parse("IDR").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        for bad in ["", "US", "USDD", "XYZ", "€", "12A"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_exact() {
        let a = Money::parse("0.10", Currency::EUR).unwrap();
        let b = Money::parse("0.20", Currency::EUR).unwrap();
        assert_eq!(
            a.checked_add(b).unwrap(),
            Money::parse("0.3", Currency::EUR).unwrap()
        );
        assert_eq!(a.checked_add(b).unwrap().amount_text(), "0.30");
        assert_eq!(
            Money::parse("150000", Currency::IDR).unwrap().to_string(),
            "150000.00 IDR"
        );
        assert_eq!(
            Money::parse("199", Currency::USD)
                .unwrap()
                .checked_mul(3)
                .unwrap()
                .amount_text(),
            "597.00"
        );
        assert_eq!(
            Money::parse("12.345", Currency::EUR).unwrap().amount_text(),
            "12.345"
        );
        assert!(a.checked_add(Money::zero(Currency::USD)).is_none());
        for bad in [
            "",
            "1,50",
            "1e3",
            "1.",
            ".5",
            "1 000",
            "12.1234567",
            "abc",
            "--1",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_amount("-5.00").unwrap(), Decimal::from(-5));
    }

    #[test]
    fn json_form() {
        let m = Money::parse("409.9", Currency::USD).unwrap();
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(j, r#"{"amount":"409.90","currency":"USD"}"#);
        assert_eq!(serde_json::from_str::<Money>(&j).unwrap(), m);
        assert!(serde_json::from_str::<Money>(r#"{"amount":409.9,"currency":"USD"}"#).is_err());
    }

    proptest! {
        #[test]
        fn text_round_trips(units in -1_000_000_000i64..1_000_000_000, scale in 0u32..=6) {
            let d = Decimal::new(units, scale);
            let m = Money::new(d, Currency::EUR);
            prop_assert_eq!(Money::parse(&m.amount_text(), Currency::EUR).unwrap(), m);
        }
    }
}
