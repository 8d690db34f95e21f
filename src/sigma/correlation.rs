//! Sigma correlation rules: `event_count`, `value_count` and `temporal` over a timespan,
//! grouped by `group-by` fields, on the matches of the detection rules they name.
//!
//! Each base-rule match on a record becomes a [`CorrelationHit`] (which correlation, the
//! group's field values, the value it contributes); the dataflow keeps, per correlation and
//! group, the hits of the last `timespan` and raises an alert when the condition becomes
//! true ([`super::correlate::SigmaCorrelations`]).

use super::fields::{FieldPath, Target};
use super::{Rule, RuleError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

/// What a correlation counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorrelationKind {
    /// Matching events.
    EventCount,
    /// Distinct values of a field among the matching events.
    ValueCount(String),
    /// Distinct base rules that matched (all of them must, within the timespan).
    Temporal,
}

/// `gt`, `gte`, `lt`, `lte`, `eq` and a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    op: &'static str,
    n: u64,
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.op, self.n)
    }
}

impl Threshold {
    /// Whether `count` satisfies the condition.
    pub fn holds(&self, count: u64) -> bool {
        match self.op {
            "gt" => count > self.n,
            "gte" => count >= self.n,
            "lt" => count < self.n,
            "lte" => count <= self.n,
            _ => count == self.n,
        }
    }
}

/// A loaded correlation rule.
#[derive(Clone, Debug)]
pub struct Correlation {
    /// The rule's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its level.
    pub level: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// What it counts.
    pub kind: CorrelationKind,
    /// `event_count`, `value_count` or `temporal`.
    pub kind_name: String,
    /// The base rules, by `name` or `id`, as written.
    pub rules: Vec<String>,
    /// Fields the hits are grouped by.
    pub group_by: Vec<String>,
    /// The timespan in seconds.
    pub timespan_secs: u64,
    /// The condition on the count.
    pub threshold: Threshold,
    /// Whether the base rules also alert on their own (`generate: true`).
    pub generate: bool,
}

/// One base-rule match, as a correlation sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CorrelationHit {
    /// Index of the correlation in its rule set.
    pub correlation: usize,
    /// The family of the matched record.
    pub family: crate::event::SourceFamily,
    /// The group's field values, in `group-by` order (`""` when absent).
    pub group: Vec<String>,
    /// What the hit adds: the field value (value_count), the base rule's index (temporal),
    /// or nothing (event_count).
    pub value: String,
}

