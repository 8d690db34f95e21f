//! WAF field monitors counted per window and client in the dataflow equal a sequential
//! evaluation of the same windows, at 1, 2 and 4 workers and on 2 processes; the BLOCK
//! burst the generator injects is caught.

mod common;

use auditflow::detect::monitor::Monitors;
use auditflow::generate::GeneratorConfig;
use auditflow::operators::monitor_windows::{covered_span, firing_count, monitor_alert};
use auditflow::parse::{parse_record, read_records, Format};
use auditflow::sigma::RuleAlert;
use auditflow::source::ingest::stamp;
use auditflow::spec::{SourceKind, Spec};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

const HOUR: u64 = 3600;

fn reference(spec: &Spec, input: &Path) -> Vec<RuleAlert> {
    let windows = spec.time.windows().unwrap();
    let (w, b) = (windows.window, windows.baseline);
    let monitors = Monitors(spec.monitors.clone());
    let mut hits: BTreeMap<(usize, String), Vec<u64>> = BTreeMap::new();
    let origin: Arc<str> = input.to_string_lossy().as_ref().into();
    read_records(
        std::fs::File::open(input).unwrap(),
        origin,
        1 << 20,
        &mut |pos, raw| {
            let raw = raw.unwrap();
            let event = parse_record(Format::Waf, raw, &pos).unwrap();
            for (i, hit) in monitors.matches(raw).unwrap().into_iter().enumerate() {
                if hit {
                    let time = stamp(event.time_ns, windows.slide);
                    hits.entry((i, event.principal.clone()))
                        .or_default()
                        .push(time);
                }
            }
        },
    );
    let entry = |s: u64| (s + w).div_ceil(HOUR) * HOUR;
    let mut alerts = Vec::new();
    for ((monitor, client), stamps) in hits {
        let points: BTreeSet<u64> = stamps
            .iter()
            .flat_map(|&s| [s, s + w, entry(s), entry(s) + b])
            .collect();
        let mut previous = None;
        for t in points {
            let now = stamps.iter().filter(|&&s| s <= t && t < s + w).count() as u64;
            let base: Vec<u64> = stamps
                .iter()
                .map(|&s| entry(s))
                .filter(|&e| e <= t && t < e + b)
                .collect();
            let span = match (base.iter().min(), base.iter().max()) {
                (Some(&f), Some(&l)) => covered_span(f, l, b),
                _ => b,
            };
            let before = base.len() as u64;
            let output = (now >= firing_count(before, w, span)).then_some((before, span));
            if output.is_some() && output != previous {
                let spec = &monitors.0[monitor];
                alerts.push(monitor_alert(spec, &client, before, span, t, w));
            }
            previous = output;
        }
    }
    alerts.sort();
    alerts
}

#[test]
fn monitors_equal_a_sequential_evaluation_and_catch_the_block_burst() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("waf.jsonl");
    let labels = dir.path().join("labels.tsv");
    let mut config = GeneratorConfig::new(Format::Waf, 20_000, 4);
    config.days = 3;
    auditflow::generate::write_files(&config, &input, Some(&labels)).unwrap();
    let mut spec = Spec::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/dataflows/waf.toml"
    )))
    .unwrap();
    spec.source.kind = SourceKind::Files;
    spec.source.paths = vec![input.to_string_lossy().into_owned()];
    spec.time.lateness = "1d".into();
    // Every match on its own: merging repeats is tests/alert_lifecycle.rs.
    spec.alerts.cooldown = "0s".into();
    let expected = reference(&spec, &input);
    assert!(!expected.is_empty());
    // The injected burst of blocked requests is among the monitor alerts.
    let burst_clients: BTreeSet<String> = std::fs::read_to_string(&labels)
        .unwrap()
        .lines()
        .filter(|l| l.contains("denied_burst"))
        .map(|l| l.split('\t').nth(3).unwrap().to_string())
        .collect();
    assert!(
        expected
            .iter()
            .any(|a| a.rule_id == "monitor:action in block" && burst_clients.contains(&a.principal)),
        "no BLOCK alert for {burst_clients:?}"
    );
    for (processes, workers) in [(1, 1), (1, 2), (1, 4), (2, 2)] {
        let report = common::on_cluster(processes, workers, |execution| {
            common::run_collected(&spec, execution)
        })
        .unwrap();
        let mut got: Vec<RuleAlert> = report
            .rule_alerts
            .iter()
            .filter(|a| a.detector == "monitor")
            .cloned()
            .collect();
        got.sort();
        assert_eq!(got, expected, "{processes}x{workers}");
    }
}
