//! One chunk of a JSON-lines file, read with positioned reads so chunks of one file are
//! read in parallel by different workers.

use super::{MIN_READ_BYTES, READ_BYTES};
use crate::event::Position;
use crate::parse::ParseError;
use crate::source::{RecordSink, Unit};
use crate::{Error, Result};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// One chunk of a JSON-lines file: the lines whose first byte lies in `[start, end)`.
///
/// Reads with positioned reads into a reused buffer; memory stays bounded by the read size
/// plus the longest accepted line. A line over `max_record` bytes is skipped as it streams
/// by and reported once as [`ParseError::TooLarge`].
pub struct LineChunk {
    file: File,
    origin: Arc<str>,
    read_pos: u64,
    end: u64,
    file_len: u64,
    buf: Vec<u8>,
    buf_start: u64,
    cursor: usize,
    next_line: Option<u64>,
    skip_partial: bool,
    oversize: Option<(u64, usize)>,
    max_record: usize,
    done: bool,
    bytes: u64,
}

impl LineChunk {
    /// Opens the chunk `[start, end)` of `path`.
    pub fn open(path: &Path, start: u64, end: u64, max_record: usize) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
        let file_len = file
            .metadata()
            .map_err(|e| Error::io("cannot read", path, e))?
            .len();
        // A chunk starting mid-file begins one byte early and drops everything up to the
        // first newline: the line straddling `start` belongs to the previous chunk.
        let read_pos = start.saturating_sub(1);
        Ok(LineChunk {
            file,
            origin: Arc::from(path.display().to_string()),
            read_pos,
            end: end.min(file_len),
            file_len,
            buf: Vec::with_capacity(READ_BYTES * 2),
            buf_start: read_pos,
            cursor: 0,
            next_line: (start == 0).then_some(1),
            skip_partial: start > 0,
            oversize: None,
            max_record,
            done: start >= file_len,
            bytes: 0,
        })
    }

    /// Reads more bytes into the buffer. Returns false at end of file.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.read_pos >= self.file_len {
            return Ok(false);
        }
        self.buf.drain(..self.cursor);
        self.buf_start += self.cursor as u64;
        self.cursor = 0;
        // Read about what the chunk still needs; past its end only the straddling line.
        let want = self
            .end
            .saturating_sub(self.read_pos)
            .clamp(MIN_READ_BYTES, READ_BYTES as u64);
        let old = self.buf.len();
        self.buf.resize(old + want as usize, 0);
        let n = self.file.read_at(&mut self.buf[old..], self.read_pos)?;
        self.buf.truncate(old + n);
        self.read_pos += n as u64;
        self.bytes += n as u64;
        Ok(n > 0)
    }

    /// Hands one complete line (without its newline) to `sink`. Returns true if a record
    /// (or a dead letter) was produced.
    fn emit(&mut self, start: usize, stop: usize, sink: &mut RecordSink<'_>) -> bool {
        let offset = self.buf_start + start as u64;
        let line = self.next_line;
        if let Some(n) = self.next_line.as_mut() {
            *n += 1;
        }
        let position = Position {
            origin: self.origin.clone(),
            offset,
            line,
        };
        if let Some((at, size)) = self.oversize.take() {
            let position = Position {
                offset: at,
                ..position
            };
            let size = size + (stop - start);
            sink(
                position,
                Err(ParseError::TooLarge {
                    size,
                    limit: self.max_record,
                }),
            );
            return true;
        }
        emit_line(&self.buf[start..stop], position, sink)
    }
}

/// Hands the records of one input line to `sink`: none for a blank line (returns false),
/// one per element for a CloudTrail `{"Records":[...]}` batch, else the line itself. Shared
/// by the chunk reader and the file follower.
pub(crate) fn emit_line(line: &[u8], position: Position, sink: &mut RecordSink<'_>) -> bool {
    let line = line.trim_ascii();
    if line.is_empty() {
        return false;
    }
    let expanded = crate::parse::expand_line_at(line, |at, record| {
        let position = Position {
            offset: position.offset + at,
            ..position.clone()
        };
        sink(position, Ok(record));
    });
    if let Err(e) = expanded {
        sink(position, Err(e));
    }
    true
}

