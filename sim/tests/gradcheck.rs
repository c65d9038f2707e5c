//! The hand-derived one-step backward pass against central finite differences (f64), for every
//! parameter tensor and both readouts (spikes, membrane), with the spike replaced by a smooth
//! stand-in so the forward pass is differentiable.

use fptt_sim::bptt::{backward_sequence, forward_sequence, BpttScratch};
use fptt_sim::float::{backward, forward, BackwardScratch, StreamState, Trace};
use fptt_sim::fptt::{FpttConfig, FpttState};
use fptt_sim::loss::{step_loss, Target};
use fptt_sim::model::{init_params, Layout, Readout, Shape, Tensor};

const READOUTS: [Readout; 2] = [Readout::Spikes, Readout::Membrane];
use fptt_sim::rng::SplitMix64;
use fptt_sim::surrogate::SpikeFn;

const SPIKE: SpikeFn = SpikeFn::Smooth { k: 3.0 };

struct Case {
    layout: Layout,
    params: Vec<f64>,
    prev: StreamState,
    x: Vec<f64>,
}

fn case(shape: Shape, seed: u64) -> Case {
    let mut rng = SplitMix64::new(seed);
    // Larger-than-init weights so every nonlinearity is exercised away from its linear part.
    let params: Vec<f64> = init_params(shape, seed).iter().map(|w| 3.0 * w).collect();
    let h = shape.hidden;
    let prev = StreamState {
        u: (0..h).map(|_| rng.uniform_in(-1.0, 1.5)).collect(),
        s: (0..h).map(|_| rng.uniform()).collect(),
        b: (0..h).map(|_| rng.uniform_in(0.0, 1.0)).collect(),
        o: (0..shape.outputs).map(|_| rng.uniform_in(-1.0, 1.0)).collect(),
    };
    let x = (0..shape.inputs).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
    Case { layout: Layout::new(shape), params, prev, x }
}

fn loss_at(c: &Case, params: &[f64], target: Target, w: f64) -> f64 {
    let mut tr = Trace::default();
    forward(&c.layout, params, SPIKE, &c.prev, &c.x, &mut tr);
    step_loss(&tr.o, target, w, &mut Vec::new())
}

fn analytic(c: &Case, target: Target, w: f64) -> Vec<f64> {
    let mut tr = Trace::default();
    forward(&c.layout, &c.params, SPIKE, &c.prev, &c.x, &mut tr);
    let mut d_o = Vec::new();
    step_loss(&tr.o, target, w, &mut d_o);
    let mut grad = vec![0.0; c.layout.len()];
    backward(&c.layout, &c.params, SPIKE, &c.prev, &tr, &d_o, 1.0, &mut BackwardScratch::default(), &mut grad);
    grad
}

fn numeric(c: &Case, target: Target, w: f64) -> Vec<f64> {
    let eps = 1e-5;
    let mut p = c.params.clone();
    (0..p.len())
        .map(|k| {
            let keep = p[k];
            p[k] = keep + eps;
            let up = loss_at(c, &p, target, w);
            p[k] = keep - eps;
            let down = loss_at(c, &p, target, w);
            p[k] = keep;
            (up - down) / (2.0 * eps)
        })
        .collect()
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
    let scale = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(b.iter().map(|x| x * x).sum::<f64>().sqrt());
    if scale == 0.0 {
        0.0
    } else {
        diff / scale
    }
}

fn check(shape: Shape, seed: u64, target: Target, w: f64) {
    let c = case(shape, seed);
    let a = analytic(&c, target, w);
    let n = numeric(&c, target, w);
    for t in Tensor::ALL {
        let r = c.layout.range(t);
        let an = &a[r.clone()];
        assert!(an.iter().any(|g| g.abs() > 1e-8), "{}: gradient vanished, the check would be empty", t.name());
        let e = rel_err(an, &n[r]);
        assert!(e < 1e-4, "{} (shape {shape:?}, seed {seed}): relative error {e:e}", t.name());
    }
}

#[test]
fn regression_gradient_matches_finite_differences() {
    for (seed, readout) in (0..4).flat_map(|s| READOUTS.map(|r| (s, r))) {
        let shape = Shape::new(3, 6, 2).unwrap().with_readout(readout);
        let y = [0.7, -0.3];
        check(shape, seed, Target::Value(&y), 0.8);
    }
}

#[test]
fn classification_gradient_matches_finite_differences() {
    for (seed, readout) in (10..14).flat_map(|s| READOUTS.map(|r| (s, r))) {
        let shape = Shape::new(4, 5, 3).unwrap().with_readout(readout);
        check(shape, seed, Target::Class(seed as usize % 3), 0.5);
    }
}

