//! The `[time]` section of a spec: window, slide, baseline and lateness as durations.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Windows, baseline and lateness, as durations like `30s`, `5m`, `24h`, `2d`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpec {
    /// Length of the current window.
    #[serde(default = "d5m")]
    pub window: String,
    /// How far the window slides between scores.
    #[serde(default = "d1m")]
    pub slide: String,
    /// Length of the baseline before the window.
    #[serde(default = "d24h")]
    pub baseline: String,
    /// How late (behind the newest event of its input) an event may arrive and still count.
    #[serde(default = "d1m")]
    pub lateness: String,
}

fn d5m() -> String {
    "5m".into()
}
fn d1m() -> String {
    "1m".into()
}
fn d24h() -> String {
    "24h".into()
}

impl Default for TimeSpec {
    fn default() -> Self {
        TimeSpec {
            window: d5m(),
            slide: d1m(),
            baseline: d24h(),
            lateness: d1m(),
        }
    }
}

/// Validated time settings, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// Window length.
    pub window: u64,
    /// Slide.
    pub slide: u64,
    /// Baseline length.
    pub baseline: u64,
    /// Allowed lateness.
    pub lateness: u64,
}

impl TimeSpec {
    /// Parses and checks the durations: the slide divides the window, and the window
    /// divides the baseline.
    pub fn windows(&self) -> Result<Windows> {
        let w = Windows {
            window: parse_duration("time.window", &self.window)?,
            slide: parse_duration("time.slide", &self.slide)?,
            baseline: parse_duration("time.baseline", &self.baseline)?,
            lateness: parse_duration_or_zero("time.lateness", &self.lateness)?,
        };
        if w.window % w.slide != 0 || w.baseline % w.slide != 0 {
            return Err(Error::invalid(
                "time",
                format!(
                    "slide {} must divide window {} and baseline {}",
                    self.slide, self.window, self.baseline
                ),
            ));
        }
        Ok(w)
    }
}

/// Parses a duration like `90s`, `5m`, `24h`, `2d` (or a bare number of seconds).
pub fn parse_duration(what: &'static str, text: &str) -> Result<u64> {
    let secs = parse_duration_or_zero(what, text)?;
    if secs == 0 {
        return Err(Error::invalid(
            what,
            format!("{text:?} must be longer than zero"),
        ));
    }
    Ok(secs)
}

/// Like [`parse_duration`], but zero (`0s`) is allowed.
pub fn parse_duration_or_zero(what: &'static str, text: &str) -> Result<u64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match num.parse::<u64>() {
        Ok(n) if mult > 0 => Ok(n * mult),
        _ => Err(Error::invalid(
            what,
            format!("{text:?} is not a duration: use a number with s, m, h or d (e.g. 5m)"),
        )),
    }
}
