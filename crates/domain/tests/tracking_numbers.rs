//! Every labelled tracking number of the fixture set (97 numbers, 7 couriers, valid and
//! invalid) through the courier format check.

use trustdesk_domain::tracking::{FormatCheck, check_format};
use trustdesk_domain::{Courier, TrackingNumber};

const FIXTURE: &str = include_str!("fixtures/tracking-numbers/tracking_number_test_numbers.tsv");

#[test]
fn labelled_numbers_check_as_labelled() {
    let mut wrong = Vec::new();
    let mut rows = 0;
    for line in FIXTURE.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [code, _name, format, expected, number] = cols[..] else {
            panic!("bad fixture line {line:?}");
        };
        rows += 1;
        let courier = Courier::parse(code).unwrap();
        let result = match TrackingNumber::parse(number) {
            Ok(n) => check_format(&courier, &n),
            Err(_) => FormatCheck::Invalid { expected: "" },
        };
        assert_ne!(result, FormatCheck::Unchecked, "{code} has no formats");
        let valid = matches!(result, FormatCheck::Valid(_));
        if valid != (expected == "valid") {
            wrong.push(format!(
                "{code} {format} {number:?}: expected {expected}, got {result:?}"
            ));
        }
    }
    assert_eq!(rows, 97);
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
