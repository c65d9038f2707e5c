//! `UartRx` and `UartTx`: the board link's byte layer, 8N1 (a low start bit, eight data bits
//! LSB first, a high stop bit; the line idles high), one bit every `divisor` clock cycles.
//!
//! The divisor is fixed per instance: [`divisor`] derives it from the clock and the baud rate
//! (the link runs 115200 to 3,000,000 baud) and refuses a divisor below [`MIN_DIVISOR`] or a
//! rate more than [`MAX_BAUD_ERROR`] off. Counters are [`COUNT_BITS`] wide.
//!
//! [`UartRx`] synchronises the line through two flops, takes a low level as a start bit,
//! samples it again half a bit later (a shorter low pulse is a glitch: back to idle), then
//! samples the data bits and the stop bit mid-bit. A good stop bit gives a one-cycle `valid`
//! with `data`; a low one gives a one-cycle `frame_error` instead (the byte is dropped) and the
//! receiver waits for the line to go high before it looks for another start bit (a break
//! gives one error, not one per ten bits). Back-to-back bytes are fine: it is idle again from
//! the middle of the stop bit.
//!
//! [`UartTx`] takes `data` when `start` is high and `busy` low, and sends it. `busy` falls
//! during the last cycle of the stop bit, so a byte started then follows with no gap.
//!
//! Every register resets to zero (rust-hdl has no reset: the Verilog `initial` values, which
//! ECP5 flops take at configuration): the synchroniser and the transmitter's line register
//! hold the line inverted, so zero is an idle (high) line.
//!
//! [`RxModel`], [`TxModel`] and [`waveform`] are the pure-Rust reference: cycle-exact models
//! of both blocks and the ideal line of a byte sequence at any (fractional) bit period.

use rust_hdl::prelude::*;

/// Smallest divisor (clock cycles per bit): the receiver samples mid-bit with one cycle's
/// uncertainty on where the start bit began, so a bit needs a few cycles.
pub const MIN_DIVISOR: u32 = 4;
/// Width of the bit-period counters: divisors up to 2^16.
pub const COUNT_BITS: usize = 16;
/// Largest divisor.
pub const MAX_DIVISOR: u32 = 1 << COUNT_BITS;
/// Largest relative difference between the baud rate asked for and `clock / divisor`.
pub const MAX_BAUD_ERROR: f64 = 0.02;

/// The divisor for a baud rate from a clock: `clock_hz / baud` rounded to nearest. Panics, with
/// the numbers, when it is below [`MIN_DIVISOR`] or above [`MAX_DIVISOR`], or when
/// `clock_hz / divisor` is [`MAX_BAUD_ERROR`] or more off `baud`.
pub fn divisor(clock_hz: u64, baud: u64) -> u32 {
    assert!(clock_hz > 0 && baud > 0, "UART: clock {clock_hz} Hz and baud rate {baud} must be positive");
    let d = (clock_hz + baud / 2) / baud;
    let ratio = clock_hz as f64 / baud as f64;
    assert!(
        d >= MIN_DIVISOR as u64,
        "UART at {baud} baud from a {clock_hz} Hz clock: divisor {d} (clock / baud = {ratio:.3}) is below the \
         minimum {MIN_DIVISOR} cycles per bit"
    );
    assert!(
        d <= MAX_DIVISOR as u64,
        "UART at {baud} baud from a {clock_hz} Hz clock: divisor {d} exceeds the {COUNT_BITS}-bit counters \
         (at most {MAX_DIVISOR})"
    );
    let err = baud_error(clock_hz, baud, d as u32);
    assert!(
        err < MAX_BAUD_ERROR,
        "UART at {baud} baud from a {clock_hz} Hz clock: divisor {d} gives {:.0} baud, {:.2}% off (clock / baud \
         = {ratio:.3}; at most {:.0}% allowed)",
        clock_hz as f64 / d as f64,
        err * 100.0,
        MAX_BAUD_ERROR * 100.0
    );
    d as u32
}

