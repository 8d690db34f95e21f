//! The unit that finds a worker's partitions: at start (retrying with backoff while the
//! brokers cannot be reached) and then periodically, so partitions added to the topic are
//! picked up while running. It reads no records itself and is always idle, so it never
//! holds the frontier back.

use super::offsets::OffsetBook;
use super::partition::PartitionReader;
use super::{owns, KafkaSource};
use crate::source::{RecordSink, Unit};
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::time::{Duration, Instant};

const METADATA_TIMEOUT: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Finds the partitions worker `index` of `peers` owns and hands them to the source.
pub struct TopicWatch {
    source: KafkaSource,
    index: usize,
    peers: usize,
    book: OffsetBook,
    client: Option<BaseConsumer>,
    /// Partitions below this have been opened (or are not ours).
    opened_below: i32,
    found: Vec<Box<dyn Unit>>,
    next_check: Instant,
    backoff: Duration,
    /// With `--until-caught-up`, the partitions are found once and the watch ends.
    finished: bool,
}

impl TopicWatch {
    /// A watch for worker `index` of `peers` (global indices, all processes).
    pub fn new(source: KafkaSource, index: usize, peers: usize, book: OffsetBook) -> Self {
        TopicWatch {
            source,
            index,
            peers,
            book,
            client: None,
            opened_below: 0,
            found: Vec::new(),
            next_check: Instant::now(),
            backoff: FIRST_BACKOFF,
            finished: false,
        }
    }

    /// The topic's partition count, or why it is unknown.
    fn partition_count(&mut self) -> Result<i32, String> {
        if self.client.is_none() {
            let client = self
                .source
                .consumer_config()
                .create()
                .map_err(|e| format!("cannot create a Kafka client: {e}"))?;
            self.client = Some(client);
        }
        let client = self.client.as_ref().expect("created above");
        let topic = self.source.topic.as_str();
        let metadata = client
            .fetch_metadata(Some(topic), METADATA_TIMEOUT)
            .map_err(|e| format!("cannot reach brokers {}: {e}", self.source.brokers))?;
        match metadata.topics().iter().find(|t| t.name() == topic) {
            Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
                Ok(t.partitions().len() as i32)
            }
            _ => Err(format!(
                "topic {topic} does not exist on {} (create it, e.g. `auditflow produce` or \
                 `tansu topic create`)",
                self.source.brokers
            )),
        }
    }

    fn check(&mut self) {
        let count = match self.partition_count() {
            Ok(count) => count,
            Err(why) => return self.retry_later(&why),
        };
        while self.opened_below < count {
            let p = self.opened_below;
            if owns(self.index, self.peers, p) {
                match PartitionReader::open(&self.source, p, self.book.clone()) {
                    Ok(reader) => self.found.push(Box::new(reader)),
                    Err(e) => return self.retry_later(&e.to_string()),
                }
            }
            self.opened_below += 1;
        }
        self.backoff = FIRST_BACKOFF;
        self.next_check = Instant::now() + self.source.refresh;
        self.finished = self.source.until_caught_up;
    }

    fn retry_later(&mut self, why: &str) {
        eprintln!(
            "kafka: worker {}: {why}; retrying in {:.1}s",
            self.index,
            self.backoff.as_secs_f64()
        );
        self.next_check = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }
}

impl Unit for TopicWatch {
    fn next_batch(&mut self, _max: usize, _sink: &mut RecordSink<'_>) -> bool {
        if super::stopped(self.source.stop_at) {
            self.finished = true;
        }
        if !self.finished && Instant::now() >= self.next_check {
            self.check();
        }
        !self.finished
    }

    fn bytes_read(&self) -> u64 {
        0
    }

    fn idle(&self) -> bool {
        true
    }

    fn discovered(&mut self) -> Vec<Box<dyn Unit>> {
        std::mem::take(&mut self.found)
    }
}
