//! `BoardTop<B, L>`: a board's top level: the board's oscillator on `clk`, an ECP5 PLL
//! ([`Pll`], an EHXPLLL) making the design clock, the device ([`DeviceTop<B, L>`]) at that clock
//! on `uart_rx` / `uart_tx`, and its activity on `led`. The port names are those of every LPF in
//! `constraints/`. When the design clock is the board's clock there is no PLL (a wire).
//!
//! [`pll_params`] chooses the dividers as Project Trellis' `ecppll` does; rust-hdl has no ECP5
//! PLL, so [`Pll`] is a leaf block with hand-written Verilog that in rust-hdl's simulator passes
//! the clock through.

use crate::device_top::DeviceTop;
use crate::forward_sim::{LANE_CHOICES, STREAM_CHOICES};
use fptt_sim::model::Shape;
use rust_hdl::prelude::*;

/// ECP5 PLL limits (MHz), as `ecppll` uses them: phase detector input, VCO, CLKOP output.
pub const PFD_MHZ: (f64, f64) = (3.125, 400.0);
/// The VCO's range (MHz).
pub const VCO_MHZ: (f64, f64) = (400.0, 800.0);
/// The output range of CLKOP (MHz) `ecppll` accepts.
pub const OUT_MHZ: (f64, f64) = (10.0, 400.0);

/// The dividers of an EHXPLLL with CLKOP fed back: `out = in / clki_div * clkfb_div`,
/// `vco = out * clkop_div`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PllParams {
    /// Input clock (MHz).
    pub in_mhz: f64,
    /// The frequency asked for (MHz).
    pub want_mhz: f64,
    /// CLKI_DIV (1..=128).
    pub clki_div: u32,
    /// CLKFB_DIV (1..=80).
    pub clkfb_div: u32,
    /// CLKOP_DIV (1..=128).
    pub clkop_div: u32,
    /// CLKOP_CPHASE (0 degrees of phase: `(clkop_div - 1) / 2`).
    pub clkop_cphase: u32,
    /// The VCO's frequency (MHz).
    pub vco_mhz: f64,
    /// The output's frequency, as achieved (MHz).
    pub out_mhz: f64,
}

impl PllParams {
    /// The achieved output frequency in Hz (rounded).
    pub fn out_hz(&self) -> u32 {
        (self.out_mhz * 1e6).round() as u32
    }
}

/// The PLL dividers giving the frequency nearest `want_mhz` from `in_mhz` (ties: the VCO nearest
/// 600 MHz), searched as `ecppll` does; an error when the output or input is out of range.
pub fn pll_params(in_mhz: f64, want_mhz: f64) -> Result<PllParams, String> {
    if !(OUT_MHZ.0..=OUT_MHZ.1).contains(&want_mhz) {
        return Err(format!(
            "a PLL output of {want_mhz} MHz is out of the ECP5's range {}..={} MHz",
            OUT_MHZ.0, OUT_MHZ.1
        ));
    }
    let mut best: Option<PllParams> = None;
    for clki_div in 1..=128u32 {
        let pfd = in_mhz / f64::from(clki_div);
        if !(PFD_MHZ.0..=PFD_MHZ.1).contains(&pfd) {
            continue;
        }
        for clkfb_div in 1..=80u32 {
            let out = pfd * f64::from(clkfb_div);
            for clkop_div in 1..=128u32 {
                let vco = out * f64::from(clkop_div);
                if !(VCO_MHZ.0..=VCO_MHZ.1).contains(&vco) {
                    continue;
                }
                let better = match &best {
                    None => true,
                    Some(b) => {
                        let (e, be) = ((out - want_mhz).abs(), (b.out_mhz - want_mhz).abs());
                        e < be || (e == be && (vco - 600.0).abs() < (b.vco_mhz - 600.0).abs())
                    }
                };
                if better {
                    best = Some(PllParams {
                        in_mhz,
                        want_mhz,
                        clki_div,
                        clkfb_div,
                        clkop_div,
                        clkop_cphase: (clkop_div - 1) / 2,
                        vco_mhz: vco,
                        out_mhz: out,
                    });
                }
            }
        }
    }
    best.ok_or_else(|| {
        format!("no ECP5 PLL setting makes {want_mhz} MHz from {in_mhz} MHz (phase detector input {PFD_MHZ:?} MHz)")
    })
}

