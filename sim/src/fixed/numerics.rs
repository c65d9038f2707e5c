//! The number formats of the accelerator: the one source of truth for every fixed-point
//! quantity. NUMERICS.md is generated from [`Numerics::markdown`] and a test keeps it in step.

use super::fmt::Fmt;
use super::tables::{
    EXP_RANGE_LOG2, EXP_SEGMENTS, RECIPROCAL_INDEX_BITS, SIGMOID_RANGE_LOG2, SIGMOID_SEGMENTS, SURROGATE_RANGE_LOG2,
    SURROGATE_SEGMENTS,
};
use super::update::GRAD_SUM_BITS;
use serde::Serialize;

/// Width of the hardware multiplier's operands (ECP5 MULT18X18D).
pub const MULTIPLIER_BITS: u32 = 18;

/// Every format of the fixed-point data path. The golden model and the RTL are parameterised
/// by one of these; [`Numerics::DEFAULT`] is the accelerator's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Numerics {
    /// Input x_t.
    pub input: Fmt,
    /// Currents, membranes, thresholds, readout: I, u, v, theta, J, o, the gate
    /// pre-activations z and the regression target y.
    pub state: Fmt,
    /// Values in [0, 1]: alpha, rho, alpha^o, adaptation b, and the table outputs.
    pub gate: Fmt,
    /// Parameters W (every tensor), as stored. Multiplies use [`Numerics::weight_operand`].
    pub weight: Fmt,
    /// FPTT running average W-bar.
    pub weight_avg: Fmt,
    /// FPTT Lagrange multiplier lambda.
    pub lambda: Fmt,
    /// Back-propagated errors (every delta of algorithm.md section 5).
    pub delta: Fmt,
    /// Mean gradient g, the regularised gradient, and the Adamax moments m and u.
    pub grad: Fmt,
    /// The Adamax ratio m/u.
    pub ratio: Fmt,
    /// Learning rate.
    pub lr: Fmt,
    /// Constants in [0, 1]: a, beta_f, 1 - beta_f, beta1, 1 - beta1, beta2, 1/B.
    pub coef: Fmt,
    /// Constants above 1: beta (threshold adaptation), beta_f / a, the step weight w_t.
    pub gain: Fmt,
    /// Width of a weight as it enters a multiplier ([`MULTIPLIER_BITS`]: one MULT18X18D).
    pub operand_bits: u32,
}

impl Numerics {
    /// The accelerator's formats (justified by the sweep in the README).
    pub const DEFAULT: Numerics = Numerics {
        input: Fmt::new(18, 14),
        state: Fmt::new(18, 12),
        gate: Fmt::new(18, 16),
        weight: Fmt::new(27, 21),
        weight_avg: Fmt::new(27, 21),
        lambda: Fmt::new(18, 20),
        delta: Fmt::new(18, 16),
        grad: Fmt::new(18, 18),
        ratio: Fmt::new(18, 16),
        lr: Fmt::new(18, 21),
        coef: Fmt::new(18, 16),
        gain: Fmt::new(18, 11),
        operand_bits: MULTIPLIER_BITS,
    };

    /// The defaults before gradients and lambda traded range for fraction (gradients Q0.17,
    /// lambda ): the base the format sweeps vary (`examples/numerics_sweep.rs`,
    /// `examples/class_formats.rs`; README, "Results").
    pub const EARLIER: Numerics = Numerics { grad: Fmt::new(18, 17), lambda: Fmt::new(18, 18), ..Numerics::DEFAULT };

    /// The widest variant the format sweeps try (not the accelerator's): the whole 27-bit
    /// weight as the multiplier operand, and 24-bit state (Q5.18), deltas (Q3.20), gradients
    /// and lambda (Q1.22). It closes fixed point's gap to float on the add task and on
    /// Fashion-MNIST (README, "Results"; `examples/numerics_sweep.rs`, `examples/class_formats.rs`).
    pub const WIDE: Numerics = Numerics {
        operand_bits: 27,
        state: Fmt::new(24, 18),
        delta: Fmt::new(24, 20),
        grad: Fmt::new(24, 22),
        lambda: Fmt::new(24, 22),
        ..Numerics::DEFAULT
    };

    /// The format a weight has when it enters a multiplier: the stored word rounded to its top
    /// `operand_bits` bits (the stored word itself when it is no wider).
    pub fn weight_operand(&self) -> Fmt {
        let drop = self.weight.bits.saturating_sub(self.operand_bits);
        Fmt::new(self.weight.bits - drop, self.weight.frac.saturating_sub(drop))
    }

