//! `SoftmaxError`: the output error of a classification step for one stream, bit-exact with the
//! golden model's `Kernel::softmax_error`:
//!
//! ```text
//! top = max_k o_k
//! e_k = exp(sat_s(o_k - top))                       (ExpRom: gate format, e_top = 1.0)
//! e, r = msb(sum e), reciprocal[8 bits after it]    (1 / sum e ~= r 2^-(16 + e))
//! p_k = sat_g(round(e_k r / 2^e))
//! d_o_k = sat_d(round(w_t (p_k - [k = y]) / 2^gain))
//! ```
//!
//! The C outputs o_0 .. o_{C-1} of a stream arrive one per cycle with `in_valid` while
//! `ready` (the last with `last`, the class y and the step weight w_t with it); three passes
//! follow, over small buffers of C <= 64 words: the maximum as they arrive, then exp and the
//! sum, then the reciprocal and p_k, d_o_k, which leave one per cycle in k order with
//! `out_valid`. `ready` rises again after the last d_o: [`softmax_cycles`] cycles after the
//! last input's edge. One [`ExpRom`], two [`Mul18`]s, the reciprocal table (one EBR).

use crate::adamax_ratio::RoundShift;
use crate::exp_rom::{ExpRom, EXP_LATENCY};
use crate::forward::DIM_BITS;
use crate::mul18::{Mul18, MUL18_LATENCY};
use crate::requant::{Requant, REQUANT_LATENCY};
use crate::widen::Widen;
use crate::word::to_signed;
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::tables::{Tables, RECIPROCAL_FRAC};
use fptt_sim::fixed::Numerics;
use rust_hdl::prelude::*;

/// Edges from an exp pass read to its e_k: the buffer read, the saturation, the table.
const EXP_PASS: usize = 1 + REQUANT_LATENCY + EXP_LATENCY;
/// Edges from a p pass read to its d_o: the buffer read, e_k r, the rounding shift, w_t err,
/// the rounding.
const P_PASS: usize = 1 + MUL18_LATENCY + 1 + MUL18_LATENCY + REQUANT_LATENCY;

const _: () = assert!(EXP_PASS == 7 && P_PASS == 7, "literal pass lengths in update()");

/// Cycles from the edge that takes a stream's last output until `ready` is high again, for C
/// outputs: the exp pass (C reads and its pipeline), one cycle for the reciprocal, the p pass.
pub fn softmax_cycles(outputs: usize) -> usize {
    (outputs + EXP_PASS) + 1 + (outputs + P_PASS)
}

/// The classification output error of one stream at a time.
#[derive(LogicBlock)]
pub struct SoftmaxError {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// `x` holds an output of the stream (taken only while `ready`).
    pub in_valid: Signal<In, Bit>,
    /// o_k (state format).
    pub x: Signal<In, Signed<18>>,
    /// The stream's last output.
    pub last: Signal<In, Bit>,
    /// The class y (with `last`).
    pub label: Signal<In, Bits<DIM_BITS>>,
    /// The step weight w_t (gain format, with `last`).
    pub weight: Signal<In, Signed<18>>,
    /// Idle: takes a stream's outputs.
    pub ready: Signal<Out, Bit>,
    /// `d_o` holds the next output's error.
    pub out_valid: Signal<Out, Bit>,
    /// dJ/do_k (delta format), k = 0, 1, .. in turn.
    pub d_o: Signal<Out, Signed<18>>,
    obuf: RAM<Signed<18>, DIM_BITS>,
    ebuf: RAM<Signed<18>, DIM_BITS>,
    // 0 collect, 1 exp pass, 2 reciprocal, 3 p pass
    state: DFF<Bits<2>>,
    wi: DFF<Bits<DIM_BITS>>,
    last_k: DFF<Bits<DIM_BITS>>,
    top: DFF<Signed<18>>,
    label_r: DFF<Bits<DIM_BITS>>,
    weight_r: DFF<Signed<18>>,
    issuing: DFF<Bit>,
    k: DFF<Bits<DIM_BITS>>,
    wk: DFF<Bits<DIM_BITS>>,
    sum: DFF<Bits<24>>,
    ev: [DFF<Bit>; EXP_PASS],
    pv: [DFF<Bit>; P_PASS],
    kd: [DFF<Bits<DIM_BITS>>; 4],
    w19: [Widen<18, 19>; 2],
    diff: Signal<Local, Signed<19>>,
    sat: Requant<19>,
    exp: ExpRom,
    e_bits: Signal<Local, Bits<24>>,
    sh: Signal<Local, Bits<5>>,
    index: Signal<Local, Bits<8>>,
    recip: SyncROM<Signed<18>, 8>,
    mul_p: Mul18,
    shift: RoundShift,
    err: Signal<Local, Signed<18>>,
    mul_d: Mul18,
    rq_d: Requant<36>,
    one: Constant<Signed<18>>,
}

