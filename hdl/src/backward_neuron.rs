//! `BackwardNeuron`: the element-wise backward step of one neuron per cycle, fully pipelined,
//! bit-exact with the golden model's `Kernel::backward_neuron`, for either readout (`membrane`,
//! per neuron: the phase table's flag):
//!
//! ```text
//! g      = surrogate(sat_s(v - theta))
//! spikes (d_s = dJ/ds_t):        r = round(d_s g / 2^16)                 d_v = r
//!                                d_b = round(-beta d_v / 2^11)
//! membrane (d_s = dJ/du_t = d_u): r = round(round(v d_u / 2^12) g / 2^16)
//!                                d_v = sat((s ? 0 : d_u) - r)             d_b = round(beta r / 2^11)
//! d_rho  = round(d_b sat_g(b_prev - s_prev) / 2^16)
//! d_alpha = round(d_v sat_s(I - u_prev) / 2^12)
//! dz_m   = round(d_alpha round(alpha sat_g(1 - alpha) / 2^16) / 2^16)
//! dz_a   = round(d_rho round(rho sat_g(1 - rho) / 2^16) / 2^16)
//! ```
//!
//! (shifts for the default formats; every rounding saturates to 18 bits, and they follow from
//! [`Numerics`]). The first brick of the on-chip backward pass: nine [`Mul18`]s (v d_u in the
//! first stages, ready with the surrogate; a mux then picks d_s or round(v d_u) into the d_v
//! multiplier, whose result r goes on to d_b, and one saturating stage forms d_v for d_alpha),
//! one [`SurrogateRom`], every narrowing a [`Requant`] stage. Inputs are taken on every edge;
//! [`BACKWARD_NEURON_LATENCY`] edges later the outputs hold that neuron's results and
//! `out_valid` repeats `in_valid`.

use crate::mul18::Mul18;
use crate::requant::Requant;
use crate::surrogate_rom::SurrogateRom;
use crate::widen::Widen;
use crate::word::to_signed;
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::Numerics;
use fptt_sim::model::ADAPT_STRENGTH;
use rust_hdl::prelude::*;

/// Edges from the inputs to the outputs (in the `verify` convention: input row i is answered
/// in output row i + `BACKWARD_NEURON_LATENCY` - 1).
pub const BACKWARD_NEURON_LATENCY: usize = 18;

/// The pipelined element-wise backward step.
#[derive(LogicBlock)]
pub struct BackwardNeuron {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The readout's delta (delta format): dJ/ds_t, or dJ/du_t with `membrane`.
    pub d_s: Signal<In, Signed<18>>,
    /// v_t (state format).
    pub v: Signal<In, Signed<18>>,
    /// theta_t (state format).
    pub theta: Signal<In, Signed<18>>,
    /// b_{t-1} (gate format).
    pub b_prev: Signal<In, Signed<18>>,
    /// s_{t-1}.
    pub s_prev: Signal<In, Bit>,
    /// I_t (state format).
    pub current: Signal<In, Signed<18>>,
    /// u_{t-1} (state format).
    pub u_prev: Signal<In, Signed<18>>,
    /// alpha_t (gate format).
    pub alpha: Signal<In, Signed<18>>,
    /// rho_t (gate format).
    pub rho: Signal<In, Signed<18>>,
    /// s_t (used with `membrane`).
    pub s: Signal<In, Bit>,
    /// The readout reads the membrane: `d_s` is dJ/du_t.
    pub membrane: Signal<In, Bit>,
    /// The inputs hold a neuron.
    pub in_valid: Signal<In, Bit>,
    /// dJ/dv_t (delta format).
    pub d_v: Signal<Out, Signed<18>>,
    /// dJ/dz_m (delta format).
    pub dz_m: Signal<Out, Signed<18>>,
    /// dJ/dz_a (delta format).
    pub dz_a: Signal<Out, Signed<18>>,
    /// The outputs hold a neuron.
    pub out_valid: Signal<Out, Bit>,
    // stage 1: differences, saturated
    w19: [Widen<18, 19>; 7],
    sat_vt: Requant<19>,
    sat_iu: Requant<19>,
    sat_bs: Requant<19>,
    sat_oma: Requant<19>,
    sat_omr: Requant<19>,
    alpha_d: DFF<Signed<18>>,
    rho_d: DFF<Signed<18>>,
    // slopes
    mul_sm: Mul18,
    rq_sm: Requant<36>,
    mul_sa: Mul18,
    rq_sa: Requant<36>,
    // v d_u (membrane)
    mul_vdu: Mul18,
    rq_vdu: Requant<36>,
    vdu_d: [DFF<Signed<18>>; 3],
    // r (= d_v reading spikes)
    surrogate: SurrogateRom,
    ds_d: [DFF<Signed<18>>; 9],
    mem_d: [DFF<Bit>; 9],
    s_d: [DFF<Bit>; 9],
    mul_dv: Mul18,
    rq_dv: Requant<36>,
    // d_v
    w19_r: Widen<18, 19>,
    w19_du: Widen<18, 19>,
    sat_dv: Requant<19>,
    // d_b, d_alpha
    iu_d: [DFF<Signed<18>>; 9],
    mul_db: Mul18,
    rq_db: Requant<36>,
    mul_da: Mul18,
    rq_da: Requant<36>,
    // d_rho, dz_m
    bs_d: [DFF<Signed<18>>; 11],
    sm_d: [DFF<Signed<18>>; 9],
    mul_drho: Mul18,
    rq_drho: Requant<36>,
    mul_dzm: Mul18,
    rq_dzm: Requant<36>,
    // dz_a
    sa_d: [DFF<Signed<18>>; 11],
    mul_dza: Mul18,
    rq_dza: Requant<36>,
    // outputs
    dv_d: [DFF<Signed<18>>; 8],
    dzm_d: [DFF<Signed<18>>; 2],
    valid_d: [DFF<Bit>; BACKWARD_NEURON_LATENCY],
    // combinational
    vt: Signal<Local, Signed<19>>,
    iu: Signal<Local, Signed<19>>,
    bs: Signal<Local, Signed<19>>,
    oma: Signal<Local, Signed<19>>,
    omr: Signal<Local, Signed<19>>,
    dvx: Signal<Local, Signed<19>>,
    one: Constant<Signed<19>>,
    zero19: Constant<Signed<19>>,
    beta: Constant<Signed<18>>,
    neg_beta: Constant<Signed<18>>,
}

