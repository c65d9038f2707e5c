//! `Mac`: one multiply-accumulate lane. It streams the terms of a dot product (weight operand
//! x activation, one per cycle) through a [`Mul18`], sums them exactly in a 48-bit accumulator
//! and narrows the sum once with a [`Requant`]: the golden model's `state.from_scaled(acc, ..)`
//! of I and z_m.
//!
//! Biases and spikes are terms too: a bias b enters as b x 2^f (the code of 1.0 in the
//! activation's format, f = 14 for I, 12 for z_m) and a spike s as w x (s 2^f), so
//! I = sum w_in x + sum w_rec (s 2^14) + b_I 2^14 is exactly the golden
//! `dot(w_in, x) + up(dot(w_rec, s) + b_I, f.w, f.w + f.x)`.
//!
//! Terms with fewer fraction bits than the rest are shifted up per term: with `up` high the
//! product enters the accumulator shifted left by the lane's `up` amount (the golden `up(..)`).
//! z_a = W_a [I; b] + c_a needs this: its W_a x I products carry 24 fraction bits, its
//! W_a x b products and c_a x 2^16 carry 28, so the I terms go in with `up` = 4.
//!
//! One lane serves several roundings: it holds up to [`MAC_SHIFTS`] requantisers (one per
//! shift, e.g. 14 for I, 12 for z_m, J and z_o, 16 for z_a) behind one multiplier, and the
//! `sel` input of a dot product's last term picks which one narrows it.
//!
//! Spikes and biases are additions: a term with `gated` high is a weight times 0 or 2^f (a
//! binary spike s 2^f or a bias's 1.0), and bypasses the multiplier: the accumulator adds
//! w 2^f (shifted by the `gates[sel]` given at construction) when `a` is non-zero and nothing
//! when it is zero. For a gated term `sel` picks the shift, so it must be valid with it.
//!
//! Interleaved dot products: the lane holds `N` accumulators (slots). Every term names its
//! slot, so N dot products can advance term by term in turn: `ForwardStep` feeds one weight
//! word to the B streams of a lane on B consecutive cycles, stream b in slot b. `N = 1` is a
//! plain lane.
//!
//! Protocol: a term is taken on every edge with `valid`; `first` marks the first term of a
//! dot product (the accumulator restarts), `last` its last. [`MAC_LATENCY`] cycles after the
//! last term, `y_valid` is high for one cycle with the rounded result on `y`. Dot products may
//! follow each other without a gap. The accumulator never wraps for dot products of fewer than
//! 2^13 terms (|w x| <= 2^34), or 2^9 terms when they are shifted up by 4.

use crate::mul18::{Mul18, MUL18_LATENCY};
use crate::requant::{Requant, REQUANT_LATENCY};
use crate::shift_up::ShiftUp;
use crate::word::to_signed;
use rust_hdl::prelude::*;

/// Accumulator width (the ECP5 ALU54B would hold 54; 48 is the DSP convention).
pub const ACC_BITS: usize = 48;

/// Number of selectable roundings.
pub const MAC_SHIFTS: usize = 3;

/// Stages of the `sel` delay line (multiplier, the registered sum, then the rounding stage).
const SEL_STAGES: usize = MUL18_LATENCY + 1 + REQUANT_LATENCY;

/// Cycles from the last term to `y_valid`: the multiplier, the accumulator, the rounding. The
/// sum is registered before it is rounded, so that the slot mux and the accumulating adder are
/// one path and the rounding adder and saturation another (together they limited the clock).
pub const MAC_LATENCY: usize = MUL18_LATENCY + 1 + REQUANT_LATENCY;

// hdl_gen can index an array of blocks only by a literal or a loop variable (a named constant
// fails in Verilog generation), so the delay lines' last stage is written `[1]`.
const _: () = assert!(MUL18_LATENCY == 2, "the flag delay lines end at index 1 (sel: 3)");
const _: () = assert!(MAC_SHIFTS == 3, "the rounding mux names indices 0..=2");

