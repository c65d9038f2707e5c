//! `UartRx` and `UartTx` against the pure-Rust reference (`uart::waveform`, `RxModel`,
//! `TxModel`): random byte streams through TX -> line -> RX, back to back and with gaps, at
//! several divisors (odd ones and the minimum); the receiver alone on lines 1.5% fast and slow,
//! with glitches shorter than half a bit, with broken stop bits and a break. Every run is made
//! in rust-hdl's simulator and on the generated Verilog in Icarus, same vectors, compared cycle
//! for cycle with each other and with the cycle-exact models; the bytes received are compared
//! with the bytes sent.

use fptt_hdl::uart::{
    back_to_back, baud_error, decode, divisor, frame_bits, waveform, RxModel, RxOut, TxModel, TxOut, UartRx, UartTx,
    MIN_DIVISOR,
};
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use rust_hdl::prelude::*;
use std::fmt::Debug;
use std::path::PathBuf;

/// Divisors tested: the minimum, odd and even small ones, and 25 MHz / 115200.
const DIVISORS: [u32; 7] = [MIN_DIVISOR, 5, 7, 8, 13, 16, 217];

/// Bytes per stream at a divisor (fewer at the realistic, long one).
fn stream_len(d: u32) -> usize {
    if d > 100 {
        12
    } else {
        160
    }
}

fn work_dir(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("uart").join(name)
}

/// Panics at the first row where `got` and `want` differ.
fn assert_rows<T: PartialEq + Debug>(what: &str, got: &[T], want: &[T]) {
    assert_eq!(got.len(), want.len(), "{what}: row count");
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!("{what}: first difference at cycle {i}: got {:?}, want {:?}", got[i], want[i]);
    }
}

/// Runs a block in rust-hdl and (when Icarus is installed) on its Verilog in Icarus, on the
/// same rows; asserts both give the same outputs after every edge and returns them.
fn run_both<B: Dut>(
    name: &str,
    mut make: impl FnMut() -> B,
    apply: impl Fn(&mut B, &[i64]),
    read: impl Fn(&B) -> Vec<i64>,
    ports: (&[Port], &[Port]),
    rows: &[Vec<i64>],
) -> Vec<Vec<i64>> {
    let mut uut = make();
    let sim = run_rust_hdl(&mut uut, |u, c| u.clock_set(c), apply, read, rows);
    if iverilog_available(name) {
        let icarus = run_icarus(&work_dir(name), &verilog_of(make()), ports.0, ports.1, rows);
        assert_rows(&format!("{name}: Icarus against rust-hdl"), &icarus, &sim);
    }
    sim.into_iter().map(|r| r.into_iter().map(|v| v.expect("a two-state value")).collect()).collect()
}

/// Blocks with a clock input, for [`run_both`].
trait Clocked {
    fn clock_set(&mut self, c: Clock);
}

impl Clocked for UartRx {
    fn clock_set(&mut self, c: Clock) {
        self.clock.next = c;
    }
}

impl Clocked for Loopback {
    fn clock_set(&mut self, c: Clock) {
        self.clock.next = c;
    }
}

/// A block [`run_both`] can clock.
trait Dut: rust_hdl::core::block::Block + Clocked {}
impl<B: rust_hdl::core::block::Block + Clocked> Dut for B {}

/// `UartRx` on a line, one sample per cycle; its outputs after every edge.
fn run_rx(name: &str, d: u32, line: &[bool]) -> Vec<RxOut> {
    let rows: Vec<Vec<i64>> = line.iter().map(|&v| vec![v as i64]).collect();
    let out = run_both(
        name,
        || UartRx::with_divisor(d),
        |u, r| u.rx.next = r[0] != 0,
        |u| vec![u64::from(u.data.val()) as i64, u.valid.val() as i64, u.frame_error.val() as i64],
        (
            &[Port::unsigned("rx", 1)],
            &[Port::unsigned("data", 8), Port::unsigned("valid", 1), Port::unsigned("frame_error", 1)],
        ),
        &rows,
    );
    let out: Vec<RxOut> =
        out.iter().map(|r| RxOut { data: r[0] as u8, valid: r[1] != 0, frame_error: r[2] != 0 }).collect();
    let mut model = RxModel::new(d);
    let want: Vec<RxOut> = line.iter().map(|&v| model.step(v)).collect();
    assert_rows(&format!("{name}: UartRx against RxModel"), &out, &want);
    out
}

/// The events of a receiver's outputs: `Ok(byte)` per `valid`, `Err(())` per `frame_error`.
fn events(out: &[RxOut]) -> Vec<Result<u8, ()>> {
    out.iter()
        .filter_map(|o| {
            assert!(!(o.valid && o.frame_error), "valid and frame_error together");
            if o.valid {
                Some(Ok(o.data))
            } else if o.frame_error {
                Some(Err(()))
            } else {
                None
            }
        })
        .collect()
}

