//! `ForwardStep<B>`: one time step of the LTC layer and the liquid readout for B streams, on
//! one weight lane (L = 1), bit-exact with the golden model's `Kernel::forward` per stream.
//!
//! The weight operands (18-bit codes, golden flat layout) sit in one RAM (EBR) the host fills
//! through the `host_*` port, as are the B input vectors x. Each stream has its own datapath
//! (a MAC lane, a sigmoid, a neuron pipeline) and its own small RAMs for the state (u, s, b,
//! o) and every intermediate vector (I, alpha, rho, J, alpha^o); every weight word read feeds
//! the B streams' multipliers in the same cycle, so one sequencer and one weight read serve
//! all streams. All vector RAMs read at one shared address. A pulse on `start` runs seven
//! phases, each until its last result is written back:
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
//! A phase's parameters (row count, segment lengths, activation sources, weight row bases and
//! strides, bias operand) come from small per-phase ROMs filled from the shape at
//! construction. The term generator walks rows k, and in each row segment 1, segment 2 and
//! the bias; a term's weight and activation are read at one edge and enter the MAC lane at
//! the next. One term per cycle; the pipelines drain between phases. The results of phase N
//! (b, s, u of neuron `obs_idx`) and P (o) of stream 0 are also presented on the `n_*`
//! outputs with `obs_n` / `obs_o`; while idle, the host reads any stream's u, b, s, o through
//! the `rd_*` port (one registered read per cycle). Each stream's MAC lane holds the three
//! roundings (shifts 14, 12, 16) behind one multiplier; the phase selects one.

use crate::mac::Mac;
use crate::neuron::NeuronUpdate;
use crate::sigmoid_rom::SigmoidRom;
use crate::word::to_signed;
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Shape, Tensor, THRESHOLD_BASE};
use rust_hdl::prelude::*;

/// Weight RAM address bits (2048 weight operands).
pub const WEIGHT_ADDR_BITS: usize = 11;
/// Vector RAM address bits (at most 64 inputs, neurons and outputs).
pub const VEC_ADDR_BITS: usize = 6;
/// Stream index bits (at most 16 streams).
pub const STREAM_BITS: usize = 4;

