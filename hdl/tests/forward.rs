//! `ForwardStep<B>` (one weight lane, B streams) against `Kernel::forward` over whole
//! sequences: for random networks, weight scales and B independent input sequences, the test
//! bench loads the weights into the unit's RAM, then for every step writes the B inputs x and
//! pulses `start`. Stream 0's new b, s, u, v of every neuron and new o are checked as the unit
//! presents them (`obs_*`); after the step, the test bench reads back every stream's u, b, s
//! and o through the read-back port. Every value must equal the golden trace of its stream and
//! step. In rust-hdl's simulator and in Icarus Verilog, on the same input rows.

use fptt_hdl::forward::{rd, step_cycles, ForwardStep};
use fptt_hdl::rust_hdl::prelude::*;
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, Port, Rng};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::{FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Shape};

/// Steps per sequence.
const STEPS: usize = 50;

/// One test sequence: the shape, the input rows and the golden traces of every step.
struct Sequence {
    shape: Shape,
    streams: usize,
    rows: Vec<Vec<i64>>,
    /// Stream 0's traces.
    traces: Vec<FixedTrace>,
    /// Row index of every step's `start` pulse.
    starts: Vec<usize>,
    /// Read-back rows: (row, expected code, what).
    reads: Vec<(usize, i64, String)>,
}

/// An input row: host write (we, sel, addr, data), start, host_stream, read-back (vec, stream, addr).
fn row(we: i64, sel: i64, addr: i64, data: i64, start: i64, stream: i64, rd: [i64; 3]) -> Vec<i64> {
    vec![we, sel, addr, data, start, stream, rd[0], rd[1], rd[2]]
}

/// Sequence `seed`: a random network of `shape`, weights within +-`scale` codes, `streams`
/// independent input sequences.
fn sequence(seed: u64, shape: Shape, scale: i64, streams: usize) -> Sequence {
    let n = Numerics::DEFAULT;
    let kernel = Kernel::new(n);
    let mut rng = Rng::new(seed);
    let layout = Layout::new(shape);
    let w: Vec<i32> = (0..layout.len()).map(|_| rng.range(-scale, scale - 1) as i32).collect();
    let mut rows: Vec<Vec<i64>> =
        w.iter().enumerate().map(|(i, &v)| row(1, 0, i as i64, v as i64, 0, 0, [0; 3])).collect();
    let mut st = vec![FixedState::initial(shape, &n); streams];
    let mut traces = vec![];
    let mut starts = vec![];
    let mut reads = vec![];
    let idle = step_cycles(shape) + 2;
    for t in 0..STEPS {
        let mut trs = vec![];
        for (b, st) in st.iter_mut().enumerate() {
            let x: Vec<i32> = (0..shape.inputs).map(|_| rng.code(18).clamp(-(1 << 16), 1 << 16) as i32).collect();
            rows.extend(x.iter().enumerate().map(|(j, &v)| row(1, 1, j as i64, v as i64, 0, b as i64, [0; 3])));
            let mut tr = FixedTrace::default();
            kernel.forward(&layout, &w, st, &x, &mut tr);
            st.advance(&tr);
            trs.push(tr);
        }
        starts.push(rows.len());
        rows.push(row(0, 0, 0, 0, 1, 0, [0; 3]));
        rows.extend(std::iter::repeat_n(row(0, 0, 0, 0, 0, 0, [0; 3]), idle));
        for (b, tr) in trs.iter().enumerate() {
            let vecs = [(rd::U, &tr.u, "u"), (rd::B, &tr.b, "b"), (rd::S, &tr.s, "s"), (rd::O, &tr.o, "o")];
            for (code, v, name) in vecs {
                for (k, &want) in v.iter().enumerate() {
                    reads.push((rows.len(), want as i64, format!("step {t} stream {b} {name}[{k}]")));
                    rows.push(row(0, 0, 0, 0, 0, 0, [code as i64, b as i64, k as i64]));
                }
            }
        }
        traces.push(trs.swap_remove(0));
    }
    Sequence { shape, streams, rows, traces, starts, reads }
}

fn sequences() -> Vec<Sequence> {
    vec![
        sequence(1, Shape::new(3, 6, 2).unwrap(), 1 << 11, 1),
        sequence(2, Shape::new(5, 8, 3).unwrap(), 1 << 12, 2),
        sequence(3, Shape::new(2, 5, 1).unwrap(), 1 << 14, 3),
    ]
}

const INPUTS: [Port; 9] = [
    Port::unsigned("host_we", 1),
    Port::unsigned("host_sel", 1),
    Port::unsigned("host_addr", 11),
    Port::signed("host_data", 18),
    Port::unsigned("start", 1),
    Port::unsigned("host_stream", 4),
    Port::unsigned("rd_vec", 2),
    Port::unsigned("rd_stream", 4),
    Port::unsigned("rd_addr", 6),
];

const OUTPUTS: [Port; 9] = [
    Port::unsigned("busy", 1),
    Port::unsigned("obs_n", 1),
    Port::unsigned("obs_o", 1),
    Port::unsigned("obs_idx", 6),
    Port::signed("n_b", 18),
    Port::unsigned("n_s", 1),
    Port::signed("n_u", 18),
    Port::signed("n_v", 18),
    Port::signed("rd_data", 18),
];

