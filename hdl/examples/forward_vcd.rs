//! Dumps a VCD waveform of one forward step of `ForwardStep`, simulated in rust-hdl: the host
//! loads a small random network (seeded) into the lanes' banks and one input vector per
//! stream, pulses `start` and waits until `busy` drops.
//!
//! ```text
//! cargo run -p fptt-hdl --example forward_vcd -- out.vcd    # default: target/forward_step.vcd
//! gtkwave out.vcd
//! ```
//!
//! The unit's signals sit under the scope `uut`, its children under `uut.<field>` (arrays of
//! blocks as `lane$0`, `lane$1`, ..). Time is in ps, one clock cycle is [`PERIOD_PS`]. Inputs
//! change at the falling edge, registers take them at the rising edge in mid-cycle.

use fptt_hdl::forward::{host, Banking, ForwardStep};
use fptt_hdl::rust_hdl::core::vcd_probe::VCDProbe;
use fptt_hdl::rust_hdl::prelude::*;
use fptt_hdl::verify::{settle, Rng};
use fptt_hdl::word::to_signed;
use fptt_sim::fixed::model::{FixedState, FixedTrace, Kernel};
use fptt_sim::fixed::Numerics;
use fptt_sim::model::{Layout, Shape};
use std::io::Write;

/// Streams (all of them run) and weight lanes of the unit.
const STREAMS: usize = 2;
const LANES: usize = 4;
/// One clock cycle in the VCD (rust-hdl's VCD timescale is 1 ps): 10 ns.
const PERIOD_PS: u64 = 10_000;
/// Give up if `busy` is still high after this many cycles.
const MAX_CYCLES: usize = 100_000;

/// What the host drives in one clock cycle.
#[derive(Clone, Copy, Default)]
struct Host {
    we: bool,
    sel: u64,
    lane: u64,
    addr: u64,
    data: i64,
    start: bool,
}

/// The unit under test; adapt here (and in [`unit`]) when its parameters change.
type Unit = ForwardStep<STREAMS, LANES>;

/// The unit for `shape`.
fn unit(shape: Shape) -> Unit {
    ForwardStep::new(shape)
}

/// Drives the unit's inputs for one cycle; adapt here when the port list changes.
fn apply(u: &mut Unit, h: Host) {
    u.host_we.next = h.we;
    u.host_sel.next = h.sel.into();
    u.host_lane.next = h.lane.into();
    u.host_addr.next = h.addr.into();
    u.host_data.next = to_signed(h.data);
    u.last_stream.next = (STREAMS as u64 - 1).into();
    u.start.next = h.start;
    u.rd_vec.next = 0.into();
    u.rd_lane.next = 0.into();
    u.rd_addr.next = 0.into();
}

/// A random network of `shape` (weights within +-2^11 codes) and one input vector per stream,
/// seeded: the host's writes (weights, then inputs, placed by [`Banking`]), and stream 0's
/// golden step.
fn stimulus(shape: Shape, seed: u64) -> (Vec<Host>, FixedTrace) {
    let n = Numerics::DEFAULT;
    let layout = Layout::new(shape);
    let bank = Banking::new(shape, LANES);
    let mut rng = Rng::new(seed);
    let w: Vec<i32> = (0..layout.len()).map(|_| rng.range(-(1 << 11), (1 << 11) - 1) as i32).collect();
    let mut writes: Vec<Host> = w
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let (lane, addr) = bank.weight(i);
            // W (27 bits) whose 18-bit multiplier operand is v
            let data = (v as i64) << (n.weight.frac - n.weight_operand().frac);
            Host { we: true, lane: lane as u64, addr: addr as u64, data, ..Host::default() }
        })
        .collect();
    let mut golden = None;
    for b in 0..STREAMS {
        let x: Vec<i32> = (0..shape.inputs).map(|_| rng.code(18).clamp(-(1 << 16), 1 << 16) as i32).collect();
        writes.extend(x.iter().enumerate().map(|(j, &v)| {
            let (lane, addr) = bank.vector(b, j);
            Host { we: true, sel: host::INPUT, lane: lane as u64, addr: addr as u64, data: v as i64, start: false }
        }));
        let mut tr = FixedTrace::default();
        Kernel::new(n).forward(&layout, &w, &FixedState::initial(shape, &n), &x, &mut tr);
        golden.get_or_insert(tr);
    }
    (writes, golden.expect("one stream at least"))
}

/// One clock cycle from time `t`: the inputs change with the falling edge, the registers take
/// them at the rising edge half a period later; both instants go to the VCD.
fn cycle<W: Write>(uut: &mut Unit, h: Host, t: u64, mut vcd: VCDProbe<W>) -> VCDProbe<W> {
    uut.clock.next = Clock { clk: false };
    apply(uut, h);
    settle(uut);
    vcd.timestamp(t).expect("write VCD");
    vcd = write_vcd_change(vcd, uut);
    uut.clock.next = Clock { clk: true };
    settle(uut);
    vcd.timestamp(t + PERIOD_PS / 2).expect("write VCD");
    write_vcd_change(vcd, uut)
}

/// Simulates `writes`, a `start` pulse and the step until `busy` drops, writing every signal's
/// changes to `out` as VCD; returns the cycle of the `start` pulse and the step's cycles.
fn simulate_step<W: Write>(uut: &mut Unit, writes: &[Host], out: W) -> (usize, usize) {
    uut.connect_all();
    let mut vcd = write_vcd_header(out, uut);
    vcd = write_vcd_dump(vcd, uut);
    let mut n = 0;
    let mut step = |uut: &mut Unit, h: Host, vcd: VCDProbe<W>| {
        n += 1;
        cycle(uut, h, (n - 1) * PERIOD_PS, vcd)
    };
    for &h in writes {
        vcd = step(uut, h, vcd);
    }
    vcd = step(uut, Host { start: true, ..Host::default() }, vcd);
    let mut busy = 0;
    while uut.busy.val() {
        busy += 1;
        assert!(busy < MAX_CYCLES, "busy for {MAX_CYCLES} cycles");
        vcd = step(uut, Host::default(), vcd);
    }
    for _ in 0..4 {
        vcd = step(uut, Host::default(), vcd);
    }
    (writes.len(), busy)
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "target/forward_step.vcd".into());
    let shape = Shape::new(3, 6, 2).expect("shape");
    let (writes, golden) = stimulus(shape, 1);
    let mut vcd = vec![];
    let (start, cycles) = simulate_step(&mut unit(shape), &writes, &mut vcd);
    let path = std::path::Path::new(&path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    }
    std::fs::write(path, vcd).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    let path = path.display();
    let ns = |cycle: usize| cycle as u64 * PERIOD_PS / 1000;
    println!(
        "wrote {path}: ForwardStep<{STREAMS}, {LANES}>, shape {:?}: {} host writes, start at {} ns (cycle {start}), \
         busy for {cycles} cycles until {} ns",
        (shape.inputs, shape.hidden, shape.outputs),
        writes.len(),
        ns(start),
        ns(start + cycles)
    );
    println!("stream 0 golden step: s = {:?}, u = {:?}, o = {:?}", golden.s, golden.u, golden.o);
    println!(
        "open it with: gtkwave {path}\n  look at uut: clock, start, busy, phase.q (phase 0-6), r.q (row of a lane), \
         j.q (term), b.q (stream), wvalid; per lane l, uut.lane$l: mac (w, a, slot, valid, last, y, y_valid), \
         neuron (out_valid, b, s, u, v), u_ram and o_ram (write_enable, write_address, write_data)"
    );
}
