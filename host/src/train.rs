//! `fptt train`: online FPTT training on a task, then evaluation on held-out sequences.

use crate::cli::{Backend, FpttArgs, StepWeightArg, TargetArg};
use crate::connect::{connect, DeviceArgs};
use anyhow::{ensure, Context, Result};
use clap::{Args, ValueEnum};
use fptt_sim::model::{init_params_with, InitOptions, Shape};
use fptt_sim::tasks::{AddTask, ADD_TASK_CHANCE_MSE};
use fptt_sim::train::{train_add, CurvePoint, LrSchedule, Progress, TrainPlan};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Tasks `fptt train` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TaskArg {
    /// The add task (generated).
    Add,
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
    /// Sequence length T.
    #[arg(long, default_value_t = 200)]
    pub seq_len: usize,
    /// Backend that computes.
    #[arg(long, value_enum, default_value_t = Backend::Float)]
    pub backend: Backend,
    /// Hidden LTC neurons H.
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
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
    /// Loss weight over the steps.
    #[arg(long, value_enum, default_value_t = StepWeightArg::Uniform)]
    pub step_weight: StepWeightArg,
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
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
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
    /// Held-out MSE during training.
    pub curve: Vec<CurvePoint>,
}

/// Run `fptt train`.
pub fn run(args: &TrainArgs) -> Result<TrainSummary> {
    let cfg = args.fptt.config()?;
    ensure!(args.seq_len >= 2, "--seq-len must be at least 2");
    ensure!(args.batch >= 1, "--batch must be at least 1");
    ensure!(args.sequences >= 1, "--sequences must be at least 1");
    ensure!(args.eval_sequences >= 1, "--eval-sequences must be at least 1");
    ensure!((0.0..=1.0).contains(&args.lr_final), "--lr-final must lie in [0, 1]");
    let task = AddTask { seq_len: args.seq_len, target: args.target.into() };
    let shape = Shape::new(AddTask::INPUTS, args.hidden, AddTask::OUTPUTS)?;
    let plan = TrainPlan {
        sequences: args.sequences,
        eval_sequences: args.eval_sequences,
        data_seed: args.seed,
        step_weight: args.step_weight.into(),
        curve_points: args.curve_points,
        lr_schedule: match args.lr_schedule {
            ScheduleArg::Constant => LrSchedule::Constant,
            ScheduleArg::Cosine => LrSchedule::Cosine { peak: cfg.lr, final_frac: args.lr_final },
        },
        commit_average: args.commit_average,
    };
    let init = match args.init {
        InitArg::Project => AddTask::init_options(),
        InitArg::Plain => InitOptions::plain(),
    };
    let params = init_params_with(shape, args.seed, &init);
    let backend = if args.device.port.is_some() { Backend::Device } else { args.backend };
    let mut emulator = None;
    let mut device = None;
    let mut learner: Box<dyn fptt_sim::learner::Learner> = match backend {
        Backend::Device => {
            let c = connect(&args.device)?;
            (emulator, device) = (c.emulator, Some(c.description));
            Box::new(crate::board::BoardLearner::new(c.board, shape, args.batch, &params, cfg)?)
        }
        _ => backend.learner(shape, args.batch, params, cfg, args.lanes)?,
    };
    let total = plan.sequences.div_ceil(args.batch) * args.batch;
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} sequences {msg} (eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
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
    if let Some(path) = &args.save {
        let words = learner.param_words().context("--save: the float backend has no fixed-point state to save")?;
        if let Some(fault) = learner.fault() {
            anyhow::bail!("--save: {fault}");
        }
        crate::params::save(path, shape, &words)?;
    }
    drop(learner);
    drop(emulator);
    Ok(TrainSummary {
        task: "add",
        backend: backend.name(),
        device,
        seq_len: args.seq_len,
        hidden: args.hidden,
        batch: args.batch,
        sequences: report.sequences,
        eval_mse: report.eval_mse,
        chance_mse: ADD_TASK_CHANCE_MSE,
        steps_per_sec: report.steps_per_sec,
        sample_steps_per_sec: report.sample_steps_per_sec,
        train_seconds: report.train_seconds,
        updates: report.updates,
        seed: args.seed,
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
pub fn print_text(s: &TrainSummary) {
    println!(
        "{} task, T={}, backend {}, H={}, B={}: {} sequences, {} updates in {:.1} s ({:.0} steps/s, {:.0} sample-steps/s)",
        s.task, s.seq_len, s.backend, s.hidden, s.batch, s.sequences, s.updates, s.train_seconds, s.steps_per_sec,
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