/// What the read-back port reads (`rd_vec`).
pub mod rd {
    /// u (state format).
    pub const U: u64 = 0;
    /// b (gate format).
    pub const B: u64 = 1;
    /// s (0 or 1).
    pub const S: u64 = 2;
    /// o (state format).
    pub const O: u64 = 3;
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

/// The phase table for `shape` (indexed by phase number; entry 7 unused).
fn phases(shape: Shape, n: &Numerics) -> [Phase; 8] {
    let f = Kernel::new(*n).f;
    let l = Layout::new(shape);
    let off = |t| l.range(t).start as u64;
    let (ni, h, c) = (shape.inputs as u64, shape.hidden as u64, shape.outputs as u64);
    let dot = |rows: u64, n1: u64, n2: u64| Phase {
        last_row: rows - 1,
        last1: n1 - 1,
        last2: n2.max(1) - 1,
        has2: n2 > 0,
        ..Phase::default()
    };
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
    p[3] = Phase { last_row: h - 1, elem: true, ..Phase::default() };
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
    p[6] = Phase { last_row: c - 1, elem: true, ..Phase::default() };
    p
}

/// Cycles one step takes for `shape`, from the `start` edge until `busy` is low again.
pub fn step_cycles(shape: Shape) -> usize {
    let (ni, h, c) = (shape.inputs, shape.hidden, shape.outputs);
    // per dot-product phase: setup + RAM read + MAC (+ sigmoid) drain after its terms
    let mac = 1 + 1 + crate::mac::MAC_LATENCY;
    let sig = mac + SIG_EDGES;
    let elem = 1 + 1 + crate::neuron::NEURON_LATENCY;
    h * (ni + h + 1)
        + mac
        + 2 * (h * (2 * h + 1) + sig)
        + (h + elem)
        + c * (h + 1)
        + mac
        + c * (2 * c + 1)
        + sig
        + (c + elem)
}

/// The forward-step unit (one weight lane, `B` streams).
#[derive(LogicBlock)]
pub struct ForwardStep<const B: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Host write strobe.
    pub host_we: Signal<In, Bit>,
    /// Host write target: 0 weight RAM, 1 input x.
    pub host_sel: Signal<In, Bit>,
    /// Host write address (weight index in the golden flat layout, or input index).
    pub host_addr: Signal<In, Bits<WEIGHT_ADDR_BITS>>,
    /// Stream of an input write.
    pub host_stream: Signal<In, Bits<STREAM_BITS>>,
    /// Host write data (weight operand Q5.12 or input Q3.14 code).
    pub host_data: Signal<In, Signed<18>>,
    /// Start one step (ignored while busy).
    pub start: Signal<In, Bit>,
    /// Read-back: which vector ([`rd`] codes), honoured while not busy.
    pub rd_vec: Signal<In, Bits<2>>,
    /// Read-back: which stream.
    pub rd_stream: Signal<In, Bits<STREAM_BITS>>,
    /// Read-back: which element.
    pub rd_addr: Signal<In, Bits<VEC_ADDR_BITS>>,
    /// Read-back data, one edge after `rd_*`.
    pub rd_data: Signal<Out, Signed<18>>,
    /// A step is running.
    pub busy: Signal<Out, Bit>,
    /// The `n_*` outputs hold the new b, s, u of neuron `obs_idx` (stream 0).
    pub obs_n: Signal<Out, Bit>,
    /// `n_v` holds the new o of output `obs_idx` (stream 0).
    pub obs_o: Signal<Out, Bit>,
    /// Index of the observed neuron or output.
    pub obs_idx: Signal<Out, Bits<VEC_ADDR_BITS>>,
    /// New b (gate format).
    pub n_b: Signal<Out, Signed<18>>,
    /// New s.
    pub n_s: Signal<Out, Bit>,
    /// New u (state format).
    pub n_u: Signal<Out, Signed<18>>,
    /// New v (state format); the new o in phase P.
    pub n_v: Signal<Out, Signed<18>>,
    // memories
    wram: RAM<Signed<18>, WEIGHT_ADDR_BITS>,
    x_ram: [RAM<Signed<18>, VEC_ADDR_BITS>; B],
    s_ram: [RAM<Bit, VEC_ADDR_BITS>; B],
    u_ram: [RAM<Signed<18>, VEC_ADDR_BITS>; B],
    b_ram: [RAM<Signed<18>, VEC_ADDR_BITS>; B],
    i_ram: [RAM<Signed<18>, VEC_ADDR_BITS>; B],
    alpha_ram: [RAM<Signed<18>, VEC_ADDR_BITS>; B],
    rho_ram: [RAM<Signed<18>, VEC_ADDR_BITS>; B],
    j_ram: [RAM<Signed<18>, VEC_ADDR_BITS>; B],
    ao_ram: [RAM<Signed<18>, VEC_ADDR_BITS>; B],
    o_ram: [RAM<Signed<18>, VEC_ADDR_BITS>; B],
    // phase table
    rom_last_row: ROM<Bits<VEC_ADDR_BITS>, 3>,
    rom_last1: ROM<Bits<VEC_ADDR_BITS>, 3>,
    rom_last2: ROM<Bits<VEC_ADDR_BITS>, 3>,
    rom_src1: ROM<Bits<3>, 3>,
    rom_src2: ROM<Bits<3>, 3>,
    rom_base1: ROM<Bits<WEIGHT_ADDR_BITS>, 3>,
    rom_base2: ROM<Bits<WEIGHT_ADDR_BITS>, 3>,
    rom_stride1: ROM<Bits<WEIGHT_ADDR_BITS>, 3>,
    rom_stride2: ROM<Bits<WEIGHT_ADDR_BITS>, 3>,
    rom_bbase: ROM<Bits<WEIGHT_ADDR_BITS>, 3>,
    rom_bact: ROM<Signed<18>, 3>,
    rom_flags: ROM<Bits<8>, 3>,
    // datapath
    mac: [Mac; B],
    sigmoid: [SigmoidRom; B],
    neuron: [NeuronUpdate; B],
    // sequencer state
    phase: DFF<Bits<3>>,
    running: DFF<Bit>,
    setup: DFF<Bit>,
    issuing: DFF<Bit>,
    k: DFF<Bits<VEC_ADDR_BITS>>,
    j: DFF<Bits<VEC_ADDR_BITS>>,
    seg: DFF<Bits<2>>,
    rb1: DFF<Bits<WEIGHT_ADDR_BITS>>,
    rb2: DFF<Bits<WEIGHT_ADDR_BITS>>,
    res: DFF<Bits<VEC_ADDR_BITS>>,
    // stage 1 (operands read)
    v1: DFF<Bit>,
    f1: DFF<Bit>,
    l1: DFF<Bit>,
    u1: DFF<Bit>,
    src_1: DFF<Bits<3>>,
    sv: [DFF<Bit>; SIG_EDGES],
    rd_vec_d: DFF<Bits<2>>,
    rd_stream_d: DFF<Bits<STREAM_BITS>>,
    // combinational
    up1: Signal<Local, Bit>,
    has2: Signal<Local, Bit>,
    sig: Signal<Local, Bit>,
    elem: Signal<Local, Bit>,
    sel: Signal<Local, Bits<2>>,
    j_w: Signal<Local, Bits<WEIGHT_ADDR_BITS>>,
    k_w: Signal<Local, Bits<WEIGHT_ADDR_BITS>>,
    t_valid: Signal<Local, Bit>,
    t_first: Signal<Local, Bit>,
    t_last: Signal<Local, Bit>,
    t_up: Signal<Local, Bit>,
    t_src: Signal<Local, Bits<3>>,
    vaddr: Signal<Local, Bits<VEC_ADDR_BITS>>,
    mac_v: Signal<Local, Bit>,
    wvalid: Signal<Local, Bit>,
    zero: Constant<Signed<18>>,
    one: Constant<Signed<18>>,
}

