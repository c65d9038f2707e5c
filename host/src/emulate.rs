//! `fptt emulate`: a board on a pseudo-terminal. It opens a pty pair, prints the path of its
//! serial side (open it as a board's port: `fptt train --port PATH`) and serves the protocol
//! with [`Device`] (the golden model), paced at the baud rate unless told not to, until killed.

use crate::device::Device;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::io::Write;
use std::time::{Duration, Instant};

/// What computes behind the emulated link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmulateBackend {
    /// The bit-exact golden model.
    Fixed,
}

/// Arguments of `fptt emulate`.
#[derive(Clone, Debug, Args)]
pub struct EmulateArgs {
    /// Backend behind the link.
    #[arg(long, value_enum, default_value_t = EmulateBackend::Fixed)]
    pub backend: EmulateBackend,
    /// Line rate the emulator paces its bytes at (bits per second, 10 bits a byte).
    #[arg(long, default_value_t = 3_000_000)]
    pub baud: u32,
    /// Answer as fast as possible instead of at the line rate.
    #[arg(long)]
    pub no_pacing: bool,
}

/// Serves the protocol on a new pseudo-terminal until killed (or the pty fails).
pub fn run(args: &EmulateArgs) -> Result<()> {
    anyhow::ensure!(args.baud > 0, "--baud must be positive");
    let pty = nix::pty::openpty(None, None).context("open a pseudo-terminal")?;
    // the serial side raw, as a UART: no echo, no line editing (the host's open sets it too)
    let mut t = tcgetattr(pty.slave).context("read the pty's terminal settings")?;
    cfmakeraw(&mut t);
    tcsetattr(pty.slave, SetArg::TCSANOW, &t).context("set the pty raw")?;
    let path = nix::unistd::ttyname(pty.slave).context("name the pty")?;
    println!("{}", path.display());
    std::io::stdout().flush()?;
    eprintln!(
        "fptt emulate: golden-model board on {} ({} baud{}); Ctrl-C stops it",
        path.display(),
        args.baud,
        if args.no_pacing { ", unpaced" } else { "" }
    );
    let mut device = Device::new();
    let mut buf = [0u8; 4096];
    let byte_time = Duration::from_secs_f64(10.0 / args.baud as f64);
    // (the pty's serial side stays open here, so reads wait for a host instead of failing)
    loop {
        let n = match nix::unistd::read(pty.master, &mut buf) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e).context("read from the pty"),
        };
        let start = Instant::now();
        let reply = device.push(&buf[..n]);
        if !args.no_pacing {
            // the received bytes took their line time; the reply leaves at the line rate
            let due = byte_time * (n + reply.len()) as u32;
            if let Some(rest) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(rest);
            }
        }
        let mut sent = 0;
        while sent < reply.len() {
            match nix::unistd::write(pty.master, &reply[sent..]) {
                Ok(k) => sent += k,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e).context("write to the pty"),
            }
        }
    }
}