/// Relative error of the rate `clock_hz / divisor` against `baud`.
pub fn baud_error(clock_hz: u64, baud: u64, divisor: u32) -> f64 {
    let actual = clock_hz as f64 / divisor as f64;
    (actual - baud as f64).abs() / baud as f64
}

fn check_divisor(d: u32) {
    assert!(
        (MIN_DIVISOR..=MAX_DIVISOR).contains(&d),
        "UART divisor {d} out of range {MIN_DIVISOR}..={MAX_DIVISOR} cycles per bit"
    );
}

/// Receiver states (the `state` register's codes; literals in [`UartRx`]'s update).
pub mod rx_state {
    /// Waiting for a start bit.
    pub const IDLE: u64 = 0;
    /// Start bit seen, waiting for its middle.
    pub const START: u64 = 1;
    /// Sampling data bits.
    pub const DATA: u64 = 2;
    /// Waiting for the middle of the stop bit.
    pub const STOP: u64 = 3;
    /// After a framing error, waiting for the line to go high.
    pub const BREAK: u64 = 4;
}
const _: () = assert!(
    rx_state::IDLE == 0 && rx_state::START == 1 && rx_state::DATA == 2 && rx_state::STOP == 3 && rx_state::BREAK == 4,
    "literal state codes in UartRx::update"
);

/// 8N1 receiver.
#[derive(LogicBlock)]
pub struct UartRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The serial line (asynchronous: synchronised inside).
    pub rx: Signal<In, Bit>,
    /// The last byte received (valid with `valid`; held until the next byte's bits arrive).
    pub data: Signal<Out, Bits<8>>,
    /// One cycle: `data` is a byte received with a good stop bit.
    pub valid: Signal<Out, Bit>,
    /// One cycle: a byte ended with a low stop bit and was dropped.
    pub frame_error: Signal<Out, Bit>,
    /// Synchroniser, first flop (the line inverted: 0 = high).
    nrx0: DFF<Bit>,
    /// Synchroniser, second flop.
    nrx1: DFF<Bit>,
    state: DFF<Bits<3>>,
    count: DFF<Bits<COUNT_BITS>>,
    nbit: DFF<Bits<3>>,
    shift: DFF<Bits<8>>,
    valid_r: DFF<Bit>,
    error_r: DFF<Bit>,
    /// Cycles from the start bit's detection to its middle, less one.
    half: Constant<Bits<COUNT_BITS>>,
    /// A bit period less one.
    reload: Constant<Bits<COUNT_BITS>>,
    _divisor: u32,
}

impl UartRx {
    /// A receiver for `baud` from a `clock_hz` clock (see [`divisor`]).
    pub fn new(clock_hz: u64, baud: u64) -> Self {
        Self::with_divisor(divisor(clock_hz, baud))
    }

    /// A receiver of one bit every `divisor` cycles.
    pub fn with_divisor(divisor: u32) -> Self {
        check_divisor(divisor);
        Self {
            clock: Signal::default(),
            rx: Signal::default(),
            data: Signal::default(),
            valid: Signal::default(),
            frame_error: Signal::default(),
            nrx0: DFF::default(),
            nrx1: DFF::default(),
            state: DFF::default(),
            count: DFF::default(),
            nbit: DFF::default(),
            shift: DFF::default(),
            valid_r: DFF::default(),
            error_r: DFF::default(),
            half: Constant::new(rx_half(divisor).into()),
            reload: Constant::new((divisor as u64 - 1).into()),
            _divisor: divisor,
        }
    }

    /// Clock cycles per bit.
    pub fn divisor(&self) -> u32 {
        self._divisor
    }
}

