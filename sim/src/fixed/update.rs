//! The FPTT update in fixed point (algorithm.md section 4), one pass over every parameter word:
//! mean gradient, regularised gradient, optimiser step, lambda, W-bar. Each word is read once
//! and written once; nothing depends on any other word, so lanes may take words in any order.
//!
//! Departures from the float update, all documented in NUMERICS.md: the global-norm clip is
//! replaced by saturation of the regularised gradient (a per-element clip at the grad format's
//! range); Adamax has no bias correction (m starts at 0, as the hardware's does); 1/u comes from
//! a mantissa table.

use super::fmt::{Fmt, Requant};
use super::numerics::Numerics;
use super::tables::{Tables, RECIPROCAL_FRAC, RECIPROCAL_INDEX_BITS};
use crate::fptt::{FpttConfig, Optimizer, ADAMAX_BETA1, ADAMAX_BETA2};
use serde::Serialize;

/// Width a word's gradient sum saturates to before the mean. Reached only by extreme codes:
/// B <= 16 streams of |delta x activation| <= 2^34, shifted up by at most 4, stay below 2^42
/// (64 streams below 2^44; the hardware saturates the same way). It keeps
/// sum x 1/B (<= 2^17) and its rounding inside 64 bits, and the hardware's product to
/// 44 x 18 bits.
pub const GRAD_SUM_BITS: u32 = 44;

/// The update's constants as codes (what the host writes into the device's CONFIG).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UpdateConsts {
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Learning rate (lr format).
    pub lr: i64,
    /// a (coef format).
    pub a: i64,
    /// beta_f (coef).
    pub beta_f: i64,
    /// 1 - beta_f (coef).
    pub keep: i64,
    /// beta_f / a (gain).
    pub pull: i64,
    /// Adamax beta1, 1 - beta1, beta2 (coef).
    pub beta1: i64,
    /// 1 - beta1 (coef).
    pub one_minus_beta1: i64,
    /// Adamax beta2 (coef).
    pub beta2: i64,
    /// 1/B (coef).
    pub inv_batch: i64,
}

impl UpdateConsts {
    /// Quantise a float configuration for `batch` streams.
    pub fn new(n: &Numerics, cfg: &FpttConfig, batch: usize) -> Self {
        let q = |x: f64| n.coef.quantize(x);
        Self {
            optimizer: cfg.optimizer,
            lr: n.lr.quantize(cfg.lr),
            a: q(cfg.a),
            beta_f: q(cfg.beta_f),
            keep: q(1.0 - cfg.beta_f),
            pull: n.gain.quantize(cfg.beta_f / cfg.a),
            beta1: q(ADAMAX_BETA1),
            one_minus_beta1: q(1.0 - ADAMAX_BETA1),
            beta2: q(ADAMAX_BETA2),
            inv_batch: q(1.0 / batch as f64),
        }
    }
}

/// A product of two codes that fit 32 bits (every multiplier operand does: formats are at
/// most 31 bits wide); written so the compiler uses 32x32->64 multiplies.
#[inline(always)]
fn mul(a: i64, b: i64) -> i64 {
    debug_assert!(i32::try_from(a).is_ok() && i32::try_from(b).is_ok());
    (a as i32 as i64) * (b as i32 as i64)
}

/// A gradient sum ([`GRAD_SUM_BITS`]) times a code that fits 32 bits, as two 32x32 products.
#[inline(always)]
fn mul_sum(sum: i64, b: i64) -> i64 {
    let (hi, lo) = (sum >> 24, sum & 0xff_ffff);
    (mul(hi, b) << 24) + mul(lo, b)
}

/// Every parameter word's state, as codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedParams {
    /// W as stored (weight format).
    pub w: Vec<i32>,
    /// W as it enters a multiplier (weight operand format), derived from `w`.
    pub operand: Vec<i32>,
    /// W-bar (weight_avg format).
    pub w_bar: Vec<i32>,
    /// lambda (lambda format).
    pub lambda: Vec<i32>,
    /// Adamax m (grad format).
    pub m: Vec<i32>,
    /// Adamax u (grad format, >= 0).
    pub u: Vec<i32>,
}

