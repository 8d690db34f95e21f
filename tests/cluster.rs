//! Multi-process clusters of the built binary on loopback: outputs are byte-identical for
//! 1x1, 1x4, 2x2 and 4x1 (processes x workers), from files and from the generator; a file
//! named once is written once; totals cover every process; `auditflow cluster` launches,
//! prefixes and reports failures; an unreachable peer fails with a clear error.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const SHAPES: [(usize, usize); 4] = [(1, 1), (1, 4), (2, 2), (4, 1)];

use common::{auditflow, run_cluster};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// Runs `args_for(output dir)` at every shape and asserts the named files are identical
/// (the first must not be empty).
fn assert_identical_across_shapes(
    dir: &Path,
    label: &str,
    files: &[&str],
    args_for: impl Fn(&Path) -> Vec<String>,
) {
    let mut first: Option<(String, Vec<Vec<u8>>)> = None;
    for (processes, workers) in SHAPES {
        let out_dir = dir.join(format!("{label}{processes}x{workers}"));
        std::fs::create_dir(&out_dir).unwrap();
        let outputs = run_cluster(dir, processes, workers, &args_for(&out_dir));
        for (process, out) in outputs.iter().enumerate().skip(1) {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.stdout.is_empty() && !err.contains("events"),
                "process {process} printed results or a summary: {err}"
            );
        }
        let leftovers: Vec<PathBuf> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !files.iter().any(|f| p.ends_with(f)))
            .collect();
        assert!(leftovers.is_empty(), "stray files: {leftovers:?}");
        let contents: Vec<Vec<u8>> = files
            .iter()
            .map(|f| std::fs::read(out_dir.join(f)).unwrap())
            .collect();
        assert!(
            !contents[0].is_empty(),
            "empty {} at {processes}x{workers}",
            files[0]
        );
        let shape = format!("{processes}x{workers}");
        match &first {
            None => first = Some((shape, contents)),
            Some((base, expected)) => {
                for (i, file) in files.iter().enumerate() {
                    assert!(
                        expected[i] == contents[i],
                        "{file} differs between {base} and {shape}"
                    );
                }
            }
        }
    }
}

#[test]
fn file_input_features_and_scores_are_identical_for_every_shape() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    common::write_gcp_file(&input, 5, 4000, 6, 40, 8, 5);
    assert_identical_across_shapes(dir.path(), "features", &["rows.csv", "dead.jsonl"], |out| {
        let mut args = strings(&["features", "--format", "gcp", "--input", &path(&input)]);
        args.extend(strings(&["--out", &path(&out.join("rows.csv"))]));
        args.extend(strings(&["--dead-letter", &path(&out.join("dead.jsonl"))]));
        args
    });
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, "[time]\nbaseline = \"3h\"\n").unwrap();
    assert_identical_across_shapes(
        dir.path(),
        "run",
        &["scores.jsonl", "alerts.jsonl", "dead.jsonl"],
        |out| {
            let mut args = strings(&[
                "run",
                &path(&spec),
                "--format",
                "gcp",
                "--input",
                &path(&input),
            ]);
            args.extend(strings(&["--scores", &path(&out.join("scores.jsonl"))]));
            args.extend(strings(&["--alerts", &path(&out.join("alerts.jsonl"))]));
            args.extend(strings(&["--dead-letter", &path(&out.join("dead.jsonl"))]));
            args
        },
    );
}

#[test]
fn generator_scores_and_alert_ids_are_identical_for_every_shape() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("gen.toml");
    std::fs::write(
        &spec,
        "[source]\nkind = \"generator\"\nformat = \"auto\"\n[source.generator]\nevents = 8000\nseed = 3\ndays = 1\n[time]\nbaseline = \"6h\"\n",
    )
    .unwrap();
    assert_identical_across_shapes(
        dir.path(),
        "generator",
        &["scores.jsonl", "alerts.jsonl"],
        |out| {
            let mut args = strings(&["run", &path(&spec)]);
            args.extend(strings(&["--scores", &path(&out.join("scores.jsonl"))]));
            args.extend(strings(&["--alerts", &path(&out.join("alerts.jsonl"))]));
            args
        },
    );
}

