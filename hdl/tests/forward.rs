//! `ForwardStep<B, L>` (L weight lanes, up to B streams) against `Kernel::forward` over whole
//! sequences: for random networks, weight scales, lane counts and run-time batches of
//! independent input sequences, the test bench loads the weights into the lanes' banks (through
//! `Banking`), then for every step writes each stream's input x and pulses `start`; after the
//! step it reads back, through the read-back port, every stream's new state (u, b, s, o),
//! the previous state the unit kept (u, b, s, o of the step before) and the trace the backward
//! step will need (v, theta, I, alpha, rho, J, alpha^o, x). Every value must equal the golden
//! trace of its stream and step, and every step must take the cycles of
//! `step_cycles`. In rust-hdl's simulator and on the generated Verilog, on the same input
//! rows: in Verilator for every configuration, in Icarus (4-state) for those of up to 8 lanes.

use fptt_hdl::forward::{config_writes, rd, step_cycles, Banking, ForwardStep};
use fptt_hdl::lint::verilator_available;
use fptt_hdl::verify::{
    iverilog_available, on_big_stack, run_icarus, run_rust_hdl, run_verilator, verilog_of, Port, Rng,
};
use fptt_hdl::word::{to_i64, to_signed};
use fptt_sim::fixed::model::{FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Shape};

/// Steps per sequence.
const STEPS: usize = 50;

/// One test sequence: the configuration, the input rows and what to expect.
struct Sequence {
    /// The shape the unit is built for, and the shape it runs (configured by the host).
    built: Shape,
    shape: Shape,
    /// Lanes and streams of the unit (synthesis time) and streams run (run time).
    lanes: usize,
    max_streams: usize,
    streams: usize,
    rows: Vec<Vec<i64>>,
    /// Row index of every step's `start` pulse.
    starts: Vec<usize>,
    /// Read-back rows: (row, expected code, what).
    reads: Vec<(usize, i64, String)>,
    /// Spikes in the golden traces, and neuron updates.
    spikes: usize,
    updates: usize,
}

/// An input row: host write (we, sel, lane, addr, data), start, last_stream, read-back (vec, lane, addr).
fn row(host: [i64; 5], start: i64, last_stream: i64, rd: [i64; 3]) -> Vec<i64> {
    let mut r = host.to_vec();
    r.extend([start, last_stream]);
    r.extend(rd);
    r
}

/// Sequence `seed`: a random network of `shape`, weights within +-`scale` codes, on a unit of
/// `lanes` lanes and `max_streams` streams running `streams` independent input sequences.
fn sequence(seed: u64, shape: Shape, scale: i64, lanes: usize, max_streams: usize, streams: usize) -> Sequence {
    configured(seed, shape, shape, scale, lanes, max_streams, streams)
}