impl FixedParams {
    /// The state for initial weights given as reals: W quantised, W-bar = W, the rest 0.
    pub fn from_reals(n: &Numerics, w: &[f64]) -> Self {
        let codes: Vec<i32> = w.iter().map(|&x| n.weight.quantize(x) as i32).collect();
        let w_bar = codes.iter().map(|&c| n.weight_avg.from_scaled(c as i64, n.weight.frac) as i32).collect();
        let mut p = Self {
            operand: vec![0; codes.len()],
            w: codes,
            w_bar,
            lambda: vec![0; w.len()],
            m: vec![0; w.len()],
            u: vec![0; w.len()],
        };
        p.refresh_operands(n);
        p
    }

    /// Number of parameter words.
    pub fn len(&self) -> usize {
        self.w.len()
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.w.is_empty()
    }

    /// Derives every word's multiplier operand from its W.
    pub fn refresh_operands(&mut self, n: &Numerics) {
        let op = n.weight_operand();
        for (o, &w) in self.operand.iter_mut().zip(&self.w) {
            *o = op.from_scaled(w as i64, n.weight.frac) as i32;
        }
    }

    /// "Commit average": W <- W-bar.
    pub fn commit_average(&mut self, n: &Numerics) {
        for (w, &wb) in self.w.iter_mut().zip(&self.w_bar) {
            *w = n.weight.from_scaled(wb as i64, n.weight_avg.frac) as i32;
        }
        self.refresh_operands(n);
    }

    /// One FPTT update of every word from the exact gradient sums `gsum` (at `acc_frac`).
    pub fn update(&mut self, n: &Numerics, tables: &Tables, c: &UpdateConsts, gsum: &[i64], acc_frac: u32) {
        assert_eq!(gsum.len(), self.len());
        match c.optimizer {
            Optimizer::Sgd => self.update_with::<false>(n, tables, c, gsum, acc_frac),
            Optimizer::Adamax => self.update_with::<true>(n, tables, c, gsum, acc_frac),
        }
        self.refresh_operands(n);
    }

    fn update_with<const ADAMAX: bool>(
        &mut self,
        n: &Numerics,
        tables: &Tables,
        c: &UpdateConsts,
        gsum: &[i64],
        acc_frac: u32,
    ) {
        let u = WordUpdate::new(n, tables, c, acc_frac);
        let len = self.len();
        let (ws, wbs, ls, ms, us) = (
            &mut self.w[..len],
            &mut self.w_bar[..len],
            &mut self.lambda[..len],
            &mut self.m[..len],
            &mut self.u[..len],
        );
        let gsum = &gsum[..len];
        // Three straight-line, branch-free passes over equal-length slices (each vectorises;
        // one fused loop spills registers). `tmp` carries g_tot, then the step.
        let mut tmp = vec![0i32; len];
        let tmp = &mut tmp[..len];
        for k in 0..len {
            tmp[k] = u.g_tot(gsum[k], ws[k] as i64, wbs[k] as i64, ls[k] as i64) as i32;
        }
        if ADAMAX {
            for k in 0..len {
                let (m, v, step) = u.adamax(tmp[k] as i64, ms[k] as i64, us[k] as i64);
                ms[k] = m as i32;
                us[k] = v as i32;
                tmp[k] = step as i32;
            }
        } else {
            for t in tmp.iter_mut() {
                *t = u.sgd(*t as i64) as i32;
            }
        }
        for k in 0..len {
            let (w, w_bar, lambda) = u.finish(ws[k] as i64, wbs[k] as i64, ls[k] as i64, tmp[k] as i64);
            ws[k] = w as i32;
            wbs[k] = w_bar as i32;
            ls[k] = lambda as i32;
        }
    }

    /// One word's state (as [`WordUpdate::apply`] takes and returns it).
    pub fn word(&self, k: usize) -> Word {
        Word { w: self.w[k], w_bar: self.w_bar[k], lambda: self.lambda[k], m: self.m[k], u: self.u[k] }
    }
}

/// The FPTT state of one parameter word, as codes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// W (weight format).
    pub w: i32,
    /// W-bar (weight_avg format).
    pub w_bar: i32,
    /// lambda (lambda format).
    pub lambda: i32,
    /// Adamax m (grad format).
    pub m: i32,
    /// Adamax u (grad format).
    pub u: i32,
}