/// A transmitter wired to a receiver: the line of `tx` is the `rx` input.
#[derive(LogicBlock)]
struct Loopback {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Byte to send.
    pub data: Signal<In, Bits<8>>,
    /// Send it.
    pub start: Signal<In, Bit>,
    /// The transmitter is busy.
    pub busy: Signal<Out, Bit>,
    /// The line.
    pub line: Signal<Out, Bit>,
    /// The receiver's byte.
    pub rx_data: Signal<Out, Bits<8>>,
    /// The receiver's valid strobe.
    pub rx_valid: Signal<Out, Bit>,
    /// The receiver's framing error strobe.
    pub rx_error: Signal<Out, Bit>,
    tx: UartTx,
    rx: UartRx,
}

impl Loopback {
    fn new(d: u32) -> Self {
        Self {
            clock: Signal::default(),
            data: Signal::default(),
            start: Signal::default(),
            busy: Signal::default(),
            line: Signal::default(),
            rx_data: Signal::default(),
            rx_valid: Signal::default(),
            rx_error: Signal::default(),
            tx: UartTx::with_divisor(d),
            rx: UartRx::with_divisor(d),
        }
    }
}

impl Logic for Loopback {
    #[hdl_gen]
    fn update(&mut self) {
        self.tx.clock.next = self.clock.val();
        self.rx.clock.next = self.clock.val();
        self.tx.data.next = self.data.val();
        self.tx.start.next = self.start.val();
        self.rx.rx.next = self.tx.tx.val();
        self.busy.next = self.tx.busy.val();
        self.line.next = self.tx.tx.val();
        self.rx_data.next = self.rx.data.val();
        self.rx_valid.next = self.rx.valid.val();
        self.rx_error.next = self.rx.frame_error.val();
    }
}

/// A host sending `bytes`: it raises `start` with the next byte whenever `busy` is low (after
/// a random pause when `gaps`), and now and then pulses `start` with garbage while `busy` is
/// high (to be ignored). Returns the input rows (start, data) and the rows at which each byte
/// was taken; the rows end with the line idle for two frames.
fn host(bytes: &[u8], d: u32, gaps: bool, rng: &mut Rng) -> (Vec<(bool, u8)>, Vec<usize>) {
    let mut m = TxModel::new(d);
    let (mut rows, mut taken) = (vec![], vec![]);
    let mut wait = 0;
    let mut tail = 0;
    while tail < 20 * d as usize {
        let garbage = rng.next_u64() as u8;
        let (start, data) = if taken.len() < bytes.len() && !m.busy() && wait == 0 {
            taken.push(rows.len());
            wait = if gaps && rng.range(0, 1) == 0 { rng.range(1, 3 * d as i64) as usize } else { 0 };
            (true, bytes[taken.len() - 1])
        } else {
            if !m.busy() && wait > 0 {
                wait -= 1;
            }
            (m.busy() && rng.range(0, 7) == 0, garbage)
        };
        if taken.len() == bytes.len() && !m.busy() {
            tail += 1;
        }
        m.step(start, data);
        rows.push((start, data));
    }
    (rows, taken)
}

/// Random bytes, with the extremes first.
fn random_bytes(n: usize, rng: &mut Rng) -> Vec<u8> {
    let mut b = vec![0x00, 0xFF, 0x55, 0xAA, 0x01, 0x80];
    while b.len() < n {
        b.push(rng.next_u64() as u8);
    }
    b.truncate(n);
    b
}

