//! Which streaming forest: AuditFlow's isolation forest against rcf3's Random Cut Forest and
//! online Isolation Forest, on the same per-window vectors (BENCHMARKS.md, "Streaming
//! forest: which implementation").
//!
//! Generated GCP events (3 days; `AUDITFLOW_BENCH_EVENTS`, default 100,000;
//! `AUDITFLOW_BENCH_SEED`, default 11, a seed held out from tuning) go
//! through `score_windows` at one worker; every scored window becomes the 12-value vector
//! the engine's forest uses ([`window_vector`]). In time order, each detector scores a window
//! before it learns from it (prequential). AuditFlow's forest is refitted at each hour on up
//! to 2,048 windows of the previous 24 hours, as `ForestScores` does; rcf3's detectors learn
//! every window. A window is positive if it holds an injected event of its principal (as in
//! `auditflow evaluate`). Prints ROC-AUC and the cost per window of each.
//!
//! Run with: `cargo bench --bench forest_choice`

use auditflow::detect::forest::{window_vector, ForestConfig, IsolationForest, DIMENSIONS};
use auditflow::detect::score::ScoringConfig;
use auditflow::evaluate::roc_auc;
use auditflow::generate::{self, GeneratorConfig};
use auditflow::operators::{CollectOrdered, ScoreWindows, ScoredWindow};
use auditflow::parse::Format;
use auditflow::pipeline::{execute, ingest_events, Execution, InputPlan};
use auditflow::source::ingest::{IngestConfig, IngestCounters};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Windows AuditFlow's forest is refitted on (as `operators::ForestScores`).
const FIT_WINDOWS: usize = 2048;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// A scored window: its end (seconds), principal and vector, and whether it is labelled.
struct Point {
    end: u64,
    vector: [i64; DIMENSIONS],
    score: f64,
    positive: bool,
}

fn main() -> auditflow::Result<()> {
    let setting = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (events, seed) = (
        setting("AUDITFLOW_BENCH_EVENTS", 100_000),
        setting("AUDITFLOW_BENCH_SEED", 11),
    );
    let mut generator = GeneratorConfig::new(Format::Gcp, events, seed);
    generator.days = 3;
    let points = scored_windows(&generator)?;
    let positives = points.iter().filter(|p| p.positive).count();
    println!(
        "{events} events (seed {seed}), {} scored windows ({positives} positive)",
        points.len()
    );
    println!("| detector | window ROC-AUC | us per window (score + learn) |");
    println!("|---|---:|---:|");
    let divergence: Vec<f64> = points.iter().map(|p| p.score).collect();
    report("divergence score (reference)", &points, &divergence, 0.0);
    let (scores, us) = timed(|| auditflow_forest(&points));
    report(
        "AuditFlow isolation forest (hourly refit)",
        &points,
        &scores,
        us,
    );
    let vectors: Vec<Vec<f32>> = points
        .iter()
        .map(|p| p.vector.iter().map(|&x| x as f32).collect())
        .collect();
    let (scores, us) = timed(|| {
        let mut rcf = rcf3::Forest::builder(DIMENSIONS)
            .num_trees(100)
            .capacity(256)
            .seed(7)
            .build()
            .expect("valid RCF settings");
        let scores = vectors
            .iter()
            .map(|v| rcf.update_and_score(v).unwrap_or(0.0));
        scores.collect::<Vec<f64>>()
    });
    report(
        "rcf3 Random Cut Forest (100 trees, 256)",
        &points,
        &scores,
        us,
    );
    let (scores, us) = timed(|| {
        let mut iforest = rcf3::OnlineIForest::builder(DIMENSIONS)
            .num_trees(100)
            .window_size(FIT_WINDOWS)
            .seed(7)
            .build()
            .expect("valid online iforest settings");
        let scores = vectors
            .iter()
            .map(|v| iforest.update_and_score(v).unwrap_or(0.0));
        scores.collect::<Vec<f64>>()
    });
    report(
        "rcf3 online Isolation Forest (100 trees, 2,048)",
        &points,
        &scores,
        us,
    );
    Ok(())
}

