//! `FrameRx` against the software `protocol::Decoder`: one byte stream of random good frames
//! (empty to the largest, bodies with no zeros, all zeros and anything between, runs of 254
//! and more) and damaged ones (bit flips, truncation, garbage, frames too short, a wrong CRC,
//! another version, over-long ones, empty frames) goes through both; every verdict, length and
//! good payload must agree. The block runs in rust-hdl's simulator and on its Verilog in
//! Icarus, same vectors, outputs compared cycle for cycle. `Crc16` is checked against the `crc`
//! crate, and the whole receive path (line -> `UartRx` -> `FrameRx`) on a few frames.

use crc::{Crc, CRC_16_IBM_3740};
use fptt_hdl::frame_rx::{crc16_step, status, status_of, Crc16, FrameRx, ADDR_BITS, MAX_PAYLOAD};
use fptt_hdl::protocol::{encode, Decoder, ErrorCode, Frame, MAX_BODY, MAX_ENCODED, VERSION};
use fptt_hdl::uart::{waveform, UartRx};
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use rust_hdl::prelude::*;
use std::path::PathBuf;

const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);

fn work_dir(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("frame_rx").join(name)
}

/// Bytes for a body: no zeros, all zeros, or zeros at a random density.
fn body(len: usize, rng: &mut Rng) -> Vec<u8> {
    let kind = rng.range(0, 3);
    (0..len)
        .map(|_| match kind {
            0 => rng.range(1, 255) as u8,
            1 => 0,
            _ if rng.range(0, 7) == 0 => 0,
            _ => rng.next_u64() as u8,
        })
        .collect()
}

/// `COBS(raw ++ crc16_le(raw)) ++ [0]` for any raw payload (any version, any length).
fn encode_raw(raw: &[u8]) -> Vec<u8> {
    let mut r = raw.to_vec();
    r.extend(CRC16.checksum(raw).to_le_bytes());
    let mut out = cobs::encode_vec(&r);
    out.push(0);
    out
}

/// A stream of `n` frames, good and damaged, in a fixed rotation of kinds.
fn stream(n: usize, rng: &mut Rng) -> Vec<u8> {
    let mut s = vec![];
    let good = |rng: &mut Rng, len: usize| Frame {
        seq: rng.next_u64() as u8,
        command: rng.next_u64() as u8,
        body: body(len, rng),
    };
    let small = |rng: &mut Rng| match rng.range(0, 9) {
        0 => 0,
        1..=5 => rng.range(1, 40) as usize,
        6 | 7 => rng.range(40, 300) as usize,
        _ => rng.range(250, 700) as usize,
    };
    let any_good = |rng: &mut Rng| {
        let len = small(rng);
        good(rng, len)
    };
    for i in 0..n {
        match i % 12 {
            // good frames
            0..=2 => s.extend(encode(&any_good(rng))),
            // good frames with long runs without zeros (COBS runs of 254, code 0xFF)
            3 => {
                let len = rng.range(200, 1100) as usize;
                let body = (0..len).map(|_| rng.range(1, 255) as u8).collect();
                s.extend(encode(&Frame { seq: rng.next_u64() as u8, command: 6, body }));
            }
            // bit flips in the encoded bytes (a flip to zero splits the frame)
            4 => {
                let mut f = encode(&any_good(rng));
                for _ in 0..rng.range(1, 3) {
                    let k = rng.range(0, f.len() as i64 - 2) as usize;
                    f[k] ^= 1 << rng.range(0, 7);
                }
                s.extend(f);
            }
            // cut short
            5 => {
                let f = encode(&any_good(rng));
                let keep = rng.range(1, f.len() as i64 - 2) as usize;
                s.extend(&f[..keep]);
                s.push(0);
            }
            // garbage, mostly without zeros
            6 => {
                for _ in 0..rng.range(1, 60) {
                    s.push(if rng.range(0, 15) == 0 { 0 } else { rng.range(1, 255) as u8 });
                }
                s.push(0);
            }
            // too short for header and CRC, well encoded
            7 => {
                let raw: Vec<u8> = (0..rng.range(1, 4)).map(|_| rng.next_u64() as u8).collect();
                s.extend(cobs::encode_vec(&raw));
                s.push(0);
            }
            // a wrong CRC
            8 => {
                let f = any_good(rng);
                let mut raw = vec![VERSION, f.seq, f.command];
                raw.extend(&f.body);
                let crc = CRC16.checksum(&raw) ^ rng.range(1, 0xFFFF) as u16;
                raw.extend(crc.to_le_bytes());
                s.extend(cobs::encode_vec(&raw));
                s.push(0);
            }
            // another version, a good CRC
            9 => {
                let mut raw = vec![VERSION ^ rng.range(1, 255) as u8, 7, 1];
                raw.extend(body(small(rng), rng));
                s.extend(encode_raw(&raw));
            }
            // empty frames
            10 => s.extend(std::iter::repeat_n(0, rng.range(1, 3) as usize)),
            // long: over the limit, at it, the largest body, the largest payload
            _ => match (i / 12) % 4 {
                0 => {
                    let n = MAX_ENCODED + rng.range(1, 40) as usize;
                    s.extend((0..n).map(|_| rng.range(1, 255) as u8));
                    s.push(0);
                }
                1 => {
                    s.extend((0..MAX_ENCODED).map(|_| rng.range(1, 255) as u8));
                    s.push(0);
                }
                2 => s.extend(encode(&good(rng, MAX_BODY))),
                _ => {
                    // all zeros: every byte costs one, MAX_ENCODED bytes exactly
                    let raw = vec![VERSION, rng.next_u64() as u8, 2]
                        .into_iter()
                        .chain(std::iter::repeat_n(0, MAX_PAYLOAD - 3))
                        .collect::<Vec<u8>>();
                    let f = encode_raw(&raw);
                    assert_eq!(f.len(), MAX_ENCODED + 1, "the largest payload fills MAX_ENCODED");
                    s.extend(f);
                }
            },
        }
    }
    s
}

