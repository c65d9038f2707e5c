//! `ForwardStep<B, L>`: one time step of the LTC layer and the liquid readout for up to B
//! streams on L weight lanes, bit-exact with the golden model's `Kernel::forward` per stream,
//! and with `learn`, the one-step backward pass after it (`Kernel::regression_error`, or with
//! `classify` `Kernel::softmax_error`, and `Kernel::backward`: every delta, for every stream)
//! and the FPTT update of every parameter word (`FixedLearner`).
//!
//! **Lanes.** Lane l owns the rows k with k mod L = l of every weight tensor (W_in, W_rec,
//! b_I, W_m, c_m, W_a, c_a, W_o, c_o, W_ot, c_ot) in its own weight bank, and the same
//! elements of every per-neuron or per-output vector (state, trace, target, deltas: see
//! [`ForwardLane`]) in its own vector banks, for every stream. [`Banking`] is the one map from
//! the golden flat layout and from (stream, element) to (lane, bank address); the host loads
//! and reads through it. Each lane has one multiply-accumulate pipeline ([`crate::mac::Mac`],
//! its 18x18 multiplier with registered inputs and outputs behind the bank's registered read),
//! one sigmoid table and the element-wise pipelines.
//!
//! **Streams.** Stream b's state lives at bank address b R + r (R = rows per lane). A weight
//! word read from a bank feeds the lane's multiplier for streams 0..=`last_stream` on
//! consecutive cycles, stream b adding into the MAC's accumulator slot b, before the next word
//! is read; `last_stream` (< B) is the run-time batch. The activation of column j is the
//! element j of a vector, read from lane j mod L's bank and broadcast to all lanes, so every
//! bank of every lane reads at one shared address each cycle.
//!
//! A pulse on `start` runs seven phases (seventeen with `learn`, eighteen with `classify`),
//! each until its last result is written back:
//!
//! | phase | rows | terms of row k | result |
//! |---|---|---|---|
//! | 0 I | H | W_in x, W_rec (s 2^14), b_I 2^14 | I (MAC, shift 14) |
//! | 1 z_m | H | W_m [I; u], c_m 2^12 | alpha = sigma (MAC shift 12, sigmoid) |
//! | 2 z_a | H | W_a [I (shifted up 4); b], c_a 2^16 | rho = sigma (MAC shift 16, sigmoid) |
//! | 3 N | H | - | b, s, u, v, theta by the `NeuronUpdate` pipeline |
//! | 4 J | C | W_o (s 2^12), or W_o u reading the membrane; c_o 2^12 | J (MAC, shift 12) |
//! | 5 z_o | C | W_ot [J; o], c_ot 2^12 | alpha^o = sigma (MAC shift 12, sigmoid) |
//! | 6 P | C | - | o = o + alpha^o (J - o), the `v` path of the same pipeline |
//! | 17 SM | C per stream | - | with `classify`: d_o = w_t (softmax(o) - onehot(y)) by the `SoftmaxError` unit |
//! | 7 OE | C | - | d_o = w_t (o - y) (or the softmax's), dz_o by the `OutputError` pipeline |
//! | 8 dJ | C columns | W_ot[:, :C]^T dz_o (shifted up 4), d_o alpha^o | d_J (lane sum, shift 16) |
//! | 9 ds | H columns | W_o^T d_J | d_s (lane sum, shift 12): dJ/ds_t, or dJ/du_t reading the membrane |
//! | 10 BN | H | - | d_v, dz_m, dz_a by the `BackwardNeuron` pipeline (its `membrane` from the phase's flag) |
//! | 11 dI | H columns | W_m[:, :H]^T dz_m, W_a[:, :H]^T dz_a (up 4), d_v alpha | d_I (lane sum, shift 16) |
//! | 12-16 U | every word of W_in W_rec b_I, W_m c_m, W_a c_a, W_o c_o, W_ot c_ot | delta x activation, per stream | the word's FPTT update |
//!
//! **The readout** (`Shape::readout`) is the table's: reading the membrane, phase 4's and
//! phase 15's segment-1 source is u_t (the U bank after phase 3; products, where spikes are
//! additions) instead of s_t, and phase 10's membrane flag is set, so one unit runs either
//! readout as the host configures it ([`config_writes`]).
//!
//! With `commit`, `start` runs only the walk of phases 12-16, and each word's W (and its
//! multiplier operand) takes its W-bar: the commit of the average. With `reset`, `start`
//! puts every stream back to the initial state ([`RESET_CYCLES`] cycles), as between
//! sequences.
//!
//! **The softmax** (phase 17, classification steps): the one [`SoftmaxError`] unit takes each
//! stream's C readouts in turn from the broadcast register, with the stream's class
//! ([`host::LABEL`]) and step weight, and its errors go back to lane k mod L's d_o bank, which
//! the output error phase then reads instead of computing w_t (o - y).
//!
//! **Transposed products** (phases 8, 9, 11) reuse the row-wise weight banks: for column k,
//! every lane multiplies its own rows' weights in column k by its own rows' deltas into
//! accumulator slot b (the weight address walks down the column), lane k mod L adds the
//! diagonal term, and the lanes' exact sums (the MAC's `raw`) are added by a pipelined tree
//! over the lanes and rounded once; the result goes to lane k mod L. One rounding of the exact
//! sum, as the golden model: the order of the additions cannot change a bit.
//!
//! A phase's parameters (rows per lane, segment lengths, operand sources, weight row bases
//! and strides in the lane banks, bias operand) come from a small per-phase configuration
//! table ([`mod@cfg`]), filled at power-on for the shape the unit is built for; the host may
//! rewrite it ([`config_writes`]) to run any shape no larger in any dimension. The maxima are
//! synthesis-time: dimensions up to 2^[`DIM_BITS`], [`WEIGHT_ADDR_BITS`] and
//! [`BANK_ADDR_BITS`] bank sizes, B and L. The term generator walks local rows r, in each row
//! segment 1, segment 2 and the bias, and for each term the streams; the pipelines drain
//! between phases. Spike and bias terms (w s 2^f, w 2^f) are additions in the MAC, not
//! products. The host writes inputs x, targets y and step weights w_t ([`host`]) before a
//! step; while idle, it reads any stream's element of any vector ([`rd`]) through the `rd_*`
//! port (one registered read per cycle).

use crate::backward_neuron::BACKWARD_NEURON_LATENCY;
use crate::lane::ForwardLane;
use crate::mac::MAC_LATENCY;
use crate::neuron::NEURON_LATENCY;
use crate::output_error::OUTPUT_ERROR_LATENCY;
use crate::requant::Requant;
use crate::softmax_error::{softmax_cycles, SoftmaxError};
use crate::word::to_signed;
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Readout, Shape, Tensor};
use rust_hdl::prelude::*;

/// Weight bank address bits (4096 weight operands per lane: 4 EBR blocks).
pub const WEIGHT_ADDR_BITS: usize = 12;
/// Edges from a read-back request (`rd_vec`, `rd_lane`, `rd_addr`) to its `rd_data`: the bank
/// read, then the lane's mux over its banks into registers.
pub const READ_LATENCY: usize = 2;
/// Dimension bits: I, H and C at most 64.
pub const DIM_BITS: usize = 6;
/// Vector bank address bits (streams x rows per lane at most 1024).
pub const BANK_ADDR_BITS: usize = 10;
/// Stream index bits (at most 64 streams).
pub const STREAM_BITS: usize = crate::mac::SLOT_BITS;
/// Lane index bits (at most 32 lanes).
pub const LANE_BITS: usize = 5;
/// Operand source code bits.
pub const SRC_BITS: usize = 5;
/// Phase number bits.
pub const PHASE_BITS: usize = 5;
/// Bits of a phase's flags ([`cfg::FLAGS`]).
pub const FLAG_BITS: usize = 9;
/// The phases (see the table in the module docs).
pub mod phase {
    /// Last forward phase (the readout update).
    pub const LAST_FORWARD: u64 = 6;
    /// Output error.
    pub const OUTPUT_ERROR: u64 = 7;
    /// Last backward phase (d_I).
    pub const LAST_BACKWARD: u64 = 11;
    /// First update phase (W_in, W_rec, b_I).
    pub const FIRST_UPDATE: u64 = 12;
    /// Last update phase (W_ot, c_ot).
    pub const LAST_UPDATE: u64 = 16;
    /// The softmax of a classification step (between phases 6 and 7).
    pub const SOFTMAX: u64 = 17;
    /// Table entries.
    pub const ENTRIES: usize = 32;
}
const _: () = assert!(phase::LAST_FORWARD == 6 && phase::LAST_BACKWARD == 11, "literal phase numbers");
const _: () = assert!(phase::FIRST_UPDATE == 12 && phase::LAST_UPDATE == 16, "literal phase numbers");
const _: () = assert!(phase::SOFTMAX == 17 && phase::OUTPUT_ERROR == 7 && host::LABEL == 10, "literal codes");

/// Cycles an update phase waits after its last term: the gradient sum, the parameter read and
/// the update pipeline, until the word's operand is written (33 edges), and one more.
pub const UPDATE_DRAIN: usize = 34;
const _: () = assert!(
    UPDATE_DRAIN > 5 + crate::param_update::PARAM_UPDATE_LATENCY + 1,
    "the drain covers the last word's writes"
);

/// The update constants' registers (`host_addr` of a [`host::UPDATE_CONST`] write).
pub mod uconst {
    /// 1/B.
    pub const INV_BATCH: usize = 0;
    /// a.
    pub const A: usize = 1;
    /// 1 - beta_f.
    pub const KEEP: usize = 2;
    /// beta_f.
    pub const BETA_F: usize = 3;
    /// beta_f / a.
    pub const PULL: usize = 4;
    /// Adamax beta1.
    pub const BETA1: usize = 5;
    /// 1 - beta1.
    pub const ONE_MINUS_BETA1: usize = 6;
    /// Adamax beta2.
    pub const BETA2: usize = 7;
    /// Learning rate.
    pub const LR: usize = 8;
    /// 1: Adamax, 0: SGD.
    pub const ADAMAX: usize = 9;
    /// Number of registers.
    pub const COUNT: usize = 10;
}

/// The host writes (`host_addr`, `host_data`) that load the update constants `c`.
pub fn update_const_writes(c: &fptt_sim::fixed::update::UpdateConsts) -> Vec<(usize, i64)> {
    use fptt_sim::fptt::Optimizer;
    vec![
        (uconst::INV_BATCH, c.inv_batch),
        (uconst::A, c.a),
        (uconst::KEEP, c.keep),
        (uconst::BETA_F, c.beta_f),
        (uconst::PULL, c.pull),
        (uconst::BETA1, c.beta1),
        (uconst::ONE_MINUS_BETA1, c.one_minus_beta1),
        (uconst::BETA2, c.beta2),
        (uconst::LR, c.lr),
        (uconst::ADAMAX, (c.optimizer == Optimizer::Adamax) as i64),
    ]
}

