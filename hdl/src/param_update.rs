//! `ParamUpdate`: the FPTT update of one parameter word per cycle, fully pipelined, bit-exact
//! with the golden `WordUpdate::apply` (algorithm.md section 4, NUMERICS.md):
//!
//! ```text
//! g      = round(sat44(gsum) (1/B))                         mean gradient (grad)
//! g_tot  = round(g 2^20 - lambda 2^19 + a (W - W-bar))      regularised gradient (grad)
//! m      = round(beta1 m + (1 - beta1) g_tot)               Adamax moments (grad)
//! u      = min(max(floor(beta2 u), |g_tot| + 1), max)
//! step   = round(lr m/u) (Adamax, m/u by [`AdamaxRatio`]) or round(lr g_tot) (SGD)
//! W'     = sat27(W - step)
//! lambda' = round(lambda 2^19 - a (W' - W-bar))
//! W-bar' = round((1 - beta_f) W-bar + beta_f W' - (beta_f / a) lambda' 2^8)
//! ```
//!
//! (shifts for the default formats; they follow from [`UpdateScales`]). Every sum is formed
//! exactly by a [`ShiftSum`] and rounded once by a [`Narrow`]. 17 MULT18X18D-equivalents:
//! gsum x 1/B is 44 x 18 bits, a (W - W-bar), beta_f W' and (1 - beta_f) W-bar are 18 x 28
//! or 27 bits, each a [`WideMul`] (one edge slower than a [`Mul18`], for the clock). The
//! constants are inputs (the unit's configuration registers), held steady.
//!
//! Timing: a word taken on an edge with `in_valid` has its moments on `m_new`, `u_new` (with
//! `mu_valid`) [`MOMENTS_LATENCY`] edges later, to be written back under Adamax only (SGD
//! leaves them), and W, W-bar, lambda on the outputs (with `out_valid`)
//! [`PARAM_UPDATE_LATENCY`] edges later.

use crate::adamax_ratio::{AdamaxRatio, ADAMAX_RATIO_LATENCY};
use crate::mul18::{Mul18, WideMul, WIDE_MUL_LATENCY};
use crate::requant::Narrow;
use crate::shift_sum::{ShiftSum, Term};
use crate::widen::Widen;
use crate::word::to_signed;
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::update::{UpdateScales, GRAD_SUM_BITS};
use fptt_sim::fixed::Numerics;
use rust_hdl::prelude::*;

/// Edges from a word to its new Adamax moments.
pub const MOMENTS_LATENCY: usize = 10;
/// Edges from a word to its new W, W-bar and lambda.
pub const PARAM_UPDATE_LATENCY: usize = 27;

const _: () = assert!(GRAD_SUM_BITS == 44, "the gradient sum saturates to Signed<44>");
const _: () = assert!(ADAMAX_RATIO_LATENCY == 6, "the ratio is ready at E16");
const _: () = assert!(WIDE_MUL_LATENCY == 3, "g and a (W - W-bar) at E4, the W-bar products at E22");

