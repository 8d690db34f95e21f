//! RFC 3339 timestamps to and from nanoseconds since the Unix epoch.
//!
//! Hand-written because timestamps are parsed once per record on the hot path: this runs in
//! a few nanoseconds and allocates nothing.

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Parses an RFC 3339 timestamp (`2024-08-01T13:33:28.644756356Z`, `...+02:00`, a space
/// instead of `T`, up to nine fractional digits) into nanoseconds since the Unix epoch.
///
/// Returns `None` for anything that is not a valid timestamp.
///
/// ```
/// use auditflow::event::time::parse_rfc3339_ns;
/// assert_eq!(parse_rfc3339_ns("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
/// assert_eq!(parse_rfc3339_ns("1970-01-01T01:00:00+01:00"), Some(0));
/// assert_eq!(parse_rfc3339_ns("yesterday"), None);
/// ```
pub fn parse_rfc3339_ns(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(&b[0..4])? as i64;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])? as i64;
    let minute = digits(&b[14..16])? as i64;
    let second = digits(&b[17..19])? as i64;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..9 {
            nanos *= 10;
        }
    }
    let offset_secs: i64 = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = digits(&b[i + 1..i + 3])? as i64;
            let om = digits(&b[i + 4..i + 6])? as i64;
            let off = oh * 3600 + om * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month as i64, day as i64);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    secs.checked_mul(NANOS_PER_SEC)?.checked_add(nanos)
}

/// Formats nanoseconds since the epoch as RFC 3339 UTC, with as many fractional digits as
/// needed (none, 3, 6 or 9).
///
/// ```
/// use auditflow::event::time::format_rfc3339;
/// assert_eq!(format_rfc3339(1_500_000_000), "1970-01-01T00:00:01.500Z");
/// assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
/// ```
pub fn format_rfc3339(ns: i64) -> String {
    let secs = ns.div_euclid(NANOS_PER_SEC);
    let frac = ns.rem_euclid(NANOS_PER_SEC);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Nanoseconds in an i64 span the years 1677-2262: always four digits.
    let (y, m, d) = civil_from_days(days);
    // Written digit by digit: every scored window's times go through here.
    let mut out = String::with_capacity(30);
    push_digits(&mut out, y as u64, 4);
    out.push('-');
    push_digits(&mut out, u64::from(m), 2);
    out.push('-');
    push_digits(&mut out, u64::from(d), 2);
    out.push('T');
    push_digits(&mut out, (sod / 3600) as u64, 2);
    out.push(':');
    push_digits(&mut out, ((sod / 60) % 60) as u64, 2);
    out.push(':');
    push_digits(&mut out, (sod % 60) as u64, 2);
    push_fraction(&mut out, frac);
    out.push('Z');
    out
}

/// The fraction of a second, if any, in the fewest of 3, 6 or 9 digits.
fn push_fraction(out: &mut String, frac: i64) {
    if frac == 0 {
        return;
    }
    out.push('.');
    let frac = frac as u64;
    if frac % 1_000_000 == 0 {
        push_digits(out, frac / 1_000_000, 3);
    } else if frac % 1_000 == 0 {
        push_digits(out, frac / 1_000, 6);
    } else {
        push_digits(out, frac, 9);
    }
}

/// `value` zero-padded to exactly `width` digits (`value < 10^width`).
fn push_digits(out: &mut String, value: u64, width: u32) {
    let mut div = 10u64.pow(width - 1);
    while div > 0 {
        out.push(char::from(b'0' + ((value / div) % 10) as u8));
        div /= 10;
    }
}

/// Seconds since the epoch as RFC 3339 UTC.
pub fn format_rfc3339_secs(secs: i64) -> String {
    format_rfc3339(secs * NANOS_PER_SEC)
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_shapes() {
        assert_eq!(
            parse_rfc3339_ns("2019-06-03T11:12:52.644756356Z"),
            Some(1_559_560_372_644_756_356)
        );
        assert_eq!(
            parse_rfc3339_ns("2024-08-01T13:33:28Z"),
            Some(1_722_519_208 * NANOS_PER_SEC)
        );
        assert_eq!(
            parse_rfc3339_ns("2024-08-01 15:33:28+02:00"),
            Some(1_722_519_208 * NANOS_PER_SEC)
        );
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "2024-02-30T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T25:00:00Z",
            "2024-01-01T00:00:00Zjunk",
        ] {
            assert_eq!(parse_rfc3339_ns(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_over_centuries() {
        for days in (-50_000..60_000).step_by(997) {
            let ns = days as i64 * 86_400 * NANOS_PER_SEC + 3_723_000_000_123;
            assert_eq!(parse_rfc3339_ns(&format_rfc3339(ns)), Some(ns));
        }
    }

    /// The formatter as `format!` writes it, for comparison.
    fn with_format(ns: i64) -> String {
        let (secs, frac) = (ns.div_euclid(NANOS_PER_SEC), ns.rem_euclid(NANOS_PER_SEC));
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let (h, min, s) = (sod / 3600, (sod / 60) % 60, sod % 60);
        let fraction = match frac {
            0 => String::new(),
            f if f % 1_000_000 == 0 => format!(".{:03}", f / 1_000_000),
            f if f % 1_000 == 0 => format!(".{:06}", f / 1_000),
            f => format!(".{f:09}"),
        };
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}{fraction}Z")
    }

    #[test]
    fn digit_writer_equals_format() {
        let fractions = [0, 5, 1_000, 120_000, 1_000_000, 999_000_000, 999_999_999];
        for days in (-106_000..106_000i64).step_by(997) {
            for (i, frac) in fractions.iter().enumerate() {
                let secs = days * 86_400 + (i as i64 * 7_919) % 86_400;
                let ns = secs * NANOS_PER_SEC + frac;
                assert_eq!(format_rfc3339(ns), with_format(ns), "{ns}");
            }
        }
        for ns in [i64::MIN, i64::MAX, -1, 0] {
            assert_eq!(format_rfc3339(ns), with_format(ns), "{ns}");
        }
    }
}