/// The update constants from their register codes (`codes[i]` of register i, [`uconst`]): the
/// inverse of [`update_const_writes`].
pub fn update_consts_of(codes: &[i64; uconst::COUNT]) -> fptt_sim::fixed::update::UpdateConsts {
    use fptt_sim::fptt::Optimizer;
    fptt_sim::fixed::update::UpdateConsts {
        optimizer: if codes[uconst::ADAMAX] != 0 { Optimizer::Adamax } else { Optimizer::Sgd },
        lr: codes[uconst::LR],
        a: codes[uconst::A],
        beta_f: codes[uconst::BETA_F],
        keep: codes[uconst::KEEP],
        pull: codes[uconst::PULL],
        beta1: codes[uconst::BETA1],
        one_minus_beta1: codes[uconst::ONE_MINUS_BETA1],
        beta2: codes[uconst::BETA2],
        inv_batch: codes[uconst::INV_BATCH],
    }
}

/// What the read-back port reads (`rd_vec`): the state, and everything the backward step
/// needs from the forward step (the trace and the previous state).
pub mod rd {
    /// u (state format).
    pub const U: u64 = 0;
    /// b (gate format).
    pub const B: u64 = 1;
    /// s (0 or 1).
    pub const S: u64 = 2;
    /// o (state format).
    pub const O: u64 = 3;
    /// u_{t-1}.
    pub const U_PREV: u64 = 4;
    /// b_{t-1}.
    pub const B_PREV: u64 = 5;
    /// s_{t-1}.
    pub const S_PREV: u64 = 6;
    /// o_{t-1}.
    pub const O_PREV: u64 = 7;
    /// v_t (state).
    pub const V: u64 = 8;
    /// theta_t (state).
    pub const THETA: u64 = 9;
    /// I_t (state).
    pub const CURRENT: u64 = 10;
    /// alpha_t (gate).
    pub const ALPHA: u64 = 11;
    /// rho_t (gate).
    pub const RHO: u64 = 12;
    /// J_t (state).
    pub const J: u64 = 13;
    /// alpha^o_t (gate).
    pub const ALPHA_O: u64 = 14;
    /// x_t (input).
    pub const X: u64 = 15;
    /// d_o (delta format).
    pub const D_O: u64 = 16;
    /// dz_o (delta).
    pub const DZ_O: u64 = 17;
    /// d_J (delta).
    pub const D_J: u64 = 18;
    /// d_s (delta).
    pub const D_S: u64 = 19;
    /// d_v (delta).
    pub const D_V: u64 = 20;
    /// dz_m (delta).
    pub const DZ_M: u64 = 21;
    /// dz_a (delta).
    pub const DZ_A: u64 = 22;
    /// d_I (delta).
    pub const D_I: u64 = 23;
    /// The target y (state).
    pub const Y: u64 = 24;
    /// W (weight format, 27 bits) of the parameter word at `rd_addr` ([`super::Banking::weight`]).
    pub const W: u64 = 25;
    /// W-bar of the parameter word.
    pub const W_BAR: u64 = 26;
    /// lambda of the parameter word.
    pub const LAMBDA: u64 = 27;
    /// Adamax m of the parameter word.
    pub const M: u64 = 28;
    /// Adamax u of the parameter word.
    pub const U_ADAMAX: u64 = 29;
    /// Bits of the code.
    pub const BITS: usize = 5;
}
/// Sigmoid latency in edges (z visible -> y visible), for the valid delay line.
const SIG_EDGES: usize = 5;
const _: () = assert!(crate::sigmoid_rom::SIGMOID_LATENCY == SIG_EDGES, "sigmoid valid line");

/// Activation sources (the `src` codes of a term).
mod src {
    pub const X: u64 = 0;
    pub const SPIKE: u64 = 1;
    pub const CURRENT: u64 = 2;
    pub const U: u64 = 3;
    pub const B: u64 = 4;
    pub const J: u64 = 5;
    pub const O: u64 = 6;
    pub const BIAS: u64 = 7;
    pub const D_O: u64 = 8;
    pub const DZ_O: u64 = 9;
    pub const D_J: u64 = 10;
    pub const DZ_M: u64 = 13;
    pub const DZ_A: u64 = 14;
    pub const D_V: u64 = 12;
    pub const S_PREV: u64 = 16;
    pub const U_PREV: u64 = 17;
    pub const B_PREV: u64 = 18;
    pub const O_PREV: u64 = 19;
}
const _: () = assert!(src::S_PREV == 16 && src::O_PREV == 19, "the lane's operand mux names these codes");
const _: () = assert!(src::D_O == 8 && src::D_V == 12, "the lane's operand mux names these codes");
const _: () = assert!(src::X == 0 && src::SPIKE == 1 && src::CURRENT == 2 && src::U == 3, "literal codes");
const _: () = assert!(src::B == 4 && src::J == 5 && src::O == 6 && src::BIAS == 7, "literal codes");
const _: () = assert!(rd::U == 0 && rd::B == 1 && rd::S == 2 && rd::O == 3 && rd::X == 15, "literal codes");

/// Where every parameter and vector element lives on `lanes` lanes: lane l holds rows
/// k = l, l + L, l + 2L, .. of each tensor, tensor after tensor in the golden order, each row
/// contiguous; vector element k of stream b sits in lane k mod L at b R + k / L.
#[derive(Clone, Debug)]
pub struct Banking {
    shape: Shape,
    lanes: usize,
    /// Rows per lane of the vector banks: ceil(max(I, H, C) / L).
    rows_per_lane: usize,
    /// Bank base address of each tensor (indexed like `Tensor::ALL`).
    base: [usize; 11],
    /// Words used in each weight bank.
    weight_words: usize,
}

impl Banking {
    /// The banking of `shape` on `lanes` lanes.
    pub fn new(shape: Shape, lanes: usize) -> Self {
        assert!(lanes >= 1, "at least one lane");
        let mut base = [0; 11];
        let mut next = 0;
        for (k, t) in Tensor::ALL.iter().enumerate() {
            let (rows, cols) = t.dims(shape);
            base[k] = next;
            next += rows.div_ceil(lanes) * cols;
        }
        let widest = shape.inputs.max(shape.hidden).max(shape.outputs);
        Self { shape, lanes, rows_per_lane: widest.div_ceil(lanes), base, weight_words: next }
    }

    /// Lanes.
    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// Rows per lane of the vector banks: ceil(max(I, H, C) / L).
    pub fn rows_per_lane(&self) -> usize {
        self.rows_per_lane
    }

    /// Words of each weight bank in use.
    pub fn weight_words(&self) -> usize {
        self.weight_words
    }

    /// Vector-bank words in use for `streams` streams.
    pub fn vector_words(&self, streams: usize) -> usize {
        streams * self.rows_per_lane
    }

    /// Bank base address of tensor `t`.
    pub fn base(&self, t: Tensor) -> usize {
        self.base[Tensor::ALL.iter().position(|&x| x == t).expect("tensor in ALL")]
    }

    /// (lane, bank address) of parameter `index` of the golden flat layout.
    pub fn weight(&self, index: usize) -> (usize, usize) {
        let layout = Layout::new(self.shape);
        let t = *Tensor::ALL.iter().find(|&&t| layout.range(t).contains(&index)).expect("index within the layout");
        let (_, cols) = t.dims(self.shape);
        let i = index - layout.range(t).start;
        let (row, col) = (i / cols, i % cols);
        (row % self.lanes, self.base(t) + row / self.lanes * cols + col)
    }

    /// (lane, bank address) of element `k` of stream `stream`'s vectors.
    pub fn vector(&self, stream: usize, k: usize) -> (usize, usize) {
        (k % self.lanes, stream * self.rows_per_lane + k / self.lanes)
    }
}

/// The parameters of one phase.
#[derive(Clone, Copy, Default)]
struct Phase {
    last_row: u64,
    last1: u64,
    src1: u64,
    up1: bool,
    base1: u64,
    stride1: u64,
    has2: bool,
    last2: u64,
    src2: u64,
    base2: u64,
    stride2: u64,
    bbase: u64,
    bact: i64,
    sel: u64,
    sig: bool,
    elem: bool,
    tr: bool,
    diag: bool,
    srcd: u64,
    membrane: bool,
}

