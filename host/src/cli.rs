//! Command-line arguments shared by the commands.

use anyhow::{anyhow, Result};
use clap::{Args, ValueEnum};
use fptt_hdl::forward_sim::unit_streams;
use fptt_hdl::rtl_learner::RtlLearner;
use fptt_hdl::verilator_driver::verilator_driver;
use fptt_sim::bptt::BpttLearner;
use fptt_sim::fixed::update::FixedParams;
use fptt_sim::fixed::{FixedLearner, Numerics};
use fptt_sim::fptt::{FpttConfig, Optimizer};
use fptt_sim::learner::{FloatLearner, Learner};
use fptt_sim::model::{Readout, Shape};
use fptt_sim::tasks::TargetForm;
use fptt_sim::train::StepWeight;

/// Which model computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The f64 reference model.
    Float,
    /// The bit-exact fixed-point golden model of the accelerator.
    Fixed,
    /// The accelerator's generated Verilog, compiled by Verilator (install verilator) and
    /// driven as a board is: at most 64 streams, `--lanes` weight lanes.
    Rtl,
    /// A board over the link: `--port`, else the board found by its USB id, else a board
    /// emulator (the golden model on a pseudo-terminal) started for the run.
    Device,
    /// The f64 model trained by truncation-free BPTT over the whole sequence (one update per
    /// sequence, no FPTT regulariser): the baseline.
    Bptt,
}

impl Backend {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Float => "float",
            Backend::Fixed => "fixed",
            Backend::Rtl => "rtl",
            Backend::Device => "device",
            Backend::Bptt => "bptt",
        }
    }

    /// A learner of this backend starting from `params` (flat layout, reals); the RTL one on
    /// `lanes` lanes.
    pub fn learner(
        self,
        shape: Shape,
        batch: usize,
        params: Vec<f64>,
        cfg: FpttConfig,
        lanes: usize,
    ) -> Result<Box<dyn Learner>> {
        Ok(match self {
            Backend::Float => Box::new(FloatLearner::with_params(shape, batch, params, cfg)),
            Backend::Fixed => Box::new(FixedLearner::with_params(shape, batch, &params, cfg, Numerics::DEFAULT)),
            Backend::Rtl => {
                let dir = verilator_dir(shape, lanes, batch);
                let unit = verilator_driver(shape, lanes, batch, &dir).map_err(|e| anyhow!("--backend rtl: {e}"))?;
                let words = FixedParams::from_reals(&Numerics::DEFAULT, &params);
                Box::new(RtlLearner::new(unit, shape, batch, &words, cfg))
            }
            Backend::Device => anyhow::bail!("the device backend needs a link: see connect::connect"),
            Backend::Bptt => Box::new(BpttLearner::with_params(shape, batch, params, cfg)),
        })
    }
}

/// Where the Verilator build of the unit for `shape` on `lanes` lanes running up to `streams`
/// streams is kept (a cache: an unchanged design is not rebuilt).
pub fn verilator_dir(shape: Shape, lanes: usize, streams: usize) -> std::path::PathBuf {
    let b = unit_streams(shape, lanes, streams).unwrap_or(streams);
    std::env::temp_dir()
        .join("fptt-verilator")
        .join(format!("i{}-h{}-c{}-l{lanes}-b{b}", shape.inputs, shape.hidden, shape.outputs))
}

/// What the readout reads, on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReadoutArg {
    /// The spikes: J = W_o s + c_o (algorithm.md section 2).
    Spikes,
    /// The membrane after reset: J = W_o u + c_o (the authors' add-task model).
    Membrane,
}

impl From<ReadoutArg> for Readout {
    fn from(r: ReadoutArg) -> Self {
        match r {
            ReadoutArg::Spikes => Readout::Spikes,
            ReadoutArg::Membrane => Readout::Membrane,
        }
    }
}

/// The optimiser, on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizerArg {
    /// Plain SGD.
    Sgd,
    /// Adamax (beta1 0.9, beta2 0.999).
    Adamax,
}

impl From<OptimizerArg> for Optimizer {
    fn from(o: OptimizerArg) -> Self {
        match o {
            OptimizerArg::Sgd => Optimizer::Sgd,
            OptimizerArg::Adamax => Optimizer::Adamax,
        }
    }
}

/// Hyper-parameters of the FPTT update.
#[derive(Clone, Debug, Args)]
pub struct FpttArgs {
    /// Optimiser.
    #[arg(long, value_enum, default_value_t = OptimizerArg::Adamax)]
    pub optimizer: OptimizerArg,
    /// Learning rate (the peak of a cosine schedule).
    #[arg(long, default_value_t = 5e-2)]
    pub lr: f64,
    /// FPTT regulariser strength a.
    #[arg(long = "reg-a", default_value_t = 0.1)]
    pub a: f64,
    /// FPTT running-average rate beta_f.
    #[arg(long, default_value_t = 0.5)]
    pub beta_f: f64,
    /// Global-norm gradient clip (0 disables).
    #[arg(long, default_value_t = 1.0)]
    pub clip: f64,
}

impl FpttArgs {
    /// The command line's defaults.
    pub fn defaults() -> Self {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            fptt: FpttArgs,
        }
        <Only as clap::Parser>::parse_from(["fptt"]).fptt
    }

    /// Checked configuration.
    pub fn config(&self) -> anyhow::Result<FpttConfig> {
        anyhow::ensure!(self.lr > 0.0 && self.lr.is_finite(), "--lr must be a positive number");
        anyhow::ensure!(self.a > 0.0 && self.a.is_finite(), "--reg-a must be a positive number");
        anyhow::ensure!((0.0..=1.0).contains(&self.beta_f), "--beta-f must lie in [0, 1]");
        anyhow::ensure!(self.clip >= 0.0, "--clip must be >= 0 (0 disables clipping)");
        Ok(FpttConfig {
            optimizer: self.optimizer.into(),
            lr: self.lr,
            a: self.a,
            beta_f: self.beta_f,
            clip: (self.clip > 0.0).then_some(self.clip),
        })
    }
}

/// Target form of the add task, on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// Running sum at every step.
    Running,
    /// Only the final sum.
    Terminal,
}

impl From<TargetArg> for TargetForm {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Running => TargetForm::Running,
            TargetArg::Terminal => TargetForm::Terminal,
        }
    }
}

/// Step weighting, on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StepWeightArg {
    /// w_t = 1.
    Uniform,
    /// w_t = (t+1)/T.
    Linear,
    /// w_t = 1, or 50 where the running target changes.
    Change,
    /// w_t = 1 at the last step only.
    Last,
}

impl From<StepWeightArg> for StepWeight {
    fn from(w: StepWeightArg) -> Self {
        match w {
            StepWeightArg::Uniform => StepWeight::Uniform,
            StepWeightArg::Linear => StepWeight::Linear,
            StepWeightArg::Change => StepWeight::Change,
            StepWeightArg::Last => StepWeight::Last,
        }
    }
}
