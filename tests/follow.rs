//! `auditflow run --follow` on a growing audit.log: lines appended while it runs, a partial
//! last line, rotation by rename and by truncation, and the run ending by
//! `--follow-idle-exit` or SIGTERM with its outputs written. The auditd lines are synthetic,
//! in the format of the samples under ../shared/data/auditd/.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// One exec event of three records closed by EOE.
fn exec_event(serial: u64) -> String {
    let stamp = format!("{}.000:{serial}", 1_767_225_600 + serial * 10);
    format!(
        "type=SYSCALL msg=audit({stamp}): arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid={serial} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm=\"id\" exe=\"/usr/bin/id\" key=(null)\n\
         type=EXECVE msg=audit({stamp}): argc=1 a0=\"id\"\n\
         type=EOE msg=audit({stamp}): \n"
    )
}

/// A sudo command: one record, one event.
fn sudo_event(serial: u64) -> String {
    let stamp = format!("{}.000:{serial}", 1_767_225_600 + serial * 10);
    format!(
        "type=USER_CMD msg=audit({stamp}): pid=4242 uid=1000 auid=1000 ses=3 msg='cwd=\"/home/alice\" cmd=6964 exe=\"/usr/bin/sudo\" terminal=pts/0 res=success'\n"
    )
}

fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the run to end (at most 20 s) and returns its stderr.
fn finish(mut child: Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "follow run did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// (read, processed, dead-lettered, late) from the run summary.
fn summary(stderr: &str) -> [u64; 4] {
    let line = stderr.lines().find(|l| l.starts_with("events: ")).unwrap();
    let counts = line["events: ".len()..].split('|').next().unwrap();
    let numbers: Vec<u64> = counts
        .split(',')
        .map(|part| part.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    numbers.try_into().unwrap()
}

fn dead_letter_positions(path: &Path) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut got: Vec<(String, u64)> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let p = &v["position"];
            (
                p["origin"].as_str().unwrap().to_owned(),
                p["line"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    got
}

#[test]
fn follows_appends_partial_lines_and_both_kinds_of_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let dead = dir.path().join("dead.jsonl");
    let name = log.to_str().unwrap().to_owned();
    append(
        &log,
        &(exec_event(1) + &sudo_event(2) + "garbage before rotation\n"),
    );
    let child = start(&[
        "run",
        "--input",
        &name,
        "--format",
        "auditd",
        "--follow",
        "--follow-idle-exit",
        "3",
        "--dead-letter",
        dead.to_str().unwrap(),
        "-w",
        "2",
    ]);
    std::thread::sleep(Duration::from_millis(700));
    // A line written in two parts is one record.
    let sudo = sudo_event(3);
    append(&log, &sudo[..40]);
    std::thread::sleep(Duration::from_millis(500));
    append(&log, &(sudo[40..].to_owned() + &exec_event(4)));
    std::thread::sleep(Duration::from_millis(500));

    // Rotation by rename: the old file still gets a last event, then the new one grows.
    let old = dir.path().join("audit.log.1");
    std::fs::rename(&log, &old).unwrap();
    append(&old, &exec_event(5));
    append(
        &log,
        &(sudo_event(6) + "garbage after rename\n" + &exec_event(7)),
    );
    std::thread::sleep(Duration::from_millis(800));

    // Rotation by copytruncate: emptied in place, then written again from the start.
    std::fs::copy(&log, dir.path().join("audit.log.2")).unwrap();
    std::fs::File::create(&log).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    append(&log, &(sudo_event(8) + "garbage after truncate\n"));
    // A last event without EOE: flushed when the run ends.
    append(&log, exec_event(9).lines().next().unwrap());
    append(&log, "\n");

    let stderr = finish(child);
    let [read, processed, dead_lettered, late] = summary(&stderr);
    assert_eq!(read, 9 + 3, "9 events and 3 bad lines, each once: {stderr}");
    assert_eq!((processed, dead_lettered, late), (9, 3, 0), "{stderr}");
    assert_eq!(
        dead_letter_positions(&dead),
        [
            (name.clone(), 5),
            (format!("{name}#1"), 2),
            (format!("{name}#2"), 2)
        ]
    );
}

#[test]
fn json_lines_follow_ends_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("gcp.jsonl");
    let dead = dir.path().join("dead.jsonl");
    let line = |id: u64| {
        format!(
            "{{\"insertId\":\"i{id}\",\"timestamp\":\"2026-01-01T00:00:{id:02}Z\",\"protoPayload\":{{\"serviceName\":\"iam.googleapis.com\",\"methodName\":\"SetIamPolicy\",\"authenticationInfo\":{{\"principalEmail\":\"a@example.com\"}},\"requestMetadata\":{{\"callerIp\":\"10.0.0.1\"}}}}}}\n"
        )
    };
    append(&log, &(line(1) + &line(2)));
    let child = start(&[
        "run",
        "--input",
        log.to_str().unwrap(),
        "--format",
        "gcp",
        "--follow",
        "--dead-letter",
        dead.to_str().unwrap(),
    ]);
    std::thread::sleep(Duration::from_millis(700));
    append(&log, &(line(3) + "{\"broken\n"));
    std::thread::sleep(Duration::from_millis(800));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let stderr = finish(child);
    assert_eq!(summary(&stderr), [4, 3, 1, 0], "{stderr}");
    assert_eq!(dead_letter_positions(&dead).len(), 1);
}

#[test]
fn spec_follow_key_plans_a_follow_run_and_misspellings_are_rejected() {
    use auditflow::pipeline::{plan::plan_source, InputPlan};
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    append(&log, &sudo_event(1));
    let spec_path = dir.path().join("spec.toml");
    let spec = |key: &str| {
        format!(
            "name = \"t\"\n[source]\nformat = \"auditd\"\npaths = [{:?}]\n{key} = true\n",
            log.to_str().unwrap()
        )
    };
    let parsed = auditflow::spec::Spec::parse(&spec("follow"), &spec_path).unwrap();
    assert!(parsed.source.follow);
    match plan_source(&parsed.source).unwrap() {
        InputPlan::Follow(plan) => assert_eq!(plan.paths, std::slice::from_ref(&log)),
        other => panic!("expected a follow plan, got {other:?}"),
    }
    let err = auditflow::spec::Spec::parse(&spec("folow"), &spec_path).unwrap_err();
    assert!(err.to_string().contains("folow"), "{err}");
}
