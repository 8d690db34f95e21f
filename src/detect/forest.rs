//! A small seeded isolation forest over fixed-length integer feature vectors.
//!
//! Isolation forests (Liu, Ting and Zhou, 2008) score a point by how quickly random
//! axis-aligned splits isolate it: anomalies sit alone and are isolated near the root. A
//! point outside a node's bounding box is cut off there with a probability that grows with
//! its distance (as random cut forests do), so values never seen score high.
//! Features are integers (millionths, or thousandths of a logarithm) so fitting compares
//! integers only and a model is `Eq`, `Ord` and `Hash`, as differential records must be;
//! the same sample and seed always give the same model on every worker and machine.

use crate::operators::ScoredWindow;
use serde::{Deserialize, Serialize};

/// The driver features of [`crate::detect::score`], in vector order.
pub const DRIVER_FEATURES: [&str; 9] = crate::detect::score::FEATURES;

/// Length of a [`window_vector`]: log window events, log baseline events, confidence and
/// one score per driver feature.
pub const DIMENSIONS: usize = 3 + DRIVER_FEATURES.len();

/// A scored window as a point: `[1000 ln(1 + window_events), 1000 ln(1 + baseline_events),
/// confidence_ppm, driver score_ppm per DRIVER_FEATURES]` (0 for a feature not among the
/// window's drivers).
pub fn window_vector(window: &ScoredWindow) -> [i64; DIMENSIONS] {
    let log = |n: u64| ((n as f64).ln_1p() * 1000.0).round() as i64;
    let mut v = [0i64; DIMENSIONS];
    v[0] = log(window.window_events);
    v[1] = log(window.baseline_events);
    v[2] = i64::from(window.confidence_ppm);
    for driver in &window.drivers {
        if let Some(i) = DRIVER_FEATURES.iter().position(|f| *f == driver.feature) {
            v[3 + i] = i64::from(driver.score_ppm);
        }
    }
    v
}

/// How a forest is grown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ForestConfig {
    /// Trees in the forest.
    pub trees: usize,
    /// Points each tree is grown from (sampled without replacement).
    pub tree_sample: usize,
    /// Seed of the random splits.
    pub seed: u64,
}

impl Default for ForestConfig {
    fn default() -> Self {
        ForestConfig {
            trees: 100,
            tree_sample: 256,
            seed: 0x5eed_f0e5,
        }
    }
}

/// A tree node: the bounding box of the sample points that reached it, and either a split
/// on one feature (`x <= threshold` goes left) or a leaf with the number of those points.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
struct Node {
    lo: Narrow,
    hi: Narrow,
    kind: NodeKind,
    /// The sum of the box's ranges, `hi - lo` over the features.
    extent: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum NodeKind {
    Split {
        feature: u8,
        threshold: i32,
        left: u32,
        right: u32,
    },
    Leaf {
        size: u32,
        /// `average_path(size)` as `f64` bits, computed once at fit time.
        below: u64,
    },
}

/// A point as the trees hold it: each feature saturated to [`FEATURE_LIMIT`] (window
/// features are at most millions), so a tree walk reads and sums `i32`s without overflow.
type Narrow = [i32; DIMENSIONS];

/// Largest feature magnitude the forest tells apart: twelve distances between values of
/// at most this size still sum within `i32`.
pub const FEATURE_LIMIT: i64 = 1 << 26;

fn narrow(point: &[i64; DIMENSIONS]) -> Narrow {
    point.map(|x| x.clamp(-FEATURE_LIMIT, FEATURE_LIMIT) as i32)
}

/// A fitted isolation forest.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IsolationForest {
    /// Each tree's nodes, root first.
    trees: Vec<Vec<Node>>,
    /// Points per tree (the normaliser of path lengths).
    tree_sample: u32,
}

/// SplitMix64: tiny, seedable and identical everywhere.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Average path length of an unsuccessful search in a binary search tree of `n` points:
/// the expected depth still to go below a leaf holding `n` points.
fn average_path(n: u32) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        n => {
            let n = f64::from(n);
            2.0 * ((n - 1.0).ln() + 0.577_215_664_9) - 2.0 * (n - 1.0) / n
        }
    }
}

