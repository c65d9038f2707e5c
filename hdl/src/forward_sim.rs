//! Host-side drivers of [`ForwardStep`] under simulation: load the parameters through
//! [`Banking`], run inference or training steps of B streams, commit the average, reset the
//! state, read the state and the parameters back, count the cycles.
//!
//! [`ForwardDriver`] is what a host does with the unit; [`UnitPort`] is the unit's pins (a
//! host write, a `start`, a read-back), so one [`Host`] drives any simulator of it: rust-hdl's
//! cycle-accurate simulator ([`forward_driver`], here) or the generated Verilog in Verilator
//! ([`crate::verilator_driver`]). `fptt bench --backend rtl` measures with them; they hide the
//! unit's const parameters behind a run-time lane count.

use crate::forward::{
    check_fit, classify_step_cycles, commit_cycles, config_writes, host, rd, update_const_writes, Banking, ForwardStep,
    READ_LATENCY, RESET_CYCLES,
};
use crate::verify::{settle, tick};
use crate::word::{to_i64, to_signed};
use fptt_sim::fixed::update::{FixedParams, UpdateConsts};
use fptt_sim::model::Shape;
use rust_hdl::prelude::*;

/// Streams a driver's unit is built for: the smallest of these that holds the run-time batch
/// (the batch may be smaller).
pub const STREAM_CHOICES: [usize; 2] = [16, 64];

/// The largest batch a driver runs.
pub const MAX_STREAMS: usize = 64;

/// Lane counts [`forward_driver`] can build.
pub const LANE_CHOICES: [usize; 6] = [1, 2, 4, 8, 16, 32];

/// A forward-step unit under simulation.
pub trait ForwardDriver {
    /// Sets the run-time shape (at most the built shape in every dimension; before the first
    /// step, as the state banks hold the initial state of the built shape's layout).
    fn configure(&mut self, shape: Shape);
    /// Writes every parameter word's W, W-bar, lambda, m, u (golden flat layout) into a unit
    /// that has not run yet (its parameter banks are zero).
    fn load(&mut self, params: &FixedParams);
    /// Writes the update's constants.
    fn set_update(&mut self, c: &UpdateConsts);
    /// Runs one step of `x.len()` streams (each x of I input codes); returns the cycles from
    /// the `start` edge until `busy` fell.
    fn step(&mut self, x: &[Vec<i32>]) -> usize;
    /// Runs one training step: inputs x, targets y (C state codes) and step weights w_t (gain
    /// codes) of each stream; returns the cycles.
    fn train(&mut self, x: &[Vec<i32>], y: &[Vec<i32>], weights: &[i64]) -> usize;
    /// Runs one classification training step: inputs x, the class of each stream and step
    /// weights w_t; returns the cycles.
    fn train_classes(&mut self, x: &[Vec<i32>], labels: &[usize], weights: &[i64]) -> usize;
    /// Commits the average (W <- W-bar); returns the cycles.
    fn commit_average(&mut self) -> usize;
    /// Puts every stream back to the initial state; returns the cycles.
    fn reset_state(&mut self) -> usize;
    /// Reads parameter word `index`'s `vec` ([`rd::W`] ..= [`rd::U_ADAMAX`]).
    fn read_param(&mut self, vec: u64, index: usize) -> i64;
    /// Reads element `k` of vector `vec` ([`crate::forward::rd`] codes) of stream `stream`.
    fn read(&mut self, vec: u64, stream: usize, k: usize) -> i64;
}

/// What a `start` pulse runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A forward step.
    Infer,
    /// A training step (regression targets).
    Learn,
    /// A classification training step.
    LearnClasses,
    /// W <- W-bar.
    Commit,
    /// Every stream back to the initial state.
    Reset,
}

impl Command {
    /// (learn, commit, reset, classify) as the unit's inputs.
    pub fn flags(self) -> (bool, bool, bool, bool) {
        let classes = self == Command::LearnClasses;
        (self == Command::Learn || classes, self == Command::Commit, self == Command::Reset, classes)
    }
}

/// The unit's pins, one clock cycle per operation.
pub trait UnitPort {
    /// One cycle with a host write (`host_sel`, `host_lane`, `host_addr`, `host_data`).
    fn write(&mut self, sel: u64, lane: usize, addr: usize, data: i64);
    /// A `start` cycle running `command` on streams 0..=`last_stream`, then cycles until `busy`
    /// falls; returns those cycles, or None past `limit`.
    fn start(&mut self, last_stream: usize, command: Command, limit: usize) -> Option<usize>;
    /// [`READ_LATENCY`] cycles with a read-back request; returns `rd_data` after them.
    fn read(&mut self, vec: u64, lane: usize, addr: usize) -> i64;
}

/// A host driving a unit of `lanes` lanes and `streams` streams through its pins.
pub struct Host<P: UnitPort> {
    port: P,
    bank: Banking,
    shape: Shape,
    lanes: usize,
    streams: usize,
}

