//! `GradMac`: the gradient of one parameter word summed over the streams, exactly as the golden
//! model's outer products form it: each term is delta x activation, shifted up to the
//! gradient accumulator's fraction bits (`Frac::acc` = delta + gate fraction bits) by the
//! activation's kind, and the terms `first..=last` are summed in 48 bits (never reached:
//! 64 streams of |d a| <= 2^34 shifted by at most 4 stay below 2^45).
//!
//! | kind | activation | term |
//! |---|---|---|
//! | 0 | input x | d x << (acc - delta - input) (2 by default) |
//! | 1 | state (I, u, J, o) | d a << (acc - delta - state) (4) |
//! | 2 | gate (b) | d a << (acc - delta - gate) (0) |
//! | 3 | binary (spike, or 1 for a bias) | a != 0 ? d << (acc - delta) (16) : 0 |
//!
//! One [`Mul18`] (binary terms bypass it). Latency [`GRAD_MAC_LATENCY`]: the sum is on `sum`,
//! with `sum_valid`, that many edges after the `last` term.

use crate::mul18::Mul18;
use crate::shift_up::ShiftUp;
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::Numerics;
use rust_hdl::prelude::*;

/// Edges from the last term to its sum.
pub const GRAD_MAC_LATENCY: usize = 3;

/// Activation kinds (the `kind` codes).
pub mod kind {
    /// Input x.
    pub const INPUT: u64 = 0;
    /// State format.
    pub const STATE: u64 = 1;
    /// Gate format.
    pub const GATE: u64 = 2;
    /// Spike or bias.
    pub const BINARY: u64 = 3;
}
const _: () = assert!(kind::INPUT == 0 && kind::STATE == 1 && kind::GATE == 2 && kind::BINARY == 3, "literal codes");

/// The exact per-word gradient over the streams.
#[derive(LogicBlock)]
pub struct GradMac {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The row's delta (delta format).
    pub d: Signal<In, Signed<18>>,
    /// The column's activation.
    pub a: Signal<In, Signed<18>>,
    /// The activation's kind ([`kind`] codes).
    pub kind: Signal<In, Bits<2>>,
    /// A term is present.
    pub valid: Signal<In, Bit>,
    /// First term of a word.
    pub first: Signal<In, Bit>,
    /// Last term of a word.
    pub last: Signal<In, Bit>,
    /// The word's gradient sum (acc fraction bits).
    pub sum: Signal<Out, Signed<48>>,
    /// `sum` holds a word's gradient.
    pub sum_valid: Signal<Out, Bit>,
    mul: Mul18,
    up_input: ShiftUp<36, 48>,
    up_state: ShiftUp<36, 48>,
    up_gate: ShiftUp<36, 48>,
    up_binary: ShiftUp<18, 48>,
    d_d: [DFF<Signed<18>>; 2],
    nz_d: [DFF<Bit>; 2],
    kind_d: [DFF<Bits<2>>; 2],
    valid_d: [DFF<Bit>; 2],
    first_d: [DFF<Bit>; 2],
    last_d: [DFF<Bit>; 3],
    acc: DFF<Signed<48>>,
    term: Signal<Local, Signed<48>>,
    zero: Constant<Signed<48>>,
    zero18: Constant<Signed<18>>,
}

impl GradMac {
    /// The unit for formats `n`.
    pub fn with(n: Numerics) -> Self {
        let f = Kernel::new(n).f;
        let sh = |frac: u32| f.acc - f.d - frac;
        Self {
            clock: Signal::default(),
            d: Signal::default(),
            a: Signal::default(),
            kind: Signal::default(),
            valid: Signal::default(),
            first: Signal::default(),
            last: Signal::default(),
            sum: Signal::default(),
            sum_valid: Signal::default(),
            mul: Mul18::default(),
            up_input: ShiftUp::new(sh(f.x)),
            up_state: ShiftUp::new(sh(f.s)),
            up_gate: ShiftUp::new(sh(f.g)),
            up_binary: ShiftUp::new(sh(0)),
            d_d: Default::default(),
            nz_d: Default::default(),
            kind_d: Default::default(),
            valid_d: Default::default(),
            first_d: Default::default(),
            last_d: Default::default(),
            acc: DFF::default(),
            term: Signal::default(),
            zero: Constant::new(crate::word::to_signed(0)),
            zero18: Constant::new(crate::word::to_signed(0)),
        }
    }
}

impl Default for GradMac {
    fn default() -> Self {
        Self::with(Numerics::DEFAULT)
    }
}

impl Logic for GradMac {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc);
        self.mul.clock.next = self.clock.val();
        for i in 0..2 {
            self.d_d[i].clock.next = self.clock.val();
            self.nz_d[i].clock.next = self.clock.val();
            self.kind_d[i].clock.next = self.clock.val();
            self.valid_d[i].clock.next = self.clock.val();
            self.first_d[i].clock.next = self.clock.val();
        }
        for i in 0..3 {
            self.last_d[i].clock.next = self.clock.val();
        }
        // E2: the product and the term's flags.
        self.mul.a.next = self.d.val();
        self.mul.b.next = self.a.val();
        self.d_d[0].d.next = self.d.val();
        self.nz_d[0].d.next = self.a.val() != self.zero18.val();
        self.kind_d[0].d.next = self.kind.val();
        self.valid_d[0].d.next = self.valid.val();
        self.first_d[0].d.next = self.first.val();
        self.last_d[0].d.next = self.valid.val() & self.last.val();
        self.d_d[1].d.next = self.d_d[0].q.val();
        self.nz_d[1].d.next = self.nz_d[0].q.val();
        self.kind_d[1].d.next = self.kind_d[0].q.val();
        self.valid_d[1].d.next = self.valid_d[0].q.val();
        self.first_d[1].d.next = self.first_d[0].q.val();
        self.last_d[1].d.next = self.last_d[0].q.val();
        self.last_d[2].d.next = self.last_d[1].q.val();
        // The term at the accumulator's scale.
        self.up_input.x.next = self.mul.p.val();
        self.up_input.en.next = true;
        self.up_state.x.next = self.mul.p.val();
        self.up_state.en.next = true;
        self.up_gate.x.next = self.mul.p.val();
        self.up_gate.en.next = true;
        self.up_binary.x.next = self.d_d[1].q.val();
        self.up_binary.en.next = true;
        if self.kind_d[1].q.val() == 0 {
            self.term.next = self.up_input.y.val();
        } else if self.kind_d[1].q.val() == 1 {
            self.term.next = self.up_state.y.val();
        } else if self.kind_d[1].q.val() == 2 {
            self.term.next = self.up_gate.y.val();
        } else if self.nz_d[1].q.val() {
            self.term.next = self.up_binary.y.val();
        } else {
            self.term.next = self.zero.val();
        }
        // E3: the sum.
        if self.valid_d[1].q.val() {
            if self.first_d[1].q.val() {
                self.acc.d.next = self.term.val();
            } else {
                self.acc.d.next = self.acc.q.val() + self.term.val();
            }
        }
        self.sum.next = self.acc.q.val();
        self.sum_valid.next = self.last_d[2].q.val();
    }
}
