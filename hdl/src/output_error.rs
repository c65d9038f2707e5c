//! `OutputError`: the output error of a regression step and the element-wise backward step of
//! one output per cycle, fully pipelined, bit-exact with the golden model's
//! `Kernel::regression_error` and `Kernel::backward_output`:
//!
//! ```text
//! d_o   = round(w_t sat_s(o - y) / 2^7)          (regression target y, step weight w_t)
//! slope = round(alpha^o sat_g(1 - alpha^o) / 2^16)
//! d_a   = round(d_o sat_s(J - o_prev) / 2^12)
//! dz_o  = round(d_a slope / 2^16)
//! ```
//!
//! (shifts for the default formats; every rounding saturates to 18 bits.) With `given`, d_o is
//! `d_in` instead (a classification step's error from [`crate::softmax_error`]), and dz_o
//! follows from it the same way. The target and the
//! step weight arrive with the input, as the device streams them. Four [`Mul18`]s; inputs are
//! taken on every edge, [`OUTPUT_ERROR_LATENCY`] edges later the outputs hold that output's
//! d_o and dz_o and `out_valid` repeats `in_valid`.

use crate::mul18::Mul18;
use crate::requant::Requant;
use crate::widen::Widen;
use crate::word::to_signed;
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::Numerics;
use rust_hdl::prelude::*;

/// Edges from the inputs to the outputs (input row i is answered in output row
/// i + `OUTPUT_ERROR_LATENCY` - 1).
pub const OUTPUT_ERROR_LATENCY: usize = 10;

/// The pipelined output error and readout backward step.
#[derive(LogicBlock)]
pub struct OutputError {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// o_t (state format).
    pub o: Signal<In, Signed<18>>,
    /// The target y_t (state format).
    pub y: Signal<In, Signed<18>>,
    /// The step weight w_t (gain format).
    pub weight: Signal<In, Signed<18>>,
    /// J_t (state format).
    pub j: Signal<In, Signed<18>>,
    /// o_{t-1} (state format).
    pub o_prev: Signal<In, Signed<18>>,
    /// alpha^o_t (gate format).
    pub alpha_o: Signal<In, Signed<18>>,
    /// The inputs hold an output.
    pub in_valid: Signal<In, Bit>,
    /// d_o is given (`d_in`, a classification step's softmax error) rather than w_t (o - y).
    pub given: Signal<In, Bit>,
    /// The given d_o (delta format).
    pub d_in: Signal<In, Signed<18>>,
    /// dJ/do_t (delta format).
    pub d_o: Signal<Out, Signed<18>>,
    /// dJ/dz_o (delta format).
    pub dz_o: Signal<Out, Signed<18>>,
    /// The outputs hold an output.
    pub out_valid: Signal<Out, Bit>,
    w19: [Widen<18, 19>; 5],
    sat_oy: Requant<19>,
    sat_jo: Requant<19>,
    sat_oma: Requant<19>,
    alpha_d: DFF<Signed<18>>,
    weight_d: DFF<Signed<18>>,
    mul_do: Mul18,
    rq_do: Requant<36>,
    mul_sl: Mul18,
    rq_sl: Requant<36>,
    jo_d: [DFF<Signed<18>>; 3],
    mul_da: Mul18,
    rq_da: Requant<36>,
    sl_d: [DFF<Signed<18>>; 3],
    mul_dz: Mul18,
    rq_dz: Requant<36>,
    do_d: [DFF<Signed<18>>; 6],
    din_d: [DFF<Signed<18>>; 4],
    given_d: [DFF<Bit>; 4],
    d_sel: Signal<Local, Signed<18>>,
    valid_d: [DFF<Bit>; OUTPUT_ERROR_LATENCY],
    oy: Signal<Local, Signed<19>>,
    jo: Signal<Local, Signed<19>>,
    oma: Signal<Local, Signed<19>>,
    one: Constant<Signed<19>>,
}

impl OutputError {
    /// The unit for the accelerator's formats ([`Numerics::DEFAULT`]).
    pub fn new() -> Self {
        Self::with(Numerics::DEFAULT)
    }

    /// The unit for formats `n` (state, gate, delta and gain 18 bits; gain + state fraction
    /// bits at least delta's).
    pub fn with(n: Numerics) -> Self {
        assert!(n.state.bits == 18 && n.gate.bits == 18 && n.delta.bits == 18 && n.gain.bits == 18, "18-bit formats");
        let f = Kernel::new(n).f;
        assert!(f.d == n.delta.frac && f.g == n.gate.frac && f.gain + f.s >= f.d, "fractions");
        Self {
            clock: Signal::default(),
            o: Signal::default(),
            y: Signal::default(),
            weight: Signal::default(),
            j: Signal::default(),
            o_prev: Signal::default(),
            alpha_o: Signal::default(),
            in_valid: Signal::default(),
            given: Signal::default(),
            d_in: Signal::default(),
            d_o: Signal::default(),
            dz_o: Signal::default(),
            out_valid: Signal::default(),
            w19: Default::default(),
            sat_oy: Requant::new(0),
            sat_jo: Requant::new(0),
            sat_oma: Requant::new(0),
            alpha_d: DFF::default(),
            weight_d: DFF::default(),
            mul_do: Mul18::default(),
            rq_do: Requant::new(f.gain + f.s - f.d),
            mul_sl: Mul18::default(),
            rq_sl: Requant::new(f.g),
            jo_d: Default::default(),
            mul_da: Mul18::default(),
            rq_da: Requant::new(f.s),
            sl_d: Default::default(),
            mul_dz: Mul18::default(),
            rq_dz: Requant::new(f.g),
            do_d: Default::default(),
            din_d: Default::default(),
            given_d: Default::default(),
            d_sel: Signal::default(),
            valid_d: Default::default(),
            oy: Signal::default(),
            jo: Signal::default(),
            oma: Signal::default(),
            one: Constant::new(to_signed(n.gate.one())),
        }
    }
}

