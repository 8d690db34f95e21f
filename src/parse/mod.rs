//! Parsers from raw audit records (JSON) to [`AuditEvent`]s.
//!
//! Interface contract (implemented in this module's files):
//! - [`parse_record`]: one JSON object (possibly wrapped in an EventBridge envelope) to an
//!   event, or a [`ParseError`] that becomes a dead letter.
//! - [`split_document`]: a whole JSON document (array, CloudTrail `{"Records":[...]}`, a
//!   single pretty-printed object) into its records.
//! - [`Layout`] / [`detect_layout`]: JSON lines or one document; [`expand_line`] for a
//!   JSON line holding a CloudTrail `{"Records":[...]}` batch.
//! - [`read_records`]: a sequential reader of a whole file or stream (gzip sniffed, layout
//!   sniffed, JSON lines streamed with bounded memory) handing out raw records and their
//!   [`Position`]s.
//!
//! Records are parsed with sonic-rs into typed structs that borrow their strings from the
//! input; only the owned `String`s of the [`AuditEvent`] are allocated.

pub mod auditd;
pub mod cloudtrail;
pub mod confluent;
mod diagnose;
pub mod document;
pub mod gcp;
mod identity;
mod json;
pub mod reader;
#[cfg(test)]
mod tests;
pub mod waf;

pub use document::{detect_layout, expand_line, expand_line_at, split_document, Layout};
pub use reader::read_records;

use crate::event::{AuditEvent, Position};
use memchr::memmem;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// Input format named on the command line or in a spec.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// GCP Cloud Audit Log `LogEntry`.
    Gcp,
    /// AWS CloudTrail record (plain or EventBridge-wrapped).
    Cloudtrail,
    /// Linux auditd `audit.log` lines, grouped into events.
    Auditd,
    /// Confluent Cloud audit log record (CloudEvents).
    Confluent,
    /// AWS WAF web ACL log record.
    Waf,
    /// Detected per record.
    Auto,
}

impl FromStr for Format {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "gcp" => Ok(Format::Gcp),
            "cloudtrail" => Ok(Format::Cloudtrail),
            "auditd" => Ok(Format::Auditd),
            "confluent" => Ok(Format::Confluent),
            "waf" => Ok(Format::Waf),
            "auto" => Ok(Format::Auto),
            other => Err(crate::Error::invalid(
                "format",
                format!(
                    "unknown format {other:?}: use gcp, cloudtrail, auditd, confluent, waf or auto"
                ),
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Gcp => "gcp",
            Format::Cloudtrail => "cloudtrail",
            Format::Auditd => "auditd",
            Format::Confluent => "confluent",
            Format::Waf => "waf",
            Format::Auto => "auto",
        })
    }
}

/// Why a record could not become an event. Rendered into the dead letter's `reason`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not valid JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// Not valid UTF-8.
    #[error("invalid UTF-8 at byte {0}")]
    InvalidUtf8(usize),
    /// A required field is absent or empty.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// A field has the wrong JSON type.
    #[error("field {field} has the wrong type: expected {expected}")]
    WrongType {
        /// The field path.
        field: &'static str,
        /// The expected JSON type.
        expected: &'static str,
    },
    /// The timestamp is not RFC 3339.
    #[error("invalid timestamp {0:?}")]
    BadTimestamp(String),
    /// The record is larger than the configured limit.
    #[error("record of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The record's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A well-formed event that is not an audit record (an EventBridge envelope whose
    /// `detail` is no CloudTrail record: GuardDuty finding, scheduled event, ...). Named by
    /// its `detail-type`.
    #[error("not an audit record: {0}")]
    NotAuditRecord(String),
    /// `--format auto` could not tell which family the record belongs to.
    #[error(
        "unrecognized record: not a GCP LogEntry, CloudTrail, Confluent Cloud or AWS WAF record, nor an auditd line"
    )]
    UnknownFamily,
    /// The input could not be decompressed.
    #[error("decompression failed: {0}")]
    Decompress(String),
    /// An I/O error while reading the input.
    #[error("read error: {0}")]
    Read(String),
}

/// A record that could not be processed: why, where, and what it looked like.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct DeadLetter {
    /// Why the record was rejected.
    pub reason: String,
    /// Where it came from.
    pub position: Position,
    /// The first bytes of the record (lossy UTF-8), for a human to recognize it.
    pub excerpt: String,
}

/// Longest excerpt kept in a dead letter.
pub const EXCERPT_BYTES: usize = 256;

