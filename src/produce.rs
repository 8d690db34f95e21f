//! `auditflow produce`: the built-in generator straight into a Kafka topic, keyed by
//! principal (so one principal's records stay in order on one partition).

use crate::generate::{all, GeneratorConfig};
use crate::sink::kafka::{ensure_topic, KafkaWriter, ProducerSettings};
use crate::Result;
use std::time::{Duration, Instant};

/// What to produce, where, and how fast.
#[derive(Clone, Debug)]
pub struct ProduceOptions {
    /// The generator (family, event count, seed, days, principals).
    pub generator: GeneratorConfig,
    /// Keep producing round after round (each one later in event time, new seed).
    pub forever: bool,
    /// Events per second; `None`: as fast as the broker takes them.
    pub rate: Option<f64>,
    /// Bootstrap brokers.
    pub brokers: String,
    /// Topic, created with `partitions` partitions if missing.
    pub topic: String,
    /// Partitions of a newly created topic.
    pub partitions: i32,
    /// Producer settings.
    pub settings: ProducerSettings,
}

/// What was produced.
#[derive(Clone, Debug, PartialEq)]
pub struct ProduceReport {
    /// Records the broker acknowledged.
    pub delivered: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Produces the generator's records in arrival order. With `forever`, runs until killed.
pub fn produce(options: &ProduceOptions) -> Result<ProduceReport> {
    let start = Instant::now();
    ensure_topic(
        &options.brokers,
        &options.topic,
        options.partitions,
        &options.settings.options,
    )?;
    let writer = KafkaWriter::connect(&options.brokers, &options.topic, &options.settings)?;
    let mut sent = 0u64;
    let mut round = 0u64;
    loop {
        let mut config = options.generator.clone();
        config.seed = config.seed.wrapping_add(round);
        config.start_ns += round as i64 * config.days as i64 * 86_400_000_000_000;
        for record in all(&config) {
            writer.send(Some(record.principal.as_bytes()), &record.raw)?;
            sent += 1;
            if let Some(rate) = options.rate {
                // Sleep off any lead over the target rate, in small steps.
                let due = Duration::from_secs_f64(sent as f64 / rate);
                if let Some(ahead) = due.checked_sub(start.elapsed()) {
                    writer.poll();
                    std::thread::sleep(ahead);
                }
            } else if sent % 1024 == 0 {
                writer.poll();
            }
        }
        round += 1;
        if !options.forever {
            break;
        }
    }
    let delivered = writer.flush(Duration::from_secs(120))?;
    Ok(ProduceReport {
        delivered,
        elapsed: start.elapsed(),
    })
}