/// The fixed points of the update's exact sums: every term is shifted up to one of them
/// exactly, then the sum is rounded once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateScales {
    /// Fraction bits of g_tot's and lambda's sums: max(grad, lambda, coef + weight).
    pub reg: u32,
    /// Fraction bits of W-bar's sum: max(coef + weight_avg, coef + weight, gain + lambda).
    pub avg: u32,
    /// Shift of g in g_tot's sum.
    pub g_up: u32,
    /// Shift of lambda in g_tot's and lambda's sums.
    pub l_up: u32,
    /// Shift of a (W - W-bar) in g_tot's and lambda's sums.
    pub d_up: u32,
    /// Shift of (1 - beta_f) W-bar in W-bar's sum.
    pub keep_up: u32,
    /// Shift of beta_f W in W-bar's sum.
    pub bf_up: u32,
    /// Shift of (beta_f / a) lambda in W-bar's sum.
    pub pull_up: u32,
}

impl UpdateScales {
    /// The scales of formats `n`.
    pub fn of(n: &Numerics) -> Self {
        let (wf, wbf, lf, gf, cf) = (n.weight.frac, n.weight_avg.frac, n.lambda.frac, n.grad.frac, n.coef.frac);
        let reg = gf.max(lf).max(cf + wf);
        let avg = (cf + wbf).max(cf + wf).max(n.gain.frac + lf);
        Self {
            reg,
            avg,
            g_up: reg - gf,
            l_up: reg - lf,
            d_up: reg - cf - wf,
            keep_up: avg - cf - wbf,
            bf_up: avg - cf - wf,
            pull_up: avg - n.gain.frac - lf,
        }
    }
}

/// The update of one parameter word, its constants precomputed: what one word of the
/// accelerator's update pipeline computes. [`FixedParams::update`] runs it over every word.
#[derive(Clone, Copy, Debug)]
pub struct WordUpdate<'a> {
    c: UpdateConsts,
    recip: &'a [i32; 1 << RECIPROCAL_INDEX_BITS],
    g_up: u32,
    l_up: u32,
    d_up: u32,
    keep_up: u32,
    bf_up: u32,
    pull_up: u32,
    wbar_to_w: Requant,
    to_grad: Requant,
    to_m: Requant,
    to_u: Requant,
    sgd_step: Requant,
    adamax_step: Requant,
    to_lambda: Requant,
    to_wbar: Requant,
    to_mean: Requant,
    to_ratio_base: i64,
    ratio_min: i64,
    ratio_max: i64,
    grad_max: i64,
    w_min: i64,
    w_max: i64,
}

impl<'a> WordUpdate<'a> {
    /// The word update for formats `n`, constants `c`, gradient sums at `acc_frac` fraction bits.
    // (inlined so that the constants become registers: out of line, `update`'s loops no
    // longer vectorise and run three times slower)
    #[inline(always)]
    pub fn new(n: &Numerics, tables: &'a Tables, c: &UpdateConsts, acc_frac: u32) -> Self {
        let (wf, wbf, gf, cf) = (n.weight.frac, n.weight_avg.frac, n.grad.frac, n.coef.frac);
        let sc = UpdateScales::of(n);
        let (reg, avg) = (sc.reg, sc.avg);
        Self {
            c: *c,
            recip: tables.reciprocal_entries(),
            g_up: sc.g_up,
            l_up: sc.l_up,
            d_up: sc.d_up,
            keep_up: sc.keep_up,
            bf_up: sc.bf_up,
            pull_up: sc.pull_up,
            wbar_to_w: Requant::nearest(wbf, Fmt::new(48, wf)),
            to_grad: Requant::nearest(reg, n.grad),
            to_m: Requant::nearest(cf + gf, n.grad),
            to_u: Requant::floor(cf + gf, n.grad),
            sgd_step: Requant::nearest(n.lr.frac + gf, n.weight),
            adamax_step: Requant::nearest(n.lr.frac + n.ratio.frac, n.weight),
            to_lambda: Requant::nearest(reg, n.lambda),
            to_wbar: Requant::nearest(avg, n.weight_avg),
            to_mean: Requant::nearest(acc_frac + n.coef.frac, n.grad),
            to_ratio_base: n.ratio.frac as i64 - RECIPROCAL_FRAC as i64, // ratio = m r 2^(that - e)
            ratio_min: n.ratio.min(),
            ratio_max: n.ratio.max(),
            grad_max: n.grad.max(),
            w_min: n.weight.min(),
            w_max: n.weight.max(),
        }
    }

