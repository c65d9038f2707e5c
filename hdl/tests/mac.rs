//! `Mac` against the golden forward step: a random network runs one `Kernel::forward`, then
//! the lane computes every neuron's input current I and gate pre-activation z_m from the same
//! weights and state; I must equal the trace's I and sigmoid(z_m) the trace's alpha. Both in
//! rust-hdl's simulator and in Icarus Verilog, on the same term streams. z_a (mixed scales:
//! the W_a x I terms are shifted up by 4 inside the lane) is checked likewise against the
//! golden line, and sigmoid of it against the trace's rho. Half the networks run on lanes
//! with one fixed rounding per dot-product kind; the other half on one lane with three
//! selectable roundings (14, 12, 16), the I, z_m and z_a dot products interleaved. Dot
//! products alternate between two accumulator slots, and half of them take their spike and
//! bias terms as gated additions that bypass the multiplier (`ForwardStep` tests slots
//! interleaved term by term).

use fptt_hdl::mac::{Mac, MAC_LATENCY};
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::{FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Shape, Tensor};

/// Random networks (each gives H dot products for I and H for z_m).
const NETWORKS: usize = 40;

/// One dot product as the lane sees it, and what the golden model says it narrows to.
struct Job {
    /// (weight, activation, shifted up).
    terms: Vec<(i64, i64, bool)>,
    want: i64,
    /// The rounding a selectable lane uses (0: I, 1: z_m, 2: z_a).
    sel: i64,
    /// Terms from this index on are spikes or the bias: w x (0 or 2^f), which the lane may
    /// take as gated additions.
    gated_from: usize,
}

/// Job streams of one random network: (I jobs, z_m jobs, z_a jobs, trace). `scale` bounds weight codes
/// (1 << 17 for the full range, which saturates often; smaller for realistic values).
fn network(rng: &mut Rng, scale: i64) -> (Vec<Job>, Vec<Job>, Vec<Job>, FixedTrace, Kernel) {
    let n = Numerics::DEFAULT;
    let kernel = Kernel::new(n);
    let f = kernel.f;
    let shape = Shape::new(rng.range(1, 16) as usize, rng.range(1, 32) as usize, rng.range(1, 3) as usize).unwrap();
    let (ni, h) = (shape.inputs, shape.hidden);
    let layout = Layout::new(shape);
    let wop = n.weight_operand();
    let w: Vec<i32> =
        (0..layout.len()).map(|_| rng.code(18).clamp(-scale, scale - 1).clamp(wop.min(), wop.max()) as i32).collect();
    let mut st = FixedState::initial(shape, &n);
    for k in 0..h {
        st.u[k] = rng.code(18) as i32;
        st.s[k] = (rng.next_u64() & 1) as i32;
        st.b[k] = rng.range(0, n.gate.one()) as i32;
    }
    let x: Vec<i32> = (0..ni).map(|_| rng.code(18) as i32).collect();
    let mut tr = FixedTrace::default();
    kernel.forward(&layout, &w, &st, &x, &mut tr);
    let t = |name| &w[layout.range(name)];
    let (w_in, w_rec, b_i, w_m, c_m) = (t(Tensor::WIn), t(Tensor::WRec), t(Tensor::BI), t(Tensor::WM), t(Tensor::CM));
    let (w_a, c_a) = (t(Tensor::WA), t(Tensor::CA));
    let one_x = 1i64 << f.x;
    let one_s = 1i64 << f.s;
    let one_g = 1i64 << f.g;
    let mut currents = vec![];
    let mut zms = vec![];
    let mut zas = vec![];
    for k in 0..h {
        // I = W_in x + W_rec (s 2^fx) + b_I 2^fx
        let mut terms: Vec<(i64, i64, bool)> = (0..ni).map(|j| (w_in[k * ni + j] as i64, x[j] as i64, false)).collect();
        terms.extend((0..h).map(|j| (w_rec[k * h + j] as i64, st.s[j] as i64 * one_x, false)));
        terms.push((b_i[k] as i64, one_x, false));
        currents.push(Job { terms, want: tr.current[k] as i64, sel: 0, gated_from: ni });
        // z_m = W_m [I; u_prev] + c_m 2^fs; the trace holds sigma(z_m) only, so the expected
        // z_m is the golden line recomputed (and sigma of the lane's z_m is checked against
        // the trace's alpha).
        let wm = &w_m[2 * h * k..2 * h * (k + 1)];
        let mut terms: Vec<(i64, i64, bool)> = (0..h).map(|j| (wm[j] as i64, tr.current[j] as i64, false)).collect();
        terms.extend((0..h).map(|j| (wm[h + j] as i64, st.u[j] as i64, false)));
        terms.push((c_m[k] as i64, one_s, false));
        let exact: i64 = terms.iter().map(|&(a, b, _)| a * b).sum();
        zms.push(Job { terms, want: n.state.from_scaled(exact, f.w + f.s), sel: 1, gated_from: 2 * h });
        // z_a = W_a [I; b_prev] + c_a 2^fg at w + g fraction bits: the I terms shifted up
        let wa = &w_a[2 * h * k..2 * h * (k + 1)];
        let mut terms: Vec<(i64, i64, bool)> = (0..h).map(|j| (wa[j] as i64, tr.current[j] as i64, true)).collect();
        terms.extend((0..h).map(|j| (wa[h + j] as i64, st.b[j] as i64, false)));
        terms.push((c_a[k] as i64, one_g, false));
        let exact: i64 = terms.iter().map(|&(a, b, u)| (a * b) << if u { f.g - f.s } else { 0 }).sum();
        zas.push(Job { terms, want: n.state.from_scaled(exact, f.w + f.g), sel: 2, gated_from: 2 * h });
    }
    (currents, zms, zas, tr, kernel)
}

