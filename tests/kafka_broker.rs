//! The Kafka source, sinks and producer against a real broker process (tansu) started on a
//! free loopback port with its storage in a temp dir. These tests fail, never skip, when
//! tansu is missing: `.ci/run` installs it.

mod common;
mod kafka_support;

use auditflow::source::kafka::StartFrom;
use kafka_support::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[test]
fn alerts_from_kafka_equal_alerts_from_a_file_and_a_malformed_record_is_a_dead_letter() {
    let broker = Tansu::start();
    broker.create_topic("audit", 4);
    let mut records = records(&generator(6_000, 5));
    // The malformed record goes in the middle: the run must carry on past it.
    records.insert(
        3_000,
        ("someone@example.com".into(), b"{\"truncated\": ".to_vec()),
    );
    produce(&broker.bootstrap(), "audit", &records);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    write_file(&file, &records);

    let from_file = run(file_plan(&file), 2, &dir.path().join("dead-file.jsonl"));
    let dead = dir.path().join("dead-kafka.jsonl");
    let plan = kafka_plan(&broker.bootstrap(), "audit", "equal", StartFrom::Earliest);
    let from_kafka = run(plan, 2, &dead);

    assert!(
        !from_file.alerts.is_empty(),
        "the generated anomalies raise alerts"
    );
    assert_eq!(alert_ids(&from_kafka.alerts), alert_ids(&from_file.alerts));
    assert_eq!(from_kafka.summary.records, records.len() as u64);
    assert_eq!(from_kafka.summary.processed, from_file.summary.processed);
    assert_eq!(from_kafka.summary.dead_lettered, 1);
    assert_accounted(&from_kafka);
    let letter: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&dead).unwrap().trim()).unwrap();
    let origin = letter["position"]["origin"].as_str().unwrap();
    assert!(origin.starts_with("audit/"), "topic/partition in {letter}");
    assert!(letter["position"]["offset"].is_u64(), "offset in {letter}");
    // Every partition was read to its end and the offsets committed to the group.
    let committed: i64 = from_kafka.committed_offsets.values().sum();
    assert_eq!(committed, records.len() as i64);
}

/// Ids of the alerts in `topic`.
fn alerts_in_topic(bootstrap: &str, topic: &str) -> Vec<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "alert-reader")
        .create()
        .unwrap();
    let (_, high) = consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(10))
        .unwrap();
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&list).unwrap();
    let mut ids = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while (ids.len() as i64) < high && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let alert: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            assert_eq!(m.key(), alert["principal"].as_str().map(str::as_bytes));
            ids.push(alert["id"].as_str().unwrap().to_string());
        }
    }
    ids
}

