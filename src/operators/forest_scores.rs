//! `forest_scores`: each scored window also scored by an isolation forest refitted hourly.

use super::ScoredWindow;
use crate::detect::forest::{window_vector, ForestConfig, IsolationForest, DIMENSIONS};
use differential_dataflow::{AsCollection, VecCollection};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::{Broadcast, Filter, Map};
use timely::dataflow::operators::Capability;
use timely::dataflow::Stream;

/// Seconds between refits.
pub const REFIT_SECS: u64 = 3600;

/// What the forest is fitted on and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ForestScoring {
    /// How the forest is grown.
    pub forest: ForestConfig,
    /// Hours of past windows (of all principals) each hour's model is fitted on.
    pub history_hours: u64,
    /// Windows sampled per model: those with the least [`content_hash`].
    pub sample: usize,
}

impl Default for ForestScoring {
    fn default() -> Self {
        ForestScoring {
            forest: ForestConfig::default(),
            history_hours: 24,
            sample: 2048,
        }
    }
}

/// Windows of one time on this worker, with a capability to send their scores at it.
type Held = (Capability<u64>, Vec<(String, ScoredWindow)>);

/// A scored window's forest score, as an update.
type Scored = ((String, ScoredWindow, u32), u64, isize);

/// A window as a training point: its content hash (the sampling order) and its vector.
pub type Point = (u64, [i64; DIMENSIONS]);

/// FNV-1a over the principal, the window's time and its vector: a sampling order that is
/// the same on every worker, process and run.
pub fn content_hash(principal: &str, time: u64, vector: &[i64; DIMENSIONS]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let bytes = principal
        .bytes()
        .chain(time.to_le_bytes())
        .chain(vector.iter().flat_map(|x| x.to_le_bytes()));
    for b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The `k` points with the least hash (ties by vector), in that order.
pub fn bottom_k(mut points: Vec<Point>, k: usize) -> Vec<Point> {
    points.sort_unstable();
    points.dedup();
    points.truncate(k);
    points
}

/// Scores each scored window's insertion with the isolation forest of its hour, in
/// millionths: `(principal, window, forest_ppm)`.
///
/// The model of hour `h` is fitted at `h * REFIT_SECS` on a deterministic sample (least
/// [`content_hash`]) of all principals' windows of the previous `history_hours` hours: a
/// `reduce` per past hour keeps its `sample` least-hashed windows (all enter at the hour's
/// end, so it runs once); every worker hears those samples and fits the models of its share
/// of the hours (`fit_models`), each once, from the bottom `sample` of their union. A window
/// of hour `h` is scored with model `h`; a window with no model (the first hour, or after a
/// silence longer than the history) scores 0. Models are broadcast, so windows are scored
/// on the worker that holds them, each once its hour's model is decided (the models'
/// frontier has passed the hour's start). Retractions of the input are dropped: each
/// insertion is a window scored at its time, output once. State: per worker, the windows
/// awaiting their hour's model, the models of the held hours, and the samples of the last
/// `history_hours` hours.
pub trait ForestScores<'s> {
    /// The forest score of every scored window.
    fn forest_scores(
        self,
        config: ForestScoring,
    ) -> VecCollection<'s, u64, (String, ScoredWindow, u32), isize>;
}

