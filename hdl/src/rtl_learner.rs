//! [`RtlLearner`]: a simulated unit ([`ForwardDriver`]) behind the training loop's
//! [`Learner`] interface, the way a host drives a board: real inputs, targets and step weights
//! quantised to codes (as `FixedLearner` does), one start per step, the readout read back.
//! Trained through it, the RTL must end with the golden model's parameters bit for bit.

use crate::forward::rd;
use crate::forward_sim::ForwardDriver;
use fptt_sim::fixed::update::{FixedParams, UpdateConsts};
use fptt_sim::fixed::Numerics;
use fptt_sim::fptt::FpttConfig;
use fptt_sim::learner::Learner;
use fptt_sim::loss::{step_loss, Target};
use fptt_sim::model::Shape;

/// A unit learning B streams in lockstep.
pub struct RtlLearner {
    unit: Box<dyn ForwardDriver + Send>,
    shape: Shape,
    batch: usize,
    n: Numerics,
    consts: UpdateConsts,
}

impl RtlLearner {
    /// A learner on `unit` (fresh, built for `shape` or configured for it) with B = `batch`
    /// streams, starting from `params` (as `FixedLearner::with_params` quantises them).
    pub fn new(
        mut unit: Box<dyn ForwardDriver + Send>,
        shape: Shape,
        batch: usize,
        params: &FixedParams,
        cfg: FpttConfig,
    ) -> Self {
        let n = Numerics::DEFAULT;
        assert!(batch >= 1, "batch must be at least 1");
        let consts = UpdateConsts::new(&n, &cfg, batch);
        unit.load(params);
        unit.set_update(&consts);
        Self { unit, shape, batch, n, consts }
    }

    /// Every parameter word's W, W-bar, lambda, m and u, read back from the unit.
    pub fn words(&mut self) -> FixedParams {
        let len = fptt_sim::model::Layout::new(self.shape).len();
        let mut read = |vec| (0..len).map(|i| self.unit.read_param(vec, i) as i32).collect::<Vec<i32>>();
        let mut p = FixedParams {
            w: read(rd::W),
            operand: vec![0; len],
            w_bar: read(rd::W_BAR),
            lambda: read(rd::LAMBDA),
            m: read(rd::M),
            u: read(rd::U_ADAMAX),
        };
        p.refresh_operands(&self.n);
        p
    }

    /// The unit.
    pub fn unit(&mut self) -> &mut dyn ForwardDriver {
        self.unit.as_mut()
    }
}

impl Learner for RtlLearner {
    fn shape(&self) -> Shape {
        self.shape
    }

    fn param_words(&mut self) -> Option<FixedParams> {
        Some(self.words())
    }

    fn batch(&self) -> usize {
        self.batch
    }

    fn reset_state(&mut self) {
        self.unit.reset_state();
    }

    fn step(&mut self, inputs: &[f64], targets: &[Target], weights: &[f64], learn: bool, outputs: &mut [f64]) -> f64 {
        let (n, Shape { inputs: ni, outputs: c, .. }, b) = (self.n, self.shape, self.batch);
        assert!(inputs.len() == b * ni && targets.len() == b && weights.len() == b, "step sizes");
        let x: Vec<Vec<i32>> =
            inputs.chunks(ni).map(|xs| xs.iter().map(|&v| n.input.quantize(v) as i32).collect()).collect();
        if learn {
            let w: Vec<i64> = weights.iter().map(|&v| n.gain.quantize(v)).collect();
            if let Some(labels) = fptt_sim::loss::classes(targets) {
                self.unit.train_classes(&x, &labels, &w);
            } else {
                let y: Vec<Vec<i32>> = targets
                    .iter()
                    .map(|t| match *t {
                        Target::Value(v) => v.iter().map(|&v| n.state.quantize(v) as i32).collect(),
                        Target::Class(_) => panic!("a step mixes class and value targets"),
                    })
                    .collect();
                self.unit.train(&x, &y, &w);
            }
        } else {
            self.unit.step(&x);
        }
        let mut loss = 0.0;
        let mut scratch = Vec::new();
        for k in 0..b {
            for j in 0..c {
                outputs[k * c + j] = n.state.real(self.unit.read(rd::O, k, j));
            }
            if weights[k] != 0.0 {
                loss += step_loss(&outputs[k * c..(k + 1) * c], targets[k], weights[k], &mut scratch);
            }
        }
        loss / b as f64
    }

    fn commit_average(&mut self) {
        self.unit.commit_average();
    }

    fn params(&mut self) -> Vec<f64> {
        let len = fptt_sim::model::Layout::new(self.shape).len();
        (0..len).map(|i| self.n.weight.real(self.unit.read_param(rd::W, i))).collect()
    }

    fn set_lr(&mut self, lr: f64) {
        self.consts.lr = self.n.lr.quantize(lr);
        self.unit.set_update(&self.consts);
    }
}