/// The start-bit counter's load: the middle of the start bit is sampled `divisor / 2` cycles
/// after the first low sample.
fn rx_half(divisor: u32) -> u64 {
    divisor as u64 / 2 - 1
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, nrx0, nrx1, state, count, nbit, shift, valid_r, error_r);
        self.nrx0.d.next = !self.rx.val();
        self.nrx1.d.next = self.nrx0.q.val();
        self.valid_r.d.next = false;
        self.error_r.d.next = false;
        // nrx1 high: the line is low.
        if self.state.q.val() == 0 {
            // IDLE
            if self.nrx1.q.val() {
                self.state.d.next = 1.into();
                self.count.d.next = self.half.val();
            }
        } else if self.state.q.val() == 1 {
            // START: still low at its middle, or a glitch
            if self.count.q.val() == 0 {
                if self.nrx1.q.val() {
                    self.state.d.next = 2.into();
                    self.count.d.next = self.reload.val();
                    self.nbit.d.next = 0.into();
                } else {
                    self.state.d.next = 0.into();
                }
            } else {
                self.count.d.next = self.count.q.val() - 1;
            }
        } else if self.state.q.val() == 2 {
            // DATA: LSB first, shifted in from the top
            if self.count.q.val() == 0 {
                if self.nrx1.q.val() {
                    self.shift.d.next = self.shift.q.val() >> 1;
                } else {
                    self.shift.d.next = (self.shift.q.val() >> 1) | 128;
                }
                self.count.d.next = self.reload.val();
                if self.nbit.q.val() == 7 {
                    self.state.d.next = 3.into();
                } else {
                    self.nbit.d.next = self.nbit.q.val() + 1;
                }
            } else {
                self.count.d.next = self.count.q.val() - 1;
            }
        } else if self.state.q.val() == 3 {
            // STOP: high at its middle, or a framing error
            if self.count.q.val() == 0 {
                if self.nrx1.q.val() {
                    self.error_r.d.next = true;
                    self.state.d.next = 4.into();
                } else {
                    self.valid_r.d.next = true;
                    self.state.d.next = 0.into();
                }
            } else {
                self.count.d.next = self.count.q.val() - 1;
            }
        } else if !self.nrx1.q.val() {
            // BREAK: the line is high again
            self.state.d.next = 0.into();
        }
        self.data.next = self.shift.q.val();
        self.valid.next = self.valid_r.q.val();
        self.frame_error.next = self.error_r.q.val();
    }
}

/// 8N1 transmitter.
#[derive(LogicBlock)]
pub struct UartTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The byte to send (taken with `start` while not `busy`).
    pub data: Signal<In, Bits<8>>,
    /// Send `data` (ignored while `busy`).
    pub start: Signal<In, Bit>,
    /// The serial line (high when idle; straight from a flop).
    pub tx: Signal<Out, Bit>,
    /// A byte is being sent; low in the stop bit's last cycle, when the next may start.
    pub busy: Signal<Out, Bit>,
    /// The line inverted (0 = high).
    nline: DFF<Bit>,
    /// The bits still to send after the one on the line, LSB next; ones shift in (stop, idle).
    shift: DFF<Bits<9>>,
    /// Bit periods left, counting the one on the line.
    bits: DFF<Bits<4>>,
    count: DFF<Bits<COUNT_BITS>>,
    ready: Signal<Local, Bit>,
    /// A bit period less one.
    reload: Constant<Bits<COUNT_BITS>>,
    _divisor: u32,
}

impl UartTx {
    /// A transmitter for `baud` from a `clock_hz` clock (see [`divisor`]).
    pub fn new(clock_hz: u64, baud: u64) -> Self {
        Self::with_divisor(divisor(clock_hz, baud))
    }

    /// A transmitter of one bit every `divisor` cycles.
    pub fn with_divisor(divisor: u32) -> Self {
        check_divisor(divisor);
        Self {
            clock: Signal::default(),
            data: Signal::default(),
            start: Signal::default(),
            tx: Signal::default(),
            busy: Signal::default(),
            nline: DFF::default(),
            shift: DFF::default(),
            bits: DFF::default(),
            count: DFF::default(),
            ready: Signal::default(),
            reload: Constant::new((divisor as u64 - 1).into()),
            _divisor: divisor,
        }
    }

