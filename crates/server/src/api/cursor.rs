//! Opaque page cursors. A cursor carries the keyset position (`before`) of the next page and
//! the kind of list it belongs to; clients must not build or read them, and a cursor from one
//! list is refused by another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

const VERSION: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CursorKind {
    Tickets = b't',
    Customers = b'c',
    Promises = b'p',
    Quarantine = b'q',
}

pub fn encode(kind: CursorKind, before: i64) -> String {
    let mut raw = [0u8; 10];
    raw[0] = VERSION;
    raw[1] = kind as u8;
    raw[2..].copy_from_slice(&before.to_be_bytes());
    URL_SAFE_NO_PAD.encode(raw)
}

/// The `before` key of a cursor, or 400 `invalid_cursor`.
pub fn decode(kind: CursorKind, cursor: &str) -> Result<i64, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "invalid_cursor",
            "`cursor` is not a cursor from this list; pass `next_cursor` back unchanged",
        )
    };
    // Decoding may need slack beyond the 10 bytes a cursor holds; anything longer is refused.
    let mut raw = [0u8; 12];
    match URL_SAFE_NO_PAD.decode_slice(cursor.as_bytes(), &mut raw) {
        Ok(10) => {}
        _ => return Err(invalid()),
    }
    if raw[0] != VERSION || raw[1] != kind as u8 {
        return Err(invalid());
    }
    let mut key = [0u8; 8];
    key.copy_from_slice(&raw[2..10]);
    let before = i64::from_be_bytes(key);
    if before <= 0 {
        return Err(invalid());
    }
    Ok(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_others() {
        for before in [1, 42, i64::MAX] {
            let c = encode(CursorKind::Tickets, before);
            assert_eq!(decode(CursorKind::Tickets, &c).unwrap(), before);
            assert!(decode(CursorKind::Customers, &c).is_err());
        }
        for bad in [
            "",
            "x",
            "AAAAAAAAAAAAAA",
            "!!!!",
            &encode(CursorKind::Tickets, 5).repeat(2),
        ] {
            assert_eq!(
                decode(CursorKind::Tickets, bad).unwrap_err().code(),
                "invalid_cursor"
            );
        }
        assert!(decode(CursorKind::Tickets, &encode(CursorKind::Tickets, 0)).is_err());
    }
}