impl SoftmaxError {
    /// The unit for the accelerator's formats ([`Numerics::DEFAULT`]).
    pub fn new() -> Self {
        Self::with(Numerics::DEFAULT)
    }

    /// The unit for formats `n` (state, gate, delta and gain 18 bits; the gate format with the
    /// reciprocal table's fraction bits, so that p_k = e_k r / 2^e).
    pub fn with(n: Numerics) -> Self {
        assert!(n.state.bits == 18 && n.gate.bits == 18 && n.delta.bits == 18 && n.gain.bits == 18, "18-bit formats");
        assert_eq!(n.gate.frac, RECIPROCAL_FRAC, "p = e r / 2^e needs gate fraction bits = the table's");
        let f = Kernel::new(n).f;
        let tables = Tables::new(n.state, n.gate);
        Self {
            clock: Signal::default(),
            in_valid: Signal::default(),
            x: Signal::default(),
            last: Signal::default(),
            label: Signal::default(),
            weight: Signal::default(),
            ready: Signal::default(),
            out_valid: Signal::default(),
            d_o: Signal::default(),
            obuf: RAM::default(),
            ebuf: RAM::default(),
            state: DFF::default(),
            wi: DFF::default(),
            last_k: DFF::default(),
            top: DFF::default(),
            label_r: DFF::default(),
            weight_r: DFF::default(),
            issuing: DFF::default(),
            k: DFF::default(),
            wk: DFF::default(),
            sum: DFF::default(),
            ev: Default::default(),
            pv: Default::default(),
            kd: Default::default(),
            w19: Default::default(),
            diff: Signal::default(),
            sat: Requant::new(0),
            exp: ExpRom::with(n),
            e_bits: Signal::default(),
            sh: Signal::default(),
            index: Signal::default(),
            recip: SyncROM::from(tables.reciprocal_entries().iter().map(|&r| to_signed::<18>(r as i64))),
            mul_p: Mul18::default(),
            shift: RoundShift::default(),
            err: Signal::default(),
            mul_d: Mul18::default(),
            rq_d: Requant::new(f.gain + f.g - f.d),
            one: Constant::new(to_signed(n.gate.one())),
        }
    }
}

impl Default for SoftmaxError {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for SoftmaxError {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, wi, last_k, top, label_r, weight_r, issuing, k, wk, sum);
        // (literal pass lengths: named constants cannot be emitted)
        for i in 0..7 {
            self.ev[i].clock.next = self.clock.val();
            self.pv[i].clock.next = self.clock.val();
        }
        for i in 0..4 {
            self.kd[i].clock.next = self.clock.val();
        }
        self.obuf.read_clock.next = self.clock.val();
        self.obuf.write_clock.next = self.clock.val();
        self.ebuf.read_clock.next = self.clock.val();
        self.ebuf.write_clock.next = self.clock.val();
        self.sat.clock.next = self.clock.val();
        self.exp.clock.next = self.clock.val();
        self.recip.clock.next = self.clock.val();
        self.mul_p.clock.next = self.clock.val();
        self.shift.clock.next = self.clock.val();
        self.mul_d.clock.next = self.clock.val();
        self.rq_d.clock.next = self.clock.val();
        self.ready.next = self.state.q.val() == 0;

        // Collect: store o_k, keep the maximum.
        self.obuf.write_address.next = self.wi.q.val();
        self.obuf.write_data.next = self.x.val();
        self.obuf.write_enable.next = self.in_valid.val() & (self.state.q.val() == 0);
        if self.in_valid.val() & (self.state.q.val() == 0) {
            self.wi.d.next = self.wi.q.val() + 1;
            if (self.wi.q.val() == 0) | (self.x.val() > self.top.q.val()) {
                self.top.d.next = self.x.val();
            }
            if self.last.val() {
                self.last_k.d.next = self.wi.q.val();
                self.label_r.d.next = self.label.val();
                self.weight_r.d.next = self.weight.val();
                self.state.d.next = 1.into();
                self.issuing.d.next = true;
                self.k.d.next = 0.into();
                self.wk.d.next = 0.into();
                self.sum.d.next = 0.into();
            }
        }