#[test]
fn summary_on_process_0_counts_every_process() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    common::write_gcp_file(&input, 8, 3000, 4, 40, 6, 4);
    let args = strings(&[
        "features",
        "--format",
        "gcp",
        "--input",
        &path(&input),
        "--out",
        &path(&dir.path().join("rows.csv")),
        "--dead-letter",
        &path(&dir.path().join("dead.jsonl")),
    ]);
    let counts = |stderr: &[u8]| {
        let text = String::from_utf8_lossy(stderr).to_string();
        // "features: R records, P processed, D dead-lettered, L late in ...": the counts part.
        text.split(" in ").next().unwrap_or_default().to_string()
    };
    let alone = run_cluster(dir.path(), 1, 1, &args);
    let cluster = run_cluster(dir.path(), 2, 2, &args);
    let expected = "features: 3010 records, 3000 processed, 6 dead-lettered, 4 late";
    assert_eq!(counts(&alone[0].stderr), expected);
    assert_eq!(
        counts(&cluster[0].stderr),
        expected,
        "process 0 reports every process"
    );
}

#[test]
fn cluster_command_launches_prefixes_and_names_failures() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    common::write_gcp_file(&input, 2, 2000, 3, 20, 0, 0);
    let rows = dir.path().join("rows.csv");
    let single = dir.path().join("single.csv");
    let ok = auditflow()
        .args(["cluster", "--processes", "2", "--workers", "1", "--"])
        .args([
            "features",
            "--format",
            "gcp",
            "--input",
            &path(&input),
            "--out",
            &path(&rows),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{err}");
    assert!(err.contains("[p0] features: 2000 records"), "{err}");
    let alone = auditflow()
        .args([
            "features",
            "--format",
            "gcp",
            "--workers",
            "1",
            "--input",
            &path(&input),
            "--out",
            &path(&single),
        ])
        .output()
        .unwrap();
    assert!(alone.status.success());
    assert_eq!(
        std::fs::read(&rows).unwrap(),
        std::fs::read(&single).unwrap()
    );

    let failed = auditflow()
        .args(["cluster", "--processes", "2", "--"])
        .args([
            "features",
            "--input",
            &path(&dir.path().join("missing.jsonl")),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(err.contains("[p1] auditflow: cannot read"), "{err}");
    assert!(err.contains("2 of 2 processes failed: process 0"), "{err}");
}

#[test]
fn unreachable_peer_fails_with_its_address_within_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    common::write_gcp_file(&input, 1, 100, 1, 0, 0, 0);
    let hosts = auditflow::cluster::free_loopback_hosts(2).unwrap();
    let hostfile = dir.path().join("hosts");
    std::fs::write(&hostfile, hosts.join("\n")).unwrap();
    let out_file = dir.path().join("rows.csv");
    let start = std::time::Instant::now();
    let out = auditflow()
        .args([
            "features",
            "--input",
            &path(&input),
            "--out",
            &path(&out_file),
        ])
        .args([
            "--process",
            "1",
            "--connect-timeout",
            "1",
            "--hostfile",
            &path(&hostfile),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("process 0 at {}", hosts[0])), "{err}");
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    assert!(!out_file.exists());
}

#[test]
fn cluster_command_forwards_sigterm_to_every_process() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("endless.toml");
    std::fs::write(
        &spec,
        "[source]\nkind = \"generator\"\nformat = \"gcp\"\n[source.generator]\nevents = 50000000\nseed = 1\ndays = 30\n",
    )
    .unwrap();
    let launcher = auditflow()
        .args(["cluster", "--processes", "2", "--", "run", &path(&spec)])
        .args(["--alerts", &path(&dir.path().join("alerts.jsonl"))])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sent = Command::new("kill")
        .args(["-TERM", &launcher.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = std::time::Instant::now();
    let out = launcher.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("2 of 2 processes failed") && err.contains("SIGTERM"),
        "both processes stopped by the forwarded signal: {err}"
    );
}
