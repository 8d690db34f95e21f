//! Which offsets may be committed: those whose records the sinks have finished with.
//!
//! Each partition reader notes, per batch, the offset after the batch and the latest
//! timestamp its records were emitted at. When the sinks' frontier passes that timestamp,
//! every alert that could depend on the batch has been written, and the offset is committed
//! to the group: at-least-once end to end (a restart replays at most the uncommitted tail,
//! and replayed alerts carry the same content-derived ids).

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// Offsets committed so far, by (topic, partition), shared by every worker of a process
/// so a run can report them.
pub type CommittedOffsets = Arc<Mutex<BTreeMap<(String, i32), i64>>>;

/// One partition's read-but-not-yet-committed batches.
pub struct PartitionLedger {
    topic: String,
    partition: i32,
    consumer: Arc<BaseConsumer>,
    /// (offset after the batch, latest emit time of its records), oldest first.
    pending: VecDeque<(i64, u64)>,
    committed: Option<i64>,
}

impl PartitionLedger {
    /// A ledger committing through `consumer`.
    pub fn new(topic: &str, partition: i32, consumer: Arc<BaseConsumer>) -> Self {
        PartitionLedger {
            topic: topic.to_string(),
            partition,
            consumer,
            pending: VecDeque::new(),
            committed: None,
        }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The partition.
    pub fn partition(&self) -> i32 {
        self.partition
    }

    /// Notes a batch: records before `next_offset` were emitted at or before `latest`.
    pub fn record(&mut self, next_offset: i64, latest: u64) {
        match self.pending.back_mut() {
            // Batches emitted at the same latest time commit together: keep the deque short.
            Some(back) if back.1 == latest => back.0 = next_offset,
            _ => self.pending.push_back((next_offset, latest)),
        }
    }

    /// The offset that may be committed once the sinks' frontier is `done` (`None`: the
    /// dataflow is complete), if it is newer than the last commit.
    fn releasable(&mut self, done: Option<u64>) -> Option<i64> {
        let mut offset = None;
        while let Some(&(next, latest)) = self.pending.front() {
            if done.is_some_and(|d| latest >= d) {
                break;
            }
            offset = Some(next);
            self.pending.pop_front();
        }
        offset.filter(|o| self.committed.is_none_or(|c| *o > c))
    }
}

#[derive(Default)]
struct BookState {
    ledgers: Vec<Rc<RefCell<PartitionLedger>>>,
    /// The sinks' frontier, once a committer watches it.
    done: Option<u64>,
}

/// A worker's ledgers, shared by its partition readers and its offset committer.
#[derive(Clone, Default)]
pub struct OffsetBook {
    state: Rc<RefCell<BookState>>,
    report: CommittedOffsets,
}

impl OffsetBook {
    /// A book reporting its commits into `report`.
    pub fn new(report: CommittedOffsets) -> Self {
        OffsetBook {
            state: Rc::default(),
            report,
        }
    }

    /// Adds a partition's ledger.
    pub fn register(&self, ledger: Rc<RefCell<PartitionLedger>>) {
        self.state.borrow_mut().ledgers.push(ledger);
    }

    /// The sinks' frontier as last seen by the committer (`None` before it first runs).
    pub fn done(&self) -> Option<u64> {
        self.state.borrow().done
    }

    /// Commits every offset whose records the sinks are done with: those emitted before
    /// `done`, or all of them when `done` is `None` (the dataflow has completed).
    pub fn release(&self, done: Option<u64>) {
        let mut state = self.state.borrow_mut();
        state.done = done.or(state.done);
        for ledger in &state.ledgers {
            let mut ledger = ledger.borrow_mut();
            let Some(offset) = ledger.releasable(done) else {
                continue;
            };
            let mut list = TopicPartitionList::new();
            let added =
                list.add_partition_offset(&ledger.topic, ledger.partition, Offset::Offset(offset));
            // At the end of a run, commit synchronously: the process is about to exit.
            let mode = if done.is_none() {
                CommitMode::Sync
            } else {
                CommitMode::Async
            };
            match added.and_then(|()| ledger.consumer.commit(&list, mode)) {
                Ok(()) => {
                    ledger.committed = Some(offset);
                    let key = (ledger.topic.clone(), ledger.partition);
                    self.report
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(key, offset);
                }
                Err(e) => eprintln!(
                    "kafka: cannot commit offset {offset} of {}/{}: {e} (will retry with \
                     the next commit; records after the last commit are replayed on restart)",
                    ledger.topic, ledger.partition
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::config::ClientConfig;

    fn ledger() -> PartitionLedger {
        // Never connects: the ledger's bookkeeping is tested without committing.
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .set("group.id", "ledger-test")
            .create()
            .expect("a consumer without a broker");
        PartitionLedger::new("t", 0, Arc::new(consumer))
    }

    #[test]
    fn only_batches_emitted_before_the_sinks_frontier_are_releasable() {
        let mut l = ledger();
        l.record(10, 60);
        l.record(20, 60);
        l.record(35, 120);
        l.record(50, 180);
        assert_eq!(l.releasable(Some(60)), None, "time 60 not yet written");
        assert_eq!(l.releasable(Some(61)), Some(20));
        assert_eq!(l.releasable(Some(121)), Some(35));
        assert_eq!(
            l.releasable(None),
            Some(50),
            "a completed dataflow releases all"
        );
        assert_eq!(l.releasable(None), None);
    }
}
