//! The bit-exact fixed-point twin of [`crate::float`]: one forward step and the one-step
//! backward pass of one stream, in integer arithmetic only. Every line mirrors a line of the
//! float model; every narrowing goes through a [`Fmt`] (round to nearest, saturate).
//!
//! Weight-gradient outer products are summed exactly over the B streams into a 64-bit
//! accumulator per parameter (at [`Frac::acc`] fraction bits): integer sums do not depend on
//! the order, so the hardware may form them in any order and still match.

// Index loops here mirror the float model, and the hardware's address counters, line by line.
#![allow(clippy::needless_range_loop)]

use super::fmt::Fmt;
use super::numerics::Numerics;
use super::tables::Tables;
use crate::model::{Layout, Readout, Shape, Tensor, Views, ADAPT_STRENGTH, THRESHOLD_BASE};

/// The state one stream carries from step to step, as codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedState {
    /// Membrane after reset (state format), H.
    pub u: Vec<i32>,
    /// Spikes (0 or 1), H.
    pub s: Vec<i32>,
    /// Adaptation (gate format), H.
    pub b: Vec<i32>,
    /// Readout (state format), C.
    pub o: Vec<i32>,
}

impl FixedState {
    /// u = 0, s = 0, b = b0, o = 0 (algorithm.md decision 2).
    pub fn initial(shape: Shape, n: &Numerics) -> Self {
        Self {
            u: vec![0; shape.hidden],
            s: vec![0; shape.hidden],
            b: vec![n.gate.quantize(THRESHOLD_BASE) as i32; shape.hidden],
            o: vec![0; shape.outputs],
        }
    }

    /// Take the new state from a finished forward step.
    pub fn advance(&mut self, tr: &FixedTrace) {
        self.u.clone_from(&tr.u);
        self.s.clone_from(&tr.s);
        self.b.clone_from(&tr.b);
        self.o.clone_from(&tr.o);
    }
}

/// Everything one forward step computed, as codes (formats as in [`FixedState`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixedTrace {
    /// Input x_t (input format).
    pub x: Vec<i32>,
    /// Input current I_t (state).
    pub current: Vec<i32>,
    /// alpha_t (gate).
    pub alpha: Vec<i32>,
    /// rho_t (gate).
    pub rho: Vec<i32>,
    /// b_t (gate).
    pub b: Vec<i32>,
    /// theta_t (state).
    pub theta: Vec<i32>,
    /// v_t (state).
    pub v: Vec<i32>,
    /// s_t (0/1).
    pub s: Vec<i32>,
    /// u_t (state).
    pub u: Vec<i32>,
    /// J_t (state).
    pub j: Vec<i32>,
    /// alpha^o_t (gate).
    pub alpha_o: Vec<i32>,
    /// o_t (state).
    pub o: Vec<i32>,
}

/// Fraction bits of the products the model forms, derived from a [`Numerics`].
#[derive(Clone, Copy, Debug)]
pub struct Frac {
    /// Weight operand.
    pub w: u32,
    /// Input.
    pub x: u32,
    /// State.
    pub s: u32,
    /// Gate.
    pub g: u32,
    /// Delta.
    pub d: u32,
    /// Gain constants.
    pub gain: u32,
    /// Gradient accumulator: delta x the finest activation.
    pub acc: u32,
}

impl Frac {
    /// The fraction bits of `n`'s formats.
    pub fn of(n: &Numerics) -> Self {
        let (x, s, g, d) = (n.input.frac, n.state.frac, n.gate.frac, n.delta.frac);
        Self { w: n.weight_operand().frac, x, s, g, d, gain: n.gain.frac, acc: d + x.max(s).max(g) }
    }
}

/// The constants of the forward and backward pass, as codes.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// The formats.
    pub n: Numerics,
    /// Their fraction bits.
    pub f: Frac,
    /// The nonlinearity tables.
    pub tables: Tables,
    one_gate: i64,
    b0: i64,
    beta: i64,
}

#[inline(always)]
fn dot(a: &[i32], b: &[i32]) -> i64 {
    debug_assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(&a, &b)| a as i64 * b as i64).sum()
}

/// Shift a code from `from` to `to` >= `from` fraction bits (exact).
#[inline(always)]
fn up(x: i64, from: u32, to: u32) -> i64 {
    x << (to - from)
}

