//! The interface every backend (float model, fixed-point golden model, emulated or real board)
//! offers the training loop, and the float model's implementation of it.

use crate::float::{backward, forward, BackwardScratch, StreamState, Trace};
use crate::fptt::{FpttConfig, FpttState};
use crate::loss::{step_loss, Target};
use crate::model::{init_params, Layout, Shape};
use crate::surrogate::SpikeFn;

/// An online learner over B streams in lockstep on shared weights.
pub trait Learner {
    /// Network sizes.
    fn shape(&self) -> Shape;
    /// Number of streams B.
    fn batch(&self) -> usize;
    /// Put every stream back to the initial neuron state (parameters are kept).
    fn reset_state(&mut self);
    /// One time step of all B streams: `inputs` is B x I, `targets` and `weights` one per stream
    /// (weight 0: no loss for that stream at this step). Writes each stream's readout o_t into
    /// `outputs` (B x C). With `learn`, makes one FPTT update from the stream-mean gradient.
    /// Returns the mean step loss over the streams.
    fn step(&mut self, inputs: &[f64], targets: &[Target], weights: &[f64], learn: bool, outputs: &mut [f64]) -> f64;
    /// W <- W-bar.
    fn commit_average(&mut self);
    /// The current parameters W, flat layout, as f64.
    fn params(&mut self) -> Vec<f64>;
    /// Set the learning rate used by the following updates (schedules are the host's job).
    fn set_lr(&mut self, lr: f64);

    /// Every parameter-state word (W, W-bar, lambda, optimiser moments) of a fixed-point
    /// learner (golden model, RTL, board); None for the float model.
    fn param_words(&mut self) -> Option<crate::fixed::update::FixedParams> {
        None
    }

    /// Why the learner stopped computing, if it did: a board whose link failed answers every
    /// later call with zeros and reports the failure here. The training loop stops on it.
    fn fault(&self) -> Option<String> {
        None
    }

    /// Weight updates a learning [`Learner::run_steps`] of `steps` steps makes: one per step
    /// (FPTT), or one per sequence (BPTT). The training loop counts updates and places the
    /// learning-rate schedule by it.
    fn updates_per_run(&self, steps: usize) -> usize {
        steps
    }

    /// Runs T time steps of all B streams at once (a board streams them with several frames in
    /// flight): the same as `set_lr` (where `steps.lrs[t]` is given) and `step` for t = 0..T.
    /// Writes the readouts into `outputs` (T x B x C); returns the sum of the step losses.
    fn run_steps(&mut self, steps: &Steps, outputs: &mut [f64]) -> f64 {
        let (b, i, c) = (self.batch(), self.shape().inputs, self.shape().outputs);
        let mut loss = 0.0;
        for t in 0..steps.len(b) {
            if let Some(lr) = steps.lrs.get(t).copied().flatten() {
                self.set_lr(lr);
            }
            loss += self.step(
                &steps.inputs[t * b * i..(t + 1) * b * i],
                &steps.targets[t * b..(t + 1) * b],
                &steps.weights[t * b..(t + 1) * b],
                steps.learn,
                &mut outputs[t * b * c..(t + 1) * b * c],
            );
        }
        loss
    }
}

/// T time steps of B streams, handed to [`Learner::run_steps`] at once.
#[derive(Clone, Copy, Debug)]
pub struct Steps<'a> {
    /// Inputs, T x B x I.
    pub inputs: &'a [f64],
    /// Targets, T x B.
    pub targets: &'a [Target<'a>],
    /// Step weights, T x B.
    pub weights: &'a [f64],
    /// A new learning rate before step t, T entries (or empty: none).
    pub lrs: &'a [Option<f64>],
    /// Make an update at every step.
    pub learn: bool,
}

impl Steps<'_> {
    /// T, for B streams.
    pub fn len(&self, streams: usize) -> usize {
        self.weights.len() / streams
    }
}

/// The float reference model as a [`Learner`].
pub struct FloatLearner {
    layout: Layout,
    params: Vec<f64>,
    fptt: FpttState,
    cfg: FpttConfig,
    spike: SpikeFn,
    streams: Vec<StreamState>,
    trace: Trace,
    scratch: BackwardScratch,
    grad: Vec<f64>,
    d_o: Vec<f64>,
}

impl FloatLearner {
    /// A learner with seeded initial parameters.
    pub fn new(shape: Shape, batch: usize, seed: u64, cfg: FpttConfig) -> Self {
        Self::with_params(shape, batch, init_params(shape, seed), cfg)
    }

    /// A learner starting from the given parameters (flat layout), W-bar = W, lambda = 0.
    pub fn with_params(shape: Shape, batch: usize, params: Vec<f64>, cfg: FpttConfig) -> Self {
        assert!(batch >= 1, "batch must be at least 1");
        let layout = Layout::new(shape);
        assert_eq!(params.len(), layout.len(), "parameter count");
        let fptt = FpttState::new(&params);
        Self {
            grad: vec![0.0; layout.len()],
            streams: vec![StreamState::initial(shape); batch],
            layout,
            params,
            fptt,
            cfg,
            spike: SpikeFn::Heaviside,
            trace: Trace::default(),
            scratch: BackwardScratch::default(),
            d_o: Vec::new(),
        }
    }

    /// The FPTT state (W-bar, lambda, optimiser moments).
    pub fn fptt_state(&self) -> &FpttState {
        &self.fptt
    }

    /// Stream `k`'s neuron state.
    pub fn stream(&self, k: usize) -> &StreamState {
        &self.streams[k]
    }
}

impl Learner for FloatLearner {
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

    fn step(&mut self, inputs: &[f64], targets: &[Target], weights: &[f64], learn: bool, outputs: &mut [f64]) -> f64 {
        let Shape { inputs: ni, outputs: c, .. } = self.layout.shape;
        let b = self.streams.len();
        assert_eq!(inputs.len(), b * ni, "inputs must be B x I");
        assert_eq!(outputs.len(), b * c, "outputs must be B x C");
        assert!(targets.len() == b && weights.len() == b, "one target and weight per stream");
        if learn {
            self.grad.iter_mut().for_each(|g| *g = 0.0);
        }
        let mut total_loss = 0.0;
        let scale = 1.0 / b as f64;
        for k in 0..b {
            let st = &mut self.streams[k];
            forward(&self.layout, &self.params, self.spike, st, &inputs[k * ni..(k + 1) * ni], &mut self.trace);
            outputs[k * c..(k + 1) * c].copy_from_slice(&self.trace.o);
            if weights[k] != 0.0 {
                total_loss += step_loss(&self.trace.o, targets[k], weights[k], &mut self.d_o);
                if learn {
                    backward(
                        &self.layout,
                        &self.params,
                        self.spike,
                        st,
                        &self.trace,
                        &self.d_o,
                        scale,
                        &mut self.scratch,
                        &mut self.grad,
                    );
                }
            }
            st.advance(&self.trace);
        }
        if learn {
            self.fptt.update(&self.cfg, &mut self.params, &mut self.grad);
        }
        total_loss * scale
    }

    fn commit_average(&mut self) {
        self.fptt.commit_average(&mut self.params);
    }

    fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }

    fn params(&mut self) -> Vec<f64> {
        self.params.clone()
    }
}
