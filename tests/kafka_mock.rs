//! The Kafka source against librdkafka's built-in mock broker: fast checks of partition
//! ownership, accounting and dead letters, without a broker process.

mod kafka_support;

use kafka_support::*;
use rdkafka::mocking::MockCluster;

#[test]
fn every_partition_is_read_once_and_every_record_is_accounted_for() {
    let cluster = MockCluster::new(1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    cluster.create_topic("audit", 5, 1).unwrap();
    let mut records = records(&generator(3_000, 11));
    records.push(("someone".into(), b"{not json".to_vec()));
    produce(&bootstrap, "audit", &records);

    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let plan = kafka_plan(
        &bootstrap,
        "audit",
        "mock-test",
        auditflow::source::kafka::StartFrom::Earliest,
    );
    let report = run(plan, 3, &dead);
    assert_eq!(
        report.summary.records,
        records.len() as u64,
        "no record read twice or missed"
    );
    assert_eq!(report.summary.dead_lettered, 1);
    assert_accounted(&report);
    let letters = std::fs::read_to_string(&dead).unwrap();
    assert!(letters.contains("\"origin\":\"audit/"), "{letters}");
}

#[test]
fn alerts_from_kafka_equal_alerts_from_a_file_of_the_same_events() {
    let cluster = MockCluster::new(1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    cluster.create_topic("audit", 4, 1).unwrap();
    let records = records(&generator(6_000, 5));
    produce(&bootstrap, "audit", &records);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    write_file(&file, &records);

    let from_file = run(file_plan(&file), 2, &dir.path().join("dead-file.jsonl"));
    let plan = kafka_plan(
        &bootstrap,
        "audit",
        "g",
        auditflow::source::kafka::StartFrom::Earliest,
    );
    let from_kafka = run(plan, 2, &dir.path().join("dead-kafka.jsonl"));
    assert!(
        !from_file.alerts.is_empty(),
        "the generated anomalies raise alerts"
    );
    assert_eq!(alert_ids(&from_kafka.alerts), alert_ids(&from_file.alerts));
    assert_eq!(from_kafka.summary.processed, from_file.summary.processed);
}

#[test]
fn produce_writes_every_generated_record_keyed_by_principal() {
    let cluster = MockCluster::new(1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    // The mock broker has no CreateTopics; tests/kafka_broker.rs covers creation.
    cluster.create_topic("fresh", 3, 1).unwrap();
    let options = auditflow::produce::ProduceOptions {
        generator: generator(800, 2),
        forever: false,
        rate: None,
        brokers: bootstrap.clone(),
        topic: "fresh".into(),
        partitions: 3,
        settings: Default::default(),
        live: false,
    };
    let report = auditflow::produce::produce(&options).unwrap();
    assert_eq!(report.delivered, 800);
    let dir = tempfile::tempdir().unwrap();
    let plan = kafka_plan(
        &bootstrap,
        "fresh",
        "p",
        auditflow::source::kafka::StartFrom::Earliest,
    );
    let run = run(plan, 2, &dir.path().join("dead.jsonl"));
    assert_eq!(run.summary.records, 800);
    assert_eq!(
        run.committed_offsets.len(),
        3,
        "three partitions created and read"
    );
}
