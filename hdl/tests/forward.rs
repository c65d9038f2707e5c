//! `ForwardStep<B, L>` (L weight lanes, up to B streams) against the golden model over whole
//! sequences, for random networks, weight scales, lane counts, run-time batches and run-time
//! shapes:
//! - inference sequences: for every step the test bench writes each stream's input x and
//!   pulses `start`; after the step it reads back every stream's new state (u, b, s, o), the
//!   previous state the unit kept and the trace the backward step needs (v, theta, I, alpha,
//!   rho, J, alpha^o, x), against `Kernel::forward`;
//! - classification training sequences: the same with a class per stream (`host::LABEL`) and
//!   `classify`, the output error the softmax's (`Kernel::softmax_error`, phase 17);
//! - training sequences (Adamax and SGD): each step also writes every stream's target y and
//!   step weight w_t (0 included) and pulses `start` with `learn`; after the step it reads back
//!   the state, every delta of the backward pass (d_o, dz_o, d_J, d_s, d_v, dz_m, dz_a, d_I,
//!   against `Kernel::backward`) and W, W-bar, lambda of every parameter word after every
//!   step, and its m and u (after every step for networks up to 600 words, else after the last),
//!   against `FixedLearner::step_codes`, whose update the unit's must equal bit for bit;
//!   halfway through, a commit of the average (`commit`, W <- W-bar, against
//!   `FixedLearner::commit_average`), after which the steps run on the committed weights.
//!
//! Training sequences run both readouts (`Shape::readout`): spikes, and the membrane (the
//! phase table's sources of phases 4 and 15 and the backward neuron's flag), on a unit built
//! for it (its power-on table) and on one built for the spike readout that the host
//! reconfigures (`config_writes`).
//!
//! A quarter and three quarters of the way through each training sequence, and halfway through
//! each inference sequence, a reset (`reset`) puts every stream back to the initial state, as
//! the start of a new sequence does.
//!
//! Every step must take the cycles of `step_cycles` or `train_step_cycles`. On the generated
//! Verilog in Verilator for every configuration, and on the same input rows in rust-hdl's
//! simulator for those of up to 8 lanes and in Icarus (4-state) for the one-lane ones
//! (training included) and the 4-lane inference one: both simulate a many-lane unit, which
//! carries the backward and update pipelines in every lane, at a few hundred cycles a second.