/// Input rows (byte, valid): the bytes with random idle cycles between them (none at all
/// most of the time), and idle rows to flush.
fn rows_of(bytes: &[u8], rng: &mut Rng) -> Vec<Vec<i64>> {
    let mut rows = vec![];
    for &b in bytes {
        if rng.range(0, 3) == 0 {
            for _ in 0..rng.range(1, 3) {
                rows.push(vec![rng.next_u64() as u8 as i64, 0]);
            }
        }
        rows.push(vec![b as i64, 1]);
    }
    rows.extend(std::iter::repeat_n(vec![0, 0], 4));
    rows
}

const INPUTS: [Port; 2] = [Port::unsigned("data", 8), Port::unsigned("valid", 1)];
const OUTPUTS: [Port; 6] = [
    Port::unsigned("wr_en", 1),
    Port::unsigned("wr_addr", ADDR_BITS),
    Port::unsigned("wr_data", 8),
    Port::unsigned("done", 1),
    Port::unsigned("status", 4),
    Port::unsigned("len", ADDR_BITS),
];

fn read_frame_rx(u: &FrameRx) -> Vec<i64> {
    vec![
        u.wr_en.val() as i64,
        u64::from(u.wr_addr.val()) as i64,
        u64::from(u.wr_data.val()) as i64,
        u.done.val() as i64,
        u64::from(u.status.val()) as i64,
        u64::from(u.len.val()) as i64,
    ]
}

/// Replays the outputs (wr_en, wr_addr, wr_data, done, status, len) into a buffer and checks
/// every verdict against the software decoder's results for the same bytes. Returns how many
/// frames had each status.
fn check(what: &str, bytes: &[u8], out: &[Vec<i64>]) -> Vec<(u8, usize)> {
    let want = Decoder::new().push(bytes);
    let mut buf = vec![0u8; 1 << ADDR_BITS];
    let mut writes: Vec<usize> = vec![];
    let mut k = 0;
    let mut counts = std::collections::BTreeMap::new();
    for (cycle, r) in out.iter().enumerate() {
        if r[0] != 0 {
            buf[r[1] as usize] = r[2] as u8;
            writes.push(r[1] as usize);
        }
        if r[3] == 0 {
            continue;
        }
        assert!(k < want.len(), "{what}: cycle {cycle}: a verdict more than the decoder's {}", want.len());
        let (st, len) = (r[4] as u8, r[5] as usize);
        assert_eq!(
            st,
            status_of(&want[k]),
            "{what}: frame {k} (cycle {cycle}): status, decoder says {:?}",
            want[k].as_ref().err()
        );
        *counts.entry(st).or_insert(0) += 1;
        if let Ok(f) = &want[k] {
            let payload: Vec<u8> = [VERSION, f.seq, f.command].into_iter().chain(f.body.iter().copied()).collect();
            assert_eq!(len, payload.len(), "{what}: frame {k}: length");
            assert!(writes.iter().copied().eq(0..len), "{what}: frame {k}: writes at 0..{len} in order");
            assert!(buf[..len] == payload[..], "{what}: frame {k}: payload");
        } else {
            assert_eq!(len, 0, "{what}: frame {k}: length of a refused frame");
            assert!(writes.iter().all(|&a| a < MAX_PAYLOAD), "{what}: frame {k}: writes within the buffer");
        }
        writes.clear();
        k += 1;
    }
    assert_eq!(k, want.len(), "{what}: one verdict per decoder result");
    counts.into_iter().collect()
}

