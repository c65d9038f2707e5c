//! `fptt bench`: steps per second of a backend, on random weights and inputs.

use crate::board::BoardLearner;
use crate::cli::verilator_dir;
use crate::cli::{Backend, FpttArgs, ReadoutArg};
use crate::connect::{connect, DeviceArgs};
use anyhow::{anyhow, ensure, Result};
use clap::{Args, ValueEnum};
use fptt_hdl::forward::{ideal_step_cycles, ideal_train_step_cycles, rd};
use fptt_hdl::forward_sim::{forward_driver, ForwardDriver};
use fptt_hdl::verify::on_big_stack;
use fptt_hdl::verilator_driver::verilator_driver;
use fptt_sim::fixed::{FixedLearner, Fmt, Numerics};
use fptt_sim::learner::{Learner, Steps};
use fptt_sim::loss::Target;
use fptt_sim::model::{init_params, Readout, Shape};
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

/// Which implementation `fptt bench` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchBackend {
    /// The f64 reference model.
    Float,
    /// The bit-exact fixed-point golden model.
    Fixed,
    /// The RTL in rust-hdl's cycle-accurate simulator: cycles per step.
    Rtl,
    /// A board over the link (`--port`, a board found by USB id, or an emulator started for
    /// the run, paced at `--baud`): steps/s and how busy the link is kept.
    Device,
}

/// Which simulator runs the RTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Simulator {
    /// rust-hdl's cycle-accurate simulator (no build step; a few hundred cycles/s for 16 lanes).
    RustHdl,
    /// The generated Verilog compiled by Verilator (a build of a minute or more, then fast).
    Verilator,
}

/// Clock the RTL report converts cycles per step into steps/s at (issue 7's ECP5 target).
pub const RTL_REPORT_MHZ: f64 = 100.0;

/// Arguments of `fptt bench`.
#[derive(Clone, Debug, Args)]
pub struct BenchArgs {
    /// Backend to measure.
    #[arg(long, value_enum, default_value_t = BenchBackend::Float)]
    pub backend: BenchBackend,
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
    /// What the readout reads [default: the membrane, as the add task].
    #[arg(long, value_enum, default_value_t = ReadoutArg::Membrane)]
    pub readout: ReadoutArg,
    /// Streams B.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Weight lanes L of the RTL (backend rtl).
    #[arg(long, default_value_t = 16)]
    pub lanes: usize,
    /// Simulator of the RTL (backend rtl).
    #[arg(long, value_enum, default_value_t = Simulator::RustHdl)]
    pub simulator: Simulator,
    /// Steps the RTL simulates (backend rtl).
    #[arg(long, default_value_t = 2)]
    pub rtl_steps: usize,
    /// Minimum seconds to measure.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// FPTT hyper-parameters.
    #[command(flatten)]
    pub fptt: FpttArgs,
    /// The device (backend device).
    #[command(flatten)]
    pub device: DeviceArgs,
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
    /// What the readout reads.
    pub readout: Readout,
    /// B.
    pub batch: usize,
    /// Steps measured.
    pub steps: u64,
    /// Steps (updates, in train mode) per second.
    pub steps_per_sec: f64,
    /// Stream-steps per second (B x steps_per_sec).
    pub sample_steps_per_sec: f64,
    /// RTL: lanes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lanes: Option<usize>,
    /// RTL: cycles per step, measured in the cycle-accurate simulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycles_per_step: Option<usize>,
    /// RTL: the ideal, one multiply-accumulate per parameter word and stream on L multipliers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ideal_cycles_per_step: Option<f64>,
    /// RTL: steps/s at [`RTL_REPORT_MHZ`] (steps_per_sec is the simulator's speed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps_per_sec_at_100mhz: Option<f64>,
    /// Device: the link's load, [`LinkLoad`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkLoad>,
}

impl BenchSummary {
    /// `steps` measured in `secs` on `backend`, nothing else.
    fn measured(args: &BenchArgs, backend: &'static str, steps: u64, secs: f64) -> Self {
        let steps_per_sec = steps as f64 / secs;
        BenchSummary {
            backend,
            mode: if args.mode == Mode::Train { "train" } else { "infer" },
            inputs: args.inputs,
            hidden: args.hidden,
            outputs: args.outputs,
            readout: args.readout.into(),
            batch: args.batch,
            steps,
            steps_per_sec,
            sample_steps_per_sec: steps_per_sec * args.batch as f64,
            lanes: None,
            cycles_per_step: None,
            ideal_cycles_per_step: None,
            steps_per_sec_at_100mhz: None,
            link: None,
        }
    }
}

