//! `Mul18`: a fully registered signed 18x18 -> 36 multiplier, one ECP5 MULT18X18D.
//!
//! rust-hdl 0.46 only multiplies 16x16, so this is a leaf block: the Rust `update()` models it
//! for rust-hdl's simulator and hand-written Verilog (`Verilog::Custom`) is what synthesis
//! sees. Both operands and the product are registered (the multiplier's input and output
//! registers), so the latency is [`MUL18_LATENCY`] cycles and any producer may drive it.

use crate::word::{to_i64, to_signed};
use rust_hdl::prelude::*;

/// Cycles from operands to product: `p` after edge `i + 1` is `a * b` as sampled at edge `i`.
pub const MUL18_LATENCY: usize = 2;

/// Registered signed 18x18 multiplier: `p = a * b`, exact (36 bits hold every product).
#[derive(LogicBlock, Default)]
pub struct Mul18 {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Operand A.
    pub a: Signal<In, Signed<18>>,
    /// Operand B.
    pub b: Signal<In, Signed<18>>,
    /// Product, [`MUL18_LATENCY`] cycles after its operands.
    pub p: Signal<Out, Signed<36>>,
    _a_r: i64,
    _b_r: i64,
}

impl Logic for Mul18 {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.p.next = to_signed(self._a_r * self._b_r);
            self._a_r = to_i64(self.a.val());
            self._b_r = to_i64(self.b.val());
        }
    }

    fn connect(&mut self) {
        self.p.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
reg signed [17:0] a_r;
reg signed [17:0] b_r;
initial begin
   a_r = 18'sd0;
   b_r = 18'sd0;
   p = 36'sd0;
end
always @(posedge clock) begin
   a_r <= a;
   b_r <= b;
   p <= a_r * b_r;
end"
            .into(),
        )
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "mul18".into(),
            clock: "clock".into(),
            inputs: vec!["a".into(), "b".into()],
            outputs: vec!["p".into()],
        }]
    }
}
