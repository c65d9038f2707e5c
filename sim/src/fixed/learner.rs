//! [`FixedLearner`]: the golden model behind the [`Learner`] interface. Real-valued inputs,
//! targets and step weights are quantised at the boundary (the host's job on a board);
//! everything inside is integer.

use super::model::{FixedScratch, FixedState, FixedTrace, Kernel};
use super::numerics::Numerics;
use super::update::{FixedParams, UpdateConsts};
use crate::fptt::FpttConfig;
use crate::learner::Learner;
use crate::loss::{step_loss, Target};
use crate::model::{init_params, Layout, Shape};

/// Targets of one step, as codes.
#[derive(Clone, Copy)]
enum CodeTargets<'a> {
    /// Regression targets, state format, B x C.
    Values(&'a [i32]),
    /// One class per stream.
    Classes(&'a [usize]),
}

/// The bit-exact fixed-point golden model of the accelerator, B streams in lockstep.
pub struct FixedLearner {
    layout: Layout,
    kernel: Kernel,
    consts: UpdateConsts,
    params: FixedParams,
    streams: Vec<FixedState>,
    trace: FixedTrace,
    scratch: FixedScratch,
    gsum: Vec<i64>,
    x: Vec<i32>,
    y: Vec<i32>,
    d_o: Vec<i32>,
}

impl FixedLearner {
    /// A learner with the project's seeded initial parameters, quantised.
    pub fn new(shape: Shape, batch: usize, seed: u64, cfg: FpttConfig, numerics: Numerics) -> Self {
        Self::with_params(shape, batch, &init_params(shape, seed), cfg, numerics)
    }

    /// A learner starting from the given real parameters (quantised to the weight format).
    pub fn with_params(shape: Shape, batch: usize, params: &[f64], cfg: FpttConfig, numerics: Numerics) -> Self {
        assert!(batch >= 1, "batch must be at least 1");
        let consts = UpdateConsts::new(&numerics, &cfg, batch);
        Self::with_words(shape, batch, FixedParams::from_reals(&numerics, params), consts, numerics)
    }

    /// A learner on parameter state given as codes, with update constants given as codes (a
    /// device's view: what the host loaded and configured).
    pub fn with_words(
        shape: Shape,
        batch: usize,
        mut words: FixedParams,
        consts: UpdateConsts,
        numerics: Numerics,
    ) -> Self {
        assert!(batch >= 1, "batch must be at least 1");
        let layout = Layout::new(shape);
        assert_eq!(words.len(), layout.len(), "parameter count");
        words.refresh_operands(&numerics);
        Self {
            gsum: vec![0; layout.len()],
            streams: vec![FixedState::initial(shape, &numerics); batch],
            consts,
            params: words,
            kernel: Kernel::new(numerics),
            layout,
            trace: FixedTrace::default(),
            scratch: FixedScratch::default(),
            x: Vec::new(),
            y: Vec::new(),
            d_o: Vec::new(),
        }
    }

    /// Sets the update constants (codes).
    pub fn set_consts(&mut self, consts: UpdateConsts) {
        self.consts = consts;
    }

    /// Changes parameter words through `f` (W's multiplier operands follow).
    pub fn load_words(&mut self, f: impl FnOnce(&mut FixedParams)) {
        f(&mut self.params);
        self.params.refresh_operands(&self.kernel.n);
    }

    /// Every parameter word's state (W, W-bar, lambda, Adamax moments) as codes.
    pub fn words(&self) -> &FixedParams {
        &self.params
    }

    /// Stream k's state as codes.
    pub fn stream(&self, k: usize) -> &FixedState {
        &self.streams[k]
    }

    /// The formats.
    pub fn numerics(&self) -> &Numerics {
        &self.kernel.n
    }

    /// The update constants as codes.
    pub fn consts(&self) -> &UpdateConsts {
        &self.consts
    }

    /// One step from inputs already in codes (x: input format, B x I; y: state format, B x C;
    /// weights: gain format, one per stream, 0 = no loss). Writes o codes (B x C).
    pub fn step_codes(&mut self, x: &[i32], y: &[i32], weights: &[i64], learn: bool, o: &mut [i32]) {
        let c = self.layout.shape.outputs;
        assert_eq!(y.len(), self.streams.len() * c, "targets must be B x C");
        self.step_with(x, CodeTargets::Values(y), weights, learn, o);
    }

    /// One classification step: `labels` holds one class per stream.
    pub fn step_classes(&mut self, x: &[i32], labels: &[usize], weights: &[i64], learn: bool, o: &mut [i32]) {
        assert_eq!(labels.len(), self.streams.len(), "one label per stream");
        self.step_with(x, CodeTargets::Classes(labels), weights, learn, o);
    }

    fn step_with(&mut self, x: &[i32], y: CodeTargets, weights: &[i64], learn: bool, o: &mut [i32]) {
        let Shape { inputs: ni, outputs: c, .. } = self.layout.shape;
        let b = self.streams.len();
        assert!(x.len() == b * ni && o.len() == b * c && weights.len() == b, "step sizes");
        if learn {
            self.gsum.iter_mut().for_each(|g| *g = 0);
        }
        for k in 0..b {
            let st = &mut self.streams[k];
            self.kernel.forward(&self.layout, &self.params.operand, st, &x[k * ni..(k + 1) * ni], &mut self.trace);
            o[k * c..(k + 1) * c].copy_from_slice(&self.trace.o);
            if learn && weights[k] != 0 {
                match y {
                    CodeTargets::Values(y) => {
                        self.kernel.regression_error(&self.trace.o, &y[k * c..(k + 1) * c], weights[k], &mut self.d_o)
                    }
                    CodeTargets::Classes(l) => {
                        self.kernel.softmax_error(&self.trace.o, l[k], weights[k], &mut self.d_o)
                    }
                }
                self.kernel.backward(
                    &self.layout,
                    &self.params.operand,
                    st,
                    &self.trace,
                    &self.d_o,
                    &mut self.scratch,
                    &mut self.gsum,
                );
            }
            st.advance(&self.trace);
        }
        if learn {
            self.params.update(&self.kernel.n, &self.kernel.tables, &self.consts, &self.gsum, self.kernel.f.acc);
        }
    }
}

impl Learner for FixedLearner {
    fn shape(&self) -> Shape {
        self.layout.shape
    }

    fn batch(&self) -> usize {
        self.streams.len()
    }

    fn reset_state(&mut self) {
        let (shape, n) = (self.layout.shape, self.kernel.n);
        self.streams.iter_mut().for_each(|s| *s = FixedState::initial(shape, &n));
    }

    fn step(&mut self, inputs: &[f64], targets: &[Target], weights: &[f64], learn: bool, outputs: &mut [f64]) -> f64 {
        let n = self.kernel.n;
        let c = self.layout.shape.outputs;
        let b = self.streams.len();
        assert_eq!(targets.len(), b, "one target per stream");
        let mut x = std::mem::take(&mut self.x);
        let mut y = std::mem::take(&mut self.y);
        x.clear();
        x.extend(inputs.iter().map(|&v| n.input.quantize(v) as i32));
        y.clear();
        let w: Vec<i64> = weights.iter().map(|&v| n.gain.quantize(v)).collect();
        let mut o = vec![0i32; b * c];
        match &crate::loss::classes(targets) {
            Some(labels) => self.step_classes(&x, labels, &w, learn, &mut o),
            None => {
                for t in targets {
                    match *t {
                        Target::Value(v) => y.extend(v.iter().map(|&v| n.state.quantize(v) as i32)),
                        Target::Class(_) => panic!("a step mixes class and value targets"),
                    }
                }
                self.step_codes(&x, &y, &w, learn, &mut o);
            }
        }
        // The loss is reported in f64 from the output codes (host side).
        let mut loss = 0.0;
        let mut scratch = Vec::new();
        for k in 0..b {
            let ov: Vec<f64> = o[k * c..(k + 1) * c].iter().map(|&v| n.state.real(v as i64)).collect();
            outputs[k * c..(k + 1) * c].copy_from_slice(&ov);
            if weights[k] != 0.0 {
                loss += step_loss(&ov, targets[k], weights[k], &mut scratch);
            }
        }
        self.x = x;
        self.y = y;
        loss / b as f64
    }

    fn commit_average(&mut self) {
        self.params.commit_average(&self.kernel.n);
    }

    fn params(&mut self) -> Vec<f64> {
        self.params.w.iter().map(|&w| self.kernel.n.weight.real(w as i64)).collect()
    }

    fn param_words(&mut self) -> Option<FixedParams> {
        Some(self.params.clone())
    }

    fn set_lr(&mut self, lr: f64) {
        self.consts.lr = self.kernel.n.lr.quantize(lr);
    }
}