impl Unit for LineChunk {
    fn next_batch(&mut self, max: usize, sink: &mut RecordSink<'_>) -> bool {
        let mut produced = 0;
        while !self.done && produced < max {
            let line_start = self.buf_start + self.cursor as u64;
            if !self.skip_partial && self.oversize.is_none() && line_start >= self.end {
                self.done = true;
                break;
            }
            match memchr::memchr(b'\n', &self.buf[self.cursor..]) {
                Some(i) => {
                    let (start, stop) = (self.cursor, self.cursor + i);
                    self.cursor = stop + 1;
                    if self.skip_partial {
                        self.skip_partial = false;
                        continue;
                    }
                    if self.emit(start, stop, sink) {
                        produced += 1;
                    }
                }
                None => {
                    let pending = self.buf.len() - self.cursor;
                    if !self.skip_partial && pending > self.max_record {
                        // Too long to keep: remember where it started and drop its bytes.
                        let at = self.buf_start + self.cursor as u64;
                        let (start, size) = self.oversize.unwrap_or((at, 0));
                        self.oversize = Some((start, size + pending));
                        self.cursor = self.buf.len();
                    }
                    match self.fill() {
                        Ok(true) => {}
                        Ok(false) => {
                            // End of file: a last line without a newline still counts.
                            let (start, stop) = (self.cursor, self.buf.len());
                            self.cursor = stop;
                            let last = stop > start || self.oversize.is_some();
                            if !self.skip_partial && last && self.emit(start, stop, sink) {
                                produced += 1;
                            }
                            self.done = true;
                        }
                        Err(e) => {
                            let position = Position {
                                origin: self.origin.clone(),
                                offset: self.read_pos,
                                line: None,
                            };
                            sink(position, Err(ParseError::Read(e.to_string())));
                            self.done = true;
                        }
                    }
                }
            }
        }
        !self.done
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(chunk: &mut LineChunk, max: usize) -> Vec<(u64, Option<u64>, String)> {
        let mut out = Vec::new();
        while chunk.next_batch(max, &mut |pos, rec| {
            let text = match rec {
                Ok(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                Err(e) => format!("ERR {e}"),
            };
            out.push((pos.offset, pos.line, text));
        }) {}
        out
    }

    #[test]
    fn chunks_partition_lines_exactly_once() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut expected = Vec::new();
        for i in 0..500 {
            let line = format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 37));
            writeln!(f, "{line}").unwrap();
            expected.push(line);
        }
        writeln!(f, "   ").unwrap();
        write!(f, "{{\"last\":true}}").unwrap();
        expected.push("{\"last\":true}".into());
        let len = f.as_file().metadata().unwrap().len();
        for chunk in [1u64, 7, 64, 1000, len] {
            let mut got = Vec::new();
            let mut start = 0;
            while start < len {
                let end = (start + chunk).min(len);
                let mut c = LineChunk::open(f.path(), start, end, 1 << 20).unwrap();
                got.extend(collect(&mut c, 3).into_iter().map(|r| r.2));
                start = end;
            }
            assert_eq!(got, expected, "chunk size {chunk}");
        }
    }

    #[test]
    fn records_batch_lines_yield_each_record() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(
            f,
            "{{\"Records\":[{{\"a\":1}},{{\"b\":2}}]}}\n{{\"c\":3}}\n"
        )
        .unwrap();
        let mut c = LineChunk::open(f.path(), 0, 100, 1 << 20).unwrap();
        let got: Vec<String> = collect(&mut c, 10).into_iter().map(|r| r.2).collect();
        assert_eq!(got, ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
    }

    #[test]
    fn first_chunk_knows_line_numbers() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(f, "{{}}\n\n{{\"a\":1}}\n").unwrap();
        let mut c = LineChunk::open(f.path(), 0, 100, 1 << 20).unwrap();
        let got = collect(&mut c, 10);
        assert_eq!(got[0].1, Some(1));
        assert_eq!(got[1], (4, Some(3), "{\"a\":1}".into()));
    }

    #[test]
    fn oversized_line_is_one_error_and_reading_goes_on() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "{{\"before\":1}}").unwrap();
        writeln!(f, "{{\"big\":\"{}\"}}", "y".repeat(3 << 20)).unwrap();
        writeln!(f, "{{\"after\":1}}").unwrap();
        let len = f.as_file().metadata().unwrap().len();
        let mut c = LineChunk::open(f.path(), 0, len, 1 << 20).unwrap();
        let got = collect(&mut c, 10);
        assert_eq!(got.len(), 3);
        assert!(got[1].2.starts_with("ERR record of"), "{:?}", got[1].2);
        assert_eq!(got[1].0, 13);
        assert_eq!(got[2].2, "{\"after\":1}");
    }
}
