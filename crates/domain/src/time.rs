//! Instants as stored: microseconds since the Unix epoch, the same integer on every backend.

pub use jiff::Timestamp;

/// Microseconds since the epoch, as stored in the database.
pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// The instant for stored microseconds; out-of-range values clamp to the nearest valid instant.
pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(if us < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// Now, truncated to whole microseconds so a value reads back equal to what was written.
pub fn now() -> Timestamp {
    from_micros(to_micros(Timestamp::now()))
}
