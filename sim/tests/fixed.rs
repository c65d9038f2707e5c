//! The fixed-point golden model: tables, tracking of the float model, saturation at the
//! extremes, the update, pinned bits, learning, and NUMERICS.md kept in step with the code.

use fptt_sim::fixed::model::{FixedScratch, FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::tables::{reciprocal_table, Tables};
use fptt_sim::fixed::update::{FixedParams, UpdateConsts, WordUpdate};
use fptt_sim::fixed::{FixedLearner, Numerics};
use fptt_sim::float::{backward, forward, BackwardScratch, StreamState, Trace};
use fptt_sim::fptt::{FpttConfig, Optimizer};
use fptt_sim::loss::{step_loss, Target};
use fptt_sim::model::{init_params, init_params_with, Layout, Shape, Tensor};
use fptt_sim::rng::SplitMix64;
use fptt_sim::surrogate::{multi_gaussian, sigmoid, SpikeFn};
use fptt_sim::tasks::{AddTask, TargetForm, ADD_TASK_CHANCE_MSE};
use fptt_sim::train::{train_add, LrSchedule, TrainPlan};
use proptest::prelude::*;

const N: Numerics = Numerics::DEFAULT;
/// The default formats with room for any delta: isolates rounding from saturation.
const WIDE: Numerics = Numerics { delta: fptt_sim::fixed::Fmt::new(30, 16), ..Numerics::DEFAULT };

#[test]
fn sigmoid_is_monotone_and_close_over_every_input_code() {
    let t = Tables::new(N.state, N.gate);
    let lim = 17 << N.state.frac;
    let mut last = i64::MIN;
    let mut worst: f64 = 0.0;
    for z in -lim..lim {
        let y = t.sigmoid(z);
        assert!(y >= last, "sigmoid not monotone at code {z}");
        last = y;
        worst = worst.max((N.gate.real(y) - sigmoid(N.state.real(z))).abs());
    }
    assert!(worst < 7e-5, "sigmoid error {worst}"); // h^2 max|sigma''| / 8 (h = 1/16): 4.7e-5, plus rounding
    assert_eq!(t.sigmoid(-(16 << N.state.frac)), 0, "a gate closes completely");
}

#[test]
fn surrogate_is_monotone_where_the_function_is_and_close() {
    let t = Tables::new(N.state, N.gate);
    let turn = 1.12; // the function decreases on [0, 1.12] and increases on [1.12, inf)
    let mut worst: f64 = 0.0;
    let lim = 9 << N.state.frac;
    for x in 0..lim {
        let (a, b) = (t.surrogate(x), t.surrogate(x + 1));
        let r = N.state.real(x);
        if r + N.state.lsb() < turn - 0.01 {
            assert!(b <= a, "surrogate increases at {r}");
        } else if r > turn + 0.01 {
            assert!(b >= a, "surrogate decreases at {r}");
        }
        assert_eq!(t.surrogate(-x), a, "surrogate is even");
        worst = worst.max((N.gate.real(a) - multi_gaussian(r)).abs());
    }
    assert!(worst < 3e-4, "surrogate error {worst}"); // h^2 f''/8 at 0 with h = 1/64: 2.6e-4
}

#[test]
fn exp_is_monotone_and_close() {
    let t = Tables::new(N.state, N.gate);
    let mut last = -1;
    let mut worst: f64 = 0.0;
    for x in -(17 << N.state.frac)..=0 {
        let y = t.exp(x);
        assert!(y >= last, "exp not monotone at {x}");
        last = y;
        worst = worst.max((N.gate.real(y) - N.state.real(x).exp()).abs());
    }
    assert!(worst < 2e-4, "exp error {worst}"); // h^2 exp(0) / 8 with h = 1/32: 1.2e-4
}

#[test]
fn reciprocal_is_within_half_a_percent() {
    let t = Tables::new(N.state, N.gate);
    assert_eq!(reciprocal_table().len(), 256);
    for u in (1..200_000i64).step_by(7) {
        let (r, e) = t.reciprocal(u);
        let approx = r as f64 / 2f64.powi(16 + e as i32);
        let rel = (approx * u as f64 - 1.0).abs();
        assert!(rel < 0.005, "1/{u}: {approx} (rel. error {rel})");
    }
}

/// A random case: parameters, previous state and input, each exactly representable in both
/// models (the float model gets the fixed model's weight operands and state codes as reals).
struct Case {
    layout: Layout,
    kernel: Kernel,
    operand: Vec<i32>,
    params: Vec<f64>,
    st: FixedState,
    prev: StreamState,
    x: Vec<i32>,
}

fn case(shape: Shape, seed: u64, gain: f64) -> Case {
    let kernel = Kernel::new(WIDE);
    let layout = Layout::new(shape);
    let mut rng = SplitMix64::new(seed);
    let reals: Vec<f64> = init_params(shape, seed).iter().map(|w| gain * w).collect();
    let operand = FixedParams::from_reals(&N, &reals).operand;
    let op = N.weight_operand();
    let params = operand.iter().map(|&c| op.real(c as i64)).collect();
    let h = shape.hidden;
    let st = FixedState {
        u: (0..h).map(|_| N.state.quantize(rng.uniform_in(-1.0, 1.5)) as i32).collect(),
        s: (0..h).map(|_| (rng.uniform() < 0.3) as i32).collect(),
        b: (0..h).map(|_| N.gate.quantize(rng.uniform()) as i32).collect(),
        o: (0..shape.outputs).map(|_| N.state.quantize(rng.uniform_in(-1.0, 1.0)) as i32).collect(),
    };
    let prev = StreamState {
        u: st.u.iter().map(|&c| N.state.real(c as i64)).collect(),
        s: st.s.iter().map(|&c| c as f64).collect(),
        b: st.b.iter().map(|&c| N.gate.real(c as i64)).collect(),
        o: st.o.iter().map(|&c| N.state.real(c as i64)).collect(),
    };
    let x = (0..shape.inputs).map(|_| N.input.quantize(rng.uniform_in(-1.0, 1.0)) as i32).collect();
    Case { layout, kernel, operand, params, st, prev, x }
}

fn max_err(fixed: &[i32], fmt: fptt_sim::fixed::Fmt, float: &[f64]) -> f64 {
    fixed.iter().zip(float).map(|(&c, &f)| (fmt.real(c as i64) - f).abs()).fold(0.0, f64::max)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Forward and backward of one step: the fixed model stays within stated bounds of the
    /// float model run on the same (representable) parameters, state and input. The delta
    /// format is widened so that only rounding, not saturation, separates the two.
    #[test]
    fn fixed_tracks_float(i in 1usize..5, h in 1usize..33, c in 1usize..4, seed in 0u64..1_000_000, gain in 0.5f64..3.0, membrane in prop::bool::ANY) {
        let shape = Shape::new(i, h, c).unwrap();
        let shape = if membrane { shape.membrane() } else { shape };
        let k = case(shape, seed, gain);
        let mut ft = FixedTrace::default();
        k.kernel.forward(&k.layout, &k.operand, &k.st, &k.x, &mut ft);
        let mut tr = Trace::default();
        let xr: Vec<f64> = k.x.iter().map(|&c| N.input.real(c as i64)).collect();
        forward(&k.layout, &k.params, SpikeFn::Heaviside, &k.prev, &xr, &mut tr);
        // A spike decided within the error bound of v - theta may differ: skip such cases.
        let margin = tr.v.iter().zip(&tr.theta).map(|(v, t)| (v - t).abs()).fold(f64::MAX, f64::min);
        prop_assume!(margin > 2e-3);
        let lsb = N.state.lsb();
        prop_assert!(max_err(&ft.current, N.state, &tr.current) <= 0.5 * lsb);
        prop_assert!(max_err(&ft.alpha, N.gate, &tr.alpha) <= 1e-3);
        prop_assert!(max_err(&ft.rho, N.gate, &tr.rho) <= 1e-3);
        prop_assert!(max_err(&ft.b, N.gate, &tr.b) <= 1e-3);
        prop_assert!(max_err(&ft.theta, N.state, &tr.theta) <= 2e-3);
        prop_assert!(max_err(&ft.v, N.state, &tr.v) <= 2e-3);
        prop_assert_eq!(ft.s.iter().map(|&s| s as f64).collect::<Vec<_>>(), tr.s.clone());
        // J sums W_o s exactly, or W_o u with u's own error
        let w_o = &k.params[k.layout.range(Tensor::WO)];
        let row_l1 = (0..c).map(|r| w_o[r * h..(r + 1) * h].iter().map(|w| w.abs()).sum::<f64>()).fold(0.0, f64::max);
        let j_bound = if membrane { 0.5 * lsb + row_l1 * max_err(&ft.u, N.state, &tr.u) } else { 0.5 * lsb };
        prop_assert!(max_err(&ft.j, N.state, &tr.j) <= j_bound);
        prop_assert!(max_err(&ft.o, N.state, &tr.o) <= 2e-3);

        // Backward: the same loss gradient, per tensor, within 2 % of its norm (plus a floor of
        // a few delta LSBs for tensors whose gradient is tiny).
        let y: Vec<f64> = (0..c).map(|j| 0.3 * j as f64 - 0.2).collect();
        let yc: Vec<i32> = y.iter().map(|&v| N.state.quantize(v) as i32).collect();
        let mut d_o = Vec::new();
        k.kernel.regression_error(&ft.o, &yc, N.gain.quantize(1.0), &mut d_o);
        let mut gsum = vec![0i64; k.layout.len()];
        k.kernel.backward(&k.layout, &k.operand, &k.st, &ft, &d_o, &mut FixedScratch::default(), &mut gsum);
        let mut d_of = Vec::new();
        step_loss(&tr.o, Target::Value(&y), 1.0, &mut d_of);
        let mut g = vec![0.0; k.layout.len()];
        backward(&k.layout, &k.params, SpikeFn::Heaviside, &k.prev, &tr, &d_of, 1.0, &mut BackwardScratch::default(), &mut g);
        let scale = 2f64.powi(-(k.kernel.f.acc as i32));
        for t in Tensor::ALL {
            let r = k.layout.range(t);
            let diff: f64 = r.clone().map(|j| (gsum[j] as f64 * scale - g[j]).powi(2)).sum::<f64>().sqrt();
            let norm: f64 = r.clone().map(|j| g[j] * g[j]).sum::<f64>().sqrt();
            let floor = 8.0 * N.delta.lsb() * (r.len() as f64).sqrt();
            prop_assert!(diff <= 0.02 * norm + floor, "{}: error {} vs norm {}", t.name(), diff, norm);
        }
    }

    /// The softmax error of a classification step tracks the float one within the reciprocal
    /// table's 0.4 % (of w_t, since probabilities are at most 1) plus a few delta LSBs
    /// (for w_t below the delta format's range of 2; classification weights are at most 1).
    #[test]
    fn softmax_error_tracks_float(o in prop::collection::vec(-20.0f64..20.0, 1..12), pick in 0usize..12, w in 0.1f64..1.9) {
        let kernel = Kernel::new(N);
        let y = pick % o.len();
        let codes: Vec<i32> = o.iter().map(|&v| N.state.quantize(v) as i32).collect();
        let reals: Vec<f64> = codes.iter().map(|&c| N.state.real(c as i64)).collect();
        let mut d = Vec::new();
        kernel.softmax_error(&codes, y, N.gain.quantize(w), &mut d);
        let mut df = Vec::new();
        step_loss(&reals, Target::Class(y), N.gain.real(N.gain.quantize(w)), &mut df);
        for (a, b) in d.iter().zip(&df) {
            prop_assert!((N.delta.real(*a as i64) - b).abs() <= 0.005 * w + 4.0 * N.delta.lsb(), "{} vs {}", N.delta.real(*a as i64), b);
        }
    }

    /// Extreme weights, inputs, targets and step weights: nothing wraps (the test profile has
    /// overflow checks on, so a wrap panics) and every code stays inside its format.
    #[test]
    fn no_operation_wraps_at_the_extremes(seed in 0u64..1_000_000, big_w in prop::bool::ANY, sgd in prop::bool::ANY, membrane in prop::bool::ANY) {
        let shape = Shape::new(3, 9, 2).unwrap();
        let shape = if membrane { shape.membrane() } else { shape };
        let mut rng = SplitMix64::new(seed);
        let wmax = N.weight.max_real();
        let params: Vec<f64> = (0..Layout::new(shape).len())
            .map(|_| if big_w { if rng.uniform() < 0.5 { wmax } else { -wmax - 1.0 } } else { rng.uniform_in(-wmax, wmax) })
            .collect();
        let optimizer = if sgd { Optimizer::Sgd } else { Optimizer::Adamax };
        let cfg = FpttConfig { optimizer, lr: 1e9, a: 1.0, beta_f: 1.0, clip: None };
        let mut l = FixedLearner::with_params(shape, 2, &params, cfg, N);
        let ext = |r: &mut SplitMix64| if r.uniform() < 0.5 { 1e9 } else { -1e9 };
        for _ in 0..6 {
            let x: Vec<i32> = (0..6).map(|_| N.input.quantize(ext(&mut rng)) as i32).collect();
            let y: Vec<i32> = (0..4).map(|_| N.state.quantize(ext(&mut rng)) as i32).collect();
            let w = [N.gain.max(), N.gain.min()];
            let mut o = [0i32; 4];
            l.step_codes(&x, &y, &w, true, &mut o);
            let p = l.words();
            for (name, v, f) in [("w", &p.w, N.weight), ("w_bar", &p.w_bar, N.weight_avg), ("lambda", &p.lambda, N.lambda), ("m", &p.m, N.grad), ("u", &p.u, N.grad)] {
                prop_assert!(v.iter().all(|&c| f.holds(c as i64)), "{} out of range", name);
            }
            prop_assert!(sgd || p.u.iter().all(|&u| u >= 1));
            for k in 0..2 {
                let s = l.stream(k);
                prop_assert!(s.u.iter().chain(&s.o).all(|&c| N.state.holds(c as i64)));
                prop_assert!(s.b.iter().all(|&c| (0..=N.gate.one()).contains(&(c as i64))));
            }
        }
    }
}

#[test]
fn overflow_checks_are_on_in_this_profile() {
    // The saturation property relies on a wrap panicking; say so when it cannot.
    let wrapped = std::panic::catch_unwind(|| std::hint::black_box(i64::MAX) + std::hint::black_box(1)).is_err();
    if !wrapped {
        eprintln!("note: overflow checks are off in this build; run ./scripts/test.sh (profile ci) for the full check");
    }
}

#[test]
fn sgd_update_of_one_word_matches_the_float_update() {
    // W = 1, W-bar = 0.5, lambda = 0.02, g = 0.05: g_tot = 0.05 - 0.02 + 0.1 * 0.5 = 0.08,
    // W' = 1 - 0.02 * 0.08 = 0.9984, lambda' = 0.02 - 0.1 * 0.4984 = -0.02984,
    // W-bar' = 0.25 + 0.4992 + 5 * 0.02984 = 0.8984
    let cfg = FpttConfig { optimizer: Optimizer::Sgd, lr: 0.02, a: 0.1, beta_f: 0.5, clip: None };
    let c = UpdateConsts::new(&N, &cfg, 1);
    let mut p = FixedParams::from_reals(&N, &[1.0]);
    p.w_bar[0] = N.weight_avg.quantize(0.5) as i32;
    p.lambda[0] = N.lambda.quantize(0.02) as i32;
    let acc = 40;
    let gsum = [(0.05 * 2f64.powi(acc)) as i64];
    p.update(&N, &Tables::new(N.state, N.gate), &c, &gsum, acc as u32);
    let close = |code: i32, f: fptt_sim::fixed::Fmt, want: f64, tol: f64| {
        let got = f.real(code as i64);
        assert!((got - want).abs() <= tol, "{got} vs {want}");
    };
    close(p.w[0], N.weight, 0.9984, 2e-5);
    close(p.lambda[0], N.lambda, -0.02984, 2e-5);
    // 0.1 is not exact in the coef format, so the pull (beta_f / a = 5) amplifies its error.
    close(p.w_bar[0], N.weight_avg, 0.8984, 2e-3);
    p.commit_average(&N);
    assert_eq!(N.weight.real(p.w[0] as i64), N.weight_avg.real(p.w_bar[0] as i64));
}

#[test]
fn update_of_every_word_is_the_one_word_update() {
    // The hardware updates one word at a time (`WordUpdate::apply`); the golden model's
    // vectorised passes must give the same bits, at the extremes too.
    let t = Tables::new(N.state, N.gate);
    let mut rng = SplitMix64::new(5);
    let mut code = |bits: u32| ((rng.next_u64() as i64) << (64 - bits)) >> (64 - bits);
    for (optimizer, batch) in [(Optimizer::Adamax, 1), (Optimizer::Adamax, 7), (Optimizer::Sgd, 3)] {
        let cfg = FpttConfig { optimizer, lr: 0.01, a: 0.1, beta_f: 0.5, clip: None };
        let c = UpdateConsts::new(&N, &cfg, batch);
        let len = 4000;
        let mut p = FixedParams::from_reals(&N, &vec![0.0; len]);
        for k in 0..len {
            let small = k % 2 == 0;
            p.w[k] = code(if small { 22 } else { 27 }) as i32;
            p.w_bar[k] = code(if small { 22 } else { 27 }) as i32;
            p.lambda[k] = code(if small { 10 } else { 18 }) as i32;
            p.m[k] = code(18) as i32;
            p.u[k] = code(18).abs().min(N.grad.max()) as i32;
        }
        let gsum: Vec<i64> = (0..len).map(|k| code([20, 36, 44, 64][k % 4])).collect();
        let before: Vec<_> = (0..len).map(|k| p.word(k)).collect();
        let acc = Kernel::new(N).f.acc;
        p.update(&N, &t, &c, &gsum, acc);
        let one = WordUpdate::new(&N, &t, &c, acc);
        for k in 0..len {
            assert_eq!(p.word(k), one.apply(gsum[k], before[k]), "word {k} ({optimizer:?}, B = {batch})");
        }
    }
}

#[test]
fn adamax_steps_by_about_lr_under_a_steady_gradient() {
    let cfg = FpttConfig { optimizer: Optimizer::Adamax, lr: 0.01, a: 0.1, beta_f: 0.5, clip: None };
    let c = UpdateConsts::new(&N, &cfg, 4);
    let mut p = FixedParams::from_reals(&N, &[0.0, 0.0]);
    let acc = 40;
    let t = Tables::new(N.state, N.gate);
    // Sum over 4 streams of +0.2 and -0.02: means 0.05 and -0.005.
    let gsum = [(0.2 * 2f64.powi(acc)) as i64, (-0.02 * 2f64.powi(acc)) as i64];
    for _ in 0..60 {
        let before = p.w.clone();
        p.update(&N, &t, &c, &gsum, acc as u32);
        let _ = before;
    }
    // After the first moment has warmed up, each step moves W by about lr against g (the
    // FPTT pull opposes it only slowly), whatever the gradient's size.
    let (w0, w1) = (N.weight.real(p.w[0] as i64), N.weight.real(p.w[1] as i64));
    assert!(w0 < -0.3 && w0 > -0.6, "w0 = {w0}");
    assert!(w1 > 0.3 && w1 < 0.6, "w1 = {w1}");
}

fn fnv(words: &[i32], mut h: u64) -> u64 {
    for &w in words {
        for b in w.to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

#[test]
fn golden_bits_are_pinned() {
    // Any change to the fixed-point arithmetic changes these bits: update the constants only on
    // purpose, together with the RTL and NUMERICS.md.
    assert_eq!(golden_hash(Shape::new(2, 8, 1).unwrap()), 0x9d20_b397_f7a9_78bb, "golden hash, spikes readout");
    assert_eq!(
        golden_hash(Shape::new(2, 8, 1).unwrap().membrane()),
        0xb72a_9d40_e708_5508,
        "golden hash, membrane readout"
    );
}

fn golden_hash(shape: Shape) -> u64 {
    let task = AddTask { seq_len: 20, target: TargetForm::Running };
    let plan = TrainPlan::new(8, 2, 7);
    let cfg = FpttConfig { lr: 0.01, ..FpttConfig::default() };
    let mut l = FixedLearner::new(shape, 2, 7, cfg, N);
    train_add(&mut l, &task, &plan, &mut |_| {});
    let p = l.words();
    let mut h = 0xcbf2_9ce4_8422_2325;
    for v in [&p.w, &p.w_bar, &p.lambda, &p.m, &p.u] {
        h = fnv(v, h);
    }
    eprintln!("golden hash {shape:?}: {h:#x}");
    h
}

#[test]
fn the_golden_model_learns_the_add_task_at_t50() {
    let task = AddTask { seq_len: 50, target: TargetForm::Running };
    let plan = TrainPlan::new(4096, 256, 1);
    let cfg = FpttConfig { lr: 3e-2, ..FpttConfig::default() };
    let shape = Shape::new(2, 64, 1).unwrap();
    let mut fixed = FixedLearner::new(shape, 32, 1, cfg, N);
    let r = train_add(&mut fixed, &task, &plan, &mut |_| {});
    assert!(r.eval_mse < 0.5 * ADD_TASK_CHANCE_MSE, "held-out MSE {}", r.eval_mse);
}

#[test]
fn the_golden_model_reading_the_membrane_learns_the_add_task_at_t50() {
    // The add task's own readout and initialisation, as `fptt train` runs it: far below chance.
    let task = AddTask { seq_len: 50, target: TargetForm::Running };
    let plan =
        TrainPlan { lr_schedule: LrSchedule::Cosine { peak: 3e-2, final_frac: 0.03 }, ..TrainPlan::new(4096, 256, 1) };
    let cfg = FpttConfig { lr: 3e-2, ..FpttConfig::default() };
    let shape = AddTask::shape(64, AddTask::READOUT).unwrap();
    let params = init_params_with(shape, 1, &AddTask::init_options());
    let mut fixed = FixedLearner::with_params(shape, 32, &params, cfg, N);
    let r = train_add(&mut fixed, &task, &plan, &mut |_| {});
    assert!(r.eval_mse < 0.1 * ADD_TASK_CHANCE_MSE, "held-out MSE {}", r.eval_mse);
}

#[test]
fn numerics_md_is_generated_from_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../NUMERICS.md")).expect("NUMERICS.md");
    let (start, end) = ("<!-- generated: fptt numerics -->\n", "<!-- end generated -->");
    let a = doc.find(start).expect("start marker") + start.len();
    let b = doc.find(end).expect("end marker");
    assert_eq!(&doc[a..b], N.markdown(), "NUMERICS.md is stale: regenerate it with `fptt numerics`");
}
