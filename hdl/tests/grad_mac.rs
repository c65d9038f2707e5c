//! `GradMac` against the golden model's weight gradients: B streams of random networks run
//! `Kernel::forward`, `regression_error` and `Kernel::backward`, which sums every word's outer
//! products into `gsum`; the unit gets, for each word of every tensor, the B terms (the row's
//! delta, the column's activation, its kind) and must produce that word's `gsum` exactly, in
//! rust-hdl's simulator and in Icarus Verilog.

use fptt_hdl::grad_mac::{kind, GradMac, GRAD_MAC_LATENCY};
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::{FixedScratch, FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Shape, Tensor};

const N: Numerics = Numerics::DEFAULT;

/// One stream's forward and backward values.
struct Stream {
    prev: FixedState,
    tr: FixedTrace,
    sc: FixedScratch,
}

/// The (delta, activation, kind) of word (row, col) of tensor `t` for one stream: the
/// update pass's term table.
fn term(t: Tensor, shape: Shape, row: usize, col: usize, s: &Stream) -> (i64, i64, u64) {
    let h = shape.hidden;
    let c = shape.outputs;
    let d = |v: &[i32]| v[row] as i64;
    let (delta, act, k) = match t {
        Tensor::WIn => (d(&s.sc.d_i), s.tr.x[col], kind::INPUT),
        Tensor::WRec => (d(&s.sc.d_i), s.prev.s[col], kind::BINARY),
        Tensor::BI => (d(&s.sc.d_i), 1, kind::BINARY),
        Tensor::WM if col < h => (d(&s.sc.dz_m), s.tr.current[col], kind::STATE),
        Tensor::WM => (d(&s.sc.dz_m), s.prev.u[col - h], kind::STATE),
        Tensor::CM => (d(&s.sc.dz_m), 1, kind::BINARY),
        Tensor::WA if col < h => (d(&s.sc.dz_a), s.tr.current[col], kind::STATE),
        Tensor::WA => (d(&s.sc.dz_a), s.prev.b[col - h], kind::GATE),
        Tensor::CA => (d(&s.sc.dz_a), 1, kind::BINARY),
        Tensor::WO => (d(&s.sc.d_j), s.tr.s[col], kind::BINARY),
        Tensor::CO => (d(&s.sc.d_j), 1, kind::BINARY),
        Tensor::WOt if col < c => (d(&s.sc.dz_o), s.tr.j[col], kind::STATE),
        Tensor::WOt => (d(&s.sc.dz_o), s.prev.o[col - c], kind::STATE),
        Tensor::COt => (d(&s.sc.dz_o), 1, kind::BINARY),
    };
    (delta, act as i64, k)
}

/// Rows (d, a, kind, valid, first, last) for every word of several networks, and each word's
/// golden gradient sum.
fn cases() -> (Vec<Vec<i64>>, Vec<i64>) {
    let kernel = Kernel::new(N);
    let mut rng = Rng::new(41);
    let (mut rows, mut want) = (vec![], vec![]);
    for net in 0..12 {
        let shape = Shape::new(rng.range(1, 4) as usize, rng.range(1, 12) as usize, rng.range(1, 3) as usize).unwrap();
        let layout = Layout::new(shape);
        let batch = [1, 2, 5, 16][net % 4];
        let scale = 1i64 << (10 + net % 8);
        let w: Vec<i32> = (0..layout.len()).map(|_| rng.code(18).clamp(-scale, scale - 1) as i32).collect();
        let mut gsum = vec![0i64; layout.len()];
        let mut streams = vec![];
        for _ in 0..batch {
            let mut prev = FixedState::initial(shape, &N);
            for k in 0..shape.hidden {
                prev.u[k] = rng.code(16) as i32;
                prev.s[k] = (rng.next_u64() & 1) as i32;
                prev.b[k] = rng.range(0, N.gate.one()) as i32;
            }
            for o in prev.o.iter_mut() {
                *o = rng.code(16) as i32;
            }
            let x: Vec<i32> = (0..shape.inputs).map(|_| rng.code(18) as i32).collect();
            let y: Vec<i32> = (0..shape.outputs).map(|_| rng.code(15) as i32).collect();
            let mut tr = FixedTrace::default();
            kernel.forward(&layout, &w, &prev, &x, &mut tr);
            let mut d_o = vec![];
            kernel.regression_error(&tr.o, &y, N.gain.quantize(1.0 + net as f64), &mut d_o);
            let mut sc = FixedScratch::default();
            kernel.backward(&layout, &w, &prev, &tr, &d_o, &mut sc, &mut gsum);
            streams.push(Stream { prev, tr, sc });
        }
        for t in Tensor::ALL {
            let (nr, nc) = t.dims(shape);
            for row in 0..nr {
                for col in 0..nc {
                    for (b, s) in streams.iter().enumerate() {
                        let (d, a, k) = term(t, shape, row, col, s);
                        rows.push(vec![d, a, k as i64, 1, (b == 0) as i64, (b == batch - 1) as i64]);
                    }
                    want.push(gsum[layout.range(t).start + row * nc + col]);
                }
            }
        }
    }
    rows.extend(std::iter::repeat_n(vec![0; 6], GRAD_MAC_LATENCY));
    (rows, want)
}

fn check(what: &str, want: &[i64], out: &[Vec<Option<i64>>]) {
    let got: Vec<i64> = out.iter().filter(|r| r[1] == Some(1)).map(|r| r[0].expect("a defined sum")).collect();
    assert_eq!(got.len(), want.len(), "{what}: one sum per word");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{what}: word {k}");
    }
    let nonzero = want.iter().filter(|&&g| g != 0).count();
    assert!(nonzero > want.len() / 3, "{what}: non-zero gradients {nonzero} of {}", want.len());
    println!("grad mac {what}: {} words' gradient sums bit-exact ({nonzero} non-zero)", want.len());
}

#[test]
fn grad_mac_rust_hdl_matches_golden_gradients() {
    let (rows, want) = cases();
    let mut uut = GradMac::default();
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.d.next = to_signed(r[0]);
            u.a.next = to_signed(r[1]);
            u.kind.next = (r[2] as u64).into();
            u.valid.next = r[3] != 0;
            u.first.next = r[4] != 0;
            u.last.next = r[5] != 0;
        },
        |u| vec![to_i64(u.sum.val()), u.sum_valid.val() as i64],
        &rows,
    );
    check("rust-hdl", &want, &out);
}

#[test]
fn grad_mac_verilog_matches_golden_gradients_in_icarus() {
    if !iverilog_available("grad_mac_verilog_matches_golden_gradients_in_icarus") {
        return;
    }
    let (rows, want) = cases();
    let inputs = [
        Port::signed("d", 18),
        Port::signed("a", 18),
        Port::unsigned("kind", 2),
        Port::unsigned("valid", 1),
        Port::unsigned("first", 1),
        Port::unsigned("last", 1),
    ];
    let outputs = [Port::signed("sum", 48), Port::unsigned("sum_valid", 1)];
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("grad_mac");
    let out = run_icarus(&dir, &verilog_of(GradMac::default()), &inputs, &outputs, &rows);
    check("icarus", &want, &out);
}