/// Like [`sequence`] on a unit built for `built` that the host first configures for `shape`.
fn configured(
    seed: u64,
    built: Shape,
    shape: Shape,
    scale: i64,
    lanes: usize,
    max_streams: usize,
    streams: usize,
) -> Sequence {
    let n = Numerics::DEFAULT;
    let kernel = Kernel::new(n);
    let mut rng = Rng::new(seed);
    let layout = Layout::new(shape);
    let bank = Banking::new(shape, lanes);
    let last = streams as i64 - 1;
    let w: Vec<i32> = (0..layout.len()).map(|_| rng.range(-scale, scale - 1) as i32).collect();
    let mut rows: Vec<Vec<i64>> = vec![];
    if built != shape {
        rows.extend(config_writes(shape, lanes).into_iter().map(|(a, v)| row([1, 2, 0, a as i64, v], 0, last, [0; 3])));
    }
    rows.extend(w.iter().enumerate().map(|(i, &v)| {
        let (lane, addr) = bank.weight(i);
        row([1, 0, lane as i64, addr as i64, v as i64], 0, last, [0; 3])
    }));
    let mut st = vec![FixedState::initial(shape, &n); streams];
    let (mut starts, mut reads, mut spikes) = (vec![], vec![], 0);
    let idle = step_cycles(shape, lanes, streams) + 2;
    for t in 0..STEPS {
        let mut trs = vec![];
        for (b, st) in st.iter_mut().enumerate() {
            let prev = st.clone();
            let x: Vec<i32> = (0..shape.inputs).map(|_| rng.code(18).clamp(-(1 << 16), 1 << 16) as i32).collect();
            rows.extend(x.iter().enumerate().map(|(j, &v)| {
                let (lane, addr) = bank.vector(b, j);
                row([1, 1, lane as i64, addr as i64, v as i64], 0, last, [0; 3])
            }));
            let mut tr = FixedTrace::default();
            kernel.forward(&layout, &w, st, &x, &mut tr);
            st.advance(&tr);
            spikes += tr.s.iter().filter(|&&s| s != 0).count();
            trs.push((prev, tr));
        }
        starts.push(rows.len());
        rows.push(row([0; 5], 1, last, [0; 3]));
        rows.extend(std::iter::repeat_n(row([0; 5], 0, last, [0; 3]), idle));
        for (b, (prev, tr)) in trs.iter().enumerate() {
            let vecs = [
                (rd::U, &tr.u, "u"),
                (rd::B, &tr.b, "b"),
                (rd::S, &tr.s, "s"),
                (rd::O, &tr.o, "o"),
                (rd::U_PREV, &prev.u, "u_prev"),
                (rd::B_PREV, &prev.b, "b_prev"),
                (rd::S_PREV, &prev.s, "s_prev"),
                (rd::O_PREV, &prev.o, "o_prev"),
                (rd::V, &tr.v, "v"),
                (rd::THETA, &tr.theta, "theta"),
                (rd::CURRENT, &tr.current, "I"),
                (rd::ALPHA, &tr.alpha, "alpha"),
                (rd::RHO, &tr.rho, "rho"),
                (rd::J, &tr.j, "J"),
                (rd::ALPHA_O, &tr.alpha_o, "alpha^o"),
                (rd::X, &tr.x, "x"),
            ];
            for (code, v, name) in vecs {
                for (k, &want) in v.iter().enumerate() {
                    let (lane, addr) = bank.vector(b, k);
                    reads.push((rows.len(), want as i64, format!("step {t} stream {b} {name}[{k}]")));
                    rows.push(row([0; 5], 0, last, [code as i64, lane as i64, addr as i64]));
                }
            }
        }
    }
    let updates = STEPS * streams * shape.hidden;
    Sequence { built, shape, lanes, max_streams, streams, rows, starts, reads, spikes, updates }
}

/// The configurations: (I, H, C), weight scale, L, B, streams run. H below, at and above L;
/// one run-time batch below B; one run-time shape below the built one.
fn sequences() -> Vec<Sequence> {
    let s = |i, h, c| Shape::new(i, h, c).unwrap();
    vec![
        sequence(1, s(3, 6, 2), 1 << 11, 1, 1, 1),
        sequence(2, s(5, 8, 3), 1 << 12, 4, 2, 2),
        sequence(3, s(2, 5, 1), 1 << 14, 8, 3, 3),
        sequence(4, s(4, 20, 3), 1 << 12, 16, 4, 3),
        sequence(5, s(3, 40, 5), 1 << 11, 32, 2, 2),
        configured(6, s(6, 24, 4), s(3, 13, 2), 1 << 12, 4, 2, 2),
    ]
}

/// Runs `$body` with `$u` bound to a fresh unit of the sequence's (B, L).
macro_rules! with_unit {
    ($seq:expr, |$u:ident| $body:expr) => {
        match ($seq.max_streams, $seq.lanes) {
            (1, 1) => {
                let $u = ForwardStep::<1, 1>::new($seq.built);
                $body
            }
            (2, 4) => {
                let $u = ForwardStep::<2, 4>::new($seq.built);
                $body
            }
            (3, 8) => {
                let $u = ForwardStep::<3, 8>::new($seq.built);
                $body
            }
            (4, 16) => {
                let $u = ForwardStep::<4, 16>::new($seq.built);
                $body
            }
            (2, 32) => {
                let $u = ForwardStep::<2, 32>::new($seq.built);
                $body
            }
            other => panic!("no instance for (B, L) = {other:?}"),
        }
    };
}

const INPUTS: [Port; 10] = [
    Port::unsigned("host_we", 1),
    Port::unsigned("host_sel", 2),
    Port::unsigned("host_lane", 5),
    Port::unsigned("host_addr", 12),
    Port::signed("host_data", 18),
    Port::unsigned("start", 1),
    Port::unsigned("last_stream", 4),
    Port::unsigned("rd_vec", rd::BITS),
    Port::unsigned("rd_lane", 5),
    Port::unsigned("rd_addr", 10),
];

