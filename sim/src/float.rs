//! The float reference model: one LTC spiking layer and a liquid readout (algorithm.md
//! sections 1-2) over the spikes or the membrane ([`Readout`]), its one-step backward pass
//! (section 5), in f64.
//!
//! Written operation by operation in the order the hardware computes, so that the fixed-point
//! golden model can mirror it line for line. Previous-step state (u, s, b, o) is a constant of
//! the backward pass: no gradient crosses a time step (FPTT, K = 1).

use crate::model::{Layout, Readout, Shape, Tensor, Views, ADAPT_STRENGTH, THRESHOLD_BASE};
use crate::surrogate::{sigmoid, SpikeFn};

/// The state one stream carries from step to step.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamState {
    /// Membrane after reset, H.
    pub u: Vec<f64>,
    /// Spikes, H (0 or 1 under [`SpikeFn::Heaviside`]).
    pub s: Vec<f64>,
    /// Adaptation, H.
    pub b: Vec<f64>,
    /// Readout, C.
    pub o: Vec<f64>,
}

impl StreamState {
    /// The deterministic initial state: u = 0, s = 0, b = b0, o = 0 (decision 2).
    pub fn initial(shape: Shape) -> Self {
        Self {
            u: vec![0.0; shape.hidden],
            s: vec![0.0; shape.hidden],
            b: vec![THRESHOLD_BASE; shape.hidden],
            o: vec![0.0; shape.outputs],
        }
    }
}

