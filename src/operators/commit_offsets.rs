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