/// Bits of the `slot` input (at most 64 slots).
pub const SLOT_BITS: usize = 6;

/// One MAC lane with `N` accumulators: `y = sat18(round(sum w a / 2^shift))` over the terms
/// `first..=last` of each slot.
#[derive(LogicBlock)]
pub struct Mac<const N: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Weight operand (Q5.12).
    pub w: Signal<In, Signed<18>>,
    /// Activation code (or 2^f for a bias, s 2^f for a spike).
    pub a: Signal<In, Signed<18>>,
    /// A term is present this cycle.
    pub valid: Signal<In, Bit>,
    /// This term starts a dot product.
    pub first: Signal<In, Bit>,
    /// This term ends a dot product.
    pub last: Signal<In, Bit>,
    /// Shift this term's product left by the lane's `up` amount before adding it.
    pub up: Signal<In, Bit>,
    /// Which rounding narrows the dot product (index into the lane's shifts; read with the
    /// last term).
    pub sel: Signal<In, Bits<2>>,
    /// The accumulator this term adds into (0..N).
    pub slot: Signal<In, Bits<SLOT_BITS>>,
    /// The term is w x (0 or 2^`gates[sel]`): an addition, not a product.
    pub gated: Signal<In, Bit>,
    /// The narrowed dot product, while `y_valid`.
    pub y: Signal<Out, Signed<18>>,
    /// `y` holds a result (one cycle per dot product).
    pub y_valid: Signal<Out, Bit>,
    /// The exact sum before rounding (48 bits), with `y`: what a cross-lane reduction adds.
    pub raw: Signal<Out, Signed<ACC_BITS>>,
    mul: Mul18,
    round: [Requant<ACC_BITS>; MAC_SHIFTS],
    sel_d: [DFF<Bits<2>>; SEL_STAGES],
    valid_d: [DFF<Bit>; MUL18_LATENCY],
    first_d: [DFF<Bit>; MUL18_LATENCY],
    last_d: [DFF<Bit>; MUL18_LATENCY],
    up_d: [DFF<Bit>; MUL18_LATENCY],
    slot_d: [DFF<Bits<SLOT_BITS>>; MUL18_LATENCY],
    pre: ShiftUp<36, ACC_BITS>,
    gate: [ShiftUp<18, ACC_BITS>; MAC_SHIFTS],
    w_d: [DFF<Signed<18>>; MUL18_LATENCY],
    gated_d: [DFF<Bit>; MUL18_LATENCY],
    on_d: [DFF<Bit>; MUL18_LATENCY],
    term: Signal<Local, Signed<ACC_BITS>>,
    zero_a: Constant<Signed<18>>,
    zero_acc: Constant<Signed<ACC_BITS>>,
    one: Constant<Bit>,
    acc: [DFF<Signed<ACC_BITS>>; N],
    done: DFF<Bit>,
    done2: DFF<Bit>,
    raw_d: DFF<Signed<ACC_BITS>>,
    raw_d2: DFF<Signed<ACC_BITS>>,
    fresh: Signal<Local, Signed<ACC_BITS>>,
    held: DFF<Signed<ACC_BITS>>,
    sum: Signal<Local, Signed<ACC_BITS>>,
}

impl<const N: usize> Mac<N> {
    /// A lane whose result drops `shift` fraction bits (14 for I, 12 for z_m under the
    /// default formats: weight frac + activation frac - state frac); `up` has no effect.
    pub fn new(shift: u32) -> Self {
        Self::with_up(shift, 0)
    }

    /// A lane whose result drops `shift` fraction bits and whose `up` terms are shifted left
    /// by `up` bits (z_a: shift 16, up 4 under the default formats).
    pub fn with_up(shift: u32, up: u32) -> Self {
        Self::with_shifts([shift; MAC_SHIFTS], up)
    }