/// The phase table for `shape` on `bank` (indexed by phase number; entries 12.. unused).
fn phases(shape: Shape, bank: &Banking, n: &Numerics) -> [Phase; phase::ENTRIES] {
    let f = Kernel::new(*n).f;
    let off = |t| bank.base(t) as u64;
    let lanes = bank.lanes as u64;
    let (ni, h, c) = (shape.inputs as u64, shape.hidden as u64, shape.outputs as u64);
    // the readout's activation: s_t (additions) or u_t (products)
    let membrane = shape.readout == Readout::Membrane;
    let readout = if membrane { src::U } else { src::SPIKE };
    let dot = |rows: u64, n1: u64, n2: u64| Phase {
        last_row: rows.div_ceil(lanes) - 1,
        last1: n1 - 1,
        last2: n2.max(1) - 1,
        has2: n2 > 0,
        ..Phase::default()
    };
    let elem = |rows: u64| Phase { last_row: rows.div_ceil(lanes) - 1, elem: true, ..Phase::default() };
    let mut p = [Phase::default(); phase::ENTRIES];
    p[0] = Phase {
        src1: src::X,
        base1: off(Tensor::WIn),
        stride1: ni,
        src2: src::SPIKE,
        base2: off(Tensor::WRec),
        stride2: h,
        bbase: off(Tensor::BI),
        bact: 1 << f.x,
        sel: 0,
        ..dot(h, ni, h)
    };
    p[1] = Phase {
        src1: src::CURRENT,
        base1: off(Tensor::WM),
        stride1: 2 * h,
        src2: src::U,
        base2: off(Tensor::WM) + h,
        stride2: 2 * h,
        bbase: off(Tensor::CM),
        bact: 1 << f.s,
        sel: 1,
        sig: true,
        ..dot(h, h, h)
    };
    p[2] = Phase {
        src1: src::CURRENT,
        up1: true,
        base1: off(Tensor::WA),
        stride1: 2 * h,
        src2: src::B,
        base2: off(Tensor::WA) + h,
        stride2: 2 * h,
        bbase: off(Tensor::CA),
        bact: 1 << f.g,
        sel: 2,
        sig: true,
        ..dot(h, h, h)
    };
    p[3] = elem(h);
    p[4] = Phase {
        src1: readout,
        base1: off(Tensor::WO),
        stride1: h,
        bbase: off(Tensor::CO),
        bact: 1 << f.s,
        sel: 1,
        ..dot(c, h, 0)
    };
    p[5] = Phase {
        src1: src::J,
        base1: off(Tensor::WOt),
        stride1: 2 * c,
        src2: src::O,
        base2: off(Tensor::WOt) + c,
        stride2: 2 * c,
        bbase: off(Tensor::COt),
        bact: 1 << f.s,
        sel: 1,
        sig: true,
        ..dot(c, c, c)
    };
    p[6] = elem(c);
    // The backward step. Transposed products: `last_row` + 1 columns k; for each, segment 1
    // (and 2) walk the lane's local rows of the tensor (`last1` + 1 of them) down column k,
    // then the diagonal term; results are summed over the lanes.
    let (hl, cl) = (h.div_ceil(lanes), c.div_ceil(lanes));
    let tr =
        |cols: u64, rows_local: u64| Phase { tr: true, last_row: cols - 1, last1: rows_local - 1, ..Phase::default() };
    p[7] = elem(c);
    p[8] = Phase {
        src1: src::DZ_O,
        base1: off(Tensor::WOt),
        stride1: 2 * c,
        diag: true,
        srcd: src::D_O,
        up1: true,
        sel: 1,
        ..tr(c, cl)
    };
    p[9] = Phase { src1: src::D_J, base1: off(Tensor::WO), stride1: h, sel: 0, ..tr(h, cl) };
    p[10] = Phase { membrane, ..elem(h) };
    // The update pass: every weight word's gradient over the streams (the row's delta times
    // the column's activation, as the forward dot products walk them), then its update.
    let upd = |rows: u64, n1: u64, n2: u64| Phase { bact: 1, ..dot(rows, n1, n2) };
    p[12] = Phase {
        src1: src::X,
        base1: off(Tensor::WIn),
        stride1: ni,
        src2: src::S_PREV,
        base2: off(Tensor::WRec),
        stride2: h,
        bbase: off(Tensor::BI),
        ..upd(h, ni, h)
    };
    p[13] = Phase {
        src1: src::CURRENT,
        base1: off(Tensor::WM),
        stride1: 2 * h,
        src2: src::U_PREV,
        base2: off(Tensor::WM) + h,
        stride2: 2 * h,
        bbase: off(Tensor::CM),
        ..upd(h, h, h)
    };
    p[14] = Phase {
        src1: src::CURRENT,
        base1: off(Tensor::WA),
        stride1: 2 * h,
        src2: src::B_PREV,
        base2: off(Tensor::WA) + h,
        stride2: 2 * h,
        bbase: off(Tensor::CA),
        ..upd(h, h, h)
    };
    p[15] = Phase { src1: readout, base1: off(Tensor::WO), stride1: h, bbase: off(Tensor::CO), ..upd(c, h, 0) };
    p[16] = Phase {
        src1: src::J,
        base1: off(Tensor::WOt),
        stride1: 2 * c,
        src2: src::O_PREV,
        base2: off(Tensor::WOt) + c,
        stride2: 2 * c,
        bbase: off(Tensor::COt),
        ..upd(c, c, c)
    };
    p[11] = Phase {
        src1: src::DZ_M,
        base1: off(Tensor::WM),
        stride1: 2 * h,
        has2: true,
        last2: hl - 1,
        src2: src::DZ_A,
        base2: off(Tensor::WA),
        stride2: 2 * h,
        diag: true,
        srcd: src::D_V,
        up1: true,
        sel: 1,
        ..tr(h, hl)
    };
    // The softmax: each stream's C outputs o_k in turn.
    p[17] = Phase { last1: c - 1, src1: src::O, ..Phase::default() };
    // (the lane's one `up` shift serves z_a's I terms and the transposed W terms alike)
    assert_eq!(f.g - f.s, f.g - f.w, "transposed W terms go up by gate - weight bits");
    p
}

/// Whether a unit of `lanes` lanes and `streams` streams can hold `shape`; the error says which
/// limit is exceeded.
pub fn check_fit(shape: Shape, lanes: usize, streams: usize) -> Result<(), String> {
    if !(1..=1 << STREAM_BITS).contains(&streams) {
        return Err(format!("{streams} streams: the unit runs 1..={}", 1 << STREAM_BITS));
    }
    if !(1..=1 << LANE_BITS).contains(&lanes) {
        return Err(format!("{lanes} lanes: the unit has 1..={}", 1 << LANE_BITS));
    }
    let lim = 1usize << DIM_BITS;
    if shape.inputs > lim || shape.hidden > lim || shape.outputs > lim {
        return Err(format!("shape {shape}: I, H and C are at most {lim}"));
    }
    let bank = Banking::new(shape, lanes);
    if bank.weight_words() > 1 << WEIGHT_ADDR_BITS {
        return Err(format!(
            "shape {shape} on {lanes} lane(s) needs {} weight words per lane; a lane's bank holds {}: use more lanes",
            bank.weight_words(),
            1 << WEIGHT_ADDR_BITS
        ));
    }
    if bank.vector_words(streams) > 1 << BANK_ADDR_BITS {
        return Err(format!(
            "{streams} streams of shape {shape} on {lanes} lane(s) need {} words per vector bank; a bank holds {}",
            bank.vector_words(streams),
            1 << BANK_ADDR_BITS
        ));
    }
    Ok(())
}

/// What a host write targets (`host_sel`).
pub mod host {
    /// A weight W (27 bits, weight format; the lane also keeps its 18-bit multiplier operand):
    /// `host_lane`, `host_addr` from [`super::Banking::weight`].
    pub const WEIGHT: u64 = 0;
    /// An input x code: `host_lane`, `host_addr` from [`super::Banking::vector`].
    pub const INPUT: u64 = 1;
    /// A configuration word: `host_addr` = field << 5 | phase ([`super::cfg`], [`super::config_writes`]).
    pub const CONFIG: u64 = 2;
    /// A target y code (state format): `host_lane`, `host_addr` from [`super::Banking::vector`].
    pub const TARGET: u64 = 3;
    /// A stream's step weight w_t (gain format; 0: no loss this step): `host_addr` = stream.
    pub const STEP_WEIGHT: u64 = 4;
    /// W-bar of a parameter word (27 bits): `host_lane`, `host_addr` from [`super::Banking::weight`].
    pub const W_BAR: u64 = 5;
    /// lambda of a parameter word.
    pub const LAMBDA: u64 = 6;
    /// Adamax m of a parameter word.
    pub const M: u64 = 7;
    /// Adamax u of a parameter word.
    pub const U: u64 = 8;
    /// An update constant: `host_addr` from [`super::uconst`] ([`super::update_const_writes`]).
    pub const UPDATE_CONST: u64 = 9;
    /// A stream's class y (a classification step's target): `host_addr` = stream.
    pub const LABEL: u64 = 10;
    /// Bits of the code.
    pub const BITS: usize = 4;
}

/// The configuration fields: one word per phase each, loaded at power-on with the shape the unit
/// was built for and rewritten by the host for a smaller run-time shape.
pub mod cfg {
    /// Rows per lane - 1.
    pub const LAST_ROW: usize = 0;
    /// Segment 1 length - 1.
    pub const LAST1: usize = 1;
    /// Segment 2 length - 1.
    pub const LAST2: usize = 2;
    /// Segment 1 activation source.
    pub const SRC1: usize = 3;
    /// Segment 2 activation source.
    pub const SRC2: usize = 4;
    /// Weight bank base of row 0, segment 1.
    pub const BASE1: usize = 5;
    /// Weight bank base of row 0, segment 2.
    pub const BASE2: usize = 6;
    /// Segment 1 row stride.
    pub const STRIDE1: usize = 7;
    /// Segment 2 row stride.
    pub const STRIDE2: usize = 8;
    /// Weight bank base of the biases.
    pub const BBASE: usize = 9;
    /// The code of 1.0 for spikes and biases.
    pub const BACT: usize = 10;
    /// Flags (9 bits): up1, has2, sigmoid, element-wise, rounding select (2 bits), transposed,
    /// diagonal, membrane (bit 8: the readout reads the membrane; phase 10's entry).
    pub const FLAGS: usize = 11;
    /// Rows per lane of the vector banks (every phase's entry).
    pub const ROWS: usize = 12;
    /// The diagonal term's delta source (transposed phases).
    pub const SRCD: usize = 13;
    /// Number of fields.
    pub const FIELDS: usize = 14;
}
const _: () = assert!(cfg::FIELDS <= 16, "the field is host_addr[8:5]");
const _: () = assert!(host::WEIGHT == 0 && host::INPUT == 1 && host::CONFIG == 2, "literal codes");
const _: () = assert!(host::TARGET == 3 && host::STEP_WEIGHT == 4 && cfg::SRCD == 13, "literal codes");
const _: () = assert!(cfg::LAST_ROW == 0 && cfg::FLAGS == 11 && cfg::ROWS == 12, "literal field codes");

/// The configuration table of `shape` on `lanes` lanes: `[field][phase]`.
pub fn config_table(shape: Shape, lanes: usize, n: &Numerics) -> [[i64; phase::ENTRIES]; cfg::FIELDS] {
    let bank = Banking::new(shape, lanes);
    let p = phases(shape, &bank, n);
    let field = |g: &dyn Fn(&Phase) -> i64| std::array::from_fn(|k| g(&p[k]));
    let mut t = [[0; phase::ENTRIES]; cfg::FIELDS];
    t[cfg::LAST_ROW] = field(&|q| q.last_row as i64);
    t[cfg::LAST1] = field(&|q| q.last1 as i64);
    t[cfg::LAST2] = field(&|q| q.last2 as i64);
    t[cfg::SRC1] = field(&|q| q.src1 as i64);
    t[cfg::SRC2] = field(&|q| q.src2 as i64);
    t[cfg::BASE1] = field(&|q| q.base1 as i64);
    t[cfg::BASE2] = field(&|q| q.base2 as i64);
    t[cfg::STRIDE1] = field(&|q| q.stride1 as i64);
    t[cfg::STRIDE2] = field(&|q| q.stride2 as i64);
    t[cfg::BBASE] = field(&|q| q.bbase as i64);
    t[cfg::BACT] = field(&|q| q.bact);
    t[cfg::FLAGS] = field(&|q| {
        (q.up1 as u64
            | (q.has2 as u64) << 1
            | (q.sig as u64) << 2
            | (q.elem as u64) << 3
            | q.sel << 4
            | (q.tr as u64) << 6
            | (q.diag as u64) << 7
            | (q.membrane as u64) << 8) as i64
    });
    assert!(t[cfg::FLAGS].iter().all(|&v| v < 1 << FLAG_BITS), "the flags fit the FLAGS field");
    t[cfg::ROWS] = [bank.rows_per_lane as i64; phase::ENTRIES];
    t[cfg::SRCD] = field(&|q| q.srcd as i64);
    t
}