/// The deltas of one backward pass (delta format): what the accelerator's backward phases
/// write into its delta banks, and what its update pass multiplies by the activations.
#[derive(Clone, Debug, Default)]
pub struct FixedScratch {
    /// dJ/dz_o, C.
    pub dz_o: Vec<i32>,
    /// dJ/dJ_t (the readout current), C.
    pub d_j: Vec<i32>,
    /// dJ/dr_t = W_o^T d_J, H: dJ/ds_t reading spikes, dJ/du_t reading the membrane.
    pub d_s: Vec<i32>,
    /// dJ/dv_t, H.
    pub d_v: Vec<i32>,
    /// dJ/dz_m, H.
    pub dz_m: Vec<i32>,
    /// dJ/dz_a, H.
    pub dz_a: Vec<i32>,
    /// dJ/dI_t, H.
    pub d_i: Vec<i32>,
}

impl Kernel {
    /// The kernel for formats `n` (panics on formats [`Numerics::validate`] rejects).
    pub fn new(n: Numerics) -> Self {
        if let Err(e) = n.validate() {
            panic!("invalid numerics: {e}");
        }
        Self {
            f: Frac::of(&n),
            tables: Tables::new(n.state, n.gate),
            one_gate: n.gate.one(),
            b0: n.state.quantize(THRESHOLD_BASE),
            beta: n.gain.quantize(ADAPT_STRENGTH),
            n,
        }
    }

    /// One forward step of one stream from state `st` and input codes `x`; `w` holds the
    /// weight operands (flat layout).
    pub fn forward(&self, layout: &Layout, w: &[i32], st: &FixedState, x: &[i32], tr: &mut FixedTrace) {
        let Shape { inputs: ni, hidden: h, outputs: c, readout } = layout.shape;
        assert_eq!(x.len(), ni, "input width");
        let p = Views::new(layout, w);
        let (n, f) = (&self.n, self.f);
        let (state, gate) = (n.state, n.gate);
        for v in
            [&mut tr.current, &mut tr.alpha, &mut tr.rho, &mut tr.b, &mut tr.theta, &mut tr.v, &mut tr.s, &mut tr.u]
        {
            v.clear();
            v.resize(h, 0);
        }
        for v in [&mut tr.j, &mut tr.alpha_o, &mut tr.o] {
            v.clear();
            v.resize(c, 0);
        }
        tr.x.clear();
        tr.x.extend_from_slice(x);

        // I = W_in x + W_rec s_prev + b_I
        for k in 0..h {
            let acc = dot(&p.w_in[k * ni..(k + 1) * ni], x)
                + up(dot(&p.w_rec[k * h..(k + 1) * h], &st.s) + p.b_i[k] as i64, f.w, f.w + f.x);
            tr.current[k] = state.from_scaled(acc, f.w + f.x) as i32;
        }
        // alpha = sigma(W_m [I; u_prev] + c_m), rho = sigma(W_a [I; b_prev] + c_a)
        let ab = f.w + f.s.max(f.g);
        for k in 0..h {
            let wm = &p.w_m[2 * h * k..2 * h * (k + 1)];
            let wa = &p.w_a[2 * h * k..2 * h * (k + 1)];
            let zm = dot(&wm[..h], &tr.current) + dot(&wm[h..], &st.u) + up(p.c_m[k] as i64, f.w, f.w + f.s);
            let za = up(dot(&wa[..h], &tr.current), f.w + f.s, ab)
                + up(dot(&wa[h..], &st.b), f.w + f.g, ab)
                + up(p.c_a[k] as i64, f.w, ab);
            tr.alpha[k] = self.tables.sigmoid(state.from_scaled(zm, f.w + f.s)) as i32;
            tr.rho[k] = self.tables.sigmoid(state.from_scaled(za, ab)) as i32;
        }
        // element-wise neuron update
        for k in 0..h {
            let (rho, alpha) = (tr.rho[k] as i64, tr.alpha[k] as i64);
            let kept = gate.from_scaled(rho * st.b[k] as i64, 2 * f.g);
            let b = gate.sat(kept + if st.s[k] != 0 { self.one_gate - rho } else { 0 });
            let theta = state.sat(self.b0 + state.from_scaled(self.beta * b, f.gain + f.g));
            let u_prev = st.u[k] as i64;
            let drive = state.sat(tr.current[k] as i64 - u_prev);
            let v = state.sat(u_prev + state.from_scaled(alpha * drive, f.g + f.s));
            let s = (v > theta) as i32;
            tr.b[k] = b as i32;
            tr.theta[k] = theta as i32;
            tr.v[k] = v as i32;
            tr.s[k] = s;
            tr.u[k] = if s != 0 { 0 } else { v as i32 };
        }
        // readout: J = W_o s + c_o (additions), or W_o u + c_o (products at weight + state bits)
        for k in 0..c {
            let w_o = &p.w_o[k * h..(k + 1) * h];
            tr.j[k] = match readout {
                Readout::Spikes => state.from_scaled(dot(w_o, &tr.s) + p.c_o[k] as i64, f.w),
                Readout::Membrane => {
                    state.from_scaled(dot(w_o, &tr.u) + up(p.c_o[k] as i64, f.w, f.w + f.s), f.w + f.s)
                }
            } as i32;
        }
        for k in 0..c {
            let w = &p.w_ot[2 * c * k..2 * c * (k + 1)];
            let z = dot(&w[..c], &tr.j) + dot(&w[c..], &st.o) + up(p.c_ot[k] as i64, f.w, f.w + f.s);
            let a = self.tables.sigmoid(state.from_scaled(z, f.w + f.s));
            let o_prev = st.o[k] as i64;
            tr.alpha_o[k] = a as i32;
            tr.o[k] = state.sat(o_prev + state.from_scaled(a * state.sat(tr.j[k] as i64 - o_prev), f.g + f.s)) as i32;
        }
    }

