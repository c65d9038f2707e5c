//! The whole device ([`DeviceTop`]) in rust-hdl's simulator as a byte pipe: bytes go in on
//! the UART line bit by bit, the UART line out is decoded bit by bit. A cycle-accurate board
//! for `fptt emulate --backend rtl` and the tests that compare it with the golden-model device.

use crate::device_top::DeviceTop;
use crate::forward::check_fit;
use crate::uart::{frame_bits, RxModel};
use crate::verify::{settle, tick};
use fptt_sim::model::Shape;
use rust_hdl::prelude::Block;
use std::collections::VecDeque;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command as Process, Stdio};

/// Lanes the simulated device can be built with.
pub const SIM_LANES: [usize; 3] = [1, 2, 4];
/// Streams the simulated device runs at most.
pub const SIM_STREAMS: usize = 16;
/// The UART bit period of the simulated device, in clock cycles (the smallest the UART takes:
/// the simulation's time goes into the unit, not into the line).
pub const SIM_DIVISOR: u32 = crate::uart::MIN_DIVISOR;

/// The shape the simulated device's unit is built for: its power-on configuration only, since
/// CONFIG sets any shape whose words fit the banks.
pub fn power_on_shape() -> Shape {
    Shape::new(2, 16, 1).expect("a shape")
}

/// Where the Verilator build of the simulated device of `lanes` lanes is kept (a cache shared
/// by `fptt emulate --backend rtl` and the tests: an unchanged design is not rebuilt).
pub fn verilator_device_dir(lanes: usize) -> std::path::PathBuf {
    std::env::temp_dir().join("fptt-verilator").join(format!("device-l{lanes}"))
}

/// A device that takes the bytes a board's UART receives and returns those it sends.
pub trait ByteDevice {
    /// Sends `bytes` down the line, runs until the device is idle, returns what came back.
    fn push(&mut self, bytes: &[u8]) -> Vec<u8>;
    /// Clock cycles simulated so far.
    fn cycles(&self) -> u64;
}

/// [`DeviceTop`] in rust-hdl's simulator.
pub struct DeviceSim<const B: usize, const L: usize> {
    uut: Box<DeviceTop<B, L>>,
    divisor: u32,
    rx: RxModel,
    cycles: u64,
}

/// Cycles of silence (the engine idle, nothing on the line) that end a [`ByteDevice::push`]:
/// longer than a byte on the line, so a byte still being shifted out is waited for.
const QUIET_BITS: u64 = 24;

impl<const B: usize, const L: usize> DeviceSim<B, L> {
    /// A fresh device built for `shape`, its UART `divisor` cycles a bit.
    pub fn new(shape: Shape, divisor: u32) -> Self {
        let mut uut = Box::new(DeviceTop::<B, L>::new(shape, divisor, 0));
        uut.connect_all();
        uut.uart_rx.next = true;
        settle(uut.as_mut());
        Self { uut, divisor, rx: RxModel::new(divisor), cycles: 0 }
    }

    /// One clock cycle with `line` on the device's receive pin; a byte it sent, if one ended.
    fn cycle(&mut self, line: bool) -> Option<u8> {
        self.uut.uart_rx.next = line;
        tick(self.uut.as_mut(), &|u: &mut DeviceTop<B, L>, c| u.clock.next = c);
        self.cycles += 1;
        let out = self.rx.step(self.uut.uart_tx.val());
        out.valid.then_some(out.data)
    }
}

impl<const B: usize, const L: usize> ByteDevice for DeviceSim<B, L> {
    fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![];
        let mut line: VecDeque<bool> = bytes
            .iter()
            .flat_map(|&b| frame_bits(b))
            .flat_map(|bit| std::iter::repeat_n(bit, self.divisor as usize))
            .collect();
        let quiet = QUIET_BITS * self.divisor as u64;
        let mut idle = 0;
        while !line.is_empty() || idle < quiet {
            let bit = line.pop_front().unwrap_or(true);
            out.extend(self.cycle(bit));
            idle = if line.is_empty() && !self.uut.active.val() { idle + 1 } else { 0 };
        }
        out
    }

    fn cycles(&self) -> u64 {
        self.cycles
    }
}