    /// Checks the formats are usable by the golden model (shifts in range, products and sums
    /// inside the 64-bit accumulator).
    pub fn validate(&self) -> Result<(), String> {
        let all = [
            ("input", self.input),
            ("state", self.state),
            ("gate", self.gate),
            ("weight", self.weight),
            ("weight_avg", self.weight_avg),
            ("lambda", self.lambda),
            ("delta", self.delta),
            ("grad", self.grad),
            ("ratio", self.ratio),
            ("lr", self.lr),
            ("coef", self.coef),
            ("gain", self.gain),
        ];
        for (name, f) in all {
            if !(4..=32).contains(&f.bits) || f.frac > 30 {
                return Err(format!("format {name} = {f:?}: needs 4..=32 bits and at most 30 fraction bits"));
            }
        }
        if self.state.frac < 6 {
            return Err("state format needs at least 6 fraction bits (table indexing)".into());
        }
        if self.coef.frac > 16 {
            return Err(
                "coef format: at most 16 fraction bits (1/B x a 44-bit gradient sum, rounded, must fit 64 bits)".into(),
            );
        }
        if self.weight.bits > 30 || self.weight_avg.bits > 30 {
            return Err("weight formats: at most 30 bits (W - W-bar must fit a 32-bit multiplier operand)".into());
        }
        if self.gate.max() < self.gate.one() || self.coef.max() < self.coef.one() {
            return Err("gate and coef formats must represent 1.0".into());
        }
        if !(4..=30).contains(&self.operand_bits) {
            return Err("operand_bits must be 4..=30".into());
        }
        if self.weight.frac.saturating_sub(self.weight.bits.saturating_sub(self.operand_bits)) == 0 {
            return Err("weight operand keeps no fraction bits".into());
        }
        Ok(())
    }

    /// One row per quantity: (quantity, format, rounding into it, saturation).
    pub fn rows(&self) -> Vec<[String; 4]> {
        let f = |x: Fmt| {
            let int = x.bits as i32 - 1 - x.frac as i32;
            format!("{} ({} bits, lsb 2^-{}, range [-2^{int}, 2^{int}))", x.name(), x.bits, x.frac)
        };
        let wop = self.weight_operand();
        let sat = "saturate".to_string();
        let near = "nearest, ties up".to_string();
        vec![
            ["x (input)".into(), f(self.input), "host quantises, nearest".into(), sat.clone()],
            ["I, u, v, theta, J, o, y".into(), f(self.state), near.clone(), sat.clone()],
            ["z_m, z_a, z_o (gate pre-activations)".into(), f(self.state), near.clone(), sat.clone()],
            ["alpha, rho, alpha^o, b, 1 - rho, sigma'".into(), f(self.gate), near.clone(), sat.clone()],
            ["s (spike)".into(), "1 bit".into(), "strict compare v > theta".into(), "-".into()],
            ["W (every tensor), stored".into(), f(self.weight), near.clone(), sat.clone()],
            ["W, multiplier operand".into(), f(wop), near.clone(), sat.clone()],
            ["W-bar".into(), f(self.weight_avg), near.clone(), sat.clone()],
            ["lambda".into(), f(self.lambda), near.clone(), sat.clone()],
            ["deltas (dJ, ds, dv, dI, dz_*, do)".into(), f(self.delta), near.clone(), sat.clone()],
            ["g (mean gradient), g_tot, Adamax m".into(), f(self.grad), near.clone(), sat.clone()],
            ["softmax p = e / sum e (classification)".into(), f(self.gate), near.clone(), sat.clone()],
            ["Adamax u".into(), f(self.grad), "floor (so beta2 u always decays)".into(), sat.clone()],
            ["Adamax m/u".into(), f(self.ratio), near.clone(), sat.clone()],
            ["learning rate".into(), f(self.lr), "host quantises, nearest".into(), sat.clone()],
            ["a, beta_f, 1-beta_f, beta1, 1-beta1, beta2, 1/B".into(), f(self.coef), "nearest".into(), sat.clone()],
            ["beta (1.8), beta_f/a, step weight w_t".into(), f(self.gain), "nearest".into(), sat.clone()],
            ["b0 (0.1)".into(), f(self.state), "nearest".into(), sat.clone()],
            [
                "accumulators (dot products)".into(),
                "64-bit golden / 48-bit DSP".into(),
                "exact".into(),
                "never reached".into(),
            ],
            [
                "gradient sum of a word over B".into(),
                format!("{GRAD_SUM_BITS} bits, lsb 2^-(delta + gate frac)"),
                "exact".into(),
                "saturate (never reached)".into(),
            ],
        ]
    }

