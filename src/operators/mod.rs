//! AuditFlow's dataflow operators, as extension traits on timely streams and differential
//! collections. This is the surface to extend: a custom operator is one more trait like
//! these (see `examples/custom_operator.rs`).
//!
//! Timestamps are event-time seconds (`u64`), stamped at the end of each event's granule
//! by the ingest source.

pub mod calibrate_tail;
pub mod collect_ordered;
pub mod commit_offsets;
pub mod entity_edges;
mod fold_memo;
pub mod forest_scores;
mod generations;
pub mod hourly_crosstab;
pub mod monitor_windows;
mod pair_memo;
pub mod peer_baselines;
pub mod peer_groups;
pub mod score_facts;
pub mod score_windows;
pub mod sliding_window;
pub mod window_features;

pub use calibrate_tail::CalibrateTail;
pub use collect_ordered::CollectOrdered;
pub use commit_offsets::CommitOffsets;
pub use entity_edges::EntityEdges;
pub use forest_scores::ForestScores;
pub use hourly_crosstab::HourlyCrosstab;
pub use monitor_windows::MonitorWindows;
pub use peer_baselines::PeerBaselines;
pub use peer_groups::PeerGroups;
pub use score_windows::{ScoreWindows, ScoredWindow};
pub use sliding_window::SlidingWindow;
pub use window_features::{FeatureRow, WindowFeatures};
