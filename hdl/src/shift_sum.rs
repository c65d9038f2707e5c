//! `ShiftSum`: `y = ±(a << sa) ± (b << sb) ± (c << sc)` at `O` bits, combinational: the
//! exact sum of differently scaled terms that the golden model forms before one rounding
//! (e.g. the FPTT update's g_tot = g 2^20 - lambda 2^19 + a (W - W-bar)). Shifts and signs
//! are fixed per instance; a term not used is tied to zero. A leaf block (rust-hdl 0.46 has
//! no shifts on `Signed`); the caller sizes `O` so that no sum can overflow it, and the Rust
//! model panics if one does.

use crate::widen::sign_extend;
use crate::word::{to_i64, to_signed};
use rust_hdl::prelude::*;

/// One term's scaling: shift left by `shift`, subtract when `negate`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Term {
    /// Left shift.
    pub shift: u32,
    /// Subtract the term.
    pub negate: bool,
}

impl Term {
    /// `+x << shift`.
    pub const fn add(shift: u32) -> Self {
        Self { shift, negate: false }
    }

    /// `-x << shift`.
    pub const fn sub(shift: u32) -> Self {
        Self { shift, negate: true }
    }
}

/// `y = ±(a << sa) ± (b << sb) ± (c << sc)`, combinational, `O` <= 63 bits.
#[derive(LogicBlock)]
pub struct ShiftSum<const A: usize, const B: usize, const C: usize, const O: usize> {
    /// Term a.
    pub a: Signal<In, Signed<A>>,
    /// Term b.
    pub b: Signal<In, Signed<B>>,
    /// Term c.
    pub c: Signal<In, Signed<C>>,
    /// The sum.
    pub y: Signal<Out, Signed<O>>,
    _terms: [Term; 3],
}

impl<const A: usize, const B: usize, const C: usize, const O: usize> ShiftSum<A, B, C, O> {
    /// The sum of the three terms scaled as given.
    pub fn new(terms: [Term; 3]) -> Self {
        for (w, t) in [A, B, C].into_iter().zip(terms) {
            assert!(
                w + t.shift as usize <= O && O < 64,
                "ShiftSum: a {w}-bit term << {} does not fit {O} bits",
                t.shift
            );
        }
        Self { a: Signal::default(), b: Signal::default(), c: Signal::default(), y: Signal::default(), _terms: terms }
    }
}

impl<const A: usize, const B: usize, const C: usize, const O: usize> Logic for ShiftSum<A, B, C, O> {
    fn update(&mut self) {
        let x = [to_i64(self.a.val()), to_i64(self.b.val()), to_i64(self.c.val())];
        let y: i64 =
            x.iter().zip(self._terms).map(|(&v, t)| if t.negate { -(v << t.shift) } else { v << t.shift }).sum();
        self.y.next = to_signed(y);
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        let term = |name: &str, w: usize, t: Term| {
            format!("{} ({} <<< {})", if t.negate { "-" } else { "+" }, sign_extend(name, w, O), t.shift)
        };
        let [ta, tb, tc] = self._terms;
        Verilog::Custom(format!("always @(*) y = {} {} {};", term("a", A, ta), term("b", B, tb), term("c", C, tc)))
    }
}
