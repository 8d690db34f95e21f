//! Detection quality against labelled incidents: ROC-AUC over scored windows, precision
//! over alerts, recall over incidents (overall and per anomaly kind).

use crate::detect::alert::Alert;
use crate::event::time::parse_rfc3339_ns;
use crate::generate::Label;
use crate::pipeline::run::ScoreRecord;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

const NS: i64 = 1_000_000_000;

/// One labelled incident: a principal's injected events of one kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// Incident id.
    pub id: String,
    /// Anomaly kind.
    pub kind: String,
    /// Principal.
    pub principal: String,
    /// First labelled event time (ns).
    pub start_ns: i64,
    /// Last labelled event time (ns).
    pub end_ns: i64,
}

/// Groups labels into incidents, ordered by id.
pub fn incidents(labels: &[Label]) -> Vec<Incident> {
    let mut map: BTreeMap<&str, Incident> = BTreeMap::new();
    for l in labels {
        let inc = map.entry(&l.incident).or_insert_with(|| Incident {
            id: l.incident.clone(),
            kind: l.kind.as_str().to_string(),
            principal: l.principal.clone(),
            start_ns: l.time_ns,
            end_ns: l.time_ns,
        });
        inc.start_ns = inc.start_ns.min(l.time_ns);
        inc.end_ns = inc.end_ns.max(l.time_ns);
    }
    map.into_values().collect()
}

/// Recall for one anomaly kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KindRecall {
    /// Incidents of this kind.
    pub incidents: u64,
    /// Of which some alert named the principal during the incident.
    pub detected: u64,
}

/// Detection quality figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Quality {
    /// Scored windows.
    pub windows: u64,
    /// Windows holding a labelled event of their principal.
    pub positive_windows: u64,
    /// Probability that a positive window outscores a negative one (ties count half).
    pub roc_auc: f64,
    /// Alerts (distinct ids: revisions are the same alert).
    pub alerts: u64,
    /// Alerts one of whose windows (first report or revision) overlaps an incident of
    /// their principal.
    pub true_alerts: u64,
    /// true_alerts / alerts (1 when there are no alerts).
    pub precision: f64,
    /// Labelled incidents.
    pub incidents: u64,
    /// Incidents some alert detected.
    pub detected: u64,
    /// detected / incidents (1 when there are none).
    pub recall: f64,
    /// Recall per anomaly kind.
    pub per_kind: BTreeMap<String, KindRecall>,
}

/// Computes [`Quality`]. A window `[end - window_secs, end)` is positive if it holds a
/// labelled event of its principal; an alert is true if its window overlaps the span of an
/// incident of its principal.
pub fn evaluate(
    scores: &[ScoreRecord],
    alerts: &[Alert],
    labels: &[Label],
    window_secs: u64,
) -> Quality {
    let mut times: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for l in labels {
        times.entry(&l.principal).or_default().push(l.time_ns);
    }
    times.values_mut().for_each(|v| v.sort_unstable());
    let mut scored: Vec<(f64, bool)> = scores
        .iter()
        .map(|s| {
            let end = s.window_end_secs as i64 * NS;
            let start = end - window_secs as i64 * NS;
            let positive = times.get(s.principal.as_str()).is_some_and(|ts| {
                let i = ts.partition_point(|t| *t < start);
                i < ts.len() && ts[i] < end
            });
            (s.score, positive)
        })
        .collect();
    let positives = scored.iter().filter(|s| s.1).count() as u64;
    let incidents = incidents(labels);
    let mut q = Quality {
        windows: scored.len() as u64,
        positive_windows: positives,
        roc_auc: roc_auc(&mut scored),
        incidents: incidents.len() as u64,
        ..Quality::default()
    };
    // An alert is one id: its revisions (later windows of the episode, repeats merged
    // within the cooldown) are the same alert, and any of their windows can hit.
    let mut detected = vec![false; incidents.len()];
    let mut hits: BTreeMap<&str, bool> = BTreeMap::new();
    for alert in alerts {
        let hit = hits.entry(&alert.id).or_default();
        let (Some(start), Some(end)) = (
            parse_rfc3339_ns(&alert.window_start),
            parse_rfc3339_ns(&alert.window_end),
        ) else {
            continue;
        };
        for (i, inc) in incidents.iter().enumerate() {
            if inc.principal == alert.principal && start <= inc.end_ns && inc.start_ns < end {
                detected[i] = true;
                *hit = true;
            }
        }
    }
    q.alerts = hits.len() as u64;
    q.true_alerts = hits.values().filter(|h| **h).count() as u64;
    for (inc, found) in incidents.iter().zip(&detected) {
        let k = q.per_kind.entry(inc.kind.clone()).or_default();
        k.incidents += 1;
        k.detected += u64::from(*found);
    }
    q.detected = detected.iter().filter(|d| **d).count() as u64;
    q.precision = ratio(q.true_alerts, q.alerts);
    q.recall = ratio(q.detected, q.incidents);
    q
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// ROC-AUC by the rank-sum (Mann-Whitney) statistic with average ranks for ties. 0.5 when
/// either class is empty.
pub fn roc_auc(scored: &mut [(f64, bool)]) -> f64 {
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut pos, mut i) = (0.0, 0u64, 0usize);
    while i < scored.len() {
        let mut j = i;
        while j < scored.len() && scored[j].0 == scored[i].0 {
            j += 1;
        }
        let avg_rank = (i + j + 1) as f64 / 2.0;
        for s in &scored[i..j] {
            if s.1 {
                rank_sum += avg_rank;
                pos += 1;
            }
        }
        i = j;
    }
    let neg = scored.len() as u64 - pos;
    if pos == 0 || neg == 0 {
        return 0.5;
    }
    (rank_sum - (pos * (pos + 1)) as f64 / 2.0) / (pos * neg) as f64
}

