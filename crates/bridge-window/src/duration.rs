//! Durations as operators write them in a CronJob's env: `4h`, `15m`,
//! `1h30m`, `2d`, `90s`, or a bare number of seconds; read with the one
//! duration syntax of every tool (`segment_bridge_core::duration`), which
//! also takes `1.5h` and `500ms`.

use std::fmt;
use std::str::FromStr;

/// A non-negative number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Secs(pub i64);

impl FromStr for Secs {
    type Err = String;

    /// The one duration syntax of every tool
    /// (`segment_bridge_core::duration`), in whole seconds (rounded up).
    fn from_str(s: &str) -> Result<Secs, String> {
        let secs = segment_bridge_core::duration::duration_secs(s)?;
        i64::try_from(secs)
            .map(Secs)
            .map_err(|_| format!("duration `{}` is too long", s.trim()))
    }
}

impl fmt::Display for Secs {
    /// `9h15m`, `4h`, `45s`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        if rest < 0 {
            f.write_str("-")?;
            rest = rest.saturating_neg();
        }
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, name) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] {
            if rest >= unit {
                write!(f, "{}{name}", rest / unit)?;
                rest %= unit;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_operators_write() {
        let p = |s: &str| s.parse::<Secs>().map(|d| d.0);
        assert_eq!(p("4h"), Ok(14_400));
        assert_eq!(p("15m"), Ok(900));
        assert_eq!(p("1h30m"), Ok(5400));
        assert_eq!(p("2d"), Ok(172_800));
        assert_eq!(p("90s"), Ok(90));
        assert_eq!(p("3600"), Ok(3600));
        assert_eq!(p(" 0 "), Ok(0));
        assert_eq!(p("1.5h"), Ok(5400));
        assert_eq!(p("1500ms"), Ok(2));
        for bad in ["", "h", "4x", "4h3", "-5", "99999999999999999999d"] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_compactly() {
        assert_eq!(Secs(33_300).to_string(), "9h15m");
        assert_eq!(Secs(14_400).to_string(), "4h");
        assert_eq!(Secs(90_061).to_string(), "1d1h1m1s");
        assert_eq!(Secs(0).to_string(), "0s");
        assert_eq!(Secs(-60).to_string(), "-1m");
    }
}
