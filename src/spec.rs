//! Pipeline specs: what a pipeline computes, as a TOML file under `dataflows/`.
//!
//! How it runs (workers, processes) is given on the command line instead. Unknown keys are
//! rejected so a typo cannot silently fall back to a default.

use crate::parse::Format;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

mod calibration;
mod score;
mod time;

pub use score::ScoreSpec;
pub use time::{parse_duration, parse_duration_or_zero, TimeSpec, Windows};

/// A whole pipeline spec.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// A name for logs and alerts.
    #[serde(default = "default_name")]
    pub name: String,
    /// Where records come from.
    #[serde(default)]
    pub source: SourceSpec,
    /// Windows, baseline and lateness.
    #[serde(default)]
    pub time: TimeSpec,
    /// Scoring and alert thresholds.
    #[serde(default)]
    pub score: ScoreSpec,
    /// Where results go.
    #[serde(default)]
    pub sinks: SinkSpec,
    /// Detection rules evaluated on every record.
    #[serde(default)]
    pub rules: RulesSpec,
    /// How repeated alerts merge (see [`crate::detect::lifecycle`]).
    #[serde(default)]
    pub alerts: crate::detect::lifecycle::AlertsSpec,
    /// AWS WAF field monitors (see [`crate::detect::monitor`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monitors: Vec<crate::detect::monitor::MonitorSpec>,
}

/// Detection rules: `[rules] sigma = ["rules", ...]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSpec {
    /// Sigma rule files or directories. A relative path is taken relative to the spec
    /// file's folder when it exists there, else relative to the working directory.
    #[serde(default)]
    pub sigma: Vec<String>,
}

fn default_name() -> String {
    "auditflow".into()
}

/// Where records come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// `files`, `stdin` or `generator`.
    #[serde(default = "default_kind")]
    pub kind: SourceKind,
    /// Files, directories or globs (kind = "files").
    #[serde(default)]
    pub paths: Vec<String>,
    /// Record format.
    #[serde(default = "default_format")]
    pub format: Format,
    /// Generator settings (kind = "generator").
    #[serde(default)]
    pub generator: GeneratorSpec,
    /// Largest accepted record, in bytes.
    #[serde(default = "default_max_record")]
    pub max_record_bytes: usize,
    /// Kafka settings (kind = "kafka").
    #[serde(default)]
    pub kafka: KafkaSpec,
    /// Follow the files as they grow and rotate, like `tail -F` (kind = "files"); the run
    /// then ends on SIGINT/SIGTERM.
    #[serde(default)]
    pub follow: bool,
}

impl Default for SourceSpec {
    fn default() -> Self {
        SourceSpec {
            kind: default_kind(),
            paths: Vec::new(),
            format: default_format(),
            generator: GeneratorSpec::default(),
            max_record_bytes: default_max_record(),
            kafka: KafkaSpec::default(),
            follow: false,
        }
    }
}

fn default_kind() -> SourceKind {
    SourceKind::Files
}
fn default_format() -> Format {
    Format::Auto
}
fn default_max_record() -> usize {
    1 << 20
}

/// The kind of source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Files, directories and globs.
    Files,
    /// Standard input.
    Stdin,
    /// The built-in synthetic generator.
    Generator,
    /// A Kafka topic.
    Kafka,
}

/// Kafka source settings in a spec (`[source.kafka]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSpec {
    /// Bootstrap brokers, `host:port[,host:port...]`.
    pub brokers: Option<String>,
    /// The topic to read.
    pub topic: Option<String>,
    /// Consumer group for committed offsets (default `auditflow`).
    pub group: Option<String>,
    /// `committed` (default), `earliest`, `latest` or an RFC 3339 time.
    pub start: Option<String>,
    /// Stop once every partition reached the high watermark it had at start.
    #[serde(default)]
    pub until_caught_up: bool,
    /// A partition quiet this long stops holding event time back (default `5s`).
    pub idle_timeout: Option<String>,
    /// How often new partitions are looked for (default `10s`).
    pub partition_refresh: Option<String>,
    /// Pause reading while the sinks trail by more than this much event time (default
    /// `10m`; `0s` never pauses).
    pub max_lag: Option<String>,
    /// librdkafka options passed through: `security.protocol`, `sasl.*`, `ssl.*`, ...
    #[serde(default)]
    pub options: std::collections::BTreeMap<String, String>,
}

/// Generator settings in a spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorSpec {
    /// Total events.
    pub events: u64,
    /// Seed.
    pub seed: u64,
    /// Days of event time.
    pub days: u32,
    /// Principals (0: derived from the event count).
    #[serde(default)]
    pub principals: u32,
    /// Injected incidents (absent: derived from the principal count).
    #[serde(default)]
    pub incidents: Option<u32>,
}

impl Default for GeneratorSpec {
    fn default() -> Self {
        GeneratorSpec {
            events: 200_000,
            seed: 7,
            days: 3,
            principals: 0,
            incidents: None,
        }
    }
}

