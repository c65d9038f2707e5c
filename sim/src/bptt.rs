//! Truncation-free backpropagation through time (BPTT) for the same model, in f64: the baseline
//! FPTT is compared with. The whole sequence is run forward with every step's [`Trace`] kept,
//! then the gradient of the sequence's total loss flows back through every step, through the
//! state (u, s, b, o) that each step hands the next, and one optimiser step is made per
//! sequence (plain Adamax or SGD with the global-norm clip: no FPTT regulariser, no W-bar).
//!
//! Memory: FPTT keeps one step's activations per stream whatever T is; BPTT keeps T of them.
//! [`fptt_activation_bytes`] and [`bptt_activation_bytes`] count what the code stores.

use crate::float::{add_outer_products, axpy, forward, Deltas, Prev, StreamState, Trace};
use crate::fptt::{FpttConfig, FpttState};
use crate::learner::{Learner, Steps};
use crate::loss::{step_loss, Target};
use crate::model::{init_params, Layout, Readout, Shape, Views, ADAPT_STRENGTH};
use crate::surrogate::SpikeFn;

/// f64 values in one [`Trace`]: x (I), current, alpha, rho, b, theta, v, s, u (8 H), j,
/// alpha^o, o (3 C).
pub fn trace_values(shape: Shape) -> usize {
    shape.inputs + 8 * shape.hidden + 3 * shape.outputs
}

/// f64 values in one [`StreamState`]: u, s, b (3 H), o (C).
pub fn state_values(shape: Shape) -> usize {
    3 * shape.hidden + shape.outputs
}

/// Bytes of activations one stream keeps while FPTT trains on a sequence of any length: its
/// state and the current step's trace (the one-step backward needs nothing older).
pub fn fptt_activation_bytes(shape: Shape) -> usize {
    8 * (state_values(shape) + trace_values(shape))
}

/// Bytes of activations one stream keeps while BPTT trains on a sequence of T steps: the
/// initial state and the traces of all T steps (each step's state after it is in its trace).
pub fn bptt_activation_bytes(shape: Shape, steps: usize) -> usize {
    8 * (state_values(shape) + steps * trace_values(shape))
}

/// Carried gradients and per-step deltas of the backward pass through time.
#[derive(Clone, Debug, Default)]
pub struct BpttScratch {
    // dL/d(state after step t), carried from step t+1
    du: Vec<f64>,
    ds: Vec<f64>,
    db: Vec<f64>,
    d_o: Vec<f64>,
    // the same for the state before step t, built while step t is differentiated
    du_p: Vec<f64>,
    ds_p: Vec<f64>,
    db_p: Vec<f64>,
    do_p: Vec<f64>,
    // step deltas
    dz_o: Vec<f64>,
    d_j: Vec<f64>,
    d_s: Vec<f64>,
    dz_m: Vec<f64>,
    dz_a: Vec<f64>,
    d_i: Vec<f64>,
    d_loss: Vec<f64>,
}

fn zeros(v: &mut Vec<f64>, n: usize) {
    v.clear();
    v.resize(n, 0.0);
}

/// Run one stream over a whole sequence from `init`: fills `traces` (T of them) from the inputs
/// (T x I). Returns the sum of the step losses.
#[allow(clippy::too_many_arguments)]
pub fn forward_sequence(
    layout: &Layout,
    params: &[f64],
    spike: SpikeFn,
    init: &StreamState,
    inputs: &[f64],
    targets: &[Target],
    weights: &[f64],
    traces: &mut Vec<Trace>,
) -> f64 {
    let ni = layout.shape.inputs;
    let steps = weights.len();
    assert_eq!(inputs.len(), steps * ni, "inputs must be T x I");
    assert_eq!(targets.len(), steps, "one target per step");
    traces.resize_with(steps, Trace::default);
    let mut st = init.clone();
    let mut loss = 0.0;
    let mut d_o = Vec::new();
    for t in 0..steps {
        forward(layout, params, spike, &st, &inputs[t * ni..(t + 1) * ni], &mut traces[t]);
        if weights[t] != 0.0 {
            loss += step_loss(&traces[t].o, targets[t], weights[t], &mut d_o);
        }
        st.advance(&traces[t]);
    }
    loss
}