/// Runs `score_windows` over the generated events at one worker; each window's last
/// insertion per time, in time order.
fn scored_windows(generator: &GeneratorConfig) -> auditflow::Result<Vec<Point>> {
    let mut labelled: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for record in generate::all(generator) {
        if let Some(label) = record.label {
            labelled
                .entry(label.principal)
                .or_default()
                .push(label.time_ns);
        }
    }
    labelled.values_mut().for_each(|v| v.sort_unstable());
    let window_secs = ScoringConfig::default().window_secs;
    let plan = Arc::new(InputPlan::Generator(vec![generator.clone()]));
    let ingest = IngestConfig {
        format: Format::Gcp,
        lateness_ns: 60_000_000_000,
        granule_secs: 60,
        batch: 4096,
    };
    let collected: Arc<Mutex<Vec<(u64, String, ScoredWindow)>>> = Arc::default();
    let sink = collected.clone();
    execute(Execution::threads(1), move |worker| {
        let units = plan.open_units(worker.index(), worker.peers(), 1 << 20)?;
        let (ingest, sink) = (ingest.clone(), sink.clone());
        let counters = Arc::new(IngestCounters::default());
        worker.dataflow::<u64, _, _>(move |scope| {
            ingest_events(scope, units, ingest, counters, None, None)
                .score_windows(ScoringConfig::default())
                .collect_ordered("Windows", move |time, changes| {
                    let mut sink = sink.lock().expect("bench sink");
                    for ((principal, window), diff) in changes {
                        if diff > 0 {
                            sink.push((time, principal, window));
                        }
                    }
                });
        });
        Ok(())
    })?;
    let collected = std::mem::take(&mut *collected.lock().expect("bench sink"));
    let ns = 1_000_000_000i64;
    Ok(collected
        .into_iter()
        .map(|(end, principal, window)| {
            let (to, from) = (end as i64 * ns, (end - window_secs) as i64 * ns);
            let positive = labelled.get(&principal).is_some_and(|ts| {
                let i = ts.partition_point(|t| *t < from);
                i < ts.len() && ts[i] < to
            });
            Point {
                end,
                vector: window_vector(&window),
                score: f64::from(window.score_ppm) / 1e6,
                positive,
            }
        })
        .collect())
}

/// AuditFlow's forest as the engine runs it: each hour's windows scored by a forest fitted
/// on up to [`FIT_WINDOWS`] windows of the 24 hours before that hour (evenly strided here,
/// least-hashed in the engine); 0 before any history.
fn auditflow_forest(points: &[Point]) -> Vec<f64> {
    let mut out = Vec::with_capacity(points.len());
    let mut model: Option<(u64, Option<IsolationForest>)> = None;
    for p in points {
        let hour = p.end / HOUR * HOUR;
        if model.as_ref().is_none_or(|(h, _)| *h != hour) {
            let history: Vec<[i64; DIMENSIONS]> = points
                .iter()
                .filter(|q| q.end < hour && q.end + DAY >= hour)
                .map(|q| q.vector)
                .collect();
            let stride = history.len().div_ceil(FIT_WINDOWS).max(1);
            let sample: Vec<_> = history.into_iter().step_by(stride).collect();
            let forest = (!sample.is_empty())
                .then(|| IsolationForest::fit(&sample, ForestConfig::default()));
            model = Some((hour, forest));
        }
        let forest = model.as_ref().and_then(|(_, f)| f.as_ref());
        out.push(forest.map_or(0.0, |f| f.score(&p.vector)));
    }
    out
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64())
}

fn report(name: &str, points: &[Point], scores: &[f64], secs: f64) {
    let mut pairs: Vec<(f64, bool)> = scores
        .iter()
        .zip(points)
        .map(|(s, p)| (*s, p.positive))
        .collect();
    let auc = roc_auc(&mut pairs);
    let us = secs * 1e6 / points.len().max(1) as f64;
    println!("| {name} | {auc:.3} | {us:.1} |");
}
