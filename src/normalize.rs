//! `auditflow parse`: show how AuditFlow reads records, one normalized event per line.

use crate::event::Position;
use crate::parse::auditd::Assembler;
use crate::parse::{parse_record, DeadLetter, Format, ParseError};
use crate::sink::Target;
use crate::source::file::expand_inputs;
use crate::{Error, Result};
use std::sync::Arc;

/// Counts of a parse run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ParseSummary {
    /// Records read.
    pub records: u64,
    /// Events printed.
    pub events: u64,
    /// Records dead-lettered.
    pub dead_lettered: u64,
}

/// Reads `inputs` in order and writes each record's normalized event as a JSON line to
/// `out`, or its dead letter to `dead_letter`. Sequential: output is in input order.
pub fn normalize_files(
    format: Format,
    inputs: &[String],
    out: &Target,
    dead_letter: &Target,
    max_record_bytes: usize,
) -> Result<ParseSummary> {
    let files = expand_inputs(inputs)?;
    let mut out = out.open()?;
    let mut dead = dead_letter.open()?;
    let mut summary = ParseSummary::default();
    let mut write_error = None;
    for path in &files {
        let (reader, origin): (Box<dyn std::io::Read + Send>, Arc<str>) = if path.as_os_str() == "-"
        {
            (Box::new(std::io::stdin()), Arc::from("stdin"))
        } else {
            let file = std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
            (Box::new(file), Arc::from(path.display().to_string()))
        };
        let mut handle = |pos: Position, record: std::result::Result<&[u8], ParseError>| {
            // After a failed write (say stdout closed by `| head`) only skim to the end.
            if write_error.is_some() {
                return;
            }
            summary.records += 1;
            let result = match record {
                Ok(raw) => {
                    parse_record(format, raw, &pos).map_err(|e| DeadLetter::new(e, pos, raw))
                }
                Err(e) => Err(DeadLetter::new(e, pos, &[])),
            };
            let written = match result {
                Ok(event) => {
                    summary.events += 1;
                    let w = out.writer();
                    serde_json::to_writer(&mut *w, &event.view())
                        .map_err(std::io::Error::from)
                        .and_then(|_| w.write_all(b"\n"))
                }
                Err(letter) => {
                    summary.dead_lettered += 1;
                    let w = dead.writer();
                    serde_json::to_writer(&mut *w, &letter)
                        .map_err(std::io::Error::from)
                        .and_then(|_| w.write_all(b"\n"))
                }
            };
            if let Err(e) = written {
                write_error.get_or_insert(e);
            }
        };
        // auditd lines are grouped into events first (formats auditd and auto).
        let all_lines = match format {
            Format::Auditd => Some(true),
            Format::Auto => Some(false),
            _ => None,
        };
        let mut assembler = Assembler::default();
        crate::parse::reader::read_records(reader, origin, max_record_bytes, &mut |pos, rec| {
            match all_lines {
                Some(all) => assembler.push(pos, rec, all, &mut handle),
                None => handle(pos, rec),
            }
        });
        assembler.finish(&mut handle);
        if let Some(e) = write_error.take() {
            return Err(Error::io("cannot write", "output", e));
        }
    }
    out.commit()?;
    dead.commit()?;
    Ok(summary)
}