    /// A lane whose result drops `shifts[sel]` fraction bits, `sel` as given with the last
    /// term, and whose `up` terms are shifted left by `up` bits.
    pub fn with_shifts(shifts: [u32; MAC_SHIFTS], up: u32) -> Self {
        assert!((1..=1 << SLOT_BITS).contains(&N), "1..=64 accumulator slots");
        Self {
            clock: Signal::default(),
            w: Signal::default(),
            a: Signal::default(),
            valid: Signal::default(),
            first: Signal::default(),
            last: Signal::default(),
            y: Signal::default(),
            y_valid: Signal::default(),
            raw: Signal::default(),
            up: Signal::default(),
            sel: Signal::default(),
            slot: Signal::default(),
            gated: Signal::default(),
            mul: Mul18::default(),
            round: shifts.map(Requant::new),
            sel_d: Default::default(),
            valid_d: Default::default(),
            first_d: Default::default(),
            last_d: Default::default(),
            up_d: Default::default(),
            slot_d: Default::default(),
            pre: ShiftUp::new(up),
            gate: [0; MAC_SHIFTS].map(ShiftUp::new),
            w_d: Default::default(),
            gated_d: Default::default(),
            on_d: Default::default(),
            term: Signal::default(),
            zero_a: Constant::new(to_signed(0)),
            zero_acc: Constant::new(to_signed(0)),
            one: Constant::new(true),
            acc: std::array::from_fn(|_| DFF::default()),
            done: DFF::default(),
            done2: DFF::default(),
            raw_d: DFF::default(),
            raw_d2: DFF::default(),
            fresh: Signal::default(),
            held: DFF::default(),
            sum: Signal::default(),
        }
    }
}

impl<const N: usize> Mac<N> {
    /// This lane with gated terms shifted by `gates[sel]` (the fraction bits of the activation
    /// a spike or bias stands for: 14, 12, 16 for I, z_m / J / z_o, z_a).
    pub fn with_gates(mut self, gates: [u32; MAC_SHIFTS]) -> Self {
        self.gate = gates.map(ShiftUp::new);
        self
    }
}

