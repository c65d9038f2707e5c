//! `FrameTx`: the device's frame transmitter. It holds a reply payload (`[version, seq,
//! command, body..]`) in a buffer and streams out exactly the bytes of
//! [`protocol::encode`](crate::protocol::encode) for it: `COBS(payload ++ crc16_le(payload))`
//! and the `0x00` delimiter, one byte per handshake.
//!
//! **Buffer.** The command engine writes payload byte i through the write port (`wr_addr` = i,
//! `wr_data`, `we`), any order, then pulses `send` with the payload length `len`
//! (3 ..= [`FRAME_TX_CAPACITY`]). Writes and `send` are ignored while `busy`: the buffer
//! belongs to the transmitter until the frame is out, and keeps its bytes afterwards (a reply
//! can be sent again). Bytes 3 .. 4096 live at their index in a 4096 x 8 synchronous RAM (two
//! EBRs), bytes 4096 .. 4099 at their index mod 4096 (the RAM words 0 .. 3 are free because the
//! three header bytes live in registers), so the whole [`FRAME_TX_CAPACITY`] fits two EBRs
//! instead of four.
//!
//! **Encoding.** The encoded data is d = payload ++ crc_lo ++ crc_hi (m = len + 2 bytes). A
//! *scanner* reads d once, in order, one byte per cycle (the CRC-16/IBM-3740 register takes
//! each payload byte as it passes, so the two CRC bytes are final when the scanner reaches
//! them and are scanned as ordinary data, zeros included), and cuts d into COBS blocks: a zero
//! ends a block (code = its non-zero bytes + 1, the zero is dropped), 254 non-zero bytes end
//! one (code 0xFF, nothing dropped), the end of d ends the last one (after a 0xFF block ending
//! exactly at the end of d, no further block: the `cobs` crate's rule). The codes go into an
//! eight-entry FIFO ([`FRAME_TX_FIFO`]). An *emitter* pops a code, sends it, then reads and
//! sends the block's code - 1 data bytes from the buffer again, skips the dropped zero, and
//! after the last block sends the delimiter. The two share the buffer's read port, the emitter
//! first; the scanner runs ahead of the emitter by up to eight blocks, so a slow consumer is
//! never kept waiting for a scan (below).
//!
//! **Handshake.** `valid` and `data` are registers; a byte is taken at a clock edge where
//! `valid` and `ready` are both high, and `data` holds still while `valid` waits for `ready`.
//! `valid` never depends on `ready` in the same cycle. A UART transmitter with `start`, `data`
//! and `busy` (it loads `data` on an edge where `start` is high and `busy` low, and `busy` is
//! a register that rises after that edge and stays high while it shifts the byte out) is
//! connected directly: `uart.start <- valid`, `uart.data <- data`, `ready <- !uart.busy`.
//! `busy` rises on the edge that takes `send` and falls on the edge that takes the delimiter,
//! after which `done` is high for one cycle.
//!
//! **Throughput.** The buffer's read data is registered (the EBR's output register), so a
//! read answers two cycles later. With `ready` always high the emitter sends a byte every
//! three cycles (a read, its data registered, the output register; a code byte and the step
//! past a block take two), a little more where the scanner, which yields the read port to the
//! emitter, falls behind (each data byte is read twice): 2.0 to 3.2 cycles a byte measured.
//! The first byte waits for the first block's scan (at most 254 bytes, 257 cycles). A
//! 3 Mbaud UART takes a byte every 83 cycles at 25 MHz and 333 at 100 MHz; the scanner reads
//! a byte per cycle and runs up to eight blocks ahead, so after a frame's first byte such a
//! UART never waits (`hdl/tests/frame_tx.rs` checks it at 80 cycles a byte with runs of 254
//! non-zero bytes after short blocks).
//!
//! **Size** (yosys 0.70 `synth_ecp5`, nextpnr-ecp5 0.11 on a 25F, speed 6, ports on any
//! pins): 2 DP16KD, 537 LUT4 and 45 carry cells (661 TRELLIS_COMB placed), 282
//! flip-flops; 117 to 121 MHz over three seeds.
//!
//! [`reference_blocks`] and [`reference_stream`] model the same algorithm in Rust; the tests
//! check them against [`protocol::encode`](crate::protocol::encode) and the block against both.

