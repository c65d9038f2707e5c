//! What every model of the accelerator shares: sizes, the parameter tensors and their layout
//! in one flat vector, the neuron constants, and the seeded initialisation.
//!
//! The flat layout mirrors the hardware, where the FPTT update streams through every parameter
//! word once per step regardless of which tensor it belongs to.

use crate::rng::SplitMix64;
use serde::Serialize;
use thiserror::Error;

/// Threshold baseline b0 (algorithm.md section 1).
pub const THRESHOLD_BASE: f64 = 0.1;
/// Adaptation strength beta: theta = b0 + beta * b.
pub const ADAPT_STRENGTH: f64 = 1.8;

/// What the liquid readout integrates: J_t = W_o r_t + c_o, with r_t the hidden layer's
/// spikes or its membrane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Readout {
    /// r_t = s_t, the spikes (algorithm.md section 2; W_o s is additions only).
    Spikes,
    /// r_t = u_t, the membrane after reset, as the authors' add-task model reads it (a
    /// graded value: the loss reaches W_in, W_rec and W_m without the spike's surrogate).
    Membrane,
}

impl Readout {
    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Readout::Spikes => "spikes",
            Readout::Membrane => "membrane",
        }
    }

    /// The readout of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Readout::Spikes, Readout::Membrane].into_iter().find(|r| r.name() == name)
    }
}

/// The network: I input channels, H hidden LTC neurons, C outputs, and what the readout reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shape {
    /// Input channels I.
    pub inputs: usize,
    /// Hidden neurons H.
    pub hidden: usize,
    /// Readout units C.
    pub outputs: usize,
    /// The readout's source (sizes and layout do not depend on it).
    pub readout: Readout,
}

/// "(I, H, C) = (2, 64, 1)", the sizes, for messages (the readout does not change them).
impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(I, H, C) = ({}, {}, {})", self.inputs, self.hidden, self.outputs)
    }
}

/// An impossible network size.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("impossible network size {inputs}x{hidden}x{outputs}: inputs, hidden and outputs must each be 1..={max}")]
pub struct ShapeError {
    inputs: usize,
    hidden: usize,
    outputs: usize,
    max: usize,
}

impl Shape {
    /// Largest size of any dimension accepted (keeps the flat layout well inside memory).
    pub const MAX_DIM: usize = 4096;

    /// A checked shape, reading the spikes ([`Readout::Spikes`]).
    pub fn new(inputs: usize, hidden: usize, outputs: usize) -> Result<Self, ShapeError> {
        let ok = |n: usize| (1..=Self::MAX_DIM).contains(&n);
        if ok(inputs) && ok(hidden) && ok(outputs) {
            Ok(Self { inputs, hidden, outputs, readout: Readout::Spikes })
        } else {
            Err(ShapeError { inputs, hidden, outputs, max: Self::MAX_DIM })
        }
    }

    /// The same sizes with readout `readout`.
    pub fn with_readout(self, readout: Readout) -> Self {
        Self { readout, ..self }
    }

    /// The same network reading the membrane ([`Readout::Membrane`]).
    pub fn membrane(self) -> Self {
        self.with_readout(Readout::Membrane)
    }
}

/// The parameter tensors, in storage order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tensor {
    /// W_in, H x I: input weights.
    WIn,
    /// W_rec, H x H: recurrent weights (multiply binary spikes).
    WRec,
    /// b_I, H: input-current bias.
    BI,
    /// W_m, H x 2H over [I; u_prev]: integration-rate layer.
    WM,
    /// c_m, H: integration-rate bias.
    CM,
    /// W_a, H x 2H over [I; b_prev]: adaptation-retention layer.
    WA,
    /// c_a, H: adaptation-retention bias.
    CA,
    /// W_o, C x H: readout weights (over the spikes or the membrane, [`Readout`]).
    WO,
    /// c_o, C: readout bias.
    CO,
    /// W_ot, C x 2C over [J; o_prev]: readout-rate layer.
    WOt,
    /// c_ot, C: readout-rate bias.
    COt,
}

