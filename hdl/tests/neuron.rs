//! `NeuronUpdate` against the golden element-wise neuron update, in rust-hdl's simulator and
//! in Icarus Verilog, on the same vectors:
//! - random full-range codes of every input (extremes and short codes mixed in) against a
//!   line-by-line copy of the update loop of `Kernel::forward`;
//! - the (rho, alpha, I, u_prev, b_prev, s_prev) of every neuron of `Kernel::forward` on random
//!   networks and states, against that trace's b, theta, v, s, u.

use fptt_hdl::neuron::{NeuronUpdate, NEURON_LATENCY};
use fptt_hdl::verify::{iverilog_available, pipeline_rows, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::{FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Shape, ADAPT_STRENGTH, THRESHOLD_BASE};

/// Random full-range vectors.
const RANDOM: usize = 60_000;
/// Random networks whose forward step supplies vectors.
const NETWORKS: usize = 60;

/// (rho, alpha, I, u_prev, b_prev, s_prev) -> [b, theta, v, s, u], copied from the
/// element-wise loop of `Kernel::forward`.
fn golden(n: &Numerics, x: &[i64]) -> [i64; 5] {
    let f = Kernel::new(*n).f;
    let (state, gate) = (n.state, n.gate);
    let (one_gate, b0, beta) = (gate.one(), state.quantize(THRESHOLD_BASE), n.gain.quantize(ADAPT_STRENGTH));
    let (rho, alpha, current, u_prev, b_prev, s_prev) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let kept = gate.from_scaled(rho * b_prev, 2 * f.g);
    let b = gate.sat(kept + if s_prev != 0 { one_gate - rho } else { 0 });
    let theta = state.sat(b0 + state.from_scaled(beta * b, f.gain + f.g));
    let drive = state.sat(current - u_prev);
    let v = state.sat(u_prev + state.from_scaled(alpha * drive, f.g + f.s));
    let s = (v > theta) as i64;
    [b, theta, v, s, if s != 0 { 0 } else { v }]
}

/// Vectors (6 inputs) and their expected outputs.
fn cases() -> (Vec<Vec<i64>>, Vec<[i64; 5]>) {
    let n = Numerics::DEFAULT;
    let mut rng = Rng::new(9);
    let mut ins = vec![];
    let mut want = vec![];
    for k in 0..RANDOM {
        let mut x: Vec<i64> = (0..5).map(|_| rng.code(18)).collect();
        x.push((rng.next_u64() & 1) as i64);
        if k % 2 == 0 {
            // realistic gates in [0, 1] and adaptation near b0
            x[0] = rng.range(0, n.gate.one());
            x[1] = rng.range(0, n.gate.one());
            x[4] = rng.range(0, n.gate.max());
        }
        want.push(golden(&n, &x));
        ins.push(x);
    }
    let kernel = Kernel::new(n);
    for net in 0..NETWORKS {
        let shape = Shape::new(rng.range(1, 8) as usize, rng.range(1, 32) as usize, 1).unwrap();
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
            let v = [tr.rho[k], tr.alpha[k], tr.current[k], st.u[k], st.b[k], st.s[k]];
            ins.push(v.iter().map(|&c| c as i64).collect());
            want.push([tr.b[k], tr.theta[k], tr.v[k], tr.s[k], tr.u[k]].map(|c| c as i64));
        }
    }
    (ins, want)
}

const INPUTS: [Port; 7] = [
    Port::signed("rho", 18),
    Port::signed("alpha", 18),
    Port::signed("current", 18),
    Port::signed("u_prev", 18),
    Port::signed("b_prev", 18),
    Port::unsigned("s_prev", 1),
    Port::unsigned("in_valid", 1),
];

const OUTPUTS: [Port; 6] = [
    Port::signed("b", 18),
    Port::signed("theta", 18),
    Port::signed("v", 18),
    Port::unsigned("s", 1),
    Port::signed("u", 18),
    Port::unsigned("out_valid", 1),
];

fn check(what: &str, ins: &[Vec<i64>], want: &[[i64; 5]], out: &[Vec<Option<i64>>]) {
    let lag = NEURON_LATENCY - 1;
    let (mut spikes, mut sat) = (0, 0);
    for (i, w) in want.iter().enumerate() {
        let got = &out[i + lag];
        let expect: Vec<Option<i64>> = w.iter().map(|&c| Some(c)).chain([Some(1)]).collect();
        assert_eq!(got, &expect, "{what}: vector {i} {:?} -> [b, theta, v, s, u, valid]", ins[i]);
        spikes += w[3] as usize;
        sat += w.iter().any(|&c| c == (1 << 17) - 1 || c == -(1 << 17)) as usize;
    }
    for (i, row) in out.iter().enumerate().take(lag) {
        assert_eq!(row[5], Some(0), "{what}: out_valid before the first result, row {i}");
    }
    assert!(spikes > want.len() / 10 && spikes < want.len() * 9 / 10, "spike mix: {spikes}");
    assert!(sat > 100, "saturations exercised: {sat}");
    println!("neuron {what}: {} vectors bit-exact ({spikes} spikes, {sat} with a saturated output)", want.len());
}

#[test]
fn neuron_rust_hdl_matches_golden_update() {
    let (ins, want) = cases();
    let rows = pipeline_rows(&ins, NEURON_LATENCY);
    let mut uut = NeuronUpdate::new();
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.rho.next = to_signed(r[0]);
            u.alpha.next = to_signed(r[1]);
            u.current.next = to_signed(r[2]);
            u.u_prev.next = to_signed(r[3]);
            u.b_prev.next = to_signed(r[4]);
            u.s_prev.next = r[5] != 0;
            u.in_valid.next = r[6] != 0;
        },
        |u| {
            vec![
                to_i64(u.b.val()),
                to_i64(u.theta.val()),
                to_i64(u.v.val()),
                u.s.val() as i64,
                to_i64(u.u.val()),
                u.out_valid.val() as i64,
            ]
        },
        &rows,
    );
    check("rust-hdl", &ins, &want, &out);
}

#[test]
fn neuron_verilog_matches_golden_update_in_icarus() {
    if !iverilog_available("neuron_verilog_matches_golden_update_in_icarus") {
        return;
    }
    let (ins, want) = cases();
    let rows = pipeline_rows(&ins, NEURON_LATENCY);
    let dut = verilog_of(NeuronUpdate::new());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("neuron");
    let out = run_icarus(&dir, &dut, &INPUTS, &OUTPUTS, &rows);
    check("icarus", &ins, &want, &out);
}
