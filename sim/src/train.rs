//! The online training loop: B sequences at a time in lockstep, one FPTT update per time step,
//! judged on held-out sequences with frozen weights.

use crate::learner::{Learner, Steps};
use crate::loss::Target;
use crate::rng::SplitMix64;
use crate::tasks::{AddTask, Sequence};
use serde::Serialize;
use std::time::Instant;

/// How the loss at step t is weighted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepWeight {
    /// w_t = 1.
    Uniform,
    /// w_t = (t+1)/T, as the authors weight classification losses.
    Linear,
    /// w_t = 1, or `CHANGE_GAIN` at steps where the running target changes: balances the few
    /// steps that carry new information against the many that only ask to hold.
    Change,
}

/// Weight of a step whose target changed, under [`StepWeight::Change`].
pub const CHANGE_GAIN: f64 = 50.0;

impl StepWeight {
    /// w_t for step t of sequence `seq` (C outputs).
    pub fn at(self, seq: &Sequence, t: usize, c: usize) -> f64 {
        match self {
            StepWeight::Uniform => 1.0,
            StepWeight::Linear => (t + 1) as f64 / seq.len() as f64,
            StepWeight::Change => {
                let now = &seq.targets[t * c..(t + 1) * c];
                let changed =
                    if t == 0 { now.iter().any(|&y| y != 0.0) } else { now != &seq.targets[(t - 1) * c..t * c] };
                if changed {
                    CHANGE_GAIN
                } else {
                    1.0
                }
            }
        }
    }
}

/// What to train on and how long.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TrainPlan {
    /// Training sequences in total (rounded up to whole batches).
    pub sequences: usize,
    /// Held-out sequences for evaluation.
    pub eval_sequences: usize,
    /// Seed of the training and held-out data (parameters have their own seed).
    pub data_seed: u64,
    /// Loss weighting over the steps.
    pub step_weight: StepWeight,
    /// Points on the learning curve (evaluations during training), 0 for none.
    pub curve_points: usize,
    /// Learning rate over the run (the host sets it before every update).
    pub lr_schedule: LrSchedule,
    /// Commit the average (W <- W-bar) after training, before the final evaluation.
    pub commit_average: bool,
}

impl TrainPlan {
    /// A plan with the plain settings: uniform step weight, no curve points, the learner's own
    /// (constant) learning rate, no commit of the average.
    pub fn new(sequences: usize, eval_sequences: usize, data_seed: u64) -> Self {
        Self {
            sequences,
            eval_sequences,
            data_seed,
            step_weight: StepWeight::Uniform,
            curve_points: 0,
            lr_schedule: LrSchedule::Constant,
            commit_average: false,
        }
    }
}

/// The learning rate over a run of K updates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LrSchedule {
    /// The learner's own rate throughout.
    Constant,
    /// Cosine decay from `peak` to `peak * final_frac` over the run:
    /// lr_k = peak (f + (1 - f) (1 + cos(pi k / K)) / 2).
    Cosine {
        /// Rate at the first update.
        peak: f64,
        /// Fraction of the peak left at the last update.
        final_frac: f64,
    },
}

impl LrSchedule {
    /// The rate of update k of `total`, or None to leave the learner's rate alone.
    pub fn at(self, k: u64, total: u64) -> Option<f64> {
        match self {
            LrSchedule::Constant => None,
            LrSchedule::Cosine { peak, final_frac } => {
                let x = k as f64 / total.max(1) as f64;
                Some(peak * (final_frac + (1.0 - final_frac) * 0.5 * (1.0 + (std::f64::consts::PI * x).cos())))
            }
        }
    }
}

/// One point of the learning curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Training sequences seen.
    pub sequences: usize,
    /// Held-out MSE at the last step, frozen weights.
    pub eval_mse: f64,
}

/// The outcome of a training run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainReport {
    /// Training sequences actually used (whole batches).
    pub sequences: usize,
    /// Held-out MSE at the last step after training.
    pub eval_mse: f64,
    /// Weight updates made (one per step per batch of streams).
    pub updates: u64,
    /// Seconds spent training (evaluations excluded).
    pub train_seconds: f64,
    /// Updates per second.
    pub steps_per_sec: f64,
    /// Stream-steps per second (B x steps_per_sec).
    pub sample_steps_per_sec: f64,
    /// Learning curve.
    pub curve: Vec<CurvePoint>,
}

/// Progress while training.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Sequences trained so far.
    pub sequences: usize,
    /// Of this many.
    pub total: usize,
    /// Latest held-out MSE, when an evaluation just ran.
    pub eval_mse: Option<f64>,
}

/// The held-out set for a plan: independent of the training stream and of B.
pub fn eval_set(task: &AddTask, plan: &TrainPlan) -> Vec<Sequence> {
    let mut rng = SplitMix64::derive(plan.data_seed, "add-eval");
    (0..plan.eval_sequences).map(|_| task.sample(&mut rng)).collect()
}

/// Run B sequences through the learner in lockstep from the initial state. Returns the squared
/// error of each sequence's last output against its last target.
fn run_batch(learner: &mut dyn Learner, seqs: &[&Sequence], learn: bool, weight: StepWeight) -> Vec<f64> {
    run_batch_scheduled(learner, seqs, learn, weight, &mut |_| None)
}