/// The host writes (`host_addr`, `host_data`, with `host_sel` = [`host::CONFIG`]) that set a
/// unit of `lanes` lanes to run `shape` (at most the shape it was built for in every dimension),
/// under the default formats.
pub fn config_writes(shape: Shape, lanes: usize) -> Vec<(usize, i64)> {
    let t = config_table(shape, lanes, &Numerics::DEFAULT);
    (0..cfg::FIELDS).flat_map(|f| (0..phase::ENTRIES).map(move |ph| (f << 5 | ph, t[f][ph]))).collect()
}

/// Cycles one step takes for `shape` on `lanes` lanes with `streams` streams, from the
/// `start` edge until `busy` is low again.
pub fn step_cycles(shape: Shape, lanes: usize, streams: usize) -> usize {
    let (ni, h, c) = (shape.inputs, shape.hidden, shape.outputs);
    let (hl, cl) = (h.div_ceil(lanes), c.div_ceil(lanes));
    // per phase: two setup edges (the phase's parameters, the counters), the bank read, its
    // register in the lane, then (dot products) the MAC and maybe the sigmoid, or
    // (element-wise) the neuron pipeline
    let mac = 2 + 1 + 1 + MAC_LATENCY;
    let sig = mac + SIG_EDGES;
    let elem = 2 + 1 + 1 + NEURON_LATENCY;
    let b = streams;
    b * hl * (ni + h + 1)
        + mac
        + 2 * (b * hl * (2 * h + 1) + sig)
        + (b * hl + elem)
        + b * cl * (h + 1)
        + mac
        + b * cl * (2 * c + 1)
        + sig
        + (b * cl + elem)
}

/// Cycles one training step takes (the forward step, then the backward phases) for `shape` on
/// `lanes` lanes with `streams` streams, from the `start` edge until `busy` is low again.
pub fn train_step_cycles(shape: Shape, lanes: usize, streams: usize) -> usize {
    let (h, c) = (shape.hidden, shape.outputs);
    let (hl, cl) = (h.div_ceil(lanes), c.div_ceil(lanes));
    let b = streams;
    // a transposed product drains through the MAC, the lane tree (5 levels) and the rounding
    let tr = 2 + 1 + 1 + MAC_LATENCY + 6;
    let elem = |latency: usize| 2 + 1 + 1 + latency;
    step_cycles(shape, lanes, streams)
        + (b * cl + elem(OUTPUT_ERROR_LATENCY))
        + (c * b * (cl + 1) + tr)
        + (h * b * cl + tr)
        + (b * hl + elem(BACKWARD_NEURON_LATENCY))
        + (h * b * (2 * hl + 1) + tr)
        + update_cycles(shape, lanes, streams)
}

/// Cycles a reset of the state takes (`reset` with `start`): one per vector bank word.
pub const RESET_CYCLES: usize = 1 << BANK_ADDR_BITS;

/// Cycles a commit of the average takes for `shape` on `lanes` lanes, from the `start` edge
/// until `busy` is low again: the update pass's walk, each word once.
pub fn commit_cycles(shape: Shape, lanes: usize) -> usize {
    update_cycles(shape, lanes, 1)
}

/// Cycles one classification training step takes: [`train_step_cycles`] and the softmax
/// phase (17) between the readout and the output error: per stream, its C outputs in, two
/// edges to the softmax unit, its [`softmax_cycles`].
pub fn classify_step_cycles(shape: Shape, lanes: usize, streams: usize) -> usize {
    let c = shape.outputs;
    train_step_cycles(shape, lanes, streams) + 2 + streams * (c + 2 + softmax_cycles(c))
}

/// Cycles of the update pass (phases 12..=16): every word's B gradient terms, then the drain.
fn update_cycles(shape: Shape, lanes: usize, streams: usize) -> usize {
    let (ni, h, c) = (shape.inputs, shape.hidden, shape.outputs);
    let (hl, cl) = (h.div_ceil(lanes), c.div_ceil(lanes));
    let b = streams;
    let phase = |terms: usize| 2 + terms + UPDATE_DRAIN;
    phase(b * hl * (ni + h + 1))
        + 2 * phase(b * hl * (2 * h + 1))
        + phase(b * cl * (h + 1))
        + phase(b * cl * (2 * c + 1))
}

/// The ideal cycles of one step: one multiply-accumulate per parameter word and stream, on
/// `lanes` multipliers.
pub fn ideal_step_cycles(shape: Shape, lanes: usize, streams: usize) -> f64 {
    (Layout::new(shape).len() * streams) as f64 / lanes as f64
}

/// The ideal cycles of one training step: every multiply-accumulate of the forward step, of
/// the backward step's transposed products (W_ot[:, :C]^T, W_o^T, W_m[:, :H]^T, W_a[:, :H]^T)
/// and every gradient product, per stream, plus one update per parameter word, on `lanes`
/// lanes doing one operation each per cycle. (The unit overlaps a word's gradient and its
/// update in separate pipelines, so it can beat this count.)
pub fn ideal_train_step_cycles(shape: Shape, lanes: usize, streams: usize) -> f64 {
    let (h, c) = (shape.hidden, shape.outputs);
    let words = Layout::new(shape).len();
    let transposed = c * c + c * h + 2 * h * h;
    ((2 * words + transposed) * streams + words) as f64 / lanes as f64
}

/// The forward-step unit (`L` weight lanes, up to `B` streams).
#[derive(LogicBlock)]
pub struct ForwardStep<const B: usize, const L: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Host write strobe.
    pub host_we: Signal<In, Bit>,
    /// Host write target ([`host`] codes): weight bank, input x, target y, step weight,
    /// configuration.
    pub host_sel: Signal<In, Bits<{ host::BITS }>>,
    /// Host write lane ([`Banking`]).
    pub host_lane: Signal<In, Bits<LANE_BITS>>,
    /// Host write bank address ([`Banking::weight`] or [`Banking::vector`]).
    pub host_addr: Signal<In, Bits<WEIGHT_ADDR_BITS>>,
    /// Host write data (weight operand Q5.12 or input Q3.14 code).
    pub host_data: Signal<In, Signed<27>>,
    /// The run-time batch: streams 0..=`last_stream` run (less than B; hold while busy).
    pub last_stream: Signal<In, Bits<STREAM_BITS>>,
    /// Start one step (ignored while busy).
    pub start: Signal<In, Bit>,
    /// With `start`: a training step (forward, then the backward phases), else inference.
    pub learn: Signal<In, Bit>,
    /// With `start` (overrides `learn`): commit the average, W <- W-bar for every parameter
    /// word (and its multiplier operand), walking the words as the update pass does.
    pub commit: Signal<In, Bit>,
    /// With `start` (overrides `commit` and `learn`): put every stream back to the initial
    /// state (u, s, o = 0, b = b0), every vector bank word, in [`RESET_CYCLES`] cycles.
    pub reset: Signal<In, Bit>,
    /// With `start` and `learn`: a classification step: the targets are classes
    /// ([`host::LABEL`]) and d_o is the softmax error (phase 17).
    pub classify: Signal<In, Bit>,
    /// Read-back: which vector ([`rd`] codes), honoured while not busy.
    pub rd_vec: Signal<In, Bits<{ rd::BITS }>>,
    /// Read-back: which lane.
    pub rd_lane: Signal<In, Bits<LANE_BITS>>,
    /// Read-back: vector bank address ([`Banking::vector`]).
    pub rd_addr: Signal<In, Bits<WEIGHT_ADDR_BITS>>,
    /// Read-back data, two edges after `rd_*` (a bank read, then a registered mux).
    pub rd_data: Signal<Out, Signed<27>>,
    /// A step is running.
    pub busy: Signal<Out, Bit>,
    lane: [ForwardLane<B>; L],
    // phase table (host-writable; read at the phase, registered)
    cfg_last_row: RAM<Bits<DIM_BITS>, PHASE_BITS>,
    cfg_last1: RAM<Bits<DIM_BITS>, PHASE_BITS>,
    cfg_last2: RAM<Bits<DIM_BITS>, PHASE_BITS>,
    cfg_src1: RAM<Bits<SRC_BITS>, PHASE_BITS>,
    cfg_src2: RAM<Bits<SRC_BITS>, PHASE_BITS>,
    cfg_srcd: RAM<Bits<SRC_BITS>, PHASE_BITS>,
    cfg_base1: RAM<Bits<WEIGHT_ADDR_BITS>, PHASE_BITS>,
    cfg_base2: RAM<Bits<WEIGHT_ADDR_BITS>, PHASE_BITS>,
    cfg_stride1: RAM<Bits<WEIGHT_ADDR_BITS>, PHASE_BITS>,
    cfg_stride2: RAM<Bits<WEIGHT_ADDR_BITS>, PHASE_BITS>,
    cfg_bbase: RAM<Bits<WEIGHT_ADDR_BITS>, PHASE_BITS>,
    cfg_bact: RAM<Signed<18>, PHASE_BITS>,
    cfg_flags: RAM<Bits<FLAG_BITS>, PHASE_BITS>,
    cfg_rows: RAM<Bits<BANK_ADDR_BITS>, PHASE_BITS>,
    // sequencer state
    phase: DFF<Bits<PHASE_BITS>>,
    running: DFF<Bit>,
    learning: DFF<Bit>,
    committing: DFF<Bit>,
    classifying: DFF<Bit>,
    label_ram: RAM<Bits<DIM_BITS>, STREAM_BITS>,
    softmax: SoftmaxError,
    smx: Signal<Local, Bit>,
    sv1: DFF<Bit>,
    sv2: DFF<Bit>,
    clearing: DFF<Bit>,
    clr: DFF<Bits<BANK_ADDR_BITS>>,
    clr_last: Constant<Bits<BANK_ADDR_BITS>>,
    tw: DFF<Bits<WEIGHT_ADDR_BITS>>,
    tcol: DFF<Bits<WEIGHT_ADDR_BITS>>,
    tcol2: DFF<Bits<WEIGHT_ADDR_BITS>>,
    res_jl: DFF<Bits<LANE_BITS>>,
    res_jr: DFF<Bits<DIM_BITS>>,
    setup: DFF<Bit>,
    setup2: DFF<Bit>,
    issuing: DFF<Bit>,
    r: DFF<Bits<DIM_BITS>>,
    j: DFF<Bits<DIM_BITS>>,
    jr: DFF<Bits<DIM_BITS>>,
    jl: DFF<Bits<LANE_BITS>>,
    seg: DFF<Bits<2>>,
    b: DFF<Bits<STREAM_BITS>>,
    sb: DFF<Bits<BANK_ADDR_BITS>>,
    rb1: DFF<Bits<WEIGHT_ADDR_BITS>>,
    rb2: DFF<Bits<WEIGHT_ADDR_BITS>>,
    rbias: DFF<Bits<WEIGHT_ADDR_BITS>>,
    waddr: DFF<Bits<WEIGHT_ADDR_BITS>>,
    res_r: DFF<Bits<DIM_BITS>>,
    res_b: DFF<Bits<STREAM_BITS>>,
    res_sb: DFF<Bits<BANK_ADDR_BITS>>,
    // stage 1 (vector operands read)
    v1: DFF<Bit>,
    f1: DFF<Bit>,
    l1: DFF<Bit>,
    u1: DFF<Bit>,
    g1: DFF<Bit>,
    src_1: DFF<Bits<SRC_BITS>>,
    tm_1: DFF<Bits<2>>,
    tm_2: DFF<Bits<2>>,
    jl_2: DFF<Bits<LANE_BITS>>,
    jl_1: DFF<Bits<LANE_BITS>>,
    b_1: DFF<Bits<STREAM_BITS>>,
    // stage 2 (activation registered, weight read): into the MACs
    act: Signal<Local, Signed<18>>,
    bact_r: DFF<Signed<18>>,
    v2: DFF<Bit>,
    f2: DFF<Bit>,
    l2: DFF<Bit>,
    u2: DFF<Bit>,
    g2: DFF<Bit>,
    b_2: DFF<Bits<STREAM_BITS>>,
    sv: [DFF<Bit>; SIG_EDGES],
    rd_vec_d: DFF<Bits<{ rd::BITS }>>,
    rd_lane_d: DFF<Bits<LANE_BITS>>,
    rd_lane_d2: DFF<Bits<LANE_BITS>>,
    wt_ram: RAM<Signed<18>, STREAM_BITS>,
    // the cross-lane sum of the transposed products (a tree over 32 inputs, unused ones 0)
    red_in: [Signal<Local, Signed<48>>; 32],
    red16: [DFF<Signed<48>>; 16],
    red8: [DFF<Signed<48>>; 8],
    red4: [DFF<Signed<48>>; 4],
    red2: [DFF<Signed<48>>; 2],
    red1: DFF<Signed<48>>,
    rq_t: [Requant<48>; 2],
    tv: [DFF<Bit>; 6],
    t_res: Signal<Local, Signed<18>>,
    tr: Signal<Local, Bit>,
    diag: Signal<Local, Bit>,
    membrane: Signal<Local, Bit>,
    t_tm: Signal<Local, Bits<2>>,
    res_jr_v: Signal<Local, Bits<BANK_ADDR_BITS>>,
    zero48: Constant<Signed<48>>,
    uc: [DFF<Signed<18>>; uconst::COUNT],
    drain: DFF<Bits<6>>,
    upd: Signal<Local, Bit>,
    daddr: Signal<Local, Bits<BANK_ADDR_BITS>>,
    t_kind: Signal<Local, Bits<2>>,
    k_1: DFF<Bits<2>>,
    k_2: DFF<Bits<2>>,
    host18: Signal<Local, Signed<18>>,
    hbits: Signal<Local, Bits<27>>,
    zero27: Constant<Signed<27>>,
    drain_start: Constant<Bits<6>>,
    // combinational
    up1: Signal<Local, Bit>,
    has2: Signal<Local, Bit>,
    sig: Signal<Local, Bit>,
    elem: Signal<Local, Bit>,
    sel: Signal<Local, Bits<2>>,
    j_w: Signal<Local, Bits<WEIGHT_ADDR_BITS>>,
    r_v: Signal<Local, Bits<BANK_ADDR_BITS>>,
    jr_v: Signal<Local, Bits<BANK_ADDR_BITS>>,
    res_v: Signal<Local, Bits<BANK_ADDR_BITS>>,
    t_valid: Signal<Local, Bit>,
    t_first: Signal<Local, Bit>,
    t_last: Signal<Local, Bit>,
    t_up: Signal<Local, Bit>,
    t_src: Signal<Local, Bits<SRC_BITS>>,
    vaddr: Signal<Local, Bits<BANK_ADDR_BITS>>,
    res_addr: Signal<Local, Bits<BANK_ADDR_BITS>>,
    stream_done: Signal<Local, Bit>,
    mac_v: Signal<Local, Bit>,
    elem_v: Signal<Local, Bit>,
    wvalid: Signal<Local, Bit>,
    zero: Constant<Signed<18>>,
    lane_last: Constant<Bits<LANE_BITS>>,
    host_bits: Signal<Local, Bits<18>>,
    cfg_we: Signal<Local, Bit>,
}

