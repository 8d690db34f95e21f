//! What to follow and how: the files of a follow run, polling, and how following ends.

use super::FollowFile;
use crate::source::Unit;
use crate::{Error, Result};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How followed files are polled and when following ends.
#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// Pause between polls of a file that has no new data.
    pub poll: Duration,
    /// A file without new data for this long reports [`Unit::idle`], so it does not hold
    /// the frontier back (and auditd events still open at its end are flushed).
    pub idle_after: Duration,
    /// End the run once no followed file of this process grew for this long (for tests and
    /// bounded runs); `None` follows until stopped.
    pub idle_exit: Option<Duration>,
    /// Set to end following: each file emits what it holds and finishes.
    pub stop: Arc<AtomicBool>,
    pub(super) activity: Arc<Activity>,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            poll: Duration::from_millis(200),
            idle_after: Duration::from_secs(5),
            idle_exit: None,
            stop: Arc::default(),
            activity: Arc::new(Activity::new()),
        }
    }
}

/// When any file sharing these options last grew.
#[derive(Debug)]
pub(super) struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    pub(super) fn touch(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(now, Ordering::Relaxed);
    }

    pub(super) fn quiet_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// The files of a follow run, one unit each (never cut into chunks: a followed file is
/// read in order by one worker).
#[derive(Clone, Debug)]
pub struct FollowPlan {
    /// Files to follow.
    pub paths: Vec<PathBuf>,
    /// Polling and ending.
    pub options: FollowOptions,
}

impl FollowPlan {
    /// Plans following `paths`: existing regular files, not stdin (which streams anyway)
    /// and not gzip (which cannot grow line by line).
    pub fn new(paths: Vec<PathBuf>) -> Result<Self> {
        for path in &paths {
            if path.as_os_str() == "-" {
                return Err(Error::invalid(
                    "--follow",
                    "stdin cannot be followed; it is read as it arrives without --follow",
                ));
            }
            let mut head = [0u8; 2];
            let file = File::open(path).map_err(|e| Error::io("cannot follow", path, e))?;
            let n = file.read_at(&mut head, 0).unwrap_or(0);
            if head[..n] == [0x1f, 0x8b] {
                return Err(Error::invalid(
                    "--follow",
                    format!(
                        "{} is gzip: follow the plain log it was rotated from",
                        path.display()
                    ),
                ));
            }
        }
        Ok(FollowPlan {
            paths,
            options: FollowOptions::default(),
        })
    }

    /// Sets [`FollowOptions::stop`] on SIGINT and SIGTERM, so a follow run ends cleanly and
    /// writes its outputs; a second signal exits at once.
    pub fn stop_on_signals(&self) -> Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        for signal in [SIGINT, SIGTERM] {
            let stop = self.options.stop.clone();
            signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone())
                .and_then(|_| signal_hook::flag::register(signal, stop))
                .map_err(|e| Error::Dataflow(format!("cannot handle signals: {e}")))?;
        }
        Ok(())
    }

    /// Opens the files worker `index` of `peers` owns: every `peers`-th.
    pub fn open_units(
        &self,
        index: usize,
        peers: usize,
        max_record: usize,
    ) -> Result<Vec<Box<dyn Unit>>> {
        let mut units: Vec<Box<dyn Unit>> = Vec::new();
        for path in self.paths.iter().skip(index).step_by(peers.max(1)) {
            let unit = FollowFile::open(path, self.options.clone(), max_record)?;
            units.push(Box::new(unit));
        }
        Ok(units)
    }
}
