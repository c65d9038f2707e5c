//! The float learner over B streams: lockstep semantics, the stream-mean gradient, determinism,
//! and that it learns.

use fptt_sim::float::{backward, forward, BackwardScratch, StreamState, Trace};
use fptt_sim::fptt::{FpttConfig, FpttState, Optimizer};
use fptt_sim::learner::{FloatLearner, Learner};
use fptt_sim::loss::{step_loss, Target};
use fptt_sim::model::{init_params, Layout, Shape};
use fptt_sim::surrogate::SpikeFn;
use fptt_sim::tasks::{AddTask, TargetForm, ADD_TASK_CHANCE_MSE};
use fptt_sim::train::{eval_set, evaluate, train_add, TrainPlan};

fn shape() -> Shape {
    Shape::new(2, 12, 1).unwrap()
}

#[test]
fn one_update_uses_the_mean_gradient_of_the_streams() {
    let cfg = FpttConfig { optimizer: Optimizer::Sgd, lr: 0.05, a: 0.1, beta_f: 0.5, clip: None };
    let (s, layout) = (shape(), Layout::new(shape()));
    let mut learner = FloatLearner::new(s, 2, 3, cfg);
    let x = [0.9, 1.0, 0.2, 0.0];
    let y = [[0.7], [-0.4]];
    let w = [1.0, 0.5];
    let mut out = [0.0; 2];
    learner.step(&x, &[Target::Value(&y[0]), Target::Value(&y[1])], &w, true, &mut out);

    // The same update by hand: mean of the two single-stream gradients, then FPTT.
    let mut params = init_params(s, 3);
    let mut grad = vec![0.0; layout.len()];
    for k in 0..2 {
        let st = StreamState::initial(s);
        let mut tr = Trace::default();
        forward(&layout, &params, SpikeFn::Heaviside, &st, &x[2 * k..2 * k + 2], &mut tr);
        assert_eq!(out[k], tr.o[0]);
        let mut d_o = Vec::new();
        step_loss(&tr.o, Target::Value(&y[k]), w[k], &mut d_o);
        backward(&layout, &params, SpikeFn::Heaviside, &st, &tr, &d_o, 0.5, &mut BackwardScratch::default(), &mut grad);
    }
    let mut fptt = FpttState::new(&params);
    fptt.update(&cfg, &mut params, &mut grad);
    assert!(grad.iter().any(|&g| g != 0.0));
    assert_eq!(learner.params(), params);
    assert_eq!(learner.fptt_state(), &fptt);
}

#[test]
fn streams_do_not_interact_without_learning() {
    let mut two = FloatLearner::new(shape(), 2, 4, FpttConfig::default());
    let mut one = FloatLearner::new(shape(), 1, 4, FpttConfig::default());
    let y = [0.0];
    let mut out2 = [0.0; 2];
    let mut out1 = [0.0; 1];
    for t in 0..30 {
        let x = [(t as f64 * 0.37).sin().abs(), (t % 7 == 0) as u8 as f64];
        two.step(&[x[0], x[1], 0.5, 0.0], &[Target::Value(&y), Target::Value(&y)], &[1.0, 1.0], false, &mut out2);
        one.step(&x, &[Target::Value(&y)], &[1.0], false, &mut out1);
        assert_eq!(out2[0], out1[0]);
        assert_eq!(two.stream(0), one.stream(0));
    }
}

#[test]
fn training_is_deterministic_and_commit_average_sets_w_to_w_bar() {
    let task = AddTask { seq_len: 10, target: TargetForm::Running };
    let plan = TrainPlan::new(16, 4, 5);
    let run = || {
        let mut l = FloatLearner::new(shape(), 4, 5, FpttConfig::default());
        train_add(&mut l, &task, &plan, &mut |_| {});
        l
    };
    let (mut a, mut b) = (run(), run());
    assert_eq!(a.params(), b.params());
    assert_ne!(a.params(), init_params(shape(), 5));
    a.commit_average();
    assert_eq!(a.params(), a.fptt_state().w_bar);
}

#[test]
fn the_held_out_set_does_not_depend_on_b() {
    let task = AddTask { seq_len: 12, target: TargetForm::Running };
    let plan = TrainPlan::new(1, 7, 2);
    let set = eval_set(&task, &plan);
    // Frozen weights: the same MSE whatever the number of streams (7 is not a multiple of 3).
    let mut b1 = FloatLearner::new(shape(), 1, 9, FpttConfig::default());
    let mut b3 = FloatLearner::new(shape(), 3, 9, FpttConfig::default());
    let (m1, m3) = (evaluate(&mut b1, &set), evaluate(&mut b3, &set));
    assert!((m1 - m3).abs() < 1e-12, "{m1} vs {m3}");
}

#[test]
fn learns_the_add_task_at_t50() {
    let task = AddTask { seq_len: 50, target: TargetForm::Running };
    let plan = TrainPlan::new(8192, 256, 1);
    let cfg = FpttConfig { lr: 3e-2, ..FpttConfig::default() };
    let mut l = FloatLearner::new(Shape::new(2, 64, 1).unwrap(), 32, 1, cfg);
    let r = train_add(&mut l, &task, &plan, &mut |_| {});
    assert!(r.eval_mse < 0.25 * ADD_TASK_CHANCE_MSE, "held-out MSE {}", r.eval_mse);
}
