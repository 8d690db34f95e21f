//! Alerts: scored windows over the thresholds, merged into episodes per principal.
//!
//! A principal's consecutive anomalous windows (each within one window length of the last)
//! form one episode and one alert. The alert's id is derived from its content (detector,
//! principal and first window), so a replay of the same input yields the same ids, and a
//! revision of an alert (a later window of the episode scoring clearly higher) keeps it.
//!
//! With a cooldown (`[alerts] cooldown`, see [`super::lifecycle`]), a new run of anomalous
//! windows starting at most the cooldown after the episode's last window is a repeat: it
//! is merged into the episode as a revision with the count incremented, instead of opening
//! a new alert.

use crate::event::time::format_rfc3339_secs;
use crate::event::PrincipalType;
use crate::operators::score_windows::{Driver, ScoredWindow};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The detector name of baseline-divergence alerts.
pub const BASELINE_DETECTOR: &str = "baseline_divergence";

/// How much higher (in millionths) a later window must score to revise an open alert.
pub const REVISION_STEP_PPM: u32 = 50_000;

/// One alert, as written to sinks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Content-derived id: the same input gives the same id.
    pub id: String,
    /// 0 for the first report of an episode, then 1, 2, ... for revisions.
    pub revision: u32,
    /// Runs of anomalous windows merged into this alert (1 without repeats).
    #[serde(default = "one")]
    pub count: u32,
    /// The end of the window that first raised the alert, RFC 3339.
    #[serde(default)]
    pub first_time: String,
    /// The end of the window that raised (or revised) the alert, RFC 3339.
    pub time: String,
    /// The window that raised (or revised) the alert.
    pub window_start: String,
    /// End of that window (exclusive).
    pub window_end: String,
    /// Who.
    pub principal: String,
    /// What kind of identity.
    pub principal_type: PrincipalType,
    /// Anomaly score in [0, 1].
    pub score: f64,
    /// Confidence in [0, 1].
    pub confidence: f64,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// Which detector raised it.
    pub detector: String,
    /// The features that drove the score, observed against expected.
    pub explanation: Vec<Explanation>,
    /// Ids of the most unusual events of the window.
    pub evidence: Vec<String>,
}

/// One line of an alert's explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Feature name.
    pub feature: String,
    /// What the window shows.
    pub observed: String,
    /// What the baseline leads to expect.
    pub expected: String,
    /// The feature's own score in [0, 1].
    pub score: f64,
}

impl From<&Driver> for Explanation {
    fn from(d: &Driver) -> Self {
        Explanation {
            feature: d.feature.clone(),
            observed: d.observed.clone(),
            expected: d.expected.clone(),
            score: d.score_ppm as f64 / 1e6,
        }
    }
}

fn one() -> u32 {
    1
}

/// Severity from score and confidence: their product at least 0.9 is `critical`, 0.75
/// `high`, 0.5 `medium`, else `low`.
pub fn severity(score: f64, confidence: f64) -> &'static str {
    match score * confidence {
        x if x >= 0.9 => "critical",
        x if x >= 0.75 => "high",
        x if x >= 0.5 => "medium",
        _ => "low",
    }
}

