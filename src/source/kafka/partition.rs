//! One owned partition as a [`Unit`]: its own consumer, assigned by hand.

use super::offsets::{OffsetBook, PartitionLedger};
use super::{KafkaMetrics, KafkaSource, StartFrom};
use crate::event::Position;
use crate::source::{RecordSink, Unit};
use crate::{Error, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const METADATA_TIMEOUT: Duration = Duration::from_secs(5);
const ERROR_LOG_EVERY: Duration = Duration::from_secs(10);

/// Reads one partition. A partition is a sequence like a file: one watermark, and offsets
/// as positions, so dead letters name `topic/partition@offset`.
pub struct PartitionReader {
    consumer: Arc<BaseConsumer>,
    origin: Arc<str>,
    ledger: Rc<RefCell<PartitionLedger>>,
    book: OffsetBook,
    /// With `--until-caught-up`: the high watermark at start; reading stops there.
    stop_at: Option<i64>,
    next_offset: i64,
    done: bool,
    idle_timeout: Duration,
    last_record: Instant,
    /// Quiet for the idle timeout and confirmed caught up with the broker.
    idle: bool,
    max_lag_secs: Option<u64>,
    latest_emitted: u64,
    last_error_log: Option<Instant>,
    bytes: u64,
    /// A timed run's end.
    deadline: Option<Instant>,
    /// Paused by backpressure at the last batch.
    paused: bool,
    metrics: Arc<KafkaMetrics>,
}

impl PartitionReader {
    /// Assigns `partition` of the source's topic to a new consumer, positioned as
    /// `source.start` says.
    pub fn open(source: &KafkaSource, partition: i32, book: OffsetBook) -> Result<Self> {
        let topic = source.topic.as_str();
        let fail = |what: &str, e: rdkafka::error::KafkaError| {
            Error::Kafka(format!("{what} {topic}/{partition}: {e}"))
        };
        let consumer: BaseConsumer = source
            .consumer_config()
            .create()
            .map_err(|e| fail("cannot create a consumer for", e))?;
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, METADATA_TIMEOUT)
            .map_err(|e| fail("cannot read the watermarks of", e))?;
        let start = match source.start {
            StartFrom::Earliest => low,
            StartFrom::Latest => high,
            StartFrom::Committed => {
                let mut list = TopicPartitionList::new();
                list.add_partition(topic, partition);
                let committed = consumer
                    .committed_offsets(list, METADATA_TIMEOUT)
                    .map_err(|e| fail("cannot read the committed offset of", e))?;
                match committed
                    .find_partition(topic, partition)
                    .map(|e| e.offset())
                {
                    Some(Offset::Offset(o)) => o.max(low),
                    _ => low,
                }
            }
            StartFrom::Timestamp(ms) => {
                let mut list = TopicPartitionList::new();
                list.add_partition_offset(topic, partition, Offset::Offset(ms))
                    .map_err(|e| fail("cannot look up a time in", e))?;
                let found = consumer
                    .offsets_for_times(list, METADATA_TIMEOUT)
                    .map_err(|e| fail("cannot look up a time in", e))?;
                match found.find_partition(topic, partition).map(|e| e.offset()) {
                    Some(Offset::Offset(o)) => o,
                    _ => high,
                }
            }
        };
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(topic, partition, Offset::Offset(start))
            .map_err(|e| fail("cannot assign", e))?;
        consumer
            .assign(&list)
            .map_err(|e| fail("cannot assign", e))?;
        let consumer = Arc::new(consumer);
        let ledger = Rc::new(RefCell::new(PartitionLedger::new(
            topic,
            partition,
            consumer.clone(),
        )));
        book.register(ledger.clone());
        let stop_at = source.until_caught_up.then_some(high);
        Ok(PartitionReader {
            consumer,
            origin: Arc::from(format!("{topic}/{partition}")),
            ledger,
            book,
            stop_at,
            next_offset: start,
            done: stop_at.is_some_and(|high| start >= high),
            idle_timeout: source.idle_timeout,
            last_record: Instant::now(),
            idle: false,
            max_lag_secs: source.max_lag_secs,
            latest_emitted: 0,
            last_error_log: None,
            bytes: 0,
            deadline: source.stop_at,
            paused: false,
            metrics: source.metrics.clone(),
        })
    }

    /// True while the sinks trail what this partition has emitted by more than the bound.
    fn throttled(&self) -> bool {
        match (self.max_lag_secs, self.book.done()) {
            (Some(lag), Some(done)) => self.latest_emitted > done.saturating_add(lag),
            _ => false,
        }
    }

    /// A quiet partition is idle only if it has read up to the broker's high watermark: a
    /// worker that was merely busy (or a slow fetch) must not release the frontier early,
    /// or this partition's next events would land behind it.
    fn check_idle(&mut self) {
        let (topic, partition) = {
            let ledger = self.ledger.borrow();
            (ledger.topic().to_string(), ledger.partition())
        };
        match self
            .consumer
            .fetch_watermarks(&topic, partition, Duration::from_secs(1))
        {
            Ok((_, high)) if self.next_offset >= high => self.idle = true,
            Ok(_) => self.last_record = Instant::now(),
            Err(e) => {
                self.log_error(&e);
                self.last_record = Instant::now();
            }
        }
    }

    fn log_error(&mut self, e: &rdkafka::error::KafkaError) {
        if self
            .last_error_log
            .is_none_or(|t| t.elapsed() >= ERROR_LOG_EVERY)
        {
            self.last_error_log = Some(Instant::now());
            eprintln!(
                "kafka: {} at offset {}: {e} (the client keeps retrying; nothing is skipped)",
                self.origin, self.next_offset
            );
        }
    }
}

impl Unit for PartitionReader {
    fn next_batch(&mut self, max: usize, sink: &mut RecordSink<'_>) -> bool {
        if self.done || super::stopped(self.deadline) {
            self.done = true;
            return false;
        }
        let throttled = self.throttled();
        if throttled != self.paused {
            self.paused = throttled;
            let counter = match throttled {
                true => &self.metrics.pauses,
                false => &self.metrics.resumes,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if throttled {
            // Paused by backpressure, not quiet: do not let it count as idle.
            self.last_record = Instant::now();
            return true;
        }
        let mut read = 0;
        while read < max {
            let message = match self.consumer.poll(Duration::ZERO) {
                None => break,
                Some(Err(e)) => {
                    self.log_error(&e);
                    break;
                }
                Some(Ok(message)) => message,
            };
            read += 1;
            self.next_offset = message.offset() + 1;
            let position = Position {
                origin: self.origin.clone(),
                offset: message.offset().max(0) as u64,
                line: None,
            };
            let payload = message.payload().unwrap_or_default();
            self.bytes += payload.len() as u64;
            // A message may carry a CloudTrail `{"Records":[...]}` batch, like a file line.
            let expanded = crate::parse::expand_line_at(payload.trim_ascii(), |_at, record| {
                sink(position.clone(), Ok(record))
            });
            if let Err(e) = expanded {
                sink(position, Err(e));
            }
            if self.stop_at.is_some_and(|high| self.next_offset >= high) {
                self.done = true;
                break;
            }
        }
        if read > 0 {
            self.last_record = Instant::now();
            self.idle = false;
        } else if !self.idle && self.last_record.elapsed() >= self.idle_timeout {
            self.check_idle();
        }
        !self.done
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn idle(&self) -> bool {
        self.idle && !self.done
    }

    fn emitted(&mut self, latest: u64) {
        self.latest_emitted = self.latest_emitted.max(latest);
        self.ledger.borrow_mut().record(self.next_offset, latest);
    }
}