const OUTPUTS: [Port; 2] = [Port::unsigned("busy", 1), Port::signed("rd_data", 18)];

/// Checks every step's duration and every read-back value; returns the cycles per step.
fn check(what: &str, seq: &Sequence, out: &[Vec<Option<i64>>]) -> usize {
    let want = step_cycles(seq.shape, seq.lanes, seq.streams);
    for (t, &start) in seq.starts.iter().enumerate() {
        let step = &out[start..start + want + 3];
        let busy = step.iter().take_while(|r| r[0] == Some(1)).count();
        assert!(step[busy..].iter().all(|r| r[0] == Some(0)), "{what}: step {t} busy window");
        assert_eq!(busy, want, "{what}: step {t} cycles");
    }
    for (r, want, name) in &seq.reads {
        assert_eq!(out[*r][1], Some(*want), "{what}: read-back {name}");
    }
    assert!(seq.spikes > 0 && seq.spikes < seq.updates, "{what}: spike mix {} of {}", seq.spikes, seq.updates);
    println!(
        "forward {what}: shape {:?} (unit built for {:?}), L = {}, B = {} ({} run): {STEPS} steps, {} read-back \
         values (state, previous state and trace of every stream and step, {} spikes in {} neuron updates) bit-exact; {want} cycles/step",
        (seq.shape.inputs, seq.shape.hidden, seq.shape.outputs),
        (seq.built.inputs, seq.built.hidden, seq.built.outputs),
        seq.lanes,
        seq.max_streams,
        seq.streams,
        seq.reads.len(),
        seq.spikes,
        seq.updates,
    );
    want
}

#[test]
fn forward_rust_hdl_matches_golden_sequences() {
    for seq in sequences() {
        let out = on_big_stack(|| with_unit!(seq, |uut| rust_hdl_rows(uut, &seq.rows)));
        check("rust-hdl", &seq, &out);
    }
}

fn rust_hdl_rows<const B: usize, const L: usize>(
    mut uut: ForwardStep<B, L>,
    rows: &[Vec<i64>],
) -> Vec<Vec<Option<i64>>> {
    run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.host_we.next = r[0] != 0;
            u.host_sel.next = (r[1] as u64).into();
            u.host_lane.next = (r[2] as u64).into();
            u.host_addr.next = (r[3] as u64).into();
            u.host_data.next = to_signed(r[4]);
            u.start.next = r[5] != 0;
            u.last_stream.next = (r[6] as u64).into();
            u.rd_vec.next = (r[7] as u64).into();
            u.rd_lane.next = (r[8] as u64).into();
            u.rd_addr.next = (r[9] as u64).into();
        },
        |u| vec![u.busy.val() as i64, to_i64(u.rd_data.val())],
        rows,
    )
}

/// Lanes up to which the Icarus cross-check runs (a 16-lane unit takes minutes per sequence in
/// Icarus; Verilator runs every configuration).
const ICARUS_MAX_LANES: usize = 8;

#[test]
fn forward_verilog_matches_golden_sequences_in_icarus() {
    if !iverilog_available("forward_verilog_matches_golden_sequences_in_icarus") {
        return;
    }
    for (i, seq) in sequences().iter().enumerate().filter(|(_, s)| s.lanes <= ICARUS_MAX_LANES) {
        let dut = on_big_stack(|| with_unit!(seq, |uut| verilog_of(uut)));
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("forward_icarus_{i}"));
        let out = run_icarus(&dir, &dut, &INPUTS, &OUTPUTS, &seq.rows);
        check("icarus", seq, &out);
    }
}

#[test]
fn forward_verilog_matches_golden_sequences_in_verilator() {
    if !verilator_available("forward_verilog_matches_golden_sequences_in_verilator") {
        return;
    }
    for (i, seq) in sequences().iter().enumerate() {
        let dut = on_big_stack(|| with_unit!(seq, |uut| verilog_of(uut)));
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("forward_verilator_{i}"));
        let out = run_verilator(&dir, &dut, &INPUTS, &OUTPUTS, &seq.rows);
        check("verilator", seq, &out);
    }
}
