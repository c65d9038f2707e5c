//! `ForwardStep<B, L>`: one time step of the LTC layer and the liquid readout for up to B
//! streams on L weight lanes, bit-exact with the golden model's `Kernel::forward` per stream.
//!
//! **Lanes.** Lane l owns the rows k with k mod L = l of every weight tensor (W_in, W_rec,
//! b_I, W_m, c_m, W_a, c_a, W_o, c_o, W_ot, c_ot) in its own weight bank, and the same
//! elements of every per-neuron or per-output vector (x, s, u, b, I, alpha, rho, J, alpha^o,
//! o) in its own vector banks, for every stream. [`Banking`] is the one map from the golden
//! flat layout and from (stream, element) to (lane, bank address); the host loads and reads
//! through it. Each lane has one multiply-accumulate pipeline ([`Mac`], its 18x18 multiplier
//! with registered inputs and outputs behind the bank's registered read), one sigmoid table
//! ([`SigmoidRom`]) and one element-wise neuron pipeline ([`NeuronUpdate`]).
//!
//! **Streams.** Stream b's state lives at bank address b R + r (R = rows per lane). A weight
//! word read from a bank feeds the lane's multiplier for streams 0..=`last_stream` on
//! consecutive cycles, stream b adding into the MAC's accumulator slot b, before the next word
//! is read; `last_stream` (< B) is the run-time batch. The activation of column j is the
//! element j of a vector, read from lane j mod L's bank and broadcast to all lanes, so every
//! bank of every lane reads at one shared address each cycle.
//!
//! A pulse on `start` runs seven phases, each until its last result is written back:
//!
//! | phase | rows | terms of row k | result |
//! |---|---|---|---|
//! | 0 I | H | W_in x, W_rec (s 2^14), b_I 2^14 | I (MAC, shift 14) |
//! | 1 z_m | H | W_m [I; u], c_m 2^12 | alpha = sigma (MAC shift 12, sigmoid) |
//! | 2 z_a | H | W_a [I (shifted up 4); b], c_a 2^16 | rho = sigma (MAC shift 16, sigmoid) |
//! | 3 N | H | - | b, s, u by the [`NeuronUpdate`] pipeline |
//! | 4 J | C | W_o (s 2^12), c_o 2^12 | J (MAC, shift 12) |
//! | 5 z_o | C | W_ot [J; o], c_ot 2^12 | alpha^o = sigma (MAC shift 12, sigmoid) |
//! | 6 P | C | - | o = o + alpha^o (J - o), the `v` path of the same pipeline |
//!
//! A phase's parameters (rows per lane, segment lengths, activation sources, weight row bases
//! and strides in the lane banks, bias operand) come from a small per-phase configuration
//! table ([`cfg`]), filled at power-on for the shape the unit is built for; the host may
//! rewrite it ([`config_writes`]) to run any shape no larger in any dimension. The maxima are
//! synthesis-time: dimensions up to 2^[`DIM_BITS`], [`WEIGHT_ADDR_BITS`] and
//! [`BANK_ADDR_BITS`] bank sizes, B and L. The term generator walks local rows r, in each row segment 1,
//! segment 2 and the bias, and for each term the streams; the pipelines drain between phases.
//! Spike and bias terms (w s 2^f, w 2^f) are additions in the MAC, not products. While idle, the
//! host reads any stream's u, b, s, o through the `rd_*` port (one registered read per cycle).

use crate::lane::ForwardLane;
use crate::mac::MAC_LATENCY;
use crate::neuron::NEURON_LATENCY;
use crate::word::to_signed;
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Shape, Tensor};
use rust_hdl::prelude::*;

/// Weight bank address bits (4096 weight operands per lane: 4 EBR blocks).
pub const WEIGHT_ADDR_BITS: usize = 12;
/// Dimension bits: I, H and C at most 64.
pub const DIM_BITS: usize = 6;
/// Vector bank address bits (streams x rows per lane at most 1024).
pub const BANK_ADDR_BITS: usize = 10;
/// Stream index bits (at most 16 streams).
pub const STREAM_BITS: usize = crate::mac::SLOT_BITS;
/// Lane index bits (at most 32 lanes).
pub const LANE_BITS: usize = 5;

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
    /// Bits of the code.
    pub const BITS: usize = 4;
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
}
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
}

