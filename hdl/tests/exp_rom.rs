//! `ExpRom` against `Tables::exp` (the softmax exponential) on every 18-bit input code, in
//! rust-hdl's simulator and in Icarus Verilog.

use fptt_hdl::exp_rom::{exp_rom_words, ExpRom, EXP_LATENCY};
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, verilog_of, Port};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::tables::{exp_table, Tables};
use fptt_sim::fixed::Numerics;

/// Every state code, in an order that also jumps between distant segments, then idle rows
/// that flush the pipeline.
fn rows() -> Vec<Vec<i64>> {
    let n = 1i64 << 18;
    // a stride coprime with 2^18 visits every code once
    let mut r: Vec<Vec<i64>> = (0..n).map(|k| vec![((k * 40_503) % n) - (1 << 17)]).collect();
    r.extend(std::iter::repeat_n(vec![0], EXP_LATENCY - 1));
    r
}

fn check(what: &str, rows: &[Vec<i64>], out: &[Option<i64>]) {
    let n = Numerics::DEFAULT;
    let t = Tables::new(n.state, n.gate);
    let inputs = rows.len() - (EXP_LATENCY - 1);
    let mut seen = std::collections::HashSet::new();
    for (i, row) in rows[..inputs].iter().enumerate() {
        let want = t.exp(row[0]);
        assert_eq!(out[i + EXP_LATENCY - 1], Some(want), "{what}: vector {i}, x = {}", row[0]);
        seen.insert(row[0]);
    }
    assert_eq!(seen.len(), 1 << 18, "every input code tested");
    println!("exp {what}: all {} input codes bit-exact with Tables::exp", seen.len());
}

#[test]
fn rom_words_hold_the_golden_table() {
    let gate = Numerics::DEFAULT.gate;
    let t = exp_table(gate);
    for (k, w) in exp_rom_words(gate).iter().enumerate() {
        let y0 = (w >> 18) as i64;
        let d = (((w & 0x3ffff) << 46) as i64) >> 46;
        assert_eq!((y0, y0 + d), (t[k], t[k + 1]), "word {k}");
    }
}

#[test]
fn exp_rust_hdl_matches_tables_on_every_code() {
    let rows = rows();
    let mut uut = ExpRom::new();
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| u.x.next = to_signed(r[0]),
        |u| vec![to_i64(u.y.val())],
        &rows,
    );
    let out: Vec<Option<i64>> = out.into_iter().map(|r| r[0]).collect();
    check("rust-hdl", &rows, &out);
}

#[test]
fn exp_verilog_matches_tables_on_every_code_in_icarus() {
    if !iverilog_available("exp_verilog_matches_tables_on_every_code_in_icarus") {
        return;
    }
    let rows = rows();
    let dut = verilog_of(ExpRom::new());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("exp_rom");
    let out = run_icarus(&dir, &dut, &[Port::signed("x", 18)], &[Port::signed("y", 18)], &rows);
    let out: Vec<Option<i64>> = out.into_iter().map(|r| r[0]).collect();
    check("icarus", &rows, &out);
}