/// Backward pass through the whole sequence of one stream: adds `scale` x d(sum_t l_t)/dW to
/// `grad`, given the initial state and the traces of [`forward_sequence`].
#[allow(clippy::too_many_arguments)]
pub fn backward_sequence(
    layout: &Layout,
    params: &[f64],
    spike: SpikeFn,
    init: &StreamState,
    traces: &[Trace],
    targets: &[Target],
    weights: &[f64],
    scale: f64,
    sc: &mut BpttScratch,
    grad: &mut [f64],
) {
    let Shape { hidden: h, outputs: c, .. } = layout.shape;
    let p = Views::new(layout, params);
    for v in [&mut sc.du, &mut sc.ds, &mut sc.db] {
        zeros(v, h);
    }
    zeros(&mut sc.d_o, c);
    for t in (0..traces.len()).rev() {
        let tr = &traces[t];
        let prev = match t {
            0 => Prev { u: &init.u, s: &init.s, b: &init.b, o: &init.o },
            _ => {
                let q = &traces[t - 1];
                Prev { u: &q.u, s: &q.s, b: &q.b, o: &q.o }
            }
        };
        for v in [&mut sc.du_p, &mut sc.ds_p, &mut sc.db_p, &mut sc.d_s, &mut sc.dz_m, &mut sc.dz_a, &mut sc.d_i] {
            zeros(v, h);
        }
        for v in [&mut sc.do_p, &mut sc.dz_o, &mut sc.d_j] {
            zeros(v, c);
        }
        // dL/do_t: this step's loss plus what the later steps send back
        if weights[t] != 0.0 {
            step_loss(&tr.o, targets[t], weights[t], &mut sc.d_loss);
            for k in 0..c {
                sc.d_o[k] += sc.d_loss[k];
            }
        }
        // readout: o = o_prev + A (J - o_prev), A = sigma(W_ot [J; o_prev] + c_ot)
        for k in 0..c {
            let a = tr.alpha_o[k];
            sc.dz_o[k] = sc.d_o[k] * (tr.j[k] - prev.o[k]) * a * (1.0 - a);
            sc.d_j[k] = sc.d_o[k] * a;
            sc.do_p[k] = sc.d_o[k] * (1.0 - a);
        }
        for k in 0..c {
            for r in 0..c {
                sc.d_j[k] += p.w_ot[2 * c * r + k] * sc.dz_o[r];
                sc.do_p[k] += p.w_ot[2 * c * r + c + k] * sc.dz_o[r];
            }
        }
        // dL/ds_t: the readout's J (reading spikes), the next step's use of s_t, and the reset
        // u_t = (1 - s_t) v_t; reading the membrane, the readout's J adds to dL/du_t instead
        sc.d_s.copy_from_slice(&sc.ds);
        let readout_delta = match layout.shape.readout {
            Readout::Spikes => &mut sc.d_s,
            Readout::Membrane => &mut sc.du,
        };
        for k in 0..c {
            axpy(readout_delta, sc.d_j[k], &p.w_o[k * h..(k + 1) * h]);
        }
        for n in 0..h {
            sc.d_s[n] -= sc.du[n] * tr.v[n];
            let g = spike.derivative(tr.v[n] - tr.theta[n]);
            let d_v = sc.d_s[n] * g + sc.du[n] * (1.0 - tr.s[n]);
            let d_b = sc.db[n] - ADAPT_STRENGTH * sc.d_s[n] * g; // d_theta = -d_s g; d_b += beta d_theta
            let (alpha, rho) = (tr.alpha[n], tr.rho[n]);
            let d_rho = d_b * (prev.b[n] - prev.s[n]);
            let d_alpha = d_v * (tr.current[n] - prev.u[n]);
            sc.dz_m[n] = d_alpha * alpha * (1.0 - alpha);
            sc.dz_a[n] = d_rho * rho * (1.0 - rho);
            sc.d_i[n] = d_v * alpha;
            sc.du_p[n] = d_v * (1.0 - alpha);
            sc.db_p[n] = d_b * rho;
            sc.ds_p[n] = d_b * (1.0 - rho);
        }
        for n in 0..h {
            let (wm, wa) = (&p.w_m[2 * h * n..2 * h * (n + 1)], &p.w_a[2 * h * n..2 * h * (n + 1)]);
            axpy(&mut sc.d_i, sc.dz_m[n], &wm[..h]);
            axpy(&mut sc.d_i, sc.dz_a[n], &wa[..h]);
            axpy(&mut sc.du_p, sc.dz_m[n], &wm[h..]);
            axpy(&mut sc.db_p, sc.dz_a[n], &wa[h..]);
        }
        // I = W_in x + W_rec s_prev + b_I
        for n in 0..h {
            axpy(&mut sc.ds_p, sc.d_i[n], &p.w_rec[n * h..(n + 1) * h]);
        }
        let d = Deltas { d_i: &sc.d_i, dz_m: &sc.dz_m, dz_a: &sc.dz_a, d_j: &sc.d_j, dz_o: &sc.dz_o };
        add_outer_products(layout, tr, &prev, &d, scale, grad);
        std::mem::swap(&mut sc.du, &mut sc.du_p);
        std::mem::swap(&mut sc.ds, &mut sc.ds_p);
        std::mem::swap(&mut sc.db, &mut sc.db_p);
        std::mem::swap(&mut sc.d_o, &mut sc.do_p);
    }
}

/// The float model trained by truncation-free BPTT: one optimiser step per sequence from the
/// stream-mean gradient of the sequence's summed loss. It learns only through
/// [`Learner::run_steps`] (the training loop hands it whole sequences); [`Learner::step`] runs
/// forward only.
pub struct BpttLearner {
    layout: Layout,
    params: Vec<f64>,
    opt: FpttState,
    cfg: FpttConfig,
    spike: SpikeFn,
    streams: Vec<StreamState>,
    traces: Vec<Vec<Trace>>,
    trace: Trace,
    scratch: BpttScratch,
    grad: Vec<f64>,
    updates: u64,
}

