//! The Kafka source while it streams, against a real broker (tansu, started by the test on a
//! free loopback port; these tests fail, never skip, when tansu is missing): the commit
//! fence covers dead letters, backpressure pauses and resumes without loss, and partitions
//! added to the topic while the engine runs are read.

mod kafka_support;

use auditflow::event::Position;
use auditflow::parse::ParseError;
use auditflow::pipeline::InputPlan;
use auditflow::source::kafka::{
    CommittedOffsets, KafkaSource, OffsetBook, PartitionReader, StartFrom,
};
use auditflow::source::Unit;
use kafka_support::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// (partition, offset) of every record of `topic` whose payload starts with `prefix`.
fn positions_of(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    prefix: &[u8],
) -> BTreeSet<(i32, i64)> {
    let mut found = BTreeSet::new();
    for p in 0..partitions {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", "position-reader")
            .create()
            .unwrap();
        let (_, high) = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .unwrap();
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
        consumer.assign(&list).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut next = 0;
        while next < high {
            assert!(Instant::now() < deadline, "partition {p} not read back");
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                next = m.offset() + 1;
                if m.payload().unwrap_or_default().starts_with(prefix) {
                    found.insert((p, m.offset()));
                }
            }
        }
    }
    found
}

#[test]
fn every_committed_malformed_record_has_its_dead_letter_written_when_the_engine_is_killed() {
    let broker = Tansu::start();
    broker.create_topic("audit", 2);
    let bootstrap = broker.bootstrap();
    let mut records = records(&generator(40_000, 9));
    for i in (0..80).rev() {
        let bad = format!("{{\"broken\": {i}").into_bytes();
        records.insert(i * 500 + 250, (format!("bad{i}@example.com"), bad));
    }
    produce(&bootstrap, "audit", &records);
    let malformed = positions_of(&bootstrap, "audit", 2, b"{\"broken\"");
    assert_eq!(malformed.len(), 80);

    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let spec_path = dir.path().join("spec.toml");
    std::fs::write(&spec_path, toml::to_string(&spec()).unwrap()).unwrap();
    let engine = std::process::Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .arg("run")
        .arg(&spec_path)
        .args(["--format", "gcp", "--kafka", &bootstrap, "--topic", "audit"])
        .args(["--group", "fence", "--workers", "2", "--alerts", "stderr"])
        .arg("--dead-letter")
        .arg(&dead)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let engine = KillOnDrop(engine);
    let deadline = Instant::now() + Duration::from_secs(120);
    while committed(&bootstrap, "fence", "audit", 2)
        .values()
        .sum::<i64>()
        < records.len() as i64 / 2
    {
        assert!(Instant::now() < deadline, "the engine committed too little");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(engine); // SIGKILL: no chance to finish the output.
    let at_kill = committed(&bootstrap, "fence", "audit", 2);
    let covered: Vec<&(i32, i64)> = malformed
        .iter()
        .filter(|(p, o)| at_kill.get(p).is_some_and(|c| o < c))
        .collect();
    assert!(
        !covered.is_empty(),
        "malformed records were committed: {at_kill:?}"
    );
    // A kill may cut the last line short; every complete line is a dead letter.
    let written: BTreeSet<(i32, i64)> = std::fs::read_to_string(&dead)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|letter| {
            let origin = letter["position"]["origin"].as_str().unwrap().to_string();
            let partition = origin.strip_prefix("audit/").unwrap().parse().unwrap();
            (partition, letter["position"]["offset"].as_i64().unwrap())
        })
        .collect();
    let missing: Vec<_> = covered.iter().filter(|m| !written.contains(m)).collect();
    assert!(
        missing.is_empty(),
        "committed without their dead letter: {missing:?} (committed {at_kill:?})"
    );
}