/// The design clock from the board's: an EHXPLLL when `params` is set, else a wire. In rust-hdl's
/// simulator the clock passes through.
#[derive(LogicBlock)]
pub struct Pll {
    /// The board's clock.
    pub clock_in: Signal<In, Clock>,
    /// The design's clock.
    pub clock_out: Signal<Out, Clock>,
    _params: Option<PllParams>,
}

impl Pll {
    /// A PLL with these dividers, or a wire (`None`).
    pub fn new(params: Option<PllParams>) -> Self {
        Self { clock_in: Default::default(), clock_out: Default::default(), _params: params }
    }
}

impl Logic for Pll {
    fn update(&mut self) {
        self.clock_out.next = self.clock_in.val();
    }

    fn connect(&mut self) {
        self.clock_out.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: pll_verilog(self._params.as_ref()), cores: String::new() })
    }
}

/// The Verilog body of [`Pll`] (ports `clock_in`, `clock_out`).
pub fn pll_verilog(params: Option<&PllParams>) -> String {
    let Some(p) = params else {
        return "assign clock_out = clock_in;".into();
    };
    format!(
        r#"// {in_mhz} MHz -> {out_mhz} MHz (asked {want} MHz), VCO {vco} MHz
wire locked;
(* FREQUENCY_PIN_CLKI="{in_mhz}" *)
(* FREQUENCY_PIN_CLKOP="{out_mhz}" *)
(* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *) (* MFG_GMCREF_SEL="2" *)
EHXPLLL #(
    .PLLRST_ENA("DISABLED"),
    .INTFB_WAKE("DISABLED"),
    .STDBY_ENABLE("DISABLED"),
    .DPHASE_SOURCE("DISABLED"),
    .OUTDIVIDER_MUXA("DIVA"),
    .OUTDIVIDER_MUXB("DIVB"),
    .OUTDIVIDER_MUXC("DIVC"),
    .OUTDIVIDER_MUXD("DIVD"),
    .CLKI_DIV({clki}),
    .CLKOP_ENABLE("ENABLED"),
    .CLKOP_DIV({clkop}),
    .CLKOP_CPHASE({cphase}),
    .CLKOP_FPHASE(0),
    .FEEDBK_PATH("CLKOP"),
    .CLKFB_DIV({clkfb})
) pll_i (
    .RST(1'b0),
    .STDBY(1'b0),
    .CLKI(clock_in),
    .CLKOP(clock_out),
    .CLKFB(clock_out),
    .CLKINTFB(),
    .PHASESEL0(1'b0),
    .PHASESEL1(1'b0),
    .PHASEDIR(1'b1),
    .PHASESTEP(1'b1),
    .PHASELOADREG(1'b1),
    .PLLWAKESYNC(1'b0),
    .ENCLKOP(1'b0),
    .LOCK(locked)
);"#,
        in_mhz = p.in_mhz,
        out_mhz = p.out_mhz,
        want = p.want_mhz,
        vco = p.vco_mhz,
        clki = p.clki_div,
        clkop = p.clkop_div,
        cphase = p.clkop_cphase,
        clkfb = p.clkfb_div,
    )
}

/// The UART divisor for `baud` from `clock_hz`, or why there is none (the rate would be more
/// than [`crate::uart::MAX_BAUD_ERROR`] off, or the divisor out of range).
pub fn uart_divisor(clock_hz: u32, baud: u32) -> Result<u32, String> {
    use crate::uart::{baud_error, MAX_BAUD_ERROR, MAX_DIVISOR, MIN_DIVISOR};
    if baud == 0 {
        return Err("a baud rate of 0".into());
    }
    let d = ((u64::from(clock_hz) + u64::from(baud) / 2) / u64::from(baud)).max(1);
    let d = u32::try_from(d).unwrap_or(u32::MAX);
    if !(MIN_DIVISOR..=MAX_DIVISOR).contains(&d) {
        return Err(format!(
            "{baud} baud from a {clock_hz} Hz clock needs {d} cycles per bit; the UART takes {MIN_DIVISOR}..={MAX_DIVISOR}"
        ));
    }
    let e = baud_error(u64::from(clock_hz), u64::from(baud), d);
    if e >= MAX_BAUD_ERROR {
        return Err(format!(
            "{baud} baud from a {clock_hz} Hz clock: {d} cycles per bit give {:.0} baud, {:.2}% off (at most {}%): \
             choose a clock that is a multiple of the baud rate, or another --baud",
            f64::from(clock_hz) / f64::from(d),
            e * 100.0,
            MAX_BAUD_ERROR * 100.0
        ));
    }
    Ok(d)
}

/// A board's top level: ports `clk`, `uart_rx`, `uart_tx`, `led`.
#[derive(LogicBlock)]
pub struct BoardTop<const B: usize, const L: usize> {
    /// The board's oscillator.
    pub clk: Signal<In, Clock>,
    /// The host link, host to FPGA.
    pub uart_rx: Signal<In, Bit>,
    /// The host link, FPGA to host.
    pub uart_tx: Signal<Out, Bit>,
    /// An LED, lit while the device is busy.
    pub led: Signal<Out, Bit>,
    led_invert: Constant<Bit>,
    pll: Pll,
    device: DeviceTop<B, L>,
}

impl<const B: usize, const L: usize> BoardTop<B, L> {
    /// The top level for a unit built for `shape`, at the PLL's output (`pll`; the board's clock
    /// `board_hz` when `None`), the UART at `baud`; `led_low`: the LED lights when low.
    pub fn new(shape: Shape, pll: Option<PllParams>, board_hz: u32, baud: u32, led_low: bool) -> Self {
        let clock_hz = pll.as_ref().map_or(board_hz, PllParams::out_hz);
        let divisor = uart_divisor(clock_hz, baud).unwrap_or_else(|e| panic!("{e}"));
        Self {
            clk: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            led: Default::default(),
            led_invert: Constant::new(led_low),
            pll: Pll::new(pll),
            device: DeviceTop::new(shape, divisor, clock_hz),
        }
    }
}

impl<const B: usize, const L: usize> Logic for BoardTop<B, L> {
    #[hdl_gen]
    fn update(&mut self) {
        self.pll.clock_in.next = self.clk.val();
        self.device.clock.next = self.pll.clock_out.val();
        self.device.uart_rx.next = self.uart_rx.val();
        self.uart_tx.next = self.device.uart_tx.val();
        self.led.next = self.device.active.val() ^ self.led_invert.val();
    }
}

/// The Verilog (module `top`) of a [`BoardTop`] of `lanes` lanes and `streams` streams (one of
/// [`LANE_CHOICES`] and [`STREAM_CHOICES`]); see [`BoardTop::new`] for the rest.
pub fn board_verilog(
    shape: Shape,
    lanes: usize,
    streams: usize,
    pll: Option<PllParams>,
    board_hz: u32,
    baud: u32,
    led_low: bool,
) -> Result<String, String> {
    fn gen<const B: usize, const L: usize>(
        shape: Shape,
        pll: Option<PllParams>,
        board_hz: u32,
        baud: u32,
        led_low: bool,
    ) -> String {
        crate::verify::on_big_stack(move || {
            crate::verify::verilog_of(BoardTop::<B, L>::new(shape, pll, board_hz, baud, led_low))
        })
    }
    if !STREAM_CHOICES.contains(&streams) || !LANE_CHOICES.contains(&lanes) {
        return Err(format!("no board top of {streams} streams and {lanes} lanes"));
    }
    crate::forward::check_fit(shape, lanes, streams)?;
    Ok(match (streams, lanes) {
        (16, 1) => gen::<16, 1>(shape, pll, board_hz, baud, led_low),
        (16, 2) => gen::<16, 2>(shape, pll, board_hz, baud, led_low),
        (16, 4) => gen::<16, 4>(shape, pll, board_hz, baud, led_low),
        (16, 8) => gen::<16, 8>(shape, pll, board_hz, baud, led_low),
        (16, 16) => gen::<16, 16>(shape, pll, board_hz, baud, led_low),
        (16, 32) => gen::<16, 32>(shape, pll, board_hz, baud, led_low),
        (64, 1) => gen::<64, 1>(shape, pll, board_hz, baud, led_low),
        (64, 2) => gen::<64, 2>(shape, pll, board_hz, baud, led_low),
        (64, 4) => gen::<64, 4>(shape, pll, board_hz, baud, led_low),
        (64, 8) => gen::<64, 8>(shape, pll, board_hz, baud, led_low),
        (64, 16) => gen::<64, 16>(shape, pll, board_hz, baud, led_low),
        (64, 32) => gen::<64, 32>(shape, pll, board_hz, baud, led_low),
        (b, l) => unreachable!("no unit of {b} streams and {l} lanes"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dividers(p: &PllParams) -> (u32, u32, u32, u32) {
        (p.clki_div, p.clkfb_div, p.clkop_div, p.clkop_cphase)
    }

    #[test]
    fn pll_matches_ecppll() {
        // What `ecppll -i IN -o OUT` (Project Trellis, as yowasp-ecppll) prints for these.
        for (i, o, d) in [
            (25.0, 100.0, (1, 4, 6, 2)),
            (25.0, 50.0, (1, 2, 12, 5)),
            (48.0, 100.0, (12, 25, 6, 2)),
            (12.0, 60.0, (1, 5, 10, 4)),
            (25.0, 40.0, (5, 8, 15, 7)),
        ] {
            let p = pll_params(i, o).unwrap();
            assert_eq!(dividers(&p), d, "{i} -> {o} MHz");
            assert_eq!(p.out_mhz, o);
            assert_eq!(p.vco_mhz, 600.0);
        }
    }

    #[test]
    fn pll_is_within_range_and_nearest() {
        for want in [33.0, 41.0, 66.6, 75.0, 90.0, 125.0, 133.0] {
            let p = pll_params(25.0, want).unwrap();
            assert!((VCO_MHZ.0..=VCO_MHZ.1).contains(&p.vco_mhz), "{p:?}");
            assert!((p.in_mhz / f64::from(p.clki_div)) >= PFD_MHZ.0, "{p:?}");
            assert!((p.out_mhz - want).abs() / want < 0.02, "{p:?}");
            assert_eq!(p.out_mhz, 25.0 / f64::from(p.clki_div) * f64::from(p.clkfb_div));
            assert_eq!(p.vco_mhz, p.out_mhz * f64::from(p.clkop_div));
        }
    }

    #[test]
    fn pll_refuses_the_impossible() {
        assert!(pll_params(25.0, 500.0).unwrap_err().contains("out of the ECP5's range"));
        assert!(pll_params(25.0, 3.0).unwrap_err().contains("out of the ECP5's range"));
        assert!(pll_params(1.0, 100.0).unwrap_err().contains("no ECP5 PLL setting"));
    }

    #[test]
    fn pll_verilog_names_the_dividers() {
        let v = pll_verilog(Some(&pll_params(25.0, 100.0).unwrap()));
        for s in [".CLKI_DIV(1)", ".CLKFB_DIV(4)", ".CLKOP_DIV(6)", ".CLKOP_CPHASE(2)", "EHXPLLL"] {
            assert!(v.contains(s), "{s} in {v}");
        }
        assert_eq!(pll_verilog(None), "assign clock_out = clock_in;");
    }

    #[test]
    fn uart_divisor_refuses_a_bad_rate() {
        assert_eq!(uart_divisor(100_000_000, 3_000_000), Ok(33));
        assert!(uart_divisor(40_000_000, 3_000_000).unwrap_err().contains("% off"));
        assert!(uart_divisor(10_000_000, 3_000_000).unwrap_err().contains("cycles per bit"));
    }

    #[test]
    fn board_top_has_the_lpf_ports_and_the_pll() {
        let shape = Shape::new(2, 4, 1).unwrap();
        let v = board_verilog(shape, 1, 16, pll_params(25.0, 50.0).ok(), 25_000_000, 1_000_000, false).unwrap();
        assert!(v.contains("module top(clk,uart_rx,uart_tx,led);"), "{}", &v[..v.len().min(400)]);
        assert!(v.contains("EHXPLLL") && v.contains(".CLKOP_DIV(12)"));
        let v = board_verilog(shape, 1, 16, None, 25_000_000, 1_000_000, true).unwrap();
        assert!(!v.contains("EHXPLLL"));
        assert!(board_verilog(shape, 3, 16, None, 25_000_000, 3_000_000, true).is_err());
    }
}
