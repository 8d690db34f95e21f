//! Unit tests of the parsers on small inline records.

mod bad_input;
mod cloudtrail;
mod gcp;
mod reader;

use crate::event::{AuditEvent, Position};
use crate::parse::{parse_record, Format, ParseResult};
use std::sync::Arc;

fn pos() -> Position {
    Position::line(Arc::from("test"), 0, 1)
}

fn parse(format: Format, raw: &str) -> ParseResult {
    parse_record(format, raw.as_bytes(), &pos())
}

fn ok(format: Format, raw: &str) -> AuditEvent {
    parse(format, raw).unwrap_or_else(|e| panic!("{e}: {raw}"))
}