    /// The output error of a regression step: d_o = w_t (o - y), codes of the delta format;
    /// `y` in the state format, `weight` in the gain format.
    pub fn regression_error(&self, o: &[i32], y: &[i32], weight: i64, d_o: &mut Vec<i32>) {
        let (n, f) = (&self.n, self.f);
        d_o.clear();
        d_o.extend(
            o.iter()
                .zip(y)
                .map(|(&o, &y)| n.delta.from_scaled(weight * n.state.sat(o as i64 - y as i64), f.gain + f.s) as i32),
        );
    }

    /// The element-wise backward step of one output: dz_o = dJ/dz_o from d_o and the output's
    /// J_t, o_{t-1}, alpha^o_t (the accelerator's `OutputError` pipeline computes exactly this).
    pub fn backward_output(&self, d_o: i32, j: i32, o_prev: i32, alpha_o: i32) -> i32 {
        let (n, f) = (&self.n, self.f);
        let a = alpha_o as i64;
        let slope = n.gate.from_scaled(a * n.gate.sat(self.one_gate - a), 2 * f.g);
        let d_a = n.delta.from_scaled(d_o as i64 * n.state.sat(j as i64 - o_prev as i64), f.d + f.s);
        n.delta.from_scaled(d_a * slope, f.d + f.g) as i32
    }

    /// The output error of a classification step: d_o = w_t (softmax(o) - onehot(y)), codes of
    /// the delta format. softmax: e_k = exp(o_k - max o) from the table, p_k = e_k / sum e
    /// through the reciprocal table (0.4 % relative error), in the gate format.
    pub fn softmax_error(&self, o: &[i32], y: usize, weight: i64, d_o: &mut Vec<i32>) {
        let (n, f) = (&self.n, self.f);
        assert!(y < o.len(), "class {y} out of range");
        let top = o.iter().copied().max().expect("at least one output") as i64;
        d_o.clear();
        d_o.extend(o.iter().map(|&v| self.tables.exp(n.state.sat(v as i64 - top)) as i32));
        let sum: i64 = d_o.iter().map(|&e| e as i64).sum(); // >= exp(0) = 1.0: never zero
        let (r, e) = self.tables.reciprocal(sum);
        for (k, d) in d_o.iter_mut().enumerate() {
            let p = n.gate.from_scaled(*d as i64 * r, super::tables::RECIPROCAL_FRAC + e);
            let err = p - if k == y { self.one_gate } else { 0 };
            *d = n.delta.from_scaled(weight * err, f.gain + f.g) as i32;
        }
    }