impl IsolationForest {
    /// Grows `config.trees` trees, each from a seeded sample of `points`. An empty `points`
    /// gives a forest that scores everything 0.
    pub fn fit(points: &[[i64; DIMENSIONS]], config: ForestConfig) -> Self {
        let tree_sample = config.tree_sample.min(points.len()).max(1);
        let narrowed: Vec<Narrow> = points.iter().map(narrow).collect();
        let height_limit = (tree_sample as f64).log2().ceil() as usize;
        let trees = match points.is_empty() {
            true => Vec::new(),
            false => (0..config.trees)
                .map(|t| {
                    let mut rng = SplitMix(config.seed ^ (t as u64).wrapping_mul(0x2545_f491));
                    // Partial Fisher-Yates: the first `tree_sample` indices are the sample.
                    let mut index: Vec<usize> = (0..points.len()).collect();
                    for i in 0..tree_sample {
                        let j = i + rng.below((points.len() - i) as u64) as usize;
                        index.swap(i, j);
                    }
                    let mut sample: Vec<&Narrow> =
                        index[..tree_sample].iter().map(|&i| &narrowed[i]).collect();
                    let mut nodes = Vec::new();
                    grow(&mut sample, 0, height_limit, &mut rng, &mut nodes);
                    nodes
                })
                .collect(),
        };
        IsolationForest {
            trees,
            tree_sample: tree_sample as u32,
        }
    }

    /// The anomaly score of `point` in [0, 1]: `2^(-mean path length / c(n))`. About 0.5
    /// and below is ordinary; near 1 is isolated at once.
    pub fn score(&self, point: &[i64; DIMENSIONS]) -> f64 {
        if self.trees.is_empty() {
            return 0.0;
        }
        let point = narrow(point);
        let total: f64 = self.trees.iter().map(|t| path_length(t, &point)).sum();
        let mean = total / self.trees.len() as f64;
        let norm = average_path(self.tree_sample).max(1.0);
        2f64.powf(-mean / norm)
    }
}

/// Grows the subtree for `sample` at `depth`, appending its nodes; returns its root index.
fn grow(
    sample: &mut [&Narrow],
    depth: usize,
    limit: usize,
    rng: &mut SplitMix,
    nodes: &mut Vec<Node>,
) -> u32 {
    let at = nodes.len() as u32;
    let lo: Narrow = std::array::from_fn(|f| sample.iter().map(|p| p[f]).min().unwrap_or(0));
    let hi: Narrow = std::array::from_fn(|f| sample.iter().map(|p| p[f]).max().unwrap_or(0));
    let size = sample.len() as u32;
    let mut node = Node {
        lo,
        hi,
        kind: NodeKind::Leaf { size, below: 0 },
        extent: (0..DIMENSIONS).map(|f| hi[f] - lo[f]).sum(),
    };
    // Features on which the sample still differs: only those can split it.
    let spread: Vec<(usize, i32, i32)> = (0..DIMENSIONS)
        .filter(|&f| lo[f] < hi[f])
        .map(|f| (f, lo[f], hi[f]))
        .collect();
    if depth >= limit || sample.len() <= 1 || spread.is_empty() {
        let below = average_path(size).to_bits();
        node.kind = NodeKind::Leaf { size, below };
        nodes.push(node);
        return at;
    }
    let (feature, lo, hi) = spread[rng.below(spread.len() as u64) as usize];
    // In [lo, hi): both sides get at least one point.
    let threshold = lo + rng.below((hi - lo) as u64) as i32;
    let split = partition(sample, |p| p[feature] <= threshold);
    nodes.push(node); // its kind is set below, once the children's indices are known
    let (left_half, right_half) = sample.split_at_mut(split);
    let left = grow(left_half, depth + 1, limit, rng, nodes);
    let right = grow(right_half, depth + 1, limit, rng, nodes);
    nodes[at as usize].kind = NodeKind::Split {
        feature: feature as u8,
        threshold,
        left,
        right,
    };
    at
}

/// Moves the elements satisfying `left` before the others (in no particular order: a
/// subtree depends only on which points it holds); returns how many there are.
fn partition<T>(items: &mut [T], left: impl Fn(&T) -> bool) -> usize {
    let mut split = 0;
    for i in 0..items.len() {
        if left(&items[i]) {
            items.swap(split, i);
            split += 1;
        }
    }
    split
}

