//! One auditd record line: its header (`node=`, `type=`, `msg=audit(SECS.MILLIS:SERIAL):`)
//! and its `key=value` fields, hex-encoded values decoded.

use crate::parse::ParseError;
use std::borrow::Cow;

/// The header of one record line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// The `node=` name, when the line has one (logs gathered from many hosts).
    pub node: Option<&'a str>,
    /// The record type (`SYSCALL`, `USER_CMD`, `EOE`, ...).
    pub kind: &'a str,
    /// `SECS.MILLIS:SERIAL`, the event's identity on its node.
    pub stamp: &'a str,
    /// Event time, nanoseconds since the epoch.
    pub time_ns: i64,
    /// The event serial number.
    pub serial: u64,
    /// The fields after the header, up to the enrichment separator.
    pub body: &'a str,
    /// The enriched fields after the 0x1d separator (`UID="root" AUID="alice"`), or `""`.
    pub enriched: &'a str,
}

/// True if `line` looks like an auditd record (starts with `type=` or `node=`).
pub fn is_auditd_line(line: &[u8]) -> bool {
    let start = line.iter().position(|b| !b.is_ascii_whitespace());
    start.is_some_and(|i| line[i..].starts_with(b"type=") || line[i..].starts_with(b"node="))
}

/// Parses the header of one record line.
pub fn header(line: &str) -> Result<Header<'_>, ParseError> {
    let mut rest = line.trim();
    let mut node = None;
    if let Some(after) = rest.strip_prefix("node=") {
        let (name, tail) = after
            .split_once(' ')
            .ok_or(ParseError::MissingField("type"))?;
        node = Some(name);
        rest = tail.trim_start();
    }
    let after = rest
        .strip_prefix("type=")
        .ok_or(ParseError::MissingField("type"))?;
    let (kind, tail) = after.split_once(' ').unwrap_or((after, ""));
    if kind.is_empty() {
        return Err(ParseError::MissingField("type"));
    }
    let tail = tail.trim_start();
    let after = tail
        .strip_prefix("msg=audit(")
        .ok_or(ParseError::MissingField("msg=audit(TIME:SERIAL)"))?;
    let close = after
        .find(')')
        .ok_or(ParseError::MissingField("msg=audit(TIME:SERIAL)"))?;
    let stamp = &after[..close];
    let bad = || ParseError::BadTimestamp(stamp.to_owned());
    let (time, serial) = stamp.split_once(':').ok_or_else(bad)?;
    let (secs, frac) = time.split_once('.').unwrap_or((time, "0"));
    let secs: i64 = secs.parse().map_err(|_| bad())?;
    if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let frac_ns: i64 = frac.parse::<i64>().map_err(|_| bad())? * 10i64.pow(9 - frac.len() as u32);
    let serial: u64 = serial.parse().map_err(|_| bad())?;
    let time_ns = secs
        .checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(frac_ns))
        .ok_or_else(bad)?;
    let body = after[close + 1..]
        .strip_prefix(':')
        .unwrap_or(&after[close + 1..]);
    let (body, enriched) = body.split_once('\u{1d}').unwrap_or((body, ""));
    Ok(Header {
        node,
        kind,
        stamp,
        time_ns,
        serial,
        body,
        enriched,
    })
}

/// The `key=value` fields of a record body, in order. A `msg='...'` value (user-space
/// messages) contributes its own fields after the outer ones; words without `=` (`avc:
/// denied { read } for`) are kept with an empty key.
pub fn fields<'a>(kind: &str, body: &'a str) -> Vec<(&'a str, Cow<'a, str>)> {
    let mut out = Vec::new();
    collect(kind, body, &mut out);
    out
}

fn collect<'a>(kind: &str, text: &'a str, out: &mut Vec<(&'a str, Cow<'a, str>)>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b' ' {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b' ' {
            if i > start {
                out.push(("", Cow::Borrowed(&text[start..i])));
            }
            continue;
        }
        // Old PAM messages wrap fields in parentheses: `(hostname=?, addr=?, ...)`.
        let key = text[start..i].trim_start_matches('(');
        i += 1;
        match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = text[i + 1..]
                    .find(q as char)
                    .map_or(text.len(), |e| i + 1 + e);
                let value = &text[i + 1..end];
                i = (end + 1).min(text.len());
                if q == b'\'' && key == "msg" {
                    collect(kind, value, out);
                } else {
                    out.push((key, Cow::Borrowed(value)));
                }
            }
            _ => {
                let end = text[i..].find(' ').map_or(text.len(), |e| i + e);
                let value = text[i..end].trim_end_matches([',', ')']);
                i = end;
                out.push((key, decode_if_hex(kind, key, value)));
            }
        }
    }
}