#[test]
fn an_engine_killed_mid_stream_resumes_from_committed_offsets_and_loses_nothing() {
    let broker = Tansu::start();
    broker.create_topic("audit", 2);
    broker.create_topic("alerts", 1);
    // Enough records for several batches per partition: offsets are committed per batch,
    // once event time has moved past every window the batch's events fall in.
    let records = records(&generator(60_000, 9));
    produce(&broker.bootstrap(), "audit", &records);
    let bootstrap = broker.bootstrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    write_file(&file, &records);
    let expected = alert_ids(&run(file_plan(&file), 1, &dir.path().join("d.jsonl")).alerts);

    // A streaming run, killed once it has committed something; same spec as the file run.
    let alerts = format!("kafka://{bootstrap}/alerts");
    let spec_path = dir.path().join("spec.toml");
    std::fs::write(&spec_path, toml::to_string(&spec()).unwrap()).unwrap();
    let engine = |extra: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_auditflow"));
        command
            .arg("run")
            .arg(&spec_path)
            .args(["--format", "gcp", "--kafka", &bootstrap, "--topic", "audit"])
            .args(["--group", "resume", "--alerts", &alerts, "--workers", "2"])
            .args([
                "--dead-letter",
                dir.path().join("dead.jsonl").to_str().unwrap(),
            ])
            .args(extra)
            .stderr(std::process::Stdio::null());
        command
    };
    let first = KillOnDrop(engine(&[]).spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(120);
    let half = records.len() as i64 / 2;
    let at_kill = loop {
        let done = committed(&bootstrap, "resume", "audit", 2);
        if done.values().sum::<i64>() >= half {
            break done;
        }
        assert!(
            Instant::now() < deadline,
            "the first run committed too little: {done:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(first);
    // A streaming run never completes its newest windows, so it cannot commit everything.
    assert!(
        at_kill.values().sum::<i64>() < records.len() as i64,
        "killed mid-stream"
    );
    // Alerts were written (acknowledged by the broker) before the offsets were committed,
    // and each is an alert the file run raises too (same records, same spec, same ids).
    let before_kill: BTreeSet<String> = alerts_in_topic(&bootstrap, "alerts").into_iter().collect();
    assert!(
        !before_kill.is_empty(),
        "alerts were written before the offsets were committed"
    );
    assert!(
        before_kill.is_subset(&expected),
        "streamed alerts not raised by the file run: {:?}",
        before_kill.difference(&expected).collect::<Vec<_>>()
    );

    // The restart reads from the committed offsets to the end, and commits everything.
    let status = engine(&["--until-caught-up"]).status().unwrap();
    assert!(status.success());
    let at_end = committed(&bootstrap, "resume", "audit", 2);
    assert_eq!(
        at_end.values().sum::<i64>(),
        records.len() as i64,
        "every record committed"
    );
    let after: BTreeSet<String> = alerts_in_topic(&bootstrap, "alerts").into_iter().collect();
    assert!(after.is_superset(&before_kill));
}

#[test]
fn a_broker_restarted_mid_stream_loses_nothing() {
    let mut broker = Tansu::start();
    broker.create_topic("audit", 3);
    let records = records(&generator(30_000, 3));
    produce(&broker.bootstrap(), "audit", &records);
    let bootstrap = broker.bootstrap();
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let engine = std::thread::spawn(move || {
        let plan = kafka_plan(&bootstrap, "audit", "restart", StartFrom::Earliest);
        run(plan, 2, &dead)
    });
    std::thread::sleep(Duration::from_millis(500));
    broker.stop();
    std::thread::sleep(Duration::from_secs(2));
    broker.restart();
    let report = engine.join().unwrap();
    assert_eq!(report.summary.records, records.len() as u64, "nothing lost");
    assert_eq!(report.summary.dead_lettered, 0);
    assert_accounted(&report);
}

#[test]
fn two_processes_of_two_workers_share_eight_partitions_reading_each_once() {
    let broker = Tansu::start();
    broker.create_topic("audit", 8);
    let records = records(&generator(8_000, 11));
    produce(&broker.bootstrap(), "audit", &records);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    write_file(&file, &records);
    let from_file = run(file_plan(&file), 1, &dir.path().join("dead-file.jsonl"));
    let plan = kafka_plan(&broker.bootstrap(), "audit", "cluster", StartFrom::Earliest);
    let dead = dir.path().join("dead-kafka.jsonl");
    // Process 0's report holds the totals over both processes and the gathered alerts.
    let report = common::on_cluster(2, 2, |execution| run_on(plan.clone(), execution, &dead));
    assert_eq!(
        report.summary.records,
        records.len() as u64,
        "each record read once"
    );
    assert_accounted(&report);
    assert_eq!(alert_ids(&report.alerts), alert_ids(&from_file.alerts));
    // Every one of the 8 partitions was read to its end by exactly one worker, and committed.
    let committed = committed(&broker.bootstrap(), "cluster", "audit", 8);
    assert_eq!(committed.len(), 8);
    assert_eq!(committed.values().sum::<i64>(), records.len() as i64);
}

#[test]
fn every_cluster_shape_reads_kafka_into_the_alerts_a_file_gives() {
    // 2x2 is covered above; here the other shapes of `tests/cluster.rs`: one worker, four
    // threads in one process, four processes of one worker each.
    let broker = Tansu::start();
    broker.create_topic("audit", 8);
    let records = records(&generator(6_000, 12));
    produce(&broker.bootstrap(), "audit", &records);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    write_file(&file, &records);
    let from_file = run(file_plan(&file), 1, &dir.path().join("dead-file.jsonl"));
    assert!(
        !from_file.alerts.is_empty(),
        "the generated input raises alerts"
    );
    for (processes, workers) in [(1, 1), (1, 4), (4, 1)] {
        let group = format!("shape-{processes}x{workers}");
        let plan = kafka_plan(&broker.bootstrap(), "audit", &group, StartFrom::Earliest);
        let dead = dir.path().join(format!("dead-{group}.jsonl"));
        let report = common::on_cluster(processes, workers, |e| run_on(plan.clone(), e, &dead));
        assert_eq!(
            report.summary.records,
            records.len() as u64,
            "{group}: read once"
        );
        assert_accounted(&report);
        // Whole alerts, not only their ids: same scores, windows, evidence and order.
        assert_eq!(report.alerts, from_file.alerts, "{group}");
        let committed = committed(&broker.bootstrap(), &group, "audit", 8);
        assert_eq!(
            committed.values().sum::<i64>(),
            records.len() as i64,
            "{group}"
        );
    }
}
