//! `auditflow produce`: the built-in generator straight into a Kafka topic, keyed by
//! principal (so one principal's records stay in order on one partition).

use crate::event::time::format_rfc3339_secs;
use crate::generate::{all, GeneratorConfig};
use crate::sink::kafka::{ensure_topic, KafkaWriter, ProducerSettings};
use crate::Result;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// Stamp each record with the wall-clock time it is sent at (every timestamp in it
    /// shifted alike), so event time runs with the clock as in a live deployment and
    /// event-to-alert latency can be measured from event time.
    pub live: bool,
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
            if options.live {
                let now = wall_clock_ns();
                let raw = restamp(&record.raw, record.time_ns, record.arrival_ns, now);
                writer.send(Some(record.principal.as_bytes()), &raw)?;
            } else {
                writer.send(Some(record.principal.as_bytes()), &record.raw)?;
            }
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

/// Nanoseconds since the Unix epoch, now.
pub fn wall_clock_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// A generated record moved in time so its event time is `now_ns`: every timestamp written
/// from its event time or its arrival time (both the nanosecond and the whole-second
/// spellings the generator uses) is shifted by the same amount, so the record stays
/// internally consistent.
pub fn restamp(raw: &[u8], time_ns: i64, arrival_ns: i64, now_ns: i64) -> Vec<u8> {
    let shift = now_ns - time_ns;
    let mut out = raw.to_vec();
    for from in [time_ns, arrival_ns] {
        for spell in [quoted_nanos, quoted_secs] {
            let (old, new) = (spell(from), spell(from + shift));
            let mut at = 0;
            while let Some(found) = memchr::memmem::find(&out[at..], old.as_bytes()) {
                let start = at + found;
                out.splice(start..start + old.len(), new.bytes());
                at = start + new.len();
            }
        }
    }
    out
}

/// `"YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"`, as the generator writes GCP times.
fn quoted_nanos(ns: i64) -> String {
    let whole = format_rfc3339_secs(ns.div_euclid(1_000_000_000));
    let stem = whole.trim_end_matches('Z');
    format!("\"{stem}.{:09}Z\"", ns.rem_euclid(1_000_000_000))
}

/// `"YYYY-MM-DDTHH:MM:SSZ"`, as the generator writes CloudTrail times.
fn quoted_secs(ns: i64) -> String {
    format!("\"{}\"", format_rfc3339_secs(ns.div_euclid(1_000_000_000)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Position;
    use crate::generate::{all, GeneratorConfig};
    use crate::parse::{parse_record, Format};

    #[test]
    fn a_restamped_record_parses_with_the_new_event_time() {
        let now = 1_900_000_000_123_456_789;
        for format in [Format::Gcp, Format::Cloudtrail] {
            for record in all(&GeneratorConfig::new(format, 50, 4)) {
                let raw = restamp(&record.raw, record.time_ns, record.arrival_ns, now);
                let position = Position {
                    origin: "test".into(),
                    offset: 0,
                    line: None,
                };
                let event = parse_record(format, &raw, &position).expect("parses");
                // CloudTrail event times are whole seconds.
                let expected = match format {
                    Format::Cloudtrail => now / 1_000_000_000 * 1_000_000_000,
                    _ => now,
                };
                assert_eq!(event.time_ns, expected, "{format:?}");
                // CloudTrail's session creation time (an hour boundary) may stay as it was.
                let text = String::from_utf8(raw).unwrap();
                if format == Format::Gcp {
                    assert!(
                        !text.contains("2026-11"),
                        "an old timestamp is left: {text}"
                    );
                }
            }
        }
    }
}
