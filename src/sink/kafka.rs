//! Kafka as a sink: an idempotent, keyed producer (alerts, dead letters, `auditflow
//! produce`), and topic creation.

use crate::source::kafka::client_config;
use crate::{Error, Result};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Producer settings a user tunes.
#[derive(Clone, Debug)]
pub struct ProducerSettings {
    /// `acks`: `all` (default), `1` or `0`.
    pub acks: String,
    /// `compression.type`: `none` (default), `gzip`, `snappy`, `lz4`, `zstd`.
    pub compression: String,
    /// librdkafka options passed through.
    pub options: BTreeMap<String, String>,
}

impl Default for ProducerSettings {
    fn default() -> Self {
        ProducerSettings {
            acks: "all".into(),
            compression: "none".into(),
            options: BTreeMap::new(),
        }
    }
}

/// Counts deliveries the broker confirmed and those that failed for good, and keeps the
/// first failure to report it.
#[derive(Default)]
pub struct DeliveryCounter {
    delivered: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for DeliveryCounter {}

impl ProducerContext for DeliveryCounter {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

/// An idempotent producer to one topic: no duplicates from its own retries, order kept
/// per key.
pub struct KafkaWriter {
    producer: BaseProducer<DeliveryCounter>,
    topic: String,
}

impl KafkaWriter {
    /// A producer to `topic` on `brokers`.
    pub fn connect(brokers: &str, topic: &str, settings: &ProducerSettings) -> Result<Self> {
        let mut config = client_config(brokers, &BTreeMap::new());
        config
            .set("enable.idempotence", "true")
            .set("acks", &settings.acks)
            .set("compression.type", &settings.compression)
            .set("linger.ms", "5");
        for (key, value) in &settings.options {
            config.set(key, value);
        }
        let producer = config
            .create_with_context(DeliveryCounter::default())
            .map_err(|e| Error::Kafka(format!("cannot create a producer for {topic}: {e}")))?;
        Ok(KafkaWriter {
            producer,
            topic: topic.to_string(),
        })
    }

    /// Queues one record; when the local queue is full, serves deliveries and retries.
    pub fn send(&self, key: Option<&[u8]>, payload: &[u8]) -> Result<()> {
        loop {
            let mut record = BaseRecord::to(&self.topic).payload(payload);
            if let Some(key) = key {
                record = record.key(key);
            }
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => {
                    return Err(Error::Kafka(format!("cannot send to {}: {e}", self.topic)))
                }
            }
        }
    }

    /// Serves delivery reports without blocking.
    pub fn poll(&self) {
        self.producer.poll(Duration::ZERO);
    }

    /// Waits until every queued record is delivered (or failed for good). Fails if any
    /// record could not be delivered.
    pub fn flush(&self, timeout: Duration) -> Result<u64> {
        self.producer
            .flush(timeout)
            .map_err(|e| Error::Kafka(format!("cannot flush to {}: {e}", self.topic)))?;
        let context = self.producer.context();
        let failed = context.failed.load(Ordering::Relaxed);
        if failed > 0 {
            let first = context
                .first_error
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            return Err(Error::Kafka(format!(
                "{failed} record(s) could not be delivered to {} (first: {})",
                self.topic,
                first.as_deref().unwrap_or("unknown")
            )));
        }
        Ok(context.delivered.load(Ordering::Relaxed))
    }
}

/// Creates `topic` with `partitions` partitions unless it exists.
pub fn ensure_topic(
    brokers: &str,
    topic: &str,
    partitions: i32,
    options: &BTreeMap<String, String>,
) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = client_config(brokers, options)
        .create()
        .map_err(|e| Error::Kafka(format!("cannot create an admin client: {e}")))?;
    let metadata = admin
        .inner()
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .map_err(|e| Error::Kafka(format!("cannot reach brokers {brokers}: {e}")))?;
    let exists = metadata
        .topics()
        .iter()
        .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty());
    if exists {
        return Ok(());
    }
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = futures_executor::block_on(admin.create_topics([&new], &opts))
        .map_err(|e| Error::Kafka(format!("cannot create topic {topic} on {brokers}: {e}")))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(Error::Kafka(format!("cannot create topic {name}: {code}")))
            }
        }
    }
    Ok(())
}

/// A line-oriented writer into a topic: each JSON line becomes one record, keyed by its
/// `principal` field when it has one (alerts). `flush` waits for delivery, so a sink
/// that flushes after each batch has its records on the broker before it returns.
pub struct KafkaLines {
    writer: Arc<KafkaWriter>,
    line: Vec<u8>,
}

impl KafkaLines {
    /// Lines into `topic` on `brokers`, acks=all, idempotent.
    pub fn connect(brokers: &str, topic: &str) -> Result<Self> {
        let writer = KafkaWriter::connect(brokers, topic, &ProducerSettings::default())?;
        Ok(KafkaLines {
            writer: Arc::new(writer),
            line: Vec::new(),
        })
    }

    fn send_line(&mut self) -> std::io::Result<()> {
        let line = self.line.trim_ascii();
        if !line.is_empty() {
            #[derive(serde::Deserialize)]
            struct Keyed {
                principal: Option<String>,
            }
            let key = serde_json::from_slice::<Keyed>(line)
                .ok()
                .and_then(|k| k.principal);
            self.writer
                .send(key.as_deref().map(str::as_bytes), line)
                .map_err(std::io::Error::other)?;
        }
        self.line.clear();
        Ok(())
    }
}

impl Write for KafkaLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for part in buf.split_inclusive(|b| *b == b'\n') {
            self.line.extend_from_slice(part);
            if part.ends_with(b"\n") {
                self.send_line()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_line()?;
        self.writer
            .flush(Duration::from_secs(60))
            .map(|_| ())
            .map_err(std::io::Error::other)
    }
}