        // Reads of the exp and p passes: k = 0 ..= last_k.
        self.obuf.read_address.next = self.k.q.val();
        self.ebuf.read_address.next = self.k.q.val();
        if self.issuing.q.val() {
            self.k.d.next = self.k.q.val() + 1;
            if self.k.q.val() == self.last_k.q.val() {
                self.issuing.d.next = false;
            }
        }
        self.ev[0].d.next = self.issuing.q.val() & (self.state.q.val() == 1);
        for i in 1..7 {
            self.ev[i].d.next = self.ev[i - 1].q.val();
        }
        self.pv[0].d.next = self.issuing.q.val() & (self.state.q.val() == 3);
        for i in 1..7 {
            self.pv[i].d.next = self.pv[i - 1].q.val();
        }
        self.kd[0].d.next = self.k.q.val();
        for i in 1..4 {
            self.kd[i].d.next = self.kd[i - 1].q.val();
        }

        // Exp pass: e_k = exp(sat(o_k - top)) into the second buffer, summed.
        self.w19[0].x.next = self.obuf.read_data.val();
        self.w19[1].x.next = self.top.q.val();
        self.diff.next = self.w19[0].y.val() - self.w19[1].y.val();
        self.sat.acc.next = self.diff.val();
        self.exp.x.next = self.sat.y.val();
        self.e_bits.next = bit_cast::<24, 18>(unsigned_cast(self.exp.y.val()));
        self.ebuf.write_address.next = self.wk.q.val();
        self.ebuf.write_data.next = self.exp.y.val();
        self.ebuf.write_enable.next = self.ev[6].q.val();
        if self.ev[6].q.val() {
            self.sum.d.next = self.sum.q.val() + self.e_bits.val();
            self.wk.d.next = self.wk.q.val() + 1;
            if self.wk.q.val() == self.last_k.q.val() {
                self.state.d.next = 2.into();
            }
        }

        // The reciprocal of the sum (>= e_top = 2^16, < 2^23 for C <= 64): its leading one e
        // and the 8 bits after it index the table; one cycle for the table read.
        self.sh.next = 16.into();
        self.index.next = self.sum.q.val().get_bits::<8>(8);
        if self.sum.q.val().get_bit(22) {
            self.sh.next = 22.into();
            self.index.next = self.sum.q.val().get_bits::<8>(14);
        } else if self.sum.q.val().get_bit(21) {
            self.sh.next = 21.into();
            self.index.next = self.sum.q.val().get_bits::<8>(13);
        } else if self.sum.q.val().get_bit(20) {
            self.sh.next = 20.into();
            self.index.next = self.sum.q.val().get_bits::<8>(12);
        } else if self.sum.q.val().get_bit(19) {
            self.sh.next = 19.into();
            self.index.next = self.sum.q.val().get_bits::<8>(11);
        } else if self.sum.q.val().get_bit(18) {
            self.sh.next = 18.into();
            self.index.next = self.sum.q.val().get_bits::<8>(10);
        } else if self.sum.q.val().get_bit(17) {
            self.sh.next = 17.into();
            self.index.next = self.sum.q.val().get_bits::<8>(9);
        }
        self.recip.address.next = self.index.val();
        if self.state.q.val() == 2 {
            self.state.d.next = 3.into();
            self.issuing.d.next = true;
            self.k.d.next = 0.into();
            self.wk.d.next = 0.into();
        }

        // p pass: p_k = e_k r / 2^e, then d_o_k = w_t (p_k - [k = y]).
        self.mul_p.a.next = self.ebuf.read_data.val();
        self.mul_p.b.next = self.recip.data.val();
        self.shift.x.next = self.mul_p.p.val();
        self.shift.sh.next = self.sh.val();
        self.err.next = self.shift.y.val();
        if self.kd[3].q.val() == self.label_r.q.val() {
            self.err.next = self.shift.y.val() - self.one.val();
        }
        self.mul_d.a.next = self.weight_r.q.val();
        self.mul_d.b.next = self.err.val();
        self.rq_d.acc.next = self.mul_d.p.val();
        self.d_o.next = self.rq_d.y.val();
        self.out_valid.next = self.pv[6].q.val();
        if self.pv[6].q.val() {
            self.wk.d.next = self.wk.q.val() + 1;
            if self.wk.q.val() == self.last_k.q.val() {
                self.state.d.next = 0.into();
                self.wi.d.next = 0.into();
            }
        }
    }
}
