//! Helpers shared by integration tests: small deterministic GCP inputs and a plain
//! reference computation of the stage-1 features.
#![allow(dead_code)]

pub mod reload;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// A tiny deterministic PRNG (splitmix64).
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One GCP LogEntry line.
pub fn gcp_line(
    id: u64,
    time_s: i64,
    principal: &str,
    method: &str,
    service: &str,
    ip: &str,
    status: Option<i64>,
) -> String {
    let status = match status {
        None => String::new(),
        Some(0) => ",\"status\":{}".to_string(),
        Some(c) => format!(",\"status\":{{\"code\":{c},\"message\":\"x\"}}"),
    };
    format!(
        "{{\"insertId\":\"id{id}\",\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%2Factivity\",\"timestamp\":\"{}\",\"protoPayload\":{{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\",\"serviceName\":\"{service}\",\"methodName\":\"{method}\",\"resourceName\":\"projects/p\",\"authenticationInfo\":{{\"principalEmail\":\"{principal}\"}},\"requestMetadata\":{{\"callerIp\":\"{ip}\",\"callerSuppliedUserAgent\":\"ua\"}}{status}}}}}",
        auditflow::event::time::format_rfc3339(time_s * 1_000_000_000)
    )
}

/// Writes `n` events over `hours` hours, nearly in order (disorder up to `disorder_s`
/// seconds), with `bad` malformed lines and `very_late` events an hour behind.
pub fn write_gcp_file(
    path: &Path,
    seed: u64,
    n: usize,
    hours: i64,
    disorder_s: i64,
    bad: usize,
    very_late: usize,
) {
    let mut rng = Rng(seed);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let start = 1_767_225_600; // 2026-01-01T00:00:00Z
    let span = hours * 3600;
    for i in 0..n {
        let base = start + span * i as i64 / n as i64;
        let t = base - rng.below(disorder_s as u64 + 1) as i64;
        let p = format!("user{}@example.com", rng.below(12));
        let m = ["get", "list", "create", "delete", "setIamPolicy"][rng.below(5) as usize];
        let s = [
            "compute.googleapis.com",
            "storage.googleapis.com",
            "iam.googleapis.com",
        ][rng.below(3) as usize];
        let ip = format!("10.0.{}.{}", rng.below(2), rng.below(4));
        let status = match rng.below(10) {
            0 => Some(7),
            1 => Some(0),
            2 => Some(5),
            _ => None,
        };
        writeln!(f, "{}", gcp_line(i as u64, t, &p, m, s, &ip, status)).unwrap();
        if bad > 0 && i % (n / bad).max(1) == 7 {
            writeln!(f, "{{\"insertId\": \"broken\", \"timestamp\": ").unwrap();
        }
        if very_late > 0 && i % (n / very_late).max(1) == 11 {
            writeln!(
                f,
                "{}",
                gcp_line(1_000_000 + i as u64, t - 3600, &p, m, s, &ip, None)
            )
            .unwrap();
        }
    }
}

/// Stage-1 rows computed by a plain loop, with the engine's lateness rule: within each
/// chunk of `chunk_bytes` (a line belongs to the chunk holding its first byte), an event
/// older than the chunk's newest event so far minus `lateness_s` is late.
/// Returns (sorted CSV rows without header, events, late, malformed).
pub fn reference_features(
    path: &Path,
    window_s: i64,
    lateness_s: i64,
    chunk_bytes: u64,
) -> (Vec<String>, u64, u64, u64) {
    let data = std::fs::read(path).unwrap();
    #[derive(Default)]
    struct Acc {
        n: u64,
        methods: BTreeSet<String>,
        ips: BTreeSet<String>,
        failed: u64,
        services: BTreeSet<String>,
    }
    let mut groups: BTreeMap<(String, i64), Acc> = BTreeMap::new();
    let mut watermarks: BTreeMap<u64, i64> = BTreeMap::new();
    let (mut events, mut late, mut bad) = (0, 0, 0);
    let mut offset = 0u64;
    for line in data.split(|b| *b == b'\n') {
        let start = offset;
        offset += line.len() as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: serde_json::Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(_) => {
                bad += 1;
                continue;
            }
        };
        let t = auditflow::event::time::parse_rfc3339_ns(v["timestamp"].as_str().unwrap()).unwrap();
        let chunk = start / chunk_bytes;
        let wm = watermarks.entry(chunk).or_insert(i64::MIN);
        if *wm != i64::MIN && t < *wm - lateness_s * 1_000_000_000 {
            late += 1;
            continue;
        }
        *wm = (*wm).max(t);
        events += 1;
        let pp = &v["protoPayload"];
        let secs = t.div_euclid(1_000_000_000);
        let key = (
            pp["authenticationInfo"]["principalEmail"]
                .as_str()
                .unwrap()
                .to_string(),
            secs / window_s * window_s,
        );
        let acc = groups.entry(key).or_default();
        acc.n += 1;
        acc.methods
            .insert(pp["methodName"].as_str().unwrap().into());
        acc.ips
            .insert(pp["requestMetadata"]["callerIp"].as_str().unwrap().into());
        acc.services
            .insert(pp["serviceName"].as_str().unwrap().into());
        if pp["status"]["code"].as_i64().unwrap_or(0) != 0 {
            acc.failed += 1;
        }
    }
    let rows = groups
        .into_iter()
        .map(|((p, w), a)| {
            format!(
                "{p},{w},{},{},{},{},{}",
                a.n,
                a.methods.len(),
                a.ips.len(),
                a.failed,
                a.services.len()
            )
        })
        .collect();
    (rows, events, late, bad)
}

