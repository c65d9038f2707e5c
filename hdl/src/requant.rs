//! `Narrow`: narrow a wide value into an `O`-bit format, as `Fmt::from_scaled` does: add half
//! an LSB, arithmetic shift right, saturate (round to nearest, ties toward +infinity), or,
//! built with [`Narrow::floor`], shift right without the half (`Fmt::from_scaled_floor`).
//! [`Requant`] is the 18-bit one every forward and backward result goes through.
//!
//! The shift (fraction bits dropped) is fixed per instance. rust-hdl 0.46 has no shifts on
//! `Signed`, so this is a leaf block with a Rust `update()` and hand-written Verilog. The
//! output is registered: latency [`REQUANT_LATENCY`].

use crate::word::{to_i64, to_signed};
use rust_hdl::prelude::*;

/// Cycles from `acc` to `y`.
pub const REQUANT_LATENCY: usize = 1;

/// Output width of [`Requant`]: every format of the forward datapath has 18 bits.
pub const OUT_BITS: u32 = 18;

/// `y = sat_O((acc + 2^(shift-1)) >> shift)` (no rounding term when `shift` = 0 or when
/// built by [`Narrow::floor`]), registered. `W` is the input width (at most 63).
#[derive(LogicBlock)]
pub struct Narrow<const W: usize, const O: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The wide value, `shift` more fraction bits than the output format.
    pub acc: Signal<In, Signed<W>>,
    /// The rounded, saturated `O`-bit code.
    pub y: Signal<Out, Signed<O>>,
    _shift: u32,
    _floor: bool,
}

/// The 18-bit narrowing of the forward and backward datapaths.
pub type Requant<const W: usize> = Narrow<W, 18>;

impl<const W: usize, const O: usize> Narrow<W, O> {
    /// Round to nearest, dropping `shift` fraction bits.
    pub fn new(shift: u32) -> Self {
        assert!((2..64).contains(&W) && (2..=W).contains(&O), "Narrow<{W}, {O}>: widths must be 2..=63, O <= W");
        assert!((shift as usize) < W, "shift must leave at least one bit");
        Self { clock: Signal::default(), acc: Signal::default(), y: Signal::default(), _shift: shift, _floor: false }
    }

    /// Round toward -infinity, dropping `shift` fraction bits.
    pub fn floor(shift: u32) -> Self {
        Self { _floor: true, ..Self::new(shift) }
    }

    /// The fraction bits dropped.
    pub fn shift(&self) -> u32 {
        self._shift
    }
}

/// The narrowing's arithmetic on codes: round (to nearest, ties up, unless `floor`) by
/// `shift` bits, then saturate to `bits` bits. What the Rust model and the Verilog compute.
pub fn narrow_code(acc: i64, shift: u32, bits: u32, floor: bool) -> i64 {
    let half = if shift > 0 && !floor { 1i128 << (shift - 1) } else { 0 };
    let q = (acc as i128 + half) >> shift;
    q.clamp(-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1) as i64
}

/// [`narrow_code`] into 18 bits, rounding to nearest: [`Requant`]'s arithmetic.
pub fn requant_code(acc: i64, shift: u32) -> i64 {
    narrow_code(acc, shift, OUT_BITS, false)
}

impl<const W: usize, const O: usize> Logic for Narrow<W, O> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.y.next = to_signed(narrow_code(to_i64(self.acc.val()), self._shift, O as u32, self._floor));
        }
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        let s = self._shift;
        let half = if s > 0 && !self._floor { 1u64 << (s - 1) } else { 0 };
        let top = W; // the sum is W + 1 bits: adding half can carry out of W bits
        let max = (1u64 << (O - 1)) - 1;
        Verilog::Custom(format!(
            "\
localparam signed [{top}:0] MAXV = {w}'sd{max};
localparam signed [{top}:0] MINV = -{w}'sd{min};
wire signed [{top}:0] sum;
wire signed [{top}:0] q;
assign sum = acc + {w}'sd{half};
assign q = sum >>> {s};
initial y = {o}'sd0;
always @(posedge clock) begin
   if (q > MAXV)
      y <= MAXV[{msb}:0];
   else if (q < MINV)
      y <= MINV[{msb}:0];
   else
      y <= q[{msb}:0];
end",
            w = W + 1,
            min = max + 1,
            o = O,
            msb = O - 1,
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "requant".into(),
            clock: "clock".into(),
            inputs: vec!["acc".into()],
            outputs: vec!["y".into()],
        }]
    }
}
