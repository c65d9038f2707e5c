//! `ParamUpdate` (and its `AdamaxRatio`) against the golden one-word FPTT update
//! (`WordUpdate::apply`, which `FixedParams::update` runs over every word), in rust-hdl's
//! simulator and in Icarus Verilog, on the same vectors: four configurations (Adamax and SGD,
//! B = 1, 3, 16, several learning rates, a and beta_f), each with random full-range words and
//! gradient sums (beyond the 44-bit saturation too) and words of the size training produces.

use fptt_hdl::param_update::{ParamUpdate, MOMENTS_LATENCY, PARAM_UPDATE_LATENCY};
use fptt_hdl::verify::{iverilog_available, pipeline_rows, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::tables::Tables;
use fptt_sim::fixed::update::{UpdateConsts, Word, WordUpdate};
use fptt_sim::fixed::Numerics;
use fptt_sim::fptt::{FpttConfig, Optimizer};

const N: Numerics = Numerics::DEFAULT;
/// Vectors per configuration.
const VECTORS: usize = 6_000;

/// (optimiser, lr, a, beta_f, B).
const CONFIGS: [(Optimizer, f64, f64, f64, usize); 4] = [
    (Optimizer::Adamax, 3e-3, 0.1, 0.5, 1),
    (Optimizer::Adamax, 2e-2, 0.5, 0.9, 16),
    (Optimizer::Sgd, 3e-2, 0.1, 0.5, 3),
    (Optimizer::Sgd, 1e-1, 1.0, 0.2, 1),
];

/// Input order: gsum, w, w_bar, lambda, m, u, then the constants (adamax, inv_batch, a,
/// keep, beta_f, pull, beta1, one_minus_beta1, beta2, lr), then in_valid.
const INPUTS: [Port; 17] = [
    Port::signed("gsum", 48),
    Port::signed("w", 27),
    Port::signed("w_bar", 27),
    Port::signed("lambda", 18),
    Port::signed("m", 18),
    Port::signed("u", 18),
    Port::unsigned("adamax", 1),
    Port::signed("inv_batch", 18),
    Port::signed("a", 18),
    Port::signed("keep", 18),
    Port::signed("beta_f", 18),
    Port::signed("pull", 18),
    Port::signed("beta1", 18),
    Port::signed("one_minus_beta1", 18),
    Port::signed("beta2", 18),
    Port::signed("lr", 18),
    Port::unsigned("in_valid", 1),
];

const OUTPUTS: [Port; 7] = [
    Port::signed("m_new", 18),
    Port::signed("u_new", 18),
    Port::unsigned("mu_valid", 1),
    Port::signed("w_new", 27),
    Port::signed("w_bar_new", 27),
    Port::signed("lambda_new", 18),
    Port::unsigned("out_valid", 1),
];

struct Case {
    consts: UpdateConsts,
    ins: Vec<Vec<i64>>,
    want: Vec<Word>,
}

fn cases() -> Vec<Case> {
    let tables = Tables::new(N.state, N.gate);
    let acc = Kernel::new(N).f.acc;
    let mut rng = Rng::new(23);
    CONFIGS
        .iter()
        .map(|&(optimizer, lr, a, beta_f, batch)| {
            let cfg = FpttConfig { optimizer, lr, a, beta_f, clip: None };
            let c = UpdateConsts::new(&N, &cfg, batch);
            let one = WordUpdate::new(&N, &tables, &c, acc);
            let consts = [(optimizer == Optimizer::Adamax) as i64, c.inv_batch, c.a, c.keep, c.beta_f, c.pull, c.beta1]
                .into_iter()
                .chain([c.one_minus_beta1, c.beta2, c.lr]);
            let consts: Vec<i64> = consts.collect();
            let mut ins = vec![];
            let mut want = vec![];
            for k in 0..VECTORS {
                let training = k % 2 == 0; // the sizes training produces
                let gsum = if training { rng.code(34) << 2 } else { rng.code([24, 40, 44, 46, 48][k % 5]) };
                let x = Word {
                    w: rng.code(if training { 23 } else { 27 }) as i32,
                    w_bar: rng.code(if training { 23 } else { 27 }) as i32,
                    lambda: rng.code(if training { 12 } else { 18 }) as i32,
                    m: rng.code(if training { 14 } else { 18 }) as i32,
                    u: rng.code(if training { 14 } else { 18 }).abs().min(N.grad.max()) as i32,
                };
                want.push(one.apply(gsum, x));
                let word = [gsum, x.w as i64, x.w_bar as i64, x.lambda as i64, x.m as i64, x.u as i64];
                ins.push(word.into_iter().chain(consts.iter().copied()).collect());
            }
            Case { consts: c, ins, want }
        })
        .collect()
}

fn check(what: &str, case: &Case, out: &[Vec<Option<i64>>]) {
    let adamax = case.consts.optimizer == Optimizer::Adamax;
    let (mut moved, mut sat) = (0, 0);
    for (i, (w, x)) in case.want.iter().zip(&case.ins).enumerate() {
        let mu = &out[i + MOMENTS_LATENCY - 1];
        if adamax {
            assert_eq!(mu[..3], [Some(w.m as i64), Some(w.u as i64), Some(1)], "{what}: word {i} {x:?}: [m, u, valid]");
        } else {
            assert_eq!(mu[2], Some(1), "{what}: word {i}: mu_valid");
        }
        let row = &out[i + PARAM_UPDATE_LATENCY - 1];
        let expect = [Some(w.w as i64), Some(w.w_bar as i64), Some(w.lambda as i64), Some(1)];
        assert_eq!(row[3..], expect, "{what}: word {i} {x:?}: [w, w_bar, lambda, valid]");
        moved += (w.w as i64 != x[1]) as usize;
        sat +=
            (w.w.abs() >= (1 << 26) - 1 || w.w_bar.abs() >= (1 << 26) - 1 || w.lambda.abs() >= (1 << 17) - 1) as usize;
    }
    for (i, row) in out.iter().enumerate().take(MOMENTS_LATENCY - 1) {
        assert_eq!((row[2], row[6]), (Some(0), Some(0)), "{what}: valid before the first word, row {i}");
    }
    assert!(moved > case.want.len() / 2, "{what}: W moved in {moved} of {} words", case.want.len());
    assert!(sat > 50, "{what}: saturations exercised: {sat}");
    println!(
        "param update {what} ({:?}, inv_batch {}, lr {}): {} words bit-exact ({moved} moved, {sat} saturated)",
        case.consts.optimizer,
        case.consts.inv_batch,
        case.consts.lr,
        case.want.len()
    );
}

fn apply(u: &mut ParamUpdate, r: &[i64]) {
    u.gsum.next = to_signed(r[0]);
    u.w.next = to_signed(r[1]);
    u.w_bar.next = to_signed(r[2]);
    u.lambda.next = to_signed(r[3]);
    u.m.next = to_signed(r[4]);
    u.u.next = to_signed(r[5]);
    u.adamax.next = r[6] != 0;
    u.inv_batch.next = to_signed(r[7]);
    u.a.next = to_signed(r[8]);
    u.keep.next = to_signed(r[9]);
    u.beta_f.next = to_signed(r[10]);
    u.pull.next = to_signed(r[11]);
    u.beta1.next = to_signed(r[12]);
    u.one_minus_beta1.next = to_signed(r[13]);
    u.beta2.next = to_signed(r[14]);
    u.lr.next = to_signed(r[15]);
    u.in_valid.next = r[16] != 0;
}

/// The constants stay on the ports after the last word (the padding rows repeat them).
fn rows(case: &Case) -> Vec<Vec<i64>> {
    let mut rows = pipeline_rows(&case.ins, PARAM_UPDATE_LATENCY);
    let consts = case.ins[0][6..16].to_vec();
    for r in rows.iter_mut().skip(case.ins.len()) {
        r[6..16].copy_from_slice(&consts);
    }
    rows
}

#[test]
fn param_update_rust_hdl_matches_golden() {
    for (k, case) in cases().iter().enumerate() {
        let mut uut = ParamUpdate::new();
        let out = run_rust_hdl(
            &mut uut,
            |u, c| u.clock.next = c,
            apply,
            |u| {
                vec![
                    to_i64(u.m_new.val()),
                    to_i64(u.u_new.val()),
                    u.mu_valid.val() as i64,
                    to_i64(u.w_new.val()),
                    to_i64(u.w_bar_new.val()),
                    to_i64(u.lambda_new.val()),
                    u.out_valid.val() as i64,
                ]
            },
            &rows(case),
        );
        check(&format!("rust-hdl #{k}"), case, &out);
    }
}

#[test]
fn param_update_verilog_matches_golden_in_icarus() {
    if !iverilog_available("param_update_verilog_matches_golden_in_icarus") {
        return;
    }
    let dut = verilog_of(ParamUpdate::new());
    for (k, case) in cases().iter().enumerate() {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("param_update_{k}"));
        let out = run_icarus(&dir, &dut, &INPUTS, &OUTPUTS, &rows(case));
        check(&format!("icarus #{k}"), case, &out);
    }
}
