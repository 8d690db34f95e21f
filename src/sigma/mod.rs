//! Sigma rules: loaded from YAML files and directories, evaluated on each raw record where
//! the ingest operator parses it, and turned into alerts.
//!
//! Supported: selections as maps and lists of maps, keyword lists, `null` values, the
//! wildcards `*` and `?` with Sigma's escaping, case-insensitive matching (`cased` to keep
//! case), the modifiers `contains`, `startswith`, `endswith`, `all`, `re` (with `i`, `m`,
//! `s`), `cidr`, `base64`, `base64offset`, `windash`, `exists`, `lt`, `lte`, `gt`, `gte`,
//! `fieldref`, and conditions with `and`, `or`, `not`, parentheses, `1 of pattern*`,
//! `all of pattern*`, `1 of them`, `all of them`. Keywords match any string, number or
//! boolean of the record as a substring.
//!
//! Logsources `aws/cloudtrail`, `gcp/gcp.audit` and `linux/auditd` map onto AuditFlow's
//! formats (see [`fields::Target`]); field names are dotted paths into the raw record's
//! JSON. A rule that cannot be supported is a [`LoadFailure`] with a typed [`RuleError`].

pub mod alert;
pub mod condition;
pub mod correlate;
pub mod correlation;
pub mod dataflow;
pub mod fields;
mod load;
pub mod pattern;
pub mod reload;
pub mod rule;
pub mod shipped;
pub mod value;
pub mod versions;

pub use alert::{MatchedEvent, RuleAlert};
pub use correlation::{Correlation, CorrelationHit};
pub use dataflow::SplitRuleAlerts;
pub use fields::Target;
pub use load::{CheckReport, LoadFailure, LoadedCorrelation, LoadedRule};
pub use rule::{Rule, RuleHit};

use crate::event::AuditEvent;
use serde_json::Value;

/// Why a rule file could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Read(String),
    /// The file is not valid YAML.
    #[error("not valid YAML: {0}")]
    Yaml(String),
    /// More than one YAML document in one file.
    #[error(
        "{0} YAML documents in one file: rule collections are not supported, put one rule per file"
    )]
    MultiDocument(usize),
    /// A required key is absent or has the wrong type.
    #[error("missing or invalid `{0}`")]
    Missing(&'static str),
    /// A correlation rule (event_count, value_count, temporal).
    #[error("a correlation rule, not a detection rule (load it with the rule set)")]
    Correlation,
    /// The logsource maps onto no format AuditFlow reads.
    #[error("logsource ({logsource}) is not supported: {why}")]
    LogSource {
        /// The logsource as written.
        logsource: String,
        /// Why.
        why: &'static str,
    },
    /// A field modifier AuditFlow does not support.
    #[error("field modifier `{modifier}` is not supported: {why}")]
    Modifier {
        /// The modifier.
        modifier: String,
        /// Why.
        why: &'static str,
    },
    /// A value that its modifiers cannot take.
    #[error("invalid value: {0}")]
    Value(String),
    /// A regular expression that does not compile (Rust `regex` syntax: no look-around or
    /// back-references).
    #[error("regular expression not supported by the regex engine (no look-around or back-references): {0}")]
    Regex(String),
    /// A selection that could not be compiled.
    #[error("selection {name:?}: {reason}")]
    Selection {
        /// The selection's name.
        name: String,
        /// Why.
        reason: Box<RuleError>,
    },
    /// A condition that could not be parsed.
    #[error("condition {condition:?}: {message}")]
    Condition {
        /// The condition as written.
        condition: String,
        /// What is wrong.
        message: String,
    },
    /// Another loaded rule has the same id (alert ids derive from rule ids).
    #[error("duplicate rule id {id}, already used by {first}")]
    DuplicateId {
        /// The id.
        id: String,
        /// The file that first used it.
        first: String,
    },
}

/// A set of loaded rules, evaluated together on each record.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    correlations: Vec<Correlation>,
}

impl RuleSet {
    /// A set of already-parsed rules.
    pub fn new(rules: Vec<Rule>) -> Self {
        RuleSet {
            rules,
            correlations: Vec::new(),
        }
    }

    /// Detection rules and the correlation rules over them (their references resolved).
    pub fn with_correlations(rules: Vec<Rule>, correlations: Vec<Correlation>) -> Self {
        RuleSet {
            rules,
            correlations,
        }
    }

