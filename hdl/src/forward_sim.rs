//! A host-side driver of [`ForwardStep`] in rust-hdl's cycle-accurate simulator: load the
//! weights through [`Banking`], run steps of B streams, read the state back, count the cycles.
//! `fptt bench --backend rtl` measures with it; [`ForwardDriver`] hides the unit's const
//! parameters behind a run-time lane count.

use crate::forward::{check_fit, config_writes, host, step_cycles, Banking, ForwardStep};
use crate::verify::{settle, tick};
use crate::word::{to_i64, to_signed};
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
    /// Writes every weight operand code (golden flat layout).
    fn load(&mut self, weights: &[i32]);
    /// Runs one step of `x.len()` streams (each x of I input codes); returns the cycles from
    /// the `start` edge until `busy` fell.
    fn step(&mut self, x: &[Vec<i32>]) -> usize;
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

    fn load(&mut self, weights: &[i32]) {
        for (i, &w) in weights.iter().enumerate() {
            let slot = self.bank.weight(i);
            self.write(host::WEIGHT, slot, w as i64);
        }
    }

    fn step(&mut self, x: &[Vec<i32>]) -> usize {
        assert!((1..=MAX_STREAMS).contains(&x.len()), "1..={MAX_STREAMS} streams");
        for (b, xb) in x.iter().enumerate() {
            assert_eq!(xb.len(), self.shape.inputs, "input width");
            for (j, &v) in xb.iter().enumerate() {
                let slot = self.bank.vector(b, j);
                self.write(host::INPUT, slot, v as i64);
            }
        }
        self.uut.last_stream.next = ((x.len() - 1) as u64).into();
        self.uut.start.next = true;
        self.cycle();
        self.uut.start.next = false;
        let limit = 4 * step_cycles(self.shape, L, x.len()) + 100;
        let mut cycles = 0;
        while self.uut.busy.val() {
            self.cycle();
            cycles += 1;
            assert!(cycles < limit, "the step did not finish within {limit} cycles");
        }
        cycles
    }

    fn read(&mut self, vec: u64, stream: usize, k: usize) -> i64 {
        let (lane, addr) = self.bank.vector(stream, k);
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
