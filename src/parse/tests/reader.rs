use super::ok;
use crate::event::Position;
use crate::parse::{
    detect_layout, expand_line, parse_record, read_records, split_document, Format, Layout,
    ParseError,
};
use flate2::write::GzEncoder;
use std::io::Write;
use std::sync::Arc;

const GCP: &str = r#"{"insertId":"i","timestamp":"2024-01-01T00:00:00Z","protoPayload":{"serviceName":"s","methodName":"m","authenticationInfo":{"principalEmail":"a@b.c"}}}"#;
const CT: &str = r#"{"eventTime":"2024-01-01T00:00:00Z","eventName":"E","eventSource":"s","userIdentity":{"type":"Root"}}"#;

type Got = Vec<(u64, u64, Result<String, ParseError>)>;

fn read(input: &[u8], limit: usize) -> Got {
    let mut got = Got::new();
    read_records(input, Arc::from("f"), limit, &mut |p: Position, r| {
        let r = r.map(|raw| String::from_utf8_lossy(raw).into_owned());
        got.push((p.offset, p.line.unwrap(), r));
    });
    got
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn parse_reader_json_lines_positions() {
    let input = format!("{GCP}\n\n   \r\n{CT}\r\n{GCP}");
    let got = read(input.as_bytes(), 1 << 20);
    let second = GCP.len() as u64 + 1 + 1 + 5;
    let third = second + CT.len() as u64 + 2;
    assert_eq!(
        got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
        [(0, 1), (second, 4), (third, 5)]
    );
    assert_eq!(got[1].2.as_deref(), Ok(CT), "\\r stripped");
    assert_eq!(
        ok(Format::Auto, got[1].2.as_ref().unwrap()).principal,
        "root"
    );
}

#[test]
fn parse_reader_long_line_is_one_error() {
    let long = format!(r#"{{"pad":"{}"}}"#, "x".repeat(10 << 20));
    for first in [true, false] {
        let input = match first {
            true => format!("{long}\n{GCP}\n"),
            false => format!("{GCP}\n{long}\n{GCP}\n"),
        };
        let got = read(input.as_bytes(), 1 << 20);
        let errs: Vec<_> = got.iter().filter(|g| g.2.is_err()).collect();
        assert_eq!(errs.len(), 1, "first={first}");
        assert_eq!(
            errs[0].2,
            Err(ParseError::TooLarge {
                size: long.len(),
                limit: 1 << 20
            })
        );
        assert_eq!(
            got.iter().filter(|g| g.2.is_ok()).count(),
            if first { 1 } else { 2 }
        );
    }
}

#[test]
fn parse_reader_documents() {
    let pretty = format!("[\n  {GCP},\n\n  {CT}\n]\n");
    let got = read(pretty.as_bytes(), 1 << 20);
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].0, got[0].1), (4, 2));
    assert_eq!((got[1].1, got[1].2.as_deref()), (4, Ok(CT)));
    let records = format!("{{\"Records\": [\n{CT},\n{CT}\n]}}");
    assert_eq!(read(records.as_bytes(), 1 << 20).len(), 2);
    let single = format!("\n{{\n  \"detail-type\": \"x\",\n  \"detail\": {CT}\n}}\n");
    let got = read(single.as_bytes(), 1 << 20);
    assert_eq!((got.len(), got[0].1), (1, 2));
    assert_eq!(
        ok(Format::Auto, got[0].2.as_ref().unwrap()).principal,
        "root"
    );
}

#[test]
fn parse_reader_records_batch_per_line() {
    let input = format!("{{\"Records\":[{CT},{CT}]}}\n{GCP}\n");
    let got = read(input.as_bytes(), 1 << 20);
    assert_eq!(got.len(), 3);
    assert_eq!(
        (got[0].0, got[1].0, got[1].1, got[2].1),
        (12, 13 + CT.len() as u64, 1, 2)
    );
    let mut n = 0;
    expand_line(format!("{{\"Records\":[{CT}]}}").as_bytes(), |r| {
        assert_eq!(r, CT.as_bytes());
        n += 1;
    })
    .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn parse_reader_gzip_and_truncation() {
    let mut plain = String::new();
    for _ in 0..2000 {
        plain.push_str(GCP);
        plain.push('\n');
    }
    let gz = gzip(plain.as_bytes());
    let got = read(&gz, 1 << 20);
    assert!(got.len() == 2000 && got.iter().all(|g| g.2.is_ok()));
    let mut two = gz.clone();
    two.extend_from_slice(&gzip(format!("{CT}\n").as_bytes()));
    assert_eq!(read(&two, 1 << 20).len(), 2001, "multi-member gzip");

    let cut = &gz[..gz.len() / 2];
    let got = read(cut, 1 << 20);
    let (good, bad): (Vec<_>, Vec<_>) = got.iter().partition(|g| g.2.is_ok());
    assert!(!good.is_empty() && good.len() < 2000);
    assert!(
        good.iter().all(|g| g.2.as_deref() == Ok(GCP)),
        "only complete records"
    );
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(matches!(bad[0].2, Err(ParseError::Decompress(_))));

    let doc = gzip(format!("[{CT},\n{CT},\n{CT}]").as_bytes());
    let got = read(&doc[..doc.len() - 12], 1 << 20);
    assert!(
        matches!(got.last().unwrap().2, Err(ParseError::Decompress(_))),
        "{got:?}"
    );
}

#[test]
fn parse_reader_invalid_utf8_only_that_record() {
    let mut input = format!("{GCP}\n{GCP}\n{GCP}\n").into_bytes();
    input[GCP.len() + 1 + 20] = 0xfe;
    let mut results = Vec::new();
    read_records(&input[..], Arc::from("f"), 1 << 20, &mut |p, r| {
        results.push(
            r.and_then(|raw| parse_record(Format::Auto, raw, &p))
                .map(|_| ()),
        );
    });
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(results[1], Err(ParseError::InvalidUtf8(20)));
}

#[test]
fn parse_reader_broken_first_line_falls_back_to_lines() {
    let input = format!("{{\"a\": tru\n{GCP}\n{GCP}\n");
    let got = read(input.as_bytes(), 1 << 20);
    assert_eq!(got.len(), 3);
    assert_eq!(got.iter().filter(|g| g.2.as_deref() == Ok(GCP)).count(), 2);
}

#[test]
fn parse_layout_detection_and_split() {
    assert_eq!(detect_layout(b"  [\n{}"), Layout::Document);
    assert_eq!(detect_layout(b"{\"a\":1}\n{\"a\""), Layout::JsonLines);
    assert_eq!(
        detect_layout(b"\xEF\xBB\xBF{\"a\":\"}\\\"\"}  \n"),
        Layout::JsonLines
    );
    assert_eq!(detect_layout(b"{\n  \"a\": 1\n}\n"), Layout::Document);
    assert_eq!(detect_layout(b"{\"a\":[1,2"), Layout::Document);
    assert_eq!(detect_layout(b"xyz"), Layout::Document);
    assert_eq!(detect_layout(b"\n\n"), Layout::JsonLines);
    let mut seen = Vec::new();
    let doc = br#"[ {"s":"]}\"["}, [1], 2 ]"#;
    split_document(doc, |off, r| seen.push((off, r.to_vec()))).unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0], (2, br#"{"s":"]}\"["}"#.to_vec()));
    assert!(split_document(b"[{\"a\":1}, {\"b\"", |_, _| {}).is_err());
    assert!(split_document(b"42", |_, _| {}).is_err());
    assert!(split_document(b"[\"unterminated", |_, _| {}).is_err());
}
