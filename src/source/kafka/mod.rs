//! Kafka: every worker of every process reads the partitions it owns.
//!
//! Worker `w` of `peers` (global index, all processes) owns the partitions `p` with
//! `p % peers == w`, assigned by hand (never a consumer-group subscribe), so partitions are
//! neither read twice nor missed whatever the process layout. Each owned partition is a
//! [`crate::source::Unit`] with its own event-time watermark and an idleness timeout; a
//! [`TopicWatch`] unit per worker finds the partitions (retrying while the brokers are
//! down, and picking up partitions added later). Offsets go to an [`OffsetBook`] and are
//! committed to the group only once the sinks have written everything read before them.

mod offsets;
mod partition;
mod watch;

pub use offsets::{CommittedOffsets, OffsetBook, PartitionLedger};
pub use partition::PartitionReader;
pub use watch::TopicWatch;

use crate::event::time::parse_rfc3339_ns;
use crate::{Error, Result};
use rdkafka::config::ClientConfig;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a partition is read from when the run starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartFrom {
    /// The group's committed offset (earliest when the group has none): resume.
    Committed,
    /// The oldest retained record.
    Earliest,
    /// Only records produced from now on.
    Latest,
    /// The first record whose Kafka timestamp is at or after this time (ms since epoch).
    Timestamp(i64),
}

impl FromStr for StartFrom {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "committed" => Ok(StartFrom::Committed),
            "earliest" => Ok(StartFrom::Earliest),
            "latest" => Ok(StartFrom::Latest),
            other => parse_rfc3339_ns(other)
                .map(|ns| StartFrom::Timestamp(ns.div_euclid(1_000_000)))
                .ok_or_else(|| {
                    Error::invalid(
                        "kafka start",
                        format!(
                            "{other:?}: use committed, earliest, latest or an RFC 3339 time \
                             like 2024-05-01T00:00:00Z"
                        ),
                    )
                }),
        }
    }
}

/// A Kafka source: which topic, where to start, and the client settings.
#[derive(Clone, Debug)]
pub struct KafkaSource {
    /// Bootstrap brokers, `host:port[,host:port...]`.
    pub brokers: String,
    /// The topic to read.
    pub topic: String,
    /// Consumer group offsets are committed to (and resumed from).
    pub group: String,
    /// Where reading starts.
    pub start: StartFrom,
    /// Stop once every owned partition reached the high watermark it had at start.
    pub until_caught_up: bool,
    /// librdkafka options passed through (`security.protocol`, `sasl.*`, `ssl.*`, ...).
    pub options: BTreeMap<String, String>,
    /// A partition without records for this long stops holding the frontier back.
    pub idle_timeout: Duration,
    /// How often the topic's partition count is checked.
    pub refresh: Duration,
    /// Pause reading while the sinks trail the newest event time read by more than this
    /// many seconds of event time (backpressure); `None`: never pause.
    pub max_lag_secs: Option<u64>,
    /// Stop reading at this instant (a timed run, such as a latency benchmark on a live
    /// topic); `None`: read until `until_caught_up` says or forever.
    pub stop_at: Option<Instant>,
    /// Counters shared by every clone of this source (every worker of the process).
    pub metrics: Arc<KafkaMetrics>,
}

/// What the partition readers of a process did, for reports and tests.
#[derive(Debug, Default)]
pub struct KafkaMetrics {
    /// Times a partition reader paused because the sinks trailed what it had emitted by
    /// more than `max_lag_secs` of event time (backpressure).
    pub pauses: AtomicU64,
    /// Times a paused reader resumed once the sinks caught up.
    pub resumes: AtomicU64,
}

impl KafkaMetrics {
    /// (pauses, resumes) so far.
    pub fn pauses_and_resumes(&self) -> (u64, u64) {
        (
            self.pauses.load(Ordering::Relaxed),
            self.resumes.load(Ordering::Relaxed),
        )
    }
}

/// Default consumer group.
pub const DEFAULT_GROUP: &str = "auditflow";