    /// The correlation rules.
    pub fn correlations(&self) -> &[Correlation] {
        &self.correlations
    }

    /// Loads every rule file under `paths` (files, or directories searched recursively for
    /// `.yml` and `.yaml`). Fails on the first rule that does not load, naming it and why;
    /// `auditflow sigma check` lists them all.
    pub fn load(paths: &[std::path::PathBuf]) -> crate::Result<RuleSet> {
        let report = CheckReport::check(paths)?;
        if let Some(failure) = report.failed.first() {
            return Err(crate::Error::invalid(
                "sigma rules",
                format!(
                    "{} of {} rule files do not load, first {}: {} (run `auditflow sigma check` for the list)",
                    report.failed.len(),
                    report.failed.len() + report.loaded.len() + report.correlations.len(),
                    failure.path.display(),
                    failure.reason
                ),
            ));
        }
        Ok(RuleSet::with_correlations(
            report.loaded.into_iter().map(|l| l.rule).collect(),
            report
                .correlations
                .into_iter()
                .map(|c| c.correlation)
                .collect(),
        ))
    }

    /// The rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every rule of `target` matching the raw `record`, with its hit, in rule order.
    /// The record is parsed only if some rule applies to its family. An auditd event is
    /// several record lines: a rule matches the event when it matches one of its lines,
    /// each seen as `{type, node, <fields>}` with hex values decoded (as Sigma's auditd
    /// rules expect).
    pub fn evaluate(&self, target: Target, raw: &[u8]) -> Vec<(&Rule, RuleHit)> {
        self.evaluate_with_records(target, raw)
            .into_iter()
            .map(|(rule, hit, _)| (rule, hit))
            .collect()
    }

    fn evaluate_with_records(&self, target: Target, raw: &[u8]) -> Vec<(&Rule, RuleHit, Value)> {
        if !self.rules.iter().any(|r| r.target == target) {
            return Vec::new();
        }
        let records: Vec<Value> = if target == Target::Auditd {
            auditd_records(raw)
        } else {
            serde_json::from_slice::<Value>(raw).into_iter().collect()
        };
        self.rules
            .iter()
            .filter(|r| r.target == target)
            .filter_map(|r| {
                records
                    .iter()
                    .find_map(|record| r.evaluate(record).map(|hit| (r, hit, record.clone())))
            })
            .collect()
    }

    /// The alerts the rules raise on one parsed event and its raw record.
    pub fn alerts(&self, event: &AuditEvent, raw: &[u8]) -> Vec<RuleAlert> {
        self.matches(event, raw).0
    }

    /// The alerts one event raises, and the hits it contributes to correlation rules. A
    /// rule used by a correlation alerts on its own only if a correlation using it says
    /// `generate: true` (Sigma's convention).
    pub fn matches(&self, event: &AuditEvent, raw: &[u8]) -> (Vec<RuleAlert>, Vec<CorrelationHit>) {
        let Some(target) = Target::of_family(event.source) else {
            return (Vec::new(), Vec::new());
        };
        let (mut alerts, mut hits) = (Vec::new(), Vec::new());
        for (rule, hit, record) in self.evaluate_with_records(target, raw) {
            let mut silent = false;
            for (index, correlation) in self.correlations.iter().enumerate() {
                if let Some(h) = correlation.hit(index, rule, &record, event.source) {
                    hits.push(h);
                    silent |= !correlation.generate;
                }
            }
            if !silent {
                alerts.push(RuleAlert::new(rule, hit, event));
            }
        }
        (alerts, hits)
    }
}

/// The record lines of a raw auditd event as JSON objects: `type`, `node` when present, and
/// every `key=value` field (decoded; the first occurrence of a repeated key wins).
fn auditd_records(raw: &[u8]) -> Vec<Value> {
    use crate::parse::auditd::fields::{fields, header};
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .filter_map(|line| header(line).ok())
        .map(|h| {
            let mut record = serde_json::Map::new();
            record.insert("type".into(), Value::String(h.kind.to_string()));
            if let Some(node) = h.node {
                record.insert("node".into(), Value::String(node.to_string()));
            }
            for (key, value) in fields(h.kind, h.body) {
                if !key.is_empty() && !record.contains_key(key) {
                    record.insert(key.to_string(), Value::String(value.into_owned()));
                }
            }
            Value::Object(record)
        })
        .collect()
}

#[cfg(test)]
mod tests;
