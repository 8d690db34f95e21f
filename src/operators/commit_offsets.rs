//! `commit_offsets`: commit Kafka offsets behind a sink's progress.

use crate::source::kafka::OffsetBook;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::StreamVec;

/// Commits a worker's Kafka offsets as the frontier of a stream passes the times their
/// records were emitted at. Attach it to the stream returned by
/// [`crate::operators::CollectOrdered::collect_ordered_then`], whose frontier passes a time
/// only once the sink wrote it: offsets are committed only after their alerts are out.
pub trait CommitOffsets {
    /// Releases `book`'s offsets as this stream's frontier advances; all of them once the
    /// stream is complete.
    fn commit_offsets(self, name: &str, book: OffsetBook);
}

impl<'s, D: 'static> CommitOffsets for StreamVec<'s, u64, D> {
    fn commit_offsets(self, name: &str, book: OffsetBook) {
        self.sink(Pipeline, name, move |(input, frontier)| {
            input.for_each(|_cap, data| data.clear());
            book.release(frontier.frontier().first().copied());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::kafka::{CommittedOffsets, PartitionLedger};
    use rdkafka::consumer::BaseConsumer;
    use rdkafka::mocking::MockCluster;
    use rdkafka::ClientConfig;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::Arc;
    use timely::dataflow::operators::{Input, Probe};

    #[test]
    fn offsets_are_committed_as_the_frontier_passes_their_emit_times() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("t", 1, 1).unwrap();
        let bootstrap = cluster.bootstrap_servers();
        let report = CommittedOffsets::default();
        let shared = report.clone();
        let committed = move || shared.lock().unwrap().get(&("t".to_string(), 0)).copied();
        timely::execute_directly(move |worker| {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", bootstrap)
                .set("group.id", "commit-test")
                .create()
                .unwrap();
            let book = OffsetBook::new(report);
            let ledger = Rc::new(RefCell::new(PartitionLedger::new(
                "t",
                0,
                Arc::new(consumer),
            )));
            book.register(ledger.clone());
            ledger.borrow_mut().record(10, 5);
            ledger.borrow_mut().record(25, 9);
            let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, stream) = scope.new_input::<Vec<()>>();
                let (probe, stream) = stream.probe();
                stream.commit_offsets("Commit", book);
                (input, probe)
            });
            for (time, expected) in [(5, None), (6, Some(10)), (9, Some(10)), (10, Some(25))] {
                input.advance_to(time);
                while probe.less_than(&time) {
                    worker.step();
                }
                worker.step();
                assert_eq!(committed(), expected, "frontier at {time}");
            }
        });
    }
}