impl BackwardNeuron {
    /// The unit for the accelerator's formats ([`Numerics::DEFAULT`]).
    pub fn new() -> Self {
        Self::with(Numerics::DEFAULT)
    }

    /// The unit for formats `n` (state, gate, delta and gain 18 bits).
    pub fn with(n: Numerics) -> Self {
        assert!(n.state.bits == 18 && n.gate.bits == 18 && n.delta.bits == 18 && n.gain.bits == 18, "18-bit formats");
        let f = Kernel::new(n).f;
        assert!(f.d == n.delta.frac && f.g == n.gate.frac, "delta and gate fractions");
        let beta = n.gain.quantize(ADAPT_STRENGTH);
        assert!(beta < 1 << 17, "beta and -beta are 18-bit operands");
        Self {
            clock: Signal::default(),
            d_s: Signal::default(),
            v: Signal::default(),
            theta: Signal::default(),
            b_prev: Signal::default(),
            s_prev: Signal::default(),
            current: Signal::default(),
            u_prev: Signal::default(),
            alpha: Signal::default(),
            rho: Signal::default(),
            s: Signal::default(),
            membrane: Signal::default(),
            in_valid: Signal::default(),
            d_v: Signal::default(),
            dz_m: Signal::default(),
            dz_a: Signal::default(),
            out_valid: Signal::default(),
            w19: Default::default(),
            sat_vt: Requant::new(0),
            sat_iu: Requant::new(0),
            sat_bs: Requant::new(0),
            sat_oma: Requant::new(0),
            sat_omr: Requant::new(0),
            alpha_d: DFF::default(),
            rho_d: DFF::default(),
            mul_sm: Mul18::default(),
            rq_sm: Requant::new(f.g),
            mul_sa: Mul18::default(),
            rq_sa: Requant::new(f.g),
            mul_vdu: Mul18::default(),
            rq_vdu: Requant::new(f.s),
            vdu_d: Default::default(),
            surrogate: SurrogateRom::with(n),
            ds_d: Default::default(),
            mem_d: Default::default(),
            s_d: Default::default(),
            mul_dv: Mul18::default(),
            rq_dv: Requant::new(f.g),
            w19_r: Widen::default(),
            w19_du: Widen::default(),
            sat_dv: Requant::new(0),
            iu_d: Default::default(),
            mul_db: Mul18::default(),
            rq_db: Requant::new(f.gain),
            mul_da: Mul18::default(),
            rq_da: Requant::new(f.s),
            bs_d: Default::default(),
            sm_d: Default::default(),
            mul_drho: Mul18::default(),
            rq_drho: Requant::new(f.g),
            mul_dzm: Mul18::default(),
            rq_dzm: Requant::new(f.g),
            sa_d: Default::default(),
            mul_dza: Mul18::default(),
            rq_dza: Requant::new(f.g),
            dv_d: Default::default(),
            dzm_d: Default::default(),
            valid_d: Default::default(),
            vt: Signal::default(),
            iu: Signal::default(),
            bs: Signal::default(),
            oma: Signal::default(),
            omr: Signal::default(),
            dvx: Signal::default(),
            one: Constant::new(to_signed(n.gate.one())),
            zero19: Constant::new(to_signed(0)),
            beta: Constant::new(to_signed(beta)),
            neg_beta: Constant::new(to_signed(-beta)),
        }
    }
}