/// Checks every observed value of every step; returns (cycles per step, spikes seen).
fn check(what: &str, seq: &Sequence, out: &[Vec<Option<i64>>]) -> (usize, usize) {
    let (h, c) = (seq.shape.hidden, seq.shape.outputs);
    let mut spikes = 0;
    let mut cycles = 0;
    for (t, tr) in seq.traces.iter().enumerate() {
        let start = seq.starts[t];
        let end = seq.starts.get(t + 1).copied().unwrap_or(out.len());
        let step = &out[start..end.min(start + step_cycles(seq.shape) + 3)];
        let busy = step.iter().take_while(|r| r[0] == Some(1)).count();
        assert!(busy > 0 && step[busy..].iter().all(|r| r[0] == Some(0)), "{what}: step {t} busy window");
        if t == 0 {
            cycles = busy;
        }
        assert_eq!(busy, cycles, "{what}: step {t} takes as long as step 0");
        let neurons: Vec<&Vec<Option<i64>>> = step.iter().filter(|r| r[1] == Some(1)).collect();
        let outs: Vec<&Vec<Option<i64>>> = step.iter().filter(|r| r[2] == Some(1)).collect();
        assert_eq!((neurons.len(), outs.len()), (h, c), "{what}: step {t} result counts");
        for (k, r) in neurons.iter().enumerate() {
            let want = [k as i64, tr.b[k] as i64, tr.s[k] as i64, tr.u[k] as i64, tr.v[k] as i64];
            let got: Vec<Option<i64>> = r[3..8].to_vec();
            assert_eq!(got, want.map(Some).to_vec(), "{what}: step {t} neuron {k} [idx, b, s, u, v]");
            spikes += tr.s[k] as usize;
        }
        for (k, r) in outs.iter().enumerate() {
            assert_eq!((r[3], r[7]), (Some(k as i64), Some(tr.o[k] as i64)), "{what}: step {t} output {k} [idx, o]");
        }
    }
    for (r, want, name) in &seq.reads {
        assert_eq!(out[*r][8], Some(*want), "{what}: read-back {name}");
    }
    (cycles, spikes)
}

fn summary(what: &str, seq: &Sequence, cycles: usize, spikes: usize) {
    let (h, c) = (seq.shape.hidden, seq.shape.outputs);
    let neurons = STEPS * h;
    assert!(spikes > 0 && spikes < neurons, "{what}: spike mix {spikes} of {neurons}");
    println!(
        "forward {what}: shape {:?}, B = {}: {STEPS} steps; stream 0: {neurons} neuron updates ({spikes} spikes), \
         {} outputs bit-exact as presented; {} read-back values (u, b, s, o of every stream and step) \
         bit-exact; {cycles} cycles/step (model {})",
        (seq.shape.inputs, h, c),
        seq.streams,
        STEPS * c,
        seq.reads.len(),
        step_cycles(seq.shape)
    );
}

#[test]
fn forward_rust_hdl_matches_golden_sequences() {
    for seq in sequences() {
        let out = match seq.streams {
            1 => rust_hdl_rows(ForwardStep::<1>::new(seq.shape), &seq.rows),
            2 => rust_hdl_rows(ForwardStep::<2>::new(seq.shape), &seq.rows),
            3 => rust_hdl_rows(ForwardStep::<3>::new(seq.shape), &seq.rows),
            b => panic!("no instance for B = {b}"),
        };
        let (cycles, spikes) = check("rust-hdl", &seq, &out);
        assert_eq!(cycles, step_cycles(seq.shape), "cycle model");
        summary("rust-hdl", &seq, cycles, spikes);
    }
}

fn rust_hdl_rows<const B: usize>(mut uut: ForwardStep<B>, rows: &[Vec<i64>]) -> Vec<Vec<Option<i64>>> {
    let out = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.host_we.next = r[0] != 0;
            u.host_sel.next = r[1] != 0;
            u.host_addr.next = (r[2] as u64).into();
            u.host_data.next = to_signed(r[3]);
            u.start.next = r[4] != 0;
            u.host_stream.next = (r[5] as u64).into();
            u.rd_vec.next = (r[6] as u64).into();
            u.rd_stream.next = (r[7] as u64).into();
            u.rd_addr.next = (r[8] as u64).into();
        },
        |u| {
            vec![
                u.busy.val() as i64,
                u.obs_n.val() as i64,
                u.obs_o.val() as i64,
                u.obs_idx.val().index() as i64,
                to_i64(u.n_b.val()),
                u.n_s.val() as i64,
                to_i64(u.n_u.val()),
                to_i64(u.n_v.val()),
                to_i64(u.rd_data.val()),
            ]
        },
        rows,
    );
    out.into_iter().map(|r| r.into_iter().map(Some).collect()).collect()
}

#[test]
fn forward_verilog_matches_golden_sequences_in_icarus() {
    if !iverilog_available("forward_verilog_matches_golden_sequences_in_icarus") {
        return;
    }
    for (i, seq) in sequences().iter().enumerate() {
        let dut = match seq.streams {
            1 => verilog(ForwardStep::<1>::new(seq.shape)),
            2 => verilog(ForwardStep::<2>::new(seq.shape)),
            3 => verilog(ForwardStep::<3>::new(seq.shape)),
            b => panic!("no instance for B = {b}"),
        };
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("forward_{i}"));
        let out = run_icarus(&dir, &dut, &INPUTS, &OUTPUTS, &seq.rows);
        let (cycles, spikes) = check("icarus", seq, &out);
        summary("icarus", seq, cycles, spikes);
    }
}

fn verilog<const B: usize>(mut uut: ForwardStep<B>) -> String {
    uut.connect_all();
    generate_verilog(&uut)
}