/// [`run_batch`] with a new learning rate before step t where `lr_at(t)` gives one (the
/// schedule). The whole sequence goes to the learner at once ([`Learner::run_steps`]).
fn run_batch_scheduled(
    learner: &mut dyn Learner,
    seqs: &[&Sequence],
    learn: bool,
    weight: StepWeight,
    lr_at: &mut dyn FnMut(usize) -> Option<f64>,
) -> Vec<f64> {
    let shape = learner.shape();
    let (ni, c) = (shape.inputs, shape.outputs);
    let b = learner.batch();
    assert_eq!(seqs.len(), b);
    let len = seqs[0].len();
    assert!(seqs.iter().all(|s| s.len() == len), "lockstep streams need equal lengths");
    learner.reset_state();
    let mut inputs = Vec::with_capacity(len * b * ni);
    let mut weights = Vec::with_capacity(len * b);
    let mut targets = Vec::with_capacity(len * b);
    for t in 0..len {
        for s in seqs {
            inputs.extend_from_slice(&s.inputs[t * ni..(t + 1) * ni]);
            weights.push(if s.has_loss[t] { weight.at(s, t, c) } else { 0.0 });
            targets.push(Target::Value(&s.targets[t * c..(t + 1) * c]));
        }
    }
    let lrs: Vec<Option<f64>> = (0..len).map(lr_at).collect();
    let steps = Steps { inputs: &inputs, targets: &targets, weights: &weights, lrs: &lrs, learn };
    let mut outputs = vec![0.0; len * b * c];
    learner.run_steps(&steps, &mut outputs);
    let last = &outputs[(len - 1) * b * c..];
    seqs.iter()
        .enumerate()
        .map(|(k, s)| (0..c).map(|j| (last[k * c + j] - s.targets[(len - 1) * c + j]).powi(2)).sum::<f64>() / c as f64)
        .collect()
}

/// Held-out MSE at the last step, weights frozen. The set is run B at a time; a short last
/// batch is padded with repeats whose errors are ignored.
pub fn evaluate(learner: &mut dyn Learner, set: &[Sequence]) -> f64 {
    let b = learner.batch();
    let mut total = 0.0;
    for chunk in set.chunks(b) {
        let padded: Vec<&Sequence> = (0..b).map(|k| &chunk[k.min(chunk.len() - 1)]).collect();
        let errs = run_batch(learner, &padded, false, StepWeight::Uniform);
        total += errs[..chunk.len()].iter().sum::<f64>();
    }
    total / set.len() as f64
}

/// Train the learner online on the add task, then evaluate it.
pub fn train_add(
    learner: &mut dyn Learner,
    task: &AddTask,
    plan: &TrainPlan,
    progress: &mut dyn FnMut(Progress),
) -> TrainReport {
    let b = learner.batch();
    let rounds = plan.sequences.div_ceil(b).max(1);
    let held_out = eval_set(task, plan);
    let mut rng = SplitMix64::derive(plan.data_seed, "add-train");
    let mut curve = Vec::new();
    let mut train_seconds = 0.0;
    let mut updates = 0u64;
    let every = if plan.curve_points == 0 { usize::MAX } else { rounds.div_ceil(plan.curve_points) };
    for r in 0..rounds {
        let seqs: Vec<Sequence> = (0..b).map(|_| task.sample(&mut rng)).collect();
        let refs: Vec<&Sequence> = seqs.iter().collect();
        let start = Instant::now();
        let total_updates = (rounds * task.seq_len) as u64;
        run_batch_scheduled(learner, &refs, true, plan.step_weight, &mut |_| {
            let lr = plan.lr_schedule.at(updates, total_updates);
            updates += 1;
            lr
        });
        train_seconds += start.elapsed().as_secs_f64();
        let done = (r + 1) * b;
        let mut eval_mse = None;
        if (r + 1) % every == 0 && r + 1 < rounds {
            let mse = evaluate(learner, &held_out);
            curve.push(CurvePoint { sequences: done, eval_mse: mse });
            eval_mse = Some(mse);
        }
        progress(Progress { sequences: done, total: rounds * b, eval_mse });
        if learner.fault().is_some() {
            break;
        }
    }
    if plan.commit_average {
        learner.commit_average();
    }
    let eval_mse = evaluate(learner, &held_out);
    curve.push(CurvePoint { sequences: rounds * b, eval_mse });
    let steps_per_sec = updates as f64 / train_seconds.max(1e-9);
    TrainReport {
        sequences: rounds * b,
        eval_mse,
        updates,
        train_seconds,
        steps_per_sec,
        sample_steps_per_sec: steps_per_sec * b as f64,
        curve,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_schedule_runs_from_peak_to_the_final_fraction() {
        let s = LrSchedule::Cosine { peak: 0.1, final_frac: 0.03 };
        assert_eq!(s.at(0, 100), Some(0.1));
        assert!((s.at(50, 100).unwrap() - 0.1 * (0.03 + 0.97 * 0.5)).abs() < 1e-12);
        assert!((s.at(100, 100).unwrap() - 0.003).abs() < 1e-12);
        assert_eq!(LrSchedule::Constant.at(3, 10), None);
    }
}