#[test]
fn frame_rx_matches_protocol_decoder() {
    let mut rng = Rng::new(0xf4a3e);
    let bytes = stream(150, &mut rng);
    let rows = rows_of(&bytes, &mut rng);
    let mut uut = FrameRx::new();
    let sim = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.data.next = (r[0] as u64).into();
            u.valid.next = r[1] != 0;
        },
        read_frame_rx,
        &rows,
    );
    if iverilog_available("frame_rx_matches_protocol_decoder") {
        let icarus = run_icarus(&work_dir("frame_rx"), &verilog_of(FrameRx::new()), &INPUTS, &OUTPUTS, &rows);
        if let Some(i) = (0..rows.len()).find(|&i| icarus[i] != sim[i]) {
            panic!("Icarus against rust-hdl: first difference at cycle {i}: {:?} vs {:?}", icarus[i], sim[i]);
        }
    }
    let out: Vec<Vec<i64>> = sim.into_iter().map(|r| r.into_iter().map(|v| v.expect("two-state")).collect()).collect();
    let counts = check("frame_rx", &bytes, &out);
    let seen = |s: u8| counts.iter().any(|&(c, n)| c == s && n > 0);
    assert!(seen(status::OK), "good frames: {counts:?}");
    for e in [ErrorCode::Malformed, ErrorCode::Truncated, ErrorCode::BadCrc, ErrorCode::BadVersion, ErrorCode::Overflow]
    {
        assert!(seen(e as u8), "{e:?} among the verdicts: {counts:?}");
    }
    println!(
        "frame_rx: {} bytes, {} cycles, verdicts (status, frames) {counts:?} as protocol::Decoder",
        bytes.len(),
        rows.len()
    );
}

#[test]
fn crc16_matches_the_crc_crate() {
    let mut rng = Rng::new(16);
    for len in [0, 1, 2, 3, 9, 100, 1000] {
        let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let c = data.iter().fold(0xFFFF, |c, &b| crc16_step(c, b));
        assert_eq!(c, CRC16.checksum(&data), "{len} bytes");
    }
    assert_eq!(b"123456789".iter().fold(0xFFFF, |c, &b| crc16_step(c, b)), 0x29B1, "the check value");
    // the block: clear, then bytes with gaps, in rust-hdl and Icarus
    let mut rows = vec![];
    let mut want = vec![];
    let mut crc = 0xFFFFu16;
    for i in 0..3000 {
        let (clear, en, b) = (i % 500 == 0, rng.range(0, 3) != 0, rng.next_u64() as u8);
        crc = if clear {
            0xFFFF
        } else if en {
            crc16_step(crc, b)
        } else {
            crc
        };
        rows.push(vec![clear as i64, en as i64, b as i64]);
        want.push(crc as i64);
    }
    let mut uut = Crc16::default();
    let sim = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| {
            u.clear.next = r[0] != 0;
            u.en.next = r[1] != 0;
            u.data.next = (r[2] as u64).into();
        },
        |u| vec![u64::from(u.crc.val()) as i64],
        &rows,
    );
    let sim: Vec<i64> = sim.into_iter().map(|r| r[0].unwrap()).collect();
    assert_eq!(sim, want, "rust-hdl");
    if iverilog_available("crc16_matches_the_crc_crate") {
        let ins = [Port::unsigned("clear", 1), Port::unsigned("en", 1), Port::unsigned("data", 8)];
        let out =
            run_icarus(&work_dir("crc16"), &verilog_of(Crc16::default()), &ins, &[Port::unsigned("crc", 16)], &rows);
        let out: Vec<i64> = out.into_iter().map(|r| r[0].expect("a defined CRC")).collect();
        assert_eq!(out, want, "icarus");
    }
}

