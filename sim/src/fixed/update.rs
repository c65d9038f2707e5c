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

/// A 48-bit sum times a code that fits 32 bits, as two 32x32 products.
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

    fn refresh_operands(&mut self, n: &Numerics) {
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

    /// The mean gradient of one word from its exact sum over the streams (at `acc_frac`):
    /// the sum saturates to the 48-bit accumulator, times 1/B, rounded into the grad format.
    /// (|sum| <= 2^47 and 1/B <= 2^16: the product fits 64 bits.)
    #[inline(always)]
    pub fn mean_gradient(n: &Numerics, c: &UpdateConsts, sum: i64, acc_frac: u32) -> i64 {
        n.grad.from_scaled(Fmt::new(48, 0).sat(sum) * c.inv_batch, acc_frac + n.coef.frac)
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
        let (wf, wbf, lf, gf, cf) = (n.weight.frac, n.weight_avg.frac, n.lambda.frac, n.grad.frac, n.coef.frac);
        // common fraction bits of the regularised gradient and of the lambda / W-bar updates;
        // every term is shifted up to them exactly, then rounded once
        let reg = gf.max(lf).max(cf + wf);
        let avg = (cf + wbf).max(cf + wf).max(n.gain.frac + lf);
        let (g_up, l_up, d_up) = (reg - gf, reg - lf, reg - cf - wf);
        let (keep_up, bf_up, pull_up) = (avg - cf - wbf, avg - cf - wf, avg - n.gain.frac - lf);
        let wbar_to_w = Requant::nearest(wbf, Fmt::new(48, wf));
        let to_grad = Requant::nearest(reg, n.grad);
        let to_m = Requant::nearest(cf + gf, n.grad);
        let to_u = Requant::floor(cf + gf, n.grad);
        let sgd_step = Requant::nearest(n.lr.frac + gf, n.weight);
        let adamax_step = Requant::nearest(n.lr.frac + n.ratio.frac, n.weight);
        let to_lambda = Requant::nearest(reg, n.lambda);
        let to_wbar = Requant::nearest(avg, n.weight_avg);
        let to_ratio_base = n.ratio.frac as i64 - RECIPROCAL_FRAC as i64; // ratio = m r 2^(that - e)
        let (ratio_min, ratio_max, grad_max) = (n.ratio.min(), n.ratio.max(), n.grad.max());
        let (w_min, w_max) = (n.weight.min(), n.weight.max());
        let (g48_min, g48_max) = (-(1i64 << 47), (1i64 << 47) - 1);
        let to_mean = Requant::nearest(acc_frac + n.coef.frac, n.grad);
        let len = self.len();
        let (ws, wbs, ls, ms, us) = (
            &mut self.w[..len],
            &mut self.w_bar[..len],
            &mut self.lambda[..len],
            &mut self.m[..len],
            &mut self.u[..len],
        );
        let gsum = &gsum[..len];
        let recip = tables.reciprocal_entries();
        // Three straight-line, branch-free passes over equal-length slices (each vectorises;
        // one fused loop spills registers). `tmp` carries g_tot, then the step.
        let mut tmp = vec![0i32; len];
        let tmp = &mut tmp[..len];
        for k in 0..len {
            let g = to_mean.apply(mul_sum(gsum[k].clamp(g48_min, g48_max), c.inv_batch));
            let diff = ws[k] as i64 - wbar_to_w.apply(wbs[k] as i64); // exact: one bit wider than W
                                                                      // g_tot = g - lambda + a (W - W-bar)
            tmp[k] = to_grad.apply((g << g_up) - ((ls[k] as i64) << l_up) + (mul(c.a, diff) << d_up)) as i32;
        }
        if ADAMAX {
            for k in 0..len {
                let g_tot = tmp[k] as i64;
                let m = to_m.apply(mul(c.beta1, ms[k] as i64) + mul(c.one_minus_beta1, g_tot));
                let u = to_u.apply(mul(c.beta2, us[k] as i64)).max(g_tot.abs() + 1).min(grad_max);
                ms[k] = m as i32;
                us[k] = u as i32;
                // 1/u from the mantissa table: e = position of u's leading one, index = the
                // 8 bits after it (a priority encoder in hardware; here read off the exponent
                // and mantissa fields of u converted exactly to f64, which vectorises).
                let bits = ((u as i32) as f64).to_bits();
                let e = ((bits >> 52) as i64) - 1023;
                let index = ((bits >> (52 - RECIPROCAL_INDEX_BITS)) & ((1 << RECIPROCAL_INDEX_BITS) - 1)) as usize;
                let prod = mul(m, recip[index] as i64);
                let sh = to_ratio_base - e; // >= 0: shift up; < 0: round off -sh bits
                let (left, right) = (sh.max(0), (-sh).max(0));
                let ratio = ((prod << left) + ((1i64 << right) >> 1)) >> right;
                tmp[k] = adamax_step.apply(mul(c.lr, ratio.clamp(ratio_min, ratio_max))) as i32;
            }
        } else {
            for t in tmp.iter_mut() {
                *t = sgd_step.apply(mul(c.lr, *t as i64)) as i32;
            }
        }
        for k in 0..len {
            let (w, w_bar, lambda) = (ws[k] as i64, wbs[k] as i64, ls[k] as i64);
            let w_new = (w - tmp[k] as i64).clamp(w_min, w_max);
            // lambda <- lambda - a (W_new - W-bar_old)
            let diff_new = w_new - wbar_to_w.apply(w_bar);
            let lambda_new = to_lambda.apply((lambda << l_up) - (mul(c.a, diff_new) << d_up));
            // W-bar <- (1 - beta_f) W-bar + beta_f W_new - (beta_f / a) lambda_new
            let w_bar_new = to_wbar.apply(
                (mul(c.keep, w_bar) << keep_up) + (mul(c.beta_f, w_new) << bf_up)
                    - (mul(c.pull, lambda_new) << pull_up),
            );
            ws[k] = w_new as i32;
            ls[k] = lambda_new as i32;
            wbs[k] = w_bar_new as i32;
        }
    }
}