/// The expected depth at which `point` is isolated. Beyond a node's bounding box a point
/// would be cut off by a split drawn over the box extended to include it, with probability
/// its distance outside over the extended ranges (as in a random cut forest); so a point
/// far outside what the sample saw is isolated near the root, not merely at the edge.
fn path_length(nodes: &[Node], point: &Narrow) -> f64 {
    let (mut at, mut depth) = (0usize, 0u32);
    let (mut expected, mut reach) = (0.0, 1.0);
    loop {
        let node = &nodes[at];
        // Integer sums: vectorized, and exact like f64 sums of the same values.
        let outside: i32 = (node.lo.iter().zip(&node.hi).zip(point))
            .map(|((&lo, &hi), &x)| (lo - x).max(x - hi).max(0))
            .sum();
        if outside > 0 {
            let cut = f64::from(outside) / f64::from(node.extent + outside);
            expected += reach * cut * f64::from(depth + 1);
            reach *= 1.0 - cut;
        }
        match &node.kind {
            NodeKind::Leaf { below, .. } => {
                return expected + reach * (f64::from(depth) + f64::from_bits(*below));
            }
            NodeKind::Split {
                feature,
                threshold,
                left,
                right,
            } => {
                at = match point[*feature as usize] <= *threshold {
                    true => *left as usize,
                    false => *right as usize,
                };
                depth += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cloud dense around 500 in every feature (each a sum of four uniform draws).
    fn cloud(n: usize, seed: u64) -> Vec<[i64; DIMENSIONS]> {
        let mut rng = SplitMix(seed);
        (0..n)
            .map(|_| std::array::from_fn(|_| (0..4).map(|_| rng.below(250) as i64).sum()))
            .collect()
    }

    #[test]
    fn isolated_points_score_higher_than_the_crowd() {
        let mut points = cloud(500, 1);
        let outlier = [50_000i64; DIMENSIONS];
        let mut half_out = [500i64; DIMENSIONS];
        half_out[4] = 900_000;
        points.push(outlier);
        let forest = IsolationForest::fit(&points, ForestConfig::default());
        let crowd = cloud(200, 2);
        let most_ordinary = crowd.iter().map(|p| forest.score(p)).fold(0.0, f64::max);
        assert!(forest.score(&outlier) > most_ordinary, "{most_ordinary}");
        // One deviant feature of twelve is isolated less surely: above the crowd's mean.
        let mean = crowd.iter().map(|p| forest.score(p)).sum::<f64>() / crowd.len() as f64;
        assert!(forest.score(&half_out) > mean, "{mean}");
        assert!(forest.score(&[500; DIMENSIONS]) < 0.6);
    }

    #[test]
    fn same_sample_and_seed_same_model() {
        let points = cloud(300, 3);
        let config = ForestConfig::default();
        assert_eq!(
            IsolationForest::fit(&points, config),
            IsolationForest::fit(&points, config)
        );
        let other = ForestConfig { seed: 7, ..config };
        assert_ne!(
            IsolationForest::fit(&points, config),
            IsolationForest::fit(&points, other)
        );
    }

    #[test]
    fn extreme_features_saturate_instead_of_overflowing() {
        let mut points = cloud(300, 4);
        points.push([i64::MAX; DIMENSIONS]);
        points.push([i64::MIN; DIMENSIONS]);
        let forest = IsolationForest::fit(&points, ForestConfig::default());
        for probe in [
            [i64::MAX; DIMENSIONS],
            [i64::MIN; DIMENSIONS],
            [0; DIMENSIONS],
        ] {
            let score = forest.score(&probe);
            assert!((0.0..=1.0).contains(&score), "{score}");
        }
        let beyond = [FEATURE_LIMIT * 4; DIMENSIONS];
        assert_eq!(
            forest.score(&beyond),
            forest.score(&[FEATURE_LIMIT; DIMENSIONS])
        );
    }

    #[test]
    fn an_empty_sample_scores_nothing() {
        let forest = IsolationForest::fit(&[], ForestConfig::default());
        assert_eq!(forest.score(&[1; DIMENSIONS]), 0.0);
    }
}