use fptt_hdl::forward::{
    classify_step_cycles, commit_cycles, config_writes, host, rd, step_cycles, train_step_cycles, update_const_writes,
    Banking, ForwardStep, READ_LATENCY, RESET_CYCLES,
};
use fptt_hdl::lint::verilator_available;
use fptt_hdl::verify::{
    iverilog_available, on_big_stack, run_icarus, run_rust_hdl, run_verilator, verilog_of, Port, Rng,
};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::{FixedScratch, FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::{FixedLearner, Numerics};
use fptt_sim::fptt::{FpttConfig, Optimizer};
use fptt_sim::learner::Learner;
use fptt_sim::model::{Layout, Shape};

/// The optimiser of a training sequence (by seed).
const OPTIMIZERS: [Optimizer; 2] = [Optimizer::Adamax, Optimizer::Sgd];

/// Steps per sequence (inference, training).
const STEPS: usize = 32;
const TRAINING_STEPS: usize = 16;

/// One test sequence: the configuration, the input rows and what to expect.
struct Sequence {
    /// The shape the unit is built for, and the shape it runs (configured by the host).
    built: Shape,
    shape: Shape,
    /// Lanes and streams of the unit (synthesis time) and streams run (run time).
    lanes: usize,
    max_streams: usize,
    streams: usize,
    rows: Vec<Vec<i64>>,
    /// Row index of every step's `start` pulse.
    starts: Vec<usize>,
    /// Row index, cycles and name of every commit's or reset's `start` pulse.
    commands: Vec<(usize, usize, &'static str)>,
    /// Read-back rows: (row, expected code, what).
    reads: Vec<(usize, i64, String)>,
    /// Spikes in the golden traces, and neuron updates.
    spikes: usize,
    updates: usize,
    /// Training steps (forward and backward) rather than inference steps.
    learn: bool,
    /// Classification targets (the softmax error) rather than regression ones.
    classify: bool,
}

/// An input row: host write (we, sel, lane, addr, data), start, learn, last_stream, read-back
/// (vec, lane, addr).
fn row(host: [i64; 5], start: i64, last_stream: i64, rd: [i64; 3]) -> Vec<i64> {
    learn_row(host, start, 0, last_stream, rd)
}

/// [`row`] with the `learn` input.
fn learn_row(host: [i64; 5], start: i64, learn: i64, last_stream: i64, rd: [i64; 3]) -> Vec<i64> {
    let mut r = host.to_vec();
    r.extend([start, learn, last_stream]);
    r.extend(rd);
    r.extend([0, 0, 0]); // commit, reset, classify
    r
}

/// The row that starts a commit of the average (`which` = 0) or a reset of the state (1).
fn command_row(last_stream: i64, which: usize) -> Vec<i64> {
    let mut r = learn_row([0; 5], 1, 0, last_stream, [0; 3]);
    r[11 + which] = 1;
    r
}

/// Sequence `seed`: a random network of `shape`, weights within +-`scale` codes, on a unit of
/// `lanes` lanes and `max_streams` streams running `streams` independent input sequences.
fn sequence(seed: u64, shape: Shape, scale: i64, lanes: usize, max_streams: usize, streams: usize) -> Sequence {
    configured(seed, shape, shape, scale, lanes, max_streams, streams, false, false)
}

/// Like [`training`], with a class per stream and step: the output error is the softmax's.
fn classifying(seed: u64, shape: Shape, scale: i64, lanes: usize, max_streams: usize, streams: usize) -> Sequence {
    configured(seed, shape, shape, scale, lanes, max_streams, streams, true, true)
}

/// Like [`sequence`], training steps: each step also streams every stream's target y and step
/// weight w_t, runs the backward phases and reads back every delta.
fn training(seed: u64, shape: Shape, scale: i64, lanes: usize, max_streams: usize, streams: usize) -> Sequence {
    configured(seed, shape, shape, scale, lanes, max_streams, streams, true, false)
}

/// Like [`sequence`] on a unit built for `built` that the host first configures for `shape`.
#[allow(clippy::too_many_arguments)]
fn configured(
    seed: u64,
    built: Shape,
    shape: Shape,
    scale: i64,
    lanes: usize,
    max_streams: usize,
    streams: usize,
    learn: bool,
    classify: bool,
) -> Sequence {
    let n = Numerics::DEFAULT;
    let kernel = Kernel::new(n);
    let mut rng = Rng::new(seed);
    let layout = Layout::new(shape);
    let bank = Banking::new(shape, lanes);
    let last = streams as i64 - 1;
    let w: Vec<i32> = (0..layout.len()).map(|_| rng.range(-scale, scale - 1) as i32).collect();
    let mut rows: Vec<Vec<i64>> = vec![];
    if built != shape {
        rows.extend(config_writes(shape, lanes).into_iter().map(|(a, v)| row([1, 2, 0, a as i64, v], 0, last, [0; 3])));
    }
    // W (27 bits) whose multiplier operand is w; W-bar = W, lambda, m, u = 0 (FPTT's start)
    let drop = n.weight.frac - n.weight_operand().frac;
    let reals: Vec<f64> = w.iter().map(|&v| n.weight.real((v as i64) << drop)).collect();
    let cfg = FpttConfig { optimizer: OPTIMIZERS[seed as usize % 2], lr: 1e-2, a: 0.1, beta_f: 0.5, clip: None };
    let mut learner = FixedLearner::with_params(shape, streams, &reals, cfg, n);
    assert_eq!(learner.words().operand, w, "W's operands are the weights");
    for (i, &v) in learner.words().w.iter().enumerate() {
        let (lane, addr) = bank.weight(i);
        rows.push(row([1, host::WEIGHT as i64, lane as i64, addr as i64, v as i64], 0, last, [0; 3]));
        let wb = learner.words().w_bar[i] as i64;
        rows.push(row([1, host::W_BAR as i64, lane as i64, addr as i64, wb], 0, last, [0; 3]));
    }
    rows.extend(
        update_const_writes(learner.consts())
            .into_iter()
            .map(|(a, v)| row([1, host::UPDATE_CONST as i64, 0, a as i64, v], 0, last, [0; 3])),
    );
    let mut st = vec![FixedState::initial(shape, &n); streams];
    let initial = learner.words().w.clone();
    let mut moved = 0;
    let (mut starts, mut commands, mut reads, mut spikes) = (vec![], vec![], vec![], 0);
    let idle = step_duration(shape, lanes, streams, learn, classify) + 2;
    let steps = if learn { TRAINING_STEPS } else { STEPS };
    let params_every_step = layout.len() * 5 <= 3000;
    for t in 0..steps {
        if learn && t == steps / 2 {
            // halfway: commit the average (W <- W-bar); the steps after it run on the new operands
            learner.commit_average();
            commands.push((rows.len(), commit_cycles(shape, lanes), "commit"));
            rows.push(command_row(last, 0));
            rows.extend(std::iter::repeat_n(row([0; 5], 0, last, [0; 3]), commit_cycles(shape, lanes) + 2));
        }
        let reset_at = if learn { [steps / 4, 3 * steps / 4] } else { [steps / 2; 2] };
        if reset_at.contains(&t) {
            // a new sequence: every stream back to the initial state
            learner.reset_state();
            st.iter_mut().for_each(|s| *s = FixedState::initial(shape, &n));
            commands.push((rows.len(), RESET_CYCLES, "reset"));
            rows.push(command_row(last, 1));
            rows.extend(std::iter::repeat_n(row([0; 5], 0, last, [0; 3]), RESET_CYCLES + 2));
        }
        let mut trs = vec![];
        let operand = learner.words().operand.clone();
        let (mut xs, mut ys, mut labels, mut weights) = (vec![], vec![], vec![], vec![]);
        for (b, st) in st.iter_mut().enumerate() {
            let prev = st.clone();
            let x: Vec<i32> = (0..shape.inputs).map(|_| rng.code(18).clamp(-(1 << 16), 1 << 16) as i32).collect();
            rows.extend(x.iter().enumerate().map(|(j, &v)| {
                let (lane, addr) = bank.vector(b, j);
                row([1, 1, lane as i64, addr as i64, v as i64], 0, last, [0; 3])
            }));
            let mut tr = FixedTrace::default();
            kernel.forward(&layout, &operand, st, &x, &mut tr);
            xs.extend(&x);
            let (mut d_o, mut sc) = (vec![], FixedScratch::default());
            if learn {
                let y: Vec<i32> = (0..shape.outputs).map(|_| rng.code(15) as i32).collect();
                let weight = [0, n.gain.one(), n.gain.one(), rng.range(1, n.gain.max())][t % 4];
                rows.extend(y.iter().enumerate().map(|(k, &v)| {
                    let (lane, addr) = bank.vector(b, k);
                    row([1, 3, lane as i64, addr as i64, v as i64], 0, last, [0; 3])
                }));
                rows.push(row([1, 4, 0, b as i64, weight], 0, last, [0; 3]));
                if classify {
                    // (the targets y stay in their bank, unused)
                    let label = rng.range(0, shape.outputs as i64 - 1) as usize;
                    rows.push(row([1, host::LABEL as i64, 0, b as i64, label as i64], 0, last, [0; 3]));
                    kernel.softmax_error(&tr.o, label, weight, &mut d_o);
                    labels.push(label);
                } else {
                    kernel.regression_error(&tr.o, &y, weight, &mut d_o);
                }
                let mut gsum = vec![0; layout.len()];
                kernel.backward(&layout, &operand, &prev, &tr, &d_o, &mut sc, &mut gsum);
                ys.extend(&y);
                weights.push(weight);
            }
            st.advance(&tr);
            spikes += tr.s.iter().filter(|&&s| s != 0).count();
            trs.push((prev, tr, d_o, sc));
        }
        if learn {
            // the golden training step: the same forward and backward, then the update
            let mut o = vec![0; streams * shape.outputs];
            if classify {
                learner.step_classes(&xs, &labels, &weights, true, &mut o);
            } else {
                learner.step_codes(&xs, &ys, &weights, true, &mut o);
            }
            for (b, st) in st.iter().enumerate() {
                assert_eq!(st, learner.stream(b), "the test's forward is the learner's");
            }
        }
        starts.push(rows.len());
        let mut start = learn_row([0; 5], 1, learn as i64, last, [0; 3]);
        start[13] = classify as i64;
        rows.push(start);
        rows.extend(std::iter::repeat_n(row([0; 5], 0, last, [0; 3]), idle));
        for (b, (prev, tr, d_o, sc)) in trs.iter().enumerate() {
            // (training sequences read the state and the deltas; the forward sequences cover
            // the trace, which a training step computes the same way)
            let mut vecs = vec![
                (rd::U, &tr.u, "u"),
                (rd::B, &tr.b, "b"),
                (rd::S, &tr.s, "s"),
                (rd::O, &tr.o, "o"),
                (rd::U_PREV, &prev.u, "u_prev"),
                (rd::B_PREV, &prev.b, "b_prev"),
                (rd::S_PREV, &prev.s, "s_prev"),
                (rd::O_PREV, &prev.o, "o_prev"),
                (rd::V, &tr.v, "v"),
                (rd::THETA, &tr.theta, "theta"),
                (rd::CURRENT, &tr.current, "I"),
                (rd::ALPHA, &tr.alpha, "alpha"),
                (rd::RHO, &tr.rho, "rho"),
                (rd::J, &tr.j, "J"),
                (rd::ALPHA_O, &tr.alpha_o, "alpha^o"),
                (rd::X, &tr.x, "x"),
            ];
            if learn {
                vecs.truncate(4);
                vecs.extend([
                    (rd::D_O, d_o, "d_o"),
                    (rd::DZ_O, &sc.dz_o, "dz_o"),
                    (rd::D_J, &sc.d_j, "d_J"),
                    (rd::D_S, &sc.d_s, "d_s"),
                    (rd::D_V, &sc.d_v, "d_v"),
                    (rd::DZ_M, &sc.dz_m, "dz_m"),
                    (rd::DZ_A, &sc.dz_a, "dz_a"),
                    (rd::D_I, &sc.d_i, "d_I"),
                ]);
            }
            for (code, v, name) in vecs {
                for (k, &want) in v.iter().enumerate() {
                    let (lane, addr) = bank.vector(b, k);
                    reads.push((
                        rows.len() + READ_LATENCY - 1,
                        want as i64,
                        format!("step {t} stream {b} {name}[{k}]"),
                    ));
                    rows.push(row([0; 5], 0, last, [code as i64, lane as i64, addr as i64]));
                }
            }
        }
        // every parameter word's W, W-bar, lambda, m, u: after every step (small networks) or
        // after the last
        if learn {
            // W, W-bar and lambda of every word after every step; the Adamax moments as well
            // for networks up to 600 words, else after the last step
            let moments = params_every_step || t + 1 == steps;
            let p = learner.words();
            let words = [
                (rd::W, &p.w, "W"),
                (rd::W_BAR, &p.w_bar, "W-bar"),
                (rd::LAMBDA, &p.lambda, "lambda"),
                (rd::M, &p.m, "m"),
                (rd::U_ADAMAX, &p.u, "u"),
            ];
            for (code, v, name) in words.into_iter().take(if moments { 5 } else { 3 }) {
                for (i, &want) in v.iter().enumerate() {
                    let (lane, addr) = bank.weight(i);
                    reads.push((rows.len() + READ_LATENCY - 1, want as i64, format!("step {t} {name}[{i}]")));
                    rows.push(row([0; 5], 0, last, [code as i64, lane as i64, addr as i64]));
                }
            }
            moved += p.w.iter().zip(&initial).filter(|(a, b)| a != b).count();
        }
    }
    // the last read-back answers after the last row
    for _ in 1..READ_LATENCY {
        rows.push(row([0; 5], 0, 0, [0; 3]));
    }
    let updates = starts.len() * streams * shape.hidden;
    if learn {
        assert!(moved > 0, "training moved no weight");
    }
    Sequence {
        built,
        shape,
        lanes,
        max_streams,
        streams,
        rows,
        starts,
        commands,
        reads,
        spikes,
        updates,
        learn,
        classify,
    }
}

/// The configurations: (I, H, C), weight scale, L, B, streams run. H below, at and above L;
/// run-time batches below B; one run-time shape below the built one; one unit of 20 streams;
/// training and classification reading the membrane (`.membrane()`), one on a unit built for
/// spikes. (No 16-lane membrane run: the readout changes nothing between lanes, H > L is
/// covered on 4 lanes, and it would cost Verilator a minute.)
fn sequences() -> Vec<Sequence> {
    let s = |i, h, c| Shape::new(i, h, c).unwrap();
    vec![
        training(7, s(3, 6, 2), 1 << 11, 1, 1, 1),
        training(8, s(5, 9, 3), 1 << 12, 4, 2, 2),
        training(9, s(4, 20, 3), 1 << 12, 16, 4, 3),
        configured(10, s(6, 24, 4), s(3, 13, 2), 1 << 12, 4, 2, 2, true, false),
        classifying(11, s(3, 6, 4), 1 << 11, 1, 1, 1),
        classifying(12, s(4, 10, 5), 1 << 12, 4, 2, 2),
        // more than 16 streams (stream and slot indices of 6 bits)
        training(13, s(2, 5, 2), 1 << 12, 2, 20, 18),
        // reading the membrane: on a unit built for it (its power-on table), on one built for
        // spikes and reconfigured, and classifying
        training(14, s(3, 6, 2).membrane(), 1 << 11, 1, 1, 1),
        configured(15, s(5, 9, 3), s(5, 9, 3).membrane(), 1 << 12, 4, 2, 2, true, false),
        classifying(16, s(4, 10, 5).membrane(), 1 << 12, 4, 2, 2),
        sequence(1, s(3, 6, 2), 1 << 11, 1, 1, 1),
        sequence(2, s(5, 8, 3), 1 << 12, 4, 2, 2),
        sequence(3, s(2, 5, 1), 1 << 14, 8, 3, 3),
        sequence(4, s(4, 20, 3), 1 << 12, 16, 4, 3),
        sequence(5, s(3, 40, 5), 1 << 11, 32, 2, 2),
        configured(6, s(6, 24, 4), s(3, 13, 2), 1 << 12, 4, 2, 2, false, false),
    ]
}

/// Runs `$body` with `$u` bound to a fresh unit of the sequence's (B, L).
macro_rules! with_unit {
    ($seq:expr, |$u:ident| $body:expr) => {
        match ($seq.max_streams, $seq.lanes) {
            (1, 1) => {
                let $u = ForwardStep::<1, 1>::new($seq.built);
                $body
            }
            (2, 4) => {
                let $u = ForwardStep::<2, 4>::new($seq.built);
                $body
            }
            (20, 2) => {
                let $u = ForwardStep::<20, 2>::new($seq.built);
                $body
            }
            (3, 8) => {
                let $u = ForwardStep::<3, 8>::new($seq.built);
                $body
            }
            (4, 16) => {
                let $u = ForwardStep::<4, 16>::new($seq.built);
                $body
            }
            (2, 32) => {
                let $u = ForwardStep::<2, 32>::new($seq.built);
                $body
            }
            other => panic!("no instance for (B, L) = {other:?}"),
        }
    };
}

const INPUTS: [Port; 14] = [
    Port::unsigned("host_we", 1),
    Port::unsigned("host_sel", 4),
    Port::unsigned("host_lane", 5),
    Port::unsigned("host_addr", 12),
    Port::signed("host_data", 27),
    Port::unsigned("start", 1),
    Port::unsigned("learn", 1),
    Port::unsigned("last_stream", fptt_hdl::forward::STREAM_BITS),
    Port::unsigned("rd_vec", rd::BITS),
    Port::unsigned("rd_lane", 5),
    Port::unsigned("rd_addr", 12),
    Port::unsigned("commit", 1),
    Port::unsigned("reset", 1),
    Port::unsigned("classify", 1),
];

const OUTPUTS: [Port; 2] = [Port::unsigned("busy", 1), Port::signed("rd_data", 27)];

/// The cycles of one step.
fn step_duration(shape: Shape, lanes: usize, streams: usize, learn: bool, classify: bool) -> usize {
    match (learn, classify) {
        (false, _) => step_cycles(shape, lanes, streams),
        (true, false) => train_step_cycles(shape, lanes, streams),
        (true, true) => classify_step_cycles(shape, lanes, streams),
    }
}

/// Checks every step's duration and every read-back value (the simulation took `seconds`);
/// returns the cycles per step.
fn check(what: &str, seq: &Sequence, out: &[Vec<Option<i64>>], seconds: f64) -> usize {
    let want = step_duration(seq.shape, seq.lanes, seq.streams, seq.learn, seq.classify);
    for (t, &start) in seq.starts.iter().enumerate() {
        let step = &out[start..start + want + 3];
        let busy = step.iter().take_while(|r| r[0] == Some(1)).count();
        assert!(step[busy..].iter().all(|r| r[0] == Some(0)), "{what}: step {t} busy window");
        assert_eq!(busy, want, "{what}: step {t} cycles");
    }
    for &(start, cycles, name) in &seq.commands {
        let busy = out[start..start + cycles + 3].iter().take_while(|r| r[0] == Some(1)).count();
        assert_eq!(busy, cycles, "{what}: {name} cycles");
    }
    for (r, want, name) in &seq.reads {
        assert_eq!(out[*r][1], Some(*want), "{what}: read-back {name}");
    }
    assert!(seq.spikes > 0 && seq.spikes < seq.updates, "{what}: spike mix {} of {}", seq.spikes, seq.updates);
    println!(
        "{} {what}: shape {:?} reading the {} (unit built for {:?} reading the {}), L = {}, B = {} ({} run): {} \
         steps, {} read-back values ({} of every stream and step{}, {} spikes in {} neuron updates) bit-exact; \
         {want} cycles/step ({seconds:.1} s)",
        match (seq.learn, seq.classify) {
            (true, true) => "classification training",
            (true, false) => "training",
            _ => "forward",
        },
        (seq.shape.inputs, seq.shape.hidden, seq.shape.outputs),
        seq.shape.readout.name(),
        (seq.built.inputs, seq.built.hidden, seq.built.outputs),
        seq.built.readout.name(),
        seq.lanes,
        seq.max_streams,
        seq.streams,
        seq.starts.len(),
        seq.reads.len(),
        if seq.learn { "state and every delta" } else { "state, previous state and trace" },
        if seq.learn { "; W, W-bar, lambda, m, u of every word" } else { "" },
        seq.spikes,
        seq.updates,
    );
    want
}

/// Lanes up to which rust-hdl's simulator runs the sequences (it simulates every lane's logic
/// in Rust, a 16-lane training unit at a few hundred cycles a second; Verilator runs every
/// configuration).
const RUST_HDL_MAX_LANES: usize = 8;

/// The sequences rust-hdl's simulator runs: every one up to [`RUST_HDL_MAX_LANES`] but the
/// multi-lane training runs of a reconfigured unit and of classification (40-90 s each there,
/// and the CI budget is 30 minutes; the 4-lane unit reconfigured to read the membrane is one).
/// rust-hdl still trains 1-, 2- and 4-lane units, classifies on one and trains one reading the
/// membrane; Verilator runs all of them.
fn rust_hdl_runs(s: &Sequence) -> bool {
    s.lanes <= RUST_HDL_MAX_LANES && !(s.learn && s.lanes > 1 && (s.classify || s.built != s.shape))
}

#[test]
fn forward_rust_hdl_matches_golden_sequences() {
    for seq in sequences().into_iter().filter(rust_hdl_runs) {
        let t0 = std::time::Instant::now();
        let out = on_big_stack(|| with_unit!(seq, |uut| rust_hdl_rows(uut, &seq.rows)));
        check("rust-hdl", &seq, &out, t0.elapsed().as_secs_f64());
    }
}

fn rust_hdl_rows<const B: usize, const L: usize>(
    mut uut: ForwardStep<B, L>,
    rows: &[Vec<i64>],
) -> Vec<Vec<Option<i64>>> {
    run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.host_we.next = r[0] != 0;
            u.host_sel.next = (r[1] as u64).into();
            u.host_lane.next = (r[2] as u64).into();
            u.host_addr.next = (r[3] as u64).into();
            u.host_data.next = to_signed(r[4]);
            u.start.next = r[5] != 0;
            u.learn.next = r[6] != 0;
            u.last_stream.next = (r[7] as u64).into();
            u.rd_vec.next = (r[8] as u64).into();
            u.rd_lane.next = (r[9] as u64).into();
            u.rd_addr.next = (r[10] as u64).into();
            u.commit.next = r[11] != 0;
            u.reset.next = r[12] != 0;
            u.classify.next = r[13] != 0;
        },
        |u| vec![u.busy.val() as i64, to_i64(u.rd_data.val())],
        rows,
    )
}