    /// Clock cycles per bit.
    pub fn divisor(&self) -> u32 {
        self._divisor
    }
}

/// Bit periods of a frame: start, eight data bits, stop.
pub const FRAME_BITS: u64 = 10;
const _: () = assert!(FRAME_BITS == 10, "literal frame length in UartTx::update");

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, nline, shift, bits, count);
        // idle, or in the stop bit's last cycle (one expression: as an if/else chain yosys
        // makes twice the LUTs of the whole transmitter out of it)
        self.ready.next = (self.bits.q.val() == 0) | ((self.bits.q.val() == 1) & (self.count.q.val() == 0));
        if self.ready.val() & self.start.val() {
            // the start bit goes on the line; then data LSB first and the stop bit
            self.nline.d.next = true;
            self.shift.d.next = bit_cast::<9, 8>(self.data.val()) | 256;
            self.bits.d.next = 10.into();
            self.count.d.next = self.reload.val();
        } else if self.bits.q.val() != 0 {
            if self.count.q.val() == 0 {
                self.nline.d.next = !self.shift.q.val().get_bit(0);
                self.shift.d.next = (self.shift.q.val() >> 1) | 256;
                self.bits.d.next = self.bits.q.val() - 1;
                self.count.d.next = self.reload.val();
            } else {
                self.count.d.next = self.count.q.val() - 1;
            }
        }
        self.tx.next = !self.nline.q.val();
        self.busy.next = !self.ready.val();
    }
}

/// What [`RxModel`] (and [`UartRx`]) output after a clock edge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxOut {
    /// `data`.
    pub data: u8,
    /// `valid`.
    pub valid: bool,
    /// `frame_error`.
    pub frame_error: bool,
}

/// Cycle-exact model of [`UartRx`]: one [`RxModel::step`] per clock edge.
#[derive(Clone, Debug)]
pub struct RxModel {
    divisor: u32,
    /// The synchroniser: the line one and two edges ago.
    sync: [bool; 2],
    state: u64,
    count: u64,
    nbit: u32,
    shift: u8,
}

impl RxModel {
    /// A receiver of one bit every `divisor` cycles, idle.
    pub fn new(divisor: u32) -> Self {
        check_divisor(divisor);
        Self { divisor, sync: [true; 2], state: rx_state::IDLE, count: 0, nbit: 0, shift: 0 }
    }

    /// One clock edge with `rx` on the line; the outputs after it.
    pub fn step(&mut self, rx: bool) -> RxOut {
        let high = self.sync[1];
        let reload = self.divisor as u64 - 1;
        let (mut valid, mut frame_error) = (false, false);
        match self.state {
            rx_state::IDLE => {
                if !high {
                    self.state = rx_state::START;
                    self.count = rx_half(self.divisor);
                }
            }
            rx_state::BREAK => {
                if high {
                    self.state = rx_state::IDLE;
                }
            }
            _ if self.count > 0 => self.count -= 1,
            rx_state::START => {
                if high {
                    self.state = rx_state::IDLE;
                } else {
                    self.state = rx_state::DATA;
                    self.count = reload;
                    self.nbit = 0;
                }
            }
            rx_state::DATA => {
                self.shift = (self.shift >> 1) | ((high as u8) << 7);
                self.count = reload;
                if self.nbit == 7 {
                    self.state = rx_state::STOP;
                } else {
                    self.nbit += 1;
                }
            }
            _ => {
                if high {
                    valid = true;
                    self.state = rx_state::IDLE;
                } else {
                    frame_error = true;
                    self.state = rx_state::BREAK;
                }
            }
        }
        self.sync = [rx, self.sync[0]];
        RxOut { data: self.shift, valid, frame_error }
    }
}

