use super::*;
use std::io::Write;
use std::time::Duration;

fn options() -> FollowOptions {
    FollowOptions {
        poll: Duration::ZERO,
        ..FollowOptions::default()
    }
}

/// One batch: (origin, line, text) of each record read.
fn read(unit: &mut FollowFile) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    assert!(unit.next_batch(1000, &mut |pos, rec| {
        let text = match rec {
            Ok(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Err(e) => format!("ERR {e}"),
        };
        out.push((pos.origin.to_string(), pos.line.unwrap(), text));
    }));
    out
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn partial_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    append(&path, "one\ntw");
    let mut unit = FollowFile::open(&path, options(), 1 << 20).unwrap();
    let origin = path.display().to_string();
    assert_eq!(read(&mut unit), [(origin.clone(), 1, "one".into())]);
    assert!(read(&mut unit).is_empty());
    append(&path, "o\n\nthree\n");
    assert_eq!(
        read(&mut unit),
        [
            (origin.clone(), 2, "two".into()),
            (origin, 4, "three".into())
        ]
    );
}

#[test]
fn rename_rotation_reads_the_old_file_to_its_end_then_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    append(&path, "a1\n");
    let mut unit = FollowFile::open(&path, options(), 1 << 20).unwrap();
    assert_eq!(read(&mut unit).len(), 1);
    std::fs::rename(&path, dir.path().join("a.log.1")).unwrap();
    // Written through the old name's file after the rename, without a final newline.
    append(&dir.path().join("a.log.1"), "a2\na3");
    append(&path, "b1\nb2\n");
    let origin = path.display().to_string();
    let rotated = format!("{origin}#1");
    assert_eq!(
        read(&mut unit),
        [
            (origin.clone(), 2, "a2".into()),
            (origin, 3, "a3".into()),
            (rotated.clone(), 1, "b1".into()),
            (rotated, 2, "b2".into()),
        ]
    );
}

#[test]
fn truncation_starts_again_from_offset_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    append(&path, "first line\nsecond line\n");
    let mut unit = FollowFile::open(&path, options(), 1 << 20).unwrap();
    assert_eq!(read(&mut unit).len(), 2);
    std::fs::write(&path, "new\n").unwrap();
    let origin = format!("{}#1", path.display());
    assert_eq!(read(&mut unit), [(origin, 1, "new".into())]);
}

#[test]
fn stop_emits_the_partial_line_and_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    append(&path, "x\npartial");
    let opts = options();
    let mut unit = FollowFile::open(&path, opts.clone(), 1 << 20).unwrap();
    assert_eq!(read(&mut unit).len(), 1);
    assert!(!unit.idle(), "not idle right after reading");
    opts.stop.store(true, Ordering::Relaxed);
    let mut got = Vec::new();
    let more = unit.next_batch(10, &mut |pos, rec| {
        got.push((pos.line, rec.unwrap().to_vec()))
    });
    assert!(!more);
    assert_eq!(got, [(Some(2), b"partial".to_vec())]);
    assert!(!unit.next_batch(10, &mut |_, _| panic!("nothing after the end")));
}

#[test]
fn quiet_file_turns_idle_and_idle_exit_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    append(&path, "x\n");
    let opts = FollowOptions {
        idle_after: Duration::from_millis(50),
        idle_exit: Some(Duration::from_millis(150)),
        ..options()
    };
    let mut unit = FollowFile::open(&path, opts, 1 << 20).unwrap();
    assert_eq!(read(&mut unit).len(), 1);
    std::thread::sleep(Duration::from_millis(80));
    assert!(unit.idle());
    assert!(read(&mut unit).is_empty(), "still following");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !unit.next_batch(10, &mut |_, _| {}),
        "ended after 150 ms without data"
    );
}

#[test]
fn oversized_line_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    append(&path, &format!("{}\nafter\n", "y".repeat(600 << 10)));
    let mut unit = FollowFile::open(&path, options(), 1 << 10).unwrap();
    let got = read(&mut unit);
    assert_eq!(got.len(), 2);
    assert!(got[0].2.starts_with("ERR record of"), "{}", got[0].2);
    assert_eq!((got[1].1, got[1].2.as_str()), (2, "after"));
}

#[test]
fn auditd_event_left_open_at_the_end_flushes_once_the_file_is_idle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    append(&path, "type=SYSCALL msg=audit(10.000:1): syscall=59\n");
    let opts = FollowOptions {
        idle_after: Duration::from_millis(50),
        ..options()
    };
    let unit = FollowFile::open(&path, opts, 1 << 20).unwrap();
    let mut events = crate::source::auditd::AuditdEvents::new(Box::new(unit), true);
    let mut got = 0;
    assert!(events.next_batch(10, &mut |_, _| got += 1));
    assert_eq!(got, 0, "no EOE and no later line: the event may still grow");
    std::thread::sleep(Duration::from_millis(80));
    assert!(events.next_batch(10, &mut |_, _| got += 1));
    assert_eq!(got, 1);
}
