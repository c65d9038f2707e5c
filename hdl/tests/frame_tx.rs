//! `FrameTx` against `protocol::encode`: payloads written into the buffer and sent to a
//! consumer with random stalls (and to a UART-paced one), the byte stream compared with the
//! reference exactly, in rust-hdl's simulator and on the generated Verilog in Icarus (the
//! inputs rust-hdl saw are replayed, every output of every cycle compared). The Rust model of
//! the block's algorithm (`reference_stream`) is checked against `protocol::encode` too.

use fptt_hdl::frame_tx::{crc16, crc16_step, reference_stream, FrameTx, FRAME_TX_CAPACITY, FRAME_TX_INDEX_BITS};
use fptt_hdl::protocol::{encode, Frame, HEADER_BYTES, MAX_BODY, VERSION};
use fptt_hdl::verify::{iverilog_available, run_icarus, settle, tick, verilog_of, Port, Rng};
use rust_hdl::prelude::*;

/// Input row: we, wr_addr, wr_data, send, len, ready.
const INPUTS: [Port; 6] = [
    Port::unsigned("we", 1),
    Port::unsigned("wr_addr", FRAME_TX_INDEX_BITS),
    Port::unsigned("wr_data", 8),
    Port::unsigned("send", 1),
    Port::unsigned("len", FRAME_TX_INDEX_BITS),
    Port::unsigned("ready", 1),
];
/// Output row: valid, data, busy, done.
const OUTPUTS: [Port; 4] =
    [Port::unsigned("valid", 1), Port::unsigned("data", 8), Port::unsigned("busy", 1), Port::unsigned("done", 1)];

/// The bytes on the wire for `payload`: `protocol::encode` for a real frame (version byte
/// first), otherwise COBS of payload and CRC (the `cobs` and `crc` crates) and the delimiter.
fn expected(payload: &[u8]) -> Vec<u8> {
    if payload[0] == VERSION {
        let frame = Frame { seq: payload[1], command: payload[2], body: payload[HEADER_BYTES..].to_vec() };
        encode(&frame)
    } else {
        let crc = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740).checksum(payload);
        let mut raw = payload.to_vec();
        raw.extend(crc.to_le_bytes());
        let mut out = cobs::encode_vec(&raw);
        out.push(0);
        out
    }
}

fn frame(seq: u8, command: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![VERSION, seq, command];
    p.extend(body);
    p
}

fn nonzero(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.range(1, 255) as u8).collect()
}

/// Random bytes with about `zero_per_mille` zeros in a thousand.
fn bytes(rng: &mut Rng, n: usize, zero_per_mille: i64) -> Vec<u8> {
    (0..n).map(|_| if rng.range(0, 999) < zero_per_mille { 0 } else { rng.range(1, 255) as u8 }).collect()
}

/// Retries `make` until the payload's CRC bytes satisfy `want(lo, hi)`.
fn with_crc(rng: &mut Rng, want: impl Fn(u8, u8) -> bool, make: impl Fn(&mut Rng) -> Vec<u8>) -> Vec<u8> {
    for _ in 0..100_000 {
        let p = make(rng);
        let [lo, hi] = crc16(&p).to_le_bytes();
        if want(lo, hi) {
            return p;
        }
    }
    panic!("no payload with the wanted CRC found");
}

