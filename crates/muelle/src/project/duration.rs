//! Compose durations (`2s`, `1m30s`, `500ms`), used by health checks and
//! `stop_grace_period`.

use std::time::Duration;

/// Nanoseconds per unit, the units of Go's `time.ParseDuration`, which
/// compose uses.
const UNITS: [(&str, u128); 7] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses a compose duration such as `2s`, `1m30s`, `500ms` or `1.5h`.
///
/// The arithmetic is exact and checked: a value past what a [`Duration`]
/// holds is an error, never a panic.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let too_long = || format!("{text:?} is too long a duration");
    let mut total: u128 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("an empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("{text:?} lacks a unit (s, ms, m, h)"))?;
        let (whole, fraction) = rest[..digits]
            .split_once('.')
            .unwrap_or((&rest[..digits], ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(format!("{text:?} is not a duration"));
        }
        let unit_len = rest[digits..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len() - digits);
        let unit = &rest[digits..digits + unit_len];
        let (_, per_unit) = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .ok_or_else(|| format!("{text:?}: unknown unit {unit:?}"))?;
        let mut nanos = decimal(whole)
            .and_then(|n| n.checked_mul(*per_unit))
            .ok_or_else(too_long)?;
        // Fraction digits past the unit's nanosecond precision are dropped, as Go does.
        let mut scale = *per_unit;
        for digit in fraction.bytes() {
            scale /= 10;
            nanos = nanos
                .checked_add(u128::from(digit - b'0') * scale)
                .ok_or_else(too_long)?;
        }
        total = total.checked_add(nanos).ok_or_else(too_long)?;
        rest = &rest[digits + unit_len..];
    }
    let seconds = u64::try_from(total / 1_000_000_000).map_err(|_| too_long())?;
    // The remainder is below 10⁹, so it fits.
    Ok(Duration::new(seconds, (total % 1_000_000_000) as u32))
}

/// The value of a string of ASCII digits, `None` when it overflows.
fn decimal(digits: &str) -> Option<u128> {
    digits.bytes().try_fold(0u128, |n, d| {
        n.checked_mul(10)?.checked_add(u128::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration(".5s").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1h1ns").unwrap(), Duration::new(3600, 1));
        assert_eq!(parse_duration("3µs").unwrap(), Duration::from_micros(3));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration(".s").is_err());
        assert!(parse_duration("1.2.3s").is_err());
    }

    #[test]
    fn values_too_long_for_a_duration_are_errors_in_every_unit() {
        let longest = u128::from(u64::MAX) * 1_000_000_000 + 999_999_999;
        for (unit, per_unit) in UNITS {
            let fits = longest / per_unit;
            assert!(
                parse_duration(&format!("{fits}{unit}")).is_ok(),
                "{fits}{unit}"
            );
            for number in [(fits + 1).to_string(), "9".repeat(60)] {
                let text = format!("{number}{unit}");
                let err = parse_duration(&text).unwrap_err();
                assert_eq!(err, format!("{text:?} is too long a duration"));
            }
        }
        assert!(parse_duration("99999999999999999999h").is_err());
        // Each term fits, their sum does not.
        assert!(
            parse_duration("18446744073709551615s1s")
                .unwrap_err()
                .contains("too long")
        );
    }
}
