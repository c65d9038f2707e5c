//! `FrameRx`: the board link's frame receiver, behind [`crate::uart::UartRx`] (or any byte
//! source): COBS decoding on the fly, CRC-16/IBM-3740 of the decoded payload, the payload
//! written byte by byte into a buffer, and at each delimiter a verdict identical to
//! [`Decoder`](crate::protocol::Decoder)'s.
//!
//! Bytes arrive with `valid` (at most one per cycle; any gaps). A zero byte is the delimiter
//! and ends a frame; every other byte is COBS-decoded as it comes (a code byte opens a run,
//! the run's bytes pass through, an implied zero follows every run but a 255 one and the last).
//! The decoded bytes go through a two-byte delay line, so that the CRC bytes at the end of
//! the frame are never written: every payload byte (version, seq, command, body) leaves it
//! with `wr_en`, `wr_addr` (0, 1, 2, ...) and `wr_data`, one edge after the input byte that
//! pushed it out, and goes into the CRC ([`Crc16`]: polynomial 0x1021, initial 0xFFFF, no
//! reflection, no final xor). At the delimiter the two bytes left in the delay line are the
//! frame's CRC (little-endian).
//!
//! One edge after a delimiter that ends a non-empty frame, `done` is high for a cycle with
//! `status` and `len` (the payload length, header included; 0 unless `status` is OK). The
//! status is [`status::OK`] or the [`ErrorCode`] the software decoder gives, checked in its
//! order: [`ErrorCode::Overflow`] (more than [`MAX_ENCODED`] bytes before the delimiter; no
//! byte is written past that point), [`ErrorCode::Malformed`] (the last COBS run is cut
//! short), [`ErrorCode::Truncated`] (fewer decoded bytes than header and CRC),
//! [`ErrorCode::BadLength`] (a body longer than [`MAX_BODY`]: zeros cost COBS nothing, so
//! such a frame can fit [`MAX_ENCODED`]), [`ErrorCode::BadCrc`], [`ErrorCode::BadVersion`]. Empty frames (two delimiters in a row)
//! give nothing. The buffer holds only payload bytes and must take [`MAX_PAYLOAD`] of them;
//! what a refused frame wrote is to be ignored.
//!
//! A byte the UART dropped (a framing error) shows up as a CRC or COBS error of its frame.

use crate::protocol::{ErrorCode, CRC_BYTES, HEADER_BYTES, MAX_BODY, MAX_ENCODED, VERSION};
use rust_hdl::prelude::*;

/// Width of the payload addresses and lengths.
pub const ADDR_BITS: usize = 13;
/// Largest payload (header and body) of a frame the software decoder accepts: a frame of
/// [`MAX_ENCODED`] COBS bytes decodes to at most one byte fewer, CRC included.
pub const MAX_PAYLOAD: usize = MAX_ENCODED - 1 - CRC_BYTES;
const _: () = assert!(MAX_PAYLOAD + CRC_BYTES < 1 << ADDR_BITS, "decoded byte counts fit ADDR_BITS");
const _: () = assert!(MAX_ENCODED == 4118 && VERSION == 4, "literals in FrameRx::update");
const _: () = assert!(HEADER_BYTES + MAX_BODY + CRC_BYTES == 4101, "literal longest frame in FrameRx::update");
const _: () = assert!(HEADER_BYTES + CRC_BYTES == 5, "literal shortest frame in FrameRx::update");

/// The `status` codes: OK, or an [`ErrorCode`].
pub mod status {
    /// The frame is good.
    pub const OK: u8 = 0;
}
const _: () = assert!(
    ErrorCode::Malformed as u8 == 1
        && ErrorCode::Truncated as u8 == 2
        && ErrorCode::BadCrc as u8 == 3
        && ErrorCode::BadVersion as u8 == 4
        && ErrorCode::BadLength as u8 == 6
        && ErrorCode::Overflow as u8 == 8,
    "literal error codes in FrameRx::update"
);

/// The `status` of a decoder result: [`status::OK`] or the error's code.
pub fn status_of<T>(r: &Result<T, ErrorCode>) -> u8 {
    match r {
        Ok(_) => status::OK,
        Err(e) => *e as u8,
    }
}

/// One byte into CRC-16/IBM-3740 (MSB first, polynomial 0x1021).
pub fn crc16_step(crc: u16, byte: u8) -> u16 {
    let mut c = crc ^ ((byte as u16) << 8);
    for _ in 0..8 {
        c = if c & 0x8000 != 0 { (c << 1) ^ 0x1021 } else { c << 1 };
    }
    c
}

