//! `monitor_windows`: WAF field monitors counted per window and per client, and scored
//! against the client's own baseline.

use super::SlidingWindow;
use crate::detect::monitor::{MonitorSpec, Monitors};
use crate::event::time::format_rfc3339_secs;
use crate::event::{PrincipalType, SourceFamily};
use crate::sigma::RuleAlert;
use differential_dataflow::{AsCollection, VecCollection};
use std::collections::BTreeMap;
use std::sync::Arc;
use timely::dataflow::operators::vec::{Filter, Map};

/// The detector name of monitor alerts.
pub const MONITOR_DETECTOR: &str = "monitor";
/// A monitor fires only on at least this many matching records in a window.
pub const MIN_COUNT: u64 = 5;
/// ... and only when that many is this unlikely under the client's baseline rate.
pub const MAX_TAIL_PROBABILITY: f64 = 1e-3;
/// Baseline matches added to every client's count: a client never seen matching still
/// has a small expected rate, so a first burst fires on count, not on a division by zero.
pub const PRIOR_COUNT: f64 = 0.5;

/// `P(X >= k)` for `X ~ Poisson(lambda)`.
pub fn poisson_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let (mut term, mut below) = ((-lambda).exp(), 0.0);
    for i in 0..k {
        below += term;
        term *= lambda / (i + 1) as f64;
    }
    (1.0 - below).max(0.0)
}

/// The smallest window count that fires for a client whose baseline held `baseline`
/// matches over `span_secs`: at least [`MIN_COUNT`], and unlikely under the expected rate.
pub fn firing_count(baseline: u64, window_secs: u64, span_secs: u64) -> u64 {
    let lambda = expected(baseline, window_secs, span_secs);
    (MIN_COUNT..)
        .find(|&k| poisson_tail(k, lambda) < MAX_TAIL_PROBABILITY)
        .expect("a Poisson tail falls below any bound")
}

/// Matches expected in one window from `baseline` matches seen over `span_secs`.
pub fn expected(baseline: u64, window_secs: u64, span_secs: u64) -> f64 {
    (baseline as f64 + PRIOR_COUNT) * window_secs as f64 / span_secs.max(1) as f64
}

/// The part of the baseline a client's matches cover: from the first to the last hour they
/// entered it, at least one hour and at most the baseline. A client seen for three hours
/// is rated over three hours, not diluted over a day it was not watched.
pub fn covered_span(first_hour: u64, last_hour: u64, baseline_secs: u64) -> u64 {
    (last_hour.saturating_sub(first_hour) + REFRESH_SECS).min(baseline_secs.max(REFRESH_SECS))
}

use super::score_windows::REFRESH_SECS;

/// Counts monitor hits `(monitor index, client)` per client over the current window
/// (`window_secs`, sliding) and over the baseline before it (`baseline_secs`, refreshed
/// hourly), and raises an alert when the window's count becomes unlikely under the
/// client's baseline rate (Poisson tail below [`MAX_TAIL_PROBABILITY`], at least
/// [`MIN_COUNT`] matches). One `reduce` per (monitor, client) holds the baseline count
/// while the monitor fires, so a burst is one alert (renewed if the burst outlives an
/// hourly baseline refresh), not one per slide.
pub trait MonitorWindows<'s> {
    /// The monitor alerts.
    fn monitor_windows(
        self,
        monitors: Arc<Monitors>,
        window_secs: u64,
        baseline_secs: u64,
    ) -> VecCollection<'s, u64, RuleAlert, isize>;
}

