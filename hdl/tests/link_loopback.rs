//! The device's byte layer end to end: reply payloads written into `FrameTx`'s buffer go out
//! through `UartTx` onto the line, come back through `UartRx` into `FrameRx`, and arrive as
//! the same payloads with an OK verdict; in rust-hdl's simulator and on the generated Verilog
//! in Icarus, cycle for cycle. (The wiring is the one the device top level uses.)

use fptt_hdl::frame_rx::{status, FrameRx, ADDR_BITS};
use fptt_hdl::frame_tx::{FrameTx, FRAME_TX_INDEX_BITS};
use fptt_hdl::protocol::VERSION;
use fptt_hdl::uart::{UartRx, UartTx};
use fptt_hdl::verify::{iverilog_available, run_icarus, run_rust_hdl, verilog_of, Port, Rng};
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
struct Loopback {
    clock: Signal<In, Clock>,
    wr_addr: Signal<In, Bits<FRAME_TX_INDEX_BITS>>,
    wr_data: Signal<In, Bits<8>>,
    we: Signal<In, Bit>,
    send: Signal<In, Bit>,
    len: Signal<In, Bits<FRAME_TX_INDEX_BITS>>,
    tx_busy: Signal<Out, Bit>,
    rx_wr_en: Signal<Out, Bit>,
    rx_wr_addr: Signal<Out, Bits<ADDR_BITS>>,
    rx_wr_data: Signal<Out, Bits<8>>,
    rx_done: Signal<Out, Bit>,
    rx_status: Signal<Out, Bits<4>>,
    rx_len: Signal<Out, Bits<ADDR_BITS>>,
    frames_out: FrameTx,
    uart_out: UartTx,
    uart_in: UartRx,
    frames_in: FrameRx,
}

impl Logic for Loopback {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, frames_out, uart_out, uart_in, frames_in);
        self.frames_out.wr_addr.next = self.wr_addr.val();
        self.frames_out.wr_data.next = self.wr_data.val();
        self.frames_out.we.next = self.we.val();
        self.frames_out.send.next = self.send.val();
        self.frames_out.len.next = self.len.val();
        self.frames_out.ready.next = !self.uart_out.busy.val();
        self.uart_out.start.next = self.frames_out.valid.val();
        self.uart_out.data.next = self.frames_out.data.val();
        self.uart_in.rx.next = self.uart_out.tx.val();
        self.frames_in.data.next = self.uart_in.data.val();
        self.frames_in.valid.next = self.uart_in.valid.val();
        self.tx_busy.next = self.frames_out.busy.val();
        self.rx_wr_en.next = self.frames_in.wr_en.val();
        self.rx_wr_addr.next = self.frames_in.wr_addr.val();
        self.rx_wr_data.next = self.frames_in.wr_data.val();
        self.rx_done.next = self.frames_in.done.val();
        self.rx_status.next = self.frames_in.status.val();
        self.rx_len.next = self.frames_in.len.val();
    }
}

const DIVISOR: u32 = 4;

fn loopback() -> Loopback {
    Loopback {
        clock: Default::default(),
        wr_addr: Default::default(),
        wr_data: Default::default(),
        we: Default::default(),
        send: Default::default(),
        len: Default::default(),
        tx_busy: Default::default(),
        rx_wr_en: Default::default(),
        rx_wr_addr: Default::default(),
        rx_wr_data: Default::default(),
        rx_done: Default::default(),
        rx_status: Default::default(),
        rx_len: Default::default(),
        frames_out: FrameTx::default(),
        uart_out: UartTx::with_divisor(DIVISOR),
        uart_in: UartRx::with_divisor(DIVISOR),
        frames_in: FrameRx::new(),
    }
}