#[test]
fn a_reader_ahead_of_its_sinks_pauses_until_they_catch_up_and_loses_nothing() {
    let broker = Tansu::start();
    broker.create_topic("audit", 1);
    let records = records(&generator(3_000, 21));
    produce(&broker.bootstrap(), "audit", &records);
    let mut source = KafkaSource::new(broker.bootstrap(), "audit");
    source.group = "pause".into();
    source.start = StartFrom::Earliest;
    source.until_caught_up = true;
    source.max_lag_secs = Some(60);
    let metrics = source.metrics.clone();
    let book = OffsetBook::new(CommittedOffsets::default());
    let mut reader = PartitionReader::open(&source, 0, book.clone()).unwrap();
    let read = Cell::new(0u64);
    let mut count = |_: Position, _: Result<&[u8], ParseError>| read.set(read.get() + 1);
    // The sinks have written up to time 0; the first batch is emitted at time 1000.
    book.release(Some(0));
    let deadline = Instant::now() + Duration::from_secs(60);
    while read.get() == 0 {
        assert!(Instant::now() < deadline, "nothing fetched");
        reader.next_batch(100, &mut count);
    }
    reader.emitted(1_000);
    let before = read.get();
    for _ in 0..20 {
        assert!(
            reader.next_batch(100, &mut count),
            "a paused reader is not finished"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        read.get(),
        before,
        "nothing read while the sinks trail by 1000 s > 60 s"
    );
    assert_eq!(metrics.pauses_and_resumes(), (1, 0));
    // The sinks catch up to within the bound: reading resumes and runs to the end.
    book.release(Some(950));
    while reader.next_batch(100, &mut count) {
        assert!(Instant::now() < deadline, "the reader did not finish");
        reader.emitted(1_000);
    }
    assert_eq!(metrics.pauses_and_resumes(), (1, 1));
    assert_eq!(read.get(), records.len() as u64, "every record read once");
}

/// tansu 0.6 has no CreatePartitions (nor has librdkafka's mock broker), so partitions are
/// added the way tansu's own topic creation adds them: rows in its sqlite storage, written
/// while the broker is stopped.
fn add_partitions(broker: &mut Tansu, topic: &str, from: i32, to: i32) {
    broker.stop();
    let mut sql = format!("update topic set partitions = {to} where name = '{topic}';");
    for p in from..to {
        sql.push_str(&format!(
            "insert into topition (topic, partition) select id, {p} from topic where name = '{topic}';
             insert into watermark (topition) select tp.id from topition tp join topic t
               on tp.topic = t.id where t.name = '{topic}' and tp.partition = {p};"
        ));
    }
    let db = broker.dir.path().join("tansu.db");
    let status = std::process::Command::new("python3")
        .args(["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()"])
        .arg(&db)
        .arg(&sql)
        .status()
        .expect("python3 (with sqlite3) edits tansu's storage");
    assert!(
        status.success(),
        "cannot add partitions in {}",
        db.display()
    );
    broker.restart();
}

#[test]
fn partitions_added_while_the_engine_runs_are_read() {
    let mut broker = Tansu::start();
    broker.create_topic("grow", 2);
    let before = records(&generator(3_000, 31));
    produce(&broker.bootstrap(), "grow", &before);

    let mut source = KafkaSource::new(broker.bootstrap(), "grow");
    source.group = "grow".into();
    source.start = StartFrom::Earliest;
    source.refresh = Duration::from_millis(500);
    // A timed streaming run: long enough to see the new partitions and read them.
    source.stop_at = Some(Instant::now() + Duration::from_secs(25));
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let engine = std::thread::spawn(move || run(InputPlan::Kafka(source), 2, &dead));

    std::thread::sleep(Duration::from_secs(3));
    add_partitions(&mut broker, "grow", 2, 4);
    let after = records(&generator(3_000, 32));
    produce(&broker.bootstrap(), "grow", &after);
    let landed = positions_of(&broker.bootstrap(), "grow", 4, b"{");
    let on_new: usize = landed.iter().filter(|(p, _)| *p >= 2).count();
    assert!(on_new > 0, "the producer wrote to the new partitions");

    let report = engine.join().unwrap();
    assert_eq!(
        report.summary.records,
        (before.len() + after.len()) as u64,
        "records of the old and the new partitions"
    );
    assert_accounted(&report);
    for p in 2..4 {
        let key = ("grow".to_string(), p);
        assert!(
            report.committed_offsets.get(&key).is_some_and(|o| *o > 0),
            "partition {p} read and committed: {:?}",
            report.committed_offsets
        );
    }
}