/// What [`TxModel`] (and [`UartTx`]) output after a clock edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxOut {
    /// `tx`, the line.
    pub tx: bool,
    /// `busy`.
    pub busy: bool,
}

/// Cycle-exact model of [`UartTx`]: one [`TxModel::step`] per clock edge.
#[derive(Clone, Debug)]
pub struct TxModel {
    divisor: u32,
    line: bool,
    shift: u16,
    bits: u32,
    count: u64,
}

impl TxModel {
    /// A transmitter of one bit every `divisor` cycles, idle.
    pub fn new(divisor: u32) -> Self {
        check_divisor(divisor);
        Self { divisor, line: true, shift: 0, bits: 0, count: 0 }
    }

    fn ready(&self) -> bool {
        self.bits == 0 || (self.bits == 1 && self.count == 0)
    }

    /// Is `busy` high now (before the next edge)?
    pub fn busy(&self) -> bool {
        !self.ready()
    }

    /// One clock edge with `start` and `data` on the inputs; the outputs after it.
    pub fn step(&mut self, start: bool, data: u8) -> TxOut {
        let reload = self.divisor as u64 - 1;
        if self.ready() && start {
            self.line = false;
            self.shift = data as u16 | 0x100;
            self.bits = FRAME_BITS as u32;
            self.count = reload;
        } else if self.bits != 0 {
            if self.count == 0 {
                self.line = self.shift & 1 != 0;
                self.shift = (self.shift >> 1) | 0x100;
                self.bits -= 1;
                self.count = reload;
            } else {
                self.count -= 1;
            }
        }
        TxOut { tx: self.line, busy: self.busy() }
    }
}

/// The 8N1 frame of a byte: bit k of the line during bit period k (start, data LSB first, stop).
pub fn frame_bits(byte: u8) -> [bool; 10] {
    std::array::from_fn(|k| match k {
        0 => false,
        9 => true,
        _ => byte >> (k - 1) & 1 != 0,
    })
}

/// The ideal line, `len` samples (one per clock cycle), carrying `sends`: each `(t, byte)`
/// starts its start bit at time `t` (in cycles; sample `i` is the line at time `i`) and every
/// bit lasts `bit_cycles` (fractional for a mismatched baud rate). Idle is high; frames must
/// not overlap. [`UartTx`] drives exactly this line, with `bit_cycles` its divisor, for bytes
/// started at the rows it takes them.
pub fn waveform(sends: &[(f64, u8)], bit_cycles: f64, len: usize) -> Vec<bool> {
    let mut line = vec![true; len];
    for &(t, byte) in sends {
        let bits = frame_bits(byte);
        for (i, v) in line.iter_mut().enumerate().skip(t.max(0.0).floor() as usize) {
            let k = ((i as f64 - t) / bit_cycles).floor();
            if k >= 10.0 {
                break;
            }
            if k >= 0.0 {
                *v = bits[k as usize];
            }
        }
    }
    line
}

/// Back-to-back frames of `bytes` from time 0, every bit `bit_cycles` long: the start times
/// for [`waveform`].
pub fn back_to_back(bytes: &[u8], bit_cycles: f64) -> Vec<(f64, u8)> {
    bytes.iter().enumerate().map(|(i, &b)| (i as f64 * 10.0 * bit_cycles, b)).collect()
}

/// What a receiver makes of a line: [`RxModel`] run over it; each event is the cycle of its
/// strobe and the byte, or `Err(())` for a framing error.
pub fn decode(line: &[bool], divisor: u32) -> Vec<(usize, Result<u8, ()>)> {
    let mut rx = RxModel::new(divisor);
    line.iter()
        .enumerate()
        .filter_map(|(i, &v)| {
            let o = rx.step(v);
            if o.valid {
                Some((i, Ok(o.data)))
            } else if o.frame_error {
                Some((i, Err(())))
            } else {
                None
            }
        })
        .collect()
}