/// The reference parse of whole files: every event, and how many records failed.
pub fn parse_files(
    paths: &[String],
    format: auditflow::parse::Format,
) -> (Vec<auditflow::event::AuditEvent>, u64) {
    use auditflow::parse::{parse_record, read_records, DEFAULT_MAX_RECORD_BYTES};
    let (mut events, mut failed) = (Vec::new(), 0);
    for path in paths {
        let file = std::fs::File::open(path).unwrap();
        let origin: std::sync::Arc<str> = path.as_str().into();
        read_records(
            file,
            origin,
            DEFAULT_MAX_RECORD_BYTES,
            &mut |pos, raw| match raw.and_then(|raw| parse_record(format, raw, &pos)) {
                Ok(event) => events.push(event),
                Err(_) => failed += 1,
            },
        );
    }
    (events, failed)
}

/// Runs `run(execution)` as every process of a loopback cluster of `processes` processes
/// with `workers` threads each, concurrently in this test process (one timely instance per
/// thread), and returns process 0's result.
pub fn on_cluster<R: Send>(
    processes: usize,
    workers: usize,
    run: impl Fn(auditflow::pipeline::Execution) -> R + Sync,
) -> R {
    use auditflow::pipeline::Execution;
    if processes == 1 {
        return run(Execution::threads(workers));
    }
    let hosts = auditflow::cluster::free_loopback_hosts(processes).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..processes)
            .map(|process| {
                let execution = Execution::cluster(workers, process, hosts.clone());
                let run = &run;
                s.spawn(move || run(execution))
            })
            .collect();
        let mut results: Vec<R> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        results.swap_remove(0)
    })
}

/// The built `auditflow` binary.
pub fn auditflow() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_auditflow"))
}

/// Runs `args` as every process of a `processes` x `workers` cluster (hostfile on free
/// loopback ports) and returns each process's output, process 0 first.
pub fn run_cluster(
    dir: &Path,
    processes: usize,
    workers: usize,
    args: &[String],
) -> Vec<std::process::Output> {
    let hosts = auditflow::cluster::free_loopback_hosts(processes).unwrap();
    let hostfile = dir.join(format!("hosts{processes}x{workers}"));
    std::fs::write(&hostfile, hosts.join("\n")).unwrap();
    let children: Vec<_> = (0..processes)
        .map(|process| {
            auditflow()
                .args(args)
                .args(["--workers", &workers.to_string()])
                .args(["--process", &process.to_string()])
                .arg("--hostfile")
                .arg(&hostfile)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<std::process::Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for (process, out) in outputs.iter().enumerate() {
        assert!(
            out.status.success(),
            "process {process} of {processes}x{workers} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    outputs
}

/// Runs `spec` with its own source, no file outputs, keeping alerts and scores in memory.
pub fn run_collected(
    spec: &auditflow::spec::Spec,
    execution: auditflow::pipeline::Execution,
) -> auditflow::Result<auditflow::pipeline::run::RunReport> {
    use auditflow::pipeline::run::{run_pipeline, AlertStyle, RunOptions};
    run_pipeline(RunOptions {
        input: auditflow::pipeline::plan::plan_source(&spec.source)?,
        spec: spec.clone(),
        alerts: None,
        alert_style: AlertStyle::Json,
        scores: None,
        dead_letter: auditflow::sink::Target::Stderr,
        late: None,
        collect: true,
        execution,
    })
}