use crate::protocol::{CRC_BYTES, DELIMITER, HEADER_BYTES, MAX_BODY};
use rust_hdl::prelude::*;

/// Bits of a byte index into the buffer and the encoded data (payload and CRC).
pub const FRAME_TX_INDEX_BITS: usize = 13;
/// Address bits of the buffer RAM (4096 bytes, two EBRs).
pub const FRAME_TX_RAM_BITS: usize = 12;
/// The largest payload: header and the largest body.
pub const FRAME_TX_CAPACITY: usize = HEADER_BYTES + MAX_BODY;
/// Entries of the COBS code FIFO between the scanner and the emitter.
pub const FRAME_TX_FIFO: usize = 8;
/// The scanner issues a read only while the FIFO holds at most this many codes (room for the
/// two bytes in flight and the one read now).
const SCAN_ROOM: usize = FRAME_TX_FIFO - 3;

const _: () = assert!(HEADER_BYTES == 3, "three header registers, literal 3 in update()");
const _: () = assert!(
    FRAME_TX_CAPACITY <= (1 << FRAME_TX_RAM_BITS) + HEADER_BYTES,
    "bytes past 4096 fold onto RAM words 0 .. 3, which the header registers leave free"
);
const _: () = assert!(
    FRAME_TX_CAPACITY + CRC_BYTES < (1 << FRAME_TX_INDEX_BITS),
    "indices of payload and CRC fit the index width"
);
const _: () = assert!(FRAME_TX_FIFO == 8 && SCAN_ROOM == 5, "literal FIFO size 8 and room 5 in update()");
const _: () = assert!(DELIMITER == 0, "the delimiter is the zero the output register takes");

/// One byte into a CRC-16/IBM-3740 register (polynomial 0x1021, not reflected): the
/// byte-wide form the block computes in one cycle.
pub fn crc16_step(crc: u16, byte: u8) -> u16 {
    let mut x = ((crc >> 8) as u8) ^ byte;
    x ^= x >> 4;
    let x = x as u16;
    (crc << 8) ^ (x << 12) ^ (x << 5) ^ x
}

/// The CRC-16/IBM-3740 of `bytes` (initial 0xFFFF, no final xor), byte by byte.
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF, |c, &b| crc16_step(c, b))
}

/// The COBS blocks of `data` as the scanner cuts them: (code, last block) in order.
pub fn reference_blocks(data: &[u8]) -> Vec<(u8, bool)> {
    let mut blocks = vec![];
    let mut run = 0u8;
    for (k, &x) in data.iter().enumerate() {
        let last = k + 1 == data.len();
        if x == 0 {
            blocks.push((run + 1, false));
            run = 0;
        } else if run == 253 {
            blocks.push((0xFF, last));
            run = 0;
            if last {
                return blocks;
            }
        } else {
            run += 1;
        }
    }
    blocks.push((run + 1, true));
    blocks
}

/// The bytes the block sends for `payload`, as its scanner and emitter produce them:
/// `COBS(payload ++ crc16_le(payload)) ++ [0x00]`.
pub fn reference_stream(payload: &[u8]) -> Vec<u8> {
    let mut data = payload.to_vec();
    data.extend(crc16(payload).to_le_bytes());
    let mut out = vec![];
    let mut e = 0;
    for (code, last) in reference_blocks(&data) {
        out.push(code);
        out.extend(&data[e..e + code as usize - 1]);
        e += code as usize - 1;
        if !last && code != 0xFF {
            e += 1; // the zero the block stands for
        }
    }
    out.push(DELIMITER);
    out
}