/// The CRC register: `crc` is 0xFFFF after `clear`, and takes `data` at every edge with `en`.
/// A leaf block (hand-written Verilog: the eight shift steps unrolled by a function). The
/// register holds the CRC inverted, so it starts at 0xFFFF from a zero initial value.
#[derive(LogicBlock)]
pub struct Crc16 {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Restart at 0xFFFF (before `en`).
    pub clear: Signal<In, Bit>,
    /// Take `data`.
    pub en: Signal<In, Bit>,
    /// The next byte.
    pub data: Signal<In, Bits<8>>,
    /// The CRC of the bytes taken since `clear`.
    pub crc: Signal<Out, Bits<16>>,
    _crc: u16,
}

impl Default for Crc16 {
    fn default() -> Self {
        Self {
            clock: Signal::default(),
            clear: Signal::default(),
            en: Signal::default(),
            data: Signal::default(),
            crc: Signal::default(),
            _crc: 0xFFFF,
        }
    }
}

impl Logic for Crc16 {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            if self.clear.val() {
                self._crc = 0xFFFF;
            } else if self.en.val() {
                self._crc = crc16_step(self._crc, u64::from(self.data.val()) as u8);
            }
        }
        self.crc.next = (self._crc as u64).into();
    }

    fn connect(&mut self) {
        self.crc.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
reg [15:0] ncrc;
function [15:0] step;
   input [15:0] c;
   input [7:0] d;
   integer i;
   begin
      step = c ^ {d, 8'h00};
      for (i = 0; i < 8; i = i + 1)
         step = step[15] ? {step[14:0], 1'b0} ^ 16'h1021 : {step[14:0], 1'b0};
   end
endfunction
initial ncrc = 16'h0000;
always @(posedge clock) begin
   if (clear)
      ncrc <= 16'h0000;
   else if (en)
      ncrc <= ~step(~ncrc, data);
end
always @(*) crc = ~ncrc;"
                .into(),
        )
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "crc16".into(),
            clock: "clock".into(),
            inputs: vec!["clear".into(), "en".into(), "data".into()],
            outputs: vec!["crc".into()],
        }]
    }
}

/// The frame receiver.
#[derive(LogicBlock, Default)]
pub struct FrameRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The received byte.
    pub data: Signal<In, Bits<8>>,
    /// `data` is a new byte.
    pub valid: Signal<In, Bit>,
    /// One cycle: write `wr_data` at `wr_addr`.
    pub wr_en: Signal<Out, Bit>,
    /// Payload index of `wr_data`.
    pub wr_addr: Signal<Out, Bits<ADDR_BITS>>,
    /// A decoded payload byte.
    pub wr_data: Signal<Out, Bits<8>>,
    /// One cycle: a frame ended; `status` and `len` hold its verdict.
    pub done: Signal<Out, Bit>,
    /// [`status::OK`] or an [`ErrorCode`].
    pub status: Signal<Out, Bits<4>>,
    /// Payload length (header and body) of a good frame; 0 for a refused one.
    pub len: Signal<Out, Bits<ADDR_BITS>>,
    /// Encoded bytes of this frame (saturates at MAX_ENCODED; 0: no code byte yet).
    enc: DFF<Bits<ADDR_BITS>>,
    /// More than MAX_ENCODED bytes: decoding stops until the delimiter.
    overflow: DFF<Bit>,
    /// Bytes left in the current COBS run.
    remaining: DFF<Bits<8>>,
    /// The current run's code was 255 (no implied zero after it).
    chain: DFF<Bit>,
    /// Decoded bytes of this frame.
    count: DFF<Bits<ADDR_BITS>>,
    /// The delay line: the older and the newer decoded byte.
    hold0: DFF<Bits<8>>,
    hold1: DFF<Bits<8>>,
    /// Payload byte 0 is the protocol version.
    version_ok: DFF<Bit>,
    crc16: Crc16,
    wr_en_r: DFF<Bit>,
    wr_addr_r: DFF<Bits<ADDR_BITS>>,
    wr_data_r: DFF<Bits<8>>,
    done_r: DFF<Bit>,
    status_r: DFF<Bits<4>>,
    len_r: DFF<Bits<ADDR_BITS>>,
    delim: Signal<Local, Bit>,
    dec_valid: Signal<Local, Bit>,
    dec_byte: Signal<Local, Bits<8>>,
    emit: Signal<Local, Bit>,
    crc_ok: Signal<Local, Bit>,
}

