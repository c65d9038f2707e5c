//! A seeded train/test split for sets that come without one.

use crate::rng::SplitMix64;

/// The SplitMix64 stream name of the split ([`SplitMix64::derive`]).
pub const SPLIT_STREAM: &str = "data-split";

/// Split the indices 0..n: a Fisher-Yates shuffle driven by `SplitMix64::derive(seed,
/// "data-split")`, then the first `n_train` are the train set and the rest the test set, each
/// in shuffled order. Deterministic in (n, n_train, seed); the two lists are disjoint and
/// together hold every index once.
pub fn seeded_split(n: usize, n_train: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    assert!(n_train <= n, "n_train {n_train} > n {n}");
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64::derive(seed, SPLIT_STREAM);
    for i in (1..n).rev() {
        let j = rng.below(i + 1);
        order.swap(i, j);
    }
    let test = order.split_off(n_train);
    (order, test)
}
