//! From a spec's source section to an [`InputPlan`].

use super::InputPlan;
use crate::generate::GeneratorConfig;
use crate::parse::Format;
use crate::source::file::{expand_inputs, plan_files, CHUNK_BYTES};
use crate::source::follow::FollowPlan;
use crate::source::kafka::KafkaSource;
use crate::spec::{parse_duration, parse_duration_or_zero, KafkaSpec, SourceKind, SourceSpec};
use crate::{Error, Result};
use std::time::Duration;

/// Plans the units of a spec's source. Fails early on missing files or an empty file list.
///
/// With `follow`, the files are followed (see [`FollowPlan`]) and SIGINT/SIGTERM end the
/// run cleanly instead of killing the process.
pub fn plan_source(source: &SourceSpec) -> Result<InputPlan> {
    if source.follow && source.kind != SourceKind::Files {
        return Err(Error::invalid(
            "source.follow",
            "only files can be followed: give --input PATH, or set source.kind = \"files\"",
        ));
    }
    match source.kind {
        SourceKind::Files => {
            if source.paths.is_empty() {
                return Err(Error::invalid(
                    "source",
                    "no input: give --input PATH (or - for stdin), or set source.paths in the spec",
                ));
            }
            let files = expand_inputs(&source.paths)?;
            if source.follow {
                let plan = FollowPlan::new(files)?;
                plan.stop_on_signals()?;
                return Ok(InputPlan::Follow(plan));
            }
            Ok(InputPlan::Files(plan_files(&files, CHUNK_BYTES)?))
        }
        SourceKind::Stdin => Ok(InputPlan::Files(plan_files(&["-".into()], CHUNK_BYTES)?)),
        SourceKind::Generator => {
            let formats = match source.format {
                Format::Auto => vec![Format::Gcp, Format::Cloudtrail],
                one => vec![one],
            };
            let g = &source.generator;
            let configs = formats
                .iter()
                .enumerate()
                .map(|(i, format)| {
                    let events = g.events / formats.len() as u64;
                    let mut config =
                        GeneratorConfig::new(*format, events, g.seed.wrapping_add(i as u64));
                    config.days = g.days.max(1);
                    if g.principals > 0 {
                        config.principals = g.principals;
                    }
                    if let Some(incidents) = g.incidents {
                        config.incidents = incidents;
                    }
                    config
                })
                .collect();
            Ok(InputPlan::Generator(configs))
        }
        SourceKind::Kafka => Ok(InputPlan::Kafka(kafka_source(&source.kafka)?)),
    }
}

/// A Kafka source from a spec's `[source.kafka]` table.
pub fn kafka_source(spec: &KafkaSpec) -> Result<KafkaSource> {
    let missing = |what: &'static str, flag: &str| {
        Error::invalid(
            what,
            format!("give {flag} on the command line or set source.kafka.{what} in the spec"),
        )
    };
    let brokers = spec
        .brokers
        .clone()
        .ok_or_else(|| missing("brokers", "--kafka BROKERS"))?;
    let topic = spec
        .topic
        .clone()
        .ok_or_else(|| missing("topic", "--topic TOPIC"))?;
    let mut source = KafkaSource::new(brokers, topic);
    if let Some(group) = &spec.group {
        source.group = group.clone();
    }
    if let Some(start) = &spec.start {
        source.start = start.parse()?;
    }
    source.until_caught_up = spec.until_caught_up;
    if let Some(idle) = &spec.idle_timeout {
        source.idle_timeout =
            Duration::from_secs(parse_duration("source.kafka.idle_timeout", idle)?);
    }
    if let Some(refresh) = &spec.partition_refresh {
        source.refresh =
            Duration::from_secs(parse_duration("source.kafka.partition_refresh", refresh)?);
    }
    if let Some(lag) = &spec.max_lag {
        let secs = parse_duration_or_zero("source.kafka.max_lag", lag)?;
        source.max_lag_secs = (secs > 0).then_some(secs);
    }
    source.options = spec.options.clone();
    source.validate()?;
    Ok(source)
}