/// The phase table for `shape` on `bank` (indexed by phase number; entry 7 unused).
fn phases(shape: Shape, bank: &Banking, n: &Numerics) -> [Phase; 8] {
    let f = Kernel::new(*n).f;
    let off = |t| bank.base(t) as u64;
    let lanes = bank.lanes as u64;
    let (ni, h, c) = (shape.inputs as u64, shape.hidden as u64, shape.outputs as u64);
    let dot = |rows: u64, n1: u64, n2: u64| Phase {
        last_row: rows.div_ceil(lanes) - 1,
        last1: n1 - 1,
        last2: n2.max(1) - 1,
        has2: n2 > 0,
        ..Phase::default()
    };
    let elem = |rows: u64| Phase { last_row: rows.div_ceil(lanes) - 1, elem: true, ..Phase::default() };
    let mut p = [Phase::default(); 8];
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
        src1: src::SPIKE,
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
        return Err(format!("shape {shape:?}: I, H and C are at most {lim}"));
    }
    let bank = Banking::new(shape, lanes);
    if bank.weight_words() > 1 << WEIGHT_ADDR_BITS {
        return Err(format!(
            "shape {shape:?} on {lanes} lanes needs {} weight words per lane; a lane's bank holds {}: use more lanes",
            bank.weight_words(),
            1 << WEIGHT_ADDR_BITS
        ));
    }
    if bank.vector_words(streams) > 1 << BANK_ADDR_BITS {
        return Err(format!(
            "{streams} streams of shape {shape:?} on {lanes} lanes need {} words per vector bank; a bank holds {}",
            bank.vector_words(streams),
            1 << BANK_ADDR_BITS
        ));
    }
    Ok(())
}

/// What a host write targets (`host_sel`).
pub mod host {
    /// A weight operand: `host_lane`, `host_addr` from [`super::Banking::weight`].
    pub const WEIGHT: u64 = 0;
    /// An input x code: `host_lane`, `host_addr` from [`super::Banking::vector`].
    pub const INPUT: u64 = 1;
    /// A configuration word: `host_addr` = field << 3 | phase ([`super::cfg`], [`super::config_writes`]).
    pub const CONFIG: u64 = 2;
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
    /// Flags: up1, has2, sigmoid, element-wise, rounding select (2 bits).
    pub const FLAGS: usize = 11;
    /// Rows per lane of the vector banks (every phase's entry).
    pub const ROWS: usize = 12;
    /// Number of fields.
    pub const FIELDS: usize = 13;
}
const _: () = assert!(cfg::FIELDS <= 16, "the field is host_addr[6:3]");
const _: () = assert!(host::WEIGHT == 0 && host::INPUT == 1 && host::CONFIG == 2, "literal codes");
const _: () = assert!(cfg::LAST_ROW == 0 && cfg::FLAGS == 11 && cfg::ROWS == 12, "literal field codes");

/// The configuration table of `shape` on `lanes` lanes: `[field][phase]`.
pub fn config_table(shape: Shape, lanes: usize, n: &Numerics) -> [[i64; 8]; cfg::FIELDS] {
    let bank = Banking::new(shape, lanes);
    let p = phases(shape, &bank, n);
    let field = |g: &dyn Fn(&Phase) -> i64| std::array::from_fn(|k| g(&p[k]));
    let mut t = [[0; 8]; cfg::FIELDS];
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
        (q.up1 as u64 | (q.has2 as u64) << 1 | (q.sig as u64) << 2 | (q.elem as u64) << 3 | q.sel << 4) as i64
    });
    t[cfg::ROWS] = [bank.rows_per_lane as i64; 8];
    t
}

/// The host writes (`host_addr`, `host_data`, with `host_sel` = [`host::CONFIG`]) that set a
/// unit of `lanes` lanes to run `shape` (at most the shape it was built for in every dimension),
/// under the default formats.
pub fn config_writes(shape: Shape, lanes: usize) -> Vec<(usize, i64)> {
    let t = config_table(shape, lanes, &Numerics::DEFAULT);
    (0..cfg::FIELDS).flat_map(|f| (0..8).map(move |ph| (f << 3 | ph, t[f][ph]))).collect()
}