/// Input rows (w, a, valid, first, last, up, sel, slot, gated) for `jobs` (job k in slot k mod 2), with random idle cycles between and
/// inside dot products, then flush rows.
fn rows(jobs: &[Job], rng: &mut Rng) -> Vec<Vec<i64>> {
    let mut r = vec![];
    for (k, job) in jobs.iter().enumerate() {
        let n = job.terms.len();
        // half the dot products take their spike and bias terms as gated additions
        let gate = rng.range(0, 1) == 1;
        for (i, &(w, a, up)) in job.terms.iter().enumerate() {
            while rng.range(0, 4) == 0 {
                // an idle cycle with garbage operands: must be ignored
                let g = |rng: &mut Rng| rng.range(0, 1);
                r.push(vec![rng.code(18), rng.code(18), 0, g(rng), g(rng), g(rng), rng.range(0, 3), g(rng), g(rng)]);
            }
            // sel matters with the last term and gated terms only: garbage elsewhere
            let gated = gate && i >= job.gated_from;
            let sel = if i == n - 1 || gated { job.sel } else { rng.range(0, 3) };
            r.push(vec![w, a, 1, (i == 0) as i64, (i == n - 1) as i64, up as i64, sel, k as i64 % 2, gated as i64]);
        }
    }
    r.extend(std::iter::repeat_n(vec![0; 9], MAC_LATENCY));
    r
}

/// The results the lane flagged valid, in order.
fn results(out: &[Vec<Option<i64>>]) -> Vec<Option<i64>> {
    out.iter().filter(|r| r[1] == Some(1)).map(|r| r[0]).collect()
}

/// One test case: (name, jobs, the lane's requant shifts, up shift).
type Case = (String, Vec<Job>, [u32; 3], u32);

/// The test cases: I, z_m and z_a for several networks; and the number of sigmoid checks.
fn cases() -> (Vec<Case>, usize) {
    let f = Kernel::new(Numerics::DEFAULT).f;
    let mut rng = Rng::new(4);
    let mut out = vec![];
    let mut alpha_checked = 0;
    for net in 0..NETWORKS {
        let scale = if net % 4 == 0 { 1 << 17 } else { 1 << (6 + net % 6) };
        let (currents, zms, zas, tr, kernel) = network(&mut rng, scale);
        // sigma of the expected z_m is the trace's alpha: the z_m recomputation is the golden one
        for (k, job) in zms.iter().enumerate() {
            assert_eq!(kernel.tables.sigmoid(job.want), tr.alpha[k] as i64, "z_m recomputation, neuron {k}");
            alpha_checked += 1;
        }
        for (k, job) in zas.iter().enumerate() {
            assert_eq!(kernel.tables.sigmoid(job.want), tr.rho[k] as i64, "z_a recomputation, neuron {k}");
            alpha_checked += 1;
        }
        let (si, sm, sa) = (f.w + f.x - f.s, f.w + f.s - f.s, f.w + f.g - f.s);
        if net % 2 == 0 {
            // fixed-rounding lanes; the I and z_m lanes get a random up amount: their terms
            // never set `up`
            out.push((format!("net {net} I"), currents, [si; 3], net as u32 % 5));
            out.push((format!("net {net} z_m"), zms, [sm; 3], 0));
            out.push((format!("net {net} z_a"), zas, [sa; 3], f.g - f.s));
        } else {
            // one lane, three roundings, the dot products interleaved
            let mut jobs = vec![];
            for ((i, m), a) in currents.into_iter().zip(zms).zip(zas) {
                jobs.extend([a, i, m]);
            }
            out.push((format!("net {net} mixed"), jobs, [si, sm, sa], f.g - f.s));
        }
    }
    (out, alpha_checked)
}

