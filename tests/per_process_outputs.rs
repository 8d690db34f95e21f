//! Per-process outputs: a path containing `{process}` gives each process of a cluster its
//! own file, split by principal; together the files hold exactly what one file would.

mod common;

use common::{auditflow, run_cluster};
use std::path::{Path, PathBuf};
use std::process::Output;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// Lines of `file`, sorted.
fn sorted_lines(file: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines.sort();
    lines
}

#[test]
fn process_placeholder_splits_outputs_by_principal_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let generated = auditflow()
        .args([
            "generate", "--format", "gcp", "--events", "8000", "--seed", "3",
        ])
        .args(["--days", "1", "--out", &path(&input)])
        .output()
        .unwrap();
    assert!(generated.status.success());
    let mut text = std::fs::read_to_string(&input).unwrap();
    text.push_str("not json\n{\"truncated\": \n");
    std::fs::write(&input, text).unwrap();
    let spec = dir.path().join("spec.toml");
    // Without the forest: on one day of data its models rest on a few hours of windows and
    // keep the one alert of this input (a grant) under the calibrated confidence.
    std::fs::write(
        &spec,
        "[time]\nbaseline = \"6h\"\n[score]\nforest = false\n",
    )
    .unwrap();
    let run = |out: &Path, processes: usize, workers: usize, name: &str| {
        let mut args = strings(&["run", &path(&spec), "--format", "gcp"]);
        args.extend(strings(&["--input", &path(&input)]));
        for (flag, file) in [("--scores", "scores"), ("--alerts", "alerts")] {
            args.extend(strings(&[flag, &path(&out.join(format!("{file}{name}")))]));
        }
        args.extend(strings(&[
            "--dead-letter",
            &path(&out.join(format!("dead{name}"))),
        ]));
        run_cluster(dir.path(), processes, workers, &args)
    };
    let (single, split) = (dir.path().join("single"), dir.path().join("split"));
    std::fs::create_dir(&single).unwrap();
    std::fs::create_dir(&split).unwrap();
    let alone = run(&single, 1, 1, ".jsonl");
    let cluster = run(&split, 2, 2, "-{process}.jsonl");
    let principals = |file: &Path| -> std::collections::BTreeSet<String> {
        sorted_lines(file)
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["principal"].to_string())
            .collect()
    };
    for file in ["scores", "alerts", "dead"] {
        let parts: Vec<PathBuf> = (0..2)
            .map(|p| split.join(format!("{file}-{p}.jsonl")))
            .collect();
        let mut union: Vec<String> = parts.iter().flat_map(|p| sorted_lines(p)).collect();
        union.sort();
        assert_eq!(
            union,
            sorted_lines(&single.join(format!("{file}.jsonl"))),
            "{file}"
        );
        if file == "scores" {
            // Both processes wrote a share, each principal wholly in one file.
            let (a, b) = (principals(&parts[0]), principals(&parts[1]));
            assert!(!a.is_empty() && !b.is_empty(), "{a:?} {b:?}");
            assert!(a.is_disjoint(&b), "{a:?} {b:?}");
        }
    }
    // Feature rows: each process's file has the header and its principals' rows.
    let features = |out: &Path, processes: usize, workers: usize| {
        let mut args = strings(&["features", "--format", "gcp", "--input", &path(&input)]);
        args.extend(strings(&["--out", &path(out)]));
        args.extend(strings(&[
            "--dead-letter",
            &path(&dir.path().join("fdead.jsonl")),
        ]));
        run_cluster(dir.path(), processes, workers, &args);
    };
    features(&single.join("rows.csv"), 1, 1);
    features(&split.join("rows-{process}.csv"), 2, 2);
    let single_rows = std::fs::read_to_string(single.join("rows.csv")).unwrap();
    let header = single_rows.lines().next().unwrap();
    let mut union = Vec::new();
    for p in 0..2 {
        let part = std::fs::read_to_string(split.join(format!("rows-{p}.csv"))).unwrap();
        assert_eq!(part.lines().next(), Some(header));
        assert!(part.lines().count() > 1, "process {p} wrote no rows");
        union.extend(part.lines().skip(1).map(String::from));
    }
    union.sort();
    let mut expected: Vec<String> = single_rows.lines().skip(1).map(String::from).collect();
    expected.sort();
    assert_eq!(union, expected);
    // The summary on process 0 counts the alerts of both processes.
    let alerts = |out: &Output| {
        let text = String::from_utf8_lossy(&out.stderr).to_string();
        text.split("alerts: ")
            .nth(1)
            .map(|s| s.split(' ').next().unwrap().to_string())
    };
    assert_eq!(alerts(&cluster[0]), alerts(&alone[0]));
    assert!(
        alerts(&alone[0]).is_some_and(|n| n != "0"),
        "{:?}",
        alerts(&alone[0])
    );
}
