//! `fptt bench`: steps per second of a backend, on random weights and inputs.

use crate::cli::{Backend, FpttArgs};
use anyhow::{ensure, Result};
use clap::{Args, ValueEnum};
use fptt_sim::loss::Target;
use fptt_sim::model::{init_params, Shape};
use fptt_sim::rng::SplitMix64;
use serde::Serialize;
use std::time::Instant;

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Forward, loss, backward and FPTT update every step.
    Train,
    /// Forward only.
    Infer,
}

/// Arguments of `fptt bench`.
#[derive(Clone, Debug, Args)]
pub struct BenchArgs {
    /// Backend to measure.
    #[arg(long, value_enum, default_value_t = Backend::Float)]
    pub backend: Backend,
    /// Train or infer.
    #[arg(long, value_enum, default_value_t = Mode::Train)]
    pub mode: Mode,
    /// Input channels I.
    #[arg(long, default_value_t = 2)]
    pub inputs: usize,
    /// Hidden neurons H.
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// Outputs C.
    #[arg(long, default_value_t = 1)]
    pub outputs: usize,
    /// Streams B.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Minimum seconds to measure.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// FPTT hyper-parameters.
    #[command(flatten)]
    pub fptt: FpttArgs,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `fptt bench --json` prints.
#[derive(Debug, Serialize)]
pub struct BenchSummary {
    /// Backend name.
    pub backend: &'static str,
    /// "train" or "infer".
    pub mode: &'static str,
    /// I.
    pub inputs: usize,
    /// H.
    pub hidden: usize,
    /// C.
    pub outputs: usize,
    /// B.
    pub batch: usize,
    /// Steps measured.
    pub steps: u64,
    /// Steps (updates, in train mode) per second.
    pub steps_per_sec: f64,
    /// Stream-steps per second (B x steps_per_sec).
    pub sample_steps_per_sec: f64,
}

/// Run `fptt bench`.
pub fn run(args: &BenchArgs) -> Result<BenchSummary> {
    ensure!(args.batch >= 1, "--batch must be at least 1");
    ensure!(args.seconds > 0.0, "--seconds must be positive");
    let shape = Shape::new(args.inputs, args.hidden, args.outputs)?;
    let cfg = args.fptt.config()?;
    let mut learner = args.backend.learner(shape, args.batch, init_params(shape, 1), cfg);
    let learn = args.mode == Mode::Train;
    let b = args.batch;
    let mut rng = SplitMix64::new(2);
    // A pool of random inputs and targets, cycled, so input generation is not measured.
    let pool = 64;
    let inputs: Vec<f64> = (0..pool * b * shape.inputs).map(|_| rng.uniform()).collect();
    let targets: Vec<f64> = (0..pool * b * shape.outputs).map(|_| rng.uniform()).collect();
    let weights = vec![1.0; b];
    let mut outputs = vec![0.0; b * shape.outputs];
    let mut steps = 0u64;
    let start = Instant::now();
    loop {
        for k in 0..pool {
            let x = &inputs[k * b * shape.inputs..(k + 1) * b * shape.inputs];
            let y = &targets[k * b * shape.outputs..(k + 1) * b * shape.outputs];
            let t: Vec<Target> = y.chunks(shape.outputs).map(Target::Value).collect();
            learner.step(x, &t, &weights, learn, &mut outputs);
        }
        steps += pool as u64;
        if start.elapsed().as_secs_f64() >= args.seconds {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let steps_per_sec = steps as f64 / secs;
    Ok(BenchSummary {
        backend: args.backend.name(),
        mode: if learn { "train" } else { "infer" },
        inputs: args.inputs,
        hidden: args.hidden,
        outputs: args.outputs,
        batch: b,
        steps,
        steps_per_sec,
        sample_steps_per_sec: steps_per_sec * b as f64,
    })
}

/// Human-readable summary.
pub fn print_text(s: &BenchSummary) {
    println!(
        "{} {} I={} H={} C={} B={}: {:.0} steps/s ({:.0} sample-steps/s, {} steps)",
        s.backend, s.mode, s.inputs, s.hidden, s.outputs, s.batch, s.steps_per_sec, s.sample_steps_per_sec, s.steps
    );
}