/// The receive path: the line into `UartRx`, its bytes into `FrameRx`.
#[derive(LogicBlock)]
struct LinkRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The serial line.
    pub rx: Signal<In, Bit>,
    /// `FrameRx::wr_en`.
    pub wr_en: Signal<Out, Bit>,
    /// `FrameRx::wr_addr`.
    pub wr_addr: Signal<Out, Bits<ADDR_BITS>>,
    /// `FrameRx::wr_data`.
    pub wr_data: Signal<Out, Bits<8>>,
    /// `FrameRx::done`.
    pub done: Signal<Out, Bit>,
    /// `FrameRx::status`.
    pub status: Signal<Out, Bits<4>>,
    /// `FrameRx::len`.
    pub len: Signal<Out, Bits<ADDR_BITS>>,
    uart: UartRx,
    frames: FrameRx,
}

impl Logic for LinkRx {
    #[hdl_gen]
    fn update(&mut self) {
        self.uart.clock.next = self.clock.val();
        self.frames.clock.next = self.clock.val();
        self.uart.rx.next = self.rx.val();
        self.frames.data.next = self.uart.data.val();
        self.frames.valid.next = self.uart.valid.val();
        self.wr_en.next = self.frames.wr_en.val();
        self.wr_addr.next = self.frames.wr_addr.val();
        self.wr_data.next = self.frames.wr_data.val();
        self.done.next = self.frames.done.val();
        self.status.next = self.frames.status.val();
        self.len.next = self.frames.len.val();
    }
}

#[test]
fn uart_to_frame_rx_receives_frames() {
    const D: u32 = 5;
    let make = || LinkRx {
        clock: Signal::default(),
        rx: Signal::default(),
        wr_en: Signal::default(),
        wr_addr: Signal::default(),
        wr_data: Signal::default(),
        done: Signal::default(),
        status: Signal::default(),
        len: Signal::default(),
        uart: UartRx::with_divisor(D),
        frames: FrameRx::new(),
    };
    let mut rng = Rng::new(0x11);
    let mut bytes = vec![];
    for i in 0..16 {
        let f = Frame { seq: i, command: rng.range(1, 8) as u8, body: body(rng.range(0, 24) as usize, &mut rng) };
        let mut e = encode(&f);
        if i % 5 == 3 {
            let k = rng.range(0, e.len() as i64 - 2) as usize;
            e[k] ^= 0x10;
        }
        bytes.extend(e);
    }
    let bit = D as f64 * 1.01;
    let sends: Vec<(f64, u8)> = bytes.iter().enumerate().map(|(i, &b)| (3.0 + i as f64 * 10.5 * bit, b)).collect();
    let line = waveform(&sends, bit, (bytes.len() as f64 * 10.5 * bit) as usize + 40 * D as usize);
    let rows: Vec<Vec<i64>> = line.iter().map(|&v| vec![v as i64]).collect();
    let mut uut = make();
    let sim = run_rust_hdl(
        &mut uut,
        |u, c| u.clock.next = c,
        |u, r| u.rx.next = r[0] != 0,
        |u| {
            vec![
                u.wr_en.val() as i64,
                u64::from(u.wr_addr.val()) as i64,
                u64::from(u.wr_data.val()) as i64,
                u.done.val() as i64,
                u64::from(u.status.val()) as i64,
                u64::from(u.len.val()) as i64,
            ]
        },
        &rows,
    );
    if iverilog_available("uart_to_frame_rx_receives_frames") {
        let icarus = run_icarus(&work_dir("link_rx"), &verilog_of(make()), &[Port::unsigned("rx", 1)], &OUTPUTS, &rows);
        if let Some(i) = (0..rows.len()).find(|&i| icarus[i] != sim[i]) {
            panic!("Icarus against rust-hdl: first difference at cycle {i}: {:?} vs {:?}", icarus[i], sim[i]);
        }
    }
    let out: Vec<Vec<i64>> = sim.into_iter().map(|r| r.into_iter().map(|v| v.expect("two-state")).collect()).collect();
    let counts = check("line -> UartRx -> FrameRx", &bytes, &out);
    println!("uart -> frame_rx: {} bytes at divisor {D} (line 1% slow), verdicts {counts:?}", bytes.len());
}
