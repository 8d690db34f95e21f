//! `produce`: the generator into a Kafka topic.

use auditflow::generate::GeneratorConfig;
use auditflow::parse::Format;
use auditflow::produce::{produce, ProduceOptions};
use auditflow::sink::kafka::ProducerSettings;
use auditflow::Error;

#[derive(clap::Args)]
pub struct ProduceArgs {
    /// gcp or cloudtrail.
    #[arg(long, default_value = "gcp")]
    format: Format,
    /// Number of records (per round with --forever).
    #[arg(long, required_unless_present = "forever")]
    events: Option<u64>,
    /// Keep producing until killed, each round later in event time.
    #[arg(long)]
    forever: bool,
    /// Events per second (default: as fast as the broker takes them).
    #[arg(long, value_name = "EV_PER_S")]
    rate: Option<f64>,
    /// Bootstrap brokers host:port[,host:port...].
    #[arg(long)]
    brokers: String,
    /// Topic (created if missing).
    #[arg(long)]
    topic: String,
    /// Partitions of a newly created topic.
    #[arg(long, default_value_t = 8)]
    partitions: i32,
    /// acks: all, 1 or 0.
    #[arg(long, default_value = "all")]
    acks: String,
    /// compression.type: none, gzip, snappy, lz4, zstd.
    #[arg(long, default_value = "none")]
    compression: String,
    /// A librdkafka producer option, key=value; repeatable.
    #[arg(long = "kafka-option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Stamp each record with the time it is sent (event time runs with the clock), for
    /// latency benchmarks against a streaming `run` or `bench --kafka`.
    #[arg(long)]
    live: bool,
    /// Days of event time per round.
    #[arg(long, default_value_t = 3)]
    days: u32,
}

impl ProduceArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        if self.format == Format::Auto {
            return Err(Error::invalid(
                "--format",
                "produce one family: gcp or cloudtrail",
            ));
        }
        if self.rate.is_some_and(|r| r <= 0.0) {
            return Err(Error::invalid(
                "--rate",
                "must be above 0 events per second",
            ));
        }
        if self.partitions < 1 {
            return Err(Error::invalid("--partitions", "must be at least 1"));
        }
        let events = self.events.unwrap_or(100_000);
        let mut generator = GeneratorConfig::new(self.format, events, self.seed);
        generator.days = self.days.max(1);
        let mut settings = ProducerSettings {
            acks: self.acks,
            compression: self.compression,
            ..ProducerSettings::default()
        };
        for option in &self.options {
            let (key, value) = auditflow::source::kafka::parse_option(option)?;
            settings.options.insert(key, value);
        }
        let report = produce(&ProduceOptions {
            generator,
            forever: self.forever,
            rate: self.rate,
            brokers: self.brokers,
            topic: self.topic.clone(),
            partitions: self.partitions,
            settings,
            live: self.live,
        })?;
        let secs = report.elapsed.as_secs_f64().max(1e-9);
        eprintln!(
            "produced {} records to {} in {secs:.2}s ({:.0} records/s)",
            report.delivered,
            self.topic,
            report.delivered as f64 / secs
        );
        Ok(())
    }
}
