//! End to end: the generated Verilog of the training unit, run in Verilator and driven the way
//! a host drives a board (`RtlLearner`: inputs, targets and step weights written, one start
//! per step, a reset per sequence, the readout read back), learns the add task online from the
//! project's seeded start, reading the membrane as the add task does (`AddTask::READOUT`). The golden model (`FixedLearner`) runs the same plan: after
//! training and the final commit of the average, every parameter word (W, W-bar, lambda, m,
//! u) must equal the golden model's bit for bit, the held-out MSE must be the golden model's
//! exactly (the readouts are the same codes) and far below chance. A second test trains
//! classification steps (the softmax error on the chip) through the same path.

use fptt_hdl::lint::verilator_available;
use fptt_hdl::rtl_learner::RtlLearner;
use fptt_hdl::verilator_driver::verilator_driver;
use fptt_sim::fixed::{FixedLearner, Numerics};
use fptt_sim::fptt::{FpttConfig, Optimizer};
use fptt_sim::model::{init_params_with, Shape};
use fptt_sim::tasks::{AddTask, TargetForm, ADD_TASK_CHANCE_MSE};
use fptt_sim::train::{train_add, LrSchedule, StepWeight, TrainPlan};

/// The task and the network: T = 20, H = 16 on 4 lanes, B = 8 streams.
const SEQ_LEN: usize = 20;
const HIDDEN: usize = 16;
const LANES: usize = 4;
const BATCH: usize = 8;
/// Training sequences (128 lockstep batches: 2,560 updates) and held-out ones.
const SEQUENCES: usize = 1024;
const EVAL_SEQUENCES: usize = 64;
/// Peak learning rate (cosine schedule).
const LR: f64 = 5e-2;
/// The held-out MSE must be below this fraction of chance.
const FAR_BELOW_CHANCE: f64 = 0.5;

#[test]
fn rtl_learns_the_add_task_bit_exact_with_the_golden_model() {
    if !verilator_available("rtl_learns_the_add_task_bit_exact_with_the_golden_model") {
        return;
    }
    // (the add task's readout: the membrane)
    let shape = AddTask::shape(HIDDEN, AddTask::READOUT).unwrap();
    let task = AddTask { seq_len: SEQ_LEN, target: TargetForm::Running };
    let cfg = FpttConfig { optimizer: Optimizer::Adamax, lr: LR, a: 0.1, beta_f: 0.5, clip: None };
    let plan = TrainPlan {
        step_weight: StepWeight::Uniform,
        lr_schedule: LrSchedule::Cosine { peak: LR, final_frac: 0.03 },
        commit_average: true,
        ..TrainPlan::new(SEQUENCES, EVAL_SEQUENCES, 1)
    };
    let init = init_params_with(shape, 1, &AddTask::init_options());

    let mut golden = FixedLearner::with_params(shape, BATCH, &init, cfg, Numerics::DEFAULT);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("learn_add_verilator");
    let unit = verilator_driver(shape, LANES, BATCH, &dir).unwrap_or_else(|e| panic!("{e}"));
    let mut rtl = RtlLearner::new(unit, shape, BATCH, golden.words(), cfg);

    let want = train_add(&mut golden, &task, &plan, &mut |_| {});
    let start = std::time::Instant::now();
    let got = train_add(&mut rtl, &task, &plan, &mut |_| {});
    let seconds = start.elapsed().as_secs_f64();

    let (p, q) = (rtl.words(), golden.words());
    let moved = p.w.iter().zip(&init).filter(|(&w, &w0)| w as i64 != Numerics::DEFAULT.weight.quantize(w0)).count();
    for (name, a, b) in [
        ("W", &p.w, &q.w),
        ("W-bar", &p.w_bar, &q.w_bar),
        ("lambda", &p.lambda, &q.lambda),
        ("m", &p.m, &q.m),
        ("u", &p.u, &q.u),
    ] {
        if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
            panic!("after training, {name}[{i}] is {} on the RTL and {} in the golden model", a[i], b[i]);
        }
    }
    assert_eq!(got.eval_mse, want.eval_mse, "held-out MSE, RTL against the golden model");
    assert!(moved > p.len() / 2, "training moved only {moved} of {} weights", p.len());
    assert!(
        got.eval_mse < FAR_BELOW_CHANCE * ADD_TASK_CHANCE_MSE,
        "held-out MSE {} is not far below chance {ADD_TASK_CHANCE_MSE:.3}",
        got.eval_mse
    );
    println!(
        "RTL (Verilator, L = {LANES}) learned add T = {SEQ_LEN}, H = {HIDDEN}, B = {BATCH}, reading the {}: {} \
         sequences, {} updates in {seconds:.1} s; held-out MSE {:.4} (chance {ADD_TASK_CHANCE_MSE:.3}), equal to the golden \
         model's; {} parameter words (W, W-bar, lambda, m, u) bit-exact, {moved} weights moved",
        shape.readout.name(),
        got.sequences,
        got.updates,
        got.eval_mse,
        p.len(),
    );
}

#[test]
fn rtl_learner_classifies_bit_exact_with_the_golden_model() {
    // classification steps through the same host path: a class per stream, the softmax error
    // on the chip; every readout after every step and every parameter word at the end equal
    if !verilator_available("rtl_learner_classifies_bit_exact_with_the_golden_model") {
        return;
    }
    use fptt_sim::learner::Learner;
    use fptt_sim::loss::Target;
    use fptt_sim::rng::SplitMix64;
    let (shape, lanes, batch, steps) = (Shape::new(3, 8, 4).unwrap(), 2, 3, 40);
    let cfg = FpttConfig { optimizer: Optimizer::Adamax, lr: 2e-2, a: 0.1, beta_f: 0.5, clip: None };
    let init = fptt_sim::model::init_params(shape, 3);
    let mut golden = FixedLearner::with_params(shape, batch, &init, cfg, Numerics::DEFAULT);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("classify_verilator");
    let unit = verilator_driver(shape, lanes, batch, &dir).unwrap_or_else(|e| panic!("{e}"));
    let mut rtl = RtlLearner::new(unit, shape, batch, golden.words(), cfg);
    let mut rng = SplitMix64::new(9);
    let (mut want, mut got) = (vec![0.0; batch * 4], vec![0.0; batch * 4]);
    for t in 0..steps {
        if t == steps / 2 {
            golden.reset_state();
            rtl.reset_state();
        }
        let x: Vec<f64> = (0..batch * 3).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let labels: Vec<Target> = (0..batch).map(|_| Target::Class(rng.below(4))).collect();
        let weights: Vec<f64> = (0..batch).map(|b| [1.0, 0.5, 0.0][(b + t) % 3]).collect();
        let lg = golden.step(&x, &labels, &weights, true, &mut want);
        let lr = rtl.step(&x, &labels, &weights, true, &mut got);
        assert_eq!(got, want, "step {t}: readouts");
        assert_eq!(lr, lg, "step {t}: loss");
    }
    let (p, q) = (rtl.words(), golden.words());
    assert_eq!(p.w, q.w, "W");
    assert_eq!(p.w_bar, q.w_bar, "W-bar");
    assert_eq!((&p.lambda, &p.m, &p.u), (&q.lambda, &q.m, &q.u), "lambda, m, u");
    println!(
        "RTL (Verilator) classification: {steps} steps of {batch} streams, every readout and parameter word bit-exact"
    );
}