impl Default for OutputError {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for OutputError {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, alpha_d, weight_d);
        self.sat_oy.clock.next = self.clock.val();
        self.sat_jo.clock.next = self.clock.val();
        self.sat_oma.clock.next = self.clock.val();
        self.mul_do.clock.next = self.clock.val();
        self.rq_do.clock.next = self.clock.val();
        self.mul_sl.clock.next = self.clock.val();
        self.rq_sl.clock.next = self.clock.val();
        self.mul_da.clock.next = self.clock.val();
        self.rq_da.clock.next = self.clock.val();
        self.mul_dz.clock.next = self.clock.val();
        self.rq_dz.clock.next = self.clock.val();
        for i in 0..3 {
            self.jo_d[i].clock.next = self.clock.val();
            self.sl_d[i].clock.next = self.clock.val();
        }
        for i in 0..6 {
            self.do_d[i].clock.next = self.clock.val();
        }
        for i in 0..4 {
            self.din_d[i].clock.next = self.clock.val();
            self.given_d[i].clock.next = self.clock.val();
        }
        for i in 0..OUTPUT_ERROR_LATENCY {
            self.valid_d[i].clock.next = self.clock.val();
        }

        // "A_k": visible after the k-th edge from the one that takes the inputs (A_1).
        // Differences at 19 bits, saturated to 18 at A_1.
        self.w19[0].x.next = self.o.val();
        self.w19[1].x.next = self.y.val();
        self.w19[2].x.next = self.j.val();
        self.w19[3].x.next = self.o_prev.val();
        self.w19[4].x.next = self.alpha_o.val();
        self.oy.next = self.w19[0].y.val() - self.w19[1].y.val();
        self.jo.next = self.w19[2].y.val() - self.w19[3].y.val();
        self.oma.next = self.one.val() - self.w19[4].y.val();
        self.sat_oy.acc.next = self.oy.val();
        self.sat_jo.acc.next = self.jo.val();
        self.sat_oma.acc.next = self.oma.val();
        self.alpha_d.d.next = self.alpha_o.val();
        self.weight_d.d.next = self.weight.val();

        // d_o = w_t (o - y) and the slope at A_4.
        self.mul_do.a.next = self.weight_d.q.val();
        self.mul_do.b.next = self.sat_oy.y.val();
        self.rq_do.acc.next = self.mul_do.p.val();
        // (or the given d_o, delayed to A_4)
        self.din_d[0].d.next = self.d_in.val();
        self.given_d[0].d.next = self.given.val();
        for i in 1..4 {
            self.din_d[i].d.next = self.din_d[i - 1].q.val();
            self.given_d[i].d.next = self.given_d[i - 1].q.val();
        }
        self.d_sel.next = self.rq_do.y.val();
        if self.given_d[3].q.val() {
            self.d_sel.next = self.din_d[3].q.val();
        }
        self.mul_sl.a.next = self.alpha_d.q.val();
        self.mul_sl.b.next = self.sat_oma.y.val();
        self.rq_sl.acc.next = self.mul_sl.p.val();

        // d_a = d_o (J - o_prev) at A_7.
        self.jo_d[0].d.next = self.sat_jo.y.val();
        for i in 1..3 {
            self.jo_d[i].d.next = self.jo_d[i - 1].q.val();
        }
        self.mul_da.a.next = self.d_sel.val();
        self.mul_da.b.next = self.jo_d[2].q.val();
        self.rq_da.acc.next = self.mul_da.p.val();

        // dz_o = d_a slope at A_10.
        self.sl_d[0].d.next = self.rq_sl.y.val();
        for i in 1..3 {
            self.sl_d[i].d.next = self.sl_d[i - 1].q.val();
        }
        self.mul_dz.a.next = self.rq_da.y.val();
        self.mul_dz.b.next = self.sl_d[2].q.val();
        self.rq_dz.acc.next = self.mul_dz.p.val();

        // Outputs at A_10.
        self.do_d[0].d.next = self.d_sel.val();
        for i in 1..6 {
            self.do_d[i].d.next = self.do_d[i - 1].q.val();
        }
        self.valid_d[0].d.next = self.in_valid.val();
        for i in 1..OUTPUT_ERROR_LATENCY {
            self.valid_d[i].d.next = self.valid_d[i - 1].q.val();
        }
        self.d_o.next = self.do_d[5].q.val();
        self.dz_o.next = self.rq_dz.y.val();
        self.out_valid.next = self.valid_d[9].q.val();
    }
}
