//! The consume-only baseline of the Kafka benchmark (BENCHMARKS.md): reads every partition
//! of a topic to the high watermark it had at start, one consumer per partition with a
//! manual assignment as AuditFlow's source does, touching each payload once, and prints
//! messages/s and MB/s.
//!
//! ```sh
//! cargo run --release --example kafka_consume_baseline -- 127.0.0.1:9092 audit
//! ```

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(brokers), Some(topic)) = (args.next(), args.next()) else {
        eprintln!("usage: kafka_consume_baseline BROKERS TOPIC");
        std::process::exit(2);
    };
    let client = || -> BaseConsumer {
        ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .set("group.id", "auditflow-consume-baseline")
            .set("enable.auto.commit", "false")
            .create()
            .expect("a consumer")
    };
    let metadata = client()
        .fetch_metadata(Some(&topic), Duration::from_secs(10))
        .expect("topic metadata");
    let partitions: Vec<i32> = metadata.topics()[0]
        .partitions()
        .iter()
        .map(|p| p.id())
        .collect();
    let start = Instant::now();
    let totals: Vec<(i64, u64, u64)> = std::thread::scope(|s| {
        let readers: Vec<_> = partitions
            .iter()
            .map(|&p| {
                let (consumer, topic) = (client(), topic.clone());
                s.spawn(move || read_partition(&consumer, &topic, p))
            })
            .collect();
        readers
            .into_iter()
            .map(|r| r.join().expect("reader"))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let messages: i64 = totals.iter().map(|t| t.0).sum();
    let bytes: u64 = totals.iter().map(|t| t.1).sum();
    let checksum = totals.iter().fold(0u64, |a, t| a.wrapping_add(t.2));
    println!(
        "consumed {messages} messages ({:.1} MB) from {} partitions in {secs:.2}s: {:.0} messages/s, {:.1} MB/s (checksum {checksum})",
        bytes as f64 / 1e6,
        partitions.len(),
        messages as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}

/// Reads one partition to its start-time high watermark: (messages, bytes, checksum).
fn read_partition(consumer: &BaseConsumer, topic: &str, partition: i32) -> (i64, u64, u64) {
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, Duration::from_secs(10))
        .expect("watermarks");
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Beginning)
        .expect("partition");
    consumer.assign(&assignment).expect("assign");
    let (mut messages, mut bytes, mut checksum) = (0i64, 0u64, 0u64);
    while messages < high - low {
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(message)) => {
                let payload = message.payload().unwrap_or_default();
                bytes += payload.len() as u64;
                // Touch the payload so the read is not optimized away.
                checksum = checksum.wrapping_add(payload.iter().map(|&b| u64::from(b)).sum());
                messages += 1;
            }
            Some(Err(e)) => eprintln!("consume error on partition {partition}: {e}"),
            None => {}
        }
    }
    (messages, bytes, checksum)
}
