//! Helpers for the Kafka tests: a real broker (tansu) on a free loopback port with its
//! storage in a temp dir, producing generated records, and runs of the engine.
#![allow(dead_code)]

use auditflow::detect::alert::Alert;
use auditflow::generate::{all, GeneratorConfig};
use auditflow::parse::Format;
use auditflow::pipeline::run::{run_pipeline, AlertStyle, RunOptions, RunReport};
use auditflow::pipeline::{Execution, InputPlan};
use auditflow::sink::kafka::{KafkaWriter, ProducerSettings};
use auditflow::sink::Target;
use auditflow::source::file::{plan_files, CHUNK_BYTES};
use auditflow::source::kafka::{KafkaSource, StartFrom};
use auditflow::spec::Spec;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL: &str = "tansu (the Kafka-compatible test broker) is not installed: install it with \
    `cargo install tansu --locked --version 0.6.0 --features libsql` (.ci/run does this)";

/// A tansu broker process with sqlite storage in a temp dir; killed on drop.
pub struct Tansu {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

fn tansu_binary() -> PathBuf {
    let on_path = Command::new("tansu")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if on_path {
        return PathBuf::from("tansu");
    }
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo")
        });
    let installed = home.join("bin/tansu");
    assert!(installed.exists(), "{INSTALL}");
    installed
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().unwrap().port()
}

impl Tansu {
    /// Starts a broker and waits until it accepts connections.
    pub fn start() -> Tansu {
        let mut broker = Tansu {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
        };
        broker.restart();
        broker
    }

    /// `127.0.0.1:PORT`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the broker process (storage stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts (again) on the same port and storage.
    pub fn restart(&mut self) {
        self.stop();
        let url = format!("tcp://127.0.0.1:{}", self.port);
        // tansu resolves the sqlite path against its working directory.
        let db = "sqlite://tansu.db";
        let log = std::fs::File::create(self.dir.path().join("tansu.log")).unwrap();
        let child = Command::new(tansu_binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", db])
            .current_dir(self.dir.path())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tansu: {e}; {INSTALL}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Creates a topic with the broker's own CLI.
    pub fn create_topic(&self, name: &str, partitions: u32) {
        let status = Command::new(tansu_binary())
            .args(["topic", "create", "--broker"])
            .arg(format!("tcp://127.0.0.1:{}", self.port))
            .args(["--partitions", &partitions.to_string(), name])
            .status()
            .expect("tansu topic create");
        assert!(status.success(), "tansu topic create {name} failed");
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A generator config small enough for a test but with injected anomalies.
pub fn generator(events: u64, seed: u64) -> GeneratorConfig {
    let mut config = GeneratorConfig::new(Format::Gcp, events, seed);
    config.days = 2;
    config
}

/// Produces `records` (raw JSON) keyed by `keys` to `topic`, waiting for delivery.
pub fn produce(bootstrap: &str, topic: &str, records: &[(String, Vec<u8>)]) {
    let writer = KafkaWriter::connect(bootstrap, topic, &ProducerSettings::default()).unwrap();
    for (key, raw) in records {
        writer.send(Some(key.as_bytes()), raw).unwrap();
    }
    writer.flush(Duration::from_secs(60)).unwrap();
}

/// Every record of `config`, as (principal, raw).
pub fn records(config: &GeneratorConfig) -> Vec<(String, Vec<u8>)> {
    all(config).map(|r| (r.principal, r.raw)).collect()
}

/// Writes records as JSON lines.
pub fn write_file(path: &Path, records: &[(String, Vec<u8>)]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for (_, raw) in records {
        f.write_all(raw).unwrap();
        f.write_all(b"\n").unwrap();
    }
}

/// A spec for short test runs: 1 h baseline, 5 m windows.
pub fn spec() -> Spec {
    let mut spec = Spec::default();
    spec.source.format = Format::Gcp;
    spec.time.baseline = "6h".into();
    spec
}

/// Runs the scoring pipeline over `input`, collecting alerts.
pub fn run(input: InputPlan, workers: usize, dead_letter: &Path) -> RunReport {
    run_on(input, Execution::threads(workers), dead_letter)
}

/// [`run`] on any execution (a process of a cluster, say).
pub fn run_on(input: InputPlan, execution: Execution, dead_letter: &Path) -> RunReport {
    run_pipeline(RunOptions {
        spec: spec(),
        input,
        alerts: None,
        alert_style: AlertStyle::Json,
        scores: None,
        dead_letter: Target::File(dead_letter.to_path_buf()),
        late: None,
        collect: true,
        execution,
    })
    .expect("run")
}

/// A bounded Kafka replay of `topic` for `group`.
pub fn kafka_plan(bootstrap: &str, topic: &str, group: &str, start: StartFrom) -> InputPlan {
    let mut source = KafkaSource::new(bootstrap, topic);
    source.group = group.into();
    source.start = start;
    source.until_caught_up = true;
    InputPlan::Kafka(source)
}

/// A file run's plan.
pub fn file_plan(path: &Path) -> InputPlan {
    InputPlan::Files(plan_files(&[path.to_path_buf()], CHUNK_BYTES).unwrap())
}

/// Alert ids, as a set.
pub fn alert_ids(alerts: &[Alert]) -> BTreeSet<String> {
    alerts.iter().map(|a| a.id.clone()).collect()
}

/// Checks input = processed + dead-lettered + late.
pub fn assert_accounted(report: &RunReport) {
    let s = &report.summary;
    assert_eq!(
        s.records,
        s.processed + s.dead_lettered + s.late,
        "every record is processed, dead-lettered or late: {s:?}"
    );
}

/// Committed offsets of `group` for the partitions of `topic`.
pub fn committed(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition(topic, p);
    }
    let found = consumer
        .committed_offsets(list, Duration::from_secs(10))
        .unwrap();
    found
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}

/// A child process killed when the test ends, passed or not.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