/// The edge cases: empty body, all zeros, no zeros, runs of 252 ..= 256 and 508 ..= 510
/// non-zero bytes (in the middle, from the start, up to the very end of payload and CRC),
/// zeros at the start and the end, CRC bytes that are zero, payloads not starting with the
/// version byte.
fn edge_payloads(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut v = vec![
        frame(1, 0x81, &[]),
        frame(0, 0, &[]),
        frame(0, 0, &[0]),
        frame(0, 0, &[0; 300]),
        frame(0, 0, &[0; 600]),
        vec![0, 0, 0],
        vec![0, 0, 0, 0, 0, 0, 0],
    ];
    for n in [300, 700] {
        let body = nonzero(rng, n);
        v.push(frame(7, 0x86, &body));
    }
    for r in [1, 2, 252, 253, 254, 255, 256, 507, 508, 509, 510, 762] {
        // a run in the middle, between zeros
        let mut body = bytes(rng, 10, 300);
        body.push(0);
        body.extend(nonzero(rng, r));
        body.push(0);
        body.extend(bytes(rng, 5, 300));
        v.push(frame(9, 0x83, &body));
        // a run from the first byte (header included)
        v.push(frame(9, 0x83, &nonzero(rng, r.saturating_sub(3))));
    }
    for r in [5, 253, 254, 255, 256, 508, 509, 510] {
        // the whole encoded data (payload and CRC) non-zero, r bytes
        v.push(with_crc(rng, |lo, hi| lo != 0 && hi != 0, |g| frame(3, 0x82, &nonzero(g, r - 2 - HEADER_BYTES))));
        // a run of r up to the end of the data, after a zero
        v.push(with_crc(
            rng,
            |lo, hi| lo != 0 && hi != 0,
            |g| {
                let mut body = bytes(g, 20, 200);
                body.push(0);
                body.extend(nonzero(g, r - 2));
                frame(3, 0x82, &body)
            },
        ));
        // a run of r ending with the CRC's low byte, then a zero high byte
        v.push(with_crc(
            rng,
            |lo, hi| lo != 0 && hi == 0,
            |g| {
                let mut body = bytes(g, 20, 200);
                body.push(0);
                body.extend(nonzero(g, r - 1));
                frame(3, 0x82, &body)
            },
        ));
    }
    // zeros at the start and the end
    let mut body = vec![0; 4];
    body.extend(bytes(rng, 40, 100));
    body.extend([0; 3]);
    v.push(frame(0, 0, &body));
    v.push(frame(0, 0, &[0, 0, 0, 5]));
    // CRC bytes that are zero
    for (want_lo, want_hi) in [(true, false), (false, true)] {
        v.push(with_crc(
            rng,
            |lo, hi| (lo == 0) == want_lo && (hi == 0) == want_hi,
            |g| {
                let n = g.range(0, 60) as usize;
                let body = bytes(g, n, 100);
                frame(g.range(1, 255) as u8, 0x88, &body)
            },
        ));
    }
    // not a frame of this protocol version: the first byte zero, then a long run
    let mut p = vec![0, 0, 0];
    p.extend(nonzero(rng, 260));
    v.push(p);
    v
}

/// Random payloads: bodies of 0 ..= `max_body` bytes, zero densities from none to mostly zeros.
fn random_payloads(rng: &mut Rng, count: usize, max_body: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            let n = rng.range(0, max_body as i64) as usize;
            let density = [0, 4, 30, 100, 500, 900][rng.range(0, 5) as usize];
            let body = bytes(rng, n, density);
            frame(rng.range(0, 255) as u8, rng.range(0, 255) as u8, &body)
        })
        .collect()
}

/// When the consumer offers `ready`.
#[derive(Clone, Copy, Debug)]
enum Consumer {
    /// Always ready.
    Always,
    /// Ready with probability `p` per mille, independently each cycle.
    Random(i64),
    /// A UART taking a byte every `period` cycles: ready = !busy, busy for `period - 1`
    /// cycles after each byte.
    Uart(usize),
}

/// One frame's record: rows of its `send`, its first byte offered and its `done`, the bytes
/// taken, and how many cycles the consumer was ready and waited for a byte after the first.
struct Sent {
    send_row: usize,
    first_row: usize,
    done_row: usize,
    bytes: Vec<u8>,
    starved: usize,
}

/// A run of the block in rust-hdl: the input rows applied and the outputs after each edge.
struct Run {
    rows: Vec<Vec<i64>>,
    out: Vec<Vec<i64>>,
    frames: Vec<Sent>,
}