/// Cycles one step takes for `shape` on `lanes` lanes with `streams` streams, from the
/// `start` edge until `busy` is low again.
pub fn step_cycles(shape: Shape, lanes: usize, streams: usize) -> usize {
    let (ni, h, c) = (shape.inputs, shape.hidden, shape.outputs);
    let (hl, cl) = (h.div_ceil(lanes), c.div_ceil(lanes));
    // per phase: two setup edges (the phase's parameters, the counters), the bank read, then (dot products) the activation register,
    // the MAC and maybe the sigmoid, or (element-wise) the neuron pipeline
    let mac = 2 + 1 + 1 + MAC_LATENCY;
    let sig = mac + SIG_EDGES;
    let elem = 2 + 1 + NEURON_LATENCY;
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

/// The ideal cycles of one step: one multiply-accumulate per parameter word and stream, on
/// `lanes` multipliers.
pub fn ideal_step_cycles(shape: Shape, lanes: usize, streams: usize) -> f64 {
    (Layout::new(shape).len() * streams) as f64 / lanes as f64
}

/// The forward-step unit (`L` weight lanes, up to `B` streams).
#[derive(LogicBlock)]
pub struct ForwardStep<const B: usize, const L: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Host write strobe.
    pub host_we: Signal<In, Bit>,
    /// Host write target ([`host`] codes): weight bank, input x bank, configuration.
    pub host_sel: Signal<In, Bits<2>>,
    /// Host write lane ([`Banking`]).
    pub host_lane: Signal<In, Bits<LANE_BITS>>,
    /// Host write bank address ([`Banking::weight`] or [`Banking::vector`]).
    pub host_addr: Signal<In, Bits<WEIGHT_ADDR_BITS>>,
    /// Host write data (weight operand Q5.12 or input Q3.14 code).
    pub host_data: Signal<In, Signed<18>>,
    /// The run-time batch: streams 0..=`last_stream` run (less than B; hold while busy).
    pub last_stream: Signal<In, Bits<STREAM_BITS>>,
    /// Start one step (ignored while busy).
    pub start: Signal<In, Bit>,
    /// Read-back: which vector ([`rd`] codes), honoured while not busy.
    pub rd_vec: Signal<In, Bits<{ rd::BITS }>>,
    /// Read-back: which lane.
    pub rd_lane: Signal<In, Bits<LANE_BITS>>,
    /// Read-back: vector bank address ([`Banking::vector`]).
    pub rd_addr: Signal<In, Bits<BANK_ADDR_BITS>>,
    /// Read-back data, one edge after `rd_*`.
    pub rd_data: Signal<Out, Signed<18>>,
    /// A step is running.
    pub busy: Signal<Out, Bit>,
    lane: [ForwardLane<B>; L],
    // phase table (host-writable; read at the phase, registered)
    cfg_last_row: RAM<Bits<DIM_BITS>, 3>,
    cfg_last1: RAM<Bits<DIM_BITS>, 3>,
    cfg_last2: RAM<Bits<DIM_BITS>, 3>,
    cfg_src1: RAM<Bits<3>, 3>,
    cfg_src2: RAM<Bits<3>, 3>,
    cfg_base1: RAM<Bits<WEIGHT_ADDR_BITS>, 3>,
    cfg_base2: RAM<Bits<WEIGHT_ADDR_BITS>, 3>,
    cfg_stride1: RAM<Bits<WEIGHT_ADDR_BITS>, 3>,
    cfg_stride2: RAM<Bits<WEIGHT_ADDR_BITS>, 3>,
    cfg_bbase: RAM<Bits<WEIGHT_ADDR_BITS>, 3>,
    cfg_bact: RAM<Signed<18>, 3>,
    cfg_flags: RAM<Bits<8>, 3>,
    cfg_rows: RAM<Bits<BANK_ADDR_BITS>, 3>,
    // sequencer state
    phase: DFF<Bits<3>>,
    running: DFF<Bit>,
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
    src_1: DFF<Bits<3>>,
    jl_1: DFF<Bits<LANE_BITS>>,
    b_1: DFF<Bits<STREAM_BITS>>,
    // stage 2 (activation registered, weight read): into the MACs
    act: DFF<Signed<18>>,
    v2: DFF<Bit>,
    f2: DFF<Bit>,
    l2: DFF<Bit>,
    u2: DFF<Bit>,
    g2: DFF<Bit>,
    b_2: DFF<Bits<STREAM_BITS>>,
    sv: [DFF<Bit>; SIG_EDGES],
    rd_vec_d: DFF<Bits<{ rd::BITS }>>,
    rd_lane_d: DFF<Bits<LANE_BITS>>,
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
    t_src: Signal<Local, Bits<3>>,
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
        fn table<const W: usize>(v: &[i64]) -> RAM<Bits<W>, 3> {
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
            rd_vec: Signal::default(),
            rd_lane: Signal::default(),
            rd_addr: Signal::default(),
            rd_data: Signal::default(),
            busy: Signal::default(),
            lane: std::array::from_fn(|_| ForwardLane::new(n, bank.weight_words(), words)),
            cfg_last_row: table(&t[cfg::LAST_ROW]),
            cfg_last1: table(&t[cfg::LAST1]),
            cfg_last2: table(&t[cfg::LAST2]),
            cfg_src1: table(&t[cfg::SRC1]),
            cfg_src2: table(&t[cfg::SRC2]),
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
            jl_1: DFF::default(),
            b_1: DFF::default(),
            act: DFF::default(),
            v2: DFF::default(),
            f2: DFF::default(),
            l2: DFF::default(),
            u2: DFF::default(),
            g2: DFF::default(),
            b_2: DFF::default(),
            sv: Default::default(),
            rd_vec_d: DFF::default(),
            rd_lane_d: DFF::default(),
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
            self, clock, phase, running, setup, setup2, issuing, r, j, jr, jl, seg, b, sb, rb1, rb2, rbias, waddr,
            res_r, res_b, res_sb, v1, f1, l1, u1, g1, src_1, jl_1, b_1, act, v2, f2, l2, u2, g2, b_2, rd_vec_d,
            rd_lane_d
        );
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

        // Host writes of the configuration: field (host_addr[6:3]) of phase (host_addr[2:0]).
        self.host_bits.next = unsigned_cast(self.host_data.val());
        self.cfg_we.next = self.host_we.val() & (self.host_sel.val() == 2);
        self.cfg_last_row.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_last1.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_last2.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_src1.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_src2.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_base1.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_base2.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_stride1.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_stride2.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_bbase.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_bact.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_flags.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_rows.write_address.next = self.host_addr.val().get_bits::<3>(0);
        self.cfg_last_row.write_data.next = self.host_bits.val().get_bits::<DIM_BITS>(0);
        self.cfg_last1.write_data.next = self.host_bits.val().get_bits::<DIM_BITS>(0);
        self.cfg_last2.write_data.next = self.host_bits.val().get_bits::<DIM_BITS>(0);
        self.cfg_src1.write_data.next = self.host_bits.val().get_bits::<3>(0);
        self.cfg_src2.write_data.next = self.host_bits.val().get_bits::<3>(0);
        self.cfg_base1.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_base2.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_stride1.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_stride2.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_bbase.write_data.next = self.host_bits.val().get_bits::<WEIGHT_ADDR_BITS>(0);
        self.cfg_bact.write_data.next = self.host_data.val();
        self.cfg_flags.write_data.next = self.host_bits.val().get_bits::<8>(0);
        self.cfg_rows.write_data.next = self.host_bits.val().get_bits::<BANK_ADDR_BITS>(0);
        self.cfg_last_row.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 0);
        self.cfg_last1.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 1);
        self.cfg_last2.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 2);
        self.cfg_src1.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 3);
        self.cfg_src2.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 4);
        self.cfg_base1.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 5);
        self.cfg_base2.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 6);
        self.cfg_stride1.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 7);
        self.cfg_stride2.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 8);
        self.cfg_bbase.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 9);
        self.cfg_bact.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 10);
        self.cfg_flags.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 11);
        self.cfg_rows.write_enable.next = self.cfg_we.val() & (self.host_addr.val().get_bits::<4>(3) == 12);

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

        // Term generator (stage 0): this cycle's term (row r, segment, column j, stream b).
        // Widths are matched before adding (an add wraps at its operands' width in rust-hdl).
        self.j_w.next = bit_cast::<WEIGHT_ADDR_BITS, DIM_BITS>(self.j.q.val());
        self.r_v.next = bit_cast::<BANK_ADDR_BITS, DIM_BITS>(self.r.q.val());
        self.jr_v.next = bit_cast::<BANK_ADDR_BITS, DIM_BITS>(self.jr.q.val());
        self.res_v.next = bit_cast::<BANK_ADDR_BITS, DIM_BITS>(self.res_r.q.val());
        self.stream_done.next = self.b.q.val() == self.last_stream.val();
        self.t_valid.next = self.issuing.q.val();
        self.t_first.next = false;
        self.t_last.next = false;
        self.t_up.next = false;
        self.t_src.next = self.cfg_src1.read_data.val();
        self.waddr.d.next = self.rb1.q.val() + self.j_w.val();
        // (an if/else chain: a lane input assigned twice per evaluation glitches in Icarus)
        if !self.running.q.val() {
            self.vaddr.next = self.rd_addr.val();
        } else if self.elem.val() {
            self.vaddr.next = self.sb.q.val() + self.r_v.val();
        } else {
            self.vaddr.next = self.sb.q.val() + self.jr_v.val();
        }
        if self.issuing.q.val() {
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
                    }
                }
            }
        }

        // Stage 1: the vector operands are out of the banks (every bank reads at `vaddr`).
        self.v1.d.next = self.t_valid.val();
        self.f1.d.next = self.t_first.val();
        self.l1.d.next = self.t_last.val();
        self.u1.d.next = self.t_up.val();
        self.src_1.d.next = self.t_src.val();
        // spike and bias terms are additions in the MAC (codes 1 and 7)
        self.g1.d.next = (self.t_src.val() == 1) | (self.t_src.val() == 7);
        self.jl_1.d.next = self.jl.q.val();
        self.b_1.d.next = self.b.q.val();
        // The term's activation from lane jl's bank, registered (stage 2) and broadcast.
        self.act.d.next = self.cfg_bact.read_data.val();
        for l in 0..L {
            if self.jl_1.q.val().index() == l {
                self.act.d.next = self.lane[l].cand.val();
            }
        }
        self.v2.d.next = self.v1.q.val() & !self.elem.val();
        self.f2.d.next = self.f1.q.val();
        self.l2.d.next = self.l1.q.val();
        self.u2.d.next = self.u1.q.val();
        self.g2.d.next = self.g1.q.val();
        self.b_2.d.next = self.b_1.q.val();
        self.elem_v.next = self.v1.q.val() & self.elem.val();

        // Results, in (row, stream) order in every lane at once (all lanes run in lockstep:
        // lane 0's flags time them all).
        self.mac_v.next = self.lane[0].y_valid.val();
        self.sv[0].d.next = self.mac_v.val() & self.sig.val();
        for i in 1..SIG_EDGES {
            self.sv[i].d.next = self.sv[i - 1].q.val();
        }
        if self.elem.val() {
            self.wvalid.next = self.lane[0].n_valid.val();
        } else if self.sig.val() {
            self.wvalid.next = self.sv[4].q.val();
        } else {
            self.wvalid.next = self.mac_v.val();
        }
        self.res_addr.next = self.res_sb.q.val() + self.res_v.val();

        // Every lane: the shared addresses and flags (stage 0 reads, stage 1 element-wise
        // operands, stage 2 MAC terms), its own host write strobes.
        for l in 0..L {
            self.lane[l].vaddr.next = self.vaddr.val();
            self.lane[l].waddr.next = self.waddr.q.val();
            self.lane[l].src.next = self.src_1.q.val();
            self.lane[l].bact.next = self.cfg_bact.read_data.val();
            self.lane[l].rd_vec.next = self.rd_vec_d.q.val();
            self.lane[l].act.next = self.act.q.val();
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
            self.lane[l].w_we.next =
                (self.host_we.val() & (self.host_sel.val() == 0)) & (self.host_lane.val().index() == l);
            self.lane[l].x_we.next =
                (self.host_we.val() & (self.host_sel.val() == 1)) & (self.host_lane.val().index() == l);
        }

        // Read-back (the banks read at `rd_addr` while idle).
        self.rd_vec_d.d.next = self.rd_vec.val();
        self.rd_lane_d.d.next = self.rd_lane.val();
        self.rd_data.next = self.zero.val();
        for l in 0..L {
            if self.rd_lane_d.q.val().index() == l {
                self.rd_data.next = self.lane[l].rd_cand.val();
            }
        }

        // Phase control: a phase ends when its last result (last row, last stream) is written.
        self.setup.d.next = false;
        if self.wvalid.val() {
            if self.res_b.q.val() == self.last_stream.val() {
                self.res_b.d.next = 0.into();
                self.res_sb.d.next = 0.into();
                self.res_r.d.next = self.res_r.q.val() + 1;
                if self.res_r.q.val() == self.cfg_last_row.read_data.val() {
                    self.phase.d.next = self.phase.q.val() + 1;
                    self.setup.d.next = true;
                    if self.phase.q.val() == 6 {
                        self.running.d.next = false;
                        self.setup.d.next = false;
                    }
                }
            } else {
                self.res_b.d.next = self.res_b.q.val() + 1;
                self.res_sb.d.next = self.res_sb.q.val() + self.cfg_rows.read_data.val();
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
            self.issuing.d.next = true;
        }
        if self.start.val() & !self.running.q.val() {
            self.phase.d.next = 0.into();
            self.running.d.next = true;
            self.setup.d.next = true;
        }
        self.busy.next = self.running.q.val();
    }
}
