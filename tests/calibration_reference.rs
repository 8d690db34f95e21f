//! The calibrated confidence of `auditflow run` equals a plain recomputation from the
//! scored windows themselves: each window's tail (and its forest score's tail) counted from
//! scratch over all principals' windows of the horizon before it, at 1, 2 and 4 workers
//! and on 2 processes of 2 workers, with the same alerts everywhere.

mod common;

use auditflow::detect::calibrate::{bin, Tail};
use auditflow::pipeline::run::ScoreRecord;
use auditflow::spec::Spec;

const HORIZON: u64 = 2 * 3600;

fn ppm(x: f64) -> u32 {
    (x * 1e6).round() as u32
}

/// The tail of `value(r)` among the records of `[end - HORIZON, end)`.
fn tail_of(records: &[ScoreRecord], r: &ScoreRecord, value: impl Fn(&ScoreRecord) -> f64) -> Tail {
    let end = r.window_end_secs;
    let recent: Vec<_> = records
        .iter()
        .filter(|o| o.window_end_secs < end && o.window_end_secs >= end.saturating_sub(HORIZON))
        .collect();
    let at_least = recent
        .iter()
        .filter(|o| bin(ppm(value(o))) >= bin(ppm(value(r))))
        .count();
    Tail {
        at_least: at_least as u64,
        recent: recent.len() as u64,
    }
}

#[test]
fn calibration_equals_reference_at_1_2_4_workers_and_2_processes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    common::write_gcp_file(&input, 5, 3000, 6, 40, 0, 0);
    let mut spec = Spec::default();
    spec.source.paths = vec![input.display().to_string()];
    spec.source.format = auditflow::parse::Format::Gcp;
    spec.time.baseline = "3h".into();
    spec.score.tail_horizon = "2h".into();
    spec.score.forest = true;
    let calibration = spec.score.calibration().unwrap();
    let mut first: Option<(Vec<ScoreRecord>, Vec<String>)> = None;
    for (processes, workers) in [(1, 1), (1, 2), (1, 4), (2, 2)] {
        let report = common::on_cluster(processes, workers, |execution| {
            common::run_collected(&spec, execution)
        })
        .unwrap();
        let mut scores = report.scores.clone();
        scores.sort_by(|a, b| {
            (a.window_end_secs, &a.principal).cmp(&(b.window_end_secs, &b.principal))
        });
        let alerts: Vec<String> = report.alerts.iter().map(|a| a.id.clone()).collect();
        match &first {
            None => {
                assert!(scores.len() > 1000, "the input must produce many windows");
                // Windows of hours with a forest model carry its score and are ranked among
                // each other; the first hour has no model.
                let modelled: Vec<ScoreRecord> = scores
                    .iter()
                    .filter(|r| r.forest.is_some())
                    .cloned()
                    .collect();
                for r in &scores {
                    let tail = tail_of(&scores, r, |r| r.score);
                    let forest_tail = r
                        .forest
                        .map(|_| tail_of(&modelled, r, |r| r.forest.unwrap_or_default()));
                    // Exact up to the JSON round trip of the shares.
                    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
                    assert!(close(r.tail, tail.share()), "{r:?} {tail:?}");
                    match (r.forest_tail, forest_tail) {
                        (Some(got), Some(t)) => assert!(close(got, t.share()), "{r:?} {t:?}"),
                        (got, t) => assert_eq!((got, t), (None, None), "{r:?}"),
                    }
                    let confidence = calibration.confidence(r.confidence, tail, forest_tail);
                    assert!((r.calibrated_confidence - confidence).abs() < 1e-6, "{r:?}");
                }
                assert!(
                    modelled.len() > scores.len() / 2,
                    "most windows have a model"
                );
                assert!(
                    scores
                        .iter()
                        .any(|r| r.calibrated_confidence < r.confidence * 0.5),
                    "calibration must matter for some windows"
                );
                first = Some((scores, alerts));
            }
            Some((scores1, alerts1)) => {
                assert_eq!(&scores, scores1, "{processes}x{workers} scores");
                assert_eq!(&alerts, alerts1, "{processes}x{workers} alerts");
            }
        }
    }
}