/// Writes each payload into the buffer (in a random order, with idle rows), sends it and
/// takes bytes as `consumer` allows until `done`. While the frame is out, stray writes and
/// sends arrive at random, which the block must ignore. A payload equal to the one before is
/// not written again: the buffer still holds it (a reply sent again).
fn drive(payloads: &[Vec<u8>], consumer: Consumer, seed: u64) -> Run {
    let mut rng = Rng::new(seed);
    let mut uut = FrameTx::default();
    uut.connect_all();
    let clock = |u: &mut FrameTx, c| u.clock.next = c;
    uut.clock.next = Clock { clk: false };
    settle(&mut uut);
    let mut run = Run { rows: vec![], out: vec![], frames: vec![] };
    let mut next_free = 0usize; // the UART's next free row
    let step = |uut: &mut FrameTx, run: &mut Run, row: Vec<i64>| -> Vec<i64> {
        uut.we.next = row[0] != 0;
        uut.wr_addr.next = (row[1] as u64).into();
        uut.wr_data.next = (row[2] as u64).into();
        uut.send.next = row[3] != 0;
        uut.len.next = (row[4] as u64).into();
        uut.ready.next = row[5] != 0;
        settle(uut);
        tick(uut, &clock);
        let out =
            vec![uut.valid.val() as i64, uut.data.val().index() as i64, uut.busy.val() as i64, uut.done.val() as i64];
        run.rows.push(row);
        run.out.push(out.clone());
        out
    };
    let ready = |rng: &mut Rng, row: usize, next_free: usize| -> bool {
        match consumer {
            Consumer::Always => true,
            Consumer::Random(p) => rng.range(0, 999) < p,
            Consumer::Uart(_) => row >= next_free,
        }
    };
    let mut last;
    let mut previous: Option<&Vec<u8>> = None;
    for payload in payloads {
        let n = payload.len();
        assert!((HEADER_BYTES..=FRAME_TX_CAPACITY).contains(&n));
        // write the payload, in a random order (unless the buffer holds it)
        let mut order: Vec<usize> = if previous == Some(payload) { vec![] } else { (0..n).collect() };
        for i in (1..order.len()).rev() {
            order.swap(i, rng.range(0, i as i64) as usize);
        }
        for &i in &order {
            if rng.range(0, 9) == 0 {
                let r = ready(&mut rng, run.rows.len(), next_free) as i64;
                let idle = step(&mut uut, &mut run, vec![0, 0, 0, 0, 0, r]);
                assert_eq!(idle, [0, idle[1], 0, 0], "idle while writing");
            }
            let r = ready(&mut rng, run.rows.len(), next_free) as i64;
            let idle = step(&mut uut, &mut run, vec![1, i as i64, payload[i] as i64, 0, 0, r]);
            assert_eq!(idle, [0, idle[1], 0, 0], "idle while writing");
        }
        let send_row = run.rows.len();
        let r = ready(&mut rng, send_row, next_free) as i64;
        last = step(&mut uut, &mut run, vec![0, 0, 0, 1, n as i64, r]);
        let mut sent = Sent { send_row, first_row: 0, done_row: 0, bytes: vec![], starved: 0 };
        let bound = send_row + 64 + 2 * n * 1000 / 100 + 100 * n.max(300);
        loop {
            let row = run.rows.len();
            assert!(row < bound, "frame of {n} bytes not done by row {row} (sent at {send_row})");
            assert_eq!(last[2], 1, "busy while a frame is out (row {row})");
            let r = ready(&mut rng, row, next_free);
            if last[0] == 1 && sent.first_row == 0 {
                sent.first_row = row - 1;
            }
            if r && last[0] == 1 {
                sent.bytes.push(last[1] as u8);
                if let Consumer::Uart(period) = consumer {
                    next_free = row + period;
                }
            } else if r && !sent.bytes.is_empty() {
                sent.starved += 1;
            }
            // stray writes and sends, to be ignored
            let we = (rng.range(0, 19) == 0) as i64;
            let send = (rng.range(0, 19) == 0) as i64;
            let stray = vec![
                we,
                rng.range(0, (1 << FRAME_TX_INDEX_BITS) - 1),
                rng.range(0, 255),
                send,
                rng.range(3, 300),
                r as i64,
            ];
            last = step(&mut uut, &mut run, stray);
            if last[3] == 1 {
                assert_eq!(last[2], 0, "busy falls with done");
                assert_eq!(last[0], 0, "nothing offered after the delimiter");
                sent.done_row = run.rows.len() - 1;
                break;
            }
        }
        run.frames.push(sent);
        previous = Some(payload);
        // a few idle rows between frames
        for _ in 0..rng.range(0, 3) {
            let r = ready(&mut rng, run.rows.len(), next_free) as i64;
            last = step(&mut uut, &mut run, vec![0, 0, 0, 0, 0, r]);
            assert_eq!(last, [0, last[1], 0, 0], "idle between frames");
        }
    }
    run
}