impl FrameRx {
    /// A receiver waiting for a frame.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Logic for FrameRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, enc, overflow, remaining, chain, count, hold0, hold1, version_ok, wr_en_r, wr_addr_r,
            wr_data_r, done_r, status_r, len_r
        );
        self.crc16.clock.next = self.clock.val();
        self.wr_en_r.d.next = false;
        self.done_r.d.next = false;
        // The byte: a delimiter, or counted and COBS-decoded into at most one byte.
        self.delim.next = false;
        self.dec_valid.next = false;
        self.dec_byte.next = self.data.val();
        if self.valid.val() {
            if self.data.val() == 0 {
                self.delim.next = true;
            } else if !self.overflow.q.val() {
                // (after an overflow, nothing until the delimiter)
                if self.enc.q.val() == 4118 {
                    self.overflow.d.next = true;
                } else {
                    self.enc.d.next = self.enc.q.val() + 1;
                    if self.enc.q.val() == 0 {
                        // the first code byte
                        self.remaining.d.next = self.data.val() - 1;
                        self.chain.d.next = self.data.val() == 255;
                    } else if self.remaining.q.val() != 0 {
                        self.dec_valid.next = true;
                        self.remaining.d.next = self.remaining.q.val() - 1;
                    } else {
                        // a code byte: the previous run's implied zero, unless it was a 255 run
                        self.dec_valid.next = !self.chain.q.val();
                        self.dec_byte.next = 0.into();
                        self.remaining.d.next = self.data.val() - 1;
                        self.chain.d.next = self.data.val() == 255;
                    }
                }
            }
        }
        // The delay line: a decoded byte pushes the one two places back out as payload.
        self.emit.next = false;
        if self.dec_valid.val() {
            self.hold0.d.next = self.hold1.q.val();
            self.hold1.d.next = self.dec_byte.val();
            self.count.d.next = self.count.q.val() + 1;
            if self.count.q.val() >= 2 {
                self.emit.next = true;
            }
        }
        if self.emit.val() {
            self.wr_en_r.d.next = true;
            self.wr_addr_r.d.next = self.count.q.val() - 2;
            self.wr_data_r.d.next = self.hold0.q.val();
            if self.count.q.val() == 2 {
                self.version_ok.d.next = self.hold0.q.val() == 4;
            }
        }
        self.crc16.en.next = self.emit.val();
        self.crc16.data.next = self.hold0.q.val();
        self.crc16.clear.next = self.delim.val();
        // The frame's CRC (little-endian) is what the delay line holds.
        self.crc_ok.next = false;
        if (self.crc16.crc.val().get_bits::<8>(0) == self.hold0.q.val())
            && (self.crc16.crc.val().get_bits::<8>(8) == self.hold1.q.val())
        {
            self.crc_ok.next = true;
        }
        // The delimiter: the verdict on a non-empty frame, and a fresh start.
        if self.delim.val() {
            self.enc.d.next = 0.into();
            self.overflow.d.next = false;
            self.remaining.d.next = 0.into();
            self.chain.d.next = false;
            self.count.d.next = 0.into();
            self.version_ok.d.next = false;
            self.len_r.d.next = 0.into();
            if self.enc.q.val() != 0 {
                self.done_r.d.next = true;
                if self.overflow.q.val() {
                    self.status_r.d.next = 8.into();
                } else if self.remaining.q.val() != 0 {
                    self.status_r.d.next = 1.into();
                } else if self.count.q.val() < 5 {
                    self.status_r.d.next = 2.into();
                } else if self.count.q.val() > 4101 {
                    self.status_r.d.next = 6.into();
                } else if !self.crc_ok.val() {
                    self.status_r.d.next = 3.into();
                } else if !self.version_ok.q.val() {
                    self.status_r.d.next = 4.into();
                } else {
                    self.status_r.d.next = 0.into();
                    self.len_r.d.next = self.count.q.val() - 2;
                }
            }
        }
        self.wr_en.next = self.wr_en_r.q.val();
        self.wr_addr.next = self.wr_addr_r.q.val();
        self.wr_data.next = self.wr_data_r.q.val();
        self.done.next = self.done_r.q.val();
        self.status.next = self.status_r.q.val();
        self.len.next = self.len_r.q.val();
    }
}
