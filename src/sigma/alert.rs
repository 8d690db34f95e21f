//! Rule alerts: one per rule matching one record, written to the same sink as the anomaly
//! alerts, with an id derived from content so a replay yields the same ids.

use super::{Rule, RuleHit};
use crate::detect::alert::content_id;
use crate::event::time::format_rfc3339;
use crate::event::{AuditEvent, PrincipalType, SourceFamily};
use crate::source::ingest::EventTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The detector name of Sigma rule alerts.
pub const SIGMA_DETECTOR: &str = "sigma";

/// A Sigma rule that matched one record.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RuleAlert {
    /// Event time of the record, RFC 3339.
    pub time: String,
    /// Content-derived id: detector, rule id, event id and event time (of the first repeat
    /// when repeats are merged, see [`crate::detect::lifecycle`]).
    pub id: String,
    /// 0 for the first report, then 1, 2, ... as repeats within the cooldown merge in.
    #[serde(default)]
    pub revision: u32,
    /// How many repeats this alert stands for.
    #[serde(default = "one")]
    pub count: u32,
    /// Event time of the first repeat, RFC 3339.
    #[serde(default)]
    pub first_time: String,
    /// Event time of the last repeat, RFC 3339.
    #[serde(default)]
    pub last_time: String,
    /// Always [`SIGMA_DETECTOR`].
    pub detector: String,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's title.
    pub rule_title: String,
    /// The rule's level.
    pub level: String,
    /// `low`, `medium`, `high` or `critical`, from the level.
    pub severity: String,
    /// The rule's tags (ATT&CK tactics and techniques among them).
    pub tags: Vec<String>,
    /// Who acted.
    pub principal: String,
    /// What kind of identity acted.
    pub principal_type: PrincipalType,
    /// The operation.
    pub action: String,
    /// The log family.
    pub source: SourceFamily,
    /// The record's id (`eventID`, `insertId`).
    pub event_id: String,
    /// Where the record came from (`origin:line` or `origin@offset`).
    pub position: String,
    /// The selections that matched.
    pub selections: Vec<String>,
    /// The field values that satisfied them.
    pub fields: BTreeMap<String, String>,
}

fn one() -> u32 {
    1
}

/// Alert severity for a Sigma level: `critical`, `high` and `medium` keep their name,
/// `low` and `informational` are `low`.
pub fn severity_of_level(level: &str) -> &'static str {
    match level {
        "critical" => "critical",
        "high" => "high",
        "medium" => "medium",
        _ => "low",
    }
}

impl RuleAlert {
    /// The alert for `rule` matching `event`.
    pub fn new(rule: &Rule, hit: RuleHit, event: &AuditEvent) -> Self {
        let time = format_rfc3339(event.time_ns);
        RuleAlert {
            id: content_id(&[SIGMA_DETECTOR, &rule.id, &event.event_id, &time]),
            revision: 0,
            count: 1,
            first_time: time.clone(),
            last_time: time.clone(),
            time,
            detector: SIGMA_DETECTOR.to_string(),
            rule_id: rule.id.clone(),
            rule_title: rule.title.clone(),
            level: rule.level.clone(),
            severity: severity_of_level(&rule.level).to_string(),
            tags: rule.tags.clone(),
            principal: event.principal.clone(),
            principal_type: event.principal_type,
            action: event.action.clone(),
            source: event.source,
            event_id: event.event_id.clone(),
            position: event.position.to_string(),
            selections: hit.selections,
            fields: hit.fields,
        }
    }

    /// One readable line: time, severity, rule, principal, matched fields.
    pub fn table_row(&self) -> String {
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let repeats = if self.count > 1 {
            format!(" (x{} since {})", self.count, self.first_time)
        } else {
            String::new()
        };
        format!(
            "{}  {:<8} sigma {:<40}  {:<40}  {}{}",
            self.time,
            self.severity,
            self.rule_title,
            self.principal,
            fields.join("; "),
            repeats
        )
    }
}

/// A parsed event with the rule alerts its raw record raised, as the ingest decoder emits
/// it when rules are configured.
///
/// Serializes as the bare event (the late-event sink writes it like any event); the alerts
/// are split off by [`super::SplitRuleAlerts`] before anything is exchanged between
/// workers, so they never need to be serialized.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MatchedEvent {
    /// The event.
    pub event: AuditEvent,
    /// Alerts raised by the event's record.
    #[serde(skip)]
    pub alerts: Vec<RuleAlert>,
    /// What the record contributes to correlation rules.
    #[serde(skip)]
    pub hits: Vec<super::CorrelationHit>,
    /// The WAF field monitors the record matches (indices into the spec's monitors).
    #[serde(skip)]
    pub monitor_hits: Vec<usize>,
    /// The raw record, kept when the rules are applied later by rule version
    /// ([`super::versions::ApplyRuleVersions`], in the same worker).
    #[serde(skip)]
    pub raw: Option<Arc<[u8]>>,
}

impl EventTime for MatchedEvent {
    fn time_ns(&self) -> i64 {
        self.event.time_ns
    }
}
