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

mod chunk;

pub(crate) use chunk::emit_line;
pub use chunk::LineChunk;

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