#[test]
fn regularizer_gradient_matches_finite_differences() {
    let w: Vec<f64> = (0..20).map(|k| (k as f64 * 0.37).sin()).collect();
    let mut st = FpttState::new(&w);
    let mut rng = SplitMix64::new(1);
    st.w_bar.iter_mut().for_each(|x| *x = rng.uniform_in(-1.0, 1.0));
    st.lambda.iter_mut().for_each(|x| *x = rng.uniform_in(-1.0, 1.0));
    let cfg = FpttConfig::default();
    let mut g = vec![0.0; w.len()];
    st.add_regularizer_gradient(&cfg, &w, &mut g);
    let eps = 1e-6;
    let mut p = w.clone();
    let num: Vec<f64> = (0..w.len())
        .map(|k| {
            p[k] = w[k] + eps;
            let up = st.regularizer(&cfg, &p);
            p[k] = w[k] - eps;
            let down = st.regularizer(&cfg, &p);
            p[k] = w[k];
            (up - down) / (2.0 * eps)
        })
        .collect();
    assert!(rel_err(&g, &num) < 1e-8);
}

/// BPTT over a whole sequence: the gradient of the summed loss of T steps (losses at several
/// steps, the state carried through every one) against central differences of the forward pass.
fn check_bptt(shape: Shape, seed: u64, steps: usize, classes: bool) {
    let layout = Layout::new(shape);
    let params: Vec<f64> = init_params(shape, seed).iter().map(|w| 3.0 * w).collect();
    let mut rng = SplitMix64::new(seed + 100);
    let x: Vec<f64> = (0..steps * shape.inputs).map(|_| rng.uniform_in(-1.0, 1.5)).collect();
    let values: Vec<f64> = (0..steps * shape.outputs).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
    let targets: Vec<Target> = (0..steps)
        .map(|t| {
            if classes {
                Target::Class(t % shape.outputs)
            } else {
                Target::Value(&values[t * shape.outputs..(t + 1) * shape.outputs])
            }
        })
        .collect();
    // a loss at some steps only (weight 0 elsewhere), so gradients must travel back in time
    let weights: Vec<f64> =
        (0..steps).map(|t| if t % 3 == 2 || t + 1 == steps { 0.3 + 0.1 * t as f64 } else { 0.0 }).collect();
    let init = StreamState::initial(shape);
    let loss = |p: &[f64]| forward_sequence(&layout, p, SPIKE, &init, &x, &targets, &weights, &mut Vec::new());
    let mut traces = Vec::new();
    forward_sequence(&layout, &params, SPIKE, &init, &x, &targets, &weights, &mut traces);
    let mut grad = vec![0.0; layout.len()];
    let mut scratch = BpttScratch::default();
    backward_sequence(&layout, &params, SPIKE, &init, &traces, &targets, &weights, 1.0, &mut scratch, &mut grad);
    let eps = 1e-5;
    let mut p = params.clone();
    let num: Vec<f64> = (0..p.len())
        .map(|k| {
            let keep = p[k];
            p[k] = keep + eps;
            let up = loss(&p);
            p[k] = keep - eps;
            let down = loss(&p);
            p[k] = keep;
            (up - down) / (2.0 * eps)
        })
        .collect();
    for t in Tensor::ALL {
        let r = layout.range(t);
        let an = &grad[r.clone()];
        assert!(an.iter().any(|g| g.abs() > 1e-8), "{}: gradient vanished, the check would be empty", t.name());
        let e = rel_err(an, &num[r]);
        assert!(e < 1e-4, "BPTT {} (shape {shape:?}, seed {seed}, T {steps}): relative error {e:e}", t.name());
    }
}

#[test]
fn bptt_gradient_over_a_sequence_matches_finite_differences() {
    for (seed, readout) in (0..3).flat_map(|s| READOUTS.map(|r| (s, r))) {
        check_bptt(Shape::new(3, 6, 2).unwrap().with_readout(readout), seed, 9, false);
        check_bptt(Shape::new(4, 5, 3).unwrap().with_readout(readout), seed + 20, 8, true);
    }
}

#[test]
fn bptt_of_one_step_is_the_fptt_step_gradient() {
    // with T = 1 there is no time to go back through: both passes must agree exactly in value
    for readout in READOUTS {
        bptt_of_one_step_matches(Shape::new(3, 6, 2).unwrap().with_readout(readout));
    }
}

fn bptt_of_one_step_matches(shape: Shape) {
    let layout = Layout::new(shape);
    let params = init_params(shape, 4);
    let init = StreamState::initial(shape);
    let x = [0.3, -0.2, 0.9];
    let y = [0.5, -0.5];
    let targets = [Target::Value(&y)];
    let mut traces = Vec::new();
    forward_sequence(&layout, &params, SPIKE, &init, &x, &targets, &[1.0], &mut traces);
    let mut bptt = vec![0.0; layout.len()];
    backward_sequence(
        &layout,
        &params,
        SPIKE,
        &init,
        &traces,
        &targets,
        &[1.0],
        1.0,
        &mut BpttScratch::default(),
        &mut bptt,
    );
    let mut d_o = Vec::new();
    step_loss(&traces[0].o, targets[0], 1.0, &mut d_o);
    let mut one = vec![0.0; layout.len()];
    backward(&layout, &params, SPIKE, &init, &traces[0], &d_o, 1.0, &mut BackwardScratch::default(), &mut one);
    assert!(rel_err(&bptt, &one) < 1e-12, "{}", rel_err(&bptt, &one));
}
