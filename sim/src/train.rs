//! The online training loop: B sequences at a time in lockstep, one FPTT update per time step,
//! judged on held-out sequences with frozen weights.

use crate::data::{Dataset, Example};
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
    /// w_t = 1 at the last step only (0 elsewhere).
    Last,
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
            StepWeight::Last => f64::from(u8::from(t + 1 == seq.len())),
        }
    }

    /// w_t for step t of a classification sequence of `len` steps (one class throughout, so
    /// [`StepWeight::Change`] weighs only the first step up, as the target appears there).
    pub fn class_at(self, t: usize, len: usize) -> f64 {
        match self {
            StepWeight::Uniform => 1.0,
            StepWeight::Linear => (t + 1) as f64 / len as f64,
            StepWeight::Change => {
                if t == 0 {
                    CHANGE_GAIN
                } else {
                    1.0
                }
            }
            StepWeight::Last => f64::from(u8::from(t + 1 == len)),
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
    /// Latest held-out MSE, when an evaluation just ran (regression).
    pub eval_mse: Option<f64>,
    /// Latest held-out accuracy, when an evaluation just ran (classification).
    pub eval_accuracy: Option<f64>,
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
    let outputs = run_lockstep(learner, &inputs, &targets, &weights, learn, lr_at);
    let last = &outputs[(len - 1) * b * c..];
    seqs.iter()
        .enumerate()
        .map(|(k, s)| (0..c).map(|j| (last[k * c + j] - s.targets[(len - 1) * c + j]).powi(2)).sum::<f64>() / c as f64)
        .collect()
}

/// Run B streams in lockstep from the initial state over steps already laid out T x B
/// (`inputs` T x B x I, `targets` and `weights` T x B); returns the readouts T x B x C.
/// `lr_at(k)` gives the learning rate before update k of this run (the learner makes
/// [`Learner::updates_per_run`] of them: one per step, or one for the whole sequence).
fn run_lockstep(
    learner: &mut dyn Learner,
    inputs: &[f64],
    targets: &[Target],
    weights: &[f64],
    learn: bool,
    lr_at: &mut dyn FnMut(usize) -> Option<f64>,
) -> Vec<f64> {
    let (b, c) = (learner.batch(), learner.shape().outputs);
    let len = weights.len() / b;
    learner.reset_state();
    let lrs: Vec<Option<f64>> = if learn {
        let per_run = learner.updates_per_run(len);
        if per_run == len {
            (0..len).map(&mut *lr_at).collect()
        } else {
            (0..per_run).map(&mut *lr_at).chain(std::iter::repeat(None)).take(len).collect()
        }
    } else {
        Vec::new()
    };
    let steps = Steps { inputs, targets, weights, lrs: &lrs, learn };
    let mut outputs = vec![0.0; len * b * c];
    learner.run_steps(&steps, &mut outputs);
    outputs
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
        let total_updates = (rounds * learner.updates_per_run(task.seq_len)) as u64;
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
        progress(Progress { sequences: done, total: rounds * b, eval_mse, eval_accuracy: None });
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

// ------------------------------------------------------------------ classification

/// One point of a classification learning curve: the state after a pass over the training set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PassPoint {
    /// Passes over the training set done.
    pub pass: usize,
    /// Training sequences seen.
    pub sequences: usize,
    /// Accuracy on the training sequences of this pass, each predicted while it was being
    /// learned (online: the readout at its last step, weights changing within the pass).
    pub train_accuracy: f64,
    /// Accuracy on the test set, frozen weights.
    pub test_accuracy: f64,
    /// Mean cross-entropy of the test set at the last step, frozen weights.
    pub test_loss: f64,
    /// Training seconds so far (evaluations excluded).
    pub train_seconds: f64,
}

/// The outcome of a classification training run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassReport {
    /// Passes over the training set.
    pub passes: usize,
    /// Training sequences per pass.
    pub train_sequences: usize,
    /// Test sequences.
    pub test_sequences: usize,
    /// Test accuracy after training (after the commit of the average, if the plan asks).
    pub test_accuracy: f64,
    /// Test cross-entropy at the last step after training.
    pub test_loss: f64,
    /// Weight updates made.
    pub updates: u64,
    /// Steps run while training (lockstep steps, padding included).
    pub steps: u64,
    /// Of the stream-steps run while training, the fraction that was padding.
    pub padding: f64,
    /// Seconds spent training (evaluations excluded).
    pub train_seconds: f64,
    /// Lockstep steps per second while training.
    pub steps_per_sec: f64,
    /// Stream-steps per second (B x steps_per_sec).
    pub sample_steps_per_sec: f64,
    /// One point per pass.
    pub curve: Vec<PassPoint>,
}