impl Tensor {
    /// Every tensor, in storage order.
    pub const ALL: [Tensor; 11] = [
        Tensor::WIn,
        Tensor::WRec,
        Tensor::BI,
        Tensor::WM,
        Tensor::CM,
        Tensor::WA,
        Tensor::CA,
        Tensor::WO,
        Tensor::CO,
        Tensor::WOt,
        Tensor::COt,
    ];

    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Tensor::WIn => "w_in",
            Tensor::WRec => "w_rec",
            Tensor::BI => "b_i",
            Tensor::WM => "w_m",
            Tensor::CM => "c_m",
            Tensor::WA => "w_a",
            Tensor::CA => "c_a",
            Tensor::WO => "w_o",
            Tensor::CO => "c_o",
            Tensor::WOt => "w_ot",
            Tensor::COt => "c_ot",
        }
    }

    /// (rows, columns); biases are one column.
    pub fn dims(self, s: Shape) -> (usize, usize) {
        let (h, i, c) = (s.hidden, s.inputs, s.outputs);
        match self {
            Tensor::WIn => (h, i),
            Tensor::WRec => (h, h),
            Tensor::WM | Tensor::WA => (h, 2 * h),
            Tensor::BI | Tensor::CM | Tensor::CA => (h, 1),
            Tensor::WO => (c, h),
            Tensor::CO | Tensor::COt => (c, 1),
            Tensor::WOt => (c, 2 * c),
        }
    }

    /// Fan-in of the dense layer the tensor belongs to, for PyTorch-style U(-1/sqrt(fan_in), ..)
    /// initialisation: the input current is one layer over [x; s_prev] as in the authors' code.
    fn fan_in(self, s: Shape) -> usize {
        match self {
            Tensor::WIn | Tensor::WRec | Tensor::BI => s.inputs + s.hidden,
            Tensor::WM | Tensor::CM | Tensor::WA | Tensor::CA => 2 * s.hidden,
            Tensor::WO | Tensor::CO => s.hidden,
            Tensor::WOt | Tensor::COt => 2 * s.outputs,
        }
    }
}

/// Where each tensor lives in the flat parameter vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The sizes this layout is for.
    pub shape: Shape,
    offsets: [usize; 12],
}

impl Layout {
    /// The layout of a network of this shape.
    pub fn new(shape: Shape) -> Self {
        let mut offsets = [0; 12];
        for (k, t) in Tensor::ALL.iter().enumerate() {
            let (r, c) = t.dims(shape);
            offsets[k + 1] = offsets[k] + r * c;
        }
        Self { shape, offsets }
    }

    /// Total number of parameters.
    pub fn len(&self) -> usize {
        self.offsets[11]
    }

    /// Always false: every shape has parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index range of a tensor in the flat vector.
    pub fn range(&self, t: Tensor) -> std::ops::Range<usize> {
        let k = Tensor::ALL.iter().position(|&x| x == t).expect("tensor in ALL");
        self.offsets[k]..self.offsets[k + 1]
    }
}

/// Borrowed views of every parameter tensor of a flat parameter vector (any element type: the
/// float model's f64, the golden model's integer codes).
pub struct Views<'a, T> {
    /// W_in, H x I.
    pub w_in: &'a [T],
    /// W_rec, H x H.
    pub w_rec: &'a [T],
    /// b_I, H.
    pub b_i: &'a [T],
    /// W_m, H x 2H.
    pub w_m: &'a [T],
    /// c_m, H.
    pub c_m: &'a [T],
    /// W_a, H x 2H.
    pub w_a: &'a [T],
    /// c_a, H.
    pub c_a: &'a [T],
    /// W_o, C x H.
    pub w_o: &'a [T],
    /// c_o, C.
    pub c_o: &'a [T],
    /// W_ot, C x 2C.
    pub w_ot: &'a [T],
    /// c_ot, C.
    pub c_ot: &'a [T],
}

impl<'a, T> Views<'a, T> {
    /// Split `p` (flat layout) into its tensors.
    pub fn new(layout: &Layout, p: &'a [T]) -> Self {
        let t = |x| &p[layout.range(x)];
        Self {
            w_in: t(Tensor::WIn),
            w_rec: t(Tensor::WRec),
            b_i: t(Tensor::BI),
            w_m: t(Tensor::WM),
            c_m: t(Tensor::CM),
            w_a: t(Tensor::WA),
            c_a: t(Tensor::CA),
            w_o: t(Tensor::WO),
            c_o: t(Tensor::CO),
            w_ot: t(Tensor::WOt),
            c_ot: t(Tensor::COt),
        }
    }
}

/// Seeded initial parameters: every tensor U(-k, k), k = 1/sqrt(fan_in), drawn in storage order
/// from SplitMix64(seed) (PyTorch's nn.Linear default, made deterministic).
pub fn init_params(shape: Shape, seed: u64) -> Vec<f64> {
    let layout = Layout::new(shape);
    let mut rng = SplitMix64::derive(seed, "params");
    let mut w = vec![0.0; layout.len()];
    for t in Tensor::ALL {
        let k = 1.0 / (t.fan_in(shape) as f64).sqrt();
        for x in &mut w[layout.range(t)] {
            *x = rng.uniform_in(-k, k);
        }
    }
    w
}