    /// The regularised gradient g_tot = g - lambda + a (W - W-bar), g the mean of the
    /// gradient sum `gsum` (saturated to [`GRAD_SUM_BITS`]).
    #[inline(always)]
    pub fn g_tot(self, gsum: i64, w: i64, w_bar: i64, lambda: i64) -> i64 {
        let lim = 1i64 << (GRAD_SUM_BITS - 1);
        let g = self.to_mean.apply(mul_sum(gsum.clamp(-lim, lim - 1), self.c.inv_batch));
        let diff = w - self.wbar_to_w.apply(w_bar); // exact: one bit wider than W
        self.to_grad.apply((g << self.g_up) - (lambda << self.l_up) + (mul(self.c.a, diff) << self.d_up))
    }

    /// Adamax: the new moments (m, u) and the step lr m/u (weight format).
    #[inline(always)]
    pub fn adamax(self, g_tot: i64, m: i64, u: i64) -> (i64, i64, i64) {
        let c = &self.c;
        let m = self.to_m.apply(mul(c.beta1, m) + mul(c.one_minus_beta1, g_tot));
        let u = self.to_u.apply(mul(c.beta2, u)).max(g_tot.abs() + 1).min(self.grad_max);
        // 1/u from the mantissa table: e = position of u's leading one, index = the 8 bits
        // after it (a priority encoder in hardware; here read off the exponent and mantissa
        // fields of u converted exactly to f64, which vectorises).
        let bits = ((u as i32) as f64).to_bits();
        let e = ((bits >> 52) as i64) - 1023;
        let index = ((bits >> (52 - RECIPROCAL_INDEX_BITS)) & ((1 << RECIPROCAL_INDEX_BITS) - 1)) as usize;
        let prod = mul(m, self.recip[index] as i64);
        let sh = self.to_ratio_base - e; // >= 0: shift up; < 0: round off -sh bits
        let (left, right) = (sh.max(0), (-sh).max(0));
        let ratio = ((prod << left) + ((1i64 << right) >> 1)) >> right;
        (m, u, self.adamax_step.apply(mul(c.lr, ratio.clamp(self.ratio_min, self.ratio_max))))
    }

    /// SGD: the step lr g_tot (weight format).
    #[inline(always)]
    pub fn sgd(self, g_tot: i64) -> i64 {
        self.sgd_step.apply(mul(self.c.lr, g_tot))
    }

    /// W, lambda and W-bar after a step: (W, W-bar, lambda).
    #[inline(always)]
    pub fn finish(self, w: i64, w_bar: i64, lambda: i64, step: i64) -> (i64, i64, i64) {
        let c = &self.c;
        let w_new = (w - step).clamp(self.w_min, self.w_max);
        // lambda <- lambda - a (W_new - W-bar_old)
        let diff_new = w_new - self.wbar_to_w.apply(w_bar);
        let lambda_new = self.to_lambda.apply((lambda << self.l_up) - (mul(c.a, diff_new) << self.d_up));
        // W-bar <- (1 - beta_f) W-bar + beta_f W_new - (beta_f / a) lambda_new
        let w_bar_new = self.to_wbar.apply(
            (mul(c.keep, w_bar) << self.keep_up) + (mul(c.beta_f, w_new) << self.bf_up)
                - (mul(c.pull, lambda_new) << self.pull_up),
        );
        (w_new, w_bar_new, lambda_new)
    }

    /// One word's update from its gradient sum over the streams.
    pub fn apply(&self, gsum: i64, x: Word) -> Word {
        let (w, w_bar, lambda) = (x.w as i64, x.w_bar as i64, x.lambda as i64);
        let g_tot = self.g_tot(gsum, w, w_bar, lambda);
        let (m, u, step) = match self.c.optimizer {
            Optimizer::Adamax => self.adamax(g_tot, x.m as i64, x.u as i64),
            Optimizer::Sgd => (x.m as i64, x.u as i64, self.sgd(g_tot)),
        };
        let (w, w_bar, lambda) = self.finish(w, w_bar, lambda, step);
        Word { w: w as i32, w_bar: w_bar as i32, lambda: lambda as i32, m: m as i32, u: u as i32 }
    }
}
