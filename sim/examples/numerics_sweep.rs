//! Trains the add task with the golden model under variations of the number formats and prints
//! a Markdown table of held-out MSE: the evidence behind the formats in NUMERICS.md.
//!
//! cargo run --release -p fptt-sim --example numerics_sweep -- [T] [sequences] [B] [lr] [rows] [base]
//! (defaults: 200 16384 64 0.05, the `fptt train` defaults; each row takes ~1.5 min; `rows`: run
//! only the rows whose name contains it, or one of its `|`-separated parts; `base`: `now`
//! (today's defaults, the default) or `earlier`; `READOUT=spikes` for the spikes readout instead
//! of the add task's membrane; `SEED=S` for parameters and data from seed S instead of 1)

use fptt_sim::fixed::{FixedLearner, Fmt, Numerics};
use fptt_sim::fptt::FpttConfig;
use fptt_sim::learner::FloatLearner;
use fptt_sim::model::{init_params_with, Readout};
use fptt_sim::tasks::{AddTask, TargetForm};
use fptt_sim::train::{train_add, LrSchedule, StepWeight, TrainPlan};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: f64| args.get(i).map(|s| s.parse::<f64>().expect("numeric argument")).unwrap_or(d);
    let (seq_len, sequences, batch, lr) =
        (arg(0, 200.0) as usize, arg(1, 16384.0) as usize, arg(2, 64.0) as usize, arg(3, 0.05));
    let now = Numerics::DEFAULT;
    let wide = Numerics::WIDE;
    // `base` picks the rows: "earlier" varies the defaults before gradients and lambda traded
    // range for fraction (the spikes readout's table in the README), anything else today's
    let base = args.get(5).map(String::as_str).unwrap_or("now");
    let d = if base == "earlier" { Numerics::EARLIER } else { now };
    let variants: Vec<(&str, Numerics)> = vec![
        ("defaults (NUMERICS.md)", now),
        ("earlier defaults: gradients Q0.17, lambda Q-1.18", Numerics::EARLIER),
        ("all wide: operand 27, state 24, delta/grad/lambda 24 bits", wide),
        ("weight operand 27 bits (the whole stored W)", Numerics { operand_bits: 27, ..d }),
        ("all wide but the state (Q5.12)", Numerics { state: d.state, ..wide }),
        ("all wide but the operand (18 bits)", Numerics { operand_bits: d.operand_bits, ..wide }),
        ("state 24 bits (Q5.18)", Numerics { state: Fmt::new(24, 18), ..d }),
        ("gate 24 bits (Q1.22)", Numerics { gate: Fmt::new(24, 22), ..d }),
        ("gate 20 bits (Q1.18)", Numerics { gate: Fmt::new(20, 18), ..d }),
        ("only gradients 24 bits (Q1.22)", Numerics { grad: Fmt::new(24, 22), ..d }),
        ("only lambda 24 bits (Q1.22)", Numerics { lambda: Fmt::new(24, 22), ..d }),
        ("only deltas 24 bits (Q3.20)", Numerics { delta: Fmt::new(24, 20), ..d }),
        ("lambda 18 bits Q-4.21", Numerics { lambda: Fmt::new(18, 21), ..d }),
        ("lambda 18 bits Q-5.22", Numerics { lambda: Fmt::new(18, 22), ..d }),
        (
            "deltas, gradients, lambda 24 bits",
            Numerics { delta: Fmt::new(24, 20), grad: Fmt::new(24, 22), lambda: Fmt::new(24, 22), ..d },
        ),
        ("W 18 bits (Q5.12, = operand)", Numerics { weight: Fmt::new(18, 12), weight_avg: Fmt::new(18, 12), ..d }),
        ("W-bar 18 bits (Q5.12)", Numerics { weight_avg: Fmt::new(18, 12), ..d }),
        ("state 16 bits (Q5.10)", Numerics { state: Fmt::new(16, 10), ..d }),
        ("lambda 14 bits (Q-1.14)", Numerics { lambda: Fmt::new(14, 14), ..d }),
        (
            "18 bits: gradients Q-3.20, lambda Q-5.22",
            Numerics { grad: Fmt::new(18, 20), lambda: Fmt::new(18, 22), ..d },
        ),
        (
            "18 bits: gradients Q-3.20, lambda Q-5.22, deltas Q0.17",
            Numerics { grad: Fmt::new(18, 20), lambda: Fmt::new(18, 22), delta: Fmt::new(18, 17), ..d },
        ),
        (
            "18 bits: gradients Q-2.19, lambda Q-3.20",
            Numerics { grad: Fmt::new(18, 19), lambda: Fmt::new(18, 20), ..d },
        ),
        (
            "18 bits: gradients Q-1.18, lambda Q-3.20",
            Numerics { grad: Fmt::new(18, 18), lambda: Fmt::new(18, 20), ..d },
        ),
    ];
    let only = args.get(4).cloned().unwrap_or_default();
    let variants: Vec<_> = variants.into_iter().filter(|(name, _)| only.split('|').any(|o| name.contains(o))).collect();
    let readout = match std::env::var("READOUT").as_deref() {
        Ok("spikes") => Readout::Spikes,
        _ => AddTask::READOUT,
    };
    let shape = AddTask::shape(64, readout).unwrap();
    let seed: u64 = std::env::var("SEED").ok().map_or(1, |s| s.parse().expect("SEED: a number"));
    let task = AddTask { seq_len, target: TargetForm::Running };
    let plan = TrainPlan {
        sequences,
        eval_sequences: 512,
        data_seed: seed,
        step_weight: StepWeight::Uniform,
        curve_points: 0,
        lr_schedule: LrSchedule::Cosine { peak: lr, final_frac: 0.03 },
        commit_average: false,
    };
    let cfg = FpttConfig { lr, ..FpttConfig::default() };
    let init = init_params_with(shape, seed, &AddTask::init_options());
    println!(
        "add task T = {seq_len}, H = 64 ({} readout), B = {batch}, {sequences} sequences, Adamax lr {lr} cosine, seed {seed}\n",
        readout.name()
    );
    let mut float = FloatLearner::with_params(shape, batch, init.clone(), cfg);
    let r = train_add(&mut float, &task, &plan, &mut |_| {});
    println!("| formats | eval MSE |\n|---|---|\n| float (f64) | {:.4} |", r.eval_mse);
    for (name, n) in variants {
        let mut l = FixedLearner::with_params(shape, batch, &init, cfg, n);
        let r = train_add(&mut l, &task, &plan, &mut |_| {});
        println!("| {name} | {:.4} |", r.eval_mse);
    }
}