/// The frame transmitter: payload buffer, CRC, COBS and delimiter (see the module docs).
#[derive(LogicBlock, Default)]
pub struct FrameTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Buffer write: payload byte index (0 ..= [`FRAME_TX_CAPACITY`] - 1).
    pub wr_addr: Signal<In, Bits<FRAME_TX_INDEX_BITS>>,
    /// Buffer write: the byte.
    pub wr_data: Signal<In, Bits<8>>,
    /// Buffer write enable (ignored while `busy`).
    pub we: Signal<In, Bit>,
    /// Start sending the buffer's first `len` bytes as a frame (ignored while `busy`).
    pub send: Signal<In, Bit>,
    /// Payload length with `send` (3 ..= [`FRAME_TX_CAPACITY`]).
    pub len: Signal<In, Bits<FRAME_TX_INDEX_BITS>>,
    /// The consumer takes `data` at an edge where `valid` is high (e.g. `!uart.busy`).
    pub ready: Signal<In, Bit>,
    /// `data` holds the next byte of the frame.
    pub valid: Signal<Out, Bit>,
    /// The byte offered.
    pub data: Signal<Out, Bits<8>>,
    /// A frame is being sent (from the edge that takes `send` to the one that takes the delimiter).
    pub busy: Signal<Out, Bit>,
    /// One cycle after the edge that took the delimiter.
    pub done: Signal<Out, Bit>,
    ram: RAM<Bits<8>, FRAME_TX_RAM_BITS>,
    hdr: [DFF<Bits<8>>; 3],
    // the read port, two stages (the RAM's read, then its data registered): what answers
    // (0 RAM, 1 header, 2 CRC low, 3 CRC high)
    rd_sel: DFF<Bits<2>>,
    rd_hdr: DFF<Bits<8>>,
    rd_sel1: DFF<Bits<2>>,
    rd_hdr1: DFF<Bits<8>>,
    rd_ram1: DFF<Bits<8>>,
    rd_idx: Signal<Local, Bits<FRAME_TX_INDEX_BITS>>,
    rdata: Signal<Local, Bits<8>>,
    busy_r: DFF<Bit>,
    done_r: DFF<Bit>,
    n: DFF<Bits<FRAME_TX_INDEX_BITS>>,
    n1: DFF<Bits<FRAME_TX_INDEX_BITS>>,
    m: DFF<Bits<FRAME_TX_INDEX_BITS>>,
    // scanner: 0 off, 1 scanning, 2 last block to push
    sstate: DFF<Bits<2>>,
    k: DFF<Bits<FRAME_TX_INDEX_BITS>>,
    sv: DFF<Bit>,
    s_last: DFF<Bit>,
    sv1: DFF<Bit>,
    s_last1: DFF<Bit>,
    run: DFF<Bits<8>>,
    crc: DFF<Bits<16>>,
    scan_rd: Signal<Local, Bit>,
    x1: Signal<Local, Bits<8>>,
    x2: Signal<Local, Bits<16>>,
    // code FIFO
    fcode: [DFF<Bits<8>>; FRAME_TX_FIFO],
    ffin: [DFF<Bit>; FRAME_TX_FIFO],
    wp: DFF<Bits<3>>,
    rp: DFF<Bits<3>>,
    count: DFF<Bits<4>>,
    push: Signal<Local, Bit>,
    push_code: Signal<Local, Bits<8>>,
    push_fin: Signal<Local, Bit>,
    pop: Signal<Local, Bit>,
    head_code: Signal<Local, Bits<8>>,
    head_fin: Signal<Local, Bit>,
    // emitter: 0 off, 1 code, 2 data, 3 data read, 6 data arriving, 4 delimiter, 5 delimiter
    // offered
    estate: DFF<Bits<3>>,
    e: DFF<Bits<FRAME_TX_INDEX_BITS>>,
    rem: DFF<Bits<8>>,
    efin: DFF<Bit>,
    eskip: DFF<Bit>,
    valid_r: DFF<Bit>,
    data_r: DFF<Bits<8>>,
    free: Signal<Local, Bit>,
    emit_rd: Signal<Local, Bit>,
}

