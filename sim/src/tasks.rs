//! Sequence tasks. The add task (Hochreiter & Schmidhuber 1997, as used by the FPTT paper) is
//! generated, seeded; real datasets come with their own loaders.

use crate::model::{InitOptions, Readout, Shape, ShapeError};
use crate::rng::SplitMix64;
use serde::Serialize;

/// One sequence: inputs T x I, per-step regression targets T x C, per-step loss weights T.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// Inputs, row-major T x I.
    pub inputs: Vec<f64>,
    /// Targets, row-major T x C.
    pub targets: Vec<f64>,
    /// Whether step t carries a loss at all (terminal targets load only the last step).
    pub has_loss: Vec<bool>,
}

impl Sequence {
    /// Number of steps T.
    pub fn len(&self) -> usize {
        self.has_loss.len()
    }

    /// True for an empty sequence.
    pub fn is_empty(&self) -> bool {
        self.has_loss.is_empty()
    }
}

/// Which steps of an add-task sequence carry a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetForm {
    /// Every step: the sum of the marked values seen so far (a loss at every step).
    Running,
    /// Only the last step: the sum of both marked values.
    Terminal,
}

/// The add task: channel 0 carries values U\[0,1\], channel 1 marks two steps, one in each half
/// of the sequence; the answer is the sum of the two marked values (chance MSE = 1/6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AddTask {
    /// Sequence length T (>= 2).
    pub seq_len: usize,
    /// Target form.
    pub target: TargetForm,
}

/// Variance of the sum of two independent U\[0,1\]: the MSE of always answering 1.
pub const ADD_TASK_CHANCE_MSE: f64 = 1.0 / 6.0;

impl AddTask {
    /// Input channels.
    pub const INPUTS: usize = 2;
    /// Outputs.
    pub const OUTPUTS: usize = 1;
    /// Gain on the marker channel's input weights at initialisation: the two marked steps must
    /// stand out from the value channel's steady drive.
    pub const MARKER_INIT_GAIN: f64 = 5.0;
    /// The readout the add task reads by default: the membrane, as the authors' add-task model
    /// (a graded sum is hard to hold in a spike count; see the README's results).
    pub const READOUT: Readout = Readout::Membrane;

    /// The add task's network with H hidden neurons, reading `readout`.
    pub fn shape(hidden: usize, readout: Readout) -> Result<Shape, ShapeError> {
        Shape::new(Self::INPUTS, hidden, Self::OUTPUTS).map(|s| s.with_readout(readout))
    }

    /// The project's initialisation for this task (see [`InitOptions`]).
    pub fn init_options() -> InitOptions {
        InitOptions {
            readout_rate_bias: -8.0,
            readout_gate_on_j: 1.0,
            readout_gate_on_o: 0.0,
            input_gains: vec![1.0, Self::MARKER_INIT_GAIN],
        }
    }

    /// Draw one sequence.
    pub fn sample(&self, rng: &mut SplitMix64) -> Sequence {
        let t_len = self.seq_len;
        assert!(t_len >= 2, "add task needs T >= 2");
        let half = t_len / 2;
        let first = rng.below(half);
        let second = half + rng.below(t_len - half);
        let mut inputs = vec![0.0; 2 * t_len];
        let mut targets = vec![0.0; t_len];
        let mut sum = 0.0;
        for t in 0..t_len {
            let value = rng.uniform();
            inputs[2 * t] = value;
            if t == first || t == second {
                inputs[2 * t + 1] = 1.0;
                sum += value;
            }
            targets[t] = sum;
        }
        let has_loss = (0..t_len)
            .map(|t| match self.target {
                TargetForm::Running => true,
                TargetForm::Terminal => t == t_len - 1,
            })
            .collect();
        Sequence { inputs, targets, has_loss }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_markers_one_per_half_and_running_sum() {
        let task = AddTask { seq_len: 50, target: TargetForm::Running };
        let mut rng = SplitMix64::new(3);
        for _ in 0..200 {
            let s = task.sample(&mut rng);
            let marks: Vec<usize> = (0..50).filter(|&t| s.inputs[2 * t + 1] == 1.0).collect();
            assert_eq!(marks.len(), 2);
            assert!(marks[0] < 25 && marks[1] >= 25);
            let sum = s.inputs[2 * marks[0]] + s.inputs[2 * marks[1]];
            assert!((s.targets[49] - sum).abs() < 1e-15);
            assert_eq!(s.targets[marks[0]], s.inputs[2 * marks[0]]);
            assert!(s.has_loss.iter().all(|&l| l));
        }
    }

    #[test]
    fn terminal_target_loads_only_the_last_step() {
        let task = AddTask { seq_len: 10, target: TargetForm::Terminal };
        let s = task.sample(&mut SplitMix64::new(1));
        assert_eq!(s.has_loss.iter().filter(|&&l| l).count(), 1);
        assert!(s.has_loss[9]);
    }

    #[test]
    fn chance_mse_is_the_variance_of_the_sum() {
        let task = AddTask { seq_len: 4, target: TargetForm::Terminal };
        let mut rng = SplitMix64::new(9);
        let n = 200_000;
        let mse: f64 = (0..n).map(|_| (task.sample(&mut rng).targets[3] - 1.0).powi(2)).sum::<f64>() / n as f64;
        assert!((mse - ADD_TASK_CHANCE_MSE).abs() < 0.003, "{mse}");
    }
}
