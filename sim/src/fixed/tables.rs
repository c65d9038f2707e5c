//! The nonlinearities of the fixed-point data path, as tables the hardware holds in ROM.
//!
//! Each table's contents come from one function here ([`sigmoid_table`], [`surrogate_table`],
//! [`reciprocal_table`]); the RTL calls the same functions to fill its ROMs. Evaluation is
//! piecewise-linear interpolation between neighbouring entries (one 18x18 multiply), except the
//! reciprocal, which is a plain lookup on a normalised mantissa.

use super::fmt::{rescale_nearest, Fmt};
use crate::surrogate::{multi_gaussian, sigmoid};

/// Segments of the sigmoid table (entries = segments + 1).
pub const SIGMOID_SEGMENTS: usize = 512;
/// Segments of the surrogate table (entries = segments + 1).
pub const SURROGATE_SEGMENTS: usize = 512;
/// log2 of the sigmoid's input half-range: the table covers z in [-16, 16), so that a gate can
/// close completely (sigma(-16) rounds to 0) and a readout can hold its value indefinitely.
pub const SIGMOID_RANGE_LOG2: u32 = 4;
/// log2 of the surrogate's input range: the table covers |x| in [0, 8); g = table end beyond.
pub const SURROGATE_RANGE_LOG2: u32 = 3;
/// Segments of the exponential table (softmax), over x in [-16, 0].
pub const EXP_SEGMENTS: usize = 512;
/// log2 of the exponential table's input range: it covers x in [-16, 0]; exp = 0 below.
pub const EXP_RANGE_LOG2: u32 = 4;
/// Index bits of the reciprocal table (mantissa bits after the leading one).
pub const RECIPROCAL_INDEX_BITS: u32 = 8;
/// Fraction bits of a reciprocal-table entry: entries are 2^16 / mantissa, mantissa in [1, 2).
pub const RECIPROCAL_FRAC: u32 = 16;

/// Sigmoid at the 513 points z_k = -16 + k/16, as codes of the gate format.
pub fn sigmoid_table(gate: Fmt) -> Vec<i64> {
    let step = (2 << SIGMOID_RANGE_LOG2) as f64 / SIGMOID_SEGMENTS as f64;
    (0..=SIGMOID_SEGMENTS)
        .map(|k| gate.quantize(sigmoid(-((1 << SIGMOID_RANGE_LOG2) as f64) + k as f64 * step)))
        .collect()
}

/// The multi-Gaussian surrogate gradient (algorithm.md section 6) at |x|_k = k/64, k = 0..=512,
/// as codes of the gate format. The function is even, so one side suffices.
pub fn surrogate_table(gate: Fmt) -> Vec<i64> {
    let step = (1 << SURROGATE_RANGE_LOG2) as f64 / SURROGATE_SEGMENTS as f64;
    (0..=SURROGATE_SEGMENTS).map(|k| gate.quantize(multi_gaussian(k as f64 * step))).collect()
}

/// exp(x) at the 513 points x_k = -16 + k/32, as codes of the gate format (softmax).
pub fn exp_table(gate: Fmt) -> Vec<i64> {
    let step = (1 << EXP_RANGE_LOG2) as f64 / EXP_SEGMENTS as f64;
    (0..=EXP_SEGMENTS).map(|k| gate.quantize((-((1 << EXP_RANGE_LOG2) as f64) + k as f64 * step).exp())).collect()
}

/// Reciprocals of the mantissa-interval midpoints: entry i = round(2^16 / (1 + (i + 0.5)/256)).
pub fn reciprocal_table() -> Vec<i64> {
    let n = 1usize << RECIPROCAL_INDEX_BITS;
    (0..n)
        .map(|i| {
            let mantissa = 1.0 + (i as f64 + 0.5) / n as f64;
            ((1u64 << RECIPROCAL_FRAC) as f64 / mantissa).round() as i64
        })
        .collect()
}

/// Linear interpolation inside a segment: y0 + (y1 - y0) * f / 2^fbits, rounded to nearest.
#[inline(always)]
fn interpolate(table: &[i64], index: usize, f: i64, fbits: u32) -> i64 {
    let (y0, y1) = (table[index], table[index + 1]);
    y0 + rescale_nearest((y1 - y0) * f, fbits, 0)
}

