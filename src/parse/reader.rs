//! Sequential reading of one file or stream into raw records with their positions.
//!
//! Used by `auditflow parse` and by the engine for documents and gzip files (plain JSON
//! lines files may be split in parallel chunks by the engine instead, calling
//! [`expand_line_at`] per line).

use super::document::{detect_layout, expand_line_at, split_document, Layout};
use super::ParseError;
use crate::event::Position;
use flate2::read::MultiGzDecoder;
use memchr::memchr;
use std::io::{BufRead, BufReader, Cursor, ErrorKind, Read};
use std::sync::Arc;

/// Buffer size of the streaming reader.
const BUF_BYTES: usize = 256 * 1024;

/// The callback of [`read_records`]: a record's position and its raw bytes or the error
/// that replaced it.
pub type RecordSink<'a> = dyn FnMut(Position, Result<&[u8], ParseError>) + 'a;

/// What [`read_records`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// Whether the input was gzip-compressed.
    pub gzip: bool,
    /// The layout detected.
    pub layout: Option<Layout>,
    /// Bytes read after decompression.
    pub bytes: u64,
    /// Raw records handed out (`Ok`).
    pub records: u64,
    /// Errors handed out (`Err`).
    pub errors: u64,
}

/// Reads every record of `input` and calls `f(position, raw record or error)` in order.
///
/// - gzip (possibly multi-member) is recognized by its magic bytes and decompressed;
/// - the layout is sniffed with [`detect_layout`] on the first line (at most
///   `max_record_bytes` + 1 bytes of it);
/// - JSON lines are streamed with memory bounded by `max_record_bytes` plus one buffer: a
///   longer line becomes one [`ParseError::TooLarge`] and reading goes on at the next line;
///   empty and whitespace-only lines are skipped; a line holding a `{"Records":[...]}` batch
///   yields its records;
/// - a document is read whole and split with [`split_document`]; if it cannot be split at
///   all, it is read as JSON lines instead (a JSON lines file whose first line is broken);
/// - [`Position`]s carry `origin`, the record's byte offset in the (decompressed) input and
///   the 1-based line where the record starts;
/// - a decompression failure (truncated or corrupt gzip) is one [`ParseError::Decompress`]
///   at the point of failure, after every complete record before it; other read failures
///   are one [`ParseError::Read`]. Reading stops there.
///
/// Records are not parsed here and may be invalid UTF-8 or JSON: that is the parser's
/// verdict, per record.
pub fn read_records(
    input: impl Read,
    origin: Arc<str>,
    max_record_bytes: usize,
    f: &mut RecordSink<'_>,
) -> ReadSummary {
    let mut summary = ReadSummary::default();
    let mut counted = |pos: Position, r: Result<&[u8], ParseError>| {
        match r {
            Ok(_) => summary.records += 1,
            Err(_) => summary.errors += 1,
        }
        f(pos, r)
    };
    let mut input = input;
    let mut magic = [0u8; 2];
    let mut n = 0;
    let io_error = |e: std::io::Error, gzip: bool| match gzip {
        true => ParseError::Decompress(e.to_string()),
        false => ParseError::Read(e.to_string()),
    };
    while n < 2 {
        match input.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                counted(Position::line(origin, 0, 1), Err(io_error(e, false)));
                return summary;
            }
        }
    }
    let gzip = magic[..n] == [0x1f, 0x8b];
    let chained = Cursor::new(magic[..n].to_vec()).chain(input);
    let reader: Box<dyn Read + '_> = match gzip {
        true => Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            BUF_BYTES, chained,
        ))),
        false => Box::new(chained),
    };
    let mut reader = BufReader::with_capacity(BUF_BYTES, reader);
    let (head, head_err) = read_head(&mut reader, max_record_bytes);
    let layout = detect_layout(&head);
    let mut state = Lines::new(origin, max_record_bytes, gzip);
    match (layout, head_err) {
        (Layout::JsonLines | Layout::AuditLines, None) => {
            state.run(&mut Cursor::new(head).chain(reader), &mut counted);
        }
        (_, err) => {
            let mut doc = head;
            let err = err.or_else(|| reader.read_to_end(&mut doc).err());
            let ok = match err {
                // A truncated stream's document is incomplete: keep what splits cleanly.
                Some(e) => {
                    let _ = split(&doc, &mut state, &mut counted);
                    let at = doc.len() as u64;
                    let line = state.line_of(&doc, doc.len());
                    counted(
                        Position::line(state.origin.clone(), at, line),
                        Err(io_error(e, gzip)),
                    );
                    true
                }
                None => split(&doc, &mut state, &mut counted),
            };
            if !ok {
                state = Lines::new(state.origin, max_record_bytes, gzip);
                state.run(&mut Cursor::new(&doc[..]), &mut counted);
            }
            state.bytes = doc.len() as u64;
        }
    }
    ReadSummary {
        gzip,
        layout: Some(layout),
        bytes: state.bytes,
        ..summary
    }
}

