//! A small, fast JSON writer for generated records, and id and time formatting.

use super::rng::{hash, mix64};
use crate::event::time::{civil_from_days, NANOS_PER_SEC};

/// Appends raw bytes (already valid JSON).
#[inline]
pub(crate) fn raw(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

/// Appends `s` as a quoted, escaped JSON string.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&b[start..i]);
                out.extend_from_slice(format!("\\u{:04x}", c).as_bytes());
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

/// Appends `"key":"value"` followed by a comma.
#[inline]
pub(crate) fn field(out: &mut Vec<u8>, key: &str, value: &str) {
    out.push(b'"');
    raw(out, key);
    raw(out, "\":");
    string(out, value);
    out.push(b',');
}

/// Appends an unsigned integer.
pub(crate) fn uint(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn two(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// Appends a quoted RFC 3339 UTC timestamp with 9 fractional digits (`nanos`) or none.
pub(crate) fn time(out: &mut Vec<u8>, ns: i64, nanos: bool) {
    let secs = ns.div_euclid(NANOS_PER_SEC);
    let frac = ns.rem_euclid(NANOS_PER_SEC) as u64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    out.push(b'"');
    two(out, (y / 100) as u32);
    two(out, (y % 100) as u32);
    out.push(b'-');
    two(out, m);
    out.push(b'-');
    two(out, d);
    out.push(b'T');
    two(out, sod / 3600);
    out.push(b':');
    two(out, sod / 60 % 60);
    out.push(b':');
    two(out, sod % 60);
    if nanos {
        out.push(b'.');
        let start = out.len();
        uint(out, frac + 1_000_000_000);
        out.remove(start);
    }
    out.extend_from_slice(b"Z\"");
}

/// Appends a dotted IPv4 address (unquoted).
pub(crate) fn ipv4(out: &mut Vec<u8>, ip: u32) {
    for (i, shift) in [24, 16, 8, 0].into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        uint(out, ((ip >> shift) & 0xff) as u64);
    }
}

/// The unique 64-bit id of event `seq` of principal `p` (a bijection of `(p, seq)` for a
/// given seed).
pub(crate) fn id_bits(seed: u64, p: u32, seq: u32) -> u64 {
    mix64(((p as u64) << 32 | seq as u64) ^ hash(&[seed, 0x6576_6964]))
}

/// A GCP `insertId`-like string: 13 lowercase base-36 digits of the id bits.
pub(crate) fn insert_id(bits: u64) -> String {
    const ALPHA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut s = [b'0'; 13];
    let mut v = bits;
    for c in s.iter_mut().rev() {
        *c = ALPHA[(v % 36) as usize];
        v /= 36;
    }
    String::from_utf8(s.to_vec()).expect("ascii")
}

/// A version-4-shaped UUID holding all 64 id bits (unique when the bits are).
pub(crate) fn uuid(bits: u64) -> String {
    let r = mix64(bits ^ 0x5555_aaaa_5555_aaaa);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:04x}{:08x}",
        bits >> 32,
        (bits >> 16) & 0xffff,
        r & 0xfff,
        8 + ((r >> 12) & 3),
        (r >> 14) & 0xfff,
        bits & 0xffff,
        (r >> 32) & 0xffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::time::{format_rfc3339, parse_rfc3339_ns};

    #[test]
    fn strings_escape() {
        let mut out = Vec::new();
        string(&mut out, "a\"b\\c\n\u{1}é");
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, "a\"b\\c\n\u{1}é");
    }

    #[test]
    fn times_round_trip() {
        for ns in [0i64, 1_793_577_600_123_456_789, 1_793_577_601_000_000_000] {
            let mut out = Vec::new();
            time(&mut out, ns, true);
            let s = std::str::from_utf8(&out[1..out.len() - 1]).unwrap();
            assert_eq!(s.len(), 30, "{s}");
            assert_eq!(parse_rfc3339_ns(s), Some(ns));
            out.clear();
            time(&mut out, ns, false);
            let s = std::str::from_utf8(&out[1..out.len() - 1]).unwrap();
            assert_eq!(s, format_rfc3339(ns / NANOS_PER_SEC * NANOS_PER_SEC));
        }
    }

    #[test]
    fn ids_are_shaped() {
        let bits = id_bits(1, 2, 3);
        assert_eq!(insert_id(bits).len(), 13);
        let u = uuid(bits);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        let mut out = Vec::new();
        ipv4(&mut out, 0x0a00_01ff);
        assert_eq!(out, b"10.0.1.255");
    }
}
