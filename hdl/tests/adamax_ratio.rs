//! `AdamaxRatio` on every positive u (with random m), in rust-hdl's simulator and in Icarus
//! Verilog, against the golden pieces: `Tables::reciprocal` (the 8 bits after u's leading one
//! index 2^16 / mantissa) and the update's rounding of m r by e bits.

use fptt_hdl::adamax_ratio::{AdamaxRatio, ADAMAX_RATIO_LATENCY};
use fptt_hdl::verify::{iverilog_available, pipeline_rows, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::tables::Tables;
use fptt_sim::fixed::Numerics;

const N: Numerics = Numerics::DEFAULT;

fn cases() -> (Vec<Vec<i64>>, Vec<i64>) {
    let t = Tables::new(N.state, N.gate);
    let mut rng = Rng::new(3);
    let ins: Vec<Vec<i64>> = (1..=N.grad.max()).map(|u| vec![rng.code(18), u]).collect();
    let want = ins
        .iter()
        .map(|x| {
            let (r, e) = t.reciprocal(x[1]);
            let half = (1i64 << e) >> 1;
            ((x[0] * r + half) >> e).clamp(N.ratio.min(), N.ratio.max())
        })
        .collect();
    (ins, want)
}

fn check(what: &str, ins: &[Vec<i64>], want: &[i64], out: &[Vec<Option<i64>>]) {
    for (i, w) in want.iter().enumerate() {
        assert_eq!(out[i + ADAMAX_RATIO_LATENCY - 1][0], Some(*w), "{what}: m, u = {:?}", ins[i]);
    }
    println!("adamax ratio {what}: all {} positive u bit-exact", want.len());
}

#[test]
fn adamax_ratio_rust_hdl_matches_golden_for_every_u() {
    let (ins, want) = cases();
    let mut uut = AdamaxRatio::with(N);
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.m.next = to_signed(r[0]);
            u.u.next = to_signed(r[1]);
        },
        |u| vec![to_i64(u.ratio.val())],
        &pipeline_rows(&ins, ADAMAX_RATIO_LATENCY),
    );
    check("rust-hdl", &ins, &want, &out);
}

#[test]
fn adamax_ratio_verilog_matches_golden_for_every_u_in_icarus() {
    if !iverilog_available("adamax_ratio_verilog_matches_golden_for_every_u_in_icarus") {
        return;
    }
    let (ins, want) = cases();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("adamax_ratio");
    let inputs = [Port::signed("m", 18), Port::signed("u", 18)];
    // (the block has no valid flag: drop the column pipeline_rows adds)
    let rows: Vec<Vec<i64>> = pipeline_rows(&ins, ADAMAX_RATIO_LATENCY).into_iter().map(|r| r[..2].to_vec()).collect();
    let out = run_icarus(&dir, &verilog_of(AdamaxRatio::with(N)), &inputs, &[Port::signed("ratio", 18)], &rows);
    check("icarus", &ins, &want, &out);
}