    /// The element-wise backward step of one neuron: (d_v, dz_m, dz_a) from the readout's
    /// delta d_s and the neuron's forward values (the accelerator's `BackwardNeuron` pipeline
    /// computes exactly this).
    ///
    /// Reading spikes, d_s is dJ/ds_t: d_v = d_s g, d_b = -beta d_v. Reading the membrane
    /// u_t = (1 - s_t) v_t, d_s is dJ/du_t, whose spike part is -v_t d_u: with
    /// r = round(round(v d_u) g), d_v = (s_t ? 0 : d_u) - r and d_b = beta r.
    pub fn backward_neuron(&self, x: &BackwardNeuronIn) -> (i32, i32, i32) {
        let (n, f) = (&self.n, self.f);
        let (state, gate, delta) = (n.state, n.gate, n.delta);
        let dg = f.d + f.g;
        let g = self.tables.surrogate(state.sat(x.v as i64 - x.theta as i64));
        let (d_v, d_b) = if x.membrane {
            let d_u = x.d_s as i64;
            let r = delta.from_scaled(delta.from_scaled(x.v as i64 * d_u, f.s + f.d) * g, dg);
            (delta.sat(if x.s != 0 { 0 } else { d_u } - r), delta.from_scaled(self.beta * r, f.gain + f.d))
        } else {
            let d_v = delta.from_scaled(x.d_s as i64 * g, dg);
            (d_v, delta.from_scaled(-(self.beta * d_v), f.gain + f.d))
        };
        // b - s and 1 - alpha are multiplier operands: gate format, saturated (a no-op for the
        // b >= 0 and alpha in [0, 1] the forward step produces)
        let b_minus_s = gate.sat(x.b_prev as i64 - if x.s_prev != 0 { self.one_gate } else { 0 });
        let d_rho = delta.from_scaled(d_b * b_minus_s, dg);
        let d_alpha = delta.from_scaled(d_v * state.sat(x.current as i64 - x.u_prev as i64), f.d + f.s);
        let (alpha, rho) = (x.alpha as i64, x.rho as i64);
        let slope_m = gate.from_scaled(alpha * gate.sat(self.one_gate - alpha), 2 * f.g);
        let slope_a = gate.from_scaled(rho * gate.sat(self.one_gate - rho), 2 * f.g);
        (d_v as i32, delta.from_scaled(d_alpha * slope_m, dg) as i32, delta.from_scaled(d_rho * slope_a, dg) as i32)
    }