impl<const B: usize, const L: usize> ForwardStep<B, L> {
    /// The unit for a network of `shape` under the accelerator's formats.
    pub fn new(shape: Shape) -> Self {
        Self::with(shape, Numerics::DEFAULT)
    }

    /// The unit for `shape` and formats `n` (state, gate: 18 bits); every dimension at most
    /// 2^[`DIM_BITS`], a lane's share of the layout at most 2^[`WEIGHT_ADDR_BITS`] words, B
    /// streams' share of a vector at most 2^[`BANK_ADDR_BITS`].
    pub fn with(shape: Shape, n: Numerics) -> Self {
        if let Err(e) = check_fit(shape, L, B) {
            panic!("{e}");
        }
        let bank = Banking::new(shape, L);
        let t = config_table(shape, L, &n);
        let f = Kernel::new(n).f;
        fn table<const W: usize>(v: &[i64]) -> RAM<Bits<W>, PHASE_BITS> {
            RAM::from(v.iter().map(|&x| Bits::<W>::from(x as u64)))
        }
        let words = bank.vector_words(B);
        Self {
            clock: Signal::default(),
            host_we: Signal::default(),
            host_sel: Signal::default(),
            host_lane: Signal::default(),
            host_addr: Signal::default(),
            host_data: Signal::default(),
            last_stream: Signal::default(),
            start: Signal::default(),
            learn: Signal::default(),
            commit: Signal::default(),
            reset: Signal::default(),
            classify: Signal::default(),
            rd_vec: Signal::default(),
            rd_lane: Signal::default(),
            rd_addr: Signal::default(),
            rd_data: Signal::default(),
            busy: Signal::default(),
            lane: std::array::from_fn(|l| ForwardLane::new(n, l, bank.weight_words(), words)),
            cfg_last_row: table(&t[cfg::LAST_ROW]),
            cfg_last1: table(&t[cfg::LAST1]),
            cfg_last2: table(&t[cfg::LAST2]),
            cfg_src1: table(&t[cfg::SRC1]),
            cfg_src2: table(&t[cfg::SRC2]),
            cfg_srcd: table(&t[cfg::SRCD]),
            cfg_base1: table(&t[cfg::BASE1]),
            cfg_base2: table(&t[cfg::BASE2]),
            cfg_stride1: table(&t[cfg::STRIDE1]),
            cfg_stride2: table(&t[cfg::STRIDE2]),
            cfg_bbase: table(&t[cfg::BBASE]),
            cfg_bact: RAM::from(t[cfg::BACT].iter().map(|&v| to_signed::<18>(v))),
            cfg_flags: table(&t[cfg::FLAGS]),
            cfg_rows: table(&t[cfg::ROWS]),
            phase: DFF::default(),
            running: DFF::default(),
            learning: DFF::default(),
            committing: DFF::default(),
            classifying: DFF::default(),
            label_ram: RAM::default(),
            softmax: SoftmaxError::with(n),
            smx: Signal::default(),
            sv1: DFF::default(),
            sv2: DFF::default(),
            clearing: DFF::default(),
            clr: DFF::default(),
            clr_last: Constant::new(((1u64 << BANK_ADDR_BITS) - 1).into()),
            tw: DFF::default(),
            tcol: DFF::default(),
            tcol2: DFF::default(),
            res_jl: DFF::default(),
            res_jr: DFF::default(),
            setup: DFF::default(),
            setup2: DFF::default(),
            issuing: DFF::default(),
            r: DFF::default(),
            j: DFF::default(),
            jr: DFF::default(),
            jl: DFF::default(),
            seg: DFF::default(),
            b: DFF::default(),
            sb: DFF::default(),
            rb1: DFF::default(),
            rb2: DFF::default(),
            rbias: DFF::default(),
            waddr: DFF::default(),
            res_r: DFF::default(),
            res_b: DFF::default(),
            res_sb: DFF::default(),
            v1: DFF::default(),
            f1: DFF::default(),
            l1: DFF::default(),
            u1: DFF::default(),
            g1: DFF::default(),
            src_1: DFF::default(),
            tm_1: DFF::default(),
            tm_2: DFF::default(),
            jl_2: DFF::default(),
            jl_1: DFF::default(),
            b_1: DFF::default(),
            act: Signal::default(),
            bact_r: DFF::default(),
            v2: DFF::default(),
            f2: DFF::default(),
            l2: DFF::default(),
            u2: DFF::default(),
            g2: DFF::default(),
            b_2: DFF::default(),
            sv: Default::default(),
            rd_vec_d: DFF::default(),
            rd_lane_d: DFF::default(),
            rd_lane_d2: DFF::default(),
            wt_ram: RAM::default(),
            red_in: Default::default(),
            red16: Default::default(),
            red8: Default::default(),
            red4: Default::default(),
            red2: Default::default(),
            red1: DFF::default(),
            rq_t: [Requant::new(f.w), Requant::new(f.w.max(f.g))],
            tv: Default::default(),
            t_res: Signal::default(),
            tr: Signal::default(),
            diag: Signal::default(),
            membrane: Signal::default(),
            t_tm: Signal::default(),
            res_jr_v: Signal::default(),
            zero48: Constant::new(to_signed(0)),
            uc: Default::default(),
            drain: DFF::default(),
            upd: Signal::default(),
            daddr: Signal::default(),
            t_kind: Signal::default(),
            k_1: DFF::default(),
            k_2: DFF::default(),
            host18: Signal::default(),
            hbits: Signal::default(),
            zero27: Constant::new(to_signed(0)),
            drain_start: Constant::new((UPDATE_DRAIN as u64).into()),
            up1: Signal::default(),
            has2: Signal::default(),
            sig: Signal::default(),
            elem: Signal::default(),
            sel: Signal::default(),
            j_w: Signal::default(),
            r_v: Signal::default(),
            jr_v: Signal::default(),
            res_v: Signal::default(),
            t_valid: Signal::default(),
            t_first: Signal::default(),
            t_last: Signal::default(),
            t_up: Signal::default(),
            t_src: Signal::default(),
            vaddr: Signal::default(),
            res_addr: Signal::default(),
            stream_done: Signal::default(),
            mac_v: Signal::default(),
            elem_v: Signal::default(),
            wvalid: Signal::default(),
            zero: Constant::new(to_signed(0)),
            lane_last: Constant::new(((L - 1) as u64).into()),
            host_bits: Signal::default(),
            cfg_we: Signal::default(),
        }
    }
}