/// The pipelined per-word FPTT update.
#[derive(LogicBlock)]
pub struct ParamUpdate {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The word's gradient summed over the streams (delta + gate fraction bits, exact).
    pub gsum: Signal<In, Signed<48>>,
    /// W (weight format).
    pub w: Signal<In, Signed<27>>,
    /// W-bar (weight_avg format).
    pub w_bar: Signal<In, Signed<27>>,
    /// lambda.
    pub lambda: Signal<In, Signed<18>>,
    /// Adamax m.
    pub m: Signal<In, Signed<18>>,
    /// Adamax u (>= 0).
    pub u: Signal<In, Signed<18>>,
    /// The inputs hold a word.
    pub in_valid: Signal<In, Bit>,
    /// Adamax (else SGD).
    pub adamax: Signal<In, Bit>,
    /// 1/B (coef format).
    pub inv_batch: Signal<In, Signed<18>>,
    /// a (coef).
    pub a: Signal<In, Signed<18>>,
    /// 1 - beta_f (coef).
    pub keep: Signal<In, Signed<18>>,
    /// beta_f (coef).
    pub beta_f: Signal<In, Signed<18>>,
    /// beta_f / a (gain).
    pub pull: Signal<In, Signed<18>>,
    /// Adamax beta1 (coef).
    pub beta1: Signal<In, Signed<18>>,
    /// 1 - beta1 (coef).
    pub one_minus_beta1: Signal<In, Signed<18>>,
    /// Adamax beta2 (coef).
    pub beta2: Signal<In, Signed<18>>,
    /// Learning rate (lr format).
    pub lr: Signal<In, Signed<18>>,
    /// New m, [`MOMENTS_LATENCY`] after the word.
    pub m_new: Signal<Out, Signed<18>>,
    /// New u.
    pub u_new: Signal<Out, Signed<18>>,
    /// `m_new`, `u_new` hold a word.
    pub mu_valid: Signal<Out, Bit>,
    /// New W, [`PARAM_UPDATE_LATENCY`] after the word.
    pub w_new: Signal<Out, Signed<27>>,
    /// New W-bar.
    pub w_bar_new: Signal<Out, Signed<27>>,
    /// New lambda.
    pub lambda_new: Signal<Out, Signed<18>>,
    /// `w_new`, `w_bar_new`, `lambda_new` hold a word.
    pub out_valid: Signal<Out, Bit>,
    // E1: saturated sum, W - W-bar
    diff: ShiftSum<27, 27, 1, 28>,
    sat_g: Narrow<48, 44>,
    diff_d: DFF<Signed<28>>,
    // E4-E6: g, g_tot
    mul_g: WideMul<44, 18, 62>,
    mul_ad: WideMul<18, 28, 46>,
    rq_g: Narrow<62, 18>,
    ad_d: DFF<Signed<46>>,
    sum_gt: ShiftSum<18, 18, 46, 48>,
    rq_gt: Narrow<48, 18>,
    // E6-E10: moments
    mul_b1m: Mul18,
    mul_b1g: Mul18,
    mul_b2u: Mul18,
    sum_m: ShiftSum<36, 36, 1, 37>,
    rq_m: Narrow<37, 18>,
    rq_u: Narrow<36, 18>,
    g19: Widen<18, 19>,
    gabs: DFF<Signed<19>>,
    u_fl19: Widen<18, 19>,
    u_out: DFF<Signed<18>>,
    m_out: DFF<Signed<18>>,
    // E10-E19: step
    mu_ratio: AdamaxRatio,
    mul_step: Mul18,
    rq_step_a: Narrow<36, 27>,
    rq_step_s: Narrow<36, 27>,
    // E19-E27: W, lambda, W-bar
    sum_w: ShiftSum<27, 27, 1, 28>,
    rq_w: Narrow<28, 27>,
    sum_dn: ShiftSum<27, 27, 1, 28>,
    mul_adn: WideMul<18, 28, 46>,
    mul_bw: WideMul<18, 27, 45>,
    mul_kw: WideMul<18, 27, 45>,
    sum_l: ShiftSum<18, 46, 1, 48>,
    rq_l: Narrow<48, 18>,
    mul_pl: Mul18,
    sum_wb: ShiftSum<45, 45, 36, 48>,
    rq_wb: Narrow<48, 27>,
    // delay lines (index k holds the value of edge k + 1 from the word)
    w_d: [DFF<Signed<27>>; 19],
    wb_d: [DFF<Signed<27>>; 20],
    lam_d: [DFF<Signed<18>>; 23],
    m_d: [DFF<Signed<18>>; 6],
    u_d: [DFF<Signed<18>>; 6],
    gt_d: [DFF<Signed<18>>; 10],
    wn_d: [DFF<Signed<27>>; 7],
    kw_d: [DFF<Signed<45>>; 3],
    bw_d: [DFF<Signed<45>>; 3],
    ln_d: [DFF<Signed<18>>; 3],
    valid_d: [DFF<Bit>; PARAM_UPDATE_LATENCY],
    // combinational
    zero1: Constant<Signed<1>>,
    zero19: Constant<Signed<19>>,
    one19: Constant<Signed<19>>,
    grad_max: Constant<Signed<19>>,
    gneg: Signal<Local, Signed<19>>,
    umax: Signal<Local, Signed<19>>,
    ubits: Signal<Local, Bits<19>>,
}

impl ParamUpdate {
    /// The unit for the accelerator's formats.
    pub fn new() -> Self {
        Self::with(Numerics::DEFAULT)
    }

