//! Following growing files like `tail -F`: read to the end, poll for more, and survive
//! rotation.
//!
//! A [`FollowFile`] never finishes on its own: it ends when [`FollowOptions::stop`] is set
//! (SIGINT/SIGTERM, see [`FollowPlan::stop_on_signals`]) or, with
//! [`FollowOptions::idle_exit`], once no followed file of the process grew for that long.
//!
//! Rotation: when the path names another file (device or inode changed: rename and
//! create) the old handle is read to its end and the new file from offset 0; when the file
//! shrank below what was read (copytruncate) it is read again from offset 0. Each file so
//! read is a *generation*: positions name the path for the first and `PATH#N` for the
//! N-th after it, with byte offsets and line numbers restarting at each generation. A
//! truncation that regrows past the read offset between two polls cannot be seen (as with
//! `tail -F`).

use super::{RecordSink, Unit};
use crate::event::Position;
use crate::parse::ParseError;
use crate::{Error, Result};
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

mod plan;
#[cfg(test)]
mod tests;

pub use plan::{FollowOptions, FollowPlan};

const READ_BYTES: usize = 256 << 10;
/// One file followed across rotations (see the module docs).
pub struct FollowFile {
    path: PathBuf,
    file: File,
    identity: (u64, u64),
    generation: u32,
    origin: Arc<str>,
    read_pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
    cursor: usize,
    next_line: u64,
    /// A line too long to keep: (offset, line, bytes dropped so far).
    oversize: Option<(u64, u64, usize)>,
    /// The path names another file; the old handle is being read to its end.
    draining: bool,
    next_poll: Instant,
    last_data: Instant,
    options: FollowOptions,
    max_record: usize,
    bytes: u64,
    done: bool,
}

impl FollowFile {
    /// Starts following `path` from its beginning.
    pub fn open(path: &Path, options: FollowOptions, max_record: usize) -> Result<Self> {
        let (file, identity) =
            open_identified(path).map_err(|e| Error::io("cannot follow", path, e))?;
        Ok(FollowFile {
            path: path.to_path_buf(),
            file,
            identity,
            generation: 0,
            origin: Arc::from(path.display().to_string()),
            read_pos: 0,
            buf: Vec::new(),
            buf_start: 0,
            cursor: 0,
            next_line: 1,
            oversize: None,
            draining: false,
            next_poll: Instant::now(),
            last_data: Instant::now(),
            options,
            max_record,
            bytes: 0,
            done: false,
        })
    }

    fn read_more(&mut self) -> std::io::Result<usize> {
        self.buf.drain(..self.cursor);
        self.buf_start += self.cursor as u64;
        self.cursor = 0;
        let old = self.buf.len();
        self.buf.resize(old + READ_BYTES, 0);
        let n = self.file.read_at(&mut self.buf[old..], self.read_pos);
        self.buf.truncate(old + *n.as_ref().unwrap_or(&0));
        let n = n?;
        self.read_pos += n as u64;
        self.bytes += n as u64;
        Ok(n)
    }

    /// Hands the bytes `buf[start..stop]` (one line) to `sink`; true if it held a record.
    fn emit(&mut self, start: usize, stop: usize, sink: &mut RecordSink<'_>) -> bool {
        let line = self.next_line;
        self.next_line += 1;
        let position = Position::line(self.origin.clone(), self.buf_start + start as u64, line);
        if let Some((offset, line, size)) = self.oversize.take() {
            let size = size + (stop - start);
            let position = Position::line(self.origin.clone(), offset, line);
            sink(
                position,
                Err(ParseError::TooLarge {
                    size,
                    limit: self.max_record,
                }),
            );
            return true;
        }
        super::file::emit_line(&self.buf[start..stop], position, sink)
    }

    /// Emits a last line without a newline (the file will not grow any more).
    fn end_generation(&mut self, sink: &mut RecordSink<'_>) {
        let (start, stop) = (self.cursor, self.buf.len());
        if stop > start || self.oversize.is_some() {
            self.emit(start, stop, sink);
        }
        self.buf.clear();
        self.cursor = 0;
    }

    fn start_generation(&mut self, file: File, identity: (u64, u64)) {
        self.file = file;
        self.identity = identity;
        self.generation += 1;
        self.origin = Arc::from(format!("{}#{}", self.path.display(), self.generation));
        (self.read_pos, self.buf_start, self.next_line) = (0, 0, 1);
        self.draining = false;
    }

    /// The file the path names now, if it is not the one being read or it shrank.
    fn rotated(&self) -> Option<(File, (u64, u64))> {
        let meta = std::fs::metadata(&self.path).ok()?;
        let replaced = (meta.dev(), meta.ino()) != self.identity;
        (replaced || meta.len() < self.read_pos)
            .then(|| open_identified(&self.path).ok())
            .flatten()
    }

    fn finish(&mut self, sink: &mut RecordSink<'_>) -> bool {
        self.end_generation(sink);
        self.done = true;
        false
    }
}

fn open_identified(path: &Path) -> std::io::Result<(File, (u64, u64))> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    Ok((file, (meta.dev(), meta.ino())))
}

impl Unit for FollowFile {
    fn next_batch(&mut self, max: usize, sink: &mut RecordSink<'_>) -> bool {
        if self.done {
            return false;
        }
        let mut produced = 0;
        while produced < max {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.cursor..]) {
                let (start, stop) = (self.cursor, self.cursor + i);
                self.cursor = stop + 1;
                produced += usize::from(self.emit(start, stop, sink));
                continue;
            }
            let pending = self.buf.len() - self.cursor;
            if pending > self.max_record {
                // Too long to keep: remember where it started and drop its bytes.
                let at = (self.buf_start + self.cursor as u64, self.next_line);
                let (offset, line, size) = self.oversize.unwrap_or((at.0, at.1, 0));
                self.oversize = Some((offset, line, size + pending));
                self.cursor = self.buf.len();
            }
            if self.options.stop.load(Ordering::Relaxed) {
                return self.finish(sink);
            }
            let now = Instant::now();
            if now < self.next_poll {
                break;
            }
            match self.read_more() {
                Ok(0) => {}
                Ok(_) => {
                    self.last_data = now;
                    self.options.activity.touch();
                    continue;
                }
                Err(e) => {
                    let position =
                        Position::line(self.origin.clone(), self.read_pos, self.next_line);
                    sink(position, Err(ParseError::Read(e.to_string())));
                    return self.finish(sink);
                }
            }
            if let Some((file, identity)) = self.rotated() {
                if identity != self.identity && !self.draining {
                    // Lines written to the old file just before the rename come first.
                    self.draining = true;
                    continue;
                }
                self.end_generation(sink);
                self.start_generation(file, identity);
                continue;
            }
            let quiet = self.options.activity.quiet_for();
            if self.options.idle_exit.is_some_and(|limit| quiet >= limit) {
                return self.finish(sink);
            }
            self.next_poll = now + self.options.poll;
            break;
        }
        true
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn idle(&self) -> bool {
        let complete_line = memchr::memchr(b'\n', &self.buf[self.cursor..]).is_some();
        !complete_line && self.last_data.elapsed() >= self.options.idle_after
    }
}