impl Logic for FrameTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, rd_sel, rd_hdr, rd_sel1, rd_hdr1, rd_ram1, sv1, s_last1, busy_r, done_r, n, n1, m, sstate, k,
            sv, s_last, run, crc, wp, rp, count, estate, e, rem, efin, eskip, valid_r, data_r
        );
        for i in 0..3 {
            self.hdr[i].clock.next = self.clock.val();
            self.hdr[i].d.next = self.hdr[i].q.val();
        }
        for i in 0..8 {
            self.fcode[i].clock.next = self.clock.val();
            self.fcode[i].d.next = self.fcode[i].q.val();
            self.ffin[i].clock.next = self.clock.val();
            self.ffin[i].d.next = self.ffin[i].q.val();
        }
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();
        self.valid.next = self.valid_r.q.val();
        self.data.next = self.data_r.q.val();
        self.busy.next = self.busy_r.q.val();
        self.done.next = self.done_r.q.val();
        self.done_r.d.next = false;

        // Buffer writes, while idle: the header bytes into registers, the rest into the RAM
        // at index mod 4096.
        self.ram.write_address.next = self.wr_addr.val().get_bits::<12>(0);
        self.ram.write_data.next = self.wr_data.val();
        self.ram.write_enable.next = (self.we.val() & (!self.busy_r.q.val())) & (self.wr_addr.val() > 2);
        for i in 0..3 {
            if (self.we.val() & (!self.busy_r.q.val())) & (self.wr_addr.val().index() == i) {
                self.hdr[i].d.next = self.wr_data.val();
            }
        }

        // Start a frame: clear the scanner, the CRC, the FIFO and the emitter.
        if self.send.val() & (!self.busy_r.q.val()) {
            self.busy_r.d.next = true;
            self.n.d.next = self.len.val();
            self.n1.d.next = self.len.val() + 1;
            self.m.d.next = self.len.val() + 2;
            self.sstate.d.next = 1.into();
            self.k.d.next = 0.into();
            self.run.d.next = 0.into();
            self.crc.d.next = 0xFFFF.into();
            self.wp.d.next = 0.into();
            self.rp.d.next = 0.into();
            self.count.d.next = 0.into();
            self.estate.d.next = 1.into();
            self.e.d.next = 0.into();
        }

        // The read port answers two cycles after the read: a header byte, a RAM byte (its
        // read data registered) or a CRC byte (final once the scanner has passed the payload,
        // which is before anyone reads it).
        self.rd_sel1.d.next = self.rd_sel.q.val();
        self.rd_hdr1.d.next = self.rd_hdr.q.val();
        self.rd_ram1.d.next = self.ram.read_data.val();
        self.sv1.d.next = self.sv.q.val();
        self.s_last1.d.next = self.s_last.q.val();
        if self.rd_sel1.q.val() == 1 {
            self.rdata.next = self.rd_hdr1.q.val();
        } else if self.rd_sel1.q.val() == 2 {
            self.rdata.next = self.crc.q.val().get_bits::<8>(0);
        } else if self.rd_sel1.q.val() == 3 {
            self.rdata.next = self.crc.q.val().get_bits::<8>(8);
        } else {
            self.rdata.next = self.rd_ram1.q.val();
        }

        // The FIFO head.
        self.head_code.next = self.fcode[0].q.val();
        self.head_fin.next = self.ffin[0].q.val();
        for i in 1..8 {
            if self.rp.q.val().index() == i {
                self.head_code.next = self.fcode[i].q.val();
                self.head_fin.next = self.ffin[i].q.val();
            }
        }

        // Emitter. The output register is free at the next edge when it is empty or taken now.
        self.free.next = (!self.valid_r.q.val()) | self.ready.val();
        if self.valid_r.q.val() & self.ready.val() {
            self.valid_r.d.next = false;
        }
        self.emit_rd.next = false;
        self.pop.next = false;
        if self.estate.q.val() == 1 {
            // a block's code byte
            if (self.count.q.val() != 0) & self.free.val() {
                self.pop.next = true;
                self.data_r.d.next = self.head_code.val();
                self.valid_r.d.next = true;
                self.rem.d.next = self.head_code.val() - 1;
                self.efin.d.next = self.head_fin.val();
                self.eskip.d.next = (!self.head_fin.val()) & (self.head_code.val() != 255);
                self.estate.d.next = 2.into();
            }
        } else if self.estate.q.val() == 2 {
            // the block's data bytes, then past the zero it stands for
            if self.rem.q.val() == 0 {
                if self.eskip.q.val() {
                    self.e.d.next = self.e.q.val() + 1;
                }
                if self.efin.q.val() {
                    self.estate.d.next = 4.into();
                } else {
                    self.estate.d.next = 1.into();
                }
            } else if self.free.val() {
                self.emit_rd.next = true;
                self.e.d.next = self.e.q.val() + 1;
                self.rem.d.next = self.rem.q.val() - 1;
                self.estate.d.next = 3.into();
            }
        } else if self.estate.q.val() == 3 {
            self.estate.d.next = 6.into();
        } else if self.estate.q.val() == 6 {
            self.data_r.d.next = self.rdata.val();
            self.valid_r.d.next = true;
            self.estate.d.next = 2.into();
        } else if self.estate.q.val() == 4 {
            if self.free.val() {
                self.data_r.d.next = 0.into();
                self.valid_r.d.next = true;
                self.estate.d.next = 5.into();
            }
        } else if (self.estate.q.val() == 5) & (self.valid_r.q.val() & self.ready.val()) {
            self.busy_r.d.next = false;
            self.done_r.d.next = true;
            self.estate.d.next = 0.into();
        }

        // Scanner: one byte of d per cycle while the emitter leaves the read port free and
        // the FIFO has room for the bytes in flight (literal 5: SCAN_ROOM).
        self.scan_rd.next = (((self.sstate.q.val() == 1) & (self.k.q.val() != self.m.q.val())) & (!self.emit_rd.val()))
            & (self.count.q.val() < 6);
        if self.emit_rd.val() {
            self.rd_idx.next = self.e.q.val();
        } else {
            self.rd_idx.next = self.k.q.val();
        }
        self.sv.d.next = self.scan_rd.val();
        if self.scan_rd.val() {
            self.k.d.next = self.k.q.val() + 1;
            self.s_last.d.next = self.k.q.val() == self.n1.q.val();
        }
        self.ram.read_address.next = self.rd_idx.val().get_bits::<12>(0);
        if self.rd_idx.val() == self.n.q.val() {
            self.rd_sel.d.next = 2.into();
        } else if self.rd_idx.val() == self.n1.q.val() {
            self.rd_sel.d.next = 3.into();
        } else if self.rd_idx.val() < 3 {
            self.rd_sel.d.next = 1.into();
        } else {
            self.rd_sel.d.next = 0.into();
        }
        if self.rd_idx.val().get_bits::<2>(0) == 1 {
            self.rd_hdr.d.next = self.hdr[1].q.val();
        } else if self.rd_idx.val().get_bits::<2>(0) == 2 {
            self.rd_hdr.d.next = self.hdr[2].q.val();
        } else {
            self.rd_hdr.d.next = self.hdr[0].q.val();
        }

        // The scanned byte: the CRC takes payload bytes; zeros and runs of 254 end blocks
        // (literals 253, 255: a block holds at most 254 data bytes).
        self.x1.next = self.crc.q.val().get_bits::<8>(8) ^ self.rdata.val();
        self.x2.next = bit_cast::<16, 8>(self.x1.val() ^ (self.x1.val() >> 4));
        self.push.next = false;
        self.push_code.next = self.run.q.val() + 1;
        self.push_fin.next = false;
        if self.sv1.q.val() {
            if !self.rd_sel1.q.val().get_bit(1) {
                self.crc.d.next =
                    (((self.crc.q.val() << 8) ^ (self.x2.val() << 12)) ^ (self.x2.val() << 5)) ^ self.x2.val();
            }
            if self.rdata.val() == 0 {
                self.push.next = true;
                self.run.d.next = 0.into();
            } else if self.run.q.val() == 253 {
                self.push.next = true;
                self.push_code.next = 255.into();
                self.push_fin.next = self.s_last1.q.val();
                self.run.d.next = 0.into();
            } else {
                self.run.d.next = self.run.q.val() + 1;
            }
            if self.s_last1.q.val() {
                if (self.rdata.val() != 0) & (self.run.q.val() == 253) {
                    self.sstate.d.next = 0.into();
                } else {
                    self.sstate.d.next = 2.into();
                }
            }
        } else if (self.sstate.q.val() == 2) & (self.count.q.val() < 8) {
            self.push.next = true;
            self.push_fin.next = true;
            self.sstate.d.next = 0.into();
        }

        // FIFO pointers and contents.
        for i in 0..8 {
            if self.push.val() & (self.wp.q.val().index() == i) {
                self.fcode[i].d.next = self.push_code.val();
                self.ffin[i].d.next = self.push_fin.val();
            }
        }
        if self.push.val() {
            self.wp.d.next = self.wp.q.val() + 1;
        }
        if self.pop.val() {
            self.rp.d.next = self.rp.q.val() + 1;
        }
        if self.push.val() & (!self.pop.val()) {
            self.count.d.next = self.count.q.val() + 1;
        } else if self.pop.val() & (!self.push.val()) {
            self.count.d.next = self.count.q.val() - 1;
        }
    }
}
