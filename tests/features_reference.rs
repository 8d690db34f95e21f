//! The features dataflow equals a plain reference computation, at 1, 2 and 4 workers and
//! on 2 processes of 2 workers, and
//! input = processed + dead-lettered + late.

mod common;

use auditflow::parse::Format;
use auditflow::pipeline::features::{run_features, FeaturesOptions, FEATURES_HEADER};
use auditflow::sink::Target;

fn run(
    input: &std::path::Path,
    out: &std::path::Path,
    dead: &std::path::Path,
    processes: usize,
    workers: usize,
    chunk: u64,
) -> auditflow::pipeline::RunSummary {
    common::on_cluster(processes, workers, |execution| {
        run_features(FeaturesOptions {
            inputs: vec![input.display().to_string()],
            format: Format::Gcp,
            window_secs: 300,
            lateness_secs: 60,
            out: Target::File(out.to_path_buf()),
            dead_letter: Target::File(dead.to_path_buf()),
            max_record_bytes: 1 << 20,
            chunk_bytes: chunk,
            execution,
        })
        .unwrap()
    })
}

#[test]
fn features_equal_reference_at_1_2_4_workers_and_2_processes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    common::write_gcp_file(&input, 42, 6000, 6, 50, 20, 15);
    let chunk = 256 << 10;
    let (expected, events, late, bad) = common::reference_features(&input, 300, 60, chunk);
    assert!(
        late > 0 && bad > 0,
        "the input must exercise late and bad records"
    );
    let mut first_output = None;
    for (processes, workers) in [(1, 1), (1, 2), (1, 4), (2, 2)] {
        let out = dir.path().join(format!("rows{processes}x{workers}.csv"));
        let dead = dir.path().join(format!("dead{processes}x{workers}.jsonl"));
        let summary = run(&input, &out, &dead, processes, workers, chunk);
        assert_eq!(summary.processed, events, "processed at {workers} workers");
        assert_eq!(summary.late, late, "late at {workers} workers");
        assert_eq!(
            summary.dead_lettered, bad,
            "dead letters at {workers} workers"
        );
        assert_eq!(
            summary.records,
            summary.processed + summary.dead_lettered + summary.late
        );
        let text = std::fs::read_to_string(&out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(FEATURES_HEADER));
        let mut rows: Vec<String> = lines.map(String::from).collect();
        rows.sort();
        assert_eq!(rows, expected, "rows at {workers} workers");
        let dead_lines = std::fs::read_to_string(&dead).unwrap().lines().count() as u64;
        assert_eq!(dead_lines, bad);
        // Byte-identical output, not only the same set of rows.
        match &first_output {
            None => first_output = Some(text),
            Some(first) => assert_eq!(first, &text, "output differs at {workers} workers"),
        }
    }
}