impl<const N: usize> Logic for Mac<N> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, done, done2, raw_d, raw_d2, held);
        for i in 0..N {
            self.acc[i].clock.next = self.clock.val();
        }
        self.mul.clock.next = self.clock.val();
        for i in 0..MAC_SHIFTS {
            self.round[i].clock.next = self.clock.val();
        }
        for i in 0..SEL_STAGES {
            self.sel_d[i].clock.next = self.clock.val();
        }
        for i in 0..MUL18_LATENCY {
            self.valid_d[i].clock.next = self.clock.val();
            self.first_d[i].clock.next = self.clock.val();
            self.last_d[i].clock.next = self.clock.val();
            self.up_d[i].clock.next = self.clock.val();
            self.slot_d[i].clock.next = self.clock.val();
            self.w_d[i].clock.next = self.clock.val();
            self.gated_d[i].clock.next = self.clock.val();
            self.on_d[i].clock.next = self.clock.val();
        }
        // Operands into the multiplier; the flags travel alongside.
        self.mul.a.next = self.w.val();
        self.mul.b.next = self.a.val();
        self.valid_d[0].d.next = self.valid.val();
        self.first_d[0].d.next = self.first.val();
        self.last_d[0].d.next = self.last.val();
        self.up_d[0].d.next = self.up.val();
        self.slot_d[0].d.next = self.slot.val();
        self.w_d[0].d.next = self.w.val();
        self.gated_d[0].d.next = self.gated.val();
        self.on_d[0].d.next = self.a.val() != self.zero_a.val();
        self.sel_d[0].d.next = self.sel.val();
        for i in 1..SEL_STAGES {
            self.sel_d[i].d.next = self.sel_d[i - 1].q.val();
        }
        for i in 1..MUL18_LATENCY {
            self.valid_d[i].d.next = self.valid_d[i - 1].q.val();
            self.first_d[i].d.next = self.first_d[i - 1].q.val();
            self.last_d[i].d.next = self.last_d[i - 1].q.val();
            self.up_d[i].d.next = self.up_d[i - 1].q.val();
            self.slot_d[i].d.next = self.slot_d[i - 1].q.val();
            self.w_d[i].d.next = self.w_d[i - 1].q.val();
            self.gated_d[i].d.next = self.gated_d[i - 1].q.val();
            self.on_d[i].d.next = self.on_d[i - 1].q.val();
        }
        // Accumulate at the full 48 bits: the product is sign-extended (and maybe shifted) first.
        self.pre.x.next = self.mul.p.val();
        self.pre.en.next = self.up_d[1].q.val();
        for i in 0..MAC_SHIFTS {
            self.gate[i].x.next = self.w_d[1].q.val();
            self.gate[i].en.next = self.one.val();
        }
        // The term: the product, or for a gated term w 2^f or nothing.
        if !self.gated_d[1].q.val() {
            self.term.next = self.pre.y.val();
        } else if !self.on_d[1].q.val() {
            self.term.next = self.zero_acc.val();
        } else if self.sel_d[1].q.val() == 1 {
            self.term.next = self.gate[1].y.val();
        } else if self.sel_d[1].q.val() == 2 {
            self.term.next = self.gate[2].y.val();
        } else {
            self.term.next = self.gate[0].y.val();
        }
        // (if/else, never default-then-override: a signal assigned twice in one evaluation
        // glitches in Icarus, and two blocks glitching into each other never settle)
        // The slot's held sum is read one edge early, at the next term's slot (`slot_d[0]`),
        // and registered: the slot mux is a chain over the N slots, too slow in front of the
        // 48-bit adder. A term that writes that slot on the same edge (back-to-back terms of
        // one slot: one stream) is passed on instead. (`fresh` is local and feeds only that
        // register, so assigning it twice per evaluation cannot loop.)
        self.fresh.next = self.acc[0].q.val();
        for i in 1..N {
            if self.slot_d[0].q.val().index() == i {
                self.fresh.next = self.acc[i].q.val();
            }
        }
        if self.first_d[1].q.val() {
            self.sum.next = self.term.val();
        } else {
            self.sum.next = self.held.q.val() + self.term.val();
        }
        // (after `sum` is formed: a local read before it is written is a loop to rust-hdl)
        if self.valid_d[1].q.val() & (self.slot_d[1].q.val() == self.slot_d[0].q.val()) {
            self.held.d.next = self.sum.val();
        } else {
            self.held.d.next = self.fresh.val();
        }
        for i in 0..N {
            self.acc[i].d.next = self.acc[i].q.val();
            if self.valid_d[1].q.val() & (self.slot_d[1].q.val().index() == i) {
                self.acc[i].d.next = self.sum.val();
            }
        }
        // The sum is registered (raw_d), then rounded: the rounding stage samples every cycle;
        // `done2` says when its sample was a result.
        self.raw_d.d.next = self.sum.val();
        for i in 0..MAC_SHIFTS {
            self.round[i].acc.next = self.raw_d.q.val();
        }
        self.done.d.next = self.valid_d[1].q.val() & self.last_d[1].q.val();
        self.done2.d.next = self.done.q.val();
        self.raw_d2.d.next = self.raw_d.q.val();
        self.raw.next = self.raw_d2.q.val();
        // the rounding selected with the last term (sel_d[3] is aligned with `done2`); one
        // assignment per evaluation, as above
        if self.sel_d[3].q.val() == 1 {
            self.y.next = self.round[1].y.val();
        } else if self.sel_d[3].q.val() == 2 {
            self.y.next = self.round[2].y.val();
        } else {
            self.y.next = self.round[0].y.val();
        }
        self.y_valid.next = self.done2.q.val();
    }
}