    /// The unit for formats `n`: W and W-bar 27 bits in the same format, lambda, grad, coef,
    /// gain and lr 18 bits, and every rounding a right shift.
    pub fn with(n: Numerics) -> Self {
        assert!(n.weight.bits == 27 && n.weight_avg == n.weight, "27-bit W and W-bar in one format");
        for f in [n.lambda, n.grad, n.coef, n.gain, n.lr, n.ratio] {
            assert_eq!(f.bits, 18, "18-bit update formats");
        }
        let sc = UpdateScales::of(&n);
        let acc = Kernel::new(n).f.acc;
        let (wf, gf, cf, lf) = (n.weight.frac, n.grad.frac, n.coef.frac, n.lambda.frac);
        let right = |from: u32, to: u32| {
            assert!(from >= to, "the update's roundings are right shifts");
            from - to
        };
        Self {
            clock: Signal::default(),
            gsum: Signal::default(),
            w: Signal::default(),
            w_bar: Signal::default(),
            lambda: Signal::default(),
            m: Signal::default(),
            u: Signal::default(),
            in_valid: Signal::default(),
            adamax: Signal::default(),
            inv_batch: Signal::default(),
            a: Signal::default(),
            keep: Signal::default(),
            beta_f: Signal::default(),
            pull: Signal::default(),
            beta1: Signal::default(),
            one_minus_beta1: Signal::default(),
            beta2: Signal::default(),
            lr: Signal::default(),
            m_new: Signal::default(),
            u_new: Signal::default(),
            mu_valid: Signal::default(),
            w_new: Signal::default(),
            w_bar_new: Signal::default(),
            lambda_new: Signal::default(),
            out_valid: Signal::default(),
            diff: ShiftSum::new([Term::add(0), Term::sub(0), Term::add(0)]),
            sat_g: Narrow::new(0),
            diff_d: DFF::default(),
            mul_g: WideMul::default(),
            mul_ad: WideMul::default(),
            rq_g: Narrow::new(right(acc + cf, gf)),
            ad_d: DFF::default(),
            sum_gt: ShiftSum::new([Term::add(sc.g_up), Term::sub(sc.l_up), Term::add(sc.d_up)]),
            rq_gt: Narrow::new(right(sc.reg, gf)),
            mul_b1m: Mul18::default(),
            mul_b1g: Mul18::default(),
            mul_b2u: Mul18::default(),
            sum_m: ShiftSum::new([Term::add(0), Term::add(0), Term::add(0)]),
            rq_m: Narrow::new(cf),
            rq_u: Narrow::floor(cf),
            g19: Widen::default(),
            gabs: DFF::default(),
            u_fl19: Widen::default(),
            u_out: DFF::default(),
            m_out: DFF::default(),
            mu_ratio: AdamaxRatio::with(n),
            mul_step: Mul18::default(),
            rq_step_a: Narrow::new(right(n.lr.frac + n.ratio.frac, wf)),
            rq_step_s: Narrow::new(right(n.lr.frac + gf, wf)),
            sum_w: ShiftSum::new([Term::add(0), Term::sub(0), Term::add(0)]),
            rq_w: Narrow::new(0),
            sum_dn: ShiftSum::new([Term::add(0), Term::sub(0), Term::add(0)]),
            mul_adn: WideMul::default(),
            mul_bw: WideMul::default(),
            mul_kw: WideMul::default(),
            sum_l: ShiftSum::new([Term::add(sc.l_up), Term::sub(sc.d_up), Term::add(0)]),
            rq_l: Narrow::new(right(sc.reg, lf)),
            mul_pl: Mul18::default(),
            sum_wb: ShiftSum::new([Term::add(sc.keep_up), Term::add(sc.bf_up), Term::sub(sc.pull_up)]),
            rq_wb: Narrow::new(right(sc.avg, n.weight_avg.frac)),
            w_d: Default::default(),
            wb_d: Default::default(),
            lam_d: Default::default(),
            m_d: Default::default(),
            u_d: Default::default(),
            gt_d: Default::default(),
            wn_d: Default::default(),
            kw_d: Default::default(),
            bw_d: Default::default(),
            ln_d: Default::default(),
            valid_d: Default::default(),
            zero1: Constant::new(to_signed(0)),
            zero19: Constant::new(to_signed(0)),
            one19: Constant::new(to_signed(1)),
            grad_max: Constant::new(to_signed(n.grad.max())),
            gneg: Signal::default(),
            umax: Signal::default(),
            ubits: Signal::default(),
        }
    }
}

