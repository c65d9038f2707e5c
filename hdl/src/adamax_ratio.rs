//! `AdamaxRatio`: the Adamax ratio m / u of one parameter word per cycle, pipelined,
//! bit-exact with the golden `WordUpdate::adamax`: 1/u from the 256-entry reciprocal table
//! indexed by the 8 bits after u's leading one ([`Normalize`], a priority encoder), one
//! [`Mul18`], then a rounding shift by the leading one's position ([`RoundShift`]):
//!
//! ```text
//! e = msb(u), r = reciprocal[(u << 8 >> e) mod 256]   (2^16 / mantissa)
//! ratio = sat18(round(m r / 2^e))
//! ```
//!
//! (for a ratio format with as many fraction bits as the table's entries, the default).
//! Latency [`ADAMAX_RATIO_LATENCY`]; u must be positive (the update keeps u >= |g| + 1).

use crate::mul18::Mul18;
use crate::word::{to_i64, to_signed};
use fptt_sim::fixed::tables::{Tables, RECIPROCAL_FRAC, RECIPROCAL_INDEX_BITS};
use fptt_sim::fixed::Numerics;
use rust_hdl::prelude::*;

/// Edges from (m, u) to the ratio: the leading one (E1), the table read (E2), the product (E4),
/// the rounding (E6).
pub const ADAMAX_RATIO_LATENCY: usize = 6;

const _: () = assert!(RECIPROCAL_INDEX_BITS == 8, "Normalize emits 8 index bits");

/// Position of the leading one of a positive 18-bit u (`e`) and the 8 bits after it, zero
/// padded (`index`); combinational.
#[derive(LogicBlock, Default)]
pub struct Normalize {
    /// u > 0.
    pub u: Signal<In, Signed<18>>,
    /// floor(log2 u), 0..=16.
    pub e: Signal<Out, Bits<5>>,
    /// The 8 bits after the leading one.
    pub index: Signal<Out, Bits<8>>,
}

/// [`Normalize`]'s arithmetic: (e, index) of u (both 0 for u <= 0).
pub fn normalize_code(u: i64) -> (u64, u64) {
    if u <= 0 {
        return (0, 0);
    }
    let e = 63 - u.leading_zeros() as u64;
    (e, (((u as u64) << 8) >> e) & 0xff)
}

impl Logic for Normalize {
    fn update(&mut self) {
        let (e, index) = normalize_code(to_i64(self.u.val()));
        self.e.next = e.into();
        self.index.next = index.into();
    }

    fn connect(&mut self) {
        self.e.connect();
        self.index.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
integer i;
always @(*) begin
   e = 5'd0;
   for (i = 1; i < 17; i = i + 1)
      if (u[i]) e = i[4:0];
   // index bit 7 - i is the bit i + 1 below the leading one (0 below bit 0)
   for (i = 0; i < 8; i = i + 1)
      index[7 - i] = ({27'd0, e} > i) ? u[{27'd0, e} - 1 - i] : 1'b0;
   if (u[17]) begin
      e = 5'd0;
      index = 8'd0;
   end
end"
            .into(),
        )
    }
}

/// `y = sat18(round(x / 2^sh))` (round to nearest, ties up), `sh` 0..=31 at run time; registered,
/// in one stage ([`RoundShift::default`]) or two ([`RoundShift::pipelined`]: the barrel shift
/// and the rounding bit, then the rounding add and the saturation, for the clock).
#[derive(LogicBlock, Default)]
pub struct RoundShift {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The product.
    pub x: Signal<In, Signed<36>>,
    /// The shift.
    pub sh: Signal<In, Bits<5>>,
    /// The rounded, saturated result, one edge after `x` (two when pipelined).
    pub y: Signal<Out, Signed<18>>,
    _piped: bool,
    // the two-stage form's result after its first edge (the model need not split the stages)
    _first: i64,
}

impl RoundShift {
    /// The two-stage form.
    pub fn pipelined() -> Self {
        Self { _piped: true, ..Self::default() }
    }
}

