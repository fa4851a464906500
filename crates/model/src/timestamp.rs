//! Timestamps in Discord's wire form, `2025-01-01T00:00:00.000000+00:00`.
//!
//! Strict clients reject shorter forms such as `2025-01-01T00:00:00Z` (client-libraries.md §0
//! item 8), so output is always microseconds with an explicit `+00:00`. Input accepts any
//! RFC 3339 timestamp.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// A point in time with microsecond precision, always shown in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    micros: i64,
}

/// The timestamp could not be parsed or is out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ISO 8601 timestamp")]
pub struct ParseTimestampError;

impl Timestamp {
    /// From microseconds since the Unix epoch.
    pub const fn from_micros(micros: i64) -> Self {
        Self { micros }
    }

    /// From milliseconds since the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self { micros: millis.saturating_mul(1000) }
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> i64 {
        self.micros
    }

    /// Milliseconds since the Unix epoch (floored).
    pub const fn as_millis(self) -> i64 {
        self.micros.div_euclid(1000)
    }

    /// Whole seconds since the Unix epoch (floored), as TYPING_START's `timestamp` wants.
    pub const fn as_secs(self) -> i64 {
        self.micros.div_euclid(1_000_000)
    }

    /// Parses any RFC 3339 timestamp.
    pub fn parse(s: &str) -> Result<Self, ParseTimestampError> {
        let dt = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| ParseTimestampError)?;
        let nanos = dt.unix_timestamp_nanos();
        let micros = i64::try_from(nanos.div_euclid(1000)).map_err(|_| ParseTimestampError)?;
        Ok(Self { micros })
    }

    /// The instant as a date, clamped to years 0000–9999: ids and arithmetic can produce any
    /// i64, but a timestamp on the wire must always print (serializing must never fail).
    fn to_datetime(self) -> Option<OffsetDateTime> {
        const MIN_MICROS: i64 = -62_167_219_200_000_000; // 0000-01-01T00:00:00Z
        const MAX_MICROS: i64 = 253_402_300_799_999_999; // 9999-12-31T23:59:59.999999Z
        let micros = self.micros.clamp(MIN_MICROS, MAX_MICROS);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00");
        let text = self
            .to_datetime()
            .map(|dt| dt.to_offset(UtcOffset::UTC))
            .and_then(|dt| dt.format(&format).ok())
            .ok_or(fmt::Error)?;
        f.write_str(&text)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = ParseTimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_discord() {
        let t = Timestamp::from_millis(1_735_689_600_000);
        assert_eq!(t.to_string(), "2025-01-01T00:00:00.000000+00:00");
        assert_eq!(Timestamp::from_micros(1_735_689_600_123_456).to_string(), "2025-01-01T00:00:00.123456+00:00");
    }

    #[test]
    fn extreme_values_still_print() {
        for micros in [i64::MIN, i64::MAX, -62_167_219_200_000_001, 253_402_300_800_000_000] {
            let text = serde_json::to_string(&Timestamp::from_micros(micros)).unwrap();
            assert!(text.starts_with("\"0000-01-01T") || text.starts_with("\"9999-12-31T"), "{text}");
        }
    }

    #[test]
    fn parses_rfc3339_variants() {
        let want = Timestamp::from_millis(1_735_689_600_000);
        for s in [
            "2025-01-01T00:00:00.000000+00:00",
            "2025-01-01T00:00:00Z",
            "2025-01-01T01:00:00+01:00",
            "2025-01-01T00:00:00.000Z",
        ] {
            assert_eq!(Timestamp::parse(s).unwrap(), want, "{s}");
        }
    }

    #[test]
    fn round_trips_through_json() {
        let t = Timestamp::from_micros(1_700_000_000_000_001);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json.len(), 34); // 32 characters plus quotes
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "2025-13-01T00:00:00Z", "yesterday", "2025-01-01"] {
            assert!(Timestamp::parse(s).is_err(), "{s}");
        }
    }
}
