//! Alerts: scored windows over the thresholds, merged into episodes per principal.
//!
//! A principal's consecutive anomalous windows (each within one window length of the last)
//! form one episode and one alert. The alert's id is derived from its content (detector,
//! principal and first window), so a replay of the same input yields the same ids, and a
//! revision of an alert (a later window of the episode scoring clearly higher) keeps it.

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

/// Severity from score and confidence.
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
    last_end: u64,
    best_ppm: u32,
    revision: u32,
}

/// Turns scored windows, fed in time order, into alerts.
pub struct AlertEpisodes {
    window_secs: u64,
    threshold_ppm: u32,
    min_confidence_ppm: u32,
    open: BTreeMap<String, Episode>,
}

impl AlertEpisodes {
    /// Alerts for windows with score >= `threshold` and confidence >= `min_confidence`.
    pub fn new(window_secs: u64, threshold: f64, min_confidence: f64) -> Self {
        AlertEpisodes {
            window_secs,
            threshold_ppm: (threshold * 1e6).round() as u32,
            min_confidence_ppm: (min_confidence * 1e6).round() as u32,
            open: BTreeMap::new(),
        }
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
                        last_end: end,
                        best_ppm: w.score_ppm,
                        revision: 0,
                    },
                );
                self.open.get_mut(principal).expect("just inserted")
            }
        };
        let (score, confidence) = (w.score_ppm as f64 / 1e6, w.confidence_ppm as f64 / 1e6);
        Some(Alert {
            id: episode.id.clone(),
            revision: episode.revision,
            time: format_rfc3339_secs(end as i64),
            window_start: format_rfc3339_secs(start as i64),
            window_end: format_rfc3339_secs(end as i64),
            principal: principal.to_string(),
            principal_type: w.principal_type,
            score,
            confidence,
            severity: severity(score, confidence).to_string(),
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
