//! `Widen`: sign-extend a signed word, combinationally.
//!
//! rust-hdl 0.46's `signed_bit_cast` recurses without end (stack overflow in simulation) on
//! the most negative code, -2^(N-1), because it negates its argument. Saturating stages
//! produce that code, so the datapath sign-extends through this leaf block instead: a Rust
//! `update()` for the simulator and hand-written Verilog (`y = x` between signed ports).

use crate::word::{to_i64, to_signed};
use rust_hdl::prelude::*;

/// `y = x`, sign-extended from `I` to `O` >= `I` bits.
#[derive(LogicBlock, Default)]
pub struct Widen<const I: usize, const O: usize> {
    /// The word.
    pub x: Signal<In, Signed<I>>,
    /// The same code at `O` bits.
    pub y: Signal<Out, Signed<O>>,
}

impl<const I: usize, const O: usize> Logic for Widen<I, O> {
    fn update(&mut self) {
        self.y.next = to_signed(to_i64(self.x.val()));
    }

    fn connect(&mut self) {
        assert!(I <= O && O <= 64, "Widen: {I} to {O} bits");
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        // explicit sign extension: a plain `y = x` is right too (both ports signed) but
        // leaves the extension implicit, which Verilator's lint flags as a width mismatch
        Verilog::Custom(format!("always @(*) y = {};", sign_extend("x", I, O)))
    }
}

/// Verilog that sign-extends the `i`-bit signal `x` to `o` >= `i` bits: `{{pad{x[msb]}}, x}`
/// (just `x` when the widths are equal).
pub fn sign_extend(x: &str, i: usize, o: usize) -> String {
    assert!(0 < i && i <= o, "sign_extend: {i} to {o} bits");
    if i == o {
        x.to_string()
    } else if i == 1 {
        format!("{{{o}{{{x}}}}}") // a 1-bit signal cannot be bit-selected
    } else {
        format!("{{{{{}{{{x}[{}]}}}}, {x}}}", o - i, i - 1)
    }
}