impl KafkaSource {
    /// A source for `topic` on `brokers` with default settings: group [`DEFAULT_GROUP`],
    /// start from committed offsets, streaming.
    pub fn new(brokers: impl Into<String>, topic: impl Into<String>) -> Self {
        KafkaSource {
            brokers: brokers.into(),
            topic: topic.into(),
            group: DEFAULT_GROUP.into(),
            start: StartFrom::Committed,
            until_caught_up: false,
            options: BTreeMap::new(),
            idle_timeout: Duration::from_secs(5),
            refresh: Duration::from_secs(10),
            max_lag_secs: Some(600),
            stop_at: None,
            metrics: Arc::default(),
        }
    }

    /// Checks the settings that can be checked without a broker.
    pub fn validate(&self) -> Result<()> {
        if self.brokers.trim().is_empty() {
            return Err(Error::invalid(
                "kafka brokers",
                "give host:port of a broker",
            ));
        }
        if self.topic.trim().is_empty() {
            return Err(Error::invalid("kafka topic", "give the topic to read"));
        }
        for key in ["group.id", "enable.auto.commit", "bootstrap.servers"] {
            if self.options.contains_key(key) {
                return Err(Error::invalid(
                    "kafka option",
                    format!("{key} is set by AuditFlow itself; use --kafka, --group instead"),
                ));
            }
        }
        Ok(())
    }

    /// The consumer configuration: our fixed settings, then the pass-through options.
    pub fn consumer_config(&self) -> ClientConfig {
        let mut config = client_config(&self.brokers, &self.options);
        config
            .set("group.id", &self.group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false")
            .set("auto.offset.reset", "earliest");
        config
    }

    /// Opens worker `index` of `peers`: the unit that finds and hands out its partitions.
    pub fn open_worker(&self, index: usize, peers: usize, book: OffsetBook) -> TopicWatch {
        TopicWatch::new(self.clone(), index, peers, book)
    }
}

/// A client configuration for `brokers` with `options` applied on top.
pub fn client_config(brokers: &str, options: &BTreeMap<String, String>) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    for (key, value) in options {
        config.set(key, value);
    }
    config
}

/// Splits `key=value` into its parts (for `--kafka-option`).
pub fn parse_option(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(Error::invalid(
            "kafka option",
            format!("{text:?}: write key=value, e.g. security.protocol=SASL_SSL"),
        )),
    }
}

/// Whether a timed run has reached its end.
fn stopped(stop_at: Option<Instant>) -> bool {
    stop_at.is_some_and(|at| Instant::now() >= at)
}

/// Whether worker `index` of `peers` owns `partition`.
pub fn owns(index: usize, peers: usize, partition: i32) -> bool {
    partition as usize % peers == index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_positions_parse_and_bad_ones_are_explained() {
        assert_eq!(
            "committed".parse::<StartFrom>().unwrap(),
            StartFrom::Committed
        );
        assert_eq!(
            "earliest".parse::<StartFrom>().unwrap(),
            StartFrom::Earliest
        );
        assert_eq!("latest".parse::<StartFrom>().unwrap(), StartFrom::Latest);
        assert_eq!(
            "1970-01-01T00:00:01.5Z".parse::<StartFrom>().unwrap(),
            StartFrom::Timestamp(1500)
        );
        let err = "yesterday".parse::<StartFrom>().unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }

    #[test]
    fn every_partition_has_exactly_one_owner() {
        for peers in 1..6 {
            for p in 0..20 {
                let owners = (0..peers).filter(|w| owns(*w, peers, p)).count();
                assert_eq!(owners, 1, "partition {p} with {peers} workers");
            }
        }
    }

    #[test]
    fn options_are_key_value_and_reserved_keys_are_refused() {
        assert_eq!(
            parse_option("sasl.mechanism=PLAIN").unwrap(),
            ("sasl.mechanism".into(), "PLAIN".into())
        );
        assert!(parse_option("novalue").is_err());
        let mut source = KafkaSource::new("127.0.0.1:9092", "t");
        source.options.insert("group.id".into(), "x".into());
        assert!(source.validate().is_err());
    }
}
