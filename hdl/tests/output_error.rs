//! `OutputError` against the golden output error (`Kernel::regression_error`) and readout
//! backward step (`Kernel::backward_output`, which `Kernel::backward` runs for every output), in
//! rust-hdl's simulator and in Icarus Verilog, on the same vectors:
//! - random full-range codes of every input (extremes and short codes mixed in);
//! - the readout values of `Kernel::forward` on random networks and states, with random targets
//!   and step weights;
//! - every third random vector with a given d_o (`given`, `d_in`: a classification step's),
//!   whose dz_o must follow from it.

use fptt_hdl::output_error::{OutputError, OUTPUT_ERROR_LATENCY};
use fptt_hdl::verify::{iverilog_available, pipeline_rows, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::{FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Shape};

/// Random full-range vectors.
const RANDOM: usize = 40_000;
/// Random networks whose forward step supplies vectors.
const NETWORKS: usize = 100;

/// Input order: o, y, weight, j, o_prev, alpha_o, given, d_in. Expected: [d_o, dz_o].
fn golden(kernel: &Kernel, x: &[i64]) -> [i64; 2] {
    let mut d_o = vec![];
    kernel.regression_error(&[x[0] as i32], &[x[1] as i32], x[2], &mut d_o);
    if x[6] != 0 {
        d_o[0] = x[7] as i32;
    }
    [d_o[0] as i64, kernel.backward_output(d_o[0], x[3] as i32, x[4] as i32, x[5] as i32) as i64]
}

fn cases() -> (Vec<Vec<i64>>, Vec<[i64; 2]>) {
    let n = Numerics::DEFAULT;
    let kernel = Kernel::new(n);
    let mut rng = Rng::new(13);
    let mut ins = vec![];
    for k in 0..RANDOM {
        let mut x: Vec<i64> = (0..6).map(|_| rng.code(18)).collect();
        x.extend([(k % 3 == 1) as i64, rng.code(18)]);
        if k % 2 == 0 {
            // realistic: alpha^o in [0, 1], a step weight in [0, 1], o and y near each other
            x[5] = rng.range(0, n.gate.one());
            x[2] = rng.range(0, n.gain.one());
            x[1] = (x[0] + rng.range(-(1 << 13), 1 << 13)).clamp(n.state.min(), n.state.max());
        }
        ins.push(x);
    }
    for net in 0..NETWORKS {
        let shape = Shape::new(rng.range(1, 4) as usize, rng.range(1, 16) as usize, rng.range(1, 4) as usize).unwrap();
        let layout = Layout::new(shape);
        let scale = 1i64 << (8 + net % 10);
        let w: Vec<i32> = (0..layout.len()).map(|_| rng.code(18).clamp(-scale, scale - 1) as i32).collect();
        let mut st = FixedState::initial(shape, &n);
        for k in 0..shape.outputs {
            st.o[k] = rng.code(18) as i32;
        }
        let x: Vec<i32> = (0..shape.inputs).map(|_| rng.code(18) as i32).collect();
        let mut tr = FixedTrace::default();
        kernel.forward(&layout, &w, &st, &x, &mut tr);
        for k in 0..shape.outputs {
            let y = rng.range(0, n.state.one());
            let weight = rng.range(0, n.gain.one());
            let v = [tr.o[k] as i64, y, weight, tr.j[k] as i64, st.o[k] as i64, tr.alpha_o[k] as i64, 0, 0];
            ins.push(v.to_vec());
        }
    }
    let want = ins.iter().map(|x| golden(&kernel, x)).collect();
    (ins, want)
}

const INPUTS: [Port; 9] = [
    Port::signed("o", 18),
    Port::signed("y", 18),
    Port::signed("weight", 18),
    Port::signed("j", 18),
    Port::signed("o_prev", 18),
    Port::signed("alpha_o", 18),
    Port::unsigned("given", 1),
    Port::signed("d_in", 18),
    Port::unsigned("in_valid", 1),
];

const OUTPUTS: [Port; 3] = [Port::signed("d_o", 18), Port::signed("dz_o", 18), Port::unsigned("out_valid", 1)];

fn check(what: &str, ins: &[Vec<i64>], want: &[[i64; 2]], out: &[Vec<Option<i64>>]) {
    let lag = OUTPUT_ERROR_LATENCY - 1;
    let (mut nonzero, mut sat) = (0, 0);
    for (i, w) in want.iter().enumerate() {
        let got = &out[i + lag];
        let expect: Vec<Option<i64>> = w.iter().map(|&c| Some(c)).chain([Some(1)]).collect();
        assert_eq!(got, &expect, "{what}: vector {i} {:?} -> [d_o, dz_o, valid]", ins[i]);
        nonzero += (w[1] != 0) as usize;
        sat += w.iter().any(|&c| c == (1 << 17) - 1 || c == -(1 << 17)) as usize;
    }
    for (i, row) in out.iter().enumerate().take(lag) {
        assert_eq!(row[2], Some(0), "{what}: out_valid before the first result, row {i}");
    }
    assert!(nonzero > want.len() / 4, "non-zero dz_o: {nonzero} of {}", want.len());
    assert!(sat > 100, "saturations exercised: {sat}");
    println!("output error {what}: {} vectors bit-exact ({nonzero} with non-zero dz_o, {sat} saturated)", want.len());
}

#[test]
fn output_error_rust_hdl_matches_golden() {
    let (ins, want) = cases();
    let rows = pipeline_rows(&ins, OUTPUT_ERROR_LATENCY);
    let mut uut = OutputError::new();
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.o.next = to_signed(r[0]);
            u.y.next = to_signed(r[1]);
            u.weight.next = to_signed(r[2]);
            u.j.next = to_signed(r[3]);
            u.o_prev.next = to_signed(r[4]);
            u.alpha_o.next = to_signed(r[5]);
            u.given.next = r[6] != 0;
            u.d_in.next = to_signed(r[7]);
            u.in_valid.next = r[8] != 0;
        },
        |u| vec![to_i64(u.d_o.val()), to_i64(u.dz_o.val()), u.out_valid.val() as i64],
        &rows,
    );
    check("rust-hdl", &ins, &want, &out);
}

#[test]
fn output_error_verilog_matches_golden_in_icarus() {
    if !iverilog_available("output_error_verilog_matches_golden_in_icarus") {
        return;
    }
    let (ins, want) = cases();
    let rows = pipeline_rows(&ins, OUTPUT_ERROR_LATENCY);
    let dut = verilog_of(OutputError::new());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("output_error");
    let out = run_icarus(&dir, &dut, &INPUTS, &OUTPUTS, &rows);
    check("icarus", &ins, &want, &out);
}
