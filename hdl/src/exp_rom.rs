//! `ExpRom`: the exponential of the golden model (`Tables::exp`, the softmax's) as a pipelined
//! unit, built like [`crate::sigmoid_rom::SigmoidRom`]: a 512 x 36 synchronous ROM (one EBR)
//! holding each segment's start value and slope, one [`Mul18`] for the interpolation, a
//! [`Requant`] for its rounding.
//!
//! For a state-format code x (Q5.12): x below -16 gives 0; otherwise offset = min(x, 0) + 16
//! (16 fraction-scaled bits, or exactly 16.0 at x >= 0); the top 9 bits pick segment k, the low
//! 7 bits are the fraction f; y = y_k + round((y_{k+1} - y_k) f / 2^7), a gate-format code
//! (Q1.16). x >= 0 reads segment 511 at f = 2^7, which is y_512 = exp(0) exactly.
//!
//! Pipeline (one input per cycle): edge 0 reads the ROM and registers f; edges 1-2 multiply;
//! edge 3 rounds; edge 4 adds y_k. Latency [`EXP_LATENCY`].

use crate::mul18::{Mul18, MUL18_LATENCY};
use crate::requant::{Requant, REQUANT_LATENCY};
use crate::sigmoid_rom::segment_rom_words;
use fptt_sim::fixed::tables::{exp_table, EXP_RANGE_LOG2, EXP_SEGMENTS};
use fptt_sim::fixed::{Fmt, Numerics};
use rust_hdl::prelude::*;

/// Segment index bits (512 segments).
pub const EXP_INDEX_BITS: usize = 9;

/// Cycles from `x` to `y`: ROM read, multiplier, rounding, final add.
pub const EXP_LATENCY: usize = 1 + MUL18_LATENCY + REQUANT_LATENCY + 1;

/// The ROM words for a gate format: word k = (y_k << 18) | ((y_{k+1} - y_k) mod 2^18).
pub fn exp_rom_words(gate: Fmt) -> Vec<u64> {
    let t = exp_table(gate);
    assert_eq!(t.len(), EXP_SEGMENTS + 1);
    assert_eq!(EXP_SEGMENTS, 1 << EXP_INDEX_BITS, "ROM sized for 512 segments");
    segment_rom_words(&t)
}

/// Pipelined exponential: `y = Tables::exp(x)` [`EXP_LATENCY`] cycles after `x`.
#[derive(LogicBlock)]
pub struct ExpRom {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Argument, state-format code (Q5.12).
    pub x: Signal<In, Signed<18>>,
    /// exp(x), gate-format code (Q1.16).
    pub y: Signal<Out, Signed<18>>,
    rom: SyncROM<Bits<36>, EXP_INDEX_BITS>,
    mul: Mul18,
    round: Requant<36>,
    frac: DFF<Bits<8>>,
    y0: [DFF<Signed<18>>; 3],
    zero: [DFF<Bit>; 4],
    out: DFF<Signed<18>>,
    xu: Signal<Local, Bits<18>>,
    fext: Signal<Local, Bits<18>>,
    nil: Constant<Signed<18>>,
}

impl ExpRom {
    /// The unit for the accelerator's formats ([`Numerics::DEFAULT`]).
    pub fn new() -> Self {
        Self::with(Numerics::DEFAULT)
    }

    /// The unit for formats `n` (the state format must have 12 fraction bits: the offset over
    /// [-16, 0) is then the low 16 bits of x, and a segment 2^7 of them).
    pub fn with(n: Numerics) -> Self {
        assert_eq!(n.state.frac + EXP_RANGE_LOG2, 16, "exp unit built for 16-bit offsets");
        assert_eq!(n.state.bits, 18);
        assert_eq!(n.gate.bits, 18);
        Self {
            clock: Signal::default(),
            x: Signal::default(),
            y: Signal::default(),
            rom: SyncROM::from(exp_rom_words(n.gate).into_iter().map(Bits::<36>::from)),
            mul: Mul18::default(),
            round: Requant::new(7),
            frac: DFF::default(),
            y0: Default::default(),
            zero: Default::default(),
            out: DFF::default(),
            xu: Signal::default(),
            fext: Signal::default(),
            nil: Constant::new(crate::word::to_signed(0)),
        }
    }
}

impl Default for ExpRom {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for ExpRom {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, frac, out);
        for i in 0..3 {
            self.y0[i].clock.next = self.clock.val();
        }
        for i in 0..4 {
            self.zero[i].clock.next = self.clock.val();
        }
        self.rom.clock.next = self.clock.val();
        self.mul.clock.next = self.clock.val();
        self.round.clock.next = self.clock.val();
        // Address stage: x in [-16, 0) has its top two bits set, and offset = x + 16 is its low
        // 16 bits; x >= 0 is the end of the last segment; x < -16 gives 0.
        self.xu.next = unsigned_cast(self.x.val());
        self.rom.address.next = self.xu.val().get_bits::<9>(7);
        self.frac.d.next = bit_cast::<8, 7>(self.xu.val().get_bits::<7>(0));
        self.zero[0].d.next = false;
        if !self.xu.val().get_bit(17) {
            self.rom.address.next = 511.into();
            self.frac.d.next = 128.into();
        } else if !self.xu.val().get_bit(16) {
            self.zero[0].d.next = true;
        }
        for i in 1..4 {
            self.zero[i].d.next = self.zero[i - 1].q.val();
        }
        // Interpolation: slope x fraction, rounded by 7 bits, plus the segment start.
        self.fext.next = bit_cast::<18, 8>(self.frac.q.val());
        self.mul.a.next = signed_cast(self.rom.data.val().get_bits::<18>(0));
        self.mul.b.next = signed_cast(self.fext.val());
        self.round.acc.next = self.mul.p.val();
        self.y0[0].d.next = signed_cast(self.rom.data.val().get_bits::<18>(18));
        self.y0[1].d.next = self.y0[0].q.val();
        self.y0[2].d.next = self.y0[1].q.val();
        self.out.d.next = self.y0[2].q.val() + self.round.y.val();
        if self.zero[3].q.val() {
            self.out.d.next = self.nil.val();
        }
        self.y.next = self.out.q.val();
    }
}