/// Everything one forward step computed, kept for its backward pass.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Input x_t, I.
    pub x: Vec<f64>,
    /// Input current I_t, H.
    pub current: Vec<f64>,
    /// Integration rate alpha_t, H.
    pub alpha: Vec<f64>,
    /// Adaptation retention rho_t, H.
    pub rho: Vec<f64>,
    /// Adaptation b_t, H.
    pub b: Vec<f64>,
    /// Threshold theta_t, H.
    pub theta: Vec<f64>,
    /// Pre-reset membrane v_t, H.
    pub v: Vec<f64>,
    /// Spikes s_t, H.
    pub s: Vec<f64>,
    /// Membrane after reset u_t, H.
    pub u: Vec<f64>,
    /// Readout current J_t, C.
    pub j: Vec<f64>,
    /// Readout rate alpha^o_t, C.
    pub alpha_o: Vec<f64>,
    /// Readout o_t, C.
    pub o: Vec<f64>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    // Four partial sums let the compiler vectorise; the order is fixed, so results are
    // deterministic on every machine.
    let mut acc = [0.0f64; 4];
    let chunks = a.len() / 4;
    for k in 0..chunks {
        for l in 0..4 {
            acc[l] += a[4 * k + l] * b[4 * k + l];
        }
    }
    let mut tail = 0.0;
    for k in 4 * chunks..a.len() {
        tail += a[k] * b[k];
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// y += a * x
pub(crate) fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// One forward step of one stream: fills `tr` from the previous state `st` and input `x`.
pub fn forward(layout: &Layout, params: &[f64], spike: SpikeFn, st: &StreamState, x: &[f64], tr: &mut Trace) {
    let Shape { inputs: ni, hidden: h, outputs: c, .. } = layout.shape;
    assert_eq!(x.len(), ni, "input width");
    let p = Views::new(layout, params);
    let resize = |v: &mut Vec<f64>, n| {
        v.clear();
        v.resize(n, 0.0)
    };
    tr.x.clear();
    tr.x.extend_from_slice(x);
    for v in [&mut tr.current, &mut tr.alpha, &mut tr.rho, &mut tr.b, &mut tr.theta, &mut tr.v, &mut tr.s, &mut tr.u] {
        resize(v, h);
    }
    for v in [&mut tr.j, &mut tr.alpha_o, &mut tr.o] {
        resize(v, c);
    }

    // I = W_in x + W_rec s_prev + b_I
    for n in 0..h {
        tr.current[n] = dot(&p.w_in[n * ni..(n + 1) * ni], x) + dot(&p.w_rec[n * h..(n + 1) * h], &st.s) + p.b_i[n];
    }
    // alpha = sigma(W_m [I; u_prev] + c_m), rho = sigma(W_a [I; b_prev] + c_a)
    for n in 0..h {
        let wm = &p.w_m[2 * h * n..2 * h * (n + 1)];
        let wa = &p.w_a[2 * h * n..2 * h * (n + 1)];
        let zm = dot(&wm[..h], &tr.current) + dot(&wm[h..], &st.u) + p.c_m[n];
        let za = dot(&wa[..h], &tr.current) + dot(&wa[h..], &st.b) + p.c_a[n];
        tr.alpha[n] = sigmoid(zm);
        tr.rho[n] = sigmoid(za);
    }
    // element-wise neuron update
    for n in 0..h {
        let b = tr.rho[n] * st.b[n] + (1.0 - tr.rho[n]) * st.s[n];
        let theta = THRESHOLD_BASE + ADAPT_STRENGTH * b;
        let v = st.u[n] + tr.alpha[n] * (tr.current[n] - st.u[n]);
        let s = spike.spike(v - theta);
        tr.b[n] = b;
        tr.theta[n] = theta;
        tr.v[n] = v;
        tr.s[n] = s;
        tr.u[n] = (1.0 - s) * v;
    }
    // readout: J = W_o r + c_o (r = s or u); alpha^o = sigma(W_ot [J; o_prev] + c_ot);
    // o = o_prev + alpha^o (J - o_prev)
    let r = match layout.shape.readout {
        Readout::Spikes => &tr.s,
        Readout::Membrane => &tr.u,
    };
    for k in 0..c {
        tr.j[k] = dot(&p.w_o[k * h..(k + 1) * h], r) + p.c_o[k];
    }
    for k in 0..c {
        let w = &p.w_ot[2 * c * k..2 * c * (k + 1)];
        tr.alpha_o[k] = sigmoid(dot(&w[..c], &tr.j) + dot(&w[c..], &st.o) + p.c_ot[k]);
        tr.o[k] = st.o[k] + tr.alpha_o[k] * (tr.j[k] - st.o[k]);
    }
}

impl Trace {
    /// What the readout read at this step: s_t or u_t.
    pub fn readout_source(&self, readout: Readout) -> &[f64] {
        match readout {
            Readout::Spikes => &self.s,
            Readout::Membrane => &self.u,
        }
    }
}

impl StreamState {
    /// Take the new state from a finished forward step.
    pub fn advance(&mut self, tr: &Trace) {
        self.u.clone_from(&tr.u);
        self.s.clone_from(&tr.s);
        self.b.clone_from(&tr.b);
        self.o.clone_from(&tr.o);
    }
}

/// Scratch vectors of the backward pass (kept to avoid allocating every step).
#[derive(Clone, Debug, Default)]
pub struct BackwardScratch {
    dz_o: Vec<f64>,
    d_j: Vec<f64>,
    // dl/dr_t = W_o^T d_J: dl/ds_t reading spikes, dl/du_t reading the membrane
    d_s: Vec<f64>,
    d_v: Vec<f64>,
    dz_m: Vec<f64>,
    dz_a: Vec<f64>,
    d_i: Vec<f64>,
}

/// One-step backward pass of one stream: adds `scale` x dl/dW to `grad` (flat layout), given
/// `d_o` = dl/do_t, the step's trace `tr` and the state `prev` the step started from.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    layout: &Layout,
    params: &[f64],
    spike: SpikeFn,
    prev: &StreamState,
    tr: &Trace,
    d_o: &[f64],
    scale: f64,
    scratch: &mut BackwardScratch,
    grad: &mut [f64],
) {
    let Shape { hidden: h, outputs: c, .. } = layout.shape;
    let p = Views::new(layout, params);
    let sc = scratch;
    for v in [&mut sc.dz_o, &mut sc.d_j] {
        v.clear();
        v.resize(c, 0.0);
    }
    for v in [&mut sc.d_s, &mut sc.d_v, &mut sc.dz_m, &mut sc.dz_a, &mut sc.d_i] {
        v.clear();
        v.resize(h, 0.0);
    }

    // readout
    for (k, &d) in d_o.iter().enumerate().take(c) {
        let a = tr.alpha_o[k];
        sc.dz_o[k] = d * (tr.j[k] - prev.o[k]) * a * (1.0 - a);
        sc.d_j[k] = d * a;
    }
    for k in 0..c {
        // d_j += W_ot[:, :C]^T dz_o
        for r in 0..c {
            sc.d_j[k] += p.w_ot[2 * c * r + k] * sc.dz_o[r];
        }
    }
    for k in 0..c {
        // d_r += W_o^T d_j
        axpy(&mut sc.d_s, sc.d_j[k], &p.w_o[k * h..(k + 1) * h]);
    }

    // layer, element-wise
    let membrane = layout.shape.readout == Readout::Membrane;
    for n in 0..h {
        let g = spike.derivative(tr.v[n] - tr.theta[n]);
        // Reading u_t = (1 - s_t) v_t: d_s = -v d_u, and d_u reaches v directly where s_t = 0.
        let (d_s, d_u) = if membrane { (-tr.v[n] * sc.d_s[n], sc.d_s[n]) } else { (sc.d_s[n], 0.0) };
        let d_sg = d_s * g;
        let d_v = if membrane { d_sg + (1.0 - tr.s[n]) * d_u } else { d_sg };
        let d_b = ADAPT_STRENGTH * -d_sg; // d_theta = -d_s g; d_b = beta d_theta
        let d_rho = d_b * (prev.b[n] - prev.s[n]);
        let d_alpha = d_v * (tr.current[n] - prev.u[n]);
        sc.d_v[n] = d_v;
        sc.dz_m[n] = d_alpha * tr.alpha[n] * (1.0 - tr.alpha[n]);
        sc.dz_a[n] = d_rho * tr.rho[n] * (1.0 - tr.rho[n]);
        sc.d_i[n] = d_v * tr.alpha[n];
    }
    // d_I += W_m[:, :H]^T dz_m + W_a[:, :H]^T dz_a
    for n in 0..h {
        axpy(&mut sc.d_i, sc.dz_m[n], &p.w_m[2 * h * n..2 * h * n + h]);
        axpy(&mut sc.d_i, sc.dz_a[n], &p.w_a[2 * h * n..2 * h * n + h]);
    }

    let prev = Prev { u: &prev.u, s: &prev.s, b: &prev.b, o: &prev.o };
    let d = Deltas { d_i: &sc.d_i, dz_m: &sc.dz_m, dz_a: &sc.dz_a, d_j: &sc.d_j, dz_o: &sc.dz_o };
    add_outer_products(layout, tr, &prev, &d, scale, grad);
}