/// Every frame's bytes equal the reference.
fn check_frames(name: &str, payloads: &[Vec<u8>], run: &Run) {
    assert_eq!(run.frames.len(), payloads.len());
    for (i, (p, f)) in payloads.iter().zip(&run.frames).enumerate() {
        let want = expected(p);
        assert_eq!(reference_stream(p), want, "{name}: Rust model, payload {i} ({} bytes)", p.len());
        if f.bytes != want {
            let at = f.bytes.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(f.bytes.len().min(want.len()));
            panic!(
                "{name}: payload {i} ({} bytes): {} bytes sent, {} expected, first difference at byte {at}: \
                 got {:02x?}, want {:02x?}",
                p.len(),
                f.bytes.len(),
                want.len(),
                &f.bytes[at.saturating_sub(3)..(at + 4).min(f.bytes.len())],
                &want[at.saturating_sub(3)..(at + 4).min(want.len())]
            );
        }
    }
}

/// Replays the rows rust-hdl saw on the generated Verilog in Icarus and compares every
/// output of every cycle.
fn cross_check_icarus(test: &str, run: &Run) {
    if !iverilog_available(test) {
        return;
    }
    let dut = verilog_of(FrameTx::default());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let out = run_icarus(&dir, &dut, &INPUTS, &OUTPUTS, &run.rows);
    for (i, (got, want)) in out.iter().zip(&run.out).enumerate() {
        let want: Vec<Option<i64>> = want.iter().map(|&v| Some(v)).collect();
        assert_eq!(got, &want, "{test}: Icarus and rust-hdl differ after edge {i} (inputs {:?})", run.rows[i]);
    }
    println!("{test}: icarus matches rust-hdl on {} cycles", run.rows.len());
}

#[test]
fn reference_model_matches_protocol_encode() {
    let crc = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740);
    let mut rng = Rng::new(0xf7);
    let mut payloads = edge_payloads(&mut rng);
    payloads.extend(random_payloads(&mut rng, 3000, 1100));
    payloads.push(frame(1, 2, &bytes(&mut rng, MAX_BODY, 30)));
    payloads.push(frame(1, 2, &nonzero(&mut rng, MAX_BODY)));
    for p in &payloads {
        assert_eq!(crc16(p), crc.checksum(p), "byte-wide CRC step");
        assert_eq!(reference_stream(p), expected(p), "payload of {} bytes", p.len());
    }
    for b in 0..=255u8 {
        assert_eq!(crc16_step(0xFFFF, b), crc.checksum(&[b]));
    }
    println!("frame_tx model: {} payloads equal protocol::encode", payloads.len());
}

#[test]
fn frame_tx_sends_protocol_encode_with_random_stalls() {
    let mut rng = Rng::new(0xf7_01);
    let mut payloads = edge_payloads(&mut rng);
    payloads.extend(random_payloads(&mut rng, 40, 400));
    // sent again from the buffer, after the stray writes while it was out
    payloads.insert(20, payloads[19].clone());
    payloads.push(payloads[payloads.len() - 1].clone());
    let run = drive(&payloads, Consumer::Random(500), 1);
    check_frames("rust-hdl", &payloads, &run);
    let bytes: usize = run.frames.iter().map(|f| f.bytes.len()).sum();
    println!("frame_tx rust-hdl: {} payloads, {bytes} bytes on the wire, {} cycles", payloads.len(), run.rows.len());
    cross_check_icarus("frame_tx_random_stalls", &run);
}

