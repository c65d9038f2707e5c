//! The commands that talk to a device and nothing else: `fptt info` (what the device is and
//! how it is doing), `fptt eval` (the held-out error of the parameters it holds) and
//! `fptt params save|load` (its parameter state to and from a safetensors file).

use crate::board::{load_words, read_words, Board, BoardLearner};
use crate::cli::{FpttArgs, TargetArg};
use crate::connect::{connect, DeviceArgs};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use fptt_hdl::messages::{readout_of, DeviceInfo, Reply, Request, StatusInfo};
use fptt_sim::model::Shape;
use fptt_sim::tasks::{AddTask, ADD_TASK_CHANCE_MSE};
use fptt_sim::train::{eval_set, evaluate, TrainPlan};
use serde::Serialize;
use std::path::PathBuf;

/// The device's STATUS.
pub fn status(board: &mut Board) -> Result<StatusInfo> {
    match board.call(&Request::Status)? {
        Reply::Status(s) => Ok(s),
        other => bail!("STATUS answered with {other:?}"),
    }
}

/// The network the device is configured for, if any.
pub fn configured(s: &StatusInfo) -> Option<(Shape, usize)> {
    let [i, h, c, b] = s.config.map(usize::from);
    let readout = readout_of(s.readout)?;
    Shape::new(i, h, c).ok().filter(|_| b > 0).map(|shape| (shape.with_readout(readout), b))
}