impl Default for BackwardNeuron {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for BackwardNeuron {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, alpha_d, rho_d);
        self.sat_vt.clock.next = self.clock.val();
        self.sat_iu.clock.next = self.clock.val();
        self.sat_bs.clock.next = self.clock.val();
        self.sat_oma.clock.next = self.clock.val();
        self.sat_omr.clock.next = self.clock.val();
        self.mul_sm.clock.next = self.clock.val();
        self.rq_sm.clock.next = self.clock.val();
        self.mul_sa.clock.next = self.clock.val();
        self.rq_sa.clock.next = self.clock.val();
        self.mul_vdu.clock.next = self.clock.val();
        self.rq_vdu.clock.next = self.clock.val();
        self.surrogate.clock.next = self.clock.val();
        self.mul_dv.clock.next = self.clock.val();
        self.rq_dv.clock.next = self.clock.val();
        self.sat_dv.clock.next = self.clock.val();
        self.mul_db.clock.next = self.clock.val();
        self.rq_db.clock.next = self.clock.val();
        self.mul_da.clock.next = self.clock.val();
        self.rq_da.clock.next = self.clock.val();
        self.mul_drho.clock.next = self.clock.val();
        self.rq_drho.clock.next = self.clock.val();
        self.mul_dzm.clock.next = self.clock.val();
        self.rq_dzm.clock.next = self.clock.val();
        self.mul_dza.clock.next = self.clock.val();
        self.rq_dza.clock.next = self.clock.val();
        for i in 0..3 {
            self.vdu_d[i].clock.next = self.clock.val();
        }
        for i in 0..9 {
            self.ds_d[i].clock.next = self.clock.val();
            self.mem_d[i].clock.next = self.clock.val();
            self.s_d[i].clock.next = self.clock.val();
            self.iu_d[i].clock.next = self.clock.val();
            self.sm_d[i].clock.next = self.clock.val();
        }
        for i in 0..11 {
            self.bs_d[i].clock.next = self.clock.val();
            self.sa_d[i].clock.next = self.clock.val();
        }
        for i in 0..8 {
            self.dv_d[i].clock.next = self.clock.val();
        }
        for i in 0..2 {
            self.dzm_d[i].clock.next = self.clock.val();
        }
        for i in 0..BACKWARD_NEURON_LATENCY {
            self.valid_d[i].clock.next = self.clock.val();
        }

        // "A_k" below: visible after the k-th edge from the one that takes the inputs (A_1).
        // Differences at 19 bits, saturated to 18 at A_1.
        self.w19[0].x.next = self.v.val();
        self.w19[1].x.next = self.theta.val();
        self.w19[2].x.next = self.current.val();
        self.w19[3].x.next = self.u_prev.val();
        self.w19[4].x.next = self.b_prev.val();
        self.w19[5].x.next = self.alpha.val();
        self.w19[6].x.next = self.rho.val();
        self.vt.next = self.w19[0].y.val() - self.w19[1].y.val();
        self.iu.next = self.w19[2].y.val() - self.w19[3].y.val();
        if self.s_prev.val() {
            self.bs.next = self.w19[4].y.val() - self.one.val();
        } else {
            self.bs.next = self.w19[4].y.val();
        }
        self.oma.next = self.one.val() - self.w19[5].y.val();
        self.omr.next = self.one.val() - self.w19[6].y.val();
        self.sat_vt.acc.next = self.vt.val();
        self.sat_iu.acc.next = self.iu.val();
        self.sat_bs.acc.next = self.bs.val();
        self.sat_oma.acc.next = self.oma.val();
        self.sat_omr.acc.next = self.omr.val();
        self.alpha_d.d.next = self.alpha.val();
        self.rho_d.d.next = self.rho.val();

        // Slopes alpha (1 - alpha), rho (1 - rho) at A_4.
        self.mul_sm.a.next = self.alpha_d.q.val();
        self.mul_sm.b.next = self.sat_oma.y.val();
        self.rq_sm.acc.next = self.mul_sm.p.val();
        self.mul_sa.a.next = self.rho_d.q.val();
        self.mul_sa.b.next = self.sat_omr.y.val();
        self.rq_sa.acc.next = self.mul_sa.p.val();

