//! `auditflow ... | head -n 1`: a reader that closes stdout early ends the run quietly with
//! status 0 (as ripgrep does), for `run`, `parse`, `features` and `generate --out -`; a
//! broken pipe on a file output (a FIFO) stays an error. Report commands (`sigma check`,
//! `bench`, `evaluate`) end quietly too.

mod common;

use common::auditflow;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Output, Stdio};

/// Generated GCP records, enough that every command below writes far more than a pipe
/// holds (parse ~10 MB, features ~1 MB, run's scores ~6 MB).
fn generate(path: &Path) {
    let out = auditflow()
        .args([
            "generate", "--format", "gcp", "--events", "20000", "--seed", "3",
        ])
        .arg("--out")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// Starts `args` with stdout and stderr piped.
fn spawn_piped(args: &[&str]) -> Child {
    auditflow()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `args` with stdout piped, reads its first line, closes the pipe and waits.
fn first_line_then_close(args: &[&str]) -> (String, Output) {
    let mut child = spawn_piped(args);
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // The reader (and so the pipe) is dropped here, with the writer far from done.
    (line, child.wait_with_output().unwrap())
}

fn assert_quiet_success(args: &[&str], first: &str) {
    let (line, out) = first_line_then_close(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(line.starts_with(first), "{args:?}: first line {line:?}");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    for bad in ["panicked", "Broken pipe", "auditflow:"] {
        assert!(!err.contains(bad), "{args:?}: {bad:?} on stderr: {err}");
    }
}

/// A directory with `gcp.jsonl` in it, and that path.
fn input() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("gcp.jsonl");
    generate(&input);
    let path = input.to_str().unwrap().to_string();
    (dir, path)
}

#[test]
fn run_ends_quietly_and_puts_no_partial_file_in_place() {
    let (dir, input) = input();
    let alerts = dir.path().join("alerts.jsonl");
    let alerts = alerts.to_str().unwrap();
    assert_quiet_success(
        &[
            "run", "--input", &input, "--format", "gcp", "-w", "2", "--scores", "-", "--alerts",
            alerts,
        ],
        "{",
    );
    // The run stopped early: its file outputs are incomplete, so none is put in place.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "only the input is left: {left:?}");
}

#[test]
fn parse_ends_quietly() {
    let (_dir, input) = input();
    assert_quiet_success(&["parse", "--format", "gcp", &input], "{");
}

#[test]
fn features_ends_quietly() {
    let (_dir, input) = input();
    assert_quiet_success(
        &["features", "--input", &input, "--format", "gcp", "-w", "2"],
        "principal,",
    );
}

#[test]
fn generate_to_stdout_ends_quietly() {
    assert_quiet_success(
        &[
            "generate", "--format", "gcp", "--events", "20000", "--out", "-",
        ],
        "{",
    );
}

#[test]
fn a_broken_pipe_on_a_file_output_is_still_an_error() {
    let (dir, input) = input();
    let fifo = dir.path().join("rows.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let child = auditflow()
        .args(["features", "--format", "gcp", "-w", "1", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&fifo)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the FIFO waits for the writer; read a little, then close it.
    let mut reader = std::fs::File::open(&fifo).unwrap();
    let mut start = [0u8; 16];
    reader.read_exact(&mut start).unwrap();
    drop(reader);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Broken pipe") && !err.contains("panicked"),
        "{err}"
    );
}

/// Runs `args` with stdout a pipe whose reader is gone before the command writes anything.
fn into_a_closed_pipe(args: &[&str]) -> Output {
    let mut child = spawn_piped(args);
    // The command loads its input first, so its first line meets a closed pipe.
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn report_commands_end_quietly_when_stdout_closes() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sigma/rules");
    let rules = rules.to_str().unwrap();
    for args in [
        vec!["sigma", "check", rules],
        vec!["sigma", "check", "--json", rules],
        vec!["bench", "--events", "2000", "--workers", "1"],
    ] {
        let out = into_a_closed_pipe(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
