//! The FPTT parameter update (algorithm.md section 4): the regularised gradient, the optimiser
//! step, then the running-average (W-bar) and Lagrange-multiplier (lambda) updates.

use serde::Serialize;

/// The optimiser applied to the regularised gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// W <- W - lr g.
    Sgd,
    /// Adamax (Kingma & Ba), beta1 = 0.9, beta2 = 0.999, eps = 1e-8, bias-corrected first moment.
    Adamax,
}

/// Hyper-parameters of the update.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FpttConfig {
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Learning rate.
    pub lr: f64,
    /// Regulariser strength a (the code's `alpha`).
    pub a: f64,
    /// Running-average rate beta_f.
    pub beta_f: f64,
    /// Global-norm clip of the regularised gradient; None: no clip.
    pub clip: Option<f64>,
}

impl Default for FpttConfig {
    /// The authors' settings: Adamax 3e-3, a = 0.1, beta_f = 0.5, clip 1.0.
    fn default() -> Self {
        Self { optimizer: Optimizer::Adamax, lr: 3e-3, a: 0.1, beta_f: 0.5, clip: Some(1.0) }
    }
}

/// Adamax first-moment decay.
pub const ADAMAX_BETA1: f64 = 0.9;
/// Adamax infinity-norm decay.
pub const ADAMAX_BETA2: f64 = 0.999;
const ADAMAX_EPS: f64 = 1e-8;

/// Per-parameter FPTT state: W-bar, lambda and the optimiser's moments.
#[derive(Clone, Debug, PartialEq)]
pub struct FpttState {
    /// Running average W-bar (initialised to W).
    pub w_bar: Vec<f64>,
    /// Lagrange multiplier lambda (initialised to 0).
    pub lambda: Vec<f64>,
    /// Adamax first moment.
    pub m: Vec<f64>,
    /// Adamax infinity norm.
    pub u: Vec<f64>,
    /// Updates made so far (for Adamax bias correction).
    pub updates: u64,
}

impl FpttState {
    /// The state for freshly initialised parameters `w`.
    pub fn new(w: &[f64]) -> Self {
        Self { w_bar: w.to_vec(), lambda: vec![0.0; w.len()], m: vec![0.0; w.len()], u: vec![0.0; w.len()], updates: 0 }
    }

    /// One FPTT update of `w` given the step's loss gradient `g` (overwritten with the
    /// regularised, clipped gradient).
    pub fn update(&mut self, cfg: &FpttConfig, w: &mut [f64], g: &mut [f64]) {
        assert_eq!(w.len(), g.len());
        self.add_regularizer_gradient(cfg, w, g);
        self.optimizer_step(cfg, w, g);
        // lambda <- lambda - a (W_new - W-bar_old);  W-bar <- (1-b) W-bar + b W_new - (b/a) lambda_new
        let keep = 1.0 - cfg.beta_f;
        let pull = cfg.beta_f / cfg.a;
        for ((&w, lambda), w_bar) in w.iter().zip(&mut self.lambda).zip(&mut self.w_bar) {
            *lambda -= cfg.a * (w - *w_bar);
            *w_bar = keep * *w_bar + cfg.beta_f * w - pull * *lambda;
        }
    }

    /// The optimiser's step alone on the gradient `g` (clipped in place by `cfg.clip`), with no
    /// FPTT regulariser and no W-bar / lambda update: what plain BPTT training uses.
    pub fn optimizer_step(&mut self, cfg: &FpttConfig, w: &mut [f64], g: &mut [f64]) {
        assert_eq!(w.len(), g.len());
        if let Some(max_norm) = cfg.clip {
            let norm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > max_norm {
                let s = max_norm / (norm + 1e-6);
                g.iter_mut().for_each(|x| *x *= s);
            }
        }
        self.updates += 1;
        match cfg.optimizer {
            Optimizer::Sgd => {
                for k in 0..w.len() {
                    w[k] -= cfg.lr * g[k];
                }
            }
            Optimizer::Adamax => {
                let step = cfg.lr / (1.0 - ADAMAX_BETA1.powf(self.updates as f64));
                for (((w, &g), m), u) in w.iter_mut().zip(g.iter()).zip(&mut self.m).zip(&mut self.u) {
                    *m = ADAMAX_BETA1 * *m + (1.0 - ADAMAX_BETA1) * g;
                    *u = (ADAMAX_BETA2 * *u).max(g.abs() + ADAMAX_EPS);
                    *w -= step * *m / *u;
                }
            }
        }
    }

    /// The regulariser as the authors' code computes it:
    /// R(W) = sum over parameters of -<W, lambda> + (a/2) ||W - W-bar||^2.
    pub fn regularizer(&self, cfg: &FpttConfig, w: &[f64]) -> f64 {
        w.iter().zip(&self.lambda).zip(&self.w_bar).map(|((w, l), wb)| -w * l + 0.5 * cfg.a * (w - wb) * (w - wb)).sum()
    }

    /// g += dR/dW = -lambda + a (W - W-bar).
    pub fn add_regularizer_gradient(&self, cfg: &FpttConfig, w: &[f64], g: &mut [f64]) {
        for (((g, &w), &lambda), &w_bar) in g.iter_mut().zip(w).zip(&self.lambda).zip(&self.w_bar) {
            *g += -lambda + cfg.a * (w - w_bar);
        }
    }

    /// "Commit average": W <- W-bar (the authors do this at every epoch end; lambda is kept).
    pub fn commit_average(&self, w: &mut [f64]) {
        w.copy_from_slice(&self.w_bar);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_update_matches_hand_computation() {
        let cfg = FpttConfig { optimizer: Optimizer::Sgd, lr: 0.5, a: 0.1, beta_f: 0.5, clip: None };
        let mut w = vec![1.0];
        let mut st = FpttState::new(&w);
        st.lambda[0] = 0.2;
        st.w_bar[0] = 0.5;
        let mut g = vec![0.4];
        st.update(&cfg, &mut w, &mut g);
        // g_tot = 0.4 - 0.2 + 0.1 * 0.5 = 0.25; W = 1 - 0.125 = 0.875
        assert!((w[0] - 0.875).abs() < 1e-15);
        // lambda = 0.2 - 0.1 * (0.875 - 0.5) = 0.1625
        assert!((st.lambda[0] - 0.1625).abs() < 1e-15);
        // W-bar = 0.5 * 0.5 + 0.5 * 0.875 - 5 * 0.1625 = -0.125
        assert!((st.w_bar[0] + 0.125).abs() < 1e-15);
    }

    #[test]
    fn clip_bounds_the_step() {
        let cfg = FpttConfig { optimizer: Optimizer::Sgd, lr: 1.0, a: 0.1, beta_f: 0.5, clip: Some(1.0) };
        let mut w = vec![0.0, 0.0];
        let mut st = FpttState::new(&w);
        let mut g = vec![30.0, 40.0];
        st.update(&cfg, &mut w, &mut g);
        assert!(((w[0] * w[0] + w[1] * w[1]).sqrt() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn commit_average_copies_w_bar() {
        let mut w = vec![1.0, 2.0];
        let mut st = FpttState::new(&w);
        st.w_bar = vec![3.0, 4.0];
        st.commit_average(&mut w);
        assert_eq!(w, vec![3.0, 4.0]);
    }
}