impl Default for ParamUpdate {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for ParamUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, diff_d, ad_d, gabs, u_out, m_out);
        self.sat_g.clock.next = self.clock.val();
        self.mul_g.clock.next = self.clock.val();
        self.mul_ad.clock.next = self.clock.val();
        self.rq_g.clock.next = self.clock.val();
        self.rq_gt.clock.next = self.clock.val();
        self.mul_b1m.clock.next = self.clock.val();
        self.mul_b1g.clock.next = self.clock.val();
        self.mul_b2u.clock.next = self.clock.val();
        self.rq_m.clock.next = self.clock.val();
        self.rq_u.clock.next = self.clock.val();
        self.mu_ratio.clock.next = self.clock.val();
        self.mul_step.clock.next = self.clock.val();
        self.rq_step_a.clock.next = self.clock.val();
        self.rq_step_s.clock.next = self.clock.val();
        self.rq_w.clock.next = self.clock.val();
        self.mul_adn.clock.next = self.clock.val();
        self.mul_bw.clock.next = self.clock.val();
        self.mul_kw.clock.next = self.clock.val();
        self.rq_l.clock.next = self.clock.val();
        self.mul_pl.clock.next = self.clock.val();
        self.rq_wb.clock.next = self.clock.val();
        for i in 0..19 {
            self.w_d[i].clock.next = self.clock.val();
        }
        for i in 0..20 {
            self.wb_d[i].clock.next = self.clock.val();
        }
        for i in 0..23 {
            self.lam_d[i].clock.next = self.clock.val();
        }
        for i in 0..6 {
            self.m_d[i].clock.next = self.clock.val();
            self.u_d[i].clock.next = self.clock.val();
        }
        for i in 0..10 {
            self.gt_d[i].clock.next = self.clock.val();
        }
        for i in 0..7 {
            self.wn_d[i].clock.next = self.clock.val();
        }
        for i in 0..3 {
            self.kw_d[i].clock.next = self.clock.val();
            self.bw_d[i].clock.next = self.clock.val();
            self.ln_d[i].clock.next = self.clock.val();
        }
        for i in 0..PARAM_UPDATE_LATENCY {
            self.valid_d[i].clock.next = self.clock.val();
        }

        // Delay lines: x_d[k] holds the word's x after edge k + 1.
        self.w_d[0].d.next = self.w.val();
        for i in 1..19 {
            self.w_d[i].d.next = self.w_d[i - 1].q.val();
        }
        self.wb_d[0].d.next = self.w_bar.val();
        for i in 1..20 {
            self.wb_d[i].d.next = self.wb_d[i - 1].q.val();
        }
        self.lam_d[0].d.next = self.lambda.val();
        for i in 1..23 {
            self.lam_d[i].d.next = self.lam_d[i - 1].q.val();
        }
        self.m_d[0].d.next = self.m.val();
        self.u_d[0].d.next = self.u.val();
        for i in 1..6 {
            self.m_d[i].d.next = self.m_d[i - 1].q.val();
            self.u_d[i].d.next = self.u_d[i - 1].q.val();
        }
        self.valid_d[0].d.next = self.in_valid.val();
        for i in 1..PARAM_UPDATE_LATENCY {
            self.valid_d[i].d.next = self.valid_d[i - 1].q.val();
        }

        // E1: sat44(gsum); W - W-bar (exact, 28 bits).
        self.sat_g.acc.next = self.gsum.val();
        self.diff.a.next = self.w.val();
        self.diff.b.next = self.w_bar.val();
        self.diff.c.next = self.zero1.val();
        self.diff_d.d.next = self.diff.y.val();

        // E4: gsum / B and a (W - W-bar); E5: g rounded; E6: g_tot rounded.
        self.mul_g.a.next = self.sat_g.y.val();
        self.mul_g.b.next = self.inv_batch.val();
        self.mul_ad.a.next = self.a.val();
        self.mul_ad.b.next = self.diff_d.q.val();
        self.rq_g.acc.next = self.mul_g.p.val();
        self.ad_d.d.next = self.mul_ad.p.val();
        self.sum_gt.a.next = self.rq_g.y.val();
        self.sum_gt.b.next = self.lam_d[4].q.val();
        self.sum_gt.c.next = self.ad_d.q.val();
        self.rq_gt.acc.next = self.sum_gt.y.val();

        // E8: the moments' products; E9: m and floor(beta2 u) rounded, |g_tot| + 1;
        // E10: u = min(max(floor(beta2 u), |g_tot| + 1), max).
        self.gt_d[0].d.next = self.rq_gt.y.val();
        for i in 1..10 {
            self.gt_d[i].d.next = self.gt_d[i - 1].q.val();
        }
        self.mul_b1m.a.next = self.beta1.val();
        self.mul_b1m.b.next = self.m_d[5].q.val();
        self.mul_b1g.a.next = self.one_minus_beta1.val();
        self.mul_b1g.b.next = self.rq_gt.y.val();
        self.mul_b2u.a.next = self.beta2.val();
        self.mul_b2u.b.next = self.u_d[5].q.val();
        self.sum_m.a.next = self.mul_b1m.p.val();
        self.sum_m.b.next = self.mul_b1g.p.val();
        self.sum_m.c.next = self.zero1.val();
        self.rq_m.acc.next = self.sum_m.y.val();
        self.rq_u.acc.next = self.mul_b2u.p.val();
        self.g19.x.next = self.gt_d[1].q.val();
        self.gneg.next = self.zero19.val() - self.g19.y.val();
        if self.g19.y.val() < self.zero19.val() {
            self.gabs.d.next = self.gneg.val() + self.one19.val();
        } else {
            self.gabs.d.next = self.g19.y.val() + self.one19.val();
        }
        self.u_fl19.x.next = self.rq_u.y.val();
        if self.u_fl19.y.val() > self.gabs.q.val() {
            self.umax.next = self.u_fl19.y.val();
        } else {
            self.umax.next = self.gabs.q.val();
        }
        if self.umax.val() > self.grad_max.val() {
            self.ubits.next = unsigned_cast(self.grad_max.val());
        } else {
            self.ubits.next = unsigned_cast(self.umax.val());
        }
        self.u_out.d.next = signed_cast(self.ubits.val().get_bits::<18>(0));
        self.m_out.d.next = self.rq_m.y.val();
        self.m_new.next = self.m_out.q.val();
        self.u_new.next = self.u_out.q.val();
        self.mu_valid.next = self.valid_d[9].q.val();

        // E16: m / u; E18: lr (m / u) or lr g_tot; E19: the step rounded.
        self.mu_ratio.m.next = self.m_out.q.val();
        self.mu_ratio.u.next = self.u_out.q.val();
        self.mul_step.a.next = self.lr.val();
        if self.adamax.val() {
            self.mul_step.b.next = self.mu_ratio.ratio.val();
        } else {
            self.mul_step.b.next = self.gt_d[9].q.val();
        }
        self.rq_step_a.acc.next = self.mul_step.p.val();
        self.rq_step_s.acc.next = self.mul_step.p.val();

        // E20: W' = sat27(W - step).
        self.sum_w.a.next = self.w_d[18].q.val();
        if self.adamax.val() {
            self.sum_w.b.next = self.rq_step_a.y.val();
        } else {
            self.sum_w.b.next = self.rq_step_s.y.val();
        }
        self.sum_w.c.next = self.zero1.val();
        self.rq_w.acc.next = self.sum_w.y.val();

        // E23: a (W' - W-bar), beta_f W', (1 - beta_f) W-bar; E24: lambda'.
        self.sum_dn.a.next = self.rq_w.y.val();
        self.sum_dn.b.next = self.wb_d[19].q.val();
        self.sum_dn.c.next = self.zero1.val();
        self.mul_adn.a.next = self.a.val();
        self.mul_adn.b.next = self.sum_dn.y.val();
        self.mul_bw.a.next = self.beta_f.val();
        self.mul_bw.b.next = self.rq_w.y.val();
        self.mul_kw.a.next = self.keep.val();
        self.mul_kw.b.next = self.wb_d[19].q.val();
        self.sum_l.a.next = self.lam_d[22].q.val();
        self.sum_l.b.next = self.mul_adn.p.val();
        self.sum_l.c.next = self.zero1.val();
        self.rq_l.acc.next = self.sum_l.y.val();

        // E26: (beta_f / a) lambda'; E27: W-bar'.
        self.mul_pl.a.next = self.pull.val();
        self.mul_pl.b.next = self.rq_l.y.val();
        self.kw_d[0].d.next = self.mul_kw.p.val();
        self.bw_d[0].d.next = self.mul_bw.p.val();
        for i in 1..3 {
            self.kw_d[i].d.next = self.kw_d[i - 1].q.val();
            self.bw_d[i].d.next = self.bw_d[i - 1].q.val();
        }
        self.sum_wb.a.next = self.kw_d[2].q.val();
        self.sum_wb.b.next = self.bw_d[2].q.val();
        self.sum_wb.c.next = self.mul_pl.p.val();
        self.rq_wb.acc.next = self.sum_wb.y.val();

        // Outputs at E27.
        self.wn_d[0].d.next = self.rq_w.y.val();
        for i in 1..7 {
            self.wn_d[i].d.next = self.wn_d[i - 1].q.val();
        }
        self.ln_d[0].d.next = self.rq_l.y.val();
        for i in 1..3 {
            self.ln_d[i].d.next = self.ln_d[i - 1].q.val();
        }
        self.w_new.next = self.wn_d[6].q.val();
        self.lambda_new.next = self.ln_d[2].q.val();
        self.w_bar_new.next = self.rq_wb.y.val();
        self.out_valid.next = self.valid_d[26].q.val();
    }
}