    /// Every multiply of one training step: (what, operand A, operand B, result format).
    pub fn multiplies(&self) -> Vec<[String; 4]> {
        let n = |x: Fmt| format!("{} bits ({})", x.bits, x.name());
        let wop = self.weight_operand();
        let bin = "1 bit (spike: an add)".to_string();
        vec![
            ["W_in x".into(), n(wop), n(self.input), n(self.state)],
            ["W_rec s, W_o s (spikes readout)".into(), n(wop), bin.clone(), n(self.state)],
            ["W_m [I; u], W_ot [J; o], W_o u (membrane readout)".into(), n(wop), n(self.state), n(self.state)],
            ["W_a [I; b]".into(), n(wop), format!("{} / {}", n(self.state), n(self.gate)), n(self.state)],
            [
                "table interpolation (y1 - y0) f".into(),
                n(self.gate),
                format!(
                    "{} / {} bits (sigmoid / surrogate segment fraction)",
                    self.state.frac + SIGMOID_RANGE_LOG2 + 1 - SIGMOID_SEGMENTS.trailing_zeros(),
                    self.state.frac + SURROGATE_RANGE_LOG2 - SURROGATE_SEGMENTS.trailing_zeros()
                ),
                n(self.gate),
            ],
            ["rho b, alpha (1 - alpha), rho (1 - rho)".into(), n(self.gate), n(self.gate), n(self.gate)],
            ["alpha (I - u), alpha^o (J - o)".into(), n(self.gate), n(self.state), n(self.state)],
            ["beta b".into(), n(self.gain), n(self.gate), n(self.state)],
            ["w_t (o - y)".into(), n(self.gain), n(self.state), n(self.delta)],
            ["softmax: e_k x reciprocal(sum e)".into(), n(self.gate), "17 bits (table)".into(), n(self.gate)],
            ["w_t (p - onehot)".into(), n(self.gain), n(self.gate), n(self.delta)],
            [
                "delta x state (e.g. dv (I - u); v d_u, membrane readout)".into(),
                n(self.delta),
                n(self.state),
                n(self.delta),
            ],
            ["delta x gate (e.g. dv alpha, dz alpha(1-alpha))".into(), n(self.delta), n(self.gate), n(self.delta)],
            ["W^T delta (transposed products)".into(), n(wop), n(self.delta), n(self.delta)],
            [
                "gradient delta x activation, summed over B".into(),
                n(self.delta),
                "input/state/gate".into(),
                "exact sum".into(),
            ],
            ["sum x 1/B".into(), "exact sum".into(), n(self.coef), n(self.grad)],
            [
                "a (W - W-bar)".into(),
                n(self.coef),
                format!("{} bits (exact difference)", self.weight.bits + 1),
                n(self.grad),
            ],
            ["beta1 m, (1 - beta1) g, beta2 u".into(), n(self.coef), n(self.grad), n(self.grad)],
            ["m x reciprocal(u)".into(), n(self.grad), "17 bits (table)".into(), n(self.ratio)],
            ["lr x (m/u) or lr x g".into(), n(self.lr), n(self.ratio), n(self.weight)],
            [
                "lambda update a (W - W-bar)".into(),
                n(self.coef),
                format!("{} bits (exact difference)", self.weight.bits + 1),
                n(self.lambda),
            ],
            ["W-bar update (1-beta_f) W-bar, beta_f W".into(), n(self.coef), n(self.weight), n(self.weight_avg)],
            ["W-bar update (beta_f/a) lambda".into(), n(self.gain), n(self.lambda), n(self.weight_avg)],
        ]
    }

    /// The NUMERICS.md tables, generated.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        s.push_str("| quantity | format | rounding into it | overflow |\n|---|---|---|---|\n");
        for r in self.rows() {
            s.push_str(&format!("| {} | {} | {} | {} |\n", r[0], r[1], r[2], r[3]));
        }
        s.push_str("\n| multiply | operand A | operand B | result |\n|---|---|---|---|\n");
        for r in self.multiplies() {
            s.push_str(&format!("| {} | {} | {} | {} |\n", r[0], r[1], r[2], r[3]));
        }
        s.push_str(&format!(
            "\nTables (piecewise-linear): sigmoid, {} segments over z in [-{r}, {r}) (clamped); surrogate, {} segments over \
             |x| in [0, {q}) (last entry beyond); exp (softmax), {} segments over x in [-{e}, 0] (0 below); reciprocal \
             (Adamax 1/u, softmax 1/sum): {} entries indexed by the {} mantissa bits after the leading one.\n",
            SIGMOID_SEGMENTS,
            SURROGATE_SEGMENTS,
            EXP_SEGMENTS,
            1 << RECIPROCAL_INDEX_BITS,
            RECIPROCAL_INDEX_BITS,
            r = 1 << SIGMOID_RANGE_LOG2,
            q = 1 << SURROGATE_RANGE_LOG2,
            e = 1 << EXP_RANGE_LOG2,
        ));
        s
    }
}

impl Default for Numerics {
    fn default() -> Self {
        Self::DEFAULT
    }
}
