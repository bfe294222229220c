//! The one duration syntax of every tool's options and environment
//! (timeouts, windows, lookbacks; docs/configuration.md): a number of
//! seconds, or numbers with units, one after another.

/// A duration as every tool writes them, for timeouts and windows: a
/// number of seconds (`90`, `2.5`), or numbers with units `ms`, `s`, `m`,
/// `h`, `d`, one after another (`30s`, `2m`, `1h30m`, `500ms`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("`{s}` is not a duration (such as 30s, 2m, 1h30m, 500ms, or seconds)");
    let t = s.trim();
    // Whole numbers are added exactly (in nanoseconds), so that every
    // duration a tool prints reads back as the same one, up to u64::MAX
    // seconds; only a fraction goes through f64.
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    if let Ok(secs) = t.parse::<f64>() {
        return std::time::Duration::try_from_secs_f64(secs).map_err(|_| bad());
    }
    if t.is_empty() {
        return Err(bad());
    }
    let mut nanos: u128 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (number, tail) = rest.split_at(digits);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let scale: u128 = match unit {
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            _ => return Err(bad()),
        };
        let part = match number.parse::<u64>() {
            Ok(n) => u128::from(n) * scale,
            Err(_) => {
                let n: f64 = number.parse().map_err(|_| bad())?;
                // Finite and not negative (no sign can be written); the
                // cast saturates past u128's range, refused below.
                (n * scale as f64).round() as u128
            }
        };
        nanos = nanos.checked_add(part).ok_or_else(bad)?;
        rest = next;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| bad())?;
    let sub = u32::try_from(nanos % 1_000_000_000).map_err(|_| bad())?;
    Ok(std::time::Duration::new(secs, sub))
}

/// [`parse_duration`] as whole seconds (rounded up, at least 1 for a
/// non-zero duration), for arguments kept as `u64` seconds.
pub fn duration_secs(s: &str) -> Result<u64, String> {
    let d = parse_duration(s)?;
    Ok(d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// [`parse_duration`] as fractional seconds.
pub fn duration_secs_f64(s: &str) -> Result<f64, String> {
    parse_duration(s).map(|d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_units_or_plain_seconds() {
        use std::time::Duration;
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(duration_secs("1500ms"), Ok(2));
        assert_eq!(duration_secs_f64("1m"), Ok(60.0));
        // Whole numbers add up exactly, however large (fuzz/regressions/duration).
        let big = "106751991167300d15h30m7s";
        assert_eq!(
            parse_duration(big).map(|d| d.as_secs()),
            Ok(106_751_991_167_300 * 86_400 + 15 * 3600 + 30 * 60 + 7)
        );
        assert_eq!(
            duration_secs("9223372036854775078s"),
            Ok(9_223_372_036_854_775_078)
        );
        assert!(
            parse_duration("213503982334601d").is_err(),
            "past u64 seconds"
        );
        for bad in ["", "s", "3 days", "-1s", "-5", "1.2.3s", "2w", "m5"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
