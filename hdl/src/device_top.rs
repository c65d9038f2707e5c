//! `DeviceTop<B, L>`: the whole device behind a board's UART pins: [`UartRx`] -> [`FrameRx`]
//! -> [`Engine`] (with its reply transmitters) -> [`UartTx`], the engine driving the training
//! unit [`ForwardStep<B, L>`]. Bytes in on `uart_rx`, bytes out on `uart_tx`: the same
//! protocol, byte for byte, as the golden-model device `fptt emulate --backend fixed` serves.
//! A board top-level adds the clock (a PLL) and the pins.

use crate::engine::Engine;
use crate::forward::{ForwardStep, BANK_ADDR_BITS, DIM_BITS, WEIGHT_ADDR_BITS};
use crate::frame_rx::FrameRx;
use crate::messages::{DeviceInfo, FormatInfo, Reply};
use crate::protocol::{Command, VERSION};
use crate::uart::{UartRx, UartTx};
use fptt_sim::fixed::{Fmt, Numerics};
use fptt_sim::model::Shape;
use rust_hdl::prelude::*;

/// What INFO reports (the golden-model device's too) for a device of `lanes` lanes and `streams` streams clocked at `clock_hz`
/// (0: a simulation without a clock).
pub fn device_info(lanes: usize, streams: usize, clock_hz: u32) -> DeviceInfo {
    let n = Numerics::DEFAULT;
    let f = |x: Fmt| FormatInfo { bits: x.bits as u8, frac: x.frac as u8 };
    let max_dim = 1u8 << DIM_BITS;
    DeviceInfo {
        version: VERSION,
        max_inputs: max_dim,
        max_hidden: max_dim,
        max_outputs: max_dim,
        lanes: lanes as u8,
        max_streams: streams as u8,
        clock_hz,
        formats: [n.input, n.state, n.gate, n.weight, n.weight_avg, n.lambda, n.grad].map(f),
        bank_words: 1 << WEIGHT_ADDR_BITS,
        vector_words: 1 << BANK_ADDR_BITS,
    }
}

/// The payload of the INFO reply (seq 0) for `info`.
pub fn info_payload(info: &DeviceInfo) -> Vec<u8> {
    let frame = Reply::Info(info.clone()).frame(0, Command::Info);
    [vec![VERSION, frame.seq, frame.command], frame.body].concat()
}

/// The device: UART in, command engine and training unit, UART out.
#[derive(LogicBlock)]
pub struct DeviceTop<const B: usize, const L: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The serial line from the host.
    pub uart_rx: Signal<In, Bit>,
    /// The serial line to the host.
    pub uart_tx: Signal<Out, Bit>,
    /// A frame is being served or a reply sent (an activity LED).
    pub active: Signal<Out, Bit>,
    rx: UartRx,
    frame_rx: FrameRx,
    engine: Engine,
    unit: ForwardStep<B, L>,
    tx: UartTx,
}

impl<const B: usize, const L: usize> DeviceTop<B, L> {
    /// The device with a unit built for `shape` (its power-on configuration; CONFIG sets any
    /// shape that fits), its UART bit period `divisor` clock cycles, reporting `clock_hz`.
    pub fn new(shape: Shape, divisor: u32, clock_hz: u32) -> Self {
        let info = device_info(L, B, clock_hz);
        Self {
            clock: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            active: Default::default(),
            rx: UartRx::with_divisor(divisor),
            frame_rx: FrameRx::new(),
            engine: Engine::new(L, info.max_hidden as usize, B, &info_payload(&info)),
            unit: ForwardStep::new(shape),
            tx: UartTx::with_divisor(divisor),
        }
    }
}

impl<const B: usize, const L: usize> Logic for DeviceTop<B, L> {
    #[hdl_gen]
    fn update(&mut self) {
        self.rx.clock.next = self.clock.val();
        self.frame_rx.clock.next = self.clock.val();
        self.engine.clock.next = self.clock.val();
        self.unit.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();

        self.rx.rx.next = self.uart_rx.val();
        self.frame_rx.data.next = self.rx.data.val();
        self.frame_rx.valid.next = self.rx.valid.val();
        self.engine.rx_wr_en.next = self.frame_rx.wr_en.val();
        self.engine.rx_wr_addr.next = self.frame_rx.wr_addr.val();
        self.engine.rx_wr_data.next = self.frame_rx.wr_data.val();
        self.engine.rx_done.next = self.frame_rx.done.val();
        self.engine.rx_status.next = self.frame_rx.status.val();
        self.engine.rx_len.next = self.frame_rx.len.val();

        self.unit.host_we.next = self.engine.u_we.val();
        self.unit.host_sel.next = self.engine.u_sel.val();
        self.unit.host_lane.next = self.engine.u_lane.val();
        self.unit.host_addr.next = self.engine.u_addr.val();
        self.unit.host_data.next = self.engine.u_data.val();
        self.unit.last_stream.next = self.engine.u_last_stream.val();
        self.unit.start.next = self.engine.u_start.val();
        self.unit.learn.next = self.engine.u_learn.val();
        self.unit.commit.next = self.engine.u_commit.val();
        self.unit.reset.next = self.engine.u_reset.val();
        self.unit.classify.next = self.engine.u_classify.val();
        self.unit.rd_vec.next = self.engine.u_rd_vec.val();
        self.unit.rd_lane.next = self.engine.u_rd_lane.val();
        self.unit.rd_addr.next = self.engine.u_rd_addr.val();
        self.engine.u_rd_data.next = self.unit.rd_data.val();
        self.engine.u_busy.next = self.unit.busy.val();

        self.tx.start.next = self.engine.tx_valid.val();
        self.tx.data.next = self.engine.tx_data.val();
        self.engine.tx_ready.next = !self.tx.busy.val();
        self.uart_tx.next = self.tx.tx.val();
        self.active.next = self.engine.active.val() | self.tx.busy.val();
    }
}