impl<P: UnitPort> Host<P> {
    /// A host of a fresh unit built for `shape` on `lanes` lanes and `streams` streams.
    pub fn new(port: P, shape: Shape, lanes: usize, streams: usize) -> Self {
        Self { port, bank: Banking::new(shape, lanes), shape, lanes, streams }
    }

    fn write(&mut self, sel: u64, (lane, addr): (usize, usize), code: i64) {
        self.port.write(sel, lane, addr, code);
    }

    fn run(&mut self, streams: usize, command: Command) -> usize {
        assert!((1..=self.streams).contains(&streams), "the unit runs 1..={} streams", self.streams);
        let limit = 4 * classify_step_cycles(self.shape, self.lanes, streams) + RESET_CYCLES + 100;
        self.port
            .start(streams - 1, command, limit)
            .unwrap_or_else(|| panic!("{command:?} did not finish within {limit} cycles"))
    }

    fn write_inputs(&mut self, x: &[Vec<i32>]) {
        for (b, xb) in x.iter().enumerate() {
            assert_eq!(xb.len(), self.shape.inputs, "input width");
            for (j, &v) in xb.iter().enumerate() {
                let slot = self.bank.vector(b, j);
                self.write(host::INPUT, slot, v as i64);
            }
        }
    }
}

impl<P: UnitPort> ForwardDriver for Host<P> {
    fn configure(&mut self, shape: Shape) {
        for (addr, v) in config_writes(shape, self.lanes) {
            self.write(host::CONFIG, (0, addr), v);
        }
        self.bank = Banking::new(shape, self.lanes);
        self.shape = shape;
    }

    fn load(&mut self, params: &FixedParams) {
        for i in 0..params.len() {
            let slot = self.bank.weight(i);
            let words = [
                (host::WEIGHT, params.w[i]),
                (host::W_BAR, params.w_bar[i]),
                (host::LAMBDA, params.lambda[i]),
                (host::M, params.m[i]),
                (host::U, params.u[i]),
            ];
            // (the banks start at zero: zero words need no write)
            for (sel, v) in words.into_iter().filter(|&(_, v)| v != 0) {
                self.write(sel, slot, v as i64);
            }
        }
    }

    fn set_update(&mut self, c: &UpdateConsts) {
        for (addr, v) in update_const_writes(c) {
            self.write(host::UPDATE_CONST, (0, addr), v);
        }
    }

    fn step(&mut self, x: &[Vec<i32>]) -> usize {
        self.write_inputs(x);
        self.run(x.len(), Command::Infer)
    }

    fn train(&mut self, x: &[Vec<i32>], y: &[Vec<i32>], weights: &[i64]) -> usize {
        assert!(y.len() == x.len() && weights.len() == x.len(), "one target and weight per stream");
        for (b, (yb, &wt)) in y.iter().zip(weights).enumerate() {
            assert_eq!(yb.len(), self.shape.outputs, "target width");
            for (k, &v) in yb.iter().enumerate() {
                let slot = self.bank.vector(b, k);
                self.write(host::TARGET, slot, v as i64);
            }
            self.write(host::STEP_WEIGHT, (0, b), wt);
        }
        self.write_inputs(x);
        self.run(x.len(), Command::Learn)
    }

    fn train_classes(&mut self, x: &[Vec<i32>], labels: &[usize], weights: &[i64]) -> usize {
        assert!(labels.len() == x.len() && weights.len() == x.len(), "one class and weight per stream");
        for (b, (&y, &wt)) in labels.iter().zip(weights).enumerate() {
            assert!(y < self.shape.outputs, "class {y} of {} outputs", self.shape.outputs);
            self.write(host::LABEL, (0, b), y as i64);
            self.write(host::STEP_WEIGHT, (0, b), wt);
        }
        self.write_inputs(x);
        self.run(x.len(), Command::LearnClasses)
    }

    fn commit_average(&mut self) -> usize {
        let cycles = self.run(1, Command::Commit);
        debug_assert_eq!(cycles, commit_cycles(self.shape, self.lanes));
        cycles
    }

    fn reset_state(&mut self) -> usize {
        self.run(1, Command::Reset)
    }

    fn read_param(&mut self, vec: u64, index: usize) -> i64 {
        assert!((rd::W..=rd::U_ADAMAX).contains(&vec), "a parameter read-back code");
        let (lane, addr) = self.bank.weight(index);
        self.port.read(vec, lane, addr)
    }

    fn read(&mut self, vec: u64, stream: usize, k: usize) -> i64 {
        let (lane, addr) = self.bank.vector(stream, k);
        self.port.read(vec, lane, addr)
    }
}

/// The unit in rust-hdl's simulator.
pub struct RustHdlPort<const B: usize, const L: usize> {
    uut: Box<ForwardStep<B, L>>,
}

impl<const B: usize, const L: usize> RustHdlPort<B, L> {
    /// A fresh unit built for `shape`.
    pub fn new(shape: Shape) -> Self {
        let mut uut = Box::new(ForwardStep::<B, L>::new(shape));
        uut.connect_all();
        uut.clock.next = Clock { clk: false };
        settle(uut.as_mut());
        Self { uut }
    }