/// The project's adjustments on top of [`init_params`] (a documented decision: without them the
/// add task at T >= 200 did not learn in any configuration tried; see the README).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InitOptions {
    /// Added to every readout-rate bias c_ot: the readout starts slow (alpha^o = sigma(c_ot)
    /// small), so o holds its value between events instead of tracking J.
    pub readout_rate_bias: f64,
    /// W_ot's weight on J (its first C columns' diagonal), replacing the random value: a large
    /// J opens the readout gate.
    pub readout_gate_on_j: f64,
    /// W_ot's weight on o (its last C columns' diagonal), replacing the random value.
    pub readout_gate_on_o: f64,
    /// Per-input gain applied to W_in's columns (empty: all 1). Task-specific: the add task
    /// boosts its marker channel.
    pub input_gains: Vec<f64>,
}

impl InitOptions {
    /// No adjustment: plain [`init_params`].
    pub fn plain() -> Self {
        Self {
            readout_rate_bias: 0.0,
            readout_gate_on_j: f64::NAN,
            readout_gate_on_o: f64::NAN,
            input_gains: Vec::new(),
        }
    }
}

/// [`init_params`] with the adjustments of `opt` (NaN gate weights keep the random values).
pub fn init_params_with(shape: Shape, seed: u64, opt: &InitOptions) -> Vec<f64> {
    let layout = Layout::new(shape);
    let mut w = init_params(shape, seed);
    let (ni, c) = (shape.inputs, shape.outputs);
    for x in &mut w[layout.range(Tensor::COt)] {
        *x += opt.readout_rate_bias;
    }
    let ot = layout.range(Tensor::WOt).start;
    for k in 0..c {
        for r in 0..c {
            if !opt.readout_gate_on_j.is_nan() {
                w[ot + 2 * c * k + r] = if r == k { opt.readout_gate_on_j } else { 0.0 };
            }
            if !opt.readout_gate_on_o.is_nan() {
                w[ot + 2 * c * k + c + r] = if r == k { opt.readout_gate_on_o } else { 0.0 };
            }
        }
    }
    if !opt.input_gains.is_empty() {
        assert_eq!(opt.input_gains.len(), ni, "one gain per input");
        let win = layout.range(Tensor::WIn).start;
        for n in 0..shape.hidden {
            for (i, g) in opt.input_gains.iter().enumerate() {
                w[win + n * ni + i] *= g;
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_counts_every_parameter() {
        let s = Shape::new(2, 64, 1).unwrap();
        let l = Layout::new(s);
        // H*I + H*H + H + 2*(2H*H + H) + C*H + C + 2C*C + C
        assert_eq!(l.len(), 128 + 4096 + 64 + 2 * (8192 + 64) + 64 + 1 + 2 + 1);
        assert_eq!(l.range(Tensor::WIn), 0..128);
        assert_eq!(l.range(Tensor::COt).end, l.len());
    }

    #[test]
    fn init_options_adjust_only_what_they_name() {
        let s = Shape::new(2, 4, 1).unwrap();
        let l = Layout::new(s);
        let plain = init_params(s, 3);
        assert_eq!(init_params_with(s, 3, &InitOptions::plain()), plain);
        let opt = InitOptions {
            readout_rate_bias: -5.0,
            readout_gate_on_j: 1.0,
            readout_gate_on_o: 0.0,
            input_gains: vec![1.0, 5.0],
        };
        let w = init_params_with(s, 3, &opt);
        let cot = l.range(Tensor::COt).start;
        assert_eq!(w[cot], plain[cot] - 5.0);
        let ot = l.range(Tensor::WOt).start;
        assert_eq!(&w[ot..ot + 2], &[1.0, 0.0]);
        let win = l.range(Tensor::WIn).start;
        assert_eq!(w[win], plain[win]);
        assert_eq!(w[win + 1], 5.0 * plain[win + 1]);
        assert_eq!(w[l.range(Tensor::WRec)], plain[l.range(Tensor::WRec)]);
    }

    #[test]
    fn impossible_shapes_are_rejected() {
        assert!(Shape::new(0, 4, 1).is_err());
        assert!(Shape::new(1, Shape::MAX_DIM + 1, 1).is_err());
    }

    #[test]
    fn init_is_seeded_and_bounded() {
        let s = Shape::new(3, 8, 2).unwrap();
        assert_eq!(init_params(s, 5), init_params(s, 5));
        assert_ne!(init_params(s, 5), init_params(s, 6));
        let l = Layout::new(s);
        let w = init_params(s, 5);
        for t in Tensor::ALL {
            let k = 1.0 / (t.fan_in(s) as f64).sqrt();
            assert!(w[l.range(t)].iter().all(|x| x.abs() <= k));
        }
    }
}
