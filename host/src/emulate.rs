//! `fptt emulate`: a board on a pseudo-terminal. It opens a pty pair, prints the path of its
//! serial side (open it as a board's port: `fptt train --port PATH`) and serves the protocol,
//! paced at the baud rate unless told not to, until killed: with [`Device`] (the golden model,
//! `--backend fixed`) or with the device's RTL (`--backend rtl`: the whole `DeviceTop`, UART
//! pins in and out, cycle by cycle, as its generated Verilog in Verilator or in rust-hdl's
//! simulator).

use crate::device::Device;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use fptt_hdl::device_sim::{device_sim, power_on_shape, verilator_device, verilator_device_dir, ByteDevice, SIM_LANES};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What computes behind the emulated link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmulateBackend {
    /// The bit-exact golden model.
    Fixed,
    /// The device's RTL, cycle-accurate, its UART pins driven bit by bit.
    Rtl,
}

/// The simulator of `--backend rtl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Simulator {
    /// The generated Verilog, compiled by Verilator (fast; needs `verilator` on PATH).
    Verilator,
    /// rust-hdl's own simulator (no tools needed; about 2,000 cycles a second).
    RustHdl,
}

/// Arguments of `fptt emulate`.
#[derive(Clone, Debug, Args)]
pub struct EmulateArgs {
    /// Backend behind the link.
    #[arg(long, value_enum, default_value_t = EmulateBackend::Fixed)]
    pub backend: EmulateBackend,
    /// Simulator of `--backend rtl`.
    #[arg(long, value_enum, default_value_t = Simulator::Verilator)]
    pub simulator: Simulator,
    /// Weight lanes L of the emulated unit (fixed: 1 to 32, default 16; rtl: 1, 2 or 4,
    /// default 4): INFO reports them, and the host lays the parameters out in their banks.
    #[arg(long)]
    pub lanes: Option<usize>,
    /// Line rate the emulator paces its bytes at (bits per second, 10 bits a byte).
    #[arg(long, default_value_t = 3_000_000)]
    pub baud: u32,
    /// Answer as fast as possible instead of at the line rate.
    #[arg(long)]
    pub no_pacing: bool,
    /// Damage every Nth frame in each direction (a bit flip, a truncation, garbage before it,
    /// a lost delimiter, in turn): a bad line, to test a host against.
    #[arg(long)]
    pub damage_every: Option<u32>,
}

/// Serves the protocol on a new pseudo-terminal until killed (or the pty fails). Full duplex
/// as a UART: one thread receives (paced), one computes, one sends (paced).
pub fn run(args: &EmulateArgs) -> Result<()> {
    anyhow::ensure!(args.baud > 0, "--baud must be positive");
    let (device, what) = open_device(args)?;
    anyhow::ensure!(args.damage_every != Some(0), "--damage-every must be at least 1");
    let pty = nix::pty::openpty(None, None).context("open a pseudo-terminal")?;
    // the serial side raw, as a UART: no echo, no line editing (the host's open sets it too)
    let mut t = tcgetattr(pty.slave).context("read the pty's terminal settings")?;
    cfmakeraw(&mut t);
    tcsetattr(pty.slave, SetArg::TCSANOW, &t).context("set the pty raw")?;
    let path = nix::unistd::ttyname(pty.slave).context("name the pty")?;
    println!("{}", path.display());
    std::io::stdout().flush()?;
    eprintln!(
        "fptt emulate: {what} on {} ({} baud{}); Ctrl-C stops it",
        path.display(),
        args.baud,
        if args.no_pacing { ", unpaced" } else { "" }
    );
    let byte_time = if args.no_pacing { Duration::ZERO } else { Duration::from_secs_f64(10.0 / args.baud as f64) };
    let master = pty.master;
    let (to_device, received) = mpsc::channel::<Vec<u8>>();
    let (to_line, replies) = mpsc::channel::<Vec<u8>>();
    let damage = args.damage_every;
    // (the pty's serial side stays open here, so reads wait for a host instead of failing)
    let rx = std::thread::spawn(move || -> Result<()> {
        let mut line = Line::new(byte_time, damage, 1);
        let mut buf = [0u8; 4096];
        loop {
            let n = match nix::unistd::read(master, &mut buf) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e).context("read from the pty"),
            };
            let bytes = line.carry(&buf[..n]);
            if to_device.send(bytes).is_err() {
                return Ok(());
            }
        }
    });
    let tx = std::thread::spawn(move || -> Result<()> {
        let mut line = Line::new(byte_time, damage, 2);
        for reply in replies {
            let bytes = line.carry(&reply);
            let mut sent = 0;
            while sent < bytes.len() {
                match nix::unistd::write(master, &bytes[sent..]) {
                    Ok(k) => sent += k,
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => return Err(e).context("write to the pty"),
                }
            }
        }
        Ok(())
    });
    // (on a thread of its own: rust-hdl's simulation of a unit needs a deep stack)
    let compute = std::thread::Builder::new()
        .stack_size(fptt_hdl::verify::BIG_STACK)
        .spawn(move || {
            let mut device = device;
            for bytes in received {
                let reply = device.push(&bytes);
                if !reply.is_empty() && to_line.send(reply).is_err() {
                    break;
                }
            }
        })
        .context("start the device thread")?;
    compute.join().expect("device thread");
    let rx = rx.join().expect("receiver thread");
    tx.join().expect("transmitter thread")?;
    rx
}