/// The state a step started from, borrowed (a [`StreamState`], or the previous step's trace).
pub(crate) struct Prev<'a> {
    pub u: &'a [f64],
    pub s: &'a [f64],
    pub b: &'a [f64],
    pub o: &'a [f64],
}

/// The deltas of one step that the weight gradients are outer products of.
pub(crate) struct Deltas<'a> {
    /// dl/dI, H.
    pub d_i: &'a [f64],
    /// dl/dz_m, H.
    pub dz_m: &'a [f64],
    /// dl/dz_a, H.
    pub dz_a: &'a [f64],
    /// dl/dJ, C.
    pub d_j: &'a [f64],
    /// dl/dz_o, C.
    pub dz_o: &'a [f64],
}

/// grad += scale x every weight gradient of one step (outer products of the deltas with the
/// step's inputs).
pub(crate) fn add_outer_products(layout: &Layout, tr: &Trace, prev: &Prev, d: &Deltas, scale: f64, grad: &mut [f64]) {
    let Shape { inputs: ni, hidden: h, outputs: c, readout } = layout.shape;
    // outer-product gradients, scaled
    let g = |t: Tensor| layout.range(t);
    let (r_in, r_rec, r_bi, r_m, r_cm, r_a, r_ca) =
        (g(Tensor::WIn), g(Tensor::WRec), g(Tensor::BI), g(Tensor::WM), g(Tensor::CM), g(Tensor::WA), g(Tensor::CA));
    let (r_o, r_co, r_ot, r_cot) = (g(Tensor::WO), g(Tensor::CO), g(Tensor::WOt), g(Tensor::COt));
    for n in 0..h {
        let di = scale * d.d_i[n];
        axpy(&mut grad[r_in.start + n * ni..r_in.start + (n + 1) * ni], di, &tr.x);
        axpy(&mut grad[r_rec.start + n * h..r_rec.start + (n + 1) * h], di, prev.s);
        grad[r_bi.start + n] += di;
        let dm = scale * d.dz_m[n];
        let row = r_m.start + 2 * h * n;
        axpy(&mut grad[row..row + h], dm, &tr.current);
        axpy(&mut grad[row + h..row + 2 * h], dm, prev.u);
        grad[r_cm.start + n] += dm;
        let da = scale * d.dz_a[n];
        let row = r_a.start + 2 * h * n;
        axpy(&mut grad[row..row + h], da, &tr.current);
        axpy(&mut grad[row + h..row + 2 * h], da, prev.b);
        grad[r_ca.start + n] += da;
    }
    for k in 0..c {
        let dj = scale * d.d_j[k];
        axpy(&mut grad[r_o.start + k * h..r_o.start + (k + 1) * h], dj, tr.readout_source(readout));
        grad[r_co.start + k] += dj;
        let dz = scale * d.dz_o[k];
        let row = r_ot.start + 2 * c * k;
        axpy(&mut grad[row..row + c], dz, &tr.j);
        axpy(&mut grad[row + c..row + 2 * c], dz, prev.o);
        grad[r_cot.start + k] += dz;
    }
}