    /// One-step backward pass of one stream: adds the step's weight-gradient outer products,
    /// exactly, at [`Frac::acc`] fraction bits, to `gsum` (flat layout).
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        layout: &Layout,
        w: &[i32],
        prev: &FixedState,
        tr: &FixedTrace,
        d_o: &[i32],
        sc: &mut FixedScratch,
        gsum: &mut [i64],
    ) {
        let Shape { inputs: ni, hidden: h, outputs: c, readout } = layout.shape;
        let p = Views::new(layout, w);
        let (n, f) = (&self.n, self.f);
        let delta = n.delta;
        for v in [&mut sc.dz_o, &mut sc.d_j] {
            v.clear();
            v.resize(c, 0);
        }
        for v in [&mut sc.d_s, &mut sc.d_v, &mut sc.dz_m, &mut sc.dz_a, &mut sc.d_i] {
            v.clear();
            v.resize(h, 0);
        }
        let dg = f.d + f.g;
        let dw = f.d + f.w;

        // readout
        let jd = f.w.max(f.g) + f.d;
        for k in 0..c {
            sc.dz_o[k] = self.backward_output(d_o[k], tr.j[k], prev.o[k], tr.alpha_o[k]);
        }
        for k in 0..c {
            // d_J = d_o alpha^o + W_ot[:, :C]^T dz_o
            let mut acc = up(d_o[k] as i64 * tr.alpha_o[k] as i64, dg, jd);
            for r in 0..c {
                acc += up(p.w_ot[2 * c * r + k] as i64 * sc.dz_o[r] as i64, dw, jd);
            }
            sc.d_j[k] = delta.from_scaled(acc, jd) as i32;
        }
        // d_s = W_o^T d_J
        for (k, d_s) in sc.d_s.iter_mut().enumerate() {
            let acc: i64 = (0..c).map(|r| p.w_o[r * h + k] as i64 * sc.d_j[r] as i64).sum();
            *d_s = delta.from_scaled(acc, dw) as i32;
        }

        // layer, element-wise
        for k in 0..h {
            let (d_v, dz_m, dz_a) = self.backward_neuron(&BackwardNeuronIn {
                d_s: sc.d_s[k],
                v: tr.v[k],
                theta: tr.theta[k],
                b_prev: prev.b[k],
                s_prev: prev.s[k],
                current: tr.current[k],
                u_prev: prev.u[k],
                alpha: tr.alpha[k],
                rho: tr.rho[k],
                s: tr.s[k],
                membrane: readout == Readout::Membrane,
            });
            sc.d_v[k] = d_v;
            sc.dz_m[k] = dz_m;
            sc.dz_a[k] = dz_a;
        }
        // d_I = d_v alpha + W_m[:, :H]^T dz_m + W_a[:, :H]^T dz_a, one rounding at the end
        let id = f.w.max(f.g) + f.d;
        for k in 0..h {
            let mut acc = up(sc.d_v[k] as i64 * tr.alpha[k] as i64, dg, id);
            let mut t = 0i64;
            for r in 0..h {
                t += p.w_m[2 * h * r + k] as i64 * sc.dz_m[r] as i64 + p.w_a[2 * h * r + k] as i64 * sc.dz_a[r] as i64;
            }
            acc += up(t, dw, id);
            sc.d_i[k] = delta.from_scaled(acc, id) as i32;
        }

        // outer-product gradients, exact, at f.acc fraction bits
        let outer = |g: &mut [i64], d: i32, act: &[i32], act_frac: u32| {
            let sh = f.acc - f.d - act_frac;
            for (g, &a) in g.iter_mut().zip(act) {
                *g += (d as i64 * a as i64) << sh;
            }
        };
        let bias = |g: &mut i64, d: i32| *g += (d as i64) << (f.acc - f.d);
        let r = |t: Tensor| layout.range(t);
        let (r_in, r_rec, r_bi, r_m, r_cm, r_a, r_ca) = (
            r(Tensor::WIn),
            r(Tensor::WRec),
            r(Tensor::BI),
            r(Tensor::WM),
            r(Tensor::CM),
            r(Tensor::WA),
            r(Tensor::CA),
        );
        let (r_o, r_co, r_ot, r_cot) = (r(Tensor::WO), r(Tensor::CO), r(Tensor::WOt), r(Tensor::COt));
        for k in 0..h {
            let di = sc.d_i[k];
            outer(&mut gsum[r_in.start + k * ni..r_in.start + (k + 1) * ni], di, &tr.x, f.x);
            outer(&mut gsum[r_rec.start + k * h..r_rec.start + (k + 1) * h], di, &prev.s, 0);
            bias(&mut gsum[r_bi.start + k], di);
            let dm = sc.dz_m[k];
            let row = r_m.start + 2 * h * k;
            outer(&mut gsum[row..row + h], dm, &tr.current, f.s);
            outer(&mut gsum[row + h..row + 2 * h], dm, &prev.u, f.s);
            bias(&mut gsum[r_cm.start + k], dm);
            let da = sc.dz_a[k];
            let row = r_a.start + 2 * h * k;
            outer(&mut gsum[row..row + h], da, &tr.current, f.s);
            outer(&mut gsum[row + h..row + 2 * h], da, &prev.b, f.g);
            bias(&mut gsum[r_ca.start + k], da);
        }
        for k in 0..c {
            let dj = sc.d_j[k];
            match readout {
                Readout::Spikes => outer(&mut gsum[r_o.start + k * h..r_o.start + (k + 1) * h], dj, &tr.s, 0),
                Readout::Membrane => outer(&mut gsum[r_o.start + k * h..r_o.start + (k + 1) * h], dj, &tr.u, f.s),
            }
            bias(&mut gsum[r_co.start + k], dj);
            let dz = sc.dz_o[k];
            let row = r_ot.start + 2 * c * k;
            outer(&mut gsum[row..row + c], dz, &tr.j, f.s);
            outer(&mut gsum[row + c..row + 2 * c], dz, &prev.o, f.s);
            bias(&mut gsum[r_cot.start + k], dz);
        }
    }
}

/// The real value of the codes `v` in format `fmt` (host side: reporting only).
pub fn reals(fmt: Fmt, v: &[i32]) -> Vec<f64> {
    v.iter().map(|&x| fmt.real(x as i64)).collect()
}

/// The inputs of [`Kernel::backward_neuron`] for one neuron.
#[derive(Clone, Copy, Debug, Default)]
pub struct BackwardNeuronIn {
    /// The readout's delta (delta format): dJ/ds_t, or dJ/du_t with `membrane`.
    pub d_s: i32,
    /// v_t (state).
    pub v: i32,
    /// theta_t (state).
    pub theta: i32,
    /// b_{t-1} (gate).
    pub b_prev: i32,
    /// s_{t-1} (0 or 1).
    pub s_prev: i32,
    /// I_t (state).
    pub current: i32,
    /// u_{t-1} (state).
    pub u_prev: i32,
    /// alpha_t (gate).
    pub alpha: i32,
    /// rho_t (gate).
    pub rho: i32,
    /// s_t (0 or 1; used with `membrane`).
    pub s: i32,
    /// The readout reads the membrane ([`Readout::Membrane`]).
    pub membrane: bool,
}
