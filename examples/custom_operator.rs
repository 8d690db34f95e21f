//! Embedding AuditFlow and adding your own operator.
//!
//! The pipeline is built from the library's pieces: the ingest source (here the built-in
//! generator, parsed by the same parsers as files), AuditFlow's `score_windows`, and a
//! custom operator written the same way AuditFlow's own are: an extension trait on a
//! differential collection of `AuditEvent`s.
//!
//! Run with: `cargo run --release --example custom_operator`

use auditflow::detect::privileged::is_privileged;
use auditflow::detect::score::ScoringConfig;
use auditflow::event::{AuditEvent, Outcome};
use auditflow::generate::GeneratorConfig;
use auditflow::operators::{CollectOrdered, ScoreWindows, SlidingWindow};
use auditflow::parse::Format;
use auditflow::pipeline::{execute, ingest_events, Execution, InputPlan};
use auditflow::source::ingest::{IngestConfig, IngestCounters};
use differential_dataflow::VecCollection;
use std::sync::Arc;

/// Denied privileged calls per principal over the last hour: someone probing for
/// permissions they do not have.
pub trait DeniedPrivileged<'s> {
    /// `(principal, denied privileged calls in the last hour)`, updated every minute.
    fn denied_privileged(self) -> VecCollection<'s, u64, (String, isize), isize>;
}

impl<'s> DeniedPrivileged<'s> for VecCollection<'s, u64, AuditEvent, isize> {
    fn denied_privileged(self) -> VecCollection<'s, u64, (String, isize), isize> {
        self.filter(|e| e.outcome == Outcome::Denied && is_privileged(&e.action))
            .map(|e| e.principal)
            .sliding_window(0, 3600)
            .count()
    }
}

fn main() -> auditflow::Result<()> {
    let mut config = GeneratorConfig::new(Format::Gcp, 40_000, 5);
    config.days = 2;
    let plan = Arc::new(InputPlan::Generator(vec![config]));
    let counters = Arc::new(IngestCounters::default());
    let ingest = IngestConfig {
        format: Format::Gcp,
        lateness_ns: 60_000_000_000,
        granule_secs: 60,
        batch: 4096,
    };
    let stats = counters.clone();
    execute(Execution::threads(2), move |worker| {
        let units = plan.open_units(worker.index(), worker.peers(), 1 << 20)?;
        let (ingest, counters) = (ingest.clone(), counters.clone());
        worker.dataflow::<u64, _, _>(move |scope| {
            let events = ingest_events(scope, units, ingest, counters, None, None);
            events
                .clone()
                .denied_privileged()
                .collect_ordered("DeniedPrivileged", |time, changes| {
                    for ((principal, count), diff) in changes {
                        if diff > 0 && count >= 3 {
                            println!("t={time} {principal}: {count} denied privileged calls in the last hour");
                        }
                    }
                });
            events
                .score_windows(ScoringConfig::default())
                .filter(|(_, w)| w.score_ppm >= 900_000 && w.confidence_ppm >= 500_000)
                .collect_ordered("HighScores", |time, changes| {
                    for ((principal, w), diff) in changes {
                        if diff > 0 {
                            println!("t={time} {principal}: window score {:.2}", w.score_ppm as f64 / 1e6);
                        }
                    }
                });
        });
        Ok(())
    })?;
    let (records, processed, dead, late) = stats.snapshot();
    println!("{records} records: {processed} processed, {dead} dead-lettered, {late} late");
    Ok(())
}
