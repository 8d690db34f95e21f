//! Files: JSON lines read in fixed-size chunks in parallel, other layouts whole.

use super::{RecordSink, Unit};
use crate::event::Position;
use crate::parse::ParseError;
use crate::{Error, Result};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Nominal size of a JSON-lines chunk. Fixed, never derived from the worker count, so the
/// chunks (and which events are late within them) are the same however many workers run.
pub const CHUNK_BYTES: u64 = 32 << 20;

const READ_BYTES: usize = 1 << 20;
const MIN_READ_BYTES: u64 = 16 << 10;

/// Expands paths, directories (recursively, sorted) and globs into a sorted file list.
///
/// `-` is kept as is and means stdin. A pattern or path that matches nothing is an error.
pub fn expand_inputs(inputs: &[String]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" {
            out.push(PathBuf::from("-"));
            continue;
        }
        let path = Path::new(input);
        let mut found = Vec::new();
        if path.is_dir() {
            walk_dir(path, &mut found)?;
        } else if path.exists() {
            found.push(path.to_path_buf());
        } else if input.contains(['*', '?', '[']) {
            let paths = glob::glob(input).map_err(|e| Error::invalid("glob", e.to_string()))?;
            for p in paths.flatten() {
                if p.is_dir() {
                    walk_dir(&p, &mut found)?;
                } else {
                    found.push(p);
                }
            }
        } else {
            return Err(Error::io(
                "cannot read",
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            ));
        }
        if found.is_empty() {
            return Err(Error::NoInput(input.clone()));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("cannot list", dir, e))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "LICENSE" || name.ends_with(".md") {
            continue;
        }
        if p.is_dir() {
            walk_dir(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// True if the file should be read as JSON lines in chunks: not gzip, and its first line
/// is a complete JSON object.
pub fn is_chunkable(path: &Path) -> Result<bool> {
    let file = File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut head = vec![0u8; 64 << 10];
    let n = file
        .read_at(&mut head, 0)
        .map_err(|e| Error::io("cannot read", path, e))?;
    head.truncate(n);
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(false);
    }
    Ok(crate::parse::detect_layout(&head) == crate::parse::Layout::JsonLines)
}

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

/// Plans the units of a list of files: JSON-lines files cut into `chunk_bytes` chunks
/// (normally [`CHUNK_BYTES`]),
/// everything else (documents, gzip) one unit per file. The plan depends only on the files.
pub fn plan_files(files: &[PathBuf], chunk_bytes: u64) -> Result<Vec<FileUnitPlan>> {
    let chunk_bytes = chunk_bytes.max(1);
    let mut plan = Vec::new();
    for path in files {
        if path.as_os_str() == "-" {
            plan.push(FileUnitPlan::Stdin);
            continue;
        }
        let len = std::fs::metadata(path)
            .map_err(|e| Error::io("cannot read", path, e))?
            .len();
        if is_chunkable(path)? {
            let mut start = 0;
            loop {
                let end = (start + chunk_bytes).min(len);
                plan.push(FileUnitPlan::Lines {
                    path: path.clone(),
                    start,
                    end,
                });
                if end >= len {
                    break;
                }
                start = end;
            }
        } else {
            plan.push(FileUnitPlan::Whole { path: path.clone() });
        }
    }
    Ok(plan)
}

/// One planned unit of file input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileUnitPlan {
    /// A byte range of a JSON-lines file.
    Lines {
        /// The file.
        path: PathBuf,
        /// First byte of the nominal range.
        start: u64,
        /// End of the nominal range.
        end: u64,
    },
    /// A whole file read sequentially (documents, gzip).
    Whole {
        /// The file.
        path: PathBuf,
    },
    /// Standard input.
    Stdin,
}

/// Records of a whole file or of stdin, read sequentially by a reader thread.
///
/// Used for documents (JSON arrays, CloudTrail `Records` files), gzip, and stdin. The
/// thread runs [`crate::parse::reader::read_records`] and hands over batches through a
/// bounded channel, so a live stdin streams and memory stays bounded.
pub struct WholeFile {
    receiver: std::sync::mpsc::Receiver<Vec<OwnedRecord>>,
    pending: std::collections::VecDeque<OwnedRecord>,
    bytes: Arc<std::sync::atomic::AtomicU64>,
    closed: bool,
}

type OwnedRecord = (Position, std::result::Result<Vec<u8>, ParseError>);

const HANDOVER_BATCH: usize = 1024;

impl WholeFile {
    /// Starts reading `path`.
    pub fn open(path: &Path, max_record: usize) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
        let origin: Arc<str> = Arc::from(path.display().to_string());
        Ok(Self::spawn(file, origin, max_record))
    }

    /// Starts reading standard input.
    pub fn stdin(max_record: usize) -> Self {
        Self::spawn(std::io::stdin(), Arc::from("stdin"), max_record)
    }

    fn spawn(
        input: impl std::io::Read + Send + 'static,
        origin: Arc<str>,
        max_record: usize,
    ) -> Self {
        let (sender, receiver) = std::sync::mpsc::sync_channel(8);
        let bytes = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = bytes.clone();
        std::thread::spawn(move || {
            let mut batch = Vec::with_capacity(HANDOVER_BATCH);
            let mut open = true;
            crate::parse::reader::read_records(input, origin, max_record, &mut |pos, rec| {
                if !open {
                    return;
                }
                let len = rec.as_ref().map_or(0, |r| r.len() as u64 + 1);
                counter.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
                batch.push((pos, rec.map(<[u8]>::to_vec)));
                if batch.len() >= HANDOVER_BATCH {
                    open = sender.send(std::mem::take(&mut batch)).is_ok();
                }
            });
            if open && !batch.is_empty() {
                let _ = sender.send(batch);
            }
        });
        WholeFile {
            receiver,
            pending: Default::default(),
            bytes,
            closed: false,
        }
    }
}

impl Unit for WholeFile {
    fn next_batch(&mut self, max: usize, sink: &mut RecordSink<'_>) -> bool {
        while self.pending.len() < max && !self.closed {
            match self.receiver.try_recv() {
                Ok(batch) => self.pending.extend(batch),
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => self.closed = true,
            }
        }
        for _ in 0..max.min(self.pending.len()) {
            let (position, record) = self.pending.pop_front().expect("checked length");
            match record {
                Ok(bytes) => sink(position, Ok(&bytes)),
                Err(e) => sink(position, Err(e)),
            }
        }
        !(self.closed && self.pending.is_empty())
    }

    fn bytes_read(&self) -> u64 {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
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