/// How busy `fptt bench --backend device` kept the link.
#[derive(Debug, Serialize)]
pub struct LinkLoad {
    /// What answered.
    pub device: String,
    /// Line rate (10 bits a byte).
    pub baud: u32,
    /// Bytes sent to the device.
    pub bytes_out: u64,
    /// Bytes received from it.
    pub bytes_in: u64,
    /// Frames sent again.
    pub resent: u64,
    /// Line time of the busier direction over the wall time (1.0: never idle).
    pub busy: f64,
}

/// Run `fptt bench`.
pub fn run(args: &BenchArgs) -> Result<BenchSummary> {
    ensure!(args.batch >= 1, "--batch must be at least 1");
    ensure!(args.seconds > 0.0, "--seconds must be positive");
    let shape = Shape::new(args.inputs, args.hidden, args.outputs)?.with_readout(args.readout.into());
    let backend = match args.backend {
        BenchBackend::Float => Backend::Float,
        BenchBackend::Fixed => Backend::Fixed,
        BenchBackend::Rtl => return run_rtl(args, shape),
        BenchBackend::Device => return run_device(args, shape),
    };
    let cfg = args.fptt.config()?;
    let mut learner = backend.learner(shape, args.batch, init_params(shape, 1), cfg, args.lanes)?;
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
    Ok(BenchSummary::measured(args, backend.name(), steps, secs))
}