#[test]
fn uart_loopback_random_streams() {
    let mut rng = Rng::new(0x0a27);
    for d in DIVISORS {
        for gaps in [false, true] {
            let name = format!("loopback_d{d}_{}", if gaps { "gaps" } else { "back_to_back" });
            let bytes = random_bytes(stream_len(d), &mut rng);
            let (ins, taken) = host(&bytes, d, gaps, &mut rng);
            let rows: Vec<Vec<i64>> = ins.iter().map(|&(s, b)| vec![b as i64, s as i64]).collect();
            let out = run_both(
                &name,
                || Loopback::new(d),
                |u, r| {
                    u.data.next = (r[0] as u64).into();
                    u.start.next = r[1] != 0;
                },
                |u| {
                    vec![
                        u.busy.val() as i64,
                        u.line.val() as i64,
                        u64::from(u.rx_data.val()) as i64,
                        u.rx_valid.val() as i64,
                        u.rx_error.val() as i64,
                    ]
                },
                (
                    &[Port::unsigned("data", 8), Port::unsigned("start", 1)],
                    &[
                        Port::unsigned("busy", 1),
                        Port::unsigned("line", 1),
                        Port::unsigned("rx_data", 8),
                        Port::unsigned("rx_valid", 1),
                        Port::unsigned("rx_error", 1),
                    ],
                ),
                &rows,
            );
            // the transmitter: cycle-exact with TxModel, and its line the ideal waveform of the
            // bytes at the rows they were taken
            let tx: Vec<TxOut> = out.iter().map(|r| TxOut { busy: r[0] != 0, tx: r[1] != 0 }).collect();
            let mut tm = TxModel::new(d);
            let want: Vec<TxOut> = ins.iter().map(|&(s, b)| tm.step(s, b)).collect();
            assert_rows(&format!("{name}: UartTx against TxModel"), &tx, &want);
            let sends: Vec<(f64, u8)> = taken.iter().zip(&bytes).map(|(&t, &b)| (t as f64, b)).collect();
            let line: Vec<bool> = tx.iter().map(|o| o.tx).collect();
            assert_rows(&format!("{name}: line against waveform"), &line, &waveform(&sends, d as f64, line.len()));
            if !gaps {
                for w in taken.windows(2) {
                    assert_eq!(w[1] - w[0], 10 * d as usize, "{name}: back-to-back bytes leave no gap");
                }
            }
            // the receiver: cycle-exact with RxModel on the line (one edge later), the bytes sent
            let rx: Vec<RxOut> =
                out.iter().map(|r| RxOut { data: r[2] as u8, valid: r[3] != 0, frame_error: r[4] != 0 }).collect();
            let mut rm = RxModel::new(d);
            let want: Vec<RxOut> =
                std::iter::once(true).chain(line.iter().copied()).take(rx.len()).map(|v| rm.step(v)).collect();
            assert_rows(&format!("{name}: UartRx against RxModel"), &rx, &want);
            let got = events(&rx);
            assert_eq!(got, bytes.iter().map(|&b| Ok(b)).collect::<Vec<_>>(), "{name}: bytes received");
            println!("{name}: {} bytes in {} cycles, TX, RX and models agree", bytes.len(), rows.len());
        }
    }
}

/// Start times of `bytes` sent every `10 * bit` cycles, plus random gaps when `gaps`, from a
/// random (fractional) first time; and the line's length with two idle frames after.
fn sends_at(bytes: &[u8], bit: f64, gaps: bool, rng: &mut Rng) -> (Vec<(f64, u8)>, usize) {
    let mut t = rng.range(3, 40) as f64 + rng.range(0, 99) as f64 / 100.0;
    let mut sends = vec![];
    for &b in bytes {
        sends.push((t, b));
        t += 10.0 * bit;
        if gaps && rng.range(0, 1) == 0 {
            t += rng.range(0, 300) as f64 / 100.0 * bit;
        }
    }
    (sends, (t + 20.0 * bit) as usize)
}

#[test]
fn uart_rx_tolerates_baud_mismatch() {
    let mut rng = Rng::new(0x15);
    for d in DIVISORS {
        for (f, gaps) in [(0.985, false), (1.015, false), (0.985, true), (1.015, true)] {
            let name = format!(
                "rx_mismatch_d{d}_{}{}",
                if f < 1.0 { "fast" } else { "slow" },
                if gaps { "_gaps" } else { "" }
            );
            let bytes = random_bytes(stream_len(d) / 2, &mut rng);
            let bit = d as f64 * f;
            let (sends, len) = sends_at(&bytes, bit, gaps, &mut rng);
            let out = run_rx(&name, d, &waveform(&sends, bit, len));
            assert_eq!(events(&out), bytes.iter().map(|&b| Ok(b)).collect::<Vec<_>>(), "{name}: bytes received");
        }
    }
}

#[test]
fn uart_rx_ignores_glitches_shorter_than_half_a_bit() {
    let mut rng = Rng::new(0x911);
    for d in DIVISORS {
        let name = format!("rx_glitch_d{d}");
        let longest = (d as usize - 1) / 2; // 2 * len < d
        let bytes = random_bytes(if d > 100 { 4 } else { 24 }, &mut rng);
        let mut line = vec![true; 3 * d as usize];
        let mut glitches = 0;
        for &b in &bytes {
            // idle-line glitches of every length up to the longest, a bit or more apart
            let mut lens: Vec<usize> = (1..=longest.min(8)).collect();
            if longest > 8 {
                lens.push(longest);
            }
            for len in lens {
                line.extend(std::iter::repeat_n(false, len));
                line.extend(std::iter::repeat_n(true, rng.range(d as i64, 3 * d as i64) as usize));
                glitches += 1;
            }
            let start = line.len();
            line.extend(waveform(&[(0.0, b)], d as f64, 10 * d as usize));
            line.extend(std::iter::repeat_n(true, rng.range(d as i64, 2 * d as i64) as usize));
            assert!(!line[start]);
        }
        line.extend(std::iter::repeat_n(true, 3 * d as usize));
        let out = run_rx(&name, d, &line);
        assert_eq!(events(&out), bytes.iter().map(|&b| Ok(b)).collect::<Vec<_>>(), "{name}: only the bytes");
        println!("{name}: {glitches} glitches of 1..={longest} cycles ignored, {} bytes received", bytes.len());
    }
}

