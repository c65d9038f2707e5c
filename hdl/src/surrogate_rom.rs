//! `SurrogateRom`: the surrogate gradient of the golden model (`Tables::surrogate`) as a
//! pipelined unit, built like [`crate::sigmoid_rom`]: a 512 x 36 synchronous ROM (one EBR)
//! of {start value, slope} per segment, one [`Mul18`], one [`Requant`].
//!
//! For a state-format code x = v - theta (Q5.12): m = |x| (18 unsigned bits; |-2^17| fits);
//! if m >= 8 (m >> 6 >= 512) the result is the table's last entry; otherwise segment
//! k = m >> 6, fraction f = m mod 64, and g = g_k + round((g_{k+1} - g_k) f / 2^6), a
//! gate-format code (Q1.16). Beyond the table the ROM word is replaced by {g_512, 0}.
//!
//! Pipeline (one input per cycle), latency [`SURROGATE_LATENCY`]: edge 0 reads the ROM and
//! registers f and the beyond-range flag; edges 1-2 multiply; edge 3 rounds; edge 4 adds g_k.

use crate::mul18::{Mul18, MUL18_LATENCY};
use crate::requant::{Requant, REQUANT_LATENCY};
use crate::word::to_signed;
use fptt_sim::fixed::tables::{surrogate_table, SURROGATE_RANGE_LOG2, SURROGATE_SEGMENTS};
use fptt_sim::fixed::{Fmt, Numerics};
use rust_hdl::prelude::*;

/// Segment index bits (512 segments).
pub const SURROGATE_INDEX_BITS: usize = 9;

/// Segment fraction bits: state fraction bits + range bits - index bits.
pub const SURROGATE_FRAC_BITS: u32 = 6;

/// Cycles from `x` to `g`: ROM read, multiplier, rounding, final add.
pub const SURROGATE_LATENCY: usize = 1 + MUL18_LATENCY + REQUANT_LATENCY + 1;

/// The ROM words for a gate format: word k = (g_k << 18) | ((g_{k+1} - g_k) mod 2^18), both
/// halves two's complement.
pub fn surrogate_rom_words(gate: Fmt) -> Vec<u64> {
    let t = surrogate_table(gate);
    assert_eq!(t.len(), SURROGATE_SEGMENTS + 1);
    assert_eq!(SURROGATE_SEGMENTS, 1 << SURROGATE_INDEX_BITS, "ROM sized for 512 segments");
    let m = (1u64 << 18) - 1;
    let fits = |v: i64| (-(1 << 17)..(1 << 17)).contains(&v);
    t.windows(2)
        .map(|w| {
            let (y0, d) = (w[0], w[1] - w[0]);
            assert!(fits(y0) && fits(d), "table entry range");
            ((y0 as u64 & m) << 18) | (d as u64 & m)
        })
        .collect()
}

/// Pipelined surrogate gradient: `g = Tables::surrogate(x)` [`SURROGATE_LATENCY`] cycles
/// after `x`.
#[derive(LogicBlock)]
pub struct SurrogateRom {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// v - theta, state-format code (Q5.12).
    pub x: Signal<In, Signed<18>>,
    /// g(x), gate-format code (Q1.16).
    pub g: Signal<Out, Signed<18>>,
    rom: SyncROM<Bits<36>, SURROGATE_INDEX_BITS>,
    mul: Mul18,
    round: Requant<36>,
    frac: DFF<Bits<6>>,
    beyond: DFF<Bit>,
    y0: [DFF<Signed<18>>; 3],
    out: DFF<Signed<18>>,
    xu: Signal<Local, Bits<18>>,
    mag: Signal<Local, Bits<18>>,
    fext: Signal<Local, Bits<18>>,
    slope: Signal<Local, Signed<18>>,
    start: Signal<Local, Signed<18>>,
    last: Constant<Signed<18>>,
}

impl SurrogateRom {
    /// The unit for the accelerator's formats ([`Numerics::DEFAULT`]).
    pub fn new() -> Self {
        Self::with(Numerics::DEFAULT)
    }

    /// The unit for formats `n` (state format Q5.12 so that segments are 2^-6 wide).
    pub fn with(n: Numerics) -> Self {
        assert_eq!(
            n.state.frac + SURROGATE_RANGE_LOG2 - SURROGATE_INDEX_BITS as u32,
            SURROGATE_FRAC_BITS,
            "surrogate unit built for 6-bit segment fractions"
        );
        assert_eq!(n.state.bits, 18);
        assert_eq!(n.gate.bits, 18);
        let words = surrogate_rom_words(n.gate);
        let last = *surrogate_table(n.gate).last().expect("table");
        Self {
            clock: Signal::default(),
            x: Signal::default(),
            g: Signal::default(),
            rom: SyncROM::from(words.into_iter().map(Bits::<36>::from)),
            mul: Mul18::default(),
            round: Requant::new(SURROGATE_FRAC_BITS),
            frac: DFF::default(),
            beyond: DFF::default(),
            y0: Default::default(),
            out: DFF::default(),
            xu: Signal::default(),
            mag: Signal::default(),
            fext: Signal::default(),
            slope: Signal::default(),
            start: Signal::default(),
            last: Constant::new(to_signed(last)),
        }
    }
}

impl Default for SurrogateRom {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for SurrogateRom {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, frac, beyond, out);
        for i in 0..3 {
            self.y0[i].clock.next = self.clock.val();
        }
        self.rom.clock.next = self.clock.val();
        self.mul.clock.next = self.clock.val();
        self.round.clock.next = self.clock.val();
        // Address stage: m = |x| in 18 unsigned bits (two's-complement negation wraps -2^17
        // onto 2^17, which is its magnitude).
        self.xu.next = unsigned_cast(self.x.val());
        self.mag.next = self.xu.val();
        if self.xu.val().get_bit(17) {
            self.mag.next = (!(self.xu.val())) + 1;
        }
        self.rom.address.next = self.mag.val().get_bits::<9>(6);
        self.frac.d.next = self.mag.val().get_bits::<6>(0);
        self.beyond.d.next = self.mag.val().get_bits::<3>(15).any();
        // Interpolation; beyond the table the segment is {g_512, slope 0}.
        self.slope.next = signed_cast(self.rom.data.val().get_bits::<18>(0));
        self.start.next = signed_cast(self.rom.data.val().get_bits::<18>(18));
        if self.beyond.q.val() {
            self.slope.next = 0.into();
            self.start.next = self.last.val();
        }
        self.fext.next = bit_cast::<18, 6>(self.frac.q.val());
        self.mul.a.next = self.slope.val();
        self.mul.b.next = signed_cast(self.fext.val());
        self.round.acc.next = self.mul.p.val();
        self.y0[0].d.next = self.start.val();
        self.y0[1].d.next = self.y0[0].q.val();
        self.y0[2].d.next = self.y0[1].q.val();
        self.out.d.next = self.y0[2].q.val() + self.round.y.val();
        self.g.next = self.out.q.val();
    }
}