impl<'s> MonitorWindows<'s> for VecCollection<'s, u64, (usize, String), isize> {
    fn monitor_windows(
        self,
        monitors: Arc<Monitors>,
        window_secs: u64,
        baseline_secs: u64,
    ) -> VecCollection<'s, u64, RuleAlert, isize> {
        // Window hits carry `None`; baseline hits the hour they enter the baseline.
        let current = self
            .clone()
            .map(|hit| (hit, None))
            .sliding_window(0, window_secs);
        let baseline = self
            .inner
            .map(move |(hit, time, diff)| {
                let entry = (time + window_secs).div_ceil(REFRESH_SECS) * REFRESH_SECS;
                ((hit, Some(entry)), time, diff)
            })
            .as_collection()
            .sliding_window_aligned(window_secs, baseline_secs, REFRESH_SECS);
        current
            .concat(baseline)
            .reduce_named("MonitorWindows", move |_hit, spans, output| {
                let (mut now, mut before) = (0u64, 0u64);
                let (mut first, mut last) = (None, None);
                for (entry, n) in spans {
                    let n = (*n).max(0) as u64;
                    match entry {
                        None => now += n,
                        Some(hour) if n > 0 => {
                            before += n;
                            first = first.or(Some(*hour));
                            last = Some(*hour);
                        }
                        Some(_) => {}
                    }
                }
                let span = match (first, last) {
                    (Some(f), Some(l)) => covered_span(f, l, baseline_secs),
                    _ => baseline_secs,
                };
                if now >= firing_count(before, window_secs, span) {
                    output.push(((before, span), 1));
                }
            })
            .inner
            .filter(|(_, _, diff)| *diff > 0)
            .map(move |(((monitor, client), (baseline, span)), time, diff)| {
                let spec = &monitors.0[monitor];
                let alert = monitor_alert(spec, &client, baseline, span, time, window_secs);
                (alert, time, diff)
            })
            .as_collection()
    }
}

/// A monitor's alert for `client`, firing from `time` (seconds) against `baseline` matches
/// over `span_secs`.
pub fn monitor_alert(
    spec: &MonitorSpec,
    client: &str,
    baseline: u64,
    span_secs: u64,
    time: u64,
    window_secs: u64,
) -> RuleAlert {
    let watched = if spec.known.is_empty() {
        format!("{:?} in {}", spec.field, spec.values.join("|"))
    } else {
        format!("{:?} not in {}", spec.field, spec.known.join("|"))
    }
    .to_lowercase();
    let time = format_rfc3339_secs(time as i64);
    let needed = firing_count(baseline, window_secs, span_secs);
    let expected = expected(baseline, window_secs, span_secs);
    let fields = BTreeMap::from([
        ("client".to_string(), client.to_string()),
        (
            "observed".to_string(),
            format!("at least {needed} matching records in {}s", window_secs),
        ),
        (
            "expected".to_string(),
            format!(
                "{expected:.2} (baseline: {baseline} in {}h)",
                span_secs / 3600
            ),
        ),
    ]);
    let rule_id = format!("monitor:{watched}");
    RuleAlert {
        id: crate::detect::alert::content_id(&[MONITOR_DETECTOR, &rule_id, client, &time]),
        revision: 0,
        count: 1,
        first_time: time.clone(),
        last_time: time.clone(),
        time,
        detector: MONITOR_DETECTOR.to_string(),
        rule_id,
        rule_title: format!("WAF monitor: burst of {watched}"),
        level: "medium".into(),
        severity: "medium".into(),
        tags: Vec::new(),
        principal: client.to_string(),
        principal_type: PrincipalType::Unknown,
        action: watched,
        source: SourceFamily::Waf,
        event_id: String::new(),
        position: String::new(),
        selections: Vec::new(),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_matches_known_values() {
        assert!((poisson_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert!((poisson_tail(3, 2.0) - 0.323_323_583_8).abs() < 1e-9);
        assert_eq!(poisson_tail(0, 5.0), 1.0);
    }

    #[test]
    fn a_quiet_client_fires_on_few_matches_a_noisy_one_needs_many() {
        // 5-minute windows, 24-hour baseline.
        assert_eq!(firing_count(0, 300, 86_400), MIN_COUNT);
        let noisy = firing_count(2_880, 300, 86_400); // ten per window on average
        assert!(noisy > 20, "{noisy}");
    }
}