impl Correlation {
    /// Parses a correlation rule file's text.
    pub fn parse(text: &str) -> Result<Correlation, RuleError> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| RuleError::Yaml(e.to_string()))?;
        let doc = docs.first().ok_or(RuleError::Missing("title"))?;
        let corr = &doc["correlation"];
        let text_of = |y: &Yaml| y.as_str().map(str::to_string);
        let title = text_of(&doc["title"]).ok_or(RuleError::Missing("title"))?;
        let strings = |y: &Yaml| -> Vec<String> {
            match y {
                Yaml::String(s) => vec![s.clone()],
                Yaml::Array(items) => items.iter().filter_map(text_of).collect(),
                _ => Vec::new(),
            }
        };
        let rules = strings(&corr["rules"]);
        if rules.is_empty() {
            return Err(RuleError::Missing("correlation.rules"));
        }
        let timespan =
            text_of(&corr["timespan"]).ok_or(RuleError::Missing("correlation.timespan"))?;
        let timespan_secs = parse_timespan(&timespan).ok_or_else(|| {
            RuleError::Value(format!(
                "timespan {timespan:?}: use a number and s, m, h, d, e.g. 15m"
            ))
        })?;
        let condition = &corr["condition"];
        let threshold = ["gt", "gte", "lt", "lte", "eq"].into_iter().find_map(|op| {
            condition[op].as_i64().map(|n| Threshold {
                op,
                n: n.max(0) as u64,
            })
        });
        let kind_name = text_of(&corr["type"]).ok_or(RuleError::Missing("correlation.type"))?;
        let (kind, threshold) = match kind_name.as_str() {
            "event_count" => (CorrelationKind::EventCount, threshold),
            "value_count" => {
                let field = text_of(&condition["field"])
                    .ok_or(RuleError::Missing("correlation.condition.field"))?;
                (CorrelationKind::ValueCount(field), threshold)
            }
            // All the named rules, each at least once: a distinct count equal to their number.
            "temporal" => (
                CorrelationKind::Temporal,
                Some(threshold.unwrap_or(Threshold {
                    op: "gte",
                    n: rules.len() as u64,
                })),
            ),
            other => {
                return Err(RuleError::Value(format!(
                "correlation type {other:?} is not supported (event_count, value_count, temporal)"
            )))
            }
        };
        let threshold = threshold.ok_or(RuleError::Missing("correlation.condition"))?;
        Ok(Correlation {
            kind_name,
            id: text_of(&doc["id"])
                .unwrap_or_else(|| crate::detect::alert::content_id(&["sigma-title", &title])),
            level: text_of(&doc["level"]).unwrap_or_else(|| "medium".into()),
            tags: strings(&doc["tags"]),
            title,
            kind,
            rules,
            group_by: strings(&corr["group-by"]),
            timespan_secs,
            threshold,
            generate: corr["generate"].as_bool().unwrap_or(false),
        })
    }

    /// Whether this correlation uses `rule` (named by its `name` or its `id`), and as
    /// which of its rules.
    pub fn rule_index(&self, rule: &Rule) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| Some(r.as_str()) == rule.name.as_deref() || *r == rule.id)
    }

    /// The hit of `rule`'s match on `record`, if this correlation uses the rule.
    pub fn hit(
        &self,
        index: usize,
        rule: &Rule,
        record: &Value,
        family: crate::event::SourceFamily,
    ) -> Option<CorrelationHit> {
        let used_as = self.rule_index(rule)?;
        let value_of = |field: &str| -> String {
            let target: Target = rule.target;
            let root = target.root(record);
            FieldPath::new(&target.field_path(field))
                .resolve(root)
                .first()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default()
        };
        Some(CorrelationHit {
            correlation: index,
            family,
            group: self.group_by.iter().map(|f| value_of(f)).collect(),
            value: match &self.kind {
                CorrelationKind::EventCount => String::new(),
                CorrelationKind::ValueCount(field) => value_of(field),
                CorrelationKind::Temporal => used_as.to_string(),
            },
        })
    }
}

/// `30s`, `15m`, `2h`, `1d` in seconds.
fn parse_timespan(text: &str) -> Option<u64> {
    let (number, unit) = text.trim().split_at(text.trim().len().checked_sub(1)?);
    let n: u64 = number.parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    (n > 0).then_some(n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_kinds_and_explains_the_rest() {
        let c = Correlation::parse(
            "title: Many denied\nid: c1\ncorrelation:\n  type: event_count\n  rules: [denied]\n  group-by: [userIdentity.arn]\n  timespan: 15m\n  condition: {gte: 10}\n",
        )
        .unwrap();
        assert_eq!(
            (c.timespan_secs, c.kind.clone()),
            (900, CorrelationKind::EventCount)
        );
        assert!(c.threshold.holds(10) && !c.threshold.holds(9));
        let v = Correlation::parse(
            "title: Many IPs\ncorrelation:\n  type: value_count\n  rules: login\n  timespan: 1h\n  condition: {field: sourceIPAddress, gt: 3}\n",
        )
        .unwrap();
        assert_eq!(
            v.kind,
            CorrelationKind::ValueCount("sourceIPAddress".into())
        );
        let t = Correlation::parse(
            "title: Recon then grant\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 10m\n",
        )
        .unwrap();
        assert!(t.threshold.holds(2) && !t.threshold.holds(1));
        let ordered = Correlation::parse(
            "title: x\ncorrelation:\n  type: temporal_ordered\n  rules: [a]\n  timespan: 1m\n",
        );
        assert!(ordered
            .unwrap_err()
            .to_string()
            .contains("temporal_ordered"));
        let bad_span = Correlation::parse(
            "title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: soon\n  condition: {gte: 1}\n",
        );
        assert!(bad_span.unwrap_err().to_string().contains("timespan"));
    }
}
