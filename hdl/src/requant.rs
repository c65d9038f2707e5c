//! `Requant`: narrow a wide accumulator into an 18-bit format, as `Fmt::from_scaled` does:
//! add half an LSB, arithmetic shift right, saturate (round to nearest, ties toward +infinity).
//!
//! The shift (fraction bits dropped) is fixed per instance. rust-hdl 0.46 has no shifts on
//! `Signed`, so this is a leaf block with a Rust `update()` and hand-written Verilog. The
//! output is registered: latency [`REQUANT_LATENCY`].

use crate::word::{to_i64, to_signed};
use rust_hdl::prelude::*;

/// Cycles from `acc` to `y`.
pub const REQUANT_LATENCY: usize = 1;

/// Output width: every format of the forward datapath has 18 bits.
pub const OUT_BITS: u32 = 18;

/// `y = sat18((acc + 2^(shift-1)) >> shift)` (no rounding term when `shift` = 0), registered.
/// `W` is the accumulator width (at most 63).
#[derive(LogicBlock)]
pub struct Requant<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The wide value, `shift` more fraction bits than the output format.
    pub acc: Signal<In, Signed<W>>,
    /// The rounded, saturated 18-bit code.
    pub y: Signal<Out, Signed<18>>,
    _shift: u32,
}

impl<const W: usize> Requant<W> {
    /// A requantiser dropping `shift` fraction bits.
    pub fn new(shift: u32) -> Self {
        assert!((OUT_BITS as usize..64).contains(&W), "accumulator width must be 18..=63 bits");
        assert!((shift as usize) < W, "shift must leave at least one bit");
        Self { clock: Signal::default(), acc: Signal::default(), y: Signal::default(), _shift: shift }
    }

    /// The fraction bits dropped.
    pub fn shift(&self) -> u32 {
        self._shift
    }
}

/// The requantiser's arithmetic on codes: round to nearest (ties up) by `shift` bits, then
/// saturate to 18 bits. What the Rust model and the Verilog both compute.
pub fn requant_code(acc: i64, shift: u32) -> i64 {
    let half = if shift > 0 { 1i128 << (shift - 1) } else { 0 };
    let q = (acc as i128 + half) >> shift;
    q.clamp(-(1i128 << (OUT_BITS - 1)), (1i128 << (OUT_BITS - 1)) - 1) as i64
}

impl<const W: usize> Logic for Requant<W> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.y.next = to_signed(requant_code(to_i64(self.acc.val()), self._shift));
        }
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        let s = self._shift;
        let half = if s > 0 { 1u64 << (s - 1) } else { 0 };
        let top = W; // the sum is W + 1 bits: adding half can carry out of W bits
        let max = (1u64 << (OUT_BITS - 1)) - 1;
        Verilog::Custom(format!(
            "\
localparam signed [{top}:0] MAXV = {w}'sd{max};
localparam signed [{top}:0] MINV = -{w}'sd{min};
wire signed [{top}:0] sum;
wire signed [{top}:0] q;
assign sum = acc + {w}'sd{half};
assign q = sum >>> {s};
initial y = 18'sd0;
always @(posedge clock) begin
   if (q > MAXV)
      y <= MAXV[17:0];
   else if (q < MINV)
      y <= MINV[17:0];
   else
      y <= q[17:0];
end",
            w = W + 1,
            min = max + 1,
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