/// Where results go: a path, `stdout`, `stderr`, or absent (not written).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSpec {
    /// Alerts (JSON lines).
    pub alerts: Option<String>,
    /// Every scored window (JSON lines).
    pub scores: Option<String>,
    /// Dead letters (JSON lines); default stderr.
    pub dead_letter: Option<String>,
    /// Events beyond the allowed lateness (JSON lines).
    pub late: Option<String>,
}

impl Spec {
    /// The scorer's parameters this spec sets: its windows, peer prior and cold start.
    pub fn scoring(&self) -> Result<crate::detect::score::ScoringConfig> {
        let windows = self.time.windows()?;
        Ok(crate::detect::score::ScoringConfig {
            window_secs: windows.window,
            baseline_secs: windows.baseline,
            peer_prior: self.score.peer_prior,
            cold_start_events: self.score.cold_start_events,
            ..Default::default()
        })
    }

    /// Reads and validates a spec file.
    pub fn load(path: &Path) -> Result<Spec> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io("cannot read spec", path, e))?;
        let mut spec = Spec::parse(&text, path)?;
        let folder = path.parent().unwrap_or(Path::new(""));
        for rules in &mut spec.rules.sigma {
            let beside = folder.join(&*rules);
            if Path::new(rules).is_relative() && beside.exists() {
                *rules = beside.display().to_string();
            }
        }
        Ok(spec)
    }

    /// Parses and validates spec text; `path` is used in messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Spec> {
        let spec: Spec = toml::from_str(text).map_err(|e| Error::Spec {
            path: PathBuf::from(path),
            message: e.to_string(),
        })?;
        spec.validate().map_err(|e| Error::Spec {
            path: PathBuf::from(path),
            message: e.to_string(),
        })?;
        Ok(spec)
    }

    /// Checks values that TOML types alone cannot.
    pub fn validate(&self) -> Result<()> {
        self.time.windows()?;
        self.alerts.cooldown_secs()?;
        self.score.calibration()?;
        for (what, v) in [
            ("score.threshold", self.score.threshold),
            ("score.min_confidence", self.score.min_confidence),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::invalid(
                    "score",
                    format!("{what} = {v} must be within [0, 1]"),
                ));
            }
        }
        for monitor in &self.monitors {
            monitor.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let spec = Spec::parse("", Path::new("x.toml")).unwrap();
        let w = spec.time.windows().unwrap();
        assert_eq!(
            (w.window, w.slide, w.baseline, w.lateness),
            (300, 60, 86_400, 60)
        );
    }

    #[test]
    fn score_keys_reach_the_scorer() {
        let text = "[time]\nwindow = \"10m\"\n[score]\npeer_prior = 2.0\ncold_start_events = 0\n";
        let scoring = Spec::parse(text, Path::new("x.toml"))
            .unwrap()
            .scoring()
            .unwrap();
        assert_eq!(
            (
                scoring.window_secs,
                scoring.peer_prior,
                scoring.cold_start_events
            ),
            (600, 2.0, 0)
        );
        let defaults = Spec::parse("", Path::new("x.toml"))
            .unwrap()
            .scoring()
            .unwrap();
        assert_eq!(defaults, crate::detect::score::ScoringConfig::default());
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_key_named() {
        let err = Spec::parse("[time]\nwindw = \"5m\"\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("windw"), "{err}");
    }

    #[test]
    fn bad_values_are_explained() {
        let err = Spec::parse("[time]\nwindow = \"5 minutes\"\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("not a duration"), "{err}");
        let err = Spec::parse(
            "[time]\nwindow = \"5m\"\nslide = \"7m\"\n",
            Path::new("x.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("must divide"), "{err}");
        let err = Spec::parse("[score]\nthreshold = 2.0\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("within [0, 1]"), "{err}");
    }

    #[test]
    fn kafka_source_with_pass_through_options() {
        let text = "[source]\nkind = \"kafka\"\n[source.kafka]\nbrokers = \"b:9092\"\n\
                    topic = \"audit\"\n[source.kafka.options]\n\"security.protocol\" = \"SASL_SSL\"\n";
        let spec = Spec::parse(text, Path::new("x.toml")).unwrap();
        assert_eq!(spec.source.kind, SourceKind::Kafka);
        assert_eq!(spec.source.kafka.topic.as_deref(), Some("audit"));
        assert_eq!(spec.source.kafka.options["security.protocol"], "SASL_SSL");
        let err = Spec::parse("[source.kafka]\nbroker = \"b\"\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("broker"), "{err}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("d", "90s").unwrap(), 90);
        assert_eq!(parse_duration("d", "2d").unwrap(), 172_800);
        assert_eq!(parse_duration("d", "45").unwrap(), 45);
        assert!(parse_duration("d", "0m").is_err());
        assert!(parse_duration("d", "5x").is_err());
    }
}