/// A content-derived id: the first 16 hex digits of SHA-256 over the parts.
pub fn content_id(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Episode {
    id: String,
    first_end: u64,
    last_end: u64,
    best_ppm: u32,
    revision: u32,
    count: u32,
    severity: &'static str,
}

/// Turns scored windows, fed in time order, into alerts.
pub struct AlertEpisodes {
    window_secs: u64,
    threshold_ppm: u32,
    min_confidence_ppm: u32,
    cooldown_secs: u64,
    open: BTreeMap<String, Episode>,
}

impl AlertEpisodes {
    /// Alerts for windows with score >= `threshold` and confidence >= `min_confidence`.
    pub fn new(window_secs: u64, threshold: f64, min_confidence: f64) -> Self {
        AlertEpisodes {
            window_secs,
            threshold_ppm: (threshold * 1e6).round() as u32,
            min_confidence_ppm: (min_confidence * 1e6).round() as u32,
            cooldown_secs: 0,
            open: BTreeMap::new(),
        }
    }

    /// Merges a new run of anomalous windows starting at most `secs` after the episode's
    /// last window into the episode (0: no merging).
    pub fn with_cooldown(mut self, secs: u64) -> Self {
        self.cooldown_secs = secs;
        self
    }

    /// True if the window is over both thresholds.
    pub fn fires(&self, w: &ScoredWindow) -> bool {
        w.score_ppm >= self.threshold_ppm && w.confidence_ppm >= self.min_confidence_ppm
    }

    /// Offers the window `[end - window, end)` of `principal`; returns the alert to emit,
    /// if any. Calls must come in nondecreasing `end` order.
    pub fn offer(&mut self, principal: &str, end: u64, w: &ScoredWindow) -> Option<Alert> {
        if !self.fires(w) {
            return None;
        }
        let start = end.saturating_sub(self.window_secs);
        let (score, confidence) = (w.score_ppm as f64 / 1e6, w.confidence_ppm as f64 / 1e6);
        let window_severity = severity(score, confidence);
        let cooldown = self.cooldown_secs;
        let episode = match self.open.get_mut(principal) {
            Some(e) if e.last_end >= start => {
                e.last_end = end;
                if w.score_ppm < e.best_ppm.saturating_add(REVISION_STEP_PPM) {
                    return None;
                }
                e.best_ppm = w.score_ppm;
                e.revision += 1;
                e
            }
            Some(e) if cooldown > 0 && e.last_end.saturating_add(cooldown) >= start => {
                // A repeat within the cooldown.
                e.last_end = end;
                e.best_ppm = e.best_ppm.max(w.score_ppm);
                e.revision += 1;
                e.count += 1;
                e
            }
            _ => {
                let id = content_id(&[
                    BASELINE_DETECTOR,
                    principal,
                    &start.to_string(),
                    &end.to_string(),
                ]);
                self.open.insert(
                    principal.to_string(),
                    Episode {
                        id,
                        first_end: end,
                        last_end: end,
                        best_ppm: w.score_ppm,
                        revision: 0,
                        count: 1,
                        severity: window_severity,
                    },
                );
                self.open.get_mut(principal).expect("just inserted")
            }
        };
        if super::lifecycle::severity_rank(window_severity)
            > super::lifecycle::severity_rank(episode.severity)
        {
            episode.severity = window_severity;
        }
        Some(Alert {
            id: episode.id.clone(),
            revision: episode.revision,
            count: episode.count,
            first_time: format_rfc3339_secs(episode.first_end as i64),
            time: format_rfc3339_secs(end as i64),
            window_start: format_rfc3339_secs(start as i64),
            window_end: format_rfc3339_secs(end as i64),
            principal: principal.to_string(),
            principal_type: w.principal_type,
            score,
            confidence,
            severity: episode.severity.to_string(),
            detector: BASELINE_DETECTOR.to_string(),
            explanation: w.drivers.iter().map(Explanation::from).collect(),
            evidence: w.evidence.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(score: f64) -> ScoredWindow {
        ScoredWindow {
            score_ppm: (score * 1e6) as u32,
            confidence_ppm: 900_000,
            window_events: 10,
            baseline_events: 100,
            principal_type: PrincipalType::User,
            drivers: vec![],
            evidence: vec!["e1".into()],
        }
    }

    #[test]
    fn consecutive_windows_are_one_alert_and_revisions_keep_the_id() {
        let mut episodes = AlertEpisodes::new(300, 0.8, 0.5);
        let first = episodes.offer("p", 600, &window(0.85)).unwrap();
        assert_eq!(first.revision, 0);
        assert!(episodes.offer("p", 660, &window(0.86)).is_none());
        let revised = episodes.offer("p", 720, &window(0.95)).unwrap();
        assert_eq!(
            (revised.id.as_str(), revised.revision),
            (first.id.as_str(), 1)
        );
        assert!(episodes.offer("p", 780, &window(0.5)).is_none());
        // A window starting after the episode's last end opens a new alert.
        let later = episodes.offer("p", 2000, &window(0.9)).unwrap();
        assert_ne!(later.id, first.id);
        assert_eq!(later.revision, 0);
    }

    #[test]
    fn a_new_run_within_the_cooldown_is_a_counted_revision() {
        let mut episodes = AlertEpisodes::new(300, 0.8, 0.5).with_cooldown(3600);
        let first = episodes.offer("p", 600, &window(0.95)).unwrap();
        // Windows [1200, 1500) and later: a gap after the episode, within the cooldown.
        let repeat = episodes.offer("p", 1500, &window(0.85)).unwrap();
        assert_eq!(
            (repeat.id.as_str(), repeat.revision),
            (first.id.as_str(), 1)
        );
        assert_eq!(
            (repeat.count, repeat.first_time.as_str()),
            (2, "1970-01-01T00:10:00Z")
        );
        // The severity stays the highest seen (0.95 x 0.9 is high, 0.85 x 0.9 medium).
        assert_eq!(
            (first.severity.as_str(), repeat.severity.as_str()),
            ("high", "high")
        );
        // More than the cooldown after the last window: a new alert.
        let fresh = episodes
            .offer("p", 1500 + 3600 + 301, &window(0.9))
            .unwrap();
        assert_ne!(fresh.id, first.id);
        assert_eq!((fresh.revision, fresh.count), (0, 1));
    }

    #[test]
    fn ids_depend_on_content_only() {
        let a = AlertEpisodes::new(300, 0.8, 0.5)
            .offer("p", 600, &window(0.9))
            .unwrap();
        let b = AlertEpisodes::new(300, 0.8, 0.5)
            .offer("p", 600, &window(0.99))
            .unwrap();
        let c = AlertEpisodes::new(300, 0.8, 0.5)
            .offer("q", 600, &window(0.9))
            .unwrap();
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
        assert_eq!(a.window_start, "1970-01-01T00:05:00Z");
    }

    #[test]
    fn low_confidence_does_not_fire() {
        let mut w = window(0.99);
        w.confidence_ppm = 100_000;
        assert!(AlertEpisodes::new(300, 0.8, 0.5)
            .offer("p", 600, &w)
            .is_none());
    }
}
