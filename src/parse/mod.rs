//! Parsers from raw audit records (JSON) to [`AuditEvent`]s.
//!
//! Interface contract (implemented in this module's files):
//! - [`parse_record`]: one JSON object (possibly wrapped in an EventBridge envelope) to an
//!   event, or a [`ParseError`] that becomes a dead letter.
//! - [`split_document`]: a whole JSON document (array, CloudTrail `{"Records":[...]}`, a
//!   single pretty-printed object) into its records.
//! - [`Layout`] / [`detect_layout`]: JSON lines or one document.

use crate::event::{AuditEvent, Position};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

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
    /// Detected per record.
    Auto,
}

impl FromStr for Format {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "gcp" => Ok(Format::Gcp),
            "cloudtrail" => Ok(Format::Cloudtrail),
            "auto" => Ok(Format::Auto),
            other => Err(crate::Error::invalid(
                "format",
                format!("unknown format {other:?}: use gcp, cloudtrail or auto"),
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Gcp => "gcp",
            Format::Cloudtrail => "cloudtrail",
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
    /// `--format auto` could not tell which family the record belongs to.
    #[error("unrecognized record: not a GCP LogEntry nor a CloudTrail record")]
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
