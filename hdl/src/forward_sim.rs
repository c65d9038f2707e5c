//! A host-side driver of [`ForwardStep`] in rust-hdl's cycle-accurate simulator: load the
//! parameters through [`Banking`], run inference or training steps of B streams, read the
//! state and the parameters back, count the cycles.
//! `fptt bench --backend rtl` measures with it; [`ForwardDriver`] hides the unit's const
//! parameters behind a run-time lane count.

use crate::forward::{
    check_fit, config_writes, host, rd, train_step_cycles, update_const_writes, Banking, ForwardStep,
};
use crate::verify::{settle, tick};
use crate::word::{to_i64, to_signed};
use fptt_sim::fixed::update::{FixedParams, UpdateConsts};
use fptt_sim::model::Shape;
use rust_hdl::prelude::*;

/// Streams every driver's unit is built for (the run-time batch may be smaller).
pub const MAX_STREAMS: usize = 16;

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
    /// Reads parameter word `index`'s `vec` ([`rd::W`] ..= [`rd::U_ADAMAX`]).
    fn read_param(&mut self, vec: u64, index: usize) -> i64;
    /// Reads element `k` of vector `vec` ([`crate::forward::rd`] codes) of stream `stream`.
    fn read(&mut self, vec: u64, stream: usize, k: usize) -> i64;
}

struct Driver<const L: usize> {
    uut: Box<ForwardStep<MAX_STREAMS, L>>,
    bank: Banking,
    shape: Shape,
}

impl<const L: usize> Driver<L> {
    fn new(shape: Shape) -> Self {
        let mut uut = Box::new(ForwardStep::<MAX_STREAMS, L>::new(shape));
        uut.connect_all();
        uut.clock.next = Clock { clk: false };
        settle(uut.as_mut());
        Self { uut, bank: Banking::new(shape, L), shape }
    }

    fn cycle(&mut self) {
        settle(self.uut.as_mut());
        tick(self.uut.as_mut(), &|u: &mut ForwardStep<MAX_STREAMS, L>, c| u.clock.next = c);
    }

    fn write(&mut self, sel: u64, (lane, addr): (usize, usize), code: i64) {
        self.uut.host_we.next = true;
        self.uut.host_sel.next = sel.into();
        self.uut.host_lane.next = (lane as u64).into();
        self.uut.host_addr.next = (addr as u64).into();
        self.uut.host_data.next = to_signed(code);
        self.cycle();
        self.uut.host_we.next = false;
    }
}

impl<const L: usize> ForwardDriver for Driver<L> {
    fn configure(&mut self, shape: Shape) {
        for (addr, v) in config_writes(shape, L) {
            self.write(host::CONFIG, (0, addr), v);
        }
        self.bank = Banking::new(shape, L);
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
        self.run(x, false)
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
        self.run(x, true)
    }

    fn read_param(&mut self, vec: u64, index: usize) -> i64 {
        assert!((rd::W..=rd::U_ADAMAX).contains(&vec), "a parameter read-back code");
        self.read_at(vec, self.bank.weight(index))
    }

    fn read(&mut self, vec: u64, stream: usize, k: usize) -> i64 {
        self.read_at(vec, self.bank.vector(stream, k))
    }
}

impl<const L: usize> Driver<L> {
    fn run(&mut self, x: &[Vec<i32>], learn: bool) -> usize {
        assert!((1..=MAX_STREAMS).contains(&x.len()), "1..={MAX_STREAMS} streams");
        for (b, xb) in x.iter().enumerate() {
            assert_eq!(xb.len(), self.shape.inputs, "input width");
            for (j, &v) in xb.iter().enumerate() {
                let slot = self.bank.vector(b, j);
                self.write(host::INPUT, slot, v as i64);
            }
        }
        self.uut.last_stream.next = ((x.len() - 1) as u64).into();
        self.uut.learn.next = learn;
        self.uut.start.next = true;
        self.cycle();
        self.uut.start.next = false;
        let limit = 4 * train_step_cycles(self.shape, L, x.len()) + 100;
        let mut cycles = 0;
        while self.uut.busy.val() {
            self.cycle();
            cycles += 1;
            assert!(cycles < limit, "the step did not finish within {limit} cycles");
        }
        cycles
    }

    fn read_at(&mut self, vec: u64, (lane, addr): (usize, usize)) -> i64 {
        self.uut.rd_vec.next = vec.into();
        self.uut.rd_lane.next = (lane as u64).into();
        self.uut.rd_addr.next = (addr as u64).into();
        self.cycle();
        to_i64(self.uut.rd_data.val())
    }
}

/// A driver of a unit with `lanes` lanes ([`LANE_CHOICES`]) and [`MAX_STREAMS`] streams for
/// `shape`, or why it cannot be built. Build and use it on a thread with a large stack
/// ([`crate::verify::on_big_stack`]): the unit is a deep value.
pub fn forward_driver(shape: Shape, lanes: usize) -> Result<Box<dyn ForwardDriver>, String> {
    if !LANE_CHOICES.contains(&lanes) {
        return Err(format!("--lanes must be one of {LANE_CHOICES:?}, not {lanes}"));
    }
    check_fit(shape, lanes, MAX_STREAMS)?;
    Ok(match lanes {
        1 => Box::new(Driver::<1>::new(shape)),
        2 => Box::new(Driver::<2>::new(shape)),
        4 => Box::new(Driver::<4>::new(shape)),
        8 => Box::new(Driver::<8>::new(shape)),
        16 => Box::new(Driver::<16>::new(shape)),
        _ => Box::new(Driver::<32>::new(shape)),
    })
}
