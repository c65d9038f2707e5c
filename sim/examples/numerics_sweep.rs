//! Trains the add task with the golden model under variations of the number formats and prints
//! a Markdown table of held-out MSE: the evidence behind the formats in NUMERICS.md.
//!
//! cargo run --release -p fptt-sim --example numerics_sweep -- [T] [sequences] [B] [lr]
//! (defaults: 200 8192 32 0.03; the README's table was made with these)

use fptt_sim::fixed::{FixedLearner, Fmt, Numerics};
use fptt_sim::fptt::FpttConfig;
use fptt_sim::learner::FloatLearner;
use fptt_sim::model::{init_params_with, Shape};
use fptt_sim::tasks::{AddTask, TargetForm};
use fptt_sim::train::{train_add, LrSchedule, StepWeight, TrainPlan};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: f64| args.get(i).map(|s| s.parse::<f64>().expect("numeric argument")).unwrap_or(d);
    let (seq_len, sequences, batch, lr) =
        (arg(0, 200.0) as usize, arg(1, 8192.0) as usize, arg(2, 32.0) as usize, arg(3, 0.03));
    let d = Numerics::DEFAULT;
    let variants: Vec<(&str, Numerics)> = vec![
        ("default", d),
        ("W 18 bits (Q5.12, = operand)", Numerics { weight: Fmt::new(18, 12), weight_avg: Fmt::new(18, 12), ..d }),
        ("W 22 bits (Q5.16)", Numerics { weight: Fmt::new(22, 16), weight_avg: Fmt::new(22, 16), ..d }),
        ("W-bar 18 bits (Q5.12)", Numerics { weight_avg: Fmt::new(18, 12), ..d }),
        ("state 16 bits (Q5.10)", Numerics { state: Fmt::new(16, 10), ..d }),
        ("state 14 bits (Q5.8)", Numerics { state: Fmt::new(14, 8), ..d }),
        ("lambda 14 bits (Q-1.14)", Numerics { lambda: Fmt::new(14, 14), ..d }),
        ("lambda 10 bits (Q-1.10)", Numerics { lambda: Fmt::new(10, 10), ..d }),
        ("deltas 14 bits (Q1.12)", Numerics { delta: Fmt::new(14, 12), ..d }),
        ("grad 14 bits (Q0.13)", Numerics { grad: Fmt::new(14, 13), ..d }),
    ];
    let shape = Shape::new(AddTask::INPUTS, 64, AddTask::OUTPUTS).unwrap();
    let task = AddTask { seq_len, target: TargetForm::Running };
    let plan = TrainPlan {
        sequences,
        eval_sequences: 512,
        data_seed: 1,
        step_weight: StepWeight::Uniform,
        curve_points: 0,
        lr_schedule: LrSchedule::Cosine { peak: lr, final_frac: 0.03 },
        commit_average: false,
    };
    let cfg = FpttConfig { lr, ..FpttConfig::default() };
    let init = init_params_with(shape, 1, &AddTask::init_options());
    println!("add task T = {seq_len}, H = 64, B = {batch}, {sequences} sequences, Adamax lr {lr} cosine, seed 1\n");
    let mut float = FloatLearner::with_params(shape, batch, init.clone(), cfg);
    let r = train_add(&mut float, &task, &plan, &mut |_| {});
    println!("| formats | eval MSE |\n|---|---|\n| float (f64) | {:.4} |", r.eval_mse);
    for (name, n) in variants {
        let mut l = FixedLearner::with_params(shape, batch, &init, cfg, n);
        let r = train_add(&mut l, &task, &plan, &mut |_| {});
        println!("| {name} | {:.4} |", r.eval_mse);
    }
}