/// Evaluates the tables on codes of the state format, producing codes of the gate format.
#[derive(Clone, Debug)]
pub struct Tables {
    state: Fmt,
    sigmoid: Vec<i64>,
    surrogate: Vec<i64>,
    exp: Vec<i64>,
    reciprocal: [i32; 1 << RECIPROCAL_INDEX_BITS],
}

impl Tables {
    /// Tables for inputs in `state` and outputs in `gate`. Needs state.frac >= 6 (the
    /// surrogate's segment index is the input's bits down to 2^-6).
    pub fn new(state: Fmt, gate: Fmt) -> Self {
        assert!(state.frac >= 6, "state format needs at least 6 fraction bits for the tables");
        Self {
            state,
            sigmoid: sigmoid_table(gate),
            surrogate: surrogate_table(gate),
            exp: exp_table(gate),
            reciprocal: reciprocal_table()
                .iter()
                .map(|&r| r as i32)
                .collect::<Vec<_>>()
                .try_into()
                .expect("table size"),
        }
    }

    /// sigma(z) for a state-format code z: clamp to [-16, 16 - lsb], interpolate.
    #[inline(always)]
    pub fn sigmoid(&self, z: i64) -> i64 {
        let lo = -(1i64 << (SIGMOID_RANGE_LOG2 + self.state.frac));
        let offset = z.clamp(lo, -lo - 1) - lo; // in [0, 16) x 2^frac
        let fbits = self.state.frac + SIGMOID_RANGE_LOG2 + 1 - SIGMOID_SEGMENTS.trailing_zeros();
        interpolate(&self.sigmoid, (offset >> fbits) as usize, offset & ((1 << fbits) - 1), fbits)
    }

    /// The surrogate gradient g(x) for a state-format code x = v - theta.
    #[inline(always)]
    pub fn surrogate(&self, x: i64) -> i64 {
        let mag = x.abs();
        let fbits = self.state.frac + SURROGATE_RANGE_LOG2 - SURROGATE_SEGMENTS.trailing_zeros();
        let index = (mag >> fbits) as usize;
        if index >= SURROGATE_SEGMENTS {
            return self.surrogate[SURROGATE_SEGMENTS];
        }
        interpolate(&self.surrogate, index, mag & ((1 << fbits) - 1), fbits)
    }

    /// exp(x) for a state-format code x <= 0 (x below -16 gives 0; x > 0 is clamped to 0).
    #[inline(always)]
    pub fn exp(&self, x: i64) -> i64 {
        let lo = -(1i64 << (EXP_RANGE_LOG2 + self.state.frac));
        if x < lo {
            return 0;
        }
        let offset = x.min(0) - lo; // in [0, 16] x 2^frac
        let fbits = self.state.frac + EXP_RANGE_LOG2 - EXP_SEGMENTS.trailing_zeros();
        let index = (offset >> fbits) as usize;
        if index >= EXP_SEGMENTS {
            return self.exp[EXP_SEGMENTS];
        }
        interpolate(&self.exp, index, offset & ((1 << fbits) - 1), fbits)
    }

    /// The reciprocal of a positive code `u` as (r, e): 1/u ~= r x 2^-(16 + e), where r is the
    /// table entry of u's mantissa and e = (bit length of u) - 1.
    #[inline(always)]
    pub fn reciprocal(&self, u: i64) -> (i64, u32) {
        debug_assert!(u > 0);
        let e = 63 - u.leading_zeros();
        // The RECIPROCAL_INDEX_BITS bits after the leading one (zero-padded when u is short).
        let index = if e >= RECIPROCAL_INDEX_BITS {
            (u >> (e - RECIPROCAL_INDEX_BITS)) & ((1 << RECIPROCAL_INDEX_BITS) - 1)
        } else {
            (u << (RECIPROCAL_INDEX_BITS - e)) & ((1 << RECIPROCAL_INDEX_BITS) - 1)
        };
        (self.reciprocal[index as usize] as i64, e)
    }

    /// The raw reciprocal table.
    pub fn reciprocal_entries(&self) -> &[i32; 1 << RECIPROCAL_INDEX_BITS] {
        &self.reciprocal
    }

    /// The raw sigmoid table.
    pub fn sigmoid_entries(&self) -> &[i64] {
        &self.sigmoid
    }

    /// The raw surrogate table.
    pub fn surrogate_entries(&self) -> &[i64] {
        &self.surrogate
    }
}
