use super::{parse, pos};
use crate::parse::{parse_record, Format, ParseError, ParserOptions, DEFAULT_MAX_RECORD_BYTES};

const FORMATS: [Format; 3] = [Format::Gcp, Format::Cloudtrail, Format::Auto];

const GCP: &str = r#"{"insertId":"i","timestamp":"2024-01-01T00:00:00Z","protoPayload":{"serviceName":"s","methodName":"m","authenticationInfo":{"principalEmail":"a@b.c"},"requestMetadata":{"callerIp":"1.1.1.1","callerSuppliedUserAgent":"u"},"status":{"code":7}}}"#;
const CT: &str = r#"{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventName":"E","eventSource":"s","userIdentity":{"type":"IAMUser","userName":"u"},"errorCode":"AccessDenied","resources":[{"ARN":"a"}]}"#;

#[test]
fn parse_bad_malformed_json() {
    for raw in [
        "",
        "   ",
        "{",
        "{\"a\":}",
        "{\"a\":1,}",
        "[1,2",
        "nul",
        "{\"a\":1} trailing",
        "\"str",
    ] {
        for f in FORMATS {
            assert!(
                matches!(parse(f, raw), Err(ParseError::Json(_))),
                "{raw:?} {f}: {:?}",
                parse(f, raw)
            );
        }
    }
}

#[test]
fn parse_bad_not_an_object() {
    for raw in ["[]", "[{}]", "1", "\"s\"", "null", "true"] {
        for f in FORMATS {
            assert!(parse(f, raw).is_err(), "{raw} {f}");
        }
    }
}

#[test]
fn parse_bad_wrong_types() {
    let cases = [
        (
            GCP.replace(r#""code":7"#, r#""code":"7""#),
            "protoPayload.status.code",
            "integer",
        ),
        (
            GCP.replace(r#""principalEmail":"a@b.c""#, r#""principalEmail":5"#),
            "protoPayload.authenticationInfo.principalEmail",
            "string",
        ),
        (
            GCP.replace(r#""status":{"code":7}"#, r#""status":[]"#),
            "protoPayload.status",
            "object",
        ),
        (
            GCP.replace(
                r#""timestamp":"2024-01-01T00:00:00Z""#,
                r#""timestamp":1704067200"#,
            ),
            "timestamp",
            "string",
        ),
    ];
    for (raw, field, expected) in &cases {
        for f in [Format::Gcp, Format::Auto] {
            assert_eq!(
                parse(f, raw),
                Err(ParseError::WrongType { field, expected }),
                "{raw}"
            );
        }
    }
    let cases = [
        (
            CT.replace(r#""userName":"u""#, r#""userName":["u"]"#),
            "userIdentity.userName",
            "string",
        ),
        (
            CT.replace(r#""eventName":"E""#, r#""eventName":{}"#),
            "eventName",
            "string",
        ),
        (
            CT.replace(
                r#""userIdentity":{"type":"IAMUser","userName":"u"}"#,
                r#""userIdentity":"x""#,
            ),
            "userIdentity",
            "object",
        ),
        (
            CT.replace(r#""resources":[{"ARN":"a"}]"#, r#""resources":{"ARN":"a"}"#),
            "resources",
            "array",
        ),
    ];
    for (raw, field, expected) in &cases {
        for f in [Format::Cloudtrail, Format::Auto] {
            assert_eq!(
                parse(f, raw),
                Err(ParseError::WrongType { field, expected }),
                "{raw}"
            );
        }
    }
    let env = format!(
        r#"{{"detail-type":"AWS API Call via CloudTrail","detail":{}}}"#,
        cases[1].0
    );
    assert_eq!(
        parse(Format::Auto, &env),
        Err(ParseError::WrongType {
            field: "detail.eventName",
            expected: "string"
        })
    );
}

#[test]
fn parse_bad_invalid_utf8() {
    let mut raw = GCP.as_bytes().to_vec();
    let at = GCP.find("a@b.c").unwrap();
    raw[at] = 0xff;
    for f in FORMATS {
        assert_eq!(
            parse_record(f, &raw, &pos()),
            Err(ParseError::InvalidUtf8(at))
        );
    }
}

#[test]
fn parse_bad_too_large() {
    let big = format!(r#"{{"pad":"{}","x":{GCP}}}"#, "x".repeat(10 << 20));
    for f in FORMATS {
        assert_eq!(
            parse(f, &big),
            Err(ParseError::TooLarge {
                size: big.len(),
                limit: DEFAULT_MAX_RECORD_BYTES
            })
        );
    }
    let opts = ParserOptions {
        format: Format::Gcp,
        max_record_bytes: 64,
    };
    assert!(matches!(
        opts.parse(GCP.as_bytes(), &pos()),
        Err(ParseError::TooLarge { .. })
    ));
}

#[test]
fn parse_bad_deep_nesting_does_not_overflow() {
    let deep = format!(
        r#"{{"detail":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    for f in FORMATS {
        assert!(parse(f, &deep).is_err());
    }
    let nested_detail = format!("{}{}", r#"{"detail":"#.repeat(5000), "}".repeat(5000));
    for f in FORMATS {
        assert!(parse(f, &nested_detail).is_err());
    }
}

/// Every truncation and many byte flips of valid records: errors, never panics.
#[test]
fn parse_bad_mutations_never_panic() {
    for good in [GCP, CT] {
        let b = good.as_bytes();
        for cut in 0..b.len() {
            for f in FORMATS {
                let _ = parse_record(f, &b[..cut], &pos());
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut m = b.to_vec();
            let i = (seed as usize) % m.len();
            let table = b"\"{}[]:,\\0a\xff\x00 ";
            m[i] = table[(seed >> 32) as usize % table.len()];
            for f in FORMATS {
                let _ = parse_record(f, &m, &pos());
            }
        }
    }
}