    fn cycle(&mut self) {
        settle(self.uut.as_mut());
        tick(self.uut.as_mut(), &|u: &mut ForwardStep<B, L>, c| u.clock.next = c);
    }
}

impl<const B: usize, const L: usize> UnitPort for RustHdlPort<B, L> {
    fn write(&mut self, sel: u64, lane: usize, addr: usize, data: i64) {
        self.uut.host_we.next = true;
        self.uut.host_sel.next = sel.into();
        self.uut.host_lane.next = (lane as u64).into();
        self.uut.host_addr.next = (addr as u64).into();
        self.uut.host_data.next = to_signed(data);
        self.cycle();
        self.uut.host_we.next = false;
    }

    fn start(&mut self, last_stream: usize, command: Command, limit: usize) -> Option<usize> {
        let (learn, commit, reset, classify) = command.flags();
        self.uut.last_stream.next = (last_stream as u64).into();
        self.uut.learn.next = learn;
        self.uut.commit.next = commit;
        self.uut.reset.next = reset;
        self.uut.classify.next = classify;
        self.uut.start.next = true;
        self.cycle();
        self.uut.start.next = false;
        let mut cycles = 0;
        while self.uut.busy.val() {
            if cycles >= limit {
                return None;
            }
            self.cycle();
            cycles += 1;
        }
        Some(cycles)
    }

    fn read(&mut self, vec: u64, lane: usize, addr: usize) -> i64 {
        self.uut.rd_vec.next = vec.into();
        self.uut.rd_lane.next = (lane as u64).into();
        self.uut.rd_addr.next = (addr as u64).into();
        for _ in 0..READ_LATENCY {
            self.cycle();
        }
        to_i64(self.uut.rd_data.val())
    }
}

/// Calls `$f::<B, L>($args)` for the unit of `$b` streams ([`STREAM_CHOICES`]) and `$l` lanes
/// ([`LANE_CHOICES`]).
macro_rules! by_unit {
    ($b:expr, $l:expr, $f:ident ($($arg:expr),*)) => {
        match ($b, $l) {
            (16, 1) => $f::<16, 1>($($arg),*),
            (16, 2) => $f::<16, 2>($($arg),*),
            (16, 4) => $f::<16, 4>($($arg),*),
            (16, 8) => $f::<16, 8>($($arg),*),
            (16, 16) => $f::<16, 16>($($arg),*),
            (16, 32) => $f::<16, 32>($($arg),*),
            (64, 1) => $f::<64, 1>($($arg),*),
            (64, 2) => $f::<64, 2>($($arg),*),
            (64, 4) => $f::<64, 4>($($arg),*),
            (64, 8) => $f::<64, 8>($($arg),*),
            (64, 16) => $f::<64, 16>($($arg),*),
            (64, 32) => $f::<64, 32>($($arg),*),
            (b, l) => unreachable!("no unit of {b} streams and {l} lanes"),
        }
    };
}

/// A driver of a unit with `lanes` lanes ([`LANE_CHOICES`]) for `shape` that runs batches of
/// up to `streams` (built for the smallest of [`STREAM_CHOICES`] that holds them) in rust-hdl's
/// simulator, or why it cannot be built. Build and use it on a thread with a large stack
/// ([`crate::verify::on_big_stack`]): the unit is a deep value.
pub fn forward_driver(shape: Shape, lanes: usize, streams: usize) -> Result<Box<dyn ForwardDriver>, String> {
    let b = unit_streams(shape, lanes, streams)?;
    fn host<const B: usize, const L: usize>(shape: Shape) -> Box<dyn ForwardDriver> {
        Box::new(Host::new(RustHdlPort::<B, L>::new(shape), shape, L, B))
    }
    Ok(by_unit!(b, lanes, host(shape)))
}

/// The Verilog (module `top`) of the unit [`forward_driver`] builds for `shape`, `lanes` and
/// `streams`, and the streams it is built for. Call it on a thread with a large stack.
pub fn forward_verilog(shape: Shape, lanes: usize, streams: usize) -> Result<(String, usize), String> {
    let b = unit_streams(shape, lanes, streams)?;
    fn verilog<const B: usize, const L: usize>(shape: Shape) -> String {
        crate::verify::verilog_of(ForwardStep::<B, L>::new(shape))
    }
    Ok((by_unit!(b, lanes, verilog(shape)), b))
}

/// The streams of the unit that runs `streams` for `shape` on `lanes` lanes, or why there is
/// none.
pub fn unit_streams(shape: Shape, lanes: usize, streams: usize) -> Result<usize, String> {
    if !LANE_CHOICES.contains(&lanes) {
        return Err(format!("--lanes must be one of {LANE_CHOICES:?}, not {lanes}"));
    }
    let Some(&b) = STREAM_CHOICES.iter().find(|&&b| b >= streams.max(1)) else {
        return Err(format!("{streams} streams: the RTL unit runs at most {MAX_STREAMS} streams"));
    };
    check_fit(shape, lanes, b)?;
    Ok(b)
}