/// A simulated device of `lanes` lanes ([`SIM_LANES`]) and [`SIM_STREAMS`] streams whose unit
/// is built for `shape`, or why there is none. Build and use it on a thread with a large
/// stack ([`crate::verify::on_big_stack`]).
pub fn device_sim(shape: Shape, lanes: usize) -> Result<Box<dyn ByteDevice + Send>, String> {
    check_fit(shape, lanes, SIM_STREAMS)?;
    Ok(match lanes {
        1 => Box::new(DeviceSim::<SIM_STREAMS, 1>::new(shape, SIM_DIVISOR)),
        2 => Box::new(DeviceSim::<SIM_STREAMS, 2>::new(shape, SIM_DIVISOR)),
        4 => Box::new(DeviceSim::<SIM_STREAMS, 4>::new(shape, SIM_DIVISOR)),
        l => return Err(format!("the simulated device has {SIM_LANES:?} lanes, not {l}")),
    })
}

/// The harness of [`VerilatorDevice`].
const HARNESS: &str = include_str!("verilator_device.cpp");

/// The generated Verilog of [`DeviceTop`] in Verilator, its UART pins driven by a small C++
/// harness (`verilator_device.cpp`): the same design as [`DeviceSim`], many times faster.
pub struct VerilatorDevice {
    child: Child,
    to: BufWriter<ChildStdin>,
    from: BufReader<ChildStdout>,
    cycles: u64,
}

impl VerilatorDevice {
    /// Compiles `verilog` (a [`DeviceTop`], module `top`, UART bit period `divisor`) in `dir`
    /// (reused when unchanged) and starts it.
    pub fn build(verilog: &str, divisor: u32, dir: &Path) -> Result<Self, String> {
        let program = crate::verilator_driver::build_program(verilog, HARNESS, "vdevice", dir)?;
        let mut child = Process::new(&program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("run {}: {e}", program.display()))?;
        let mut to = BufWriter::with_capacity(1 << 16, child.stdin.take().expect("piped stdin"));
        let from = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut cmd = vec![b'D'];
        cmd.extend(divisor.to_le_bytes());
        cmd.extend((QUIET_BITS as u32 * divisor).to_le_bytes());
        to.write_all(&cmd).map_err(|e| format!("the Verilated device stopped: {e}"))?;
        Ok(Self { child, to, from, cycles: 0 })
    }

    fn exchange(&mut self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        self.to.write_all(b"P")?;
        self.to.write_all(&(bytes.len() as u32).to_le_bytes())?;
        self.to.write_all(bytes)?;
        self.to.flush()?;
        let mut n = [0u8; 4];
        self.from.read_exact(&mut n)?;
        let mut out = vec![0; u32::from_le_bytes(n) as usize];
        self.from.read_exact(&mut out)?;
        let mut c = [0u8; 8];
        self.from.read_exact(&mut c)?;
        self.cycles = u64::from_le_bytes(c);
        Ok(out)
    }
}

impl ByteDevice for VerilatorDevice {
    fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.exchange(bytes).unwrap_or_else(|e| {
            let status = self.child.try_wait().ok().flatten();
            panic!("the Verilated device stopped ({e}, exit status {status:?})")
        })
    }

    fn cycles(&self) -> u64 {
        self.cycles
    }
}

impl Drop for VerilatorDevice {
    fn drop(&mut self) {
        let _ = self.to.write_all(b"Q");
        let _ = self.to.flush();
        let _ = self.child.wait();
    }
}

/// The Verilog (module `top`) of the device [`device_sim`] builds for `shape` and `lanes`.
/// Call it on a thread with a large stack.
pub fn device_verilog(shape: Shape, lanes: usize) -> Result<String, String> {
    check_fit(shape, lanes, SIM_STREAMS)?;
    fn verilog<const L: usize>(shape: Shape) -> String {
        crate::verify::verilog_of(DeviceTop::<SIM_STREAMS, L>::new(shape, SIM_DIVISOR, 0))
    }
    Ok(match lanes {
        1 => verilog::<1>(shape),
        2 => verilog::<2>(shape),
        4 => verilog::<4>(shape),
        l => return Err(format!("the simulated device has {SIM_LANES:?} lanes, not {l}")),
    })
}

/// The device [`device_sim`] builds, as generated Verilog run by Verilator, compiled in `dir`
/// (a cache: an unchanged design is not rebuilt).
pub fn verilator_device(shape: Shape, lanes: usize, dir: &Path) -> Result<Box<dyn ByteDevice + Send>, String> {
    let verilog = crate::verify::on_big_stack(|| device_verilog(shape, lanes))?;
    Ok(Box::new(VerilatorDevice::build(&verilog, SIM_DIVISOR, dir)?))
}