/// `fptt bench --backend device`: STEP_BATCH streaming of random inputs and targets, blocks of
/// 64 steps (as a training loop hands them over), against the device's pacing.
fn run_device(args: &BenchArgs, shape: Shape) -> Result<BenchSummary> {
    let c = connect(&args.device)?;
    let description = c.description.clone();
    let _emulator = c.emulator;
    let mut learner = BoardLearner::new(c.board, shape, args.batch, &init_params(shape, 1), args.fptt.config()?)?;
    let (b, learn) = (args.batch, args.mode == Mode::Train);
    let mut rng = SplitMix64::new(2);
    let block = 64;
    let inputs: Vec<f64> = (0..block * b * shape.inputs).map(|_| rng.uniform()).collect();
    let y: Vec<f64> = (0..block * b * shape.outputs).map(|_| rng.uniform()).collect();
    let targets: Vec<Target> = y.chunks(shape.outputs).map(Target::Value).collect();
    let weights = vec![1.0; block * b];
    let steps = Steps { inputs: &inputs, targets: &targets, weights: &weights, lrs: &[], learn };
    let mut outputs = vec![0.0; block * b * shape.outputs];
    let before = learner.board().stats();
    let start = Instant::now();
    let mut done = 0u64;
    while done == 0 || start.elapsed().as_secs_f64() < args.seconds {
        learner.run_steps(&steps, &mut outputs);
        if let Some(fault) = learner.fault() {
            anyhow::bail!("benchmark stopped: {fault}");
        }
        done += block as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    let after = learner.board().stats();
    let (out, inn) = (after.bytes_out - before.bytes_out, after.bytes_in - before.bytes_in);
    let baud = args.device.baud;
    Ok(BenchSummary {
        link: Some(LinkLoad {
            device: description,
            baud,
            bytes_out: out,
            bytes_in: inn,
            resent: after.resent - before.resent,
            busy: out.max(inn) as f64 * 10.0 / baud as f64 / secs,
        }),
        ..BenchSummary::measured(args, "device", done, secs)
    })
}

/// `fptt bench --backend rtl`: the accelerator in rust-hdl's simulator on the initial
/// parameters (quantised) and random inputs (and, training, random targets with step weight 1).
/// After the last step every stream's u, b, s, o (and, training, every parameter word's W and
/// W-bar) must equal the golden model's, or the benchmark fails.
fn run_rtl(args: &BenchArgs, shape: Shape) -> Result<BenchSummary> {
    ensure!(args.rtl_steps >= 1, "--rtl-steps must be at least 1");
    let learn = args.mode == Mode::Train;
    let n = Numerics::DEFAULT;
    let mut golden = FixedLearner::new(shape, args.batch, 1, args.fptt.config()?, n);
    let params = golden.words().clone();
    let consts = *golden.consts();
    let mut rng = SplitMix64::new(2);
    let mut draw = |len: usize, fmt: Fmt| -> Vec<Vec<i32>> {
        (0..args.batch).map(|_| (0..len).map(|_| fmt.quantize(rng.uniform()) as i32).collect()).collect()
    };
    // each step: every stream's x and y codes
    type Codes = Vec<Vec<i32>>;
    let steps: Vec<(Codes, Codes)> =
        (0..args.rtl_steps).map(|_| (draw(shape.inputs, n.input), draw(shape.outputs, n.state))).collect();
    let weights = vec![n.gain.one(); args.batch];
    let mut o = vec![0; args.batch * shape.outputs];
    for (x, y) in &steps {
        golden.step_codes(&x.concat(), &y.concat(), &weights, learn, &mut o);
    }
    let lanes = args.lanes;
    let (simulator, batch) = (args.simulator, args.batch);
    // (the time of the steps alone: not the build, the load or the checks)
    let (cycles, secs) = on_big_stack(|| -> Result<(Vec<usize>, f64)> {
        let mut unit = match simulator {
            Simulator::RustHdl => forward_driver(shape, lanes, batch),
            Simulator::Verilator => verilator_driver(shape, lanes, batch, &verilator_dir(shape, lanes, batch))
                .map(|u| -> Box<dyn ForwardDriver> { u }),
        }
        .map_err(|e| anyhow!(e))?;
        unit.load(&params);
        unit.set_update(&consts);
        let start = Instant::now();
        let cycles = steps.iter().map(|(x, y)| if learn { unit.train(x, y, &weights) } else { unit.step(x) }).collect();
        let secs = start.elapsed().as_secs_f64();
        for b in 0..args.batch {
            let st = golden.stream(b);
            let vecs = [(rd::U, &st.u, "u"), (rd::B, &st.b, "b"), (rd::S, &st.s, "s"), (rd::O, &st.o, "o")];
            for (code, want, name) in vecs {
                for (k, &w) in want.iter().enumerate() {
                    let got = unit.read(code, b, k);
                    ensure!(got == w as i64, "RTL {name}[{k}] of stream {b} is {got}, the golden model says {w}");
                }
            }
        }
        if learn {
            let p = golden.words();
            // (W and W-bar of every word; the tests check lambda, m and u as well)
            let words = [(rd::W, &p.w, "W"), (rd::W_BAR, &p.w_bar, "W-bar")];
            for (code, want, name) in words {
                for (i, &w) in want.iter().enumerate() {
                    let got = unit.read_param(code, i);
                    ensure!(got == w as i64, "RTL {name}[{i}] is {got}, the golden model says {w}");
                }
            }
        }
        Ok((cycles, secs))
    })?;
    let per_step = *cycles.last().expect("at least one step");
    ensure!(cycles.iter().all(|&c| c == per_step), "steps took different cycle counts: {cycles:?}");
    let steps_per_sec = args.rtl_steps as f64 / secs;
    let ideal = if learn {
        ideal_train_step_cycles(shape, lanes, args.batch)
    } else {
        ideal_step_cycles(shape, lanes, args.batch)
    };
    Ok(BenchSummary {
        backend: "rtl",
        mode: if learn { "train" } else { "infer" },
        inputs: args.inputs,
        hidden: args.hidden,
        outputs: args.outputs,
        readout: args.readout.into(),
        batch: args.batch,
        steps: args.rtl_steps as u64,
        steps_per_sec,
        sample_steps_per_sec: steps_per_sec * args.batch as f64,
        lanes: Some(lanes),
        cycles_per_step: Some(per_step),
        ideal_cycles_per_step: Some(ideal),
        steps_per_sec_at_100mhz: Some(RTL_REPORT_MHZ * 1e6 / per_step as f64),
        link: None,
    })
}

/// Human-readable summary.
pub fn print_text(s: &BenchSummary) {
    if let (Some(l), Some(c), Some(ideal), Some(at)) =
        (s.lanes, s.cycles_per_step, s.ideal_cycles_per_step, s.steps_per_sec_at_100mhz)
    {
        println!(
            "rtl {} I={} H={} C={} B={} L={l}: {c} cycles/step, ideal {ideal:.1} ({:.3}x); {at:.0} steps/s at \
             {RTL_REPORT_MHZ} MHz; bit-exact with the golden model after {} steps (simulated at {:.2} steps/s)",
            s.mode,
            s.inputs,
            s.hidden,
            s.outputs,
            s.batch,
            c as f64 / ideal,
            s.steps,
            s.steps_per_sec
        );
        return;
    }
    println!(
        "{} {} I={} H={} C={} B={}: {:.0} steps/s ({:.0} sample-steps/s, {} steps)",
        s.backend, s.mode, s.inputs, s.hidden, s.outputs, s.batch, s.steps_per_sec, s.sample_steps_per_sec, s.steps
    );
    if let Some(l) = &s.link {
        println!(
            "  link at {} baud: {:.1} % busy ({} bytes out, {} in, {} frames sent again) on {}",
            l.baud,
            100.0 * l.busy,
            l.bytes_out,
            l.bytes_in,
            l.resent,
            l.device
        );
    }
}
