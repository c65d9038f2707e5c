//! `NeuronUpdate`: the element-wise neuron update of the golden model's `Kernel::forward`,
//! one neuron per cycle, fully pipelined:
//!
//! ```text
//! b     = sat_g(round(rho b_prev / 2^16) + (s_prev ? 1 - rho : 0))
//! theta = sat_s(b0 + sat_s(round(beta b / 2^15)))
//! v     = sat_s(u_prev + sat_s(round(alpha sat_s(I - u_prev) / 2^16)))
//! s     = v > theta;  u = s ? 0 : v
//! ```
//!
//! (shifts for the default formats; they follow from [`Numerics`]). Three [`Mul18`]s (rho b,
//! beta b, alpha drive); every narrowing, including the plain saturations of sums, is a
//! [`Requant`] stage. Inputs are taken on every edge; [`NEURON_LATENCY`] cycles later the
//! outputs hold that neuron's results and `out_valid` repeats `in_valid`. Sums are formed one
//! bit wider than their operands (sign extension through [`Widen`]), so nothing wraps.

use crate::mul18::Mul18;
use crate::requant::Requant;
use crate::widen::Widen;
use crate::word::to_signed;
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{ADAPT_STRENGTH, THRESHOLD_BASE};
use rust_hdl::prelude::*;

/// Cycles from the inputs to the outputs (in the `verify` convention: input row i is
/// answered in output row i + `NEURON_LATENCY` - 1).
pub const NEURON_LATENCY: usize = 9;

/// The pipelined element-wise neuron update.
#[derive(LogicBlock)]
pub struct NeuronUpdate {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// rho_t (gate format).
    pub rho: Signal<In, Signed<18>>,
    /// alpha_t (gate format).
    pub alpha: Signal<In, Signed<18>>,
    /// Input current I_t (state format).
    pub current: Signal<In, Signed<18>>,
    /// u_{t-1} (state format).
    pub u_prev: Signal<In, Signed<18>>,
    /// b_{t-1} (gate format).
    pub b_prev: Signal<In, Signed<18>>,
    /// s_{t-1}.
    pub s_prev: Signal<In, Bit>,
    /// The inputs hold a neuron.
    pub in_valid: Signal<In, Bit>,
    /// b_t (gate format).
    pub b: Signal<Out, Signed<18>>,
    /// theta_t (state format).
    pub theta: Signal<Out, Signed<18>>,
    /// v_t (state format).
    pub v: Signal<Out, Signed<18>>,
    /// s_t.
    pub s: Signal<Out, Bit>,
    /// u_t (state format).
    pub u: Signal<Out, Signed<18>>,
    /// The outputs hold a neuron ([`NEURON_LATENCY`] cycles after `in_valid`).
    pub out_valid: Signal<Out, Bit>,
    // b path
    mul_kept: Mul18,
    rq_kept: Requant<36>,
    rho_d: [DFF<Signed<18>>; 2],
    sp_d: [DFF<Bit>; 2],
    addend: DFF<Signed<20>>,
    sat_b: Requant<20>,
    mul_theta: Mul18,
    rq_theta: Requant<36>,
    sat_theta: Requant<19>,
    b_d: [DFF<Signed<18>>; 5],
    // v path
    sat_drive: Requant<19>,
    alpha_d: DFF<Signed<18>>,
    mul_v: Mul18,
    rq_v: Requant<36>,
    up_d: [DFF<Signed<18>>; 4],
    sat_v: Requant<19>,
    v_d: [DFF<Signed<18>>; 4],
    // outputs
    theta_r: DFF<Signed<18>>,
    s_r: DFF<Bit>,
    u_r: DFF<Signed<18>>,
    valid_d: [DFF<Bit>; 9],
    // combinational
    w19: [Widen<18, 19>; 7],
    w20: [Widen<18, 20>; 2],
    one_minus_rho: Signal<Local, Signed<20>>,
    b_sum: Signal<Local, Signed<20>>,
    theta_sum: Signal<Local, Signed<19>>,
    diff: Signal<Local, Signed<19>>,
    v_sum: Signal<Local, Signed<19>>,
    cmp: Signal<Local, Signed<19>>,
    cmp_u: Signal<Local, Bits<19>>,
    fire: Signal<Local, Bit>,
    one: Constant<Signed<20>>,
    zero20: Constant<Signed<20>>,
    zero18: Constant<Signed<18>>,
    b0: Constant<Signed<19>>,
    beta: Constant<Signed<18>>,
}