impl DeadLetter {
    /// A dead letter for `raw` at `position`.
    pub fn new(reason: impl ToString, position: Position, raw: &[u8]) -> Self {
        let cut = raw.len().min(EXCERPT_BYTES);
        DeadLetter {
            reason: reason.to_string(),
            position,
            excerpt: String::from_utf8_lossy(&raw[..cut]).into_owned(),
        }
    }
}

/// Outcome of parsing one record.
pub type ParseResult = Result<AuditEvent, ParseError>;

/// Default limit on the size of one record (1 MiB); larger records are dead-lettered as
/// [`ParseError::TooLarge`].
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// How records are parsed: the format and the size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParserOptions {
    /// The log family, or [`Format::Auto`] to detect it per record.
    pub format: Format,
    /// Records longer than this many bytes are rejected with [`ParseError::TooLarge`].
    pub max_record_bytes: usize,
}

impl ParserOptions {
    /// Options for `format` with the default size limit.
    pub fn new(format: Format) -> Self {
        ParserOptions {
            format,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }

    /// Parses one record under these options.
    pub fn parse(&self, raw: &[u8], position: &Position) -> ParseResult {
        check_size(raw, self.max_record_bytes)?;
        match self.format {
            Format::Gcp => gcp::parse_gcp(raw, position),
            Format::Cloudtrail => cloudtrail::parse_cloudtrail(raw, position),
            Format::Auditd => auditd::parse_auditd(raw, position),
            Format::Confluent => confluent::parse_confluent(raw, position),
            Format::Waf => waf::parse_waf(raw, position),
            Format::Auto => parse_auto(raw, position),
        }
    }
}

impl Default for ParserOptions {
    fn default() -> Self {
        ParserOptions::new(Format::Auto)
    }
}

/// [`ParseError::TooLarge`] when `raw` is longer than `limit` bytes.
pub fn check_size(raw: &[u8], limit: usize) -> Result<(), ParseError> {
    if raw.len() > limit {
        return Err(ParseError::TooLarge {
            size: raw.len(),
            limit,
        });
    }
    Ok(())
}

/// Parses one JSON object into an [`AuditEvent`], with the default size limit
/// ([`DEFAULT_MAX_RECORD_BYTES`]; use [`ParserOptions`] for another).
///
/// Never panics: invalid UTF-8, malformed JSON, wrong field types, missing or empty
/// required fields and bad timestamps are all [`ParseError`]s. Unknown fields are ignored.
/// An EventBridge envelope around a CloudTrail record is unwrapped. With [`Format::Auto`]
/// the family is detected per record: a record starting with `type=` or `node=` is an
/// auditd event, a `"protoPayload"` key means GCP, `"webaclId"` with `"httpRequest"` AWS
/// WAF, `"specversion"` or `"authenticationInfo"` Confluent Cloud; anything else is read as
/// CloudTrail (or EventBridge), and a record with none of `userIdentity`, `eventSource`,
/// `eventVersion`, `detail` is [`ParseError::UnknownFamily`]. For [`Format::Auditd`] the
/// record is one event (its lines joined by `\n`, see [`auditd::Assembler`]).
pub fn parse_record(format: Format, raw: &[u8], position: &Position) -> ParseResult {
    ParserOptions::new(format).parse(raw, position)
}

static PROTO_PAYLOAD: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"\"protoPayload\""));
static WEBACL_ID: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"\"webaclId\""));
static SPEC_VERSION: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"\"specversion\""));
static AUTHENTICATION_INFO: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"\"authenticationInfo\""));

fn parse_auto(raw: &[u8], position: &Position) -> ParseResult {
    if auditd::is_auditd_line(raw) {
        return auditd::parse_auditd(raw, position);
    }
    if PROTO_PAYLOAD.find(raw).is_some() {
        match gcp::parse_gcp(raw, position) {
            // The key was only mentioned inside some value: not a LogEntry.
            Err(ParseError::MissingField("protoPayload")) => {}
            other => return other,
        }
    }
    if WEBACL_ID.find(raw).is_some() {
        match waf::parse_waf(raw, position) {
            Err(ParseError::MissingField("httpRequest" | "action" | "timestamp")) => {}
            other => return other,
        }
    }
    if SPEC_VERSION.find(raw).is_some() || AUTHENTICATION_INFO.find(raw).is_some() {
        match confluent::parse_confluent(raw, position) {
            Err(ParseError::MissingField("data" | "data.methodName")) => {}
            other => return other,
        }
    }
    cloudtrail::parse_with(raw, position, true)
}
