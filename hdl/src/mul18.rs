//! `Mul`: a fully registered signed A x B -> A + B multiplier; [`Mul18`] is the 18x18 one, a
//! single ECP5 MULT18X18D (wider ones are split over several by yosys).
//!
//! rust-hdl 0.46 only multiplies 16x16, so this is a leaf block: the Rust `update()` models it
//! for rust-hdl's simulator and hand-written Verilog (`Verilog::Custom`) is what synthesis
//! sees. Both operands and the product are registered (the multiplier's input and output
//! registers), so the latency is [`MUL18_LATENCY`] cycles and any producer may drive it.

use crate::word::{to_i64, to_signed};
use rust_hdl::prelude::*;

/// Cycles from operands to product: `p` after edge `i + 1` is `a * b` as sampled at edge `i`.
pub const MUL18_LATENCY: usize = 2;

/// Registered signed multiplier: `p = a * b`, exact (`P` = `A` + `B` bits, at most 64).
#[derive(LogicBlock, Default)]
pub struct Mul<const A: usize, const B: usize, const P: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Operand A.
    pub a: Signal<In, Signed<A>>,
    /// Operand B.
    pub b: Signal<In, Signed<B>>,
    /// Product, [`MUL18_LATENCY`] cycles after its operands.
    pub p: Signal<Out, Signed<P>>,
    _a_r: i64,
    _b_r: i64,
}

/// The 18x18 -> 36 multiplier: one MULT18X18D.
pub type Mul18 = Mul<18, 18, 36>;

impl<const A: usize, const B: usize, const P: usize> Logic for Mul<A, B, P> {
    fn update(&mut self) {
        const { assert!(A + B == P && P <= 64, "Mul<A, B, P>: P = A + B <= 64") };
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
        Verilog::Custom(format!(
            "\
reg signed [{a}:0] a_r;
reg signed [{b}:0] b_r;
initial begin
   a_r = {A}'sd0;
   b_r = {B}'sd0;
   p = {P}'sd0;
end
always @(posedge clock) begin
   a_r <= a;
   b_r <= b;
   p <= a_r * b_r;
end",
            a = A - 1,
            b = B - 1,
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "mul".into(),
            clock: "clock".into(),
            inputs: vec!["a".into(), "b".into()],
            outputs: vec!["p".into()],
        }]
    }
}

/// Edges from a [`WideMul`]'s operands to their product.
pub const WIDE_MUL_LATENCY: usize = 3;

/// Width of a [`WideMul`] operand's low chunks: unsigned, so that with a zero sign bit each
/// fills one 18-bit signed multiplier input.
const CHUNK: usize = 17;

/// A signed A x B -> A + B multiplier with one operand wider than 18 bits (the other at most
/// 18), pipelined for the clock: operands registered; the wide operand split into 17-bit
/// unsigned chunks and a signed top chunk, each times the narrow operand in its own
/// MULT18X18D, the partial products registered; their shifted sum registered. (A [`Mul`] this
/// wide sums its multipliers' outputs in the multipliers' cycle.) Latency [`WIDE_MUL_LATENCY`].
#[derive(LogicBlock, Default)]
pub struct WideMul<const A: usize, const B: usize, const P: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Operand a.
    pub a: Signal<In, Signed<A>>,
    /// Operand b.
    pub b: Signal<In, Signed<B>>,
    /// a b, [`WIDE_MUL_LATENCY`] edges after the operands.
    pub p: Signal<Out, Signed<P>>,
    _a_r: i64,
    _b_r: i64,
    _pp: i64,
}

impl<const A: usize, const B: usize, const P: usize> Logic for WideMul<A, B, P> {
    fn update(&mut self) {
        const {
            assert!(A + B == P && P <= 64, "WideMul<A, B, P>: P = A + B <= 64");
            assert!((A > 18) != (B > 18), "WideMul: exactly one operand wider than 18 bits");
        };
        if self.clock.pos_edge() {
            self.p.next = to_signed(self._pp);
            self._pp = self._a_r * self._b_r;
            self._a_r = to_i64(self.a.val());
            self._b_r = to_i64(self.b.val());
        }
    }

    fn connect(&mut self) {
        self.p.connect();
    }

    fn hdl(&self) -> Verilog {
        // (wide, narrow) operand registers and widths
        let (w, n, wb, nb) = if A > 18 { ("a_r", "b_r", A, B) } else { ("b_r", "a_r", B, A) };
        let mut decl = String::new();
        let mut mults = String::new();
        let mut terms = Vec::new();
        let mut lo = 0;
        while lo < wb {
            let top = wb - lo <= 18;
            let (hi, bits) = if top { (wb, wb - lo) } else { (lo + CHUNK, CHUNK) };
            let k = terms.len();
            let chunk = if top {
                format!("$signed({w}[{}:{lo}])", hi - 1)
            } else {
                format!("$signed({{1'b0, {w}[{}:{lo}]}})", hi - 1)
            };
            let pw = bits + usize::from(!top) + nb;
            decl.push_str(&format!("reg signed [{}:0] pp{k};\n", pw - 1));
            decl.push_str(&format!("initial pp{k} = {pw}'sd0;\n"));
            mults.push_str(&format!("   pp{k} <= {chunk} * {n};\n"));
            terms.push(format!("(pp{k} <<< {lo})"));
            lo = hi;
        }
        Verilog::Custom(format!(
            "\
reg signed [{a}:0] a_r;
reg signed [{b}:0] b_r;
{decl}initial begin
   a_r = {A}'sd0;
   b_r = {B}'sd0;
   p = {P}'sd0;
end
always @(posedge clock) begin
   a_r <= a;
   b_r <= b;
{mults}   p <= {sum};
end",
            a = A - 1,
            b = B - 1,
            sum = terms.join(" + "),
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "wide_mul".into(),
            clock: "clock".into(),
            inputs: vec!["a".into(), "b".into()],
            outputs: vec!["p".into()],
        }]
    }
}
