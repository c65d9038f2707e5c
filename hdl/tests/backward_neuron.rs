//! `BackwardNeuron` against the golden element-wise backward step (`Kernel::backward_neuron`,
//! which `Kernel::backward` runs for every neuron), in rust-hdl's simulator and in Icarus
//! Verilog, on the same vectors, for both readouts (spikes: d_s is dJ/ds_t; membrane: dJ/du_t),
//! the mode changing from vector to vector:
//! - random full-range codes of every input (extremes and short codes mixed in), each mode;
//! - the forward values of every neuron of `Kernel::forward` on random networks (reading the
//!   spikes or the membrane) and states, with random error signals d_s.

use fptt_hdl::backward_neuron::{BackwardNeuron, BACKWARD_NEURON_LATENCY};
use fptt_hdl::verify::{iverilog_available, pipeline_rows, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::{BackwardNeuronIn, FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Readout, Shape};

/// Random full-range vectors (half of them in each mode).
const RANDOM: usize = 60_000;
/// Random networks whose forward step supplies vectors.
const NETWORKS: usize = 60;

/// Input order: d_s, v, theta, b_prev, s_prev, current, u_prev, alpha, rho, s, membrane.
fn input(x: &[i64]) -> BackwardNeuronIn {
    let c = |i: usize| x[i] as i32;
    BackwardNeuronIn {
        d_s: c(0),
        v: c(1),
        theta: c(2),
        b_prev: c(3),
        s_prev: c(4),
        current: c(5),
        u_prev: c(6),
        alpha: c(7),
        rho: c(8),
        s: c(9),
        membrane: x[10] != 0,
    }
}

/// Vectors (11 inputs) and their expected [d_v, dz_m, dz_a].
fn cases() -> (Vec<Vec<i64>>, Vec<[i64; 3]>) {
    let n = Numerics::DEFAULT;
    let kernel = Kernel::new(n);
    let mut rng = Rng::new(11);
    let mut ins = vec![];
    for k in 0..RANDOM {
        let mut x: Vec<i64> = (0..11).map(|_| rng.code(18)).collect();
        x[4] = (rng.next_u64() & 1) as i64;
        x[9] = (rng.next_u64() & 1) as i64;
        x[10] = (k / 2 % 2) as i64;
        if k % 2 == 0 {
            // realistic gates in [0, 1], adaptation >= 0, v near theta (surrogate non-zero)
            x[7] = rng.range(0, n.gate.one());
            x[8] = rng.range(0, n.gate.one());
            x[3] = rng.range(0, n.gate.max());
            x[1] = (x[2] + rng.range(-(1 << 14), 1 << 14)).clamp(n.state.min(), n.state.max());
        }
        ins.push(x);
    }
    for net in 0..NETWORKS {
        let readout = [Readout::Spikes, Readout::Membrane][net % 2];
        let shape = Shape::new(rng.range(1, 8) as usize, rng.range(1, 32) as usize, 1).unwrap().with_readout(readout);
        let layout = Layout::new(shape);
        let scale = 1i64 << (8 + net % 10);
        let w: Vec<i32> = (0..layout.len()).map(|_| rng.code(18).clamp(-scale, scale - 1) as i32).collect();
        let mut st = FixedState::initial(shape, &n);
        for k in 0..shape.hidden {
            st.u[k] = rng.code(18) as i32;
            st.s[k] = (rng.next_u64() & 1) as i32;
            st.b[k] = rng.range(0, n.gate.max()) as i32;
        }
        let x: Vec<i32> = (0..shape.inputs).map(|_| rng.code(18) as i32).collect();
        let mut tr = FixedTrace::default();
        kernel.forward(&layout, &w, &st, &x, &mut tr);
        for k in 0..shape.hidden {
            let d_s = rng.code(18).clamp(-(1 << (6 + net % 12)), 1 << (6 + net % 12)) as i32;
            let membrane = (readout == Readout::Membrane) as i32;
            let v = [
                d_s,
                tr.v[k],
                tr.theta[k],
                st.b[k],
                st.s[k],
                tr.current[k],
                st.u[k],
                tr.alpha[k],
                tr.rho[k],
                tr.s[k],
                membrane,
            ];
            ins.push(v.iter().map(|&c| c as i64).collect());
        }
    }
    let want = ins
        .iter()
        .map(|x| {
            let (d_v, dz_m, dz_a) = kernel.backward_neuron(&input(x));
            [d_v as i64, dz_m as i64, dz_a as i64]
        })
        .collect();
    (ins, want)
}

const INPUTS: [Port; 12] = [
    Port::signed("d_s", 18),
    Port::signed("v", 18),
    Port::signed("theta", 18),
    Port::signed("b_prev", 18),
    Port::unsigned("s_prev", 1),
    Port::signed("current", 18),
    Port::signed("u_prev", 18),
    Port::signed("alpha", 18),
    Port::signed("rho", 18),
    Port::unsigned("s", 1),
    Port::unsigned("membrane", 1),
    Port::unsigned("in_valid", 1),
];

const OUTPUTS: [Port; 4] =
    [Port::signed("d_v", 18), Port::signed("dz_m", 18), Port::signed("dz_a", 18), Port::unsigned("out_valid", 1)];

fn check(what: &str, ins: &[Vec<i64>], want: &[[i64; 3]], out: &[Vec<Option<i64>>]) {
    let lag = BACKWARD_NEURON_LATENCY - 1;
    // per mode (spikes, membrane): vectors, non-zero dz_m and dz_a, a saturated output
    let (mut count, mut nonzero, mut sat) = ([0; 2], [0; 2], [0; 2]);
    for (i, w) in want.iter().enumerate() {
        let got = &out[i + lag];
        let expect: Vec<Option<i64>> = w.iter().map(|&c| Some(c)).chain([Some(1)]).collect();
        assert_eq!(got, &expect, "{what}: vector {i} {:?} -> [d_v, dz_m, dz_a, valid]", ins[i]);
        let m = ins[i][10] as usize;
        count[m] += 1;
        nonzero[m] += (w[1] != 0 && w[2] != 0) as usize;
        sat[m] += w.iter().any(|&c| c == (1 << 17) - 1 || c == -(1 << 17)) as usize;
    }
    for (i, row) in out.iter().enumerate().take(lag) {
        assert_eq!(row[3], Some(0), "{what}: out_valid before the first result, row {i}");
    }
    for (m, mode) in ["spikes", "membrane"].iter().enumerate() {
        assert!(nonzero[m] > count[m] / 4, "{mode}: non-zero dz_m and dz_a: {} of {}", nonzero[m], count[m]);
        assert!(sat[m] > 100, "{mode}: saturations exercised: {}", sat[m]);
        println!(
            "backward neuron {what}, {mode}: {} vectors bit-exact ({} with non-zero dz_m and dz_a, {} with a \
             saturated output)",
            count[m], nonzero[m], sat[m]
        );
    }
}

fn apply(u: &mut BackwardNeuron, r: &[i64]) {
    u.d_s.next = to_signed(r[0]);
    u.v.next = to_signed(r[1]);
    u.theta.next = to_signed(r[2]);
    u.b_prev.next = to_signed(r[3]);
    u.s_prev.next = r[4] != 0;
    u.current.next = to_signed(r[5]);
    u.u_prev.next = to_signed(r[6]);
    u.alpha.next = to_signed(r[7]);
    u.rho.next = to_signed(r[8]);
    u.s.next = r[9] != 0;
    u.membrane.next = r[10] != 0;
    u.in_valid.next = r[11] != 0;
}

#[test]
fn backward_neuron_rust_hdl_matches_golden() {
    let (ins, want) = cases();
    let rows = pipeline_rows(&ins, BACKWARD_NEURON_LATENCY);
    let mut uut = BackwardNeuron::new();
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        apply,
        |u| vec![to_i64(u.d_v.val()), to_i64(u.dz_m.val()), to_i64(u.dz_a.val()), u.out_valid.val() as i64],
        &rows,
    );
    check("rust-hdl", &ins, &want, &out);
}

#[test]
fn backward_neuron_verilog_matches_golden_in_icarus() {
    if !iverilog_available("backward_neuron_verilog_matches_golden_in_icarus") {
        return;
    }
    let (ins, want) = cases();
    let rows = pipeline_rows(&ins, BACKWARD_NEURON_LATENCY);
    let dut = verilog_of(BackwardNeuron::new());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("backward_neuron");
    let out = run_icarus(&dir, &dut, &INPUTS, &OUTPUTS, &rows);
    check("icarus", &ins, &want, &out);
}
