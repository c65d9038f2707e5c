//! Input scaling: how raw values become inputs in the accelerator's input range.
//!
//! The input format is `Numerics::DEFAULT.input` (s18.14: range [-8, 8 - 2^-14], lsb 2^-14).
//! The loaders hand out f64 inputs already inside that range; the host rounds them to the
//! format's grid (nearest) when it sends them, so a pixel p / 255 reaches the accelerator within
//! 2^-15 of its value.
//!
//! - Pixels (Fashion-MNIST, MNIST): p / 255, so 0..=255 maps onto [0, 1].
//! - JapaneseVowels: each channel is standardised with the mean and the standard deviation of
//!   the train set's frames (the test set uses the train set's statistics), then clipped to the
//!   input range; standardised values are well inside +-8, so clipping is a guard.

use super::Example;
use crate::fixed::Numerics;

/// The real range [lo, hi] of the accelerator's input format.
pub fn input_range() -> (f64, f64) {
    let f = Numerics::DEFAULT.input;
    (f.real(f.min()), f.max_real())
}

/// A pixel 0..=255 as an input in [0, 1].
pub fn pixel(p: u8) -> f64 {
    f64::from(p) / 255.0
}

/// How a dataset's raw values were mapped into the input range.
#[derive(Clone, Debug, PartialEq)]
pub enum Scaling {
    /// Pixels p in 0..=255 as p / 255, in [0, 1].
    Pixels,
    /// Per channel c: `(x - mean[c]) / std[c]`, then clipped to `[lo, hi]`.
    Standardised {
        /// Per-channel mean of the train set.
        mean: Vec<f64>,
        /// Per-channel (population) standard deviation of the train set; 1 for a constant channel.
        std: Vec<f64>,
        /// Lower clip (the input range's lower end).
        lo: f64,
        /// Upper clip (the input range's upper end).
        hi: f64,
        /// Values (train and test) that the clip changed.
        clipped: usize,
    },
}

/// Per-channel mean and standard deviation over every step of `examples`.
pub fn channel_stats(examples: &[Example], channels: usize) -> (Vec<f64>, Vec<f64>) {
    let mut n = 0usize;
    let mut sum = vec![0.0; channels];
    for e in examples {
        for (c, x) in e.inputs.iter().enumerate() {
            sum[c % channels] += x;
        }
        n += e.steps;
    }
    let n = n.max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let mut sq = vec![0.0; channels];
    for e in examples {
        for (c, x) in e.inputs.iter().enumerate() {
            sq[c % channels] += (x - mean[c % channels]).powi(2);
        }
    }
    let std = sq.iter().map(|s| (s / n).sqrt()).map(|s| if s > 0.0 { s } else { 1.0 }).collect();
    (mean, std)
}

/// Standardise `examples` in place with (mean, std) and clip to the input range; returns how
/// many values the clip changed.
pub fn standardise(examples: &mut [Example], mean: &[f64], std: &[f64]) -> usize {
    let (lo, hi) = input_range();
    let channels = mean.len();
    let mut clipped = 0;
    for e in examples {
        for (c, x) in e.inputs.iter_mut().enumerate() {
            let z = (*x - mean[c % channels]) / std[c % channels];
            *x = z.clamp(lo, hi);
            clipped += usize::from(*x != z);
        }
    }
    clipped
}