#[test]
fn uart_rx_reports_broken_stop_bits() {
    let mut rng = Rng::new(0x570b);
    for d in DIVISORS {
        let name = format!("rx_stop_d{d}");
        let n = if d > 100 { 6 } else { 40 };
        let db = d as usize;
        let mut line = vec![true; 2 * db];
        let mut want = vec![];
        for i in 0..n {
            let b = rng.next_u64() as u8;
            let start = line.len();
            line.extend(waveform(&[(0.0, b)], d as f64, 10 * db));
            match i % 4 {
                // the stop bit low for its whole period, then the line high again
                1 => {
                    line[start + 9 * db..].fill(false);
                    want.push(Err(()));
                }
                // a break: low for three frames; one error, its data bits zero
                3 => {
                    line[start..].fill(false);
                    line.extend(std::iter::repeat_n(false, 20 * db));
                    want.push(Err(()));
                }
                _ => want.push(Ok(b)),
            }
            line.extend(std::iter::repeat_n(true, rng.range(1, 2 * d as i64) as usize));
        }
        line.extend(std::iter::repeat_n(true, 12 * db));
        let out = run_rx(&name, d, &line);
        assert_eq!(events(&out), want, "{name}: bytes and framing errors");
        println!("{name}: {} frames, {} framing errors", n, want.iter().filter(|e| e.is_err()).count());
    }
}

#[test]
fn uart_model_decodes_its_waveforms() {
    // The reference against itself, fast, over many more cases than the RTL runs: random
    // streams at every divisor 4..=40 and some large ones, on time and 1.5% off.
    let mut rng = Rng::new(77);
    for d in (MIN_DIVISOR..=40).chain([100, 217, 417, 868]) {
        for f in [0.985, 1.0, 1.015] {
            for gaps in [false, true] {
                let bytes = random_bytes(64, &mut rng);
                let (sends, len) = sends_at(&bytes, d as f64 * f, gaps, &mut rng);
                let got: Vec<Result<u8, ()>> =
                    decode(&waveform(&sends, d as f64 * f, len), d).into_iter().map(|(_, e)| e).collect();
                assert_eq!(got, bytes.iter().map(|&b| Ok(b)).collect::<Vec<_>>(), "divisor {d}, bit x{f}, gaps {gaps}");
            }
        }
    }
    let line = waveform(&back_to_back(&[0x35], 4.0), 4.0, 48);
    let bits: Vec<bool> = (0..10).map(|k| line[4 * k]).collect();
    assert_eq!(bits, frame_bits(0x35), "one sample per cycle, four per bit");
}

#[test]
fn uart_divisor_from_clock_and_baud() {
    assert_eq!(divisor(25_000_000, 115_200), 217);
    assert_eq!(divisor(48_000_000, 3_000_000), 16);
    assert_eq!(divisor(25_000_000, 1_000_000), 25);
    assert_eq!(divisor(12_000_000, 3_000_000), 4);
    assert_eq!(divisor(100_000_000, 115_200), 868);
    assert!(baud_error(25_000_000, 115_200, 217) < 0.001);
    let _ = UartRx::new(25_000_000, 115_200);
    let _ = UartTx::new(48_000_000, 3_000_000);
    let panics = |clock: u64, baud: u64| {
        let e = std::panic::catch_unwind(|| divisor(clock, baud)).expect_err("refused");
        e.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    // 25 MHz / 3 Mbaud = 8.33: divisor 8 is 4.17% fast
    let m = panics(25_000_000, 3_000_000);
    assert!(
        m.contains("3000000 baud") && m.contains("25000000 Hz") && m.contains("divisor 8") && m.contains("4.17%"),
        "{m}"
    );
    // 10 MHz / 3 Mbaud: divisor 3
    let m = panics(10_000_000, 3_000_000);
    assert!(m.contains("divisor 3") && m.contains("minimum 4"), "{m}");
    assert!(std::panic::catch_unwind(|| UartRx::with_divisor(3)).is_err());
    assert!(std::panic::catch_unwind(|| UartTx::with_divisor(MIN_DIVISOR - 1)).is_err());
}