impl BpttLearner {
    /// A learner with seeded initial parameters.
    pub fn new(shape: Shape, batch: usize, seed: u64, cfg: FpttConfig) -> Self {
        Self::with_params(shape, batch, init_params(shape, seed), cfg)
    }

    /// A learner starting from the given parameters (flat layout). Of `cfg` only the optimiser,
    /// the learning rate and the clip are used.
    pub fn with_params(shape: Shape, batch: usize, params: Vec<f64>, cfg: FpttConfig) -> Self {
        assert!(batch >= 1, "batch must be at least 1");
        let layout = Layout::new(shape);
        assert_eq!(params.len(), layout.len(), "parameter count");
        Self {
            opt: FpttState::new(&params),
            grad: vec![0.0; layout.len()],
            streams: vec![StreamState::initial(shape); batch],
            traces: vec![Vec::new(); batch],
            layout,
            params,
            cfg,
            spike: SpikeFn::Heaviside,
            trace: Trace::default(),
            scratch: BpttScratch::default(),
            updates: 0,
        }
    }

    /// Optimiser steps made (one per learning [`Learner::run_steps`]).
    pub fn updates(&self) -> u64 {
        self.updates
    }
}

impl Learner for BpttLearner {
    fn shape(&self) -> Shape {
        self.layout.shape
    }

    fn batch(&self) -> usize {
        self.streams.len()
    }

    fn reset_state(&mut self) {
        let shape = self.layout.shape;
        self.streams.iter_mut().for_each(|s| *s = StreamState::initial(shape));
    }

    /// Forward only: BPTT learns from whole sequences ([`Learner::run_steps`]).
    fn step(&mut self, inputs: &[f64], targets: &[Target], weights: &[f64], learn: bool, outputs: &mut [f64]) -> f64 {
        assert!(!learn, "BPTT makes one update per sequence: hand it whole sequences with run_steps");
        let Shape { inputs: ni, outputs: c, .. } = self.layout.shape;
        let b = self.streams.len();
        let mut loss = 0.0;
        let mut d_o = Vec::new();
        for k in 0..b {
            let st = &mut self.streams[k];
            forward(&self.layout, &self.params, self.spike, st, &inputs[k * ni..(k + 1) * ni], &mut self.trace);
            outputs[k * c..(k + 1) * c].copy_from_slice(&self.trace.o);
            if weights[k] != 0.0 {
                loss += step_loss(&self.trace.o, targets[k], weights[k], &mut d_o);
            }
            st.advance(&self.trace);
        }
        loss / b as f64
    }

    fn commit_average(&mut self) {}

    fn params(&mut self) -> Vec<f64> {
        self.params.clone()
    }

    fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }

    fn updates_per_run(&self, _steps: usize) -> usize {
        1
    }

    fn run_steps(&mut self, steps: &Steps, outputs: &mut [f64]) -> f64 {
        let Shape { inputs: ni, outputs: c, .. } = self.layout.shape;
        let b = self.streams.len();
        let len = steps.len(b);
        if !steps.learn {
            let mut loss = 0.0;
            for t in 0..len {
                loss += self.step(
                    &steps.inputs[t * b * ni..(t + 1) * b * ni],
                    &steps.targets[t * b..(t + 1) * b],
                    &steps.weights[t * b..(t + 1) * b],
                    false,
                    &mut outputs[t * b * c..(t + 1) * b * c],
                );
            }
            return loss;
        }
        if let Some(lr) = steps.lrs.iter().flatten().next() {
            self.cfg.lr = *lr;
        }
        self.grad.iter_mut().for_each(|g| *g = 0.0);
        let scale = 1.0 / b as f64;
        let mut loss = 0.0;
        for k in 0..b {
            let x: Vec<f64> =
                (0..len).flat_map(|t| steps.inputs[(t * b + k) * ni..(t * b + k + 1) * ni].to_vec()).collect();
            let targets: Vec<Target> = (0..len).map(|t| steps.targets[t * b + k]).collect();
            let weights: Vec<f64> = (0..len).map(|t| steps.weights[t * b + k]).collect();
            let traces = &mut self.traces[k];
            let init = self.streams[k].clone();
            loss += forward_sequence(&self.layout, &self.params, self.spike, &init, &x, &targets, &weights, traces);
            backward_sequence(
                &self.layout,
                &self.params,
                self.spike,
                &init,
                traces,
                &targets,
                &weights,
                scale,
                &mut self.scratch,
                &mut self.grad,
            );
            for (t, tr) in traces.iter().enumerate() {
                outputs[(t * b + k) * c..(t * b + k + 1) * c].copy_from_slice(&tr.o);
            }
            if let Some(last) = traces.last() {
                self.streams[k].advance(last);
            }
        }
        self.opt.optimizer_step(&self.cfg, &mut self.params, &mut self.grad);
        self.updates += 1;
        loss * scale
    }
}