        // round(v d_u) at A_3, delayed to A_6 (membrane).
        self.mul_vdu.a.next = self.v.val();
        self.mul_vdu.b.next = self.d_s.val();
        self.rq_vdu.acc.next = self.mul_vdu.p.val();
        self.vdu_d[0].d.next = self.rq_vdu.y.val();
        for i in 1..3 {
            self.vdu_d[i].d.next = self.vdu_d[i - 1].q.val();
        }
        // d_s (d_u), s and the readout flag ride along: ds_d[k], s_d[k], mem_d[k] at A_(k+1).
        self.ds_d[0].d.next = self.d_s.val();
        self.s_d[0].d.next = self.s.val();
        self.mem_d[0].d.next = self.membrane.val();
        for i in 1..9 {
            self.ds_d[i].d.next = self.ds_d[i - 1].q.val();
            self.s_d[i].d.next = self.s_d[i - 1].q.val();
            self.mem_d[i].d.next = self.mem_d[i - 1].q.val();
        }

        // g at A_6; r = d_s g (spikes) or round(v d_u) g (membrane) at A_9.
        self.surrogate.x.next = self.sat_vt.y.val();
        if self.mem_d[5].q.val() {
            self.mul_dv.a.next = self.vdu_d[2].q.val();
        } else {
            self.mul_dv.a.next = self.ds_d[5].q.val();
        }
        self.mul_dv.b.next = self.surrogate.g.val();
        self.rq_dv.acc.next = self.mul_dv.p.val();

        // d_v at A_10: r (spikes), or sat((s ? 0 : d_u) - r) (membrane).
        self.w19_r.x.next = self.rq_dv.y.val();
        self.w19_du.x.next = self.ds_d[8].q.val();
        if !self.mem_d[8].q.val() {
            self.dvx.next = self.w19_r.y.val();
        } else if self.s_d[8].q.val() {
            self.dvx.next = self.zero19.val() - self.w19_r.y.val();
        } else {
            self.dvx.next = self.w19_du.y.val() - self.w19_r.y.val();
        }
        self.sat_dv.acc.next = self.dvx.val();

        // d_b = -beta r (spikes: r = d_v) or beta r (membrane) at A_12; d_alpha = d_v (I - u)
        // at A_13.
        self.iu_d[0].d.next = self.sat_iu.y.val();
        for i in 1..9 {
            self.iu_d[i].d.next = self.iu_d[i - 1].q.val();
        }
        self.mul_db.a.next = self.rq_dv.y.val();
        if self.mem_d[8].q.val() {
            self.mul_db.b.next = self.beta.val();
        } else {
            self.mul_db.b.next = self.neg_beta.val();
        }
        self.rq_db.acc.next = self.mul_db.p.val();
        self.mul_da.a.next = self.sat_dv.y.val();
        self.mul_da.b.next = self.iu_d[8].q.val();
        self.rq_da.acc.next = self.mul_da.p.val();

        // d_rho = d_b (b - s) at A_15, dz_m = d_alpha slope_m at A_16.
        self.bs_d[0].d.next = self.sat_bs.y.val();
        for i in 1..11 {
            self.bs_d[i].d.next = self.bs_d[i - 1].q.val();
        }
        self.sm_d[0].d.next = self.rq_sm.y.val();
        for i in 1..9 {
            self.sm_d[i].d.next = self.sm_d[i - 1].q.val();
        }
        self.mul_drho.a.next = self.rq_db.y.val();
        self.mul_drho.b.next = self.bs_d[10].q.val();
        self.rq_drho.acc.next = self.mul_drho.p.val();
        self.mul_dzm.a.next = self.rq_da.y.val();
        self.mul_dzm.b.next = self.sm_d[8].q.val();
        self.rq_dzm.acc.next = self.mul_dzm.p.val();

        // dz_a = d_rho slope_a at A_18.
        self.sa_d[0].d.next = self.rq_sa.y.val();
        for i in 1..11 {
            self.sa_d[i].d.next = self.sa_d[i - 1].q.val();
        }
        self.mul_dza.a.next = self.rq_drho.y.val();
        self.mul_dza.b.next = self.sa_d[10].q.val();
        self.rq_dza.acc.next = self.mul_dza.p.val();

        // Outputs at A_18.
        self.dv_d[0].d.next = self.sat_dv.y.val();
        for i in 1..8 {
            self.dv_d[i].d.next = self.dv_d[i - 1].q.val();
        }
        self.dzm_d[0].d.next = self.rq_dzm.y.val();
        self.dzm_d[1].d.next = self.dzm_d[0].q.val();
        self.valid_d[0].d.next = self.in_valid.val();
        for i in 1..BACKWARD_NEURON_LATENCY {
            self.valid_d[i].d.next = self.valid_d[i - 1].q.val();
        }
        self.d_v.next = self.dv_d[7].q.val();
        self.dz_m.next = self.dzm_d[1].q.val();
        self.dz_a.next = self.rq_dza.y.val();
        self.out_valid.next = self.valid_d[17].q.val();
    }
}