impl<const B: usize, const L: usize> Logic for ForwardStep<B, L> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            phase,
            running,
            setup,
            setup2,
            issuing,
            r,
            j,
            jr,
            jl,
            seg,
            b,
            sb,
            rb1,
            rb2,
            rbias,
            waddr,
            res_r,
            res_b,
            res_sb,
            v1,
            f1,
            l1,
            u1,
            g1,
            src_1,
            jl_1,
            b_1,
            bact_r,
            v2,
            f2,
            l2,
            u2,
            g2,
            b_2,
            rd_vec_d,
            rd_lane_d,
            rd_lane_d2,
            learning,
            committing,
            classifying,
            sv1,
            sv2,
            clearing,
            clr,
            tw,
            tcol,
            tcol2,
            res_jl,
            res_jr,
            tm_1,
            tm_2,
            jl_2,
            red1,
            drain,
            k_1,
            k_2
        );
        for i in 0..16 {
            self.red16[i].clock.next = self.clock.val();
        }
        for i in 0..8 {
            self.red8[i].clock.next = self.clock.val();
        }
        for i in 0..4 {
            self.red4[i].clock.next = self.clock.val();
        }
        for i in 0..2 {
            self.red2[i].clock.next = self.clock.val();
            self.rq_t[i].clock.next = self.clock.val();
        }
        for i in 0..6 {
            self.tv[i].clock.next = self.clock.val();
        }
        for i in 0..uconst::COUNT {
            self.uc[i].clock.next = self.clock.val();
        }
        self.label_ram.read_clock.next = self.clock.val();
        self.label_ram.write_clock.next = self.clock.val();
        self.softmax.clock.next = self.clock.val();
        self.wt_ram.read_clock.next = self.clock.val();
        self.wt_ram.write_clock.next = self.clock.val();
        self.cfg_srcd.read_clock.next = self.clock.val();
        self.cfg_srcd.write_clock.next = self.clock.val();
        for i in 0..SIG_EDGES {
            self.sv[i].clock.next = self.clock.val();
        }
        for l in 0..L {
            self.lane[l].clock.next = self.clock.val();
        }
        self.cfg_last_row.read_clock.next = self.clock.val();
        self.cfg_last_row.write_clock.next = self.clock.val();
        self.cfg_last1.read_clock.next = self.clock.val();
        self.cfg_last1.write_clock.next = self.clock.val();
        self.cfg_last2.read_clock.next = self.clock.val();
        self.cfg_last2.write_clock.next = self.clock.val();
        self.cfg_src1.read_clock.next = self.clock.val();
        self.cfg_src1.write_clock.next = self.clock.val();
        self.cfg_src2.read_clock.next = self.clock.val();
        self.cfg_src2.write_clock.next = self.clock.val();
        self.cfg_base1.read_clock.next = self.clock.val();
        self.cfg_base1.write_clock.next = self.clock.val();
        self.cfg_base2.read_clock.next = self.clock.val();
        self.cfg_base2.write_clock.next = self.clock.val();
        self.cfg_stride1.read_clock.next = self.clock.val();
        self.cfg_stride1.write_clock.next = self.clock.val();
        self.cfg_stride2.read_clock.next = self.clock.val();
        self.cfg_stride2.write_clock.next = self.clock.val();
        self.cfg_bbase.read_clock.next = self.clock.val();
        self.cfg_bbase.write_clock.next = self.clock.val();
        self.cfg_bact.read_clock.next = self.clock.val();
        self.cfg_bact.write_clock.next = self.clock.val();
        self.cfg_flags.read_clock.next = self.clock.val();
        self.cfg_flags.write_clock.next = self.clock.val();
        self.cfg_rows.read_clock.next = self.clock.val();
        self.cfg_rows.write_clock.next = self.clock.val();

        // Host writes of the configuration: field (host_addr[8:5]) of phase (host_addr[4:0]).
        self.hbits.next = unsigned_cast(self.host_data.val());
        self.host18.next = signed_cast(self.hbits.val().get_bits::<18>(0));
        self.host_bits.next = unsigned_cast(self.host18.val());
        self.cfg_we.next = self.host_we.val() & (self.host_sel.val() == 2);
        self.cfg_last_row.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_last1.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_last2.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_src1.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_src2.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_base1.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_base2.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_stride1.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_stride2.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_bbase.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_bact.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_flags.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_rows.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_last_row.write_data.next = self.host_bits.val().get_bits::<DIM_BITS>(0);
        self.cfg_last1.write_data.next = self.host_bits.val().get_bits::<DIM_BITS>(0);
        self.cfg_last2.write_data.next = self.host_bits.val().get_bits::<DIM_BITS>(0);
        self.cfg_src1.write_data.next = self.host_bits.val().get_bits::<SRC_BITS>(0);
        self.cfg_src2.write_data.next = self.host_bits.val().get_bits::<SRC_BITS>(0);
        self.cfg_base1.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_base2.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_stride1.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_stride2.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_bbase.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_bact.write_data.next = self.host18.val();
        self.cfg_flags.write_data.next = self.host_bits.val().get_bits::<FLAG_BITS>(0);
        self.cfg_rows.write_data.next = self.host_bits.val().get_bits::<BANK_ADDR_BITS>(0);
        self.cfg_last_row.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 0);
        self.cfg_last1.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 1);
        self.cfg_last2.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 2);
        self.cfg_src1.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 3);
        self.cfg_src2.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 4);
        self.cfg_base1.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 5);
        self.cfg_base2.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 6);
        self.cfg_stride1.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 7);
        self.cfg_stride2.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 8);
        self.cfg_bbase.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 9);
        self.cfg_bact.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 10);
        self.cfg_flags.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 11);
        self.cfg_rows.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 12);
        self.cfg_srcd.write_address.next = self.host_addr.val().get_bits::<5>(0);
        self.cfg_srcd.write_data.next = self.host_bits.val().get_bits::<SRC_BITS>(0);
        self.cfg_srcd.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(5) == 13);
        self.cfg_srcd.read_address.next = self.phase.q.val();
        // Host writes of the step weights (one per stream).
        self.wt_ram.write_address.next = self.host_addr.val().get_bits::<STREAM_BITS>(0);
        self.wt_ram.write_data.next = self.host18.val();
        // Host writes of the update constants.
        for i in 0..uconst::COUNT {
            self.uc[i].d.next = self.uc[i].q.val();
            if (self.host_we.val() & (self.host_sel.val() == 9)) & (self.host_addr.val().index() == i) {
                self.uc[i].d.next = self.host18.val();
            }
        }
        self.wt_ram.write_enable.next = self.host_we.val() & (self.host_sel.val() == 4);
        // Host writes of the classes (one per stream).
        self.label_ram.write_address.next = self.host_addr.val().get_bits::<STREAM_BITS>(0);
        self.label_ram.write_data.next = self.host_bits.val().get_bits::<DIM_BITS>(0);
        self.label_ram.write_enable.next = self.host_we.val() & (self.host_sel.val() == 10);

        // The current phase's parameters.
        // (RAM reads are registered: a phase's parameters are valid from its second cycle.)
        self.cfg_last_row.read_address.next = self.phase.q.val();
        self.cfg_last1.read_address.next = self.phase.q.val();
        self.cfg_last2.read_address.next = self.phase.q.val();
        self.cfg_src1.read_address.next = self.phase.q.val();
        self.cfg_src2.read_address.next = self.phase.q.val();
        self.cfg_base1.read_address.next = self.phase.q.val();
        self.cfg_base2.read_address.next = self.phase.q.val();
        self.cfg_stride1.read_address.next = self.phase.q.val();
        self.cfg_stride2.read_address.next = self.phase.q.val();
        self.cfg_bbase.read_address.next = self.phase.q.val();
        self.cfg_bact.read_address.next = self.phase.q.val();
        self.cfg_flags.read_address.next = self.phase.q.val();
        self.cfg_rows.read_address.next = self.phase.q.val();
        self.up1.next = self.cfg_flags.read_data.val().get_bit(0);
        self.has2.next = self.cfg_flags.read_data.val().get_bit(1);
        self.sig.next = self.cfg_flags.read_data.val().get_bit(2);
        self.elem.next = self.cfg_flags.read_data.val().get_bit(3);
        self.sel.next = self.cfg_flags.read_data.val().get_bits::<2>(4);
        self.tr.next = self.cfg_flags.read_data.val().get_bit(6);
        // (phase >= 12: literal, phase::FIRST_UPDATE)
        self.upd.next =
            self.running.q.val() & ((self.phase.q.val() == 16) | (self.phase.q.val().get_bits::<3>(2) == 3));
        // (literal phase::SOFTMAX)
        self.smx.next = self.phase.q.val() == 17;
        self.diag.next = self.cfg_flags.read_data.val().get_bit(7);
        self.membrane.next = self.cfg_flags.read_data.val().get_bit(8);

        // Term generator (stage 0): this cycle's term (row r, segment, column j, stream b).
        // Widths are matched before adding (an add wraps at its operands' width in rust-hdl).
        self.j_w.next = bit_cast::<WEIGHT_ADDR_BITS, DIM_BITS>(self.j.q.val());
        self.r_v.next = bit_cast::<BANK_ADDR_BITS, DIM_BITS>(self.r.q.val());
        self.jr_v.next = bit_cast::<BANK_ADDR_BITS, DIM_BITS>(self.jr.q.val());
        self.res_v.next = bit_cast::<BANK_ADDR_BITS, DIM_BITS>(self.res_r.q.val());
        // (a commit walks each word once)
        self.stream_done.next = (self.b.q.val() == self.last_stream.val()) | self.committing.q.val();
        self.t_valid.next = self.issuing.q.val() & !self.smx.val();
        self.t_first.next = false;
        self.t_last.next = false;
        self.t_up.next = false;
        self.t_src.next = self.cfg_src1.read_data.val();
        self.t_tm.next = 0.into();
        self.waddr.d.next = self.rb1.q.val() + self.j_w.val();
        // the step weight of the stream read this edge, for the output error
        self.wt_ram.read_address.next = self.b.q.val();
        // (an if/else chain: a lane input assigned twice per evaluation glitches in Icarus)
        self.daddr.next = self.sb.q.val() + self.r_v.val();
        if !self.running.q.val() {
            self.vaddr.next = self.rd_addr.val().get_bits::<BANK_ADDR_BITS>(0);
        } else if self.elem.val() | (self.tr.val() & (self.seg.q.val() != 2)) {
            self.vaddr.next = self.sb.q.val() + self.r_v.val();
        } else {
            self.vaddr.next = self.sb.q.val() + self.jr_v.val();
        }
        if self.issuing.q.val() & self.smx.val() {
            // the softmax: stream b's outputs k = j in turn (lane jl, row jr); then the stream
            // waits for its errors (the phase control moves to the next)
            self.t_last.next = self.j.q.val() == self.cfg_last1.read_data.val();
            self.j.d.next = self.j.q.val() + 1;
            self.jl.d.next = self.jl.q.val() + 1;
            if self.jl.q.val() == self.lane_last.val() {
                self.jl.d.next = 0.into();
                self.jr.d.next = self.jr.q.val() + 1;
            }
            if self.t_last.val() {
                self.j.d.next = 0.into();
                self.jl.d.next = 0.into();
                self.jr.d.next = 0.into();
                self.issuing.d.next = false;
            }
        } else if self.issuing.q.val() {
            // the next stream of this term, or the next term
            if self.stream_done.val() {
                self.b.d.next = 0.into();
                self.sb.d.next = 0.into();
            } else {
                self.b.d.next = self.b.q.val() + 1;
                self.sb.d.next = self.sb.q.val() + self.cfg_rows.read_data.val();
            }
            if self.elem.val() {
                if self.stream_done.val() {
                    self.r.d.next = self.r.q.val() + 1;
                    if self.r.q.val() == self.cfg_last_row.read_data.val() {
                        self.issuing.d.next = false;
                    }
                }
            } else if self.tr.val() {
                // transposed: column k (j), the lane's local rows r of segment 1 (2), the
                // diagonal term; the weight address walks down column k
                self.waddr.d.next = self.tw.q.val();
                if self.seg.q.val() == 2 {
                    self.t_src.next = self.cfg_srcd.read_data.val();
                    self.t_tm.next = 2.into();
                    self.t_last.next = true;
                } else {
                    self.t_tm.next = 1.into();
                    self.t_up.next = self.up1.val();
                    if self.seg.q.val() == 1 {
                        self.t_src.next = self.cfg_src2.read_data.val();
                        self.t_last.next = (self.r.q.val() == self.cfg_last2.read_data.val()) & !self.diag.val();
                    } else {
                        self.t_first.next = self.r.q.val() == 0;
                        self.t_last.next =
                            ((self.r.q.val() == self.cfg_last1.read_data.val()) & !self.has2.val()) & !self.diag.val();
                    }
                }
                if self.stream_done.val() {
                    self.r.d.next = self.r.q.val() + 1;
                    if self.seg.q.val() == 0 {
                        self.tw.d.next = self.tw.q.val() + self.cfg_stride1.read_data.val();
                    } else {
                        self.tw.d.next = self.tw.q.val() + self.cfg_stride2.read_data.val();
                    }
                    // the column's last term: next column (or the phase's end)
                    if self.t_last.val() {
                        self.r.d.next = 0.into();
                        self.seg.d.next = 0.into();
                        self.j.d.next = self.j.q.val() + 1;
                        self.jl.d.next = self.jl.q.val() + 1;
                        if self.jl.q.val() == self.lane_last.val() {
                            self.jl.d.next = 0.into();
                            self.jr.d.next = self.jr.q.val() + 1;
                        }
                        self.tcol.d.next = self.tcol.q.val() + 1;
                        self.tcol2.d.next = self.tcol2.q.val() + 1;
                        self.tw.d.next = self.tcol.q.val() + 1;
                        if self.j.q.val() == self.cfg_last_row.read_data.val() {
                            self.issuing.d.next = false;
                        }
                    } else if (self.seg.q.val() == 0) & (self.r.q.val() == self.cfg_last1.read_data.val()) {
                        self.r.d.next = 0.into();
                        if self.has2.val() {
                            self.seg.d.next = 1.into();
                            self.tw.d.next = self.tcol2.q.val();
                        } else {
                            self.seg.d.next = 2.into();
                        }
                    } else if (self.seg.q.val() == 1) & (self.r.q.val() == self.cfg_last2.read_data.val()) {
                        self.r.d.next = 0.into();
                        self.seg.d.next = 2.into();
                    }
                }
            } else if self.seg.q.val() == 0 {
                self.t_first.next = self.j.q.val() == 0;
                self.t_up.next = self.up1.val();
                if self.stream_done.val() {
                    self.j.d.next = self.j.q.val() + 1;
                    self.jl.d.next = self.jl.q.val() + 1;
                    if self.jl.q.val() == self.lane_last.val() {
                        self.jl.d.next = 0.into();
                        self.jr.d.next = self.jr.q.val() + 1;
                    }
                    if self.j.q.val() == self.cfg_last1.read_data.val() {
                        self.j.d.next = 0.into();
                        self.jl.d.next = 0.into();
                        self.jr.d.next = 0.into();
                        self.seg.d.next = 2.into();
                        if self.has2.val() {
                            self.seg.d.next = 1.into();
                        }
                    }
                }
            } else if self.seg.q.val() == 1 {
                self.t_src.next = self.cfg_src2.read_data.val();
                self.waddr.d.next = self.rb2.q.val() + self.j_w.val();
                if self.stream_done.val() {
                    self.j.d.next = self.j.q.val() + 1;
                    self.jl.d.next = self.jl.q.val() + 1;
                    if self.jl.q.val() == self.lane_last.val() {
                        self.jl.d.next = 0.into();
                        self.jr.d.next = self.jr.q.val() + 1;
                    }
                    if self.j.q.val() == self.cfg_last2.read_data.val() {
                        self.j.d.next = 0.into();
                        self.jl.d.next = 0.into();
                        self.jr.d.next = 0.into();
                        self.seg.d.next = 2.into();
                    }
                }
            } else {
                // the bias term closes the row
                self.t_src.next = 7.into(); // src::BIAS
                self.t_last.next = true;
                self.waddr.d.next = self.rbias.q.val();
                if self.stream_done.val() {
                    self.seg.d.next = 0.into();
                    self.r.d.next = self.r.q.val() + 1;
                    self.rb1.d.next = self.rb1.q.val() + self.cfg_stride1.read_data.val();
                    self.rb2.d.next = self.rb2.q.val() + self.cfg_stride2.read_data.val();
                    self.rbias.d.next = self.rbias.q.val() + 1;
                    if self.r.q.val() == self.cfg_last_row.read_data.val() {
                        self.issuing.d.next = false;
                        if self.upd.val() {
                            self.drain.d.next = self.drain_start.val();
                        }
                    }
                }
            }
            // an update term: a word's gradient sums its streams' terms
            if self.upd.val() {
                self.t_first.next = self.b.q.val() == 0;
                self.t_last.next = self.stream_done.val();
            }
        }
        // The update term's activation kind (literal `grad_mac::kind` codes from the source).
        if self.t_src.val() == 0 {
            self.t_kind.next = 0.into();
        } else if (self.t_src.val() == 2)
            | (self.t_src.val() == 3)
            | (self.t_src.val() == 17)
            | (self.t_src.val() == 5)
            | (self.t_src.val() == 19)
        {
            self.t_kind.next = 1.into();
        } else if self.t_src.val() == 18 {
            self.t_kind.next = 2.into();
        } else {
            self.t_kind.next = 3.into();
        }

        // Stage 1: the vector operands are out of the banks (every bank reads at `vaddr`).
        self.v1.d.next = self.t_valid.val();
        self.f1.d.next = self.t_first.val();
        self.l1.d.next = self.t_last.val();
        self.u1.d.next = self.t_up.val();
        self.src_1.d.next = self.t_src.val();
        self.tm_1.d.next = self.t_tm.val();
        self.k_1.d.next = self.t_kind.val();
        self.k_2.d.next = self.k_1.q.val();
        self.tm_2.d.next = self.tm_1.q.val();
        self.jl_2.d.next = self.jl_1.q.val();
        // spike and bias terms are additions in the MAC (codes 1 and 7)
        self.g1.d.next = (self.t_src.val() == 1) | (self.t_src.val() == 7);
        self.jl_1.d.next = self.jl.q.val();
        self.b_1.d.next = self.b.q.val();
        // The term's activation from lane jl's bank at stage 2 (each lane registers its bank
        // reads before its operand mux), broadcast.
        self.bact_r.d.next = self.cfg_bact.read_data.val();
        self.act.next = self.bact_r.q.val();
        for l in 0..L {
            if self.jl_2.q.val().index() == l {
                self.act.next = self.lane[l].cand.val();
            }
        }
        self.v2.d.next = self.v1.q.val() & !self.elem.val();
        self.f2.d.next = self.f1.q.val();
        self.l2.d.next = self.l1.q.val();
        self.u2.d.next = self.u1.q.val();
        self.g2.d.next = self.g1.q.val();
        self.b_2.d.next = self.b_1.q.val();
        self.elem_v.next = self.v1.q.val() & self.elem.val();
        // The softmax takes stream b's outputs from the broadcast register, its class and step
        // weight from the stream's registers (b holds while the stream is in).
        self.sv1.d.next = self.issuing.q.val() & self.smx.val();
        self.sv2.d.next = self.sv1.q.val();
        self.label_ram.read_address.next = self.b.q.val();
        self.softmax.in_valid.next = self.sv2.q.val();
        self.softmax.x.next = self.act.val();
        self.softmax.last.next = self.l2.q.val();
        self.softmax.label.next = self.label_ram.read_data.val();
        self.softmax.weight.next = self.wt_ram.read_data.val();

        // Results, in (row, stream) order in every lane at once (all lanes run in lockstep:
        // lane 0's flags time them all).
        self.mac_v.next = self.lane[0].y_valid.val();
        self.sv[0].d.next = self.mac_v.val() & self.sig.val();
        for i in 1..SIG_EDGES {
            self.sv[i].d.next = self.sv[i - 1].q.val();
        }
        // Transposed products: the lanes' exact sums, added over the lanes, rounded once.
        for l in 0..L {
            self.red_in[l].next = self.lane[l].raw.val();
        }
        for l in L..32 {
            self.red_in[l].next = self.zero48.val();
        }
        for i in 0..16 {
            self.red16[i].d.next = self.red_in[2 * i].val() + self.red_in[2 * i + 1].val();
        }
        for i in 0..8 {
            self.red8[i].d.next = self.red16[2 * i].q.val() + self.red16[2 * i + 1].q.val();
        }
        for i in 0..4 {
            self.red4[i].d.next = self.red8[2 * i].q.val() + self.red8[2 * i + 1].q.val();
        }
        for i in 0..2 {
            self.red2[i].d.next = self.red4[2 * i].q.val() + self.red4[2 * i + 1].q.val();
        }
        self.red1.d.next = self.red2[0].q.val() + self.red2[1].q.val();
        self.rq_t[0].acc.next = self.red1.q.val();
        self.rq_t[1].acc.next = self.red1.q.val();
        if self.smx.val() {
            self.t_res.next = self.softmax.d_o.val();
        } else if self.sel.val() == 1 {
            self.t_res.next = self.rq_t[1].y.val();
        } else {
            self.t_res.next = self.rq_t[0].y.val();
        }
        self.tv[0].d.next = self.mac_v.val();
        for i in 1..6 {
            self.tv[i].d.next = self.tv[i - 1].q.val();
        }
        if self.smx.val() {
            self.wvalid.next = self.softmax.out_valid.val();
        } else if self.elem.val() {
            self.wvalid.next = self.lane[0].n_valid.val();
        } else if self.sig.val() {
            self.wvalid.next = self.sv[4].q.val();
        } else if self.tr.val() {
            self.wvalid.next = self.tv[5].q.val();
        } else {
            self.wvalid.next = self.mac_v.val();
        }
        self.res_jr_v.next = bit_cast::<BANK_ADDR_BITS, DIM_BITS>(self.res_jr.q.val());
        if self.tr.val() | self.smx.val() {
            self.res_addr.next = self.res_sb.q.val() + self.res_jr_v.val();
        } else {
            self.res_addr.next = self.res_sb.q.val() + self.res_v.val();
        }

        // Every lane: the shared addresses and flags (stage 0 reads, stage 1 element-wise
        // operands, stage 2 MAC terms), its own host write strobes.
        for l in 0..L {
            self.lane[l].vaddr.next = self.vaddr.val();
            self.lane[l].waddr.next = self.waddr.q.val();
            self.lane[l].src.next = self.src_1.q.val();
            self.lane[l].bact.next = self.bact_r.q.val();
            self.lane[l].rd_vec.next = self.rd_vec_d.q.val();
            self.lane[l].act.next = self.act.val();
            self.lane[l].valid.next = self.v2.q.val();
            self.lane[l].first.next = self.f2.q.val();
            self.lane[l].last.next = self.l2.q.val();
            self.lane[l].up.next = self.u2.q.val();
            self.lane[l].slot.next = self.b_2.q.val();
            self.lane[l].gated.next = self.g2.q.val();
            self.lane[l].sel.next = self.sel.val();
            self.lane[l].elem_valid.next = self.elem_v.val();
            self.lane[l].phase.next = self.phase.q.val();
            self.lane[l].wvalid.next = self.wvalid.val();
            self.lane[l].res_addr.next = self.res_addr.val();
            self.lane[l].host_addr.next = self.host_addr.val();
            self.lane[l].host_data.next = self.host_data.val();
            self.lane[l].host_sel.next = self.host_sel.val();
            self.lane[l].host_we.next = self.host_we.val() & (self.host_lane.val().index() == l);
            self.lane[l].rd_paddr.next = self.rd_addr.val();
            self.lane[l].running.next = self.running.q.val();
            self.lane[l].upd.next = self.upd.val();
            self.lane[l].daddr.next = self.daddr.val();
            self.lane[l].kind.next = self.k_2.q.val();
            self.lane[l].gvalid.next = self.v2.q.val() & self.upd.val();
            self.lane[l].commit.next = self.committing.q.val();
            self.lane[l].classify.next = self.classifying.q.val();
            self.lane[l].membrane.next = self.membrane.val();
            self.lane[l].clear.next = self.clearing.q.val();
            self.lane[l].clear_addr.next = self.clr.q.val();
            self.lane[l].inv_batch.next = self.uc[0].q.val();
            self.lane[l].a.next = self.uc[1].q.val();
            self.lane[l].keep.next = self.uc[2].q.val();
            self.lane[l].beta_f.next = self.uc[3].q.val();
            self.lane[l].pull.next = self.uc[4].q.val();
            self.lane[l].beta1.next = self.uc[5].q.val();
            self.lane[l].one_minus_beta1.next = self.uc[6].q.val();
            self.lane[l].beta2.next = self.uc[7].q.val();
            self.lane[l].lr.next = self.uc[8].q.val();
            self.lane[l].adamax.next = self.uc[9].q.val() != self.zero.val();
            self.lane[l].tmode.next = self.tm_2.q.val();
            self.lane[l].diag_lane.next = self.jl_2.q.val();
            self.lane[l].wt.next = self.wt_ram.read_data.val();
            self.lane[l].res_lane.next = self.res_jl.q.val();
            self.lane[l].t_res.next = self.t_res.val();
        }

        // Read-back (the banks read at `rd_addr` while idle).
        self.rd_vec_d.d.next = self.rd_vec.val();
        self.rd_lane_d.d.next = self.rd_lane.val();
        self.rd_lane_d2.d.next = self.rd_lane_d.q.val();
        self.rd_data.next = self.zero27.val();
        for l in 0..L {
            if self.rd_lane_d2.q.val().index() == l {
                self.rd_data.next = self.lane[l].rd_cand.val();
            }
        }

        // Phase control: a phase ends when its last result (last row, last stream) is written.
        self.setup.d.next = false;
        if self.wvalid.val() & self.smx.val() {
            // a softmax error: output k = res_r of stream res_b (lane res_jl, row res_jr)
            self.res_r.d.next = self.res_r.q.val() + 1;
            self.res_jl.d.next = self.res_jl.q.val() + 1;
            if self.res_jl.q.val() == self.lane_last.val() {
                self.res_jl.d.next = 0.into();
                self.res_jr.d.next = self.res_jr.q.val() + 1;
            }
            if self.res_r.q.val() == self.cfg_last1.read_data.val() {
                self.res_r.d.next = 0.into();
                self.res_jl.d.next = 0.into();
                self.res_jr.d.next = 0.into();
                if self.res_b.q.val() == self.last_stream.val() {
                    self.phase.d.next = 7.into(); // (literal phase::OUTPUT_ERROR)
                    self.setup.d.next = true;
                } else {
                    // the next stream's outputs
                    self.res_b.d.next = self.res_b.q.val() + 1;
                    self.res_sb.d.next = self.res_sb.q.val() + self.cfg_rows.read_data.val();
                    self.b.d.next = self.b.q.val() + 1;
                    self.sb.d.next = self.sb.q.val() + self.cfg_rows.read_data.val();
                    self.issuing.d.next = true;
                }
            }
        } else if self.wvalid.val() {
            if self.res_b.q.val() == self.last_stream.val() {
                self.res_b.d.next = 0.into();
                self.res_sb.d.next = 0.into();
                self.res_r.d.next = self.res_r.q.val() + 1;
                self.res_jl.d.next = self.res_jl.q.val() + 1;
                if self.res_jl.q.val() == self.lane_last.val() {
                    self.res_jl.d.next = 0.into();
                    self.res_jr.d.next = self.res_jr.q.val() + 1;
                }
                if self.res_r.q.val() == self.cfg_last_row.read_data.val() {
                    self.phase.d.next = self.phase.q.val() + 1;
                    self.setup.d.next = true;
                    // (literal phase numbers: phase::LAST_FORWARD, phase::LAST_BACKWARD)
                    if (self.phase.q.val() == 6) & self.classifying.q.val() {
                        self.phase.d.next = 17.into(); // (literal phase::SOFTMAX)
                    }
                    if (self.phase.q.val() == 6) & !self.learning.q.val() {
                        self.running.d.next = false;
                        self.setup.d.next = false;
                    }
                }
            } else {
                self.res_b.d.next = self.res_b.q.val() + 1;
                self.res_sb.d.next = self.res_sb.q.val() + self.cfg_rows.read_data.val();
            }
        }
        // An update phase ends when its last word's writes are done.
        if self.drain.q.val() != 0 {
            self.drain.d.next = self.drain.q.val() - 1;
            if self.drain.q.val() == 1 {
                self.phase.d.next = self.phase.q.val() + 1;
                self.setup.d.next = true;
                // (literal phase::LAST_UPDATE)
                if self.phase.q.val() == 16 {
                    self.running.d.next = false;
                    self.setup.d.next = false;
                }
            }
        }
        self.setup2.d.next = self.setup.q.val();
        if self.setup2.q.val() {
            self.rb1.d.next = self.cfg_base1.read_data.val();
            self.rb2.d.next = self.cfg_base2.read_data.val();
            self.rbias.d.next = self.cfg_bbase.read_data.val();
            self.r.d.next = 0.into();
            self.j.d.next = 0.into();
            self.jr.d.next = 0.into();
            self.jl.d.next = 0.into();
            self.seg.d.next = 0.into();
            self.b.d.next = 0.into();
            self.sb.d.next = 0.into();
            self.res_r.d.next = 0.into();
            self.res_b.d.next = 0.into();
            self.res_sb.d.next = 0.into();
            self.res_jl.d.next = 0.into();
            self.res_jr.d.next = 0.into();
            self.tw.d.next = self.cfg_base1.read_data.val();
            self.tcol.d.next = self.cfg_base1.read_data.val();
            self.tcol2.d.next = self.cfg_base2.read_data.val();
            self.issuing.d.next = true;
        }
        // A reset walks every vector bank address.
        if self.clearing.q.val() {
            self.clr.d.next = self.clr.q.val() + 1;
            if self.clr.q.val() == self.clr_last.val() {
                self.clearing.d.next = false;
                self.running.d.next = false;
            }
        }
        if self.start.val() & !self.running.q.val() & self.reset.val() {
            self.clearing.d.next = true;
            self.clr.d.next = 0.into();
            self.phase.d.next = 0.into();
            self.running.d.next = true;
        } else if self.start.val() & !self.running.q.val() {
            self.learning.d.next = self.learn.val();
            self.committing.d.next = self.commit.val();
            self.classifying.d.next = self.classify.val() & self.learn.val();
            self.phase.d.next = 0.into();
            if self.commit.val() {
                self.phase.d.next = 12.into(); // (literal phase::FIRST_UPDATE)
            }
            self.running.d.next = true;
            self.setup.d.next = true;
        }
        self.busy.next = self.running.q.val();
    }
}