/// Input rows (wr_addr, wr_data, we, send, len) that write and send each payload, then idle
/// long enough for it to cross the line.
fn rows(payloads: &[Vec<u8>]) -> Vec<Vec<i64>> {
    let mut rows = vec![];
    for p in payloads {
        for (i, &b) in p.iter().enumerate() {
            rows.push(vec![i as i64, b as i64, 1, 0, 0]);
        }
        rows.push(vec![0, 0, 0, 1, p.len() as i64]);
        // every byte (and COBS's extra ones, the CRC and the delimiter) takes 10 bits
        let line = (p.len() + p.len() / 254 + 4) * 10 * DIVISOR as usize;
        rows.extend(std::iter::repeat_n(vec![0, 0, 0, 0, 0], line + 300));
    }
    rows
}

/// The payloads FrameRx wrote and its verdicts, from the output rows.
fn received(out: &[Vec<i64>]) -> Vec<(u8, Vec<u8>)> {
    let mut buf = vec![0u8; 1 << ADDR_BITS];
    let mut got = vec![];
    for r in out {
        if r[1] == 1 {
            buf[r[2] as usize] = r[3] as u8;
        }
        if r[4] == 1 {
            got.push((r[5] as u8, buf[..r[6] as usize].to_vec()));
        }
    }
    got
}

#[test]
fn replies_cross_the_line_and_arrive_intact() {
    let mut rng = Rng::new(0x10);
    let mut payloads = vec![vec![VERSION, 1, 0x81], vec![VERSION, 2, 0x86, 0, 0, 0, 0]];
    for k in 0..4 {
        let len = [20, 300, 7, 600][k];
        let mut p = vec![VERSION, 3 + k as u8, 0x83];
        p.extend((0..len).map(|i| if k == 2 { 0 } else { (rng.range(0, 256) as u8).max((i % 2) as u8) }));
        payloads.push(p);
    }
    let rows = rows(&payloads);
    let read = |u: &Loopback| {
        vec![
            u.tx_busy.val() as i64,
            u.rx_wr_en.val() as i64,
            u64::from(u.rx_wr_addr.val()) as i64,
            u64::from(u.rx_wr_data.val()) as i64,
            u.rx_done.val() as i64,
            u64::from(u.rx_status.val()) as i64,
            u64::from(u.rx_len.val()) as i64,
        ]
    };
    let sim = run_rust_hdl(
        &mut loopback(),
        |u, c| u.clock.next = c,
        |u, r| {
            u.wr_addr.next = (r[0] as u64).into();
            u.wr_data.next = (r[1] as u64).into();
            u.we.next = r[2] != 0;
            u.send.next = r[3] != 0;
            u.len.next = (r[4] as u64).into();
        },
        read,
        &rows,
    );
    let out: Vec<Vec<i64>> = sim.iter().map(|r| r.iter().map(|v| v.expect("two-state")).collect()).collect();
    let got = received(&out);
    let want: Vec<(u8, Vec<u8>)> = payloads.iter().map(|p| (status::OK, p.clone())).collect();
    assert_eq!(got, want, "payloads through FrameTx -> UartTx -> UartRx -> FrameRx");
    if iverilog_available("replies_cross_the_line_and_arrive_intact") {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("link_loopback");
        let inputs = [
            Port::unsigned("wr_addr", FRAME_TX_INDEX_BITS),
            Port::unsigned("wr_data", 8),
            Port::unsigned("we", 1),
            Port::unsigned("send", 1),
            Port::unsigned("len", FRAME_TX_INDEX_BITS),
        ];
        let outputs = [
            Port::unsigned("tx_busy", 1),
            Port::unsigned("rx_wr_en", 1),
            Port::unsigned("rx_wr_addr", ADDR_BITS),
            Port::unsigned("rx_wr_data", 8),
            Port::unsigned("rx_done", 1),
            Port::unsigned("rx_status", 4),
            Port::unsigned("rx_len", ADDR_BITS),
        ];
        let icarus = run_icarus(&dir, &verilog_of(loopback()), &inputs, &outputs, &rows);
        if let Some(i) = (0..rows.len()).find(|&i| icarus[i] != sim[i]) {
            panic!("Icarus against rust-hdl: first difference at cycle {i}: {:?} vs {:?}", icarus[i], sim[i]);
        }
    }
}
