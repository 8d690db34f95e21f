//! Alert lifecycle: repeats of one detector for one principal within a cooldown are one
//! alert with a count.
//!
//! An alert opens with its own content-derived id, revision 0 and count 1. A repeat (same
//! principal and detector: the rule id for Sigma rules and monitors) at most `cooldown`
//! after the last one is merged into it: the count grows, `last_time` moves, and the alert
//! is emitted again as a revision under the same id, at most once per timestamp granule (the
//! repeats of one granule are one revision). The cooldown runs from the last repeat, so a
//! steady stream of repeats stays one alert. Severity is the highest of the merged repeats.
//!
//! Alerts are offered by the ordered alert sink, one granule at a time in time order and,
//! within a granule, in the sink's sorted order, so the result is the same at any worker or
//! process count. Baseline alerts get the same cooldown through
//! [`super::alert::AlertEpisodes`].

use crate::sigma::RuleAlert;
use crate::spec::parse_duration_or_zero;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[alerts]` in a spec: how repeated alerts are merged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsSpec {
    /// Repeats of a detector for a principal at most this long after the previous one
    /// merge into one alert (`"1h"`, `"30m"`; `"0s"` turns merging off).
    #[serde(default = "default_cooldown")]
    pub cooldown: String,
}

fn default_cooldown() -> String {
    "1h".into()
}

impl Default for AlertsSpec {
    fn default() -> Self {
        AlertsSpec {
            cooldown: default_cooldown(),
        }
    }
}

impl AlertsSpec {
    /// The cooldown in seconds (0: merging off).
    pub fn cooldown_secs(&self) -> crate::Result<u64> {
        parse_duration_or_zero("alerts.cooldown", &self.cooldown)
    }
}

/// The order of severities, lowest first.
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// The rank of a severity: `low` 0, `medium` 1, `high` 2, `critical` 3 (unknown ones 0).
pub fn severity_rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|s| *s == severity).unwrap_or(0)
}

struct OpenAlert {
    /// The alert as last emitted (or about to be).
    alert: RuleAlert,
    /// Granule of the last repeat.
    last_granule: u64,
    /// Repeats merged since the last emission.
    pending: bool,
}

/// Merges repeated rule and monitor alerts within a cooldown (see the module docs).
pub struct RuleAlertLifecycle {
    cooldown_secs: u64,
    open: BTreeMap<(String, String, String), OpenAlert>,
}

impl RuleAlertLifecycle {
    /// A lifecycle with `cooldown_secs` (0: every alert passes through unchanged).
    pub fn new(cooldown_secs: u64) -> Self {
        RuleAlertLifecycle {
            cooldown_secs,
            open: BTreeMap::new(),
        }
    }

    /// Offers the alerts of the granule stamped `granule` (seconds; granules in increasing
    /// order); returns the alerts and revisions to emit, in order of their first appearance
    /// in `alerts`.
    pub fn offer_granule(&mut self, granule: u64, alerts: Vec<RuleAlert>) -> Vec<RuleAlert> {
        if self.cooldown_secs == 0 {
            return alerts;
        }
        let cooldown = self.cooldown_secs;
        self.open
            .retain(|_, o| o.last_granule.saturating_add(cooldown) >= granule);
        let mut order = Vec::new();
        for alert in alerts {
            let key = (
                alert.principal.clone(),
                alert.detector.clone(),
                alert.rule_id.clone(),
            );
            match self.open.get_mut(&key) {
                Some(open) => {
                    let merged = &mut open.alert;
                    let severity =
                        if severity_rank(&alert.severity) > severity_rank(&merged.severity) {
                            alert.severity.clone()
                        } else {
                            merged.severity.clone()
                        };
                    let (id, revision, count, first_time) = (
                        std::mem::take(&mut merged.id),
                        merged.revision + u32::from(!open.pending),
                        merged.count + 1,
                        std::mem::take(&mut merged.first_time),
                    );
                    // The latest repeat's details, under the first one's id.
                    *merged = RuleAlert {
                        id,
                        revision,
                        count,
                        first_time,
                        last_time: alert.time.clone(),
                        severity,
                        ..alert
                    };
                    open.last_granule = granule;
                    if !open.pending {
                        open.pending = true;
                        order.push(key);
                    }
                }
                None => {
                    self.open.insert(
                        key.clone(),
                        OpenAlert {
                            alert,
                            last_granule: granule,
                            pending: true,
                        },
                    );
                    order.push(key);
                }
            }
        }
        order
            .into_iter()
            .filter_map(|key| {
                let open = self.open.get_mut(&key)?;
                open.pending = false;
                Some(open.alert.clone())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{PrincipalType, SourceFamily};

    fn alert(principal: &str, rule: &str, time: &str, severity: &str) -> RuleAlert {
        RuleAlert {
            time: time.into(),
            id: format!("{principal}-{rule}-{time}"),
            revision: 0,
            count: 1,
            first_time: time.into(),
            last_time: time.into(),
            detector: "sigma".into(),
            rule_id: rule.into(),
            rule_title: rule.into(),
            level: severity.into(),
            severity: severity.into(),
            tags: vec![],
            principal: principal.into(),
            principal_type: PrincipalType::User,
            action: "a".into(),
            source: SourceFamily::Gcp,
            event_id: time.into(),
            position: String::new(),
            selections: vec![],
            fields: BTreeMap::new(),
        }
    }

    #[test]
    fn repeats_in_one_granule_are_one_alert_with_a_count() {
        let mut lifecycle = RuleAlertLifecycle::new(3600);
        let repeats = (0..5)
            .map(|i| alert("p", "r", &format!("t{i}"), "medium"))
            .collect();
        let out = lifecycle.offer_granule(60, repeats);
        assert_eq!(out.len(), 1);
        let a = &out[0];
        assert_eq!((a.id.as_str(), a.revision, a.count), ("p-r-t0", 0, 5));
        assert_eq!((a.first_time.as_str(), a.last_time.as_str()), ("t0", "t4"));
        assert_eq!(a.event_id, "t4");
    }

    #[test]
    fn later_repeats_are_revisions_until_the_cooldown_passes() {
        let mut lifecycle = RuleAlertLifecycle::new(600);
        let first = lifecycle.offer_granule(60, vec![alert("p", "r", "a", "medium")]);
        let other = lifecycle.offer_granule(
            120,
            vec![alert("p", "r", "b", "high"), alert("q", "r", "c", "low")],
        );
        assert_eq!(other.len(), 2);
        assert_eq!((other[0].id.as_str(), other[0].revision), ("p-r-a", 1));
        assert_eq!((other[0].count, other[0].severity.as_str()), (2, "high"));
        assert_eq!((other[1].id.as_str(), other[1].revision), ("q-r-c", 0));
        // A lower-severity repeat keeps the highest severity seen.
        let third = lifecycle.offer_granule(720, vec![alert("p", "r", "d", "low")]);
        assert_eq!((third[0].revision, third[0].count), (2, 3));
        assert_eq!(third[0].severity, "high");
        // More than the cooldown after the last repeat: a new alert.
        let fresh = lifecycle.offer_granule(1321, vec![alert("p", "r", "e", "low")]);
        assert_eq!((fresh[0].id.as_str(), fresh[0].revision), ("p-r-e", 0));
        assert_eq!(fresh[0].count, 1);
        assert_eq!(first[0].id, "p-r-a");
    }

    #[test]
    fn other_rules_and_a_zero_cooldown_do_not_merge() {
        let mut lifecycle = RuleAlertLifecycle::new(600);
        let out = lifecycle.offer_granule(
            60,
            vec![alert("p", "r", "a", "low"), alert("p", "s", "b", "low")],
        );
        assert_eq!(out.len(), 2);
        let mut off = RuleAlertLifecycle::new(0);
        let same = vec![alert("p", "r", "a", "low"), alert("p", "r", "b", "low")];
        assert_eq!(off.offer_granule(60, same.clone()), same);
    }
}
