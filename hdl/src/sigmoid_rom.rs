//! `SigmoidRom`: the sigmoid of the golden model (`Tables::sigmoid`) as a pipelined unit: a
//! 512 x 36 synchronous ROM (one EBR) holding each segment's start value and slope, one
//! [`Mul18`] for the interpolation and a [`Requant`] for its rounding.
//!
//! For a state-format code z (Q5.12): clamp z to [-16, 16), offset = z + 16 (17 bits); the top
//! 9 bits pick segment k, the low 8 bits are the fraction f; y = y_k + round((y_{k+1} - y_k)
//! f / 2^8), a gate-format code (Q1.16). The ROM word k is {y_k, y_{k+1} - y_k}, filled from
//! `fptt_sim::fixed::tables::sigmoid_table`, so one read gives both ends of the segment.
//!
//! Pipeline (one input per cycle): edge 0 reads the ROM and registers f; edges 1-2 multiply;
//! edge 3 rounds; edge 4 adds y_k. Latency [`SIGMOID_LATENCY`].

use crate::mul18::{Mul18, MUL18_LATENCY};
use crate::requant::{Requant, REQUANT_LATENCY};
use fptt_sim::fixed::tables::{sigmoid_table, SIGMOID_RANGE_LOG2, SIGMOID_SEGMENTS};
use fptt_sim::fixed::{Fmt, Numerics};
use rust_hdl::prelude::*;

/// Segment index bits (512 segments).
pub const SIGMOID_INDEX_BITS: usize = 9;

/// Cycles from `z` to `y`: ROM read, multiplier, rounding, final add.
pub const SIGMOID_LATENCY: usize = 1 + MUL18_LATENCY + REQUANT_LATENCY + 1;

/// The ROM words for a gate format: word k = (y_k << 18) | ((y_{k+1} - y_k) mod 2^18).
pub fn sigmoid_rom_words(gate: Fmt) -> Vec<u64> {
    let t = sigmoid_table(gate);
    assert_eq!(t.len(), SIGMOID_SEGMENTS + 1);
    assert_eq!(SIGMOID_SEGMENTS, 1 << SIGMOID_INDEX_BITS, "ROM sized for 512 segments");
    segment_rom_words(&t)
}

/// The words of an interpolating ROM for table `t` (non-negative 18-bit points): word k holds
/// segment k's start y_k and its rise y_{k+1} - y_k, (y_k << 18) | (rise mod 2^18).
pub fn segment_rom_words(t: &[i64]) -> Vec<u64> {
    let m = (1u64 << 18) - 1;
    t.windows(2)
        .map(|w| {
            let (y0, d) = (w[0], w[1] - w[0]);
            assert!((0..=m as i64 >> 1).contains(&y0) && (-(1 << 17)..(1 << 17)).contains(&d), "table entry range");
            ((y0 as u64) << 18) | (d as u64 & m)
        })
        .collect()
}

/// Pipelined sigmoid: `y = Tables::sigmoid(z)` [`SIGMOID_LATENCY`] cycles after `z`.
#[derive(LogicBlock)]
pub struct SigmoidRom {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Pre-activation, state-format code (Q5.12).
    pub z: Signal<In, Signed<18>>,
    /// sigma(z), gate-format code (Q1.16).
    pub y: Signal<Out, Signed<18>>,
    rom: SyncROM<Bits<36>, SIGMOID_INDEX_BITS>,
    mul: Mul18,
    round: Requant<36>,
    frac: DFF<Bits<8>>,
    y0: [DFF<Signed<18>>; 3],
    out: DFF<Signed<18>>,
    zu: Signal<Local, Bits<18>>,
    hi: Signal<Local, Bits<2>>,
    offset: Signal<Local, Bits<17>>,
    fext: Signal<Local, Bits<18>>,
    flip: Constant<Bits<17>>,
    ones: Constant<Bits<17>>,
}

impl SigmoidRom {
    /// The unit for the accelerator's formats ([`Numerics::DEFAULT`]).
    pub fn new() -> Self {
        Self::with(Numerics::DEFAULT)
    }

    /// The unit for formats `n` (the state format must have 12 fraction bits so that the
    /// offset is 17 bits: 4 range bits + 1 sign + 12 fraction).
    pub fn with(n: Numerics) -> Self {
        assert_eq!(n.state.frac + SIGMOID_RANGE_LOG2 + 1, 17, "sigmoid unit built for 17-bit offsets");
        assert_eq!(n.state.bits, 18);
        assert_eq!(n.gate.bits, 18);
        let words = sigmoid_rom_words(n.gate);
        Self {
            clock: Signal::default(),
            z: Signal::default(),
            y: Signal::default(),
            rom: SyncROM::from(words.into_iter().map(Bits::<36>::from)),
            mul: Mul18::default(),
            round: Requant::new(8),
            frac: DFF::default(),
            y0: Default::default(),
            out: DFF::default(),
            zu: Signal::default(),
            hi: Signal::default(),
            offset: Signal::default(),
            fext: Signal::default(),
            flip: Constant::new(0x1_0000.into()),
            ones: Constant::new(0x1_FFFF.into()),
        }
    }
}

impl Default for SigmoidRom {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for SigmoidRom {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, frac, out);
        for i in 0..3 {
            self.y0[i].clock.next = self.clock.val();
        }
        self.rom.clock.next = self.clock.val();
        self.mul.clock.next = self.clock.val();
        self.round.clock.next = self.clock.val();
        // Address stage: offset = clamp(z, -16, 16 - lsb) + 16, as 17 unsigned bits. z is in
        // range when its top two bits agree; then offset is z with bit 16 inverted.
        self.zu.next = unsigned_cast(self.z.val());
        self.hi.next = self.zu.val().get_bits::<2>(16);
        self.offset.next = (self.zu.val().get_bits::<17>(0)) ^ (self.flip.val());
        if (!(self.hi.val().all())) & (self.hi.val().any()) {
            if self.zu.val().get_bit(17) {
                self.offset.next = 0.into();
            } else {
                self.offset.next = self.ones.val();
            }
        }
        self.rom.address.next = self.offset.val().get_bits::<9>(8);
        self.frac.d.next = self.offset.val().get_bits::<8>(0);
        // Interpolation: slope x fraction, rounded by 8 bits, plus the segment start.
        self.fext.next = bit_cast::<18, 8>(self.frac.q.val());
        self.mul.a.next = signed_cast(self.rom.data.val().get_bits::<18>(0));
        self.mul.b.next = signed_cast(self.fext.val());
        self.round.acc.next = self.mul.p.val();
        self.y0[0].d.next = signed_cast(self.rom.data.val().get_bits::<18>(18));
        self.y0[1].d.next = self.y0[0].q.val();
        self.y0[2].d.next = self.y0[1].q.val();
        self.out.d.next = self.y0[2].q.val() + self.round.y.val();
        self.y.next = self.out.q.val();
    }
}