impl NeuronUpdate {
    /// The unit for the accelerator's formats ([`Numerics::DEFAULT`]).
    pub fn new() -> Self {
        Self::with(Numerics::DEFAULT)
    }

    /// The unit for formats `n` (state, gate and gain must be 18 bits; beta b must narrow
    /// into the state format, i.e. gain.frac + gate.frac >= state.frac).
    pub fn with(n: Numerics) -> Self {
        let (state, gate, gain) = (n.state, n.gate, n.gain);
        assert!(state.bits == 18 && gate.bits == 18 && gain.bits == 18, "18-bit formats");
        assert!(gain.frac + gate.frac >= state.frac && gate.frac <= 18);
        let b0 = state.quantize(THRESHOLD_BASE);
        let beta = gain.quantize(ADAPT_STRENGTH);
        Self {
            clock: Signal::default(),
            rho: Signal::default(),
            alpha: Signal::default(),
            current: Signal::default(),
            u_prev: Signal::default(),
            b_prev: Signal::default(),
            s_prev: Signal::default(),
            in_valid: Signal::default(),
            b: Signal::default(),
            theta: Signal::default(),
            v: Signal::default(),
            s: Signal::default(),
            u: Signal::default(),
            out_valid: Signal::default(),
            mul_kept: Mul18::default(),
            rq_kept: Requant::new(gate.frac),
            rho_d: Default::default(),
            sp_d: Default::default(),
            addend: DFF::default(),
            sat_b: Requant::new(0),
            mul_theta: Mul18::default(),
            rq_theta: Requant::new(gain.frac + gate.frac - state.frac),
            sat_theta: Requant::new(0),
            b_d: Default::default(),
            sat_drive: Requant::new(0),
            alpha_d: DFF::default(),
            mul_v: Mul18::default(),
            rq_v: Requant::new(gate.frac),
            up_d: Default::default(),
            sat_v: Requant::new(0),
            v_d: Default::default(),
            theta_r: DFF::default(),
            s_r: DFF::default(),
            u_r: DFF::default(),
            valid_d: Default::default(),
            w19: Default::default(),
            w20: Default::default(),
            one_minus_rho: Signal::default(),
            b_sum: Signal::default(),
            theta_sum: Signal::default(),
            diff: Signal::default(),
            v_sum: Signal::default(),
            cmp: Signal::default(),
            cmp_u: Signal::default(),
            fire: Signal::default(),
            one: Constant::new(to_signed(gate.one())),
            zero20: Constant::new(to_signed(0)),
            zero18: Constant::new(to_signed(0)),
            b0: Constant::new(to_signed(b0)),
            beta: Constant::new(to_signed(beta)),
        }
    }
}