/// Indices 0..n in an order drawn from `rng` (Fisher-Yates).
fn shuffled(n: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.below(i + 1));
    }
    order
}

/// A seeded subset of `limit` of the `n` indices (all of them, in order, when `limit >= n`).
/// The subset is drawn, not the first `limit`: JapaneseVowels' lists are sorted by speaker.
pub fn subset(n: usize, limit: usize, seed: u64, name: &str) -> Vec<usize> {
    if limit >= n {
        return (0..n).collect();
    }
    let mut pick = shuffled(n, &mut SplitMix64::derive(seed, name));
    pick.truncate(limit);
    pick.sort_unstable();
    pick
}

/// B sequences in lockstep, laid out T x B for [`run_lockstep`], T the longest of them.
/// Sequences shorter than T are padded at the end: zero inputs and weight 0 (no loss, no
/// gradient) after their last step, so that their readout at their own last step is what
/// running them alone gives. Streams with `live[k] == false` fill a short batch: weight 0 at
/// every step.
struct ClassBatch {
    inputs: Vec<f64>,
    targets: Vec<usize>,
    weights: Vec<f64>,
    len: usize,
    padded: usize,
}

impl ClassBatch {
    fn new(exs: &[&Example], live: &[bool], channels: usize, weight: StepWeight) -> Self {
        let b = exs.len();
        let len = exs.iter().map(|e| e.steps).max().unwrap_or(0);
        let mut inputs = Vec::with_capacity(len * b * channels);
        let mut targets = Vec::with_capacity(len * b);
        let mut weights = Vec::with_capacity(len * b);
        let mut padded = 0;
        for t in 0..len {
            for (e, &on) in exs.iter().zip(live) {
                targets.push(e.label);
                if t < e.steps {
                    inputs.extend_from_slice(e.step(t));
                    weights.push(if on { weight.class_at(t, e.steps) } else { 0.0 });
                } else {
                    inputs.resize(inputs.len() + channels, 0.0);
                    weights.push(0.0);
                    padded += usize::from(on);
                }
            }
        }
        Self { inputs, targets, weights, len, padded }
    }

    /// Run it; returns each stream's readout at its own last step (B x C).
    fn run(
        &self,
        learner: &mut dyn Learner,
        exs: &[&Example],
        learn: bool,
        lr_at: &mut dyn FnMut(usize) -> Option<f64>,
    ) -> Vec<Vec<f64>> {
        let (b, c) = (learner.batch(), learner.shape().outputs);
        let targets: Vec<Target> = self.targets.iter().map(|&k| Target::Class(k)).collect();
        let out = run_lockstep(learner, &self.inputs, &targets, &self.weights, learn, lr_at);
        exs.iter()
            .enumerate()
            .map(|(k, e)| out[((e.steps - 1) * b + k) * c..((e.steps - 1) * b + k + 1) * c].to_vec())
            .collect()
    }
}

/// The predicted class: argmax of the readout (the first of equal maxima).
pub fn argmax(o: &[f64]) -> usize {
    o.iter().enumerate().fold((0, f64::NEG_INFINITY), |(bk, bv), (k, &v)| if v > bv { (k, v) } else { (bk, bv) }).0
}

/// Test accuracy and mean cross-entropy at the last step, frozen weights, prediction = argmax
/// of the readout at each sequence's last step. Run B at a time; a short last batch is filled
/// with repeats that are not counted.
pub fn evaluate_classes(learner: &mut dyn Learner, set: &[&Example]) -> (f64, f64) {
    let b = learner.batch();
    let channels = learner.shape().inputs;
    let (mut right, mut loss) = (0usize, 0.0);
    let mut p = Vec::new();
    for chunk in set.chunks(b) {
        let exs: Vec<&Example> = (0..b).map(|k| chunk[k.min(chunk.len() - 1)]).collect();
        let live: Vec<bool> = (0..b).map(|k| k < chunk.len()).collect();
        let batch = ClassBatch::new(&exs, &live, channels, StepWeight::Last);
        let outs = batch.run(learner, &exs, false, &mut |_| None);
        for (o, e) in outs.iter().zip(chunk) {
            right += usize::from(argmax(o) == e.label);
            crate::loss::softmax(o, &mut p);
            loss -= p[e.label].max(f64::MIN_POSITIVE).ln();
        }
    }
    let n = set.len().max(1) as f64;
    (right as f64 / n, loss / n)
}