#[test]
fn frame_tx_sends_the_largest_frames() {
    let mut rng = Rng::new(0xf7_02);
    let largest = frame(255, 0x83, &bytes(&mut rng, MAX_BODY, 30));
    // the second time from the buffer as it was left (stray writes ignored)
    let payloads =
        vec![largest.clone(), largest, frame(1, 0x83, &nonzero(&mut rng, MAX_BODY)), frame(0, 0, &vec![0; MAX_BODY])];
    let run = drive(&payloads, Consumer::Random(700), 2);
    check_frames("rust-hdl", &payloads, &run);
    println!("frame_tx rust-hdl: {} largest payloads, {} cycles", payloads.len(), run.rows.len());
    cross_check_icarus("frame_tx_largest", &run);
}

/// Payloads that make the scanner work hardest between the emitter's needs: many short
/// blocks (zeros) before runs of 254 non-zero bytes, runs back to back.
fn uart_payloads(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut v = vec![];
    for zeros in [0, 1, 4, 16] {
        let mut body = vec![0; zeros];
        for _ in 0..3 {
            body.extend(nonzero(rng, 254));
            body.extend(vec![0; zeros]);
        }
        body.extend(nonzero(rng, 300));
        v.push(frame(5, 0x86, &body));
    }
    let mut body = vec![];
    for i in 0..20 {
        body.extend(vec![0; i % 9]);
        body.extend(nonzero(rng, [254, 1, 253, 30, 255][i % 5]));
    }
    v.push(frame(5, 0x86, &body));
    v.extend(random_payloads(rng, 5, 600));
    v
}

#[test]
fn frame_tx_keeps_a_uart_busy() {
    let mut rng = Rng::new(0xf7_03);
    let payloads = uart_payloads(&mut rng);
    // 3 Mbaud at 25 MHz is 83 cycles a byte; a UART dividing by 8 takes one every 80
    let run = drive(&payloads, Consumer::Uart(80), 3);
    check_frames("rust-hdl uart", &payloads, &run);
    for (i, f) in run.frames.iter().enumerate() {
        assert_eq!(f.starved, 0, "payload {i}: the UART waited {} cycles for a byte after the first", f.starved);
    }
    let first = run.frames.iter().map(|f| f.first_row - f.send_row).max().unwrap();
    println!(
        "frame_tx: a UART taking a byte every 80 cycles never waits after a frame's first byte; \
         at most {first} cycles from send to the first byte"
    );
    cross_check_icarus("frame_tx_uart", &run);
}

#[test]
fn frame_tx_cycles_per_byte_with_a_consumer_always_ready() {
    let mut rng = Rng::new(0xf7_04);
    let mut payloads =
        vec![frame(1, 2, &bytes(&mut rng, 1000, 30)), frame(1, 2, &nonzero(&mut rng, 1000)), frame(0, 0, &[0; 1000])];
    payloads.extend(random_payloads(&mut rng, 5, 400));
    let run = drive(&payloads, Consumer::Always, 4);
    check_frames("rust-hdl always ready", &payloads, &run);
    for (p, f) in payloads.iter().zip(&run.frames) {
        // The first byte waits for the first block's scan (up to 254 bytes); then the emitter
        // takes three cycles a byte (a read, its data registered, the output register), a
        // little more where the scanner, which yields the buffer's read port to the emitter,
        // falls behind (each data byte is read twice): a frame takes at most about 3 cycles a
        // byte plus the longest scan.
        let first = f.first_row - f.send_row;
        let cycles = f.done_row - f.send_row;
        let per_byte = (f.done_row - f.first_row) as f64 / f.bytes.len() as f64;
        println!(
            "frame_tx: {} payload bytes, {} on the wire in {cycles} cycles: the first byte after {first}, \
             then {per_byte:.2} cycles/byte",
            p.len(),
            f.bytes.len()
        );
        assert!(first <= 262, "{first} cycles to the first byte");
        assert!(cycles <= 3 * f.bytes.len() + 262, "{cycles} cycles for {} bytes", f.bytes.len());
    }
    cross_check_icarus("frame_tx_always_ready", &run);
}