impl<'s> ForestScores<'s> for VecCollection<'s, u64, (String, ScoredWindow), isize> {
    fn forest_scores(
        self,
        config: ForestScoring,
    ) -> VecCollection<'s, u64, (String, ScoredWindow, u32), isize> {
        let hour_end = |t: u64| (t / REFIT_SECS + 1) * REFIT_SECS;
        let inserted = self.inner.filter(|(_, _, diff)| *diff > 0);
        // Per past hour, its least-hashed windows, all entering at the hour's end.
        let per_hour = inserted
            .clone()
            .flat_map(move |((principal, window), t, _)| {
                let vector = window_vector(&window);
                let record = (
                    t / REFIT_SECS,
                    (content_hash(&principal, t, &vector), vector),
                );
                let end = hour_end(t);
                [(record, end, 1), (record, end + REFIT_SECS, -1)]
            })
            .as_collection()
            .reduce_named(
                "ForestScores hourly sample",
                move |_hour, points, output| {
                    let points = points.iter().map(|(p, _)| **p).collect();
                    output.push((bottom_k(points, config.sample), 1));
                },
            );
        // Every worker hears every hour's sample; the model of hour h is fitted once, at
        // h * REFIT_SECS, by worker h % peers, and sent to all.
        let samples = per_hour.inner.filter(|(_, _, diff)| *diff > 0).broadcast();
        let models = fit_models(samples, config).broadcast();
        inserted
            .binary_frontier::<_, CapacityContainerBuilder<Vec<Scored>>, _, _, _, _>(
                models,
                Pipeline,
                Pipeline,
                "ForestScores score",
                |_cap, _info| {
                    let mut held: BTreeMap<u64, Held> = BTreeMap::new();
                    let mut known: BTreeMap<u64, Arc<IsolationForest>> = BTreeMap::new();
                    move |(input, frontier), (models, models_frontier), output| {
                        let port = output.output_index();
                        input.for_each(|cap, data| {
                            for (record, time, diff) in data.drain(..) {
                                let entry = held
                                    .entry(time)
                                    .or_insert_with(|| (cap.delayed(&time, port), Vec::new()));
                                entry.1.extend(std::iter::repeat_n(record, diff as usize));
                            }
                        });
                        models.for_each(|_cap, data| known.extend(data.drain(..)));
                        // A time's windows are scored once their hour's model (or its
                        // absence) is decided: the model of hour h has time h * REFIT_SECS.
                        while let Some(&time) = held.keys().next() {
                            let hour = time / REFIT_SECS;
                            if models_frontier.less_equal(&(hour * REFIT_SECS)) {
                                break;
                            }
                            let (cap, windows) = held.remove(&time).expect("a held time");
                            let model = known.get(&hour);
                            let mut session = output.session(&cap);
                            for (principal, window) in windows {
                                let score = model.map_or(0.0, |m| m.score(&window_vector(&window)));
                                let ppm = (score.clamp(0.0, 1.0) * 1e6).round() as u32;
                                session.give(((principal, window, ppm), time, 1));
                            }
                        }
                        // Models of hours no held or future window can fall in.
                        let future = frontier.frontier();
                        let oldest = held.keys().chain(future.iter()).min();
                        match oldest {
                            Some(t) => known.retain(|hour, _| *hour >= t / REFIT_SECS),
                            None => known.clear(),
                        }
                    }
                },
            )
            .as_collection()
    }
}

/// A past hour's sample, as the hourly `reduce` gives it.
type Sample = ((u64, Vec<Point>), u64, isize);

