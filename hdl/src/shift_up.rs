//! `ShiftUp`: sign-extend a product and, when `en` is high, shift it left by a fixed number of
//! bits (exact: the output is wide enough). The golden model's `up(x, from, to)` for terms of a
//! dot product that carry fewer fraction bits than the rest, e.g. the W_a x I terms of z_a.
//!
//! rust-hdl 0.46 has no shifts on `Signed`, so this is a combinational leaf block with a Rust
//! `update()` and hand-written Verilog.

use crate::widen::sign_extend;
use crate::word::{to_i64, to_signed};
use rust_hdl::prelude::*;

/// `y = en ? x << up : x`, sign-extended from `I` to `O` bits, combinational.
#[derive(LogicBlock)]
pub struct ShiftUp<const I: usize, const O: usize> {
    /// The value to extend.
    pub x: Signal<In, Signed<I>>,
    /// Shift this value.
    pub en: Signal<In, Bit>,
    /// `x` (or `x << up`) at `O` bits.
    pub y: Signal<Out, Signed<O>>,
    _up: u32,
}

impl<const I: usize, const O: usize> ShiftUp<I, O> {
    /// A block shifting by `up` bits when enabled; `I + up` must not exceed `O` (<= 63).
    pub fn new(up: u32) -> Self {
        assert!(I + up as usize <= O && O < 64, "ShiftUp: {I} + {up} bits do not fit {O}");
        Self { x: Signal::default(), en: Signal::default(), y: Signal::default(), _up: up }
    }

    /// The shift applied when enabled.
    pub fn up(&self) -> u32 {
        self._up
    }
}

impl<const I: usize, const O: usize> Logic for ShiftUp<I, O> {
    fn update(&mut self) {
        let x = to_i64(self.x.val());
        self.y.next = to_signed(if self.en.val() { x << self._up } else { x });
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
wire signed [{o}:0] ext;
assign ext = {ext};
always @(*) begin
   if (en)
      y = ext <<< {up};
   else
      y = ext;
end",
            o = O - 1,
            up = self._up,
            ext = sign_extend("x", I, O),
        ))
    }
}