impl<const B: usize> ForwardStep<B> {
    /// The unit for a network of `shape` under the accelerator's formats.
    pub fn new(shape: Shape) -> Self {
        Self::with(shape, Numerics::DEFAULT)
    }

    /// The unit for `shape` and formats `n` (state, gate: 18 bits); every dimension at most
    /// 2^[`VEC_ADDR_BITS`], the layout at most 2^[`WEIGHT_ADDR_BITS`] words.
    pub fn with(shape: Shape, n: Numerics) -> Self {
        assert!((1..=1 << STREAM_BITS).contains(&B), "1..=16 streams");
        let lim = 1usize << VEC_ADDR_BITS;
        assert!(shape.inputs <= lim && shape.hidden <= lim && shape.outputs <= lim, "shape too large");
        assert!(Layout::new(shape).len() <= 1 << WEIGHT_ADDR_BITS, "layout too large for the weight RAM");
        let f = Kernel::new(n).f;
        let p = phases(shape, &n);
        let bits = |g: fn(&Phase) -> u64| p.iter().map(g).collect::<Vec<_>>();
        fn rom<const W: usize>(v: Vec<u64>) -> ROM<Bits<W>, 3> {
            ROM::from(v.into_iter().map(Bits::<W>::from))
        }
        fn ram(v: i64) -> RAM<Signed<18>, VEC_ADDR_BITS> {
            RAM::from((0..1 << VEC_ADDR_BITS).map(|_| to_signed::<18>(v)))
        }
        let rams = |v: i64| std::array::from_fn(|_| ram(v));
        let flags =
            bits(|q| q.up1 as u64 | (q.has2 as u64) << 1 | (q.sig as u64) << 2 | (q.elem as u64) << 3 | q.sel << 4);
        let b0 = n.gate.quantize(THRESHOLD_BASE);
        Self {
            clock: Signal::default(),
            host_we: Signal::default(),
            host_sel: Signal::default(),
            host_addr: Signal::default(),
            host_stream: Signal::default(),
            rd_vec: Signal::default(),
            rd_stream: Signal::default(),
            rd_addr: Signal::default(),
            rd_data: Signal::default(),
            host_data: Signal::default(),
            start: Signal::default(),
            busy: Signal::default(),
            obs_n: Signal::default(),
            obs_o: Signal::default(),
            obs_idx: Signal::default(),
            n_b: Signal::default(),
            n_s: Signal::default(),
            n_u: Signal::default(),
            n_v: Signal::default(),
            wram: RAM::from((0..1 << WEIGHT_ADDR_BITS).map(|_| to_signed::<18>(0))),
            x_ram: rams(0),
            s_ram: std::array::from_fn(|_| RAM::from((0..1 << VEC_ADDR_BITS).map(|_| false))),
            u_ram: rams(0),
            b_ram: rams(b0),
            i_ram: rams(0),
            alpha_ram: rams(0),
            rho_ram: rams(0),
            j_ram: rams(0),
            ao_ram: rams(0),
            o_ram: rams(0),
            rom_last_row: rom(bits(|q| q.last_row)),
            rom_last1: rom(bits(|q| q.last1)),
            rom_last2: rom(bits(|q| q.last2)),
            rom_src1: rom(bits(|q| q.src1)),
            rom_src2: rom(bits(|q| q.src2)),
            rom_base1: rom(bits(|q| q.base1)),
            rom_base2: rom(bits(|q| q.base2)),
            rom_stride1: rom(bits(|q| q.stride1)),
            rom_stride2: rom(bits(|q| q.stride2)),
            rom_bbase: rom(bits(|q| q.bbase)),
            rom_bact: ROM::from(p.iter().map(|q| to_signed::<18>(q.bact))),
            rom_flags: rom(flags),
            mac: std::array::from_fn(|_| {
                Mac::with_shifts([f.w + f.x - f.s, f.w + f.s - f.s, f.w + f.g - f.s], f.g - f.s)
            }),
            sigmoid: std::array::from_fn(|_| SigmoidRom::with(n)),
            neuron: std::array::from_fn(|_| NeuronUpdate::with(n)),
            phase: DFF::default(),
            running: DFF::default(),
            setup: DFF::default(),
            issuing: DFF::default(),
            k: DFF::default(),
            j: DFF::default(),
            seg: DFF::default(),
            rb1: DFF::default(),
            rb2: DFF::default(),
            res: DFF::default(),
            v1: DFF::default(),
            f1: DFF::default(),
            l1: DFF::default(),
            u1: DFF::default(),
            src_1: DFF::default(),
            sv: Default::default(),
            rd_vec_d: DFF::default(),
            rd_stream_d: DFF::default(),
            up1: Signal::default(),
            has2: Signal::default(),
            sig: Signal::default(),
            elem: Signal::default(),
            sel: Signal::default(),
            j_w: Signal::default(),
            k_w: Signal::default(),
            t_valid: Signal::default(),
            t_first: Signal::default(),
            t_last: Signal::default(),
            t_up: Signal::default(),
            t_src: Signal::default(),
            vaddr: Signal::default(),
            mac_v: Signal::default(),
            wvalid: Signal::default(),
            zero: Constant::new(to_signed(0)),
            one: Constant::new(to_signed(1)),
        }
    }
}