/// The device behind the link, and what it is (for the banner).
fn open_device(args: &EmulateArgs) -> Result<(Box<dyn ByteDevice + Send>, String)> {
    match args.backend {
        EmulateBackend::Fixed => {
            let lanes = args.lanes.unwrap_or(crate::device::DEFAULT_LANES);
            anyhow::ensure!(
                (1..=crate::device::MAX_LANES).contains(&lanes),
                "--lanes must be 1 to {}",
                crate::device::MAX_LANES
            );
            Ok((Box::new(Device::new(lanes)), format!("golden-model board of {lanes} lanes")))
        }
        EmulateBackend::Rtl => {
            let lanes = args.lanes.unwrap_or(*SIM_LANES.last().expect("lanes"));
            anyhow::ensure!(SIM_LANES.contains(&lanes), "--backend rtl: --lanes must be one of {SIM_LANES:?}");
            let shape = power_on_shape();
            let device = match args.simulator {
                Simulator::Verilator => {
                    let dir = verilator_device_dir(lanes);
                    eprintln!("fptt emulate: building the device's Verilog with Verilator in {}", dir.display());
                    verilator_device(shape, lanes, &dir).map_err(|e| anyhow::anyhow!("--backend rtl: {e}"))?
                }
                Simulator::RustHdl => fptt_hdl::verify::on_big_stack(|| device_sim(shape, lanes))
                    .map_err(|e| anyhow::anyhow!("--backend rtl: {e}"))?,
            };
            Ok((device, format!("RTL board of {lanes} lanes ({:?})", args.simulator)))
        }
    }
}

/// One direction of the emulated line: paces bytes at the line rate (a byte is passed on when
/// its last bit has arrived) and, if asked, damages every Nth frame.
struct Line {
    byte_time: Duration,
    /// When the line is free again (the last byte's arrival).
    free_at: Instant,
    damage_every: Option<u32>,
    frames: u32,
    damaged: u32,
    /// The bytes of the frame under way (kept whole when frames are damaged).
    frame: Vec<u8>,
    salt: u32,
}

impl Line {
    fn new(byte_time: Duration, damage_every: Option<u32>, salt: u32) -> Self {
        Self { byte_time, free_at: Instant::now(), damage_every, frames: 0, damaged: 0, frame: vec![], salt }
    }

    /// The bytes to pass on after `bytes` came in, once they have crossed the line.
    fn carry(&mut self, bytes: &[u8]) -> Vec<u8> {
        let start = self.free_at.max(Instant::now());
        self.free_at = start + self.byte_time * bytes.len() as u32;
        if let Some(rest) = self.free_at.checked_duration_since(Instant::now()) {
            std::thread::sleep(rest);
        }
        let Some(every) = self.damage_every else { return bytes.to_vec() };
        let mut out = vec![];
        for &b in bytes {
            self.frame.push(b);
            if b == fptt_hdl::protocol::DELIMITER {
                self.frames += 1;
                let mut f = std::mem::take(&mut self.frame);
                if (self.frames + self.salt).is_multiple_of(every) && f.len() > 1 {
                    self.damage(&mut f);
                }
                out.extend(f);
            }
        }
        out
    }

    /// Damages one frame (its bytes, delimiter last), a different way each time.
    fn damage(&mut self, f: &mut Vec<u8>) {
        let body = f.len() - 1;
        match self.damaged % 4 {
            0 => f[body / 2] ^= 1 << (self.damaged / 4 % 8),
            1 => {
                f.drain(body / 2..body);
            }
            2 => f.splice(0..0, [0x55, 0x12, 0x00]).for_each(drop),
            _ => {
                f.pop();
            }
        }
        self.damaged += 1;
    }
}

/// An emulator in a child process (`fptt emulate`), killed when dropped.
pub struct Emulator {
    child: Child,
    path: String,
}

impl Emulator {
    /// Starts `program emulate` (`program`: the fptt executable) with `args` and waits for the
    /// pty path it prints.
    pub fn spawn(program: &Path, args: &[&str]) -> anyhow::Result<Self> {
        let mut child = Command::new(program)
            .arg("emulate")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("start the board emulator ({} emulate)", program.display()))?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout).read_line(&mut line).context("read the emulator's pty path")?;
        let path = line.trim().to_string();
        if path.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("the board emulator exited without opening a pseudo-terminal");
        }
        Ok(Self { child, path })
    }

    /// The serial side of its pseudo-terminal.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Kills it now (as a board unplugged).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill();
    }
}
