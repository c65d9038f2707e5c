//! `SoftmaxError` against `Kernel::softmax_error`, stream after stream, for 1 to 64 outputs
//! (random, extreme and tied readouts, every class position, step weights 0 to the gain
//! format's extremes), in rust-hdl's simulator and in Icarus Verilog; every stream must leave
//! its C errors in order and be ready again exactly `softmax_cycles(C)` cycles after its last
//! output went in.

use fptt_hdl::softmax_error::{softmax_cycles, SoftmaxError};
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::Numerics;

/// One stream: readouts o (state codes), class, step weight (gain code).
struct Stream {
    o: Vec<i64>,
    label: usize,
    weight: i64,
}

fn streams() -> Vec<Stream> {
    let mut rng = Rng::new(17);
    let gain = Numerics::DEFAULT.gain;
    let mut v = vec![];
    for (i, c) in [1usize, 2, 3, 5, 10, 17, 33, 64, 64, 7, 4, 2].into_iter().enumerate() {
        for rep in 0..3 {
            let o: Vec<i64> = match (i + rep) % 4 {
                // ties (every e = 1: the largest sum)
                0 => vec![rng.code(18); c],
                // a narrow spread, where every e matters
                1 => (0..c).map(|_| rng.range(-3 << 12, 3 << 12)).collect(),
                _ => (0..c).map(|_| rng.code(18)).collect(),
            };
            let weight = match rep {
                0 => gain.one(),
                1 => [0, gain.max(), -gain.max() - 1, 1][i % 4],
                _ => rng.range(0, gain.max()),
            };
            v.push(Stream { label: rng.range(0, c as i64 - 1) as usize, o, weight });
        }
    }
    v
}

/// Input rows (in_valid, x, last, label, weight), the row of each stream's last output, and
/// the expected errors in output order.
fn rows(streams: &[Stream]) -> (Vec<Vec<i64>>, Vec<usize>, Vec<i64>) {
    let kernel = Kernel::new(Numerics::DEFAULT);
    let (mut rows, mut lasts, mut want) = (vec![], vec![], vec![]);
    for s in streams {
        for (k, &o) in s.o.iter().enumerate() {
            let last = k + 1 == s.o.len();
            rows.push(vec![1, o, last as i64, s.label as i64, s.weight]);
        }
        lasts.push(rows.len() - 1);
        rows.extend(std::iter::repeat_n(vec![0; 5], softmax_cycles(s.o.len())));
        let o: Vec<i32> = s.o.iter().map(|&v| v as i32).collect();
        let mut d = vec![];
        kernel.softmax_error(&o, s.label, s.weight, &mut d);
        want.extend(d.iter().map(|&v| v as i64));
    }
    rows.push(vec![0; 5]);
    (rows, lasts, want)
}

fn check(what: &str, streams: &[Stream], out: &[Vec<Option<i64>>]) {
    let (rows, lasts, want) = rows(streams);
    let got: Vec<i64> = out.iter().filter(|r| r[1] == Some(1)).map(|r| r[2].expect("a two-state d_o")).collect();
    assert_eq!(got.len(), want.len(), "{what}: errors out");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "{what}: error {i}");
    }
    for (s, &last) in streams.iter().zip(&lasts) {
        // ready (sampled before each edge, i.e. after the previous row) while the outputs go
        // in; low until softmax_cycles(C) edges after the last one
        let c = s.o.len();
        for r in (last + 1 - c..=last).filter(|&r| r > 0) {
            assert_eq!(out[r - 1][0], Some(1), "{what}: ready while taking C = {c}");
        }
        let busy = out[last..].iter().take_while(|r| r[0] == Some(0)).count();
        assert_eq!(busy, softmax_cycles(c), "{what}: busy cycles for C = {c}");
    }
    assert!(rows.len() == out.len());
    println!(
        "softmax {what}: {} streams (C = 1 to 64), {} errors bit-exact with Kernel::softmax_error",
        streams.len(),
        got.len()
    );
}

const INPUTS: [Port; 5] = [
    Port::unsigned("in_valid", 1),
    Port::signed("x", 18),
    Port::unsigned("last", 1),
    Port::unsigned("label", 6),
    Port::signed("weight", 18),
];
const OUTPUTS: [Port; 3] = [Port::unsigned("ready", 1), Port::unsigned("out_valid", 1), Port::signed("d_o", 18)];

#[test]
fn softmax_rust_hdl_matches_golden() {
    let s = streams();
    let (rows, _, _) = rows(&s);
    let mut uut = SoftmaxError::new();
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.in_valid.next = r[0] != 0;
            u.x.next = to_signed(r[1]);
            u.last.next = r[2] != 0;
            u.label.next = (r[3] as u64).into();
            u.weight.next = to_signed(r[4]);
        },
        |u| vec![u.ready.val() as i64, u.out_valid.val() as i64, to_i64(u.d_o.val())],
        &rows,
    );
    check("rust-hdl", &s, &out);
}

#[test]
fn softmax_verilog_matches_golden_in_icarus() {
    if !iverilog_available("softmax_verilog_matches_golden_in_icarus") {
        return;
    }
    let s = streams();
    let (rows, _, _) = rows(&s);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("softmax_error");
    let out = run_icarus(&dir, &verilog_of(SoftmaxError::new()), &INPUTS, &OUTPUTS, &rows);
    check("icarus", &s, &out);
}
