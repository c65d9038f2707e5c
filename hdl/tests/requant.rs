//! `Requant` against `Fmt::from_scaled` for every narrowing of the forward pass, in rust-hdl's
//! simulator and in Icarus Verilog on the same vectors.

use fptt_hdl::requant::{Requant, REQUANT_LATENCY};
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{fits, to_i64, to_signed};
use fptt_sim::fixed::model::Frac;
use fptt_sim::fixed::{Fmt, Numerics};

/// Vectors per narrowing.
const VECTORS: usize = 4000;

/// A narrowing of `Kernel::forward`: (what, accumulator width, target format, source frac).
struct Case {
    name: &'static str,
    width: usize,
    to: Fmt,
    from: u32,
}

/// Every `from_scaled` of the forward pass under the default formats. Dot products come from
/// a 48-bit accumulator, single products straight from an 18x18 multiplier (36 bits).
fn cases() -> Vec<Case> {
    let n = Numerics::DEFAULT;
    let f = Frac::of(&n);
    let (state, gate) = (n.state, n.gate);
    vec![
        Case { name: "I = W_in x + W_rec s + b_I", width: 48, to: state, from: f.w + f.x },
        Case { name: "z_m = W_m [I; u] + c_m", width: 48, to: state, from: f.w + f.s },
        Case { name: "z_a = W_a [I; b] + c_a", width: 48, to: state, from: f.w + f.s.max(f.g) },
        Case { name: "J = W_o s + c_o", width: 48, to: state, from: f.w },
        Case { name: "rho b", width: 36, to: gate, from: 2 * f.g },
        Case { name: "beta b", width: 36, to: state, from: f.gain + f.g },
        Case { name: "alpha (I - u), alpha^o (J - o)", width: 36, to: state, from: f.g + f.s },
    ]
}

/// Accumulator values: rounding ties and their neighbours, both saturation edges, extremes of
/// the accumulator, then random codes of random magnitude.
fn vectors(case: &Case, seed: u64) -> Vec<i64> {
    let shift = case.from - case.to.frac;
    let half = if shift > 0 { 1i64 << (shift - 1) } else { 0 };
    let w = case.width as u32;
    let (amin, amax) = (-(1i64 << (w - 1)), (1i64 << (w - 1)) - 1);
    let mut v = vec![amin, amin + 1, -1, 0, 1, amax - 1, amax];
    for k in [case.to.min() - 1, case.to.min(), case.to.min() + 1, case.to.max() - 1, case.to.max(), case.to.max() + 1]
    {
        for d in -2..=2 {
            v.push((k << shift) + half + d);
        }
    }
    let mut rng = Rng::new(seed);
    while v.len() < VECTORS {
        match rng.next_u64() % 4 {
            // a tie (or next to one) around a random output code
            0 => {
                let k = rng.code(20);
                v.push((k << shift) + half + rng.range(-1, 1));
            }
            _ => v.push(rng.code(w)),
        }
    }
    v.retain(|&x| fits(x, case.width));
    v
}

/// Compares, and checks the vectors reach both saturation limits and (when rounding) ties.
fn check(what: &str, case: &Case, accs: &[i64], out: &[Option<i64>]) {
    let shift = case.from - case.to.frac;
    let (mut lo, mut hi, mut ties) = (0, 0, 0);
    for (i, &acc) in accs.iter().enumerate() {
        let want = case.to.from_scaled(acc, case.from);
        assert_eq!(out[i + REQUANT_LATENCY - 1], Some(want), "{what}, {}: vector {i}, acc = {acc}", case.name);
        lo += (acc < case.to.min() << shift) as usize;
        hi += (acc >= (case.to.max() + 1) << shift) as usize;
        ties += (shift > 0 && acc & ((1 << shift) - 1) == 1 << (shift - 1)) as usize;
    }
    assert!(lo > 10 && hi > 10, "{}: saturating vectors below {lo} above {hi}", case.name);
    assert!(shift == 0 || ties > 10, "{}: only {ties} ties", case.name);
}

/// Runs `accs` through a `Requant<W>` in rust-hdl.
fn rust_hdl_run<const W: usize>(shift: u32, accs: &[i64]) -> Vec<Option<i64>> {
    let rows: Vec<Vec<i64>> = accs.iter().map(|&a| vec![a]).collect();
    let mut uut = Requant::<W>::new(shift);
    run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| u.acc.next = to_signed(r[0]),
        |u| vec![to_i64(u.y.val())],
        &rows,
    )
    .into_iter()
    .map(|r| r[0])
    .collect()
}

/// Runs `accs` through the Verilog of a `Requant<W>` in Icarus.
fn icarus_run<const W: usize>(shift: u32, accs: &[i64], dir: &str) -> Vec<Option<i64>> {
    let rows: Vec<Vec<i64>> = accs.iter().map(|&a| vec![a]).collect();
    let dut = verilog_of(Requant::<W>::new(shift));
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    run_icarus(&dir, &dut, &[Port::signed("acc", W)], &[Port::signed("y", 18)], &rows)
        .into_iter()
        .map(|r| r[0])
        .collect()
}

#[test]
fn requant_rust_hdl_matches_from_scaled() {
    let mut total = 0;
    for (k, case) in cases().iter().enumerate() {
        let accs = vectors(case, k as u64);
        let shift = case.from - case.to.frac;
        let out = match case.width {
            48 => rust_hdl_run::<48>(shift, &accs),
            36 => rust_hdl_run::<36>(shift, &accs),
            w => panic!("no instance for width {w}"),
        };
        check("rust-hdl", case, &accs, &out);
        total += accs.len();
    }
    println!("requant rust-hdl: {total} vectors over {} narrowings bit-exact", cases().len());
}

#[test]
fn requant_verilog_matches_from_scaled_in_icarus() {
    if !iverilog_available("requant_verilog_matches_from_scaled_in_icarus") {
        return;
    }
    let mut total = 0;
    for (k, case) in cases().iter().enumerate() {
        let accs = vectors(case, k as u64);
        let shift = case.from - case.to.frac;
        let dir = format!("requant_{k}");
        let out = match case.width {
            48 => icarus_run::<48>(shift, &accs, &dir),
            36 => icarus_run::<36>(shift, &accs, &dir),
            w => panic!("no instance for width {w}"),
        };
        check("icarus", case, &accs, &out);
        total += accs.len();
    }
    println!("requant icarus: {total} vectors over {} narrowings bit-exact", cases().len());
}
