//! A memory estimate for the scoring pipeline, printed before a run starts.
//!
//! State is bounded by event time, not by run length: every event enters the window and
//! baseline collections through temporal filters ([`crate::operators::SlidingWindow`])
//! that retract it `window` (resp. `baseline`, and for privileged actions the 14-day
//! history) seconds later. A principal idle for longer than the baseline horizon has had
//! every update retracted, so its keys consolidate away in the arrangements and its
//! profile is retracted too: it holds no state. What remains is proportional to the events
//! inside the horizon plus a per-principal part (keys, peer view, window).
//!
//! The model is `process + principals * per_principal + events_in_baseline * per_event`,
//! with the coefficients fitted from `auditflow bench` peak-memory runs (see BENCHMARKS.md,
//! "Memory"): the fit is rough (peak RSS includes allocator slack and batches in flight),
//! so the estimate is meant for sizing, not for limits.

use crate::spec::Windows;
use serde::Serialize;

// Fitted to four `auditflow bench --workers 2` release runs on branch perf-memory
// (generator, 1 day, default spec; peak RSS 69 MiB at 10k events / 1,000 principals,
// 328 MiB at 100k / 10,000, 1,844 MiB at 1M / 100,000, 290 MiB at 200k / 1,000) on a loaded
// 2-core machine; BENCHMARKS.md, "Memory per active principal". Within 30% of those runs:
// replays run ahead of the dataflow, so peak RSS also holds the input read ahead (part of
// the per-event cost).

/// Resident memory of the engine apart from the modelled state (binary, runtime,
/// batches in flight), bytes.
pub const BASE_BYTES: u64 = 64 << 20;
/// State per active principal apart from its events (its keys in the scoring and
/// peer-group arrangements, its peer view and the view's hourly revisions), bytes.
pub const BYTES_PER_PRINCIPAL: u64 = 8 << 10;
/// State per event inside the baseline horizon (its baseline entry and history records
/// with their future retractions, and the replay's read-ahead), bytes.
pub const BYTES_PER_BASELINE_EVENT: u64 = 1 << 10;

/// The event rate of the benchmark workload: 1M events, 5,000 principals, 24 hours.
pub const WORKLOAD_EVENTS_PER_PRINCIPAL_HOUR: f64 = 1_000_000.0 / 5_000.0 / 24.0;

/// An estimate of a run's peak resident memory.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryEstimate {
    /// Principals active within the baseline horizon.
    pub principals: u64,
    /// Events per principal per hour of event time assumed.
    pub events_per_principal_hour: f64,
    /// Events held in the baseline horizon.
    pub baseline_events: u64,
    /// Estimated peak resident memory, bytes (all processes together).
    pub bytes: u64,
}

impl MemoryEstimate {
    /// The estimate for `principals` active principals, each producing
    /// `events_per_principal_hour` events, with the spec's `windows`. `total_events`
    /// caps the events in the horizon when the input is finite and known.
    pub fn new(
        windows: &Windows,
        principals: u64,
        events_per_principal_hour: f64,
        total_events: Option<u64>,
    ) -> Self {
        let horizon_hours = (windows.baseline + windows.window) as f64 / 3600.0;
        let in_horizon = (principals as f64 * events_per_principal_hour * horizon_hours) as u64;
        let baseline_events = total_events.map_or(in_horizon, |n| n.min(in_horizon));
        MemoryEstimate {
            principals,
            events_per_principal_hour,
            baseline_events,
            bytes: BASE_BYTES
                + principals * BYTES_PER_PRINCIPAL
                + baseline_events * BYTES_PER_BASELINE_EVENT,
        }
    }

    /// One line for a terminal.
    pub fn describe(&self) -> String {
        format!(
            "memory estimate: ~{:.0} MiB for {} principals at {:.1} events/principal/hour ({} events in the baseline horizon)",
            self.bytes as f64 / (1 << 20) as f64,
            self.principals,
            self.events_per_principal_hour,
            self.baseline_events
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(baseline: u64) -> Windows {
        Windows {
            window: 300,
            slide: 60,
            baseline,
            lateness: 60,
        }
    }

    #[test]
    fn grows_with_principals_and_baseline_and_is_capped_by_the_input() {
        let day = MemoryEstimate::new(&windows(86_400), 1_000, 10.0, None);
        let more = MemoryEstimate::new(&windows(86_400), 10_000, 10.0, None);
        let longer = MemoryEstimate::new(&windows(7 * 86_400), 1_000, 10.0, None);
        assert!(more.bytes > day.bytes && longer.bytes > day.bytes);
        assert_eq!(
            day.baseline_events,
            (1_000.0 * 10.0 * (86_700.0 / 3600.0)) as u64
        );
        let capped = MemoryEstimate::new(&windows(86_400), 1_000, 10.0, Some(5_000));
        assert_eq!(capped.baseline_events, 5_000);
        assert!(capped.bytes < day.bytes);
    }

    #[test]
    fn reproduces_the_recorded_runs_within_thirty_percent() {
        // (events, principals, peak RSS in MiB) from BENCHMARKS.md, one day of events.
        let runs = [
            (10_000u64, 1_000u64, 69.0),
            (100_000, 10_000, 328.0),
            (1_000_000, 100_000, 1_844.0),
            (200_000, 1_000, 290.0),
        ];
        for (events, principals, mib) in runs {
            let rate = events as f64 / principals as f64 / 24.0;
            let estimate = MemoryEstimate::new(&windows(86_400), principals, rate, Some(events));
            let estimated = estimate.bytes as f64 / (1 << 20) as f64;
            assert!(
                (estimated / mib - 1.0).abs() <= 0.3,
                "{events} events, {principals} principals: {estimated:.0} MiB vs {mib} MiB"
            );
        }
    }
}