/// The models this worker fits: hour `h`'s from the samples of the `history_hours` hours
/// before it, at time `h * REFIT_SECS`, for the hours `h % peers == index`. A sample
/// arriving retains a capability for each model it serves; a model is fitted once the
/// samples' frontier has passed its time, so it has all of them. Only the samples a model
/// still to come can use are kept.
fn fit_models<'s>(
    samples: Stream<'s, u64, Vec<Sample>>,
    config: ForestScoring,
) -> Stream<'s, u64, Vec<(u64, Arc<IsolationForest>)>> {
    let (index, peers) = (
        samples.scope().index() as u64,
        samples.scope().peers() as u64,
    );
    let history = config.history_hours;
    samples.unary_frontier::<CapacityContainerBuilder<Vec<_>>, _, _, _>(
        Pipeline,
        "ForestScores fit",
        move |_cap, _info| {
            let mut recent: BTreeMap<u64, Vec<Point>> = BTreeMap::new();
            let mut due: BTreeMap<u64, Capability<u64>> = BTreeMap::new();
            move |(input, frontier), output| {
                let port = output.output_index();
                input.for_each(|cap, data| {
                    for ((origin, sample), _, _) in data.drain(..) {
                        for hour in (origin + 1..=origin + history).filter(|h| h % peers == index) {
                            due.entry(hour)
                                .or_insert_with(|| cap.delayed(&(hour * REFIT_SECS), port));
                        }
                        recent.insert(origin, sample);
                    }
                });
                while let Some(&hour) = due.keys().next() {
                    if frontier.less_equal(&(hour * REFIT_SECS)) {
                        break;
                    }
                    let cap = due.remove(&hour).expect("a due hour");
                    let points = recent
                        .range(hour.saturating_sub(history)..hour)
                        .flat_map(|(_, sample)| sample.iter().copied())
                        .collect();
                    let vectors: Vec<_> = bottom_k(points, config.sample)
                        .into_iter()
                        .map(|(_, v)| v)
                        .collect();
                    let model = IsolationForest::fit(&vectors, config.forest);
                    output.session(&cap).give((hour, Arc::new(model)));
                }
                // A model still to come is due already, or serves a sample of a later time.
                let future = frontier.frontier();
                let next = future.iter().map(|t| t / REFIT_SECS);
                match due.keys().copied().chain(next).min() {
                    Some(hour) => recent.retain(|origin, _| *origin + history >= hour),
                    None => recent.clear(),
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::PrincipalType;
    use crate::operators::score_windows::Driver;
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use timely::dataflow::operators::vec::ToStream;
    use timely::dataflow::operators::Inspect;

    fn window(events: u64, driver: &str, score_ppm: u32) -> ScoredWindow {
        ScoredWindow {
            score_ppm,
            confidence_ppm: 500_000,
            window_events: events,
            baseline_events: events * 20,
            principal_type: PrincipalType::Unknown,
            drivers: vec![Driver {
                feature: driver.into(),
                observed: String::new(),
                expected: String::new(),
                score_ppm,
            }],
            evidence: Vec::new(),
        }
    }

    /// Twelve principals scored every 10 minutes for five hours; one goes odd in hour 4.
    fn input() -> Vec<(String, ScoredWindow, u64)> {
        let mut out = Vec::new();
        for step in 0..30u64 {
            for p in 0..12u64 {
                let t = 600 * step + 7 * p;
                let w = match (p, step) {
                    (3, 25..) => window(400, "network", 950_000),
                    _ => window(
                        5 + (p + step) % 7,
                        "action",
                        ((p * step) % 9) as u32 * 10_000,
                    ),
                };
                out.push((format!("p{p}"), w, t));
            }
        }
        out
    }

    fn config() -> ForestScoring {
        ForestScoring {
            forest: ForestConfig {
                trees: 20,
                tree_sample: 32,
                seed: 9,
            },
            history_hours: 2,
            sample: 50,
        }
    }

    /// The forest scores recomputed from scratch, one window at a time.
    fn reference(
        input: &[(String, ScoredWindow, u64)],
        config: ForestScoring,
    ) -> Vec<(String, u64, u32)> {
        let mut by_hour: BTreeMap<u64, Vec<Point>> = BTreeMap::new();
        for (p, w, t) in input {
            let v = window_vector(w);
            by_hour
                .entry(t / REFIT_SECS)
                .or_default()
                .push((content_hash(p, *t, &v), v));
        }
        let mut out: Vec<_> = input
            .iter()
            .map(|(p, w, t)| {
                let h = t / REFIT_SECS;
                let past: Vec<Point> = (h.saturating_sub(config.history_hours)..h)
                    .filter_map(|o| by_hour.get(&o))
                    .flat_map(|points| bottom_k(points.clone(), config.sample))
                    .collect();
                let ppm = match past.is_empty() {
                    true => 0,
                    false => {
                        let vectors: Vec<_> = bottom_k(past, config.sample)
                            .into_iter()
                            .map(|(_, v)| v)
                            .collect();
                        let model = IsolationForest::fit(&vectors, config.forest);
                        (model.score(&window_vector(w)).clamp(0.0, 1.0) * 1e6).round() as u32
                    }
                };
                (p.clone(), *t, ppm)
            })
            .collect();
        out.sort();
        out
    }

    fn dataflow(
        workers: usize,
        input: Vec<(String, ScoredWindow, u64)>,
    ) -> Vec<(String, u64, u32)> {
        let seen = Arc::new(Mutex::new(BTreeMap::<(String, u64, u32), isize>::new()));
        let sink = seen.clone();
        timely::execute(timely::Config::process(workers), move |worker| {
            let mine = match worker.index() {
                0 => input.clone(),
                _ => Vec::new(),
            };
            let sink = sink.clone();
            worker.dataflow::<u64, _, _>(move |scope| {
                mine.into_iter()
                    .map(|(p, w, t)| ((p, w), t, 1isize))
                    .to_stream(scope)
                    .as_collection()
                    .forest_scores(config())
                    .inner
                    .inspect(move |((p, _, ppm), t, diff)| {
                        *sink
                            .lock()
                            .unwrap()
                            .entry((p.clone(), *t, *ppm))
                            .or_default() += diff;
                    });
            });
        })
        .expect("timely runs")
        .join()
        .into_iter()
        .for_each(|r| r.expect("a worker finishes"));
        let seen = seen.lock().unwrap();
        seen.iter()
            .filter(|(_, d)| **d > 0)
            .map(|(k, _)| k.clone())
            .collect()
    }

    #[test]
    fn equals_the_reference_at_1_2_and_4_workers() {
        let expected = reference(&input(), config());
        let odd = expected
            .iter()
            .filter(|(p, t, _)| p == "p3" && *t >= 15_000);
        let crowd = expected
            .iter()
            .filter(|(p, t, _)| p != "p3" && *t >= 15_000);
        let odd_least = odd.map(|r| r.2).min().unwrap();
        let crowd: Vec<u32> = crowd.map(|r| r.2).collect();
        let crowd_most = *crowd.iter().max().unwrap();
        assert!(
            odd_least > crowd_most,
            "the odd one stands out: {odd_least} {crowd:?}"
        );
        assert!(
            expected.iter().filter(|r| r.1 < 3600).all(|r| r.2 == 0),
            "no model yet"
        );
        for workers in [1, 2, 4] {
            assert_eq!(dataflow(workers, input()), expected, "{workers} workers");
        }
    }
}