impl Default for NeuronUpdate {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for NeuronUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, addend, alpha_d, theta_r, s_r, u_r);
        self.mul_kept.clock.next = self.clock.val();
        self.rq_kept.clock.next = self.clock.val();
        self.sat_b.clock.next = self.clock.val();
        self.mul_theta.clock.next = self.clock.val();
        self.rq_theta.clock.next = self.clock.val();
        self.sat_theta.clock.next = self.clock.val();
        self.sat_drive.clock.next = self.clock.val();
        self.mul_v.clock.next = self.clock.val();
        self.rq_v.clock.next = self.clock.val();
        self.sat_v.clock.next = self.clock.val();
        for i in 0..2 {
            self.rho_d[i].clock.next = self.clock.val();
            self.sp_d[i].clock.next = self.clock.val();
        }
        for i in 0..5 {
            self.b_d[i].clock.next = self.clock.val();
        }
        for i in 0..4 {
            self.up_d[i].clock.next = self.clock.val();
            self.v_d[i].clock.next = self.clock.val();
        }
        for i in 0..9 {
            self.valid_d[i].clock.next = self.clock.val();
        }
        self.w20[0].x.next = self.rho_d[1].q.val();
        self.w20[1].x.next = self.rq_kept.y.val();
        self.w19[0].x.next = self.rq_theta.y.val();
        self.w19[1].x.next = self.current.val();
        self.w19[2].x.next = self.u_prev.val();
        self.w19[3].x.next = self.up_d[3].q.val();
        self.w19[4].x.next = self.rq_v.y.val();
        self.w19[5].x.next = self.sat_theta.y.val();
        self.w19[6].x.next = self.v_d[2].q.val();
        // "A_k" below: the value is visible after edge k (the inputs are sampled at edge 0).
        // b: kept = round(rho b_prev) at A_2; addend = s_prev ? 1 - rho : 0 at A_2; b at A_3.
        self.mul_kept.a.next = self.rho.val();
        self.mul_kept.b.next = self.b_prev.val();
        self.rq_kept.acc.next = self.mul_kept.p.val();
        self.rho_d[0].d.next = self.rho.val();
        self.rho_d[1].d.next = self.rho_d[0].q.val();
        self.sp_d[0].d.next = self.s_prev.val();
        self.sp_d[1].d.next = self.sp_d[0].q.val();
        self.one_minus_rho.next = self.one.val() - self.w20[0].y.val();
        self.addend.d.next = self.zero20.val();
        if self.sp_d[1].q.val() {
            self.addend.d.next = self.one_minus_rho.val();
        }
        self.b_sum.next = self.w20[1].y.val() + self.addend.q.val();
        self.sat_b.acc.next = self.b_sum.val();
        // theta = sat(b0 + round(beta b)): product at A_5, rounded at A_6, theta at A_7.
        self.mul_theta.a.next = self.beta.val();
        self.mul_theta.b.next = self.sat_b.y.val();
        self.rq_theta.acc.next = self.mul_theta.p.val();
        self.theta_sum.next = self.b0.val() + self.w19[0].y.val();
        self.sat_theta.acc.next = self.theta_sum.val();
        self.b_d[0].d.next = self.sat_b.y.val();
        for i in 1..5 {
            self.b_d[i].d.next = self.b_d[i - 1].q.val();
        }
        // v: drive at A_0, alpha drive at A_2, rounded at A_3, v at A_4.
        self.diff.next = self.w19[1].y.val() - self.w19[2].y.val();
        self.sat_drive.acc.next = self.diff.val();
        self.alpha_d.d.next = self.alpha.val();
        self.mul_v.a.next = self.alpha_d.q.val();
        self.mul_v.b.next = self.sat_drive.y.val();
        self.rq_v.acc.next = self.mul_v.p.val();
        self.up_d[0].d.next = self.u_prev.val();
        for i in 1..4 {
            self.up_d[i].d.next = self.up_d[i - 1].q.val();
        }
        self.v_sum.next = self.w19[3].y.val() + self.w19[4].y.val();
        self.sat_v.acc.next = self.v_sum.val();
        self.v_d[0].d.next = self.sat_v.y.val();
        for i in 1..4 {
            self.v_d[i].d.next = self.v_d[i - 1].q.val();
        }
        // At A_7: theta and v (delayed); spike = v > theta (theta - v negative).
        self.cmp.next = self.w19[5].y.val() - self.w19[6].y.val();
        self.cmp_u.next = unsigned_cast(self.cmp.val());
        self.fire.next = self.cmp_u.val().get_bit(18);
        self.theta_r.d.next = self.sat_theta.y.val();
        self.s_r.d.next = self.fire.val();
        self.u_r.d.next = self.v_d[2].q.val();
        if self.fire.val() {
            self.u_r.d.next = self.zero18.val();
        }
        self.valid_d[0].d.next = self.in_valid.val();
        for i in 1..9 {
            self.valid_d[i].d.next = self.valid_d[i - 1].q.val();
        }
        // Outputs at A_8.
        self.b.next = self.b_d[4].q.val();
        self.theta.next = self.theta_r.q.val();
        self.v.next = self.v_d[3].q.val();
        self.s.next = self.s_r.q.val();
        self.u.next = self.u_r.q.val();
        self.out_valid.next = self.valid_d[8].q.val();
    }
}