/// Reads a labels TSV written by `auditflow generate --labels`.
pub fn read_labels(path: &Path) -> Result<Vec<Label>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let bad = |n: usize, why: &str| {
        Error::invalid("labels", format!("{}:{}: {why}", path.display(), n + 1))
    };
    let mut labels = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 5 {
            return Err(bad(n, "expected 5 tab-separated columns"));
        }
        labels.push(Label {
            event_id: cols[0].to_string(),
            kind: cols[1]
                .parse()
                .map_err(|_| bad(n, "unknown anomaly kind"))?,
            incident: cols[2].to_string(),
            principal: cols[3].to_string(),
            time_ns: parse_rfc3339_ns(cols[4]).ok_or_else(|| bad(n, "bad time"))?,
        });
    }
    Ok(labels)
}

/// Reads the baseline-divergence alerts of an alerts file, skipping the rule and monitor
/// alerts written beside them (they carry a `rule_id`). Returns the alerts and how many
/// rule alerts were skipped.
pub fn read_alerts(path: &Path) -> Result<(Vec<crate::detect::alert::Alert>, u64)> {
    let mut skipped = 0;
    let mut alerts = Vec::new();
    for (n, value) in read_json_lines::<serde_json::Value>(path)?
        .into_iter()
        .enumerate()
    {
        if value.get("rule_id").is_some() {
            skipped += 1;
            continue;
        }
        alerts.push(
            serde_json::from_value(value).map_err(|e| {
                Error::invalid("input", format!("{}:{}: {e}", path.display(), n + 1))
            })?,
        );
    }
    Ok((alerts, skipped))
}

/// Reads JSON lines of `T` (scores or alerts files).
pub fn read_json_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l)
                .map_err(|e| Error::invalid("input", format!("{}:{}: {e}", path.display(), n + 1)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::PrincipalType;
    use crate::generate::AnomalyKind;

    fn alert(id: &str, revision: u32, start: &str, end: &str) -> Alert {
        Alert {
            id: id.into(),
            revision,
            count: 1,
            first_time: start.into(),
            time: end.into(),
            window_start: start.into(),
            window_end: end.into(),
            principal: "p".into(),
            principal_type: PrincipalType::User,
            score: 0.9,
            confidence: 0.9,
            severity: "high".into(),
            detector: "baseline_divergence".into(),
            explanation: vec![],
            evidence: vec![],
        }
    }

    #[test]
    fn an_alert_is_its_id_and_any_revision_can_detect() {
        let labels = vec![Label {
            event_id: "e".into(),
            kind: AnomalyKind::AdminGrant,
            incident: "i1".into(),
            principal: "p".into(),
            time_ns: parse_rfc3339_ns("2026-01-01T01:02:00Z").unwrap(),
        }];
        let alerts = vec![
            // Opened on an unrelated window, revised (cooldown merge) on the incident's.
            alert("a", 0, "2026-01-01T00:10:00Z", "2026-01-01T00:15:00Z"),
            alert("a", 1, "2026-01-01T01:00:00Z", "2026-01-01T01:05:00Z"),
            // A separate false alert.
            alert("b", 0, "2026-01-01T05:00:00Z", "2026-01-01T05:05:00Z"),
        ];
        let q = evaluate(&[], &alerts, &labels, 300);
        assert_eq!((q.alerts, q.true_alerts, q.detected), (2, 1, 1));
        assert_eq!(q.precision, 0.5);
        assert_eq!(q.recall, 1.0);
    }

    #[test]
    fn auc_of_perfect_random_and_tied_rankings() {
        let mut perfect = vec![(0.1, false), (0.2, false), (0.9, true), (0.8, true)];
        assert_eq!(roc_auc(&mut perfect), 1.0);
        let mut inverted = vec![(0.9, false), (0.1, true)];
        assert_eq!(roc_auc(&mut inverted), 0.0);
        let mut tied = vec![(0.5, false), (0.5, true)];
        assert_eq!(roc_auc(&mut tied), 0.5);
        let mut one_class = vec![(0.5, true)];
        assert_eq!(roc_auc(&mut one_class), 0.5);
    }

    #[test]
    fn rule_alert_lines_are_left_out_of_an_alerts_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.jsonl");
        let baseline = serde_json::to_string(&alert("a", 0, "2026-01-01T00:10:00Z", "x")).unwrap();
        let rule = r#"{"id":"r","rule_id":"5b5a","principal":"p"}"#;
        std::fs::write(&path, format!("{baseline}\n{rule}\n")).unwrap();
        let (alerts, skipped) = read_alerts(&path).unwrap();
        assert_eq!((alerts.len(), skipped), (1, 1));
        assert_eq!(alerts[0].id, "a");
    }
}
