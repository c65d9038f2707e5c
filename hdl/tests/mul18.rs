//! `Mul18` and `WideMul` against `i64` multiplication: rust-hdl simulation and Icarus Verilog,
//! same vectors.

use fptt_hdl::mul18::{Mul18, WideMul, MUL18_LATENCY, WIDE_MUL_LATENCY};
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};

const MIN: i64 = -(1 << 17);
const MAX: i64 = (1 << 17) - 1;

/// Operand pairs: every pair of extremes, then random and extreme-biased codes.
fn vectors(n: usize) -> Vec<Vec<i64>> {
    let ext = [MIN, MIN + 1, -1, 0, 1, MAX];
    let mut rows: Vec<Vec<i64>> = ext.iter().flat_map(|&a| ext.iter().map(move |&b| vec![a, b])).collect();
    let mut rng = Rng::new(18);
    while rows.len() < n {
        rows.push(vec![rng.code(18), rng.code(18)]);
    }
    rows
}

fn check(name: &str, rows: &[Vec<i64>], out: &[Option<i64>]) {
    for (i, row) in rows.iter().enumerate() {
        let got = out[i + MUL18_LATENCY - 1];
        assert_eq!(got, Some(row[0] * row[1]), "{name}: vector {i} ({} x {})", row[0], row[1]);
    }
}

/// Vectors plus `MUL18_LATENCY - 1` idle rows to flush the pipeline.
fn padded(rows: &[Vec<i64>]) -> Vec<Vec<i64>> {
    let mut r = rows.to_vec();
    r.extend(std::iter::repeat_n(vec![0, 0], MUL18_LATENCY - 1));
    r
}

#[test]
fn mul18_rust_hdl_matches_i64_product() {
    let rows = vectors(20_000);
    let mut uut = Mul18::default();
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.a.next = to_signed(r[0]);
            u.b.next = to_signed(r[1]);
        },
        |u| vec![to_i64(u.p.val())],
        &padded(&rows),
    );
    let out: Vec<Option<i64>> = out.into_iter().map(|r| r[0]).collect();
    check("rust-hdl", &rows, &out);
    println!("mul18 rust-hdl: {} vectors bit-exact", rows.len());
}

#[test]
fn mul18_verilog_matches_i64_product_in_icarus() {
    if !iverilog_available("mul18_verilog_matches_i64_product_in_icarus") {
        return;
    }
    let rows = vectors(20_000);
    let dut = verilog_of(Mul18::default());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mul18");
    let out = run_icarus(
        &dir,
        &dut,
        &[Port::signed("a", 18), Port::signed("b", 18)],
        &[Port::signed("p", 36)],
        &padded(&rows),
    );
    let out: Vec<Option<i64>> = out.into_iter().map(|r| r[0]).collect();
    check("icarus", &rows, &out);
    println!("mul18 icarus: {} vectors bit-exact", rows.len());
}

/// Operand pairs of `a_bits` x `b_bits`: every pair of extremes, then random codes.
fn wide_vectors(a_bits: u32, b_bits: u32, n: usize) -> Vec<Vec<i64>> {
    let ext = |bits: u32| {
        let (min, max) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
        // (and the 17-bit chunk boundary, where it fits)
        [min, min + 1, -1, 0, 1, (1 << 17) - 1, 1 << 17, max].into_iter().filter(move |&x| x <= max)
    };
    let mut rows: Vec<Vec<i64>> = ext(a_bits).flat_map(|a| ext(b_bits).map(move |b| vec![a, b])).collect();
    let mut rng = Rng::new(u64::from(a_bits * 100 + b_bits));
    while rows.len() < n {
        rows.push(vec![rng.code(a_bits), rng.code(b_bits)]);
    }
    rows.extend(std::iter::repeat_n(vec![0, 0], WIDE_MUL_LATENCY - 1));
    rows
}

/// One `WideMul<A, B, P>` in rust-hdl and in Icarus on the same vectors.
fn wide_mul_matches<const A: usize, const B: usize, const P: usize>() {
    let rows = wide_vectors(A as u32, B as u32, 5_000);
    let n = rows.len() - (WIDE_MUL_LATENCY - 1);
    let check = |name: &str, out: &[Vec<Option<i64>>]| {
        for (i, row) in rows[..n].iter().enumerate() {
            let want = row[0] * row[1];
            assert_eq!(out[i + WIDE_MUL_LATENCY - 1][0], Some(want), "{name} {A}x{B}: vector {i} ({row:?})");
        }
        println!("wide mul {A}x{B} {name}: {n} vectors bit-exact");
    };
    let mut uut = WideMul::<A, B, P>::default();
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.a.next = to_signed(r[0]);
            u.b.next = to_signed(r[1]);
        },
        |u| vec![to_i64(u.p.val())],
        &rows,
    );
    check("rust-hdl", &out);
    if !iverilog_available("wide_mul_verilog_matches_i64_product_in_icarus") {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("wide_mul_{A}x{B}"));
    let out = run_icarus(
        &dir,
        &verilog_of(WideMul::<A, B, P>::default()),
        &[Port::signed("a", A), Port::signed("b", B)],
        &[Port::signed("p", P)],
        &rows,
    );
    check("icarus", &out);
}

#[test]
fn wide_mul_matches_i64_product_in_rust_hdl_and_icarus() {
    // every shape the update pipeline uses: a chunked a, and a chunked b
    wide_mul_matches::<44, 18, 62>();
    wide_mul_matches::<18, 28, 46>();
    wide_mul_matches::<18, 27, 45>();
}