/// Lanes up to which the Icarus cross-check runs (an 8-lane unit's sequence takes more than
/// 5 minutes in Icarus; Verilator runs every configuration).
const ICARUS_MAX_LANES: usize = 4;

#[test]
fn forward_verilog_matches_golden_sequences_in_icarus() {
    if !iverilog_available("forward_verilog_matches_golden_sequences_in_icarus") {
        return;
    }
    // (one-lane units, and inference on units of up to 4 lanes built for the shape they run:
    // a 4-lane training unit, or one built for a larger shape, runs past 5 minutes there)
    let icarus = |s: &Sequence| s.lanes == 1 || (s.lanes <= ICARUS_MAX_LANES && !s.learn && s.built == s.shape);
    for (i, seq) in sequences().iter().enumerate().filter(|(_, s)| icarus(s)) {
        let t0 = std::time::Instant::now();
        let dut = on_big_stack(|| with_unit!(seq, |uut| verilog_of(uut)));
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("forward_icarus_{i}"));
        let out = run_icarus(&dir, &dut, &INPUTS, &OUTPUTS, &seq.rows);
        check("icarus", seq, &out, t0.elapsed().as_secs_f64());
    }
}

/// Lanes from which a unit counts as wide: the Verilator sequences are split in two tests at
/// this width, so that the test harness runs the halves on its two threads.
const WIDE_LANES: usize = 16;

#[test]
fn forward_verilog_matches_golden_sequences_in_verilator_narrow_units() {
    verilator_sequences("forward_verilog_matches_golden_sequences_in_verilator_narrow_units", |s| s.lanes < WIDE_LANES);
}

#[test]
fn forward_verilog_matches_golden_sequences_in_verilator_wide_units() {
    verilator_sequences("forward_verilog_matches_golden_sequences_in_verilator_wide_units", |s| s.lanes >= WIDE_LANES);
}

/// Every sequence `pick` takes, on the generated Verilog in Verilator.
fn verilator_sequences(test: &str, pick: impl Fn(&Sequence) -> bool) {
    if !verilator_available(test) {
        return;
    }
    for (i, seq) in sequences().iter().enumerate().filter(|(_, s)| pick(s)) {
        let t0 = std::time::Instant::now();
        let dut = on_big_stack(|| with_unit!(seq, |uut| verilog_of(uut)));
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("forward_verilator_{i}"));
        let out = run_verilator(&dir, &dut, &INPUTS, &OUTPUTS, &seq.rows);
        check("verilator", seq, &out, t0.elapsed().as_secs_f64());
    }
}
