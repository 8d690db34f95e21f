//! `window_features`: per-principal counts over tumbling windows (the stage-1 workload).

use crate::event::AuditEvent;
use differential_dataflow::VecCollection;
use serde::{Deserialize, Serialize};

/// The stage-1 features of one principal in one window.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct FeatureRow {
    /// Events in the window.
    pub n_events: u64,
    /// Distinct actions (methods).
    pub n_methods: u64,
    /// Distinct source IPs.
    pub n_ips: u64,
    /// Events that did not succeed.
    pub n_failed: u64,
    /// Distinct services.
    pub n_services: u64,
}

/// One distinct-countable fact of an event within its window.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Fact {
    Method(String),
    Ip(String),
    Service(String),
    Failed,
}

/// Per (principal, window start) features over tumbling windows of `window_secs`, aligned to
/// the Unix epoch: events, distinct methods, distinct IPs, failures, distinct services.
///
/// Maintained incrementally by one `reduce` keyed by (principal, window start); exact
/// distinct counts. Window starts are in seconds.
pub trait WindowFeatures<'s> {
    /// Computes the stage-1 rows, keyed by `(principal, window_start)`.
    fn window_features(
        self,
        window_secs: u64,
    ) -> VecCollection<'s, u64, ((String, u64), FeatureRow), isize>;
}

impl<'s> WindowFeatures<'s> for VecCollection<'s, u64, AuditEvent, isize> {
    fn window_features(
        self,
        window_secs: u64,
    ) -> VecCollection<'s, u64, ((String, u64), FeatureRow), isize> {
        self.flat_map(move |event| {
            let secs = event.time_ns.div_euclid(1_000_000_000).max(0) as u64;
            let key = (event.principal, secs / window_secs * window_secs);
            let failed = event
                .outcome
                .is_failed()
                .then(|| (key.clone(), Fact::Failed));
            [
                (key.clone(), Fact::Method(event.action)),
                (key.clone(), Fact::Ip(event.source_ip)),
                (key, Fact::Service(event.service)),
            ]
            .into_iter()
            .chain(failed)
        })
        .reduce_named("WindowFeatures", |_key, facts, output| {
            let mut row = FeatureRow::default();
            for (fact, count) in facts {
                let count = *count as u64;
                match fact {
                    Fact::Method(_) => {
                        row.n_methods += 1;
                        row.n_events += count;
                    }
                    Fact::Ip(_) => row.n_ips += 1,
                    Fact::Service(_) => row.n_services += 1,
                    Fact::Failed => row.n_failed += count,
                }
            }
            output.push((row, 1));
        })
    }
}