impl<const B: usize> Logic for ForwardStep<B> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            phase,
            running,
            setup,
            issuing,
            k,
            j,
            seg,
            rb1,
            rb2,
            res,
            v1,
            f1,
            l1,
            u1,
            src_1,
            rd_vec_d,
            rd_stream_d
        );
        for i in 0..SIG_EDGES {
            self.sv[i].clock.next = self.clock.val();
        }
        self.wram.read_clock.next = self.clock.val();
        self.wram.write_clock.next = self.clock.val();
        for i in 0..B {
            self.mac[i].clock.next = self.clock.val();
            self.sigmoid[i].clock.next = self.clock.val();
            self.neuron[i].clock.next = self.clock.val();
            self.x_ram[i].read_clock.next = self.clock.val();
            self.x_ram[i].write_clock.next = self.clock.val();
            self.s_ram[i].read_clock.next = self.clock.val();
            self.s_ram[i].write_clock.next = self.clock.val();
            self.u_ram[i].read_clock.next = self.clock.val();
            self.u_ram[i].write_clock.next = self.clock.val();
            self.b_ram[i].read_clock.next = self.clock.val();
            self.b_ram[i].write_clock.next = self.clock.val();
            self.i_ram[i].read_clock.next = self.clock.val();
            self.i_ram[i].write_clock.next = self.clock.val();
            self.alpha_ram[i].read_clock.next = self.clock.val();
            self.alpha_ram[i].write_clock.next = self.clock.val();
            self.rho_ram[i].read_clock.next = self.clock.val();
            self.rho_ram[i].write_clock.next = self.clock.val();
            self.j_ram[i].read_clock.next = self.clock.val();
            self.j_ram[i].write_clock.next = self.clock.val();
            self.ao_ram[i].read_clock.next = self.clock.val();
            self.ao_ram[i].write_clock.next = self.clock.val();
            self.o_ram[i].read_clock.next = self.clock.val();
            self.o_ram[i].write_clock.next = self.clock.val();
        }

        // The current phase's parameters.
        self.rom_last_row.address.next = self.phase.q.val();
        self.rom_last1.address.next = self.phase.q.val();
        self.rom_last2.address.next = self.phase.q.val();
        self.rom_src1.address.next = self.phase.q.val();
        self.rom_src2.address.next = self.phase.q.val();
        self.rom_base1.address.next = self.phase.q.val();
        self.rom_base2.address.next = self.phase.q.val();
        self.rom_stride1.address.next = self.phase.q.val();
        self.rom_stride2.address.next = self.phase.q.val();
        self.rom_bbase.address.next = self.phase.q.val();
        self.rom_bact.address.next = self.phase.q.val();
        self.rom_flags.address.next = self.phase.q.val();
        self.up1.next = self.rom_flags.data.val().get_bit(0);
        self.has2.next = self.rom_flags.data.val().get_bit(1);
        self.sig.next = self.rom_flags.data.val().get_bit(2);
        self.elem.next = self.rom_flags.data.val().get_bit(3);
        self.sel.next = self.rom_flags.data.val().get_bits::<2>(4);

        // Term generator (stage 0): addresses of this cycle's term.
        self.j_w.next = bit_cast::<WEIGHT_ADDR_BITS, VEC_ADDR_BITS>(self.j.q.val());
        self.k_w.next = bit_cast::<WEIGHT_ADDR_BITS, VEC_ADDR_BITS>(self.k.q.val());
        self.t_valid.next = self.issuing.q.val();
        self.t_first.next = false;
        self.t_last.next = false;
        self.t_up.next = false;
        self.t_src.next = self.rom_src1.data.val();
        self.wram.read_address.next = self.rb1.q.val() + self.j_w.val();
        self.vaddr.next = self.j.q.val();
        if self.elem.val() {
            self.vaddr.next = self.k.q.val();
        }
        if !self.running.q.val() {
            self.vaddr.next = self.rd_addr.val();
        }
        self.j.d.next = self.j.q.val();
        self.k.d.next = self.k.q.val();
        self.seg.d.next = self.seg.q.val();
        self.rb1.d.next = self.rb1.q.val();
        self.rb2.d.next = self.rb2.q.val();
        self.issuing.d.next = self.issuing.q.val();
        if self.issuing.q.val() {
            if self.elem.val() {
                self.k.d.next = self.k.q.val() + 1;
                if self.k.q.val() == self.rom_last_row.data.val() {
                    self.issuing.d.next = false;
                }
            } else if self.seg.q.val() == 0 {
                self.t_first.next = self.j.q.val() == 0;
                self.t_up.next = self.up1.val();
                self.j.d.next = self.j.q.val() + 1;
                if self.j.q.val() == self.rom_last1.data.val() {
                    self.j.d.next = 0.into();
                    self.seg.d.next = 2.into();
                    if self.has2.val() {
                        self.seg.d.next = 1.into();
                    }
                }
            } else if self.seg.q.val() == 1 {
                self.t_src.next = self.rom_src2.data.val();
                self.wram.read_address.next = self.rb2.q.val() + self.j_w.val();
                self.j.d.next = self.j.q.val() + 1;
                if self.j.q.val() == self.rom_last2.data.val() {
                    self.j.d.next = 0.into();
                    self.seg.d.next = 2.into();
                }
            } else {
                // the bias term closes the row
                self.t_src.next = 7.into();
                self.t_last.next = true;
                self.wram.read_address.next = self.rom_bbase.data.val() + self.k_w.val();
                self.seg.d.next = 0.into();
                self.k.d.next = self.k.q.val() + 1;
                self.rb1.d.next = self.rb1.q.val() + self.rom_stride1.data.val();
                self.rb2.d.next = self.rb2.q.val() + self.rom_stride2.data.val();
                if self.k.q.val() == self.rom_last_row.data.val() {
                    self.issuing.d.next = false;
                }
            }
        }

        // Stage 1: the operands are out of the RAMs; one weight word feeds every stream.
        self.v1.d.next = self.t_valid.val();
        self.f1.d.next = self.t_first.val();
        self.l1.d.next = self.t_last.val();
        self.u1.d.next = self.t_up.val();
        self.src_1.d.next = self.t_src.val();
        for i in 0..B {
            // every vector RAM reads at the one activation address
            self.x_ram[i].read_address.next = self.vaddr.val();
            self.s_ram[i].read_address.next = self.vaddr.val();
            self.u_ram[i].read_address.next = self.vaddr.val();
            self.b_ram[i].read_address.next = self.vaddr.val();
            self.i_ram[i].read_address.next = self.vaddr.val();
            self.alpha_ram[i].read_address.next = self.vaddr.val();
            self.rho_ram[i].read_address.next = self.vaddr.val();
            self.j_ram[i].read_address.next = self.vaddr.val();
            self.ao_ram[i].read_address.next = self.vaddr.val();
            self.o_ram[i].read_address.next = self.vaddr.val();
            // the activation of this stream's term (one assignment per evaluation: a Mac
            // input that glitches can make Icarus loop forever)
            if self.src_1.q.val() == 0 {
                self.mac[i].a.next = self.x_ram[i].read_data.val();
            } else if self.src_1.q.val() == 1 {
                if self.s_ram[i].read_data.val() {
                    self.mac[i].a.next = self.rom_bact.data.val();
                } else {
                    self.mac[i].a.next = self.zero.val();
                }
            } else if self.src_1.q.val() == 2 {
                self.mac[i].a.next = self.i_ram[i].read_data.val();
            } else if self.src_1.q.val() == 3 {
                self.mac[i].a.next = self.u_ram[i].read_data.val();
            } else if self.src_1.q.val() == 4 {
                self.mac[i].a.next = self.b_ram[i].read_data.val();
            } else if self.src_1.q.val() == 5 {
                self.mac[i].a.next = self.j_ram[i].read_data.val();
            } else if self.src_1.q.val() == 6 {
                self.mac[i].a.next = self.o_ram[i].read_data.val();
            } else {
                self.mac[i].a.next = self.rom_bact.data.val();
            }
            self.mac[i].w.next = self.wram.read_data.val();
            self.mac[i].valid.next = self.v1.q.val() & !self.elem.val();
            self.mac[i].first.next = self.f1.q.val();
            self.mac[i].last.next = self.l1.q.val();
            self.mac[i].up.next = self.u1.q.val();
            self.mac[i].sel.next = self.sel.val();

            // the element-wise pipeline: neuron update (phase 3) or readout update (phase 6)
            self.neuron[i].in_valid.next = self.v1.q.val() & self.elem.val();
            self.neuron[i].rho.next = self.rho_ram[i].read_data.val();
            self.neuron[i].alpha.next = self.alpha_ram[i].read_data.val();
            self.neuron[i].current.next = self.i_ram[i].read_data.val();
            self.neuron[i].u_prev.next = self.u_ram[i].read_data.val();
            self.neuron[i].b_prev.next = self.b_ram[i].read_data.val();
            self.neuron[i].s_prev.next = self.s_ram[i].read_data.val();
            if self.phase.q.val() == 6 {
                self.neuron[i].alpha.next = self.ao_ram[i].read_data.val();
                self.neuron[i].current.next = self.j_ram[i].read_data.val();
                self.neuron[i].u_prev.next = self.o_ram[i].read_data.val();
            }
            self.sigmoid[i].z.next = self.mac[i].y.val();
        }

        // Results (every stream's pipelines run in lockstep: stream 0's flags time them all).
        self.mac_v.next = self.mac[0].y_valid.val();
        self.sv[0].d.next = self.mac_v.val() & self.sig.val();
        for i in 1..SIG_EDGES {
            self.sv[i].d.next = self.sv[i - 1].q.val();
        }
        self.wvalid.next = self.mac_v.val();
        if self.elem.val() {
            self.wvalid.next = self.neuron[0].out_valid.val();
        } else if self.sig.val() {
            self.wvalid.next = self.sv[4].q.val();
        }
        for i in 0..B {
            self.i_ram[i].write_address.next = self.res.q.val();
            self.alpha_ram[i].write_address.next = self.res.q.val();
            self.rho_ram[i].write_address.next = self.res.q.val();
            self.j_ram[i].write_address.next = self.res.q.val();
            self.ao_ram[i].write_address.next = self.res.q.val();
            self.u_ram[i].write_address.next = self.res.q.val();
            self.b_ram[i].write_address.next = self.res.q.val();
            self.s_ram[i].write_address.next = self.res.q.val();
            self.o_ram[i].write_address.next = self.res.q.val();
            self.i_ram[i].write_data.next = self.mac[i].y.val();
            self.alpha_ram[i].write_data.next = self.sigmoid[i].y.val();
            self.rho_ram[i].write_data.next = self.sigmoid[i].y.val();
            self.j_ram[i].write_data.next = self.mac[i].y.val();
            self.ao_ram[i].write_data.next = self.sigmoid[i].y.val();
            self.u_ram[i].write_data.next = self.neuron[i].u.val();
            self.b_ram[i].write_data.next = self.neuron[i].b.val();
            self.s_ram[i].write_data.next = self.neuron[i].s.val();
            self.o_ram[i].write_data.next = self.neuron[i].v.val();
            self.i_ram[i].write_enable.next = self.wvalid.val() & (self.phase.q.val() == 0);
            self.alpha_ram[i].write_enable.next = self.wvalid.val() & (self.phase.q.val() == 1);
            self.rho_ram[i].write_enable.next = self.wvalid.val() & (self.phase.q.val() == 2);
            self.u_ram[i].write_enable.next = self.wvalid.val() & (self.phase.q.val() == 3);
            self.b_ram[i].write_enable.next = self.wvalid.val() & (self.phase.q.val() == 3);
            self.s_ram[i].write_enable.next = self.wvalid.val() & (self.phase.q.val() == 3);
            self.j_ram[i].write_enable.next = self.wvalid.val() & (self.phase.q.val() == 4);
            self.ao_ram[i].write_enable.next = self.wvalid.val() & (self.phase.q.val() == 5);
            self.o_ram[i].write_enable.next = self.wvalid.val() & (self.phase.q.val() == 6);
            // host writes of this stream's input
            self.x_ram[i].write_address.next = self.host_addr.val().get_bits::<VEC_ADDR_BITS>(0);
            self.x_ram[i].write_data.next = self.host_data.val();
            self.x_ram[i].write_enable.next =
                (self.host_we.val() & self.host_sel.val()) & (self.host_stream.val().index() == i);
        }

        // Host writes of weights.
        self.wram.write_address.next = self.host_addr.val();
        self.wram.write_data.next = self.host_data.val();
        self.wram.write_enable.next = self.host_we.val() & !self.host_sel.val();

        // Read-back (the RAMs read at `rd_addr` while idle).
        self.rd_vec_d.d.next = self.rd_vec.val();
        self.rd_stream_d.d.next = self.rd_stream.val();
        self.rd_data.next = self.zero.val();
        for i in 0..B {
            if self.rd_stream_d.q.val().index() == i {
                if self.rd_vec_d.q.val() == 0 {
                    self.rd_data.next = self.u_ram[i].read_data.val();
                } else if self.rd_vec_d.q.val() == 1 {
                    self.rd_data.next = self.b_ram[i].read_data.val();
                } else if self.rd_vec_d.q.val() == 2 {
                    if self.s_ram[i].read_data.val() {
                        self.rd_data.next = self.one.val();
                    }
                } else {
                    self.rd_data.next = self.o_ram[i].read_data.val();
                }
            }
        }

        // Phase control.
        self.phase.d.next = self.phase.q.val();
        self.running.d.next = self.running.q.val();
        self.setup.d.next = false;
        self.res.d.next = self.res.q.val();
        if self.wvalid.val() {
            self.res.d.next = self.res.q.val() + 1;
            if self.res.q.val() == self.rom_last_row.data.val() {
                // the phase's last result is being written: on to the next phase
                self.phase.d.next = self.phase.q.val() + 1;
                self.setup.d.next = true;
                if self.phase.q.val() == 6 {
                    self.running.d.next = false;
                    self.setup.d.next = false;
                }
            }
        }
        if self.setup.q.val() {
            self.rb1.d.next = self.rom_base1.data.val();
            self.rb2.d.next = self.rom_base2.data.val();
            self.k.d.next = 0.into();
            self.j.d.next = 0.into();
            self.seg.d.next = 0.into();
            self.res.d.next = 0.into();
            self.issuing.d.next = true;
        }
        if self.start.val() & !self.running.q.val() {
            self.phase.d.next = 0.into();
            self.running.d.next = true;
            self.setup.d.next = true;
        }
        self.busy.next = self.running.q.val();
        self.obs_n.next = self.wvalid.val() & (self.phase.q.val() == 3);
        self.obs_o.next = self.wvalid.val() & (self.phase.q.val() == 6);
        self.obs_idx.next = self.res.q.val();
        self.n_b.next = self.neuron[0].b.val();
        self.n_s.next = self.neuron[0].s.val();
        self.n_u.next = self.neuron[0].u.val();
        self.n_v.next = self.neuron[0].v.val();
    }
}