fn check(what: &str, name: &str, jobs: &[Job], got: &[Option<i64>]) -> (usize, usize) {
    assert_eq!(got.len(), jobs.len(), "{what}, {name}: one result per dot product");
    let mut sat = 0;
    for (k, (job, g)) in jobs.iter().zip(got).enumerate() {
        assert_eq!(*g, Some(job.want), "{what}, {name}: neuron {k}");
        sat += (job.want == (1 << 17) - 1 || job.want == -(1 << 17)) as usize;
    }
    (jobs.len(), sat)
}

/// The gated shifts: the fraction bits of x, the state and the gate (I, z_m, z_a terms).
fn gates() -> [u32; 3] {
    let f = Kernel::new(Numerics::DEFAULT).f;
    [f.x, f.s, f.g]
}

const INPUTS: [Port; 9] = [
    Port::signed("w", 18),
    Port::signed("a", 18),
    Port::unsigned("valid", 1),
    Port::unsigned("first", 1),
    Port::unsigned("last", 1),
    Port::unsigned("up", 1),
    Port::unsigned("sel", 2),
    Port::unsigned("slot", fptt_hdl::mac::SLOT_BITS),
    Port::unsigned("gated", 1),
];

fn rust_hdl_results(shifts: [u32; 3], up: u32, rows: &[Vec<i64>]) -> Vec<Option<i64>> {
    let mut uut = Mac::<2>::with_shifts(shifts, up).with_gates(gates());
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.w.next = to_signed(r[0]);
            u.a.next = to_signed(r[1]);
            u.valid.next = r[2] != 0;
            u.first.next = r[3] != 0;
            u.last.next = r[4] != 0;
            u.up.next = r[5] != 0;
            u.sel.next = (r[6] as u64).into();
            u.slot.next = (r[7] as u64).into();
            u.gated.next = r[8] != 0;
        },
        |u| vec![to_i64(u.y.val()), u.y_valid.val() as i64],
        rows,
    );
    results(&out)
}

#[test]
fn mac_rust_hdl_matches_golden_forward() {
    let (cases, alphas) = cases();
    let mut rng = Rng::new(44);
    let (mut total, mut sat) = (0, 0);
    for (name, jobs, shift, up) in &cases {
        let rows = rows(jobs, &mut rng);
        let got = rust_hdl_results(*shift, *up, &rows);
        let (t, s) = check("rust-hdl", name, jobs, &got);
        total += t;
        sat += s;
    }
    assert!(sat > 0 && sat < total, "some but not all results saturate ({sat} of {total})");
    println!("mac rust-hdl: {total} dot products ({sat} saturated) bit-exact; {alphas} alphas/rhos = sigmoid(z)");
}

#[test]
fn mac_verilog_matches_golden_forward_in_icarus() {
    if !iverilog_available("mac_verilog_matches_golden_forward_in_icarus") {
        return;
    }
    let (cases, _) = cases();
    let mut rng = Rng::new(44);
    let mut total = 0;
    for (k, (name, jobs, shift, up)) in cases.iter().enumerate() {
        let rows = rows(jobs, &mut rng);
        let dut = verilog_of(Mac::<2>::with_shifts(*shift, *up).with_gates(gates()));
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mac_{k}"));
        let out = run_icarus(&dir, &dut, &INPUTS, &[Port::signed("y", 18), Port::unsigned("y_valid", 1)], &rows);
        let got = results(&out);
        total += check("icarus", name, jobs, &got).0;
    }
    println!("mac icarus: {total} dot products bit-exact");
}