/// Arguments of `fptt info`.
#[derive(Clone, Debug, Args)]
pub struct InfoArgs {
    /// The device.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `fptt info` reports.
#[derive(Debug, Serialize)]
pub struct InfoReport {
    /// What answered.
    pub device: String,
    /// Protocol version.
    pub version: u8,
    /// Largest (I, H, C).
    pub max_sizes: [u8; 3],
    /// Weight lanes.
    pub lanes: u8,
    /// Words of each lane's weight banks.
    pub bank_words: u16,
    /// Words of each lane's vector banks.
    pub vector_words: u16,
    /// Largest B.
    pub max_streams: u8,
    /// Clock (0: an emulator).
    pub clock_hz: u32,
    /// (bits, fraction bits) of input, state, gate, weight, weight_avg, lambda, grad.
    pub formats: Vec<(u8, u8)>,
    /// Frames accepted and refused, last error code, steps run.
    pub frames_ok: u32,
    /// Frames refused.
    pub frames_refused: u32,
    /// The last error code (0: none).
    pub last_error: u8,
    /// Time steps run.
    pub steps: u32,
    /// The configured (I, H, C, B), zeros before CONFIG.
    pub config: [u8; 4],
    /// The configured readout ("spikes" or "membrane"; none before CONFIG).
    pub readout: Option<&'static str>,
}

/// Runs `fptt info`.
pub fn info(args: &InfoArgs) -> Result<InfoReport> {
    let mut c = connect(&args.device)?;
    let i: DeviceInfo = c.board.info().clone();
    let s = status(&mut c.board)?;
    Ok(InfoReport {
        device: c.description,
        version: i.version,
        max_sizes: [i.max_inputs, i.max_hidden, i.max_outputs],
        lanes: i.lanes,
        bank_words: i.bank_words,
        vector_words: i.vector_words,
        max_streams: i.max_streams,
        clock_hz: i.clock_hz,
        formats: i.formats.iter().map(|f| (f.bits, f.frac)).collect(),
        frames_ok: s.frames_ok,
        frames_refused: s.frames_refused,
        last_error: s.last_error,
        steps: s.steps,
        config: s.config,
        readout: configured(&s).map(|(shape, _)| shape.readout.name()),
    })
}

/// The text of `fptt info`.
pub fn print_info(r: &InfoReport) {
    let clock = if r.clock_hz == 0 { "no clock (emulator)".to_string() } else { format!("{} Hz", r.clock_hz) };
    println!("{}: protocol {}, {clock}, {} lanes", r.device, r.version, r.lanes);
    println!("  largest I, H, C: {:?}; largest B: {}", r.max_sizes, r.max_streams);
    println!("  banks per lane: {} weight words, {} vector words", r.bank_words, r.vector_words);
    let names = ["input", "state", "gate", "weight", "weight_avg", "lambda", "grad"];
    let f: Vec<String> = names.iter().zip(&r.formats).map(|(n, (b, q))| format!("{n} s{b}.{q}")).collect();
    println!("  formats: {}", f.join(", "));
    match r.config {
        [0, ..] => println!("  not configured"),
        [i, h, c, b] => println!("  configured: I={i}, H={h}, C={c}, B={b}, readout {}", r.readout.unwrap_or("?")),
    }
    println!(
        "  frames ok {}, refused {} (last error {}), steps run {}",
        r.frames_ok, r.frames_refused, r.last_error, r.steps
    );
}

/// Arguments of `fptt eval`.
#[derive(Clone, Debug, Args)]
pub struct EvalArgs {
    /// The device.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Load this parameter file (`fptt train --save`, `fptt params save`) first; without it
    /// the device's own parameters are evaluated.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Sequence length T of the add task.
    #[arg(long, default_value_t = 200)]
    pub seq_len: usize,
    /// Add-task target form.
    #[arg(long, value_enum, default_value_t = TargetArg::Running)]
    pub target: TargetArg,
    /// Streams run in lockstep.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Held-out sequences.
    #[arg(long, default_value_t = 512)]
    pub eval_sequences: usize,
    /// Seed of the data (the held-out set of `fptt train --seed S` is the same).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `fptt eval` reports.
#[derive(Debug, Serialize)]
pub struct EvalReport {
    /// Task name.
    pub task: &'static str,
    /// Always "device".
    pub backend: &'static str,
    /// What answered.
    pub device: String,
    /// T.
    pub seq_len: usize,
    /// H.
    pub hidden: usize,
    /// B.
    pub batch: usize,
    /// Held-out sequences.
    pub eval_sequences: usize,
    /// Held-out MSE at the last step.
    pub eval_mse: f64,
    /// Chance.
    pub chance_mse: f64,
}

/// Runs `fptt eval`.
pub fn eval(args: &EvalArgs) -> Result<EvalReport> {
    anyhow::ensure!(args.seq_len >= 2, "--seq-len must be at least 2");
    anyhow::ensure!(args.batch >= 1 && args.eval_sequences >= 1, "--batch and --eval-sequences must be positive");
    let mut c = connect(&args.device)?;
    let s = status(&mut c.board)?;
    let shape = match &args.params {
        Some(path) => {
            let (shape, words) = crate::params::load(path)?;
            ensure_task_shape(shape)?;
            let cfg = FpttArgs::defaults().config()?;
            let mut l = BoardLearner::attach(c.board, shape, args.batch, cfg)?;
            l.load(&words)?;
            return finish(args, c.description, l, shape);
        }
        None => configured(&s)
            .map(|(shape, _)| shape)
            .context("the device holds no network: train it first (fptt train --port ...) or give --params FILE")?,
    };
    ensure_task_shape(shape)?;
    let l = BoardLearner::attach(c.board, shape, args.batch, FpttArgs::defaults().config()?)?;
    finish(args, c.description, l, shape)
}

fn ensure_task_shape(shape: Shape) -> Result<()> {
    anyhow::ensure!(
        (shape.inputs, shape.outputs) == (AddTask::INPUTS, AddTask::OUTPUTS),
        "the network has (I, C) = ({}, {}); the add task needs ({}, {})",
        shape.inputs,
        shape.outputs,
        AddTask::INPUTS,
        AddTask::OUTPUTS
    );
    Ok(())
}

fn finish(args: &EvalArgs, device: String, mut l: BoardLearner, shape: Shape) -> Result<EvalReport> {
    use fptt_sim::learner::Learner;
    let task = AddTask { seq_len: args.seq_len, target: args.target.into() };
    let set = eval_set(&task, &TrainPlan::new(0, args.eval_sequences, args.seed));
    let eval_mse = evaluate(&mut l, &set);
    if let Some(fault) = l.fault() {
        bail!("evaluation stopped: {fault}");
    }
    Ok(EvalReport {
        task: "add",
        backend: "device",
        device,
        seq_len: args.seq_len,
        hidden: shape.hidden,
        batch: args.batch,
        eval_sequences: args.eval_sequences,
        eval_mse,
        chance_mse: ADD_TASK_CHANCE_MSE,
    })
}

/// `fptt params`.
#[derive(Clone, Debug, Subcommand)]
pub enum ParamsCommand {
    /// Read the device's parameter state into a safetensors file.
    Save {
        /// The device.
        #[command(flatten)]
        device: DeviceArgs,
        /// The file to write.
        file: PathBuf,
    },
    /// Write a safetensors file's parameter state to the device.
    Load {
        /// The device.
        #[command(flatten)]
        device: DeviceArgs,
        /// The file to read.
        file: PathBuf,
    },
}

/// Runs `fptt params save|load`; returns what it did.
pub fn params(cmd: &ParamsCommand) -> Result<String> {
    match cmd {
        ParamsCommand::Save { device, file } => {
            let mut c = connect(device)?;
            let s = status(&mut c.board)?;
            let (shape, _) = configured(&s)
                .context("the device holds no network yet (no CONFIG since it started): nothing to save")?;
            let words = read_words(&mut c.board, shape)?;
            crate::params::save(file, shape, &words)?;
            Ok(format!("saved the {} parameter words of {} to {}", words.len(), c.description, file.display()))
        }
        ParamsCommand::Load { device, file } => {
            let (shape, words) = crate::params::load(file)?;
            let mut c = connect(device)?;
            let s = status(&mut c.board)?;
            if configured(&s).map(|(sh, _)| sh) != Some(shape) {
                // another network on the device: configure this one (one stream, default constants)
                BoardLearner::attach(c.board, shape, 1, FpttArgs::defaults().config()?)?.load(&words)?;
            } else {
                load_words(&mut c.board, shape, &words)?;
            }
            Ok(format!("loaded {} into {}", file.display(), c.description))
        }
    }
}