/// Train the learner online on a classification dataset for `passes` passes, evaluating on
/// the test set after each.
///
/// Of the plan: `sequences` caps the training sequences used (a seeded subset when smaller
/// than the training list), `eval_sequences` caps the test sequences likewise, `data_seed`
/// seeds those subsets and the shuffle of every pass, `step_weight` weighs the loss over each
/// sequence's steps (on its own length), `lr_schedule` runs over all the updates of all the
/// passes, `commit_average` commits W-bar before the final evaluation; `curve_points` is not
/// used (one point per pass).
///
/// Each pass shuffles the training sequences; B streams take them in turn, B at a time in
/// lockstep (stream k of round r takes sequence r B + k of the pass's order), each stream from
/// the initial state. A last round with fewer than B sequences fills the empty streams with
/// weight-0 repeats. Sequences of different lengths in one round are padded at the end with
/// zero-input, zero-weight steps.
pub fn train_classes(
    learner: &mut dyn Learner,
    data: &Dataset,
    passes: usize,
    plan: &TrainPlan,
    progress: &mut dyn FnMut(Progress),
) -> ClassReport {
    let b = learner.batch();
    let channels = learner.shape().inputs;
    assert_eq!(channels, data.channels, "the learner's inputs must be the dataset's channels");
    assert_eq!(learner.shape().outputs, data.classes, "one readout per class");
    let train: Vec<&Example> = subset(data.train.len(), plan.sequences, plan.data_seed, "class-train-subset")
        .into_iter()
        .map(|k| &data.train[k])
        .collect();
    let test: Vec<&Example> = subset(data.test.len(), plan.eval_sequences, plan.data_seed, "class-test-subset")
        .into_iter()
        .map(|k| &data.test[k])
        .collect();
    assert!(!train.is_empty() && !test.is_empty(), "empty training or test set");
    let rounds = train.len().div_ceil(b);
    let mut rng = SplitMix64::derive(plan.data_seed, "class-train");
    let orders: Vec<Vec<usize>> = (0..passes).map(|_| shuffled(train.len(), &mut rng)).collect();
    let batch_of = |order: &[usize], r: usize| -> (Vec<&Example>, Vec<bool>) {
        let idx = &order[r * b..((r + 1) * b).min(order.len())];
        let exs = (0..b).map(|k| train[idx[k.min(idx.len() - 1)]]).collect();
        (exs, (0..b).map(|k| k < idx.len()).collect())
    };
    // the schedule runs over every update of the run: count them first
    let total_updates: u64 = orders
        .iter()
        .flat_map(|o| (0..rounds).map(move |r| (o, r)))
        .map(|(o, r)| learner.updates_per_run(batch_of(o, r).0.iter().map(|e| e.steps).max().unwrap_or(0)) as u64)
        .sum();
    let mut curve = Vec::new();
    let (mut train_seconds, mut updates, mut steps, mut stream_steps, mut padded) = (0.0, 0u64, 0u64, 0u64, 0u64);
    'passes: for (pass, order) in orders.iter().enumerate() {
        let mut right = 0usize;
        for r in 0..rounds {
            let (exs, live) = batch_of(order, r);
            let batch = ClassBatch::new(&exs, &live, channels, plan.step_weight);
            let start = Instant::now();
            let outs = batch.run(learner, &exs, true, &mut |_| {
                let lr = plan.lr_schedule.at(updates, total_updates);
                updates += 1;
                lr
            });
            train_seconds += start.elapsed().as_secs_f64();
            steps += batch.len as u64;
            stream_steps += (batch.len * live.iter().filter(|&&on| on).count()) as u64;
            padded += batch.padded as u64;
            right += outs.iter().zip(&exs).zip(&live).filter(|((o, e), &on)| on && argmax(o) == e.label).count();
            let done = pass * train.len() + ((r + 1) * b).min(train.len());
            progress(Progress { sequences: done, total: passes * train.len(), eval_mse: None, eval_accuracy: None });
            if learner.fault().is_some() {
                break 'passes;
            }
        }
        let (test_accuracy, test_loss) = evaluate_classes(learner, &test);
        curve.push(PassPoint {
            pass: pass + 1,
            sequences: (pass + 1) * train.len(),
            train_accuracy: right as f64 / train.len() as f64,
            test_accuracy,
            test_loss,
            train_seconds,
        });
        progress(Progress {
            sequences: (pass + 1) * train.len(),
            total: passes * train.len(),
            eval_mse: None,
            eval_accuracy: Some(test_accuracy),
        });
    }
    let (test_accuracy, test_loss) = if plan.commit_average {
        learner.commit_average();
        evaluate_classes(learner, &test)
    } else {
        curve.last().map(|p| (p.test_accuracy, p.test_loss)).unwrap_or_else(|| evaluate_classes(learner, &test))
    };
    let steps_per_sec = steps as f64 / train_seconds.max(1e-9);
    ClassReport {
        passes,
        train_sequences: train.len(),
        test_sequences: test.len(),
        test_accuracy,
        test_loss,
        updates,
        steps,
        padding: padded as f64 / (stream_steps.max(1)) as f64,
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