impl Logic for RoundShift {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let sh = self.sh.val().index() as u32;
            let y = crate::requant::narrow_code(to_i64(self.x.val()), sh, 18, false);
            if self._piped {
                self.y.next = to_signed(self._first);
                self._first = y;
            } else {
                self.y.next = to_signed(y);
            }
        }
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        let saturate = "\
   if (q > 37'sd131071)
      y <= 18'sd131071;
   else if (q < -37'sd131072)
      y <= -18'sd131072;
   else
      y <= q[17:0];
end";
        Verilog::Custom(if self._piped {
            format!(
                "\
reg signed [35:0] floor_q;
reg round_bit;
wire signed [36:0] q;
assign q = {{floor_q[35], floor_q}} + {{36'd0, round_bit}};
initial begin
   floor_q = 36'sd0;
   round_bit = 1'b0;
   y = 18'sd0;
end
// round(x / 2^sh) = floor(x / 2^sh) + bit sh - 1 of x (nearest, ties up)
always @(posedge clock) begin
   floor_q <= x >>> sh;
   round_bit <= (sh == 5'd0) ? 1'b0 : x[sh - 5'd1];
{saturate}"
            )
        } else {
            format!(
                "\
wire signed [36:0] half;
wire signed [36:0] q;
assign half = (37'sd1 <<< sh) >>> 1;
assign q = (x + half) >>> sh;
initial y = 18'sd0;
always @(posedge clock) begin
{saturate}"
            )
        })
    }
}

/// The pipelined ratio m / u.
#[derive(LogicBlock)]
pub struct AdamaxRatio {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// First moment m (grad format).
    pub m: Signal<In, Signed<18>>,
    /// Second moment u (grad format), positive.
    pub u: Signal<In, Signed<18>>,
    /// m / u (ratio format), [`ADAMAX_RATIO_LATENCY`] edges later.
    pub ratio: Signal<Out, Signed<18>>,
    norm: Normalize,
    rom: SyncROM<Signed<18>, 8>,
    mul: Mul18,
    shift: RoundShift,
    index_r: DFF<Bits<8>>,
    m_d: [DFF<Signed<18>>; 2],
    e_d: [DFF<Bits<5>>; 4],
}

impl AdamaxRatio {
    /// The unit for formats `n` (grad and ratio 18 bits, the ratio with the table's fraction bits).
    pub fn with(n: Numerics) -> Self {
        assert!(n.grad.bits == 18 && n.ratio.bits == 18, "18-bit moments and ratio");
        assert_eq!(n.ratio.frac, RECIPROCAL_FRAC, "ratio = m r / 2^e needs ratio fraction bits = the table's");
        let tables = Tables::new(n.state, n.gate);
        Self {
            clock: Signal::default(),
            m: Signal::default(),
            u: Signal::default(),
            ratio: Signal::default(),
            norm: Normalize::default(),
            rom: SyncROM::from(tables.reciprocal_entries().iter().map(|&r| to_signed::<18>(r as i64))),
            mul: Mul18::default(),
            shift: RoundShift::pipelined(),
            index_r: DFF::default(),
            m_d: Default::default(),
            e_d: Default::default(),
        }
    }
}

impl Logic for AdamaxRatio {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, index_r);
        for i in 0..2 {
            self.m_d[i].clock.next = self.clock.val();
        }
        for i in 0..4 {
            self.e_d[i].clock.next = self.clock.val();
        }
        self.rom.clock.next = self.clock.val();
        self.mul.clock.next = self.clock.val();
        self.shift.clock.next = self.clock.val();
        // E1: the leading one's position and the index registered (the priority encoder
        // would otherwise sit in front of the table's address, for the clock); E2: the entry.
        self.norm.u.next = self.u.val();
        self.index_r.d.next = self.norm.index.val();
        self.rom.address.next = self.index_r.q.val();
        self.m_d[0].d.next = self.m.val();
        self.m_d[1].d.next = self.m_d[0].q.val();
        self.e_d[0].d.next = self.norm.e.val();
        // E4: m r; E6: rounded by e (two stages).
        self.mul.a.next = self.m_d[1].q.val();
        self.mul.b.next = self.rom.data.val();
        for i in 1..4 {
            self.e_d[i].d.next = self.e_d[i - 1].q.val();
        }
        self.shift.x.next = self.mul.p.val();
        self.shift.sh.next = self.e_d[3].q.val();
        self.ratio.next = self.shift.y.val();
    }
}