/// Reads up to the end of the first non-blank line (or `limit` + 1 bytes, or EOF).
fn read_head(r: &mut impl BufRead, limit: usize) -> (Vec<u8>, Option<std::io::Error>) {
    let mut head = Vec::new();
    let mut seen_text = false;
    loop {
        let buf = match r.fill_buf() {
            Ok([]) => return (head, None),
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return (head, Some(e)),
        };
        let from = head.len();
        let take = match memchr(b'\n', buf) {
            Some(i) => i + 1,
            None => buf.len(),
        };
        head.extend_from_slice(&buf[..take]);
        r.consume(take);
        seen_text = seen_text || head[from..].iter().any(|c| !c.is_ascii_whitespace());
        if (seen_text && head.last() == Some(&b'\n')) || head.len() > limit {
            return (head, None);
        }
    }
}

/// Splits a whole document; false when nothing could be split (caller falls back).
fn split(doc: &[u8], state: &mut Lines, f: &mut RecordSink<'_>) -> bool {
    let mut emitted = false;
    let limit = state.limit;
    let result = split_document(doc, |off, rec| {
        emitted = true;
        let line = state.line_of(doc, off as usize);
        let pos = Position::line(state.origin.clone(), off, line);
        f(pos, check(rec, limit));
    });
    match result {
        Ok(()) => true,
        Err(_) if !emitted => false,
        Err(e) => {
            let at = state.scanned as u64;
            let pos = Position::line(state.origin.clone(), at, state.line);
            f(pos, Err(e));
            true
        }
    }
}

fn check(rec: &[u8], limit: usize) -> Result<&[u8], ParseError> {
    super::check_size(rec, limit).map(|()| rec)
}

/// State of the line-oriented reader (also tracks lines while splitting a document).
struct Lines {
    origin: Arc<str>,
    limit: usize,
    gzip: bool,
    /// Offset of the next byte to read.
    bytes: u64,
    /// 1-based number of the current line.
    line: u64,
    /// Document bytes whose newlines are counted in `line`.
    scanned: usize,
}

impl Lines {
    fn new(origin: Arc<str>, limit: usize, gzip: bool) -> Self {
        Lines {
            origin,
            limit,
            gzip,
            bytes: 0,
            line: 1,
            scanned: 0,
        }
    }

    /// The line of `doc[at]`, for increasing `at`.
    fn line_of(&mut self, doc: &[u8], at: usize) -> u64 {
        if at > self.scanned {
            self.line += memchr::memchr_iter(b'\n', &doc[self.scanned..at]).count() as u64;
            self.scanned = at;
        }
        self.line
    }

    fn run(&mut self, r: &mut impl BufRead, f: &mut RecordSink<'_>) {
        let mut line: Vec<u8> = Vec::new();
        let mut line_len = 0usize; // bytes of the current line seen, kept or not
        let mut line_start = self.bytes;
        loop {
            let buf = match r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    let err = match self.gzip {
                        true => ParseError::Decompress(e.to_string()),
                        false => ParseError::Read(e.to_string()),
                    };
                    let pos = Position::line(self.origin.clone(), self.bytes, self.line);
                    f(pos, Err(err));
                    return;
                }
            };
            if buf.is_empty() {
                if line_len > 0 {
                    self.finish(&line, line_len, line_start, f);
                }
                return;
            }
            if line_len == 0 {
                line_start = self.bytes;
            }
            let (chunk, used, complete) = match memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            if complete && line_len == 0 {
                // The whole line is in the buffer: no copy.
                self.finish(chunk, chunk.len(), line_start, f);
            } else {
                if line_len + chunk.len() <= self.limit {
                    line.extend_from_slice(chunk);
                }
                line_len += chunk.len();
                if complete {
                    self.finish(&line, line_len, line_start, f);
                    line.clear();
                    line_len = 0;
                }
            }
            self.bytes += used as u64;
            if complete {
                self.line += 1;
            }
            r.consume(used);
        }
    }

    /// Hands out the records of the current line, `len` bytes long from offset `start`
    /// (`text` holds it unless it is longer than the limit).
    fn finish(&self, text: &[u8], len: usize, start: u64, f: &mut RecordSink<'_>) {
        let pos = |off: u64| Position::line(self.origin.clone(), start + off, self.line);
        if len > self.limit {
            let err = ParseError::TooLarge {
                size: len,
                limit: self.limit,
            };
            f(pos(0), Err(err));
            return;
        }
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.iter().all(|c| c.is_ascii_whitespace()) {
            return;
        }
        if let Err(e) = expand_line_at(text, |off, rec| f(pos(off), check(rec, self.limit))) {
            f(pos(0), Err(e));
        }
    }
}