/// Fields auditd writes hex-encoded when they hold spaces, quotes or control characters
/// (clean values are written in double quotes).
fn may_be_hex(kind: &str, key: &str) -> bool {
    let execve_argument = kind == "EXECVE"
        && key.len() > 1
        && key.starts_with('a')
        && key[1..].bytes().all(|b| b.is_ascii_digit());
    execve_argument
        || matches!(
            key,
            "proctitle" | "comm" | "exe" | "name" | "cwd" | "cmd" | "acct" | "path" | "new" | "old"
        )
}

/// Decodes an unquoted hex value of a field that may be hex-encoded; NUL separators (the
/// arguments of `proctitle`) become spaces.
fn decode_if_hex<'a>(kind: &str, key: &str, value: &'a str) -> Cow<'a, str> {
    let hex =
        value.len() >= 2 && value.len() % 2 == 0 && value.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex || !may_be_hex(kind, key) {
        return Cow::Borrowed(value);
    }
    let digit = |b: u8| (b as char).to_digit(16).expect("hex digit") as u8;
    let mut bytes: Vec<u8> = value
        .as_bytes()
        .chunks(2)
        .map(|pair| digit(pair[0]) << 4 | digit(pair[1]))
        .collect();
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    for b in bytes.iter_mut().filter(|b| **b == 0) {
        *b = b' ';
    }
    Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
}

/// The last value of `key` among `fields`.
pub fn get<'f>(fields: &'f [(&str, Cow<'_, str>)], key: &str) -> Option<&'f str> {
    fields
        .iter()
        .rev()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_with_node_and_enrichment() {
        let line = "node=web-1 type=USER_CMD msg=audit(1364481363.243:24287): pid=1 uid=1000 auid=1000 msg='cmd=6C73 res=success'\u{1d}UID=\"alice\" AUID=\"alice\"";
        let h = header(line).unwrap();
        assert_eq!(h.node, Some("web-1"));
        assert_eq!(h.kind, "USER_CMD");
        assert_eq!(h.stamp, "1364481363.243:24287");
        assert_eq!(h.time_ns, 1_364_481_363_243_000_000);
        assert_eq!(h.serial, 24287);
        assert_eq!(h.enriched, "UID=\"alice\" AUID=\"alice\"");
        let f = fields(h.kind, h.body);
        assert_eq!(get(&f, "cmd"), Some("ls"));
        assert_eq!(get(&f, "res"), Some("success"));
        assert_eq!(get(&f, "auid"), Some("1000"));
        assert_eq!(get(&fields("", h.enriched), "AUID"), Some("alice"));
    }

    #[test]
    fn hex_fields_are_decoded_only_where_auditd_encodes() {
        let f = fields("PROCTITLE", "proctitle=2F62696E2F7368002D63006C73");
        assert_eq!(get(&f, "proctitle"), Some("/bin/sh -c ls"));
        let f = fields("EXECVE", "argc=2 a0=\"ls\" a1=2D6C61");
        assert_eq!(get(&f, "a1"), Some("-la"));
        // SYSCALL arguments are numbers, not strings.
        let f = fields("SYSCALL", "a0=6c73 exe=\"/bin/ls\"");
        assert_eq!(get(&f, "a0"), Some("6c73"));
    }

    #[test]
    fn old_pam_parentheses_are_not_part_of_values() {
        let f = fields("USER_START", "msg='PAM: session open acct=root : exe=\"/usr/sbin/crond\" (hostname=?, addr=?, terminal=cron res=success)'");
        assert_eq!(get(&f, "addr"), Some("?"));
        assert_eq!(get(&f, "hostname"), Some("?"));
        assert_eq!(get(&f, "res"), Some("success"));
    }

    #[test]
    fn malformed_headers_are_errors() {
        for bad in [
            "hello world",
            "type=SYSCALL arch=c000003e",
            "type=SYSCALL msg=audit(abc:12): x=1",
            "type=SYSCALL msg=audit(1.2:): x=1",
            "type=SYSCALL msg=audit(1.2:3",
        ] {
            assert!(header(bad).is_err(), "{bad}");
        }
    }
}
